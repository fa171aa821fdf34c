#!/usr/bin/env bash
# TLS and basic auth on the exporter, checked with curl and with a real
# Prometheus server scraping over HTTPS with credentials.
source "$(dirname "$0")/lib.sh"
need curl; need openssl; need prometheus; need python3

self_signed_cert || skip "openssl cannot make a test certificate"
hash=$(openssl passwd -6 's3cret pass')
port=$(free_port)
base="https://127.0.0.1:$port"
cat > "$WORK/cw.yaml" <<YAML
bmp: {enabled: false}
prometheus:
  listen: "127.0.0.1:$port"
  tls: {cert_file: "$WORK/cert.pem", key_file: "$WORK/key.pem"}
  basic_auth:
    users:
      prom: '$hash'
$(eth1_circuit_yaml)
YAML
start_cw "$WORK/cw.log" run --config "$WORK/cw.yaml"
check "ready over HTTPS with credentials" wait_http "$base/-/ready" --cacert "$WORK/cert.pem" -u 'prom:s3cret pass'
code() { curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/cert.pem" "$@"; }
check "right password: 200" test "$(code -u 'prom:s3cret pass' "$base/metrics")" = 200
check "wrong password: 401" test "$(code -u 'prom:wrong' "$base/metrics")" = 401
check "unknown user: 401" test "$(code -u 'eve:s3cret pass' "$base/metrics")" = 401
curl -s -D "$WORK/h" -o /dev/null --cacert "$WORK/cert.pem" "$base/metrics"
check "no credentials: 401 with a Basic challenge" grep -qi '^www-authenticate: basic realm="circuitwatch"' "$WORK/h"
check "plain HTTP is not served" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics")" != 200
for _ in $(seq 1 20); do code -u 'prom:guess' "$base/metrics" >/dev/null; done
n=$(grep -c 'basic auth failed' "$WORK/cw.log")
check "23 failed logins logged as $n lines (rate limit: 3 per 10 s)" test "$n" -ge 1 -a "$n" -le 3
# a TLS handshake trickling in a byte at a time is cut at prometheus.request_timeout (5 s)
python3 "$CW_SOURCE_DIR/tests/integration/http_attack.py" tlsdrip "$port" 15 > "$WORK/drip.out"
read -r what secs < "$WORK/drip.out"
check "a trickled TLS handshake is closed by the request deadline ($what $secs s)" \
  python3 -c "import sys; sys.exit(0 if sys.argv[1] == 'closed_after' and float(sys.argv[2]) < 8 else 1)" "$what" "$secs"

pport=$(free_port)
start_prometheus_https "$port" "$pport" "ca_file: \"$WORK/cert.pem\""
up() { curl -s --data-urlencode 'query=circuitwatch_circuit_info{circuit="er-test"}' \
  "http://127.0.0.1:$pport/api/v1/query" | grep -q '"value":\[[^]]*"1"\]'; }
check "Prometheus scrapes over HTTPS with basic auth" until_true 60 up

kill -TERM "$CW_PID"
wait_exit "$CW_PID" 15; rc=$RC
check "SIGTERM: clean exit 0" test "$rc" = 0
finish
