/* billing_module.c — the libuv/metrics/file edge of billing; the maths is
 * in cycle.c and price.c, the state file in state.c. See
 * billing_module.h. */
#include "billing_module.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <uv.h>

#include "avail_module.h"
#include "circuit_index.h"
#include "billing_config.h"
#include "cycle.h"
#include "log.h"
#include "metrics.h"
#include "price.h"
#include "state.h"
#include "traffic.h"
#include "tz.h"

#define TICK_MS 1000

enum bfam {
	F_PERSISTS, /* counters first */
	F_CORRUPT,
	F_DROPPED,
	F_COUNTERS,
	F_BYTES = F_COUNTERS,
	F_COST,
	F_PROJECTED,
	F_ALT_COST,
	F_ALT_PROJECTED,
	F_BREAK_EVEN,
	F_BUDGET,
	F_BUDGET_RATIO,
	F_BUDGET_PROJ_RATIO,
	F_THRESHOLD,
	F_OVERRUN,
	F_CYCLE_START,
	F_CYCLE_END,
	F_PREV_BYTES,
	F_PREV_COST,
	F_PREV_START,
	F_PREV_END,
	F_PERSIST_TS,
	F_COUNT
};

struct bcirc {
	char id[CFG_ID_MAX + 1];
	const struct cfg_circuit *c;      /* in ctx->cfg */
	const struct cfg_plan *plan;
	struct bill_tz *tz;
	struct bill_cycle cyc;
	uint64_t bytes[TRAFFIC_DIR_COUNT];   /* metered in the current cycle */
	uint64_t seen[TRAFFIC_DIR_COUNT];    /* meter totals already counted */
	struct bill_window win;           /* from-cloud bytes of the cycle, sampled */
	struct bill_state_cycle prev;
	uint32_t crossed;                 /* thresholds already logged */
};

