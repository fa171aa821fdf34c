/* bench_expo.c — scrape cost at 100,000 series: snapshot, text and
 * OpenMetrics rendering, gzip (levels 1 and 6). Prints median and max
 * per phase over BENCH_ITERATIONS scrapes, output sizes and peak RSS.
 * The gzip body as the exporter builds it (expo_gz: per-family pieces,
 * reused while a family does not change) is timed twice per scrape: after
 * every series changed, and right after a publish that changed two
 * families of the twenty (a tenth of the series).
 *
 * Usage: bench_expo [iterations]
 * Build Release (-O2) for meaningful numbers; the target is snapshot +
 * text render under 50 ms per scrape.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <zlib.h>

#include "expo.h"
#include "metrics.h"

#define BENCH_ITERATIONS 20
#define BENCH_SIMPLE_FAMILIES 19    /* counters and gauges */
#define BENCH_SERIES_PER_FAMILY 5000 /* 20 families x 5000 = 100,000 series */
#define BENCH_HIST_BUCKETS 10

enum bench_phase {
	PH_SNAPSHOT,
	PH_TEXT,
	PH_OPENMETRICS,
	PH_SNAP_TEXT,
	PH_TEXT_REUSED,
	PH_GZIP1,
	PH_GZIP6,
	PH_GZ_ALL,
	PH_GZ_SOME,
	PH_COUNT,
};

static const char *const bench_phase_names[PH_COUNT] = {
	"snapshot", "render text", "render openmetrics", "snapshot+text",
	"render text, reused buf", "gzip -1 (text)", "gzip -6 (text)",
	"snap+gzip body, all new", "snap+gzip body, 1/10 new",
};

static const char *const bench_labels[] = { "circuit", "link", "peer" };
static const char *const bench_sites[] = { "ams", "fra", "lon", "par", "iad", "sjc", "sin", "syd" };
static const double bench_bounds[BENCH_HIST_BUCKETS] = { 0.0005, 0.001, 0.0025, 0.005, 0.01,
							 0.025, 0.05, 0.1, 0.25, 0.5 };

struct bench {
	struct metrics_registry *reg;
	struct metrics_series **series; /* every simple series, for updates */
	enum metrics_type *types;
	size_t nseries;
	struct metrics_series **hist;
	size_t nhist;
	uint64_t rng;
	struct expo_buf kept; /* an output buffer reused across scrapes */
	struct expo_gz *gz;   /* the exporter's gzip pieces, kept across scrapes */
	double samples[PH_COUNT][BENCH_ITERATIONS * 4];
	size_t bytes_text, bytes_om, bytes_gz1, bytes_gz6;
};

static double bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t bench_rand(struct bench *b)
{
	b->rng ^= b->rng << 13;
	b->rng ^= b->rng >> 7;
	b->rng ^= b->rng << 17;
	return b->rng;
}

/* Label values for series i of a family: 2,500 circuits x 2 links. */
static void bench_label_values(size_t i, char circuit[32], char peer[32], const char **v)
{
	size_t c = i / 2;

	snprintf(circuit, 32, "er-%s-%04zu", bench_sites[c % 8], c);
	snprintf(peer, 32, "198.18.%zu.%zu", (c / 250) % 256, c % 250 + 1 + (i % 2));
	v[0] = circuit;
	v[1] = i % 2 ? "secondary" : "primary";
	v[2] = peer;
}

/* Indices 0..n-1 in a shuffled order, so series are not created sorted. */
static size_t *bench_shuffled(struct bench *b, size_t n)
{
	size_t *idx = malloc(n * sizeof *idx);

	if (!idx)
		return NULL;
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)(bench_rand(b) % (i + 1)), t = idx[i];
		idx[i] = idx[j];
		idx[j] = t;
	}
	return idx;
}

static struct metrics_family *bench_family(struct bench *b, size_t f)
{
	char name[64];
	struct metrics_family_def def = { METRICS_GAUGE, name, "Benchmark family with a help line.",
					  NULL, 3, bench_labels, 0, NULL };

	if (f == BENCH_SIMPLE_FAMILIES) {
		def.type = METRICS_HISTOGRAM;
		def.unit = "seconds";
		def.nbuckets = BENCH_HIST_BUCKETS;
		def.buckets = bench_bounds;
		snprintf(name, sizeof name, "cw_bench_probe_rtt_seconds");
	} else if (f % 2 == 0) {
		def.type = METRICS_COUNTER;
		snprintf(name, sizeof name, "cw_bench_family_%02zu_bytes_total", f);
	} else {
		snprintf(name, sizeof name, "cw_bench_family_%02zu_ratio", f);
	}
	return metrics_family_new(b->reg, &def);
}

