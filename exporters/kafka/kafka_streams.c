/* kafka_streams.c — the route streams of the Kafka module: the stream
 * sink (model/stream.h) the sources feed, and behind it one kstream per
 * stream that is on: the raw BMP stream in OpenBMP's binary format
 * (obmp.h) on kafka.streams.bmp_raw.topic, keyed by router, and the parsed
 * route stream (route_stream.h) on kafka.streams.routes.topic.
 *
 * Threads: the sink's ops run on the BMP workers (many at once); start,
 * poll, reload and stop on the loop thread. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_config.h"
#include "kafka_priv.h"
#include "kstream.h"
#include "log.h"
#include "obmp.h"
#include "route_stream.h"
#include "stream.h"

/* The router part of the header (two MD5s and a formatted address) costs
 * more than the rest of the message: it is computed once per router and
 * kept in a chain per slot (picked by address). An entry is immutable once
 * published and lives until stop, so the workers read the chains without
 * a lock, and two routers whose addresses share a slot both stay cached
 * (one entry per slot recomputed them in turn); appends take slots_lock.
 * At most ROUTER_CACHE_MAX entries (router addresses seen since start):
 * beyond, a router's part is computed per message. */
#define ROUTER_SLOTS 64u
#define ROUTER_CACHE_MAX 4096u

struct router_entry {
	struct obmp_router r;
	struct router_entry *next; /* immutable once published */
};

struct kafka_streams {
	struct stream_sink sink;  /* first: the sink's arg is the whole */
	struct kstream *raw;      /* NULL: the raw stream was off at start */
	struct obmp_collector col;
	struct route_stream *routes; /* NULL: the routes stream was off at start */
	struct log *log;
	_Atomic(struct router_entry *) slots[ROUTER_SLOTS];
	pthread_mutex_t slots_lock; /* appends to the chains */
	unsigned nentries;          /* under slots_lock */
};

static unsigned slot_of(const struct stream_router *sr)
{
	uint32_t h = 2166136261u; /* FNV-1a over the address */

	for (int i = 0; i < 16; i++)
		h = (h ^ sr->addr[i]) * 16777619u;
	return h % ROUTER_SLOTS;
}

static const struct obmp_router *chain_find(struct router_entry *e, const uint8_t addr[16],
					    bool ipv6)
{
	for (; e != NULL; e = e->next)
		if (e->r.ipv6 == ipv6 && memcmp(e->r.addr, addr, 16) == 0)
			return &e->r;
	return NULL;
}

/* Publishes a copy of r in its slot's chain unless another worker did. */
static void router_keep(struct kafka_streams *ks, _Atomic(struct router_entry *) *slot,
			const struct obmp_router *r)
{
	struct router_entry *head, *e;

	pthread_mutex_lock(&ks->slots_lock);
	head = atomic_load_explicit(slot, memory_order_relaxed);
	if (ks->nentries < ROUTER_CACHE_MAX && chain_find(head, r->addr, r->ipv6) == NULL &&
	    (e = malloc(sizeof(*e))) != NULL) {
		e->r = *r;
		e->next = head;
		atomic_store_explicit(slot, e, memory_order_release);
		ks->nentries++;
	}
	pthread_mutex_unlock(&ks->slots_lock);
}

/* The router part for sr: its entry, or computed into tmp (and kept). */
static const struct obmp_router *router_of(struct kafka_streams *ks,
					   const struct stream_router *sr,
					   struct obmp_router *tmp)
{
	_Atomic(struct router_entry *) *slot = &ks->slots[slot_of(sr)];
	uint8_t addr[16] = {0};
	const struct obmp_router *r;

	memcpy(addr, sr->ipv6 ? sr->addr : sr->addr + 12, sr->ipv6 ? 16 : 4);
	r = chain_find(atomic_load_explicit(slot, memory_order_acquire), addr, sr->ipv6);
	if (r != NULL)
		return r;
	obmp_router_init(tmp, &ks->col, sr->addr, sr->ipv6);
	router_keep(ks, slot, tmp);
	return tmp;
}

static void routers_free(struct kafka_streams *ks)
{
	for (unsigned i = 0; i < ROUTER_SLOTS; i++) {
		struct router_entry *e = atomic_load_explicit(&ks->slots[i], memory_order_relaxed);

		while (e != NULL) {
			struct router_entry *next = e->next;

			free(e);
			e = next;
		}
	}
}

/* ---- the sink (BMP worker threads) ---- */

static void raw_produce(struct kafka_streams *ks, const struct stream_router *sr,
			const uint8_t *msg, size_t len, int64_t recv_ns)
{
	uint8_t stackbuf[OBMP_HDR_MAX + 4096], *buf = stackbuf;
	struct obmp_router tmp;
	const struct obmp_router *r = router_of(ks, sr, &tmp);
	size_t hlen = obmp_header_len(&ks->col);

	if (hlen + len > sizeof(stackbuf) && (buf = malloc(hlen + len)) == NULL) {
		kstream_lose(ks->raw);
		return;
	}
	(void)obmp_header(&ks->col, r, recv_ns, len, buf, hlen);
	memcpy(buf + hlen, msg, len);
	(void)kstream_produce(ks->raw, r->key, OBMP_KEY_LEN, buf, hlen + len,
			      recv_ns > 0 ? recv_ns / 1000000 : 0);
	if (buf != stackbuf)
		free(buf);
}

