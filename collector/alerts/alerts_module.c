/* alerts_module.c — the alert rules of the config, evaluated on a timer
 * over a snapshot of the daemon's own metrics: every transition is logged
 * and emitted as an event on the bus (the Kafka exporter's alerts topic),
 * and the pending and firing alerts are published as metrics. */
#include "alerts_module.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "alert.h"
#include "bus.h"
#include "alerts_config.h"
#include "event.h"
#include "log.h"
#include "metrics.h"
#include "model.h"

enum fam_id { F_ALERTS, F_TRANSITIONS, F_RULES, F_EVAL, F_DROPPED, F_COUNT };

static const char *const l_alerts[] = {"alertname", "alertstate", "severity",
				       "circuit", "link", "peering"};
static const char *const l_transitions[] = {"alertname", "to"};

static const struct metrics_family_def defs[F_COUNT] = {
	[F_ALERTS] = {METRICS_GAUGE, "circuitwatch_alerts",
		      "Alert instances pending or firing, by rule, state and the circuit, link "
		      "and peering of the series they watch.",
		      NULL, 6, l_alerts, 0, NULL},
	[F_TRANSITIONS] = {METRICS_COUNTER, "circuitwatch_alert_transitions_total",
			   "Alert state transitions, by rule and the state entered (pending, "
			   "firing, resolved, cancelled).",
			   NULL, 2, l_transitions, 0, NULL},
	[F_RULES] = {METRICS_GAUGE, "circuitwatch_alert_rules",
		     "Alert rules in the running configuration.", NULL, 0, NULL, 0, NULL},
	[F_EVAL] = {METRICS_GAUGE, "circuitwatch_alert_evaluation_duration_seconds",
		    "Time the last evaluation of every alert rule took.", "seconds", 0, NULL, 0,
		    NULL},
	[F_DROPPED] = {METRICS_COUNTER, "circuitwatch_alert_instances_dropped_total",
		       "Series not watched because the alert instance cap was reached.", NULL, 0,
		       NULL, 0, NULL},
};

struct alerts {
	struct cw_ctx *ctx;
	struct metrics_family *fam[F_COUNT];
	struct metrics_group *group;
	struct alert_engine *engine;
	size_t nrules;
	uv_timer_t *timer;
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const enum cw_event_type event_types[] = {
	[CFG_ALERT_EV_ALERT] = CW_EV_ALERT_TRANSITION,
	[CFG_ALERT_EV_REDUNDANCY] = CW_EV_REDUNDANCY_DEGRADED,
	[CFG_ALERT_EV_UTILISATION] = CW_EV_LINK_UTILISATION_HIGH,
	[CFG_ALERT_EV_LATENCY] = CW_EV_LATENCY_HIGH,
	[CFG_ALERT_EV_LOSS] = CW_EV_LOSS_HIGH,
	[CFG_ALERT_EV_BUDGET] = CW_EV_BUDGET_THRESHOLD,
	[CFG_ALERT_EV_BUDGET_OVERRUN] = CW_EV_BUDGET_PROJECTED_OVERRUN,
	[CFG_ALERT_EV_SOURCE] = CW_EV_SOURCE_PROBLEM,
	[CFG_ALERT_EV_PREFIX_LIMIT] = CW_EV_PREFIX_LIMIT_APPROACHING,
};

/* The event type of a transition: redundancy has its own "restored". */
static enum cw_event_type event_type(const struct cfg_alert_rule *cr, enum alert_state to)
{
	enum cw_event_type t = event_types[cr->event];

	if (t == CW_EV_REDUNDANCY_DEGRADED && to == ALERT_INACTIVE)
		return CW_EV_REDUNDANCY_RESTORED;
	return t;
}

static const char *transition_name(const struct alert_transition *t)
{
	if (t->to != ALERT_INACTIVE)
		return alert_state_name(t->to);
	return t->from == ALERT_FIRING ? "resolved" : "cancelled";
}

static enum cw_alert_state event_state(const struct alert_transition *t)
{
	if (t->to == ALERT_PENDING)
		return CW_ALERT_PENDING;
	return t->to == ALERT_FIRING ? CW_ALERT_FIRING : CW_ALERT_RESOLVED;
}

/* The event source of a session series' source label, which the model
 * writes as model_source_name(); BMP unless it names another source. */
static enum cw_event_source label_source(const char *label)
{
	static const enum cw_event_source of[MODEL_SRC_COUNT] = {
		[MODEL_SRC_BMP] = CW_SRC_BMP, [MODEL_SRC_PCAP] = CW_SRC_PCAP};

