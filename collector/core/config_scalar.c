/* config_scalar.c — the config engine's scalar syntax: decimal numbers,
 * durations, bandwidths, MAC addresses, IP prefixes, names; the shared
 * validators that sections use as extra string rules. Pure functions over
 * bytes (a scalar may hold NULs: each says so where it matters).
 */
#include "config_engine.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define BANDWIDTH_MAX_BPS 400000000000ull /* 400 Gbps */

const char *enum_name(const char *const *names, size_t n, unsigned v)
{
	return v < n && names[v] ? names[v] : "unknown";
}


/* Decimal only: no sign, no spaces, no leading zero, no 0x, no exponent. */
bool parse_dec(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned char)s[i] - (unsigned)'0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

bool parse_duration(const char *s, size_t len, uint64_t *secs)
{
	uint64_t mult = 1, v;

	if (len && s[len - 1] == 's') {
		len--;
	} else if (len && s[len - 1] == 'm') {
		mult = 60;
		len--;
	}
	if (!parse_dec(s, len, &v) || v > UINT64_MAX / mult)
		return false;
	*secs = v * mult;
	return true;
}

/* NUMBER followed by ms, s, m or h; a bare number is seconds. */
bool parse_duration_ms(const char *s, size_t len, uint64_t *ms)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	uint64_t mult = 1000, v;

	for (size_t i = 0; i < ARRAY_LEN(units); i++) {
		size_t ul = strlen(units[i].unit);

		if (len > ul && memcmp(s + len - ul, units[i].unit, ul) == 0 &&
		    (s[len - ul - 1] >= '0' && s[len - ul - 1] <= '9')) {
			mult = units[i].mult;
			len -= ul;
			break;
		}
	}
	if (!parse_dec(s, len, &v) || v > UINT64_MAX / mult)
		return false;
	*ms = v * mult;
	return true;
}

/* A millisecond count as the shortest duration text: 100ms, 1s, 5m, 1h. */
void fmt_ms(uint64_t ms, char *buf, size_t size)
{
	if (ms && ms % 3600000 == 0)
		snprintf(buf, size, "%" PRIu64 "h", ms / 3600000);
	else if (ms && ms % 60000 == 0)
		snprintf(buf, size, "%" PRIu64 "m", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, size, "%" PRIu64 "s", ms / 1000);
	else
		snprintf(buf, size, "%" PRIu64 "ms", ms);
}

static const struct {
	const char *name;
	uint64_t mult;
	unsigned decimals; /* fraction digits that still give whole bits */
} bw_units[] = {
	{"Gbps", 1000000000, 9}, {"Mbps", 1000000, 6}, {"kbps", 1000, 3}, {"bps", 1, 0},
};

size_t count_digits(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

/* NUMBER[.FRACTION][ ]UNIT with a decimal unit (bps, kbps, Mbps, Gbps). */
enum bw_result parse_bandwidth(const char *s, size_t len, uint64_t *bps)
{
	size_t ni = count_digits(s, len), nf = 0, i;
	uint64_t whole, frac = 0, mult = 0, scale = 1;
	unsigned decimals = 0;

	if (!parse_dec(s, ni, &whole))
		return BW_SYNTAX;
	i = ni;
	if (i < len && s[i] == '.') {
		nf = count_digits(s + i + 1, len - i - 1);
		if (nf == 0)
			return BW_SYNTAX;
		for (size_t k = 0; k < nf && k < 9; k++) {
			frac = frac * 10 + (uint64_t)(s[i + 1 + k] - '0');
			scale *= 10;
		}
		i += 1 + nf;
	}
	if (i < len && s[i] == ' ')
		i++;
	for (size_t u = 0; u < ARRAY_LEN(bw_units); u++) {
		if (len - i == strlen(bw_units[u].name) &&
		    strncasecmp(s + i, bw_units[u].name, len - i) == 0) {
			mult = bw_units[u].mult;
			decimals = bw_units[u].decimals;
		}
	}
	if (!mult)
		return BW_SYNTAX;
	if (nf > decimals)
		return BW_PRECISION;
	if (whole > BANDWIDTH_MAX_BPS / mult)
		return BW_RANGE;
	*bps = whole * mult + frac * (mult / scale);
	return *bps == 0 || *bps > BANDWIDTH_MAX_BPS ? BW_RANGE : BW_OK;
}

/* The largest unit that is at least 1 and exact with up to 3 decimals. */
void format_bandwidth(uint64_t bps, char *buf, size_t size)
{
	for (size_t u = 0; u < ARRAY_LEN(bw_units); u++) {
		uint64_t mult = bw_units[u].mult, milli = mult >= 1000 ? mult / 1000 : 1;
		unsigned frac;
		char digits[12];
		int k;

		if (bps < mult && mult > 1)
			continue;
		if (bps % milli)
			continue;
		frac = (unsigned)((bps % mult) / milli);
		if (!frac || mult == 1) {
			snprintf(buf, size, "%" PRIu64 "%s", bps / mult, bw_units[u].name);
			return;
		}
		snprintf(digits, sizeof digits, "%03u", frac);
		for (k = 2; k > 0 && digits[k] == '0'; k--)
			digits[k] = '\0';
		snprintf(buf, size, "%" PRIu64 ".%s%s", bps / mult, digits, bw_units[u].name);
		return;
	}
}

bool valid_id(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* What Linux accepts as a new interface name (dev_valid_name()). */
bool valid_ifname(const char *s, size_t len)
{
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f || c == '/' || c == ':')
			return false;
	}
	return true;
}

