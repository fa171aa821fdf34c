/* frame.c — link → VLAN → MPLS → IP → GRE → IP → TCP decoder over the
 * bounds-checked reader.
 *
 * Shape: each layer is a function over a decoder context that returns an
 * enum cap_frame_error (CAP_FRAME_OK to go on); each carves its own bytes
 * before interpreting them. The context remembers how many bytes the
 * capture cut off the end of the frame (wirelen - caplen), which is what
 * tells truncation by snaplen apart from a lying length field. A GRE
 * payload gets a context of its own: its reader is what the capture kept of
 * the payload and its cut what the outer IP length says is missing, so the
 * inner IP header is judged against the outer datagram, not the frame.
 */
#include "frame.h"

#include <string.h>

#include "reader.h"

struct dec {
	struct wire_reader r; /* the rest of the captured frame */
	size_t cut;           /* wirelen - caplen: bytes the capture dropped */
	struct cap_frame *f;
	unsigned depth;       /* GRE levels entered */
};

static enum cap_frame_error decode_ipv4(struct dec *d);
static enum cap_frame_error decode_ipv6(struct dec *d);

static const char *const error_names[CAP_FRAME_ERROR_COUNT] = {
	[CAP_FRAME_OK] = "ok",
	[CAP_FRAME_BAD_ARGS] = "bad_args",
	[CAP_FRAME_UNSUPPORTED_LINKTYPE] = "unsupported_linktype",
	[CAP_FRAME_TRUNCATED_LINK] = "truncated_link",
	[CAP_FRAME_TRUNCATED_VLAN] = "truncated_vlan",
	[CAP_FRAME_VLAN_TOO_DEEP] = "vlan_too_deep",
	[CAP_FRAME_TRUNCATED_IP] = "truncated_ip",
	[CAP_FRAME_BAD_IP_VERSION] = "bad_ip_version",
	[CAP_FRAME_BAD_IP_HEADER_LENGTH] = "bad_ip_header_length",
	[CAP_FRAME_BAD_IP_TOTAL_LENGTH] = "bad_ip_total_length",
	[CAP_FRAME_IP_FRAGMENT] = "ip_fragment",
	[CAP_FRAME_TRUNCATED_IPV6_EXT] = "truncated_ipv6_ext",
	[CAP_FRAME_BAD_IPV6_EXT_LENGTH] = "bad_ipv6_ext_length",
	[CAP_FRAME_TOO_MANY_IPV6_EXT] = "too_many_ipv6_ext",
	[CAP_FRAME_TRUNCATED_TCP] = "truncated_tcp",
	[CAP_FRAME_BAD_TCP_OFFSET] = "bad_tcp_offset",
	[CAP_FRAME_TRUNCATED_MPLS] = "truncated_mpls",
	[CAP_FRAME_MPLS_TOO_DEEP] = "mpls_too_deep",
	[CAP_FRAME_MPLS_PAYLOAD_UNKNOWN] = "mpls_payload_unknown",
	[CAP_FRAME_TRUNCATED_GRE] = "truncated_gre",
	[CAP_FRAME_BAD_GRE_VERSION] = "bad_gre_version",
	[CAP_FRAME_BAD_GRE_FLAGS] = "bad_gre_flags",
	[CAP_FRAME_TUNNEL_TOO_DEEP] = "tunnel_too_deep",
};

const char *cap_frame_error_name(enum cap_frame_error e)
{
	if ((unsigned)e >= CAP_FRAME_ERROR_COUNT || !error_names[e])
		return "unknown";
	return error_names[e];
}

int cap_frame_s_tag(const struct cap_frame *f)
{
	return f->n_vlans >= 2 ? f->vlans[0].vid : -1;
}

int cap_frame_c_tag(const struct cap_frame *f)
{
	return f->n_vlans >= 1 ? f->vlans[f->n_vlans - 1].vid : -1;
}

/* ---- TCP (RFC 9293 §3.1) ---- */

static void opt_mss(struct cap_tcp *t, struct wire_reader *v)
{
	t->has_mss = wire_get_u16(v, &t->mss) == 0;
}

static void opt_wscale(struct cap_tcp *t, struct wire_reader *v)
{
	/* RFC 7323 §2.3: a shift above 14 is used as 14; we record it raw. */
	t->has_wscale = wire_get_u8(v, &t->wscale) == 0;
}