struct billing {
	struct cw_ctx *ctx;
	uv_timer_t *timer;
	struct metrics_group *group;
	struct metrics_family *fam[F_COUNT];
	size_t n;
	struct bcirc *v;
	int64_t last_persist;
	uint64_t persist_due_ms;          /* monotonic: the next save */
	uint64_t pass_ms;                 /* monotonic: a source's last pass (0: none yet) */
	uint32_t pass_interval_ms;        /* that source's period */
	bool save_now;                    /* at the next tick (reload, stop) */
	uint64_t persist_ok, persist_err, corrupt;
	bool persist_failing;
	struct avail_mod *avail;          /* availability against the SLA (avail_module.h) */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int64_t wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

static double wall_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- metrics ---------------------------------------------------------- */

static int families_new(struct billing *b)
{
	static const char *const c_l[] = {"circuit"};
	static const char *const dir_l[] = {"circuit", "direction"};
	static const char *const cost_l[] = {"circuit", "plan", "currency"};
	static const char *const proj_l[] = {"circuit", "plan", "currency", "method"};
	static const char *const be_l[] = {"circuit", "metered_plan", "unlimited_plan"};
	static const char *const bud_l[] = {"circuit", "currency"};
	static const char *const m_l[] = {"circuit", "method"};
	static const char *const th_l[] = {"circuit", "threshold"};
	static const char *const over_l[] = {"circuit", "currency", "method"};
	static const char *const res_l[] = {"result"};
	static const struct {
		const char *name, *help;
		size_t n;
		const char *const *labels;
	} defs[F_COUNT] = {
		[F_PERSISTS] = {"circuitwatch_billing_state_persists_total",
				"Saves of the billing state file, by result (success, failure).", 1, res_l},
		[F_CORRUPT] = {"circuitwatch_billing_state_corrupt_total",
			       "Billing state files found unreadable at start and renamed aside.", 0, NULL},
		[F_DROPPED] = {"circuitwatch_billing_meter_dropped_total",
			       "Metering updates refused by the metering hub (table full, bad arguments).",
			       0, NULL},
		[F_BYTES] = {"circuitwatch_billing_cycle_bytes",
			     "Bytes metered in the current billing cycle, by direction as the watched interface sees it (ingress, the cloud's egress, is priced).",
			     2, dir_l},
		[F_COST] = {"circuitwatch_billing_cycle_cost",
			    "Cost of the current cycle so far under the circuit's plan.", 3, cost_l},
		[F_PROJECTED] = {"circuitwatch_billing_projected_cost",
				 "Projected cost of the whole cycle (method linear: the average so far; "
				 "recent: the rate over billing.recent_window).", 4, proj_l},
		[F_ALT_COST] = {"circuitwatch_billing_alternative_cost",
				"Cost of the current cycle so far under an alternative plan.", 3, cost_l},
		[F_ALT_PROJECTED] = {"circuitwatch_billing_alternative_projected_cost",
				     "Projected cost of the whole cycle under an alternative plan.", 4,
				     proj_l},
		[F_BREAK_EVEN] = {"circuitwatch_billing_break_even_bytes",
				  "Egress bytes per cycle at which the metered plan costs as much as "
				  "the unlimited one.", 3, be_l},
		[F_BUDGET] = {"circuitwatch_billing_budget", "The circuit's budget per cycle.", 2, bud_l},
		[F_BUDGET_RATIO] = {"circuitwatch_billing_budget_ratio",
				    "Cost so far over the budget.", 1, c_l},
		[F_BUDGET_PROJ_RATIO] = {"circuitwatch_billing_budget_projected_ratio",
					 "Projected cost over the budget.", 2, m_l},
		[F_THRESHOLD] = {"circuitwatch_billing_budget_threshold_crossed",
				 "1 when the cost so far has reached this ratio of the budget.", 2, th_l},
		[F_OVERRUN] = {"circuitwatch_billing_budget_projected_overrun",
			       "Projected cost minus the budget (positive: over budget).", 3, over_l},
		[F_CYCLE_START] = {"circuitwatch_billing_cycle_start_timestamp_seconds",
				   "Start of the current billing cycle (Unix time).", 1, c_l},
		[F_CYCLE_END] = {"circuitwatch_billing_cycle_end_timestamp_seconds",
				 "End of the current billing cycle (Unix time).", 1, c_l},
		[F_PREV_BYTES] = {"circuitwatch_billing_previous_cycle_bytes",
				  "Bytes metered in the previous billing cycle, by direction.", 2, dir_l},
		[F_PREV_COST] = {"circuitwatch_billing_previous_cycle_cost",
				 "What the previous billing cycle cost.", 3, cost_l},
		[F_PREV_START] = {"circuitwatch_billing_previous_cycle_start_timestamp_seconds",
				  "Start of the previous billing cycle (Unix time).", 1, c_l},
		[F_PREV_END] = {"circuitwatch_billing_previous_cycle_end_timestamp_seconds",
				"End of the previous billing cycle (Unix time).", 1, c_l},
		[F_PERSIST_TS] = {"circuitwatch_billing_state_last_persist_timestamp_seconds",
				  "When the billing state was last saved (Unix time).", 0, NULL},
	};

	for (int i = 0; i < F_COUNT; i++) {
		const struct metrics_family_def def = {
			.type = i < F_COUNTERS ? METRICS_COUNTER : METRICS_GAUGE,
			.name = defs[i].name, .help = defs[i].help,
			.nlabels = defs[i].n, .label_names = defs[i].labels,
		};

		if ((b->fam[i] = metrics_family_new(b->ctx->reg, &def)) == NULL)
			return -1;
	}
	return 0;
}

static void put(struct billing *b, enum bfam f, const char *const *labels, double v)
{
	struct metrics_series *s = metrics_group_series(b->group, b->fam[f], labels);

	if (f < F_COUNTERS)
		metrics_counter_set(s, v);
	else
		metrics_gauge_set(s, v);
}

/* ---- circuits --------------------------------------------------------- */

static double hours(int64_t s)
{
	return (double)s / 3600.0;
}

static void circ_clean(struct bcirc *bc)
{
	bill_tz_free(bc->tz);
	bc->tz = NULL;
}

/* The cost of a whole cycle with these priced (from-cloud) bytes (for closing one). */
static double cycle_cost(const struct bcirc *bc, const struct bill_cycle *cy, uint64_t egress)
{
	struct bill_cost cost;

	if (bill_cost(bc->plan, bc->c->bandwidth_bps, bc->c->billing.zone, egress,
		      hours(cy->end - cy->start), &cost) < 0)
		return 0;
	return cost.total;
}

static void close_cycle(struct billing *b, struct bcirc *bc, int64_t now)
{
	char bytes[24], cost[32];

	bc->prev = (struct bill_state_cycle){true, bc->cyc.start, bc->cyc.end,
					     {bc->bytes[0], bc->bytes[1]}, 0};
	bc->prev.cost = cycle_cost(bc, &bc->cyc, bc->bytes[TRAFFIC_FROM_CLOUD]);
	snprintf(bytes, sizeof bytes, "%" PRIu64, bc->bytes[TRAFFIC_FROM_CLOUD]);
	snprintf(cost, sizeof cost, "%.2f", bc->prev.cost);
	log_info(b->ctx->log, "billing cycle closed", "circuit", bc->id, "from_cloud_bytes", bytes,
		 "cost", cost, "currency", bc->plan->currency);
	if (bill_cycle_at(bc->tz, bc->c->billing.cycle_day, bc->c->billing.cycle_minute, now,
			  &bc->cyc) < 0)
		return; /* the config guarantees the range */
	memset(bc->bytes, 0, sizeof bc->bytes);
	bill_window_reset(&bc->win);
	bc->crossed = 0;
}

/* Sets up bc for circuit c with its plan at now (meter totals as seen). */
static int circ_init(struct billing *b, struct bcirc *bc, const struct cfg_circuit *c,
		     const struct cfg_plan *plan, int64_t now)
{
	enum bill_tz_error err;

	memset(bc, 0, sizeof *bc);
	snprintf(bc->id, sizeof bc->id, "%s", c->id);
	bc->c = c;
	bc->plan = plan;
	if (bill_tz_load(NULL, c->billing.timezone, &bc->tz, &err) < 0) {
		log_error(b->ctx->log, "billing: cannot load the time zone", "circuit", c->id,
			  "timezone", c->billing.timezone, "error", bill_tz_error_name(err));
		return -1;
	}
	if (bill_cycle_at(bc->tz, c->billing.cycle_day, c->billing.cycle_minute, now, &bc->cyc) < 0) {
		circ_clean(bc);
		return -1;
	}
	for (int d = 0; d < TRAFFIC_DIR_COUNT; d++)
		bc->seen[d] = traffic_total(b->ctx->traffic, c->id, (enum traffic_dir)d,
					    c->billing.source);
	return 0;
}

/* Takes the saved cycle: the same (or a running) cycle goes on; one that
 * ended while the daemon was down becomes the previous cycle. */
static void circ_restore(struct billing *b, struct bcirc *bc, const struct bill_state_circuit *sc,
			 int64_t now)
{
	struct bill_restored r;

	bill_state_restore(sc, now, &r);
	memcpy(bc->bytes, r.bytes, sizeof bc->bytes);
	bc->prev = r.prev;
	if (r.closed) {
		struct bill_cycle old = {r.prev.start, r.prev.end};

		bc->prev.cost = cycle_cost(bc, &old, r.prev.bytes[TRAFFIC_FROM_CLOUD]);
	}
	log_info(b->ctx->log, "billing state restored", "circuit", bc->id, "cycle",
		 r.closed ? "closed while down" : "restored");
}

/* Carries a circuit's running state across a reload (old->c still points
 * into the old config, valid during the reload). */
static void circ_adopt(struct bcirc *bc, struct bcirc *old)
{
	memcpy(bc->bytes, old->bytes, sizeof bc->bytes);
	/* another source: its totals are a new baseline (set by circ_init) */
	if (old->c->billing.source == bc->c->billing.source)
		memcpy(bc->seen, old->seen, sizeof bc->seen);
	bc->win = old->win;
	bc->prev = old->prev;
	bc->crossed = old->crossed;
	if (old->cyc.start != bc->cyc.start && old->cyc.end <= bc->cyc.start) {
		bc->prev = (struct bill_state_cycle){true, old->cyc.start, old->cyc.end,
						     {old->bytes[0], old->bytes[1]}, 0};
		bc->prev.cost = cycle_cost(bc, &old->cyc, old->bytes[TRAFFIC_FROM_CLOUD]);
		memset(bc->bytes, 0, sizeof bc->bytes);
		bill_window_reset(&bc->win);
	}
}

static struct bcirc *find_old(struct bcirc *v, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].id, id) == 0)
			return &v[i];
	return NULL;
}

