/* metrics_group.c — series sets swept between publishing rounds.
 *
 * A publisher re-adds the same series round after round (100,000 of them
 * a second at scale), so the group remembers its members by a hash of the
 * label values as the publisher passes them: a member is found again
 * without rendering, validating or hashing its label string and without
 * the registry lock (metrics_labels_hash, metrics_series_has_labels); only
 * a series new to the group goes through metrics_series_get. Each member
 * carries the round it was last added in, so the sweep is one pass over
 * the members, with no sorting.
 *
 * Memory: a member is 16 bytes (the series, 32 bits of the hash, the
 * round; the family is the series'), the member array is trimmed to within
 * an eighth of its size at each sweep, and the index is at most 3/4 full,
 * so a series costs the group about 24 bytes, not the 40 to 80 of a wider
 * member with doubling slack and a half-empty index. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "metrics_priv.h" /* a series' family */

#define GROUP_MIN_SLOTS 64

struct member {
	struct metrics_series *s; /* its family is the one it was added with */
	uint32_t hash;           /* metrics_labels_hash of what the publisher
	                          * passed, low 32 bits (the index's too) */
	uint32_t round;          /* the last round that added it */
};


struct metrics_group {
	struct member *v;        /* the members, dense */
	size_t n, cap;
	uint32_t *slots;         /* open addressing over v: index + 1, 0 = empty */
	size_t nslots;           /* a power of two, at most 3/4 full */
	size_t next;             /* the member after the last one found: a
	                          * publisher adds in the same order each round,
	                          * so it is tried first (sequential, no probe) */
	uint32_t round;
	bool failed;             /* an add ran out of memory in this round */
};

struct metrics_group *metrics_group_new(void)
{
	return calloc(1, sizeof(struct metrics_group));
}

void metrics_group_free(struct metrics_group *g)
{
	if (g == NULL)
		return;
	free(g->v);
	free(g->slots);
	free(g);
}

static void slots_fill(struct metrics_group *g)
{
	size_t mask = g->nslots - 1;

	for (size_t i = 0; i < g->nslots; i++)
		g->slots[i] = 0;
	for (size_t k = 0; k < g->n; k++) {
		size_t i = (size_t)g->v[k].hash & mask;

		while (g->slots[i] != 0)
			i = (i + 1) & mask;
		g->slots[i] = (uint32_t)(k + 1);
	}
}

/* Index for n members: at least 4/3 n slots. */
static int slots_resize(struct metrics_group *g, size_t n)
{
	size_t want = GROUP_MIN_SLOTS;
	uint32_t *slots;

	while (want * 3 < 4 * n)
		want *= 2;
	if (want == g->nslots)
		return 0;
	slots = malloc(want * sizeof(*slots));
	if (slots == NULL)
		return want > g->nslots ? -1 : 0; /* not shrinking is no failure */
	free(g->slots);
	g->slots = slots;
	g->nslots = want;
	slots_fill(g);
	return 0;
}

static int member_add(struct metrics_group *g, uint32_t h, struct metrics_series *s)
{
	if (g->n >= UINT32_MAX - 1 || slots_resize(g, g->n + 1) != 0)
		return -1;
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : GROUP_MIN_SLOTS;
		struct member *v = realloc(g->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		g->v = v;
		g->cap = cap;
	}
	g->v[g->n] = (struct member){s, h, g->round};
	g->n++;
	for (size_t i = (size_t)h & (g->nslots - 1);; i = (i + 1) & (g->nslots - 1)) {
		if (g->slots[i] == 0) {
			g->slots[i] = (uint32_t)g->n;
			return 0;
		}
	}
}

/* metrics_series_has_labels checks the family too */
static bool member_is(const struct member *m, uint32_t h, const struct metrics_family *fam,
		      const char *const *values)
{
	return m->hash == h && metrics_series_has_labels(m->s, fam, values);
}

static struct member *member_find(struct metrics_group *g, uint32_t h,
				  const struct metrics_family *fam, const char *const *values)
{
	if (g->next < g->n && member_is(&g->v[g->next], h, fam, values))
		return &g->v[g->next++];
	if (g->nslots == 0)
		return NULL;
	for (size_t i = (size_t)h & (g->nslots - 1); g->slots[i] != 0;
	     i = (i + 1) & (g->nslots - 1)) {
		struct member *m = &g->v[g->slots[i] - 1];

		if (member_is(m, h, fam, values)) {
			g->next = g->slots[i];
			return m;
		}
	}
	return NULL;
}

struct metrics_series *metrics_group_series(struct metrics_group *g, struct metrics_family *fam,
					    const char *const *label_values)
{
	uint32_t h = (uint32_t)metrics_labels_hash(fam, label_values);
	struct member *m = member_find(g, h, fam, label_values);
	struct metrics_series *s;

	if (m != NULL) {
		m->round = g->round;
		return m->s;
	}
	s = metrics_series_get(fam, label_values);
	if (s != NULL && member_add(g, h, s) != 0)
		g->failed = true;
	return s;
}

/* Gives back the member array's slack beyond an eighth (doubling while a
 * round adds leaves up to half of it unused; many going, a router's
 * peers, leaves more). */
static void members_trim(struct metrics_group *g)
{
	size_t cap = g->n + g->n / 8;
	struct member *v;

	if (cap < GROUP_MIN_SLOTS)
		cap = GROUP_MIN_SLOTS;
	if (g->cap <= cap + cap / 8)
		return;
	v = realloc(g->v, cap * sizeof(*v));
	if (v != NULL) {
		g->v = v;
		g->cap = cap;
	}
}

/* Drops the members not added in this round from the registry and from
 * the group; returns how many. */
static int sweep_members(struct metrics_group *g)
{
	size_t keep = 0;
	int removed = 0;

	for (size_t k = 0; k < g->n; k++) {
		if (g->v[k].round == g->round) {
			g->v[keep++] = g->v[k];
			continue;
		}
		metrics_series_remove(g->v[k].s->fam, g->v[k].s);
		removed++;
	}
	g->n = keep;
	members_trim(g);
	if (removed == 0)
		return 0;
	if (slots_resize(g, keep) == 0 && g->nslots > 0)
		slots_fill(g); /* resizing refills; refilling again is cheap */
	return removed;
}

int metrics_group_sweep(struct metrics_group *g)
{
	int removed = -1;

	/* out of memory while adding: keep both rounds' series, remove
	 * nothing (a member of either round is swept when a later round
	 * passes it over) */
	if (!g->failed)
		removed = sweep_members(g);
	g->failed = false;
	g->round++;
	g->next = 0;
	return removed;
}
