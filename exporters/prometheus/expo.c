/* expo.c — Prometheus text 0.0.4 and OpenMetrics 1.0.0 exposition (see
 * expo.h). Pure functions over a snapshot: no I/O, no clock, no globals
 * beyond constant tables.
 *
 * The render loop reserves the worst case for a line once and then writes
 * with plain stores, so the per-sample cost is a strlen of the label set,
 * a few memcpy and the number formatting. Numbers print exactly as the
 * %.15g / %.16g / %.17g round-trip cascade would, but without printf for
 * what scrapes are made of: integers (own formatter), decimals of up to 15
 * digits (scaled by powers of ten), and 16-17 digit values between 1e-4
 * and 1e15 (exact 128-bit arithmetic). Only what %g prints with an exponent
 * goes through snprintf + strtod; those depend on LC_NUMERIC, and the
 * daemon never calls setlocale, so they run in the "C" locale.
 */
#include "expo.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#define EXPO_NUM_MAX 32     /* a formatted number: "%.17g" needs <= 24 */
#define EXPO_U64_MAX 20     /* digits of UINT64_MAX */
#define EXPO_BUF_MIN 4096   /* first allocation of an empty buffer */
#define EXPO_LINE_EXTRA 16  /* braces, le=", quotes, space, newline */
#define EXPO_TWO_POW_53 9007199254740992.0 /* doubles are exact integers below */

static const char expo_digit_pairs[] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Powers of ten that are exact doubles (up to 1e22), for the fast path. */
static const double expo_pow10[] = {
	1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
};

/* ---- buffer ---- */

/* Bytes of the pages that n bytes take (at least one page). */
static size_t expo_pages(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return n == 0 ? pg : (n + pg - 1) / pg * pg;
}

/* Grows a mapped buffer into a new mapping of cap bytes (a page multiple):
 * map, copy, unmap. Not mremap: ThreadSanitizer does not follow memory
 * that mremap moves, and doubling keeps the copies under the final size. */
static char *expo_map_grow(struct expo_buf *b, size_t cap)
{
	void *p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (b->data != NULL) {
		memcpy(p, b->data, b->len);
		munmap(b->data, b->cap);
	}
	return p;
}

