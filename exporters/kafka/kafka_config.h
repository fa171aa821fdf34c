/* kafka_config.h — the kafka: section of the configuration: events to Kafka
 * topics (issue 7), the spool, and librdkafka properties.
 *
 * Ownership: kafka_config() returns the section inside cfg (cfg owns it and
 * every string and array in it).
 */
#ifndef CW_KAFKA_CONFIG_H
#define CW_KAFKA_CONFIG_H

#include "config.h"

#define CFG_KAFKA_BROKERS_MAX 64    /* kafka.brokers entries */
#define CFG_KAFKA_PROPS_MAX 64      /* kafka.librdkafka entries */

enum cfg_kafka_encoding { CFG_KAFKA_PROTOBUF, CFG_KAFKA_JSON };
enum cfg_kafka_compression {
	CFG_KAFKA_NONE, CFG_KAFKA_GZIP, CFG_KAFKA_SNAPPY, CFG_KAFKA_LZ4, CFG_KAFKA_ZSTD
};

struct cfg_kafka {
	bool enabled;               /* default false */
	size_t nbrokers;            /* "host:port" each; at least one when enabled */
	char **brokers;
	char *topic_events;         /* default "circuitwatch.events" */
	char *topic_alerts;         /* default "circuitwatch.alerts" */
	enum cfg_kafka_encoding encoding;       /* default protobuf */
	enum cfg_kafka_compression compression; /* default lz4 */
	char *spool_dir;            /* default "/var/lib/circuitwatch/kafka-spool" */
	uint64_t spool_max_bytes;   /* 65536..2^44; default 1 GiB */
	uint32_t queue_max_messages; /* 1..10000000; default 100000 */
	char *client_id;            /* default "circuitwatch" */
	size_t nlibrdkafka;         /* librdkafka properties, applied last */
	struct cfg_kv *librdkafka;
};

extern const struct section kafka_config_section;

/* The kafka: section of cfg (NULL when cfg's schema has none). */
const struct cfg_kafka *kafka_config(const struct cfg_config *cfg);

/* Names used in metrics labels and logs (static strings). */
const char *cfg_kafka_compression_name(enum cfg_kafka_compression c);

#endif
