#!/usr/bin/env bash
# bench_bmp.sh — BMP ingest benchmark: circuitwatch against pmacct's pmbmpd.
#
# Expects a release build (cmake --preset release && cmake --build --preset
# release); builds nothing. Generates the streams once into $CACHE with
# tests/tools/gen_bmp_table, replays them over 127.0.0.1 with bmp_replay and
# prints:
#   1. a full table, one prefix per Route Monitoring: routes/s (wall and per
#      CPU-second), RSS before/after and bytes per route;
#   2. the same table packed (--pack 32: up to 32 prefixes sharing
#      attributes per UPDATE);
#   3. many peers with few routes: RSS per monitored peer;
#   4. a Peer Down of the full-table peer: time until its counts read 0,
#      while a second router streams a table, and whether that one completes;
#      RSS sampled every 50 ms for RSS_WATCH (12) s after the Peer Down: the
#      time until it fell by half the table's growth and the lowest point;
#      the loop's steps of giving memory back (circuitwatch_model_gc_step_seconds:
#      the longest pause they put on the second router's ingest);
#   5. the full table into pmbmpd: CPU and wall time to consume it, RSS, and
#      the circuitwatch/pmbmpd ratios.
# /metrics is published once a second, so wall times measured through it
# are upper bounds (up to ~1 s late); the per-CPU-second figure is not.
#
# Environment: BUILD (build/release), N4 (1000000), N6 (200000), PEERS
# (1000), PEER_ROUTES (10), OTHER4 (200000: the second router's table),
# PACK (32), SEED (1), CACHE (/tmp/cw-bench-bmp), TIMEOUT (300 s per wait),
# RSS_WATCH (12 s of RSS samples after the Peer Down),
# PMBMPD (/usr/sbin/pmbmpd; set to "" to skip). Quick run:
#   N4=100000 N6=20000 tests/bench/bench_bmp.sh
set -uo pipefail

source "$(dirname "$0")/lib.sh"
N4=${N4:-1000000}
N6=${N6:-200000}
PEERS=${PEERS:-1000}
PEER_ROUTES=${PEER_ROUTES:-10}
OTHER4=${OTHER4:-200000}
PACK=${PACK:-32}
SEED=${SEED:-1}
CACHE=${CACHE:-/tmp/cw-bench-bmp}
TIMEOUT=${TIMEOUT:-300}
RSS_WATCH=${RSS_WATCH:-12}
PMBMPD=${PMBMPD-/usr/sbin/pmbmpd}
TOTAL=$((N4 + N6))
PAGE=$(getconf PAGESIZE)

bench_need "$CW" "$GEN" "$REPLAY"

bench_workdir cw-bench-bmp-run

# resident set size of PID in bytes
rss_b() { awk -v pg="$PAGE" '{ print $2 * pg }' "/proc/$1/statm" 2>/dev/null || echo 0; }
mib() { calc "round($1 / 1048576, 1)"; }

# ---- streams (cached; regenerated when the generator is newer) ----
mkdir -p "$CACHE"
gen() { # gen NAME ARGS... — $CACHE/NAME.bmp
  local f=$CACHE/$1.bmp; shift
  if [ ! -s "$f" ] || [ "$GEN" -nt "$f" ]; then
    "$GEN" --seed "$SEED" "$@" -o "$f.tmp" --verify >&2 || { echo "generation failed: $f" >&2; exit 1; }
    mv "$f.tmp" "$f"
  fi
  echo "$f"
}
FULL=$(gen "full-$N4-$N6-s$SEED" --ipv4 "$N4" --ipv6 "$N6") || exit 1
PACKED=$(gen "packed$PACK-$N4-$N6-s$SEED" --ipv4 "$N4" --ipv6 "$N6" --pack "$PACK") || exit 1
DOWN=$(gen "down-s$SEED" --peer-down-only) || exit 1
MANY=$(gen "peers$PEERS-$PEER_ROUTES-s$SEED" --peers "$PEERS" --ipv4 "$PEER_ROUTES" --ipv6 0) || exit 1
OTHER=$(gen "other-$OTHER4-s$((SEED + 1))" --ipv4 "$OTHER4" --ipv6 0 --seed "$((SEED + 1))") || exit 1

