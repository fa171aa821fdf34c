/* alert.c — alert rules over metrics snapshots (see alert.h). */
#include "alert.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "metrics.h"

struct sample {
	double t;
	double cum;                 /* increase since the instance was created,
	                             * counter resets taken out */
};

struct instance {
	size_t rule;                /* index into e->rules */
	char *labels;               /* rendered; the hash key is "rule\0labels" */
	char *key;
	size_t keylen;
	enum alert_state state;
	double since;               /* entered state */
	double value;
	uint64_t epoch;             /* last evaluation that saw the series */
	/* rate/increase history */
	bool have_last;
	double last_raw;
	double cum;
	size_t nsamples, head;      /* ring of samples, oldest at head */
	struct sample *samples;
	UT_hash_handle hh;
};

struct alert_engine {
	struct alert_rule *rules;
	size_t nrules;
	alert_emit_fn emit;
	void *arg;
	struct instance *instances; /* uthash */
	size_t ninstances;
	uint64_t epoch;
	uint64_t dropped;
};

static const char *const state_names[] = {"inactive", "pending", "firing"};
static const char *const severity_names[] = {"info", "warning", "critical"};

const char *alert_state_name(enum alert_state st)
{
	return (unsigned)st < 3 ? state_names[st] : "unknown";
}

const char *alert_severity_name(enum alert_severity s)
{
	return (unsigned)s < 3 ? severity_names[s] : "unknown";
}

/* ---- rules ---------------------------------------------------------- */

static char *dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

static void rule_clean(struct alert_rule *r)
{
	free((char *)r->name);
	free((char *)r->metric);
	free((char *)r->summary);
	for (size_t i = 0; i < r->nmatchers; i++) {
		free((char *)r->matchers[i].label);
		free((char *)r->matchers[i].value);
	}
}

static bool rule_valid(const struct alert_rule *r)
{
	if (!r->name || !*r->name || !r->metric || !*r->metric ||
	    r->nmatchers > ALERT_MAX_MATCHERS || !isfinite(r->threshold) || r->for_s < 0)
		return false;
	for (size_t i = 0; i < r->nmatchers; i++)
		if (!r->matchers[i].label || !r->matchers[i].value)
			return false;
	if (r->fn != ALERT_FN_VALUE && !(r->window > 0))
		return false;
	if (!r->has_clear)
		return true;
	/* hysteresis lies on the side the value comes back to */
	switch (r->op) {
	case ALERT_GT:
	case ALERT_GE:
		return r->clear <= r->threshold;
	case ALERT_LT:
	case ALERT_LE:
		return r->clear >= r->threshold;
	default:
		return false;
	}
}

static int rule_copy(struct alert_rule *dst, const struct alert_rule *src)
{
	bool oom = false;

	*dst = *src;
	dst->name = dup_or_null(src->name, &oom);
	dst->metric = dup_or_null(src->metric, &oom);
	dst->summary = dup_or_null(src->summary, &oom);
	for (size_t i = 0; i < src->nmatchers; i++) {
		dst->matchers[i].label = dup_or_null(src->matchers[i].label, &oom);
		dst->matchers[i].value = dup_or_null(src->matchers[i].value, &oom);
	}
	return oom ? -1 : 0;
}

struct alert_engine *alert_engine_new(const struct alert_rule *rules, size_t nrules,
				      alert_emit_fn emit, void *arg)
{
	struct alert_engine *e = calloc(1, sizeof *e);

	if (!e)
		return NULL;
	e->emit = emit;
	e->arg = arg;
	if (nrules && !(e->rules = calloc(nrules, sizeof *e->rules)))
		goto fail;
	for (size_t i = 0; i < nrules; i++) {
		if (!rule_valid(&rules[i]))
			goto fail;
		e->nrules++;
		if (rule_copy(&e->rules[i], &rules[i]) != 0)
			goto fail;
	}
	return e;
fail:
	alert_engine_free(e);
	return NULL;
}

static void instance_free(struct instance *in)
{
	free(in->key);
	free(in->samples);
	free(in);
}

void alert_engine_free(struct alert_engine *e)
{
	struct instance *in, *tmp;

	if (!e)
		return;
	HASH_ITER(hh, e->instances, in, tmp) {
		HASH_DEL(e->instances, in);
		instance_free(in);
	}
	for (size_t i = 0; i < e->nrules; i++)
		rule_clean(&e->rules[i]);
	free(e->rules);
	free(e);
}

/* ---- label sets ----------------------------------------------------- */

/* Reads one rendered value starting after its opening quote; unescapes
 * into buf. Returns the position after the closing quote, or NULL. */
static const char *read_value(const char *p, char *buf, size_t size, size_t *n)
{
	for (*n = 0; *p && *p != '"'; p++) {
		char c = *p;

		if (c == '\\') {
			p++;
			if (*p == 'n')
				c = '\n';
			else if (*p == '\\' || *p == '"')
				c = *p;
			else
				return NULL;
		}
		if (buf && *n + 1 < size)
			buf[*n] = c;
		(*n)++;
	}
	return *p == '"' ? p + 1 : NULL;
}