static void on_bmp_raw(void *arg, const struct stream_router *sr, const uint8_t *msg, size_t len,
		       int64_t recv_ns)
{
	struct kafka_streams *ks = arg;

	if (ks->raw != NULL && atomic_load_explicit(&ks->sink.raw_on, memory_order_relaxed))
		raw_produce(ks, sr, msg, len, recv_ns);
}

static void on_route(void *arg, const struct stream_route *rc)
{
	struct kafka_streams *ks = arg;

	if (ks->routes != NULL && atomic_load_explicit(&ks->sink.routes_on, memory_order_relaxed))
		route_stream_route(ks->routes, rc);
}

static void on_peer(void *arg, const struct stream_peer_mark *pm)
{
	struct kafka_streams *ks = arg;

	if (ks->routes != NULL && atomic_load_explicit(&ks->sink.routes_on, memory_order_relaxed))
		route_stream_peer(ks->routes, pm);
}

static struct stream_batch *on_batch_new(void *arg)
{
	struct kafka_streams *ks = arg;

	return ks->routes != NULL ? route_stream_batch_new(ks->routes) : NULL;
}

static void on_batch_route(void *arg, struct stream_batch *b, const struct stream_route *rc)
{
	struct kafka_streams *ks = arg;

	if (atomic_load_explicit(&ks->sink.routes_on, memory_order_relaxed))
		route_stream_batch_route(ks->routes, b, rc);
}

/* What was batched while the stream was on goes even when it is off now. */
static void on_batch_flush(void *arg, struct stream_batch *b)
{
	struct kafka_streams *ks = arg;

	route_stream_batch_flush(ks->routes, b);
}

static const struct stream_sink_ops sink_ops = {
	.bmp_raw = on_bmp_raw,
	.route = on_route,
	.peer = on_peer,
	.batch_new = on_batch_new,
	.batch_route = on_batch_route,
	.batch_flush = on_batch_flush,
};

/* ---- lifecycle (loop thread) ---- */

static char *stream_spool_dir(const char *base, const char *name)
{
	size_t n = strlen(base) + strlen(name) + 16;
	char *s = base != NULL ? malloc(n) : NULL;

	if (s != NULL)
		snprintf(s, n, "%s/stream.%s", base, name);
	return s;
}

/* A stream's spool directory, inside kafka.spool_dir: made here (mode
 * 0700), before the daemon drops privileges, so it is handed to the owner
 * of kafka.spool_dir (which the daemon made the run-time user's) or the
 * stream could not write its spool as that user. */
