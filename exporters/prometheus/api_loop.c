/* api_loop.c — the looking glass's hand-off to the loop thread: routes of
 * the loop thread's own model (passive capture's routers), which only that
 * thread may read. An HTTP thread queues a request, wakes the loop with a
 * uv_async and waits for the answer until a deadline; a request whose
 * deadline passed is abandoned, and the loop thread frees it when it comes
 * to it. The queue and each request's state are under `lock`.
 *
 * Threads: api_loop_new and api_loop_free on the loop thread (the module's
 * start and stop; the HTTP threads have stopped before free); the async
 * callback on the loop thread; api_loop_lookup on HTTP threads. The handle
 * is freed by its close callback, which the daemon's last loop run calls. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <uv.h>

#include "api.h"
#include "http_priv.h"
#include "model.h"
#include "module.h"

#define API_LOOP_QUEUE_MAX 16 /* requests waiting for the loop thread; more answer without */

struct lg_req {
	struct lg_req *next;
	struct rib_prefix want;
	bool longest;
	struct api_hits hits; /* filled on the loop thread */
	bool done, abandoned;
};

struct api_loop {
	uv_async_t async;
	struct cw_ctx *ctx;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	struct lg_req *head;
	size_t n;
	bool closing;
};

static void req_free(struct lg_req *r)
{
	json_decref(r->hits.routes);
	free(r);
}

/* On the loop thread: answers every queued request. */
static void on_async(uv_async_t *h)
{
	struct api_loop *l = h->data;
	struct model_lookup_opts o = {false, false, API_LOOKUP_SLICE_S};
	struct lg_req *q, *next;

	pthread_mutex_lock(&l->lock);
	q = l->head;
	l->head = NULL;
	l->n = 0;
	pthread_mutex_unlock(&l->lock);
	for (; q != NULL; q = next) {
		bool gone;

		next = q->next;
		pthread_mutex_lock(&l->lock);
		gone = q->abandoned;
		pthread_mutex_unlock(&l->lock);
		o.longest = q->longest;
		if (!gone)
			(void)model_routes_lookup(l->ctx->model, &q->want, &o, api_collect_route,
						  &q->hits);
		pthread_mutex_lock(&l->lock);
		gone = q->abandoned;
		q->done = true;
		pthread_cond_broadcast(&l->cv);
		pthread_mutex_unlock(&l->lock);
		if (gone)
			req_free(q);
	}
}

struct api_loop *api_loop_new(struct cw_ctx *ctx)
{
	struct api_loop *l = calloc(1, sizeof(*l));
	pthread_condattr_t ca;

	if (l == NULL || ctx->loop == NULL || ctx->model == NULL)
		goto fail;
	l->ctx = ctx;
	pthread_mutex_init(&l->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (uv_async_init(ctx->loop, &l->async, on_async) != 0) {
		pthread_cond_destroy(&l->cv);
		pthread_mutex_destroy(&l->lock);
		goto fail;
	}
	l->async.data = l;
	uv_unref((uv_handle_t *)&l->async); /* the loop ends without waiting for it */
	return l;
fail:
	free(l);
	return NULL;
}

static void on_closed(uv_handle_t *h)
{
	struct api_loop *l = h->data;

	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

void api_loop_free(struct api_loop *l)
{
	struct lg_req *q, *next;

	if (l == NULL)
		return;
	pthread_mutex_lock(&l->lock);
	l->closing = true;
	q = l->head; /* abandoned by now: the HTTP threads have stopped */
	l->head = NULL;
	pthread_mutex_unlock(&l->lock);
	for (; q != NULL; q = next) {
		next = q->next;
		req_free(q);
	}
	uv_close((uv_handle_t *)&l->async, on_closed);
}

static void deadline_of(double timeout_s, struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)timeout_s;
	ts->tv_nsec += (long)((timeout_s - (double)(time_t)timeout_s) * 1e9);
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int api_loop_lookup(struct api_loop *l, const struct rib_prefix *want, bool longest,
		    size_t max, double timeout_s, struct api_hits *out)
{
	struct lg_req *r = calloc(1, sizeof(*r));
	struct timespec dl;
	int rc = -1, e = 0;

	if (r == NULL || l == NULL)
		goto out;
	*r = (struct lg_req){NULL, *want, longest, {json_array(), max, false}, false, false};
	pthread_mutex_lock(&l->lock);
	if (l->closing || l->n >= API_LOOP_QUEUE_MAX) {
		pthread_mutex_unlock(&l->lock);
		goto out;
	}
	r->next = l->head;
	l->head = r;
	l->n++;
	pthread_mutex_unlock(&l->lock);
	(void)uv_async_send(&l->async);
	deadline_of(timeout_s, &dl);
	pthread_mutex_lock(&l->lock);
	while (!r->done && e != ETIMEDOUT)
		e = pthread_cond_timedwait(&l->cv, &l->lock, &dl);
	if (!r->done) {
		r->abandoned = true; /* the loop thread frees it */
		r = NULL;
	}
	pthread_mutex_unlock(&l->lock);
	if (r != NULL) {
		*out = r->hits;
		r->hits.routes = NULL;
		rc = 0;
	}
out:
	if (r != NULL)
		req_free(r);
	return rc;
}
