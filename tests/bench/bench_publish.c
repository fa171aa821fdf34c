/* bench_publish.c — the two costs of 100,000 series that a running daemon
 * pays every second: publishing them (model_publish, and a generic
 * publisher's round through a metrics group) and serving a gzip scrape of
 * them through the real HTTP path (the exporter module on a loopback port).
 *
 * Usage: bench_publish [rounds]
 *
 * The model holds BENCH_ROUTERS BMP routers of BENCH_PEERS peers, each peer
 * up with a route in one view (ten series per peer), and BENCH_CIRCUITS
 * configured circuits whose neighbours are some of those peers. Each round
 * changes the counters of BENCH_CHANGED_PCT % of the peers, then publishes.
 * The figures are CPU time per publish (this thread's clock), printed as
 * the share of one core at one publish per second; and the time from
 * connect to the last byte of a gzip /metrics answer:
 * - hit: nothing changed since the last scrape;
 * - miss: scraped right after a publish that changed values;
 * - all: right after a publish that changed every peer's counters (every
 *   per-peer family has to be rendered and compressed again);
 * - 500 ms after a publish, as a scraper at a random moment mostly is.
 * Only public APIs, so that the same file builds against older trees.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "daemon_config.h"
#include "expo.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "module.h"
#include "prometheus.h"

#define BENCH_ROUTERS 25
#define BENCH_PEERS 400      /* per router: 10,000 peers, 100,000 series */
#define BENCH_CIRCUITS 1000  /* two links, one neighbour each */
#define BENCH_CHANGED_PCT 10 /* peers whose counters move each round */
#define BENCH_ROUNDS 30
#define BENCH_GROUP_SERIES 100000
#define BENCH_PORT 19779
#define BENCH_WARMUP 3 /* scrape rounds before timing */

struct bench {
	struct metrics_registry *reg;
	struct cfg_config *cfg;
	struct model *m;
	struct model_peer **peers;
	size_t npeers;
	uint64_t rng;
};

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t bench_rand(struct bench *b)
{
	b->rng ^= b->rng << 13;
	b->rng ^= b->rng >> 7;
	b->rng ^= b->rng << 17;
	return b->rng;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void print_stats(const char *what, double *v, int n, double scale, const char *unit)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("%-46s median %8.2f  p99 %8.2f  max %8.2f %s\n", what, v[n / 2] * scale,
	       v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] * scale, v[n - 1] * scale, unit);
}

/* The config: the exporter on a loopback port, BENCH_CIRCUITS circuits of
 * two links whose neighbours are peers .1 and .2 of router 198.18.R.1. */
static char *bench_yaml(void)
{
	size_t cap = 512 + (size_t)BENCH_CIRCUITS * 400, n = 0;
	char *y = malloc(cap);

	if (y == NULL)
		return NULL;
	n += (size_t)snprintf(y + n, cap - n,
			      "prometheus:\n  listen: 127.0.0.1:%d\n  max_series: 10000000\n"
			      "circuits:\n", BENCH_PORT);
	for (int c = 0; c < BENCH_CIRCUITS; c++) {
		int r = c % BENCH_ROUTERS, k = c / BENCH_ROUTERS;

		n += (size_t)snprintf(
			y + n, cap - n,
			"  - id: er-%04d\n    provider: expressroute\n    bandwidth: 1Gbps\n"
			"    links:\n      primary:\n        router: 198.18.%d.1\n"
			"        peerings: [{type: private, neighbors: [{address: 10.%d.%d.1}]}]\n"
			"      secondary:\n        router: 198.18.%d.1\n"
			"        peerings: [{type: private, neighbors: [{address: 10.%d.%d.2}]}]\n",
			c, r, r, k, r, r, k);
	}
	return y;
}

static int bench_model(struct bench *b)
{
	static const uint8_t attrs[] = {0x40, 1, 1, 0};
	rib_attr_id a = model_attrs_intern(b->m, attrs, sizeof(attrs));

	b->peers = calloc((size_t)BENCH_ROUTERS * BENCH_PEERS, sizeof(*b->peers));
	if (b->peers == NULL)
		return -1;
	for (int r = 0; r < BENCH_ROUTERS; r++) {
		char addr[32];
		struct model_router *rt;

		snprintf(addr, sizeof(addr), "198.18.%d.1", r);
		rt = model_router_get(b->m, MODEL_SRC_BMP, addr);
		if (rt == NULL)
			return -1;
		model_router_connected(b->m, rt, 1);
		for (int i = 0; i < BENCH_PEERS; i++) {
			/* peers 10.r.k.1 and .2 for k < 40 are the configured ones */
			struct model_peer_key k = {.family = 4,
						   .addr = {10, (uint8_t)r, (uint8_t)(i / 2),
							    (uint8_t)(i % 2 + 1)}};
			struct rib_prefix x = {.family = 4, .len = 24, .addr = {203, 0, 1, 0}};
			struct model_peer *p = model_peer_get(b->m, rt, &k, 12076, 1);

			if (p == NULL)
				return -1;
			model_peer_up(b->m, p, 2);
			(void)model_route(b->m, p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST, &x,
					  a);
			b->peers[b->npeers++] = p;
		}
	}
	model_attrs_unref(b->m, a);
	return 0;
}

