/* test_avail.c — availability against the SLA (issue 15): the tracker
 * over a fake clock (up and down intervals, gaps, arming, rollover,
 * restore), the state codec and file (round trip, corruption), and the
 * availability: section. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "avail.h"
#include "avail_config.h"
#include "avail_state.h"
#include "daemon_config.h"
#include "tz.h"

#define T0 1764547200.0 /* 2025-12-01T00:00:00Z: a cycle start in UTC months */
#define DEC_LEN (31.0 * 86400)

struct fx {
	struct bill_tz *tz;
	struct avail_calendar cal;
	struct avail_track t;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	f->tz = bill_tz_utc();
	assert_non_null(f->tz);
	f->cal = (struct avail_calendar){f->tz, 1, 0};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	bill_tz_free(f->tz);
	free(f);
	return 0;
}

static struct avail_sample sample(bool primary, bool secondary)
{
	const bool present[CFG_LINK_COUNT] = {true, true};
	const unsigned conf[CFG_LINK_COUNT] = {1, 1};
	const unsigned up[CFG_LINK_COUNT] = {primary, secondary};
	struct avail_sample s;

	avail_sample_from(&s, present, conf, up);
	return s;
}

/* Steps once a second from *t to until, holding s. */
static void run(struct fx *f, double *t, double until, struct avail_sample s)
{
	for (; *t < until; *t += 1)
		(void)avail_track_step(&f->t, &f->cal, *t, &s);
	(void)avail_track_step(&f->t, &f->cal, until, &s);
	*t = until;
}

static void test_sample_from(void **state)
{
	const bool present[CFG_LINK_COUNT] = {true, true};
	const unsigned conf[CFG_LINK_COUNT] = {2, 1};
	unsigned up[CFG_LINK_COUNT] = {1, 1};
	struct avail_sample s;

	(void)state;
	avail_sample_from(&s, present, conf, up); /* one of the primary's two down */
	assert_true(s.known && s.any);
	assert_false(s.redundant);
	assert_false(s.link_up[CFG_LINK_PRIMARY]);
	assert_true(s.link_up[CFG_LINK_SECONDARY]);
	up[0] = 2;
	avail_sample_from(&s, present, conf, up);
	assert_true(s.redundant && s.link_up[CFG_LINK_PRIMARY]);
	up[0] = up[1] = 0;
	avail_sample_from(&s, present, conf, up);
	assert_false(s.any || s.redundant || s.link_up[0] || s.link_up[1]);
}

static void test_intervals(void **state)
{
	struct fx *f = *state;
	double t = T0 + 100;
	struct avail_status st;

	assert_int_equal(avail_track_init(&f->t, &f->cal, t, 300), 0);
	assert_int_equal(f->t.cur.start, (int64_t)T0);
	assert_int_equal(f->t.cur.end, (int64_t)(T0 + DEC_LEN));
	run(f, &t, T0 + 200, sample(true, true));    /* 100 s both up */
	run(f, &t, T0 + 260, sample(true, false));   /* 60 s one down */
	run(f, &t, T0 + 290, sample(false, false));  /* 30 s both down */
	run(f, &t, T0 + 300, sample(false, true));   /* 10 s the other one up */
	assert_true(fabs(f->t.cur.observed - 200) < 1e-6);
	assert_true(fabs(f->t.cur.up[AVAIL_ANY] - 170) < 1e-6);
	assert_true(fabs(f->t.cur.up[AVAIL_REDUNDANT] - 100) < 1e-6);
	assert_true(fabs(f->t.cur.link_up[CFG_LINK_PRIMARY] - 160) < 1e-6);
	assert_true(fabs(f->t.cur.link_up[CFG_LINK_SECONDARY] - 110) < 1e-6);
	avail_status(&f->t.cur, 0.9995, t, &st);
	assert_true(fabs(st.unobserved - 100) < 1e-6); /* before the first sample */
	assert_true(fabs(st.ratio[AVAIL_ANY] - 170.0 / 200) < 1e-9);
	assert_true(fabs(st.link_ratio[CFG_LINK_SECONDARY] - 110.0 / 200) < 1e-9);
	assert_true(fabs(st.budget - 0.0005 * DEC_LEN) < 1e-6);   /* 1339.2 s */
	assert_true(fabs(st.remaining - (0.0005 * DEC_LEN - 30)) < 1e-6);
}

