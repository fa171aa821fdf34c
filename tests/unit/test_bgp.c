/* test_bgp.c — the BGP codec: framing, OPEN and capabilities, negotiation
 * (ADD-PATH per AFI/SAFI and per direction), UPDATE with every attribute,
 * 2-/4-octet AS paths and AS_TRANS reconstruction, MP_REACH/MP_UNREACH,
 * RFC 7606 outcomes, truncations and lying lengths, End-of-RIB,
 * NOTIFICATION/KEEPALIVE/ROUTE-REFRESH and the text helpers.
 *
 * Vectors are raw wire bytes; msg_build() only prepends the 19-byte
 * header (marker, length, type) so bodies stay readable. Every decode runs
 * on an exact-size heap copy so ASan sees any read past the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bgp.h"

#define BYTES(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})
#define NONE NULL, 0

/* Valid attribute building blocks (flags, type, length, value). */
#define A_ORIGIN 0x40, 1, 1, 0
#define A_ASPATH4 0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xe9 /* SEQ 65001, 4-octet */
#define A_NEXTHOP 0x40, 3, 4, 192, 0, 2, 1
#define A_MANDATORY A_ORIGIN, A_ASPATH4, A_NEXTHOP
#define NLRI_ONE 24, 198, 18, 0 /* 198.18.0.0/24 */

/* ------------------------------------------------------------------ */
/* Helpers                                                            */

/* Header + body into a fresh exact-size heap buffer. */
static uint8_t *msg_build(uint8_t type, const uint8_t *body, size_t blen, size_t *len)
{
	uint8_t *m = malloc(BGP_HEADER_LEN + blen);

	assert_non_null(m);
	memset(m, 0xff, 16);
	m[16] = (uint8_t)((BGP_HEADER_LEN + blen) >> 8);
	m[17] = (uint8_t)(BGP_HEADER_LEN + blen);
	m[18] = type;
	if (blen)
		memcpy(m + BGP_HEADER_LEN, body, blen);
	*len = BGP_HEADER_LEN + blen;
	return m;
}

/* UPDATE body = withdrawn len, withdrawn, attr len, attrs, nlri. */
static uint8_t *update_build(const uint8_t *wd, size_t wlen, const uint8_t *attrs, size_t alen,
			     const uint8_t *nlri, size_t nlen, size_t *len)
{
	size_t blen = 4 + wlen + alen + nlen;
	uint8_t *body = malloc(blen), *m;

	assert_non_null(body);
	body[0] = (uint8_t)(wlen >> 8);
	body[1] = (uint8_t)wlen;
	if (wlen)
		memcpy(body + 2, wd, wlen);
	body[2 + wlen] = (uint8_t)(alen >> 8);
	body[3 + wlen] = (uint8_t)alen;
	if (alen)
		memcpy(body + 4 + wlen, attrs, alen);
	if (nlen)
		memcpy(body + 4 + wlen + alen, nlri, nlen);
	m = msg_build(BGP_MSG_UPDATE, body, blen, len);
	free(body);
	return m;
}

static int decode_update(const uint8_t *wd, size_t wlen, const uint8_t *attrs, size_t alen,
			 const uint8_t *nlri, size_t nlen, const struct bgp_decode_ctx *ctx,
			 struct bgp_update *u, uint8_t **keep)
{
	size_t len;
	uint8_t *m = update_build(wd, wlen, attrs, alen, nlri, nlen, &len);
	int rc = bgp_update_decode(m, len, ctx, u);

	*keep = m; /* u points into m: the caller frees it after checking */
	return rc;
}

/* All prefixes of a block formatted and joined with ' '. */
static int block_text(const struct bgp_nlri_block *b, char *out, size_t n)
{
	struct bgp_nlri_iter it;
	struct bgp_prefix p;
	size_t used = 0;
	int rc;

	out[0] = '\0';
	if (bgp_nlri_iter_init(&it, b) < 0)
		return -1;
	while ((rc = bgp_nlri_next(&it, &p)) == 1) {
		char one[64];

		assert_true(bgp_prefix_format(&p, one, sizeof(one)) > 0);
		used += (size_t)snprintf(out + used, n - used, "%s%s", used ? " " : "", one);
		assert_true(used < n);
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* Framing                                                            */

#define MARK 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, \
	     0xff, 0xff

static const struct frame_case {
	const char *name;
	const uint8_t *buf;
	size_t len;
	bool ext;
	enum bgp_frame_status want;
	size_t msg_len;
	enum bgp_error reason;
} frame_cases[] = {
	{"keepalive", BYTES(MARK, 0, 19, 4), false, BGP_FRAME_COMPLETE, 19, 0},
	{"keepalive+next", BYTES(MARK, 0, 19, 4, 0xff, 0xff), false, BGP_FRAME_COMPLETE, 19, 0},
	{"empty", NONE, false, BGP_FRAME_NEED_MORE, 0, 0},
	{"partial marker", BYTES(0xff, 0xff, 0xff), false, BGP_FRAME_NEED_MORE, 0, 0},
	{"bad marker early", BYTES(0xff, 0xff, 0xfe), false, BGP_FRAME_ERROR, 0, BGP_ERR_MARKER},
	{"bad marker last", BYTES(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				  0xff, 0xff, 0xff, 0xff, 0x00, 0, 19, 4),
	 false, BGP_FRAME_ERROR, 0, BGP_ERR_MARKER},
	{"header only of update", BYTES(MARK, 0, 30, 2), false, BGP_FRAME_NEED_MORE, 30, 0},
	{"length 18", BYTES(MARK, 0, 18, 4), false, BGP_FRAME_ERROR, 0, BGP_ERR_MSG_LENGTH},
	{"length 4097", BYTES(MARK, 0x10, 0x01, 2), false, BGP_FRAME_ERROR, 0, BGP_ERR_MSG_LENGTH},
	{"length 4097 ext", BYTES(MARK, 0x10, 0x01, 2), true, BGP_FRAME_NEED_MORE, 4097, 0},
	{"open 4097 ext", BYTES(MARK, 0x10, 0x01, 1), true, BGP_FRAME_ERROR, 0, BGP_ERR_MSG_LENGTH},
	{"keepalive 4097 ext", BYTES(MARK, 0x10, 0x01, 4), true, BGP_FRAME_ERROR, 0,
	 BGP_ERR_MSG_LENGTH},
	{"keepalive 20", BYTES(MARK, 0, 20, 4, 0), false, BGP_FRAME_ERROR, 0, BGP_ERR_MSG_LENGTH},
	{"open 28", BYTES(MARK, 0, 28, 1), false, BGP_FRAME_ERROR, 0, BGP_ERR_MSG_LENGTH},
	{"update 22", BYTES(MARK, 0, 22, 2), false, BGP_FRAME_ERROR, 0, BGP_ERR_MSG_LENGTH},
	{"notification 20", BYTES(MARK, 0, 20, 3), false, BGP_FRAME_ERROR, 0, BGP_ERR_MSG_LENGTH},
	{"route-refresh 22", BYTES(MARK, 0, 22, 5), false, BGP_FRAME_ERROR, 0, BGP_ERR_MSG_LENGTH},
	{"type 0", BYTES(MARK, 0, 19, 0), false, BGP_FRAME_ERROR, 0, BGP_ERR_MSG_TYPE},
	{"type 6", BYTES(MARK, 0, 23, 6), false, BGP_FRAME_ERROR, 0, BGP_ERR_MSG_TYPE},
};

static void test_frame_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(frame_cases) / sizeof(frame_cases[0]); i++) {
		const struct frame_case *c = &frame_cases[i];
		size_t mlen = 12345;
		enum bgp_error reason = BGP_ERR_NONE;
		enum bgp_frame_status st = bgp_frame(c->buf, c->len, c->ext, &mlen, &reason);

		print_message("frame case: %s\n", c->name);
		assert_int_equal(st, c->want);
		if (st != BGP_FRAME_ERROR)
			assert_int_equal(mlen, c->msg_len);
		else
			assert_int_equal(reason, c->reason);
	}
}

static void test_msg_header_exact(void **state)
{
	uint8_t ka[] = {MARK, 0, 19, 4, 0};
	struct wire_reader body;
	enum bgp_error e;
	uint8_t type;
	(void)state;

	assert_int_equal(bgp_msg_header(ka, 19, &type, &body, &e), 0);
	assert_int_equal(type, BGP_MSG_KEEPALIVE);
	assert_int_equal(wire_left(&body), 0);
	assert_int_equal(bgp_msg_header(ka, 20, &type, &body, &e), -1);
	assert_int_equal(e, BGP_ERR_TRAILING_BYTES);
	assert_int_equal(bgp_msg_header(ka, 18, &type, &body, &e), -1);
	assert_int_equal(e, BGP_ERR_MSG_LENGTH);
	assert_string_equal(bgp_msg_type_name(BGP_MSG_OPEN), "OPEN");
	assert_string_equal(bgp_msg_type_name(BGP_MSG_UPDATE), "UPDATE");
	assert_string_equal(bgp_msg_type_name(BGP_MSG_NOTIFICATION), "NOTIFICATION");
	assert_string_equal(bgp_msg_type_name(BGP_MSG_KEEPALIVE), "KEEPALIVE");
	assert_string_equal(bgp_msg_type_name(BGP_MSG_ROUTE_REFRESH), "ROUTE-REFRESH");
	assert_string_equal(bgp_msg_type_name(0), "UNKNOWN");
	assert_string_equal(bgp_msg_type_name(200), "UNKNOWN");
}

/* ------------------------------------------------------------------ */
/* OPEN                                                               */

/* An FRR-like OPEN: AS_TRANS in my_as, every capability we decode plus
 * two unknown ones, split over two capability parameters. */
static const uint8_t open_body[] = {
	4, 0x5b, 0xa0, 0, 180, 10, 0, 0, 1, /* v4, AS 23456, hold 180, id 10.0.0.1 */
	81,				    /* opt params length */
	2, 34,				    /* param: capabilities */
	1, 4, 0, 1, 0, 1,		    /* MP ipv4 unicast */
	1, 4, 0, 2, 0, 1,		    /* MP ipv6 unicast */
	2, 0,				    /* route refresh */
	70, 0,				    /* enhanced route refresh */
	6, 0,				    /* extended message */
	65, 4, 0xfa, 0x56, 0xea, 0x01,	    /* AS4 4200000001 */
	69, 8, 0, 1, 1, 3, 0, 2, 1, 1,	    /* ADD-PATH ipv4 both, ipv6 receive */
	2, 43,				    /* second param */
	64, 6, 0x80, 0x78, 0, 1, 1, 0x80,   /* GR R-bit, 120 s, ipv4 uni F */
	71, 0,				    /* LLGR (raw) */
	5, 6, 0, 1, 0, 1, 0, 2,		    /* ext next hop (raw) */
	73, 17, 4, 'r', 't', 'r', '1', 11, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'n', 'e', 't',
	128, 0,				    /* old Cisco route refresh: opaque */
	99, 2, 0xab, 0xcd,		    /* unknown: opaque */
};

