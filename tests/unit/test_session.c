/* test_session.c — BMP byte streams applied to the model: messages split
 * across reads, Peer Up capabilities deciding ADD-PATH, Route Monitoring
 * without a Peer Up, Peer Down, Termination and lost framing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "model.h"
#include "session.h"
#include "wire_build.h"

/* ---- test streams (built with tests/tools/wire_build.h) ---- */

/* Per-peer header for IPv4 peer 198.18.1.2 AS as; flags as given. */
static void peer_hdr_as(struct wb *b, unsigned flags, uint32_t as)
{
	static const uint8_t addr[16] = {[12] = 198, [13] = 18, [14] = 1, [15] = 2};

	wb_put8(b, 0);
	wb_put8(b, flags);
	wb_put32(b, 0);
	wb_put32(b, 0);
	wb_put_mem(b, addr, 16);
	wb_put32(b, as);
	wb_put32(b, 0xc6120102);
	wb_put32(b, 1700000000);
	wb_put32(b, 0);
}

/* The same for AS 65002. */
static void peer_hdr(struct wb *b, unsigned flags)
{
	peer_hdr_as(b, flags, 65002);
}

/* OPEN with MP IPv4 unicast, 4-octet AS, and ADD-PATH IPv4 unicast with
 * the given send/receive value (0: no ADD-PATH capability). */
static void open_msg(struct wb *b, uint32_t as, unsigned addpath)
{
	size_t at = wb_bgp_begin(b, 1), plen;

	wb_put8(b, 4);
	wb_put16(b, 23456);
	wb_put16(b, 90);
	wb_put32(b, as);
	plen = b->len;
	wb_put8(b, 0);
	wb_put8(b, 2); /* capabilities parameter */
	wb_put8(b, addpath ? 18 : 12);
	/* MP IPv4 unicast */
	wb_put8(b, 1), wb_put8(b, 4), wb_put16(b, 1), wb_put8(b, 0), wb_put8(b, 1);
	wb_put8(b, 65), wb_put8(b, 4), wb_put32(b, as); /* 4-octet AS */
	if (addpath)
		wb_put8(b, 69), wb_put8(b, 4), wb_put16(b, 1), wb_put8(b, 1), wb_put8(b, addpath);
	b->p[plen] = (uint8_t)(b->len - plen - 1);
	wb_bgp_end(b, at);
}

static void peer_up(struct wb *b, unsigned sent_addpath, unsigned recv_addpath)
{
	size_t at = wb_bmp_begin(b, 3);
	static const uint8_t local[16] = {[12] = 198, [13] = 18, [14] = 1, [15] = 1};

	peer_hdr(b, 0);
	wb_put_mem(b, local, 16);
	wb_put16(b, 179);
	wb_put16(b, 40000);
	open_msg(b, 65001, sent_addpath); /* the router's */
	open_msg(b, 65002, recv_addpath); /* the peer's */
	wb_bmp_end(b, at);
}

/* Route Monitoring of one UPDATE announcing n /24s from 203.0.x.0 (path
 * ids 1..n when addpath), or withdrawing them when withdraw, from the
 * peer with AS as. */
