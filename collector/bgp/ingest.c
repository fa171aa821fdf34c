/* ingest.c — BGP UPDATEs into a route store (the sink). See ingest.h. */
#include "ingest.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "attr_cache.h"

/* Attribute sets are interned by a canonical encoding of the decoded
 * attributes (type, 16-bit length, value; in type order), so the same
 * attributes in another wire order still share one set. */
#define ATTR_KEY_MAX (BGP_MAX_EXT_MSG_LEN + 64)

/* While a batch is open: route changes queued before they are applied
 * (enough to overlap the table misses of a feed's 16 messages, or of the
 * prefixes of a packed UPDATE), and references given back after them. */
#define BATCH_ROUTES 32u
#define BATCH_UNREFS 32u

/* A route change waiting in the batch: the arguments of the sink's route(). */
struct route_op {
	void *peer;
	struct rib_prefix p;
	rib_attr_id attrs; /* 0: withdraw */
	uint8_t view, af;  /* enum bgp_ingest_view, enum bgp_ingest_af */
	bool count;
};

struct bgp_ingest {
	struct bgp_rib_sink sink;
	struct bgp_attr_cache cache; /* raw attribute bytes -> interned set */
	bool batching;               /* between batch_begin and batch_end */
	size_t nops, nunrefs;
	struct route_op ops[BATCH_ROUTES];
	rib_attr_id unrefs[BATCH_UNREFS]; /* references held until ops[] are applied */
	uint8_t key[ATTR_KEY_MAX];   /* attribute-set key scratch */
};

static const char unsupported_afi_safi[] = "afi_safi_not_decoded";
static const char rib_full[] = "rib_full";

/* ---- the batch ---- */

/* Applies the queued route changes in order (the sink was asked to start
 * loading what each touches when it was queued), then gives back the
 * references that kept their attribute sets alive meanwhile. */
void bgp_ingest_flush(struct bgp_ingest *in)
{
	const struct bgp_rib_sink_ops *ops = in->sink.ops;

	for (size_t i = 0; i < in->nops; i++) {
		const struct route_op *o = &in->ops[i];

		/* refused: our limit, counted on the view's peer */
		if (ops->route(in->sink.ctx, o->peer, o->view, o->af, &o->p, o->attrs, o->count) ==
		    RIB_FULL)
			ops->count_error(in->sink.ctx, o->peer, rib_full);
	}
	in->nops = 0;
	for (size_t i = 0; i < in->nunrefs; i++)
		ops->attrs_unref(in->sink.ctx, in->unrefs[i]);
	in->nunrefs = 0;
}

void bgp_ingest_batch_begin(struct bgp_ingest *in)
{
	in->batching = true;
}

void bgp_ingest_batch_end(struct bgp_ingest *in)
{
	bgp_ingest_flush(in);
	in->batching = false;
}

/* A route change: applied now, or queued while a batch is open, with a
 * prefetch of what it touches, so that the decoding of the messages after
 * it hides the miss. */
static void route(struct bgp_ingest *in, void *p, enum bgp_ingest_view view, enum bgp_ingest_af af,
		  const struct rib_prefix *rp, rib_attr_id attrs, bool count)
{
	const struct bgp_rib_sink_ops *ops = in->sink.ops;

	if (!in->batching) {
		if (ops->route(in->sink.ctx, p, view, af, rp, attrs, count) == RIB_FULL)
			ops->count_error(in->sink.ctx, p, rib_full);
		return;
	}
	if (in->nops == BATCH_ROUTES)
		bgp_ingest_flush(in);
	in->ops[in->nops++] = (struct route_op){p, *rp, attrs, (uint8_t)view, (uint8_t)af, count};
	if (ops->prefetch != NULL)
		ops->prefetch(in->sink.ctx, p, view, af, rp, attrs);
}

/* Gives a reference back: at once, or after the queued routes (one of
 * which may announce the set) while a batch is open. */
static void unref(struct bgp_ingest *in, rib_attr_id id)
{
	if (id == 0)
		return;
	if (!in->batching) {
		in->sink.ops->attrs_unref(in->sink.ctx, id);
		return;
	}
	if (in->nunrefs == BATCH_UNREFS)
		bgp_ingest_flush(in);
	in->unrefs[in->nunrefs++] = id;
}

