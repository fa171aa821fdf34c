/* model.h — what circuitwatch knows about BGP: routers that report to us
 * (over BMP, later from the wire), the BGP peers each router has, their
 * RIB views per AFI/SAFI, counters, and the mapping of each peer to a
 * configured circuit, link and peering. Published as metrics by
 * model_publish().
 *
 * A router that disconnects keeps its peers (down, with zero prefixes) so
 * that their series stay, with up=0, until it reconnects and resends; after
 * bmp.peer_retention without it, model_expire() releases the peers that
 * are no configured neighbour (their series go), and configured ones stay.
 * A BMP router's peers are capped at bmp.max_peers_per_router.
 *
 * Ownership: the model owns routers, peers and the RIB. One thread works
 * on a model at a time: the loop thread, or for a shard (below) the worker
 * that feeds it and, under the shard's lock, the loop thread.
 */
#ifndef CW_MODEL_H
#define CW_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rib.h"

#define MODEL_MAX_ROUTERS 65535
#define MODEL_MAX_PEERS_PER_ROUTER 4096 /* other sources; BMP: bmp.max_peers_per_router */
#define MODEL_MAX_REASONS 48      /* distinct error reasons counted per peer/router */
#define MODEL_MAX_NOTIFICATIONS 32 /* distinct (code, subcode) counted per peer */
#define MODEL_MAX_STATS 64        /* distinct statistics (type, afi, safi) per peer */
#define MODEL_GC_BUDGET 8192      /* route slots released per slice of a model_gc() step */
#define MODEL_GC_STEP_S 0.002     /* a model_gc() step runs slices until this has passed */
#define MODEL_RETENTION_S 300.0   /* peer retention without a config */
#define MODEL_TRIM_SERIES 1000    /* series removed in a round that call for malloc_trim */
#define MODEL_TRIM_SETS 50000     /* attribute sets freed that call for malloc_trim meanwhile */
#define MODEL_TRIM_BYTES (8u << 20)  /* RIB bytes freed that call for malloc_trim meanwhile */
#define MODEL_EXPIRE_SERIES 50000 /* series (+1 per peer) one model_expire() call releases */

struct cfg_config;
struct circuit_index;
struct log;
struct metrics_registry;
struct model;
struct model_router;
struct model_peer;

enum model_view {
	MODEL_VIEW_ADJ_IN_PRE,
	MODEL_VIEW_ADJ_IN_POST,
	MODEL_VIEW_ADJ_OUT_PRE,
	MODEL_VIEW_ADJ_OUT_POST,
	MODEL_VIEW_LOC_RIB,
	MODEL_VIEW_COUNT,
};

enum model_af { MODEL_AF_IPV4_UNICAST, MODEL_AF_IPV6_UNICAST, MODEL_AF_COUNT };

/* Where a router's reports come from: a BMP session, or a capture input
 * (passive BGP seen on the wire). Its name is the `source` label. */
enum model_source { MODEL_SRC_BMP, MODEL_SRC_PCAP, MODEL_SRC_COUNT };

/* Why a BGP session went down, as the source knows it: a typed fact, so
 * that the model never parses a string nor asks who sent it. The reason
 * text of the session-down event (and its kind) follow from it. */
enum model_down_cause {
	MODEL_DOWN_UNKNOWN,             /* "unknown" */
	MODEL_DOWN_BMP_PEER_DOWN,       /* a BMP Peer Down: bmp_reason (RFC 7854 §4.9) */
	MODEL_DOWN_NOTIFICATION,        /* "notification": one of the speakers sent it */
	MODEL_DOWN_TCP_FIN,             /* "fin" */
	MODEL_DOWN_TCP_RST,             /* "rst" */
	MODEL_DOWN_IDLE,                /* "idle": the connection went quiet and expired */
	MODEL_DOWN_ROUTER_DISCONNECTED, /* "router-disconnected": its router's session went */
	MODEL_DOWN_COUNT,
};

struct model_down {
	enum model_down_cause cause;
	uint8_t bmp_reason;            /* MODEL_DOWN_BMP_PEER_DOWN: the Peer Down reason */
	int notif_code, notif_subcode; /* the NOTIFICATION that ended it; code < 0: none */
};

/* Identity of a peer as a router reports it (BMP per-peer header). */
struct model_peer_key {
	uint8_t peer_type;      /* BMP peer type: global, RD, local, Loc-RIB */
	uint64_t distinguisher; /* route distinguisher, 0 for the global instance */
	uint8_t family;         /* 4 or 6 */
	uint8_t addr[16];       /* IPv4 in the first 4 bytes */
};

