/* test_bmp.c — the BMP v3 codec: framing, every message type, the
 * per-peer header, statistics entries of every size, lying lengths,
 * broken OPENs and truncation at every byte. Vectors are built byte by
 * byte with tests/tools/wire_build.h; each case states the decode it
 * expects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bmp.h"

/* buffers go through cmocka's allocator so a missing wb_free fails the test */
#define WB_REALLOC test_realloc
#define WB_FREE test_free
#include "wire_build.h"

/* ---- vector pieces ---------------------------------------------------- */

static void put_str_tlv(struct wb *b, unsigned type, const char *s)
{
	wb_put16(b, type);
	wb_put16(b, (unsigned)strlen(s));
	wb_put_mem(b, s, strlen(s));
}

struct peer_spec {
	uint8_t type, flags;
	uint64_t dist;
	uint8_t addr[16];
	uint32_t as, bgp_id, sec, usec;
};

static const struct peer_spec peer4 = {
	.type = 0,
	.flags = 0,
	.dist = 0,
	.addr = {[12] = 192, [13] = 0, [14] = 2, [15] = 1},
	.as = 65001,
	.bgp_id = 0x0a000001,
	.sec = 1700000000,
	.usec = 123456,
};

static void put_peer(struct wb *b, const struct peer_spec *p)
{
	wb_put8(b, p->type);
	wb_put8(b, p->flags);
	wb_put64(b, p->dist);
	wb_put_mem(b, p->addr, 16);
	wb_put32(b, p->as);
	wb_put32(b, p->bgp_id);
	wb_put32(b, p->sec);
	wb_put32(b, p->usec);
}

/* A BGP message: marker, length, type, then body_len bytes of body. */
static void put_bgp(struct wb *b, unsigned type, size_t body_len)
{
	size_t at = wb_bgp_begin(b, type);

	for (size_t i = 0; i < body_len; i++)
		wb_put8(b, (unsigned)(0x40 + i) & 0xff);
	wb_bgp_end(b, at);
}

/* A minimal OPEN: version 4, AS, hold time, BGP ID, no parameters. */
static void put_open(struct wb *b, unsigned as)
{
	wb_put_fill(b, 0xff, 16);
	wb_put16(b, 29);
	wb_put8(b, 1);
	wb_put8(b, 4);
	wb_put16(b, as);
	wb_put16(b, 90);
	wb_put32(b, 0x0a000002);
	wb_put8(b, 0);
}

/* ---- checks shared by the cases --------------------------------------- */

static bool inside(const uint8_t *msg, size_t len, const uint8_t *p, size_t n)
{
	if (!p)
		return n == 0;
	return p >= msg && n <= len && (size_t)(p - msg) <= len - n;
}

static void check_tlvs(const uint8_t *msg, size_t len, const struct bmp_tlv_list *l)
{
	assert_true(l->n <= BMP_MAX_TLVS && l->n <= l->total);
	assert_true(inside(msg, len, l->area.data, l->area.len));
	for (size_t i = 0; i < l->n; i++)
		assert_true(inside(msg, len, l->v[i].value, l->v[i].len));
}

static void check_pdu(const uint8_t *msg, size_t len, const struct bmp_bgp_pdu *p)
{
	if (p->status == BMP_PDU_OK || p->status == BMP_PDU_WRONG_TYPE) {
		assert_non_null(p->data);
		assert_true(p->len >= 19);
		assert_true(inside(msg, len, p->data, p->len));
	} else {
		assert_null(p->data);
	}
}

/* Every pointer handed out lies inside the message; the error summary
 * agrees with the mask. */
static void check_invariants(const uint8_t *msg, size_t len, const struct bmp_msg *m, int rc)
{
	assert_int_equal(rc, m->errors ? -1 : 0);
	assert_int_equal(m->error == BMP_OK, m->errors == 0);
	if (m->error != BMP_OK)
		assert_true(m->errors & (1u << m->error));
	switch (m->type) {
	case BMP_MSG_ROUTE_MONITORING:
		check_pdu(msg, len, &m->u.rm.update);
		break;
	case BMP_MSG_STATISTICS_REPORT:
		assert_true(m->u.stats.n <= BMP_MAX_STATS && m->u.stats.n <= m->u.stats.total);
		for (size_t i = 0; i < m->u.stats.n; i++)
			assert_true(inside(msg, len, m->u.stats.v[i].raw, m->u.stats.v[i].len));
		break;
	case BMP_MSG_PEER_DOWN:
		check_pdu(msg, len, &m->u.down.notification);
		check_tlvs(msg, len, &m->u.down.tlvs);
		assert_true(inside(msg, len, m->u.down.data.data, m->u.down.data.len));
		break;
	case BMP_MSG_PEER_UP:
		check_pdu(msg, len, &m->u.up.sent_open);
		check_pdu(msg, len, &m->u.up.recv_open);
		check_tlvs(msg, len, &m->u.up.tlvs);
		break;
	case BMP_MSG_INITIATION:
		check_tlvs(msg, len, &m->u.init.tlvs);
		assert_true(inside(msg, len, m->u.init.sys_name.data, m->u.init.sys_name.len));
		break;
	case BMP_MSG_TERMINATION:
		check_tlvs(msg, len, &m->u.term.tlvs);
		break;
	case BMP_MSG_ROUTE_MIRRORING:
		check_tlvs(msg, len, &m->u.mirror.tlvs);
		check_pdu(msg, len, &m->u.mirror.bgp);
		break;
	default:
		assert_true(inside(msg, len, m->u.unknown.data, m->u.unknown.len));
		break;
	}
}

/* Decodes a copy sized exactly, so ASan sees any read past the end, then
 * decodes msg itself so that the pointers left in *m point into msg. */
static int decode_exact(const uint8_t *msg, size_t len, struct bmp_msg *m)
{
	uint8_t *copy = test_malloc(len ? len : 1);
	int rc, rc2;

	memcpy(copy, msg, len);
	rc = bmp_decode(copy, len, m);
	check_invariants(copy, len, m, rc);
	test_free(copy);
	rc2 = bmp_decode(msg, len, m);
	assert_int_equal(rc, rc2);
	check_invariants(msg, len, m, rc2);
	return rc2;
}

static bool has(const struct bmp_msg *m, enum bmp_error e)
{
	return (m->errors & (1u << e)) != 0;
}

/* ---- valid vectors (also used by the truncation test) --------------- */

static void build_initiation(struct wb *b)
{
	size_t at = wb_bmp_begin(b, BMP_MSG_INITIATION);

	put_str_tlv(b, BMP_INIT_SYSDESCR, "FRRouting 8.4.4");
	put_str_tlv(b, BMP_INIT_SYSNAME, "edge1");
	put_str_tlv(b, BMP_INIT_STRING, "hello");
	wb_bmp_end(b, at);
}

static void build_termination(struct wb *b)
{
	size_t at = wb_bmp_begin(b, BMP_MSG_TERMINATION);

	put_str_tlv(b, BMP_TERM_STRING, "bye");
	wb_put16(b, BMP_TERM_REASON);
	wb_put16(b, 2);
	wb_put16(b, BMP_TERM_REDUNDANT);
	wb_bmp_end(b, at);
}

static void build_route_mon(struct wb *b)
{
	size_t at = wb_bmp_begin(b, BMP_MSG_ROUTE_MONITORING);

	put_peer(b, &peer4);
	put_bgp(b, BMP_BGP_UPDATE, 12);
	wb_bmp_end(b, at);
}

static void build_stats(struct wb *b)
{
	size_t at = wb_bmp_begin(b, BMP_MSG_STATISTICS_REPORT);

	put_peer(b, &peer4);
	wb_put32(b, 3);
	wb_put16(b, 0);
	wb_put16(b, 4);
	wb_put32(b, 17);
	wb_put16(b, 7);
	wb_put16(b, 8);
	wb_put64(b, 900000);
	wb_put16(b, 9);
	wb_put16(b, 11);
	wb_put16(b, 2);
	wb_put8(b, 1);
	wb_put64(b, 42);
	wb_bmp_end(b, at);
}

static void build_peer_up(struct wb *b)
{
	size_t at = wb_bmp_begin(b, BMP_MSG_PEER_UP);
	static const uint8_t local[16] = {[12] = 192, [13] = 0, [14] = 2, [15] = 254};

	put_peer(b, &peer4);
	wb_put_mem(b, local, 16);
	wb_put16(b, 179);
	wb_put16(b, 40001);
	put_open(b, 65000);
	put_open(b, 65001);
	put_str_tlv(b, BMP_PEER_TLV_VRF_TABLE_NAME, "blue");
	put_str_tlv(b, BMP_PEER_TLV_ADMIN_LABEL, "er-primary");
	wb_bmp_end(b, at);
}

static void build_peer_down_notif(struct wb *b)
{
	size_t at = wb_bmp_begin(b, BMP_MSG_PEER_DOWN);

	put_peer(b, &peer4);
	wb_put8(b, BMP_DOWN_REMOTE_NOTIFICATION);
	put_bgp(b, BMP_BGP_NOTIFICATION, 2);
	wb_bmp_end(b, at);
}