static void test_open_full(void **state)
{
	struct bgp_open o;
	size_t len;
	uint8_t *m = msg_build(BGP_MSG_OPEN, open_body, sizeof(open_body), &len);
	(void)state;

	assert_int_equal(bgp_open_decode(m, len, &o), 0);
	assert_int_equal(o.errors, 0);
	assert_int_equal(o.version, 4);
	assert_int_equal(o.my_as, BGP_AS_TRANS);
	assert_int_equal(o.hold_time, 180);
	assert_int_equal(o.bgp_id, 0x0a000001);
	assert_false(o.extended_params);
	assert_true(o.has_as4);
	assert_int_equal(o.as4, 4200000001u);
	assert_true(o.route_refresh);
	assert_true(o.enhanced_route_refresh);
	assert_true(o.extended_message);
	assert_int_equal(o.n_mp, 2);
	assert_int_equal(o.mp[0].afi, 1);
	assert_int_equal(o.mp[1].afi, 2);
	assert_int_equal(o.mp[1].safi, 1);
	assert_int_equal(o.n_addpath, 2);
	assert_int_equal(o.addpath[0].send_receive, 3);
	assert_int_equal(o.addpath[1].afi, 2);
	assert_int_equal(o.addpath[1].send_receive, 1);
	assert_true(o.has_gr);
	assert_int_equal(o.gr_flags, 0x8);
	assert_int_equal(o.gr_time, 120);
	assert_int_equal(o.n_gr, 1);
	assert_int_equal(o.gr[0].flags, 0x80);
	assert_true(o.has_llgr);
	assert_int_equal(o.llgr.len, 0);
	assert_true(o.has_ext_next_hop);
	assert_int_equal(o.ext_next_hop.len, 6);
	assert_int_equal(o.ext_next_hop.data[5], 2);
	assert_true(o.has_fqdn);
	assert_int_equal(o.hostname_len, 4);
	assert_memory_equal(o.hostname, "rtr1", 4);
	assert_int_equal(o.domain_len, 11);
	assert_memory_equal(o.domain, "example.net", 11);
	assert_int_equal(o.n_opaque, 2);
	assert_int_equal(o.opaque[0].code, 128);
	assert_int_equal(o.opaque[1].code, 99);
	assert_int_equal(o.opaque[1].len, 2);
	assert_int_equal(o.opaque[1].data[1], 0xcd);
	assert_int_equal(o.n_caps, 13);
	assert_int_equal(o.overflow, 0);
	free(m);
}

/* RFC 9072: length 255, type 255, 2-octet length, 2-octet param lengths. */
static void test_open_extended_params(void **state)
{
	static const uint8_t body[] = {
		4, 0xfd, 0xe9, 0, 90, 192, 0, 2, 1, 255, 255, 0, 13, /* ext len 13 */
		2, 0, 10, 65, 4, 0, 0, 0xfd, 0xe9, 1, 4, 0, 2,	/* caps: AS4, MP (short) */
	};
	struct bgp_open o;
	size_t len;
	uint8_t *m;
	(void)state;

	/* MP cap is cut to 4 bytes of which only 2 fit the param: cap_length */
	m = msg_build(BGP_MSG_OPEN, body, sizeof(body), &len);
	assert_int_equal(bgp_open_decode(m, len, &o), -1);
	assert_true(o.extended_params);
	assert_true(o.has_as4);
	assert_int_equal(o.as4, 65001);
	assert_true(bgp_errors_has(o.errors, BGP_ERR_CAP_LENGTH));
	free(m);

	static const uint8_t good[] = {
		4, 0xfd, 0xe9, 0, 90, 192, 0, 2, 1, 255, 255, 0, 15,
		2, 0, 12, 65, 4, 0, 0, 0xfd, 0xe9, 1, 4, 0, 2, 0, 1,
	};
	m = msg_build(BGP_MSG_OPEN, good, sizeof(good), &len);
	assert_int_equal(bgp_open_decode(m, len, &o), 0);
	assert_true(o.extended_params);
	assert_int_equal(o.n_mp, 1);
	assert_int_equal(o.mp[0].afi, 2);
	free(m);
}

static const struct open_err_case {
	const char *name;
	const uint8_t *body;
	size_t len;
	enum bgp_error reason;
} open_err_cases[] = {
	{"version 3", BYTES(3, 0, 1, 0, 90, 1, 2, 3, 4, 0), BGP_ERR_OPEN_VERSION},
	{"hold 2", BYTES(4, 0, 1, 0, 2, 1, 2, 3, 4, 0), BGP_ERR_OPEN_HOLD_TIME},
	{"params overrun", BYTES(4, 0, 1, 0, 90, 1, 2, 3, 4, 9, 2, 2, 2, 0),
	 BGP_ERR_OPEN_PARAMS_LENGTH},
	{"params short", BYTES(4, 0, 1, 0, 90, 1, 2, 3, 4, 2, 2, 0, 0), BGP_ERR_TRAILING_BYTES},
	{"param len overrun", BYTES(4, 0, 1, 0, 90, 1, 2, 3, 4, 2, 2, 5),
	 BGP_ERR_OPEN_PARAMS_LENGTH},
	{"unknown param", BYTES(4, 0, 1, 0, 90, 1, 2, 3, 4, 3, 1, 1, 0),
	 BGP_ERR_OPEN_UNKNOWN_PARAM},
	{"cap overrun", BYTES(4, 0, 1, 0, 90, 1, 2, 3, 4, 4, 2, 2, 65, 4), BGP_ERR_CAP_LENGTH},
	{"as4 cap 3 bytes", BYTES(4, 0, 1, 0, 90, 1, 2, 3, 4, 7, 2, 5, 65, 3, 0, 0, 1),
	 BGP_ERR_CAP_LENGTH},
	{"route refresh with data", BYTES(4, 0, 1, 0, 90, 1, 2, 3, 4, 5, 2, 3, 2, 1, 0),
	 BGP_ERR_CAP_LENGTH},
	{"addpath 3 bytes", BYTES(4, 0, 1, 0, 90, 1, 2, 3, 4, 7, 2, 5, 69, 3, 0, 1, 1),
	 BGP_ERR_CAP_LENGTH},
	{"fqdn lying", BYTES(4, 0, 1, 0, 90, 1, 2, 3, 4, 6, 2, 4, 73, 2, 9, 'a'),
	 BGP_ERR_CAP_LENGTH},
	{"gr odd", BYTES(4, 0, 1, 0, 90, 1, 2, 3, 4, 7, 2, 5, 64, 3, 0, 0, 1), BGP_ERR_CAP_LENGTH},
};

static void test_open_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(open_err_cases) / sizeof(open_err_cases[0]); i++) {
		const struct open_err_case *c = &open_err_cases[i];
		struct bgp_open o;
		size_t len;
		uint8_t *m = msg_build(BGP_MSG_OPEN, c->body, c->len, &len);

		print_message("open case: %s\n", c->name);
		assert_int_equal(bgp_open_decode(m, len, &o), -1);
		assert_true(bgp_errors_has(o.errors, c->reason));
		assert_false(o.has_fqdn);
		free(m);
	}
}

static void test_open_not_open(void **state)
{
	struct bgp_open o;
	size_t len;
	uint8_t *m = msg_build(BGP_MSG_UPDATE, open_body, sizeof(open_body), &len);
	(void)state;

	assert_int_equal(bgp_open_decode(m, len, &o), -1);
	assert_true(bgp_errors_has(o.errors, BGP_ERR_MSG_TYPE));
	free(m);
}

/* More MP capabilities than the array holds: counted, never written. */
static void test_open_cap_overflow(void **state)
{
	uint8_t body[10 + 2 + 40 * 6];
	struct bgp_open o;
	size_t len, n = 0;
	uint8_t *m;
	(void)state;

	memcpy(body, (const uint8_t[]){4, 0, 1, 0, 90, 1, 2, 3, 4, 242}, 10);
	n = 10;
	body[n++] = 2;
	body[n++] = 240;
	for (int i = 0; i < 40; i++) {
		memcpy(body + n, (const uint8_t[]){1, 4, 0, 1, 0, (uint8_t)i}, 6);
		n += 6;
	}
	m = msg_build(BGP_MSG_OPEN, body, n, &len);
	assert_int_equal(bgp_open_decode(m, len, &o), -1);
	assert_int_equal(o.n_mp, BGP_OPEN_MAX_MP);
	assert_int_equal(o.overflow, 40 - BGP_OPEN_MAX_MP);
	assert_int_equal(o.n_caps, 40);
	assert_true(bgp_errors_has(o.errors, BGP_ERR_CAP_OVERFLOW));
	assert_int_equal(o.mp[BGP_OPEN_MAX_MP - 1].safi, BGP_OPEN_MAX_MP - 1);
	free(m);
}

/* ------------------------------------------------------------------ */
/* Negotiation                                                        */

static void open_with_addpath(struct bgp_open *o, bool as4, uint16_t afi, uint8_t safi,
			      uint8_t sr)
{
	memset(o, 0, sizeof(*o));
	o->has_as4 = as4;
	if (sr) {
		o->n_addpath = 1;
		o->addpath[0] = (struct bgp_addpath_entry){afi, safi, sr};
	}
}

static const struct addpath_case {
	uint8_t local, peer;
	bool want;
} addpath_cases[] = {
	/* peer must be able to SEND (2|3), we must be able to RECEIVE (1|3) */
	{1, 2, true},  {1, 3, true},  {3, 2, true},  {3, 3, true},  {2, 1, false},
	{2, 2, false}, {1, 1, false}, {0, 3, false}, {3, 0, false}, {2, 3, false},
};

