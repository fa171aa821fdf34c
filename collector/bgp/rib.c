/* rib.c — open-addressing route tables and interned attribute sets.
 *
 * Both the route tables and the attribute index use linear probing with
 * backward-shift deletion (no tombstones, so a table that churns for
 * months does not slow down). A route slot is its key bytes followed by
 * the 32-bit attribute id; id 0 marks an empty slot. */
#include "rib.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hash.h"

#define MIN_CAP 16u
/* Slot arrays of at least this many bytes get their own anonymous mapping
 * (a 16-slot table stays in malloc's heap). */
#define SLOTS_MAP_MIN (256u * 1024u)
/* A released table gives back the pages the GC has passed once they add
 * up to this much (one madvise per 256 KiB, not per page). */
#define RETURN_CHUNK (256u * 1024u)

/* slot: key (address bytes, prefix length, path id), then the attribute id */
#define STRIDE4 16u
#define STRIDE6 28u

struct attr_set {
	uint64_t hash;
	uint32_t refcnt;  /* 0: the id is free */
	uint32_t len;
	uint8_t *bytes;
};

struct rib_table {
	uint8_t family;
	uint8_t stride;
	uint8_t *slots;     /* cap * stride bytes */
	size_t cap;         /* power of two */
	size_t count;
	struct rib_table *prev, *next; /* in the rib's live or released list */
	size_t gc_pos;                 /* while released: next slot to release */
	size_t returned;               /* while released: leading bytes of slots
	                                * given back to the system (mapped only) */
};

struct rib {
	struct attr_set *sets;  /* by id; sets[0] unused */
	uint32_t nsets;         /* ids handed out so far (+1) */
	uint32_t sets_cap;
	uint32_t *free_ids;
	uint32_t nfree, free_cap;
	uint64_t *index;        /* open addressing over sets: the id in the low
	                         * 32 bits, the hash's high 32 bits above it (a
	                         * probe that is not the set looked for is told
	                         * without reading sets[]); 0 = empty */
	size_t index_cap;
	size_t alive;           /* distinct sets alive */
	size_t attr_bytes;      /* bytes of all set payloads */
	size_t table_bytes;     /* slots and headers of every table, released
	                         * ones included, less what released tables gave
	                         * back */
	size_t page;            /* the system's page size */
	struct rib_table *live;     /* tables in use */
	struct rib_table *released; /* tables whose routes rib_gc() releases */
	size_t released_left;       /* their routes, plus one per table: what
	                             * rib_gc() returns, kept as it goes (a walk
	                             * of 100,000 released tables costs 25 ms) */
};

/* Backward-shift deletion: may the entry at j, whose home slot is k, move
 * into the hole at i? Only when its home does not lie in (i, j]. */
static bool may_fill_hole(size_t i, size_t j, size_t k)
{
	if (i <= j)
		return k <= i || k > j;
	return k <= i && k > j;
}

/* ---- attribute sets ---- */

struct rib *rib_new(void)
{
	struct rib *rib = calloc(1, sizeof(*rib));

	if (rib == NULL)
		return NULL;
	rib->index_cap = MIN_CAP;
	rib->index = calloc(rib->index_cap, sizeof(*rib->index));
	rib->sets_cap = MIN_CAP;
	rib->sets = calloc(rib->sets_cap, sizeof(*rib->sets));
	rib->nsets = 1;
	rib->page = (size_t)sysconf(_SC_PAGESIZE);
	if (rib->index == NULL || rib->sets == NULL) {
		rib_free(rib);
		return NULL;
	}
	return rib;
}

/* Slot arrays: a big one lives in its own mapping, outside malloc's heap,
 * so that a released table goes back to the system page by page as the GC
 * passes it (slots_return) and at once when freed, whatever else the heap
 * holds; its free also never raises glibc's dynamic mmap threshold, which
 * would put the next big allocations in the heap, where only malloc_trim
 * returns them. Zero-filled, as calloc.
 *
 * Populated at once (MAP_POPULATE: writable pages, zeroed): a table fills
 * nearly every page of its array anyway, and an untouched page that an
 * insert's probe reads first gets the shared zero page, which the write
 * right after must replace. That replacement flushes the page from the TLB
 * of every CPU the process runs on: with BMP workers on two CPUs, an
 * interrupt to the other CPU per page, 14 % of ingest CPU in perf. */
