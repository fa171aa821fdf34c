#!/usr/bin/env bash
# The JSON API (/api/v1/), the looking glass and `circuitwatch status` /
# `routes` against a daemon with 2 BMP workers fed generated tables:
# every endpoint answers JSON (errors too, with their 4xx code); the
# looking glass finds prefixes known to be in a table, exact and longest
# match, IPv4 and IPv6, and misses one that is not; lookups keep answering
# quickly while another router's table is being ingested; the commands
# print the circuit, its sessions and the routes, and --json; the API is
# behind the same TLS and basic auth as /metrics.
source "$(dirname "$0")/lib.sh"
need curl; need python3; need openssl
BUILD=${CW_BUILD_DIR:?CW_BUILD_DIR is not set (run through ctest)}
GEN=$BUILD/tests/gen_bmp_table REPLAY=$BUILD/tests/bmp_replay
[ -x "$GEN" ] && [ -x "$REPLAY" ] || skip "gen_bmp_table/bmp_replay not built"
BIG=${BIG:-300000} # IPv4 routes of the table ingested during lookups

"$GEN" --router 2 --seed 2 --peers 2 --ipv4 2000 --ipv6 500 --peer-addr 198.18.2.1 \
  --peer-step 1 --peer-as 12076 -o "$WORK/r2.bmp" >/dev/null 2>&1 || { bad "gen r2"; finish; }
"$GEN" --router 4 --seed 4 --peers 1 --ipv4 100 --ipv6 0 --peer-addr 198.18.4.1 \
  --peer-as 12076 --peer-down -o "$WORK/r4.bmp" >/dev/null 2>&1 || { bad "gen r4"; finish; }
"$GEN" --router 3 --seed 3 --peers 1 --ipv4 "$BIG" --ipv6 0 --peer-addr 198.18.3.1 \
  --peer-as 12076 -o "$WORK/r3.bmp" >/dev/null 2>&1 || { bad "gen r3"; finish; }

# Prefixes known to be in r2's table for 198.18.2.1 (announced, never
# withdrawn): one IPv4, one IPv6, from the project's own decoder.
"$CW_BIN" decode "$WORK/r2.bmp" | python3 -c '
import json, sys
have = {}
for line in sys.stdin:
    m = json.loads(line)
    if m.get("type") != "route-monitoring" or m["peer"]["address"] != "198.18.2.1":
        continue
    for p in m["bgp"].get("announced", []): have[p] = True
    for p in m["bgp"].get("withdrawn", []): have.pop(p, None)