static void test_negotiate_addpath_direction(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(addpath_cases) / sizeof(addpath_cases[0]); i++) {
		const struct addpath_case *c = &addpath_cases[i];
		struct bgp_open local, peer;
		struct bgp_decode_ctx ctx;

		print_message("addpath local=%u peer=%u\n", c->local, c->peer);
		open_with_addpath(&local, true, 1, 1, c->local);
		open_with_addpath(&peer, true, 1, 1, c->peer);
		bgp_negotiate(&local, &peer, &ctx);
		assert_int_equal(bgp_ctx_addpath(&ctx, 1, 1), c->want);
		assert_false(bgp_ctx_addpath(&ctx, 2, 1));
	}
}

static void test_negotiate_addpath_per_afisafi(void **state)
{
	struct bgp_open local, peer;
	struct bgp_decode_ctx ctx;
	(void)state;

	/* we receive IPv4, the peer sends IPv6: nothing matches */
	open_with_addpath(&local, true, 1, 1, 1);
	open_with_addpath(&peer, true, 2, 1, 2);
	bgp_negotiate(&local, &peer, &ctx);
	assert_int_equal(ctx.n_addpath, 0);
	/* both families on both sides: only IPv6 is receive+send */
	local.n_addpath = 2;
	local.addpath[1] = (struct bgp_addpath_entry){2, 1, 3};
	peer.n_addpath = 2;
	peer.addpath[1] = (struct bgp_addpath_entry){1, 1, 1};
	bgp_negotiate(&local, &peer, &ctx);
	assert_false(bgp_ctx_addpath(&ctx, 1, 1));
	assert_true(bgp_ctx_addpath(&ctx, 2, 1));
	/* the other direction (what we send, as the peer decodes it): our
	 * IPv4 is receive-only, the peer's IPv6 is send-only: nothing */
	bgp_negotiate(&peer, &local, &ctx);
	assert_int_equal(ctx.n_addpath, 0);
}

static void test_negotiate_as4_and_ext(void **state)
{
	struct bgp_open local, peer;
	struct bgp_decode_ctx ctx;
	(void)state;

	open_with_addpath(&local, true, 0, 0, 0);
	open_with_addpath(&peer, true, 0, 0, 0);
	bgp_negotiate(&local, &peer, &ctx);
	assert_true(ctx.as4);
	assert_false(ctx.extended_message);
	peer.has_as4 = false;
	bgp_negotiate(&local, &peer, &ctx);
	assert_false(ctx.as4);
	local.extended_message = peer.extended_message = true;
	bgp_negotiate(&local, &peer, &ctx);
	assert_true(ctx.extended_message);
	local.extended_message = false;
	bgp_negotiate(&local, &peer, &ctx);
	assert_false(ctx.extended_message);
	/* unknown OPENs: BMP defaults, then the A flag */
	bgp_negotiate(NULL, &peer, &ctx);
	assert_true(ctx.as4);
	assert_int_equal(ctx.n_addpath, 0);
	bgp_ctx_set_legacy_as_path(&ctx);
	assert_false(ctx.as4);
}

/* ------------------------------------------------------------------ */
/* UPDATE: every attribute                                            */

static const uint8_t full_attrs[] = {
	0x40, 1, 1, 1,						   /* ORIGIN EGP */
	0x50, 2, 0, 14, 2, 3, 0, 0, 0xfd, 0xe9, 0, 0, 0xfd, 0xea, 0xfa, 0x56, 0xea, 0x01,
	0x40, 3, 4, 192, 0, 2, 1,				   /* NEXT_HOP */
	0x80, 4, 4, 0, 0, 0, 100,				   /* MED 100 */
	0x40, 5, 4, 0, 0, 0, 200,				   /* LOCAL_PREF 200 */
	0x40, 6, 0,						   /* ATOMIC_AGGREGATE */
	0xc0, 7, 8, 0, 0, 0xfd, 0xe9, 192, 0, 2, 9,		   /* AGGREGATOR */
	0xc0, 8, 8, 0xfd, 0xe9, 0, 100, 0xff, 0xff, 0xff, 0x01,	   /* COMMUNITIES */
	0x80, 9, 4, 10, 0, 0, 7,				   /* ORIGINATOR_ID */
	0x80, 10, 8, 10, 0, 0, 1, 10, 0, 0, 2,			   /* CLUSTER_LIST */
	0xc0, 16, 8, 0x00, 0x02, 0xfd, 0xe9, 0, 0, 0, 42,	   /* EXT COMM RT */
	0xc0, 32, 12, 0xfa, 0x56, 0xea, 0x01, 0, 0, 0, 1, 0, 0, 0, 2, /* LARGE */
	0xe0, 99, 3, 1, 2, 3,					   /* unknown, partial */
};

static void test_update_all_attributes(void **state)
{
	struct bgp_decode_ctx ctx;
	struct bgp_update u;
	struct bgp_large_community lc;
	uint32_t c32;
	uint64_t c64;
	uint8_t *m;
	char text[256];
	(void)state;

	bgp_ctx_init(&ctx);
	assert_int_equal(decode_update(BYTES(25, 203, 0, 113, 0), full_attrs, sizeof(full_attrs),
				       BYTES(NLRI_ONE, 8, 10), &ctx, &u, &m),
			 0);
	assert_int_equal(u.outcome, BGP_UPDATE_OK);
	assert_int_equal(u.errors, 0);
	assert_int_equal(u.n_attrs, 13);
	assert_int_equal(u.origin, 1);
	assert_true(bgp_update_has(&u, BGP_ATTR_ORIGIN));
	assert_memory_equal(u.next_hop, ((uint8_t[]){192, 0, 2, 1}), 4);
	assert_int_equal(u.med, 100);
	assert_int_equal(u.local_pref, 200);
	assert_true(bgp_update_has(&u, BGP_ATTR_ATOMIC_AGGREGATE));
	assert_int_equal(u.aggregator.asn, 65001);
	assert_memory_equal(u.aggregator.addr, ((uint8_t[]){192, 0, 2, 9}), 4);
	assert_int_equal(u.communities.count, 2);
	assert_int_equal(bgp_community_get(&u.communities, 0, &c32), 0);
	assert_int_equal(c32, 0xfde90064);
	assert_int_equal(bgp_community_get(&u.communities, 1, &c32), 0);
	assert_int_equal(c32, 0xffffff01);
	assert_int_equal(bgp_community_get(&u.communities, 2, &c32), -1);
	assert_int_equal(u.originator_id, 0x0a000007);
	assert_int_equal(u.cluster_list.count, 2);
	assert_int_equal(bgp_community_get(&u.cluster_list, 1, &c32), 0);
	assert_int_equal(c32, 0x0a000002);
	assert_int_equal(u.ext_communities.count, 1);
	assert_int_equal(bgp_ext_community_get(&u.ext_communities, 0, &c64), 0);
	assert_true(c64 == 0x0002fde90000002aull);
	assert_int_equal(bgp_ext_community_get(&u.ext_communities, 1, &c64), -1);
	assert_int_equal(u.large_communities.count, 1);
	assert_int_equal(bgp_large_community_get(&u.large_communities, 0, &lc), 0);
	assert_int_equal(lc.global_admin, 4200000001u);
	assert_int_equal(lc.local1, 1);
	assert_int_equal(lc.local2, 2);
	/* unknown attribute preserved as it came */
	assert_int_equal(u.n_unknown, 1);
	assert_int_equal(u.unknown[0].flags, 0xe0);
	assert_int_equal(u.unknown[0].type, 99);
	assert_int_equal(u.unknown[0].len, 3);
	assert_memory_equal(u.unknown[0].data, ((uint8_t[]){1, 2, 3}), 3);
	assert_true(bgp_update_has(&u, 99));
	assert_false(bgp_update_has(&u, 98));
	/* AS_PATH via the extended-length flag: one SEQ of three */
	struct bgp_as_hop hops[8];
	size_t n;
	assert_int_equal(bgp_aspath_effective(&u, hops, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(hops[0].asn, 65001);
	assert_int_equal(hops[2].asn, 4200000001u);
	assert_int_equal(hops[2].seg_type, BGP_AS_SEQUENCE);
	/* NLRI and withdrawn */
	assert_int_equal(block_text(&u.nlri, text, sizeof(text)), 0);
	assert_string_equal(text, "198.18.0.0/24 10.0.0.0/8");
	assert_int_equal(block_text(&u.withdrawn, text, sizeof(text)), 0);
	assert_string_equal(text, "203.0.113.0/25");
	assert_false(u.mp_reach.present);
	free(m);
}

/* ------------------------------------------------------------------ */
/* AS paths: 2 vs 4 octets, AS_TRANS, sets, confederations            */

struct aspath_case {
	const char *name;
	bool as4;
	const uint8_t *attrs;
	size_t alen;
	uint32_t want[8];
	size_t nwant;
};

static const struct aspath_case aspath_cases[] = {
	{"4-octet session", true,
	 BYTES(A_ORIGIN, 0x40, 2, 10, 2, 2, 0, 0, 0xfd, 0xe9, 0xfa, 0x56, 0xea, 0x01, A_NEXTHOP),
	 {65001, 4200000001u}, 2},
	{"2-octet session, no AS4_PATH", false,
	 BYTES(A_ORIGIN, 0x40, 2, 6, 2, 2, 0xfd, 0xe9, 0x5b, 0xa0, A_NEXTHOP),
	 {65001, BGP_AS_TRANS}, 2},
	{"AS_TRANS reconstructed", false,
	 BYTES(A_ORIGIN, 0x40, 2, 10, 2, 4, 0, 100, 0, 200, 0x5b, 0xa0, 0x5b, 0xa0, A_NEXTHOP,
	       0xc0, 17, 10, 2, 2, 0xfa, 0x56, 0xea, 0x01, 0xfa, 0x56, 0xea, 0x02),
	 {100, 200, 4200000001u, 4200000002u}, 4},
	{"AS4_PATH longer than AS_PATH: ignored", false,
	 BYTES(A_ORIGIN, 0x40, 2, 4, 2, 1, 0x5b, 0xa0, A_NEXTHOP, 0xc0, 17, 10, 2, 2, 0xfa, 0x56,
	       0xea, 0x01, 0xfa, 0x56, 0xea, 0x02),
	 {BGP_AS_TRANS}, 1},
	{"AGGREGATOR not AS_TRANS: AS4_PATH ignored", false,
	 BYTES(A_ORIGIN, 0x40, 2, 4, 2, 1, 0x5b, 0xa0, A_NEXTHOP, 0xc0, 7, 6, 0, 100, 1, 2, 3, 4,
	       0xc0, 17, 6, 2, 1, 0xfa, 0x56, 0xea, 0x01),
	 {BGP_AS_TRANS}, 1},
	{"AGGREGATOR AS_TRANS: AS4_PATH used", false,
	 BYTES(A_ORIGIN, 0x40, 2, 4, 2, 1, 0x5b, 0xa0, A_NEXTHOP, 0xc0, 7, 6, 0x5b, 0xa0, 1, 2, 3,
	       4, 0xc0, 17, 6, 2, 1, 0xfa, 0x56, 0xea, 0x01),
	 {4200000001u}, 1},
	{"4-octet session ignores AS4_PATH", true,
	 BYTES(A_ORIGIN, A_ASPATH4, A_NEXTHOP, 0xc0, 17, 6, 2, 1, 0xfa, 0x56, 0xea, 0x01),
	 {65001}, 1},
	{"AS_SET counts one", false,
	 /* AS_PATH: SEQ(100) SET(23456 300); AS4_PATH: SET(4200000001 300) */
	 BYTES(A_ORIGIN, 0x40, 2, 10, 2, 1, 0, 100, 1, 2, 0x5b, 0xa0, 1, 0x2c, A_NEXTHOP, 0xc0, 17,
	       10, 1, 2, 0xfa, 0x56, 0xea, 0x01, 0, 0, 1, 0x2c),
	 {100, 4200000001u, 300}, 3},
	{"confed kept from AS_PATH, dropped from AS4_PATH", false,
	 /* AS_PATH: CONFED_SEQ(65010) SEQ(23456); AS4_PATH: CONFED_SEQ(7) SEQ(4200000001) */
	 BYTES(A_ORIGIN, 0x40, 2, 8, 3, 1, 0xfd, 0xf2, 2, 1, 0x5b, 0xa0, A_NEXTHOP, 0xc0, 17, 12, 3,
	       1, 0, 0, 0, 7, 2, 1, 0xfa, 0x56, 0xea, 0x01),
	 {65010, 4200000001u}, 2},
};

static void test_aspath_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(aspath_cases) / sizeof(aspath_cases[0]); i++) {
		const struct aspath_case *c = &aspath_cases[i];
		struct bgp_decode_ctx ctx;
		struct bgp_update u;
		struct bgp_as_hop hops[8];
		size_t n;
		uint8_t *m;

		print_message("aspath case: %s\n", c->name);
		bgp_ctx_init(&ctx);
		ctx.as4 = c->as4;
		assert_int_equal(
		    decode_update(NONE, c->attrs, c->alen, BYTES(NLRI_ONE), &ctx, &u, &m), 0);
		assert_int_equal(u.outcome, BGP_UPDATE_OK);
		assert_int_equal(bgp_aspath_effective(&u, hops, 8, &n), 0);
		assert_int_equal(n, c->nwant);
		for (size_t k = 0; k < n; k++)
			assert_int_equal(hops[k].asn, c->want[k]);
		free(m);
	}
}

