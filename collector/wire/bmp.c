/* bmp.c — BMP v3 codec. See bmp.h for the contract.
 *
 * Every field is read through the bounds-checked reader: the common header
 * carves the body, the body carves the per-peer header, each TLV and each
 * BGP PDU is carved by its own length before anything looks inside it.
 */
#include "bmp.h"

#include <stddef.h>
#include <string.h>

_Static_assert(BMP_ERR__COUNT <= 32, "errors mask is 32-bit");

/* ---- names ---------------------------------------------------------- */

static const char *const msg_type_names[] = {
	[BMP_MSG_ROUTE_MONITORING] = "route-monitoring",
	[BMP_MSG_STATISTICS_REPORT] = "statistics-report",
	[BMP_MSG_PEER_DOWN] = "peer-down",
	[BMP_MSG_PEER_UP] = "peer-up",
	[BMP_MSG_INITIATION] = "initiation",
	[BMP_MSG_TERMINATION] = "termination",
	[BMP_MSG_ROUTE_MIRRORING] = "route-mirroring",
};

static const char *const peer_type_names[] = {
	[BMP_PEER_GLOBAL] = "global-instance",
	[BMP_PEER_RD] = "rd-instance",
	[BMP_PEER_LOCAL] = "local-instance",
	[BMP_PEER_LOC_RIB] = "loc-rib-instance",
};

static const char *const peer_down_names[] = {
	[BMP_DOWN_LOCAL_NOTIFICATION] = "local-notification",
	[BMP_DOWN_LOCAL_FSM] = "local-fsm-event",
	[BMP_DOWN_REMOTE_NOTIFICATION] = "remote-notification",
	[BMP_DOWN_REMOTE_NO_DATA] = "remote-no-data",
	[BMP_DOWN_DECONFIGURED] = "peer-deconfigured",
	[BMP_DOWN_LOCAL_TLV] = "local-tlv",
};

static const char *const term_reason_names[] = {
	[BMP_TERM_ADMIN_CLOSE] = "admin-close",
	[BMP_TERM_UNSPECIFIED] = "unspecified",
	[BMP_TERM_OUT_OF_RESOURCES] = "out-of-resources",
	[BMP_TERM_REDUNDANT] = "redundant-connection",
	[BMP_TERM_PERM_ADMIN_CLOSE] = "permanently-admin-closed",
};

static const char *const error_names[BMP_ERR__COUNT] = {
	[BMP_OK] = "ok",
	[BMP_ERR_VERSION] = "unsupported_version",
	[BMP_ERR_LENGTH_SHORT] = "length_too_short",
	[BMP_ERR_LENGTH_LONG] = "length_too_long",
	[BMP_ERR_LENGTH_MISMATCH] = "length_mismatch",
	[BMP_ERR_TRUNCATED] = "truncated",
	[BMP_ERR_UNKNOWN_TYPE] = "unknown_msg_type",
	[BMP_ERR_PEER_HEADER] = "peer_header_truncated",
	[BMP_ERR_TLV_LENGTH] = "tlv_length",
	[BMP_ERR_TLV_OVERFLOW] = "tlv_overflow",
	[BMP_ERR_TLV_VALUE] = "tlv_value",
	[BMP_ERR_BGP_MISSING] = "bgp_missing",
	[BMP_ERR_BGP_TRUNCATED] = "bgp_truncated",
	[BMP_ERR_BGP_MARKER] = "bgp_marker",
	[BMP_ERR_BGP_LENGTH] = "bgp_length",
	[BMP_ERR_BGP_TYPE] = "bgp_type",
	[BMP_ERR_TRAILING] = "trailing_bytes",
	[BMP_ERR_STAT_COUNT] = "stat_count_mismatch",
	[BMP_ERR_STAT_SIZE] = "unexpected_size",
	[BMP_ERR_STAT_OVERFLOW] = "stat_overflow",
	[BMP_ERR_PEER_DOWN_REASON] = "unknown_peer_down_reason",
};

static const char *const pdu_status_names[] = {
	[BMP_PDU_NOT_REACHED] = "not-reached",
	[BMP_PDU_OK] = "ok",
	[BMP_PDU_MISSING] = "missing",
	[BMP_PDU_TRUNCATED] = "truncated",
	[BMP_PDU_BAD_MARKER] = "bad-marker",
	[BMP_PDU_BAD_LENGTH] = "bad-length",
	[BMP_PDU_WRONG_TYPE] = "wrong-type",
};

