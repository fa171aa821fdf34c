/* test_frame.c — capture frame decoder: tables of raw frames with their
 * expected decode, TCP options, and truncation at every byte.
 *
 * With CW_FRAME_CORPUS_DIR set, the table's frames are also written there
 * as fuzz seeds (byte 0 link type index of fuzz_frame.c, byte 1 bytes cut
 * by the capture, then the frame).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "frame.h"

/* ---- frame building blocks ---- */
#define U16(x) (uint8_t)((unsigned)(x) >> 8), (uint8_t)((x)&0xff)
#define U32(x) U16((uint32_t)(x) >> 16), U16((x)&0xffff)
#define MACS 0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02
#define TAG(tpid, pcp, dei, vid) U16(tpid), U16((pcp) << 13 | (dei) << 12 | (vid))
#define SRC4 192, 0, 2, 1
#define DST4 198, 51, 100, 2
/* IPv4 header: version/IHL byte, total length, flags+offset, protocol. */
#define IP4X(vihl, tot, frag, proto) vihl, 0, U16(tot), U16(0x1234), U16(frag), 64, proto, 0, 0, SRC4, DST4
#define IP4(tot, frag, proto) IP4X(0x45, tot, frag, proto)
#define SRC6 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01
#define DST6 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02
#define IP6(plen, nh) 0x60, 0, 0, 0, U16(plen), nh, 64, SRC6, DST6
/* 8-byte options header (hop-by-hop 0 / destination 60) with one PadN. */
#define OPTS8(nh) nh, 0, 1, 4, 0, 0, 0, 0
#define ROUTING8(nh) nh, 0, 0, 0, 0, 0, 0, 0
#define FRAG6(nh, offflags) nh, 0, U16(offflags), U32(0xabcd)
/* TCP header: data offset byte, flags; ports 50000 -> 179. */
#define TCPX(off, flags) U16(50000), U16(179), U32(1000), U32(2000), off, flags, U16(65535), 0, 0, 0, 0
#define TCP(flags) TCPX(0x50, flags)
#define PAY4 'B', 'G', 'P', '!'
#define SLL(proto) U16(0), U16(1), U16(6), 0x02, 0, 0, 0, 0, 0x01, 0, 0, U16(proto)
#define SLL2(proto) U16(proto), 0, 0, U32(7), U16(1), 4, 6, 0x02, 0, 0, 0, 0, 0x01, 0, 0
/* MPLS label stack entry (RFC 3032 §2.1): label, bottom-of-stack bit, TC 5, TTL 64. */
#define MPLS(label, s) U32((uint32_t)(label) << 12 | 5u << 9 | (s) << 8 | 64u)
/* Outer IPv4 header of a tunnel, with addresses of its own. */
#define OSRC4 203, 0, 113, 1
#define ODST4 203, 0, 113, 2
#define IP4O(tot, proto) 0x45, 0, U16(tot), U16(0x5678), U16(0), 64, proto, 0, 0, OSRC4, ODST4
/* GRE base header (RFC 2784 §2.1): flags+version, protocol type. */
#define GRE(flags, proto) U16(flags), U16(proto)
#define BYTES(...) .pkt = (const uint8_t[]){__VA_ARGS__}, .len = sizeof((const uint8_t[]){__VA_ARGS__})

#define ACKPSH (CAP_TCP_ACK | CAP_TCP_PSH)
#define E(x) CAP_FRAME_##x

struct fcase {
	const char *name;
	int linktype;
	const uint8_t *pkt;
	size_t len;
	size_t cut; /* wirelen = len + cut */
	int rc;
	enum cap_frame_error err;
	uint8_t n_vlans;
	uint16_t tpid[CAP_MAX_VLANS], vid[CAP_MAX_VLANS];
	uint16_t ethertype;
	bool has_ip;
	uint8_t ipv, proto, n_ext;
	bool frag, ip_trunc, has_tcp;
	size_t pay, pay_wire;
	uint8_t n_mpls;
	bool tunnel;      /* IP fields are the inner packet's */
	uint8_t outer_ipv; /* outer.ip_version: OSRC4/ODST4 when 4, SRC6/DST6 when 6 */
};

#define TCP_OK .has_ip = true, .proto = 6, .has_tcp = true, .pay = 4, .pay_wire = 4
#define V4 .ethertype = 0x0800, .ipv = 4
#define V6 .ethertype = 0x86dd, .ipv = 6

