/* hash.h — the 64-bit hashes used by the RIB's tables and the attribute
 * cache: byte strings (attribute sets, their raw blocks) as 8-byte words
 * through a multiply-xorshift mix, and route keys from their fields.
 * Inline: it is on the per-route path. Not for anything an outside party could collide on
 * to a cost beyond a longer probe (both users bound their tables). */
#ifndef CW_BGP_HASH_H
#define CW_BGP_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t bgp_hash_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/* Folds n bytes into h, 8 at a time. */
static inline uint64_t bgp_hash_more(uint64_t h, const uint8_t *p, size_t n)
{
	uint64_t w;

	h ^= n * 0x100000001b3ull;
	while (n >= 8) {
		memcpy(&w, p, 8);
		h = bgp_hash_mix(h ^ w);
		p += 8;
		n -= 8;
	}
	w = 0;
	if (n > 0)
		memcpy(&w, p, n);
	return bgp_hash_mix(h ^ w ^ 0x5bd1e995u);
}

static inline uint64_t bgp_hash_bytes(const uint8_t *p, size_t n)
{
	return bgp_hash_more(0x9e3779b97f4a7c15ull, p, n);
}

/* A route key from its fields, without assembling its bytes first (the
 * RIB hashes a prefix and a table slot alike): the address as words
 * (IPv4 in a0, a1 0; IPv6 in a0 and a1, each read in host order), the
 * prefix length and the ADD-PATH path id. One mix per address word. */
static inline uint64_t bgp_hash_route(uint64_t a0, uint64_t a1, uint8_t len, uint32_t path_id)
{
	uint64_t h = bgp_hash_mix(a0 ^ ((uint64_t)path_id << 32 | len) * 0x9e3779b97f4a7c15ull);

	return a1 == 0 ? h : bgp_hash_mix(h ^ a1);
}

#endif
