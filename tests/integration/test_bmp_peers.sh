#!/usr/bin/env bash
# Many peers (issue 12, item 5): 4 BMP routers (127.0.0.2-5) each announce
# 3,000 peers (250 routes each) with bmp.max_peers_per_router 1000 and prometheus.max_series
# 40000. Checks the cap (1,000 peers per router, the rest dropped and
# counted), the series budget (bounded /metrics, refusals counted and logged
# once, the configured neighbour published), and that after the routers
# disconnect (bmp.peer_retention 0s) the unconfigured peers and their series
# go, the configured neighbour stays with session_up 0, and VmRSS falls back
# near its baseline.
source "$(dirname "$0")/lib.sh"
need curl; need python3
BUILD=${CW_BUILD_DIR:?CW_BUILD_DIR is not set (run through ctest)}
GEN=$BUILD/tests/gen_bmp_table REPLAY=$BUILD/tests/bmp_replay
[ -x "$GEN" ] && [ -x "$REPLAY" ] || skip "gen_bmp_table/bmp_replay not built"
ROUTERS=4 PEERS=3000 CAP=1000 BUDGET=40000

port=$(free_port); bport=$(free_port)
base="http://127.0.0.1:$port"
# peer 0 of every router is 198.18.0.2, AS 12076: the configured neighbour
cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$port", max_series: $BUDGET}
bmp: {listen: "127.0.0.1:$bport", max_peers_per_router: $CAP, peer_retention: 0s}
circuits:
$(er1_circuit_yaml '{address: 198.18.0.2}')
YAML
"$GEN" --peers "$PEERS" --ipv4 200 --ipv6 50 --peer-as 12076 -o "$WORK/t.bmp" >/dev/null ||
  { bad "gen_bmp_table"; finish; }
per=$("$GEN" --check "$WORK/t.bmp" | grep -oE '[0-9]+ (initiation|peer-up|route-monitoring|peer-down)' |
  awk '{n += $1} END {print n}')
start_cw "$WORK/cw.log" run --config "$WORK/cw.yaml"
check "daemon ready" wait_http "$base/-/ready"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$CW_PID/status"; }
scrape() { curl -s -o "$WORK/m.txt" "$base/metrics"; }
val() { grep -F "$1" "$WORK/m.txt" | awk '{s += $NF} END {printf "%d\n", s}'; }
msgs() { scrape; val 'circuitwatch_bmp_messages_total{'; }
sleep 2
rss0=$(rss)

RP=()
for i in $(seq 2 $((ROUTERS + 1))); do
  "$REPLAY" --bind "127.0.0.$i" --hold 86400 127.0.0.1 "$bport" "$WORK/t.bmp" >/dev/null 2>&1 &
  PIDS+=($!); RP+=($!)
done
want=$((per * ROUTERS))
check "every message of the $ROUTERS routers read" until_true 240 sh -c "[ \"\$(curl -s '$base/metrics' | awk '/^circuitwatch_bmp_messages_total\{/ {n += \$NF} END {printf \"%d\", n}')\" -ge $want ]"
sleep 3 # a publish round after the last message
rsspk=$(rss)
scrape
bytes=$(stat -c %s "$WORK/m.txt")
series=$(grep -vc '^#' "$WORK/m.txt")
echo "# RSS baseline ${rss0} KiB, peak ${rsspk} KiB; /metrics $bytes bytes, $series samples"

for i in $(seq 2 $((ROUTERS + 1))); do
  check "router 127.0.0.$i: $CAP peers up" \
    test "$(val "circuitwatch_bmp_router_peers{router=\"127.0.0.$i\",state=\"up\"}")" = "$CAP"
  check "router 127.0.0.$i: messages of refused peers counted as dropped" \
    test "$(val "circuitwatch_bmp_messages_dropped_total{router=\"127.0.0.$i\",reason=\"peer_limit\"}")" -gt 0
done
live=$(val 'circuitwatch_metrics_series ')
check "series within the budget ($live <= $BUDGET)" test "$live" -gt 0 -a "$live" -le "$BUDGET"
check "/metrics bounded ($bytes bytes < 12 MB)" test "$bytes" -lt 12000000
check "refused series counted" test "$(val 'circuitwatch_metrics_series_refused_total{reason="series_budget"}')" -gt 0
check "the configured neighbour published under the budget on every router" \
  test "$(grep -c '^circuitwatch_bgp_session_up{.*circuit="er-1".*} 1$' "$WORK/m.txt")" = "$ROUTERS"
check "refused peers logged (rate-limited)" \
  test "$(grep -c 'peer refused' "$WORK/cw.log")" -ge 1 -a "$(grep -c 'peer refused' "$WORK/cw.log")" -le 12
check "series refusal logged once" test "$(grep -c 'metrics series refused' "$WORK/cw.log")" = 1

for p in "${RP[@]}"; do kill "$p" 2>/dev/null; done
gone() { scrape; [ "$(grep -c '^circuitwatch_bgp_session_up{' "$WORK/m.txt")" = "$ROUTERS" ]; }
check "unconfigured peers and their series released after the routers went" until_true 30 gone
check "configured neighbours kept with session_up 0" \
  test "$(grep -c '^circuitwatch_bgp_session_up{.*circuit="er-1".*} 0$' "$WORK/m.txt")" = "$ROUTERS"
check "router totals: 1 peer left, down" \
  test "$(val 'circuitwatch_bmp_router_peers{router="127.0.0.2",state="down"}')" = 1
# memory back: within a third of the growth (and 24 MiB) of the baseline
bound=$(( rss0 + (rsspk - rss0) / 3 )); [ "$bound" -lt $((rss0 + 24576)) ] && bound=$((rss0 + 24576))
settled() { [ "$(rss)" -le "$bound" ]; }
if grep -q '^CW_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null; then
  # ASan quarantines freed memory and has its own allocator: RSS says nothing there
  echo "# RSS check skipped in the sanitizer build"
else
  check "RSS falls back (peak $rsspk KiB -> <= $bound KiB)" until_true 30 settled
fi
echo "# RSS after the routers went: $(rss) KiB; $(grep -vc '^#' "$WORK/m.txt") samples"
kill -TERM "$CW_PID"; wait_exit "$CW_PID" 20
check "SIGTERM: clean exit 0 (no leak under ASan)" test "$RC" = 0
finish
