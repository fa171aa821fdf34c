/* test_negotiate.c — per-peer decode contexts from the OPENs (bgp/negotiate):
 * a BMP Peer Up's two OPENs, both directions on the wire, a one-way stream,
 * and hostile OPENs that must leave the defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "negotiate.h"
#include "wire_build.h"

/* One OPEN's knobs; caps are written in this order. */
struct open_spec {
	uint32_t as;
	bool as4;	 /* capability 65 */
	bool ext_msg;	 /* capability 6 */
	unsigned n_addpath; /* capability 69 entries, all IPv4 unicast */
	uint8_t addpath_sr;
	int addpath_len_delta; /* hostile: the capability's length off by this */
	int params_len_delta;  /* hostile: the parameters' length off by this */
};

static void put_caps(struct wb *b, const struct open_spec *o)
{
	if (o->as4) {
		wb_put8(b, 65);
		wb_put8(b, 4);
		wb_put32(b, o->as);
	}
	if (o->ext_msg) {
		wb_put8(b, 6);
		wb_put8(b, 0);
	}
	if (o->n_addpath > 0) {
		wb_put8(b, 69);
		wb_put8(b, (unsigned)((int)(4 * o->n_addpath) + o->addpath_len_delta));
		for (unsigned i = 0; i < o->n_addpath; i++) {
			wb_put16(b, 1);
			wb_put8(b, 1);
			wb_put8(b, o->addpath_sr);
		}
	}
}

static void open_msg(struct wb *b, const struct open_spec *o)
{
	size_t at = wb_bgp_begin(b, 1), params;

	wb_put8(b, 4);
	wb_put16(b, o->as > 65535 ? 23456 : o->as);
	wb_put16(b, 90);
	wb_put32(b, 0xc0000201);
	wb_put8(b, 0); /* optional parameters length, set below */
	params = b->len;
	wb_put8(b, 2); /* capabilities */
	wb_put8(b, 0);
	put_caps(b, o);
	b->p[params + 1] = (uint8_t)(b->len - params - 2);
	b->p[params - 1] = (uint8_t)((int)(b->len - params) + o->params_len_delta);
	wb_bgp_end(b, at);
}

struct fx {
	struct wb sent, recv;
	struct bmp_peer_up up;
};

static void set_pdu(struct bmp_bgp_pdu *pdu, const struct wb *b)
{
	pdu->status = BMP_PDU_OK;
	pdu->type = 1;
	pdu->data = b->p;
	pdu->len = b->len;
}

static void fx_build(struct fx *f, const struct open_spec *sent, const struct open_spec *recv)
{
	wb_init(&f->sent, 64);
	wb_init(&f->recv, 64);
	open_msg(&f->sent, sent);
	open_msg(&f->recv, recv);
	memset(&f->up, 0, sizeof(f->up));
	set_pdu(&f->up.sent_open, &f->sent);
	set_pdu(&f->up.recv_open, &f->recv);
}

static void fx_free(struct fx *f)
{
	wb_free(&f->sent);
	wb_free(&f->recv);
}

/* A context that is not the defaults, to see that a failure resets it. */
static void scribble(struct bgp_peer_ctx *c)
{
	memset(c, 0x5a, sizeof(*c));
	c->in.n_addpath = c->out.n_addpath = 3;
}

static void assert_defaults(const struct bgp_decode_ctx *ctx)
{
	struct bgp_decode_ctx d;

	bgp_ctx_init(&d);
	assert_true(ctx->as4);
	assert_false(ctx->extended_message);
	assert_int_equal(ctx->n_addpath, 0);
	assert_memory_equal(ctx, &d, sizeof(d));
}

static const struct open_spec router = {.as = 65001, .as4 = true, .ext_msg = true,
					.n_addpath = 1, .addpath_sr = 3};
static const struct open_spec neighbour = {.as = 400000, .as4 = true, .ext_msg = true,
					   .n_addpath = 1, .addpath_sr = 1};

static void test_peer_up_directions(void **state)
{
	struct fx f;
	struct bgp_peer_ctx c;
	(void)state;

	fx_build(&f, &router, &neighbour);
	scribble(&c);
	assert_int_equal(bgp_peer_ctx_peer_up(&c, &f.up), 0);
	/* the neighbour only receives path ids: none in what it sends */
	assert_true(c.in.as4);
	assert_true(c.in.extended_message);
	assert_false(bgp_ctx_addpath(&c.in, BGP_AFI_IPV4, BGP_SAFI_UNICAST));
	/* the router sends them and the neighbour takes them: Adj-RIB-Out has them */
	assert_true(c.out.as4);
	assert_true(bgp_ctx_addpath(&c.out, BGP_AFI_IPV4, BGP_SAFI_UNICAST));
	assert_false(bgp_ctx_addpath(&c.out, BGP_AFI_IPV6, BGP_SAFI_UNICAST));
	fx_free(&f);
}

