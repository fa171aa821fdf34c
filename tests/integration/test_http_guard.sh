#!/usr/bin/env bash
# The exporter under attack (issue 12, items 6 and 7), all on loopback: a
# slowloris from 100 addresses of 127/8, a flood from one address, a full
# house of slow clients; then basic auth: an unknown user costs the same
# hashing as a known one, a password with a NUL byte is refused, verified
# credentials are cached, and wrong-password loops do not hold up a scrape.
source "$(dirname "$0")/lib.sh"
need curl; need python3
ATTACK="python3 $CW_SOURCE_DIR/tests/integration/http_attack.py"
# 127.0.0.2 and up must be usable as source addresses (Linux routes 127/8 to lo)
python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.2",0))' 2>/dev/null ||
  skip "cannot bind 127.0.0.2"

metric() { # metric NAME_WITH_LABELS [CURL ARGS] — its value, or 0 when absent
  local name=$1; shift
  curl -s --max-time 10 "$@" "$base/metrics" | awk -v n="$name" '$1 == n {print $2; f=1} END {if (!f) print 0}'
}
ge() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$1" "$2"; }
le() { ge "$2" "$1"; }

config() { # config FILE PORT EXTRA-PROMETHEUS-LINES
  cat > "$1" <<YAML
bmp: {enabled: false}
prometheus:
  listen: "127.0.0.1:$2"
$3
$(eth1_circuit_yaml)
YAML
}

# --- 1. slowloris from 100 addresses, default limits, a 2 s request deadline
port=$(free_port)
base="http://127.0.0.1:$port"
config "$WORK/cw.yaml" "$port" "  request_timeout: 2s"
start_cw "$WORK/cw.log" run --config "$WORK/cw.yaml"
check "daemon becomes ready" wait_http "$base/-/ready"
$ATTACK slowloris "$port" 100 2 0.2 20 > "$WORK/slow.out" 2>&1 &
slow=$!
sleep 1
t0=$(date +%s.%N)
c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/metrics")
t1=$(date +%s.%N)
check "a scrape during a 100-connection slowloris is served (got $c in $(python3 -c "print(round($t1-$t0,2))") s)" test "$c" = 200
wait "$slow"
cat "$WORK/slow.out"
check "the deadline closed all 100 slow connections" grep -q '^closed 100/100 ' "$WORK/slow.out"
life=$(awk '/^closed/ {print $4}' "$WORK/slow.out")
check "none lived past the 2 s deadline by more than 4 s (longest ${life:-?} s)" le "${life:-99}" 6
v=$(metric circuitwatch_http_request_timeouts_total)
check "request deadline closures counted ($v)" ge "$v" 100

# --- 2. a flood from one address is held to 8 connections; another address still scrapes
$ATTACK flood "$port" 20 200 3 > "$WORK/flood.out" 2>&1 &
flood=$!
sleep 1.5
c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/metrics")
check "a scrape during a one-address flood is served" test "$c" = 200
wait "$flood"
cat "$WORK/flood.out"
n=$(awk '/^closed_fast/ {split($2, a, "/"); print a[1]}' "$WORK/flood.out")
check "at least 12 of 20 connections from one address closed at once (${n:-?})" ge "${n:-0}" 12
v=$(metric 'circuitwatch_http_connections_refused_total{reason="address_limit"}')
check "exactly 12 refused for the address limit of 8 ($v)" test "$v" = 12
kill -TERM "$CW_PID"; wait_exit "$CW_PID" 15
check "clean exit after the attacks" test "$RC" = 0

# --- 3. every connection taken by slow clients: a scraper still gets in
port=$(free_port)
base="http://127.0.0.1:$port"
config "$WORK/cw2.yaml" "$port" "  max_connections: 16
  request_timeout: 30s"
