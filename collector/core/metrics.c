/* metrics.c — the metrics registry (see metrics.h for the contract).
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
#include "metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Out of memory inside uthash must not exit() the daemon: with this set a
 * failed add leaves the element out of the table with hh.tbl == NULL. */
#define HASH_NONFATAL_OOM 1
#include <uthash.h>

#define METRICS_LABELS_STACK 512 /* rendered label sets shorter than this
                                  * are built on the stack on lookup */

/* What a snapshot copies under the lock (values, labels, hh.next) comes
 * first, within one cache line. */
struct metrics_series {
	double value;                    /* counter, gauge, info */
	double sum;                      /* histogram */
	uint64_t count;                  /* histogram */
	char *labels;                    /* rendered, NUL-terminated; lives in
	                                  * this allocation after buckets */
	UT_hash_handle hh;               /* keyed by labels */
	struct metrics_family *fam;
	struct metrics_series *next_dead; /* deferred-free list link */
	bool quiet;                      /* its updates leave reg->gen alone */
	uint64_t buckets[];              /* histogram: per-bucket counts, not
	                                  * cumulative; +Inf is count - sum */
};

struct metrics_family {
	struct metrics_registry *reg;
	struct metrics_family *next_dead; /* deferred-free list link */
	struct metrics_series *series;   /* uthash head */
	enum metrics_type type;
	char *name;
	size_t meta_len;                 /* name without _total / _info */
	char *help;                      /* never NULL ("" for none) */
	char *unit;                      /* NULL for none */
	size_t nlabels;
	char **label_names;
	size_t label_skip[METRICS_MAX_LABELS]; /* `,name="` (`name="` first): bytes
	                                        * before each value in a label set */
	size_t nbuckets;
	double *bounds;
};

struct metrics_registry {
	pthread_mutex_t lock;
	struct metrics_family **fams;    /* live families, sorted by name */
	size_t nfams;
	size_t capfams;
	size_t nseries;                  /* live series in all families */
	size_t max_series;               /* budget over all families; 0 = none */
	struct metrics_refusals refused;
	size_t nbucket_slots;            /* sum of nbuckets over live series */
	size_t outstanding;              /* snapshots taken and not freed */
	struct metrics_series *dead_series;
	struct metrics_family *dead_fams;
	uint64_t gen;                    /* bumped on every change but quiet ones */
};

/* ---- names and label sets ---- */

static bool metrics_name_char(char c, bool first, bool colon)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return true;
	if (c == ':')
		return colon;
	return !first && c >= '0' && c <= '9';
}

/* Metric names allow ':' (recording rules), label names do not. */
static bool metrics_name_valid(const char *s, bool colon)
{
	if (!s || !*s)
		return false;
	for (size_t i = 0; s[i]; i++)
		if (!metrics_name_char(s[i], i == 0, colon))
			return false;
	return true;
}

static bool metrics_has_suffix(const char *s, size_t n, const char *sfx)
{
	size_t k = strlen(sfx);

	return n > k && memcmp(s + n - k, sfx, k) == 0;
}

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF):
 * Prometheus rejects a whole scrape over one invalid label value. */
static bool metrics_utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], lo = 0x80, hi = 0xbf;
		size_t k;

		if (c < 0x80)
			k = 0;
		else if (c >= 0xc2 && c <= 0xdf)
			k = 1;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3;
		else
			return false;
		if (n - i - 1 < k)
			return false;
		/* RFC 3629 §4: the second byte's range excludes overlongs
		 * (E0, F0), surrogates (ED) and code points past U+10FFFF (F4). */
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf4)
			hi = 0x8f;
		for (size_t j = 1; j <= k; j++, lo = 0x80, hi = 0xbf)
			if (s[i + j] < lo || s[i + j] > hi)
				return false;
		i += k + 1;
	}
	return true;
}

/* Bytes the escaped label value takes in the text formats, or SIZE_MAX
 * when the value is missing, too long or not UTF-8. */