/* Values: counters are large integers, gauges alternate between short
 * fractions, long fractions and integers; histograms get observations. */
static void bench_update(struct bench *b)
{
	for (size_t i = 0; i < b->nseries; i++) {
		uint64_t r = bench_rand(b);
		if (b->types[i] == METRICS_COUNTER)
			metrics_counter_add(b->series[i], (double)(r % 1500000));
		else if (i % 3 == 0)
			metrics_gauge_set(b->series[i], (double)(r % 10000) / 100.0);
		else if (i % 3 == 1)
			metrics_gauge_set(b->series[i], (double)(r % 1000000) / 7.0);
		else
			metrics_gauge_set(b->series[i], (double)(r % 100));
	}
	for (size_t i = 0; i < b->nhist; i++)
		for (int k = 0; k < 4; k++)
			metrics_histogram_observe(b->hist[i], (double)(bench_rand(b) % 600000) / 1e6);
}

static int bench_add_series(struct bench *b, struct metrics_family *fam, size_t f)
{
	char circuit[32], peer[32];
	const char *v[3];
	size_t *order = bench_shuffled(b, BENCH_SERIES_PER_FAMILY);

	if (!order)
		return -1;
	for (size_t k = 0; k < BENCH_SERIES_PER_FAMILY; k++) {
		struct metrics_series *s;
		bench_label_values(order[k], circuit, peer, v);
		s = metrics_series_get(fam, v);
		if (!s) {
			free(order);
			return -1;
		}
		if (f == BENCH_SIMPLE_FAMILIES) {
			b->hist[b->nhist++] = s;
		} else {
			b->types[b->nseries] = f % 2 == 0 ? METRICS_COUNTER : METRICS_GAUGE;
			b->series[b->nseries++] = s;
		}
	}
	free(order);
	return 0;
}

static int bench_build(struct bench *b)
{
	size_t simple = BENCH_SIMPLE_FAMILIES * BENCH_SERIES_PER_FAMILY;

	b->reg = metrics_registry_new();
	b->series = calloc(simple, sizeof *b->series);
	b->types = calloc(simple, sizeof *b->types);
	b->hist = calloc(BENCH_SERIES_PER_FAMILY, sizeof *b->hist);
	if (!b->reg || !b->series || !b->types || !b->hist)
		return -1;
	for (size_t f = 0; f <= BENCH_SIMPLE_FAMILIES; f++) {
		struct metrics_family *fam = bench_family(b, f);
		if (!fam || bench_add_series(b, fam, f) != 0)
			return -1;
	}
	bench_update(b);
	return 0;
}

/* gzip (windowBits 31) of in at level; returns the compressed size or 0. */
static size_t bench_gzip(const char *in, size_t len, int level, unsigned char *out, size_t cap)
{
	z_stream z;
	size_t n = 0;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_in = (unsigned char *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) == Z_STREAM_END)
		n = z.total_out;
	deflateEnd(&z);
	return n;
}

static int bench_render(struct bench *b, const struct metrics_snapshot *snap, enum expo_format fmt,
			struct expo_buf *out, enum bench_phase ph, int it)
{
	double t0 = bench_now_ms();

	if (expo_render(snap, fmt, out) != 0)
		return -1;
	b->samples[ph][it] = bench_now_ms() - t0;
	return 0;
}

static int bench_gzip_phase(struct bench *b, const struct expo_buf *text, int level,
			    enum bench_phase ph, int it, size_t *size)
{
	size_t cap = deflateBound(NULL, (uLong)text->len) + 64;
	unsigned char *out = malloc(cap);
	double t0 = bench_now_ms();

	if (!out)
		return -1;
	*size = bench_gzip(text->data, text->len, level, out, cap);
	b->samples[ph][it] = bench_now_ms() - t0;
	free(out);
	return *size ? 0 : -1;
}

/* Snapshot and gzip body through b->gz, as the exporter renders it. */
static int bench_gz_body(struct bench *b, enum bench_phase ph, int it)
{
	double t0 = bench_now_ms();
	struct metrics_snapshot *snap = metrics_snapshot_take(b->reg);
	struct expo_buf z = { .mapped = true };
	int rc;

	if (!snap)
		return -1;
	rc = expo_gz_render(b->gz, snap, &z);
	metrics_snapshot_free(b->reg, snap);
	expo_buf_clean(&z);
	b->samples[ph][it] = bench_now_ms() - t0;
	return rc;
}

