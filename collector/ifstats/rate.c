/* rate.c — interface counter history and rates (see rate.h for the rules). */
#include "rate.h"

#include <stdlib.h>
#include <string.h>
#include <uthash.h>

struct peak_slot {
	uint64_t t_ns;            /* end of the interval */
	struct ifstats_rate r;
};

struct entry {
	char name[IFSTATS_NAME_MAX];
	UT_hash_handle hh;
	uint64_t mark;            /* set_watch generation that listed it */
	size_t idx;               /* position in the watch order */
	bool present, ever_seen, seen_this_pass, has_rate, has_base;
	struct ifstats_sample last;  /* newest sample: what is mirrored */
	struct ifstats_sample base;  /* the sample rates are measured from */
	uint64_t base_ns;
	struct ifstats_rate rate;
	size_t npeaks;            /* oldest first */
	struct peak_slot peaks[IFSTATS_PEAK_SLOTS];
	uint64_t resets, appearances, disappearances;
};

struct ifstats_rates {
	struct entry *by_name;    /* uthash */
	struct entry **v;         /* in watch order */
	size_t n;
	uint64_t gen;
	uint64_t window_ns;       /* peak window */
};

struct ifstats_rates *ifstats_rates_new(void)
{
	struct ifstats_rates *r = calloc(1, sizeof(*r));

	if (r != NULL)
		r->window_ns = IFSTATS_PEAK_WINDOW_NS;
	return r;
}

void ifstats_rates_set_peak_window(struct ifstats_rates *r, uint64_t window_ns)
{
	r->window_ns = window_ns ? window_ns : IFSTATS_PEAK_WINDOW_NS;
}

void ifstats_rates_free(struct ifstats_rates *r)
{
	struct entry *e, *tmp;

	if (r == NULL)
		return;
	HASH_ITER(hh, r->by_name, e, tmp) {
		HASH_DEL(r->by_name, e);
		free(e);
	}
	free(r->v);
	free(r);
}

static bool name_ok(const char *name)
{
	return name != NULL && name[0] != '\0' && strnlen(name, IFSTATS_NAME_MAX) < IFSTATS_NAME_MAX;
}

static void free_fresh(struct entry **fresh)
{
	struct entry *e, *tmp;

	HASH_ITER(hh, *fresh, e, tmp) {
		HASH_DEL(*fresh, e);
		free(e);
	}
}

/* Two steps so that a failure leaves the table as it was: first allocate
 * every new entry aside (in `fresh`), then commit. */
int ifstats_rates_set_watch(struct ifstats_rates *r, const char *const *names, size_t n)
{
	struct entry *fresh = NULL, *e, *tmp, **v;
	size_t nv = 0;

	if (n > IFSTATS_MAX_WATCHED)
		return -1;
	v = calloc(n ? n : 1, sizeof(*v));
	if (v == NULL)
		return -1;
	r->gen++;
	for (size_t i = 0; i < n; i++) {
		if (!name_ok(names[i]))
			continue;
		HASH_FIND_STR(r->by_name, names[i], e);
		if (e != NULL) {
			if (e->mark != r->gen)
				v[nv++] = e;
			e->mark = r->gen;
			continue;
		}
		HASH_FIND_STR(fresh, names[i], e);
		if (e != NULL)
			continue;
		if ((e = calloc(1, sizeof(*e))) == NULL) {
			free_fresh(&fresh);
			free(v);
			return -1;
		}
		memcpy(e->name, names[i], strlen(names[i]) + 1);
		e->mark = r->gen;
		HASH_ADD_STR(fresh, name, e);
		v[nv++] = e;
	}
	HASH_ITER(hh, r->by_name, e, tmp) {
		if (e->mark != r->gen) {
			HASH_DEL(r->by_name, e);
			free(e);
		}
	}
	HASH_ITER(hh, fresh, e, tmp) {
		HASH_DEL(fresh, e);
		HASH_ADD_STR(r->by_name, name, e);
	}
	for (size_t i = 0; i < nv; i++)
		v[i]->idx = i;
	free(r->v);
	r->v = v;
	r->n = nv;
	return 0;
}

static struct entry *find(const struct ifstats_rates *r, const char *name)
{
	struct entry *e = NULL;

	if (name_ok(name))
		HASH_FIND_STR(r->by_name, name, e);
	return e;
}

bool ifstats_rates_watched(const struct ifstats_rates *r, const char *name)
{
	return find(r, name) != NULL;
}

