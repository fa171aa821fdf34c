/* test_model_traffic.c — cmocka tests for collector/model/traffic.c, the
 * traffic per circuit that sources report and billing reads: deltas,
 * VLAN mapping, resets, caps, and the pass listener. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "circuit_index.h"
#include "traffic.h"

static void test_traffic(void **state)
{
	struct model_traffic *m = traffic_new();

	(void)state;
	assert_non_null(m);
	assert_int_equal(traffic_add(m, "c1", CFG_LINK_PRIMARY, TRAFFIC_FROM_CLOUD, 100,
				     CFG_BILL_SOURCE_INTERFACES), 0);
	assert_int_equal(traffic_add(m, "c1", CFG_LINK_SECONDARY, TRAFFIC_FROM_CLOUD, 50,
				     CFG_BILL_SOURCE_INTERFACES), 0);
	assert_int_equal(traffic_add(m, "c1", CFG_LINK_PRIMARY, TRAFFIC_TO_CLOUD, 7,
				     CFG_BILL_SOURCE_CAPTURE), 0);
	assert_int_equal(traffic_total(m, "c1", TRAFFIC_FROM_CLOUD, CFG_BILL_SOURCE_INTERFACES), 150);
	assert_int_equal(traffic_total(m, "c1", TRAFFIC_FROM_CLOUD, CFG_BILL_SOURCE_CAPTURE), 0);
	assert_int_equal(traffic_total(m, "c1", TRAFFIC_TO_CLOUD, CFG_BILL_SOURCE_CAPTURE), 7);
	assert_int_equal(traffic_total(m, "nope", TRAFFIC_FROM_CLOUD, CFG_BILL_SOURCE_INTERFACES), 0);
	/* bad arguments are refused and counted */
	assert_int_equal(traffic_add(m, NULL, CFG_LINK_PRIMARY, TRAFFIC_FROM_CLOUD, 1,
				     CFG_BILL_SOURCE_INTERFACES), -1);
	assert_int_equal(traffic_add(m, "c1", CFG_LINK_COUNT, TRAFFIC_FROM_CLOUD, 1,
				     CFG_BILL_SOURCE_INTERFACES), -1);
	assert_int_equal(traffic_add(m, "c1", CFG_LINK_PRIMARY, TRAFFIC_DIR_COUNT, 1,
				     CFG_BILL_SOURCE_INTERFACES), -1);
	assert_int_equal(traffic_dropped(m), 3);
	/* NULL traffic: no-ops */
	assert_int_equal(traffic_add(NULL, "c1", CFG_LINK_PRIMARY, TRAFFIC_FROM_CLOUD, 1,
				     CFG_BILL_SOURCE_INTERFACES), -1);
	assert_int_equal(traffic_total(NULL, "c1", TRAFFIC_FROM_CLOUD, CFG_BILL_SOURCE_INTERFACES), 0);
	traffic_free(m);
	traffic_free(NULL);
}

static void test_traffic_cap(void **state)
{
	struct model_traffic *m = traffic_new();
	char id[16];

	(void)state;
	for (unsigned i = 0; i < TRAFFIC_MAX_CIRCUITS; i++) {
		snprintf(id, sizeof id, "c%u", i);
		assert_int_equal(traffic_add(m, id, CFG_LINK_PRIMARY, TRAFFIC_FROM_CLOUD, 1,
					     CFG_BILL_SOURCE_INTERFACES), 0);
	}
	assert_int_equal(traffic_add(m, "one-more", CFG_LINK_PRIMARY, TRAFFIC_FROM_CLOUD, 1,
				     CFG_BILL_SOURCE_INTERFACES), -1);
	assert_int_equal(traffic_dropped(m), 1);
	/* existing ones still count */
	assert_int_equal(traffic_add(m, "c0", CFG_LINK_PRIMARY, TRAFFIC_FROM_CLOUD, 1,
				     CFG_BILL_SOURCE_INTERFACES), 0);
	assert_int_equal(traffic_total(m, "c0", TRAFFIC_FROM_CLOUD, CFG_BILL_SOURCE_INTERFACES), 2);
	traffic_free(m);
}

