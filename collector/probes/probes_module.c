/* probes_module.c — the probes module (see probes_module.h): builds the
 * target set from the config, keeps one set of series per target and
 * publishes the engine's figures once a second. RTTs go into the
 * histogram as they arrive (the registry has no way to set a histogram). */
#include "probes_module.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include <uv.h>

#include "circuit_index.h"
#include "probes_config.h"
#include "engine.h"
#include "log.h"
#include "metrics.h"

#define PUBLISH_MS 1000
#define KEY_MAX 512

enum fam {
	F_RTT,          /* histogram */
	F_SENT,         /* counters */
	F_RECEIVED,
	F_LOST,
	F_LATE,
	F_DUP,
	F_GAUGES,       /* per-target gauges follow */
	F_LOSS = F_GAUGES,
	F_UP,
	F_LAST,         /* created at the first reply (no NaN series) */
	F_MIN,
	F_MAX,
	F_JITTER,
	F_RESIDENCE,
	F_PER_TARGET,   /* the rest have extra labels */
	F_ERRORS = F_PER_TARGET,
	F_ONEWAY,
	F_UNEXPECTED,
	F_TARGETS,
	F_SEND_LATENESS,
	F_COUNT
};

#define NLABELS 5 /* circuit, link, probe, type, target */

struct ptarget {
	UT_hash_handle hh;
	char key[KEY_MAX];
	struct probes *m;
	struct probe_target *t;
	char *labels[NLABELS];
	struct metrics_series *s[F_PER_TARGET];
	struct metrics_series *err[PROBE_ERR_COUNT];
	struct metrics_series *oneway[2];
	bool seen;
};

struct probes {
	struct cw_ctx *ctx;
	struct probe_engine *engine;
	struct ptarget *targets;    /* uthash by key */
	struct metrics_family *fam[F_COUNT];
	struct metrics_series *unexpected[3][PROBE_UNX_COUNT]; /* by type; none for tcp */
	struct metrics_series *ntargets;
	struct metrics_series *lateness; /* of every send, all targets */
	uv_timer_t *timer;
};

static const char *const type_names[3] = {"icmp", "tcp", "stamp"};

/* ---- families ----------------------------------------------------------- */

