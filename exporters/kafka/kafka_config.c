/* kafka_config.c — the kafka: section (see kafka_config.h). */
#include "kafka_config.h"
#include "config_schema.h"

#include <stdlib.h>
#include <string.h>

#define KAFKA_SPOOL_DIR_DEFAULT "/var/lib/circuitwatch/kafka-spool"
#define KAFKA_SPOOL_MAX_DEFAULT (1ull << 30)
#define KAFKA_SPOOL_MIN (64u * 1024u)   /* the spool's own minimum */
#define KAFKA_SPOOL_MAX (1ull << 44)
#define KAFKA_QUEUE_DEFAULT 100000u
#define KAFKA_QUEUE_MAX 10000000u
#define KAFKA_TOPIC_MAX 249             /* Kafka's limit on topic names */
#define KAFKA_PROP_MAX 4096             /* a librdkafka property value */

static const char *const kafka_encoding_names[] = {"protobuf", "json", NULL};
static const char *const kafka_compression_names[] = {"none", "gzip", "snappy", "lz4", "zstd",
						      NULL};

const char *cfg_kafka_compression_name(enum cfg_kafka_compression c)
{
	return enum_name(kafka_compression_names, ARRAY_LEN(kafka_compression_names) - 1, c);
}

static bool kafka_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* host:port, the host a name or an address ([v6] in brackets). */
static bool valid_broker(const char *s, size_t len)
{
	const char *colon = memrchr(s, ':', len);
	uint64_t port;

	if (colon == NULL || colon == s || !parse_dec(colon + 1, len - (size_t)(colon + 1 - s), &port) ||
	    port < 1 || port > 65535)
		return false;
	for (const char *p = s; p < colon; p++)
		if (!(kafka_alnum(*p) || strchr(".-_:[]", *p) != NULL))
			return false;
	return true;
}

/* Kafka topic names: [a-zA-Z0-9._-]{1,249}. */
static bool valid_topic(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!(kafka_alnum(s[i]) || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return len > 0 && len <= KAFKA_TOPIC_MAX;
}

/* A property name and a scalar value; the value may be empty. */
static int check_kv(struct walk *w, const struct node *k, const struct node *v)
{
	if (k->len == 0 || memchr(k->s, '\0', k->len))
		return -1;
	if (v->kind != N_SCALAR || v->len > KAFKA_PROP_MAX || memchr(v->s, '\0', v->len)) {
		bad_value(w, v, "a scalar value");
		return -1;
	}
	return 0;
}

/* A free-form mapping of librdkafka property -> value (scalars; numbers and
 * booleans as written). librdkafka itself checks names and values when the
 * exporter starts. */
static int p_kv(struct walk *w, struct frame *fr, const struct field *f, struct node *n,
		void *obj)
{
	(void)fr;
	return p_pairs(w, f, n, obj, "a mapping of librdkafka property to value", "property",
		       check_kv);
}

static const struct ftype t_kv = {p_kv, f_pairs};

static void init_kafka(void *obj)
{
	struct cfg_kafka *c = obj;

	c->encoding = CFG_KAFKA_PROTOBUF;
	c->compression = CFG_KAFKA_LZ4;
	c->spool_max_bytes = KAFKA_SPOOL_MAX_DEFAULT;
	c->queue_max_messages = KAFKA_QUEUE_DEFAULT;
}

static int kafka_default(struct walk *w, struct frame *fr, char **s, const char *def)
{
	if (*s == NULL && (*s = strdup(def)) == NULL)
		return oom(w, fr->loc);
	return 0;
}

/* enabled needs brokers; the strings get their defaults. */
static void check_kafka(struct walk *w, struct frame *fr)
{
	struct cfg_kafka *c = fr->obj;

	if (c->enabled && c->nbrokers == 0 && !(fr_given(fr, "brokers") && !fr_ok(fr, "brokers")))
		err_here(w, fr->loc, "enabled needs \"brokers\" (a non-empty list of host:port)");
	if (kafka_default(w, fr, &c->topic_events, "circuitwatch.events") != 0 ||
	    kafka_default(w, fr, &c->topic_alerts, "circuitwatch.alerts") != 0 ||
	    kafka_default(w, fr, &c->spool_dir, KAFKA_SPOOL_DIR_DEFAULT) != 0)
		return;
	(void)kafka_default(w, fr, &c->client_id, "circuitwatch");
}

static const struct field kafka_fields[] = {
	FIELD_BOOL(struct cfg_kafka, "enabled", enabled, 0),
	FIELD_NAMES(struct cfg_kafka, "brokers", brokers, nbrokers, 0, 0, CFG_KAFKA_BROKERS_MAX,
		    valid_broker, "host:port (a name or an address, [IPv6] in brackets)"),
	FIELD_TEXT(struct cfg_kafka, "topic_events", topic_events, 0, 1, KAFKA_TOPIC_MAX,
		   valid_topic, "a Kafka topic name ([a-zA-Z0-9._-], 1..249 characters)"),
	FIELD_TEXT(struct cfg_kafka, "topic_alerts", topic_alerts, 0, 1, KAFKA_TOPIC_MAX,
		   valid_topic, "a Kafka topic name ([a-zA-Z0-9._-], 1..249 characters)"),
	FIELD_ENUM(struct cfg_kafka, "encoding", encoding, 0, kafka_encoding_names),
	FIELD_ENUM(struct cfg_kafka, "compression", compression, 0, kafka_compression_names),
	FIELD_STRING(struct cfg_kafka, "spool_dir", spool_dir, 0),
	FIELD_UINT(struct cfg_kafka, "spool_max_bytes", spool_max_bytes, 0, KAFKA_SPOOL_MIN,
		   KAFKA_SPOOL_MAX),
	FIELD_UINT(struct cfg_kafka, "queue_max_messages", queue_max_messages, 0, 1,
		   KAFKA_QUEUE_MAX),
	FIELD_STRING(struct cfg_kafka, "client_id", client_id, 0),
	{.key = "librdkafka", .type = &t_kv, .off = offsetof(struct cfg_kafka, librdkafka),
	 .off2 = offsetof(struct cfg_kafka, nlibrdkafka), .max = CFG_KAFKA_PROPS_MAX},
};
DEFINE_TOP_SECTION(kafka_config_section, kafka_fields, struct cfg_kafka, init_kafka, check_kafka,
		   NULL);

const struct cfg_kafka *kafka_config(const struct cfg_config *cfg)
{
	return cfg_section(cfg, &kafka_config_section);
}