/* An item of a list of interface names: what a single name field accepts. */
bool valid_ifname_item(const char *s, size_t len)
{
	return len >= 1 && len <= IFNAME_MAX && valid_ifname(s, len);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Six hex pairs separated by one kind of separator, ':' or '-' (the
 * Linux and the Windows/Cisco-show forms), any case. */
bool parse_mac(const char *s, size_t len, uint8_t mac[6])
{
	char sep;

	if (len != MAC_TEXT - 1 || (s[2] != ':' && s[2] != '-'))
		return false;
	sep = s[2];
	for (size_t i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != sep))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

void format_mac(const uint8_t mac[6], char *buf, size_t size)
{
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
}

bool valid_hostname(const char *s, size_t len)
{
	if (len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
			return false;
	}
	return true;
}

unsigned prefix_bits(int family)
{
	return family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
}

/* Clears the host bits of p (those beyond len); true when any was set. */
bool prefix_mask(struct cfg_prefix *p)
{
	bool host = false;

	for (unsigned i = 0; i < sizeof p->addr; i++) {
		unsigned keep = p->len >= 8 * (i + 1) ? 8 : p->len > 8 * i ? p->len - 8 * i : 0;
		uint8_t m = (uint8_t)(0xff00u >> keep);

		host |= (p->addr[i] & ~m) != 0;
		p->addr[i] &= m;
	}
	return host;
}

/* ADDRESS/LENGTH, or a bare ADDRESS meaning /32 or /128. On PFX_LENGTH
 * p->family is set; on PFX_HOST_BITS *p holds the address as written. */
enum pfx_result parse_prefix(const char *s, size_t len, struct cfg_prefix *p)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	char addr[INET6_ADDRSTRLEN];
	struct cfg_prefix tmp;
	uint64_t plen;

	memset(p, 0, sizeof *p);
	if (alen == 0 || alen >= sizeof addr || memchr(s, '\0', len))
		return PFX_SYNTAX;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	p->family = AF_INET;
	if (inet_pton(AF_INET, addr, p->addr) != 1) {
		p->family = AF_INET6;
		if (inet_pton(AF_INET6, addr, p->addr) != 1)
			return PFX_SYNTAX;
	}
	plen = prefix_bits(p->family);
	if (slash && !parse_dec(slash + 1, len - alen - 1, &plen))
		return PFX_SYNTAX;
	if (plen > prefix_bits(p->family))
		return PFX_LENGTH;
	p->len = (uint8_t)plen;
	tmp = *p;
	return prefix_mask(&tmp) ? PFX_HOST_BITS : PFX_OK;
}

void format_prefix(const struct cfg_prefix *p, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family, p->addr, a, sizeof a))
		snprintf(a, sizeof a, "?");
	snprintf(buf, size, "%s/%u", a, (unsigned)p->len);
}

int name_index(const char *const *names, const char *s, size_t len)
{
	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return i;
	return -1;
}

void join_names(const char *const *names, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; names[i] && o < size; i++) {
		int r = snprintf(buf + o, size - o, "%s%s", i ? ", " : "", names[i]);

		o += r > 0 ? (size_t)r : 0;
	}
}

/* ---- field types ---------------------------------------------------- */

/* A plain decimal: DIGITS[.DIGITS], no sign or exponent (money, ratios). */
bool parse_decimal(const char *s, size_t len, double *out)
{
	size_t ni = count_digits(s, len), nf = 0;
	char buf[40];

	if (ni == 0 || ni > 15)
		return false;
	if (ni < len) {
		if (s[ni] != '.')
			return false;
		nf = count_digits(s + ni + 1, len - ni - 1);
		if (nf == 0 || nf > 12 || ni + 1 + nf != len)
			return false;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	*out = strtod(buf, NULL);
	return true;
}

bool cfg_prefix_contains(const struct cfg_prefix *p, int family, const uint8_t *addr)
{
	unsigned bits = prefix_bits(family), full, rest;

	if (!p || !addr || !bits || p->family != family || p->len > bits)
		return false;
	full = p->len / 8u;
	rest = p->len % 8u;
	if (memcmp(p->addr, addr, full) != 0)
		return false;
	return rest == 0 || ((p->addr[full] ^ addr[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}