static void build_peer_down_tlv(struct wb *b)
{
	size_t at = wb_bmp_begin(b, BMP_MSG_PEER_DOWN);
	struct peer_spec p = peer4;

	p.type = BMP_PEER_LOC_RIB;
	memset(p.addr, 0, sizeof(p.addr));
	put_peer(b, &p);
	wb_put8(b, BMP_DOWN_LOCAL_TLV);
	put_str_tlv(b, BMP_PEER_TLV_VRF_TABLE_NAME, "global");
	wb_bmp_end(b, at);
}

static void build_mirror(struct wb *b)
{
	size_t at = wb_bmp_begin(b, BMP_MSG_ROUTE_MIRRORING);

	put_peer(b, &peer4);
	wb_put16(b, BMP_MIRROR_BGP_MSG);
	wb_put16(b, 19 + 4);
	put_bgp(b, BMP_BGP_UPDATE, 4);
	wb_put16(b, BMP_MIRROR_INFO);
	wb_put16(b, 2);
	wb_put16(b, BMP_MIRROR_MSGS_LOST);
	wb_bmp_end(b, at);
}

static const struct {
	const char *name;
	void (*build)(struct wb *b);
	uint8_t type;
} valid_msgs[] = {
	{"initiation", build_initiation, BMP_MSG_INITIATION},
	{"termination", build_termination, BMP_MSG_TERMINATION},
	{"route-monitoring", build_route_mon, BMP_MSG_ROUTE_MONITORING},
	{"statistics-report", build_stats, BMP_MSG_STATISTICS_REPORT},
	{"peer-up", build_peer_up, BMP_MSG_PEER_UP},
	{"peer-down-notification", build_peer_down_notif, BMP_MSG_PEER_DOWN},
	{"peer-down-tlv", build_peer_down_tlv, BMP_MSG_PEER_DOWN},
	{"route-mirroring", build_mirror, BMP_MSG_ROUTE_MIRRORING},
};

#define N_VALID (sizeof(valid_msgs) / sizeof(valid_msgs[0]))

/* ---- framing ---------------------------------------------------------- */

static void test_frame_every_split(void **state)
{
	struct wb b;
	size_t len1, total, msg_len;
	enum bmp_error why;
	(void)state;

	wb_init(&b, 4096);
	build_initiation(&b);
	len1 = b.len;
	build_route_mon(&b);
	total = b.len;
	for (size_t k = 0; k <= total; k++) {
		enum bmp_frame_status st = bmp_frame(b.p, k, 0, &msg_len, &why);

		assert_int_equal(why, BMP_OK);
		if (k < len1) {
			assert_int_equal(st, BMP_FRAME_NEED_MORE);
			assert_int_equal(msg_len, k < 5 ? 6 : len1);
		} else {
			assert_int_equal(st, BMP_FRAME_COMPLETE);
			assert_int_equal(msg_len, len1);
		}
		if (k < len1)
			continue;
		/* the rest of the stream, starting at the second message */
		st = bmp_frame(b.p + len1, k - len1, 0, &msg_len, &why);
		assert_int_equal(st, k == total ? BMP_FRAME_COMPLETE : BMP_FRAME_NEED_MORE);
		if (k - len1 >= 5)
			assert_int_equal(msg_len, total - len1);
	}
	wb_free(&b);
}

static void test_frame_versions_rejected(void **state)
{
	static const uint8_t versions[] = {0, 1, 2, 4, 255};
	uint8_t hdr[6] = {0, 0, 0, 0, 6, BMP_MSG_INITIATION};
	size_t msg_len;
	enum bmp_error why;
	struct bmp_msg m;
	(void)state;

	for (size_t i = 0; i < sizeof(versions); i++) {
		hdr[0] = versions[i];
		/* decided from the first byte alone */
		for (size_t k = 1; k <= sizeof(hdr); k++) {
			assert_int_equal(bmp_frame(hdr, k, 0, &msg_len, &why), BMP_FRAME_ERROR);
			assert_int_equal(why, BMP_ERR_VERSION);
		}
		assert_int_equal(decode_exact(hdr, sizeof(hdr), &m), -1);
		assert_int_equal(m.error, BMP_ERR_VERSION);
	}
	hdr[0] = 3;
	assert_int_equal(bmp_frame(hdr, sizeof(hdr), 0, &msg_len, &why), BMP_FRAME_COMPLETE);
	assert_int_equal(msg_len, 6);
}

static void test_frame_lengths(void **state)
{
	uint8_t hdr[6] = {3, 0, 0, 0, 0, BMP_MSG_INITIATION};
	size_t msg_len;
	enum bmp_error why;
	struct bmp_msg m;
	(void)state;

	for (uint8_t l = 0; l < 6; l++) {
		hdr[4] = l;
		assert_int_equal(bmp_frame(hdr, 5, 0, &msg_len, &why), BMP_FRAME_ERROR);
		assert_int_equal(why, BMP_ERR_LENGTH_SHORT);
		assert_int_equal(decode_exact(hdr, 6, &m), -1);
		assert_int_equal(m.error, BMP_ERR_LENGTH_SHORT);
	}
	/* 70,000 bytes: fine under the default cap, refused under 65,535 */
	wb_store32(hdr + 1, 70000);
	assert_int_equal(bmp_frame(hdr, 6, 0, &msg_len, &why), BMP_FRAME_NEED_MORE);
	assert_int_equal(msg_len, 70000);
	assert_int_equal(bmp_frame(hdr, 6, 65535, &msg_len, &why), BMP_FRAME_ERROR);
	assert_int_equal(why, BMP_ERR_LENGTH_LONG);
	assert_int_equal(bmp_frame(hdr, 6, 70000, &msg_len, &why), BMP_FRAME_NEED_MORE);
	wb_store32(hdr + 1, BMP_DEFAULT_MAX_MSG + 1);
	assert_int_equal(bmp_frame(hdr, 6, 0, &msg_len, NULL), BMP_FRAME_ERROR);
	/* a reason pointer is optional */
	wb_store32(hdr + 1, 6);
	assert_int_equal(bmp_frame(hdr, 6, 0, &msg_len, NULL), BMP_FRAME_COMPLETE);
}

static void test_unknown_type_skipped(void **state)
{
	struct wb b;
	size_t at, off = 0, msg_len, n = 0, unknown = 0;
	struct bmp_msg m;
	(void)state;

	wb_init(&b, 4096);
	at = wb_bmp_begin(&b, 42);
	wb_put_fill(&b, 0xee, 10);
	wb_bmp_end(&b, at);
	build_initiation(&b);
	at = wb_bmp_begin(&b, 255);
	wb_bmp_end(&b, at);
	build_termination(&b);
	while (off < b.len) {
		assert_int_equal(bmp_frame(b.p + off, b.len - off, 0, &msg_len, NULL),
				 BMP_FRAME_COMPLETE);
		if (decode_exact(b.p + off, msg_len, &m) < 0) {
			assert_int_equal(m.error, BMP_ERR_UNKNOWN_TYPE);
			assert_int_equal(m.errors, 1u << BMP_ERR_UNKNOWN_TYPE);
			assert_string_equal(bmp_msg_type_name(m.type), "unknown");
			unknown++;
		}
		off += msg_len;
		n++;
	}
	assert_int_equal(n, 4);
	assert_int_equal(unknown, 2);
	assert_int_equal(bmp_decode(b.p, 16, &m), -1);
	assert_int_equal(m.u.unknown.len, 10);
	assert_ptr_equal(m.u.unknown.data, b.p + 6);
	wb_free(&b);
}

/* ---- common header ---------------------------------------------------- */

static void test_decode_length_mismatch(void **state)
{
	struct wb b;
	struct bmp_msg m;
	size_t len;
	(void)state;

	wb_init(&b, 4096);
	build_initiation(&b);
	len = b.len;
	wb_put_fill(&b, 0, 5);
	/* more bytes than the header says: flagged, the message still decodes */
	assert_int_equal(decode_exact(b.p, b.len, &m), -1);
	assert_int_equal(m.error, BMP_ERR_LENGTH_MISMATCH);
	assert_int_equal(m.u.init.tlvs.n, 3);
	/* fewer: flagged, nothing decoded */
	assert_int_equal(decode_exact(b.p, len - 1, &m), -1);
	assert_int_equal(m.error, BMP_ERR_LENGTH_MISMATCH);
	assert_int_equal(m.u.init.tlvs.n, 0);
	assert_int_equal(decode_exact(b.p, 3, &m), -1);
	assert_int_equal(m.error, BMP_ERR_TRUNCATED);
	assert_int_equal(decode_exact(b.p, 0, &m), -1);
	wb_free(&b);
}

/* ---- per-peer header ------------------------------------------------- */

