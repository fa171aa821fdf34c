/* bench_billing.c — figures for billing's hot paths: a zone offset from
 * the footer rule, a cycle lookup, pricing a tiered plan, and one save of
 * the state file for N circuits (what every persist_interval costs).
 *
 * Usage: bench_billing [CIRCUITS [DIR]] (default 4096 circuits, /tmp). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cycle.h"
#include "price.h"
#include "state.h"
#include "tz.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 4096;
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	static struct cfg_tier tiers[] = {{10000000000000ull, "10TB", 0.025},
					  {50000000000000ull, "50TB", 0.02}, {0, NULL, 0.015}};
	static struct cfg_egress_zone zone[] = {{"z", 3, tiers, 0}};
	static struct cfg_fee fees[] = {{1000000000ull, "1Gbps", CFG_FEE_HOURLY, 0.3}};
	const struct cfg_plan plan = {.name = "p", .currency = "USD", .nport_fees = 1,
				      .port_fees = fees, .negress = 1, .egress = zone};
	struct bill_tz *tz = NULL;
	enum bill_tz_error err;
	struct bill_state st = {.written = 1796000000, .n = n};
	struct bill_cycle c;
	struct bill_cost cost;
	volatile double sink = 0;
	const int iters = 1000000;
	double t0, t1;
	char e[256];

	if (bill_tz_load(NULL, "Europe/Berlin", &tz, &err) < 0) {
		fprintf(stderr, "Europe/Berlin: %s\n", bill_tz_error_name(err));
		return 1;
	}
	t0 = now_s();
	for (int i = 0; i < iters; i++)
		sink += bill_tz_offset(tz, 1796000000 + (int64_t)i * 1000);
	t1 = now_s();
	printf("tz offset (footer rule):  %.0f ns/call\n", (t1 - t0) / iters * 1e9);
	t0 = now_s();
	for (int i = 0; i < iters; i++)
		if (bill_cycle_at(tz, 1, 0, 1796000000 + (int64_t)i * 1000, &c) == 0)
			sink += (double)c.start;
	t1 = now_s();
	printf("cycle lookup (Berlin):    %.0f ns/call\n", (t1 - t0) / iters * 1e9);
	t0 = now_s();
	for (int i = 0; i < iters; i++)
		if (bill_cost(&plan, 1000000000ull, "z", (uint64_t)i * 100000000ull, 720, &cost) == 0)
			sink += cost.total;
	t1 = now_s();
	printf("cost of a 3-tier plan:    %.0f ns/call\n", (t1 - t0) / iters * 1e9);
	st.v = calloc(n, sizeof *st.v);
	for (size_t i = 0; st.v && i < n; i++) {
		snprintf(st.v[i].id, sizeof st.v[i].id, "circuit-%05zu", i);
		st.v[i].cur = (struct bill_state_cycle){true, 1796083200, 1798761600,
							{123456789, 98765432109ull}, 0};
		st.v[i].prev = (struct bill_state_cycle){true, 1793491200, 1796083200, {1, 2}, 461.25};
	}
	for (int round = 0; round < 5 && st.v; round++) {
		t0 = now_s();
		if (bill_state_write(dir, &st, e, sizeof e) < 0) {
			fprintf(stderr, "write: %s\n", e);
			return 1;
		}
		t1 = now_s();
		printf("state save, %zu circuits (encode, write, fsync, rename, fsync dir): %.1f ms\n", n,
		       (t1 - t0) * 1e3);
	}
	free(st.v);
	bill_tz_free(tz);
	return sink == 42 ? 1 : 0;
}
