/* models.c — the loop's model and the BMP workers' shards (models.h). */
#include "models.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <uv.h>

#include "bus.h"
#include "event.h"
#include "log.h"
#include "metrics.h"
#include "model.h"

/* A shard's event on its way to the loop thread. */
struct queued_event {
	struct queued_event *next;
	struct cw_event ev;
};

/* Events raised on a worker's thread wait here until the loop thread
 * emits them on the bus, in the order they were raised. */
struct relay {
	uv_async_t async;
	bool async_made;
	struct ev_bus *bus;
	pthread_mutex_t lock;
	struct queued_event *head, *tail;
	size_t n;
	struct metrics_series *dropped;
	struct log *log;
	struct log_ratelimit rl;
};

struct models {
	struct model *base;
	struct model **shards;
	size_t n;
	struct relay relay;
};

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the relay ---- */

/* Any thread: a shard's event, stamped now when the model gave no time. */
static void relay_push(void *arg, const struct cw_event *ev)
{
	struct relay *r = arg;
	struct queued_event *q;

	pthread_mutex_lock(&r->lock);
	if (r->n >= MODELS_MAX_QUEUED_EVENTS) {
		pthread_mutex_unlock(&r->lock);
		metrics_counter_add(r->dropped, 1);
		log_kv_limited(r->log, &r->rl, LOG_LVL_WARN,
			       "events of BMP workers dropped: the loop thread is behind",
			       "type", cw_event_type_name(ev->type), (const char *)0);
		return;
	}
	r->n++; /* reserved before the allocation, outside the lock */
	pthread_mutex_unlock(&r->lock);
	q = malloc(sizeof(*q));
	pthread_mutex_lock(&r->lock);
	if (q == NULL) {
		r->n--;
		pthread_mutex_unlock(&r->lock);
		metrics_counter_add(r->dropped, 1);
		return;
	}
	q->next = NULL;
	q->ev = *ev;
	if (q->ev.time_ns == 0)
		q->ev.time_ns = (int64_t)(wall_now() * 1e9);
	if (r->tail != NULL)
		r->tail->next = q;
	else
		r->head = q;
	r->tail = q;
	pthread_mutex_unlock(&r->lock);
	if (r->async_made)
		(void)uv_async_send(&r->async);
}

static struct queued_event *relay_take(struct relay *r)
{
	struct queued_event *q;

	pthread_mutex_lock(&r->lock);
	q = r->head;
	r->head = r->tail = NULL;
	pthread_mutex_unlock(&r->lock);
	return q;
}

/* Each event is counted out after it is emitted, so the bound holds the
 * events in flight too. */
static void on_relay(uv_async_t *h)
{
	struct relay *r = h->data;

	for (struct queued_event *q = relay_take(r), *next; q != NULL; q = next) {
		next = q->next;
		ev_emit(r->bus, &q->ev);
		free(q);
		pthread_mutex_lock(&r->lock);
		r->n--;
		pthread_mutex_unlock(&r->lock);
	}
}

static int relay_init(struct relay *r, uv_loop_t *loop, struct ev_bus *bus, struct log *lg,
		      struct metrics_registry *reg)
{
	struct metrics_family_def def = {
		.type = METRICS_COUNTER, .name = "circuitwatch_worker_events_dropped_total",
		.help = "Events of BMP workers (session up and down, prefix limits, watched "
			"prefixes) dropped because the loop thread had not taken the last "
			"8192 yet.",
	};
	struct metrics_family *f = metrics_family_new(reg, &def);

	r->bus = bus;
	r->log = lg;
	r->dropped = f != NULL ? metrics_series_get(f, NULL) : NULL;
	if (r->dropped == NULL || pthread_mutex_init(&r->lock, NULL) != 0)
		return -1;
	if (uv_async_init(loop, &r->async, on_relay) != 0) {
		pthread_mutex_destroy(&r->lock);
		return -1;
	}
	r->async.data = r;
	r->async_made = true;
	uv_unref((uv_handle_t *)&r->async); /* the loop ends without waiting for it */
	return 0;
}

static void relay_clean(struct relay *r)
{
	if (!r->async_made)
		return;
	for (struct queued_event *q = relay_take(r), *next; q != NULL; q = next) {
		next = q->next;
		free(q);
	}
	pthread_mutex_destroy(&r->lock);
}

/* ---- the models ---- */

struct models *models_new(struct model *base, size_t n, uv_loop_t *loop, struct ev_bus *bus,
			  struct log *lg, struct metrics_registry *reg,
			  struct metrics_series *gc_hist)
{
	struct models *ms = calloc(1, sizeof(*ms));

	if (ms == NULL)
		goto fail;
	ms->base = base;
	ms->shards = n > 0 ? calloc(n, sizeof(*ms->shards)) : NULL;
	model_set_gc_histogram(base, gc_hist);
	if ((n > 0 && ms->shards == NULL) ||
	    relay_init(&ms->relay, loop, bus, lg, reg) != 0)
		goto fail;
	for (; ms->n < n; ms->n++) {
		struct model *s = model_new_shard(base);

		if (s == NULL)
			goto fail;
		model_set_log(s, lg);
		model_set_gc_histogram(s, gc_hist);
		model_set_event_sink(s, relay_push, &ms->relay);
		ms->shards[ms->n] = s;
	}
	model_set_shards(base, ms->shards, ms->n);
	return ms;
fail:
	log_error(lg, "out of memory making the BMP workers' models");
	models_free(ms);
	return NULL;
}

void models_set_stream(struct models *ms, const struct stream_sink *const *where)
{
	model_set_stream(ms->base, where);
	for (size_t i = 0; i < ms->n; i++)
		model_set_stream(ms->shards[i], where);
}

void models_free(struct models *ms)
{
	if (ms == NULL)
		return;
	if (ms->base != NULL)
		model_set_shards(ms->base, NULL, 0);
	for (size_t i = 0; i < ms->n; i++)
		model_free(ms->shards[i]);
	relay_clean(&ms->relay);
	free(ms->shards);
	free(ms);
}

struct model *const *models_shards(const struct models *ms)
{
	return ms->shards;
}

size_t models_nshards(const struct models *ms)
{
	return ms->n;
}

void models_apply_circuits(struct models *ms, const struct cfg_config *cfg,
			   const struct circuit_index *ix)
{
	model_apply_circuits(ms->base, cfg, ix);
	for (size_t i = 0; i < ms->n; i++) {
		model_lock(ms->shards[i]);
		model_apply_circuits(ms->shards[i], cfg, ix);
		model_unlock(ms->shards[i]);
	}
}

void models_gc(struct models *ms)
{
	(void)model_gc_step(ms->base);
}

void models_publish(struct models *ms, double now)
{
	(void)model_expire(ms->base, now);
	model_publish(ms->base);
}

void models_publish_all(struct models *ms)
{
	for (size_t i = 0; i < ms->n; i++) {
		model_lock(ms->shards[i]);
		model_publish(ms->shards[i]);
		model_unlock(ms->shards[i]);
	}
	model_publish(ms->base);
}
