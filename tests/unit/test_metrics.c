/* test_metrics.c — unit tests for the metrics registry (collector/core/metrics.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const one_label[] = { "circuit" };
static const char *const two_labels[] = { "circuit", "link" };
static const double std_buckets[] = { 0.1, 1, 10 };

static struct metrics_family *fam_new(struct metrics_registry *reg, enum metrics_type type,
				      const char *name, size_t nlabels,
				      const char *const *labels)
{
	struct metrics_family_def def = { type, name, "help", NULL, nlabels, labels, 0, NULL };

	if (type == METRICS_HISTOGRAM) {
		def.nbuckets = ARRAY_LEN(std_buckets);
		def.buckets = std_buckets;
	}
	return metrics_family_new(reg, &def);
}

/* The snapshot family with this name, or NULL. */
static const struct metrics_snap_family *snap_find(const struct metrics_snapshot *snap,
						   const char *name)
{
	for (size_t i = 0; i < snap->nfamilies; i++)
		if (strcmp(snap->families[i].name, name) == 0)
			return &snap->families[i];
	return NULL;
}

/* ---- family validation ---- */

static const char *const dup_labels[] = { "a", "a" };
static const char *const le_label[] = { "le" };
static const char *const quantile_label[] = { "quantile" };
static const char *const reserved_label[] = { "__name__" };
static const char *const colon_label[] = { "a:b" };
static const char *const digit_label[] = { "1a" };
static const char *const dash_label[] = { "a-b" };
static const char *const empty_label[] = { "" };
static const char *const null_label[] = { NULL };
static const char *const many_labels[] = { "l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8",
					   "l9", "l10", "l11", "l12", "l13", "l14", "l15", "l16" };
static const double flat_buckets[] = { 1, 1 };
static const double down_buckets[] = { 2, 1 };
static const double nan_buckets[] = { 1, NAN };
static const double inf_buckets[] = { 1, INFINITY };
static double too_many_buckets[METRICS_MAX_BUCKETS + 1];

struct bad_def_case {
	const char *what;
	struct metrics_family_def def;
};

#define GAUGE(n) METRICS_GAUGE, (n), "h", NULL
#define COUNTER(n) METRICS_COUNTER, (n), "h", NULL
#define HIST(n) METRICS_HISTOGRAM, (n), "h", NULL

static const struct bad_def_case bad_defs[] = {
	{ "NULL name", { GAUGE(NULL), 0, NULL, 0, NULL } },
	{ "empty name", { GAUGE(""), 0, NULL, 0, NULL } },
	{ "leading digit", { GAUGE("1abc"), 0, NULL, 0, NULL } },
	{ "dash", { GAUGE("a-b"), 0, NULL, 0, NULL } },
	{ "space", { GAUGE("a b"), 0, NULL, 0, NULL } },
	{ "non-ASCII", { GAUGE("caf\xc3\xa9"), 0, NULL, 0, NULL } },
	{ "bad type", { (enum metrics_type)42, "x", "h", NULL, 0, NULL, 0, NULL } },
	{ "counter without _total", { COUNTER("rx_bytes"), 0, NULL, 0, NULL } },
	{ "counter only _total", { COUNTER("_total"), 0, NULL, 0, NULL } },
	{ "info without _info", { METRICS_INFO, "build", "h", NULL, 0, NULL, 0, NULL } },
	{ "info only _info", { METRICS_INFO, "_info", "h", NULL, 0, NULL, 0, NULL } },
	{ "gauge _total", { GAUGE("x_total"), 0, NULL, 0, NULL } },
	{ "gauge _bucket", { GAUGE("x_bucket"), 0, NULL, 0, NULL } },
	{ "gauge _count", { GAUGE("x_count"), 0, NULL, 0, NULL } },
	{ "gauge _sum", { GAUGE("x_sum"), 0, NULL, 0, NULL } },
	{ "gauge _created", { GAUGE("x_created"), 0, NULL, 0, NULL } },
	{ "gauge _info", { GAUGE("x_info"), 0, NULL, 0, NULL } },
	{ "histogram _count", { HIST("x_count"), 0, NULL, 3, std_buckets } },
	{ "histogram _total", { HIST("x_total"), 0, NULL, 3, std_buckets } },
	{ "label duplicate", { GAUGE("x"), 2, dup_labels, 0, NULL } },
	{ "label le", { GAUGE("x"), 1, le_label, 0, NULL } },
	{ "label quantile", { GAUGE("x"), 1, quantile_label, 0, NULL } },
	{ "label __ prefix", { GAUGE("x"), 1, reserved_label, 0, NULL } },
	{ "label colon", { GAUGE("x"), 1, colon_label, 0, NULL } },
	{ "label digit", { GAUGE("x"), 1, digit_label, 0, NULL } },
	{ "label dash", { GAUGE("x"), 1, dash_label, 0, NULL } },
	{ "label empty", { GAUGE("x"), 1, empty_label, 0, NULL } },
	{ "label NULL", { GAUGE("x"), 1, null_label, 0, NULL } },
	{ "label array NULL", { GAUGE("x"), 1, NULL, 0, NULL } },
	{ "17 labels", { GAUGE("x"), METRICS_MAX_LABELS + 1, many_labels, 0, NULL } },
	{ "histogram 0 buckets", { HIST("x"), 0, NULL, 0, std_buckets } },
	{ "histogram NULL buckets", { HIST("x"), 0, NULL, 3, NULL } },
	{ "histogram 65 buckets", { HIST("x"), 0, NULL, METRICS_MAX_BUCKETS + 1, too_many_buckets } },
	{ "bucket equal", { HIST("x"), 0, NULL, 2, flat_buckets } },
	{ "bucket decreasing", { HIST("x"), 0, NULL, 2, down_buckets } },
	{ "bucket NaN", { HIST("x"), 0, NULL, 2, nan_buckets } },
	{ "bucket +Inf", { HIST("x"), 0, NULL, 2, inf_buckets } },
	{ "gauge with buckets", { GAUGE("x"), 0, NULL, 3, std_buckets } },
	{ "unit missing from name", { METRICS_GAUGE, "rtt", "h", "seconds", 0, NULL, 0, NULL } },
	{ "unit not a suffix", { METRICS_GAUGE, "rtt_seconds_max", "h", "seconds", 0, NULL, 0, NULL } },
	{ "unit without _", { METRICS_GAUGE, "rttseconds", "h", "seconds", 0, NULL, 0, NULL } },
	{ "unit is the whole name", { METRICS_GAUGE, "seconds", "h", "seconds", 0, NULL, 0, NULL } },
	{ "counter unit after _total",
	  { METRICS_COUNTER, "rx_total_bytes", "h", "bytes", 0, NULL, 0, NULL } },
	{ "counter unit _total", { METRICS_COUNTER, "rx_total", "h", "total", 0, NULL, 0, NULL } },
	{ "unit bad chars", { METRICS_GAUGE, "rx_bytes", "h", "by-tes", 0, NULL, 0, NULL } },
	{ "info with unit", { METRICS_INFO, "build_bytes_info", "h", "bytes", 0, NULL, 0, NULL } },
	{ "help not UTF-8", { METRICS_GAUGE, "x", "bad \xff help", NULL, 0, NULL, 0, NULL } },
};

