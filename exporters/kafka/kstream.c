/* kstream.c — one route stream to one Kafka topic (see kstream.h): its
 * librdkafka producer, the in-flight bound, the spool behind it, counters.
 *
 * The hot path (kstream_produce while nothing is spooled) takes no lock:
 * an atomic in-flight reservation and librdkafka's own produce (which is
 * thread-safe). Counters are atomics copied into the registry by the poll,
 * so the workers never take the registry's lock per message.
 */
#include "kstream.h"
#include "kafka_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kafka_priv.h"
#include "log.h"
#include "metrics.h"
#include "spool.h"

enum ks_lost {
	KL_NO_SPOOL,
	KL_SPOOL_FULL,
	KL_SPOOL_ERROR,
	KL_TOO_LARGE,
	KL_PRODUCE,
	KL_DELIVERY,
	KL_UNDECODABLE,
	KL__COUNT
};

static const char *const ks_lost_names[KL__COUNT] = {
	"no_spool", "spool_full", "spool_error", "too_large", "produce_failed", "delivery_failed",
	"spool_record_undecodable"};

/* A spooled record: klen (4, big-endian) | ts_ms (8, big-endian) | key | value */
#define KS_REC_HDR 12u

/* The opaque of a replayed message (one that is still in the spool until
 * acked; made and freed on the loop thread). A message produced directly
 * carries its produce order and its timestamp packed into the opaque
 * pointer's bits instead (ks_tag): a malloc per message, made on a worker
 * and freed on the loop thread, cost 0.6 us of CPU per message. The order
 * sorts what is purged at shutdown; the timestamp is what librdkafka does
 * not report for a purged message. */
struct ks_replayed {
	uint64_t seq, ticket;
	int64_t ts_ms;
};

/* A direct message's opaque: bit 0 set (a pointer to ks_replayed is even),
 * bits 1..25 its produce order modulo 2^25 (what is purged at once is at
 * most the in-flight bound, 10^7, apart), bits 26..63 its timestamp in ms
 * from ks_base (0: none). Platforms with 32-bit pointers keep only the
 * order (31 bits) and no timestamp. */
#define KS_SEQ_BITS 25
#define KS_TS_BITS 38

struct ks_tag {
	uint64_t seq; /* modulo 2^KS_SEQ_BITS */
	int64_t ts_ms;
};

/* A message purged at shutdown: spooled again, in produce order. */
struct ks_purged {
	uint64_t seq;
	size_t len;
	uint8_t rec[]; /* a spool record */
};

struct ks_metrics {
	struct metrics_series *queued, *delivered, *in_flight, *spool_bytes;
	struct metrics_series *lost[KL__COUNT];
};

struct kstream {
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	char *name, *topic;
	struct log *log;
	struct log_ratelimit rl_lost, rl_rdk, rl_fail;
	unsigned qmax;
	/* the spool and everything of it: lock (workers append, the loop
	 * replays and acks) */
	pthread_mutex_t lock;
	struct spool *spool;
	atomic_bool spooling; /* something is spooled: new messages go behind it */
	atomic_uint_fast64_t in_flight, seq, queued, delivered, spooled;
	atomic_uint_fast64_t lost[KL__COUNT];
	/* the loop thread's own */
	uint64_t lost_logged;
	int64_t synced_ns;
	int64_t ts_base_ms; /* ks_tag's timestamps count from here */
	struct ks_metrics m;
	bool have_metrics;
	struct ks_purged **purged;
	size_t npurged, purged_cap;
};

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- counters ---- */

static void ks_lose(struct kstream *s, enum ks_lost r)
{
	atomic_fetch_add_explicit(&s->lost[r], 1, memory_order_relaxed);
}

