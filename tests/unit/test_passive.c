/* test_passive.c — the BGP session inferred from both directions of a TCP
 * connection: OPENs, the first KEEPALIVE, hold time and risk, keepalive
 * interval, NOTIFICATION/FIN/RST, captures that start mid-session, and
 * ADD-PATH negotiated per direction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "passive.h"
#include "wire_build.h"

/* OPEN from `as` with hold time and, when addpath != 0, ADD-PATH for IPv4
 * unicast with that send/receive value. */
static void open_msg(struct wb *b, uint32_t as, unsigned hold, unsigned addpath)
{
	size_t at = wb_bgp_begin(b, BGP_MSG_OPEN), plen;

	wb_put8(b, 4);
	wb_put16(b, as > 0xffff ? BGP_AS_TRANS : as);
	wb_put16(b, hold);
	wb_put32(b, 0xc6120000u + as % 256);
	plen = b->len;
	wb_put8(b, 0);
	wb_put8(b, 2);
	wb_put8(b, addpath ? 18 : 12);
	wb_put8(b, 1), wb_put8(b, 4), wb_put16(b, 1), wb_put8(b, 0), wb_put8(b, 1);
	wb_put8(b, 65), wb_put8(b, 4), wb_put32(b, as);
	if (addpath)
		wb_put8(b, 69), wb_put8(b, 4), wb_put16(b, 1), wb_put8(b, 1), wb_put8(b, addpath);
	b->p[plen] = (uint8_t)(b->len - plen - 1);
	wb_bgp_end(b, at);
}

static void simple_msg(struct wb *b, unsigned type)
{
	size_t at = wb_bgp_begin(b, type);

	if (type == BGP_MSG_NOTIFICATION)
		wb_put8(b, 6), wb_put8(b, 2); /* Cease / Administrative Shutdown */
	if (type == BGP_MSG_UPDATE)
		wb_put16(b, 0), wb_put16(b, 0); /* End-of-RIB */
	wb_bgp_end(b, at);
}

static int send_msg(struct bgp_passive *s, int dir, struct wb *b, double now)
{
	int t = bgp_passive_message(s, dir, b->p, b->len, now);

	wb_reset(b);
	return t;
}

static void test_full_life(void **state)
{
	struct bgp_passive s;
	struct wb b = {0};
	(void)state;

	bgp_passive_init(&s);
	open_msg(&b, 65001, 90, 0);
	assert_int_equal(send_msg(&s, 0, &b, 1.0), BGP_MSG_OPEN);
	assert_int_equal(s.state, BGP_PASSIVE_OPEN_ONE);
	open_msg(&b, 400000, 30, 0);
	send_msg(&s, 1, &b, 1.1);
	assert_int_equal(s.state, BGP_PASSIVE_OPEN_BOTH);
	assert_int_equal(s.hold_time, 30);
	assert_int_equal(s.side[1].as, 400000); /* the 4-octet AS, not AS_TRANS */
	assert_int_equal(s.side[0].as, 65001);
	simple_msg(&b, BGP_MSG_KEEPALIVE);
	send_msg(&s, 1, &b, 1.2);
	assert_int_equal(s.state, BGP_PASSIVE_ESTABLISHED);
	assert_int_equal(s.state_changes, 1);
	assert_true(s.established_at == 1.2);
	for (int i = 1; i <= 2; i++) {
		simple_msg(&b, BGP_MSG_KEEPALIVE);
		send_msg(&s, 0, &b, 10.0 * i);
	}
	assert_true(s.side[0].keepalive_interval == 10.0);
	assert_int_equal(s.side[0].msgs[BGP_MSG_KEEPALIVE], 2);
	/* side 0 last heard at 20 s; hold 30 s */
	assert_true(bgp_passive_hold_risk(&s, 0, 35.0) == 0.5);
	simple_msg(&b, BGP_MSG_NOTIFICATION);
	send_msg(&s, 1, &b, 40.0);
	assert_int_equal(s.state, BGP_PASSIVE_DOWN);
	assert_string_equal(s.down_reason, "notification");
	assert_int_equal(s.notif_code, 6);
	assert_int_equal(s.notif_subcode, 2);
	assert_int_equal(s.notif_side, 1);
	assert_int_equal(s.state_changes, 2);
	/* after the end nothing revives it */
	simple_msg(&b, BGP_MSG_KEEPALIVE);
	send_msg(&s, 0, &b, 41.0);
	assert_int_equal(s.state, BGP_PASSIVE_DOWN);
	assert_true(bgp_passive_hold_risk(&s, 0, 100.0) == 0);
	wb_free(&b);
}

