#!/usr/bin/env python3
"""Writes the four circuitwatch Grafana dashboards of this directory.

The JSON files are what Grafana provisions; this script is how they are
written, so that the panels of the four dashboards share their layout, units,
datasource and variables. Change a dashboard here, then run
    python3 dashboards/grafana/dashboards/generate.py dashboards/grafana/dashboards
tests/integration/test_dashboards.sh checks that the JSON files are this
script's output, and then every expression against a real Prometheus.
Grafana reads only the *.json files of the directory."""
import json
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else "."
DS = {"type": "prometheus", "uid": "${datasource}"}
F = '{circuit=~"$circuit",link=~"$link"}'
FC = '{circuit=~"$circuit"}'


def F_(extra):
    return '{circuit=~"$circuit",link=~"$link",' + extra + '}'


class Dash:
    def __init__(self, uid, title, description, tags):
        self.uid, self.title, self.description, self.tags = uid, title, description, tags
        self.panels = []
        self.next_id = 1
        self.x = 0
        self.y = 0
        self.rowh = 0
        self.annotations = []

    def row(self, title):
        if self.x:
            self.y += self.rowh
            self.x, self.rowh = 0, 0
        self.panels.append({"type": "row", "title": title, "id": self._id(), "collapsed": False,
                            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}, "panels": []})
        self.y += 1

    def _id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def add(self, ptype, title, targets, w=12, h=8, unit=None, description=None,
            options=None, defaults=None, overrides=None, min_=None, max_=None,
            thresholds=None, mappings=None, transformations=None, custom=None):
        if self.x + w > 24:
            self.y += self.rowh
            self.x, self.rowh = 0, 0
        fd = {"unit": unit or "short"}
        if min_ is not None:
            fd["min"] = min_
        if max_ is not None:
            fd["max"] = max_
        fd["thresholds"] = thresholds or {"mode": "absolute", "steps": [
            {"color": "green", "value": None}]}
        if mappings:
            fd["mappings"] = mappings
        if custom:
            fd["custom"] = custom
        if defaults:
            fd.update(defaults)
        p = {"type": ptype, "title": title, "id": self._id(), "datasource": DS,
             "gridPos": {"h": h, "w": w, "x": self.x, "y": self.y},
             "fieldConfig": {"defaults": fd, "overrides": overrides or []},
             "options": options or {}, "targets": []}
        if description:
            p["description"] = description
        if transformations:
            p["transformations"] = transformations
        for i, t in enumerate(targets):
            if isinstance(t, str):
                t = {"expr": t}
            tt = {"datasource": DS, "refId": chr(ord("A") + i), "expr": t["expr"],
                  "legendFormat": t.get("legend", "__auto"), "range": not t.get("instant", False),
                  "instant": t.get("instant", False), "editorMode": "code"}
            if "format" in t:
                tt["format"] = t["format"]
            p["targets"].append(tt)
        self.panels.append(p)
        self.x += w
        self.rowh = max(self.rowh, h)
        return p

    def json(self, link_var=True):
        panel_links(self.panels, PANEL_LINKS.get(self.uid, {}))
        tl = [{"type": "datasource", "name": "datasource", "label": "Data source",
               "query": "prometheus", "current": {}, "hide": 0, "refresh": 1, "regex": "",
               "options": [], "includeAll": False, "multi": False},
              var("circuit", "Circuit", "label_values(circuitwatch_circuit_info, circuit)")]
        if link_var:
            tl.append(var("link", "Link",
                          'label_values(circuitwatch_link_info{circuit=~"$circuit"}, link)'))
        return {
            "annotations": {"list": [{
                "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
                "name": "Annotations & Alerts", "type": "dashboard"}] + self.annotations},
            "description": self.description,
            "editable": True,
            "fiscalYearStartMonth": 0,
            "graphTooltip": 1,
            "id": None,
            "links": dash_links(self.uid) + [
                {"type": "dashboards", "tags": ["circuitwatch"], "asDropdown": True,
                 "title": "circuitwatch", "includeVars": True, "keepTime": True,
                 "icon": "external link", "targetBlank": False, "tooltip": "", "url": ""}],
            "panels": self.panels,
            "refresh": "30s",
            "schemaVersion": 39,
            "tags": ["circuitwatch"] + self.tags,
            "templating": {"list": tl},
            "time": {"from": "now-6h", "to": "now"},
            "timepicker": {},
            "timezone": "browser",
            "title": self.title,
            "uid": self.uid,
            "version": 1,
            "weekStart": "",
        }


def var(name, label, q):
    return {"type": "query", "name": name, "label": label, "datasource": DS,
            "definition": q,
            "query": {"query": q, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
            "refresh": 2, "regex": "", "sort": 1, "includeAll": True, "multi": True,
            "allValue": ".*", "current": {}, "hide": 0, "options": []}


def steps(*pairs):
    return {"mode": "absolute", "steps": [{"color": c, "value": v} for c, v in pairs]}


UPDOWN = [{"type": "value", "options": {
    "0": {"text": "down", "color": "red", "index": 0},
    "1": {"text": "up", "color": "green", "index": 1}}}]
YESNO = [{"type": "value", "options": {
    "0": {"text": "missing", "color": "red", "index": 0},
    "1": {"text": "present", "color": "green", "index": 1}}}]
REDUNDANCY = [{"type": "value", "options": {
    "0": {"text": "down", "color": "red", "index": 0},
    "0.5": {"text": "degraded", "color": "orange", "index": 1},
    "1": {"text": "redundant", "color": "green", "index": 2}}}]
STAT = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "colorMode": "background", "graphMode": "none", "justifyMode": "auto",
        "orientation": "auto", "textMode": "auto", "showPercentChange": False}
TIMELINE = {"mergeValues": True, "showValue": "auto", "alignValue": "left",
            "rowHeight": 0.9, "legend": {"showLegend": False, "displayMode": "list",
                                         "placement": "bottom"},
            "tooltip": {"mode": "single", "sort": "none"}}
TS = {"legend": {"showLegend": True, "displayMode": "table", "placement": "bottom",
                 "calcs": ["lastNotNull", "max"]},
      "tooltip": {"mode": "multi", "sort": "desc"}}
BAR = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
       "orientation": "horizontal", "displayMode": "gradient", "showUnfilled": True,
       "valueMode": "color", "namePlacement": "auto", "sizing": "auto",
       "minVizHeight": 16, "minVizWidth": 8, "maxVizHeight": 300}
TABLE = {"showHeader": True, "cellHeight": "sm", "footer": {"show": False, "reducer": ["sum"],
                                                            "fields": ""}}
UTIL_STEPS = steps(("green", None), ("orange", 0.8), ("red", 0.9))


def table_tf(rename=None, exclude=("Time", "__name__", "job", "instance")):
    org = {"excludeByName": {k: True for k in exclude}, "renameByName": rename or {},
           "indexByName": {}}
    return [{"id": "merge", "options": {}}, {"id": "organize", "options": org}]


