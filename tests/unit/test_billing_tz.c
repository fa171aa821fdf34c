/* test_billing_tz.c — cmocka tests for collector/billing/tz.c and cycle.c:
 * real zone files from /usr/share/zoneinfo (expected values from glibc's
 * `TZ=... date` and Python's zoneinfo), the POSIX TZ footer rules, hostile
 * TZif bytes, and monthly cycles across month ends, a leap year and DST. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cycle.h"
#include "tz.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define DAY 86400

static struct bill_tz *zone(const char *name)
{
	struct bill_tz *tz = NULL;
	enum bill_tz_error err;

	if (bill_tz_load("/usr/share/zoneinfo", name, &tz, &err) != 0) {
		fprintf(stderr, "zone %s: %s (install tzdata)\n", name, bill_tz_error_name(err));
		fail();
	}
	return tz;
}

/* ---- a TZif builder (RFC 8536 §3) ---- */

struct tzb {
	uint8_t b[4096];
	size_t n;
};

static void put_u32(struct tzb *t, uint32_t v)
{
	t->b[t->n++] = (uint8_t)(v >> 24);
	t->b[t->n++] = (uint8_t)(v >> 16);
	t->b[t->n++] = (uint8_t)(v >> 8);
	t->b[t->n++] = (uint8_t)v;
}

static void put_header(struct tzb *t, char version, uint32_t timecnt, uint32_t typecnt,
		       uint32_t charcnt)
{
	memcpy(t->b + t->n, "TZif", 4);
	t->n += 4;
	t->b[t->n++] = (uint8_t)version;
	memset(t->b + t->n, 0, 15);
	t->n += 15;
	put_u32(t, 0); /* isutcnt */
	put_u32(t, 0); /* isstdcnt */
	put_u32(t, 0); /* leapcnt */
	put_u32(t, timecnt);
	put_u32(t, typecnt);
	put_u32(t, charcnt);
}

/* A v2 file: an empty-ish v1 block (one type), then the v2 block with the
 * given transitions (each switching to type idx[i]) and types, then the
 * footer (NULL: none at all, which is invalid for v2). */
static void build(struct tzb *t, size_t ntrans, const int64_t *times, const uint8_t *idx,
		  size_t ntypes, const int32_t *utoff, const char *footer)
{
	t->n = 0;
	put_header(t, '2', 0, 1, 4);
	put_u32(t, 0);
	t->b[t->n++] = 0;
	t->b[t->n++] = 0;
	memcpy(t->b + t->n, "UTC", 4);
	t->n += 4;
	put_header(t, '2', (uint32_t)ntrans, (uint32_t)ntypes, 4);
	for (size_t i = 0; i < ntrans; i++) {
		put_u32(t, (uint32_t)((uint64_t)times[i] >> 32));
		put_u32(t, (uint32_t)times[i]);
	}
	for (size_t i = 0; i < ntrans; i++)
		t->b[t->n++] = idx[i];
	for (size_t i = 0; i < ntypes; i++) {
		put_u32(t, (uint32_t)utoff[i]);
		t->b[t->n++] = 0;
		t->b[t->n++] = 0;
	}
	memcpy(t->b + t->n, "ABC", 4);
	t->n += 4;
	if (footer) {
		t->b[t->n++] = '\n';
		memcpy(t->b + t->n, footer, strlen(footer));
		t->n += strlen(footer);
		t->b[t->n++] = '\n';
	}
}

static struct bill_tz *parse_ok(const struct tzb *t)
{
	struct bill_tz *tz = NULL;
	enum bill_tz_error err = BILL_TZ_OK;

	if (bill_tz_parse(t->b, t->n, &tz, &err) != 0)
		fprintf(stderr, "parse: %s\n", bill_tz_error_name(err));
	assert_non_null(tz);
	return tz;
}

static void parse_fails(const struct tzb *t, enum bill_tz_error want)
{
	struct bill_tz *tz = (struct bill_tz *)(uintptr_t)1;
	enum bill_tz_error err = BILL_TZ_OK;

	assert_int_equal(bill_tz_parse(t->b, t->n, &tz, &err), -1);
	assert_null(tz);
	if (err != want)
		fprintf(stderr, "want %s, got %s\n", bill_tz_error_name(want), bill_tz_error_name(err));
	assert_int_equal(err, want);
}

