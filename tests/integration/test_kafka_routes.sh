#!/usr/bin/env bash
# The parsed route stream (kafka.streams.routes, issue 15): a consumer that
# rebuilds every peer's RIB views from the topic alone holds exactly what
# the collector and the router hold, through a flap.
#
# Lab (lib.sh): FRR (R1, AS 65001) reports over BMP (pre- and post-policy,
# an inbound route-map changing the attributes; FRR's BMP does not report
# what a route-map denies in pre-policy, so none is denied) to circuitwatch, whose routes
# stream goes to librdkafka's mock cluster (tests/tools/kafka_mock); GoBGP
# (R2) sends FRR IPv4 and IPv6 routes. Then: churn (withdrawals, changed
# attributes), a peer down and back (FRR's `clear bgp`), more churn, and a
# BMP reconnect of the router (bgpd killed and restarted), more churn.
# tests/tools/rib_rebuild.py consumes the topic (kcat, protobuf decoded
# with python3-protobuf from protoc --python_out made here) and rebuilds;
# per peer and view its counts must equal circuitwatch_bgp_prefixes and
# FRR's, and its prefix sets FRR's tables exactly; no seq gap.
source "$(dirname "$0")/lib.sh"
need curl; need kcat; need protoc; need ip; need ss
PY=/usr/bin/python3 # Debian's, with python3-protobuf
"$PY" -c 'import google.protobuf' 2>/dev/null || skip "python3-protobuf not installed (deploy/install-deps.sh)"
B=${CW_BUILD_DIR:?CW_BUILD_DIR not set (run through ctest)}/tests
[ -x "$B/kafka_mock" ] || skip "$B/kafka_mock not built"
REBUILD="$CW_SOURCE_DIR/tests/tools/rib_rebuild.py"
frr_bmp_lab # R1 (FRR, 198.18.1.1) and R2 (GoBGP, 198.18.1.2): lib.sh

mkdir -p "$WORK/py"
protoc --python_out="$WORK/py" -I "$CW_SOURCE_DIR/proto" \
  "$CW_SOURCE_DIR/proto/circuitwatch/v1/routes.proto" || { bad "protoc --python_out"; finish; }

# ---- the cluster, in R1 with the daemon ----
start_kafka_mock --via in1 "$B/kafka_mock" 1 circuitwatch.routes:3 || { bad "mock cluster started"; finish; }
ok "mock cluster at $BS"