# ---- Annotations: session flaps, alerts and config reloads on the time axis of
# every time-series panel (one-minute resolution: each query runs with a 1m step).
def event_annotations(flaps=True):
    def ann(name, color, expr, title, text, tags):
        return {"datasource": DS, "enable": True, "hide": False, "iconColor": color,
                "name": name, "expr": expr, "step": "1m", "titleFormat": title,
                "textFormat": text, "tagKeys": tags, "useValueForTime": False}
    out = []
    if flaps:
        out.append(ann("BGP session flaps", "orange",
                       'sum by (circuit, link, peering, peer, source) (increase('
                       'circuitwatch_bgp_session_state_changes_total' + F + '[1m])) > 0',
                       "BGP session {{peer}} went up or down",
                       "{{circuit}} {{link}} {{peering}} (seen by {{source}})",
                       "circuit,link,peering"))
    out.append(ann("Prometheus alerts", "red",
                   'ALERTS{alertstate="firing",alertname=~"Circuitwatch.*",'
                   'circuit=~"$circuit|"}',
                   "{{alertname}} firing", "{{severity}}: {{circuit}} {{link}} {{peering}} "
                   "{{peer}} {{instance}}", "alertname,severity,circuit"))
    out.append(ann("circuitwatch alerts", "purple",
                   'circuitwatch_alerts{alertstate="firing",circuit=~"$circuit|"} > 0',
                   "{{alertname}} firing (daemon rule)",
                   "{{severity}}: {{circuit}} {{link}} {{peering}}",
                   "alertname,severity,circuit"))
    out.append(ann("Config reloads", "blue",
                   'sum by (instance, result) (increase(circuitwatch_config_reloads_total[1m]))'
                   ' > 0', "configuration reload: {{result}}", "{{instance}}", "result"))
    return out


# ---- Links: each dashboard links to the others at the top (keeping the time
# range and the variables), and panels link from a series to the dashboard
# that shows its circuit or link in detail.
DASHES = {"circuitwatch-overview": "Circuits overview", "circuitwatch-bgp": "BGP sessions",
          "circuitwatch-link": "Link detail", "circuitwatch-billing": "Billing"}


def dash_links(uid):
    return [{"type": "link", "title": title, "url": f"/d/{u}", "includeVars": True,
             "keepTime": True, "asDropdown": False, "icon": "dashboard", "tags": [],
             "targetBlank": False, "tooltip": f"circuitwatch / {title}"}
            for u, title in DASHES.items() if u != uid]


def data_link(uid, labels, table=False):
    src = "__data.fields" if table else "__field.labels"
    q = "".join(f"var-{v}=${{{src}.{v}}}&" for v in labels)
    return {"title": f"{DASHES[uid]}: " + " ".join(f"${{{src}.{v}}}" for v in labels),
            "url": f"/d/{uid}?{q}${{datasource:queryparam}}&${{__url_time_range}}",
            "targetBlank": False}


def panel_links(panels, links):
    """links: panel title -> [(dashboard uid, labels carried as variables)]."""
    titles = {p.get("title") for p in panels}
    assert titles >= links.keys(), f"links of panels that do not exist: {links.keys() - titles}"
    for p in panels:
        if p.get("title") in links:
            table = p["type"] == "table"
            p["fieldConfig"]["defaults"]["links"] = [data_link(u, labels, table)
                                                     for u, labels in links[p["title"]]]


CL = ["circuit", "link"]
C = ["circuit"]
OV, BGP, LINK, BILL = ("circuitwatch-overview", "circuitwatch-bgp", "circuitwatch-link",
                       "circuitwatch-billing")
PANEL_LINKS = {
    OV: {"Redundancy per circuit": [(BGP, C)],
         "Redundancy per peering": [(BGP, C)],
         "BGP sessions up per link": [(BGP, CL), (LINK, CL)],
         "Circuits": [(LINK, C), (BILL, C)],
         "Throughput against bandwidth": [(LINK, CL)],
         "Utilisation (last interval)": [(LINK, CL)],
         "Interface errors and drops per link": [(LINK, CL)],
         "Probe RTT, median and 99th percentile (5m)": [(LINK, CL)],
         "Probe loss": [(LINK, CL)],
         "Prefix limit used (our advertisements)": [(BGP, CL)],
         "Prefix-limit headroom": [(BGP, CL)],
         "Month to date": [(BILL, C)],
         "Projected for the cycle": [(BILL, C)],
         "Budget used": [(BILL, C)]},
    BGP: {"Session state": [(LINK, CL), (OV, C)],
          "Prefixes per view": [(LINK, CL)],
          "Prefixes received and advertised against the prefix limit": [(LINK, CL), (OV, C)]},
    LINK: {"Throughput": [(OV, C), (BGP, CL)],
           "Utilisation": [(OV, C), (BGP, CL)],
           "Loss ratio": [(OV, C)]},
    BILL: {"Cost so far and projection against the budget": [(OV, C)],
           "Cost so far and projections": [(OV, C)],
           "Receive rate on the link interfaces": [(LINK, CL)]},
}


# ---- BGP: the prefixes of each session over time, with the provider's limit.
def prefixes_against_limit(d):
    S = "{{circuit}} {{link}} {{peering}} {{peer}} ({{source}}, {{view}})"
    d.add("timeseries", "Prefixes received and advertised against the prefix limit",
          [{"expr": 'sum by (circuit, link, peering, peer, source, view) (circuitwatch_bgp_prefixes'
                    + F_('circuit!="",view=~"adj-rib-in-.*"') + ')', "legend": S + " received"},
           {"expr": 'sum by (circuit, link, peering, peer, source, view) (circuitwatch_bgp_prefixes'
                    + F_('circuit!="",view=~"adj-rib-out-.*"') + ')', "legend": S + " advertised"},
           {"expr": 'max by (circuit, link, peering) (circuitwatch_bgp_prefix_limit' + F + ')',
            "legend": "{{circuit}} {{link}} {{peering}} prefix limit"}],
          w=24, h=9, min_=0, options=TS,
          overrides=[{"matcher": {"id": "byRegexp", "options": ".*prefix limit"},
                      "properties": [{"id": "custom.lineStyle",
                                      "value": {"fill": "dash", "dash": [10, 10]}},
                                     {"id": "color", "value": {"mode": "fixed",
                                                               "fixedColor": "red"}}]}],
          description="IPv4 and IPv6 unicast routes of each mapped session per RIB view: "
                      "received from the provider edge (Adj-RIB-In) and advertised to it "
                      "(Adj-RIB-Out, RFC 8671, when the router reports it), against the "
                      "provider's prefix limit of the peering (dashed). The limit applies to "
                      "what we advertise: over it, the provider drops the session.")