static uint8_t *slots_alloc(size_t bytes)
{
	void *p;

	if (bytes < SLOTS_MAP_MIN)
		return calloc(1, bytes);
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		 -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void slots_free(uint8_t *slots, size_t bytes)
{
	if (bytes < SLOTS_MAP_MIN)
		free(slots);
	else if (slots != NULL)
		(void)munmap(slots, bytes);
}

/* Gives back the whole pages of a released, mapped table that the GC has
 * passed (their slots are never read again), a chunk at a time. */
static void slots_return(struct rib *rib, struct rib_table *t)
{
	size_t done = t->gc_pos * t->stride / rib->page * rib->page;

	if (t->cap * t->stride < SLOTS_MAP_MIN || done < t->returned + RETURN_CHUNK)
		return;
	if (madvise(t->slots + t->returned, done - t->returned, MADV_DONTNEED) != 0)
		return; /* kept until the table is freed */
	rib->table_bytes -= done - t->returned;
	t->returned = done;
}

static void table_free(struct rib *rib, struct rib_table *t)
{
	rib->table_bytes -= t->cap * t->stride - t->returned + sizeof(*t);
	slots_free(t->slots, t->cap * t->stride);
	free(t);
}

void rib_free(struct rib *rib)
{
	if (rib == NULL)
		return;
	struct rib_table *lists[] = {rib->live, rib->released};

	for (size_t l = 0; l < 2; l++) {
		while (lists[l] != NULL) {
			struct rib_table *t = lists[l];

			lists[l] = t->next;
			table_free(rib, t);
		}
	}
	for (uint32_t id = 1; id < rib->nsets; id++)
		free(rib->sets[id].bytes);
	free(rib->sets);
	free(rib->free_ids);
	free(rib->index);
	free(rib);
}

#define TAG_MASK 0xffffffff00000000ull

static uint32_t entry_id(uint64_t e)
{
	return (uint32_t)e;
}

static int index_grow(struct rib *rib)
{
	size_t cap = rib->index_cap * 2, mask = cap - 1;
	uint64_t *idx = calloc(cap, sizeof(*idx));

	if (idx == NULL)
		return -1;
	for (size_t i = 0; i < rib->index_cap; i++) {
		uint64_t e = rib->index[i];
		size_t j;

		if (e == 0)
			continue;
		for (j = rib->sets[entry_id(e)].hash & mask; idx[j] != 0; j = (j + 1) & mask)
			;
		idx[j] = e;
	}
	free(rib->index);
	rib->index = idx;
	rib->index_cap = cap;
	return 0;
}

static uint32_t new_id(struct rib *rib)
{
	if (rib->nfree > 0)
		return rib->free_ids[--rib->nfree];
	if (rib->nsets == UINT32_MAX)
		return 0;
	if (rib->nsets == rib->sets_cap) {
		uint32_t cap = rib->sets_cap > UINT32_MAX / 2 ? UINT32_MAX : rib->sets_cap * 2;
		struct attr_set *s = realloc(rib->sets, (size_t)cap * sizeof(*s));

		if (s == NULL)
			return 0;
		rib->sets = s;
		rib->sets_cap = cap;
	}
	return rib->nsets++;
}

rib_attr_id rib_attrs_intern(struct rib *rib, const uint8_t *bytes, size_t len)
{
	uint64_t h, e;
	size_t mask, i;
	uint32_t id;
	uint8_t *copy;

	if (len == 0 || len > RIB_MAX_ATTR_BYTES)
		return 0;
	h = bgp_hash_bytes(bytes, len);
	mask = rib->index_cap - 1;
	for (i = h & mask; (e = rib->index[i]) != 0; i = (i + 1) & mask) {
		const struct attr_set *s;

		if (((e ^ h) & TAG_MASK) != 0)
			continue;
		id = entry_id(e);
		s = &rib->sets[id];
		if (s->hash == h && s->len == len && memcmp(s->bytes, bytes, len) == 0) {
			rib->sets[id].refcnt++;
			return id;
		}
	}
	if ((rib->alive + 1) * 4 > rib->index_cap * 3) {
		if (index_grow(rib) != 0)
			return 0;
		mask = rib->index_cap - 1;
		for (i = h & mask; rib->index[i] != 0; i = (i + 1) & mask)
			;
	}
	copy = malloc(len);
	if (copy == NULL)
		return 0;
	id = new_id(rib);
	if (id == 0) {
		free(copy);
		return 0;
	}
	memcpy(copy, bytes, len);
	rib->sets[id] = (struct attr_set){h, 1, (uint32_t)len, copy};
	rib->index[i] = (h & TAG_MASK) | id;
	rib->alive++;
	rib->attr_bytes += len;
	return id;
}

void rib_attrs_ref(struct rib *rib, rib_attr_id id)
{
	rib->sets[id].refcnt++;
}

static void index_remove(struct rib *rib, uint32_t id)
{
	size_t mask = rib->index_cap - 1, i, j;

	for (i = rib->sets[id].hash & mask; entry_id(rib->index[i]) != id; i = (i + 1) & mask)
		;
	for (j = (i + 1) & mask; rib->index[j] != 0; j = (j + 1) & mask) {
		size_t k = rib->sets[entry_id(rib->index[j])].hash & mask;

		if (may_fill_hole(i, j, k)) {
			rib->index[i] = rib->index[j];
			i = j;
		}
	}
	rib->index[i] = 0;
}

void rib_attrs_unref(struct rib *rib, rib_attr_id id)
{
	struct attr_set *s;

	if (id == 0)
		return;
	s = &rib->sets[id];
	if (--s->refcnt > 0)
		return;
	index_remove(rib, id);
	rib->attr_bytes -= s->len;
	rib->alive--;
	free(s->bytes);
	s->bytes = NULL;
	s->len = 0;
	if (rib->nfree == rib->free_cap) {
		uint32_t cap = rib->free_cap ? rib->free_cap * 2 : 64;
		uint32_t *f = realloc(rib->free_ids, (size_t)cap * sizeof(*f));

		if (f == NULL)
			return; /* the id is leaked for reuse, not the memory */
		rib->free_ids = f;
		rib->free_cap = cap;
	}
	rib->free_ids[rib->nfree++] = id;
}

const uint8_t *rib_attrs_bytes(const struct rib *rib, rib_attr_id id, size_t *len)
{
	*len = rib->sets[id].len;
	return rib->sets[id].bytes;
}

size_t rib_attrs_count(const struct rib *rib)
{
	return rib->alive;
}

/* ---- route tables ---- */

static uint32_t slot_attr(const struct rib_table *t, size_t i)
{
	uint32_t a;

	memcpy(&a, t->slots + i * t->stride + t->stride - 4, 4);
	return a;
}

static void slot_set_attr(struct rib_table *t, size_t i, uint32_t a)
{
	memcpy(t->slots + i * t->stride + t->stride - 4, &a, 4);
}

/* Writes p's key into a slot. */
static void key_put(const struct rib_table *t, uint8_t *slot, const struct rib_prefix *p)
{
	size_t alen = t->family == 4 ? 4 : 16;

	memcpy(slot, p->addr, alen);
	slot[alen] = p->len;
	memcpy(slot + alen + 1, &p->path_id, 4);
}

struct rib_table *rib_table_new(struct rib *rib, uint8_t family)
{
	struct rib_table *t;

	if (family != 4 && family != 6)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->family = family;
	t->stride = family == 4 ? STRIDE4 : STRIDE6;
	t->cap = MIN_CAP;
	t->slots = slots_alloc(t->cap * t->stride);
	if (t->slots == NULL) {
		free(t);
		return NULL;
	}
	rib->table_bytes += t->cap * t->stride + sizeof(*t);
	t->next = rib->live;
	if (rib->live != NULL)
		rib->live->prev = t;
	rib->live = t;
	return t;
}

/* Keys are hashed and compared field by field, straight from the prefix
 * and from a slot alike: assembling the key bytes first and reading them
 * back as words stalls on store forwarding, on every route. */

/* The hash of a key whose address is at addr (4 or 16 bytes). */
static uint64_t route_hash(const struct rib_table *t, const uint8_t *addr, uint8_t len,
			   uint32_t path_id)
{
	uint64_t a0, a1;
	uint32_t a;

	if (t->family == 4) {
		memcpy(&a, addr, 4);
		return bgp_hash_route(a, 0, len, path_id);
	}
	memcpy(&a0, addr, 8);
	memcpy(&a1, addr + 8, 8);
	return bgp_hash_route(a0, a1, len, path_id);
}

static uint64_t prefix_hash(const struct rib_table *t, const struct rib_prefix *p)
{
	return route_hash(t, p->addr, p->len, p->path_id);
}

static uint64_t slot_hash(const struct rib_table *t, const uint8_t *slot)
{
	size_t alen = t->family == 4 ? 4 : 16;
	uint32_t path_id;

	memcpy(&path_id, slot + alen + 1, 4);
	return route_hash(t, slot, slot[alen], path_id);
}

/* Whether a slot holds p: constant lengths, so the compares are inlined. */
static bool slot_is(const struct rib_table *t, const uint8_t *slot, const struct rib_prefix *p)
{
	if (t->family == 4)
		return memcmp(slot, p->addr, 4) == 0 && slot[4] == p->len &&
		       memcmp(slot + 5, &p->path_id, 4) == 0;
	return memcmp(slot, p->addr, 16) == 0 && slot[16] == p->len &&
	       memcmp(slot + 17, &p->path_id, 4) == 0;
}

/* Finds the slot holding p, or the empty slot where it would go. */
static size_t find(const struct rib_table *t, const struct rib_prefix *p, uint64_t h, bool *found)
{
	size_t mask = t->cap - 1, i;

	for (i = h & mask; slot_attr(t, i) != 0; i = (i + 1) & mask) {
		if (slot_is(t, t->slots + i * t->stride, p)) {
			*found = true;
			return i;
		}
	}
	*found = false;
	return i;
}

/* Copies a route slot: constant lengths, so the copy is inlined. */
static void slot_copy(const struct rib_table *t, uint8_t *dst, const uint8_t *src)
{
	if (t->stride == STRIDE4)
		memcpy(dst, src, STRIDE4);
	else
		memcpy(dst, src, STRIDE6);
}

/* Re-inserts n routes (slot src[k], hash h[k]) into a bigger array. */
static void grow_insert(const struct rib_table *t, uint8_t *slots, size_t mask,
			const size_t *src, const uint64_t *h, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		size_t j = h[k] & mask;

		while (memcmp(slots + j * t->stride + t->stride - 4, "\0\0\0\0", 4) != 0)
			j = (j + 1) & mask;
		slot_copy(t, slots + j * t->stride, t->slots + src[k] * t->stride);
	}
}

