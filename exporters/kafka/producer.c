/* producer.c — the librdkafka edge of the Kafka exporter: produce, delivery
 * reports, the spool around them, metrics. */
#include "kafka.h"

#include <errno.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event_codec.h"
#include "kafka_priv.h"
#include "log.h"
#include "metrics.h"
#include "spool.h"

/* What rides with each message as its opaque: the protobuf encoding (to
 * spool it again if it comes back undelivered) and where it came from. */
struct kmsg {
	uint64_t seq;    /* produce order, to spool purged messages in order */
	uint64_t ticket; /* spool ticket; 0 = produced directly */
	bool alert;
	size_t len;
	uint8_t pb[];
};

enum topic_ix { T_EVENTS, T_ALERTS, T_COUNT };

enum lost_reason {
	LOST_SPOOL_FULL,
	LOST_SPOOL_ERROR,
	LOST_NO_SPOOL,
	LOST_DELIVERY,
	LOST_ENCODE,
	LOST_UNDECODABLE,
	LOST__COUNT
};

static const char *const lost_names[LOST__COUNT] = {
	"spool_full", "spool_error", "no_spool", "delivery_failed", "encode_failed",
	"spool_record_undecodable"};

struct kmetrics {
	struct metrics_series *queued[T_COUNT], *delivered[T_COUNT], *retried[T_COUNT];
	struct metrics_family *failed;
	struct metrics_series *lost[LOST__COUNT];
	struct metrics_series *spooled, *in_flight, *spool_bytes, *spool_full, *corrupt,
		*truncated;
};

/* Loss of one reason not yet reported in an EVENTS_LOST event. */
struct pending_loss {
	uint64_t count;
	int64_t first_ns, last_ns;
};

struct kafka_exporter {
	rd_kafka_t *rk;
	struct log *log;
	struct log_ratelimit rl_lost, rl_fail, rl_rdk, rl_state, rl_report;
	char *topic[T_COUNT];
	enum kafka_encoding enc;
	unsigned qmax;
	struct spool *spool;
	uint64_t spool_max;
	bool spool_dirty, closing, log_events;
	uint64_t seq;
	struct kafka_stats st;
	struct kmetrics m;
	bool have_metrics;
	/* Loss not yet reported, by reason. Kept until its EVENTS_LOST report
	 * is spooled or handed to the producer; a report that is lost after
	 * all puts its loss back here (lose()), so nothing is forgotten and a
	 * report never counts itself. */
	struct pending_loss pending[LOST__COUNT];
	enum lost_reason blocked; /* why the spool takes nothing (st.spool_full) */
	int64_t report_after_ns;  /* after a failed report: not before */
	bool report_seen, report_kept;
	kafka_emit_fn emit;
	void *emit_arg;
	/* purged at shutdown: spooled in front */
	struct kmsg **purged;
	size_t npurged, purged_cap;
};

static const char *const topic_labels[T_COUNT] = {"events", "alerts"};

const char *kafka_encoding_name(enum kafka_encoding e)
{
	return e == KAFKA_ENC_JSON ? "json" : "protobuf";
}

const char *kafka_content_type(enum kafka_encoding e)
{
	return e == KAFKA_ENC_JSON ? "application/json" : "application/x-protobuf";
}

/* ---- metrics ---- */

static struct metrics_family *fam(struct metrics_registry *reg, enum metrics_type t,
				  const char *name, const char *help, size_t nl,
				  const char *const *labels)
{
	struct metrics_family_def d = {.type = t, .name = name, .help = help, .nlabels = nl,
				       .label_names = labels};

	return metrics_family_new(reg, &d);
}

static int per_topic(struct metrics_registry *reg, const char *name, const char *help,
		     struct metrics_series **out)
{
	static const char *const l[] = {"topic"};
	struct metrics_family *f = fam(reg, METRICS_COUNTER, name, help, 1, l);

	for (int t = 0; f != NULL && t < T_COUNT; t++) {
		const char *v[] = {topic_labels[t]};

		if ((out[t] = metrics_series_get(f, v)) == NULL)
			return -1;
	}
	return f != NULL ? 0 : -1;
}

static struct metrics_series *single(struct metrics_registry *reg, enum metrics_type t,
				     const char *name, const char *help)
{
	struct metrics_family *f = fam(reg, t, name, help, 0, NULL);

	return f != NULL ? metrics_series_get(f, NULL) : NULL;
}