#define C32 BMP_STAT_KIND_COUNTER32
#define G64 BMP_STAT_KIND_GAUGE64
#define AFI BMP_STAT_KIND_AFI_SAFI_GAUGE64

/* IANA "BMP Statistics Types", indexed by type. 0-13: RFC 7854 §4.8 (with
 * the erratum making 7-10 gauges); 14-17: RFC 8671 §5; 18-43: RFC 9972. */
static const struct stat_def {
	const char *name;
	enum bmp_stat_kind kind;
} stat_defs[] = {
	[0] = {"rejected_prefixes", C32},
	[1] = {"duplicate_prefix_advertisements", C32},
	[2] = {"duplicate_withdraws", C32},
	[3] = {"invalidated_cluster_list_loop", C32},
	[4] = {"invalidated_as_path_loop", C32},
	[5] = {"invalidated_originator_id", C32},
	[6] = {"invalidated_as_confed_loop", C32},
	[7] = {"adj_rib_in_routes", G64},
	[8] = {"loc_rib_routes", G64},
	[9] = {"adj_rib_in_routes_per_afi_safi", AFI},
	[10] = {"loc_rib_routes_per_afi_safi", AFI},
	[11] = {"updates_treated_as_withdraw", C32},
	[12] = {"prefixes_treated_as_withdraw", C32},
	[13] = {"duplicate_update_messages", C32},
	[14] = {"adj_rib_out_pre_policy_routes", G64},
	[15] = {"adj_rib_out_post_policy_routes", G64},
	[16] = {"adj_rib_out_pre_policy_routes_per_afi_safi", AFI},
	[17] = {"adj_rib_out_post_policy_routes_per_afi_safi", AFI},
	[18] = {"adj_rib_in_pre_policy_routes", G64},
	[19] = {"adj_rib_in_pre_policy_routes_per_afi_safi", AFI},
	[20] = {"adj_rib_in_post_policy_routes", G64},
	[21] = {"adj_rib_in_post_policy_routes_per_afi_safi", AFI},
	[22] = {"adj_rib_in_pre_policy_rejected_per_afi_safi", AFI},
	[23] = {"adj_rib_in_post_policy_accepted_per_afi_safi", AFI},
	[24] = {"primary_routes_per_afi_safi", AFI},
	[25] = {"backup_routes_per_afi_safi", AFI},
	[26] = {"damping_suppressed_routes_per_afi_safi", AFI},
	[27] = {"graceful_restart_stale_routes_per_afi_safi", AFI},
	[28] = {"llgr_stale_routes_per_afi_safi", AFI},
	[29] = {"adj_rib_in_post_policy_threshold_headroom", G64},
	[30] = {"adj_rib_in_post_policy_threshold_headroom_per_afi_safi", AFI},
	[31] = {"license_threshold_headroom", G64},
	[32] = {"license_threshold_headroom_per_afi_safi", AFI},
	[33] = {"adj_rib_in_pre_policy_as_path_too_long", G64},
	[34] = {"adj_rib_in_pre_policy_as_path_too_long_per_afi_safi", AFI},
	[35] = {"adj_rib_in_post_policy_rpki_invalid_per_afi_safi", AFI},
	[36] = {"adj_rib_in_post_policy_rpki_valid_per_afi_safi", AFI},
	[37] = {"adj_rib_in_post_policy_rpki_not_found_per_afi_safi", AFI},
	[38] = {"adj_rib_out_pre_policy_rejected_per_afi_safi", AFI},
	[39] = {"adj_rib_out_pre_policy_as_path_too_long", G64},
	[40] = {"adj_rib_out_pre_policy_as_path_too_long_per_afi_safi", AFI},
	[41] = {"adj_rib_out_post_policy_rpki_invalid_per_afi_safi", AFI},
	[42] = {"adj_rib_out_post_policy_rpki_valid_per_afi_safi", AFI},
	[43] = {"adj_rib_out_post_policy_rpki_not_found_per_afi_safi", AFI},
};

#undef C32
#undef G64
#undef AFI

_Static_assert(sizeof(stat_defs) / sizeof(stat_defs[0]) == BMP_STAT_LAST_KNOWN + 1,
	       "stat table covers every known type");

#define NAME_OF(table, i)                                                                  \
	((size_t)(i) < sizeof(table) / sizeof((table)[0]) && (table)[i] ? (table)[i] : "unknown")

const char *bmp_msg_type_name(uint8_t type)
{
	return NAME_OF(msg_type_names, type);
}

const char *bmp_peer_type_name(uint8_t type)
{
	return NAME_OF(peer_type_names, type);
}