static void test_family_rejects_bad_defs(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();

	(void)state;
	assert_non_null(reg);
	for (size_t i = 0; i < ARRAY_LEN(too_many_buckets); i++)
		too_many_buckets[i] = (double)i;
	for (size_t i = 0; i < ARRAY_LEN(bad_defs); i++) {
		struct metrics_family *fam = metrics_family_new(reg, &bad_defs[i].def);
		if (fam)
			fail_msg("accepted bad def: %s", bad_defs[i].what);
	}
	assert_null(metrics_family_new(reg, NULL));
	assert_null(metrics_family_new(NULL, &bad_defs[0].def));
	metrics_registry_free(reg);
}

static const double max_buckets[METRICS_MAX_BUCKETS] = {
	1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
	23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
	44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64,
};

static const struct metrics_family_def good_defs[] = {
	{ METRICS_GAUGE, "job:up:ratio", "recording-rule style name", NULL, 0, NULL, 0, NULL },
	{ METRICS_GAUGE, "_underscore", NULL, NULL, 0, NULL, 0, NULL },
	{ METRICS_COUNTER, "rx_bytes_total", "h", "bytes", 1, one_label, 0, NULL },
	{ METRICS_GAUGE, "temp_celsius", "h", "celsius", 0, NULL, 0, NULL },
	{ METRICS_GAUGE, "empty_unit", "h", "", 0, NULL, 0, NULL },
	{ METRICS_HISTOGRAM, "rtt_seconds", "h", "seconds", 2, two_labels, 3, std_buckets },
	{ METRICS_HISTOGRAM, "wide", "h", NULL, 0, NULL, METRICS_MAX_BUCKETS, max_buckets },
	{ METRICS_INFO, "build_info", "caf\xc3\xa9 \xe2\x9c\x93", NULL, 1, one_label, 0, NULL },
	{ METRICS_GAUGE, "sixteen", "h", NULL, METRICS_MAX_LABELS, many_labels, 0, NULL },
};

static void test_family_accepts_good_defs(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_snapshot *snap;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(good_defs); i++)
		if (!metrics_family_new(reg, &good_defs[i]))
			fail_msg("rejected good def %s", good_defs[i].name);
	snap = metrics_snapshot_take(reg);
	assert_non_null(snap);
	assert_int_equal(snap->nfamilies, ARRAY_LEN(good_defs));
	assert_string_equal(snap_find(snap, "_underscore")->help, "");
	assert_null(snap_find(snap, "empty_unit")->unit);
	assert_string_equal(snap_find(snap, "rtt_seconds")->unit, "seconds");
	assert_int_equal(snap_find(snap, "wide")->nbuckets, METRICS_MAX_BUCKETS);
	metrics_snapshot_free(reg, snap);
	metrics_registry_free(reg);
}

/* Same name, or the same OpenMetrics metadata name (a_total, a_info, a). */
static void test_family_duplicates(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_family_def g = { METRICS_GAUGE, "a", "h", NULL, 0, NULL, 0, NULL };
	struct metrics_family_def c = { METRICS_COUNTER, "a_total", "h", NULL, 0, NULL, 0, NULL };
	struct metrics_family_def i = { METRICS_INFO, "a_info", "h", NULL, 0, NULL, 0, NULL };
	struct metrics_family_def h = { METRICS_HISTOGRAM, "a", "h", NULL, 0, NULL, 3, std_buckets };
	struct metrics_family *fam;

	(void)state;
	fam = metrics_family_new(reg, &g);
	assert_non_null(fam);
	assert_null(metrics_family_new(reg, &g));
	assert_null(metrics_family_new(reg, &c));
	assert_null(metrics_family_new(reg, &i));
	assert_null(metrics_family_new(reg, &h));
	/* Removing the family frees its name. */
	metrics_family_remove(reg, fam);
	fam = metrics_family_new(reg, &c);
	assert_non_null(fam);
	assert_null(metrics_family_new(reg, &c));
	assert_null(metrics_family_new(reg, &g));
	metrics_registry_free(reg);
}

/* ---- series ---- */

