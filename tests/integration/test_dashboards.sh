#!/usr/bin/env bash
# Grafana dashboards and Prometheus rules (dashboards/):
#  1. promtool check rules and promtool test rules pass, and the unit tests
#     have a firing and a not-firing case for every alerting rule;
#  2. every dashboard is valid JSON with the schema bits, the datasource /
#     circuit / link variables and ${datasource} on every panel, target and
#     annotation, and its links (dashboard and data links) point at the four;
#     every circuitwatch_* metric named by a dashboard or a rule is in the
#     Metrics reference (docs/metrics.md) and in the daemon's code, and every
#     circuitwatch:* series they name is a recording rule;
#  3. end to end (root: it makes a network namespace): a real Prometheus
#     scrapes two collectors fed with generated data — BMP (gen_bmp_table,
#     bmp_replay and a few hand-made messages), a generated capture file,
#     interface counters (lo and a veth), ICMP, STAMP and TCP probes, billing
#     with a plan and a budget, and a live capture on the veth — and loads the
#     rules; then every panel expression, every variable query, every
#     recording rule and every selector of every alerting rule is queried
#     through the HTTP API and must return data (see docs/dashboards.md,
#     "Testing them", for how alert expressions are checked); every annotation
#     must be a valid query (empty while nothing happened).
source "$(dirname "$0")/lib.sh"
need promtool; need python3; need curl
python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml not installed (run deploy/install-deps.sh)"
D=$CW_SOURCE_DIR/dashboards

# --- 1. the rules ----------------------------------------------------------
promtool check rules "$D/prometheus/alerts.yml" "$D/prometheus/recording.yml" >"$WORK/check" 2>&1
check "promtool check rules: alerts.yml and recording.yml" test $? = 0
grep -q FAILED "$WORK/check" && cat "$WORK/check"
(cd "$D/prometheus" && promtool test rules tests/*.yml) >"$WORK/unit" 2>&1
check "promtool test rules: every unit test passes" test $? = 0
grep -q FAILED "$WORK/unit" && cat "$WORK/unit"

# --- 2. static checks of the dashboards and of the metric names --------------
mkdir -p "$WORK/regen"
(python3 "$D/grafana/dashboards/generate.py" "$WORK/regen" &&
  for f in "$WORK"/regen/*.json; do cmp -s "$f" "$D/grafana/dashboards/${f##*/}" || exit 1; done)
check "the dashboard JSON files are generate.py's output (edit the script, then run it)" test $? = 0
WORK="$WORK" python3 - "$CW_SOURCE_DIR" <<'PY' >"$WORK/static" 2>&1
import glob, json, os, re, sys, yaml
src = sys.argv[1]
D = f"{src}/dashboards"
def need(cond, what):
    print(("ok   - " if cond else "FAIL - ") + what)
    return cond

# every alerting rule: a firing and a not-firing unit case
alerts = [r["alert"] for g in yaml.safe_load(open(f"{D}/prometheus/alerts.yml"))["groups"]
          for r in g["rules"] if "alert" in r]
fires, quiet = set(), set()
for f in glob.glob(f"{D}/prometheus/tests/*.yml"):
    for t in yaml.safe_load(open(f)).get("tests", []):
        for c in t.get("alert_rule_test", []):
            (fires if c.get("exp_alerts") else quiet).add(c["alertname"])
for a in alerts:
    need(a in fires and a in quiet, f"unit tests: {a} has a firing and a not-firing case")

