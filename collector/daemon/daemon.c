/* daemon.c — the loop thread: loads the config, starts the modules, and
 * turns signals into shutdown (SIGINT, SIGTERM) and reload (SIGHUP).
 * The wiring floor (README.md): the module table below is the one place
 * that names every module; the modules see only module.h's cw_ctx. */
#include "daemon.h"

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "alerts_module.h"
#include "billing_module.h"
#include "bmp_collector.h"
#include "bmp_config.h"
#include "build_info.h"
#include "bus.h"
#include "capture_source.h"
#include "circuit_index.h"
#include "circuits.h"
#include "config.h"
#include "daemon_config.h"
#include "log_config.h"
#include "prometheus_config.h"
#include "event.h"
#include "ifstats_module.h"
#include "kafka.h"
#include "metrics.h"
#include "model.h"
#include "models.h"
#include "module.h"
#include "privdrop.h"
#include "probes_module.h"
#include "procmetrics.h"
#include "prometheus.h"
#include "traffic.h"

/* Start order; stopped in reverse. Sources and exporters join here. */
static const struct cw_module *const modules[] = {
	&circuits_module,
	&kafka_module, /* before the sources: their events and route streams
	                * (stream.h) have their consumer from the first one on,
	                * and it stops after the last */
	&bmp_collector_module,
	&capture_module,
	&ifstats_module,
	&probes_module,
	&billing_module, /* after the sources: it reads what they metered */
	&alerts_module,  /* rules over every metric above */
	&expo_http_module,
};

/* The model is published this often, and released routes of peers that
 * went down are freed in bounded steps on the same timer. */
#define HOUSEKEEPING_MS 100
#define PUBLISH_EVERY 10 /* housekeeping ticks: once a second */
#define NMODULES (sizeof(modules) / sizeof(modules[0]))

struct self_metrics {
	struct metrics_family *build, *start, *reload_ok, *reload_ts, *reloads;
	struct metrics_series *reload_ok_s, *reload_ts_s, *reloads_ok_s, *reloads_fail_s;
	/* the series budget (prometheus.max_series) */
	struct metrics_family *series, *budget, *refused;
	struct metrics_series *series_s, *budget_s, *refused_cap_s, *refused_budget_s;
	bool refusal_logged;
	/* how long the loop spends giving memory back (model_gc) per step */
	struct metrics_family *gc_step;
	struct metrics_series *gc_step_s;
};

struct daemon {
	struct cw_ctx ctx;
	uv_loop_t loop;
	uv_signal_t sig_int, sig_term, sig_hup;
	uv_timer_t housekeeping;
	unsigned ticks;
	const struct daemon_opts *opts;
	struct cfg_config *cfg;         /* owned; ctx.cfg points here */
	struct circuit_index *circuits; /* owned, of cfg; ctx.circuits points here */
	void *state[NMODULES];
	size_t nstarted;
	struct self_metrics self;
	struct priv_plan *priv;         /* owned; NULL when not dropping */
	struct models *models;          /* owned: the BMP workers' shards of ctx.model */
	struct procm *procm;            /* owned: process_* and circuitwatch_memory_bytes */
};

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct metrics_family *family(struct metrics_registry *reg, enum metrics_type type,
				     const char *name, const char *help, size_t nlabels,
				     const char *const *labels)
{
	struct metrics_family_def def = {
		.type = type, .name = name, .help = help,
		.nlabels = nlabels, .label_names = labels,
	};

	return metrics_family_new(reg, &def);
}

/* Made before anything else publishes, so that they always fit. */
static int series_metrics_init(struct self_metrics *m, struct metrics_registry *reg)
{
	static const char *const reason_label[] = {"reason"};
	const char *cap[] = {"family_cap"}, *budget[] = {"series_budget"};

	m->series = family(reg, METRICS_GAUGE, "circuitwatch_metrics_series",
			   "Series in the registry (all families).", 0, NULL);
	m->budget = family(reg, METRICS_GAUGE, "circuitwatch_metrics_series_budget",
			   "The series budget (prometheus.max_series).", 0, NULL);
	m->refused = family(reg, METRICS_COUNTER, "circuitwatch_metrics_series_refused_total",
			    "New series refused (each attempt; publishers retry every second), "
			    "by reason: series_budget (prometheus.max_series) or family_cap.",
			    1, reason_label);
	if (m->series == NULL || m->budget == NULL || m->refused == NULL)
		return -1;
	m->series_s = metrics_series_get(m->series, NULL);
	m->budget_s = metrics_series_get(m->budget, NULL);
	m->refused_cap_s = metrics_series_get(m->refused, cap);
	m->refused_budget_s = metrics_series_get(m->refused, budget);
	return m->series_s && m->budget_s && m->refused_cap_s && m->refused_budget_s ? 0 : -1;
}

