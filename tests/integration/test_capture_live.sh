#!/usr/bin/env bash
# Passive capture, live: FRR bgpd and GoBGP peer eBGP (IPv4 and IPv6) over a
# veth pair between two network namespaces, and circuitwatch, in FRR's
# namespace, captures on FRR's end of the veth (no BMP). Its sessions
# (source="pcap") must be up, its prefix counts must equal FRR's pfxRcd, the
# prefix-limit headroom must follow what FRR advertises, 802.1Q and QinQ
# frames injected with a raw socket must be counted per VLAN exactly, and a
# cleared or shut session must show as down and up again.
source "$(dirname "$0")/lib.sh"
need curl; need python3; need ip
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
[ -x /usr/lib/frr/bgpd ] || skip "FRR bgpd not installed (run deploy/install-deps.sh)"
need gobgpd; need gobgp; need vtysh

tag=$$
R1=cwc$tag-r1
R2=cwc$tag-r2
IF1=cwc$tag-a
IF2=cwc$tag-b
MAC1=02:00:00:00:c1:01
MAC2=02:00:00:00:c1:02
netns_pair "$R1" "$R2" "$IF1" "$IF2" "$MAC1" "$MAC2"
ip -n "$R1" addr add 198.18.1.1/30 dev "$IF1"
ip -n "$R1" addr add 2001:db8:1::1/64 dev "$IF1" nodad
ip -n "$R2" addr add 198.18.1.2/30 dev "$IF2"
ip -n "$R2" addr add 2001:db8:1::2/64 dev "$IF2" nodad
in1() { ip netns exec "$R1" "$@"; }
in2() { ip netns exec "$R2" "$@"; }

PROM_PORT=10179
base="http://127.0.0.1:$PROM_PORT"
cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$PROM_PORT"}
bmp: {enabled: false}
capture:
  enabled: true
  interfaces: [$IF1]
  local_macs: ["$MAC1"]
circuits:
  - id: dx-lab
    provider: directconnect
    bandwidth: 1Gbps
    links:
      primary:
        interface: $IF1
        peerings:
          - type: private
            vlan: 10
            prefix_limit: 100
            neighbors:
              - {address: 198.18.1.2, asn: 65002}
              - {address: 2001:db8:1::2, asn: 65002}
YAML
ip netns exec "$R1" "$CW_BIN" run --config "$WORK/cw.yaml" 2>"$WORK/cw.log" &
CW_PID=$!
PIDS+=("$CW_PID")
check "circuitwatch capturing on $IF1 in the router's namespace" \
  until_true 20 in1 curl -sf -o /dev/null "$base/-/ready"

mkdir -p "$WORK/frr"
chmod 777 "$WORK" "$WORK/frr"
# FRR originates two IPv4 prefixes: what it advertises is the provider's
# count against the prefix limit
cat > "$WORK/frr/bgpd.conf" <<EOF
frr defaults traditional
hostname lab-r1
router bgp 65001
 bgp router-id 198.18.1.1
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 198.18.1.2 remote-as 65002
 neighbor 2001:db8:1::2 remote-as 65002
 address-family ipv4 unicast
  network 192.0.2.0/25
  network 192.0.2.128/25
  neighbor 198.18.1.2 soft-reconfiguration inbound
  no neighbor 2001:db8:1::2 activate
 exit-address-family
 address-family ipv6 unicast
  neighbor 2001:db8:1::2 activate
  neighbor 2001:db8:1::2 soft-reconfiguration inbound
 exit-address-family
exit
EOF
start_frr_bgpd
start_gobgp_peer

N4=150
N6=45
for i in $(seq 0 $((N4 - 1))); do
  gob global rib add "203.0.$((i / 64)).$(((i % 64) * 4))/30" aspath "65002,$((65100 + i % 7))" \
    community "65002:$((i % 5))" -a ipv4 >/dev/null
done
for i in $(seq 0 $((N6 - 1))); do
  gob global rib add "2001:db8:$((100 + i))::/48" aspath "65002,$((65300 + i % 5))" -a ipv6 >/dev/null
done

