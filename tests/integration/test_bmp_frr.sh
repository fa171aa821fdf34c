#!/usr/bin/env bash
# A real router streams BMP to circuitwatch: FRR bgpd (with its BMP module)
# peers eBGP with GoBGP over a veth pair between two network namespaces and
# reports both sessions (IPv4 and IPv6) to circuitwatch running in FRR's
# namespace. circuitwatch's prefix counts must equal FRR's own, a
# withdrawal must show, a cleared session must show as down and up again,
# and the router's loss must take its peers down.
source "$(dirname "$0")/lib.sh"
need curl; need python3; need ip
frr_bmp_lab # R1 (FRR, 198.18.1.1) and R2 (GoBGP, 198.18.1.2): lib.sh

BMP_PORT=11790
PROM_PORT=10179
base="http://127.0.0.1:$PROM_PORT"
cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$PROM_PORT"}
bmp: {listen: "127.0.0.1:$BMP_PORT", allow: ["127.0.0.0/8"]}
circuits:
  - id: dx-lab
    provider: directconnect
    bandwidth: 1Gbps
    links:
      primary:
        interface: cw$tag-a
        router: 127.0.0.1
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
check "circuitwatch ready in the router's namespace" until_true 20 in1 curl -sf -o /dev/null "$base/-/ready"

mkdir -p "$WORK/frr"
chmod 777 "$WORK" "$WORK/frr"
frr_bmp_bgpd_conf > "$WORK/frr/bgpd.conf"
start_frr_bgpd -M bmp
start_gobgp_peer

# IPv4 and IPv6 routes with varied AS paths, communities and large communities
N4=120
N6=40
for i in $(seq 0 $((N4 - 1))); do
  gob global rib add "203.0.$((i / 64)).$(((i % 64) * 4))/30" aspath "65002,$((65100 + i % 7)),$((65200 + i % 3))" \
    community "65002:$((i % 5))" large-community "65002:1:$((i % 4))" -a ipv4 >/dev/null
done
for i in $(seq 0 $((N6 - 1))); do
  gob global rib add "2001:db8:$((100 + i))::/48" aspath "65002,$((65300 + i % 5))" -a ipv6 >/dev/null
done

# vty, frr_count and cw_metric: lib.sh
prefixes() { # prefixes PEER AFI_SAFI
  cw_metric "circuitwatch_bgp_prefixes\\{[^}]*peer=\"$1\"[^}]*afi_safi=\"$2\",view=\"adj-rib-in-pre\"\\}"
}
same4() { local f; f=$(frr_count ipv4 198.18.1.2); [ "$f" = "$N4" ] && [ "$(prefixes 198.18.1.2 ipv4-unicast)" = "$f" ]; }
same6() { local f; f=$(frr_count ipv6 2001:db8:1::2); [ "$f" = "$N6" ] && [ "$(prefixes 2001:db8:1::2 ipv6-unicast)" = "$f" ]; }
check "IPv4: circuitwatch counts what FRR received ($N4)" until_true 60 same4
check "IPv6: circuitwatch counts what FRR received ($N6)" until_true 30 same6
echo "    FRR ipv4=$(frr_count ipv4 198.18.1.2) ipv6=$(frr_count ipv6 2001:db8:1::2);" \
     "circuitwatch ipv4=$(prefixes 198.18.1.2 ipv4-unicast) ipv6=$(prefixes 2001:db8:1::2 ipv6-unicast)"

peer4='peer="198.18.1.2",peer_as="65002",rd="",circuit="dx-lab",link="primary",peering="private"'
check "session mapped to the configured circuit and up" \
  test "$(cw_metric "circuitwatch_bgp_session_up\\{source=\"bmp\",router=\"127.0.0.1\",$peer4\\}")" = 1
check "router's sysName from the Initiation" \
  sh -c "ip netns exec $R1 curl -s $base/metrics | grep -q '^circuitwatch_bmp_router_info{router=\"127.0.0.1\",sys_name=\"lab-r1\"'"
check "no BGP parse errors on real UPDATEs" \
  sh -c "! ip netns exec $R1 curl -s $base/metrics | grep -q '^circuitwatch_bgp_parse_errors_total'"

# withdraw ten IPv4 routes
for i in $(seq 0 9); do gob global rib del "203.0.0.$((i * 4))/30" -a ipv4 >/dev/null; done
N4=$((N4 - 10))
check "withdrawals: both count $N4" until_true 30 same4

# clear the IPv4 session: Peer Down then Peer Up, prefixes come back
changes() { cw_metric "circuitwatch_bgp_session_state_changes_total\\{source=\"bmp\",router=\"127.0.0.1\",$peer4\\}"; }
before=$(changes)
vty "clear bgp 198.18.1.2" >/dev/null
moved() { local c; c=$(changes); [ "$c" != none ] && [ "$c" -ge $((before + 2)) ]; }
check "cleared session: state changes moved by 2 (was $before)" until_true 30 moved
check "cleared session: up again with the same count" until_true 60 same4

# the router goes away: its peers go down, series stay with up=0
kill -9 "$(cat "$WORK/frr/bgpd.pid")"
down() { [ "$(cw_metric "circuitwatch_bgp_session_up\\{source=\"bmp\",router=\"127.0.0.1\",$peer4\\}")" = 0 ]; }
check "router lost: its sessions show down" until_true 20 down
check "router lost: router_up is 0" test "$(cw_metric 'circuitwatch_bmp_router_up\{router="127.0.0.1"\}')" = 0
check "router lost: prefixes drop to 0" test "$(prefixes 198.18.1.2 ipv4-unicast)" = 0

kill -TERM "$CW_PID"
wait_exit "$CW_PID" 15; rc=$RC
check "SIGTERM: clean exit 0" test "$rc" = 0
finish
