/* test_probe_stats.c — probe statistics: histogram bucket edges, RFC 3550
 * jitter computed by hand, the sliding loss window, late / duplicate /
 * unknown replies, sequence number wrap, expiry and errors. Times are
 * made up and passed in; nothing sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "stats.h"

#define EPS 1e-12

/* sends seq at t with a 10 s timeout and answers it at t + rtt */
static enum probe_reply_result ping(struct probe_stats *s, uint32_t seq, double t, double rtt)
{
	probe_stats_sent(s, seq, t, t + 10.0);
	return probe_stats_reply(s, seq, rtt, t + rtt);
}

static void test_new_bounds(void **state)
{
	struct probe_stats *s;
	struct probe_stats_view v;
	(void)state;

	assert_null(probe_stats_new(0));
	assert_null(probe_stats_new(PROBE_LOSS_WINDOW_MAX + 1));
	s = probe_stats_new(PROBE_LOSS_WINDOW_MAX);
	assert_non_null(s);
	v = probe_stats_get(s);
	assert_true(isnan(v.last) && isnan(v.min) && isnan(v.max) && isnan(v.jitter));
	assert_true(isnan(v.forward) && isnan(v.reverse));
	assert_false(v.oneway_valid);
	assert_true(v.loss_ratio == 0.0);
	probe_stats_free(s);
	probe_stats_free(NULL);
}

static void test_bucket_bounds(void **state)
{
	(void)state;
	assert_true(probe_rtt_buckets[0] == 0.0001);
	assert_true(probe_rtt_buckets[PROBE_RTT_NBUCKETS - 1] == 2.0);
	for (size_t i = 1; i < PROBE_RTT_NBUCKETS; i++)
		assert_true(probe_rtt_buckets[i] > probe_rtt_buckets[i - 1]);
}

static void test_histogram_edges(void **state)
{
	struct probe_stats *s = probe_stats_new(100);
	struct probe_stats_view v;
	uint32_t seq = 0;
	(void)state;

	/* Prometheus "le": a value on a bound is in that bucket */
	for (size_t i = 0; i < PROBE_RTT_NBUCKETS; i++, seq++)
		assert_int_equal(ping(s, seq, (double)i, probe_rtt_buckets[i]), PROBE_REPLY_OK);
	v = probe_stats_get(s);
	for (size_t i = 0; i < PROBE_RTT_NBUCKETS; i++)
		assert_int_equal(v.buckets[i], 1);
	assert_int_equal(v.buckets[PROBE_RTT_NBUCKETS], 0);

	/* just above a bound: the next bucket; above 2 s: +Inf; 0: the first */
	assert_int_equal(ping(s, seq++, 100.0, 0.0001 + 1e-9), PROBE_REPLY_OK);
	probe_stats_sent(s, seq, 101.0, 110.0);
	assert_int_equal(probe_stats_reply(s, seq++, 2.5, 103.5), PROBE_REPLY_OK);
	assert_int_equal(ping(s, seq++, 120.0, 0.0), PROBE_REPLY_OK);
	v = probe_stats_get(s);
	assert_int_equal(v.buckets[0], 2);
	assert_int_equal(v.buckets[1], 2);
	assert_int_equal(v.buckets[PROBE_RTT_NBUCKETS], 1);
	assert_int_equal(v.received, PROBE_RTT_NBUCKETS + 3);
	assert_true(v.min == 0.0);
	assert_true(v.max == 2.5);
	assert_true(v.last == 0.0);
	probe_stats_free(s);
}

static void test_sum_min_max_last(void **state)
{
	struct probe_stats *s = probe_stats_new(100);
	struct probe_stats_view v;
	(void)state;

	ping(s, 1, 0.0, 0.010);
	ping(s, 2, 1.0, 0.004);
	ping(s, 3, 2.0, 0.020);
	v = probe_stats_get(s);
	assert_true(fabs(v.sum - 0.034) < EPS);
	assert_true(v.min == 0.004);
	assert_true(v.max == 0.020);
	assert_true(v.last == 0.020);
	assert_int_equal(v.sent, 3);
	assert_int_equal(v.received, 3);
	/* a negative RTT (a clock step on the caller's side) counts as 0 */
	ping(s, 4, 3.0, -0.5);
	v = probe_stats_get(s);
	assert_true(v.min == 0.0);
	assert_true(fabs(v.sum - 0.034) < EPS);
	probe_stats_free(s);
}

