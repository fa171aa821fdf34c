/* test_billing_state.c — cmocka tests for collector/billing/state.c: the
 * JSON round trip, strict decoding of damaged files, the atomic write
 * (no temporary file left behind, the old file kept when a write fails),
 * and a corrupt file renamed aside rather than overwritten. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cycle.h"
#include "state.h"

static char *tempdir(void)
{
	char tmpl[] = "/tmp/cw-state-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return strdup(tmpl);
}

static void rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];

	while (d && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* Names in dir, one per line, sorted by readdir order (tests count them). */
static size_t count_entries(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

static struct bill_state sample(void)
{
	static struct bill_state_circuit v[2];
	struct bill_state st = {.written = 1790000000, .n = 2, .v = v};

	memset(v, 0, sizeof v);
	strcpy(v[0].id, "er-ams-1");
	v[0].cur = (struct bill_state_cycle){true, 1788220800, 1790812800, {12345, 9876543210ull}, 0};
	v[0].prev = (struct bill_state_cycle){true, 1785542400, 1788220800, {1, 2}, 461.25};
	strcpy(v[1].id, "dx.fra_1");
	v[1].cur = (struct bill_state_cycle){true, 1788220800, 1790812800, {0, (1ull << 62)}, 0};
	return st;
}

static void test_round_trip(void **state)
{
	struct bill_state st = sample(), back;
	const char *why = NULL;
	char *text = NULL;

	(void)state;
	assert_int_equal(bill_state_encode(&st, &text), 0);
	assert_int_equal(bill_state_decode(text, strlen(text), &back, &why), 0);
	assert_int_equal(back.n, 2);
	assert_int_equal(back.written, st.written);
	assert_string_equal(back.v[0].id, "er-ams-1");
	assert_int_equal(back.v[0].cur.bytes[TRAFFIC_FROM_CLOUD], 9876543210ull);
	assert_int_equal(back.v[0].cur.bytes[TRAFFIC_TO_CLOUD], 12345);
	assert_int_equal(back.v[0].cur.start, 1788220800);
	assert_true(back.v[0].prev.valid);
	assert_true(back.v[0].prev.cost == 461.25);
	assert_false(back.v[1].prev.valid);
	assert_int_equal(back.v[1].cur.bytes[TRAFFIC_FROM_CLOUD], 1ull << 62);
	bill_state_clean(&back);
	free(text);
}

/* Any change to a saved file is caught (checksum or structure). */
static void test_damaged(void **state)
{
	static const struct {
		const char *from, *to;
	} edits[] = {
		{"9876543210", "9876543211"},    /* a byte count changed by hand */
		{"\"version\": 1", "\"version\": 2"},
		{"\"er-ams-1\"", "\"er-ams-2\""},
		{"\"checksum\"", "\"checksun\""},
		{"1790812800", "1788220800"},    /* end == start: rejected even with a fixed sum */
	};
	struct bill_state st = sample(), back;
	const char *why;
	char *text = NULL;

	(void)state;
	assert_int_equal(bill_state_encode(&st, &text), 0);
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		char *copy = strdup(text), *at = strstr(copy, edits[i].from);

		assert_non_null(at);
		memcpy(at, edits[i].to, strlen(edits[i].to));
		why = NULL;
		assert_int_equal(bill_state_decode(copy, strlen(copy), &back, &why), -1);
		assert_non_null(why);
		assert_null(back.v);
		free(copy);
	}
	/* truncated at every length */
	for (size_t len = 0; len < strlen(text); len += 7)
		assert_int_equal(bill_state_decode(text, len, &back, &why), -1);
	assert_int_equal(bill_state_decode("[]", 2, &back, &why), -1);
	assert_int_equal(bill_state_decode("{\"version\":1,\"version\":1}", 26, &back, &why), -1);
	free(text);
}

static void test_write_read(void **state)
{
	struct bill_state st = sample(), back;
	char *dir = tempdir(), aside[4096], why[256], err[256];

	(void)state;
	assert_int_equal(bill_state_read(dir, 1, &back, aside, sizeof aside, why, sizeof why),
			 BILL_STATE_ABSENT);
	assert_int_equal(bill_state_write(dir, &st, err, sizeof err), 0);
	st.v[0].cur.bytes[TRAFFIC_FROM_CLOUD] = 42; /* a second write replaces the first */
	assert_int_equal(bill_state_write(dir, &st, err, sizeof err), 0);
	/* atomic: the file and nothing else (no temporary left behind) */
	assert_int_equal(count_entries(dir, ""), 3); /* ".", "..", the file */
	assert_int_equal(count_entries(dir, "."), 2);
	assert_int_equal(bill_state_read(dir, 1, &back, aside, sizeof aside, why, sizeof why),
			 BILL_STATE_LOADED);
	assert_int_equal(back.v[0].cur.bytes[TRAFFIC_FROM_CLOUD], 42);
	bill_state_clean(&back);
	rmtree(dir);
	free(dir);
}

/* A write into a missing directory fails and leaves nothing. */
static void test_write_fails(void **state)
{
	struct bill_state st = sample();
	char err[256];

	(void)state;
	assert_int_equal(bill_state_write("/nonexistent/cw", &st, err, sizeof err), -1);
	assert_non_null(strstr(err, "create temporary file"));
}