static const struct bill_state_circuit *find_saved(const struct bill_state *st, const char *id)
{
	for (size_t i = 0; st && i < st->n; i++)
		if (strcmp(st->v[i].id, id) == 0)
			return &st->v[i];
	return NULL;
}

/* Builds the circuit list from ctx->cfg, carrying over old circuits (a
 * reload) or saved ones (a start). Returns 0, or -1 when a zone fails to
 * load (the caller decides: a start fails, a reload skips the circuit). */
static int circuits_build(struct billing *b, struct bcirc *old, size_t nold,
			  const struct bill_state *saved, int64_t now, bool strict)
{
	const struct cfg_config *cfg = b->ctx->cfg;
	size_t nc = circuit_index_ncircuits(b->ctx->circuits), n = 0;
	struct bcirc *v = calloc(nc ? nc : 1, sizeof *v);

	if (!v)
		return -1;
	for (size_t i = 0; billing_config(cfg)->enabled && i < nc; i++) {
		const struct cfg_circuit *c = circuit_index_circuit(b->ctx->circuits, i);
		const struct cfg_plan *plan = cfg_plan_find(cfg, c->billing_plan);
		const struct bill_state_circuit *sc;
		struct bcirc *o;

		if (!plan)
			continue; /* no plans declared: billing_plan is a label only */
		if (circ_init(b, &v[n], c, plan, now) < 0) {
			if (!strict)
				continue;
			for (size_t k = 0; k < n; k++)
				circ_clean(&v[k]);
			free(v);
			return -1;
		}
		if ((o = find_old(old, nold, c->id)) != NULL)
			circ_adopt(&v[n], o);
		else if ((sc = find_saved(saved, c->id)) != NULL)
			circ_restore(b, &v[n], sc, now);
		n++;
	}
	for (size_t k = 0; k < b->n; k++)
		circ_clean(&b->v[k]);
	free(b->v);
	b->v = v;
	b->n = n;
	return 0;
}