static int bench_setup(struct bench *b)
{
	struct cfg_errors errs = {0};
	char *y = bench_yaml();
	int rc;

	b->reg = metrics_registry_new();
	if (y == NULL || b->reg == NULL)
		return -1;
	rc = daemon_config_load_buffer("bench.yaml", y, strlen(y), &b->cfg, &errs);
	free(y);
	if (rc != 0) {
		cfg_errors_print(&errs, stderr);
		return -1;
	}
	b->m = model_new(b->reg);
	if (b->m == NULL)
		return -1;
	model_apply_config(b->m, b->cfg);
	return bench_model(b);
}

static void bench_change(struct bench *b)
{
	for (size_t i = 0; i < b->npeers * BENCH_CHANGED_PCT / 100; i++)
		model_peer_count_update(b->peers[bench_rand(b) % b->npeers]);
}

static void bench_change_all(struct bench *b)
{
	for (size_t i = 0; i < b->npeers; i++)
		model_peer_count_update(b->peers[i]);
}

/* CPU seconds of one model_publish after BENCH_CHANGED_PCT % changed. */
static double bench_publish_once(struct bench *b)
{
	double t0;

	bench_change(b);
	t0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	model_publish(b->m);
	return now_s(CLOCK_THREAD_CPUTIME_ID) - t0;
}

/* A generic publisher (ifstats, probes, capture): BENCH_GROUP_SERIES
 * gauges of three labels through a group, a tenth of them changed. */
static double bench_group_round(struct bench *b, struct metrics_group *g,
				struct metrics_family *fam, uint64_t round)
{
	double t0 = now_s(CLOCK_THREAD_CPUTIME_ID);

	for (size_t i = 0; i < BENCH_GROUP_SERIES; i++) {
		char c[32], p[32];
		const char *v[] = {c, i % 2 ? "secondary" : "primary", p};
		struct metrics_series *s;

		snprintf(c, sizeof(c), "er-%05zu", i / 2);
		snprintf(p, sizeof(p), "198.18.%zu.%zu", (i / 500) % 256, i % 250 + 1);
		s = metrics_group_series(g, fam, v);
		metrics_gauge_set(s, (double)(i % 10 == round % 10 ? round : 0));
	}
	(void)metrics_group_sweep(g);
	(void)b;
	return now_s(CLOCK_THREAD_CPUTIME_ID) - t0;
}

/* GET /metrics with gzip; returns seconds from connect to the last byte
 * (the server closes: Connection: close), or -1. */
static double bench_scrape(size_t *bytes)
{
	static char buf[1 << 16];
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				  "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n";
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(BENCH_PORT)};
	double t0 = now_s(CLOCK_MONOTONIC);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t n;

	*bytes = 0;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		*bytes += (size_t)n;
	close(fd);
	return n < 0 ? -1 : now_s(CLOCK_MONOTONIC) - t0;
}

static void sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

	nanosleep(&ts, NULL);
}

static int bench_scrapes(struct bench *b, int n)
{
	double *hit = calloc((size_t)n, sizeof(double)), *miss = calloc((size_t)n, sizeof(double));
	double *later = calloc((size_t)n, sizeof(double)), *all = calloc((size_t)n, sizeof(double));
	size_t bytes = 0;
	int rc = -1;

	if (hit == NULL || miss == NULL || later == NULL || all == NULL)
		goto out;
	/* untimed: a steady scraper, whose interval the exporter has learnt */
	for (int i = 0; i < BENCH_WARMUP; i++) {
		(void)bench_publish_once(b);
		if (bench_scrape(&bytes) < 0)
			goto out;
		sleep_s(1.0);
	}
	for (int i = 0; i < n; i++) {
		(void)bench_publish_once(b);
		if ((miss[i] = bench_scrape(&bytes)) < 0 || (hit[i] = bench_scrape(&bytes)) < 0)
			goto out;
		(void)bench_publish_once(b);
		sleep_s(0.5);
		if ((later[i] = bench_scrape(&bytes)) < 0)
			goto out;
		bench_change_all(b);
		model_publish(b->m);
		if ((all[i] = bench_scrape(&bytes)) < 0)
			goto out;
		sleep_s(0.5);
	}
	printf("gzip answer: %zu bytes with headers\n", bytes);
	print_stats("gzip scrape, cache hit (ms)", hit, n, 1e3, "ms");
	print_stats("gzip scrape, right after a publish (ms)", miss, n, 1e3, "ms");
	print_stats("gzip scrape, 500 ms after a publish (ms)", later, n, 1e3, "ms");
	print_stats("gzip scrape, after every peer changed (ms)", all, n, 1e3, "ms");
	rc = 0;
out:
	free(hit);
	free(miss);
	free(later);
	free(all);
	return rc;
}