static void test_jitter_by_hand(void **state)
{
	struct probe_stats *s = probe_stats_new(100);
	struct probe_stats_view v;
	(void)state;

	/* RTTs 10, 12, 9, 9 ms; J += (|D| - J) / 16 from J = 0:
	 * 2/16 = 0.125; 0.125 + (3 - 0.125)/16 = 0.3046875;
	 * 0.3046875 + (0 - 0.3046875)/16 = 0.28564453125 (ms) */
	ping(s, 1, 0.0, 0.010);
	v = probe_stats_get(s);
	assert_true(isnan(v.jitter)); /* one reply: no difference yet */
	ping(s, 2, 1.0, 0.012);
	v = probe_stats_get(s);
	assert_true(fabs(v.jitter - 0.000125) < EPS);
	ping(s, 3, 2.0, 0.009);
	v = probe_stats_get(s);
	assert_true(fabs(v.jitter - 0.0003046875) < EPS);
	ping(s, 4, 3.0, 0.009);
	v = probe_stats_get(s);
	assert_true(fabs(v.jitter - 0.00028564453125) < EPS);
	/* a lost probe in between does not reset the estimate: the next
	 * difference is taken against the last reply */
	probe_stats_sent(s, 5, 4.0, 5.0);
	assert_int_equal(probe_stats_expire(s, 5.0), 1);
	ping(s, 6, 6.0, 0.009);
	v = probe_stats_get(s);
	assert_true(fabs(v.jitter - 0.00028564453125 * 15.0 / 16.0) < EPS);
	probe_stats_free(s);
}

static void test_loss_window_slides(void **state)
{
	struct probe_stats *s = probe_stats_new(4);
	struct probe_stats_view v;
	(void)state;

	/* lost, ok, ok, ok: 1/4 */
	probe_stats_sent(s, 1, 0.0, 1.0);
	assert_int_equal(probe_stats_expire(s, 1.0), 1);
	ping(s, 2, 2.0, 0.01);
	ping(s, 3, 3.0, 0.01);
	v = probe_stats_get(s);
	assert_true(fabs(v.loss_ratio - 1.0 / 3.0) < EPS); /* window not full yet */
	ping(s, 4, 4.0, 0.01);
	v = probe_stats_get(s);
	assert_true(v.loss_ratio == 0.25);
	/* one more ok: the lost one falls out */
	ping(s, 5, 5.0, 0.01);
	v = probe_stats_get(s);
	assert_true(v.loss_ratio == 0.0);
	/* two lost: 2/4 */
	probe_stats_sent(s, 6, 6.0, 7.0);
	probe_stats_sent(s, 7, 6.5, 7.5);
	assert_int_equal(probe_stats_expire(s, 7.0), 1);
	assert_int_equal(probe_stats_expire(s, 7.2), 0);
	assert_int_equal(probe_stats_expire(s, 7.5), 1);
	v = probe_stats_get(s);
	assert_true(v.loss_ratio == 0.5);
	assert_int_equal(v.lost, 3);
	assert_int_equal(v.sent, 7);
	/* a sent but undecided probe is not in the ratio */
	probe_stats_sent(s, 8, 8.0, 9.0);
	v = probe_stats_get(s);
	assert_true(v.loss_ratio == 0.5);
	probe_stats_free(s);
}

static void test_late_duplicate_unknown(void **state)
{
	struct probe_stats *s = probe_stats_new(100);
	struct probe_stats_view v;
	(void)state;

	assert_int_equal(ping(s, 1, 0.0, 0.01), PROBE_REPLY_OK);
	assert_int_equal(probe_stats_reply(s, 1, 0.02, 0.02), PROBE_REPLY_DUPLICATE);
	/* never sent */
	assert_int_equal(probe_stats_reply(s, 99, 0.01, 0.5), PROBE_REPLY_UNKNOWN);
	/* expired, then the reply: late, the probe stays lost */
	probe_stats_sent(s, 2, 1.0, 2.0);
	assert_int_equal(probe_stats_expire(s, 2.5), 1);
	assert_int_equal(probe_stats_reply(s, 2, 1.6, 2.6), PROBE_REPLY_LATE);
	assert_int_equal(probe_stats_reply(s, 2, 1.7, 2.7), PROBE_REPLY_DUPLICATE);
	/* past the deadline but before anyone called expire: late as well */
	probe_stats_sent(s, 3, 3.0, 4.0);
	assert_int_equal(probe_stats_reply(s, 3, 1.0, 4.0), PROBE_REPLY_LATE);
	assert_int_equal(probe_stats_expire(s, 10.0), 0);
	v = probe_stats_get(s);
	assert_int_equal(v.sent, 3);
	assert_int_equal(v.received, 1);
	assert_int_equal(v.lost, 2);
	assert_int_equal(v.late, 2);
	assert_int_equal(v.duplicates, 2);
	assert_int_equal(v.unknown, 1);
	assert_true(v.max == 0.01); /* late RTTs stay out of the figures */
	assert_int_equal(v.buckets[7], 1); /* 10 ms */
	probe_stats_free(s);
}

