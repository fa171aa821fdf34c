#!/usr/bin/env bash
# bench_kafka.sh — Kafka exporter benchmark (issue 7): events per second
# through the exporter to librdkafka's mock cluster (3 brokers on loopback,
# idempotent producer, acks=all, lz4), and the spool's write and replay
# rates. See tests/bench/bench_kafka.c for what each figure measures; every
# run is checked (all events read back, in order per circuit) and the
# script exits 1 when one is not.
#
# Expects a release build (cmake --preset release && cmake --build --preset
# release); builds nothing. Environment: BUILD (build/release), EVENTS
# (200000), SPOOL_RECORDS (1000000), RECORD_SIZE (200 bytes: a session
# event encodes to about 180), DIR (/tmp: the spool goes to a directory
# made there; the disk's fsync speed sets the write rate), RUNS (3: each
# encoding's run is repeated, every line printed). Quick run:
#   EVENTS=20000 SPOOL_RECORDS=100000 RUNS=1 tests/bench/bench_kafka.sh
set -uo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$SRC/build/release}
BENCH=$BUILD/tests/bench_kafka
EVENTS=${EVENTS:-200000}
SPOOL_RECORDS=${SPOOL_RECORDS:-1000000}
RECORD_SIZE=${RECORD_SIZE:-200}
DIR=${DIR:-/tmp}
RUNS=${RUNS:-3}

[ -x "$BENCH" ] || { echo "bench_kafka.sh: $BENCH not built (build the release preset)" >&2; exit 2; }
echo "# $(date -u +%FT%TZ) $(nproc) cores, $(uname -r); librdkafka $(pkg-config --modversion rdkafka)"
echo "# events=$EVENTS spool_records=$SPOOL_RECORDS record_size=$RECORD_SIZE dir=$DIR"
rc=0
for enc in protobuf json; do
  for run in $(seq 1 "$RUNS"); do
    echo "## encoding=$enc run=$run"
    "$BENCH" --events "$EVENTS" --spool-records "$SPOOL_RECORDS" --record-size "$RECORD_SIZE" \
      --encoding "$enc" --dir "$DIR" || rc=1
  done
done
exit $rc