static uint64_t ks_load(atomic_uint_fast64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static struct metrics_series *ks_series(struct metrics_registry *reg, enum metrics_type t,
					const char *name, const char *help, const char *stream)
{
	static const char *const l[] = {"stream"};
	struct metrics_family_def d = {.type = t, .name = name, .help = help, .nlabels = 1,
				       .label_names = l};
	struct metrics_family *f = metrics_family_new(reg, &d);
	const char *v[] = {stream};

	return f != NULL ? metrics_series_get(f, v) : NULL;
}

static int ks_metrics_init(struct ks_metrics *m, struct metrics_registry *reg, const char *st)
{
	static const char *const l[] = {"stream", "reason"};
	struct metrics_family_def d = {
		.type = METRICS_COUNTER, .name = "circuitwatch_kafka_stream_messages_lost_total",
		.help = "Route-stream messages lost, by stream and reason (in flight at the bound "
			"and the spool full or absent, or refused).",
		.nlabels = 2, .label_names = l};
	struct metrics_family *lost = metrics_family_new(reg, &d);

	m->queued = ks_series(reg, METRICS_COUNTER, "circuitwatch_kafka_stream_messages_queued_total",
			      "Route-stream messages taken (to the producer or the spool).", st);
	m->delivered = ks_series(reg, METRICS_COUNTER,
				 "circuitwatch_kafka_stream_messages_delivered_total",
				 "Route-stream messages the brokers acknowledged (acks=all).", st);
	m->in_flight = ks_series(reg, METRICS_GAUGE, "circuitwatch_kafka_stream_messages_in_flight",
				 "Route-stream messages handed to the producer, not yet acknowledged.",
				 st);
	m->spool_bytes = ks_series(reg, METRICS_GAUGE, "circuitwatch_kafka_stream_spool_bytes",
				   "Bytes of the route stream's spool segment files.", st);
	if (lost == NULL || m->queued == NULL || m->delivered == NULL || m->in_flight == NULL ||
	    m->spool_bytes == NULL)
		return -1;
	for (int r = 0; r < KL__COUNT; r++) {
		const char *v[] = {st, ks_lost_names[r]};

		if ((m->lost[r] = metrics_series_get(lost, v)) == NULL)
			return -1;
	}
	return 0;
}

/* ---- spool records ---- */

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static void rec_fill(uint8_t *rec, const void *key, size_t klen, const void *val, size_t vlen,
		     int64_t ts_ms)
{
	put_be(rec, klen, 4);
	put_be(rec + 4, (uint64_t)ts_ms, 8);
	if (klen > 0)
		memcpy(rec + KS_REC_HDR, key, klen);
	if (vlen > 0)
		memcpy(rec + KS_REC_HDR + klen, val, vlen);
}

/* A record's parts; -1 when its framing is impossible. */
static int rec_split(const uint8_t *rec, size_t len, size_t *klen, int64_t *ts_ms)
{
	if (len < KS_REC_HDR)
		return -1;
	*klen = (size_t)get_be(rec, 4);
	*ts_ms = (int64_t)get_be(rec + 4, 8);
	return *klen <= len - KS_REC_HDR ? 0 : -1;
}

/* Appends under the lock (held by the caller); counts the loss. */
static bool spool_locked(struct kstream *s, const uint8_t *rec, size_t len)
{
	int rc;

	if (s->spool == NULL) {
		ks_lose(s, KL_NO_SPOOL);
		return false;
	}
	if (len > SPOOL_RECORD_MAX) {
		ks_lose(s, KL_TOO_LARGE);
		return false;
	}
	rc = spool_append(s->spool, rec, len);
	if (rc != 0) {
		ks_lose(s, rc == SPOOL_OVER_BUDGET ? KL_SPOOL_FULL : KL_SPOOL_ERROR);
		return false;
	}
	atomic_store_explicit(&s->spooling, true, memory_order_release);
	atomic_fetch_add_explicit(&s->spooled, 1, memory_order_relaxed);
	return true;
}

static bool to_spool(struct kstream *s, const void *key, size_t klen, const void *val,
		     size_t vlen, int64_t ts_ms)
{
	uint8_t stackbuf[4096], *rec = stackbuf;
	size_t len = KS_REC_HDR + klen + vlen;
	bool ok;

	if (s->spool == NULL || len > SPOOL_RECORD_MAX) {
		ks_lose(s, s->spool == NULL ? KL_NO_SPOOL : KL_TOO_LARGE);
		return false;
	}
	if (len > sizeof(stackbuf) && (rec = malloc(len)) == NULL) {
		ks_lose(s, KL_SPOOL_ERROR);
		return false;
	}
	rec_fill(rec, key, klen, val, vlen, ts_ms);
	pthread_mutex_lock(&s->lock);
	ok = spool_locked(s, rec, len);
	pthread_mutex_unlock(&s->lock);
	if (rec != stackbuf)
		free(rec);
	return ok;
}

/* ---- producing ---- */

/* One of the queue_max_messages in-flight slots, or false. */
static bool reserve(struct kstream *s)
{
	uint64_t was = atomic_fetch_add_explicit(&s->in_flight, 1, memory_order_relaxed);

	if (was < s->qmax)
		return true;
	atomic_fetch_sub_explicit(&s->in_flight, 1, memory_order_relaxed);
	return false;
}

static void unreserve(struct kstream *s)
{
	atomic_fetch_sub_explicit(&s->in_flight, 1, memory_order_relaxed);
}

static rd_kafka_resp_err_t ks_send(struct kstream *s, const void *key, size_t klen,
				   const void *val, size_t vlen, int64_t ts_ms, void *opaque)
{
	return rd_kafka_producev(s->rk, RD_KAFKA_V_RKT(s->rkt), RD_KAFKA_V_KEY(key, klen),
				 RD_KAFKA_V_VALUE((void *)val, vlen),
				 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				 RD_KAFKA_V_TIMESTAMP(ts_ms > 0 ? ts_ms : 0), RD_KAFKA_V_OPAQUE(opaque),
				 RD_KAFKA_V_END);
}

static void *tag_pack(const struct kstream *s, uint64_t seq, int64_t ts_ms)
{
	uint64_t v = ((seq & ((UINT64_C(1) << KS_SEQ_BITS) - 1)) << 1) | 1;
#if UINTPTR_MAX >= UINT64_MAX
	int64_t rel = ts_ms - s->ts_base_ms;

	if (ts_ms > 0 && rel > 0 && rel < (INT64_C(1) << KS_TS_BITS))
		v |= (uint64_t)rel << (KS_SEQ_BITS + 1);
#else
	(void)s;
	(void)ts_ms;
#endif
	return (void *)(uintptr_t)v;
}

static struct ks_tag tag_unpack(const struct kstream *s, uintptr_t v)
{
	struct ks_tag t = {.seq = (v >> 1) & ((UINT64_C(1) << KS_SEQ_BITS) - 1)};
#if UINTPTR_MAX >= UINT64_MAX
	uint64_t rel = (uint64_t)v >> (KS_SEQ_BITS + 1);

	t.ts_ms = rel != 0 ? s->ts_base_ms + (int64_t)rel : 0;
#else
	(void)s;
#endif
	return t;
}

bool kstream_produce(struct kstream *s, const void *key, size_t klen, const void *val,
		     size_t vlen, int64_t ts_ms)
{
	/* acquire: the replay that emptied the spool happened before */
	if (!atomic_load_explicit(&s->spooling, memory_order_acquire) && reserve(s)) {
		uint64_t seq = atomic_fetch_add_explicit(&s->seq, 1, memory_order_relaxed) + 1;
		rd_kafka_resp_err_t err =
			ks_send(s, key, klen, val, vlen, ts_ms, tag_pack(s, seq, ts_ms));

		if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			atomic_fetch_add_explicit(&s->queued, 1, memory_order_relaxed);
			return true;
		}
		unreserve(s);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			ks_lose(s, KL_PRODUCE);
			return false;
		}
	}
	if (!to_spool(s, key, klen, val, vlen, ts_ms))
		return false;
	atomic_fetch_add_explicit(&s->queued, 1, memory_order_relaxed);
	return true;
}

