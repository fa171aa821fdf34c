/* model.c — routers, peers, RIB views, counters and their metrics. */
#include "model.h"

#include <arpa/inet.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "bmp_config.h"
#include "circuit_config.h"
#include "event.h"
#include "log.h"
#include "metrics.h"

#define TEXT_MAX 256 /* sysName / sysDescr kept for labels */

struct named_count {
	const char *name; /* static string, compared by pointer */
	uint64_t n;
};

struct notif_count {
	uint8_t code, subcode;
	uint64_t n;
};

struct stat_value {
	uint16_t type, afi;
	uint8_t safi;
	bool gauge;
	const char *name;
	uint64_t value;
};

/* The hash key of a peer: fixed bytes, zero padding included. */
struct peer_hkey {
	uint64_t distinguisher;
	uint8_t addr[16];
	uint8_t peer_type;
	uint8_t family;
	uint8_t pad[6];
};

struct model_peer {
	UT_hash_handle hh;
	struct peer_hkey hkey;
	struct model_router *router;
	uint32_t asn, bgp_id;
	bool up;
	double last_change;
	uint64_t state_changes;
	struct rib_table *tables[MODEL_VIEW_COUNT][MODEL_AF_COUNT];
	bool seen[MODEL_VIEW_COUNT][MODEL_AF_COUNT]; /* a view that ever had data */
	bool eor[MODEL_VIEW_COUNT][MODEL_AF_COUNT];
	uint64_t updates, announced, withdrawn, implicit;
	/* grown on demand up to their caps: most peers have none, and a router
	 * may report thousands of peers (3 KB each when fixed) */
	struct named_count *errors; /* MODEL_MAX_REASONS */
	size_t nerrors, errors_cap;
	struct notif_count *notifs; /* MODEL_MAX_NOTIFICATIONS */
	size_t nnotifs, notifs_cap;
	struct stat_value *stats; /* MODEL_MAX_STATS */
	size_t nstats, stats_cap;
	/* mapping to the config, refreshed by model_apply_config */
	const struct cfg_circuit *circuit;
	int link;
	const struct cfg_peering *peering;
	char addr_text[48], asn_text[12], rd_text[32];
	void *aux;
	void (*aux_free)(void *);
	/* events: prefix-limit level and watched-prefix states, for watch_for */
	uint8_t limit_level;
	const struct cfg_peering *watch_for;
	uint8_t *watch_state;
	size_t nwatch_state;
};

struct model_router {
	char *source, *address; /* address: the router label (see model_router_bind) */
	char *host;             /* the source address alone */
	char ident[TEXT_MAX];   /* sysName of the Initiation that bound it, "" without one */
	bool connected;
	uint64_t connects;
	char sys_name[TEXT_MAX], sys_descr[TEXT_MAX];
	struct named_count msgs[16];
	size_t nmsgs;
	struct named_count errors[MODEL_MAX_REASONS];
	size_t nerrors;
	struct model_peer *peers; /* uthash */
	size_t npeers;
	/* peers (issue 12): refusals at the cap, and since when it is gone */
	struct named_count dropped[4];
	size_t ndropped;
	bool gone;         /* seen disconnected by model_expire() ... */
	double gone_since; /* ... since then */
};

enum fam {
	F_ROUTER_UP,
	F_ROUTER_INFO,
	F_ROUTER_CONNECTS,
	F_ROUTER_MSGS,
	F_ROUTER_ERRORS,
	F_UP,
	F_CHANGES,
	F_LAST_CHANGE,
	F_PREFIXES,
	F_EOR,
	F_UPDATES,
	F_ANNOUNCED,
	F_WITHDRAWN,
	F_IMPLICIT,
	F_NOTIFS,
	F_ERRORS,
	F_STAT_COUNTER,
	F_STAT_GAUGE,
	F_LIMIT,
	F_HEADROOM,
	F_WATCHED,
	F_ROUTER_PEERS,
	F_ROUTER_DROPPED,
	F_LINK_UP,
	F_LINK_CONF,
	F_REDUNDANT,
	F_COUNT
};

struct model {
	struct rib *rib;
	struct metrics_registry *reg;
	struct metrics_family *fam[F_COUNT];
	struct metrics_group *group;
	const struct cfg_config *cfg;
	struct model_router **routers;
	size_t nrouters, routers_cap;
	model_event_fn ev_fn;
	void *ev_arg;
	struct watch_entry *watch_idx; /* uthash: (peering, prefix) -> watch index */
	struct log *log;
	struct log_ratelimit peer_cap_rl;
	bool trim; /* much was freed: give it back to the system once gc is done */
};