static int metrics_init(struct kmetrics *m, struct metrics_registry *reg)
{
	static const char *const l_reason[] = {"reason"};
	static const char *const l_fail[] = {"topic", "error"};
	static const char *const l_damage[] = {"kind"};
	struct metrics_family *lost, *damage;

	if (per_topic(reg, "circuitwatch_kafka_messages_queued_total",
		      "Messages handed to the Kafka producer, by topic (events or alerts).",
		      m->queued) != 0 ||
	    per_topic(reg, "circuitwatch_kafka_messages_delivered_total",
		      "Messages the brokers acknowledged (acks=all), by topic.", m->delivered) != 0 ||
	    per_topic(reg, "circuitwatch_kafka_messages_retried_total",
		      "Messages produced again: replayed from the spool, or spooled again "
		      "after a failed delivery.",
		      m->retried) != 0)
		return -1;
	m->failed = fam(reg, METRICS_COUNTER, "circuitwatch_kafka_messages_failed_total",
			"Delivery reports with an error, by topic and librdkafka error name "
			"(a retriable one is spooled again).",
			2, l_fail);
	lost = fam(reg, METRICS_COUNTER, "circuitwatch_kafka_events_lost_total",
		   "Events the exporter could not keep, by reason (each is also logged).", 1,
		   l_reason);
	damage = fam(reg, METRICS_COUNTER, "circuitwatch_kafka_spool_damaged_total",
		     "Damaged spool regions skipped when reading (kind: corrupt = bad CRC or "
		     "length, truncated = a record cut short by a crash).",
		     1, l_damage);
	m->spooled = single(reg, METRICS_COUNTER, "circuitwatch_kafka_spooled_total",
			    "Events written to the on-disk spool.");
	m->in_flight = single(reg, METRICS_GAUGE, "circuitwatch_kafka_messages_in_flight",
			      "Messages handed to the producer and not yet acknowledged.");
	m->spool_bytes = single(reg, METRICS_GAUGE, "circuitwatch_kafka_spool_bytes",
				"Bytes of the spool's segment files.");
	m->spool_full = single(reg, METRICS_GAUGE, "circuitwatch_kafka_spool_full",
			       "1 while the spool is too full to take an event.");
	if (m->failed == NULL || lost == NULL || damage == NULL || m->spooled == NULL ||
	    m->in_flight == NULL || m->spool_bytes == NULL || m->spool_full == NULL)
		return -1;
	for (int r = 0; r < LOST__COUNT; r++) {
		const char *v[] = {lost_names[r]};

		if ((m->lost[r] = metrics_series_get(lost, v)) == NULL)
			return -1;
	}
	const char *c[] = {"corrupt"}, *t[] = {"truncated"};

	m->corrupt = metrics_series_get(damage, c);
	m->truncated = metrics_series_get(damage, t);
	return m->corrupt != NULL && m->truncated != NULL ? 0 : -1;
}

static void count(struct kafka_exporter *k, struct metrics_series *s, uint64_t *stat)
{
	(*stat)++;
	if (k->have_metrics)
		metrics_counter_add(s, 1);
}

/* ---- loss ---- */

static int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void pend_add(struct kafka_exporter *k, enum lost_reason r, uint64_t n, int64_t first,
		     int64_t last)
{
	struct pending_loss *p = &k->pending[r];

	if (n == 0)
		return;
	if (p->count == 0 || first < p->first_ns)
		p->first_ns = first;
	if (p->count == 0 || last > p->last_ns)
		p->last_ns = last;
	p->count += n;
}

static enum lost_reason reason_of(const char *name, enum lost_reason dflt)
{
	for (int r = 0; r < LOST__COUNT; r++)
		if (strcmp(name, lost_names[r]) == 0)
			return (enum lost_reason)r;
	return dflt;
}

/* Our own EVENTS_LOST report could not be kept: the loss it carried is
 * pending again (it was counted when it happened; the report is no event
 * lost of its own). */
