/* test_expo.c — unit tests for the exposition formats (exporters/prometheus/expo.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "expo.h"
#include "metrics.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Renders reg in fmt into a NUL-terminated string the caller frees. */
static char *render(struct metrics_registry *reg, enum expo_format fmt)
{
	struct metrics_snapshot *snap = metrics_snapshot_take(reg);
	struct expo_buf b = { 0 };

	assert_non_null(snap);
	assert_int_equal(expo_render(snap, fmt, &b), 0);
	metrics_snapshot_free(reg, snap);
	assert_non_null(b.data);
	assert_int_equal(strlen(b.data), b.len);
	return b.data;
}

static struct metrics_family *family(struct metrics_registry *reg, enum metrics_type type,
				     const char *name, const char *help, const char *unit,
				     size_t nlabels, const char *const *labels, size_t nbuckets,
				     const double *buckets)
{
	struct metrics_family_def def = { type, name, help, unit, nlabels, labels, nbuckets, buckets };
	struct metrics_family *fam = metrics_family_new(reg, &def);

	assert_non_null(fam);
	return fam;
}

/* ---- a small registry, rendered exactly ---- */

static const char *const l_circuit_peer[] = { "circuit", "peer" };
static const char *const l_circuit[] = { "circuit" };
static const char *const l_link[] = { "link" };
static const char *const l_build[] = { "version", "commit" };
static const double rtt_bounds[] = { 0.005, 0.01, 0.1, 1 };
static const double size_bounds[] = { 1000, 1e6 };

static struct metrics_registry *small_registry(void)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_family *f;
	const char *cp1[] = { "er-ams-1", "198.18.0.1" }, *cp0[] = { "er-ams-0", "198.18.0.2" };
	const char *c0[] = { "er-ams-0" }, *prim[] = { "primary" };
	const char *build[] = { "0.1.0", "abc123" };
	struct metrics_series *s;

	/* Created out of name order on purpose: output is sorted. */
	f = family(reg, METRICS_HISTOGRAM, "cw_scrape_size_bytes", "Size of the last scrape.",
		   "bytes", 0, NULL, 2, size_bounds);
	metrics_histogram_observe(metrics_series_get(f, NULL), 500);
	f = family(reg, METRICS_COUNTER, "cw_bgp_updates_total", "BGP updates received.", NULL, 2,
		   l_circuit_peer, 0, NULL);
	metrics_counter_add(metrics_series_get(f, cp1), 42);
	metrics_counter_add(metrics_series_get(f, cp0), 7.5);
	f = family(reg, METRICS_GAUGE, "cw_circuits", "Configured circuits.", NULL, 0, NULL, 0, NULL);
	metrics_gauge_set(metrics_series_get(f, NULL), 3);
	f = family(reg, METRICS_INFO, "cw_build_info", "Build information.", NULL, 2, l_build, 0, NULL);
	assert_non_null(metrics_series_get(f, build));
	(void)family(reg, METRICS_GAUGE, "cw_idle", "Never set.", NULL, 1, l_circuit, 0, NULL);
	f = family(reg, METRICS_HISTOGRAM, "cw_probe_rtt_seconds", "Probe round-trip time.",
		   "seconds", 1, l_link, 4, rtt_bounds);
	s = metrics_series_get(f, prim);
	metrics_histogram_observe(s, 0.00390625); /* powers of two: an exact sum */
	metrics_histogram_observe(s, 0.0625);
	metrics_histogram_observe(s, 0.5);
	metrics_histogram_observe(s, 2);
	f = family(reg, METRICS_COUNTER, "cw_rx_bytes_total", "Bytes received.", "bytes", 1,
		   l_circuit, 0, NULL);
	metrics_counter_set(metrics_series_get(f, c0), 123456789.123);
	return reg;
}

