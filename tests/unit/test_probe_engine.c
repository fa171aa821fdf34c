/* test_probe_engine.c — the probe engine's pure parts (the scheduler heap
 * against a sorted reference, the jittered interval, the ICMP codec with
 * hostile and truncated input) and the engine itself on loopback: TCP
 * connect and refused, STAMP against the in-process reflector, a STAMP
 * port nobody listens on (ICMP port unreachable through the error queue),
 * ICMP echo when the process may open an ICMP socket, someone else's ping
 * on a raw socket, a missing interface, removal of a target. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cmocka.h>

#include "engine.h"
#include "icmp.h"
#include "reflector.h"
#include "sched.h"

/* ---- scheduler ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void test_sched_order(void **state)
{
	enum { N = 5000 };
	struct probe_sched *s = probe_sched_new();
	static double when[N], sorted[N];
	uint64_t rng = 42;
	uint32_t id;
	double w, prev = -1;

	(void)state;
	assert_non_null(s);
	for (uint32_t i = 0; i < N; i++) {
		when[i] = probe_sched_random(&rng) * 100;
		assert_int_equal(probe_sched_set(s, i, when[i]), 0);
	}
	/* move a third of them, remove every tenth */
	for (uint32_t i = 0; i < N; i += 3) {
		when[i] = probe_sched_random(&rng) * 100;
		assert_int_equal(probe_sched_set(s, i, when[i]), 0);
	}
	size_t n = 0;
	for (uint32_t i = 0; i < N; i++) {
		if (i % 10 == 0)
			probe_sched_remove(s, i);
		else
			sorted[n++] = when[i];
	}
	probe_sched_remove(s, 0); /* twice: no-op */
	probe_sched_remove(s, N + 7); /* never scheduled */
	assert_int_equal(probe_sched_len(s), n);
	qsort(sorted, n, sizeof(double), cmp_double);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(probe_sched_pop_due(s, 1000, &id, &w), 0);
		assert_true(w == sorted[i]);
		assert_true(w == when[id]);
		assert_true(id % 10 != 0);
		assert_true(w >= prev);
		prev = w;
	}
	assert_int_equal(probe_sched_pop_due(s, 1000, &id, &w), -1);
	assert_int_equal(probe_sched_peek(s, &id, &w), -1);
	probe_sched_free(s);
}

static void test_sched_due(void **state)
{
	struct probe_sched *s = probe_sched_new();
	uint32_t id;
	double w;

	(void)state;
	assert_int_equal(probe_sched_set(s, 3, 5.0), 0);
	assert_int_equal(probe_sched_set(s, 1, 2.0), 0);
	assert_int_equal(probe_sched_set(s, 2, 2.0), 0);
	assert_int_equal(probe_sched_pop_due(s, 1.9, &id, &w), -1);
	assert_int_equal(probe_sched_pop_due(s, 2.0, &id, &w), 0);
	assert_int_equal(id, 1); /* ties by id */
	assert_int_equal(probe_sched_pop_due(s, 2.0, &id, &w), 0);
	assert_int_equal(id, 2);
	assert_int_equal(probe_sched_pop_due(s, 4.0, &id, &w), -1);
	assert_int_equal(probe_sched_set(s, 3, 1.0), 0); /* moved earlier */
	assert_int_equal(probe_sched_peek(s, &id, &w), 0);
	assert_true(w == 1.0);
	assert_int_equal(probe_sched_set(s, PROBE_SCHED_MAX_IDS, 1.0), -1);
	probe_sched_free(s);
	probe_sched_free(NULL);
}

