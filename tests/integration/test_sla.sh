#!/usr/bin/env bash
# Circuit availability against its SLA (issue 15): one ExpressRoute circuit
# whose primary neighbour is reported by one BMP router (127.0.0.2) and its
# secondary one by another (127.0.0.3). Both up: every up series grows with
# the observed time and the downtime budget stays whole; the secondary's
# router gone: scope "any" and the primary still grow, "redundant" and the
# secondary stop; both gone: "any" stops and the budget shrinks by the time
# down. Then kill -9 and a restart: the figures come back within one
# persist interval, the gap is unobserved (not down), and a corrupt state
# file is counted, kept aside and not fatal.
source "$(dirname "$0")/lib.sh"
need curl; need python3
BUILD=${CW_BUILD_DIR:?CW_BUILD_DIR is not set (run through ctest)}
GEN=$BUILD/tests/gen_bmp_table REPLAY=$BUILD/tests/bmp_replay
[ -x "$GEN" ] && [ -x "$REPLAY" ] || skip "gen_bmp_table/bmp_replay not built"
PERSIST=2

for i in 2 3; do
  "$GEN" --router "$i" --peers 1 --ipv4 20 --ipv6 0 --peer-addr "198.18.$i.1" --peer-as 12076 \
    -o "$WORK/r$i.bmp" >/dev/null 2>&1 || { bad "gen_bmp_table router $i"; finish; }
done

port=$(free_port); bport=$(free_port); base="http://127.0.0.1:$port"
mkdir -p "$WORK/state"
cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$port"}
bmp: {listen: "127.0.0.1:$bport", allow: ["127.0.0.0/8"]}
billing: {state_dir: "$WORK/state"}
availability:
  persist_interval: ${PERSIST}s
  startup_grace: 60m
  circuits: [{circuit: er-1, sla: 99.99}]
circuits:
$(er1_circuit_yaml '{address: 198.18.2.1}' '{address: 198.18.3.1}')
  - id: er-none
    provider: expressroute
    sku: {tier: standard}
    bandwidth: 1Gbps
    links:
      primary:
        peerings: [{type: private, neighbors: [{address: 198.18.9.1}]}]
YAML

scrape() { curl -s --max-time 5 "$base/metrics" > "$WORK/m.txt"; }
# v NAME LABELS: the value of one series in the last scrape ("" when absent)
v() { local k=$1; [ -z "$2" ] || k="$1{$2}"; awk -v k="$k" 'index($0, k " ") == 1 {print $2}' "$WORK/m.txt"; }
# near A B TOL: |A - B| <= TOL
near() { python3 -c "import sys; a,b,t=map(float,sys.argv[1:]); sys.exit(abs(a-b)>t)" "$@"; }
C='circuit="er-1"'

start_cw "$WORK/cw.log" run --config "$WORK/cw.yaml"
check "daemon ready" wait_http "$base/-/ready"
check "the SLA target is the override's" until_true 5 \
  sh -c "curl -s '$base/metrics' | grep -q '^circuitwatch_circuit_sla_target_ratio{circuit=\"er-1\"} 0.9999$'"
scrape
check "nothing observed before a session is seen (no ratio yet)" \
  test -z "$(v circuitwatch_circuit_availability_ratio "$C,scope=\"any\"")"
"$REPLAY" --bind 127.0.0.2 --hold 86400 127.0.0.1 "$bport" "$WORK/r2.bmp" >/dev/null 2>&1 &
R2=$!; PIDS+=($R2)
"$REPLAY" --bind 127.0.0.3 --hold 86400 127.0.0.1 "$bport" "$WORK/r3.bmp" >/dev/null 2>&1 &
R3=$!; PIDS+=($R3)
check "both links up: redundant" until_true 20 \
  sh -c "curl -s '$base/metrics' | grep -q '^circuitwatch_circuit_redundant{circuit=\"er-1\"} 1$'"

