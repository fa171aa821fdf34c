/* test_webconfig.c — unit tests for exporter-toolkit's web-config.yml
 * parser (exporters/prometheus/webconfig.h): every key, wrong types,
 * unknown keys, bad cipher and curve names, the rules across keys, the
 * GnuTLS priority string and --web.listen-address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webconfig.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct webconfig *load_ok(const char *yaml)
{
	struct cfg_errors errs = {0};
	struct webconfig *wc = NULL;

	if (webconfig_load_buffer("web.yml", yaml, strlen(yaml), "/etc/x", &wc, &errs) != 0) {
		cfg_errors_print(&errs, stderr);
		cfg_errors_clean(&errs);
		fail_msg("refused: %s", yaml);
	}
	return wc;
}

/* Loads yaml, expects a refusal whose messages contain want. */
static void load_bad(const char *yaml, const char *want)
{
	struct cfg_errors errs = {0};
	struct webconfig *wc = NULL;
	bool found = false;

	if (webconfig_load_buffer("web.yml", yaml, strlen(yaml), NULL, &wc, &errs) == 0) {
		webconfig_free(wc);
		fail_msg("accepted: %s", yaml);
	}
	for (size_t i = 0; i < errs.n; i++)
		found = found || strstr(errs.v[i].message, want) != NULL;
	if (!found) {
		cfg_errors_print(&errs, stderr);
		fail_msg("no error with \"%s\" for: %s", want, yaml);
	}
	cfg_errors_clean(&errs);
}

static void test_every_key(void **state)
{
	const char *yaml =
		"tls_server_config:\n"
		"  cert_file: server.crt\n"
		"  key_file: /abs/server.key\n"
		"  client_ca_file: ca.crt\n"
		"  client_auth_type: RequireAndVerifyClientCert\n"
		"  client_allowed_sans: [prometheus.example, 192.0.2.1]\n"
		"  min_version: TLS12\n"
		"  max_version: TLS13\n"
		"  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,"
		" TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256]\n"
		"  prefer_server_cipher_suites: false\n"
		"  curve_preferences: [X25519, CurveP256]\n"
		"http_server_config:\n"
		"  http2: false\n"
		"  headers:\n"
		"    X-Frame-Options: deny\n"
		"    X-Content-Type-Options: nosniff\n"
		"    Content-Security-Policy: default-src 'self'\n"
		"    X-XSS-Protection: 1; mode=block\n"
		"    Strict-Transport-Security: max-age=31536000\n"
		"basic_auth_users:\n"
		"  alice: $2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG\n"
		"  bob: $2b$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG\n"
		"rate_limit:\n"
		"  interval: 100ms\n"
		"  burst: 5\n";
	struct webconfig *wc = load_ok(yaml);
	const struct wc_tls *t = wc->tls;

	(void)state;
	assert_true(wc->tls_on);
	assert_string_equal(wc->cert_path, "/etc/x/server.crt");
	assert_string_equal(wc->key_path, "/abs/server.key");
	assert_string_equal(wc->ca_path, "/etc/x/ca.crt");
	assert_int_equal(t->client_auth, WC_REQUIRE_AND_VERIFY_CLIENT_CERT);
	assert_int_equal(t->nsans, 2);
	assert_string_equal(t->allowed_sans[1], "192.0.2.1");
	assert_int_equal(t->min_version, WC_TLS12);
	assert_int_equal(t->max_version, WC_TLS13);
	assert_int_equal(t->nciphers, 2);
	assert_false(t->prefer_server);
	assert_int_equal(t->ncurves, 2);
	assert_false(wc->http->http2);
	assert_int_equal(wc->http->nheaders, 5);
	assert_string_equal(wc->http->headers[0].key, "X-Frame-Options");
	assert_string_equal(wc->http->headers[2].value, "default-src 'self'");
	assert_int_equal(wc->users->nusers, 2);
	assert_string_equal(wc->users->users[1].username, "bob");
	assert_int_equal(wc->rate->interval_ms, 100);
	assert_int_equal(wc->rate->burst, 5);
	webconfig_free(wc);
}

