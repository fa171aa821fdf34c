/* session.c — BMP messages (wire/bmp) and the BGP PDUs inside them
 * (wire/bgp) applied to the model. */
#include "session.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bgp.h"
#include "bmp.h"
#include "ingest.h"
#include "model.h"
#include "negotiate.h"
#include "rib_sink.h"

/* Peers looked up during one bmp_session_feed_some() call, by their
 * per-peer header: a router sends a peer's table message after message,
 * and model_peer_get() gives the same peer for the same header (with no
 * change to it) until the call returns and the loop may release peers. */
#define PEER_MEMO 4u

struct peer_memo {
	uint8_t type;
	bool ipv6;
	uint64_t distinguisher;
	uint8_t addr[16];
	uint32_t as, bgp_id;
	struct model_peer *p;
};

struct bmp_session {
	struct model *m;
	struct model_router *r;
	struct bmp_msg msg;          /* decode scratch (large: kept off the stack) */
	struct bgp_ingest *ingest;   /* UPDATEs into the model */
	bool feeding;                /* inside bmp_session_feed_some() */
	size_t nmemo;                /* 0 outside it: nothing outlives a call */
	struct peer_memo memo[PEER_MEMO];
};

static const char no_peer_up[] = "route_monitoring_without_peer_up";
static const char bad_pdu[] = "bgp_pdu_unusable";

struct bmp_session *bmp_session_new(struct model *m, struct model_router *r)
{
	struct bmp_session *s = malloc(sizeof(*s));