static void test_series_identity(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_family *fam = fam_new(reg, METRICS_GAUGE, "up", 2, two_labels);
	struct metrics_family *plain = fam_new(reg, METRICS_GAUGE, "plain", 0, NULL);
	const char *v1[] = { "er-ams-0001", "primary" };
	const char *v1_copy[] = { "er-ams-0001", "primary" };
	const char *v2[] = { "er-ams-0001", "secondary" };
	const char *swapped[] = { "primary", "er-ams-0001" };
	struct metrics_series *a, *b;

	(void)state;
	a = metrics_series_get(fam, v1);
	assert_non_null(a);
	assert_ptr_equal(metrics_series_get(fam, v1_copy), a);
	b = metrics_series_get(fam, v2);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_ptr_not_equal(metrics_series_get(fam, swapped), a);
	a = metrics_series_get(plain, NULL);
	assert_non_null(a);
	assert_ptr_equal(metrics_series_get(plain, NULL), a);
	assert_null(metrics_series_get(NULL, v1));
	assert_null(metrics_series_get(fam, NULL));
	metrics_registry_free(reg);
}

struct escape_case {
	const char *value;
	const char *rendered;
};

static const struct escape_case escape_cases[] = {
	{ "plain", "circuit=\"plain\"" },
	{ "", "circuit=\"\"" },
	{ "back\\slash", "circuit=\"back\\\\slash\"" },
	{ "say \"hi\"", "circuit=\"say \\\"hi\\\"\"" },
	{ "two\nlines", "circuit=\"two\\nlines\"" },
	{ "\\\"\n", "circuit=\"\\\\\\\"\\n\"" },
	{ "Z\xc3\xbcrich \xe2\x9c\x93 \xf0\x9f\x93\x88",
	  "circuit=\"Z\xc3\xbcrich \xe2\x9c\x93 \xf0\x9f\x93\x88\"" },
	{ "tab\tcr\r", "circuit=\"tab\tcr\r\"" },
};

static void test_label_escaping(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_family *fam = fam_new(reg, METRICS_GAUGE, "g", 1, one_label);
	struct metrics_family *two = fam_new(reg, METRICS_GAUGE, "two", 2, two_labels);
	const char *pair[] = { "a\"b", "c\\d" };
	struct metrics_snapshot *snap;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(escape_cases); i++) {
		struct metrics_series *s = metrics_series_get(fam, &escape_cases[i].value);
		assert_non_null(s);
		snap = metrics_snapshot_take(reg);
		assert_non_null(snap);
		assert_int_equal(snap_find(snap, "g")->nseries, 1);
		assert_string_equal(snap_find(snap, "g")->series[0].labels, escape_cases[i].rendered);
		metrics_snapshot_free(reg, snap);
		metrics_series_remove(fam, s); /* one series at a time */
	}
	assert_non_null(metrics_series_get(two, pair));
	snap = metrics_snapshot_take(reg);
	assert_string_equal(snap_find(snap, "two")->series[0].labels,
			    "circuit=\"a\\\"b\",link=\"c\\\\d\"");
	metrics_snapshot_free(reg, snap);
	metrics_registry_free(reg);
}

static const char *const bad_values[] = {
	"\xff",                 /* never valid */
	"\xc0\x80",             /* overlong NUL */
	"\xe0\x80\xaf",         /* overlong '/' */
	"\xed\xa0\x80",         /* UTF-16 surrogate */
	"\xf4\x90\x80\x80",     /* past U+10FFFF */
	"\xe2\x82",             /* truncated */
	"ok\x80",               /* stray continuation */
};

static void test_label_value_limits(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_family *fam = fam_new(reg, METRICS_GAUGE, "g", 1, one_label);
	char *big = malloc(METRICS_MAX_LABEL_VALUE + 2);
	const char *v[1] = { big };

	(void)state;
	memset(big, '"', METRICS_MAX_LABEL_VALUE);
	big[METRICS_MAX_LABEL_VALUE] = '\0';
	assert_non_null(metrics_series_get(fam, v)); /* exactly at the cap, escapes double it */
	big[METRICS_MAX_LABEL_VALUE] = 'x';
	big[METRICS_MAX_LABEL_VALUE + 1] = '\0';
	assert_null(metrics_series_get(fam, v));
	for (size_t i = 0; i < ARRAY_LEN(bad_values); i++)
		if (metrics_series_get(fam, &bad_values[i]))
			fail_msg("accepted invalid UTF-8 case %zu", i);
	v[0] = NULL;
	assert_null(metrics_series_get(fam, v));
	free(big);
	metrics_registry_free(reg);
}

/* Creation past METRICS_MAX_SERIES_PER_FAMILY fails; lookups still work. */
static void test_series_cap(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_family *fam = fam_new(reg, METRICS_GAUGE, "g", 1, one_label);
	struct metrics_series *first = NULL, *s;
	char val[32];
	const char *v[1] = { val };

	(void)state;
	for (unsigned i = 0; i < METRICS_MAX_SERIES_PER_FAMILY; i++) {
		snprintf(val, sizeof val, "c%u", i);
		s = metrics_series_get(fam, v);
		if (!s)
			fail_msg("series %u refused below the cap", i);
		if (i == 0)
			first = s;
	}
	snprintf(val, sizeof val, "one-too-many");
	assert_null(metrics_series_get(fam, v));
	assert_int_equal(metrics_registry_refusals(reg).family_cap, 1);
	assert_int_equal(metrics_registry_refusals(reg).budget, 0);
	snprintf(val, sizeof val, "c0");
	assert_ptr_equal(metrics_series_get(fam, v), first);
	metrics_series_remove(fam, first);
	snprintf(val, sizeof val, "one-too-many");
	assert_non_null(metrics_series_get(fam, v));
	metrics_registry_free(reg);
}

