/* bgp.c — BGP-4 message codec: names, framing, NLRI, UPDATE, NOTIFICATION,
 * KEEPALIVE and ROUTE-REFRESH. OPEN and its capabilities are in
 * bgp_open.c, path attributes in bgp_attr.c. See bgp.h for the contract.
 *
 * Every byte of the message is read through struct wire_reader: each
 * length field is turned into a carved child reader before anything inside
 * it is interpreted, so a lying length can only ever make a carve fail.
 */
#include "bgp_priv.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Names                                                              */

static const char *const error_names[BGP_ERR__COUNT] = {
	[BGP_ERR_NONE] = "none",
	[BGP_ERR_MARKER] = "marker",
	[BGP_ERR_MSG_LENGTH] = "msg_length",
	[BGP_ERR_MSG_TYPE] = "msg_type",
	[BGP_ERR_TRAILING_BYTES] = "trailing_bytes",
	[BGP_ERR_TRUNCATED] = "truncated",
	[BGP_ERR_OPEN_VERSION] = "open_version",
	[BGP_ERR_OPEN_HOLD_TIME] = "open_hold_time",
	[BGP_ERR_OPEN_PARAMS_LENGTH] = "open_params_length",
	[BGP_ERR_OPEN_UNKNOWN_PARAM] = "open_unknown_param",
	[BGP_ERR_CAP_LENGTH] = "cap_length",
	[BGP_ERR_CAP_OVERFLOW] = "cap_overflow",
	[BGP_ERR_WITHDRAWN_LENGTH] = "withdrawn_length",
	[BGP_ERR_ATTRS_LENGTH] = "attrs_length",
	[BGP_ERR_ATTR_OVERRUN] = "attr_overrun",
	[BGP_ERR_ATTR_FLAGS] = "attr_flags",
	[BGP_ERR_ATTR_LENGTH] = "attr_length",
	[BGP_ERR_DUPLICATE_ATTR] = "duplicate_attr",
	[BGP_ERR_DUPLICATE_MP_ATTR] = "duplicate_mp_attr",
	[BGP_ERR_MISSING_MANDATORY] = "missing_mandatory",
	[BGP_ERR_UNRECOGNIZED_WELLKNOWN] = "unrecognized_wellknown",
	[BGP_ERR_BAD_ORIGIN] = "bad_origin",
	[BGP_ERR_BAD_AS_PATH] = "bad_as_path",
	[BGP_ERR_BAD_AS4_PATH] = "bad_as4_path",
	[BGP_ERR_MP_REACH_LENGTH] = "mp_reach_length",
	[BGP_ERR_MP_UNREACH_LENGTH] = "mp_unreach_length",
	[BGP_ERR_MP_NEXT_HOP_LENGTH] = "mp_next_hop_length",
	[BGP_ERR_NLRI_LENGTH] = "nlri_length",
	[BGP_ERR_NLRI_OVERRUN] = "nlri_overrun",
	[BGP_ERR_UNKNOWN_ATTR_OVERFLOW] = "unknown_attr_overflow",
	[BGP_ERR_SHUTDOWN_COMM] = "shutdown_comm",
	[BGP_ERR_ROUTE_REFRESH_LENGTH] = "route_refresh_length",
	[BGP_ERR_ROUTE_REFRESH_SUBTYPE] = "route_refresh_subtype",
};

const char *bgp_error_reason_name(enum bgp_error reason)
{
	if ((unsigned)reason >= BGP_ERR__COUNT || !error_names[reason])
		return "unknown";
	return error_names[reason];
}

const char *bgp_msg_type_name(uint8_t type)
{
	static const char *const names[] = {
		[BGP_MSG_OPEN] = "OPEN",	     [BGP_MSG_UPDATE] = "UPDATE",
		[BGP_MSG_NOTIFICATION] = "NOTIFICATION", [BGP_MSG_KEEPALIVE] = "KEEPALIVE",
		[BGP_MSG_ROUTE_REFRESH] = "ROUTE-REFRESH",
	};

	if (type >= sizeof(names) / sizeof(names[0]) || !names[type])
		return "UNKNOWN";
	return names[type];
}