static void route_mon_as(struct wb *b, unsigned n, bool addpath, bool withdraw, unsigned flags,
			 uint32_t as)
{
	size_t at = wb_bmp_begin(b, 0), bat, wl, al;

	peer_hdr_as(b, flags, as);
	bat = wb_bgp_begin(b, 2);
	wl = b->len;
	wb_put16(b, 0);
	for (unsigned i = 0; withdraw && i < n; i++) {
		if (addpath)
			wb_put32(b, i + 1);
		wb_put8(b, 24), wb_put8(b, 203), wb_put8(b, 0), wb_put8(b, i);
	}
	wb_set16(b, wl, b->len - wl - 2);
	al = b->len;
	wb_put16(b, 0);
	if (!withdraw) {
		/* ORIGIN IGP */
		wb_put8(b, 0x40), wb_put8(b, 1), wb_put8(b, 1), wb_put8(b, 0);
		/* AS_PATH: AS_SEQUENCE 65002 */
		wb_put8(b, 0x40), wb_put8(b, 2), wb_put8(b, 6);
		wb_put8(b, 2), wb_put8(b, 1), wb_put32(b, 65002);
		/* NEXT_HOP */
		wb_put8(b, 0x40), wb_put8(b, 3), wb_put8(b, 4), wb_put32(b, 0xc6120102);
	}
	wb_set16(b, al, b->len - al - 2);
	for (unsigned i = 0; !withdraw && i < n; i++) {
		if (addpath)
			wb_put32(b, i + 1);
		wb_put8(b, 24), wb_put8(b, 203), wb_put8(b, 0), wb_put8(b, i);
	}
	wb_bgp_end(b, bat);
	wb_bmp_end(b, at);
}

static void route_mon(struct wb *b, unsigned n, bool addpath, bool withdraw, unsigned flags)
{
	route_mon_as(b, n, addpath, withdraw, flags, 65002);
}

static void peer_down_notification(struct wb *b)
{
	size_t at = wb_bmp_begin(b, 2), nat;

	peer_hdr(b, 0);
	wb_put8(b, 1); /* local system closed, NOTIFICATION follows */
	nat = wb_bgp_begin(b, 3);
	wb_put8(b, 6), wb_put8(b, 2); /* Cease / Administrative Shutdown */
	wb_bgp_end(b, nat);
	wb_bmp_end(b, at);
}

static void initiation(struct wb *b)
{
	size_t at = wb_bmp_begin(b, 4);

	wb_put16(b, 2), wb_put16(b, 5), wb_put_mem(b, "edge1", 5);
	wb_put16(b, 1), wb_put16(b, 3), wb_put_mem(b, "FRR", 3);
	wb_bmp_end(b, at);
}


/* Route Monitoring of n /24s with ORIGIN and AS_PATH but no NEXT_HOP, as
 * some routers send their own views. */
static void route_mon_no_nexthop(struct wb *b, unsigned n, unsigned flags)
{
	size_t at = wb_bmp_begin(b, 0), bat, al;

	peer_hdr(b, flags);
	bat = wb_bgp_begin(b, 2);
	wb_put16(b, 0);
	al = b->len;
	wb_put16(b, 0);
	wb_put8(b, 0x40), wb_put8(b, 1), wb_put8(b, 1), wb_put8(b, 0);
	wb_put8(b, 0x40), wb_put8(b, 2), wb_put8(b, 6), wb_put8(b, 2), wb_put8(b, 1);
	wb_put32(b, 65002);
	wb_set16(b, al, b->len - al - 2);
	for (unsigned i = 0; i < n; i++)
		wb_put8(b, 24), wb_put8(b, 203), wb_put8(b, 0), wb_put8(b, i);
	wb_bgp_end(b, bat);
	wb_bmp_end(b, at);
}


/* Loc-RIB Route Monitoring (RFC 9069 peer type 3) of one IPv6 /48 in an
 * MP_REACH whose next-hop length is 0, as IOS XR sends its Loc-RIB. */
