/* attr_cache.c — raw path-attribute bytes → interned set. See attr_cache.h. */
#include "attr_cache.h"

#include <string.h>

#include "bgp.h"
#include "hash.h"

void bgp_attr_cache_init(struct bgp_attr_cache *c, void (*unref)(void *ctx, rib_attr_id id),
			 void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->unref = unref;
	c->ctx = ctx;
}

static void evict(struct bgp_attr_cache *c, struct bgp_attr_cache_entry *e)
{
	if (e->v.attrs != 0)
		c->unref(c->ctx, e->v.attrs);
	e->v.attrs = 0;
}

void bgp_attr_cache_clean(struct bgp_attr_cache *c)
{
	for (size_t i = 0; i < BGP_ATTR_CACHE_SLOTS; i++)
		evict(c, &c->e[i]);
}

/* MP_REACH's value (RFC 4760 §3): AFI(2) SAFI(1) NH len(1) NH Reserved(1),
 * then the NLRI. Sets the fixed part's length; -1 when it overruns. */
static int mp_fixed_len(const struct wire_reader *v, size_t *fixed)
{
	uint8_t nhlen;

	if (wire_peek_u8(v, 3, &nhlen) < 0 || wire_left(v) < 5u + nhlen)
		return -1;
	*fixed = 5u + nhlen;
	return 0;
}

/* Carves the key around MP_REACH: the attribute's header up to its
 * length field stays in seg[0]; start is where that field begins. */
static int split_mp(struct bgp_attr_key *k, const uint8_t *block, size_t start,
		    const struct wire_reader *v, size_t block_len)
{
	const uint8_t *after = wire_cur(v) + wire_left(v);
	size_t fixed;

	if (k->has_mp_reach || mp_fixed_len(v, &fixed) < 0)
		return -1;
	k->has_mp_reach = true;
	k->seg[0] = block;
	k->len[0] = (uint16_t)start;
	k->seg[1] = wire_cur(v);
	k->len[1] = (uint16_t)fixed;
	k->seg[2] = after;
	k->len[2] = (uint16_t)(block + block_len - after);
	wire_init(&k->mp_nlri, wire_cur(v) + fixed, wire_left(v) - fixed);
	return 0;
}

int bgp_attr_key_make(struct bgp_attr_key *k, const struct wire_reader *attrs, bool as4)
{
	struct wire_reader a = *attrs;
	const uint8_t *block = wire_cur(&a);
	size_t block_len = wire_left(&a);

	memset(k, 0, sizeof(*k));
	k->as4 = as4;
	k->seg[0] = block;
	k->len[0] = (uint16_t)block_len;
	if (block_len == 0 || block_len > UINT16_MAX)
		return -1;
	while (!wire_done(&a)) {
		struct wire_reader v;
		uint8_t flags, type, l8;
		uint16_t len;
		size_t start;

		if (wire_get_u8(&a, &flags) < 0 || wire_get_u8(&a, &type) < 0)
			return -1;
		start = (size_t)(wire_cur(&a) - block);
		if (flags & BGP_ATTR_FLAG_EXTENDED) {
			if (wire_get_u16(&a, &len) < 0)
				return -1;
		} else {
			if (wire_get_u8(&a, &l8) < 0)
				return -1;
			len = l8;
		}
		if (wire_sub(&a, len, &v) < 0 || type == BGP_ATTR_MP_UNREACH_NLRI)
			return -1;
		if (type == BGP_ATTR_MP_REACH_NLRI && split_mp(k, block, start, &v, block_len) < 0)
			return -1;
	}
	if ((size_t)k->len[0] + k->len[1] + k->len[2] > BGP_ATTR_CACHE_KEY_MAX)
		return -1;
	return 0;
}

/* The key's hash, computed on first use: most UPDATEs repeat the last
 * entry's attributes and are answered by a compare alone. */
static uint64_t key_hash(struct bgp_attr_key *k)
{
	if (!k->hashed) {
		k->hash = k->as4 ? 0x2545f4914f6cdd1dull : 0x9e3779b97f4a7c15ull;
		for (int i = 0; i < 3; i++)
			k->hash = bgp_hash_more(k->hash, k->seg[i], k->len[i]);
		k->hashed = true;
	}
	return k->hash;
}

static struct bgp_attr_cache_entry *slot_of(struct bgp_attr_cache *c, uint64_t hash)
{
	return &c->e[hash & (BGP_ATTR_CACHE_SLOTS - 1)];
}

static bool same_bytes(const struct bgp_attr_cache_entry *e, const struct bgp_attr_key *k)
{
	size_t off = 0;

	if (e->v.attrs == 0 || e->as4 != k->as4)
		return false;
	for (int i = 0; i < 3; i++) {
		if (e->len[i] != k->len[i])
			return false;
		if (k->len[i] > 0 && memcmp(e->bytes + off, k->seg[i], k->len[i]) != 0)
			return false;
		off += k->len[i];
	}
	return true;
}

const struct bgp_attr_value *bgp_attr_cache_find(struct bgp_attr_cache *c,
						 struct bgp_attr_key *k)
{
	struct bgp_attr_cache_entry *e = &c->e[c->last];

	if (!same_bytes(e, k)) {
		e = slot_of(c, key_hash(k));
		if (e->hash != k->hash || !same_bytes(e, k)) {
			c->misses++;
			return NULL;
		}
		c->last = (size_t)(e - c->e);
	}
	c->hits++;
	return &e->v;
}

const struct bgp_attr_value *bgp_attr_cache_find_last(struct bgp_attr_cache *c,
						      const struct wire_reader *attrs, bool as4,
						      struct bgp_attr_key *k)
{
	const struct bgp_attr_cache_entry *e = &c->e[c->last];
	const uint8_t *block = wire_cur(attrs);
	size_t len = wire_left(attrs);

	/* len[1] is MP_REACH's fixed part, 5 bytes at least, when it is there */
	if (e->v.attrs == 0 || e->as4 != as4 || e->len[1] != 0 || e->len[0] != len ||
	    memcmp(e->bytes, block, len) != 0)
		return NULL;
	memset(k, 0, sizeof(*k));
	k->as4 = as4;
	k->seg[0] = block;
	k->len[0] = (uint16_t)len;
	c->hits++;
	return &e->v;
}

void bgp_attr_cache_put(struct bgp_attr_cache *c, struct bgp_attr_key *k,
			const struct bgp_attr_value *v)
{
	struct bgp_attr_cache_entry *e = slot_of(c, key_hash(k));
	size_t off = 0;

	evict(c, e);
	c->last = (size_t)(e - c->e);
	e->hash = k->hash;
	e->as4 = k->as4;
	for (int i = 0; i < 3; i++) {
		e->len[i] = k->len[i];
		if (k->len[i] > 0)
			memcpy(e->bytes + off, k->seg[i], k->len[i]);
		off += k->len[i];
	}
	e->v = *v;
}