# ---- circuitwatch ----
start_cw() { # sets CW_PID, BASE, BMP_PORT
  local prom; prom=$(free_port); BMP_PORT=$(free_port)
  cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$prom"}
bmp: {listen: "127.0.0.1:$BMP_PORT", allow: ["127.0.0.0/8"]}
YAML
  "$CW" run --config "$WORK/cw.yaml" 2>>"$WORK/cw.log" &
  CW_PID=$!; PIDS+=("$CW_PID")
  BASE=http://127.0.0.1:$prom
  for _ in $(seq 1 200); do
    curl -sf -o /dev/null "$BASE/-/ready" && return 0
    sleep 0.05
  done
  echo "circuitwatch did not become ready; log:" >&2; cat "$WORK/cw.log" >&2; exit 1
}
stop_cw() { kill "$CW_PID" 2>/dev/null; wait "$CW_PID" 2>/dev/null; }
# prefixes ROUTER AFI_SAFI — sum of adj-rib-in-pre prefixes over the router's peers
prefixes() {
  curl -s "$BASE/metrics" | awk -v r="router=\"$1\"" -v a="afi_safi=\"$2\"" '
    /^circuitwatch_bgp_prefixes\{/ && index($0, r) && index($0, a) && index($0, "view=\"adj-rib-in-pre\"") { s += $NF }
    END { print s + 0 }'
}
# wait_counts ROUTER V4 V6 — polls every 20 ms until both sums equal; prints the time
wait_counts() {
  local deadline=$((SECONDS + TIMEOUT))
  while :; do
    if [ "$(prefixes "$1" ipv4-unicast)" = "$2" ] && [ "$(prefixes "$1" ipv6-unicast)" = "$3" ]; then
      now; return 0
    fi
    if [ "$SECONDS" -gt "$deadline" ]; then
      echo "timeout waiting for $1 to reach $2/$3 prefixes" >&2; return 1
    fi
    sleep 0.02
  done
}
# replay_start OUTFILE ARGS... — sets RP_PID
replay_start() {
  local out=$1; shift
  "$REPLAY" "$@" > "$out" 2>>"$WORK/replay.err" &
  RP_PID=$!; PIDS+=("$RP_PID")
}
# sent_field OUTFILE LINE FIELD — a field of the LINE-th "sent" line, waiting for it
sent_field() {
  for _ in $(seq 1 $((TIMEOUT * 20))); do
    local v; v=$(awk -v n="$2" -v f="$3=" '/^sent /{ if (++i == n) for (k = 1; k <= NF; k++) if (index($k, f) == 1) print substr($k, length(f) + 1) }' "$1")
    [ -n "$v" ] && { echo "$v"; return 0; }
    sleep 0.05
  done
  echo "replay did not report" >&2; return 1
}

# cpu_sampler PID OUT — "epoch cpu_seconds" every 10 ms (clock ticks are 10 ms) until killed; sets SAMPLER_PID
cpu_sampler() {
  ( while [ -e "/proc/$1/stat" ]; do echo "$(now) $(cpu_s "$1")"; sleep 0.01; done ) > "$2" &
  SAMPLER_PID=$!; PIDS+=("$SAMPLER_PID")
}
# busy_end SAMPLES CPU_TOTAL — first time the process had used all but 30 ms of CPU_TOTAL
busy_end() { awk -v c="$2" '$2 >= c - 0.03 { printf "%s\n", $1; exit }' "$1"; }

ingest_run() { # ingest_run LABEL FILE — one fresh daemon; prints the figures
  local label=$1 file=$2 rss0 cpu0 t_done rss1 cpu1 start end wall cpu t_busy
  start_cw
  rss0=$(rss_b "$CW_PID"); cpu0=$(cpu_s "$CW_PID")
  cpu_sampler "$CW_PID" "$WORK/cpu.samples"
  replay_start "$WORK/rp.out" --hold 3600 --next-when "$WORK/go-down" 127.0.0.1 "$BMP_PORT" "$file" "$DOWN"
  t_done=$(wait_counts 127.0.0.1 "$N4" "$N6") || exit 1
  cpu1=$(cpu_s "$CW_PID"); rss1=$(rss_b "$CW_PID")
  kill "$SAMPLER_PID" 2>/dev/null; wait "$SAMPLER_PID" 2>/dev/null
  t_busy=$(busy_end "$WORK/cpu.samples" "$cpu1")
  start=$(sent_field "$WORK/rp.out" 1 start); end=$(sent_field "$WORK/rp.out" 1 end)
  wall=$(calc "$t_done - $start"); cpu=$(calc "$cpu1 - $cpu0")
  echo "== $label: $(basename "$file") ($(mib "$(stat -c %s "$file")") MiB), $TOTAL routes"
  echo "   replay wrote everything in $(fmt "$(calc "$end - $start")" .2f) s (kernel socket buffers hold the last few MB)"
  echo "   first byte -> counts complete on /metrics: $(fmt "$wall" .2f) s  => $(fmt "$(calc "$TOTAL / $wall")" ,.0f) routes/s (lower bound: publish is once a second)"
  echo "   first byte -> CPU time stopped growing (sampled every 10 ms): $(fmt "$(calc "$t_busy - $start")" .2f) s  => $(fmt "$(calc "$TOTAL / max($t_busy - $start, 0.01)")" ,.0f) routes/s"
  echo "   CPU time of circuitwatch: $(fmt "$cpu" .2f) s  => $(fmt "$(calc "$TOTAL / max($cpu, 0.01)")" ,.0f) routes per CPU-second"
  echo "   RSS $(mib "$rss0") MiB -> $(mib "$rss1") MiB: $(fmt "$(calc "($rss1 - $rss0) / $TOTAL")" .1f) bytes/route (process RSS growth: RIB, attribute sets, buffers, series)"
  LAST_RPS_CPU=$(calc "$TOTAL / max($cpu, 0.01)"); LAST_RPS_WALL=$(calc "$TOTAL / max($t_busy - $start, 0.01)")
  LAST_BPR=$(calc "($rss1 - $rss0) / $TOTAL"); LAST_RSS0=$rss0
}

echo "circuitwatch BMP benchmark on $(nproc) cores; $(uname -r); $(date -u +%FT%TZ)"

# 1 + 4: full table, one prefix per message; then the peer-down while a second router streams
ingest_run "one prefix per Route Monitoring" "$FULL"
CW1_RPS_CPU=$LAST_RPS_CPU; CW1_RPS_WALL=$LAST_RPS_WALL; CW1_BPR=$LAST_BPR
rss_full=$(rss_b "$CW_PID"); rss_empty=$LAST_RSS0
REPLAY1=$RP_PID
# the loop's memory-release steps: histogram buckets "le count" (none in builds without it)
gc_buckets() {
  curl -s "$BASE/metrics" | awk -F'[{}"]' '/^circuitwatch_model_gc_step_seconds_bucket\{/ { split($NF, v, " "); print $3, v[1] }'
}
gc_before=$(gc_buckets)
replay_start "$WORK/rp2.out" --bind 127.0.0.2 --hold 3600 127.0.0.1 "$BMP_PORT" "$OTHER"
touch "$WORK/go-down"
# RSS every 50 ms from now until RSS_WATCH s after the Peer Down
( stop=$(calc "$(now) + $RSS_WATCH + 0.5")
  while awk -v t="$(now)" -v s="$stop" 'BEGIN { exit !(t < s) }'; do
    echo "$(now) $(rss_b "$CW_PID")"; sleep 0.05
  done ) > "$WORK/rss.samples" &
RSS_PID=$!; PIDS+=("$RSS_PID")
t_down=$(sent_field "$WORK/rp.out" 2 start) || exit 1
t_zero=$(wait_counts 127.0.0.1 0 0) || exit 1
t_other=$(wait_counts 127.0.0.2 "$OTHER4" 0) || exit 1
o_start=$(sent_field "$WORK/rp2.out" 1 start)
wait "$RSS_PID"
gc_after=$(gc_buckets)
echo "== peer down of the full-table peer (Peer Down sent on the open session), second router (127.0.0.2, $OTHER4 routes) streaming at the same time"
echo "   Peer Down sent -> prefix counts 0 on /metrics: $(fmt "$(calc "$t_zero - $t_down")" .2f) s (publish granularity 1 s)"
echo "   second router: first byte -> its $OTHER4 routes complete on /metrics: $(fmt "$(calc "$t_other - $o_start")" .2f) s"
python3 - "$WORK/rss.samples" "$t_down" "$rss_full" "$rss_empty" "$RSS_WATCH" <<'PY'
import sys
samples = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if len(l.split()) == 2]
t_down, full, empty, watch = map(float, sys.argv[2:6])
mib = lambda b: b / 1048576
after = [(t - t_down, r) for t, r in samples if t >= t_down and r > 0]
if not after:
    print("   RSS: no samples after the Peer Down"); sys.exit(0)