static void opt_sack_permitted(struct cap_tcp *t, struct wire_reader *v)
{
	(void)v;
	t->sack_permitted = true;
}

static void opt_timestamps(struct cap_tcp *t, struct wire_reader *v)
{
	t->has_timestamps = wire_get_u32(v, &t->ts_val) == 0 && wire_get_u32(v, &t->ts_ecr) == 0;
}

/* Options we interpret, by kind, with their one valid total length. */
struct tcp_opt_def {
	uint8_t len;
	void (*decode)(struct cap_tcp *t, struct wire_reader *value);
};

static const struct tcp_opt_def tcp_opts[] = {
	[2] = {4, opt_mss},             /* RFC 9293 §3.2 */
	[3] = {3, opt_wscale},          /* RFC 7323 §2.2 */
	[4] = {2, opt_sack_permitted},  /* RFC 2018 §2 */
	[8] = {10, opt_timestamps},     /* RFC 7323 §3.2 */
};

static void tcp_options(struct cap_tcp *t, struct wire_reader *o)
{
	uint8_t kind, len;
	struct wire_reader v;

	while (wire_get_u8(o, &kind) == 0) {
		if (kind == 0) /* End of Option List */
			break;
		if (kind == 1) /* No-Operation */
			continue;
		/* RFC 9293 §3.1: length counts kind and length bytes; one that
		 * cannot hold them or runs past the header lies, and nothing
		 * after it can be framed. */
		if (wire_get_u8(o, &len) != 0 || len < 2 || wire_sub(o, (size_t)len - 2, &v) != 0) {
			t->bad_options = true;
			break;
		}
		if (kind >= sizeof(tcp_opts) / sizeof(tcp_opts[0]) || !tcp_opts[kind].decode)
			continue; /* unknown: skipped by its length */
		if (len != tcp_opts[kind].len)
			t->bad_options = true;
		else
			tcp_opts[kind].decode(t, &v);
	}
}

/* r holds the captured part of the segment; seg_wire is its length as the
 * IP header(s) claim it. */
static enum cap_frame_error decode_tcp(struct cap_frame *f, struct wire_reader *r, size_t seg_wire)
{
	struct cap_tcp *t = &f->tcp;
	struct wire_reader h, o;
	uint8_t off_byte;
	size_t hlen;

	if (seg_wire < 20 || wire_left(r) < 20)
		return CAP_FRAME_TRUNCATED_TCP;
	if (wire_peek_u8(r, 12, &off_byte) != 0)
		return CAP_FRAME_TRUNCATED_TCP;
	hlen = (size_t)(off_byte >> 4) * 4;
	/* RFC 9293 §3.1: data offset >= 5 words and within the segment. */
	if (hlen < 20 || hlen > seg_wire)
		return CAP_FRAME_BAD_TCP_OFFSET;
	if (wire_sub(r, hlen, &h) != 0)
		return CAP_FRAME_TRUNCATED_TCP; /* options cut by the capture */
	if (wire_get_u16(&h, &t->sport) || wire_get_u16(&h, &t->dport) ||
	    wire_get_u32(&h, &t->seq) || wire_get_u32(&h, &t->ack) ||
	    wire_get_u8(&h, &off_byte) || wire_get_u8(&h, &t->flags) ||
	    wire_get_u16(&h, &t->window) || wire_skip(&h, 2) || wire_get_u16(&h, &t->urgent) ||
	    wire_sub(&h, wire_left(&h), &o))
		return CAP_FRAME_TRUNCATED_TCP; /* cannot happen: carved 20+ */
	t->data_offset = (uint8_t)(hlen / 4);
	tcp_options(t, &o);
	t->payload_len = wire_left(r);
	t->payload = t->payload_len ? wire_cur(r) : NULL;
	t->payload_wire_len = seg_wire - hlen;
	f->has_tcp = true;
	return CAP_FRAME_OK;
}

/* ---- GRE (RFC 2784 §2, RFC 2890 §2) ---- */

#define GRE_C 0x8000u    /* checksum present */
#define GRE_R 0x4000u    /* RFC 1701 routing present */
#define GRE_K 0x2000u    /* RFC 2890 §2.1 key present */
#define GRE_S 0x1000u    /* RFC 2890 §2.2 sequence number present */
#define GRE_SSR 0x0800u  /* RFC 1701 strict source route */
#define GRE_REC 0x0400u  /* RFC 1701 recursion control, high bit */
#define GRE_VER 0x0007u