static void locrib_mp_reach_no_nexthop(struct wb *b)
{
	size_t at = wb_bmp_begin(b, 0), bat, al, ml;

	wb_put8(b, 3);          /* Loc-RIB instance */
	wb_put8(b, 0);
	wb_put_fill(b, 0, 8 + 16);
	wb_put32(b, 65001);
	wb_put32(b, 0xc6120101);
	wb_put32(b, 1700000000);
	wb_put32(b, 0);
	bat = wb_bgp_begin(b, 2);
	wb_put16(b, 0);
	al = b->len;
	wb_put16(b, 0);
	wb_put8(b, 0x40), wb_put8(b, 1), wb_put8(b, 1), wb_put8(b, 0);
	wb_put8(b, 0x40), wb_put8(b, 2), wb_put8(b, 0); /* empty AS_PATH: local route */
	wb_put8(b, 0x80), wb_put8(b, 14);
	ml = b->len;
	wb_put8(b, 0);
	wb_put16(b, 2), wb_put8(b, 1); /* IPv6 unicast */
	wb_put8(b, 0);                 /* next-hop length 0 */
	wb_put8(b, 0);                 /* reserved */
	wb_put8(b, 48), wb_put16(b, 0x2001), wb_put16(b, 0x0db8), wb_put16(b, 0x0077);
	b->p[ml] = (uint8_t)(b->len - ml - 1);
	wb_set16(b, al, b->len - al - 2);
	wb_bgp_end(b, bat);
	wb_bmp_end(b, at);
}

/* ---- fixture ---- */

struct fx {
	struct metrics_registry *reg;
	struct model *m;
	struct model_router *r;
	struct bmp_session *s;
	struct model_peer *p;
	struct wb in;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct model_peer_key k = {.family = 4, .addr = {198, 18, 1, 2}};

	assert_non_null(f);
	f->reg = metrics_registry_new();
	f->m = model_new(f->reg);
	f->r = model_router_get(f->m, MODEL_SRC_BMP, "127.0.0.1");
	f->s = bmp_session_new(f->m, f->r);
	assert_non_null(f->s);
	f->p = model_peer_get(f->m, f->r, &k, 65002, 0xc6120102);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	wb_free(&f->in);
	bmp_session_free(f->s);
	model_free(f->m);
	metrics_registry_free(f->reg);
	free(f);
	return 0;
}

/* Feeds the stream in chunks of `chunk` bytes as a socket would, keeping
 * unconsumed bytes like the listener does. Returns the last status. */
static int feed(struct fx *f, size_t chunk)
{
	uint8_t *pending = malloc(f->in.len);
	size_t have = 0, off = 0;
	int status = 0;

	assert_non_null(pending);
	while (off < f->in.len && status == 0) {
		size_t n = f->in.len - off < chunk ? f->in.len - off : chunk;
		size_t used;

		memcpy(pending + have, f->in.p + off, n);
		have += n;
		off += n;
		used = bmp_session_feed(f->s, pending, have, 1u << 20, 1.0, &status);
		memmove(pending, pending + used, have - used);
		have -= used;
	}
	free(pending);
	return status;
}

static size_t pre4(struct fx *f)
{
	return model_prefix_count(f->p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST);
}

static void test_split_reads_same_result(void **state)
{
	struct fx *f = *state;
	static const size_t chunks[] = {1, 2, 3, 7, 19, 64, 1000, 65536};

	initiation(&f->in);
	peer_up(&f->in, 0, 0);
	route_mon(&f->in, 10, false, false, 0);
	route_mon(&f->in, 3, false, true, 0);
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		assert_int_equal(feed(f, chunks[i]), 0);
		assert_true(model_peer_is_up(f->p));
		assert_int_equal(pre4(f), 7);
	}
}

/* The listener's unit of work between looks at the clock: at most max_msgs
 * messages applied, the rest left in the stream for the next call. */
static void test_feed_some_stops_at_max(void **state)
{
	struct fx *f = *state;
	size_t used, n = 0;
	int status = -2;

	initiation(&f->in);
	peer_up(&f->in, 0, 0);
	route_mon(&f->in, 1, false, false, 0);
	route_mon(&f->in, 2, false, false, 0);
	route_mon(&f->in, 3, false, false, 0);
	used = bmp_session_feed_some(f->s, f->in.p, f->in.len, 1u << 20, 1.0, 3, &n, &status);
	assert_int_equal(n, 3);
	assert_int_equal(status, 0);
	assert_int_equal(pre4(f), 1);
	used += bmp_session_feed_some(f->s, f->in.p + used, f->in.len - used, 1u << 20, 1.0, 1,
				      &n, &status);
	assert_int_equal(n, 1);
	assert_int_equal(pre4(f), 2);
	used += bmp_session_feed_some(f->s, f->in.p + used, f->in.len - used, 1u << 20, 1.0, 16,
				      &n, &status);
	assert_int_equal(n, 1); /* what was left */
	assert_int_equal(status, 0);
	assert_int_equal(used, f->in.len);
	assert_int_equal(pre4(f), 3);
}

