#!/usr/bin/env bash
# Runs the circuitwatch demo from a build, without installing or building
# anything (deploy/demo.sh does both, then runs this; the integration test
# tests/integration/test_demo_panels.sh runs this too, so it checks exactly
# what a newcomer sees):
#  - writes the demo's data into a scratch folder: BMP tables of Microsoft's
#    edges on both links of er-ams-prod (tests/tools/gen_bmp_table), a
#    capture with passive BGP sessions and per-VLAN traffic
#    (tests/tools/gen_pcap), hand-made BMP Statistics Reports and our
#    Adj-RIB-Out;
#  - writes the configuration: deploy/examples/demo.yaml (circuits, billing
#    plans and budget, probes over the loopback) plus what belongs to this run
#    (ports, the billing state folder, the capture file, interface sampling,
#    alert rules);
#  - starts the STAMP reflector (`circuitwatch reflect`) the probes measure,
#    circuitwatch, and a demo router streaming BMP to it;
#  - runs until SIGINT/SIGTERM, then stops what it started (by process id) and
#    removes the scratch folder it made.
#
# usage: deploy/demo-run.sh [BUILD_DIR]      (default: build/release)
# environment (all optional):
#   CW_DEMO_DIR          scratch folder (default: a new /tmp/circuitwatch-demo.XXXXXX,
#                        removed at exit; a given folder is kept)
#   CW_DEMO_PORT         the exporter's port (10179)
#   CW_DEMO_BMP_PORT     the BMP listener's port (1790)
#   CW_DEMO_REFLECT_PORT the STAMP reflector's UDP port (4862)
#   CW_DEMO_BIN          the circuitwatch binary (BUILD_DIR/collector/circuitwatch)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build/release}
cw=${CW_DEMO_BIN:-$build/collector/circuitwatch}
tools=$build/tests
port=${CW_DEMO_PORT:-10179}
bmp_port=${CW_DEMO_BMP_PORT:-1790}
reflect_port=${CW_DEMO_REFLECT_PORT:-4862}
for t in "$cw" "$tools/gen_bmp_table" "$tools/gen_pcap" "$tools/bmp_replay"; do
  [ -x "$t" ] || { echo "demo-run: $t is not built (cmake --build --preset release)" >&2; exit 1; }
done
if [ -n "${CW_DEMO_DIR:-}" ]; then
  data=$CW_DEMO_DIR; keep=1; mkdir -p "$data"
else
  data=$(mktemp -d /tmp/circuitwatch-demo.XXXXXX); keep=0
fi
pids=()
# Every step may fail (nothing left to stop) without stopping the rest: under
# set -e a failing command would end the trap before rm -rf.
ns=
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # the namespace takes the veth pair with it
  [ -z "$ns" ] || ip netns del "$ns" 2>/dev/null || true
  [ "$keep" = 1 ] || rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

demo_data() {
  # Microsoft's edges (AS 12076) on the primary and secondary link of er-ams-prod
  "$tools/gen_bmp_table" --ipv4 3000 --ipv6 500 --sets 400 --peer-as 12076 \
    --peer-addr 198.18.10.2 -o "$data/primary.bmp" >/dev/null
  "$tools/gen_bmp_table" --ipv4 3000 --ipv6 500 --sets 400 --peer-as 12076 --seed 2 \
    --peer-addr 198.18.10.6 -o "$data/secondary.bmp" >/dev/null
  # the Microsoft peering of er-ams-prod's primary, from a second router
  # (sysName bench-edge2) that the demo connects for 15 s out of every 25:
  # its session flaps, for the dashboards' flap annotations, state changes
  # and session-down alerts
  "$tools/gen_bmp_table" --ipv4 20 --ipv6 0 --sets 4 --peer-as 12076 --seed 3 --router 1 \
    --peer-addr 198.18.20.2 -o "$data/microsoft.bmp" >/dev/null
  # and a capture of two BGP sessions over QinQ and 802.1Q with background
  # traffic, one of which flaps, read once by the passive capture source
  "$tools/gen_pcap" --flap -o "$data/wire.pcap" >/dev/null
}

# What gen_bmp_table does not write: the routers' Statistics Reports (RFC 7854
# §4.8), our Adj-RIB-Out towards the primary's edge (RFC 8671: the prefixes
# we advertise, against the provider's prefix limit), an UPDATE with a bad
# ORIGIN (RFC 7606 treat-as-withdraw) and Route Monitoring of a peer that
# never came up: what the BGP dashboard's statistics and error panels show.
demo_extra_bmp() {
  python3 - "$data/extra.bmp" <<'PY'
import socket, struct, sys
def peer_hdr(addr, asn, flags=0):   # RFC 7854 §4.2, global instance peer
    a = socket.inet_aton(addr)
    return struct.pack("!BB8s12s4sI4sII", 0, flags, b"\0" * 8, b"\0" * 12, a, asn, a, 0, 0)
def bmp(mtype, body):               # RFC 7854 §4.1
    return struct.pack("!BIB", 3, 6 + len(body), mtype) + body
def update(attrs, nlri):            # RFC 4271 §4.3
    body = struct.pack("!HH", 0, len(attrs)) + attrs + nlri
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), 2) + body
def attrs(origin, nexthop, asn):    # ORIGIN, AS_PATH (4-octet AS_SEQUENCE), NEXT_HOP
    return (bytes([0x40, 1, 1, origin]) + bytes([0x40, 2, 6, 2, 1]) + struct.pack("!I", asn)
            + bytes([0x40, 3, 4]) + socket.inet_aton(nexthop))
