/* route_stream.c — route changes and peer marks to the routes topic. See
 * route_stream.h. */
#include "route_stream.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kstream.h"
#include "route_batch.h"
#include "route_codec.h"

/* A batch handed to a model, on the stream's list. */
struct batch_node {
	struct stream_batch *b;
	struct batch_node *next;
};

struct route_stream {
	struct kstream *ks;
	bool json;
	pthread_mutex_t lock; /* batches */
	struct batch_node *batches;
};

/* The time of a change the model did not stamp: to the kernel's tick (a
 * few ms; the Kafka timestamp is in ms anyway), at a tenth of the cost of
 * CLOCK_REALTIME, which took 7 % of the stream's CPU per route. */
static int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int route_stream_new(const struct kafka_opts *base, const struct route_stream_opts *o,
		     struct metrics_registry *reg, struct log *lg, struct route_stream **out,
		     char *err, size_t errlen)
{
	struct route_stream *rs = calloc(1, sizeof(*rs));
	struct kstream_opts ko = {
		.name = "routes",
		.topic = o->topic,
		.queue_max_messages = o->queue_max_messages,
		.spool_dir = o->spool_dir,
		.spool_max_bytes = o->spool_max_bytes,
	};

	*out = NULL;
	if (rs == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rs->json = o->json;
	pthread_mutex_init(&rs->lock, NULL);
	if (kstream_new(base, &ko, reg, lg, &rs->ks, err, errlen) != 0) {
		pthread_mutex_destroy(&rs->lock);
		free(rs);
		return -1;
	}
	*out = rs;
	return 0;
}

/* One encoded message (owned by this call) to the peer's partition. */
static void produce(struct route_stream *rs, const struct stream_peer *p, void *val,
		    size_t vlen, int64_t t_ns)
{
	char key[ROUTE_KEY_MAX];
	size_t klen = route_key(p, key, sizeof(key));

	if (val == NULL) {
		kstream_lose(rs->ks); /* out of memory encoding it: counted lost */
		return;
	}
	(void)kstream_produce(rs->ks, key, klen, val, vlen, t_ns / 1000000);
	free(val);
}

void route_stream_route(struct route_stream *rs, const struct stream_route *rc)
{
	int64_t t = rc->time_ns != 0 ? rc->time_ns : wall_ns();
	size_t len = 0;
	void *val;

	if (rs->json) {
		val = route_encode_json(rc, t);
		len = val != NULL ? strlen(val) : 0;
	} else {
		val = route_encode_pb(rc, t, &len);
	}
	produce(rs, &rc->peer, val, len, t);
}

void route_stream_peer(struct route_stream *rs, const struct stream_peer_mark *pm)
{
	int64_t t = pm->time_ns != 0 ? pm->time_ns : wall_ns();
	size_t len = 0;
	void *val;

	if (rs->json) {
		val = route_mark_encode_json(pm, t);
		len = val != NULL ? strlen(val) : 0;
	} else {
		val = route_mark_encode_pb(pm, t, &len);
	}
	produce(rs, &pm->peer, val, len, t);
}

/* JSON stays a message per change (its encoding costs more than the
 * message): no batch, and the model sends each change alone. */
static void batch_emit(void *arg, const void *key, size_t klen, const void *val, size_t vlen,
		       int64_t ts_ms)
{
	struct route_stream *rs = arg;

	if (val == NULL)
		kstream_lose(rs->ks);
	else
		(void)kstream_produce(rs->ks, key, klen, val, vlen, ts_ms);
}

struct stream_batch *route_stream_batch_new(struct route_stream *rs)
{
	struct batch_node *n;

	if (rs->json || (n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	if ((n->b = route_batch_new(batch_emit, rs)) == NULL) {
		free(n);
		return NULL;
	}
	pthread_mutex_lock(&rs->lock);
	n->next = rs->batches;
	rs->batches = n;
	pthread_mutex_unlock(&rs->lock);
	return n->b;
}

void route_stream_batch_route(struct route_stream *rs, struct stream_batch *b,
			      const struct stream_route *rc)
{
	(void)rs;
	route_batch_add(b, rc, rc->time_ns != 0 ? rc->time_ns : wall_ns());
}

void route_stream_batch_flush(struct route_stream *rs, struct stream_batch *b)
{
	(void)rs;
	route_batch_flush(b);
}

void route_stream_poll(struct route_stream *rs, int64_t now_ns)
{
	if (rs != NULL)
		kstream_poll(rs->ks, now_ns);
}

void route_stream_free(struct route_stream *rs)
{
	if (rs == NULL)
		return;
	/* every producing thread stopped: what a batch still holds goes first */
	for (struct batch_node *n = rs->batches, *next; n != NULL; n = next) {
		next = n->next;
		route_batch_flush(n->b);
		route_batch_free(n->b);
		free(n);
	}
	kstream_free(rs->ks);
	pthread_mutex_destroy(&rs->lock);
	free(rs);
}
