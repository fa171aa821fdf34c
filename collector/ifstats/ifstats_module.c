/* ifstats_module.c — the libuv/registry edge of interface counters (see
 * ifstats_module.h). One RTM_GETLINK dump per pass on the loop thread
 * (a dump of 1,000 links takes a few milliseconds, see docs/performance.md
 * "Interface sampling"), filtered to the watched names, fed to rate.c; then every
 * series is re-published as one metrics group round, so the series of an
 * interface that vanished go away with the sweep. */
#include "ifstats_module.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "circuit_index.h"
#include "ifstats_config.h"
#include "log.h"
#include "metrics.h"
#include "netlink.h"
#include "rate.h"
#include "traffic.h"

enum fam_id {
	/* counters */
	F_RX_BYTES, F_TX_BYTES, F_RX_PACKETS, F_TX_PACKETS,
	F_RX_ERRORS, F_TX_ERRORS, F_RX_DROPPED, F_TX_DROPPED,
	F_RESETS, F_APPEARANCES, F_DISAPPEARANCES,
	F_COUNTERS_END,
	/* gauges */
	F_RX_BPS = F_COUNTERS_END, F_TX_BPS, F_RX_PPS, F_TX_PPS,
	F_RX_PEAK_BPS, F_TX_PEAK_BPS, F_RX_PEAK_PPS, F_TX_PEAK_PPS,
	F_PRESENT, F_UP,
	F_LINK_UTIL, F_LINK_PEAK_UTIL, F_CIRCUIT_UTIL,
	F_INFO,
	F_COUNT
};

static const char *const l_if[] = {"interface", "circuit", "link"};
static const char *const l_info[] = {"interface", "circuit", "link", "ifindex",
				     "kind", "vlan", "vlan_protocol", "operstate"};
static const char *const l_link[] = {"circuit", "link", "direction"};
static const char *const l_circuit[] = {"circuit", "direction"};
static const char *const l_reason[] = {"reason"};
static const char *const l_result[] = {"result"};

#define IF_COUNTER(n, h) {METRICS_COUNTER, n, h, NULL, 3, l_if, 0, NULL}
#define IF_GAUGE(n, h) {METRICS_GAUGE, n, h, NULL, 3, l_if, 0, NULL}