static const char small_text[] =
	"# HELP cw_bgp_updates_total BGP updates received.\n"
	"# TYPE cw_bgp_updates_total counter\n"
	"cw_bgp_updates_total{circuit=\"er-ams-0\",peer=\"198.18.0.2\"} 7.5\n"
	"cw_bgp_updates_total{circuit=\"er-ams-1\",peer=\"198.18.0.1\"} 42\n"
	"# HELP cw_build_info Build information.\n"
	"# TYPE cw_build_info gauge\n"
	"cw_build_info{version=\"0.1.0\",commit=\"abc123\"} 1\n"
	"# HELP cw_circuits Configured circuits.\n"
	"# TYPE cw_circuits gauge\n"
	"cw_circuits 3\n"
	"# HELP cw_idle Never set.\n"
	"# TYPE cw_idle gauge\n"
	"# HELP cw_probe_rtt_seconds Probe round-trip time.\n"
	"# TYPE cw_probe_rtt_seconds histogram\n"
	"cw_probe_rtt_seconds_bucket{link=\"primary\",le=\"0.005\"} 1\n"
	"cw_probe_rtt_seconds_bucket{link=\"primary\",le=\"0.01\"} 1\n"
	"cw_probe_rtt_seconds_bucket{link=\"primary\",le=\"0.1\"} 2\n"
	"cw_probe_rtt_seconds_bucket{link=\"primary\",le=\"1.0\"} 3\n"
	"cw_probe_rtt_seconds_bucket{link=\"primary\",le=\"+Inf\"} 4\n"
	"cw_probe_rtt_seconds_sum{link=\"primary\"} 2.56640625\n"
	"cw_probe_rtt_seconds_count{link=\"primary\"} 4\n"
	"# HELP cw_rx_bytes_total Bytes received.\n"
	"# TYPE cw_rx_bytes_total counter\n"
	"cw_rx_bytes_total{circuit=\"er-ams-0\"} 123456789.123\n"
	"# HELP cw_scrape_size_bytes Size of the last scrape.\n"
	"# TYPE cw_scrape_size_bytes histogram\n"
	"cw_scrape_size_bytes_bucket{le=\"1000.0\"} 1\n"
	"cw_scrape_size_bytes_bucket{le=\"1000000.0\"} 1\n"
	"cw_scrape_size_bytes_bucket{le=\"+Inf\"} 1\n"
	"cw_scrape_size_bytes_sum 500\n"
	"cw_scrape_size_bytes_count 1\n";

static const char small_openmetrics[] =
	"# HELP cw_bgp_updates BGP updates received.\n"
	"# TYPE cw_bgp_updates counter\n"
	"cw_bgp_updates_total{circuit=\"er-ams-0\",peer=\"198.18.0.2\"} 7.5\n"
	"cw_bgp_updates_total{circuit=\"er-ams-1\",peer=\"198.18.0.1\"} 42\n"
	"# HELP cw_build Build information.\n"
	"# TYPE cw_build info\n"
	"cw_build_info{version=\"0.1.0\",commit=\"abc123\"} 1\n"
	"# HELP cw_circuits Configured circuits.\n"
	"# TYPE cw_circuits gauge\n"
	"cw_circuits 3\n"
	"# HELP cw_idle Never set.\n"
	"# TYPE cw_idle gauge\n"
	"# HELP cw_probe_rtt_seconds Probe round-trip time.\n"
	"# TYPE cw_probe_rtt_seconds histogram\n"
	"# UNIT cw_probe_rtt_seconds seconds\n"
	"cw_probe_rtt_seconds_bucket{link=\"primary\",le=\"0.005\"} 1\n"
	"cw_probe_rtt_seconds_bucket{link=\"primary\",le=\"0.01\"} 1\n"
	"cw_probe_rtt_seconds_bucket{link=\"primary\",le=\"0.1\"} 2\n"
	"cw_probe_rtt_seconds_bucket{link=\"primary\",le=\"1.0\"} 3\n"
	"cw_probe_rtt_seconds_bucket{link=\"primary\",le=\"+Inf\"} 4\n"
	"cw_probe_rtt_seconds_sum{link=\"primary\"} 2.56640625\n"
	"cw_probe_rtt_seconds_count{link=\"primary\"} 4\n"
	"# HELP cw_rx_bytes Bytes received.\n"
	"# TYPE cw_rx_bytes counter\n"
	"# UNIT cw_rx_bytes bytes\n"
	"cw_rx_bytes_total{circuit=\"er-ams-0\"} 123456789.123\n"
	"# HELP cw_scrape_size_bytes Size of the last scrape.\n"
	"# TYPE cw_scrape_size_bytes histogram\n"
	"# UNIT cw_scrape_size_bytes bytes\n"
	"cw_scrape_size_bytes_bucket{le=\"1000.0\"} 1\n"
	"cw_scrape_size_bytes_bucket{le=\"1000000.0\"} 1\n"
	"cw_scrape_size_bytes_bucket{le=\"+Inf\"} 1\n"
	"cw_scrape_size_bytes_sum 500\n"
	"cw_scrape_size_bytes_count 1\n"
	"# EOF\n";

