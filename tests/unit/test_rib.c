/* test_rib.c — route tables and interned attribute sets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rib.h"

static struct rib_prefix v4(uint8_t a, uint8_t b, uint8_t c, uint8_t len, uint32_t path_id)
{
	struct rib_prefix p = {.family = 4, .len = len, .path_id = path_id};

	p.addr[0] = a;
	p.addr[1] = b;
	p.addr[2] = c;
	return p;
}

static void test_intern_shares_and_frees(void **state)
{
	struct rib *rib = rib_new();
	const uint8_t a[] = {0x40, 1, 1, 0}, b[] = {0x40, 1, 1, 2};
	rib_attr_id x, y, z;
	const uint8_t *bytes;
	size_t len;
	(void)state;

	assert_non_null(rib);
	x = rib_attrs_intern(rib, a, sizeof(a));
	y = rib_attrs_intern(rib, b, sizeof(b));
	z = rib_attrs_intern(rib, a, sizeof(a));
	assert_true(x != 0 && y != 0);
	assert_int_equal(x, z);
	assert_int_not_equal(x, y);
	assert_int_equal(rib_attrs_count(rib), 2);
	bytes = rib_attrs_bytes(rib, y, &len);
	assert_int_equal(len, sizeof(b));
	assert_memory_equal(bytes, b, sizeof(b));
	rib_attrs_unref(rib, x);
	assert_int_equal(rib_attrs_count(rib), 2); /* z still holds it */
	rib_attrs_unref(rib, z);
	assert_int_equal(rib_attrs_count(rib), 1);
	/* gone: interning the same bytes again works and the id is reused */
	x = rib_attrs_intern(rib, a, sizeof(a));
	assert_int_not_equal(x, 0);
	assert_int_equal(rib_attrs_count(rib), 2);
	assert_int_equal(rib_attrs_intern(rib, a, 0), 0);
	rib_attrs_unref(rib, x);
	rib_attrs_unref(rib, y);
	rib_attrs_unref(rib, 0);
	assert_int_equal(rib_attrs_count(rib), 0);
	rib_free(rib);
}

static void test_announce_withdraw_states(void **state)
{
	struct rib *rib = rib_new();
	struct rib_table *t = rib_table_new(rib, 4);
	struct rib_prefix p = v4(198, 18, 0, 24, 0), q = v4(198, 18, 1, 24, 0);
	const uint8_t a1[] = {1, 2, 3}, a2[] = {4, 5, 6};
	rib_attr_id x = rib_attrs_intern(rib, a1, 3), y = rib_attrs_intern(rib, a2, 3);
	(void)state;

	assert_non_null(t);
	assert_int_equal(rib_announce(rib, t, &p, x), RIB_ADDED);
	assert_int_equal(rib_announce(rib, t, &p, x), RIB_UNCHANGED);
	assert_int_equal(rib_announce(rib, t, &q, x), RIB_ADDED);
	assert_int_equal(rib_table_count(t), 2);
	assert_int_equal(rib_announce(rib, t, &p, y), RIB_REPLACED);
	assert_int_equal(rib_lookup(t, &p), y);
	assert_int_equal(rib_lookup(t, &q), x);
	/* the caller's references go; the routes keep the sets alive */
	rib_attrs_unref(rib, x);
	rib_attrs_unref(rib, y);
	assert_int_equal(rib_attrs_count(rib), 2);
	assert_int_equal(rib_withdraw(rib, t, &q), RIB_REMOVED);
	assert_int_equal(rib_attrs_count(rib), 1); /* x had only q */
	assert_int_equal(rib_withdraw(rib, t, &q), RIB_ABSENT);
	assert_int_equal(rib_lookup(t, &q), 0);
	assert_int_equal(rib_withdraw(rib, t, &p), RIB_REMOVED);
	assert_int_equal(rib_table_count(t), 0);
	assert_int_equal(rib_attrs_count(rib), 0);
	rib_free(rib); /* frees the live table too */
}

