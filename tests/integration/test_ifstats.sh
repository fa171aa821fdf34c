#!/usr/bin/env bash
# Interface counters, live: circuitwatch runs in a network namespace whose
# two veth ends (the circuit's primary and secondary links) face a second
# namespace. A known number of UDP datagrams is sent across the primary:
# the mirrored counters must equal the kernel's (sysfs and `ip -s -s`)
# exactly, the transmit counter must have grown by exactly the frames
# sent, the rates and utilisation must match the bytes over the elapsed
# time. Then the link is deleted and re-created (once slowly, once at
# once): disappearances, appearances and counter resets are counted and no
# rate ever goes negative or spikes. A reload drops an interface from the
# list and its series go.
source "$(dirname "$0")/lib.sh"
need curl; need python3; need ip
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"

tag=$$
NA=cwif$tag-a   # circuitwatch's side
NB=cwif$tag-b   # the "provider" side
netns_add "$NA"
netns_add "$NB"
cleanup_ns() {
  for n in "$NA" "$NB"; do
    ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$n" 2>/dev/null
  done
  cleanup
}
trap cleanup_ns EXIT
ina() { ip netns exec "$NA" "$@"; }
inb() { ip netns exec "$NB" "$@"; }

# veth pair N: cwifpN (in A, 198.18.N.1/30) <-> cwifqN (in B, 198.18.N.2/30).
# IPv6 off and static neighbours: nothing but our datagrams crosses.
veth_up() {
  local n=$1
  ip link add "cwifp$n" address "02:00:00:00:0$n:01" netns "$NA" type veth \
    peer name "cwifq$n" address "02:00:00:00:0$n:02" netns "$NB" || return 1
  ina sysctl -qw "net.ipv6.conf.cwifp$n.disable_ipv6=1"
  inb sysctl -qw "net.ipv6.conf.cwifq$n.disable_ipv6=1"
  ip -n "$NA" addr add "198.18.$n.1/30" dev "cwifp$n"
  ip -n "$NB" addr add "198.18.$n.2/30" dev "cwifq$n"
  ip -n "$NA" neigh replace "198.18.$n.2" lladdr "02:00:00:00:0$n:02" dev "cwifp$n" nud permanent
  ip -n "$NB" neigh replace "198.18.$n.1" lladdr "02:00:00:00:0$n:01" dev "cwifq$n" nud permanent
  ip -n "$NA" link set "cwifp$n" up
  ip -n "$NB" link set "cwifq$n" up
}
for n in "$NA" "$NB"; do ip -n "$n" link set lo up; done
veth_up 1 || skip "cannot create veth pairs here"
veth_up 2

PORT=$(free_port)   # loopback of namespace A: any port is free there
base="http://127.0.0.1:$PORT"
write_config() { # write_config "extra interfaces list"
  cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$PORT"}
bmp: {enabled: false}
ifstats:
  interval: 1s
  interfaces: [$1]
billing:
  state_dir: $WORK/state
  plans:
    - {name: er-50m, currency: USD, port_fees: [{bandwidth: 50Mbps, monthly: 55}],
       egress: [{zone: zone1, per_gb: 0.025}]}
circuits:
  - id: er-test
    provider: expressroute
    bandwidth: 50Mbps
    billing_plan: er-50m
    billing: {zone: zone1}    # source: interfaces (the default with link interfaces)
    links:
      primary:
        interface: cwifp1
        peerings: [{type: private, neighbors: [{address: 198.18.1.2}]}]
      secondary:
        interface: cwifp2
        peerings: [{type: private, neighbors: [{address: 198.18.2.2}]}]
YAML
}
write_config "lo, cwifnone"
# not through ina: $! must be the daemon itself (ip netns exec execs it)
ip netns exec "$NA" "$CW_BIN" run --config "$WORK/cw.yaml" 2>"$WORK/cw.log" &
CW_PID=$!
PIDS+=("$CW_PID")
check "daemon becomes ready" until_true 20 ina curl -sf -o /dev/null "$base/-/ready"

scrape() { ina curl -sf -o "$WORK/m.txt" "$base/metrics"; }
# metric NAME LABELS — prints the value of one series of the last scrape
# (awk, not python: this runs often and must stay cheap on a loaded box)
metric() {
  local key=$1
  [ -n "$2" ] && key="$1{$2}"
  awk -v key="$key" 'index($0, key " ") == 1 { print $2; exit }' "$WORK/m.txt"
}
l1='interface="cwifp1",circuit="er-test",link="primary"'
l2='interface="cwifp2",circuit="er-test",link="secondary"'
has_rate() { scrape && [ -n "$(metric circuitwatch_interface_transmit_bytes_per_second "$l1")" ]; }
check "a rate appears after two passes" until_true 20 has_rate
check "present link interface" test "$(metric circuitwatch_interface_present "$l1")" = 1
check "link interface up" test "$(metric circuitwatch_interface_up "$l1")" = 1
check "extra interface lo without circuit labels" \
  test "$(metric circuitwatch_interface_present 'interface="lo",circuit="",link=""')" = 1
