#!/usr/bin/env bash
# Installs the dependencies, builds circuitwatch and runs it on the demo
# configuration: http://localhost:10179/metrics shows the demo circuits and,
# from a BMP stream our own generator writes (tests/tools/gen_bmp_table),
# the BGP sessions of their ExpressRoute private peering with a few thousand
# routes, as a router streaming BMP to 127.0.0.1:1790 would show them; and,
# from a generated capture (tests/tools/gen_pcap), passive BGP sessions and
# per-VLAN traffic as a SPAN port would show them; the loopback's interface
# counters; and alert rules firing on what is missing (circuitwatch_alerts).
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
bin=build/release
data=$(mktemp -d /tmp/circuitwatch-demo.XXXXXX)
# Every step may fail (nothing left to kill) without stopping the rest:
# under set -e a failing command would end the trap before rm -rf.
cleanup() {
  pkill -f -- "$data" 2>/dev/null || true
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

# Microsoft's edges (AS 12076) on the primary and secondary link of er-ams-prod
"$bin/tests/gen_bmp_table" --ipv4 3000 --ipv6 500 --sets 400 --peer-as 12076 \
  --peer-addr 198.18.10.2 -o "$data/primary.bmp" >/dev/null
"$bin/tests/gen_bmp_table" --ipv4 3000 --ipv6 500 --sets 400 --peer-as 12076 --seed 2 \
  --peer-addr 198.18.10.6 -o "$data/secondary.bmp" >/dev/null

# and a capture of two BGP sessions over QinQ and 802.1Q with background
# traffic (tests/tools/gen_pcap), read once by the passive capture source
"$bin/tests/gen_pcap" --flap -o "$data/wire.pcap" >/dev/null
cp deploy/examples/demo.yaml "$data/demo.yaml"
cat >> "$data/demo.yaml" <<YAML

capture:
  enabled: true
  file: "$data/wire.pcap"
  local_macs: ["02:00:00:00:00:01"]

# the loopback's counters every second (the demo links' interfaces do not
# exist here: they show as absent)
ifstats:
  interval: 1s
  interfaces: [lo]

# a few of the example config's default rules: the flapped captured
# sessions and the demo circuits' missing secondary sessions fire them
alerts:
  interval: 1s
  rules:
    - {name: BGPSessionDown, metric: circuitwatch_bgp_session_up, op: "<", threshold: 1,
       for: 5s, severity: critical, summary: a BGP session of the circuit is down}
    - {name: RedundancyDegraded, metric: circuitwatch_circuit_redundant, op: "<", threshold: 1,
       for: 5s, severity: critical, event: redundancy}
    - {name: BMPRouterGone, metric: circuitwatch_bmp_router_up, op: "<", threshold: 1,
       for: 5s, event: source}
YAML

"$bin/collector/circuitwatch" run --config "$data/demo.yaml" &
daemon=$!
# the demo router: connects once the daemon listens and stays connected
for _ in $(seq 1 50); do
  "$bin/tests/bmp_replay" --hold 86400 127.0.0.1 1790 "$data/primary.bmp" "$data/secondary.bmp" \
    >/dev/null 2>&1 && break
  kill -0 "$daemon" 2>/dev/null || break
  sleep 0.2
done &
echo "circuitwatch: open http://localhost:10179/metrics (Ctrl-C stops)"
wait "$daemon"