/* What a miss costs, step by step (wall ms): snapshot, text render, gzip -1. */
static void bench_render_steps(struct bench *b, int n)
{
	double *t[3] = {calloc((size_t)n, sizeof(double)), calloc((size_t)n, sizeof(double)),
			calloc((size_t)n, sizeof(double))};
	size_t len = 0, zlen = 0;

	for (int i = 0; t[0] && t[1] && t[2] && i < n; i++) {
		struct expo_buf out = {0};
		double t0 = now_s(CLOCK_MONOTONIC), t1, t2;
		struct metrics_snapshot *snap = metrics_snapshot_take(b->reg);
		uLongf cap;
		Bytef *z;

		t1 = now_s(CLOCK_MONOTONIC);
		if (snap == NULL || expo_render(snap, EXPO_TEXT, &out) != 0)
			break;
		t2 = now_s(CLOCK_MONOTONIC);
		cap = compressBound((uLong)out.len);
		z = malloc(cap);
		if (z != NULL && compress2(z, &cap, (const Bytef *)out.data, (uLong)out.len, 1) == Z_OK)
			zlen = cap;
		t[0][i] = t1 - t0;
		t[1][i] = t2 - t1;
		t[2][i] = now_s(CLOCK_MONOTONIC) - t2;
		len = out.len;
		free(z);
		expo_buf_clean(&out);
		metrics_snapshot_free(b->reg, snap);
	}
	printf("text body: %zu bytes, %zu with deflate -1\n", len, zlen);
	print_stats("  snapshot (ms)", t[0], n, 1e3, "ms");
	print_stats("  render text (ms)", t[1], n, 1e3, "ms");
	print_stats("  deflate -1 (ms)", t[2], n, 1e3, "ms");
	for (int k = 0; k < 3; k++)
		free(t[k]);
}

static int bench_publishes(struct bench *b, int n)
{
	double *t = calloc((size_t)n, sizeof(double));
	struct metrics_registry *reg = metrics_registry_new();
	static const char *const labels[] = {"circuit", "link", "peer"};
	const struct metrics_family_def def = {METRICS_GAUGE, "bench_group_gauge", "", NULL, 3,
					       labels, 0, NULL};
	struct metrics_family *fam = reg ? metrics_family_new(reg, &def) : NULL;
	struct metrics_group *g = metrics_group_new();

	if (t == NULL || fam == NULL || g == NULL)
		return -1;
	model_publish(b->m); /* the first round creates the series */
	printf("series in the registry: %zu\n", metrics_registry_series(b->reg));
	for (int i = 0; i < n; i++)
		t[i] = bench_publish_once(b);
	print_stats("model_publish, % of a core at 1/s", t, n, 100.0, "%");
	(void)bench_group_round(b, g, fam, 0);
	for (int i = 0; i < n; i++)
		t[i] = bench_group_round(b, g, fam, (uint64_t)i + 1);
	print_stats("group round of 100k gauges, % of a core at 1/s", t, n, 100.0, "%");
	bench_render_steps(b, n);
	metrics_group_free(g);
	metrics_registry_free(reg);
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	static struct bench b = {.rng = 0x2545f4914f6cdd1dULL};
	struct cw_ctx ctx = {0};
	void *state = NULL;
	int n = argc > 1 ? atoi(argv[1]) : BENCH_ROUNDS, rc = 1;

	if (n < 1 || bench_setup(&b) != 0) {
		fprintf(stderr, "usage: %s [rounds >= 1] (or the setup failed)\n", argv[0]);
		return 2;
	}
	if (bench_publishes(&b, n) != 0)
		return 1;
	ctx.cfg = b.cfg;
	ctx.reg = b.reg;
	ctx.model = b.m;
	ctx.log = log_new(2, LOG_LVL_WARN, LOG_FMT_LOGFMT);
	atomic_store(&ctx.ready, true);
	if (expo_http_module.start(&ctx, &state) != 0 || state == NULL) {
		fprintf(stderr, "cannot start the exporter on port %d\n", BENCH_PORT);
		return 1;
	}
	rc = bench_scrapes(&b, n) != 0;
	expo_http_module.stop(&ctx, state);
	model_free(b.m);
	cfg_free(b.cfg);
	metrics_registry_free(b.reg);
	log_free(ctx.log);
	free(b.peers);
	return rc;
}
