/* test_bmp.c — the BMP v3 codec: framing, every message type, the
 * per-peer header, statistics entries of every size, lying lengths,
 * broken OPENs and truncation at every byte. Vectors are built byte by
 * byte with the helpers below; each case states the decode it expects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bmp.h"

/* ---- byte builder --------------------------------------------------- */

struct buf {
	uint8_t *d;
	size_t n, cap;
};

static void b_init(struct buf *b, size_t cap)
{
	b->d = test_malloc(cap);
	b->n = 0;
	b->cap = cap;
}

static void b_free(struct buf *b)
{
	test_free(b->d);
}

static void put8(struct buf *b, unsigned v)
{
	assert_true(b->n < b->cap);
	b->d[b->n++] = (uint8_t)v;
}

static void put16(struct buf *b, unsigned v)
{
	put8(b, v >> 8 & 0xff);
	put8(b, v & 0xff);
}

static void put32(struct buf *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b, v & 0xffff);
}

static void put64(struct buf *b, uint64_t v)
{
	put32(b, (uint32_t)(v >> 32));
	put32(b, (uint32_t)v);
}

static void putmem(struct buf *b, const void *p, size_t n)
{
	assert_true(b->cap - b->n >= n);
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

static void putfill(struct buf *b, unsigned v, size_t n)
{
	while (n--)
		put8(b, v);
}

static void put_str_tlv(struct buf *b, unsigned type, const char *s)
{
	put16(b, type);
	put16(b, (unsigned)strlen(s));
	putmem(b, s, strlen(s));
}

static size_t msg_begin(struct buf *b, unsigned type)
{
	size_t at = b->n;

	put8(b, 3);
	put32(b, 0);
	put8(b, type);
	return at;
}

static void set32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void msg_end(struct buf *b, size_t at)
{
	set32(b->d + at + 1, (uint32_t)(b->n - at));
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

static void put_peer(struct buf *b, const struct peer_spec *p)
{
	put8(b, p->type);
	put8(b, p->flags);
	put64(b, p->dist);
	putmem(b, p->addr, 16);
	put32(b, p->as);
	put32(b, p->bgp_id);
	put32(b, p->sec);
	put32(b, p->usec);
}

/* A BGP message: marker, length, type, then body_len bytes of body. */
static void put_bgp(struct buf *b, unsigned type, size_t body_len)
{
	putfill(b, 0xff, 16);
	put16(b, (unsigned)(19 + body_len));
	put8(b, type);
	for (size_t i = 0; i < body_len; i++)
		put8(b, (unsigned)(0x40 + i) & 0xff);
}

/* A minimal OPEN: version 4, AS, hold time, BGP ID, no parameters. */
static void put_open(struct buf *b, unsigned as)
{
	putfill(b, 0xff, 16);
	put16(b, 29);
	put8(b, 1);
	put8(b, 4);
	put16(b, as);
	put16(b, 90);
	put32(b, 0x0a000002);
	put8(b, 0);
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

static void build_initiation(struct buf *b)
{
	size_t at = msg_begin(b, BMP_MSG_INITIATION);

	put_str_tlv(b, BMP_INIT_SYSDESCR, "FRRouting 8.4.4");
	put_str_tlv(b, BMP_INIT_SYSNAME, "edge1");
	put_str_tlv(b, BMP_INIT_STRING, "hello");
	msg_end(b, at);
}

static void build_termination(struct buf *b)
{
	size_t at = msg_begin(b, BMP_MSG_TERMINATION);

	put_str_tlv(b, BMP_TERM_STRING, "bye");
	put16(b, BMP_TERM_REASON);
	put16(b, 2);
	put16(b, BMP_TERM_REDUNDANT);
	msg_end(b, at);
}

static void build_route_mon(struct buf *b)
{
	size_t at = msg_begin(b, BMP_MSG_ROUTE_MONITORING);

	put_peer(b, &peer4);
	put_bgp(b, BMP_BGP_UPDATE, 12);
	msg_end(b, at);
}

static void build_stats(struct buf *b)
{
	size_t at = msg_begin(b, BMP_MSG_STATISTICS_REPORT);

	put_peer(b, &peer4);
	put32(b, 3);
	put16(b, 0);
	put16(b, 4);
	put32(b, 17);
	put16(b, 7);
	put16(b, 8);
	put64(b, 900000);
	put16(b, 9);
	put16(b, 11);
	put16(b, 2);
	put8(b, 1);
	put64(b, 42);
	msg_end(b, at);
}

static void build_peer_up(struct buf *b)
{
	size_t at = msg_begin(b, BMP_MSG_PEER_UP);
	static const uint8_t local[16] = {[12] = 192, [13] = 0, [14] = 2, [15] = 254};

	put_peer(b, &peer4);
	putmem(b, local, 16);
	put16(b, 179);
	put16(b, 40001);
	put_open(b, 65000);
	put_open(b, 65001);
	put_str_tlv(b, BMP_PEER_TLV_VRF_TABLE_NAME, "blue");
	put_str_tlv(b, BMP_PEER_TLV_ADMIN_LABEL, "er-primary");
	msg_end(b, at);
}

static void build_peer_down_notif(struct buf *b)
{
	size_t at = msg_begin(b, BMP_MSG_PEER_DOWN);

	put_peer(b, &peer4);
	put8(b, BMP_DOWN_REMOTE_NOTIFICATION);
	put_bgp(b, BMP_BGP_NOTIFICATION, 2);
	msg_end(b, at);
}

static void build_peer_down_tlv(struct buf *b)
{
	size_t at = msg_begin(b, BMP_MSG_PEER_DOWN);
	struct peer_spec p = peer4;

	p.type = BMP_PEER_LOC_RIB;
	memset(p.addr, 0, sizeof(p.addr));
	put_peer(b, &p);
	put8(b, BMP_DOWN_LOCAL_TLV);
	put_str_tlv(b, BMP_PEER_TLV_VRF_TABLE_NAME, "global");
	msg_end(b, at);
}

static void build_mirror(struct buf *b)
{
	size_t at = msg_begin(b, BMP_MSG_ROUTE_MIRRORING);

	put_peer(b, &peer4);
	put16(b, BMP_MIRROR_BGP_MSG);
	put16(b, 19 + 4);
	put_bgp(b, BMP_BGP_UPDATE, 4);
	put16(b, BMP_MIRROR_INFO);
	put16(b, 2);
	put16(b, BMP_MIRROR_MSGS_LOST);
	msg_end(b, at);
}

static const struct {
	const char *name;
	void (*build)(struct buf *b);
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
	struct buf b;
	size_t len1, total, msg_len;
	enum bmp_error why;
	(void)state;

	b_init(&b, 4096);
	build_initiation(&b);
	len1 = b.n;
	build_route_mon(&b);
	total = b.n;
	for (size_t k = 0; k <= total; k++) {
		enum bmp_frame_status st = bmp_frame(b.d, k, 0, &msg_len, &why);

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
		st = bmp_frame(b.d + len1, k - len1, 0, &msg_len, &why);
		assert_int_equal(st, k == total ? BMP_FRAME_COMPLETE : BMP_FRAME_NEED_MORE);
		if (k - len1 >= 5)
			assert_int_equal(msg_len, total - len1);
	}
	b_free(&b);
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
	set32(hdr + 1, 70000);
	assert_int_equal(bmp_frame(hdr, 6, 0, &msg_len, &why), BMP_FRAME_NEED_MORE);
	assert_int_equal(msg_len, 70000);
	assert_int_equal(bmp_frame(hdr, 6, 65535, &msg_len, &why), BMP_FRAME_ERROR);
	assert_int_equal(why, BMP_ERR_LENGTH_LONG);
	assert_int_equal(bmp_frame(hdr, 6, 70000, &msg_len, &why), BMP_FRAME_NEED_MORE);
	set32(hdr + 1, BMP_DEFAULT_MAX_MSG + 1);
	assert_int_equal(bmp_frame(hdr, 6, 0, &msg_len, NULL), BMP_FRAME_ERROR);
	/* a reason pointer is optional */
	set32(hdr + 1, 6);
	assert_int_equal(bmp_frame(hdr, 6, 0, &msg_len, NULL), BMP_FRAME_COMPLETE);
}

static void test_unknown_type_skipped(void **state)
{
	struct buf b;
	size_t at, off = 0, msg_len, n = 0, unknown = 0;
	struct bmp_msg m;
	(void)state;

	b_init(&b, 4096);
	at = msg_begin(&b, 42);
	putfill(&b, 0xee, 10);
	msg_end(&b, at);
	build_initiation(&b);
	at = msg_begin(&b, 255);
	msg_end(&b, at);
	build_termination(&b);
	while (off < b.n) {
		assert_int_equal(bmp_frame(b.d + off, b.n - off, 0, &msg_len, NULL),
				 BMP_FRAME_COMPLETE);
		if (decode_exact(b.d + off, msg_len, &m) < 0) {
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
	assert_int_equal(bmp_decode(b.d, 16, &m), -1);
	assert_int_equal(m.u.unknown.len, 10);
	assert_ptr_equal(m.u.unknown.data, b.d + 6);
	b_free(&b);
}

/* ---- common header ---------------------------------------------------- */

static void test_decode_length_mismatch(void **state)
{
	struct buf b;
	struct bmp_msg m;
	size_t len;
	(void)state;

	b_init(&b, 4096);
	build_initiation(&b);
	len = b.n;
	putfill(&b, 0, 5);
	/* more bytes than the header says: flagged, the message still decodes */
	assert_int_equal(decode_exact(b.d, b.n, &m), -1);
	assert_int_equal(m.error, BMP_ERR_LENGTH_MISMATCH);
	assert_int_equal(m.u.init.tlvs.n, 3);
	/* fewer: flagged, nothing decoded */
	assert_int_equal(decode_exact(b.d, len - 1, &m), -1);
	assert_int_equal(m.error, BMP_ERR_LENGTH_MISMATCH);
	assert_int_equal(m.u.init.tlvs.n, 0);
	assert_int_equal(decode_exact(b.d, 3, &m), -1);
	assert_int_equal(m.error, BMP_ERR_TRUNCATED);
	assert_int_equal(decode_exact(b.d, 0, &m), -1);
	b_free(&b);
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
		struct buf b;
		struct bmp_msg m;
		size_t at;

		p.type = cases[i].type;
		p.flags = cases[i].flags;
		p.dist = 0x0001fde800000064ull; /* RD 65000:100 */
		if (cases[i].v)
			memcpy(p.addr, v6, 16);
		b_init(&b, 256);
		at = msg_begin(&b, BMP_MSG_ROUTE_MONITORING);
		put_peer(&b, &p);
		put_bgp(&b, BMP_BGP_UPDATE, 4);
		msg_end(&b, at);
		assert_int_equal(decode_exact(b.d, b.n, &m), 0);
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
		b_free(&b);
	}
}

static void test_peer_header_truncated(void **state)
{
	struct buf b;
	struct bmp_msg m;
	(void)state;

	for (size_t cut = 0; cut < BMP_PEER_HDR_LEN; cut++) {
		size_t at;

		b_init(&b, 256);
		at = msg_begin(&b, BMP_MSG_STATISTICS_REPORT);
		put_peer(&b, &peer4);
		b.n -= BMP_PEER_HDR_LEN - cut;
		msg_end(&b, at);
		assert_int_equal(decode_exact(b.d, b.n, &m), -1);
		assert_int_equal(m.error, BMP_ERR_PEER_HEADER);
		assert_false(m.has_peer);
		b_free(&b);
	}
}

/* ---- Initiation / Termination ----------------------------------------- */

static void test_initiation(void **state)
{
	struct buf b;
	struct bmp_msg m;
	(void)state;

	b_init(&b, 4096);
	build_initiation(&b);
	assert_int_equal(decode_exact(b.d, b.n, &m), 0);
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
	assert_int_equal(m.u.init.tlvs.area.len, b.n - 6);
	b_free(&b);
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
		struct buf b;
		struct bmp_msg m;
		size_t at;

		b_init(&b, 256);
		at = msg_begin(&b, BMP_MSG_TERMINATION);
		put16(&b, BMP_TERM_REASON);
		put16(&b, 2);
		put16(&b, cases[i].reason);
		put_str_tlv(&b, BMP_TERM_STRING, "maintenance");
		msg_end(&b, at);
		assert_int_equal(decode_exact(b.d, b.n, &m), 0);
		assert_true(m.u.term.has_reason);
		assert_int_equal(m.u.term.reason, cases[i].reason);
		assert_string_equal(bmp_term_reason_name(m.u.term.reason), cases[i].name);
		assert_int_equal(m.u.term.tlvs.n, 2);
		b_free(&b);
	}
}

static void test_termination_bad_reason_size(void **state)
{
	struct buf b;
	struct bmp_msg m;
	size_t at;
	(void)state;

	b_init(&b, 256);
	at = msg_begin(&b, BMP_MSG_TERMINATION);
	put16(&b, BMP_TERM_REASON);
	put16(&b, 3);
	put8(&b, 0);
	put16(&b, 1);
	put_str_tlv(&b, BMP_TERM_STRING, "x");
	msg_end(&b, at);
	assert_int_equal(decode_exact(b.d, b.n, &m), -1);
	assert_int_equal(m.error, BMP_ERR_TLV_VALUE);
	assert_false(m.u.term.has_reason);
	/* the next TLV is still found at its place */
	assert_int_equal(m.u.term.tlvs.n, 2);
	assert_int_equal(m.u.term.tlvs.v[1].type, BMP_TERM_STRING);
	b_free(&b);
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
			struct buf b;
			struct bmp_msg m;
			const struct bmp_tlv_list *l;
			size_t at;

			b_init(&b, 512);
			at = msg_begin(&b, types[t]);
			if (types[t] == BMP_MSG_PEER_UP) {
				put_peer(&b, &peer4);
				putfill(&b, 0, 20);
				put_open(&b, 1);
				put_open(&b, 2);
			} else if (types[t] == BMP_MSG_ROUTE_MIRRORING) {
				put_peer(&b, &peer4);
			} else if (types[t] == BMP_MSG_PEER_DOWN) {
				put_peer(&b, &peer4);
				put8(&b, BMP_DOWN_LOCAL_TLV);
			}
			put_str_tlv(&b, 0, "ok"); /* mirroring: BGP TLV of 2 bytes */
			if (variant == 0) {	  /* value longer than what is left */
				put16(&b, 0);
				put16(&b, 100);
				putmem(&b, "short", 5);
			} else { /* header cut after 1..3 bytes */
				putfill(&b, 0, (size_t)variant);
			}
			msg_end(&b, at);
			assert_int_equal(decode_exact(b.d, b.n, &m), -1);
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
			b_free(&b);
		}
	}
}

static void test_tlv_overflow(void **state)
{
	struct buf b;
	struct bmp_msg m;
	size_t at;
	(void)state;

	b_init(&b, 4096);
	at = msg_begin(&b, BMP_MSG_INITIATION);
	for (int i = 0; i < BMP_MAX_TLVS + 3; i++)
		put_str_tlv(&b, BMP_INIT_STRING, "s");
	put_str_tlv(&b, BMP_INIT_SYSNAME, "late");
	msg_end(&b, at);
	assert_int_equal(decode_exact(b.d, b.n, &m), -1);
	assert_int_equal(m.errors, 1u << BMP_ERR_TLV_OVERFLOW);
	assert_int_equal(m.u.init.tlvs.n, BMP_MAX_TLVS);
	assert_int_equal(m.u.init.tlvs.total, BMP_MAX_TLVS + 4);
	/* convenience fields still see TLVs past the cap */
	assert_int_equal(m.u.init.sys_name.len, 4);
	b_free(&b);
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
	struct buf b;
	struct bmp_msg m;
	size_t at, msg_len;
	enum bmp_error why;
	(void)state;

	b_init(&b, 200000);
	at = msg_begin(&b, BMP_MSG_INITIATION);
	for (int i = 0; i < 2; i++) {
		put16(&b, BMP_INIT_STRING);
		put16(&b, 60000);
		putfill(&b, 'a' + (unsigned)i, 60000);
	}
	put_str_tlv(&b, BMP_INIT_SYSNAME, "big");
	msg_end(&b, at);
	assert_true(b.n > 65535);
	assert_int_equal(bmp_frame(b.d, b.n, 0, &msg_len, &why), BMP_FRAME_COMPLETE);
	assert_int_equal(msg_len, b.n);
	assert_int_equal(bmp_frame(b.d, b.n - 1, 0, &msg_len, &why), BMP_FRAME_NEED_MORE);
	assert_int_equal(msg_len, b.n);
	assert_int_equal(bmp_frame(b.d, b.n, 65535, &msg_len, &why), BMP_FRAME_ERROR);
	assert_int_equal(why, BMP_ERR_LENGTH_LONG);
	assert_int_equal(decode_exact(b.d, b.n, &m), 0);
	assert_int_equal(m.length, b.n);
	assert_int_equal(m.u.init.tlvs.n, 3);
	assert_int_equal(m.u.init.tlvs.v[1].value[59999], 'b');
	assert_int_equal(m.u.init.sys_name.len, 3);
	b_free(&b);

	/* and a statistics report past 64 KiB: 6,000 entries of 11 bytes */
	b_init(&b, 200000);
	at = msg_begin(&b, BMP_MSG_STATISTICS_REPORT);
	put_peer(&b, &peer4);
	put32(&b, 6000);
	for (uint32_t i = 0; i < 6000; i++) {
		put16(&b, 9);
		put16(&b, 11);
		put16(&b, 1);
		put8(&b, 1);
		put64(&b, i);
	}
	msg_end(&b, at);
	assert_true(b.n > 65535);
	assert_int_equal(bmp_frame(b.d, b.n, 0, &msg_len, &why), BMP_FRAME_COMPLETE);
	assert_int_equal(decode_exact(b.d, b.n, &m), -1);
	assert_int_equal(m.errors, 1u << BMP_ERR_STAT_OVERFLOW);
	assert_int_equal(m.u.stats.total, 6000);
	assert_int_equal(m.u.stats.n, BMP_MAX_STATS);
	assert_true(m.u.stats.v[BMP_MAX_STATS - 1].value == BMP_MAX_STATS - 1);
	b_free(&b);
}

/* ---- Route Monitoring ---------------------------------------------- */

static void test_route_monitoring(void **state)
{
	struct buf b;
	struct bmp_msg m;
	(void)state;

	b_init(&b, 512);
	build_route_mon(&b);
	assert_int_equal(decode_exact(b.d, b.n, &m), 0);
	assert_int_equal(bmp_decode(b.d, b.n, &m), 0);
	assert_string_equal(bmp_msg_type_name(m.type), "route-monitoring");
	assert_int_equal(m.u.rm.update.status, BMP_PDU_OK);
	assert_int_equal(m.u.rm.update.type, BMP_BGP_UPDATE);
	assert_ptr_equal(m.u.rm.update.data, b.d + 6 + 42);
	assert_int_equal(m.u.rm.update.len, 19 + 12);
	b_free(&b);
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
		struct buf b;
		struct bmp_msg m;
		size_t at, pdu_at;

		b_init(&b, 512);
		at = msg_begin(&b, BMP_MSG_ROUTE_MONITORING);
		put_peer(&b, &peer4);
		pdu_at = b.n;
		switch (cases[i].shape) {
		case WRONG_TYPE:
			put_bgp(&b, 4, 0); /* KEEPALIVE */
			break;
		case TRAILING:
			put_bgp(&b, BMP_BGP_UPDATE, 4);
			putfill(&b, 0, 3);
			break;
		case MISSING:
			break;
		case BAD_MARKER:
			put_bgp(&b, BMP_BGP_UPDATE, 4);
			b.d[pdu_at + 7] = 0xfe;
			break;
		case BAD_LENGTH:
			put_bgp(&b, BMP_BGP_UPDATE, 4);
			b.d[pdu_at + 17] = 18;
			break;
		case TOO_LONG:
			put_bgp(&b, BMP_BGP_UPDATE, 4);
			b.d[pdu_at + 17] = 24;
			break;
		case SHORT_HDR:
			putfill(&b, 0xff, 17);
			break;
		}
		msg_end(&b, at);
		assert_int_equal(decode_exact(b.d, b.n, &m), -1);
		assert_int_equal(m.error, cases[i].err);
		assert_int_equal(m.errors, 1u << cases[i].err);
		assert_int_equal(m.u.rm.update.status, cases[i].st);
		assert_true(m.has_peer);
		assert_int_equal(bmp_decode(b.d, b.n, &m), -1);
		if (cases[i].pdu_returned)
			assert_ptr_equal(m.u.rm.update.data, b.d + pdu_at);
		else
			assert_null(m.u.rm.update.data);
		b_free(&b);
	}
}