static void test_sequence_wrap(void **state)
{
	struct probe_stats *s = probe_stats_new(100);
	struct probe_stats_view v;
	uint32_t seq = 0xfffffffdu;
	(void)state;

	for (int i = 0; i < 6; i++, seq++)
		probe_stats_sent(s, seq, (double)i, (double)i + 10.0);
	/* 0xfffffffd .. 2, answered out of order across the wrap */
	assert_int_equal(probe_stats_reply(s, 1, 0.1, 4.1), PROBE_REPLY_OK);
	assert_int_equal(probe_stats_reply(s, 0xffffffffu, 0.1, 4.2), PROBE_REPLY_OK);
	assert_int_equal(probe_stats_reply(s, 0, 0.1, 4.3), PROBE_REPLY_OK);
	assert_int_equal(probe_stats_reply(s, 0xfffffffdu, 0.1, 4.4), PROBE_REPLY_OK);
	assert_int_equal(probe_stats_reply(s, 0xfffffffeu, 0.1, 4.5), PROBE_REPLY_OK);
	assert_int_equal(probe_stats_reply(s, 2, 0.1, 4.6), PROBE_REPLY_OK);
	assert_int_equal(probe_stats_reply(s, 0, 0.1, 4.7), PROBE_REPLY_DUPLICATE);
	assert_int_equal(probe_stats_expire(s, 100.0), 0);
	v = probe_stats_get(s);
	assert_int_equal(v.received, 6);
	assert_int_equal(v.lost, 0);
	probe_stats_free(s);
}

static void test_ring_eviction(void **state)
{
	struct probe_stats *s = probe_stats_new(1000);
	struct probe_stats_view v;
	(void)state;

	/* 300 probes nobody answers with a long timeout: the ring holds the
	 * last ones; the first are decided lost when their slots are reused,
	 * and a reply to one of them is unknown */
	for (uint32_t i = 0; i < 300; i++)
		probe_stats_sent(s, i, (double)i, 1e6);
	v = probe_stats_get(s);
	assert_true(v.lost >= 1 && v.lost < 300);
	assert_int_equal(probe_stats_reply(s, 0, 1.0, 300.0), PROBE_REPLY_UNKNOWN);
	assert_int_equal(probe_stats_reply(s, 299, 1.0, 300.0), PROBE_REPLY_OK);
	assert_int_equal(probe_stats_expire(s, 2e6), 300 - v.lost - 1);
	v = probe_stats_get(s);
	assert_int_equal(v.lost, 299);
	assert_int_equal(v.received, 1);
	assert_int_equal(v.unknown, 1);
	assert_true(fabs(v.loss_ratio - 299.0 / 300.0) < EPS);
	probe_stats_free(s);
}

static void test_errors(void **state)
{
	struct probe_stats *s = probe_stats_new(10);
	struct probe_stats_view v;
	(void)state;

	probe_stats_sent(s, 1, 0.0, 1.0);
	probe_stats_error(s, 1, 0.1); /* outstanding: lost now */
	probe_stats_error(s, 1, 0.2); /* again: an error, not a second loss */
	probe_stats_error(s, 42, 0.3); /* never sent */
	assert_int_equal(probe_stats_expire(s, 5.0), 0);
	assert_int_equal(probe_stats_reply(s, 1, 0.05, 0.5), PROBE_REPLY_LATE);
	v = probe_stats_get(s);
	assert_int_equal(v.errors, 3);
	assert_int_equal(v.lost, 1);
	assert_true(v.loss_ratio == 1.0);
	probe_stats_free(s);
}

static void test_oneway(void **state)
{
	struct probe_stats *s = probe_stats_new(10);
	struct probe_stats_view v;
	(void)state;

	ping(s, 1, 0.0, 0.010);
	probe_stats_oneway(s, 0.004, 0.006, true);
	v = probe_stats_get(s);
	assert_true(v.forward == 0.004 && v.reverse == 0.006 && v.oneway_valid);
	probe_stats_oneway(s, 0.004, NAN, true);
	v = probe_stats_get(s);
	assert_false(v.oneway_valid);
	probe_stats_oneway(s, 0.003, 0.007, false);
	v = probe_stats_get(s);
	assert_true(v.forward == 0.003);
	assert_false(v.oneway_valid);
	probe_stats_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_bounds),
		cmocka_unit_test(test_bucket_bounds),
		cmocka_unit_test(test_histogram_edges),
		cmocka_unit_test(test_sum_min_max_last),
		cmocka_unit_test(test_jitter_by_hand),
		cmocka_unit_test(test_loss_window_slides),
		cmocka_unit_test(test_late_duplicate_unknown),
		cmocka_unit_test(test_sequence_wrap),
		cmocka_unit_test(test_ring_eviction),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_oneway),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
