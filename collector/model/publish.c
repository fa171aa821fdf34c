/* publish.c — the model's metrics: its metric families, and the series of
 * every router, peer, link and circuit written into the registry by
 * model_publish (configured neighbours first, under the series budget). */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_priv.h"

#define PEER_LABELS "source", "router", "peer", "peer_as", "rd", "circuit", "link", "peering"
#define NPEER 8
static const char *const l_router[] = {"router"};
static const char *const l_router_info[] = {"router", "sys_name", "sys_descr"};
static const char *const l_router_type[] = {"router", "type"};
static const char *const l_router_reason[] = {"router", "reason"};
static const char *const l_router_state[] = {"router", "state"};
static const char *const l_peer[] = {PEER_LABELS};
static const char *const l_peer_view[] = {PEER_LABELS, "afi_safi", "view"};
static const char *const l_peer_notif[] = {PEER_LABELS, "code", "subcode"};
static const char *const l_peer_reason[] = {PEER_LABELS, "reason"};
static const char *const l_peer_stat[] = {PEER_LABELS, "stat"};
static const char *const l_peer_stat_af[] = {PEER_LABELS, "stat", "afi_safi"};
static const char *const l_peer_prefix[] = {PEER_LABELS, "prefix"};
static const char *const l_link[] = {"circuit", "link"};
static const char *const l_circuit[] = {"circuit"};