static void test_unobserved(void **state)
{
	struct fx *f = *state;
	double t = T0 + 1000;
	struct avail_sample none = {0};
	struct avail_status st;

	assert_int_equal(avail_track_init(&f->t, &f->cal, t, 60), 0);
	run(f, &t, T0 + 1030, none);                  /* no data yet */
	run(f, &t, T0 + 1050, sample(false, false));  /* known, down, in the grace */
	assert_true(f->t.cur.observed == 0);
	run(f, &t, T0 + 1070, sample(false, false));  /* the grace ended at 1060 */
	assert_true(fabs(f->t.cur.observed - 10) < 1e-6);
	assert_true(f->t.cur.up[AVAIL_ANY] == 0);
	run(f, &t, T0 + 1080, sample(true, true));
	/* the collector stalled (or was stopped) for a minute: not observed */
	(void)avail_track_step(&f->t, &f->cal, T0 + 1140, &(struct avail_sample){0});
	t = T0 + 1140;
	run(f, &t, T0 + 1150, sample(true, true));
	assert_true(fabs(f->t.cur.observed - 30) < 1e-6); /* 10 down, 10 up, 10 up */
	assert_true(fabs(f->t.cur.up[AVAIL_ANY] - 20) < 1e-6);
	avail_status(&f->t.cur, 0.9995, t, &st);
	assert_true(fabs(st.unobserved - 1120) < 1e-6);
	/* a clock that steps back counts nothing */
	(void)avail_track_step(&f->t, &f->cal, T0 + 1100, &(struct avail_sample){0});
	assert_true(fabs(f->t.cur.observed - 30) < 1e-6);
}

static void test_armed_by_session(void **state)
{
	struct fx *f = *state;
	double t = T0 + 10;

	assert_int_equal(avail_track_init(&f->t, &f->cal, t, 3600), 0);
	run(f, &t, T0 + 20, sample(false, false)); /* down at start: not blamed */
	assert_true(f->t.cur.observed == 0);
	run(f, &t, T0 + 30, sample(true, false));  /* a session seen: counting */
	run(f, &t, T0 + 40, sample(false, false));
	assert_true(fabs(f->t.cur.observed - 20) < 1e-6);
	assert_true(fabs(f->t.cur.up[AVAIL_ANY] - 10) < 1e-6);
}

static void test_rollover(void **state)
{
	struct fx *f = *state;
	double t = T0 + DEC_LEN - 5.5; /* 5.5 s before January */
	struct avail_status st;

	assert_int_equal(avail_track_init(&f->t, &f->cal, t, 0), 0);
	run(f, &t, T0 + DEC_LEN - 0.5, sample(true, false));
	assert_int_equal(avail_track_step(&f->t, &f->cal, T0 + DEC_LEN + 0.5, &(struct avail_sample){0}), 1);
	assert_true(f->t.prev.valid);
	assert_int_equal(f->t.prev.start, (int64_t)T0);
	assert_true(fabs(f->t.prev.observed - 5.5) < 1e-6); /* split at midnight */
	assert_true(fabs(f->t.prev.up[AVAIL_ANY] - 5.5) < 1e-6);
	assert_true(f->t.prev.up[AVAIL_REDUNDANT] == 0);
	assert_int_equal(f->t.cur.start, (int64_t)(T0 + DEC_LEN));
	assert_true(fabs(f->t.cur.observed - 0.5) < 1e-6);
	avail_status(&f->t.prev, 0.9995, (double)f->t.prev.end, &st);
	assert_true(fabs(st.unobserved - (DEC_LEN - 5.5)) < 1e-3);
	/* a billing calendar: day 15 at 06:00 */
	f->cal.day = 15;
	f->cal.minute = 360;
	assert_int_equal(avail_track_init(&f->t, &f->cal, T0, 0), 0);
	assert_int_equal(f->t.cur.start, (int64_t)(T0 - 16 * 86400 + 6 * 3600));
	f->cal.day = 29; /* out of range */
	assert_int_equal(avail_track_init(&f->t, &f->cal, T0, 0), -1);
}

