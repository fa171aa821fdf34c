/* bgp.c — BGP-4 message codec. See bgp.h for the contract.
 *
 * Every byte of the message is read through struct wire_reader: each
 * length field is turned into a carved child reader before anything inside
 * it is interpreted, so a lying length can only ever make a carve fail.
 */
#include "bgp.h"

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

static inline uint64_t err_bit(enum bgp_error e)
{
	return (uint64_t)1 << (unsigned)e;
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
static enum bgp_error open_msg(const uint8_t *msg, size_t len, size_t max_len, uint8_t want,
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
	enum bgp_error e = open_msg(msg, len, BGP_MAX_EXT_MSG_LEN, 0, type, body);

	if (reason)
		*reason = e;
	return e == BGP_ERR_NONE ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* OPEN (RFC 4271 §4.2, RFC 5492, RFC 9072)                           */

/* Room left in an array of cap entries; counts the overflow. */
static bool open_room(struct bgp_open *o, size_t n, size_t cap)
{
	if (n < cap)
		return true;
	o->overflow++;
	o->errors |= err_bit(BGP_ERR_CAP_OVERFLOW);
	return false;
}

static void cap_opaque(struct bgp_open *o, uint8_t code, struct wire_reader *v)
{
	struct bgp_cap_raw *c;

	if (!open_room(o, o->n_opaque, BGP_OPEN_MAX_OPAQUE))
		return;
	c = &o->opaque[o->n_opaque++];
	c->code = code;
	c->len = (uint8_t)wire_left(v);
	c->data = wire_cur(v);
}

static int cap_mp(struct bgp_open *o, struct wire_reader *v)
{
	uint16_t afi;
	uint8_t res, safi;

	/* RFC 4760 §8: AFI(2) Res(1) SAFI(1) */
	if (wire_left(v) != 4 || wire_get_u16(v, &afi) < 0 || wire_get_u8(v, &res) < 0 ||
	    wire_get_u8(v, &safi) < 0)
		return -1;
	if (open_room(o, o->n_mp, BGP_OPEN_MAX_MP))
		o->mp[o->n_mp++] = (struct bgp_afisafi){afi, safi};
	return 0;
}

static int cap_gr(struct bgp_open *o, struct wire_reader *v)
{
	uint16_t ft;

	/* RFC 4724 §3: Restart Flags(4 bits) Time(12 bits), then 4-byte
	 * AFI(2) SAFI(1) Flags(1) tuples. */
	if (wire_get_u16(v, &ft) < 0 || wire_left(v) % 4 != 0)
		return -1;
	o->has_gr = true;
	o->gr_flags = (uint8_t)(ft >> 12);
	o->gr_time = ft & 0x0fff;
	while (!wire_done(v)) {
		struct bgp_gr_entry g;

		if (wire_get_u16(v, &g.afi) < 0 || wire_get_u8(v, &g.safi) < 0 ||
		    wire_get_u8(v, &g.flags) < 0)
			return -1;
		if (open_room(o, o->n_gr, BGP_OPEN_MAX_GR))
			o->gr[o->n_gr++] = g;
	}
	return 0;
}

static int cap_addpath(struct bgp_open *o, struct wire_reader *v)
{
	/* RFC 7911 §4: AFI(2) SAFI(1) Send/Receive(1), repeated. */
	if (wire_left(v) == 0 || wire_left(v) % 4 != 0)
		return -1;
	while (!wire_done(v)) {
		struct bgp_addpath_entry a;

		if (wire_get_u16(v, &a.afi) < 0 || wire_get_u8(v, &a.safi) < 0 ||
		    wire_get_u8(v, &a.send_receive) < 0)
			return -1;
		if (open_room(o, o->n_addpath, BGP_OPEN_MAX_ADDPATH))
			o->addpath[o->n_addpath++] = a;
	}
	return 0;
}

static int cap_fqdn(struct bgp_open *o, struct wire_reader *v)
{
	/* draft-walton-bgp-hostname-capability §3: len, hostname, len, domain */
	if (wire_get_u8(v, &o->hostname_len) < 0 ||
	    wire_get_bytes(v, o->hostname_len, &o->hostname) < 0 ||
	    wire_get_u8(v, &o->domain_len) < 0 || wire_get_bytes(v, o->domain_len, &o->domain) < 0 ||
	    !wire_done(v)) {
		o->hostname = o->domain = NULL;
		o->hostname_len = o->domain_len = 0;
		return -1;
	}
	o->has_fqdn = true;
	return 0;
}

static void cap_raw(struct bgp_cap_raw *c, bool *has, uint8_t code, struct wire_reader *v)
{
	*has = true;
	c->code = code;
	c->len = (uint8_t)wire_left(v);
	c->data = wire_cur(v);
}

/* A flag-only capability: value must be empty. */
static int cap_flag(bool *flag, struct wire_reader *v)
{
	if (!wire_done(v))
		return -1;
	*flag = true;
	return 0;
}

static int decode_cap(struct bgp_open *o, uint8_t code, struct wire_reader *v)
{
	switch (code) {
	case BGP_CAP_MP:
		return cap_mp(o, v);
	case BGP_CAP_ROUTE_REFRESH:
		return cap_flag(&o->route_refresh, v);
	case BGP_CAP_EXT_NEXT_HOP:
		cap_raw(&o->ext_next_hop, &o->has_ext_next_hop, code, v);
		return 0;
	case BGP_CAP_EXT_MESSAGE:
		return cap_flag(&o->extended_message, v);
	case BGP_CAP_GRACEFUL_RESTART:
		return cap_gr(o, v);
	case BGP_CAP_AS4:
		/* RFC 6793 §3 */
		if (wire_left(v) != 4 || wire_get_u32(v, &o->as4) < 0)
			return -1;
		o->has_as4 = true;
		return 0;
	case BGP_CAP_ADD_PATH:
		return cap_addpath(o, v);
	case BGP_CAP_ENHANCED_RR:
		return cap_flag(&o->enhanced_route_refresh, v);
	case BGP_CAP_LLGR:
		cap_raw(&o->llgr, &o->has_llgr, code, v);
		return 0;
	case BGP_CAP_FQDN:
		return cap_fqdn(o, v);
	default:
		cap_opaque(o, code, v);
		return 0;
	}
}

/* RFC 5492 §4: a capabilities parameter holds one or more
 * Code(1) Length(1) Value triples. */
static void decode_caps(struct bgp_open *o, struct wire_reader *p)
{
	while (!wire_done(p)) {
		struct wire_reader v;
		uint8_t code, len;

		if (wire_get_u8(p, &code) < 0 || wire_get_u8(p, &len) < 0 ||
		    wire_sub(p, len, &v) < 0) {
			o->errors |= err_bit(BGP_ERR_CAP_LENGTH);
			return;
		}
		o->n_caps++;
		if (decode_cap(o, code, &v) < 0)
			o->errors |= err_bit(BGP_ERR_CAP_LENGTH);
	}
}

/* Optional parameters: Type(1) Length(1) in RFC 4271 §4.2, Type(1)
 * Length(2) in the RFC 9072 §2 extended form. */
static void decode_params(struct bgp_open *o, struct wire_reader *params, bool ext)
{
	while (!wire_done(params)) {
		struct wire_reader v;
		uint8_t type = 0, l8 = 0;
		uint16_t len = 0;
		int rc = wire_get_u8(params, &type);

		if (rc == 0 && ext)
			rc = wire_get_u16(params, &len);
		else if (rc == 0 && (rc = wire_get_u8(params, &l8)) == 0)
			len = l8;
		if (rc < 0 || wire_sub(params, len, &v) < 0) {
			o->errors |= err_bit(BGP_ERR_OPEN_PARAMS_LENGTH);
			return;
		}
		if (type == 2)
			decode_caps(o, &v);
		else
			o->errors |= err_bit(BGP_ERR_OPEN_UNKNOWN_PARAM); /* RFC 4271 §6.2 */
	}
}

int bgp_open_decode(const uint8_t *msg, size_t len, struct bgp_open *o)
{
	struct wire_reader body, params;
	enum bgp_error e;
	uint8_t type, plen, ptype;
	uint16_t elen;

	memset(o, 0, sizeof(*o));
	e = open_msg(msg, len, BGP_MAX_MSG_LEN, BGP_MSG_OPEN, &type, &body);
	if (e != BGP_ERR_NONE) {
		o->errors |= err_bit(e);
		return -1;
	}
	if (wire_get_u8(&body, &o->version) < 0 || wire_get_u16(&body, &o->my_as) < 0 ||
	    wire_get_u16(&body, &o->hold_time) < 0 || wire_get_u32(&body, &o->bgp_id) < 0 ||
	    wire_get_u8(&body, &plen) < 0) {
		o->errors |= err_bit(BGP_ERR_TRUNCATED);
		return -1;
	}
	if (o->version != 4)
		o->errors |= err_bit(BGP_ERR_OPEN_VERSION); /* RFC 4271 §6.2 */
	if (o->hold_time == 1 || o->hold_time == 2)
		o->errors |= err_bit(BGP_ERR_OPEN_HOLD_TIME); /* RFC 4271 §6.2 */
	/* RFC 9072 §2: length 255 and a first type of 255 mean the extended
	 * form follows with a 2-octet length. */
	if (plen == 255 && wire_peek_u8(&body, 0, &ptype) == 0 && ptype == 255) {
		o->extended_params = true;
		if (wire_skip(&body, 1) < 0 || wire_get_u16(&body, &elen) < 0 ||
		    wire_sub(&body, elen, &params) < 0) {
			o->errors |= err_bit(BGP_ERR_OPEN_PARAMS_LENGTH);
			return -1;
		}
	} else if (wire_sub(&body, plen, &params) < 0) {
		o->errors |= err_bit(BGP_ERR_OPEN_PARAMS_LENGTH);
		return -1;
	}
	if (!wire_done(&body))
		o->errors |= err_bit(BGP_ERR_TRAILING_BYTES);
	decode_params(o, &params, o->extended_params);
	return o->errors ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Decoding context                                                   */

void bgp_ctx_init(struct bgp_decode_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->as4 = true;
}

void bgp_ctx_set_legacy_as_path(struct bgp_decode_ctx *ctx)
{
	ctx->as4 = false;
}

bool bgp_ctx_addpath(const struct bgp_decode_ctx *ctx, uint16_t afi, uint8_t safi)
{
	for (size_t i = 0; i < ctx->n_addpath && i < BGP_CTX_MAX_ADDPATH; i++)
		if (ctx->addpath[i].afi == afi && ctx->addpath[i].safi == safi)
			return true;
	return false;
}

/* The send/receive value an OPEN advertises for afi/safi (0: none). */
static uint8_t addpath_mode(const struct bgp_open *o, uint16_t afi, uint8_t safi)
{
	for (size_t i = 0; i < o->n_addpath && i < BGP_OPEN_MAX_ADDPATH; i++)
		if (o->addpath[i].afi == afi && o->addpath[i].safi == safi)
			return o->addpath[i].send_receive;
	return 0;
}

void bgp_negotiate(const struct bgp_open *local, const struct bgp_open *peer,
		   struct bgp_decode_ctx *out)
{
	bgp_ctx_init(out);
	if (!local || !peer)
		return;
	/* RFC 6793 §4: 4-octet AS_PATH only when both sides advertised it. */
	out->as4 = local->has_as4 && peer->has_as4;
	/* RFC 8654 §3: extended messages once both advertised the capability. */
	out->extended_message = local->extended_message && peer->extended_message;
	/* RFC 7911 §5: the peer sends path ids for an AFI/SAFI when it said it
	 * can send (2 or 3) and we said we can receive (1 or 3). */
	for (size_t i = 0; i < peer->n_addpath && i < BGP_OPEN_MAX_ADDPATH; i++) {
		const struct bgp_addpath_entry *a = &peer->addpath[i];

		if (!(a->send_receive & 2) || !(addpath_mode(local, a->afi, a->safi) & 1))
			continue;
		if (bgp_ctx_addpath(out, a->afi, a->safi) || out->n_addpath >= BGP_CTX_MAX_ADDPATH)
			continue;
		out->addpath[out->n_addpath++] = (struct bgp_afisafi){a->afi, a->safi};
	}
}

/* ------------------------------------------------------------------ */
/* NLRI (RFC 4271 §4.3, RFC 4760 §5, RFC 7911 §3)                     */

static bool nlri_decodable(uint16_t afi, uint8_t safi)
{
	return (afi == BGP_AFI_IPV4 || afi == BGP_AFI_IPV6) &&
	       (safi == BGP_SAFI_UNICAST || safi == BGP_SAFI_MULTICAST);
}

/* The block is what is left of r, carved into its own reader. */
static void block_set(struct bgp_nlri_block *b, const struct wire_reader *r, uint16_t afi,
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
static void upd_err(struct bgp_update *u, enum bgp_error e, enum bgp_update_outcome o)
{
	u->errors |= err_bit(e);
	if (o > u->outcome)
		u->outcome = o;
}

static bool bit_get(const uint8_t *set, uint8_t type)
{
	return (set[type >> 3] >> (type & 7)) & 1u;
}

static void bit_set(uint8_t *set, uint8_t type)
{
	set[type >> 3] = (uint8_t)(set[type >> 3] | (1u << (type & 7)));
}

bool bgp_update_has(const struct bgp_update *u, uint8_t type)
{
	return bit_get(u->present, type);
}

/* ------------------------------------------------------------------ */
/* AS paths (RFC 4271 §4.3, RFC 6793, RFC 7606 §7.2)                  */

void bgp_aspath_iter_init(struct bgp_aspath_iter *it, const struct bgp_aspath *p)
{
	wire_init(&it->r, p->data, p->data ? p->len : 0);
	it->as4 = p->as4;
}

int bgp_aspath_next(struct bgp_aspath_iter *it, struct bgp_as_segment *seg)
{
	size_t width = it->as4 ? 4 : 2;

	if (wire_done(&it->r))
		return 0;
	/* RFC 7606 §7.2: a lone octet, a zero-length or unknown segment, or
	 * one overrunning the attribute makes the path malformed. */
	if (wire_get_u8(&it->r, &seg->type) < 0 || wire_get_u8(&it->r, &seg->count) < 0)
		return -1;
	if (seg->type < BGP_AS_SET || seg->type > BGP_AS_CONFED_SET || seg->count == 0)
		return -1;
	if (wire_sub(&it->r, (size_t)seg->count * width, &seg->asns) < 0)
		return -1;
	seg->as4 = it->as4;
	return 1;
}

int bgp_as_segment_next(struct bgp_as_segment *seg, uint32_t *asn)
{
	uint16_t a16;

	if (wire_done(&seg->asns))
		return 0;
	if (seg->as4)
		return wire_get_u32(&seg->asns, asn) < 0 ? -1 : 1;
	if (wire_get_u16(&seg->asns, &a16) < 0)
		return -1;
	*asn = a16;
	return 1;
}

/* Walks a whole path; 0 if well-formed. *count gets the RFC 6793 §4.2.3
 * count: an AS_SET counts 1, confederation segments 0. */
static int aspath_check(const struct bgp_aspath *p, size_t *count)
{
	struct bgp_aspath_iter it;
	struct bgp_as_segment seg;
	int rc;

	*count = 0;
	bgp_aspath_iter_init(&it, p);
	while ((rc = bgp_aspath_next(&it, &seg)) == 1) {
		if (seg.type == BGP_AS_SEQUENCE)
			*count += seg.count;
		else if (seg.type == BGP_AS_SET)
			*count += 1;
	}
	return rc;
}

/* Appends one hop, counting those past the cap. */
static void hop_put(struct bgp_as_hop *out, size_t cap, size_t *n, uint32_t asn, uint8_t type)
{
	if (*n < cap)
		out[*n] = (struct bgp_as_hop){asn, type};
	(*n)++;
}

/* Copies segments of p into out. skip_confed drops confederation
 * segments (RFC 6793 §6 for AS4_PATH); quota, when not NULL, limits the
 * non-confed ASNs taken (an AS_SET is one) and is decremented. */
static void hops_copy(const struct bgp_aspath *p, bool skip_confed, size_t *quota,
		      struct bgp_as_hop *out, size_t cap, size_t *n)
{
	struct bgp_aspath_iter it;
	struct bgp_as_segment seg;
	uint32_t asn;

	bgp_aspath_iter_init(&it, p);
	while (bgp_aspath_next(&it, &seg) == 1) {
		bool confed = seg.type == BGP_AS_CONFED_SEQUENCE || seg.type == BGP_AS_CONFED_SET;

		if (confed && skip_confed)
			continue;
		if (!confed && quota && *quota == 0)
			return;
		if (!confed && quota && seg.type == BGP_AS_SET)
			(*quota)--;
		while (bgp_as_segment_next(&seg, &asn) == 1) {
			if (!confed && quota && seg.type == BGP_AS_SEQUENCE) {
				if (*quota == 0)
					return;
				(*quota)--;
			}
			hop_put(out, cap, n, asn, seg.type);
		}
	}
}

int bgp_aspath_effective(const struct bgp_update *u, struct bgp_as_hop *out, size_t cap,
			 size_t *n)
{
	size_t n2, n4, take;

	*n = 0;
	if (!bgp_update_has(u, BGP_ATTR_AS_PATH) || aspath_check(&u->as_path, &n2) < 0)
		return -1;
	/* RFC 6793 §4.2.3: AS4_PATH only matters on a 2-octet session; it is
	 * ignored when an AGGREGATOR with an AS other than AS_TRANS is
	 * present, and when it is longer than AS_PATH. */
	if (u->as_path.as4 || !bgp_update_has(u, BGP_ATTR_AS4_PATH) ||
	    aspath_check(&u->as4_path, &n4) < 0 ||
	    (bgp_update_has(u, BGP_ATTR_AGGREGATOR) && u->aggregator.asn != BGP_AS_TRANS) ||
	    n2 < n4) {
		hops_copy(&u->as_path, false, NULL, out, cap, n);
		return 0;
	}
	/* The leading n2 - n4 ASes of AS_PATH, then AS4_PATH. */
	take = n2 - n4;
	hops_copy(&u->as_path, false, &take, out, cap, n);
	hops_copy(&u->as4_path, true, NULL, out, cap, n);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Path attribute decoders. Each sees exactly its value bytes; the     */
/* table below has already checked flags and fixed lengths.           */

typedef int (*attr_decode_fn)(struct bgp_update *u, struct wire_reader *v,
			      const struct bgp_decode_ctx *ctx);

static int dec_origin(struct bgp_update *u, struct wire_reader *v, const struct bgp_decode_ctx *c)
{
	(void)c;
	if (wire_get_u8(v, &u->origin) < 0)
		return -1;
	if (u->origin > 2) {
		/* RFC 7606 §7.1: undefined ORIGIN value, treat-as-withdraw */
		upd_err(u, BGP_ERR_BAD_ORIGIN, BGP_UPDATE_TREAT_AS_WITHDRAW);
		return -1;
	}
	return 0;
}

static int dec_aspath_common(struct bgp_aspath *p, struct wire_reader *v, bool as4)
{
	size_t count;

	p->data = wire_cur(v);
	p->len = (uint16_t)wire_left(v);
	p->as4 = as4;
	return aspath_check(p, &count);
}

static int dec_as_path(struct bgp_update *u, struct wire_reader *v, const struct bgp_decode_ctx *c)
{
	if (dec_aspath_common(&u->as_path, v, c->as4) < 0) {
		/* RFC 7606 §7.2: malformed AS_PATH, treat-as-withdraw */
		upd_err(u, BGP_ERR_BAD_AS_PATH, BGP_UPDATE_TREAT_AS_WITHDRAW);
		return -1;
	}
	return 0;
}

static int dec_as4_path(struct bgp_update *u, struct wire_reader *v, const struct bgp_decode_ctx *c)
{
	(void)c;
	if (dec_aspath_common(&u->as4_path, v, true) < 0) {
		/* RFC 6793 §6: malformed AS4_PATH is discarded */
		upd_err(u, BGP_ERR_BAD_AS4_PATH, BGP_UPDATE_ATTR_DISCARD);
		return -1;
	}
	return 0;
}

static int dec_next_hop(struct bgp_update *u, struct wire_reader *v,
			const struct bgp_decode_ctx *c)
{
	(void)c;
	return wire_copy(v, u->next_hop, 4);
}

static int dec_med(struct bgp_update *u, struct wire_reader *v, const struct bgp_decode_ctx *c)
{
	(void)c;
	return wire_get_u32(v, &u->med);
}

static int dec_local_pref(struct bgp_update *u, struct wire_reader *v,
			  const struct bgp_decode_ctx *c)
{
	(void)c;
	return wire_get_u32(v, &u->local_pref);
}

static int dec_atomic(struct bgp_update *u, struct wire_reader *v, const struct bgp_decode_ctx *c)
{
	(void)u, (void)v, (void)c;
	return 0;
}

static int dec_asn_addr(struct bgp_asn_addr *a, struct wire_reader *v, bool as4)
{
	uint16_t a16;

	if (as4) {
		if (wire_get_u32(v, &a->asn) < 0)
			return -1;
	} else {
		if (wire_get_u16(v, &a16) < 0)
			return -1;
		a->asn = a16;
	}
	return wire_copy(v, a->addr, 4);
}

static int dec_aggregator(struct bgp_update *u, struct wire_reader *v,
			  const struct bgp_decode_ctx *c)
{
	/* RFC 7606 §7.7: 6 octets on a 2-octet session, 8 on a 4-octet
	 * one; anything else is discarded. */
	if (wire_left(v) != (c->as4 ? 8u : 6u)) {
		upd_err(u, BGP_ERR_ATTR_LENGTH, BGP_UPDATE_ATTR_DISCARD);
		return -1;
	}
	return dec_asn_addr(&u->aggregator, v, c->as4);
}

static int dec_as4_aggregator(struct bgp_update *u, struct wire_reader *v,
			      const struct bgp_decode_ctx *c)
{
	(void)c;
	return dec_asn_addr(&u->as4_aggregator, v, true);
}

static void list_set(struct bgp_list *l, struct wire_reader *v, size_t size)
{
	l->data = wire_cur(v);
	l->len = (uint16_t)wire_left(v);
	l->count = (uint16_t)(wire_left(v) / size);
}

static int dec_communities(struct bgp_update *u, struct wire_reader *v,
			   const struct bgp_decode_ctx *c)
{
	(void)c;
	list_set(&u->communities, v, 4);
	return 0;
}

static int dec_originator(struct bgp_update *u, struct wire_reader *v,
			  const struct bgp_decode_ctx *c)
{
	(void)c;
	return wire_get_u32(v, &u->originator_id);
}

static int dec_cluster_list(struct bgp_update *u, struct wire_reader *v,
			    const struct bgp_decode_ctx *c)
{
	(void)c;
	list_set(&u->cluster_list, v, 4);
	return 0;
}

static int dec_ext_communities(struct bgp_update *u, struct wire_reader *v,
			       const struct bgp_decode_ctx *c)
{
	(void)c;
	list_set(&u->ext_communities, v, 8);
	return 0;
}

static int dec_large_communities(struct bgp_update *u, struct wire_reader *v,
				 const struct bgp_decode_ctx *c)
{
	(void)c;
	list_set(&u->large_communities, v, 12);
	return 0;
}

/* Next hop of MP_REACH_NLRI for unicast/multicast: RFC 4760 §3 (4 for
 * IPv4), RFC 2545 §3 (16 or 32 for IPv6), RFC 8950 §3 (16 or 32 for IPv4
 * NLRI over IPv6). */
static int mp_nexthop(struct bgp_nexthop *nh, struct wire_reader *v)
{
	nh->raw = wire_cur(v);
	nh->raw_len = (uint8_t)wire_left(v);
	switch (wire_left(v)) {
	case 4:
		nh->afi = BGP_AFI_IPV4;
		return wire_copy(v, nh->addr, 4);
	case 16:
		nh->afi = BGP_AFI_IPV6;
		return wire_copy(v, nh->addr, 16);
	case 32:
		nh->afi = BGP_AFI_IPV6;
		nh->has_link_local = true;
		if (wire_copy(v, nh->addr, 16) < 0)
			return -1;
		return wire_copy(v, nh->link_local, 16);
	default:
		return -1;
	}
}

static int dec_mp_reach(struct bgp_update *u, struct wire_reader *v,
			const struct bgp_decode_ctx *c)
{
	struct wire_reader nh;
	uint16_t afi;
	uint8_t safi, nhlen, reserved;

	/* AFI(2) SAFI(1) NH len(1) NH Reserved(1) NLRI (RFC 4760 §3). The
	 * table guarantees 5 octets; a next hop overrunning the attribute
	 * hides the NLRI: RFC 7606 §7.11, session reset (or AFI/SAFI
	 * disable). */
	if (wire_get_u16(v, &afi) < 0 || wire_get_u8(v, &safi) < 0 || wire_get_u8(v, &nhlen) < 0)
		goto length;
	if (wire_sub(v, nhlen, &nh) < 0) {
		upd_err(u, BGP_ERR_MP_NEXT_HOP_LENGTH, BGP_UPDATE_SESSION_RESET);
		return -1;
	}
	if (wire_get_u8(v, &reserved) < 0)
		goto length;
	block_set(&u->mp_reach, v, afi, safi, c);
	u->mp_nexthop.raw = wire_cur(&nh);
	u->mp_nexthop.raw_len = nhlen;
	if (u->mp_reach.decodable && (mp_nexthop(&u->mp_nexthop, &nh) < 0 ||
				      (afi == BGP_AFI_IPV6 && u->mp_nexthop.afi != BGP_AFI_IPV6))) {
		/* RFC 7606 §7.11: next hop length inconsistent with AFI/SAFI */
		upd_err(u, BGP_ERR_MP_NEXT_HOP_LENGTH, BGP_UPDATE_SESSION_RESET);
		return -1;
	}
	return 0;
length:
	upd_err(u, BGP_ERR_MP_REACH_LENGTH, BGP_UPDATE_SESSION_RESET);
	return -1;
}

static int dec_mp_unreach(struct bgp_update *u, struct wire_reader *v,
			  const struct bgp_decode_ctx *c)
{
	uint16_t afi;
	uint8_t safi;

	/* AFI(2) SAFI(1) Withdrawn Routes (RFC 4760 §4) */
	if (wire_get_u16(v, &afi) < 0 || wire_get_u8(v, &safi) < 0) {
		upd_err(u, BGP_ERR_MP_UNREACH_LENGTH, BGP_UPDATE_SESSION_RESET);
		return -1;
	}
	block_set(&u->mp_unreach, v, afi, safi, c);
	return 0;
}

struct attr_desc {
	const char *name;
	uint8_t flags;	     /* expected OPTIONAL|TRANSITIVE bits */
	uint16_t min_len, max_len;
	uint8_t multiple;    /* length must be a multiple of this (0: any) */
	enum bgp_error len_reason;
	enum bgp_update_outcome len_outcome; /* for a length error */
	attr_decode_fn decode;
};

#define WK BGP_ATTR_FLAG_TRANSITIVE /* well-known */
#define OPT_T (BGP_ATTR_FLAG_OPTIONAL | BGP_ATTR_FLAG_TRANSITIVE)
#define OPT_NT BGP_ATTR_FLAG_OPTIONAL
#define TAW BGP_UPDATE_TREAT_AS_WITHDRAW
#define DISCARD BGP_UPDATE_ATTR_DISCARD
#define RESET BGP_UPDATE_SESSION_RESET

/* Flags per RFC 4271 §5, RFC 1997, RFC 4456, RFC 4760, RFC 4360,
 * RFC 6793, RFC 8092. Length errors per RFC 7606 §7.x, RFC 6793 §6 and
 * RFC 8092 §6 ("non-zero multiple" lists have min_len = multiple). */
static const struct attr_desc attr_table[256] = {
	[BGP_ATTR_ORIGIN] = {"ORIGIN", WK, 1, 1, 0, BGP_ERR_ATTR_LENGTH, TAW, dec_origin},
	[BGP_ATTR_AS_PATH] = {"AS_PATH", WK, 0, 65535, 0, BGP_ERR_BAD_AS_PATH, TAW, dec_as_path},
	[BGP_ATTR_NEXT_HOP] = {"NEXT_HOP", WK, 4, 4, 0, BGP_ERR_ATTR_LENGTH, TAW, dec_next_hop},
	[BGP_ATTR_MED] = {"MULTI_EXIT_DISC", OPT_NT, 4, 4, 0, BGP_ERR_ATTR_LENGTH, TAW, dec_med},
	[BGP_ATTR_LOCAL_PREF] = {"LOCAL_PREF", WK, 4, 4, 0, BGP_ERR_ATTR_LENGTH, TAW,
				 dec_local_pref},
	[BGP_ATTR_ATOMIC_AGGREGATE] = {"ATOMIC_AGGREGATE", WK, 0, 0, 0, BGP_ERR_ATTR_LENGTH,
				       DISCARD, dec_atomic},
	[BGP_ATTR_AGGREGATOR] = {"AGGREGATOR", OPT_T, 6, 8, 0, BGP_ERR_ATTR_LENGTH, DISCARD,
				 dec_aggregator},
	[BGP_ATTR_COMMUNITIES] = {"COMMUNITIES", OPT_T, 4, 65535, 4, BGP_ERR_ATTR_LENGTH, TAW,
				  dec_communities},
	[BGP_ATTR_ORIGINATOR_ID] = {"ORIGINATOR_ID", OPT_NT, 4, 4, 0, BGP_ERR_ATTR_LENGTH, TAW,
				    dec_originator},
	[BGP_ATTR_CLUSTER_LIST] = {"CLUSTER_LIST", OPT_NT, 4, 65535, 4, BGP_ERR_ATTR_LENGTH, TAW,
				   dec_cluster_list},
	[BGP_ATTR_MP_REACH_NLRI] = {"MP_REACH_NLRI", OPT_NT, 5, 65535, 0, BGP_ERR_MP_REACH_LENGTH,
				    RESET, dec_mp_reach},
	[BGP_ATTR_MP_UNREACH_NLRI] = {"MP_UNREACH_NLRI", OPT_NT, 3, 65535, 0,
				      BGP_ERR_MP_UNREACH_LENGTH, RESET, dec_mp_unreach},
	[BGP_ATTR_EXT_COMMUNITIES] = {"EXTENDED_COMMUNITIES", OPT_T, 8, 65535, 8,
				      BGP_ERR_ATTR_LENGTH, TAW, dec_ext_communities},
	[BGP_ATTR_AS4_PATH] = {"AS4_PATH", OPT_T, 0, 65535, 0, BGP_ERR_BAD_AS4_PATH, DISCARD,
			       dec_as4_path},
	[BGP_ATTR_AS4_AGGREGATOR] = {"AS4_AGGREGATOR", OPT_T, 8, 8, 0, BGP_ERR_ATTR_LENGTH,
				     DISCARD, dec_as4_aggregator},
	[BGP_ATTR_LARGE_COMMUNITY] = {"LARGE_COMMUNITY", OPT_T, 12, 65535, 12, BGP_ERR_ATTR_LENGTH,
				      TAW, dec_large_communities},
};

const char *bgp_attr_name(uint8_t type)
{
	return attr_table[type].name;
}

static bool is_mp(uint8_t type)
{
	return type == BGP_ATTR_MP_REACH_NLRI || type == BGP_ATTR_MP_UNREACH_NLRI;
}

static void keep_unknown(struct bgp_update *u, uint8_t flags, uint8_t type,
			 const struct wire_reader *v)
{
	if (!(flags & BGP_ATTR_FLAG_OPTIONAL)) {
		/* RFC 4271 §6.3 "Unrecognized Well-known Attribute"; RFC 7606
		 * does not revise it. */
		upd_err(u, BGP_ERR_UNRECOGNIZED_WELLKNOWN, BGP_UPDATE_SESSION_RESET);
	}
	if (u->n_unknown >= BGP_UPDATE_MAX_UNKNOWN) {
		u->unknown_overflow++;
		u->errors |= err_bit(BGP_ERR_UNKNOWN_ATTR_OVERFLOW);
		return;
	}
	u->unknown[u->n_unknown++] = (struct bgp_attr_raw){
		.flags = flags, .type = type, .len = (uint16_t)wire_left(v), .data = wire_cur(v)};
	bit_set(u->present, type);
}

static bool length_ok(const struct attr_desc *d, size_t len)
{
	return len >= d->min_len && len <= d->max_len && (!d->multiple || len % d->multiple == 0);
}

static void decode_attr(struct bgp_update *u, uint8_t flags, uint8_t type, struct wire_reader *v,
			const struct bgp_decode_ctx *ctx)
{
	const struct attr_desc *d = &attr_table[type];
	bool flags_ok;

	if (bit_get(u->seen, type)) {
		/* RFC 7606 §3(g): a repeated MP_REACH/MP_UNREACH is "Malformed
		 * Attribute List" (session reset); other repeats are dropped. */
		if (is_mp(type))
			upd_err(u, BGP_ERR_DUPLICATE_MP_ATTR, BGP_UPDATE_SESSION_RESET);
		else
			upd_err(u, BGP_ERR_DUPLICATE_ATTR, BGP_UPDATE_ATTR_DISCARD);
		return;
	}
	bit_set(u->seen, type);
	if (!d->name) {
		keep_unknown(u, flags, type, v);
		return;
	}
	/* RFC 7606 §3(c): Optional or Transitive bit in conflict with the
	 * attribute's definition: malformed, treat-as-withdraw. For
	 * MP_REACH/MP_UNREACH, RFC 7606 §5.3 counts wrong flags as an
	 * incorrect attribute: AFI/SAFI disable or session reset; they are
	 * still decoded so the caller knows which AFI/SAFI. */
	flags_ok = (flags & (BGP_ATTR_FLAG_OPTIONAL | BGP_ATTR_FLAG_TRANSITIVE)) == d->flags;
	if (!flags_ok) {
		upd_err(u, BGP_ERR_ATTR_FLAGS,
			is_mp(type) ? BGP_UPDATE_SESSION_RESET : BGP_UPDATE_TREAT_AS_WITHDRAW);
		if (!is_mp(type))
			return;
	}
	if (!length_ok(d, wire_left(v))) {
		upd_err(u, d->len_reason, d->len_outcome); /* RFC 7606 §7.x */
		return;
	}
	if (d->decode(u, v, ctx) == 0 && flags_ok)
		bit_set(u->present, type);
}

/* RFC 7606 §4: an attribute header or value running past the Total
 * Path Attribute Length is treat-as-withdraw, and the NLRI is still found
 * from that total length. If the broken attribute is MP_REACH/MP_UNREACH
 * its NLRI cannot be located: RFC 7606 §5.3 and §7.11, session reset. */
static void decode_attrs(struct bgp_update *u, struct wire_reader *a,
			 const struct bgp_decode_ctx *ctx)
{
	while (!wire_done(a)) {
		struct wire_reader v;
		uint8_t flags, type, l8 = 0;
		uint16_t len = 0;
		int rc;

		if (wire_get_u8(a, &flags) < 0 || wire_get_u8(a, &type) < 0)
			goto overrun;
		u->n_attrs++;
		if (flags & BGP_ATTR_FLAG_EXTENDED) {
			rc = wire_get_u16(a, &len);
		} else {
			rc = wire_get_u8(a, &l8);
			len = l8;
		}
		if (rc < 0 || wire_sub(a, len, &v) < 0) {
			if (is_mp(type))
				upd_err(u, BGP_ERR_ATTR_OVERRUN, BGP_UPDATE_SESSION_RESET);
			goto overrun;
		}
		decode_attr(u, flags, type, &v, ctx);
	}
	return;
overrun:
	upd_err(u, BGP_ERR_ATTR_OVERRUN, BGP_UPDATE_TREAT_AS_WITHDRAW);
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
		upd_err(u, it.error, BGP_UPDATE_SESSION_RESET);
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
		upd_err(u, BGP_ERR_MISSING_MANDATORY, BGP_UPDATE_TREAT_AS_WITHDRAW);
}

int bgp_update_decode(const uint8_t *msg, size_t len, const struct bgp_decode_ctx *ctx,
		      struct bgp_update *u)
{
	struct wire_reader body, wd, attrs;
	enum bgp_error e;
	uint16_t wlen, alen;
	uint8_t type;

	memset(u, 0, sizeof(*u));
	e = open_msg(msg, len, ctx->extended_message ? BGP_MAX_EXT_MSG_LEN : BGP_MAX_MSG_LEN,
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
	block_set(&u->withdrawn, &wd, BGP_AFI_IPV4, BGP_SAFI_UNICAST, ctx);
	block_set(&u->nlri, &body, BGP_AFI_IPV4, BGP_SAFI_UNICAST, ctx);
	decode_attrs(u, &attrs, ctx);
	check_mandatory(u);
	check_block(u, &u->withdrawn);
	check_block(u, &u->nlri);
	check_block(u, &u->mp_reach);
	check_block(u, &u->mp_unreach);
	return 0;
reset:
	memset(u, 0, sizeof(*u));
	upd_err(u, e, BGP_UPDATE_SESSION_RESET);
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
/* List attribute accessors                                           */

static int list_at(const struct bgp_list *l, size_t i, size_t size, struct wire_reader *r)
{
	if (!l->data || i >= l->count)
		return -1;
	wire_init(r, l->data, l->len);
	return wire_skip(r, i * size);
}

int bgp_community_get(const struct bgp_list *l, size_t i, uint32_t *out)
{
	struct wire_reader r;

	if (list_at(l, i, 4, &r) < 0)
		return -1;
	return wire_get_u32(&r, out);
}

int bgp_ext_community_get(const struct bgp_list *l, size_t i, uint64_t *out)
{
	struct wire_reader r;

	if (list_at(l, i, 8, &r) < 0)
		return -1;
	return wire_get_u64(&r, out);
}

int bgp_large_community_get(const struct bgp_list *l, size_t i, struct bgp_large_community *out)
{
	struct wire_reader r;

	if (list_at(l, i, 12, &r) < 0 || wire_get_u32(&r, &out->global_admin) < 0 ||
	    wire_get_u32(&r, &out->local1) < 0 || wire_get_u32(&r, &out->local2) < 0)
		return -1;
	return 0;
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
	e = open_msg(msg, len, BGP_MAX_EXT_MSG_LEN, BGP_MSG_NOTIFICATION, &type, &body);
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
	enum bgp_error e = open_msg(msg, len, BGP_MAX_MSG_LEN, BGP_MSG_KEEPALIVE, &type, &body);

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
	e = open_msg(msg, len, BGP_MAX_EXT_MSG_LEN, BGP_MSG_ROUTE_REFRESH, &type, &body);
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