/* Moves the outer IP header into f->outer and clears the IP fields for
 * the inner packet. */
static void enter_tunnel(struct cap_frame *f)
{
	struct cap_outer_ip *o = &f->outer;

	o->ip_version = f->ip_version;
	o->ip_proto = f->ip_proto;
	o->ttl = f->ttl;
	memcpy(o->src_ip, f->src_ip, 16);
	memcpy(o->dst_ip, f->dst_ip, 16);
	o->ip_header_len = f->ip_header_len;
	o->ip_total_len = f->ip_total_len;
	o->ip_truncated = f->ip_truncated;
	f->tunneled = true;
	f->has_ip = false;
	f->ip_version = f->ip_proto = f->ttl = 0;
	memset(f->src_ip, 0, 16);
	memset(f->dst_ip, 0, 16);
	f->ip_header_len = 0;
	f->ip_total_len = 0;
	f->ip_truncated = f->ip_fragment = false;
	f->ip_more_fragments = f->ip_dont_fragment = false;
	f->frag_offset = f->frag_id = 0;
	f->n_ipv6_ext = 0;
}

/* Reads the GRE header at the front of r (seg_wire bytes claimed by the
 * IP lengths) and leaves r at the payload; *hlen is the header's size. */
static enum cap_frame_error gre_header(struct cap_frame *f, struct wire_reader *r, size_t seg_wire,
				       size_t *hlen)
{
	struct wire_reader h;
	uint16_t flags;

	if (seg_wire < 4 || wire_peek_u16(r, 0, &flags) != 0)
		return CAP_FRAME_TRUNCATED_GRE;
	/* RFC 2784 §2.3.1: only version 0 is GRE; 1 is PPTP (RFC 2637). */
	if (flags & GRE_VER)
		return CAP_FRAME_BAD_GRE_VERSION;
	/* RFC 2784 §2.3: discard when bits 1-5 are set, except K and S
	 * which RFC 2890 defines; the rest of reserved0 is ignored. */
	if (flags & (GRE_R | GRE_SSR | GRE_REC))
		return CAP_FRAME_BAD_GRE_FLAGS;
	*hlen = 4 + (flags & GRE_C ? 4u : 0u) + (flags & GRE_K ? 4u : 0u) + (flags & GRE_S ? 4u : 0u);
	if (*hlen > seg_wire || wire_sub(r, *hlen, &h) != 0)
		return CAP_FRAME_TRUNCATED_GRE;
	if (wire_skip(&h, 2) || wire_get_u16(&h, &f->gre_proto) ||
	    ((flags & GRE_C) && wire_skip(&h, 4)) || /* checksum + reserved1 */
	    ((flags & GRE_K) && wire_get_u32(&h, &f->gre_key)) ||
	    ((flags & GRE_S) && wire_get_u32(&h, &f->gre_seq)))
		return CAP_FRAME_TRUNCATED_GRE; /* cannot happen: hlen carved */
	f->has_gre = true;
	f->has_gre_key = flags & GRE_K;
	f->has_gre_seq = flags & GRE_S;
	return CAP_FRAME_OK;
}

/* GRE in the segment r of an IP datagram; IPv4/IPv6 payloads decode as
 * the inner packet, other protocol types (0x6558 bridged Ethernet, MPLS,
 * ...) are recorded in gre_proto and left alone, like other ethertypes. */
static enum cap_frame_error decode_gre(struct dec *d, struct wire_reader *r, size_t seg_wire)
{
	struct cap_frame *f = d->f;
	struct dec in;
	size_t hlen;
	enum cap_frame_error e;

	e = gre_header(f, r, seg_wire, &hlen);
	if (e != CAP_FRAME_OK)
		return e;
	if (f->gre_proto != CAP_ETHERTYPE_IPV4 && f->gre_proto != CAP_ETHERTYPE_IPV6)
		return CAP_FRAME_OK;
	if (d->depth >= CAP_MAX_TUNNELS)
		return CAP_FRAME_TUNNEL_TOO_DEEP;
	enter_tunnel(f);
	/* wire_left(r) <= seg_wire - hlen: r was carved to at most the
	 * claimed length and moved in step with it. */
	in.r = *r;
	in.cut = seg_wire - hlen - wire_left(r);
	in.f = f;
	in.depth = d->depth + 1;
	return f->gre_proto == CAP_ETHERTYPE_IPV4 ? decode_ipv4(&in) : decode_ipv6(&in);
}