static void test_prefix_length_and_path_id_are_key(void **state)
{
	struct rib *rib = rib_new();
	struct rib_table *t = rib_table_new(rib, 4);
	const uint8_t a[] = {9};
	rib_attr_id x = rib_attrs_intern(rib, a, 1);
	struct rib_prefix p16 = v4(198, 18, 0, 16, 0), p24 = v4(198, 18, 0, 24, 0);
	struct rib_prefix path1 = v4(198, 18, 0, 24, 1), path2 = v4(198, 18, 0, 24, 2);
	(void)state;

	assert_int_equal(rib_announce(rib, t, &p16, x), RIB_ADDED);
	assert_int_equal(rib_announce(rib, t, &p24, x), RIB_ADDED);
	assert_int_equal(rib_announce(rib, t, &path1, x), RIB_ADDED);
	assert_int_equal(rib_announce(rib, t, &path2, x), RIB_ADDED);
	assert_int_equal(rib_table_count(t), 4);
	assert_int_equal(rib_withdraw(rib, t, &path1), RIB_REMOVED);
	assert_int_equal(rib_lookup(t, &path2), x);
	assert_int_equal(rib_lookup(t, &p24), x);
	rib_attrs_unref(rib, x);
	rib_free(rib);
}

static void test_ipv6_table(void **state)
{
	struct rib *rib = rib_new();
	struct rib_table *t = rib_table_new(rib, 6);
	const uint8_t a[] = {7, 7};
	rib_attr_id x = rib_attrs_intern(rib, a, 2);
	struct rib_prefix p = {.family = 6, .len = 48, .addr = {0x20, 0x01, 0x0d, 0xb8, 0, 1}};
	struct rib_prefix q = p;
	(void)state;

	q.addr[5] = 2;
	assert_null(rib_table_new(rib, 5));
	assert_int_equal(rib_announce(rib, t, &p, x), RIB_ADDED);
	assert_int_equal(rib_announce(rib, t, &q, x), RIB_ADDED);
	assert_int_equal(rib_lookup(t, &q), x);
	q.addr[15] = 1; /* differs only in the last byte */
	assert_int_equal(rib_lookup(t, &q), 0);
	rib_attrs_unref(rib, x);
	rib_free(rib);
}

/* A prefetch is a hint: whatever it is given (a missing route, a set id
 * out of range, IPv6 slots straddling lines) nothing changes. Keys that
 * differ only in the second address word, the length or the path id stay
 * apart (the route hash takes the address as words). */
static void test_prefetch_changes_nothing(void **state)
{
	struct rib *rib = rib_new();
	struct rib_table *t4 = rib_table_new(rib, 4), *t6 = rib_table_new(rib, 6);
	const uint8_t a[] = {1, 2, 3};
	rib_attr_id x = rib_attrs_intern(rib, a, sizeof(a));
	struct rib_prefix p4 = {.family = 4, .len = 24, .addr = {192, 0, 2}};
	struct rib_prefix p6 = {.family = 6, .len = 64, .addr = {0x20, 0x01, 0x0d, 0xb8}};
	struct rib_prefix q6 = p6;
	(void)state;

	rib_prefetch(rib, t4, &p4, x);
	rib_prefetch(rib, t6, &p6, 0);
	rib_prefetch(rib, t6, &p6, 999999);
	assert_int_equal(rib_table_count(t4) + rib_table_count(t6), 0);
	for (unsigned i = 0; i < 1000; i++) {
		q6.addr[8] = (uint8_t)(i >> 8);
		q6.addr[15] = (uint8_t)i;
		q6.path_id = i % 3;
		rib_prefetch(rib, t6, &q6, x);
		assert_int_equal(rib_announce(rib, t6, &q6, x), RIB_ADDED);
	}
	for (unsigned i = 0; i < 1000; i++) {
		q6.addr[8] = (uint8_t)(i >> 8);
		q6.addr[15] = (uint8_t)i;
		q6.path_id = i % 3;
		assert_int_equal(rib_lookup(t6, &q6), x);
		q6.path_id++;
		assert_int_equal(rib_lookup(t6, &q6), 0);
		q6.path_id--;
		q6.len = 63;
		assert_int_equal(rib_lookup(t6, &q6), 0);
		q6.len = 64;
	}
	assert_int_equal(rib_table_count(t6), 1000);
	assert_int_equal(rib_announce(rib, t4, &p4, x), RIB_ADDED);
	rib_prefetch(rib, t4, &p4, 0);
	assert_int_equal(rib_lookup(t4, &p4), x);
	rib_attrs_unref(rib, x);
	rib_free(rib);
}

