#!/usr/bin/env bash
# test_replay.sh — `circuitwatch replay` over captures written by
# tests/tools/gen_pcap, checked EXACTLY against the generator's summary:
#   - one session per TCP connection: endpoints, ASNs, state (the last
#     connection established, a flapped one down by the NOTIFICATION with
#     Cease/Administrative Reset), state changes, BGP messages by type per
#     side, Adj-RIB-In prefixes per side (IPv4, IPv6) of the established
#     one, TCP health: retransmissions and zero windows per side, the
#     handshake's two legs to the microsecond;
#   - messages by type in total, frames, VLANs with packets and bytes per
#     stack and direction (with --config giving the local MAC: egress and
#     ingress; without a config: direction unknown), no decode errors, no
#     gaps;
#   - the text summary says the same sessions;
#   - errors: a missing file, a file that is not a capture, a truncated
#     capture (summary of what was read, exit 1), bad --speed;
#   - --realtime --speed X takes at least the capture's duration / X;
#   - no progress bar when stderr is not a terminal, one when it is (run
#     under script(1) when installed);
#   - the daemon reading the same capture (capture.file) publishes the TCP
#     health metrics with the session labels and the generator's values.
source "$(dirname "$0")/lib.sh"

GEN=${CW_BUILD_DIR:-$(dirname "$CW_BIN")/..}/tests/gen_pcap
[ -x "$GEN" ] || skip "gen_pcap not built at $GEN"
need python3
need curl

