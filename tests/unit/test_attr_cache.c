/* test_attr_cache.c — bgp/attr_cache: the raw attribute bytes → interned
 * set cache, alone and through bgp/ingest over a sink that counts every
 * reference (hits, misses, eviction, refcounts, malformed blocks never
 * cached, MP_REACH with other NLRI hitting the same entry). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr_cache.h"
#include "bgp.h"
#include "ingest.h"
#include "wire_build.h"

#define MAX_SETS 512

/* A sink interning keys in a table, counting references and calls. */
struct sink {
	uint8_t key[MAX_SETS][256];
	size_t klen[MAX_SETS];
	uint32_t refs[MAX_SETS];
	size_t nsets, interns, announces, withdraws, updates;
	rib_attr_id last_attrs;
	char errors[512];
};

static rib_attr_id s_intern(void *ctx, const uint8_t *key, size_t len)
{
	struct sink *s = ctx;

	s->interns++;
	assert_true(len <= sizeof(s->key[0]));
	for (size_t i = 1; i <= s->nsets; i++) {
		if (s->klen[i] == len && memcmp(s->key[i], key, len) == 0) {
			s->refs[i]++;
			return (rib_attr_id)i;
		}
	}
	assert_true(s->nsets + 1 < MAX_SETS);
	s->nsets++;
	memcpy(s->key[s->nsets], key, len);
	s->klen[s->nsets] = len;
	s->refs[s->nsets] = 1;
	return (rib_attr_id)s->nsets;
}

static void s_unref(void *ctx, rib_attr_id id)
{
	struct sink *s = ctx;

	if (id == 0)
		return;
	assert_true(id <= s->nsets);
	assert_true(s->refs[id] > 0);
	s->refs[id]--;
}

static enum rib_change s_route(void *ctx, void *peer, enum bgp_ingest_view view,
			       enum bgp_ingest_af af, const struct rib_prefix *p,
			       rib_attr_id attrs, bool counted)
{
	struct sink *s = ctx;

	(void)peer, (void)view, (void)af, (void)p, (void)counted;
	if (attrs != 0) {
		assert_true(s->refs[attrs] > 0); /* a live set */
		s->announces++;
		s->last_attrs = attrs;
	} else {
		s->withdraws++;
	}
	return attrs != 0 ? RIB_ADDED : RIB_REMOVED;
}

static void s_eor(void *ctx, void *peer, enum bgp_ingest_view view, enum bgp_ingest_af af)
{
	(void)ctx, (void)peer, (void)view, (void)af;
}

static void s_error(void *ctx, void *peer, const char *reason)
{
	struct sink *s = ctx;
	size_t n = strlen(s->errors);

	(void)peer;
	snprintf(s->errors + n, sizeof(s->errors) - n, "%s ", reason);
}

static void s_update(void *ctx, void *peer)
{
	(void)peer;
	((struct sink *)ctx)->updates++;
}

static const struct bgp_rib_sink_ops ops = {s_intern, s_unref, s_route, s_eor,
					     s_error,  s_update, NULL};

static uint32_t refs_held(const struct sink *s)
{
	uint32_t n = 0;

	for (size_t i = 1; i <= s->nsets; i++)
		n += s->refs[i];
	return n;
}

struct fx {
	struct sink s;
	struct bgp_ingest *in;
	struct bgp_decode_ctx ctx;
	struct wb b;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->in = bgp_ingest_new((struct bgp_rib_sink){&ops, &f->s});
	assert_non_null(f->in);
	bgp_ctx_init(&f->ctx);
	wb_init(&f->b, 256);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	bgp_ingest_free(f->in);
	assert_int_equal(refs_held(&f->s), 0); /* every cached reference given back */
	wb_free(&f->b);
	free(f);
	return 0;
}

static void feed(struct fx *f, const uint8_t *attrs, size_t alen, const uint8_t *nlri, size_t nlen)
{
	size_t at = wb_bgp_begin(&f->b, 2);

	wb_put16(&f->b, 0);
	wb_put16(&f->b, (unsigned)alen);
	wb_put_mem(&f->b, attrs, alen);
	wb_put_mem(&f->b, nlri, nlen);
	wb_bgp_end(&f->b, at);
	bgp_ingest_update(f->in, f, BGP_INGEST_ADJ_IN_PRE, &f->ctx, f->b.p, f->b.len);
	wb_reset(&f->b);
}

/* ORIGIN IGP, AS_PATH 12076 (4-octet), NEXT_HOP 198.18.1.<nh> */
static size_t v4_attrs(uint8_t *a, uint8_t nh)
{
	const uint8_t t[] = {0x40, 1, 1, 0, 0x40, 2, 6, 2, 1, 0, 0, 0x2f, 0x2c,
			     0x40, 3, 4, 198, 18, 1, nh};

	memcpy(a, t, sizeof(t));
	return sizeof(t);
}

