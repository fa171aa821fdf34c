/* frame.h — pure decoder for one captured link-layer frame.
 *
 * Link header (Ethernet, Linux cooked v1/v2, raw IP) → up to CAP_MAX_VLANS
 * 802.1Q/802.1ad tags → optionally an MPLS label stack (up to CAP_MAX_MPLS
 * entries) → IPv4 or IPv6 (extension headers walked) → optionally GRE
 * carrying IPv4/IPv6 (up to CAP_MAX_TUNNELS levels) → TCP.
 * Every byte is read through the bounds-checked reader (wire/reader.h);
 * nothing here allocates, does I/O or keeps state between calls.
 *
 * Ownership: struct cap_frame is a plain value the caller owns (stack is
 * fine, nothing to free). Its only pointer, tcp.payload, points into the
 * caller's pkt buffer and is valid exactly as long as that buffer is.
 *
 * Partial decodes: on failure the decoder still leaves in *out everything
 * it decoded before the failing layer (has_link, has_ip, has_tcp say how
 * far it got), so per-VLAN accounting (wirelen, vlans[]) keeps working for
 * bad frames. Truncation by the capture (caplen < wirelen, snaplen) is
 * reported as truncated_*; a length field that claims more than the frame
 * had on the wire is reported as bad_* ("lying length").
 *
 * Tunnels: for IPv4/IPv6 inside GRE the IP and TCP fields describe the
 * inner packet (what the flow table wants) and tunneled is set with the
 * outer IP header in outer; wirelen and the link fields stay those of the
 * whole frame. When the inner packet fails to decode, tunneled and outer
 * are still set and has_ip says whether the inner IP header decoded.
 */
#ifndef CW_CAPTURE_FRAME_H
#define CW_CAPTURE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAP_MUST_CHECK __attribute__((warn_unused_result))

/* Link types (tcpdump.org/linktypes.html): DLT value and LINKTYPE value
 * differ only for raw IP. */
#define CAP_LINKTYPE_EN10MB 1
#define CAP_LINKTYPE_RAW_DLT 12 /* DLT_RAW on Linux/BSD */
#define CAP_LINKTYPE_RAW 101
#define CAP_LINKTYPE_LINUX_SLL 113
#define CAP_LINKTYPE_IPV4 228
#define CAP_LINKTYPE_IPV6 229
#define CAP_LINKTYPE_LINUX_SLL2 276

#define CAP_ETHERTYPE_IPV4 0x0800
#define CAP_ETHERTYPE_IPV6 0x86dd
#define CAP_TPID_8021Q 0x8100
#define CAP_TPID_8021AD 0x88a8
#define CAP_TPID_QINQ_OLD 0x9100
#define CAP_ETHERTYPE_MPLS_UC 0x8847
#define CAP_ETHERTYPE_MPLS_MC 0x8848
#define CAP_ETHERTYPE_TEB 0x6558 /* GRE transparent Ethernet bridging */
#define CAP_IPPROTO_GRE 47

/* Bounds on untrusted nesting. */
#define CAP_MAX_VLANS 4
#define CAP_MAX_IPV6_EXT 8
#define CAP_MAX_MPLS 8
#define CAP_MAX_TUNNELS 1 /* GRE levels decoded; one more is an error */

/* Reasons a frame did not fully decode; stable snake_case names from
 * cap_frame_error_name() are metric label values. CAP_FRAME_IP_FRAGMENT is
 * not a malformation: the frame is accountable (link, VLANs, IP addresses
 * are set) but carries no complete transport segment. */
enum cap_frame_error {
	CAP_FRAME_OK = 0,
	CAP_FRAME_BAD_ARGS,          /* NULL pkt/out, or caplen > wirelen */
	CAP_FRAME_UNSUPPORTED_LINKTYPE,
	CAP_FRAME_TRUNCATED_LINK,
	CAP_FRAME_TRUNCATED_VLAN,
	CAP_FRAME_VLAN_TOO_DEEP,
	CAP_FRAME_TRUNCATED_IP,
	CAP_FRAME_BAD_IP_VERSION,
	CAP_FRAME_BAD_IP_HEADER_LENGTH,
	CAP_FRAME_BAD_IP_TOTAL_LENGTH,
	CAP_FRAME_IP_FRAGMENT,
	CAP_FRAME_TRUNCATED_IPV6_EXT,
	CAP_FRAME_BAD_IPV6_EXT_LENGTH,
	CAP_FRAME_TOO_MANY_IPV6_EXT,
	CAP_FRAME_TRUNCATED_TCP,
	CAP_FRAME_BAD_TCP_OFFSET,
	CAP_FRAME_TRUNCATED_MPLS,
	CAP_FRAME_MPLS_TOO_DEEP,        /* no bottom of stack in CAP_MAX_MPLS */
	CAP_FRAME_MPLS_PAYLOAD_UNKNOWN, /* neither IPv4 nor IPv6 under the stack */
	CAP_FRAME_TRUNCATED_GRE,
	CAP_FRAME_BAD_GRE_VERSION,      /* version != 0 (1 is PPTP, RFC 2637) */
	CAP_FRAME_BAD_GRE_FLAGS,        /* RFC 1701 routing / strict route / recursion */
	CAP_FRAME_TUNNEL_TOO_DEEP,      /* GRE inside more than CAP_MAX_TUNNELS */
	CAP_FRAME_ERROR_COUNT
};

/* One 802.1Q/802.1ad tag (IEEE 802.1Q §9.6). */
struct cap_vlan {
	uint16_t tpid; /* 0x8100, 0x88a8 or 0x9100 */
	uint8_t pcp;   /* priority code point, 0..7 */
	bool dei;      /* drop eligible indicator */
	uint16_t vid;  /* 0..4095 */
};

