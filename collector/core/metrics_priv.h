/* metrics_priv.h — private to the registry's files (metrics.c: the
 * registry, families and series; metrics_names.c: names, label sets and
 * family definitions; metrics_value.c: values and the generation;
 * metrics_snap.c: snapshots): the object layouts and what the files call in
 * one another. Everyone else uses metrics.h.
 *
 * Locking: one mutex per registry (reg->lock) guards everything mutable,
 * as metrics.c says.
 */
#ifndef CW_METRICS_PRIV_H
#define CW_METRICS_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

/* Out of memory inside uthash must not exit() the daemon: with this set a
 * failed add leaves the element out of the table with hh.tbl == NULL. */
#define HASH_NONFATAL_OOM 1
#include <uthash.h>

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
	uint64_t stamp;                  /* reg->stamp at its last change */
	uint64_t set_ver;                /* bumped when a series joins or goes */
	struct metrics_series **order;   /* its series sorted by labels, as of
	                                  * set_ver == order_ver (else stale, and
	                                  * never dereferenced); built by a
	                                  * snapshot, so the next copies in order */
	uint64_t order_ver;
	size_t norder;                   /* entries in order */
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
	uint64_t stamp;                  /* bumped on every change, quiet ones too */
};

/* Marks a change of fam's content (for metrics_snap_family.stamp), quiet
 * or not. Caller holds the lock. */
static inline void metrics_family_touch_locked(struct metrics_family *fam)
{
	fam->stamp = ++fam->reg->stamp;
}

/* metrics_names.c */
/* Length of `a="x",b="y"` for these values, or SIZE_MAX if one is bad. */
size_t metrics_labels_len(const struct metrics_family *fam, const char *const *values);
/* Writes the label set into dst (len + 1 bytes, from metrics_labels_len). */
void metrics_labels_render(const struct metrics_family *fam, const char *const *values,
			   char *dst);
/* Whether def is valid; sets the OpenMetrics metadata name length. */
bool metrics_def_ok(const struct metrics_family_def *def, size_t *meta_len);

/* metrics_snap.c */
/* A block of n bytes: malloc'd below 64 KiB (METRICS_MAP_MIN), else an anonymous
 * mapping of its own; release with metrics_big_free(p, n), the same n. */
void *metrics_big_alloc(size_t n);
void metrics_big_free(void *p, size_t n); /* takes NULL */

/* metrics.c */
/* Frees the deferred-free lists (unreachable objects; no lock). */
void metrics_dead_free(struct metrics_series *s, struct metrics_family *f);

#endif