static void test_render_text(void **state)
{
	struct metrics_registry *reg = small_registry();
	char *out = render(reg, EXPO_TEXT);

	(void)state;
	assert_string_equal(out, small_text);
	free(out);
	metrics_registry_free(reg);
}

static void test_render_openmetrics(void **state)
{
	struct metrics_registry *reg = small_registry();
	char *out = render(reg, EXPO_OPENMETRICS);

	(void)state;
	assert_string_equal(out, small_openmetrics);
	free(out);
	metrics_registry_free(reg);
}

/* Rendering appends and leaves earlier content alone; empty registries. */
static void test_render_appends(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_snapshot *snap = metrics_snapshot_take(reg);
	struct expo_buf b = { 0 };

	(void)state;
	assert_int_equal(expo_render(snap, EXPO_TEXT, &b), 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(expo_render(snap, EXPO_OPENMETRICS, &b), 0);
	assert_string_equal(b.data, "# EOF\n");
	metrics_snapshot_free(reg, snap);
	metrics_registry_free(reg);

	reg = small_registry();
	snap = metrics_snapshot_take(reg);
	assert_int_equal(expo_render(snap, EXPO_TEXT, &b), 0);
	assert_int_equal(b.len, 6 + strlen(small_text));
	assert_memory_equal(b.data, "# EOF\n", 6);
	assert_string_equal(b.data + 6, small_text);
	assert_true(b.cap > b.len);
	assert_int_equal(expo_render(NULL, EXPO_TEXT, &b), -1);
	assert_int_equal(b.len, 6 + strlen(small_text));
	metrics_snapshot_free(reg, snap);
	expo_buf_clean(&b);
	assert_null(b.data);
	assert_int_equal(b.len + b.cap, 0);
	expo_buf_clean(NULL);
	metrics_registry_free(reg);
}

/* ---- escaping ---- */

static void test_escaping(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	static const char *const names[] = { "desc" };
	const char *v[] = { "C:\\path \"quoted\"\nline 2 Z\xc3\xbcrich \xe2\x9c\x93" };
	struct metrics_family *f = family(reg, METRICS_GAUGE, "cw_note",
					  "Back\\slash \"quote\"\nnext Z\xc3\xbcrich", NULL, 1, names,
					  0, NULL);
	char *out;

	(void)state;
	metrics_gauge_set(metrics_series_get(f, v), 1);
	out = render(reg, EXPO_TEXT);
	assert_string_equal(out,
		"# HELP cw_note Back\\\\slash \"quote\"\\nnext Z\xc3\xbcrich\n"
		"# TYPE cw_note gauge\n"
		"cw_note{desc=\"C:\\\\path \\\"quoted\\\"\\nline 2 Z\xc3\xbcrich \xe2\x9c\x93\"} 1\n");
	free(out);
	out = render(reg, EXPO_OPENMETRICS);
	assert_string_equal(out,
		"# HELP cw_note Back\\\\slash \\\"quote\\\"\\nnext Z\xc3\xbcrich\n"
		"# TYPE cw_note gauge\n"
		"cw_note{desc=\"C:\\\\path \\\"quoted\\\"\\nline 2 Z\xc3\xbcrich \xe2\x9c\x93\"} 1\n"
		"# EOF\n");
	free(out);
	metrics_registry_free(reg);
}

/* No help, no HELP line (either format). */
static void test_no_help(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	char *out;

	(void)state;
	(void)family(reg, METRICS_GAUGE, "a", NULL, NULL, 0, NULL, 0, NULL);
	(void)family(reg, METRICS_GAUGE, "b", "", NULL, 0, NULL, 0, NULL);
	out = render(reg, EXPO_TEXT);
	assert_string_equal(out, "# TYPE a gauge\n# TYPE b gauge\n");
	free(out);
	metrics_registry_free(reg);
}

/* ---- numbers ---- */

struct number_case {
	double value;
	const char *text;
};

static const struct number_case number_cases[] = {
	{ 0, "0" },
	{ -0.0, "0" },
	{ 1, "1" },
	{ -1, "-1" },
	{ 42, "42" },
	{ -3, "-3" },
	{ 1234567890123, "1234567890123" },
	{ 9007199254740991.0, "9007199254740991" },        /* 2^53 - 1: integer path */
	{ 9007199254740992.0, "9007199254740992" },        /* 2^53: %.16g */
	{ -9007199254740992.0, "-9007199254740992" },
	{ 1e15, "1000000000000000" },
	{ 1e21, "1e+21" },
	{ 1e100, "1e+100" },
	{ 0.1, "0.1" },
	{ -0.5, "-0.5" },
	{ 2.5, "2.5" },
	{ 0.0001, "0.0001" },
	{ 0.00012345, "0.00012345" },
	{ 1.5e-5, "1.5e-05" },
	{ 1e-7, "1e-07" },
	{ 123456789.123, "123456789.123" },
	{ 0.30000000000000004, "0.30000000000000004" },    /* needs %.17g */
	{ 1.0 / 3.0, "0.3333333333333333" },               /* needs %.16g */
	{ 123456789012345.6, "123456789012345.6" },
	{ 9.9999999999999982, "9.999999999999998" },
	{ 8.0000152587890625, "8.000015258789062" },       /* %.16g tie: to even */
	{ 8.0000457763671875, "8.000045776367188" },
	{ 1.0000457763671875, "1.0000457763671875" },
	{ 0.000123456789012345678, "0.00012345678901234567" },
	{ 4503599627370495.5, "4503599627370495.5" },
	{ 1e15 + 0.5, "1000000000000000.5" },
	{ 2.2250738585072014e-308, "2.2250738585072014e-308" },
	{ 1.7976931348623157e308, "1.7976931348623157e+308" },
	{ INFINITY, "+Inf" },
	{ -INFINITY, "-Inf" },
	{ NAN, "NaN" },
};

static void test_number_format(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_family *f = family(reg, METRICS_GAUGE, "g", NULL, NULL, 0, NULL, 0, NULL);
	struct metrics_series *s = metrics_series_get(f, NULL);
	char want[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(number_cases); i++) {
		char *out;
		metrics_gauge_set(s, number_cases[i].value);
		out = render(reg, EXPO_TEXT);
		snprintf(want, sizeof want, "# TYPE g gauge\ng %s\n", number_cases[i].text);
		if (strcmp(out, want) != 0)
			fail_msg("case %zu: got %s want %s", i, out, want);
		free(out);
	}
	metrics_registry_free(reg);
}

/* The reference the brief defines: integers below 2^53 plainly, else the
 * first of %.15g, %.16g, %.17g that reads back. */
static void reference_format(char *dst, size_t n, double v)
{
	if (isnan(v) || isinf(v)) {
		snprintf(dst, n, "%s", isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (fabs(v) < 9007199254740992.0 && v == (double)(int64_t)v) {
		snprintf(dst, n, "%" PRId64, (int64_t)v);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(dst, n, "%.*g", prec, v);
		if (strtod(dst, NULL) == v)
			return;
	}
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* A mix that exercises the fast decimal path and its edges. */
static double random_value(uint64_t *rng, unsigned i)
{
	char tmp[64];
	uint64_t r = xorshift(rng);
	double v;

	switch (i % 8) {
	case 0: /* d significant digits, k decimals */
		snprintf(tmp, sizeof tmp, "%" PRIu64 "e-%u", (r % UINT64_C(100000000000000000)) >> (r % 50),
			 (unsigned)(xorshift(rng) % 22));
		v = strtod(tmp, NULL);
		break;
	case 1: /* any finite bit pattern */
		do {
			r = xorshift(rng);
			memcpy(&v, &r, sizeof v);
		} while (!isfinite(v));
		break;
	case 2: /* around the 1e-4 and 1e15 boundaries */
		v = (r & 1 ? 1e-4 : 1e15) * (1 + (double)(r % 1000) / 1000.0 - 0.5);
		break;
	case 3: /* few-digit fractions such as rates and durations */
		v = (double)(r % 100000) / 1000.0;
		break;
	case 4: /* near 2^53 */
		v = 9007199254740992.0 - (double)(r % 64) / 4.0;
		break;
	case 5: /* any mantissa, exponent in the exact path's range */
		r = ((1009 + r % 64) << 52) | (xorshift(rng) & ((UINT64_C(1) << 52) - 1));
		memcpy(&v, &r, sizeof v);
		break;
	case 6: /* mantissa 1.0, 1.0 + ulp or all ones: power-of-two gaps */
		r = ((1009 + r % 64) << 52) | (r & 1 ? 0 : r & 2 ? 1 : (UINT64_C(1) << 52) - 1);
		memcpy(&v, &r, sizeof v);
		break;
	default: /* quotients: 16-17 digits */
		v = (double)(r % 1000000) / (double)(xorshift(rng) % 999 + 1);
		break;
	}
	return (r >> 63) ? -v : v;
}

#define FORMAT_SERIES 20000

/* The fast paths must print exactly what the reference prints. */
static void test_number_format_matches_reference(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	static const char *const names[] = { "i" };
	struct metrics_family *f = family(reg, METRICS_GAUGE, "g", NULL, NULL, 1, names, 0, NULL);
	double *values = calloc(FORMAT_SERIES, sizeof *values);
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	char label[16], want[64], *out, *line;
	const char *lv[] = { label };
	size_t seen = 0;

	(void)state;
	for (unsigned i = 0; i < FORMAT_SERIES; i++) {
		values[i] = random_value(&rng, i);
		snprintf(label, sizeof label, "%u", i);
		metrics_gauge_set(metrics_series_get(f, lv), values[i]);
	}
	out = render(reg, EXPO_TEXT);
	for (line = strstr(out, "\ng{"); line; line = strstr(line + 1, "\ng{")) {
		unsigned idx;
		int off = 0;
		if (sscanf(line, "\ng{i=\"%u\"} %n", &idx, &off) != 1 || off == 0 || idx >= FORMAT_SERIES)
			fail_msg("bad line near %.40s", line);
		reference_format(want, sizeof want, values[idx]);
		if (strncmp(line + off, want, strlen(want)) != 0 || line[off + (int)strlen(want)] != '\n')
			fail_msg("value %.17g: got %.30s want %s", values[idx], line + off, want);
		seen++;
	}
	assert_int_equal(seen, FORMAT_SERIES);
	free(out);
	free(values);
	metrics_registry_free(reg);
}

/* le bounds: OpenMetrics canonical form, identical in both formats. */
static const double le_bounds[] = { -1, 0, 1e-7, 0.005, 0.1, 1, 2.5, 10, 1e6, 123456789.123,
				    1e15, 9007199254740992.0, 1e21 };
static const char *const le_text[] = { "-1.0", "0.0", "1e-07", "0.005", "0.1", "1.0", "2.5",
				       "10.0", "1000000.0", "123456789.123", "1e+15",
				       "9007199254740992.0", "1e+21" };

static void test_le_format(void **state)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_family *f = family(reg, METRICS_HISTOGRAM, "h", NULL, NULL, 0, NULL,
					  ARRAY_LEN(le_bounds), le_bounds);
	char want[4096], *p = want, *text, *om;

	(void)state;
	metrics_histogram_observe(metrics_series_get(f, NULL), 0.05);
	p += sprintf(p, "# TYPE h histogram\n");
	for (size_t i = 0; i < ARRAY_LEN(le_text); i++)
		p += sprintf(p, "h_bucket{le=\"%s\"} %d\n", le_text[i], le_bounds[i] >= 0.05);
	sprintf(p, "h_bucket{le=\"+Inf\"} 1\nh_sum 0.05\nh_count 1\n");
	text = render(reg, EXPO_TEXT);
	assert_string_equal(text, want);
	strcat(want, "# EOF\n");
	om = render(reg, EXPO_OPENMETRICS);
	assert_string_equal(om, want);
	free(text);
	free(om);
	metrics_registry_free(reg);
}

/* ---- negotiation ---- */

struct negotiate_case {
	const char *accept;
	enum expo_format want;
};

static const struct negotiate_case negotiate_cases[] = {
	/* Prometheus 2.42 */
	{ "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
	  "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", EXPO_OPENMETRICS },
	/* Prometheus 3.x, with escaping= and text/plain version 1.0.0 */
	{ "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
	  "application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;"
	  "escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2", EXPO_OPENMETRICS },
	/* Prometheus configured for text only */
	{ "text/plain;version=0.0.4;q=1,*/*;q=0.1", EXPO_TEXT },
	{ "text/plain", EXPO_TEXT },
	{ "application/openmetrics-text", EXPO_OPENMETRICS },
	{ "application/openmetrics-text;version=0.0.1", EXPO_OPENMETRICS },
	{ "application/openmetrics-text; version=1.0.0; q=0.2, text/plain;q=0.5", EXPO_TEXT },
	{ "application/openmetrics-text;version=2.0.0", EXPO_TEXT },
	{ "application/openmetrics-text;version=2.0.0,application/openmetrics-text;q=0.1",
	  EXPO_OPENMETRICS },
	{ "text/plain;version=0.0.3;q=1,application/openmetrics-text;q=0.5", EXPO_OPENMETRICS },
	{ "APPLICATION/OpenMetrics-Text ; VERSION=1.0.0 ; Q=0.9", EXPO_OPENMETRICS },
	{ "application/openmetrics-text;version=\"1.0.0\"", EXPO_OPENMETRICS },
	{ "application/openmetrics-text;q=0", EXPO_TEXT },
	{ "application/openmetrics-text;q=0.000,text/plain;q=0", EXPO_TEXT },
	{ "application/openmetrics-text;q=0.001", EXPO_OPENMETRICS },
	{ "text/plain;q=0.5,application/openmetrics-text;q=0.5", EXPO_TEXT },   /* tie: first */
	{ "application/openmetrics-text;q=0.5,text/plain;q=0.5", EXPO_OPENMETRICS },
	{ "application/openmetrics-text;q=0.5,*/*", EXPO_TEXT },
	{ "text/*;q=0.9,application/openmetrics-text", EXPO_OPENMETRICS },
	{ "*/*", EXPO_TEXT },
	{ "application/json, application/openmetrics-text;q=0.3", EXPO_OPENMETRICS },
	{ "application/openmetrics-text;q=1.5", EXPO_TEXT },       /* bad q: range ignored */
	{ "application/openmetrics-text;q=abc", EXPO_TEXT },
	{ "application/openmetrics-text;q=0.5555", EXPO_TEXT },
	{ "application/openmetrics-text;version", EXPO_TEXT },     /* no '=' */
	{ "application/openmetrics-text;=1.0.0", EXPO_TEXT },
	{ "application/openmetrics-text;version=", EXPO_TEXT },
	{ "application/openmetrics-text;version=\"1.0.0", EXPO_TEXT }, /* unterminated */
	{ "application/openmetrics-text;", EXPO_OPENMETRICS },     /* trailing ';' */
	{ "application/openmetrics-text;a=\"x,y\";q=0.9,text/plain;q=0.8", EXPO_OPENMETRICS },
	{ "application/openmetrics-text;a=\"x\\\",y\";q=0.9,text/plain;q=0.8", EXPO_OPENMETRICS },
	{ "application/openmetrics-textual", EXPO_TEXT },
	{ "application/openmetrics", EXPO_TEXT },
	{ ";;;,,,===", EXPO_TEXT },
	{ "\"\\", EXPO_TEXT },
	{ "", EXPO_TEXT },
	{ NULL, EXPO_TEXT },
};

static void test_negotiate(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(negotiate_cases); i++)
		if (expo_negotiate(negotiate_cases[i].accept) != negotiate_cases[i].want)
			fail_msg("case %zu: %s", i, negotiate_cases[i].accept ? negotiate_cases[i].accept : "(null)");
}

/* Hostile headers: long, unterminated, many parameters. Must terminate
 * and not read past the string (ASan). */
static void test_negotiate_hostile(void **state)
{
	size_t n = 1 << 20;
	char *s = malloc(n + 64);

	(void)state;
	memset(s, 'a', n);
	strcpy(s + n, ",application/openmetrics-text");
	assert_int_equal(expo_negotiate(s), EXPO_OPENMETRICS);
	memset(s, ';', n);
	s[n] = '\0';
	assert_int_equal(expo_negotiate(s), EXPO_TEXT);
	memcpy(s, "application/openmetrics-text;v=\"", 32);
	memset(s + 32, 'x', n - 32); /* unterminated quote to the end */
	s[n] = '\0';
	assert_int_equal(expo_negotiate(s), EXPO_TEXT);
	s[n - 1] = '\\'; /* ends on a lone backslash inside the quote */
	assert_int_equal(expo_negotiate(s), EXPO_TEXT);
	for (size_t i = 0; i + 4 <= n; i += 4)
		memcpy(s + i, ";a=b", 4);
	memcpy(s, "text/plain", 10);
	s[n] = '\0';
	assert_int_equal(expo_negotiate(s), EXPO_TEXT);
	memset(s, ',', n);
	assert_int_equal(expo_negotiate(s), EXPO_TEXT);
	free(s);
}

/* ---- gzip bodies from per-family pieces ---- */

/* Inflates a whole gzip member (checking its CRC and length, as zlib does)
 * into a NUL-terminated string the caller frees. */
static char *gunzip(const char *z, size_t zlen)
{
	z_stream zs = { 0 };
	size_t cap = 1 << 20;
	char *out = malloc(cap);

	assert_non_null(out);
	assert_int_equal(inflateInit2(&zs, 16 + 15), Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)z;
	zs.avail_in = (uInt)zlen;
	zs.next_out = (Bytef *)out;
	zs.avail_out = (uInt)cap - 1;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.avail_in, 0); /* one member, nothing after */
	out[zs.total_out] = '\0';
	inflateEnd(&zs);
	return out;
}

/* The gzip body inflates to exactly what expo_render writes. */
static void assert_gz_matches(struct expo_gz *gz, struct metrics_registry *reg,
			      enum expo_format fmt)
{
	struct metrics_snapshot *snap = metrics_snapshot_take(reg);
	char *want = render(reg, fmt), *got;
	struct expo_buf z = { .mapped = true };

	assert_int_equal(expo_gz_render(gz, snap, &z), 0);
	metrics_snapshot_free(reg, snap);
	got = gunzip(z.data, z.len);
	assert_string_equal(got, want);
	expo_buf_clean(&z);
	free(got);
	free(want);
}

static void test_gzip_pieces(void **state)
{
	static const char *const lab[] = { "circuit" };
	struct metrics_registry *reg = metrics_registry_new();
	struct metrics_family *a = family(reg, METRICS_GAUGE, "a", "A.", NULL, 1, lab, 0, NULL);
	struct metrics_family *b = family(reg, METRICS_COUNTER, "b_total", "", NULL, 1, lab, 0, NULL);
	struct metrics_family *c;
	struct metrics_series *sa[50];

	(void)state;
	for (enum expo_format fmt = EXPO_TEXT; fmt <= EXPO_OPENMETRICS; fmt++) {
		struct expo_gz *gz = expo_gz_new(fmt, 1);

		assert_non_null(gz);
		assert_gz_matches(gz, reg, fmt); /* no series yet */
		for (int i = 0; i < 50; i++) {
			char v[16];
			const char *vals[] = { v };

			snprintf(v, sizeof v, "er-%02d", i);
			sa[i] = metrics_series_get(a, vals);
			metrics_gauge_set(sa[i], i);
			metrics_counter_add(metrics_series_get(b, vals), 2 * i);
		}
		assert_gz_matches(gz, reg, fmt);
		assert_gz_matches(gz, reg, fmt); /* every piece reused */
		metrics_gauge_set(sa[7], 1e6);   /* a re-rendered, b reused */
		assert_gz_matches(gz, reg, fmt);
		metrics_series_remove(a, sa[8]);
		metrics_gauge_set(sa[8] = metrics_series_get(a, (const char *const[]){ "new" }), 3);
		c = family(reg, METRICS_GAUGE, "aa", "", NULL, 0, NULL, 0, NULL);
		assert_gz_matches(gz, reg, fmt); /* a family between a and b */
		metrics_family_remove(reg, c);
		metrics_family_remove(reg, a);
		a = family(reg, METRICS_GAUGE, "a", "A again.", NULL, 1, lab, 0, NULL);
		for (int i = 0; i < 50; i++) /* the same name, new content */
			sa[i] = NULL;
		assert_gz_matches(gz, reg, fmt);
		expo_gz_free(gz);
	}
	metrics_registry_free(reg);
}

static void test_content_type(void **state)
{
	(void)state;
	assert_string_equal(expo_content_type(EXPO_TEXT), "text/plain; version=0.0.4; charset=utf-8");
	assert_string_equal(expo_content_type(EXPO_OPENMETRICS),
			    "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_text),
		cmocka_unit_test(test_render_openmetrics),
		cmocka_unit_test(test_render_appends),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_no_help),
		cmocka_unit_test(test_number_format),
		cmocka_unit_test(test_number_format_matches_reference),
		cmocka_unit_test(test_le_format),
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_negotiate_hostile),
		cmocka_unit_test(test_content_type),
		cmocka_unit_test(test_gzip_pieces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