const char *bmp_peer_down_reason_name(uint8_t reason)
{
	return NAME_OF(peer_down_names, reason);
}

const char *bmp_term_reason_name(uint16_t reason)
{
	return NAME_OF(term_reason_names, reason);
}

const char *bmp_error_reason_name(enum bmp_error err)
{
	return NAME_OF(error_names, err);
}

const char *bmp_pdu_status_name(enum bmp_pdu_status st)
{
	return NAME_OF(pdu_status_names, st);
}

const char *bmp_stat_type_name(uint16_t type)
{
	return type <= BMP_STAT_LAST_KNOWN ? stat_defs[type].name : "unknown";
}

enum bmp_stat_kind bmp_stat_type_kind(uint16_t type)
{
	return type <= BMP_STAT_LAST_KNOWN ? stat_defs[type].kind : BMP_STAT_KIND_UNKNOWN;
}

/* ---- framing -------------------------------------------------------- */

static enum bmp_frame_status frame_fail(enum bmp_error *reason, enum bmp_error e)
{
	if (reason)
		*reason = e;
	return BMP_FRAME_ERROR;
}

enum bmp_frame_status bmp_frame(const uint8_t *buf, size_t len, size_t max_msg, size_t *msg_len,
				enum bmp_error *reason)
{
	struct wire_reader r;
	uint8_t version;
	uint32_t length;

	wire_init(&r, buf, len);
	if (reason)
		*reason = BMP_OK;
	*msg_len = BMP_COMMON_HDR_LEN;
	if (max_msg == 0)
		max_msg = BMP_DEFAULT_MAX_MSG;
	if (wire_get_u8(&r, &version) < 0)
		return BMP_FRAME_NEED_MORE;
	/* RFC 7854 §4.1: v1/v2 drafts have another header, so the stream
	 * cannot be followed; v4 drafts too. Fail on the first byte. */
	if (version != BMP_VERSION)
		return frame_fail(reason, BMP_ERR_VERSION);
	if (wire_get_u32(&r, &length) < 0)
		return BMP_FRAME_NEED_MORE;
	if (length < BMP_COMMON_HDR_LEN)
		return frame_fail(reason, BMP_ERR_LENGTH_SHORT);
	if (length > max_msg)
		return frame_fail(reason, BMP_ERR_LENGTH_LONG);
	*msg_len = length;
	return len < length ? BMP_FRAME_NEED_MORE : BMP_FRAME_COMPLETE;
}

/* ---- resynchronisation ---------------------------------------------- */

/* Fixed part of each message type: bytes a message of the type has at
 * least (RFC 7854 §4.3-§4.10); Peer Up carries two OPENs of 29 or more
 * (RFC 4271 §4.2). Indexed by type, 0..6. */
static const uint32_t resync_min_len[] = {
	[BMP_MSG_ROUTE_MONITORING] = BMP_COMMON_HDR_LEN + BMP_PEER_HDR_LEN + BMP_BGP_HDR_LEN,
	[BMP_MSG_STATISTICS_REPORT] = BMP_COMMON_HDR_LEN + BMP_PEER_HDR_LEN + 4,
	[BMP_MSG_PEER_DOWN] = BMP_COMMON_HDR_LEN + BMP_PEER_HDR_LEN + 1,
	[BMP_MSG_PEER_UP] = BMP_COMMON_HDR_LEN + BMP_PEER_HDR_LEN + 20 + 2 * 29,
	[BMP_MSG_INITIATION] = BMP_COMMON_HDR_LEN,
	[BMP_MSG_TERMINATION] = BMP_COMMON_HDR_LEN,
	[BMP_MSG_ROUTE_MIRRORING] = BMP_COMMON_HDR_LEN + BMP_PEER_HDR_LEN,
};

/* A BGP header at off of r: marker, a length of 19..room, type. -1 no,
 * 0 not enough bytes to tell, 1 yes. *blen: its length. */
static int resync_bgp_hdr(const struct wire_reader *r, size_t off, size_t room, uint8_t type,
			  uint16_t *blen)
{
	uint8_t b;

	for (size_t i = 0; i < BMP_BGP_MARKER_LEN; i++) {
		if (wire_peek_u8(r, off + i, &b) < 0)
			return 0;
		if (b != 0xff)
			return -1;
	}
	if (wire_peek_u16(r, off + BMP_BGP_MARKER_LEN, blen) < 0 ||
	    wire_peek_u8(r, off + BMP_BGP_MARKER_LEN + 2, &b) < 0)
		return 0;
	return *blen >= BMP_BGP_HDR_LEN && *blen <= room && b == type ? 1 : -1;
}

