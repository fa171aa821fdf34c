/* api_status.c — the status of the circuits (circuit → link → peering →
 * session, utilisation, probes, cost, SLA, firing alerts) built from a
 * metrics snapshot alone; see api.h and docs/api.md. Pure: no locks, no
 * clock (time passed in). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define LV 256 /* a label value as kept here (longer ones are cut) */

/* The families of the snapshot, found by name (they are sorted). */
static const struct metrics_snap_family *fam(const struct metrics_snapshot *s, const char *name)
{
	size_t lo = 0, hi = s->nfamilies;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->families[mid].name, name);

		if (c == 0)
			return &s->families[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The labels every per-session family carries, and the index key they make. */
struct sess_labels {
	char source[LV], router[LV], peer[LV], peer_as[LV], rd[LV];
	char circuit[LV], link[LV], peering[LV];
};

static void sess_read(const char *labels, struct sess_labels *l)
{
	api_label(labels, "source", l->source, LV);
	api_label(labels, "router", l->router, LV);
	api_label(labels, "peer", l->peer, LV);
	api_label(labels, "peer_as", l->peer_as, LV);
	api_label(labels, "rd", l->rd, LV);
	api_label(labels, "circuit", l->circuit, LV);
	api_label(labels, "link", l->link, LV);
	api_label(labels, "peering", l->peering, LV);
}

static void key_of(char *k, size_t n, char kind, const char *a, const char *b, const char *c,
		   const char *d)
{
	snprintf(k, n, "%c|%s|%s|%s|%s", kind, a, b ? b : "", c ? c : "", d ? d : "");
}

static json_t *ix_get(json_t *ix, char kind, const char *a, const char *b, const char *c,
		      const char *d)
{
	char k[8 * LV];

	key_of(k, sizeof(k), kind, a, b, c, d);
	return json_object_get(ix, k);
}

static void ix_put(json_t *ix, json_t *o, char kind, const char *a, const char *b, const char *c,
		   const char *d)
{
	char k[8 * LV];

	key_of(k, sizeof(k), kind, a, b, c, d);
	json_object_set(ix, k, o);
}

/* Sets key to v, or to JSON null when v is NaN or infinite. */
static void set_num(json_t *o, const char *key, double v)
{
	if (!isfinite(v))
		json_object_set_new(o, key, json_null());
	else if (v == floor(v) && fabs(v) < 9e15)
		json_object_set_new(o, key, json_integer((json_int_t)v));
	else
		json_object_set_new(o, key, json_real(v));
}

/* Calls fn for every series of family name. */
typedef void (*series_fn)(json_t *ix, const struct metrics_snap_series *s, void *arg);

static void each(const struct metrics_snapshot *snap, const char *name, json_t *ix,
		 series_fn fn, void *arg)
{
	const struct metrics_snap_family *f = fam(snap, name);

	for (size_t i = 0; f != NULL && i < f->nseries; i++)
		fn(ix, &f->series[i], arg);
}

/* ---- the configured circuits, links, peerings and neighbours ---- */

static void add_circuit(json_t *ix, const struct metrics_snap_series *s, void *arg)
{
	static const char *const keys[] = {"circuit", "provider", "tier", "data_plan",
					   "bandwidth", "billing_plan", "location"};
	json_t *list = arg, *c = json_object();
	char v[LV];

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		api_label(s->labels, keys[i], v, sizeof(v));
		json_object_set_new(c, keys[i], json_string(v));
	}
	json_object_set_new(c, "links", json_array());
	json_object_set_new(c, "alerts", json_array());
	api_label(s->labels, "circuit", v, sizeof(v));
	ix_put(ix, c, 'c', v, NULL, NULL, NULL);
	json_array_append_new(list, c);
}

/* Sets o's member name to the value of the label key ("" when absent). */
static void label_member(json_t *o, const char *name, const char *labels, const char *key)
{
	char v[LV];

	api_label(labels, key, v, LV);
	json_object_set_new(o, name, json_string(v));
}