static void test_peer_up_two_octet_side(void **state)
{
	struct open_spec old = {.as = 65002}; /* no capabilities at all */
	struct fx f;
	struct bgp_peer_ctx c;
	(void)state;

	fx_build(&f, &router, &old);
	assert_int_equal(bgp_peer_ctx_peer_up(&c, &f.up), 0);
	/* RFC 6793 §4, RFC 8654 §3, RFC 7911 §5: each needs both sides */
	assert_false(c.in.as4);
	assert_false(c.out.as4);
	assert_false(c.in.extended_message);
	assert_false(c.out.extended_message);
	assert_int_equal(c.in.n_addpath + c.out.n_addpath, 0);
	fx_free(&f);
}

/* Each hostile OPEN, in either slot, must leave the defaults. */
static const struct open_spec hostile[] = {
	/* an ADD-PATH capability one byte longer than its entries */
	{.as = 65003, .as4 = true, .n_addpath = 1, .addpath_sr = 3, .addpath_len_delta = 1},
	/* one byte short: the last entry is cut */
	{.as = 65003, .as4 = true, .n_addpath = 2, .addpath_sr = 3, .addpath_len_delta = -1},
	/* more ADD-PATH entries than the decoder keeps */
	{.as = 65003, .as4 = true, .n_addpath = BGP_OPEN_MAX_ADDPATH + 8, .addpath_sr = 3},
	/* optional parameters longer than the message */
	{.as = 65003, .as4 = true, .params_len_delta = 9},
	/* shorter: the rest of the message is trailing bytes */
	{.as = 65003, .as4 = true, .ext_msg = true, .params_len_delta = -2},
};

static void test_peer_up_hostile_opens(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		for (int slot = 0; slot < 2; slot++) {
			struct fx f;
			struct bgp_peer_ctx c;

			print_message("hostile %zu in the %s OPEN\n", i, slot ? "received" : "sent");
			if (slot)
				fx_build(&f, &router, &hostile[i]);
			else
				fx_build(&f, &hostile[i], &neighbour);
			scribble(&c);
			assert_int_equal(bgp_peer_ctx_peer_up(&c, &f.up), -1);
			assert_defaults(&c.in);
			assert_defaults(&c.out);
			fx_free(&f);
		}
	}
}

static void test_peer_up_unusable_pdus(void **state)
{
	static const uint8_t keepalive[19] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					      0,    19,   4};
	struct fx f;
	struct bgp_peer_ctx c;
	(void)state;

	fx_build(&f, &router, &neighbour);
	/* the BMP decoder said the OPEN is not there */
	f.up.recv_open.status = BMP_PDU_MISSING;
	scribble(&c);
	assert_int_equal(bgp_peer_ctx_peer_up(&c, &f.up), -1);
	assert_defaults(&c.in);
	/* "OK" but empty */
	f.up.recv_open = (struct bmp_bgp_pdu){.status = BMP_PDU_OK};
	scribble(&c);
	assert_int_equal(bgp_peer_ctx_peer_up(&c, &f.up), -1);
	assert_defaults(&c.out);
	/* "OK" but a KEEPALIVE */
	f.up.recv_open = (struct bmp_bgp_pdu){BMP_PDU_OK, 4, keepalive, sizeof(keepalive)};
	assert_int_equal(bgp_peer_ctx_peer_up(&c, &f.up), -1);
	/* the OPEN cut short by one byte, and with a broken marker */
	set_pdu(&f.up.recv_open, &f.recv);
	f.up.recv_open.len--;
	assert_int_equal(bgp_peer_ctx_peer_up(&c, &f.up), -1);
	f.up.recv_open.len++;
	f.recv.p[3] = 0;
	assert_int_equal(bgp_peer_ctx_peer_up(&c, &f.up), -1);
	assert_defaults(&c.in);
	assert_defaults(&c.out);
	fx_free(&f);
}

static void test_peer_up_repeated_addpath(void **state)
{
	/* the same AFI/SAFI many times (within the cap) and odd mode bits */
	struct open_spec a = {.as = 65004, .as4 = true, .n_addpath = 20, .addpath_sr = 0xff};
	struct fx f;
	struct bgp_peer_ctx c;
	(void)state;

	fx_build(&f, &a, &a);
	assert_int_equal(bgp_peer_ctx_peer_up(&c, &f.up), 0);
	assert_int_equal(c.in.n_addpath, 1);
	assert_int_equal(c.out.n_addpath, 1);
	fx_free(&f);
}

