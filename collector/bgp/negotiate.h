/* negotiate.h — per-peer decode contexts negotiated from the OPENs, the
 * one implementation that BMP (Peer Up), passive capture (both directions
 * on the wire) and `circuitwatch decode` share.
 *
 * wire/bgp.h decodes one OPEN and combines two decoded OPENs into the
 * context of one direction (bgp_negotiate). This file holds the policy
 * around it: which OPENs count, both directions at once, and what is
 * assumed when only one side's OPEN is known.
 *
 * Pure: no allocation, no state. Ownership: every struct here is a plain
 * value owned by the caller; nothing points into the messages passed in. */
#ifndef CW_BGP_NEGOTIATE_H
#define CW_BGP_NEGOTIATE_H

#include <stdbool.h>

#include "bgp.h"
#include "bmp.h"

/* How one BGP session's two directions decode: what the peer sends (in:
 * its Adj-RIB-In at the monitored router) and what the monitored router
 * sends it (out: Adj-RIB-Out). They differ (RFC 7911 §4: ADD-PATH is
 * negotiated per direction). */
struct bgp_peer_ctx {
	struct bgp_decode_ctx in, out;
};

/* Both directions at bgp_ctx_init()'s defaults (4-octet AS, no ADD-PATH,
 * no extended messages). */
void bgp_peer_ctx_init(struct bgp_peer_ctx *c);

/* Drops what points into the message an OPEN was decoded from (hostname,
 * domain, raw capabilities), so that the numbers the negotiation needs
 * outlive the message. */
void bgp_open_detach(struct bgp_open *o);

/* Both directions of a session whose two OPENs are known: *from_a decodes
 * what speaker a sends, *from_b what b sends. */
void bgp_negotiate_both(const struct bgp_open *a, const struct bgp_open *b,
			struct bgp_decode_ctx *from_a, struct bgp_decode_ctx *from_b);

/* The contexts of a BMP Peer Up (RFC 7854 §4.10: the sent OPEN is the
 * monitored router's, the received one its peer's). A Peer Up's OPENs can
 * be missing or fabricated: they are used only when both are present and
 * decode without error. Returns 0 when they were, else -1 with *c at the
 * defaults (the caller counts that). */
int bgp_peer_ctx_peer_up(struct bgp_peer_ctx *c, const struct bmp_peer_up *u)
	__attribute__((warn_unused_result));

/* The context a BMP Route Monitoring (or mirrored PDU) under per-peer
 * header h is decoded with: RFC 8671's O flag picks the direction, and
 * RFC 7854 §4.2's A flag forces 2-octet AS_PATHs (neither applies to a
 * Loc-RIB peer, RFC 9069 §4.2). */
void bgp_peer_ctx_pick(const struct bgp_peer_ctx *c, const struct bmp_peer_hdr *h,
		       struct bgp_decode_ctx *out);

/* The context assumed for a one-directional stream once the sender's OPEN
 * is seen: the other side's OPEN is not there, so the receiver is taken
 * to have accepted what the sender offered (4-octet AS, ADD-PATH "send",
 * extended messages). */
void bgp_negotiate_sender_only(const struct bgp_open *sender, struct bgp_decode_ctx *out);

#endif