static void add_link(json_t *ix, const struct metrics_snap_series *s, void *arg)
{
	char c[LV], l[LV];
	json_t *circ, *o;

	(void)arg;
	api_label(s->labels, "circuit", c, LV);
	api_label(s->labels, "link", l, LV);
	if ((circ = ix_get(ix, 'c', c, NULL, NULL, NULL)) == NULL)
		return;
	o = json_pack("{s:s, s:o, s:o}", "link", l, "peerings", json_array(), "probes",
		      json_array());
	label_member(o, "interface", s->labels, "interface");
	label_member(o, "s_tag", s->labels, "s_tag");
	ix_put(ix, o, 'l', c, l, NULL, NULL);
	json_array_append_new(json_object_get(circ, "links"), o);
}

static void add_peering(json_t *ix, const struct metrics_snap_series *s, void *arg)
{
	char c[LV], l[LV], p[LV];
	json_t *link, *o;

	(void)arg;
	api_label(s->labels, "circuit", c, LV);
	api_label(s->labels, "link", l, LV);
	api_label(s->labels, "peering", p, LV);
	if ((link = ix_get(ix, 'l', c, l, NULL, NULL)) == NULL)
		return;
	o = json_pack("{s:s, s:o, s:o}", "peering", p, "sessions", json_array(), "neighbors",
		      json_array());
	label_member(o, "vlan", s->labels, "vlan");
	label_member(o, "local_asn", s->labels, "local_as");
	ix_put(ix, o, 'p', c, l, p, NULL);
	json_array_append_new(json_object_get(link, "peerings"), o);
}

/* The peering object of the series' circuit, link and peering labels, or
 * NULL (ix's). */
static json_t *peering_of(json_t *ix, const char *labels)
{
	char c[LV], l[LV], p[LV];

	api_label(labels, "circuit", c, LV);
	api_label(labels, "link", l, LV);
	api_label(labels, "peering", p, LV);
	return ix_get(ix, 'p', c, l, p, NULL);
}

static void add_neighbor(json_t *ix, const struct metrics_snap_series *s, void *arg)
{
	char n[LV], a[LV];
	json_t *pe = peering_of(ix, s->labels);

	(void)arg;
	if (pe == NULL)
		return;
	api_label(s->labels, "peer", n, LV);
	api_label(s->labels, "peer_as", a, LV);
	json_array_append_new(json_object_get(pe, "neighbors"),
			      json_pack("{s:s, s:s}", "neighbor", n, "peer_as", a));
}

static void peering_limit(json_t *ix, const struct metrics_snap_series *s, void *arg)
{
	json_t *pe = peering_of(ix, s->labels);

	(void)arg;
	if (pe != NULL)
		set_num(pe, "prefix_limit", s->value);
}

/* ---- sessions ---- */

struct sess_ctx {
	json_t *all;        /* every session, in snapshot order */
	size_t max;         /* of all; more are counted, not listed */
	size_t seen, up, unmapped, unmapped_up;
	api_down_fn down;
	void *down_arg;
};

static json_t *sess_find(json_t *ix, const char *labels)
{
	struct sess_labels l;
	char rp[2 * LV + 2];

	sess_read(labels, &l);
	snprintf(rp, sizeof(rp), "%s|%s", l.source, l.router);
	return ix_get(ix, 's', rp, l.peer, l.rd, NULL);
}

static void add_session(json_t *ix, const struct metrics_snap_series *s, void *arg)
{
	struct sess_ctx *sc = arg;
	struct sess_labels l;
	char rp[2 * LV + 2];
	const struct api_down *d;
	json_t *o, *pe;
	bool up = s->value > 0;

	sess_read(s->labels, &l);
	if (strcmp(l.source, "config") == 0)
		return; /* a configured neighbour no source reports: "not-reported" below */
	sc->seen++;
	sc->up += up;
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "source", l.source,
		      "router", l.router, "peer", l.peer, "peer_as", l.peer_as, "rd", l.rd,
		      "circuit", l.circuit, "link", l.link, "peering", l.peering, "state",
		      up ? "up" : "down");
	d = sc->down ? sc->down(sc->down_arg, l.router, l.peer, l.rd) : NULL;
	if (d != NULL) {
		set_num(o, "last_down_time", d->time);
		json_object_set_new(o, "last_down_reason", json_string(d->reason));
	}
	snprintf(rp, sizeof(rp), "%s|%s", l.source, l.router);
	ix_put(ix, o, 's', rp, l.peer, l.rd, NULL);
	pe = l.circuit[0] ? ix_get(ix, 'p', l.circuit, l.link, l.peering, NULL) : NULL;
	if (pe != NULL) {
		json_array_append(json_object_get(pe, "sessions"), o);
	} else {
		sc->unmapped++;
		sc->unmapped_up += up;
	}
	if (json_array_size(sc->all) < sc->max)
		json_array_append(sc->all, o);
	json_decref(o);
}