#define DEF(t, n, h, nl, l) {t, n, h, NULL, nl, l, 0, NULL}
static const struct metrics_family_def defs[F_COUNT] = {
	[F_ROUTER_UP] = DEF(METRICS_GAUGE, "circuitwatch_bmp_router_up",
			    "1 while the router's BMP session is connected.", 1, l_router),
	[F_ROUTER_INFO] = DEF(METRICS_INFO, "circuitwatch_bmp_router_info",
			      "sysName and sysDescr a router sent in its BMP Initiation.", 3,
			      l_router_info),
	[F_ROUTER_CONNECTS] = DEF(METRICS_COUNTER, "circuitwatch_bmp_router_connections_total",
				  "BMP sessions the router opened.", 1, l_router),
	[F_ROUTER_MSGS] = DEF(METRICS_COUNTER, "circuitwatch_bmp_messages_total",
			      "BMP messages received, by message type.", 2, l_router_type),
	[F_ROUTER_ERRORS] = DEF(METRICS_COUNTER, "circuitwatch_bmp_parse_errors_total",
				"Anomalies in BMP messages from the router, by reason.", 2,
				l_router_reason),
	[F_UP] = DEF(METRICS_GAUGE, "circuitwatch_bgp_session_up",
		     "1 while the BGP session is established (as its router reports it).", NPEER,
		     l_peer),
	[F_CHANGES] = DEF(METRICS_COUNTER, "circuitwatch_bgp_session_state_changes_total",
			  "Times the BGP session went up or down.", NPEER, l_peer),
	[F_LAST_CHANGE] = DEF(METRICS_GAUGE,
			      "circuitwatch_bgp_session_last_change_timestamp_seconds",
			      "When the BGP session last went up or down (Unix time).", NPEER, l_peer),
	[F_PREFIXES] = DEF(METRICS_GAUGE, "circuitwatch_bgp_prefixes",
			   "Prefixes (paths, with ADD-PATH) in a RIB view of the session.", NPEER + 2,
			   l_peer_view),
	[F_EOR] = DEF(METRICS_GAUGE, "circuitwatch_bgp_end_of_rib",
		      "1 once End-of-RIB was seen for the view since the session came up.",
		      NPEER + 2, l_peer_view),
	[F_UPDATES] = DEF(METRICS_COUNTER, "circuitwatch_bgp_updates_received_total",
			  "BGP UPDATE messages received for the session.", NPEER, l_peer),
	[F_ANNOUNCED] = DEF(METRICS_COUNTER, "circuitwatch_bgp_prefixes_announced_total",
			    "Prefix announcements received (new and replacing).", NPEER, l_peer),
	[F_WITHDRAWN] = DEF(METRICS_COUNTER, "circuitwatch_bgp_prefixes_withdrawn_total",
			    "Prefix withdrawals received.", NPEER, l_peer),
	[F_IMPLICIT] = DEF(METRICS_COUNTER, "circuitwatch_bgp_implicit_withdrawals_total",
			   "Announcements that replaced a route with other attributes.", NPEER,
			   l_peer),
	[F_NOTIFS] = DEF(METRICS_COUNTER, "circuitwatch_bgp_notifications_total",
			 "BGP NOTIFICATIONs that ended the session, by code and subcode.",
			 NPEER + 2, l_peer_notif),
	[F_ERRORS] = DEF(METRICS_COUNTER, "circuitwatch_bgp_parse_errors_total",
			 "Malformed BGP input on the session, by reason (RFC 7606 handling).",
			 NPEER + 1, l_peer_reason),
	[F_STAT_COUNTER] = DEF(METRICS_COUNTER, "circuitwatch_bmp_stats_counter_total",
			       "BMP Statistics Report counters, as the router reports them.",
			       NPEER + 1, l_peer_stat),
	[F_STAT_GAUGE] = DEF(METRICS_GAUGE, "circuitwatch_bmp_stats_gauge",
			     "BMP Statistics Report gauges, as the router reports them (afi_safi "
			     "empty when not per AFI/SAFI).",
			     NPEER + 2, l_peer_stat_af),
	[F_LIMIT] = DEF(METRICS_GAUGE, "circuitwatch_bgp_prefix_limit",
			"The provider's prefix limit for what we advertise on the peering of this "
			"session.",
			NPEER, l_peer),
	[F_HEADROOM] = DEF(METRICS_GAUGE, "circuitwatch_bgp_prefix_limit_headroom",
			   "Prefixes we may still advertise before the provider's limit (limit "
			   "minus the Adj-RIB-Out), when the router reports its Adj-RIB-Out.",
			   NPEER, l_peer),
	[F_WATCHED] = DEF(METRICS_GAUGE, "circuitwatch_bgp_watched_prefix_present",
			  "1 while a watched prefix (peerings[].watch) is received on the session, "
			  "0 while it is not.",
			  NPEER + 1, l_peer_prefix),
	[F_ROUTER_PEERS] = DEF(METRICS_GAUGE, "circuitwatch_bmp_router_peers",
			       "BGP peers the router reports that are tracked, by session state "
			       "(published or not, see bmp.publish).",
			       2, l_router_state),
	[F_ROUTER_DROPPED] = DEF(METRICS_COUNTER, "circuitwatch_bmp_messages_dropped_total",
				 "BMP messages not applied, by reason (peer_limit: a new peer "
				 "beyond bmp.max_peers_per_router).",
				 2, l_router_reason),
	[F_LINK_UP] = DEF(METRICS_GAUGE, "circuitwatch_link_sessions_up",
			  "Configured neighbours of the link with an established BGP session "
			  "(seen by any source).",
			  2, l_link),
	[F_LINK_CONF] = DEF(METRICS_GAUGE, "circuitwatch_link_sessions_configured",
			    "Configured neighbours of the link.", 2, l_link),
	[F_REDUNDANT] = DEF(METRICS_GAUGE, "circuitwatch_circuit_redundant",
			    "1 while both links of the circuit have every configured neighbour's "
			    "session established, 0 otherwise (circuits with two links only).",
			    1, l_circuit),
};

int model_publish_init(struct model *m, struct metrics_registry *reg)
{
	for (int f = 0; f < F_COUNT; f++) {
		m->fam[f] = metrics_family_new(reg, &defs[f]);
		if (m->fam[f] == NULL)
			return -1;
	}
	return 0;
}

/* ---- publishing ---- */