# compare SUMMARY.json REPLAY.json DIRECTIONS(yes|no) — exact.
compare() {
  python3 - "$@" <<'PY'
import collections, json, sys

gen = json.load(open(sys.argv[1]))
rep = json.load(open(sys.argv[2]))
directions = sys.argv[3] == "yes"
bad = []

def want(cond, what):
    if not cond:
        bad.append(what)

types = ["OPEN", "UPDATE", "NOTIFICATION", "KEEPALIVE"]
by_conn = {(s["sides"][0]["address"], s["sides"][0]["port"]): s for s in rep["sessions"]}
want(len(rep["sessions"]) == sum(g["connections"] for g in gen["sessions"]),
     f"sessions: {len(rep['sessions'])}")
total = collections.Counter()
for g in gen["sessions"]:
    sent = collections.Counter()
    conns = g["connections"]
    for i, c in enumerate(g["tcp"]):
        s = by_conn.get((g["customer"], c["customer_port"]))
        if s is None:
            bad.append(f"no session {g['customer']}:{c['customer_port']}")
            continue
        name = f"{g['customer']}:{c['customer_port']}"
        a, b = s["sides"]
        want(b["address"] == g["provider"] and b["port"] == 179, f"{name}: provider side {b}")
        want(a["as"] == 65010 and b["as"] == 12076, f"{name}: ASNs {a['as']} {b['as']}")
        want(s["hold_time"] == 90 and not s["mid_session"], f"{name}: hold/mid-session")
        last = i == conns - 1
        if last:
            want(s["state"] == "established" and s["state_changes"] == 1, f"{name}: state {s['state']}")
            for side, who in ((a, "customer"), (b, "provider")):
                p = side["prefixes"]
                want(p == {"ipv4": g[who + "_sent"]["ipv4"] // conns,
                           "ipv6": g[who + "_sent"]["ipv6"] // conns},
                     f"{name}: {who} prefixes {p}")
        else:
            want(s["state"] == "down" and s["down_reason"] == "notification"
                 and s["notification"] == {"code": 6, "subcode": 4}
                 and s["state_changes"] == 2, f"{name}: flapped state {s['state']}")
            want(a["prefixes"] is None and b["prefixes"] is None, f"{name}: prefixes when down")
        for side, who in ((a, "customer"), (b, "provider")):
            for k in ("retransmissions", "zero_windows"):
                want(side["tcp"][k] == c[k][who], f"{name}: {who} {k} {side['tcp'][k]} != {c[k][who]}")
            for t in types:
                sent[(who, t)] += side["messages"][t]
                total[t] += side["messages"][t]
        hs = s["tcp"]
        legs = (round(hs["syn_synack"] * 1e6), round(hs["synack_ack"] * 1e6))
        want(legs == (c["handshake_us"]["syn_synack"], c["handshake_us"]["synack_ack"]),
             f"{name}: handshake legs {legs} != {c['handshake_us']}")
        want(round(hs["handshake_rtt"] * 1e6) == sum(legs), f"{name}: handshake rtt")
    for who in ("customer", "provider"):
        for t in types:
            want(sent[(who, t)] == g[who + "_sent"][t],
                 f"{g['customer']} {who} {t}: {sent[(who, t)]} != {g[who + '_sent'][t]}")
for t in types:
    want(rep["messages_by_type"][t] == total[t], f"total {t}")
want(rep["bgp_messages"] == sum(total.values()), "bgp_messages")
want(rep["frames"] == gen["frames"], f"frames {rep['frames']} != {gen['frames']}")
want(rep["complete"] is True and rep["error"] is None, "complete")
want(rep["decode_errors"] == {}, f"decode errors {rep['decode_errors']}")
want(rep["reassembly"]["gaps"] == 0 and rep["reassembly"]["framing_lost"] == 0, "gaps")
want(rep["sessions_omitted"] == 0, "omitted")
got = collections.Counter()
for v in rep["vlans"]:
    stack = ",".join(str(x) for x in (v["s_tag"], v["c_tag"]) if x is not None)
    got[(stack, v["direction"], "frames")] += v["packets"]
    got[(stack, v["direction"], "bytes")] += v["bytes"]
exp = collections.Counter()
names = {"c2p": "egress", "p2c": "ingress"}
for g in gen["sessions"]:
    for what in ("frames", "bytes"):
        for d, n in g[what].items():
            exp[(g["vids"], names[d] if directions else "unknown", what)] += n
want(got == exp, f"vlans {sorted(got.items())} != {sorted(exp.items())}")
for b in bad[:20]:
    print("  ", b)
print(f"  {len(rep['sessions'])} sessions, {sum(total.values())} messages, "
      f"{len(rep['vlans'])} VLAN rows compared; {len(bad)} differences")
sys.exit(1 if bad else 0)
PY
}

cat > "$WORK/local.yaml" <<'YAML'
capture:
  local_macs: ["02:00:00:00:00:01"]
YAML

run_case() { # run_case NAME DIRECTIONS CONFIG-ARGS -- GEN-OPTIONS...
  local name=$1 dirs=$2; shift 2
  local cfg=()
  while [ "$1" != -- ]; do cfg+=("$1"); shift; done
  shift
  local pcap=$WORK/$name.pcap sum=$WORK/$name.gen.json
  if ! timeout 60 "$GEN" "$@" -o "$pcap" > "$sum"; then
    bad "$name: gen_pcap $* failed"
    return
  fi
  timeout 120 "$CW_BIN" replay "${cfg[@]}" --json "$pcap" > "$WORK/$name.json" 2> "$WORK/$name.err"
  check "$name: replay --json exits 0" [ $? -eq 0 ]
  check "$name: nothing on stderr (no progress bar when not a terminal)" \
    [ ! -s "$WORK/$name.err" ]
  check "$name: replay --json equals the generator's ground truth" \
    compare "$sum" "$WORK/$name.json" "$dirs"
}

run_case tcp_health yes --config "$WORK/local.yaml" -- \
  --sessions 2 --ipv4 400 --ipv6 80 --customer 5 --data 40 --zero-windows 3 --rtt 2500 --seed 5
run_case flap yes --config "$WORK/local.yaml" -- \
  --flap --s-tpid 0x88a8 --sessions 3 --ipv4 200 --ipv6 50 --pack 7 --zero-windows 1 --seed 7
run_case no_config no -- --sessions 1 --ipv4 100 --ipv6 20 --data 10 --seed 9
# Direction from local_prefixes alone, decided by the 65th and later
# entries (64 that match nothing first): all of them count (issue 12 item
# 12c; the first 64 only were kept, the rest went to "unknown").
{
  echo "capture:"
  echo "  local_prefixes:"
  for i in $(seq 0 63); do echo "    - 10.$i.0.0/16"; done
  for s in 1 2 3; do echo "    - 198.18.$s.1/32"; done
} > "$WORK/prefixes.yaml"
run_case local_prefixes_65th yes --config "$WORK/prefixes.yaml" -- \
  --sessions 3 --ipv4 50 --ipv6 10 --data 30 --seed 13

# The text summary lists the same connections.
timeout 60 "$CW_BIN" replay --config "$WORK/local.yaml" "$WORK/flap.pcap" > "$WORK/flap.txt" 2>&1
check "text summary exits 0" [ $? -eq 0 ]
check "text summary: 6 sessions, 3 flapped down by a NOTIFICATION" \
  bash -c "grep -q '^sessions (6):' '$WORK/flap.txt' &&
           [ \$(grep -c 'down by notification (code 6 subcode 4)' '$WORK/flap.txt') -eq 3 ] &&
           [ \$(grep -c ': established, 1 state changes' '$WORK/flap.txt') -eq 3 ] &&
           grep -q 'handshake RTT' '$WORK/flap.txt' && grep -q '^vlans (6):' '$WORK/flap.txt'"

# ---- errors ----
timeout 20 "$CW_BIN" replay --json "$WORK/nonexistent.pcap" > "$WORK/e1.out" 2> "$WORK/e1.err"
rc=$?
check "missing file: exit 2, says so, no summary" \
  bash -c "[ $rc -eq 2 ] && grep -q 'No such file' '$WORK/e1.err' && [ ! -s '$WORK/e1.out' ]"

printf 'this is not a capture file\n%.0s' $(seq 1 50) > "$WORK/text.pcap"
timeout 20 "$CW_BIN" replay "$WORK/text.pcap" > "$WORK/e2.out" 2> "$WORK/e2.err"
rc=$?
check "not a capture: exit 2 with a clear message" \
  bash -c "[ $rc -eq 2 ] && grep -q 'not a readable pcap/pcapng capture' '$WORK/e2.err'"

size=$(stat -c %s "$WORK/tcp_health.pcap")
head -c $((size * 2 / 3 + 7)) "$WORK/tcp_health.pcap" > "$WORK/cut.pcap"
timeout 60 "$CW_BIN" replay --json "$WORK/cut.pcap" > "$WORK/e3.out" 2> "$WORK/e3.err"
rc=$?
check "truncated capture: exit 1, the error names it, the summary of what was read" \
  python3 - "$rc" "$WORK/e3.out" "$WORK/e3.err" "$WORK/tcp_health.gen.json" <<'PY'
import json, sys
rc, out, err, gen = int(sys.argv[1]), sys.argv[2], open(sys.argv[3]).read(), json.load(open(sys.argv[4]))
j = json.load(open(out))
ok = (rc == 1 and "damaged after" in err and "truncated" in err and j["complete"] is False
      and "truncated" in j["error"] and 0 < j["frames"] < gen["frames"])
print("  rc", rc, "frames", j["frames"], "of", gen["frames"], "stderr:", err.strip()[:160])
sys.exit(0 if ok else 1)
PY

timeout 20 "$CW_BIN" replay --realtime --speed 0 "$WORK/flap.pcap" > /dev/null 2> "$WORK/e4.err"
rc=$?
check "--speed 0 is refused" bash -c "[ $rc -eq 2 ] && grep -q -- '--speed must be' '$WORK/e4.err'"
timeout 20 "$CW_BIN" decode --json "$WORK/flap.pcap" > /dev/null 2> "$WORK/e5.err"
rc=$?
check "--json outside replay is refused" bash -c "[ $rc -eq 2 ] && grep -q 'options of replay' '$WORK/e5.err'"

# ---- --realtime: at least the capture's duration / speed ----
timeout 60 "$GEN" --sessions 1 --ipv4 20 --ipv6 5 --data 5 --seed 3 -o "$WORK/short.pcap" > /dev/null
dur=$("$CW_BIN" replay --json "$WORK/short.pcap" | python3 -c 'import json,sys; print(json.load(sys.stdin)["duration"])')
speed=40
t0=$(date +%s.%N)
timeout 120 "$CW_BIN" replay --realtime --speed $speed --json "$WORK/short.pcap" > "$WORK/rt.json" 2> "$WORK/rt.err"
rc=$?
t1=$(date +%s.%N)
check "--realtime --speed $speed of a ${dur} s capture takes at least $dur/$speed s (took $(python3 -c "print(round($t1-$t0,2))") s)" \
  python3 -c "import sys; sys.exit(0 if $rc == 0 and $t1 - $t0 >= $dur / $speed and $t1 - $t0 < $dur / $speed + 30 else 1)"
check "--realtime gives the same summary" \
  python3 -c "import json,sys; a=json.load(open('$WORK/rt.json')); sys.exit(0 if a['frames'] > 0 and a['sessions'][0]['state'] == 'established' else 1)"

# ---- progress bar on a terminal only ----
if command -v script >/dev/null; then
  timeout 60 script -qec "'$CW_BIN' replay --json '$WORK/flap.pcap' 2>'$WORK/tty.err' >/dev/null" /dev/null > /dev/null
  check "no progress bar with stderr redirected to a file, even under a terminal" [ ! -s "$WORK/tty.err" ]
  timeout 60 script -qec "'$CW_BIN' replay --json '$WORK/flap.pcap' >'$WORK/tty.out'" "$WORK/tty.log" > /dev/null
  check "a progress bar on a terminal's stderr, stdout still the JSON summary" \
    bash -c "grep -q 'frames/s' '$WORK/tty.log' && grep -q '100%' '$WORK/tty.log' &&
             python3 -c 'import json; json.load(open(\"$WORK/tty.out\"))'"
else
  echo "note: script(1) not installed; the terminal case is skipped"
fi

# ---- the daemon over the same capture: the TCP health metrics ----
port=$(free_port)
cat > "$WORK/daemon.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$port"}
bmp: {enabled: false}
capture:
  enabled: true
  file: $WORK/tcp_health.pcap
  local_macs: ["02:00:00:00:00:01"]