static void sess_value(json_t *ix, const struct metrics_snap_series *s, void *arg)
{
	json_t *o = sess_find(ix, s->labels);

	if (o != NULL)
		set_num(o, arg, s->value);
}

/* bgp_prefixes{..., afi_safi, view}: summed over the families per view. */
static void sess_prefixes(json_t *ix, const struct metrics_snap_series *s, void *arg)
{
	json_t *o = sess_find(ix, s->labels), *views, *cur;
	char view[LV];

	(void)arg;
	if (o == NULL || !api_label(s->labels, "view", view, LV))
		return;
	views = json_object_get(o, "prefixes");
	if (views == NULL) {
		views = json_object();
		json_object_set_new(o, "prefixes", views);
	}
	cur = json_object_get(views, view);
	set_num(views, view, s->value + (cur ? json_number_value(cur) : 0));
}

/* prefixes_received / _advertised: post-policy when the router reports
 * that view, else pre-policy (as the prefix-limit headroom). */
static void sess_finish(json_t *o)
{
	json_t *v = json_object_get(o, "prefixes"), *x;

	if (v == NULL)
		return;
	if ((x = json_object_get(v, "adj-rib-in-post")) || (x = json_object_get(v, "adj-rib-in-pre")))
		json_object_set(o, "prefixes_received", x);
	if ((x = json_object_get(v, "adj-rib-out-post")) ||
	    (x = json_object_get(v, "adj-rib-out-pre")))
		json_object_set(o, "prefixes_advertised", x);
}

/* A configured neighbour no source reports: a session "not-reported". */
static void peering_missing(json_t *pe)
{
	json_t *sess = json_object_get(pe, "sessions"), *n, *s;
	size_t i, j;

	json_array_foreach(json_object_get(pe, "neighbors"), i, n) {
		const char *addr = json_string_value(json_object_get(n, "neighbor"));
		bool found = false;

		json_array_foreach(sess, j, s)
			found |= strcmp(json_string_value(json_object_get(s, "peer")), addr) == 0;
		if (!found)
			json_array_append_new(
				sess, json_pack("{s:s, s:O, s:s, s:O*}", "peer", addr, "peer_as",
						json_object_get(n, "peer_as"), "state",
						"not-reported", "prefix_limit",
						json_object_get(pe, "prefix_limit")));
	}
	json_array_foreach(sess, j, s)
		sess_finish(s);
}

/* ---- links, circuits: gauges by {circuit[, link][, direction|scope]} ---- */

/* A value into the object of its circuit (or link, when the family has a
 * link label): at key, or at key.<sub> for the label sub names. */
struct put {
	const char *key;
	const char *sub; /* a label whose value names the member of key; NULL: none */
	bool link;
};

static void put_value(json_t *ix, const struct metrics_snap_series *s, void *arg)
{
	const struct put *p = arg;
	char c[LV], l[LV], sub[LV];
	json_t *o, *inner;

	api_label(s->labels, "circuit", c, LV);
	api_label(s->labels, "link", l, LV);
	o = p->link ? ix_get(ix, 'l', c, l, NULL, NULL) : ix_get(ix, 'c', c, NULL, NULL, NULL);
	if (o == NULL)
		return;
	if (p->sub == NULL) {
		set_num(o, p->key, s->value);
		return;
	}
	api_label(s->labels, p->sub, sub, LV);
	if ((inner = json_object_get(o, p->key)) == NULL) {
		inner = json_object();
		json_object_set_new(o, p->key, inner);
	}
	set_num(inner, sub, s->value);
}

static void put_redundant(json_t *ix, const struct metrics_snap_series *s, void *arg)
{
	char c[LV];
	json_t *o;

	(void)arg;
	api_label(s->labels, "circuit", c, LV);
	if ((o = ix_get(ix, 'c', c, NULL, NULL, NULL)) != NULL)
		json_object_set_new(o, "redundant", json_boolean(s->value > 0));
}

