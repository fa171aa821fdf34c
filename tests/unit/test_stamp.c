/* test_stamp.c — the STAMP codec (RFC 8762 §4.2.1/§4.3.1, unauthenticated),
 * NTP timestamps (RFC 5905 §6) and Error Estimates (RFC 4656 §4.1.2), and
 * the pure parts of the reflector (address parsing, building a reply).
 * Packets are written out by hand from the RFC layouts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <string.h>

#include "reflector.h"
#include "stamp.h"

/* RFC 8762 §4.2.1: seq, timestamp, error estimate, SSID (RFC 8972), 28 MBZ */
static const uint8_t test_pkt[44] = {
	0x01, 0x02, 0x03, 0x04,                         /* sequence number */
	0xe5, 0xa1, 0xb2, 0xc3, 0x80, 0x00, 0x00, 0x00, /* timestamp */
	0x80, 0x01,                                     /* error estimate: S, mult 1 */
	0xbe, 0xef,                                     /* SSID */
	/* 28 bytes MBZ */
};

/* RFC 8762 §4.3.1 */
static const uint8_t reply_pkt[44] = {
	0x0a, 0x0b, 0x0c, 0x0d,                         /* sequence number */
	0xe5, 0xa1, 0xb2, 0xc4, 0x40, 0x00, 0x00, 0x00, /* timestamp */
	0x00, 0x01,                                     /* error estimate */
	0xbe, 0xef,                                     /* SSID */
	0xe5, 0xa1, 0xb2, 0xc4, 0x20, 0x00, 0x00, 0x00, /* receive timestamp */
	0x01, 0x02, 0x03, 0x04,                         /* session-sender seq */
	0xe5, 0xa1, 0xb2, 0xc3, 0x80, 0x00, 0x00, 0x00, /* session-sender timestamp */
	0x80, 0x01,                                     /* session-sender error estimate */
	0x00, 0x00,                                     /* MBZ */
	0xfe,                                           /* session-sender TTL */
	0x00, 0x00, 0x00,                               /* MBZ */
};

static const struct probe_stamp_test test_val = {
	.seq = 0x01020304,
	.ts = {0xe5a1b2c3, 0x80000000},
	.err_est = 0x8001,
	.ssid = 0xbeef,
};

static const struct probe_stamp_reply reply_val = {
	.seq = 0x0a0b0c0d,
	.ts = {0xe5a1b2c4, 0x40000000},
	.err_est = 0x0001,
	.ssid = 0xbeef,
	.rx_ts = {0xe5a1b2c4, 0x20000000},
	.sender_seq = 0x01020304,
	.sender_ts = {0xe5a1b2c3, 0x80000000},
	.sender_err_est = 0x8001,
	.sender_ttl = 0xfe,
};