# vty, frr_count and cw_metric: lib.sh
labels() { echo "source=\"pcap\",router=\"$IF1\",peer=\"$1\",peer_as=\"65002\",rd=\"\",circuit=\"dx-lab\",link=\"primary\",peering=\"private\""; }
prefixes() { # prefixes PEER AFI_SAFI [VIEW]
  cw_metric "circuitwatch_bgp_prefixes\\{$(labels "$1"),afi_safi=\"$2\",view=\"${3:-adj-rib-in-pre}\"\\}"
}
up() { cw_metric "circuitwatch_bgp_session_up\\{$(labels "$1")\\}"; }
same4() { local f; f=$(frr_count ipv4 198.18.1.2); [ "$f" = "$N4" ] && [ "$(prefixes 198.18.1.2 ipv4-unicast)" = "$f" ]; }
same6() { local f; f=$(frr_count ipv6 2001:db8:1::2); [ "$f" = "$N6" ] && [ "$(prefixes 2001:db8:1::2 ipv6-unicast)" = "$f" ]; }
check "IPv4: circuitwatch counts from the wire what FRR received ($N4)" until_true 60 same4
check "IPv6: circuitwatch counts from the wire what FRR received ($N6)" until_true 30 same6
echo "    FRR ipv4=$(frr_count ipv4 198.18.1.2) ipv6=$(frr_count ipv6 2001:db8:1::2);" \
     "circuitwatch ipv4=$(prefixes 198.18.1.2 ipv4-unicast) ipv6=$(prefixes 2001:db8:1::2 ipv6-unicast)"
check "IPv4 session up (source=pcap, mapped to the circuit)" test "$(up 198.18.1.2)" = 1
check "IPv6 session up (source=pcap, mapped to the circuit)" test "$(up 2001:db8:1::2)" = 1
frr_adv() { # what FRR advertises to 198.18.1.2 (its own two, and GoBGP's
  # routes back to GoBGP, which GoBGP drops on the AS path loop)
  vty "show bgp ipv4 unicast neighbors 198.18.1.2 advertised-routes json" | python3 -c '
import json,sys
try: print(json.load(sys.stdin)["totalPrefixCounter"])
except Exception: print(-1)'
}
headroom() {
  local a; a=$(frr_adv)
  [ "$a" -gt 0 ] && [ "$(prefixes 198.18.1.2 ipv4-unicast adj-rib-out-pre)" = "$a" ] &&
    [ "$(cw_metric "circuitwatch_bgp_prefix_limit_headroom\\{$(labels 198.18.1.2)\\}")" = $((100 - a)) ]
}
check "Adj-RIB-Out from the wire = FRR's advertised count; headroom = 100 - that" until_true 30 headroom
echo "    FRR advertised=$(frr_adv); circuitwatch adj-rib-out-pre ipv4=$(prefixes 198.18.1.2 ipv4-unicast adj-rib-out-pre)" \
     "headroom=$(cw_metric "circuitwatch_bgp_prefix_limit_headroom\\{$(labels 198.18.1.2)\\}")"
risk_ok() { local r; r=$(cw_metric "circuitwatch_bgp_hold_risk_ratio\\{$(labels 198.18.1.2)\\}")
  [ "$r" != none ] && python3 -c 'import sys; sys.exit(not 0 <= float(sys.argv[1]) < 1)' "$r"; }
check "hold-timer risk of the GoBGP peer published, below 1" until_true 10 risk_ok
check "no BGP parse errors on real UPDATEs" \
  sh -c "! ip netns exec $R1 curl -s $base/metrics | grep -q '^circuitwatch_bgp_parse_errors_total'"

