#!/usr/bin/env bash
# bench_capture.sh — offline capture decoding benchmark (issue 4): the
# capture pipeline against a bare libpcap read loop and against tshark, on
# the same file.
#
# Expects a release build (cmake --preset release && cmake --build --preset
# release); builds nothing. Generates a capture once into $CACHE with
# tests/tools/gen_pcap (SESSIONS eBGP sessions over 802.1Q/QinQ, each with
# an N4 + N6 prefix table, plus DATA background frames per VLAN), then:
#   1. bench_capture: best of RUNS passes each of a bare pcap_next_ex loop
#      and the capture pipeline without output (frame decode, per-VLAN
#      accounting, flows, reassembly, BGP framing, UPDATE and NLRI decode);
#      packets/s, Gbit/s, the pipeline/bare ratio (target >= 50 %), and the
#      BGP messages and prefixes found against the generator's counts;
#   2. tshark -n -T fields -e frame.number (every frame dissected, nothing
#      filtered) and tshark -n -Y bgp -T fields -e bgp.type (BGP messages
#      counted through its TCP reassembly): wall time, packets/s, ratios.
# The page cache is warm (the file was just written or read).
#
# Environment: BUILD (build/release), SESSIONS (8), N4 (100000), N6 (20000),
# DATA (150000 background frames per VLAN), DATA_MAX (1400 payload bytes),
# SEED (1), RUNS (3), CACHE (/tmp/cw-bench-capture), TSHARK (tshark; "" to
# skip), TIMEOUT (600 s per tshark run). Quick run:
#   QUICK=1 tests/bench/bench_capture.sh
set -uo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$SRC/build/release}
GEN=$BUILD/tests/gen_pcap
BENCH=$BUILD/tests/bench_capture
if [ -n "${QUICK:-}" ]; then
  : "${N4:=10000}" "${N6:=2000}" "${DATA:=10000}"
fi
SESSIONS=${SESSIONS:-8}
N4=${N4:-100000}
N6=${N6:-20000}
DATA=${DATA:-150000}
DATA_MAX=${DATA_MAX:-1400}
SEED=${SEED:-1}
RUNS=${RUNS:-3}
CACHE=${CACHE:-/tmp/cw-bench-capture}
TSHARK=${TSHARK-tshark}
TIMEOUT=${TIMEOUT:-600}

for b in "$GEN" "$BENCH"; do
  [ -x "$b" ] || { echo "missing $b: build the release preset first" >&2; exit 2; }
done
command -v jq >/dev/null || { echo "needs jq" >&2; exit 2; }

WORK=$(mktemp -d /tmp/cw-bench-capture-run.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$CACHE" || exit 2
NAME=k$SESSIONS-v4_$N4-v6_$N6-d$DATA-m$DATA_MAX-s$SEED
PCAP=$CACHE/$NAME.pcap
META=$CACHE/$NAME.json
if [ ! -s "$PCAP" ] || [ ! -s "$META" ]; then
  echo "generating $PCAP ..."
  "$GEN" -o "$PCAP.tmp" -k "$SESSIONS" -4 "$N4" -6 "$N6" -d "$DATA" --data-max "$DATA_MAX" \
    -s "$SEED" >"$META.tmp" || { rm -f "$PCAP.tmp" "$META.tmp"; exit 2; }
  mv "$PCAP.tmp" "$PCAP" && mv "$META.tmp" "$META"
fi

# What a correct decoder finds: every BGP message of both senders, and every
# announced prefix (the generator withdraws none).
EXP_MSGS=$(jq '[.sessions[] | (.customer_sent, .provider_sent)
                | .OPEN + .UPDATE + .NOTIFICATION + .KEEPALIVE] | add' "$META")
EXP_PFX=$(jq '[.sessions[] | (.customer_sent, .provider_sent) | .ipv4 + .ipv6] | add' "$META")
FRAMES=$(jq .frames "$META")
BYTES=$(jq .bytes "$META")
echo "capture: $PCAP ($(du -m "$PCAP" | cut -f1) MiB, $FRAMES frames, $BYTES bytes on the wire;" \
  "$SESSIONS sessions, $N4 IPv4 + $N6 IPv6 prefixes each, $DATA background frames per VLAN)"
echo "expected: $EXP_MSGS BGP messages, $EXP_PFX prefixes announced"
echo

echo "== bench_capture (best of $RUNS) =="
"$BENCH" --runs "$RUNS" --expect-messages "$EXP_MSGS" --expect-prefixes "$EXP_PFX" "$PCAP" \
  | tee "$WORK/bench.out"
rc=${PIPESTATUS[0]}
RESULT=$(grep '^RESULT ' "$WORK/bench.out")
val() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$RESULT"; }
BARE_PPS=$(val bare_pps)
PIPE_PPS=$(val pipeline_pps)
[ -n "$BARE_PPS" ] || { echo "bench_capture failed" >&2; exit 2; }
awk -v r="$(val ratio)" 'BEGIN { printf "target (pipeline >= 50 %% of bare): %s\n",
                                 (r >= 0.5 ? "met" : "NOT met") }'
echo

if [ -z "$TSHARK" ] || ! command -v "$TSHARK" >/dev/null; then
  echo "tshark: skipped"
  exit "$rc"
fi
echo "== tshark ($("$TSHARK" --version | head -1)) =="
# Runs "$@" under timeout; prints the wall seconds, or "" on failure.
timed() {
  local t0 t1
  t0=$(date +%s.%N)
  timeout "$TIMEOUT" "$@" 2>"$WORK/err" || { cat "$WORK/err" >&2; return 1; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }' >"$WORK/secs"
}
report() { # name seconds
  awk -v n="$1" -v s="$2" -v p="$FRAMES" -v by="$BYTES" -v bare="$BARE_PPS" -v pipe="$PIPE_PPS" \
    'BEGIN { pps = p / s
             printf "%-22s %8.3f s %12.0f packets/s %7.3f Gbit/s  bare/tshark %6.1fx  pipeline/tshark %6.1fx\n",
                    n, s, pps, by * 8 / s / 1e9, bare / pps, pipe / pps }'
}
if timed "$TSHARK" -n -r "$PCAP" -T fields -e frame.number >"$WORK/frames.out"; then
  report "all frames" "$(cat "$WORK/secs")"
  echo "                       ($(wc -l <"$WORK/frames.out") frames)"
else
  echo "tshark (all frames) failed or timed out after $TIMEOUT s"
fi
rm -f "$WORK/frames.out"
if timed "$TSHARK" -n -r "$PCAP" -Y bgp -T fields -e bgp.type >"$WORK/bgp.out"; then
  report "-Y bgp, bgp.type" "$(cat "$WORK/secs")"
  # one line per frame with BGP, its messages' types comma-separated
  echo "                       ($(awk -F, '{ n += NF } END { print n + 0 }' "$WORK/bgp.out")" \
    "BGP messages in $(wc -l <"$WORK/bgp.out") frames; expected $EXP_MSGS)"
else
  echo "tshark (-Y bgp) failed or timed out after $TIMEOUT s"
fi
exit "$rc"