void kstream_lose(struct kstream *s)
{
	ks_lose(s, KL_PRODUCE);
}

/* ---- delivery reports (the loop thread, in rd_kafka_poll/flush) ---- */

static struct ks_purged *purged_new(const rd_kafka_message_t *msg, struct ks_tag t)
{
	size_t len = KS_REC_HDR + msg->key_len + msg->len;
	struct ks_purged *p = malloc(sizeof(*p) + len);

	if (p == NULL)
		return NULL;
	p->seq = t.seq;
	p->len = len;
	/* librdkafka reports no timestamp with an error, a purge included */
	rec_fill(p->rec, msg->key, msg->key_len, msg->payload, msg->len, t.ts_ms);
	return p;
}

static void keep_purged(struct kstream *s, const rd_kafka_message_t *msg, struct ks_tag t)
{
	struct ks_purged *p = purged_new(msg, t);

	if (p != NULL && s->npurged == s->purged_cap) {
		size_t cap = s->purged_cap ? s->purged_cap * 2 : 256;
		struct ks_purged **v = realloc(s->purged, cap * sizeof(*v));

		if (v == NULL) {
			free(p);
			p = NULL;
		} else {
			s->purged = v;
			s->purged_cap = cap;
		}
	}
	if (p == NULL) {
		ks_lose(s, KL_SPOOL_ERROR);
		return;
	}
	s->purged[s->npurged++] = p;
}