/* ---- state file ------------------------------------------------------- */

static void persist(struct billing *b, int64_t now)
{
	const struct cfg_billing *cb = billing_config(b->ctx->cfg);
	struct bill_state st = {.written = now, .n = b->n};
	char err[256];

	if (b->n == 0)
		return;
	st.v = calloc(b->n, sizeof *st.v);
	if (!st.v) {
		b->persist_err++;
		return;
	}
	for (size_t i = 0; i < b->n; i++) {
		const struct bcirc *bc = &b->v[i];

		snprintf(st.v[i].id, sizeof st.v[i].id, "%s", bc->id);
		st.v[i].cur = (struct bill_state_cycle){true, bc->cyc.start, bc->cyc.end,
							{bc->bytes[0], bc->bytes[1]}, 0};
		st.v[i].prev = bc->prev;
	}
	if (bill_state_write(cb->state_dir, &st, err, sizeof err) == 0) {
		b->persist_ok++;
		b->last_persist = now;
		if (b->persist_failing)
			log_info(b->ctx->log, "billing state saved again", "dir", cb->state_dir);
		b->persist_failing = false;
	} else {
		b->persist_err++;
		if (!b->persist_failing) /* once per failing stretch, not every interval */
			log_error(b->ctx->log, "cannot save the billing state", "dir", cb->state_dir,
				  "error", err);
		b->persist_failing = true;
	}
	free(st.v);
}

