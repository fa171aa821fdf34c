/* test_ifstats_rate.c — interface rate maths: rates over the real elapsed
 * time, counter resets and 64-bit wraps, appearance and disappearance,
 * the sliding peak window, watch-list changes, utilisation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rate.h"

/* cmocka 1.1 compares floats only; rates need doubles */
#define assert_double_equal(a, b, eps) double_equal((a), (b), (eps), __LINE__)

static void double_equal(double a, double b, double eps, int line)
{
	if (!(fabs(a - b) <= eps)) {
		print_error("line %d: %.17g != %.17g (within %g)\n", line, a, b, eps);
		fail();
	}
}

#define S(x) ((uint64_t)(x) * 1000000000ULL) /* seconds → ns */

static struct ifstats_rates *table(const char *const *names, size_t n)
{
	struct ifstats_rates *r = ifstats_rates_new();

	assert_non_null(r);
	assert_int_equal(ifstats_rates_set_watch(r, names, n), 0);
	return r;
}

static struct ifstats_sample sample(const char *name, int32_t ifindex, uint64_t rx_bytes,
				    uint64_t tx_bytes)
{
	struct ifstats_sample s;

	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "%s", name);
	s.ifindex = ifindex;
	s.has_stats = true;
	s.operstate = 6;
	s.c.bytes[IFSTATS_RX] = rx_bytes;
	s.c.bytes[IFSTATS_TX] = tx_bytes;
	s.c.packets[IFSTATS_RX] = rx_bytes / 100;
	s.c.packets[IFSTATS_TX] = tx_bytes / 100;
	return s;
}

/* One pass holding one sample (or none when s is NULL). */
static void pass(struct ifstats_rates *r, const struct ifstats_sample *s, uint64_t now)
{
	ifstats_rates_pass_begin(r);
	if (s != NULL)
		assert_int_equal(ifstats_rates_sample(r, s, now), 0);
	ifstats_rates_pass_end(r);
}

static struct ifstats_view view(const struct ifstats_rates *r, uint64_t now)
{
	struct ifstats_view v;

	assert_int_equal(ifstats_rates_view(r, 0, now, &v), 0);
	return v;
}

static void test_first_sample_is_a_baseline(void **state)
{
	const char *names[] = {"eth1"};
	struct ifstats_rates *r = table(names, 1);
	struct ifstats_sample s = sample("eth1", 3, 1000, 2000);
	struct ifstats_view v;

	(void)state;
	pass(r, &s, S(10));
	v = view(r, S(10));
	assert_true(v.present);
	assert_false(v.has_rate);
	assert_false(v.has_peak);
	assert_int_equal(v.appearances, 1);
	assert_int_equal(v.resets, 0);
	assert_int_equal(v.last->c.bytes[IFSTATS_RX], 1000);
	ifstats_rates_free(r);
}

static void test_rate_over_interval(void **state)
{
	const char *names[] = {"eth1"};
	struct ifstats_rates *r = table(names, 1);
	struct ifstats_sample a = sample("eth1", 3, 1000, 2000);
	struct ifstats_sample b = sample("eth1", 3, 11000, 2000 + 125000000);
	struct ifstats_view v;

	(void)state;
	pass(r, &a, S(10));
	pass(r, &b, S(20));
	v = view(r, S(20));
	assert_true(v.has_rate);
	assert_double_equal(v.rate.bytes[IFSTATS_RX], 1000.0, 1e-9);
	assert_double_equal(v.rate.bytes[IFSTATS_TX], 12500000.0, 1e-6);
	assert_double_equal(v.rate.packets[IFSTATS_RX], 10.0, 1e-9);
	assert_double_equal(v.rate.packets[IFSTATS_TX], 125000.0, 1e-6);
	ifstats_rates_free(r);
}

/* A late timer: the rate is over the real elapsed time, not the nominal
 * interval — so no spike when a pass was skipped. */
static void test_missing_sample_uses_real_elapsed(void **state)
{
	const char *names[] = {"eth1"};
	struct ifstats_rates *r = table(names, 1);
	struct ifstats_sample a = sample("eth1", 3, 0, 0);
	struct ifstats_sample b = sample("eth1", 3, 30000, 0);
	struct ifstats_view v;

	(void)state;
	pass(r, &a, S(1));
	pass(r, &b, S(1) + 3500000000ULL); /* 3.5 s later */
	v = view(r, S(5));
	assert_double_equal(v.rate.bytes[IFSTATS_RX], 30000.0 / 3.5, 1e-9);
	ifstats_rates_free(r);
}

