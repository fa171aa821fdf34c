/* test_api.c — unit tests for the pure parts of the JSON API and the
 * status page (exporters/prometheus/api.h): prefix parsing, snapshot
 * labels, attribute sets as JSON, the status built from a registry, and
 * the page's escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "metrics.h"

/* ---- prefixes ---- */

static void test_prefix_parse(void **state)
{
	static const struct {
		const char *in, *out; /* out NULL: refused */
	} cases[] = {
		{"192.0.2.0/24", "192.0.2.0/24"},
		{"192.0.2.77/24", "192.0.2.0/24"}, /* host bits cleared */
		{"10.1.2.3", "10.1.2.3/32"},
		{"0.0.0.0/0", "0.0.0.0/0"},
		{"2001:db8::/32", "2001:db8::/32"},
		{"2001:db8:ffff::1/33", "2001:db8:8000::/33"},
		{"::1", "::1/128"},
		{"192.0.2.0/33", NULL},
		{"2001:db8::/129", NULL},
		{"192.0.2.0/", NULL},
		{"192.0.2.0/-1", NULL},
		{"192.0.2.0/2x", NULL},
		{"192.0.2.0/0024", NULL},
		{"999.0.0.0/8", NULL},
		{"/8", NULL},
		{"", NULL},
		{"banana", NULL},
		{"192.0.2.0/24/8", NULL},
	};
	char err[128], buf[64];
	struct rib_prefix p;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = api_parse_prefix(cases[i].in, &p, err, sizeof(err));

		if (cases[i].out == NULL) {
			assert_int_equal(rc, -1);
			assert_true(strlen(err) > 0);
			continue;
		}
		assert_int_equal(rc, 0);
		api_format_prefix(&p, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].out);
	}
	assert_int_equal(api_parse_prefix(NULL, &p, err, sizeof(err)), -1);
}

/* ---- labels ---- */

static void test_labels(void **state)
{
	const char *l = "a=\"x\",bb=\"y \\\"q\\\" \\\\ z\\n\",b=\"w\",c=\"\"";
	char out[64];

	(void)state;
	assert_true(api_label(l, "a", out, sizeof(out)));
	assert_string_equal(out, "x");
	assert_true(api_label(l, "bb", out, sizeof(out)));
	assert_string_equal(out, "y \"q\" \\ z\n");
	assert_true(api_label(l, "b", out, sizeof(out)));
	assert_string_equal(out, "w");
	assert_true(api_label(l, "c", out, sizeof(out)));
	assert_string_equal(out, "");
	assert_false(api_label(l, "d", out, sizeof(out)));
	assert_false(api_label("", "a", out, sizeof(out)));
	assert_true(api_label(l, "bb", out, 4)); /* cut to the buffer */
	assert_string_equal(out, "y \"");
}

/* ---- attributes ---- */

static size_t put(uint8_t *k, size_t off, uint8_t type, const void *v, size_t n)
{
	k[off] = type;
	k[off + 1] = (uint8_t)(n >> 8);
	k[off + 2] = (uint8_t)n;
	memcpy(k + off + 3, v, n);
	return off + 3 + n;
}

