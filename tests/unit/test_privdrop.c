/* test_privdrop.c — cmocka tests for collector/daemon/privdrop.c: the
 * capabilities kept after the drop, as a table of configs, and the
 * daemon.user key. The drop itself needs root: tests/integration/
 * test_privdrop.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "daemon_config.h"
#include "privdrop.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define K(maj, min) ((maj) * 1000u + (min))

static const char head[] = "circuits:\n"
			   "  - id: c1\n"
			   "    provider: expressroute\n"
			   "    sku: {tier: standard, data_plan: unlimited}\n"
			   "    bandwidth: 1Gbps\n"
			   "    links:\n"
			   "      primary:\n";

struct caps_case {
	const char *name;
	const char *top;   /* top-level YAML before circuits */
	const char *link;  /* YAML of the primary link (8 spaces in) */
	unsigned kernel;
	bool dgram_ok;     /* ping_group_range lets the user's groups in */
	unsigned want;
	const char *why;   /* a piece of the reason; NULL when none */
};

static const struct caps_case caps_cases[] = {
	{"no probes: nothing", "", "        interface: eth1\n", K(6, 1), false, 0, NULL},
	{"icmp auto, datagram closed: raw", "",
	 "        probes: [{type: icmp, target: 198.18.0.1}]\n", K(6, 1), false, PRIV_CAP_NET_RAW,
	 "raw ICMP"},
	{"icmp auto, datagram open: nothing", "",
	 "        probes: [{type: icmp, target: 198.18.0.1}]\n", K(6, 1), true, 0, NULL},
	{"icmp raw forced, datagram open: raw", "probes: {icmp_socket: raw}\n",
	 "        probes: [{type: icmp, target: 198.18.0.1}]\n", K(6, 1), true, PRIV_CAP_NET_RAW,
	 "raw ICMP"},
	{"icmp datagram only: nothing", "probes: {icmp_socket: datagram}\n",
	 "        probes: [{type: icmp, target: 198.18.0.1}]\n", K(6, 1), false, 0, NULL},
	{"probes disabled: nothing", "probes: {enabled: false}\n",
	 "        probes: [{type: icmp, target: 198.18.0.1}]\n", K(6, 1), false, 0, NULL},
	{"tcp probe on the link's interface, 5.7: nothing", "",
	 "        interface: eth1\n"
	 "        probes: [{type: tcp, target: 198.18.0.1, port: 443}]\n",
	 K(5, 7), false, 0, NULL},
	{"tcp probe on the link's interface, 5.6: SO_BINDTODEVICE", "",
	 "        interface: eth1\n"
	 "        probes: [{type: tcp, target: 198.18.0.1, port: 443}]\n",
	 K(5, 6), false, PRIV_CAP_NET_RAW, "SO_BINDTODEVICE"},
	{"stamp probe with a source, 4.19: no device, nothing", "",
	 "        interface: eth1\n"
	 "        probes: [{type: stamp, target: 198.18.0.1, source: 198.18.0.2}]\n",
	 K(4, 19), false, 0, NULL},
	{"stamp probe with its own interface, 4.19: SO_BINDTODEVICE", "",
	 "        probes: [{type: stamp, target: 198.18.0.1, interface: eth9}]\n", K(4, 19), false,
	 PRIV_CAP_NET_RAW, "SO_BINDTODEVICE"},
	{"unknown kernel counts as old", "",
	 "        probes: [{type: tcp, target: 198.18.0.1, port: 22, interface: eth9}]\n", 0,
	 false, PRIV_CAP_NET_RAW, "SO_BINDTODEVICE"},
};

static void test_caps(void **state)
{
	const struct caps_case *tc = *state;
	char yaml[2048];
	struct cfg_config *cfg = NULL;
	struct cfg_errors errs = {0};
	const char *why = "unset";

	snprintf(yaml, sizeof(yaml), "%s%s%s%s", tc->top, head, tc->link,
		 "        peerings: [{type: private, neighbors: [{address: 198.18.0.9}]}]\n");
	if (daemon_config_load_buffer("t.yaml", yaml, strlen(yaml), &cfg, &errs) != 0) {
		cfg_errors_print(&errs, stderr);
		fail_msg("%s: config refused", tc->name);
	}
	assert_int_equal(priv_runtime_caps(cfg, tc->kernel, tc->dgram_ok, &why), tc->want);
	if (tc->why == NULL)
		assert_null(why);
	else
		assert_non_null(strstr(why, tc->why));
	cfg_free(cfg);
}

static void test_daemon_user_key(void **state)
{
	static const char ok[] = "daemon: {user: circuitwatch}\n";
	struct cfg_config *cfg = NULL;
	struct cfg_errors errs = {0};

	(void)state;
	assert_int_equal(daemon_config_load_buffer("t.yaml", ok, strlen(ok), &cfg, &errs), 0);
	assert_string_equal(daemon_config(cfg)->user, "circuitwatch");
	cfg_free(cfg);
	assert_int_equal(daemon_config_load_buffer("t.yaml", "{}", 2, &cfg, &errs), 0);
	assert_null(daemon_config(cfg)->user);
	cfg_free(cfg);
}

static void test_daemon_user_refused(void **state)
{
	static const char *const bad[] = {
		"daemon: {user: -rf}\n", "daemon: {user: \"a b\"}\n",
		"daemon: {user: abcdefghijabcdefghijabcdefghijabc}\n", /* 33 */
		"daemon: {usr: x}\n",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct cfg_config *cfg = NULL;
		struct cfg_errors errs = {0};

		assert_int_equal(daemon_config_load_buffer("t.yaml", bad[i], strlen(bad[i]), &cfg, &errs), -1);
		assert_null(cfg);
		assert_int_equal(errs.n, 1);
		assert_non_null(strstr(errs.v[0].message, "daemon"));
		cfg_errors_clean(&errs);
	}
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_LEN(caps_cases) + 2];

	for (size_t i = 0; i < ARRAY_LEN(caps_cases); i++)
		tests[i] = (struct CMUnitTest){
			.name = caps_cases[i].name,
			.test_func = test_caps,
			.initial_state = (void *)&caps_cases[i],
		};
	tests[ARRAY_LEN(caps_cases)] =
		(struct CMUnitTest)cmocka_unit_test(test_daemon_user_key);
	tests[ARRAY_LEN(caps_cases) + 1] =
		(struct CMUnitTest)cmocka_unit_test(test_daemon_user_refused);
	return _cmocka_run_group_tests("privdrop", tests, ARRAY_LEN(tests), NULL, NULL);
}
