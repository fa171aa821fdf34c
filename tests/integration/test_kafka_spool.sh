#!/usr/bin/env bash
# The Kafka exporter's spool on a full disk (issue 12d): the spool directory
# is a 1 MiB tmpfs (the spool's own budget is far above it), every broker of
# librdkafka's mock cluster is down, and BMP peers flap: 7,200 session
# events, more than the disk holds. Then the brokers come back and kcat
# reads everything:
#   - the daemon survives; every event kept arrives exactly once;
#   - the EVENTS_LOST reports add up to exactly the events lost (caused -
#     delivered), all with reason spool_error (ENOSPC is not spool_full);
#   - circuitwatch_kafka_events_lost_total says the same, and does not
#     move while nothing happens (the reports never count themselves);
#   - "spool full" / "takes events again" are logged a few times, not every
#     50 ms.
# Needs root (mount); skipped without it.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root to mount a tmpfs"
need kcat; need python3; need curl
B=${CW_BUILD_DIR:?CW_BUILD_DIR not set (run through ctest)}/tests
for t in kafka_mock gen_bmp_table bmp_replay; do
  [ -x "$B/$t" ] || skip "$B/$t not built"
done

SPOOL=$WORK/spool
mkdir -p "$SPOOL"
mount -t tmpfs -o size=1m,mode=0700 "cw-spool-$$" "$SPOOL" 2>/dev/null || skip "cannot mount a tmpfs here"
# the daemon must be gone before the unmount, and the unmount before lib.sh
# removes $WORK
spool_cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  umount "$SPOOL" 2>/dev/null || umount -l "$SPOOL" 2>/dev/null
  cleanup
}
trap spool_cleanup EXIT

PASSES=18       # replays of the stream, in one BMP session
PEERS=250       # each pass: 250 Peer Up, 250 Peer Down
CAUSED=$((PASSES * PEERS * 2))

# ---- the cluster, every broker down from the start ----
start_kafka_mock "$B/kafka_mock" 1 cw.events:3 cw.alerts:1 || { bad "mock cluster started"; finish; }
mock() { echo "$1" >&7; }
mock down
until_true 5 grep -q '^ok$' "$WORK/mock.out" || { bad "brokers down"; finish; }
ok "mock cluster at $BS, brokers down"

"$B/gen_bmp_table" --peers $PEERS --ipv4 1 --ipv6 0 --peer-addr 198.18.1.2 --peer-step 4 \
  --peer-as 12076 --peer-down -o "$WORK/flap.bmp" > /dev/null || { bad "gen_bmp_table"; finish; }

port=$(free_port); bport=$(free_port)
cat > "$WORK/cw.yaml" <<YAML
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
  encoding: json
  compression: lz4
  spool_dir: $SPOOL
  spool_max_bytes: 1073741824
  queue_max_messages: 500
  client_id: cw-spool-test
  librdkafka: {linger.ms: 5, reconnect.backoff.max.ms: 500}
circuits:
  - id: er-a
    provider: expressroute
    sku: {tier: standard}
    bandwidth: 1Gbps
    links:
      primary:
        peerings: [{type: private, neighbors: [{address: 198.18.1.2, asn: 12076}]}]
YAML
metrics() { curl -s "http://127.0.0.1:$port/metrics"; }
metric() { metrics | awk -v m="$1" '$1 == m {print $2}'; }
lost_total() { metrics | awk '/^circuitwatch_kafka_events_lost_total/ {s += $2} END {printf "%d\n", s}'; }
# events the exporter was handed, its own EVENTS_LOST reports left out
caused() { grep 'msg="kafka: event"' "$WORK/cw.log" | grep -vc 'type=EVENTS_LOST'; }
# is NAME OP VALUE: evaluated at each call (for until_true)
is() { test "$($1)" "$2" "$3"; }
metric_is() { test "$(metric "$1")" = "$2"; }

start_cw "$WORK/cw.log" run --config "$WORK/cw.yaml"
check "daemon ready (brokers down)" wait_http "http://127.0.0.1:$port/-/ready"