/* prometheus.max_series into the registry (start and reload: a lower
 * budget refuses new series, it never drops existing ones). */
static void apply_series_budget(struct daemon *d)
{
	metrics_registry_set_max_series(d->ctx.reg, prometheus_config(d->cfg)->max_series);
	metrics_gauge_set(d->self.budget_s, prometheus_config(d->cfg)->max_series);
}

/* Self metrics of the budget; the first refusal is logged (once: it
 * repeats every round while the cause lasts). */
static void series_metrics_update(struct daemon *d)
{
	struct metrics_refusals r = metrics_registry_refusals(d->ctx.reg);
	size_t n = metrics_registry_series(d->ctx.reg);
	char have[24], max[24];

	metrics_gauge_set(d->self.series_s, (double)n);
	metrics_counter_set(d->self.refused_cap_s, (double)r.family_cap);
	metrics_counter_set(d->self.refused_budget_s, (double)r.budget);
	if (d->self.refusal_logged || (r.family_cap == 0 && r.budget == 0))
		return;
	d->self.refusal_logged = true;
	snprintf(have, sizeof(have), "%zu", n);
	snprintf(max, sizeof(max), "%u", prometheus_config(d->cfg)->max_series);
	log_warn(d->ctx.log,
		 "metrics series refused: new series are not published (existing ones stay); "
		 "raise prometheus.max_series or publish less (bmp.publish: configured)",
		 "reason", r.budget != 0 ? "series_budget" : "family_cap", "series", have,
		 "max_series", max);
}

/* A housekeeping tick's model_gc() runs on the thread that feeds the model
 * (the loop thread, a BMP worker): its duration is the stall a Peer Down's
 * release puts on the ingest of the other routers of that model
 * (docs/performance.md). */
static int gc_metrics_init(struct self_metrics *m, struct metrics_registry *reg)
{
	static const double buckets[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1};
	struct metrics_family_def def = {
		.type = METRICS_HISTOGRAM, .name = "circuitwatch_model_gc_step_seconds",
		.help = "CPU time of each step of giving released routes' memory back, on the "
			"thread that feeds the model: the loop thread or a BMP worker (100 ms "
			"housekeeping ticks with work only).",
		.unit = "seconds", .nbuckets = sizeof(buckets) / sizeof(buckets[0]),
		.buckets = buckets,
	};

	m->gc_step = metrics_family_new(reg, &def);
	m->gc_step_s = m->gc_step ? metrics_series_get(m->gc_step, NULL) : NULL;
	return m->gc_step_s != NULL ? 0 : -1;
}

static int self_metrics_init(struct self_metrics *m, struct metrics_registry *reg)
{
	static const char *const build_labels[] = {"version", "libuv", "revision", "build_date"};
	static const char *const result_label[] = {"result"};
	const char *build_values[] = {CW_VERSION, uv_version_string(), CW_REVISION, CW_BUILD_DATE};
	const char *ok[] = {"success"}, *fail[] = {"failure"};

	m->build = family(reg, METRICS_INFO, "circuitwatch_build_info",
			  "Version, git revision and build date (UTC) of circuitwatch, and the "
			  "version of the event loop library it runs on.", 4, build_labels);
	m->start = family(reg, METRICS_GAUGE, "circuitwatch_start_time_seconds",
			  "Time the daemon started, in seconds since the Unix epoch.", 0, NULL);
	m->reload_ok = family(reg, METRICS_GAUGE, "circuitwatch_config_last_reload_successful",
			      "1 when the last configuration load or reload succeeded, 0 when it failed.",
			      0, NULL);
	m->reload_ts = family(reg, METRICS_GAUGE,
			      "circuitwatch_config_last_reload_success_timestamp_seconds",
			      "Time of the last successful configuration load or reload.", 0, NULL);
	m->reloads = family(reg, METRICS_COUNTER, "circuitwatch_config_reloads_total",
			    "Configuration reloads (SIGHUP) by result.", 1, result_label);
	if (m->build == NULL || m->start == NULL || m->reload_ok == NULL ||
	    m->reload_ts == NULL || m->reloads == NULL)
		return -1;
	struct metrics_series *b = metrics_series_get(m->build, build_values);
	struct metrics_series *st = metrics_series_get(m->start, NULL);

	m->reload_ok_s = metrics_series_get(m->reload_ok, NULL);
	m->reload_ts_s = metrics_series_get(m->reload_ts, NULL);
	m->reloads_ok_s = metrics_series_get(m->reloads, ok);
	m->reloads_fail_s = metrics_series_get(m->reloads, fail);
	if (b == NULL || st == NULL || m->reload_ok_s == NULL || m->reload_ts_s == NULL ||
	    m->reloads_ok_s == NULL || m->reloads_fail_s == NULL)
		return -1;
	metrics_gauge_set(st, wall_now());
	metrics_gauge_set(m->reload_ok_s, 1);
	metrics_gauge_set(m->reload_ts_s, wall_now());
	if (series_metrics_init(m, reg) != 0)
		return -1;
	return gc_metrics_init(m, reg);
}