static enum cap_frame_error decode_l4(struct dec *d, struct wire_reader *r, size_t seg_wire)
{
	struct cap_frame *f = d->f;
	enum cap_frame_error e;

	if (f->ip_fragment && f->frag_offset != 0)
		return CAP_FRAME_IP_FRAGMENT; /* no transport header in here */
	if (f->ip_proto == CAP_IPPROTO_GRE && !f->ip_fragment)
		return decode_gre(d, r, seg_wire);
	if (f->ip_proto != 6)
		return f->ip_fragment ? CAP_FRAME_IP_FRAGMENT : CAP_FRAME_OK;
	e = decode_tcp(f, r, seg_wire);
	if (!f->ip_fragment)
		return e;
	/* First fragment: keep the TCP header when it is whole (ports help
	 * accounting), but the frame is still not a complete segment. */
	if (e != CAP_FRAME_OK)
		memset(&f->tcp, 0, sizeof(f->tcp));
	return CAP_FRAME_IP_FRAGMENT;
}

/* ---- IP ---- */

/* Carves the datagram of total_len claimed bytes out of d->r into ip.
 * More than the wire carried is a lying length; more than the capture
 * kept is truncation by snaplen, which still decodes. */
static enum cap_frame_error carve_datagram(struct dec *d, size_t total_len, struct wire_reader *ip)
{
	size_t cap = wire_left(&d->r);

	if (total_len > cap + d->cut)
		return CAP_FRAME_BAD_IP_TOTAL_LENGTH;
	d->f->ip_truncated = total_len > cap;
	if (wire_sub(&d->r, total_len < cap ? total_len : cap, ip) != 0)
		return CAP_FRAME_TRUNCATED_IP;
	return CAP_FRAME_OK;
}

static enum cap_frame_error decode_ipv4(struct dec *d)
{
	struct cap_frame *f = d->f;
	struct wire_reader ip;
	uint8_t vihl;
	uint16_t total, id, frag;
	size_t hlen;
	enum cap_frame_error e;

	if (wire_peek_u8(&d->r, 0, &vihl) != 0)
		return CAP_FRAME_TRUNCATED_IP;
	if (vihl >> 4 != 4)
		return CAP_FRAME_BAD_IP_VERSION;
	if (wire_left(&d->r) < 20 || wire_peek_u16(&d->r, 2, &total) != 0)
		return CAP_FRAME_TRUNCATED_IP;
	hlen = (size_t)(vihl & 0x0f) * 4;
	/* RFC 791 §3.1: IHL is at least 5 words; total length covers it. */
	if (hlen < 20)
		return CAP_FRAME_BAD_IP_HEADER_LENGTH;
	if (total < 20)
		return CAP_FRAME_BAD_IP_TOTAL_LENGTH;
	if (hlen > total)
		return CAP_FRAME_BAD_IP_HEADER_LENGTH;
	e = carve_datagram(d, total, &ip);
	if (e != CAP_FRAME_OK)
		return e;
	if (wire_skip(&ip, 4) || wire_get_u16(&ip, &id) || wire_get_u16(&ip, &frag) ||
	    wire_get_u8(&ip, &f->ttl) || wire_get_u8(&ip, &f->ip_proto) || wire_skip(&ip, 2) ||
	    wire_copy(&ip, f->src_ip, 4) || wire_copy(&ip, f->dst_ip, 4))
		return CAP_FRAME_TRUNCATED_IP; /* cannot happen: 20 captured */
	f->ip_version = 4;
	f->ip_total_len = total;
	f->ip_header_len = (uint16_t)hlen;
	f->frag_id = id;
	f->ip_dont_fragment = frag & 0x4000;
	f->ip_more_fragments = frag & 0x2000;
	f->frag_offset = (uint32_t)(frag & 0x1fff) * 8;
	f->ip_fragment = f->ip_more_fragments || f->frag_offset != 0;
	f->has_ip = true;
	if (wire_skip(&ip, hlen - 20) != 0) /* options (within total, so cut) */
		return CAP_FRAME_TRUNCATED_IP;
	return decode_l4(d, &ip, total - hlen);
}

