/* model.c — routers and their peers: identity, state (up/down), counters
 * and RIB views. The mapping of peers to circuits is mapping.c, metrics
 * publish.c, events model_events.c, release of memory and peers expire.c. */
#include "model.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "model_priv.h"

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

const char *model_source_name(enum model_source s)
{
	static const char *const names[MODEL_SRC_COUNT] = {"bmp", "pcap"};

	return (unsigned)s < MODEL_SRC_COUNT ? names[s] : "unknown";
}

struct model *model_alloc(struct metrics_registry *reg)
{
	struct model *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->reg = reg;
	for (int i = 0; i < MODEL_SRC_COUNT; i++)
		m->policy[i] = (struct model_source_policy){.peer_retention_s = MODEL_RETENTION_S};
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		return NULL;
	}
	m->lock_made = true;
	if (pthread_mutex_init(&m->snap_lock, NULL) != 0) {
		model_free(m);
		return NULL;
	}
	m->snap_lock_made = true;
	m->rib = rib_new();
	m->group = metrics_group_new();
	if (m->rib == NULL || m->group == NULL) {
		model_free(m);
		return NULL;
	}
	return m;
}

struct model *model_new(struct metrics_registry *reg)
{
	struct model *m = model_alloc(reg);

	if (m != NULL && model_publish_init(m, reg) != 0) {
		model_free(m);
		return NULL;
	}
	return m;
}

void model_peer_free(struct model *m, struct model_peer *p)
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
			model_peer_free(m, p);
		}
		free(r->address);
		free(r->host);
		free(r);
	}
	free(m->routers);
	model_watch_index_free(m);
	circuit_index_free(m->own_ix);
	metrics_group_free(m->group);
	rib_free(m->rib);
	if (m->lock_made)
		pthread_mutex_destroy(&m->lock);
	if (m->snap_lock_made)
		pthread_mutex_destroy(&m->snap_lock);
	free(m->snap);
	free(m->links);
	free(m);
}

/* ---- routers ---- */

static struct model_router *router_new(struct model *m, enum model_source source,
				       const char *host, const char *label, const char *ident)
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
	r->source = source;
	r->address = strdup(label);
	r->host = strdup(host);
	if (r->address == NULL || r->host == NULL) {
		free(r->address);
		free(r->host);
		free(r);
		return NULL;
	}
	snprintf(r->ident, sizeof(r->ident), "%s", ident);
	m->routers[m->nrouters++] = r;
	return r;
}

struct model_router *model_router_get(struct model *m, enum model_source source,
				      const char *address)
{
	for (size_t i = 0; i < m->nrouters; i++) {
		struct model_router *r = m->routers[i];

		if (r->source == source && strcmp(r->address, address) == 0)
			return r;
	}
	return router_new(m, source, address, address, "");
}

