/* rib.h — routing information bases: per (peer, AFI/SAFI, view) tables of
 * prefix (+ ADD-PATH path id) → interned attribute set.
 *
 * Memory is the design constraint (a full table is 1.2 M routes per peer):
 * a route is a fixed-size slot in an open-addressing table — 16 bytes for
 * IPv4, 28 for IPv6 — holding the key and a 32-bit attribute-set id; the
 * attribute sets themselves are interned once per distinct value and
 * shared by every route (of every peer) that carries them.
 *
 * Releasing a full table (a peer goes down) must never stall the loop:
 * rib_table_release() detaches the table in O(1) and rib_gc() drops its
 * attribute references a bounded number of routes at a time, giving the
 * table's memory back to the system as it goes (not at the end, and not
 * through malloc's heap).
 *
 * Ownership: the rib owns every table and attribute set. Not thread-safe:
 * one owner thread (the loop) uses it.
 */
#ifndef CW_RIB_H
#define CW_RIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RIB_MAX_ATTR_BYTES 65535u   /* an interned attribute set, at most */
#define RIB_MAX_ROUTES_PER_TABLE (1u << 26) /* 67 M: refuse to grow past */

struct rib;
struct rib_table;

/* Attribute set id: 0 means none. */
typedef uint32_t rib_attr_id;

struct rib_prefix {
	uint8_t family;    /* 4 or 6 */
	uint8_t len;       /* prefix length, <= 32 or <= 128 */
	uint32_t path_id;  /* ADD-PATH path identifier; 0 without ADD-PATH */
	uint8_t addr[16];  /* network order; IPv4 in the first 4 bytes; host
	                    * bits beyond len must be zero (the caller masks) */
};

enum rib_change {
	RIB_ADDED,     /* a new route */
	RIB_REPLACED,  /* an implicit withdraw: same prefix, new attributes */
	RIB_UNCHANGED, /* same prefix, same attributes (a duplicate) */
	RIB_REMOVED,   /* withdrawn */
	RIB_ABSENT,    /* withdraw of a prefix not in the table */
	RIB_FULL = -1, /* refused: table at RIB_MAX_ROUTES_PER_TABLE or out of memory */
};

/* Returns a new empty rib owned by the caller (rib_free), or NULL. */
struct rib *rib_new(void);
/* Frees everything, tables in release included. Takes NULL. */
void rib_free(struct rib *rib);

/* Interns an attribute set (opaque bytes, 1..RIB_MAX_ATTR_BYTES) and
 * returns its id with one reference owned by the caller, or 0 on
 * allocation failure. The same bytes always give the same id while any
 * reference is held. */
rib_attr_id rib_attrs_intern(struct rib *rib, const uint8_t *bytes, size_t len)
	__attribute__((warn_unused_result));
void rib_attrs_ref(struct rib *rib, rib_attr_id id);
void rib_attrs_unref(struct rib *rib, rib_attr_id id); /* takes 0 */
/* The bytes of a set (owned by the rib; valid while a reference is held). */
const uint8_t *rib_attrs_bytes(const struct rib *rib, rib_attr_id id, size_t *len);
size_t rib_attrs_count(const struct rib *rib);  /* distinct sets alive */

/* A new empty table for family 4 or 6, owned by the rib; NULL on failure. */
struct rib_table *rib_table_new(struct rib *rib, uint8_t family);
/* Detaches t at once (it must not be used afterwards); its routes are
 * released by later rib_gc() calls. Takes NULL. */
void rib_table_release(struct rib *rib, struct rib_table *t);
/* Passes up to budget route slots of released tables, dropping their
 * routes' references. A big table's pages go back to the system as they
 * are passed (its slots live in their own mapping), the table itself when
 * its last slot is. Returns the routes still to release plus one per
 * released table not yet freed: 0 once every released table is freed. */
size_t rib_gc(struct rib *rib, size_t budget);

/* Adds or replaces a route; the table takes its own reference on attrs
 * (a valid id from rib_attrs_intern). */
enum rib_change rib_announce(struct rib *rib, struct rib_table *t,
			     const struct rib_prefix *p, rib_attr_id attrs);
enum rib_change rib_withdraw(struct rib *rib, struct rib_table *t,
			     const struct rib_prefix *p);
/* A hint that p is about to be announced (attrs != 0) or withdrawn
 * (attrs 0) in t: starts loading the table slot it lands in (and the
 * set's reference count), so that a caller applying many routes can
 * overlap those cache misses instead of waiting on each in turn. Changes
 * nothing. */
void rib_prefetch(const struct rib *rib, const struct rib_table *t, const struct rib_prefix *p,
		  rib_attr_id attrs);
/* The attribute set of a route, or 0 when absent. */
rib_attr_id rib_lookup(const struct rib_table *t, const struct rib_prefix *p);
/* Routes in the table. */
size_t rib_table_count(const struct rib_table *t);

/* Calls fn for every route of t (order unspecified); stops early when fn
 * returns non-zero and returns that value. t must not change meanwhile. */
int rib_table_walk(const struct rib_table *t,
		   int (*fn)(const struct rib_prefix *p, rib_attr_id attrs, void *arg),
		   void *arg);

/* Bytes held by the rib: tables, attribute sets and their index (a
 * released table's pages count until the GC gives them back). */
size_t rib_memory(const struct rib *rib);

/* The same, by what holds it (circuitwatch_memory_bytes): O(1), from
 * counts kept as tables and sets come and go. */
struct rib_memory_use {
	size_t tables;     /* route slot arrays and table headers */
	size_t attributes; /* attribute set bytes, the set array and its index */
};
struct rib_memory_use rib_memory_use(const struct rib *rib);

#endif