static void apply_log_config(struct daemon *d)
{
	const struct daemon_opts *o = d->opts;
	enum log_level lvl = o->log_level >= 0 ? (enum log_level)o->log_level
					       : (enum log_level)log_config(d->cfg)->level;
	enum log_format fmt = o->log_format >= 0 ? (enum log_format)o->log_format
						 : (enum log_format)log_config(d->cfg)->format;

	log_configure(d->ctx.log, lvl, fmt);
}

/* Logs each config error as its own event (the daemon keeps running). */
static void log_cfg_errors(struct log *lg, const struct cfg_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++) {
		char line[16], col[16];

		snprintf(line, sizeof(line), "%u", errs->v[i].line);
		snprintf(col, sizeof(col), "%u", errs->v[i].column);
		log_error(lg, "config error", "file", errs->v[i].file, "line", line, "column", col,
			  "error", errs->v[i].message);
	}
}

/* The command line's --web.* flags over a config just loaded. */
static int apply_flags(const struct daemon_opts *o, struct cfg_config *cfg)
{
	return prometheus_config_override(cfg, o->web_host, o->web_port, o->web_config);
}

static void reload_failed(struct daemon *d)
{
	log_error(d->ctx.log, "reload failed; keeping the running configuration",
		  "file", d->opts->config_path);
	metrics_gauge_set(d->self.reload_ok_s, 0);
	metrics_counter_add(d->self.reloads_fail_s, 1);
}

static void reload(struct daemon *d)
{
	struct cfg_errors errs = {0};
	struct cfg_config *next = NULL, *old = d->cfg;
	struct circuit_index *ix, *old_ix = d->circuits;

	log_info(d->ctx.log, "reloading configuration", "file", d->opts->config_path);
	if (daemon_config_load_file(d->opts->config_path, &next, &errs) != 0 ||
	    apply_flags(d->opts, next) != 0) {
		cfg_free(next); /* NULL unless the flags ran out of memory */
		log_cfg_errors(d->ctx.log, &errs);
		priv_explain_unreadable(d->priv, d->opts->config_path, d->ctx.log);
		cfg_errors_clean(&errs);
		reload_failed(d);
		return;
	}
	if ((ix = circuit_index_new(circuit_config(next))) == NULL) { /* out of memory */
		cfg_free(next);
		reload_failed(d);
		return;
	}
	priv_check_reload(d->priv, next, d->opts->user, d->ctx.log);
	d->cfg = next;
	d->ctx.cfg = next;
	d->circuits = ix;
	d->ctx.circuits = ix;
	models_apply_circuits(d->models, next, ix);
	apply_log_config(d);
	apply_series_budget(d);
	for (size_t i = 0; i < d->nstarted; i++)
		if (modules[i]->reload != NULL)
			modules[i]->reload(&d->ctx, d->state[i], old);
	circuit_index_free(old_ix);
	cfg_free(old);
	/* now, not at the next tick: a scrape after the reload is counted must
	 * not show series of circuits that are gone */
	models_publish_all(d->models);
	metrics_gauge_set(d->self.reload_ok_s, 1);
	metrics_gauge_set(d->self.reload_ts_s, wall_now());
	metrics_counter_add(d->self.reloads_ok_s, 1);
	log_info(d->ctx.log, "configuration reloaded", "file", d->opts->config_path);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	if (signum == SIGHUP) {
		reload(d);
		return;
	}
	log_info(d->ctx.log, "shutting down", "signal", signum == SIGINT ? "SIGINT" : "SIGTERM");
	uv_stop(&d->loop);
}