/* The type-specific checks of a candidate of type t and length len at the
 * start of r: -1 implausible, 0 undecided (too few bytes), 1 plausible. */
static int resync_body(const struct wire_reader *r, uint8_t t, uint32_t len)
{
	const size_t peer_end = BMP_COMMON_HDR_LEN + BMP_PEER_HDR_LEN;
	uint16_t blen, tlen;
	uint8_t b;
	int rc;

	if (t <= BMP_MSG_PEER_UP || t == BMP_MSG_ROUTE_MIRRORING) {
		if (wire_peek_u8(r, BMP_COMMON_HDR_LEN, &b) < 0)
			return 0;
		if (b > BMP_PEER_LOC_RIB)
			return -1;
	}
	switch (t) {
	case BMP_MSG_ROUTE_MONITORING: /* §4.6: one UPDATE, to the end */
		rc = resync_bgp_hdr(r, peer_end, len - peer_end, BMP_BGP_UPDATE, &blen);
		return rc == 1 && blen != len - peer_end ? -1 : rc;
	case BMP_MSG_PEER_UP: /* §4.10: then the sent OPEN */
		return resync_bgp_hdr(r, peer_end + 20, len - peer_end - 20 - 29, BMP_BGP_OPEN,
				      &blen);
	case BMP_MSG_PEER_DOWN: /* §4.9: reasons 1..5, RFC 9069 6, RFC 9736 7 */
		if (wire_peek_u8(r, peer_end, &b) < 0)
			return 0;
		return b >= 1 && b <= 7 ? 1 : -1;
	case BMP_MSG_INITIATION:
	case BMP_MSG_TERMINATION: /* §4.3, §4.5: information TLVs that fit */
		if (len == BMP_COMMON_HDR_LEN)
			return 1;
		if (len < BMP_COMMON_HDR_LEN + 4)
			return -1;
		if (wire_peek_u16(r, BMP_COMMON_HDR_LEN + 2, &tlen) < 0)
			return 0;
		return (size_t)tlen + 4 <= len - BMP_COMMON_HDR_LEN ? 1 : -1;
	default:
		return 1;
	}
}

/* A message start at the beginning of r: -1 no, 0 undecided, 1 yes. */
static int resync_candidate(const struct wire_reader *r, size_t max_msg)
{
	struct wire_reader c = *r;
	uint8_t version, type;
	uint32_t len;

	if (wire_get_u8(&c, &version) < 0)
		return 0;
	if (version != BMP_VERSION)
		return -1;
	if (wire_get_u32(&c, &len) < 0 || wire_get_u8(&c, &type) < 0)
		return 0;
	if (type > BMP_MSG_ROUTE_MIRRORING || len < resync_min_len[type] || len > max_msg)
		return -1;
	return resync_body(r, type, len);
}

enum bmp_resync_status bmp_resync(const uint8_t *buf, size_t len, size_t max_msg, size_t *off)
{
	struct wire_reader r;

	if (max_msg == 0)
		max_msg = BMP_DEFAULT_MAX_MSG;
	wire_init(&r, buf, buf != NULL ? len : 0);
	for (*off = 0; wire_left(&r) > 0; (*off)++) {
		int rc = resync_candidate(&r, max_msg);

		if (rc == 1)
			return BMP_RESYNC_FOUND;
		if (rc == 0)
			return BMP_RESYNC_NEED_MORE;
		if (wire_skip(&r, 1) < 0)
			break;
	}
	return BMP_RESYNC_NEED_MORE;
}

/* ---- helpers -------------------------------------------------------- */

static void flag(struct bmp_msg *m, enum bmp_error e)
{
	if (m->error == BMP_OK)
		m->error = e;
	m->errors |= 1u << e;
}

static void rest_bytes(struct wire_reader *r, struct bmp_bytes *out)
{
	out->len = wire_left(r);
	if (wire_get_bytes(r, out->len, &out->data) < 0)
		out->data = NULL;
}

static void check_done(struct wire_reader *r, struct bmp_msg *m)
{
	if (!wire_done(r))
		flag(m, BMP_ERR_TRAILING);
}

void bmp_tlv_iter_init(struct bmp_tlv_iter *it, const uint8_t *buf, size_t len)
{
	wire_init(&it->r, buf, len);
	it->failed = false;
}