/* ---- real zones ---- */

static void test_utc(void **state)
{
	struct bill_tz *tz = zone("UTC"), *builtin = NULL;
	enum bill_tz_error err;

	(void)state;
	assert_int_equal(bill_tz_offset(tz, 0), 0);
	assert_int_equal(bill_tz_offset(tz, 1798761600), 0);
	assert_int_equal(bill_tz_to_utc(tz, 1798761600), 1798761600);
	bill_tz_free(tz);
	assert_int_equal(bill_tz_load(NULL, "UTC", &builtin, &err), 0);
	assert_int_equal(bill_tz_offset(builtin, 1798761600), 0);
	bill_tz_free(builtin);
}

/* Berlin's slim file ends its transitions in 1996: 2026 and 2100 come from
 * the footer CET-1CEST,M3.5.0,M10.5.0/3. */
static void test_berlin_dst_days(void **state)
{
	struct bill_tz *tz = zone("Europe/Berlin");

	(void)state;
	assert_int_equal(bill_tz_offset(tz, 1774746000 - 1), 3600);  /* 2026-03-29 00:59:59Z */
	assert_int_equal(bill_tz_offset(tz, 1774746000), 7200);      /* 01:00Z: CEST */
	assert_int_equal(bill_tz_offset(tz, 1792890000 - 1), 7200);  /* 2026-10-25 00:59:59Z */
	assert_int_equal(bill_tz_offset(tz, 1792890000), 3600);
	assert_int_equal(bill_tz_offset(tz, 4109878800 - 1), 3600);  /* 2100-03-28 */
	assert_int_equal(bill_tz_offset(tz, 4109878800), 7200);
	assert_int_equal(bill_tz_offset(tz, 4128627600 - 1), 7200);  /* 2100-10-31 */
	assert_int_equal(bill_tz_offset(tz, 4128627600), 3600);
	/* 02:30 on 2026-03-29 does not exist: 03:30 CEST = 01:30Z */
	assert_int_equal(bill_tz_to_utc(tz, 1774746000 + 3600 + 5400), 1774746000 + 1800);
	/* 02:30 on 2026-10-25 happens twice: the first (CEST) is 00:30Z */
	assert_int_equal(bill_tz_to_utc(tz, 1792888200 + 7200), 1792888200);
	/* an ordinary reading: 2026-07-01 12:00 CEST = 10:00Z */
	assert_int_equal(bill_tz_to_utc(tz, 1782907200), 1782907200 - 7200);
	bill_tz_free(tz);
}

/* Lord Howe Island: +10:30, and +11 in summer (a 30-minute DST). */
static void test_lord_howe(void **state)
{
	struct bill_tz *tz = zone("Australia/Lord_Howe");

	(void)state;
	assert_int_equal(bill_tz_offset(tz, 1768435200), 39600); /* 2026-01-15 */
	assert_int_equal(bill_tz_offset(tz, 1784073600), 37800); /* 2026-07-15 */
	bill_tz_free(tz);
}

/* Sao Paulo: DST from the file's transitions until 2019, none since. */
static void test_sao_paulo(void **state)
{
	struct bill_tz *tz = zone("America/Sao_Paulo");

	(void)state;
	assert_int_equal(bill_tz_offset(tz, 1517443200), -7200);  /* 2018-02-01 */
	assert_int_equal(bill_tz_offset(tz, 1768435200), -10800); /* 2026-01-15 */
	assert_int_equal(bill_tz_offset(tz, -2208988800), -11188); /* 1900: local mean time */
	bill_tz_free(tz);
}

/* ---- POSIX TZ footers (expected: glibc, TZ=... date +%z) ---- */