/* Makes room for extra bytes plus a terminating NUL. */
static int expo_reserve(struct expo_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX / 4 - b->len)
		return -1;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : EXPO_BUF_MIN;
	while (cap < need)
		cap *= 2;
	if (b->mapped)
		cap = expo_pages(cap);
	p = b->mapped ? expo_map_grow(b, cap) : realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int expo_buf_append(struct expo_buf *b, const void *p, size_t n)
{
	if (!b || expo_reserve(b, n) != 0)
		return -1;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

char *expo_buf_take(struct expo_buf *b, size_t *len)
{
	char *d = b->data;

	*len = b->len;
	/* the pages past len go, so that the data is a mapping of exactly
	 * expo_pages(len) bytes, as expo_mapped_free unmaps */
	if (d != NULL && b->mapped && expo_pages(b->len) < b->cap)
		munmap(d + expo_pages(b->len), b->cap - expo_pages(b->len));
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return d;
}

void expo_mapped_free(char *data, size_t len)
{
	if (data != NULL)
		munmap(data, expo_pages(len));
}

static char *expo_put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

void expo_buf_clean(struct expo_buf *b)
{
	if (!b)
		return;
	if (b->mapped && b->data)
		munmap(b->data, b->cap);
	else
		free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/* ---- numbers ---- */

static size_t expo_fmt_u64(char *dst, uint64_t v)
{
	char tmp[EXPO_U64_MAX];
	size_t i = sizeof tmp, n;

	while (v >= 100) {
		size_t r = (size_t)(v % 100) * 2;
		v /= 100;
		i -= 2;
		memcpy(tmp + i, expo_digit_pairs + r, 2);
	}
	if (v >= 10) {
		i -= 2;
		memcpy(tmp + i, expo_digit_pairs + v * 2, 2);
	} else {
		tmp[--i] = (char)('0' + v);
	}
	n = sizeof tmp - i;
	memcpy(dst, tmp + i, n);
	return n;
}

static size_t expo_fmt_i64(char *dst, int64_t v)
{
	if (v >= 0)
		return expo_fmt_u64(dst, (uint64_t)v);
	dst[0] = '-';
	return 1 + expo_fmt_u64(dst + 1, (uint64_t)0 - (uint64_t)v);
}

/* Writes m / 10^k in fixed notation: sign, digits, point, k decimals. */
static size_t expo_put_fixed(char *dst, bool neg, uint64_t m, size_t k)
{
	char digits[EXPO_U64_MAX];
	size_t nd = expo_fmt_u64(digits, m);
	char *p = dst;

	if (neg)
		*p++ = '-';
	if (nd > k) {
		p = expo_put(p, digits, nd - k);
	} else {
		*p++ = '0';
	}
	*p++ = '.';
	if (nd < k) {
		memset(p, '0', k - nd);
		p += k - nd;
	}
	p = expo_put(p, nd > k ? digits + nd - k : digits, nd > k ? k : nd);
	return (size_t)(p - dst);
}

/* Fast path for v with an exact decimal form of at most 15 significant
 * digits and 1e-4 <= |v| < 1e15: finds the fewest decimals k such that
 * round(|v| * 10^k) / 10^k == |v|. That form is what %.15g prints (a
 * decimal of <= 15 digits survives the round trip through a double, and
 * %g picks fixed notation in this range), so output matches the cascade.
 * |v| * 10^k < 1e15 keeps the multiplication error below 0.25, so the
 * rounding finds the right m (a tie cannot be within 0.25 of an integer,
 * so the rounding direction on ties does not matter). Returns 0 to send
 * v to the slow path. */
static size_t expo_fmt_decimal(char *dst, double v)
{
	double a = fabs(v);

	if (!(a >= 1e-4 && a < 1e15))
		return 0;
	for (size_t k = 1; k < sizeof expo_pow10 / sizeof *expo_pow10; k++) {
		double x = a * expo_pow10[k], m;
		if (x >= 1e15)
			return 0;
		m = (double)(uint64_t)(x + 0.5); /* exact: x < 2^50; no libm */
		if (m / expo_pow10[k] == a)
			return expo_put_fixed(dst, v < 0, (uint64_t)m, k);
	}
	return 0;
}

#ifdef __SIZEOF_INT128__
typedef unsigned __int128 expo_u128;

static const uint64_t expo_pow10_u64[] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
	100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
	10000000000000ULL, 100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL,
};

/* a = mant * 2^-shift exactly, for normal a in [1e-4, 1e15). */
struct expo_binary {
	uint64_t mant;   /* 53 bits with the hidden one */
	unsigned shift;  /* 3..66 in that range */
};

/* a >= 10^x, decided exactly in integers (x in -4..15). */
static bool expo_ge_pow10(const struct expo_binary *b, int x)
{
	if (x >= 0)
		return (expo_u128)b->mant >= ((expo_u128)expo_pow10_u64[x] << b->shift);
	return (expo_u128)b->mant * expo_pow10_u64[-x] >= (expo_u128)1 << b->shift;
}

/* floor(log10(a)) exactly, for a in [1e-4, 1e15): a double estimate
 * (1/10^k is inexact) corrected by exact comparisons. */
static int expo_exp10(const struct expo_binary *b, double a)
{
	int x = 0;

	while (x < 14 && a >= expo_pow10[x + 1])
		x++;
	while (x > -4 && x <= 0 && a < 1.0 / expo_pow10[-x])
		x--;
	while (x > -4 && !expo_ge_pow10(b, x))
		x--;
	while (x < 14 && expo_ge_pow10(b, x + 1))
		x++;
	return x;
}

/* m = a * 10^q rounded half-to-even (as glibc printf rounds), and whether
 * m / 10^q reads back as a: it must lie inside a's rounding interval,
 * half an ulp each side (a quarter below a power of two), with strtod's
 * ties-to-even deciding the boundary. */
static bool expo_round_trips(const struct expo_binary *b, unsigned q, uint64_t *m)
{
	expo_u128 scale = (expo_u128)expo_pow10_u64[q > 19 ? 19 : q] *
			  expo_pow10_u64[q > 19 ? q - 19 : 0]; /* 10^q, q <= 20 */
	expo_u128 n = (expo_u128)b->mant * scale; /* a * 10^q * 2^shift, < 2^120 */
	expo_u128 half = (expo_u128)1 << (b->shift - 1), rem = n & ((half << 1) - 1);
	expo_u128 d, diff;
	unsigned below_gap = b->mant == (1ULL << 52) ? 4 : 2;

	*m = (uint64_t)(n >> b->shift);
	if (rem > half || (rem == half && (*m & 1)))
		(*m)++;
	d = (expo_u128)*m << b->shift;
	diff = d >= n ? (d - n) * 2 : (n - d) * below_gap;
	return diff < scale || (diff == scale && !(b->mant & 1));
}

/* 16 or 17 significant digits for a non-integral v the fast path could
 * not print, 1e-4 <= |v| < 1e15: the same digits as the %.16g / %.17g
 * step of the cascade (%.15g is known to fail there), computed exactly in
 * 128-bit integers instead of printf + strtod. Returns 0 to fall back. */
static size_t expo_fmt_exact(char *dst, double v)
{
	double a = fabs(v);
	uint64_t bits, m;
	struct expo_binary b;
	int x;

	if (!(a >= 1e-4 && a < 1e15))
		return 0;
	memcpy(&bits, &a, sizeof bits);
	b.mant = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
	b.shift = (unsigned)(1075 - (int)(bits >> 52));
	x = expo_exp10(&b, a);
	for (int prec = 16; prec <= 17; prec++) {
		unsigned q = (unsigned)(prec - 1 - x);
		if (!expo_round_trips(&b, q, &m))
			continue;
		if (m >= expo_pow10_u64[prec])
			return 0; /* rounded up to the next decade: let %g decide */
		while (q > 0 && m % 10 == 0) {
			m /= 10;
			q--;
		}
		return q > 0 ? expo_put_fixed(dst, v < 0, m, q) : 0;
	}
	return 0;
}
#else
static size_t expo_fmt_exact(char *dst, double v)
{
	(void)dst;
	(void)v;
	return 0;
}
#endif

/* The shortest of %.15g, %.16g, %.17g that reads back as v. */
static size_t expo_fmt_roundtrip(char *dst, double v)
{
	int n = 0;

	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(dst, EXPO_NUM_MAX, "%.*g", prec, v);
		if (strtod(dst, NULL) == v)
			break;
	}
	return n > 0 ? (size_t)n : 0;
}