static void test_aspath_segments_and_cap(void **state)
{
	/* CONFED_SET(1) CONFED_SEQ(2 3) SEQ(4) SET(5 6), 4-octet */
	static const uint8_t attrs[] = {
		A_ORIGIN, 0x40, 2, 32, 4, 1, 0, 0, 0, 1, 3, 2, 0, 0, 0, 2, 0, 0, 0, 3, 2, 1,
		0,	  0,	0, 4,  1, 2, 0, 0, 0, 5, 0, 0, 0, 6, A_NEXTHOP,
	};
	static const uint8_t types[] = {BGP_AS_CONFED_SET, BGP_AS_CONFED_SEQUENCE, BGP_AS_SEQUENCE,
					BGP_AS_SET};
	static const uint8_t counts[] = {1, 2, 1, 2};
	struct bgp_decode_ctx ctx;
	struct bgp_update u;
	struct bgp_aspath_iter it;
	struct bgp_as_segment seg;
	struct bgp_as_hop hops[3];
	uint32_t asn, next = 1;
	size_t nseg = 0, n;
	uint8_t *m;
	(void)state;

	bgp_ctx_init(&ctx);
	assert_int_equal(decode_update(NONE, attrs, sizeof(attrs), BYTES(NLRI_ONE), &ctx, &u, &m),
			 0);
	assert_int_equal(u.outcome, BGP_UPDATE_OK);
	bgp_aspath_iter_init(&it, &u.as_path);
	while (bgp_aspath_next(&it, &seg) == 1) {
		assert_int_equal(seg.type, types[nseg]);
		assert_int_equal(seg.count, counts[nseg]);
		while (bgp_as_segment_next(&seg, &asn) == 1)
			assert_int_equal(asn, next++);
		nseg++;
	}
	assert_int_equal(nseg, 4);
	assert_int_equal(next, 7);
	/* the cap cuts what is written, not what is counted */
	assert_int_equal(bgp_aspath_effective(&u, hops, 3, &n), 0);
	assert_int_equal(n, 6);
	assert_int_equal(hops[2].asn, 3);
	assert_int_equal(hops[2].seg_type, BGP_AS_CONFED_SEQUENCE);
	free(m);
}

/* ------------------------------------------------------------------ */
/* ADD-PATH decoding                                                  */

static void test_addpath_ipv4_on_off(void **state)
{
	/* path id 1 198.18.0.0/24, path id 2 198.18.0.0/24 */
	static const uint8_t nlri[] = {0, 0, 0, 1, 24, 198, 18, 0, 0, 0, 0, 2, 24, 198, 18, 0};
	struct bgp_decode_ctx ctx;
	struct bgp_update u;
	char text[256];
	uint8_t *m;
	(void)state;

	bgp_ctx_init(&ctx);
	ctx.n_addpath = 1;
	ctx.addpath[0] = (struct bgp_afisafi){1, 1};
	assert_int_equal(decode_update(BYTES(0, 0, 0, 9, 8, 10), BYTES(A_MANDATORY), nlri,
				       sizeof(nlri), &ctx, &u, &m),
			 0);
	assert_int_equal(u.outcome, BGP_UPDATE_OK);
	assert_true(u.nlri.add_path);
	assert_int_equal(block_text(&u.nlri, text, sizeof(text)), 0);
	assert_string_equal(text, "198.18.0.0/24#1 198.18.0.0/24#2");
	assert_int_equal(block_text(&u.withdrawn, text, sizeof(text)), 0);
	assert_string_equal(text, "10.0.0.0/8#9");
	free(m);

	/* the same bytes without ADD-PATH: a different, broken reading */
	bgp_ctx_init(&ctx);
	assert_int_equal(decode_update(NONE, BYTES(A_MANDATORY), nlri, sizeof(nlri), &ctx, &u, &m),
			 0);
	assert_false(u.nlri.add_path);
	assert_int_equal(u.outcome, BGP_UPDATE_SESSION_RESET);
	assert_true(bgp_errors_has(u.errors, BGP_ERR_NLRI_LENGTH) ||
		    bgp_errors_has(u.errors, BGP_ERR_NLRI_OVERRUN));
	free(m);
}

/* ADD-PATH for IPv6 only: the MP NLRI has path ids, the IPv4 NLRI not. */
static void test_addpath_ipv6_only(void **state)
{
	static const uint8_t attrs[] = {
		A_MANDATORY, 0x90, 14, 0, 30,			/* MP_REACH, extended length */
		0, 2, 1, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, /* NH */
		0,						/* reserved */
		0, 0, 0, 7, 32, 0x20, 0x01, 0x0d, 0xb8,		/* path id 7, 2001:db8::/32 */
	};
	struct bgp_decode_ctx ctx;
	struct bgp_update u;
	char text[256];
	uint8_t *m;
	(void)state;

	bgp_ctx_init(&ctx);
	ctx.n_addpath = 1;
	ctx.addpath[0] = (struct bgp_afisafi){2, 1};
	assert_int_equal(decode_update(NONE, attrs, sizeof(attrs), BYTES(NLRI_ONE), &ctx, &u, &m),
			 0);
	assert_int_equal(u.outcome, BGP_UPDATE_OK);
	assert_false(u.nlri.add_path);
	assert_true(u.mp_reach.add_path);
	assert_int_equal(block_text(&u.nlri, text, sizeof(text)), 0);
	assert_string_equal(text, "198.18.0.0/24");
	assert_int_equal(block_text(&u.mp_reach, text, sizeof(text)), 0);
	assert_string_equal(text, "2001:db8::/32#7");
	free(m);
}

/* ------------------------------------------------------------------ */
/* MP_REACH / MP_UNREACH                                              */

static void test_mp_reach_ipv6_link_local(void **state)
{
	static const uint8_t attrs[] = {
		A_ORIGIN, A_ASPATH4,
		/* MP_REACH: ipv6 unicast, NH 2001:db8::1 + fe80::1, 2001:db8:1::/48 */
		0x80, 14, 44, 0, 2, 1, 32, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		1, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 48, 0x20, 0x01, 0x0d,
		0xb8, 0, 1,
		/* MP_UNREACH: 2001:db8:2::/64 */
		0x80, 15, 12, 0, 2, 1, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0,
	};
	struct bgp_decode_ctx ctx;
	struct bgp_update u;
	char text[256];
	uint8_t *m;
	(void)state;

	bgp_ctx_init(&ctx);
	assert_int_equal(decode_update(NONE, attrs, sizeof(attrs), NONE, &ctx, &u, &m), 0);
	assert_int_equal(u.outcome, BGP_UPDATE_OK);
	assert_int_equal(u.errors, 0);
	assert_true(u.mp_reach.present && u.mp_reach.decodable);
	assert_int_equal(u.mp_reach.afi, 2);
	assert_int_equal(u.mp_nexthop.afi, 2);
	assert_int_equal(u.mp_nexthop.raw_len, 32);
	assert_int_equal(u.mp_nexthop.addr[15], 1);
	assert_true(u.mp_nexthop.has_link_local);
	assert_int_equal(u.mp_nexthop.link_local[0], 0xfe);
	assert_int_equal(u.mp_nexthop.link_local[15], 1);
	assert_int_equal(block_text(&u.mp_reach, text, sizeof(text)), 0);
	assert_string_equal(text, "2001:db8:1::/48");
	assert_int_equal(block_text(&u.mp_unreach, text, sizeof(text)), 0);
	assert_string_equal(text, "2001:db8:2::/64");
	/* NEXT_HOP is not mandatory with MP_REACH only (RFC 4760 §3) */
	assert_false(bgp_errors_has(u.errors, BGP_ERR_MISSING_MANDATORY));
	free(m);
}