static void test_restore(void **state)
{
	struct fx *f = *state;
	struct avail_figures cur = {true, (int64_t)T0, (int64_t)(T0 + DEC_LEN), 500, {480, 400},
				    {450, 420}};
	struct avail_figures prev = {true, (int64_t)(T0 - 30 * 86400), (int64_t)T0, 100, {100, 100},
				     {100, 100}};

	/* the saved cycle still runs: it goes on, with its prev */
	assert_int_equal(avail_track_init(&f->t, &f->cal, T0 + 9000, 0), 0);
	avail_track_restore(&f->t, &cur, &prev, T0 + 9000);
	assert_true(f->t.cur.observed == 500 && f->t.cur.up[AVAIL_ANY] == 480);
	assert_true(f->t.prev.valid && f->t.prev.observed == 100);
	/* it ended while the daemon was down: it is the previous cycle now */
	assert_int_equal(avail_track_init(&f->t, &f->cal, T0 + DEC_LEN + 50, 0), 0);
	avail_track_restore(&f->t, &cur, &prev, T0 + DEC_LEN + 50);
	assert_true(f->t.cur.observed == 0);
	assert_true(f->t.prev.valid && f->t.prev.observed == 500);
}

static void test_state_round_trip(void **state)
{
	struct avail_state_circuit c[2] = {
		{"er-1", {true, 100, 200, 50.25, {40.5, 30}, {45, 35}}, {false, 0, 0, 0, {0}, {0}}},
		{"dx-2", {true, 100, 200, 10, {10, 10}, {10, 0}}, {true, 0, 100, 100, {99, 98}, {97, 96}}},
	};
	struct avail_state st = {.written = 150, .n = 2, .v = c}, back;
	const char *why = NULL;
	char *text = NULL;

	(void)state;
	assert_int_equal(avail_state_encode(&st, &text), 0);
	assert_int_equal(avail_state_decode(text, strlen(text), &back, &why), 0);
	assert_int_equal(back.n, 2);
	assert_string_equal(back.v[0].id, "er-1");
	assert_true(back.v[0].cur.observed == 50.25 && back.v[0].cur.up[AVAIL_ANY] == 40.5);
	assert_false(back.v[0].prev.valid);
	assert_true(back.v[1].prev.valid && back.v[1].prev.link_up[CFG_LINK_SECONDARY] == 96);
	avail_state_clean(&back);
	/* one byte changed: the checksum says so */
	char *p = strstr(text, "50.25");
	assert_non_null(p);
	p[0] = '6';
	assert_int_equal(avail_state_decode(text, strlen(text), &back, &why), -1);
	assert_string_equal(why, "checksum mismatch");
	free(text);
	assert_int_equal(avail_state_decode("{", 1, &back, &why), -1);
	assert_string_equal(why, "not valid JSON");
	/* up longer than observed is refused even with a right checksum */
	c[0].cur.up[AVAIL_ANY] = 90;
	assert_int_equal(avail_state_encode(&st, &text), 0);
	assert_int_equal(avail_state_decode(text, strlen(text), &back, &why), -1);
	free(text);
}