v4 = sorted(p for p in have if ":" not in p)
v6 = sorted(p for p in have if ":" in p)
print(v4[len(v4) // 2], v6[len(v6) // 2], len(have))' > "$WORK/known" ||
  { bad "decode r2"; finish; }
read -r P4 P6 N2 < "$WORK/known"
echo "# known: $P4 $P6 ($N2 routes of 198.18.2.1)"

port=$(free_port); bport=$(free_port); base="http://127.0.0.1:$port"
cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$port"}
bmp: {listen: "127.0.0.1:$bport", allow: ["127.0.0.0/8"], workers: 2}
circuits:
$(er1_circuit_yaml '{address: 198.18.2.1}' '{address: 198.18.3.1}')
YAML
start_cw "$WORK/cw.log" run --config "$WORK/cw.yaml"
check "daemon ready" wait_http "$base/-/ready"
"$REPLAY" --bind 127.0.0.2 --hold 86400 127.0.0.1 "$bport" "$WORK/r2.bmp" >/dev/null 2>&1 &
PIDS+=($!)

# jq-like checks: py FILE EXPR (EXPR over j, the parsed JSON, must be true)
py() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$@"; }
get() { # get PATH OUT: the HTTP code on stdout
  curl -s -o "$2" -w '%{http_code}' --max-time 10 "$base$1"
}
sess() { echo 'j["circuits"][0]["links"][0]["peerings"][0]["sessions"][0]'; }
check "r2's table ingested ($N2 routes of 198.18.2.1)" until_true 60 \
  sh -c "curl -s '$base/api/v1/status' | python3 -c 'import json,sys; j=json.load(sys.stdin); s=$(sess); sys.exit(0 if s.get(\"prefixes_received\") == $N2 else 1)'"

# a router whose one peer goes down: its last down reason, from the event bus
"$REPLAY" --bind 127.0.0.4 --hold 86400 127.0.0.1 "$bport" "$WORK/r4.bmp" >/dev/null 2>&1 &
PIDS+=($!)
check "a session that went down: its last down reason and time in /api/v1/sessions" until_true 20 \
  sh -c "curl -s '$base/api/v1/sessions' | python3 -c 'import json,sys; j=json.load(sys.stdin); s=[x for x in j[\"sessions\"] if x[\"peer\"] == \"198.18.4.1\"]; sys.exit(0 if s and s[0][\"state\"] == \"down\" and s[0].get(\"last_down_reason\") and s[0][\"last_down_time\"] > 0 else 1)'"
curl -s "$base/api/v1/sessions" | python3 -c 'import json,sys; print("# 198.18.4.1:", [x.get("last_down_reason") for x in json.load(sys.stdin)["sessions"] if x["peer"] == "198.18.4.1"])'

# ---- the endpoints ----
check "/api/v1/status: 200" test "$(get /api/v1/status "$WORK/st.json")" = 200
check "status: circuit er-1, primary session up from router 127.0.0.2" \
  py "$WORK/st.json" "j['circuits'][0]['circuit'] == 'er-1' and $(sess)['state'] == 'up' and $(sess)['router'] == '127.0.0.2' and $(sess)['since'] > 0"
check "status: the secondary neighbour is not reported, the circuit amber and not redundant" \
  py "$WORK/st.json" "j['circuits'][0]['links'][1]['peerings'][0]['sessions'][0]['state'] == 'not-reported' and j['circuits'][0]['state'] == 'amber' and j['circuits'][0]['redundant'] is False and 'not redundant' in j['circuits'][0]['reasons']"
check "status: prefix limit and the unmapped peer counted" \
  py "$WORK/st.json" "$(sess)['prefix_limit'] == 4000 and j['sessions_unmapped'] == {'up': 1, 'total': 2}"
curl -s -D "$WORK/h" -o /dev/null "$base/api/v1/status"
check "status: application/json" grep -qi '^content-type: application/json' "$WORK/h"
check "/api/v1/circuits" sh -c "[ $(get /api/v1/circuits "$WORK/c.json") = 200 ] && python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if list(j) == [\"circuits\"] and j[\"circuits\"][0][\"circuit\"] == \"er-1\" else 1)' '$WORK/c.json'"
check "/api/v1/sessions: both peers of 127.0.0.2 up, 127.0.0.4's down, not truncated" \
  sh -c "[ $(get /api/v1/sessions "$WORK/s.json") = 200 ] && python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j[\"total\"] == 3 and j[\"up\"] == 2 and not j[\"truncated\"] and len(j[\"sessions\"]) == 3 else 1)' '$WORK/s.json'"
check "/api/v1/alerts" sh -c "[ $(get /api/v1/alerts "$WORK/a.json") = 200 ] && python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if isinstance(j[\"alerts\"], list) else 1)' '$WORK/a.json'"
check "unknown endpoint: 404 JSON" sh -c "[ $(get /api/v1/nope "$WORK/e.json") = 404 ] && python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j[\"code\"] == 404 else 1)' '$WORK/e.json'"
check "bad prefix: 400 JSON" sh -c "[ $(get '/api/v1/routes?prefix=10.0.0.0/33' "$WORK/e.json") = 400 ] && grep -q 'prefix length' '$WORK/e.json'"
check "no prefix: 400" test "$(get '/api/v1/routes' "$WORK/e.json")" = 400
check "bad match: 400" test "$(get "/api/v1/routes?prefix=$P4&match=fuzzy" "$WORK/e.json")" = 400

# ---- the looking glass ----
q() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
hit() { # hit FILE PEER PREFIX: a route of PEER with exactly PREFIX, on er-1 primary
  py "$1" "any(r['peer'] == '$2' and r['prefix'] == '$3' and r['circuit'] == 'er-1' and r['link'] == 'primary' and r['peering'] == 'private' and r['peer_as'] == 12076 and r['router'] == '127.0.0.2' and r['attributes']['as_path'].startswith('12076') and 'next_hop' in r['attributes'] for r in j['routes'])"
}
check "exact IPv4 $P4: found on 198.18.2.1" sh -c "[ $(get "/api/v1/routes?prefix=$(q "$P4")&match=exact" "$WORK/r.json") = 200 ]" &&
  check "exact IPv4: router, peer, AS, circuit, link, peering, attributes" hit "$WORK/r.json" 198.18.2.1 "$P4"
check "exact: every route is the prefix itself" py "$WORK/r.json" "all(r['prefix'] == j['query']['prefix'] for r in j['routes']) and j['query']['match'] == 'exact'"
ADDR4=$(python3 -c 'import ipaddress,sys; n=ipaddress.ip_network(sys.argv[1]); print(n.network_address + (n.num_addresses - 1))' "$P4")
get "/api/v1/routes?prefix=$ADDR4" "$WORK/r.json" >/dev/null
check "longest IPv4 for $ADDR4: a route of 198.18.2.1 covering it, at least as long as $P4" \
  py "$WORK/r.json" "j['query']['match'] == 'longest' and any(r['peer'] == '198.18.2.1' and __import__('ipaddress').ip_address('$ADDR4') in __import__('ipaddress').ip_network(r['prefix']) and int(r['prefix'].split('/')[1]) >= int('$P4'.split('/')[1]) for r in j['routes'])"
get "/api/v1/routes?prefix=$(q "$P6")&match=exact" "$WORK/r.json" >/dev/null
check "exact IPv6 $P6" hit "$WORK/r.json" 198.18.2.1 "$P6"
ADDR6=$(python3 -c 'import ipaddress,sys; print(ipaddress.ip_network(sys.argv[1]).network_address + 1)' "$P6")
get "/api/v1/routes?prefix=$(q "$ADDR6")" "$WORK/r.json" >/dev/null
check "longest IPv6 for $ADDR6: ipv6-unicast, covering" \
  py "$WORK/r.json" "any(r['peer'] == '198.18.2.1' and r['afi_safi'] == 'ipv6-unicast' and __import__('ipaddress').ip_address('$ADDR6') in __import__('ipaddress').ip_network(r['prefix']) for r in j['routes'])"
get "/api/v1/routes?prefix=192.0.2.1" "$WORK/r.json" >/dev/null
check "a miss (192.0.2.1, TEST-NET-1): no route, not truncated, no source excluded" py "$WORK/r.json" "j['count'] == 0 and j['routes'] == [] and j['truncated'] is False and j['sources_excluded'] == []"
get "/api/v1/routes?prefix=0.0.0.0/0&match=longest" "$WORK/r.json" >/dev/null
check "0.0.0.0/0 longest: no default route in the table" py "$WORK/r.json" "j['count'] == 0"

# ---- lookups while a table is being ingested ----
# sent slowly (64 KiB every 20 ms), so that the lookups overlap its ingest
python3 - "$bport" "$WORK/r3.bmp" <<'PY' >/dev/null 2>&1 &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), source_address=("127.0.0.3", 0))
data = open(sys.argv[2], "rb").read()
for i in range(0, len(data), 65536):
    s.sendall(data[i:i + 65536])
    time.sleep(0.02)