	for (int s = 0; s < MODEL_SRC_COUNT; s++)
		if (strcmp(label, model_source_name((enum model_source)s)) == 0)
			return of[s];
	return CW_SRC_BMP;
}

/* The peer identity, when the watched series is a BGP session's. */
static void event_peer(struct cw_event *ev, const char *labels)
{
	char buf[CW_EVENT_TEXT_MAX];

	if (!alert_label_value(labels, "peer", buf, sizeof buf))
		return;
	ev->has_peer = true;
	cw_event_set(ev->peer.address, buf);
	if (alert_label_value(labels, "router", buf, sizeof buf))
		cw_event_set(ev->peer.router, buf);
	if (alert_label_value(labels, "rd", buf, sizeof buf))
		cw_event_set(ev->peer.rd, buf);
	if (alert_label_value(labels, "peer_as", buf, sizeof buf))
		ev->peer.asn = (uint32_t)strtoul(buf, NULL, 10);
	if (alert_label_value(labels, "source", buf, sizeof buf))
		ev->peer.source = label_source(buf);
}

static void on_transition(const struct alert_transition *t, void *arg)
{
	struct alerts *a = arg;
	const struct cfg_alert_rule *cr = &alerts_config(a->ctx->cfg)->rules[t->rule->tag];
	const char *to = transition_name(t);
	const char *tl[] = {t->rule->name, to};
	char value[32], threshold[32];
	struct cw_event ev;

	metrics_counter_add(metrics_series_get(a->fam[F_TRANSITIONS], tl), 1);
	snprintf(value, sizeof value, "%g", t->value);
	snprintf(threshold, sizeof threshold, "%g", t->rule->threshold);
	log_kv(a->ctx->log, t->to == ALERT_FIRING ? LOG_LVL_WARN : LOG_LVL_INFO, "alert", "alertname",
	       t->rule->name, "state", to, "severity", alert_severity_name(t->rule->severity),
	       "value", value, "threshold", threshold, "series", t->labels, (const char *)0);

	cw_event_init(&ev, event_type(cr, t->to),
		      (enum cw_severity)(CW_SEV_INFO + (int)t->rule->severity), wall_ns());
	cw_event_set(ev.circuit, t->circuit);
	cw_event_set(ev.link, t->link);
	cw_event_set(ev.peering, t->peering);
	event_peer(&ev, t->labels);
	ev.has_alert = true;
	cw_event_set(ev.alert.name, t->rule->name);
	ev.alert.state = event_state(t);
	ev.alert.value = t->value;
	ev.alert.threshold = t->rule->threshold;
	if (t->rule->summary)
		cw_event_set(ev.message, t->rule->summary);
	if (cw_event_add_detail(&ev, "series", t->labels) != 0 ||
	    (t->series_gone && cw_event_add_detail(&ev, "series_gone", "true") != 0))
		log_warn(a->ctx->log, "alert event details full", "alertname", t->rule->name);
	ev_emit(a->ctx->events, &ev);
}

/* ---- the engine from the config ---------------------------------------- */

static const enum alert_fn fns[] = {
	[CFG_ALERT_VALUE] = ALERT_FN_VALUE, [CFG_ALERT_RATE] = ALERT_FN_RATE,
	[CFG_ALERT_INCREASE] = ALERT_FN_INCREASE,
};
static const enum alert_op ops[] = {
	[CFG_ALERT_GT] = ALERT_GT, [CFG_ALERT_GE] = ALERT_GE, [CFG_ALERT_LT] = ALERT_LT,
	[CFG_ALERT_LE] = ALERT_LE, [CFG_ALERT_EQ] = ALERT_EQ, [CFG_ALERT_NE] = ALERT_NE,
};
static const enum alert_severity sevs[] = {
	[CFG_SEV_INFO] = ALERT_INFO, [CFG_SEV_WARNING] = ALERT_WARNING,
	[CFG_SEV_CRITICAL] = ALERT_CRITICAL,
};

/* Splits "label=value" / "label!=value" (checked by the config) into m,
 * with label and value in one malloc'd block at *mem. */
static int split_matcher(const char *text, struct alert_matcher *m, char **mem)
{
	const char *eq = strchr(text, '=');
	size_t l = eq ? (size_t)(eq - text) : 0;
	char *buf;

	if (!eq || !(buf = strdup(text)))
		return -1;
	m->negate = l > 0 && text[l - 1] == '!';
	buf[m->negate ? l - 1 : l] = '\0';
	m->label = buf;
	m->value = buf + l + 1;
	*mem = buf;
	return 0;
}

static struct alert_engine *engine_from(struct alerts *a, const struct cfg_alerts *ca)
{
	struct alert_rule *rules = ca->nrules ? calloc(ca->nrules, sizeof *rules) : NULL;
	char **mem = ca->nrules ? calloc(ca->nrules * ALERT_MAX_MATCHERS, sizeof *mem) : NULL;
	struct alert_engine *e = NULL;