#define NKEYS 4096
#define NSETS 8

/* Random announces and withdraws against a plain array as the reference:
 * exercises growth and backward-shift deletion under heavy churn. */
static void test_random_against_reference(void **state)
{
	struct rib *rib = rib_new();
	struct rib_table *t = rib_table_new(rib, 4);
	rib_attr_id sets[NSETS], *want = calloc(NKEYS, sizeof(*want));
	size_t count = 0;
	(void)state;

	assert_non_null(want);
	for (int i = 0; i < NSETS; i++) {
		uint8_t b[2] = {0xaa, (uint8_t)i};

		sets[i] = rib_attrs_intern(rib, b, 2);
	}
	srand(7);
	for (int op = 0; op < 300000; op++) {
		unsigned k = (unsigned)rand() % NKEYS;
		struct rib_prefix p = v4(10, (uint8_t)(k >> 4), (uint8_t)(k << 4), 28, k & 3);
		enum rib_change c;

		if (rand() % 3 == 0) {
			c = rib_withdraw(rib, t, &p);
			assert_int_equal(c, want[k] ? RIB_REMOVED : RIB_ABSENT);
			count -= want[k] != 0;
			want[k] = 0;
		} else {
			rib_attr_id a = sets[rand() % NSETS];

			c = rib_announce(rib, t, &p, a);
			assert_int_equal(c, want[k] == 0 ? RIB_ADDED
						  : want[k] == a ? RIB_UNCHANGED : RIB_REPLACED);
			count += want[k] == 0;
			want[k] = a;
		}
		assert_int_equal(rib_table_count(t), count);
	}
	for (unsigned k = 0; k < NKEYS; k++) {
		struct rib_prefix p = v4(10, (uint8_t)(k >> 4), (uint8_t)(k << 4), 28, k & 3);

		assert_int_equal(rib_lookup(t, &p), want[k]);
	}
	for (int i = 0; i < NSETS; i++)
		rib_attrs_unref(rib, sets[i]);
	free(want);
	rib_free(rib);
}

static int count_walk(const struct rib_prefix *p, rib_attr_id a, void *arg)
{
	size_t *n = arg;

	assert_int_equal(p->family, 4);
	assert_int_equal(p->len, 24);
	assert_int_not_equal(a, 0);
	(*n)++;
	return 0;
}

