/* metrics.c — the metrics registry: the registry, its families and series
 * (see metrics.h for the contract; metrics_priv.h lists the other files).
 *
 * One mutex per registry guards everything mutable: the sorted family
 * array, each family's series hash, every value, and the deferred-free
 * lists. Critical sections are short: a hash lookup, an add, or the copy
 * of values into a snapshot. Label rendering, allocation (in the common
 * case), sorting and all text formatting happen outside the lock.
 *
 * Removal while a snapshot is out unlinks at once (new snapshots no longer
 * see the object) but frees only when the last outstanding snapshot is
 * released, because snapshots reference names, help and label strings
 * instead of copying them.
 */
#include "metrics_priv.h"

#include <stdlib.h>
#include <string.h>

#define METRICS_LABELS_STACK 512 /* rendered label sets shorter than this
                                  * are built on the stack on lookup */

/* ---- object lifetimes ---- */

/* Frees a family, its series and its strings; no lock needed because the
 * family is unreachable (never linked, removed, or registry teardown). */
static void metrics_family_destroy(struct metrics_family *fam)
{
	struct metrics_series *s, *next;

	if (!fam)
		return;
	s = fam->series;
	HASH_CLEAR(hh, fam->series); /* frees the table, not the elements */
	for (; s; s = next) {
		next = s->hh.next;
		free(s);
	}
	for (size_t i = 0; fam->label_names && i < fam->nlabels; i++)
		free(fam->label_names[i]);
	free(fam->label_names);
	free(fam->bounds);
	metrics_big_free(fam->order, fam->norder * sizeof *fam->order);
	free(fam->name);
	free(fam->help);
	free(fam->unit);
	free(fam);
}

void metrics_dead_free(struct metrics_series *s, struct metrics_family *f)
{
	while (s) {
		struct metrics_series *next = s->next_dead;
		free(s);
		s = next;
	}
	while (f) {
		struct metrics_family *next = f->next_dead;
		metrics_family_destroy(f);
		f = next;
	}
}

static int metrics_family_copy_labels(struct metrics_family *fam,
				      const struct metrics_family_def *def)
{
	if (def->nlabels == 0)
		return 0;
	fam->label_names = calloc(def->nlabels, sizeof *fam->label_names);
	if (!fam->label_names)
		return -1;
	fam->nlabels = def->nlabels;
	for (size_t i = 0; i < def->nlabels; i++) {
		fam->label_names[i] = strdup(def->label_names[i]);
		if (!fam->label_names[i])
			return -1;
		fam->label_skip[i] = (i > 0) + strlen(def->label_names[i]) + 2;
	}
	return 0;
}

/* Builds an unlinked family from a validated def; NULL on ENOMEM. */
static struct metrics_family *metrics_family_alloc(struct metrics_registry *reg,
						   const struct metrics_family_def *def,
						   size_t meta_len)
{
	struct metrics_family *fam = calloc(1, sizeof *fam);

	if (!fam)
		return NULL;
	fam->reg = reg;
	fam->type = def->type;
	fam->meta_len = meta_len;
	fam->name = strdup(def->name);
	fam->help = strdup(def->help ? def->help : "");
	if (def->unit && *def->unit)
		fam->unit = strdup(def->unit);
	if (!fam->name || !fam->help || (def->unit && *def->unit && !fam->unit))
		goto fail;
	if (metrics_family_copy_labels(fam, def) != 0)
		goto fail;
	if (def->nbuckets > 0) {
		fam->bounds = malloc(def->nbuckets * sizeof *fam->bounds);
		if (!fam->bounds)
			goto fail;
		memcpy(fam->bounds, def->buckets, def->nbuckets * sizeof *fam->bounds);
		fam->nbuckets = def->nbuckets;
	}
	return fam;
fail:
	metrics_family_destroy(fam);
	return NULL;
}

struct metrics_registry *metrics_registry_new(void)
{
	struct metrics_registry *reg = calloc(1, sizeof *reg);

	if (!reg)
		return NULL;
	if (pthread_mutex_init(&reg->lock, NULL) != 0) {
		free(reg);
		return NULL;
	}
	return reg;
}

void metrics_registry_free(struct metrics_registry *reg)
{
	if (!reg)
		return;
	for (size_t i = 0; i < reg->nfams; i++)
		metrics_family_destroy(reg->fams[i]);
	free(reg->fams);
	metrics_dead_free(reg->dead_series, reg->dead_fams);
	pthread_mutex_destroy(&reg->lock);
	free(reg);
}

/* ---- families ---- */

/* True when a live family already uses this OpenMetrics metadata name:
 * counter a_total, info a_info, gauge a and histogram a all expose as "a"
 * and would form one invalid family. Caller holds the lock. */
