/* expire.c — giving memory back: the incremental release of the routes of
 * peers that went down (model_gc), and the release of the peers of BMP
 * routers gone for longer than bmp.peer_retention (model_expire). */
#include <stdio.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "model_priv.h"

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Gives malloc's free pages back to the system: the attribute sets and
 * series a release frees live in its heap (the tables do not: rib.c maps
 * them on their own and returns them as they go). One pass over the free
 * lists, at a cost that grows with what was freed since the last pass:
 * 1.6 ms of CPU for a full table's 50,000 sets (bench_rib prints it). */
static void trim(struct model *m)
{
	m->trim = false;
	m->trim_sets = rib_attrs_count(m->rib);
#ifdef __GLIBC__
	(void)malloc_trim(0);
#endif
}

/* One step on the loop: slices of MODEL_GC_BUDGET slots until
 * MODEL_GC_STEP_S has passed (a slice costs well under a millisecond), so
 * a step stays near MODEL_GC_STEP_S on any machine and a full table is
 * released in 22-33 ticks of 100 ms. A trim is a step of its own:
 * every MODEL_TRIM_SETS attribute sets freed (so that its cost does not
 * grow with the table), and once when everything pending is released. */
size_t model_gc(struct model *m)
{
	size_t sets = rib_attrs_count(m->rib), left;
	double t0;

	if (sets > m->trim_sets)
		m->trim_sets = sets;
	if (m->trim_sets - sets >= MODEL_TRIM_SETS ||
	    (m->trim && (left = rib_gc(m->rib, 0)) == 0)) {
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

static void release_gone_peers(struct model *m, struct model_router *r)
{
	struct model_peer *p, *tmp;

	HASH_ITER(hh, r->peers, p, tmp) {
		if (peer_kept_when_gone(p))
			continue;
		HASH_DEL(r->peers, p);
		r->npeers--;
		model_peer_free(m, p);
		m->trim = true;
	}
}

size_t model_expire(struct model *m, double now)
{
	size_t released = 0;

	for (size_t i = 0; i < m->nrouters; i++) {
		struct model_router *r = m->routers[i];
		size_t before = r->npeers;

		if (!model_router_is_bmp(r) || r->connected) {
			r->gone = false;
			continue;
		}
		if (!r->gone) {
			r->gone = true;
			r->gone_since = now;
		}
		if (now - r->gone_since < m->policy[r->source].peer_retention_s)
			continue;
		release_gone_peers(m, r);
		if (before > r->npeers && m->log != NULL) {
			char n[24];

			snprintf(n, sizeof(n), "%zu", before - r->npeers);
			log_info(m->log, "released the peers of a gone router that are no configured "
				 "neighbour (bmp.peer_retention)", "router", r->address, "peers", n);
		}
		released += before - r->npeers;
	}
	return released;
}