static void test_posix_rules(void **state)
{
	static const struct {
		const char *tz;
		int32_t std;
		int64_t t[6];
		int32_t off[6];
		size_t n;
	} cases[] = {
		{"EST5EDT,M3.2.0,M11.1.0", -18000, {1772953199, 1772953200, 1793512799, 1793512800},
		 {-18000, -14400, -14400, -18000}, 4},
		{"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 37800,
		 {1768435200, 1784073600, 1775314799, 1775314800, 1791041399, 1791041400},
		 {39600, 37800, 39600, 37800, 37800, 39600}, 6},
		{"XXX3YYY,J60/2,J300/2", -10800, {1835499599, 1835499600, 1803877200, 1856145599},
		 {-10800, -7200, -7200, -7200}, 4},
		{"XXX3YYY,59/2,299/-1", -10800, {1835413199, 1835413200, 1856217599, 1856217600},
		 {-10800, -7200, -10800, -10800}, 4},
		{"AAA-2BBB-3,M3.5.0/-1,M10.5.0/26", 7200, {1774738799, 1774738800, 1792969199, 1792969200},
		 {10800, 10800, 10800, 7200}, 4},
		{"<-03>3", -10800, {0, 1768435200}, {-10800, -10800}, 2},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct tzb t;
		struct bill_tz *tz;

		build(&t, 0, NULL, NULL, 1, &cases[i].std, cases[i].tz);
		tz = parse_ok(&t);
		for (size_t k = 0; k < cases[i].n; k++) {
			int32_t got = bill_tz_offset(tz, cases[i].t[k]);

			if (got != cases[i].off[k])
				fprintf(stderr, "%s at %lld: want %d, got %d\n", cases[i].tz,
					(long long)cases[i].t[k], cases[i].off[k], got);
			assert_int_equal(got, cases[i].off[k]);
		}
		bill_tz_free(tz);
	}
}

/* ---- hostile bytes ---- */

static void test_hostile(void **state)
{
	static const char *const bad_footers[] = {
		"CET", "CET-1CEST", "CET-1CEST,M3.5.0", "CET-1CEST,M13.5.0,M10.5.0",
		"CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.5.7,M10.5.0", "CET-25", "<AB>1",
		"CET-1CEST,M3.5.0/168,M10.5.0", "CET-1CEST,J0,J10", "CET-1CEST,366,J10",
		"CET-1CEST,M3.5.0,M10.5.0x", "C\x01T-1",
	};
	int64_t times[3] = {100, 50, 200};
	uint8_t idx[3] = {0, 1, 0};
	int32_t utoff[2] = {3600, 7200}, huge[1] = {100000};
	struct tzb t;

	(void)state;
	build(&t, 0, NULL, NULL, 1, utoff, "CET-1");
	t.b[0] = 'X';
	parse_fails(&t, BILL_TZ_MAGIC);
	build(&t, 0, NULL, NULL, 1, utoff, "CET-1");
	t.b[4] = '9';
	parse_fails(&t, BILL_TZ_VERSION);
	build(&t, 0, NULL, NULL, 0, utoff, "CET-1"); /* typecnt 0 */
	parse_fails(&t, BILL_TZ_COUNTS);
	build(&t, 3, times, idx, 2, utoff, "CET-1"); /* 100, 50: not ascending */
	parse_fails(&t, BILL_TZ_ORDER);
	times[1] = 150;
	idx[1] = 2; /* only two types */
	build(&t, 3, times, idx, 2, utoff, "CET-1");
	parse_fails(&t, BILL_TZ_TYPE);
	build(&t, 0, NULL, NULL, 1, huge, "CET-1"); /* offset over 26 hours */
	parse_fails(&t, BILL_TZ_TYPE);
	build(&t, 0, NULL, NULL, 1, utoff, NULL); /* v2 without a footer */
	parse_fails(&t, BILL_TZ_FOOTER);
	build(&t, 0, NULL, NULL, 1, utoff, "CET-1");
	t.n--; /* footer not terminated */
	parse_fails(&t, BILL_TZ_FOOTER);
	build(&t, 0, NULL, NULL, 1, utoff, "CET-1");
	t.b[t.n++] = 'x'; /* bytes after the footer */
	parse_fails(&t, BILL_TZ_FOOTER);
	for (size_t i = 0; i < ARRAY_LEN(bad_footers); i++) {
		build(&t, 0, NULL, NULL, 1, utoff, bad_footers[i]);
		if (bad_footers[i][0] == 'C' && strcmp(bad_footers[i], "CET") == 0)
			continue; /* "CET" without an offset: checked just below */
		parse_fails(&t, BILL_TZ_FOOTER);
	}
	build(&t, 0, NULL, NULL, 1, utoff, "CET");
	parse_fails(&t, BILL_TZ_FOOTER);
	/* a huge timecnt with no data behind it */
	build(&t, 0, NULL, NULL, 1, utoff, "CET-1");
	t.b[44 + 10 + 32] = 0x7f;
	parse_fails(&t, BILL_TZ_COUNTS);
	t.b[44 + 10 + 32] = 0;
	t.b[44 + 10 + 35] = 200; /* 200 transitions promised, none there */
	parse_fails(&t, BILL_TZ_TRUNCATED);
	/* a valid empty footer: the last type stays */
	build(&t, 0, NULL, NULL, 1, utoff, "");
	{
		struct bill_tz *tz = parse_ok(&t);

		assert_int_equal(bill_tz_offset(tz, 1768435200), 3600);
		bill_tz_free(tz);
	}
}

