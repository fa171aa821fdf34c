#!/usr/bin/env bash
# test_gen_pcap.sh — captures written by tests/tools/gen_pcap (BGP over
# QinQ and 802.1Q, messages split across segments, retransmitted and
# reordered segments, a session flap, background traffic) decoded straight
# from the pcap by `circuitwatch decode`, compared EXACTLY with the
# generator's summary line:
#   - BGP messages by type (OPEN, UPDATE, KEEPALIVE, NOTIFICATION) per
#     sender, i.e. per session and direction (src/dst addresses; the
#     ephemeral port changes with the flap);
#   - announced IPv4 and IPv6 prefixes per sender (the "announced" lists);
#   - no error lines, no message with errors.
# When tshark is installed it is cross-checked too: BGP messages by type
# (with out-of-order reassembly on, which tshark leaves off by default),
# and frames and bytes per VLAN stack and direction (vlan.id, plus
# ieee8021ad.id for an 802.1ad S-tag), and TCP health per connection and
# sender (compare_tshark_tcp below: zero windows and the handshake RTT
# exactly; retransmissions through the union of tshark's flags, because
# tshark classifies by timing where we classify by content). Without
# tshark that part is skipped with a note. Every command runs under
# timeout.
source "$(dirname "$0")/lib.sh"

GEN=${CW_BUILD_DIR:-$(dirname "$CW_BIN")/..}/tests/gen_pcap
[ -x "$GEN" ] || skip "gen_pcap not built at $GEN"
need python3

# compare NAME SUMMARY.json DECODE.out — exact decoder counts vs the summary.
compare_decode() {
  python3 - "$2" "$3" <<'PY'
import collections, json, sys

summary = json.loads(open(sys.argv[1]).read())
got = collections.Counter()
errors = []
for line in open(sys.argv[2]):
    j = json.loads(line)
    if "type" not in j or j.get("errors"):
        errors.append(line.strip()[:200])
        continue
    src = j["src"].rsplit(":", 1)[0]
    dst = j["dst"].rsplit(":", 1)[0]
    got[(src, dst, j["type"])] += 1
    for p in j.get("announced", []):
        got[(src, dst, "ipv6" if ":" in str(p) else "ipv4")] += 1

want = collections.Counter()
for s in summary["sessions"]:
    for side, other in (("customer", "provider"), ("provider", "customer")):
        for k, v in s[side + "_sent"].items():
            if v:
                want[(s[side], s[other], k)] = v
bad = 0
for k in sorted(set(got) | set(want)):
    if got[k] != want[k]:
        print(f"  {k[0]} -> {k[1]} {k[2]}: decoded {got[k]}, generated {want[k]}")
        bad = 1
for e in errors[:5]:
    print("  error line:", e)
print(f"  {sum(v for k, v in got.items() if k[2].isupper())} messages, "
      f"{sum(v for k, v in got.items() if k[2].startswith('ipv'))} prefixes compared")
sys.exit(1 if bad or errors else 0)
PY
}

# tshark's BGP message count by type equals the summary's totals.
compare_tshark_bgp() {
  timeout 120 tshark -o tcp.reassemble_out_of_order:TRUE -r "$1" -Y bgp -T fields \
    -e bgp.type 2>/dev/null > "$WORK/tshark_bgp.txt" || return 1
  python3 - "$2" "$WORK/tshark_bgp.txt" <<'PY'
import collections, json, sys

summary = json.loads(open(sys.argv[1]).read())
names = {"1": "OPEN", "2": "UPDATE", "3": "NOTIFICATION", "4": "KEEPALIVE"}
got = collections.Counter()
for line in open(sys.argv[2]):
    for t in line.strip().split(","):
        if t:
            got[names.get(t, t)] += 1
want = collections.Counter()
for s in summary["sessions"]:
    for side in ("customer_sent", "provider_sent"):
        for k in names.values():
            want[k] += s[side][k]
print("  tshark:", dict(got), "generated:", dict(want))
sys.exit(0 if got == want else 1)
PY
}

# tshark's frames and bytes per VLAN stack and direction equal the summary's.
compare_tshark_vlans() {
  timeout 120 tshark -r "$1" -T fields -e ieee8021ad.id -e vlan.id \
    -e eth.src -e frame.len 2>/dev/null > "$WORK/tshark_vlan.txt" || return 1
  python3 - "$2" "$WORK/tshark_vlan.txt" <<'PY'
import collections, json, sys

summary = json.loads(open(sys.argv[1]).read())
dirs = {"02:00:00:00:00:01": "c2p", "02:00:00:00:00:02": "p2c"}
got = collections.Counter()
for line in open(sys.argv[2]):
    ad, vlan, src, length = line.rstrip("\n").split("\t")
    stack = ",".join(x for x in (ad, vlan) if x)
    got[(stack, dirs.get(src, src), "frames")] += 1
    got[(stack, dirs.get(src, src), "bytes")] += int(length)
want = collections.Counter()
for s in summary["sessions"]:
    for what in ("frames", "bytes"):
        for d, v in s[what].items():
            want[(s["vids"], d, what)] += v
bad = 0
for k in sorted(set(got) | set(want)):
    if got[k] != want[k]:
        print(f"  stack {k[0]} {k[1]} {k[2]}: tshark {got[k]}, generated {want[k]}")
        bad = 1
print(f"  {len(want) // 2} stack/direction pairs compared")
sys.exit(bad)
PY
}

