/* bench_expire.c — the longest step of a mass release on the loop thread.
 *
 * A model holds ROUTERS BMP routers of PEERS peers each, every peer up
 * with ROUTES IPv4 routes (one in five IPv6) over SETS attribute sets of
 * its own (60 bytes each, as a real table's AS paths give). Everything is
 * published, then every router disconnects (bmp.peer_retention 0) and the
 * daemon's housekeeping is replayed: a model_gc() step every 100 ms tick,
 * model_expire() and model_publish() every 10th tick. Each call's CPU time
 * on this thread is its stall on the ingest of a worker whose model it
 * locks. Printed: the longest step of each kind, the RSS per simulated
 * second and when it fell by half the growth.
 *
 * usage: bench_expire [ROUTERS [PEERS [ROUTES [SETS]]]]
 *   20 4096 25 1        the bench_peers.sh shape (82,000 peers, 900,000 series)
 *   1 1 1200000 50000   one full table (the Peer Down shape: one peer goes)
 *   1 1 1200000 600000  the same with a set per two routes (docs/performance.md)
 * Each simulated second prints RSS, the longest model_gc step in it, the
 * model_expire, the model_publish and a second publish right after (with
 * nothing to sweep: the difference is the sweep of the released series).
 * Only public APIs, so that the same file builds against older trees. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "metrics.h"
#include "model.h"

#define TICKS_PER_S 10   /* the daemon's 100 ms housekeeping timer */
#define PUBLISH_EVERY 10 /* ticks: expire + publish once a second */
#define MAX_S 30         /* simulated seconds after the disconnect */
#define SET_BYTES 60

struct bench {
	unsigned routers, peers, routes, sets;
	struct metrics_registry *reg;
	struct model *m;
	struct model_router **rt;
};

/* The longest and total CPU time of one kind of step. */
struct step {
	const char *name;
	double max, sum;
	unsigned n, over10;
};

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kib(void)
{
	FILE *fp = fopen("/proc/self/statm", "r");
	long pages = 0, res = 0;

	if (fp == NULL)
		return 0;
	if (fscanf(fp, "%ld %ld", &pages, &res) != 2)
		res = 0;
	fclose(fp);
	return res * 4;
}

static void step_add(struct step *s, double took)
{
	if (took > s->max)
		s->max = took;
	s->sum += took;
	s->n++;
	if (took > 0.010)
		s->over10++;
}

static void step_print(const struct step *s)
{
	printf("%-28s %5u steps, longest %7.2f ms CPU, %u over 10 ms, total %8.1f ms\n", s->name,
	       s->n, s->max * 1e3, s->over10, s->sum * 1e3);
}

/* The attribute sets of peer number pn: distinct bytes per (peer, set). */
static rib_attr_id peer_set(struct model *m, unsigned pn, unsigned k)
{
	uint8_t a[SET_BYTES];

	memset(a, 0x5a, sizeof(a));
	a[0] = 0x40;
	a[1] = 2;
	a[2] = SET_BYTES - 3;
	memcpy(a + 3, &pn, sizeof(pn));
	memcpy(a + 3 + sizeof(pn), &k, sizeof(k));
	return model_attrs_intern(m, a, sizeof(a));
}

static void peer_fill(struct bench *b, struct model_peer *p, unsigned pn)
{
	unsigned nsets = b->sets ? b->sets : 1;
	rib_attr_id *ids = calloc(nsets, sizeof(*ids));

	if (ids == NULL)
		return;
	for (unsigned k = 0; k < nsets; k++)
		ids[k] = peer_set(b->m, pn, k);
	for (unsigned i = 0; i < b->routes; i++) {
		struct rib_prefix x = {.family = i % 5 == 4 ? 6 : 4, .len = 24};
		enum model_af af = x.family == 6 ? MODEL_AF_IPV6_UNICAST : MODEL_AF_IPV4_UNICAST;

		x.addr[0] = x.family == 6 ? 0x20 : 11;
		memcpy(x.addr + 1, &i, sizeof(i));
		(void)model_route(b->m, p, MODEL_VIEW_ADJ_IN_PRE, af, &x, ids[i % nsets]);
	}
	for (unsigned k = 0; k < nsets; k++)
		model_attrs_unref(b->m, ids[k]);
	free(ids);
}

static int bench_build(struct bench *b)
{
	struct model_source_policy pol = {.max_peers_per_router = b->peers, .peer_retention_s = 0};

	model_set_source_policy(b->m, MODEL_SRC_BMP, &pol);
	for (unsigned r = 0; r < b->routers; r++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "198.18.%u.%u", r / 256, r % 256);
		b->rt[r] = model_router_get(b->m, MODEL_SRC_BMP, addr);
		if (b->rt[r] == NULL)
			return -1;
		model_router_connected(b->m, b->rt[r], 1);
		for (unsigned i = 0; i < b->peers; i++) {
			struct model_peer_key k = {.family = 4, .addr = {10, (uint8_t)(i >> 16),
									 (uint8_t)(i >> 8), (uint8_t)i}};
			struct model_peer *p = model_peer_get(b->m, b->rt[r], &k, 65000 + r, 1);

			if (p == NULL)
				return -1;
			model_peer_up(b->m, p, 2);
			peer_fill(b, p, r * b->peers + i);
		}
	}
	return 0;
}