half = full - (full - empty) / 2
low = min(r for _, r in after)
t_half = next((t for t, r in after if r <= half), None)
t_low = next(t for t, r in after if r <= low + 1048576)
print(f"   RSS {mib(full):.1f} MiB with the table ({mib(empty):.1f} MiB before it) -> lowest {mib(low):.1f} MiB "
      f"within {after[-1][0]:.1f} s (within 1 MiB of it {t_low:.2f} s after the Peer Down; the second router's table is in it)")
print("   RSS fell by half the table's growth (to %.1f MiB): %s" % (mib(half),
      f"{t_half:.2f} s after the Peer Down" if t_half is not None else f"not within {after[-1][0]:.1f} s"))
PY
python3 - "$gc_before" "$gc_after" <<'PY'
import sys
def parse(text):
    return {l.split()[0]: float(l.split()[1]) for l in text.splitlines() if len(l.split()) == 2}
b, a = parse(sys.argv[1]), parse(sys.argv[2])
if not a:
    print("   loop steps giving memory back: not measured (no circuitwatch_model_gc_step_seconds in this build)"); sys.exit(0)
d = {le: a[le] - b.get(le, 0) for le in a}
n = d.get("+Inf", 0)
bound = next((le for le in sorted((k for k in d if k != "+Inf"), key=float) if d[le] == n), "+Inf")
print(f"   loop steps giving memory back (circuitwatch_model_gc_step_seconds): {n:.0f}, "
      f"longest <= {float(bound) * 1e3:g} ms of CPU (its bucket): the pause each put on the second router's ingest"
      if bound != "+Inf" else f"   loop steps giving memory back: {n:.0f}, some over 100 ms")
