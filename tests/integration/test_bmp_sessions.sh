#!/usr/bin/env bash
# BMP sessions against crafted streams (issue 12): a router reconnecting
# while its stale connection lingers keeps the newer session's state; 1 MiB
# and 16 MiB messages are accepted; silent and dripping connections are
# closed by their deadlines while a quiet established one is not; the
# partial-message budget refuses and counts; a source removed from
# bmp.allow is disconnected on SIGHUP.
source "$(dirname "$0")/lib.sh"
need curl; need python3

port=$(free_port)
bport=$(free_port)
base="http://127.0.0.1:$port"
write_config() { # ALLOW
  cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$port"}
bmp:
  listen: "127.0.0.1:$bport"
  allow: $1
  first_message_timeout: 3s
  message_timeout: 4s
  keepalive: 5s
  buffer_budget: 20971520
YAML
}
write_config '["127.0.0.0/24"]'
start_cw "$WORK/cw.log" run --config "$WORK/cw.yaml"
check "daemon ready" wait_http "$base/-/ready"

router() { python3 "$CW_SOURCE_DIR/tests/integration/bmp_router.py" "$bport" "$base" "$@"; }
metric() { curl -s "$base/metrics" | grep -v '^#' | grep -F "$1" | awk '{print $NF}'; }
closed() { metric "circuitwatch_bmp_connections_closed_total{reason=\"$1\"}"; }

# item 2: the old connection closes after the new one sent its table
out=$(router takeover 127.0.0.2)
check "takeover: router stays up with the newer session's prefixes ($out)" \
  test "$out" = "up=1.0 prefixes=150.0 dropped=1.0"
check "takeover counted" test "$(metric circuitwatch_bmp_sessions_superseded_total)" = 1
check "connections counted per router" test \
  "$(metric 'circuitwatch_bmp_router_connections_total{router="127.0.0.2"}')" = 2

# item 3: large messages below bmp.max_message_size
out=$(router big 127.0.0.3)
check "1 MiB and 16 MiB - 64 B messages accepted ($out)" test "$out" = accepted
check "no connection lost framing" test -z "$(closed framing_lost)"
check "buffer back to its base size" until_true 5 sh -c \
  "[ \"\$(curl -s '$base/metrics' | grep '^circuitwatch_bmp_buffer_bytes ' | awk '{print \$NF}')\" = 0 ]"

# item 4: deadlines (3 s for the first message, 4 s for a started one)
router hold 127.0.0.10 7 quiet-router > "$WORK/quiet.out" &
quiet=$!
t=$(router silent 127.0.0.4)
check "a silent connection is closed after first_message_timeout ($t s)" \
  python3 -c "import sys; sys.exit(not (2.5 <= float('$t') <= 12))"
check "counted as first_message_timeout" test "$(closed first_message_timeout)" = 1
t=$(router drip 127.0.0.5)
check "a message dripped one byte per 100 ms is closed after message_timeout ($t s)" \
  python3 -c "import sys; sys.exit(not (3.5 <= float('$t') <= 14))"
check "counted as message_timeout" test "$(closed message_timeout)" = 1
wait "$quiet"
check "a quiet established session is not closed" test "$(cat "$WORK/quiet.out")" = open

# item 4: the partial-message budget (20 MiB beyond the base buffers)
router partial 127.0.0.6 8 > "$WORK/held.out" &
held=$!
check "a 12 MiB partial message is held" until_true 10 sh -c \
  "[ \"\$(curl -s '$base/metrics' | grep '^circuitwatch_bmp_buffer_bytes ' | awk '{print int(\$NF / 1048576)}')\" -ge 12 ]"
out=$(router partial 127.0.0.7 3)
check "a second one over bmp.buffer_budget is refused ($out)" test "$out" = closed
check "refusal counted" test "$(metric circuitwatch_bmp_buffer_budget_refusals_total)" = 1
check "closed as buffer_budget" test "$(closed buffer_budget)" = 1
wait "$held"
check "the held partial message times out" test "$(cat "$WORK/held.out")" = closed
check "counted as message_timeout" test "$(closed message_timeout)" = 2

# item 8: removed from bmp.allow, disconnected on reload
router hold 127.0.0.9 20 > "$WORK/removed.out" &
removed=$!
router hold 127.0.0.1 20 kept-router > "$WORK/kept.out" &
kept=$!
check "both routers up" until_true 10 sh -c "curl -s '$base/metrics' | grep -q '^circuitwatch_bmp_router_up{router=\"127.0.0.9\"} 1$' && curl -s '$base/metrics' | grep -q '^circuitwatch_bmp_router_up{router=\"127.0.0.1\"} 1$'"
write_config '["127.0.0.1/32"]'
kill -HUP "$CW_PID"
wait "$removed"
check "a router removed from bmp.allow is disconnected on SIGHUP" test "$(cat "$WORK/removed.out")" = closed
check "counted as not_allowed" test "$(closed not_allowed)" = 1
check "its router is down" test "$(metric 'circuitwatch_bmp_router_up{router="127.0.0.9"}')" = 0
check "the allowed router stays up" test "$(metric 'circuitwatch_bmp_router_up{router="127.0.0.1"}')" = 1
kill "$kept" 2>/dev/null; wait "$kept" 2>/dev/null

check "daemon still ready" test "$(curl -s -o /dev/null -w '%{http_code}' "$base/-/ready")" = 200
kill -TERM "$CW_PID"
wait_exit "$CW_PID" 15
check "SIGTERM: clean exit 0" test "$RC" = 0
finish