static void keep_report(struct kafka_exporter *k, enum lost_reason r, const struct cw_event *ev)
{
	const char *why = lost_names[r];

	pend_add(k, reason_of(ev->d.loss.reason, r), ev->d.loss.count, ev->d.loss.first_ns,
		 ev->d.loss.last_ns);
	k->report_kept = true;
	log_kv_limited(k->log, &k->rl_report, LOG_LVL_WARN,
		       "kafka: loss report not written; its loss stays pending", "reason", why,
		       (const char *)0);
}

static bool is_report(const struct cw_event *ev)
{
	return ev != NULL && ev->type == CW_EV_EVENTS_LOST && ev->detail == CW_DETAIL_LOSS;
}

static void lose(struct kafka_exporter *k, enum lost_reason r, const struct cw_event *ev,
		 const char *detail)
{
	char id[2 * CW_EVENT_ID_LEN + 1] = "";
	int64_t now = wall_ns();

	if (is_report(ev)) {
		keep_report(k, r, ev);
		return;
	}
	if (ev != NULL)
		cw_event_id_hex(ev, id);
	count(k, k->have_metrics ? k->m.lost[r] : NULL, &k->st.lost);
	pend_add(k, r, 1, now, now);
	log_kv_limited(k->log, &k->rl_lost, LOG_LVL_ERROR, "kafka: event lost", "reason",
		       lost_names[r], "id", id, "type", ev ? cw_event_type_name(ev->type) : "",
		       "circuit", ev ? ev->circuit : "", "detail", detail ? detail : "",
		       (const char *)0);
}

/* ---- producing ---- */

static void free_purged(struct kafka_exporter *k)
{
	for (size_t i = 0; i < k->npurged; i++)
		free(k->purged[i]);
	free(k->purged);
	k->purged = NULL;
	k->npurged = k->purged_cap = 0;
}

static const char *key_of(const struct cw_event *ev)
{
	/* Kafka orders per partition and the key picks the partition: one key
	 * per circuit keeps each circuit's events in order */
	if (ev->circuit[0] != '\0')
		return ev->circuit;
	if (ev->has_peer && ev->peer.router[0] != '\0')
		return ev->peer.router;
	return "circuitwatch";
}

static char *encode_value(const struct kafka_exporter *k, const struct kmsg *km,
			  const struct cw_event *ev, size_t *len)
{
	char *json;

	if (k->enc == KAFKA_ENC_PROTOBUF) {
		*len = km->len;
		return (char *)km->pb;
	}
	json = cw_event_encode_json(ev);
	*len = json != NULL ? strlen(json) : 0;
	return json;
}

/* Hands one message to librdkafka. RD_KAFKA_RESP_ERR_NO_ERROR, or why not
 * (__QUEUE_FULL: try again later; then km is still the caller's). */
static rd_kafka_resp_err_t produce(struct kafka_exporter *k, struct kmsg *km,
				  const struct cw_event *ev)
{
	static const char schema[] = {'0' + CW_EVENT_SCHEMA_VERSION, 0};
	const char *ct = kafka_content_type(k->enc), *type = cw_event_type_name(ev->type);
	const char *key = key_of(ev);
	rd_kafka_headers_t *h = rd_kafka_headers_new(3);
	size_t vlen;
	char *value = encode_value(k, km, ev, &vlen);
	rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__FAIL;

	if (h != NULL && value != NULL) {
		rd_kafka_header_add(h, "content-type", -1, ct, -1);
		rd_kafka_header_add(h, "schema-version", -1, schema, -1);
		rd_kafka_header_add(h, "event-type", -1, type, -1);
		err = rd_kafka_producev(k->rk, RD_KAFKA_V_TOPIC(k->topic[km->alert]),
					RD_KAFKA_V_KEY(key, strlen(key)),
					RD_KAFKA_V_VALUE(value, vlen),
					RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
					/* 0: librdkafka stamps the send time */
					RD_KAFKA_V_TIMESTAMP(ev->time_ns > 0 ? ev->time_ns / 1000000 : 0),
					RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE(km), RD_KAFKA_V_END);
	}
	if (value != (char *)km->pb)
		free(value);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (h != NULL) /* the producer took the headers only on success */
			rd_kafka_headers_destroy(h);
		return err;
	}
	k->st.in_flight++;
	count(k, k->have_metrics ? k->m.queued[km->alert] : NULL, &k->st.queued);
	return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static struct kmsg *kmsg_new(const uint8_t *pb, size_t len, bool alert, uint64_t ticket,
			     uint64_t seq)
{
	struct kmsg *km = malloc(sizeof(*km) + len);

	if (km == NULL)
		return NULL;
	km->seq = seq;
	km->ticket = ticket;
	km->alert = alert;
	km->len = len;
	memcpy(km->pb, pb, len);
	return km;
}