/* ---- Statistics Report ------------------------------------------------ */

static void test_stats_every_known_type(void **state)
{
	struct buf b;
	struct bmp_msg m;
	size_t at;
	(void)state;

	b_init(&b, 4096);
	at = msg_begin(&b, BMP_MSG_STATISTICS_REPORT);
	put_peer(&b, &peer4);
	put32(&b, BMP_STAT_LAST_KNOWN + 1);
	for (unsigned t = 0; t <= BMP_STAT_LAST_KNOWN; t++) {
		put16(&b, t);
		switch (bmp_stat_type_kind((uint16_t)t)) {
		case BMP_STAT_KIND_COUNTER32:
			put16(&b, 4);
			put32(&b, 1000 + t);
			break;
		case BMP_STAT_KIND_GAUGE64:
			put16(&b, 8);
			put64(&b, 0x100000000ull + t);
			break;
		case BMP_STAT_KIND_AFI_SAFI_GAUGE64:
			put16(&b, 11);
			put16(&b, 2);
			put8(&b, 128);
			put64(&b, 0x200000000ull + t);
			break;
		case BMP_STAT_KIND_UNKNOWN:
			fail_msg("type %u not in the registry table", t);
		}
	}
	msg_end(&b, at);
	assert_int_equal(decode_exact(b.d, b.n, &m), 0);
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
	b_free(&b);
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
	struct buf b;
	struct bmp_msg m;
	size_t at, n = sizeof(want) / sizeof(want[0]);
	(void)state;

	b_init(&b, 1024);
	at = msg_begin(&b, BMP_MSG_STATISTICS_REPORT);
	put_peer(&b, &peer4);
	put32(&b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		put16(&b, want[i].type);
		put16(&b, want[i].len);
		if (want[i].vk == BMP_STAT_VAL_U32) {
			put32(&b, (uint32_t)want[i].value);
		} else if (want[i].vk == BMP_STAT_VAL_U64) {
			put64(&b, want[i].value);
		} else if (want[i].vk == BMP_STAT_VAL_AFI_SAFI_U64) {
			put16(&b, 1);
			put8(&b, 1);
			put64(&b, want[i].value);
		} else {
			putfill(&b, 0xaa, want[i].len);
		}
	}
	msg_end(&b, at);
	assert_int_equal(decode_exact(b.d, b.n, &m), -1);
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
	b_free(&b);
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
		struct buf b;
		struct bmp_msg m;
		size_t at;

		b_init(&b, 512);
		at = msg_begin(&b, BMP_MSG_STATISTICS_REPORT);
		put_peer(&b, &peer4);
		put32(&b, cases[i].count);
		for (unsigned e = 0; e < cases[i].entries; e++) {
			put16(&b, 0);
			put16(&b, cases[i].lie && e == 1 ? 200 : 4);
			put32(&b, e + 1);
		}
		msg_end(&b, at);
		assert_int_equal(decode_exact(b.d, b.n, &m), cases[i].err == BMP_OK ? 0 : -1);
		assert_int_equal(m.error, cases[i].err);
		assert_int_equal(m.u.stats.n, cases[i].decoded);
		for (size_t e = 0; e < m.u.stats.n; e++)
			assert_true(m.u.stats.v[e].value == e + 1);
		b_free(&b);
	}
}