int bmp_tlv_next(struct bmp_tlv_iter *it, struct bmp_tlv *tlv)
{
	struct wire_reader r = it->r;

	if (it->failed)
		return -1;
	if (wire_done(&r))
		return 0;
	if (wire_get_u16(&r, &tlv->type) < 0 || wire_get_u16(&r, &tlv->len) < 0 ||
	    wire_get_bytes(&r, tlv->len, &tlv->value) < 0) {
		it->failed = true;
		return -1;
	}
	it->r = r;
	return 1;
}

/* Carves one BGP PDU from r, checking only its header (RFC 4271 §4.1).
 * r moves past the PDU only when it could be carved. */
static enum bmp_pdu_status carve_bgp(struct wire_reader *r, struct bmp_bgp_pdu *pdu)
{
	static const uint8_t ones[BMP_BGP_MARKER_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
							 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
							 0xff, 0xff, 0xff, 0xff};
	struct wire_reader h = *r;
	const uint8_t *marker;
	uint16_t length;

	if (wire_done(r))
		return pdu->status = BMP_PDU_MISSING;
	if (wire_get_bytes(&h, BMP_BGP_MARKER_LEN, &marker) < 0 || wire_get_u16(&h, &length) < 0 ||
	    wire_get_u8(&h, &pdu->type) < 0)
		return pdu->status = BMP_PDU_TRUNCATED;
	if (memcmp(marker, ones, sizeof(ones)) != 0)
		return pdu->status = BMP_PDU_BAD_MARKER;
	if (length < BMP_BGP_HDR_LEN)
		return pdu->status = BMP_PDU_BAD_LENGTH;
	if (wire_get_bytes(r, length, &pdu->data) < 0)
		return pdu->status = BMP_PDU_TRUNCATED;
	pdu->len = length;
	return pdu->status = BMP_PDU_OK;
}

static const enum bmp_error pdu_errors[] = {
	[BMP_PDU_NOT_REACHED] = BMP_OK,		    [BMP_PDU_OK] = BMP_OK,
	[BMP_PDU_MISSING] = BMP_ERR_BGP_MISSING,    [BMP_PDU_TRUNCATED] = BMP_ERR_BGP_TRUNCATED,
	[BMP_PDU_BAD_MARKER] = BMP_ERR_BGP_MARKER,  [BMP_PDU_BAD_LENGTH] = BMP_ERR_BGP_LENGTH,
	[BMP_PDU_WRONG_TYPE] = BMP_ERR_BGP_TYPE,
};

/* Carves a PDU that must be of type want; flags what is wrong with it.
 * Returns 0 when the PDU was carved (even of the wrong type) so that what
 * follows it can still be found, -1 when the position after it is lost. */
static int carve_expect(struct wire_reader *r, uint8_t want, struct bmp_bgp_pdu *pdu,
			struct bmp_msg *m)
{
	enum bmp_pdu_status st = carve_bgp(r, pdu);

	if (st == BMP_PDU_OK && pdu->type != want)
		st = pdu->status = BMP_PDU_WRONG_TYPE;
	if (pdu_errors[st] != BMP_OK)
		flag(m, pdu_errors[st]);
	return st == BMP_PDU_OK || st == BMP_PDU_WRONG_TYPE ? 0 : -1;
}

typedef void tlv_hook(const struct bmp_tlv *tlv, struct bmp_msg *m);

/* Validates every TLV in the rest of r (RFC 7854 §4.4 layout), stores the
 * first BMP_MAX_TLVS and shows each one to hook. */
static void parse_tlvs(struct wire_reader *r, struct bmp_tlv_list *l, struct bmp_msg *m,
		       tlv_hook *hook)
{
	struct bmp_tlv_iter it;
	struct bmp_tlv tlv;
	int rc;

	bmp_tlv_iter_init(&it, wire_cur(r), wire_left(r));
	while ((rc = bmp_tlv_next(&it, &tlv)) == 1) {
		if (l->n < BMP_MAX_TLVS)
			l->v[l->n++] = tlv;
		else if (l->total == BMP_MAX_TLVS)
			flag(m, BMP_ERR_TLV_OVERFLOW);
		l->total++;
		if (hook)
			hook(&tlv, m);
	}
	if (rc < 0)
		flag(m, BMP_ERR_TLV_LENGTH);
	l->area.data = wire_cur(r);
	l->area.len = it.r.pos;
	if (wire_skip(r, wire_left(r)) < 0)
		flag(m, BMP_ERR_TRUNCATED); /* cannot happen: skipping what is left */
}

static void set_bytes(struct bmp_bytes *b, const struct bmp_tlv *tlv)
{
	b->data = tlv->value;
	b->len = tlv->len;
}