/* Routes re-inserted per round of a grow: their new slots are prefetched
 * together, so the misses of a round overlap. */
#define GROW_ROUND 16u

static int table_grow(struct rib *rib, struct rib_table *t)
{
	size_t cap = t->cap * 2, mask = cap - 1, src[GROW_ROUND];
	uint64_t h[GROW_ROUND];
	uint8_t *slots = slots_alloc(cap * t->stride);

	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < t->cap;) {
		size_t n = 0;

		for (; i < t->cap && n < GROW_ROUND; i++) {
			if (slot_attr(t, i) == 0)
				continue;
			src[n] = i;
			h[n] = slot_hash(t, t->slots + i * t->stride);
			__builtin_prefetch(slots + (h[n] & mask) * t->stride, 1, 3);
			n++;
		}
		grow_insert(t, slots, mask, src, h, n);
	}
	rib->table_bytes += cap * t->stride - t->cap * t->stride;
	slots_free(t->slots, t->cap * t->stride);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

enum rib_change rib_announce(struct rib *rib, struct rib_table *t, const struct rib_prefix *p,
			     rib_attr_id attrs)
{
	uint64_t h;
	uint32_t old;
	bool found;
	size_t i;

	h = prefix_hash(t, p);
	i = find(t, p, h, &found);
	if (found) {
		old = slot_attr(t, i);
		if (old == attrs)
			return RIB_UNCHANGED;
		rib_attrs_ref(rib, attrs);
		slot_set_attr(t, i, attrs);
		rib_attrs_unref(rib, old);
		return RIB_REPLACED;
	}
	if (t->count >= RIB_MAX_ROUTES_PER_TABLE)
		return RIB_FULL;
	if ((t->count + 1) * 4 > t->cap * 3) {
		if (table_grow(rib, t) != 0)
			return RIB_FULL;
		i = find(t, p, h, &found);
	}
	key_put(t, t->slots + i * t->stride, p);
	slot_set_attr(t, i, attrs);
	rib_attrs_ref(rib, attrs);
	t->count++;
	return RIB_ADDED;
}

