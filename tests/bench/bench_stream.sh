#!/usr/bin/env bash
# bench_stream.sh — the cost of the raw BMP stream (kafka.streams.bmp_raw):
# a full table ingested with the stream off and on, into librdkafka's mock
# cluster (tests/tools/kafka_mock, a separate process: its CPU is not
# counted), runs interleaved (off, on, off, on, ...).
#
# Expects a release build; builds nothing. Per run: a fresh mock cluster
# and a fresh daemon (kafka enabled in both cases: only the stream
# differs); bmp_replay sends the table; the run ends when the prefix counts
# on /metrics are complete and, with the stream on, every message was
# delivered (acks=all) or counted lost. Prints per run the routes per
# CPU-second of the daemon (all its threads: BMP workers, loop, librdkafka),
# the wall time, and for the stream its messages delivered, lost and the
# spool's high-water mark; then the medians and the on/off ratio.
#
# Two tables: one prefix per Route Monitoring (a message per route: the
# stream's worst case), and packed UPDATEs (--pack PACK, as routers send a
# table).
#
# Environment: BUILD (build/release), N4 (1000000), N6 (200000), RUNS (3
# of each), PACK (32), SEED (1), CACHE (/tmp/cw-bench-bmp, shared with bench_bmp.sh),
# QUEUE (100000: kafka.queue_max_messages), TIMEOUT (300 s per wait), RDKAFKA
# (more librdkafka properties, "key: value, ..."; none by default).
# OLD (a circuitwatch binary, e.g. an earlier build: each run then adds a
# stream-on run of it, interleaved off, on (OLD), on, ..., and prints the
# on/on ratio against it); TABLES (both | full | packed).
# Quick run: N4=200000 N6=20000 RUNS=2 tests/bench/bench_stream.sh
set -uo pipefail

source "$(dirname "$0")/lib.sh"
N4=${N4:-1000000}
N6=${N6:-200000}
RUNS=${RUNS:-3}
PACK=${PACK:-32}
SEED=${SEED:-1}
CACHE=${CACHE:-/tmp/cw-bench-bmp}
QUEUE=${QUEUE:-100000}
TIMEOUT=${TIMEOUT:-300}
OLD=${OLD:-}
TABLES=${TABLES:-both}
TOTAL=$((N4 + N6))

bench_need "$CW" "$GEN" "$REPLAY" "$MOCK" ${OLD:+"$OLD"}

bench_workdir cw-bench-stream


mkdir -p "$CACHE"
gen() { # gen NAME ARGS... — $CACHE/NAME.bmp (the names of bench_bmp.sh)
  local f=$CACHE/$1.bmp; shift
  if [ ! -s "$f" ] || [ "$GEN" -nt "$f" ]; then
    "$GEN" --seed "$SEED" "$@" -o "$f.tmp" --verify >&2 || { echo "generation failed: $f" >&2; exit 1; }
    mv "$f.tmp" "$f"
  fi
  echo "$f"
}
count_msgs() {
  python3 - "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read(); p = n = 0
while p + 6 <= len(b):
    p += struct.unpack_from("!I", b, p + 1)[0]; n += 1
print(n)
PY
}
FULL=$(gen "full-$N4-$N6-s$SEED" --ipv4 "$N4" --ipv6 "$N6") || exit 1
PACKED=$(gen "packed$PACK-$N4-$N6-s$SEED" --ipv4 "$N4" --ipv6 "$N6" --pack "$PACK") || exit 1

mock_start() { bench_mock_start cw.events:1 cw.alerts:1 openbmp.bmp_raw:3; } # sets BS, MOCK_PID
mock_stop() { exec 7>&-; kill "$MOCK_PID" 2>/dev/null; wait "$MOCK_PID" 2>/dev/null; }

cw_start() { # cw_start RAW(true|false) [BINARY] — sets CW_PID, BASE, BMP_PORT
  local prom; prom=$(free_port); BMP_PORT=$(free_port)
  rm -rf "$WORK/spool"
  cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$prom"}
bmp: {listen: "127.0.0.1:$BMP_PORT", allow: ["127.0.0.0/8"]}
kafka:
  enabled: true
  brokers: [$BS]
  topic_events: cw.events
  topic_alerts: cw.alerts
  spool_dir: $WORK/spool
  queue_max_messages: $QUEUE
  librdkafka: {log_level: 3${RDKAFKA:+, $RDKAFKA}}
  streams:
    admin_id: bench
    bmp_raw: {enabled: $1}
YAML
  "${2:-$CW}" run --config "$WORK/cw.yaml" 2>>"$WORK/cw.log" &
  CW_PID=$!; PIDS+=("$CW_PID")
  BASE=http://127.0.0.1:$prom
  bench_wait_ready && return 0
  echo "circuitwatch did not become ready" >&2; cat "$WORK/cw.log" >&2; exit 1
}
cw_stop() { kill "$CW_PID" 2>/dev/null; wait "$CW_PID" 2>/dev/null; }
metric_sum() { # metric_sum PREFIX — sum of the series starting with PREFIX
  curl -s "$BASE/metrics" | awk -v m="$1" 'index($1, m) == 1 { s += $2 } END { printf "%.0f\n", s + 0 }'
}
prefixes() {
  curl -s "$BASE/metrics" | awk '/^circuitwatch_bgp_prefixes\{/ && index($0, "view=\"adj-rib-in-pre\"") { s += $NF } END { printf "%.0f\n", s + 0 }'
}
S='{stream="bmp_raw"'
done_when() { # done_when RAW — counts complete and, with the stream, all delivered or lost
  local deadline=$((SECONDS + TIMEOUT)) spool=0 s
  T_INGEST=
  while :; do
    if [ "$(prefixes)" = "$TOTAL" ]; then
      [ -z "$T_INGEST" ] && now > "$WORK/t_ingest" && T_INGEST=1
      [ "$1" = false ] && { echo "$(now) 0"; return 0; }
      s=$(metric_sum "circuitwatch_kafka_stream_spool_bytes$S")
      [ "$s" -gt "$spool" ] && spool=$s
      local d l; d=$(metric_sum "circuitwatch_kafka_stream_messages_delivered_total$S")
      l=$(metric_sum "circuitwatch_kafka_stream_messages_lost_total$S")
      [ $((d + l)) -ge "$MSGS" ] && { echo "$(now) $spool"; return 0; }
    fi
    [ "$SECONDS" -gt "$deadline" ] && { echo "timeout" >&2; return 1; }
    sleep 0.05
  done
}

