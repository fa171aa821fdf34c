/* metrics_snap.c — snapshots of the registry for exposition: values
 * copied under the lock into one allocation, sorted outside it; objects
 * removed meanwhile are freed with the last outstanding snapshot. */
#include "metrics_priv.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* ---- snapshots ---- */

/* A snapshot, the sort's scratch and a family's remembered order are large
 * and made on whichever thread scrapes (the first two for a moment): from
 * this size on each is an anonymous mapping of its own, returned to the
 * kernel when freed, instead of a block that would stay in that thread's
 * malloc arena (glibc raises its mmap threshold after the first large
 * free, so its heap would serve and keep the next ones). */
#define METRICS_MAP_MIN (64 * 1024)

void *metrics_big_alloc(size_t n)
{
	void *p;

	if (n < METRICS_MAP_MIN)
		return malloc(n);
	/* populated: zeroed pages in one go, not a fault per page (a snapshot
	 * is filled under the registry lock) */
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1,
		 0);
	return p == MAP_FAILED ? NULL : p;
}

void metrics_big_free(void *p, size_t n)
{
	if (p && n < METRICS_MAP_MIN)
		free(p);
	else if (p)
		munmap(p, n);
}

/* A snapshot is one allocation: the header (struct metrics_snap_whole),
 * then the family array, the series array, the histogram bucket counts,
 * and what only this file reads: per family where it came from, and per
 * series its object (to remember the order the sort found). */
struct metrics_snap_need {
	size_t nfams;
	size_t nseries;
	size_t nslots;
};

struct metrics_snap_origin {
	struct metrics_family *fam;
	uint64_t set_ver;        /* fam->set_ver when copied */
	bool ordered;            /* copied in fam->order: sorted already */
};

struct metrics_snap_whole {
	struct metrics_snapshot pub;      /* first: the caller's pointer */
	size_t bytes;                     /* of this allocation (metrics_big_free) */
	struct metrics_snap_origin *origin; /* nfamilies */
	struct metrics_series **objs;     /* per series, as pub's series */
};

/* Families whose series are fewer than this are sorted every time (it
 * costs less than the 8 bytes a series that remembering the order does). */
#define METRICS_ORDER_MIN 16

static struct metrics_snap_need metrics_snap_need_locked(const struct metrics_registry *reg)
{
	struct metrics_snap_need n = { reg->nfams, reg->nseries, reg->nbucket_slots };

	return n;
}

