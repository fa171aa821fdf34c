#!/usr/bin/env bash
# process_* and circuitwatch_memory_bytes (issue 16) on a running daemon:
# the exporter-standard process series (promtool-clean, typed as the Go
# client types them, the start time of this very start, open fds that grow
# when clients connect), and the memory accounting moving with a replayed
# table: the RIB and attribute figures grow with the routes, come back down
# when a router's peers go, the BMP buffers show while routers are
# connected, and the accounted sum stays below the resident size.
# Environment: ROUTES (20000 IPv4 routes per peer, 3 peers per router).
source "$(dirname "$0")/lib.sh"
need curl; need python3; need promtool
BUILD=${CW_BUILD_DIR:?CW_BUILD_DIR is not set (run through ctest)}
GEN=$BUILD/tests/gen_bmp_table REPLAY=$BUILD/tests/bmp_replay
[ -x "$GEN" ] && [ -x "$REPLAY" ] || skip "gen_bmp_table/bmp_replay not built"
ROUTES=${ROUTES:-20000}

for i in 2 3; do
  down=(); [ "$i" = 3 ] && down=(--peer-down)
  "$GEN" --router "$i" --seed "$i" --peers 3 --ipv4 "$ROUTES" --ipv6 $((ROUTES / 4)) \
    --peer-addr "198.18.$i.1" --peer-step 1 --peer-as 12076 "${down[@]}" -o "$WORK/r$i.bmp" \
    >/dev/null 2>&1 || { bad "gen_bmp_table router $i"; finish; }
done
msgs() { "$GEN" --check "$1" | grep -oE '[0-9]+ (initiation|peer-up|route-monitoring|peer-down)' |
  awk '{n += $1} END {print n}'; }
want2=$(msgs "$WORK/r2.bmp"); want3=$(msgs "$WORK/r3.bmp")

port=$(free_port); bport=$(free_port); base="http://127.0.0.1:$port"
cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$port", max_connections_per_address: 64}
bmp: {listen: "127.0.0.1:$bport", allow: ["127.0.0.0/8"], workers: 2}
circuits:
$(er1_circuit_yaml '{address: 198.18.2.1}')
YAML
t0=$(python3 -c 'import time; print(time.time())')
start_cw "$WORK/cw.log" run --config "$WORK/cw.yaml"
check "daemon ready" wait_http "$base/-/ready"

value() { # value FILE SERIES: the value of the series (exact name and labels), or empty
  awk -v s="$2" '$1 == s {print $2}' "$1"
}
scrape() { curl -s --max-time 10 "$base/metrics" > "$1"; }

# ---- process_*
sleep 1.2 # a refresh after the start
scrape "$WORK/m0.txt"
promtool check metrics < "$WORK/m0.txt" > "$WORK/promtool.out" 2>&1; rc=$?
check "promtool check metrics passes" test "$rc" = 0 -a ! -s "$WORK/promtool.out"
[ -s "$WORK/promtool.out" ] && head "$WORK/promtool.out"
for s in "process_cpu_seconds_total counter" "process_resident_memory_bytes gauge" \
         "process_virtual_memory_bytes gauge" "process_open_fds gauge" "process_max_fds gauge" \
         "process_start_time_seconds gauge"; do
  set -- $s
  check "$1: # TYPE $2, one series" bash -c \
    "grep -qx '# TYPE $1 $2' '$WORK/m0.txt' && [ \$(grep -c '^$1 ' '$WORK/m0.txt') = 1 ]"
done
check "help strings as client_golang's" bash -c "
  grep -qx '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.' '$WORK/m0.txt' &&
  grep -qx '# HELP process_resident_memory_bytes Resident memory size in bytes.' '$WORK/m0.txt' &&
  grep -qx '# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.' '$WORK/m0.txt'"
check "process_start_time_seconds within 3 s of this start" python3 -c '
import sys; v=float(sys.argv[1]); t0=float(sys.argv[2]); assert t0 - 3 <= v <= t0 + 3, (v, t0)' \
  "$(value "$WORK/m0.txt" process_start_time_seconds)" "$t0"
check "process_start_time_seconds agrees with circuitwatch_start_time_seconds" python3 -c '
import sys; assert abs(float(sys.argv[1]) - float(sys.argv[2])) < 3, sys.argv' \
  "$(value "$WORK/m0.txt" process_start_time_seconds)" "$(value "$WORK/m0.txt" circuitwatch_start_time_seconds)"
