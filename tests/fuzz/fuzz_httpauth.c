/* fuzz_httpauth.c — libFuzzer target for the Authorization header parser
 * of the exporter's basic auth (exporters/prometheus/httpauth.c).
 *
 * The input is the header value. What parses must stay inside its bounds
 * (user and password no longer than HA_CRED_MAX, the user without ':'),
 * and re-encoding "user:password" in base64 after "Basic " must parse
 * back to exactly the same bytes, NUL bytes included.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t b64(const uint8_t *in, size_t n, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	return o;
}

static void round_trip(const struct ha_cred *c)
{
	static uint8_t plain[2 * HA_CRED_MAX + 1];
	static char hdr[6 + 4 * ((2 * HA_CRED_MAX + 3) / 3)];
	struct ha_cred back;
	size_t n = 0, h;

	memcpy(plain, c->user, c->user_len);
	n = c->user_len;
	plain[n++] = ':';
	memcpy(plain + n, c->pass, c->pass_len);
	n += c->pass_len;
	memcpy(hdr, "Basic ", 6);
	h = 6 + b64(plain, n, hdr + 6);
	if (n > HA_CRED_MAX) {
		if (ha_parse_basic(hdr, h, &back) == 0)
			abort(); /* over the limit is refused */
		return;
	}
	if (ha_parse_basic(hdr, h, &back) != 0 || back.user_len != c->user_len ||
	    back.pass_len != c->pass_len || memcmp(back.user, c->user, c->user_len) != 0 ||
	    memcmp(back.pass, c->pass, c->pass_len) != 0)
		abort();
	ha_cred_clean(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ha_cred c;

	if (ha_parse_basic((const char *)data, size, &c) != 0)
		return 0;
	if (c.user_len > HA_CRED_MAX || c.pass_len > HA_CRED_MAX ||
	    memchr(c.user, ':', c.user_len) != NULL)
		abort();
	round_trip(&c);
	ha_cred_clean(&c);
	return 0;
}