static void test_state_file(void **state)
{
	char dir[] = "/tmp/cw-avail.XXXXXX", path[256], aside[512], why[256], err[256];
	struct avail_state_circuit c = {"er-1", {true, 100, 200, 5, {5, 5}, {5, 5}}, {0}};
	struct avail_state st = {.written = 150, .n = 1, .v = &c}, back;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(avail_state_read(dir, 1, &back, aside, sizeof aside, why, sizeof why),
			 BILL_STATE_ABSENT);
	assert_int_equal(avail_state_write(dir, &st, err, sizeof err), 0);
	assert_int_equal(avail_state_read(dir, 1, &back, aside, sizeof aside, why, sizeof why),
			 BILL_STATE_LOADED);
	assert_true(back.n == 1 && back.v[0].cur.observed == 5);
	avail_state_clean(&back);
	snprintf(path, sizeof path, "%s/%s", dir, AVAIL_STATE_FILE);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("{\"version\": 1, garbage", fp);
	fclose(fp);
	assert_int_equal(avail_state_read(dir, 77, &back, aside, sizeof aside, why, sizeof why),
			 BILL_STATE_CORRUPT);
	assert_string_equal(why, "not valid JSON");
	assert_non_null(strstr(aside, "availability-state.json.corrupt-77"));
	assert_int_equal(access(path, F_OK), -1); /* moved aside, never overwritten */
	assert_int_equal(access(aside, F_OK), 0);
	unlink(aside);
	rmdir(dir);
}

#define CIRCUITS                                                                     \
	"circuits:\n"                                                                \
	"  - id: er-1\n    provider: expressroute\n    sku: {tier: standard}\n"        \
	"    bandwidth: 1Gbps\n"                                                     \
	"    links: {primary: {peerings: [{type: private, neighbors: [{address: 10.0.0.1}]}]}}\n" \
	"  - id: dx-1\n    provider: directconnect\n    bandwidth: 1Gbps\n"            \
	"    links: {primary: {peerings: [{type: private, neighbors: [{address: 10.0.1.1, asn: 7224}]}]}}\n"

static void test_config(void **state)
{
	struct cfg_config *cfg = NULL;
	struct cfg_errors errs = {0};
	const char *ok = CIRCUITS "availability:\n  sla: {directconnect: 99.99%}\n"
				  "  circuits: [{circuit: er-1, sla: 99.5}]\n";
	const char *bad = CIRCUITS "availability:\n  sla: {interconnect: 100}\n"
				   "  circuits: [{circuit: nope, sla: 99.5}]\n";
	const struct cfg_availability *a;

	(void)state;
	assert_int_equal(daemon_config_load_buffer("t.yaml", CIRCUITS, strlen(CIRCUITS), &cfg, &errs), 0);
	a = avail_config(cfg);
	assert_true(a->enabled && a->persist_interval_s == 60 && a->startup_grace_s == 300);
	assert_true(a->sla.expressroute == 99.95 && a->sla.directconnect == 99.9 &&
		    a->sla.interconnect == 99.9);
	cfg_free(cfg);
	if (daemon_config_load_buffer("t.yaml", ok, strlen(ok), &cfg, &errs) != 0)
		cfg_errors_print(&errs, stderr);
	assert_non_null(cfg);
	a = avail_config(cfg);
	assert_true(a->sla.directconnect == 99.99);
	assert_int_equal(a->ncircuits, 1);
	cfg_free(cfg);
	cfg = NULL;
	assert_int_equal(daemon_config_load_buffer("t.yaml", bad, strlen(bad), &cfg, &errs), -1);
	assert_int_equal(errs.n, 2);
	assert_non_null(strstr(errs.v[0].message, "percentage"));
	assert_non_null(strstr(errs.v[1].message, "no circuit \"nope\""));
	cfg_errors_clean(&errs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_from),
		cmocka_unit_test_setup_teardown(test_intervals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unobserved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_armed_by_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore, setup, teardown),
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_state_file),
		cmocka_unit_test(test_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
