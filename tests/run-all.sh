#!/usr/bin/env bash
# Installs what the tests need, then builds and runs every test twice: in
# the release build and in the ASan+UBSan build. This is the README's test
# command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh
jobs=$(nproc)
for preset in release sanitize; do
  echo "== $preset build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== $preset tests"
  ctest --preset "$preset" -j "$jobs"
done