static bool ipv6_is_ext(uint8_t nh)
{
	/* RFC 8200 §4: hop-by-hop, routing, fragment, destination options;
	 * RFC 4302: AH. ESP (50) is opaque and ends the walk. */
	return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51;
}

/* One extension header at the front of ip; *left is what the payload
 * length says remains. Sets *stop for a non-first fragment. */
static enum cap_frame_error ipv6_ext(struct cap_frame *f, struct wire_reader *ip, size_t *left,
				     uint8_t *nh, bool *stop)
{
	struct wire_reader ext;
	uint8_t next, len8;
	uint16_t offflags;
	size_t elen;

	if (*left < 2)
		return CAP_FRAME_BAD_IPV6_EXT_LENGTH;
	if (wire_peek_u8(ip, 0, &next) != 0 || wire_peek_u8(ip, 1, &len8) != 0)
		return CAP_FRAME_TRUNCATED_IPV6_EXT;
	if (*nh == 44)
		elen = 8; /* RFC 8200 §4.5: fixed size */
	else if (*nh == 51)
		elen = ((size_t)len8 + 2) * 4; /* RFC 4302 §2.2 */
	else
		elen = ((size_t)len8 + 1) * 8; /* RFC 8200 §4.3 */
	if (elen > *left)
		return CAP_FRAME_BAD_IPV6_EXT_LENGTH;
	if (wire_sub(ip, elen, &ext) != 0)
		return CAP_FRAME_TRUNCATED_IPV6_EXT;
	*left -= elen;
	f->ip_header_len = (uint16_t)(f->ip_header_len + elen);
	if (*nh == 44) {
		if (wire_skip(&ext, 2) || wire_get_u16(&ext, &offflags) || wire_get_u32(&ext, &f->frag_id))
			return CAP_FRAME_TRUNCATED_IPV6_EXT; /* cannot happen: 8 carved */
		f->frag_offset = offflags & 0xfff8u;
		f->ip_more_fragments = offflags & 1;
		/* RFC 6946: an atomic fragment (offset 0, M 0) is a whole datagram. */
		f->ip_fragment = f->ip_fragment || f->frag_offset != 0 || f->ip_more_fragments;
		*stop = f->frag_offset != 0;
	}
	*nh = next;
	return CAP_FRAME_OK;
}

static enum cap_frame_error decode_ipv6(struct dec *d)
{
	struct cap_frame *f = d->f;
	struct wire_reader ip;
	uint8_t v, nh;
	uint16_t plen;
	size_t left;
	bool stop = false;
	enum cap_frame_error e;

	if (wire_peek_u8(&d->r, 0, &v) != 0)
		return CAP_FRAME_TRUNCATED_IP;
	if (v >> 4 != 6)
		return CAP_FRAME_BAD_IP_VERSION;
	if (wire_left(&d->r) < 40 || wire_peek_u16(&d->r, 4, &plen) != 0)
		return CAP_FRAME_TRUNCATED_IP;
	/* RFC 8200 §3. A zero payload length with a Jumbo option (RFC 2675)
	 * cannot occur on the links we read; it decodes as an empty payload. */
	e = carve_datagram(d, 40 + (size_t)plen, &ip);
	if (e != CAP_FRAME_OK)
		return e;
	if (wire_skip(&ip, 6) || wire_get_u8(&ip, &nh) || wire_get_u8(&ip, &f->ttl) ||
	    wire_copy(&ip, f->src_ip, 16) || wire_copy(&ip, f->dst_ip, 16))
		return CAP_FRAME_TRUNCATED_IP; /* cannot happen: 40 captured */
	f->ip_version = 6;
	f->ip_total_len = 40u + plen;
	f->ip_header_len = 40;
	f->has_ip = true;
	left = plen;
	while (!stop && ipv6_is_ext(nh)) {
		if (f->n_ipv6_ext == CAP_MAX_IPV6_EXT)
			return CAP_FRAME_TOO_MANY_IPV6_EXT;
		f->n_ipv6_ext++;
		e = ipv6_ext(f, &ip, &left, &nh, &stop);
		if (e != CAP_FRAME_OK)
			return e;
	}
	f->ip_proto = nh;
	return decode_l4(d, &ip, left);
}