static size_t metrics_escaped_len(const char *v)
{
	size_t n, extra = 0;

	if (!v)
		return SIZE_MAX;
	n = strnlen(v, METRICS_MAX_LABEL_VALUE + 1);
	if (n > METRICS_MAX_LABEL_VALUE || !metrics_utf8_valid((const unsigned char *)v, n))
		return SIZE_MAX;
	for (size_t i = 0; i < n; i++)
		extra += v[i] == '\\' || v[i] == '"' || v[i] == '\n';
	return n + extra;
}

/* Length of `a="x",b="y"` for these values, or SIZE_MAX if one is bad. */
static size_t metrics_labels_len(const struct metrics_family *fam,
				 const char *const *values)
{
	size_t len = 0;

	if (fam->nlabels > 0 && !values)
		return SIZE_MAX;
	for (size_t i = 0; i < fam->nlabels; i++) {
		size_t vlen = metrics_escaped_len(values[i]);
		if (vlen == SIZE_MAX)
			return SIZE_MAX;
		len += (i > 0) + strlen(fam->label_names[i]) + 3 + vlen;
	}
	return len;
}

/* Writes the label set into dst (len + 1 bytes, from metrics_labels_len). */
static void metrics_labels_render(const struct metrics_family *fam,
				  const char *const *values, char *dst)
{
	for (size_t i = 0; i < fam->nlabels; i++) {
		size_t n = strlen(fam->label_names[i]);
		if (i > 0)
			*dst++ = ',';
		memcpy(dst, fam->label_names[i], n);
		dst += n;
		*dst++ = '=';
		*dst++ = '"';
		for (const char *v = values[i]; *v; v++) {
			if (*v == '\\' || *v == '"' || *v == '\n')
				*dst++ = '\\';
			*dst++ = *v == '\n' ? 'n' : *v;
		}
		*dst++ = '"';
	}
	*dst = '\0';
}

/* ---- family definitions ---- */

/* Suffixes that samples of other types generate, so a gauge or histogram
 * carrying one would collide with them or confuse a parser. */
static const char *const metrics_reserved_suffixes[] = {
	"_total", "_bucket", "_count", "_sum", "_created", "_info",
};

/* Checks name and type suffix; sets the OpenMetrics metadata name length
 * (counters lose _total, info loses _info). */
static bool metrics_def_name_ok(const struct metrics_family_def *def, size_t *meta_len)
{
	size_t n;

	if (!metrics_name_valid(def->name, true))
		return false;
	n = strlen(def->name);
	switch (def->type) {
	case METRICS_COUNTER:
		*meta_len = n - strlen("_total");
		return metrics_has_suffix(def->name, n, "_total");
	case METRICS_INFO:
		*meta_len = n - strlen("_info");
		return metrics_has_suffix(def->name, n, "_info");
	case METRICS_GAUGE:
	case METRICS_HISTOGRAM:
		*meta_len = n;
		for (size_t i = 0; i < sizeof metrics_reserved_suffixes / sizeof *metrics_reserved_suffixes; i++)
			if (metrics_has_suffix(def->name, n, metrics_reserved_suffixes[i]))
				return false;
		return true;
	}
	return false;
}

/* OpenMetrics: a unit must be a suffix of the metadata name after an
 * underscore, and info families must have none. */
static bool metrics_def_unit_ok(const struct metrics_family_def *def, size_t meta_len)
{
	size_t ulen;

	if (!def->unit || !*def->unit)
		return true;
	if (def->type == METRICS_INFO || !metrics_name_valid(def->unit, false))
		return false;
	ulen = strlen(def->unit);
	return meta_len > ulen + 1 && def->name[meta_len - ulen - 1] == '_' &&
	       memcmp(def->name + meta_len - ulen, def->unit, ulen) == 0;
}

static bool metrics_label_name_ok(const char *name)
{
	/* "__" is Prometheus-internal; le and quantile are generated by
	 * histograms and summaries and would clash in queries. */
	return metrics_name_valid(name, false) && strncmp(name, "__", 2) != 0 &&
	       strcmp(name, "le") != 0 && strcmp(name, "quantile") != 0;
}

static bool metrics_def_labels_ok(const struct metrics_family_def *def)
{
	if (def->nlabels > METRICS_MAX_LABELS || (def->nlabels > 0 && !def->label_names))
		return false;
	for (size_t i = 0; i < def->nlabels; i++) {
		if (!metrics_label_name_ok(def->label_names[i]))
			return false;
		for (size_t j = 0; j < i; j++)
			if (strcmp(def->label_names[i], def->label_names[j]) == 0)
				return false;
	}
	return true;
}