static void test_sched_interval(void **state)
{
	uint64_t rng = 7;
	double sum = 0, lo = 1e9, hi = 0;

	(void)state;
	assert_true(probe_sched_interval(1000, 0, &rng) == 1.0);
	for (int i = 0; i < 100000; i++) {
		double v = probe_sched_interval(1000, 10, &rng);

		sum += v;
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	assert_true(lo >= 0.9 && hi < 1.1);
	assert_true(lo < 0.901 && hi > 1.099); /* the whole range is used */
	assert_true(fabs(sum / 100000 - 1.0) < 0.002);
}

/* ---- ICMP codec ------------------------------------------------------------ */

static const struct probe_icmp_tag TAG = {.tidx = 7, .tuid = 0x01020304, .tseq = 0x10002};

static void test_icmp_encode(void **state)
{
	uint8_t buf[128];
	int n;

	(void)state;
	n = probe_icmp_encode_echo(buf, sizeof(buf), false, 0xabcd, 2, &TAG, 56);
	assert_int_equal(n, 64);
	assert_int_equal(buf[0], 8);
	assert_int_equal(buf[4] << 8 | buf[5], 0xabcd);
	assert_int_equal(buf[6] << 8 | buf[7], 2);
	assert_memory_equal(buf + 8, "CWP1", 4);
	assert_int_equal(probe_inet_checksum(buf, 64), 0); /* RFC 1071: sums to all ones */
	n = probe_icmp_encode_echo(buf, sizeof(buf), true, 1, 2, &TAG, 16);
	assert_int_equal(n, 24);
	assert_int_equal(buf[0], 128);
	assert_int_equal(buf[2] | buf[3], 0); /* the kernel's job on ICMPv6 */
	assert_int_equal(probe_icmp_encode_echo(buf, sizeof(buf), false, 1, 2, &TAG, 15), -1);
	assert_int_equal(probe_icmp_encode_echo(buf, 30, false, 1, 2, &TAG, 56), -1);
}

static size_t v4_header(uint8_t *p, uint8_t proto, const uint8_t dst[4])
{
	memset(p, 0, 20);
	p[0] = 0x45;
	p[9] = proto;
	memcpy(p + 16, dst, 4);
	return 20;
}

static void test_icmp_parse_reply(void **state)
{
	uint8_t buf[128], ip[148];
	struct probe_icmp_msg m;
	const uint8_t dst[4] = {198, 18, 0, 1};
	int n = probe_icmp_encode_echo(buf, sizeof(buf), false, 9, 2, &TAG, 56);

	(void)state;
	buf[0] = 0; /* echo reply */
	assert_int_equal(probe_icmp_parse(buf, (size_t)n, false, false, &m), 0);
	assert_int_equal(m.kind, PROBE_ICMP_ECHO_REPLY);
	assert_int_equal(m.id, 9);
	assert_int_equal(m.seq, 2);
	assert_true(m.tagged);
	assert_int_equal(m.tag.tidx, 7);
	assert_int_equal(m.tag.tuid, 0x01020304);
	assert_int_equal(m.tag.tseq, 0x10002);
	/* raw IPv4 socket: with the IP header */
	memcpy(ip + v4_header(ip, 1, dst), buf, (size_t)n);
	assert_int_equal(probe_icmp_parse(ip, (size_t)n + 20, false, true, &m), 0);
	assert_true(m.tagged && m.kind == PROBE_ICMP_ECHO_REPLY);
	/* someone else's ping: no tag */
	memset(buf + 8, 'x', 16);
	assert_int_equal(probe_icmp_parse(buf, (size_t)n, false, false, &m), 0);
	assert_false(m.tagged);
	/* an IHL below 5 words, and a version that is not 4 */
	ip[0] = 0x44;
	assert_int_equal(probe_icmp_parse(ip, (size_t)n + 20, false, true, &m), -1);
	ip[0] = 0x65;
	assert_int_equal(probe_icmp_parse(ip, (size_t)n + 20, false, true, &m), -1);
	/* an echo request is not for us */
	n = probe_icmp_encode_echo(buf, sizeof(buf), false, 9, 2, &TAG, 56);
	assert_int_equal(probe_icmp_parse(buf, (size_t)n, false, false, &m), 0);
	assert_int_equal(m.kind, PROBE_ICMP_OTHER);
}

/* ICMP error: type/code, 4 unused bytes, the quoted IP header and echo. */
static size_t v4_error(uint8_t *p, uint8_t type, const uint8_t dst[4], size_t quote)
{
	uint8_t req[64];
	size_t n = 8;
	int r = probe_icmp_encode_echo(req, sizeof(req), false, 9, 2, &TAG, 16);

	memset(p, 0, 8);
	p[0] = type;
	p[1] = 1;
	n += v4_header(p + 8, 1, dst);
	memcpy(p + n, req, quote < (size_t)r ? quote : (size_t)r);
	return n + (quote < (size_t)r ? quote : (size_t)r);
}

static void test_icmp_parse_errors(void **state)
{
	uint8_t buf[256], ip[300];
	struct probe_icmp_msg m;
	const uint8_t dst[4] = {198, 18, 0, 1};
	size_t n = v4_error(buf, 3, dst, 64);

	(void)state;
	assert_int_equal(probe_icmp_parse(buf, n, false, false, &m), 0);
	assert_int_equal(m.kind, PROBE_ICMP_ERROR);
	assert_int_equal(m.error, PROBE_ICMP_ERR_UNREACHABLE);
	assert_true(m.tagged && m.tag.tseq == TAG.tseq && m.has_dst);
	assert_memory_equal(m.dst, dst, 4);
	n = v4_error(buf, 11, dst, 64);
	memcpy(ip + v4_header(ip, 1, dst), buf, n);
	assert_int_equal(probe_icmp_parse(ip, n + 20, false, true, &m), 0);
	assert_int_equal(m.error, PROBE_ICMP_ERR_TIME_EXCEEDED);
	/* RFC 792's minimum quote: 8 bytes of our request, no tag */
	n = v4_error(buf, 3, dst, 8);
	assert_int_equal(probe_icmp_parse(buf, n, false, false, &m), 0);
	assert_int_equal(m.kind, PROBE_ICMP_ERROR);
	assert_false(m.tagged);
	/* an error about a UDP packet is someone else's */
	n = v4_error(buf, 3, dst, 64);
	buf[8 + 9] = 17;
	assert_int_equal(probe_icmp_parse(buf, n, false, false, &m), 0);
	assert_int_equal(m.kind, PROBE_ICMP_OTHER);
	/* every truncation is rejected or harmless */
	n = v4_error(buf, 3, dst, 64);
	for (size_t len = 0; len < n; len++) {
		int rc = probe_icmp_parse(buf, len, false, false, &m);

		assert_true(rc == -1 || !m.tagged || len >= 8 + 20 + 24);
	}
}

static void test_icmp_parse_v6(void **state)
{
	uint8_t buf[256], req[64];
	struct probe_icmp_msg m;
	int r = probe_icmp_encode_echo(req, sizeof(req), true, 9, 2, &TAG, 16);
	uint16_t id, seq;
	bool tagged;
	struct probe_icmp_tag tag;

	(void)state;
	/* an echo reply */
	memcpy(buf, req, (size_t)r);
	buf[0] = 129;
	assert_int_equal(probe_icmp_parse(buf, (size_t)r, true, false, &m), 0);
	assert_true(m.kind == PROBE_ICMP_ECHO_REPLY && m.tagged);
	/* destination unreachable quoting an IPv6 header and our request */
	memset(buf, 0, sizeof(buf));
	buf[0] = 1;
	buf[8] = 0x60;
	buf[8 + 6] = 58;
	buf[8 + 24] = 0x20;
	buf[8 + 25] = 0x01;
	memcpy(buf + 48, req, (size_t)r);
	assert_int_equal(probe_icmp_parse(buf, 48 + (size_t)r, true, false, &m), 0);
	assert_int_equal(m.kind, PROBE_ICMP_ERROR);
	assert_int_equal(m.error, PROBE_ICMP_ERR_UNREACHABLE);
	assert_true(m.tagged && m.dst[0] == 0x20 && m.dst[1] == 0x01);
	/* packet too big, neighbour solicitation */
	buf[0] = 2;
	assert_int_equal(probe_icmp_parse(buf, 48 + (size_t)r, true, false, &m), 0);
	assert_int_equal(m.error, PROBE_ICMP_ERR_OTHER);
	buf[0] = 135;
	assert_int_equal(probe_icmp_parse(buf, 48 + (size_t)r, true, false, &m), 0);
	assert_int_equal(m.kind, PROBE_ICMP_OTHER);
	/* the error queue's quote of our own request */
	assert_int_equal(probe_icmp_parse_request(req, (size_t)r, true, &id, &seq, &tagged, &tag), 0);
	assert_true(tagged && tag.tidx == 7 && seq == 2);
	assert_int_equal(probe_icmp_parse_request(req, 7, true, &id, &seq, &tagged, &tag), -1);
	assert_int_equal(probe_icmp_parse_request(req, (size_t)r, false, &id, &seq, &tagged, &tag), -1);
}

/* ---- the engine on loopback ------------------------------------------------ */

struct run {
	uv_loop_t loop;
	uv_timer_t stop, tick;
	struct probe_engine *e;
	unsigned rtts;
};

static void on_stop(uv_timer_t *t)
{
	uv_stop(t->loop);
}

static void on_tick(uv_timer_t *t)
{
	struct run *r = t->data;

	probe_engine_expire(r->e);
}

static void count_rtt(void *user, double rtt)
{
	struct run *r = user;

	assert_true(rtt >= 0 && rtt < 1.0);
	r->rtts++;
}

static void run_for(struct run *r, uint64_t ms)
{
	uv_timer_start(&r->stop, on_stop, ms, 0);
	uv_timer_start(&r->tick, on_tick, 100, 100);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	uv_timer_stop(&r->tick);
}

static void run_init_with(struct run *r, enum cfg_icmp_socket icmp)
{
	struct probe_engine_opts o = {.icmp_socket = icmp, .loss_window = 100,
				      .spread_percent = 10, .seed = 1, .on_rtt = count_rtt};

	memset(r, 0, sizeof(*r));
	assert_int_equal(uv_loop_init(&r->loop), 0);
	uv_timer_init(&r->loop, &r->stop);
	uv_timer_init(&r->loop, &r->tick);
	r->tick.data = r;
	r->e = probe_engine_new(&r->loop, NULL, &o);
	assert_non_null(r->e);
}

static void run_init(struct run *r)
{
	run_init_with(r, CFG_ICMP_AUTO);
}

static void close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void run_clean(struct run *r)
{
	probe_engine_free(r->e);
	uv_walk(&r->loop, close_walk, NULL);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&r->loop), 0);
}