/* Probes by {circuit, link, probe, type, target}: one entry per target. */
static void put_probe(json_t *ix, const struct metrics_snap_series *s, void *arg)
{
	char c[LV], l[LV], name[LV], type[LV], target[LV], k[3 * LV + 4];
	json_t *link, *o;

	api_label(s->labels, "circuit", c, LV);
	api_label(s->labels, "link", l, LV);
	if ((link = ix_get(ix, 'l', c, l, NULL, NULL)) == NULL)
		return;
	api_label(s->labels, "probe", name, LV);
	api_label(s->labels, "type", type, LV);
	api_label(s->labels, "target", target, LV);
	snprintf(k, sizeof(k), "%s|%s|%s", name, type, target);
	if ((o = ix_get(ix, 'q', c, l, k, NULL)) == NULL) {
		o = json_pack("{s:s, s:s, s:s}", "probe", name, "type", type, "target", target);
		ix_put(ix, o, 'q', c, l, k, NULL);
		json_array_append_new(json_object_get(link, "probes"), o);
	}
	if (strcmp(arg, "up") == 0)
		json_object_set_new(o, "up", json_boolean(s->value > 0));
	else
		set_num(o, arg, s->value);
}

/* Billing: the cycle's cost so far and its linear projection. */
static void put_cost(json_t *ix, const struct metrics_snap_series *s, void *arg)
{
	char c[LV], plan[LV], cur[LV], method[LV];
	json_t *o, *cost;

	api_label(s->labels, "circuit", c, LV);
	if ((o = ix_get(ix, 'c', c, NULL, NULL, NULL)) == NULL)
		return;
	if (api_label(s->labels, "method", method, LV) && strcmp(method, "linear") != 0)
		return;
	if ((cost = json_object_get(o, "cost")) == NULL) {
		cost = json_object();
		json_object_set_new(o, "cost", cost);
	}
	if (api_label(s->labels, "plan", plan, LV))
		json_object_set_new(cost, "plan", json_string(plan));
	if (api_label(s->labels, "currency", cur, LV))
		json_object_set_new(cost, "currency", json_string(cur));
	set_num(cost, arg, s->value);
}

static void put_sla(json_t *ix, const struct metrics_snap_series *s, void *arg)
{
	char c[LV], scope[LV], k[LV + 16];
	json_t *o, *sla;

	api_label(s->labels, "circuit", c, LV);
	if ((o = ix_get(ix, 'c', c, NULL, NULL, NULL)) == NULL)
		return;
	if ((sla = json_object_get(o, "sla")) == NULL) {
		sla = json_object();
		json_object_set_new(o, "sla", sla);
	}
	if (api_label(s->labels, "scope", scope, LV)) {
		snprintf(k, sizeof(k), "%s_%s", (const char *)arg, scope);
		set_num(sla, k, s->value);
	} else {
		set_num(sla, arg, s->value);
	}
}

/* ---- alerts ---- */

static void put_alert(json_t *ix, const struct metrics_snap_series *s, void *arg)
{
	static const char *const keys[] = {"alertname", "severity", "circuit", "link", "peering"};
	char v[LV], state[LV];
	json_t *list = arg, *a, *circ;

	api_label(s->labels, "alertstate", state, LV);
	if (!(s->value > 0) || strcmp(state, "firing") != 0)
		return;
	a = json_object();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		api_label(s->labels, keys[i], v, LV);
		json_object_set_new(a, keys[i], json_string(v));
	}
	set_num(a, "instances", s->value);
	api_label(s->labels, "circuit", v, LV);
	if (v[0] && (circ = ix_get(ix, 'c', v, NULL, NULL, NULL)) != NULL)
		json_array_append(json_object_get(circ, "alerts"), a);
	json_array_append_new(list, a);
}

/* ---- the state: green, amber, red and why ---- */

static double num(const json_t *o, const char *key, double dflt)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

__attribute__((format(printf, 2, 3))) static void reason(json_t *reasons, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(reasons, json_string(buf));
}

