#!/usr/bin/env bash
# The exporter flags (--web.listen-address, --web.config.file, --log.level,
# --log.format) and exporter-toolkit's web-config.yml: mutual TLS checked
# with curl and with a real Prometheus scraping with a client certificate,
# bcrypt users, a response header, min_version, certificates reloaded when
# the files change (no SIGHUP) while a connection in flight keeps working,
# a broken replacement that keeps the running certificate, unknown keys.
source "$(dirname "$0")/lib.sh"
need curl; need openssl; need prometheus; need python3

# ---- a CA, two server certificates, a client certificate, a rogue client ----
case $CW_BIN in /*) ;; *) CW_BIN=$PWD/$CW_BIN ;; esac
cd "$WORK" || exit 1
mkcert() { # mkcert NAME CN EXT [CA]: a key and a certificate signed by CA (ca)
  local ca=${4:-ca}
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
    -keyout "$1.key" -out "$1.csr" >/dev/null 2>&1 &&
  printf '%s\n' "$3" > "$1.ext" &&
  openssl x509 -req -in "$1.csr" -CA "$ca.crt" -CAkey "$ca.key" -CAcreateserial -days 2 \
    -extfile "$1.ext" -out "$1.crt" >/dev/null 2>&1
}
mkca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=$2" -keyout "$1.key" -out "$1.crt" >/dev/null 2>&1
}
srv_ext="subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth"
cli_ext="subjectAltName=DNS:prometheus.test
extendedKeyUsage=clientAuth"
{ mkca ca "test CA" && mkca rogue "rogue CA" && mkcert server1 server-one "$srv_ext" &&
  mkcert server2 server-two "$srv_ext" && mkcert client prometheus "$cli_ext" &&
  mkcert intruder intruder "$cli_ext" rogue; } || skip "openssl cannot make test certificates"
cp server1.crt server.crt; cp server1.key server.key

# bcrypt as htpasswd -B writes it ($2y$), made with libxcrypt's $2b$ (the same)
hash=$(python3 -W ignore -c 'import crypt; print(crypt.crypt("s3cret pass", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1024)))' 2>/dev/null) ||
  skip "python3 cannot make a bcrypt hash"
hash="\$2y\$${hash#\$2b\$}"

port=$(free_port); other=$(free_port); pport=$(free_port)
base="https://127.0.0.1:$port"
cat > "$WORK/cw.yaml" <<YAML
bmp: {enabled: false}
prometheus:
  listen: "127.0.0.1:$other"
  request_timeout: 60s
$(eth1_circuit_yaml)
YAML
# relative file names: against the web config file's folder, as exporter-toolkit does
write_web() { # write_web [EXTRA TLS KEYS] [EXTRA TOP-LEVEL KEYS]
  cat > "$WORK/web.yml.new" <<YAML
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_ca_file: ca.crt
  client_auth_type: RequireAndVerifyClientCert
  client_allowed_sans: [prometheus.test]
$1
http_server_config:
  http2: true
  headers:
    X-Frame-Options: deny
basic_auth_users:
  prom: '$hash'
${2:-}
YAML
  mv "$WORK/web.yml.new" "$WORK/web.yml"
}
write_web ""

# ---- refused before starting --------------------------------------------------
printf 'tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_NOPE]\n  certfile: x\n' > bad.yml
"$CW_BIN" run --config "$WORK/cw.yaml" --web.config.file="$WORK/bad.yml" 2> bad.err; rc=$?
check "a bad web config: exit 2" test "$rc" = 2
check "... naming the unknown key" grep -q 'unknown key "certfile" in tls_server_config' bad.err
check "... and the unknown cipher suite" grep -q '"TLS_NOPE"' bad.err
"$CW_BIN" run --config "$WORK/cw.yaml" --web.listen-address=nowhere 2> bad.err; rc=$?
check "a bad --web.listen-address: exit 2" test "$rc" = 2

start_cw "$WORK/cw.log" run --config "$WORK/cw.yaml" --web.listen-address="127.0.0.1:$port" \
  --web.config.file="$WORK/web.yml" --log.level=debug --log.format=json
mtls=(--cacert ca.crt --cert client.crt --key client.key)
check "ready over mutual TLS with credentials" wait_http "$base/-/ready" "${mtls[@]}" -u 'prom:s3cret pass'
check "--log.format=json: the log is JSON" python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1]) if l.strip()]' "$WORK/cw.log"
"$CW_BIN" run --config "$WORK/cw.yaml" --log.level=loud 2> bad.err; rc=$?
check "--log.level is parsed as --log-level (a bad level: exit 2)" test "$rc" = 2
check "--web.listen-address overrides prometheus.listen" \
  test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$other/" 2>/dev/null)" = 000
code() { curl -s -o /dev/null -w '%{http_code}' "$@" 2>/dev/null; }
check "client certificate and password: 200" test "$(code "${mtls[@]}" -u 'prom:s3cret pass' "$base/metrics")" = 200
check "no client certificate: refused" test "$(code --cacert ca.crt -u 'prom:s3cret pass' "$base/metrics")" = 000
check "a certificate of another CA: refused" \
  test "$(code --cacert ca.crt --cert intruder.crt --key intruder.key -u 'prom:s3cret pass' "$base/metrics")" = 000
check "the server's own certificate as a client (not clientAuth, not in client_allowed_sans): refused" \
  test "$(code --cacert ca.crt --cert server1.crt --key server1.key -u 'prom:s3cret pass' "$base/metrics")" = 000
check "client certificate, wrong password: 401" test "$(code "${mtls[@]}" -u 'prom:nope' "$base/metrics")" = 401
curl -s -D hdr -o /dev/null "${mtls[@]}" -u 'prom:s3cret pass' "$base/-/healthy"
check "http_server_config header on a 200" grep -qi '^x-frame-options: deny' hdr
curl -s -D hdr401 -o /dev/null "${mtls[@]}" "$base/metrics"
check "... and on a 401" grep -qi '^x-frame-options: deny' hdr401
check "http2 accepted and noted" grep -q 'http2 is accepted and ignored' "$WORK/cw.log"
check "TLS 1.2 still accepted (min_version TLS12)" \
  test "$(code --tls-max 1.2 "${mtls[@]}" -u 'prom:s3cret pass' "$base/-/healthy")" = 200

# ---- a real Prometheus with a client certificate ------------------------------
start_prometheus_https "$port" "$pport" "ca_file: \"$WORK/ca.crt\", cert_file: \"$WORK/client.crt\", key_file: \"$WORK/client.key\""
up() { curl -s --data-urlencode 'query=up{job="circuitwatch"}' \
  "http://127.0.0.1:$pport/api/v1/query" | grep -q '"value":\[[^]]*"1"\]'; }
check "Prometheus scrapes over mutual TLS with a client certificate: up 1" until_true 60 up

# ---- reload when the files change, no SIGHUP -----------------------------------
subject() { openssl s_client -connect "127.0.0.1:$port" -cert client.crt -key client.key \
  -CAfile ca.crt </dev/null 2>/dev/null | openssl x509 -noout -subject 2>/dev/null; }
served() { subject | grep -q "CN *= *$1"; }
check "serves server-one" served server-one
# a connection in flight across the swap: its handshake done with the old
# certificate before, its request sent after (the exporter answers one
# request per connection)
python3 - "$port" "$WORK" > inflight.out 2>&1 <<'PY' &
import base64, os, socket, ssl, sys, time
port, work = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=f"{work}/ca.crt")
ctx.load_cert_chain(f"{work}/client.crt", f"{work}/client.key")
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
cn = dict(x[0] for x in s.getpeercert()["subject"])["commonName"]
open(f"{work}/inflight.ready", "w").close()
for _ in range(400):
    if os.path.exists(f"{work}/inflight.go"):
        break
    time.sleep(0.05)
auth = base64.b64encode(b"prom:s3cret pass").decode()
s.sendall(f"GET /-/healthy HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\n\r\n".encode())
data = b""
while b"OK\n" not in data:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(cn, data.split(b" ")[1].decode() if data else "closed")
PY
PIDS+=($!); inflight=$!
until_true 10 test -e inflight.ready
cat server2.key > server.key; cat server2.crt > server.crt
check "a replaced certificate is served without SIGHUP" until_true 10 served server-two
touch inflight.go
wait "$inflight"
check "a connection whose handshake was before the swap is served ($(cat inflight.out))" \
  grep -qx 'server-one 200' inflight.out
n=$(grep -c 'web config reloaded' "$WORK/cw.log")
echo "broken" > server.crt
check "a broken replacement is refused and logged" until_true 10 grep -q 'web config reload failed' "$WORK/cw.log"
check "... and the running certificate is kept" served server-two
check "... and still serves" test "$(code "${mtls[@]}" -u 'prom:s3cret pass' "$base/-/healthy")" = 200
check "... not reloaded since" test "$(grep -c 'web config reloaded' "$WORK/cw.log")" = "$n"
cp server1.crt server.crt; cp server1.key server.key
check "a good file again is taken" until_true 10 served server-one

# ---- the web config itself changes: versions, cipher suites, curves ------------
write_web "  max_version: TLS12
  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]
  curve_preferences: [X25519]"
hc() { code "${mtls[@]}" -u 'prom:s3cret pass' "$@" "$base/-/healthy"; }
aes128_refused() { test "$(hc --ciphers ECDHE-ECDSA-AES128-GCM-SHA256)" = 000; }
check "cipher_suites (file changed): a suite not listed is refused" until_true 10 aes128_refused
check "... the listed suite is served" test "$(hc --ciphers ECDHE-ECDSA-AES256-GCM-SHA384)" = 200
check "max_version TLS12: a TLS 1.3-only client is refused" test "$(hc --tlsv1.3)" = 000
check "curve_preferences [X25519]: a client with P-256 only is refused" test "$(hc --curves P-256)" = 000
check "... one offering X25519 is served" test "$(hc --curves X25519:P-256)" = 200
write_web "  min_version: TLS13"
tls12() { test "$(code --tls-max 1.2 "${mtls[@]}" -u 'prom:s3cret pass' "$base/-/healthy")" = 000; }
check "min_version TLS13 (file changed): a TLS 1.2-only client is refused" until_true 10 tls12
check "... a TLS 1.3 client is served" test "$(code "${mtls[@]}" -u 'prom:s3cret pass' "$base/-/healthy")" = 200
# SIGHUP reloads it too; an unknown key then keeps the running one
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  bogus: 1\n' > web.yml
kill -HUP "$CW_PID"
check "SIGHUP with an unknown key: refused, logged with the key" \
  until_true 10 grep -q 'unknown key \\"bogus\\"' "$WORK/cw.log"
check "... and the running web config is kept (mTLS, TLS 1.3)" tls12
check "... still served with a client certificate" test "$(code "${mtls[@]}" -u 'prom:s3cret pass' "$base/-/healthy")" = 200
check "... still refused without one" test "$(code --cacert ca.crt -u 'prom:s3cret pass' "$base/-/healthy")" = 000
check "Prometheus still reports the target up" until_true 10 up

# basic_auth_users changed in the file: the new password at once, the old one refused
hash=$(python3 -W ignore -c 'import crypt; print(crypt.crypt("new pass", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1024)))')
write_web ""
new_pw() { test "$(code "${mtls[@]}" -u 'prom:new pass' "$base/-/healthy")" = 200; }
check "a user's new bcrypt hash applies when the file changes" until_true 10 new_pw
check "... and the old password is refused" test "$(code "${mtls[@]}" -u 'prom:s3cret pass' "$base/-/healthy")" = 401

# rate_limit: one request an hour after a burst of 2 (Prometheus takes its share)
n=$(grep -c 'web config reloaded' "$WORK/cw.log")
write_web "" "rate_limit: {interval: 1h, burst: 2}"
reloaded() { test "$(grep -c 'web config reloaded' "$WORK/cw.log")" -gt "$n"; }
check "a rate_limit added is reloaded" until_true 10 reloaded
codes=$(for _ in 1 2 3 4; do code "${mtls[@]}" -u 'prom:new pass' "$base/-/healthy"; echo; done | sort | uniq -c | tr '\n' ' ')
check "rate_limit: requests past the burst get 429 ($codes)" grep -q 429 <<< "$codes"

kill -TERM "$CW_PID"
wait_exit "$CW_PID" 15; rc=$RC
check "SIGTERM: clean exit 0" test "$rc" = 0
finish
