/* model_events.c — events out of the model (issue 7): BGP session up and
 * down with the reason, prefix count against the peering's prefix_limit,
 * and watched prefixes withdrawn / restored, handed to the event sink that
 * model_set_event_sink set. Owns the index of watched prefixes. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bmp.h"
#include "event.h"
#include "model_priv.h"

/* ---- events (issue 7) ---- */

enum watch_state { WATCH_UNKNOWN, WATCH_PRESENT, WATCH_GONE };
enum limit_level { LIMIT_OK, LIMIT_APPROACHING, LIMIT_EXCEEDED };

struct watch_key {
	const struct cfg_peering *peering;
	uint8_t family, len, pad[6];
	uint8_t addr[16];
};

struct watch_entry {
	UT_hash_handle hh;
	struct watch_key key;
	size_t index; /* into peering->watch */
};

void model_set_event_sink(struct model *m, model_event_fn fn, void *arg)
{
	m->ev_fn = fn;
	m->ev_arg = arg;
}

static void watch_key_of(struct watch_key *k, const struct cfg_peering *pe, uint8_t family,
			 uint8_t len, const uint8_t *addr)
{
	memset(k, 0, sizeof(*k));
	k->peering = pe;
	k->family = family;
	k->len = len;
	memcpy(k->addr, addr, family == 4 ? 4 : 16);
}

void model_watch_index_free(struct model *m)
{
	struct watch_entry *e, *tmp;

	HASH_ITER(hh, m->watch_idx, e, tmp) {
		HASH_DEL(m->watch_idx, e);
		free(e);
	}
}

/* Every watched prefix of every peering, so that a route change finds in
 * O(1) whether it touches one (a full table must not pay per watch). */
void model_watch_index_build(struct model *m)
{
	size_t np;
	const struct circuit_ref *peerings = circuit_index_peerings(m->ix, &np);

	model_watch_index_free(m);
	for (size_t q = 0; q < np; q++) {
		const struct cfg_peering *pe = peerings[q].peering;

		for (size_t i = 0; i < pe->nwatch; i++) {
			struct watch_entry *e = calloc(1, sizeof(*e)), *old;

			if (e == NULL)
				return; /* events of the rest are missed; metrics stay */
			watch_key_of(&e->key, pe, pe->watch[i].family == AF_INET ? 4 : 6,
				     pe->watch[i].len, pe->watch[i].addr);
			e->index = i;
			HASH_FIND(hh, m->watch_idx, &e->key, sizeof(e->key), old);
			if (old != NULL) {
				free(e);
				continue;
			}
			HASH_ADD(hh, m->watch_idx, key, sizeof(e->key), e);
		}
	}
}

static bool watched_present(const struct model_peer *p, size_t i)
{
	const struct cfg_prefix *w = &p->peering->watch[i];
	struct rib_prefix rp = {.family = w->family == AF_INET ? 4 : 6, .len = w->len};
	enum model_af af = rp.family == 4 ? MODEL_AF_IPV4_UNICAST : MODEL_AF_IPV6_UNICAST;

	memcpy(rp.addr, w->addr, sizeof(rp.addr));
	return model_lookup(p, model_received_view(p, af), af, &rp) != 0;
}

/* The per-peer watch states follow the peering the peer maps to now; after
 * a remap (reload) they restart from what is present, without events. */
static bool watch_state_ready(struct model_peer *p)
{
	size_t n = p->peering != NULL ? p->peering->nwatch : 0;

	if (p->watch_for == p->peering && p->nwatch_state == n)
		return n > 0;
	free(p->watch_state);
	p->watch_state = n > 0 ? calloc(n, 1) : NULL;
	p->nwatch_state = p->watch_state != NULL ? n : 0;
	p->watch_for = p->watch_state != NULL ? p->peering : NULL;
	for (size_t i = 0; i < p->nwatch_state; i++)
		p->watch_state[i] = watched_present(p, i) ? WATCH_PRESENT : WATCH_UNKNOWN;
	return false;
}