const char *bgp_update_outcome_name(enum bgp_update_outcome o)
{
	switch (o) {
	case BGP_UPDATE_OK:
		return "ok";
	case BGP_UPDATE_ATTR_DISCARD:
		return "attr_discard";
	case BGP_UPDATE_TREAT_AS_WITHDRAW:
		return "treat_as_withdraw";
	case BGP_UPDATE_SESSION_RESET:
		return "session_reset";
	}
	return "unknown";
}

/* ------------------------------------------------------------------ */
/* Framing (RFC 4271 §4.1, §6.1; RFC 8654 §2)                         */

static size_t type_min_len(uint8_t type)
{
	switch (type) {
	case BGP_MSG_OPEN:
		return 29; /* RFC 4271 §4.2 */
	case BGP_MSG_UPDATE:
		return 23; /* RFC 4271 §4.3 */
	case BGP_MSG_NOTIFICATION:
		return 21; /* RFC 4271 §4.5 */
	case BGP_MSG_KEEPALIVE:
		return 19; /* RFC 4271 §4.4 */
	case BGP_MSG_ROUTE_REFRESH:
		return 23; /* RFC 2918 §3 */
	default:
		return 0;
	}
}

/* RFC 4271 §6.1 "Bad Message Length"/"Bad Message Type". RFC 8654 §2:
 * OPEN and KEEPALIVE stay within 4096 even with extended messages. */
static enum bgp_error check_length(uint8_t type, size_t len, size_t max_len)
{
	size_t min = type_min_len(type);

	if (min == 0)
		return BGP_ERR_MSG_TYPE;
	if (type == BGP_MSG_OPEN || type == BGP_MSG_KEEPALIVE)
		max_len = BGP_MAX_MSG_LEN;
	if (len < min || len > max_len)
		return BGP_ERR_MSG_LENGTH;
	if (type == BGP_MSG_KEEPALIVE && len != BGP_HEADER_LEN)
		return BGP_ERR_MSG_LENGTH;
	return BGP_ERR_NONE;
}

/* Marker, length and type of the header at r; the length is checked
 * against max_len and the type's limits. */
static enum bgp_error read_header(struct wire_reader *r, size_t max_len, uint16_t *msg_len,
				  uint8_t *type)
{
	for (int i = 0; i < BGP_MARKER_LEN; i++) {
		uint8_t b;

		if (wire_get_u8(r, &b) < 0)
			return BGP_ERR_MSG_LENGTH;
		if (b != 0xff)
			return BGP_ERR_MARKER; /* RFC 4271 §6.1 */
	}
	if (wire_get_u16(r, msg_len) < 0 || wire_get_u8(r, type) < 0)
		return BGP_ERR_MSG_LENGTH;
	if (*msg_len < BGP_HEADER_LEN)
		return BGP_ERR_MSG_LENGTH;
	return check_length(*type, *msg_len, max_len);
}

enum bgp_frame_status bgp_frame(const uint8_t *buf, size_t len, bool extended_message,
				size_t *msg_len, enum bgp_error *reason)
{
	struct wire_reader r;
	enum bgp_error e = BGP_ERR_NONE;
	uint16_t mlen;
	uint8_t type;

	*msg_len = 0;
	wire_init(&r, buf, len);
	/* A wrong marker is reported as soon as its bytes arrive. */
	for (size_t i = 0; i < BGP_MARKER_LEN && i < len; i++) {
		uint8_t b;

		if (wire_peek_u8(&r, i, &b) < 0 || b != 0xff) {
			e = BGP_ERR_MARKER;
			goto error;
		}
	}
	if (len < BGP_HEADER_LEN)
		return BGP_FRAME_NEED_MORE;
	e = read_header(&r, extended_message ? BGP_MAX_EXT_MSG_LEN : BGP_MAX_MSG_LEN, &mlen, &type);
	if (e != BGP_ERR_NONE)
		goto error;
	*msg_len = mlen;
	return len < mlen ? BGP_FRAME_NEED_MORE : BGP_FRAME_COMPLETE;
error:
	if (reason)
		*reason = e;
	return BGP_FRAME_ERROR;
}