/* ORIGIN, AS_PATH, MP_REACH IPv6 unicast next hop 2001:db8::1 with nlri. */
static size_t v6_attrs(uint8_t *a, const uint8_t *nlri, uint8_t nlen)
{
	const uint8_t t[] = {0x40, 1, 1, 0, 0x40, 2, 6, 2, 1, 0, 0, 0x2f, 0x2c};
	const uint8_t mp[] = {0, 2, 1, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
			      0, 0, 0, 0, 0, 0, 0, 1, 0};
	size_t n = sizeof(t);

	memcpy(a, t, n);
	a[n++] = 0x80;
	a[n++] = 14;
	a[n++] = (uint8_t)(sizeof(mp) + nlen);
	memcpy(a + n, mp, sizeof(mp));
	n += sizeof(mp);
	memcpy(a + n, nlri, nlen);
	return n + nlen;
}

static void test_hit_skips_intern(void **state)
{
	struct fx *f = *state;
	uint8_t a[64];
	size_t n = v4_attrs(a, 2);
	const uint8_t p1[] = {24, 203, 0, 1}, p2[] = {24, 203, 0, 2};

	feed(f, a, n, p1, sizeof(p1));
	assert_int_equal(f->s.interns, 1);
	assert_int_equal(refs_held(&f->s), 1); /* the cache's own */
	feed(f, a, n, p2, sizeof(p2));
	assert_int_equal(f->s.interns, 1); /* a hit */
	assert_int_equal(f->s.announces, 2);
	assert_int_equal(f->s.updates, 2);
	assert_int_equal(f->s.last_attrs, 1);
	assert_string_equal(f->s.errors, "");
}

static void test_miss_on_other_attrs_and_as4(void **state)
{
	struct fx *f = *state;
	uint8_t a[64], b[64];
	size_t na = v4_attrs(a, 2), nb = v4_attrs(b, 3);
	const uint8_t p[] = {24, 203, 0, 1};

	feed(f, a, na, p, sizeof(p));
	feed(f, b, nb, p, sizeof(p));
	assert_int_equal(f->s.interns, 2);
	assert_int_equal(f->s.nsets, 2);
	/* the same bytes are a malformed AS_PATH on a 2-octet session: no
	 * hit, the full path withdraws (RFC 7606 §7.2) and counts it */
	bgp_ctx_set_legacy_as_path(&f->ctx);
	feed(f, a, na, p, sizeof(p));
	assert_int_equal(f->s.announces, 2);
	assert_string_equal(f->s.errors, "bad_as_path ");
}

static void test_mp_reach_other_nlri_hits(void **state)
{
	struct fx *f = *state;
	const uint8_t n1[] = {32, 0x20, 0x01, 0x0d, 0xb8};
	const uint8_t n2[] = {48, 0x20, 0x01, 0x0d, 0xb8, 0, 7, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 9, 0, 0};
	uint8_t a[128];
	size_t n;

	n = v6_attrs(a, n1, sizeof(n1));
	feed(f, a, n, NULL, 0);
	n = v6_attrs(a, n2, sizeof(n2)); /* another length field, other NLRI */
	feed(f, a, n, NULL, 0);
	assert_int_equal(f->s.interns, 1);
	assert_int_equal(f->s.announces, 3);
	assert_int_equal(f->s.nsets, 1);
	assert_string_equal(f->s.errors, "");
}

static void test_eviction_releases_refs(void **state)
{
	struct fx *f = *state;
	const uint8_t p[] = {24, 203, 0, 1};
	uint8_t a[64];

	for (unsigned i = 0; i < 3 * BGP_ATTR_CACHE_SLOTS; i++)
		feed(f, a, v4_attrs(a, (uint8_t)i), p, sizeof(p));
	assert_int_equal(f->s.nsets, 3 * BGP_ATTR_CACHE_SLOTS);
	/* the recording sink keeps no route references: what is held is the cache's */
	assert_true(refs_held(&f->s) <= BGP_ATTR_CACHE_SLOTS);
	assert_true(refs_held(&f->s) > 0);
	for (size_t i = 1; i <= f->s.nsets; i++)
		assert_true(f->s.refs[i] <= 1);
}

/* RFC 7606: a repeated attribute is discarded (and counted) every time;
 * such a block never enters the cache. */
static void test_malformed_never_cached(void **state)
{
	struct fx *f = *state;
	uint8_t a[64];
	size_t n = v4_attrs(a, 2);
	const uint8_t p[] = {24, 203, 0, 1};

	memcpy(a + n, a, 4); /* ORIGIN again */
	n += 4;
	feed(f, a, n, p, sizeof(p));
	feed(f, a, n, p, sizeof(p));
	assert_int_equal(f->s.interns, 2);
	assert_int_equal(refs_held(&f->s), 0);
	assert_string_equal(f->s.errors, "duplicate_attr duplicate_attr ");
}

/* A hit whose NLRI would fail or whose IPv4 NLRI lacks NEXT_HOP takes the
 * full path, which counts it as before. */
