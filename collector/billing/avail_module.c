/* avail_module.c — the model/metrics/file edge of availability; the
 * counting is in avail.c, the state file in avail_state.c. See
 * avail_module.h. */
#include "avail_module.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "avail.h"
#include "avail_config.h"
#include "avail_state.h"
#include "billing_config.h"
#include "circuit_index.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "tz.h"

enum afam {
	A_PERSISTS, /* counters first */
	A_CORRUPT,
	A_COUNTERS,
	A_OBSERVED = A_COUNTERS,
	A_UNOBSERVED,
	A_UP,
	A_RATIO,
	A_TARGET,
	A_BUDGET,
	A_REMAINING,
	A_LINK_UP,
	A_LINK_RATIO,
	A_START,
	A_END,
	A_PREV_OBSERVED,
	A_PREV_UP,
	A_PREV_RATIO,
	A_PREV_REMAINING,
	A_PREV_END,
	A_PERSIST_TS,
	A_COUNT
};

struct acirc {
	char id[CFG_ID_MAX + 1];
	size_t ix;                        /* its place in ctx->circuits */
	const struct cfg_circuit *c;      /* in ctx->cfg */
	struct bill_tz *tz;
	struct avail_calendar cal;
	bool link[CFG_LINK_COUNT];        /* links with a configured neighbour */
	bool two;                         /* two links: scope redundant */
	double target;                    /* ratio */
	struct avail_track t;
};

struct avail_mod {
	struct cw_ctx *ctx;
	struct metrics_group *group;
	struct metrics_family *fam[A_COUNT];
	size_t n;
	struct acirc *v;
	uint64_t persist_due_ms;
	bool save_now;
	uint64_t persist_ok, persist_err, corrupt;
	bool persist_failing;
	double last_persist;
};

static const char *const scope_names[AVAIL_SCOPE_COUNT] = {"any", "redundant"};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- metrics ---------------------------------------------------------- */

static int families_new(struct avail_mod *a)
{
	static const char *const c_l[] = {"circuit"};
	static const char *const s_l[] = {"circuit", "scope"};
	static const char *const l_l[] = {"circuit", "link"};
	static const char *const res_l[] = {"result"};
	static const struct {
		const char *name, *help;
		size_t n;
		const char *const *labels;
	} defs[A_COUNT] = {
		[A_PERSISTS] = {"circuitwatch_availability_state_persists_total",
				"Saves of the availability state file, by result (success, failure).", 1, res_l},
		[A_CORRUPT] = {"circuitwatch_availability_state_corrupt_total",
			       "Availability state files found unreadable at start and renamed aside.",
			       0, NULL},
		[A_OBSERVED] = {"circuitwatch_circuit_observed_seconds",
				"Seconds of the current cycle the collector observed the circuit's "
				"sessions.", 1, c_l},
		[A_UNOBSERVED] = {"circuitwatch_circuit_unobserved_seconds",
				  "Seconds of the current cycle so far not observed (collector not "
				  "running, no data yet); never counted as down.", 1, c_l},
		[A_UP] = {"circuitwatch_circuit_up_seconds",
			  "Observed seconds of the current cycle with at least one BGP session up "
			  "(scope any) or every session of both links up (scope redundant).", 2, s_l},
		[A_RATIO] = {"circuitwatch_circuit_availability_ratio",
			     "Up seconds over observed seconds in the current cycle.", 2, s_l},
		[A_TARGET] = {"circuitwatch_circuit_sla_target_ratio",
			      "The availability the circuit's SLA states (availability.sla).", 1, c_l},
		[A_BUDGET] = {"circuitwatch_circuit_sla_downtime_budget_seconds",
			      "Downtime the SLA allows in the whole current cycle.", 1, c_l},
		[A_REMAINING] = {"circuitwatch_circuit_sla_downtime_remaining_seconds",
				 "The cycle's downtime budget minus the downtime so far (scope any); "
				 "negative when the SLA is breached.", 1, c_l},
		[A_LINK_UP] = {"circuitwatch_link_up_seconds",
			       "Observed seconds of the current cycle with every session of the link up.",
			       2, l_l},
		[A_LINK_RATIO] = {"circuitwatch_link_availability_ratio",
				  "Link up seconds over observed seconds in the current cycle.", 2, l_l},
		[A_START] = {"circuitwatch_circuit_availability_cycle_start_timestamp_seconds",
			     "Start of the circuit's current availability cycle (Unix time).", 1, c_l},
		[A_END] = {"circuitwatch_circuit_availability_cycle_end_timestamp_seconds",
			   "End of the circuit's current availability cycle (Unix time).", 1, c_l},
		[A_PREV_OBSERVED] = {"circuitwatch_circuit_previous_observed_seconds",
				     "Observed seconds of the previous cycle.", 1, c_l},
		[A_PREV_UP] = {"circuitwatch_circuit_previous_up_seconds",
			       "Up seconds of the previous cycle, by scope.", 2, s_l},
		[A_PREV_RATIO] = {"circuitwatch_circuit_previous_availability_ratio",
				  "Availability of the previous cycle, by scope.", 2, s_l},
		[A_PREV_REMAINING] = {"circuitwatch_circuit_previous_sla_downtime_remaining_seconds",
				      "Downtime budget left at the end of the previous cycle (negative: "
				      "the SLA was breached).", 1, c_l},
		[A_PREV_END] = {"circuitwatch_circuit_previous_availability_cycle_end_timestamp_seconds",
				"End of the previous availability cycle (Unix time).", 1, c_l},
		[A_PERSIST_TS] = {"circuitwatch_availability_state_last_persist_timestamp_seconds",
				  "When the availability state was last saved (Unix time).", 0, NULL},
	};

	for (int i = 0; i < A_COUNT; i++) {
		const struct metrics_family_def def = {
			.type = i < A_COUNTERS ? METRICS_COUNTER : METRICS_GAUGE,
			.name = defs[i].name, .help = defs[i].help,
			.nlabels = defs[i].n, .label_names = defs[i].labels,
		};

		if ((a->fam[i] = metrics_family_new(a->ctx->reg, &def)) == NULL)
			return -1;
	}
	return 0;
}