static bool metrics_def_buckets_ok(const struct metrics_family_def *def)
{
	if (def->type != METRICS_HISTOGRAM)
		return def->nbuckets == 0;
	if (def->nbuckets < 1 || def->nbuckets > METRICS_MAX_BUCKETS || !def->buckets)
		return false;
	for (size_t i = 0; i < def->nbuckets; i++) {
		if (!isfinite(def->buckets[i]))
			return false;
		if (i > 0 && !(def->buckets[i] > def->buckets[i - 1]))
			return false;
	}
	return true;
}

static bool metrics_def_ok(const struct metrics_family_def *def, size_t *meta_len)
{
	const char *help = def->help ? def->help : "";

	return metrics_def_name_ok(def, meta_len) && metrics_def_unit_ok(def, *meta_len) &&
	       metrics_def_labels_ok(def) && metrics_def_buckets_ok(def) &&
	       metrics_utf8_valid((const unsigned char *)help, strlen(help));
}

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
	free(fam->name);
	free(fam->help);
	free(fam->unit);
	free(fam);
}

static void metrics_dead_free(struct metrics_series *s, struct metrics_family *f)
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

/* ---- snapshots ---- */

/* A snapshot is one allocation: the header, then the family array, the
 * series array and the histogram bucket counts. */
struct metrics_snap_need {
	size_t nfams;
	size_t nseries;
	size_t nslots;
};

static struct metrics_snap_need metrics_snap_need_locked(const struct metrics_registry *reg)
{
	struct metrics_snap_need n = { reg->nfams, reg->nseries, reg->nbucket_slots };

	return n;
}

static size_t metrics_snap_bytes(const struct metrics_snap_need *n)
{
	return sizeof(struct metrics_snapshot) + n->nfams * sizeof(struct metrics_snap_family) +
	       n->nseries * sizeof(struct metrics_snap_series) + n->nslots * sizeof(uint64_t);
}

static void metrics_snap_series_copy(const struct metrics_family *fam,
				     const struct metrics_series *s,
				     struct metrics_snap_series *d, uint64_t **slots)
{
	d->labels = s->labels;
	d->value = s->value;
	d->sum = s->sum;
	d->count = s->count;
	d->buckets = NULL;
	if (fam->type != METRICS_HISTOGRAM)
		return;
	uint64_t acc = 0, *b = *slots;
	for (size_t i = 0; i < fam->nbuckets; i++) {
		acc += s->buckets[i];
		b[i] = acc;
	}
	d->buckets = b;
	*slots = b + fam->nbuckets;
}

/* Copies metadata pointers and values; caller holds the lock. */
static void metrics_snap_fill_locked(const struct metrics_registry *reg,
				     struct metrics_snapshot *snap)
{
	struct metrics_snap_family *fams = (struct metrics_snap_family *)(snap + 1);
	struct metrics_snap_series *ser = (struct metrics_snap_series *)(fams + reg->nfams);
	uint64_t *slots = (uint64_t *)(ser + reg->nseries);

	snap->nfamilies = reg->nfams;
	snap->families = fams;
	for (size_t i = 0; i < reg->nfams; i++) {
		const struct metrics_family *fam = reg->fams[i];
		struct metrics_snap_family *f = &fams[i];
		const struct metrics_series *s;

		f->type = fam->type;
		f->name = fam->name;
		f->help = fam->help;
		f->unit = fam->unit;
		f->nbuckets = fam->nbuckets;
		f->bounds = fam->bounds;
		f->nseries = HASH_COUNT(fam->series);
		f->series = ser;
		for (s = fam->series; s; s = s->hh.next)
			metrics_snap_series_copy(fam, s, ser++, &slots);
	}
}

/* Sorting by strcmp alone costs ~n log n string compares through scattered
 * heap memory plus qsort's indirect calls: most of a snapshot at 100k
 * series. Label sets of a family share a long prefix (`circuit="er-`), so
 * each series gets a key: the 8 bytes after the family's common prefix,
 * big-endian, so integer order is strcmp order (NUL pads, sorting a
 * shorter string first as strcmp does). A radix sort orders the keys and
 * strcmp only breaks ties. */
