/* route_stream.h — the parsed route stream's publisher: the route and peer
 * ops of the Kafka module's stream sink (model/stream.h) encode each change
 * or mark (route_codec.h) and hand it to a kstream (kstream.h) on the
 * routes topic, keyed by circuit + router + rd + peer (route_key), so that
 * one partition keeps each peer's order.
 *
 * Threads: route_stream_route/_peer from any thread at once (the BMP
 * workers, the loop thread for passive capture), never blocking (kstream
 * queues, spools or counts the loss); new, poll and free on the loop
 * thread, free after every producing thread stopped.
 * Ownership: the caller owns the stream; options are copied. */
#ifndef CW_KAFKA_ROUTE_STREAM_H
#define CW_KAFKA_ROUTE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kafka.h"
#include "stream.h"

struct log;
struct metrics_registry;

struct route_stream_opts {
	const char *topic;           /* kafka.streams.routes.topic */
	bool json;                   /* encoding: JSON, else protobuf */
	unsigned queue_max_messages; /* kstream_opts' */
	const char *spool_dir;       /* NULL: none */
	uint64_t spool_max_bytes;
};

struct route_stream;

/* Returns 0 and *out, or -1 with a reason in err. */
int route_stream_new(const struct kafka_opts *base, const struct route_stream_opts *o,
		     struct metrics_registry *reg, struct log *lg, struct route_stream **out,
		     char *err, size_t errlen) __attribute__((warn_unused_result));
void route_stream_route(struct route_stream *rs, const struct stream_route *rc);
void route_stream_peer(struct route_stream *rs, const struct stream_peer_mark *pm);
/* The sink's batching (stream.h): a batch of the stream's own for one
 * model (NULL: JSON, which is not batched, or out of memory), valid until
 * route_stream_free, which sends what it still holds; route and flush
 * from the thread working on that model. See route_batch.h. */
struct stream_batch *route_stream_batch_new(struct route_stream *rs);
void route_stream_batch_route(struct route_stream *rs, struct stream_batch *b,
			      const struct stream_route *rc);
void route_stream_batch_flush(struct route_stream *rs, struct stream_batch *b);
void route_stream_poll(struct route_stream *rs, int64_t now_ns);
void route_stream_free(struct route_stream *rs); /* takes NULL */

#endif