static void watch_index_free(struct model *m);
static void watch_index_build(struct model *m);
static void events_peer_up(struct model *m, struct model_peer *p, double now, bool restart);
static void events_peer_down(struct model *m, struct model_peer *p, double now,
			     const char *reason, int code, int subcode);
static void events_route(struct model *m, struct model_peer *p, enum model_view view,
			 const struct rib_prefix *prefix);

static const char *const view_names[MODEL_VIEW_COUNT] = {
	"adj-rib-in-pre", "adj-rib-in-post", "adj-rib-out-pre", "adj-rib-out-post", "loc-rib"};
static const char *const af_names[MODEL_AF_COUNT] = {"ipv4-unicast", "ipv6-unicast"};

const char *model_view_name(enum model_view v)
{
	return v < MODEL_VIEW_COUNT ? view_names[v] : "unknown";
}

const char *model_af_name(enum model_af af)
{
	return af < MODEL_AF_COUNT ? af_names[af] : "unknown";
}

/* ---- metric families ---- */

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

struct model *model_new(struct metrics_registry *reg)
{
	struct model *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->reg = reg;
	m->rib = rib_new();
	m->group = metrics_group_new();
	if (m->rib == NULL || m->group == NULL)
		goto fail;
	for (int f = 0; f < F_COUNT; f++) {
		m->fam[f] = metrics_family_new(reg, &defs[f]);
		if (m->fam[f] == NULL)
			goto fail;
	}
	return m;
fail:
	model_free(m);
	return NULL;
}

static void peer_free(struct model *m, struct model_peer *p)
{
	for (int v = 0; v < MODEL_VIEW_COUNT; v++)
		for (int a = 0; a < MODEL_AF_COUNT; a++)
			rib_table_release(m->rib, p->tables[v][a]);
	if (p->aux_free != NULL)
		p->aux_free(p->aux);
	free(p->watch_state);
	free(p->errors);
	free(p->notifs);
	free(p->stats);
	free(p);
}

void model_free(struct model *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nrouters; i++) {
		struct model_router *r = m->routers[i];
		struct model_peer *p, *tmp;

		HASH_ITER(hh, r->peers, p, tmp) {
			HASH_DEL(r->peers, p);
			peer_free(m, p);
		}
		free(r->source);
		free(r->address);
		free(r->host);
		free(r);
	}
	free(m->routers);
	watch_index_free(m);
	metrics_group_free(m->group);
	rib_free(m->rib);
	free(m);
}

/* ---- mapping peers to circuits ---- */

static bool router_matches(const struct model_router *r, const char *want)
{
	return want == NULL || strcmp(want, r->address) == 0 || strcmp(want, r->host) == 0 ||
	       strcmp(want, r->sys_name) == 0;
}

/* Finds the configured neighbour this peer is: same address and ASN, on a
 * link whose router (when given) is this router. ASN 0 means not known (a
 * capture that started after the OPENs; RFC 7607: AS 0 is never a peer's),
 * and then the address decides. */
struct peer_map {
	const struct cfg_circuit *circuit;
	int link;
	const struct cfg_peering *peering;
};

static bool neighbour_matches(const struct cfg_neighbor *nb, const struct peer_hkey *hk,
			      uint32_t asn)
{
	size_t alen = nb->family == AF_INET ? 4 : 16;

	return (nb->family == AF_INET ? 4 : 6) == hk->family &&
	       memcmp(nb->addr, hk->addr, alen) == 0 && (asn == 0 || nb->asn == asn);
}

/* The configured neighbour a peer (key, ASN) of router r is, if any. */
static bool find_neighbour(const struct cfg_config *cfg, const struct model_router *r,
			   const struct peer_hkey *hk, uint32_t asn, struct peer_map *out)
{
	for (size_t c = 0; cfg != NULL && c < circuit_config(cfg)->ncircuits; c++) {
		const struct cfg_circuit *ci = &circuit_config(cfg)->circuits[c];

		for (int l = 0; l < CFG_LINK_COUNT; l++) {
			const struct cfg_link *lk = &ci->links[l];

			if (!lk->present || !router_matches(r, lk->router))
				continue;
			for (size_t q = 0; q < lk->npeerings; q++) {
				const struct cfg_peering *pe = &lk->peerings[q];

				for (size_t n = 0; n < pe->nneighbors; n++) {
					if (!neighbour_matches(&pe->neighbors[n], hk, asn))
						continue;
					*out = (struct peer_map){ci, l, pe};
					return true;
				}
			}
		}
	}
	return false;
}