static size_t expo_fmt_special(char *dst, double v)
{
	const char *s = isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
	size_t n = strlen(s);

	memcpy(dst, s, n);
	return n;
}

/* A sample value into dst (EXPO_NUM_MAX bytes): exact integers without a
 * fraction, "+Inf"/"-Inf"/"NaN", else the shortest round-trip form. */
static size_t expo_fmt_value(char *dst, double v)
{
	size_t n;

	if (!isfinite(v))
		return expo_fmt_special(dst, v);
	if (fabs(v) < EXPO_TWO_POW_53) {
		int64_t i = (int64_t)v;
		if ((double)i == v)
			return expo_fmt_i64(dst, i);
		n = expo_fmt_decimal(dst, v);
		if (n == 0)
			n = expo_fmt_exact(dst, v);
		if (n > 0)
			return n;
	}
	return expo_fmt_roundtrip(dst, v);
}

/* An `le` bound in OpenMetrics canonical form, used for both formats so a
 * series keeps its identity when Prometheus switches format: shortest
 * round-trip, with ".0" when it would otherwise read as an integer. */
static size_t expo_fmt_le(char *dst, double v)
{
	size_t n;

	if (!isfinite(v))
		return expo_fmt_special(dst, v);
	n = expo_fmt_decimal(dst, v); /* integral bounds come out as "1.0" */
	if (n == 0)
		n = expo_fmt_exact(dst, v);
	if (n == 0)
		n = expo_fmt_roundtrip(dst, v);
	if (!memchr(dst, '.', n) && !memchr(dst, 'e', n)) {
		dst[n++] = '.';
		dst[n++] = '0';
	}
	return n;
}

/* ---- metadata lines ---- */

struct expo_names {
	const char *name;    /* family (sample) name */
	size_t name_len;
	size_t meta_len;     /* name in HELP/TYPE/UNIT lines: a prefix of name */
};

static struct expo_names expo_names_of(const struct metrics_snap_family *f, enum expo_format fmt)
{
	struct expo_names nm = { f->name, strlen(f->name), 0 };