static const struct fcase cases[] = {
	/* link types */
	{"eth_ipv4_tcp", 1, BYTES(MACS, U16(0x0800), IP4(44, 0x4000, 6), TCP(ACKPSH), PAY4), V4, TCP_OK},
	{"eth_ipv6_tcp", 1, BYTES(MACS, U16(0x86dd), IP6(24, 6), TCP(ACKPSH), PAY4), V6, TCP_OK},
	{"eth_arp", 1, BYTES(MACS, U16(0x0806), 0, 1, 8, 0, 6, 4, 0, 1), .ethertype = 0x0806},
	{"eth_truncated_link", 1, BYTES(MACS), .rc = -1, .err = E(TRUNCATED_LINK)},
	{"sll_ipv4_tcp", 113, BYTES(SLL(0x0800), IP4(44, 0, 6), TCP(ACKPSH), PAY4), V4, TCP_OK},
	{"sll_vlan_ipv4", 113, BYTES(SLL(0x8100), U16(100), U16(0x0800), IP4(44, 0, 6), TCP(ACKPSH), PAY4),
	 V4, TCP_OK, .n_vlans = 1, .tpid = {0x8100}, .vid = {100}},
	{"sll_truncated", 113, BYTES(SLL(0x0800)), .cut = 1, .ethertype = 0x0800, .rc = -1, .err = E(TRUNCATED_IP)},
	{"sll_short", 113, BYTES(0, 0, 0, 1, 0, 6), .rc = -1, .err = E(TRUNCATED_LINK)},
	{"sll2_ipv6_tcp", 276, BYTES(SLL2(0x86dd), IP6(24, 6), TCP(ACKPSH), PAY4), V6, TCP_OK},
	{"sll2_short", 276, BYTES(U16(0x86dd), 0, 0, U32(7), U16(1), 4, 6, 0x02, 0, 0, 0, 0, 0x01, 0), .rc = -1,
	 .err = E(TRUNCATED_LINK)},
	{"sll2_no_ip", 276, BYTES(SLL2(0x86dd)), .ethertype = 0x86dd, .rc = -1, .err = E(TRUNCATED_IP)},
	{"raw12_ipv4", 12, BYTES(IP4(44, 0, 6), TCP(ACKPSH), PAY4), V4, TCP_OK},
	{"raw101_ipv6", 101, BYTES(IP6(24, 6), TCP(ACKPSH), PAY4), V6, TCP_OK},
	{"raw101_bad_version", 101, BYTES(0x50, 0, 0, 20), .rc = -1, .err = E(BAD_IP_VERSION)},
	{"raw_empty", 101, .pkt = (const uint8_t[]){0}, .len = 0, .rc = -1, .err = E(TRUNCATED_IP)},
	{"ipv4_linktype", 228, BYTES(IP4(44, 0, 6), TCP(ACKPSH), PAY4), V4, TCP_OK},
	{"ipv4_linktype_v6", 228, BYTES(IP6(24, 6), TCP(ACKPSH), PAY4), .ethertype = 0x0800, .rc = -1,
	 .err = E(BAD_IP_VERSION)},
	{"ipv6_linktype", 229, BYTES(IP6(24, 6), TCP(ACKPSH), PAY4), V6, TCP_OK},
	{"unsupported", 147, BYTES(IP4(44, 0, 6)), .rc = -1, .err = E(UNSUPPORTED_LINKTYPE)},
	/* VLAN stacks */
	{"vlan_1", 1, BYTES(MACS, TAG(0x8100, 5, 1, 100), U16(0x0800), IP4(44, 0, 6), TCP(ACKPSH), PAY4), V4, TCP_OK,
	 .n_vlans = 1, .tpid = {0x8100}, .vid = {100}},
	{"vlan_qinq_88a8", 1,
	 BYTES(MACS, TAG(0x88a8, 0, 0, 300), TAG(0x8100, 0, 0, 100), U16(0x0800), IP4(44, 0, 6), TCP(ACKPSH), PAY4),
	 V4, TCP_OK, .n_vlans = 2, .tpid = {0x88a8, 0x8100}, .vid = {300, 100}},
	{"vlan_expressroute_direct", 1,
	 BYTES(MACS, TAG(0x8100, 0, 0, 3001), TAG(0x8100, 0, 0, 42), U16(0x86dd), IP6(24, 6), TCP(ACKPSH), PAY4), V6,
	 TCP_OK, .n_vlans = 2, .tpid = {0x8100, 0x8100}, .vid = {3001, 42}},
	{"vlan_9100", 1, BYTES(MACS, TAG(0x9100, 0, 0, 7), TAG(0x8100, 0, 0, 8), U16(0x0806), 0, 1),
	 .ethertype = 0x0806, .n_vlans = 2, .tpid = {0x9100, 0x8100}, .vid = {7, 8}},
	{"vlan_4", 1,
	 BYTES(MACS, TAG(0x88a8, 0, 0, 1), TAG(0x9100, 0, 0, 2), TAG(0x8100, 0, 0, 3), TAG(0x8100, 0, 0, 4095),
	       U16(0x0800), IP4(44, 0, 6), TCP(ACKPSH), PAY4),
	 V4, TCP_OK, .n_vlans = 4, .tpid = {0x88a8, 0x9100, 0x8100, 0x8100}, .vid = {1, 2, 3, 4095}},
	{"vlan_5_too_deep", 1,
	 BYTES(MACS, TAG(0x8100, 0, 0, 1), TAG(0x8100, 0, 0, 2), TAG(0x8100, 0, 0, 3), TAG(0x8100, 0, 0, 4),
	       TAG(0x8100, 0, 0, 5), U16(0x0800), IP4(44, 0, 6), TCP(ACKPSH), PAY4),
	 .rc = -1, .err = E(VLAN_TOO_DEEP), .n_vlans = 4, .tpid = {0x8100, 0x8100, 0x8100, 0x8100}, .vid = {1, 2, 3, 4}},
	{"vlan_truncated", 1, BYTES(MACS, U16(0x8100), 0x00), .cut = 100, .rc = -1, .err = E(TRUNCATED_VLAN)},
	/* IPv4 */
	{"ipv4_options", 1, BYTES(MACS, U16(0x0800), IP4X(0x46, 48, 0, 6), 1, 1, 1, 0, TCP(ACKPSH), PAY4), V4, TCP_OK},
	{"ipv4_udp", 1, BYTES(MACS, U16(0x0800), IP4(28, 0, 17), U16(1), U16(2), U16(8), 0, 0), V4, .has_ip = true,
	 .proto = 17},
	{"ipv4_first_fragment", 1, BYTES(MACS, U16(0x0800), IP4(44, 0x2000, 6), TCP(ACKPSH), PAY4), V4, TCP_OK, .rc = -1,
	 .err = E(IP_FRAGMENT), .frag = true},
	/* RFC 1858 tiny first fragment: no whole TCP header, no TCP fields */
	{"ipv4_tiny_first_fragment", 1, BYTES(MACS, U16(0x0800), IP4(30, 0x2000, 6), U16(50000), U16(179), U32(1000), 0, 0),
	 V4, .has_ip = true, .proto = 6, .rc = -1, .err = E(IP_FRAGMENT), .frag = true},
	{"ipv4_later_fragment", 1, BYTES(MACS, U16(0x0800), IP4(44, 0x0003, 6), TCP(ACKPSH), PAY4), V4, .has_ip = true,
	 .proto = 6, .rc = -1, .err = E(IP_FRAGMENT), .frag = true},
	{"ipv4_last_fragment_udp", 1, BYTES(MACS, U16(0x0800), IP4(28, 0x0010, 17), 1, 2, 3, 4, 5, 6, 7, 8), V4,
	 .has_ip = true, .proto = 17, .rc = -1, .err = E(IP_FRAGMENT), .frag = true},
	{"ipv4_lying_total_length", 1, BYTES(MACS, U16(0x0800), IP4(1000, 0, 6), TCP(ACKPSH), PAY4), .ethertype = 0x0800,
	 .rc = -1, .err = E(BAD_IP_TOTAL_LENGTH)},
	{"ipv4_snaplen_payload", 1, BYTES(MACS, U16(0x0800), IP4(1000, 0, 6), TCP(ACKPSH), PAY4), .cut = 956, V4,
	 .has_ip = true, .proto = 6, .has_tcp = true, .pay = 4, .pay_wire = 960, .ip_trunc = true},
	{"ipv4_ethernet_padding", 1, BYTES(MACS, U16(0x0800), IP4(40, 0, 6), TCP(ACKPSH), 0, 0, 0, 0, 0, 0), V4,
	 .has_ip = true, .proto = 6, .has_tcp = true},
	{"ipv4_ihl_4", 1, BYTES(MACS, U16(0x0800), IP4X(0x44, 44, 0, 6), TCP(ACKPSH), PAY4), .ethertype = 0x0800,
	 .rc = -1, .err = E(BAD_IP_HEADER_LENGTH)},
	{"ipv4_ihl_past_total", 1, BYTES(MACS, U16(0x0800), IP4X(0x4f, 44, 0, 6), TCP(ACKPSH), PAY4),
	 .ethertype = 0x0800, .rc = -1, .err = E(BAD_IP_HEADER_LENGTH)},
	{"ipv4_total_below_20", 1, BYTES(MACS, U16(0x0800), IP4(19, 0, 6), TCP(ACKPSH), PAY4), .ethertype = 0x0800,
	 .rc = -1, .err = E(BAD_IP_TOTAL_LENGTH)},
	{"ipv4_version_6", 1, BYTES(MACS, U16(0x0800), IP6(24, 6), TCP(ACKPSH), PAY4), .ethertype = 0x0800, .rc = -1,
	 .err = E(BAD_IP_VERSION)},
	{"ipv4_runt", 1, BYTES(MACS, U16(0x0800), 0x45, 0, 0, 44, 0, 0), .ethertype = 0x0800, .rc = -1,
	 .err = E(TRUNCATED_IP)},
	/* IPv6 extension headers */
	{"ipv6_hbh_frag_dst", 1,
	 BYTES(MACS, U16(0x86dd), IP6(48, 0), OPTS8(44), FRAG6(60, 0x0001), OPTS8(6), TCP(ACKPSH), PAY4), V6, TCP_OK,
	 .n_ext = 3, .rc = -1, .err = E(IP_FRAGMENT), .frag = true},
	{"ipv6_hbh_routing_dst", 1,
	 BYTES(MACS, U16(0x86dd), IP6(48, 0), OPTS8(43), ROUTING8(60), OPTS8(6), TCP(ACKPSH), PAY4), V6, TCP_OK,
	 .n_ext = 3},
	{"ipv6_ah", 1,
	 BYTES(MACS, U16(0x86dd), IP6(48, 51), 6, 4, 0, 0, U32(1), U32(2), U32(0), U32(0), U32(0), TCP(ACKPSH), PAY4),
	 V6, TCP_OK, .n_ext = 1},
	{"ipv6_later_fragment", 1, BYTES(MACS, U16(0x86dd), IP6(32, 44), FRAG6(6, 0x0100), TCP(ACKPSH), PAY4), V6,
	 .has_ip = true, .proto = 6, .n_ext = 1, .rc = -1, .err = E(IP_FRAGMENT), .frag = true},
	/* the bytes after a non-first fragment header are data, not headers */
	{"ipv6_later_fragment_ext_next", 1, BYTES(MACS, U16(0x86dd), IP6(16, 44), FRAG6(60, 0x0100), 6, 200, 0, 0, 0, 0, 0, 0),
	 V6, .has_ip = true, .proto = 60, .n_ext = 1, .rc = -1, .err = E(IP_FRAGMENT), .frag = true},
	{"ipv6_8_ext", 1,
	 BYTES(MACS, U16(0x86dd), IP6(64, 60), OPTS8(60), OPTS8(60), OPTS8(60), OPTS8(60), OPTS8(60), OPTS8(60),
	       OPTS8(60), OPTS8(59)),
	 V6, .has_ip = true, .proto = 59, .n_ext = 8},
	{"ipv6_9_ext_too_many", 1,
	 BYTES(MACS, U16(0x86dd), IP6(72, 60), OPTS8(60), OPTS8(60), OPTS8(60), OPTS8(60), OPTS8(60), OPTS8(60),
	       OPTS8(60), OPTS8(60), OPTS8(59)),
	 V6, .has_ip = true, .n_ext = 8, .rc = -1, .err = E(TOO_MANY_IPV6_EXT)},
	{"ipv6_truncated_ext", 1, BYTES(MACS, U16(0x86dd), IP6(16, 0), 6, 1, 1, 4, 0, 0, 0, 0), .cut = 8, V6,
	 .has_ip = true, .n_ext = 1, .ip_trunc = true, .rc = -1, .err = E(TRUNCATED_IPV6_EXT)},
	{"ipv6_ext_past_payload", 1, BYTES(MACS, U16(0x86dd), IP6(8, 0), 6, 1, 1, 4, 0, 0, 0, 0), V6, .has_ip = true,
	 .n_ext = 1, .rc = -1, .err = E(BAD_IPV6_EXT_LENGTH)},
	{"ipv6_ext_no_room", 1, BYTES(MACS, U16(0x86dd), IP6(1, 0), 6), V6, .has_ip = true, .n_ext = 1, .rc = -1,
	 .err = E(BAD_IPV6_EXT_LENGTH)},
	{"ipv6_version_4", 1, BYTES(MACS, U16(0x86dd), IP4(44, 0, 6), TCP(ACKPSH), PAY4), .ethertype = 0x86dd, .rc = -1,
	 .err = E(BAD_IP_VERSION)},
	{"ipv6_lying_payload_length", 1, BYTES(MACS, U16(0x86dd), IP6(100, 6), TCP(ACKPSH), PAY4), .ethertype = 0x86dd,
	 .rc = -1, .err = E(BAD_IP_TOTAL_LENGTH)},
	/* TCP */
	{"tcp_offset_4", 1, BYTES(MACS, U16(0x0800), IP4(44, 0, 6), TCPX(0x40, ACKPSH), PAY4), V4, .has_ip = true,
	 .proto = 6, .rc = -1, .err = E(BAD_TCP_OFFSET)},
	{"tcp_offset_past_segment", 1, BYTES(MACS, U16(0x0800), IP4(44, 0, 6), TCPX(0xf0, ACKPSH), PAY4), V4,
	 .has_ip = true, .proto = 6, .rc = -1, .err = E(BAD_TCP_OFFSET)},
	{"tcp_options_cut_by_snaplen", 1, BYTES(MACS, U16(0x0800), IP4(60, 0, 6), TCPX(0xa0, CAP_TCP_SYN), 2, 4),
	 .cut = 18, V4, .has_ip = true, .proto = 6, .ip_trunc = true, .rc = -1, .err = E(TRUNCATED_TCP)},
	/* MPLS (RFC 3032) */
	{"mpls_1_ipv4_tcp", 1, BYTES(MACS, U16(0x8847), MPLS(16, 1), IP4(44, 0, 6), TCP(ACKPSH), PAY4),
	 .ethertype = 0x8847, .ipv = 4, TCP_OK, .n_mpls = 1},
	{"mpls_3_ipv4_tcp", 1,
	 BYTES(MACS, U16(0x8847), MPLS(16, 0), MPLS(17, 0), MPLS(18, 1), IP4(44, 0, 6), TCP(ACKPSH), PAY4),
	 .ethertype = 0x8847, .ipv = 4, TCP_OK, .n_mpls = 3},
	{"vlan_mpls_mc_ipv6_tcp", 1,
	 BYTES(MACS, TAG(0x8100, 0, 0, 100), U16(0x8848), MPLS(3, 1), IP6(24, 6), TCP(ACKPSH), PAY4),
	 .ethertype = 0x8848, .ipv = 6, TCP_OK, .n_mpls = 1, .n_vlans = 1, .tpid = {0x8100}, .vid = {100}},
	/* no S bit: the IP and TCP headers are taken as labels until the cap */
	{"mpls_no_bottom_of_stack", 1, BYTES(MACS, U16(0x8847), MPLS(16, 0), MPLS(17, 0), IP4(44, 0, 6), TCP(ACKPSH), PAY4),
	 .ethertype = 0x8847, .n_mpls = 8, .rc = -1, .err = E(MPLS_TOO_DEEP)},
	{"mpls_no_bottom_truncated", 1, BYTES(MACS, U16(0x8847), MPLS(16, 0)), .ethertype = 0x8847, .n_mpls = 1,
	 .rc = -1, .err = E(TRUNCATED_MPLS)},
	{"mpls_half_label", 1, BYTES(MACS, U16(0x8847), 0, 1), .cut = 40, .ethertype = 0x8847, .rc = -1,
	 .err = E(TRUNCATED_MPLS)},
	{"mpls_pw_control_word", 1, BYTES(MACS, U16(0x8847), MPLS(16, 1), 0, 0, 0, 0, MACS, U16(0x0806)),
	 .ethertype = 0x8847, .n_mpls = 1, .rc = -1, .err = E(MPLS_PAYLOAD_UNKNOWN)},
	{"mpls_empty_payload", 1, BYTES(MACS, U16(0x8847), MPLS(16, 1)), .ethertype = 0x8847, .n_mpls = 1, .rc = -1,
	 .err = E(TRUNCATED_IP)},
	/* GRE (RFC 2784, RFC 2890) */
	{"gre_ipv4_tcp", 1, BYTES(MACS, U16(0x0800), IP4O(68, 47), GRE(0, 0x0800), IP4(44, 0, 6), TCP(ACKPSH), PAY4), V4,
	 TCP_OK, .tunnel = true, .outer_ipv = 4},
	{"gre_key_seq_ipv4_tcp", 1,
	 BYTES(MACS, U16(0x0800), IP4O(76, 47), GRE(0x3000, 0x0800), U32(42), U32(7), IP4(44, 0, 6), TCP(ACKPSH), PAY4),
	 V4, TCP_OK, .tunnel = true, .outer_ipv = 4},
	{"gre_csum_key_ipv6_tcp", 1,
	 BYTES(MACS, U16(0x0800), IP4O(96, 47), GRE(0xa000, 0x86dd), U32(0), U32(42), IP6(24, 6), TCP(ACKPSH), PAY4),
	 .ethertype = 0x0800, .ipv = 6, TCP_OK, .tunnel = true, .outer_ipv = 4},
	{"gre_over_ipv6", 1, BYTES(MACS, U16(0x86dd), IP6(48, 47), GRE(0, 0x0800), IP4(44, 0, 6), TCP(ACKPSH), PAY4),
	 .ethertype = 0x86dd, .ipv = 4, TCP_OK, .tunnel = true, .outer_ipv = 6},
	{"gre_mpls_ipv4_tcp", 1,
	 BYTES(MACS, U16(0x8847), MPLS(16, 1), IP4O(68, 47), GRE(0, 0x0800), IP4(44, 0, 6), TCP(ACKPSH), PAY4),
	 .ethertype = 0x8847, .ipv = 4, TCP_OK, .n_mpls = 1, .tunnel = true, .outer_ipv = 4},
	{"gre_version_1", 1, BYTES(MACS, U16(0x0800), IP4(36, 0, 47), GRE(0x3001, 0x880b), U16(8), U16(1), U32(1), 1, 2, 3, 4),
	 V4, .has_ip = true, .proto = 47, .rc = -1, .err = E(BAD_GRE_VERSION)},
	{"gre_routing_flag", 1, BYTES(MACS, U16(0x0800), IP4(32, 0, 47), GRE(0x4000, 0x0800), U32(0), U32(0)), V4,
	 .has_ip = true, .proto = 47, .rc = -1, .err = E(BAD_GRE_FLAGS)},
	{"gre_short", 1, BYTES(MACS, U16(0x0800), IP4(22, 0, 47), 0, 0), V4, .has_ip = true, .proto = 47, .rc = -1,
	 .err = E(TRUNCATED_GRE)},
	{"gre_key_past_datagram", 1, BYTES(MACS, U16(0x0800), IP4(26, 0, 47), GRE(0x2000, 0x0800), 0, 0, 0, 0), V4,
	 .has_ip = true, .proto = 47, .rc = -1, .err = E(TRUNCATED_GRE)},
	{"gre_teb_not_decoded", 1, BYTES(MACS, U16(0x0800), IP4(38, 0, 47), GRE(0, 0x6558), MACS, U16(0x0806)), V4,
	 .has_ip = true, .proto = 47},
	{"gre_fragment_not_decoded", 1, BYTES(MACS, U16(0x0800), IP4(28, 0x2000, 47), GRE(0, 0x0800), 0x45, 0, 0, 44), V4,
	 .has_ip = true, .proto = 47, .frag = true, .rc = -1, .err = E(IP_FRAGMENT)},
	{"gre_in_gre_too_deep", 1,
	 BYTES(MACS, U16(0x0800), IP4O(92, 47), GRE(0, 0x0800), IP4(68, 0, 47), GRE(0, 0x0800), IP4(44, 0, 6), TCP(ACKPSH),
	       PAY4),
	 V4, .has_ip = true, .proto = 47, .tunnel = true, .outer_ipv = 4, .rc = -1, .err = E(TUNNEL_TOO_DEEP)},
	{"gre_inner_lying_length", 1,
	 BYTES(MACS, U16(0x0800), IP4O(68, 47), GRE(0, 0x0800), IP4(100, 0, 6), TCP(ACKPSH), PAY4), .cut = 100,
	 .ethertype = 0x0800, .tunnel = true, .outer_ipv = 4, .rc = -1, .err = E(BAD_IP_TOTAL_LENGTH)},
	{"tcp_segment_below_20", 1, BYTES(MACS, U16(0x0800), IP4(30, 0, 6), U16(1), U16(2), U32(3), 0, 0), V4,
	 .has_ip = true, .proto = 6, .rc = -1, .err = E(TRUNCATED_TCP)},
};