static const struct metrics_family_def defs[F_COUNT] = {
	[F_RX_BYTES] = IF_COUNTER("circuitwatch_interface_receive_bytes_total",
				  "Bytes received, the kernel's 64-bit counter (rx_bytes)."),
	[F_TX_BYTES] = IF_COUNTER("circuitwatch_interface_transmit_bytes_total",
				  "Bytes transmitted, the kernel's 64-bit counter (tx_bytes)."),
	[F_RX_PACKETS] = IF_COUNTER("circuitwatch_interface_receive_packets_total",
				    "Packets received (rx_packets)."),
	[F_TX_PACKETS] = IF_COUNTER("circuitwatch_interface_transmit_packets_total",
				    "Packets transmitted (tx_packets)."),
	[F_RX_ERRORS] = IF_COUNTER("circuitwatch_interface_receive_errors_total",
				   "Receive errors (rx_errors)."),
	[F_TX_ERRORS] = IF_COUNTER("circuitwatch_interface_transmit_errors_total",
				   "Transmit errors (tx_errors)."),
	[F_RX_DROPPED] = IF_COUNTER("circuitwatch_interface_receive_dropped_total",
				    "Packets dropped on receive (rx_dropped)."),
	[F_TX_DROPPED] = IF_COUNTER("circuitwatch_interface_transmit_dropped_total",
				    "Packets dropped on transmit (tx_dropped)."),
	[F_RESETS] = IF_COUNTER("circuitwatch_interface_resets_total",
				"Times the interface's counters restarted (a counter went down "
				"other than by a 64-bit wrap, or the ifindex changed)."),
	[F_APPEARANCES] = IF_COUNTER("circuitwatch_interface_appearances_total",
				     "Times the interface was found after being absent (the first "
				     "sighting included)."),
	[F_DISAPPEARANCES] = IF_COUNTER("circuitwatch_interface_disappearances_total",
					"Times the interface was gone from a sampling pass (or "
					"re-created with a new ifindex)."),
	[F_RX_BPS] = IF_GAUGE("circuitwatch_interface_receive_bytes_per_second",
			      "Bytes received per second over the last sampling interval."),
	[F_TX_BPS] = IF_GAUGE("circuitwatch_interface_transmit_bytes_per_second",
			      "Bytes transmitted per second over the last sampling interval."),
	[F_RX_PPS] = IF_GAUGE("circuitwatch_interface_receive_packets_per_second",
			      "Packets received per second over the last sampling interval."),
	[F_TX_PPS] = IF_GAUGE("circuitwatch_interface_transmit_packets_per_second",
			      "Packets transmitted per second over the last sampling interval."),
	[F_RX_PEAK_BPS] = IF_GAUGE("circuitwatch_interface_receive_peak_bytes_per_second",
				   "Highest per-interval receive rate in the peak window (60 s)."),
	[F_TX_PEAK_BPS] = IF_GAUGE("circuitwatch_interface_transmit_peak_bytes_per_second",
				   "Highest per-interval transmit rate in the peak window (60 s)."),
	[F_RX_PEAK_PPS] = IF_GAUGE("circuitwatch_interface_receive_peak_packets_per_second",
				   "Highest per-interval receive packet rate in the peak window (60 s)."),
	[F_TX_PEAK_PPS] = IF_GAUGE("circuitwatch_interface_transmit_peak_packets_per_second",
				   "Highest per-interval transmit packet rate in the peak window (60 s)."),
	[F_PRESENT] = IF_GAUGE("circuitwatch_interface_present",
			       "1 when the watched interface exists (was in the last pass), 0 when not."),
	[F_UP] = IF_GAUGE("circuitwatch_interface_up",
			  "1 when the interface is operationally up, 0 otherwise."),
	[F_LINK_UTIL] = {METRICS_GAUGE, "circuitwatch_link_utilisation_ratio",
			 "Rate over the last interval × 8 over the circuit bandwidth (per link), "
			 "per direction.", NULL, 3, l_link, 0, NULL},
	[F_LINK_PEAK_UTIL] = {METRICS_GAUGE, "circuitwatch_link_peak_utilisation_ratio",
			      "Peak per-interval rate in the peak window (60 s) × 8 over the circuit "
			      "bandwidth, per direction.", NULL, 3, l_link, 0, NULL},
	[F_CIRCUIT_UTIL] = {METRICS_GAUGE, "circuitwatch_circuit_utilisation_ratio",
			    "Both links' rates together × 8 over twice the circuit bandwidth "
			    "(links active/active), per direction.", NULL, 2, l_circuit, 0, NULL},
	[F_INFO] = {METRICS_INFO, "circuitwatch_interface_info",
		    "A watched interface: ifindex, kind, VLAN id and protocol (empty unless a "
		    "VLAN device) and operational state.", NULL, 8, l_info, 0, NULL},
};

static const double duration_buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
					  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

/* Labels of a watched interface, and the links that have one. Strings
 * point into ctx->cfg, rebuilt whenever it is replaced. */
struct if_labels {
	const char *circuit, *link;
	int state; /* for the log: 0 not yet sampled, 1 present, 2 absent */
};

struct link_ref {
	const char *circuit, *link;
	enum cfg_link_role role;
	long idx;            /* in the rates table */
	uint64_t bandwidth_bps;
	/* billing: the byte counters last handed to the meter (see meter_link) */
	bool billed_valid;
	char billed_if[IFSTATS_NAME_MAX];
	int32_t billed_ifindex;
	uint64_t billed[IFSTATS_NDIRS];
};

struct ifstats {
	struct cw_ctx *ctx;
	bool enabled;
	uint32_t interval_ms;
	struct ifstats_nl *nl;          /* NULL after a failure: reopened next pass */
	struct ifstats_rates *rates;
	size_t nlabels;
	struct if_labels *labels;       /* per rates index */
	size_t nlinks;
	struct link_ref *links;         /* circuits × 2, primary then secondary */
	struct metrics_family *fam[F_COUNT];
	struct metrics_family *errors_fam, *passes_fam, *duration_fam;
	struct metrics_series *errors[IFSTATS_NL_NERRORS];
	struct metrics_series *pass_ok, *pass_fail, *duration;
	struct metrics_group *group;
	uv_timer_t *timer;
	struct log_ratelimit rl;
};