	nm.meta_len = nm.name_len;
	/* OpenMetrics 1.0 names the family without the sample suffix. */
	if (fmt == EXPO_OPENMETRICS && f->type == METRICS_COUNTER && nm.name_len > 6)
		nm.meta_len -= strlen("_total");
	if (fmt == EXPO_OPENMETRICS && f->type == METRICS_INFO && nm.name_len > 5)
		nm.meta_len -= strlen("_info");
	return nm;
}

/* Help text: the text format escapes backslash and newline; OpenMetrics
 * also the double quote (it is an escaped-string there). */
static int expo_put_help(struct expo_buf *b, const struct expo_names *nm, const char *help,
			 enum expo_format fmt)
{
	size_t hlen = strlen(help);
	char *p;

	if (hlen == 0)
		return 0; /* no HELP line for no help */
	if (expo_reserve(b, nm->meta_len + 2 * hlen + EXPO_LINE_EXTRA) != 0)
		return -1;
	p = expo_put(b->data + b->len, "# HELP ", 7);
	p = expo_put(p, nm->name, nm->meta_len);
	*p++ = ' ';
	for (const char *h = help; *h; h++) {
		if (*h == '\\' || *h == '\n' || (*h == '"' && fmt == EXPO_OPENMETRICS))
			*p++ = '\\';
		*p++ = *h == '\n' ? 'n' : *h;
	}
	*p++ = '\n';
	b->len = (size_t)(p - b->data);
	return 0;
}

static const char *expo_type_name(enum metrics_type t, enum expo_format fmt)
{
	switch (t) {
	case METRICS_COUNTER:
		return "counter";
	case METRICS_GAUGE:
		return "gauge";
	case METRICS_HISTOGRAM:
		return "histogram";
	case METRICS_INFO:
		return fmt == EXPO_OPENMETRICS ? "info" : "gauge"; /* 0.0.4 has no info */
	}
	return "unknown";
}

/* `# <what> <meta> <word>\n` */
static int expo_put_meta_line(struct expo_buf *b, const char *what, const struct expo_names *nm,
			      const char *word)
{
	size_t wlen = strlen(what), len = strlen(word);
	char *p;

	if (expo_reserve(b, wlen + nm->meta_len + len + EXPO_LINE_EXTRA) != 0)
		return -1;
	p = expo_put(b->data + b->len, "# ", 2);
	p = expo_put(p, what, wlen);
	*p++ = ' ';
	p = expo_put(p, nm->name, nm->meta_len);
	*p++ = ' ';
	p = expo_put(p, word, len);
	*p++ = '\n';
	b->len = (size_t)(p - b->data);
	return 0;
}

static int expo_put_metadata(struct expo_buf *b, const struct metrics_snap_family *f,
			     const struct expo_names *nm, enum expo_format fmt)
{
	if (expo_put_help(b, nm, f->help ? f->help : "", fmt) != 0 ||
	    expo_put_meta_line(b, "TYPE", nm, expo_type_name(f->type, fmt)) != 0)
		return -1;
	if (fmt == EXPO_OPENMETRICS && f->unit && *f->unit)
		return expo_put_meta_line(b, "UNIT", nm, f->unit);
	return 0;
}

/* ---- samples ---- */

/* The part of a sample line before the value. */
struct expo_head {
	const char *name;
	size_t name_len;
	const char *suffix;  /* "_bucket", "_sum", "_count" or "" */
	size_t suffix_len;
	const char *labels;  /* rendered, without braces */
	size_t labels_len;
	const char *le;      /* NULL unless a bucket */
	size_t le_len;
};

static size_t expo_head_max(const struct expo_head *h)
{
	return h->name_len + h->suffix_len + h->labels_len + h->le_len + EXPO_LINE_EXTRA;
}

/* `name_suffix{labels,le="x"} ` into p, which has expo_head_max() bytes. */
static char *expo_put_head(char *p, const struct expo_head *h)
{
	p = expo_put(p, h->name, h->name_len);
	p = expo_put(p, h->suffix, h->suffix_len);
	if (h->labels_len > 0 || h->le) {
		*p++ = '{';
		p = expo_put(p, h->labels, h->labels_len);
		if (h->le) {
			if (h->labels_len > 0)
				*p++ = ',';
			p = expo_put(p, "le=\"", 4);
			p = expo_put(p, h->le, h->le_len);
			*p++ = '"';
		}
		*p++ = '}';
	}
	*p++ = ' ';
	return p;
}