/* Reads the saved state; a bad file is reported and kept aside. */
static void restore(struct billing *b, struct bill_state *st, int64_t now)
{
	const char *dir = billing_config(b->ctx->cfg)->state_dir;
	char aside[4200], why[512];

	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		log_warn(b->ctx->log, "cannot create the billing state directory", "dir", dir,
			 "error", strerror(errno));
	switch (bill_state_read(dir, now, st, aside, sizeof aside, why, sizeof why)) {
	case BILL_STATE_LOADED:
	case BILL_STATE_ABSENT:
		break;
	case BILL_STATE_CORRUPT:
		b->corrupt++;
		log_error(b->ctx->log, "billing state unreadable; kept aside, starting from zero",
			  "dir", dir, "reason", why, "kept_as", aside);
		break;
	case BILL_STATE_FAILED:
		b->corrupt++;
		log_error(b->ctx->log, "billing state unreadable and could not be moved aside; "
			  "starting from zero (it will be overwritten at the next save)",
			  "dir", dir, "reason", why);
		break;
	}
}

/* ---- the tick --------------------------------------------------------- */

static void publish_budget(struct billing *b, struct bcirc *bc, double cost,
			   double linear, double recent, bool has_recent)
{
	const struct cfg_circuit_billing *cb = &bc->c->billing;
	const char *cur = bc->plan->currency;
	struct bill_budget_status st, sr;
	char th[32];

	bill_budget(cb->thresholds, cb->nthresholds, cb->budget, cost, linear, &st);
	put(b, F_BUDGET, (const char *[]){bc->id, cur}, cb->budget);
	put(b, F_BUDGET_RATIO, (const char *[]){bc->id}, st.ratio);
	put(b, F_BUDGET_PROJ_RATIO, (const char *[]){bc->id, "linear"}, st.projected_ratio);
	put(b, F_OVERRUN, (const char *[]){bc->id, cur, "linear"}, st.overrun);
	if (has_recent) {
		bill_budget(cb->thresholds, cb->nthresholds, cb->budget, cost, recent, &sr);
		put(b, F_BUDGET_PROJ_RATIO, (const char *[]){bc->id, "recent"}, sr.projected_ratio);
		put(b, F_OVERRUN, (const char *[]){bc->id, cur, "recent"}, sr.overrun);
	}
	for (size_t i = 0; i < cb->nthresholds; i++) {
		snprintf(th, sizeof th, "%g", cb->thresholds[i]);
		put(b, F_THRESHOLD, (const char *[]){bc->id, th}, (st.crossed >> i) & 1u);
	}
	if (st.crossed & ~bc->crossed) {
		char ratio[32];

		snprintf(ratio, sizeof ratio, "%.3f", st.ratio);
		log_warn(b->ctx->log, "billing budget threshold crossed", "circuit", bc->id, "ratio",
			 ratio);
	}
	bc->crossed = st.crossed;
}

/* Break-even between the circuit's plan and each alternative when one of
 * the two is metered and the other unlimited. */
static void publish_break_even(struct billing *b, const struct bcirc *bc,
			       const struct cfg_plan *alt, double cycle_h)
{
	const struct cfg_plan *m = bc->plan, *u = alt;
	double bytes;

	if (m->unlimited == u->unlimited)
		return;
	if (m->unlimited) {
		m = alt;
		u = bc->plan;
	}
	if (bill_break_even(m, u, bc->c->bandwidth_bps, bc->c->billing.zone, cycle_h, &bytes) == 0)
		put(b, F_BREAK_EVEN, (const char *[]){bc->id, m->name, u->name}, bytes);
}

