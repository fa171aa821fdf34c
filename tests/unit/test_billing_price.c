/* test_billing_price.c — cmocka tests for collector/billing/price.c:
 * tiered and zoned egress, hourly vs monthly fees, add-ons, unlimited
 * plans, projections, break-even, budget thresholds and the recent rate
 * window. The traffic totals billing reads: test_model_traffic.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "price.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define GB 1000000000ull
#define TB 1000000000000ull
#define G1 1000000000ull /* 1 Gbps */

static void near(double got, double want)
{
	if (fabs(got - want) > 1e-6 * (fabs(want) > 1 ? fabs(want) : 1)) {
		fprintf(stderr, "want %.9f, got %.9f\n", want, got);
		fail();
	}
}

/* ---- plans built in code (the config parser is tested elsewhere) ---- */

static struct cfg_fee port_monthly[] = {{G1, "1Gbps", CFG_FEE_MONTHLY, 436}};
static struct cfg_fee port_hourly[] = {{G1, "1Gbps", CFG_FEE_HOURLY, 0.30},
				       {10 * G1, "10Gbps", CFG_FEE_HOURLY, 2.25}};
static struct cfg_fee premium_fees[] = {{G1, "1Gbps", CFG_FEE_MONTHLY, 650}};
static struct cfg_add_on premium[] = {{"premium", 1, premium_fees}};
static struct cfg_tier zone1_tiers[] = {{0, NULL, 0.025}};
static struct cfg_tier zone3_tiers[] = {{0, NULL, 0.14}};
static struct cfg_tier tiered[] = {{10 * TB, "10TB", 0.025}, {50 * TB, "50TB", 0.02},
				   {0, NULL, 0.015}};
static struct cfg_egress_zone er_zones[] = {{"zone1", 1, zone1_tiers, 0.025},
					    {"zone3", 1, zone3_tiers, 0.14}};
static struct cfg_egress_zone tier_zone[] = {{"default", 3, tiered, 0}};
static struct cfg_fee unl_fees[] = {{G1, "1Gbps", CFG_FEE_MONTHLY, 5700}};

static const struct cfg_plan er_metered = {
	.name = "er-metered", .currency = "USD", .unit = CFG_UNIT_GB, .nport_fees = 1,
	.port_fees = port_monthly, .negress = 2, .egress = er_zones,
};
static const struct cfg_plan er_premium = {
	.name = "er-premium", .currency = "USD", .unit = CFG_UNIT_GB, .nport_fees = 1,
	.port_fees = port_monthly, .negress = 2, .egress = er_zones, .nadd_ons = 1,
	.add_ons = premium,
};
static const struct cfg_plan er_unlimited = {
	.name = "er-unlimited", .currency = "USD", .unlimited = true, .nport_fees = 1,
	.port_fees = unl_fees,
};
static const struct cfg_plan dx = {
	.name = "dx", .currency = "USD", .unit = CFG_UNIT_GB, .nport_fees = 2,
	.port_fees = port_hourly, .negress = 2, .egress = er_zones,
};
static const struct cfg_plan tier_plan = {
	.name = "tiered", .currency = "EUR", .unit = CFG_UNIT_GB, .nport_fees = 1,
	.port_fees = port_monthly, .negress = 1, .egress = tier_zone,
};

static void test_zoned_egress(void **state)
{
	struct bill_cost c;

	(void)state;
	assert_int_equal(bill_cost(&er_metered, G1, "zone1", 1000 * GB, 720, &c), 0);
	near(c.port, 436);
	near(c.egress, 25);
	near(c.total, 461);
	assert_int_equal(bill_cost(&er_metered, G1, "zone3", 1000 * GB, 720, &c), 0);
	near(c.egress, 140);
	/* missing zone, missing bandwidth */
	assert_int_equal(bill_cost(&er_metered, G1, "zone2", 1, 720, &c), -1);
	assert_int_equal(bill_cost(&er_metered, 10 * G1, "zone1", 1, 720, &c), -1);
}

