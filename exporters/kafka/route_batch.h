/* route_batch.h — consecutive route changes of one peer in one Kafka
 * message (routes.proto's RouteBatch), the stream sink's batch of one
 * model (stream.h: struct stream_batch).
 *
 * A message per change cost more than the change: librdkafka's work per
 * message, the peer encoded again each time, the attribute set decoded and
 * encoded again although the next route has the same one. A batch writes
 * the peer once, keeps the encoded attributes of the last sets it saw
 * (by interned id, checked against the set's bytes, as an id is reused
 * once its set is freed), and goes as one message at the end of the
 * worker's slice (route_batch_flush), when another peer's change comes,
 * or at ROUTE_BATCH_MAX_CHANGES / ROUTE_BATCH_MAX_BYTES.
 *
 * Pure: no I/O of its own (the caller's emit sends), so unit-tested.
 * Threads: a batch is used by one thread at a time (the one working on
 * its model).
 * Ownership: the route stream owns its batches (route_stream.c). */
#ifndef CW_KAFKA_ROUTE_BATCH_H
#define CW_KAFKA_ROUTE_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "stream.h"

#define ROUTE_BATCH_MAX_CHANGES 4096        /* changes per message, at most */
#define ROUTE_BATCH_MAX_BYTES (256u * 1024) /* a message goes once it has this much */
#define ROUTE_BATCH_CACHE 4096              /* encoded attribute sets kept (a power of 2) */
#define ROUTE_BATCH_CACHE_SET_MAX 4096      /* a larger set is encoded each time */

/* Where a batch's messages go (route_stream.c: a kstream): key and value
 * valid during the call; val NULL: a change could not be written (out of
 * memory), count the loss (the consumer sees a seq gap). */
typedef void route_batch_emit(void *arg, const void *key, size_t klen, const void *val,
			      size_t vlen, int64_t ts_ms);

/* A batch sending to emit(arg, ...); NULL when memory ran out. */
struct stream_batch *route_batch_new(route_batch_emit *emit, void *arg);
/* Adds rc (stamped now_ns when the batch starts), sending what the batch
 * held first when rc is another peer's or does not follow its seq. */
void route_batch_add(struct stream_batch *b, const struct stream_route *rc, int64_t now_ns);
/* Sends what the batch holds, if anything. */
void route_batch_flush(struct stream_batch *b);
void route_batch_free(struct stream_batch *b); /* takes NULL; sends nothing */

#endif