static size_t metrics_snap_bytes(const struct metrics_snap_need *n)
{
	return sizeof(struct metrics_snap_whole) + n->nfams * sizeof(struct metrics_snap_family) +
	       n->nseries * sizeof(struct metrics_snap_series) + n->nslots * sizeof(uint64_t) +
	       n->nfams * sizeof(struct metrics_snap_origin) +
	       n->nseries * sizeof(struct metrics_series *);
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

/* Whether fam->order holds its series as they are now. Caller holds the
 * lock. */
static bool metrics_order_valid_locked(const struct metrics_family *fam)
{
	return fam->order != NULL && fam->order_ver == fam->set_ver;
}

/* Copies fam's series into d (and their objects into o): in label order
 * when the family remembers it (independent loads, prefetched: no sort
 * later), else in hash order (a chain of dependent loads). Caller holds
 * the lock. */
static void metrics_snap_series_fill_locked(const struct metrics_family *fam,
					    struct metrics_snap_series *d,
					    struct metrics_series **o, uint64_t **slots)
{
	size_t n = HASH_COUNT(fam->series);

	if (metrics_order_valid_locked(fam)) {
		for (size_t i = 0; i < n; i++) {
			if (i + 8 < n)
				__builtin_prefetch(fam->order[i + 8]);
			o[i] = fam->order[i];
			metrics_snap_series_copy(fam, o[i], &d[i], slots);
		}
		return;
	}
	for (struct metrics_series *s = fam->series; s; s = s->hh.next) {
		*o++ = s;
		metrics_snap_series_copy(fam, s, d++, slots);
	}
}

/* Copies metadata pointers and values; caller holds the lock. */
static void metrics_snap_fill_locked(const struct metrics_registry *reg,
				     struct metrics_snap_whole *w)
{
	struct metrics_snap_family *fams = (struct metrics_snap_family *)(w + 1);
	struct metrics_snap_series *ser = (struct metrics_snap_series *)(fams + reg->nfams);
	uint64_t *slots = (uint64_t *)(ser + reg->nseries);
	struct metrics_snap_origin *origin =
		(struct metrics_snap_origin *)(slots + reg->nbucket_slots);
	struct metrics_series **objs = (struct metrics_series **)(origin + reg->nfams);

	w->pub.nfamilies = reg->nfams;
	w->pub.families = fams;
	w->origin = origin;
	w->objs = objs;
	for (size_t i = 0; i < reg->nfams; i++) {
		struct metrics_family *fam = reg->fams[i];
		struct metrics_snap_family *f = &fams[i];

		f->type = fam->type;
		f->name = fam->name;
		f->help = fam->help;
		f->unit = fam->unit;
		f->nbuckets = fam->nbuckets;
		f->bounds = fam->bounds;
		f->nseries = HASH_COUNT(fam->series);
		f->series = ser;
		f->stamp = fam->stamp;
		origin[i] = (struct metrics_snap_origin){ fam, fam->set_ver,
							  metrics_order_valid_locked(fam) };
		metrics_snap_series_fill_locked(fam, ser, objs, &slots);
		ser += f->nseries;
		objs += f->nseries;
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
	struct metrics_series **objs_tmp;
	void *block;   /* all four, one allocation */
	size_t bytes;
};

/* Scratch for sorting up to n series; all NULL when out of memory. */
static void metrics_scratch_alloc(struct metrics_sort_scratch *sc, size_t n)
{
	size_t per = 2 * sizeof *sc->keys + sizeof *sc->series_tmp + sizeof *sc->objs_tmp;
	char *p;

	sc->bytes = n * per;
	sc->block = metrics_big_alloc(sc->bytes);
	if (!(p = sc->block))
		return;
	/* the widest types first: every array stays aligned */
	sc->keys = (struct metrics_sort_key *)p;
	sc->keys_tmp = sc->keys + n;
	sc->series_tmp = (struct metrics_snap_series *)(sc->keys_tmp + n);
	sc->objs_tmp = (struct metrics_series **)(sc->series_tmp + n);
}

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

static void metrics_snap_sort_keyed(struct metrics_snap_series *ser, struct metrics_series **objs,
				    size_t n, const struct metrics_sort_scratch *sc)
{
	size_t lcp = metrics_common_prefix(ser, n);

	for (size_t i = 0; i < n; i++)
		sc->keys[i] = metrics_sort_key_of(ser[i].labels, lcp, i);
	metrics_radix_sort(sc->keys, sc->keys_tmp, n);
	metrics_sort_ties(sc->keys, n);
	for (size_t i = 0; i < n; i++) {
		sc->series_tmp[i] = ser[sc->keys[i].idx];
		sc->objs_tmp[i] = objs[sc->keys[i].idx];
	}
	memcpy(ser, sc->series_tmp, n * sizeof *ser);
	memcpy(objs, sc->objs_tmp, n * sizeof *objs);
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

/* Sorts family i's series by label string (ser and objs alike). Returns
 * whether objs are in label order now (not when scratch ran out). */
static bool metrics_snap_sort_family(struct metrics_snap_series *ser, struct metrics_series **objs,
				     size_t n, const struct metrics_sort_scratch *sc)
{
	/* Series created in label order stay sorted, so check first. */
	if (metrics_snap_is_sorted(ser, n))
		return true;
	if (sc->keys && sc->keys_tmp && sc->series_tmp && sc->objs_tmp) {
		metrics_snap_sort_keyed(ser, objs, n, sc);
		return true;
	}
	/* no memory for scratch: slower, still right */
	qsort(ser, n, sizeof *ser, metrics_snap_series_cmp);
	return false;
}

/* Remembers the order a sort found in the family (a copy of objs), unless
 * its series changed meanwhile; the next snapshot then copies in order and
 * sorts nothing. Takes the lock. */
static void metrics_order_remember(struct metrics_registry *reg,
				   const struct metrics_snap_origin *o,
				   struct metrics_series *const *objs, size_t n)
{
	struct metrics_series **order = metrics_big_alloc(n * sizeof *order);
	size_t old_n = n;

	if (!order)
		return;
	memcpy(order, objs, n * sizeof *order);
	pthread_mutex_lock(&reg->lock);
	/* a removed family is alive until the last snapshot goes, ours too */
	if (o->fam->set_ver == o->set_ver) {
		struct metrics_series **old = o->fam->order;

		old_n = o->fam->norder;
		o->fam->order = order;
		o->fam->norder = n;
		o->fam->order_ver = o->set_ver;
		order = old;
	}
	pthread_mutex_unlock(&reg->lock);
	metrics_big_free(order, old_n * sizeof *order);
}

/* Sorts each family's series by label string, outside the lock, except
 * those copied in an order their family remembered. */
static void metrics_snap_sort(struct metrics_registry *reg, struct metrics_snap_whole *w)
{
	struct metrics_snap_family *fams = (struct metrics_snap_family *)(w + 1);
	struct metrics_snap_series *ser = (struct metrics_snap_series *)(fams + w->pub.nfamilies);
	struct metrics_series **objs = w->objs;
	struct metrics_sort_scratch sc = { NULL, NULL, NULL, NULL, NULL, 0 };
	size_t most = 0;

	for (size_t i = 0; i < w->pub.nfamilies; i++)
		if (!w->origin[i].ordered && fams[i].nseries > most)
			most = fams[i].nseries;
	if (most > 1)
		metrics_scratch_alloc(&sc, most);
	for (size_t i = 0; i < w->pub.nfamilies; i++) {
		size_t n = fams[i].nseries;

		if (!w->origin[i].ordered && metrics_snap_sort_family(ser, objs, n, &sc) &&
		    n >= METRICS_ORDER_MIN)
			metrics_order_remember(reg, &w->origin[i], objs, n);
		ser += n;
		objs += n;
	}
	metrics_big_free(sc.block, sc.bytes);
}

struct metrics_snapshot *metrics_snapshot_take(struct metrics_registry *reg)
{
	struct metrics_snap_whole *snap = NULL, *bigger;
	struct metrics_snap_need need, have;
	size_t bytes;

	if (!reg)
		return NULL;
	/* Size and allocate outside the lock, with slack for concurrent
	 * growth; only if the registry outgrew it do we allocate under it. */
	pthread_mutex_lock(&reg->lock);
	need = metrics_snap_need_locked(reg);
	pthread_mutex_unlock(&reg->lock);
	have = (struct metrics_snap_need){ need.nfams + 8, need.nseries + need.nseries / 16 + 64,
					   need.nslots + need.nslots / 16 + 1024 };
	bytes = metrics_snap_bytes(&have);
	snap = metrics_big_alloc(bytes);
	if (!snap)
		return NULL;
	/* Fault the pages in now rather than while holding the lock (a
	 * mapping comes populated and zeroed). */
	if (bytes < METRICS_MAP_MIN)
		memset(snap, 0, bytes);
	pthread_mutex_lock(&reg->lock);
	need = metrics_snap_need_locked(reg);
	if (need.nfams > have.nfams || need.nseries > have.nseries || need.nslots > have.nslots) {
		/* nothing is in it yet: a fresh block will do */
		bigger = metrics_big_alloc(metrics_snap_bytes(&need));
		if (!bigger)
			goto fail;
		metrics_big_free(snap, bytes);
		snap = bigger;
		bytes = metrics_snap_bytes(&need);
		memset(snap, 0, sizeof *snap);
	}
	snap->bytes = bytes;
	metrics_snap_fill_locked(reg, snap);
	reg->outstanding++;
	pthread_mutex_unlock(&reg->lock);
	metrics_snap_sort(reg, snap);
	return &snap->pub;
fail:
	pthread_mutex_unlock(&reg->lock);
	metrics_big_free(snap, bytes);
	return NULL;
}

void metrics_snapshot_free(struct metrics_registry *reg, struct metrics_snapshot *snap)
{
	struct metrics_snap_whole *w = (struct metrics_snap_whole *)snap;
	struct metrics_series *ds = NULL;
	struct metrics_family *df = NULL;

	if (!snap)
		return;
	metrics_big_free(w, w->bytes);
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