/* ---- MPLS (RFC 3032) ---- */

/* RFC 3032 §2.1: entries of label(20) TC(3) S(1) TTL(8) until the one
 * with S set. §2.2: the payload's protocol is not in the stack; IP is
 * told by its version nibble (RFC 4928 §2 keeps pseudowire control words
 * from starting with 4 or 6). */
static enum cap_frame_error decode_mpls(struct dec *d)
{
	struct cap_frame *f = d->f;
	uint32_t e;
	uint8_t v;

	do {
		struct cap_mpls *m;

		if (f->n_mpls == CAP_MAX_MPLS)
			return CAP_FRAME_MPLS_TOO_DEEP;
		if (wire_get_u32(&d->r, &e) != 0)
			return CAP_FRAME_TRUNCATED_MPLS;
		m = &f->mpls[f->n_mpls++];
		m->label = e >> 12;
		m->tc = (uint8_t)((e >> 9) & 7);
		m->ttl = (uint8_t)(e & 0xff);
	} while (!(e & 0x100));
	if (wire_peek_u8(&d->r, 0, &v) != 0)
		return CAP_FRAME_TRUNCATED_IP;
	if (v >> 4 == 4)
		return decode_ipv4(d);
	if (v >> 4 == 6)
		return decode_ipv6(d);
	return CAP_FRAME_MPLS_PAYLOAD_UNKNOWN;
}

/* The network layer after the link header, by ethertype; types we do not
 * decode are fine (accounting needs only the link layer). */
static enum cap_frame_error decode_net(struct dec *d)
{
	switch (d->f->ethertype) {
	case CAP_ETHERTYPE_IPV4:
		return decode_ipv4(d);
	case CAP_ETHERTYPE_IPV6:
		return decode_ipv6(d);
	case CAP_ETHERTYPE_MPLS_UC:
	case CAP_ETHERTYPE_MPLS_MC:
		return decode_mpls(d);
	default:
		return CAP_FRAME_OK;
	}
}

/* ---- link layer ---- */

static bool is_tpid(uint16_t t)
{
	return t == CAP_TPID_8021Q || t == CAP_TPID_8021AD || t == CAP_TPID_QINQ_OLD;
}

/* IEEE 802.1Q §9.6: TCI = PCP(3) DEI(1) VID(12), then the next type. */
static enum cap_frame_error decode_vlans(struct dec *d, uint16_t type)
{
	struct cap_frame *f = d->f;
	uint16_t tci;

	while (is_tpid(type)) {
		struct cap_vlan *v;

		if (f->n_vlans == CAP_MAX_VLANS)
			return CAP_FRAME_VLAN_TOO_DEEP;
		if (wire_left(&d->r) < 4 || wire_get_u16(&d->r, &tci) != 0)
			return CAP_FRAME_TRUNCATED_VLAN;
		v = &f->vlans[f->n_vlans++];
		v->tpid = type;
		v->pcp = (uint8_t)(tci >> 13);
		v->dei = (tci >> 12) & 1;
		v->vid = tci & 0x0fff;
		if (wire_get_u16(&d->r, &type) != 0)
			return CAP_FRAME_TRUNCATED_VLAN; /* cannot happen: 4 left */
	}
	f->ethertype = type;
	return CAP_FRAME_OK;
}

static enum cap_frame_error decode_ethernet(struct dec *d)
{
	struct cap_frame *f = d->f;
	uint16_t type;

	if (wire_copy(&d->r, f->dst_mac, 6) || wire_copy(&d->r, f->src_mac, 6) ||
	    wire_get_u16(&d->r, &type))
		return CAP_FRAME_TRUNCATED_LINK;
	f->has_mac = f->has_src_mac = true;
	f->has_link = true;
	return decode_vlans(d, type);
}

static void sll_addr(struct cap_frame *f, const uint8_t addr[8], size_t halen)
{
	if (halen == 6) {
		memcpy(f->src_mac, addr, 6);
		f->has_src_mac = true;
	}
}

/* Linux cooked v1 (tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html). */
static enum cap_frame_error decode_sll(struct dec *d)
{
	struct wire_reader h;
	uint8_t addr[8];
	uint16_t halen, proto;