# TCP health per connection and sender against tshark's analysis:
#  - zero windows: tcp.analysis.zero_window equals the generator's count
#    (tshark's rule is ours: window 0, no SYN/FIN/RST);
#  - handshake: tcp.analysis.initial_rtt (SYN to the ACK of the SYN-ACK)
#    equals the generator's two legs summed, to the microsecond;
#  - retransmissions: tshark's notion disagrees with ours and with the
#    generator's, so no one-to-one count is compared. tshark marks a data
#    segment behind the highest sequence seen as a retransmission (or fast/
#    spurious retransmission) only when it comes later than a reordering
#    threshold (the initial RTT, else 3 ms) after the previous segment, and
#    as out-of-order otherwise (Wireshark issues 13843, 13863); a 1-byte one
#    just behind it is a keep-alive. It cannot tell a late copy of old
#    bytes from new bytes arriving late. circuitwatch counts by content:
#    every byte already seen is a retransmission, new bytes behind a hole
#    are reordering (reasm.h). What must agree exactly is the union: data
#    segments tshark flags with any of those five equal the generator's
#    retransmissions plus its reordered pairs (each swap puts one segment
#    behind); that the retransmissions alone are ours is checked exactly by
#    unit_capture_source and test_replay.sh.
compare_tshark_tcp() {
  timeout 120 tshark -r "$1" -Y "tcp.port == 179" -T fields -e ip.src -e tcp.srcport \
    -e tcp.dstport -e tcp.len -e tcp.analysis.retransmission \
    -e tcp.analysis.fast_retransmission -e tcp.analysis.spurious_retransmission \
    -e tcp.analysis.out_of_order -e tcp.analysis.keep_alive -e tcp.analysis.zero_window \
    -e tcp.analysis.initial_rtt -e tcp.flags.syn 2>/dev/null > "$WORK/tshark_tcp.txt" || return 1
  python3 - "$2" "$WORK/tshark_tcp.txt" <<'PY'
import collections, json, sys

summary = json.loads(open(sys.argv[1]).read())
behind = collections.Counter()  # (customer port, sender): flagged data segments
zero = collections.Counter()
irtt = {}
for line in open(sys.argv[2]):
    src, sport, dport, ln, rt, frt, srt, ooo, ka, zw, rtt, syn = line.rstrip("\n").split("\t")
    port = int(dport) if sport == "179" else int(sport)
    who = "provider" if sport == "179" else "customer"
    if int(ln or 0) > 0 and any((rt, frt, srt, ooo, ka)):
        behind[(port, who)] += 1
    if zw:
        zero[(port, who)] += 1
    if rtt and syn != "1" and port not in irtt:
        irtt[port] = round(float(rtt) * 1e6)
bad = 0
n = 0
for s in summary["sessions"]:
    for c in s["tcp"]:
        p = c["customer_port"]
        for who in ("customer", "provider"):
            want = c["retransmissions"][who] + c["reordered"][who]
            if behind[(p, who)] != want or zero[(p, who)] != c["zero_windows"][who]:
                print(f"  port {p} {who}: tshark behind {behind[(p, who)]} zero windows "
                      f"{zero[(p, who)]}; generated retransmitted+reordered {want} "
                      f"zero windows {c['zero_windows'][who]}")
                bad = 1
        legs = c["handshake_us"]["syn_synack"] + c["handshake_us"]["synack_ack"]
        if irtt.get(p) != legs:
            print(f"  port {p}: tshark initial RTT {irtt.get(p)} us, generated {legs} us")
            bad = 1
        n += 1
print(f"  {n} connections compared")
sys.exit(bad)
PY
}

have_tshark=0
command -v tshark >/dev/null && have_tshark=1
[ "$have_tshark" = 1 ] || echo "note: tshark not installed; tshark cross-checks skipped"

run_case() { # run_case NAME GEN-OPTIONS...
  local name=$1; shift
  local pcap=$WORK/$name.pcap sum=$WORK/$name.json out=$WORK/$name.out
  if ! timeout 60 "$GEN" "$@" -o "$pcap" > "$sum"; then
    bad "$name: gen_pcap $* failed"
    return
  fi
  echo "  summary: $(head -c 400 "$sum")..."
  timeout 120 "$CW_BIN" decode "$pcap" > "$out" 2> "$WORK/$name.err"
  check "$name: decode exits 0" [ $? -eq 0 ]
  check "$name: decoded messages and prefixes per session equal the generator's" \
    compare_decode "$name" "$sum" "$out"
  if [ "$have_tshark" = 1 ]; then
    check "$name: tshark BGP messages by type agree" compare_tshark_bgp "$pcap" "$sum"
    check "$name: tshark frames and bytes per VLAN stack and direction agree" \
      compare_tshark_vlans "$pcap" "$sum"
    check "$name: tshark TCP health (zero windows, initial RTT, segments behind) agrees" \
      compare_tshark_tcp "$pcap" "$sum"
  fi
}

run_case flap --flap
run_case dot1ad --flap --s-tpid 0x88a8 --sessions 3 --ipv4 300 --ipv6 100 --pack 7 --seed 7
run_case tcp_health --sessions 2 --ipv4 500 --ipv6 100 --zero-windows 3 --rtt 2500 --seed 11

# Same options and seed, same bytes.
timeout 60 "$GEN" --flap -o "$WORK/again.pcap" > /dev/null
check "same seed, same capture" cmp -s "$WORK/flap.pcap" "$WORK/again.pcap"

finish