/* ---- Peer Up ---------------------------------------------------------- */

static void test_peer_up(void **state)
{
	struct buf b;
	struct bmp_msg m;
	const size_t open_at = 6 + 42 + 20;
	(void)state;

	b_init(&b, 1024);
	build_peer_up(&b);
	assert_int_equal(decode_exact(b.d, b.n, &m), 0);
	assert_int_equal(bmp_decode(b.d, b.n, &m), 0);
	assert_string_equal(bmp_msg_type_name(m.type), "peer-up");
	assert_int_equal(m.u.up.local_addr[12], 192);
	assert_int_equal(m.u.up.local_addr[15], 254);
	assert_int_equal(m.u.up.local_port, 179);
	assert_int_equal(m.u.up.remote_port, 40001);
	assert_int_equal(m.u.up.sent_open.status, BMP_PDU_OK);
	assert_int_equal(m.u.up.sent_open.type, BMP_BGP_OPEN);
	assert_ptr_equal(m.u.up.sent_open.data, b.d + open_at);
	assert_int_equal(m.u.up.sent_open.len, 29);
	assert_int_equal(m.u.up.recv_open.status, BMP_PDU_OK);
	assert_ptr_equal(m.u.up.recv_open.data, b.d + open_at + 29);
	/* sent is the router's (AS 65000), received the peer's (65001) */
	assert_int_equal(m.u.up.sent_open.data[20] << 8 | m.u.up.sent_open.data[21], 65000);
	assert_int_equal(m.u.up.recv_open.data[20] << 8 | m.u.up.recv_open.data[21], 65001);
	assert_int_equal(m.u.up.tlvs.n, 2);
	assert_int_equal(m.u.up.vrf_table_name.len, 4);
	assert_memory_equal(m.u.up.vrf_table_name.data, "blue", 4);
	assert_int_equal(m.u.up.admin_label.len, 10);
	assert_memory_equal(m.u.up.admin_label.data, "er-primary", 10);
	b_free(&b);
}

