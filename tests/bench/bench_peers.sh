#!/usr/bin/env bash
# bench_peers.sh — many routers announcing many peers (issue 12, item 5):
# ROUTERS BMP sessions from 127.0.0.2.. each report PEERS peers with N4 IPv4
# and N6 IPv6 routes. Prints the collector's RSS (VmRSS) before, at peak
# (everything ingested) and after the routers disconnect, the /metrics size,
# its series count and the time of one scrape, and the RSS growth per peer
# (ROUTERS=1 PEERS=1000 N4=10 N6=0 is bench_bmp.sh's per-peer figure).
#
# Expects a release build; builds nothing. Environment: CW (the binary,
# default build/release/collector/circuitwatch), ROUTERS (20), PEERS (4096),
# N4 (20), N6 (5), BMP_EXTRA (extra keys of the bmp section, e.g.
# "max_peers_per_router: 4096, peer_retention: 0s"; empty for a binary that
# does not know them), PROM_EXTRA (same for prometheus), AFTER (seconds to
# wait after the disconnect, 15; RSS is printed each second of it, and the
# histogram of model_gc steps at its end), CACHE (/tmp/cw-bench-peers).
set -uo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$SRC/build/release}
CW=${CW:-$BUILD/collector/circuitwatch}
GEN=$BUILD/tests/gen_bmp_table
REPLAY=$BUILD/tests/bmp_replay
ROUTERS=${ROUTERS:-20}
PEERS=${PEERS:-4096}
N4=${N4:-20}
N6=${N6:-5}
AFTER=${AFTER:-15}
BMP_EXTRA=${BMP_EXTRA:-}
PROM_EXTRA=${PROM_EXTRA:-}
CACHE=${CACHE:-/tmp/cw-bench-peers}
WORK=$(mktemp -d /tmp/cw-bench-peers.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$WORK"' EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
msgs() { curl -s "http://127.0.0.1:$PPORT/metrics" |
  awk '/^circuitwatch_bmp_messages_total\{/ {n += $NF} END {printf "%d\n", n}'; }

mkdir -p "$CACHE"
STREAM=$CACHE/p$PEERS-$N4-$N6.bmp
[ -s "$STREAM" ] || "$GEN" --peers "$PEERS" --ipv4 "$N4" --ipv6 "$N6" -o "$STREAM" >/dev/null || exit 1
# BMP messages per stream: initiation + peer-up + route-monitoring + peer-down
PER=$("$GEN" --check "$STREAM" | grep -oE '[0-9]+ (initiation|peer-up|route-monitoring|peer-down)' |
  awk '{n += $1} END {print n}')

PPORT=$(port); BPORT=$(port)
sep=; [ -n "$BMP_EXTRA" ] && sep=", "
psep=; [ -n "$PROM_EXTRA" ] && psep=", "
cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$PPORT"$psep$PROM_EXTRA}
bmp: {listen: "127.0.0.1:$BPORT", max_routers: 256$sep$BMP_EXTRA}
YAML
"$CW" run --config "$WORK/cw.yaml" 2>"$WORK/cw.log" &
CWPID=$!; PIDS+=("$CWPID")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PPORT/-/ready" >/dev/null && break; sleep 0.1; done
sleep 2
rss0=$(rss_kib "$CWPID")

for i in $(seq 2 $((ROUTERS + 1))); do
  "$REPLAY" --bind "127.0.0.$i" --hold 86400 127.0.0.1 "$BPORT" "$STREAM" >/dev/null 2>&1 &
  PIDS+=($!); RPIDS+=($!)
done
want=$((PER * ROUTERS)); t0=$(date +%s)
while [ "$(msgs)" -lt "$want" ] && [ $(($(date +%s) - t0)) -lt 300 ]; do sleep 1; done
sleep 3 # a publish round or two
rsspk=$(rss_kib "$CWPID")
s=$(date +%s.%N); curl -s -o "$WORK/m.txt" "http://127.0.0.1:$PPORT/metrics"; e=$(date +%s.%N)
bytes=$(stat -c %s "$WORK/m.txt")
series=$(grep -vc '^#' "$WORK/m.txt")
scrape=$(python3 -c "print(f'{$e - $s:.2f}')")

for p in "${RPIDS[@]}"; do kill "$p" 2>/dev/null; done
trace=
for _ in $(seq "$AFTER"); do sleep 1; trace="$trace $(( $(rss_kib "$CWPID") / 1024 ))"; done
rss1=$(rss_kib "$CWPID")
curl -s -o "$WORK/m2.txt" "http://127.0.0.1:$PPORT/metrics"
series1=$(grep -vc '^#' "$WORK/m2.txt")

echo "routers=$ROUTERS peers/router=$PEERS routes/peer=$((N4 + N6)) messages=$(msgs)/$want"
echo "RSS before ${rss0} KiB, peak ${rsspk} KiB, ${AFTER}s after disconnect ${rss1} KiB"
# per peer reported: peers over bmp.max_peers_per_router count too (none at PEERS=1000)
echo "per peer: $(( (rsspk - rss0) * 1024 / (ROUTERS * PEERS) )) bytes of RSS growth (model, decode context, RIB, metric series and their publishing) per peer reported"
echo "/metrics at peak: $bytes bytes, $series series, scrape ${scrape} s; after: $series1 series"
echo "RSS each second after the disconnect (MiB):$trace"
# the loop's steps of giving memory back (CPU each; absent in older builds)
awk -F'[{}"]' '/^circuitwatch_model_gc_step_seconds_bucket\{/ { split($NF, v, " ");
  printf "%s%s<=%s", (n++ ? ", " : "model_gc steps: "), v[1] - prev, $3; prev = v[1] }
  END { if (n) print "" }' "$WORK/m2.txt"
grep -m3 -E 'refused|peer refused' "$WORK/cw.log" | cut -c1-240