static enum cw_event_source source_of(const struct model_router *r)
{
	static const enum cw_event_source of[MODEL_SRC_COUNT] = {CW_SRC_BMP, CW_SRC_PCAP};

	return (unsigned)r->source < MODEL_SRC_COUNT ? of[r->source] : CW_SRC_UNSPECIFIED;
}

static void event_of_peer(struct cw_event *ev, const struct model_peer *p,
			  enum cw_event_type type, enum cw_severity sev, double now)
{
	cw_event_init(ev, type, sev, (int64_t)(now * 1e9));
	if (p->circuit != NULL)
		cw_event_set(ev->circuit, p->circuit->id);
	if (p->link >= 0)
		cw_event_set(ev->link, cfg_link_role_name((enum cfg_link_role)p->link));
	if (p->peering != NULL)
		cw_event_set(ev->peering, cfg_peering_type_name(p->peering->type));
	ev->has_peer = true;
	cw_event_set(ev->peer.router, p->router->address);
	cw_event_set(ev->peer.address, p->addr_text);
	cw_event_set(ev->peer.rd, p->rd_text);
	ev->peer.asn = p->asn;
	ev->peer.source = source_of(p->router);
}

static void emit(struct model *m, struct cw_event *ev, const char *what,
		 const struct model_peer *p)
{
	snprintf(ev->message, sizeof(ev->message), "%s: peer %s AS%u%s%s", what, p->addr_text,
		 p->asn, p->circuit ? " on circuit " : "", p->circuit ? p->circuit->id : "");
	m->ev_fn(m->ev_arg, ev);
}

/* Session state in the log, as a router logs it: each up and down of a
 * peer at info, with its router, circuit, link and peering (and why it
 * went down), at most LOG_RL_BURST lines per peer in LOG_RL_WINDOW_MS (a
 * flapping peer's further lines are counted, not written). */
static void log_session(struct model *m, struct model_peer *p, bool up, const char *reason)
{
	char as[12];
	const char *circuit = p->circuit != NULL ? p->circuit->id : "";
	const char *link = p->link >= 0 ? cfg_link_role_name((enum cfg_link_role)p->link) : "";
	const char *peering = p->peering != NULL ? cfg_peering_type_name(p->peering->type) : "";

	if (m->log == NULL)
		return;
	snprintf(as, sizeof(as), "%u", p->asn);
	if (up)
		log_kv_limited(m->log, &p->state_rl, LOG_LVL_INFO, "bgp session up", "router",
			       p->router->address, "peer", p->addr_text, "peer_as", as, "circuit",
			       circuit, "link", link, "peering", peering, (const char *)0);
	else
		log_kv_limited(m->log, &p->state_rl, LOG_LVL_INFO, "bgp session down", "router",
			       p->router->address, "peer", p->addr_text, "peer_as", as, "circuit",
			       circuit, "link", link, "peering", peering, "reason", reason,
			       (const char *)0);
}

void model_events_peer_up(struct model *m, struct model_peer *p, double now, bool restart)
{
	struct cw_event *ev;

	if (restart)
		log_session(m, p, false, "restarted");
	log_session(m, p, true, NULL);
	if (m->ev_fn == NULL || (ev = malloc(sizeof(*ev))) == NULL)
		return;
	if (restart) { /* the router restarted the session without a Peer Down */
		event_of_peer(ev, p, CW_EV_BGP_SESSION_DOWN, CW_SEV_CRITICAL, now);
		ev->has_reason = true;
		ev->reason.kind = CW_REASON_OTHER;
		cw_event_set(ev->reason.text, "restarted");
		emit(m, ev, "BGP session restarted", p);
	}
	p->limit_level = LIMIT_OK;
	event_of_peer(ev, p, CW_EV_BGP_SESSION_UP, CW_SEV_INFO, now);
	emit(m, ev, "BGP session up", p);
	free(ev);
}

