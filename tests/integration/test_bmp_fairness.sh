#!/usr/bin/env bash
# BMP ingest shares the loop thread with the daemon's timers: while
# ROUTERS routers stream full tables at once, the housekeeping timer must
# keep firing, so /metrics (published every 1 s from it) keeps moving. The
# listener spends a bounded slice per loop turn and then yields (counted in
# circuitwatch_bmp_ingest_yields_total); without that a loop turn lasted as
# long as the routers kept the sockets full, the timer fired once per turn,
# and the published prefix counts stood still for many seconds. One router
# reconnects mid-table, taking its session over from a held-back connection.
# Environment: ROUTERS (16), ROUTES (800000 IPv4 routes per router), MAX_GAP
# (3 s: the longest /metrics may stand still during ingest; generous).
source "$(dirname "$0")/lib.sh"
need curl; need python3
BUILD=${CW_BUILD_DIR:?CW_BUILD_DIR is not set (run through ctest)}
GEN=$BUILD/tests/gen_bmp_table REPLAY=$BUILD/tests/bmp_replay
[ -x "$GEN" ] && [ -x "$REPLAY" ] || skip "gen_bmp_table/bmp_replay not built"
ROUTERS=${ROUTERS:-16}
ROUTES=${ROUTES:-800000}
MAX_GAP=${MAX_GAP:-3}

"$GEN" --seed 7 --ipv4 "$ROUTES" --ipv6 0 -o "$WORK/table.bmp" >/dev/null 2>&1 \
  || { bad "gen_bmp_table"; finish; }

port=$(free_port)
bport=$(free_port)
base="http://127.0.0.1:$port"
cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$port"}
bmp: {listen: "127.0.0.1:$bport", allow: ["127.0.0.0/8"], max_routers: 64}
YAML
start_cw "$WORK/cw.log" run --config "$WORK/cw.yaml"
check "daemon ready" wait_http "$base/-/ready"

# the sum of the published Adj-RIB-In prefix counts over every router
prefixes() {
  curl -s --max-time 5 "$base/metrics" | awk '
    /^circuitwatch_bgp_prefixes\{/ && index($0, "view=\"adj-rib-in-pre\"") { s += $NF }
    END { print s + 0 }'
}

for i in $(seq 1 "$ROUTERS"); do
  "$REPLAY" --bind "127.0.0.$((i + 1))" --hold 120 127.0.0.1 "$bport" "$WORK/table.bmp" \
    > "$WORK/replay$i.out" 2>&1 &
  PIDS+=($!)
done
# a second connection of the first router while its first one is likely
# held back mid-table: the takeover must work on a paused connection too
sleep 1
"$REPLAY" --bind 127.0.0.2 --hold 120 127.0.0.1 "$bport" "$WORK/table.bmp" > "$WORK/replay-again.out" 2>&1 &
PIDS+=($!)

# samples every 0.2 s: the longest time the published count stood still
# between the start and the full count (the first publish included)
want=$((ROUTERS * ROUTES))
python3 - "$want" "$MAX_GAP" "$base" > "$WORK/gaps.txt" <<'PY'
import sys, time, urllib.request
want, max_gap, base = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
def count():
    try:
        body = urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
    except Exception:
        return None
    return sum(float(l.rsplit(" ", 1)[1]) for l in body.splitlines()
               if l.startswith("circuitwatch_bgp_prefixes{") and 'view="adj-rib-in-pre"' in l)
start = last_t = time.monotonic(); last = count(); gap = 0.0
while time.monotonic() - start < 120:
    c = count(); t = time.monotonic()
    if c is not None and c != last:
        gap = max(gap, t - last_t); last, last_t = c, t
    if c is not None and c >= want:
        break
    time.sleep(0.2)
print(f"count={last:.0f} want={want} longest_still={gap:.2f}s ingest={last_t - start:.2f}s")
PY
cat "$WORK/gaps.txt"
check "every router's table is in" grep -q "count=$want " "$WORK/gaps.txt"
gap=$(sed -n 's/.*longest_still=\([0-9.]*\)s.*/\1/p' "$WORK/gaps.txt")
check "/metrics moved at least every ${MAX_GAP} s during ingest (longest ${gap} s)" \
  python3 -c "import sys; sys.exit(0 if float('$gap') <= $MAX_GAP else 1)"
y=$(curl -s "$base/metrics" | awk '/^circuitwatch_bmp_ingest_yields_total /{print $2}')
check "ingest yielded its slice (circuitwatch_bmp_ingest_yields_total ${y:-absent})" \
  python3 -c "import sys; sys.exit(0 if float('${y:-0}') > 0 else 1)"
metric() { curl -s "$base/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
check "the second connection of 127.0.0.2 took its session over" \
  test "$(metric circuitwatch_bmp_sessions_superseded_total)" = 1
check "daemon still running" kill -0 "$CW_PID"
finish