static int families_new(struct probes *m)
{
	static const char *const tl[] = {"circuit", "link", "probe", "type", "target"};
	static const char *const el[] = {"circuit", "link", "probe", "type", "target", "reason"};
	static const char *const ol[] = {"circuit", "link", "probe", "type", "target",
					 "direction"};
	static const char *const ul[] = {"type", "reason"};
	static const struct {
		enum metrics_type type;
		const char *name, *help;
		size_t n;
		const char *const *labels;
	} defs[F_COUNT] = {
		[F_RTT] = {METRICS_HISTOGRAM, "circuitwatch_probe_rtt_seconds",
			   "Round-trip time of the probes answered in time (STAMP: without the reflector's residence time).",
			   5, tl},
		[F_SENT] = {METRICS_COUNTER, "circuitwatch_probe_sent_total", "Probes sent (or attempted).", 5, tl},
		[F_RECEIVED] = {METRICS_COUNTER, "circuitwatch_probe_received_total",
				"Probes answered before their timeout.", 5, tl},
		[F_LOST] = {METRICS_COUNTER, "circuitwatch_probe_lost_total",
			    "Probes without an answer in time, or failed (see errors).", 5, tl},
		[F_LATE] = {METRICS_COUNTER, "circuitwatch_probe_late_replies_total",
			    "Replies after their probe's timeout (the probe stays lost).", 5, tl},
		[F_DUP] = {METRICS_COUNTER, "circuitwatch_probe_duplicate_replies_total",
			   "Second and later replies to one probe.", 5, tl},
		[F_LOSS] = {METRICS_GAUGE, "circuitwatch_probe_loss_ratio",
			    "Lost over decided probes in the loss window (probes.loss_window).", 5, tl},
		[F_UP] = {METRICS_GAUGE, "circuitwatch_probe_up",
			  "1 when the target answered within the last 3 intervals plus the timeout.", 5, tl},
		[F_LAST] = {METRICS_GAUGE, "circuitwatch_probe_rtt_last_seconds",
			    "Round-trip time of the last answered probe.", 5, tl},
		[F_MIN] = {METRICS_GAUGE, "circuitwatch_probe_rtt_min_seconds",
			   "Smallest round-trip time since the target was added.", 5, tl},
		[F_MAX] = {METRICS_GAUGE, "circuitwatch_probe_rtt_max_seconds",
			   "Largest round-trip time since the target was added.", 5, tl},
		[F_JITTER] = {METRICS_GAUGE, "circuitwatch_probe_jitter_seconds",
			      "Smoothed RTT variation, RFC 3550 §6.4.1 style (J += (|D| - J) / 16).", 5, tl},
		[F_RESIDENCE] = {METRICS_GAUGE, "circuitwatch_probe_reflector_residence_seconds",
				 "STAMP: time the reflector held the last reply (its transmit minus receive timestamp), excluded from the RTT.",
				 5, tl},
		[F_ERRORS] = {METRICS_COUNTER, "circuitwatch_probe_errors_total",
			      "Probes that failed, by reason.", 6, el},
		[F_ONEWAY] = {METRICS_GAUGE, "circuitwatch_probe_oneway_delay_seconds",
			      "STAMP one-way delay of the last reply, when both clocks are synchronised.",
			      6, ol},
		[F_UNEXPECTED] = {METRICS_COUNTER, "circuitwatch_probe_unexpected_replies_total",
				  "Datagrams on probe sockets that match no probe, by reason.", 2, ul},
		[F_TARGETS] = {METRICS_GAUGE, "circuitwatch_probe_targets", "Probe targets running.", 0,
			       NULL},
		[F_SEND_LATENESS] = {METRICS_HISTOGRAM, "circuitwatch_probe_send_lateness_seconds",
				     "How late each probe left: actual minus scheduled send time (a busy loop thread shows here).",
				     0, NULL},
	};

	for (int i = 0; i < F_COUNT; i++) {
		const struct metrics_family_def def = {
			.type = defs[i].type, .name = defs[i].name, .help = defs[i].help,
			.nlabels = defs[i].n, .label_names = defs[i].labels,
			.nbuckets = defs[i].type == METRICS_HISTOGRAM ? PROBE_RTT_NBUCKETS : 0,
			.buckets = defs[i].type == METRICS_HISTOGRAM ? probe_rtt_buckets : NULL,
		};

		if ((m->fam[i] = metrics_family_new(m->ctx->reg, &def)) == NULL)
			return -1;
	}
	for (int t = 0; t < 3; t++)
		for (int u = 0; t != CFG_PROBE_TCP && u < PROBE_UNX_COUNT; u++) {
			const char *v[] = {type_names[t], probe_unexpected_name((enum probe_unexpected)u)};

			if ((m->unexpected[t][u] = metrics_series_get(m->fam[F_UNEXPECTED], v)) == NULL)
				return -1;
		}
	if ((m->lateness = metrics_series_get(m->fam[F_SEND_LATENESS], NULL)) == NULL)
		return -1;
	return (m->ntargets = metrics_series_get(m->fam[F_TARGETS], NULL)) == NULL ? -1 : 0;
}

/* ---- targets ------------------------------------------------------------- */

static const char *effective_interface(const struct cfg_probe *p, const struct cfg_link *lk)
{
	return p->interface ? p->interface : p->source ? NULL : lk->interface;
}

static void probe_key(char *key, const char *circuit, const char *link, const struct cfg_probe *p,
		      const struct cfg_link *lk)
{
	const char *ifname = effective_interface(p, lk);

	snprintf(key, KEY_MAX, "%s\x1f%s\x1f%s\x1f%d\x1f%s\x1f%u\x1f%s\x1f%s", circuit, link, p->name,
		 (int)p->type, p->target, p->port, p->source ? p->source : "", ifname ? ifname : "");
}

static void on_rtt(void *user, double rtt)
{
	struct ptarget *pt = user;

	metrics_histogram_observe(pt->s[F_RTT], rtt);
}

static void ptarget_free(struct probes *m, struct ptarget *pt)
{
	for (int i = 0; i < F_PER_TARGET; i++)
		metrics_series_remove(m->fam[i], pt->s[i]);
	for (int i = 0; i < PROBE_ERR_COUNT; i++)
		metrics_series_remove(m->fam[F_ERRORS], pt->err[i]);
	for (int i = 0; i < 2; i++)
		metrics_series_remove(m->fam[F_ONEWAY], pt->oneway[i]);
	probe_engine_remove(m->engine, pt->t);
	for (int i = 0; i < NLABELS; i++)
		free(pt->labels[i]);
	free(pt);
}