static void test_attrs(void **state)
{
	static const uint8_t origin = 0;
	static const uint8_t path4[] = {2, 2, 0, 0, 0x2f, 0x2c, 0, 0, 0, 174, 1, 1, 0, 0, 0, 1};
	static const uint8_t nh[] = {198, 18, 2, 1};
	static const uint8_t comm[] = {0x2f, 0x2c, 0, 1, 0xff, 0xff, 0xff, 0x01};
	static const uint8_t odd[] = {0xde, 0xad};
	uint32_t med = 50, lp = 200;
	uint8_t key[256];
	size_t n = 0;
	json_t *j;
	char *s;

	(void)state;
	n = put(key, n, 1, &origin, 1);
	n = put(key, n, 2, path4, sizeof(path4));
	n = put(key, n, 3, nh, sizeof(nh));
	n = put(key, n, 4, &med, 4);
	n = put(key, n, 5, &lp, 4);
	n = put(key, n, 8, comm, sizeof(comm));
	n = put(key, n, 99, odd, sizeof(odd));
	j = api_attrs_json(key, n);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"as_path\":\"12076 174 {1}\",\"communities\":[\"12076:1\","
			       "\"65535:65281\"],\"local_pref\":200,\"med\":50,\"next_hop\":"
			       "\"198.18.2.1\",\"origin\":\"igp\",\"other\":[{\"type\":99,"
			       "\"value\":\"dead\"}]}");
	free(s);
	json_decref(j);
	/* a 2-byte path, and a key cut short: what came before stands */
	{
		static const uint8_t path2[] = {2, 2, 0x2f, 0x2c, 0, 174};

		n = put(key, 0, 2, path2, sizeof(path2));
		key[n] = 3;
		key[n + 1] = 0;
		key[n + 2] = 9; /* 9 bytes announced, none there */
		j = api_attrs_json(key, n + 3);
		assert_string_equal(json_string_value(json_object_get(j, "as_path")), "12076 174");
		assert_null(json_object_get(j, "next_hop"));
		json_decref(j);
	}
	j = api_attrs_json(NULL, 0);
	assert_int_equal(json_object_size(j), 0);
	json_decref(j);
}

/* ---- the status from a registry ---- */

static struct metrics_family *family(struct metrics_registry *reg, enum metrics_type type,
				     const char *name, size_t n, const char *const *labels)
{
	const struct metrics_family_def d = {type, name, "h", NULL, n, labels, 0, NULL};
	struct metrics_family *f = metrics_family_new(reg, &d);

	assert_non_null(f);
	return f;
}

static void set(struct metrics_family *f, const char *const *values, double v)
{
	struct metrics_series *s = metrics_series_get(f, values);

	assert_non_null(s);
	metrics_gauge_set(s, v);
}

static void info(struct metrics_family *f, const char *const *values)
{
	assert_non_null(metrics_series_get(f, values));
}

static const char *const sess_l[] = {"source", "router", "peer", "peer_as", "rd",
				     "circuit", "link", "peering"};

static void fill_registry(struct metrics_registry *reg)
{
	static const char *const ci[] = {"circuit", "provider", "tier", "data_plan",
					 "bandwidth", "billing_plan", "location"};
	static const char *const li[] = {"circuit", "link", "interface", "s_tag"};
	static const char *const pi[] = {"circuit", "link", "peering", "vlan", "local_as"};
	static const char *const ni[] = {"circuit", "link", "peering", "peer", "peer_as"};
	static const char *const cl[] = {"circuit", "link"};
	static const char *const c1[] = {"circuit"};
	static const char *const alert_l[] = {"alertname", "alertstate", "severity", "circuit",
					      "link", "peering"};
	struct metrics_family *up, *al;

	info(family(reg, METRICS_INFO, "circuitwatch_circuit_info", 7, ci),
	     (const char *const[]){"er-<1>", "expressroute", "standard", "metered", "1Gbps", "",
				   ""});
	info(family(reg, METRICS_INFO, "circuitwatch_link_info", 4, li),
	     (const char *const[]){"er-<1>", "primary", "eth1", ""});
	info(family(reg, METRICS_INFO, "circuitwatch_peering_info", 5, pi),
	     (const char *const[]){"er-<1>", "primary", "private", "100", ""});
	info(family(reg, METRICS_INFO, "circuitwatch_bgp_peer_info", 5, ni),
	     (const char *const[]){"er-<1>", "primary", "private", "192.0.2.1", "12076"});
	up = family(reg, METRICS_GAUGE, "circuitwatch_bgp_session_up", 8, sess_l);
	set(up, (const char *const[]){"bmp", "r1", "192.0.2.1", "12076", "", "er-<1>", "primary",
				      "private"}, 0);
	set(up, (const char *const[]){"bmp", "r1", "203.0.113.9", "65000", "", "", "", ""}, 1);
	set(family(reg, METRICS_GAUGE, "circuitwatch_link_sessions_up", 2, cl),
	    (const char *const[]){"er-<1>", "primary"}, 0);
	set(family(reg, METRICS_GAUGE, "circuitwatch_link_sessions_configured", 2, cl),
	    (const char *const[]){"er-<1>", "primary"}, 1);
	set(family(reg, METRICS_GAUGE, "circuitwatch_circuit_sla_target_ratio", 1, c1),
	    (const char *const[]){"er-<1>"}, 0.9995);
	/* a cycle's budget of 1,339 s with 300 s left: under a quarter */
	set(family(reg, METRICS_GAUGE, "circuitwatch_circuit_sla_downtime_budget_seconds", 1, c1),
	    (const char *const[]){"er-<1>"}, 1339);
	set(family(reg, METRICS_GAUGE, "circuitwatch_circuit_sla_downtime_remaining_seconds", 1,
		   c1),
	    (const char *const[]){"er-<1>"}, 300);
	al = family(reg, METRICS_GAUGE, "circuitwatch_alerts", 6, alert_l);
	set(al, (const char *const[]){"BgpSessionDown", "firing", "critical", "er-<1>", "primary",
				      "private"}, 1);
	set(al, (const char *const[]){"Pending", "pending", "warning", "er-<1>", "", ""}, 1);
}

