/* httpauth.h — the pure part of the exporter's basic auth (RFC 7617):
 * decoding an Authorization header into user and password with their
 * lengths (a password may hold any byte, NUL included), and a bounded
 * cache of credentials that passed the crypt(3) check, keyed by an HMAC
 * under a per-process random key so that the cache never holds a
 * password or a fast hash of one (exporter-toolkit does the same).
 *
 * Threads: ha_parse_basic and ha_cache_key are pure; the cache has its
 * own lock, so lookups (HTTP thread) and inserts (hashing workers) may
 * run at once. */
#ifndef CW_HTTPAUTH_H
#define CW_HTTPAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HA_CRED_MAX 1024 /* decoded "user:password" bytes; longer is refused */
#define HA_KEY_LEN 32    /* HMAC-SHA256 */

struct ha_cred {
	char user[HA_CRED_MAX + 1]; /* NUL-terminated for logging; user_len is the truth */
	size_t user_len;
	char pass[HA_CRED_MAX + 1]; /* may contain NUL bytes: use pass_len */
	size_t pass_len;
};

/* Decodes `Basic <base64>` (scheme case-insensitive) of len bytes into out.
 * -1 for another scheme, bad base64, no ':' or more than HA_CRED_MAX bytes. */
__attribute__((warn_unused_result)) int ha_parse_basic(const char *value, size_t len,
						       struct ha_cred *out);

/* Wipes the credentials. */
void ha_cred_clean(struct ha_cred *c);

struct ha_cache;

/* A cache of at most max entries, each valid for ttl seconds, with a fresh
 * random HMAC key. NULL on failure. Owned by the caller: ha_cache_free. */
struct ha_cache *ha_cache_new(size_t max, double ttl);
void ha_cache_free(struct ha_cache *c);

/* key = HMAC-SHA256(cache key, len(user) || user || password). */
__attribute__((warn_unused_result)) int ha_cache_key(const struct ha_cache *c,
						     const struct ha_cred *cred,
						     uint8_t key[HA_KEY_LEN]);

/* True when key was stored less than ttl seconds before now. */
bool ha_cache_hit(struct ha_cache *c, const uint8_t key[HA_KEY_LEN], double now);

/* Stores key (a verified credential), replacing an expired entry or the
 * oldest one when full. */
void ha_cache_put(struct ha_cache *c, const uint8_t key[HA_KEY_LEN], double now);

/* Forgets every entry. */
void ha_cache_clear(struct ha_cache *c);

#endif
