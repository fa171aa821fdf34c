/* metrics.h — the metrics registry: counter, gauge, histogram and info
 * families with label sets, safe to update from the loop thread while the
 * HTTP thread takes snapshots.
 *
 * Ownership: the registry owns every family and series it hands out. A
 * series pointer stays valid until metrics_series_remove() or
 * metrics_family_remove() on it (or its family), or metrics_registry_free().
 *
 * Threads: every function may be called from any thread. Updates and
 * snapshots never tear a value (a histogram's buckets, sum and count are
 * always consistent with each other) and hold the registry lock only for
 * the time of a copy: a snapshot copies values under the lock and formats
 * nothing there; strings referenced by a snapshot stay alive until
 * metrics_snapshot_free() even if their series is removed meanwhile.
 */
#ifndef CW_METRICS_H
#define CW_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hard caps against unbounded growth from remote input. */
#define METRICS_MAX_LABELS 16                /* label names per family */
#define METRICS_MAX_BUCKETS 64               /* histogram buckets (without +Inf) */
#define METRICS_MAX_SERIES_PER_FAMILY 200000 /* series per family */
#define METRICS_MAX_LABEL_VALUE 1024         /* bytes per label value */

enum metrics_type {
	METRICS_COUNTER,   /* name must end in _total */
	METRICS_GAUGE,
	METRICS_HISTOGRAM,
	METRICS_INFO,      /* name must end in _info; value is always 1 */
};

struct metrics_registry;
struct metrics_family;
struct metrics_series;

/* Returns a new empty registry, owned by the caller (free with
 * metrics_registry_free), or NULL on allocation failure. */
struct metrics_registry *metrics_registry_new(void);
void metrics_registry_free(struct metrics_registry *reg); /* takes NULL */

struct metrics_family_def {
	enum metrics_type type;
	const char *name;               /* [a-zA-Z_:][a-zA-Z0-9_:]*, suffix rules above */
	const char *help;               /* any UTF-8; escaped on output; NULL or
	                                 * "" for none (no HELP line) */
	const char *unit;               /* optional, e.g. "seconds"; NULL or "" for
	                                 * none. When set the name must end in
	                                 * "_<unit>" (counters: "_<unit>_total")
	                                 * as OpenMetrics requires; info families
	                                 * take no unit. */
	size_t nlabels;
	const char *const *label_names; /* no "le" (reserved), no "__" prefix */
	size_t nbuckets;                /* histograms only: upper bounds, strictly */
	const double *buckets;          /* increasing, finite; +Inf is implicit */
};

/* Registers a family. The registry copies every string and array in def.
 * Returns the family (owned by the registry) or NULL when def is invalid
 * (bad name, suffix, unit, label names, buckets, help not UTF-8), the name
 * is already taken, or another family would expose the same OpenMetrics
 * name (counter a_total, info a_info, gauge a and histogram a all do). */
struct metrics_family *metrics_family_new(struct metrics_registry *reg,
					  const struct metrics_family_def *def)
	__attribute__((warn_unused_result));

/* Removes a family and all its series (deferred while a snapshot is out). */
void metrics_family_remove(struct metrics_registry *reg,
			   struct metrics_family *fam);

/* Returns the series with these label values (nlabels of them, in the
 * family's label order; NULL when nlabels is 0), creating it with value 0
 * when missing. Returns NULL when a value is NULL, too long, or not valid
 * UTF-8 (Prometheus would reject the whole scrape), or the family is at its
 * series cap. */
struct metrics_series *metrics_series_get(struct metrics_family *fam,
					  const char *const *label_values)
	__attribute__((warn_unused_result));

/* Removes one series (deferred while a snapshot is out). Takes NULL. */
void metrics_series_remove(struct metrics_family *fam,
			   struct metrics_series *s);

/* Updates on a series of another type are ignored, so are NULL series. */
/* Counters: v must be >= 0 (negative and NaN adds are ignored). */
void metrics_counter_add(struct metrics_series *s, double v);
/* Sets a counter to an absolute value mirrored from elsewhere (kernel
 * counters); a value lower than the current one is the caller's reset.
 * Negative and NaN values are ignored. */
void metrics_counter_set(struct metrics_series *s, double v);
void metrics_gauge_set(struct metrics_series *s, double v);
void metrics_gauge_add(struct metrics_series *s, double v);
void metrics_histogram_observe(struct metrics_series *s, double v); /* NaN ignored */
/* ---- the generation: has anything changed since? ----
 *
 * The registry counts changes: a new or removed family or series, a value
 * that really changed (setting a gauge to the value it has is no change),
 * a histogram observation. Updates of a quiet series are not counted: an
 * exporter marks its own per-scrape bookkeeping quiet so that a cached
 * exposition stays valid across scrapes. Series are not quiet by default. */
