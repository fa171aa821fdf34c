/* kafka_config.c — the kafka: section (see kafka_config.h). */
#include "kafka_config.h"
#include "config_schema.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
static const char *const kafka_protocol_names[] = {"plaintext", "ssl", "sasl_plaintext",
						   "sasl_ssl", NULL};
static const char *const kafka_mechanism_names[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512",
						    NULL};

const char *cfg_kafka_protocol_name(enum cfg_kafka_protocol p)
{
	return enum_name(kafka_protocol_names, ARRAY_LEN(kafka_protocol_names) - 1, p);
}

const char *cfg_kafka_mechanism_name(enum cfg_kafka_mechanism m)
{
	return enum_name(kafka_mechanism_names, ARRAY_LEN(kafka_mechanism_names) - 1, m);
}

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

/* ---- kafka.streams ---- */

static int kafka_default(struct walk *w, struct frame *fr, char **s, const char *def);

/* Printable ASCII without quotes or backslashes: it goes into a binary
 * header and into logs as it is. */
static bool valid_admin_id(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
			return false;
	return len > 0 && len <= CFG_KAFKA_ADMIN_ID_MAX;
}

static void check_raw(struct walk *w, struct frame *fr)
{
	struct cfg_kafka_stream_raw *c = fr->obj;

	(void)kafka_default(w, fr, &c->topic, "openbmp.bmp_raw");
}

static void check_routes(struct walk *w, struct frame *fr)
{
	struct cfg_kafka_stream_routes *c = fr->obj;

	(void)kafka_default(w, fr, &c->topic, "circuitwatch.routes");
}

/* admin_id: the host name unless given (OpenBMP's collector admin id). */
static void check_streams(struct walk *w, struct frame *fr)
{
	struct cfg_kafka_streams *c = fr->obj;
	char host[256] = "";

	if (c->admin_id != NULL)
		return;
	if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "circuitwatch");
	host[CFG_KAFKA_ADMIN_ID_MAX] = '\0';
	(void)kafka_default(w, fr, &c->admin_id, host);
}

#define TOPIC_EXPECT "a Kafka topic name ([a-zA-Z0-9._-], 1..249 characters)"

static const struct field raw_fields[] = {
	FIELD_BOOL(struct cfg_kafka_stream_raw, "enabled", enabled, 0),
	FIELD_TEXT(struct cfg_kafka_stream_raw, "topic", topic, 0, 1, KAFKA_TOPIC_MAX, valid_topic,
		   TOPIC_EXPECT),
};
DEFINE_SECTION(sec_raw, raw_fields, struct cfg_kafka_stream_raw, NULL, check_raw);

static const struct field routes_fields[] = {
	FIELD_BOOL(struct cfg_kafka_stream_routes, "enabled", enabled, 0),
	FIELD_TEXT(struct cfg_kafka_stream_routes, "topic", topic, 0, 1, KAFKA_TOPIC_MAX,
		   valid_topic, TOPIC_EXPECT),
	FIELD_ENUM(struct cfg_kafka_stream_routes, "encoding", encoding, 0, kafka_encoding_names),
};
DEFINE_SECTION(sec_routes, routes_fields, struct cfg_kafka_stream_routes, NULL, check_routes);

static const struct field streams_fields[] = {
	FIELD_SECTION(struct cfg_kafka_streams, "bmp_raw", bmp_raw, F_DEFAULT_EMPTY, sec_raw),
	FIELD_SECTION(struct cfg_kafka_streams, "routes", routes, F_DEFAULT_EMPTY, sec_routes),
	FIELD_TEXT(struct cfg_kafka_streams, "admin_id", admin_id, 0, 1, CFG_KAFKA_ADMIN_ID_MAX,
		   valid_admin_id, "printable ASCII without quotes, 1..64 characters"),
};
DEFINE_SECTION(sec_streams, streams_fields, struct cfg_kafka_streams, NULL, check_streams);

/* ---- kafka.security ---- */

static void init_tls(void *obj)
{
	struct cfg_kafka_tls *c = obj;

	c->verify_hostname = true;
}

static void check_tls(struct walk *w, struct frame *fr)
{
	struct cfg_kafka_tls *c = fr->obj;

	if ((c->cert_file == NULL) != (c->key_file == NULL) &&
	    !(fr_given(fr, "cert_file") && !fr_ok(fr, "cert_file")) &&
	    !(fr_given(fr, "key_file") && !fr_ok(fr, "key_file")))
		err_key(w, fr, c->cert_file ? "cert_file" : "key_file",
			"a client certificate needs both \"cert_file\" and \"key_file\"");
}

static bool is_sasl(enum cfg_kafka_protocol p)
{
	return p == CFG_KAFKA_SASL_PLAINTEXT || p == CFG_KAFKA_SASL_SSL;
}

static bool is_tls(enum cfg_kafka_protocol p)
{
	return p == CFG_KAFKA_SSL || p == CFG_KAFKA_SASL_SSL;
}