static void test_defaults(void **state)
{
	struct webconfig *wc = load_ok("basic_auth_users:\n  u: $2y$05$abc\n");

	(void)state;
	assert_false(wc->tls_on);
	assert_null(wc->cert_path);
	assert_int_equal(wc->tls->client_auth, WC_NO_CLIENT_CERT);
	assert_int_equal(wc->tls->min_version, WC_TLS12);
	assert_int_equal(wc->tls->max_version, WC_TLS13);
	assert_true(wc->tls->prefer_server);
	assert_true(wc->http->http2);
	assert_int_equal(wc->http->nheaders, 0);
	assert_int_equal(wc->rate->interval_ms, 0);
	webconfig_free(wc);
	wc = load_ok("");
	assert_false(wc->tls_on);
	webconfig_free(wc);
	/* inline PEM instead of files */
	wc = load_ok("tls_server_config:\n  cert: |\n    -----BEGIN CERTIFICATE-----\n"
		     "  key: |\n    -----BEGIN PRIVATE KEY-----\n");
	assert_true(wc->tls_on);
	assert_null(wc->cert_path);
	assert_non_null(strstr(wc->tls->cert, "BEGIN CERTIFICATE"));
	webconfig_free(wc);
}

struct bad_case {
	const char *yaml, *want;
};

static const struct bad_case bad_cases[] = {
	/* unknown keys, at every level */
	{"tls_config:\n  cert_file: a\n", "tls_config"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  certfile: c\n", "certfile"},
	{"http_server_config:\n  gzip: true\n", "gzip"},
	{"rate_limit:\n  rate: 3\n", "rate"},
	/* wrong types */
	{"tls_server_config: [a]\n", "tls_server_config"},
	{"tls_server_config:\n  cert_file: [a]\n  key_file: b\n", "cert_file"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: 1.2\n", "TLS12"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  prefer_server_cipher_suites: "
	 "maybe\n", "prefer_server_cipher_suites"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: "
	 "TLS_AES_128_GCM_SHA256\n", "cipher_suites"},
	{"http_server_config:\n  http2: 2\n", "http2"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: [x]\n",
	 "client_auth_type"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n"
	 "  client_auth_type: RequireAnyClientCert\n  client_allowed_sans: {a: b}\n",
	 "client_allowed_sans"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: X25519\n",
	 "curve_preferences"},
	{"tls_server_config:\n  cert_file: {a: b}\n  key_file: b\n", "cert_file"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca: x\n"
	 "  client_ca_file: c\n  client_auth_type: RequireAnyClientCert\n", "not both"},
	{"rate_limit: 5\n", "rate_limit"},
	{"basic_auth_users:\n  alice: ~\n", "alice"},
	{"http_server_config:\n  headers: [a]\n", "headers"},
	{"basic_auth_users: [alice]\n", "basic_auth_users"},
	{"basic_auth_users:\n  alice: {a: b}\n", "alice"},
	{"rate_limit:\n  burst: -1\n", "burst"},
	{"rate_limit:\n  interval: 1s\n", "at least 1"},
	{"rate_limit:\n  interval: 1 second\n  burst: 1\n", "interval"},
	/* bad names */
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: "
	 "[TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, ECDHE-RSA-AES128-GCM-SHA256]\n",
	 "ECDHE-RSA-AES128-GCM-SHA256"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: "
	 "[TLS_RSA_WITH_RC4_128_SHA]\n", "TLS_RSA_WITH_RC4_128_SHA"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: [P256]\n",
	 "P256"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Required\n",
	 "RequireAndVerifyClientCert"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  max_version: TLS14\n", "TLS14"},
	{"http_server_config:\n  headers:\n    Server: x\n", "cannot be configured"},
	{"http_server_config:\n  headers:\n    X-Frame-Options: allow\n", "deny or sameorigin"},
	{"http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n", "nosniff"},
	{"basic_auth_users:\n  alice: secret\n", "bcrypt"},
	{"basic_auth_users:\n  \"a:b\": $2y$10$x\n", "without ':'"},
	/* rules across keys */
	{"tls_server_config:\n  key_file: b\n", "missing cert_file"},
	{"tls_server_config:\n  client_ca_file: ca\n  client_auth_type: "
	 "RequireAndVerifyClientCert\n", "missing cert_file"},
	{"tls_server_config:\n  cert_file: a\n", "missing key_file"},
	{"tls_server_config:\n  cert_file: a\n  cert: b\n  key_file: c\n", "not both"},
	{"tls_server_config:\n  cert_file: a\n  key_file: c\n  key: d\n", "not both"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n",
	 "without a client auth policy"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: "
	 "VerifyClientCertIfGiven\n", "needs client_ca_file"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n"
	 "  client_auth_type: VerifyClientCertIfGiven\n  client_allowed_sans: [x]\n",
	 "RequireAnyClientCert"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n"
	 "  max_version: TLS12\n", "below min_version"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: "
	 "[TLS_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]\n", "TLS_AES_128_GCM_SHA256"},
};

static void test_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad_cases); i++)
		load_bad(bad_cases[i].yaml, bad_cases[i].want);
}

