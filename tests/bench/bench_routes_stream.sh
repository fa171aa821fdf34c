#!/usr/bin/env bash
# bench_routes_stream.sh — what the parsed route stream (kafka.streams.routes)
# costs BMP ingest: a full table replayed into a fresh daemon with the
# stream off, then on (protobuf, to librdkafka's mock cluster), interleaved
# RUNS times (off/on, then on/off, ...). Each run: routes per CPU-second of
# circuitwatch, its CPU counted until it stops growing (so the encoding and
# the producer's threads are in), and for "on" the messages the stream
# produced and lost. Prints each run, the median per mode and the median
# on/off ratio. With OLD=DIR (another build's circuitwatch, e.g. of the
# commit before a change), each run also has "old": on, with that binary,
# interleaved in the same rotation, and the medians of old/off and of the
# stream's CPU per route, new against old.
#
# Expects a release build; builds nothing. Environment: BUILD
# (build/release), N4 (200000), N6 (20000), RUNS (5), ENCODING (protobuf),
# SEED (1), CACHE (/tmp/cw-bench-routes), OLD (none).
set -uo pipefail

source "$(dirname "$0")/lib.sh"
N4=${N4:-200000}
N6=${N6:-20000}
RUNS=${RUNS:-5}
ENCODING=${ENCODING:-protobuf}
SEED=${SEED:-1}
OLD=${OLD:-}
CACHE=${CACHE:-/tmp/cw-bench-routes}
TOTAL=$((N4 + N6))

bench_need "$CW" "$GEN" "$REPLAY" "$MOCK" ${OLD:+"$OLD/collector/circuitwatch"}

bench_workdir cw-bench-routes-run

metric_sum() { # metric_sum NAME-PREFIX: the sum of every sample whose line starts with it
  curl -s "$BASE/metrics" | awk -v m="$1" 'index($0, m) == 1 { s += $NF } END { print s + 0 }'
}

mkdir -p "$CACHE"
FULL=$CACHE/full-$N4-$N6-s$SEED.bmp
if [ ! -s "$FULL" ] || [ "$GEN" -nt "$FULL" ]; then
  "$GEN" --seed "$SEED" --ipv4 "$N4" --ipv6 "$N6" -o "$FULL.tmp" --verify >&2 || exit 1
  mv "$FULL.tmp" "$FULL"
fi

bench_mock_start circuitwatch.routes:3 circuitwatch.events:1
[ -n "$BS" ] || { echo "mock cluster did not start" >&2; exit 1; }

