#!/usr/bin/env bash
# Billing, end to end: circuitwatch captures on one end of a veth pair and
# meters VLAN 10 of a circuit's link into billing, with persist_interval 1s.
# The priced direction is the cloud's egress: frames from the provider's
# side to our MAC (ingress on our link), sent from the far namespace. Known byte counts are injected with a
# raw socket; the daemon is killed with SIGKILL mid-run and restarted on the
# same state_dir; the cycle's from-cloud total must then lie between the ground
# truth minus what was sent in the last persist interval and the ground
# truth itself (never above: no byte counted twice). A SIGTERM keeps every
# metered byte; a corrupt state file is reported, kept aside, and the
# daemon runs on from zero.
source "$(dirname "$0")/lib.sh"
need curl; need python3; need ip
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"

tag=$$
NS=cwbl$tag-a
PEER=cwbl$tag-b
IFA=cwbl$tag-a
IFB=cwbl$tag-b
MACA=02:00:00:00:b1:01
MACB=02:00:00:00:b1:02
netns_pair "$NS" "$PEER" "$IFA" "$IFB" "$MACA" "$MACB"
inA() { ip netns exec "$NS" "$@"; }

PORT=10179
base="http://127.0.0.1:$PORT"
STATE="$WORK/state"
cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$PORT"}
bmp: {enabled: false}
ifstats: {enabled: false}
probes: {enabled: false}
capture:
  enabled: true
  interfaces: [$IFA]
  local_macs: ["$MACA"]
billing:
  state_dir: $STATE
  persist_interval: 1s
  plans:
    - name: dx-lab
      currency: USD
      port_fees: [{bandwidth: 1Gbps, hourly: 0.30}]
      egress: [{zone: eu-central-1, per_gb: 0.02}]
    - name: flat
      currency: USD
      unlimited: true
      port_fees: [{bandwidth: 1Gbps, monthly: 5000}]
circuits:
  - id: dx-lab
    provider: directconnect
    bandwidth: 1Gbps
    billing_plan: dx-lab
    links:
      primary:
        interface: $IFA
        peerings:
          - type: private
            vlan: 10
            neighbors: [{address: 198.18.1.2, asn: 65002}]
    billing:
      source: capture
      alternatives: [flat]
      budget: 100
YAML

cat > "$WORK/inject.py" <<'PY'
# inject.py IFNAME SRC DST VLAN COUNT SIZE — COUNT tagged frames of SIZE bytes
import socket, struct, sys, time
ifname, src, dst = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), bytes.fromhex(sys.argv[3].replace(":", ""))
vlan, count, size = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
hdr = dst + src + struct.pack("!HHH", 0x8100, vlan, 0x88b5)  # IEEE local experimental
for i in range(count):
    s.send(hdr + bytes(size - len(hdr)))
    if i % 10 == 9:
        time.sleep(0.002)  # paced: a loaded host must not drop them in the kernel
print(count * size)
PY
inB() { ip netns exec "$PEER" "$@"; }
from_cloud() { # from_cloud COUNT SIZE — the provider side sends to our MAC on VLAN 10
  inB python3 "$WORK/inject.py" "$IFB" "$MACB" "$MACA" 10 "$1" "$2"
}
to_cloud() { # to_cloud COUNT SIZE — we send to the provider side (free)
  inA python3 "$WORK/inject.py" "$IFA" "$MACA" "$MACB" 10 "$1" "$2"
}
metric() { # metric REGEX — the value of the first matching sample, or "none"
  local v
  v=$(inA curl -s "$base/metrics" | grep -E -m1 "^$1" | awk '{print $NF}')
  echo "${v:-none}"
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "none" && a + 0 >= b + 0) }'; }
cycle_egress() { metric 'circuitwatch_billing_cycle_bytes\{circuit="dx-lab",direction="ingress"\}'; }
cycle_to_cloud() { metric 'circuitwatch_billing_cycle_bytes\{circuit="dx-lab",direction="egress"\}'; }
is_egress() { [ "$(cycle_egress)" = "$1" ]; }
at_least() { ge "$(cycle_egress)" "$1"; }
start() { # ip netns exec execs the daemon: CW_PID is circuitwatch itself
  ip netns exec "$NS" "$CW_BIN" run --config "$WORK/cw.yaml" 2>>"$WORK/cw.log" &
  CW_PID=$!
  PIDS+=("$CW_PID")
  until_true 20 inA curl -sf -o /dev/null "$base/-/ready"
}

check "circuitwatch capturing and billing on $IFA" start
check "a fresh cycle starts at 0 bytes from the cloud" until_true 10 is_egress 0

# 0. our own traffic to the cloud is metered as to_cloud and not priced
T0=$(to_cloud 20 1000)
to_cloud_is() { [ "$(cycle_to_cloud)" = "$T0" ]; }
check "to_cloud: $T0 bytes metered" until_true 10 to_cloud_is
port_hours_only() { # cost == 0.30 USD x hours since the cycle started, nothing for bytes
  awk -v c="$(metric 'circuitwatch_billing_cycle_cost\{circuit="dx-lab",plan="dx-lab",currency="USD"\}')" \
      -v s="$(metric 'circuitwatch_billing_cycle_start_timestamp_seconds\{circuit="dx-lab"\}')" -v n="$(date +%s)" \
      'BEGIN { want = 0.30 * (n - s) / 3600; d = c - want; exit !(c != "none" && d < 0.001 && d > -0.001) }'
}
check "to_cloud bytes are free: the cost so far is the port-hours alone" port_hours_only

