#!/usr/bin/env bash
# soak.sh — bounded soak benchmark (issue 12, item 16): the daemon under
# ASan+UBSan with every source busy at once, for a fixed time.
#
#   tests/bench/soak.sh [--duration SECONDS] [--routers N] [--routes N]
#                       [--scrapers N] [--build DIR] [more options: --help]
#
# Expects the sanitizer build (cmake --preset sanitize && cmake --build
# --preset sanitize); builds nothing. A benchmark, not a test: not in ctest.
#
# Timeline:
#   1. circuitwatch starts with a config that has the exporter and the BMP
#      listener on free 127.0.0.1 ports, capture reading a gen_pcap file,
#      interface sampling of lo, and one circuit whose two links carry ICMP,
#      TCP-connect and STAMP probes to 127.0.0.1 (a TCP sink and
#      `circuitwatch reflect` started here);
#   2. warm-up: SCRAPERS concurrent scrapes of /metrics every
#      --scrape-interval (one `curl --parallel` per round, each scraper its
#      own source address 127.2.x.y, every other one with Accept-Encoding
#      gzip, each scrape's time recorded), RSS sampled every second; the
#      baseline is the median RSS of the warm-up's last 5 samples;
#   3. ROUTERS routers for --duration seconds, each from its own source
#      address 127.1.x.y with its own full table (ROUTES routes, 5/6 IPv4
#      and 1/6 IPv6, its own seed, peer address and AS): per cycle it
#      connects, sends the table, holds, sends a Peer Down, holds, sends the
#      Peer Up and the table again on the same session, holds, disconnects
#      and reconnects (bmp_replay --gap); holds are drawn per cycle in
#      [HOLD/2, 3*HOLD/2], the routers' starts are spread over HOLD;
#   4. the routers leave (every connection closed); the scrapers go on
#      until RSS is within --rss-tolerance of the baseline for 5 samples in
#      a row, at most --settle seconds;
#   5. SIGTERM: the daemon must exit 0 within 120 s (LeakSanitizer runs at
#      exit and turns a leak into a non-zero exit).
# Besides: scrape latency per phase, the daemon's own time per answer (its
# scrape histogram, when it has one), the scraping clients' CPU, and how
# long /metrics went without a model update (the longest run of one hash of
# the page without the exporter's own series, sampled every 2 s: the loop
# thread's timers publish it every second; --max-stale makes it a criterion).
# Then one table of figures, and exit 1 when a criterion fails: RSS after
# the routers left > baseline + tolerance, any scrape over --max-latency
# (1 s) or failed, any ASan/UBSan/LSan report (log files under
# ASAN_OPTIONS/UBSAN_OPTIONS log_path, the daemon's stderr, the
# reflector's), an unclean exit, or no table sent at all.
#
# All traffic is to 127.0.0.0/8. Every loop is bounded in time and count;
# every process started here is killed on exit.
set -uo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
DURATION=600
ROUTERS=32
ROUTES=100000
SCRAPERS=200
BUILD=$SRC/build/sanitize
HOLD=15
WARMUP=20
SETTLE=600
SCRAPE_INTERVAL=1
MAX_LATENCY=1
MAX_STALE=0
RSS_TOL_MIB=64
QUARANTINE_MB=32
CACHE=/tmp/cw-soak-cache
KEEP=0

usage() {
  cat <<EOF
usage: $0 [options]
  --duration S        seconds the routers connect and flap (default $DURATION)
  --routers N         concurrent BMP routers, 1..1000 (default $ROUTERS)
  --routes N          routes in each router's table (default $ROUTES)
  --scrapers N        concurrent /metrics scrapes per round, 1..10000 (default $SCRAPERS)
  --build DIR         build directory (default build/sanitize)
  --hold S            mean seconds a table (or a peer down) is held before the next step (default $HOLD)
  --warmup S          seconds of scrapes, capture and probes before the routers (default $WARMUP)
  --settle S          at most this long for RSS to come back after the routers left (default $SETTLE)
  --scrape-interval S a round of scrapes starts every S seconds (default $SCRAPE_INTERVAL)
  --max-latency S     a scrape slower than this fails the run (default $MAX_LATENCY)
  --max-stale S       fail when the model's part of /metrics stays unchanged longer (default 0: report only)
  --rss-tolerance MIB RSS after the routers left may exceed the baseline by this much (default $RSS_TOL_MIB)
  --quarantine-mb MB  ASan's quarantine of freed memory (ASAN_OPTIONS quarantine_size_mb; default $QUARANTINE_MB)
  --cache DIR         generated tables and capture are kept here (default $CACHE)
  --keep              keep the work directory (logs, samples, latencies)
EOF
}

