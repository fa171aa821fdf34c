/* test_vlan_acct.c — per-VLAN accounting: direction from local MACs and
 * prefixes, counts per (interface, S-tag, C-tag, direction), the key cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "vlan_acct.h"

static const uint8_t our_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t their_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t other_mac[6] = {0x02, 0, 0, 0, 0, 0x03};

static struct vlan_local local(void)
{
	struct vlan_local l = {.nmacs = 1, .nprefixes = 2};

	memcpy(l.macs[0], our_mac, 6);
	/* 198.18.16.0/20 and 2001:db8:40::/42 */
	l.prefixes[0].family = 4;
	l.prefixes[0].len = 20;
	memcpy(l.prefixes[0].addr, (uint8_t[]){198, 18, 16, 0}, 4);
	l.prefixes[1].family = 6;
	l.prefixes[1].len = 42;
	memcpy(l.prefixes[1].addr, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8, 0x00, 0x40}, 6);
	return l;
}

static void test_direction(void **state)
{
	struct vlan_local l = local();
	uint8_t in20[4] = {198, 18, 31, 255}, out20[4] = {198, 18, 32, 0};
	uint8_t v6in[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x7f, 0xff};
	uint8_t v6out[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x80};
	struct vlan_frame f = {.src_mac = our_mac, .dst_mac = their_mac};
	(void)state;

	assert_int_equal(vlan_acct_direction(&l, &f), VLAN_DIR_EGRESS);
	f.src_mac = their_mac;
	f.dst_mac = our_mac;
	assert_int_equal(vlan_acct_direction(&l, &f), VLAN_DIR_INGRESS);
	/* MACs say nothing: the prefixes decide, to the bit */
	f.src_mac = their_mac;
	f.dst_mac = other_mac;
	f.family = 4;
	f.src_ip = out20;
	f.dst_ip = in20;
	assert_int_equal(vlan_acct_direction(&l, &f), VLAN_DIR_INGRESS);
	f.src_ip = in20;
	assert_int_equal(vlan_acct_direction(&l, &f), VLAN_DIR_EGRESS);
	f.src_ip = out20;
	f.dst_ip = out20;
	assert_int_equal(vlan_acct_direction(&l, &f), VLAN_DIR_UNKNOWN);
	f.family = 6;
	f.src_ip = v6out;
	f.dst_ip = v6in;
	assert_int_equal(vlan_acct_direction(&l, &f), VLAN_DIR_INGRESS);
	f.dst_ip = v6out;
	assert_int_equal(vlan_acct_direction(&l, &f), VLAN_DIR_UNKNOWN);
	/* an IPv4 address never matches an IPv6 prefix */
	f.family = 4;
	f.src_ip = (uint8_t[]){0x20, 0x01, 0x0d, 0xb8};
	f.dst_ip = out20;
	assert_int_equal(vlan_acct_direction(&l, &f), VLAN_DIR_UNKNOWN);
	assert_string_equal(vlan_dir_name(VLAN_DIR_EGRESS), "egress");
}

struct sum {
	uint64_t bytes, packets;
	size_t keys;
	int found_qinq_egress;
};

static int sum_fn(const struct vlan_key *k, const struct vlan_counts *c, void *arg)
{
	struct sum *s = arg;

	s->bytes += c->bytes;
	s->packets += c->packets;
	s->keys++;
	if (strcmp(k->ifname, "eth1") == 0 && k->s_tag == 300 && k->c_tag == 110 &&
	    k->dir == VLAN_DIR_EGRESS) {
		assert_int_equal(c->packets, 2);
		assert_int_equal(c->bytes, 1500 + 64);
		s->found_qinq_egress = 1;
	}
	return 0;
}

static void test_counts_per_key(void **state)
{
	struct vlan_local l = local();
	struct vlan_acct *a = vlan_acct_new(&l);
	struct vlan_frame out = {.src_mac = our_mac, .dst_mac = their_mac, .s_tag = 300,
				 .c_tag = 110, .wire_len = 1500};
	struct vlan_frame in = {.src_mac = their_mac, .dst_mac = our_mac, .s_tag = 300,
				.c_tag = 110, .wire_len = 100};
	struct vlan_frame single = {.src_mac = their_mac, .dst_mac = our_mac, .c_tag = 100,
				    .wire_len = 60};
	struct sum s = {0};
	(void)state;

	assert_non_null(a);
	vlan_acct_add(a, "eth1", &out);
	out.wire_len = 64;
	vlan_acct_add(a, "eth1", &out);
	vlan_acct_add(a, "eth1", &in);
	vlan_acct_add(a, "eth1", &single);
	vlan_acct_add(a, "eth2", &single); /* another interface, another key */
	assert_int_equal(vlan_acct_keys(a), 4);
	assert_int_equal(vlan_acct_walk(a, sum_fn, &s), 0);
	assert_int_equal(s.keys, 4);
	assert_int_equal(s.packets, 5);
	assert_int_equal(s.bytes, 1500 + 64 + 100 + 60 + 60);
	assert_int_equal(s.found_qinq_egress, 1);
	vlan_acct_free(a);
	vlan_acct_free(NULL);
}

static void test_key_cap_counts_overflow(void **state)
{
	struct vlan_acct *a = vlan_acct_new(NULL);
	struct vlan_frame f = {.wire_len = 10};
	(void)state;

	for (unsigned i = 0; i < VLAN_ACCT_MAX_KEYS + 10; i++) {
		f.s_tag = (uint16_t)(1 + i / 4094);
		f.c_tag = (uint16_t)(1 + i % 4094);
		vlan_acct_add(a, "eth9", &f);
	}
	assert_int_equal(vlan_acct_keys(a), VLAN_ACCT_MAX_KEYS);
	assert_int_equal(vlan_acct_overflow(a)->packets, 10);
	assert_int_equal(vlan_acct_overflow(a)->bytes, 100);
	vlan_acct_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direction),
		cmocka_unit_test(test_counts_per_key),
		cmocka_unit_test(test_key_cap_counts_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