/* The series budget spans families: past it new series are refused and
 * counted, existing ones still resolve and are never dropped; room comes
 * back when series go; lowering it below the live count drops nothing. */
static void test_series_budget(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_family *a = fam_new(reg, METRICS_GAUGE, "a", 1, one_label);
	struct metrics_family *b = fam_new(reg, METRICS_COUNTER, "b_total", 1, one_label);
	const char *x[] = {"x"}, *y[] = {"y"}, *z[] = {"z"};
	struct metrics_series *ax, *ay, *bx;

	(void)state;
	metrics_registry_set_max_series(reg, 3);
	ax = metrics_series_get(a, x);
	ay = metrics_series_get(a, y);
	bx = metrics_series_get(b, x);
	assert_non_null(ax);
	assert_non_null(ay);
	assert_non_null(bx);
	assert_int_equal(metrics_registry_series(reg), 3);
	assert_null(metrics_series_get(b, y)); /* another family: the same budget */
	assert_null(metrics_series_get(a, z));
	assert_int_equal(metrics_registry_refusals(reg).budget, 2);
	assert_int_equal(metrics_registry_refusals(reg).family_cap, 0);
	assert_ptr_equal(metrics_series_get(a, x), ax); /* existing: still there */
	assert_int_equal(metrics_registry_refusals(reg).budget, 2);
	metrics_series_remove(a, ay);
	assert_non_null(metrics_series_get(b, y));
	metrics_registry_set_max_series(reg, 1); /* lowered: nothing dropped */
	assert_int_equal(metrics_registry_series(reg), 3);
	assert_ptr_equal(metrics_series_get(b, x), bx);
	assert_null(metrics_series_get(a, z));
	metrics_registry_set_max_series(reg, 0); /* no budget */
	assert_non_null(metrics_series_get(a, z));
	assert_int_equal(metrics_registry_refusals(reg).budget, 3);
	metrics_registry_free(reg);
}

/* ---- values ---- */

static void test_counter_values(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_family *fam = fam_new(reg, METRICS_COUNTER, "c_total", 0, NULL);
	struct metrics_series *s = metrics_series_get(fam, NULL);

	(void)state;
	assert_true(metrics_series_value(s) == 0.0);
	metrics_counter_add(s, 1.5);
	metrics_counter_add(s, 2);
	assert_true(metrics_series_value(s) == 3.5);
	metrics_counter_add(s, -1);
	metrics_counter_add(s, NAN);
	assert_true(metrics_series_value(s) == 3.5);
	metrics_counter_set(s, 1e12);
	assert_true(metrics_series_value(s) == 1e12);
	metrics_counter_set(s, 7); /* a reset mirrored from the kernel */
	assert_true(metrics_series_value(s) == 7);
	metrics_counter_set(s, -1);
	metrics_counter_set(s, NAN);
	assert_true(metrics_series_value(s) == 7);
	metrics_gauge_set(s, 100); /* wrong type: ignored */
	metrics_histogram_observe(s, 1);
	assert_true(metrics_series_value(s) == 7);
	metrics_counter_add(NULL, 1);
	assert_true(metrics_series_value(NULL) == 0.0);
	metrics_registry_free(reg);
}

static void test_gauge_info_values(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_family *g = fam_new(reg, METRICS_GAUGE, "g", 0, NULL);
	struct metrics_family *i = fam_new(reg, METRICS_INFO, "b_info", 1, one_label);
	const char *v[] = { "x" };
	struct metrics_series *gs = metrics_series_get(g, NULL);
	struct metrics_series *is = metrics_series_get(i, v);
	struct metrics_snapshot *snap;

	(void)state;
	metrics_gauge_set(gs, -2.5);
	assert_true(metrics_series_value(gs) == -2.5);
	metrics_gauge_add(gs, 10);
	metrics_gauge_add(gs, -0.5);
	assert_true(metrics_series_value(gs) == 7);
	metrics_gauge_set(gs, INFINITY);
	assert_true(isinf(metrics_series_value(gs)));
	metrics_counter_add(gs, 1); /* wrong type: ignored */
	assert_true(isinf(metrics_series_value(gs)));
	assert_true(metrics_series_value(is) == 1);
	metrics_gauge_set(is, 5); /* info stays 1 */
	snap = metrics_snapshot_take(reg);
	assert_true(snap_find(snap, "b_info")->series[0].value == 1);
	metrics_snapshot_free(reg, snap);
	metrics_registry_free(reg);
}

static void test_histogram_values(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_family *fam = fam_new(reg, METRICS_HISTOGRAM, "h", 0, NULL);
	struct metrics_series *s = metrics_series_get(fam, NULL);
	static const double obs[] = { 0.05, 0.1, 0.5, 1, 5, 10, 100, -3 };
	const struct metrics_snap_family *f;
	struct metrics_snapshot *snap;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(obs); i++)
		metrics_histogram_observe(s, obs[i]);
	metrics_histogram_observe(s, NAN); /* ignored */
	snap = metrics_snapshot_take(reg);
	f = snap_find(snap, "h");
	assert_int_equal(f->nbuckets, 3);
	assert_true(f->bounds[0] == 0.1 && f->bounds[1] == 1 && f->bounds[2] == 10);
	/* le is inclusive: 0.1 lands in le="0.1", 10 in le="10". */
	assert_int_equal(f->series[0].buckets[0], 3);
	assert_int_equal(f->series[0].buckets[1], 5);
	assert_int_equal(f->series[0].buckets[2], 7);
	assert_int_equal(f->series[0].count, 8);
	assert_true(f->series[0].sum == 0.05 + 0.1 + 0.5 + 1 + 5 + 10 + 100 - 3);
	metrics_snapshot_free(reg, snap);
	metrics_registry_free(reg);
}

