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

/* kafka.streams: route streams, each its own topic and producer (issue 15) */
struct cfg_kafka_stream_raw {
	bool enabled;               /* default false */
	char *topic;                /* default "openbmp.bmp_raw" */
};

struct cfg_kafka_stream_routes {
	bool enabled;               /* default false */
	char *topic;                /* default "circuitwatch.routes" */
	enum cfg_kafka_encoding encoding; /* default protobuf */
};

#define CFG_KAFKA_ADMIN_ID_MAX 64   /* OpenBMP's admin id field */

struct cfg_kafka_streams {
	struct cfg_kafka_stream_raw bmp_raw;
	struct cfg_kafka_stream_routes routes;
	char *admin_id;             /* OpenBMP collector admin id; default the host name */
};

/* kafka.security: how the producers reach the brokers */
enum cfg_kafka_protocol {
	CFG_KAFKA_PLAINTEXT, CFG_KAFKA_SSL, CFG_KAFKA_SASL_PLAINTEXT, CFG_KAFKA_SASL_SSL
};
enum cfg_kafka_mechanism {
	CFG_KAFKA_PLAIN, CFG_KAFKA_SCRAM_SHA_256, CFG_KAFKA_SCRAM_SHA_512
};

struct cfg_kafka_sasl {
	enum cfg_kafka_mechanism mechanism; /* default PLAIN */
	char *username;
	char *password_file;        /* read at start; a trailing newline is dropped */
};

struct cfg_kafka_tls {
	char *ca_file;              /* NULL: the system's CA store */
	char *cert_file, *key_file; /* client certificate (both or neither) */
	bool verify_hostname;       /* default true */
};

struct cfg_kafka_security {
	enum cfg_kafka_protocol protocol; /* default plaintext */
	struct cfg_kafka_sasl sasl;
	struct cfg_kafka_tls tls;
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
	struct cfg_kafka_security security;
	struct cfg_kafka_streams streams;
};

extern const struct section kafka_config_section;

/* The kafka: section of cfg (NULL when cfg's schema has none). */
const struct cfg_kafka *kafka_config(const struct cfg_config *cfg);

/* Names used in metrics labels and logs (static strings). */
const char *cfg_kafka_compression_name(enum cfg_kafka_compression c);
/* librdkafka's names: security.protocol and sasl.mechanisms values */
const char *cfg_kafka_protocol_name(enum cfg_kafka_protocol p);
const char *cfg_kafka_mechanism_name(enum cfg_kafka_mechanism m);

#endif