time.sleep(86400)
PY
PIDS+=($!)
prefixes3() { curl -s "$base/metrics" | awk '/^circuitwatch_bgp_prefixes\{.*peer="198.18.3.1".*view="adj-rib-in-pre"/ {n += $NF} END {printf "%d", n}'; }
until_true 30 sh -c "[ \"\$(curl -s '$base/metrics' | awk '/^circuitwatch_bgp_prefixes\\{.*peer=\"198.18.3.1\"/ {n += \$NF} END {printf \"%d\", n}')\" -gt 0 ]"
n0=$(prefixes3); ok=0; slow=0; during=0
for _ in $(seq 1 40); do
  t=$(curl -s -o "$WORK/l.json" -w '%{http_code} %{time_total}' --max-time 5 "$base/api/v1/routes?prefix=$(q "$P4")&match=exact")
  [ "${t% *}" = 200 ] && hit "$WORK/l.json" 198.18.2.1 "$P4" && ok=$((ok + 1))
  python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0.5 else 1)' "${t#* }" && slow=$((slow + 1))
  [ "$(prefixes3)" -lt "$BIG" ] && during=$((during + 1))
done
n1=$(prefixes3)
echo "# 198.18.3.1: $n0 -> $n1 of $BIG routes during the lookups; $during lookups while ingesting"
check "40 lookups while ingesting: all found P4 ($ok), none over 0.5 s ($slow)" test "$ok/$slow" = 40/0
check "they ran while the table was still coming in ($during of 40)" test "$during" -gt 0
check "r3's table complete after" until_true 120 sh -c "[ \"\$(curl -s '$base/metrics' | awk '/^circuitwatch_bgp_prefixes\\{.*peer=\"198.18.3.1\".*view=\"adj-rib-in-pre\"/ {n += \$NF} END {printf \"%d\", n}')\" -ge $BIG ]"
get "/api/v1/routes?prefix=0.0.0.0/0&match=longest" "$WORK/r.json" >/dev/null
curl -s "$base/metrics" > "$WORK/m.txt"
check "circuitwatch_api_route_lookup_seconds counted the lookups" \
  sh -c "awk '/^circuitwatch_api_route_lookup_seconds_count/ {exit !(\$NF >= 45)}' '$WORK/m.txt'"