# 802.1Q (VLAN 10) and QinQ (S-tag 300, C-tag 110) frames of known sizes,
# sent from the GoBGP side to FRR's MAC: ingress on $IF1
cat > "$WORK/inject.py" <<'PY'
import socket, struct, sys
ifname, dst, src = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), bytes.fromhex(sys.argv[3].replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
def frame(tags, size):
    hdr = dst + src
    for tpid, vid in tags:
        hdr += struct.pack("!HH", tpid, vid)
    hdr += struct.pack("!H", 0x88b5)  # IEEE local experimental ethertype
    return hdr + bytes(size - len(hdr))
sent = {}
for name, tags, sizes in (("q10", [(0x8100, 10)], [64, 100, 333, 512, 999, 1000, 77]),
                          ("qinq", [(0x88a8, 300), (0x8100, 110)], [68, 200, 401, 800, 1024])):
    for n in sizes:
        s.send(frame(tags, n))
    sent[name] = (len(sizes), sum(sizes))
for k, (p, b) in sent.items():
    print(k, p, b)
PY
vlan() { # vlan S C METRIC
  cw_metric "circuitwatch_vlan_$3_total\\{interface=\"$IF1\",s_tag=\"$1\",c_tag=\"$2\",direction=\"ingress\"\\}"
}
in2 python3 "$WORK/inject.py" "$IF2" "$MAC1" 02:00:00:00:c1:99 > "$WORK/sent.txt"
read -r _ q_pk q_by < <(grep '^q10 ' "$WORK/sent.txt")
read -r _ qq_pk qq_by < <(grep '^qinq ' "$WORK/sent.txt")
vlans_ok() {
  [ "$(vlan '' 10 packets)" = "$q_pk" ] && [ "$(vlan '' 10 bytes)" = "$q_by" ] &&
    [ "$(vlan 300 110 packets)" = "$qq_pk" ] && [ "$(vlan 300 110 bytes)" = "$qq_by" ]
}
check "802.1Q VLAN 10: $q_pk frames, $q_by bytes; QinQ 300/110: $qq_pk frames, $qq_by bytes" \
  until_true 10 vlans_ok
echo "    counted: vlan10 $(vlan '' 10 packets)/$(vlan '' 10 bytes), 300/110 $(vlan 300 110 packets)/$(vlan 300 110 bytes)"
check "untagged BGP traffic counted both ways" \
  sh -c "ip netns exec $R1 curl -s $base/metrics | grep -q '^circuitwatch_vlan_packets_total{interface=\"$IF1\",s_tag=\"\",c_tag=\"\",direction=\"egress\"}'"
check "packets counted, no kernel drops" \
  test "$(cw_metric "circuitwatch_capture_dropped_total\\{interface=\"$IF1\",where=\"kernel\"\\}")" = 0

# clear the IPv4 session: NOTIFICATION and a new connection on the wire
changes() { cw_metric "circuitwatch_bgp_session_state_changes_total\\{$(labels 198.18.1.2)\\}"; }
before=$(changes)
vty "clear bgp 198.18.1.2" >/dev/null
moved() { local c; c=$(changes); [ "$c" != none ] && [ "$c" -ge $((before + 2)) ]; }
check "cleared session: state changes moved by 2 (was $before)" until_true 60 moved
check "cleared session: up again with the same count" until_true 60 same4
# FRR (198.18.1.1) sent the Cease: it counts on the sender's series only,
# as tshark counts it per source (issue 12 item 10)
notif() { [ "$(cw_metric "circuitwatch_bgp_notifications_total\\{source=\"pcap\",router=\"$IF1\",peer=\"198.18.1.1\",.*code=\"6\",")" != none ]; }
check "cleared session: a Cease NOTIFICATION counted on its sender's (FRR's) series" notif
check "... and not on the receiver's" \
  test "$(cw_metric "circuitwatch_bgp_notifications_total\\{$(labels 198.18.1.2),code=\"6\",")" = none

# shut the session: it must read 0 until it comes back
before=$(changes)
in1 vtysh --vty_socket "$WORK/frr" -c "configure terminal" -c "router bgp 65001" \
  -c "neighbor 198.18.1.2 shutdown" >/dev/null 2>&1
is() { [ "$(up 198.18.1.2)" = "$1" ]; }
check "shut session: session_up 0" until_true 20 is 0
check "shut session: prefixes drop to 0" test "$(prefixes 198.18.1.2 ipv4-unicast)" = 0
in1 vtysh --vty_socket "$WORK/frr" -c "configure terminal" -c "router bgp 65001" \
  -c "no neighbor 198.18.1.2 shutdown" >/dev/null 2>&1
check "session_up 1 again" until_true 60 is 1
check "up again with the same count" until_true 60 same4
check "state changes moved by 2 (was $before, now $(changes))" test "$(changes)" -ge $((before + 2))

kill -TERM "$CW_PID"
wait_exit "$CW_PID" 15; rc=$RC
check "SIGTERM: clean exit 0" test "$rc" = 0
finish
