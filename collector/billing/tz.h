/* tz.h — local time in an IANA zone from its TZif file (RFC 8536), for
 * billing cycles that start at a local day and time.
 *
 * Pure core: bill_tz_parse() decodes TZif bytes (untrusted: every count and
 * index is checked through the wire reader); conversions are functions of
 * (zone, instant). Only bill_tz_load() reads a file. No global state, no
 * TZ environment switching (glibc's localtime is neither injectable nor
 * thread-safe that way).
 *
 * Times are POSIX seconds since 1970-01-01T00:00:00Z (no leap seconds: use
 * the ordinary zone files, not the right/ ones). A "local" value is the
 * local wall-clock reading counted as if it were UTC seconds.
 *
 * Ownership: bill_tz_parse/bill_tz_load/bill_tz_utc return a zone owned by
 * the caller (bill_tz_free). */
#ifndef CW_BILLING_TZ_H
#define CW_BILLING_TZ_H

#include <stddef.h>
#include <stdint.h>

#define BILL_TZ_MAX_BYTES (256u * 1024u)  /* a TZif file (the largest real one is ~4 kB) */
#define BILL_TZ_MAX_TRANSITIONS 20000u    /* per data block */
#define BILL_TZ_MAX_CHARS 4096u           /* designation bytes */
#define BILL_TZ_MAX_FOOTER 128u           /* the POSIX TZ string */
#define BILL_TZ_DIR "/usr/share/zoneinfo"

enum bill_tz_error {
	BILL_TZ_OK,
	BILL_TZ_TRUNCATED,   /* shorter than its header's counts say */
	BILL_TZ_MAGIC,       /* not "TZif" */
	BILL_TZ_VERSION,     /* unknown version byte */
	BILL_TZ_COUNTS,      /* counts out of range or inconsistent (RFC 8536 §3.1) */
	BILL_TZ_ORDER,       /* transition times not strictly ascending (§3.2) */
	BILL_TZ_TYPE,        /* bad local time type: index, offset, isdst, designation */
	BILL_TZ_FOOTER,      /* v2+ footer missing, unterminated or not a valid TZ string (§3.3) */
	BILL_TZ_TOO_BIG,     /* over BILL_TZ_MAX_BYTES */
	BILL_TZ_IO,          /* the file could not be read */
	BILL_TZ_NAME,        /* the zone name is not a safe relative path */
	BILL_TZ_NOMEM,
	BILL_TZ_ERROR_COUNT
};

struct bill_tz;

/* Decodes a TZif file. Returns 0 and *out, or -1 with *err set. */
int bill_tz_parse(const uint8_t *data, size_t len, struct bill_tz **out,
		  enum bill_tz_error *err) __attribute__((warn_unused_result));
/* Reads dir/name (dir NULL: BILL_TZ_DIR) and parses it. "UTC" and
 * "Etc/UTC" need no file. */
int bill_tz_load(const char *dir, const char *name, struct bill_tz **out,
		 enum bill_tz_error *err) __attribute__((warn_unused_result));
/* A zone that is UTC all the time; NULL only when out of memory. */
struct bill_tz *bill_tz_utc(void);
void bill_tz_free(struct bill_tz *tz); /* takes NULL */

/* Seconds east of UTC in force at instant t. */
int32_t bill_tz_offset(const struct bill_tz *tz, int64_t t);
/* The instant at which the local clock reads local. A reading skipped by
 * a forward jump (DST start) maps to the instant as many seconds after the
 * jump as it lies after the jump's start (02:30 in a 02:00→03:00 gap is
 * 03:30); a reading that happens twice (DST end) maps to its first
 * occurrence. */
int64_t bill_tz_to_utc(const struct bill_tz *tz, int64_t local);

const char *bill_tz_error_name(enum bill_tz_error e); /* static, e.g. "truncated" */

/* ---- civil calendar (proleptic Gregorian), used by cycle.c too ---- */
int64_t bill_days_from_civil(int64_t y, unsigned m, unsigned d);
void bill_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
unsigned bill_days_in_month(int64_t y, unsigned m);

#endif