check "circuitwatch_api_requests_total{endpoint,code}" \
  grep -q '^circuitwatch_api_requests_total{endpoint="/api/v1/routes",code="400"} 3$' "$WORK/m.txt"

# ---- the commands ----
"$CW_BIN" status --url "$base" > "$WORK/status.txt" 2>&1; rc=$?
cat "$WORK/status.txt" | sed 's/^/# /'
check "status: exit 0" test "$rc" = 0
check "status: circuit line, green once both links have their session" grep -qE '^er-1 +expressroute standard 1Gbps +GREEN$' "$WORK/status.txt"
check "status: the primary session line (aligned columns)" grep -qE '^  primary +private +198\.18\.2\.1 +12076 +127\.0\.0\.2 +up +[0-9]+m[0-9]+s +'"$N2"' +-/4000' "$WORK/status.txt"
check "status: the secondary neighbour line" grep -qE '^  secondary +private +198\.18\.3\.1 +12076 +127\.0\.0\.3 +up' "$WORK/status.txt"
check "status: alerts and unmapped sessions" grep -q '^sessions not mapped to a circuit: 1 up of 2$' "$WORK/status.txt"
check "status --config: the URL from prometheus.listen" sh -c "'$CW_BIN' status --config '$WORK/cw.yaml' | head -1 | grep -q 'at $base,'"
check "status --json" sh -c "'$CW_BIN' status --url '$base' --json | python3 -c 'import json,sys; j=json.load(sys.stdin); sys.exit(0 if j[\"circuits\"][0][\"circuit\"] == \"er-1\" else 1)'"
"$CW_BIN" status --url "http://127.0.0.1:1" > "$WORK/o" 2> "$WORK/e"; rc=$?
check "status, daemon unreachable: exit 1, one line on stderr" test "$rc/$(wc -l < "$WORK/e")/$(wc -c < "$WORK/o")" = 1/1/0
check "status --bogus: exit 2" sh -c "'$CW_BIN' status --bogus >/dev/null 2>&1; [ \$? = 2 ]"
"$CW_BIN" routes "$P4" --exact --url "$base" > "$WORK/routes.txt"; rc=$?
sed 's/^/# /' "$WORK/routes.txt"
check "routes --exact: exit 0, header and the route on er-1 primary" \
  sh -c "[ $rc = 0 ] && head -1 '$WORK/routes.txt' | grep -q '^exact match for $P4: [1-9]' && grep -qE '^$(echo "$P4" | sed 's/\./\\./g') +127\.0\.0\.2 +198\.18\.2\.1 +12076 +adj-rib-in-pre +er-1 +primary' '$WORK/routes.txt'"
check "routes (longest) --json" sh -c "'$CW_BIN' routes '$ADDR4' --url '$base' --json | python3 -c 'import json,sys; j=json.load(sys.stdin); sys.exit(0 if j[\"query\"][\"match\"] == \"longest\" and j[\"count\"] >= 1 else 1)'"
check "routes IPv6" sh -c "'$CW_BIN' routes '$P6' --exact --url '$base' | grep -q '^exact match for $P6: [1-9]'"
check "routes, a miss: exit 0, 0 routes" sh -c "'$CW_BIN' routes 192.0.2.0/24 --url '$base' | grep -q ': 0 routes$'"
"$CW_BIN" routes 10.0.0.0/40 --url "$base" > /dev/null 2> "$WORK/e"; rc=$?
check "routes, a bad prefix: exit 2 with the daemon's reason" sh -c "[ $rc = 2 ] && grep -q 'prefix length' '$WORK/e'"
check "routes without a prefix: exit 2" sh -c "'$CW_BIN' routes >/dev/null 2>&1; [ \$? = 2 ]"
check "routes, daemon unreachable: exit 1" sh -c "'$CW_BIN' routes 10.0.0.0/8 --url http://127.0.0.1:1 >/dev/null 2>&1; [ \$? = 1 ]"