static uint64_t mono_ns(void)
{
	return uv_hrtime();
}

/* ---- the watch list from the config ---- */

/* A reload keeps the billing baseline of a link whose circuit, role and
 * interface stayed, so no byte is lost or counted twice across it. */
static void keep_billed(struct link_ref *now, size_t n, const struct link_ref *old, size_t nold)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; old != NULL && k < nold; k++)
			if (old[k].billed_valid && old[k].role == now[i].role &&
			    strcmp(old[k].circuit, now[i].circuit) == 0) {
				memcpy(now[i].billed_if, old[k].billed_if, sizeof now[i].billed_if);
				now[i].billed_ifindex = old[k].billed_ifindex;
				memcpy(now[i].billed, old[k].billed, sizeof now[i].billed);
				now[i].billed_valid = true;
			}
}

static int rebuild(struct ifstats *st, const struct cfg_config *cfg,
		   const struct circuit_index *ix)
{
	size_t nl, nc = circuit_index_ncircuits(ix), n = 0;
	const struct circuit_ref *present = circuit_index_links(ix, &nl);
	const char **names = calloc(nl + ifstats_config(cfg)->ninterfaces + 1, sizeof(*names));
	struct link_ref *links = calloc(nc ? nc * CFG_LINK_COUNT : 1, sizeof(*links));
	struct if_labels *labels = NULL;
	int rc = -1;

	if (names == NULL || links == NULL)
		goto out;
	for (size_t i = 0; i < nl; i++)
		if (present[i].link->interface != NULL)
			names[n++] = present[i].link->interface;
	for (size_t i = 0; i < ifstats_config(cfg)->ninterfaces; i++)
		names[n++] = ifstats_config(cfg)->interfaces[i];
	if (ifstats_rates_set_watch(st->rates, names, n) != 0)
		goto out;
	labels = calloc(ifstats_rates_count(st->rates) + 1, sizeof(*labels));
	if (labels == NULL)
		goto out;
	for (size_t i = 0; i < ifstats_rates_count(st->rates); i++)
		labels[i].circuit = labels[i].link = "";
	for (size_t c = 0; c < nc; c++)
		for (int l = 0; l < CFG_LINK_COUNT; l++) {
			const struct cfg_circuit *ci = circuit_index_circuit(ix, c);
			const struct cfg_link *lk = &ci->links[l];
			struct link_ref *lr = &links[c * CFG_LINK_COUNT + (size_t)l];
			long idx = lk->present && lk->interface != NULL
					   ? ifstats_rates_find(st->rates, lk->interface) : -1;

			lr->circuit = ci->id;
			lr->role = (enum cfg_link_role)l;
			lr->link = cfg_link_role_name((enum cfg_link_role)l);
			lr->idx = idx;
			lr->bandwidth_bps = ci->bandwidth_bps;
			/* an interface on several links is labelled with the first */
			if (idx >= 0 && labels[idx].circuit[0] == '\0') {
				labels[idx].circuit = lr->circuit;
				labels[idx].link = lr->link;
			}
		}
	keep_billed(links, nc * CFG_LINK_COUNT, st->links, st->nlinks);
	free(st->labels);
	free(st->links);
	st->labels = labels;
	st->nlabels = ifstats_rates_count(st->rates);
	st->links = links;
	st->nlinks = nc * CFG_LINK_COUNT;
	links = NULL;
	labels = NULL;
	rc = 0;
out:
	free(names);
	free(links);
	free(labels);
	return rc;
}

/* ---- publication ---- */

static void put(struct ifstats *st, enum fam_id f, const char *const *labels, double v)
{
	struct metrics_series *s = metrics_group_series(st->group, st->fam[f], labels);

	if (f < F_COUNTERS_END)
		metrics_counter_set(s, v);
	else if (defs[f].type == METRICS_GAUGE)
		metrics_gauge_set(s, v);
}