/* The spool stopped taking events (r: its budget is reached, or a write
 * failed). Logged on the change only, and rate-limited: at the edge of a
 * full disk, small and large events can alternate between fitting and not. */
static void spool_blocked(struct kafka_exporter *k, enum lost_reason r, int err)
{
	if (k->st.spool_full && k->blocked == r)
		return;
	k->st.spool_full = true;
	k->blocked = r;
	log_kv_limited(k->log, &k->rl_state, LOG_LVL_ERROR,
		       r == LOST_SPOOL_FULL ? "kafka: spool full; events are lost until it drains"
					    : "kafka: spool write failed; events are lost until a "
					      "write succeeds",
		       "reason", lost_names[r], "error", strerror(err), (const char *)0);
}

/* Left only on evidence: a write that succeeded, or a spool drained empty. */
static void spool_unblocked(struct kafka_exporter *k, const char *why)
{
	if (!k->st.spool_full)
		return;
	k->st.spool_full = false;
	log_kv_limited(k->log, &k->rl_state, LOG_LVL_INFO, "kafka: spool takes events again",
		       "after", why, (const char *)0);
}

/* Appends an encoded event to the spool; counts a loss when it cannot. */
static int to_spool(struct kafka_exporter *k, const uint8_t *pb, size_t len,
		    const struct cw_event *ev)
{
	if (k->spool == NULL) {
		lose(k, LOST_NO_SPOOL, ev, "producer queue at queue_max_messages");
		return -1;
	}
	int rc = spool_append(k->spool, pb, len);

	if (rc != 0) {
		int e = errno;
		/* the budget (kafka.spool_max_bytes) is "full"; a disk that
		 * refuses the write (ENOSPC, EIO) is an error of its own */
		enum lost_reason r = rc == SPOOL_OVER_BUDGET ? LOST_SPOOL_FULL : LOST_SPOOL_ERROR;

		spool_blocked(k, r, e);
		lose(k, r, ev, strerror(e));
		return -1;
	}
	spool_unblocked(k, "a spool write succeeded");
	k->spool_dirty = true;
	count(k, k->have_metrics ? k->m.spooled : NULL, &k->st.spooled);
	return 0;
}

static bool spool_empty(const struct kafka_exporter *k)
{
	return k->spool == NULL || spool_bytes(k->spool) == 0;
}

void kafka_exporter_event(void *arg, const struct cw_event *ev)
{
	struct kafka_exporter *k = arg;
	uint8_t pb[CW_EVENT_PB_MAX];
	size_t len;
	struct kmsg *km;

	if (is_report(ev))
		k->report_seen = true; /* report_loss: the bus did hand it over */
	if (cw_event_encode_pb(ev, pb, sizeof(pb), &len) != 0) {
		lose(k, LOST_ENCODE, ev, "event over CW_EVENT_PB_MAX");
		return;
	}
	if (k->log_events) {
		char id[2 * CW_EVENT_ID_LEN + 1];

		cw_event_id_hex(ev, id);
		log_debug(k->log, "kafka: event", "id", id, "type", cw_event_type_name(ev->type),
			  "circuit", ev->circuit, "message", ev->message);
	}
	/* order: nothing may overtake what is already spooled */
	if (!spool_empty(k) || k->st.in_flight >= k->qmax || k->closing) {
		(void)to_spool(k, pb, len, ev);
		return;
	}
	km = kmsg_new(pb, len, cw_event_is_alert(ev), 0, ++k->seq);
	/* refused now (queue full, or worse): the spool keeps it; a replay
	 * that is refused for good is counted lost there */
	if (km == NULL || produce(k, km, ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		free(km);
		(void)to_spool(k, pb, len, ev);
	}
}

/* ---- delivery reports ---- */

bool kafka_retriable(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
	case RD_KAFKA_RESP_ERR__TRANSPORT:
	case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
	case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
	case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
	case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
	case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
		return true;
	default:
		return false;
	}
}

