#!/usr/bin/env bash
# Billing from interface counters against kill -9 at random moments (issue
# 12 item 12b). docs/billing.md promises that a crash loses at most one
# persist_interval of metering; billing used to count each ifstats pass on
# its own later tick, a whole sampling interval late, so a kill lost one
# to two intervals. Here the provider side streams frames into the link
# while circuitwatch (ifstats every 1s, persist_interval 1s) runs; it is
# killed with SIGKILL at a random moment, the stream stops, and the state
# file must hold the kernel's rx_bytes growth while the daemon ran minus at
# most what the kernel counted in the last persist interval before the
# kill (plus 0.5 s for a late timer), never more than the kernel's count.
# Several rounds on the same state_dir: the totals add up.
source "$(dirname "$0")/lib.sh"
need curl; need python3; need ip
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"

tag=$$
NS=cwbk$tag-a
PEER=cwbk$tag-b
IFA=cwbk$tag-a
IFB=cwbk$tag-b
MACA=02:00:00:00:b2:01
MACB=02:00:00:00:b2:02
netns_pair "$NS" "$PEER" "$IFA" "$IFB" "$MACA" "$MACB"
ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$IFA.disable_ipv6=1"
ip netns exec "$PEER" sysctl -qw "net.ipv6.conf.$IFB.disable_ipv6=1"
inA() { ip netns exec "$NS" "$@"; }
inB() { ip netns exec "$PEER" "$@"; }

PORT=10179 # the namespace's own loopback
base="http://127.0.0.1:$PORT"
STATE="$WORK/state"
ROUNDS=${ROUNDS:-6}
cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$PORT"}
bmp: {enabled: false}
probes: {enabled: false}
ifstats: {interval: 1s}
billing:
  state_dir: $STATE
  persist_interval: 1s
  plans:
    - {name: m, currency: USD, port_fees: [{bandwidth: 1Gbps, monthly: 1}], egress: [{zone: z, per_gb: 0.02}]}
circuits:
  - id: c1
    provider: directconnect
    bandwidth: 1Gbps
    billing_plan: m
    links:
      primary:
        interface: $IFA
        peerings:
          - type: private
            neighbors: [{address: 198.18.1.2, asn: 65002}]
YAML

# stream.py IFNAME SRC DST — 1000-byte frames, about 1 MB/s, until killed
cat > "$WORK/stream.py" <<'PY'
import socket, sys, time
ifname = sys.argv[1]
src, dst = (bytes.fromhex(a.replace(":", "")) for a in sys.argv[2:4])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
frame = dst + src + b"\x88\xb5" + bytes(986)
while True:
    for _ in range(10):
        s.send(frame)
    time.sleep(0.01)
PY
# sample.py FILE IFNAME — the kernel's rx_bytes every 20 ms: "wallclock count"
cat > "$WORK/sample.py" <<'PY'
import sys, time
out = open(sys.argv[1], "w", buffering=1)
path = f"/sys/class/net/{sys.argv[2]}/statistics/rx_bytes"
while True:
    out.write(f"{time.time():.3f} {open(path).read().strip()}\n")
    time.sleep(0.02)
PY
rx() { inA cat "/sys/class/net/$IFA/statistics/rx_bytes"; }
saved() { # the state file's from_cloud bytes of c1, or 0
  python3 - "$STATE/billing-state.json" <<'PY'
import json, sys
try:
    st = json.load(open(sys.argv[1]))
except OSError:
    print(0); sys.exit()
for c in st["circuits"]:
    if c["id"] == "c1":
        print(c["cycle"]["from_cloud_bytes"]); break
else:
    print(0)
PY
}
# window FILE T SECONDS — the kernel's growth over the SECONDS before T
window() {
  python3 - "$@" <<'PY'
import sys
t, span = float(sys.argv[2]), float(sys.argv[3])
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if len(l.split()) == 2]
before = [c for (w, c) in rows if w <= t - span]
at = [c for (w, c) in rows if w <= t]
print(int(at[-1] - before[-1]) if before and at else 10**18)
PY
}

ip netns exec "$NS" python3 "$WORK/sample.py" "$WORK/rx.log" "$IFA" &
PIDS+=($!)
truth=0
worst=""
for round in $(seq 1 "$ROUNDS"); do
  ip netns exec "$NS" "$CW_BIN" run --config "$WORK/cw.yaml" 2>>"$WORK/cw.log" & # execs: CW_PID is circuitwatch
  CW_PID=$!
  PIDS+=("$CW_PID")
  if ! until_true 20 inA curl -sf -o /dev/null "$base/-/ready"; then
    bad "round $round: the daemon became ready"
    break
  fi
  sleep 1.5 # its first pass (the baseline) is behind it
  k0=$(rx)
  ip netns exec "$PEER" python3 "$WORK/stream.py" "$IFB" "$MACB" "$MACA" &
  spid=$!
  PIDS+=("$spid")
  sleep "$(python3 -c 'import random; print(round(random.uniform(2, 5), 3))')"
  k1=$(rx)
  t=$(date +%s.%N)
  kill -9 "$CW_PID"
  k2=$(rx)
  wait "$CW_PID" 2>/dev/null
  kill "$spid"
  wait "$spid" 2>/dev/null
  sleep 0.2
  lost_max=$(window "$WORK/rx.log" "$t" 1.5)
  got=$(saved)
  lo=$((truth + k1 - k0 - lost_max))
  hi=$((truth + k2 - k0))
  echo "    round $round: kernel +$((k1 - k0))..$((k2 - k0)) since the stream began," \
       "saved total $got, allowed $lo..$hi (last 1.5 s before the kill: $lost_max bytes)"
  check "round $round: the saved total is not above the kernel's ($got <= $hi)" test "$got" -le "$hi"
  check "round $round: at most one persist interval lost ($got >= $lo)" test "$got" -ge "$lo"
  # the next round counts from what was saved
  truth=$got
done
check "the metering lag is logged nowhere as an error" sh -c "! grep -q 'level=error' '$WORK/cw.log'"
finish