check "missing interface is reported absent" \
  test "$(metric circuitwatch_interface_present 'interface="cwifnone",circuit="",link=""')" = 0
check "missing interface logged" grep -q 'interface not found.*cwifnone' "$WORK/cw.log"
check "interface info: veth, its ifindex, operstate up" grep -q \
  "^circuitwatch_interface_info{interface=\"cwifp1\",circuit=\"er-test\",link=\"primary\",ifindex=\"$(ina cat /sys/class/net/cwifp1/ifindex)\",kind=\"veth\",vlan=\"\",vlan_protocol=\"\",operstate=\"up\"} 1$" "$WORK/m.txt"
check "first sighting counted as an appearance" \
  test "$(metric circuitwatch_interface_appearances_total "$l1")" = 1
if command -v promtool >/dev/null; then
  check "promtool check metrics is clean" sh -c "promtool check metrics < '$WORK/m.txt'"
fi

sysfs() { ina cat "/sys/class/net/$1/statistics/$2"; }
tx0=$(sysfs cwifp1 tx_packets); txb0=$(sysfs cwifp1 tx_bytes)

# Billing meters the links' interface counters: sent = egress (to the cloud), received =
# ingress (from the cloud, priced). At rest, one scrape's billing total and the kernel
# counters it mirrors, summed over both links, move together.
mkdir -p "$WORK/state"
billed() { metric circuitwatch_billing_cycle_bytes "circuit=\"er-test\",direction=\"$1\""; }
kernel_sum() { # kernel_sum transmit|receive — both links, from the same scrape
  awk -v a="$(metric "circuitwatch_interface_$1_bytes_total" "$l1")" \
      -v b="$(metric "circuitwatch_interface_$1_bytes_total" "$l2")" 'BEGIN { printf "%.0f", a + b }'
}
settled() { # two scrapes 1.5 s apart with the same billing and kernel figures
  scrape; local a="$(billed egress) $(billed ingress) $(kernel_sum transmit) $(kernel_sum receive)"
  sleep 1.5; scrape; local b="$(billed egress) $(billed ingress) $(kernel_sum transmit) $(kernel_sum receive)"
  [ "$a" = "$b" ] && [ -n "$(billed egress)" ]
}
check "billing has settled before the traffic" until_true 20 settled
B_TX0=$(billed egress) B_RX0=$(billed ingress) K_TX0=$(kernel_sum transmit) K_RX0=$(kernel_sum receive)

# --- known traffic: COUNT datagrams of 1000 bytes paced over ~3 s from A
# to B on the primary; a receiver in B drains them (no ICMP back).
COUNT=6000
inb python3 -c '
import socket, sys
want = int(sys.argv[2]); n = 0
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# room for the whole blast (SO_RCVBUFFORCE, root): a loaded machine may hold
# this loop back for a while, and the default buffer then drops datagrams
s.setsockopt(socket.SOL_SOCKET, 33, 32 << 20)
s.bind(("198.18.1.2", 9999)); s.settimeout(5)
try:
    while n < want: s.recv(2048); n += 1
except socket.timeout: pass
open(sys.argv[1], "w").write(str(n))' "$WORK/received" "$COUNT" &
RECV=$!
bound() { inb ss -Hlun 'sport = :9999' | grep -q 9999; }
until_true 20 bound || bad "receiver did not start"
ina python3 - "$COUNT" > "$WORK/sent.json" <<'PY'
import json, socket, sys, time
n = int(sys.argv[1]); s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.1.1", 0)); payload = b"x" * 1000
t0 = time.monotonic()
for i in range(n):
    s.sendto(payload, ("198.18.1.2", 9999))
    # pace to 2000/s
    ahead = t0 + (i + 1) / 2000.0 - time.monotonic()
    if ahead > 0: time.sleep(ahead)
