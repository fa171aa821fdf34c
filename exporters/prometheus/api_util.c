/* api_util.c — small pure helpers of the API: prefixes in and out, label
 * values of a snapshot series, a growing text buffer with HTML escaping. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* ---- prefixes ---- */

static void mask(struct rib_prefix *p)
{
	size_t bytes = p->family == 4 ? 4 : 16;

	for (size_t i = 0; i < bytes; i++) {
		size_t bit = i * 8;

		if (bit >= p->len)
			p->addr[i] = 0;
		else if (bit + 8 > p->len)
			p->addr[i] &= (uint8_t)(0xffu << (8 - (p->len - bit)));
	}
}

static int parse_len(const char *s, unsigned max, uint8_t *out)
{
	unsigned long v;
	char *end;

	if (s[0] < '0' || s[0] > '9' || strlen(s) > 3)
		return -1;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > max)
		return -1;
	*out = (uint8_t)v;
	return 0;
}

int api_parse_prefix(const char *text, struct rib_prefix *out, char *err, size_t errlen)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (text == NULL || text[0] == '\0') {
		snprintf(err, errlen, "prefix missing: give prefix=ADDRESS[/LENGTH]");
		return -1;
	}
	slash = strchr(text, '/');
	n = slash ? (size_t)(slash - text) : strlen(text);
	if (n == 0 || n >= sizeof(addr)) {
		snprintf(err, errlen, "not an IPv4 or IPv6 address");
		return -1;
	}
	memcpy(addr, text, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = 4;
		out->len = 32;
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = 6;
		out->len = 128;
	} else {
		snprintf(err, errlen, "not an IPv4 or IPv6 address");
		return -1;
	}
	if (slash != NULL && parse_len(slash + 1, out->len, &out->len) != 0) {
		snprintf(err, errlen, "bad prefix length: 0..%u", out->family == 4 ? 32u : 128u);
		return -1;
	}
	mask(out);
	return 0;
}

void api_format_prefix(const struct rib_prefix *p, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a)) == NULL)
		a[0] = '\0';
	snprintf(buf, n, "%s/%u", a, p->len);
}

/* ---- labels: `a="x",b="y"` with \\, \" and \n escaped ---- */

/* Copies the quoted value at q (after the opening quote) into out. */
static void unquote(const char *q, char *out, size_t n)
{
	size_t o = 0;

	for (; *q != '\0' && *q != '"'; q++) {
		char c = *q;

		if (c == '\\' && q[1] != '\0') {
			q++;
			c = *q == 'n' ? '\n' : *q;
		}
		if (o + 1 < n)
			out[o++] = c;
	}
	out[o] = '\0';
}

bool api_label(const char *labels, const char *name, char *out, size_t n)
{
	size_t len = strlen(name);
	const char *p = labels;

	out[0] = '\0';
	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, len) == 0 && p[len] == '=' && p[len + 1] == '"') {
			unquote(p + len + 2, out, n);
			return true;
		}
		/* past this pair's value: its closing quote, then a comma */
		p = strchr(p, '"');
		if (p == NULL)
			break;
		for (p++; *p != '\0' && *p != '"'; p++)
			if (*p == '\\' && p[1] != '\0')
				p++;
		if (*p == '"')
			p++;
		if (*p == ',')
			p++;
	}
	return false;
}

/* ---- a growing buffer ---- */

static bool grow(struct api_buf *b, size_t more)
{
	size_t cap;
	char *np;

	if (b->failed)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	np = realloc(b->p, cap);
	if (np == NULL) {
		b->failed = true;
		return false;
	}
	b->p = np;
	b->cap = cap;
	return true;
}

static void put(struct api_buf *b, const char *s, size_t n)
{
	if (!grow(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void api_buf_puts(struct api_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

void api_buf_printf(struct api_buf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void api_buf_escaped(struct api_buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&': api_buf_puts(b, "&amp;"); break;
		case '<': api_buf_puts(b, "&lt;"); break;
		case '>': api_buf_puts(b, "&gt;"); break;
		case '"': api_buf_puts(b, "&quot;"); break;
		case '\'': api_buf_puts(b, "&#39;"); break;
		default: put(b, s, 1);
		}
	}
}
