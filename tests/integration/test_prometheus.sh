#!/usr/bin/env bash
# The Prometheus endpoint end to end: promtool-clean text format,
# OpenMetrics negotiation, gzip, health endpoints, limits, SIGHUP reload,
# and a real Prometheus server scraping the daemon.
source "$(dirname "$0")/lib.sh"
need curl; need promtool; need prometheus; need python3

port=$(free_port)
base="http://127.0.0.1:$port"
demo_config "$WORK/cw.yaml" "$port"
start_cw "$WORK/cw.log" run --config "$WORK/cw.yaml"
check "daemon becomes ready" wait_http "$base/-/ready"

# --- text format 0.0.4
curl -s -D "$WORK/h" -o "$WORK/m.txt" "$base/metrics"
check "text format content type" grep -qi "^content-type: text/plain; version=0.0.4; charset=utf-8" "$WORK/h"
promtool check metrics < "$WORK/m.txt" > "$WORK/promtool.out" 2>&1; rc=$?
check "promtool check metrics finds no problem" test "$rc" = 0 -a ! -s "$WORK/promtool.out"
[ -s "$WORK/promtool.out" ] && cat "$WORK/promtool.out"
check "three circuits exported" test "$(grep -c '^circuitwatch_circuit_info{' "$WORK/m.txt")" = 3
check "circuit info carries provider, SKU and bandwidth" grep -q \
  '^circuitwatch_circuit_info{circuit="er-ams-prod",provider="expressroute",tier="premium",data_plan="metered",bandwidth="1Gbps",billing_plan="er-premium-metered-1g",location="Amsterdam"} 1$' "$WORK/m.txt"
check "bandwidth gauge in bytes per second" grep -q \
  '^circuitwatch_circuit_bandwidth_bytes_per_second{circuit="erd-fra-10g"} 1250000000$' "$WORK/m.txt"
check "premium private peering has the 10000 prefix limit" grep -q \
  '^circuitwatch_peering_prefix_limit{circuit="er-ams-prod",link="primary",peering="private"} 10000$' "$WORK/m.txt"
check "QinQ link exports its S-tag" grep -q \
  '^circuitwatch_link_info{circuit="erd-fra-10g",link="secondary",interface="ens1f1",s_tag="300"} 1$' "$WORK/m.txt"
check "IPv6 neighbour with the Microsoft ASN" grep -q \
  '^circuitwatch_bgp_peer_info{circuit="er-ams-prod",link="primary",peering="private",peer="2001:db8:10::2",peer_as="12076"} 1$' "$WORK/m.txt"
check "build info" grep -Eq '^circuitwatch_build_info\{version="[0-9.]+",libuv="[0-9.]+",revision="([0-9a-f]{12}(-dirty)?|unknown)",build_date="[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"\} 1$' "$WORK/m.txt"
now=$(date +%s)
check "start time is now" python3 -c '
import re,sys
v=float(re.search(r"^circuitwatch_start_time_seconds (\S+)$", open(sys.argv[1]).read(), re.M).group(1))
assert abs(v-float(sys.argv[2])) < 60, v' "$WORK/m.txt" "$now"
check "config load counted as successful" grep -q '^circuitwatch_config_last_reload_successful 1$' "$WORK/m.txt"

# --- OpenMetrics by Accept (Prometheus 2.42's own header)
PROM_ACCEPT='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
curl -s -D "$WORK/h" -o "$WORK/m.om" -H "Accept: $PROM_ACCEPT" "$base/metrics"
check "OpenMetrics content type" grep -qi "^content-type: application/openmetrics-text; version=1.0.0; charset=utf-8" "$WORK/h"
check "OpenMetrics ends with # EOF" test "$(tail -n 1 "$WORK/m.om")" = "# EOF"
check "OpenMetrics info family" grep -q '^# TYPE circuitwatch_circuit info$' "$WORK/m.om"
check "OpenMetrics counter family without _total" grep -q '^# TYPE circuitwatch_http_requests counter$' "$WORK/m.om"
check "OpenMetrics unit line" grep -q '^# UNIT circuitwatch_scrape_duration_seconds seconds$' "$WORK/m.om"
curl -s -o "$WORK/m2.txt" -H "Accept: application/openmetrics-text;q=0.2, text/plain;q=0.9" "$base/metrics"
check "text wins when its q is higher" sh -c "! grep -q '^# EOF' '$WORK/m2.txt'"

# --- gzip
curl -s -D "$WORK/h" -o "$WORK/m.gz" -H "Accept-Encoding: gzip" "$base/metrics"
check "gzip when accepted" grep -qi "^content-encoding: gzip" "$WORK/h"
check "gzip body decompresses to the exposition" sh -c "gzip -dc '$WORK/m.gz' | grep -q '^circuitwatch_circuit_info{circuit=\"dx-iad-1\"'"
curl -s -D "$WORK/h" -o /dev/null -H "Accept-Encoding: gzip;q=0, identity" "$base/metrics"
check "no gzip when q=0" sh -c "! grep -qi '^content-encoding: gzip' '$WORK/h'"

