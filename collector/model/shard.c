/* shard.c — models fed by worker threads: a shard shares its base model's
 * metric families and leaves the link and redundancy series to the base,
 * which counts the sessions of every shard; each shard is guarded by its
 * lock (see model.h, "threads"). */
#include <sched.h>

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

void model_unlock(struct model *m)
{
	pthread_mutex_unlock(&m->lock);
}
