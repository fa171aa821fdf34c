/* session.c — BMP messages (wire/bmp) and the BGP PDUs inside them
 * (wire/bgp) applied to the model. */
#include "session.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bgp.h"
#include "bmp.h"
#include "model.h"

/* Attribute sets are interned by a canonical encoding of the decoded
 * attributes (type, 16-bit length, value; in type order), so the same
 * attributes in another wire order still share one set. */
#define ATTR_KEY_MAX (BGP_MAX_EXT_MSG_LEN + 64)

struct bmp_session {
	struct model *m;
	struct model_router *r;
	struct bmp_msg msg;          /* decode scratch (large: kept off the stack) */
	uint8_t key[ATTR_KEY_MAX];   /* attribute-set key scratch */
};

/* How a peer's BGP messages are decoded: what it sends us (Adj-RIB-In) and
 * what the router sends it (Adj-RIB-Out) were negotiated in opposite
 * directions (RFC 7911 §4). Kept with the model's peer. */
struct peer_ctx {
	struct bgp_decode_ctx in, out;
};

static const char no_peer_up[] = "route_monitoring_without_peer_up";
static const char unsupported_afi_safi[] = "afi_safi_not_decoded";
static const char bad_pdu[] = "bgp_pdu_unusable";

struct bmp_session *bmp_session_new(struct model *m, struct model_router *r)
{
	struct bmp_session *s = malloc(sizeof(*s));

	if (s == NULL)
		return NULL;
	s->m = m;
	s->r = r;
	return s;
}

void bmp_session_free(struct bmp_session *s)
{
	free(s);
}

static struct model_peer *peer_of(struct bmp_session *s, const struct bmp_peer_hdr *h)
{
	struct model_peer_key k = {.peer_type = h->type, .distinguisher = h->distinguisher};

	if (h->ipv6 && h->type != BMP_PEER_LOC_RIB) {
		k.family = 6;
		memcpy(k.addr, h->addr, 16);
	} else {
		k.family = 4;
		memcpy(k.addr, h->addr + 12, 4);
	}
	return model_peer_get(s->m, s->r, &k, h->as, h->bgp_id);
}

static struct peer_ctx *ctx_of(struct model_peer *p)
{
	struct peer_ctx *c = model_peer_aux(p);

	if (c == NULL) {
		c = malloc(sizeof(*c));
		if (c == NULL)
			return NULL;
		bgp_ctx_init(&c->in);
		bgp_ctx_init(&c->out);
		model_peer_set_aux(p, c, free);
	}
	return c;
}

static void count_bgp_errors(struct model_peer *p, uint64_t errors)
{
	for (int e = 1; e < BGP_ERR__COUNT; e++)
		if (bgp_errors_has(errors, (enum bgp_error)e))
			model_peer_count_error(p, bgp_error_reason_name((enum bgp_error)e));
}

/* ---- Peer Up / Peer Down ---- */

static void on_peer_up(struct bmp_session *s, const struct bmp_msg *m, double now)
{
	const struct bmp_peer_up *u = &m->u.up;
	struct model_peer *p = peer_of(s, &m->peer);
	struct peer_ctx *c;
	struct bgp_open sent, recv;
	bool have_sent, have_recv;

	if (p == NULL || (c = ctx_of(p)) == NULL)
		return;
	/* A Peer Up's OPENs can be missing or fabricated: use them only when
	 * both decode, else fall back to the defaults (4-octet AS, no ADD-PATH). */
	have_sent = u->sent_open.status == BMP_PDU_OK &&
		    bgp_open_decode(u->sent_open.data, u->sent_open.len, &sent) == 0;
	have_recv = u->recv_open.status == BMP_PDU_OK &&
		    bgp_open_decode(u->recv_open.data, u->recv_open.len, &recv) == 0;
	if (have_sent && have_recv) {
		/* RFC 7854 §4.10: the sent OPEN is the router's, the received the peer's */
		bgp_negotiate(&sent, &recv, &c->in);
		bgp_negotiate(&recv, &sent, &c->out);
	} else {
		model_peer_count_error(p, "peer_up_open_unusable");
		bgp_ctx_init(&c->in);
		bgp_ctx_init(&c->out);
	}
	model_peer_up(s->m, p, now);
}

static void on_peer_down(struct bmp_session *s, const struct bmp_msg *m, double now)
{
	const struct bmp_peer_down *d = &m->u.down;
	struct model_peer *p = peer_of(s, &m->peer);
	struct bgp_notification n;
	int code = -1, subcode = 0;

	if (p == NULL)
		return;
	if ((d->reason == BMP_DOWN_LOCAL_NOTIFICATION || d->reason == BMP_DOWN_REMOTE_NOTIFICATION) &&
	    d->notification.status == BMP_PDU_OK &&
	    bgp_notification_decode(d->notification.data, d->notification.len, &n) == 0) {
		code = n.code;
		subcode = n.subcode;
	}
	model_peer_down(s->m, p, now, bmp_peer_down_reason_name(d->reason), code, subcode);
}