/* ---- snapshots and removal ---- */

static void test_snapshot_sorted(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	static const char *const names[] = { "zeta", "alpha", "mid", "beta" };
	static const char *const values[] = { "er-ams-9", "er-ams-10", "er-ams-1", "a", "b\\" };
	static const char *const want[] = { "circuit=\"a\"", "circuit=\"b\\\\\"",
					    "circuit=\"er-ams-1\"", "circuit=\"er-ams-10\"",
					    "circuit=\"er-ams-9\"" };
	struct metrics_family *fam = NULL;
	struct metrics_snapshot *snap;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		fam = fam_new(reg, METRICS_GAUGE, names[i], 1, one_label);
		for (size_t j = 0; j < ARRAY_LEN(values); j++)
			assert_non_null(metrics_series_get(fam, &values[j]));
	}
	snap = metrics_snapshot_take(reg);
	assert_int_equal(snap->nfamilies, 4);
	assert_string_equal(snap->families[0].name, "alpha");
	assert_string_equal(snap->families[1].name, "beta");
	assert_string_equal(snap->families[2].name, "mid");
	assert_string_equal(snap->families[3].name, "zeta");
	for (size_t i = 0; i < snap->nfamilies; i++) {
		assert_int_equal(snap->families[i].nseries, ARRAY_LEN(want));
		for (size_t j = 0; j < ARRAY_LEN(want); j++)
			assert_string_equal(snap->families[i].series[j].labels, want[j]);
	}
	metrics_snapshot_free(reg, snap);
	metrics_registry_free(reg);
}

/* Label value generators for the sort test: short random strings with
 * escapes and UTF-8, a long shared prefix, and many equal leading bytes
 * (runs longer than the insertion-sort cutoff). */
