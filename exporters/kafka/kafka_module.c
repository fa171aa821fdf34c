/* kafka_module.c — the Kafka exporter as a daemon module: the `kafka:`
 * section to exporter options, a bus subscription, and the poll timer on
 * the loop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "bus.h"
#include "kafka_config.h"
#include "event.h"
#include "kafka.h"
#include "kafka_priv.h"
#include "log.h"
#include "module.h"

#define KAFKA_PASSWORD_MAX 4096

struct kmod {
	struct kafka_exporter *k;
	struct kafka_streams *streams;
	struct ev_bus *bus;
	uv_timer_t *timer;
	char *brokers; /* joined with ',' */
	struct kafka_prop *props;
	struct kafka_security sec;
	char *password; /* read from sasl.password_file; wiped at free */
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

	int64_t now = wall_ns();

	kafka_exporter_poll(m->k, now);
	kafka_streams_poll(m->streams, now);
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
	if (m->password != NULL) {
		explicit_bzero(m->password, strlen(m->password));
		free(m->password);
	}
	free(m->brokers);
	free(m->props);
	free(m);
}

/* The SASL password: the file's first line (a trailing newline or CRLF
 * dropped). Read at start, before the daemon drops privileges. */
static char *read_password(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *buf = calloc(1, KAFKA_PASSWORD_MAX + 1);
	size_t n = 0;

	if (f == NULL || buf == NULL) {
		snprintf(err, errlen, "kafka.security.sasl.password_file %s: %s", path,
			 f == NULL ? strerror(errno) : "out of memory");
		if (f != NULL)
			fclose(f);
		free(buf);
		return NULL;
	}
	n = fread(buf, 1, KAFKA_PASSWORD_MAX, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf;
}

static int security(const struct cfg_kafka *c, struct kmod *m, char *err, size_t errlen)
{
	const struct cfg_kafka_security *s = &c->security;
	bool sasl = s->protocol == CFG_KAFKA_SASL_PLAINTEXT || s->protocol == CFG_KAFKA_SASL_SSL;

	m->sec = (struct kafka_security){
		.protocol = cfg_kafka_protocol_name(s->protocol),
		.tls = s->protocol == CFG_KAFKA_SSL || s->protocol == CFG_KAFKA_SASL_SSL,
		.ca_file = s->tls.ca_file,
		.cert_file = s->tls.cert_file,
		.key_file = s->tls.key_file,
		.verify_hostname = s->tls.verify_hostname,
	};
	if (!sasl)
		return 0;
	m->password = read_password(s->sasl.password_file, err, errlen);
	if (m->password == NULL)
		return -1;
	m->sec.mechanism = cfg_kafka_mechanism_name(s->sasl.mechanism);
	m->sec.username = s->sasl.username;
	m->sec.password = m->password;
	return 0;
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
		.security = &m->sec,
		.nprops = c->nlibrdkafka,
		.props = m->props,
	};
	return 0;
}

/* The route streams, with the exporter's producer settings; the sources
 * (started after this module) find them in ctx->streams. */
static int start_streams(struct cw_ctx *ctx, const struct cfg_kafka *c, struct kmod *m,
			 const struct kafka_opts *o)
{
	char err[512] = "out of memory";

	if (kafka_streams_start(c, o, ctx->reg, ctx->log, &m->streams, err, sizeof(err)) != 0) {
		log_error(ctx->log, "kafka: cannot start the route streams", "error", err);
		return -1;
	}
	ctx->streams = kafka_streams_sink(m->streams);
	return 0;
}

static void free_handle(uv_handle_t *h);

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
	if (m == NULL || security(c, m, err, sizeof(err)) != 0 || options(c, m, &o) != 0 ||
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
	if (start_streams(ctx, c, m, &o) != 0) {
		ev_unsubscribe(m->bus, kafka_exporter_event, m->k);
		uv_close((uv_handle_t *)m->timer, free_handle);
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

static bool security_changed(const struct cfg_kafka_security *a,
			     const struct cfg_kafka_security *b)
{
	return a->protocol != b->protocol || a->sasl.mechanism != b->sasl.mechanism ||
	       !same_str(a->sasl.username, b->sasl.username) ||
	       !same_str(a->sasl.password_file, b->sasl.password_file) ||
	       !same_str(a->tls.ca_file, b->tls.ca_file) ||
	       !same_str(a->tls.cert_file, b->tls.cert_file) ||
	       !same_str(a->tls.key_file, b->tls.key_file) ||
	       a->tls.verify_hostname != b->tls.verify_hostname;
}

/* The producer and the spool are built once: a changed kafka section
 * applies at the next start (the running exporter keeps going). */
static void kmod_reload(struct cw_ctx *ctx, void *state, const struct cfg_config *old)
{
	struct kmod *m = state;
	const struct cfg_kafka *o = kafka_config(old), *n = kafka_config(ctx->cfg);

	if (kafka_changed(o, n) || security_changed(&o->security, &n->security))
		log_warn(ctx->log, "kafka: settings changed; they apply after a restart");
	if (m != NULL)
		kafka_streams_reload(m->streams, o, n);
	else if (n->streams.bmp_raw.enabled || n->streams.routes.enabled)
		log_warn(ctx->log, "kafka: streams need the kafka exporter running; they start "
			 "after a restart");
}

static void free_handle(uv_handle_t *h)
{
	free(h);
}

static void kmod_stop(struct cw_ctx *ctx, void *state)
{
	struct kmod *m = state;

	if (m == NULL)
		return;
	/* a loss not yet reported: its EVENTS_LOST (with an id from the bus)
	 * is produced or spooled before the exporter stops */
	kafka_exporter_report_loss(m->k, wall_ns());
	ev_unsubscribe(m->bus, kafka_exporter_event, m->k);
	uv_timer_stop(m->timer);
	uv_close((uv_handle_t *)m->timer, free_handle);
	/* the sources stopped before us: nothing feeds the streams any more */
	ctx->streams = NULL;
	kafka_streams_stop(m->streams);
	kafka_exporter_free(m->k); /* flushes; spools what is left */
	kmod_free(m);
}

const struct cw_module kafka_module = {
	.name = "kafka",
	.start = kmod_start,
	.reload = kmod_reload,
	.stop = kmod_stop,
};
