#!/usr/bin/env bash
# bench_scale.sh — many routers' full tables at once (issue 14's headline):
# ROUTERS routers, each with its own table of ROUTES routes, replayed
# concurrently into one circuitwatch (release build) from distinct source
# addresses (127.1.x.y), while /metrics is scraped with gzip every second and
# STAMP probes run on the loop thread. Prints each figure beside its target:
#
#   routes in under 60 s wall (first byte -> every router's counts complete
#   on /metrics), peak RSS under 7 GB, gzip scrape p99 under 100 ms (sampled
#   every second throughout), probe send lateness p99 under 10 ms
#
# plus routes/s, CPU-seconds and routes per CPU-second, bytes per route and
# scrape p50/max and how many scrapes took over 100 ms.
#
# The streams: one file per router, written once into $CACHE by
# tests/tools/gen_bmp_table with --router I and its own --seed and peer AS,
# so each router's attribute sets are its own and its prefixes start at its
# own point of the address space (IPv6: disjoint per router; IPv4: a rotated
# start and its own length mix — a 1 M IPv4 table fills most of the space,
# so two routers share about 6 % of their IPv4 prefixes, as real tables
# do). About 135 bytes per route on disk at one prefix per message: 100 x 1.2 M
# = 16 GB; the script checks the free space first. The replayers (bmp_replay
# --stream) read their files in chunks and drop what they sent from the page
# cache, connect first and send their first byte together (--start-at).
#
# Probe lateness: PROBES STAMP targets every PROBE_MS ms (probes.spread 0, so
# each target's schedule is a fixed grid) aimed at a small reflector in this
# script that notes each test packet's sender timestamp (T1, taken by the
# daemon just before send) and answers it as `circuitwatch reflect` would.
# Lateness = T1 minus the scheduled time, the grid taken from the sends
# before ingest starts and advanced as the daemon's scheduler does (a send
# more than an interval late restarts the grid from it). The daemon does not
# publish its own lateness histogram (tests/bench/bench_probes.c reads it
# from the engine directly).
#
# Expects a release build (cmake --preset release && cmake --build --preset
# release); builds nothing. Environment: ROUTERS (100), ROUTES (1200000 per
# router: 5/6 IPv4, 1/6 IPv6), CACHE (/tmp/cw-bench-scale), BUILD
# (build/release), SEED (1), PROBES (10), PROBE_MS (100), TIMEOUT (900 s),
# PACK (1: prefixes per UPDATE), WORKERS (bmp.workers, 0: one per CPU),
# REPLAY_NICE (10: the replayers' nice value). Quick run (under a minute):
#   ROUTERS=4 ROUTES=200000 tests/bench/bench_scale.sh
set -uo pipefail

source "$(dirname "$0")/lib.sh"
ROUTERS=${ROUTERS:-100}
ROUTES=${ROUTES:-1200000}
CACHE=${CACHE:-/tmp/cw-bench-scale}
SEED=${SEED:-1}
PROBES=${PROBES:-10}
PROBE_MS=${PROBE_MS:-100}
TIMEOUT=${TIMEOUT:-900}
PACK=${PACK:-1}
WORKERS=${WORKERS:-0} # bmp.workers: 0 = one per CPU
# The replayers stand in for routers, which run on other machines: at nice
# 10 they yield the CPU to the daemon's loop thread when it wakes (at 0, the
# 100 of them delay the probes, see docs/performance.md)
REPLAY_NICE=${REPLAY_NICE:-10}
N6=$((ROUTES / 6))
N4=$((ROUTES - N6))
TOTAL=$((ROUTERS * ROUTES))
BYTES_PER_ROUTE=140 # on disk at one prefix per message, with a margin

# targets
T_WALL=60; T_RSS=$((7 * 1000 * 1000 * 1000)); T_SCRAPE_MS=100; T_LATE_MS=10

