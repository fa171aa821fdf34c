/* test_vlan_acct.c — per-VLAN accounting: direction from local MACs and
 * prefixes, counts per (interface, S-tag, C-tag, direction), the key cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vlan_acct.h"

static const uint8_t our_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t their_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t other_mac[6] = {0x02, 0, 0, 0, 0, 0x03};

/* 198.18.16.0/20 and 2001:db8:40::/42 */
static const struct vlan_prefix our_prefixes[] = {
	{.family = 4, .len = 20, .addr = {198, 18, 16, 0}},
	{.family = 6, .len = 42, .addr = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x40}},
};

static struct vlan_local local(void)
{
	return (struct vlan_local){.nmacs = 1, .macs = &our_mac, .nprefixes = 2,
				   .prefixes = our_prefixes};
}

static void test_direction(void **state)
{
	struct vlan_local lo = local();
	struct vlan_match *l = vlan_match_new(&lo);
	uint8_t in20[4] = {198, 18, 31, 255}, out20[4] = {198, 18, 32, 0};
	uint8_t v6in[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x7f, 0xff};
	uint8_t v6out[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x80};
	struct vlan_frame f = {.src_mac = our_mac, .dst_mac = their_mac};
	(void)state;

	assert_non_null(l);
	assert_int_equal(vlan_match_direction(l, &f), VLAN_DIR_EGRESS);
	f.src_mac = their_mac;
	f.dst_mac = our_mac;
	assert_int_equal(vlan_match_direction(l, &f), VLAN_DIR_INGRESS);
	/* MACs say nothing: the prefixes decide, to the bit */
	f.src_mac = their_mac;
	f.dst_mac = other_mac;
	f.family = 4;
	f.src_ip = out20;
	f.dst_ip = in20;
	assert_int_equal(vlan_match_direction(l, &f), VLAN_DIR_INGRESS);
	f.src_ip = in20;
	assert_int_equal(vlan_match_direction(l, &f), VLAN_DIR_EGRESS);
	f.src_ip = out20;
	f.dst_ip = out20;
	assert_int_equal(vlan_match_direction(l, &f), VLAN_DIR_UNKNOWN);
	f.family = 6;
	f.src_ip = v6out;
	f.dst_ip = v6in;
	assert_int_equal(vlan_match_direction(l, &f), VLAN_DIR_INGRESS);
	f.dst_ip = v6out;
	assert_int_equal(vlan_match_direction(l, &f), VLAN_DIR_UNKNOWN);
	/* an IPv4 address never matches an IPv6 prefix */
	f.family = 4;
	f.src_ip = (uint8_t[]){0x20, 0x01, 0x0d, 0xb8};
	f.dst_ip = out20;
	assert_int_equal(vlan_match_direction(l, &f), VLAN_DIR_UNKNOWN);
	assert_string_equal(vlan_dir_name(VLAN_DIR_EGRESS), "egress");
	vlan_match_free(l);
	vlan_match_free(NULL);
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

/* ---- the lookup against a linear scan (issue 12 item 12c) ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void) /* xorshift64*: deterministic across runs */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1du;
}

/* The reference: addr in prefix p, bit by bit. */
static bool ref_in(const struct vlan_prefix *p, uint8_t family, const uint8_t *addr)
{
	if (p->family != family)
		return false;
	for (unsigned b = 0; b < p->len; b++)
		if (((p->addr[b / 8] ^ addr[b / 8]) >> (7 - b % 8)) & 1)
			return false;
	return true;
}

/* A random prefix of family, host bits clear; short ones and prefixes
 * near a few hot spots make nesting and overlap common. */