posint() { [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge "${3:-1}" ] && [ "$2" -le "${4:-100000000}" ] ||
  { echo "$0: $1 wants an integer ${3:-1}..${4:-100000000}, got \"$2\"" >&2; exit 2; }; }
posnum() { [[ $2 =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "$0: $1 wants a number, got \"$2\"" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case $1 in
    --keep) KEEP=1; shift; continue ;;
    -h|--help) usage; exit 0 ;;
  esac
  [ $# -ge 2 ] || { usage >&2; exit 2; }
  case $1 in
    --duration) posint "$1" "$2" 1 86400; DURATION=$2 ;;
    --routers) posint "$1" "$2" 1 1000; ROUTERS=$2 ;;
    --routes) posint "$1" "$2" 6 10000000; ROUTES=$2 ;;
    --scrapers) posint "$1" "$2" 1 10000; SCRAPERS=$2 ;;
    --build) BUILD=$(cd "$2" 2>/dev/null && pwd) || { echo "$0: no directory $2" >&2; exit 2; } ;;
    --hold) posint "$1" "$2" 1 3600; HOLD=$2 ;;
    --warmup) posint "$1" "$2" 6 3600; WARMUP=$2 ;;
    --settle) posint "$1" "$2" 5 3600; SETTLE=$2 ;;
    --scrape-interval) posnum "$1" "$2"; SCRAPE_INTERVAL=$2 ;;
    --max-latency) posnum "$1" "$2"; MAX_LATENCY=$2 ;;
    --max-stale) posnum "$1" "$2"; MAX_STALE=$2 ;;
    --rss-tolerance) posint "$1" "$2" 0 1000000; RSS_TOL_MIB=$2 ;;
    --quarantine-mb) posint "$1" "$2" 0 4096; QUARANTINE_MB=$2 ;;
    --cache) CACHE=$2 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift 2
done

CW=$BUILD/collector/circuitwatch
GEN=$BUILD/tests/gen_bmp_table
REPLAY=$BUILD/tests/bmp_replay
GENPCAP=$BUILD/tests/gen_pcap
for b in "$CW" "$GEN" "$REPLAY" "$GENPCAP"; do
  [ -x "$b" ] || { echo "missing $b: cmake --preset sanitize && cmake --build --preset sanitize" >&2; exit 2; }
done
for c in curl python3 timeout; do
  command -v "$c" >/dev/null || { echo "needs $c" >&2; exit 2; }
done
grep -q 'CW_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null ||
  echo "note: $BUILD is not a CW_SANITIZE build: no sanitizer reports can appear" >&2