# ---- behind TLS and basic auth ----
self_signed_cert || { bad "openssl cannot make a test certificate"; finish; }
hash=$(openssl passwd -6 's3cret pass')
tport=$(free_port); tbase="https://127.0.0.1:$tport"
cat > "$WORK/tls.yaml" <<YAML
bmp: {enabled: false}
prometheus:
  listen: "127.0.0.1:$tport"
  tls: {cert_file: "$WORK/cert.pem", key_file: "$WORK/key.pem"}
  basic_auth: {users: {prom: '$hash'}}
$(eth1_circuit_yaml er-tls)
YAML
start_cw "$WORK/tls.log" run --config "$WORK/tls.yaml"
check "TLS daemon ready" wait_http "$tbase/-/ready" --cacert "$WORK/cert.pem" -u 'prom:s3cret pass'
tcode() { curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/cert.pem" "$@"; }
check "API without credentials: 401" test "$(tcode "$tbase/api/v1/status")" = 401
check "API with a wrong password: 401" test "$(tcode -u prom:nope "$tbase/api/v1/routes?prefix=10.0.0.0/8")" = 401
check "status page without credentials: 401" test "$(tcode "$tbase/")" = 401
check "API with credentials over HTTPS: 200, red (no session up)" \
  sh -c "curl -s --cacert '$WORK/cert.pem' -u 'prom:s3cret pass' '$tbase/api/v1/status' | python3 -c 'import json,sys; j=json.load(sys.stdin); c=j[\"circuits\"][0]; sys.exit(0 if c[\"circuit\"] == \"er-tls\" and c[\"state\"] == \"red\" and \"no BGP session up\" in c[\"reasons\"] else 1)'"
printf 's3cret pass\n' > "$WORK/pw"
check "status over HTTPS with --user/--password-file/--cacert" \
  sh -c "'$CW_BIN' status --url '$tbase' --user prom --password-file '$WORK/pw' --cacert '$WORK/cert.pem' | grep -qE '^er-tls .* RED: no BGP session up'"
check "status --config takes https:// from prometheus.tls" \
  sh -c "'$CW_BIN' status --config '$WORK/tls.yaml' --user prom --password-file '$WORK/pw' --cacert '$WORK/cert.pem' | head -1 | grep -q 'at $tbase,'"
"$CW_BIN" status --url "$tbase" --cacert "$WORK/cert.pem" > /dev/null 2> "$WORK/e"; rc=$?
check "status without credentials: exit 1, says authentication" sh -c "[ $rc = 1 ] && grep -q 'authentication' '$WORK/e'"
check "status without the CA: exit 1 (certificate not trusted)" \
  sh -c "'$CW_BIN' status --url '$tbase' --user prom --password-file '$WORK/pw' >/dev/null 2>&1; [ \$? = 1 ]"
check "routes over HTTPS: 0 routes without BMP" \
  sh -c "'$CW_BIN' routes 10.0.0.0/8 --url '$tbase' --user prom --password-file '$WORK/pw' --cacert '$WORK/cert.pem' | grep -q ': 0 routes$'"

# ---- passive capture's routes: the loop thread's model, handed the lookup ----
PCAP="${CW_CAPTURES_DIR:-$CW_SOURCE_DIR/../shared/captures}/nwl__bgp-ebgp-update-different-path-attributes.pcap"
if [ -f "$PCAP" ]; then
  cport=$(free_port); cbase="http://127.0.0.1:$cport"
  cat > "$WORK/pcap.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$cport"}
bmp: {enabled: false}
capture: {enabled: true, file: "$PCAP"}
circuits:
  - id: er-pcap
    provider: expressroute
    bandwidth: 1Gbps
    links:
      primary:
        peerings: [{type: private, neighbors: [{address: 192.168.12.1, asn: 1}]}]
YAML
  start_cw "$WORK/pcap.log" run --config "$WORK/pcap.yaml"
  check "capture daemon ready" wait_http "$cbase/-/ready"
  check "a capture's route (172.16.5.0/24 from 192.168.12.1, longest for 172.16.5.9), nothing excluded" \
    until_true 10 sh -c "curl -s '$cbase/api/v1/routes?prefix=172.16.5.9' | python3 -c 'import json,sys; j=json.load(sys.stdin); r=j[\"routes\"]; sys.exit(0 if j[\"sources_excluded\"] == [] and len(r) == 1 and r[0][\"prefix\"] == \"172.16.5.0/24\" and r[0][\"source\"] == \"pcap\" and r[0][\"circuit\"] == \"er-pcap\" and r[0][\"attributes\"][\"med\"] == 600 else 1)'"
else
  echo "# $PCAP missing: the capture part is not run"
fi
finish
