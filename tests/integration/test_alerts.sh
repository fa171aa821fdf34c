#!/usr/bin/env bash
# Alert rules end to end: a BMP router (bmp_replay of a generated table)
# brings a session up; a Peer Down makes BGPSessionDown pending, then firing
# after its `for`; closing the BMP connection fires BMPRouterGone; a new
# connection resolves both. Checked in /metrics (circuitwatch_alerts and the
# transition counters) and in the log; every transition reaches Kafka's
# alerts topic (a librdkafka mock cluster) with its type, state and
# circuit; a reload changes the rule set.
source "$(dirname "$0")/lib.sh"
need curl; need python3
BUILD=${CW_BUILD_DIR:?CW_BUILD_DIR is not set (run through ctest)}
GEN=$BUILD/tests/gen_bmp_table REPLAY=$BUILD/tests/bmp_replay
[ -x "$GEN" ] && [ -x "$REPLAY" ] || skip "gen_bmp_table/bmp_replay not built"
MOCK=$BUILD/tests/kafka_mock
[ -x "$MOCK" ] || skip "kafka_mock not built"

start_kafka_mock "$MOCK" 1 cw.events:1 cw.alerts:1 || { bad "mock cluster started"; finish; }

PROM=$(free_port) BMP=$(free_port)
write_config() { # write_config EXTRA_RULES
  cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$PROM"}
bmp: {listen: "127.0.0.1:$BMP"}
alerts:
  interval: 1s
  rules:
    - {name: BGPSessionDown, metric: circuitwatch_bgp_session_up, match: [source=bmp],
       op: "<", threshold: 1, for: 2s, severity: critical, summary: session down}
    - {name: BMPRouterGone, metric: circuitwatch_bmp_router_up, op: "<", threshold: 1,
       event: source}
$1
kafka:
  enabled: true
  brokers: [$BS]
  topic_events: cw.events
  topic_alerts: cw.alerts
  encoding: protobuf
  spool_dir: $WORK/spool
circuits:
  - id: c1
    provider: expressroute
    bandwidth: 1Gbps
    links:
      primary:
        peerings: [{type: private, neighbors: [{address: 198.18.0.2, asn: 200000}]}]
YAML
}
write_config "    - {name: Spare, metric: circuitwatch_circuits, op: \"<\", threshold: 0}"
"$GEN" --ipv4 20 --ipv6 0 --peers 1 -o "$WORK/table.bmp" >/dev/null
"$GEN" --ipv4 20 --ipv6 0 --peers 1 --peer-down-only -o "$WORK/down.bmp" >/dev/null

start_cw "$WORK/cw.log" run -c "$WORK/cw.yaml"
check "the daemon serves /metrics" wait_http "http://127.0.0.1:$PROM/metrics"
M() { curl -s "http://127.0.0.1:$PROM/metrics"; }
has() { M > "$WORK/metrics.txt"; grep -qF "$1" "$WORK/metrics.txt"; } # (no SIGPIPE under pipefail)
check "three rules loaded" has "circuitwatch_alert_rules 3"

"$REPLAY" --hold 60 --next-when "$WORK/go" 127.0.0.1 "$BMP" "$WORK/table.bmp" "$WORK/down.bmp" \
  >"$WORK/replay1.log" 2>&1 &
R1=$!; PIDS+=("$R1")
until_true 20 has 'circuitwatch_bgp_session_up{source="bmp"' 
check "the session is up" until_true 10 sh -c "curl -s http://127.0.0.1:$PROM/metrics | grep 'circuitwatch_bgp_session_up{' | grep -q ' 1$'"
sleep 2
check "no alert while the session and the router are up" sh -c "! curl -s http://127.0.0.1:$PROM/metrics | grep -q '^circuitwatch_alerts{'"