/* A publish that moves a tenth of the series: two families of twenty. */
static void bench_update_some(struct bench *b)
{
	for (size_t i = 0; i < 2 * BENCH_SERIES_PER_FAMILY && i < b->nseries; i++) {
		metrics_gauge_add(b->series[i], 1);   /* one of the two applies */
		metrics_counter_add(b->series[i], 1);
	}
}

/* One scrape as the HTTP thread would do it, with fresh output buffers
 * (the adapter hands each to libmicrohttpd, which frees it). */
static int bench_scrape(struct bench *b, int it)
{
	struct expo_buf text = { 0 }, om = { 0 };
	struct metrics_snapshot *snap;
	double t0 = bench_now_ms();
	int rc = -1;

	snap = metrics_snapshot_take(b->reg);
	if (!snap)
		return -1;
	b->samples[PH_SNAPSHOT][it] = bench_now_ms() - t0;
	if (bench_render(b, snap, EXPO_TEXT, &text, PH_TEXT, it) != 0 ||
	    bench_render(b, snap, EXPO_OPENMETRICS, &om, PH_OPENMETRICS, it) != 0)
		goto out;
	b->samples[PH_SNAP_TEXT][it] = b->samples[PH_SNAPSHOT][it] + b->samples[PH_TEXT][it];
	/* The same render into a buffer kept from the previous scrape: no
	 * page faults for fresh memory, as an adapter that reuses it sees. */
	b->kept.len = 0;
	if (bench_render(b, snap, EXPO_TEXT, &b->kept, PH_TEXT_REUSED, it) != 0)
		goto out;
	if (bench_gzip_phase(b, &text, 1, PH_GZIP1, it, &b->bytes_gz1) != 0 ||
	    bench_gzip_phase(b, &text, Z_DEFAULT_COMPRESSION, PH_GZIP6, it, &b->bytes_gz6) != 0)
		goto out;
	b->bytes_text = text.len;
	b->bytes_om = om.len;
	if (bench_gz_body(b, PH_GZ_ALL, it) != 0)
		goto out;
	bench_update_some(b);
	if (bench_gz_body(b, PH_GZ_SOME, it) != 0)
		goto out;
	rc = 0;
out:
	metrics_snapshot_free(b->reg, snap);
	expo_buf_clean(&text);
	expo_buf_clean(&om);
	return rc;
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void bench_report(struct bench *b, int n, size_t nseries, double build_ms)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	printf("series: %zu (%d families; histogram series have %d buckets)\n", nseries,
	       BENCH_SIMPLE_FAMILIES + 1, BENCH_HIST_BUCKETS);
	printf("registry build: %.1f ms\n", build_ms);
	printf("scrapes: %d\n", n);
	printf("%-26s %10s %10s %10s\n", "phase (ms per scrape)", "median", "p99", "max");
	for (int p = 0; p < PH_COUNT; p++) {
		double *s = b->samples[p];
		qsort(s, (size_t)n, sizeof *s, bench_cmp_double);
		printf("%-26s %10.2f %10.2f %10.2f\n", bench_phase_names[p],
		       n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2, s[(size_t)(n - 1) * 99 / 100],
		       s[n - 1]);
	}
	printf("bytes text: %zu\nbytes openmetrics: %zu\n", b->bytes_text, b->bytes_om);
	printf("bytes text gzip -1: %zu\nbytes text gzip -6: %zu\n", b->bytes_gz1, b->bytes_gz6);
	printf("peak RSS: %ld KiB\n", ru.ru_maxrss);
}

int main(int argc, char **argv)
{
	static struct bench b = { .rng = 0x2545f4914f6cdd1dULL };
	int n = argc > 1 ? atoi(argv[1]) : BENCH_ITERATIONS;
	double t0;

	if (n < 1 || n > BENCH_ITERATIONS * 4) {
		fprintf(stderr, "usage: %s [iterations 1..%d]\n", argv[0], BENCH_ITERATIONS * 4);
		return 2;
	}
	t0 = bench_now_ms();
	b.gz = expo_gz_new(EXPO_TEXT, 1);
	if (b.gz == NULL || bench_build(&b) != 0) {
		fprintf(stderr, "bench_expo: building the registry failed\n");
		return 1;
	}
	t0 = bench_now_ms() - t0;
	for (int it = 0; it < n; it++) {
		if (bench_scrape(&b, it) != 0) {
			fprintf(stderr, "bench_expo: scrape %d failed\n", it);
			return 1;
		}
		bench_update(&b); /* values move between scrapes, untimed */
	}
	bench_report(&b, n, b.nseries + b.nhist, t0);
	metrics_registry_free(b.reg);
	expo_buf_clean(&b.kept);
	expo_gz_free(b.gz);
	free(b.series);
	free(b.types);
	free(b.hist);
	return 0;
}