/* Whether a published series of family carries label (`key="value"`). */
static bool published(struct fx *f, const char *family, const char *label)
{
	struct metrics_snapshot *snap;
	bool found = false;

	model_publish(f->m);
	snap = metrics_snapshot_take(f->reg);
	assert_non_null(snap);
	for (size_t i = 0; i < snap->nfamilies; i++) {
		const struct metrics_snap_family *fam = &snap->families[i];

		for (size_t j = 0; strcmp(fam->name, family) == 0 && j < fam->nseries; j++)
			found = found || strstr(fam->series[j].labels, label) != NULL;
	}
	metrics_snapshot_free(f->reg, snap);
	return found;
}

/* Issue 14: within one feed, peers are looked up once per per-peer header;
 * a peer that moves to another AS and back ends on the AS its last
 * message gave, as it does one message at a time, and the routes of all
 * three messages (queued in one batch) are applied. */
static void test_feed_peer_as_back_and_forth(void **state)
{
	struct fx *f = *state;

	initiation(&f->in);
	peer_up(&f->in, 0, 0);
	route_mon_as(&f->in, 1, false, false, 0, 65002);
	route_mon_as(&f->in, 2, false, false, 0, 65003);
	route_mon_as(&f->in, 3, false, false, 0, 65002);
	assert_int_equal(feed(f, 65536), 0);
	assert_int_equal(pre4(f), 3);
	assert_true(published(f, "circuitwatch_bgp_prefixes", "peer_as=\"65002\""));
	assert_false(published(f, "circuitwatch_bgp_prefixes", "peer_as=\"65003\""));
	wb_reset(&f->in);
	route_mon_as(&f->in, 4, false, false, 0, 65002);
	route_mon_as(&f->in, 5, false, false, 0, 65003);
	assert_int_equal(feed(f, 65536), 0);
	assert_int_equal(pre4(f), 5);
	assert_true(published(f, "circuitwatch_bgp_prefixes", "peer_as=\"65003\""));
}

/* A Peer Down inside a feed sees the routes before it applied (and clears
 * them); those after it go into the emptied views. */
static void test_feed_peer_down_mid_batch(void **state)
{
	struct fx *f = *state;

	initiation(&f->in);
	peer_up(&f->in, 0, 0);
	route_mon(&f->in, 5, false, false, 0);
	peer_down_notification(&f->in);
	route_mon(&f->in, 2, false, false, 0);
	assert_int_equal(feed(f, 65536), 0);
	assert_false(model_peer_is_up(f->p));
	assert_int_equal(pre4(f), 2);
}

/* The trap: ADD-PATH only when the peer can send AND the router can
 * receive; otherwise the same bytes mean something else. */
static void test_addpath_follows_peer_up(void **state)
{
	struct fx *f = *state;

	peer_up(&f->in, 1 /* router receives */, 2 /* peer sends */);
	route_mon(&f->in, 4, true, false, 0);
	assert_int_equal(feed(f, 4096), 0);
	assert_int_equal(pre4(f), 4);
	struct rib_prefix p = {.family = 4, .len = 24, .path_id = 3, .addr = {203, 0, 2}};

	assert_int_not_equal(model_lookup(f->p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST, &p),
			     0);
}