static void keep_purged(struct kafka_exporter *k, struct kmsg *km)
{
	if (km->ticket != 0) { /* still in its spool segment, unacked */
		free(km);
		return;
	}
	if (k->npurged == k->purged_cap) {
		size_t cap = k->purged_cap ? k->purged_cap * 2 : 256;
		struct kmsg **v = realloc(k->purged, cap * sizeof(*v));

		if (v == NULL) {
			struct cw_event ev;

			if (cw_event_decode_pb(km->pb, km->len, &ev) != CW_EVENT_OK)
				memset(&ev, 0, sizeof(ev));
			lose(k, LOST_SPOOL_ERROR, &ev, "out of memory at shutdown");
			free(km);
			return;
		}
		k->purged = v;
		k->purged_cap = cap;
	}
	k->purged[k->npurged++] = km;
}

static void failed(struct kafka_exporter *k, struct kmsg *km, rd_kafka_resp_err_t err)
{
	const char *l[] = {topic_labels[km->alert], rd_kafka_err2name(err)};
	struct cw_event ev;

	k->st.failed++;
	if (k->have_metrics)
		metrics_counter_add(metrics_series_get(k->m.failed, l), 1);
	if (cw_event_decode_pb(km->pb, km->len, &ev) != CW_EVENT_OK)
		memset(&ev, 0, sizeof(ev));
	if (kafka_retriable(err)) {
		log_kv_limited(k->log, &k->rl_fail, LOG_LVL_WARN,
			       "kafka: delivery failed; spooled again", "error",
			       rd_kafka_err2str(err), (const char *)0);
		if (to_spool(k, km->pb, km->len, &ev) == 0)
			count(k, k->have_metrics ? k->m.retried[km->alert] : NULL, &k->st.retried);
	} else {
		lose(k, LOST_DELIVERY, &ev, rd_kafka_err2str(err));
	}
	if (km->ticket != 0)
		spool_ack(k->spool, km->ticket); /* its new copy (if any) is spooled */
	free(km);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
	struct kafka_exporter *k = opaque;
	struct kmsg *km = msg->_private;

	(void)rk;
	if (km == NULL)
		return;
	k->st.in_flight--;
	if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		count(k, k->have_metrics ? k->m.delivered[km->alert] : NULL, &k->st.delivered);
		if (km->ticket != 0)
			spool_ack(k->spool, km->ticket);
		free(km);
	} else if (msg->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
		   msg->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
		keep_purged(k, km);
	} else {
		failed(k, km, msg->err);
	}
}

/* librdkafka's own log lines (its threads): into ours, rate-limited. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	struct kafka_exporter *k = rd_kafka_opaque(rk);
	enum log_level lvl = level <= 3 ? LOG_LVL_ERROR : level == 4 ? LOG_LVL_WARN
				: level <= 6 ? LOG_LVL_INFO : LOG_LVL_DEBUG;

	if (k != NULL)
		log_kv_limited(k->log, &k->rl_rdk, lvl, "librdkafka", "facility", fac, "message",
			       buf, (const char *)0);
}

/* ---- replay, sync, loss report ---- */

static void replay(struct kafka_exporter *k)
{
	const uint8_t *rec;
	size_t len;
	uint64_t ticket;
	struct cw_event ev;
	int n = 0;

	while (n < KAFKA_REPLAY_BATCH && k->st.in_flight < k->qmax) {
		struct kmsg *km;
		int rc = spool_peek(k->spool, &rec, &len, &ticket);

		if (rc < 0)
			continue; /* an unreadable segment was skipped (counted) */
		if (rc == 0)
			break;
		if (cw_event_decode_pb(rec, len, &ev) != CW_EVENT_OK) {
			lose(k, LOST_UNDECODABLE, NULL, "spooled record is no event");
			spool_next(k->spool);
			spool_ack(k->spool, ticket);
			continue;
		}
		km = kmsg_new(rec, len, cw_event_is_alert(&ev), ticket, ++k->seq);
		rd_kafka_resp_err_t err = km ? produce(k, km, &ev) : RD_KAFKA_RESP_ERR__QUEUE_FULL;

		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			free(km);
			if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
				break; /* the producer's queue is full: next poll */
			lose(k, LOST_DELIVERY, &ev, rd_kafka_err2str(err));
			spool_next(k->spool);
			spool_ack(k->spool, ticket);
			continue;
		}
		spool_next(k->spool);
		count(k, k->have_metrics ? k->m.retried[km->alert] : NULL, &k->st.retried);
		k->st.replayed++;
		n++;
	}
}