/* Returns a new model publishing into reg (not owned), or NULL. */
struct model *model_new(struct metrics_registry *reg);
void model_free(struct model *m); /* takes NULL */

/* Maps every peer (now and later) to the circuits of cfg as indexed by
 * circuits (circuit_index.h, built from cfg); both must stay valid until
 * the next call or model_free (the daemon's, rebuilt per reload). */
void model_apply_circuits(struct model *m, const struct cfg_config *cfg,
			  const struct circuit_index *circuits);
/* As model_apply_circuits with an index the model builds from cfg and
 * owns (for tools and tests without a daemon); cfg must stay valid. */
void model_apply_config(struct model *m, const struct cfg_config *cfg);
/* The index peers are mapped with now: the last model_apply_circuits' (in
 * the daemon, cw_ctx.circuits) or model_apply_config's own; NULL before
 * either. Valid until the next of those calls or model_free. */
const struct circuit_index *model_circuit_index(const struct model *m);

/* What the model keeps of one source's routers, as that source's config
 * says (the wiring floor sets it on start and reload; bmp: its
 * max_peers_per_router, peer_retention and publish):
 * - max_peers_per_router: peers one router may report before new ones are
 *   refused (configured neighbours always come in); 0 = the model's own
 *   cap, MODEL_MAX_PEERS_PER_ROUTER;
 * - peer_retention_s: how long a disconnected router's peers that are no
 *   configured neighbour are kept (model_expire);
 * - publish_configured_only: per-peer series only for configured
 *   neighbours.
 * Until set: 0, MODEL_RETENTION_S, false. */
struct model_source_policy {
	unsigned max_peers_per_router;
	double peer_retention_s;
	bool publish_configured_only;
};
void model_set_source_policy(struct model *m, enum model_source source,
			     const struct model_source_policy *policy);

/* The router of this source and address, created when new; NULL at
 * MODEL_MAX_ROUTERS or on allocation failure. */
struct model_router *model_router_get(struct model *m, enum model_source source,
				      const char *address);
/* The BMP router a session binds to when its first message arrives. RFC
 * 7854 §4.3 makes the Initiation the first message, so a router is its
 * source address (host) and the sysName of that Initiation ("" without one):
 * - the router with this host and sysName, live or not (the caller sees
 *   model_router_is_connected() and supersedes the older session);
 * - else a router of this host without a live session, which takes the
 *   sysName (a renamed router keeps its series);
 * - else a new router. Its label (the `router` label of every series) is
 *   the host, unless another router already has that label: then
 *   "host/sysName" ("host/-" without a sysName), so that two routers
 *   behind one address are told apart. Labels never change.
 * NULL at MODEL_MAX_ROUTERS or on allocation failure. */
struct model_router *model_router_bind(struct model *m, enum model_source source,
				       const char *host, const char *sys_name);
bool model_router_is_connected(const struct model_router *r);
/* The router's label (its address unless model_router_bind said otherwise). */
const char *model_router_label(const struct model_router *r);
void model_router_connected(struct model *m, struct model_router *r, double now);
/* Every peer of the router goes down (MODEL_DOWN_ROUTER_DISCONNECTED). */
void model_router_disconnected(struct model *m, struct model_router *r, double now);
void model_router_set_info(struct model_router *r, const char *sys_name, size_t name_len,
			   const char *sys_descr, size_t descr_len);
/* Counters of the router: messages by type name, errors by reason name.
 * Names must be static strings (compared by pointer). */
void model_router_count_msg(struct model_router *r, const char *type);
void model_router_count_error(struct model_router *r, const char *reason);

/* The peer with this key, created (down) when new; NULL at the cap
 * (bmp.max_peers_per_router for BMP routers, MODEL_MAX_PEERS_PER_ROUTER
 * otherwise): the refusal is counted per router (reason peer_limit) and
 * logged rate-limited. */
struct model_peer *model_peer_get(struct model *m, struct model_router *r,
				  const struct model_peer_key *key, uint32_t asn, uint32_t bgp_id);
/* Source-specific state kept with the peer (decode context of its BGP
 * messages); freed with free_fn when the model goes. */
void *model_peer_aux(struct model_peer *p);
void model_peer_set_aux(struct model_peer *p, void *aux, void (*free_fn)(void *));
bool model_peer_is_up(const struct model_peer *p);
void model_peer_up(struct model *m, struct model_peer *p, double now);
/* Down: every RIB view is emptied (released incrementally). why is read
 * during the call only; its NOTIFICATION, if any, counts on p's series. */
void model_peer_down(struct model *m, struct model_peer *p, double now,
		     const struct model_down *why);