/* Replays the housekeeping after every router left; returns the simulated
 * second at which RSS fell by half the growth, or -1. Each second's line:
 * the longest model_gc step in it, model_expire, model_publish, and a
 * second publish right after (nothing to sweep: the difference is the
 * sweep of the released peers' series). */
static double bench_release(struct bench *b, long rss0, long peak)
{
	struct step gc = {"model_gc", 0, 0, 0, 0}, ex = {"model_expire", 0, 0, 0, 0},
		    pub = {"model_publish", 0, 0, 0, 0}, sw = {"publish - publish again", 0, 0, 0, 0};
	double half_at = -1, t, gc_max = 0, d_ex, d_pub, d_again;
	size_t left = 1, expired = 0, n;

	for (unsigned tick = 1; tick <= MAX_S * TICKS_PER_S; tick++) {
		t = cpu_now();
		left = model_gc(b->m);
		t = cpu_now() - t;
		step_add(&gc, t);
		gc_max = t > gc_max ? t : gc_max;
		if (tick % PUBLISH_EVERY != 0)
			continue;
		t = cpu_now();
		n = model_expire(b->m, 1000.0 + tick / (double)TICKS_PER_S);
		d_ex = cpu_now() - t;
		model_publish(b->m);
		d_pub = cpu_now() - t - d_ex;
		t = cpu_now();
		model_publish(b->m);
		d_again = cpu_now() - t;
		expired += n;
		step_add(&ex, d_ex);
		step_add(&pub, d_pub);
		step_add(&sw, d_pub - d_again);
		long rss = rss_kib();
		printf("  t=%4.1f s RSS %7.1f MiB | gc max %5.2f ms, routes left %7zu | expire %5.2f ms, "
		       "%5zu peers | publish %6.2f ms, again %6.2f ms\n", tick / (double)TICKS_PER_S,
		       (double)rss / 1024.0, gc_max * 1e3, left, d_ex * 1e3, n, d_pub * 1e3,
		       d_again * 1e3);
		gc_max = 0;
		if (half_at < 0 && rss <= peak - (peak - rss0) / 2)
			half_at = tick / (double)TICKS_PER_S;
		if (left == 0 && n == 0 && expired > 0 && tick >= 5 * TICKS_PER_S)
			break;
	}
	step_print(&gc);
	step_print(&ex);
	step_print(&pub);
	step_print(&sw);
	return half_at;
}

int main(int argc, char **argv)
{
	struct bench b = {20, 4096, 25, 1, NULL, NULL, NULL};
	long rss0, peak;
	double t, half;

	if (argc > 1)
		b.routers = (unsigned)strtoul(argv[1], NULL, 10);
	if (argc > 2)
		b.peers = (unsigned)strtoul(argv[2], NULL, 10);
	if (argc > 3)
		b.routes = (unsigned)strtoul(argv[3], NULL, 10);
	if (argc > 4)
		b.sets = (unsigned)strtoul(argv[4], NULL, 10);
	b.reg = metrics_registry_new();
	b.m = b.reg ? model_new(b.reg) : NULL;
	b.rt = calloc(b.routers ? b.routers : 1, sizeof(*b.rt));
	if (b.m == NULL || b.rt == NULL)
		return 1;
	rss0 = rss_kib();
	if (bench_build(&b) != 0)
		return 1;
	model_publish(b.m);
	t = cpu_now();
	model_publish(b.m);
	printf("%u routers x %u peers x %u routes, %u sets per peer: publish (nothing changed) "
	       "%.1f ms CPU\n", b.routers, b.peers, b.routes, b.sets, (cpu_now() - t) * 1e3);
#ifdef __GLIBC__
	t = cpu_now();
	(void)malloc_trim(0);
	printf("malloc_trim with nothing freed: %.2f ms CPU\n", (cpu_now() - t) * 1e3);
#endif
	t = cpu_now();
	for (unsigned r = 0; r < b.routers; r++)
		model_router_disconnected(b.m, b.rt[r], 1000.0);
	printf("the routers disconnect (every peer down): %.2f ms CPU\n", (cpu_now() - t) * 1e3);
	peak = rss_kib();
	printf("RSS before %.1f MiB, with everything %.1f MiB\n", (double)rss0 / 1024.0,
	       (double)peak / 1024.0);
	half = bench_release(&b, rss0, peak);
	printf("RSS fell by half the growth at t=%.1f s (simulated 100 ms ticks)\n", half);
	model_free(b.m);
	metrics_registry_free(b.reg);
	free(b.rt);
	return 0;
}