static void put(struct model *m, enum fam f, const char *const *labels, double v)
{
	struct metrics_series *s = metrics_group_series(m->group, m->fam[f], labels);

	if (s == NULL)
		return;
	if (defs[f].type == METRICS_COUNTER)
		metrics_counter_set(s, v);
	else if (defs[f].type == METRICS_GAUGE)
		metrics_gauge_set(s, v);
}

static void publish_router(struct model *m, const struct model_router *r)
{
	const char *l[] = {r->address};
	const char *info[] = {r->address, r->sys_name, r->sys_descr};

	put(m, F_ROUTER_UP, l, r->connected);
	put(m, F_ROUTER_INFO, info, 1);
	put(m, F_ROUTER_CONNECTS, l, (double)r->connects);
	for (size_t i = 0; i < r->nmsgs; i++) {
		const char *lt[] = {r->address, r->msgs[i].name};

		put(m, F_ROUTER_MSGS, lt, (double)r->msgs[i].n);
	}
	for (size_t i = 0; i < r->nerrors; i++) {
		const char *lr[] = {r->address, r->errors[i].name};

		put(m, F_ROUTER_ERRORS, lr, (double)r->errors[i].n);
	}
}

/* The peer labels followed by up to two more. */
#define WITH(base, ...) \
	{base[0], base[1], base[2], base[3], base[4], base[5], base[6], base[7], __VA_ARGS__}

static void publish_views(struct model *m, const struct model_peer *p, const char *const *pl)
{
	for (int v = 0; v < MODEL_VIEW_COUNT; v++) {
		for (int a = 0; a < MODEL_AF_COUNT; a++) {
			const char *l[] = WITH(pl, model_af_name((enum model_af)a), model_view_name((enum model_view)v));

			if (!p->seen[v][a])
				continue;
			put(m, F_PREFIXES, l, (double)model_prefix_count(p, (enum model_view)v,
								       (enum model_af)a));
			put(m, F_EOR, l, p->eor[v][a]);
		}
	}
}

static void publish_limit(struct model *m, const struct model_peer *p, const char *const *pl)
{
	size_t out = 0;
	bool have_out = false;

	if (p->peering == NULL || p->peering->prefix_limit == 0)
		return;
	put(m, F_LIMIT, pl, p->peering->prefix_limit);
	/* what the provider counts is what we advertise: the Adj-RIB-Out */
	for (int v = MODEL_VIEW_ADJ_OUT_POST; v >= MODEL_VIEW_ADJ_OUT_PRE; v--) {
		if (have_out)
			break;
		for (int a = 0; a < MODEL_AF_COUNT; a++) {
			if (p->seen[v][a]) {
				have_out = true;
				out += model_prefix_count(p, (enum model_view)v, (enum model_af)a);
			}
		}
	}
	if (have_out)
		put(m, F_HEADROOM, pl, (double)p->peering->prefix_limit - (double)out);
}

static void publish_watched(struct model *m, const struct model_peer *p, const char *const *pl)
{
	if (p->peering == NULL)
		return;
	for (size_t i = 0; i < p->peering->nwatch; i++) {
		const struct cfg_prefix *w = &p->peering->watch[i];
		struct rib_prefix rp = {.family = w->family == AF_INET ? 4 : 6, .len = w->len};
		enum model_af af = rp.family == 4 ? MODEL_AF_IPV4_UNICAST : MODEL_AF_IPV6_UNICAST;
		char text[INET6_ADDRSTRLEN + 4], addr[INET6_ADDRSTRLEN];
		const char *l[] = WITH(pl, text);

		memcpy(rp.addr, w->addr, sizeof(rp.addr));
		inet_ntop(w->family, w->addr, addr, sizeof(addr));
		snprintf(text, sizeof(text), "%s/%u", addr, w->len);
		put(m, F_WATCHED, l, model_lookup(p, model_received_view(p, af), af, &rp) != 0);
	}
}