static void test_peer_header(void **state)
{
	static const struct {
		uint8_t type, flags;
		bool v, l, a, o, f;
		const char *name;
	} cases[] = {
		{0, 0x00, false, false, false, false, false, "global-instance"},
		{0, 0x80, true, false, false, false, false, "global-instance"},
		{0, 0x40, false, true, false, false, false, "global-instance"},
		{1, 0x20, false, false, true, false, false, "rd-instance"},
		{2, 0x10, false, false, false, true, false, "local-instance"},
		{0, 0xf0, true, true, true, true, false, "global-instance"},
		{3, 0x80, false, false, false, false, true, "loc-rib-instance"},
		{3, 0x00, false, false, false, false, false, "loc-rib-instance"},
		{9, 0xff, false, false, false, false, false, "unknown"},
	};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct peer_spec p = peer4;
		struct wb b;
		struct bmp_msg m;
		size_t at;

		p.type = cases[i].type;
		p.flags = cases[i].flags;
		p.dist = 0x0001fde800000064ull; /* RD 65000:100 */
		if (cases[i].v)
			memcpy(p.addr, v6, 16);
		wb_init(&b, 256);
		at = wb_bmp_begin(&b, BMP_MSG_ROUTE_MONITORING);
		put_peer(&b, &p);
		put_bgp(&b, BMP_BGP_UPDATE, 4);
		wb_bmp_end(&b, at);
		assert_int_equal(decode_exact(b.p, b.len, &m), 0);
		assert_true(m.has_peer);
		assert_int_equal(m.peer.type, cases[i].type);
		assert_int_equal(m.peer.flags, cases[i].flags);
		assert_int_equal(m.peer.ipv6, cases[i].v);
		assert_int_equal(m.peer.post_policy, cases[i].l);
		assert_int_equal(m.peer.legacy_as_path, cases[i].a);
		assert_int_equal(m.peer.adj_rib_out, cases[i].o);
		assert_int_equal(m.peer.filtered, cases[i].f);
		assert_string_equal(bmp_peer_type_name(m.peer.type), cases[i].name);
		assert_true(m.peer.distinguisher == 0x0001fde800000064ull);
		assert_memory_equal(m.peer.addr, p.addr, 16);
		if (!cases[i].v) {
			assert_int_equal(m.peer.addr[12], 192);
			assert_int_equal(m.peer.addr[15], 1);
		}
		assert_int_equal(m.peer.as, 65001);
		assert_int_equal(m.peer.bgp_id, 0x0a000001);
		assert_int_equal(m.peer.ts_sec, 1700000000);
		assert_int_equal(m.peer.ts_usec, 123456);
		wb_free(&b);
	}
}

static void test_peer_header_truncated(void **state)
{
	struct wb b;
	struct bmp_msg m;
	(void)state;

	for (size_t cut = 0; cut < BMP_PEER_HDR_LEN; cut++) {
		size_t at;

		wb_init(&b, 256);
		at = wb_bmp_begin(&b, BMP_MSG_STATISTICS_REPORT);
		put_peer(&b, &peer4);
		b.len -= BMP_PEER_HDR_LEN - cut;
		wb_bmp_end(&b, at);
		assert_int_equal(decode_exact(b.p, b.len, &m), -1);
		assert_int_equal(m.error, BMP_ERR_PEER_HEADER);
		assert_false(m.has_peer);
		wb_free(&b);
	}
}

/* ---- Initiation / Termination ----------------------------------------- */

static void test_initiation(void **state)
{
	struct wb b;
	struct bmp_msg m;
	(void)state;

	wb_init(&b, 4096);
	build_initiation(&b);
	assert_int_equal(decode_exact(b.p, b.len, &m), 0);
	assert_int_equal(m.type, BMP_MSG_INITIATION);
	assert_false(m.has_peer);
	assert_string_equal(bmp_msg_type_name(m.type), "initiation");
	assert_int_equal(m.u.init.tlvs.n, 3);
	assert_int_equal(m.u.init.tlvs.total, 3);
	assert_int_equal(m.u.init.tlvs.v[2].type, BMP_INIT_STRING);
	assert_int_equal(m.u.init.tlvs.v[2].len, 5);
	assert_memory_equal(m.u.init.tlvs.v[2].value, "hello", 5);
	assert_int_equal(m.u.init.sys_descr.len, 15);
	assert_memory_equal(m.u.init.sys_descr.data, "FRRouting 8.4.4", 15);
	assert_int_equal(m.u.init.sys_name.len, 5);
	assert_memory_equal(m.u.init.sys_name.data, "edge1", 5);
	assert_int_equal(m.u.init.tlvs.area.len, b.len - 6);
	wb_free(&b);
}

static void test_termination_reasons(void **state)
{
	static const struct {
		uint16_t reason;
		const char *name;
	} cases[] = {
		{0, "admin-close"},	     {1, "unspecified"},
		{2, "out-of-resources"},     {3, "redundant-connection"},
		{4, "permanently-admin-closed"}, {77, "unknown"},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wb b;
		struct bmp_msg m;
		size_t at;

		wb_init(&b, 256);
		at = wb_bmp_begin(&b, BMP_MSG_TERMINATION);
		wb_put16(&b, BMP_TERM_REASON);
		wb_put16(&b, 2);
		wb_put16(&b, cases[i].reason);
		put_str_tlv(&b, BMP_TERM_STRING, "maintenance");
		wb_bmp_end(&b, at);
		assert_int_equal(decode_exact(b.p, b.len, &m), 0);
		assert_true(m.u.term.has_reason);
		assert_int_equal(m.u.term.reason, cases[i].reason);
		assert_string_equal(bmp_term_reason_name(m.u.term.reason), cases[i].name);
		assert_int_equal(m.u.term.tlvs.n, 2);
		wb_free(&b);
	}
}

static void test_termination_bad_reason_size(void **state)
{
	struct wb b;
	struct bmp_msg m;
	size_t at;
	(void)state;

	wb_init(&b, 256);
	at = wb_bmp_begin(&b, BMP_MSG_TERMINATION);
	wb_put16(&b, BMP_TERM_REASON);
	wb_put16(&b, 3);
	wb_put8(&b, 0);
	wb_put16(&b, 1);
	put_str_tlv(&b, BMP_TERM_STRING, "x");
	wb_bmp_end(&b, at);
	assert_int_equal(decode_exact(b.p, b.len, &m), -1);
	assert_int_equal(m.error, BMP_ERR_TLV_VALUE);
	assert_false(m.u.term.has_reason);
	/* the next TLV is still found at its place */
	assert_int_equal(m.u.term.tlvs.n, 2);
	assert_int_equal(m.u.term.tlvs.v[1].type, BMP_TERM_STRING);
	wb_free(&b);
}

/* A TLV whose length runs past the message, or a cut TLV header, in
 * every TLV-carrying message type. */
static void test_lying_tlv_lengths(void **state)
{
	static const uint8_t types[] = {BMP_MSG_INITIATION, BMP_MSG_TERMINATION,
					BMP_MSG_PEER_UP, BMP_MSG_ROUTE_MIRRORING,
					BMP_MSG_PEER_DOWN};
	(void)state;

	for (size_t t = 0; t < sizeof(types); t++) {
		for (int variant = 0; variant < 4; variant++) {
			struct wb b;
			struct bmp_msg m;
			const struct bmp_tlv_list *l;
			size_t at;

			wb_init(&b, 512);
			at = wb_bmp_begin(&b, types[t]);
			if (types[t] == BMP_MSG_PEER_UP) {
				put_peer(&b, &peer4);
				wb_put_fill(&b, 0, 20);
				put_open(&b, 1);
				put_open(&b, 2);
			} else if (types[t] == BMP_MSG_ROUTE_MIRRORING) {
				put_peer(&b, &peer4);
			} else if (types[t] == BMP_MSG_PEER_DOWN) {
				put_peer(&b, &peer4);
				wb_put8(&b, BMP_DOWN_LOCAL_TLV);
			}
			put_str_tlv(&b, 0, "ok"); /* mirroring: BGP TLV of 2 bytes */
			if (variant == 0) {	  /* value longer than what is left */
				wb_put16(&b, 0);
				wb_put16(&b, 100);
				wb_put_mem(&b, "short", 5);
			} else { /* header cut after 1..3 bytes */
				wb_put_fill(&b, 0, (size_t)variant);
			}
			wb_bmp_end(&b, at);
			assert_int_equal(decode_exact(b.p, b.len, &m), -1);
			assert_true(has(&m, BMP_ERR_TLV_LENGTH));
			l = types[t] == BMP_MSG_INITIATION    ? &m.u.init.tlvs
			    : types[t] == BMP_MSG_TERMINATION ? &m.u.term.tlvs
			    : types[t] == BMP_MSG_PEER_UP     ? &m.u.up.tlvs
			    : types[t] == BMP_MSG_PEER_DOWN   ? &m.u.down.tlvs
							      : &m.u.mirror.tlvs;
			/* the good TLV before it is kept, and only it */
			assert_int_equal(l->n, 1);
			assert_int_equal(l->v[0].len, 2);
			assert_int_equal(l->area.len, 6);
			wb_free(&b);
		}
	}
}

