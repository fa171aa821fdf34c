/* icmp.h — ICMP and ICMPv6 echo probes: the request we send, and what
 * comes back (an echo reply, or an error quoting our request).
 *
 * Pure: buffers in, structs out; no sockets. Every read goes through the
 * bounds-checked reader (wire/reader.h).
 *
 * Our echo payload starts with a 16-byte tag: magic "CWP1", then the
 * target's table index, its unique id and the probe's 32-bit sequence
 * number. The tag tells our replies from anybody else's on a raw socket
 * (which sees every echo reply of the host), survives the 16-bit echo
 * sequence wrapping, and lets a quoted request in an ICMP error find its
 * target. The rest of the payload is zero.
 */
#ifndef CW_PROBES_ICMP_H
#define CW_PROBES_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROBE_ICMP_HDR_LEN 8         /* type, code, checksum, id, seq (RFC 792) */
#define PROBE_ICMP_TAG_LEN 16        /* the smallest payload: our tag */
#define PROBE_ICMP_MAGIC 0x43575031u /* "CWP1" */
#define PROBE_ICMP_MAX_LEN (PROBE_ICMP_HDR_LEN + 1472)

struct probe_icmp_tag {
	uint32_t tidx;  /* target table index */
	uint32_t tuid;  /* target unique id (a removed target's index is reused) */
	uint32_t tseq;  /* the probe's sequence number for this target */
};

enum probe_icmp_kind {
	PROBE_ICMP_ECHO_REPLY,   /* an answer to an echo request */
	PROBE_ICMP_ERROR,        /* an error quoting one of our echo requests */
	PROBE_ICMP_OTHER,        /* any other message (not for us; ignored) */
};

enum probe_icmp_error {
	PROBE_ICMP_ERR_UNREACHABLE,    /* v4 type 3, v6 type 1 */
	PROBE_ICMP_ERR_TIME_EXCEEDED,  /* v4 type 11, v6 type 3 */
	PROBE_ICMP_ERR_OTHER,          /* parameter problem, packet too big, ... */
};

struct probe_icmp_msg {
	enum probe_icmp_kind kind;
	uint8_t type, code;          /* of the message itself */
	enum probe_icmp_error error; /* PROBE_ICMP_ERROR */
	uint16_t id, seq;            /* of the echo reply / of the quoted request */
	bool tagged;                 /* the payload (quoted payload) carries our tag */
	struct probe_icmp_tag tag;
	bool has_dst;                /* errors: the quoted request's destination */
	uint8_t dst[16];             /* (only when the quote has an IP header) */
};

/* Writes an echo request (IPv4 type 8 or IPv6 type 128, RFC 792 / RFC 4443
 * §4.1) with payload_len bytes of payload (>= PROBE_ICMP_TAG_LEN) into buf
 * of cap bytes. The IPv4 checksum is filled in; the ICMPv6 one is left 0
 * for the kernel (RFC 3542 §3.1: it computes it on ICMPv6 sockets).
 * Returns the length, or -1 when it does not fit or the payload is short. */
int probe_icmp_encode_echo(uint8_t *buf, size_t cap, bool v6, uint16_t id, uint16_t seq,
			   const struct probe_icmp_tag *tag, size_t payload_len)
	__attribute__((warn_unused_result));

/* Decodes what an ICMP socket read: ip_header is true for IPv4 raw sockets
 * (the datagram starts with the IPv4 header); IPv6 sockets and datagram
 * sockets give the ICMP message alone. 0 and *m, or -1 when malformed
 * (truncated header, bad IP header length). */
int probe_icmp_parse(const uint8_t *buf, size_t len, bool v6, bool ip_header,
		     struct probe_icmp_msg *m) __attribute__((warn_unused_result));

/* Decodes one of our echo requests as quoted back by the kernel's error
 * queue (IP_RECVERR / IPV6_RECVERR on a datagram socket: the ICMP message
 * we sent, possibly cut short). 0, or -1 when it is no echo request. */
int probe_icmp_parse_request(const uint8_t *buf, size_t len, bool v6, uint16_t *id,
			     uint16_t *seq, bool *tagged, struct probe_icmp_tag *tag)
	__attribute__((warn_unused_result));

/* The Internet checksum (RFC 1071) of len bytes. */
uint16_t probe_inet_checksum(const uint8_t *buf, size_t len);

#endif
