/* bench_probes.c — the probe engine alone on one loop: N targets probed
 * every interval for a while; prints the CPU the process used per second
 * of wall time (getrusage: the engine, its sockets and the kernel work of
 * its own sends and receives), the send lateness (actual send time minus
 * scheduled time, from the engine's histogram at 10 µs resolution) and the
 * probes sent, answered and lost. The answering side (the kernel for
 * ICMP, `circuitwatch reflect` for STAMP) runs elsewhere.
 *
 * usage: bench_probes [-n TARGETS] [-s SECONDS] [-i INTERVAL_MS]
 *                     [-m icmp|stamp|tcp] [-a ADDRESS] [-p PORT]
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <uv.h>

#include "engine.h"
#include "log.h"

struct bench {
	uv_loop_t loop;
	uv_timer_t stop, tick;
	struct probe_engine *e;
	uint64_t rtts;
};

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void on_rtt(void *user, double rtt)
{
	(void)rtt;
	((struct bench *)user)->rtts++;
}

static void on_stop(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/* What the daemon's module does once a second besides publishing. */
static void on_tick(uv_timer_t *t)
{
	probe_engine_expire(((struct bench *)t->data)->e);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_probes [-n TARGETS] [-s SECONDS] [-i INTERVAL_MS] "
			"[-m icmp|stamp|tcp] [-a ADDRESS] [-p PORT]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned n = 10000, secs = 30, interval = 1000, port = 862;
	const char *mode = "icmp", *addr = "127.0.0.1";
	struct cfg_probe p = {0};
	struct bench b;
	struct probe_target **ts;
	struct probe_engine_opts o = {.icmp_socket = CFG_ICMP_AUTO, .loss_window = 100,
				      .spread_percent = 10, .on_rtt = on_rtt};
	struct log *lg = log_new(2, LOG_LVL_WARN, LOG_FMT_LOGFMT);
	double w0, c0, w1, c1;
	uint64_t sent = 0, received = 0, lost = 0, late = 0, errors = 0, count;
	int c;

	while ((c = getopt(argc, argv, "n:s:i:m:a:p:")) != -1) {
		switch (c) {
		case 'n': n = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': secs = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'i': interval = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'm': mode = optarg; break;
		case 'a': addr = optarg; break;
		case 'p': port = (unsigned)strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	p.name = "bench";
	p.target = (char *)addr;
	p.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(p.family, addr, p.addr) != 1 || n == 0 || secs < 2)
		usage();
	p.type = !strcmp(mode, "stamp") ? CFG_PROBE_STAMP : !strcmp(mode, "tcp") ? CFG_PROBE_TCP
										    : CFG_PROBE_ICMP;
	p.port = p.type == CFG_PROBE_ICMP ? 0 : (uint16_t)port;
	p.size = p.type == CFG_PROBE_STAMP ? 44 : p.type == CFG_PROBE_ICMP ? 56 : 0;
	p.interval_ms = interval;
	p.timeout_ms = interval < 2000 ? interval : 2000;

	memset(&b, 0, sizeof(b));
	if (uv_loop_init(&b.loop) != 0 || (ts = calloc(n, sizeof(*ts))) == NULL)
		return 1;
	b.e = probe_engine_new(&b.loop, lg, &o);
	for (unsigned i = 0; b.e != NULL && i < n; i++)
		if ((ts[i] = probe_engine_add(b.e, &p, NULL, &b)) == NULL) {
			fprintf(stderr, "target %u not added\n", i);
			return 1;
		}
	uv_timer_init(&b.loop, &b.stop);
	uv_timer_init(&b.loop, &b.tick);
	b.tick.data = &b;
	uv_timer_start(&b.tick, on_tick, 1000, 1000);
	/* the first interval spreads the targets' first probes: not measured */
	uv_timer_start(&b.stop, on_stop, interval, 0);
	uv_run(&b.loop, UV_RUN_DEFAULT);
	probe_engine_lateness_reset(b.e);
	w0 = wall();
	c0 = cpu();
	uv_timer_start(&b.stop, on_stop, (uint64_t)secs * 1000, 0);
	uv_run(&b.loop, UV_RUN_DEFAULT);
	w1 = wall();
	c1 = cpu();
	probe_engine_expire(b.e);
	for (unsigned i = 0; i < n; i++) {
		struct probe_target_view v;

		probe_target_get(ts[i], &v);
		sent += v.st.sent;
		received += v.st.received;
		lost += v.st.lost;
		late += v.st.late;
		for (int k = 0; k < PROBE_ERR_COUNT; k++)
			errors += v.err[k];
	}
	printf("{\"mode\":\"%s\",\"targets\":%u,\"interval_ms\":%u,\"seconds\":%.1f,"
	       "\"cpu_per_wall_second\":%.4f,\"probes_per_second\":%.0f,"
	       "\"lateness_p50_us\":%.0f,\"lateness_p99_us\":%.0f,\"lateness_p999_us\":%.0f,",
	       mode, n, interval, w1 - w0, (c1 - c0) / (w1 - w0),
	       (double)n * 1000.0 / interval, probe_engine_lateness(b.e, 0.5, &count) * 1e6,
	       probe_engine_lateness(b.e, 0.99, &count) * 1e6,
	       probe_engine_lateness(b.e, 0.999, &count) * 1e6);
	printf("\"sent\":%" PRIu64 ",\"received\":%" PRIu64 ",\"lost\":%" PRIu64
	       ",\"late\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"unexpected_stale\":%" PRIu64 "}\n",
	       sent, received, lost, late, errors,
	       probe_engine_unexpected(b.e, p.type, PROBE_UNX_STALE));
	probe_engine_free(b.e);
	uv_close((uv_handle_t *)&b.stop, NULL);
	uv_close((uv_handle_t *)&b.tick, NULL);
	uv_run(&b.loop, UV_RUN_DEFAULT);
	(void)uv_loop_close(&b.loop);
	free(ts);
	log_free(lg);
	return 0;
}