static void test_tlv_overflow(void **state)
{
	struct wb b;
	struct bmp_msg m;
	size_t at;
	(void)state;

	wb_init(&b, 4096);
	at = wb_bmp_begin(&b, BMP_MSG_INITIATION);
	for (int i = 0; i < BMP_MAX_TLVS + 3; i++)
		put_str_tlv(&b, BMP_INIT_STRING, "s");
	put_str_tlv(&b, BMP_INIT_SYSNAME, "late");
	wb_bmp_end(&b, at);
	assert_int_equal(decode_exact(b.p, b.len, &m), -1);
	assert_int_equal(m.errors, 1u << BMP_ERR_TLV_OVERFLOW);
	assert_int_equal(m.u.init.tlvs.n, BMP_MAX_TLVS);
	assert_int_equal(m.u.init.tlvs.total, BMP_MAX_TLVS + 4);
	/* convenience fields still see TLVs past the cap */
	assert_int_equal(m.u.init.sys_name.len, 4);
	wb_free(&b);
}

static void test_tlv_iterator(void **state)
{
	static const uint8_t area[] = {0, 1, 0, 2, 'h', 'i', 0, 2, 0, 0, 0, 3, 0, 9, 'x'};
	struct bmp_tlv_iter it;
	struct bmp_tlv tlv;
	(void)state;

	bmp_tlv_iter_init(&it, area, sizeof(area));
	assert_int_equal(bmp_tlv_next(&it, &tlv), 1);
	assert_int_equal(tlv.type, 1);
	assert_int_equal(tlv.len, 2);
	assert_ptr_equal(tlv.value, area + 4);
	assert_int_equal(bmp_tlv_next(&it, &tlv), 1);
	assert_int_equal(tlv.type, 2);
	assert_int_equal(tlv.len, 0);
	assert_int_equal(bmp_tlv_next(&it, &tlv), -1); /* length 9, 1 byte left */
	assert_int_equal(bmp_tlv_next(&it, &tlv), -1);
	bmp_tlv_iter_init(&it, area, 10);
	assert_int_equal(bmp_tlv_next(&it, &tlv), 1);
	assert_int_equal(bmp_tlv_next(&it, &tlv), 1);
	assert_int_equal(bmp_tlv_next(&it, &tlv), 0);
	bmp_tlv_iter_init(&it, area, 0);
	assert_int_equal(bmp_tlv_next(&it, &tlv), 0);
}

/* ---- a message longer than 65,535 bytes -------------------------------- */

static void test_big_message(void **state)
{
	struct wb b;
	struct bmp_msg m;
	size_t at, msg_len;
	enum bmp_error why;
	(void)state;

	wb_init(&b, 200000);
	at = wb_bmp_begin(&b, BMP_MSG_INITIATION);
	for (int i = 0; i < 2; i++) {
		wb_put16(&b, BMP_INIT_STRING);
		wb_put16(&b, 60000);
		wb_put_fill(&b, 'a' + (unsigned)i, 60000);
	}
	put_str_tlv(&b, BMP_INIT_SYSNAME, "big");
	wb_bmp_end(&b, at);
	assert_true(b.len > 65535);
	assert_int_equal(bmp_frame(b.p, b.len, 0, &msg_len, &why), BMP_FRAME_COMPLETE);
	assert_int_equal(msg_len, b.len);
	assert_int_equal(bmp_frame(b.p, b.len - 1, 0, &msg_len, &why), BMP_FRAME_NEED_MORE);
	assert_int_equal(msg_len, b.len);
	assert_int_equal(bmp_frame(b.p, b.len, 65535, &msg_len, &why), BMP_FRAME_ERROR);
	assert_int_equal(why, BMP_ERR_LENGTH_LONG);
	assert_int_equal(decode_exact(b.p, b.len, &m), 0);
	assert_int_equal(m.length, b.len);
	assert_int_equal(m.u.init.tlvs.n, 3);
	assert_int_equal(m.u.init.tlvs.v[1].value[59999], 'b');
	assert_int_equal(m.u.init.sys_name.len, 3);
	wb_free(&b);

	/* and a statistics report past 64 KiB: 6,000 entries of 11 bytes */
	wb_init(&b, 200000);
	at = wb_bmp_begin(&b, BMP_MSG_STATISTICS_REPORT);
	put_peer(&b, &peer4);
	wb_put32(&b, 6000);
	for (uint32_t i = 0; i < 6000; i++) {
		wb_put16(&b, 9);
		wb_put16(&b, 11);
		wb_put16(&b, 1);
		wb_put8(&b, 1);
		wb_put64(&b, i);
	}
	wb_bmp_end(&b, at);
	assert_true(b.len > 65535);
	assert_int_equal(bmp_frame(b.p, b.len, 0, &msg_len, &why), BMP_FRAME_COMPLETE);
	assert_int_equal(decode_exact(b.p, b.len, &m), -1);
	assert_int_equal(m.errors, 1u << BMP_ERR_STAT_OVERFLOW);
	assert_int_equal(m.u.stats.total, 6000);
	assert_int_equal(m.u.stats.n, BMP_MAX_STATS);
	assert_true(m.u.stats.v[BMP_MAX_STATS - 1].value == BMP_MAX_STATS - 1);
	wb_free(&b);
}

/* ---- Route Monitoring ---------------------------------------------- */

static void test_route_monitoring(void **state)
{
	struct wb b;
	struct bmp_msg m;
	(void)state;

	wb_init(&b, 512);
	build_route_mon(&b);
	assert_int_equal(decode_exact(b.p, b.len, &m), 0);
	assert_int_equal(bmp_decode(b.p, b.len, &m), 0);
	assert_string_equal(bmp_msg_type_name(m.type), "route-monitoring");
	assert_int_equal(m.u.rm.update.status, BMP_PDU_OK);
	assert_int_equal(m.u.rm.update.type, BMP_BGP_UPDATE);
	assert_ptr_equal(m.u.rm.update.data, b.p + 6 + 42);
	assert_int_equal(m.u.rm.update.len, 19 + 12);
	wb_free(&b);
}

static void test_route_monitoring_errors(void **state)
{
	enum shape { WRONG_TYPE, TRAILING, MISSING, BAD_MARKER, BAD_LENGTH, TOO_LONG, SHORT_HDR };
	static const struct {
		enum shape shape;
		enum bmp_error err;
		enum bmp_pdu_status st;
		bool pdu_returned;
	} cases[] = {
		{WRONG_TYPE, BMP_ERR_BGP_TYPE, BMP_PDU_WRONG_TYPE, true},
		{TRAILING, BMP_ERR_TRAILING, BMP_PDU_OK, true},
		{MISSING, BMP_ERR_BGP_MISSING, BMP_PDU_MISSING, false},
		{BAD_MARKER, BMP_ERR_BGP_MARKER, BMP_PDU_BAD_MARKER, false},
		{BAD_LENGTH, BMP_ERR_BGP_LENGTH, BMP_PDU_BAD_LENGTH, false},
		{TOO_LONG, BMP_ERR_BGP_TRUNCATED, BMP_PDU_TRUNCATED, false},
		{SHORT_HDR, BMP_ERR_BGP_TRUNCATED, BMP_PDU_TRUNCATED, false},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wb b;
		struct bmp_msg m;
		size_t at, pdu_at;

		wb_init(&b, 512);
		at = wb_bmp_begin(&b, BMP_MSG_ROUTE_MONITORING);
		put_peer(&b, &peer4);
		pdu_at = b.len;
		switch (cases[i].shape) {
		case WRONG_TYPE:
			put_bgp(&b, 4, 0); /* KEEPALIVE */
			break;
		case TRAILING:
			put_bgp(&b, BMP_BGP_UPDATE, 4);
			wb_put_fill(&b, 0, 3);
			break;
		case MISSING:
			break;
		case BAD_MARKER:
			put_bgp(&b, BMP_BGP_UPDATE, 4);
			b.p[pdu_at + 7] = 0xfe;
			break;
		case BAD_LENGTH:
			put_bgp(&b, BMP_BGP_UPDATE, 4);
			b.p[pdu_at + 17] = 18;
			break;
		case TOO_LONG:
			put_bgp(&b, BMP_BGP_UPDATE, 4);
			b.p[pdu_at + 17] = 24;
			break;
		case SHORT_HDR:
			wb_put_fill(&b, 0xff, 17);
			break;
		}
		wb_bmp_end(&b, at);
		assert_int_equal(decode_exact(b.p, b.len, &m), -1);
		assert_int_equal(m.error, cases[i].err);
		assert_int_equal(m.errors, 1u << cases[i].err);
		assert_int_equal(m.u.rm.update.status, cases[i].st);
		assert_true(m.has_peer);
		assert_int_equal(bmp_decode(b.p, b.len, &m), -1);
		if (cases[i].pdu_returned)
			assert_ptr_equal(m.u.rm.update.data, b.p + pdu_at);
		else
			assert_null(m.u.rm.update.data);
		wb_free(&b);
	}
}

/* ---- Statistics Report ------------------------------------------------ */