static void publish_peer(struct model *m, const struct model_peer *p)
{
	const char *pl[NPEER] = {
		model_source_name(p->router->source), p->router->address, p->addr_text, p->asn_text, p->rd_text,
		p->circuit ? p->circuit->id : "",
		p->link >= 0 ? cfg_link_role_name((enum cfg_link_role)p->link) : "",
		p->peering ? cfg_peering_type_name(p->peering->type) : ""};

	put(m, F_UP, pl, p->up);
	put(m, F_CHANGES, pl, (double)p->state_changes);
	put(m, F_LAST_CHANGE, pl, p->last_change);
	put(m, F_UPDATES, pl, (double)p->updates);
	put(m, F_ANNOUNCED, pl, (double)p->announced);
	put(m, F_WITHDRAWN, pl, (double)p->withdrawn);
	put(m, F_IMPLICIT, pl, (double)p->implicit);
	publish_views(m, p, pl);
	publish_limit(m, p, pl);
	publish_watched(m, p, pl);
	for (size_t i = 0; i < p->nnotifs; i++) {
		char code[4], sub[4];
		const char *l[] = WITH(pl, code, sub);

		snprintf(code, sizeof(code), "%u", p->notifs[i].code);
		snprintf(sub, sizeof(sub), "%u", p->notifs[i].subcode);
		put(m, F_NOTIFS, l, (double)p->notifs[i].n);
	}
	for (size_t i = 0; i < p->nerrors; i++) {
		const char *l[] = WITH(pl, p->errors[i].name);

		put(m, F_ERRORS, l, (double)p->errors[i].n);
	}
	for (size_t i = 0; i < p->nstats; i++) {
		const struct stat_value *s = &p->stats[i];
		char af[16] = "";

		if (s->afi != 0)
			snprintf(af, sizeof(af), "%u/%u", s->afi, s->safi);
		const char *lg[] = WITH(pl, s->name, af);
		const char *lc[] = WITH(pl, s->name);

		if (s->gauge)
			put(m, F_STAT_GAUGE, lg, (double)s->value);
		else
			put(m, F_STAT_COUNTER, lc, (double)s->value);
	}
}

/* The sessions with a configured peering, of the model and its shards (as
 * of their last publish), sorted by peering and neighbour address: whether a
 * configured neighbour is up (or reported at all) is then one binary search,
 * not a walk over every peer of every router (that walk, once per
 * configured neighbour, was most of a publish at 10,000 peers). */
struct up_sessions {
	struct up_session *v;
	size_t n, cap;
	bool failed; /* memory ran out: every lookup walks the peers */
};

/* Fills up from m and m's shards' last exports. */
static void up_sessions_collect(const struct model *m, struct up_sessions *up)
{
	*up = (struct up_sessions){0};
	up->failed = !model_up_sessions_append(m, &up->v, &up->n, &up->cap);
	for (size_t i = 0; i < m->nshards && !up->failed; i++)
		up->failed = !model_shard_import(m->shards[i], m->ix, &up->v, &up->n, &up->cap);
	if (up->n > 0 && !up->failed)
		qsort(up->v, up->n, sizeof(*up->v), model_up_session_cmp);
}

/* What the sources say of a configured neighbour. */
enum nb_state { NB_UNREPORTED, NB_DOWN, NB_UP };

static enum nb_state neighbour_state_in(const struct model *m, const struct cfg_peering *pe,
					const struct cfg_neighbor *nb)
{
	enum nb_state st = NB_UNREPORTED;

	for (size_t i = 0; i < m->nrouters; i++) {
		const struct model_peer *p, *tmp;

		HASH_ITER(hh, m->routers[i]->peers, p, tmp) {
			if (p->peering == pe && strcmp(p->addr_text, nb->address) == 0)
				st = p->up ? NB_UP : (st == NB_UP ? NB_UP : NB_DOWN);
		}
	}
	return st;
}

/* The best state among the sessions equal to key around the match at. */
static enum nb_state neighbour_state_around(const struct up_sessions *up,
					    const struct up_session *at)
{
	size_t i = (size_t)(at - up->v);

	while (i > 0 && model_up_session_cmp(&up->v[i - 1], at) == 0)
		i--;
	for (; i < up->n && model_up_session_cmp(&up->v[i], at) == 0; i++)
		if (up->v[i].up)
			return NB_UP;
	return NB_DOWN;
}