static void sort_value(char *dst, size_t cap, unsigned kind, unsigned i, uint64_t *rng)
{
	static const char *const alphabet[] = { "a", "b", "z", "\"", "\\", "\n", "\xc3\xa9", "0" };
	size_t len = 0;

	*rng ^= *rng << 13;
	*rng ^= *rng >> 7;
	*rng ^= *rng << 17;
	switch (kind) {
	case 0:
		dst[0] = '\0';
		for (unsigned n = (unsigned)(*rng % 12), k = 0; k < n; k++) {
			const char *piece = alphabet[(*rng >> (3 * k)) % 8];
			if (len + strlen(piece) + 1 > cap)
				break;
			strcpy(dst + len, piece);
			len += strlen(piece);
		}
		break;
	case 1:
		snprintf(dst, cap, "er-ams-%u-%u", (unsigned)(*rng % 100000), i);
		break;
	default: /* after the first byte, 10 equal bytes: long tie runs */
		snprintf(dst, cap, "%cqqqqqqqqqq%u", (char)('a' + *rng % 2), (unsigned)(*rng % 5000));
		break;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

#define SORT_VALUES 3000

static void test_snapshot_sort_random(void **state)
{
	uint64_t rng = 0x853c49e6748fea9bULL;
	char(*vals)[64] = calloc(SORT_VALUES, sizeof *vals);

	(void)state;
	for (unsigned kind = 0; kind < 3; kind++) {
		struct metrics_registry *reg = metrics_registry_new();
		struct metrics_family *fam = fam_new(reg, METRICS_GAUGE, "g", 1, one_label);
		size_t distinct = 0;
		struct metrics_snapshot *snap;
		const struct metrics_snap_family *f;

		for (unsigned i = 0; i < SORT_VALUES; i++) {
			const char *v[1] = { vals[i] };
			sort_value(vals[i], sizeof vals[i], kind, i, &rng);
			assert_non_null(metrics_series_get(fam, v));
		}
		/* Escaping is one-to-one: distinct raw values, distinct series. */
		qsort(vals, SORT_VALUES, sizeof *vals, cmp_str);
		for (size_t i = 0; i < SORT_VALUES; i++)
			distinct += i == 0 || strcmp(vals[i - 1], vals[i]) != 0;
		snap = metrics_snapshot_take(reg);
		f = &snap->families[0];
		assert_int_equal(f->nseries, distinct);
		for (size_t i = 1; i < f->nseries; i++)
			if (strcmp(f->series[i - 1].labels, f->series[i].labels) >= 0)
				fail_msg("kind %u: %s before %s", kind, f->series[i - 1].labels,
					 f->series[i].labels);
		metrics_snapshot_free(reg, snap);
		metrics_registry_free(reg);
	}
	free(vals);
}

/* A family's sorted order is remembered by one snapshot and used by the
 * next; a series added or removed in between is not missed, and values
 * are the current ones. The stamp moves with any change, quiet or not. */
static void assert_sorted_values(struct metrics_registry *reg, size_t n, double add)
{
	struct metrics_snapshot *snap = metrics_snapshot_take(reg);
	const struct metrics_snap_family *f = &snap->families[0];

	assert_int_equal(f->nseries, n);
	for (size_t i = 0; i < f->nseries; i++) {
		unsigned k = 0;

		assert_int_equal(sscanf(f->series[i].labels, "circuit=\"c%u\"", &k), 1);
		assert_true(f->series[i].value == (double)k + add);
		if (i > 0)
			assert_true(strcmp(f->series[i - 1].labels, f->series[i].labels) < 0);
	}
	metrics_snapshot_free(reg, snap);
}

static void test_snapshot_order_remembered(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_family *fam = fam_new(reg, METRICS_GAUGE, "g", 1, one_label);
	struct metrics_series *s[100];
	struct metrics_snapshot *snap;
	uint64_t stamp;
	char v[16];
	const char *vals[1] = { v };

	(void)state;
	for (unsigned i = 0; i < 100; i++) { /* c99, c98, ...: not label order */
		snprintf(v, sizeof v, "c%u", 99 - i);
		s[99 - i] = metrics_series_get(fam, vals);
		metrics_gauge_set(s[99 - i], 99 - i);
	}
	assert_sorted_values(reg, 100, 0); /* sorts, remembers */
	for (unsigned i = 0; i < 100; i++)
		metrics_gauge_set(s[i], i + 1);
	assert_sorted_values(reg, 100, 1); /* in the remembered order */
	metrics_series_remove(fam, s[50]);
	snprintf(v, sizeof v, "c%u", 150u);
	metrics_gauge_set(metrics_series_get(fam, vals), 151);
	assert_sorted_values(reg, 100, 1); /* the set changed: sorted again */
	assert_sorted_values(reg, 100, 1);

	snap = metrics_snapshot_take(reg);
	stamp = snap->families[0].stamp;
	metrics_snapshot_free(reg, snap);
	metrics_series_set_quiet(s[1], true);
	metrics_gauge_set(s[1], 2); /* the value it has: no change */
	snap = metrics_snapshot_take(reg);
	assert_true(snap->families[0].stamp == stamp);
	metrics_snapshot_free(reg, snap);
	metrics_gauge_set(s[1], 7); /* quiet, but a change of the content */
	snap = metrics_snapshot_take(reg);
	assert_true(snap->families[0].stamp != stamp);
	metrics_snapshot_free(reg, snap);
	metrics_registry_free(reg);
}

/* A snapshot's strings outlive removal of their series and family; ASan
 * would flag a read of freed memory here. */
static void test_remove_while_snapshot(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_family *fam = fam_new(reg, METRICS_HISTOGRAM, "lat_seconds", 1, one_label);
	struct metrics_family *other = fam_new(reg, METRICS_GAUGE, "other", 1, one_label);
	const char *v1[] = { "gone" }, *v2[] = { "stays" };
	struct metrics_series *s1 = metrics_series_get(fam, v1);
	struct metrics_series *s2 = metrics_series_get(fam, v2);
	struct metrics_snapshot *a, *b, *c;

	(void)state;
	assert_non_null(metrics_series_get(other, v1));
	metrics_histogram_observe(s1, 0.5);
	metrics_histogram_observe(s2, 5);
	a = metrics_snapshot_take(reg);
	b = metrics_snapshot_take(reg);
	metrics_series_remove(fam, s1);
	metrics_family_remove(reg, other);

	c = metrics_snapshot_take(reg);
	assert_int_equal(c->nfamilies, 1);
	assert_int_equal(c->families[0].nseries, 1);
	assert_string_equal(c->families[0].series[0].labels, "circuit=\"stays\"");

	metrics_snapshot_free(reg, a);
	/* Still outstanding: b and c. b must still read everything. */
	assert_int_equal(b->nfamilies, 2);
	assert_string_equal(b->families[0].name, "lat_seconds");
	assert_string_equal(b->families[0].series[0].labels, "circuit=\"gone\"");
	assert_int_equal(b->families[0].series[0].buckets[1], 1);
	assert_true(b->families[0].bounds[2] == 10);
	assert_string_equal(b->families[1].name, "other");
	assert_string_equal(b->families[1].help, "help");
	assert_string_equal(b->families[1].series[0].labels, "circuit=\"gone\"");
	metrics_snapshot_free(reg, b);
	metrics_snapshot_free(reg, c);

	/* No snapshot out: removal frees at once, the registry stays usable. */
	metrics_series_remove(fam, s2);
	a = metrics_snapshot_take(reg);
	assert_int_equal(a->families[0].nseries, 0);
	metrics_snapshot_free(reg, a);
	metrics_snapshot_free(reg, NULL);
	metrics_series_remove(fam, NULL);
	metrics_family_remove(reg, fam);
	metrics_registry_free(reg);
}

/* registry_free releases what was deferred behind a snapshot (LSan). */
static void test_registry_free_with_deferred(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_family *fam = fam_new(reg, METRICS_GAUGE, "g", 1, one_label);
	const char *v[] = { "x" };
	struct metrics_series *s = metrics_series_get(fam, v);
	struct metrics_snapshot *snap = metrics_snapshot_take(reg);

	(void)state;
	metrics_series_remove(fam, s);
	metrics_family_remove(reg, fam);
	metrics_snapshot_free(NULL, snap); /* the caller's snapshot memory */
	metrics_registry_free(reg);
	metrics_registry_free(NULL);
}

/* ---- concurrency ---- */

#define WRITER_ITERATIONS 200000
#define READER_MAX_SNAPSHOTS 100000 /* bound; normally the writer ends first */

static const double conc_bounds[] = { 1, 2, 4 };
/* Observation i % 4 lands in bucket i % 4 (the last one in +Inf), and
 * sum is a function of the per-bucket counts, so a torn copy shows. */
static const double conc_obs[] = { 1, 2, 4, 8 };

struct writer_ctx {
	struct metrics_family *hist_fam, *churn_fam;
	struct metrics_series *hist, *counter;
};

static void *writer_main(void *arg)
{
	struct writer_ctx *w = arg;
	char val[32];
	const char *v[1] = { val };

	for (unsigned i = 0; i < WRITER_ITERATIONS; i++) {
		metrics_histogram_observe(w->hist, conc_obs[i % 4]);
		metrics_counter_add(w->counter, 1);
		if (i % 64 == 0) { /* churn series so removal races snapshots */
			snprintf(val, sizeof val, "c%u", i);
			struct metrics_series *s = metrics_series_get(w->churn_fam, v);
			if (s)
				metrics_gauge_set(s, i);
			if (s && i % 128 == 0)
				metrics_series_remove(w->churn_fam, s);
		}
	}
	return NULL;
}

/* Returns true when the histogram copy is self-consistent. */
static bool hist_consistent(const struct metrics_snap_family *f,
			    const struct metrics_snap_series *s)
{
	uint64_t prev = 0, per[4];
	double sum = 0;

	for (size_t i = 0; i < f->nbuckets; i++) {
		if (s->buckets[i] < prev)
			return false;
		per[i] = s->buckets[i] - prev;
		prev = s->buckets[i];
	}
	if (s->count < prev)
		return false;
	per[3] = s->count - prev;
	for (size_t i = 0; i < 4; i++)
		sum += conc_obs[i] * (double)per[i];
	return sum == s->sum;
}

/* One reader pass: true when the snapshot is consistent and the counter
 * did not go backwards. No cmocka asserts here: a failure must not
 * longjmp away while the writer thread still uses the registry. */
static bool reader_check(struct metrics_registry *reg, double *last_counter)
{
	struct metrics_snapshot *snap = metrics_snapshot_take(reg);
	const struct metrics_snap_family *h, *c, *churn;
	bool ok;

	if (!snap)
		return false;
	h = snap_find(snap, "h");
	c = snap_find(snap, "c_total");
	churn = snap_find(snap, "churn");
	ok = h && c && churn && hist_consistent(h, &h->series[0]) &&
	     c->series[0].value >= *last_counter;
	if (ok)
		*last_counter = c->series[0].value;
	for (size_t i = 0; ok && i < churn->nseries; i++) /* reads every label string */
		ok = strncmp(churn->series[i].labels, "circuit=\"c", 10) == 0;
	metrics_snapshot_free(reg, snap);
	return ok;
}

static void test_concurrent_snapshots(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_family_def hd = { METRICS_HISTOGRAM, "h", "h", NULL, 0, NULL, 3, conc_bounds };
	struct writer_ctx w = { 0 };
	double last_counter = 0;
	bool ok = true;
	pthread_t th;

	(void)state;
	w.hist_fam = metrics_family_new(reg, &hd);
	w.churn_fam = fam_new(reg, METRICS_GAUGE, "churn", 1, one_label);
	w.hist = metrics_series_get(w.hist_fam, NULL);
	w.counter = metrics_series_get(fam_new(reg, METRICS_COUNTER, "c_total", 0, NULL), NULL);
	assert_non_null(w.hist);
	assert_non_null(w.counter);
	assert_int_equal(pthread_create(&th, NULL, writer_main, &w), 0);
	/* Snapshot for the writer's whole life, so reads overlap every phase. */
	for (int n = 0; ok && n < READER_MAX_SNAPSHOTS && last_counter < WRITER_ITERATIONS; n++)
		ok = reader_check(reg, &last_counter);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(ok);
	assert_true(metrics_series_value(w.counter) == WRITER_ITERATIONS);
	metrics_registry_free(reg);
}


/* Number of series a snapshot shows in its first family. */
static size_t first_family_series(struct metrics_registry *reg)
{
	struct metrics_snapshot *snap = metrics_snapshot_take(reg);
	size_t n;

	assert_non_null(snap);
	assert_int_equal(snap->nfamilies, 1);
	n = snap->families[0].nseries;
	metrics_snapshot_free(reg, snap);
	return n;
}

/* The generation moves on every real change and on nothing else; quiet
 * series never move it. */
static void test_generation(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	const char *const lbl[] = {"x"};
	struct metrics_family *c, *g, *h;
	struct metrics_series *cs, *gs, *hs, *q;
	uint64_t g0;

	(void)state;
	assert_non_null(reg);
	c = fam_new(reg, METRICS_COUNTER, "gen_c_total", 1, lbl);
	g = fam_new(reg, METRICS_GAUGE, "gen_g", 0, NULL);
	h = fam_new(reg, METRICS_HISTOGRAM, "gen_h", 0, NULL);
	assert_non_null(c);
	assert_non_null(g);
	assert_non_null(h);
	g0 = metrics_registry_generation(reg);
	cs = metrics_series_get(c, (const char *const[]){"a"});
	assert_true(metrics_registry_generation(reg) > g0); /* a new series */
	gs = metrics_series_get(g, NULL);
	hs = metrics_series_get(h, NULL);
	q = metrics_series_get(c, (const char *const[]){"quiet"});
	metrics_series_set_quiet(q, true);
	g0 = metrics_registry_generation(reg);
	metrics_counter_add(cs, 0);
	metrics_gauge_set(gs, 0);
	metrics_gauge_add(gs, 0);
	metrics_counter_add(q, 5);
	metrics_counter_set(cs, 0);
	assert_int_equal(metrics_registry_generation(reg), g0); /* no change */
	metrics_counter_add(cs, 1);
	assert_int_equal(metrics_registry_generation(reg), g0 + 1);
	metrics_gauge_set(gs, 2.5);
	metrics_gauge_set(gs, 2.5);
	assert_int_equal(metrics_registry_generation(reg), g0 + 2);
	metrics_gauge_set(gs, NAN);
	metrics_gauge_set(gs, NAN);
	assert_int_equal(metrics_registry_generation(reg), g0 + 3);
	metrics_histogram_observe(hs, 0.1);
	assert_int_equal(metrics_registry_generation(reg), g0 + 4);
	metrics_series_remove(c, cs);
	assert_int_equal(metrics_registry_generation(reg), g0 + 5);
	metrics_family_remove(reg, g);
	assert_int_equal(metrics_registry_generation(reg), g0 + 6);
	metrics_registry_free(reg);
}

static void test_group_sweep(void **state)
{
	static const char *const names[] = {"peer"};
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_family *f = fam_new(reg, METRICS_GAUGE, "g_peers", 1, names);
	struct metrics_group *g = metrics_group_new();
	const char *a[] = {"a"}, *b[] = {"b"}, *c[] = {"c"};
	struct metrics_series *sa, *sa2;
	(void)state;

	assert_non_null(g);
	sa = metrics_group_series(g, f, a);
	assert_non_null(metrics_group_series(g, f, b));
	sa2 = metrics_group_series(g, f, a); /* twice in one round */
	assert_ptr_equal(sa, sa2);
	assert_int_equal(metrics_group_sweep(g), 0);
	assert_int_equal(first_family_series(reg), 2);
	/* next round: a stays, b goes, c comes */
	assert_ptr_equal(metrics_group_series(g, f, a), sa);
	assert_non_null(metrics_group_series(g, f, c));
	assert_int_equal(metrics_group_sweep(g), 1);
	assert_int_equal(first_family_series(reg), 2);
	/* an empty round removes everything, each series once */
	assert_int_equal(metrics_group_sweep(g), 2);
	assert_int_equal(first_family_series(reg), 0);
	assert_int_equal(metrics_group_sweep(g), 0);
	metrics_group_free(g);
	metrics_group_free(NULL);
	metrics_registry_free(reg);
}

/* The group finds its members again from the values as passed: escaped
 * values, values that would render alike if split differently, a value
 * that is refused, many members (the index grows, then shrinks). */
static void test_group_lookup(void **state)
{
	static const char *const names[] = {"a", "b"};
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_family *f = fam_new(reg, METRICS_GAUGE, "g_pairs", 2, names);
	struct metrics_group *g = metrics_group_new();
	char x[8], y[8];
	const char *e[] = {"q\"t", "l\nb\\"}, *split1[] = {"ab", "c"}, *split2[] = {"a", "bc"};
	const char *bad[] = {"ok", NULL}, *dyn[] = {x, y};
	struct metrics_series *se, *s1, *s2;
	(void)state;

	se = metrics_group_series(g, f, e);
	s1 = metrics_group_series(g, f, split1);
	s2 = metrics_group_series(g, f, split2);
	assert_non_null(se);
	assert_non_null(s1);
	assert_non_null(s2);
	assert_ptr_not_equal(s1, s2);
	assert_null(metrics_group_series(g, f, bad));
	for (int i = 0; i < 3000; i++) {
		snprintf(x, sizeof(x), "%d", i);
		snprintf(y, sizeof(y), "%d", i % 7);
		assert_non_null(metrics_group_series(g, f, dyn));
	}
	assert_int_equal(metrics_group_sweep(g), 0);
	assert_int_equal(first_family_series(reg), 3003);
	/* the same values from other buffers are the same series */
	{
		char q[] = "q\"t", l[] = "l\nb\\";
		const char *e2[] = {q, l};

		assert_ptr_equal(metrics_group_series(g, f, e2), se);
	}
	assert_ptr_equal(metrics_group_series(g, f, split2), s2);
	metrics_gauge_set(s2, 4);
	assert_int_equal(metrics_group_sweep(g), 3001);
	assert_int_equal(first_family_series(reg), 2);
	assert_ptr_equal(metrics_group_series(g, f, split2), s2);
	assert_true(metrics_series_value(s2) == 4);
	assert_int_equal(metrics_group_sweep(g), 1);
	metrics_group_free(g);
	metrics_registry_free(reg);
}

/* Rounds in the same order (the group's cursor), in reverse (its index)
 * and with gaps find the same series. */
static void test_group_order(void **state)
{
	static const char *const names[] = {"n"};
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_family *f = fam_new(reg, METRICS_COUNTER, "g_order_total", 1, names);
	struct metrics_group *g = metrics_group_new();
	struct metrics_series *first[100];
	char v[12];
	const char *l[] = {v};
	(void)state;

	for (int round = 0; round < 4; round++) {
		for (int k = 0; k < 100; k++) {
			int i = round == 2 ? 99 - k : k;

			if (round == 3 && i % 2)
				continue;
			snprintf(v, sizeof(v), "%d", i);
			if (round == 0)
				first[i] = metrics_group_series(g, f, l);
			else
				assert_ptr_equal(metrics_group_series(g, f, l), first[i]);
		}
		assert_int_equal(metrics_group_sweep(g), round == 3 ? 50 : 0);
	}
	assert_int_equal(first_family_series(reg), 50);
	metrics_group_free(g);
	metrics_registry_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family_rejects_bad_defs),
		cmocka_unit_test(test_family_accepts_good_defs),
		cmocka_unit_test(test_family_duplicates),
		cmocka_unit_test(test_series_identity),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_label_value_limits),
		cmocka_unit_test(test_series_cap),
		cmocka_unit_test(test_series_budget),
		cmocka_unit_test(test_counter_values),
		cmocka_unit_test(test_gauge_info_values),
		cmocka_unit_test(test_histogram_values),
		cmocka_unit_test(test_snapshot_sorted),
		cmocka_unit_test(test_snapshot_sort_random),
		cmocka_unit_test(test_snapshot_order_remembered),
		cmocka_unit_test(test_remove_while_snapshot),
		cmocka_unit_test(test_registry_free_with_deferred),
		cmocka_unit_test(test_concurrent_snapshots),
		cmocka_unit_test(test_group_sweep),
		cmocka_unit_test(test_group_lookup),
		cmocka_unit_test(test_group_order),
		cmocka_unit_test(test_generation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
