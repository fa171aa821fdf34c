/* test_flows.c — TCP flow table: both directions in one flow, key
 * normalization, the side rule, the cap with LRU eviction (counted), idle
 * expiry, the remove callback and the shared reassembly budget. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flows.h"
#include "frame.h"

static struct cap_endpoint ep4(uint8_t last, uint16_t port)
{
	struct cap_endpoint e;

	memset(&e, 0, sizeof(e));
	e.addr[0] = 192;
	e.addr[1] = 0;
	e.addr[2] = 2;
	e.addr[3] = last;
	e.port = port;
	return e;
}

static void count_removed(struct cap_flow *f, void *arg)
{
	(void)f;
	(*(int *)arg)++;
}

static void test_both_directions_one_flow(void **state)
{
	struct cap_flows *t = cap_flows_new(0, 0, 0, NULL, NULL);
	struct cap_endpoint a = ep4(1, 40000), b = ep4(2, 179);
	int s1 = -1, s2 = -1;
	struct cap_flow *f1, *f2;

	(void)state;
	assert_non_null(t);
	f1 = cap_flows_get(t, 4, &a, &b, CAP_TCP_ACK, 1.0, &s1);
	f2 = cap_flows_get(t, 4, &b, &a, CAP_TCP_ACK, 2.0, &s2);
	assert_non_null(f1);
	assert_ptr_equal(f1, f2);
	assert_int_equal(s1, 0); /* first packet's sender, no SYN seen */
	assert_int_equal(s2, 1);
	assert_int_equal(cap_flows_count(t), 1);
	assert_int_equal(f1->end[0].port, 40000);
	assert_int_equal(f1->end[1].port, 179);
	assert_true(f1->last_seen == 2.0);
	cap_flows_free(t);
}

static void test_normalization_and_family(void **state)
{
	struct cap_flows *t = cap_flows_new(0, 0, 0, NULL, NULL);
	struct cap_endpoint a = ep4(1, 179), b = ep4(2, 179), c = ep4(1, 180);
	int side;
	struct cap_flow *f1, *f2, *f3, *f4;

	(void)state;
	f1 = cap_flows_get(t, 4, &b, &a, 0, 0, &side);
	f2 = cap_flows_get(t, 4, &a, &b, 0, 0, &side);
	f3 = cap_flows_get(t, 4, &c, &b, 0, 0, &side); /* other port: other flow */
	f4 = cap_flows_get(t, 6, &a, &b, 0, 0, &side); /* other family: other flow */
	assert_ptr_equal(f1, f2);
	assert_ptr_not_equal(f1, f3);
	assert_ptr_not_equal(f1, f4);
	assert_int_equal(cap_flows_count(t), 3);
	assert_null(cap_flows_get(t, 5, &a, &b, 0, 0, &side));
	cap_flows_free(t);
}

static void test_syn_side_rule(void **state)
{
	struct cap_flows *t = cap_flows_new(0, 0, 0, NULL, NULL);
	struct cap_endpoint cli = ep4(9, 50000), srv = ep4(1, 179);
	int side;
	struct cap_flow *f;
	struct cap_reasm *r;

	(void)state;
	/* the SYN-ACK comes first: its receiver sent the SYN, so it is side 0 */
	f = cap_flows_get(t, 4, &srv, &cli, CAP_TCP_SYN | CAP_TCP_ACK, 0, &side);
	assert_int_equal(side, 1);
	assert_int_equal(f->end[0].port, 50000);
	r = cap_flow_reasm(t, f, side, 1000, true);
	assert_false(r->after_gap);
	assert_false(f->mid_session[1]);
	r = cap_flow_reasm(t, f, 0, 5000, false); /* mid-session direction */
	assert_true(r->after_gap);
	assert_true(f->mid_session[0]);
	assert_ptr_equal(cap_flow_reasm(t, f, 0, 9999, true), r); /* started once */
	/* a plain SYN: its sender is side 0 */
	srv = ep4(2, 179);
	f = cap_flows_get(t, 4, &cli, &srv, CAP_TCP_SYN, 0, &side);
	assert_non_null(f);
	assert_int_equal(side, 0);
	cap_flows_free(t);
}