static void random_prefix(struct vlan_prefix *p, uint8_t family, bool any_len)
{
	unsigned bits = family == 4 ? 32 : 128;

	memset(p, 0, sizeof(*p));
	p->family = family;
	/* mostly long ones: a big set of short ones would cover everything */
	if (any_len)
		p->len = (uint8_t)(rnd() % (bits + 1));
	else
		p->len = (uint8_t)(bits / 2 + rnd() % (bits / 2 + 1));
	for (unsigned i = 0; i < bits / 8; i++)
		p->addr[i] = (uint8_t)rnd();
	if (rnd() % 2) /* a hot spot: 198.18/15 or 2001:db8::/32 */
		memcpy(p->addr, family == 4 ? (const uint8_t[]){198, 18} : (const uint8_t[]){0x20, 0x01, 0x0d, 0xb8},
		       family == 4 ? 2 : 4);
	for (unsigned b = p->len; b < bits; b++)
		p->addr[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
}

/* An address near a prefix: inside, or just past either edge. */
static void random_addr(const struct vlan_prefix *p, uint8_t *a)
{
	unsigned bits = p->family == 4 ? 32 : 128;
	int how = (int)(rnd() % 4);

	memcpy(a, p->addr, 16);
	for (unsigned b = p->len; b < bits; b++)
		if (how == 0 ? rnd() % 2 : how == 1) /* random host, or the last address */
			a[b / 8] |= (uint8_t)(0x80u >> (b % 8));
	if (how == 3) /* one below the first address (borrows through the bytes) */
		for (int i = (int)bits / 8 - 1; i >= 0 && a[i]-- == 0; i--)
			;
	if (how == 1 && rnd() % 2) /* one past the last */
		for (int i = (int)bits / 8 - 1; i >= 0 && ++a[i] == 0; i--)
			;
}

static void check_against_scan(size_t n, size_t probes)
{
	struct vlan_prefix *p = calloc(n, sizeof(*p));
	struct vlan_match *m;
	size_t hits = 0;
	uint8_t a[16];

	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		random_prefix(&p[i], rnd() % 3 ? 4 : 6, n < 100 && rnd() % 4 == 0);
	m = vlan_match_new(&(struct vlan_local){.nprefixes = n, .prefixes = p});
	assert_non_null(m);
	for (size_t k = 0; k < probes; k++) {
		const struct vlan_prefix *near = &p[rnd() % n];
		bool want = false;

		if (rnd() % 8 == 0) { /* anywhere at all */
			for (int i = 0; i < 16; i++)
				a[i] = (uint8_t)rnd();
		} else {
			random_addr(near, a);
		}
		for (size_t i = 0; i < n && !want; i++)
			want = ref_in(&p[i], near->family, a);
		hits += want;
		if (vlan_match_ip(m, near->family, a) != want)
			fail_msg("%zu prefixes, probe %zu: family %u, got %d, want %d", n, k,
				 near->family, !want, want);
	}
	/* both answers are exercised, not one of them only */
	if (probes >= 1000 && (hits < probes / 10 || hits > probes * 9 / 10))
		fail_msg("%zu prefixes: %zu of %zu probes inside", n, hits, probes);
	vlan_match_free(m);
	free(p);
}

static void test_lookup_matches_linear_scan(void **state)
{
	(void)state;
	for (int round = 0; round < 200; round++)
		check_against_scan(1 + rnd() % 40, 200);
	check_against_scan(1000, 20000);
	check_against_scan(65535, 2000); /* the config's limit */
}

/* The 65th and the 1,024th MAC count (the old table kept 64). */
static void test_many_macs(void **state)
{
	static uint8_t macs[1024][6];
	struct vlan_match *m;
	struct vlan_frame f = {0};
	uint8_t other[6] = {0x02, 0xff, 0, 0, 0, 0};
	(void)state;

	for (int i = 0; i < 1024; i++) {
		uint8_t mac[6] = {0x02, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i};

		memcpy(macs[1023 - i], mac, 6); /* descending: the table sorts them */
	}
	m = vlan_match_new(&(struct vlan_local){.nmacs = 1024, .macs = (const uint8_t(*)[6])macs});
	assert_non_null(m);
	for (int i = 0; i < 1024; i++) {
		f.src_mac = macs[i];
		f.dst_mac = other;
		assert_int_equal(vlan_match_direction(m, &f), VLAN_DIR_EGRESS);
		f.src_mac = other;
		f.dst_mac = macs[i];
		assert_int_equal(vlan_match_direction(m, &f), VLAN_DIR_INGRESS);
	}
	f.dst_mac = (uint8_t[]){0x02, 0, 0, 0, 4, 0}; /* one past the last */
	assert_int_equal(vlan_match_direction(m, &f), VLAN_DIR_UNKNOWN);
	vlan_match_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direction),
		cmocka_unit_test(test_counts_per_key),
		cmocka_unit_test(test_key_cap_counts_overflow),
		cmocka_unit_test(test_lookup_matches_linear_scan),
		cmocka_unit_test(test_many_macs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