struct metrics_sort_key {
	uint64_t key;
	const char *rest; /* labels after the common prefix */
	size_t idx;       /* position in the unsorted copy */
};

struct metrics_sort_scratch {
	struct metrics_sort_key *keys, *keys_tmp;
	struct metrics_snap_series *series_tmp;
};

static size_t metrics_common_prefix(const struct metrics_snap_series *ser, size_t n)
{
	size_t lcp = strlen(ser[0].labels);

	for (size_t i = 1; i < n && lcp > 0; i++) {
		size_t j = 0;
		while (j < lcp && ser[i].labels[j] == ser[0].labels[j])
			j++;
		lcp = j;
	}
	return lcp;
}

static struct metrics_sort_key metrics_sort_key_of(const char *labels, size_t lcp, size_t idx)
{
	const unsigned char *p = (const unsigned char *)labels + lcp;
	struct metrics_sort_key k = { 0, (const char *)p, idx };
	size_t j = 0;

	for (; j < 8 && p[j]; j++)
		k.key = k.key << 8 | p[j];
	for (; j < 8; j++)
		k.key <<= 8;
	return k;
}

/* Stable LSD radix sort of a[0..n) by key, one byte per pass. All eight
 * byte histograms come from one read; a byte that is the same in every key
 * (most of them, for ASCII labels) costs no pass. tmp holds n entries. */
static void metrics_radix_sort(struct metrics_sort_key *a, struct metrics_sort_key *tmp, size_t n)
{
	static const size_t nbytes = sizeof a->key;
	size_t count[sizeof a->key][256];
	struct metrics_sort_key *src = a, *dst = tmp, *swap;

	memset(count, 0, sizeof count);
	for (size_t i = 0; i < n; i++)
		for (size_t b = 0; b < nbytes; b++)
			count[b][(a[i].key >> (8 * b)) & 0xff]++;
	for (size_t b = 0; b < nbytes; b++) {
		size_t *c = count[b], pos = 0;

		if (c[(a[0].key >> (8 * b)) & 0xff] == n)
			continue;
		for (size_t v = 0; v < 256; v++) {
			size_t k = c[v];
			c[v] = pos;
			pos += k;
		}
		for (size_t i = 0; i < n; i++)
			dst[c[(src[i].key >> (8 * b)) & 0xff]++] = src[i];
		swap = src;
		src = dst;
		dst = swap;
	}
	if (src != a)
		memcpy(a, src, n * sizeof *a);
}

static int metrics_sort_key_cmp(const void *a, const void *b)
{
	const struct metrics_sort_key *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return strcmp(x->rest, y->rest);
}

/* Orders each run of equal keys by the rest of the string: runs are short
 * (often a pair, e.g. the two links of one circuit), so insertion sort,
 * with qsort for the odd long run. */
#define METRICS_SHORT_RUN 16

static void metrics_sort_ties(struct metrics_sort_key *k, size_t n)
{
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && k[j].key == k[i].key;)
			j++;
		if (j - i > METRICS_SHORT_RUN) {
			qsort(&k[i], j - i, sizeof *k, metrics_sort_key_cmp);
			continue;
		}
		for (size_t a = i + 1; a < j; a++) {
			struct metrics_sort_key x = k[a];
			size_t b = a;
			for (; b > i && strcmp(k[b - 1].rest, x.rest) > 0; b--)
				k[b] = k[b - 1];
			k[b] = x;
		}
	}
}

static void metrics_snap_sort_keyed(struct metrics_snap_series *ser, size_t n,
				    const struct metrics_sort_scratch *sc)
{
	size_t lcp = metrics_common_prefix(ser, n);

	for (size_t i = 0; i < n; i++)
		sc->keys[i] = metrics_sort_key_of(ser[i].labels, lcp, i);
	metrics_radix_sort(sc->keys, sc->keys_tmp, n);
	metrics_sort_ties(sc->keys, n);
	for (size_t i = 0; i < n; i++)
		sc->series_tmp[i] = ser[sc->keys[i].idx];
	memcpy(ser, sc->series_tmp, n * sizeof *ser);
}

