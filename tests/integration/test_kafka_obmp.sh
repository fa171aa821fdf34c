#!/usr/bin/env bash
# The raw BMP stream (kafka.streams.bmp_raw) in OpenBMP's binary format,
# against librdkafka's mock cluster (tests/tools/kafka_mock):
#   1. tests/tools/obmp_parse.py (an independent reader written from
#      OpenBMP's header description) refuses hostile messages;
#   2. a generated table (Initiation, Peer Ups, Route Monitoring, Peer
#      Downs) and a real router's capture (shared/captures, when there) are
#      replayed into the daemon (2 BMP workers), while a second router
#      streams its own table; kcat reads the topic; every header field is
#      checked (magic, 1.7, lengths, flags, BMP_RAW, timestamp, both hashes,
#      admin id, router address, group, row count, the key) and the BMP
#      payloads, concatenated in offset order, are byte-identical to what
#      was sent; nothing lost;
#      a reload switches the stream off and on again live;
#   3. kafka.security: check-config refuses inconsistent settings; SASL and
#      TLS settings reach librdkafka (librdkafka 2.0's mock cluster speaks
#      neither SASL nor TLS: the handshakes it fails are the evidence).
source "$(dirname "$0")/lib.sh"
need kcat; need python3; need curl
B=${CW_BUILD_DIR:?CW_BUILD_DIR not set (run through ctest)}/tests
for t in kafka_mock gen_bmp_table bmp_replay; do
  [ -x "$B/$t" ] || skip "$B/$t not built"
done
PARSE="$CW_SOURCE_DIR/tests/tools/obmp_parse.py"
ADMIN=cw-obmp-test
TOPIC=openbmp.bmp_raw

# ---- 1: the parser against hostile input ----
check "obmp_parse.py refuses every hostile message, parses the good one" \
  python3 "$PARSE" selftest

# ---- the cluster ----
start_kafka_mock "$B/kafka_mock" 1 cw.events:1 cw.alerts:1 "$TOPIC:3" || { bad "mock cluster started"; finish; }
ok "mock cluster at $BS"

# ---- what the routers send ----
"$B/gen_bmp_table" --peers 2 --ipv4 3000 --ipv6 500 --pack 4 --sets 50 --peer-down \
  -o "$WORK/table.bmp" > /dev/null || { bad "gen_bmp_table"; finish; }
# a second router (127.0.0.2) streams its own table at the same time
"$B/gen_bmp_table" --router 1 --seed 2 --ipv4 2000 --ipv6 300 --pack 2 --sets 30 \
  -o "$WORK/table2.bmp" > /dev/null || { bad "gen_bmp_table"; finish; }
SENT=("$WORK/table.bmp")
CAP=$CW_SOURCE_DIR/../shared/captures/pmacct__204-BMP-CISCO-peer_down__traffic-00.pcap
if [ -f "$CAP" ]; then
  python3 "$CW_SOURCE_DIR/tests/tools/pcap_tcp_streams.py" --port 1790 --outdir "$WORK/cap" \
    "$CAP" > "$WORK/cap.list" 2>&1
  # the router's side: the longest stream without a hole
  capbin=$(awk -F'\t' '$5 == 0 {print $4 "\t" $1}' "$WORK/cap.list" | sort -n | tail -1 | cut -f2)
  if [ -n "$capbin" ] && [ -s "$capbin" ]; then
    SENT+=("$capbin")
    ok "capture stream $(basename "$capbin") ($(stat -c %s "$capbin") bytes)"
  fi
else
  echo "# no shared captures: the generated table only"
fi
count_msgs() { # whole BMP messages in the files
  python3 - "$@" <<'PY'
import struct, sys
n = 0
for f in sys.argv[1:]:
    b = open(f, "rb").read(); p = 0
    while p + 6 <= len(b):
        p += struct.unpack("!I", b[p + 1:p + 5])[0]; n += 1
print(n)
PY
}
TOTAL_A=$(count_msgs "${SENT[@]}")
TOTAL=$((TOTAL_A + $(count_msgs "$WORK/table2.bmp")))
cat "${SENT[@]}" > "$WORK/sent.bin"

