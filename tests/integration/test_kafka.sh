#!/usr/bin/env bash
# The Kafka exporter against librdkafka's mock cluster (3 brokers on
# loopback, the real protocol), driven by tests/tools/kafka_mock:
#   1. BMP sessions going up and down become events; kcat (an independent
#      client) reads them with their key and headers, protoc decodes one,
#      `circuitwatch events` prints them all as JSON lines.
#   2. Every broker down: events wait in the producer queue, then in the
#      spool; the daemon is stopped while the brokers are down (the queue
#      goes to the spool) and started again (JSON encoding now), more
#      events come; the brokers come back: every event arrives, each
#      circuit's in order, none lost and none twice (ids compared).
source "$(dirname "$0")/lib.sh"
need kcat; need protoc; need python3; need curl
B=${CW_BUILD_DIR:?CW_BUILD_DIR not set (run through ctest)}/tests
for t in kafka_mock gen_bmp_table bmp_replay; do
  [ -x "$B/$t" ] || skip "$B/$t not built"
done

# ---- the cluster ----
start_kafka_mock "$B/kafka_mock" 3 cw.events:3 cw.alerts:1 || { bad "mock cluster started"; finish; }
mock() { echo "$1" >&7; }
ok "mock cluster with 3 brokers at $BS"

# ---- BMP: 4 peers on 2 circuits (primary and secondary link each);
# each stream is Peer Up, 5 routes and Peer Down per peer: 8 events ----
"$B/gen_bmp_table" --peers 4 --ipv4 5 --ipv6 0 --peer-addr 198.18.1.2 --peer-step 4 \
  --peer-as 12076 --peer-down -o "$WORK/updown.bmp" > /dev/null || { bad "gen_bmp_table"; finish; }