static void ks_ack(struct kstream *s, const struct ks_replayed *rp)
{
	if (rp == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	spool_ack(s->spool, rp->ticket);
	pthread_mutex_unlock(&s->lock);
}

static void ks_failed(struct kstream *s, const rd_kafka_message_t *msg,
		      const struct ks_replayed *rp, int64_t ts_ms)
{
	log_kv_limited(s->log, &s->rl_fail, LOG_LVL_WARN, "kafka stream: delivery failed",
		       "stream", s->name, "error", rd_kafka_err2str(msg->err), (const char *)0);
	if (kafka_retriable(msg->err))
		(void)to_spool(s, msg->key, msg->key_len, msg->payload, msg->len, ts_ms);
	else
		ks_lose(s, KL_DELIVERY);
	ks_ack(s, rp); /* its new copy (if any) is spooled */
}

static void ks_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
	struct kstream *s = opaque;
	uintptr_t tag = (uintptr_t)msg->_private;
	struct ks_replayed *rp = (tag & 1) ? NULL : msg->_private;
	struct ks_tag t = rp != NULL ? (struct ks_tag){rp->seq, rp->ts_ms} : tag_unpack(s, tag);

	(void)rk;
	if (tag == 0)
		return;
	unreserve(s);
	if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		atomic_fetch_add_explicit(&s->delivered, 1, memory_order_relaxed);
		ks_ack(s, rp);
	} else if (msg->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
		   msg->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
		if (rp == NULL) /* a replayed one is still in the spool, unacked */
			keep_purged(s, msg, t);
	} else {
		ks_failed(s, msg, rp, t.ts_ms);
	}
	free(rp);
}

static void ks_on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	struct kstream *s = rd_kafka_opaque(rk);
	enum log_level lvl = level <= 3 ? LOG_LVL_ERROR : level == 4 ? LOG_LVL_WARN
				: level <= 6 ? LOG_LVL_INFO : LOG_LVL_DEBUG;

	if (s != NULL)
		log_kv_limited(s->log, &s->rl_rdk, lvl, "librdkafka", "stream", s->name,
			       "facility", fac, "message", buf, (const char *)0);
}

/* ---- replay ---- */

enum replay_step { R_SENT, R_SKIPPED, R_STOP };

/* One spooled record to the producer, under the lock (held). */
static enum replay_step replay_one(struct kstream *s)
{
	const uint8_t *rec;
	size_t len, klen;
	uint64_t ticket;
	int64_t ts;
	struct ks_replayed *rp;
	int rc = spool_peek(s->spool, &rec, &len, &ticket);

	if (rc < 0)
		return R_SKIPPED; /* an unreadable segment was skipped (counted) */
	if (rc == 0) {
		/* drained: new messages may go straight to the producer again */
		atomic_store_explicit(&s->spooling, false, memory_order_release);
		return R_STOP;
	}
	if (rec_split(rec, len, &klen, &ts) != 0) {
		ks_lose(s, KL_UNDECODABLE);
		spool_next(s->spool);
		spool_ack(s->spool, ticket);
		return R_SKIPPED;
	}
	if (!reserve(s))
		return R_STOP;
	if ((rp = malloc(sizeof(*rp))) == NULL) {
		unreserve(s);
		return R_STOP;
	}
	*rp = (struct ks_replayed){atomic_fetch_add_explicit(&s->seq, 1, memory_order_relaxed) + 1,
				   ticket, ts};
	rd_kafka_resp_err_t err = ks_send(s, rec + KS_REC_HDR, klen, rec + KS_REC_HDR + klen,
					  len - KS_REC_HDR - klen, ts, rp);

	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		unreserve(s);
		free(rp);
		if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
			return R_STOP;
		ks_lose(s, KL_PRODUCE);
		spool_next(s->spool);
		spool_ack(s->spool, ticket);
		return R_SKIPPED;
	}
	spool_next(s->spool);
	return R_SENT;
}

static void replay(struct kstream *s)
{
	for (int n = 0; n < KAFKA_REPLAY_BATCH;) {
		enum replay_step st;

		/* one record per lock: a worker spooling meanwhile waits short */
		pthread_mutex_lock(&s->lock);
		st = replay_one(s);
		pthread_mutex_unlock(&s->lock);
		if (st == R_STOP)
			break;
		n += st == R_SENT;
	}
}