static void put(struct avail_mod *a, enum afam f, const char *const *labels, double v)
{
	struct metrics_series *s;

	if (isnan(v))
		return; /* nothing observed: no ratio (the series goes at the sweep) */
	s = metrics_group_series(a->group, a->fam[f], labels);
	if (f < A_COUNTERS)
		metrics_counter_set(s, v);
	else
		metrics_gauge_set(s, v);
}

/* ---- circuits --------------------------------------------------------- */

/* Links with at least one configured neighbour; false: nothing to track. */
static bool circ_links(const struct cfg_circuit *c, bool link[CFG_LINK_COUNT])
{
	bool any = false;

	for (int l = 0; l < CFG_LINK_COUNT; l++) {
		const struct cfg_link *lk = &c->links[l];

		link[l] = false;
		for (size_t p = 0; lk->present && p < lk->npeerings; p++)
			link[l] = link[l] || lk->peerings[p].nneighbors > 0;
		any = any || link[l];
	}
	return any;
}

/* The circuit's calendar: its billing cycle when it has a plan, else
 * calendar months in UTC. Returns 0, or -1 when the zone fails to load. */
static int circ_calendar(struct avail_mod *a, struct acirc *ac)
{
	const struct cfg_config *cfg = a->ctx->cfg;
	const struct cfg_circuit *c = ac->c;
	enum bill_tz_error err;

	if (billing_config(cfg)->enabled && cfg_plan_find(cfg, c->billing_plan)) {
		ac->cal.day = c->billing.cycle_day;
		ac->cal.minute = c->billing.cycle_minute;
		if (bill_tz_load(NULL, c->billing.timezone, &ac->tz, &err) < 0) {
			log_error(a->ctx->log, "availability: cannot load the time zone", "circuit",
				  c->id, "timezone", c->billing.timezone, "error",
				  bill_tz_error_name(err));
			return -1;
		}
	} else {
		ac->cal.day = 1;
		ac->cal.minute = 0;
		if ((ac->tz = bill_tz_utc()) == NULL)
			return -1;
	}
	ac->cal.tz = ac->tz;
	return 0;
}