void rib_prefetch(const struct rib *rib, const struct rib_table *t, const struct rib_prefix *p,
		  rib_attr_id attrs)
{
	const uint8_t *slot = t->slots + (prefix_hash(t, p) & (t->cap - 1)) * t->stride;

	__builtin_prefetch(slot, 1, 3);
	if (t->stride != STRIDE4) /* an IPv6 slot may straddle two lines (IPv4's never do) */
		__builtin_prefetch(slot + t->stride - 1, 1, 3);
	if (attrs != 0 && attrs < rib->nsets)
		__builtin_prefetch(&rib->sets[attrs], 1, 3); /* its reference count */
}

static void table_remove_at(struct rib_table *t, size_t i)
{
	size_t mask = t->cap - 1, j;

	for (j = (i + 1) & mask; slot_attr(t, j) != 0; j = (j + 1) & mask) {
		size_t k = slot_hash(t, t->slots + j * t->stride) & mask;

		if (may_fill_hole(i, j, k)) {
			memcpy(t->slots + i * t->stride, t->slots + j * t->stride, t->stride);
			i = j;
		}
	}
	memset(t->slots + i * t->stride, 0, t->stride);
	t->count--;
}

enum rib_change rib_withdraw(struct rib *rib, struct rib_table *t, const struct rib_prefix *p)
{
	bool found;
	size_t i;
	uint32_t old;