uint64_t metrics_registry_generation(struct metrics_registry *reg);
void metrics_series_set_quiet(struct metrics_series *s, bool quiet); /* takes NULL */

/* Reads the current value of a counter or gauge (tests, internal use). */
double metrics_series_value(const struct metrics_series *s);

/* ---- the series budget: a cap on series in all families together ----
 *
 * A new series beyond the budget (or its family's cap) is refused:
 * metrics_series_get() returns NULL and the refusal is counted. Existing
 * series are never dropped to make room; lowering the budget below the
 * series alive refuses new ones until enough go away. */
struct metrics_refusals {
	uint64_t family_cap; /* refused at METRICS_MAX_SERIES_PER_FAMILY */
	uint64_t budget;     /* refused at the registry's budget */
};

/* max 0: no budget (the default). */
void metrics_registry_set_max_series(struct metrics_registry *reg, size_t max);
/* Live series in all families. */
size_t metrics_registry_series(struct metrics_registry *reg);
/* Refusals since the registry was made (attempts: a publisher that retries
 * a refused series every round counts each time). */
struct metrics_refusals metrics_registry_refusals(struct metrics_registry *reg);

/* ---- snapshots: a read-only copy for exposition ---- */

struct metrics_snap_series {
	const char *labels;        /* rendered label pairs without braces,
	                            * e.g. `a="x",b="y\n"`, escaped per the text
	                            * format; "" when the family has no labels */
	double value;              /* counter, gauge (info: 1) */
	const uint64_t *buckets;   /* histogram: cumulative count per bucket,
	                            * nbuckets entries (the +Inf bucket is count) */
	double sum;                /* histogram */
	uint64_t count;            /* histogram */
};

struct metrics_snap_family {
	enum metrics_type type;
	const char *name;
	const char *help;          /* raw, unescaped; "" when none */
	const char *unit;          /* NULL when none */
	size_t nbuckets;
	const double *bounds;      /* nbuckets upper bounds */
	size_t nseries;
	const struct metrics_snap_series *series; /* sorted by labels */
	uint64_t stamp;            /* changes whenever anything of the family
	                            * does (a series added or removed, a value,
	                            * quiet series too) and is never reused: two
	                            * snapshots' families of one name and stamp
	                            * have the same content (an exporter may
	                            * reuse what it rendered of it) */
};

struct metrics_snapshot {
	size_t nfamilies;
	const struct metrics_snap_family *families; /* sorted by name */
};

/* Takes a consistent snapshot. Returns it (owned by the caller, release with
 * metrics_snapshot_free before metrics_registry_free) or NULL on allocation
 * failure. Objects removed while any snapshot is out are freed when the
 * count of outstanding snapshots drops to zero. */
struct metrics_snapshot *metrics_snapshot_take(struct metrics_registry *reg)
	__attribute__((warn_unused_result));
void metrics_snapshot_free(struct metrics_registry *reg,
			   struct metrics_snapshot *snap); /* takes NULL */

/* ---- groups: publish a whole set of series, drop what went away ----
 *
 * A publisher that rebuilds its series from its own state (the configured
 * circuits, the BGP peers) adds every series of a round to a group and
 * then sweeps: series of the previous round that were not added again
 * are removed. New series are created before old ones go, so a scrape in
 * between never sees a series vanish and come back. Ownership: the
 * caller owns the group; the series stay the registry's. */
struct metrics_group;

struct metrics_group *metrics_group_new(void);
void metrics_group_free(struct metrics_group *g); /* takes NULL; removes nothing */
/* metrics_series_get() plus membership in this round; NULL as there. */
struct metrics_series *metrics_group_series(struct metrics_group *g,
					    struct metrics_family *fam,
					    const char *const *label_values)
	__attribute__((warn_unused_result));
/* Ends the round: removes the previous round's series not added in this
 * one. Returns the number removed, or -1 when memory ran out while adding
 * (then nothing is removed, so nothing published is lost). */
int metrics_group_sweep(struct metrics_group *g);

/* For metrics_group.c: a hash of fam and the label values as given (not
 * rendered, not checked), and whether series s of fam has exactly these
 * values. Neither takes the lock: a series' labels never change. */
uint64_t metrics_labels_hash(const struct metrics_family *fam, const char *const *values);
bool metrics_series_has_labels(const struct metrics_series *s, const struct metrics_family *fam,
			       const char *const *values);

#endif
