/* test_alerts.c — alert rules over registry snapshots with an injected
 * clock: pending, firing after `for`, hysteresis, rate and increase over
 * counters with resets, matchers, series that go away, label parsing. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alert.h"
#include "metrics.h"

#define NT 64

struct rec {
	size_t n;
	struct {
		char rule[64], labels[256], circuit[64], link[32];
		enum alert_state from, to;
		double value, now;
		bool gone;
	} t[NT];
};

static void record(const struct alert_transition *t, void *arg)
{
	struct rec *r = arg;

	assert_true(r->n < NT);
	snprintf(r->t[r->n].rule, sizeof r->t[r->n].rule, "%s", t->rule->name);
	snprintf(r->t[r->n].labels, sizeof r->t[r->n].labels, "%s", t->labels);
	snprintf(r->t[r->n].circuit, sizeof r->t[r->n].circuit, "%s", t->circuit);
	snprintf(r->t[r->n].link, sizeof r->t[r->n].link, "%s", t->link);
	r->t[r->n].from = t->from;
	r->t[r->n].to = t->to;
	r->t[r->n].value = t->value;
	r->t[r->n].now = t->now;
	r->t[r->n].gone = t->series_gone;
	r->n++;
}

struct fx {
	struct metrics_registry *reg;
	struct metrics_family *gauge, *counter;
	struct rec rec;
};

static int setup(void **state)
{
	static const char *const labels[] = {"circuit", "link", "direction"};
	struct metrics_family_def g = {METRICS_GAUGE, "util_ratio", "u", NULL, 3, labels, 0, NULL};
	struct metrics_family_def c = {METRICS_COUNTER, "drops_total", "d", NULL, 3, labels, 0, NULL};
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	f->reg = metrics_registry_new();
	f->gauge = metrics_family_new(f->reg, &g);
	f->counter = metrics_family_new(f->reg, &c);
	assert_non_null(f->gauge);
	assert_non_null(f->counter);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	metrics_registry_free(f->reg);
	free(f);
	return 0;
}

static struct metrics_series *series(struct metrics_family *fam, const char *c, const char *l,
				     const char *d)
{
	const char *v[] = {c, l, d};
	struct metrics_series *s = metrics_series_get(fam, v);

	assert_non_null(s);
	return s;
}

static void eval(struct fx *f, struct alert_engine *e, double now)
{
	struct metrics_snapshot *snap = metrics_snapshot_take(f->reg);

	assert_non_null(snap);
	alert_engine_eval(e, snap, now);
	metrics_snapshot_free(f->reg, snap);
}

static const struct alert_rule util_rule = {
	.name = "LinkUtilisationHigh", .metric = "util_ratio",
	.nmatchers = 1, .matchers = {{"direction", "egress", false}},
	.op = ALERT_GT, .threshold = 0.8, .has_clear = true, .clear = 0.7,
	.for_s = 60, .severity = ALERT_WARNING,
};

static void test_pending_firing_hysteresis(void **state)
{
	struct fx *f = *state;
	struct metrics_series *eg = series(f->gauge, "er1", "primary", "egress");
	struct metrics_series *in = series(f->gauge, "er1", "primary", "ingress");
	struct alert_engine *e = alert_engine_new(&util_rule, 1, record, &f->rec);

	assert_non_null(e);
	metrics_gauge_set(eg, 0.5);
	metrics_gauge_set(in, 0.99); /* ingress: not matched */
	eval(f, e, 0);
	assert_int_equal(f->rec.n, 0);
	metrics_gauge_set(eg, 0.85);
	eval(f, e, 10);
	assert_int_equal(f->rec.n, 1);
	assert_string_equal(f->rec.t[0].rule, "LinkUtilisationHigh");
	assert_int_equal(f->rec.t[0].from, ALERT_INACTIVE);
	assert_int_equal(f->rec.t[0].to, ALERT_PENDING);
	assert_string_equal(f->rec.t[0].circuit, "er1");
	assert_string_equal(f->rec.t[0].link, "primary");
	assert_true(strstr(f->rec.t[0].labels, "direction=\"egress\"") != NULL);
	assert_int_equal(alert_engine_count(e, ALERT_PENDING), 1);
	eval(f, e, 69.9); /* 59.9 s pending: not yet */
	assert_int_equal(f->rec.n, 1);
	eval(f, e, 70);
	assert_int_equal(f->rec.n, 2);
	assert_int_equal(f->rec.t[1].from, ALERT_PENDING);
	assert_int_equal(f->rec.t[1].to, ALERT_FIRING);
	assert_int_equal(alert_engine_count(e, ALERT_FIRING), 1);
	/* below the threshold but above clear: still firing (hysteresis) */
	metrics_gauge_set(eg, 0.75);
	eval(f, e, 80);
	assert_int_equal(f->rec.n, 2);
	metrics_gauge_set(eg, 0.7); /* at clear: resolved */
	eval(f, e, 90);
	assert_int_equal(f->rec.n, 3);
	assert_int_equal(f->rec.t[2].from, ALERT_FIRING);
	assert_int_equal(f->rec.t[2].to, ALERT_INACTIVE);
	assert_false(f->rec.t[2].gone);
	assert_true(fabs(f->rec.t[2].value - 0.7) < 1e-12);
	assert_int_equal(alert_engine_count(e, ALERT_FIRING), 0);
	alert_engine_free(e);
}

