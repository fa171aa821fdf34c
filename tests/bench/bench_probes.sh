#!/usr/bin/env bash
# bench_probes.sh — the probe engine at scale (issue 5 benchmark): TARGETS
# probe targets (default 10,000) at one probe per second each, on one core
# (taskset -c CPU), for DURATION seconds (default 30) after a first interval that
# spreads the targets' first probes.
#
#   1. bench_probes -m icmp: ICMP echo to 127.0.0.1, all targets on one
#      shared socket (raw as root; the datagram socket when
#      ping_group_range allows), answered by the kernel;
#   2. bench_probes -m stamp: one STAMP session (its own UDP socket) per
#      target, answered by `circuitwatch reflect` on 127.0.0.1 pinned to
#      another core;
#   3. the daemon itself with TARGETS ICMP probes in its config, /metrics
#      included: CPU per wall second from /proc/PID/stat over DURATION.
#
# Prints one JSON line per engine run (CPU seconds per wall second, send
# lateness p50/p99/p99.9 — actual send minus scheduled time — and probe
# counts) and one line for the daemon.
#
# Expects a release build (cmake --preset release && cmake --build --preset
# release); builds nothing. Environment: BUILD (build/release), TARGETS
# (10000), DURATION (30), CPU (0), REFLECT_CPU (1), PORT (18620). Root for
# raw ICMP sockets and for 10,000 sockets' file descriptors (ulimit -n).
set -uo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$SRC/build/release}
BENCH=$BUILD/tests/bench_probes
CW=$BUILD/collector/circuitwatch
TARGETS=${TARGETS:-10000}
SECS=${DURATION:-30} # (not SECONDS: bash's own clock)
CPU=${CPU:-0}
REFLECT_CPU=${REFLECT_CPU:-1}
PORT=${PORT:-18620}

for b in "$BENCH" "$CW"; do
  [ -x "$b" ] || { echo "missing $b: build the release preset first" >&2; exit 2; }
done
ulimit -n $((TARGETS + 1024)) 2>/dev/null || echo "warning: ulimit -n $((TARGETS + 1024)) refused; STAMP may run out of descriptors" >&2

WORK=$(mktemp -d /tmp/cw-bench-probes.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$WORK"' EXIT

echo "# engine, ICMP echo to 127.0.0.1, $TARGETS targets at 1/s, ${SECS}s on CPU $CPU"
taskset -c "$CPU" "$BENCH" -m icmp -n "$TARGETS" -s "$SECS" -a 127.0.0.1

echo "# engine, STAMP to circuitwatch reflect on 127.0.0.1:$PORT (CPU $REFLECT_CPU), $TARGETS sessions at 1/s"
taskset -c "$REFLECT_CPU" "$CW" reflect --listen "127.0.0.1:$PORT" > "$WORK/reflect.out" 2>&1 &
RPID=$!
sleep 0.5
taskset -c "$CPU" "$BENCH" -m stamp -n "$TARGETS" -s "$SECS" -a 127.0.0.1 -p "$PORT"
# what reached the reflector: a shortfall against "sent" was lost on the
# way in (its socket buffer: see RcvbufErrors in /proc/net/snmp)
kill -TERM "$RPID"; wait "$RPID" 2>/dev/null
echo "# reflector: $(grep -o 'received=.*' "$WORK/reflect.out")"

echo "# daemon, $TARGETS ICMP probes to 127.0.0.1 in its config, /metrics on 127.0.0.1:$((PORT + 1))"
{
  printf 'prometheus:\n  listen: "127.0.0.1:%s"\nbmp:\n  enabled: false\nifstats:\n  enabled: false\n' $((PORT + 1))
  printf 'circuits:\n  - id: bench\n    provider: expressroute\n    bandwidth: 1Gbps\n    links:\n      primary:\n'
  printf '        peerings: [{type: private, neighbors: [{address: 198.18.0.2}]}]\n        probes:\n'
  for i in $(seq 1 "$TARGETS"); do
    printf '          - {name: p%s, type: icmp, target: 127.0.0.1}\n' "$i"
  done
} > "$WORK/cw.yaml"
taskset -c "$CPU" "$CW" -c "$WORK/cw.yaml" --log-level warn 2> "$WORK/cw.log" &
DPID=$!
PIDS+=("$DPID")
for _ in $(seq 1 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$((PORT + 1))/-/ready" && break
  sleep 0.2
done
sleep 2 # the first interval
ticks() { awk '{print $14 + $15}' "/proc/$DPID/stat"; }
HZ=$(getconf CLK_TCK)
t0=$(ticks); w0=$(date +%s.%N)
sleep "$SECS"
t1=$(ticks); w1=$(date +%s.%N)
BYTES=$(curl -s "http://127.0.0.1:$((PORT + 1))/metrics" | wc -c)
SENT=$(curl -s "http://127.0.0.1:$((PORT + 1))/metrics" |
  awk '/^circuitwatch_probe_sent_total\{/ {s += $NF} END {printf "%d", s}')
RSS=$(awk '/VmRSS/ {print $2}' "/proc/$DPID/status")
awk -v t0="$t0" -v t1="$t1" -v w0="$w0" -v w1="$w1" -v hz="$HZ" -v n="$TARGETS" \
  -v bytes="$BYTES" -v sent="$SENT" -v rss="$RSS" 'BEGIN {
  printf "{\"mode\":\"daemon-icmp\",\"targets\":%d,\"seconds\":%.1f,\"cpu_per_wall_second\":%.4f,", n, w1 - w0, (t1 - t0) / hz / (w1 - w0)
  printf "\"sent_total\":%d,\"metrics_bytes\":%d,\"rss_kib\":%d}\n", sent, bytes, rss
}'