/* Sessions up in a circuit, and amber reasons of its links. */
static size_t links_state(const json_t *c, json_t *amber)
{
	size_t up = 0, i, j, k;
	json_t *l, *p, *s, *u;
	const char *dir;

	json_array_foreach(json_object_get(c, "links"), i, l) {
		const char *name = json_string_value(json_object_get(l, "link"));
		double lu = num(l, "sessions_up", -1), lc = num(l, "sessions_configured", -1);

		json_array_foreach(json_object_get(l, "peerings"), j, p)
			json_array_foreach(json_object_get(p, "sessions"), k, s)
				up += strcmp(json_string_value(json_object_get(s, "state")), "up") == 0;
		if (lc > 0 && lu < lc)
			reason(amber, "link %s: %.0f%% of its sessions down", name,
			       100.0 * (lc - lu) / lc);
		json_object_foreach(json_object_get(l, "utilisation"), dir, u)
			if (json_number_value(u) >= API_UTIL_HIGH)
				reason(amber, "utilisation high (%s): %.0f%%", dir,
				       100.0 * json_number_value(u));
	}
	return up;
}

/* The SLA budget left: remaining downtime over the cycle's allowance
 * (circuitwatch_circuit_sla_downtime_budget_seconds), as the
 * CircuitwatchSLAAtRisk rule judges it. */
static void sla_state(const json_t *c, json_t *amber)
{
	const json_t *sla = json_object_get(c, "sla");
	double left = num(sla, "downtime_remaining_seconds", NAN);
	double allowance = num(sla, "downtime_budget_seconds", NAN);

	if (sla == NULL || !isfinite(left) || !isfinite(allowance) || !(allowance > 0))
		return;
	if (left / allowance < API_SLA_LOW)
		reason(amber, "SLA budget low: %.0f s of downtime left", left);
}

static void circuit_state(json_t *c)
{
	json_t *red = json_array(), *amber = json_array(), *a, *r;
	size_t up = links_state(c, amber), i;
	const json_t *redundant = json_object_get(c, "redundant");

	if (up == 0)
		reason(red, "no BGP session up");
	if (json_is_false(redundant))
		reason(amber, "not redundant");
	json_array_foreach(json_object_get(c, "alerts"), i, a)
		reason(amber, "alert %s firing", json_string_value(json_object_get(a, "alertname")));
	sla_state(c, amber);
	r = json_array_size(red) ? red : amber;
	json_object_set_new(c, "state",
			    json_string(json_array_size(red)    ? "red"
					: json_array_size(amber) ? "amber"
								  : "green"));
	if (r == red)
		json_array_extend(r, amber);
	json_object_set(c, "reasons", r);
	json_object_set_new(c, "sessions_up", json_integer((json_int_t)up));
	json_decref(red);
	json_decref(amber);
}

/* ---- the whole ---- */

static void fill_config(const struct metrics_snapshot *snap, json_t *ix, json_t *circuits)
{
	each(snap, "circuitwatch_circuit_info", ix, add_circuit, circuits);
	each(snap, "circuitwatch_link_info", ix, add_link, NULL);
	each(snap, "circuitwatch_peering_info", ix, add_peering, NULL);
	each(snap, "circuitwatch_bgp_peer_info", ix, add_neighbor, NULL);
	each(snap, "circuitwatch_peering_prefix_limit", ix, peering_limit, NULL);
}

static void fill_sessions(const struct metrics_snapshot *snap, json_t *ix, struct sess_ctx *sc)
{
	each(snap, "circuitwatch_bgp_session_up", ix, add_session, sc);
	each(snap, "circuitwatch_bgp_session_last_change_timestamp_seconds", ix, sess_value,
	     "since");
	each(snap, "circuitwatch_bgp_session_state_changes_total", ix, sess_value,
	     "state_changes");
	each(snap, "circuitwatch_bgp_prefix_limit", ix, sess_value, "prefix_limit");
	each(snap, "circuitwatch_bgp_prefix_limit_headroom", ix, sess_value, "prefix_limit_headroom");
	each(snap, "circuitwatch_bgp_prefixes", ix, sess_prefixes, NULL);
}