/* Reads a 2-byte TLV value; a value of any other size is flagged. */
static bool tlv_u16(const struct bmp_tlv *tlv, uint16_t *out, struct bmp_msg *m)
{
	struct wire_reader v;

	wire_init(&v, tlv->value, tlv->len);
	if (tlv->len != 2 || wire_get_u16(&v, out) < 0) {
		flag(m, BMP_ERR_TLV_VALUE);
		return false;
	}
	return true;
}

/* ---- per-peer header (RFC 7854 §4.2) -------------------------------- */

static int parse_peer_hdr(struct wire_reader *r, struct bmp_peer_hdr *p)
{
	struct wire_reader h;

	if (wire_sub(r, BMP_PEER_HDR_LEN, &h) < 0)
		return -1;
	if (wire_get_u8(&h, &p->type) < 0 || wire_get_u8(&h, &p->flags) < 0 ||
	    wire_get_u64(&h, &p->distinguisher) < 0 || wire_copy(&h, p->addr, 16) < 0 ||
	    wire_get_u32(&h, &p->as) < 0 || wire_get_u32(&h, &p->bgp_id) < 0 ||
	    wire_get_u32(&h, &p->ts_sec) < 0 || wire_get_u32(&h, &p->ts_usec) < 0)
		return -1;
	if (p->type == BMP_PEER_LOC_RIB) {
		/* RFC 9069 §4.2: the only flag is F; the address is zero. */
		p->filtered = (p->flags & BMP_PEER_FLAG_F) != 0;
	} else if (p->type < BMP_PEER_LOC_RIB) {
		p->ipv6 = (p->flags & BMP_PEER_FLAG_V) != 0;
		p->post_policy = (p->flags & BMP_PEER_FLAG_L) != 0;
		p->legacy_as_path = (p->flags & BMP_PEER_FLAG_A) != 0;
		p->adj_rib_out = (p->flags & BMP_PEER_FLAG_O) != 0; /* RFC 8671 §4 */
	}
	return 0;
}

/* ---- message bodies ------------------------------------------------- */

/* RFC 7854 §4.6: the per-peer header is followed by exactly one UPDATE. */
static void parse_route_mon(struct wire_reader *r, struct bmp_msg *m)
{
	if (carve_expect(r, BMP_BGP_UPDATE, &m->u.rm.update, m) == 0)
		check_done(r, m);
}

static void decode_stat(struct wire_reader *v, struct bmp_stat *s)
{
	enum bmp_stat_kind kind = bmp_stat_type_kind(s->type);
	static const uint16_t want[] = {
		[BMP_STAT_KIND_UNKNOWN] = 0,
		[BMP_STAT_KIND_COUNTER32] = 4,
		[BMP_STAT_KIND_GAUGE64] = 8,
		[BMP_STAT_KIND_AFI_SAFI_GAUGE64] = 11,
	};
	uint32_t u32;

	s->raw = wire_cur(v);
	/* Decode by the declared size, never by what the type promises. */
	if (s->len == 4 && wire_get_u32(v, &u32) == 0) {
		s->value = u32;
		s->value_kind = BMP_STAT_VAL_U32;
	} else if (s->len == 8 && wire_get_u64(v, &s->value) == 0) {
		s->value_kind = BMP_STAT_VAL_U64;
	} else if (s->len == 11 && wire_get_u16(v, &s->afi) == 0 && wire_get_u8(v, &s->safi) == 0 &&
		   wire_get_u64(v, &s->value) == 0) {
		s->value_kind = BMP_STAT_VAL_AFI_SAFI_U64;
	}
	if (kind == BMP_STAT_KIND_UNKNOWN)
		s->unexpected_size = s->value_kind == BMP_STAT_VAL_RAW;
	else
		s->unexpected_size = s->len != want[kind];
}

/* RFC 7854 §4.8: count, then count entries of (type, length, value). Each
 * entry is carved by its DECLARED length, so an entry of an unexpected
 * size never shifts the ones after it. */