/* One line with a float value; space reserved by the caller. */
static char *expo_line_double(char *p, const struct expo_head *h, double v)
{
	p = expo_put_head(p, h);
	p += expo_fmt_value(p, v);
	*p++ = '\n';
	return p;
}

static char *expo_line_u64(char *p, const struct expo_head *h, uint64_t v)
{
	p = expo_put_head(p, h);
	p += expo_fmt_u64(p, v);
	*p++ = '\n';
	return p;
}

static int expo_simple_series(struct expo_buf *b, const struct expo_names *nm,
			      const struct metrics_snap_series *s, double value)
{
	struct expo_head h = { nm->name, nm->name_len, "", 0, s->labels, strlen(s->labels), NULL, 0 };
	char *p;

	if (expo_reserve(b, expo_head_max(&h) + EXPO_NUM_MAX) != 0)
		return -1;
	p = expo_line_double(b->data + b->len, &h, value);
	b->len = (size_t)(p - b->data);
	return 0;
}

/* Per-family histogram state: le strings formatted once per render. */
struct expo_hist {
	size_t nbuckets;
	char le[METRICS_MAX_BUCKETS][EXPO_NUM_MAX];
	size_t le_len[METRICS_MAX_BUCKETS];
};

static void expo_hist_init(struct expo_hist *hs, const struct metrics_snap_family *f)
{
	hs->nbuckets = f->nbuckets < METRICS_MAX_BUCKETS ? f->nbuckets : METRICS_MAX_BUCKETS;
	for (size_t i = 0; i < hs->nbuckets; i++)
		hs->le_len[i] = expo_fmt_le(hs->le[i], f->bounds[i]);
}

static int expo_hist_series(struct expo_buf *b, const struct expo_names *nm,
			    const struct expo_hist *hs, const struct metrics_snap_series *s)
{
	struct expo_head h = { nm->name, nm->name_len, "_bucket", 7, s->labels, strlen(s->labels),
			       NULL, 0 };
	char *p;

	/* All lines of the series, each at most head + le + value. */
	if (expo_reserve(b, (hs->nbuckets + 3) * (expo_head_max(&h) + 2 * EXPO_NUM_MAX)) != 0)
		return -1;
	p = b->data + b->len;
	for (size_t i = 0; i < hs->nbuckets; i++) {
		h.le = hs->le[i];
		h.le_len = hs->le_len[i];
		p = expo_line_u64(p, &h, s->buckets[i]);
	}
	h.le = "+Inf";
	h.le_len = 4;
	p = expo_line_u64(p, &h, s->count);
	h = (struct expo_head){ nm->name, nm->name_len, "_sum", 4, s->labels, h.labels_len, NULL, 0 };
	p = expo_line_double(p, &h, s->sum);
	h.suffix = "_count";
	h.suffix_len = 6;
	p = expo_line_u64(p, &h, s->count);
	b->len = (size_t)(p - b->data);
	return 0;
}

/* Label strings live in each series' own allocation, scattered over the
 * heap in sorted order; fetching a few series ahead hides the cache misses
 * that otherwise dominate rendering. A macro, not a function: GCC finds a
 * void function around __builtin_prefetch pure and deletes the calls. */
#define EXPO_PREFETCH_AHEAD 8
#if defined(__GNUC__)
#define EXPO_PREFETCH_LABELS(f, i)                                              \
	do {                                                                    \
		if ((i) + EXPO_PREFETCH_AHEAD < (f)->nseries)                    \
			__builtin_prefetch((f)->series[(i) + EXPO_PREFETCH_AHEAD].labels); \
	} while (0)
#else
#define EXPO_PREFETCH_LABELS(f, i) ((void)0)
#endif

static int expo_family(struct expo_buf *b, const struct metrics_snap_family *f,
		       enum expo_format fmt)
{
	struct expo_names nm = expo_names_of(f, fmt);
	struct expo_hist hs;

