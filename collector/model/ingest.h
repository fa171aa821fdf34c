/* ingest.h — BGP UPDATEs applied to a peer's RIB view, whatever source
 * carried them (BMP Route Monitoring now, the wire later): decoding with
 * the peer's context, RFC 7606 outcomes, End-of-RIB, attribute interning,
 * and the per-peer counters of what happened.
 *
 * Ownership: the caller owns the ingest object (model_ingest_new/free); it
 * borrows the model, which must outlive it. */
#ifndef CW_MODEL_INGEST_H
#define CW_MODEL_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "bgp.h"
#include "model.h"

struct model_ingest;

struct model_ingest *model_ingest_new(struct model *m);
void model_ingest_free(struct model_ingest *in); /* takes NULL */

/* Applies one UPDATE (whole message, header included) from peer p to its
 * view, decoded with ctx. Malformed input is counted per peer and reason
 * and never stops the caller. */
void model_ingest_update(struct model_ingest *in, struct model_peer *p, enum model_view view,
			 const struct bgp_decode_ctx *ctx, const uint8_t *msg, size_t len);

/* Applies one UPDATE that p's neighbour sent TO p (passive capture: what
 * our router sends a configured neighbour is that neighbour's
 * Adj-RIB-Out). Only the view changes: p's counters and parse errors
 * count what p sent, and the sender's own ingest counts this message. */
void model_ingest_sent_to(struct model_ingest *in, struct model_peer *p, enum model_view view,
			  const struct bgp_decode_ctx *ctx, const uint8_t *msg, size_t len);

#endif
