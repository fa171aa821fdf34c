/* test_model_circuit_index.c — cmocka tests for collector/model/circuit_index.c:
 * neighbours by address (config order, several links), peerings by VLAN
 * stack (first wins, S-tag, interface), iteration over present links,
 * peerings and neighbours, and the NULL / empty index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include "circuit_index.h"

struct fixture {
	struct cfg_neighbor n1[2], n2[1], n3[1];
	struct cfg_peering p1[2], p2[1], p3[1];
	struct cfg_circuit circuits[2];
	struct cfg_circuits cfg;
};

/* er: primary on eth1 (private vlan 100 with 198.18.1.2 AS12076 and
 * 2001:db8::2, microsoft vlan 200 without neighbours), secondary absent
 * but with a peering (not indexed). direct: secondary on eth2 S-tag 310,
 * private C-tag 100 with 198.18.1.2 AS65000 again. */
static void build(struct fixture *f)
{
	f->n1[0] = (struct cfg_neighbor){.family = AF_INET, .addr = {198, 18, 1, 2}, .asn = 12076};
	f->n1[1] = (struct cfg_neighbor){.family = AF_INET6, .addr = {0x20, 0x01, 0x0d, 0xb8,
								      [15] = 2}, .asn = 12076};
	f->n2[0] = (struct cfg_neighbor){.family = AF_INET, .addr = {198, 18, 1, 2}, .asn = 65000};
	f->n3[0] = (struct cfg_neighbor){.family = AF_INET, .addr = {198, 18, 9, 9}, .asn = 1};
	f->p1[0] = (struct cfg_peering){.type = CFG_PEERING_PRIVATE, .vlan = 100, .nneighbors = 2,
					.neighbors = f->n1};
	f->p1[1] = (struct cfg_peering){.type = CFG_PEERING_MICROSOFT, .vlan = 200};
	f->p2[0] = (struct cfg_peering){.type = CFG_PEERING_PRIVATE, .vlan = 100, .nneighbors = 1,
					.neighbors = f->n2};
	f->p3[0] = (struct cfg_peering){.type = CFG_PEERING_PRIVATE, .vlan = 300, .nneighbors = 1,
					.neighbors = f->n3};
	f->circuits[0].id = "er";
	f->circuits[0].links[0] = (struct cfg_link){.present = true, .interface = "eth1",
						    .npeerings = 2, .peerings = f->p1};
	f->circuits[0].links[1] = (struct cfg_link){.present = false, .interface = "eth9",
						    .npeerings = 1, .peerings = f->p3};
	f->circuits[1].id = "direct";
	f->circuits[1].links[1] = (struct cfg_link){.present = true, .interface = "eth2",
						    .s_tag = 310, .npeerings = 1, .peerings = f->p2};
	f->cfg = (struct cfg_circuits){.ncircuits = 2, .circuits = f->circuits};
}

static void test_by_address(void **state)
{
	struct fixture f = {0};
	struct circuit_index *ix;
	const struct circuit_ref *const *v;
	const uint8_t a4[4] = {198, 18, 1, 2}, a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
	size_t n;

	(void)state;
	build(&f);
	ix = circuit_index_new(&f.cfg);
	assert_non_null(ix);
	v = circuit_index_by_address(ix, 4, a4, &n);
	assert_int_equal(n, 2); /* on two links, in config order */
	assert_string_equal(v[0]->circuit->id, "er");
	assert_int_equal(v[0]->role, CFG_LINK_PRIMARY);
	assert_ptr_equal(v[0]->peering, &f.p1[0]);
	assert_int_equal(v[0]->neighbor->asn, 12076);
	assert_string_equal(v[1]->circuit->id, "direct");
	assert_int_equal(v[1]->role, CFG_LINK_SECONDARY);
	assert_ptr_equal(v[1]->link, &f.circuits[1].links[1]);
	v = circuit_index_by_address(ix, 6, a6, &n);
	assert_int_equal(n, 1);
	assert_ptr_equal(v[0]->neighbor, &f.n1[1]);
	/* the same bytes as the other family, an absent link, a bad family */
	assert_null(circuit_index_by_address(ix, 6, (const uint8_t[16]){198, 18, 1, 2}, &n));
	assert_int_equal(n, 0);
	assert_null(circuit_index_by_address(ix, 4, (const uint8_t[4]){198, 18, 9, 9}, &n));
	assert_null(circuit_index_by_address(ix, 5, a4, &n));
	circuit_index_free(ix);
}

static void test_by_vlan(void **state)
{
	struct fixture f = {0};
	struct circuit_index *ix;
	const struct circuit_ref *r;

	(void)state;
	build(&f);
	f.p1[1].vlan = 100; /* a duplicate stack: the first in config order wins */
	ix = circuit_index_new(&f.cfg);
	assert_non_null(ix);
	r = circuit_index_by_vlan(ix, "eth1", 0, 100);
	assert_non_null(r);
	assert_ptr_equal(r->peering, &f.p1[0]);
	assert_null(r->neighbor);
	r = circuit_index_by_vlan(ix, "eth2", 310, 100);
	assert_non_null(r);
	assert_string_equal(r->circuit->id, "direct");
	assert_int_equal(r->role, CFG_LINK_SECONDARY);
	assert_null(circuit_index_by_vlan(ix, "eth2", 0, 100));   /* S-tag missing */
	assert_null(circuit_index_by_vlan(ix, "eth1", 0, 101));   /* another VLAN */
	assert_null(circuit_index_by_vlan(ix, "eth9", 0, 300));   /* an absent link */
	assert_null(circuit_index_by_vlan(ix, NULL, 0, 100));
	circuit_index_free(ix);
}

static void test_iteration(void **state)
{
	struct fixture f = {0};
	struct circuit_index *ix;
	const struct circuit_ref *v;
	size_t n;

	(void)state;
	build(&f);
	ix = circuit_index_new(&f.cfg);
	assert_non_null(ix);
	assert_int_equal(circuit_index_ncircuits(ix), 2);
	assert_ptr_equal(circuit_index_circuit(ix, 1), &f.circuits[1]);
	assert_null(circuit_index_circuit(ix, 2));
	v = circuit_index_links(ix, &n);
	assert_int_equal(n, 2); /* the absent secondary of er is not one */
	assert_null(v[0].peering);
	assert_string_equal(v[1].link->interface, "eth2");
	v = circuit_index_peerings(ix, &n);
	assert_int_equal(n, 3);
	assert_ptr_equal(v[1].peering, &f.p1[1]);
	v = circuit_index_neighbours(ix, &n);
	assert_int_equal(n, 3);
	assert_ptr_equal(v[2].neighbor, &f.n2[0]);
	circuit_index_free(ix);
}

static void test_empty(void **state)
{
	struct circuit_index *ix = circuit_index_new(NULL);
	size_t n = 9;

	(void)state;
	assert_non_null(ix);
	assert_int_equal(circuit_index_ncircuits(ix), 0);
	assert_null(circuit_index_links(ix, &n));
	assert_int_equal(n, 0);
	circuit_index_free(ix);
	/* a NULL index is an empty one */
	assert_int_equal(circuit_index_ncircuits(NULL), 0);
	assert_null(circuit_index_neighbours(NULL, &n));
	assert_null(circuit_index_by_address(NULL, 4, (const uint8_t[4]){1, 2, 3, 4}, &n));
	assert_null(circuit_index_by_vlan(NULL, "eth1", 0, 100));
	circuit_index_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_address),
		cmocka_unit_test(test_by_vlan),
		cmocka_unit_test(test_iteration),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests_name("model_circuit_index", tests, NULL, NULL);
}
