/* test_log.c — logfmt/JSON output, level filter, rate limiter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

struct capture {
	int fds[2];
	struct log *lg;
	char buf[65536];
};

static int setup(void **state)
{
	struct capture *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	assert_int_equal(pipe(c->fds), 0);
	c->lg = log_new(c->fds[1], LOG_LVL_INFO, LOG_FMT_LOGFMT);
	assert_non_null(c->lg);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct capture *c = *state;

	log_free(c->lg);
	close(c->fds[0]);
	close(c->fds[1]);
	free(c);
	return 0;
}

/* Reads what was logged and drops the variable "ts=...Z " / "{"ts":"..."," prefix. */
static const char *drain(struct capture *c)
{
	ssize_t n;

	close(c->fds[1]);
	n = read(c->fds[0], c->buf, sizeof(c->buf) - 1);
	assert_true(n >= 0);
	c->buf[n] = '\0';
	assert_int_equal(pipe(c->fds), 0); /* fresh pipe for the next round */
	log_free(c->lg);
	c->lg = NULL;
	return c->buf;
}

static const char *strip_ts(const char *line)
{
	const char *p = strstr(line, "Z ");

	if (strncmp(line, "ts=", 3) == 0 && p != NULL)
		return p + 2;
	p = strstr(line, "Z\",");
	if (strncmp(line, "{\"ts\":\"", 7) == 0 && p != NULL)
		return p + 3;
	return line;
}

static void test_logfmt_escaping(void **state)
{
	struct capture *c = *state;

	log_info(c->lg, "peer up", "peer", "198.18.0.1", "reason", "hold timer \"expired\"",
		 "empty", "", "eq", "a=b", "nl", "x\ny");
	assert_string_equal(strip_ts(drain(c)),
			    "level=info msg=\"peer up\" peer=198.18.0.1 "
			    "reason=\"hold timer \\\"expired\\\"\" empty=\"\" eq=\"a=b\" nl=\"x\\ny\"\n");
}

static void test_json_lines_parse(void **state)
{
	struct capture *c = *state;
	json_error_t err;
	json_t *obj;
	const char *out;

	log_configure(c->lg, LOG_LVL_DEBUG, LOG_FMT_JSON);
	log_debug(c->lg, "weird \"msg\"", "k", "tab\there\\ \x01");
	out = drain(c);
	assert_string_equal(strip_ts(out), "\"level\":\"debug\",\"msg\":\"weird \\\"msg\\\"\","
					   "\"k\":\"tab\\u0009here\\\\ \\u0001\"}\n");
	obj = json_loads(out, 0, &err);
	assert_non_null(obj);
	assert_string_equal(json_string_value(json_object_get(obj, "k")), "tab\there\\ \x01");
	json_decref(obj);
}

static void test_level_filter(void **state)
{
	struct capture *c = *state;

	log_debug(c->lg, "hidden");
	log_warn(c->lg, "shown");
	assert_string_equal(strip_ts(drain(c)), "level=warn msg=shown\n");
}

static void test_truncation_keeps_json_valid(void **state)
{
	struct capture *c = *state;
	char *big = malloc(LOG_LINE_MAX * 2);
	json_error_t err;
	json_t *obj;
	const char *out;

	assert_non_null(big);
	memset(big, '"', LOG_LINE_MAX * 2 - 1);
	big[LOG_LINE_MAX * 2 - 1] = '\0';
	log_configure(c->lg, LOG_LVL_INFO, LOG_FMT_JSON);
	log_info(c->lg, "big", "small", "kept", "huge", big, "after", "dropped");
	out = drain(c);
	assert_true(strlen(out) <= LOG_LINE_MAX);
	obj = json_loads(out, 0, &err);
	assert_non_null(obj);
	assert_string_equal(json_string_value(json_object_get(obj, "small")), "kept");
	assert_null(json_object_get(obj, "huge"));
	assert_null(json_object_get(obj, "after"));
	assert_string_equal(json_string_value(json_object_get(obj, "truncated")), "true");
	json_decref(obj);
	free(big);
}

static void test_ratelimit(void **state)
{
	struct log_ratelimit rl = {0};
	uint32_t sup = 99;
	(void)state;

	for (int i = 0; i < LOG_RL_BURST; i++) {
		assert_true(log_rl_allow(&rl, 1000 + (uint64_t)i, &sup));
		assert_int_equal(sup, 0);
	}
	for (int i = 0; i < 7; i++)
		assert_false(log_rl_allow(&rl, 2000, &sup));
	/* still inside the window */
	assert_false(log_rl_allow(&rl, 1000 + LOG_RL_WINDOW_MS - 1, &sup));
	/* a new window: allowed, and it reports what was dropped */
	assert_true(log_rl_allow(&rl, 1000 + LOG_RL_WINDOW_MS, &sup));
	assert_int_equal(sup, 8);
	assert_true(log_rl_allow(&rl, 1000 + LOG_RL_WINDOW_MS + 1, &sup));
	assert_int_equal(sup, 0);
}

static void test_limited_output(void **state)
{
	struct capture *c = *state;
	struct log_ratelimit rl = {0};
	const char *out;
	int lines = 0;

	for (int i = 0; i < 50; i++)
		log_kv_limited(c->lg, &rl, LOG_LVL_ERROR, "bad packet", "peer", "198.18.0.9",
			       (const char *)0);
	out = drain(c);
	for (const char *p = out; *p != '\0'; p++)
		lines += (*p == '\n');
	assert_int_equal(lines, LOG_RL_BURST);
	assert_int_equal(rl.suppressed, 50 - LOG_RL_BURST);
}

static void test_parse_names(void **state)
{
	enum log_level l;
	enum log_format f;
	(void)state;

	assert_int_equal(log_level_parse("warn", &l), 0);
	assert_int_equal(l, LOG_LVL_WARN);
	assert_int_equal(log_level_parse("WARN", &l), -1);
	assert_int_equal(log_level_parse("verbose", &l), -1);
	assert_int_equal(log_format_parse("json", &f), 0);
	assert_int_equal(f, LOG_FMT_JSON);
	assert_int_equal(log_format_parse("text", &f), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_logfmt_escaping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_lines_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncation_keeps_json_valid, setup, teardown),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test_setup_teardown(test_limited_output, setup, teardown),
		cmocka_unit_test(test_parse_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
