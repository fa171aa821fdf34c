/* test_procmetrics.c — cmocka tests for collector/daemon/procmetrics.c:
 * /proc/self/stat parsing (a command name with spaces and parentheses),
 * and the process_* series of this very process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "procmetrics.h"

/* utime 250, stime 150 ticks; starttime 12345 ticks; vsize; rss 300 pages */
static const char stat_line[] =
	"4242 (cw (a) b) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 7 0 12345 "
	"123456789 300 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";

static void test_parse_stat(void **state)
{
	struct procm_stat st;

	(void)state;
	assert_int_equal(procm_parse_stat(stat_line, 100, 4096, &st), 0);
	assert_true(st.cpu_seconds == 4.0);
	assert_true(st.start_seconds == 123.45);
	assert_true(st.vsize == 123456789.0);
	assert_true(st.rss == 300.0 * 4096);
}

static void test_parse_stat_refused(void **state)
{
	struct procm_stat st;

	(void)state;
	assert_int_equal(procm_parse_stat("4242 (cw) S 1 2 3", 100, 4096, &st), -1);
	assert_int_equal(procm_parse_stat("no parenthesis", 100, 4096, &st), -1);
	assert_int_equal(procm_parse_stat(stat_line, 0, 4096, &st), -1);
}

/* The value of the family's series with these labels ("" for none), or -1. */
static double value_of(struct metrics_registry *reg, const char *name, const char *labels)
{
	struct metrics_snapshot *snap = metrics_snapshot_take(reg);
	double v = -1;

	assert_non_null(snap);
	for (size_t i = 0; i < snap->nfamilies; i++) {
		const struct metrics_snap_family *f = &snap->families[i];

		for (size_t j = 0; strcmp(f->name, name) == 0 && j < f->nseries; j++)
			if (strcmp(f->series[j].labels, labels) == 0)
				v = f->series[j].value;
	}
	metrics_snapshot_free(reg, snap);
	return v;
}

static void test_self(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct procm *p = procm_new(reg);
	double now = (double)time(NULL), fds, start;
	int extra[8];

	(void)state;
	assert_non_null(p);
	start = value_of(reg, "process_start_time_seconds", "");
	/* this test started a moment ago (the boot time has 1 s resolution) */
	assert_true(start > now - 30 && start <= now + 2);
	assert_true(value_of(reg, "process_resident_memory_bytes", "") > 100000);
	assert_true(value_of(reg, "process_virtual_memory_bytes", "") >=
		    value_of(reg, "process_resident_memory_bytes", ""));
	assert_true(value_of(reg, "process_max_fds", "") >= 64);
	assert_true(value_of(reg, "process_cpu_seconds_total", "") >= 0);
	fds = value_of(reg, "process_open_fds", "");
	assert_true(fds >= 3);
	for (int i = 0; i < 8; i++)
		assert_true((extra[i] = open("/dev/null", O_RDONLY)) >= 0);
	procm_update(p);
	assert_true(value_of(reg, "process_open_fds", "") == fds + 8);
	for (int i = 0; i < 8; i++)
		close(extra[i]);
	/* a round: reports of one component add up; a new one gets a series */
	procm_memory_begin(p);
	procm_memory_report(p, "rib", 12000);
	procm_memory_report(p, "rib", 345);
	procm_memory_report(p, "widgets", 7);
	procm_memory_end(p);
	assert_true(value_of(reg, "circuitwatch_memory_bytes", "component=\"rib\"") == 12345);
	assert_true(value_of(reg, "circuitwatch_memory_bytes", "component=\"widgets\"") == 7);
	assert_true(value_of(reg, "circuitwatch_memory_bytes", "component=\"kafka_spool\"") == 0);
	/* the next round starts from zero: what is not reported is 0 */
	procm_memory_begin(p);
	procm_memory_report(p, "attributes", 10);
	procm_memory_end(p);
	assert_true(value_of(reg, "circuitwatch_memory_bytes", "component=\"rib\"") == 0);
	assert_true(value_of(reg, "circuitwatch_memory_bytes", "component=\"attributes\"") == 10);
	procm_free(p);
	metrics_registry_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_stat),
		cmocka_unit_test(test_parse_stat_refused),
		cmocka_unit_test(test_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