port=$(free_port); bport=$(free_port)
config() { # config FILE [SECURITY YAML]
  cat > "$1" <<YAML
log: {level: info}
prometheus: {listen: "127.0.0.1:$port"}
bmp: {listen: "127.0.0.1:$bport", workers: 2}
ifstats: {enabled: false}
probes: {enabled: false}
kafka:
  enabled: true
  brokers: [$BS]
  topic_events: cw.events
  topic_alerts: cw.alerts
  spool_dir: $WORK/spool
  client_id: cw-obmp-test
  librdkafka: {linger.ms: 5}
  streams:
    admin_id: $ADMIN
    bmp_raw: {enabled: true, topic: $TOPIC}
${2:-}
YAML
}
metric() { curl -s "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
delivered_is() { [ "$(metric 'circuitwatch_kafka_stream_messages_delivered_total{stream="bmp_raw"}')" = "$1" ]; }

# ---- 2: the raw stream ----
config "$WORK/cw.yaml"
check "check-config accepts the streams" "$CW_BIN" check-config "$WORK/cw.yaml"
start_cw "$WORK/cw.log" run --config "$WORK/cw.yaml"
check "daemon ready" wait_http "http://127.0.0.1:$port/-/ready"
t0=$(date +%s)
"$B/bmp_replay" --bind 127.0.0.2 127.0.0.1 "$bport" "$WORK/table2.bmp" > /dev/null &
RB=$!
sofar=$(count_msgs "$WORK/table2.bmp")
for f in "${SENT[@]}"; do
  # one connection after the other, each taken in whole first (a router's
  # new connection would otherwise overlap the end of its old one)
  "$B/bmp_replay" 127.0.0.1 "$bport" "$f" > /dev/null || bad "bmp_replay $f"
  wait "$RB" 2>/dev/null
  sofar=$((sofar + $(count_msgs "$f")))
  until_true 30 delivered_is "$sofar" || bad "the messages of $(basename "$f") delivered"
done
check "all $TOTAL BMP messages delivered to $TOPIC" until_true 30 delivered_is "$TOTAL"
lost=$(curl -s "http://127.0.0.1:$port/metrics" |
  awk '/^circuitwatch_kafka_stream_messages_lost_total\{stream="bmp_raw"/ {s += $2} END {print s + 0}')
check "none lost (all reasons)" test "$lost" = 0
check "queued = delivered" test "$(metric 'circuitwatch_kafka_stream_messages_queued_total{stream="bmp_raw"}')" = "$TOTAL"
t1=$(($(date +%s) + 1))

kcat -C -b "$BS" -t "$TOPIC" -o beginning -e -q -f '%K %S %p %o\n%k%s' > "$WORK/kcat.bin" 2> "$WORK/kcat.err"
mkdir -p "$WORK/got"
python3 "$PARSE" dump "$WORK/kcat.bin" --admin-id "$ADMIN" --bmp-dir "$WORK/got" \
  > "$WORK/summary.json" 2> "$WORK/parse.err"
check "every message parses: header fields, hashes, key (obmp_parse.py)" test $? = 0
cat "$WORK/parse.err"
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$WORK/summary.json" "$1"; }
check "$TOTAL messages read back" test "$(field messages)" = "$TOTAL"
check "version 1.7" test "$(field version)" = 1.7
check "header length 78 + admin id (${#ADMIN})" test "$(field header_len)" = $((78 + ${#ADMIN}))
check "flags 0x80: a router message, IPv4 router" test "$(field flags)" = 128
check "row count 1, no router group" sh -c "[ '$(field row_count)' = 1 ] && [ -z '$(field router_group)' ]"
check "router addresses 127.0.0.1 and 127.0.0.2, each on one partition (its key)" \
  test "$(field routers)" = "['127.0.0.1', '127.0.0.2']"
ts_ok() {
  python3 -c "import json,sys; s=json.load(open(sys.argv[1])); a, b = float(sys.argv[2]), float(sys.argv[3]); sys.exit(not (a <= s['ts_min'] <= s['ts_max'] <= b))" \
    "$WORK/summary.json" "$1" "$2"
}
check "collector timestamps within the run" ts_ok "$t0" "$t1"
check "Initiation, Peer Up, Route Monitoring and Peer Down all carried" \
  python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['types']; sys.exit(not all(k in t for k in '0234'))" "$WORK/summary.json"
check "router 1: its BMP payloads, concatenated, are byte-identical to what it sent" \
  cmp -s "$WORK/sent.bin" "$WORK/got/127.0.0.1.bin"
check "router 2 (at the same time): byte-identical too" \
  cmp -s "$WORK/table2.bmp" "$WORK/got/127.0.0.2.bin"

# reload: the stream switched off and on again live
TABLE_N=$(count_msgs "$WORK/table.bmp")
sed -i 's/bmp_raw: {enabled: true/bmp_raw: {enabled: false/' "$WORK/cw.yaml"
kill -HUP "$CW_PID"
switched() { grep -q "msg=\"kafka stream switched\" stream=bmp_raw enabled=$1" "$WORK/cw.log"; }
check "SIGHUP with bmp_raw.enabled false: the stream is switched off live" until_true 10 switched false
"$B/bmp_replay" 127.0.0.1 "$bport" "$WORK/table.bmp" > /dev/null
sleep 2
check "... the table replayed again is not published" delivered_is "$TOTAL"
sed -i 's/bmp_raw: {enabled: false/bmp_raw: {enabled: true/' "$WORK/cw.yaml"
kill -HUP "$CW_PID"
check "SIGHUP with bmp_raw.enabled true: on again" until_true 10 switched true
"$B/bmp_replay" 127.0.0.1 "$bport" "$WORK/table.bmp" > /dev/null
check "... and the next replay is published whole" until_true 30 delivered_is $((TOTAL + TABLE_N))

kill -TERM "$CW_PID"
wait_exit "$CW_PID" 20
check "daemon stopped cleanly" test "$RC" = 0

# ---- 3: security settings ----
printf 's3cret\n' > "$WORK/password"
chmod 600 "$WORK/password"
config "$WORK/bad1.yaml" "  security: {protocol: sasl_ssl, sasl: {username: u}}"
"$CW_BIN" check-config "$WORK/bad1.yaml" > "$WORK/bad1.out" 2>&1
check "check-config: sasl_ssl without password_file is an error" \
  grep -q 'protocol sasl_ssl needs "sasl" with "username" and "password_file"' "$WORK/bad1.out"
config "$WORK/bad2.yaml" "  security: {protocol: plaintext, tls: {ca_file: /etc/ssl/ca.pem}}"
"$CW_BIN" check-config "$WORK/bad2.yaml" > "$WORK/bad2.out" 2>&1
check "check-config: tls with protocol plaintext is an error" \
  grep -q 'applies only with protocol ssl or sasl_ssl' "$WORK/bad2.out"
config "$WORK/bad3.yaml" "  security: {protocol: ssl, tls: {cert_file: /x.pem}}"
"$CW_BIN" check-config "$WORK/bad3.yaml" > "$WORK/bad3.out" 2>&1
check "check-config: a client certificate without its key is an error" \
  grep -q 'needs both "cert_file" and "key_file"' "$WORK/bad3.out"

config "$WORK/sasl.yaml" "  security:
    protocol: sasl_plaintext
    sasl: {mechanism: SCRAM-SHA-256, username: circuitwatch, password_file: $WORK/password}"
check "check-config accepts SASL/SCRAM settings" "$CW_BIN" check-config "$WORK/sasl.yaml"
start_cw "$WORK/sasl.log" run --config "$WORK/sasl.yaml"
check "daemon with SASL ready" wait_http "http://127.0.0.1:$port/-/ready"
"$B/bmp_replay" 127.0.0.1 "$bport" "$WORK/table.bmp" > /dev/null
# the mock cluster has no SaslHandshake: librdkafka says so, naming the
# mechanism we configured
sasl_refused() { grep -q 'SASL.*SCRAM-SHA-256\|SCRAM-SHA-256.*SASL' "$WORK/sasl.log"; }
check "the SASL mechanism reaches librdkafka (its handshake fails on the mock)" \
  until_true 15 sasl_refused
check "... and nothing is delivered without authentication" delivered_is 0
kill -TERM "$CW_PID"
wait_exit "$CW_PID" 20

config "$WORK/tls.yaml" "  security: {protocol: ssl, tls: {verify_hostname: false}}"
start_cw "$WORK/tls.log" run --config "$WORK/tls.yaml"
check "daemon with TLS ready" wait_http "http://127.0.0.1:$port/-/ready"
tls_refused() { grep -qi 'SSL handshake failed\|ssl.*handshake\|SSL_connect\|wrong version number' "$WORK/tls.log"; }
check "TLS reaches librdkafka (the handshake with the plaintext mock fails)" until_true 15 tls_refused
kill -TERM "$CW_PID"
wait_exit "$CW_PID" 20

finish
