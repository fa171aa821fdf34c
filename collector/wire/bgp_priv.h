/* bgp_priv.h — what the BGP codec's files share (bgp.c: framing, NLRI,
 * UPDATE, NOTIFICATION and friends; bgp_open.c: OPEN and capabilities;
 * bgp_attr.c: path attributes). Private to wire/: nothing outside the
 * codec includes it; bgp.h is the contract. */
#ifndef CW_WIRE_BGP_PRIV_H
#define CW_WIRE_BGP_PRIV_H

#include "bgp.h"

static inline uint64_t err_bit(enum bgp_error e)
{
	return (uint64_t)1 << (unsigned)e;
}

/* Bitsets by attribute type (struct bgp_update's seen and present). */
static inline bool bit_get(const uint8_t *set, uint8_t type)
{
	return (set[type >> 3] >> (type & 7)) & 1u;
}

static inline void bit_set(uint8_t *set, uint8_t type)
{
	set[type >> 3] = (uint8_t)(set[type >> 3] | (1u << (type & 7)));
}

/* bgp.c: the whole buffer must be one message of the expected type (0:
 * any) no longer than max_len; *body is carved over what follows the
 * header. */
enum bgp_error bgp_msg_open(const uint8_t *msg, size_t len, size_t max_len, uint8_t want,
			    uint8_t *type, struct wire_reader *body);

/* bgp.c: an NLRI block over what is left of r, ADD-PATH from ctx. */
void bgp_block_set(struct bgp_nlri_block *b, const struct wire_reader *r, uint16_t afi,
		   uint8_t safi, const struct bgp_decode_ctx *ctx);

/* bgp.c: records a reason and raises the outcome (RFC 7606 §3(h): the
 * most severe approach wins). */
void bgp_upd_err(struct bgp_update *u, enum bgp_error e, enum bgp_update_outcome o);

/* bgp_attr.c: every path attribute of an UPDATE's attribute block into u,
 * with the RFC 7606 outcome of each problem. */
void bgp_decode_attrs(struct bgp_update *u, struct wire_reader *a,
		      const struct bgp_decode_ctx *ctx);

#endif