/* The whole buffer must be one message of the expected type (0: any). */
enum bgp_error bgp_msg_open(const uint8_t *msg, size_t len, size_t max_len, uint8_t want,
			    uint8_t *type, struct wire_reader *body)
{
	struct wire_reader r;
	uint16_t mlen;
	enum bgp_error e;

	wire_init(&r, msg, len);
	e = read_header(&r, max_len, &mlen, type);
	if (e != BGP_ERR_NONE)
		return e;
	if (want && *type != want)
		return BGP_ERR_MSG_TYPE;
	if (mlen > len)
		return BGP_ERR_MSG_LENGTH;
	if (mlen < len)
		return BGP_ERR_TRAILING_BYTES;
	if (wire_sub(&r, wire_left(&r), body) < 0)
		return BGP_ERR_MSG_LENGTH;
	return BGP_ERR_NONE;
}

int bgp_msg_header(const uint8_t *msg, size_t len, uint8_t *type, struct wire_reader *body,
		   enum bgp_error *reason)
{
	enum bgp_error e = bgp_msg_open(msg, len, BGP_MAX_EXT_MSG_LEN, 0, type, body);

	if (reason)
		*reason = e;
	return e == BGP_ERR_NONE ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* NLRI (RFC 4271 §4.3, RFC 4760 §5, RFC 7911 §3)                     */

static bool nlri_decodable(uint16_t afi, uint8_t safi)
{
	return (afi == BGP_AFI_IPV4 || afi == BGP_AFI_IPV6) &&
	       (safi == BGP_SAFI_UNICAST || safi == BGP_SAFI_MULTICAST);
}

/* The block is what is left of r, carved into its own reader. */
void bgp_block_set(struct bgp_nlri_block *b, const struct wire_reader *r, uint16_t afi,
		   uint8_t safi, const struct bgp_decode_ctx *ctx)
{
	wire_init(&b->r, wire_cur(r), wire_left(r));
	b->afi = afi;
	b->safi = safi;
	b->present = true;
	b->add_path = bgp_ctx_addpath(ctx, afi, safi);
	b->decodable = nlri_decodable(afi, safi);
}

int bgp_nlri_iter_init(struct bgp_nlri_iter *it, const struct bgp_nlri_block *b)
{
	memset(it, 0, sizeof(*it));
	if (!b->present || !b->decodable)
		return -1;
	wire_init(&it->r, b->r.data, b->r.size);
	it->afi = b->afi;
	it->safi = b->safi;
	it->add_path = b->add_path;
	return 0;
}

int bgp_nlri_next(struct bgp_nlri_iter *it, struct bgp_prefix *p)
{
	unsigned max = it->afi == BGP_AFI_IPV4 ? 32 : 128;
	size_t nbytes;

	if (wire_done(&it->r))
		return 0;
	p->afi = it->afi;
	p->safi = it->safi;
	p->has_path_id = it->add_path;
	p->path_id = 0;
	if (it->add_path && wire_get_u32(&it->r, &p->path_id) < 0)
		goto overrun;
	if (wire_get_u8(&it->r, &p->len) < 0)
		goto overrun;
	if (p->len > max) {
		it->error = BGP_ERR_NLRI_LENGTH; /* RFC 7606 §5.3 */
		return -1;
	}
	nbytes = ((size_t)p->len + 7) / 8;
	memset(p->addr, 0, sizeof(p->addr));
	if (wire_copy(&it->r, p->addr, nbytes) < 0)
		goto overrun;
	if (p->len % 8) /* RFC 4271 §4.3: trailing bits are irrelevant */
		p->addr[nbytes - 1] &= (uint8_t)(0xff << (8 - p->len % 8));
	return 1;
overrun:
	it->error = BGP_ERR_NLRI_OVERRUN; /* RFC 7606 §5.3 */
	return -1;
}

/* ------------------------------------------------------------------ */
/* UPDATE: outcome bookkeeping                                        */

/* Records a reason and raises the outcome (RFC 7606 §3(h): the most
 * severe approach wins). */
void bgp_upd_err(struct bgp_update *u, enum bgp_error e, enum bgp_update_outcome o)
{
	u->errors |= err_bit(e);
	if (o > u->outcome)
		u->outcome = o;
}

bool bgp_update_has(const struct bgp_update *u, uint8_t type)
{
	return bit_get(u->present, type);
}

/* RFC 7606 §5.3: a prefix length beyond the family's maximum, or a
 * prefix overrunning its field, makes the field syntactically incorrect;
 * treat-as-withdraw needs the prefixes, so session reset (or AFI/SAFI
 * disable for MP attributes, RFC 7606 §7.11/§7.12). */
static void check_block(struct bgp_update *u, const struct bgp_nlri_block *b)
{
	struct bgp_nlri_iter it;
	struct bgp_prefix p;
	int rc;

	if (bgp_nlri_iter_init(&it, b) < 0)
		return;
	while ((rc = bgp_nlri_next(&it, &p)) == 1)
		;
	if (rc < 0)
		bgp_upd_err(u, it.error, BGP_UPDATE_SESSION_RESET);
}

/* RFC 4271 §6.3 / RFC 7606 §3(d): with reachable NLRI, ORIGIN and AS_PATH
 * are mandatory, NEXT_HOP only for the IPv4 NLRI field (RFC 4760 §3 moves
 * it into MP_REACH for other NLRI). Missing ones: treat-as-withdraw. An
 * attribute that was present but malformed already set its own outcome,
 * so only absent ones ("seen" is clear) count as missing. */
static void check_mandatory(struct bgp_update *u)
{
	bool ipv4 = u->nlri.r.size > 0;
	bool mp = u->mp_reach.present && u->mp_reach.r.size > 0;

	if (!ipv4 && !mp)
		return;
	if (!bit_get(u->seen, BGP_ATTR_ORIGIN) || !bit_get(u->seen, BGP_ATTR_AS_PATH) ||
	    (ipv4 && !bit_get(u->seen, BGP_ATTR_NEXT_HOP)))
		bgp_upd_err(u, BGP_ERR_MISSING_MANDATORY, BGP_UPDATE_TREAT_AS_WITHDRAW);
}

int bgp_update_decode(const uint8_t *msg, size_t len, const struct bgp_decode_ctx *ctx,
		      struct bgp_update *u)
{
	struct wire_reader body, wd, attrs;
	enum bgp_error e;
	uint16_t wlen, alen;
	uint8_t type;