/* Whether some session of any router or source (of m or its shards) is
 * with the configured neighbour nb of peering pe, and whether one is up. */
static enum nb_state neighbour_state(const struct model *m, const struct up_sessions *up,
				     const struct cfg_peering *pe, const struct cfg_neighbor *nb)
{
	struct up_session key = {.pe = pe};
	const struct up_session *at;
	enum nb_state st;

	if (!up->failed) {
		snprintf(key.addr, sizeof(key.addr), "%s", nb->address);
		at = up->n > 0 ? bsearch(&key, up->v, up->n, sizeof(*up->v), model_up_session_cmp)
			       : NULL;
		return at == NULL ? NB_UNREPORTED : neighbour_state_around(up, at);
	}
	st = neighbour_state_in(m, pe, nb);
	for (size_t i = 0; i < m->nshards && st != NB_UP; i++) {
		enum nb_state s;

		model_lock(m->shards[i]);
		s = neighbour_state_in(m->shards[i], pe, nb);
		model_unlock(m->shards[i]);
		st = s > st ? s : st;
	}
	return st;
}

/* A configured neighbour no source reports: circuitwatch_bgp_session_up 0
 * with source "config", no router and its configured AS number, so that the
 * session-down alert and the dashboards see it. It goes with the next
 * publish once a source reports the neighbour or it leaves the config. */
static void publish_unreported(struct model *m, const struct cfg_circuit *ci, int link,
			       const struct cfg_peering *pe, const struct cfg_neighbor *nb)
{
	char asn[16] = "";

	if (nb->asn != 0)
		snprintf(asn, sizeof(asn), "%u", nb->asn);
	const char *pl[NPEER] = {"config", "", nb->address, asn, "", ci->id,
				 cfg_link_role_name((enum cfg_link_role)link),
				 cfg_peering_type_name(pe->type)};

	put(m, F_UP, pl, 0);
}

/* Per link: configured neighbours and those up; per circuit with two
 * links: redundant when both links have all of theirs up (an IPv6 session
 * down already leaves that family on one link). */
/* Room for the link counts of every circuit of m->ix (false: none kept). */
static bool links_sized(struct model *m)
{
	size_t n = circuit_index_ncircuits(m->ix) * CFG_LINK_COUNT;
	struct model_link_sessions *v;

	m->links_ix = NULL;
	if (n > m->nlinks) {
		if ((v = realloc(m->links, n * sizeof(*v))) == NULL)
			return false;
		m->links = v;
	}
	m->nlinks = n;
	if (n > 0) /* no circuits: links is NULL, which memset may not take */
		memset(m->links, 0, n * sizeof(*m->links));
	m->links_ix = m->ix;
	return true;
}

bool model_link_sessions(const struct model *m, size_t circuit, int link,
			 struct model_link_sessions *out)
{
	size_t i = circuit * CFG_LINK_COUNT + (size_t)link;

	if (m->links_ix == NULL || m->links_ix != m->ix || link < 0 || link >= CFG_LINK_COUNT ||
	    i >= m->nlinks || !m->links[i].present)
		return false;
	*out = m->links[i];
	return true;
}