/* ---- checking ---- */

#define CHECK(c, cond)                                                                         \
	do {                                                                                   \
		if (!(cond))                                                                   \
			fail_msg("%s: %s", (c)->name, #cond);                                  \
	} while (0)

static const uint8_t src4[] = {SRC4}, dst4[] = {DST4}, src6[] = {SRC6}, dst6[] = {DST6};
static const uint8_t osrc4[] = {OSRC4}, odst4[] = {ODST4};

/* The frame under test, copied to an exact-size heap block so ASan sees
 * any overread; kept here so that a failing case (which longjmps out)
 * still has it freed by the group teardown. */
static uint8_t *case_buf;

static int free_case_buf(void **state)
{
	(void)state;
	free(case_buf);
	case_buf = NULL;
	return 0;
}

static void check_case(const struct fcase *c)
{
	struct cap_frame f;
	uint8_t *buf;
	int rc;

	free_case_buf(NULL);
	buf = case_buf = malloc(c->len ? c->len : 1);
	assert_non_null(buf);
	memcpy(buf, c->pkt, c->len);
	rc = cap_frame_decode(c->linktype, buf, c->len, c->len + c->cut, &f);
	CHECK(c, rc == c->rc);
	if (f.error != c->err)
		fail_msg("%s: error %s, want %s", c->name, cap_frame_error_name(f.error),
			 cap_frame_error_name(c->err));
	CHECK(c, f.wirelen == c->len + c->cut && f.caplen == c->len);
	CHECK(c, f.n_vlans == c->n_vlans);
	for (unsigned i = 0; i < c->n_vlans; i++)
		CHECK(c, f.vlans[i].tpid == c->tpid[i] && f.vlans[i].vid == c->vid[i]);
	CHECK(c, cap_frame_s_tag(&f) == (c->n_vlans >= 2 ? c->vid[0] : -1));
	CHECK(c, cap_frame_c_tag(&f) == (c->n_vlans >= 1 ? c->vid[c->n_vlans - 1] : -1));
	CHECK(c, f.ethertype == c->ethertype);
	CHECK(c, f.has_ip == c->has_ip);
	CHECK(c, f.ip_version == c->ipv);
	CHECK(c, f.ip_proto == c->proto);
	CHECK(c, f.n_ipv6_ext == c->n_ext);
	CHECK(c, f.ip_fragment == c->frag);
	CHECK(c, f.ip_truncated == c->ip_trunc);
	CHECK(c, f.has_tcp == c->has_tcp);
	CHECK(c, f.n_mpls == c->n_mpls);
	CHECK(c, f.tunneled == c->tunnel);
	CHECK(c, f.outer.ip_version == c->outer_ipv);
	if (c->outer_ipv == 4)
		CHECK(c, !memcmp(f.outer.src_ip, osrc4, 4) && !memcmp(f.outer.dst_ip, odst4, 4) &&
			     f.outer.ip_proto == 47);
	if (c->outer_ipv == 6)
		CHECK(c, !memcmp(f.outer.src_ip, src6, 16) && !memcmp(f.outer.dst_ip, dst6, 16) &&
			     f.outer.ip_proto == 47);
	if (c->has_ip && c->ipv == 4)
		CHECK(c, !memcmp(f.src_ip, src4, 4) && !memcmp(f.dst_ip, dst4, 4));
	if (c->has_ip && c->ipv == 6)
		CHECK(c, !memcmp(f.src_ip, src6, 16) && !memcmp(f.dst_ip, dst6, 16));
	if (c->has_tcp) {
		CHECK(c, f.tcp.sport == 50000 && f.tcp.dport == 179);
		CHECK(c, f.tcp.seq == 1000 && f.tcp.ack == 2000 && f.tcp.window == 65535);
		CHECK(c, f.tcp.payload_len == c->pay && f.tcp.payload_wire_len == c->pay_wire);
		if (c->pay)
			CHECK(c, f.tcp.payload == buf + c->len - c->pay && !memcmp(f.tcp.payload, "BGP!", 4));
		else
			CHECK(c, f.tcp.payload == NULL);
	}
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}

static void test_vlan_fields_and_tags(void **state)
{
	static const uint8_t pkt[] = {MACS, TAG(0x88a8, 5, 1, 300), TAG(0x8100, 3, 0, 100), U16(0x0806)};
	struct cap_frame f;
	(void)state;

	assert_int_equal(cap_frame_decode(1, pkt, sizeof(pkt), sizeof(pkt), &f), 0);
	assert_int_equal(f.n_vlans, 2);
	assert_int_equal(f.vlans[0].pcp, 5);
	assert_true(f.vlans[0].dei);
	assert_int_equal(f.vlans[1].pcp, 3);
	assert_false(f.vlans[1].dei);
	assert_int_equal(cap_frame_s_tag(&f), 300);
	assert_int_equal(cap_frame_c_tag(&f), 100);
	assert_memory_equal(f.dst_mac, ((uint8_t[]){0x02, 0, 0, 0, 0, 1}), 6);
	assert_memory_equal(f.src_mac, ((uint8_t[]){0x02, 0, 0, 0, 0, 2}), 6);
	/* single tag: a C-tag but no S-tag */
	f.n_vlans = 1;
	assert_int_equal(cap_frame_s_tag(&f), -1);
	assert_int_equal(cap_frame_c_tag(&f), 300);
	f.n_vlans = 0;
	assert_int_equal(cap_frame_c_tag(&f), -1);
}

static void test_sll_fields(void **state)
{
	static const uint8_t sll2[] = {SLL2(0x0806), 0, 1};
	static const uint8_t sll[] = {SLL(0x0806), 0, 1};
	struct cap_frame f;
	(void)state;

	assert_int_equal(cap_frame_decode(276, sll2, sizeof(sll2), sizeof(sll2), &f), 0);
	assert_int_equal(f.sll_ifindex, 7);
	assert_int_equal(f.sll_pkttype, 4);
	assert_true(f.has_src_mac && !f.has_mac);
	assert_int_equal(f.src_mac[0], 0x02);
	assert_int_equal(f.src_mac[5], 0x01);
	assert_int_equal(f.ethertype, 0x0806);
	assert_int_equal(cap_frame_decode(113, sll, sizeof(sll), sizeof(sll), &f), 0);
	assert_int_equal(f.sll_pkttype, 0);
	assert_true(f.has_src_mac);
	assert_int_equal(f.ethertype, 0x0806);
}

static void test_ipv4_fragment_fields(void **state)
{
	static const uint8_t pkt[] = {IP4(28, 0x2000 | 0x0003, 17), 1, 2, 3, 4, 5, 6, 7, 8};
	struct cap_frame f;
	(void)state;

	assert_int_equal(cap_frame_decode(228, pkt, sizeof(pkt), sizeof(pkt), &f), -1);
	assert_int_equal(f.error, CAP_FRAME_IP_FRAGMENT);
	assert_true(f.ip_fragment && f.ip_more_fragments && !f.ip_dont_fragment);
	assert_int_equal(f.frag_offset, 24);
	assert_int_equal(f.frag_id, 0x1234);
	assert_int_equal(f.ip_total_len, 28);
	assert_int_equal(f.ttl, 64);
	assert_string_equal(cap_frame_error_name(f.error), "ip_fragment");
}

static void test_ipv6_fragment_fields(void **state)
{
	static const uint8_t pkt[] = {IP6(16, 44), FRAG6(17, 0x0100 | 1), 1, 2, 3, 4, 5, 6, 7, 8};
	static const uint8_t atomic[] = {IP6(16, 44), FRAG6(59, 0), 1, 2, 3, 4, 5, 6, 7, 8};
	struct cap_frame f;
	(void)state;

	assert_int_equal(cap_frame_decode(229, pkt, sizeof(pkt), sizeof(pkt), &f), -1);
	assert_int_equal(f.error, CAP_FRAME_IP_FRAGMENT);
	assert_true(f.ip_fragment && f.ip_more_fragments);
	assert_int_equal(f.frag_offset, 256);
	assert_int_equal(f.frag_id, 0xabcd);
	assert_int_equal(f.ip_proto, 17);
	assert_int_equal(f.ip_header_len, 48);
	assert_int_equal(f.ip_total_len, 56);
	/* RFC 6946: an atomic fragment is a whole datagram */
	assert_int_equal(cap_frame_decode(229, atomic, sizeof(atomic), sizeof(atomic), &f), 0);
	assert_false(f.ip_fragment);
	assert_int_equal(f.ip_proto, 59);
}

/* SYN options: MSS, SACK-permitted, timestamps, NOP, window scale, plus an
 * unknown kind skipped by its length. */
static void test_tcp_options(void **state)
{
	static const uint8_t pkt[] = {IP4(64, 0, 6), TCPX(0xb0, CAP_TCP_SYN), 2, 4, U16(1460), 4, 2, 8, 10,
				      U32(0x01020304), U32(0xa0b0c0d0), 1, 3, 3, 7, 30, 4, 0xee, 0xee, 0, 0};
	struct cap_frame f;
	(void)state;

	assert_int_equal(cap_frame_decode(101, pkt, sizeof(pkt), sizeof(pkt), &f), 0);
	assert_true(f.has_tcp);
	assert_int_equal(f.tcp.data_offset, 11);
	assert_int_equal(f.tcp.flags, CAP_TCP_SYN);
	assert_true(f.tcp.has_mss);
	assert_int_equal(f.tcp.mss, 1460);
	assert_true(f.tcp.sack_permitted);
	assert_true(f.tcp.has_timestamps);
	assert_int_equal(f.tcp.ts_val, 0x01020304);
	assert_int_equal(f.tcp.ts_ecr, 0xa0b0c0d0);
	assert_true(f.tcp.has_wscale);
	assert_int_equal(f.tcp.wscale, 7);
	assert_false(f.tcp.bad_options);
	assert_int_equal(f.tcp.payload_len, 0);
	assert_null(f.tcp.payload);
}

static void test_tcp_option_lies(void **state)
{
	/* MSS, then timestamps claiming 40 bytes in a 12-byte option area */
	static const uint8_t lying[] = {IP4(52, 0, 6), TCPX(0x80, CAP_TCP_SYN), 2, 4, U16(1400), 8, 40, 0, 0, 0, 0, 0, 0};
	/* an option length below 2 */
	static const uint8_t short_len[] = {IP4(44, 0, 6), TCPX(0x60, CAP_TCP_SYN), 5, 0, 2, 4};
	/* MSS with the wrong length is ignored; timestamps after it still parse */
	static const uint8_t wrong[] = {IP4(56, 0, 6), TCPX(0x90, CAP_TCP_ACK), 2, 3, 5, 8, 10, U32(9), U32(10), 0, 0, 0};
	/* EOL stops: the MSS after it is padding, not an option */
	static const uint8_t eol[] = {IP4(44, 0, 6), TCPX(0x60, CAP_TCP_SYN), 0, 2, 4, 5};
	struct cap_frame f;
	(void)state;

	assert_int_equal(cap_frame_decode(101, lying, sizeof(lying), sizeof(lying), &f), 0);
	assert_true(f.tcp.bad_options);
	assert_true(f.tcp.has_mss);
	assert_int_equal(f.tcp.mss, 1400);
	assert_false(f.tcp.has_timestamps);
	assert_int_equal(cap_frame_decode(101, short_len, sizeof(short_len), sizeof(short_len), &f), 0);
	assert_true(f.tcp.bad_options);
	assert_false(f.tcp.has_mss);
	assert_int_equal(cap_frame_decode(101, wrong, sizeof(wrong), sizeof(wrong), &f), 0);
	assert_true(f.tcp.bad_options);
	assert_false(f.tcp.has_mss);
	assert_true(f.tcp.has_timestamps);
	assert_int_equal(f.tcp.ts_val, 9);
	assert_int_equal(f.tcp.ts_ecr, 10);
	assert_int_equal(cap_frame_decode(101, eol, sizeof(eol), sizeof(eol), &f), 0);
	assert_false(f.tcp.bad_options);
	assert_false(f.tcp.has_mss);
}

static void test_mpls_fields(void **state)
{
	static const uint8_t pkt[] = {MACS, U16(0x8847), MPLS(16, 0), MPLS(0xfffff, 0), MPLS(3, 1),
				      IP4(44, 0, 6), TCP(ACKPSH), PAY4};
	struct cap_frame f;
	(void)state;

	assert_int_equal(cap_frame_decode(1, pkt, sizeof(pkt), sizeof(pkt), &f), 0);
	assert_int_equal(f.n_mpls, 3);
	assert_int_equal(f.mpls[0].label, 16);
	assert_int_equal(f.mpls[1].label, 0xfffff);
	assert_int_equal(f.mpls[2].label, 3);
	assert_int_equal(f.mpls[2].tc, 5);
	assert_int_equal(f.mpls[2].ttl, 64);
	assert_false(f.tunneled);
	assert_int_equal(f.ip_total_len, 44);
}

static void test_gre_fields(void **state)
{
	static const uint8_t pkt[] = {MACS, U16(0x0800), IP4O(76, 47), GRE(0x3000, 0x0800), U32(42), U32(7),
				      IP4(44, 0, 6), TCP(ACKPSH), PAY4};
	static const uint8_t plain[] = {MACS, U16(0x0800), IP4O(68, 47), GRE(0, 0x0800), IP4(44, 0, 6),
					TCP(ACKPSH), PAY4};
	struct cap_frame f;
	(void)state;

	assert_int_equal(cap_frame_decode(1, pkt, sizeof(pkt), sizeof(pkt), &f), 0);
	assert_true(f.has_gre && f.has_gre_key && f.has_gre_seq && f.tunneled);
	assert_int_equal(f.gre_proto, 0x0800);
	assert_int_equal(f.gre_key, 42);
	assert_int_equal(f.gre_seq, 7);
	assert_int_equal(f.outer.ip_total_len, 76);
	assert_int_equal(f.outer.ip_header_len, 20);
	assert_int_equal(f.outer.ttl, 64);
	assert_false(f.outer.ip_truncated);
	assert_int_equal(f.ip_total_len, 44);
	assert_int_equal(f.ip_proto, 6);
	assert_int_equal(f.frag_id, 0x1234);
	assert_int_equal(f.tcp.dport, 179);
	assert_int_equal(cap_frame_decode(1, plain, sizeof(plain), sizeof(plain), &f), 0);
	assert_true(f.has_gre && !f.has_gre_key && !f.has_gre_seq && f.tunneled);
	assert_string_equal(cap_frame_error_name(CAP_FRAME_BAD_GRE_VERSION), "bad_gre_version");
	assert_string_equal(cap_frame_error_name(CAP_FRAME_MPLS_PAYLOAD_UNKNOWN), "mpls_payload_unknown");
}

static void test_bad_args(void **state)
{
	static const uint8_t pkt[] = {IP4(20, 0, 6)};
	struct cap_frame f;
	(void)state;

	assert_int_equal(cap_frame_decode(101, pkt, sizeof(pkt), sizeof(pkt) - 1, &f), -1);
	assert_int_equal(f.error, CAP_FRAME_BAD_ARGS);
	assert_int_equal(cap_frame_decode(101, NULL, 4, 4, &f), -1);
	assert_int_equal(f.error, CAP_FRAME_BAD_ARGS);
	assert_int_equal(cap_frame_decode(101, pkt, sizeof(pkt), sizeof(pkt), NULL), -1);
	assert_int_equal(cap_frame_decode(1, NULL, 0, 0, &f), -1);
	assert_int_equal(f.error, CAP_FRAME_TRUNCATED_LINK);
}

static void test_error_names(void **state)
{
	(void)state;
	assert_string_equal(cap_frame_error_name(CAP_FRAME_OK), "ok");
	assert_string_equal(cap_frame_error_name(CAP_FRAME_TRUNCATED_LINK), "truncated_link");
	assert_string_equal(cap_frame_error_name(CAP_FRAME_VLAN_TOO_DEEP), "vlan_too_deep");
	assert_string_equal(cap_frame_error_name(CAP_FRAME_BAD_TCP_OFFSET), "bad_tcp_offset");
	assert_string_equal(cap_frame_error_name(CAP_FRAME_ERROR_COUNT), "unknown");
	for (int e = 0; e < CAP_FRAME_ERROR_COUNT; e++) {
		const char *n = cap_frame_error_name((enum cap_frame_error)e);

		assert_string_not_equal(n, "unknown");
		for (const char *p = n; *p; p++) /* label-safe snake_case */
			assert_true((*p >= 'a' && *p <= 'z') || *p == '_' || (*p >= '0' && *p <= '9'));
		for (int o = 0; o < e; o++)
			assert_string_not_equal(n, cap_frame_error_name((enum cap_frame_error)o));
	}
}

/* ---- truncation at every byte ---- */

/* Where each layer of a frame ends, and the error a cut inside it gives. */
struct layer_end {
	size_t end;
	enum cap_frame_error err;
};

/* Cuts the frame after every byte, two ways: by the capture (snaplen:
 * caplen n, wirelen full) must give exactly the truncated_* error of the
 * layer the cut falls in, or decode with a shorter payload; a frame that
 * really was n bytes long must fail cleanly (its IP length lies). */
static void sweep(int linktype, const uint8_t *full, size_t len, const struct layer_end *layers,
		  size_t n_layers, size_t hdr_len)
{
	struct cap_frame ref, f;

	assert_int_equal(cap_frame_decode(linktype, full, len, len, &ref), 0);
	assert_true(ref.has_tcp);
	for (size_t n = 0; n < len; n++) {
		uint8_t *buf;
		enum cap_frame_error want = CAP_FRAME_OK;
		int rc;

		free_case_buf(NULL);
		buf = case_buf = malloc(n ? n : 1);
		assert_non_null(buf);
		memcpy(buf, full, n);
		for (size_t i = 0; i < n_layers && want == CAP_FRAME_OK; i++)
			if (n < layers[i].end)
				want = layers[i].err;
		rc = cap_frame_decode(linktype, buf, n, len, &f);
		if (f.error != want)
			fail_msg("snaplen %zu: %s, want %s", n, cap_frame_error_name(f.error),
				 cap_frame_error_name(want));
		assert_int_equal(rc, want == CAP_FRAME_OK ? 0 : -1);
		assert_int_equal(f.n_vlans, n >= hdr_len ? ref.n_vlans : f.n_vlans);
		if (f.has_ip)
			assert_memory_equal(f.src_ip, ref.src_ip, 16);
		if (rc == 0) {
			assert_true(f.has_tcp && f.ip_truncated);
			assert_int_equal(f.tcp.payload_len, n - hdr_len);
			assert_int_equal(f.tcp.payload_wire_len, ref.tcp.payload_wire_len);
			assert_int_equal(f.tcp.seq, ref.tcp.seq);
		}
		rc = cap_frame_decode(linktype, buf, n, n, &f);
		assert_int_equal(rc, -1);
		assert_int_not_equal(f.error, CAP_FRAME_OK);
	}
}

static void test_truncation_qinq_ipv4_tcp(void **state)
{
	static const uint8_t pkt[] = {MACS, TAG(0x88a8, 0, 0, 300), TAG(0x8100, 0, 0, 100), U16(0x0800),
				      IP4X(0x46, 60, 0x4000, 6), 1, 1, 1, 0, TCPX(0x80, ACKPSH), 1, 1, 8, 10,
				      U32(5), U32(6), PAY4};
	static const struct layer_end layers[] = {
		{14, CAP_FRAME_TRUNCATED_LINK}, /* MACs + first TPID */
		{22, CAP_FRAME_TRUNCATED_VLAN}, /* two tags */
		{46, CAP_FRAME_TRUNCATED_IP},   /* 24-byte IPv4 header */
		{78, CAP_FRAME_TRUNCATED_TCP},  /* 32-byte TCP header */
	};
	(void)state;
	sweep(1, pkt, sizeof(pkt), layers, 4, 78);
}

static void test_truncation_sll2_ipv6_tcp(void **state)
{
	static const uint8_t pkt[] = {SLL2(0x86dd), IP6(52, 0), OPTS8(60), OPTS8(6), TCPX(0x80, ACKPSH), 1, 1, 8, 10,
				      U32(5), U32(6), PAY4};
	static const struct layer_end layers[] = {
		{20, CAP_FRAME_TRUNCATED_LINK},
		{60, CAP_FRAME_TRUNCATED_IP},
		{76, CAP_FRAME_TRUNCATED_IPV6_EXT},
		{108, CAP_FRAME_TRUNCATED_TCP},
	};
	(void)state;
	sweep(276, pkt, sizeof(pkt), layers, 4, 108);
}

static void test_truncation_gre_ipv4_tcp(void **state)
{
	/* outer and inner share addresses: the sweep compares src_ip */
	static const uint8_t pkt[] = {MACS, U16(0x0800), IP4(76, 0, 47), GRE(0x3000, 0x0800), U32(42), U32(7),
				      IP4(44, 0, 6), TCP(ACKPSH), PAY4};
	static const struct layer_end layers[] = {
		{14, CAP_FRAME_TRUNCATED_LINK},
		{34, CAP_FRAME_TRUNCATED_IP},
		{46, CAP_FRAME_TRUNCATED_GRE},
		{66, CAP_FRAME_TRUNCATED_IP},
		{86, CAP_FRAME_TRUNCATED_TCP},
	};
	(void)state;
	sweep(1, pkt, sizeof(pkt), layers, 5, 86);
}

static void test_truncation_mpls_ipv6_tcp(void **state)
{
	static const uint8_t pkt[] = {MACS, TAG(0x8100, 0, 0, 100), U16(0x8847), MPLS(16, 0), MPLS(17, 0), MPLS(18, 1),
				      IP6(24, 6), TCP(ACKPSH), PAY4};
	static const struct layer_end layers[] = {
		{14, CAP_FRAME_TRUNCATED_LINK},
		{18, CAP_FRAME_TRUNCATED_VLAN},
		{30, CAP_FRAME_TRUNCATED_MPLS},
		{70, CAP_FRAME_TRUNCATED_IP},
		{90, CAP_FRAME_TRUNCATED_TCP},
	};
	(void)state;
	sweep(1, pkt, sizeof(pkt), layers, 5, 90);
}

/* ---- fuzz seeds ---- */

static int lt_index(int lt)
{
	static const int lts[] = {1, 113, 276, 12, 101, 228, 229, 147}; /* as fuzz_frame.c */

	for (int i = 0; i < 8; i++)
		if (lts[i] == lt)
			return i;
	return 7;
}

static void write_corpus(const char *dir)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fcase *c = &cases[i];
		char path[512];
		FILE *fp;

		snprintf(path, sizeof(path), "%s/%s", dir, c->name);
		fp = fopen(path, "wb");
		if (!fp)
			continue;
		fputc(lt_index(c->linktype), fp);
		fputc(c->cut > 255 ? 255 : (int)c->cut, fp);
		fwrite(c->pkt, 1, c->len, fp);
		fclose(fp);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_vlan_fields_and_tags),
		cmocka_unit_test(test_sll_fields),
		cmocka_unit_test(test_ipv4_fragment_fields),
		cmocka_unit_test(test_ipv6_fragment_fields),
		cmocka_unit_test(test_tcp_options),
		cmocka_unit_test(test_tcp_option_lies),
		cmocka_unit_test(test_mpls_fields),
		cmocka_unit_test(test_gre_fields),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_error_names),
		cmocka_unit_test(test_truncation_qinq_ipv4_tcp),
		cmocka_unit_test(test_truncation_sll2_ipv6_tcp),
		cmocka_unit_test(test_truncation_gre_ipv4_tcp),
		cmocka_unit_test(test_truncation_mpls_ipv6_tcp),
	};
	const char *dir = getenv("CW_FRAME_CORPUS_DIR");

	if (dir)
		write_corpus(dir);
	return cmocka_run_group_tests(tests, NULL, free_case_buf);
}