static void test_tiers(void **state)
{
	double e;

	(void)state;
	assert_int_equal(bill_egress_cost(&tier_plan, "default", 0, &e), 0);
	near(e, 0);
	assert_int_equal(bill_egress_cost(&tier_plan, "default", 4 * TB, &e), 0);
	near(e, 4000 * 0.025);
	assert_int_equal(bill_egress_cost(&tier_plan, "default", 10 * TB, &e), 0);
	near(e, 250);
	/* 30 TB: 10 TB at 0.025, 20 TB at 0.02 */
	assert_int_equal(bill_egress_cost(&tier_plan, "default", 30 * TB, &e), 0);
	near(e, 250 + 400);
	/* 80 TB: + 40 TB at 0.02 and 30 TB at 0.015 */
	assert_int_equal(bill_egress_cost(&tier_plan, "default", 80 * TB, &e), 0);
	near(e, 250 + 800 + 450);
}

static void test_units(void **state)
{
	struct cfg_plan gib = er_metered;
	double e;

	(void)state;
	gib.unit = CFG_UNIT_GIB;
	assert_int_equal(bill_egress_cost(&gib, "zone1", 1073741824ull * 100, &e), 0);
	near(e, 2.5);
	assert_int_equal(bill_egress_cost(&er_metered, "zone1", 1073741824ull * 100, &e), 0);
	near(e, 107.3741824 * 0.025);
}

static void test_hourly_monthly_addons(void **state)
{
	struct bill_cost c;

	(void)state;
	/* hourly: 0.30 x hours of the cycle so far; monthly: the whole fee at once */
	assert_int_equal(bill_cost(&dx, G1, "zone1", 0, 10, &c), 0);
	near(c.port, 3.0);
	assert_int_equal(bill_cost(&dx, 10 * G1, "zone1", 0, 744, &c), 0);
	near(c.port, 2.25 * 744);
	assert_int_equal(bill_cost(&er_metered, G1, "zone1", 0, 10, &c), 0);
	near(c.port, 436);
	/* premium add-on on top */
	assert_int_equal(bill_cost(&er_premium, G1, "zone1", 2000 * GB, 10, &c), 0);
	near(c.add_ons, 650);
	near(c.total, 436 + 650 + 50);
	/* unlimited: no egress charge at any volume */
	assert_int_equal(bill_cost(&er_unlimited, G1, NULL, 1000 * TB, 10, &c), 0);
	near(c.egress, 0);
	near(c.total, 5700);
}

static void test_projections(void **state)
{
	(void)state;
	/* 10 days of a 30-day cycle with 300 GB: 900 GB at the end */
	near(bill_project_linear(300e9, 10 * 86400.0, 30 * 86400.0), 900e9);
	near(bill_project_linear(300e9, 0.5, 30 * 86400.0), 300e9); /* too early to scale */
	near(bill_project_linear(300e9, 30 * 86400.0, 30 * 86400.0), 300e9);
	/* recent: 1 MB/s for the remaining 20 days */
	near(bill_project_recent(300e9, 1e6, 20 * 86400.0), 300e9 + 1e6 * 20 * 86400);
	near(bill_project_recent(300e9, 0, 20 * 86400.0), 300e9);
}