const char *alert_label_value(const char *labels, const char *name, char *buf, size_t size)
{
	size_t nlen = strlen(name), n;
	const char *p = labels;

	if (buf && size)
		buf[0] = '\0';
	while (p && *p) {
		const char *eq = strchr(p, '=');
		bool match;

		if (!eq || eq[1] != '"')
			return NULL;
		match = (size_t)(eq - p) == nlen && memcmp(p, name, nlen) == 0;
		p = read_value(eq + 2, match ? buf : NULL, size, &n);
		if (!p)
			return NULL;
		if (match) {
			if (!buf || !size)
				return NULL;
			buf[n < size ? n : size - 1] = '\0';
			return buf;
		}
		if (*p == ',')
			p++;
	}
	return NULL;
}

static bool labels_match(const struct alert_rule *r, const char *labels)
{
	char buf[1100];

	for (size_t i = 0; i < r->nmatchers; i++) {
		const char *v = alert_label_value(labels, r->matchers[i].label, buf, sizeof buf);
		bool eq = strcmp(v ? v : "", r->matchers[i].value) == 0;

		if (eq == r->matchers[i].negate)
			return false;
	}
	return true;
}

/* ---- instances ------------------------------------------------------ */

static struct instance *instance_get(struct alert_engine *e, size_t rule, const char *labels,
				     bool create)
{
	size_t llen = strlen(labels), keylen = sizeof rule + llen;
	char stack[256], *key = keylen <= sizeof stack ? stack : malloc(keylen);
	struct instance *in = NULL;

	if (!key)
		return NULL;
	memcpy(key, &rule, sizeof rule);
	memcpy(key + sizeof rule, labels, llen);
	HASH_FIND(hh, e->instances, key, keylen, in);
	if (in || !create)
		goto out;
	if (e->ninstances >= ALERT_MAX_INSTANCES) {
		e->dropped++;
		goto out;
	}
	in = calloc(1, sizeof *in);
	if (!in || !(in->key = malloc(keylen))) {
		free(in);
		in = NULL;
		goto out;
	}
	memcpy(in->key, key, keylen);
	in->keylen = keylen;
	in->labels = in->key + sizeof rule; /* not NUL-terminated: see labels_dup */
	in->rule = rule;
	in->value = NAN;
	HASH_ADD_KEYPTR(hh, e->instances, in->key, in->keylen, in);
	e->ninstances++;
out:
	if (key != stack)
		free(key);
	return in;
}

static void instance_remove(struct alert_engine *e, struct instance *in)
{
	HASH_DEL(e->instances, in);
	e->ninstances--;
	instance_free(in);
}

/* The instance's labels as a C string (they live unterminated in the key). */
static char *labels_dup(const struct instance *in)
{
	size_t n = in->keylen - sizeof in->rule;
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, in->labels, n);
		s[n] = '\0';
	}
	return s;
}

/* Adds a counter sample; returns the rate or increase over the window, or
 * NaN until two samples span some time. */
static double windowed(struct instance *in, const struct alert_rule *r, double raw, double now)
{
	struct sample *oldest;
	double dt;

	if (!in->samples && !(in->samples = calloc(ALERT_MAX_SAMPLES, sizeof *in->samples)))
		return NAN;
	if (in->have_last)
		in->cum += raw >= in->last_raw ? raw - in->last_raw : raw; /* reset: count from 0 */
	in->have_last = true;
	in->last_raw = raw;
	if (in->nsamples == ALERT_MAX_SAMPLES) {
		in->head = (in->head + 1) % ALERT_MAX_SAMPLES;
		in->nsamples--;
	}
	in->samples[(in->head + in->nsamples) % ALERT_MAX_SAMPLES] = (struct sample){now, in->cum};
	in->nsamples++;
	/* keep one sample at or before the window's start, drop older ones */
	while (in->nsamples > 1 && in->samples[(in->head + 1) % ALERT_MAX_SAMPLES].t <= now - r->window) {
		in->head = (in->head + 1) % ALERT_MAX_SAMPLES;
		in->nsamples--;
	}
	oldest = &in->samples[in->head];
	dt = now - oldest->t;
	if (in->nsamples < 2 || dt <= 0)
		return NAN;
	return r->fn == ALERT_FN_RATE ? (in->cum - oldest->cum) / dt : in->cum - oldest->cum;
}

static bool compare(enum alert_op op, double v, double t)
{
	switch (op) {
	case ALERT_GT: return v > t;
	case ALERT_GE: return v >= t;
	case ALERT_LT: return v < t;
	case ALERT_LE: return v <= t;
	case ALERT_EQ: return v == t;
	case ALERT_NE: return v != t;
	}
	return false;
}