DS = {"type": "prometheus", "uid": "${datasource}"}
names = ["circuits-overview", "bgp-sessions", "link-detail", "billing"]
exprs = []   # (where, expression)
events = []  # (where, expression) of the annotations
uids = set()
for n in names:
    path = f"{D}/grafana/dashboards/{n}.json"
    if not need(os.path.exists(path), f"{n}.json exists"):
        continue
    try:
        d = json.load(open(path))
    except ValueError as e:
        need(False, f"{n}.json is valid JSON ({e})")
        continue
    need(d.get("schemaVersion") == 39, f"{n}: schemaVersion 39")
    need(bool(d.get("uid")) and d["uid"] not in uids and len(d["uid"]) <= 40,
         f"{n}: a unique uid ({d.get('uid')})")
    uids.add(d.get("uid"))
    need(bool(d.get("title")) and d.get("id") is None, f"{n}: a title and no database id")
    v = {x["name"]: x for x in d.get("templating", {}).get("list", [])}
    need(v.get("datasource", {}).get("type") == "datasource"
         and v["datasource"].get("query") == "prometheus",
         f"{n}: a datasource variable of type datasource (prometheus)")
    for var in ("circuit", "link"):
        x = v.get(var, {})
        q = x.get("query", {}).get("query") if isinstance(x.get("query"), dict) else x.get("query")
        ok = (x.get("type") == "query" and x.get("datasource") == DS
              and re.match(r"label_values\(circuitwatch_\w+(\{[^}]*\})?, *" + var + r"\)$", q or "")
              and x.get("includeAll") and x.get("allValue") == ".*")
        need(bool(ok), f"{n}: variable {var} from label_values(..., {var}), All = .*")
        if q:
            exprs.append((f"{n} variable {var}", q))
    # no datasource named by uid anywhere but through the variable
    bad = []
    def walk(o, where):
        if isinstance(o, dict):
            for k, val in o.items():
                if k == "datasource" and val not in (DS, {"type": "grafana", "uid": "-- Grafana --"}):
                    bad.append(f"{where}: {val}")
                walk(val, where)
        elif isinstance(o, list):
            for i in o:
                walk(i, where)
    walk(d, n)
    need(not bad, f"{n}: every datasource is ${{datasource}} {bad[:3]}")
    for a in d.get("annotations", {}).get("list", []):
        if a.get("expr"):   # events: valid, but empty while none happened
            need(a.get("datasource") == DS, f"{n}: annotation '{a.get('name')}' on ${{datasource}}")
            events.append((f"{n} annotation '{a.get('name')}'", a["expr"]))
    panels = []
    for p in d.get("panels", []):
        panels.append(p)
        panels.extend(p.get("panels", []))
    real = [p for p in panels if p.get("type") != "row"]
    need(len(real) >= 6, f"{n}: {len(real)} panels")
    for p in real:
        t = p.get("targets", [])
        ok = p.get("datasource") == DS and t and all(x.get("datasource") == DS and x.get("expr")
                                                    for x in t)
        need(bool(ok), f"{n}: panel '{p.get('title')}' has targets, all on ${{datasource}}")
        for x in t:
            exprs.append((f"{n} / {p.get('title')} / {x.get('refId')}", x.get("expr", "")))
open(os.environ["WORK"] + "/exprs.json", "w").write(json.dumps(exprs))
# links between the dashboards (the dashboard links and the panels' data
# links) name the uid of one of them
targets = []
for n in names:
    d = json.load(open(f"{D}/grafana/dashboards/{n}.json"))
    targets += [(n, l.get("url", "")) for l in d.get("links", []) if l.get("type") == "link"]
    for p in d.get("panels", []):
        for l in p.get("fieldConfig", {}).get("defaults", {}).get("links", []):
            targets.append((f"{n} / {p.get('title')}", l.get("url", "")))
need(len(targets) >= 10, f"{len(targets)} links between the dashboards")
for where, url in targets:
    m = re.match(r"/d/([\w-]+)", url)
    need(bool(m) and m.group(1) in uids, f"{where}: link to a circuitwatch dashboard ({url[:60]})")
open(os.environ["WORK"] + "/events.json", "w").write(json.dumps(events))

# metric names: dashboards and rules
rules = []
for f in ("alerts.yml", "recording.yml"):
    for g in yaml.safe_load(open(f"{D}/prometheus/{f}"))["groups"]:
        for r in g["rules"]:
            rules.append(r)
records = {r["record"] for r in rules if "record" in r}
texts = [e for _, e in exprs + events] + [r["expr"] for r in rules]
metrics = set(); recs = set()
for t in texts:
    metrics |= set(re.findall(r"(?<![\w:])circuitwatch_[a-z0-9_]+", t))
    recs |= set(re.findall(r"(?<![\w:])circuitwatch:[a-z0-9_:]+", t))
metrics_doc = open(f"{src}/docs/metrics.md").read()
m = re.search(r"^## Metrics reference$(.*)", metrics_doc, re.M | re.S)
ref = m.group(1) if m else ""
code = ""
for f in glob.glob(f"{src}/collector/**/*.c", recursive=True) + \
         glob.glob(f"{src}/exporters/**/*.c", recursive=True):
    code += open(f, errors="replace").read()
