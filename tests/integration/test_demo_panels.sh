#!/usr/bin/env bash
# The demo fills every panel: runs deploy/demo-run.sh (what deploy/demo.sh
# runs after installing and building) with a real Prometheus scraping it
# every second and loading dashboards/prometheus/'s rules, then queries every
# expression of every dashboard's panels and variables (the variables set to
# All) and counts those that return no data. It prints each empty one and
# fails when more than MAX_EMPTY are empty; docs/dashboards.md ("What the demo
# shows") explains each one allowed. The annotations (events: flaps, alerts,
# reloads) are queried too and must be valid; whether each had an event is
# printed, not counted.
source "$(dirname "$0")/lib.sh"
need prometheus; need python3; need curl
MAX_EMPTY=5
BUILD=${CW_BUILD_DIR:?CW_BUILD_DIR is not set (run through ctest)}
D=$CW_SOURCE_DIR/dashboards
for t in gen_bmp_table bmp_replay gen_pcap; do
  [ -x "$BUILD/tests/$t" ] || skip "$BUILD/tests/$t not built"
done

port=$(free_port); bport=$(free_port); rport=$(free_port); pport=$(free_port)
# the demo as a newcomer runs it, on free ports and in this test's folder
CW_DEMO_DIR=$WORK/demo CW_DEMO_PORT=$port CW_DEMO_BMP_PORT=$bport \
  CW_DEMO_REFLECT_PORT=$rport CW_DEMO_BIN=$CW_BIN \
  bash "$CW_SOURCE_DIR/deploy/demo-run.sh" "$BUILD" >"$WORK/demo.out" 2>&1 &
DEMO=$!
PIDS+=("$DEMO")
# stopped with SIGTERM, so that it stops what it started (and, as root, removes
# its namespace and veth pair) before lib.sh's cleanup kills what is left
trap 'kill -TERM "$DEMO" 2>/dev/null && wait_exit "$DEMO" 15; cleanup' EXIT
check "the demo's collector becomes ready" wait_http "http://127.0.0.1:$port/-/ready"
if [ "$FAILED" -gt 0 ]; then tail -n 20 "$WORK/demo.out"; finish; fi

# the job name of deploy/compose/prometheus.yml, which the rules name
cat >"$WORK/prometheus.yml" <<EOF
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
rule_files: ["$D/prometheus/alerts.yml", "$D/prometheus/recording.yml"]
scrape_configs:
  - job_name: circuitwatch
    static_configs: [{targets: ["127.0.0.1:$port"]}]
EOF
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$pport" >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
papi="http://127.0.0.1:$pport/api/v1"
scraped() {
  curl -s --data-urlencode 'query=up{job="circuitwatch"} == 1' "$papi/query" | grep -q '"result":\[{'
}
check "Prometheus scrapes the demo" until_true 30 scraped
if [ "$FAILED" -gt 0 ]; then tail -n 5 "$WORK/prometheus.log"; finish; fi

# Every expression is queried at "now" until it returns data (rates need two
# scrapes, recording rules an evaluation), for at most 35 s in all (less
# once nothing new has come in for 10 s); what is still empty then is counted.
python3 - "$papi" "$D/grafana/dashboards" "$MAX_EMPTY" <<'PY' >"$WORK/panels" 2>&1
import glob, json, re, sys, time, urllib.parse, urllib.request
papi, ddir, max_empty = sys.argv[1], sys.argv[2], int(sys.argv[3])

def subst(e):
    # Grafana's variables: every circuit and link (the All value), and ranges
    # long enough for two 1 s scrapes
    e = re.sub(r"\$\{?(circuit|link)\}?", ".*", e)
    for v, r in (("$__rate_interval", "15s"), ("$__interval", "15s"), ("$__range", "5m")):
        e = e.replace(v, r)
    assert "$" not in e, e
    return e

exprs = []   # (where, expression): panels and variables, which must show data
events = []  # annotations: events, empty while none happened (not counted)
for f in sorted(glob.glob(f"{ddir}/*.json")):
    d = json.load(open(f))
    n = d["uid"]
    for v in d["templating"]["list"]:
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        m = re.match(r"label_values\((.*), *(\w+)\)$", q or "")
        if m:
            exprs.append((f"{n} variable {v['name']}",
                          f"count by ({m.group(2)}) ({m.group(1)})"))
    for a in d["annotations"]["list"]:
        if a.get("expr"):
            events.append((f"{n} annotation '{a['name']}'", a["expr"]))
    panels = []
    for p in d["panels"]:
        panels += [p] + p.get("panels", [])
    for p in panels:
        for t in p.get("targets", []):
            exprs.append((f"{n} / {p['title']} / {t['refId']}", t["expr"]))

def query(e):
    url = papi + "/query?" + urllib.parse.urlencode({"query": subst(e)})
    try:
        r = json.load(urllib.request.urlopen(url, timeout=5))
    except Exception as ex:   # a 400 is a bad expression
        return str(ex)
    return r["data"]["result"] if r["status"] == "success" else r["status"]

start = changed = time.time()
pending, errors = list(range(len(exprs))), {}
# stop at 35 s, or once nothing has come in for 10 s after the first 15 s
while pending and time.time() < start + 35 and (time.time() < start + 15
                                                or time.time() < changed + 10):
    left = []
    for i in pending:
        r = query(exprs[i][1])
        if isinstance(r, str):
            errors[i] = r
        if not isinstance(r, list) or not r:
            left.append(i)
    if len(left) < len(pending):
        changed = time.time()
    pending = left
    time.sleep(1)
for where, e in events:
    r = query(e)
    if isinstance(r, str):
        errors[where] = r
    print(f"{'events' if r and not isinstance(r, str) else 'no events'}: {where}"
          + (f" ({r})" if isinstance(r, str) else ""))
for i in pending:
    where, e = exprs[i]
    print(f"empty: {where}: {e}" + (f" ({errors[i]})" if i in errors else ""))
print(f"{len(exprs) - len(pending)} of {len(exprs)} expressions return data, "
      f"{len(pending)} empty (at most {max_empty} allowed) after {time.time() - start:.0f} s")
bad = [i for i in pending if i in errors] + [w for w, _ in events if w in errors]
print(("FAIL" if bad else "ok  ") + f" - every expression is valid ({len(bad)} errors)")
print(("FAIL" if len(pending) > max_empty else "ok  ")
      + f" - at most {max_empty} of the dashboards' expressions are empty in the demo")
PY
cat "$WORK/panels"
PASSED=$((PASSED + $(grep -c '^ok' "$WORK/panels")))
FAILED=$((FAILED + $(grep -c '^FAIL' "$WORK/panels")))
grep -q '^Traceback' "$WORK/panels" && bad "the queries raised an exception"

kill -TERM "$DEMO"
wait_exit "$DEMO" 15; rc=$RC
check "the demo stops on SIGTERM (exit 143) and leaves its collector stopped" \
  sh -c "test '$rc' = 143 && ! curl -s -o /dev/null 'http://127.0.0.1:$port/-/healthy'"
finish