static void test_release_is_incremental(void **state)
{
	struct rib *rib = rib_new();
	struct rib_table *t = rib_table_new(rib, 4), *keep = rib_table_new(rib, 4);
	size_t walked = 0, left, before, mem_full;
	rib_attr_id sets[100];
	(void)state;

	for (int i = 0; i < 100; i++) {
		uint8_t b[3] = {1, 2, (uint8_t)i};

		sets[i] = rib_attrs_intern(rib, b, 3);
	}
	for (unsigned i = 0; i < 50000; i++) {
		struct rib_prefix p = v4((uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i, 24, 0);

		assert_int_equal(rib_announce(rib, t, &p, sets[i % 100]), RIB_ADDED);
	}
	struct rib_prefix kp = v4(198, 18, 0, 24, 0);

	assert_int_equal(rib_announce(rib, keep, &kp, sets[0]), RIB_ADDED);
	for (int i = 0; i < 100; i++)
		rib_attrs_unref(rib, sets[i]);
	assert_int_equal(rib_table_walk(t, count_walk, &walked), 0);
	assert_int_equal(walked, 50000);
	mem_full = rib_memory(rib);
	/* 50k IPv4 routes: slots of 16 bytes at a load of 0.375..0.75 */
	assert_true(mem_full < 50000 * 48);
	rib_table_release(rib, t);
	before = 50000;
	while ((left = rib_gc(rib, 4096)) > 0) {
		assert_true(left < before); /* progress on every step */
		before = left;
	}
	assert_int_equal(rib_attrs_count(rib), 1); /* only the kept route's set */
	assert_true(rib_memory(rib) < mem_full / 10);
	assert_int_equal(rib_lookup(keep, &kp) != 0, 1);
	rib_free(rib);
}

/* rib_memory_use (circuitwatch_memory_bytes): the tables' and the sets'
 * bytes move with what they hold, add up to rib_memory, and come back
 * down once a released table is collected. */
static void test_memory_use(void **state)
{
	struct rib *rib = rib_new();
	struct rib_table *t = rib_table_new(rib, 4);
	struct rib_memory_use empty = rib_memory_use(rib), full;
	rib_attr_id sets[1000];
	uint8_t b[64] = {0};
	(void)state;

	assert_true(empty.tables > 0 && empty.tables < 1024); /* one 16-slot table */
	for (unsigned i = 0; i < 1000; i++) {
		b[0] = (uint8_t)i;
		b[1] = (uint8_t)(i >> 8);
		sets[i] = rib_attrs_intern(rib, b, sizeof(b));
	}
	assert_true(rib_memory_use(rib).attributes >= empty.attributes + 1000 * sizeof(b));
	assert_true(rib_memory_use(rib).tables == empty.tables); /* no route yet */
	for (unsigned i = 0; i < 100000; i++) {
		struct rib_prefix p = v4((uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i, 24, 0);

		assert_int_equal(rib_announce(rib, t, &p, sets[i % 1000]), RIB_ADDED);
	}
	for (unsigned i = 0; i < 1000; i++)
		rib_attrs_unref(rib, sets[i]);
	full = rib_memory_use(rib);
	/* 100k slots of 16 bytes, at a load of 0.375..0.75 */
	assert_true(full.tables >= 100000 * 16 && full.tables <= 100000 * 48);
	assert_true(full.attributes >= 1000 * sizeof(b) && full.attributes < 1000 * 256);
	assert_true(rib_memory(rib) > full.tables + full.attributes);
	assert_true(rib_memory(rib) < full.tables + full.attributes + 1024);
	rib_table_release(rib, t);
	while (rib_gc(rib, 4096) > 0)
		;
	assert_int_equal(rib_memory_use(rib).tables, 0);
	/* the payloads are gone (the set array, index and free-id list stay) */
	assert_true(rib_memory_use(rib).attributes + 1000 * sizeof(b) / 2 < full.attributes);
	assert_int_equal(rib_attrs_count(rib), 0);
	rib_free(rib);
}

static void test_free_with_tables_in_release(void **state)
{
	struct rib *rib = rib_new();
	struct rib_table *t = rib_table_new(rib, 6);
	const uint8_t a[] = {1};
	rib_attr_id x = rib_attrs_intern(rib, a, 1);
	struct rib_prefix p = {.family = 6, .len = 32, .addr = {0x20, 0x01, 0x0d, 0xb8}};
	(void)state;

	assert_int_equal(rib_announce(rib, t, &p, x), RIB_ADDED);
	rib_attrs_unref(rib, x);
	rib_table_release(rib, t);
	rib_table_release(rib, NULL);
	rib_free(rib); /* LeakSanitizer checks the rest */
	rib_free(NULL);
}

/* rib_gc() says done only once every released table is freed, not when
 * its last route is passed (the slots after it, and the table itself,
 * would stay until some later call that nobody makes). */
static void test_gc_done_means_freed(void **state)
{
	struct rib *rib = rib_new();
	const uint8_t a[] = {7};
	rib_attr_id x = rib_attrs_intern(rib, a, 1);
	size_t mem_empty;
	struct rib_table *t;
	(void)state;

	rib_attrs_unref(rib, x); /* the free id list exists from here on */
	mem_empty = rib_memory(rib);
	t = rib_table_new(rib, 4);
	x = rib_attrs_intern(rib, a, 1);
	for (uint8_t i = 0; i < 3; i++) {
		struct rib_prefix p = v4(198, 18, i, 24, 0);

		assert_int_equal(rib_announce(rib, t, &p, x), RIB_ADDED);
	}
	rib_attrs_unref(rib, x);
	rib_table_release(rib, t);
	while (rib_gc(rib, 1) > 0)
		;
	assert_int_equal(rib_attrs_count(rib), 0);
	assert_int_equal(rib_memory(rib), mem_empty);
	rib_free(rib);
}

static long rss_bytes(void)
{
	FILE *fp = fopen("/proc/self/statm", "r");
	long size = 0, res = 0;

	if (fp == NULL)
		return -1;
	if (fscanf(fp, "%ld %ld", &size, &res) != 2)
		res = -1;
	fclose(fp);
	return res * sysconf(_SC_PAGESIZE);
}

/* A released big table goes back to the system while the GC passes it:
 * half-way through, the rib's own accounting and the process's RSS have
 * both fallen by a good part of the table (before, nothing came back until
 * the last step freed it whole, and a table that lived in malloc's heap
 * stayed until a malloc_trim). */
static void test_release_returns_memory_as_it_goes(void **state)
{
	struct rib *rib = rib_new();
	struct rib_table *t = rib_table_new(rib, 4);
	const uint8_t a[] = {1, 2, 3};
	rib_attr_id x = rib_attrs_intern(rib, a, 3);
	size_t mem_full, passed = 0, table;
	long rss_full;
	(void)state;

	for (unsigned i = 0; i < 400000; i++) {
		struct rib_prefix p = v4((uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i, 24, 0);

		assert_int_equal(rib_announce(rib, t, &p, x), RIB_ADDED);
	}
	rib_attrs_unref(rib, x);
	table = (size_t)1 << 19 << 4; /* 2^19 slots of 16 bytes: 8 MiB */
	mem_full = rib_memory(rib);
	rss_full = rss_bytes();
	assert_true(mem_full >= table);
	rib_table_release(rib, t);
	while (passed < ((size_t)1 << 18)) { /* half of the slots */
		assert_true(rib_gc(rib, 8192) > 0);
		passed += 8192;
	}
	assert_true(rib_memory(rib) <= mem_full - table / 3);
	assert_true(rss_full - rss_bytes() >= (long)(table / 4));
	while (rib_gc(rib, 8192) > 0)
		;
	assert_true(rib_memory(rib) < mem_full - table);
	assert_true(rss_full - rss_bytes() >= (long)(table / 2));
	rib_free(rib);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intern_shares_and_frees),
		cmocka_unit_test(test_announce_withdraw_states),
		cmocka_unit_test(test_prefix_length_and_path_id_are_key),
		cmocka_unit_test(test_ipv6_table),
		cmocka_unit_test(test_prefetch_changes_nothing),
		cmocka_unit_test(test_random_against_reference),
		cmocka_unit_test(test_release_is_incremental),
		cmocka_unit_test(test_memory_use),
		cmocka_unit_test(test_free_with_tables_in_release),
		cmocka_unit_test(test_gc_done_means_freed),
		cmocka_unit_test(test_release_returns_memory_as_it_goes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