static void test_pending_cancelled(void **state)
{
	struct fx *f = *state;
	struct metrics_series *eg = series(f->gauge, "er1", "secondary", "egress");
	struct alert_engine *e = alert_engine_new(&util_rule, 1, record, &f->rec);

	metrics_gauge_set(eg, 0.9);
	eval(f, e, 0);
	metrics_gauge_set(eg, 0.79); /* below the threshold before `for`: cancelled */
	eval(f, e, 30);
	assert_int_equal(f->rec.n, 2);
	assert_int_equal(f->rec.t[1].from, ALERT_PENDING);
	assert_int_equal(f->rec.t[1].to, ALERT_INACTIVE);
	/* and starts over: the `for` clock restarts */
	metrics_gauge_set(eg, 0.9);
	eval(f, e, 40);
	eval(f, e, 99);
	assert_int_equal(f->rec.n, 3);
	eval(f, e, 100);
	assert_int_equal(f->rec.n, 4);
	assert_int_equal(f->rec.t[3].to, ALERT_FIRING);
	alert_engine_free(e);
}

static void test_series_gone_resolves(void **state)
{
	struct fx *f = *state;
	struct metrics_series *eg = series(f->gauge, "er2", "primary", "egress");
	struct alert_rule r = util_rule;
	struct alert_engine *e;

	r.for_s = 0; /* fires at once */
	e = alert_engine_new(&r, 1, record, &f->rec);
	metrics_gauge_set(eg, 1.0);
	eval(f, e, 0);
	assert_int_equal(f->rec.n, 1);
	assert_int_equal(f->rec.t[0].from, ALERT_INACTIVE);
	assert_int_equal(f->rec.t[0].to, ALERT_FIRING);
	metrics_series_remove(f->gauge, eg);
	eval(f, e, 1);
	assert_int_equal(f->rec.n, 2);
	assert_int_equal(f->rec.t[1].to, ALERT_INACTIVE);
	assert_true(f->rec.t[1].gone);
	assert_true(isnan(f->rec.t[1].value));
	assert_int_equal(alert_engine_count(e, ALERT_FIRING), 0);
	alert_engine_free(e);
}

static void test_increase_with_reset(void **state)
{
	struct fx *f = *state;
	struct metrics_series *c = series(f->counter, "er1", "primary", "egress");
	struct alert_rule r = {
		.name = "CaptureDropping", .metric = "drops_total", .fn = ALERT_FN_INCREASE,
		.window = 60, .op = ALERT_GT, .threshold = 10, .severity = ALERT_CRITICAL,
	};
	struct alert_engine *e = alert_engine_new(&r, 1, record, &f->rec);

	assert_non_null(e);
	metrics_counter_set(c, 100);
	eval(f, e, 0); /* one sample: no value yet */
	metrics_counter_set(c, 105);
	eval(f, e, 30); /* +5 */
	assert_int_equal(f->rec.n, 0);
	metrics_counter_set(c, 3); /* reset: +3 since the reset */
	eval(f, e, 45); /* +8 over the window */
	assert_int_equal(f->rec.n, 0);
	metrics_counter_set(c, 6);
	eval(f, e, 55); /* +11 over 55 s */
	assert_int_equal(f->rec.n, 1);
	assert_int_equal(f->rec.t[0].to, ALERT_FIRING);
	assert_true(fabs(f->rec.t[0].value - 11) < 1e-9);
	/* the window slides: at 100 s the window starts at 40 s and the sample
	 * kept at or before its start is the one at 30 s: 11 - 5 = 6 */
	eval(f, e, 100);
	assert_int_equal(f->rec.n, 2);
	assert_int_equal(f->rec.t[1].to, ALERT_INACTIVE);
	alert_engine_free(e);
}

static void test_rate(void **state)
{
	struct fx *f = *state;
	struct metrics_series *c = series(f->counter, "er3", "primary", "egress");
	struct alert_rule r = {
		.name = "Drops", .metric = "drops_total", .fn = ALERT_FN_RATE, .window = 10,
		.nmatchers = 1, .matchers = {{"circuit", "er3", false}},
		.op = ALERT_GE, .threshold = 2.0,
	};
	struct alert_engine *e = alert_engine_new(&r, 1, record, &f->rec);

	for (int t = 0; t <= 10; t++) {
		metrics_counter_set(c, 2.0 * t); /* 2 per second */
		eval(f, e, t);
	}
	assert_int_equal(f->rec.n, 1);
	assert_true(fabs(f->rec.t[0].value - 2.0) < 1e-9);
	assert_true(f->rec.t[0].now == 1); /* from the second sample on */
	alert_engine_free(e);
}

