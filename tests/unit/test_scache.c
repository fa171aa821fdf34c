/* test_scache.c — unit tests for the cache of rendered /metrics bodies
 * (exporters/prometheus/scache.h): reuse while the generation holds,
 * single flight, reference counting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scache.h"

struct fake {
	atomic_uint_fast64_t gen;
	bool moving;                 /* every generation() call sees a new one */
	atomic_uint renders;
	bool fail;
	struct scache *c;            /* for the single-flight render */
	unsigned wait_for;           /* render blocks until this many wait */
};

static uint64_t fake_gen(void *arg)
{
	struct fake *f = arg;

	return f->moving ? atomic_fetch_add(&f->gen, 1) : atomic_load(&f->gen);
}

static int fake_render(void *arg, unsigned variant, bool ahead, char **data, size_t *len,
		       void **ext)
{
	struct fake *f = arg;
	unsigned n = atomic_fetch_add(&f->renders, 1) + 1;
	char tmp[64];

	(void)ahead;
	if (f->fail)
		return -1;
	if (f->wait_for > 0) {
		/* hold the render until the others queue behind it (10 s cap) */
		for (int i = 0; i < 10000 && sc_waiting(f->c, variant) < f->wait_for; i++)
			nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
	snprintf(tmp, sizeof(tmp), "v%u r%u", variant, n);
	*data = strdup(tmp);
	*len = strlen(tmp);
	*ext = variant % 2 ? (void *)f : NULL;
	return *data != NULL ? 0 : -1;
}

static struct scache *make(struct fake *f)
{
	const struct sc_source src = {fake_gen, fake_render, f, NULL};

	f->c = sc_new(4, 1.0, &src);
	assert_non_null(f->c);
	return f->c;
}

static void test_reuse_while_generation_holds(void **state)
{
	struct fake f = {0};
	struct scache *c = make(&f);
	enum sc_result r;
	struct sc_body *a, *b, *d;

	(void)state;
	a = sc_get(c, 0, 10.0, &r);
	assert_non_null(a);
	assert_int_equal(r, SC_MISS);
	b = sc_get(c, 0, 10.0, &r);
	assert_int_equal(r, SC_HIT);
	assert_ptr_equal(a, b);
	assert_int_equal(atomic_load(&f.renders), 1);
	assert_string_equal(b->data, "v0 r1");
	/* another variant is its own */
	d = sc_get(c, 1, 10.0, &r);
	assert_int_equal(r, SC_MISS);
	assert_non_null(d->ext);
	sc_body_unref(d);
	/* the registry changed: render again; the old body lives on while
	 * referenced */
	atomic_store(&f.gen, 7);
	d = sc_get(c, 0, 10.0, &r);
	assert_int_equal(r, SC_MISS);
	assert_ptr_not_equal(d, a);
	assert_string_equal(d->data, "v0 r3");
	assert_string_equal(a->data, "v0 r1");
	sc_body_unref(a);
	sc_body_unref(b);
	sc_body_unref(d);
	assert_null(sc_get(c, 4, 10.0, &r));
	assert_int_equal(r, SC_FAILED);
	sc_free(c);
}

/* Bodies released through the source's release, each once, when the last
 * reference goes: the cache's own when replaced or at sc_free, a
 * caller's at its unref. (A test-only counter: release takes no arg.) */
static atomic_uint released;

static void count_release(char *data, size_t len)
{
	assert_int_equal(strlen(data), len);
	atomic_fetch_add(&released, 1);
	free(data);
}

static void test_release(void **state)
{
	struct fake f = {0};
	const struct sc_source src = {fake_gen, fake_render, &f, count_release};
	struct scache *c = sc_new(2, 1.0, &src);
	enum sc_result r;
	struct sc_body *a, *b;

	(void)state;
	f.c = c;
	a = sc_get(c, 0, 10.0, &r);
	atomic_store(&f.gen, 1);
	b = sc_get(c, 0, 10.0, &r); /* replaces a in the cache */
	assert_int_equal(r, SC_MISS);
	assert_int_equal(atomic_load(&released), 0);
	sc_body_unref(a); /* the last reference */
	assert_int_equal(atomic_load(&released), 1);
	sc_free(c);       /* b lives on with our reference */
	assert_int_equal(atomic_load(&released), 1);
	sc_body_unref(b);
	assert_int_equal(atomic_load(&released), 2);
}

/* Nothing changed, but a body is reused for max_age (1 s here) only. */
static void test_max_age(void **state)
{
	struct fake f = {0};
	struct scache *c = make(&f);
	enum sc_result r;
	struct sc_body *b;

	(void)state;
	sc_body_unref(sc_get(c, 0, 100.0, &r));
	assert_int_equal(r, SC_MISS);
	sc_body_unref(sc_get(c, 0, 101.0, &r));
	assert_int_equal(r, SC_HIT);
	b = sc_get(c, 0, 101.01, &r);
	assert_int_equal(r, SC_MISS);
	assert_true(b->at == 101.01);
	sc_body_unref(b);
	sc_body_unref(sc_get(c, 0, 50.0, &r)); /* a clock going back is not fresh */
	assert_int_equal(r, SC_MISS);
	assert_int_equal(atomic_load(&f.renders), 3);
	sc_free(c);
}

static void test_render_failure(void **state)
{
	struct fake f = {.fail = true};
	struct scache *c = make(&f);
	enum sc_result r;

	(void)state;
	assert_null(sc_get(c, 2, 10.0, &r));
	assert_int_equal(r, SC_FAILED);
	f.fail = false;
	struct sc_body *b = sc_get(c, 2, 10.0, &r);
	assert_int_equal(r, SC_MISS);
	sc_body_unref(b);
	sc_free(c);
}

/* A registry that changes all the time: sequential requests each render. */
static void test_moving_generation_renders_each(void **state)
{
	struct fake f = {.moving = true};
	struct scache *c = make(&f);
	enum sc_result r;

	(void)state;
	for (int i = 0; i < 3; i++) {
		struct sc_body *b = sc_get(c, 0, 10.0, &r);

		assert_int_equal(r, SC_MISS);
		sc_body_unref(b);
	}
	assert_int_equal(atomic_load(&f.renders), 3);
	sc_free(c);
}

#define NTHREADS 8

static void *getter(void *arg)
{
	struct fake *f = arg;
	enum sc_result r;
	struct sc_body *b = sc_get(f->c, 3, 10.0, &r);

	assert_non_null(b);
	sc_body_unref(b);
	return (void *)(uintptr_t)r;
}

/* Requests arriving while a render runs share it, even though the
 * generation moves under them. */
static void test_single_flight(void **state)
{
	struct fake f = {.moving = true, .wait_for = NTHREADS - 1};
	struct scache *c = make(&f);
	pthread_t t[NTHREADS];
	unsigned misses = 0;

	(void)state;
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, getter, &f), 0);
	for (int i = 0; i < NTHREADS; i++) {
		void *r;

		pthread_join(t[i], &r);
		misses += (uintptr_t)r == SC_MISS;
		assert_true((uintptr_t)r == SC_MISS || (uintptr_t)r == SC_SHARED);
	}
	assert_int_equal(misses, 1);
	assert_int_equal(atomic_load(&f.renders), 1);
	sc_free(c);
}