BMP_PORT=11791
PROM_PORT=10181
base="http://127.0.0.1:$PROM_PORT"
cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$PROM_PORT"}
bmp: {listen: "127.0.0.1:$BMP_PORT", allow: ["127.0.0.0/8"], workers: 2}
ifstats: {enabled: false}
probes: {enabled: false}
kafka:
  enabled: true
  brokers: [${BS//,/, }]
  spool_dir: $WORK/spool
  librdkafka: {linger.ms: 5}
  streams:
    routes: {enabled: true, topic: circuitwatch.routes, encoding: protobuf}
circuits:
  - id: er-lab
    provider: expressroute
    sku: {tier: standard}
    bandwidth: 1Gbps
    links:
      primary:
        router: 127.0.0.1
        peerings: [{type: private, neighbors: [{address: 198.18.1.2, asn: 65002}]}]
YAML
ip netns exec "$R1" "$CW_BIN" run --config "$WORK/cw.yaml" 2>"$WORK/cw.log" & # not in1: $! is the daemon
CW_PID=$!
PIDS+=("$CW_PID")
check "circuitwatch ready in the router's namespace" until_true 20 in1 curl -sf -o /dev/null "$base/-/ready"

mkdir -p "$WORK/frr"
chmod 777 "$WORK" "$WORK/frr"
frr_bmp_bgpd_conf timers post-policy in4=IN4 prelude="route-map IN4 permit 10
 set local-preference 250
 set community 65001:777 additive" > "$WORK/frr/bgpd.conf"
start_frr_bgpd -M bmp
start_gobgp_peer

N4=120
N6=30
add4() { gob global rib add "203.0.$(($1 / 64)).$((($1 % 64) * 4))/30" aspath "65002,$2" -a ipv4 >/dev/null; }
del4() { gob global rib del "203.0.$(($1 / 64)).$((($1 % 64) * 4))/30" -a ipv4 >/dev/null; }
add6() { gob global rib add "2001:db8:$((100 + $1))::/48" aspath "65002,$2" -a ipv6 >/dev/null; }
del6() { gob global rib del "2001:db8:$((100 + $1))::/48" -a ipv6 >/dev/null; }
for i in $(seq 0 $((N4 - 1))); do add4 "$i" $((65100 + i % 7)); done
for i in $(seq 0 $((N6 - 1))); do add6 "$i" $((65300 + i % 5)); done

# ---- what each side holds ----
V4=198.18.1.2
V6=2001:db8:1::2
# FRR's table of a neighbour as prefixes, one a line: pre-policy
# (received-routes, soft-reconfiguration inbound) or post-policy (routes)
frr_table() { # frr_table AFI NEIGHBOR pre|post
  local what=received-routes
  [ "$3" = post ] && what=routes
  vty "show bgp $1 unicast neighbors $2 $what json" | "$PY" 2>/dev/null -c '
import json,sys
d = json.load(sys.stdin)
t = d.get("receivedRoutes") or d.get("routes") or {}
for p in sorted(t): print(p)'
}
cw_prefixes() { # cw_prefixes PEER AFI_SAFI VIEW
  cw_metric "circuitwatch_bgp_prefixes\\{[^}]*peer=\"$1\"[^}]*afi_safi=\"$2\",view=\"$3\"\\}"
}
frr_has() { # the router's tables are what GoBGP sends
  [ "$(frr_table ipv4 $V4 pre | wc -l)" = "$1" ] && [ "$(frr_table ipv6 $V6 pre | wc -l)" = "$2" ] &&
  [ "$(frr_count ipv4 $V4)" = "$(frr_table ipv4 $V4 post | wc -l)" ]
}
cw_has_frr() { # circuitwatch's counts equal FRR's, every view
  [ "$(cw_prefixes $V4 ipv4-unicast adj-rib-in-pre)" = "$(frr_table ipv4 $V4 pre | wc -l)" ] &&
  [ "$(cw_prefixes $V4 ipv4-unicast adj-rib-in-post)" = "$(frr_count ipv4 $V4)" ] &&
  [ "$(cw_prefixes $V6 ipv6-unicast adj-rib-in-pre)" = "$(frr_table ipv6 $V6 pre | wc -l)" ] &&
  [ "$(cw_prefixes $V6 ipv6-unicast adj-rib-in-post)" = "$(frr_count ipv6 $V6)" ]
}
settled() { frr_has "$1" "$2" && cw_has_frr; }

# consume the whole topic and rebuild; then compare with both
rebuild() {
  in1 kcat -C -b "$BS" -t circuitwatch.routes -o beginning -e -q -f '%K %S\n%k%s' \
    > "$WORK/routes.kcat" 2> "$WORK/kcat.err" &&
  "$PY" "$REBUILD" rebuild --in "$WORK/routes.kcat" --encoding protobuf --pydir "$WORK/py" \
    --out "$WORK/rib.json" > "$WORK/rebuild.txt"
}
rb_count() { # rb_count PEER VIEW AFI_SAFI
  "$PY" "$REBUILD" prefixes "$WORK/rib.json" "$1" "$2" "$3" | wc -l
}
same_sets() { # the rebuilt views are FRR's tables, prefix by prefix
  "$PY" "$REBUILD" prefixes "$WORK/rib.json" $V4 adj-rib-in-pre ipv4-unicast > "$WORK/rb4pre" &&
  "$PY" "$REBUILD" prefixes "$WORK/rib.json" $V4 adj-rib-in-post ipv4-unicast > "$WORK/rb4post" &&
  "$PY" "$REBUILD" prefixes "$WORK/rib.json" $V6 adj-rib-in-pre ipv6-unicast > "$WORK/rb6pre" &&
  "$PY" "$REBUILD" prefixes "$WORK/rib.json" $V6 adj-rib-in-post ipv6-unicast > "$WORK/rb6post" &&
  frr_table ipv4 $V4 pre > "$WORK/frr4pre" && frr_table ipv4 $V4 post > "$WORK/frr4post" &&
  frr_table ipv6 $V6 pre > "$WORK/frr6pre" && frr_table ipv6 $V6 post > "$WORK/frr6post" &&
  cmp -s "$WORK/rb4pre" "$WORK/frr4pre" && cmp -s "$WORK/rb4post" "$WORK/frr4post" &&
  cmp -s "$WORK/rb6pre" "$WORK/frr6pre" && cmp -s "$WORK/rb6post" "$WORK/frr6post"
}
same_counts() { # rebuilt counts equal circuitwatch_bgp_prefixes, every view
  for pv in "$V4 ipv4-unicast adj-rib-in-pre" "$V4 ipv4-unicast adj-rib-in-post" \
            "$V6 ipv6-unicast adj-rib-in-pre" "$V6 ipv6-unicast adj-rib-in-post"; do
    set -- $pv
    [ "$(rb_count "$1" "$3" "$2")" = "$(cw_prefixes "$1" "$2" "$3")" ] || return 1
  done
}
rebuilt_right() { rebuild && same_counts && same_sets; }
report() { # report STAGE
  echo "    $1: $(cat "$WORK/rebuild.txt")"
  echo "    FRR pre/post v4 $(wc -l < "$WORK/frr4pre")/$(wc -l < "$WORK/frr4post")" \
       "v6 $(wc -l < "$WORK/frr6pre")/$(wc -l < "$WORK/frr6post");" \
       "rebuilt v4 $(wc -l < "$WORK/rb4pre")/$(wc -l < "$WORK/rb4post")" \
       "v6 $(wc -l < "$WORK/rb6pre")/$(wc -l < "$WORK/rb6post");" \
       "circuitwatch v4 $(cw_prefixes $V4 ipv4-unicast adj-rib-in-pre)/$(cw_prefixes $V4 ipv4-unicast adj-rib-in-post)" \
       "v6 $(cw_prefixes $V6 ipv6-unicast adj-rib-in-pre)/$(cw_prefixes $V6 ipv6-unicast adj-rib-in-post)"
}
no_gap() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["gaps"] != 0 or d["keys_bad"] != 0)' "$WORK/rib.json"; }
marks() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["marks"].get(sys.argv[2], 0))' "$WORK/rib.json" "$1"; }

