/* bench_rib.c — RIB ingest rate, memory per route and release cost for a
 * full table: 1,000,000 IPv4 and 200,000 IPv6 routes over 50,000 distinct
 * attribute sets (60-byte sets, as a real table's AS paths and
 * communities give). Each route interns its set first, as the BMP path
 * will (one hash lookup per UPDATE), then is announced.
 *
 * The release is timed per slice of GC_BUDGET slots (a model_gc() step
 * runs slices for 2 ms), with the RSS before it, half-way and after, then
 * the malloc_trim that model_gc() ends a release with. Last, the IPv4
 * ingest again into a fresh rib in rounds of BATCH routes (interned and
 * their slots prefetched with rib_prefetch(), then announced), as
 * bgp/ingest applies a BMP feed's routes.
 *
 * usage: bench_rib [IPV4_ROUTES [IPV6_ROUTES [SETS]]] */
#include <stdio.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "rib.h"

#define GC_BUDGET 8192 /* as MODEL_GC_BUDGET: one slice of a model_gc() step */
#define BATCH 16       /* routes per round of the batched ingest (a feed's messages) */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this thread: what a step costs, without the time the
 * scheduler gave other processes on a loaded machine. */
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

/* A deterministic pseudo-random generator (xorshift64*). */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void make_set(uint8_t *b, size_t len, unsigned i)
{
	uint64_t s = 0x1234567ull + i;

	for (size_t k = 0; k < len; k++)
		b[k] = (uint8_t)rnd(&s);
}

static void make_prefix(struct rib_prefix *p, unsigned i, uint8_t family)
{
	memset(p, 0, sizeof(*p));
	p->family = family;
	if (family == 4) {
		/* spread over 1.0.0.0 - 223.255.255.0 as /24s */
		uint32_t a = 0x01000000u + i * 256u;

		p->len = 24;
		p->addr[0] = (uint8_t)(a >> 24);
		p->addr[1] = (uint8_t)(a >> 16);
		p->addr[2] = (uint8_t)(a >> 8);
	} else {
		p->len = 48;
		p->addr[0] = 0x20;
		p->addr[1] = 0x01;
		p->addr[2] = (uint8_t)(i >> 16);
		p->addr[3] = (uint8_t)(i >> 8);
		p->addr[4] = (uint8_t)i;
	}
}

static double ingest(struct rib *rib, struct rib_table *t, unsigned n, unsigned nsets,
		     uint8_t family)
{
	uint8_t set[60];
	struct rib_prefix p;
	double t0 = now();

	for (unsigned i = 0; i < n; i++) {
		rib_attr_id a;

		make_set(set, sizeof(set), (i * 2654435761u) % nsets);
		make_prefix(&p, i, family);
		a = rib_attrs_intern(rib, set, sizeof(set));
		if (a == 0 || rib_announce(rib, t, &p, a) != RIB_ADDED) {
			fprintf(stderr, "ingest failed at %u\n", i);
			exit(1);
		}
		rib_attrs_unref(rib, a);
	}
	return now() - t0;
}

static double ingest_batched(struct rib *rib, struct rib_table *t, unsigned n, unsigned nsets,
			     uint8_t family)
{
	uint8_t set[60];
	struct rib_prefix p[BATCH];
	rib_attr_id a[BATCH];
	double t0 = now();

	for (unsigned i = 0; i < n; i += BATCH) {
		unsigned k = n - i < BATCH ? n - i : BATCH;

		for (unsigned j = 0; j < k; j++) {
			make_set(set, sizeof(set), ((i + j) * 2654435761u) % nsets);
			make_prefix(&p[j], i + j, family);
			a[j] = rib_attrs_intern(rib, set, sizeof(set));
			if (a[j] == 0)
				exit(1);
			rib_prefetch(rib, t, &p[j], a[j]);
		}
		for (unsigned j = 0; j < k; j++) {
			if (rib_announce(rib, t, &p[j], a[j]) != RIB_ADDED) {
				fprintf(stderr, "batched ingest failed at %u\n", i + j);
				exit(1);
			}
			rib_attrs_unref(rib, a[j]);
		}
	}
	return now() - t0;
}

