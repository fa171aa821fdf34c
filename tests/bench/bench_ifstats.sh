#!/usr/bin/env bash
# bench_ifstats.sh — one interface sampling pass over 1,000 interfaces
# (issue 5): PAIRS veth pairs (default 500, so 1,000 links plus lo) in a
# network namespace made for the run, then bench_ifstats inside it: PASSES
# passes (default 50), each one RTM_GETLINK dump of every link parsed and
# fed to the rate table with every veth watched, as the daemon's pass does.
# Prints the helper's JSON line: links dumped and watched, median / p99 /
# max milliseconds per pass, CPU milliseconds per pass (user + system).
#
# Expects a release build (cmake --preset release && cmake --build --preset
# release); builds nothing. Needs root (a network namespace). Environment:
# BUILD (build/release), PAIRS (500), PASSES (50).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$SRC/build/release}
BENCH=$BUILD/tests/bench_ifstats
PAIRS=${PAIRS:-500}
PASSES=${PASSES:-50}
NS=cwbench$$

[ -x "$BENCH" ] || { echo "bench_ifstats: $BENCH missing; build the release preset" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench_ifstats: needs root (network namespace)" >&2; exit 1; }
ip netns add "$NS"
trap 'ip netns del "$NS" 2>/dev/null' EXIT

# one ip -batch: fast even for thousands of links
{
  for i in $(seq 1 "$PAIRS"); do
    echo "link add cwb${i}a type veth peer name cwb${i}b"
    echo "link set cwb${i}a up"
    echo "link set cwb${i}b up"
  done
} > "/tmp/$NS.batch"
t0=$(date +%s.%N)
ip -n "$NS" -batch "/tmp/$NS.batch"
rm -f "/tmp/$NS.batch"
echo "created $((PAIRS * 2)) veth interfaces in $(echo "$(date +%s.%N) - $t0" | bc 2>/dev/null || echo '?') s" >&2
ip netns exec "$NS" "$BENCH" --passes "$PASSES" --prefix cwb