struct model_router *model_router_bind(struct model *m, enum model_source source,
				       const char *host, const char *sys_name)
{
	struct model_router *idle = NULL;
	char label[INET6_ADDRSTRLEN + TEXT_MAX + 1];
	bool host_used = false;

	for (size_t i = 0; i < m->nrouters; i++) {
		struct model_router *r = m->routers[i];

		if (r->source != source || strcmp(r->host, host) != 0)
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
	static const struct model_down gone = {MODEL_DOWN_ROUTER_DISCONNECTED, 0, -1, 0};
	struct model_peer *p, *tmp;

	r->connected = false;
	HASH_ITER(hh, r->peers, p, tmp) model_peer_down(m, p, now, &gone);
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

bool model_router_is_bmp(const struct model_router *r)
{
	return r->source == MODEL_SRC_BMP;
}

void model_set_source_policy(struct model *m, enum model_source source,
			     const struct model_source_policy *policy)
{
	if ((unsigned)source < MODEL_SRC_COUNT)
		m->policy[source] = *policy;
}

/* Peers a router may have: its source's policy, else the model's own cap. */
static size_t peer_cap(const struct model *m, const struct model_router *r)
{
	unsigned cap = m->policy[r->source].max_peers_per_router;

	return cap != 0 ? cap : MODEL_MAX_PEERS_PER_ROUTER;
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
		       "source", model_source_name(r->source), "router", r->address, "peer", addr,
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
			model_map_peer(m->ix, p);
		}
		p->bgp_id = bgp_id;
		return p;
	}
	cap = peer_cap(m, r);
	/* configured neighbours are always let in: the config bounds them, and
	 * a flood of other peers must not hide a circuit's session */
	if (r->npeers >= cap && !model_find_neighbour(m->ix, r, &hk, asn, &(struct peer_map){0})) {
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
	model_map_peer(m->ix, p);
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

/* Whether p holds a table (an empty one included): what CLEARED tells. */
static bool has_tables(const struct model_peer *p)
{
	for (int v = 0; v < MODEL_VIEW_COUNT; v++)
		for (int a = 0; a < MODEL_AF_COUNT; a++)
			if (p->tables[v][a] != NULL)
				return true;
	return false;
}

static void clear_views(struct model *m, struct model_peer *p)
{
	const struct stream_sink *s = model_stream(m);

	if (s != NULL && has_tables(p))
		model_stream_mark(m, s, p, STREAM_MARK_CLEARED, NULL);
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
	const struct stream_sink *s;

	if (p->up) {
		/* a second Peer Up without a Peer Down: the session restarted */
		clear_views(m, p);
	} else {
		p->state_changes++;
	}
	p->up = true;
	p->last_change = now;
	if ((s = model_stream(m)) != NULL)
		model_stream_mark(m, s, p, STREAM_MARK_UP,
				  &(struct stream_peer_mark){.restart = restart, .reason = "",
							     .notif_code = -1,
							     .time_ns = (int64_t)(now * 1e9)});
	model_events_peer_up(m, p, now, restart);
}

static void stream_down(struct model *m, struct model_peer *p, double now,
			const struct model_down *why)
{
	const struct stream_sink *s = model_stream(m);

	if (s == NULL)
		return;
	model_stream_mark(m, s, p, STREAM_MARK_DOWN,
			  &(struct stream_peer_mark){.reason = model_down_text(why),
						     .bmp_reason = why->bmp_reason,
						     .notif_code = why->notif_code,
						     .notif_subcode = why->notif_subcode,
						     .time_ns = (int64_t)(now * 1e9)});
}

/* count: the NOTIFICATION, if any, goes on p's series (see model.h). */
static void peer_down(struct model *m, struct model_peer *p, double now,
		      const struct model_down *why, bool count)
{
	int notif_code = why->notif_code, notif_subcode = why->notif_subcode;
	bool was_up = p->up;

	clear_views(m, p);
	if (was_up)
		stream_down(m, p, now, why);
	if (was_up)
		model_events_peer_down(m, p, now, why);
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

void model_peer_down(struct model *m, struct model_peer *p, double now,
		     const struct model_down *why)
{
	peer_down(m, p, now, why, true);
}

void model_peer_down_notified(struct model *m, struct model_peer *p, double now,
			      const struct model_down *why)
{
	peer_down(m, p, now, why, false);
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
	const struct stream_sink *s = model_stream(m);
	enum rib_change c;

	if (attrs == 0) {
		p->withdrawn += count;
		c = *t == NULL ? RIB_ABSENT : rib_withdraw(m->rib, *t, prefix);
		if (s != NULL)
			model_stream_route(m, s, p, view, af, prefix, 0, c);
		if (c != RIB_ABSENT && m->ev_fn != NULL)
			model_events_route(m, p, view, prefix);
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
	if (s != NULL)
		model_stream_route(m, s, p, view, af, prefix, attrs, c);
	if (c == RIB_REPLACED)
		p->implicit += count;
	if (c == RIB_ADDED && m->ev_fn != NULL)
		model_events_route(m, p, view, prefix);
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

/* The received view a watched prefix is looked up in: post-policy when the
 * router reports it, else pre-policy, else the Loc-RIB. */
enum model_view model_received_view(const struct model_peer *p, enum model_af af)
{
	if (p->seen[MODEL_VIEW_ADJ_IN_POST][af])
		return MODEL_VIEW_ADJ_IN_POST;
	if (p->seen[MODEL_VIEW_ADJ_IN_PRE][af])
		return MODEL_VIEW_ADJ_IN_PRE;
	return MODEL_VIEW_LOC_RIB;
}

void model_set_log(struct model *m, struct log *lg)
{
	m->log = lg;
}