/* The IPv4 ingest again, batched, into a fresh rib. */
static void batched(unsigned n4, unsigned nsets)
{
	struct rib *rib = rib_new();
	struct rib_table *t = rib ? rib_table_new(rib, 4) : NULL;
	double d;

	if (t == NULL)
		exit(1);
	d = ingest_batched(rib, t, n4, nsets, 4);
	printf("ingest IPv4 batched (rounds of %d: interned and prefetched, then announced): "
	       "%.0f routes/s (%.1f ns/route)\n", BATCH, n4 / d, d * 1e9 / n4);
	rib_free(rib);
}

int main(int argc, char **argv)
{
	unsigned n4 = argc > 1 ? (unsigned)atoi(argv[1]) : 1000000;
	unsigned n6 = argc > 2 ? (unsigned)atoi(argv[2]) : 200000;
	unsigned nsets = argc > 3 ? (unsigned)atoi(argv[3]) : 50000;
	long rss0 = rss_kib();
	struct rib *rib = rib_new();
	struct rib_table *t4 = rib_table_new(rib, 4), *t6 = rib_table_new(rib, 6);
	double d4, d6, gc_max = 0, gc_cpu_max = 0, gc_total = 0, t0;
	size_t steps = 0, mem;
	long rss_full, rss_half = 0;

	if (rib == NULL || t4 == NULL || t6 == NULL)
		return 1;
	d4 = ingest(rib, t4, n4, nsets, 4);
	d6 = ingest(rib, t6, n6, nsets, 6);
	mem = rib_memory(rib);
	printf("routes: %u IPv4 + %u IPv6, %zu distinct attribute sets of 60 bytes\n", n4, n6,
	       rib_attrs_count(rib));
	printf("ingest IPv4: %.0f routes/s (%.1f ns/route, intern + announce)\n", n4 / d4,
	       d4 * 1e9 / n4);
	printf("ingest IPv6: %.0f routes/s (%.1f ns/route)\n", n6 / d6, d6 * 1e9 / n6);
	printf("rib memory: %zu bytes = %.1f bytes/route (tables + sets + index)\n", mem,
	       (double)mem / (n4 + n6));
	printf("process RSS growth: %.1f bytes/route\n",
	       (double)(rss_kib() - rss0) * 1024.0 / (n4 + n6));
	rss_full = rss_kib();
	t0 = now();
	rib_table_release(rib, t4);
	rib_table_release(rib, t6);
	printf("release (detach) of both tables: %.3f ms\n", (now() - t0) * 1e3);
	for (;;) {
		double s = now(), c = cpu_now();
		size_t left = rib_gc(rib, GC_BUDGET);
		double d = now() - s, dc = cpu_now() - c;

		gc_total += d;
		gc_max = d > gc_max ? d : gc_max;
		gc_cpu_max = dc > gc_cpu_max ? dc : gc_cpu_max;
		if (++steps == (n4 + n6) / GC_BUDGET)
			rss_half = rss_kib();
		if (left == 0)
			break;
	}
	printf("gc: %zu slices of %d slots, longest slice %.3f ms wall, %.3f ms CPU; total %.1f ms; "
	       "sets left %zu\n", steps, GC_BUDGET, gc_max * 1e3, gc_cpu_max * 1e3, gc_total * 1e3,
	       rib_attrs_count(rib));
	printf("release RSS: %.1f MiB full, %.1f MiB after %zu slices, %.1f MiB after the last\n",
	       (double)rss_full / 1024.0, (double)rss_half / 1024.0, (size_t)(n4 + n6) / GC_BUDGET,
	       (double)rss_kib() / 1024.0);
#ifdef __GLIBC__
	t0 = now();
	gc_cpu_max = cpu_now();
	(void)malloc_trim(0);
	printf("malloc_trim: %.3f ms wall, %.3f ms CPU, RSS %.1f MiB after it\n",
	       (now() - t0) * 1e3, (cpu_now() - gc_cpu_max) * 1e3, (double)rss_kib() / 1024.0);
#endif
	rib_free(rib);
	batched(n4, nsets);
	return 0;
}