static void test_addpath_one_sided_is_off(void **state)
{
	struct fx *f = *state;

	/* the router would receive but the peer cannot send: no path ids, so
	 * path-id framed NLRI do not parse as 4 plain /24s */
	peer_up(&f->in, 3, 1);
	route_mon(&f->in, 2, false, false, 0);
	assert_int_equal(feed(f, 4096), 0);
	assert_int_equal(pre4(f), 2);
	struct rib_prefix p = {.family = 4, .len = 24, .addr = {203, 0, 1}};

	assert_int_not_equal(model_lookup(f->p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST, &p),
			     0);
}

static void test_route_monitoring_without_peer_up(void **state)
{
	struct fx *f = *state;

	route_mon(&f->in, 5, false, false, 0x40 /* L: post-policy */);
	assert_int_equal(feed(f, 100), 0);
	assert_false(model_peer_is_up(f->p));
	assert_int_equal(model_prefix_count(f->p, MODEL_VIEW_ADJ_IN_POST, MODEL_AF_IPV4_UNICAST),
			 5);
}

static void test_peer_down_and_termination(void **state)
{
	struct fx *f = *state;

	peer_up(&f->in, 0, 0);
	route_mon(&f->in, 6, false, false, 0);
	peer_down_notification(&f->in);
	{
		size_t at = wb_bmp_begin(&f->in, 5); /* Termination, reason admin close */

		wb_put16(&f->in, 1), wb_put16(&f->in, 2), wb_put16(&f->in, 0);
		wb_bmp_end(&f->in, at);
	}
	route_mon(&f->in, 1, false, false, 0); /* after Termination: not read */
	assert_int_equal(feed(f, 33), 1);
	assert_false(model_peer_is_up(f->p));
	assert_int_equal(pre4(f), 0);
}

static void test_framing_lost(void **state)
{
	struct fx *f = *state;

	peer_up(&f->in, 0, 0);
	wb_put8(&f->in, 1); /* a BMP v1 header: cannot be resynchronised */
	wb_put32(&f->in, 0);
	wb_put8(&f->in, 0);
	assert_int_equal(feed(f, 4096), -1);
	assert_true(model_peer_is_up(f->p)); /* what came before was applied */
}

/* The listener's pure pieces (issue 12 items 2 and 3). */
static void test_first_sys_name(void **state)
{
	struct fx *f = *state;
	struct wb b = {0};
	char name[4];
	char big[64];

	initiation(&f->in);
	assert_int_equal(bmp_first_sys_name(f->in.p, f->in.len, big, sizeof(big)), 1);
	assert_string_equal(big, "edge1");
	assert_int_equal(bmp_first_sys_name(f->in.p, f->in.len, name, sizeof(name)), 1);
	assert_string_equal(name, "edg"); /* truncated to the room given */
	peer_up(&b, 0, 0); /* RFC 7854 §4.3 broken: no Initiation first */
	assert_int_equal(bmp_first_sys_name(b.p, b.len, big, sizeof(big)), 0);
	assert_string_equal(big, "");
	wb_free(&b);
}

static void test_buffer_want_follows_header(void **state)
{
	uint8_t h[8] = {3, 0, 0x10, 0, 0, 0}; /* v3, length 1 MiB */
	const size_t base = 256 * 1024;

	(void)state;
	assert_int_equal(bmp_buffer_want(h, 0, 16u << 20, base), base);
	assert_int_equal(bmp_buffer_want(h, 4, 16u << 20, base), base); /* length not whole */
	assert_int_equal(bmp_buffer_want(h, 5, 16u << 20, base), 1u << 20);
	assert_int_equal(bmp_buffer_want(h, 6, 16u << 20, base), 1u << 20);
	assert_int_equal(bmp_buffer_want(h, 8, 16u << 20, base), 1u << 20);
	/* over the maximum or another version: framing is lost, no growth */
	assert_int_equal(bmp_buffer_want(h, 6, 65536, base), base);
	h[0] = 1;
	assert_int_equal(bmp_buffer_want(h, 6, 16u << 20, base), base);
	/* a small message: the base buffer */
	h[0] = 3, h[2] = 0, h[4] = 100;
	assert_int_equal(bmp_buffer_want(h, 6, 16u << 20, base), base);
}

