#!/usr/bin/env bash
# Sharded ingest (issue 14): routers are spread over bmp.workers threads by
# source address, each worker with its own model shard. The same streams
# replayed into a daemon with 1 worker and with 2 must publish the same BGP
# and BMP series, value for value: six routers (127.0.0.2-7, three on each
# worker of two) with distinct tables, two of them ending with Peer Downs,
# while connected and again after they disconnect. A circuit whose primary
# neighbour is reported by a router on worker 0 and whose secondary one by
# a router on worker 1 must be redundant in both runs: the link series
# count sessions across shards. Every session up and down is logged.
# Environment: ROUTES (20000 IPv4 routes per peer; IPv6 a quarter of it).
source "$(dirname "$0")/lib.sh"
need curl; need python3
BUILD=${CW_BUILD_DIR:?CW_BUILD_DIR is not set (run through ctest)}
GEN=$BUILD/tests/gen_bmp_table REPLAY=$BUILD/tests/bmp_replay
[ -x "$GEN" ] && [ -x "$REPLAY" ] || skip "gen_bmp_table/bmp_replay not built"
ROUTES=${ROUTES:-20000}
FIRST=2 LAST=7 # 127.0.0.2-7: even ones on worker 0 of 2, odd ones on worker 1

want=0
for i in $(seq $FIRST $LAST); do
  down=(); [ "$i" = 4 ] || [ "$i" = 5 ] && down=(--peer-down)
  "$GEN" --router "$i" --seed "$i" --peers 3 --ipv4 "$ROUTES" --ipv6 $((ROUTES / 4)) \
    --peer-addr "198.18.$i.1" --peer-step 1 --peer-as 12076 "${down[@]}" -o "$WORK/r$i.bmp" \
    >/dev/null 2>&1 || { bad "gen_bmp_table router $i"; finish; }
  n=$("$GEN" --check "$WORK/r$i.bmp" |
    grep -oE '[0-9]+ (initiation|peer-up|route-monitoring|peer-down)' | awk '{n += $1} END {print n}')
  want=$((want + n))
done

metric_sum() { curl -s --max-time 5 "$1/metrics" | awk -v p="$2" 'index($0, p) == 1 {n += $NF} END {printf "%d", n}'; }

# What must not depend on the worker count: every BGP, BMP router and link
# series, but the change timestamps (wall clock).
series() {
  curl -s --max-time 10 "$1/metrics" | grep -E \
    '^circuitwatch_(bgp_|bmp_router|bmp_messages_total|bmp_parse_errors_total|bmp_stats_|link_|circuit_redundant)' |
    grep -v '^circuitwatch_bgp_session_last_change_timestamp_seconds' |
    grep -Ev '^circuitwatch_link_(up_seconds|availability_ratio)\{' | sort # availability: time
}

run_with() { # run_with WORKERS: leaves $WORK/w$1.{up,gone}
  local w=$1 port bport base rp=() i
  port=$(free_port); bport=$(free_port); base="http://127.0.0.1:$port"
  cat > "$WORK/cw$w.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$port"}
bmp: {listen: "127.0.0.1:$bport", allow: ["127.0.0.0/8"], workers: $w}
circuits:
$(er1_circuit_yaml '{address: 198.18.2.1}' '{address: 198.18.3.1}')
YAML
  start_cw "$WORK/cw$w.log" run --config "$WORK/cw$w.yaml"
  check "workers $w: daemon ready" wait_http "$base/-/ready"
  for i in $(seq $FIRST $LAST); do
    "$REPLAY" --bind "127.0.0.$i" --hold 86400 127.0.0.1 "$bport" "$WORK/r$i.bmp" >/dev/null 2>&1 &
    PIDS+=($!); rp+=($!)
  done
  check "workers $w: all $want messages read" until_true 180 \
    sh -c "[ \"\$(curl -s '$base/metrics' | awk '/^circuitwatch_bmp_messages_total\{/ {n += \$NF} END {printf \"%d\", n}')\" -ge $want ]"
  sleep 2.5 # a publish round after the last message
  if [ "$w" = 2 ]; then
    check "workers 2: three routers on each worker" test \
      "$(metric_sum "$base" 'circuitwatch_bmp_worker_connections{worker="0"}')/$(metric_sum "$base" 'circuitwatch_bmp_worker_connections{worker="1"}')" = 3/3
  fi
  series "$base" > "$WORK/w$w.up"
  check "workers $w: the circuit is redundant (its two neighbours on two routers)" \
    grep -q '^circuitwatch_circuit_redundant{circuit="er-1"} 1$' "$WORK/w$w.up"
  for p in "${rp[@]}"; do kill "$p" 2>/dev/null; done
  check "workers $w: every router seen down" until_true 20 \
    sh -c "[ \"\$(curl -s '$base/metrics' | awk '/^circuitwatch_bmp_router_up\{/ {n += \$NF} END {printf \"%d\", n}')\" = 0 ]"
  sleep 2.5
  series "$base" > "$WORK/w$w.gone"
  kill -TERM "$CW_PID"; wait_exit "$CW_PID" 30
  check "workers $w: SIGTERM: clean exit 0" test "$RC" = 0
}

run_with 1
run_with 2
n=$(wc -l < "$WORK/w1.up")
prefixes=$(awk '/^circuitwatch_bgp_prefixes\{/ {n += $NF} END {printf "%d", n}' "$WORK/w1.up")
echo "# $n series compared while up ($prefixes prefixes), $(wc -l < "$WORK/w1.gone") after"
check "series to compare ($n, $prefixes prefixes)" test "$n" -gt 200 -a "$prefixes" = $((12 * ROUTES * 5 / 4))
check "1 and 2 workers publish the same series while the routers are up" \
  diff "$WORK/w1.up" "$WORK/w2.up"
check "... and after they went" diff "$WORK/w1.gone" "$WORK/w2.gone"
check "the circuit is no longer redundant once they went" \
  grep -q '^circuitwatch_circuit_redundant{circuit="er-1"} 0$' "$WORK/w2.gone"

# session state in the log, as routers log it (from the workers' threads)
log="$WORK/cw2.log"
check "session up logged with its circuit, link and peering" grep -q \
  'msg="bgp session up" router=127.0.0.2 peer=198.18.2.1 peer_as=12076 circuit=er-1 link=primary peering=private' "$log"
check "a session up logged for each of the 18 peers" \
  test "$(grep -c 'msg="bgp session up"' "$log")" = 18
check "the Peer Downs of routers 4 and 5 logged with their reason" \
  test "$(grep 'msg="bgp session down"' "$log" | grep -E 'router=127\.0\.0\.[45] ' | grep -vc 'reason=router-disconnected')" = 6
check "the other sessions logged down when their routers went" \
  test "$(grep 'msg="bgp session down"' "$log" | grep -c 'reason=router-disconnected')" = 12
finish