def family(name, text, quoted):
    cands = [name] + [name[: -len(s)] for s in ("_bucket", "_sum", "_count") if name.endswith(s)]
    for c in cands:
        if (f'"{c}"' in text) if quoted else re.search(r"`" + re.escape(c) + r"[`{]", text):
            return True
    return False
need(len(metrics) > 50, f"{len(metrics)} circuitwatch_* metrics named by dashboards and rules")
for name in sorted(metrics):
    need(family(name, ref, False), f"{name}: in the Metrics reference (docs/metrics.md)")
    need(family(name, code, True), f"{name}: exported by the daemon (collector/, exporters/)")
for r in sorted(recs):
    need(r in records, f"{r}: a recording rule in recording.yml")
PY
cat "$WORK/static"
PASSED=$((PASSED + $(grep -c '^ok' "$WORK/static")))
FAILED=$((FAILED + $(grep -c '^FAIL' "$WORK/static")))
grep -q '^Traceback' "$WORK/static" && bad "static checks raised an exception"

# --- 3. end to end: a real Prometheus scrapes generated data -------------------
[ -s "$WORK/exprs.json" ] || finish
if [ "$(id -u)" != 0 ]; then
  [ "$FAILED" -eq 0 ] || finish
  skip "static checks passed ($PASSED); the end-to-end part needs root (a network namespace)"
fi
need prometheus; need ip
BUILD=${CW_BUILD_DIR:?CW_BUILD_DIR is not set (run through ctest)}
for t in gen_bmp_table bmp_replay gen_pcap; do
  [ -x "$BUILD/tests/$t" ] || skip "$BUILD/tests/$t not built"
done
NS=cwdb-$$ V=cwdb$$ VP=cwdb$$p
netns_add "$NS"
trap 'cleanup; ip netns del "$NS" 2>/dev/null; ip link del "$V" 2>/dev/null' EXIT
trap 'exit 143' INT TERM
in_ns() { ip netns exec "$NS" "$@"; }
# the end-to-end steps build on each other: stop at the first failure
stop_if_failed() {
  [ "$FAILED" -eq 0 ] && return 0
  tail -n 5 "$WORK"/cw*.log "$WORK/prometheus.log" 2>/dev/null
  finish
}
# the secondary link: a veth into the namespace (198.19.177.0/30), the far
# end of its probes in there
ip link add "$V" type veth peer name "$VP" && ip link set "$VP" netns "$NS" &&
  ip addr add 198.19.177.1/30 dev "$V" && ip link set "$V" up &&
  in_ns ip addr add 198.19.177.2/30 dev "$VP" && in_ns ip link set "$VP" up &&
  in_ns ip link set lo up || skip "cannot create a veth pair"

G=$WORK/gen
mkdir -p "$G" "$WORK/state"
# Microsoft's edges on the private peering of both links, and a Microsoft
# peering session that goes down with a NOTIFICATION (Cease)
"$BUILD/tests/gen_bmp_table" --ipv4 300 --ipv6 50 --sets 40 --peer-as 12076 \
  --peer-addr 198.18.10.2 -o "$G/primary.bmp" >/dev/null
"$BUILD/tests/gen_bmp_table" --ipv4 300 --ipv6 50 --sets 40 --peer-as 12076 --seed 2 \
  --peer-addr 198.18.10.6 -o "$G/secondary.bmp" >/dev/null
"$BUILD/tests/gen_bmp_table" --ipv4 20 --ipv6 0 --sets 4 --peer-as 12076 --seed 3 \
  --peer-addr 198.18.20.2 --peer-down -o "$G/msdown.bmp" >/dev/null
# what gen_bmp_table does not write: Statistics Reports, our Adj-RIB-Out
# (RFC 8671) towards the primary's neighbour, an UPDATE with a bad ORIGIN
# (RFC 7606 treat-as-withdraw) and Route Monitoring without a Peer Up
python3 - "$G/extra.bmp" <<'PY'
import socket, struct, sys
def peer_hdr(addr, asn, flags=0):   # RFC 7854 §4.2, global instance peer
    a = socket.inet_aton(addr)
    return struct.pack("!BB8s12s4sI4sII", 0, flags, b"\0" * 8, b"\0" * 12, a, asn, a, 0, 0)