/* Every prefix of a real file fails cleanly (or parses, for none). */
static void test_truncations(void **state)
{
	FILE *fp = fopen("/usr/share/zoneinfo/Europe/Berlin", "rb");
	uint8_t buf[8192];
	size_t n;

	(void)state;
	assert_non_null(fp);
	n = fread(buf, 1, sizeof buf, fp);
	fclose(fp);
	assert_true(n > 100);
	for (size_t len = 0; len < n; len++) {
		struct bill_tz *tz = NULL;
		enum bill_tz_error err;

		assert_int_equal(bill_tz_parse(buf, len, &tz, &err), -1);
		assert_null(tz);
	}
}

static void test_load_errors(void **state)
{
	struct bill_tz *tz = NULL;
	enum bill_tz_error err;

	(void)state;
	assert_int_equal(bill_tz_load(NULL, "../etc/passwd", &tz, &err), -1);
	assert_int_equal(err, BILL_TZ_NAME);
	assert_int_equal(bill_tz_load(NULL, "/etc/passwd", &tz, &err), -1);
	assert_int_equal(err, BILL_TZ_NAME);
	assert_int_equal(bill_tz_load(NULL, "No/Such_Zone", &tz, &err), -1);
	assert_int_equal(err, BILL_TZ_IO);
	assert_int_equal(bill_tz_load("/etc", "passwd", &tz, &err), -1);
	assert_int_equal(err, BILL_TZ_MAGIC);
	assert_null(tz);
}

static void on_alarm(int sig)
{
	(void)sig;
	_exit(3); /* blocked on the FIFO: fail instead of hanging ctest */
}

/* Issue 12 item 8: a FIFO or a device where the zone file should be is
 * refused at once (the loader opened it blocking: no writer, no return). */
static void test_load_not_regular(void **state)
{
	char dir[] = "/tmp/cw-tz-XXXXXX", fifo[64];
	struct bill_tz *tz = NULL;
	enum bill_tz_error err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof fifo, "%s/Fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	signal(SIGALRM, on_alarm);
	alarm(10);
	assert_int_equal(bill_tz_load(dir, "Fifo", &tz, &err), -1);
	assert_int_equal(err, BILL_TZ_IO);
	assert_int_equal(bill_tz_load("/dev", "zero", &tz, &err), -1);
	assert_int_equal(err, BILL_TZ_IO);
	alarm(0);
	assert_null(tz);
	unlink(fifo);
	rmdir(dir);
}

/* ---- calendar and cycles ---- */