static int circ_init(struct avail_mod *a, struct acirc *ac, const struct cfg_circuit *c,
		     size_t ix, double now)
{
	const struct cfg_availability *cfg = avail_config(a->ctx->cfg);

	memset(ac, 0, sizeof *ac);
	snprintf(ac->id, sizeof ac->id, "%s", c->id);
	ac->ix = ix;
	ac->c = c;
	ac->two = c->links[CFG_LINK_SECONDARY].present;
	/* 99.99 % is 0.9999, not 0.99989999...: percent to a ratio of 8 decimals */
	ac->target = round(avail_config_target(cfg, c) * 1e6) / 1e8;
	(void)circ_links(c, ac->link);
	if (circ_calendar(a, ac) < 0)
		return -1;
	if (avail_track_init(&ac->t, &ac->cal, now, (double)cfg->startup_grace_s) < 0) {
		bill_tz_free(ac->tz);
		ac->tz = NULL;
		return -1;
	}
	return 0;
}

/* Running figures carry over; under a new calendar, a cycle that ended
 * before the new one starts becomes the previous one, one that overlaps
 * keeps its figures with the new bounds. */
static void circ_adopt(struct acirc *ac, const struct acirc *old, double now)
{
	struct avail_figures fresh = ac->t.cur;

	ac->t = old->t;
	if (old->t.cur.start == fresh.start && old->t.cur.end == fresh.end)
		return;
	if ((double)old->t.cur.end <= (double)fresh.start || now >= (double)old->t.cur.end) {
		ac->t.prev = old->t.cur;
		ac->t.cur = fresh;
		return;
	}
	ac->t.cur.start = fresh.start;
	ac->t.cur.end = fresh.end;
}

static struct acirc *find_old(struct acirc *v, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].id, id) == 0)
			return &v[i];
	return NULL;
}

static const struct avail_state_circuit *find_saved(const struct avail_state *st, const char *id)
{
	for (size_t i = 0; st && i < st->n; i++)
		if (strcmp(st->v[i].id, id) == 0)
			return &st->v[i];
	return NULL;
}

/* A circuit whose zone failed on reload keeps its running calendar: the
 * old entry's zone moves over (never worse than the running config). */
static bool circ_keep_old(struct acirc *ac, struct acirc *old, const struct cfg_circuit *c,
			  size_t ix)
{
	if (!old || !old->tz)
		return false;
	*ac = *old;
	ac->c = c;
	ac->ix = ix;
	old->tz = NULL;
	return true;
}

static void circs_free(struct acirc *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bill_tz_free(v[i].tz);
	free(v);
}

/* Builds the tracked circuits of ctx->cfg, carrying over old ones (a
 * reload) or saved ones (a start). strict: a zone that fails fails all. */
static int circuits_build(struct avail_mod *a, struct acirc *old, size_t nold,
			  const struct avail_state *saved, double now, bool strict)
{
	size_t nc = circuit_index_ncircuits(a->ctx->circuits), n = 0;
	struct acirc *v = calloc(nc ? nc : 1, sizeof *v);
	bool links[CFG_LINK_COUNT];

	if (!v)
		return -1;
	for (size_t i = 0; avail_config(a->ctx->cfg)->enabled && i < nc; i++) {
		const struct cfg_circuit *c = circuit_index_circuit(a->ctx->circuits, i);
		struct acirc *o = find_old(old, nold, c->id);
		const struct avail_state_circuit *sc;

		if (!circ_links(c, links))
			continue; /* no session configured: nothing to be up or down */
		if (circ_init(a, &v[n], c, i, now) < 0) {
			if (!strict && circ_keep_old(&v[n], o, c, i)) {
				n++;
				continue;
			}
			if (!strict)
				continue;
			circs_free(v, n);
			return -1;
		}
		if (o)
			circ_adopt(&v[n], o, now);
		else if ((sc = find_saved(saved, c->id)) != NULL)
			avail_track_restore(&v[n].t, &sc->cur, &sc->prev, now);
		n++;
	}
	circs_free(a->v, a->n);
	a->v = v;
	a->n = n;
	return 0;
}

/* ---- state file ------------------------------------------------------- */

static void persist(struct avail_mod *a, double now)
{
	const char *dir = billing_config(a->ctx->cfg)->state_dir;
	struct avail_state st = {.written = (int64_t)now, .n = a->n};
	char err[256];

	if (a->n == 0)
		return;
	if ((st.v = calloc(a->n, sizeof *st.v)) == NULL) {
		a->persist_err++;
		return;
	}
	for (size_t i = 0; i < a->n; i++) {
		snprintf(st.v[i].id, sizeof st.v[i].id, "%s", a->v[i].id);
		st.v[i].cur = a->v[i].t.cur;
		st.v[i].prev = a->v[i].t.prev;
	}
	if (avail_state_write(dir, &st, err, sizeof err) == 0) {
		a->persist_ok++;
		a->last_persist = now;
		if (a->persist_failing)
			log_info(a->ctx->log, "availability state saved again", "dir", dir);
		a->persist_failing = false;
	} else {
		a->persist_err++;
		if (!a->persist_failing) /* once per failing stretch */
			log_warn(a->ctx->log, "cannot save the availability state", "dir", dir,
				 "error", err);
		a->persist_failing = true;
	}
	free(st.v);
}

