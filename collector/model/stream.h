/* stream.h — route streams: what the BMP workers and the model hand to a
 * publisher of routes (the Kafka exporter's raw BMP topic and its parsed
 * route-change topic), without knowing who it is.
 *
 * Threads: every call comes on the thread that owns the router or the
 * model (a BMP worker, or the loop thread for passive capture), from many
 * threads at once. An implementation is thread-safe and never blocks: it
 * queues, spools or counts a loss, and returns.
 *
 * Lifetime: cw_ctx.streams (module.h) is set by the Kafka module's start,
 * which runs before any source starts, and stays valid until the Kafka
 * module's stop, which runs after every source stopped. NULL: no streams.
 * The flags say whether a stream is on now (a reload may switch them);
 * a caller reads them first and builds nothing when they are off.
 */
#ifndef CW_STREAM_H
#define CW_STREAM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The router a BMP message came from. */
struct stream_router {
	uint8_t addr[16]; /* IPv4 as ::ffff:a.b.c.d */
	bool ipv6;
	const char *name; /* its sysName from Initiation, or "" */
};

struct stream_route;     /* one route change in a peer's RIB view */
struct stream_peer_mark; /* a peer's session or view boundary (up, down, End-of-RIB) */
struct stream_batch;     /* a publisher's batch of route changes, one per model */

struct stream_sink_ops {
	/* One whole BMP message (common header included) exactly as the
	 * router sent it, when it was received (CLOCK_REALTIME ns). */
	void (*bmp_raw)(void *arg, const struct stream_router *r, const uint8_t *msg, size_t len,
			int64_t recv_ns);
	/* Parsed route changes and peer marks, in the order the model applied
	 * them to each peer. */
	void (*route)(void *arg, const struct stream_route *rc);
	void (*peer)(void *arg, const struct stream_peer_mark *pm);
	/* Batching (optional: NULL, or batch_new returning NULL, and each
	 * change goes alone through route). A model asks once for a batch of
	 * its own (the sink owns it and frees it when the sink goes), hands it
	 * its changes with batch_route, and calls batch_flush before anything
	 * else of the model reaches the sink (a mark) and whenever it lets go
	 * of the model (model_stream_flush: the end of a worker's slice, of a
	 * captured packet), so that a change waits no longer than that. A
	 * batch is used by one thread at a time: the one working on its model. */
	struct stream_batch *(*batch_new)(void *arg);
	void (*batch_route)(void *arg, struct stream_batch *b, const struct stream_route *rc);
	void (*batch_flush)(void *arg, struct stream_batch *b);
};

struct stream_sink {
	const struct stream_sink_ops *ops;
	void *arg;
	atomic_bool raw_on;    /* bmp_raw wanted */
	atomic_bool routes_on; /* route and peer wanted */
};

/* ---- parsed route changes (the model's side: model_set_stream) ----
 *
 * Every change the model makes to a peer's RIB views reaches the route
 * stream as it is made (model.c, expire.c), so that a consumer that applies
 * them in order holds each peer's views exactly as the model does:
 * - a route announced (new, or replacing the prefix's attribute set: an
 *   implicit withdraw) or withdrawn in one view of one AF;
 * - STREAM_MARK_CLEARED: every view of the peer was emptied (session down,
 *   a session restarted by a second Peer Up); STREAM_MARK_DOWN and
 *   STREAM_MARK_UP follow it as facts about the session;
 * - STREAM_MARK_RELEASED: the model forgot the peer (bmp.peer_retention);
 * - STREAM_MARK_SYNC_BEGIN .. routes .. STREAM_MARK_SYNC_END: the stream was
 *   switched on (start, reload) while the peer had routes: the consumer
 *   clears the peer and takes the routes that follow as its whole state;
 * - STREAM_MARK_EOR: End-of-RIB of one view and AF (RFC 4724 §2).
 * Each peer numbers what it sends (seq, from 1 when the model makes the
 * peer, +1 per route change or mark): a consumer sees a loss as a gap, and
 * a seq of 1 as a peer made anew, whose views are empty (a collector
 * restart, a released peer back). Strings and bytes are valid during the
 * call only. */

/* The peer a change is about, and where it maps in the config. */
struct stream_peer {
	const char *router;      /* the router label (model_router_label) */
	const char *router_host; /* the router's address */
	const char *source;      /* "bmp", "pcap" */
	const char *addr;        /* the peer's address, as text */
	uint8_t family;          /* 4 or 6 */
	uint8_t peer_type;       /* BMP peer type (RFC 7854 §4.2) */
	uint64_t distinguisher;  /* peer distinguisher (RD), 0 for global */
	const char *rd;          /* the same as text, "" for 0 */
	uint32_t asn, bgp_id;    /* bgp_id in host order */
	const char *circuit, *link, *peering; /* "" when the peer maps to none */
	uint64_t seq;            /* see above */
};

struct stream_route {
	struct stream_peer peer;
	uint8_t view;     /* enum model_view */
	uint8_t af;       /* enum model_af */
	uint16_t afi;     /* 1 or 2 */
	uint8_t safi;     /* 1 */
	uint8_t family;   /* prefix: 4 or 6 */
	uint8_t len;      /* prefix length */
	uint32_t path_id; /* ADD-PATH path id, 0 without */
	uint8_t addr[16]; /* network order, IPv4 in the first 4 bytes */
	bool announce;    /* false: withdrawn */
	bool replaced;    /* announce over an existing route (implicit withdraw) */
	/* The attribute set (announce only): bgp/ingest's canonical key, a
	 * sequence of (type u8, length u16 big-endian, value) in type order,
	 * whose values are the decoded attributes (MED, LOCAL_PREF and
	 * ORIGINATOR_ID as host-order u32, AGGREGATOR as {u32 host, 4 bytes},
	 * MP_REACH_NLRI as the raw next-hop field; the rest as on the wire). */
	const uint8_t *attrs;
	size_t attrs_len;
	uint32_t attrs_id; /* the set's interned id (rib_attr_id; 0: withdrawn): a
			    * cache hint only, as an id is reused once freed */
	int64_t time_ns; /* 0: now (the model has no clock; the sink stamps it) */
};

enum stream_mark_kind {
	STREAM_MARK_UP,          /* session up (restart: a Peer Up without a Peer Down) */
	STREAM_MARK_DOWN,        /* session down, with its reason */
	STREAM_MARK_EOR,         /* End-of-RIB of view/af */
	STREAM_MARK_CLEARED,     /* every view of the peer emptied */
	STREAM_MARK_RELEASED,    /* the peer is gone from the model */
	STREAM_MARK_SYNC_BEGIN,  /* clear the peer: its whole state follows */
	STREAM_MARK_SYNC_END,
	STREAM_MARK_COUNT,
};

struct stream_peer_mark {
	struct stream_peer peer;
	enum stream_mark_kind kind;
	uint8_t view, af;   /* EOR: the view and AF */
	bool restart;       /* UP */
	bool up;            /* SYNC_BEGIN: whether the session is up now */
	const char *reason; /* DOWN: model_down_text(), else "" */
	uint8_t bmp_reason; /* DOWN after a BMP Peer Down: its reason code */
	int notif_code, notif_subcode; /* DOWN: the NOTIFICATION, code < 0: none */
	int64_t time_ns;    /* 0: now */
};

#endif