les = sorted((k for k in d if k != "+Inf"), key=float) + ["+Inf"]
prev, parts = 0, []
for le in les:
    if d[le] > prev:
        parts.append(f"{d[le] - prev:.0f} <= {float(le) * 1e3:g} ms" if le != "+Inf" else f"{d[le] - prev:.0f} over")
    prev = d[le]
print("     by bucket (CPU time of the loop thread in each step): " + ", ".join(parts))
PY
if [ -x "$BUILD/tests/bench_rib" ]; then
  echo "   release cost measured alone (bench_rib, same table size: model_gc runs slices for 2 ms, then one malloc_trim):"
  "$BUILD/tests/bench_rib" "$N4" "$N6" | sed -n 's/^\(gc\|release RSS\|malloc_trim\): /     \1: /p'
fi
kill "$REPLAY1" "$RP_PID" 2>/dev/null
stop_cw
rm -f "$WORK/go-down"

# 2: packed
ingest_run "packed UPDATEs (--pack $PACK)" "$PACKED"
CW2_RPS_CPU=$LAST_RPS_CPU
kill "$RP_PID" 2>/dev/null; stop_cw

# 3: many peers, few routes
start_cw
rss0=$(rss_b "$CW_PID")
replay_start "$WORK/rp3.out" --hold 3600 127.0.0.1 "$BMP_PORT" "$MANY"
wait_counts 127.0.0.1 $((PEERS * PEER_ROUTES)) 0 >/dev/null || exit 1
sleep 1.2 # one more publish round: every peer's series exist
rss1=$(rss_b "$CW_PID")
echo "== $PEERS peers x $PEER_ROUTES routes on one router"
echo "   RSS $(mib "$rss0") MiB -> $(mib "$rss1") MiB: $(fmt "$(calc "($rss1 - $rss0) / $PEERS")" ,.0f) bytes per monitored peer (model, decode context, metric series, its routes)"
CW_PEER_B=$(calc "($rss1 - $rss0) / $PEERS")
kill "$RP_PID" 2>/dev/null; stop_cw