static void test_corrupt_kept_aside(void **state)
{
	struct bill_state st = sample(), back;
	char *dir = tempdir(), path[4096], aside[4096], why[256], err[256];
	FILE *fp;
	struct stat sb;

	(void)state;
	snprintf(path, sizeof path, "%s/%s", dir, BILL_STATE_FILE);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("{\"version\": 1, \"circ", fp); /* a torn write by some other tool */
	fclose(fp);
	assert_int_equal(bill_state_read(dir, 1790000000, &back, aside, sizeof aside, why,
					 sizeof why), BILL_STATE_CORRUPT);
	assert_non_null(strstr(why, "not valid JSON"));
	assert_non_null(strstr(aside, "billing-state.json.corrupt-1790000000"));
	assert_int_equal(stat(aside, &sb), 0);
	assert_int_equal(sb.st_size, 20);
	assert_int_equal(stat(path, &sb), -1); /* moved, not copied */
	/* the next save does not touch the kept file */
	assert_int_equal(bill_state_write(dir, &st, err, sizeof err), 0);
	assert_int_equal(stat(aside, &sb), 0);
	assert_int_equal(sb.st_size, 20);
	assert_int_equal(bill_state_read(dir, 1790000001, &back, aside, sizeof aside, why,
					 sizeof why), BILL_STATE_LOADED);
	bill_state_clean(&back);
	rmtree(dir);
	free(dir);
}

static void on_alarm(int sig)
{
	(void)sig;
	_exit(3); /* blocked on the FIFO: fail instead of hanging ctest */
}

/* Issue 12 item 8: a FIFO in place of the state file is refused at once
 * (the reader opened it blocking and the daemon never started), kept
 * aside like a corrupt file, and the next save writes a real file. */
static void test_fifo_kept_aside(void **state)
{
	struct bill_state st = sample(), back;
	char *dir = tempdir(), path[4096], aside[4096], why[256], err[256];
	struct stat sb;

	(void)state;
	snprintf(path, sizeof path, "%s/%s", dir, BILL_STATE_FILE);
	assert_int_equal(mkfifo(path, 0600), 0);
	signal(SIGALRM, on_alarm);
	alarm(10);
	assert_int_equal(bill_state_read(dir, 1790000000, &back, aside, sizeof aside, why,
					 sizeof why), BILL_STATE_CORRUPT);
	alarm(0);
	assert_non_null(strstr(why, "not a regular file (a FIFO)"));
	assert_int_equal(stat(aside, &sb), 0);
	assert_true(S_ISFIFO(sb.st_mode));
	assert_int_equal(bill_state_write(dir, &st, err, sizeof err), 0);
	assert_int_equal(bill_state_read(dir, 1790000001, &back, aside, sizeof aside, why,
					 sizeof why), BILL_STATE_LOADED);
	bill_state_clean(&back);
	rmtree(dir);
	free(dir);
}

/* A cycle boundary that passed while the daemon was down: the saved cycle
 * becomes the previous one and the running one starts empty; a cycle still
 * running goes on with its bytes (injected clock: instants passed in). */
static void test_boundary_while_down(void **state)
{
	struct bill_tz *utc = bill_tz_utc();
	struct bill_state_circuit sc;
	struct bill_restored r;
	struct bill_cycle jan, now_cycle;
	int64_t saved_at = 1769900000; /* 2026-01-31T22:53:20Z */

	(void)state;
	assert_int_equal(bill_cycle_at(utc, 1, 0, saved_at, &jan), 0);
	memset(&sc, 0, sizeof sc);
	strcpy(sc.id, "c1");
	sc.cur = (struct bill_state_cycle){true, jan.start, jan.end, {5, 700}, 0};
	sc.prev = (struct bill_state_cycle){true, 1764547200, jan.start, {1, 2}, 10};
	/* restarted before the boundary: the January bytes go on */
	bill_state_restore(&sc, jan.end - 1, &r);
	assert_false(r.closed);
	assert_int_equal(r.bytes[TRAFFIC_FROM_CLOUD], 700);
	assert_int_equal(r.prev.start, 1764547200);
	/* restarted at the boundary and after it (February 2026): January is previous */
	for (int64_t now = jan.end; now < jan.end + 3 * 86400; now += 86400) {
		bill_state_restore(&sc, now, &r);
		assert_true(r.closed);
		assert_true(r.prev.valid);
		assert_int_equal(r.prev.start, jan.start);
		assert_int_equal(r.prev.end, jan.end);
		assert_int_equal(r.prev.bytes[TRAFFIC_FROM_CLOUD], 700);
		assert_int_equal(r.prev.bytes[TRAFFIC_TO_CLOUD], 5);
		assert_int_equal(r.bytes[TRAFFIC_FROM_CLOUD], 0);
		assert_int_equal(bill_cycle_at(utc, 1, 0, now, &now_cycle), 0);
		assert_int_equal(now_cycle.start, r.prev.end); /* no gap, no overlap */
	}
	bill_tz_free(utc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_write_read),
		cmocka_unit_test(test_write_fails),
		cmocka_unit_test(test_corrupt_kept_aside),
		cmocka_unit_test(test_fifo_kept_aside),
		cmocka_unit_test(test_boundary_while_down),
	};

	return cmocka_run_group_tests_name("billing_state", tests, NULL, NULL);
}