/* The protocol decides which of sasl: and tls: apply; each given where it
 * does not apply, or missing where it must be, is an error (a setting that
 * silently does nothing is how credentials end up sent in the clear). */
static void check_security(struct walk *w, struct frame *fr)
{
	struct cfg_kafka_security *c = fr->obj;
	const char *proto = cfg_kafka_protocol_name(c->protocol);

	if (fr_given(fr, "protocol") && !fr_ok(fr, "protocol"))
		return;
	if (is_sasl(c->protocol) && (c->sasl.username == NULL || c->sasl.password_file == NULL))
		err_key(w, fr, "sasl", "protocol %s needs \"sasl\" with \"username\" and "
			"\"password_file\"", proto);
	if (!is_sasl(c->protocol) && fr_given(fr, "sasl"))
		err_key(w, fr, "sasl", "applies only with protocol sasl_plaintext or sasl_ssl "
			"(protocol is %s)", proto);
	if (!is_tls(c->protocol) && fr_given(fr, "tls"))
		err_key(w, fr, "tls", "applies only with protocol ssl or sasl_ssl (protocol is %s)",
			proto);
}

static const struct field sasl_fields[] = {
	FIELD_ENUM(struct cfg_kafka_sasl, "mechanism", mechanism, 0, kafka_mechanism_names),
	FIELD_STRING(struct cfg_kafka_sasl, "username", username, 0),
	FIELD_STRING(struct cfg_kafka_sasl, "password_file", password_file, 0),
};
DEFINE_SECTION(sec_sasl, sasl_fields, struct cfg_kafka_sasl, NULL, NULL);

static const struct field tls_fields[] = {
	FIELD_STRING(struct cfg_kafka_tls, "ca_file", ca_file, 0),
	FIELD_STRING(struct cfg_kafka_tls, "cert_file", cert_file, 0),
	FIELD_STRING(struct cfg_kafka_tls, "key_file", key_file, 0),
	FIELD_BOOL(struct cfg_kafka_tls, "verify_hostname", verify_hostname, 0),
};
DEFINE_SECTION(sec_tls, tls_fields, struct cfg_kafka_tls, init_tls, check_tls);

static const struct field security_fields[] = {
	FIELD_ENUM(struct cfg_kafka_security, "protocol", protocol, 0, kafka_protocol_names),
	FIELD_SECTION(struct cfg_kafka_security, "sasl", sasl, F_DEFAULT_EMPTY, sec_sasl),
	FIELD_SECTION(struct cfg_kafka_security, "tls", tls, F_DEFAULT_EMPTY, sec_tls),
};
DEFINE_SECTION(sec_security, security_fields, struct cfg_kafka_security, NULL, check_security);

/* librdkafka properties that kafka.security sets: given both ways, which
 * one wins would be a surprise. */
static void check_overlap(struct walk *w, struct frame *fr, const struct cfg_kafka *c)
{
	static const char *const owned[] = {"security.protocol", "sasl.", "ssl."};

	if (!fr_given(fr, "security"))
		return;
	for (size_t i = 0; i < c->nlibrdkafka; i++)
		for (size_t j = 0; j < ARRAY_LEN(owned); j++)
			if (strncmp(c->librdkafka[i].key, owned[j], strlen(owned[j])) == 0) {
				err_key(w, fr, "librdkafka", "%s is set by \"security\"; set it "
					"there only", c->librdkafka[i].key);
				return;
			}
}

/* Each stream its own topic, none of them the events' or the alerts'. */
static void check_topics(struct walk *w, struct frame *fr, const struct cfg_kafka *c)
{
	const char *raw = c->streams.bmp_raw.topic, *routes = c->streams.routes.topic;

	if (raw == NULL || routes == NULL || c->topic_events == NULL || c->topic_alerts == NULL)
		return;
	if (strcmp(raw, routes) == 0 || strcmp(raw, c->topic_events) == 0 ||
	    strcmp(raw, c->topic_alerts) == 0 || strcmp(routes, c->topic_events) == 0 ||
	    strcmp(routes, c->topic_alerts) == 0)
		err_key(w, fr, "streams", "each stream needs a topic of its own (not the other "
			"stream's, topic_events or topic_alerts)");
}

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
	check_overlap(w, fr, c);
	check_topics(w, fr, c);
	if (!c->enabled && (c->streams.bmp_raw.enabled || c->streams.routes.enabled))
		err_key(w, fr, "streams", "a stream needs \"enabled: true\" in kafka: (its "
			"brokers and producer settings)");
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
	FIELD_SECTION(struct cfg_kafka, "security", security, F_DEFAULT_EMPTY, sec_security),
	FIELD_SECTION(struct cfg_kafka, "streams", streams, F_DEFAULT_EMPTY, sec_streams),
};
DEFINE_TOP_SECTION(kafka_config_section, kafka_fields, struct cfg_kafka, init_kafka, check_kafka,
		   NULL);

const struct cfg_kafka *kafka_config(const struct cfg_config *cfg)
{
	return cfg_section(cfg, &kafka_config_section);
}