static void fill_links(const struct metrics_snapshot *snap, json_t *ix)
{
	static const struct put up = {"sessions_up", NULL, true},
				conf = {"sessions_configured", NULL, true},
				lutil = {"utilisation", "direction", true},
				lpeak = {"peak_utilisation", "direction", true},
				cutil = {"utilisation", "direction", false},
				bw = {"bandwidth_bytes_per_second", NULL, false};

	each(snap, "circuitwatch_link_sessions_up", ix, put_value, (void *)&up);
	each(snap, "circuitwatch_link_sessions_configured", ix, put_value, (void *)&conf);
	each(snap, "circuitwatch_link_utilisation_ratio", ix, put_value, (void *)&lutil);
	each(snap, "circuitwatch_link_peak_utilisation_ratio", ix, put_value, (void *)&lpeak);
	each(snap, "circuitwatch_circuit_utilisation_ratio", ix, put_value, (void *)&cutil);
	each(snap, "circuitwatch_circuit_bandwidth_bytes_per_second", ix, put_value, (void *)&bw);
	each(snap, "circuitwatch_circuit_redundant", ix, put_redundant, NULL);
	each(snap, "circuitwatch_probe_rtt_last_seconds", ix, put_probe, "rtt_seconds");
	each(snap, "circuitwatch_probe_loss_ratio", ix, put_probe, "loss_ratio");
	each(snap, "circuitwatch_probe_jitter_seconds", ix, put_probe, "jitter_seconds");
	each(snap, "circuitwatch_probe_up", ix, put_probe, "up");
}

static void fill_money_sla(const struct metrics_snapshot *snap, json_t *ix)
{
	each(snap, "circuitwatch_billing_cycle_cost", ix, put_cost, "so_far");
	each(snap, "circuitwatch_billing_projected_cost", ix, put_cost, "projected");
	each(snap, "circuitwatch_billing_budget", ix, put_cost, "budget");
	each(snap, "circuitwatch_billing_budget_ratio", ix, put_cost, "budget_ratio");
	each(snap, "circuitwatch_circuit_availability_ratio", ix, put_sla, "availability");
	each(snap, "circuitwatch_circuit_sla_target_ratio", ix, put_sla, "target");
	each(snap, "circuitwatch_circuit_sla_downtime_remaining_seconds", ix, put_sla,
	     "downtime_remaining_seconds");
	each(snap, "circuitwatch_circuit_sla_downtime_budget_seconds", ix, put_sla,
	     "downtime_budget_seconds");
}

static void add_version(const struct metrics_snapshot *snap, json_t *out)
{
	const struct metrics_snap_family *f = fam(snap, "circuitwatch_build_info");
	const struct metrics_snap_family *st = fam(snap, "circuitwatch_start_time_seconds");
	char v[LV] = "";

	if (f != NULL && f->nseries > 0)
		api_label(f->series[0].labels, "version", v, LV);
	json_object_set_new(out, "version", json_string(v));
	if (st != NULL && st->nseries > 0)
		set_num(out, "start_time", st->series[0].value);
}

json_t *api_status_json(const struct metrics_snapshot *snap, double now, api_down_fn down,
			void *down_arg)
{
	json_t *out = json_object(), *ix = json_object(), *circuits = json_array(), *c, *l, *p;
	json_t *alerts = json_array();
	struct sess_ctx sc = {json_array(), 0, 0, 0, 0, 0, down, down_arg};
	size_t i, j, k;

	fill_config(snap, ix, circuits);
	fill_sessions(snap, ix, &sc);
	fill_links(snap, ix);
	fill_money_sla(snap, ix);
	each(snap, "circuitwatch_alerts", ix, put_alert, alerts);
	json_array_foreach(circuits, i, c) {
		json_array_foreach(json_object_get(c, "links"), j, l)
			json_array_foreach(json_object_get(l, "peerings"), k, p) {
				peering_missing(p);
				json_object_del(p, "neighbors");
			}
		circuit_state(c);
	}
	add_version(snap, out);
	set_num(out, "time", now);
	json_object_set_new(out, "circuits", circuits);
	json_object_set_new(out, "alerts", alerts);
	json_object_set_new(out, "sessions_unmapped",
			    json_pack("{s:I, s:I}", "up", (json_int_t)sc.unmapped_up, "total",
				      (json_int_t)sc.unmapped));
	json_decref(sc.all);
	json_decref(ix);
	return out;
}

json_t *api_sessions_json(const struct metrics_snapshot *snap, size_t max, api_down_fn down,
			  void *down_arg)
{
	json_t *ix = json_object(), *out, *s;
	struct sess_ctx sc = {json_array(), max, 0, 0, 0, 0, down, down_arg};
	size_t i;

	fill_sessions(snap, ix, &sc);
	json_array_foreach(sc.all, i, s)
		sess_finish(s);
	out = json_pack("{s:o, s:b, s:I, s:I}", "sessions", sc.all, "truncated", sc.seen > max,
			"total", (json_int_t)sc.seen, "up", (json_int_t)sc.up);
	json_decref(ix);
	return out;
}