def bmp(mtype, body):               # RFC 7854 §4.1
    return struct.pack("!BIB", 3, 6 + len(body), mtype) + body
def update(attrs, nlri):            # RFC 4271 §4.3
    body = struct.pack("!HH", 0, len(attrs)) + attrs + nlri
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), 2) + body
def attrs(origin, nexthop, asn):    # ORIGIN, AS_PATH (4-octet), NEXT_HOP
    return (bytes([0x40, 1, 1, origin]) + bytes([0x40, 2, 6, 2, 1]) + struct.pack("!I", asn)
            + bytes([0x40, 3, 4]) + socket.inet_aton(nexthop))
def nlri(prefixes):
    out = b""
    for p in prefixes:
        a, l = p.split("/")
        out += bytes([int(l)]) + socket.inet_aton(a)[:(int(l) + 7) // 8]
    return out
def stats(addr, rejected, routes, v4):  # RFC 7854 §4.8: types 0, 7, 9
    tlvs = (struct.pack("!HHI", 0, 4, rejected) + struct.pack("!HHQ", 7, 8, routes)
            + struct.pack("!HHHBQ", 9, 11, 1, 1, v4))
    return bmp(1, peer_hdr(addr, 12076) + struct.pack("!I", 3) + tlvs)
out = stats("198.18.10.2", 3, 350, 300) + stats("198.18.10.6", 1, 350, 300)
out += bmp(0, peer_hdr("198.18.10.2", 12076, 0x10)
           + update(attrs(0, "198.18.10.1", 65010), nlri([f"198.19.{i}.0/24" for i in range(12)])))
out += bmp(0, peer_hdr("198.18.10.6", 12076)
           + update(attrs(7, "198.18.10.5", 12076), nlri(["198.19.200.0/24"])))
out += bmp(0, peer_hdr("198.18.99.9", 64999)
           + update(attrs(0, "198.18.99.9", 64999), nlri(["198.19.250.0/24"])))
open(sys.argv[1], "wb").write(out)
PY
"$BUILD/tests/gen_pcap" --flap -o "$G/wire.pcap" >/dev/null
check "generated the BMP streams and the capture" \
  test -s "$G/primary.bmp" -a -s "$G/msdown.bmp" -a -s "$G/extra.bmp" -a -s "$G/wire.pcap"

port=$(free_port); port2=$(free_port); bport=$(free_port); rport=$(free_port); pport=$(free_port)
# STAMP reflectors: on loopback (the primary's probe) and in the namespace
# (the secondary's, across the veth)
"$CW_BIN" reflect --listen "127.0.0.1:$rport" >/dev/null 2>&1 &
PIDS+=($!)
ip netns exec "$NS" "$CW_BIN" reflect --listen "198.19.177.2:$rport" >/dev/null 2>&1 &
PIDS+=($!)
cp "$CW_SOURCE_DIR/deploy/examples/plans.yaml" "$WORK/plans.yaml"
cat >"$WORK/cw.yaml" <<EOF
prometheus: {listen: "127.0.0.1:$port"}
bmp: {listen: "127.0.0.1:$bport"}
capture:
  enabled: true
  file: "$G/wire.pcap"
  local_macs: ["02:00:00:00:00:01"]
ifstats: {interval: 1s}
alerts:
  interval: 1s
  rules:
    - {name: BGPSessionDown, metric: circuitwatch_bgp_session_up, op: "<", threshold: 1, severity: critical}
billing:
  state_dir: "$WORK/state"
  plans_file: plans.yaml
  persist_interval: 1s
circuits:
  - id: er-dash
    provider: expressroute
    location: Amsterdam
    sku: {tier: premium, data_plan: metered}
    bandwidth: 1Gbps
    billing_plan: er-premium-metered
    billing: {alternatives: [er-premium-unlimited], zone: zone1, budget: 1, thresholds: [0.5, 0.8, 1]}
    links:
      primary:
        interface: lo
        peerings:
          - type: private
            local_asn: 65010
            neighbors: [{address: 198.18.10.2}]
            watch: [198.19.0.0/24, 203.0.113.0/24]
          - type: microsoft
            local_asn: 65010
            neighbors: [{address: 198.18.20.2}]
        probes:
          - {type: icmp, target: 127.0.0.1, interval: 200ms}
          - {type: stamp, target: 127.0.0.1, port: $rport, interval: 200ms}
      secondary:
        interface: $V
        peerings:
          - {type: private, local_asn: 65010, neighbors: [{address: 198.18.10.6}]}
        probes:
          - {type: icmp, target: 198.19.177.2, interval: 200ms}
          - {type: stamp, target: 198.19.177.2, port: $rport, interval: 200ms}
          - {type: tcp, target: 198.19.177.2, port: 9, interval: 200ms, timeout: 500ms}
  # the generated capture's two sessions (gen_pcap: provider 198.18.S.2, AS 12076)
  - id: erd-wire
    provider: expressroute
    sku: {tier: standard, data_plan: unlimited}
    bandwidth: 10Gbps
    links:
      primary:
        peerings: [{type: private, neighbors: [{address: 198.18.1.2}]}]
      secondary:
        peerings: [{type: private, neighbors: [{address: 198.18.2.2}]}]
EOF
# a second collector: live capture on the veth (as on a SPAN port), which is
# where libpcap's drop counters exist
# It also runs the raw BMP stream towards a broker that is not there: its
# series (CircuitwatchKafkaStreamLoss) exist once the stream is on.
cat >"$WORK/cw2.yaml" <<EOF
prometheus: {listen: "127.0.0.1:$port2"}
bmp: {enabled: false}
capture: {enabled: true, interfaces: [$V]}
ifstats: {enabled: false}
kafka:
  enabled: true
  brokers: ["127.0.0.1:9"]
  spool_dir: "$WORK/kafka-spool"
  streams: {bmp_raw: {enabled: true}}
EOF
check "the two configurations are valid" sh -c \
  "'$CW_BIN' check-config '$WORK/cw.yaml' && '$CW_BIN' check-config '$WORK/cw2.yaml'"
stop_if_failed
start_cw "$WORK/cw.log" run --config "$WORK/cw.yaml"
CW1=$CW_PID
start_cw "$WORK/cw2.log" run --config "$WORK/cw2.yaml"
CW2=$CW_PID
check "the main collector becomes ready" wait_http "http://127.0.0.1:$port/-/ready"
check "the capture collector becomes ready" wait_http "http://127.0.0.1:$port2/-/ready"
stop_if_failed
"$BUILD/tests/bmp_replay" --hold 600 127.0.0.1 "$bport" \
  "$G/primary.bmp" "$G/secondary.bmp" "$G/msdown.bmp" "$G/extra.bmp" >"$WORK/replay.out" 2>&1 &
PIDS+=($!)

cat >"$WORK/prometheus.yml" <<EOF
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
rule_files: ["$D/prometheus/alerts.yml", "$D/prometheus/recording.yml"]
scrape_configs:
  - job_name: circuitwatch
    static_configs: [{targets: ["127.0.0.1:$port", "127.0.0.1:$port2"]}]
EOF
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$pport" >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
papi="http://127.0.0.1:$pport/api/v1"
targets_up() {
  curl -s --data-urlencode 'query=sum(up{job="circuitwatch"})' "$papi/query" | grep -q '"value":\[[0-9.]*,"2"\]'
}
check "Prometheus scrapes both collectors" until_true 60 targets_up
stop_if_failed
check "Prometheus loaded the rules" sh -c \
  "curl -s '$papi/rules' | python3 -c 'import json,sys; g=json.load(sys.stdin)[\"data\"][\"groups\"]; sys.exit(0 if len(g) >= 6 and all(r[\"health\"] == \"ok\" for x in g for r in x[\"rules\"]) else 1)'"

# Every expression is queried at "now" until it returns data (rates need two
# scrapes, recording rules an evaluation), for at most 45 s in all.
WORK="$WORK" python3 - "$papi" "$D" <<'PY' >"$WORK/e2e" 2>&1
import ctypes, ctypes.util, json, os, re, sys, time, urllib.parse, urllib.request, yaml
papi, D = sys.argv[1], sys.argv[2]
exprs = json.load(open(os.environ["WORK"] + "/exprs.json"))

def subst(e):
    # Grafana's variables: every circuit and link (the All value), and ranges
    # long enough for two 1 s scrapes
    e = re.sub(r"\$\{?(circuit|link)\}?", ".*", e)
    e = e.replace("$__rate_interval", "15s").replace("$__interval", "15s").replace("$__range", "5m")
    assert "$" not in e, e
    return e

def query(e):
    url = papi + "/query?" + urllib.parse.urlencode({"query": e})
    try:
        r = json.load(urllib.request.urlopen(url, timeout=5))
    except Exception as ex:   # a 400 is a bad expression
        return "error", str(ex)
    return r["status"], r["data"]["result"]

checks = []   # (description, expression, must have data)
for where, e in exprs:
    m = re.match(r"label_values\((.*), *(\w+)\)$", e)
    if m:   # a variable: the series must exist and carry the label
        checks.append((f"{where}: {e}", f'count by ({m.group(2)}) ({subst(m.group(1))})', True))
    else:
        checks.append((f"{where}", subst(e), True))
for where, e in json.load(open(os.environ["WORK"] + "/events.json")):
    checks.append((f"{where}: expression is valid", subst(e), False))
sel = re.compile(r"(?<![\w:])(circuitwatch[_:][A-Za-z0-9_:]*)(\{[^}]*\})?")
for f in ("recording.yml", "alerts.yml"):
    for g in yaml.safe_load(open(f"{D}/prometheus/{f}"))["groups"]:
        for r in g["rules"]:
            if "record" in r:
                checks.append((f"recording rule {r['record']}", r["record"], True))
                continue
            # an alert is empty while it does not fire: the whole expression
            # must be valid, and each selector in it must return data
            checks.append((f"alert {r['alert']}: expression is valid", r["expr"], False))
            for s in sorted({m.group(0) for m in sel.finditer(r["expr"])}):
                checks.append((f"alert {r['alert']}: selector {s}", s, True))

# The one-way delay needs both clocks synchronised (RFC 8762 §4.2.1 S bit);
# on a host whose clock is not (adjtimex says TIME_ERROR) the daemon rightly
# exports none, so only then is that one family allowed to be empty.
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
buf = ctypes.create_string_buffer(512)
unsynced = libc.adjtimex(buf) == 5
def excused(e):
    return unsynced and set(re.findall(r"circuitwatch_\w+", e)) == {"circuitwatch_probe_oneway_delay_seconds"}

start = time.time()
deadline = start + 45
pending = list(checks)
results = {}
while pending and time.time() < deadline:
    left = []
    for c in pending:
        status, res = query(c[1])
        if status == "success" and (res or not c[2]):
            results[c] = "ok"
        else:
            results[c] = f"{status}: {res if status != 'success' else 'no data'}"
            left.append(c)
    pending = left
    if all(excused(c[1]) for c in pending):
        pending = []
        break
    time.sleep(1)
if not pending:
    print(f"ok   - data for every expression after {time.time() - start:.1f} s")
for c in checks:
    if results[c] != "ok" and excused(c[1]):
        print(f"ok   - {c[0]} (no data: this host's clock is not synchronised, so no one-way delay)")
    elif results[c] == "ok":
        print(f"ok   - {c[0]}")
    else:
        print(f"FAIL - {c[0]}: {c[1]} -> {results[c]}")
print(f"ok   - {len(checks)} expressions checked")
PY
cat "$WORK/e2e"
PASSED=$((PASSED + $(grep -c '^ok' "$WORK/e2e")))
FAILED=$((FAILED + $(grep -c '^FAIL' "$WORK/e2e")))
grep -q '^Traceback' "$WORK/e2e" && bad "end-to-end queries raised an exception"

# The rules evaluate on this data in a real Prometheus: the Microsoft peering
# session went down (pending for its first minute, then firing) and the
# budget's first threshold is crossed.
alert_is() { # alert_is NAME STATE-REGEX
  curl -s --data-urlencode "query=ALERTS{alertname=\"$1\",alertstate=~\"$2\"}" "$papi/query" |
    grep -q '"result":\[{'
}
check "CircuitwatchBgpSessionDown is pending or firing for the Microsoft peering" \
  until_true 10 alert_is CircuitwatchBgpSessionDown 'pending|firing'
check "CircuitwatchBudgetThresholdCrossed fires (the budget is 1 USD)" \
  until_true 10 alert_is CircuitwatchBudgetThresholdCrossed firing

kill -TERM "$CW1" "$CW2"
wait_exit "$CW1" 15; rc1=$RC
wait_exit "$CW2" 15; rc2=$RC
check "SIGTERM: both collectors exit 0 (no leak under ASan)" test "$rc1" = 0 -a "$rc2" = 0
finish