# 1. metered, persisted, then more bytes and a SIGKILL at once
B1=$(from_cloud 200 1000)
check "first batch metered: $B1 bytes" until_true 10 is_egress "$B1"
persisted() { [ -f "$STATE/billing-state.json" ] && grep -q "\"from_cloud_bytes\": $B1" "$STATE/billing-state.json"; }
check "first batch persisted to $STATE/billing-state.json" until_true 5 persisted
B2=$(from_cloud 50 1200)
kill -9 "$CW_PID"
wait "$CW_PID" 2>/dev/null
check "no temporary state file left behind" test -z "$(ls -A "$STATE" | grep -v '^billing-state.json$')"

# 2. restart on the same state; more bytes
check "restarted after SIGKILL" start
B3=$(from_cloud 300 700)
TRUTH=$((B1 + B2 + B3))
check "after the restart at least truth - last interval ($((TRUTH - B2)))" until_true 10 at_least $((TRUTH - B2))
sleep 2.5 # every pipeline step (capture publish, billing tick) has run since
final=$(cycle_egress)
echo "    truth $TRUTH (B1 $B1, B2 $B2 sent right before SIGKILL, B3 $B3); metered $final;" \
     "this run's capture saw $(metric "circuitwatch_vlan_bytes_total\\{interface=\"$IFA\",s_tag=\"\",c_tag=\"10\",direction=\"ingress\"\\}")," \
     "kernel drops $(metric "circuitwatch_capture_dropped_total\\{interface=\"$IFA\",where=\"kernel\"\\}")"
check "never above the ground truth ($final <= $TRUTH)" ge "$TRUTH" "$final"
check "never below truth minus one persist interval ($final >= $((TRUTH - B2)))" \
  ge "$final" $((TRUTH - B2))

# costs, projections, the alternative and break-even, budget, cycle bounds
has() { [ "$(metric "$1")" != none ]; }
check "cost so far in USD" has 'circuitwatch_billing_cycle_cost\{circuit="dx-lab",plan="dx-lab",currency="USD"\}'
check "linear projection" has 'circuitwatch_billing_projected_cost\{circuit="dx-lab",plan="dx-lab",currency="USD",method="linear"\}'
check "recent-rate projection" until_true 5 has 'circuitwatch_billing_projected_cost\{circuit="dx-lab",plan="dx-lab",currency="USD",method="recent"\}'
check "alternative plan cost (flat: its monthly fee)" \
  test "$(metric 'circuitwatch_billing_alternative_cost\{circuit="dx-lab",plan="flat",currency="USD"\}')" = 5000
check "break-even between dx-lab and flat" has 'circuitwatch_billing_break_even_bytes\{circuit="dx-lab",metered_plan="dx-lab",unlimited_plan="flat"\}'
check "budget ratio" has 'circuitwatch_billing_budget_ratio\{circuit="dx-lab"\}'
check "threshold 0.5 not crossed" test "$(metric 'circuitwatch_billing_budget_threshold_crossed\{circuit="dx-lab",threshold="0.5"\}')" = 0
start_ts=$(metric 'circuitwatch_billing_cycle_start_timestamp_seconds\{circuit="dx-lab"\}')
end_ts=$(metric 'circuitwatch_billing_cycle_end_timestamp_seconds\{circuit="dx-lab"\}')
now=$(date +%s)
check "the cycle holds now ($start_ts <= $now < $end_ts)" \
  awk -v a="$start_ts" -v n="$now" -v b="$end_ts" 'BEGIN { exit !(a + 0 <= n + 0 && n + 0 < b + 0) }'
check "state saves counted" ge "$(metric 'circuitwatch_billing_state_persists_total\{result="success"\}')" 1

# 3. SIGTERM saves at stop: a restart shows exactly the same total
kill -TERM "$CW_PID"
wait_exit "$CW_PID" 15
check "SIGTERM: clean exit" test "$RC" = 0
check "restarted after SIGTERM" start
check "nothing lost over a clean restart ($final)" until_true 5 is_egress "$final"

# 4. a corrupt state file: reported, kept aside, the daemon runs from zero
kill -TERM "$CW_PID"
wait_exit "$CW_PID" 15
printf '{"version": 1, "circuits": [{"id": "dx-lab", "cyc' > "$STATE/billing-state.json"
check "restarted on a corrupt state file" start
check "the corruption is logged" grep -q 'billing state unreadable' "$WORK/cw.log"
aside=$(ls "$STATE" | grep '^billing-state.json.corrupt-' | head -1)
check "the corrupt file is kept aside ($aside), untouched" \
  grep -q '"cyc$' "$STATE/$aside"
corrupt_is() { [ "$(metric 'circuitwatch_billing_state_corrupt_total')" = "$1" ]; }
check "corrupt state counted" until_true 5 corrupt_is 1
B4=$(from_cloud 10 500)
check "metering goes on from zero: $B4 bytes" until_true 10 is_egress "$B4"
check "a new state file written next to the kept one" until_true 5 \
  grep -q "\"from_cloud_bytes\": $B4" "$STATE/billing-state.json"
kill -TERM "$CW_PID"
wait_exit "$CW_PID" 15
check "SIGTERM: clean exit" test "$RC" = 0
finish