static void test_stats_every_known_type(void **state)
{
	struct wb b;
	struct bmp_msg m;
	size_t at;
	(void)state;

	wb_init(&b, 4096);
	at = wb_bmp_begin(&b, BMP_MSG_STATISTICS_REPORT);
	put_peer(&b, &peer4);
	wb_put32(&b, BMP_STAT_LAST_KNOWN + 1);
	for (unsigned t = 0; t <= BMP_STAT_LAST_KNOWN; t++) {
		wb_put16(&b, t);
		switch (bmp_stat_type_kind((uint16_t)t)) {
		case BMP_STAT_KIND_COUNTER32:
			wb_put16(&b, 4);
			wb_put32(&b, 1000 + t);
			break;
		case BMP_STAT_KIND_GAUGE64:
			wb_put16(&b, 8);
			wb_put64(&b, 0x100000000ull + t);
			break;
		case BMP_STAT_KIND_AFI_SAFI_GAUGE64:
			wb_put16(&b, 11);
			wb_put16(&b, 2);
			wb_put8(&b, 128);
			wb_put64(&b, 0x200000000ull + t);
			break;
		case BMP_STAT_KIND_UNKNOWN:
			fail_msg("type %u not in the registry table", t);
		}
	}
	wb_bmp_end(&b, at);
	assert_int_equal(decode_exact(b.p, b.len, &m), 0);
	assert_int_equal(m.u.stats.n, BMP_STAT_LAST_KNOWN + 1);
	for (unsigned t = 0; t <= BMP_STAT_LAST_KNOWN; t++) {
		const struct bmp_stat *s = &m.u.stats.v[t];

		assert_int_equal(s->type, t);
		assert_false(s->unexpected_size);
		assert_string_not_equal(bmp_stat_type_name(s->type), "unknown");
		for (unsigned u = 0; u < t; u++)
			assert_string_not_equal(bmp_stat_type_name((uint16_t)u),
						bmp_stat_type_name(s->type));
		if (s->value_kind == BMP_STAT_VAL_U32) {
			assert_true(s->value == 1000 + t);
		} else if (s->value_kind == BMP_STAT_VAL_U64) {
			assert_true(s->value == 0x100000000ull + t);
		} else {
			assert_int_equal(s->value_kind, BMP_STAT_VAL_AFI_SAFI_U64);
			assert_int_equal(s->afi, 2);
			assert_int_equal(s->safi, 128);
			assert_true(s->value == 0x200000000ull + t);
		}
	}
	/* spot checks against the registry */
	assert_int_equal(bmp_stat_type_kind(0), BMP_STAT_KIND_COUNTER32);
	assert_int_equal(bmp_stat_type_kind(7), BMP_STAT_KIND_GAUGE64);
	assert_int_equal(bmp_stat_type_kind(9), BMP_STAT_KIND_AFI_SAFI_GAUGE64);
	assert_int_equal(bmp_stat_type_kind(13), BMP_STAT_KIND_COUNTER32);
	assert_int_equal(bmp_stat_type_kind(14), BMP_STAT_KIND_GAUGE64);
	assert_int_equal(bmp_stat_type_kind(17), BMP_STAT_KIND_AFI_SAFI_GAUGE64);
	assert_int_equal(bmp_stat_type_kind(44), BMP_STAT_KIND_UNKNOWN);
	assert_string_equal(bmp_stat_type_name(0), "rejected_prefixes");
	assert_string_equal(bmp_stat_type_name(7), "adj_rib_in_routes");
	assert_string_equal(bmp_stat_type_name(65535), "unknown");
	wb_free(&b);
}

/* THE TRAP: entries of 4, 8, 11 and odd sizes, in any order, each skipped
 * by its declared length so that the next one still decodes. */
static void test_stats_sizes_never_shift(void **state)
{
	static const struct {
		uint16_t type, len;
		enum bmp_stat_value vk;
		bool unexpected;
		uint64_t value;
	} want[] = {
		{0, 8, BMP_STAT_VAL_U64, true, 0x0102030405060708ull}, /* 8 where 4 */
		{7, 4, BMP_STAT_VAL_U32, true, 77},		       /* 4 where 8 */
		{9, 11, BMP_STAT_VAL_AFI_SAFI_U64, false, 999},
		{1, 6, BMP_STAT_VAL_RAW, true, 0}, /* odd size */
		{8, 8, BMP_STAT_VAL_U64, false, 123456789012ull},
		{10, 8, BMP_STAT_VAL_U64, true, 5}, /* 8 where 11 */
		{2, 0, BMP_STAT_VAL_RAW, true, 0},  /* empty */
		{500, 4, BMP_STAT_VAL_U32, false, 9}, /* unknown type, sane size */
		{501, 3, BMP_STAT_VAL_RAW, true, 0},  /* unknown type, odd size */
		{0, 4, BMP_STAT_VAL_U32, false, 4242},
	};
	struct wb b;
	struct bmp_msg m;
	size_t at, n = sizeof(want) / sizeof(want[0]);
	(void)state;

	wb_init(&b, 1024);
	at = wb_bmp_begin(&b, BMP_MSG_STATISTICS_REPORT);
	put_peer(&b, &peer4);
	wb_put32(&b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		wb_put16(&b, want[i].type);
		wb_put16(&b, want[i].len);
		if (want[i].vk == BMP_STAT_VAL_U32) {
			wb_put32(&b, (uint32_t)want[i].value);
		} else if (want[i].vk == BMP_STAT_VAL_U64) {
			wb_put64(&b, want[i].value);
		} else if (want[i].vk == BMP_STAT_VAL_AFI_SAFI_U64) {
			wb_put16(&b, 1);
			wb_put8(&b, 1);
			wb_put64(&b, want[i].value);
		} else {
			wb_put_fill(&b, 0xaa, want[i].len);
		}
	}
	wb_bmp_end(&b, at);
	assert_int_equal(decode_exact(b.p, b.len, &m), -1);
	assert_int_equal(m.errors, 1u << BMP_ERR_STAT_SIZE);
	assert_string_equal(bmp_error_reason_name(m.error), "unexpected_size");
	assert_int_equal(m.u.stats.count, n);
	assert_int_equal(m.u.stats.n, n);
	for (size_t i = 0; i < n; i++) {
		const struct bmp_stat *s = &m.u.stats.v[i];

		assert_int_equal(s->type, want[i].type);
		assert_int_equal(s->len, want[i].len);
		assert_int_equal(s->value_kind, want[i].vk);
		assert_int_equal(s->unexpected_size, want[i].unexpected);
		if (want[i].vk != BMP_STAT_VAL_RAW)
			assert_true(s->value == want[i].value);
		else if (s->len)
			assert_int_equal(s->raw[0], 0xaa);
	}
	assert_int_equal(m.u.stats.v[2].afi, 1);
	assert_int_equal(m.u.stats.v[2].safi, 1);
	wb_free(&b);
}

static void test_stats_count_mismatch(void **state)
{
	static const struct {
		uint32_t count;
		unsigned entries;
		bool lie;
		enum bmp_error err;
		size_t decoded;
	} cases[] = {
		{3, 2, false, BMP_ERR_STAT_COUNT, 2}, /* fewer entries than count */
		{1, 2, false, BMP_ERR_TRAILING, 1},   /* bytes after count entries */
		{0, 1, false, BMP_ERR_TRAILING, 0},
		{0xffffffffu, 2, false, BMP_ERR_STAT_COUNT, 2},
		{2, 2, true, BMP_ERR_TLV_LENGTH, 1}, /* 2nd entry says 200 bytes */
		{2, 2, false, BMP_OK, 2},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wb b;
		struct bmp_msg m;
		size_t at;

		wb_init(&b, 512);
		at = wb_bmp_begin(&b, BMP_MSG_STATISTICS_REPORT);
		put_peer(&b, &peer4);
		wb_put32(&b, cases[i].count);
		for (unsigned e = 0; e < cases[i].entries; e++) {
			wb_put16(&b, 0);
			wb_put16(&b, cases[i].lie && e == 1 ? 200 : 4);
			wb_put32(&b, e + 1);
		}
		wb_bmp_end(&b, at);
		assert_int_equal(decode_exact(b.p, b.len, &m), cases[i].err == BMP_OK ? 0 : -1);
		assert_int_equal(m.error, cases[i].err);
		assert_int_equal(m.u.stats.n, cases[i].decoded);
		for (size_t e = 0; e < m.u.stats.n; e++)
			assert_true(m.u.stats.v[e].value == e + 1);
		wb_free(&b);
	}
}

/* ---- Peer Up ---------------------------------------------------------- */

static void test_peer_up(void **state)
{
	struct wb b;
	struct bmp_msg m;
	const size_t open_at = 6 + 42 + 20;
	(void)state;

	wb_init(&b, 1024);
	build_peer_up(&b);
	assert_int_equal(decode_exact(b.p, b.len, &m), 0);
	assert_int_equal(bmp_decode(b.p, b.len, &m), 0);
	assert_string_equal(bmp_msg_type_name(m.type), "peer-up");
	assert_int_equal(m.u.up.local_addr[12], 192);
	assert_int_equal(m.u.up.local_addr[15], 254);
	assert_int_equal(m.u.up.local_port, 179);
	assert_int_equal(m.u.up.remote_port, 40001);
	assert_int_equal(m.u.up.sent_open.status, BMP_PDU_OK);
	assert_int_equal(m.u.up.sent_open.type, BMP_BGP_OPEN);
	assert_ptr_equal(m.u.up.sent_open.data, b.p + open_at);
	assert_int_equal(m.u.up.sent_open.len, 29);
	assert_int_equal(m.u.up.recv_open.status, BMP_PDU_OK);
	assert_ptr_equal(m.u.up.recv_open.data, b.p + open_at + 29);
	/* sent is the router's (AS 65000), received the peer's (65001) */
	assert_int_equal(m.u.up.sent_open.data[20] << 8 | m.u.up.sent_open.data[21], 65000);
	assert_int_equal(m.u.up.recv_open.data[20] << 8 | m.u.up.recv_open.data[21], 65001);
	assert_int_equal(m.u.up.tlvs.n, 2);
	assert_int_equal(m.u.up.vrf_table_name.len, 4);
	assert_memory_equal(m.u.up.vrf_table_name.data, "blue", 4);
	assert_int_equal(m.u.up.admin_label.len, 10);
	assert_memory_equal(m.u.up.admin_label.data, "er-primary", 10);
	wb_free(&b);
}