# ---- both up ----
# The two routers may connect a second or more apart (on a loaded box): the
# figures count from the first session seen up, so compare what both-up
# seconds add from here on (after a tick, so the sample held is a both-up
# one), and the any scope (armed by that first session).
sleep 2; scrape
obs0=$(v circuitwatch_circuit_observed_seconds "$C")
any0=$(v circuitwatch_circuit_up_seconds "$C,scope=\"any\"")
red0=$(v circuitwatch_circuit_up_seconds "$C,scope=\"redundant\"")
pri0=$(v circuitwatch_link_up_seconds "$C,link=\"primary\"")
sec0=$(v circuitwatch_link_up_seconds "$C,link=\"secondary\"")
sleep 6; scrape
obs=$(v circuitwatch_circuit_observed_seconds "$C")
budget=$(v circuitwatch_circuit_sla_downtime_budget_seconds "$C")
echo "# both up: observed $obs s (from $obs0), budget $budget s"
# same_gain A0 A B0 B: A - A0 equals B - B0 (to float rounding)
same_gain() { python3 -c "import sys; a0,a,b0,b=map(float,sys.argv[1:]); sys.exit(abs((a-a0)-(b-b0))>1e-6)" "$@"; }
check "both up: some seconds observed" near "$(python3 -c "print($obs-${obs0:-0})")" 6 2.5
upd() { v circuitwatch_circuit_up_seconds "$C,scope=\"$1\""; }
lnk() { v circuitwatch_link_up_seconds "$C,link=\"$1\""; }
check "both up: any gained every observed second" same_gain "$any0" "$(upd any)" "$obs0" "$obs"
check "both up: redundant gained every observed second" \
  same_gain "$red0" "$(upd redundant)" "$obs0" "$obs"
check "both up: the primary gained every observed second" \
  same_gain "$pri0" "$(lnk primary)" "$obs0" "$obs"
check "both up: the secondary gained every observed second" \
  same_gain "$sec0" "$(lnk secondary)" "$obs0" "$obs"
check "both up: availability 1 in scope any" \
  test "$(v circuitwatch_circuit_availability_ratio "$C,scope=\"any\"")" = 1
check "both up: the redundant ratio is redundant up over observed" near \
  "$(v circuitwatch_circuit_availability_ratio "$C,scope=\"redundant\"")" \
  "$(python3 -c "print($(upd redundant)/$obs)")" 1e-9
check "both up: the whole budget left (0.01 % of the cycle)" \
  test "$(v circuitwatch_circuit_sla_downtime_remaining_seconds "$C")" = "$budget"
python3 - "$budget" "$(v circuitwatch_circuit_availability_cycle_start_timestamp_seconds "$C")" \
  "$(v circuitwatch_circuit_availability_cycle_end_timestamp_seconds "$C")" <<'PY' &&
import sys; b, s, e = map(float, sys.argv[1:]); sys.exit(abs(b - (e - s) * 1e-4) > 1e-3)
PY
  ok "the budget is 0.01 % of the calendar month" || bad "budget $budget vs the cycle"
check "a circuit whose sessions never came up is not observed (not down)" \
  test "$(v circuitwatch_circuit_observed_seconds 'circuit="er-none"')" = 0

# ---- the secondary's router gone ----
kill "$R3"
check "secondary down: not redundant" until_true 20 \
  sh -c "curl -s '$base/metrics' | grep -q '^circuitwatch_circuit_redundant{circuit=\"er-1\"} 0$'"
sleep 1.5; scrape
o1=$(v circuitwatch_circuit_observed_seconds "$C"); red1=$(v circuitwatch_circuit_up_seconds "$C,scope=\"redundant\"")
sec1=$(v circuitwatch_link_up_seconds "$C,link=\"secondary\"")
sleep 5; scrape
o2=$(v circuitwatch_circuit_observed_seconds "$C")
echo "# one down: observed $o1 -> $o2"
check "one down: any still up all along" test "$(v circuitwatch_circuit_up_seconds "$C,scope=\"any\"")" = "$o2"
check "one down: the primary still up all along" test "$(v circuitwatch_link_up_seconds "$C,link=\"primary\"")" = "$o2"
check "one down: redundant and the secondary stopped" sh -c \
  "[ '$(v circuitwatch_circuit_up_seconds "$C,scope=\"redundant\"")' = '$red1' ] && [ '$(v circuitwatch_link_up_seconds "$C,link=\"secondary\"")' = '$sec1' ]"
check "one down: the redundant ratio fell below 1" python3 -c \
  "import sys; sys.exit(not float('$(v circuitwatch_circuit_availability_ratio "$C,scope=\"redundant\"")') < 1)"
check "one down: no downtime (scope any)" \
  test "$(v circuitwatch_circuit_sla_downtime_remaining_seconds "$C")" = "$budget"

# ---- both gone ----
kill "$R2"
check "both down: no session up" until_true 20 \
  sh -c "curl -s '$base/metrics' | grep -q '^circuitwatch_link_sessions_up{circuit=\"er-1\",link=\"primary\"} 0$'"