/* Rendering ahead: only for a variant scraped at least twice, lately,
 * only when its body is stale, and only while its next scrape is due. */
static void test_prepare(void **state)
{
	struct fake f = {0};
	struct scache *c = make(&f);
	const struct sc_prepare_policy pol = {60.0, 2.0, 0.1};
	enum sc_result r;
	struct sc_body *b;
	(void)state;

	assert_int_equal(sc_prepare(c, 1, 10.0, &pol), SC_PREP_IDLE); /* never scraped */
	sc_body_unref(sc_get(c, 1, 10.0, &r));
	sc_body_unref(sc_get(c, 1, 10.5, &r)); /* the same wave: still one */
	atomic_fetch_add(&f.gen, 1);
	assert_int_equal(sc_prepare(c, 1, 10.6, &pol), SC_PREP_IDLE); /* scraped once */
	sc_body_unref(sc_get(c, 1, 12.0, &r)); /* every 2 s: due from 12 to 16 */
	assert_int_equal(sc_prepare(c, 1, 12.2, &pol), SC_PREP_READY);
	atomic_fetch_add(&f.gen, 1);
	assert_int_equal(sc_prepare(c, 1, 12.3, &pol), SC_PREP_RENDERED);
	b = sc_get(c, 1, 12.4, &r); /* within max_age of 12: not an arrival */
	assert_int_equal(r, SC_HIT);
	assert_string_equal(b->data, "v1 r3");
	sc_body_unref(b);
	/* renewed 0.1 s before it expires by age (at 13.3) */
	assert_int_equal(sc_prepare(c, 1, 13.25, &pol), SC_PREP_RENDERED);
	assert_int_equal(atomic_load(&f.renders), 4);
	/* the scraper missed two scrapes: gone */
	atomic_fetch_add(&f.gen, 1);
	assert_int_equal(sc_prepare(c, 1, 18.5, &pol), SC_PREP_IDLE);
	/* every 15 s (25, 40): the next one is due from 53 to 72 */
	sc_body_unref(sc_get(c, 1, 25.0, &r));
	sc_body_unref(sc_get(c, 1, 40.0, &r));
	atomic_fetch_add(&f.gen, 1);
	assert_int_equal(sc_prepare(c, 1, 45.0, &pol), SC_PREP_IDLE);
	assert_int_equal(sc_prepare(c, 1, 53.5, &pol), SC_PREP_RENDERED);
	/* scrapers gone for longer than idle */
	atomic_fetch_add(&f.gen, 1);
	assert_int_equal(sc_prepare(c, 1, 120.0, &pol), SC_PREP_IDLE);
	assert_int_equal(sc_prepare(c, 9, 120.0, &pol), SC_PREP_IDLE);
	f.fail = true;
	assert_null(sc_get(c, 1, 200.0, &r));
	assert_null(sc_get(c, 1, 201.5, &r)); /* every 1.5 s: due at once */
	assert_int_equal(sc_prepare(c, 1, 201.6, &pol), SC_PREP_FAILED);
	sc_free(c);
}