	if (expo_put_metadata(b, f, &nm, fmt) != 0)
		return -1;
	nm.meta_len = nm.name_len; /* samples always carry the full name */
	if (f->type == METRICS_HISTOGRAM) {
		expo_hist_init(&hs, f);
		for (size_t i = 0; i < f->nseries; i++) {
			EXPO_PREFETCH_LABELS(f, i);
			if (expo_hist_series(b, &nm, &hs, &f->series[i]) != 0)
				return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < f->nseries; i++) {
		double v = f->type == METRICS_INFO ? 1.0 : f->series[i].value;
		EXPO_PREFETCH_LABELS(f, i);
		if (expo_simple_series(b, &nm, &f->series[i], v) != 0)
			return -1;
	}
	return 0;
}

/* A rough size so a large scrape does not grow the buffer page by page. */
static size_t expo_estimate(const struct metrics_snapshot *snap)
{
	size_t est = 64;

	for (size_t i = 0; i < snap->nfamilies; i++) {
		const struct metrics_snap_family *f = &snap->families[i];
		size_t lines = f->type == METRICS_HISTOGRAM ? f->nbuckets + 3 : 1;
		est += 256 + f->nseries * lines * (strlen(f->name) + 64);
	}
	return est;
}

int expo_render_family(const struct metrics_snap_family *f, enum expo_format fmt,
		       struct expo_buf *out)
{
	size_t mark;

	if (!f || !out)
		return -1;
	mark = out->len;
	if (expo_reserve(out, 1) != 0 || expo_family(out, f, fmt) != 0) {
		out->len = mark;
		if (out->data && mark < out->cap)
			out->data[mark] = '\0';
		return -1;
	}
	out->data[out->len] = '\0';
	return 0;
}

int expo_render_end(enum expo_format fmt, struct expo_buf *out)
{
	if (!out || expo_reserve(out, 7) != 0)
		return -1;
	if (fmt == EXPO_OPENMETRICS) {
		memcpy(out->data + out->len, "# EOF\n", 6);
		out->len += 6;
	}
	out->data[out->len] = '\0';
	return 0;
}

int expo_render(const struct metrics_snapshot *snap, enum expo_format fmt, struct expo_buf *out)
{
	size_t mark;

	if (!snap || !out)
		return -1;
	mark = out->len;
	if (expo_reserve(out, expo_estimate(snap)) != 0)
		goto fail;
	for (size_t i = 0; i < snap->nfamilies; i++)
		if (expo_family(out, &snap->families[i], fmt) != 0)
			goto fail;
	if (expo_render_end(fmt, out) != 0)
		goto fail;
	return 0;
fail:
	out->len = mark;
	if (out->data && mark < out->cap)
		out->data[mark] = '\0';
	return -1;
}

const char *expo_content_type(enum expo_format fmt)
{
	if (fmt == EXPO_OPENMETRICS)
		return "application/openmetrics-text; version=1.0.0; charset=utf-8";
	return "text/plain; version=0.0.4; charset=utf-8";
}

/* ---- content negotiation (RFC 9110 §12.5.1 Accept) ---- */

enum expo_media { EXPO_MEDIA_NONE, EXPO_MEDIA_OPENMETRICS, EXPO_MEDIA_TEXT, EXPO_MEDIA_ANY };

struct expo_range {
	enum expo_media media;
	const char *version; /* NULL when absent */
	size_t version_len;
	int q;               /* thousandths */
};

static bool expo_ows(char c)
{
	return c == ' ' || c == '\t';
}

static const char *expo_skip_ows(const char *p, const char *e)
{
	while (p < e && expo_ows(*p))
		p++;
	return p;
}

static const char *expo_token_end(const char *p, const char *e)
{
	while (p < e && *p != ';' && *p != '=' && !expo_ows(*p))
		p++;
	return p;
}

static bool expo_ieq(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && strncasecmp(s, lit, n) == 0;
}

/* The next ',' outside a quoted string, or the terminating NUL. */
static const char *expo_range_end(const char *p)
{
	bool quoted = false;

	for (; *p; p++) {
		if (quoted && *p == '\\' && p[1])
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == ',')
			break;
	}
	return p;
}

/* RFC 9110 §12.4.2 qvalue: "0" ["." 0*3DIGIT] / "1" ["." 0*3("0")],
 * returned in thousandths; -1 when malformed. */