static int ptarget_add(struct probes *m, const char *key, const char *circuit, const char *link,
		       const struct cfg_probe *p, const struct cfg_link *lk)
{
	struct ptarget *pt = calloc(1, sizeof(*pt));
	const char *lv[NLABELS] = {circuit, link, p->name, cfg_probe_type_name(p->type), p->target};

	if (pt == NULL)
		return -1;
	pt->m = m;
	snprintf(pt->key, sizeof(pt->key), "%s", key);
	for (int i = 0; i < NLABELS; i++)
		if ((pt->labels[i] = strdup(lv[i])) == NULL)
			goto fail;
	for (int i = 0; i < F_LAST; i++)
		if ((pt->s[i] = metrics_series_get(m->fam[i], (const char *const *)pt->labels)) == NULL)
			goto fail;
	if ((pt->t = probe_engine_add(m->engine, p, lk->interface, pt)) == NULL)
		goto fail;
	pt->seen = true;
	HASH_ADD_STR(m->targets, key, pt);
	return 0;
fail:
	ptarget_free(m, pt);
	return -1;
}

/* Adds the probes of one present link, or updates those already running.
 * Returns how many could not be started or updated. */
static size_t sync_link(struct probes *m, const struct circuit_ref *r)
{
	const char *circuit = r->circuit->id, *link = cfg_link_role_name(r->role);
	char key[KEY_MAX];
	size_t failed = 0;

	for (size_t i = 0; i < r->link->nprobes; i++) {
		const struct cfg_probe *p = &r->link->probes[i];
		struct ptarget *pt;

		probe_key(key, circuit, link, p, r->link);
		HASH_FIND_STR(m->targets, key, pt);
		if (pt != NULL && !pt->seen) {
			pt->seen = true;
			if (probe_engine_update(m->engine, pt->t, p) != 0)
				failed++;
		} else if (pt == NULL && ptarget_add(m, key, circuit, link, p, r->link) != 0) {
			failed++;
		}
	}
	return failed;
}

/* Adds, updates and removes targets to match cfg and its circuits ix. */
static void sync_targets(struct probes *m, const struct cfg_config *cfg,
			 const struct circuit_index *ix)
{
	struct ptarget *pt, *tmp;
	size_t nlinks, failed = 0;
	const struct circuit_ref *links = circuit_index_links(ix, &nlinks);

	HASH_ITER(hh, m->targets, pt, tmp)
		pt->seen = false;
	for (size_t l = 0; probes_config(cfg)->enabled && l < nlinks; l++)
		failed += sync_link(m, &links[l]);
	HASH_ITER(hh, m->targets, pt, tmp)
		if (!pt->seen) {
			HASH_DEL(m->targets, pt);
			ptarget_free(m, pt);
		}
	if (failed > 0) {
		char n[24];

		snprintf(n, sizeof(n), "%zu", failed);
		log_error(m->ctx->log, "probe targets not started (out of memory)", "count", n);
	}
	metrics_gauge_set(m->ntargets, (double)HASH_COUNT(m->targets));
}

/* ---- publishing ---------------------------------------------------------- */

static void set_lazy(struct probes *m, struct ptarget *pt, enum fam f, double v)
{
	if (!isfinite(v))
		return;
	if (pt->s[f] == NULL &&
	    (pt->s[f] = metrics_series_get(m->fam[f], (const char *const *)pt->labels)) == NULL)
		return;
	metrics_gauge_set(pt->s[f], v);
}

static struct metrics_series *extra_series(struct probes *m, struct ptarget *pt, enum fam f,
					   struct metrics_series **slot, const char *extra)
{
	const char *lv[NLABELS + 1];

	if (*slot != NULL)
		return *slot;
	for (int i = 0; i < NLABELS; i++)
		lv[i] = pt->labels[i];
	lv[NLABELS] = extra;
	*slot = metrics_series_get(m->fam[f], lv);
	return *slot;
}

static void publish_target(struct probes *m, struct ptarget *pt)
{
	struct probe_target_view v;

	probe_target_get(pt->t, &v);
	metrics_counter_set(pt->s[F_SENT], (double)v.st.sent);
	metrics_counter_set(pt->s[F_RECEIVED], (double)v.st.received);
	metrics_counter_set(pt->s[F_LOST], (double)v.st.lost);
	metrics_counter_set(pt->s[F_LATE], (double)v.st.late);
	metrics_counter_set(pt->s[F_DUP], (double)v.st.duplicates);
	metrics_gauge_set(pt->s[F_LOSS], v.st.loss_ratio);
	metrics_gauge_set(pt->s[F_UP], v.up ? 1 : 0);
	set_lazy(m, pt, F_LAST, v.st.last);
	set_lazy(m, pt, F_MIN, v.st.min);
	set_lazy(m, pt, F_MAX, v.st.max);
	set_lazy(m, pt, F_JITTER, v.st.jitter);
	set_lazy(m, pt, F_RESIDENCE, v.residence);
	/* only the reasons seen: most targets never fail */
	for (int i = 0; i < PROBE_ERR_COUNT; i++)
		if (v.err[i] > 0)
			metrics_counter_set(extra_series(m, pt, F_ERRORS, &pt->err[i],
							 probe_err_name((enum probe_err)i)),
					    (double)v.err[i]);
	if (v.st.oneway_valid && isfinite(v.st.forward) && isfinite(v.st.reverse)) {
		metrics_gauge_set(extra_series(m, pt, F_ONEWAY, &pt->oneway[0], "forward"),
				  v.st.forward);
		metrics_gauge_set(extra_series(m, pt, F_ONEWAY, &pt->oneway[1], "reverse"),
				  v.st.reverse);
	}
}