/* ---- poll ---- */

static uint64_t lost_total(struct kstream *s)
{
	uint64_t n = 0;

	for (int r = 0; r < KL__COUNT; r++)
		n += ks_load(&s->lost[r]);
	return n;
}

static void log_loss(struct kstream *s)
{
	uint64_t n = lost_total(s);
	char buf[24];

	if (n == s->lost_logged)
		return;
	snprintf(buf, sizeof(buf), "%" PRIu64, n - s->lost_logged);
	s->lost_logged = n;
	log_kv_limited(s->log, &s->rl_lost, LOG_LVL_ERROR,
		       "kafka stream: messages lost (in flight at the bound, spool full or absent)",
		       "stream", s->name, "lost", buf, (const char *)0);
}

static void update_metrics(struct kstream *s, uint64_t spool_b)
{
	if (!s->have_metrics)
		return;
	metrics_counter_set(s->m.queued, (double)ks_load(&s->queued));
	metrics_counter_set(s->m.delivered, (double)ks_load(&s->delivered));
	for (int r = 0; r < KL__COUNT; r++)
		metrics_counter_set(s->m.lost[r], (double)ks_load(&s->lost[r]));
	metrics_gauge_set(s->m.in_flight, (double)ks_load(&s->in_flight));
	metrics_gauge_set(s->m.spool_bytes, (double)spool_b);
}

void kstream_poll(struct kstream *s, int64_t now_ns)
{
	uint64_t spool_b = 0;

	rd_kafka_poll(s->rk, 0);
	if (s->spool != NULL) {
		replay(s);
		pthread_mutex_lock(&s->lock);
		if (now_ns - s->synced_ns >= (int64_t)KSTREAM_SYNC_MS * 1000000 ||
		    now_ns < s->synced_ns) {
			if (spool_sync(s->spool) != 0)
				log_error(s->log, "kafka stream: spool fsync failed", "stream",
					  s->name, "error", strerror(errno));
			s->synced_ns = now_ns;
		}
		spool_b = spool_bytes(s->spool);
		pthread_mutex_unlock(&s->lock);
	}
	log_loss(s);
	update_metrics(s, spool_b);
}

/* ---- lifecycle ---- */

static int ks_fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return -1;
}

static int ks_producer(struct kstream *s, const struct kafka_opts *base, char *err,
		       size_t errlen)
{
	rd_kafka_conf_t *c = kafka_conf_common(base, s->qmax, err, errlen);

	if (c == NULL)
		return -1;
	rd_kafka_conf_set_dr_msg_cb(c, ks_on_delivery);
	rd_kafka_conf_set_log_cb(c, ks_on_log);
	rd_kafka_conf_set_opaque(c, s);
	s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, errlen);
	if (s->rk == NULL) {
		rd_kafka_conf_destroy(c);
		return -1;
	}
	s->rkt = rd_kafka_topic_new(s->rk, s->topic, NULL);
	if (s->rkt == NULL)
		return ks_fail(err, errlen, rd_kafka_err2str(rd_kafka_last_error()));
	return 0;
}

static void ks_destroy(struct kstream *s)
{
	if (s->rkt != NULL)
		rd_kafka_topic_destroy(s->rkt);
	if (s->rk != NULL)
		rd_kafka_destroy(s->rk);
	spool_close(s->spool);
	for (size_t i = 0; i < s->npurged; i++)
		free(s->purged[i]);
	free(s->purged);
	pthread_mutex_destroy(&s->lock);
	free(s->name);
	free(s->topic);
	free(s);
}