YAML
start_cw "$WORK/daemon.log" run --config "$WORK/daemon.yaml"
check "daemon serves /metrics" wait_http "http://127.0.0.1:$port/-/ready"
metrics_done() {
  curl -s "http://127.0.0.1:$port/metrics" > "$WORK/metrics.txt" &&
    [ "$(grep -c '^circuitwatch_bgp_tcp_handshake_rtt_seconds{' "$WORK/metrics.txt")" -eq 4 ]
}
check "the daemon publishes the TCP health of the file's sessions" until_true 30 metrics_done
check "TCP health metrics equal the generator's, with the session labels and source=pcap" \
  python3 - "$WORK/metrics.txt" "$WORK/tcp_health.gen.json" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
gen = json.load(open(sys.argv[2]))
series = {}
for m in re.finditer(r'^(circuitwatch_bgp_tcp_\w+)\{([^}]*)\} (\S+)$', text, re.M):
    labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
    series[(m.group(1), labels["peer"])] = (labels, float(m.group(3)))
bad = 0
for g in gen["sessions"]:
    c = g["tcp"][-1]
    for who in ("customer", "provider"):
        addr = g[who]
        for fam, key in (("circuitwatch_bgp_tcp_retransmissions_total", "retransmissions"),
                         ("circuitwatch_bgp_tcp_zero_windows_total", "zero_windows")):
            labels, v = series.get((fam, addr), ({}, None))
            if v != c[key][who] or labels.get("source") != "pcap" or \
               labels.get("peer_as") != ("65010" if who == "customer" else "12076"):
                print("  ", fam, addr, labels, v, "want", c[key][who]); bad = 1
        _, rtt = series.get(("circuitwatch_bgp_tcp_handshake_rtt_seconds", addr), ({}, None))
        legs = c["handshake_us"]["syn_synack"] + c["handshake_us"]["synack_ack"]
        if rtt is None or round(rtt * 1e6) != legs:
            print("  handshake", addr, rtt, "want", legs / 1e6); bad = 1
print(f"  {len(series)} TCP health series checked")
sys.exit(bad)
PY
kill -TERM "$CW_PID"
wait_exit "$CW_PID" 20
check "daemon stops cleanly (exit $RC)" [ "$RC" = 0 ]

finish