/* The bound on bytes: the oldest other bodies go, a body too large alone
 * is served but not kept. */
static void test_max_bytes(void **state)
{
	struct fake f = {0};
	struct scache *c = make(&f);
	enum sc_result r;
	struct sc_body *b;
	(void)state;

	sc_set_max_bytes(c, 12); /* two bodies of 5 bytes ("vN rM") */
	sc_body_unref(sc_get(c, 0, 10.0, &r));
	sc_body_unref(sc_get(c, 1, 10.1, &r));
	assert_int_equal(sc_bytes(c), 10);
	sc_body_unref(sc_get(c, 2, 10.2, &r)); /* v0 goes */
	assert_int_equal(sc_bytes(c), 10);
	sc_body_unref(sc_get(c, 1, 10.3, &r));
	assert_int_equal(r, SC_HIT);
	sc_body_unref(sc_get(c, 0, 10.4, &r));
	assert_int_equal(r, SC_MISS);
	sc_set_max_bytes(c, 3);
	atomic_fetch_add(&f.gen, 1);
	b = sc_get(c, 3, 10.5, &r);
	assert_int_equal(r, SC_MISS);
	assert_string_equal(b->data, "v3 r5");
	sc_body_unref(b);
	assert_int_equal(sc_bytes(c), 10); /* v1 (or v2) and v0 stay until replaced */
	sc_body_unref(sc_get(c, 3, 10.6, &r));
	assert_int_equal(r, SC_MISS); /* not kept */
	sc_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reuse_while_generation_holds),
		cmocka_unit_test(test_max_age),
		cmocka_unit_test(test_render_failure),
		cmocka_unit_test(test_moving_generation_renders_each),
		cmocka_unit_test(test_single_flight),
		cmocka_unit_test(test_prepare),
		cmocka_unit_test(test_max_bytes),
		cmocka_unit_test(test_release),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
