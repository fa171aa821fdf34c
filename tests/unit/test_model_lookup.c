/* test_model_lookup.c — unit tests for the looking glass's read of a
 * model (model_routes_lookup, collector/model/lookup.c): exact and longest
 * match per view, IPv4 and IPv6, several peers, stopping, a shard read
 * under its lock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "metrics.h"
#include "model.h"

struct hit {
	char peer[48];
	uint8_t len;
	enum model_view view;
	size_t attrs_len;
};

struct hits {
	struct hit h[16];
	size_t n, stop_at;
};

static bool collect(void *arg, const struct model_route *r)
{
	struct hits *hs = arg;

	if (hs->n < 16) {
		snprintf(hs->h[hs->n].peer, sizeof(hs->h[hs->n].peer), "%s", r->peer);
		hs->h[hs->n].len = r->prefix.len;
		hs->h[hs->n].view = r->view;
		hs->h[hs->n].attrs_len = r->attrs_len;
	}
	hs->n++;
	return hs->stop_at == 0 || hs->n < hs->stop_at;
}

static struct rib_prefix v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t len)
{
	struct rib_prefix p = {.family = 4, .len = len, .addr = {a, b, c, d}};

	return p;
}

static struct model_peer *peer(struct model *m, struct model_router *r, uint8_t last)
{
	struct model_peer_key k = {.family = 4, .addr = {198, 18, 1, last}};
	struct model_peer *p = model_peer_get(m, r, &k, 12076, 1);

	assert_non_null(p);
	model_peer_up(m, p, 100);
	return p;
}

static void route(struct model *m, struct model_peer *p, enum model_view v, enum model_af af,
		  struct rib_prefix x, rib_attr_id a)
{
	assert_int_equal(model_route(m, p, v, af, &x, a), RIB_ADDED);
}

static void test_lookup(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct model *m = model_new(reg);
	struct model_router *r = model_router_get(m, MODEL_SRC_BMP, "198.18.0.1");
	struct model_peer *p1 = peer(m, r, 1), *p2 = peer(m, r, 2);
	const uint8_t attrs[] = {1, 0, 1, 0};
	rib_attr_id a = model_attrs_intern(m, attrs, sizeof(attrs));
	struct model_lookup_opts exact = {false, false, 0.001}, longest = {true, false, 0.001};
	struct model_lookup_opts locked = {true, true, 0.0};
	struct rib_prefix q = v4(10, 1, 2, 3, 32), x = v4(10, 1, 0, 0, 16);
	struct rib_prefix q6 = {.family = 6, .len = 128, .addr = {0x20, 0x01, 0x0d, 0xb8, 0, 1}};
	struct rib_prefix r6 = {.family = 6, .len = 32, .addr = {0x20, 0x01, 0x0d, 0xb8}};
	struct hits hs = {0};

	(void)state;
	route(m, p1, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST, v4(10, 0, 0, 0, 8), a);
	route(m, p1, MODEL_VIEW_ADJ_IN_POST, MODEL_AF_IPV4_UNICAST, v4(10, 1, 0, 0, 16), a);
	route(m, p2, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST, v4(10, 1, 2, 0, 24), a);
	route(m, p2, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV6_UNICAST, r6, a);
	/* longest: per view its own best */
	assert_int_equal(model_routes_lookup(m, &q, &longest, collect, &hs), 3);
	for (size_t i = 0; i < hs.n; i++) {
		const struct hit *h = &hs.h[i];

		assert_int_equal(h->attrs_len, sizeof(attrs));
		if (strcmp(h->peer, "198.18.1.2") == 0)
			assert_int_equal(h->len, 24);
		else
			assert_int_equal(h->len, h->view == MODEL_VIEW_ADJ_IN_POST ? 16 : 8);
	}
	/* exact */
	memset(&hs, 0, sizeof(hs));
	assert_int_equal(model_routes_lookup(m, &x, &exact, collect, &hs), 1);
	assert_int_equal(hs.h[0].view, MODEL_VIEW_ADJ_IN_POST);
	memset(&hs, 0, sizeof(hs));
	assert_int_equal(model_routes_lookup(m, &q, &exact, collect, &hs), 0);
	/* IPv6, and a miss */
	memset(&hs, 0, sizeof(hs));
	assert_int_equal(model_routes_lookup(m, &q6, &longest, collect, &hs), 1);
	assert_int_equal(hs.h[0].len, 32);
	q = v4(192, 0, 2, 1, 32);
	assert_int_equal(model_routes_lookup(m, &q, &longest, collect, &hs), 0);
	/* stopping after the first; a shard's lock taken in slices */
	memset(&hs, 0, sizeof(hs));
	hs.stop_at = 1;
	q = v4(10, 1, 2, 3, 32);
	assert_int_equal(model_routes_lookup(m, &q, &longest, collect, &hs), 1);
	{
		struct model *s = model_new_shard(m);
		struct model_router *sr = model_router_get(s, MODEL_SRC_BMP, "198.18.0.9");
		struct model_peer *sp = peer(s, sr, 9);
		rib_attr_id sa = model_attrs_intern(s, attrs, sizeof(attrs));

		route(s, sp, MODEL_VIEW_LOC_RIB, MODEL_AF_IPV4_UNICAST, v4(10, 0, 0, 0, 8), sa);
		memset(&hs, 0, sizeof(hs));
		assert_int_equal(model_routes_lookup(s, &q, &locked, collect, &hs), 1);
		assert_int_equal(hs.h[0].view, MODEL_VIEW_LOC_RIB);
		model_attrs_unref(s, sa);
		model_free(s);
	}
	model_attrs_unref(m, a);
	model_free(m);
	metrics_registry_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_lookup)};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
