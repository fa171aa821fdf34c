#!/usr/bin/env bash
# compare_builds.sh — every benchmark against two builds, interleaved, so
# that a change of layout (or anything else) is shown not to cost speed:
# the same scripts and inputs, round after round old/new then new/old, on
# one machine in one run. Prints each run's figures under its build's name
# and keeps the logs.
#
#   tests/bench/compare_builds.sh OLD_BUILD_DIR NEW_BUILD_DIR
#
# OLD_BUILD_DIR is a release build of the older tree (e.g. `git worktree add
# /tmp/old REV && cmake --preset release && cmake --build --preset release`
# there, then /tmp/old/build/release). Environment: ROUNDS (2), OUT
# (/tmp/cw-compare), BENCHES (the list below; quick sizes of each script,
# a few minutes in all). Run as root for bench_ifstats (it skips otherwise).
set -uo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -eq 2 ] || { sed -n '2,15p' "$0"; exit 2; }
OLD=$(cd "$1" && pwd) NEW=$(cd "$2" && pwd)
ROUNDS=${ROUNDS:-2}
OUT=${OUT:-/tmp/cw-compare}
mkdir -p "$OUT"

# name | command (BUILD is the build directory under test)
BENCHES=${BENCHES:-rib expo billing bmp capture probes kafka ifstats scrapes}
run_one() { # run_one NAME BUILD
	local b=$2
	case $1 in
	rib) "$b/tests/bench_rib" 1000000 200000 50000 ;;
	expo) "$b/tests/bench_expo" ;;
	billing) "$b/tests/bench_billing" 4096 "$OUT" ;;
	bmp) BUILD=$b N4=300000 N6=60000 OTHER4=100000 CACHE=$OUT/bmp-streams \
		bash "$SRC/tests/bench/bench_bmp.sh" ;;
	capture) BUILD=$b QUICK=1 bash "$SRC/tests/bench/bench_capture.sh" ;;
	probes) BUILD=$b TARGETS=1000 DURATION=10 bash "$SRC/tests/bench/bench_probes.sh" ;;
	kafka) BUILD=$b EVENTS=100000 SPOOL_RECORDS=200000 RUNS=2 \
		bash "$SRC/tests/bench/bench_kafka.sh" ;;
	ifstats) BUILD=$b PAIRS=200 PASSES=20 bash "$SRC/tests/bench/bench_ifstats.sh" ;;
	scrapes) bash "$SRC/tests/bench/bench_scrapes.sh" "$b" ;;
	*) echo "unknown benchmark $1" >&2; return 2 ;;
	esac
}

for bench in $BENCHES; do
	for ((r = 1; r <= ROUNDS; r++)); do
		order="old new"
		((r % 2 == 0)) && order="new old"
		for which in $order; do
			dir=$OLD
			[ "$which" = new ] && dir=$NEW
			log=$OUT/$bench.$which.$r.log
			start=$(date +%s.%N)
			run_one "$bench" "$dir" >"$log" 2>&1
			rc=$?
			end=$(date +%s.%N)
			printf '\n===== %s  %s  round %d  (exit %d, %.1f s wall; %s)\n' \
				"$bench" "$which" "$r" "$rc" "$(awk -v a="$start" -v b="$end" "BEGIN { print b - a }")" "$log"
			grep -E '[0-9]' "$log" | grep -vE '^\s*#|^(gen|replay|writing)' | tail -25
		done
	done
done