static void publish_alternatives(struct billing *b, const struct bcirc *bc, uint64_t eg,
				 double h_now, double cycle_h, double lin_b)
{
	const struct cfg_config *cfg = b->ctx->cfg;
	const struct cfg_circuit *c = bc->c;

	for (size_t i = 0; i < c->billing.nalternatives; i++) {
		const struct cfg_plan *alt = cfg_plan_find(cfg, c->billing.alternatives[i]);
		struct bill_cost now_c, lin_c;

		if (!alt || bill_cost(alt, c->bandwidth_bps, c->billing.zone, eg, h_now, &now_c) < 0 ||
		    bill_cost(alt, c->bandwidth_bps, c->billing.zone, (uint64_t)lin_b, cycle_h,
			      &lin_c) < 0)
			continue;
		put(b, F_ALT_COST, (const char *[]){bc->id, alt->name, alt->currency}, now_c.total);
		put(b, F_ALT_PROJECTED, (const char *[]){bc->id, alt->name, alt->currency, "linear"},
		    lin_c.total);
		publish_break_even(b, bc, alt, cycle_h);
	}
}

static void publish_circuit(struct billing *b, struct bcirc *bc, int64_t now)
{
	const struct cfg_circuit *c = bc->c;
	const char *cur = bc->plan->currency, *pl = bc->plan->name;
	uint64_t eg = bc->bytes[TRAFFIC_FROM_CLOUD];
	double elapsed = (double)(now - bc->cyc.start), len = (double)(bc->cyc.end - bc->cyc.start);
	double lin_b = bill_project_linear((double)eg, elapsed, len), rate = 0, rec_b = 0;
	struct bill_cost now_c, lin_c, rec_c = {0};
	bool has_recent = bill_window_rate(&bc->win, now,
					   billing_config(b->ctx->cfg)->recent_window_s,
					   &rate) == 0;

	put(b, F_BYTES, (const char *[]){bc->id, "ingress"}, (double)eg);
	put(b, F_BYTES, (const char *[]){bc->id, "egress"}, (double)bc->bytes[TRAFFIC_TO_CLOUD]);
	put(b, F_CYCLE_START, (const char *[]){bc->id}, (double)bc->cyc.start);
	put(b, F_CYCLE_END, (const char *[]){bc->id}, (double)bc->cyc.end);
	if (bc->prev.valid) {
		put(b, F_PREV_BYTES, (const char *[]){bc->id, "ingress"},
		    (double)bc->prev.bytes[TRAFFIC_FROM_CLOUD]);
		put(b, F_PREV_BYTES, (const char *[]){bc->id, "egress"},
		    (double)bc->prev.bytes[TRAFFIC_TO_CLOUD]);
		put(b, F_PREV_COST, (const char *[]){bc->id, pl, cur}, bc->prev.cost);
		put(b, F_PREV_START, (const char *[]){bc->id}, (double)bc->prev.start);
		put(b, F_PREV_END, (const char *[]){bc->id}, (double)bc->prev.end);
	}
	if (bill_cost(bc->plan, c->bandwidth_bps, c->billing.zone, eg, hours(now - bc->cyc.start),
		      &now_c) < 0 ||
	    bill_cost(bc->plan, c->bandwidth_bps, c->billing.zone, (uint64_t)lin_b, len / 3600,
		      &lin_c) < 0)
		return; /* the config checks make this unreachable */
	put(b, F_COST, (const char *[]){bc->id, pl, cur}, now_c.total);
	put(b, F_PROJECTED, (const char *[]){bc->id, pl, cur, "linear"}, lin_c.total);
	if (has_recent) {
		rec_b = bill_project_recent((double)eg, rate, (double)(bc->cyc.end - now));
		if (bill_cost(bc->plan, c->bandwidth_bps, c->billing.zone, (uint64_t)rec_b, len / 3600,
			      &rec_c) == 0)
			put(b, F_PROJECTED, (const char *[]){bc->id, pl, cur, "recent"}, rec_c.total);
	}
	publish_alternatives(b, bc, eg, hours(now - bc->cyc.start), len / 3600, lin_b);
	if (c->billing.has_budget)
		publish_budget(b, bc, now_c.total, lin_c.total, rec_c.total, has_recent);
}