# 5: pmbmpd
if [ -n "$PMBMPD" ] && [ -x "$PMBMPD" ]; then
  port=$(free_port)
  # Standalone pmbmpd keeps no RIB unless a dump backend is configured
  # (pmacct sets skip_rib otherwise, and would only parse and drop the
  # routes); a dump file with a one-day refresh makes it store the routes
  # as circuitwatch does, and never dumps during the run.
  cat > "$WORK/pmbmpd.conf" <<EOF
daemonize: false
logfile: $WORK/pmbmpd.log
bmp_daemon_ip: 127.0.0.1
bmp_daemon_port: $port
bmp_daemon_max_peers: 10
bmp_dump_file: $WORK/pmbmpd-dump-\$bmp_router
bmp_dump_refresh_time: 86400
EOF
  "$PMBMPD" -f "$WORK/pmbmpd.conf" > "$WORK/pmbmpd.out" 2>&1 &
  PM_PID=$!; PIDS+=("$PM_PID")
  for _ in $(seq 1 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
    sleep 0.05
  done
  sleep 0.5
  rss0=$(rss_b "$PM_PID"); cpu0=$(cpu_s "$PM_PID")
  replay_start "$WORK/rp4.out" --hold 3600 127.0.0.1 "$port" "$FULL"
  end=$(sent_field "$WORK/rp4.out" 1 end) || exit 1
  start=$(sent_field "$WORK/rp4.out" 1 start)
  # consumed when its CPU time stops growing (< 20 ms over 1 s)
  last=$(cpu_s "$PM_PID"); t_last=$(now)
  for _ in $(seq 1 $((TIMEOUT * 5))); do
    sleep 0.2
    c=$(cpu_s "$PM_PID")
    if python3 -c "import sys; sys.exit(0 if $c - $last > 0.02 else 1)"; then
      last=$c; t_last=$(now)
    elif python3 -c "import sys; sys.exit(0 if $(now) - $t_last > 1.0 else 1)"; then
      break
    fi
  done
  rss1=$(rss_b "$PM_PID")
  pm_cpu=$(calc "$last - $cpu0"); pm_wall=$(calc "max($t_last, $end) - $start")
  PM_RPS_CPU=$(calc "$TOTAL / max($pm_cpu, 0.01)"); PM_RPS_WALL=$(calc "$TOTAL / $pm_wall")
  PM_BPR=$(calc "($rss1 - $rss0) / $TOTAL")
  echo "== pmbmpd ($("$PMBMPD" -V 2>&1 | head -1 | sed 's/.*pmbmpd //')): same stream ($(basename "$FULL"))"
  echo "   replay wrote everything in $(fmt "$(calc "$end - $start")" .2f) s; CPU stopped growing $(fmt "$pm_wall" .2f) s after the first byte"
  echo "   => $(fmt "$PM_RPS_WALL" ,.0f) routes/s wall, CPU $(fmt "$pm_cpu" .2f) s => $(fmt "$PM_RPS_CPU" ,.0f) routes per CPU-second"
  echo "   RSS $(mib "$rss0") MiB -> $(mib "$rss1") MiB: $(fmt "$PM_BPR" .1f) bytes/route"
  echo "== ratio circuitwatch / pmbmpd (one prefix per message)"
  echo "   routes per CPU-second: $(fmt "$(calc "$CW1_RPS_CPU / $PM_RPS_CPU")" .1f)x   routes/s wall (first byte -> CPU idle, both): $(fmt "$(calc "$CW1_RPS_WALL / $PM_RPS_WALL")" .1f)x"
  echo "   bytes per route: $(fmt "$(calc "$CW1_BPR / max($PM_BPR, 0.01)")" .2f) (pmbmpd uses $(fmt "$(calc "$PM_BPR / max($CW1_BPR, 0.01)")" .1f)x the memory)"
  kill "$RP_PID" "$PM_PID" 2>/dev/null
  wait "$PM_PID" 2>/dev/null
else
  echo "== pmbmpd not found; skipped"
fi
echo "summary: circuitwatch $(fmt "$CW1_RPS_CPU" ,.0f) routes/CPU-s one-per-message, $(fmt "$CW2_RPS_CPU" ,.0f) packed; $(fmt "$CW1_BPR" .1f) B/route; $(fmt "$CW_PEER_B" ,.0f) B/peer"