static struct cfg_probe probe(enum cfg_probe_type type, const char *addr, uint16_t port)
{
	struct cfg_probe p = {.name = "p", .type = type, .target = (char *)addr, .port = port,
			      .interval_ms = 100, .timeout_ms = 500,
			      .size = type == CFG_PROBE_STAMP ? 44 : type == CFG_PROBE_ICMP ? 56 : 0};

	p.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(p.family, addr, p.addr), 1);
	return p;
}

/* A bound socket on 127.0.0.1 and its port (TCP listening, or UDP). */
static int local_socket(int type, uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, type, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 128), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void test_engine_tcp(void **state)
{
	struct run r;
	uint16_t open_port, closed_port;
	int lfd = local_socket(SOCK_STREAM, &open_port);
	int cfd = local_socket(SOCK_STREAM, &closed_port);
	struct cfg_probe po = probe(CFG_PROBE_TCP, "127.0.0.1", open_port);
	struct cfg_probe pc = probe(CFG_PROBE_TCP, "127.0.0.1", closed_port);
	struct probe_target *to, *tc;
	struct probe_target_view v;

	(void)state;
	close(cfd); /* nobody listens there now: RST */
	run_init(&r);
	assert_non_null(to = probe_engine_add(r.e, &po, NULL, &r));
	assert_non_null(tc = probe_engine_add(r.e, &pc, NULL, &r));
	run_for(&r, 1200);
	probe_target_get(to, &v);
	assert_true(v.st.sent >= 5);
	assert_true(v.st.received + 1 >= v.st.sent); /* the last may be in flight */
	assert_int_equal(v.st.lost, 0);
	assert_true(v.up);
	assert_int_equal(v.err[PROBE_ERR_REFUSED], 0);
	probe_target_get(tc, &v);
	assert_true(v.st.sent >= 5);
	assert_true(v.st.received + 1 >= v.st.sent); /* a RST is an answer ... */
	assert_int_equal(v.err[PROBE_ERR_REFUSED], v.st.received); /* ... counted as refused */
	assert_true(r.rtts >= 10);
	/* a removed target's table slot is reused by the next one, which
	 * starts from zero */
	probe_engine_remove(r.e, tc);
	assert_non_null(tc = probe_engine_add(r.e, &po, NULL, &r));
	run_for(&r, 500);
	probe_target_get(tc, &v);
	assert_true(v.st.sent >= 2 && v.st.sent <= 8);
	assert_true(v.st.received + 1 >= v.st.sent);
	assert_int_equal(v.err[PROBE_ERR_REFUSED], 0);
	run_clean(&r);
	close(lfd);
}