# ---- Billing: cost so far and projections against the budget, each series in
# its plan's currency (the currency label; Grafana's unit where it has one).
CURRENCY_UNITS = ("USD", "EUR", "GBP", "JPY", "CHF", "INR")


def currency_overrides():
    return [{"matcher": {"id": "byRegexp", "options": f".*[(]{c}[),].*"},
             "properties": [{"id": "unit", "value": f"currency{c}"}]} for c in CURRENCY_UNITS]


def cost_against_budget(d):
    d.add("timeseries", "Cost so far and projection against the budget",
          [{"expr": 'circuitwatch_billing_cycle_cost' + FC,
            "legend": "{{circuit}} so far ({{currency}})"},
           {"expr": 'circuitwatch_billing_projected_cost' + FC,
            "legend": "{{circuit}} projected ({{currency}}, {{method}})"},
           {"expr": 'circuitwatch_billing_budget' + FC,
            "legend": "{{circuit}} budget ({{currency}})"}],
          w=24, h=9, unit="none", min_=0, options=TS, defaults={"decimals": 2},
          overrides=currency_overrides() + [
              {"matcher": {"id": "byRegexp", "options": ".* budget .*"},
               "properties": [{"id": "custom.lineStyle",
                               "value": {"fill": "dash", "dash": [10, 10]}},
                              {"id": "color", "value": {"mode": "fixed",
                                                        "fixedColor": "red"}}]}],
          description="The cycle's cost so far under the circuit's plan, its projection to "
                      "the end of the cycle (linear over the elapsed time, or the recent "
                      "rate), and the budget (dashed), in the plan's currency.")


def overview():
    d = Dash("circuitwatch-overview", "circuitwatch / Circuits overview",
             "Health and redundancy of every circuit, throughput against bandwidth, latency, "
             "loss, prefix-limit headroom and cost. Built on the circuitwatch exporter and the "
             "recording rules in dashboards/prometheus/recording.yml.", ["overview"])
    d.annotations = event_annotations()
    d.row("Health and redundancy")
    d.add("stat", "Redundancy per circuit",
          [{"expr": 'circuitwatch:circuit_redundancy:ratio' + FC, "legend": "{{circuit}}"}],
          w=8, h=6, mappings=REDUNDANCY, options=STAT, min_=0, max_=1,
          thresholds=steps(("red", None), ("orange", 0.5), ("green", 1)),
          description="Worst peering of each circuit: redundant when every peering has an "
                      "established BGP session on both links, degraded when one link has none, "
                      "down when no link has one. From BGP sessions seen by BMP or capture.")
    d.add("state-timeline", "Redundancy per peering",
          [{"expr": 'circuitwatch:peering_redundancy:ratio' + FC,
            "legend": "{{circuit}} {{peering}}"}],
          w=16, h=6, mappings=REDUNDANCY, options=TIMELINE, min_=0, max_=1,
          thresholds=steps(("red", None), ("orange", 0.5), ("green", 1)),
          description="Links carrying each peering over links seen (1 both, 0.5 one, 0 none).")
    d.add("bargauge", "BGP sessions up per link",
          [{"expr": 'circuitwatch:link_sessions_up:sum' + F,
            "legend": "{{circuit}} {{link}} up"},
           {"expr": 'circuitwatch:link_sessions:count' + F,
            "legend": "{{circuit}} {{link}} seen"}],
          w=8, h=8, options=BAR, min_=0,
          description="Established sessions with the provider edge on each link, and sessions "
                      "seen (BMP and passive capture counted once per neighbour).")
    d.add("stat", "Circuits, BMP routers, probe targets",
          [{"expr": 'count(circuitwatch_circuit_info' + FC + ')', "legend": "circuits"},
           {"expr": 'sum(circuitwatch_bmp_router_up)', "legend": "BMP routers up"},
           {"expr": 'sum(circuitwatch_probe_up' + F + ')', "legend": "probe targets answering"},
           {"expr": 'sum(circuitwatch_probe_targets)', "legend": "probe targets running"}],
          w=8, h=8, options=dict(STAT, colorMode="value"))
    d.add("table", "Circuits",
          [{"expr": 'circuitwatch_circuit_info' + FC, "instant": True, "format": "table"}],
          w=8, h=8, options=TABLE,
          transformations=[{"id": "organize", "options": {
              "excludeByName": {"Time": True, "Value": True, "__name__": True, "job": True,
                                "instance": True}, "renameByName": {}, "indexByName": {}}}])
    sla_panels(d)
    d.row("Throughput")
    d.add("timeseries", "Throughput against bandwidth",
          [{"expr": 'circuitwatch:link_receive_bits_per_second:sum' + F,
            "legend": "{{circuit}} {{link}} receive"},
           {"expr": 'circuitwatch:link_transmit_bits_per_second:sum' + F,
            "legend": "{{circuit}} {{link}} transmit"},
           {"expr": 'circuitwatch:circuit_bandwidth_bits_per_second:max' + FC,
            "legend": "{{circuit}} bandwidth"}],
          w=16, h=9, unit="bps", min_=0, options=TS,
          overrides=[{"matcher": {"id": "byRegexp", "options": ".*bandwidth"},
                      "properties": [{"id": "custom.lineStyle",
                                      "value": {"fill": "dash", "dash": [10, 10]}},
                                     {"id": "color", "value": {"mode": "fixed",
                                                               "fixedColor": "red"}}]}],
          description="Bits per second over the link interfaces (ifstats, sampled every "
                      "ifstats.interval) against the circuit's provisioned bandwidth.")
    d.add("bargauge", "Utilisation (last interval)",
          [{"expr": 'circuitwatch_link_utilisation_ratio' + F,
            "legend": "{{circuit}} {{link}} {{direction}}"}],
          w=8, h=9, unit="percentunit", min_=0, max_=1, thresholds=UTIL_STEPS, options=BAR)
    d.add("timeseries", "Interface errors and drops per link",
          [{"expr": 'circuitwatch:link_errors:rate5m' + F, "legend": "{{circuit}} {{link}} errors"},
           {"expr": 'circuitwatch:link_dropped:rate5m' + F, "legend": "{{circuit}} {{link}} drops"}],
          w=24, h=6, unit="pps", min_=0, options=TS,
          description="Both directions of the link interfaces, over 5 minutes (recording rules).")
    d.row("Latency and loss")
    d.add("timeseries", "Probe RTT, median and 99th percentile (5m)",
          [{"expr": 'max by (circuit, link) (circuitwatch:probe_rtt_seconds:p50_5m' + F + ')',
            "legend": "{{circuit}} {{link}} p50"},
           {"expr": 'circuitwatch:link_probe_rtt_seconds:p99_5m_max' + F,
            "legend": "{{circuit}} {{link}} p99"}],
          w=12, h=8, unit="s", min_=0, options=TS,
          description="Worst probe of each link, from the RTT histograms (recording rules).")
    d.add("timeseries", "Probe loss",
          [{"expr": 'circuitwatch:link_probe_loss_ratio:max' + F,
            "legend": "{{circuit}} {{link}}"}],
          w=12, h=8, unit="percentunit", min_=0, options=TS,
          thresholds=steps(("green", None), ("red", 0.02)),
          custom={"thresholdsStyle": {"mode": "dashed"}})
    d.row("Prefix limits")
    d.add("bargauge", "Prefix limit used (our advertisements)",
          [{"expr": 'circuitwatch:peering_prefix_limit_used:ratio' + F,
            "legend": "{{circuit}} {{link}} {{peering}}"}],
          w=12, h=8, unit="percentunit", min_=0, max_=1, thresholds=UTIL_STEPS, options=BAR,
          description="Prefixes we advertise (Adj-RIB-Out from BMP, or seen on the wire) over "
                      "the provider's limit. At the limit the provider drops the session.")
    d.add("bargauge", "Prefix-limit headroom",
          [{"expr": 'min by (circuit, link, peering) (circuitwatch_bgp_prefix_limit_headroom'
                    + F + ')', "legend": "{{circuit}} {{link}} {{peering}}"}],
          w=12, h=8, min_=0, options=BAR,
          thresholds=steps(("red", None), ("orange", 10), ("green", 100)),
          description="Prefixes we may still advertise before the provider's limit.")
    d.row("Collector")
    d.add("stat", "Configuration",
          [{"expr": 'circuitwatch_config_last_reload_successful', "legend": "{{instance}}"}],
          w=6, h=6, options=STAT, thresholds=steps(("red", None), ("green", 1)),
          mappings=[{"type": "value", "options": {
              "0": {"text": "last reload failed", "color": "red", "index": 0},
              "1": {"text": "loaded", "color": "green", "index": 1}}}],
          description="A failed SIGHUP reload keeps the running configuration: fix the file.")
    d.add("table", "Alerts of the daemon's own rules",
          [{"expr": 'circuitwatch_alerts' + FC, "instant": True, "format": "table"}],
          w=10, h=6, options=TABLE, defaults={"decimals": 0},
          transformations=table_tf({"Value": "instances"}),
          description="Pending and firing alerts of the rules in the daemon's config (alerts "
                      "section), which also go to Kafka as events.")
    d.add("timeseries", "Scrape and sampling time (p99)",
          [{"expr": 'histogram_quantile(0.99, sum by (instance, le) (rate('
                    'circuitwatch_scrape_duration_seconds_bucket[$__rate_interval])))',
            "legend": "{{instance}} /metrics"},
           {"expr": 'histogram_quantile(0.99, sum by (instance, le) (rate('
                    'circuitwatch_ifstats_sample_duration_seconds_bucket[$__rate_interval])))',
            "legend": "{{instance}} interface sampling pass"}],
          w=8, h=6, unit="s", min_=0, options=TS)
    d.row("Cost")
    d.add("stat", "Month to date",
          [{"expr": 'circuitwatch_billing_cycle_cost' + FC,
            "legend": "{{circuit}} ({{currency}})"}],
          w=8, h=6, unit="none", options=dict(STAT, colorMode="value"),
          defaults={"decimals": 2},
          description="Cost of the current billing cycle so far under the circuit's plan, in "
                      "the plan's currency.")
    d.add("stat", "Projected for the cycle",
          [{"expr": 'circuitwatch_billing_projected_cost{circuit=~"$circuit",method="linear"}',
            "legend": "{{circuit}} ({{currency}}, linear)"},
           {"expr": 'circuitwatch_billing_projected_cost{circuit=~"$circuit",method="recent"}',
            "legend": "{{circuit}} ({{currency}}, recent rate)"}],
          w=8, h=6, unit="none", options=dict(STAT, colorMode="value"),
          defaults={"decimals": 2})
    d.add("bargauge", "Budget used",
          [{"expr": 'circuitwatch_billing_budget_ratio' + FC, "legend": "{{circuit}} so far"},
           {"expr": 'circuitwatch_billing_budget_projected_ratio{circuit=~"$circuit",'
                    'method="linear"}', "legend": "{{circuit}} projected"}],
          w=8, h=6, unit="percentunit", min_=0, max_=1.2, options=BAR,
          thresholds=steps(("green", None), ("orange", 0.8), ("red", 1)))
    return d.json()