port=$(free_port); bport=$(free_port)
config() { # config FILE ENCODING
  cat > "$1" <<YAML
log: {level: debug}
prometheus: {listen: "127.0.0.1:$port"}
bmp: {listen: "127.0.0.1:$bport"}
ifstats: {enabled: false}
probes: {enabled: false}
kafka:
  enabled: true
  brokers: [${BS//,/, }]
  topic_events: cw.events
  topic_alerts: cw.alerts
  encoding: $2
  compression: lz4
  spool_dir: $WORK/spool
  spool_max_bytes: 1048576
  queue_max_messages: 4
  client_id: cw-test
  librdkafka: {linger.ms: 5, reconnect.backoff.max.ms: 500}
circuits:
  - id: er-a
    provider: expressroute
    sku: {tier: standard}
    bandwidth: 1Gbps
    links:
      primary:
        peerings: [{type: private, neighbors: [{address: 198.18.1.2, asn: 12076}]}]
      secondary:
        peerings: [{type: private, neighbors: [{address: 198.18.1.6, asn: 12077}]}]
  - id: er-b
    provider: expressroute
    sku: {tier: standard}
    bandwidth: 1Gbps
    links:
      primary:
        peerings: [{type: private, neighbors: [{address: 198.18.1.10, asn: 12078}]}]
      secondary:
        peerings: [{type: private, neighbors: [{address: 198.18.1.14, asn: 12079}]}]
YAML
}
events_logged() { grep -h 'msg="kafka: event"' "$WORK"/cw*.log 2>/dev/null | wc -l; }
replay() { "$B/bmp_replay" 127.0.0.1 "$bport" "$WORK/updown.bmp" > /dev/null; }
metric() { curl -s "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
# conditions for until_true: each call reads afresh (a "$(...)" argument
# would be read once, before the first try, and never poll)
logged_ge() { [ "$(events_logged)" -ge "$1" ]; }
spool_bytes_is() { [ "$(metric circuitwatch_kafka_spool_bytes)" = "$1" ]; }
spool_bytes_not() { [ "$(metric circuitwatch_kafka_spool_bytes)" != "$1" ]; }

# ---- 1: brokers up, protobuf ----
config "$WORK/cw1.yaml" protobuf
start_cw "$WORK/cw1.log" run --config "$WORK/cw1.yaml"
check "daemon 1 ready" wait_http "http://127.0.0.1:$port/-/ready"
replay
check "8 session events emitted" until_true 10 logged_ge 8
delivered() { [ "$(metric 'circuitwatch_kafka_messages_delivered_total{topic="events"}')" = "$1" ]; }
check "8 delivered (acks=all)" until_true 15 delivered 8

kcat -C -b "$BS" -t cw.events -o beginning -e -q -f '%k|%h\n' > "$WORK/kcat1.txt" 2> "$WORK/kcat1.err"
check "kcat reads 8 messages" test "$(wc -l < "$WORK/kcat1.txt")" = 8
check "keyed by circuit" test "$(cut -d'|' -f1 "$WORK/kcat1.txt" | sort -u | tr '\n' ' ')" = "er-a er-b "
check "headers: content-type, schema-version, event-type" \
  test "$(grep -c 'content-type=application/x-protobuf,schema-version=1,event-type=BGP_SESSION_' "$WORK/kcat1.txt")" = 8
kcat -C -b "$BS" -t cw.events -p 0 -o beginning -c 1 -e -q -f '%s' > "$WORK/one.pb" 2>/dev/null
protoc --decode=circuitwatch.v1.Event --proto_path="$CW_SOURCE_DIR/proto" \
  circuitwatch/v1/events.proto < "$WORK/one.pb" > "$WORK/one.txt" 2>&1
check "protoc decodes a message with the .proto" grep -q '^type: EVENT_TYPE_BGP_SESSION_UP$' "$WORK/one.txt"
check "... with circuit, peer and source" sh -c "grep -q '^circuit: \"er-' '$WORK/one.txt' && grep -q 'source: SOURCE_BMP' '$WORK/one.txt'"
"$CW_BIN" events --brokers "$BS" --topic cw.events --from-beginning --max 8 --timeout 10 \
  > "$WORK/events1.jsonl" 2> "$WORK/events1.err"
check "circuitwatch events prints 8 JSON lines" test "$(wc -l < "$WORK/events1.jsonl")" = 8
check "... 4 down with a BMP Peer Down reason" \
  test "$(grep -c '"type":"EVENT_TYPE_BGP_SESSION_DOWN".*"kind":"REASON_KIND_BMP_PEER_DOWN"' "$WORK/events1.jsonl")" = 4

# ---- 2: brokers down; stop while down; start again; more events ----
mock down
until_true 5 grep -c '^ok$' "$WORK/mock.out" > /dev/null
spooled0=$(metric circuitwatch_kafka_spooled_total)
replay
check "8 more events emitted while the brokers are down" until_true 10 logged_ge 16
spooled_more() { [ "$(metric circuitwatch_kafka_spooled_total)" -ge $((spooled0 + 4)) ]; }
check "beyond queue_max_messages (4) they are spooled" until_true 5 spooled_more
# the gauge is published on the exporter's own tick, after the spooling it
# reports: poll it (read once, it failed about one run in three)
in_flight() { [ "$(metric circuitwatch_kafka_messages_in_flight)" = 4 ]; }
check "... and no more than 4 wait in the producer" until_true 5 in_flight
kill -TERM "$CW_PID"
wait_exit "$CW_PID" 20
check "daemon 1 stops cleanly while the brokers are down" test "$RC" = 0
check "the producer queue was spooled at shutdown" grep -q 'undelivered messages spooled at shutdown.*messages=4' "$WORK/cw1.log"

config "$WORK/cw2.yaml" json
start_cw "$WORK/cw2.log" run --config "$WORK/cw2.yaml"
check "daemon 2 ready (brokers still down)" wait_http "http://127.0.0.1:$port/-/ready"
replay
check "8 more events emitted by daemon 2" until_true 10 logged_ge 24
check "spool holds them" until_true 5 spool_bytes_not 0
mock up
check "all 24 delivered once the brokers are back" \
  until_true 30 sh -c "[ \"\$(kcat -C -b '$BS' -t cw.events -o beginning -e -q -f '%o\n' 2>/dev/null | wc -l)\" -ge 24 ]"
check "spool drained" until_true 10 spool_bytes_is 0
check "nothing lost" test -z "$(curl -s "http://127.0.0.1:$port/metrics" | grep '^circuitwatch_kafka_events_lost_total' | awk '$2 != 0')"

grep -h 'msg="kafka: event"' "$WORK/cw1.log" "$WORK/cw2.log" > "$WORK/emitted.log"
"$CW_BIN" events --brokers "$BS" --topic cw.events --from-beginning --timeout 5 \
  > "$WORK/all.jsonl" 2> "$WORK/all.err"
kcat -C -b "$BS" -t cw.events -o beginning -e -q -f '%h|%s\n' > "$WORK/kcat_all.txt" 2>/dev/null
python3 - "$WORK/emitted.log" "$WORK/all.jsonl" "$WORK/kcat_all.txt" > "$WORK/compare.txt" <<'PY'
import json, re, sys
emitted = []  # (id, circuit) in emission order
for line in open(sys.argv[1]):
    i = re.search(r' id=([0-9a-f]{32})', line).group(1)
    c = re.search(r' circuit=("?)([^" ]*)\1', line).group(2)
    emitted.append((i, c))
got = [json.loads(l) for l in open(sys.argv[2])]
ids = [e["id"] for e in got]
problems = []
if sorted(ids) != sorted(i for i, _ in emitted):
    problems.append("ids differ: emitted %d, consumed %d, missing %s, extra %s" % (
        len(emitted), len(ids), set(i for i, _ in emitted) - set(ids), set(ids) - set(i for i, _ in emitted)))
for circ in ("er-a", "er-b"):
    want = [i for i, c in emitted if c == circ]
    have = [e["id"] for e in got if e.get("circuit") == circ]
    if want != have:
        problems.append("order of %s differs" % circ)
# kcat's own view of the JSON-encoded messages (produced by daemon 2)
kjson = 0
for raw in open(sys.argv[3], "rb").read().split(b"\n"):
    if raw.startswith(b"content-type=application/json,"):
        ev = json.loads(raw.split(b"|", 1)[1])
        assert ev["id"] in ids and ev["type"].startswith("EVENT_TYPE_BGP_SESSION_")
        kjson += 1
print("emitted=%d consumed=%d kcat_json=%d" % (len(emitted), len(ids), kjson))
print("\n".join(problems) if problems else "ok")
PY
cat "$WORK/compare.txt"
check "every event arrived exactly once, in order per circuit" test "$(tail -1 "$WORK/compare.txt")" = ok
check "kcat decodes the 16 JSON messages daemon 2 produced" grep -q 'kcat_json=16' "$WORK/compare.txt"

kill -TERM "$CW_PID"
wait_exit "$CW_PID" 20
check "daemon 2 stops cleanly" test "$RC" = 0
mock quit
exec 7>&-
finish