	if (ca->nrules && (!rules || !mem))
		goto out;
	for (size_t i = 0; i < ca->nrules; i++) {
		const struct cfg_alert_rule *c = &ca->rules[i];
		struct alert_rule *r = &rules[i];

		*r = (struct alert_rule){
			.name = c->name, .metric = c->metric, .fn = fns[c->fn],
			.window = c->window_ms / 1000.0, .op = ops[c->op], .threshold = c->threshold,
			.has_clear = c->has_clear, .clear = c->clear, .for_s = c->for_ms / 1000.0,
			.severity = sevs[c->severity], .summary = c->summary, .tag = i,
		};
		r->nmatchers = c->nmatch < ALERT_MAX_MATCHERS ? c->nmatch : ALERT_MAX_MATCHERS;
		for (size_t m = 0; m < r->nmatchers; m++)
			if (split_matcher(c->match[m], &r->matchers[m],
					  &mem[i * ALERT_MAX_MATCHERS + m]) != 0)
				goto out;
	}
	e = alert_engine_new(rules, ca->nrules, on_transition, a);
out:
	for (size_t i = 0; mem && i < ca->nrules * ALERT_MAX_MATCHERS; i++)
		free(mem[i]);
	free(mem);
	free(rules);
	return e;
}

/* ---- evaluation ------------------------------------------------------- */

/* The circuitwatch_alerts series of an instance: its rule, state and the
 * circuit, link and peering of the watched series; NULL when the series
 * cap is reached. With group, the series joins this round's group. */
static struct metrics_series *alert_series(struct alerts *a, const struct alert_rule *r,
					   const char *labels, enum alert_state st, bool group)
{
	char circuit[256], link[64], peering[64];

	alert_label_value(labels, "circuit", circuit, sizeof circuit);
	alert_label_value(labels, "link", link, sizeof link);
	alert_label_value(labels, "peering", peering, sizeof peering);
	const char *l[] = {r->name, alert_state_name(st), alert_severity_name(r->severity),
			   circuit, link, peering};
	return group ? metrics_group_series(a->group, a->fam[F_ALERTS], l)
		     : metrics_series_get(a->fam[F_ALERTS], l);
}

/* A gauge per label set counts the instances that share it: zero every
 * one of this round first, then add one per instance. */
static void zero_one(const struct alert_rule *r, const char *labels, enum alert_state st,
		     double value, double since, void *arg)
{
	(void)value;
	(void)since;
	metrics_gauge_set(alert_series(arg, r, labels, st, false), 0);
}

static void publish_one(const struct alert_rule *r, const char *labels, enum alert_state st,
			double value, double since, void *arg)
{
	(void)value;
	(void)since;
	metrics_gauge_add(alert_series(arg, r, labels, st, true), 1);
}

static void evaluate(struct alerts *a)
{
	double t0 = mono_now();
	struct metrics_snapshot *snap = metrics_snapshot_take(a->ctx->reg);

	if (!snap) {
		log_warn(a->ctx->log, "alerts: no memory for a metrics snapshot");
		return;
	}
	alert_engine_eval(a->engine, snap, t0);
	metrics_snapshot_free(a->ctx->reg, snap);
	alert_engine_foreach(a->engine, zero_one, a);
	alert_engine_foreach(a->engine, publish_one, a);
	if (metrics_group_sweep(a->group) < 0)
		log_warn(a->ctx->log, "alerts: some alert series could not be published");
	metrics_counter_set(metrics_series_get(a->fam[F_DROPPED], NULL),
			    (double)alert_engine_dropped(a->engine));
	metrics_gauge_set(metrics_series_get(a->fam[F_EVAL], NULL), mono_now() - t0);
}

static void on_timer(uv_timer_t *t)
{
	evaluate(t->data);
}

static int configure(struct alerts *a)
{
	const struct cfg_alerts *ca = alerts_config(a->ctx->cfg);
	struct alert_engine *e = NULL;

	uv_timer_stop(a->timer);
	if (ca->enabled && ca->nrules > 0 && !(e = engine_from(a, ca))) {
		log_error(a->ctx->log, "alerts: cannot build the rules (out of memory)");
		return -1;
	}
	/* the old engine's pending `for` clocks restart with the new rules; its
	 * firing alerts are re-detected at the first evaluation */
	alert_engine_free(a->engine);
	a->engine = e;
	a->nrules = e ? ca->nrules : 0;
	metrics_gauge_set(metrics_series_get(a->fam[F_RULES], NULL), (double)a->nrules);
	if (e && uv_timer_start(a->timer, on_timer, ca->interval_ms, ca->interval_ms) != 0)
		return -1;
	return 0;
}

static void free_state(struct alerts *a)
{
	alert_engine_free(a->engine);
	metrics_group_free(a->group);
	free(a);
}

static void close_timer(uv_handle_t *h)
{
	free(h);
}

static int alerts_start(struct cw_ctx *ctx, void **state)
{
	struct alerts *a = calloc(1, sizeof *a);
	char n[24];

	if (!a || !(a->group = metrics_group_new()) || !(a->timer = malloc(sizeof *a->timer)))
		goto fail;
	a->ctx = ctx;
	for (int f = 0; f < F_COUNT; f++)
		if (!(a->fam[f] = metrics_family_new(ctx->reg, &defs[f]))) {
			log_error(ctx->log, "cannot register metric family", "family", defs[f].name);
			goto fail;
		}
	if (uv_timer_init(ctx->loop, a->timer) != 0)
		goto fail;
	a->timer->data = a;
	if (configure(a) != 0) {
		uv_close((uv_handle_t *)a->timer, close_timer);
		a->timer = NULL;
		goto fail;
	}
	snprintf(n, sizeof n, "%zu", a->nrules);
	log_info(ctx->log, "alerts started", "rules", n);
	*state = a;
	return 0;
fail:
	if (a) {
		free(a->timer);
		a->timer = NULL;
		free_state(a);
	}
	return -1;
}

static void alerts_reload(struct cw_ctx *ctx, void *state, const struct cfg_config *old)
{
	struct alerts *a = state;
	char n[24];

	(void)old;
	if (configure(a) != 0)
		log_error(ctx->log, "alerts: reload failed; alert rules are off");
	snprintf(n, sizeof n, "%zu", a->nrules);
	log_info(ctx->log, "alerts reloaded", "rules", n);
}

static void alerts_stop(struct cw_ctx *ctx, void *state)
{
	struct alerts *a = state;

	(void)ctx;
	if (!a)
		return;
	uv_timer_stop(a->timer);
	uv_close((uv_handle_t *)a->timer, close_timer);
	free_state(a);
}

const struct cw_module alerts_module = {
	.name = "alerts",
	.start = alerts_start,
	.reload = alerts_reload,
	.stop = alerts_stop,
};