static void test_break_even(void **state)
{
	double b;
	struct bill_cost m, u;

	(void)state;
	/* 5700 - 436 = 5264 USD of egress at 0.025/GB = 210,560 GB */
	assert_int_equal(bill_break_even(&er_metered, &er_unlimited, G1, "zone1", 720, &b), 0);
	near(b, 210560e9);
	assert_int_equal(bill_cost(&er_metered, G1, "zone1", (uint64_t)b, 720, &m), 0);
	assert_int_equal(bill_cost(&er_unlimited, G1, NULL, 0, 720, &u), 0);
	near(m.total, u.total);
	/* tiered: 5700 - 436 = 5264 = 250 (10 TB) + 800 (40 TB) + x * 0.015 */
	{
		struct cfg_plan t = tier_plan;

		t.currency = "USD";
		assert_int_equal(bill_break_even(&t, &er_unlimited, G1, "default", 720, &b), 0);
		near(b, 50e12 + (5264 - 1050) / 0.015 * 1e9);
		assert_int_equal(bill_cost(&t, G1, "default", (uint64_t)b, 720, &m), 0);
		near(m.total, 5700);
	}
	/* the unlimited plan cheaper than the metered fixed part: 0 */
	{
		struct cfg_fee cheap[] = {{G1, "1Gbps", CFG_FEE_MONTHLY, 100}};
		struct cfg_plan u2 = er_unlimited;

		u2.port_fees = cheap;
		assert_int_equal(bill_break_even(&er_metered, &u2, G1, "zone1", 720, &b), 0);
		near(b, 0);
	}
	/* a free last tier: never */
	{
		struct cfg_tier free_tiers[] = {{1 * TB, "1TB", 0.05}, {0, NULL, 0}};
		struct cfg_egress_zone z[] = {{"default", 2, free_tiers, 0}};
		struct cfg_plan f = tier_plan;

		f.egress = z;
		assert_int_equal(bill_break_even(&f, &er_unlimited, G1, "default", 720, &b), -1);
	}
	/* wrong kinds of plans */
	assert_int_equal(bill_break_even(&er_unlimited, &er_metered, G1, "zone1", 720, &b), -1);
}

static void test_budget(void **state)
{
	static const double th[] = {0.5, 0.8, 1.0};
	struct bill_budget_status s;

	(void)state;
	bill_budget(th, 3, 1000, 400, 900, &s);
	near(s.ratio, 0.4);
	assert_int_equal(s.crossed, 0);
	assert_int_equal(s.projected, 0x3); /* 0.9: 50 % and 80 % */
	near(s.overrun, -100);
	bill_budget(th, 3, 1000, 800, 1200, &s);
	assert_int_equal(s.crossed, 0x3); /* exactly 80 % counts */
	assert_int_equal(s.projected, 0x7);
	near(s.overrun, 200);
	bill_budget(th, 3, 1000, 1500, 1500, &s);
	assert_int_equal(s.crossed, 0x7);
	bill_budget(th, 3, 0, 1, 1, &s);
	assert_true(isinf(s.ratio));
	assert_int_equal(s.crossed, 0x7);
}

static void test_window(void **state)
{
	struct bill_window w;
	double r;

	(void)state;
	memset(&w, 0, sizeof w);
	assert_int_equal(bill_window_rate(&w, 0, 3600, &r), -1);
	bill_window_push(&w, 1000, 0, 3600);
	assert_int_equal(bill_window_rate(&w, 1000, 3600, &r), -1);
	/* 1 s ticks for two hours at 1000 B/s, then 5000 B/s for the last hour */
	for (int64_t t = 1001; t <= 1000 + 7200; t++) {
		double bytes = t <= 4600 ? (double)(t - 1000) * 1000
					 : 3600000.0 + (double)(t - 4600) * 5000;
		bill_window_push(&w, t, bytes, 3600);
	}
	assert_true(w.n <= BILL_WINDOW_SLOTS);
	assert_int_equal(bill_window_rate(&w, 8200, 3600, &r), 0);
	/* the oldest sample in the window is at most one spacing (56 s) early */
	assert_true(r > 4700 && r <= 5000);
	bill_window_reset(&w);
	assert_int_equal(bill_window_rate(&w, 8200, 3600, &r), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zoned_egress),
		cmocka_unit_test(test_tiers),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_hourly_monthly_addons),
		cmocka_unit_test(test_projections),
		cmocka_unit_test(test_break_even),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_window),
	};

	return cmocka_run_group_tests_name("billing_price", tests, NULL, NULL);
}
