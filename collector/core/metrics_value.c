/* metrics_value.c — updating a series' value, and the registry's
 * generation (what moves it, and the quiet series that do not). Every
 * store happens under the registry lock; a set that changes nothing takes
 * no lock (metrics_value_unchanged). */
#include "metrics_priv.h"

#include <math.h>
#include <string.h>

/* ---- values ---- */

/* Stores v, bumping the generation when the value really changed (a
 * publisher re-setting the same gauge every round changes nothing).
 * Caller holds the lock. */
static void metrics_store_locked(struct metrics_series *s, double v)
{
	if (memcmp(&s->value, &v, sizeof v) == 0)
		return;
	/* atomic: metrics_value_unchanged() reads it without the lock */
	__atomic_store(&s->value, &v, __ATOMIC_RELAXED);
	metrics_family_touch_locked(s->fam);
	if (!s->quiet)
		s->fam->reg->gen++;
}

/* Whether setting v would change nothing, read without the lock: a
 * publisher re-setting every series each round mostly sets the value it
 * set last time, and then need not take the registry lock at all. Every
 * store is atomic and under the lock, so an equal value read here is the
 * series' value at that moment and the set is a no-op there. */
static bool metrics_value_unchanged(const struct metrics_series *s, double v)
{
	double cur;

	__atomic_load(&s->value, &cur, __ATOMIC_RELAXED);
	return memcmp(&cur, &v, sizeof v) == 0;
}

void metrics_counter_add(struct metrics_series *s, double v)
{
	/* !(v >= 0) also rejects NaN: a counter only goes up. */
	if (!s || s->fam->type != METRICS_COUNTER || !(v >= 0))
		return;
	pthread_mutex_lock(&s->fam->reg->lock);
	metrics_store_locked(s, s->value + v);
	pthread_mutex_unlock(&s->fam->reg->lock);
}

void metrics_counter_set(struct metrics_series *s, double v)
{
	/* OpenMetrics counters are never negative or NaN. */
	if (!s || s->fam->type != METRICS_COUNTER || !(v >= 0) || metrics_value_unchanged(s, v))
		return;
	pthread_mutex_lock(&s->fam->reg->lock);
	metrics_store_locked(s, v);
	pthread_mutex_unlock(&s->fam->reg->lock);
}

void metrics_gauge_set(struct metrics_series *s, double v)
{
	if (!s || s->fam->type != METRICS_GAUGE || metrics_value_unchanged(s, v))
		return;
	pthread_mutex_lock(&s->fam->reg->lock);
	metrics_store_locked(s, v);
	pthread_mutex_unlock(&s->fam->reg->lock);
}

void metrics_gauge_add(struct metrics_series *s, double v)
{
	if (!s || s->fam->type != METRICS_GAUGE)
		return;
	pthread_mutex_lock(&s->fam->reg->lock);
	metrics_store_locked(s, s->value + v);
	pthread_mutex_unlock(&s->fam->reg->lock);
}

void metrics_series_set_quiet(struct metrics_series *s, bool quiet)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->fam->reg->lock);
	s->quiet = quiet;
	pthread_mutex_unlock(&s->fam->reg->lock);
}

uint64_t metrics_registry_generation(struct metrics_registry *reg)
{
	uint64_t g;

	pthread_mutex_lock(&reg->lock);
	g = reg->gen;
	pthread_mutex_unlock(&reg->lock);
	return g;
}

/* Index of the first bound >= v, or n for the +Inf bucket. */
static size_t metrics_bucket_index(const double *bounds, size_t n, double v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (bounds[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void metrics_histogram_observe(struct metrics_series *s, double v)
{
	const struct metrics_family *fam;
	size_t i;

	/* NaN would poison _sum for the life of the series. */
	if (!s || s->fam->type != METRICS_HISTOGRAM || isnan(v))
		return;
	fam = s->fam;
	i = metrics_bucket_index(fam->bounds, fam->nbuckets, v);
	pthread_mutex_lock(&fam->reg->lock);
	if (i < fam->nbuckets)
		s->buckets[i]++;
	s->sum += v;
	s->count++;
	metrics_family_touch_locked(s->fam);
	if (!s->quiet)
		fam->reg->gen++;
	pthread_mutex_unlock(&fam->reg->lock);
}

double metrics_series_value(const struct metrics_series *s)
{
	double v;

	if (!s)
		return 0.0;
	pthread_mutex_lock(&s->fam->reg->lock);
	v = s->value;
	pthread_mutex_unlock(&s->fam->reg->lock);
	return v;
}
