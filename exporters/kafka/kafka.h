/* kafka.h — the Kafka exporter: events from the bus to Kafka topics with
 * librdkafka (idempotent producer, acks=all), keyed by circuit so each
 * circuit's events stay in order, with an on-disk spool (spool.h) for what
 * the brokers cannot take yet.
 *
 * Flow. An event goes straight to the producer while the spool is empty
 * and fewer than queue_max_messages are in flight; otherwise it is
 * appended to the spool. Each poll (on the loop thread) serves delivery
 * reports, fsyncs the spool batch, and feeds spooled records (oldest first)
 * back to the producer as room frees up. At shutdown, what is still in the
 * producer's queue after a short flush is purged and written to the spool
 * in front of everything spooled, so a restart sends it first. A spool
 * that is full (its budget) or that cannot be written (a full disk) drops
 * the event: counted by reason, logged, and reported as an EVENTS_LOST
 * event per reason with the count and time range. The pending loss stays
 * until its report is spooled or taken by the producer (a report lost
 * later puts it back); a report is never counted as a lost event.
 * Nothing is dropped without a count.
 *
 * Threads: every function here runs on the loop thread; librdkafka runs
 * its own threads and hands delivery reports back through
 * kafka_exporter_poll. Ownership: the caller owns the exporter
 * (kafka_exporter_new/free); options are copied.
 */
#ifndef CW_KAFKA_H
#define CW_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cw_event;
struct log;
struct metrics_registry;

#define KAFKA_POLL_MS 50                /* delivery reports, spool sync and replay */
#define KAFKA_SHUTDOWN_FLUSH_MS 2000    /* flush at shutdown before spooling the rest */
#define KAFKA_REPLAY_BATCH 5000         /* spooled records produced per poll at most */
#define KAFKA_QUEUE_MAX_DEFAULT 100000u /* messages in flight before spooling */
#define KAFKA_SPOOL_MAX_DEFAULT (1ull << 30)
#define KAFKA_PROPS_MAX 64              /* librdkafka passthrough properties */
#define KAFKA_LOSS_RETRY_MS 1000        /* an EVENTS_LOST report not kept: tried again after */

enum kafka_encoding { KAFKA_ENC_PROTOBUF, KAFKA_ENC_JSON };

struct kafka_prop {
	const char *key, *value;
};

/* How the producers reach the brokers (kafka.security); strings borrowed. */
struct kafka_security {
	const char *protocol;   /* plaintext|ssl|sasl_plaintext|sasl_ssl */
	const char *mechanism;  /* PLAIN|SCRAM-SHA-256|SCRAM-SHA-512; NULL: no SASL */
	const char *username, *password;
	const char *ca_file, *cert_file, *key_file; /* NULL: not set */
	bool tls;               /* ssl or sasl_ssl: the ssl.* settings apply */
	bool verify_hostname;
};

struct kafka_opts {
	const char *brokers;        /* "host:port,host:port" */
	const char *topic_events;   /* every event but alert transitions */
	const char *topic_alerts;   /* ALERT_TRANSITION events */
	enum kafka_encoding encoding;
	const char *compression;    /* none|gzip|snappy|lz4|zstd */
	const char *client_id;
	const char *spool_dir;      /* NULL: no spool (beyond the queue bound, events are lost) */
	uint64_t spool_max_bytes;
	unsigned queue_max_messages;
	const struct kafka_security *security; /* NULL: librdkafka's defaults (plaintext) */
	size_t nprops;              /* librdkafka properties, applied last */
	const struct kafka_prop *props;
};

struct kafka_stats {
	uint64_t queued, delivered, failed, retried, spooled, lost, replayed;
	uint64_t in_flight, spool_bytes;
	bool spool_full;
};

struct kafka_exporter;

/* A way to publish the exporter's own EVENTS_LOST event (the daemon passes
 * the bus, so other subscribers see it too); NULL: handled directly. */
typedef void (*kafka_emit_fn)(void *arg, const struct cw_event *ev);

/* Creates the producer and opens the spool. Returns 0 and *out, or -1 with
 * a reason in err. reg and lg are borrowed (may be NULL in tests). */
int kafka_exporter_new(const struct kafka_opts *o, struct metrics_registry *reg,
		       struct log *lg, struct kafka_exporter **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void kafka_exporter_set_emit(struct kafka_exporter *k, kafka_emit_fn fn, void *arg);
/* Takes one event (a bus subscriber: arg is the exporter). */
void kafka_exporter_event(void *arg, const struct cw_event *ev);
/* Serves delivery reports, syncs the spool, replays it. now_ns stamps the
 * EVENTS_LOST event. */
void kafka_exporter_poll(struct kafka_exporter *k, int64_t now_ns);
/* Reports the pending loss now, without waiting KAFKA_LOSS_RETRY_MS after
 * a report that could not be kept: at shutdown, while the bus still has
 * the exporter as a subscriber. */
void kafka_exporter_report_loss(struct kafka_exporter *k, int64_t now_ns);
/* Flushes (at most KAFKA_SHUTDOWN_FLUSH_MS), spools what is left, frees;
 * a loss still pending is logged. Takes NULL. */
void kafka_exporter_free(struct kafka_exporter *k);
void kafka_exporter_stats(const struct kafka_exporter *k, struct kafka_stats *st);

/* Names and values of the config keys (for config and messages). */
const char *kafka_encoding_name(enum kafka_encoding e);
const char *kafka_content_type(enum kafka_encoding e);

/* `circuitwatch events` (main.c's command table parses its options):
 * consumes a topic and prints each event as a JSON line. Returns the exit
 * code: 0, 1 when the topic cannot be read, 2 when the consumer cannot be
 * configured. */
struct kafka_events_opts {
	const char *brokers, *topic;
	bool from_beginning;
	long max;        /* 0 = no limit */
	double timeout;  /* seconds without a message before stopping; 0 = never */
};
int kafka_events_run(const struct kafka_events_opts *o);

/* The module (daemon.c's table): reads the `kafka:` section. */
struct cw_module;
extern const struct cw_module kafka_module;

#endif