static void test_mp_ipv4_multicast_and_opaque(void **state)
{
	struct bgp_decode_ctx ctx;
	struct bgp_update u;
	struct bgp_nlri_iter it;
	char text[128];
	uint8_t *m;
	(void)state;

	bgp_ctx_init(&ctx);
	/* IPv4 multicast in MP_REACH with a 4-byte next hop */
	assert_int_equal(decode_update(NONE,
				       BYTES(A_ORIGIN, A_ASPATH4, 0x80, 14, 13, 0, 1, 2, 4, 10, 0,
					     0, 1, 0, 24, 232, 1, 1),
				       NONE, &ctx, &u, &m),
			 0);
	assert_int_equal(u.outcome, BGP_UPDATE_OK);
	assert_int_equal(u.mp_nexthop.afi, 1);
	assert_int_equal(block_text(&u.mp_reach, text, sizeof(text)), 0);
	assert_string_equal(text, "232.1.1.0/24");
	free(m);

	/* VPNv4 (1/128): kept opaque, not decoded, not an error */
	assert_int_equal(decode_update(NONE,
				       BYTES(A_ORIGIN, A_ASPATH4, 0x80, 14, 19, 0, 1, 128, 12, 0, 0,
					     0, 0, 0, 0, 0, 0, 10, 0, 0, 1, 0, 0xff, 0xee),
				       NONE, &ctx, &u, &m),
			 0);
	assert_int_equal(u.outcome, BGP_UPDATE_OK);
	assert_true(u.mp_reach.present);
	assert_false(u.mp_reach.decodable);
	assert_int_equal(u.mp_reach.safi, 128);
	assert_int_equal(u.mp_reach.r.size, 2);
	assert_int_equal(u.mp_nexthop.raw_len, 12);
	assert_int_equal(bgp_nlri_iter_init(&it, &u.mp_reach), -1);
	free(m);

	/* labeled unicast withdraw (1/4): opaque */
	assert_int_equal(decode_update(NONE, BYTES(0x80, 15, 7, 0, 1, 4, 8, 1, 2, 3), NONE, &ctx,
				       &u, &m),
			 0);
	assert_int_equal(u.outcome, BGP_UPDATE_OK);
	assert_false(u.mp_unreach.decodable);
	assert_int_equal(u.mp_unreach.r.size, 4);
	free(m);
}

/* ------------------------------------------------------------------ */
/* RFC 7606 outcomes                                                  */

struct rfc7606_case {
	const char *name;
	bool as4;
	const uint8_t *attrs;
	size_t alen;
	const uint8_t *nlri;
	size_t nlen;
	enum bgp_update_outcome outcome;
	enum bgp_error reason;
	int absent; /* attribute that must not be kept (0: none) */
};

static const struct rfc7606_case rfc7606_cases[] = {
	{"clean", true, BYTES(A_MANDATORY), BYTES(NLRI_ONE), BGP_UPDATE_OK, BGP_ERR_NONE, 0},
	{"origin value 3", true, BYTES(0x40, 1, 1, 3, A_ASPATH4, A_NEXTHOP), BYTES(NLRI_ONE),
	 BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_BAD_ORIGIN, 1},
	{"origin length 2", true, BYTES(0x40, 1, 2, 0, 0, A_ASPATH4, A_NEXTHOP), BYTES(NLRI_ONE),
	 BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_ATTR_LENGTH, 1},
	{"origin optional flag", true, BYTES(0xc0, 1, 1, 0, A_ASPATH4, A_NEXTHOP), BYTES(NLRI_ONE),
	 BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_ATTR_FLAGS, 1},
	{"origin partial flag is fine", true, BYTES(0x60, 1, 1, 0, A_ASPATH4, A_NEXTHOP),
	 BYTES(NLRI_ONE), BGP_UPDATE_OK, BGP_ERR_NONE, 0},
	{"as_path zero-length segment", true, BYTES(A_ORIGIN, 0x40, 2, 2, 2, 0, A_NEXTHOP),
	 BYTES(NLRI_ONE), BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_BAD_AS_PATH, 2},
	{"as_path segment type 5", true, BYTES(A_ORIGIN, 0x40, 2, 6, 5, 1, 0, 0, 0, 1, A_NEXTHOP),
	 BYTES(NLRI_ONE), BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_BAD_AS_PATH, 2},
	{"as_path segment overrun", true,
	 BYTES(A_ORIGIN, 0x40, 2, 10, 2, 3, 0, 0, 0, 1, 0, 0, 0, 2, A_NEXTHOP), BYTES(NLRI_ONE),
	 BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_BAD_AS_PATH, 2},
	{"as_path lone octet", true, BYTES(A_ORIGIN, 0x40, 2, 7, 2, 1, 0, 0, 0, 1, 2, A_NEXTHOP),
	 BYTES(NLRI_ONE), BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_BAD_AS_PATH, 2},
	{"as_path 4-octet read as 2-octet", false, BYTES(A_ORIGIN, 0x40, 2, 6, 2, 1, 0, 0, 0xfd,
							  0xe9, A_NEXTHOP),
	 BYTES(NLRI_ONE), BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_BAD_AS_PATH, 2},
	{"empty as_path is fine (iBGP)", true, BYTES(A_ORIGIN, 0x40, 2, 0, A_NEXTHOP),
	 BYTES(NLRI_ONE), BGP_UPDATE_OK, BGP_ERR_NONE, 0},
	{"next_hop length 3", true, BYTES(A_ORIGIN, A_ASPATH4, 0x40, 3, 3, 1, 2, 3),
	 BYTES(NLRI_ONE), BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_ATTR_LENGTH, 3},
	{"med length 3", true, BYTES(A_MANDATORY, 0x80, 4, 3, 0, 0, 1), BYTES(NLRI_ONE),
	 BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_ATTR_LENGTH, 4},
	{"med transitive flag", true, BYTES(A_MANDATORY, 0xc0, 4, 4, 0, 0, 0, 1), BYTES(NLRI_ONE),
	 BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_ATTR_FLAGS, 4},
	{"local_pref length 5", true, BYTES(A_MANDATORY, 0x40, 5, 5, 0, 0, 0, 0, 1),
	 BYTES(NLRI_ONE), BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_ATTR_LENGTH, 5},
	{"atomic_aggregate length 1", true, BYTES(A_MANDATORY, 0x40, 6, 1, 0), BYTES(NLRI_ONE),
	 BGP_UPDATE_ATTR_DISCARD, BGP_ERR_ATTR_LENGTH, 6},
	{"aggregator 6 bytes on as4", true, BYTES(A_MANDATORY, 0xc0, 7, 6, 0, 1, 1, 2, 3, 4),
	 BYTES(NLRI_ONE), BGP_UPDATE_ATTR_DISCARD, BGP_ERR_ATTR_LENGTH, 7},
	{"aggregator 8 bytes on as2", false,
	 BYTES(A_ORIGIN, 0x40, 2, 4, 2, 1, 0, 1, A_NEXTHOP, 0xc0, 7, 8, 0, 0, 0, 1, 1, 2, 3, 4),
	 BYTES(NLRI_ONE), BGP_UPDATE_ATTR_DISCARD, BGP_ERR_ATTR_LENGTH, 7},
	{"aggregator 7 bytes", true, BYTES(A_MANDATORY, 0xc0, 7, 7, 0, 0, 1, 1, 2, 3, 4),
	 BYTES(NLRI_ONE), BGP_UPDATE_ATTR_DISCARD, BGP_ERR_ATTR_LENGTH, 7},
	{"communities empty", true, BYTES(A_MANDATORY, 0xc0, 8, 0), BYTES(NLRI_ONE),
	 BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_ATTR_LENGTH, 8},
	{"communities 6 bytes", true, BYTES(A_MANDATORY, 0xc0, 8, 6, 0, 0, 0, 1, 0, 0),
	 BYTES(NLRI_ONE), BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_ATTR_LENGTH, 8},
	{"originator_id 5 bytes", true, BYTES(A_MANDATORY, 0x80, 9, 5, 1, 2, 3, 4, 5),
	 BYTES(NLRI_ONE), BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_ATTR_LENGTH, 9},
	{"cluster_list 6 bytes", true, BYTES(A_MANDATORY, 0x80, 10, 6, 1, 2, 3, 4, 5, 6),
	 BYTES(NLRI_ONE), BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_ATTR_LENGTH, 10},
	{"ext communities 12 bytes", true,
	 BYTES(A_MANDATORY, 0xc0, 16, 12, 0, 2, 0, 1, 0, 0, 0, 1, 0, 2, 0, 1), BYTES(NLRI_ONE),
	 BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_ATTR_LENGTH, 16},
	{"large community 8 bytes", true, BYTES(A_MANDATORY, 0xc0, 32, 8, 0, 0, 0, 1, 0, 0, 0, 2),
	 BYTES(NLRI_ONE), BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_ATTR_LENGTH, 32},
	{"as4_path malformed: discarded", false,
	 BYTES(A_ORIGIN, 0x40, 2, 4, 2, 1, 0x5b, 0xa0, A_NEXTHOP, 0xc0, 17, 4, 2, 2, 0, 1),
	 BYTES(NLRI_ONE), BGP_UPDATE_ATTR_DISCARD, BGP_ERR_BAD_AS4_PATH, 17},
	{"as4_aggregator 6 bytes", false,
	 BYTES(A_ORIGIN, 0x40, 2, 4, 2, 1, 0, 1, A_NEXTHOP, 0xc0, 18, 6, 0, 1, 1, 2, 3, 4),
	 BYTES(NLRI_ONE), BGP_UPDATE_ATTR_DISCARD, BGP_ERR_ATTR_LENGTH, 18},
	{"duplicate med: first kept", true,
	 BYTES(A_MANDATORY, 0x80, 4, 4, 0, 0, 0, 1, 0x80, 4, 4, 0, 0, 0, 2), BYTES(NLRI_ONE),
	 BGP_UPDATE_ATTR_DISCARD, BGP_ERR_DUPLICATE_ATTR, 0},
	{"duplicate mp_unreach", true,
	 BYTES(0x80, 15, 3, 0, 2, 1, 0x80, 15, 3, 0, 2, 1), NONE, BGP_UPDATE_SESSION_RESET,
	 BGP_ERR_DUPLICATE_MP_ATTR, 0},
	{"duplicate mp_reach", true,
	 BYTES(A_ORIGIN, A_ASPATH4, 0x80, 14, 9, 0, 1, 1, 4, 1, 2, 3, 4, 0, 0x80, 14, 9, 0, 1, 1,
	       4, 1, 2, 3, 4, 0),
	 NONE, BGP_UPDATE_SESSION_RESET, BGP_ERR_DUPLICATE_MP_ATTR, 0},
	{"missing origin", true, BYTES(A_ASPATH4, A_NEXTHOP), BYTES(NLRI_ONE),
	 BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_MISSING_MANDATORY, 0},
	{"missing as_path", true, BYTES(A_ORIGIN, A_NEXTHOP), BYTES(NLRI_ONE),
	 BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_MISSING_MANDATORY, 0},
	{"missing next_hop with ipv4 nlri", true, BYTES(A_ORIGIN, A_ASPATH4), BYTES(NLRI_ONE),
	 BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_MISSING_MANDATORY, 0},
	{"missing as_path with mp_reach", true,
	 BYTES(A_ORIGIN, 0x80, 14, 13, 0, 1, 1, 4, 1, 2, 3, 4, 0, 24, 10, 1, 2), NONE,
	 BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_MISSING_MANDATORY, 0},
	{"no nlri, no mandatory needed", true, BYTES(0x80, 4, 4, 0, 0, 0, 1), NONE, BGP_UPDATE_OK,
	 BGP_ERR_NONE, 0},
	{"unrecognized well-known", true, BYTES(A_MANDATORY, 0x40, 99, 1, 0), BYTES(NLRI_ONE),
	 BGP_UPDATE_SESSION_RESET, BGP_ERR_UNRECOGNIZED_WELLKNOWN, 0},
	{"attribute header cut (2 bytes left)", true, BYTES(A_MANDATORY, 0x80, 4), BYTES(NLRI_ONE),
	 BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_ATTR_OVERRUN, 0},
	{"extended length header cut", true, BYTES(A_MANDATORY, 0x90, 8, 0), BYTES(NLRI_ONE),
	 BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_ATTR_OVERRUN, 0},
	{"attribute length beyond block", true, BYTES(A_MANDATORY, 0xc0, 8, 8, 0, 0, 0, 1),
	 BYTES(NLRI_ONE), BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_ATTR_OVERRUN, 8},
	{"mp_reach length beyond block", true,
	 BYTES(A_ORIGIN, A_ASPATH4, 0x80, 14, 40, 0, 2, 1, 16, 0), NONE, BGP_UPDATE_SESSION_RESET,
	 BGP_ERR_ATTR_OVERRUN, 14},
	{"mp_reach 4 bytes", true, BYTES(A_ORIGIN, A_ASPATH4, 0x80, 14, 4, 0, 2, 1, 0), NONE,
	 BGP_UPDATE_SESSION_RESET, BGP_ERR_MP_REACH_LENGTH, 14},
	{"mp_reach next hop 20 for ipv6", true,
	 BYTES(A_ORIGIN, A_ASPATH4, 0x80, 14, 25, 0, 2, 1, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	       0, 0, 0, 0, 0, 0, 0, 0, 0),
	 NONE, BGP_UPDATE_SESSION_RESET, BGP_ERR_MP_NEXT_HOP_LENGTH, 14},
	{"mp_reach ipv6 with 4-byte next hop", true,
	 BYTES(A_ORIGIN, A_ASPATH4, 0x80, 14, 9, 0, 2, 1, 4, 1, 2, 3, 4, 0), NONE,
	 BGP_UPDATE_SESSION_RESET, BGP_ERR_MP_NEXT_HOP_LENGTH, 14},
	{"mp_reach next hop overruns attr", true,
	 BYTES(A_ORIGIN, A_ASPATH4, 0x80, 14, 6, 0, 2, 1, 16, 0, 0), NONE, BGP_UPDATE_SESSION_RESET,
	 BGP_ERR_MP_NEXT_HOP_LENGTH, 14},
	{"mp_reach prefix length 129", true,
	 BYTES(A_ORIGIN, A_ASPATH4, 0x80, 14, 23, 0, 2, 1, 16, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0,
	       0, 0, 0, 0, 0, 0, 1, 0, 129, 0),
	 NONE, BGP_UPDATE_SESSION_RESET, BGP_ERR_NLRI_LENGTH, 0},
	{"mp_unreach 2 bytes", true, BYTES(0x80, 15, 2, 0, 2), NONE, BGP_UPDATE_SESSION_RESET,
	 BGP_ERR_MP_UNREACH_LENGTH, 15},
	{"mp_unreach prefix overrun", true, BYTES(0x80, 15, 6, 0, 2, 1, 64, 0x20, 1), NONE,
	 BGP_UPDATE_SESSION_RESET, BGP_ERR_NLRI_OVERRUN, 0},
	{"mp_reach flags error (RFC 7606 §5.3)", true,
	 BYTES(A_ORIGIN, A_ASPATH4, 0xc0, 14, 13, 0, 1, 1, 4, 1, 2, 3, 4, 0, 24, 10, 1, 2), NONE,
	 BGP_UPDATE_SESSION_RESET, BGP_ERR_ATTR_FLAGS, 14},
	{"nlri prefix length 33", true, BYTES(A_MANDATORY), BYTES(33, 1, 2, 3, 4, 5),
	 BGP_UPDATE_SESSION_RESET, BGP_ERR_NLRI_LENGTH, 0},
	{"nlri prefix overrun", true, BYTES(A_MANDATORY), BYTES(NLRI_ONE, 24, 10, 0),
	 BGP_UPDATE_SESSION_RESET, BGP_ERR_NLRI_OVERRUN, 0},
	{"most severe wins", true, BYTES(0x40, 1, 1, 9, A_ASPATH4, A_NEXTHOP, 0x40, 6, 1, 0),
	 BYTES(NLRI_ONE), BGP_UPDATE_TREAT_AS_WITHDRAW, BGP_ERR_ATTR_LENGTH, 6},
};