static void test_peer_up_ipv6(void **state)
{
	struct wb b;
	struct bmp_msg m;
	struct peer_spec p = peer4;
	static const uint8_t local[16] = {0xfe, 0x80, [15] = 0x02};
	size_t at;
	(void)state;

	p.flags = BMP_PEER_FLAG_V;
	memset(p.addr, 0, 16);
	p.addr[0] = 0xfe;
	p.addr[1] = 0x80;
	p.addr[15] = 0x01;
	wb_init(&b, 512);
	at = wb_bmp_begin(&b, BMP_MSG_PEER_UP);
	put_peer(&b, &p);
	wb_put_mem(&b, local, 16);
	wb_put16(&b, 50000);
	wb_put16(&b, 179);
	put_open(&b, 1);
	put_open(&b, 2);
	wb_bmp_end(&b, at);
	assert_int_equal(decode_exact(b.p, b.len, &m), 0);
	assert_true(m.peer.ipv6);
	assert_memory_equal(m.peer.addr, p.addr, 16);
	assert_memory_equal(m.u.up.local_addr, local, 16);
	assert_int_equal(m.u.up.tlvs.n, 0);
	wb_free(&b);
}

static void test_peer_up_broken_opens(void **state)
{
	enum shape {
		NONE,	      /* nothing after the ports */
		SENT_ONLY,    /* received OPEN missing */
		SENT_SHORT,   /* 10 bytes of a header */
		RECV_LONG,    /* received OPEN's length runs past the end */
		SENT_KA,      /* sent "OPEN" is a KEEPALIVE */
		RECV_UPDATE,  /* received "OPEN" is an UPDATE */
		SENT_MARKER,  /* sent OPEN with a bad marker */
		RECV_LEN18,   /* received OPEN length field 18 */
		PORTS_CUT,    /* message ends inside the local address */
	};
	static const struct {
		enum shape shape;
		enum bmp_error err;
		enum bmp_pdu_status sent, recv;
		size_t tlvs;
	} cases[] = {
		{NONE, BMP_ERR_BGP_MISSING, BMP_PDU_MISSING, BMP_PDU_NOT_REACHED, 0},
		{SENT_ONLY, BMP_ERR_BGP_MISSING, BMP_PDU_OK, BMP_PDU_MISSING, 0},
		{SENT_SHORT, BMP_ERR_BGP_TRUNCATED, BMP_PDU_TRUNCATED, BMP_PDU_NOT_REACHED, 0},
		{RECV_LONG, BMP_ERR_BGP_TRUNCATED, BMP_PDU_OK, BMP_PDU_TRUNCATED, 0},
		{SENT_KA, BMP_ERR_BGP_TYPE, BMP_PDU_WRONG_TYPE, BMP_PDU_OK, 1},
		{RECV_UPDATE, BMP_ERR_BGP_TYPE, BMP_PDU_OK, BMP_PDU_WRONG_TYPE, 1},
		{SENT_MARKER, BMP_ERR_BGP_MARKER, BMP_PDU_BAD_MARKER, BMP_PDU_NOT_REACHED, 0},
		{RECV_LEN18, BMP_ERR_BGP_LENGTH, BMP_PDU_OK, BMP_PDU_BAD_LENGTH, 0},
		{PORTS_CUT, BMP_ERR_TRUNCATED, BMP_PDU_NOT_REACHED, BMP_PDU_NOT_REACHED, 0},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wb b;
		struct bmp_msg m;
		size_t at, open_at;

		wb_init(&b, 512);
		at = wb_bmp_begin(&b, BMP_MSG_PEER_UP);
		put_peer(&b, &peer4);
		wb_put_fill(&b, 0, cases[i].shape == PORTS_CUT ? 9 : 16);
		if (cases[i].shape != PORTS_CUT) {
			wb_put16(&b, 179);
			wb_put16(&b, 1234);
		}
		open_at = b.len;
		switch (cases[i].shape) {
		case NONE:
			break;
		case SENT_ONLY:
			put_open(&b, 1);
			break;
		case SENT_SHORT:
			wb_put_fill(&b, 0xff, 10);
			break;
		case RECV_LONG:
			put_open(&b, 1);
			put_open(&b, 2);
			b.p[open_at + 29 + 17] = 60;
			break;
		case SENT_KA:
			put_bgp(&b, 4, 0);
			put_open(&b, 2);
			put_str_tlv(&b, BMP_PEER_TLV_STRING, "x");
			break;
		case RECV_UPDATE:
			put_open(&b, 1);
			put_bgp(&b, BMP_BGP_UPDATE, 4);
			put_str_tlv(&b, BMP_PEER_TLV_STRING, "x");
			break;
		case SENT_MARKER:
			put_open(&b, 1);
			b.p[open_at] = 0;
			put_open(&b, 2);
			break;
		case RECV_LEN18:
			put_open(&b, 1);
			put_open(&b, 2);
			b.p[open_at + 29 + 17] = 18;
			break;
		case PORTS_CUT:
			break;
		}
		wb_bmp_end(&b, at);
		assert_int_equal(decode_exact(b.p, b.len, &m), -1);
		assert_int_equal(m.error, cases[i].err);
		assert_int_equal(m.errors, 1u << cases[i].err);
		assert_int_equal(m.u.up.sent_open.status, cases[i].sent);
		assert_int_equal(m.u.up.recv_open.status, cases[i].recv);
		assert_int_equal(m.u.up.tlvs.n, cases[i].tlvs);
		assert_true(m.has_peer);
		wb_free(&b);
	}
	assert_string_equal(bmp_pdu_status_name(BMP_PDU_WRONG_TYPE), "wrong-type");
	assert_string_equal(bmp_pdu_status_name(BMP_PDU_MISSING), "missing");
}

/* ---- Peer Down -------------------------------------------------------- */

static void test_peer_down_every_reason(void **state)
{
	enum extra { NOTHING, NOTIF, FSM, TLVS, JUNK, KEEPALIVE, FSM_CUT, JUNK_AFTER_NOTIF };
	static const struct {
		uint8_t reason;
		enum extra extra;
		enum bmp_error err;
		const char *name;
	} cases[] = {
		{1, NOTIF, BMP_OK, "local-notification"},
		{2, FSM, BMP_OK, "local-fsm-event"},
		{3, NOTIF, BMP_OK, "remote-notification"},
		{4, NOTHING, BMP_OK, "remote-no-data"},
		{5, NOTHING, BMP_OK, "peer-deconfigured"},
		{6, TLVS, BMP_OK, "local-tlv"},
		{0, JUNK, BMP_ERR_PEER_DOWN_REASON, "unknown"},
		{7, JUNK, BMP_ERR_PEER_DOWN_REASON, "unknown"},
		{255, NOTHING, BMP_ERR_PEER_DOWN_REASON, "unknown"},
		{1, NOTHING, BMP_ERR_BGP_MISSING, "local-notification"},
		{3, KEEPALIVE, BMP_ERR_BGP_TYPE, "remote-notification"},
		{3, JUNK_AFTER_NOTIF, BMP_ERR_TRAILING, "remote-notification"},
		{2, FSM_CUT, BMP_ERR_TRUNCATED, "local-fsm-event"},
		{2, NOTHING, BMP_ERR_TRUNCATED, "local-fsm-event"},
		{4, JUNK, BMP_ERR_TRAILING, "remote-no-data"},
		{5, JUNK, BMP_ERR_TRAILING, "peer-deconfigured"},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wb b;
		struct bmp_msg m;
		const struct bmp_peer_down *d = &m.u.down;
		size_t at, data_at;

		wb_init(&b, 512);
		at = wb_bmp_begin(&b, BMP_MSG_PEER_DOWN);
		put_peer(&b, &peer4);
		wb_put8(&b, cases[i].reason);
		data_at = b.len;
		switch (cases[i].extra) {
		case NOTHING:
			break;
		case NOTIF:
			put_bgp(&b, BMP_BGP_NOTIFICATION, 2); /* code, subcode */
			break;
		case JUNK_AFTER_NOTIF:
			put_bgp(&b, BMP_BGP_NOTIFICATION, 2);
			wb_put8(&b, 0);
			break;
		case KEEPALIVE:
			put_bgp(&b, 4, 0);
			break;
		case FSM:
			wb_put16(&b, 0x1234);
			break;
		case FSM_CUT:
			wb_put8(&b, 0x12);
			break;
		case TLVS:
			put_str_tlv(&b, BMP_PEER_TLV_VRF_TABLE_NAME, "vrf-red");
			break;
		case JUNK:
			wb_put_fill(&b, 0x55, 5);
			break;
		}
		wb_bmp_end(&b, at);
		assert_int_equal(decode_exact(b.p, b.len, &m), cases[i].err == BMP_OK ? 0 : -1);
		assert_int_equal(bmp_decode(b.p, b.len, &m), cases[i].err == BMP_OK ? 0 : -1);
		assert_int_equal(m.error, cases[i].err);
		assert_int_equal(d->reason, cases[i].reason);
		assert_string_equal(bmp_peer_down_reason_name(d->reason), cases[i].name);
		assert_int_equal(d->data.len, b.len - data_at);
		if (d->data.len)
			assert_ptr_equal(d->data.data, b.p + data_at);
		if (cases[i].extra == NOTIF) {
			assert_int_equal(d->notification.status, BMP_PDU_OK);
			assert_int_equal(d->notification.type, BMP_BGP_NOTIFICATION);
			assert_ptr_equal(d->notification.data, b.p + data_at);
			assert_int_equal(d->notification.len, 21);
		}
		assert_int_equal(d->has_fsm_event, cases[i].extra == FSM);
		if (cases[i].extra == FSM)
			assert_int_equal(d->fsm_event, 0x1234);
		if (cases[i].extra == TLVS) {
			assert_int_equal(d->tlvs.n, 1);
			assert_int_equal(d->vrf_table_name.len, 7);
			assert_memory_equal(d->vrf_table_name.data, "vrf-red", 7);
		}
		if (cases[i].extra == KEEPALIVE)
			assert_int_equal(d->notification.status, BMP_PDU_WRONG_TYPE);
		wb_free(&b);
	}
}