static void cache_unref(void *ctx, rib_attr_id id)
{
	unref(ctx, id);
}

struct bgp_ingest *bgp_ingest_new(struct bgp_rib_sink sink)
{
	struct bgp_ingest *in = malloc(sizeof(*in));

	if (in != NULL) {
		in->sink = sink;
		in->batching = false;
		in->nops = in->nunrefs = 0;
		bgp_attr_cache_init(&in->cache, cache_unref, in);
	}
	return in;
}

void bgp_ingest_free(struct bgp_ingest *in)
{
	if (in == NULL)
		return;
	bgp_ingest_batch_end(in);
	bgp_attr_cache_clean(&in->cache);
	free(in);
}

/* Error counts keep their order with the route changes (which one comes
 * first decides which reasons get their own series at the cap). */
static void count_error(struct bgp_ingest *in, void *p, const char *reason)
{
	bgp_ingest_flush(in);
	in->sink.ops->count_error(in->sink.ctx, p, reason);
}

static void count_bgp_errors(struct bgp_ingest *in, void *p, uint64_t errors)
{
	for (int e = 1; e < BGP_ERR__COUNT; e++)
		if (bgp_errors_has(errors, (enum bgp_error)e))
			count_error(in, p, bgp_error_reason_name((enum bgp_error)e));
}

static int af_of(uint16_t afi, uint8_t safi, enum bgp_ingest_af *af)
{
	if (safi != BGP_SAFI_UNICAST)
		return -1;
	if (afi == BGP_AFI_IPV4)
		*af = BGP_INGEST_IPV4_UNICAST;
	else if (afi == BGP_AFI_IPV6)
		*af = BGP_INGEST_IPV6_UNICAST;
	else
		return -1;
	return 0;
}

struct keybuf {
	uint8_t *p;
	size_t len, cap;
	bool overflow;
};

static void key_put(struct keybuf *k, uint8_t type, const void *v, size_t n)
{
	if (k->len + 3 + n > k->cap) {
		k->overflow = true;
		return;
	}
	k->p[k->len] = type;
	k->p[k->len + 1] = (uint8_t)(n >> 8);
	k->p[k->len + 2] = (uint8_t)n;
	if (n > 0)
		memcpy(k->p + k->len + 3, v, n);
	k->len += 3 + n;
}

static void key_u32(struct keybuf *k, uint8_t type, uint32_t v)
{
	key_put(k, type, &v, sizeof(v));
}

