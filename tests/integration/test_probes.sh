#!/usr/bin/env bash
# Active probes end to end: circuitwatch runs in its own network namespace
# (cwpr-c) joined by a veth to a "far side" namespace (cwpr-r) that runs
# two `circuitwatch reflect` (one holding its replies 50 ms), a TCP
# listener (python3) and answers ICMP echo over IPv4 and IPv6. Checked on
# /metrics: sent and received agree on a clean path, RTTs are sensible,
# a refused TCP port is a reply plus errors{reason="refused"}, the held
# replies (the reflector's stand-in for netem: the hold counts as path
# delay) add 50 ms to the STAMP RTT, a blackholed target and a STAMP port nobody listens on count
# losses and errors, a missing interface is counted, and an nftables rule
# dropping exactly every 4th ICMP echo request and STAMP test packet
# (numgen inc mod 4) is measured as 25 % loss. Then a SIGHUP reload keeps
# the counters of unchanged targets and drops the removed one; last, the
# daemon as nobody without capabilities says which capability or sysctl
# the ICMP socket needs and counts each probe as an error.
# Needs root (namespaces, nft); skips otherwise.
source "$(dirname "$0")/lib.sh"
need python3
need curl
need nft
[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces"
C=cwpr-c$$
R=cwpr-r$$
netns_add "$C"
netns_add "$R"
ns_cleanup() {
  cleanup
  ip netns del "$C" 2>/dev/null
  ip netns del "$R" 2>/dev/null
}
trap ns_cleanup EXIT
inc() { ip netns exec "$C" "$@"; }
inr() { ip netns exec "$R" "$@"; }

ip link add cwpr0 netns "$C" type veth peer name cwpr1 netns "$R" || skip "cannot create a veth pair"
inc ip link set lo up
inr ip link set lo up
inc ip addr add 198.18.7.1/30 dev cwpr0
inr ip addr add 198.18.7.2/30 dev cwpr1
inc ip addr add 2001:db8:7::1/64 dev cwpr0 nodad
inr ip addr add 2001:db8:7::2/64 dev cwpr1 nodad
inc ip link set cwpr0 up
inr ip link set cwpr1 up
# a target the daemon's namespace cannot reach at all
inc ip route add blackhole 198.18.9.0/24
# the datagram ICMP socket (no CAP_NET_RAW needed) in the daemon's namespace
inc sysctl -qw net.ipv4.ping_group_range="0 2147483647"

# ICMP errors unlimited on the far side (Linux sends one per second and
# peer by default): every probe to a closed port gets its port unreachable
ip netns exec "$R" sysctl -qw net.ipv4.icmp_ratelimit=0
# (ip netns exec, not a shell function: $! must be the process itself)
ip netns exec "$R" "$CW_BIN" reflect --listen 198.18.7.2:862 > "$WORK/refl.out" 2> "$WORK/refl.log" &
PIDS+=($!)
ip netns exec "$R" "$CW_BIN" reflect --listen 198.18.7.2:863 --delay 50 > "$WORK/refl50.out" 2> "$WORK/refl50.log" &
PIDS+=($!)
ip netns exec "$R" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.7.2", 8080)); s.listen(256)
while True:
    c, _ = s.accept(); c.close()
' 2> "$WORK/tcp.log" &
PIDS+=($!)

PORT=10179
probes_config() { # probes_config FILE INTERVAL_OF_ICMP4 WITH_NOBODY
  local nobody=""
  [ "$3" = yes ] && nobody='          - {name: nobody, type: stamp, target: 198.18.7.2, port: 869, interval: 200ms}'
  cat > "$1" <<EOF
prometheus:
  listen: "127.0.0.1:$PORT"
bmp:
  enabled: false
ifstats:
  enabled: false
probes:
  loss_window: 1000
circuits:
  - id: er-probe
    provider: expressroute
    bandwidth: 1Gbps
    links:
      primary:
        interface: cwpr0
        peerings: [{type: private, neighbors: [{address: 198.18.7.2}]}]
        probes:
          - {name: icmp4, type: icmp, target: 198.18.7.2, interval: $2, timeout: 500ms}
          - {name: icmp6, type: icmp, target: "2001:db8:7::2", interval: 100ms}
          - {name: tcp, type: tcp, target: 198.18.7.2, port: 8080, interval: 100ms}
          - {name: refused, type: tcp, target: 198.18.7.2, port: 8081, interval: 200ms}
          - {name: stamp, type: stamp, target: 198.18.7.2, interval: 100ms, size: 200, dscp: 46}
          - {name: stamp-held, type: stamp, target: 198.18.7.2, port: 863, interval: 100ms, timeout: 1s}
          - {name: blackhole, type: icmp, target: 198.18.9.1, source: 198.18.7.1, interval: 200ms}
$nobody
      secondary:
        interface: cwnosuch0
        peerings: [{type: private, neighbors: [{address: 198.18.7.6}]}]
        probes:
          - {name: lonely, type: icmp, target: 198.18.7.2, interval: 200ms}
EOF
}
probes_config "$WORK/cw.yaml" 100ms yes
"$CW_BIN" check-config "$WORK/cw.yaml" > "$WORK/check.log" 2>&1 || { cat "$WORK/check.log"; bad "config accepted"; finish; }

ip netns exec "$C" "$CW_BIN" -c "$WORK/cw.yaml" --log-level debug 2> "$WORK/cw.log" &
CW_PID=$!
PIDS+=("$CW_PID")
scrape() { inc curl -s "http://127.0.0.1:$PORT/metrics" > "$WORK/m.txt"; }
ready() { [ "$(inc curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/-/ready")" = 200 ]; }
until_true 20 ready || { cat "$WORK/cw.log"; bad "daemon ready"; finish; }

# val METRIC PROBE [EXTRA_LABEL_MATCH] — the value of one series in m.txt
val() {
  local v
  v=$(grep -E "^$1\{" "$WORK/m.txt" | grep -F "probe=\"$2\"" | grep -F "${3:-}" | head -1 | awk '{print $NF}')
  echo "${v:-missing}"
}
# fcmp EXPR — a floating-point comparison (awk; a "missing" value fails),
# e.g. fcmp "1.5 < 2 && abs(-1) == 1"
fcmp() {
  case $1 in *missing*) return 1 ;; esac
  awk "function abs(x) { return x < 0 ? -x : x } BEGIN { exit !($1) }"
}
# calc EXPR — arithmetic on floats
calc() { awk "BEGIN { print $1 }"; }

# the first probes may race neighbour discovery: count from the moment
# every target on the clean path has answered
answered() {
  scrape
  for p in icmp4 icmp6 tcp stamp stamp-held; do
    fcmp "$(val circuitwatch_probe_received_total "$p") > 0" || return 1
  done
}
until_true 10 answered || bad "every target answered"
sleep 1.2 # the probes sent before are decided by now
scrape
declare -A s0 r0 l0
snap() {
  for p in "$@"; do
    s0[$p]=$(val circuitwatch_probe_sent_total "$p"); r0[$p]=$(val circuitwatch_probe_received_total "$p")
    l0[$p]=$(val circuitwatch_probe_lost_total "$p")
  done
}
snap icmp4 icmp6 tcp stamp
sleep 3
scrape
for p in icmp4 icmp6 tcp stamp; do
  s=$(val circuitwatch_probe_sent_total "$p"); r=$(val circuitwatch_probe_received_total "$p")
  l=$(val circuitwatch_probe_lost_total "$p")
  check "$p: sent $s (+$((s - s0[$p]))), received $r within 2 of it, none lost (+$((l - l0[$p])))" \
    fcmp "$s - ${s0[$p]} >= 15 && ($s - ${s0[$p]}) - ($r - ${r0[$p]}) <= 2 && $l == ${l0[$p]}"
  last=$(val circuitwatch_probe_rtt_last_seconds "$p")
  # a veth answers in well under a millisecond; the bound leaves room for a
  # loaded machine (the TCP time is taken when the loop sees the socket)
  check "$p: rtt_last $last in (0, 50 ms)" fcmp "0 < $last && $last < 0.05"
  check "$p: up" fcmp "$(val circuitwatch_probe_up "$p") == 1"
  cnt=$(val circuitwatch_probe_rtt_seconds_count "$p")
  # the histogram is fed as replies come, the counters once a second
  check "$p: RTT histogram count $cnt matches received $r" fcmp "$r <= $cnt && $cnt <= $r + 12"
done
mn=$(val circuitwatch_probe_rtt_min_seconds icmp4); mx=$(val circuitwatch_probe_rtt_max_seconds icmp4)
last=$(val circuitwatch_probe_rtt_last_seconds icmp4)
check "rtt min $mn <= last $last <= max $mx" fcmp "$mn <= $last && $last <= $mx && $mn < $mx"
check "jitter published" fcmp "$(val circuitwatch_probe_jitter_seconds stamp) >= 0"
# every send's lateness, all targets together (a busy loop thread shows here)
lc=$(awk '$1 == "circuitwatch_probe_send_lateness_seconds_count" {print $2}' "$WORK/m.txt")
ls=$(awk '$1 == "circuitwatch_probe_send_lateness_seconds_sum" {print $2}' "$WORK/m.txt")
ts=$(awk '$1 ~ /^circuitwatch_probe_sent_total[{]/ {n += $2} END {print n + 0}' "$WORK/m.txt")
check "send lateness: ${lc:-missing} sends observed (sent_total $ts), mean under 0.5 s" \
  fcmp "${lc:-0} >= $ts / 2 && ${lc:-0} > 0 && ${ls:-1e9} / ${lc:-1} < 0.5"
check "labels circuit/link/type/target" grep -qF 'circuitwatch_probe_sent_total{circuit="er-probe",link="primary",probe="stamp",type="stamp",target="198.18.7.2"}' "$WORK/m.txt"
check "ICMP went through the datagram socket" grep -q 'ICMP socket open.*kind=datagram' "$WORK/cw.log"

r=$(val circuitwatch_probe_received_total refused); e=$(val circuitwatch_probe_errors_total refused 'reason="refused"')
check "refused TCP port: $r replies, each counted refused ($e)" fcmp "$r >= 5 && abs($r - $e) <= 1"

held=$(val circuitwatch_probe_reflector_residence_seconds stamp-held)
rtt=$(val circuitwatch_probe_rtt_last_seconds stamp-held)
check "held replies: the 50 ms hold is measured as delay: RTT $rtt in [50, 100) ms" \
  fcmp "0.05 <= $rtt && $rtt < 0.1"
check "held replies: not reflector residence ($held < 25 ms, half the hold)" \
  fcmp "0 <= $held && $held < 0.025"
check "held replies all answered" fcmp "$(val circuitwatch_probe_sent_total stamp-held) - $(val circuitwatch_probe_received_total stamp-held) <= 2"

s=$(val circuitwatch_probe_sent_total blackhole); l=$(val circuitwatch_probe_lost_total blackhole)
e=$(val circuitwatch_probe_errors_total blackhole 'reason="unreachable"')
check "blackhole: sent $s, all lost ($l) and unreachable ($e)" fcmp "$s >= 5 && $l == $s && $e == $s"
check "blackhole: down" fcmp "$(val circuitwatch_probe_up blackhole) == 0"
check "blackhole: no RTT series" test "$(val circuitwatch_probe_rtt_last_seconds blackhole)" = missing
s=$(val circuitwatch_probe_sent_total nobody); e=$(val circuitwatch_probe_errors_total nobody 'reason="unreachable"')
l=$(val circuitwatch_probe_lost_total nobody)
check "STAMP port nobody listens on: sent $s, lost $l, ICMP port unreachable $e" fcmp "$s >= 5 && $e >= $s - 2 && $l >= $s - 2"
s=$(val circuitwatch_probe_sent_total lonely); e=$(val circuitwatch_probe_errors_total lonely 'reason="no_interface"')
check "missing interface: sent $s, each an error ($e)" fcmp "$s >= 5 && $e == $s"
check "missing interface logged" grep -q 'cwnosuch0' "$WORK/cw.log"
tg() { grep -E '^circuitwatch_probe_targets ' "$WORK/m.txt" | awk '{print $NF}'; }
check "9 probe targets running ($(tg))" test "$(tg)" = 9
check "unexpected replies counted by type and reason" \
  grep -qF 'circuitwatch_probe_unexpected_replies_total{type="stamp",reason="malformed"} 0' "$WORK/m.txt"
check "daemon alive" kill -0 "$CW_PID"

# ---- loss: exactly every 4th ICMP echo request and STAMP test packet ----
inr nft -f - <<'EOF'
table inet cwpr {
  chain input {
    type filter hook input priority 0;
    ip protocol icmp icmp type echo-request numgen inc mod 4 == 0 drop
    udp dport 862 numgen inc mod 4 == 0 drop
  }
}
EOF
sleep 1 # probes in flight when the rule came decided by now
scrape
snap icmp4 stamp icmp6
sleep 5
scrape
for p in icmp4 stamp; do
  dr=$(calc "$(val circuitwatch_probe_received_total $p) - ${r0[$p]}")
  dl=$(calc "$(val circuitwatch_probe_lost_total $p) - ${l0[$p]}")
  check "$p: loss $dl of $((dr + dl)) decided probes is 25 % (+-5 %)" \
    fcmp "$dr + $dl >= 30 && abs($dl / ($dr + $dl) - 0.25) <= 0.05"
done
dl=$(calc "$(val circuitwatch_probe_lost_total icmp6) - ${l0[icmp6]}")
check "icmp6 untouched by the IPv4 rule (lost $dl)" fcmp "$dl == 0"
lr=$(val circuitwatch_probe_loss_ratio icmp4)
check "icmp4 loss_ratio $lr between 0 and 0.25" fcmp "0 < $lr && $lr < 0.25"
inr nft delete table inet cwpr

# ---- reload: icmp4 now every 200 ms, "nobody" removed ----
scrape
sent_before=$(val circuitwatch_probe_sent_total icmp4)
probes_config "$WORK/cw.yaml" 200ms no
kill -HUP "$CW_PID"
sleep 1.5
scrape
sent_after=$(val circuitwatch_probe_sent_total icmp4)
check "reload kept icmp4's counters ($sent_before -> $sent_after)" fcmp "$sent_after >= $sent_before"
check "reload removed the 'nobody' series" test "$(val circuitwatch_probe_sent_total nobody)" = missing
check "8 probe targets after the reload ($(tg))" test "$(tg)" = 8
check "reload logged success" grep -q 'configuration reloaded' "$WORK/cw.log"

kill -TERM "$CW_PID"
wait_exit "$CW_PID" 10
check "clean exit on SIGTERM (rc $RC)" test "$RC" = 0

# ---- no privileges: nobody, no capabilities, ping_group_range "1 0" (the
# default of the far-side namespace): neither ICMP socket opens ----
cat > "$WORK/nobody.yaml" <<EOF
prometheus:
  listen: "127.0.0.1:$PORT"
bmp:
  enabled: false
ifstats:
  enabled: false
circuits:
  - id: er-nobody
    provider: expressroute
    bandwidth: 1Gbps
    links:
      primary:
        peerings: [{type: private, neighbors: [{address: 198.18.7.1}]}]
        probes:
          - {name: denied, type: icmp, target: 198.18.7.1, interval: 100ms}
EOF
chmod 755 "$WORK"; chmod 644 "$WORK/nobody.yaml"
ip netns exec "$R" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
  "$CW_BIN" -c "$WORK/nobody.yaml" 2> "$WORK/nobody.log" &
NPID=$!
PIDS+=("$NPID")
nscrape() { ip netns exec "$R" curl -s "http://127.0.0.1:$PORT/metrics" > "$WORK/m.txt"; }
denied() { nscrape; fcmp "$(val circuitwatch_probe_errors_total denied 'reason="socket"') >= 3"; }
check "no ICMP socket: each probe an error (reason socket)" until_true 15 denied
check "no ICMP socket: sent equals lost" \
  fcmp "$(val circuitwatch_probe_sent_total denied) == $(val circuitwatch_probe_lost_total denied)"
check "the log names CAP_NET_RAW and ping_group_range" \
  grep -q 'CAP_NET_RAW is missing.*ping_group_range' "$WORK/nobody.log"
kill -TERM "$NPID"
wait_exit "$NPID" 10
check "unprivileged daemon exits cleanly (rc $RC)" test "$RC" = 0
finish