static void test_peer_up_ipv6(void **state)
{
	struct buf b;
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
	b_init(&b, 512);
	at = msg_begin(&b, BMP_MSG_PEER_UP);
	put_peer(&b, &p);
	putmem(&b, local, 16);
	put16(&b, 50000);
	put16(&b, 179);
	put_open(&b, 1);
	put_open(&b, 2);
	msg_end(&b, at);
	assert_int_equal(decode_exact(b.d, b.n, &m), 0);
	assert_true(m.peer.ipv6);
	assert_memory_equal(m.peer.addr, p.addr, 16);
	assert_memory_equal(m.u.up.local_addr, local, 16);
	assert_int_equal(m.u.up.tlvs.n, 0);
	b_free(&b);
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
		struct buf b;
		struct bmp_msg m;
		size_t at, open_at;

		b_init(&b, 512);
		at = msg_begin(&b, BMP_MSG_PEER_UP);
		put_peer(&b, &peer4);
		putfill(&b, 0, cases[i].shape == PORTS_CUT ? 9 : 16);
		if (cases[i].shape != PORTS_CUT) {
			put16(&b, 179);
			put16(&b, 1234);
		}
		open_at = b.n;
		switch (cases[i].shape) {
		case NONE:
			break;
		case SENT_ONLY:
			put_open(&b, 1);
			break;
		case SENT_SHORT:
			putfill(&b, 0xff, 10);
			break;
		case RECV_LONG:
			put_open(&b, 1);
			put_open(&b, 2);
			b.d[open_at + 29 + 17] = 60;
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
			b.d[open_at] = 0;
			put_open(&b, 2);
			break;
		case RECV_LEN18:
			put_open(&b, 1);
			put_open(&b, 2);
			b.d[open_at + 29 + 17] = 18;
			break;
		case PORTS_CUT:
			break;
		}
		msg_end(&b, at);
		assert_int_equal(decode_exact(b.d, b.n, &m), -1);
		assert_int_equal(m.error, cases[i].err);
		assert_int_equal(m.errors, 1u << cases[i].err);
		assert_int_equal(m.u.up.sent_open.status, cases[i].sent);
		assert_int_equal(m.u.up.recv_open.status, cases[i].recv);
		assert_int_equal(m.u.up.tlvs.n, cases[i].tlvs);
		assert_true(m.has_peer);
		b_free(&b);
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
		struct buf b;
		struct bmp_msg m;
		const struct bmp_peer_down *d = &m.u.down;
		size_t at, data_at;

		b_init(&b, 512);
		at = msg_begin(&b, BMP_MSG_PEER_DOWN);
		put_peer(&b, &peer4);
		put8(&b, cases[i].reason);
		data_at = b.n;
		switch (cases[i].extra) {
		case NOTHING:
			break;
		case NOTIF:
			put_bgp(&b, BMP_BGP_NOTIFICATION, 2); /* code, subcode */
			break;
		case JUNK_AFTER_NOTIF:
			put_bgp(&b, BMP_BGP_NOTIFICATION, 2);
			put8(&b, 0);
			break;
		case KEEPALIVE:
			put_bgp(&b, 4, 0);
			break;
		case FSM:
			put16(&b, 0x1234);
			break;
		case FSM_CUT:
			put8(&b, 0x12);
			break;
		case TLVS:
			put_str_tlv(&b, BMP_PEER_TLV_VRF_TABLE_NAME, "vrf-red");
			break;
		case JUNK:
			putfill(&b, 0x55, 5);
			break;
		}
		msg_end(&b, at);
		assert_int_equal(decode_exact(b.d, b.n, &m), cases[i].err == BMP_OK ? 0 : -1);
		assert_int_equal(bmp_decode(b.d, b.n, &m), cases[i].err == BMP_OK ? 0 : -1);
		assert_int_equal(m.error, cases[i].err);
		assert_int_equal(d->reason, cases[i].reason);
		assert_string_equal(bmp_peer_down_reason_name(d->reason), cases[i].name);
		assert_int_equal(d->data.len, b.n - data_at);
		if (d->data.len)
			assert_ptr_equal(d->data.data, b.d + data_at);
		if (cases[i].extra == NOTIF) {
			assert_int_equal(d->notification.status, BMP_PDU_OK);
			assert_int_equal(d->notification.type, BMP_BGP_NOTIFICATION);
			assert_ptr_equal(d->notification.data, b.d + data_at);
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
		b_free(&b);
	}
}