/* One EVENTS_LOST event for the pending loss of reason r. */
static void loss_event(const struct pending_loss *p, enum lost_reason r, int64_t now_ns,
		       struct cw_event *ev)
{
	cw_event_init(ev, CW_EV_EVENTS_LOST, CW_SEV_CRITICAL, now_ns);
	ev->detail = CW_DETAIL_LOSS;
	ev->d.loss.count = p->count;
	ev->d.loss.first_ns = p->first_ns;
	ev->d.loss.last_ns = p->last_ns;
	cw_event_set(ev->d.loss.cause, "kafka exporter");
	cw_event_set(ev->d.loss.reason, lost_names[r]);
	snprintf(ev->message, sizeof(ev->message),
		 "%" PRIu64 " events lost by the Kafka exporter (%s)", p->count, lost_names[r]);
	ev->has_peer = false;
}

/* Reports each reason's pending loss. The pending count moves into the
 * report, and comes back (keep_report) if the report is not spooled or
 * taken by the producer; then the next try waits KAFKA_LOSS_RETRY_MS (it is
 * also what finds out that a full spool has room again). */
static void report_loss(struct kafka_exporter *k, int64_t now_ns)
{
	const int64_t wait_ns = (int64_t)KAFKA_LOSS_RETRY_MS * 1000000;

	/* (a wall clock set back does not hold reports up for longer) */
	if (now_ns < k->report_after_ns && k->report_after_ns - now_ns <= wait_ns)
		return;
	for (int r = 0; r < LOST__COUNT; r++) {
		struct pending_loss p = k->pending[r];
		struct cw_event ev;

		if (p.count == 0)
			continue;
		loss_event(&p, (enum lost_reason)r, now_ns, &ev);
		k->pending[r] = (struct pending_loss){0};
		k->report_seen = k->report_kept = false;
		if (k->emit != NULL)
			k->emit(k->emit_arg, &ev);
		else
			kafka_exporter_event(k, &ev);
		if (!k->report_seen) /* the bus dropped it */
			pend_add(k, (enum lost_reason)r, p.count, p.first_ns, p.last_ns);
		if (!k->report_seen || k->report_kept) {
			k->report_after_ns = now_ns + wait_ns;
			return;
		}
	}
}

void kafka_exporter_report_loss(struct kafka_exporter *k, int64_t now_ns)
{
	k->report_after_ns = 0;
	report_loss(k, now_ns);
}

static void update_gauges(struct kafka_exporter *k)
{
	const struct spool_damage *d;

	k->st.spool_bytes = k->spool ? spool_bytes(k->spool) : 0;
	if (!k->have_metrics)
		return;
	metrics_gauge_set(k->m.in_flight, (double)k->st.in_flight);
	metrics_gauge_set(k->m.spool_bytes, (double)k->st.spool_bytes);
	metrics_gauge_set(k->m.spool_full, k->st.spool_full);
	if (k->spool != NULL) {
		d = spool_damage(k->spool);
		metrics_counter_set(k->m.corrupt, (double)d->corrupt);
		metrics_counter_set(k->m.truncated, (double)d->truncated);
	}
}

void kafka_exporter_poll(struct kafka_exporter *k, int64_t now_ns)
{
	uint64_t held = k->spool != NULL ? spool_bytes(k->spool) : 0;

	rd_kafka_poll(k->rk, 0);
	if (k->spool != NULL) {
		replay(k);
		/* delivered to its last record: events go to the producer again */
		if (held > 0 && spool_bytes(k->spool) == 0)
			spool_unblocked(k, "the spool drained");
	}
	report_loss(k, now_ns);
	if (k->spool_dirty && k->spool != NULL) {
		if (spool_sync(k->spool) != 0)
			log_error(k->log, "kafka: spool fsync failed", "error", strerror(errno));
		k->spool_dirty = false;
	}
	update_gauges(k);
}

/* ---- lifecycle ---- */

static int set(rd_kafka_conf_t *c, const char *key, const char *value, char *err, size_t n)
{
	if (rd_kafka_conf_set(c, key, value, err, n) != RD_KAFKA_CONF_OK)
		return -1;
	return 0;
}

