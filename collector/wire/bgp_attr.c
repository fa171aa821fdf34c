/* bgp_attr.c — BGP path attributes: the attribute table and its
 * decoders (RFC 4271 §5, RFC 7606), AS paths and the list attribute
 * accessors. See bgp.h for the contract.
 */
#include "bgp_priv.h"

#include <string.h>

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
		bgp_upd_err(u, BGP_ERR_BAD_ORIGIN, BGP_UPDATE_TREAT_AS_WITHDRAW);
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
		bgp_upd_err(u, BGP_ERR_BAD_AS_PATH, BGP_UPDATE_TREAT_AS_WITHDRAW);
		return -1;
	}
	return 0;
}

static int dec_as4_path(struct bgp_update *u, struct wire_reader *v, const struct bgp_decode_ctx *c)
{
	(void)c;
	if (dec_aspath_common(&u->as4_path, v, true) < 0) {
		/* RFC 6793 §6: malformed AS4_PATH is discarded */
		bgp_upd_err(u, BGP_ERR_BAD_AS4_PATH, BGP_UPDATE_ATTR_DISCARD);
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
		bgp_upd_err(u, BGP_ERR_ATTR_LENGTH, BGP_UPDATE_ATTR_DISCARD);
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
		bgp_upd_err(u, BGP_ERR_MP_NEXT_HOP_LENGTH, BGP_UPDATE_SESSION_RESET);
		return -1;
	}
	if (wire_get_u8(v, &reserved) < 0)
		goto length;
	bgp_block_set(&u->mp_reach, v, afi, safi, c);
	u->mp_nexthop.raw = wire_cur(&nh);
	u->mp_nexthop.raw_len = nhlen;
	if (u->mp_reach.decodable && (mp_nexthop(&u->mp_nexthop, &nh) < 0 ||
				      (afi == BGP_AFI_IPV6 && u->mp_nexthop.afi != BGP_AFI_IPV6))) {
		/* RFC 7606 §7.11: next hop length inconsistent with AFI/SAFI */
		bgp_upd_err(u, BGP_ERR_MP_NEXT_HOP_LENGTH, BGP_UPDATE_SESSION_RESET);
		return -1;
	}
	return 0;
length:
	bgp_upd_err(u, BGP_ERR_MP_REACH_LENGTH, BGP_UPDATE_SESSION_RESET);
	return -1;
}

static int dec_mp_unreach(struct bgp_update *u, struct wire_reader *v,
			  const struct bgp_decode_ctx *c)
{
	uint16_t afi;
	uint8_t safi;

	/* AFI(2) SAFI(1) Withdrawn Routes (RFC 4760 §4) */
	if (wire_get_u16(v, &afi) < 0 || wire_get_u8(v, &safi) < 0) {
		bgp_upd_err(u, BGP_ERR_MP_UNREACH_LENGTH, BGP_UPDATE_SESSION_RESET);
		return -1;
	}
	bgp_block_set(&u->mp_unreach, v, afi, safi, c);
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
		bgp_upd_err(u, BGP_ERR_UNRECOGNIZED_WELLKNOWN, BGP_UPDATE_SESSION_RESET);
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
			bgp_upd_err(u, BGP_ERR_DUPLICATE_MP_ATTR, BGP_UPDATE_SESSION_RESET);
		else
			bgp_upd_err(u, BGP_ERR_DUPLICATE_ATTR, BGP_UPDATE_ATTR_DISCARD);
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
		bgp_upd_err(u, BGP_ERR_ATTR_FLAGS,
			is_mp(type) ? BGP_UPDATE_SESSION_RESET : BGP_UPDATE_TREAT_AS_WITHDRAW);
		if (!is_mp(type))
			return;
	}
	if (!length_ok(d, wire_left(v))) {
		bgp_upd_err(u, d->len_reason, d->len_outcome); /* RFC 7606 §7.x */
		return;
	}
	if (d->decode(u, v, ctx) == 0 && flags_ok)
		bit_set(u->present, type);
}

/* RFC 7606 §4: an attribute header or value running past the Total
 * Path Attribute Length is treat-as-withdraw, and the NLRI is still found
 * from that total length. If the broken attribute is MP_REACH/MP_UNREACH
 * its NLRI cannot be located: RFC 7606 §5.3 and §7.11, session reset. */
void bgp_decode_attrs(struct bgp_update *u, struct wire_reader *a,
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
				bgp_upd_err(u, BGP_ERR_ATTR_OVERRUN, BGP_UPDATE_SESSION_RESET);
			goto overrun;
		}
		decode_attr(u, flags, type, &v, ctx);
	}
	return;
overrun:
	bgp_upd_err(u, BGP_ERR_ATTR_OVERRUN, BGP_UPDATE_TREAT_AS_WITHDRAW);
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
