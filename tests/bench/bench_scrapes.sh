#!/usr/bin/env bash
# bench_scrapes.sh — many Prometheus servers scraping one collector at once
# (issue 12: "no scrape over 1 s" with 200 concurrent scrapes).
#
# The demo config plus a generated BMP table (300 peers: ~3,700 samples on
# /metrics) replayed into the daemon; then ROUNDS rounds of N scrapes fired
# together (curl --parallel, gzip accepted, half asking for OpenMetrics),
# each round once the previous one is answered. Prints per-scrape latency
# p50/p99/max over all rounds and the exporter's cache counters.
#
# usage: tests/bench/bench_scrapes.sh [BUILD_DIR]   (default build/release)
#   CW=/path/to/circuitwatch   another daemon binary (e.g. an old build)
#   N=200 ROUNDS=5 PEERS=300   the load
set -uo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build/release}
CW=${CW:-$BUILD/collector/circuitwatch}
GEN=$BUILD/tests/gen_bmp_table REPLAY=$BUILD/tests/bmp_replay
N=${N:-200} ROUNDS=${ROUNDS:-5} PEERS=${PEERS:-300}
for x in "$CW" "$GEN" "$REPLAY"; do [ -x "$x" ] || { echo "missing $x (build first)"; exit 1; }; done
command -v curl >/dev/null || { echo "needs curl"; exit 1; }
WORK=$(mktemp -d /tmp/cw-bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
P=$(port) B=$(port)
sed -e "s/listen: \"127.0.0.1:10179\"/listen: \"127.0.0.1:$P\"/" \
    -e "s/listen: \"127.0.0.1:1790\"/listen: \"127.0.0.1:$B\"/" "$SRC/deploy/examples/demo.yaml" |
  sed -e "/^prometheus:/a\\  max_connections: $((N + 56))\\n  max_connections_per_address: $((N + 56))" \
    > "$WORK/cw.yaml"
grep -q '^prometheus:' "$WORK/cw.yaml" ||
  printf 'prometheus:\n  listen: "127.0.0.1:%s"\n  max_connections: %s\n  max_connections_per_address: %s\n' \
    "$P" $((N + 56)) $((N + 56)) >> "$WORK/cw.yaml"
"$GEN" --ipv4 200 --ipv6 20 --peers "$PEERS" -o "$WORK/t.bmp" >/dev/null
"$CW" run --config "$WORK/cw.yaml" 2>"$WORK/cw.log" & PIDS+=($!)
base=http://127.0.0.1:$P
for _ in $(seq 100); do curl -sf -o /dev/null "$base/-/ready" && break; sleep 0.1; done
"$REPLAY" --hold 3600 127.0.0.1 "$B" "$WORK/t.bmp" >/dev/null 2>&1 & PIDS+=($!)
# wait until the table is in (the sample count stops growing)
last=0
for _ in $(seq 60); do
  sleep 1
  n=$(curl -s "$base/metrics" | grep -vc '^#')
  [ "$n" -gt 1000 ] && [ "$n" = "$last" ] && break
  last=$n
done
echo "samples on /metrics: $n   concurrent scrapes: $N x $ROUNDS rounds"
OM='application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'
for i in $(seq "$N"); do
  [ "$i" -gt 1 ] && printf 'next\n'
  printf 'url = "%s/metrics"\noutput = "/dev/null"\nheader = "Accept-Encoding: gzip"\n' "$base"
  printf 'silent\nwrite-out = "%%{http_code} %%{time_total}\\n"\n'
  [ $((i % 2)) = 0 ] && printf 'header = "Accept: %s"\n' "$OM"
done > "$WORK/urls"
: > "$WORK/times"
for _ in $(seq "$ROUNDS"); do
  curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max "$N" -K "$WORK/urls" >> "$WORK/times"
  sleep 1.5
done
python3 - "$WORK/times" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
ok = sorted(float(t) for c, t in rows if c == "200")
bad = len(rows) - len(ok)
def q(p): return ok[min(len(ok) - 1, int(p * len(ok)))] * 1000
print(f"answered 200: {len(ok)}/{len(rows)}   p50 {q(0.5):.1f} ms   p99 {q(0.99):.1f} ms   max {ok[-1]*1000:.1f} ms")
if bad: print(f"NOT 200: {bad}")
PY
sleep 1.1
curl -s "$base/metrics" | grep -E '^circuitwatch_(scrape_cache_total|scrape_duration_seconds_(sum|count))'