/* A firing alert stays firing until the value passes the clear level. */
static bool still_firing(const struct alert_rule *r, double v)
{
	if (!r->has_clear)
		return compare(r->op, v, r->threshold);
	return (r->op == ALERT_GT || r->op == ALERT_GE) ? v > r->clear : v < r->clear;
}

static void emit(struct alert_engine *e, struct instance *in, enum alert_state to, double now,
		 bool gone)
{
	char circuit[256], link[64], peering[64];
	char *labels = labels_dup(in);
	struct alert_transition t = {
		.rule = &e->rules[in->rule], .labels = labels ? labels : "",
		.from = in->state, .to = to, .value = gone ? NAN : in->value,
		.since = in->since, .now = now, .series_gone = gone,
	};

	alert_label_value(t.labels, "circuit", circuit, sizeof circuit);
	alert_label_value(t.labels, "link", link, sizeof link);
	alert_label_value(t.labels, "peering", peering, sizeof peering);
	t.circuit = circuit;
	t.link = link;
	t.peering = peering;
	in->state = to;
	in->since = now;
	if (e->emit)
		e->emit(&t, e->arg);
	free(labels);
}

/* The state machine of one instance: one step per evaluation. */
static void step(struct alert_engine *e, struct instance *in, double now)
{
	const struct alert_rule *r = &e->rules[in->rule];
	double v = in->value;

	if (isnan(v))
		return; /* no data yet (a rate needs two samples): no change */
	switch (in->state) {
	case ALERT_INACTIVE:
		if (compare(r->op, v, r->threshold))
			emit(e, in, r->for_s > 0 ? ALERT_PENDING : ALERT_FIRING, now, false);
		break;
	case ALERT_PENDING:
		if (!compare(r->op, v, r->threshold))
			emit(e, in, ALERT_INACTIVE, now, false);
		else if (now - in->since >= r->for_s)
			emit(e, in, ALERT_FIRING, now, false);
		break;
	case ALERT_FIRING:
		if (!still_firing(r, v))
			emit(e, in, ALERT_INACTIVE, now, false);
		break;
	}
}

static double series_value(const struct metrics_snap_family *f, const struct metrics_snap_series *s)
{
	return f->type == METRICS_HISTOGRAM ? (double)s->count : s->value;
}

static const struct metrics_snap_family *find_family(const struct metrics_snapshot *snap,
						     const char *name)
{
	size_t lo = 0, hi = snap ? snap->nfamilies : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(snap->families[mid].name, name);

		if (c == 0)
			return &snap->families[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void eval_rule(struct alert_engine *e, size_t ri, const struct metrics_snapshot *snap,
		      double now)
{
	const struct alert_rule *r = &e->rules[ri];
	const struct metrics_snap_family *f = find_family(snap, r->metric);

	for (size_t i = 0; f && i < f->nseries; i++) {
		const struct metrics_snap_series *s = &f->series[i];
		double raw = series_value(f, s);
		struct instance *in;

		if (!labels_match(r, s->labels))
			continue;
		/* a plain value needs no history: instances exist only while active */
		in = instance_get(e, ri, s->labels,
				  r->fn != ALERT_FN_VALUE || compare(r->op, raw, r->threshold));
		if (!in)
			continue;
		in->epoch = e->epoch;
		in->value = r->fn == ALERT_FN_VALUE ? raw : windowed(in, r, raw, now);
		step(e, in, now);
	}
}

void alert_engine_eval(struct alert_engine *e, const struct metrics_snapshot *snap, double now)
{
	struct instance *in, *tmp;

	if (!e)
		return;
	e->epoch++;
	for (size_t ri = 0; ri < e->nrules; ri++)
		eval_rule(e, ri, snap, now);
	HASH_ITER(hh, e->instances, in, tmp) {
		if (in->epoch != e->epoch) {
			if (in->state != ALERT_INACTIVE)
				emit(e, in, ALERT_INACTIVE, now, true);
			instance_remove(e, in);
		} else if (in->state == ALERT_INACTIVE && e->rules[in->rule].fn == ALERT_FN_VALUE) {
			instance_remove(e, in);
		}
	}
}

size_t alert_engine_count(const struct alert_engine *e, enum alert_state st)
{
	const struct instance *in, *tmp;
	size_t n = 0;

	if (!e)
		return 0;
	HASH_ITER(hh, e->instances, in, tmp)
		n += in->state == st;
	return n;
}

uint64_t alert_engine_dropped(const struct alert_engine *e)
{
	return e ? e->dropped : 0;
}

void alert_engine_foreach(const struct alert_engine *e,
			  void (*fn)(const struct alert_rule *r, const char *labels,
				     enum alert_state st, double value, double since, void *arg),
			  void *arg)
{
	const struct instance *in, *tmp;

	if (!e)
		return;
	HASH_ITER(hh, e->instances, in, tmp) {
		char *labels;

		if (in->state == ALERT_INACTIVE)
			continue;
		labels = labels_dup(in);
		fn(&e->rules[in->rule], labels ? labels : "", in->state, in->value, in->since, arg);
		free(labels);
	}
}