/* kafka.security as librdkafka properties (before the passthrough ones,
 * which check-config keeps from overlapping them). */
static int set_security(rd_kafka_conf_t *c, const struct kafka_security *s, char *err, size_t n)
{
	if (s == NULL)
		return 0;
	if (set(c, "security.protocol", s->protocol, err, n) != 0)
		return -1;
	if (s->mechanism != NULL &&
	    (set(c, "sasl.mechanisms", s->mechanism, err, n) != 0 ||
	     set(c, "sasl.username", s->username ? s->username : "", err, n) != 0 ||
	     set(c, "sasl.password", s->password ? s->password : "", err, n) != 0))
		return -1;
	if (!s->tls)
		return 0;
	if ((s->ca_file != NULL && set(c, "ssl.ca.location", s->ca_file, err, n) != 0) ||
	    (s->cert_file != NULL && set(c, "ssl.certificate.location", s->cert_file, err, n) != 0) ||
	    (s->key_file != NULL && set(c, "ssl.key.location", s->key_file, err, n) != 0))
		return -1;
	return set(c, "ssl.endpoint.identification.algorithm", s->verify_hostname ? "https" : "none",
		   err, n);
}

rd_kafka_conf_t *kafka_conf_common(const struct kafka_opts *o, unsigned qmax, char *err,
				   size_t n)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	char qbound[24];

	/* librdkafka's own queue bound stays above ours: we spool first */
	snprintf(qbound, sizeof(qbound), "%u", qmax + KAFKA_REPLAY_BATCH + 1000);
	if (c == NULL || set(c, "bootstrap.servers", o->brokers, err, n) ||
	    set(c, "client.id", o->client_id ? o->client_id : "circuitwatch", err, n) ||
	    /* exactly once per partition and in order across retries */
	    set(c, "enable.idempotence", "true", err, n) || set(c, "acks", "all", err, n) ||
	    /* never give a message up on time: the spool bounds memory instead */
	    set(c, "message.timeout.ms", "0", err, n) ||
	    set(c, "queue.buffering.max.messages", qbound, err, n) ||
	    /* Java's default partitioner: the same key lands on the same partition */
	    set(c, "partitioner", "murmur2_random", err, n) ||
	    set(c, "compression.codec", o->compression ? o->compression : "lz4", err, n) ||
	    set_security(c, o->security, err, n) != 0) {
		if (c != NULL)
			rd_kafka_conf_destroy(c);
		return NULL;
	}
	for (size_t i = 0; i < o->nprops; i++) {
		if (set(c, o->props[i].key, o->props[i].value, err, n) != 0) {
			rd_kafka_conf_destroy(c);
			return NULL;
		}
	}
	return c;
}

static rd_kafka_conf_t *make_conf(const struct kafka_opts *o, struct kafka_exporter *k,
				  char *err, size_t n)
{
	rd_kafka_conf_t *c = kafka_conf_common(o, o->queue_max_messages, err, n);

	if (c == NULL)
		return NULL;
	rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
	rd_kafka_conf_set_log_cb(c, on_log);
	rd_kafka_conf_set_opaque(c, k);
	return c;
}

int kafka_exporter_new(const struct kafka_opts *o, struct metrics_registry *reg,
		       struct log *lg, struct kafka_exporter **out, char *err, size_t errlen)
{
	struct kafka_exporter *k = calloc(1, sizeof(*k));
	rd_kafka_conf_t *c;

