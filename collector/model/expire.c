/* expire.c — giving memory back: the incremental release of the routes of
 * peers that went down (model_gc), and the release of the peers of BMP
 * routers gone for longer than bmp.peer_retention (model_expire). */
#include <stdio.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "model_priv.h"

static double clock_now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double mono_now(void)
{
	return clock_now(CLOCK_MONOTONIC);
}

/* This thread's CPU time: on a loaded machine a wall-clock bound would cut
 * a batch short for time the scheduler gave others, not for its cost. */
static double cpu_now(void)
{
	return clock_now(CLOCK_THREAD_CPUTIME_ID);
}

/* Gives malloc's free pages back to the system: the attribute sets, small
 * tables, peers and series a release frees live in its heap (big tables do
 * not: rib.c maps them on their own and returns them as they go). glibc
 * walks the free chunks of every arena and madvises each one of a page or
 * more, so the cost grows with what was freed since the last trim (and
 * with the holes: 1-1.5 ms after 82,000 peers went). Hence a trim every
 * MODEL_TRIM_SETS sets or MODEL_TRIM_BYTES of the RIB freed, not once at
 * the end: 1.6 ms of CPU for a full table's 50,000 sets (bench_rib); for
 * the 2 M routes of 82,000 small tables (bench_expire) 8-10 ms with the
 * sets trigger alone, 3.3-4.7 ms with the bytes one. */
static void trim(struct model *m)
{
	m->trim = false;
	m->trim_sets = rib_attrs_count(m->rib);
	m->trim_mem = rib_memory(m->rib);
#ifdef __GLIBC__
	(void)malloc_trim(0);
#endif
}

/* Whether the RIB freed enough since the last trim to give it back now:
 * the high-water marks since then follow the RIB as it grows again. */
static bool trim_due(struct model *m)
{
	size_t sets = rib_attrs_count(m->rib), mem = rib_memory(m->rib);

	if (sets > m->trim_sets)
		m->trim_sets = sets;
	if (mem > m->trim_mem)
		m->trim_mem = mem;
	return m->trim_sets - sets >= MODEL_TRIM_SETS || m->trim_mem - mem >= MODEL_TRIM_BYTES;
}

/* One step on the loop: slices of MODEL_GC_BUDGET slots until
 * MODEL_GC_STEP_S has passed (a slice costs well under a millisecond), so
 * a step stays near MODEL_GC_STEP_S on any machine and a full table is
 * released in 22-33 ticks of 100 ms. A trim is a step of its own: every
 * MODEL_TRIM_SETS attribute sets or MODEL_TRIM_BYTES freed (so that its
 * cost does not grow with the release), and once when everything pending
 * is released. */
size_t model_gc(struct model *m)
{
	size_t left;
	double t0;

	if (trim_due(m) || (m->trim && (left = rib_gc(m->rib, 0)) == 0)) {
		trim(m);
		return rib_gc(m->rib, 0);
	}
	t0 = mono_now();
	do
		left = rib_gc(m->rib, MODEL_GC_BUDGET);
	while (left > 0 && mono_now() - t0 < MODEL_GC_STEP_S);
	if (left > 0)
		m->trim = true;
	return left;
}

/* Whether a peer is kept for a router that went away: a configured
 * neighbour's series stay (session_up 0 is what alerts look for). */
static bool peer_kept_when_gone(const struct model_peer *p)
{
	return p->circuit != NULL;
}

/* The series the next publish's sweep removes when p goes (publish.c's
 * publish_peer: seven, two per view seen, one per notification, error
 * and statistic; none when only configured neighbours are published). */
static size_t peer_series(const struct model *m, const struct model_peer *p)
{
	size_t n = 7 + p->nnotifs + p->nerrors + p->nstats;

	if (m->policy[p->router->source].publish_configured_only)
		return 0;
	for (int v = 0; v < MODEL_VIEW_COUNT; v++)
		for (int a = 0; a < MODEL_AF_COUNT; a++)
			n += p->seen[v][a] ? 2 : 0;
	return n;
}

/* The route stream hears that p goes (its views went when it went down). */
static void stream_released(struct model *m, struct model_peer *p)
{
	const struct stream_sink *s = model_stream(m);

	if (s != NULL)
		model_stream_mark(m, s, p, STREAM_MARK_RELEASED, NULL);
}

/* Releases peers of r that are no configured neighbour while *budget
 * lasts (each costs one plus its series) and this thread has not spent
 * MODEL_GC_STEP_S of CPU since t0 (looked at every 64 peers): a safety
 * net, as freeing 4,000 peers takes 0.5-0.9 ms. Returns how many went. */
static size_t release_gone_peers(struct model *m, struct model_router *r, size_t *budget,
				 double t0)
{
	struct model_peer *p, *tmp;
	size_t n = 0, cost;

	HASH_ITER(hh, r->peers, p, tmp) {
		if (*budget == 0)
			break;
		if (peer_kept_when_gone(p))
			continue;
		cost = 1 + peer_series(m, p);
		stream_released(m, p);
		HASH_DEL(r->peers, p);
		r->npeers--;
		model_peer_free(m, p);
		m->trim = true;
		n++;
		*budget = cost < *budget ? *budget - cost : 0;
		if (n % 64 == 0 && cpu_now() - t0 >= MODEL_GC_STEP_S)
			*budget = 0;
	}
	return n;
}

static void log_released(struct model *m, const struct model_router *r, size_t n)
{
	char count[24];

	if (n == 0 || m->log == NULL)
		return;
	snprintf(count, sizeof(count), "%zu", n);
	log_info(m->log, "released the peers of a gone router that are no configured "
		 "neighbour (bmp.peer_retention)", "router", r->address, "peers", count);
}

/* A mass release is bounded per call (MODEL_EXPIRE_SERIES, MODEL_GC_STEP_S):
 * the peers are freed here, and their series by the sweep of the next
 * model_publish(), where each is a registry-locked hash delete and free
 * (about 0.1 us in bench_expire; that sweep also refills the group's index,
 * O(every series), whatever it removes). 20 routers of 4,096 peers of 11
 * series at once cost 12-20 ms here and 104-133 ms in that publish; 50,000
 * series' worth (about 4,100 such peers) costs under 2 ms here and about
 * 5 ms there. What is left of a router goes at the next calls, once a
 * second in the daemon. */
size_t model_expire(struct model *m, double now)
{
	size_t released = 0, budget = MODEL_EXPIRE_SERIES;
	double t0 = cpu_now();

	for (size_t i = 0; i < m->nrouters; i++) {
		struct model_router *r = m->routers[i];
		size_t n;

		if (!model_router_is_bmp(r) || r->connected) {
			r->gone = false;
			continue;
		}
		if (!r->gone) {
			r->gone = true;
			r->gone_since = now;
		}
		if (now - r->gone_since < m->policy[r->source].peer_retention_s || budget == 0)
			continue;
		n = release_gone_peers(m, r, &budget, t0);
		log_released(m, r, n);
		released += n;
	}
	return released;
}
