/* negotiate.c — per-peer decode contexts from the OPENs. See negotiate.h. */
#include "negotiate.h"

void bgp_peer_ctx_init(struct bgp_peer_ctx *c)
{
	bgp_ctx_init(&c->in);
	bgp_ctx_init(&c->out);
}

void bgp_open_detach(struct bgp_open *o)
{
	o->hostname = NULL;
	o->hostname_len = 0;
	o->domain = NULL;
	o->domain_len = 0;
	o->ext_next_hop.data = NULL;
	o->llgr.data = NULL;
	for (size_t i = 0; i < BGP_OPEN_MAX_OPAQUE; i++)
		o->opaque[i].data = NULL;
}

void bgp_negotiate_both(const struct bgp_open *a, const struct bgp_open *b,
			struct bgp_decode_ctx *from_a, struct bgp_decode_ctx *from_b)
{
	bgp_negotiate(b, a, from_a);
	bgp_negotiate(a, b, from_b);
}

/* An OPEN carried in a BMP message, when it is there and well-formed. */
static bool open_usable(const struct bmp_bgp_pdu *pdu, struct bgp_open *o)
{
	return pdu->status == BMP_PDU_OK && bgp_open_decode(pdu->data, pdu->len, o) == 0;
}

int bgp_peer_ctx_peer_up(struct bgp_peer_ctx *c, const struct bmp_peer_up *u)
{
	struct bgp_open sent, recv;

	if (!open_usable(&u->sent_open, &sent) || !open_usable(&u->recv_open, &recv)) {
		bgp_peer_ctx_init(c);
		return -1;
	}
	/* the router (sent) sends Adj-RIB-Out, its peer (recv) Adj-RIB-In */
	bgp_negotiate_both(&sent, &recv, &c->out, &c->in);
	return 0;
}

void bgp_peer_ctx_pick(const struct bgp_peer_ctx *c, const struct bmp_peer_hdr *h,
		       struct bgp_decode_ctx *out)
{
	bool loc_rib = h->type == BMP_PEER_LOC_RIB;

	*out = !loc_rib && h->adj_rib_out ? c->out : c->in;
	if (!loc_rib && h->legacy_as_path)
		bgp_ctx_set_legacy_as_path(out);
}

void bgp_negotiate_sender_only(const struct bgp_open *sender, struct bgp_decode_ctx *out)
{
	struct bgp_open mirror = *sender;

	/* The receiver as the sender's mirror: it receives what the sender
	 * can send (RFC 7911 §4 send/receive bits swapped). */
	for (size_t i = 0; i < mirror.n_addpath && i < BGP_OPEN_MAX_ADDPATH; i++) {
		uint8_t sr = sender->addpath[i].send_receive;

		mirror.addpath[i].send_receive = (uint8_t)((sr & 1) << 1 | (sr & 2) >> 1);
	}
	bgp_negotiate(&mirror, sender, out);
}