static void restore(struct avail_mod *a, struct avail_state *st, double now)
{
	const char *dir = billing_config(a->ctx->cfg)->state_dir;
	char aside[4200], why[512];

	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		log_warn(a->ctx->log, "cannot create the state directory", "dir", dir, "error",
			 strerror(errno));
	switch (avail_state_read(dir, (int64_t)now, st, aside, sizeof aside, why, sizeof why)) {
	case BILL_STATE_LOADED:
	case BILL_STATE_ABSENT:
		break;
	case BILL_STATE_CORRUPT:
		a->corrupt++;
		log_error(a->ctx->log, "availability state unreadable; kept aside, starting from "
			  "zero", "dir", dir, "reason", why, "kept_as", aside);
		break;
	case BILL_STATE_FAILED:
		a->corrupt++;
		log_error(a->ctx->log, "availability state unreadable and could not be moved "
			  "aside; starting from zero", "dir", dir, "reason", why);
		break;
	}
}

/* ---- the tick --------------------------------------------------------- */

/* The circuit's links as the model's last publish counted them. */
static void sample(const struct avail_mod *a, const struct acirc *ac, struct avail_sample *s)
{
	unsigned conf[CFG_LINK_COUNT] = {0}, up[CFG_LINK_COUNT] = {0};
	bool present[CFG_LINK_COUNT] = {false};

	for (int l = 0; l < CFG_LINK_COUNT; l++) {
		struct model_link_sessions ls;

		if (!ac->c->links[l].present)
			continue;
		if (!model_link_sessions(a->ctx->model, ac->ix, l, &ls)) {
			memset(s, 0, sizeof *s); /* not counted yet: no data */
			return;
		}
		present[l] = true;
		conf[l] = ls.configured;
		up[l] = ls.up;
	}
	avail_sample_from(s, present, conf, up);
}

static void publish_prev(struct avail_mod *a, const struct acirc *ac)
{
	const struct avail_figures *p = &ac->t.prev;
	struct avail_status st;

	if (!p->valid)
		return;
	avail_status(p, ac->target, (double)p->end, &st);
	put(a, A_PREV_OBSERVED, (const char *[]){ac->id}, p->observed);
	put(a, A_PREV_REMAINING, (const char *[]){ac->id}, st.remaining);
	put(a, A_PREV_END, (const char *[]){ac->id}, (double)p->end);
	for (int s = 0; s < AVAIL_SCOPE_COUNT; s++) {
		if (s == AVAIL_REDUNDANT && !ac->two)
			continue;
		put(a, A_PREV_UP, (const char *[]){ac->id, scope_names[s]}, p->up[s]);
		put(a, A_PREV_RATIO, (const char *[]){ac->id, scope_names[s]}, st.ratio[s]);
	}
}

static void publish_circuit(struct avail_mod *a, const struct acirc *ac, double now)
{
	const struct avail_figures *f = &ac->t.cur;
	struct avail_status st;

	avail_status(f, ac->target, now, &st);
	put(a, A_OBSERVED, (const char *[]){ac->id}, f->observed);
	put(a, A_UNOBSERVED, (const char *[]){ac->id}, st.unobserved);
	put(a, A_TARGET, (const char *[]){ac->id}, ac->target);
	put(a, A_BUDGET, (const char *[]){ac->id}, st.budget);
	put(a, A_REMAINING, (const char *[]){ac->id}, st.remaining);
	put(a, A_START, (const char *[]){ac->id}, (double)f->start);
	put(a, A_END, (const char *[]){ac->id}, (double)f->end);
	for (int s = 0; s < AVAIL_SCOPE_COUNT; s++) {
		if (s == AVAIL_REDUNDANT && !ac->two)
			continue; /* as circuitwatch_circuit_redundant: two links only */
		put(a, A_UP, (const char *[]){ac->id, scope_names[s]}, f->up[s]);
		put(a, A_RATIO, (const char *[]){ac->id, scope_names[s]}, st.ratio[s]);
	}
	for (int l = 0; l < CFG_LINK_COUNT; l++) {
		const char *ll[] = {ac->id, cfg_link_role_name((enum cfg_link_role)l)};

		if (!ac->link[l])
			continue;
		put(a, A_LINK_UP, ll, f->link_up[l]);
		put(a, A_LINK_RATIO, ll, st.link_ratio[l]);
	}
	publish_prev(a, ac);
}

