#!/usr/bin/env bash
# Installs the dependencies, builds circuitwatch and runs the demo
# (deploy/demo-run.sh, which tests/integration/test_demo_panels.sh runs too):
# http://localhost:10179/metrics shows the demo circuits of
# deploy/examples/demo.yaml and, from data our own generators write, what a
# real edge would show: the BGP sessions of both links of er-ams-prod with a
# few thousand routes as a router streaming BMP to 127.0.0.1:1790 reports
# them (tests/tools/gen_bmp_table), passive BGP sessions and per-VLAN traffic
# from a generated capture (tests/tools/gen_pcap), interface counters, ICMP,
# TCP and STAMP probes (to a `circuitwatch reflect` the demo starts), the
# month's cost against a budget, and alert rules firing on what is missing.
# Point Prometheus (with dashboards/prometheus/'s rules) and Grafana (with
# dashboards/grafana/) at it and every dashboard panel has data. As root it
# also creates the secondary link's interface (a veth into a namespace).
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
exec deploy/demo-run.sh build/release
