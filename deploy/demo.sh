#!/usr/bin/env bash
# Installs the dependencies, builds circuitwatch and runs it on the demo
# configuration: http://localhost:10179/metrics shows the demo circuits.
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
echo "circuitwatch: open http://localhost:10179/metrics (Ctrl-C stops)"
exec build/release/circuitwatch run --config deploy/examples/demo.yaml