static void test_pick(void **state)
{
	struct bgp_peer_ctx c;
	struct bgp_decode_ctx ctx;
	struct bmp_peer_hdr h = {.type = 0};
	(void)state;

	bgp_peer_ctx_init(&c);
	c.out.n_addpath = 1;
	c.out.addpath[0] = (struct bgp_afisafi){BGP_AFI_IPV4, BGP_SAFI_UNICAST};
	bgp_peer_ctx_pick(&c, &h, &ctx);
	assert_int_equal(ctx.n_addpath, 0);
	h.adj_rib_out = true; /* RFC 8671 */
	bgp_peer_ctx_pick(&c, &h, &ctx);
	assert_int_equal(ctx.n_addpath, 1);
	assert_true(ctx.as4);
	h.legacy_as_path = true; /* RFC 7854 §4.2 A flag */
	bgp_peer_ctx_pick(&c, &h, &ctx);
	assert_false(ctx.as4);
	h.type = BMP_PEER_LOC_RIB; /* RFC 9069: neither flag applies */
	bgp_peer_ctx_pick(&c, &h, &ctx);
	assert_true(ctx.as4);
	assert_int_equal(ctx.n_addpath, 0);
}

static void test_both_matches_one_way(void **state)
{
	struct wb a, b;
	struct bgp_open oa, ob;
	struct bgp_decode_ctx from_a, from_b, want;
	(void)state;

	wb_init(&a, 64);
	wb_init(&b, 64);
	open_msg(&a, &router);
	open_msg(&b, &neighbour);
	assert_int_equal(bgp_open_decode(a.p, a.len, &oa), 0);
	assert_int_equal(bgp_open_decode(b.p, b.len, &ob), 0);
	bgp_negotiate_both(&oa, &ob, &from_a, &from_b);
	bgp_negotiate(&ob, &oa, &want); /* what a sends, b receiving */
	assert_memory_equal(&from_a, &want, sizeof(want));
	bgp_negotiate(&oa, &ob, &want);
	assert_memory_equal(&from_b, &want, sizeof(want));
	assert_true(bgp_ctx_addpath(&from_a, BGP_AFI_IPV4, BGP_SAFI_UNICAST));
	assert_false(bgp_ctx_addpath(&from_b, BGP_AFI_IPV4, BGP_SAFI_UNICAST));
	wb_free(&a);
	wb_free(&b);
}

static void test_sender_only(void **state)
{
	struct bgp_open o;
	struct bgp_decode_ctx ctx;
	(void)state;

	memset(&o, 0, sizeof(o));
	o.has_as4 = true;
	o.extended_message = true;
	o.n_addpath = 2;
	o.addpath[0] = (struct bgp_addpath_entry){BGP_AFI_IPV4, BGP_SAFI_UNICAST, 2};
	o.addpath[1] = (struct bgp_addpath_entry){BGP_AFI_IPV6, BGP_SAFI_UNICAST, 1};
	bgp_negotiate_sender_only(&o, &ctx);
	assert_true(ctx.as4);
	assert_true(ctx.extended_message);
	/* it offered to send IPv4 path ids: taken; IPv6 receive-only: none */
	assert_true(bgp_ctx_addpath(&ctx, BGP_AFI_IPV4, BGP_SAFI_UNICAST));
	assert_false(bgp_ctx_addpath(&ctx, BGP_AFI_IPV6, BGP_SAFI_UNICAST));
	/* a count past the array is not read beyond it */
	o.n_addpath = 1000;
	bgp_negotiate_sender_only(&o, &ctx);
	assert_true(ctx.n_addpath <= BGP_CTX_MAX_ADDPATH);
	o.has_as4 = false;
	bgp_negotiate_sender_only(&o, &ctx);
	assert_false(ctx.as4);
}

static void test_open_detach(void **state)
{
	struct wb b;
	struct bgp_open o, kept;
	(void)state;

	wb_init(&b, 64);
	open_msg(&b, &router);
	assert_int_equal(bgp_open_decode(b.p, b.len, &o), 0);
	o.hostname = o.domain = b.p;
	o.hostname_len = o.domain_len = 3;
	o.n_opaque = 1;
	o.opaque[0].data = b.p;
	kept = o;
	bgp_open_detach(&o);
	assert_null(o.hostname);
	assert_null(o.domain);
	assert_int_equal(o.hostname_len + o.domain_len, 0);
	assert_null(o.opaque[0].data);
	/* the numbers stay */
	assert_int_equal(o.as4, kept.as4);
	assert_int_equal(o.n_addpath, kept.n_addpath);
	assert_memory_equal(o.addpath, kept.addpath, sizeof(o.addpath));
	wb_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_up_directions),
		cmocka_unit_test(test_peer_up_two_octet_side),
		cmocka_unit_test(test_peer_up_hostile_opens),
		cmocka_unit_test(test_peer_up_unusable_pdus),
		cmocka_unit_test(test_peer_up_repeated_addpath),
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_both_matches_one_way),
		cmocka_unit_test(test_sender_only),
		cmocka_unit_test(test_open_detach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
