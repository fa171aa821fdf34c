/* attr_cache.h — a small cache from an UPDATE's raw path-attribute bytes
 * to what ingest derived from them: the interned attribute set and the
 * MP_REACH AFI/SAFI. Routers (FRR's BMP among them) send the same
 * attributes message after message, one prefix each; a hit skips decoding
 * the attributes and building the canonical key.
 *
 * The key is the attribute block as it came, with the NLRI of MP_REACH_NLRI
 * and that attribute's length field left out (they change from prefix to
 * prefix while the attributes do not), plus the decode context's 4-octet-AS
 * flag, the only part of the context that changes what attribute bytes
 * mean. Blocks with MP_UNREACH_NLRI are never keyed (withdrawals and
 * End-of-RIB take the full path).
 *
 * Only blocks that decoded cleanly (no error, no RFC 7606 outcome) are
 * put in; ingest re-checks the NLRI and the mandatory NEXT_HOP on a hit and
 * takes the full path when either would complain, so outcomes and error
 * counters are those of a full decode.
 *
 * Bounded: BGP_ATTR_CACHE_SLOTS entries direct-mapped by hash (the entry
 * used last is compared first, before any hashing), keys of at
 * most BGP_ATTR_CACHE_KEY_MAX bytes; nothing grows from remote input.
 *
 * Ownership: the cache is embedded by its owner (bgp_attr_cache_init /
 * bgp_attr_cache_clean). Each cached id holds one reference of its own on
 * the interned set, taken over from the caller by bgp_attr_cache_put() and
 * given back through the unref callback on eviction and on clean. Keys
 * point into the caller's message buffer; entries keep copies. */
#ifndef CW_BGP_ATTR_CACHE_H
#define CW_BGP_ATTR_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader.h"
#include "rib.h"

#define BGP_ATTR_CACHE_SLOTS 64u    /* entries per cache (a power of two) */
#define BGP_ATTR_CACHE_KEY_MAX 512u /* longest key cached, bytes */

/* The attribute block of one UPDATE split around MP_REACH's NLRI: seg[0]
 * ends just before MP_REACH's length field, seg[1] is its AFI, SAFI, next
 * hop and reserved octet, seg[2] the attributes after it. Without
 * MP_REACH, seg[0] is the whole block. Pointers into the message. */
struct bgp_attr_key {
	const uint8_t *seg[3];
	uint16_t len[3];
	bool as4;
	bool hashed;   /* hash computed (on first need) */
	uint64_t hash;
	struct wire_reader mp_nlri; /* MP_REACH's NLRI (empty without it) */
	bool has_mp_reach;
};

/* What a clean decode of the block gave. */
struct bgp_attr_value {
	rib_attr_id attrs;  /* the interned set (one reference held by the entry) */
	bool has_next_hop;  /* NEXT_HOP was there (mandatory with IPv4 NLRI) */
	uint16_t mp_afi;    /* of MP_REACH, when has_mp_reach */
	uint8_t mp_safi;
	bool mp_decodable;  /* IPv4/IPv6 unicast or multicast */
};

struct bgp_attr_cache_entry {
	struct bgp_attr_value v; /* v.attrs 0: empty slot */
	uint64_t hash;
	uint16_t len[3];
	bool as4;
	uint8_t bytes[BGP_ATTR_CACHE_KEY_MAX];
};

struct bgp_attr_cache {
	void (*unref)(void *ctx, rib_attr_id id);
	void *ctx;
	uint64_t hits, misses; /* lookups that found / did not find an entry */
	size_t last;           /* the entry found or put last: tried first */
	struct bgp_attr_cache_entry e[BGP_ATTR_CACHE_SLOTS];
};

/* Empty cache giving references back with unref(ctx, id). */
void bgp_attr_cache_init(struct bgp_attr_cache *c, void (*unref)(void *ctx, rib_attr_id id),
			 void *ctx);
/* Releases every entry's reference. The cache may be reused after. */
void bgp_attr_cache_clean(struct bgp_attr_cache *c);

/* Splits the attribute block attrs (as carved from an UPDATE) into a key.
 * Returns -1 when the block cannot be cached: empty, an attribute running
 * past the block, MP_UNREACH_NLRI or a second MP_REACH_NLRI present,
 * MP_REACH's fixed part running past the attribute, or a key longer than
 * BGP_ATTR_CACHE_KEY_MAX. */
int bgp_attr_key_make(struct bgp_attr_key *k, const struct wire_reader *attrs, bool as4)
	__attribute__((warn_unused_result));

/* The entry for k, or NULL. Valid until the next put or clean. May
 * compute k's hash (kept in k). */
const struct bgp_attr_value *bgp_attr_cache_find(struct bgp_attr_cache *c,
						 struct bgp_attr_key *k);

/* The entry used last, when the attribute block attrs (as carved from an
 * UPDATE) is byte for byte its key and that key has no MP_REACH_NLRI: k is
 * then filled as bgp_attr_key_make() would fill it, without walking the
 * attributes (the same bytes split the same way). NULL otherwise, k
 * untouched: take bgp_attr_key_make() and bgp_attr_cache_find(). */
const struct bgp_attr_value *bgp_attr_cache_find_last(struct bgp_attr_cache *c,
						      const struct wire_reader *attrs, bool as4,
						      struct bgp_attr_key *k);

/* Stores v under k, taking over the caller's reference on v->attrs (not
 * 0); the entry in its slot, if any, is evicted and its reference given
 * back. */
void bgp_attr_cache_put(struct bgp_attr_cache *c, struct bgp_attr_key *k,
			const struct bgp_attr_value *v);

#endif
