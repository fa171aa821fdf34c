/* decode_json.h — the small JSON helpers that decode.c (BMP, stream
 * drivers) and decode_bgp.c (BGP messages) share. Private to decode/.
 * Every json_t returned is a new reference the caller owns. */
#ifndef CW_DECODE_JSON_H
#define CW_DECODE_JSON_H

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

static inline void obj_put(json_t *o, const char *key, json_t *v)
{
	if (v != NULL)
		(void)json_object_set_new(o, key, v);
}

static inline void push(json_t *a, json_t *v)
{
	if (v != NULL)
		(void)json_array_append_new(a, v);
}

static inline json_t *uint_json(uint64_t v)
{
	char buf[24];

	if (v <= (uint64_t)INT64_MAX)
		return json_integer((json_int_t)v);
	/* jansson integers are signed 64-bit: keep the exact value as text */
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return json_string(buf);
}

static inline json_t *hex_json(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(n * 2 + 1);
	json_t *v;

	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 0xf];
	}
	s[2 * n] = '\0';
	v = json_stringn(s, 2 * n);
	free(s);
	return v;
}

/* Text when the bytes are valid UTF-8 (JSON escapes control characters),
 * else hex: the output stays valid JSON whatever the router sent. */
static inline json_t *text_json(const uint8_t *p, size_t n)
{
	json_t *v = json_stringn((const char *)p, n);

	return v != NULL ? v : hex_json(p, n);
}

static inline json_t *ip4_json(const uint8_t a[4])
{
	char buf[INET_ADDRSTRLEN];

	return inet_ntop(AF_INET, a, buf, sizeof(buf)) ? json_string(buf) : NULL;
}

static inline json_t *ip4_host_json(uint32_t host_order)
{
	uint8_t a[4] = {(uint8_t)(host_order >> 24), (uint8_t)(host_order >> 16),
			(uint8_t)(host_order >> 8), (uint8_t)host_order};

	return ip4_json(a);
}

static inline json_t *ip6_json(const uint8_t a[16])
{
	char buf[INET6_ADDRSTRLEN];

	return inet_ntop(AF_INET6, a, buf, sizeof(buf)) ? json_string(buf) : NULL;
}

/* A BMP address field: IPv4 in the last 4 of 16 octets (RFC 7854 §4.2). */
static inline json_t *addr16_json(const uint8_t a[16], bool v6)
{
	return v6 ? ip6_json(a) : ip4_json(a + 12);
}

/* Names of every bit set in an error mask, lowest first. */

#endif
