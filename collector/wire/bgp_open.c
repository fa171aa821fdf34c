/* bgp_open.c — BGP OPEN messages with their capabilities (RFC 4271 §4.2,
 * RFC 5492, RFC 9072) and the decoding context two OPENs negotiate. See
 * bgp.h for the contract.
 */
#include "bgp_priv.h"

#include <string.h>

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
	e = bgp_msg_open(msg, len, BGP_MAX_MSG_LEN, BGP_MSG_OPEN, &type, &body);
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
