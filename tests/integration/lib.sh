# lib.sh — shared helpers of the integration tests (sourced).
# Each test gets the built binary as $1 and a scratch directory; every
# process it starts is killed on exit.
set -uo pipefail

CW_BIN=${1:?usage: test.sh PATH/TO/circuitwatch}
CW_SOURCE_DIR=${CW_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
WORK=$(mktemp -d /tmp/cw-it.XXXXXX)
PIDS=()
NETNS=()
PASSED=0
FAILED=0

cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  for n in "${NETNS[@]}"; do
    ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$n" 2>/dev/null
  done
  wait 2>/dev/null
  if [ "$FAILED" -eq 0 ]; then rm -rf "$WORK"; else echo "kept $WORK for inspection"; fi
}
trap cleanup EXIT

ok()   { PASSED=$((PASSED + 1)); echo "ok   - $*"; }
bad()  { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }
check() { # check "description" command...
  local d=$1; shift
  if "$@"; then ok "$d"; else bad "$d"; fi
}
finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
  exit $?
}
skip() { echo "SKIP: $*"; exit 77; }

need() { command -v "$1" >/dev/null || skip "$1 not installed (run deploy/install-deps.sh)"; }

# A TCP port nobody listens on right now.
free_port() {
  python3 - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

# The demo config with the exporter on 127.0.0.1:$2 and BMP on
# 127.0.0.1:$3 (a free port when not given), written to $1, its billing
# state in $1's folder.
demo_config() {
  local bmp=${3:-$(free_port)}
  sed -e "s/listen: \"127.0.0.1:10179\"/listen: \"127.0.0.1:$2\"/" \
      -e "s/listen: \"127.0.0.1:1790\"/listen: \"127.0.0.1:$bmp\"/" \
      -e "s|^  state_dir: .*|  state_dir: \"$(dirname "$1")/billing\"|" \
    "$CW_SOURCE_DIR/deploy/examples/demo.yaml" > "$1"
}

# start_cw LOGFILE ARGS... — starts the daemon in the background; sets CW_PID.
start_cw() {
  local log=$1; shift
  "$CW_BIN" "$@" 2>"$log" &
  CW_PID=$!
  PIDS+=("$CW_PID")
}

# wait_http URL [CURL ARGS...] — waits up to 20 s for a 200.
wait_http() {
  local url=$1; shift
  for _ in $(seq 1 200); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$@" "$url" 2>/dev/null)" = 200 ] && return 0
    sleep 0.1
  done
  return 1
}

# wait_exit PID SECONDS — waits for PID (a child of this shell) to exit and
# sets RC to its exit code, or to "timeout".
wait_exit() {
  local pid=$1 t=$2
  RC=timeout
  for _ in $(seq 1 $((t * 10))); do
    if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; RC=$?; return 0; fi
    sleep 0.1
  done
}

# until_true SECONDS command... — polls a condition.
until_true() {
  local t=$1; shift
  for _ in $(seq 1 $((t * 10))); do "$@" && return 0; sleep 0.1; done
  return 1
}

