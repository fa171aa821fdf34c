/* hash.h — the 64-bit hash of short byte strings used by the RIB's tables
 * and the attribute cache: 8-byte words through a multiply-xorshift mix
 * (route keys are 9..21 bytes, attribute sets longer). Inline: it is on
 * the per-route path. Not for anything an outside party could collide on
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

#endif