long ifstats_rates_find(const struct ifstats_rates *r, const char *name)
{
	const struct entry *e = find(r, name);

	return e != NULL ? (long)e->idx : -1;
}

void ifstats_rates_pass_begin(struct ifstats_rates *r)
{
	for (size_t i = 0; i < r->n; i++)
		r->v[i]->seen_this_pass = false;
}

/* The increase of a mirrored counter from old to now. Returns 0 and sets
 * *delta, or -1 for a reset (see rate.h: a decrease is a 64-bit wrap only
 * when the modular difference is small enough to be traffic). */
static int counter_delta(uint64_t old, uint64_t now, uint64_t *delta)
{
	*delta = now - old; /* modular: exact for an increase and for a wrap */
	if (now >= old)
		return 0;
	return *delta <= IFSTATS_WRAP_MAX_DELTA ? 0 : -1;
}

/* Deltas of every counter from base to s; -1 when any of them was reset. */
static int deltas(const struct ifstats_counters *base, const struct ifstats_counters *s,
		  uint64_t bytes[IFSTATS_NDIRS], uint64_t packets[IFSTATS_NDIRS])
{
	uint64_t ignored;
	int rc = 0;

	for (int d = 0; d < IFSTATS_NDIRS; d++) {
		rc |= counter_delta(base->bytes[d], s->bytes[d], &bytes[d]);
		rc |= counter_delta(base->packets[d], s->packets[d], &packets[d]);
		rc |= counter_delta(base->errors[d], s->errors[d], &ignored);
		rc |= counter_delta(base->dropped[d], s->dropped[d], &ignored);
	}
	return rc;
}

static bool went_back(const struct ifstats_counters *old, const struct ifstats_counters *now)
{
	uint64_t bytes[IFSTATS_NDIRS], packets[IFSTATS_NDIRS];

	return deltas(old, now, bytes, packets) != 0;
}

/* Drops the slots that left the window; when the ring is still full,
 * folds the oldest into the next by max so no burst is lost. */
static void peak_push(struct entry *e, uint64_t window_ns, uint64_t now_ns,
		      const struct ifstats_rate *rt)
{
	size_t keep = 0;

	for (size_t i = 0; i < e->npeaks; i++)
		if (e->peaks[i].t_ns + window_ns > now_ns)
			e->peaks[keep++] = e->peaks[i];
	e->npeaks = keep;
	if (e->npeaks == IFSTATS_PEAK_SLOTS) {
		struct ifstats_rate *a = &e->peaks[0].r, *b = &e->peaks[1].r;

		for (int d = 0; d < IFSTATS_NDIRS; d++) {
			b->bytes[d] = a->bytes[d] > b->bytes[d] ? a->bytes[d] : b->bytes[d];
			b->packets[d] = a->packets[d] > b->packets[d] ? a->packets[d] : b->packets[d];
		}
		memmove(&e->peaks[0], &e->peaks[1], (IFSTATS_PEAK_SLOTS - 1) * sizeof(e->peaks[0]));
		e->npeaks--;
	}
	e->peaks[e->npeaks].t_ns = now_ns;
	e->peaks[e->npeaks].r = *rt;
	e->npeaks++;
}

static void rebase(struct entry *e, const struct ifstats_sample *s, uint64_t now_ns)
{
	e->base = *s;
	e->base_ns = now_ns;
	e->has_base = s->has_stats;
	e->has_rate = false;
}

/* A sample of an interface that was present in the previous pass with the
 * same ifindex: a rate, a reset, or (too close to the base) nothing new. */
static void continue_rate(struct entry *e, uint64_t window_ns, const struct ifstats_sample *s,
			  uint64_t now_ns)
{
	uint64_t bytes[IFSTATS_NDIRS], packets[IFSTATS_NDIRS];
	uint64_t elapsed = now_ns > e->base_ns ? now_ns - e->base_ns : 0;

	if (!e->has_base || !s->has_stats) {
		rebase(e, s, now_ns);
		return;
	}
	if (deltas(&e->base.c, &s->c, bytes, packets) != 0) {
		e->resets++;
		rebase(e, s, now_ns);
		return;
	}
	if (elapsed < IFSTATS_MIN_ELAPSED_NS)
		return; /* keep the older base: the next interval is long enough */
	double secs = (double)elapsed / 1e9;

	for (int d = 0; d < IFSTATS_NDIRS; d++) {
		e->rate.bytes[d] = (double)bytes[d] / secs;
		e->rate.packets[d] = (double)packets[d] / secs;
	}
	e->has_rate = true;
	e->base = *s;
	e->base_ns = now_ns;
	peak_push(e, window_ns, now_ns, &e->rate);
}

