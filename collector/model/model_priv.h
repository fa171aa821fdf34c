/* model_priv.h — the model's own structs and the functions its files share
 * (model.c, mapping.c, publish.c, model_events.c, expire.c). Included only
 * by the model's own files: everything else sees model.h's opaque types. */
#ifndef CW_MODEL_PRIV_H
#define CW_MODEL_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uthash.h>

#include "circuit_index.h"
#include "circuit_config.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "stream.h"

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
	struct log_ratelimit state_rl; /* session up/down lines (model_events.c) */
	/* events: prefix-limit level and watched-prefix states, for watch_for */
	uint8_t limit_level;
	const struct cfg_peering *watch_for;
	uint8_t *watch_state;
	size_t nwatch_state;
	uint64_t stream_seq; /* route stream: the last seq sent (model_stream.c) */
};

struct model_router {
	enum model_source source;
	char *address;          /* the router label (see model_router_bind) */
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

/* A session with a configured peering, established or not: whether a
 * configured neighbour is up, or reported at all, is one binary search in a
 * sorted array of these. The address is a copy, so that a shard's can be
 * read after its peers went. */
struct up_session {
	const struct cfg_peering *pe;
	char addr[48]; /* model_peer.addr_text */
	bool up;
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
	/* rib_memory_use() at the last model_publish (model_memory) */
	atomic_size_t mem_rib, mem_attributes;
	struct metrics_registry *reg;
	struct metrics_family *fam[F_COUNT];
	struct metrics_group *group;
	const struct cfg_config *cfg;
	struct model_source_policy policy[MODEL_SRC_COUNT];
	const struct circuit_index *ix; /* of cfg: the daemon's, or own_ix */
	struct circuit_index *own_ix;   /* built by model_apply_config */
	struct model_router **routers;
	size_t nrouters, routers_cap;
	model_event_fn ev_fn;
	void *ev_arg;
	struct watch_entry *watch_idx; /* uthash: (peering, prefix) -> watch index */
	struct log *log;
	struct log_ratelimit peer_cap_rl;
	/* threads (shard.c): the lock of a model a worker feeds, the lockers
	 * waiting for it; a shard's links are published by its base, which
	 * reads its shards */
	pthread_mutex_t lock;
	bool lock_made;
	atomic_uint waiters;
	bool links_elsewhere;
	struct model *const *shards;
	size_t nshards;
	/* a shard's established sessions with a configured peering, as of its
	 * last publish, for its base's link series (under snap_lock) */
	pthread_mutex_t snap_lock;
	bool snap_lock_made;
	struct up_session *snap;
	size_t nsnap;
	const struct circuit_index *snap_ix; /* the index snap was taken with */
	/* the link counts of the last publish_redundancy (model_link_sessions):
	 * CFG_LINK_COUNT per circuit of links_ix */
	struct model_link_sessions *links;
	size_t nlinks;
	const struct circuit_index *links_ix;
	/* GC steps: timed into gc_step_s (model_gc_step) */
	struct metrics_series *gc_step_s;
	bool gc_busy;
	bool trim; /* much was freed: give it back to the system once gc is done */
	size_t trim_sets; /* attribute sets alive at the last trim, or more since */
	size_t trim_mem;  /* rib_memory() at the last trim, or more since */
	/* route stream (model_stream.c): where the sink is, and whether it was
	 * on at the last look (off -> on: every peer is sent whole) */
	const struct stream_sink *const *streams;
	bool stream_was_on;
	/* the sink's batch for this model (the sink owns it; NULL: none yet),
	 * the sink it came from, and whether it holds changes not flushed */
	struct stream_batch *sbatch;
	const struct stream_sink *sbatch_sink;
	bool sbatch_pending;
};

/* model.c */
/* A model without metric families (model_new adds them, a shard borrows
 * its base's); NULL when memory ran out. */
struct model *model_alloc(struct metrics_registry *reg);
void model_peer_free(struct model *m, struct model_peer *p);
bool model_router_is_bmp(const struct model_router *r);
/* The received view a watched prefix is looked up in. */
enum model_view model_received_view(const struct model_peer *p, enum model_af af);

/* mapping.c: peers to the configured circuits */
struct peer_map {
	const struct cfg_circuit *circuit;
	int link;
	const struct cfg_peering *peering;
};

bool model_find_neighbour(const struct circuit_index *ix, const struct model_router *r,
			  const struct peer_hkey *hk, uint32_t asn, struct peer_map *out);
void model_map_peer(const struct circuit_index *ix, struct model_peer *p);

/* publish.c: creates m->fam[]; -1 on failure */
int model_publish_init(struct model *m, struct metrics_registry *reg);
/* Appends m's established sessions with a configured peering to *v (n
 * used, cap allocated); false when memory ran out. */
bool model_up_sessions_append(const struct model *m, struct up_session **v, size_t *n,
			      size_t *cap);
int model_up_session_cmp(const void *a, const void *b);

/* shard.c: a shard keeps its sessions for its base (after a publish and a
 * new circuit index); base reads them */
void model_shard_export(struct model *m);
/* Appends shard s's sessions as of its last export when taken with ix;
 * false when memory ran out or they were taken with another index. */
bool model_shard_import(struct model *s, const struct circuit_index *ix,
			struct up_session **v, size_t *n, size_t *cap);

/* model_events.c */
void model_watch_index_free(struct model *m);
void model_watch_index_build(struct model *m);
void model_events_peer_up(struct model *m, struct model_peer *p, double now, bool restart);
void model_events_peer_down(struct model *m, struct model_peer *p, double now,
			    const struct model_down *why);
void model_events_route(struct model *m, struct model_peer *p, enum model_view view,
			const struct rib_prefix *prefix);

/* model_stream.c: the route stream. model_stream() is the sink when
 * routes are wanted now (after sending every peer whole when they were
 * not at the last look), else NULL; the others send one change or mark. */
const struct stream_sink *model_stream_sync_check(struct model *m);
static inline const struct stream_sink *model_stream(struct model *m)
{
	const struct stream_sink *s;
	bool on;

	if (m->streams == NULL || (s = *m->streams) == NULL)
		return NULL;
	on = atomic_load_explicit(&s->routes_on, memory_order_relaxed);
	if (on != m->stream_was_on)
		return model_stream_sync_check(m);
	return on ? s : NULL;
}
void model_stream_route(struct model *m, const struct stream_sink *s, struct model_peer *p,
			enum model_view view, enum model_af af, const struct rib_prefix *prefix,
			rib_attr_id attrs, enum rib_change c);
void model_stream_mark(struct model *m, const struct stream_sink *s, struct model_peer *p,
		       enum stream_mark_kind kind, const struct stream_peer_mark *extra);
void model_stream_eor(struct model *m, struct model_peer *p, enum model_view view,
		      enum model_af af);

#endif