static void test_peer_down_reason_missing(void **state)
{
	struct buf b;
	struct bmp_msg m;
	size_t at;
	(void)state;

	b_init(&b, 256);
	at = msg_begin(&b, BMP_MSG_PEER_DOWN);
	put_peer(&b, &peer4);
	msg_end(&b, at);
	assert_int_equal(decode_exact(b.d, b.n, &m), -1);
	assert_int_equal(m.error, BMP_ERR_TRUNCATED);
	b_free(&b);
}

/* ---- Route Mirroring ------------------------------------------------- */

static void test_route_mirroring(void **state)
{
	struct buf b;
	struct bmp_msg m;
	(void)state;

	b_init(&b, 512);
	build_mirror(&b);
	assert_int_equal(decode_exact(b.d, b.n, &m), 0);
	assert_int_equal(bmp_decode(b.d, b.n, &m), 0);
	assert_string_equal(bmp_msg_type_name(m.type), "route-mirroring");
	assert_int_equal(m.u.mirror.n_bgp, 1);
	assert_int_equal(m.u.mirror.bgp.status, BMP_PDU_OK);
	assert_int_equal(m.u.mirror.bgp.type, BMP_BGP_UPDATE);
	assert_int_equal(m.u.mirror.bgp.len, 23);
	assert_ptr_equal(m.u.mirror.bgp.data, b.d + 6 + 42 + 4);
	assert_true(m.u.mirror.has_info);
	assert_int_equal(m.u.mirror.info_code, BMP_MIRROR_MSGS_LOST);
	assert_int_equal(m.u.mirror.tlvs.n, 2);
	b_free(&b);
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
		struct buf b;
		struct bmp_msg m;
		uint8_t pdu[64];
		size_t at;

		b_init(&b, 512);
		at = msg_begin(&b, BMP_MSG_ROUTE_MIRRORING);
		put_peer(&b, &peer4);
		put16(&b, BMP_MIRROR_BGP_MSG);
		put16(&b, cases[i].tlv_len);
		/* the TLV holds the first tlv_len bytes of a PDU whose
		 * length field says bgp_len (zero padded) */
		memset(pdu, 0, sizeof(pdu));
		memset(pdu, 0xff, 16);
		pdu[17] = (uint8_t)cases[i].bgp_len;
		pdu[18] = BMP_BGP_UPDATE;
		putmem(&b, pdu, cases[i].tlv_len);
		put16(&b, BMP_MIRROR_INFO);
		put16(&b, 2);
		put16(&b, BMP_MIRROR_ERRORED_PDU);
		msg_end(&b, at);
		assert_int_equal(decode_exact(b.d, b.n, &m), -1);
		assert_int_equal(m.errors, 1u << cases[i].err);
		/* the information TLV after it is still decoded */
		assert_true(m.u.mirror.has_info);
		assert_int_equal(m.u.mirror.info_code, BMP_MIRROR_ERRORED_PDU);
		b_free(&b);
	}
}

