/* kafka_priv.h — what the Kafka module's own files share (not for others):
 * the librdkafka settings every producer of ours gets (the events
 * exporter and each route stream), from the kafka: options.
 */
#ifndef CW_KAFKA_PRIV_H
#define CW_KAFKA_PRIV_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "kafka.h"

/* A new librdkafka configuration for one of our producers: the brokers,
 * client id, compression, security settings and passthrough properties of
 * o; idempotent with acks=all (each key keeps its order across retries);
 * no message timeout (our spool bounds memory); librdkafka's own queue
 * bound above qmax (we spool first). Returns NULL with a reason in err;
 * the caller owns the result (rd_kafka_new takes it). */
rd_kafka_conf_t *kafka_conf_common(const struct kafka_opts *o, unsigned qmax, char *err,
				   size_t errlen);

#endif