static void test_traffic_vlan(void **state)
{
	struct cfg_peering p1[] = {{.type = CFG_PEERING_PRIVATE, .vlan = 100},
				   {.type = CFG_PEERING_MICROSOFT, .vlan = 200}};
	struct cfg_peering p2[] = {{.type = CFG_PEERING_PRIVATE, .vlan = 10}};
	struct cfg_circuit circuits[2] = {0};
	struct cfg_circuits cfg = {.ncircuits = 2, .circuits = circuits};
	struct model_traffic *m = traffic_new();
	struct circuit_index *ix;

	(void)state;
	circuits[0].id = "er";
	circuits[0].links[0] = (struct cfg_link){.present = true, .interface = "eth1",
						 .npeerings = 2, .peerings = p1};
	circuits[1].id = "direct";
	circuits[1].links[1] = (struct cfg_link){.present = true, .interface = "eth2", .s_tag = 310,
						 .npeerings = 1, .peerings = p2};
	ix = circuit_index_new(&cfg);
	assert_non_null(ix);
	/* cumulative counters in, deltas counted */
	traffic_vlan(m, ix, "eth1", 0, 100, TRAFFIC_FROM_CLOUD, 1000);
	traffic_vlan(m, ix, "eth1", 0, 100, TRAFFIC_FROM_CLOUD, 1500);
	traffic_vlan(m, ix, "eth1", 0, 200, TRAFFIC_FROM_CLOUD, 10);
	traffic_vlan(m, ix, "eth1", 0, 100, TRAFFIC_TO_CLOUD, 3);
	assert_int_equal(traffic_total(m, "er", TRAFFIC_FROM_CLOUD, CFG_BILL_SOURCE_CAPTURE), 1510);
	assert_int_equal(traffic_total(m, "er", TRAFFIC_TO_CLOUD, CFG_BILL_SOURCE_CAPTURE), 3);
	/* a restarted capture (counter went down) counts from zero */
	traffic_vlan(m, ix, "eth1", 0, 100, TRAFFIC_FROM_CLOUD, 40);
	assert_int_equal(traffic_total(m, "er", TRAFFIC_FROM_CLOUD, CFG_BILL_SOURCE_CAPTURE), 1550);
	/* not a peering: another VLAN, another interface, a missing S-tag */
	traffic_vlan(m, ix, "eth1", 0, 101, TRAFFIC_FROM_CLOUD, 99);
	traffic_vlan(m, ix, "eth9", 0, 100, TRAFFIC_FROM_CLOUD, 99);
	traffic_vlan(m, ix, "eth2", 0, 10, TRAFFIC_FROM_CLOUD, 99);
	assert_int_equal(traffic_total(m, "er", TRAFFIC_FROM_CLOUD, CFG_BILL_SOURCE_CAPTURE), 1550);
	assert_int_equal(traffic_total(m, "direct", TRAFFIC_FROM_CLOUD, CFG_BILL_SOURCE_CAPTURE), 0);
	/* QinQ: S-tag of the link, C-tag of the peering */
	traffic_vlan(m, ix, "eth2", 310, 10, TRAFFIC_FROM_CLOUD, 77);
	assert_int_equal(traffic_total(m, "direct", TRAFFIC_FROM_CLOUD, CFG_BILL_SOURCE_CAPTURE), 77);
	/* a name too long for an interface is ignored */
	traffic_vlan(m, ix, "a-very-long-interface-name", 0, 100, TRAFFIC_FROM_CLOUD, 5);
	assert_int_equal(traffic_dropped(m), 0);
	traffic_free(m);
	circuit_index_free(ix);
}

/* The consumer hears of each pass with the source's period, sees the
 * pass's bytes in the totals at once, and can stop listening. */
struct heard {
	struct model_traffic *m;
	int calls;
	uint32_t interval_ms;
	uint64_t total;
};

static void on_pass(void *arg, uint32_t interval_ms)
{
	struct heard *h = arg;

	h->calls++;
	h->interval_ms = interval_ms;
	h->total = traffic_total(h->m, "c1", TRAFFIC_FROM_CLOUD, CFG_BILL_SOURCE_INTERFACES);
}

static void test_traffic_pass_listener(void **state)
{
	struct heard h = {.m = traffic_new()};

	(void)state;
	assert_non_null(h.m);
	traffic_pass_done(h.m, 1000); /* nobody listens: nothing happens */
	traffic_set_listener(h.m, on_pass, &h);
	assert_int_equal(traffic_add(h.m, "c1", CFG_LINK_PRIMARY, TRAFFIC_FROM_CLOUD, 123,
				     CFG_BILL_SOURCE_INTERFACES), 0);
	traffic_pass_done(h.m, 2500);
	assert_int_equal(h.calls, 1);
	assert_int_equal(h.interval_ms, 2500);
	assert_int_equal(h.total, 123); /* the same pass's bytes */
	traffic_set_listener(h.m, NULL, &h);
	traffic_pass_done(h.m, 1000);
	assert_int_equal(h.calls, 1);
	traffic_pass_done(NULL, 1000);
	traffic_free(h.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_traffic),
		cmocka_unit_test(test_traffic_cap),
		cmocka_unit_test(test_traffic_vlan),
		cmocka_unit_test(test_traffic_pass_listener),
	};

	return cmocka_run_group_tests_name("model_traffic", tests, NULL, NULL);
}