static bool metrics_snap_is_sorted(const struct metrics_snap_series *ser, size_t n)
{
	for (size_t j = 1; j < n; j++)
		if (strcmp(ser[j - 1].labels, ser[j].labels) > 0)
			return false;
	return true;
}

static int metrics_snap_series_cmp(const void *a, const void *b)
{
	const struct metrics_snap_series *x = a, *y = b;

	return strcmp(x->labels, y->labels);
}

/* Sorts each family's series by label string, outside the lock. Series
 * created in label order stay sorted, so check before sorting. */
static void metrics_snap_sort(struct metrics_snapshot *snap)
{
	struct metrics_snap_family *fams = (struct metrics_snap_family *)(snap + 1);
	struct metrics_snap_series *ser = (struct metrics_snap_series *)(fams + snap->nfamilies);
	struct metrics_sort_scratch sc = { NULL, NULL, NULL };
	size_t most = 0;

	for (size_t i = 0; i < snap->nfamilies; i++)
		most = fams[i].nseries > most ? fams[i].nseries : most;
	if (most > 1) {
		sc.keys = malloc(most * sizeof *sc.keys);
		sc.keys_tmp = malloc(most * sizeof *sc.keys_tmp);
		sc.series_tmp = malloc(most * sizeof *sc.series_tmp);
	}
	for (size_t i = 0; i < snap->nfamilies; i++) {
		size_t n = fams[i].nseries;
		if (!metrics_snap_is_sorted(ser, n)) {
			if (sc.keys && sc.keys_tmp && sc.series_tmp)
				metrics_snap_sort_keyed(ser, n, &sc);
			else /* no memory for scratch: slower, still right */
				qsort(ser, n, sizeof *ser, metrics_snap_series_cmp);
		}
		ser += n;
	}
	free(sc.keys);
	free(sc.keys_tmp);
	free(sc.series_tmp);
}

struct metrics_snapshot *metrics_snapshot_take(struct metrics_registry *reg)
{
	struct metrics_snapshot *snap = NULL, *bigger;
	struct metrics_snap_need need, have;

	if (!reg)
		return NULL;
	/* Size and allocate outside the lock, with slack for concurrent
	 * growth; only if the registry outgrew it do we realloc under it. */
	pthread_mutex_lock(&reg->lock);
	need = metrics_snap_need_locked(reg);
	pthread_mutex_unlock(&reg->lock);
	have = (struct metrics_snap_need){ need.nfams + 8, need.nseries + need.nseries / 16 + 64,
					   need.nslots + need.nslots / 16 + 1024 };
	snap = malloc(metrics_snap_bytes(&have));
	if (!snap)
		return NULL;
	/* Fault the pages in now rather than while holding the lock. */
	memset(snap, 0, metrics_snap_bytes(&have));
	pthread_mutex_lock(&reg->lock);
	need = metrics_snap_need_locked(reg);
	if (need.nfams > have.nfams || need.nseries > have.nseries || need.nslots > have.nslots) {
		bigger = realloc(snap, metrics_snap_bytes(&need));
		if (!bigger)
			goto fail;
		snap = bigger;
	}
	metrics_snap_fill_locked(reg, snap);
	reg->outstanding++;
	pthread_mutex_unlock(&reg->lock);
	metrics_snap_sort(snap);
	return snap;
fail:
	pthread_mutex_unlock(&reg->lock);
	free(snap);
	return NULL;
}

void metrics_snapshot_free(struct metrics_registry *reg, struct metrics_snapshot *snap)
{
	struct metrics_series *ds = NULL;
	struct metrics_family *df = NULL;

	if (!snap)
		return;
	free(snap);
	if (!reg)
		return;
	pthread_mutex_lock(&reg->lock);
	if (reg->outstanding > 0)
		reg->outstanding--;
	if (reg->outstanding == 0) {
		ds = reg->dead_series;
		df = reg->dead_fams;
		reg->dead_series = NULL;
		reg->dead_fams = NULL;
	}
	pthread_mutex_unlock(&reg->lock);
	metrics_dead_free(ds, df);
}