static void prio_of(const char *yaml, const char *want)
{
	struct webconfig *wc = load_ok(yaml);
	char buf[512];

	assert_int_equal(webconfig_priorities(wc->tls, buf, sizeof buf), 0);
	if (strcmp(buf, want) != 0)
		fail_msg("priorities %s, want %s", buf, want);
	assert_int_equal(webconfig_priorities(wc->tls, buf, 10), -1);
	webconfig_free(wc);
}

static void test_priorities(void **state)
{
	(void)state;
	prio_of("tls_server_config:\n  cert_file: a\n  key_file: b\n",
		"NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3:%SERVER_PRECEDENCE");
	prio_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n"
		"  prefer_server_cipher_suites: false\n",
		"NORMAL:-VERS-ALL:+VERS-TLS1.3");
	prio_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS10\n"
		"  max_version: TLS12\n  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,"
		" TLS_RSA_WITH_AES_128_GCM_SHA256]\n  curve_preferences: [CurveP384, X25519]\n",
		"NORMAL:-VERS-ALL:+VERS-TLS1.0:+VERS-TLS1.1:+VERS-TLS1.2"
		":-CIPHER-ALL:-KX-ALL:-MAC-ALL:+AES-256-CBC:+AES-128-GCM:+ECDHE-RSA:+RSA"
		":+AEAD:+SHA1:-GROUP-ALL:+GROUP-SECP384R1:+GROUP-X25519:%SERVER_PRECEDENCE");
	/* TLS 1.3's suites stay with a TLS 1.2 list, as in Go */
	prio_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites:"
		" [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n",
		"NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3:-CIPHER-ALL:-KX-ALL:-MAC-ALL"
		":+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+ECDHE-ECDSA:+AEAD"
		":%SERVER_PRECEDENCE");
}

static void test_listen(void **state)
{
	static const struct {
		const char *s, *host;
		int rc;
		uint16_t port;
	} cases[] = {
		{":9100", NULL, 0, 9100},
		{"0.0.0.0:10179", "0.0.0.0", 0, 10179},
		{"localhost:1", "localhost", 0, 1},
		{"[::1]:9100", "::1", 0, 9100},
		{"[::]:65535", "::", 0, 65535},
		{"::1:9100", NULL, -1, 0},
		{"9100", NULL, -1, 0},
		{":0", NULL, -1, 0},
		{":65536", NULL, -1, 0},
		{":91x", NULL, -1, 0},
		{":", NULL, -1, 0},
		{"[::1]9100", NULL, -1, 0},
		{":-1", NULL, -1, 0},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *host = NULL;
		uint16_t port = 0;
		int rc = webconfig_parse_listen(cases[i].s, &host, &port);

		if (rc != cases[i].rc)
			fail_msg("%s: rc %d", cases[i].s, rc);
		if (rc == 0) {
			assert_int_equal(port, cases[i].port);
			if (cases[i].host == NULL)
				assert_null(host);
			else
				assert_string_equal(host, cases[i].host);
		}
		free(host);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key),  cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_refused),    cmocka_unit_test(test_priorities),
		cmocka_unit_test(test_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