static void parse_stats(struct wire_reader *r, struct bmp_msg *m)
{
	struct bmp_stats *st = &m->u.stats;

	if (wire_get_u32(r, &st->count) < 0) {
		flag(m, BMP_ERR_TRUNCATED);
		return;
	}
	for (uint32_t i = 0; i < st->count; i++) {
		struct bmp_stat s = {0};
		struct wire_reader v;

		if (wire_done(r)) {
			flag(m, BMP_ERR_STAT_COUNT);
			return;
		}
		if (wire_get_u16(r, &s.type) < 0 || wire_get_u16(r, &s.len) < 0 ||
		    wire_sub(r, s.len, &v) < 0) {
			flag(m, BMP_ERR_TLV_LENGTH);
			return;
		}
		decode_stat(&v, &s);
		if (s.unexpected_size)
			flag(m, BMP_ERR_STAT_SIZE);
		if (st->n < BMP_MAX_STATS)
			st->v[st->n++] = s;
		else if (st->total == BMP_MAX_STATS)
			flag(m, BMP_ERR_STAT_OVERFLOW);
		st->total++;
	}
	check_done(r, m);
}

static void peer_down_hook(const struct bmp_tlv *tlv, struct bmp_msg *m)
{
	if (tlv->type == BMP_PEER_TLV_VRF_TABLE_NAME)
		set_bytes(&m->u.down.vrf_table_name, tlv);
}

/* RFC 7854 §4.9, RFC 9069 §5.3 */
static void parse_peer_down(struct wire_reader *r, struct bmp_msg *m)
{
	struct bmp_peer_down *d = &m->u.down;
	struct wire_reader data;

	if (wire_get_u8(r, &d->reason) < 0) {
		flag(m, BMP_ERR_TRUNCATED);
		return;
	}
	data = *r;
	rest_bytes(&data, &d->data);
	switch (d->reason) {
	case BMP_DOWN_LOCAL_NOTIFICATION:
	case BMP_DOWN_REMOTE_NOTIFICATION:
		if (carve_expect(r, BMP_BGP_NOTIFICATION, &d->notification, m) == 0)
			check_done(r, m);
		break;
	case BMP_DOWN_LOCAL_FSM:
		if (wire_get_u16(r, &d->fsm_event) < 0) {
			flag(m, BMP_ERR_TRUNCATED);
			break;
		}
		d->has_fsm_event = true;
		check_done(r, m);
		break;
	case BMP_DOWN_REMOTE_NO_DATA:
	case BMP_DOWN_DECONFIGURED:
		check_done(r, m);
		break;
	case BMP_DOWN_LOCAL_TLV:
		parse_tlvs(r, &d->tlvs, m, peer_down_hook);
		break;
	default:
		flag(m, BMP_ERR_PEER_DOWN_REASON); /* data keeps the rest */
		break;
	}
}

static void peer_up_hook(const struct bmp_tlv *tlv, struct bmp_msg *m)
{
	if (tlv->type == BMP_PEER_TLV_VRF_TABLE_NAME)
		set_bytes(&m->u.up.vrf_table_name, tlv);
	else if (tlv->type == BMP_PEER_TLV_ADMIN_LABEL)
		set_bytes(&m->u.up.admin_label, tlv);
}

/* RFC 7854 §4.10: local address, ports, sent OPEN, received OPEN, TLVs.
 * Each OPEN is carved by its own BGP length; a missing or broken one is
 * reported in its status and what can still be found is decoded. */
static void parse_peer_up(struct wire_reader *r, struct bmp_msg *m)
{
	struct bmp_peer_up *u = &m->u.up;

	if (wire_copy(r, u->local_addr, sizeof(u->local_addr)) < 0 ||
	    wire_get_u16(r, &u->local_port) < 0 || wire_get_u16(r, &u->remote_port) < 0) {
		flag(m, BMP_ERR_TRUNCATED);
		return;
	}
	if (carve_expect(r, BMP_BGP_OPEN, &u->sent_open, m) < 0)
		return;
	if (carve_expect(r, BMP_BGP_OPEN, &u->recv_open, m) < 0)
		return;
	parse_tlvs(r, &u->tlvs, m, peer_up_hook);
}

static void init_hook(const struct bmp_tlv *tlv, struct bmp_msg *m)
{
	if (tlv->type == BMP_INIT_SYSDESCR)
		set_bytes(&m->u.init.sys_descr, tlv);
	else if (tlv->type == BMP_INIT_SYSNAME)
		set_bytes(&m->u.init.sys_name, tlv);
}

/* RFC 7854 §4.3 */
static void parse_init(struct wire_reader *r, struct bmp_msg *m)
{
	parse_tlvs(r, &m->u.init.tlvs, m, init_hook);
}

static void term_hook(const struct bmp_tlv *tlv, struct bmp_msg *m)
{
	struct bmp_termination *t = &m->u.term;

	if (tlv->type == BMP_TERM_REASON && tlv_u16(tlv, &t->reason, m))
		t->has_reason = true;
}