touch "$WORK/go" # the Peer Down
FIRING='circuitwatch_alerts{alertname="BGPSessionDown",alertstate="firing",severity="critical",circuit="c1",link="primary",peering="private"} 1'
PENDING='circuitwatch_alerts{alertname="BGPSessionDown",alertstate="pending",severity="critical",circuit="c1",link="primary",peering="private"} 1'
check "Peer Down: BGPSessionDown goes pending" until_true 10 has "$PENDING"
check "... and firing after its for: 2s" until_true 10 has "$FIRING"
check "the pending and firing transitions are counted once each" sh -c "
  curl -s http://127.0.0.1:$PROM/metrics | grep -qF 'circuitwatch_alert_transitions_total{alertname=\"BGPSessionDown\",to=\"pending\"} 1' &&
  curl -s http://127.0.0.1:$PROM/metrics | grep -qF 'circuitwatch_alert_transitions_total{alertname=\"BGPSessionDown\",to=\"firing\"} 1'"
check "the firing transition is logged with its series" \
  grep -q 'msg=alert alertname=BGPSessionDown state=firing severity=critical value=0 threshold=1 series=.*peer=\\"198.18.0.2\\"' "$WORK/cw.log"
check "the router is still connected: no BMPRouterGone" sh -c "! curl -s http://127.0.0.1:$PROM/metrics | grep -q 'alertname=\"BMPRouterGone\"'"

kill "$R1" 2>/dev/null; wait "$R1" 2>/dev/null
check "the BMP connection closed: BMPRouterGone fires at once (no for)" \
  until_true 10 has 'circuitwatch_alerts{alertname="BMPRouterGone",alertstate="firing",severity="warning",circuit="",link="",peering=""} 1'

"$REPLAY" --hold 60 127.0.0.1 "$BMP" "$WORK/table.bmp" >"$WORK/replay2.log" 2>&1 &
PIDS+=($!)
check "a new connection with the session up resolves both" until_true 15 sh -c "
  ! curl -s http://127.0.0.1:$PROM/metrics | grep -q '^circuitwatch_alerts{'"
check "BGPSessionDown resolved once" has 'circuitwatch_alert_transitions_total{alertname="BGPSessionDown",to="resolved"} 1'
check "BMPRouterGone resolved once" has 'circuitwatch_alert_transitions_total{alertname="BMPRouterGone",to="resolved"} 1'
check "the spare rule (circuits < 0) never left inactive" sh -c "! curl -s http://127.0.0.1:$PROM/metrics | grep -q 'alertname=\"Spare\"'"

# Kafka's alerts topic: the five transitions in order, typed by their rule's
# event, with state, circuit and the session's peer
"$CW_BIN" events --brokers "$BS" --topic cw.alerts --from-beginning --max 5 --timeout 15 \
  > "$WORK/alerts.jsonl" 2> "$WORK/alerts.err"
check "five alert transitions on the alerts topic" test "$(wc -l < "$WORK/alerts.jsonl")" = 5
check "... in order, typed and with their state" python3 - "$WORK/alerts.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
got = [(e["type"], e["alert"]["name"], e["alert"]["state"]) for e in ev]
want = [("EVENT_TYPE_ALERT_TRANSITION", "BGPSessionDown", "ALERT_STATE_PENDING"),
        ("EVENT_TYPE_ALERT_TRANSITION", "BGPSessionDown", "ALERT_STATE_FIRING"),
        ("EVENT_TYPE_SOURCE_PROBLEM", "BMPRouterGone", "ALERT_STATE_FIRING")]
assert got[:3] == want, got
assert sorted(got[3:]) == sorted([("EVENT_TYPE_ALERT_TRANSITION", "BGPSessionDown", "ALERT_STATE_RESOLVED"),
                                  ("EVENT_TYPE_SOURCE_PROBLEM", "BMPRouterGone", "ALERT_STATE_RESOLVED")]), got
s = ev[1]
assert s["circuit"] == "c1" and s["link"] == "primary" and s["peering"] == "private", s
assert s["peer"]["address"] == "198.18.0.2" and s["peer"]["asn"] == 200000, s
assert s["severity"] == "SEVERITY_CRITICAL" and s["message"] == "session down", s
PY
check "no alert on the events topic" sh -c "! '$CW_BIN' events --brokers '$BS' --topic cw.events \
  --from-beginning --timeout 3 2>/dev/null | grep -q '\"alert\"'"

write_config ""
kill -HUP "$CW_PID"
check "a reload applies the new rule set" until_true 10 has "circuitwatch_alert_rules 2"
kill -TERM "$CW_PID"; wait_exit "$CW_PID" 10
check "clean exit" test "$RC" = 0
finish