# --- other endpoints
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "/-/healthy is 200" test "$(code "$base/-/healthy")" = 200
check "/ is a landing page" sh -c "curl -s '$base/' | grep -q 'href=\"/metrics\"'"
check "unknown path is 404" test "$(code "$base/nope")" = 404
check "POST is 405" test "$(code -X POST -d x=1 "$base/metrics")" = 405
check "HEAD /metrics is 200" test "$(code -I "$base/metrics")" = 200
big=$(head -c 100000 /dev/zero | tr '\0' a)
c=$(code -H "X-Big: $big" "$base/metrics")
check "a 100 kB header is refused (got $c)" test "$c" != 200
check "daemon still serves after the huge header" test "$(code "$base/-/healthy")" = 200
# malformed request line straight on the socket
python3 - "$port" <<'PY'
import socket,sys
s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),timeout=5)
s.sendall(b"\x00\xffGARBAGE / HTTP/9.9\r\n\r\n")
try: s.recv(100)
except Exception: pass
s.close()
PY
check "daemon still serves after a malformed request" test "$(code "$base/-/healthy")" = 200
check "request counter counts the 404" sh -c "curl -s '$base/metrics' | grep -q '^circuitwatch_http_requests_total{handler=\"other\",code=\"404\"} 1$'"

# --- a real Prometheus server scrapes us (and negotiates OpenMetrics)
pport=$(free_port)
cat > "$WORK/prometheus.yml" <<YAML
global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: circuitwatch
    static_configs: [{targets: ["127.0.0.1:$port"]}]
YAML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$pport" > "$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
papi="http://127.0.0.1:$pport/api/v1"
query() { curl -s --data-urlencode "query=$1" "$papi/query" | python3 2>/dev/null -c '
import json,sys
r=json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "none")'; }
is() { [ "$(query "$1")" = "$2" ]; }
check "Prometheus sees the target up" until_true 60 is 'up{job="circuitwatch"}' 1
check "Prometheus stored the three circuits" until_true 20 is 'count(circuitwatch_circuit_info)' 3
check "Prometheus parsed our OpenMetrics (info type in metadata)" \
  sh -c "curl -s '$papi/metadata?metric=circuitwatch_circuit' | grep -q '\"type\":\"info\"'"
check "no scrape error" sh -c "curl -s '$papi/targets' | python3 -c '
import json,sys
t=json.load(sys.stdin)[\"data\"][\"activeTargets\"][0]
assert t[\"health\"]==\"up\" and t[\"lastError\"]==\"\", t'"

# --- SIGHUP: drop a circuit, change the port (not applied), then a broken config
sed -e '/# AWS Direct Connect/,$d' -e "s/127.0.0.1:$port/127.0.0.1:1/" "$WORK/cw.yaml" > "$WORK/cw2.yaml"
cp "$WORK/cw2.yaml" "$WORK/cw.yaml"
kill -HUP "$CW_PID"
check "reload counted as a success" until_true 10 sh -c "curl -s '$base/metrics' | grep -q '^circuitwatch_config_reloads_total{result=\"success\"} 1$'"
curl -s "$base/metrics" > "$WORK/m3.txt"
check "removed circuit's series are gone" sh -c "! grep -q 'dx-iad-1' '$WORK/m3.txt'"
check "remaining circuits still there" test "$(grep -c '^circuitwatch_circuit_info{' "$WORK/m3.txt")" = 2
check "circuit count gauge follows" grep -q '^circuitwatch_circuits 2$' "$WORK/m3.txt"
check "listen change reported as not applied" grep -q 'not applied.*key=prometheus.listen' "$WORK/cw.log"
check "Prometheus sees two circuits after the reload" until_true 20 is 'count(circuitwatch_circuit_info)' 2
echo "circuits: [ {id: x" > "$WORK/cw.yaml"
kill -HUP "$CW_PID"
check "broken reload counted as a failure" until_true 10 sh -c "curl -s '$base/metrics' | grep -q '^circuitwatch_config_reloads_total{result=\"failure\"} 1$'"
curl -s "$base/metrics" > "$WORK/m4.txt"
check "failed reload flagged" grep -q '^circuitwatch_config_last_reload_successful 0$' "$WORK/m4.txt"
check "failed reload keeps the running circuits" test "$(grep -c '^circuitwatch_circuit_info{' "$WORK/m4.txt")" = 2
check "failed reload logs the error with its location" grep -Eq 'config error.*line=[0-9]+ column=[0-9]+ error="YAML syntax error' "$WORK/cw.log"

kill -TERM "$CW_PID"
wait_exit "$CW_PID" 15; rc=$RC
check "SIGTERM: clean exit 0 (no leak under ASan)" test "$rc" = 0
finish