static bool metrics_meta_taken_locked(const struct metrics_registry *reg,
				      const struct metrics_family *fam)
{
	for (size_t i = 0; i < reg->nfams; i++) {
		const struct metrics_family *o = reg->fams[i];
		if (o->meta_len == fam->meta_len &&
		    memcmp(o->name, fam->name, fam->meta_len) == 0)
			return true;
	}
	return false;
}

/* Index at which name goes to keep reg->fams sorted. Caller holds the lock. */
static size_t metrics_family_pos_locked(const struct metrics_registry *reg, const char *name)
{
	size_t lo = 0, hi = reg->nfams;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(reg->fams[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int metrics_family_link_locked(struct metrics_registry *reg, struct metrics_family *fam)
{
	size_t pos;

	if (metrics_meta_taken_locked(reg, fam))
		return -1;
	if (reg->nfams == reg->capfams) {
		size_t cap = reg->capfams ? reg->capfams * 2 : 16;
		struct metrics_family **fams = realloc(reg->fams, cap * sizeof *fams);
		if (!fams)
			return -1;
		reg->fams = fams;
		reg->capfams = cap;
	}
	pos = metrics_family_pos_locked(reg, fam->name);
	memmove(&reg->fams[pos + 1], &reg->fams[pos], (reg->nfams - pos) * sizeof *reg->fams);
	reg->fams[pos] = fam;
	reg->nfams++;
	reg->gen++;
	metrics_family_touch_locked(fam);
	return 0;
}

struct metrics_family *metrics_family_new(struct metrics_registry *reg,
					  const struct metrics_family_def *def)
{
	struct metrics_family *fam;
	size_t meta_len = 0;
	int rc;

	if (!reg || !def || !metrics_def_ok(def, &meta_len))
		return NULL;
	fam = metrics_family_alloc(reg, def, meta_len);
	if (!fam)
		return NULL;
	pthread_mutex_lock(&reg->lock);
	rc = metrics_family_link_locked(reg, fam);
	pthread_mutex_unlock(&reg->lock);
	if (rc != 0) {
		metrics_family_destroy(fam);
		return NULL;
	}
	return fam;
}

/* Unlinks fam from the sorted array; false if it is not there (already
 * removed, or another registry's). Caller holds the lock. */
static bool metrics_family_unlink_locked(struct metrics_registry *reg,
					 const struct metrics_family *fam)
{
	for (size_t i = 0; i < reg->nfams; i++) {
		if (reg->fams[i] != fam)
			continue;
		memmove(&reg->fams[i], &reg->fams[i + 1], (reg->nfams - i - 1) * sizeof *reg->fams);
		reg->nfams--;
		reg->gen++;
		return true;
	}
	return false;
}

void metrics_family_remove(struct metrics_registry *reg, struct metrics_family *fam)
{
	bool destroy = false;
	size_t n;

	if (!reg || !fam)
		return;
	pthread_mutex_lock(&reg->lock);
	if (metrics_family_unlink_locked(reg, fam)) {
		n = HASH_COUNT(fam->series);
		reg->nseries -= n;
		reg->nbucket_slots -= n * (fam->type == METRICS_HISTOGRAM ? fam->nbuckets : 0);
		destroy = reg->outstanding == 0;
		if (!destroy) {
			fam->next_dead = reg->dead_fams;
			reg->dead_fams = fam;
		}
	}
	pthread_mutex_unlock(&reg->lock);
	if (destroy)
		metrics_family_destroy(fam);
}

/* ---- series ---- */

/* Allocates a series with its label string; unlinked, value 0. */
static struct metrics_series *metrics_series_alloc(struct metrics_family *fam,
						   const char *labels, size_t len)
{
	size_t nb = fam->type == METRICS_HISTOGRAM ? fam->nbuckets : 0;
	struct metrics_series *s = calloc(1, sizeof *s + nb * sizeof s->buckets[0] + len + 1);

	if (!s)
		return NULL;
	s->fam = fam;
	s->labels = (char *)&s->buckets[nb];
	memcpy(s->labels, labels, len + 1);
	s->value = fam->type == METRICS_INFO ? 1.0 : 0.0;
	return s;
}

/* Whether one more series may join fam; counts a refusal when not. Caller
 * holds the lock. */
static bool metrics_series_room_locked(struct metrics_family *fam)
{
	struct metrics_registry *reg = fam->reg;

	if (HASH_COUNT(fam->series) >= METRICS_MAX_SERIES_PER_FAMILY) {
		reg->refused.family_cap++;
		return false;
	}
	if (reg->max_series != 0 && reg->nseries >= reg->max_series) {
		reg->refused.budget++;
		return false;
	}
	return true;
}

/* Inserts a new series unless another thread won the race meanwhile;
 * allocation happens before the lock so the critical section stays short. */
static struct metrics_series *metrics_series_insert(struct metrics_family *fam,
						    const char *labels, size_t len)
{
	struct metrics_registry *reg = fam->reg;
	struct metrics_series *s = metrics_series_alloc(fam, labels, len), *found = NULL;

	if (!s)
		return NULL;
	pthread_mutex_lock(&reg->lock);
	HASH_FIND(hh, fam->series, labels, len, found);
	if (found || !metrics_series_room_locked(fam))
		goto out;
	HASH_ADD_KEYPTR(hh, fam->series, s->labels, len, s);
	if (!s->hh.tbl)
		goto out; /* uthash ran out of memory; s is not in the table */
	reg->nseries++;
	reg->nbucket_slots += fam->type == METRICS_HISTOGRAM ? fam->nbuckets : 0;
	reg->gen++;
	fam->set_ver++;
	metrics_family_touch_locked(fam);
	found = s;
	s = NULL;
out:
	pthread_mutex_unlock(&reg->lock);
	free(s);
	return found;
}

struct metrics_series *metrics_series_get(struct metrics_family *fam,
					  const char *const *label_values)
{
	char stack[METRICS_LABELS_STACK];
	char *key = stack;
	struct metrics_series *s = NULL;
	size_t len;
	bool room;

	if (!fam)
		return NULL;
	len = metrics_labels_len(fam, label_values);
	if (len == SIZE_MAX)
		return NULL;
	if (len >= sizeof stack && !(key = malloc(len + 1)))
		return NULL;
	metrics_labels_render(fam, label_values, key);
	pthread_mutex_lock(&fam->reg->lock);
	HASH_FIND(hh, fam->series, key, len, s);
	/* refused before allocating: a publisher retries every round */
	room = s != NULL || metrics_series_room_locked(fam);
	pthread_mutex_unlock(&fam->reg->lock);
	if (!s && room)
		s = metrics_series_insert(fam, key, len);
	if (key != stack)
		free(key);
	return s;
}

/* ---- for metrics_group.c: finding a member again without the lock ---- */

static uint64_t metrics_mix(uint64_t h, uint64_t w)
{
	h ^= w;
	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

uint64_t metrics_labels_hash(const struct metrics_family *fam, const char *const *values)
{
	uint64_t h = metrics_mix(0, (uint64_t)(uintptr_t)fam);

	for (size_t i = 0; fam && values && i < fam->nlabels && values[i]; i++) {
		const char *v = values[i];
		size_t n = strlen(v), j = 0;

		for (; j + 8 <= n; j += 8) {
			uint64_t w;

			memcpy(&w, v + j, sizeof w);
			h = metrics_mix(h, w);
		}
		uint64_t tail = n; /* the length ends the value: "a","bc" != "ab","c" */
		for (; j < n; j++)
			tail = tail << 8 | (unsigned char)v[j];
		h = metrics_mix(h, tail);
	}
	return h;
}

bool metrics_series_has_labels(const struct metrics_series *s, const struct metrics_family *fam,
			       const char *const *values)
{
	const char *p = s->labels;

	if (s->fam != fam || (fam->nlabels > 0 && !values))
		return false;
	for (size_t i = 0; i < fam->nlabels; i++) {
		p += fam->label_skip[i]; /* the family's own name, not compared */
		if (!values[i])
			return false;
		for (const char *v = values[i]; *v; v++) {
			if ((*v == '\\' || *v == '"' || *v == '\n') && *p++ != '\\')
				return false;
			if (*p++ != (*v == '\n' ? 'n' : *v))
				return false;
		}
		if (*p++ != '"')
			return false;
	}
	return *p == '\0';
}

void metrics_series_remove(struct metrics_family *fam, struct metrics_series *s)
{
	struct metrics_registry *reg;
	bool now;

	if (!fam || !s || s->fam != fam)
		return;
	reg = fam->reg;
	pthread_mutex_lock(&reg->lock);
	HASH_DEL(fam->series, s);
	reg->nseries--;
	reg->gen++;
	fam->set_ver++;
	metrics_family_touch_locked(fam);
	reg->nbucket_slots -= fam->type == METRICS_HISTOGRAM ? fam->nbuckets : 0;
	now = reg->outstanding == 0;
	if (!now) {
		s->next_dead = reg->dead_series;
		reg->dead_series = s;
	}
	pthread_mutex_unlock(&reg->lock);
	if (now)
		free(s);
}

void metrics_registry_set_max_series(struct metrics_registry *reg, size_t max)
{
	pthread_mutex_lock(&reg->lock);
	reg->max_series = max;
	pthread_mutex_unlock(&reg->lock);
}

size_t metrics_registry_series(struct metrics_registry *reg)
{
	size_t n;

	pthread_mutex_lock(&reg->lock);
	n = reg->nseries;
	pthread_mutex_unlock(&reg->lock);
	return n;
}

struct metrics_refusals metrics_registry_refusals(struct metrics_registry *reg)
{
	struct metrics_refusals r;

	pthread_mutex_lock(&reg->lock);
	r = reg->refused;
	pthread_mutex_unlock(&reg->lock);
	return r;
}