print(json.dumps({"frames": n, "seconds": time.monotonic() - t0}))
PY
# scrape during the tail of the blast is over; take rates after it in the peak
wait "$RECV"
frame=$((1000 + 8 + 20 + 14))  # UDP payload + UDP + IPv4 + Ethernet (no FCS on veth)
check "receiver got every datagram" test "$(cat "$WORK/received")" = "$COUNT"
check "kernel tx_packets grew by exactly the frames sent" test $(( $(sysfs cwifp1 tx_packets) - tx0 )) = "$COUNT"
check "kernel tx_bytes grew by exactly the bytes sent" test $(( $(sysfs cwifp1 tx_bytes) - txb0 )) = $((COUNT * frame))

check "billing has settled after the traffic" until_true 20 settled
B_TX1=$(billed egress) B_RX1=$(billed ingress) K_TX1=$(kernel_sum transmit) K_RX1=$(kernel_sum receive)
check "billing egress (to the cloud) grew by exactly the links' transmitted bytes ($((K_TX1 - K_TX0)))" \
  awk -v b0="$B_TX0" -v b1="$B_TX1" -v k0="$K_TX0" -v k1="$K_TX1" -v min=$((COUNT * frame)) \
  'BEGIN { exit !(b1 - b0 == k1 - k0 && b1 - b0 >= min) }'
check "billing ingress (from the cloud) grew by exactly the links' received bytes ($((K_RX1 - K_RX0)))" \
  awk -v b0="$B_RX0" -v b1="$B_RX1" -v k0="$K_RX0" -v k1="$K_RX1" 'BEGIN { exit !(b1 - b0 == k1 - k0) }'

# Quiet now: once a pass saw an idle interval, the mirrored counters equal
# the kernel's.
idle() { scrape && [ "$(metric circuitwatch_interface_transmit_bytes_per_second "$l1")" = 0 ]; }
check "idle rate is zero after the traffic" until_true 10 idle
exact() { # exact METRIC SYSFS_FIELD
  local m; m=$(metric "$1" "$l1")
  [ -n "$m" ] && awk -v a="$m" -v b="$(sysfs cwifp1 "$2")" 'BEGIN { exit !(a + 0 == b + 0) }'
}
for f in receive_bytes:rx_bytes transmit_bytes:tx_bytes receive_packets:rx_packets \
         transmit_packets:tx_packets receive_errors:rx_errors transmit_errors:tx_errors \
         receive_dropped:rx_dropped transmit_dropped:tx_dropped; do
  check "counter circuitwatch_interface_${f%%:*}_total equals sysfs ${f#*:}" \
    exact "circuitwatch_interface_${f%%:*}_total" "${f#*:}"
done
ina ip -j -s -s link show dev cwifp1 > "$WORK/ip.json"
check "counters equal ip -s -s link (64-bit stats)" python3 - "$WORK/ip.json" "$WORK/m.txt" "$l1" <<'PY'
import json, sys
link = json.load(open(sys.argv[1]))[0]["stats64"]
want = {"receive_bytes": link["rx"]["bytes"], "transmit_bytes": link["tx"]["bytes"],
        "receive_packets": link["rx"]["packets"], "transmit_packets": link["tx"]["packets"]}
got = {}
for line in open(sys.argv[2]):
    for k in want:
        if line.startswith("circuitwatch_interface_%s_total{%s}" % (k, sys.argv[3])):
            got[k] = int(float(line.rsplit(" ", 1)[1]))
assert got == want, (got, want)
PY

# The peak of the last 60 s holds the blast: a full 1 s interval inside it
# saw ~2000 frames/s; anything between 0.7x and 1.6x the sender's average
# is right (interval edges and pacing jitter), a spike or a miss is not.
check "peak transmit rate matches bytes over elapsed time" python3 - "$WORK/sent.json" \
  "$(metric circuitwatch_interface_transmit_peak_bytes_per_second "$l1")" \
  "$(metric circuitwatch_interface_transmit_peak_packets_per_second "$l1")" "$frame" <<'PY'
import json, sys
sent = json.load(open(sys.argv[1])); frame = int(sys.argv[4])
avg_b = sent["frames"] * frame / sent["seconds"]; avg_p = sent["frames"] / sent["seconds"]
peak_b, peak_p = float(sys.argv[2]), float(sys.argv[3])
print("  sender %.0f B/s %.0f pkt/s; peak %.0f B/s %.0f pkt/s" % (avg_b, avg_p, peak_b, peak_p))
assert 0.7 * avg_b <= peak_b <= 1.6 * avg_b
assert 0.7 * avg_p <= peak_p <= 1.6 * avg_p
PY
check "peak link utilisation is the peak rate x 8 over 50 Mbit/s" awk \
  -v r="$(metric circuitwatch_interface_transmit_peak_bytes_per_second "$l1")" \
  -v u="$(metric circuitwatch_link_peak_utilisation_ratio 'circuit="er-test",link="primary",direction="egress"')" \
  'BEGIN { d = u - r * 8 / 50e6; exit !(r > 0 && d < 1e-9 && d > -1e-9) }'