static void test_peer_down_reason_missing(void **state)
{
	struct wb b;
	struct bmp_msg m;
	size_t at;
	(void)state;

	wb_init(&b, 256);
	at = wb_bmp_begin(&b, BMP_MSG_PEER_DOWN);
	put_peer(&b, &peer4);
	wb_bmp_end(&b, at);
	assert_int_equal(decode_exact(b.p, b.len, &m), -1);
	assert_int_equal(m.error, BMP_ERR_TRUNCATED);
	wb_free(&b);
}

/* ---- Route Mirroring ------------------------------------------------- */

static void test_route_mirroring(void **state)
{
	struct wb b;
	struct bmp_msg m;
	(void)state;

	wb_init(&b, 512);
	build_mirror(&b);
	assert_int_equal(decode_exact(b.p, b.len, &m), 0);
	assert_int_equal(bmp_decode(b.p, b.len, &m), 0);
	assert_string_equal(bmp_msg_type_name(m.type), "route-mirroring");
	assert_int_equal(m.u.mirror.n_bgp, 1);
	assert_int_equal(m.u.mirror.bgp.status, BMP_PDU_OK);
	assert_int_equal(m.u.mirror.bgp.type, BMP_BGP_UPDATE);
	assert_int_equal(m.u.mirror.bgp.len, 23);
	assert_ptr_equal(m.u.mirror.bgp.data, b.p + 6 + 42 + 4);
	assert_true(m.u.mirror.has_info);
	assert_int_equal(m.u.mirror.info_code, BMP_MIRROR_MSGS_LOST);
	assert_int_equal(m.u.mirror.tlvs.n, 2);
	wb_free(&b);
}

static void test_route_mirroring_errors(void **state)
{
	static const struct {
		uint16_t tlv_len, bgp_len;
		enum bmp_error err;
	} cases[] = {
		{25, 23, BMP_ERR_TRAILING},	 /* PDU shorter than its TLV */
		{23, 30, BMP_ERR_BGP_TRUNCATED}, /* PDU longer than its TLV */
		{23, 10, BMP_ERR_BGP_LENGTH},
		{10, 23, BMP_ERR_BGP_TRUNCATED}, /* TLV too short for a header */
		{0, 23, BMP_ERR_BGP_MISSING},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wb b;
		struct bmp_msg m;
		uint8_t pdu[64];
		size_t at;

		wb_init(&b, 512);
		at = wb_bmp_begin(&b, BMP_MSG_ROUTE_MIRRORING);
		put_peer(&b, &peer4);
		wb_put16(&b, BMP_MIRROR_BGP_MSG);
		wb_put16(&b, cases[i].tlv_len);
		/* the TLV holds the first tlv_len bytes of a PDU whose
		 * length field says bgp_len (zero padded) */
		memset(pdu, 0, sizeof(pdu));
		memset(pdu, 0xff, 16);
		pdu[17] = (uint8_t)cases[i].bgp_len;
		pdu[18] = BMP_BGP_UPDATE;
		wb_put_mem(&b, pdu, cases[i].tlv_len);
		wb_put16(&b, BMP_MIRROR_INFO);
		wb_put16(&b, 2);
		wb_put16(&b, BMP_MIRROR_ERRORED_PDU);
		wb_bmp_end(&b, at);
		assert_int_equal(decode_exact(b.p, b.len, &m), -1);
		assert_int_equal(m.errors, 1u << cases[i].err);
		/* the information TLV after it is still decoded */
		assert_true(m.u.mirror.has_info);
		assert_int_equal(m.u.mirror.info_code, BMP_MIRROR_ERRORED_PDU);
		wb_free(&b);
	}
}

static void test_route_mirroring_bad_info(void **state)
{
	struct wb b;
	struct bmp_msg m;
	size_t at;
	(void)state;

	wb_init(&b, 512);
	at = wb_bmp_begin(&b, BMP_MSG_ROUTE_MIRRORING);
	put_peer(&b, &peer4);
	wb_put16(&b, BMP_MIRROR_INFO);
	wb_put16(&b, 1);
	wb_put8(&b, 1);
	wb_bmp_end(&b, at);
	assert_int_equal(decode_exact(b.p, b.len, &m), -1);
	assert_int_equal(m.error, BMP_ERR_TLV_VALUE);
	assert_false(m.u.mirror.has_info);
	wb_free(&b);
}

/* ---- truncation at every byte --------------------------------------- */

static void test_truncation_every_byte(void **state)
{
	(void)state;

	for (size_t i = 0; i < N_VALID; i++) {
		struct wb b;
		struct bmp_msg m;

		wb_init(&b, 1024);
		valid_msgs[i].build(&b);
		assert_int_equal(decode_exact(b.p, b.len, &m), 0);
		assert_int_equal(m.type, valid_msgs[i].type);
		for (size_t k = 0; k < b.len; k++) {
			uint8_t *cut = test_malloc(k ? k : 1);
			size_t msg_len;

			memcpy(cut, b.p, k);
			/* (a) the header still claims the full length */
			assert_int_equal(decode_exact(cut, k, &m), -1);
			assert_true(has(&m, k < 6 ? BMP_ERR_TRUNCATED : BMP_ERR_LENGTH_MISMATCH));
			assert_int_equal(bmp_frame(cut, k, 0, &msg_len, NULL), BMP_FRAME_NEED_MORE);
			/* (b) the header is patched to the cut, so the body
			 * parsers see the truncation themselves */
			if (k >= 6) {
				wb_store32(cut + 1, (uint32_t)k);
				if (decode_exact(cut, k, &m) == 0)
					/* only TLV lists can end cleanly early */
					assert_true(m.type == BMP_MSG_INITIATION ||
						    m.type == BMP_MSG_TERMINATION ||
						    m.type == BMP_MSG_PEER_UP ||
						    m.type == BMP_MSG_ROUTE_MIRRORING ||
						    (m.type == BMP_MSG_PEER_DOWN &&
						     m.u.down.reason == BMP_DOWN_LOCAL_TLV));
			}
			test_free(cut);
		}
		wb_free(&b);
	}
}

/* ---- names -------------------------------------------------------- */

static void test_names(void **state)
{
	static const char *const types[] = {"route-monitoring", "statistics-report",
					    "peer-down",	"peer-up",
					    "initiation",	"termination",
					    "route-mirroring"};
	(void)state;

	for (uint8_t t = 0; t < 7; t++)
		assert_string_equal(bmp_msg_type_name(t), types[t]);
	assert_string_equal(bmp_msg_type_name(7), "unknown");
	assert_string_equal(bmp_msg_type_name(255), "unknown");
	assert_string_equal(bmp_peer_type_name(4), "unknown");
	assert_string_equal(bmp_error_reason_name(BMP_ERR_TRAILING), "trailing_bytes");
	assert_string_equal(bmp_error_reason_name(BMP_ERR_STAT_SIZE), "unexpected_size");
	assert_string_equal(bmp_error_reason_name(BMP_ERR_VERSION), "unsupported_version");
	assert_string_equal(bmp_error_reason_name(BMP_ERR__COUNT), "unknown");
	for (int e = 1; e < BMP_ERR__COUNT; e++) {
		const char *n = bmp_error_reason_name((enum bmp_error)e);

		assert_string_not_equal(n, "unknown");
		for (const char *p = n; *p; p++)
			assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
		for (int f = 1; f < e; f++)
			assert_string_not_equal(n, bmp_error_reason_name((enum bmp_error)f));
	}
}