static int signals_start(struct daemon *d)
{
	uv_signal_t *hs[] = {&d->sig_int, &d->sig_term, &d->sig_hup};
	const int nums[] = {SIGINT, SIGTERM, SIGHUP};

	for (size_t i = 0; i < 3; i++) {
		if (uv_signal_init(&d->loop, hs[i]) != 0)
			return -1;
		hs[i]->data = d;
		if (uv_signal_start(hs[i], on_signal, nums[i]) != 0)
			return -1;
	}
	return 0;
}

/* Model events to the bus. The model has no clock: events that routes
 * cause come without a time and are stamped here, when they happened. */
static void on_model_event(void *arg, const struct cw_event *ev)
{
	struct daemon *d = arg;

	if (ev->time_ns == 0) {
		struct cw_event *e = malloc(sizeof(*e));

		if (e == NULL)
			return;
		*e = *ev;
		e->time_ns = (int64_t)(wall_now() * 1e9);
		ev_emit(d->ctx.events, e);
		free(e);
		return;
	}
	ev_emit(d->ctx.events, ev);
}

/* circuitwatch_memory_bytes: the RIBs and attribute sets of every model
 * (each shard's as of its last publish: no lock taken), then what each
 * module reports. */
static void memory_update(struct daemon *d)
{
	struct model_memory mm = model_memory(d->ctx.model);

	procm_memory_begin(d->procm);
	for (size_t i = 0; i <= d->ctx.nshards; i++) {
		if (i > 0)
			mm = model_memory(d->ctx.shards[i - 1]);
		procm_memory_report(d->procm, "rib", mm.rib);
		procm_memory_report(d->procm, "attributes", mm.attributes);
	}
	for (size_t i = 0; i < d->nstarted; i++)
		if (modules[i]->memory != NULL)
			modules[i]->memory(d->state[i], procm_memory_report, d->procm);
	procm_memory_end(d->procm);
}

static void on_housekeeping(uv_timer_t *t)
{
	struct daemon *d = t->data;

	models_gc(d->models);
	if (++d->ticks % PUBLISH_EVERY == 0) {
		models_publish(d->models, wall_now());
		series_metrics_update(d);
		procm_update(d->procm);
		memory_update(d);
	}
}

static int housekeeping_start(struct daemon *d)
{
	if (uv_timer_init(&d->loop, &d->housekeeping) != 0)
		return -1;
	d->housekeeping.data = d;
	return uv_timer_start(&d->housekeeping, on_housekeeping, HOUSEKEEPING_MS, HOUSEKEEPING_MS);
}

static void stop_modules(struct daemon *d)
{
	while (d->nstarted > 0) {
		d->nstarted--;
		modules[d->nstarted]->stop(&d->ctx, d->state[d->nstarted]);
	}
}

static int start_modules(struct daemon *d)
{
	for (size_t i = 0; i < NMODULES; i++) {
		if (modules[i]->start(&d->ctx, &d->state[i]) != 0) {
			log_error(d->ctx.log, "module failed to start", "module", modules[i]->name);
			return -1;
		}
		d->nstarted = i + 1;
	}
	return 0;
}