/* Samples closer than IFSTATS_MIN_ELAPSED_NS keep the older base. */
static void test_too_close_keeps_base(void **state)
{
	const char *names[] = {"eth1"};
	struct ifstats_rates *r = table(names, 1);
	struct ifstats_sample a = sample("eth1", 3, 0, 0);
	struct ifstats_sample b = sample("eth1", 3, 1000, 0);
	struct ifstats_sample c = sample("eth1", 3, 1000000, 0);
	struct ifstats_sample d = sample("eth1", 3, 2000000, 0);
	struct ifstats_view v;

	(void)state;
	pass(r, &a, S(1));
	pass(r, &b, S(1) + 1000000); /* 1 ms: no rate yet */
	v = view(r, S(1) + 1000000);
	assert_false(v.has_rate);
	assert_int_equal(v.last->c.bytes[IFSTATS_RX], 1000); /* still mirrored */
	pass(r, &c, S(2));
	v = view(r, S(2));
	assert_double_equal(v.rate.bytes[IFSTATS_RX], 1000000.0, 1e-6);
	/* time going backwards counts as no time: rate unchanged */
	pass(r, &d, S(1));
	v = view(r, S(2));
	assert_double_equal(v.rate.bytes[IFSTATS_RX], 1000000.0, 1e-6);
	ifstats_rates_free(r);
}

/* A counter that goes down is a reset: counted, no rate for that
 * interval (not a negative one, not a spike), a rate again after. */
static void test_counter_reset(void **state)
{
	const char *names[] = {"eth1"};
	struct ifstats_rates *r = table(names, 1);
	struct ifstats_sample a = sample("eth1", 3, 5000000, 5000000);
	struct ifstats_sample b = sample("eth1", 3, 200, 5000100);
	struct ifstats_sample c = sample("eth1", 3, 1200, 5001100);
	struct ifstats_view v;

	(void)state;
	pass(r, &a, S(1));
	pass(r, &b, S(2));
	v = view(r, S(2));
	assert_int_equal(v.resets, 1);
	assert_false(v.has_rate);
	assert_int_equal(v.appearances, 1);
	pass(r, &c, S(3));
	v = view(r, S(3));
	assert_true(v.has_rate);
	assert_double_equal(v.rate.bytes[IFSTATS_RX], 1000.0, 1e-9);
	assert_double_equal(v.rate.bytes[IFSTATS_TX], 1000.0, 1e-9);
	assert_double_equal(v.peak.bytes[IFSTATS_RX], 1000.0, 1e-9);
	ifstats_rates_free(r);
}

/* Errors and drops going down are a reset too (the whole set restarts). */
static void test_reset_on_error_counter(void **state)
{
	const char *names[] = {"eth1"};
	struct ifstats_rates *r = table(names, 1);
	struct ifstats_sample a = sample("eth1", 3, 100, 100);
	struct ifstats_sample b = sample("eth1", 3, 200, 200);

	(void)state;
	a.c.dropped[IFSTATS_TX] = 50;
	b.c.dropped[IFSTATS_TX] = 3;
	pass(r, &a, S(1));
	pass(r, &b, S(2));
	assert_int_equal(view(r, S(2)).resets, 1);
	assert_false(view(r, S(2)).has_rate);
	ifstats_rates_free(r);
}

/* A 64-bit counter wrapping through 2^64 is traffic, not a reset; a
 * 32-bit counter of a driver wrapping at 2^32 is far from 2^64, so it
 * is a reset (no rate rather than a wrong one). */
static void test_wrap_64_and_32(void **state)
{
	const char *names[] = {"eth1"};
	struct ifstats_rates *r = table(names, 1);
	struct ifstats_sample a = sample("eth1", 3, UINT64_MAX - 499, 4294967000ULL);
	struct ifstats_sample b = sample("eth1", 3, 500, 4294967000ULL + 1000);
	struct ifstats_sample c = sample("eth1", 3, 1500, 100);
	struct ifstats_view v;

	(void)state;
	a.c.packets[IFSTATS_RX] = UINT64_MAX;
	b.c.packets[IFSTATS_RX] = 9;
	pass(r, &a, S(1));
	pass(r, &b, S(2));
	v = view(r, S(2));
	assert_int_equal(v.resets, 0);
	assert_true(v.has_rate);
	assert_double_equal(v.rate.bytes[IFSTATS_RX], 1000.0, 1e-9);
	assert_double_equal(v.rate.packets[IFSTATS_RX], 10.0, 1e-9);
	assert_double_equal(v.rate.bytes[IFSTATS_TX], 1000.0, 1e-9);
	pass(r, &c, S(3)); /* tx went from ~2^32 to 100 */
	v = view(r, S(3));
	assert_int_equal(v.resets, 1);
	assert_false(v.has_rate);
	ifstats_rates_free(r);
}