	*out = NULL;
	if (k == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	k->log = lg;
	k->log_events = lg != NULL;
	k->enc = o->encoding;
	k->qmax = o->queue_max_messages > 0 ? o->queue_max_messages : KAFKA_QUEUE_MAX_DEFAULT;
	k->topic[T_EVENTS] = strdup(o->topic_events ? o->topic_events : "circuitwatch.events");
	k->topic[T_ALERTS] = strdup(o->topic_alerts ? o->topic_alerts : "circuitwatch.alerts");
	if (k->topic[T_EVENTS] == NULL || k->topic[T_ALERTS] == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (reg != NULL) {
		if (metrics_init(&k->m, reg) != 0) {
			snprintf(err, errlen, "cannot register the kafka metrics");
			goto fail;
		}
		k->have_metrics = true;
	}
	k->spool_max = o->spool_max_bytes ? o->spool_max_bytes : KAFKA_SPOOL_MAX_DEFAULT;
	if (o->spool_dir != NULL && spool_open(o->spool_dir, k->spool_max, &k->spool) != 0) {
		snprintf(err, errlen, "spool %s: %s", o->spool_dir, strerror(errno));
		goto fail;
	}
	if ((c = make_conf(o, k, err, errlen)) == NULL)
		goto fail;
	k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, errlen);
	if (k->rk == NULL) {
		rd_kafka_conf_destroy(c);
		goto fail;
	}
	update_gauges(k);
	*out = k;
	return 0;
fail:
	spool_close(k->spool);
	free(k->topic[T_EVENTS]);
	free(k->topic[T_ALERTS]);
	free(k);
	return -1;
}

void kafka_exporter_set_emit(struct kafka_exporter *k, kafka_emit_fn fn, void *arg)
{
	k->emit = fn;
	k->emit_arg = arg;
}

static int cmp_seq(const void *a, const void *b)
{
	const struct kmsg *x = *(const struct kmsg *const *)a, *y = *(const struct kmsg *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* What the producer still had: in front of the spool, in produce order. */
static void spool_purged(struct kafka_exporter *k)
{
	const uint8_t **recs;
	size_t *lens;
	int written = 0, err = k->spool != NULL ? ENOMEM : 0;

	if (k->npurged == 0)
		return;
	qsort(k->purged, k->npurged, sizeof(k->purged[0]), cmp_seq);
	recs = calloc(k->npurged, sizeof(*recs));
	lens = calloc(k->npurged, sizeof(*lens));
	if (recs != NULL && lens != NULL && k->spool != NULL) {
		for (size_t i = 0; i < k->npurged; i++) {
			recs[i] = k->purged[i]->pb;
			lens[i] = k->purged[i]->len;
		}
		written = spool_prepend(k->spool, recs, lens, k->npurged);
		err = errno;
		if (written < 0)
			written = 0;
	}
	for (size_t i = (size_t)written; i < k->npurged; i++) {
		struct cw_event ev;

		if (cw_event_decode_pb(k->purged[i]->pb, k->purged[i]->len, &ev) != CW_EVENT_OK)
			memset(&ev, 0, sizeof(ev));
		lose(k, err == 0 ? LOST_NO_SPOOL : err == EDQUOT ? LOST_SPOOL_FULL : LOST_SPOOL_ERROR,
		     &ev, "at shutdown");
	}
	k->st.spooled += (uint64_t)written;
	if (written > 0) {
		char n[24];

		snprintf(n, sizeof(n), "%d", written);
		log_info(k->log, "kafka: undelivered messages spooled at shutdown", "messages", n);
	}
	free(recs);
	free(lens);
	free_purged(k);
}

void kafka_exporter_free(struct kafka_exporter *k)
{
	if (k == NULL)
		return;
	/* the last report (the module made it through the bus before it
	 * unsubscribed): to the producer or the spool, the next start sends it */
	if (k->emit == NULL)
		kafka_exporter_report_loss(k, wall_ns());
	k->closing = true;
	if (k->rk != NULL) {
		(void)rd_kafka_flush(k->rk, KAFKA_SHUTDOWN_FLUSH_MS);
		(void)rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		/* purged messages come back as delivery reports */
		for (int i = 0; i < 100 && k->st.in_flight > 0; i++)
			rd_kafka_poll(k->rk, 10);
		spool_purged(k);
		rd_kafka_destroy(k->rk);
	}
	for (int r = 0; r < LOST__COUNT; r++) {
		char n[24];

		if (k->pending[r].count == 0)
			continue;
		snprintf(n, sizeof(n), "%" PRIu64, k->pending[r].count);
		log_error(k->log, "kafka: lost events never reported (the report itself could "
			  "not be kept)", "reason", lost_names[r], "events", n);
	}
	spool_close(k->spool);
	free_purged(k);
	free(k->topic[T_EVENTS]);
	free(k->topic[T_ALERTS]);
	free(k);
}

void kafka_exporter_stats(const struct kafka_exporter *k, struct kafka_stats *st)
{
	*st = k->st;
	st->spool_bytes = k->spool ? spool_bytes(k->spool) : 0;
}