static void test_encode_test_exact(void **state)
{
	uint8_t buf[PROBE_STAMP_MAX_LEN + 8];
	(void)state;

	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(probe_stamp_encode_test(buf, sizeof(buf), 44, &test_val), 44);
	assert_memory_equal(buf, test_pkt, sizeof(test_pkt));
	assert_int_equal(buf[44], 0xaa); /* nothing written past len */

	/* padding is zero and the length is what was asked */
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(probe_stamp_encode_test(buf, sizeof(buf), 100, &test_val), 100);
	assert_memory_equal(buf, test_pkt, sizeof(test_pkt));
	for (size_t i = 44; i < 100; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(buf[100], 0xaa);
	assert_int_equal(probe_stamp_encode_test(buf, sizeof(buf), PROBE_STAMP_MAX_LEN,
						 &test_val),
			 PROBE_STAMP_MAX_LEN);
}

static void test_encode_bounds(void **state)
{
	uint8_t buf[PROBE_STAMP_MAX_LEN + 8];
	(void)state;

	assert_int_equal(probe_stamp_encode_test(buf, sizeof(buf), 43, &test_val), -1);
	assert_int_equal(probe_stamp_encode_test(buf, sizeof(buf), PROBE_STAMP_MAX_LEN + 1,
						 &test_val),
			 -1);
	assert_int_equal(probe_stamp_encode_test(buf, 60, 61, &test_val), -1);
	assert_int_equal(probe_stamp_encode_test(NULL, 100, 44, &test_val), -1);
	assert_int_equal(probe_stamp_encode_reply(buf, sizeof(buf), 43, &reply_val), -1);
	assert_int_equal(probe_stamp_encode_reply(buf, 44, 45, &reply_val), -1);
	assert_int_equal(probe_stamp_encode_reply(buf, sizeof(buf), 44, NULL), -1);
}

static void test_decode_test(void **state)
{
	struct probe_stamp_test t;
	uint8_t buf[200];
	(void)state;

	assert_int_equal(probe_stamp_decode_test(test_pkt, sizeof(test_pkt), &t), 0);
	assert_int_equal(t.seq, test_val.seq);
	assert_int_equal(t.ts.sec, test_val.ts.sec);
	assert_int_equal(t.ts.frac, test_val.ts.frac);
	assert_int_equal(t.err_est, test_val.err_est);
	assert_int_equal(t.ssid, test_val.ssid);

	/* MBZ bytes and padding that are not zero are ignored (TWAMP-Light
	 * senders put their own data there) */
	memset(buf, 0xff, sizeof(buf));
	memcpy(buf, test_pkt, 16);
	assert_int_equal(probe_stamp_decode_test(buf, sizeof(buf), &t), 0);
	assert_int_equal(t.seq, test_val.seq);
	assert_int_equal(t.ssid, 0xbeef);
}

static void test_reply_exact_and_round_trip(void **state)
{
	uint8_t buf[300];
	struct probe_stamp_reply r;
	(void)state;

	assert_int_equal(probe_stamp_encode_reply(buf, sizeof(buf), 44, &reply_val), 44);
	assert_memory_equal(buf, reply_pkt, sizeof(reply_pkt));
	assert_int_equal(probe_stamp_decode_reply(reply_pkt, sizeof(reply_pkt), &r), 0);
	assert_memory_equal(&r.seq, &reply_val.seq, sizeof(r.seq));
	assert_int_equal(r.ts.sec, reply_val.ts.sec);
	assert_int_equal(r.ts.frac, reply_val.ts.frac);
	assert_int_equal(r.err_est, reply_val.err_est);
	assert_int_equal(r.ssid, reply_val.ssid);
	assert_int_equal(r.rx_ts.sec, reply_val.rx_ts.sec);
	assert_int_equal(r.rx_ts.frac, reply_val.rx_ts.frac);
	assert_int_equal(r.sender_seq, reply_val.sender_seq);
	assert_int_equal(r.sender_ts.sec, reply_val.sender_ts.sec);
	assert_int_equal(r.sender_ts.frac, reply_val.sender_ts.frac);
	assert_int_equal(r.sender_err_est, reply_val.sender_err_est);
	assert_int_equal(r.sender_ttl, reply_val.sender_ttl);

	/* with padding: the same fields back */
	assert_int_equal(probe_stamp_encode_reply(buf, sizeof(buf), 300, &reply_val), 300);
	memset(&r, 0, sizeof(r));
	assert_int_equal(probe_stamp_decode_reply(buf, 300, &r), 0);
	assert_int_equal(r.sender_ttl, 0xfe);
	assert_int_equal(r.sender_seq, 0x01020304);
}

static void test_short_and_hostile(void **state)
{
	uint8_t buf[PROBE_STAMP_MAX_LEN];
	struct probe_stamp_test t;
	struct probe_stamp_reply r = reply_val;
	(void)state;

	/* every length below 44 fails, and a failed reply decode leaves the
	 * output untouched */
	for (size_t n = 0; n < PROBE_STAMP_MIN_LEN; n++) {
		assert_int_equal(probe_stamp_decode_test(reply_pkt, n, &t), -1);
		assert_int_equal(probe_stamp_decode_reply(reply_pkt, n, &r), -1);
	}
	assert_int_equal(r.seq, reply_val.seq);
	assert_int_equal(probe_stamp_decode_test(NULL, 44, &t), -1);
	assert_int_equal(probe_stamp_decode_reply(reply_pkt, 44, NULL), -1);
	/* all ones decode to all ones, nothing read past the end */
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(probe_stamp_decode_reply(buf, 44, &r), 0);
	assert_int_equal(r.sender_ttl, 0xff);
	assert_int_equal(r.rx_ts.frac, 0xffffffffu);
}

static void test_ntp_from_timespec(void **state)
{
	struct timespec ts = {0, 0};
	struct probe_ntp n;
	(void)state;

	n = probe_ntp_from_timespec(&ts);
	assert_int_equal(n.sec, 2208988800u); /* RFC 5905 Figure 4: 1970 in NTP */
	assert_int_equal(n.frac, 0);
	ts = (struct timespec){1767225600, 500000000}; /* 2026-01-01T00:00:00.5Z */
	n = probe_ntp_from_timespec(&ts);
	assert_int_equal(n.sec, 0xed003780u);
	assert_int_equal(n.frac, 0x80000000u);
	/* 1 ns = 4.295 units: rounds to 4; the largest nsec never carries */
	ts = (struct timespec){0, 1};
	assert_int_equal(probe_ntp_from_timespec(&ts).frac, 4);
	ts = (struct timespec){0, 999999999};
	n = probe_ntp_from_timespec(&ts);
	assert_int_equal(n.frac, 4294967292u);
	assert_int_equal(n.sec, 2208988800u);
	/* a negative nanosecond field is normalised */
	ts = (struct timespec){10, -1};
	n = probe_ntp_from_timespec(&ts);
	assert_int_equal(n.sec, 2208988809u);
	assert_int_equal(n.frac, 4294967292u);
	/* nanoseconds survive the trip through the fraction: rounding to
	 * nearest both ways (truncation would lose one in about four) */
	for (long ns = 0; ns < 1000000000L; ns += 999983) {
		uint32_t f;
		double back;

		ts = (struct timespec){0, ns};
		f = probe_ntp_from_timespec(&ts).frac;
		back = nearbyint((double)f * 1e9 / 4294967296.0);
		assert_true((long)back == ns);
	}
	assert_int_equal(probe_ntp_from_timespec(NULL).sec, 0);
}

static void test_ntp_era_2036(void **state)
{
	struct timespec ts;
	struct probe_ntp last = {0xffffffffu, 0xffffffffu}, first = {0, 0}, n;
	(void)state;

	/* 2036-02-07T06:28:15Z is the last second of era 0 */
	ts = (struct timespec){2085978495, 0};
	n = probe_ntp_from_timespec(&ts);
	assert_int_equal(n.sec, 0xffffffffu);
	ts = (struct timespec){2085978496, 0};
	n = probe_ntp_from_timespec(&ts);
	assert_int_equal(n.sec, 0); /* wraps into era 1 */
	/* RFC 4330 §3: a clear top bit reads as era 1 */
	assert_true(probe_ntp_to_unix(first) == 2085978496.0);
	assert_true(probe_ntp_to_unix((struct probe_ntp){0xffffffffu, 0}) == 2085978495.0);
	/* a difference across the rollover stays small and exact */
	assert_true(probe_ntp_diff(first, last) == 1.0 / 4294967296.0);
	assert_true(probe_ntp_diff(last, first) == -1.0 / 4294967296.0);
	n = probe_ntp_from_unix(2085978496.25);
	assert_int_equal(n.sec, 0);
	assert_int_equal(n.frac, 0x40000000u);
}

static void test_ntp_unix(void **state)
{
	struct probe_ntp n;
	(void)state;

	assert_true(probe_ntp_to_unix((struct probe_ntp){2208988800u, 0x80000000u}) == 0.5);
	assert_true(probe_ntp_to_unix((struct probe_ntp){0xed003780u, 0}) == 1767225600.0);
	n = probe_ntp_from_unix(1767225600.75);
	assert_int_equal(n.sec, 0xed003780u);
	assert_int_equal(n.frac, 0xc0000000u);
	n = probe_ntp_from_unix(-1.0); /* 1969: still era 0 */
	assert_int_equal(n.sec, 2208988799u);
	assert_int_equal(n.frac, 0);
	/* a fraction that rounds up to a whole second carries */
	n = probe_ntp_from_unix(100.0 + (1.0 - ldexp(1.0, -40)));
	assert_int_equal(n.sec, 2208988901u);
	assert_int_equal(n.frac, 0);
	/* NaN and out of range: the zero ("unknown") timestamp */
	n = probe_ntp_from_unix(NAN);
	assert_int_equal(n.sec, 0);
	assert_int_equal(n.frac, 0);
	n = probe_ntp_from_unix(1e12);
	assert_int_equal(n.sec, 0);
	/* round trip of a realistic time within the double's resolution */
	n = probe_ntp_from_unix(1767225600.123456);
	assert_true(fabs(probe_ntp_to_unix(n) - 1767225600.123456) < 1e-6);
	assert_true(probe_ntp_diff((struct probe_ntp){10, 0x80000000u}, (struct probe_ntp){9, 0}) ==
		    1.5);
}

static void test_err_est(void **state)
{
	(void)state;
	assert_int_equal(probe_stamp_err_est(true, 0.0), 0x8001);
	assert_int_equal(probe_stamp_err_est(false, NAN), 0x0001);
	/* 16 s = 128 * 2^(29 - 32) */
	assert_int_equal(probe_stamp_err_est(false, 16.0), 0x1d80);
	assert_true(probe_stamp_err_secs(0x1d80) == 16.0);
	/* 1 us: 4294.97 units, coarsened to scale 5, multiplier 135 (rounded up) */
	assert_int_equal(probe_stamp_err_est(true, 1e-6), 0x8000 | 5 << 8 | 135);
	assert_true(probe_stamp_err_secs(0x8587) >= 1e-6);
	assert_true(probe_stamp_err_secs(0x8587) < 1.1e-6);
	/* the S and Z bits do not leak into the value */
	assert_true(probe_stamp_err_secs(0xc001) == ldexp(1.0, -32));
}

static void test_reflector_answer(void **state)
{
	uint8_t in[64], out[PROBE_STAMP_MAX_LEN];
	struct probe_ntp rx = {0xe5a1b2c4, 0x20000000}, tx = {0xe5a1b2c4, 0x40000000};
	struct probe_stamp_reply r;
	(void)state;

	memset(in, 0x55, sizeof(in)); /* MBZ and padding not zero: ignored */
	memcpy(in, test_pkt, 16);
	assert_int_equal(probe_reflector_answer(in, sizeof(in), out, sizeof(out), rx, tx, 0x0001,
						0xfe),
			 64);
	assert_int_equal(probe_stamp_decode_reply(out, 64, &r), 0);
	assert_int_equal(r.seq, 0x01020304); /* stateless: the sender's number */
	assert_int_equal(r.sender_seq, 0x01020304);
	assert_int_equal(r.sender_ts.sec, 0xe5a1b2c3);
	assert_int_equal(r.sender_err_est, 0x8001);
	assert_int_equal(r.ssid, 0xbeef);
	assert_int_equal(r.sender_ttl, 0xfe);
	/* with seq copied, the 44 bytes are exactly the hand-made reply but
	 * for the sequence number */
	assert_memory_equal(out + 4, reply_pkt + 4, 40);
	for (size_t i = 44; i < 64; i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(probe_reflector_answer(in, 43, out, sizeof(out), rx, tx, 1, 64), -1);
	assert_int_equal(probe_reflector_answer(in, 64, out, 63, rx, tx, 1, 64), -1);
}

static void test_reflector_parse_addr(void **state)
{
	struct sockaddr_storage ss;
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)&ss;
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&ss;
	static const char *const bad[] = {
		"", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:86x", "host:862",
		"[::1", "[::1]x", "[::1]:", "[1.2.3.4]:862", "1.2.3.4.5", "[]:862",
		"2001:db8::1:862:1:2:3:4:5",
	};
	(void)state;

	assert_int_equal(probe_reflector_parse_addr("192.0.2.1", 862, &ss), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(v4->sin_port), 862);
	assert_int_equal(ntohl(v4->sin_addr.s_addr), 0xc0000201u);
	assert_int_equal(probe_reflector_parse_addr("127.0.0.1:4862", 862, &ss), 0);
	assert_int_equal(ntohs(v4->sin_port), 4862);
	assert_int_equal(probe_reflector_parse_addr("[2001:db8::1]:9", 862, &ss), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(ntohs(v6->sin6_port), 9);
	assert_int_equal(v6->sin6_addr.s6_addr[15], 1);
	assert_int_equal(probe_reflector_parse_addr("[::]", 862, &ss), 0);
	assert_int_equal(ntohs(v6->sin6_port), 862);
	assert_int_equal(probe_reflector_parse_addr("2001:db8::2", 862, &ss), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(ntohs(v6->sin6_port), 862);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(probe_reflector_parse_addr(bad[i], 862, &ss), -1);
	assert_int_equal(probe_reflector_parse_addr(NULL, 862, &ss), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_test_exact),
		cmocka_unit_test(test_encode_bounds),
		cmocka_unit_test(test_decode_test),
		cmocka_unit_test(test_reply_exact_and_round_trip),
		cmocka_unit_test(test_short_and_hostile),
		cmocka_unit_test(test_ntp_from_timespec),
		cmocka_unit_test(test_ntp_era_2036),
		cmocka_unit_test(test_ntp_unix),
		cmocka_unit_test(test_err_est),
		cmocka_unit_test(test_reflector_answer),
		cmocka_unit_test(test_reflector_parse_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