/* Deleted and re-created between two passes: a new ifindex under the
 * same name is a disappearance, an appearance and a reset, even though
 * the new counters are higher than the old ones. */
static void test_recreated_between_passes(void **state)
{
	const char *names[] = {"eth1"};
	struct ifstats_rates *r = table(names, 1);
	struct ifstats_sample a = sample("eth1", 3, 100, 100);
	struct ifstats_sample b = sample("eth1", 9, 900000, 900000);
	struct ifstats_view v;

	(void)state;
	pass(r, &a, S(1));
	pass(r, &b, S(2));
	v = view(r, S(2));
	assert_int_equal(v.appearances, 2);
	assert_int_equal(v.disappearances, 1);
	assert_int_equal(v.resets, 1);
	assert_false(v.has_rate);
	assert_int_equal(v.last->ifindex, 9);
	ifstats_rates_free(r);
}

/* Gone for a pass, then back. */
static void test_vanish_and_return(void **state)
{
	const char *names[] = {"eth1"};
	struct ifstats_rates *r = table(names, 1);
	struct ifstats_sample a = sample("eth1", 3, 100, 100);
	struct ifstats_sample b = sample("eth1", 3, 5000, 5000); /* same ifindex, higher */
	struct ifstats_sample c = sample("eth1", 3, 6000, 6000);
	struct ifstats_sample d = sample("eth1", 4, 10, 10);     /* re-created */
	struct ifstats_view v;

	(void)state;
	pass(r, &a, S(1));
	pass(r, NULL, S(2));
	v = view(r, S(2));
	assert_false(v.present);
	assert_false(v.has_rate);
	assert_int_equal(v.disappearances, 1);
	pass(r, &b, S(3)); /* back: a baseline, no rate across the gap */
	v = view(r, S(3));
	assert_true(v.present);
	assert_false(v.has_rate);
	assert_int_equal(v.appearances, 2);
	assert_int_equal(v.resets, 0);
	pass(r, &c, S(4));
	assert_double_equal(view(r, S(4)).rate.bytes[IFSTATS_RX], 1000.0, 1e-9);
	pass(r, NULL, S(5));
	pass(r, &d, S(6));
	v = view(r, S(6));
	assert_int_equal(v.appearances, 3);
	assert_int_equal(v.disappearances, 2);
	assert_int_equal(v.resets, 1);
	ifstats_rates_free(r);
}

/* An aborted pass (the dump failed) marks nothing as gone. */
static void test_aborted_pass(void **state)
{
	const char *names[] = {"eth1"};
	struct ifstats_rates *r = table(names, 1);
	struct ifstats_sample a = sample("eth1", 3, 100, 100);

	(void)state;
	pass(r, &a, S(1));
	ifstats_rates_pass_begin(r);
	ifstats_rates_pass_abort(r);
	assert_true(view(r, S(2)).present);
	assert_int_equal(view(r, S(2)).disappearances, 0);
	ifstats_rates_free(r);
}

static void test_never_seen(void **state)
{
	const char *names[] = {"eth1", "eth2"};
	struct ifstats_rates *r = table(names, 2);
	struct ifstats_sample a = sample("eth1", 3, 100, 100);
	struct ifstats_view v;

	(void)state;
	pass(r, &a, S(1));
	assert_int_equal(ifstats_rates_view(r, 1, S(1), &v), 0);
	assert_string_equal(v.name, "eth2");
	assert_false(v.present);
	assert_false(v.ever_seen);
	assert_int_equal(v.disappearances, 0);
	assert_int_equal(v.appearances, 0);
	assert_int_equal(ifstats_rates_view(r, 2, S(1), &v), -1);
	ifstats_rates_free(r);
}