static void test_engine_stamp(void **state)
{
	struct run r;
	struct probe_reflector_opts ro = {0};
	struct probe_reflector *refl;
	struct sockaddr_in *a = (struct sockaddr_in *)&ro.addr;
	uint16_t port, dead_port;
	int ufd = local_socket(SOCK_DGRAM, &port), dfd = local_socket(SOCK_DGRAM, &dead_port);
	struct probe_target *t, *dead;
	struct probe_target_view v;
	struct cfg_probe p, pd;

	(void)state;
	close(ufd); /* the reflector binds the port just freed */
	close(dfd); /* and this one stays closed: ICMP port unreachable */
	run_init(&r);
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	refl = probe_reflector_new(&r.loop, &ro, NULL);
	assert_non_null(refl);
	p = probe(CFG_PROBE_STAMP, "127.0.0.1", port);
	p.size = 100;
	pd = probe(CFG_PROBE_STAMP, "127.0.0.1", dead_port);
	assert_non_null(t = probe_engine_add(r.e, &p, NULL, &r));
	assert_non_null(dead = probe_engine_add(r.e, &pd, NULL, &r));
	run_for(&r, 1200);
	probe_target_get(t, &v);
	assert_true(v.st.sent >= 5);
	assert_true(v.st.received + 1 >= v.st.sent);
	assert_true(v.st.last >= 0 && v.st.last < 0.1);
	assert_true(v.residence >= 0 && v.residence < 0.1);
	assert_int_equal(probe_reflector_get(refl).received, v.st.sent);
	probe_target_get(dead, &v);
	assert_true(v.st.sent >= 5);
	assert_int_equal(v.st.received, 0);
	assert_int_equal(v.err[PROBE_ERR_UNREACHABLE], v.st.sent);
	assert_int_equal(v.st.lost, v.st.sent);
	assert_false(v.up);
	/* an update in place: new DSCP (socket reopened), interval and ring;
	 * the statistics go on */
	probe_target_get(t, &v);
	uint64_t sent = v.st.sent, received = v.st.received;
	p.dscp = 46;
	p.interval_ms = 150;
	p.timeout_ms = 2000;
	assert_int_equal(probe_engine_update(r.e, t, &p), 0);
	run_for(&r, 800);
	probe_target_get(t, &v);
	assert_true(v.st.sent >= sent + 3);
	assert_true(v.st.received >= received + 3);
	assert_true(v.st.lost <= 1); /* one in flight at the swap of rings may be */
	probe_reflector_close(refl);
	run_clean(&r);
	probe_reflector_free(refl);
}