rss0=$(value "$WORK/m0.txt" process_resident_memory_bytes)
check "resident and virtual sizes are plausible" python3 -c '
import sys; r,v,m=map(float,sys.argv[1:]); assert 1e6 < r < v and m >= 64, sys.argv' \
  "$rss0" "$(value "$WORK/m0.txt" process_virtual_memory_bytes)" "$(value "$WORK/m0.txt" process_max_fds)"
fds0=$(value "$WORK/m0.txt" process_open_fds)

# 20 idle clients on the exporter port: 20 more descriptors
python3 - "$port" "$WORK/clients.ready" <<'PY' & PIDS+=($!)
import socket,sys,time
ss=[socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(20)]
open(sys.argv[2], "w").close()
time.sleep(30)
PY
until_true 10 test -e "$WORK/clients.ready"
fds_more() { scrape "$WORK/m1.txt"; [ "$(value "$WORK/m1.txt" process_open_fds)" -ge $((fds0 + 20)) ]; }
check "process_open_fds grows by the 20 clients (from $fds0)" until_true 10 fds_more

# ---- circuitwatch_memory_bytes
mem() { value "$1" "circuitwatch_memory_bytes{component=\"$2\"}"; }
for c in rib attributes bmp_buffers reassembly kafka_spool; do
  check "circuitwatch_memory_bytes{component=\"$c\"} is there" test -n "$(mem "$WORK/m0.txt" $c)"
done
rib0=$(mem "$WORK/m0.txt" rib)
"$REPLAY" --bind 127.0.0.2 --hold 86400 127.0.0.1 "$bport" "$WORK/r2.bmp" >/dev/null 2>&1 &
PIDS+=($!)
read_all() { # read_all N: N BMP messages read, and a publish after
  [ "$(curl -s "$base/metrics" | awk '/^circuitwatch_bmp_messages_total\{/ {n += $NF} END {printf "%d", n}')" -ge "$1" ]
}
check "router 127.0.0.2: all $want2 messages read" until_true 120 read_all "$want2"
sleep 2.5 # the workers' publish, then the loop's memory round
scrape "$WORK/m2.txt"
rib2=$(mem "$WORK/m2.txt" rib); attrs2=$(mem "$WORK/m2.txt" attributes)
routes=$((3 * (ROUTES + ROUTES / 4)))
check "rib grows with the table: $rib0 -> $rib2 bytes for $routes routes (>= 16 per route)" \
  test "$rib2" -ge $((rib0 + routes * 16))
check "rib is no more than 64 bytes per route" test "$rib2" -le $((rib0 + routes * 64))
check "attributes grow with the interned sets ($attrs2 bytes)" test "$attrs2" -gt 10000
check "bmp_buffers shows the connected router's buffer" test "$(mem "$WORK/m2.txt" bmp_buffers)" -ge 262144
check "bmp_buffers agrees with circuitwatch_bmp_buffer_bytes" test \
  "$(mem "$WORK/m2.txt" bmp_buffers)" = "$(value "$WORK/m2.txt" circuitwatch_bmp_buffer_bytes)"
check "the accounted memory is below the resident size" python3 -c '
import sys
m={}
for l in open(sys.argv[1]):
    if l.startswith("circuitwatch_memory_bytes{") and "kafka_spool" not in l:
        m[l.split("\"")[1]]=float(l.split()[-1])
    if l.startswith("process_resident_memory_bytes "):
        rss=float(l.split()[1])
assert 0 < sum(m.values()) < rss, (m, rss)
print("accounted", sum(m.values()), "of rss", rss, m, file=sys.stderr)' "$WORK/m2.txt"

# a second router whose peers all go down: its routes come and go again
"$REPLAY" --bind 127.0.0.3 --hold 86400 127.0.0.1 "$bport" "$WORK/r3.bmp" >/dev/null 2>&1 &
PIDS+=($!)
check "router 127.0.0.3: all messages read (peer downs included)" until_true 120 read_all $((want2 + want3))
rib_back() { scrape "$WORK/m3.txt"; r=$(mem "$WORK/m3.txt" rib); [ "$r" -le $((rib2 + rib2 / 10)) ]; }
check "rib comes back down once the peers' routes are released" until_true 30 rib_back
kill -TERM "$CW_PID"
wait_exit "$CW_PID" 20; rc=$RC
check "the daemon stops cleanly (exit 0; a sanitizer finding would change it)" test "$rc" = 0
finish