def sla_panels(d):
    """Availability against the SLA (issue 15, docs/availability.md): a row of the
    circuits overview, called once from overview()."""
    d.row("Availability against the SLA")
    d.add("bargauge", "Availability this cycle against the SLA",
          [{"expr": 'circuitwatch_circuit_availability_ratio{circuit=~"$circuit",scope="any"}',
            "legend": "{{circuit}} any session up"},
           {"expr": 'circuitwatch_circuit_availability_ratio{circuit=~"$circuit",'
                    'scope="redundant"}', "legend": "{{circuit}} both links up"},
           {"expr": 'circuitwatch_circuit_sla_target_ratio' + FC,
            "legend": "{{circuit}} SLA target"}],
          w=12, h=8, unit="percentunit", min_=0.99, max_=1, options=BAR,
          defaults={"decimals": 3},
          thresholds=steps(("red", None), ("orange", 0.999), ("green", 0.9995)),
          description="Up seconds over observed seconds in the current cycle (the billing "
                      "cycle, or the calendar month in UTC): with at least one BGP session up, "
                      "and with every session of both links up; against the SLA the config "
                      "states (availability.sla). Time the collector did not observe is left "
                      "out, never counted as down.")
    d.add("stat", "SLA downtime budget left (minutes)",
          [{"expr": 'circuitwatch_circuit_sla_downtime_remaining_seconds' + FC + ' / 60',
            "legend": "{{circuit}} left"},
           {"expr": 'circuitwatch_circuit_sla_downtime_budget_seconds' + FC + ' / 60',
            "legend": "{{circuit}} of the cycle"}],
          w=12, h=8, unit="m", options=dict(STAT, colorMode="value"),
          defaults={"decimals": 1},
          thresholds=steps(("red", None), ("green", 0)),
          description="Downtime the SLA allows in the whole cycle minus the downtime so far "
                      "(no BGP session of the circuit up); negative when the SLA is breached. "
                      "Alert rules CircuitwatchSLAAtRisk (under 25 % left) and CircuitwatchSLABreached.")