static void publish_redundancy(struct model *m)
{
	struct up_sessions up;
	bool keep = links_sized(m);

	up_sessions_collect(m, &up);
	for (size_t c = 0; c < circuit_index_ncircuits(m->ix); c++) {
		const struct cfg_circuit *ci = circuit_index_circuit(m->ix, c);
		bool all = true, two = ci->links[CFG_LINK_SECONDARY].present;

		for (int l = 0; l < CFG_LINK_COUNT; l++) {
			const struct cfg_link *lk = &ci->links[l];
			size_t conf = 0, n_up = 0;

			if (!lk->present)
				continue;
			for (size_t pi = 0; pi < lk->npeerings; pi++)
				for (size_t ni = 0; ni < lk->peerings[pi].nneighbors; ni++) {
					const struct cfg_peering *pe = &lk->peerings[pi];
					enum nb_state st = neighbour_state(m, &up, pe, &pe->neighbors[ni]);

					conf++;
					n_up += st == NB_UP;
					if (st == NB_UNREPORTED)
						publish_unreported(m, ci, l, pe, &pe->neighbors[ni]);
				}
			const char *ll[] = {ci->id, cfg_link_role_name((enum cfg_link_role)l)};

			put(m, F_LINK_UP, ll, (double)n_up);
			put(m, F_LINK_CONF, ll, (double)conf);
			if (keep)
				m->links[c * CFG_LINK_COUNT + (size_t)l] =
					(struct model_link_sessions){(unsigned)conf, (unsigned)n_up, true};
			all = all && n_up == conf;
		}
		if (two) {
			const char *cl[] = {ci->id};

			put(m, F_REDUNDANT, cl, all ? 1 : 0);
		}
	}
	free(up.v);
}

/* publish_configured_only (bmp.publish configured): per-peer series only
 * for configured neighbours (the router's aggregate series still count
 * every peer). */
static bool peer_published(const struct model *m, const struct model_router *r,
			   const struct model_peer *p)
{
	return p->circuit != NULL || !m->policy[r->source].publish_configured_only;
}

static void publish_router_peers(struct model *m, const struct model_router *r)
{
	const struct model_peer *p, *tmp;
	size_t up = 0;

	HASH_ITER(hh, r->peers, p, tmp) up += p->up;
	const char *lu[] = {r->address, "up"}, *ld[] = {r->address, "down"};

	put(m, F_ROUTER_PEERS, lu, (double)up);
	put(m, F_ROUTER_PEERS, ld, (double)(r->npeers - up));
	for (size_t i = 0; i < r->ndropped; i++) {
		const char *l[] = {r->address, r->dropped[i].name};

		put(m, F_ROUTER_DROPPED, l, (double)r->dropped[i].n);
	}
}

/* The figures model_memory reads from other threads. */
static void memory_export(struct model *m)
{
	struct rib_memory_use u = rib_memory_use(m->rib);

	atomic_store_explicit(&m->mem_rib, u.tables, memory_order_relaxed);
	atomic_store_explicit(&m->mem_attributes, u.attributes, memory_order_relaxed);
}

void model_publish(struct model *m)
{
	/* routers and configured neighbours first: under the series budget
	 * (prometheus.max_series) they are the ones that must get in */
	for (size_t i = 0; i < m->nrouters; i++) {
		const struct model_router *r = m->routers[i];
		const struct model_peer *p, *tmp;

		if (model_router_is_bmp(r)) { /* a capture input is not a BMP router */
			publish_router(m, r);
			publish_router_peers(m, r);
		}
		HASH_ITER(hh, r->peers, p, tmp) {
			if (p->circuit != NULL)
				publish_peer(m, p);
		}
	}
	if (!m->links_elsewhere)
		publish_redundancy(m);
	for (size_t i = 0; i < m->nrouters; i++) {
		const struct model_router *r = m->routers[i];
		const struct model_peer *p, *tmp;

		HASH_ITER(hh, r->peers, p, tmp) {
			if (p->circuit == NULL && peer_published(m, r, p))
				publish_peer(m, p);
		}
	}
	/* many series gone (a router's peers released): memory back once gc is done */
	if (metrics_group_sweep(m->group) >= MODEL_TRIM_SERIES)
		m->trim = true;
	if (m->links_elsewhere)
		model_shard_export(m);
	memory_export(m);
}

struct model_memory model_memory(const struct model *m)
{
	return (struct model_memory){
		.rib = atomic_load_explicit(&m->mem_rib, memory_order_relaxed),
		.attributes = atomic_load_explicit(&m->mem_attributes, memory_order_relaxed),
	};
}