start_cw() { # start_cw on|off|old — sets CW_PID, BASE, BMP_PORT
  local prom; prom=$(free_port); BMP_PORT=$(free_port)
  local on=false bin=$CW; [ "$1" != off ] && on=true
  [ "$1" = old ] && bin=$OLD/collector/circuitwatch
  cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$prom"}
bmp: {listen: "127.0.0.1:$BMP_PORT", allow: ["127.0.0.0/8"]}
ifstats: {enabled: false}
probes: {enabled: false}
kafka:
  enabled: true
  brokers: [${BS//,/, }]
  librdkafka: {linger.ms: 20}
  streams:
    routes: {enabled: $on, topic: circuitwatch.routes, encoding: $ENCODING}
YAML
  "$bin" run --config "$WORK/cw.yaml" 2>>"$WORK/cw.log" &
  CW_PID=$!; PIDS+=("$CW_PID")
  BASE=http://127.0.0.1:$prom
  bench_wait_ready && return 0
  echo "circuitwatch did not become ready; log:" >&2; tail "$WORK/cw.log" >&2; exit 1
}
stop_cw() { kill "$CW_PID" 2>/dev/null; wait "$CW_PID" 2>/dev/null; }
prefixes() {
  curl -s "$BASE/metrics" | awk '/^circuitwatch_bgp_prefixes\{/ && index($0, "view=\"adj-rib-in-pre\"") { s += $NF } END { print s + 0 }'
}
# CPU seconds once they stop growing (under 10 ms in 500 ms)
cpu_settled() {
  local a b
  a=$(cpu_s "$CW_PID")
  while :; do
    sleep 0.5; b=$(cpu_s "$CW_PID")
    [ "$(calc "int($b - $a < 0.01)")" = 1 ] && { echo "$b"; return; }
    a=$b
  done
}

run() { # run on|off — prints "MODE routes_per_cpu_s cpu_s produced lost"
  local cpu0 cpu1 deadline=$((SECONDS + 300))
  start_cw "$1"
  cpu0=$(cpu_s "$CW_PID")
  "$REPLAY" --hold 3600 127.0.0.1 "$BMP_PORT" "$FULL" > /dev/null 2>>"$WORK/replay.err" &
  local rp=$!; PIDS+=("$rp")
  until [ "$(prefixes)" = "$TOTAL" ]; do
    [ "$SECONDS" -gt "$deadline" ] && { echo "timeout" >&2; exit 1; }
    sleep 0.05
  done
  cpu1=$(cpu_settled)
  local produced lost
  produced=$(metric_sum 'circuitwatch_kafka_stream_messages_queued_total{stream="routes"')
  lost=$(metric_sum 'circuitwatch_kafka_stream_messages_lost_total{stream="routes"')
  kill "$rp" 2>/dev/null; wait "$rp" 2>/dev/null
  stop_cw
  echo "$1 $(calc "$TOTAL / max($cpu1 - $cpu0, 0.001)") $(calc "$cpu1 - $cpu0") $produced $lost"
}

echo "== routes stream off vs on ($ENCODING): $TOTAL routes ($N4 IPv4, $N6 IPv6), $RUNS runs each, interleaved"
: > "$WORK/results"
for i in $(seq 1 "$RUNS"); do
  if [ $((i % 2)) = 1 ]; then order="off on"; else order="on off"; fi
  [ -n "$OLD" ] && case $((i % 3)) in
    1) order="off on old" ;; 2) order="old off on" ;; 0) order="on old off" ;;
  esac
  for m in $order; do
    r=$(run "$m") || exit 1
    echo "$r" >> "$WORK/results"
    set -- $r
    echo "   run $i $1: $(fmt "$2" ,.0f) routes per CPU-second (CPU $(fmt "$3" .2f) s), stream messages queued $4, lost $5"
  done
done
python3 - "$WORK/results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
off = [float(r[1]) for r in rows if r[0] == "off"]
on = [float(r[1]) for r in rows if r[0] == "on"]
old = [float(r[1]) for r in rows if r[0] == "old"]
ratios = [b / a for a, b in zip(off, on)]
print("   median off: %s routes per CPU-second" % format(statistics.median(off), ",.0f"))
print("   median on:  %s routes per CPU-second" % format(statistics.median(on), ",.0f"))
print("   on/off: median of the paired ratios %.3f (min %.3f, max %.3f)" %
      (statistics.median(ratios), min(ratios), max(ratios)))
if old:
    # the stream's own CPU per route: 1/on - 1/off, per run
    cost = lambda x, o: 1e9 / x - 1e9 / o
    print("   median old: %s routes per CPU-second" % format(statistics.median(old), ",.0f"))
    print("   old/off: median of the paired ratios %.3f" %
          statistics.median([b / a for a, b in zip(off, old)]))
    new_ns = [cost(b, a) for a, b in zip(off, on)]
    old_ns = [cost(b, a) for a, b in zip(off, old)]
    print("   stream CPU per route: new %.0f ns, old %.0f ns (medians); old/new %.2f "
          "(median of the paired ratios)" % (statistics.median(new_ns), statistics.median(old_ns),
          statistics.median([o / max(n, 1e-9) for o, n in zip(old_ns, new_ns)])))
PY
