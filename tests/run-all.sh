#!/usr/bin/env bash
# Installs what the tests need, then builds and runs every test twice: in
# the release build and in the ASan+UBSan build. This is the README's test
# command and what CI runs.
#
# Both builds always run: a failure in the first does not hide the second.
# Each build's result is reported, and the script fails at the end if
# either failed.
set -uo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh || { echo "run-all: installing the dependencies failed" >&2; exit 1; }
jobs=$(nproc)
declare -A result
failed=0
for preset in release sanitize; do
  echo "== $preset build"
  if ! cmake --preset "$preset" >/dev/null || ! cmake --build --preset "$preset" -j "$jobs"; then
    result[$preset]="build failed"
    failed=1
    continue
  fi
  echo "== $preset tests"
  if ctest --preset "$preset" -j "$jobs"; then
    result[$preset]="passed"
  else
    result[$preset]="tests failed (see the ctest summary above)"
    failed=1
  fi
done

echo "== summary"
for preset in release sanitize; do
  echo "$preset: ${result[$preset]}"
done
exit "$failed"