static void test_engine_icmp(void **state)
{
	struct run r;
	struct cfg_probe p = probe(CFG_PROBE_ICMP, "127.0.0.1", 0);
	struct cfg_probe p6 = probe(CFG_PROBE_ICMP, "::1", 0);
	struct cfg_probe pbad = probe(CFG_PROBE_ICMP, "127.0.0.1", 0);
	struct probe_target *t, *t6, *tbad;
	struct probe_target_view v;
	int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);

	(void)state;
	if (fd < 0 && (fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)) < 0)
		skip(); /* neither ping_group_range nor CAP_NET_RAW */
	close(fd);
	run_init(&r);
	pbad.interface = "cwnosuchif0";
	assert_non_null(t = probe_engine_add(r.e, &p, NULL, &r));
	assert_non_null(t6 = probe_engine_add(r.e, &p6, NULL, &r));
	assert_non_null(tbad = probe_engine_add(r.e, &pbad, NULL, &r));
	run_for(&r, 1200);
	probe_target_get(t, &v);
	assert_true(v.st.sent >= 5);
	assert_true(v.st.received + 1 >= v.st.sent);
	assert_true(v.up);
	probe_target_get(t6, &v);
	assert_true(v.st.sent >= 5);
	assert_true(v.st.received + 1 >= v.st.sent);
	/* a missing interface: every probe an error, nothing crashes */
	probe_target_get(tbad, &v);
	assert_true(v.st.sent >= 5);
	assert_int_equal(v.err[PROBE_ERR_INTERFACE], v.st.sent);
	assert_int_equal(v.st.received, 0);
	run_clean(&r);
}