static void test_cap_lru_eviction(void **state)
{
	int removed = 0;
	struct cap_flows *t = cap_flows_new(3, 0, 0, count_removed, &removed);
	struct cap_endpoint srv = ep4(1, 179), c[4];
	int side;
	struct cap_flow *f[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		c[i] = ep4((uint8_t)(10 + i), 40000);
	for (int i = 0; i < 3; i++)
		f[i] = cap_flows_get(t, 4, &c[i], &srv, 0, (double)i, &side);
	/* touch flow 0: flow 1 becomes the least recently used */
	assert_ptr_equal(cap_flows_get(t, 4, &srv, &c[0], 0, 5.0, &side), f[0]);
	f[3] = cap_flows_get(t, 4, &c[3], &srv, 0, 6.0, &side);
	assert_non_null(f[3]);
	assert_int_equal(cap_flows_count(t), 3);
	assert_int_equal(cap_flows_stats(t).evicted_lru, 1);
	assert_int_equal(removed, 1);
	/* flow 1 is gone (a new one is created), flows 0 and 2 remain */
	assert_non_null(cap_flows_get(t, 4, &c[1], &srv, 0, 7.0, &side));
	assert_int_equal(cap_flows_stats(t).created, 5);
	assert_int_equal(cap_flows_stats(t).evicted_lru, 2); /* flow 2 now */
	assert_ptr_equal(cap_flows_get(t, 4, &c[0], &srv, 0, 8.0, &side), f[0]);
	cap_flows_free(t);
	assert_int_equal(removed, 5); /* every flow, including at free */
}

static void test_expiry(void **state)
{
	int removed = 0;
	struct cap_flows *t = cap_flows_new(0, 0, 10.0, count_removed, &removed);
	struct cap_endpoint srv = ep4(1, 179), a = ep4(2, 1), b = ep4(3, 1);
	int side;

	(void)state;
	assert_non_null(cap_flows_get(t, 4, &a, &srv, 0, 100.0, &side));
	assert_non_null(cap_flows_get(t, 4, &b, &srv, 0, 105.0, &side));
	assert_int_equal(cap_flows_expire(t, 110.0), 0); /* exactly the timeout: kept */
	assert_int_equal(cap_flows_expire(t, 110.5), 1);
	assert_int_equal(cap_flows_count(t), 1);
	assert_int_equal(cap_flows_stats(t).expired, 1);
	assert_int_equal(removed, 1);
	assert_int_equal(cap_flows_expire(t, 200.0), 1);
	assert_int_equal(cap_flows_count(t), 0);
	cap_flows_free(t);
	assert_int_equal(removed, 2);
}

/* The three-way handshake's timing at the capture point and zero windows
 * (RFC 9293 §3.5, §3.8.6.2). */
static void test_tcp_health(void **state)
{
	struct cap_flows *t = cap_flows_new(0, 0, 0, NULL, NULL);
	struct cap_endpoint a = ep4(1, 40000), b = ep4(2, 179);
	const uint8_t A = CAP_TCP_ACK;
	double l0, l1;
	struct cap_flow *f;
	int sa, sb;

	(void)state;
	assert_non_null(t);
	f = cap_flows_get(t, 4, &a, &b, CAP_TCP_SYN, 10.0, &sa);
	assert_non_null(f);
	cap_flow_tcp_seen(f, sa, CAP_TCP_SYN, 1000, 0, 64240, 10.0);
	assert_true(cap_flow_handshake_rtt(f, &l0, &l1) < 0);
	/* the SYN again one second later: the SYN-ACK answers that one */
	cap_flow_tcp_seen(f, sa, CAP_TCP_SYN, 1000, 0, 64240, 11.0);
	assert_ptr_equal(cap_flows_get(t, 4, &b, &a, CAP_TCP_SYN | A, 11.25, &sb), f);
	assert_int_equal(sb, 1);
	cap_flow_tcp_seen(f, sb, CAP_TCP_SYN | A, 5000, 1001, 0, 11.25); /* SYN: no zero window */
	/* an ACK of something else is not the handshake's */
	cap_flow_tcp_seen(f, sa, A, 1001, 4000, 64240, 11.30);
	assert_true(cap_flow_handshake_rtt(f, &l0, &l1) < 0);
	cap_flow_tcp_seen(f, sa, A, 1001, 5001, 64240, 11.5);
	assert_true(cap_flow_handshake_rtt(f, &l0, &l1) == 0.5);
	assert_true(l0 == 0.25 && l1 == 0.25);
	/* later SYN-ACKs do not move it */
	cap_flow_tcp_seen(f, sb, CAP_TCP_SYN | A, 5000, 1001, 64240, 12.0);
	assert_true(cap_flow_handshake_rtt(f, &l0, &l1) == 0.5);
	/* zero windows: ACKs only, not with FIN or RST */
	cap_flow_tcp_seen(f, sa, A, 1001, 5001, 0, 13.0);
	cap_flow_tcp_seen(f, sa, A | CAP_TCP_PSH, 1001, 5001, 0, 13.1);
	cap_flow_tcp_seen(f, sa, A | CAP_TCP_FIN, 1001, 5001, 0, 13.2);
	cap_flow_tcp_seen(f, sb, CAP_TCP_RST, 5001, 0, 0, 13.3);
	cap_flow_tcp_seen(f, sb, A | CAP_TCP_RST, 5001, 0, 0, 13.4);
	cap_flow_tcp_seen(f, sb, A, 5001, 1001, 0, 13.5);
	assert_int_equal(f->tcp.zero_windows[0], 2);
	assert_int_equal(f->tcp.zero_windows[1], 1);
	cap_flows_free(t);
}

/* A connection seen from its SYN-ACK on, or with an RST for an answer,
 * has no handshake time. */
static void test_tcp_health_partial(void **state)
{
	struct cap_flows *t = cap_flows_new(0, 0, 0, NULL, NULL);
	struct cap_endpoint a = ep4(1, 40000), b = ep4(2, 179), c = ep4(3, 40001);
	double l0, l1;
	struct cap_flow *f;
	int s;

	(void)state;
	f = cap_flows_get(t, 4, &b, &a, CAP_TCP_SYN | CAP_TCP_ACK, 1.0, &s);
	assert_non_null(f);
	assert_int_equal(s, 1);
	cap_flow_tcp_seen(f, s, CAP_TCP_SYN | CAP_TCP_ACK, 7, 100, 64240, 1.0);
	f = cap_flows_get(t, 4, &a, &b, CAP_TCP_ACK, 1.1, &s);
	cap_flow_tcp_seen(f, s, CAP_TCP_ACK, 100, 8, 64240, 1.1);
	assert_true(cap_flow_handshake_rtt(f, &l0, &l1) < 0);
	assert_true(l0 < 0 && l1 < 0);
	f = cap_flows_get(t, 4, &c, &b, CAP_TCP_SYN, 2.0, &s);
	cap_flow_tcp_seen(f, s, CAP_TCP_SYN, 1, 0, 64240, 2.0);
	f = cap_flows_get(t, 4, &b, &c, CAP_TCP_RST | CAP_TCP_ACK, 2.1, &s);
	cap_flow_tcp_seen(f, s, CAP_TCP_RST | CAP_TCP_ACK, 0, 2, 0, 2.1);
	assert_true(cap_flow_handshake_rtt(f, &l0, &l1) < 0);
	assert_int_equal(f->tcp.zero_windows[0] + f->tcp.zero_windows[1], 0);
	cap_flows_free(t);
}

static void test_shared_budget_released(void **state)
{
	struct cap_flows *t = cap_flows_new(0, 64 * 1024, 0, NULL, NULL);
	struct cap_endpoint srv = ep4(1, 179), a = ep4(2, 1);
	uint8_t data[1000];
	int side;
	struct cap_flow *f;
	struct cap_reasm *r;

	(void)state;
	memset(data, 0xab, sizeof(data));
	f = cap_flows_get(t, 4, &a, &srv, CAP_TCP_SYN, 0, &side);
	r = cap_flow_reasm(t, f, side, 1, true);
	assert_int_equal(cap_reasm_segment(r, 2, data, sizeof(data), false, false), 0);
	assert_true(cap_flows_budget(t)->used > 0);
	assert_true(cap_flows_budget(t)->used <= 64 * 1024);
	cap_flows_remove(t, f);
	assert_int_equal(cap_flows_budget(t)->used, 0);
	assert_int_equal(cap_flows_count(t), 0);
	cap_flows_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_directions_one_flow),
		cmocka_unit_test(test_normalization_and_family),
		cmocka_unit_test(test_syn_side_rule),
		cmocka_unit_test(test_cap_lru_eviction),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_shared_budget_released),
		cmocka_unit_test(test_tcp_health),
		cmocka_unit_test(test_tcp_health_partial),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