int ifstats_rates_sample(struct ifstats_rates *r, const struct ifstats_sample *s, uint64_t now_ns)
{
	struct entry *e = find(r, s->name);

	if (e == NULL || e->seen_this_pass)
		return -1;
	e->seen_this_pass = true;
	if (e->present && e->last.ifindex != s->ifindex) {
		/* re-created between two passes: the old one went, a new one came */
		e->disappearances++;
		e->present = false;
	}
	if (!e->present) {
		e->appearances++;
		if (e->ever_seen && (e->last.ifindex != s->ifindex ||
				     (e->last.has_stats && s->has_stats && went_back(&e->last.c, &s->c))))
			e->resets++;
		rebase(e, s, now_ns);
	} else {
		continue_rate(e, r->window_ns, s, now_ns);
	}
	e->last = *s;
	e->present = true;
	e->ever_seen = true;
	return 0;
}

void ifstats_rates_pass_end(struct ifstats_rates *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct entry *e = r->v[i];

		if (e->present && !e->seen_this_pass) {
			e->present = false;
			e->has_rate = false;
			e->disappearances++;
		}
		e->seen_this_pass = false;
	}
}

void ifstats_rates_pass_abort(struct ifstats_rates *r)
{
	ifstats_rates_pass_begin(r);
}

size_t ifstats_rates_count(const struct ifstats_rates *r)
{
	return r->n;
}

static void peak_of(const struct entry *e, uint64_t window_ns, uint64_t now_ns,
		    struct ifstats_view *out)
{
	memset(&out->peak, 0, sizeof(out->peak));
	out->has_peak = false;
	for (size_t i = 0; i < e->npeaks; i++) {
		const struct peak_slot *p = &e->peaks[i];

		if (p->t_ns > now_ns || p->t_ns + window_ns <= now_ns)
			continue;
		for (int d = 0; d < IFSTATS_NDIRS; d++) {
			if (p->r.bytes[d] > out->peak.bytes[d])
				out->peak.bytes[d] = p->r.bytes[d];
			if (p->r.packets[d] > out->peak.packets[d])
				out->peak.packets[d] = p->r.packets[d];
		}
		out->has_peak = true;
	}
}

int ifstats_rates_view(const struct ifstats_rates *r, size_t i, uint64_t now_ns,
		       struct ifstats_view *out)
{
	const struct entry *e;

	if (i >= r->n)
		return -1;
	e = r->v[i];
	memset(out, 0, sizeof(*out));
	out->name = e->name;
	out->present = e->present;
	out->ever_seen = e->ever_seen;
	out->last = &e->last;
	out->has_rate = e->present && e->has_rate;
	out->rate = e->rate;
	out->resets = e->resets;
	out->appearances = e->appearances;
	out->disappearances = e->disappearances;
	peak_of(e, r->window_ns, now_ns, out);
	return 0;
}

double ifstats_utilisation(double bytes_per_s, uint64_t bandwidth_bps)
{
	if (bandwidth_bps == 0)
		return -1;
	return bytes_per_s * 8.0 / (double)bandwidth_bps;
}

double ifstats_circuit_utilisation(double primary_bytes_per_s, double secondary_bytes_per_s,
				   uint64_t bandwidth_bps)
{
	if (bandwidth_bps == 0)
		return -1;
	return (primary_bytes_per_s + secondary_bytes_per_s) * 8.0 / (2.0 * (double)bandwidth_bps);
}

const char *ifstats_operstate_name(uint8_t operstate)
{
	static const char *const names[] = {"unknown", "notpresent", "down", "lowerlayerdown",
					    "testing", "dormant", "up"};

	return operstate < sizeof(names) / sizeof(names[0]) ? names[operstate] : "invalid";
}

bool ifstats_is_up(const struct ifstats_sample *s)
{
	/* IF_OPER_UP and IF_OPER_UNKNOWN of linux/if.h; IFF_UP 0x1, IFF_RUNNING 0x40 */
	enum { OPER_UNKNOWN = 0, OPER_UP = 6, F_UP = 0x1, F_RUNNING = 0x40 };

	if (s->operstate == OPER_UP)
		return true;
	return s->operstate == OPER_UNKNOWN && (s->flags & F_UP) && (s->flags & F_RUNNING);
}
