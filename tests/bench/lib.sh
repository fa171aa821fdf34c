# lib.sh — shared helpers of the shell benchmarks (sourced after the
# script's own settings). Sets SRC, BUILD (build/release unless set), the
# binaries CW, GEN, REPLAY, MOCK of that build, and HZ; defines the helpers
# below. Each benchmark still chooses its sizes, its work directory's name
# and what it measures.
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$SRC/build/release}
CW=$BUILD/collector/circuitwatch
GEN=$BUILD/tests/gen_bmp_table
REPLAY=$BUILD/tests/bmp_replay
MOCK=$BUILD/tests/kafka_mock
HZ=$(getconf CLK_TCK)

# bench_need BINARY... — exits 2 unless every BINARY is executable and curl
# is installed.
bench_need() {
  local b
  for b in "$@"; do
    [ -x "$b" ] || { echo "missing $b: build the release preset first" >&2; exit 2; }
  done
  command -v curl >/dev/null || { echo "needs curl" >&2; exit 2; }
}

# bench_workdir PREFIX — WORK, a fresh /tmp/PREFIX.XXXXXX, and PIDS; on exit
# every process in PIDS is stopped (TERM, then KILL after BENCH_GRACE s,
# 0.2 unless set) and WORK removed (kept, and said, when BENCH_KEEP is set).
bench_workdir() {
  WORK=$(mktemp -d "/tmp/$1.XXXXXX")
  PIDS=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}
bench_cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep "${BENCH_GRACE:-0.2}"
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  [ -n "${BENCH_KEEP:-}" ] && echo "work dir kept: $WORK" >&2 || rm -rf "$WORK"
}

# bench_wait_ready — waits up to 10 s for $BASE/-/ready; fails after that.
bench_wait_ready() {
  for _ in $(seq 1 200); do
    curl -sf -o /dev/null "$BASE/-/ready" && return 0
    sleep 0.05
  done
  return 1
}

# bench_mock_start TOPIC... — librdkafka's mock cluster (tests/tools/kafka_mock,
# one broker, each TOPIC as NAME:PARTITIONS) fed from a FIFO held open on fd 7
# (closing fd 7 stops it); waits up to 10 s for its bootstrap address and
# sets BS (empty when it did not come) and MOCK_PID.
bench_mock_start() {
  local t args=()
  for t in "$@"; do args+=(--topic "$t"); done
  rm -f "$WORK/mock.in"; mkfifo "$WORK/mock.in"
  "$MOCK" --brokers 1 "${args[@]}" < "$WORK/mock.in" > "$WORK/mock.out" 2> "$WORK/mock.err" &
  MOCK_PID=$!; PIDS+=("$MOCK_PID")
  exec 7> "$WORK/mock.in"
  for _ in $(seq 1 200); do grep -q '^bootstrap=' "$WORK/mock.out" && break; sleep 0.05; done
  BS=$(sed -n 's/^bootstrap=//p' "$WORK/mock.out")
}

# now — wall-clock seconds; calc EXPR — a Python expression's value;
# fmt NUMBER FORMAT — NUMBER in a Python format spec (",.0f", ".2f").
now() { date +%s.%N; }
calc() { python3 -c "print($*)"; }
fmt() { python3 -c "import sys; print(format(float(sys.argv[1]), sys.argv[2]))" "$1" "$2"; }

# free_port — a TCP port of 127.0.0.1 nobody listens on right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# cpu_s PID — CPU seconds (user + system, all threads) of PID; 0 once gone.
cpu_s() { awk -v hz="$HZ" '{ print ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