echo "circuitwatch raw-stream benchmark on $(nproc) cores; $(uname -r); $(date -u +%FT%TZ)"
case $TABLES in
  full) LIST=("$FULL") ;; packed) LIST=("$PACKED") ;; *) LIST=("$FULL" "$PACKED") ;;
esac
for TABLE in "${LIST[@]}"; do
MSGS=$(count_msgs "$TABLE")
echo "== $(basename "$TABLE"): $TOTAL routes in $MSGS BMP messages; queue_max_messages $QUEUE; $RUNS runs of each, interleaved"
: > "$WORK/results"
for i in $(seq 1 "$RUNS"); do
  for mode in false ${OLD:+old} true; do
    raw=$mode bin=$CW
    [ "$mode" = old ] && raw=true bin=$OLD
    mock_start
    cw_start "$raw" "$bin"
    cpu0=$(cpu_s "$CW_PID"); t0=$(now)
    "$REPLAY" --hold 3600 127.0.0.1 "$BMP_PORT" "$TABLE" > /dev/null 2>>"$WORK/replay.err" &
    RP=$!; PIDS+=("$RP")
    out=$(done_when "$raw") || exit 1
    t1=${out% *}; spool=${out#* }; ti=$(cat "$WORK/t_ingest")
    cpu=$(calc "$(cpu_s "$CW_PID") - $cpu0")
    del=$(metric_sum "circuitwatch_kafka_stream_messages_delivered_total$S")
    lost=$(metric_sum "circuitwatch_kafka_stream_messages_lost_total$S")
    kill "$RP" 2>/dev/null; wait "$RP" 2>/dev/null
    cw_stop; mock_stop
    rps=$(calc "$TOTAL / max($cpu, 0.01)")
    printf '%s %s %s %s %s %s %s\n' "$mode" "$rps" "$(calc "$t1 - $t0")" "$del" "$lost" "$spool" \
      "$(calc "$ti - $t0")" >> "$WORK/results"
    printf '  run %d, stream %-8s: %s routes per CPU-second (%s CPU-s); counts complete after %s s, all delivered after %s s; delivered %s, lost %s, spool peak %s B\n' \
      "$i" "$(case $mode in true) echo on;; old) echo "on (OLD)";; *) echo off;; esac)" "$(fmt "$rps" ,.0f)" "$(fmt "$cpu" .2f)" \
      "$(fmt "$(calc "$ti - $t0")" .2f)" "$(fmt "$(calc "$t1 - $t0")" .2f)" "$del" "$lost" "$spool"
  done
done
python3 - "$WORK/results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
off = [float(r[1]) for r in rows if r[0] == "false"]
on = [float(r[1]) for r in rows if r[0] == "true"]
lost = sum(int(r[4]) for r in rows if r[0] == "true")
wall_on = statistics.median(float(r[2]) for r in rows if r[0] == "true")
wall_off = statistics.median(float(r[2]) for r in rows if r[0] == "false")
ing_on = statistics.median(float(r[6]) for r in rows if r[0] == "true")
ing_off = statistics.median(float(r[6]) for r in rows if r[0] == "false")
mo, mn = statistics.median(off), statistics.median(on)
print(f"median routes per CPU-second: stream off {mo:,.0f}, stream on {mn:,.0f}; on/off = {mn / mo:.2f}")
print(f"median wall time until the prefix counts are complete (ingest; /metrics once a second): off {ing_off:.2f} s, on {ing_on:.2f} s")
print(f"median wall time until done: off {wall_off:.2f} s, on {wall_on:.2f} s (on: every message acked by the mock)")
print(f"messages lost with the stream on, all runs: {lost}")
old = [float(r[1]) for r in rows if r[0] == "old"]
if old:
    mold = statistics.median(old)
    pairs = [n / o for n, o in zip(on, old)]
    print(f"OLD binary, stream on: median {mold:,.0f} routes per CPU-second (on/off {mold / mo:.2f}); "
          f"this build / OLD = {mn / mold:.2f} (median of paired ratios {statistics.median(pairs):.2f})")
PY
done