def bgp():
    d = Dash("circuitwatch-bgp", "circuitwatch / BGP sessions",
             "BGP sessions with the provider edges as BMP and passive capture see them: state, "
             "flaps, prefixes per RIB view, UPDATE churn, NOTIFICATIONs, BMP statistics and the "
             "TCP health of sessions seen on the wire.", ["bgp"])
    d.annotations = event_annotations()
    S = "{{circuit}} {{link}} {{peering}} {{peer}} ({{source}})"
    d.row("Sessions")
    d.add("state-timeline", "Session state",
          [{"expr": 'circuitwatch_bgp_session_up' + F, "legend": S}],
          w=24, h=9, mappings=UPDOWN, options=TIMELINE,
          thresholds=steps(("red", None), ("green", 1)),
          description="1 while the router reports the session established (BMP Peer Up) or "
                      "the wire shows it (capture). Empty circuit: a peer that is not a "
                      "configured neighbour.")
    d.add("table", "Flaps in the last hour",
          [{"expr": 'circuitwatch:bgp_session_state_changes:increase1h' + F, "instant": True,
            "format": "table"}],
          w=12, h=8, options=TABLE, defaults={"decimals": 0},
          transformations=table_tf({"Value": "state changes (1h)"}))
    d.add("table", "Time since the last state change",
          [{"expr": 'time() - circuitwatch_bgp_session_last_change_timestamp_seconds' + F,
            "instant": True, "format": "table"}],
          w=12, h=8, unit="s", options=TABLE,
          transformations=table_tf({"Value": "since last change"}))
    d.add("timeseries", "State changes",
          [{"expr": 'sum by (circuit, link, peering, peer, source) (increase('
                    'circuitwatch_bgp_session_state_changes_total' + F + '[$__rate_interval]))',
            "legend": S}],
          w=24, h=7, min_=0, options=TS, custom={"drawStyle": "bars", "fillOpacity": 80})
    d.row("Routes")
    d.add("timeseries", "Prefixes per view",
          [{"expr": 'circuitwatch_bgp_prefixes' + F,
            "legend": "{{circuit}} {{link}} {{peer}} {{afi_safi}} {{view}} ({{source}})"}],
          w=12, h=9, min_=0, options=TS,
          description="Routes in each RIB view the router reports: Adj-RIB-In pre/post "
                      "policy, Adj-RIB-Out (RFC 8671), Loc-RIB (RFC 9069).")
    d.add("timeseries", "UPDATEs received",
          [{"expr": 'circuitwatch:bgp_updates_received:rate5m' + F, "legend": S}],
          w=12, h=9, unit="ops", min_=0, options=TS)
    prefixes_against_limit(d)
    d.add("timeseries", "Prefix churn",
          [{"expr": 'sum by (circuit, link) (circuitwatch:bgp_prefixes_announced:rate5m' + F
                    + ')', "legend": "{{circuit}} {{link}} announced"},
           {"expr": 'sum by (circuit, link) (circuitwatch:bgp_prefixes_withdrawn:rate5m' + F
                    + ')', "legend": "{{circuit}} {{link}} withdrawn"},
           {"expr": 'sum by (circuit, link) (rate(circuitwatch_bgp_implicit_withdrawals_total'
                    + F + '[$__rate_interval]))',
            "legend": "{{circuit}} {{link}} implicit withdrawals"}],
          w=12, h=8, unit="ops", min_=0, options=TS)
    d.add("state-timeline", "End-of-RIB received",
          [{"expr": 'circuitwatch_bgp_end_of_rib' + F,
            "legend": "{{circuit}} {{link}} {{peer}} {{afi_safi}} {{view}}"}],
          w=12, h=8, options=TIMELINE, thresholds=steps(("orange", None), ("green", 1)),
          mappings=[{"type": "value", "options": {
              "0": {"text": "waiting", "color": "orange", "index": 0},
              "1": {"text": "received", "color": "green", "index": 1}}}])
    d.add("state-timeline", "Watched prefixes",
          [{"expr": 'circuitwatch_bgp_watched_prefix_present' + F,
            "legend": "{{circuit}} {{link}} {{prefix}} from {{peer}}"}],
          w=12, h=8, mappings=YESNO, options=TIMELINE,
          thresholds=steps(("red", None), ("green", 1)))
    d.add("table", "Prefix limit and headroom",
          [{"expr": 'circuitwatch_bgp_prefix_limit' + F, "instant": True, "format": "table"},
           {"expr": 'circuitwatch_bgp_prefix_limit_headroom' + F, "instant": True,
            "format": "table"}],
          w=12, h=8, options=TABLE,
          transformations=table_tf({"Value #A": "limit", "Value #B": "headroom"}))
    d.row("NOTIFICATIONs and input errors")
    d.add("table", "NOTIFICATIONs (since the session was first seen)",
          [{"expr": 'circuitwatch_bgp_notifications_total' + F, "instant": True,
            "format": "table"}],
          w=12, h=8, options=TABLE, defaults={"decimals": 0},
          transformations=table_tf({"Value": "NOTIFICATIONs"}),
          description="RFC 4271 §4.5 error code and subcode, from BMP Peer Down messages or "
                      "seen on the wire (code 6: Cease, RFC 4486 subcodes).")
    d.add("timeseries", "Malformed input",
          [{"expr": 'sum by (reason) (rate(circuitwatch_bgp_parse_errors_total' + F
                    + '[$__rate_interval]))', "legend": "BGP {{reason}}"},
           {"expr": 'sum by (router, reason) (rate(circuitwatch_bmp_parse_errors_total'
                    '[$__rate_interval]))', "legend": "BMP {{router}} {{reason}}"}],
          w=12, h=8, unit="ops", min_=0, options=TS,
          description="BGP UPDATEs handled by RFC 7606 (attribute discard, treat-as-withdraw) "
                      "and BMP messages with anomalies, by reason.")
    d.row("BMP")
    d.add("state-timeline", "BMP routers",
          [{"expr": 'circuitwatch_bmp_router_up * on (router) group_left (sys_name) '
                    'circuitwatch_bmp_router_info', "legend": "{{sys_name}} ({{router}})"}],
          w=12, h=7, mappings=[{"type": "value", "options": {
              "0": {"text": "disconnected", "color": "red", "index": 0},
              "1": {"text": "connected", "color": "green", "index": 1}}}],
          options=TIMELINE, thresholds=steps(("red", None), ("green", 1)))
    d.add("timeseries", "BMP messages by type",
          [{"expr": 'sum by (router, type) (rate(circuitwatch_bmp_messages_total'
                    '[$__rate_interval]))', "legend": "{{router}} {{type}}"},
           {"expr": 'sum by (router) (increase(circuitwatch_bmp_router_connections_total'
                    '[$__rate_interval]))', "legend": "{{router}} new connections"}],
          w=12, h=7, unit="ops", min_=0, options=TS)
    d.add("timeseries", "BMP statistics: gauges",
          [{"expr": 'circuitwatch_bmp_stats_gauge' + F,
            "legend": "{{peer}} {{stat}} {{afi_safi}}"}],
          w=12, h=8, min_=0, options=TS,
          description="Statistics Report gauges (RFC 7854 §4.8), as the router reports them.")
    d.add("timeseries", "BMP statistics: counters",
          [{"expr": 'circuitwatch_bmp_stats_counter_total' + F,
            "legend": "{{peer}} {{stat}}"}],
          w=12, h=8, min_=0, options=TS,
          description="Statistics Report 32-bit counters (rejected prefixes, updates treated "
                      "as withdraw, ...), as the router reports them.")
    d.row("Passive capture: TCP health of BGP sessions")
    P = "{{circuit}} {{link}} {{peer}} ({{router}})"
    d.add("bargauge", "Hold-timer risk",
          [{"expr": 'circuitwatch_bgp_hold_risk_ratio' + F, "legend": P}],
          w=8, h=8, unit="percentunit", min_=0, max_=1, options=BAR,
          thresholds=steps(("green", None), ("orange", 0.5), ("red", 0.8)),
          description="Time since the peer was last heard over the negotiated hold time; "
                      "at 100 % its neighbour's hold timer expires (RFC 4271 §6.5).")
    d.add("timeseries", "TCP retransmissions and zero windows (current connection)",
          [{"expr": 'circuitwatch_bgp_tcp_retransmissions_total' + F,
            "legend": P + " retransmissions"},
           {"expr": 'circuitwatch_bgp_tcp_zero_windows_total' + F,
            "legend": P + " zero windows"}],
          w=8, h=8, min_=0, options=TS)
    d.add("table", "Handshake RTT and keepalive interval",
          [{"expr": 'circuitwatch_bgp_tcp_handshake_rtt_seconds' + F, "instant": True,
            "format": "table"},
           {"expr": 'circuitwatch_bgp_keepalive_interval_seconds' + F, "instant": True,
            "format": "table"}],
          w=8, h=8, unit="s", options=TABLE,
          transformations=table_tf({"Value #A": "handshake RTT",
                                    "Value #B": "keepalive interval"}))
    d.add("timeseries", "Capture: frames, BGP messages, reassembly",
          [{"expr": 'sum by (interface) (rate(circuitwatch_capture_packets_total'
                    '[$__rate_interval]))', "legend": "{{interface}} frames"},
           {"expr": 'sum by (interface) (rate(circuitwatch_capture_bgp_messages_total'
                    '[$__rate_interval]))', "legend": "{{interface}} BGP messages"},
           {"expr": 'sum by (interface) (rate(circuitwatch_capture_reassembly_gaps_total'
                    '[$__rate_interval]))', "legend": "{{interface}} reassembly gaps"},
           {"expr": 'sum by (interface, reason) (rate(circuitwatch_capture_flows_evicted_total'
                    '[$__rate_interval]))', "legend": "{{interface}} flows evicted ({{reason}})"},
           {"expr": 'circuitwatch:capture_dropped:rate5m',
            "legend": "{{interface}} dropped before capture"}],
          w=24, h=8, unit="ops", min_=0, options=TS)
    return d.json()


