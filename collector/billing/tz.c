/* tz.c — TZif (RFC 8536) decoding and local/UTC conversion; see tz.h. */
#include "tz.h"
#include "fileio.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"

#define HEADER_LEN 44
#define OFFSET_LIMIT 93599     /* RFC 8536 §3.2: utoff SHOULD be in -89999..93599 */
#define OFFSET_LOW (-89999)
#define RULE_TIME_LIMIT (167 * 3600) /* RFC 8536 §3.3.1: TZ rule times -167..167 h */
#define DEFAULT_RULE_TIME (2 * 3600) /* POSIX: transitions at 02:00 unless given */
#define DAY 86400

enum rule_kind { RULE_JULIAN1, RULE_ZERO, RULE_MONTH }; /* Jn, n, Mm.w.d */

struct tz_rule {
	enum rule_kind kind;
	unsigned day, week, month;
	int32_t time; /* seconds after local midnight */
};

/* The footer's POSIX TZ string, evaluated after the last transition. */
struct posix_tz {
	int32_t std_off, dst_off; /* seconds east of UTC */
	bool has_dst;
	struct tz_rule start, end;
};

struct bill_tz {
	size_t ntrans;
	int64_t *trans;     /* ascending */
	uint8_t *idx;       /* type per transition */
	size_t ntypes;
	int32_t *utoff;     /* per type */
	bool has_footer;
	struct posix_tz rule;
};

static const char *const error_names[BILL_TZ_ERROR_COUNT] = {
	[BILL_TZ_OK] = "ok",           [BILL_TZ_TRUNCATED] = "truncated",
	[BILL_TZ_MAGIC] = "magic",     [BILL_TZ_VERSION] = "version",
	[BILL_TZ_COUNTS] = "counts",   [BILL_TZ_ORDER] = "order",
	[BILL_TZ_TYPE] = "type",       [BILL_TZ_FOOTER] = "footer",
	[BILL_TZ_TOO_BIG] = "too_big", [BILL_TZ_IO] = "io",
	[BILL_TZ_NAME] = "name",       [BILL_TZ_NOMEM] = "nomem",
};

const char *bill_tz_error_name(enum bill_tz_error e)
{
	return (unsigned)e < BILL_TZ_ERROR_COUNT ? error_names[e] : "unknown";
}

/* ---- civil calendar (H. Hinnant's days-from-civil, restated) ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int64_t bill_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (int64_t)d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void bill_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned bill_days_in_month(int64_t y, unsigned m)
{
	static const unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m < 1 || m > 12)
		return 0;
	return days[m - 1] + (m == 2 && is_leap(y));
}

/* ---- the POSIX TZ string (RFC 8536 §3.3, POSIX.1-2017 §8.3) ---- */

struct scan {
	const char *s;
	size_t pos, len;
};

static bool scan_digits(struct scan *sc, unsigned max_digits, unsigned *out)
{
	unsigned v = 0, n = 0;

	while (sc->pos < sc->len && sc->s[sc->pos] >= '0' && sc->s[sc->pos] <= '9' &&
	       n < max_digits) {
		v = v * 10 + (unsigned)(sc->s[sc->pos++] - '0');
		n++;
	}
	*out = v;
	return n > 0;
}

static bool scan_char(struct scan *sc, char c)
{
	if (sc->pos < sc->len && sc->s[sc->pos] == c) {
		sc->pos++;
		return true;
	}
	return false;
}

/* A zone abbreviation: 3+ letters, or <...> with letters, digits, + and -. */
static bool scan_name(struct scan *sc)
{
	size_t start = sc->pos;

	if (scan_char(sc, '<')) {
		while (sc->pos < sc->len && sc->s[sc->pos] != '>') {
			char c = sc->s[sc->pos];

			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			      (c >= '0' && c <= '9') || c == '+' || c == '-'))
				return false;
			sc->pos++;
		}
		return sc->pos - start >= 4 && scan_char(sc, '>');
	}
	while (sc->pos < sc->len && ((sc->s[sc->pos] >= 'A' && sc->s[sc->pos] <= 'Z') ||
				     (sc->s[sc->pos] >= 'a' && sc->s[sc->pos] <= 'z')))
		sc->pos++;
	return sc->pos - start >= 3;
}