	i = find(t, p, prefix_hash(t, p), &found);
	if (!found)
		return RIB_ABSENT;
	old = slot_attr(t, i);
	table_remove_at(t, i);
	rib_attrs_unref(rib, old);
	return RIB_REMOVED;
}

rib_attr_id rib_lookup(const struct rib_table *t, const struct rib_prefix *p)
{
	bool found;
	size_t i;

	i = find(t, p, prefix_hash(t, p), &found);
	return found ? slot_attr(t, i) : 0;
}

size_t rib_table_count(const struct rib_table *t)
{
	return t->count;
}

int rib_table_walk(const struct rib_table *t,
		   int (*fn)(const struct rib_prefix *p, rib_attr_id attrs, void *arg), void *arg)
{
	size_t alen = t->family == 4 ? 4 : 16;

	for (size_t i = 0; i < t->cap; i++) {
		const uint8_t *s = t->slots + i * t->stride;
		struct rib_prefix p = {.family = t->family};
		uint32_t a = slot_attr(t, i);
		int rc;

		if (a == 0)
			continue;
		memcpy(p.addr, s, alen);
		p.len = s[alen];
		memcpy(&p.path_id, s + alen + 1, 4);
		rc = fn(&p, a, arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void rib_table_release(struct rib *rib, struct rib_table *t)
{
	if (t == NULL)
		return;
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		rib->live = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	t->prev = NULL;
	t->gc_pos = 0;
	t->returned = 0;
	rib->released_left += t->count + 1;
	t->next = rib->released;
	rib->released = t;
}

size_t rib_gc(struct rib *rib, size_t budget)
{
	while (rib->released != NULL && budget > 0) {
		struct rib_table *t = rib->released;

		for (; t->gc_pos < t->cap && budget > 0; t->gc_pos++, budget--) {
			uint32_t a = slot_attr(t, t->gc_pos);

			if (a != 0) {
				rib_attrs_unref(rib, a);
				t->count--;
				rib->released_left--;
			}
		}
		if (t->gc_pos < t->cap) {
			slots_return(rib, t);
			break;
		}
		rib->released = t->next;
		rib->released_left--;
		table_free(rib, t);
	}
	return rib->released_left;
}

struct rib_memory_use rib_memory_use(const struct rib *rib)
{
	return (struct rib_memory_use){
		.tables = rib->table_bytes,
		.attributes = rib->attr_bytes + (size_t)rib->sets_cap * sizeof(*rib->sets) +
			      rib->index_cap * sizeof(*rib->index) +
			      (size_t)rib->free_cap * sizeof(*rib->free_ids),
	};
}

size_t rib_memory(const struct rib *rib)
{
	struct rib_memory_use u = rib_memory_use(rib);

	return sizeof(*rib) + u.tables + u.attributes;
}
