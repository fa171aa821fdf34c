/* metrics_group.c — series sets swept between publishing rounds. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "metrics.h"

struct member {
	struct metrics_family *fam;
	struct metrics_series *s;
};

struct member_set {
	struct member *v;
	size_t n, cap;
};

struct metrics_group {
	struct member_set prev, cur;
	bool failed; /* an add ran out of memory in this round */
};

struct metrics_group *metrics_group_new(void)
{
	return calloc(1, sizeof(struct metrics_group));
}

void metrics_group_free(struct metrics_group *g)
{
	if (g == NULL)
		return;
	free(g->prev.v);
	free(g->cur.v);
	free(g);
}

static int set_add(struct member_set *set, struct metrics_family *fam, struct metrics_series *s)
{
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 64;
		struct member *v = realloc(set->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		set->v = v;
		set->cap = cap;
	}
	set->v[set->n++] = (struct member){fam, s};
	return 0;
}

struct metrics_series *metrics_group_series(struct metrics_group *g, struct metrics_family *fam,
					    const char *const *label_values)
{
	struct metrics_series *s = metrics_series_get(fam, label_values);

	if (s != NULL && set_add(&g->cur, fam, s) != 0)
		g->failed = true;
	return s;
}

static int cmp_member(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct member *)a)->s;
	uintptr_t y = (uintptr_t)((const struct member *)b)->s;

	return x < y ? -1 : x > y;
}

int metrics_group_sweep(struct metrics_group *g)
{
	struct member_set done;
	int removed = 0;

	if (g->failed) {
		/* keep both rounds' series: merge cur into prev, remove nothing */
		for (size_t i = 0; i < g->cur.n; i++)
			(void)set_add(&g->prev, g->cur.v[i].fam, g->cur.v[i].s);
		g->cur.n = 0;
		g->failed = false;
		return -1;
	}
	/* sorted, so that a series added twice is removed once */
	if (g->cur.n > 1)
		qsort(g->cur.v, g->cur.n, sizeof(*g->cur.v), cmp_member);
	if (g->prev.n > 1)
		qsort(g->prev.v, g->prev.n, sizeof(*g->prev.v), cmp_member);
	for (size_t i = 0; i < g->prev.n; i++) {
		if (i > 0 && g->prev.v[i].s == g->prev.v[i - 1].s)
			continue;
		if (g->cur.n == 0 || bsearch(&g->prev.v[i], g->cur.v, g->cur.n, sizeof(*g->cur.v),
					     cmp_member) == NULL) {
			metrics_series_remove(g->prev.v[i].fam, g->prev.v[i].s);
			removed++;
		}
	}
	done = g->prev;
	g->prev = g->cur;
	g->cur = done;
	g->cur.n = 0;
	return removed;
}