const char *model_down_text(const struct model_down *why)
{
	static const char *const text[MODEL_DOWN_COUNT] = {
		[MODEL_DOWN_UNKNOWN] = "unknown",
		[MODEL_DOWN_NOTIFICATION] = "notification",
		[MODEL_DOWN_TCP_FIN] = "fin",
		[MODEL_DOWN_TCP_RST] = "rst",
		[MODEL_DOWN_IDLE] = "idle",
		[MODEL_DOWN_ROUTER_DISCONNECTED] = "router-disconnected",
	};

	if (why->cause == MODEL_DOWN_BMP_PEER_DOWN)
		return bmp_peer_down_reason_name(why->bmp_reason);
	return (unsigned)why->cause < MODEL_DOWN_COUNT ? text[why->cause] : "unknown";
}

/* RFC 7854 §4.9: the Peer Down reasons the event's bmp_reason carries. */
static bool bmp_reason_known(uint8_t reason)
{
	return reason >= BMP_DOWN_LOCAL_NOTIFICATION && reason <= BMP_DOWN_LOCAL_TLV;
}

static enum cw_reason_kind down_kind(const struct model_down *why)
{
	if (why->cause == MODEL_DOWN_ROUTER_DISCONNECTED)
		return CW_REASON_ROUTER_DISCONNECTED;
	if (why->cause == MODEL_DOWN_BMP_PEER_DOWN && bmp_reason_known(why->bmp_reason))
		return CW_REASON_BMP_PEER_DOWN;
	if (why->notif_code == 4) /* RFC 4271 §6.5: Hold Timer Expired */
		return CW_REASON_HOLD_TIMER;
	if (why->notif_code > 0 || why->cause == MODEL_DOWN_NOTIFICATION)
		return CW_REASON_NOTIFICATION;
	if (why->cause == MODEL_DOWN_TCP_FIN || why->cause == MODEL_DOWN_TCP_RST)
		return CW_REASON_TCP_CLOSE;
	return CW_REASON_OTHER;
}

static void down_reason(struct cw_event *ev, const struct model_down *why)
{
	ev->has_reason = true;
	cw_event_set(ev->reason.text, model_down_text(why));
	if (why->notif_code > 0) { /* RFC 4271 §4.5: error codes start at 1 */
		ev->reason.notif_code = (uint32_t)why->notif_code;
		ev->reason.notif_subcode = (uint32_t)why->notif_subcode;
	}
	ev->reason.kind = down_kind(why);
	if (ev->reason.kind == CW_REASON_BMP_PEER_DOWN)
		ev->reason.bmp_reason = why->bmp_reason;
}

static void watch_event(struct model *m, struct model_peer *p, size_t i, bool present,
			double now, const char *reason)
{
	const struct cfg_prefix *w = &p->peering->watch[i];
	char addr[INET6_ADDRSTRLEN];
	struct cw_event *ev = malloc(sizeof(*ev));

	if (ev == NULL)
		return;
	event_of_peer(ev, p,
		      present ? CW_EV_WATCHED_PREFIX_RESTORED : CW_EV_WATCHED_PREFIX_WITHDRAWN,
		      present ? CW_SEV_INFO : CW_SEV_WARNING, now);
	inet_ntop(w->family, w->addr, addr, sizeof(addr));
	ev->detail = CW_DETAIL_WATCHED_PREFIX;
	snprintf(ev->d.watched.prefix, sizeof(ev->d.watched.prefix), "%s/%u", addr, w->len);
	if (reason != NULL) {
		ev->has_reason = true;
		ev->reason.kind = CW_REASON_OTHER;
		cw_event_set(ev->reason.text, reason);
	}
	emit(m, ev, present ? "watched prefix restored" : "watched prefix withdrawn", p);
	free(ev);
}

void model_events_peer_down(struct model *m, struct model_peer *p, double now,
			    const struct model_down *why)
{
	struct cw_event *ev;

	log_session(m, p, false, model_down_text(why));
	if (m->ev_fn == NULL || (ev = malloc(sizeof(*ev))) == NULL)
		return;
	event_of_peer(ev, p, CW_EV_BGP_SESSION_DOWN, CW_SEV_CRITICAL, now);
	down_reason(ev, why);
	emit(m, ev, "BGP session down", p);
	free(ev);
	/* the views are empty now: what was present is gone with the session */
	if (watch_state_ready(p)) {
		for (size_t i = 0; i < p->nwatch_state; i++) {
			if (p->watch_state[i] == WATCH_PRESENT) {
				p->watch_state[i] = WATCH_GONE;
				watch_event(m, p, i, false, now, "session-down");
			}
		}
	}
	p->limit_level = LIMIT_OK;
}