static void publish_info(struct ifstats *st, const struct ifstats_view *v,
			 const struct if_labels *lb)
{
	const struct ifstats_sample *s = v->last;
	char ifindex[16], vlan[8] = "";
	const char *proto = "";

	snprintf(ifindex, sizeof(ifindex), "%d", (int)s->ifindex);
	if (strcmp(s->kind, "vlan") == 0) {
		snprintf(vlan, sizeof(vlan), "%u", (unsigned)s->vlan_id);
		proto = s->vlan_proto == 0x88a8 ? "802.1ad" : s->vlan_proto == 0x8100 ? "802.1Q" : "";
	}
	const char *info[] = {v->name, lb->circuit, lb->link, ifindex, s->kind, vlan, proto,
			      ifstats_operstate_name(s->operstate)};

	put(st, F_INFO, info, 1);
}

static void publish_counters(struct ifstats *st, const char *const *l, const struct ifstats_counters *c)
{
	put(st, F_RX_BYTES, l, (double)c->bytes[IFSTATS_RX]);
	put(st, F_TX_BYTES, l, (double)c->bytes[IFSTATS_TX]);
	put(st, F_RX_PACKETS, l, (double)c->packets[IFSTATS_RX]);
	put(st, F_TX_PACKETS, l, (double)c->packets[IFSTATS_TX]);
	put(st, F_RX_ERRORS, l, (double)c->errors[IFSTATS_RX]);
	put(st, F_TX_ERRORS, l, (double)c->errors[IFSTATS_TX]);
	put(st, F_RX_DROPPED, l, (double)c->dropped[IFSTATS_RX]);
	put(st, F_TX_DROPPED, l, (double)c->dropped[IFSTATS_TX]);
}

static void log_transition(struct ifstats *st, const struct ifstats_view *v, struct if_labels *lb)
{
	int now = v->present ? 1 : 2;

	if (lb->state == now)
		return;
	if (now == 2)
		log_warn(st->ctx->log, lb->state == 0 ? "interface not found" : "interface vanished",
			 "interface", v->name);
	else if (lb->state == 2)
		log_info(st->ctx->log, "interface appeared", "interface", v->name);
	lb->state = now;
}

static void publish_interface(struct ifstats *st, const struct ifstats_view *v, struct if_labels *lb)
{
	const char *l[] = {v->name, lb->circuit, lb->link};

	log_transition(st, v, lb);
	put(st, F_PRESENT, l, v->present ? 1 : 0);
	put(st, F_RESETS, l, (double)v->resets);
	put(st, F_APPEARANCES, l, (double)v->appearances);
	put(st, F_DISAPPEARANCES, l, (double)v->disappearances);
	if (!v->present)
		return;
	publish_info(st, v, lb);
	put(st, F_UP, l, ifstats_is_up(v->last) ? 1 : 0);
	if (v->last->has_stats)
		publish_counters(st, l, &v->last->c);
	if (v->has_rate) {
		put(st, F_RX_BPS, l, v->rate.bytes[IFSTATS_RX]);
		put(st, F_TX_BPS, l, v->rate.bytes[IFSTATS_TX]);
		put(st, F_RX_PPS, l, v->rate.packets[IFSTATS_RX]);
		put(st, F_TX_PPS, l, v->rate.packets[IFSTATS_TX]);
	}
	if (v->has_peak) {
		put(st, F_RX_PEAK_BPS, l, v->peak.bytes[IFSTATS_RX]);
		put(st, F_TX_PEAK_BPS, l, v->peak.bytes[IFSTATS_TX]);
		put(st, F_RX_PEAK_PPS, l, v->peak.packets[IFSTATS_RX]);
		put(st, F_TX_PEAK_PPS, l, v->peak.packets[IFSTATS_TX]);
	}
}

/* From the customer side the interface faces the provider edge: what it
 * receives enters our network (ingress: the cloud's egress, which metered
 * plans bill), what it sends leaves (egress). */
static const char *const dir_names[IFSTATS_NDIRS] = {"ingress", "egress"};

/* Growth of a kernel byte counter from last to cur: a counter that went
 * down is a 64-bit wrap when the wrapped difference is small (the rate
 * rule of rate.c), else a reset (re-created interface, driver reset)
 * after which cur bytes are new. */
static uint64_t counter_growth(uint64_t last, uint64_t cur)
{
	if (cur >= last)
		return cur - last;
	if (cur + (UINT64_MAX - last) + 1 <= IFSTATS_WRAP_MAX_DELTA)
		return cur + (UINT64_MAX - last) + 1;
	return cur;
}