/* [+|-]hh[:mm[:ss]] with hours up to max_h; seconds, sign as written. */
static bool scan_time(struct scan *sc, unsigned max_h, int32_t *out)
{
	unsigned h, m = 0, s = 0;
	bool neg = scan_char(sc, '-');

	if (!neg)
		(void)scan_char(sc, '+');
	if (!scan_digits(sc, 3, &h) || h > max_h)
		return false;
	if (scan_char(sc, ':') && (!scan_digits(sc, 2, &m) || m > 59))
		return false;
	if (scan_char(sc, ':') && (!scan_digits(sc, 2, &s) || s > 59))
		return false;
	*out = (int32_t)(h * 3600 + m * 60 + s) * (neg ? -1 : 1);
	return true;
}

static bool scan_rule(struct scan *sc, struct tz_rule *r)
{
	unsigned a, b, c;

	r->time = DEFAULT_RULE_TIME;
	if (scan_char(sc, 'M')) {
		if (!scan_digits(sc, 2, &a) || !scan_char(sc, '.') || !scan_digits(sc, 1, &b) ||
		    !scan_char(sc, '.') || !scan_digits(sc, 1, &c) || a < 1 || a > 12 || b < 1 ||
		    b > 5 || c > 6)
			return false;
		*r = (struct tz_rule){RULE_MONTH, c, b, a, DEFAULT_RULE_TIME};
	} else if (scan_char(sc, 'J')) {
		if (!scan_digits(sc, 3, &a) || a < 1 || a > 365)
			return false;
		*r = (struct tz_rule){RULE_JULIAN1, a, 0, 0, DEFAULT_RULE_TIME};
	} else {
		if (!scan_digits(sc, 3, &a) || a > 365)
			return false;
		*r = (struct tz_rule){RULE_ZERO, a, 0, 0, DEFAULT_RULE_TIME};
	}
	/* RFC 8536 §3.3.1 extends the hour to -167..167 */
	return !scan_char(sc, '/') || scan_time(sc, 167, &r->time);
}

/* Parses a TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3". POSIX offsets
 * count west of UTC, so they are negated into seconds east. */
static int posix_parse(const char *s, size_t len, struct posix_tz *p)
{
	struct scan sc = {s, 0, len};
	int32_t off;

	memset(p, 0, sizeof *p);
	if (!scan_name(&sc) || !scan_time(&sc, 24, &off))
		return -1;
	p->std_off = -off;
	if (sc.pos == len)
		return 0;
	if (!scan_name(&sc))
		return -1;
	p->has_dst = true;
	p->dst_off = p->std_off + 3600; /* POSIX: one hour ahead unless given */
	if (sc.pos < len && sc.s[sc.pos] != ',') {
		if (!scan_time(&sc, 24, &off))
			return -1;
		p->dst_off = -off;
	}
	/* rules are required: RFC 8536 footers always carry them with a DST name */
	if (!scan_char(&sc, ',') || !scan_rule(&sc, &p->start) || !scan_char(&sc, ',') ||
	    !scan_rule(&sc, &p->end))
		return -1;
	return sc.pos == len ? 0 : -1;
}

/* Day of the year (0-based) a rule names in year y. */
static int64_t rule_yday(const struct tz_rule *r, int64_t y)
{
	int64_t first, wd;
	unsigned day;

	switch (r->kind) {
	case RULE_JULIAN1: /* 1..365, February 29 never counted */
		return (int64_t)r->day - 1 + (is_leap(y) && r->day >= 60);
	case RULE_ZERO:    /* 0..365, February 29 counted */
		return r->day;
	default:
		break;
	}
	first = bill_days_from_civil(y, r->month, 1);
	wd = ((first % 7) + 7 + 4) % 7; /* 1970-01-01 was a Thursday (4) */
	day = 1 + (unsigned)((r->day + 7 - (unsigned)wd) % 7) + (r->week - 1) * 7;
	while (day > bill_days_in_month(y, r->month)) /* week 5: the last such day */
		day -= 7;
	return bill_days_from_civil(y, r->month, day) - bill_days_from_civil(y, 1, 1);
}