/* ---- Route Monitoring ---- */

static enum model_view view_of(const struct bmp_peer_hdr *h)
{
	if (h->type == BMP_PEER_LOC_RIB)
		return MODEL_VIEW_LOC_RIB; /* RFC 9069 */
	if (h->adj_rib_out)            /* RFC 8671 */
		return h->post_policy ? MODEL_VIEW_ADJ_OUT_POST : MODEL_VIEW_ADJ_OUT_PRE;
	return h->post_policy ? MODEL_VIEW_ADJ_IN_POST : MODEL_VIEW_ADJ_IN_PRE;
}

static int af_of(uint16_t afi, uint8_t safi, enum model_af *af)
{
	if (safi != BGP_SAFI_UNICAST)
		return -1;
	if (afi == BGP_AFI_IPV4)
		*af = MODEL_AF_IPV4_UNICAST;
	else if (afi == BGP_AFI_IPV6)
		*af = MODEL_AF_IPV6_UNICAST;
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
static size_t attr_key(struct bmp_session *s, const struct bgp_update *u)
{
	struct keybuf k = {s->key, 0, sizeof(s->key), false};

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

/* Applies every prefix of a block: withdraws when attrs is 0. */
static void apply_block(struct bmp_session *s, struct model_peer *p, enum model_view view,
			const struct bgp_nlri_block *b, rib_attr_id attrs)
{
	struct bgp_nlri_iter it;
	struct bgp_prefix bp;
	struct rib_prefix rp;
	enum model_af af;
	int rc;

	if (!b->present)
		return;
	if (af_of(b->afi, b->safi, &af) != 0 || bgp_nlri_iter_init(&it, b) != 0) {
		model_peer_count_error(p, unsupported_afi_safi);
		return;
	}
	while ((rc = bgp_nlri_next(&it, &bp)) == 1) {
		to_rib_prefix(&bp, &rp);
		if (model_route(s->m, p, view, af, &rp, attrs) == RIB_FULL)
			model_peer_count_error(p, "rib_full");
	}
	if (rc < 0)
		model_peer_count_error(p, bgp_error_reason_name(it.error));
}

/* Whether an UPDATE's announcements go into the view. RFC 7606:
 * treat-as-withdraw (and, for a monitor that cannot reset the session, a
 * session-level error) withdraws them. One exception: in the views the
 * router builds itself (post-policy, Adj-RIB-Out, Loc-RIB) a missing
 * next hop alone does not: the router is telling us the routes are in its
 * RIB, and some leave the next hop out there (a missing NEXT_HOP from
 * Huawei, an empty MP_REACH next hop from IOS XR's Loc-RIB). The reason is
 * still counted. */
static bool stores_routes(const struct bgp_update *u, enum model_view view)
{
	const uint64_t next_hop_only = UINT64_C(1) << BGP_ERR_MISSING_MANDATORY |
				       UINT64_C(1) << BGP_ERR_MP_NEXT_HOP_LENGTH;

	if (u->outcome < BGP_UPDATE_TREAT_AS_WITHDRAW)
		return true;
	return view != MODEL_VIEW_ADJ_IN_PRE && (u->errors & ~next_hop_only) == 0;
}

static void on_route_monitoring(struct bmp_session *s, const struct bmp_msg *m)
{
	const struct bmp_bgp_pdu *pdu = &m->u.rm.update;
	struct model_peer *p = peer_of(s, &m->peer);
	struct peer_ctx *c;
	struct bgp_decode_ctx ctx;
	struct bgp_update u;
	enum model_view view = view_of(&m->peer);
	rib_attr_id attrs = 0;
	uint16_t afi;
	uint8_t safi;
	enum model_af af;

	if (p == NULL || (c = ctx_of(p)) == NULL)
		return;
	/* accounted all the same, and counted as such */
	if (!model_peer_is_up(p))
		model_router_count_error(s->r, no_peer_up);
	if (pdu->status != BMP_PDU_OK) {
		model_peer_count_error(p, bad_pdu);
		return;
	}
	ctx = (view == MODEL_VIEW_ADJ_OUT_PRE || view == MODEL_VIEW_ADJ_OUT_POST) ? c->out : c->in;
	if (m->peer.legacy_as_path)
		bgp_ctx_set_legacy_as_path(&ctx);
	model_peer_count_update(p);
	if (bgp_update_decode(pdu->data, pdu->len, &ctx, &u) != 0) {
		count_bgp_errors(p, u.errors);
		return;
	}
	count_bgp_errors(p, u.errors);
	if (bgp_update_is_eor(&u, &afi, &safi)) {
		if (af_of(afi, safi, &af) == 0)
			model_end_of_rib(p, view, af);
		return;
	}
	apply_block(s, p, view, &u.withdrawn, 0);
	apply_block(s, p, view, &u.mp_unreach, 0);
	if (stores_routes(&u, view) && (u.nlri.present || u.mp_reach.present)) {
		size_t klen = attr_key(s, &u);

		attrs = klen > 0 ? model_attrs_intern(s->m, s->key, klen) : 0;
		if (attrs == 0) {
			model_peer_count_error(p, "attributes_not_stored");
			return;
		}
	}
	apply_block(s, p, view, &u.nlri, attrs);
	apply_block(s, p, view, &u.mp_reach, attrs);
	model_attrs_unref(s->m, attrs);
}

/* ---- Statistics, Initiation ---- */

static void on_stats(struct bmp_session *s, const struct bmp_msg *m)
{
	struct model_peer *p = peer_of(s, &m->peer);

	if (p == NULL)
		return;
	for (size_t i = 0; i < m->u.stats.n; i++) {
		const struct bmp_stat *st = &m->u.stats.v[i];
		enum bmp_stat_kind kind = bmp_stat_type_kind(st->type);
		const char *name = bmp_stat_type_name(st->type);

		switch (st->value_kind) {
		case BMP_STAT_VAL_U32:
			model_peer_stat(p, st->type, name, 0, 0, st->value,
					kind == BMP_STAT_KIND_GAUGE64);
			break;
		case BMP_STAT_VAL_U64:
			model_peer_stat(p, st->type, name, 0, 0, st->value,
					kind != BMP_STAT_KIND_COUNTER32);
			break;
		case BMP_STAT_VAL_AFI_SAFI_U64:
			model_peer_stat(p, st->type, name, st->afi, st->safi, st->value, true);
			break;
		default:
			break; /* an unknown size: flagged by the decoder, not guessed at */
		}
	}
}

static void on_initiation(struct bmp_session *s, const struct bmp_msg *m)
{
	const struct bmp_initiation *in = &m->u.init;

	model_router_set_info(s->r, (const char *)in->sys_name.data, in->sys_name.len,
			      (const char *)in->sys_descr.data, in->sys_descr.len);
}

int bmp_session_message(struct bmp_session *s, const uint8_t *msg, size_t len, double now)
{
	struct bmp_msg *m = &s->msg;

	/* anomalies are flagged in m->errors and counted below; what did
	 * decode is still applied */
	(void)!bmp_decode(msg, len, m);
	model_router_count_msg(s->r, bmp_msg_type_name(m->type));
	for (int e = 1; e < BMP_ERR__COUNT; e++)
		if (m->errors & (1u << e))
			model_router_count_error(s->r, bmp_error_reason_name((enum bmp_error)e));
	if (m->type != BMP_MSG_INITIATION && m->type != BMP_MSG_TERMINATION &&
	    m->type <= BMP_MSG_ROUTE_MIRRORING && !m->has_peer)
		return 0; /* no usable per-peer header: counted above */
	switch (m->type) {
	case BMP_MSG_ROUTE_MONITORING:
		on_route_monitoring(s, m);
		break;
	case BMP_MSG_STATISTICS_REPORT:
		on_stats(s, m);
		break;
	case BMP_MSG_PEER_DOWN:
		on_peer_down(s, m, now);
		break;
	case BMP_MSG_PEER_UP:
		on_peer_up(s, m, now);
		break;
	case BMP_MSG_INITIATION:
		on_initiation(s, m);
		break;
	case BMP_MSG_TERMINATION:
		return 1;
	default:
		break; /* Route Mirroring and unknown types: counted only */
	}
	return 0;
}

size_t bmp_session_feed(struct bmp_session *s, const uint8_t *buf, size_t len, size_t max_msg,
			double now, int *status)
{
	size_t used = 0;

	*status = 0;
	while (used < len) {
		size_t mlen = 0;
		enum bmp_error why = BMP_OK;
		enum bmp_frame_status st = bmp_frame(buf + used, len - used, max_msg, &mlen, &why);

		if (st == BMP_FRAME_NEED_MORE)
			break;
		if (st == BMP_FRAME_ERROR) {
			model_router_count_error(s->r, bmp_error_reason_name(why));
			*status = -1;
			break;
		}
		used += mlen;
		if (bmp_session_message(s, buf + used - mlen, mlen, now) == 1) {
			*status = 1;
			break;
		}
	}
	return used;
}