/* RFC 7854 §4.5 */
static void parse_term(struct wire_reader *r, struct bmp_msg *m)
{
	parse_tlvs(r, &m->u.term.tlvs, m, term_hook);
}

/* A BGP Message TLV holds exactly one PDU, framed by the TLV length. */
static void mirror_bgp(const struct bmp_tlv *tlv, struct bmp_msg *m)
{
	struct bmp_route_mirror *mi = &m->u.mirror;
	struct bmp_bgp_pdu pdu = {0};
	struct wire_reader v;

	wire_init(&v, tlv->value, tlv->len);
	if (carve_bgp(&v, &pdu) != BMP_PDU_OK)
		flag(m, pdu_errors[pdu.status]);
	else
		check_done(&v, m);
	if (mi->n_bgp++ == 0)
		mi->bgp = pdu;
}

static void mirror_hook(const struct bmp_tlv *tlv, struct bmp_msg *m)
{
	struct bmp_route_mirror *mi = &m->u.mirror;

	if (tlv->type == BMP_MIRROR_BGP_MSG)
		mirror_bgp(tlv, m);
	else if (tlv->type == BMP_MIRROR_INFO && tlv_u16(tlv, &mi->info_code, m))
		mi->has_info = true;
}

/* RFC 7854 §4.7 */
static void parse_mirror(struct wire_reader *r, struct bmp_msg *m)
{
	parse_tlvs(r, &m->u.mirror.tlvs, m, mirror_hook);
}

/* ---- dispatch ------------------------------------------------------- */

static const struct msg_def {
	bool has_peer;
	void (*parse)(struct wire_reader *r, struct bmp_msg *m);
} msg_defs[] = {
	[BMP_MSG_ROUTE_MONITORING] = {true, parse_route_mon},
	[BMP_MSG_STATISTICS_REPORT] = {true, parse_stats},
	[BMP_MSG_PEER_DOWN] = {true, parse_peer_down},
	[BMP_MSG_PEER_UP] = {true, parse_peer_up},
	[BMP_MSG_INITIATION] = {false, parse_init},
	[BMP_MSG_TERMINATION] = {false, parse_term},
	[BMP_MSG_ROUTE_MIRRORING] = {true, parse_mirror},
};

static void parse_body(struct wire_reader *body, struct bmp_msg *m)
{
	const struct msg_def *def;

	if (m->type >= sizeof(msg_defs) / sizeof(msg_defs[0])) {
		/* Not a framing error: the length still delimits it. */
		flag(m, BMP_ERR_UNKNOWN_TYPE);
		rest_bytes(body, &m->u.unknown);
		return;
	}
	def = &msg_defs[m->type];
	if (def->has_peer) {
		if (parse_peer_hdr(body, &m->peer) < 0) {
			flag(m, BMP_ERR_PEER_HEADER);
			return;
		}
		m->has_peer = true;
	}
	def->parse(body, m);
}

int bmp_decode(const uint8_t *msg, size_t len, struct bmp_msg *out)
{
	struct wire_reader r, body;
	/* Zeroed: the header, and of the body what its type uses when that is
	 * a Route Monitoring (24 bytes, where the union is 4 KB for the
	 * statistics; this runs once per route at one prefix per message).
	 * The type byte read here only sizes the memset. */
	size_t used = len > 5 && msg[5] == BMP_MSG_ROUTE_MONITORING ? sizeof(out->u.rm)
								      : sizeof(out->u);

	memset(out, 0, offsetof(struct bmp_msg, u) + used);
	wire_init(&r, msg, len);
	if (wire_get_u8(&r, &out->version) < 0) {
		flag(out, BMP_ERR_TRUNCATED);
		goto out;
	}
	if (out->version != BMP_VERSION) {
		flag(out, BMP_ERR_VERSION);
		goto out;
	}
	if (wire_get_u32(&r, &out->length) < 0 || wire_get_u8(&r, &out->type) < 0) {
		flag(out, BMP_ERR_TRUNCATED);
		goto out;
	}
	if (out->length < BMP_COMMON_HDR_LEN) {
		flag(out, BMP_ERR_LENGTH_SHORT);
		goto out;
	}
	if (out->length != len)
		flag(out, BMP_ERR_LENGTH_MISMATCH);
	/* Decode only what the length field covers, and only if it is here. */
	if (wire_sub(&r, out->length - BMP_COMMON_HDR_LEN, &body) == 0)
		parse_body(&body, out);
out:
	return out->errors ? -1 : 0;
}