static void step_all(struct avail_mod *a, double now)
{
	for (size_t i = 0; i < a->n; i++) {
		struct acirc *ac = &a->v[i];
		struct avail_sample s;

		sample(a, ac, &s);
		if (avail_track_step(&ac->t, &ac->cal, now, &s) > 0)
			log_info(a->ctx->log, "availability cycle closed", "circuit", ac->id);
	}
}

/* Every series of the circuits tracked now; the others go. */
static void publish_all(struct avail_mod *a, double now)
{
	for (size_t i = 0; i < a->n; i++)
		publish_circuit(a, &a->v[i], now);
	put(a, A_PERSISTS, (const char *[]){"success"}, (double)a->persist_ok);
	put(a, A_PERSISTS, (const char *[]){"failure"}, (double)a->persist_err);
	put(a, A_CORRUPT, NULL, (double)a->corrupt);
	if (a->last_persist > 0)
		put(a, A_PERSIST_TS, NULL, floor(a->last_persist));
	(void)metrics_group_sweep(a->group);
}

void avail_mod_tick(struct avail_mod *a, double now)
{
	uint64_t now_ms = mono_ms();

	if (!a)
		return;
	step_all(a, now);
	if (a->save_now || now_ms >= a->persist_due_ms) {
		a->save_now = false;
		persist(a, now);
		a->persist_due_ms =
			now_ms + (uint64_t)avail_config(a->ctx->cfg)->persist_interval_s * 1000u;
	}
	publish_all(a, now);
}

/* ---- lifecycle -------------------------------------------------------- */

static void avail_free(struct avail_mod *a)
{
	circs_free(a->v, a->n);
	for (int i = 0; i < A_COUNT; i++)
		if (a->fam[i])
			metrics_family_remove(a->ctx->reg, a->fam[i]);
	metrics_group_free(a->group);
	free(a);
}

struct avail_mod *avail_mod_start(struct cw_ctx *ctx, double now)
{
	struct avail_mod *a = calloc(1, sizeof *a);
	struct avail_state saved = {0};
	char n[24];

	if (!a)
		return NULL;
	a->ctx = ctx;
	if ((a->group = metrics_group_new()) == NULL || families_new(a) < 0) {
		log_error(ctx->log, "availability: cannot register metrics");
		avail_free(a);
		return NULL;
	}
	if (avail_config(ctx->cfg)->enabled)
		restore(a, &saved, now);
	if (circuits_build(a, NULL, 0, &saved, now, true) < 0) {
		avail_state_clean(&saved);
		avail_free(a);
		return NULL;
	}
	avail_state_clean(&saved);
	a->persist_due_ms = mono_ms() + (uint64_t)avail_config(ctx->cfg)->persist_interval_s * 1000u;
	if (a->n > 0) {
		snprintf(n, sizeof n, "%zu", a->n);
		log_info(ctx->log, "availability tracking started", "circuits", n, "state_dir",
			 billing_config(ctx->cfg)->state_dir);
	}
	return a;
}

void avail_mod_reload(struct avail_mod *a, double now)
{
	struct acirc *prev;
	size_t nprev;

	if (!a)
		return;
	prev = a->v;
	nprev = a->n;
	a->v = NULL;
	a->n = 0;
	/* the old circuits point into the old config: they cannot outlive it */
	if (circuits_build(a, prev, nprev, NULL, now, false) < 0)
		log_error(a->ctx->log, "availability: out of memory on reload; tracking stopped");
	circs_free(prev, nprev);
	a->save_now = true; /* under the new config at the next tick */
	publish_all(a, now); /* a removed circuit's series go now, not at the next tick */
}

void avail_mod_stop(struct avail_mod *a, double now)
{
	if (!a)
		return;
	a->save_now = true; /* a last step and a last save */
	avail_mod_tick(a, now);
	avail_free(a);
}
