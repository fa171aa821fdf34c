/* kafka_module.c — the Kafka exporter as a daemon module: the `kafka:`
 * section to exporter options, a bus subscription, and the poll timer on
 * the loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "bus.h"
#include "kafka_config.h"
#include "event.h"
#include "kafka.h"
#include "log.h"
#include "module.h"

struct kmod {
	struct kafka_exporter *k;
	struct ev_bus *bus;
	uv_timer_t *timer;
	char *brokers; /* joined with ',' */
	struct kafka_prop *props;
};

static int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void on_timer(uv_timer_t *t)
{
	struct kmod *m = t->data;

	kafka_exporter_poll(m->k, wall_ns());
}

/* The exporter's own events (EVENTS_LOST) go through the bus, so that
 * every subscriber sees them; the exporter is one of them. */
static void emit_bus(void *arg, const struct cw_event *ev)
{
	ev_emit(arg, ev);
}

static char *join(char *const *v, size_t n)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	s = malloc(len);
	if (s == NULL)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(s, ",");
		strcat(s, v[i]);
	}
	return s;
}

static void kmod_free(struct kmod *m)
{
	free(m->brokers);
	free(m->props);
	free(m);
}

static int options(const struct cfg_kafka *c, struct kmod *m, struct kafka_opts *o)
{
	m->brokers = join(c->brokers, c->nbrokers);
	m->props = calloc(c->nlibrdkafka + 1, sizeof(*m->props));
	if (m->brokers == NULL || m->props == NULL)
		return -1;
	for (size_t i = 0; i < c->nlibrdkafka; i++)
		m->props[i] = (struct kafka_prop){c->librdkafka[i].key, c->librdkafka[i].value};
	*o = (struct kafka_opts){
		.brokers = m->brokers,
		.topic_events = c->topic_events,
		.topic_alerts = c->topic_alerts,
		.encoding = c->encoding == CFG_KAFKA_JSON ? KAFKA_ENC_JSON : KAFKA_ENC_PROTOBUF,
		.compression = cfg_kafka_compression_name(c->compression),
		.client_id = c->client_id,
		.spool_dir = c->spool_dir,
		.spool_max_bytes = c->spool_max_bytes,
		.queue_max_messages = c->queue_max_messages,
		.nprops = c->nlibrdkafka,
		.props = m->props,
	};
	return 0;
}

static int kmod_start(struct cw_ctx *ctx, void **state)
{
	const struct cfg_kafka *c = kafka_config(ctx->cfg);
	struct kafka_opts o;
	struct kmod *m;
	char err[512] = "out of memory";

	*state = NULL;
	if (!c->enabled)
		return 0;
	m = calloc(1, sizeof(*m));
	if (m == NULL || options(c, m, &o) != 0 ||
	    kafka_exporter_new(&o, ctx->reg, ctx->log, &m->k, err, sizeof(err)) != 0) {
		log_error(ctx->log, "kafka: cannot start the exporter", "error", err);
		if (m != NULL)
			kmod_free(m);
		return -1;
	}
	m->bus = ctx->events;
	kafka_exporter_set_emit(m->k, emit_bus, m->bus);
	m->timer = malloc(sizeof(*m->timer));
	if (m->timer == NULL || uv_timer_init(ctx->loop, m->timer) != 0 ||
	    ev_subscribe(m->bus, kafka_exporter_event, m->k) != 0) {
		log_error(ctx->log, "kafka: cannot start the exporter", "error", "loop or bus");
		free(m->timer);
		kafka_exporter_free(m->k);
		kmod_free(m);
		return -1;
	}
	m->timer->data = m;
	(void)uv_timer_start(m->timer, on_timer, KAFKA_POLL_MS, KAFKA_POLL_MS);
	log_info(ctx->log, "kafka exporter started", "brokers", m->brokers, "topic_events",
		 c->topic_events, "topic_alerts", c->topic_alerts, "encoding",
		 kafka_encoding_name(o.encoding), "spool_dir", c->spool_dir ? c->spool_dir : "");
	*state = m;
	return 0;
}

static bool same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool kafka_changed(const struct cfg_kafka *a, const struct cfg_kafka *b)
{
	if (a->enabled != b->enabled || a->nbrokers != b->nbrokers || a->encoding != b->encoding ||
	    a->compression != b->compression || a->spool_max_bytes != b->spool_max_bytes ||
	    a->queue_max_messages != b->queue_max_messages || a->nlibrdkafka != b->nlibrdkafka ||
	    !same_str(a->topic_events, b->topic_events) ||
	    !same_str(a->topic_alerts, b->topic_alerts) || !same_str(a->spool_dir, b->spool_dir) ||
	    !same_str(a->client_id, b->client_id))
		return true;
	for (size_t i = 0; i < a->nbrokers; i++)
		if (strcmp(a->brokers[i], b->brokers[i]) != 0)
			return true;
	for (size_t i = 0; i < a->nlibrdkafka; i++)
		if (strcmp(a->librdkafka[i].key, b->librdkafka[i].key) != 0 ||
		    strcmp(a->librdkafka[i].value, b->librdkafka[i].value) != 0)
			return true;
	return false;
}

/* The producer and the spool are built once: a changed kafka section
 * applies at the next start (the running exporter keeps going). */
static void kmod_reload(struct cw_ctx *ctx, void *state, const struct cfg_config *old)
{
	(void)state;
	if (kafka_changed(kafka_config(old), kafka_config(ctx->cfg)))
		log_warn(ctx->log, "kafka: settings changed; they apply after a restart");
}

static void free_handle(uv_handle_t *h)
{
	free(h);
}

static void kmod_stop(struct cw_ctx *ctx, void *state)
{
	struct kmod *m = state;

	(void)ctx;
	if (m == NULL)
		return;
	/* a loss not yet reported: its EVENTS_LOST (with an id from the bus)
	 * is produced or spooled before the exporter stops */
	kafka_exporter_report_loss(m->k, wall_ns());
	ev_unsubscribe(m->bus, kafka_exporter_event, m->k);
	uv_timer_stop(m->timer);
	uv_close((uv_handle_t *)m->timer, free_handle);
	kafka_exporter_free(m->k); /* flushes; spools what is left */
	kmod_free(m);
}

const struct cw_module kafka_module = {
	.name = "kafka",
	.start = kmod_start,
	.reload = kmod_reload,
	.stop = kmod_stop,
};