bench_need "$CW" "$GEN" "$REPLAY"
[ "$ROUTERS" -ge 1 ] && [ "$ROUTERS" -le 60000 ] || { echo "ROUTERS: 1..60000" >&2; exit 2; }
ulimit -n $((ROUTERS * 4 + 1024)) 2>/dev/null || true

BENCH_GRACE=0.3 BENCH_KEEP=${KEEP:-}
bench_workdir cw-bench-scale-run

free_udp_port() {
  python3 -c 'import socket; s=socket.socket(type=socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
router_addr() { echo "127.1.$(($1 / 250)).$(($1 % 250 + 1))"; }

echo "circuitwatch scale benchmark: $ROUTERS routers x $ROUTES routes ($N4 IPv4 + $N6 IPv6) = $TOTAL routes"
echo "  $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo) RAM; $(uname -r); $(date -u +%FT%TZ); load average $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- streams: one file per router, generated once ----
mkdir -p "$CACHE"
stream() { echo "$CACHE/r$1-$N4-$N6-p$PACK-s$SEED.bmp"; }
missing=()
for i in $(seq 0 $((ROUTERS - 1))); do
  f=$(stream "$i")
  if [ ! -s "$f" ] || [ "$GEN" -nt "$f" ]; then missing+=("$i"); fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  need=$(( ${#missing[@]} * ROUTES * BYTES_PER_ROUTE ))
  avail=$(df -B1 --output=avail "$CACHE" | tail -1)
  if [ "$need" -gt "$avail" ]; then
    echo "not enough space in $CACHE for ${#missing[@]} streams: needs ~$((need >> 30)) GiB, $((avail >> 30)) GiB free; set CACHE or lower ROUTERS" >&2
    exit 2
  fi
  echo "  generating ${#missing[@]} stream(s) into $CACHE (~$((need >> 20)) MiB, 2 at a time)"
  gen_one() { # I: router I's stream, its own seed, peer AS and start in the space
    local f; f=$(stream "$1")
    "$GEN" --router "$1" --seed $((SEED * 100003 + $1)) --peer-as $((200000 + $1 * 10)) \
      --ipv4 "$N4" --ipv6 "$N6" --pack "$PACK" -o "$f.tmp" > /dev/null && mv "$f.tmp" "$f"
  }
  export -f gen_one stream; export GEN N4 N6 PACK SEED CACHE
  printf '%s\n' "${missing[@]}" | xargs -P 2 -I{} bash -c 'gen_one {}' ||
    { echo "generation failed" >&2; exit 1; }
fi
STREAM_BYTES=0
for i in $(seq 0 $((ROUTERS - 1))); do STREAM_BYTES=$((STREAM_BYTES + $(stat -c %s "$(stream "$i")"))); done
echo "  streams: $(fmt "$(calc "$STREAM_BYTES / 1e9")" .2f) GB in $CACHE"

# ---- helpers in Python: the STAMP reflector and the sampler ----
cat > "$WORK/reflector.py" <<'PY'
# Answers STAMP test packets (RFC 8762 §4.3, unauthenticated, stateless) and
# notes each one's sender, sequence number and T1; on SIGTERM prints the send
# lateness of the sends in [FROM, TO] (files "from"/"to" in the work dir).
import os, signal, socket, struct, sys, time
port, interval, work = int(sys.argv[1]), float(sys.argv[2]) / 1000.0, sys.argv[3]
NTP = 2208988800
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
seen = {}
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
s.settimeout(0.2)
def ntp_now():
    t = time.time() + NTP
    return int(t), int((t - int(t)) * 4294967296) & 0xffffffff
while not stop:
    try:
        data, src = s.recvfrom(2048)
    except (socket.timeout, InterruptedError):
        continue
    rx = ntp_now()
    if len(data) < 44:
        continue
    seq, sec, frac, err = struct.unpack_from(">IIIH", data, 0)
    seen.setdefault(src, []).append((seq, sec - NTP + frac / 4294967296.0))
    tx = ntp_now()
    reply = struct.pack(">IIIHHIIIIIHHB3x", seq, tx[0], tx[1], err, 0, rx[0], rx[1],
                        seq, sec, frac, err, 0, 255)
    s.sendto(reply + bytes(len(data) - 44), src)
def read(name):
    with open(os.path.join(work, name)) as f:
        return float(f.read())
lo, hi = read("from"), read("to")
late = []
for sends in seen.values():
    sends.sort()
    pre = [t1 - seq * interval for seq, t1 in sends if t1 < lo]
    if len(pre) < 3:
        continue
    phase = min(pre)
    when = phase + sends[0][0] * interval
    prev = sends[0][0]
    for seq, t1 in sends:
        when += (seq - prev) * interval  # the scheduler's grid
        prev = seq
        if lo <= t1 <= hi:
            late.append((max(0.0, t1 - when), t1 - lo))
        if when + interval < t1:  # more than an interval late: the grid restarts at the send
            when = t1
late.sort()
q = lambda p: late[min(len(late) - 1, int(p * len(late)))][0] if late else float("nan")
print("late n=%d p50=%.6f p99=%.6f max=%.6f max_at=+%.1fs over10ms=%d over100ms=%d targets=%d"
      % (len(late), q(0.5), q(0.99), late[-1][0] if late else float("nan"),
         late[-1][1] if late else float("nan"), sum(1 for x, _ in late if x > 0.010),
         sum(1 for x, _ in late if x > 0.100), len(seen)))
PY

cat > "$WORK/sampler.py" <<'PY'
# Every 20 ms: the daemon's CPU time and RSS; every second (on a fixed grid):
# a gzip scrape of /metrics with curl, its time_total, and the prefix counts
# per router. Stops when every router's counts are complete (or on timeout)
# and prints one "key=value" line per figure.
import re, subprocess, sys, threading, time
pid, base, routers, n4, n6, timeout, t0 = (sys.argv[1], sys.argv[2], int(sys.argv[3]),
    int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7]))
hz, page = 100.0, 4096
import os
hz = float(os.sysconf("SC_CLK_TCK")); page = os.sysconf("SC_PAGE_SIZE")
def cpu():
    with open("/proc/%s/stat" % pid) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / hz
def rss():
    with open("/proc/%s/statm" % pid) as f:
        return int(f.read().split()[1]) * page
line = re.compile(r'^circuitwatch_bgp_prefixes\{([^}]*)\} (\S+)', re.M)
done = threading.Event()
scrapes = []  # (start, seconds, bytes_on_wire)
state = {"complete_at": None, "routers_done": 0}
def counts(body):
    per = {}
    for labels, v in line.findall(body):
        if 'view="adj-rib-in-pre"' not in labels:
            continue
        r = re.search(r'router="([^"]*)"', labels).group(1)
        k = 4 if 'afi_safi="ipv4-unicast"' in labels else 6 if 'afi_safi="ipv6-unicast"' in labels else 0
        c = per.setdefault(r, {4: 0, 6: 0, 0: 0})
        c[k] += float(v)
    return sum(1 for c in per.values() if c[4] == n4 and c[6] == n6)
def scraper():
    nxt = time.time()
    while not done.is_set():
        nxt += 1.0
        start = time.time()
        p = subprocess.run(["curl", "-s", "--compressed", "-o", "-", "-w",
                            "\n#CURL %{time_total} %{size_download} %{http_code}", base + "/metrics"],
                           capture_output=True, text=True)
        body, _, tail = p.stdout.rpartition("\n#CURL ")
        f = tail.split()
        if len(f) == 3 and f[2] == "200":
            scrapes.append((start, float(f[0]), int(f[1])))
            n = counts(body)
            state["routers_done"] = n
            if start > t0 and n == routers and state["complete_at"] is None:
                state["complete_at"] = start + float(f[0])
                done.set()
        if time.time() > t0 + timeout:
            done.set()
        time.sleep(max(0.0, nxt - time.time()))
th = threading.Thread(target=scraper, daemon=True)
th.start()
def machine():  # busy and total jiffies of all CPUs
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4], sum(v)
samples, peak, m0 = [], 0, None
while not done.is_set():
    if m0 is None and time.time() >= t0:
        m0 = machine()
    try:
        c, r = cpu(), rss()
    except OSError:
        break
    samples.append((time.time(), c))
    peak = max(peak, r)
    time.sleep(0.02)
c_end = cpu()
m1 = machine()
if m0 is not None and m1[1] > m0[1]:
    print("machine_busy_cores=%.2f" % ((m1[0] - m0[0]) / (m1[1] - m0[1]) * os.cpu_count()))
hwm = 0
with open("/proc/%s/status" % pid) as f:
    for l in f:
        if l.startswith("VmHWM:"):
            hwm = int(l.split()[1]) * 1024
c0 = next((c for t, c in samples if t >= t0), samples[0][1])
busy = next((t for t, c in samples if c >= c_end - 0.03), None)
during = [s for s in scrapes if s[0] >= t0]
print("complete_at=%s" % state["complete_at"])
print("routers_done=%d" % state["routers_done"])
print("cpu_start=%.3f cpu_end=%.3f" % (c0, c_end))
print("busy_end=%s" % busy)
print("rss_peak_sampled=%d rss_hwm=%d rss_end=%d" % (peak, hwm, rss()))
print("scrape_before=%s" % " ".join("%.4f" % s[1] for s in scrapes if s[0] < t0))
print("scrape_during=%s" % " ".join("%.4f" % s[1] for s in during))
print("scrape_bytes=%d" % (during[-1][2] if during else 0))
PY

# ---- circuitwatch with probes ----
PROM=$(free_port); BMP_PORT=$(free_port); STAMP_PORT=$(free_udp_port)
{
  printf 'prometheus: {listen: "127.0.0.1:%s"}\n' "$PROM"
  printf 'bmp: {listen: "127.0.0.1:%s", allow: ["127.0.0.0/8"], workers: %s}\n' "$BMP_PORT" "$WORKERS"
  printf 'ifstats: {enabled: false}\nprobes: {spread: 0}\n'
  printf 'circuits:\n  - id: bench\n    provider: expressroute\n    bandwidth: 1Gbps\n    links:\n      primary:\n'
  printf '        peerings: [{type: private, neighbors: [{address: 198.18.0.2}]}]\n        probes:\n'
  for i in $(seq 1 "$PROBES"); do
    printf '          - {name: s%s, type: stamp, target: 127.0.0.1, port: %s, interval: %sms}\n' "$i" "$STAMP_PORT" "$PROBE_MS"
  done
} > "$WORK/cw.yaml"
python3 "$WORK/reflector.py" "$STAMP_PORT" "$PROBE_MS" "$WORK" > "$WORK/reflector.out" 2>&1 &
REFL_PID=$!; PIDS+=("$REFL_PID")
"$CW" run --config "$WORK/cw.yaml" --log-level warn 2>>"$WORK/cw.log" &
CW_PID=$!; PIDS+=("$CW_PID")
BASE=http://127.0.0.1:$PROM
for _ in $(seq 1 200); do
  curl -sf -o /dev/null "$BASE/-/ready" && break
  sleep 0.05
done
curl -sf -o /dev/null "$BASE/-/ready" || { echo "circuitwatch did not become ready; log:" >&2; cat "$WORK/cw.log" >&2; exit 1; }

# ---- replay: every router connects, all send their first byte at T0 ----
T0=$(calc "round(__import__('time').time() + 4 + $ROUTERS * 0.01, 3)") # probes' grid settles first
echo "$T0" > "$WORK/from"
python3 "$WORK/sampler.py" "$CW_PID" "$BASE" "$ROUTERS" "$N4" "$N6" "$TIMEOUT" "$T0" > "$WORK/sampler.out" 2>&1 &
SAMPLER_PID=$!; PIDS+=("$SAMPLER_PID")
for i in $(seq 0 $((ROUTERS - 1))); do
  nice -n "$REPLAY_NICE" "$REPLAY" --bind "$(router_addr "$i")" --stream 1 --start-at "$T0" --hold 86400 \
    127.0.0.1 "$BMP_PORT" "$(stream "$i")" > "$WORK/rp.$i" 2>>"$WORK/replay.err" &
  PIDS+=("$!")
done
wait "$SAMPLER_PID"
date +%s.%N > "$WORK/to"
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
RP_CPU=0 # CPU of the replayers (alive: they hold their sessions open)
for p in "${PIDS[@]:3}"; do
  RP_CPU=$(awk -v c="$RP_CPU" -v hz="$(getconf CLK_TCK)" '{ print c + ($14 + $15) / hz }' "/proc/$p/stat" 2>/dev/null || echo "$RP_CPU")
done
kill -TERM "$REFL_PID" 2>/dev/null; wait "$REFL_PID" 2>/dev/null
machine_busy_cores=n/a complete_at=None routers_done=0 busy_end=None scrape_bytes=0
# shellcheck source=/dev/null
. <(sed -n 's/^\(complete_at\|routers_done\|busy_end\|scrape_bytes\|machine_busy_cores\)=\(.*\)$/\1="\2"/p' "$WORK/sampler.out")
read -r CPU0 CPU1 < <(sed -n 's/^cpu_start=\(\S*\) cpu_end=\(\S*\)$/\1 \2/p' "$WORK/sampler.out")
read -r RSS_PEAK RSS_HWM < <(sed -n 's/^rss_peak_sampled=\(\S*\) rss_hwm=\(\S*\) .*/\1 \2/p' "$WORK/sampler.out")
if [ -s "$WORK/replay.err" ]; then echo "replay errors:"; sort "$WORK/replay.err" | uniq -c | head -5; fi
if [ "$complete_at" = "None" ]; then
  echo "NOT COMPLETE after $TIMEOUT s: $routers_done of $ROUTERS routers complete on /metrics" >&2
  tail -5 "$WORK/cw.log" >&2
  exit 1
fi
FIRST=$(cat "$WORK"/rp.* | awk '/^sent /{ for (k = 1; k <= NF; k++) if ($k ~ /^start=/) { v = substr($k, 7); if (m == "" || v < m) m = v } } END { print m }')
LAST_SENT=$(cat "$WORK"/rp.* | awk '/^sent /{ for (k = 1; k <= NF; k++) if ($k ~ /^end=/) { v = substr($k, 5); if (v > m) m = v } } END { print m }')
[ -n "$FIRST" ] || FIRST=$T0
WALL=$(calc "$complete_at - $FIRST")
BUSY=$(calc "max(($busy_end if '$busy_end' != 'None' else $complete_at) - $FIRST, 0.01)")
CPU=$(calc "$CPU1 - $CPU0")
RSS=$(calc "max($RSS_PEAK, $RSS_HWM)")
read -r S_N S_P50 S_P99 S_MAX S_OVER < <(sed -n 's/^scrape_during=//p' "$WORK/sampler.out" | python3 -c '
import sys
v = sorted(float(x) for x in sys.stdin.read().split())
q = lambda p: v[min(len(v) - 1, int(p * len(v)))] * 1000 if v else float("nan")
print(len(v), "%.1f" % q(0.5), "%.1f" % q(0.99), "%.1f" % (v[-1] * 1000 if v else float("nan")), sum(1 for x in v if x > 0.1))')
S_BEFORE=$(sed -n 's/^scrape_before=//p' "$WORK/sampler.out" | python3 -c '
import sys; v = sorted(float(x) for x in sys.stdin.read().split()); print("%.1f" % (v[len(v) // 2] * 1000) if v else "n/a")')
LATE=$(sed -n 's/^late //p' "$WORK/reflector.out")
L_P99=$(echo "$LATE" | sed -n 's/.*p99=\(\S*\).*/\1/p')
pf() { if python3 -c "import sys; sys.exit(0 if $1 else 1)"; then echo PASS; else echo FAIL; fi; }

echo "== $ROUTERS routers concurrently, $TOTAL routes ($(fmt "$(calc "$STREAM_BYTES / 1e9")" .2f) GB of BMP, $PACK prefix(es) per UPDATE, bmp.workers $WORKERS)"
echo "   replayers (nice $REPLAY_NICE) wrote everything $(fmt "$(calc "$LAST_SENT - $FIRST")" .1f) s after the first byte (kernel socket buffers hold the last few MB)"
echo "   wall, first byte -> every router complete on /metrics: $(fmt "$WALL" .1f) s   target < $T_WALL s   $(pf "$WALL < $T_WALL")"
echo "      => $(fmt "$(calc "$TOTAL / $WALL")" ,.0f) routes/s (/metrics publishes once a second: up to ~1 s late)"
echo "   first byte -> daemon CPU stopped growing: $(fmt "$BUSY" .1f) s => $(fmt "$(calc "$TOTAL / $BUSY")" ,.0f) routes/s"
echo "   CPU of circuitwatch: $(fmt "$CPU" .1f) s ($(fmt "$(calc "$CPU / $WALL")" .2f) cores over the wall time) => $(fmt "$(calc "$TOTAL / max($CPU, 0.01)")" ,.0f) routes per CPU-second"
echo "   the machine meanwhile: $machine_busy_cores of $(nproc) cores busy (all processes), load average $LOAD_END at the end; replayers $(fmt "$RP_CPU" .1f) CPU-s"
echo "   peak RSS: $(fmt "$(calc "$RSS / 1e9")" .2f) GB   target < 7 GB   $(pf "$RSS < $T_RSS")   ($(fmt "$(calc "$RSS / $TOTAL")" .1f) bytes per route)"
echo "   gzip scrape of /metrics every second ($S_N during ingest, $(fmt "$(calc "$scrape_bytes / 1024")" .1f) KiB on the wire; $S_BEFORE ms before ingest):"
echo "      p50 $S_P50 ms, p99 $S_P99 ms, max $S_MAX ms, $S_OVER over 100 ms   target p99 < $T_SCRAPE_MS ms   $(pf "$S_P99 < $T_SCRAPE_MS")"
if [ -n "$L_P99" ] && [ "$L_P99" != "nan" ]; then
  echo "   probe send lateness ($PROBES STAMP targets every $PROBE_MS ms; $LATE):"
  echo "      p99 $(fmt "$(calc "$L_P99 * 1000")" .2f) ms   target < $T_LATE_MS ms   $(pf "$L_P99 * 1000 < $T_LATE_MS")"
else
  echo "   probe send lateness: no measurement ($LATE)"
fi
echo "summary: routers=$ROUTERS workers=$WORKERS replay_nice=$REPLAY_NICE routes=$TOTAL wall_s=$(fmt "$WALL" .1f) routes_per_s=$(fmt "$(calc "$TOTAL / $WALL")" .0f) cpu_s=$(fmt "$CPU" .1f) routes_per_cpu_s=$(fmt "$(calc "$TOTAL / max($CPU, 0.01)")" .0f) rss_gb=$(fmt "$(calc "$RSS / 1e9")" .2f) bytes_per_route=$(fmt "$(calc "$RSS / $TOTAL")" .1f) scrape_p99_ms=$S_P99 scrape_max_ms=$S_MAX probe_late_p99_ms=$(fmt "$(calc "${L_P99:-0} * 1000")" .2f)"