/* The peak is the highest per-interval rate of the last 60 s. */
static void test_peak_window(void **state)
{
	const char *names[] = {"eth1"};
	struct ifstats_rates *r = table(names, 1);
	uint64_t rx = 0;
	const uint64_t per_s[] = {100, 5000, 200, 300};
	struct ifstats_view v;

	(void)state;
	for (size_t i = 0; i <= 4; i++) {
		struct ifstats_sample s = sample("eth1", 3, rx, 0);

		pass(r, &s, S(10 + i));
		if (i < 4)
			rx += per_s[i];
	}
	v = view(r, S(14));
	assert_double_equal(v.rate.bytes[IFSTATS_RX], 300.0, 1e-9);
	assert_true(v.has_peak);
	assert_double_equal(v.peak.bytes[IFSTATS_RX], 5000.0, 1e-9);
	assert_double_equal(v.peak.packets[IFSTATS_RX], 50.0, 1e-9);
	/* the 5000 interval ended at 12 s: in the window until 72 s exclusive */
	assert_double_equal(view(r, S(71)).peak.bytes[IFSTATS_RX], 5000.0, 1e-9);
	assert_double_equal(view(r, S(72)).peak.bytes[IFSTATS_RX], 300.0, 1e-9);
	assert_false(view(r, S(74)).has_peak);
	ifstats_rates_free(r);
}

/* A long sampling interval (2 min): the window is set to 1.5 intervals,
 * so the last interval's rate stays the peak until the next one. */
static void test_peak_window_long_interval(void **state)
{
	const char *names[] = {"eth1"};
	struct ifstats_rates *r = table(names, 1);
	struct ifstats_sample a = sample("eth1", 3, 0, 0);
	struct ifstats_sample b = sample("eth1", 3, 120000, 0);

	(void)state;
	ifstats_rates_set_peak_window(r, S(180));
	pass(r, &a, S(0));
	pass(r, &b, S(120));
	assert_double_equal(view(r, S(200)).peak.bytes[IFSTATS_RX], 1000.0, 1e-9);
	assert_true(view(r, S(299)).has_peak);
	assert_false(view(r, S(300)).has_peak);
	ifstats_rates_set_peak_window(r, 0); /* back to the 60 s default */
	assert_false(view(r, S(200)).has_peak);
	ifstats_rates_free(r);
}

/* More intervals in the window than slots: the oldest are merged by max,
 * so a burst at the start of the window is still the peak. */
static void test_peak_survives_merging(void **state)
{
	const char *names[] = {"eth1"};
	struct ifstats_rates *r = table(names, 1);
	uint64_t rx = 0, t = S(1);
	struct ifstats_view v;

	(void)state;
	for (int i = 0; i < 3 * IFSTATS_PEAK_SLOTS; i++) {
		struct ifstats_sample s = sample("eth1", 3, rx, 0);

		pass(r, &s, t);
		rx += i == 1 ? 900000 : 1000; /* the burst is the 2nd interval */
		t += 200000000ULL;            /* 200 ms */
	}
	v = view(r, t - 200000000ULL);
	assert_double_equal(v.peak.bytes[IFSTATS_RX], 900000.0 / 0.2, 1e-3);
	assert_double_equal(v.rate.bytes[IFSTATS_RX], 1000.0 / 0.2, 1e-6);
	ifstats_rates_free(r);
}

static void test_watch_changes(void **state)
{
	const char *first[] = {"eth1", "eth2", "eth1", "a-name-that-is-too-long", "", "eth3"};
	const char *second[] = {"eth3", "eth4", "eth1"};
	struct ifstats_rates *r = table(first, 6);
	struct ifstats_sample a = sample("eth1", 3, 100, 100);
	struct ifstats_sample b = sample("eth1", 3, 1100, 100);
	struct ifstats_sample x = sample("eth9", 7, 1, 1);
	struct ifstats_view v;

	(void)state;
	assert_int_equal(ifstats_rates_count(r), 3);
	assert_true(ifstats_rates_watched(r, "eth2"));
	assert_false(ifstats_rates_watched(r, "eth9"));
	ifstats_rates_pass_begin(r);
	assert_int_equal(ifstats_rates_sample(r, &a, S(1)), 0);
	assert_int_equal(ifstats_rates_sample(r, &a, S(1)), -1); /* twice in a pass */
	assert_int_equal(ifstats_rates_sample(r, &x, S(1)), -1); /* not watched */
	ifstats_rates_pass_end(r);
	assert_int_equal(ifstats_rates_set_watch(r, second, 3), 0);
	assert_int_equal(ifstats_rates_count(r), 3);
	assert_false(ifstats_rates_watched(r, "eth2"));
	assert_int_equal(ifstats_rates_find(r, "eth1"), 2);
	assert_int_equal(ifstats_rates_find(r, "eth2"), -1);
	pass(r, &b, S(2)); /* eth1 kept its history: a rate at once */
	assert_int_equal(ifstats_rates_view(r, 2, S(2), &v), 0);
	assert_string_equal(v.name, "eth1");
	assert_double_equal(v.rate.bytes[IFSTATS_RX], 1000.0, 1e-9);
	assert_int_equal(v.appearances, 1);
	assert_int_equal(ifstats_rates_set_watch(r, NULL, 0), 0);
	assert_int_equal(ifstats_rates_count(r), 0);
	ifstats_rates_free(r);
	ifstats_rates_free(NULL);
}

