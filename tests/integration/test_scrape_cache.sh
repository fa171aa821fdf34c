#!/usr/bin/env bash
# 200 scrapes of /metrics at once against a daemon with thousands of series
# (the demo config plus a generated BMP table of 300 peers, replayed): every
# answer is 200 and a complete exposition (the gzip ones decompress, the
# OpenMetrics ones end with # EOF, promtool accepts the text one), most are
# served from the cache of rendered bodies (circuitwatch_scrape_cache_total),
# and the cache hides no change: a 404 counted just before a scrape shows in
# it, and the exporter's own /metrics bookkeeping catches up within 1 s.
# Nothing here is timed (tests/bench/bench_scrapes.sh measures).
source "$(dirname "$0")/lib.sh"
need curl; need promtool; need python3
BUILD=${CW_BUILD_DIR:?CW_BUILD_DIR is not set (run through ctest)}
GEN=$BUILD/tests/gen_bmp_table REPLAY=$BUILD/tests/bmp_replay
[ -x "$GEN" ] && [ -x "$REPLAY" ] || skip "gen_bmp_table/bmp_replay not built"
N=200

port=$(free_port) bmp=$(free_port)
base="http://127.0.0.1:$port"
demo_config "$WORK/cw0.yaml" "$port" "$bmp"
sed -e "/^prometheus:/a\\  max_connections: $((N + 56))\\n  max_connections_per_address: $((N + 56))" \
  "$WORK/cw0.yaml" > "$WORK/cw.yaml"
"$GEN" --ipv4 20 --ipv6 5 --peers 300 -o "$WORK/t.bmp" >/dev/null
start_cw "$WORK/cw.log" run --config "$WORK/cw.yaml"
check "daemon becomes ready" wait_http "$base/-/ready"
"$REPLAY" --hold 600 127.0.0.1 "$bmp" "$WORK/t.bmp" >"$WORK/replay.log" 2>&1 &
PIDS+=($!)
samples() { curl -s "$base/metrics" | grep -vc '^#'; }
# the table is in once all 300 peers' session gauges are there
peers_in() { [ "$(curl -s "$base/metrics" | grep -c '^circuitwatch_bgp_session_up{')" -ge 300 ]; }
check "the BMP table is in (300 peers)" until_true 60 peers_in
n=$(samples)
check "thousands of samples on /metrics ($n)" test "$n" -gt 3000

OM='application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'
for i in $(seq "$N"); do
  [ "$i" -gt 1 ] && printf 'next\n'
  printf 'url = "%s/metrics"\noutput = "%s/b%d"\nsilent\n' "$base" "$WORK" "$i"
  printf 'write-out = "%d %%{http_code} %%header{content-encoding} %%header{content-type}\\n"\n' "$i"
  [ $((i % 2)) = 0 ] && printf 'header = "Accept: %s"\n' "$OM"
  [ $((i % 4)) -lt 2 ] && printf 'header = "Accept-Encoding: gzip"\n'
done > "$WORK/urls"
curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max "$N" -K "$WORK/urls" \
  > "$WORK/answers" 2>"$WORK/curl.err"
check "all $N concurrent scrapes answered 200" \
  test "$(awk '$2 == 200' "$WORK/answers" | wc -l)" = "$N"

# every answer whole: decompress what is gzip, then the format's checks
python3 - "$WORK" <<'PY' >"$WORK/bodies" 2>&1
import gzip, sys
w = sys.argv[1]
bad = 0
sizes = {}
for line in open(f"{w}/answers"):
    f = line.split()
    i, enc = int(f[0]), f[2] if len(f) > 2 else ""
    raw = open(f"{w}/b{i}", "rb").read()
    om = i % 2 == 0
    gz = i % 4 < 2
    try:
        if gz != (enc == "gzip"):
            raise ValueError(f"content-encoding {enc!r}")
        body = gzip.decompress(raw).decode() if gz else raw.decode()
        if om and not body.endswith("\n# EOF\n"):
            raise ValueError("OpenMetrics body does not end with # EOF")
        if not om and ("# EOF" in body or not body.endswith("\n")):
            raise ValueError("text body is not whole")
        if "circuitwatch_bgp_session_up{" not in body or "circuitwatch_build_info{" not in body:
            raise ValueError("families missing")
        if not om:
            open(f"{w}/text.txt", "w").write(body)
        sizes.setdefault(om, set()).add(sum(1 for l in body.splitlines() if not l.startswith("#")))
    except Exception as e:
        bad += 1
        print(f"body {i}: {e}")
print(f"bad {bad}; samples per format: {sizes}")
sys.exit(1 if bad else 0)
PY
check "every answer is a whole exposition (gzip ones decompress)" test $? = 0
cat "$WORK/bodies"
promtool check metrics < "$WORK/text.txt" > "$WORK/promtool.out" 2>&1
check "promtool check metrics accepts a text answer" test $? = 0

# The cache counters as of now: wait out the 1 s a body may be reused.
sleep 1.2
curl -s "$base/metrics" > "$WORK/after.txt"
val() { python3 -c '
import re, sys
m = re.search("^" + re.escape(sys.argv[2]) + r" (\S+)$", open(sys.argv[1]).read(), re.M)
print(int(float(m.group(1))) if m else -1)' "$WORK/after.txt" "$1"; }
hits=$(val 'circuitwatch_scrape_cache_total{result="hit"}')
misses=$(val 'circuitwatch_scrape_cache_total{result="miss"}')
echo "cache: $hits hits, $misses misses"
check "most of the $N scrapes were served from the cache ($hits hits, $misses misses)" \
  test "$hits" -ge $((N / 2))
check "at most one render per scrape counted" test "$((hits + misses))" -ge "$N"
check "the /metrics request counter caught up (>= $N)" \
  test "$(val 'circuitwatch_http_requests_total{handler="/metrics",code="200"}')" -ge "$N"
check "renders are what the scrape histogram counts" \
  test "$(val 'circuitwatch_scrape_duration_seconds_count')" -le "$misses"

# A change is never hidden by the cache: a 404 just before a scrape shows.
curl -s "$base/metrics" >/dev/null
curl -s -o /dev/null "$base/nope"
check "a change right after a cached render shows at once" sh -c \
  "curl -s '$base/metrics' | grep -q '^circuitwatch_http_requests_total{handler=\"other\",code=\"404\"} 1$'"
finish