static int32_t posix_offset(const struct posix_tz *p, int64_t t)
{
	int64_t y, jan1, start, end;
	unsigned m, d;

	if (!p->has_dst)
		return p->std_off;
	bill_civil_from_days(floor_div(t + p->std_off, DAY), &y, &m, &d);
	jan1 = bill_days_from_civil(y, 1, 1) * DAY;
	/* the start is given in standard time, the end in daylight time */
	start = jan1 + rule_yday(&p->start, y) * DAY + p->start.time - p->std_off;
	end = jan1 + rule_yday(&p->end, y) * DAY + p->end.time - p->dst_off;
	if (start < end)
		return t >= start && t < end ? p->dst_off : p->std_off;
	return t >= end && t < start ? p->std_off : p->dst_off; /* southern hemisphere */
}

/* ---- TZif ---- */

struct header {
	uint8_t version;
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static int read_header(struct wire_reader *r, struct header *h, enum bill_tz_error *err)
{
	const uint8_t *magic;

	if (wire_get_bytes(r, 4, &magic) < 0 || wire_get_u8(r, &h->version) < 0 ||
	    wire_skip(r, 15) < 0 || wire_get_u32(r, &h->isutcnt) < 0 ||
	    wire_get_u32(r, &h->isstdcnt) < 0 || wire_get_u32(r, &h->leapcnt) < 0 ||
	    wire_get_u32(r, &h->timecnt) < 0 || wire_get_u32(r, &h->typecnt) < 0 ||
	    wire_get_u32(r, &h->charcnt) < 0) {
		*err = BILL_TZ_TRUNCATED;
		return -1;
	}
	if (memcmp(magic, "TZif", 4) != 0) {
		*err = BILL_TZ_MAGIC;
		return -1;
	}
	if (h->version != 0 && (h->version < '2' || h->version > '4')) {
		*err = BILL_TZ_VERSION;
		return -1;
	}
	/* RFC 8536 §3.1: typecnt and charcnt non-zero; isut/isstd 0 or typecnt;
	 * a type index is one byte, so at most 256 types */
	if (h->typecnt == 0 || h->typecnt > 256 || h->charcnt == 0 ||
	    h->charcnt > BILL_TZ_MAX_CHARS || h->timecnt > BILL_TZ_MAX_TRANSITIONS ||
	    h->leapcnt > BILL_TZ_MAX_TRANSITIONS ||
	    (h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt != 0 && h->isstdcnt != h->typecnt)) {
		*err = BILL_TZ_COUNTS;
		return -1;
	}
	return 0;
}

/* Bytes of a data block with tsize-byte times (4: v1, 8: v2+). */
static size_t block_len(const struct header *h, size_t tsize)
{
	return (size_t)h->timecnt * tsize + h->timecnt + (size_t)h->typecnt * 6 + h->charcnt +
	       (size_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

static int read_types(struct wire_reader *r, const struct header *h, struct bill_tz *tz,
		      enum bill_tz_error *err)
{
	for (size_t i = 0; i < h->typecnt; i++) {
		uint32_t off;
		uint8_t isdst, desig;

		if (wire_get_u32(r, &off) < 0 || wire_get_u8(r, &isdst) < 0 ||
		    wire_get_u8(r, &desig) < 0) {
			*err = BILL_TZ_TRUNCATED;
			return -1;
		}
		tz->utoff[i] = (int32_t)off;
		/* RFC 8536 §3.2: isdst is 0 or 1; desigidx indexes the designations */
		if (tz->utoff[i] < OFFSET_LOW || tz->utoff[i] > OFFSET_LIMIT || isdst > 1 ||
		    desig >= h->charcnt) {
			*err = BILL_TZ_TYPE;
			return -1;
		}
	}
	return 0;
}

/* The data block (its own carved reader, exactly block_len bytes). */
static int read_block(struct wire_reader *r, const struct header *h, size_t tsize,
		      struct bill_tz *tz, enum bill_tz_error *err)
{
	tz->ntrans = h->timecnt;
	tz->ntypes = h->typecnt;
	tz->trans = calloc(h->timecnt ? h->timecnt : 1, sizeof *tz->trans);
	tz->idx = calloc(h->timecnt ? h->timecnt : 1, 1);
	tz->utoff = calloc(h->typecnt, sizeof *tz->utoff);
	if (!tz->trans || !tz->idx || !tz->utoff) {
		*err = BILL_TZ_NOMEM;
		return -1;
	}
	for (size_t i = 0; i < h->timecnt; i++) {
		uint32_t v32;
		uint64_t v64;

		if (tsize == 4 ? wire_get_u32(r, &v32) < 0 : wire_get_u64(r, &v64) < 0) {
			*err = BILL_TZ_TRUNCATED;
			return -1;
		}
		tz->trans[i] = tsize == 4 ? (int64_t)(int32_t)v32 : (int64_t)v64;
		if (i > 0 && tz->trans[i] <= tz->trans[i - 1]) { /* §3.2: strictly ascending */
			*err = BILL_TZ_ORDER;
			return -1;
		}
	}
	for (size_t i = 0; i < h->timecnt; i++) {
		if (wire_get_u8(r, &tz->idx[i]) < 0) {
			*err = BILL_TZ_TRUNCATED;
			return -1;
		}
		if (tz->idx[i] >= h->typecnt) {
			*err = BILL_TZ_TYPE;
			return -1;
		}
	}
	if (read_types(r, h, tz, err) < 0)
		return -1;
	/* designations, leap seconds, std/wall and UT/local indicators: not needed
	 * to convert POSIX times (the caller carved exactly their length) */
	return 0;
}

/* RFC 8536 §3.3: NL, a TZ string (possibly empty), NL, end of file. */
static int read_footer(struct wire_reader *r, struct bill_tz *tz, enum bill_tz_error *err)
{
	const uint8_t *p = wire_cur(r), *nl;
	size_t left = wire_left(r), len;

	*err = BILL_TZ_FOOTER;
	if (left < 2 || p[0] != '\n')
		return -1;
	nl = memchr(p + 1, '\n', left - 1);
	if (!nl || (size_t)(nl - p) + 1 != left)
		return -1;
	len = (size_t)(nl - p) - 1;
	if (len == 0)
		return 0; /* no rule: the last type stays in force */
	if (len > BILL_TZ_MAX_FOOTER || posix_parse((const char *)p + 1, len, &tz->rule) < 0)
		return -1;
	tz->has_footer = true;
	return 0;
}

void bill_tz_free(struct bill_tz *tz)
{
	if (!tz)
		return;
	free(tz->trans);
	free(tz->idx);
	free(tz->utoff);
	free(tz);
}

static int parse_v2(struct wire_reader *r, const struct header *h1, struct bill_tz *tz,
		    enum bill_tz_error *err)
{
	struct header h2;
	struct wire_reader block;

	if (wire_skip(r, block_len(h1, 4)) < 0) {
		*err = BILL_TZ_TRUNCATED;
		return -1;
	}
	if (read_header(r, &h2, err) < 0)
		return -1;
	if (h2.version != h1->version) {
		*err = BILL_TZ_VERSION;
		return -1;
	}
	if (wire_sub(r, block_len(&h2, 8), &block) < 0) {
		*err = BILL_TZ_TRUNCATED;
		return -1;
	}
	if (read_block(&block, &h2, 8, tz, err) < 0)
		return -1;
	return read_footer(r, tz, err);
}

int bill_tz_parse(const uint8_t *data, size_t len, struct bill_tz **out,
		  enum bill_tz_error *err)
{
	struct wire_reader r, block;
	struct header h;
	struct bill_tz *tz;
	enum bill_tz_error e = BILL_TZ_OK;
	int rc = -1;

	*out = NULL;
	if (len > BILL_TZ_MAX_BYTES) {
		*err = BILL_TZ_TOO_BIG;
		return -1;
	}
	wire_init(&r, data, len);
	if (read_header(&r, &h, err) < 0)
		return -1;
	tz = calloc(1, sizeof *tz);
	if (!tz) {
		*err = BILL_TZ_NOMEM;
		return -1;
	}
	if (h.version >= '2') {
		rc = parse_v2(&r, &h, tz, &e);
	} else if (wire_sub(&r, block_len(&h, 4), &block) < 0) {
		e = BILL_TZ_TRUNCATED;
	} else {
		rc = read_block(&block, &h, 4, tz, &e); /* v1: trailing bytes ignored */
	}
	if (rc < 0) {
		bill_tz_free(tz);
		*err = e;
		return -1;
	}
	*err = BILL_TZ_OK;
	*out = tz;
	return 0;
}

struct bill_tz *bill_tz_utc(void)
{
	struct bill_tz *tz = calloc(1, sizeof *tz);

	if (!tz)
		return NULL;
	tz->utoff = calloc(1, sizeof *tz->utoff);
	if (!tz->utoff) {
		free(tz);
		return NULL;
	}
	tz->ntypes = 1;
	return tz;
}

static bool safe_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 255 || name[0] == '/' || strstr(name, ".."))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '_' || c == '-' || c == '+' || c == '.'))
			return false;
	}
	return true;
}