static const struct api_down down = {1700000000.0, "remote-notification"};

static const struct api_down *down_fn(void *arg, const char *router, const char *peer,
				      const char *rd)
{
	(void)arg;
	(void)rd;
	return strcmp(router, "r1") == 0 && strcmp(peer, "192.0.2.1") == 0 ? &down : NULL;
}

static bool reasons_have(const json_t *c, const char *want)
{
	const json_t *r = json_object_get(c, "reasons");

	for (size_t i = 0; i < json_array_size(r); i++)
		if (strcmp(json_string_value(json_array_get(r, i)), want) == 0)
			return true;
	return false;
}

static void test_status(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_snapshot *snap;
	json_t *st, *c, *s, *ss;
	char *html;
	size_t len;

	(void)state;
	fill_registry(reg);
	snap = metrics_snapshot_take(reg);
	st = api_status_json(snap, 1700000100.0, down_fn, NULL);
	c = json_array_get(json_object_get(st, "circuits"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "circuit")), "er-<1>");
	assert_string_equal(json_string_value(json_object_get(c, "state")), "red");
	s = json_array_get(json_object_get(json_array_get(json_object_get(json_array_get(
		json_object_get(c, "links"), 0), "peerings"), 0), "sessions"), 0);
	assert_string_equal(json_string_value(json_object_get(s, "state")), "down");
	assert_string_equal(json_string_value(json_object_get(s, "last_down_reason")),
			    "remote-notification");
	assert_int_equal(json_array_size(json_object_get(st, "alerts")), 1); /* firing only */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(st,
		"sessions_unmapped"), "up")), 1);
	assert_true(json_number_value(json_object_get(json_object_get(c, "sla"), "target")) > 0.99);
	assert_true(json_number_value(json_object_get(json_object_get(c, "sla"),
						      "downtime_budget_seconds")) == 1339);
	assert_true(reasons_have(c, "SLA budget low: 300 s of downtime left"));
	/* the page: escaped names, the red badge, no script */
	html = api_page_html(st, &len);
	assert_non_null(html);
	assert_int_equal(strlen(html), len);
	assert_non_null(strstr(html, "er-&lt;1&gt;"));
	assert_null(strstr(html, "er-<1>"));
	assert_non_null(strstr(html, "badge red"));
	assert_non_null(strstr(html, "http-equiv=\"refresh\""));
	assert_null(strstr(html, "<script"));
	free(html);
	ss = api_sessions_json(snap, 1, NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(ss, "sessions")), 1);
	assert_true(json_is_true(json_object_get(ss, "truncated")));
	assert_int_equal(json_integer_value(json_object_get(ss, "total")), 2);
	json_decref(ss);
	json_decref(st);
	metrics_snapshot_free(reg, snap);
	metrics_registry_free(reg);
}

static void test_escape(void **state)
{
	struct api_buf b = {0};

	(void)state;
	api_buf_escaped(&b, "<a href=\"x\">'&'</a>");
	assert_string_equal(b.p, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
	api_buf_printf(&b, "%d", 42);
	assert_string_equal(b.p + b.len - 2, "42");
	free(b.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_parse), cmocka_unit_test(test_labels),
		cmocka_unit_test(test_attrs),        cmocka_unit_test(test_status),
		cmocka_unit_test(test_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
