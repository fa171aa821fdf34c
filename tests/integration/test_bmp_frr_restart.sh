#!/usr/bin/env bash
# A router that comes back before its stale BMP connection dies (issue 12
# item 2), with a real FRR bgpd: bgpd is killed while an nftables rule in
# its namespace drops every packet of its BMP connection (so neither FIN
# nor RST reaches circuitwatch), then restarted; its new BMP session sends
# the whole table again. When the drop goes and the old connection finally
# ends, the router must stay up with FRR's prefix counts. Then, with short
# keepalive settings applied by SIGHUP, a killed bgpd whose packets are
# dropped is found dead by TCP keepalive (item 4).
source "$(dirname "$0")/lib.sh"
need curl; need python3; need ip; need nft; need ss
frr_bmp_lab # R1 (FRR, 198.18.1.1) and R2 (GoBGP, 198.18.1.2): lib.sh

BMP_PORT=11790
PROM_PORT=10179
base="http://127.0.0.1:$PROM_PORT"
cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$PROM_PORT"}
bmp: {listen: "127.0.0.1:$BMP_PORT", allow: ["127.0.0.0/8"]}
YAML
ip netns exec "$R1" "$CW_BIN" run --config "$WORK/cw.yaml" 2>"$WORK/cw.log" &
CW_PID=$!
PIDS+=("$CW_PID")
check "circuitwatch ready in the router's namespace" until_true 20 in1 curl -sf -o /dev/null "$base/-/ready"

mkdir -p "$WORK/frr"
chmod 777 "$WORK" "$WORK/frr"
frr_bmp_bgpd_conf timers > "$WORK/frr/bgpd.conf"
start_frr_bgpd -M bmp
start_gobgp_peer

N4=80
N6=20
for i in $(seq 0 $((N4 - 1))); do
  gob global rib add "203.0.$((i / 64)).$(((i % 64) * 4))/30" aspath "65002,$((65100 + i % 7))" -a ipv4 >/dev/null
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
router_up() { cw_metric 'circuitwatch_bmp_router_up\{router="127.0.0.1"\}'; }
# BMP connections established, as circuitwatch's side of them sees them
bmp_conns() { in1 ss -tnH state established "( sport = :$BMP_PORT )" | wc -l; }
check "first session: IPv4 counts equal FRR's ($N4)" until_true 60 same4
check "first session: IPv6 counts equal FRR's ($N6)" until_true 30 same6

# drop every packet of FRR's BMP connection: it lingers, as after a link
# flap or a router reload, and neither FIN nor RST reaches circuitwatch
fport=$(in1 ss -tnH state established "( dport = :$BMP_PORT )" | awk '{print $3}' | sed 's/.*://' | head -1)
check "found FRR's BMP source port ($fport)" test -n "$fport"
in1 nft add table inet cwtest$tag
in1 nft add chain inet cwtest$tag out '{ type filter hook output priority 0; }'
in1 nft add rule inet cwtest$tag out tcp sport "$fport" drop
in1 nft add rule inet cwtest$tag out tcp dport "$fport" drop

old=$(cat "$WORK/frr/bgpd.pid")
kill -9 "$old"
until_true 10 sh -c "! kill -0 $old 2>/dev/null"
rm -f "$WORK/frr/bgpd.pid"
start_frr_bgpd -M bmp
two() { [ "$(bmp_conns)" -ge 2 ]; }
check "restarted bgpd: a second BMP connection while the old lingers" until_true 30 two
peer_ups() { [ "$(cw_metric 'circuitwatch_bmp_messages_total\{router="127.0.0.1",type="peer-up"\}')" = 4 ]; }
check "new session: both peers up again (4 Peer Ups in all)" until_true 90 peer_ups
check "new session: IPv4 counts equal FRR's" until_true 90 same4
check "new session: IPv6 counts equal FRR's" until_true 30 same6

sleep 3 # the new session's table is in
# the old connection finally ends: its FIN gets through
in1 nft delete table inet cwtest$tag
one() { [ "$(bmp_conns)" = 1 ]; }
check "the old connection is gone" until_true 120 one
sleep 2
check "router_up is still 1" test "$(router_up)" = 1
check "IPv4 prefixes still equal FRR's ($N4)" same4
check "IPv6 prefixes still equal FRR's ($N6)" same6
echo "    FRR ipv4=$(frr_count ipv4 198.18.1.2) ipv6=$(frr_count ipv6 2001:db8:1::2);" \
     "circuitwatch ipv4=$(prefixes 198.18.1.2 ipv4-unicast) ipv6=$(prefixes 2001:db8:1::2 ipv6-unicast) router_up=$(router_up)"
check "takeover counted" test "$(cw_metric 'circuitwatch_bmp_sessions_superseded_total ')" = 1

# TCP keepalive (short settings, applied by a reload) ends a dead router's
# connection that sends nothing
cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$PROM_PORT"}
bmp: {listen: "127.0.0.1:$BMP_PORT", allow: ["127.0.0.0/8"], keepalive: 2s, keepalive_interval: 1s, keepalive_count: 2}
YAML
kill -HUP "$CW_PID"
check "reloaded with short keepalive settings" until_true 10 grep -q "configuration reloaded" "$WORK/cw.log"
fport=$(in1 ss -tnH state established "( dport = :$BMP_PORT )" | awk '{print $3}' | sed 's/.*://' | head -1)
in1 nft add table inet cwtest$tag
in1 nft add chain inet cwtest$tag out '{ type filter hook output priority 0; }'
in1 nft add rule inet cwtest$tag out tcp sport "$fport" drop
in1 nft add rule inet cwtest$tag out tcp dport "$fport" drop
kill -9 "$(cat "$WORK/frr/bgpd.pid")"
ka() { [ "$(cw_metric 'circuitwatch_bmp_connections_closed_total\{reason="keepalive_timeout"\}')" = 1 ]; }
start=$SECONDS
check "a dead router's silent connection is closed by keepalive" until_true 40 ka
echo "    closed by keepalive after $((SECONDS - start)) s (idle 2 s + 2 probes 1 s apart)"
gone() { [ "$(router_up)" = 0 ]; }
check "router_up is 0 after it" until_true 10 gone

kill -TERM "$CW_PID"
wait_exit "$CW_PID" 15; rc=$RC
check "SIGTERM: clean exit 0" test "$rc" = 0
finish