/* Billing from interface counters: the growth since the last pass of each
 * link's rx (what the cloud sent us: the metered direction) and tx. The
 * first sample of a link is only a baseline: bytes before the daemon (or
 * the link's config) started are not ours to count; the billing state
 * carries what earlier runs metered. A re-created interface (another
 * ifindex) counts from zero. */
static void meter_link(struct ifstats *st, struct link_ref *lr, uint64_t now)
{
	static const enum traffic_dir dirs[IFSTATS_NDIRS] = {
		[IFSTATS_RX] = TRAFFIC_FROM_CLOUD, [IFSTATS_TX] = TRAFFIC_TO_CLOUD,
	};
	struct ifstats_view v;

	if (lr->idx < 0 || ifstats_rates_view(st->rates, (size_t)lr->idx, now, &v) != 0 ||
	    !v.present || !v.ever_seen || !v.last->has_stats)
		return;
	for (int d = 0; d < IFSTATS_NDIRS; d++) {
		uint64_t cur = v.last->c.bytes[d], grown;

		if (!lr->billed_valid || strcmp(lr->billed_if, v.name) != 0)
			continue;
		grown = lr->billed_ifindex != v.last->ifindex ? cur
							      : counter_growth(lr->billed[d], cur);
		if (grown > 0)
			(void)traffic_add(st->ctx->traffic, lr->circuit, lr->role, dirs[d], grown,
					  CFG_BILL_SOURCE_INTERFACES);
	}
	snprintf(lr->billed_if, sizeof lr->billed_if, "%s", v.name);
	lr->billed_ifindex = v.last->ifindex;
	memcpy(lr->billed, v.last->c.bytes, sizeof lr->billed);
	lr->billed_valid = true;
}

static void publish_link(struct ifstats *st, const struct link_ref *lr, uint64_t now)
{
	struct ifstats_view v;

	if (lr->idx < 0 || ifstats_rates_view(st->rates, (size_t)lr->idx, now, &v) != 0 ||
	    !v.present)
		return;
	for (int d = 0; d < IFSTATS_NDIRS; d++) {
		const char *l[] = {lr->circuit, lr->link, dir_names[d]};

		if (v.has_rate)
			put(st, F_LINK_UTIL, l, ifstats_utilisation(v.rate.bytes[d], lr->bandwidth_bps));
		if (v.has_peak)
			put(st, F_LINK_PEAK_UTIL, l,
			    ifstats_utilisation(v.peak.bytes[d], lr->bandwidth_bps));
	}
}

/* Only while both links have a rate: with one link gone the survivor
 * carries everything, and a ratio over twice the bandwidth would hide
 * that it is full (its own link ratio shows it). */
static void publish_circuit(struct ifstats *st, const struct link_ref *p,
			    const struct link_ref *s, uint64_t now)
{
	struct ifstats_view a, b;

	if (p->idx < 0 || s->idx < 0 || p->idx == s->idx ||
	    ifstats_rates_view(st->rates, (size_t)p->idx, now, &a) != 0 ||
	    ifstats_rates_view(st->rates, (size_t)s->idx, now, &b) != 0 || !a.has_rate ||
	    !b.has_rate)
		return;
	for (int d = 0; d < IFSTATS_NDIRS; d++) {
		const char *l[] = {p->circuit, dir_names[d]};

		put(st, F_CIRCUIT_UTIL, l,
		    ifstats_circuit_utilisation(a.rate.bytes[d], b.rate.bytes[d], p->bandwidth_bps));
	}
}

static void publish(struct ifstats *st, uint64_t now)
{
	for (size_t i = 0; st->enabled && i < ifstats_rates_count(st->rates); i++) {
		struct ifstats_view v;

		if (ifstats_rates_view(st->rates, i, now, &v) == 0 && i < st->nlabels)
			publish_interface(st, &v, &st->labels[i]);
	}
	for (size_t i = 0; st->enabled && i < st->nlinks; i++)
		publish_link(st, &st->links[i], now);
	for (size_t i = 0; st->enabled && i + 1 < st->nlinks; i += CFG_LINK_COUNT)
		publish_circuit(st, &st->links[i], &st->links[i + 1], now);
	if (metrics_group_sweep(st->group) < 0)
		log_error(st->ctx->log, "some interface metrics could not be published (memory)");
}

/* ---- a pass ---- */