# ---- the peers flap: more events than the 1 MiB disk holds ----
files=(); for _ in $(seq 1 $PASSES); do files+=("$WORK/flap.bmp"); done
"$B/bmp_replay" 127.0.0.1 "$bport" "${files[@]}" > /dev/null || bad "bmp_replay"
check "$CAUSED events caused" until_true 60 is caused -ge $CAUSED
check "exactly $CAUSED (no more)" test "$(caused)" = $CAUSED
check "the disk filled up: spool_full is 1" until_true 10 metric_is circuitwatch_kafka_spool_full 1
df -k "$SPOOL" | tail -1
lost1=$(lost_total)
check "events were lost ($lost1)" test "$lost1" -gt 0
check "... as spool_error (the disk), not spool_full (the budget)" \
  test "$(metric 'circuitwatch_kafka_events_lost_total{reason="spool_error"}')" = "$lost1"
sleep 3
check "the lost counter stays at $lost1 while nothing happens" test "$(lost_total)" = "$lost1"
check "the daemon survives the full disk" wait_http "http://127.0.0.1:$port/-/ready"

# ---- the brokers return: the spool drains, the report follows ----
mock up
check "spool drained" until_true 60 metric_is circuitwatch_kafka_spool_bytes 0
check "spool_full back to 0" until_true 10 metric_is circuitwatch_kafka_spool_full 0
want=$((CAUSED - lost1))
consumed() {
  kcat -C -b "$BS" -t cw.events -o beginning -e -q -f '%s\n' > "$WORK/all.jsonl" 2> "$WORK/kcat.err"
  [ "$(grep -vc EVENT_TYPE_EVENTS_LOST "$WORK/all.jsonl")" -ge "$want" ] &&
    grep -q EVENT_TYPE_EVENTS_LOST "$WORK/all.jsonl"
}
check "kcat reads the $want kept events and a loss report" until_true 60 consumed
sleep 2; consumed # anything late (a duplicate, a second report) is read too

grep 'msg="kafka: event"' "$WORK/cw.log" | grep -v 'type=EVENTS_LOST' > "$WORK/emitted.log"
python3 - "$WORK/emitted.log" "$WORK/all.jsonl" "$(lost_total)" > "$WORK/compare.txt" <<'PY'
import json, re, sys
emitted = [re.search(r' id=([0-9a-f]{32})', l).group(1) for l in open(sys.argv[1])]
metric = int(sys.argv[3])
events, reports = [], []
for line in open(sys.argv[2]):
    e = json.loads(line)
    (reports if e["type"] == "EVENT_TYPE_EVENTS_LOST" else events).append(e)
ids = [e["id"] for e in events]
lost = len(emitted) - len(set(ids))
reported = sum(int(r["loss"]["count"]) for r in reports)
problems = []
if len(ids) != len(set(ids)):
    problems.append("%d events arrived twice" % (len(ids) - len(set(ids))))
if not set(ids) <= set(emitted):
    problems.append("%d events arrived that were never emitted" % len(set(ids) - set(emitted)))
if reported != lost:
    problems.append("reports say %d lost, %d were" % (reported, lost))
if metric != lost:
    problems.append("the lost counter says %d, %d were" % (metric, lost))
for r in reports:
    loss = r["loss"]
    if loss.get("reason") != "spool_error" or int(loss["lastTimeUnixNano"]) < int(loss["firstTimeUnixNano"]):
        problems.append("report %s: %s" % (r["id"], json.dumps(loss)))
print("caused=%d delivered=%d lost=%d reports=%d reported=%s metric=%d" % (
    len(emitted), len(set(ids)), lost, len(reports),
    "+".join(r["loss"]["count"] for r in reports), metric))
print("\n".join(problems) if problems else "ok")
PY
cat "$WORK/compare.txt"
check "every kept event arrived exactly once; the reports and the counter add up to the loss" \
  test "$(tail -1 "$WORK/compare.txt")" = ok
states=$(grep -cE 'kafka: spool (full|write failed|has room again|takes events again)' "$WORK/cw.log")
check "spool state changes logged $states times (rate-limited: at most 6)" test "$states" -le 6

kill -TERM "$CW_PID"
wait_exit "$CW_PID" 20
check "daemon stops cleanly" test "$RC" = 0
check "no loss left unreported at shutdown" bash -c "! grep -q 'never reported' '$WORK/cw.log'"
mock quit
exec 7>&-
finish