/* The canonical attribute-set key of an UPDATE (next hop included). */
static size_t attr_key(struct bgp_ingest *in, const struct bgp_update *u)
{
	struct keybuf k = {in->key, 0, sizeof(in->key), false};

	if (bgp_update_has(u, BGP_ATTR_ORIGIN))
		key_put(&k, BGP_ATTR_ORIGIN, &u->origin, 1);
	if (bgp_update_has(u, BGP_ATTR_AS_PATH))
		key_put(&k, BGP_ATTR_AS_PATH, u->as_path.data, u->as_path.len);
	if (bgp_update_has(u, BGP_ATTR_NEXT_HOP))
		key_put(&k, BGP_ATTR_NEXT_HOP, u->next_hop, 4);
	if (bgp_update_has(u, BGP_ATTR_MED))
		key_u32(&k, BGP_ATTR_MED, u->med);
	if (bgp_update_has(u, BGP_ATTR_LOCAL_PREF))
		key_u32(&k, BGP_ATTR_LOCAL_PREF, u->local_pref);
	if (bgp_update_has(u, BGP_ATTR_ATOMIC_AGGREGATE))
		key_put(&k, BGP_ATTR_ATOMIC_AGGREGATE, NULL, 0);
	if (bgp_update_has(u, BGP_ATTR_AGGREGATOR))
		key_put(&k, BGP_ATTR_AGGREGATOR, &u->aggregator, sizeof(u->aggregator));
	if (bgp_update_has(u, BGP_ATTR_COMMUNITIES))
		key_put(&k, BGP_ATTR_COMMUNITIES, u->communities.data, u->communities.len);
	if (bgp_update_has(u, BGP_ATTR_ORIGINATOR_ID))
		key_u32(&k, BGP_ATTR_ORIGINATOR_ID, u->originator_id);
	if (bgp_update_has(u, BGP_ATTR_CLUSTER_LIST))
		key_put(&k, BGP_ATTR_CLUSTER_LIST, u->cluster_list.data, u->cluster_list.len);
	if (u->mp_reach.present)
		key_put(&k, BGP_ATTR_MP_REACH_NLRI, u->mp_nexthop.raw, u->mp_nexthop.raw_len);
	if (bgp_update_has(u, BGP_ATTR_EXT_COMMUNITIES))
		key_put(&k, BGP_ATTR_EXT_COMMUNITIES, u->ext_communities.data,
			u->ext_communities.len);
	if (bgp_update_has(u, BGP_ATTR_AS4_PATH))
		key_put(&k, BGP_ATTR_AS4_PATH, u->as4_path.data, u->as4_path.len);
	if (bgp_update_has(u, BGP_ATTR_AS4_AGGREGATOR))
		key_put(&k, BGP_ATTR_AS4_AGGREGATOR, &u->as4_aggregator,
			sizeof(u->as4_aggregator));
	if (bgp_update_has(u, BGP_ATTR_LARGE_COMMUNITY))
		key_put(&k, BGP_ATTR_LARGE_COMMUNITY, u->large_communities.data,
			u->large_communities.len);
	for (size_t i = 0; i < u->n_unknown; i++)
		key_put(&k, u->unknown[i].type, u->unknown[i].data, u->unknown[i].len);
	return k.overflow ? 0 : k.len;
}

static void to_rib_prefix(const struct bgp_prefix *b, struct rib_prefix *r)
{
	memset(r, 0, sizeof(*r));
	r->family = b->afi == BGP_AFI_IPV4 ? 4 : 6;
	r->len = b->len;
	r->path_id = b->has_path_id ? b->path_id : 0;
	memcpy(r->addr, b->addr, r->family == 4 ? 4 : 16);
}

/* Applies every prefix of a block: withdraws when attrs is 0. count: the
 * peer sent it (its counters and error reasons count it); else it was
 * sent to the peer and only the view changes. */
static void apply_block(struct bgp_ingest *in, void *p, enum bgp_ingest_view view,
			const struct bgp_nlri_block *b, rib_attr_id attrs, bool count)
{
	struct bgp_nlri_iter it;
	struct bgp_prefix bp;
	struct rib_prefix rp;
	enum bgp_ingest_af af;
	int rc;

	if (!b->present)
		return;
	if (af_of(b->afi, b->safi, &af) != 0 || bgp_nlri_iter_init(&it, b) != 0) {
		if (count)
			count_error(in, p, unsupported_afi_safi);
		return;
	}
	while ((rc = bgp_nlri_next(&it, &bp)) == 1) {
		to_rib_prefix(&bp, &rp);
		route(in, p, view, af, &rp, attrs, count);
	}
	if (rc < 0 && count)
		count_error(in, p, bgp_error_reason_name(it.error));
}

/* Whether an UPDATE's announcements go into the view. RFC 7606:
 * treat-as-withdraw (and, for a monitor that cannot reset the session, a
 * session-level error) withdraws them. One exception: in the views the
 * router builds itself (post-policy, Adj-RIB-Out, Loc-RIB) a missing
 * next hop alone does not: the router is telling us the routes are in its
 * RIB, and some leave the next hop out there (a missing NEXT_HOP from
 * Huawei, an empty MP_REACH next hop from IOS XR's Loc-RIB). The reason is
 * still counted. */
static bool stores_routes(const struct bgp_update *u, enum bgp_ingest_view view)
{
	const uint64_t next_hop_only = UINT64_C(1) << BGP_ERR_MISSING_MANDATORY |
				       UINT64_C(1) << BGP_ERR_MP_NEXT_HOP_LENGTH;

	if (u->outcome < BGP_UPDATE_TREAT_AS_WITHDRAW)
		return true;
	return view != BGP_INGEST_ADJ_IN_PRE && (u->errors & ~next_hop_only) == 0;
}