/* One MPLS label stack entry (RFC 3032 §2.1); the last one recorded has
 * the bottom-of-stack bit. */
struct cap_mpls {
	uint32_t label; /* 20 bits */
	uint8_t tc;     /* traffic class (RFC 5462), 0..7 */
	uint8_t ttl;
};

/* The outer IP header of a tunneled packet (fields as in struct cap_frame). */
struct cap_outer_ip {
	uint8_t ip_version, ip_proto, ttl;
	uint8_t src_ip[16], dst_ip[16];
	uint16_t ip_header_len;
	uint32_t ip_total_len;
	bool ip_truncated;
};

/* TCP flag bits as in the header's low byte (RFC 9293 §3.1, RFC 3168). */
#define CAP_TCP_FIN 0x01
#define CAP_TCP_SYN 0x02
#define CAP_TCP_RST 0x04
#define CAP_TCP_PSH 0x08
#define CAP_TCP_ACK 0x10
#define CAP_TCP_URG 0x20
#define CAP_TCP_ECE 0x40
#define CAP_TCP_CWR 0x80

struct cap_tcp {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t data_offset; /* in 32-bit words, 5..15 */
	uint8_t flags;       /* CAP_TCP_* */
	uint16_t window;     /* raw, unscaled */
	uint16_t urgent;
	/* Options (RFC 9293 §3.2, RFC 7323, RFC 2018). */
	bool has_mss, has_wscale, sack_permitted, has_timestamps;
	uint16_t mss;
	uint8_t wscale;
	uint32_t ts_val, ts_ecr;
	/* An option whose length byte lies (< 2, or past the header) or a
	 * known option with the wrong length: options after it are ignored. */
	bool bad_options;
	/* Payload: what was captured, pointing into pkt (NULL when empty), and
	 * what the IP lengths say was on the wire; payload_len <
	 * payload_wire_len means the capture cut the segment (snaplen). */
	const uint8_t *payload;
	size_t payload_len;
	size_t payload_wire_len;
};

struct cap_frame {
	enum cap_frame_error error; /* CAP_FRAME_OK when decode returned 0 */
	int linktype;
	size_t caplen;  /* bytes captured */
	size_t wirelen; /* bytes on the wire: what accounting counts */

	/* Link layer. has_mac for Ethernet; for SLL/SLL2 src_mac holds the
	 * link-layer address when it is 6 bytes long. */
	bool has_link;
	bool has_mac, has_src_mac;
	uint8_t dst_mac[6], src_mac[6];
	uint16_t sll_pkttype; /* SLL/SLL2: 0 host, 1 broadcast, 4 outgoing ... */
	uint32_t sll_ifindex; /* SLL2 only */
	uint8_t n_vlans;      /* vlans[0] outermost */
	struct cap_vlan vlans[CAP_MAX_VLANS];
	uint16_t ethertype; /* after the VLAN tags; derived for raw IP */
	uint8_t n_mpls;     /* ethertype 0x8847/0x8848: mpls[0] outermost */
	struct cap_mpls mpls[CAP_MAX_MPLS];

	/* GRE (RFC 2784, RFC 2890), set once its header decoded. */
	bool has_gre, has_gre_key, has_gre_seq;
	uint16_t gre_proto; /* protocol type: 0x0800, 0x86dd; others not decoded */
	uint32_t gre_key, gre_seq;
	bool tunneled;      /* the IP fields below are the inner packet's */
	struct cap_outer_ip outer;

	/* IP layer. Addresses are in network order; IPv4 uses bytes 0..3. */
	bool has_ip;
	uint8_t ip_version; /* 4 or 6 */
	uint8_t ip_proto;   /* IPv4 protocol, or IPv6 final next header */
	uint8_t ttl;        /* or hop limit */
	uint8_t src_ip[16], dst_ip[16];
	uint16_t ip_header_len; /* including IPv4 options / IPv6 ext headers */
	uint32_t ip_total_len;  /* as the header claims (IPv6: 40 + payload) */
	bool ip_truncated;      /* the capture cut the datagram (snaplen) */
	bool ip_fragment;       /* MF set or offset != 0 (v4 flags, v6 header 44) */
	bool ip_more_fragments, ip_dont_fragment;
	uint32_t frag_offset; /* in bytes */
	uint32_t frag_id;
	uint8_t n_ipv6_ext;

	/* Transport: TCP only (UDP, ICMP and others: ip_proto is enough for
	 * accounting). Set for first fragments whose TCP header is whole. */
	bool has_tcp;
	struct cap_tcp tcp;
};

/* Decodes pkt[0..caplen) captured from a frame of wirelen bytes with the
 * given link type into *out (fully overwritten). Returns 0 when everything
 * present decoded (non-IP ethertypes and non-TCP protocols included), or -1
 * with out->error set; see the header comment for partial decodes. */
CAP_MUST_CHECK int cap_frame_decode(int linktype, const uint8_t *pkt, size_t caplen,
				    size_t wirelen, struct cap_frame *out);

/* Stable snake_case name of e ("ok", "truncated_link", ...); "unknown"
 * for values out of range. Returns a static string. */
const char *cap_frame_error_name(enum cap_frame_error e);

/* Service tag: the outer VID when the frame has 2+ tags, else -1. */
int cap_frame_s_tag(const struct cap_frame *f);

/* Customer tag: the innermost VID when the frame has 1+ tags, else -1. */
int cap_frame_c_tag(const struct cap_frame *f);

#endif