/* ---- resynchronisation after a gap ------------------------------------ */

/* Every valid message, one after another; starts[] gets each offset. */
static size_t build_stream(struct wb *b, size_t *starts)
{
	for (size_t i = 0; i < N_VALID; i++) {
		starts[i] = b->len;
		valid_msgs[i].build(b);
	}
	return N_VALID;
}

/* The first message start at or after `from` (the stream's end if none). */
static size_t next_start(const size_t *starts, size_t n, size_t from, size_t end)
{
	for (size_t i = 0; i < n; i++)
		if (starts[i] >= from)
			return starts[i];
	return end;
}

static void test_resync_finds_each_message(void **state)
{
	size_t off;

	(void)state;
	assert_int_equal(bmp_resync(NULL, 0, 0, &off), BMP_RESYNC_NEED_MORE);
	assert_int_equal(off, 0);
	for (size_t i = 0; i < N_VALID; i++) {
		struct wb b;
		size_t skip = 5 + i * 7;

		wb_init(&b, 1024);
		/* junk: zeros and 0xff, no version 3 */
		for (size_t k = 0; k < skip; k++)
			wb_put8(&b, k % 3 ? 0xff : 0);
		valid_msgs[i].build(&b);
		assert_int_equal(bmp_resync(b.p, b.len, 0, &off), BMP_RESYNC_FOUND);
		assert_int_equal(off, skip);
		assert_int_equal(bmp_resync(b.p + skip, b.len - skip, 0, &off), BMP_RESYNC_FOUND);
		assert_int_equal(off, 0);
		wb_free(&b);
	}
}

/* A stream cut at every byte, and each rest truncated at every length:
 * never a start that is not a real one, never a real start skipped. */
static void test_resync_every_cut_and_truncation(void **state)
{
	struct wb b;
	size_t starts[N_VALID], n;

	(void)state;
	wb_init(&b, 4096);
	n = build_stream(&b, starts);
	for (size_t c = 0; c < b.len; c++) {
		size_t want = next_start(starts, n, c, b.len) - c;

		for (size_t k = 0; k <= b.len - c; k++) {
			uint8_t *cut = test_malloc(k ? k : 1);
			size_t off = 99999;
			enum bmp_resync_status st;

			memcpy(cut, b.p + c, k);
			st = bmp_resync(cut, k, 0, &off);
			if (st == BMP_RESYNC_FOUND) {
				assert_int_equal(off, want);
			} else {
				assert_int_equal(st, BMP_RESYNC_NEED_MORE);
				assert_true(off <= want && off <= k);
				/* only the last BMP_RESYNC_LOOKAHEAD bytes are kept */
				assert_true(k - off < BMP_RESYNC_LOOKAHEAD || off == want);
			}
			test_free(cut);
		}
	}
	wb_free(&b);
}

/* Fake headers before a real Route Monitoring: each must be passed over. */
static void test_resync_hostile(void **state)
{
	struct wb fake, b;
	size_t off, at;

	(void)state;
	for (int v = 0; v < 14; v++) {
		wb_init(&fake, 512);
		switch (v) {
		case 0: /* Route Monitoring without a marker */
			at = wb_bmp_begin(&fake, BMP_MSG_ROUTE_MONITORING);
			put_peer(&fake, &peer4);
			wb_put_fill(&fake, 0, 30);
			wb_bmp_end(&fake, at);
			break;
		case 1: /* marker one byte early */
		case 2: /* ... one byte late */
			at = wb_bmp_begin(&fake, BMP_MSG_ROUTE_MONITORING);
			put_peer(&fake, &peer4);
			if (v == 2)
				wb_put8(&fake, 0);
			else
				fake.len--;
			put_bgp(&fake, BMP_BGP_UPDATE, 10);
			wb_bmp_end(&fake, at);
			break;
		case 3: /* an UPDATE shorter than the message */
			at = wb_bmp_begin(&fake, BMP_MSG_ROUTE_MONITORING);
			put_peer(&fake, &peer4);
			put_bgp(&fake, BMP_BGP_UPDATE, 10);
			wb_put_fill(&fake, 0, 4);
			wb_bmp_end(&fake, at);
			break;
		case 4: /* a KEEPALIVE where the UPDATE goes */
			at = wb_bmp_begin(&fake, BMP_MSG_ROUTE_MONITORING);
			put_peer(&fake, &peer4);
			put_bgp(&fake, 4, 0);
			wb_bmp_end(&fake, at);
			break;
		case 5: /* Peer Up with its OPEN at the Route Monitoring offset */
			at = wb_bmp_begin(&fake, BMP_MSG_PEER_UP);
			put_peer(&fake, &peer4);
			put_open(&fake, 65000);
			put_open(&fake, 65001);
			wb_put_fill(&fake, 0, 40);
			wb_bmp_end(&fake, at);
			break;
		case 6: /* an unknown type */
			at = wb_bmp_begin(&fake, 7);
			wb_put_fill(&fake, 0, 60);
			wb_bmp_end(&fake, at);
			break;
		case 7: /* longer than the cap */
			wb_put8(&fake, 3);
			wb_put32(&fake, 1u << 30);
			wb_put8(&fake, BMP_MSG_INITIATION);
			break;
		case 8: /* shorter than a common header */
			wb_put8(&fake, 3);
			wb_put32(&fake, 5);
			wb_put8(&fake, BMP_MSG_INITIATION);
			break;
		case 9: /* a peer type that does not exist */
			at = wb_bmp_begin(&fake, BMP_MSG_STATISTICS_REPORT);
			put_peer(&fake, &(struct peer_spec){.type = 9});
			wb_put32(&fake, 0);
			wb_bmp_end(&fake, at);
			break;
		case 10: /* a Peer Down reason that does not exist */
			at = wb_bmp_begin(&fake, BMP_MSG_PEER_DOWN);
			put_peer(&fake, &peer4);
			wb_put8(&fake, 0);
			wb_bmp_end(&fake, at);
			break;
		case 11: /* an Initiation whose TLV overruns it */
			at = wb_bmp_begin(&fake, BMP_MSG_INITIATION);
			wb_put16(&fake, BMP_INIT_SYSNAME);
			wb_put16(&fake, 200);
			wb_put_fill(&fake, 'a', 5);
			wb_bmp_end(&fake, at);
			break;
		case 12: /* version 2, 4 */
			wb_put8(&fake, 2);
			wb_put8(&fake, 4);
			wb_put8(&fake, 1);
			break;
		default: /* a Route Monitoring header too short for its UPDATE */
			wb_put8(&fake, 3);
			wb_put32(&fake, 50);
			wb_put8(&fake, BMP_MSG_ROUTE_MONITORING);
			put_peer(&fake, &peer4);
			put_bgp(&fake, BMP_BGP_UPDATE, 0);
			break;
		}
		wb_init(&b, 1024);
		wb_put_mem(&b, fake.p, fake.len);
		build_route_mon(&b);
		if (bmp_resync(b.p, b.len, 1u << 20, &off) != BMP_RESYNC_FOUND || off != fake.len)
			fail_msg("fake header %d: resynchronised at %zu, want %zu", v, off, fake.len);
		wb_free(&b);
		wb_free(&fake);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_every_split),
		cmocka_unit_test(test_frame_versions_rejected),
		cmocka_unit_test(test_frame_lengths),
		cmocka_unit_test(test_unknown_type_skipped),
		cmocka_unit_test(test_decode_length_mismatch),
		cmocka_unit_test(test_peer_header),
		cmocka_unit_test(test_peer_header_truncated),
		cmocka_unit_test(test_initiation),
		cmocka_unit_test(test_termination_reasons),
		cmocka_unit_test(test_termination_bad_reason_size),
		cmocka_unit_test(test_lying_tlv_lengths),
		cmocka_unit_test(test_tlv_overflow),
		cmocka_unit_test(test_tlv_iterator),
		cmocka_unit_test(test_big_message),
		cmocka_unit_test(test_route_monitoring),
		cmocka_unit_test(test_route_monitoring_errors),
		cmocka_unit_test(test_stats_every_known_type),
		cmocka_unit_test(test_stats_sizes_never_shift),
		cmocka_unit_test(test_stats_count_mismatch),
		cmocka_unit_test(test_peer_up),
		cmocka_unit_test(test_peer_up_ipv6),
		cmocka_unit_test(test_peer_up_broken_opens),
		cmocka_unit_test(test_peer_down_every_reason),
		cmocka_unit_test(test_peer_down_reason_missing),
		cmocka_unit_test(test_route_mirroring),
		cmocka_unit_test(test_route_mirroring_errors),
		cmocka_unit_test(test_route_mirroring_bad_info),
		cmocka_unit_test(test_truncation_every_byte),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_resync_finds_each_message),
		cmocka_unit_test(test_resync_every_cut_and_truncation),
		cmocka_unit_test(test_resync_hostile),
	};

	return cmocka_run_group_tests_name("bmp", tests, NULL, NULL);
}