static void test_rfc7606_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rfc7606_cases) / sizeof(rfc7606_cases[0]); i++) {
		const struct rfc7606_case *c = &rfc7606_cases[i];
		struct bgp_decode_ctx ctx;
		struct bgp_update u;
		uint8_t *m;

		print_message("rfc7606 case: %s\n", c->name);
		bgp_ctx_init(&ctx);
		ctx.as4 = c->as4;
		assert_int_equal(decode_update(NONE, c->attrs, c->alen, c->nlri, c->nlen, &ctx, &u, &m),
				 0);
		assert_int_equal(u.outcome, c->outcome);
		if (c->reason == BGP_ERR_NONE)
			assert_int_equal(u.errors, 0);
		else
			assert_true(bgp_errors_has(u.errors, c->reason));
		if (c->absent)
			assert_false(bgp_update_has(&u, (uint8_t)c->absent));
		free(m);
	}
}

static void test_rfc7606_details(void **state)
{
	struct bgp_decode_ctx ctx;
	struct bgp_update u;
	char text[64];
	uint8_t *m;
	(void)state;

	bgp_ctx_init(&ctx);
	/* duplicate: the first value is the one kept */
	assert_int_equal(decode_update(NONE,
				       BYTES(A_MANDATORY, 0x80, 4, 4, 0, 0, 0, 1, 0x80, 4, 4, 0, 0,
					     0, 2),
				       BYTES(NLRI_ONE), &ctx, &u, &m),
			 0);
	assert_true(bgp_update_has(&u, BGP_ATTR_MED));
	assert_int_equal(u.med, 1);
	free(m);
	/* both reasons of a multi-error message are recorded */
	assert_int_equal(decode_update(NONE,
				       BYTES(0x40, 1, 1, 9, A_ASPATH4, A_NEXTHOP, 0x40, 6, 1, 0),
				       BYTES(NLRI_ONE), &ctx, &u, &m),
			 0);
	assert_true(bgp_errors_has(u.errors, BGP_ERR_BAD_ORIGIN));
	assert_true(bgp_errors_has(u.errors, BGP_ERR_ATTR_LENGTH));
	free(m);
	/* a broken MP_REACH flag still says which AFI/SAFI and prefixes */
	assert_int_equal(decode_update(NONE,
				       BYTES(A_ORIGIN, A_ASPATH4, 0xc0, 14, 13, 0, 1, 1, 4, 1, 2, 3,
					     4, 0, 24, 10, 1, 2),
				       NONE, &ctx, &u, &m),
			 0);
	assert_int_equal(block_text(&u.mp_reach, text, sizeof(text)), 0);
	assert_string_equal(text, "10.1.2.0/24");
	free(m);
	/* after an attribute overrun, the NLRI is still located (RFC 7606 §4) */
	assert_int_equal(decode_update(NONE, BYTES(A_MANDATORY, 0xc0, 8, 8, 0, 0, 0, 1),
				       BYTES(NLRI_ONE), &ctx, &u, &m),
			 0);
	assert_int_equal(block_text(&u.nlri, text, sizeof(text)), 0);
	assert_string_equal(text, "198.18.0.0/24");
	free(m);
}

/* Too many unknown attributes: the first BGP_UPDATE_MAX_UNKNOWN kept. */
static void test_unknown_overflow(void **state)
{
	uint8_t attrs[20 * 4];
	struct bgp_decode_ctx ctx;
	struct bgp_update u;
	uint8_t *m;
	(void)state;

	for (int i = 0; i < 20; i++)
		memcpy(attrs + i * 4, (const uint8_t[]){0xc0, (uint8_t)(100 + i), 1, (uint8_t)i}, 4);
	bgp_ctx_init(&ctx);
	assert_int_equal(decode_update(NONE, attrs, sizeof(attrs), NONE, &ctx, &u, &m), 0);
	assert_int_equal(u.n_unknown, BGP_UPDATE_MAX_UNKNOWN);
	assert_int_equal(u.unknown_overflow, 20 - BGP_UPDATE_MAX_UNKNOWN);
	assert_true(bgp_errors_has(u.errors, BGP_ERR_UNKNOWN_ATTR_OVERFLOW));
	assert_int_equal(u.outcome, BGP_UPDATE_OK);
	assert_int_equal(u.unknown[15].type, 115);
	assert_int_equal(u.unknown[15].data[0], 15);
	free(m);
}

/* ------------------------------------------------------------------ */
/* Lying top-level lengths and truncations                            */

