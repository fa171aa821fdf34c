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

struct stream_sink_ops {
	/* One whole BMP message (common header included) exactly as the
	 * router sent it, when it was received (CLOCK_REALTIME ns). */
	void (*bmp_raw)(void *arg, const struct stream_router *r, const uint8_t *msg, size_t len,
			int64_t recv_ns);
	/* Parsed route changes and peer marks, in the order the model applied
	 * them to each peer. */
	void (*route)(void *arg, const struct stream_route *rc);
	void (*peer)(void *arg, const struct stream_peer_mark *pm);
};

struct stream_sink {
	const struct stream_sink_ops *ops;
	void *arg;
	atomic_bool raw_on;    /* bmp_raw wanted */
	atomic_bool routes_on; /* route and peer wanted */
};

#endif