/* Whether the UPDATE announces anything. The IPv4 NLRI field is always
 * "present" (it is the rest of the message) and MP_REACH may carry only a
 * next hop, so what counts is prefixes: a withdraw-only UPDATE has no
 * attributes to store (RFC 4271 §4.3) and that is no error. */
static bool announces(const struct bgp_update *u)
{
	return wire_left(&u->nlri.r) > 0 || (u->mp_reach.present && wire_left(&u->mp_reach.r) > 0);
}

/* Withdrawn routes, attributes and NLRI of an UPDATE, carved the way
 * bgp_update_decode() does; -1 when the framing or a top-level length is
 * wrong (the full path then counts why). */
static int split_update(const struct bgp_decode_ctx *ctx, const uint8_t *msg, size_t len,
			struct wire_reader *wd, struct wire_reader *attrs, struct wire_reader *nlri)
{
	struct wire_reader body;
	uint16_t wlen, alen;
	uint8_t type;

	if (len > (ctx->extended_message ? BGP_MAX_EXT_MSG_LEN : BGP_MAX_MSG_LEN) ||
	    bgp_msg_header(msg, len, &type, &body, NULL) != 0 || type != BGP_MSG_UPDATE)
		return -1;
	if (wire_get_u16(&body, &wlen) < 0 || wire_sub(&body, wlen, wd) < 0 ||
	    wire_get_u16(&body, &alen) < 0 || wire_sub(&body, alen, attrs) < 0)
		return -1;
	return wire_sub(&body, wire_left(&body), nlri);
}

static void block_of(struct bgp_nlri_block *b, const struct wire_reader *r, uint16_t afi,
		     uint8_t safi, bool decodable, const struct bgp_decode_ctx *ctx)
{
	memset(b, 0, sizeof(*b));
	b->r = *r;
	b->afi = afi;
	b->safi = safi;
	b->present = true;
	b->add_path = bgp_ctx_addpath(ctx, afi, safi);
	b->decodable = decodable;
}

/* Whether a block's prefixes all parse (opaque and absent blocks are not
 * checked, as in bgp_update_decode()). */
static bool well_formed(const struct bgp_nlri_block *b)
{
	struct bgp_nlri_iter it;
	struct bgp_prefix bp;
	int rc;

	if (bgp_nlri_iter_init(&it, b) < 0)
		return true;
	while ((rc = bgp_nlri_next(&it, &bp)) == 1)
		;
	return rc == 0;
}

/* An UPDATE whose attribute block is in the cache: applied without
 * decoding the attributes again. Returns -1, having changed nothing, when
 * it must take the full path: no hit, or something a full decode would
 * complain about (a malformed prefix, NEXT_HOP missing with IPv4 NLRI,
 * RFC 4271 §6.3), so that outcomes and counters are the full path's.
 * *keyed says whether k holds the block's key. */
static int ingest_cached(struct bgp_ingest *in, void *p, enum bgp_ingest_view view,
			 const struct bgp_decode_ctx *ctx, const uint8_t *msg, size_t len,
			 bool count, struct bgp_attr_key *k, bool *keyed)
{
	struct wire_reader wd, attrs, nlri;
	struct bgp_nlri_block w, n, mp;
	const struct bgp_attr_value *v;

	*keyed = false;
	if (split_update(ctx, msg, len, &wd, &attrs, &nlri) != 0)
		return -1;
	v = bgp_attr_cache_find_last(&in->cache, &attrs, ctx->as4, k);
	*keyed = v != NULL || bgp_attr_key_make(k, &attrs, ctx->as4) == 0;
	if (!*keyed || (v == NULL && (v = bgp_attr_cache_find(&in->cache, k)) == NULL))
		return -1;
	block_of(&w, &wd, BGP_AFI_IPV4, BGP_SAFI_UNICAST, true, ctx);
	block_of(&n, &nlri, BGP_AFI_IPV4, BGP_SAFI_UNICAST, true, ctx);
	memset(&mp, 0, sizeof(mp));
	if (k->has_mp_reach)
		block_of(&mp, &k->mp_nlri, v->mp_afi, v->mp_safi, v->mp_decodable, ctx);
	if ((wire_left(&n.r) > 0 && !v->has_next_hop) || !well_formed(&w) || !well_formed(&n) ||
	    !well_formed(&mp))
		return -1;
	apply_block(in, p, view, &w, 0, count);
	apply_block(in, p, view, &n, v->attrs, count);
	apply_block(in, p, view, &mp, v->attrs, count);
	return 0;
}

