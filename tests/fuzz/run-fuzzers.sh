#!/usr/bin/env bash
# run-fuzzers.sh — runs libFuzzer targets for a while each, then merges
# what they found that covers new code into the saved corpus (which ctest
# replays under ASan+UBSan on every run). Crashes are kept as artifacts and
# make the script fail.
#
# usage: tests/fuzz/run-fuzzers.sh [--seconds N] [--build DIR] [TARGET...]
#   defaults: 600 s each, build/fuzz (cmake --preset fuzz), every target.
# Not part of the test command: a benchmark-like run, by hand or in a soak.
set -uo pipefail
cd "$(dirname "$0")/../.."

secs=600
build=build/fuzz
targets=()
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) secs=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    -h|--help) sed -n 2,10p "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  for d in tests/fuzz/corpus/*/; do targets+=("$(basename "$d")"); done
fi

out=$(mktemp -d /tmp/cw-fuzz.XXXXXX)
failed=0
printf '%-16s %8s %12s %8s %8s %s\n' target seconds execs cov added result
for t in "${targets[@]}"; do
  bin=$build/tests/fuzz_$t
  if [ ! -x "$bin" ]; then
    echo "$t: $bin not built (cmake --preset fuzz && cmake --build --preset fuzz)" >&2
    failed=1
    continue
  fi
  work=$out/$t
  mkdir -p "$work/corpus" "$work/artifacts"
  "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" "tests/fuzz/corpus/$t" \
    > "$work/log" 2>&1
  rc=$?
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$work/log")
  cov=$(grep -oE 'cov: [0-9]+' "$work/log" | tail -1 | cut -d' ' -f2)
  before=$(ls "tests/fuzz/corpus/$t" | wc -l)
  # only inputs that reach code the saved corpus does not
  "$bin" -merge=1 "tests/fuzz/corpus/$t" "$work/corpus" > "$work/merge.log" 2>&1
  added=$(( $(ls "tests/fuzz/corpus/$t" | wc -l) - before ))
  result=clean
  if [ "$rc" != 0 ] || [ -n "$(ls "$work/artifacts")" ]; then
    result="FAILED (rc $rc; artifacts in $work/artifacts, log $work/log)"
    failed=1
  fi
  printf '%-16s %8s %12s %8s %8s %s\n' "$t" "$secs" "${execs:-?}" "${cov:-?}" "$added" "$result"
done
[ "$failed" = 0 ] && rm -rf "$out"
exit "$failed"