def nlri(prefixes):
    out = b""
    for p in prefixes:
        a, l = p.split("/")
        out += bytes([int(l)]) + socket.inet_aton(a)[:(int(l) + 7) // 8]
    return out
def stats(addr, rejected, routes, v4):  # types 0 (rejected), 7 (Adj-RIB-In), 9 (per AFI)
    tlvs = (struct.pack("!HHI", 0, 4, rejected) + struct.pack("!HHQ", 7, 8, routes)
            + struct.pack("!HHHBQ", 9, 11, 1, 1, v4))
    return bmp(1, peer_hdr(addr, 12076) + struct.pack("!I", 3) + tlvs)
out = stats("198.18.10.2", 3, 3500, 3000) + stats("198.18.10.6", 1, 3500, 3000)
# the O flag (0x10): Adj-RIB-Out, what we advertise to the primary's edge
out += bmp(0, peer_hdr("198.18.10.2", 12076, 0x10)
           + update(attrs(0, "198.18.10.1", 65010), nlri([f"198.19.{i}.0/24" for i in range(12)])))
out += bmp(0, peer_hdr("198.18.10.6", 12076)
           + update(attrs(7, "198.18.10.5", 12076), nlri(["198.19.200.0/24"])))
out += bmp(0, peer_hdr("198.18.99.9", 64999)
           + update(attrs(0, "198.18.99.9", 64999), nlri(["198.19.250.0/24"])))
open(sys.argv[1], "wb").write(out)
PY
}

# deploy/examples/demo.yaml on this run's ports, with what belongs to the run
demo_config() {
  sed -e "s/\b10179\b/$port/g" -e "s/\b1790\b/$bmp_port/g" -e "s/\b4862\b/$reflect_port/g" \
      -e "s|^  state_dir: .*|  state_dir: \"$data/billing\"|" \
    "$src/deploy/examples/demo.yaml" >"$data/demo.yaml"
  cat >>"$data/demo.yaml" <<YAML

capture:
  enabled: true
  file: "$data/wire.pcap"
  local_macs: ["02:00:00:00:00:01"]

# the links' interface counters every second
ifstats:
  interval: 1s

# a few of the example config's default rules: the flapped captured
# sessions, the Microsoft peering and the other circuits' missing sessions
# fire them
alerts:
  interval: 1s
  rules:
    - {name: BGPSessionDown, metric: circuitwatch_bgp_session_up, op: "<", threshold: 1,
       for: 5s, severity: critical, summary: a BGP session of the circuit is down}
    - {name: RedundancyDegraded, metric: circuitwatch_circuit_redundant, op: "<", threshold: 1,
       for: 5s, severity: critical, event: redundancy}
    - {name: BMPRouterGone, metric: circuitwatch_bmp_router_up, op: "<", threshold: 1,
       for: 5s, event: source}
    - {name: ProbeLoss, metric: circuitwatch_probe_loss_ratio, op: ">", threshold: 0.02,
       for: 5s, severity: warning}
YAML
}

# the flapping router (see demo_data); it stops its connection when stopped
demo_flapping_router() {
  local child=
  trap '[ -z "$child" ] || kill "$child" 2>/dev/null; exit 0' TERM
  while :; do
    "$tools/bmp_replay" --bind 127.0.0.2 --hold 15 127.0.0.1 "$bmp_port" \
      "$data/microsoft.bmp" >/dev/null 2>&1 &
    child=$!; wait "$child" || true
    sleep 10 &
    child=$!; wait "$child" || true
  done
}

# As root: the secondary link of er-ams-prod, a veth pair (cwdemo1 here,
# 198.19.177.1/30) into a network namespace standing for the cloud side
# (198.19.177.2), where a second STAMP reflector answers its probes.
demo_secondary_link() {
  [ "$(id -u)" = 0 ] && command -v ip >/dev/null || return 0
  ! ip link show cwdemo1 >/dev/null 2>&1 || { echo "demo-run: cwdemo1 exists already" >&2; return 0; }
  ns=cwdemo-$$
  ip netns add "$ns" 2>/dev/null || return 0
  if ip link add cwdemo1 type veth peer name cwdemo1p netns "$ns" &&
     ip addr add 198.19.177.1/30 dev cwdemo1 && ip link set cwdemo1 up &&
     ip -n "$ns" addr add 198.19.177.2/30 dev cwdemo1p && ip -n "$ns" link set cwdemo1p up &&
     ip -n "$ns" link set lo up; then
    ip netns exec "$ns" "$cw" reflect --listen "198.19.177.2:$reflect_port" >/dev/null 2>&1 &
    pids+=($!)
  else
    echo "demo-run: cannot create the secondary link's veth pair" >&2
  fi
}

# waits until the daemon answers on its exporter (it listens for BMP by then)
wait_ready() {
  for _ in $(seq 1 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/-/ready" && return 0
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

demo_data
demo_extra_bmp
demo_config
# the far end of the STAMP probes (on a real circuit: a VM in the cloud)
"$cw" reflect --listen "127.0.0.1:$reflect_port" >/dev/null 2>&1 &
pids+=($!)
demo_secondary_link
"$cw" run --config "$data/demo.yaml" &
daemon=$!
pids+=("$daemon")
wait_ready "$daemon" || { echo "demo-run: circuitwatch did not start" >&2; exit 1; }
# the demo router: one BMP session that stays connected
"$tools/bmp_replay" --hold 86400 127.0.0.1 "$bmp_port" "$data/primary.bmp" \
  "$data/secondary.bmp" "$data/extra.bmp" >/dev/null 2>&1 &
pids+=($!)
demo_flapping_router &
pids+=($!)
echo "circuitwatch: open http://localhost:$port/metrics (Ctrl-C stops)"
wait "$daemon"