static void test_stream_skip(void **state)
{
	struct fx *f = *state;
	size_t n = 0, used;
	int status = 0;

	initiation(&f->in);
	peer_up(&f->in, 0, 0);
	route_mon(&f->in, 3, false, false, 0);
	used = bmp_stream_skip(f->in.p, f->in.len - 1, 1u << 20, &n, &status);
	assert_int_equal(n, 2);
	assert_int_equal(status, 0);
	used += bmp_stream_skip(f->in.p + used, f->in.len - used, 1u << 20, &n, &status);
	assert_int_equal(n, 1);
	assert_int_equal(used, f->in.len);
	assert_false(model_peer_is_up(f->p)); /* nothing applied */
	wb_put8(&f->in, 1), wb_put32(&f->in, 0), wb_put8(&f->in, 0);
	(void)bmp_stream_skip(f->in.p, f->in.len, 1u << 20, &n, &status);
	assert_int_equal(status, -1);
}

static void test_malformed_update_keeps_session(void **state)
{
	struct fx *f = *state;
	size_t at;

	peer_up(&f->in, 0, 0);
	route_mon(&f->in, 2, false, false, 0);
	/* an UPDATE whose NLRI claims a /33: counted, skipped, stream goes on */
	at = wb_bmp_begin(&f->in, 0);
	peer_hdr(&f->in, 0);
	{
		size_t bat = wb_bgp_begin(&f->in, 2);

		wb_put16(&f->in, 0), wb_put16(&f->in, 0);
		wb_put8(&f->in, 33), wb_put32(&f->in, 0xcb000100), wb_put8(&f->in, 0);
		wb_bgp_end(&f->in, bat);
	}
	wb_bmp_end(&f->in, at);
	route_mon(&f->in, 4, false, false, 0);
	assert_int_equal(feed(f, 4096), 0);
	assert_true(model_peer_is_up(f->p));
	assert_int_equal(pre4(f), 4);
}

/* RFC 7606 treat-as-withdraw for a missing NEXT_HOP holds for what the
 * peer sent (pre-policy), not for the router's own views. */
static void test_missing_next_hop_by_view(void **state)
{
	struct fx *f = *state;

	route_mon_no_nexthop(&f->in, 3, 0);    /* pre-policy: withdrawn */
	route_mon_no_nexthop(&f->in, 5, 0x40); /* post-policy: kept */
	assert_int_equal(feed(f, 4096), 0);
	assert_int_equal(pre4(f), 0);
	assert_int_equal(model_prefix_count(f->p, MODEL_VIEW_ADJ_IN_POST, MODEL_AF_IPV4_UNICAST),
			 5);
}

static void test_locrib_empty_mp_next_hop_kept(void **state)
{
	struct fx *f = *state;
	struct model_peer_key k = {.peer_type = 3, .family = 4};
	struct model_peer *loc;

	locrib_mp_reach_no_nexthop(&f->in);
	assert_int_equal(feed(f, 4096), 0);
	loc = model_peer_get(f->m, f->r, &k, 65001, 0xc6120101);
	assert_int_equal(model_prefix_count(loc, MODEL_VIEW_LOC_RIB, MODEL_AF_IPV6_UNICAST), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_split_reads_same_result, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feed_some_stops_at_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feed_peer_as_back_and_forth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feed_peer_down_mid_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addpath_follows_peer_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addpath_one_sided_is_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_monitoring_without_peer_up, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_peer_down_and_termination, setup, teardown),
		cmocka_unit_test_setup_teardown(test_framing_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_sys_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buffer_want_follows_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_skip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_update_keeps_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_next_hop_by_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locrib_empty_mp_next_hop_kept, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
