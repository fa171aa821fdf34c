/* kstream.h — one route stream (raw BMP, parsed route changes) to one
 * Kafka topic, fed from any thread.
 *
 * Each stream has its own librdkafka producer (the brokers, security,
 * compression and client settings of kafka:, idempotent with acks=all so
 * each key keeps its order across retries), so route volume never delays
 * the events topic.
 *
 * Flow. kstream_produce copies the message to the producer while fewer
 * than queue_max_messages are in flight and nothing is spooled; otherwise
 * it appends it to the stream's spool (spool.h, its own directory). The
 * loop thread's kstream_poll serves delivery reports and replays the spool
 * in order as room frees up; while anything is spooled, new messages go to
 * the spool too, so a producing thread's messages keep their order. When
 * the spool is full too (or there is none), the message is lost: counted
 * by reason in circuitwatch_kafka_stream_messages_lost_total{stream,reason}
 * and logged (rate-limited). At kstream_free, what the brokers do not take
 * within KSTREAM_SHUTDOWN_FLUSH_MS is spooled in front of the rest.
 *
 * Order: per producing thread (and so per key, as long as one key is fed
 * from one thread: the BMP workers own their routers outright).
 *
 * Threads: kstream_produce from any thread at once, never blocking beyond
 * a short lock around a spool append (only while the stream spools);
 * kstream_new, kstream_poll and kstream_free on one thread (the loop), and
 * kstream_free only after every producing thread stopped calling.
 * Ownership: the caller owns the stream; options are copied; produce copies
 * key and value.
 */
#ifndef CW_KAFKA_KSTREAM_H
#define CW_KAFKA_KSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kafka.h"

struct log;
struct metrics_registry;

#define KSTREAM_SHUTDOWN_FLUSH_MS 1000 /* flush at kstream_free before spooling the rest */
#define KSTREAM_SYNC_MS 1000           /* spool fsync at most this often */

struct kstream_opts {
	const char *name;  /* "bmp_raw" | "routes": the `stream` label */
	const char *topic;
	unsigned queue_max_messages; /* in flight at most; 0: KAFKA_QUEUE_MAX_DEFAULT */
	const char *spool_dir;       /* NULL: none */
	uint64_t spool_max_bytes;    /* 0: KAFKA_SPOOL_MAX_DEFAULT */
};

struct kstream_stats {
	uint64_t queued, delivered, lost, spooled, in_flight, spool_bytes;
};

struct kstream;

/* Creates the producer (from base's brokers, security, compression,
 * client id and properties; base's topics, encoding, spool and queue bound
 * are not used) and opens the spool at o->spool_dir. Returns 0 and *out,
 * or -1 with a reason in err. reg and lg are borrowed (may be NULL). */
int kstream_new(const struct kafka_opts *base, const struct kstream_opts *o,
		struct metrics_registry *reg, struct log *lg, struct kstream **out, char *err,
		size_t errlen) __attribute__((warn_unused_result));
/* Any thread; never blocks; copies key and value. ts_ms: the message's
 * timestamp (0: librdkafka's send time). false: the message is lost (and
 * counted). */
bool kstream_produce(struct kstream *s, const void *key, size_t klen, const void *val,
		     size_t vlen, int64_t ts_ms);
/* Any thread: a message the caller could not even build (out of memory)
 * is counted lost (reason produce_failed). */
void kstream_lose(struct kstream *s);
/* The loop thread: delivery reports, spool replay and fsync, metrics. */
void kstream_poll(struct kstream *s, int64_t now_ns);
/* Flushes a short while, spools what is left, frees. Takes NULL. */
void kstream_free(struct kstream *s);
void kstream_stats(const struct kstream *s, struct kstream_stats *st);

#endif