/* Adj-RIB-Out size as the headroom metric counts it; false when the router
 * reports no Adj-RIB-Out. */
static bool adj_out_count(const struct model_peer *p, uint64_t *out)
{
	*out = 0;
	for (int v = MODEL_VIEW_ADJ_OUT_POST; v >= MODEL_VIEW_ADJ_OUT_PRE; v--) {
		bool have = false;

		for (int a = 0; a < MODEL_AF_COUNT; a++) {
			if (p->seen[v][a]) {
				have = true;
				*out += model_prefix_count(p, (enum model_view)v, (enum model_af)a);
			}
		}
		if (have)
			return true;
	}
	return false;
}

static enum limit_level limit_level_of(uint64_t count, uint64_t limit, enum limit_level before)
{
	if (count > limit) /* over the limit: the provider drops the session */
		return LIMIT_EXCEEDED;
	if (count * 100 >= limit * MODEL_LIMIT_APPROACH_PCT)
		return LIMIT_APPROACHING;
	if (before != LIMIT_OK && count * 100 >= limit * MODEL_LIMIT_CLEAR_PCT)
		return LIMIT_APPROACHING;
	return LIMIT_OK;
}

static void events_limit(struct model *m, struct model_peer *p)
{
	static const enum cw_event_type types[] = {CW_EV_PREFIX_LIMIT_CLEARED,
						   CW_EV_PREFIX_LIMIT_APPROACHING,
						   CW_EV_PREFIX_LIMIT_EXCEEDED};
	static const enum cw_severity sevs[] = {CW_SEV_INFO, CW_SEV_WARNING, CW_SEV_CRITICAL};
	static const char *const what[] = {"prefix count back under the limit",
					   "prefix count approaching the limit",
					   "prefix count over the limit"};
	uint64_t count, limit = p->peering->prefix_limit;
	enum limit_level next;
	struct cw_event *ev;

	if (!adj_out_count(p, &count))
		return;
	next = limit_level_of(count, limit, (enum limit_level)p->limit_level);
	if (next == p->limit_level || (ev = malloc(sizeof(*ev))) == NULL)
		return;
	p->limit_level = (uint8_t)next;
	event_of_peer(ev, p, types[next], sevs[next], 0);
	ev->detail = CW_DETAIL_PREFIX_LIMIT;
	ev->d.prefix_limit.count = count;
	ev->d.prefix_limit.limit = limit;
	emit(m, ev, what[next], p);
	free(ev);
}

void model_events_route(struct model *m, struct model_peer *p, enum model_view view,
			const struct rib_prefix *prefix)
{
	struct watch_key k;
	struct watch_entry *e;

	if (p->peering == NULL)
		return;
	if ((view == MODEL_VIEW_ADJ_OUT_PRE || view == MODEL_VIEW_ADJ_OUT_POST) &&
	    p->peering->prefix_limit > 0) {
		events_limit(m, p);
		return;
	}
	if (p->peering->nwatch == 0 || !watch_state_ready(p))
		return;
	watch_key_of(&k, p->peering, prefix->family, prefix->len, prefix->addr);
	HASH_FIND(hh, m->watch_idx, &k, sizeof(k), e);
	if (e == NULL || e->index >= p->nwatch_state)
		return;
	bool present = watched_present(p, e->index);
	uint8_t *st = &p->watch_state[e->index];

	if (present && *st != WATCH_PRESENT) {
		/* first sight after the session came up is not a restoration */
		if (*st == WATCH_GONE)
			watch_event(m, p, e->index, true, 0, NULL);
		*st = WATCH_PRESENT;
	} else if (!present && *st == WATCH_PRESENT) {
		*st = WATCH_GONE;
		watch_event(m, p, e->index, false, 0, "withdrawn");
	}
}