static void test_lying_top_lengths(void **state)
{
	struct bgp_decode_ctx ctx;
	struct bgp_update u;
	size_t len;
	uint8_t *m;
	(void)state;

	bgp_ctx_init(&ctx);
	/* withdrawn length 200 in a 27-byte message */
	m = msg_build(BGP_MSG_UPDATE, (const uint8_t[]){0, 200, 0, 0, 24, 10, 0, 0}, 8, &len);
	assert_int_equal(bgp_update_decode(m, len, &ctx, &u), -1);
	assert_int_equal(u.outcome, BGP_UPDATE_SESSION_RESET);
	assert_true(bgp_errors_has(u.errors, BGP_ERR_WITHDRAWN_LENGTH));
	free(m);
	/* total attribute length beyond the message */
	m = msg_build(BGP_MSG_UPDATE, (const uint8_t[]){0, 0, 0, 9, A_ORIGIN}, 8, &len);
	assert_int_equal(bgp_update_decode(m, len, &ctx, &u), -1);
	assert_true(bgp_errors_has(u.errors, BGP_ERR_ATTRS_LENGTH));
	free(m);
	/* header says 40, buffer has 27 */
	m = msg_build(BGP_MSG_UPDATE, (const uint8_t[]){0, 0, 0, 0, 24, 10, 0, 0}, 8, &len);
	m[17] = 40;
	assert_int_equal(bgp_update_decode(m, len, &ctx, &u), -1);
	assert_true(bgp_errors_has(u.errors, BGP_ERR_MSG_LENGTH));
	free(m);
	/* a KEEPALIVE handed to the UPDATE decoder */
	m = msg_build(BGP_MSG_KEEPALIVE, NULL, 0, &len);
	assert_int_equal(bgp_update_decode(m, len, &ctx, &u), -1);
	free(m);
}

/* Walks every decodable thing in u, as a consumer would. */
static void consume(const struct bgp_update *u)
{
	const struct bgp_nlri_block *blocks[] = {&u->withdrawn, &u->nlri, &u->mp_reach,
						 &u->mp_unreach};
	struct bgp_as_hop hops[4];
	size_t n;

	for (size_t i = 0; i < 4; i++) {
		struct bgp_nlri_iter it;
		struct bgp_prefix p;
		char buf[80];

		if (bgp_nlri_iter_init(&it, blocks[i]) < 0)
			continue;
		while (bgp_nlri_next(&it, &p) == 1)
			assert_true(bgp_prefix_format(&p, buf, sizeof(buf)) > 0);
	}
	if (bgp_aspath_effective(u, hops, 4, &n) == 0)
		assert_true(bgp_update_has(u, BGP_ATTR_AS_PATH));
}

/* Every prefix of a valid UPDATE fails cleanly: as is (header length
 * lies) and with the header fixed up (inner lengths lie). */
static void test_truncation_every_byte(void **state)
{
	static const uint8_t attrs[] = {
		A_ORIGIN, A_ASPATH4, A_NEXTHOP, 0xc0, 8, 4, 0xfd, 0xe9, 0, 1,
		0x80, 14, 28, 0, 2, 1, 16, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0,
		48, 0x20, 1, 0xd, 0xb8, 0, 1,
	};
	struct bgp_decode_ctx ctx;
	struct bgp_update u;
	size_t len;
	uint8_t *full;
	size_t ok_cuts = 0;
	(void)state;

	bgp_ctx_init(&ctx);
	full = update_build((const uint8_t[]){16, 10, 1}, 3, attrs, sizeof(attrs),
			    (const uint8_t[]){24, 198, 18, 0, 16, 10, 2}, 7, &len);
	assert_int_equal(bgp_update_decode(full, len, &ctx, &u), 0);
	assert_int_equal(u.outcome, BGP_UPDATE_OK);
	for (size_t k = 0; k < len; k++) {
		uint8_t *cut = malloc(k ? k : 1);

		assert_non_null(cut);
		memcpy(cut, full, k);
		assert_int_equal(bgp_update_decode(cut, k, &ctx, &u), -1);
		assert_int_equal(u.outcome, BGP_UPDATE_SESSION_RESET);
		if (k >= 23) {
			cut[16] = (uint8_t)(k >> 8);
			cut[17] = (uint8_t)k;
			if (bgp_update_decode(cut, k, &ctx, &u) == 0) {
				consume(&u);
				if (u.outcome == BGP_UPDATE_OK)
					ok_cuts++;
			}
		}
		free(cut);
	}
	/* with the header fixed up, only the two cuts on an NLRI prefix
	 * boundary (no NLRI; first prefix only) still decode cleanly */
	assert_int_equal(ok_cuts, 2);
	free(full);
}

/* The same with the attribute block length fixed up too: each cut lands
 * inside an attribute or the NLRI and is reported, never crashes. */
static void test_truncation_inner(void **state)
{
	static const uint8_t attrs[] = {
		A_ORIGIN, A_ASPATH4, A_NEXTHOP, 0xc0, 8, 4, 0xfd, 0xe9, 0, 1,
		0x80, 14, 28, 0, 2, 1, 16, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0,
		48, 0x20, 1, 0xd, 0xb8, 0, 1,
	};
	struct bgp_decode_ctx ctx;
	(void)state;

	bgp_ctx_init(&ctx);
	for (size_t k = 0; k < sizeof(attrs); k++) {
		struct bgp_update u;
		uint8_t *m;
		bool boundary = k == 0 || k == 4 || k == 13 || k == 20 || k == 27;

		assert_int_equal(decode_update(NONE, attrs, k, NONE, &ctx, &u, &m), 0);
		consume(&u);
		/* anywhere but an attribute boundary is an error */
		if (!boundary)
			assert_int_not_equal(u.outcome, BGP_UPDATE_OK);
		free(m);
	}
}

/* ------------------------------------------------------------------ */
/* End-of-RIB                                                         */

static void test_eor(void **state)
{
	struct bgp_decode_ctx ctx;
	struct bgp_update u;
	uint16_t afi = 0;
	uint8_t safi = 0, *m;
	(void)state;

	bgp_ctx_init(&ctx);
	assert_int_equal(decode_update(NONE, NONE, NONE, &ctx, &u, &m), 0);
	assert_true(bgp_update_is_eor(&u, &afi, &safi));
	assert_int_equal(afi, 1);
	assert_int_equal(safi, 1);
	free(m);

	assert_int_equal(decode_update(NONE, BYTES(0x80, 15, 3, 0, 2, 1), NONE, &ctx, &u, &m), 0);
	assert_true(bgp_update_is_eor(&u, &afi, &safi));
	assert_int_equal(afi, 2);
	assert_int_equal(safi, 1);
	free(m);

	/* an MP_UNREACH with a prefix is a withdrawal, not EoR */
	assert_int_equal(
	    decode_update(NONE, BYTES(0x80, 15, 5, 0, 2, 1, 8, 0x20), NONE, &ctx, &u, &m), 0);
	assert_false(bgp_update_is_eor(&u, &afi, &safi));
	free(m);
	/* an empty MP_UNREACH plus another attribute is not EoR */
	assert_int_equal(decode_update(NONE, BYTES(0x80, 15, 3, 0, 2, 1, A_ORIGIN), NONE, &ctx,
				       &u, &m),
			 0);
	assert_false(bgp_update_is_eor(&u, &afi, &safi));
	free(m);
	/* a withdrawal is not EoR */
	assert_int_equal(decode_update(BYTES(8, 10), NONE, NONE, &ctx, &u, &m), 0);
	assert_false(bgp_update_is_eor(&u, &afi, &safi));
	free(m);
}

/* ------------------------------------------------------------------ */
/* Extended messages (RFC 8654)                                       */

static void test_extended_message(void **state)
{
	enum { NPFX = 1250 }; /* 4 bytes each: 5000 bytes of NLRI */
	uint8_t *nlri = malloc(NPFX * 4);
	struct bgp_decode_ctx ctx;
	struct bgp_update u;
	struct bgp_nlri_iter it;
	struct bgp_prefix p;
	size_t len, count = 0, mlen;
	uint8_t *m;
	(void)state;

	assert_non_null(nlri);
	for (int i = 0; i < NPFX; i++)
		memcpy(nlri + i * 4, (const uint8_t[]){24, 10, (uint8_t)(i >> 8), (uint8_t)i}, 4);
	m = update_build(NULL, 0, BYTES(A_MANDATORY), nlri, NPFX * 4, &len);
	assert_true(len > BGP_MAX_MSG_LEN);
	bgp_ctx_init(&ctx);
	assert_int_equal(bgp_update_decode(m, len, &ctx, &u), -1);
	assert_true(bgp_errors_has(u.errors, BGP_ERR_MSG_LENGTH));
	assert_int_equal(bgp_frame(m, len, false, &mlen, NULL), BGP_FRAME_ERROR);
	ctx.extended_message = true;
	assert_int_equal(bgp_frame(m, len, true, &mlen, NULL), BGP_FRAME_COMPLETE);
	assert_int_equal(mlen, len);
	assert_int_equal(bgp_update_decode(m, len, &ctx, &u), 0);
	assert_int_equal(u.outcome, BGP_UPDATE_OK);
	assert_int_equal(bgp_nlri_iter_init(&it, &u.nlri), 0);
	while (bgp_nlri_next(&it, &p) == 1)
		count++;
	assert_int_equal(count, NPFX);
	free(m);
	free(nlri);
}

/* ------------------------------------------------------------------ */
/* NOTIFICATION, KEEPALIVE, ROUTE-REFRESH                             */

static void test_notification(void **state)
{
	struct bgp_notification n;
	size_t len;
	uint8_t *m;
	(void)state;

	m = msg_build(BGP_MSG_NOTIFICATION, BYTES(6, 2, 5, 'm', 'a', 'i', 'n', 't'), &len);
	assert_int_equal(bgp_notification_decode(m, len, &n), 0);
	assert_int_equal(n.code, 6);
	assert_int_equal(n.subcode, 2);
	assert_int_equal(n.data_len, 6);
	assert_true(n.has_shutdown_comm);
	assert_int_equal(n.shutdown_comm_len, 5);
	assert_memory_equal(n.shutdown_comm, "maint", 5);
	assert_string_equal(bgp_notification_name(n.code, n.subcode), "Administrative Shutdown");
	free(m);

	/* shutdown communication longer than the data: flagged, still decoded */
	m = msg_build(BGP_MSG_NOTIFICATION, BYTES(6, 4, 50, 'x'), &len);
	assert_int_equal(bgp_notification_decode(m, len, &n), 0);
	assert_false(n.has_shutdown_comm);
	assert_true(bgp_errors_has(n.errors, BGP_ERR_SHUTDOWN_COMM));
	free(m);

	/* UPDATE error with data */
	m = msg_build(BGP_MSG_NOTIFICATION, BYTES(3, 11, 0x40, 2, 0), &len);
	assert_int_equal(bgp_notification_decode(m, len, &n), 0);
	assert_int_equal(n.data_len, 3);
	assert_false(n.has_shutdown_comm);
	free(m);

	/* wrong type */
	m = msg_build(BGP_MSG_OPEN, BYTES(6, 2, 0, 0, 0, 0, 0, 0, 0, 0), &len);
	assert_int_equal(bgp_notification_decode(m, len, &n), -1);
	free(m);
}