static void on_link(const struct ifstats_sample *s, uint64_t now_ns, void *arg)
{
	struct ifstats *st = arg;

	(void)ifstats_rates_sample(st->rates, s, now_ns); /* -1: not watched */
}

static void count_errors(struct ifstats *st, const struct ifstats_nl_walk *w)
{
	for (int e = 0; e < IFSTATS_NL_NERRORS; e++) {
		if (w->errors[e] == 0)
			continue;
		if (st->errors[e] == NULL) {
			const char *l[] = {ifstats_nl_error_name((enum ifstats_nl_error)e)};

			st->errors[e] = metrics_series_get(st->errors_fam, l);
		}
		metrics_counter_add(st->errors[e], (double)w->errors[e]);
	}
}

static void sample_pass(struct ifstats *st)
{
	struct ifstats_nl_walk w = {0};
	uint64_t t0 = mono_ns();
	int rc = -1, err = 0;

	if (ifstats_rates_count(st->rates) == 0) {
		publish(st, t0); /* nothing watched: no dump; what was published goes */
		return;
	}
	ifstats_rates_pass_begin(st->rates);
	if (st->nl == NULL && (st->nl = ifstats_nl_new()) == NULL)
		w.errors[IFSTATS_NL_SOCKET]++;
	else
		rc = ifstats_nl_dump(st->nl, &w, on_link, st, mono_ns);
	err = errno;
	if (rc == 0) {
		ifstats_rates_pass_end(st->rates);
		metrics_counter_add(st->pass_ok, 1);
		for (size_t i = 0; st->enabled && i < st->nlinks; i++)
			meter_link(st, &st->links[i], mono_ns());
		/* billing counts what this pass read now: from the same pass */
		traffic_pass_done(st->ctx->traffic, st->interval_ms);
	} else {
		/* the interfaces not seen may still be there: nothing vanishes */
		ifstats_rates_pass_abort(st->rates);
		metrics_counter_add(st->pass_fail, 1);
		ifstats_nl_free(st->nl);
		st->nl = NULL;
		log_kv_limited(st->ctx->log, &st->rl, LOG_LVL_ERROR, "interface sampling failed",
			       "error", w.kernel_errno ? strerror(w.kernel_errno)
			       : w.interrupted ? "dump interrupted" : strerror(err),
			       (const char *)0);
	}
	metrics_histogram_observe(st->duration, (double)(mono_ns() - t0) / 1e9);
	count_errors(st, &w);
	publish(st, mono_ns());
}

static void on_timer(uv_timer_t *t)
{
	sample_pass(t->data);
}

/* ---- module ---- */

static void free_handle(uv_handle_t *h)
{
	free(h);
}

static void ifstats_free(struct ifstats *st)
{
	if (st->timer != NULL)
		uv_close((uv_handle_t *)st->timer, free_handle);
	ifstats_nl_free(st->nl);
	ifstats_rates_free(st->rates);
	metrics_group_free(st->group);
	free(st->labels);
	free(st->links);
	free(st);
}

static int families_new(struct ifstats *st, struct metrics_registry *reg)
{
	static const struct metrics_family_def errors = {
		METRICS_COUNTER, "circuitwatch_ifstats_netlink_errors_total",
		"Netlink messages or dumps that could not be used, by reason.", NULL, 1, l_reason,
		0, NULL};
	static const struct metrics_family_def passes = {
		METRICS_COUNTER, "circuitwatch_ifstats_passes_total",
		"Sampling passes (one link dump each) by result.", NULL, 1, l_result, 0, NULL};
	const struct metrics_family_def duration = {
		METRICS_HISTOGRAM, "circuitwatch_ifstats_sample_duration_seconds",
		"Time of one sampling pass: the link dump and its parsing.", NULL, 0, NULL,
		sizeof(duration_buckets) / sizeof(duration_buckets[0]), duration_buckets};
	const char *ok[] = {"success"}, *fail[] = {"failure"};

	for (int f = 0; f < F_COUNT; f++)
		if ((st->fam[f] = metrics_family_new(reg, &defs[f])) == NULL) {
			log_error(st->ctx->log, "cannot register metric family", "family",
				  defs[f].name);
			return -1;
		}
	st->errors_fam = metrics_family_new(reg, &errors);
	st->passes_fam = metrics_family_new(reg, &passes);
	st->duration_fam = metrics_family_new(reg, &duration);
	if (st->errors_fam == NULL || st->passes_fam == NULL || st->duration_fam == NULL)
		return -1;
	st->pass_ok = metrics_series_get(st->passes_fam, ok);
	st->pass_fail = metrics_series_get(st->passes_fam, fail);
	st->duration = metrics_series_get(st->duration_fam, NULL);
	return st->pass_ok && st->pass_fail && st->duration ? 0 : -1;
}