/* As model_peer_down for a speaker that received the NOTIFICATION its
 * neighbour sent (passive capture sees both ends as peers): the event
 * names the code, but p's notifications_total, which counts what p sent,
 * does not count it. */
void model_peer_down_notified(struct model *m, struct model_peer *p, double now,
			      const struct model_down *why);
void model_peer_count_error(struct model_peer *p, const char *reason);
void model_peer_count_update(struct model_peer *p);
/* A statistics report value: kept as the latest value per (type, afi, safi).
 * name is a static string. */
void model_peer_stat(struct model_peer *p, uint16_t type, const char *name, uint16_t afi,
		     uint8_t safi, uint64_t value, bool gauge);

/* Attribute sets (shared by all routes of all peers). */
rib_attr_id model_attrs_intern(struct model *m, const uint8_t *bytes, size_t len);
void model_attrs_unref(struct model *m, rib_attr_id id);

/* Announces (attrs != 0) or withdraws (attrs == 0) one route. Returns what
 * changed, and counts it: announcements, implicit withdraws, withdrawals. */
enum rib_change model_route(struct model *m, struct model_peer *p, enum model_view view,
			    enum model_af af, const struct rib_prefix *prefix, rib_attr_id attrs);
/* As model_route, without counting: for a view filled from what p's
 * neighbour sent to p (passive capture's Adj-RIB-Out of a configured
 * neighbour), which p's counters (what p sent) must not include. */
enum rib_change model_route_uncounted(struct model *m, struct model_peer *p,
				      enum model_view view, enum model_af af,
				      const struct rib_prefix *prefix, rib_attr_id attrs);
void model_end_of_rib(struct model_peer *p, enum model_view view, enum model_af af);
size_t model_prefix_count(const struct model_peer *p, enum model_view view, enum model_af af);
/* Attribute set of a route in a view, or 0. */
rib_attr_id model_lookup(const struct model_peer *p, enum model_view view, enum model_af af,
			 const struct rib_prefix *prefix);

/* Releases routes of peers that went down, in a step of about
 * MODEL_GC_STEP_S; call from a timer. Returns the routes still to release
 * (plus one per table not yet freed). Gives memory back to the system
 * (glibc malloc_trim) in a step of its own: every MODEL_TRIM_SETS freed
 * attribute sets or MODEL_TRIM_BYTES of the RIB, and once nothing is left
 * after a large release (routes, released peers, many series). */
size_t model_gc(struct model *m);

/* Releases the peers that are no configured neighbour of every BMP router
 * disconnected for bmp.peer_retention (0: at the first call after it went);
 * their series go at the next model_publish(). Peers of about
 * MODEL_EXPIRE_SERIES series (one more per peer) and about MODEL_GC_STEP_S
 * per call, so that the next publish's sweep stays short: the rest go at
 * the next calls (a router that reconnects meanwhile keeps them). Call from a timer with
 * the wall clock. Returns the peers released. */
size_t model_expire(struct model *m, double now);

/* Where the model logs (peers refused at the cap); lg not owned, NULL for
 * none. */
void model_set_log(struct model *m, struct log *lg);

/* The route stream (stream.h): every change to a peer's RIB views, and
 * each session and view boundary, goes to (*where)->ops->route / ->peer on
 * the thread working on m, while (*where)->routes_on; *where NULL: none.
 * where (the daemon's cw_ctx.streams) must stay valid until model_free;
 * *where may change only while nobody works on m. NULL: no stream. */
struct stream_sink;
void model_set_stream(struct model *m, const struct stream_sink *const *where);
/* Sends the route changes the model batched for the stream (stream.h):
 * model_unlock does, and whoever works on a model without its lock calls
 * it at the end of each piece of work (a captured packet). */
void model_stream_flush(struct model *m);

/* Writes every router and peer series into the registry; with
 * bmp.publish configured, a BMP router's peers that are no configured
 * neighbour get no per-peer series. */
void model_publish(struct model *m);

/* Bytes of m's route tables and interned attribute sets (rib.h's
 * rib_memory_use) as of its last model_publish: the one call on a model
 * that any thread may make without its lock (the figures are atomics that
 * model_publish stores), so that the loop thread sums every shard's
 * without waiting for a worker. */
struct model_memory {
	size_t rib, attributes;
};
struct model_memory model_memory(const struct model *m);

/* Configured neighbours of one link and those with an established
 * session (of any source and shard), as the last model_publish of m (the
 * base model in the daemon) counted them for circuitwatch_link_sessions_up.
 * Returns false when m has published no link since its circuits were last
 * applied, or the link is absent. For consumers on m's thread (billing's
 * availability). */