static int expo_qvalue(const char *s, size_t n)
{
	int q, scale = 100;

	if (n == 0 || (s[0] != '0' && s[0] != '1') || (n > 1 && s[1] != '.') || n > 5)
		return -1;
	q = (s[0] - '0') * 1000;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		q += (s[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

/* A token or quoted-string value at *pp; false when empty or unterminated. */
static bool expo_param_value(const char **pp, const char *e, const char **val, size_t *vlen)
{
	const char *p = *pp, *q;

	if (p < e && *p == '"') {
		for (q = ++p; q < e && *q != '"'; q++)
			if (*q == '\\' && q + 1 < e)
				q++;
		if (q >= e)
			return false;
		*val = p;
		*vlen = (size_t)(q - p);
		*pp = q + 1;
		return true;
	}
	*pp = expo_token_end(p, e);
	*val = p;
	*vlen = (size_t)(*pp - p);
	return *vlen > 0;
}

static bool expo_param_apply(struct expo_range *r, const char *name, size_t nlen,
			     const char *val, size_t vlen)
{
	if (expo_ieq(name, nlen, "q")) {
		r->q = expo_qvalue(val, vlen);
		return r->q >= 0;
	}
	if (expo_ieq(name, nlen, "version")) {
		r->version = val;
		r->version_len = vlen;
	}
	return true; /* charset, escaping and the like do not change our choice */
}

/* `;name=value` pairs from p to e; false on malformed input. */
static bool expo_params(const char *p, const char *e, struct expo_range *r)
{
	while ((p = expo_skip_ows(p, e)) < e) {
		const char *name, *val;
		size_t nlen, vlen;

		if (*p != ';')
			return false;
		p = expo_skip_ows(p + 1, e);
		if (p == e)
			return true; /* a trailing ';' is harmless */
		name = p;
		p = expo_token_end(p, e);
		nlen = (size_t)(p - name);
		p = expo_skip_ows(p, e);
		if (nlen == 0 || p == e || *p != '=')
			return false;
		p = expo_skip_ows(p + 1, e);
		if (!expo_param_value(&p, e, &val, &vlen) || !expo_param_apply(r, name, nlen, val, vlen))
			return false;
	}
	return true;
}

static bool expo_version_is(const struct expo_range *r, const char *v)
{
	return r->version_len == strlen(v) && memcmp(r->version, v, r->version_len) == 0;
}

/* Parses one media range in [p, e) and tells whether it is one we serve. */
static bool expo_range_match(const char *p, const char *e, struct expo_range *r,
			     enum expo_format *fmt)
{
	const char *t;

	*r = (struct expo_range){ EXPO_MEDIA_NONE, NULL, 0, 1000 };
	p = expo_skip_ows(p, e);
	t = p;
	p = expo_token_end(p, e);
	if (expo_ieq(t, (size_t)(p - t), "application/openmetrics-text"))
		r->media = EXPO_MEDIA_OPENMETRICS;
	else if (expo_ieq(t, (size_t)(p - t), "text/plain"))
		r->media = EXPO_MEDIA_TEXT;
	else if (expo_ieq(t, (size_t)(p - t), "*/*") || expo_ieq(t, (size_t)(p - t), "text/*"))
		r->media = EXPO_MEDIA_ANY;
	if (r->media == EXPO_MEDIA_NONE || !expo_params(p, e, r) || r->q == 0)
		return false;
	*fmt = EXPO_TEXT;
	switch (r->media) {
	case EXPO_MEDIA_OPENMETRICS:
		*fmt = EXPO_OPENMETRICS;
		return !r->version || expo_version_is(r, "1.0.0") || expo_version_is(r, "0.0.1");
	case EXPO_MEDIA_TEXT:
		return !r->version || expo_version_is(r, "0.0.4");
	case EXPO_MEDIA_ANY:
		return true;
	case EXPO_MEDIA_NONE:
		break;
	}
	return false;
}

enum expo_format expo_negotiate(const char *accept)
{
	enum expo_format best = EXPO_TEXT, fmt;
	int best_q = 0;
	struct expo_range r;

	if (!accept)
		return EXPO_TEXT;
	for (const char *p = accept; *p;) {
		const char *e = expo_range_end(p);
		/* Strictly greater: on equal q the range listed first wins. */
		if (expo_range_match(p, e, &r, &fmt) && r.q > best_q) {
			best = fmt;
			best_q = r.q;
		}
		p = *e ? e + 1 : e;
	}
	return best;
}