/* Keeps a cleanly decoded block's set for the next UPDATE carrying the
 * same attributes; takes over the caller's reference on attrs. */
static void cache_put(struct bgp_ingest *in, struct bgp_attr_key *k,
		      const struct bgp_update *u, rib_attr_id attrs)
{
	struct bgp_attr_value v = {
		.attrs = attrs,
		.has_next_hop = bgp_update_has(u, BGP_ATTR_NEXT_HOP),
		.mp_afi = u->mp_reach.afi,
		.mp_safi = u->mp_reach.safi,
		.mp_decodable = u->mp_reach.decodable,
	};

	bgp_attr_cache_put(&in->cache, k, &v);
}

static bool cacheable(const struct bgp_update *u, const struct bgp_attr_key *k, rib_attr_id attrs)
{
	return attrs != 0 && u->errors == 0 && u->outcome == BGP_UPDATE_OK &&
	       k->has_mp_reach == u->mp_reach.present;
}

static void ingest(struct bgp_ingest *in, void *p, enum bgp_ingest_view view,
		   const struct bgp_decode_ctx *ctx, const uint8_t *msg, size_t len, bool count)
{
	const struct bgp_rib_sink_ops *ops = in->sink.ops;
	struct bgp_attr_key k;
	struct bgp_update u;
	rib_attr_id attrs = 0;
	uint16_t afi;
	uint8_t safi;
	enum bgp_ingest_af af;
	bool keyed;

	if (count)
		ops->count_update(in->sink.ctx, p);
	if (ingest_cached(in, p, view, ctx, msg, len, count, &k, &keyed) == 0)
		return;
	if (bgp_update_decode(msg, len, ctx, &u) != 0) {
		if (count)
			count_bgp_errors(in, p, u.errors);
		return;
	}
	if (count)
		count_bgp_errors(in, p, u.errors);
	if (bgp_update_is_eor(&u, &afi, &safi)) {
		if (af_of(afi, safi, &af) == 0) {
			bgp_ingest_flush(in);
			ops->end_of_rib(in->sink.ctx, p, view, af);
		}
		return;
	}
	apply_block(in, p, view, &u.withdrawn, 0, count);
	apply_block(in, p, view, &u.mp_unreach, 0, count);
	if (stores_routes(&u, view) && announces(&u)) {
		size_t klen = attr_key(in, &u);

		attrs = klen > 0 ? ops->attrs_intern(in->sink.ctx, in->key, klen) : 0;
		if (attrs == 0) {
			if (count)
				count_error(in, p, "attributes_not_stored");
			return;
		}
	}
	apply_block(in, p, view, &u.nlri, attrs, count);
	apply_block(in, p, view, &u.mp_reach, attrs, count);
	if (keyed && cacheable(&u, &k, attrs))
		cache_put(in, &k, &u, attrs); /* the cache keeps our reference */
	else
		unref(in, attrs);
}

void bgp_ingest_update(struct bgp_ingest *in, void *p, enum bgp_ingest_view view,
		       const struct bgp_decode_ctx *ctx, const uint8_t *msg, size_t len)
{
	ingest(in, p, view, ctx, msg, len, true);
}

void bgp_ingest_sent_to(struct bgp_ingest *in, void *p, enum bgp_ingest_view view,
			const struct bgp_decode_ctx *ctx, const uint8_t *msg, size_t len)
{
	ingest(in, p, view, ctx, msg, len, false);
}