struct model_link_sessions {
	unsigned configured, up;
	bool present;
};
bool model_link_sessions(const struct model *m, size_t circuit, int link,
			 struct model_link_sessions *out);

/* ---- threads: shards ----
 * The daemon's BMP workers each feed a shard: a model of their own (own
 * routers, RIB and attribute sets) that shares base's metric families.
 * A worker runs its shard's housekeeping too (model_gc_step,
 * model_expire, model_publish), so that the loop thread never waits for a
 * worker. A shard publishes no link or redundancy series: base does,
 * counting the established sessions of every shard set with
 * model_set_shards as of that shard's last model_publish or
 * model_apply_circuits (a copy it keeps under a lock of its own).
 *
 * A shard is guarded by its lock: its worker holds it while it works on
 * the shard (model_lock_worker: a waiting model_lock goes first), any
 * other thread takes it around every call (model_lock). A model nobody
 * shares needs no lock. */
struct model *model_new_shard(struct model *base); /* NULL when memory ran out */
/* shards (n of them; NULL, 0: none) stay valid until the next call or
 * model_free(m). */
void model_set_shards(struct model *m, struct model *const *shards, size_t n);
void model_lock(struct model *m);
void model_lock_worker(struct model *m);
void model_unlock(struct model *m);

/* model_gc, its CPU time observed in hist (a histogram series; NULL: none)
 * when the step had work or ended it: the stall it puts on the ingest
 * into this model. */
struct metrics_series;
void model_set_gc_histogram(struct model *m, struct metrics_series *hist);
size_t model_gc_step(struct model *m);

const char *model_view_name(enum model_view v);
const char *model_source_name(enum model_source s); /* "bmp", "pcap" */
/* The reason text of a session-down event: "remote-notification", "fin", ... */
const char *model_down_text(const struct model_down *why);
const char *model_af_name(enum model_af af);

/* ---- events (issue 7) ----
 * The model reports what happened to its peers as events: BGP session up
 * and down (with the reason), prefix count approaching / over / back under
 * the peering's prefix_limit (Adj-RIB-Out, as the headroom metric), and a
 * watched prefix withdrawn / restored. The model has no clock: events that
 * routes cause carry time 0 and the sink stamps them; session events carry
 * the source's `now`. The event is valid during the call only. */
#define MODEL_LIMIT_APPROACH_PCT 90 /* approaching at >= 90 % of the limit */
#define MODEL_LIMIT_CLEAR_PCT 80    /* ... cleared again below 80 % (hysteresis) */

struct cw_event;
typedef void (*model_event_fn)(void *arg, const struct cw_event *ev);
/* fn NULL: no events. */
void model_set_event_sink(struct model *m, model_event_fn fn, void *arg);

/* ---- looking glass (lookup.c) ----
 * The routes of one prefix in every peer's RIB views of a model: exact
 * (want itself, path id 0), or per view the longest prefix covering want
 * (lengths tried downward). A route is handed to fn, valid during the call
 * only (fn copies what it keeps); fn returns false to stop. With locking,
 * the model is a shard read from another thread: the lookup takes its
 * lock in slices of about slice_s (the peers of one router a few at a
 * time), so that its worker never waits much longer than a slice.
 * Without, the caller is the model's own thread. Returns the routes
 * handed to fn.
 *
 * attrs is the route's attribute set: the canonical key of bgp/ingest.c,
 * (type u8, length u16 big-endian, value) per attribute in type order;
 * values as received except ORIGIN (1 byte), MED, LOCAL_PREF and
 * ORIGINATOR_ID (uint32_t, host order), AGGREGATOR and AS4_AGGREGATOR
 * (a uint32_t ASN in host order, then 4 address bytes), MP_REACH_NLRI
 * (the next-hop field alone). */
struct model_route {
	const char *router;            /* the router label */
	enum model_source source;
	const char *peer, *rd;         /* the peer's address, its RD ("" for none) */
	uint32_t asn;
	bool up;
	double since;                  /* when its session last went up or down */
	const char *circuit, *link, *peering; /* the mapping, "" when unmapped */
	enum model_view view;
	enum model_af af;
	struct rib_prefix prefix;      /* the route's prefix */
	const uint8_t *attrs;
	size_t attrs_len;
};
typedef bool (*model_route_fn)(void *arg, const struct model_route *r);
struct model_lookup_opts {
	bool longest;  /* else exact */
	bool locking;  /* take model_lock around each slice */
	double slice_s;
};
size_t model_routes_lookup(struct model *m, const struct rib_prefix *want,
			   const struct model_lookup_opts *o, model_route_fn fn, void *arg);

#endif