static int stream_dir_make(const char *base, const char *dir, char *err, size_t errlen)
{
	struct stat parent;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "spool %s: %s", dir, strerror(errno));
		return -1;
	}
	if (geteuid() == 0 && stat(base, &parent) == 0 && parent.st_uid != 0 &&
	    chown(dir, parent.st_uid, parent.st_gid) != 0) {
		snprintf(err, errlen, "spool %s: cannot hand it to the owner of %s: %s", dir, base,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* The spool directory of stream name into *dir (the caller's; NULL when
 * the kafka: section spools nothing). 0, or -1 with a reason in err. */
static int spool_dir_of(const struct cfg_kafka *c, const char *name, char **dir, char *err,
			size_t errlen)
{
	*dir = c->spool_dir != NULL ? stream_spool_dir(c->spool_dir, name) : NULL;
	if (c->spool_dir != NULL && *dir == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int raw_start(struct kafka_streams *ks, const struct cfg_kafka *c,
		     const struct kafka_opts *base, struct metrics_registry *reg, char *err,
		     size_t errlen)
{
	struct kstream_opts o = {
		.name = "bmp_raw",
		.topic = c->streams.bmp_raw.topic,
		.queue_max_messages = c->queue_max_messages,
		.spool_max_bytes = c->spool_max_bytes,
	};
	char *dir;
	int rc;

	if (spool_dir_of(c, o.name, &dir, err, errlen) != 0)
		return -1;
	o.spool_dir = dir;
	if (dir != NULL && stream_dir_make(c->spool_dir, dir, err, errlen) != 0) {
		free(dir);
		return -1;
	}
	obmp_collector_init(&ks->col, c->streams.admin_id);
	rc = kstream_new(base, &o, reg, ks->log, &ks->raw, err, errlen);
	free(dir);
	return rc;
}

static int routes_start(struct kafka_streams *ks, const struct cfg_kafka *c,
			const struct kafka_opts *base, struct metrics_registry *reg, char *err,
			size_t errlen)
{
	struct route_stream_opts o = {
		.topic = c->streams.routes.topic,
		.json = c->streams.routes.encoding == CFG_KAFKA_JSON,
		.queue_max_messages = c->queue_max_messages,
		.spool_max_bytes = c->spool_max_bytes,
	};
	char *dir;
	int rc;

	if (spool_dir_of(c, "routes", &dir, err, errlen) != 0)
		return -1;
	o.spool_dir = dir;
	rc = route_stream_new(base, &o, reg, ks->log, &ks->routes, err, errlen);
	free(dir);
	if (rc == 0)
		log_info(ks->log, "kafka stream started", "stream", "routes", "topic", o.topic,
			 "encoding", o.json ? "json" : "protobuf");
	return rc;
}

int kafka_streams_start(const struct cfg_kafka *c, const struct kafka_opts *base,
			struct metrics_registry *reg, struct log *lg, struct kafka_streams **out,
			char *err, size_t errlen)
{
	struct kafka_streams *ks = calloc(1, sizeof(*ks));

	*out = NULL;
	if (ks == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ks->log = lg;
	pthread_mutex_init(&ks->slots_lock, NULL);
	for (unsigned i = 0; i < ROUTER_SLOTS; i++)
		atomic_init(&ks->slots[i], NULL);
	ks->sink.ops = &sink_ops;
	ks->sink.arg = ks;
	atomic_init(&ks->sink.raw_on, false);
	atomic_init(&ks->sink.routes_on, false);
	if (c->streams.bmp_raw.enabled) {
		if (raw_start(ks, c, base, reg, err, errlen) != 0) {
			kafka_streams_stop(ks);
			return -1;
		}
		atomic_store(&ks->sink.raw_on, true);
		log_info(lg, "kafka stream started", "stream", "bmp_raw", "topic",
			 c->streams.bmp_raw.topic, "admin_id", ks->col.admin_id, "format",
			 "OpenBMP binary v1.7");
	}
	if (c->streams.routes.enabled) {
		if (routes_start(ks, c, base, reg, err, errlen) != 0) {
			kafka_streams_stop(ks);
			return -1;
		}
		atomic_store(&ks->sink.routes_on, true);
	}
	*out = ks;
	return 0;
}

const struct stream_sink *kafka_streams_sink(struct kafka_streams *ks)
{
	return ks != NULL ? &ks->sink : NULL;
}

void kafka_streams_poll(struct kafka_streams *ks, int64_t now_ns)
{
	if (ks != NULL && ks->raw != NULL)
		kstream_poll(ks->raw, now_ns);
	if (ks != NULL)
		route_stream_poll(ks->routes, now_ns);
}

static bool same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* As the raw stream: on and off live when its producer exists. Switched
 * on, every model sends each peer whole first (model_stream.c). */
static void routes_reload(struct kafka_streams *ks, const struct cfg_kafka *old,
			  const struct cfg_kafka *now)
{
	const struct cfg_kafka_stream_routes *o = &old->streams.routes, *n = &now->streams.routes;

	if (ks->routes != NULL) {
		atomic_store(&ks->sink.routes_on, n->enabled && now->enabled);
		if (o->enabled != n->enabled)
			log_info(ks->log, "kafka stream switched", "stream", "routes", "enabled",
				 n->enabled ? "true" : "false");
	} else if (n->enabled && !o->enabled) {
		log_warn(ks->log, "kafka: streams.routes was off at start; it starts after a "
			 "restart");
	}
	if (!same(o->topic, n->topic) || o->encoding != n->encoding)
		log_warn(ks->log, "kafka: streams.routes topic or encoding changed; they apply "
			 "after a restart");
}

/* Switching the raw stream off (and on again) applies live when its
 * producer exists; anything else about it waits for a restart. */
void kafka_streams_reload(struct kafka_streams *ks, const struct cfg_kafka *old,
			  const struct cfg_kafka *now)
{
	const struct cfg_kafka_stream_raw *o = &old->streams.bmp_raw, *n = &now->streams.bmp_raw;

	if (ks == NULL)
		return;
	if (ks->raw != NULL) {
		atomic_store(&ks->sink.raw_on, n->enabled && now->enabled);
		if (o->enabled != n->enabled)
			log_info(ks->log, "kafka stream switched", "stream", "bmp_raw", "enabled",
				 n->enabled ? "true" : "false");
	} else if (n->enabled && !o->enabled) {
		log_warn(ks->log, "kafka: streams.bmp_raw was off at start; it starts after a "
			 "restart");
	}
	if (!same(o->topic, n->topic) || !same(old->streams.admin_id, now->streams.admin_id))
		log_warn(ks->log, "kafka: streams.bmp_raw topic or admin_id changed; they apply "
			 "after a restart");
	routes_reload(ks, old, now);
}

void kafka_streams_stop(struct kafka_streams *ks)
{
	if (ks == NULL)
		return;
	atomic_store(&ks->sink.raw_on, false);
	atomic_store(&ks->sink.routes_on, false);
	kstream_free(ks->raw); /* flushes; spools the rest */
	route_stream_free(ks->routes);
	routers_free(ks);
	pthread_mutex_destroy(&ks->slots_lock);
	free(ks);
}
