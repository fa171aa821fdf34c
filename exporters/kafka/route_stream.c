/* route_stream.c — route changes and peer marks to the routes topic. See
 * route_stream.h. */
#include "route_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kstream.h"
#include "route_codec.h"

struct route_stream {
	struct kstream *ks;
	bool json;
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
	if (kstream_new(base, &ko, reg, lg, &rs->ks, err, errlen) != 0) {
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

void route_stream_poll(struct route_stream *rs, int64_t now_ns)
{
	if (rs != NULL)
		kstream_poll(rs->ks, now_ns);
}

void route_stream_free(struct route_stream *rs)
{
	if (rs == NULL)
		return;
	kstream_free(rs->ks);
	free(rs);
}