/* A sample without IFLA_STATS64 has no counters: no rate, no reset. */
static void test_sample_without_stats(void **state)
{
	const char *names[] = {"eth1"};
	struct ifstats_rates *r = table(names, 1);
	struct ifstats_sample a = sample("eth1", 3, 100, 100);
	struct ifstats_sample b = sample("eth1", 3, 0, 0);
	struct ifstats_sample c = sample("eth1", 3, 1100, 100);

	(void)state;
	b.has_stats = false;
	pass(r, &a, S(1));
	pass(r, &b, S(2));
	assert_false(view(r, S(2)).has_rate);
	pass(r, &c, S(3));
	assert_false(view(r, S(3)).has_rate); /* base was reset by the stat-less sample */
	assert_int_equal(view(r, S(3)).resets, 0);
	ifstats_rates_free(r);
}

static void test_utilisation(void **state)
{
	(void)state;
	/* 1 Gbit/s link carrying 125 MB/s: full */
	assert_double_equal(ifstats_utilisation(125000000.0, 1000000000ULL), 1.0, 1e-12);
	assert_double_equal(ifstats_utilisation(12500000.0, 1000000000ULL), 0.1, 1e-12);
	assert_double_equal(ifstats_utilisation(1.0, 0), -1.0, 0);
	/* ExpressRoute 1 Gbps: each link 1 Gbit/s, both active: 2 Gbit/s */
	assert_double_equal(ifstats_circuit_utilisation(125000000.0, 0.0, 1000000000ULL), 0.5, 1e-12);
	assert_double_equal(ifstats_circuit_utilisation(62500000.0, 62500000.0, 1000000000ULL), 0.5,
			    1e-12);
	assert_double_equal(ifstats_circuit_utilisation(1, 1, 0), -1.0, 0);
}

static void test_operstate(void **state)
{
	struct ifstats_sample s = sample("lo", 1, 0, 0);

	(void)state;
	assert_string_equal(ifstats_operstate_name(6), "up");
	assert_string_equal(ifstats_operstate_name(3), "lowerlayerdown");
	assert_string_equal(ifstats_operstate_name(0), "unknown");
	assert_string_equal(ifstats_operstate_name(7), "invalid");
	assert_true(ifstats_is_up(&s));
	s.operstate = 2;
	assert_false(ifstats_is_up(&s));
	s.operstate = 0; /* loopback: unknown, but IFF_UP|IFF_RUNNING */
	s.flags = 0x49;
	assert_true(ifstats_is_up(&s));
	s.flags = 0x1;
	assert_false(ifstats_is_up(&s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_sample_is_a_baseline),
		cmocka_unit_test(test_rate_over_interval),
		cmocka_unit_test(test_missing_sample_uses_real_elapsed),
		cmocka_unit_test(test_too_close_keeps_base),
		cmocka_unit_test(test_counter_reset),
		cmocka_unit_test(test_reset_on_error_counter),
		cmocka_unit_test(test_wrap_64_and_32),
		cmocka_unit_test(test_recreated_between_passes),
		cmocka_unit_test(test_vanish_and_return),
		cmocka_unit_test(test_aborted_pass),
		cmocka_unit_test(test_never_seen),
		cmocka_unit_test(test_peak_window),
		cmocka_unit_test(test_peak_window_long_interval),
		cmocka_unit_test(test_peak_survives_merging),
		cmocka_unit_test(test_watch_changes),
		cmocka_unit_test(test_sample_without_stats),
		cmocka_unit_test(test_utilisation),
		cmocka_unit_test(test_operstate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