static void test_hit_with_bad_nlri_takes_full_path(void **state)
{
	struct fx *f = *state;
	uint8_t a[128];
	const uint8_t n1[] = {32, 0x20, 0x01, 0x0d, 0xb8};
	const uint8_t bad[] = {33, 203, 0, 1, 0, 0}; /* /33 */
	const uint8_t p[] = {24, 203, 0, 1};
	size_t n = v4_attrs(a, 2);

	feed(f, a, n, p, sizeof(p));
	feed(f, a, n, bad, sizeof(bad));
	/* as before the cache: the decode's reason, and the withdraw walk's */
	assert_string_equal(f->s.errors, "nlri_length nlri_length ");
	assert_int_equal(f->s.announces, 1);
	/* cached from an IPv6-only UPDATE (no NEXT_HOP), then IPv4 NLRI */
	n = v6_attrs(a, n1, sizeof(n1));
	feed(f, a, n, NULL, 0);
	feed(f, a, n, p, sizeof(p));
	assert_string_equal(f->s.errors, "nlri_length nlri_length missing_mandatory ");
	assert_int_equal(f->s.announces, 2);
}

static void test_key_refuses(void **state)
{
	struct bgp_attr_key k;
	struct wire_reader r;
	const uint8_t unreach[] = {0x80, 15, 3, 0, 2, 1};
	const uint8_t overrun[] = {0x40, 1, 5, 0};
	const uint8_t mp_short[] = {0x80, 14, 5, 0, 2, 1, 16, 0}; /* next hop past the attribute */
	const uint8_t two_mp[] = {0x80, 14, 5, 0, 1, 1, 0, 0, 0x80, 14, 5, 0, 1, 1, 0, 0};
	const uint8_t ok[] = {0x80, 14, 7, 0, 1, 1, 0, 0, 8, 10};

	(void)state;
	wire_init(&r, unreach, sizeof(unreach));
	assert_int_equal(bgp_attr_key_make(&k, &r, true), -1);
	wire_init(&r, overrun, sizeof(overrun));
	assert_int_equal(bgp_attr_key_make(&k, &r, true), -1);
	wire_init(&r, mp_short, sizeof(mp_short));
	assert_int_equal(bgp_attr_key_make(&k, &r, true), -1);
	wire_init(&r, two_mp, sizeof(two_mp));
	assert_int_equal(bgp_attr_key_make(&k, &r, true), -1);
	wire_init(&r, ok, 0);
	assert_int_equal(bgp_attr_key_make(&k, &r, true), -1);
	wire_init(&r, ok, sizeof(ok));
	assert_int_equal(bgp_attr_key_make(&k, &r, true), 0);
	assert_true(k.has_mp_reach);
	assert_int_equal(k.len[0], 2);
	assert_int_equal(k.len[1], 5);
	assert_int_equal(k.len[2], 0);
	assert_int_equal(wire_left(&k.mp_nlri), 2);
}

static void test_cache_put_find_clean(void **state)
{
	struct sink s = {0};
	struct bgp_attr_cache *c = malloc(sizeof(*c));
	struct bgp_attr_key k1, k2;
	struct wire_reader r;
	const uint8_t a1[] = {0x40, 1, 1, 0}, a2[] = {0x40, 1, 1, 1};
	struct bgp_attr_value v = {0};

	(void)state;
	assert_non_null(c);
	bgp_attr_cache_init(c, s_unref, &s);
	wire_init(&r, a1, sizeof(a1));
	assert_int_equal(bgp_attr_key_make(&k1, &r, true), 0);
	wire_init(&r, a2, sizeof(a2));
	assert_int_equal(bgp_attr_key_make(&k2, &r, true), 0);
	assert_null(bgp_attr_cache_find(c, &k1));
	v.attrs = s_intern(&s, a1, sizeof(a1));
	bgp_attr_cache_put(c, &k1, &v);
	assert_non_null(bgp_attr_cache_find(c, &k1));
	assert_null(bgp_attr_cache_find(c, &k2));
	assert_int_equal(c->hits, 1);
	assert_int_equal(c->misses, 2);
	/* a put into an occupied slot gives the old reference back */
	v.attrs = s_intern(&s, a2, sizeof(a2));
	k2.hash = k1.hash; /* force the same slot */
	k2.hashed = true;
	bgp_attr_cache_put(c, &k2, &v);
	assert_int_equal(s.refs[1], 0);
	assert_int_equal(s.refs[2], 1);
	bgp_attr_cache_clean(c);
	assert_int_equal(s.refs[2], 0);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hit_skips_intern, setup, teardown),
		cmocka_unit_test_setup_teardown(test_miss_on_other_attrs_and_as4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mp_reach_other_nlri_hits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eviction_releases_refs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_never_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hit_with_bad_nlri_takes_full_path, setup,
						teardown),
		cmocka_unit_test(test_key_refuses),
		cmocka_unit_test(test_cache_put_find_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