	if (wire_sub(&d->r, 16, &h) != 0)
		return CAP_FRAME_TRUNCATED_LINK;
	if (wire_get_u16(&h, &d->f->sll_pkttype) || wire_skip(&h, 2) || wire_get_u16(&h, &halen) ||
	    wire_copy(&h, addr, 8) || wire_get_u16(&h, &proto))
		return CAP_FRAME_TRUNCATED_LINK; /* cannot happen: 16 carved */
	sll_addr(d->f, addr, halen);
	d->f->has_link = true;
	return decode_vlans(d, proto);
}

/* Linux cooked v2 (tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html). */
static enum cap_frame_error decode_sll2(struct dec *d)
{
	struct wire_reader h;
	uint8_t addr[8], pkttype, halen;
	uint16_t proto;

	if (wire_sub(&d->r, 20, &h) != 0)
		return CAP_FRAME_TRUNCATED_LINK;
	if (wire_get_u16(&h, &proto) || wire_skip(&h, 2) || wire_get_u32(&h, &d->f->sll_ifindex) ||
	    wire_skip(&h, 2) || wire_get_u8(&h, &pkttype) || wire_get_u8(&h, &halen) ||
	    wire_copy(&h, addr, 8))
		return CAP_FRAME_TRUNCATED_LINK; /* cannot happen: 20 carved */
	d->f->sll_pkttype = pkttype;
	sll_addr(d->f, addr, halen);
	d->f->has_link = true;
	return decode_vlans(d, proto);
}

/* Raw IP: the version nibble names the protocol (LINKTYPE_RAW), or the
 * link type fixes it (LINKTYPE_IPV4/IPV6, where a mismatch is an error). */
static enum cap_frame_error decode_raw(struct dec *d)
{
	struct cap_frame *f = d->f;
	uint8_t v;

	f->has_link = true;
	if (f->linktype == CAP_LINKTYPE_IPV4) {
		f->ethertype = CAP_ETHERTYPE_IPV4;
		return CAP_FRAME_OK;
	}
	if (f->linktype == CAP_LINKTYPE_IPV6) {
		f->ethertype = CAP_ETHERTYPE_IPV6;
		return CAP_FRAME_OK;
	}
	if (wire_peek_u8(&d->r, 0, &v) != 0)
		return CAP_FRAME_TRUNCATED_IP;
	if (v >> 4 == 4)
		f->ethertype = CAP_ETHERTYPE_IPV4;
	else if (v >> 4 == 6)
		f->ethertype = CAP_ETHERTYPE_IPV6;
	else
		return CAP_FRAME_BAD_IP_VERSION;
	return CAP_FRAME_OK;
}

static enum cap_frame_error decode_link(struct dec *d)
{
	switch (d->f->linktype) {
	case CAP_LINKTYPE_EN10MB:
		return decode_ethernet(d);
	case CAP_LINKTYPE_LINUX_SLL:
		return decode_sll(d);
	case CAP_LINKTYPE_LINUX_SLL2:
		return decode_sll2(d);
	case CAP_LINKTYPE_RAW_DLT:
	case CAP_LINKTYPE_RAW:
	case CAP_LINKTYPE_IPV4:
	case CAP_LINKTYPE_IPV6:
		return decode_raw(d);
	default:
		return CAP_FRAME_UNSUPPORTED_LINKTYPE;
	}
}

int cap_frame_decode(int linktype, const uint8_t *pkt, size_t caplen, size_t wirelen,
		     struct cap_frame *out)
{
	static const uint8_t empty[1];
	struct dec d;
	enum cap_frame_error e;

	if (!out)
		return -1;
	memset(out, 0, sizeof(*out));
	out->linktype = linktype;
	out->caplen = caplen;
	out->wirelen = wirelen;
	if ((!pkt && caplen) || caplen > wirelen) {
		out->error = CAP_FRAME_BAD_ARGS;
		return -1;
	}
	wire_init(&d.r, pkt ? pkt : empty, caplen);
	d.cut = wirelen - caplen;
	d.f = out;
	d.depth = 0;
	e = decode_link(&d);
	if (e == CAP_FRAME_OK)
		e = decode_net(&d);
	out->error = e;
	return e == CAP_FRAME_OK ? 0 : -1;
}