/* Counts into each circuit's cycle what the meter gained since the last
 * count (a cycle that ended is closed first). */
static void absorb(struct billing *b, int64_t now)
{
	for (size_t i = 0; i < b->n; i++) {
		struct bcirc *bc = &b->v[i];

		if (now >= bc->cyc.end)
			close_cycle(b, bc, now);
		for (int d = 0; d < TRAFFIC_DIR_COUNT; d++) {
			uint64_t total = traffic_total(b->ctx->traffic, bc->id, (enum traffic_dir)d,
						       bc->c->billing.source);

			/* the meter only grows; lower means a new meter: all of it is new */
			bc->bytes[d] += total >= bc->seen[d] ? total - bc->seen[d] : total;
			bc->seen[d] = total;
		}
	}
}

static void save(struct billing *b, int64_t now, uint64_t now_ms)
{
	persist(b, now);
	b->persist_due_ms = now_ms +
			    (uint64_t)billing_config(b->ctx->cfg)->persist_interval_s * 1000u;
}

/* A source finished a pass (traffic.h): its bytes are counted now, and the
 * state is saved now when the source's next pass would come after the
 * save is due. So the saved state never lags the counters by more than
 * persist_interval: a kill -9 loses at most that much (docs/billing.md). */
static void on_pass(void *arg, uint32_t interval_ms)
{
	struct billing *b = arg;
	uint64_t now_ms = mono_ms();
	int64_t now = wall_now();

	absorb(b, now);
	b->pass_ms = now_ms;
	b->pass_interval_ms = interval_ms;
	if (b->n > 0 && now_ms + interval_ms >= b->persist_due_ms)
		save(b, now, now_ms);
}

/* Whether the tick saves: when due, unless a source's passes drive the
 * saves (its pass would save a fresher count; the tick takes over when
 * the passes stop for more than an interval). */
static bool tick_saves(const struct billing *b, uint64_t now_ms)
{
	uint64_t slack = 0;

	if (b->pass_ms && now_ms < b->pass_ms + 2u * (uint64_t)b->pass_interval_ms + TICK_MS)
		slack = (uint64_t)b->pass_interval_ms + TICK_MS;
	return b->n > 0 && now_ms >= b->persist_due_ms + slack;
}

static void tick(struct billing *b, int64_t now)
{
	uint64_t now_ms = mono_ms();

	absorb(b, now);
	for (size_t i = 0; i < b->n; i++) {
		struct bcirc *bc = &b->v[i];

		bill_window_push(&bc->win, now, (double)bc->bytes[TRAFFIC_FROM_CLOUD],
				 billing_config(b->ctx->cfg)->recent_window_s);
		publish_circuit(b, bc, now);
	}
	if (b->save_now || tick_saves(b, now_ms)) {
		b->save_now = false;
		save(b, now, now_ms);
	}
	put(b, F_PERSISTS, (const char *[]){"success"}, (double)b->persist_ok);
	put(b, F_PERSISTS, (const char *[]){"failure"}, (double)b->persist_err);
	put(b, F_CORRUPT, NULL, (double)b->corrupt);
	put(b, F_DROPPED, NULL, (double)traffic_dropped(b->ctx->traffic));
	if (b->last_persist)
		put(b, F_PERSIST_TS, NULL, (double)b->last_persist);
	(void)metrics_group_sweep(b->group);
}

static void on_tick(uv_timer_t *t)
{
	struct billing *b = t->data;

	tick(b, wall_now());
	avail_mod_tick(b->avail, wall_now_s());
}

/* ---- lifecycle -------------------------------------------------------- */

static void free_handle(uv_handle_t *h)
{
	free(h);
}