static void publish(struct probes *m)
{
	struct ptarget *pt, *tmp;

	probe_engine_expire(m->engine);
	HASH_ITER(hh, m->targets, pt, tmp)
		publish_target(m, pt);
	for (int t = 0; t < 3; t++)
		for (int u = 0; t != CFG_PROBE_TCP && u < PROBE_UNX_COUNT; u++)
			metrics_counter_set(m->unexpected[t][u],
					    (double)probe_engine_unexpected(
						    m->engine, (enum cfg_probe_type)t,
						    (enum probe_unexpected)u));
}

static void on_publish(uv_timer_t *h)
{
	publish(h->data);
}

/* ---- module -------------------------------------------------------------- */

/* Each send's lateness into the histogram (loop thread). */
static void on_late(void *arg, double late)
{
	struct probes *m = arg;

	if (m->lateness != NULL)
		metrics_histogram_observe(m->lateness, late);
}

static void engine_opts(const struct cfg_config *cfg, struct probe_engine_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->icmp_socket = probes_config(cfg)->icmp_socket;
	o->loss_window = probes_config(cfg)->loss_window ? probes_config(cfg)->loss_window : 100;
	o->spread_percent = probes_config(cfg)->spread_percent;
	o->on_rtt = on_rtt;
}

static void free_handle(uv_handle_t *h)
{
	free(h);
}

static void probes_free(struct probes *m)
{
	struct ptarget *pt, *tmp;

	HASH_ITER(hh, m->targets, pt, tmp) {
		HASH_DEL(m->targets, pt);
		ptarget_free(m, pt);
	}
	if (m->timer != NULL)
		uv_close((uv_handle_t *)m->timer, free_handle);
	probe_engine_free(m->engine);
	free(m);
}

static int probes_start(struct cw_ctx *ctx, void **state)
{
	struct probes *m = calloc(1, sizeof(*m));
	struct probe_engine_opts o;

	*state = NULL;
	if (m == NULL)
		return -1;
	m->ctx = ctx;
	engine_opts(ctx->cfg, &o);
	o.on_late = on_late;
	o.late_arg = m;
	m->engine = probe_engine_new(ctx->loop, ctx->log, &o);
	m->timer = calloc(1, sizeof(*m->timer));
	if (m->engine == NULL || m->timer == NULL || uv_timer_init(ctx->loop, m->timer) != 0) {
		free(m->timer);
		m->timer = NULL;
		probes_free(m);
		return -1;
	}
	m->timer->data = m;
	if (families_new(m) != 0 ||
	    uv_timer_start(m->timer, on_publish, PUBLISH_MS, PUBLISH_MS) != 0) {
		log_error(ctx->log, "cannot register the probe metrics");
		probes_free(m);
		return -1;
	}
	sync_targets(m, ctx->cfg, ctx->circuits);
	if (!probes_config(ctx->cfg)->enabled)
		log_info(ctx->log, "probes disabled");
	*state = m;
	return 0;
}

static void probes_reload(struct cw_ctx *ctx, void *state, const struct cfg_config *old)
{
	struct probes *m = state;
	struct probe_engine_opts o;

	(void)old;
	if (m == NULL)
		return;
	engine_opts(ctx->cfg, &o);
	probe_engine_set_opts(m->engine, &o);
	sync_targets(m, ctx->cfg, ctx->circuits);
	publish(m);
}

static void probes_stop(struct cw_ctx *ctx, void *state)
{
	(void)ctx;
	if (state != NULL)
		probes_free(state);
}

const struct cw_module probes_module = {
	.name = "probes",
	.start = probes_start,
	.reload = probes_reload,
	.stop = probes_stop,
};
