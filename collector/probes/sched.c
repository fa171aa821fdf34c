/* sched.c — binary min-heap of (time, id) with a position index per id
 * (see sched.h). */
#include "sched.h"

#include <stdlib.h>

#define POS_NONE UINT32_MAX

struct entry {
	double when;
	uint32_t id;
};

struct probe_sched {
	struct entry *heap;
	size_t len, cap;
	uint32_t *pos;   /* heap index of each id, POS_NONE when unscheduled */
	size_t npos;
};

struct probe_sched *probe_sched_new(void)
{
	return calloc(1, sizeof(struct probe_sched));
}

void probe_sched_free(struct probe_sched *s)
{
	if (s == NULL)
		return;
	free(s->heap);
	free(s->pos);
	free(s);
}

size_t probe_sched_len(const struct probe_sched *s)
{
	return s->len;
}

static void place(struct probe_sched *s, size_t i, struct entry e)
{
	s->heap[i] = e;
	s->pos[e.id] = (uint32_t)i;
}

/* Ties are broken by id so the order is total and tests are repeatable. */
static int before(struct entry a, struct entry b)
{
	return a.when < b.when || (a.when == b.when && a.id < b.id);
}

static void sift_up(struct probe_sched *s, size_t i)
{
	struct entry e = s->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!before(e, s->heap[p]))
			break;
		place(s, i, s->heap[p]);
		i = p;
	}
	place(s, i, e);
}

static void sift_down(struct probe_sched *s, size_t i)
{
	struct entry e = s->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct entry best = e;

		if (l < s->len && before(s->heap[l], best)) {
			m = l;
			best = s->heap[l];
		}
		if (l + 1 < s->len && before(s->heap[l + 1], best))
			m = l + 1;
		if (m == i)
			break;
		place(s, i, s->heap[m]);
		i = m;
	}
	place(s, i, e);
}

static int grow_pos(struct probe_sched *s, uint32_t id)
{
	size_t n = s->npos ? s->npos : 64;
	uint32_t *p;

	while (n <= id)
		n *= 2;
	if (n > PROBE_SCHED_MAX_IDS)
		n = PROBE_SCHED_MAX_IDS;
	if ((p = realloc(s->pos, n * sizeof(*p))) == NULL)
		return -1;
	for (size_t i = s->npos; i < n; i++)
		p[i] = POS_NONE;
	s->pos = p;
	s->npos = n;
	return 0;
}

static int grow_heap(struct probe_sched *s)
{
	size_t n = s->cap ? s->cap * 2 : 64;
	struct entry *h = realloc(s->heap, n * sizeof(*h));

	if (h == NULL)
		return -1;
	s->heap = h;
	s->cap = n;
	return 0;
}

int probe_sched_set(struct probe_sched *s, uint32_t id, double when)
{
	struct entry e = {.when = when, .id = id};

	if (id >= PROBE_SCHED_MAX_IDS || (id >= s->npos && grow_pos(s, id) != 0))
		return -1;
	if (s->pos[id] != POS_NONE) {
		size_t i = s->pos[id];
		double old = s->heap[i].when;

		s->heap[i].when = when;
		if (when < old)
			sift_up(s, i);
		else
			sift_down(s, i);
		return 0;
	}
	if (s->len == s->cap && grow_heap(s) != 0)
		return -1;
	s->heap[s->len] = e;
	s->pos[id] = (uint32_t)s->len;
	s->len++;
	sift_up(s, s->len - 1);
	return 0;
}

static void remove_at(struct probe_sched *s, size_t i)
{
	struct entry last;

	s->pos[s->heap[i].id] = POS_NONE;
	s->len--;
	if (i == s->len)
		return;
	last = s->heap[s->len];
	place(s, i, last);
	if (i > 0 && before(last, s->heap[(i - 1) / 2]))
		sift_up(s, i);
	else
		sift_down(s, i);
}

void probe_sched_remove(struct probe_sched *s, uint32_t id)
{
	if (id < s->npos && s->pos[id] != POS_NONE)
		remove_at(s, s->pos[id]);
}

int probe_sched_peek(const struct probe_sched *s, uint32_t *id, double *when)
{
	if (s->len == 0)
		return -1;
	*id = s->heap[0].id;
	*when = s->heap[0].when;
	return 0;
}

int probe_sched_pop_due(struct probe_sched *s, double now, uint32_t *id, double *when)
{
	if (s->len == 0 || s->heap[0].when > now)
		return -1;
	*id = s->heap[0].id;
	*when = s->heap[0].when;
	remove_at(s, 0);
	return 0;
}

double probe_sched_random(uint64_t *rng)
{
	uint64_t x = *rng ? *rng : 0x9e3779b97f4a7c15u;

	/* xorshift64* (Vigna 2016): fast, enough for spreading send times */
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*rng = x;
	return (double)((x * 0x2545f4914f6cdd1du) >> 11) / 9007199254740992.0; /* 2^53 */
}

double probe_sched_interval(uint32_t interval_ms, uint32_t spread_percent, uint64_t *rng)
{
	double base = interval_ms / 1000.0;
	double spread = (spread_percent > 100 ? 100 : spread_percent) / 100.0;

	if (spread == 0)
		return base;
	return base * (1.0 + spread * (2.0 * probe_sched_random(rng) - 1.0));
}