WORK=$(mktemp -d /tmp/cw-soak.XXXXXX)
mkdir -p "$WORK/san" "$WORK/routers"
PIDS=()
# killtree SIGNAL PID — PID and its descendants (found by parent id: only what we started)
killtree() {
  local c
  for c in $(pgrep -P "$2" 2>/dev/null); do killtree "$1" "$c"; done
  kill "-$1" "$2" 2>/dev/null
}
cleanup() {
  local p
  for p in "${PIDS[@]}"; do killtree TERM "$p"; done
  sleep 0.3
  for p in "${PIDS[@]}"; do killtree KILL "$p"; done
  wait 2>/dev/null
  if [ "$KEEP" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
nows() { date +%s; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
alive() { kill -0 "$CW_PID" 2>/dev/null; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
phase() { echo "$1" > "$WORK/phase"; }
# the Nth router's / scraper's own loopback source address (N from 0)
router_addr() { echo "127.1.$(($1 / 200)).$(($1 % 200 + 1))"; }
scraper_addr() { echo "127.2.$(($1 / 200)).$(($1 % 200 + 1))"; }

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "circuitwatch soak: $ROUTERS routers x $ROUTES routes, $SCRAPERS scrapers every ${SCRAPE_INTERVAL}s, ${DURATION}s of flapping"
echo "build $BUILD; $(nproc) cores; load average at start $LOAD0; $(date -u +%FT%TZ)"

# ---- inputs (cached; regenerated when a generator is newer) ----
mkdir -p "$CACHE"
V4=$((ROUTES * 5 / 6)); V6=$((ROUTES - V4))
gen_table() { # gen_table R — $CACHE/rR-ROUTES.bmp and rR-down.bmp
  local r=$1 t d
  local peer="198.18.$((r / 100)).$((r % 100 * 2 + 2))" as=$((210000 + r))
  t=$CACHE/r$r-$ROUTES.bmp; d=$CACHE/r$r-down.bmp
  if [ ! -s "$t" ] || [ "$GEN" -nt "$t" ]; then
    "$GEN" --seed "$((r + 1))" --ipv4 "$V4" --ipv6 "$V6" --peer-addr "$peer" --peer-as "$as" \
      -o "$t.tmp" >/dev/null && mv "$t.tmp" "$t" || { echo "generation failed: $t" >&2; return 1; }
  fi
  if [ ! -s "$d" ] || [ "$GEN" -nt "$d" ]; then
    "$GEN" --peer-down-only --peer-addr "$peer" --peer-as "$as" -o "$d.tmp" >/dev/null &&
      mv "$d.tmp" "$d" || { echo "generation failed: $d" >&2; return 1; }
  fi
}
for ((r = 0; r < ROUTERS; r++)); do gen_table "$r" || exit 1; done
PCAP=$CACHE/capture.pcap
if [ ! -s "$PCAP" ] || [ "$GENPCAP" -nt "$PCAP" ]; then
  "$GENPCAP" --sessions 4 --ipv4 20000 --ipv6 4000 --data 2000 --flap -o "$PCAP.tmp" >/dev/null &&
    mv "$PCAP.tmp" "$PCAP" || { echo "gen_pcap failed" >&2; exit 1; }
fi
TABLE_MIB=$(for ((r = 0; r < ROUTERS; r++)); do stat -c %s "$CACHE/r$r-$ROUTES.bmp"; done |
  awk '{ s += $1 } END { printf "%.0f", s / 1048576 }')

# ---- the probes' far ends: a TCP sink and the STAMP reflector ----
TOTAL=$((WARMUP + DURATION + SETTLE + 600)) # hard bound on every helper's life
SINK_PORT=$(free_port)
timeout "$TOTAL" python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(128)
while True:
    c, _ = s.accept(); c.close()
' "$SINK_PORT" 2>/dev/null &
PIDS+=($!)
STAMP_PORT=$(free_port)
ASAN_OPTIONS="log_path=$WORK/san/reflect-asan:detect_leaks=1" \
UBSAN_OPTIONS="log_path=$WORK/san/reflect-ubsan:print_stacktrace=1:halt_on_error=1" \
  "$CW" reflect --listen "127.0.0.1:$STAMP_PORT" > "$WORK/reflect.out" 2> "$WORK/reflect.err" &
REFLECT_PID=$!; PIDS+=("$REFLECT_PID")

# ICMP: root uses a raw socket; otherwise only when ping sockets are allowed for our group
ICMP=""
read -r glo ghi < /proc/sys/net/ipv4/ping_group_range
if [ "$(id -u)" = 0 ] || { [ "$(id -g)" -ge "$glo" ] && [ "$(id -g)" -le "$ghi" ]; }; then
  ICMP="- {type: icmp, target: 127.0.0.1, interval: 200ms}"
fi

# ---- circuitwatch ----
PROM_PORT=$(free_port); BMP_PORT=$(free_port)
BASE=http://127.0.0.1:$PROM_PORT
cat > "$WORK/cw.yaml" <<YAML
log: {level: info}
prometheus:
  listen: "127.0.0.1:$PROM_PORT"
  max_connections: $((SCRAPERS + 16))
bmp:
  listen: "127.0.0.1:$BMP_PORT"
  allow: [127.0.0.0/8]
capture:
  enabled: true
  file: "$PCAP"
  local_macs: ["02:00:00:00:00:01"]
ifstats: {interval: 1s, interfaces: [lo]}
circuits:
  - id: soak-er
    provider: expressroute
    bandwidth: 1Gbps
    links:
      primary:
        router: $(router_addr 0)
        peerings:
          - {type: private, local_asn: 65001, neighbors: [{address: 198.18.0.2, asn: 210000}]}
        probes:
          $ICMP
          - {type: tcp, target: 127.0.0.1, port: $SINK_PORT, interval: 250ms}
          - {type: stamp, target: 127.0.0.1, port: $STAMP_PORT, interval: 100ms}
      secondary:
        router: $(router_addr 1)
        peerings:
          - {type: private, local_asn: 65001, neighbors: [{address: 198.18.0.4, asn: 210001}]}
        probes:
          - {type: tcp, target: 127.0.0.1, port: $SINK_PORT, name: tcp-b, interval: 500ms}
          - {type: stamp, target: 127.0.0.1, port: $STAMP_PORT, name: stamp-b, interval: 200ms}
YAML
"$CW" check-config "$WORK/cw.yaml" >/dev/null 2>"$WORK/check.err" ||
  { echo "config refused:" >&2; cat "$WORK/check.err" >&2; exit 1; }
# log_path: reports go to files named PREFIX.PID; the quarantine is bounded
# so that freed memory can show up as RSS coming back (see docs/performance.md)
export ASAN_OPTIONS="log_path=$WORK/san/asan:detect_leaks=1:halt_on_error=1:quarantine_size_mb=$QUARANTINE_MB:allocator_release_to_os_interval_ms=1000"
export UBSAN_OPTIONS="log_path=$WORK/san/ubsan:print_stacktrace=1:halt_on_error=1"
"$CW" run --config "$WORK/cw.yaml" > "$WORK/cw.out" 2> "$WORK/cw.err" &
CW_PID=$!; PIDS+=("$CW_PID")
unset ASAN_OPTIONS UBSAN_OPTIONS # the tools below report to their own stderr
for ((i = 0; i < 600; i++)); do
  curl -sf -o /dev/null "$BASE/-/ready" && break
  alive || break
  sleep 0.1
done
if ! curl -sf -o /dev/null "$BASE/-/ready"; then
  echo "circuitwatch did not become ready; log:" >&2; tail -20 "$WORK/cw.err" >&2; exit 1
fi

# ---- RSS sampler: "epoch rss_kib phase" every second ----
phase warmup
(
  for ((i = 0; i < TOTAL; i++)); do
    r=$(rss_kb "$CW_PID"); [ -n "$r" ] || break
    echo "$(nows) $r $(cat "$WORK/phase")"
    sleep 1
  done
) > "$WORK/rss.txt" &
SAMPLER_PID=$!; PIDS+=("$SAMPLER_PID")

# ---- scrapers: a round of SCRAPERS concurrent scrapes every SCRAPE_INTERVAL ----
for ((i = 0; i < SCRAPERS; i++)); do
  enc=identity; hdr=""
  if [ $((i % 2)) = 1 ]; then enc=gzip; hdr='header = "Accept-Encoding: gzip"'; fi
  cat <<EOF
url = "$BASE/metrics"
output = "/dev/null"
interface = "$(scraper_addr "$i")"
max-time = 30
$hdr
write-out = "%{time_total} %{http_code} %{size_download} $enc\\n"
EOF
  [ "$i" -lt $((SCRAPERS - 1)) ] && echo "next"
done > "$WORK/scrape.cfg"
touch "$WORK/scraping"
(
  max_rounds=$(python3 -c "print(int($TOTAL / $SCRAPE_INTERVAL) + 1)")
  for ((n = 0; n < max_rounds; n++)); do
    [ -e "$WORK/scraping" ] && alive || break
    t0=$(now)
    echo "# round $n $(cat "$WORK/phase") $t0" >> "$WORK/scrapes.txt"
    curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max "$SCRAPERS" -K "$WORK/scrape.cfg" \
      >> "$WORK/scrapes.txt" 2>> "$WORK/curl.err"
    left=$(python3 -c "print(max(0.0, $t0 + $SCRAPE_INTERVAL - $(now)))")
    sleep "$left"
  done
  times > "$WORK/scrape.times" # CPU of the scraping curl processes (client side)
) &
SCRAPE_PID=$!; PIDS+=("$SCRAPE_PID")

# ---- freshness: every 2 s, a hash of /metrics without the exporter's own
# circuitwatch_http_* and circuitwatch_scrape_* series. What is left comes from
# the model's publish on the loop thread (lo's counters sampled every second,
# the probes), so it changes every second while the loop keeps its timers;
# the longest run of one hash is how stale /metrics went. A second hash of
# the circuitwatch_bgp_* and circuitwatch_bmp_* series alone follows the
# model's own publish (every 10th 100 ms housekeeping tick); it is read only
# while the routers flap, when those series change all the time ----
(
  for ((i = 0; i < TOTAL; i++)); do
    [ -e "$WORK/scraping" ] && alive || break
    if page=$(curl -sf -m 10 "$BASE/metrics"); then
      echo "$(now) $(printf '%s\n' "$page" | grep -vE '^circuitwatch_(http|scrape)_' | md5sum | cut -c1-16)" \
        "$(printf '%s\n' "$page" | grep -E '^circuitwatch_(bgp|bmp)_' | md5sum | cut -c1-16) $(cat "$WORK/phase")"
    fi
    sleep 2
  done
) > "$WORK/fresh.txt" &
FRESH_PID=$!; PIDS+=("$FRESH_PID")

sleep "$WARMUP"
alive || { echo "circuitwatch died during the warm-up" >&2; tail -20 "$WORK/cw.err" >&2; exit 1; }
BASE_KIB=$(awk '$3 == "warmup" { print $2 }' "$WORK/rss.txt" | tail -5 | sort -n | awk '{ v[n++] = $1 } END { print v[int(n / 2)] }')
echo "baseline RSS $((BASE_KIB / 1024)) MiB after ${WARMUP}s of scrapes, capture and probes"

# ---- routers ----
phase routers
T_ROUTERS=$(nows)
ROUTER_END=$((T_ROUTERS + DURATION))
router_loop() { # router_loop R — cycles until ROUTER_END; one line per cycle in routers/R.log
  local r=$1 addr table down cycle=0 left hold
  addr=$(router_addr "$r"); table=$CACHE/r$r-$ROUTES.bmp; down=$CACHE/r$r-down.bmp
  sleep $((r * HOLD / ROUTERS))
  # each cycle sends at least a table: at most one cycle per second of the run
  while [ "$cycle" -lt "$((DURATION + 1))" ]; do
    left=$((ROUTER_END - $(nows)))
    [ "$left" -gt 0 ] || break
    hold=$((HOLD / 2 + RANDOM % (HOLD + 1)))
    timeout -k 2 "$left" "$REPLAY" --bind "$addr" --gap "$hold" --hold "$hold" \
      127.0.0.1 "$BMP_PORT" "$table" "$down" "$table" >> "$WORK/routers/$r.out" 2>> "$WORK/routers/$r.err"
    echo "cycle $cycle rc $?" >> "$WORK/routers/$r.log"
    cycle=$((cycle + 1))
    sleep 1
  done
}
RPIDS=()
for ((r = 0; r < ROUTERS; r++)); do
  router_loop "$r" &
  RPIDS+=($!); PIDS+=($!)
done
# progress every 30 s; stop early when the daemon dies
# informational: the routers' Adj-RIB-In (capture's sessions are not counted: router 127.1.*)
prefixes() {
  curl -s -m 5 "$BASE/metrics" | awk '/^circuitwatch_bgp_prefixes\{/ && /adj-rib-in-pre/ && /router="127\.1\./ { s += $NF }
    END { print s + 0 }'
}
for ((i = 0; i <= DURATION / 30 && $(nows) < ROUTER_END; i++)); do
  left=$((ROUTER_END - $(nows)))
  sleep $((left < 30 ? (left > 0 ? left : 0) : 30))
  alive || { echo "circuitwatch died while the routers were connected" >&2; break; }
  echo "  t+$(($(nows) - T_ROUTERS))s RSS $(($(rss_kb "$CW_PID") / 1024)) MiB, scrapes $(cat "$WORK/scrapes.txt" 2>/dev/null | wc -l), tables sent $(cat "$WORK"/routers/*.out 2>/dev/null | grep -c "^sent file=.*-$ROUTES\.bmp "), prefixes held $(prefixes), load $(cut -d' ' -f1 /proc/loadavg)"
done
alive || for p in "${RPIDS[@]}"; do killtree TERM "$p"; done
for p in "${RPIDS[@]}"; do wait "$p" 2>/dev/null; done # each ends within ROUTER_END + ~3 s
T_LEFT=$(nows)
phase settle
echo "routers left at t+$((T_LEFT - T_ROUTERS))s"

# ---- settle: until RSS is within tolerance for 5 samples in a row (at least 10 s) ----
LIMIT_KIB=$((BASE_KIB + RSS_TOL_MIB * 1024))
SETTLED=""; inrow=0
for ((i = 0; i < SETTLE && (inrow < 5 || i < 10); i++)); do
  alive || break
  sleep 1
  r=$(rss_kb "$CW_PID"); [ -n "$r" ] || break
  if [ "$r" -le "$LIMIT_KIB" ]; then
    inrow=$((inrow + 1)); [ -n "$SETTLED" ] || SETTLED=$(($(nows) - T_LEFT))
  else
    inrow=0; SETTLED=""
  fi
done
AFTER_KIB=$(rss_kb "$CW_PID"); AFTER_KIB=${AFTER_KIB:-0}
HELD_AFTER=$(prefixes)
SCRAPE_METRICS=$(curl -s -m 5 "$BASE/metrics" | grep -E '^circuitwatch_scrape_duration_seconds_(sum|count) ' | awk '{ printf "%s=%s ", $1, $2 }')

# ---- stop: scrapers, then SIGTERM ----
rm -f "$WORK/scraping"
for ((i = 0; i < 60; i++)); do kill -0 "$SCRAPE_PID" 2>/dev/null || break; sleep 1; done
kill "$SCRAPE_PID" "$FRESH_PID" 2>/dev/null
CPU_S=$(awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$CW_PID/stat" 2>/dev/null)
kill -TERM "$CW_PID" 2>/dev/null
CW_RC=timeout
for ((i = 0; i < 1200; i++)); do
  if ! kill -0 "$CW_PID" 2>/dev/null; then wait "$CW_PID"; CW_RC=$?; break; fi
  sleep 0.1
done
kill "$SAMPLER_PID" 2>/dev/null
kill -TERM "$REFLECT_PID" 2>/dev/null
REFLECT_RC=timeout
for ((i = 0; i < 300; i++)); do
  if ! kill -0 "$REFLECT_PID" 2>/dev/null; then wait "$REFLECT_PID"; REFLECT_RC=$?; break; fi
  sleep 0.1
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- sanitizer reports: log files, and anything that reached stderr ----
SAN_FILES=$(find "$WORK/san" -type f -size +0 | sort)
SAN_LINES=$(grep -hE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|Undefined|Leak)' \
  "$WORK/cw.err" "$WORK/reflect.err" 2>/dev/null | head -5)

# ---- figures ----
cat "$WORK"/routers/*.log 2>/dev/null > "$WORK/cycles.txt"
python3 - "$WORK" "$BASE_KIB" "$AFTER_KIB" "$RSS_TOL_MIB" "$MAX_LATENCY" "$CW_RC" "$REFLECT_RC" \
  "${SETTLED:-}" "$((T_LEFT - T_ROUTERS))" "$(printf '%s\n' "$SAN_FILES" | grep -c .)" \
  "$(printf '%s\n' "$SAN_LINES" | grep -c .)" "${CPU_S:-0}" "$LOAD0" "$LOAD1" "$HELD_AFTER" \
  "$TABLE_MIB" "$SCRAPE_METRICS" "$MAX_STALE" <<'PY'
import glob, os, sys
(work, base, after, tol, maxlat, cw_rc, rf_rc, settled, routed, san_files, san_lines, cpu,
 load0, load1, held_after, table_mib, scrape_metrics, max_stale) = sys.argv[1:]
max_stale = float(max_stale)
base, after, tol, maxlat = int(base), int(after), int(tol), float(maxlat)
rss = [l.split() for l in open(os.path.join(work, "rss.txt")) if len(l.split()) == 3]
peak = max(int(r[1]) for r in rss) if rss else 0
lat, fails, by_enc, sizes, by_phase, ph = [], 0, {}, {}, {}, "?"
for l in open(os.path.join(work, "scrapes.txt")) if os.path.exists(os.path.join(work, "scrapes.txt")) else []:
    f = l.split()
    if len(f) == 5 and f[0] == "#":
        ph = f[3]
        continue
    if len(f) != 4:
        continue
    t, code, size, enc = float(f[0]), f[1], int(f[2]), f[3]
    if code != "200":
        fails += 1
        continue
    lat.append(t); by_enc.setdefault(enc, []).append(t); sizes.setdefault(enc, []).append(size)
    by_phase.setdefault(ph, []).append(t)
service = "n/a"
try:  # informational, from circuitwatch_scrape_duration_seconds when the daemon has it
    m = dict(kv.split("=") for kv in scrape_metrics.split())
    ssum, scount = float(m["circuitwatch_scrape_duration_seconds_sum"]), float(m["circuitwatch_scrape_duration_seconds_count"])
    service = f"{ssum / scount * 1000:.1f} ms mean over {scount:.0f} answers ({ssum:.0f} s in all)"
except (KeyError, ValueError, ZeroDivisionError):
    pass
def staleness(col, only=None):  # phase -> longest seconds one hash (column col) lasted
    stale, cur, first, fph = {}, None, None, None
    for l in open(os.path.join(work, "fresh.txt")) if os.path.exists(os.path.join(work, "fresh.txt")) else []:
        f = l.split()
        if len(f) != 4 or (only and f[3] != only):
            continue
        t, h, p = float(f[0]), f[col], f[3]
        if h != cur:
            cur, first, fph = h, t, p
        stale[fph] = max(stale.get(fph, 0.0), t - first)
    return stale
stale, stale_bgp = staleness(1), staleness(2, "routers")
client = "n/a"
try:
    tl = open(os.path.join(work, "scrape.times")).read().split()
    secs = lambda x: float(x[:-1].split("m")[0]) * 60 + float(x[:-1].split("m")[1])
    client = f"{secs(tl[2]) + secs(tl[3]):.0f} s"
except (OSError, IndexError, ValueError):
    pass
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100 * len(v)))] if v else float("nan")
over = sum(1 for t in lat if t > maxlat)
sent = sum(1 for f in glob.glob(os.path.join(work, "routers", "*.out")) for l in open(f) if l.startswith("sent ") and l.split()[1].endswith("bmp") and "-down.bmp" not in l.split()[1])
downs = sum(1 for f in glob.glob(os.path.join(work, "routers", "*.out")) for l in open(f) if "-down.bmp" in l)
cycles = [l.split() for l in open(os.path.join(work, "cycles.txt"))]
mib = lambda k: f"{k / 1024:.0f} MiB"
rows = [
    ("RSS baseline (warm-up, before routers)", mib(base), ""),
    ("RSS peak", mib(peak), ""),
    (f"RSS after routers left (tolerance +{tol} MiB)", mib(after), "ok" if after <= base + tol * 1024 else "FAIL"),
    ("settle: routers gone -> RSS within tolerance", f"{settled} s" if settled else "never", ""),
    ("router phase", f"{routed} s, {len(cycles)} cycles, {sent} tables sent ({table_mib} MiB for one of each router's), {downs} peer downs", "ok" if sent > 0 else "FAIL"),
    ("prefixes held after routers left (adj-rib-in-pre)", held_after, ""),
    ("scrapes (200 OK)", f"{len(lat)}", ""),
    ("scrapes failed (not 200, refused, timed out)", f"{fails}", "ok" if fails == 0 else "FAIL"),
    ("scrape latency p50 / p99 / max", f"{pct(lat,50)*1000:.0f} / {pct(lat,99)*1000:.0f} / {max(lat, default=float('nan'))*1000:.0f} ms", ""),
]
for enc in sorted(by_enc):
    v = by_enc[enc]
    rows.append((f"  {enc}: p50 / p99 / max, size p50", f"{pct(v,50)*1000:.0f} / {pct(v,99)*1000:.0f} / {max(v)*1000:.0f} ms, {pct(sizes[enc],50)/1024:.0f} KiB", ""))
for p in ("warmup", "routers", "settle"):
    v = by_phase.get(p, [])
    if v:
        rows.append((f"  {p}: p50 / p99 / max, over {maxlat:g} s", f"{pct(v,50)*1000:.0f} / {pct(v,99)*1000:.0f} / {max(v)*1000:.0f} ms, {sum(1 for t in v if t > maxlat)} of {len(v)}", ""))
rows.append(("scraping clients' CPU time (curl)", client, ""))
for p in ("warmup", "routers", "settle"):
    if p in stale:
        ok = "" if max_stale <= 0 else ("ok" if stale[p] <= max_stale else "FAIL")
        rows.append((f"/metrics unchanged apart from the exporter's series, longest ({p})", f"{stale[p]:.0f} s (sampled every 2 s)", ok))
if "routers" in stale_bgp:
    rows.append(("  its bgp_/bmp_ series unchanged while routers flapped, longest", f"{stale_bgp['routers']:.0f} s", ""))
rows += [
    (f"scrapes over {maxlat:g} s", f"{over}", "ok" if over == 0 else "FAIL"),
    ("daemon: time per /metrics answer (its scrape histogram: sum / count)", service, ""),
    ("daemon CPU time", f"{float(cpu):.0f} s", ""),
    ("sanitizer report files / report lines on stderr", f"{san_files} / {san_lines}", "ok" if san_files == "0" and san_lines == "0" else "FAIL"),
    ("exit after SIGTERM (daemon / reflector)", f"{cw_rc} / {rf_rc}", "ok" if cw_rc == "0" and rf_rc == "0" else "FAIL"),
    ("load average start -> end", f"{load0} -> {load1}", ""),
]
w = max(len(r[0]) for r in rows)
for name, val, verdict in rows:
    print(f"{name:<{w}}  {val}  {verdict}".rstrip())
failed = [r[0] for r in rows if r[2] == "FAIL"]
print("RESULT: " + ("FAIL (" + "; ".join(failed) + ")" if failed else "PASS"))
sys.exit(1 if failed else 0)
PY
RC=$?
if [ -n "$SAN_FILES" ] || [ -n "$SAN_LINES" ]; then
  echo "--- sanitizer reports (first lines)"; KEEP=1
  for f in $SAN_FILES; do echo "== $f"; head -30 "$f"; done
  printf '%s\n' "$SAN_LINES"
fi
[ "$RC" = 0 ] || KEEP=1
exit "$RC"