def link():
    d = Dash("circuitwatch-link", "circuitwatch / Link detail",
             "One link in depth: throughput and utilisation from the interface counters, errors "
             "and drops, the probe RTT distribution, loss, jitter and one-way delay.", ["link"])
    d.annotations = event_annotations()
    I = "{{circuit}} {{link}} {{interface}}"
    Q = "{{circuit}} {{link}} {{probe}}"
    d.row("Throughput and utilisation")
    d.add("timeseries", "Throughput",
          [{"expr": 'circuitwatch_interface_receive_bytes_per_second' + F + ' * 8',
            "legend": I + " receive"},
           {"expr": 'circuitwatch_interface_transmit_bytes_per_second' + F + ' * 8',
            "legend": I + " transmit"},
           {"expr": 'circuitwatch_interface_receive_peak_bytes_per_second' + F + ' * 8',
            "legend": I + " receive peak (60s)"},
           {"expr": 'circuitwatch_interface_transmit_peak_bytes_per_second' + F + ' * 8',
            "legend": I + " transmit peak (60s)"}],
          w=12, h=9, unit="bps", min_=0, options=TS,
          overrides=[{"matcher": {"id": "byRegexp", "options": ".*peak.*"},
                      "properties": [{"id": "custom.lineStyle",
                                      "value": {"fill": "dot", "dash": [0, 10]}}]}],
          description="Rate over the last sampling interval (ifstats.interval), and the peak "
                      "per-interval rate of the last 60 seconds, which a 15 s scrape or a "
                      "one-minute console average would hide.")
    d.add("timeseries", "Utilisation",
          [{"expr": 'circuitwatch_link_utilisation_ratio' + F,
            "legend": "{{circuit}} {{link}} {{direction}}"},
           {"expr": 'circuitwatch_link_peak_utilisation_ratio' + F,
            "legend": "{{circuit}} {{link}} {{direction}} peak (60s)"},
           {"expr": 'circuitwatch_circuit_utilisation_ratio' + FC,
            "legend": "{{circuit}} both links {{direction}}"}],
          w=12, h=9, unit="percentunit", min_=0, options=TS, thresholds=UTIL_STEPS,
          custom={"thresholdsStyle": {"mode": "dashed"}},
          description="Rate x 8 over the circuit bandwidth per link; both links together over "
                      "twice the bandwidth for the circuit.")
    d.add("timeseries", "Packets",
          [{"expr": 'circuitwatch_interface_receive_packets_per_second' + F,
            "legend": I + " receive"},
           {"expr": 'circuitwatch_interface_transmit_packets_per_second' + F,
            "legend": I + " transmit"}],
          w=12, h=8, unit="pps", min_=0, options=TS)
    d.add("state-timeline", "Interface state",
          [{"expr": 'circuitwatch_interface_up' + F, "legend": I + " oper up"},
           {"expr": 'circuitwatch_interface_present' + F, "legend": I + " present"}],
          w=12, h=8, mappings=UPDOWN, options=TIMELINE,
          thresholds=steps(("red", None), ("green", 1)))
    d.row("Errors and drops")
    d.add("timeseries", "Errors",
          [{"expr": 'rate(circuitwatch_interface_receive_errors_total' + F
                    + '[$__rate_interval])', "legend": I + " receive"},
           {"expr": 'rate(circuitwatch_interface_transmit_errors_total' + F
                    + '[$__rate_interval])', "legend": I + " transmit"}],
          w=12, h=8, unit="pps", min_=0, options=TS)
    d.add("timeseries", "Drops",
          [{"expr": 'rate(circuitwatch_interface_receive_dropped_total' + F
                    + '[$__rate_interval])', "legend": I + " receive"},
           {"expr": 'rate(circuitwatch_interface_transmit_dropped_total' + F
                    + '[$__rate_interval])', "legend": I + " transmit"}],
          w=12, h=8, unit="pps", min_=0, options=TS)
    d.add("table", "Counter resets and interface churn",
          [{"expr": 'circuitwatch_interface_resets_total' + F, "instant": True,
            "format": "table"},
           {"expr": 'circuitwatch_interface_appearances_total' + F, "instant": True,
            "format": "table"},
           {"expr": 'circuitwatch_interface_disappearances_total' + F, "instant": True,
            "format": "table"}],
          w=24, h=6, options=TABLE, defaults={"decimals": 0},
          transformations=table_tf({"Value #A": "counter resets", "Value #B": "appearances",
                                    "Value #C": "disappearances"}),
          description="Counters that restarted (interface re-created, driver reset) and "
                      "interfaces that vanished or came back: each is handled without a spike "
                      "in the rates above.")
    d.row("Latency")
    d.add("heatmap", "RTT distribution",
          [{"expr": 'sum by (le) (increase(circuitwatch_probe_rtt_seconds_bucket' + F
                    + '[$__rate_interval]))', "legend": "{{le}}", "format": "heatmap"}],
          w=12, h=9, unit="s",
          options={"calculate": False, "cellGap": 1,
                   "color": {"mode": "scheme", "scheme": "Oranges", "fill": "dark-orange",
                             "scale": "exponential", "exponent": 0.5, "steps": 64,
                             "reverse": False},
                   "yAxis": {"axisPlacement": "left", "unit": "s", "reverse": False},
                   "rowsFrame": {"layout": "auto"}, "filterValues": {"le": 1e-9},
                   "showValue": "never", "cellValues": {"unit": "short"},
                   "tooltip": {"mode": "single", "yHistogram": True, "showColorScale": False},
                   "legend": {"show": True}, "exemplars": {"color": "rgba(255,0,255,0.7)"}},
          description="Probes answered per RTT bucket (the probes' Prometheus histogram, "
                      "0.1 ms to 2 s), all probes of the selected links.")
    d.add("timeseries", "RTT quantiles (5m) and last",
          [{"expr": 'circuitwatch:probe_rtt_seconds:p50_5m' + F, "legend": Q + " p50"},
           {"expr": 'circuitwatch:probe_rtt_seconds:p90_5m' + F, "legend": Q + " p90"},
           {"expr": 'circuitwatch:probe_rtt_seconds:p99_5m' + F, "legend": Q + " p99"},
           {"expr": 'circuitwatch:probe_rtt_seconds:mean5m' + F, "legend": Q + " mean"},
           {"expr": 'circuitwatch_probe_rtt_last_seconds' + F, "legend": Q + " last"}],
          w=12, h=9, unit="s", min_=0, options=TS)
    d.add("table", "RTT min and max since the target was added",
          [{"expr": 'circuitwatch_probe_rtt_min_seconds' + F, "instant": True,
            "format": "table"},
           {"expr": 'circuitwatch_probe_rtt_max_seconds' + F, "instant": True,
            "format": "table"}],
          w=8, h=8, unit="s", options=TABLE,
          transformations=table_tf({"Value #A": "min", "Value #B": "max"}))
    d.add("timeseries", "Jitter",
          [{"expr": 'circuitwatch_probe_jitter_seconds' + F, "legend": Q}],
          w=8, h=8, unit="s", min_=0, options=TS,
          description="Smoothed RTT variation, RFC 3550 §6.4.1 style.")
    d.add("timeseries", "STAMP one-way delay and reflector residence",
          [{"expr": 'circuitwatch_probe_oneway_delay_seconds' + F,
            "legend": Q + " {{direction}}"},
           {"expr": 'circuitwatch_probe_reflector_residence_seconds' + F,
            "legend": Q + " reflector residence"}],
          w=8, h=8, unit="s", options=TS,
          description="Forward and reverse delay of the last STAMP reply (RFC 8762), shown "
                      "only when both ends report synchronised clocks; the time the reflector "
                      "held the packet is excluded from the RTT.")
    d.row("Loss and probe health")
    d.add("timeseries", "Loss ratio",
          [{"expr": 'circuitwatch_probe_loss_ratio' + F, "legend": Q}],
          w=8, h=8, unit="percentunit", min_=0, options=TS,
          description="Lost over decided probes in the last probes.loss_window probes.")
    d.add("timeseries", "Probes sent, answered, lost",
          [{"expr": 'sum by (circuit, link, probe) (rate(circuitwatch_probe_sent_total' + F
                    + '[$__rate_interval]))', "legend": Q + " sent"},
           {"expr": 'sum by (circuit, link, probe) (rate(circuitwatch_probe_received_total'
                    + F + '[$__rate_interval]))', "legend": Q + " answered"},
           {"expr": 'sum by (circuit, link, probe) (rate(circuitwatch_probe_lost_total' + F
                    + '[$__rate_interval]))', "legend": Q + " lost"}],
          w=8, h=8, unit="pps", min_=0, options=TS)
    d.add("state-timeline", "Target answering",
          [{"expr": 'circuitwatch_probe_up' + F, "legend": Q}],
          w=8, h=8, mappings=UPDOWN, options=TIMELINE,
          thresholds=steps(("red", None), ("green", 1)))
    d.add("timeseries", "Probe errors and odd replies",
          [{"expr": 'sum by (circuit, link, probe, reason) (rate(circuitwatch_probe_errors_total'
                    + F + '[$__rate_interval]))', "legend": Q + " {{reason}}"},
           {"expr": 'sum by (circuit, link, probe) (rate('
                    'circuitwatch_probe_late_replies_total' + F + '[$__rate_interval]))',
            "legend": Q + " late"},
           {"expr": 'sum by (circuit, link, probe) (rate('
                    'circuitwatch_probe_duplicate_replies_total' + F + '[$__rate_interval]))',
            "legend": Q + " duplicate"},
           {"expr": 'sum by (type, reason) (rate(circuitwatch_probe_unexpected_replies_total'
                    '[$__rate_interval]))', "legend": "unmatched {{type}} {{reason}}"}],
          w=24, h=8, unit="pps", min_=0, options=TS)
    d.row("Per-VLAN traffic (passive capture)")
    d.add("timeseries", "Per-VLAN throughput",
          [{"expr": 'circuitwatch:vlan_bits_per_second:rate5m',
            "legend": "{{interface}} S-tag {{s_tag}} C-tag {{c_tag}} {{direction}}"}],
          w=24, h=8, unit="bps", min_=0, options=TS,
          description="Bits per second per VLAN stack and direction on the capture interfaces "
                      "(not filtered by circuit: a capture sees VLANs, not links).")
    return d.json()


