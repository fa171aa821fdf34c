#!/usr/bin/env bash
# Configured neighbours that no source reports (issue 16): each has
# circuitwatch_bgp_session_up 0 with source="config", router="" and its
# configured AS number; once a BMP router reports the neighbour, that series
# goes and the router's session is the only one (no duplicate); the API
# still calls an unreported neighbour "not-reported"; a neighbour removed
# from the config by SIGHUP loses its series. Two BMP workers, so the
# reported session lives in a worker's model.
source "$(dirname "$0")/lib.sh"
need curl; need python3
BUILD=${CW_BUILD_DIR:?CW_BUILD_DIR is not set (run through ctest)}
GEN=$BUILD/tests/gen_bmp_table REPLAY=$BUILD/tests/bmp_replay
[ -x "$GEN" ] && [ -x "$REPLAY" ] || skip "gen_bmp_table/bmp_replay not built"

"$GEN" --router 5 --seed 5 --peers 1 --ipv4 50 --ipv6 0 --peer-addr 198.18.5.1 \
  --peer-as 12076 -o "$WORK/r5.bmp" >/dev/null 2>&1 || { bad "gen r5"; finish; }

port=$(free_port); bport=$(free_port); base="http://127.0.0.1:$port"
write_config() { # SECONDARY_NEIGHBOURS
  cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$port"}
bmp: {listen: "127.0.0.1:$bport", allow: ["127.0.0.0/8"], workers: 2}
circuits:
$(er1_circuit_yaml '{address: 198.18.5.1}' "$1")
YAML
}
write_config '{address: 198.18.6.1}, {address: 198.18.6.2, asn: 65000}'
start_cw "$WORK/cw.log" run --config "$WORK/cw.yaml"
check "daemon ready" wait_http "$base/-/ready"

up_series() { curl -s "$base/metrics" | grep '^circuitwatch_bgp_session_up{' | grep -F "$1"; }
is() { [ "$(up_series "$1")" = "$2" ]; }
cfg() { # cfg PEER LINK AS
  echo "circuitwatch_bgp_session_up{source=\"config\",router=\"\",peer=\"$1\",peer_as=\"$3\",rd=\"\",circuit=\"er-1\",link=\"$2\",peering=\"private\"} 0"
}
check "an unreported neighbour has session_up 0 from the config" \
  until_true 10 is 'peer="198.18.5.1"' "$(cfg 198.18.5.1 primary 12076)"
check "one per configured neighbour, with its configured AS number" \
  is 'link="secondary"' "$(cfg 198.18.6.1 secondary 12076)
$(cfg 198.18.6.2 secondary 65000)"
check "they count as configured, not up" sh -c \
  "curl -s '$base/metrics' | grep -qx 'circuitwatch_link_sessions_up{circuit=\"er-1\",link=\"primary\"} 0'"
status() { curl -s "$base/api/v1/status" > "$WORK/st.json" && python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if ($1) else 1)" "$WORK/st.json"; }
check "the API still says not-reported (one session per neighbour)" status \
  "[s['state'] for s in j['circuits'][0]['links'][0]['peerings'][0]['sessions']] == ['not-reported']"
check "the API's session list leaves them out" sh -c \
  "curl -s '$base/api/v1/sessions' | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)[\"total\"] == 0 else 1)'"

"$REPLAY" --bind 127.0.0.2 --hold 86400 127.0.0.1 "$bport" "$WORK/r5.bmp" >/dev/null 2>&1 &
PIDS+=($!)
bmp_up='circuitwatch_bgp_session_up{source="bmp",router="127.0.0.2",peer="198.18.5.1",peer_as="12076",rd="",circuit="er-1",link="primary",peering="private"} 1'
check "the router reports it: session_up 1 from bmp and no config series left" \
  until_true 15 is 'peer="198.18.5.1"' "$bmp_up"
sleep 2.5 # two more publishes
check "still exactly one series for it" is 'peer="198.18.5.1"' "$bmp_up"
check "the API: up from router 127.0.0.2" status \
  "[(s['state'], s['router']) for s in j['circuits'][0]['links'][0]['peerings'][0]['sessions']] == [('up', '127.0.0.2')]"
check "the secondary's neighbours still from the config" \
  is 'link="secondary"' "$(cfg 198.18.6.1 secondary 12076)
$(cfg 198.18.6.2 secondary 65000)"

write_config '{address: 198.18.6.1}'
kill -HUP "$CW_PID"
check "a neighbour removed from the config loses its series" \
  until_true 10 is 'link="secondary"' "$(cfg 198.18.6.1 secondary 12076)"
check "daemon alive" kill -0 "$CW_PID"
finish