sleep 1.5; scrape
any1=$(v circuitwatch_circuit_up_seconds "$C,scope=\"any\""); rem1=$(v circuitwatch_circuit_sla_downtime_remaining_seconds "$C")
o1=$(v circuitwatch_circuit_observed_seconds "$C")
sleep 5; scrape
o2=$(v circuitwatch_circuit_observed_seconds "$C"); rem2=$(v circuitwatch_circuit_sla_downtime_remaining_seconds "$C")
echo "# both down: observed $o1 -> $o2, remaining $rem1 -> $rem2"
check "both down: any stopped" test "$(v circuitwatch_circuit_up_seconds "$C,scope=\"any\"")" = "$any1"
check "both down: the budget shrank by the time down" python3 -c \
  "import sys; sys.exit(abs(($rem1 - $rem2) - ($o2 - $o1)) > 0.01 or $o2 - $o1 < 4)"
check "both down: the any ratio fell below 1" python3 -c \
  "import sys; sys.exit(not float('$(v circuitwatch_circuit_availability_ratio "$C,scope=\"any\"")') < 1)"

# ---- a reload: a new target, the figures go on ----
sed -i 's/sla: 99.99}/sla: 99.95}/' "$WORK/cw.yaml"
o1=$(v circuitwatch_circuit_observed_seconds "$C")
kill -HUP "$CW_PID"
check "reload: the new target applies" until_true 10 \
  sh -c "curl -s '$base/metrics' | grep -q '^circuitwatch_circuit_sla_target_ratio{circuit=\"er-1\"} 0.9995$'"
scrape
check "reload: the running figures carry over" python3 -c \
  "import sys; sys.exit(not ($o1 <= $(v circuitwatch_circuit_observed_seconds "$C") <= $o1 + 12))"

# ---- kill -9 and a restart ----
sleep $((PERSIST + 1)); scrape
before=$(v circuitwatch_circuit_observed_seconds "$C"); down_before=$(python3 -c "print($before - $(v circuitwatch_circuit_up_seconds "$C,scope=\"any\""))")
kill -9 "$CW_PID"; wait "$CW_PID" 2>/dev/null
check "the state file is there" test -s "$WORK/state/availability-state.json"
sleep 2
start_cw "$WORK/cw2.log" run --config "$WORK/cw.yaml"
check "restarted" wait_http "$base/-/ready"
sleep 1.5; scrape
after=$(v circuitwatch_circuit_observed_seconds "$C")
echo "# kill -9: observed $before before, $after after (persist interval ${PERSIST}s)"
# the scrape is at most a tick older than the kill, the save at most a persist interval
check "kill -9: the figures come back within one persist interval (+1 tick)" python3 -c \
  "import sys; sys.exit(not ($before - $PERSIST - 1.05 <= $after <= $before + 1.05))"
check "kill -9: the down time is kept" python3 -c \
  "import sys; d = $after - $(v circuitwatch_circuit_up_seconds "$C,scope=\"any\""); sys.exit(not ($down_before - $PERSIST - 1.05 <= d <= $down_before + 1.05))"
sleep 3; scrape
check "restart: sessions not seen yet, so no time counted (unobserved, not down)" \
  test "$(v circuitwatch_circuit_observed_seconds "$C")" = "$after"
check "restart: the gap is unobserved" python3 -c \
  "import sys; sys.exit(not float('$(v circuitwatch_circuit_unobserved_seconds "$C")') >= 5)"
check "restart: loaded cleanly" test "$(v circuitwatch_availability_state_corrupt_total "")" = 0

# ---- a corrupt state file ----
kill -TERM "$CW_PID"; wait_exit "$CW_PID" 30
check "SIGTERM: clean exit" test "$RC" = 0
sed -i 's/"observed": [0-9.]*/"observed": 1.5/' "$WORK/state/availability-state.json"
start_cw "$WORK/cw3.log" run --config "$WORK/cw.yaml"
check "a corrupt state file is not fatal" wait_http "$base/-/ready"
sleep 1.5; scrape
check "corrupt: counted" test "$(v circuitwatch_availability_state_corrupt_total "")" = 1
check "corrupt: logged and kept aside" sh -c \
  "grep -q 'availability state unreadable; kept aside' '$WORK/cw3.log' && ls '$WORK/state'/availability-state.json.corrupt-* >/dev/null"
check "corrupt: starting from zero" test "$(v circuitwatch_circuit_observed_seconds "$C")" = 0
kill -TERM "$CW_PID"; wait_exit "$CW_PID" 30
finish