int bill_tz_load(const char *dir, const char *name, struct bill_tz **out,
		 enum bill_tz_error *err)
{
	uint8_t *buf = NULL;
	char path[512];
	size_t n = 0;
	int rc, eno = 0;

	*out = NULL;
	if (!name || !safe_name(name)) {
		*err = BILL_TZ_NAME;
		return -1;
	}
	if (!dir && (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0)) {
		*out = bill_tz_utc();
		*err = *out ? BILL_TZ_OK : BILL_TZ_NOMEM;
		return *out ? 0 : -1;
	}
	snprintf(path, sizeof path, "%s/%s", dir ? dir : BILL_TZ_DIR, name);
	/* a regular file only: a FIFO or device under the zone directory
	 * is refused at once, not waited on */
	buf = (uint8_t *)cw_read_regular(path, BILL_TZ_MAX_BYTES, &n, &eno);
	if (!buf) {
		*err = eno == EFBIG ? BILL_TZ_TOO_BIG : eno == ENOMEM ? BILL_TZ_NOMEM : BILL_TZ_IO;
		return -1;
	}
	rc = bill_tz_parse(buf, n, out, err);
	free(buf);
	return rc;
}

int32_t bill_tz_offset(const struct bill_tz *tz, int64_t t)
{
	size_t lo = 0, hi;

	/* RFC 8536 §3.2: before the first transition, type 0 is in force */
	if (tz->ntrans == 0 || t < tz->trans[0])
		return tz->ntrans == 0 && tz->has_footer ? posix_offset(&tz->rule, t)
							 : tz->utoff[0];
	/* §3.3: after the last transition, the footer's rule (when there is one) */
	if (t >= tz->trans[tz->ntrans - 1] && tz->has_footer)
		return posix_offset(&tz->rule, t);
	hi = tz->ntrans; /* trans[lo] <= t < trans[hi] */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->utoff[tz->idx[lo]];
}

int64_t bill_tz_to_utc(const struct bill_tz *tz, int64_t local)
{
	/* the offsets a day before and after: any reading has one of them
	 * (zones do not change twice within two days) */
	int32_t before = bill_tz_offset(tz, local - DAY), after = bill_tz_offset(tz, local + DAY);
	int64_t tb = local - before, ta = local - after;
	bool vb = bill_tz_offset(tz, tb) == before, va = bill_tz_offset(tz, ta) == after;

	if (vb && va)
		return tb < ta ? tb : ta; /* twice (a fold): the first occurrence */
	if (vb)
		return tb;
	if (va)
		return ta;
	return tb; /* in a gap: pushed forward by the jump */
}