static void test_negated_matcher_and_lt(void **state)
{
	struct fx *f = *state;
	struct alert_rule r = {
		.name = "Down", .metric = "util_ratio",
		.nmatchers = 1, .matchers = {{"link", "primary", true}},
		.op = ALERT_LT, .threshold = 0.5, .has_clear = true, .clear = 0.6,
	};
	struct alert_engine *e = alert_engine_new(&r, 1, record, &f->rec);

	metrics_gauge_set(series(f->gauge, "c", "primary", "x"), 0.1);
	metrics_gauge_set(series(f->gauge, "c", "secondary", "x"), 0.1);
	eval(f, e, 0);
	assert_int_equal(f->rec.n, 1);
	assert_string_equal(f->rec.t[0].link, "secondary");
	metrics_gauge_set(series(f->gauge, "c", "secondary", "x"), 0.55);
	eval(f, e, 1);
	assert_int_equal(f->rec.n, 1); /* between threshold and clear */
	metrics_gauge_set(series(f->gauge, "c", "secondary", "x"), 0.6);
	eval(f, e, 2);
	assert_int_equal(f->rec.n, 2);
	alert_engine_free(e);
}

static void test_bad_rules(void **state)
{
	struct alert_rule r = util_rule;

	(void)state;
	r.clear = 0.9; /* clear above a ">" threshold */
	assert_null(alert_engine_new(&r, 1, NULL, NULL));
	r = util_rule;
	r.name = "";
	assert_null(alert_engine_new(&r, 1, NULL, NULL));
	r = util_rule;
	r.fn = ALERT_FN_RATE; /* no window */
	assert_null(alert_engine_new(&r, 1, NULL, NULL));
	r = util_rule;
	r.op = ALERT_EQ; /* no hysteresis for equality */
	assert_null(alert_engine_new(&r, 1, NULL, NULL));
	r = util_rule;
	r.threshold = NAN;
	assert_null(alert_engine_new(&r, 1, NULL, NULL));
	/* no rules: a valid, idle engine */
	struct alert_engine *e = alert_engine_new(NULL, 0, NULL, NULL);
	assert_non_null(e);
	alert_engine_eval(e, NULL, 0);
	alert_engine_free(e);
}

static void test_label_value(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(alert_label_value("a=\"x\",b=\"y\"", "b", buf, sizeof buf), "y");
	assert_string_equal(alert_label_value("a=\"x\\\"q\\\\\\n\",b=\"y\"", "a", buf, sizeof buf),
			    "x\"q\\\n");
	assert_string_equal(alert_label_value("a=\"\",b=\"y\"", "a", buf, sizeof buf), "");
	assert_null(alert_label_value("a=\"x\"", "ab", buf, sizeof buf));
	assert_string_equal(buf, "");
	assert_null(alert_label_value("", "a", buf, sizeof buf));
	/* malformed: no quote, unterminated, bad escape */
	assert_null(alert_label_value("a=x", "a", buf, sizeof buf));
	assert_null(alert_label_value("a=\"x", "a", buf, sizeof buf));
	assert_null(alert_label_value("a=\"\\t\"", "a", buf, sizeof buf));
	/* too long for the buffer: cut, terminated */
	assert_string_equal(alert_label_value("a=\"0123456789\"", "a", buf, 5), "0123");
}

static void count(const struct alert_rule *rr, const char *labels, enum alert_state st, double value,
	   double since, void *arg)
{
	(void)rr;
	(void)since;
	assert_true(strstr(labels, "circuit=\"a\"") != NULL);
	assert_int_equal(st, ALERT_FIRING);
	assert_true(value > 0.8);
	(*(size_t *)arg)++;
}

static void test_foreach_and_names(void **state)
{
	struct fx *f = *state;
	struct alert_rule r = util_rule;
	struct alert_engine *e;
	size_t n = 0;

	r.for_s = 0;
	e = alert_engine_new(&r, 1, NULL, NULL);
	metrics_gauge_set(series(f->gauge, "a", "primary", "egress"), 0.9);
	metrics_gauge_set(series(f->gauge, "b", "primary", "egress"), 0.1);
	eval(f, e, 0);
	alert_engine_foreach(e, count, &n);
	assert_int_equal(n, 1);
	assert_string_equal(alert_state_name(ALERT_FIRING), "firing");
	assert_string_equal(alert_severity_name(ALERT_CRITICAL), "critical");
	alert_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pending_firing_hysteresis, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_series_gone_resolves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_increase_with_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_negated_matcher_and_lt, setup, teardown),
		cmocka_unit_test(test_bad_rules),
		cmocka_unit_test(test_label_value),
		cmocka_unit_test_setup_teardown(test_foreach_and_names, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
