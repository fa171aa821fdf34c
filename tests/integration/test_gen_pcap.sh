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
# ieee8021ad.id for an 802.1ad S-tag). Without tshark that part is skipped
# with a note. Every command runs under timeout.
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
  fi
}

run_case flap --flap
run_case dot1ad --flap --s-tpid 0x88a8 --sessions 3 --ipv4 300 --ipv6 100 --pack 7 --seed 7

# Same options and seed, same bytes.
timeout 60 "$GEN" --flap -o "$WORK/again.pcap" > /dev/null
check "same seed, same capture" cmp -s "$WORK/flap.pcap" "$WORK/again.pcap"

finish