check "circuit utilisation over both links (idle: 0)" test \
  "$(metric circuitwatch_circuit_utilisation_ratio 'circuit="er-test",direction="egress"')" = 0
check "link utilisation per direction" test \
  "$(metric circuitwatch_link_utilisation_ratio 'circuit="er-test",link="secondary",direction="ingress"')" = 0

# --- delete and re-create the primary link; watch every rate meanwhile
python3 - "$NA" "$base" "$WORK/rates.log" <<'PY' &
import subprocess, sys, time
ns, base, out = sys.argv[1:]
end = time.monotonic() + 9
with open(out, "w") as f:
    while time.monotonic() < end:
        r = subprocess.run(["ip", "netns", "exec", ns, "curl", "-sf", base + "/metrics"],
                           capture_output=True, text=True)
        for line in r.stdout.splitlines():
            if "_per_second{" in line and line.startswith("circuitwatch_interface_"):
                f.write(line + "\n")
        time.sleep(0.2)
PY
WATCH=$!
ip -n "$NA" link del cwifp1
gone() { scrape && [ "$(metric circuitwatch_interface_present "$l1")" = 0 ]; }
check "deleted link reported absent" until_true 10 gone
check "its rate series went" test -z "$(metric circuitwatch_interface_transmit_bytes_per_second "$l1")"
check "disappearance counted" test "$(metric circuitwatch_interface_disappearances_total "$l1")" = 1
check "vanish logged" grep -q 'interface vanished.*cwifp1' "$WORK/cw.log"
veth_up 1
back() { scrape && [ -n "$(metric circuitwatch_interface_transmit_bytes_per_second "$l1")" ]; }
check "re-created link has a rate again" until_true 10 back
check "appearance counted" test "$(metric circuitwatch_interface_appearances_total "$l1")" = 2
check "re-creation counted as a counter reset" test "$(metric circuitwatch_interface_resets_total "$l1")" = 1
check "mirrored counter restarted from the new link's" \
  exact circuitwatch_interface_transmit_packets_total tx_packets
# at once: deleted and re-created between two passes (new ifindex)
ip -n "$NA" link del cwifp1 && veth_up 1
reset2() { scrape && [ "$(metric circuitwatch_interface_resets_total "$l1")" = 2 ]; }
check "quick re-creation: second reset counted" until_true 10 reset2
check "quick re-creation: third appearance" test "$(metric circuitwatch_interface_appearances_total "$l1")" = 3
check "quick re-creation: second disappearance" test "$(metric circuitwatch_interface_disappearances_total "$l1")" = 2
wait "$WATCH"
check "rates were scraped throughout" test "$(wc -l < "$WORK/rates.log")" -gt 20
check "no rate was negative or a spike (above 10 MB/s)" python3 - "$WORK/rates.log" <<'PY'
import sys
bad = [l for l in open(sys.argv[1]) if not 0 <= float(l.rsplit(" ", 1)[1]) < 10e6]
assert not bad, bad[:5]
PY

# --- reload: lo leaves the list, its series go; the interval changes live
write_config "cwifnone"
sed -i 's/interval: 1s/interval: 2s/' "$WORK/cw.yaml"
kill -HUP "$CW_PID"
lo_gone() { scrape && ! grep -q 'interface="lo"' "$WORK/m.txt"; }
check "reload drops lo's series" until_true 10 lo_gone
check "reload logged with the new interval" grep -q 'interface counters reloaded.*interval_ms=2000' "$WORK/cw.log"
check "the link interfaces stay" test "$(metric circuitwatch_interface_present "$l2")" = 1
check "passes counted, none failed" grep -q '^circuitwatch_ifstats_passes_total{result="failure"} 0$' "$WORK/m.txt"
check "sample duration histogram filled" grep -q '^circuitwatch_ifstats_sample_duration_seconds_count [1-9]' "$WORK/m.txt"
check "no netlink errors" sh -c "! grep -q '^circuitwatch_ifstats_netlink_errors_total' '$WORK/m.txt'"

kill -TERM "$CW_PID"
wait_exit "$CW_PID" 10
check "clean shutdown" test "$RC" = 0
[ "$FAILED" -eq 0 ] || { echo "--- daemon log (tail)"; tail -n 30 "$WORK/cw.log"; }
finish