static void test_mid_session_capture(void **state)
{
	struct bgp_passive s;
	struct wb b = {0};
	(void)state;

	bgp_passive_init(&s);
	simple_msg(&b, BGP_MSG_UPDATE);
	send_msg(&s, 1, &b, 5.0);
	assert_int_equal(s.state, BGP_PASSIVE_ESTABLISHED);
	assert_int_equal(s.hold_time, 0);
	assert_true(bgp_passive_hold_risk(&s, 1, 500.0) == 0); /* unknown hold time */
	assert_int_equal(bgp_passive_event(&s, BGP_PASSIVE_EV_FIN, 0, 6.0), BGP_PASSIVE_DOWN);
	assert_string_equal(s.down_reason, "fin");
	assert_int_equal(s.notif_code, -1);
	assert_int_equal(s.state_changes, 2);
	wb_free(&b);
}

static void test_rst_before_established(void **state)
{
	struct bgp_passive s;
	struct wb b = {0};
	(void)state;

	bgp_passive_init(&s);
	open_msg(&b, 65001, 90, 0);
	send_msg(&s, 0, &b, 1.0);
	/* a KEEPALIVE with one OPEN seen (the other was lost): not established */
	simple_msg(&b, BGP_MSG_KEEPALIVE);
	send_msg(&s, 0, &b, 1.5);
	assert_int_equal(s.state, BGP_PASSIVE_OPEN_ONE);
	assert_int_equal(bgp_passive_event(&s, BGP_PASSIVE_EV_RST, 1, 2.0), BGP_PASSIVE_DOWN);
	assert_string_equal(s.down_reason, "rst");
	assert_int_equal(s.state_changes, 0); /* never was established */
	wb_free(&b);
}

/* ADD-PATH is decided per direction: side 0 can send and side 1 can
 * receive, so only side 0's UPDATEs carry path ids. */
static void test_addpath_per_direction(void **state)
{
	struct bgp_passive s;
	struct wb b = {0};
	(void)state;

	bgp_passive_init(&s);
	open_msg(&b, 65001, 90, 2 /* send */);
	send_msg(&s, 0, &b, 1.0);
	open_msg(&b, 65002, 90, 1 /* receive */);
	send_msg(&s, 1, &b, 1.0);
	assert_true(bgp_ctx_addpath(&s.ctx[0], BGP_AFI_IPV4, BGP_SAFI_UNICAST));
	assert_false(bgp_ctx_addpath(&s.ctx[1], BGP_AFI_IPV4, BGP_SAFI_UNICAST));
	assert_true(s.ctx[0].as4 && s.ctx[1].as4);
	wb_free(&b);
}

static void test_hold_zero_and_garbage(void **state)
{
	struct bgp_passive s;
	struct wb b = {0};
	static const uint8_t junk[] = "GET / HTTP/1.1\r\n\r\n";
	(void)state;

	bgp_passive_init(&s);
	open_msg(&b, 65001, 0, 0); /* RFC 4271 §4.2: 0 turns keepalives off */
	send_msg(&s, 0, &b, 1.0);
	open_msg(&b, 65002, 90, 0);
	send_msg(&s, 1, &b, 1.0);
	assert_int_equal(s.hold_time, 0);
	assert_true(bgp_passive_hold_risk(&s, 0, 1000.0) == 0);
	assert_int_equal(bgp_passive_message(&s, 0, junk, sizeof(junk) - 1, 2.0), -1);
	assert_int_equal(s.state, BGP_PASSIVE_OPEN_BOTH);
	assert_string_equal(bgp_passive_state_name(s.state), "open-both");
	wb_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_life),
		cmocka_unit_test(test_mid_session_capture),
		cmocka_unit_test(test_rst_before_established),
		cmocka_unit_test(test_addpath_per_direction),
		cmocka_unit_test(test_hold_zero_and_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