churn() { # churn ROUND: 10 IPv4 and 3 IPv6 withdrawn, 10 IPv4 with a new AS path
  local r=$1 i
  for i in $(seq $((r * 10)) $((r * 10 + 9))); do del4 "$i"; done
  for i in $(seq $((r * 3)) $((r * 3 + 2))); do del6 "$i"; done
  for i in $(seq $((60 + r * 10)) $((60 + r * 10 + 9))); do add4 "$i" $((65200 + r)); done
}

# ---- 1: the first table ----
check "first table: circuitwatch equals FRR ($N4 IPv4, $N6 IPv6, pre and post)" until_true 90 settled $N4 $N6
check "first table: the rebuilt RIBs equal circuitwatch's counts and FRR's tables" until_true 30 rebuilt_right
report "first table"

# ---- 2: churn, then the peer down and back ----
churn 0
check "churn: circuitwatch equals FRR" until_true 60 settled $((N4 - 10)) $((N6 - 3))
vty "clear bgp ipv4 unicast $V4" >/dev/null
vty "clear bgp ipv6 unicast $V6" >/dev/null
downs() { [ "$(cw_metric 'circuitwatch_bmp_messages_total\{router="127.0.0.1",type="peer-down"\}')" -ge 2 ]; }
check "peer flap: BMP Peer Downs seen" until_true 60 downs
churn 1
check "peer flap + churn: circuitwatch equals FRR" until_true 90 settled $((N4 - 20)) $((N6 - 6))
check "peer flap: the rebuilt RIBs equal circuitwatch's counts and FRR's tables" until_true 30 rebuilt_right
report "after a peer flap"
check "peer flap: SESSION_DOWN and CLEARED marks in the stream" \
  sh -c "[ $(marks MARK_KIND_SESSION_DOWN) -ge 2 ] && [ $(marks MARK_KIND_CLEARED) -ge 2 ]"

