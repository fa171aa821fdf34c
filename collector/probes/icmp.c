/* icmp.c — echo request encoding and ICMP/ICMPv6 decoding (see icmp.h). */
#include "icmp.h"

#include <string.h>

#include "reader.h"
#include "writer.h"

#define V4_ECHO_REPLY 0      /* RFC 792 */
#define V4_UNREACH 3
#define V4_ECHO_REQUEST 8
#define V4_TIME_EXCEEDED 11
#define V4_PARAM_PROBLEM 12
#define V6_UNREACH 1         /* RFC 4443 §3 */
#define V6_TOO_BIG 2
#define V6_TIME_EXCEEDED 3
#define V6_PARAM_PROBLEM 4
#define V6_ECHO_REQUEST 128  /* RFC 4443 §4 */
#define V6_ECHO_REPLY 129
#define V4_HDR_MIN 20
#define V6_HDR_LEN 40
#define V4_PROTO_ICMP 1
#define V6_NEXT_ICMP 58

uint16_t probe_inet_checksum(const uint8_t *buf, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)buf[i] << 8 | buf[i + 1];
	if (i < len)
		sum += (uint32_t)buf[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int probe_icmp_encode_echo(uint8_t *buf, size_t cap, bool v6, uint16_t id, uint16_t seq,
			   const struct probe_icmp_tag *tag, size_t payload_len)
{
	size_t len = PROBE_ICMP_HDR_LEN + payload_len;

	if (payload_len < PROBE_ICMP_TAG_LEN || len > cap || len > PROBE_ICMP_MAX_LEN)
		return -1;
	memset(buf, 0, len);
	buf[0] = v6 ? V6_ECHO_REQUEST : V4_ECHO_REQUEST;
	wire_put_u16(buf + 4, id);
	wire_put_u16(buf + 6, seq);
	wire_put_u32(buf + 8, PROBE_ICMP_MAGIC);
	wire_put_u32(buf + 12, tag->tidx);
	wire_put_u32(buf + 16, tag->tuid);
	wire_put_u32(buf + 20, tag->tseq);
	if (!v6)
		wire_put_u16(buf + 2, probe_inet_checksum(buf, len));
	return (int)len;
}

/* The tag at the start of an echo payload, when there is one. */
static bool read_tag(struct wire_reader *r, struct probe_icmp_tag *tag)
{
	uint32_t magic;

	if (wire_get_u32(r, &magic) != 0 || magic != PROBE_ICMP_MAGIC ||
	    wire_get_u32(r, &tag->tidx) != 0 || wire_get_u32(r, &tag->tuid) != 0 ||
	    wire_get_u32(r, &tag->tseq) != 0)
		return false;
	return true;
}

/* type, code, checksum, id, seq; then the tag. */
static int read_echo(struct wire_reader *r, uint8_t *type, uint16_t *id, uint16_t *seq,
		     bool *tagged, struct probe_icmp_tag *tag)
{
	if (wire_get_u8(r, type) != 0 || wire_skip(r, 3) != 0 || wire_get_u16(r, id) != 0 ||
	    wire_get_u16(r, seq) != 0)
		return -1;
	*tagged = read_tag(r, tag);
	return 0;
}

int probe_icmp_parse_request(const uint8_t *buf, size_t len, bool v6, uint16_t *id,
			     uint16_t *seq, bool *tagged, struct probe_icmp_tag *tag)
{
	struct wire_reader r;
	uint8_t type;

	wire_init(&r, buf, len);
	if (read_echo(&r, &type, id, seq, tagged, tag) != 0)
		return -1;
	return type == (v6 ? V6_ECHO_REQUEST : V4_ECHO_REQUEST) ? 0 : -1;
}

/* Skips an IPv4 header (RFC 791 §3.1: IHL in 32-bit words) and returns
 * its protocol and destination. */
static int skip_v4_header(struct wire_reader *r, uint8_t *proto, uint8_t dst[16])
{
	uint8_t vihl;
	struct wire_reader h;

	if (wire_peek_u8(r, 0, &vihl) != 0 || (vihl >> 4) != 4 || (vihl & 0xf) * 4u < V4_HDR_MIN ||
	    wire_sub(r, (vihl & 0xf) * 4u, &h) != 0 || wire_skip(&h, 9) != 0 ||
	    wire_get_u8(&h, proto) != 0 || wire_skip(&h, 6) != 0 || wire_copy(&h, dst, 4) != 0)
		return -1;
	memset(dst + 4, 0, 12);
	return 0;
}

/* Extension headers are not followed: an error quoting a request that
 * carried them is counted as not ours. */
static int skip_v6_header(struct wire_reader *r, uint8_t *next, uint8_t dst[16])
{
	struct wire_reader h;
	uint8_t vtc;

	if (wire_sub(r, V6_HDR_LEN, &h) != 0 || wire_peek_u8(&h, 0, &vtc) != 0 || (vtc >> 4) != 6 ||
	    wire_skip(&h, 6) != 0 || wire_get_u8(&h, next) != 0 || wire_skip(&h, 1 + 16) != 0 ||
	    wire_copy(&h, dst, 16) != 0)
		return -1;
	return 0;
}

static bool is_error(bool v6, uint8_t type, enum probe_icmp_error *e)
{
	if (type == (v6 ? V6_UNREACH : V4_UNREACH))
		*e = PROBE_ICMP_ERR_UNREACHABLE;
	else if (type == (v6 ? V6_TIME_EXCEEDED : V4_TIME_EXCEEDED))
		*e = PROBE_ICMP_ERR_TIME_EXCEEDED;
	else if ((v6 && (type == V6_TOO_BIG || type == V6_PARAM_PROBLEM)) ||
		 (!v6 && type == V4_PARAM_PROBLEM))
		*e = PROBE_ICMP_ERR_OTHER;
	else
		return false;
	return true;
}

/* RFC 792 / RFC 4443 §2.1: an error carries 4 more header bytes, then as
 * much of the offending packet as fits; we need its IP header and the
 * first 8 bytes of our echo request. */
static int parse_error(struct wire_reader *r, bool v6, struct probe_icmp_msg *m)
{
	uint8_t proto, type;

	if (wire_skip(r, PROBE_ICMP_HDR_LEN) != 0 ||
	    (v6 ? skip_v6_header(r, &proto, m->dst) : skip_v4_header(r, &proto, m->dst)) != 0)
		return -1;
	m->has_dst = true;
	if (proto != (v6 ? V6_NEXT_ICMP : V4_PROTO_ICMP) ||
	    read_echo(r, &type, &m->id, &m->seq, &m->tagged, &m->tag) != 0 ||
	    type != (v6 ? V6_ECHO_REQUEST : V4_ECHO_REQUEST))
		m->kind = PROBE_ICMP_OTHER; /* an error about someone else's packet */
	return 0;
}

int probe_icmp_parse(const uint8_t *buf, size_t len, bool v6, bool ip_header,
		     struct probe_icmp_msg *m)
{
	struct wire_reader r;
	uint8_t proto, dst[16];

	memset(m, 0, sizeof(*m));
	wire_init(&r, buf, len);
	if (ip_header && !v6 && skip_v4_header(&r, &proto, dst) != 0)
		return -1;
	if (wire_peek_u8(&r, 0, &m->type) != 0 || wire_peek_u8(&r, 1, &m->code) != 0 ||
	    wire_left(&r) < PROBE_ICMP_HDR_LEN)
		return -1;
	if (m->type == (v6 ? V6_ECHO_REPLY : V4_ECHO_REPLY)) {
		m->kind = PROBE_ICMP_ECHO_REPLY;
		return read_echo(&r, &m->type, &m->id, &m->seq, &m->tagged, &m->tag);
	}
	if (!is_error(v6, m->type, &m->error)) {
		m->kind = PROBE_ICMP_OTHER;
		return 0;
	}
	m->kind = PROBE_ICMP_ERROR;
	return parse_error(&r, v6, m);
}