static uint32_t interval_of(const struct cfg_config *cfg)
{
	return ifstats_config(cfg)->interval_ms ? ifstats_config(cfg)->interval_ms
						: IFSTATS_DEFAULT_INTERVAL_MS;
}

/* Starts or stops the timer to match cfg; the first pass runs at once. */
static int apply_timer(struct ifstats *st, const struct cfg_config *cfg)
{
	uint64_t window_ns = (uint64_t)interval_of(cfg) * 1500000ULL; /* 1.5 intervals */

	st->enabled = ifstats_config(cfg)->enabled;
	st->interval_ms = interval_of(cfg);
	ifstats_rates_set_peak_window(st->rates, window_ns > IFSTATS_PEAK_WINDOW_NS
							 ? window_ns : IFSTATS_PEAK_WINDOW_NS);
	if (!st->enabled) {
		uv_timer_stop(st->timer);
		publish(st, mono_ns()); /* an empty round: every series goes */
		return 0;
	}
	return uv_timer_start(st->timer, on_timer, 0, st->interval_ms) == 0 ? 0 : -1;
}

static int ifstats_start(struct cw_ctx *ctx, void **state)
{
	struct ifstats *st = calloc(1, sizeof(*st));
	char iv[16], n[16];

	*state = NULL;
	if (st == NULL)
		return -1;
	st->ctx = ctx;
	st->rates = ifstats_rates_new();
	st->group = metrics_group_new();
	st->timer = calloc(1, sizeof(*st->timer));
	if (st->rates == NULL || st->group == NULL || st->timer == NULL ||
	    uv_timer_init(ctx->loop, st->timer) != 0) {
		free(st->timer);
		st->timer = NULL;
		ifstats_free(st);
		return -1;
	}
	st->timer->data = st;
	if (families_new(st, ctx->reg) != 0 || rebuild(st, ctx->cfg, ctx->circuits) != 0 ||
	    apply_timer(st, ctx->cfg) != 0) {
		log_error(ctx->log, "interface counters could not start");
		ifstats_free(st);
		return -1;
	}
	snprintf(iv, sizeof(iv), "%u", st->interval_ms);
	snprintf(n, sizeof(n), "%zu", ifstats_rates_count(st->rates));
	log_info(ctx->log, st->enabled ? "interface counters started" : "interface counters disabled",
		 "interval_ms", iv, "interfaces", n);
	*state = st;
	return 0;
}

static void ifstats_reload(struct cw_ctx *ctx, void *state, const struct cfg_config *old)
{
	struct ifstats *st = state;
	char iv[16], n[16];

	(void)old;
	if (st == NULL)
		return;
	if (rebuild(st, ctx->cfg, ctx->circuits) != 0)
		log_error(ctx->log, "interface list not reloaded (memory)");
	if (st->enabled != ifstats_config(ctx->cfg)->enabled ||
	    st->interval_ms != interval_of(ctx->cfg)) {
		if (apply_timer(st, ctx->cfg) != 0)
			log_error(ctx->log, "interface sampling timer not restarted");
	} else if (st->enabled) {
		publish(st, mono_ns()); /* labels and links may have changed */
	}
	snprintf(iv, sizeof(iv), "%u", st->interval_ms);
	snprintf(n, sizeof(n), "%zu", ifstats_rates_count(st->rates));
	log_info(ctx->log, "interface counters reloaded", "enabled", st->enabled ? "true" : "false",
		 "interval_ms", iv, "interfaces", n);
}

static void ifstats_stop(struct cw_ctx *ctx, void *state)
{
	(void)ctx;
	if (state != NULL)
		ifstats_free(state);
}

const struct cw_module ifstats_module = {
	.name = "ifstats",
	.start = ifstats_start,
	.reload = ifstats_reload,
	.stop = ifstats_stop,
};