def billing():
    d = Dash("circuitwatch-billing", "circuitwatch / Billing",
             "The billing cycle of each circuit: usage, cost so far, projections, the same usage "
             "under alternative plans, break-even and the budget.", ["billing"])
    d.annotations = event_annotations(flaps=False)
    d.row("This cycle")
    d.add("timeseries", "Bytes this cycle",
          [{"expr": 'circuitwatch_billing_cycle_bytes' + FC,
            "legend": "{{circuit}} {{direction}}"}],
          w=12, h=8, unit="decbytes", min_=0, options=TS,
          description="Metered bytes per direction; only egress (from the cloud) is priced.")
    d.add("timeseries", "Cost so far and projections",
          [{"expr": 'circuitwatch_billing_cycle_cost' + FC,
            "legend": "{{circuit}} so far ({{currency}})"},
           {"expr": 'circuitwatch_billing_projected_cost' + FC,
            "legend": "{{circuit}} projected, {{method}} ({{currency}})"}],
          w=12, h=8, unit="none", min_=0, options=TS, defaults={"decimals": 2},
          description="Projection to the end of the cycle: linear over the elapsed time, or "
                      "from the rate over billing.recent_window.")
    d.add("table", "Cycle",
          [{"expr": 'circuitwatch_billing_cycle_start_timestamp_seconds' + FC + ' * 1000',
            "instant": True, "format": "table"},
           {"expr": 'circuitwatch_billing_cycle_end_timestamp_seconds' + FC + ' * 1000',
            "instant": True, "format": "table"},
           {"expr": '(time() - circuitwatch_billing_cycle_start_timestamp_seconds' + FC
                    + ') / (circuitwatch_billing_cycle_end_timestamp_seconds' + FC
                    + ' - circuitwatch_billing_cycle_start_timestamp_seconds' + FC + ')',
            "instant": True, "format": "table"}],
          w=12, h=6, options=TABLE,
          transformations=table_tf({"Value #A": "start", "Value #B": "end",
                                    "Value #C": "elapsed"}),
          overrides=[{"matcher": {"id": "byRegexp", "options": "start|end"},
                      "properties": [{"id": "unit", "value": "dateTimeAsIso"}]},
                     {"matcher": {"id": "byName", "options": "elapsed"},
                      "properties": [{"id": "unit", "value": "percentunit"}]}])
    d.add("stat", "Projected egress",
          [{"expr": 'circuitwatch_billing_cycle_bytes{circuit=~"$circuit",direction="ingress"}'
                    ' / on (circuit) clamp_min(time() - circuitwatch_billing_cycle_start_timestamp_seconds'
                    + FC + ', 1) * on (circuit) (circuitwatch_billing_cycle_end_timestamp_seconds'
                    + FC + ' - circuitwatch_billing_cycle_start_timestamp_seconds' + FC + ')',
            "legend": "{{circuit}}"}],
          w=12, h=6, unit="decbytes", options=dict(STAT, colorMode="value"),
          description="Egress bytes at the end of the cycle if the average so far holds.")
    d.row("Plan comparison")
    d.add("bargauge", "Projected cost per plan",
          [{"expr": 'circuitwatch_billing_projected_cost{circuit=~"$circuit",method="linear"}',
            "legend": "{{circuit}} {{plan}} (current, {{currency}})"},
           {"expr": 'circuitwatch_billing_alternative_projected_cost{circuit=~"$circuit",'
                    'method="linear"}', "legend": "{{circuit}} {{plan}} ({{currency}})"}],
          w=12, h=8, unit="none", min_=0, options=BAR, defaults={"decimals": 2},
          description="The cycle's projected cost under the circuit's plan and under each "
                      "alternative plan it names.")
    d.add("table", "Cost so far per plan",
          [{"expr": 'circuitwatch_billing_cycle_cost' + FC, "instant": True, "format": "table"},
           {"expr": 'circuitwatch_billing_alternative_cost' + FC, "instant": True,
            "format": "table"}],
          w=12, h=8, options=TABLE, defaults={"decimals": 2},
          transformations=table_tf({"Value #A": "current plan", "Value #B": "alternative"}))
    d.add("bargauge", "Break-even egress against this cycle's projection",
          [{"expr": 'circuitwatch_billing_break_even_bytes' + FC,
            "legend": "{{circuit}} break-even {{metered_plan}} / {{unlimited_plan}}"},
           {"expr": 'circuitwatch_billing_cycle_bytes{circuit=~"$circuit",direction="ingress"}',
            "legend": "{{circuit}} from the cloud so far"}],
          w=24, h=7, unit="decbytes", min_=0, options=BAR,
          description="Egress per cycle above which the unlimited plan is cheaper than the "
                      "metered one.")
    d.row("Budget")
    cost_against_budget(d)
    d.add("timeseries", "Budget used",
          [{"expr": 'circuitwatch_billing_budget_ratio' + FC, "legend": "{{circuit}} so far"},
           {"expr": 'circuitwatch_billing_budget_projected_ratio' + FC,
            "legend": "{{circuit}} projected ({{method}})"}],
          w=12, h=8, unit="percentunit", min_=0, options=TS,
          thresholds=steps(("green", None), ("orange", 0.8), ("red", 1)),
          custom={"thresholdsStyle": {"mode": "dashed"}})
    d.add("table", "Budget, thresholds and projected overrun",
          [{"expr": 'circuitwatch_billing_budget' + FC, "instant": True, "format": "table"},
           {"expr": 'circuitwatch_billing_budget_projected_overrun' + FC, "instant": True,
            "format": "table"}],
          w=12, h=8, options=TABLE, defaults={"decimals": 2},
          transformations=table_tf({"Value #A": "budget", "Value #B": "projected overrun"}))
    d.add("state-timeline", "Budget thresholds crossed",
          [{"expr": 'circuitwatch_billing_budget_threshold_crossed' + FC,
            "legend": "{{circuit}} {{threshold}} of budget"}],
          w=24, h=7, options=TIMELINE, thresholds=steps(("green", None), ("red", 1)),
          mappings=[{"type": "value", "options": {
              "0": {"text": "below", "color": "green", "index": 0},
              "1": {"text": "crossed", "color": "red", "index": 1}}}])
    d.row("Billing state")
    d.add("timeseries", "State saves",
          [{"expr": 'sum by (result) (increase(circuitwatch_billing_state_persists_total'
                    '[$__rate_interval]))', "legend": "saves {{result}}"},
           {"expr": 'time() - circuitwatch_billing_state_last_persist_timestamp_seconds',
            "legend": "seconds since the last save"},
           {"expr": 'circuitwatch_billing_state_corrupt_total',
            "legend": "corrupt state files set aside"},
           {"expr": 'circuitwatch_billing_meter_dropped_total',
            "legend": "metering updates refused"}],
          w=24, h=7, min_=0, options=TS)
    d.row("Metered traffic per link")
    d.add("timeseries", "Receive rate on the link interfaces",
          [{"expr": 'circuitwatch:link_receive_bits_per_second:sum' + F,
            "legend": "{{circuit}} {{link}}"}],
          w=24, h=7, unit="bps", min_=0, options=TS,
          description="What the providers charge as egress (data leaving the cloud) arrives "
                      "on our side of the links: the interface receive rate per link.")
    return d.json()


for name, fn in (("circuits-overview", overview), ("bgp-sessions", bgp),
                 ("link-detail", link), ("billing", billing)):
    with open(f"{OUT}/{name}.json", "w") as f:
        json.dump(fn(), f, indent=2)
        f.write("\n")
