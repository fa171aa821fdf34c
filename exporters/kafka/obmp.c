/* obmp.c — the OpenBMP binary header v1.7 (see obmp.h for the layout). */
#include "obmp.h"

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <string.h>

static void md5(const void *data, size_t len, uint8_t out[16])
{
	/* MD5 as OpenBMP's hashes are, not for security */
	if (gnutls_hash_fast(GNUTLS_DIG_MD5, data, len, out) != 0)
		memset(out, 0, 16);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void obmp_collector_init(struct obmp_collector *c, const char *admin_id)
{
	size_t n = admin_id != NULL ? strnlen(admin_id, OBMP_ADMIN_ID_MAX) : 0;

	memset(c, 0, sizeof(*c));
	if (n > 0)
		memcpy(c->admin_id, admin_id, n);
	c->admin_len = n;
	md5(c->admin_id, n, c->hash);
}

void obmp_router_init(struct obmp_router *r, const struct obmp_collector *c,
		      const uint8_t addr[16], bool ipv6)
{
	char text[INET6_ADDRSTRLEN + 16];
	size_t n;

	memset(r, 0, sizeof(*r));
	r->ipv6 = ipv6;
	if (ipv6) {
		memcpy(r->addr, addr, 16);
		inet_ntop(AF_INET6, addr, text, INET6_ADDRSTRLEN);
	} else {
		memcpy(r->addr, addr + 12, 4);
		inet_ntop(AF_INET, addr + 12, text, INET6_ADDRSTRLEN);
	}
	n = strlen(text);
	memcpy(text + n, c->hash, 16);
	md5(text, n + 16, r->hash);
	hex(r->hash, 16, r->key);
}

size_t obmp_header_len(const struct obmp_collector *c)
{
	return OBMP_HDR_FIXED + c->admin_len;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static uint8_t *put(uint8_t *p, const void *v, size_t n)
{
	if (n > 0)
		memcpy(p, v, n);
	return p + n;
}

size_t obmp_header(const struct obmp_collector *c, const struct obmp_router *r, int64_t recv_ns,
		   size_t bmp_len, uint8_t *out, size_t cap)
{
	size_t hlen = obmp_header_len(c);
	int64_t sec = recv_ns > 0 ? recv_ns / 1000000000 : 0;
	int64_t usec = recv_ns > 0 ? (recv_ns % 1000000000) / 1000 : 0;
	uint8_t *p = out;

	if (cap < hlen || bmp_len > UINT32_MAX)
		return 0;
	p = put32(p, OBMP_MAGIC);
	*p++ = OBMP_VERSION_MAJOR;
	*p++ = OBMP_VERSION_MINOR;
	p = put16(p, (uint16_t)hlen);
	p = put32(p, (uint32_t)bmp_len);
	*p++ = (uint8_t)(OBMP_FLAG_ROUTER | (r->ipv6 ? OBMP_FLAG_IPV6 : 0));
	*p++ = OBMP_TYPE_BMP_RAW;
	p = put32(p, (uint32_t)sec);
	p = put32(p, (uint32_t)usec);
	p = put(p, c->hash, 16);
	p = put16(p, (uint16_t)c->admin_len);
	p = put(p, c->admin_id, c->admin_len);
	p = put(p, r->hash, 16);
	p = put(p, r->addr, 16);
	p = put16(p, 0); /* router group: none */
	p = put32(p, 1); /* row count: one BMP message */
	return (size_t)(p - out);
}
