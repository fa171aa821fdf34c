/* test_httpauth.c — unit tests for basic auth's header decoding and the
 * verified-credential cache (exporters/prometheus/httpauth.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "httpauth.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct parse_case {
	const char *name;
	const char *header;
	int rc;
	const char *user;
	size_t user_len;
	const char *pass;
	size_t pass_len;
};

static const struct parse_case parse_cases[] = {
	{"plain", "Basic cHJvbTpzM2NyZXQ=", 0, "prom", 4, "s3cret", 6},
	{"scheme case and spaces", "bAsIc   cHJvbTpzM2NyZXQ=  ", 0, "prom", 4, "s3cret", 6},
	/* RFC 7617 §2: the password is everything after the first ':' */
	{"colon in password", "Basic YTpiOmM=", 0, "a", 1, "b:c", 3},
	{"empty password", "Basic YTo=", 0, "a", 1, "", 0},
	/* "nul:abc\0xyz": the NUL and what follows stay in the password */
	{"NUL in password", "Basic bnVsOmFiYwB4eXo=", 0, "nul", 3, "abc\0xyz", 7},
	{"no colon", "Basic YWJj", -1, NULL, 0, NULL, 0},
	{"bad base64", "Basic ***", -1, NULL, 0, NULL, 0},
	{"other scheme", "Bearer cHJvbTpzM2NyZXQ=", -1, NULL, 0, NULL, 0},
	{"no token", "Basic ", -1, NULL, 0, NULL, 0},
	{"no space", "BasiccHJvbTpzM2NyZXQ=", -1, NULL, 0, NULL, 0},
	{"empty", "", -1, NULL, 0, NULL, 0},
};

static void test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(parse_cases); i++) {
		const struct parse_case *pc = &parse_cases[i];
		struct ha_cred *c = malloc(sizeof(*c));
		int rc;

		assert_non_null(c);
		rc = ha_parse_basic(pc->header, strlen(pc->header), c);
		if (rc != pc->rc)
			fail_msg("%s: rc %d", pc->name, rc);
		if (rc == 0) {
			assert_int_equal(c->user_len, pc->user_len);
			assert_memory_equal(c->user, pc->user, pc->user_len);
			assert_int_equal(c->pass_len, pc->pass_len);
			assert_memory_equal(c->pass, pc->pass, pc->pass_len);
		}
		ha_cred_clean(c);
		free(c);
	}
}

static void test_parse_too_long(void **state)
{
	size_t n = 6 + ((HA_CRED_MAX + 3) / 3) * 4;
	char *h = malloc(n + 1);
	struct ha_cred *c = malloc(sizeof(*c));

	(void)state;
	assert_non_null(h);
	assert_non_null(c);
	memcpy(h, "Basic ", 6);
	memset(h + 6, 'Q', n - 6); /* valid base64, decodes past HA_CRED_MAX */
	h[n] = '\0';
	assert_int_equal(ha_parse_basic(h, n, c), -1);
	free(h);
	free(c);
}

static struct ha_cred *cred(const char *user, const char *pass, size_t pass_len)
{
	struct ha_cred *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->user_len = strlen(user);
	memcpy(c->user, user, c->user_len);
	c->pass_len = pass_len;
	memcpy(c->pass, pass, pass_len);
	return c;
}

static void test_cache_key(void **state)
{
	struct ha_cache *cache = ha_cache_new(4, 60);
	struct ha_cred *a = cred("ab", "c", 1), *b = cred("a", "bc", 2);
	struct ha_cred *n1 = cred("u", "abc\0xyz", 7), *n2 = cred("u", "abc", 3);
	uint8_t ka[HA_KEY_LEN], kb[HA_KEY_LEN], ka2[HA_KEY_LEN], kn1[HA_KEY_LEN], kn2[HA_KEY_LEN];

	(void)state;
	assert_non_null(cache);
	assert_int_equal(ha_cache_key(cache, a, ka), 0);
	assert_int_equal(ha_cache_key(cache, a, ka2), 0);
	assert_int_equal(ha_cache_key(cache, b, kb), 0);
	assert_int_equal(ha_cache_key(cache, n1, kn1), 0);
	assert_int_equal(ha_cache_key(cache, n2, kn2), 0);
	assert_memory_equal(ka, ka2, HA_KEY_LEN);
	assert_memory_not_equal(ka, kb, HA_KEY_LEN);   /* the user/password split counts */
	assert_memory_not_equal(kn1, kn2, HA_KEY_LEN); /* bytes after a NUL count */
	free(a);
	free(b);
	free(n1);
	free(n2);
	ha_cache_free(cache);
}

static void key_of(uint8_t k[HA_KEY_LEN], uint8_t v)
{
	memset(k, v, HA_KEY_LEN);
}

static void test_cache_hit_and_expiry(void **state)
{
	struct ha_cache *c = ha_cache_new(2, 10);
	uint8_t k1[HA_KEY_LEN], k2[HA_KEY_LEN];

	(void)state;
	assert_non_null(c);
	key_of(k1, 1);
	key_of(k2, 2);
	assert_false(ha_cache_hit(c, k1, 100));
	ha_cache_put(c, k1, 100);
	assert_true(ha_cache_hit(c, k1, 105));
	assert_false(ha_cache_hit(c, k2, 105));
	assert_false(ha_cache_hit(c, k1, 110)); /* ttl 10 s */
	ha_cache_put(c, k1, 120);
	ha_cache_clear(c);
	assert_false(ha_cache_hit(c, k1, 121));
	ha_cache_free(c);
}

static void test_cache_bounded(void **state)
{
	struct ha_cache *c = ha_cache_new(2, 100);
	uint8_t k1[HA_KEY_LEN], k2[HA_KEY_LEN], k3[HA_KEY_LEN];

	(void)state;
	assert_non_null(c);
	key_of(k1, 1);
	key_of(k2, 2);
	key_of(k3, 3);
	ha_cache_put(c, k1, 10);
	ha_cache_put(c, k2, 11);
	ha_cache_put(c, k1, 12); /* refreshes k1: k2 is now the oldest */
	ha_cache_put(c, k3, 13); /* full: replaces the oldest */
	assert_true(ha_cache_hit(c, k1, 14));
	assert_false(ha_cache_hit(c, k2, 14));
	assert_true(ha_cache_hit(c, k3, 14));
	ha_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_too_long),
		cmocka_unit_test(test_cache_key),
		cmocka_unit_test(test_cache_hit_and_expiry),
		cmocka_unit_test(test_cache_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
