/* shard.c — models fed by worker threads: a shard shares its base model's
 * metric families and leaves the link and redundancy series to the base,
 * which counts the sessions of every shard as of the shard's last publish;
 * each shard is guarded by its lock (see model.h, "threads"). */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uthash.h>

#include "model_priv.h"

struct model *model_new_shard(struct model *base)
{
	struct model *m = model_alloc(base->reg);

	if (m == NULL)
		return NULL;
	for (int f = 0; f < F_COUNT; f++)
		m->fam[f] = base->fam[f];
	m->links_elsewhere = true;
	return m;
}

void model_set_shards(struct model *m, struct model *const *shards, size_t n)
{
	m->shards = n > 0 ? shards : NULL;
	m->nshards = n;
}

void model_lock(struct model *m)
{
	atomic_fetch_add(&m->waiters, 1);
	pthread_mutex_lock(&m->lock);
	atomic_fetch_sub(&m->waiters, 1);
}

/* The worker lets a waiting model_lock() go first: a mutex is not fair,
 * and the worker takes the lock again right after each callback. */
void model_lock_worker(struct model *m)
{
	while (atomic_load(&m->waiters) > 0)
		sched_yield();
	pthread_mutex_lock(&m->lock);
}

/* Letting go of the model ends the worker's slice: the route changes it
 * batched go now (model_stream.c). */
void model_unlock(struct model *m)
{
	model_stream_flush(m);
	pthread_mutex_unlock(&m->lock);
}

/* ---- a shard's sessions for its base's link series ---- */

int model_up_session_cmp(const void *a, const void *b)
{
	const struct up_session *x = a, *y = b;

	if (x->pe != y->pe)
		return (uintptr_t)x->pe < (uintptr_t)y->pe ? -1 : 1;
	return strcmp(x->addr, y->addr);
}

static bool up_grow(struct up_session **v, size_t n, size_t *cap)
{
	size_t ncap;
	struct up_session *nv;

	if (n < *cap)
		return true;
	ncap = *cap ? 2 * *cap : 64;
	nv = realloc(*v, ncap * sizeof(*nv));
	if (nv == NULL)
		return false;
	*v = nv;
	*cap = ncap;
	return true;
}

bool model_up_sessions_append(const struct model *m, struct up_session **v, size_t *n,
			      size_t *cap)
{
	for (size_t i = 0; i < m->nrouters; i++) {
		const struct model_peer *p, *tmp;

		HASH_ITER(hh, m->routers[i]->peers, p, tmp) {
			if (p->peering == NULL)
				continue;
			if (!up_grow(v, *n, cap))
				return false;
			(*v)[*n].pe = p->peering;
			memcpy((*v)[*n].addr, p->addr_text, sizeof((*v)[*n].addr));
			(*v)[*n].up = p->up;
			(*n)++;
		}
	}
	return true;
}

void model_shard_export(struct model *m)
{
	struct up_session *v = NULL, *old;
	size_t n = 0, cap = 0;

	if (!model_up_sessions_append(m, &v, &n, &cap)) {
		free(v); /* the last export stays: better late than none */
		return;
	}
	pthread_mutex_lock(&m->snap_lock);
	old = m->snap;
	m->snap = v;
	m->nsnap = n;
	m->snap_ix = m->ix;
	pthread_mutex_unlock(&m->snap_lock);
	free(old);
}

bool model_shard_import(struct model *s, const struct circuit_index *ix,
			struct up_session **v, size_t *n, size_t *cap)
{
	bool ok = true;

	pthread_mutex_lock(&s->snap_lock);
	if (s->snap_ix != ix) {
		ok = false;
	} else if (*n + s->nsnap > *cap) {
		size_t ncap = *n + s->nsnap + 64;
		struct up_session *nv = realloc(*v, ncap * sizeof(*nv));

		ok = nv != NULL;
		if (ok) {
			*v = nv;
			*cap = ncap;
		}
	}
	if (ok && s->nsnap > 0) {
		memcpy(*v + *n, s->snap, s->nsnap * sizeof(**v));
		*n += s->nsnap;
	}
	pthread_mutex_unlock(&s->snap_lock);
	return ok;
}

/* ---- GC steps, timed ---- */

void model_set_gc_histogram(struct model *m, struct metrics_series *hist)
{
	m->gc_step_s = hist;
}

static double thread_cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time, not wall time: wall time would add whatever the scheduler
 * gave other threads meanwhile, which no step size can bound. */
size_t model_gc_step(struct model *m)
{
	double t0 = thread_cpu_now();
	size_t left = model_gc(m);
	double took = thread_cpu_now() - t0;

	if (m->gc_step_s != NULL && (left > 0 || m->gc_busy || took > 0.0005))
		metrics_histogram_observe(m->gc_step_s, took);
	m->gc_busy = left > 0;
	return left;
}
