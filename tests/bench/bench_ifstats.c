/* bench_ifstats.c — time of one interface sampling pass, as the daemon
 * runs it: an RTM_GETLINK dump of every link in the current network
 * namespace, filtered to the watched names, fed to the rate table.
 *
 * Usage: bench_ifstats [--passes N] [--prefix P]
 * Watches every link whose name starts with P (default "cwb"), found by a
 * first dump. Prints one JSON line: links dumped, links watched, passes,
 * median/p99/max milliseconds per pass, CPU milliseconds per pass (user +
 * system of this process, which includes the kernel's work of the dump).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "netlink.h"
#include "rate.h"

#define MAX_NAMES 100000

static char (*names)[IFSTATS_NAME_MAX];
static size_t nnames;
static const char *prefix = "cwb";

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static void on_discover(const struct ifstats_sample *s, uint64_t t, void *arg)
{
	(void)t;
	(void)arg;
	if (strncmp(s->name, prefix, strlen(prefix)) == 0 && nnames < MAX_NAMES)
		memcpy(names[nnames++], s->name, IFSTATS_NAME_MAX);
}

struct pass_ctx {
	struct ifstats_rates *r;
	size_t sampled;
};

static void on_sample(const struct ifstats_sample *s, uint64_t t, void *arg)
{
	struct pass_ctx *p = arg;

	if (ifstats_rates_watched(p->r, s->name) && ifstats_rates_sample(p->r, s, t) == 0)
		p->sampled++;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int passes = 50;
	struct ifstats_nl *nl;
	struct ifstats_nl_walk w = {0};
	struct pass_ctx p = {0};
	const char **watch;
	double *ms, cpu0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--passes") == 0 && i + 1 < argc)
			passes = atoi(argv[++i]);
		else if (strcmp(argv[i], "--prefix") == 0 && i + 1 < argc)
			prefix = argv[++i];
		else {
			fprintf(stderr, "usage: bench_ifstats [--passes N] [--prefix P]\n");
			return 2;
		}
	}
	if (passes < 1 || (nl = ifstats_nl_new()) == NULL ||
	    (names = calloc(MAX_NAMES, sizeof(*names))) == NULL ||
	    (ms = calloc((size_t)passes, sizeof(*ms))) == NULL) {
		perror("bench_ifstats");
		return 1;
	}
	if (ifstats_nl_dump(nl, &w, on_discover, NULL, now_ns) != 0) {
		fprintf(stderr, "bench_ifstats: the first dump failed\n");
		return 1;
	}
	watch = calloc(nnames + 1, sizeof(*watch));
	p.r = ifstats_rates_new();
	for (size_t i = 0; watch != NULL && i < nnames; i++)
		watch[i] = names[i];
	if (watch == NULL || p.r == NULL || ifstats_rates_set_watch(p.r, watch, nnames) != 0)
		return 1;
	cpu0 = cpu_ms();
	for (int i = 0; i < passes; i++) {
		uint64_t t0 = now_ns();

		w = (struct ifstats_nl_walk){0};
		p.sampled = 0;
		ifstats_rates_pass_begin(p.r);
		if (ifstats_nl_dump(nl, &w, on_sample, &p, now_ns) != 0) {
			fprintf(stderr, "bench_ifstats: dump %d failed\n", i);
			return 1;
		}
		ifstats_rates_pass_end(p.r);
		ms[i] = (double)(now_ns() - t0) / 1e6;
	}
	double cpu = (cpu_ms() - cpu0) / passes;

	qsort(ms, (size_t)passes, sizeof(*ms), cmp_double);
	printf("{\"links_dumped\":%llu,\"links_watched\":%zu,\"sampled\":%zu,\"passes\":%d,"
	       "\"median_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"cpu_ms_per_pass\":%.3f}\n",
	       (unsigned long long)w.links, nnames, p.sampled, passes, ms[passes / 2],
	       ms[(size_t)((passes - 1) * 99 / 100)], ms[passes - 1], cpu);
	ifstats_rates_free(p.r);
	ifstats_nl_free(nl);
	free(watch);
	free(names);
	free(ms);
	return 0;
}