static void billing_free(struct billing *b)
{
	avail_mod_stop(b->avail, wall_now_s());
	for (size_t i = 0; i < b->n; i++)
		circ_clean(&b->v[i]);
	free(b->v);
	for (int i = 0; i < F_COUNT; i++)
		if (b->fam[i])
			metrics_family_remove(b->ctx->reg, b->fam[i]);
	metrics_group_free(b->group);
	free(b);
}

static int billing_start(struct cw_ctx *ctx, void **state)
{
	struct billing *b = calloc(1, sizeof *b);
	struct bill_state saved = {0};
	int64_t now = wall_now();

	*state = NULL;
	if (!b)
		return -1;
	b->ctx = ctx;
	b->group = metrics_group_new();
	if (!b->group || families_new(b) < 0) {
		log_error(ctx->log, "billing: cannot register metrics");
		billing_free(b);
		return -1;
	}
	if (billing_config(ctx->cfg)->enabled && billing_config(ctx->cfg)->nplans > 0)
		restore(b, &saved, now);
	if (circuits_build(b, NULL, 0, &saved, now, true) < 0) {
		bill_state_clean(&saved);
		billing_free(b);
		return -1;
	}
	bill_state_clean(&saved);
	if ((b->avail = avail_mod_start(ctx, wall_now_s())) == NULL) {
		billing_free(b);
		return -1;
	}
	b->persist_due_ms = mono_ms() +
			    (uint64_t)billing_config(ctx->cfg)->persist_interval_s * 1000u;
	b->timer = malloc(sizeof *b->timer);
	if (!b->timer || uv_timer_init(ctx->loop, b->timer) != 0) {
		free(b->timer);
		billing_free(b);
		return -1;
	}
	b->timer->data = b;
	if (uv_timer_start(b->timer, on_tick, TICK_MS, TICK_MS) != 0) {
		uv_close((uv_handle_t *)b->timer, free_handle);
		billing_free(b);
		return -1;
	}
	traffic_set_listener(ctx->traffic, on_pass, b);
	if (b->n > 0) {
		char n[24];

		snprintf(n, sizeof n, "%zu", b->n);
		log_info(ctx->log, "billing started", "circuits", n, "state_dir",
			 billing_config(ctx->cfg)->state_dir);
	}
	*state = b;
	return 0;
}

static void billing_reload(struct cw_ctx *ctx, void *state, const struct cfg_config *old)
{
	struct billing *b = state;
	int64_t now = wall_now();
	struct bcirc *prev = b->v;
	size_t nprev = b->n;

	(void)old;
	/* count what the old config metered, then rebuild on the new one (the
	 * old circuits' cfg pointers are only read by the tick) */
	b->v = NULL;
	b->n = 0;
	if (circuits_build(b, prev, nprev, NULL, now, false) < 0)
		log_error(ctx->log, "billing: out of memory on reload; billing stopped");
	for (size_t i = 0; i < nprev; i++)
		circ_clean(&prev[i]);
	free(prev);
	if (old && billing_config(old)->state_dir && billing_config(ctx->cfg)->state_dir &&
	    strcmp(billing_config(old)->state_dir, billing_config(ctx->cfg)->state_dir) != 0)
		log_warn(ctx->log, "billing.state_dir changed: saving to the new directory from now on");
	/* save under the new config, and publish now: a removed circuit's
	 * series go, a new one's appear, before the reload returns */
	b->save_now = true;
	tick(b, now);
	avail_mod_reload(b->avail, wall_now_s());
}

static void billing_stop(struct cw_ctx *ctx, void *state)
{
	struct billing *b = state;

	if (!b)
		return;
	uv_timer_stop(b->timer);
	traffic_set_listener(ctx->traffic, NULL, NULL);
	b->save_now = true; /* a last count and a last save */
	tick(b, wall_now());
	uv_close((uv_handle_t *)b->timer, free_handle);
	billing_free(b);
}

const struct cw_module billing_module = {
	.name = "billing",
	.start = billing_start,
	.reload = billing_reload,
	.stop = billing_stop,
};
