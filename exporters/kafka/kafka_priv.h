/* kafka_priv.h — what the Kafka module's own files share (not for others):
 * the librdkafka settings every producer of ours gets (the events
 * exporter and each route stream), from the kafka: options.
 */
#ifndef CW_KAFKA_PRIV_H
#define CW_KAFKA_PRIV_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kafka.h"

/* A new librdkafka configuration for one of our producers: the brokers,
 * client id, compression, security settings and passthrough properties of
 * o; idempotent with acks=all (each key keeps its order across retries);
 * no message timeout (our spool bounds memory); librdkafka's own queue
 * bound above qmax (we spool first). Returns NULL with a reason in err;
 * the caller owns the result (rd_kafka_new takes it). */
rd_kafka_conf_t *kafka_conf_common(const struct kafka_opts *o, unsigned qmax, char *err,
				   size_t errlen);

/* Whether a failed delivery is worth another try (the broker or the
 * network was briefly away) rather than a message the broker refuses
 * (producer.c; used by the events exporter and each route stream). */
bool kafka_retriable(rd_kafka_resp_err_t err);

/* The route streams (kafka_streams.c): the stream sink the sources feed
 * (model/stream.h) and a kstream per stream that is on. Loop thread. */
struct cfg_kafka;
struct kafka_streams;
struct log;
struct metrics_registry;
struct stream_sink;

/* Starts the streams c switches on (none: a sink that takes nothing).
 * 0 and *out, or -1 with a reason in err. */
int kafka_streams_start(const struct cfg_kafka *c, const struct kafka_opts *base,
			struct metrics_registry *reg, struct log *lg, struct kafka_streams **out,
			char *err, size_t errlen) __attribute__((warn_unused_result));
/* The sink for cw_ctx.streams; valid until kafka_streams_stop. */
const struct stream_sink *kafka_streams_sink(struct kafka_streams *ks);
void kafka_streams_poll(struct kafka_streams *ks, int64_t now_ns);
/* Applies what can change live (a started stream switched off or on),
 * warns about the rest. */
void kafka_streams_reload(struct kafka_streams *ks, const struct cfg_kafka *old,
			  const struct cfg_kafka *now);
/* Stops taking messages, flushes and spools each stream, frees. Takes NULL. */
void kafka_streams_stop(struct kafka_streams *ks);

#endif