static void close_cb(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* Closes every handle left on the loop and lets the loop finish them. */
static void loop_clean(uv_loop_t *loop)
{
	uv_walk(loop, close_cb, NULL);
	while (uv_run(loop, UV_RUN_DEFAULT) != 0)
		;
	if (uv_loop_close(loop) != 0)
		fprintf(stderr, "circuitwatch: event loop did not close cleanly\n");
}

/* The BMP workers allocate from arenas of their own, whose free top
 * malloc_trim() does not give back: only free() does, past the trim
 * threshold, which glibc raises up to 64 MiB after large blocks come and
 * go. A fixed threshold (it also fixes the mmap threshold at 128 KiB, so
 * large blocks are mappings of their own) lets a released table's memory
 * go back to the system in every arena. */
static void malloc_tune(void)
{
#ifdef __GLIBC__
	(void)mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
#endif
}

/* One shard per BMP worker (bmp.workers), none without BMP. */
static int models_start(struct daemon *d)
{
	const struct cfg_bmp *b = bmp_config(d->cfg);
	size_t n = b->enabled ? bmp_config_workers(b) : 0;

	d->models = models_new(d->ctx.model, n, &d->loop, d->ctx.events, d->ctx.log, d->ctx.reg,
			       d->self.gc_step_s);
	if (d->models == NULL)
		return -1;
	models_set_stream(d->models, &d->ctx.streams);
	d->ctx.shards = models_shards(d->models);
	d->ctx.nshards = models_nshards(d->models);
	return 0;
}

static int load_initial(struct daemon *d)
{
	struct cfg_errors errs = {0};

	if (daemon_config_load_file(d->opts->config_path, &d->cfg, &errs) != 0 ||
	    apply_flags(d->opts, d->cfg) != 0) {
		cfg_free(d->cfg);
		d->cfg = NULL;
		cfg_errors_print(&errs, stderr);
		cfg_errors_clean(&errs);
		return -1;
	}
	d->ctx.cfg = d->cfg;
	return 0;
}

int daemon_run(const struct daemon_opts *opts, struct log *lg)
{
	struct daemon *d = calloc(1, sizeof(*d));
	int rc = 1;

	if (d == NULL)
		return 1;
	d->opts = opts;
	d->ctx.log = lg;
	atomic_init(&d->ctx.ready, false);
	if (load_initial(d) != 0) {
		log_error(lg, "invalid configuration; not starting", "file", opts->config_path);
		free(d);
		return 2;
	}
	apply_log_config(d);
	/* the user exists and can write what the daemon writes, before anything opens */
	if (priv_prepare(opts->user, d->cfg, lg, &d->priv) != 0) {
		log_error(lg, "cannot run as the configured user; not starting");
		cfg_free(d->cfg);
		free(d);
		return 2;
	}
	/* a peer closing its socket must not kill the daemon */
	signal(SIGPIPE, SIG_IGN);
	malloc_tune();
	d->ctx.reg = metrics_registry_new();
	d->ctx.model = d->ctx.reg ? model_new(d->ctx.reg) : NULL;
	if (d->ctx.model == NULL || self_metrics_init(&d->self, d->ctx.reg) != 0 ||
	    (d->procm = procm_new(d->ctx.reg)) == NULL || uv_loop_init(&d->loop) != 0) {
		log_error(lg, "out of memory at start");
		goto out_noloop;
	}
	d->ctx.loop = &d->loop;
	if ((d->ctx.traffic = traffic_new()) == NULL) { /* before the sources push into it */
		log_error(lg, "out of memory at start");
		goto out;
	}
	if ((d->circuits = circuit_index_new(circuit_config(d->cfg))) == NULL) {
		log_error(lg, "out of memory at start");
		goto out;
	}
	d->ctx.circuits = d->circuits;
	if ((d->ctx.events = ev_bus_new(NULL)) == NULL) {
		log_error(lg, "out of memory at start");
		goto out;
	}
	model_set_event_sink(d->ctx.model, on_model_event, d);
	model_set_log(d->ctx.model, lg);
	if (models_start(d) != 0)
		goto out;
	apply_series_budget(d);
	models_apply_circuits(d->models, d->cfg, d->circuits);
	if (signals_start(d) != 0 || housekeeping_start(d) != 0 || start_modules(d) != 0)
		goto out;
	/* every privileged socket and capture handle is open now */
	if (priv_drop(d->priv, lg) != 0)
		goto out;
	models_publish_all(d->models);
	atomic_store(&d->ctx.ready, true);
	log_info(lg, "circuitwatch started", "version", CW_VERSION, "config", opts->config_path);
	uv_run(&d->loop, UV_RUN_DEFAULT);
	rc = 0;
out:
	atomic_store(&d->ctx.ready, false);
	stop_modules(d);
	loop_clean(&d->loop);
	models_free(d->models); /* the workers stopped with the bmp module */
out_noloop:
	procm_free(d->procm);
	traffic_free(d->ctx.traffic);
	model_free(d->ctx.model);
	circuit_index_free(d->circuits);
	ev_bus_free(d->ctx.events);
	metrics_registry_free(d->ctx.reg);
	cfg_free(d->cfg);
	priv_free(d->priv);
	free(d);
	if (rc == 0)
		log_info(lg, "stopped");
	return rc;
}