	if (s == NULL)
		return NULL;
	s->m = m;
	s->r = r;
	s->feeding = false;
	s->nmemo = 0;
	s->ingest = bgp_ingest_new(model_rib_sink(m));
	if (s->ingest == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void bmp_session_free(struct bmp_session *s)
{
	if (s == NULL)
		return;
	bgp_ingest_free(s->ingest);
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

static bool memo_is(const struct peer_memo *e, const struct bmp_peer_hdr *h)
{
	return e->type == h->type && e->ipv6 == h->ipv6 && e->distinguisher == h->distinguisher &&
	       e->as == h->as && e->bgp_id == h->bgp_id && memcmp(e->addr, h->addr, 16) == 0;
}

/* Forgets the headers that gave p: the lookup just made may have given p
 * another AS or BGP ID, which a lookup with one of them would change back. */
static void memo_forget(struct bmp_session *s, const struct model_peer *p)
{
	size_t j = 0;

	for (size_t i = 0; i < s->nmemo; i++)
		if (s->memo[i].p != p)
			s->memo[j++] = s->memo[i];
	s->nmemo = j;
}

/* peer_of() for Route Monitoring inside a feed: a header seen earlier in
 * the call gives its peer without a lookup. Otherwise the queued routes
 * are applied first (the lookup may create the peer, or remap it to
 * another circuit when its AS changed), and a peer found is remembered
 * under this header alone, the oldest memo giving way (a refusal is not:
 * it is counted each time). */
static struct model_peer *peer_of_memo(struct bmp_session *s, const struct bmp_peer_hdr *h)
{
	struct model_peer *p;
	size_t i;

	if (!s->feeding)
		return peer_of(s, h);
	for (i = 0; i < s->nmemo; i++)
		if (memo_is(&s->memo[i], h))
			return s->memo[i].p;
	bgp_ingest_flush(s->ingest);
	p = peer_of(s, h);
	if (p == NULL)
		return NULL;
	memo_forget(s, p);
	if (s->nmemo == PEER_MEMO)
		memmove(&s->memo[0], &s->memo[1], (PEER_MEMO - 1) * sizeof(s->memo[0]));
	else
		s->nmemo++;
	s->memo[s->nmemo - 1] = (struct peer_memo){h->type, h->ipv6, h->distinguisher, {0},
						   h->as, h->bgp_id, p};
	memcpy(s->memo[s->nmemo - 1].addr, h->addr, 16);
	return p;
}

/* How a peer's BGP messages are decoded (both directions, from its Peer
 * Up): kept with the model's peer. */
static struct bgp_peer_ctx *ctx_of(struct model_peer *p)
{
	struct bgp_peer_ctx *c = model_peer_aux(p);

	if (c == NULL) {
		c = malloc(sizeof(*c));
		if (c == NULL)
			return NULL;
		bgp_peer_ctx_init(c);
		model_peer_set_aux(p, c, free);
	}
	return c;
}

/* ---- Peer Up / Peer Down ---- */

static void on_peer_up(struct bmp_session *s, const struct bmp_msg *m, double now)
{
	const struct bmp_peer_up *u = &m->u.up;
	struct model_peer *p = peer_of(s, &m->peer);
	struct bgp_peer_ctx *c;

	if (p == NULL || (c = ctx_of(p)) == NULL)
		return;
	/* unusable OPENs leave the defaults (4-octet AS, no ADD-PATH) */
	if (bgp_peer_ctx_peer_up(c, u) != 0)
		model_peer_count_error(p, "peer_up_open_unusable");
	model_peer_up(s->m, p, now);
}

static void on_peer_down(struct bmp_session *s, const struct bmp_msg *m, double now)
{
	const struct bmp_peer_down *d = &m->u.down;
	struct model_peer *p = peer_of(s, &m->peer);
	struct bgp_notification n;
	struct model_down why = {MODEL_DOWN_BMP_PEER_DOWN, d->reason, -1, 0};

	if (p == NULL)
		return;
	if ((d->reason == BMP_DOWN_LOCAL_NOTIFICATION || d->reason == BMP_DOWN_REMOTE_NOTIFICATION) &&
	    d->notification.status == BMP_PDU_OK &&
	    bgp_notification_decode(d->notification.data, d->notification.len, &n) == 0) {
		why.notif_code = n.code;
		why.notif_subcode = n.subcode;
	}
	model_peer_down(s->m, p, now, &why);
}

/* ---- Route Monitoring ---- */

static enum bgp_ingest_view view_of(const struct bmp_peer_hdr *h)
{
	if (h->type == BMP_PEER_LOC_RIB)
		return BGP_INGEST_LOC_RIB; /* RFC 9069 */
	if (h->adj_rib_out)            /* RFC 8671 */
		return h->post_policy ? BGP_INGEST_ADJ_OUT_POST : BGP_INGEST_ADJ_OUT_PRE;
	return h->post_policy ? BGP_INGEST_ADJ_IN_POST : BGP_INGEST_ADJ_IN_PRE;
}

static void on_route_monitoring(struct bmp_session *s, const struct bmp_msg *m)
{
	const struct bmp_bgp_pdu *pdu = &m->u.rm.update;
	struct model_peer *p = peer_of_memo(s, &m->peer);
	enum bgp_ingest_view view = view_of(&m->peer);
	struct bgp_peer_ctx *c;
	struct bgp_decode_ctx ctx;

	if (p == NULL || (c = ctx_of(p)) == NULL)
		return;
	/* accounted all the same, and counted as such */
	if (!model_peer_is_up(p))
		model_router_count_error(s->r, no_peer_up);
	if (pdu->status != BMP_PDU_OK) {
		bgp_ingest_flush(s->ingest); /* in order with the routes' error counts */
		model_peer_count_error(p, bad_pdu);
		return;
	}
	bgp_peer_ctx_pick(c, &m->peer, &ctx);
	bgp_ingest_update(s->ingest, p, view, &ctx, pdu->data, pdu->len);
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
	for (int e = 1; m->errors != 0 && e < BMP_ERR__COUNT; e++)
		if (m->errors & (1u << e))
			model_router_count_error(s->r, bmp_error_reason_name((enum bmp_error)e));
	if (m->type != BMP_MSG_INITIATION && m->type != BMP_MSG_TERMINATION &&
	    m->type <= BMP_MSG_ROUTE_MIRRORING && !m->has_peer)
		return 0; /* no usable per-peer header: counted above */
	if (m->type != BMP_MSG_ROUTE_MONITORING) {
		/* Peer Up/Down, statistics and the rest see every route before
		 * them applied, and may change the peers: the memo starts over */
		bgp_ingest_flush(s->ingest);
		s->nmemo = 0;
	}
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

size_t bmp_session_feed_some(struct bmp_session *s, const uint8_t *buf, size_t len,
			     size_t max_msg, double now, size_t max_msgs, size_t *nmsgs,
			     int *status)
{
	size_t used = 0;

	*status = 0;
	*nmsgs = 0;
	/* the messages' route changes are applied in batches (their table
	 * misses overlapped), all of them before this returns */
	bgp_ingest_batch_begin(s->ingest);
	s->feeding = true;
	while (used < len && *nmsgs < max_msgs) {
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
		(*nmsgs)++;
		if (bmp_session_message(s, buf + used - mlen, mlen, now) == 1) {
			*status = 1;
			break;
		}
	}
	bgp_ingest_batch_end(s->ingest);
	s->feeding = false;
	s->nmemo = 0;
	return used;
}

size_t bmp_session_feed(struct bmp_session *s, const uint8_t *buf, size_t len, size_t max_msg,
			double now, int *status)
{
	size_t n = 0;

	return bmp_session_feed_some(s, buf, len, max_msg, now, SIZE_MAX, &n, status);
}

/* ---- stream pieces for the listener ---- */

int bmp_first_sys_name(const uint8_t *msg, size_t len, char *out, size_t n)
{
	struct bmp_msg *m;
	int rc = 0;

	if (n == 0)
		return 0;
	out[0] = '\0';
	m = malloc(sizeof(*m)); /* large: kept off the stack */
	if (m == NULL)
		return 0;
	(void)!bmp_decode(msg, len, m);
	if (m->type == BMP_MSG_INITIATION) {
		size_t k = m->u.init.sys_name.len < n - 1 ? m->u.init.sys_name.len : n - 1;

		if (m->u.init.sys_name.data != NULL)
			memcpy(out, m->u.init.sys_name.data, k);
		else
			k = 0;
		out[k] = '\0';
		/* a NUL inside the TLV ends the name (it is also a label value) */
		rc = 1;
	}
	free(m);
	return rc;
}

size_t bmp_stream_skip(const uint8_t *buf, size_t len, size_t max_msg, size_t *nmsgs,
		       int *status)
{
	size_t used = 0;

	*status = 0;
	*nmsgs = 0;
	while (used < len) {
		size_t mlen = 0;
		enum bmp_frame_status st = bmp_frame(buf + used, len - used, max_msg, &mlen, NULL);

		if (st == BMP_FRAME_NEED_MORE)
			break;
		if (st == BMP_FRAME_ERROR) {
			*status = -1;
			break;
		}
		used += mlen;
		(*nmsgs)++;
	}
	return used;
}

size_t bmp_buffer_want(const uint8_t *buf, size_t len, size_t max_msg, size_t base)
{
	size_t mlen = 0, want = base;

	if (bmp_frame(buf, len, max_msg, &mlen, NULL) == BMP_FRAME_NEED_MORE && mlen > want)
		want = mlen;
	return want > len ? want : len + 1;
}