# ---- 3: the router's BMP session reconnects (bgpd restarted) ----
old=$(cat "$WORK/frr/bgpd.pid")
kill -9 "$old"
until_true 10 sh -c "! kill -0 $old 2>/dev/null"
rm -f "$WORK/frr/bgpd.pid"
router_down() { [ "$(cw_metric 'circuitwatch_bmp_router_up\{router="127.0.0.1"\}')" = 0 ]; }
check "BMP reconnect: the router's session went" until_true 30 router_down
churn 2 # while the router is away: the new session brings the result
start_frr_bgpd -M bmp
check "BMP reconnect + churn: circuitwatch equals FRR" until_true 120 settled $((N4 - 30)) $((N6 - 9))
check "BMP reconnect: the rebuilt RIBs equal circuitwatch's counts and FRR's tables" until_true 30 rebuilt_right
report "after a BMP reconnect"
# attributes: the AS paths of the pre-policy view are FRR's (received-routes),
# and the post-policy view carries what the route-map set. FRR 8.4 encodes
# the attributes of its Route Monitoring as it would send them to an eBGP
# neighbour: its own AS (65001) first and no LOCAL_PREF, so that is what the
# stream carries (circuitwatch reports what the router sent).
frr_paths() { # frr_paths AFI NEIGHBOR: PREFIX|AS PATH of the pre-policy table
  vty "show bgp $1 unicast neighbors $2 received-routes json" | "$PY" 2>/dev/null -c '
import json,sys
t = json.load(sys.stdin).get("receivedRoutes", {})
for p in sorted(t): print("%s|65001 %s" % (p, t[p].get("path", "?")))'
}
rb_paths() { "$PY" "$REBUILD" attrs "$WORK/rib.json" "$1" adj-rib-in-pre "$2" | cut -d'|' -f1,2; }
same_paths() { frr_paths ipv4 $V4 > "$WORK/frr.paths" && rb_paths $V4 ipv4-unicast > "$WORK/rb.paths" &&
  [ -s "$WORK/rb.paths" ] && cmp -s "$WORK/frr.paths" "$WORK/rb.paths"; }
check "the rebuilt AS paths (pre-policy) are FRR's, route by route (churned ones included)" same_paths
post_set() { "$PY" "$REBUILD" attrs "$WORK/rib.json" $V4 adj-rib-in-post ipv4-unicast |
  awk -F'|' '$3 !~ /65001:777/ { bad++ } END { exit !(NR > 0 && bad == 0) }'; }
pre_unset() { "$PY" "$REBUILD" attrs "$WORK/rib.json" $V4 adj-rib-in-pre ipv4-unicast |
  awk -F'|' '$3 ~ /65001:777/ { bad++ } END { exit !(NR > 0 && bad == 0) }'; }
policy_seen() { post_set && pre_unset; }
check "post-policy routes carry the route-map's community 65001:777, pre-policy ones do not" policy_seen
check "no seq gap, every message keyed by its peer" no_gap
batched() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not d["changes"] > 2 * d["messages"])' "$WORK/rib.json"; }
check "the changes came batched (RouteBatch: more than two per message on average)" batched
check "the stream carried the router's disconnect (reason router-disconnected)" \
  grep -aq 'router-disconnected' "$WORK/routes.kcat"

kill -TERM "$CW_PID"
wait_exit "$CW_PID" 15; rc=$RC
check "SIGTERM: clean exit 0" test "$rc" = 0
finish