int kstream_new(const struct kafka_opts *base, const struct kstream_opts *o,
		struct metrics_registry *reg, struct log *lg, struct kstream **out, char *err,
		size_t errlen)
{
	struct kstream *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL)
		return ks_fail(err, errlen, "out of memory");
	pthread_mutex_init(&s->lock, NULL);
	s->log = lg;
	s->qmax = o->queue_max_messages > 0 ? o->queue_max_messages : KAFKA_QUEUE_MAX_DEFAULT;
	s->ts_base_ms = wall_ms() - (INT64_C(1) << (KS_TS_BITS - 1)); /* +-4.3 years */
	s->name = strdup(o->name ? o->name : "stream");
	s->topic = strdup(o->topic ? o->topic : "");
	if (s->name == NULL || s->topic == NULL) {
		ks_fail(err, errlen, "out of memory");
		goto fail;
	}
	if (reg != NULL) {
		if (ks_metrics_init(&s->m, reg, s->name) != 0) {
			ks_fail(err, errlen, "cannot register the kafka stream metrics");
			goto fail;
		}
		s->have_metrics = true;
	}
	if (o->spool_dir != NULL &&
	    spool_open(o->spool_dir, o->spool_max_bytes ? o->spool_max_bytes : KAFKA_SPOOL_MAX_DEFAULT,
		       &s->spool) != 0) {
		snprintf(err, errlen, "spool %s: %s", o->spool_dir, strerror(errno));
		goto fail;
	}
	/* what an earlier run left: replayed before anything new */
	if (s->spool != NULL && spool_has_unread(s->spool))
		atomic_store(&s->spooling, true);
	if (ks_producer(s, base, err, errlen) != 0)
		goto fail;
	update_metrics(s, s->spool ? spool_bytes(s->spool) : 0);
	*out = s;
	return 0;
fail:
	ks_destroy(s);
	return -1;
}

static int cmp_purged(const void *a, const void *b)
{
	const struct ks_purged *x = *(const struct ks_purged *const *)a;
	const struct ks_purged *y = *(const struct ks_purged *const *)b;

	/* seq is the age here (spool_purged): the oldest first */
	return x->seq > y->seq ? -1 : x->seq < y->seq;
}

/* What the producer still had: in front of the spool, in produce order. */
static void spool_purged(struct kstream *s)
{
	const uint8_t **recs = calloc(s->npurged + 1, sizeof(*recs));
	size_t *lens = calloc(s->npurged + 1, sizeof(*lens));
	int written = 0, e = s->spool != NULL ? ENOMEM : 0;
	uint64_t mask = (UINT64_C(1) << KS_SEQ_BITS) - 1, cur = ks_load(&s->seq) & mask;

	for (size_t i = 0; i < s->npurged; i++) /* produce order modulo 2^25 -> age */
		s->purged[i]->seq = (cur - s->purged[i]->seq) & mask;
	qsort(s->purged, s->npurged, sizeof(s->purged[0]), cmp_purged);
	if (recs != NULL && lens != NULL && s->spool != NULL) {
		for (size_t i = 0; i < s->npurged; i++) {
			recs[i] = s->purged[i]->rec;
			lens[i] = s->purged[i]->len;
		}
		written = spool_prepend(s->spool, recs, lens, s->npurged);
		e = errno;
		if (written < 0)
			written = 0;
	}
	for (size_t i = (size_t)written; i < s->npurged; i++)
		ks_lose(s, e == 0 ? KL_NO_SPOOL : e == EDQUOT ? KL_SPOOL_FULL : KL_SPOOL_ERROR);
	if (written > 0) {
		char n[24];

		snprintf(n, sizeof(n), "%d", written);
		log_info(s->log, "kafka stream: undelivered messages spooled at shutdown", "stream",
			 s->name, "messages", n);
	}
	free(recs);
	free(lens);
}

void kstream_free(struct kstream *s)
{
	if (s == NULL)
		return;
	(void)rd_kafka_flush(s->rk, KSTREAM_SHUTDOWN_FLUSH_MS);
	(void)rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	/* purged messages come back as delivery reports */
	for (int i = 0; i < 100 && ks_load(&s->in_flight) > 0; i++)
		rd_kafka_poll(s->rk, 10);
	if (s->npurged > 0)
		spool_purged(s);
	log_loss(s);
	update_metrics(s, s->spool ? spool_bytes(s->spool) : 0);
	ks_destroy(s);
}

void kstream_stats(const struct kstream *s, struct kstream_stats *st)
{
	struct kstream *m = (struct kstream *)s; /* the lock and atomic loads */

	*st = (struct kstream_stats){
		.queued = ks_load(&m->queued),
		.delivered = ks_load(&m->delivered),
		.lost = lost_total(m),
		.spooled = ks_load(&m->spooled),
		.in_flight = ks_load(&m->in_flight),
	};
	pthread_mutex_lock(&m->lock);
	st->spool_bytes = m->spool ? spool_bytes(m->spool) : 0;
	pthread_mutex_unlock(&m->lock);
}