static void map_peer(const struct cfg_config *cfg, struct model_peer *p)
{
	struct peer_map pm = {NULL, -1, NULL};

	(void)find_neighbour(cfg, p->router, &p->hkey, p->asn, &pm);
	p->circuit = pm.circuit;
	p->link = pm.link;
	p->peering = pm.peering;
}

static void map_router(const struct cfg_config *cfg, struct model_router *r)
{
	struct model_peer *p, *tmp;

	HASH_ITER(hh, r->peers, p, tmp) map_peer(cfg, p);
}

void model_apply_config(struct model *m, const struct cfg_config *cfg)
{
	m->cfg = cfg;
	for (size_t i = 0; i < m->nrouters; i++)
		map_router(cfg, m->routers[i]);
	watch_index_build(m);
}

/* ---- routers ---- */

static struct model_router *router_new(struct model *m, const char *source, const char *host,
				       const char *label, const char *ident)
{
	struct model_router *r;

	if (m->nrouters >= MODEL_MAX_ROUTERS)
		return NULL;
	if (m->nrouters == m->routers_cap) {
		size_t cap = m->routers_cap ? m->routers_cap * 2 : 8;
		struct model_router **v = realloc(m->routers, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		m->routers = v;
		m->routers_cap = cap;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->source = strdup(source);
	r->address = strdup(label);
	r->host = strdup(host);
	if (r->source == NULL || r->address == NULL || r->host == NULL) {
		free(r->source);
		free(r->address);
		free(r->host);
		free(r);
		return NULL;
	}
	snprintf(r->ident, sizeof(r->ident), "%s", ident);
	m->routers[m->nrouters++] = r;
	return r;
}

struct model_router *model_router_get(struct model *m, const char *source, const char *address)
{
	for (size_t i = 0; i < m->nrouters; i++) {
		struct model_router *r = m->routers[i];

		if (strcmp(r->source, source) == 0 && strcmp(r->address, address) == 0)
			return r;
	}
	return router_new(m, source, address, address, "");
}

struct model_router *model_router_bind(struct model *m, const char *source, const char *host,
				       const char *sys_name)
{
	struct model_router *idle = NULL;
	char label[INET6_ADDRSTRLEN + TEXT_MAX + 1];
	bool host_used = false;

	for (size_t i = 0; i < m->nrouters; i++) {
		struct model_router *r = m->routers[i];

		if (strcmp(r->source, source) != 0 || strcmp(r->host, host) != 0)
			continue;
		if (strncmp(r->ident, sys_name, sizeof(r->ident) - 1) == 0)
			return r; /* the same router, live (a takeover) or not */
		if (strcmp(r->address, host) == 0)
			host_used = true;
		/* a router without a live session: renamed, it keeps its label */
		if (!r->connected && (idle == NULL || strcmp(r->address, host) == 0))
			idle = r;
	}
	if (idle != NULL) {
		snprintf(idle->ident, sizeof(idle->ident), "%s", sys_name);
		return idle;
	}
	/* another router with a live session has this address: tell them apart */
	if (host_used)
		snprintf(label, sizeof(label), "%s/%s", host, sys_name[0] ? sys_name : "-");
	else
		snprintf(label, sizeof(label), "%s", host);
	return router_new(m, source, host, label, sys_name);
}

bool model_router_is_connected(const struct model_router *r)
{
	return r->connected;
}

const char *model_router_label(const struct model_router *r)
{
	return r->address;
}

void model_router_connected(struct model *m, struct model_router *r, double now)
{
	(void)m;
	(void)now;
	r->connected = true;
	r->connects++;
}

void model_router_disconnected(struct model *m, struct model_router *r, double now)
{
	struct model_peer *p, *tmp;

	r->connected = false;
	HASH_ITER(hh, r->peers, p, tmp) model_peer_down(m, p, now, "router-disconnected", -1, 0);
}

static void copy_text(char *dst, const char *src, size_t len)
{
	size_t n = len < TEXT_MAX - 1 ? len : TEXT_MAX - 1;

	memcpy(dst, src, n);
	dst[n] = '\0';
}

void model_router_set_info(struct model_router *r, const char *sys_name, size_t name_len,
			   const char *sys_descr, size_t descr_len)
{
	if (sys_name != NULL)
		copy_text(r->sys_name, sys_name, name_len);
	if (sys_descr != NULL)
		copy_text(r->sys_descr, sys_descr, descr_len);
}

/* Counts name in a small table; a name that does not fit goes to the last
 * slot's count under "other" so that nothing counted is lost. */
static void count_name(struct named_count *v, size_t *n, size_t cap, const char *name)
{
	for (size_t i = 0; i < *n; i++) {
		if (v[i].name == name) {
			v[i].n++;
			return;
		}
	}
	if (*n < cap) {
		v[*n].name = name;
		v[*n].n = 1;
		(*n)++;
		return;
	}
	v[cap - 1].name = "other";
	v[cap - 1].n++;
}

void model_router_count_msg(struct model_router *r, const char *type)
{
	count_name(r->msgs, &r->nmsgs, sizeof(r->msgs) / sizeof(r->msgs[0]), type);
}

void model_router_count_error(struct model_router *r, const char *reason)
{
	count_name(r->errors, &r->nerrors, MODEL_MAX_REASONS, reason);
}

/* ---- peers ---- */

/* Room for element n of a peer's array *v (of *cap elements of size each),
 * grown up to max; false when at max or out of memory. */
static bool reserve(void **v, size_t *cap, size_t n, size_t max, size_t size)
{
	size_t c;
	void *nv;

	if (n < *cap)
		return true;
	if (*cap >= max)
		return false;
	c = *cap != 0 ? *cap * 2 : 4;
	c = c < max ? c : max;
	nv = realloc(*v, c * size);
	if (nv == NULL)
		return false;
	*v = nv;
	*cap = c;
	return true;
}

static void format_rd(uint64_t rd, char *out, size_t n)
{
	unsigned type = (unsigned)(rd >> 48);
	uint64_t v = rd & 0xffffffffffffull;

	if (rd == 0)
		out[0] = '\0';
	else if (type == 0) /* RFC 4364 §4.2: 2-octet ASN : 4-octet number */
		snprintf(out, n, "%u:%u", (unsigned)(v >> 32), (unsigned)(v & 0xffffffffu));
	else if (type == 1) /* IPv4 address : 2-octet number */
		snprintf(out, n, "%u.%u.%u.%u:%u", (unsigned)(v >> 40) & 255,
			 (unsigned)(v >> 32) & 255, (unsigned)(v >> 24) & 255,
			 (unsigned)(v >> 16) & 255, (unsigned)(v & 0xffff));
	else if (type == 2) /* 4-octet ASN : 2-octet number */
		snprintf(out, n, "%u:%u", (unsigned)(v >> 16), (unsigned)(v & 0xffff));
	else
		snprintf(out, n, "0x%016llx", (unsigned long long)rd);
}

static const char peer_limit[] = "peer_limit";

static bool is_bmp(const struct model_router *r)
{
	return strcmp(r->source, "bmp") == 0;
}

/* Peers a router may have: bmp.max_peers_per_router for BMP routers, the
 * model's own cap for other sources (and without a config). */
static size_t peer_cap(const struct model *m, const struct model_router *r)
{
	if (m->cfg != NULL && is_bmp(r) && bmp_config(m->cfg)->max_peers_per_router != 0)
		return bmp_config(m->cfg)->max_peers_per_router;
	return MODEL_MAX_PEERS_PER_ROUTER;
}

/* A message for a new peer beyond the cap: dropped, counted per router,
 * logged rate-limited (a router with thousands of peers sends many). */
static void refuse_peer(struct model *m, struct model_router *r, const struct peer_hkey *hk,
			size_t cap)
{
	char addr[INET6_ADDRSTRLEN], lim[24];

	count_name(r->dropped, &r->ndropped, sizeof(r->dropped) / sizeof(r->dropped[0]),
		   peer_limit);
	if (m->log == NULL)
		return;
	inet_ntop(hk->family == 4 ? AF_INET : AF_INET6, hk->addr, addr, sizeof(addr));
	snprintf(lim, sizeof(lim), "%zu", cap);
	log_kv_limited(m->log, &m->peer_cap_rl, LOG_LVL_WARN,
		       "peer refused: the router reports more peers than allowed; its messages "
		       "for this peer are dropped",
		       "source", r->source, "router", r->address, "peer", addr,
		       "max_peers_per_router", lim, (const char *)NULL);
}

struct model_peer *model_peer_get(struct model *m, struct model_router *r,
				  const struct model_peer_key *key, uint32_t asn, uint32_t bgp_id)
{
	size_t cap;
	struct peer_hkey hk;
	struct model_peer *p;

	memset(&hk, 0, sizeof(hk));
	hk.distinguisher = key->distinguisher;
	hk.peer_type = key->peer_type;
	hk.family = key->family;
	memcpy(hk.addr, key->addr, key->family == 4 ? 4 : 16);
	HASH_FIND(hh, r->peers, &hk, sizeof(hk), p);
	if (p != NULL) {
		if (p->asn != asn) {
			/* the same address with another AS is the same session re-homed */
			p->asn = asn;
			snprintf(p->asn_text, sizeof(p->asn_text), "%u", asn);
			map_peer(m->cfg, p);
		}
		p->bgp_id = bgp_id;
		return p;
	}
	cap = peer_cap(m, r);
	/* configured neighbours are always let in: the config bounds them, and
	 * a flood of other peers must not hide a circuit's session */
	if (r->npeers >= cap && !find_neighbour(m->cfg, r, &hk, asn, &(struct peer_map){0})) {
		refuse_peer(m, r, &hk, cap);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->hkey = hk;
	p->router = r;
	p->asn = asn;
	p->bgp_id = bgp_id;
	p->link = -1;
	inet_ntop(key->family == 4 ? AF_INET : AF_INET6, hk.addr, p->addr_text,
		  sizeof(p->addr_text));
	snprintf(p->asn_text, sizeof(p->asn_text), "%u", asn);
	format_rd(hk.distinguisher, p->rd_text, sizeof(p->rd_text));
	map_peer(m->cfg, p);
	HASH_ADD(hh, r->peers, hkey, sizeof(hk), p);
	r->npeers++;
	return p;
}

void *model_peer_aux(struct model_peer *p)
{
	return p->aux;
}

void model_peer_set_aux(struct model_peer *p, void *aux, void (*free_fn)(void *))
{
	if (p->aux_free != NULL && p->aux != aux)
		p->aux_free(p->aux);
	p->aux = aux;
	p->aux_free = free_fn;
}

bool model_peer_is_up(const struct model_peer *p)
{
	return p->up;
}

static void clear_views(struct model *m, struct model_peer *p)
{
	for (int v = 0; v < MODEL_VIEW_COUNT; v++) {
		for (int a = 0; a < MODEL_AF_COUNT; a++) {
			rib_table_release(m->rib, p->tables[v][a]);
			p->tables[v][a] = NULL;
			p->eor[v][a] = false;
		}
	}
}

void model_peer_up(struct model *m, struct model_peer *p, double now)
{
	bool restart = p->up;

	if (p->up) {
		/* a second Peer Up without a Peer Down: the session restarted */
		clear_views(m, p);
	} else {
		p->state_changes++;
	}
	p->up = true;
	p->last_change = now;
	events_peer_up(m, p, now, restart);
}

/* count: the NOTIFICATION, if any, goes on p's series (see model.h). */
static void peer_down(struct model *m, struct model_peer *p, double now, const char *reason,
		      int notif_code, int notif_subcode, bool count)
{
	bool was_up = p->up;

	clear_views(m, p);
	if (was_up)
		events_peer_down(m, p, now, reason, notif_code, notif_subcode);
	if (notif_code >= 0 && count) {
		size_t i;

		for (i = 0; i < p->nnotifs; i++)
			if (p->notifs[i].code == notif_code && p->notifs[i].subcode == notif_subcode)
				break;
		if (i == p->nnotifs &&
		    reserve((void **)&p->notifs, &p->notifs_cap, p->nnotifs, MODEL_MAX_NOTIFICATIONS,
			    sizeof(*p->notifs)))
			p->notifs[p->nnotifs++] =
				(struct notif_count){(uint8_t)notif_code, (uint8_t)notif_subcode, 0};
		if (i < p->nnotifs)
			p->notifs[i].n++;
	}
	if (p->up) {
		p->state_changes++;
		p->last_change = now;
	}
	p->up = false;
}

void model_peer_down(struct model *m, struct model_peer *p, double now, const char *reason,
		     int notif_code, int notif_subcode)
{
	peer_down(m, p, now, reason, notif_code, notif_subcode, true);
}

void model_peer_down_notified(struct model *m, struct model_peer *p, double now,
			      const char *reason, int notif_code, int notif_subcode)
{
	peer_down(m, p, now, reason, notif_code, notif_subcode, false);
}

void model_peer_count_error(struct model_peer *p, const char *reason)
{
	size_t i;

	for (i = 0; i < p->nerrors && p->errors[i].name != reason; i++)
		;
	if (i < p->nerrors || reserve((void **)&p->errors, &p->errors_cap, p->nerrors,
				      MODEL_MAX_REASONS, sizeof(*p->errors)))
		count_name(p->errors, &p->nerrors, p->errors_cap, reason);
	else if (p->nerrors > 0) /* at the cap (or out of memory): "other" */
		count_name(p->errors, &p->nerrors, p->nerrors, reason);
}

void model_peer_count_update(struct model_peer *p)
{
	p->updates++;
}

void model_peer_stat(struct model_peer *p, uint16_t type, const char *name, uint16_t afi,
		     uint8_t safi, uint64_t value, bool gauge)
{
	size_t i;

	for (i = 0; i < p->nstats; i++) {
		struct stat_value *s = &p->stats[i];

		if (s->type == type && s->afi == afi && s->safi == safi)
			break;
	}
	if (i == p->nstats) {
		if (!reserve((void **)&p->stats, &p->stats_cap, p->nstats, MODEL_MAX_STATS,
			     sizeof(*p->stats)))
			return;
		p->nstats++;
	}
	p->stats[i] = (struct stat_value){type, afi, safi, gauge, name, value};
}

/* ---- routes ---- */

rib_attr_id model_attrs_intern(struct model *m, const uint8_t *bytes, size_t len)
{
	return rib_attrs_intern(m->rib, bytes, len);
}

void model_attrs_unref(struct model *m, rib_attr_id id)
{
	rib_attrs_unref(m->rib, id);
}

/* count: announcements, withdrawals and implicit withdrawals go on p's
 * counters (see model.h). */
static enum rib_change route(struct model *m, struct model_peer *p, enum model_view view,
			     enum model_af af, const struct rib_prefix *prefix, rib_attr_id attrs,
			     bool count)
{
	struct rib_table **t = &p->tables[view][af];
	enum rib_change c;

	if (attrs == 0) {
		p->withdrawn += count;
		c = *t == NULL ? RIB_ABSENT : rib_withdraw(m->rib, *t, prefix);
		if (c != RIB_ABSENT && m->ev_fn != NULL)
			events_route(m, p, view, prefix);
		return c;
	}
	p->announced += count;
	if (*t == NULL) {
		*t = rib_table_new(m->rib, prefix->family);
		if (*t == NULL)
			return RIB_FULL;
	}
	p->seen[view][af] = true;
	c = rib_announce(m->rib, *t, prefix, attrs);
	if (c == RIB_REPLACED)
		p->implicit += count;
	if (c == RIB_ADDED && m->ev_fn != NULL)
		events_route(m, p, view, prefix);
	return c;
}

enum rib_change model_route(struct model *m, struct model_peer *p, enum model_view view,
			    enum model_af af, const struct rib_prefix *prefix, rib_attr_id attrs)
{
	return route(m, p, view, af, prefix, attrs, true);
}

enum rib_change model_route_uncounted(struct model *m, struct model_peer *p,
				      enum model_view view, enum model_af af,
				      const struct rib_prefix *prefix, rib_attr_id attrs)
{
	return route(m, p, view, af, prefix, attrs, false);
}

void model_end_of_rib(struct model_peer *p, enum model_view view, enum model_af af)
{
	p->eor[view][af] = true;
	p->seen[view][af] = true;
}

size_t model_prefix_count(const struct model_peer *p, enum model_view view, enum model_af af)
{
	return p->tables[view][af] ? rib_table_count(p->tables[view][af]) : 0;
}

rib_attr_id model_lookup(const struct model_peer *p, enum model_view view, enum model_af af,
			 const struct rib_prefix *prefix)
{
	return p->tables[view][af] ? rib_lookup(p->tables[view][af], prefix) : 0;
}

size_t model_gc(struct model *m)
{
	size_t left = rib_gc(m->rib, MODEL_GC_BUDGET);

	if (left > 0) {
		m->trim = true;
	} else if (m->trim) {
		/* freed memory stays in the allocator's arenas: hand it back, once
		 * everything pending is released (one pass over the free lists) */
		m->trim = false;
#ifdef __GLIBC__
		(void)malloc_trim(0);
#endif
	}
	return left;
}

void model_set_log(struct model *m, struct log *lg)
{
	m->log = lg;
}

/* Whether a peer is kept for a router that went away: a configured
 * neighbour's series stay (session_up 0 is what alerts look for). */
static bool peer_kept_when_gone(const struct model_peer *p)
{
	return p->circuit != NULL;
}

static void release_gone_peers(struct model *m, struct model_router *r)
{
	struct model_peer *p, *tmp;

	HASH_ITER(hh, r->peers, p, tmp) {
		if (peer_kept_when_gone(p))
			continue;
		HASH_DEL(r->peers, p);
		r->npeers--;
		peer_free(m, p);
		m->trim = true;
	}
}

size_t model_expire(struct model *m, double now)
{
	double keep = m->cfg != NULL ? (double)bmp_config(m->cfg)->peer_retention_s : MODEL_RETENTION_S;
	size_t released = 0;

	for (size_t i = 0; i < m->nrouters; i++) {
		struct model_router *r = m->routers[i];
		size_t before = r->npeers;

		if (!is_bmp(r) || r->connected) {
			r->gone = false;
			continue;
		}
		if (!r->gone) {
			r->gone = true;
			r->gone_since = now;
		}
		if (now - r->gone_since < keep)
			continue;
		release_gone_peers(m, r);
		if (before > r->npeers && m->log != NULL) {
			char n[24];

			snprintf(n, sizeof(n), "%zu", before - r->npeers);
			log_info(m->log, "released the peers of a gone router that are no configured "
				 "neighbour (bmp.peer_retention)", "router", r->address, "peers", n);
		}
		released += before - r->npeers;
	}
	return released;
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
#define WITH(base, ...) {base[0], base[1], base[2], base[3], base[4], base[5], base[6], base[7], __VA_ARGS__}

static void publish_views(struct model *m, const struct model_peer *p, const char *const *pl)
{
	for (int v = 0; v < MODEL_VIEW_COUNT; v++) {
		for (int a = 0; a < MODEL_AF_COUNT; a++) {
			const char *l[] = WITH(pl, af_names[a], view_names[v]);

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

/* The received view a watched prefix is looked up in: post-policy when the
 * router reports it, else pre-policy, else the Loc-RIB. */
static enum model_view received_view(const struct model_peer *p, enum model_af af)
{
	if (p->seen[MODEL_VIEW_ADJ_IN_POST][af])
		return MODEL_VIEW_ADJ_IN_POST;
	if (p->seen[MODEL_VIEW_ADJ_IN_PRE][af])
		return MODEL_VIEW_ADJ_IN_PRE;
	return MODEL_VIEW_LOC_RIB;
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
		put(m, F_WATCHED, l, model_lookup(p, received_view(p, af), af, &rp) != 0);
	}
}

static void publish_peer(struct model *m, const struct model_peer *p)
{
	const char *pl[NPEER] = {
		p->router->source, p->router->address, p->addr_text, p->asn_text, p->rd_text,
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

/* Whether some established session of any router or source is with the
 * configured neighbour nb of peering pe. */
static bool neighbour_up(const struct model *m, const struct cfg_peering *pe,
			 const struct cfg_neighbor *nb)
{
	for (size_t i = 0; i < m->nrouters; i++) {
		const struct model_peer *p, *tmp;

		HASH_ITER(hh, m->routers[i]->peers, p, tmp) {
			if (p->peering == pe && p->up && strcmp(p->addr_text, nb->address) == 0)
				return true;
		}
	}
	return false;
}

/* Per link: configured neighbours and those up; per circuit with two
 * links: redundant when both links have all of theirs up (an IPv6 session
 * down already leaves that family on one link). */
static void publish_redundancy(struct model *m)
{
	for (size_t c = 0; m->cfg != NULL && c < circuit_config(m->cfg)->ncircuits; c++) {
		const struct cfg_circuit *ci = &circuit_config(m->cfg)->circuits[c];
		bool all = true, two = ci->links[CFG_LINK_SECONDARY].present;

		for (int l = 0; l < CFG_LINK_COUNT; l++) {
			const struct cfg_link *lk = &ci->links[l];
			size_t conf = 0, up = 0;

			if (!lk->present)
				continue;
			for (size_t pi = 0; pi < lk->npeerings; pi++)
				for (size_t ni = 0; ni < lk->peerings[pi].nneighbors; ni++) {
					conf++;
					up += neighbour_up(m, &lk->peerings[pi],
							   &lk->peerings[pi].neighbors[ni]);
				}
			const char *ll[] = {ci->id, cfg_link_role_name((enum cfg_link_role)l)};

			put(m, F_LINK_UP, ll, (double)up);
			put(m, F_LINK_CONF, ll, (double)conf);
			all = all && up == conf;
		}
		if (two) {
			const char *cl[] = {ci->id};

			put(m, F_REDUNDANT, cl, all ? 1 : 0);
		}
	}
}

/* bmp.publish configured: per-peer series only for configured neighbours
 * (the router's aggregate series still count every peer). */
static bool peer_published(const struct model *m, const struct model_router *r,
			   const struct model_peer *p)
{
	return p->circuit != NULL || m->cfg == NULL || !is_bmp(r) ||
	       bmp_config(m->cfg)->publish != CFG_BMP_PUBLISH_CONFIGURED;
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

void model_publish(struct model *m)
{
	/* routers and configured neighbours first: under the series budget
	 * (prometheus.max_series) they are the ones that must get in */
	for (size_t i = 0; i < m->nrouters; i++) {
		const struct model_router *r = m->routers[i];
		const struct model_peer *p, *tmp;

		if (is_bmp(r)) { /* a capture input is not a BMP router */
			publish_router(m, r);
			publish_router_peers(m, r);
		}
		HASH_ITER(hh, r->peers, p, tmp) {
			if (p->circuit != NULL)
				publish_peer(m, p);
		}
	}
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
}

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

static void watch_index_free(struct model *m)
{
	struct watch_entry *e, *tmp;

	HASH_ITER(hh, m->watch_idx, e, tmp) {
		HASH_DEL(m->watch_idx, e);
		free(e);
	}
}

/* Every watched prefix of every peering, so that a route change finds in
 * O(1) whether it touches one (a full table must not pay per watch). */
static void watch_index_build(struct model *m)
{
	watch_index_free(m);
	for (size_t c = 0; m->cfg != NULL && c < circuit_config(m->cfg)->ncircuits; c++) {
		for (int l = 0; l < CFG_LINK_COUNT; l++) {
			const struct cfg_link *lk = &circuit_config(m->cfg)->circuits[c].links[l];

			for (size_t q = 0; lk->present && q < lk->npeerings; q++) {
				const struct cfg_peering *pe = &lk->peerings[q];

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
	}
}

static bool watched_present(const struct model_peer *p, size_t i)
{
	const struct cfg_prefix *w = &p->peering->watch[i];
	struct rib_prefix rp = {.family = w->family == AF_INET ? 4 : 6, .len = w->len};
	enum model_af af = rp.family == 4 ? MODEL_AF_IPV4_UNICAST : MODEL_AF_IPV6_UNICAST;

	memcpy(rp.addr, w->addr, sizeof(rp.addr));
	return model_lookup(p, received_view(p, af), af, &rp) != 0;
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
	if (strcmp(r->source, "bmp") == 0)
		return CW_SRC_BMP;
	if (strcmp(r->source, "pcap") == 0)
		return CW_SRC_PCAP;
	return CW_SRC_UNSPECIFIED;
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

static void events_peer_up(struct model *m, struct model_peer *p, double now, bool restart)
{
	struct cw_event *ev;

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

/* RFC 7854 §4.9 reason number of a BMP Peer Down reason name, or 0. */
static uint32_t bmp_reason_number(const char *reason)
{
	static const char *const names[] = {NULL, "local-notification", "local-fsm-event",
					    "remote-notification", "remote-no-data",
					    "peer-deconfigured", "local-tlv"};

	for (uint32_t i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(reason, names[i]) == 0)
			return i;
	return 0;
}

static void down_reason(struct cw_event *ev, const struct model_peer *p, const char *reason,
			int code, int subcode)
{
	ev->has_reason = true;
	cw_event_set(ev->reason.text, reason);
	if (code > 0) { /* RFC 4271 §4.5: error codes start at 1 */
		ev->reason.notif_code = (uint32_t)code;
		ev->reason.notif_subcode = (uint32_t)subcode;
	}
	if (strcmp(reason, "router-disconnected") == 0)
		ev->reason.kind = CW_REASON_ROUTER_DISCONNECTED;
	else if (source_of(p->router) == CW_SRC_BMP && bmp_reason_number(reason) != 0) {
		ev->reason.kind = CW_REASON_BMP_PEER_DOWN;
		ev->reason.bmp_reason = bmp_reason_number(reason);
	} else if (code == 4) /* RFC 4271 §6.5: Hold Timer Expired */
		ev->reason.kind = CW_REASON_HOLD_TIMER;
	else if (code > 0 || strcmp(reason, "notification") == 0)
		ev->reason.kind = CW_REASON_NOTIFICATION;
	else if (strcmp(reason, "fin") == 0 || strcmp(reason, "rst") == 0)
		ev->reason.kind = CW_REASON_TCP_CLOSE;
	else if (strstr(reason, "hold") != NULL)
		ev->reason.kind = CW_REASON_HOLD_TIMER;
	else
		ev->reason.kind = CW_REASON_OTHER;
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

static void events_peer_down(struct model *m, struct model_peer *p, double now,
			     const char *reason, int code, int subcode)
{
	struct cw_event *ev;

	if (m->ev_fn == NULL || (ev = malloc(sizeof(*ev))) == NULL)
		return;
	event_of_peer(ev, p, CW_EV_BGP_SESSION_DOWN, CW_SEV_CRITICAL, now);
	down_reason(ev, p, reason != NULL ? reason : "", code, subcode);
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

static void events_route(struct model *m, struct model_peer *p, enum model_view view,
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