start_cw "$WORK/cw2.log" run --config "$WORK/cw2.yaml"
check "daemon 2 becomes ready" wait_http "$base/-/ready"
$ATTACK slowloris "$port" 40 2 0.2 6 > "$WORK/slow2.out" 2>&1 &
slow=$!
sleep 1.5
c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/metrics")
check "a scrape while slow clients hold all 16 connections is served (got $c)" test "$c" = 200
wait "$slow"
v=$(metric circuitwatch_http_connections_evicted_total)
check "the longest-waiting connections were evicted for newcomers ($v)" ge "$v" 24
kill -TERM "$CW_PID"; wait_exit "$CW_PID" 15
check "clean exit after the full house" test "$RC" = 0

# --- 4. basic auth with bcrypt (cost 13: ~0.4 s a hash, as in production)
hash() { python3 -W ignore -c 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 13)))' "$1"; }
port=$(free_port)
base="http://127.0.0.1:$port"
config "$WORK/cw3.yaml" "$port" "  basic_auth:
    users:
      prom: '$(hash 's3cret')'
      nul: '$(hash 'abc')'"
start_cw "$WORK/cw3.log" run --config "$WORK/cw3.yaml"
check "daemon 3 becomes ready" wait_http "$base/-/ready" -u prom:s3cret
b64() { printf "$1" | base64 -w0; }
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$@" "$base/metrics"; }
check "right password: 200" test "$(code -u prom:s3cret)" = 200
check "user nul with password abc: 200" test "$(code -u nul:abc)" = 200
check "password abc\\0xyz for a hash of abc: 401" test "$(code -H "Authorization: Basic $(b64 'nul:abc\0xyz')")" = 401
check "wrong password: 401" test "$(code -u prom:wrong)" = 401
check "unknown user: 401" test "$(code -u eve:s3cret)" = 401
check "not Basic: 401" test "$(code -H 'Authorization: Bearer x')" = 401
v=$(metric 'circuitwatch_http_auth_total{result="cache_hit"}' -u prom:s3cret)
check "a repeated right password is served from the cache ($v hits)" ge "$v" 1

$ATTACK pair "$port" "$(b64 'prom:wrong')" "$(b64 'eve:wrong')" 7 > "$WORK/pair.out"
k=$(awk '/^medians/ {print $2}' "$WORK/pair.out"); u=$(awk '/^medians/ {print $3}' "$WORK/pair.out")
check "an unknown user takes as long as a known one's wrong password (medians $u s vs $k s)" \
  ge "$u" "$(python3 -c "print($k * 0.5)")"

$ATTACK hammer "$port" 8 prom 12 > "$WORK/hammer.out" 2>&1 &
ham=$!
sleep 2
$ATTACK time "$port" "$(b64 'prom:s3cret')" 5 > "$WORK/good.out"
wait "$ham"
cat "$WORK/hammer.out" "$WORK/good.out"
m=$(awk '/^median/ {print $2}' "$WORK/good.out")
check "8 wrong-password loops: all 5 right-password scrapes served" test "$(grep -c '^status 200 ' "$WORK/good.out")" = 5
check "... in a median of ${m:-?} s (bound 1.5 s; a hash takes ~0.4 s)" le "${m:-99}" 1.5

# --- 5. a reload changing the users applies at once and empties the cache
check "prom's password is cached before the reload" test "$(code -u prom:s3cret)" = 200
config "$WORK/cw3.yaml" "$port" "  basic_auth:
    users:
      prom: '$(hash 'n3w pass')'"
kill -HUP "$CW_PID"
new_works() { test "$(code -u 'prom:n3w pass')" = 200; }
check "after a reload the new password works" until_true 30 new_works
check "after a reload the old, cached password is refused" test "$(code -u prom:s3cret)" = 401
check "after a reload a removed user is refused" test "$(code -u nul:abc)" = 401
kill -TERM "$CW_PID"; wait_exit "$CW_PID" 15
check "clean exit with basic auth" test "$RC" = 0
finish