/* On a raw socket the engine sees every echo reply of the host: someone
 * else's ping is counted as not ours and changes no target. */
static void test_engine_icmp_raw_foreign(void **state)
{
	struct run r;
	struct cfg_probe p = probe(CFG_PROBE_ICMP, "127.0.0.1", 0);
	struct sockaddr_in lo = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	uint8_t req[64] = {8, 0, 0, 0, 0x12, 0x34, 0, 1, 'n', 'o', 't', ' ', 'u', 's'};
	struct probe_target *t;
	struct probe_target_view v;
	uint16_t sum;
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);

	(void)state;
	if (fd < 0)
		skip(); /* no CAP_NET_RAW */
	sum = probe_inet_checksum(req, sizeof(req));
	req[2] = (uint8_t)(sum >> 8);
	req[3] = (uint8_t)sum;
	run_init_with(&r, CFG_ICMP_RAW);
	assert_non_null(t = probe_engine_add(r.e, &p, NULL, &r));
	run_for(&r, 300);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sendto(fd, req, sizeof(req), 0, (struct sockaddr *)&lo, sizeof(lo)),
				 sizeof(req));
	run_for(&r, 500);
	close(fd);
	assert_true(probe_engine_unexpected(r.e, CFG_PROBE_ICMP, PROBE_UNX_NOT_OURS) >= 5);
	probe_target_get(t, &v);
	assert_true(v.st.sent >= 5);
	assert_int_equal(v.st.duplicates + v.st.unknown + v.st.late, 0);
	run_clean(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sched_order),
		cmocka_unit_test(test_sched_due),
		cmocka_unit_test(test_sched_interval),
		cmocka_unit_test(test_icmp_encode),
		cmocka_unit_test(test_icmp_parse_reply),
		cmocka_unit_test(test_icmp_parse_errors),
		cmocka_unit_test(test_icmp_parse_v6),
		cmocka_unit_test(test_engine_tcp),
		cmocka_unit_test(test_engine_stamp),
		cmocka_unit_test(test_engine_icmp),
		cmocka_unit_test(test_engine_icmp_raw_foreign),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