static const struct notif_name_case {
	uint8_t code, subcode;
	const char *name;
} notif_names[] = {
	{1, 1, "Connection Not Synchronized"},
	{1, 2, "Bad Message Length"},
	{1, 3, "Bad Message Type"},
	{2, 1, "Unsupported Version Number"},
	{2, 2, "Bad Peer AS"},
	{2, 3, "Bad BGP Identifier"},
	{2, 4, "Unsupported Optional Parameter"},
	{2, 6, "Unacceptable Hold Time"},
	{2, 7, "Unsupported Capability"},
	{2, 11, "Role Mismatch"},
	{3, 1, "Malformed Attribute List"},
	{3, 2, "Unrecognized Well-known Attribute"},
	{3, 3, "Missing Well-known Attribute"},
	{3, 4, "Attribute Flags Error"},
	{3, 5, "Attribute Length Error"},
	{3, 6, "Invalid ORIGIN Attribute"},
	{3, 8, "Invalid NEXT_HOP Attribute"},
	{3, 9, "Optional Attribute Error"},
	{3, 10, "Invalid Network Field"},
	{3, 11, "Malformed AS_PATH"},
	{4, 0, "Hold Timer Expired"},
	{5, 2, "Receive Unexpected Message in OpenConfirm State"},
	{6, 1, "Maximum Number of Prefixes Reached"},
	{6, 2, "Administrative Shutdown"},
	{6, 3, "Peer De-configured"},
	{6, 4, "Administrative Reset"},
	{6, 5, "Connection Rejected"},
	{6, 6, "Other Configuration Change"},
	{6, 7, "Connection Collision Resolution"},
	{6, 8, "Out of Resources"},
	{6, 9, "Hard Reset"},
	{6, 10, "BFD Down"},
	{6, 0, "Unspecific"},
	{6, 11, "Unknown"},
	{7, 1, "Invalid Message Length"},
	{8, 0, "Send Hold Timer Expired"},
	{9, 0, "Unknown"},
	{0, 0, "Unknown"},
	{255, 255, "Unknown"},
};

static void test_notification_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(notif_names) / sizeof(notif_names[0]); i++) {
		const struct notif_name_case *c = &notif_names[i];

		assert_string_equal(bgp_notification_name(c->code, c->subcode), c->name);
	}
	assert_string_equal(bgp_notification_code_name(6), "Cease");
	assert_string_equal(bgp_notification_code_name(3), "UPDATE Message Error");
	assert_string_equal(bgp_notification_subcode_name(4, 3), "Unknown");
}

static void test_keepalive(void **state)
{
	enum bgp_error e;
	size_t len;
	uint8_t *m = msg_build(BGP_MSG_KEEPALIVE, NULL, 0, &len);
	(void)state;

	assert_int_equal(bgp_keepalive_decode(m, len, &e), 0);
	free(m);
	m = msg_build(BGP_MSG_KEEPALIVE, BYTES(0), &len);
	assert_int_equal(bgp_keepalive_decode(m, len, &e), -1);
	assert_int_equal(e, BGP_ERR_MSG_LENGTH);
	free(m);
}

static const struct rr_case {
	const char *name;
	const uint8_t *body;
	size_t len;
	int rc;
	uint16_t afi;
	uint8_t subtype, safi;
	enum bgp_error reason;
} rr_cases[] = {
	{"normal ipv6", BYTES(0, 2, 0, 1), 0, 2, 0, 1, BGP_ERR_NONE},
	{"BoRR", BYTES(0, 1, 1, 1), 0, 1, 1, 1, BGP_ERR_NONE},
	{"EoRR", BYTES(0, 1, 2, 1), 0, 1, 2, 1, BGP_ERR_NONE},
	{"EoRR too long", BYTES(0, 1, 2, 1, 0), -1, 1, 2, 1, BGP_ERR_ROUTE_REFRESH_LENGTH},
	{"normal with ORF", BYTES(0, 1, 0, 1, 1, 0, 64, 0, 0), 0, 1, 0, 1, BGP_ERR_NONE},
	{"subtype 7", BYTES(0, 1, 7, 1), 0, 1, 7, 1, BGP_ERR_ROUTE_REFRESH_SUBTYPE},
};

static void test_route_refresh(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rr_cases) / sizeof(rr_cases[0]); i++) {
		const struct rr_case *c = &rr_cases[i];
		struct bgp_route_refresh rr;
		size_t len;
		uint8_t *m = msg_build(BGP_MSG_ROUTE_REFRESH, c->body, c->len, &len);

		print_message("route-refresh case: %s\n", c->name);
		assert_int_equal(bgp_route_refresh_decode(m, len, &rr), c->rc);
		assert_int_equal(rr.afi, c->afi);
		assert_int_equal(rr.subtype, c->subtype);
		assert_int_equal(rr.safi, c->safi);
		if (c->reason)
			assert_true(bgp_errors_has(rr.errors, c->reason));
		else
			assert_int_equal(rr.errors, 0);
		free(m);
	}
}

/* ------------------------------------------------------------------ */
/* Text helpers                                                       */

static void test_prefix_format(void **state)
{
	struct bgp_prefix p = {.afi = 1, .len = 24, .addr = {198, 18, 0, 0}};
	char buf[64];
	(void)state;

	assert_int_equal(bgp_prefix_format(&p, buf, sizeof(buf)), 13);
	assert_string_equal(buf, "198.18.0.0/24");
	p = (struct bgp_prefix){.afi = 2, .len = 32, .addr = {0x20, 0x01, 0x0d, 0xb8}};
	assert_int_equal(bgp_prefix_format(&p, buf, sizeof(buf)), 13);
	assert_string_equal(buf, "2001:db8::/32");
	p.has_path_id = true;
	p.path_id = 4294967295u;
	bgp_prefix_format(&p, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::/32#4294967295");
	p = (struct bgp_prefix){.afi = 1};
	bgp_prefix_format(&p, buf, sizeof(buf));
	assert_string_equal(buf, "0.0.0.0/0");
	/* truncating output still NUL-terminates */
	p = (struct bgp_prefix){.afi = 1, .len = 24, .addr = {198, 18, 0, 0}};
	assert_int_equal(bgp_prefix_format(&p, buf, 5), 13);
	assert_string_equal(buf, "198.");
	p.afi = 3;
	assert_int_equal(bgp_prefix_format(&p, buf, sizeof(buf)), -1);
	assert_string_equal(buf, "");
}

/* Host bits past the prefix length are cleared (RFC 4271 §4.3). */
static void test_prefix_host_bits(void **state)
{
	struct bgp_decode_ctx ctx;
	struct bgp_update u;
	char text[128];
	uint8_t *m;
	(void)state;

	bgp_ctx_init(&ctx);
	assert_int_equal(decode_update(NONE, BYTES(A_MANDATORY),
				       BYTES(12, 10, 0xff, 0, 32, 1, 2, 3, 4), &ctx, &u, &m),
			 0);
	assert_int_equal(block_text(&u.nlri, text, sizeof(text)), 0);
	assert_string_equal(text, "10.240.0.0/12 0.0.0.0/0 1.2.3.4/32");
	free(m);
}

static void test_names(void **state)
{
	(void)state;
	for (int e = 0; e < BGP_ERR__COUNT; e++) {
		const char *n = bgp_error_reason_name((enum bgp_error)e);

		assert_string_not_equal(n, "unknown");
		for (const char *c = n; *c; c++)
			assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_');
		for (int f = 0; f < e; f++)
			assert_string_not_equal(n, bgp_error_reason_name((enum bgp_error)f));
	}
	assert_string_equal(bgp_error_reason_name(BGP_ERR_ATTR_LENGTH), "attr_length");
	assert_string_equal(bgp_error_reason_name(BGP_ERR_MARKER), "marker");
	assert_string_equal(bgp_error_reason_name(BGP_ERR__COUNT), "unknown");
	assert_string_equal(bgp_update_outcome_name(BGP_UPDATE_TREAT_AS_WITHDRAW),
			    "treat_as_withdraw");
	assert_string_equal(bgp_attr_name(BGP_ATTR_LARGE_COMMUNITY), "LARGE_COMMUNITY");
	assert_null(bgp_attr_name(99));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_table),
		cmocka_unit_test(test_msg_header_exact),
		cmocka_unit_test(test_open_full),
		cmocka_unit_test(test_open_extended_params),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_open_not_open),
		cmocka_unit_test(test_open_cap_overflow),
		cmocka_unit_test(test_negotiate_addpath_direction),
		cmocka_unit_test(test_negotiate_addpath_per_afisafi),
		cmocka_unit_test(test_negotiate_as4_and_ext),
		cmocka_unit_test(test_update_all_attributes),
		cmocka_unit_test(test_aspath_table),
		cmocka_unit_test(test_aspath_segments_and_cap),
		cmocka_unit_test(test_addpath_ipv4_on_off),
		cmocka_unit_test(test_addpath_ipv6_only),
		cmocka_unit_test(test_mp_reach_ipv6_link_local),
		cmocka_unit_test(test_mp_ipv4_multicast_and_opaque),
		cmocka_unit_test(test_rfc7606_table),
		cmocka_unit_test(test_rfc7606_details),
		cmocka_unit_test(test_unknown_overflow),
		cmocka_unit_test(test_lying_top_lengths),
		cmocka_unit_test(test_truncation_every_byte),
		cmocka_unit_test(test_truncation_inner),
		cmocka_unit_test(test_eor),
		cmocka_unit_test(test_extended_message),
		cmocka_unit_test(test_notification),
		cmocka_unit_test(test_notification_names),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_route_refresh),
		cmocka_unit_test(test_prefix_format),
		cmocka_unit_test(test_prefix_host_bits),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
