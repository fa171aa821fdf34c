#!/usr/bin/env bash
# Installs what the tests need, then builds and runs every test twice: in
# the release build and in the ASan+UBSan build; then the tests that run our
# threads (ctest label tsan) in the ThreadSanitizer build. This is the
# README's test command and what CI runs.
#
# Every build always runs: a failure in one does not hide the next. Each
# build's result is reported, and the script fails at the end if any
# failed.
set -uo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh || { echo "run-all: installing the dependencies failed" >&2; exit 1; }
jobs=$(nproc)
declare -A result
failed=0
presets=(release sanitize tsan)
for preset in "${presets[@]}"; do
  # the TSan build runs only the tests that exercise threads
  labels=()
  [ "$preset" = tsan ] && labels=(-L tsan)
  echo "== $preset build"
  start=$SECONDS
  if ! cmake --preset "$preset" >/dev/null || ! cmake --build --preset "$preset" -j "$jobs"; then
    result[$preset]="build failed"
    failed=1
    continue
  fi
  echo "== $preset tests"
  if ctest --preset "$preset" "${labels[@]}" -j "$jobs"; then
    result[$preset]="passed"
  else
    result[$preset]="tests failed (see the ctest summary above)"
    failed=1
  fi
  result[$preset]+=" in $((SECONDS - start)) s"
done

echo "== summary"
for preset in "${presets[@]}"; do
  echo "$preset: ${result[$preset]}"
done
exit "$failed"