# netns_add NS — a network namespace that this test can enter, removed on
# exit with its processes. Skips at once (no waiting for ctest's timeout)
# without root, when namespaces cannot be made, or when they cannot be
# entered (ip netns exec needs "/" to be a mount point, which a plain chroot
# is not).
netns_add() {
  [ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
  ip netns add "$1" 2>/dev/null || skip "cannot create network namespaces here"
  NETNS+=("$1")
  ip netns exec "$1" true 2>/dev/null \
    || skip "cannot enter a network namespace here (ip netns exec fails: is / a mount point?)"
}

# netns_pair NS1 NS2 IF1 IF2 [MAC1 MAC2] — two network namespaces (lo up)
# joined by a veth pair, IF1 in NS1 and IF2 in NS2, both up; the
# namespaces and their processes go on exit. Skips without root or
# namespaces.
netns_pair() {
  netns_add "$1"
  netns_add "$2"
  ip link add "$3" ${5:+address "$5"} type veth peer name "$4" ${6:+address "$6"} \
    || skip "cannot create a veth pair here"
  ip link set "$3" netns "$1"
  ip link set "$4" netns "$2"
  for n in "$1" "$2"; do ip -n "$n" link set lo up; done
  ip -n "$1" link set "$3" up
  ip -n "$2" link set "$4" up
}

# ---- the two-router lab of the BGP tests (namespaces made by the test;
# in1/in2 run a command in the FRR and the GoBGP namespace) ----

# frr_bmp_lab — the BMP lab of the FRR tests: skips without root, FRR's
# bgpd and BMP module, GoBGP or vtysh; else namespaces R1 (FRR's, with
# 198.18.1.1/30 and 2001:db8:1::1/64) and R2 (GoBGP's, .2 and ::2) joined by
# a veth pair, and in1/in2 to run a command in each.
frr_bmp_lab() {
  [ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
  [ -x /usr/lib/frr/bgpd ] || skip "FRR bgpd not installed (run deploy/install-deps.sh)"
  need gobgpd; need gobgp; need vtysh
  [ -e /usr/lib/x86_64-linux-gnu/frr/modules/bgpd_bmp.so ] || ls /usr/lib/*/frr/modules/bgpd_bmp.so >/dev/null 2>&1 \
    || skip "FRR's BMP module is not installed"

  tag=$$
  R1=cw$tag-r1
  R2=cw$tag-r2
  netns_pair "$R1" "$R2" "cw$tag-a" "cw$tag-b"
  ip -n "$R1" addr add 198.18.1.1/30 dev "cw$tag-a"
  ip -n "$R1" addr add 2001:db8:1::1/64 dev "cw$tag-a" nodad
  ip -n "$R2" addr add 198.18.1.2/30 dev "cw$tag-b"
  ip -n "$R2" addr add 2001:db8:1::2/64 dev "cw$tag-b" nodad
  in1() { ip netns exec "$R1" "$@"; }
  in2() { ip netns exec "$R2" "$@"; }
}

# vty CMD — a vtysh command to the lab's bgpd (in R1)
vty() { in1 vtysh --vty_socket "$WORK/frr" -c "$@" 2>/dev/null; }
# frr_count AFI NEIGHBOR — FRR's pfxRcd for the neighbour
frr_count() {
  vty "show bgp $1 unicast summary json" | python3 -c '
import json,sys
try: print(json.load(sys.stdin)["peers"][sys.argv[1]]["pfxRcd"])
except Exception: print(-1)' "$2"
}
# cw_metric REGEX — the value of the first sample of circuitwatch's /metrics
# (at $base, scraped from R1) that matches, or "none"
cw_metric() {
  in1 curl -s "$base/metrics" | python3 -c '
import re,sys
for l in sys.stdin:
    if re.match(sys.argv[1], l): print(l.split()[-1]); break
else: print("none")' "$1"
}

# start_frr_bgpd [ARGS] — runs FRR's bgpd on $WORK/frr/bgpd.conf in R1.
start_frr_bgpd() {
  chmod 644 "$WORK/frr/bgpd.conf"
  in1 /usr/lib/frr/bgpd -f "$WORK/frr/bgpd.conf" "$@" -Z -u frr -g frr -p 179 \
    -i "$WORK/frr/bgpd.pid" --vty_socket "$WORK/frr" > "$WORK/bgpd.log" 2>&1 &
  PIDS+=($!)
}

# start_gobgp_peer — GoBGP AS 65002 at 198.18.1.2 / 2001:db8:1::2 in R2,
# peering with FRR (AS 65001) over IPv4 and IPv6; defines gob().
start_gobgp_peer() {
  cat > "$WORK/gobgp.toml" <<EOF
[global.config]
  as = 65002
  router-id = "198.18.1.2"
  local-address-list = ["198.18.1.2", "2001:db8:1::2"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "198.18.1.1"
    peer-as = 65001
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "2001:db8:1::1"
    peer-as = 65001
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
EOF
  in2 gobgpd -f "$WORK/gobgp.toml" --api-hosts 127.0.0.1:50051 > "$WORK/gobgp.log" 2>&1 &
  PIDS+=($!)
  gob() { in2 gobgp -u 127.0.0.1 -p 50051 "$@"; }
  until_true 20 gob global >/dev/null 2>&1
}

# ---- shared config pieces and TLS material ----

# self_signed_cert — a self-signed RSA certificate for 127.0.0.1 in
# $WORK/cert.pem and its key in $WORK/key.pem; fails when openssl cannot
# make one (the caller decides: skip or fail).
self_signed_cert() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=circuitwatch-test" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
    >/dev/null 2>&1
}

# eth1_circuit_yaml [ID] — the "circuits:" section of the HTTP/TLS tests: one
# ExpressRoute circuit (ID, er-test when not given) of 200 Mbit/s whose
# primary link is eth1, VLAN 10, neighbour 198.18.0.2.
eth1_circuit_yaml() {
  cat <<YAML
circuits:
  - id: ${1:-er-test}
    provider: expressroute
    bandwidth: 200Mbps
    links:
      primary:
        interface: eth1
        peerings: [{type: private, vlan: 10, neighbors: [{address: 198.18.0.2}]}]
YAML
}

# er1_circuit_yaml PRIMARY [SECONDARY] — the circuit "er-1" of the BMP tests
# as an entry of a "circuits:" list: ExpressRoute standard, 1 Gbit/s,
# private peerings whose neighbours are PRIMARY and SECONDARY (the inside of
# a YAML list: "{address: 198.18.2.1}, ..."; no secondary link without one).
er1_circuit_yaml() {
  cat <<YAML
  - id: er-1
    provider: expressroute
    sku: {tier: standard}
    bandwidth: 1Gbps
    links:
      primary:
        peerings: [{type: private, neighbors: [$1]}]
YAML
  [ -z "${2:-}" ] || cat <<YAML
      secondary:
        peerings: [{type: private, neighbors: [$2]}]
YAML
}

# frr_bmp_bgpd_conf [OPTION...] — prints the bgpd.conf of the FRR/BMP lab
# (frr_bmp_lab, start_gobgp_peer): AS 65001, router-id 198.18.1.1, peering
# with GoBGP (AS 65002) at 198.18.1.2 for IPv4 and 2001:db8:1::2 for IPv6,
# soft-reconfiguration inbound, BMP target "cw" at 127.0.0.1:$BMP_PORT
# monitoring both families pre-policy. OPTIONs: timers (connect timer 5 s
# on both neighbours), post-policy (monitor post-policy too), in4=MAP (the
# route-map MAP on the IPv4 neighbour, in), prelude=TEXT (lines before
# "router bgp", e.g. the route-map).
frr_bmp_bgpd_conf() {
  local o timers= post= in4= prelude=
  for o in "$@"; do
    case $o in
      timers) timers=1 ;; post-policy) post=1 ;;
      in4=*) in4=${o#in4=} ;; prelude=*) prelude=${o#prelude=} ;;
    esac
  done
  printf '%s\n' "frr defaults traditional" "hostname lab-r1"
  [ -z "$prelude" ] || printf '%s\n' "$prelude"
  printf '%s\n' "router bgp 65001" " bgp router-id 198.18.1.1" " no bgp ebgp-requires-policy"
  local n
  for n in 198.18.1.2 2001:db8:1::2; do
    echo " neighbor $n remote-as 65002"
    [ -z "$timers" ] || echo " neighbor $n timers connect 5"
  done
  printf '%s\n' " address-family ipv4 unicast" "  neighbor 198.18.1.2 soft-reconfiguration inbound"
  [ -z "$in4" ] || echo "  neighbor 198.18.1.2 route-map $in4 in"
  printf '%s\n' "  no neighbor 2001:db8:1::2 activate" " exit-address-family" \
    " address-family ipv6 unicast" "  neighbor 2001:db8:1::2 activate" \
    "  neighbor 2001:db8:1::2 soft-reconfiguration inbound" " exit-address-family" \
    " bmp targets cw" "  bmp connect 127.0.0.1 port $BMP_PORT min-retry 100 max-retry 500"
  local afi
  for afi in ipv4 ipv6; do
    echo "  bmp monitor $afi unicast pre-policy"
    [ -z "$post" ] || echo "  bmp monitor $afi unicast post-policy"
  done
  echo " exit"
}

# start_prometheus_https PORT PPORT TLS_CONFIG — a real Prometheus on
# 127.0.0.1:PPORT scraping circuitwatch at https://127.0.0.1:PORT every second
# with basic auth prom/'s3cret pass' and tls_config TLS_CONFIG (the inside of
# a YAML map); its files in $WORK, stopped on exit.
start_prometheus_https() {
  cat > "$WORK/prometheus.yml" <<YAML
global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: circuitwatch
    scheme: https
    tls_config: {$3}
    basic_auth: {username: prom, password: 's3cret pass'}
    static_configs: [{targets: ["127.0.0.1:$1"]}]
YAML
  prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
    --web.listen-address="127.0.0.1:$2" > "$WORK/prometheus.log" 2>&1 &
  PIDS+=($!)
}

# start_kafka_mock [--via CMD] BINARY BROKERS TOPIC... — librdkafka's mock
# cluster (tests/tools/kafka_mock at BINARY, run through CMD, e.g. in1, when
# given) with BROKERS brokers and each TOPIC as NAME:PARTITIONS; its stdin
# is a FIFO kept open on fd 7 (commands to the mock go there), its output
# in $WORK/mock.{out,err}. Waits up to 10 s for its bootstrap address and
# sets BS; fails when it does not come.
start_kafka_mock() {
  local via=() t topics=()
  [ "$1" = --via ] && { via=("$2"); shift 2; }
  local bin=$1 brokers=$2; shift 2
  for t in "$@"; do topics+=(--topic "$t"); done
  mkfifo "$WORK/mock.in"
  "${via[@]}" "$bin" --brokers "$brokers" "${topics[@]}" \
    < "$WORK/mock.in" > "$WORK/mock.out" 2> "$WORK/mock.err" &
  PIDS+=($!)
  exec 7> "$WORK/mock.in"
  until_true 10 grep -q '^bootstrap=' "$WORK/mock.out" || return 1
  BS=$(sed -n 's/^bootstrap=//p' "$WORK/mock.out")
}
