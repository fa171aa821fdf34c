/* fuzz_bgp.c — libFuzzer target for the BGP codec.
 *
 * The first input byte chooses the decoding context (4-octet AS, ADD-PATH
 * for IPv4/IPv6 unicast, extended messages); the rest is a BGP byte
 * stream. Each framed message goes to its decoder, and the whole rest is
 * also handed to every decoder as if it were one message, so decoders are
 * reached even when framing would reject the input. Everything a consumer
 * would walk (NLRI, AS paths, communities, names) is walked, and the
 * contract is checked: outcomes in range, prefixes within their family's
 * length, arrays within their caps.
 */
#include <stdint.h>
#include <stdlib.h>

#include "bgp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk_block(const struct bgp_nlri_block *b)
{
	struct bgp_nlri_iter it;
	struct bgp_prefix p;
	char buf[80];
	int rc;

	if (bgp_nlri_iter_init(&it, b) < 0)
		return;
	while ((rc = bgp_nlri_next(&it, &p)) == 1) {
		if (p.len > (p.afi == BGP_AFI_IPV4 ? 32 : 128) || p.has_path_id != b->add_path)
			abort();
		if (bgp_prefix_format(&p, buf, sizeof(buf)) <= 0)
			abort();
	}
	if (rc < 0 && bgp_error_reason_name(it.error)[0] == 'u')
		abort(); /* every reason has a name */
}

static void walk_path(const struct bgp_aspath *p)
{
	struct bgp_aspath_iter it;
	struct bgp_as_segment seg;
	uint32_t asn;

	bgp_aspath_iter_init(&it, p);
	while (bgp_aspath_next(&it, &seg) == 1) {
		unsigned n = 0;

		while (bgp_as_segment_next(&seg, &asn) == 1)
			n++;
		if (n != seg.count)
			abort();
	}
}

static void walk_update(const struct bgp_update *u)
{
	struct bgp_as_hop hops[16];
	struct bgp_large_community lc;
	uint32_t c32;
	uint64_t c64;
	uint16_t afi;
	uint8_t safi;
	size_t n;

	if (u->outcome > BGP_UPDATE_SESSION_RESET || u->n_unknown > BGP_UPDATE_MAX_UNKNOWN ||
	    (u->outcome != BGP_UPDATE_OK && u->errors == 0))
		abort();
	walk_block(&u->withdrawn);
	walk_block(&u->nlri);
	walk_block(&u->mp_reach);
	walk_block(&u->mp_unreach);
	walk_path(&u->as_path);
	walk_path(&u->as4_path);
	if (bgp_aspath_effective(u, hops, 16, &n) == 0 && !bgp_update_has(u, BGP_ATTR_AS_PATH))
		abort();
	for (size_t i = 0; i < u->communities.count; i++)
		if (bgp_community_get(&u->communities, i, &c32) < 0)
			abort();
	for (size_t i = 0; i < u->ext_communities.count; i++)
		if (bgp_ext_community_get(&u->ext_communities, i, &c64) < 0)
			abort();
	for (size_t i = 0; i < u->large_communities.count; i++)
		if (bgp_large_community_get(&u->large_communities, i, &lc) < 0)
			abort();
	if (bgp_update_is_eor(u, &afi, &safi) && u->outcome != BGP_UPDATE_OK)
		abort();
}

static void decode_one(const uint8_t *msg, size_t len, const struct bgp_decode_ctx *ctx)
{
	struct bgp_update u;
	struct bgp_open o;
	struct bgp_decode_ctx neg;
	struct bgp_notification nt;
	struct bgp_route_refresh rr;
	enum bgp_error e;

	if (bgp_update_decode(msg, len, ctx, &u) == 0)
		walk_update(&u);
	else if (u.outcome != BGP_UPDATE_SESSION_RESET)
		abort();
	if (bgp_open_decode(msg, len, &o) == 0 || o.version) {
		if (o.n_mp > BGP_OPEN_MAX_MP || o.n_addpath > BGP_OPEN_MAX_ADDPATH ||
		    o.n_gr > BGP_OPEN_MAX_GR || o.n_opaque > BGP_OPEN_MAX_OPAQUE)
			abort();
		bgp_negotiate(&o, &o, &neg);
		if (neg.n_addpath > BGP_CTX_MAX_ADDPATH)
			abort();
	}
	if (bgp_notification_decode(msg, len, &nt) == 0) {
		(void)bgp_notification_name(nt.code, nt.subcode);
		if (nt.has_shutdown_comm && nt.shutdown_comm_len >= nt.data_len)
			abort();
	}
	if (bgp_route_refresh_decode(msg, len, &rr) == 0 && rr.orf_len > len)
		abort();
	if (bgp_keepalive_decode(msg, len, &e) == 0 && len != BGP_HEADER_LEN)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bgp_decode_ctx ctx;
	uint8_t mode;
	size_t off = 1;

	if (size < 1)
		return 0;
	mode = data[0];
	bgp_ctx_init(&ctx);
	ctx.as4 = mode & 1;
	ctx.extended_message = mode & 8;
	if (mode & 2)
		ctx.addpath[ctx.n_addpath++] = (struct bgp_afisafi){BGP_AFI_IPV4, BGP_SAFI_UNICAST};
	if (mode & 4)
		ctx.addpath[ctx.n_addpath++] = (struct bgp_afisafi){BGP_AFI_IPV6, BGP_SAFI_UNICAST};

	decode_one(data + 1, size - 1, &ctx);
	while (off < size) {
		size_t mlen = 0;
		enum bgp_error reason;
		enum bgp_frame_status st =
		    bgp_frame(data + off, size - off, ctx.extended_message, &mlen, &reason);

		if (st != BGP_FRAME_COMPLETE)
			break;
		if (mlen < BGP_HEADER_LEN || mlen > size - off)
			abort();
		decode_one(data + off, mlen, &ctx);
		off += mlen;
	}
	return 0;
}