	memset(u, 0, sizeof(*u));
	e = bgp_msg_open(msg, len, ctx->extended_message ? BGP_MAX_EXT_MSG_LEN : BGP_MAX_MSG_LEN,
		     BGP_MSG_UPDATE, &type, &body);
	if (e != BGP_ERR_NONE)
		goto reset;
	/* RFC 4271 §6.3: lengths that do not fit the message are "Malformed
	 * Attribute List"; RFC 7606 §4 keeps that a session reset since
	 * nothing after them can be located. */
	e = BGP_ERR_WITHDRAWN_LENGTH;
	if (wire_get_u16(&body, &wlen) < 0 || wire_sub(&body, wlen, &wd) < 0)
		goto reset;
	e = BGP_ERR_ATTRS_LENGTH;
	if (wire_get_u16(&body, &alen) < 0 || wire_sub(&body, alen, &attrs) < 0)
		goto reset;
	bgp_block_set(&u->withdrawn, &wd, BGP_AFI_IPV4, BGP_SAFI_UNICAST, ctx);
	bgp_block_set(&u->nlri, &body, BGP_AFI_IPV4, BGP_SAFI_UNICAST, ctx);
	bgp_decode_attrs(u, &attrs, ctx);
	check_mandatory(u);
	check_block(u, &u->withdrawn);
	check_block(u, &u->nlri);
	check_block(u, &u->mp_reach);
	check_block(u, &u->mp_unreach);
	return 0;
reset:
	memset(u, 0, sizeof(*u));
	bgp_upd_err(u, e, BGP_UPDATE_SESSION_RESET);
	return -1;
}

bool bgp_update_is_eor(const struct bgp_update *u, uint16_t *afi, uint8_t *safi)
{
	if (u->outcome != BGP_UPDATE_OK || u->withdrawn.r.size || u->nlri.r.size)
		return false;
	if (u->n_attrs == 0) {
		*afi = BGP_AFI_IPV4;
		*safi = BGP_SAFI_UNICAST;
		return true;
	}
	if (u->n_attrs == 1 && u->mp_unreach.present && u->mp_unreach.r.size == 0) {
		*afi = u->mp_unreach.afi;
		*safi = u->mp_unreach.safi;
		return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Text                                                               */

int bgp_prefix_format(const struct bgp_prefix *p, char *buf, size_t n)
{
	char addr[INET6_ADDRSTRLEN];
	int family = p->afi == BGP_AFI_IPV4 ? AF_INET : p->afi == BGP_AFI_IPV6 ? AF_INET6 : 0;

	if (n > 0)
		buf[0] = '\0';
	if (!family || !inet_ntop(family, p->addr, addr, sizeof(addr)))
		return -1;
	if (p->has_path_id)
		return snprintf(buf, n, "%s/%u#%u", addr, (unsigned)p->len, (unsigned)p->path_id);
	return snprintf(buf, n, "%s/%u", addr, (unsigned)p->len);
}

/* ------------------------------------------------------------------ */
/* NOTIFICATION (RFC 4271 §4.5, §6; RFC 9003)                         */

static const char *const code_names[] = {
	[1] = "Message Header Error",
	[2] = "OPEN Message Error",
	[3] = "UPDATE Message Error",
	[4] = "Hold Timer Expired",
	[5] = "Finite State Machine Error",
	[6] = "Cease",
	[7] = "ROUTE-REFRESH Message Error",
	[8] = "Send Hold Timer Expired",
};

static const char *const header_subcodes[] = {
	[1] = "Connection Not Synchronized",
	[2] = "Bad Message Length",
	[3] = "Bad Message Type",
};

static const char *const open_subcodes[] = {
	[1] = "Unsupported Version Number",
	[2] = "Bad Peer AS",
	[3] = "Bad BGP Identifier",
	[4] = "Unsupported Optional Parameter",
	[5] = "Authentication Failure",
	[6] = "Unacceptable Hold Time",
	[7] = "Unsupported Capability",
	[11] = "Role Mismatch",
};

static const char *const update_subcodes[] = {
	[1] = "Malformed Attribute List",
	[2] = "Unrecognized Well-known Attribute",
	[3] = "Missing Well-known Attribute",
	[4] = "Attribute Flags Error",
	[5] = "Attribute Length Error",
	[6] = "Invalid ORIGIN Attribute",
	[7] = "AS Routing Loop",
	[8] = "Invalid NEXT_HOP Attribute",
	[9] = "Optional Attribute Error",
	[10] = "Invalid Network Field",
	[11] = "Malformed AS_PATH",
};

static const char *const fsm_subcodes[] = {
	/* RFC 6608 */
	[1] = "Receive Unexpected Message in OpenSent State",
	[2] = "Receive Unexpected Message in OpenConfirm State",
	[3] = "Receive Unexpected Message in Established State",
};

static const char *const cease_subcodes[] = {
	/* RFC 4486, RFC 8203, RFC 8538, RFC 9384 */
	[1] = "Maximum Number of Prefixes Reached",
	[2] = "Administrative Shutdown",
	[3] = "Peer De-configured",
	[4] = "Administrative Reset",
	[5] = "Connection Rejected",
	[6] = "Other Configuration Change",
	[7] = "Connection Collision Resolution",
	[8] = "Out of Resources",
	[9] = "Hard Reset",
	[10] = "BFD Down",
};

static const char *const rr_subcodes[] = {
	[1] = "Invalid Message Length", /* RFC 7313 §5 */
};

struct subcode_table {
	const char *const *names;
	size_t n;
};

#define SUBTABLE(t) {t, sizeof(t) / sizeof(t[0])}

static struct subcode_table subcodes_of(uint8_t code)
{
	static const struct subcode_table tables[] = {
		[1] = SUBTABLE(header_subcodes), [2] = SUBTABLE(open_subcodes),
		[3] = SUBTABLE(update_subcodes), [5] = SUBTABLE(fsm_subcodes),
		[6] = SUBTABLE(cease_subcodes),	 [7] = SUBTABLE(rr_subcodes),
	};

	if (code >= sizeof(tables) / sizeof(tables[0]))
		return (struct subcode_table){NULL, 0};
	return tables[code];
}

const char *bgp_notification_code_name(uint8_t code)
{
	if (code >= sizeof(code_names) / sizeof(code_names[0]) || !code_names[code])
		return "Unknown";
	return code_names[code];
}

const char *bgp_notification_subcode_name(uint8_t code, uint8_t subcode)
{
	struct subcode_table t = subcodes_of(code);

	if (subcode == 0)
		return "Unspecific";
	if (subcode >= t.n || !t.names[subcode])
		return "Unknown";
	return t.names[subcode];
}

const char *bgp_notification_name(uint8_t code, uint8_t subcode)
{
	if (subcodes_of(code).n == 0)
		return bgp_notification_code_name(code);
	return bgp_notification_subcode_name(code, subcode);
}

int bgp_notification_decode(const uint8_t *msg, size_t len, struct bgp_notification *n)
{
	struct wire_reader body, data;
	enum bgp_error e;
	uint8_t type;

	memset(n, 0, sizeof(*n));
	e = bgp_msg_open(msg, len, BGP_MAX_EXT_MSG_LEN, BGP_MSG_NOTIFICATION, &type, &body);
	if (e == BGP_ERR_NONE &&
	    (wire_get_u8(&body, &n->code) < 0 || wire_get_u8(&body, &n->subcode) < 0))
		e = BGP_ERR_TRUNCATED;
	if (e != BGP_ERR_NONE) {
		n->errors |= err_bit(e);
		return -1;
	}
	n->data = wire_cur(&body);
	n->data_len = wire_left(&body);
	/* RFC 9003 §2: Cease/Administrative Shutdown or Reset data is
	 * Length(1) + UTF-8 message. Old speakers send no data. */
	if (n->code == 6 && (n->subcode == 2 || n->subcode == 4) && n->data_len > 0) {
		if (wire_get_u8(&body, &n->shutdown_comm_len) < 0 ||
		    wire_sub(&body, n->shutdown_comm_len, &data) < 0) {
			n->shutdown_comm_len = 0;
			n->errors |= err_bit(BGP_ERR_SHUTDOWN_COMM);
			return 0; /* the NOTIFICATION itself is still good */
		}
		n->has_shutdown_comm = true;
		n->shutdown_comm = wire_cur(&data);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* KEEPALIVE and ROUTE-REFRESH                                        */

int bgp_keepalive_decode(const uint8_t *msg, size_t len, enum bgp_error *reason)
{
	struct wire_reader body;
	uint8_t type;
	enum bgp_error e = bgp_msg_open(msg, len, BGP_MAX_MSG_LEN, BGP_MSG_KEEPALIVE, &type, &body);

	if (reason)
		*reason = e;
	return e == BGP_ERR_NONE ? 0 : -1;
}

int bgp_route_refresh_decode(const uint8_t *msg, size_t len, struct bgp_route_refresh *rr)
{
	struct wire_reader body;
	enum bgp_error e;
	uint8_t type;

	memset(rr, 0, sizeof(*rr));
	e = bgp_msg_open(msg, len, BGP_MAX_EXT_MSG_LEN, BGP_MSG_ROUTE_REFRESH, &type, &body);
	/* RFC 2918 §3: AFI(2) Reserved(1) SAFI(1); RFC 7313 §3 makes the
	 * reserved octet the subtype. */
	if (e == BGP_ERR_NONE &&
	    (wire_get_u16(&body, &rr->afi) < 0 || wire_get_u8(&body, &rr->subtype) < 0 ||
	     wire_get_u8(&body, &rr->safi) < 0))
		e = BGP_ERR_TRUNCATED;
	if (e != BGP_ERR_NONE) {
		rr->errors |= err_bit(e);
		return -1;
	}
	rr->orf = wire_cur(&body);
	rr->orf_len = wire_left(&body);
	/* RFC 7313 §5: BoRR/EoRR must be exactly 23 octets. */
	if ((rr->subtype == BGP_RR_BORR || rr->subtype == BGP_RR_EORR) && rr->orf_len) {
		rr->errors |= err_bit(BGP_ERR_ROUTE_REFRESH_LENGTH);
		return -1;
	}
	/* RFC 7313 §3: other subtypes are ignored by the receiver. */
	if (rr->subtype > BGP_RR_EORR)
		rr->errors |= err_bit(BGP_ERR_ROUTE_REFRESH_SUBTYPE);
	return 0;
}
