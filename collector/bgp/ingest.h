/* ingest.h — BGP UPDATEs applied to a peer's RIB view, whatever source
 * carried them (BMP Route Monitoring, the wire in passive capture):
 * decoding with the peer's context, RFC 7606 outcomes, End-of-RIB, the
 * canonical attribute-set key, and what gets counted per peer.
 *
 * The RIB views and the counters belong to whoever stores routes (the
 * model): it implements the small sink below, so this floor knows nothing
 * above it. A peer is the sink's handle, passed through untouched.
 *
 * Ownership: the caller owns the ingest object (bgp_ingest_new/free); it
 * keeps a copy of the sink, whose ctx must outlive it. */
#ifndef CW_BGP_INGEST_H
#define CW_BGP_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bgp.h"
#include "rib.h"

/* The view an UPDATE goes into (RFC 7854 §4.2 L flag, RFC 8671, RFC 9069). */
enum bgp_ingest_view {
	BGP_INGEST_ADJ_IN_PRE,
	BGP_INGEST_ADJ_IN_POST,
	BGP_INGEST_ADJ_OUT_PRE,
	BGP_INGEST_ADJ_OUT_POST,
	BGP_INGEST_LOC_RIB,
};

/* The address families whose routes are stored. */
enum bgp_ingest_af {
	BGP_INGEST_IPV4_UNICAST,
	BGP_INGEST_IPV6_UNICAST,
};

/* What ingest asks of the route store. Every call gets the sink's ctx;
 * peer is the handle the caller passed to bgp_ingest_update(). */
struct bgp_rib_sink_ops {
	/* An attribute set by its canonical key: an id with one reference
	 * the caller owns, 0 when it cannot be stored. */
	rib_attr_id (*attrs_intern)(void *ctx, const uint8_t *key, size_t len);
	void (*attrs_unref)(void *ctx, rib_attr_id id); /* takes 0 */
	/* Announces (attrs != 0) or withdraws (attrs 0) a prefix in peer's
	 * view; counted: into peer's route counters, else only the view. */
	enum rib_change (*route)(void *ctx, void *peer, enum bgp_ingest_view view,
				 enum bgp_ingest_af af, const struct rib_prefix *p,
				 rib_attr_id attrs, bool counted);
	void (*end_of_rib)(void *ctx, void *peer, enum bgp_ingest_view view,
			   enum bgp_ingest_af af);
	void (*count_error)(void *ctx, void *peer, const char *reason); /* static string */
	void (*count_update)(void *ctx, void *peer);
	/* Optional (NULL: none). A hint that route() will soon be called
	 * with these arguments: the store may start loading what it will
	 * touch (a table slot far out of the CPU caches). Changes nothing. */
	void (*prefetch)(void *ctx, void *peer, enum bgp_ingest_view view,
			 enum bgp_ingest_af af, const struct rib_prefix *p, rib_attr_id attrs);
};

struct bgp_rib_sink {
	const struct bgp_rib_sink_ops *ops; /* static */
	void *ctx;
};

struct bgp_ingest;

/* Returns an ingest object feeding sink, owned by the caller, or NULL. */
struct bgp_ingest *bgp_ingest_new(struct bgp_rib_sink sink);
void bgp_ingest_free(struct bgp_ingest *in); /* takes NULL */

/* Applies one UPDATE (whole message, header included) from peer to its
 * view, decoded with ctx (its route changes queued while a batch is
 * open). Malformed input is counted per peer and reason and never stops
 * the caller. */
void bgp_ingest_update(struct bgp_ingest *in, void *peer, enum bgp_ingest_view view,
		       const struct bgp_decode_ctx *ctx, const uint8_t *msg, size_t len);

/* Batches: between bgp_ingest_batch_begin() and bgp_ingest_batch_end(),
 * the route changes of the UPDATEs applied are queued (a few dozen) and
 * applied in their order at the latest by batch_end, after a prefetch of
 * what each touches, so that the store's cache misses overlap instead of
 * coming one route at a time. The outcome is that of applying each
 * UPDATE at once: ingest flushes before its own sink calls whose order
 * with the routes could show (error counts, End-of-RIB), and keeps the
 * attribute sets of queued routes alive. The caller calls
 * bgp_ingest_flush() before anything of its own that reads or changes
 * what routes touch (a peer's views, counters or error counts, its
 * mapping, a peer created or looked up with new attributes) and ends the
 * batch before it returns to anything that may free a peer. Outside a
 * batch, each UPDATE is applied at once. */
void bgp_ingest_batch_begin(struct bgp_ingest *in);
void bgp_ingest_flush(struct bgp_ingest *in);
void bgp_ingest_batch_end(struct bgp_ingest *in); /* flushes */

/* Applies one UPDATE that peer's neighbour sent TO peer (passive capture:
 * what our router sends a configured neighbour is that neighbour's
 * Adj-RIB-Out). Only the view changes: peer's counters and parse errors
 * count what peer sent, and the sender's own ingest counts this message. */
void bgp_ingest_sent_to(struct bgp_ingest *in, void *peer, enum bgp_ingest_view view,
			const struct bgp_decode_ctx *ctx, const uint8_t *msg, size_t len);

#endif