static void test_civil(void **state)
{
	int64_t y;
	unsigned m, d;

	(void)state;
	assert_int_equal(bill_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(bill_days_from_civil(2028, 2, 29), 21243);
	bill_civil_from_days(21243, &y, &m, &d);
	assert_true(y == 2028 && m == 2 && d == 29);
	bill_civil_from_days(-1, &y, &m, &d);
	assert_true(y == 1969 && m == 12 && d == 31);
	assert_int_equal(bill_days_in_month(2028, 2), 29);
	assert_int_equal(bill_days_in_month(2100, 2), 28);
	assert_int_equal(bill_days_in_month(2000, 2), 29);
	assert_int_equal(bill_days_in_month(2026, 4), 30);
	assert_int_equal(bill_days_in_month(2026, 13), 0);
}

static void test_cycles_utc(void **state)
{
	static const int64_t month_starts[] = {
		1767225600, 1769904000, 1772323200, 1775001600, 1777593600, 1780272000, 1782864000,
		1785542400, 1788220800, 1790812800, 1793491200, 1796083200, 1798761600,
	};
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	struct bill_tz *tz = bill_tz_utc();
	struct bill_cycle c;

	(void)state;
	/* 2026, day 1 at 00:00: 31/28/30-day months, and the instants at the edges */
	for (size_t i = 0; i < 12; i++) {
		assert_int_equal(bill_cycle_at(tz, 1, 0, month_starts[i], &c), 0);
		assert_int_equal(c.start, month_starts[i]);
		assert_int_equal(c.end, month_starts[i + 1]);
		assert_int_equal(c.end - c.start, days[i] * DAY);
		assert_int_equal(bill_cycle_at(tz, 1, 0, month_starts[i + 1] - 1, &c), 0);
		assert_int_equal(c.start, month_starts[i]);
	}
	/* leap year 2028: February has 29 days */
	assert_int_equal(bill_cycle_at(tz, 1, 0, 1835438400, &c), 0); /* 2028-02-29 12:00 */
	assert_int_equal(c.start, 1832976000);
	assert_int_equal(c.end, 1835481600);
	assert_int_equal(c.end - c.start, 29 * DAY);
	/* day 28: across the year end */
	assert_int_equal(bill_cycle_at(tz, 28, 0, 1798416000 - 1, &c), 0);
	assert_int_equal(c.start, 1795824000);
	assert_int_equal(c.end, 1798416000);
	assert_int_equal(bill_cycle_at(tz, 28, 0, 1798416000, &c), 0);
	assert_int_equal(c.start, 1798416000);
	assert_int_equal(c.end, 1801094400);
	/* a time of day: day 1 at 17:30, just before and at the boundary */
	assert_int_equal(bill_cycle_at(tz, 1, 17 * 60 + 30, 1769904000 + 63000 - 1, &c), 0);
	assert_int_equal(c.end, 1769904000 + 63000);
	assert_int_equal(c.start, 1767225600 + 63000);
	/* out of range */
	assert_int_equal(bill_cycle_at(tz, 29, 0, 0, &c), -1);
	assert_int_equal(bill_cycle_at(tz, 0, 0, 0, &c), -1);
	assert_int_equal(bill_cycle_at(tz, 1, 1440, 0, &c), -1);
	bill_tz_free(tz);
}

static void test_cycles_dst(void **state)
{
	struct bill_tz *be = zone("Europe/Berlin"), *ny = zone("America/New_York");
	struct bill_cycle c;

	(void)state;
	/* Berlin, day 1 at 00:00 local: March 2026 starts in CET, ends in CEST */
	assert_int_equal(bill_cycle_at(be, 1, 0, 1774746000, &c), 0);
	assert_int_equal(c.start, 1772319600); /* 2026-02-28 23:00Z */
	assert_int_equal(c.end, 1774994400);   /* 2026-03-31 22:00Z */
	assert_int_equal(c.end - c.start, 31 * DAY - 3600);
	/* just before midnight local on 2026-03-31 (21:59:59Z) is still March's */
	assert_int_equal(bill_cycle_at(be, 1, 0, 1774994400 - 1, &c), 0);
	assert_int_equal(c.start, 1772319600);
	/* New York, day 8 at 02:30: 2026-03-08 02:30 does not exist (02:00 -> 03:00),
	 * so the cycle starts at 03:30 EDT = 07:30Z; the next at 02:30 EDT */
	assert_int_equal(bill_cycle_at(ny, 8, 150, 1772955000, &c), 0);
	assert_int_equal(c.start, 1772955000);
	assert_int_equal(c.end, 1775629800);
	assert_int_equal(bill_cycle_at(ny, 8, 150, 1772955000 - 1, &c), 0);
	assert_int_equal(c.end, 1772955000);
	bill_tz_free(be);
	bill_tz_free(ny);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utc),
		cmocka_unit_test(test_berlin_dst_days),
		cmocka_unit_test(test_lord_howe),
		cmocka_unit_test(test_sao_paulo),
		cmocka_unit_test(test_posix_rules),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_not_regular),
		cmocka_unit_test(test_civil),
		cmocka_unit_test(test_cycles_utc),
		cmocka_unit_test(test_cycles_dst),
	};

	return cmocka_run_group_tests_name("billing_tz", tests, NULL, NULL);
}
