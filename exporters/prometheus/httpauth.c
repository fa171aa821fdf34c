/* httpauth.c — Authorization header decoding and the verified-credential
 * cache of the exporter's basic auth (see httpauth.h). */
#include "httpauth.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

/* base64 of HA_CRED_MAX bytes, rounded up to whole quads */
#define HA_B64_MAX (((HA_CRED_MAX + 2) / 3) * 4)

struct ha_entry {
	uint8_t key[HA_KEY_LEN];
	double stored; /* 0: free */
};

struct ha_cache {
	pthread_mutex_t lock;
	uint8_t secret[32];
	double ttl;
	size_t max;
	struct ha_entry e[]; /* max entries */
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

int ha_parse_basic(const char *value, size_t len, struct ha_cred *out)
{
	gnutls_datum_t in, dec = {NULL, 0};
	const char *colon;
	size_t i = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	/* RFC 7617 §2: credentials = "Basic" 1*SP token68 */
	if (len < 6 || strncasecmp(value, "Basic", 5) != 0 || !is_ws(value[5]))
		return -1;
	for (i = 5; i < len && is_ws(value[i]); i++)
		;
	while (len > i && is_ws(value[len - 1]))
		len--;
	if (len == i || len - i > HA_B64_MAX)
		return -1;
	in.data = (unsigned char *)(uintptr_t)(value + i);
	in.size = (unsigned)(len - i);
	if (gnutls_base64_decode2(&in, &dec) != 0 || dec.size > HA_CRED_MAX)
		goto out;
	/* RFC 7617 §2: the user-id cannot contain ':'; the password may hold anything */
	colon = memchr(dec.data, ':', dec.size);
	if (colon == NULL)
		goto out;
	out->user_len = (size_t)(colon - (const char *)dec.data);
	out->pass_len = dec.size - out->user_len - 1;
	memcpy(out->user, dec.data, out->user_len);
	memcpy(out->pass, colon + 1, out->pass_len);
	rc = 0;
out:
	if (dec.data != NULL) {
		explicit_bzero(dec.data, dec.size);
		gnutls_free(dec.data);
	}
	return rc;
}

void ha_cred_clean(struct ha_cred *c)
{
	explicit_bzero(c, sizeof(*c));
}

struct ha_cache *ha_cache_new(size_t max, double ttl)
{
	struct ha_cache *c = calloc(1, sizeof(*c) + max * sizeof(c->e[0]));

	if (c == NULL)
		return NULL;
	if (getrandom(c->secret, sizeof(c->secret), 0) != (ssize_t)sizeof(c->secret) ||
	    pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	c->max = max;
	c->ttl = ttl;
	return c;
}

void ha_cache_free(struct ha_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->lock);
	explicit_bzero(c, sizeof(*c) + c->max * sizeof(c->e[0]));
	free(c);
}

int ha_cache_key(const struct ha_cache *c, const struct ha_cred *cred, uint8_t key[HA_KEY_LEN])
{
	uint8_t buf[4 + 2 * HA_CRED_MAX];
	size_t n = 0;
	int rc;

	/* the length prefix keeps ("ab", "c") and ("a", "bc") apart */
	buf[n++] = (uint8_t)(cred->user_len >> 24);
	buf[n++] = (uint8_t)(cred->user_len >> 16);
	buf[n++] = (uint8_t)(cred->user_len >> 8);
	buf[n++] = (uint8_t)cred->user_len;
	memcpy(buf + n, cred->user, cred->user_len);
	n += cred->user_len;
	memcpy(buf + n, cred->pass, cred->pass_len);
	n += cred->pass_len;
	rc = gnutls_hmac_fast(GNUTLS_MAC_SHA256, c->secret, sizeof(c->secret), buf, n, key);
	explicit_bzero(buf, n);
	return rc == 0 ? 0 : -1;
}

/* Constant-time comparison of two keys. */
static bool key_eq(const uint8_t *a, const uint8_t *b)
{
	uint8_t d = 0;

	for (size_t i = 0; i < HA_KEY_LEN; i++)
		d |= (uint8_t)(a[i] ^ b[i]);
	return d == 0;
}

bool ha_cache_hit(struct ha_cache *c, const uint8_t key[HA_KEY_LEN], double now)
{
	bool hit = false;

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->max; i++) {
		struct ha_entry *e = &c->e[i];

		if (e->stored > 0 && now - e->stored >= c->ttl)
			*e = (struct ha_entry){0};
		else if (e->stored > 0 && key_eq(e->key, key))
			hit = true;
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

/* Lower is a better slot to reuse: free and expired first, then the oldest. */
static double reuse_rank(const struct ha_cache *c, const struct ha_entry *e, double now)
{
	return e->stored == 0 || now - e->stored >= c->ttl ? 0 : e->stored;
}

void ha_cache_put(struct ha_cache *c, const uint8_t key[HA_KEY_LEN], double now)
{
	struct ha_entry *slot = NULL;

	if (c->max == 0)
		return;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->max; i++) {
		struct ha_entry *e = &c->e[i];

		if (e->stored > 0 && key_eq(e->key, key)) {
			slot = e; /* refresh */
			break;
		}
		if (slot == NULL || reuse_rank(c, e, now) < reuse_rank(c, slot, now))
			slot = e;
	}
	memcpy(slot->key, key, HA_KEY_LEN);
	slot->stored = now;
	pthread_mutex_unlock(&c->lock);
}

void ha_cache_clear(struct ha_cache *c)
{
	pthread_mutex_lock(&c->lock);
	explicit_bzero(c->e, c->max * sizeof(c->e[0]));
	pthread_mutex_unlock(&c->lock);
}