static void test_route_mirroring_bad_info(void **state)
{
	struct buf b;
	struct bmp_msg m;
	size_t at;
	(void)state;

	b_init(&b, 512);
	at = msg_begin(&b, BMP_MSG_ROUTE_MIRRORING);
	put_peer(&b, &peer4);
	put16(&b, BMP_MIRROR_INFO);
	put16(&b, 1);
	put8(&b, 1);
	msg_end(&b, at);
	assert_int_equal(decode_exact(b.d, b.n, &m), -1);
	assert_int_equal(m.error, BMP_ERR_TLV_VALUE);
	assert_false(m.u.mirror.has_info);
	b_free(&b);
}

/* ---- truncation at every byte --------------------------------------- */

static void test_truncation_every_byte(void **state)
{
	(void)state;

	for (size_t i = 0; i < N_VALID; i++) {
		struct buf b;
		struct bmp_msg m;

		b_init(&b, 1024);
		valid_msgs[i].build(&b);
		assert_int_equal(decode_exact(b.d, b.n, &m), 0);
		assert_int_equal(m.type, valid_msgs[i].type);
		for (size_t k = 0; k < b.n; k++) {
			uint8_t *cut = test_malloc(k ? k : 1);
			size_t msg_len;

			memcpy(cut, b.d, k);
			/* (a) the header still claims the full length */
			assert_int_equal(decode_exact(cut, k, &m), -1);
			assert_true(has(&m, k < 6 ? BMP_ERR_TRUNCATED : BMP_ERR_LENGTH_MISMATCH));
			assert_int_equal(bmp_frame(cut, k, 0, &msg_len, NULL), BMP_FRAME_NEED_MORE);
			/* (b) the header is patched to the cut, so the body
			 * parsers see the truncation themselves */
			if (k >= 6) {
				set32(cut + 1, (uint32_t)k);
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
		b_free(&b);
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
	};

	return cmocka_run_group_tests_name("bmp", tests, NULL, NULL);
}
