/* webconfig.h — exporter-toolkit's web configuration file (web-config.yml,
 * `--web.config.file`), read so that a file written for node_exporter or
 * blackbox_exporter is reused unchanged: tls_server_config,
 * http_server_config, basic_auth_users and rate_limit, every key of the
 * format, unknown keys refused. Pure: it parses and checks (with core's
 * config engine) and turns the TLS settings into a GnuTLS priority string;
 * reading the certificates is the exporter's (http_tls.c).
 *
 * Ownership: webconfig_load returns a struct webconfig owned by the caller
 * (webconfig_free); every string and array inside is owned by it.
 */
#ifndef CW_PROMETHEUS_WEBCONFIG_H
#define CW_PROMETHEUS_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "prometheus_config.h"

/* Go's tls.ClientAuthType, by the names exporter-toolkit accepts. */
enum wc_client_auth {
	WC_NO_CLIENT_CERT,
	WC_REQUEST_CLIENT_CERT,
	WC_REQUIRE_ANY_CLIENT_CERT,
	WC_VERIFY_CLIENT_CERT_IF_GIVEN,
	WC_REQUIRE_AND_VERIFY_CLIENT_CERT,
	WC_REQUIRE_CLIENT_CERT, /* exporter-toolkit's old name of RequireAnyClientCert */
};

enum wc_tls_version { WC_TLS10, WC_TLS11, WC_TLS12, WC_TLS13 };

struct wc_tls {
	char *cert, *key, *client_ca;                /* inline PEM, or NULL */
	char *cert_file, *key_file, *client_ca_file; /* as written in the file */
	unsigned client_auth;                        /* enum wc_client_auth */
	char **allowed_sans;                         /* client_allowed_sans */
	size_t nsans;
	unsigned min_version, max_version;           /* enum wc_tls_version */
	char **cipher_suites;                        /* Go names, in preference order */
	size_t nciphers;
	bool prefer_server;                          /* prefer_server_cipher_suites */
	char **curves;                               /* Go names (CurveP256, X25519, ...) */
	size_t ncurves;
};

struct wc_http {
	bool http2;                                  /* accepted; HTTP/1.1 is served */
	struct cfg_kv *headers;                      /* added to every response */
	size_t nheaders;
};

struct wc_users {
	struct cfg_basic_auth_user *users;           /* user -> bcrypt hash */
	size_t nusers;
};

struct wc_rate {
	unsigned interval_ms;                        /* 0: no rate limit */
	unsigned burst;
};

struct webconfig {
	struct cfg_config *cfg;                      /* the parsed file */
	const struct wc_tls *tls;                    /* never NULL (defaults when absent) */
	const struct wc_http *http;
	const struct wc_users *users;
	const struct wc_rate *rate;
	bool tls_on;                                 /* a certificate was given */
	/* the files it names, resolved against the file's directory as
	 * exporter-toolkit does; NULL when not given */
	char *cert_path, *key_path, *ca_path;
};

/* Loads and checks path. Returns 0 and sets *out, or -1 with every error
 * (FILE:LINE:COLUMN) in errs. */
int webconfig_load(const char *path, struct webconfig **out, struct cfg_errors *errs)
	__attribute__((warn_unused_result));
/* Same over a buffer; dir resolves relative file names ("." when NULL). */
int webconfig_load_buffer(const char *name, const char *buf, size_t len, const char *dir,
			  struct webconfig **out, struct cfg_errors *errs)
	__attribute__((warn_unused_result));
void webconfig_free(struct webconfig *wc); /* takes NULL */

/* The GnuTLS priority string of the TLS settings: versions, the cipher
 * suites (by their key exchange, cipher and MAC: GnuTLS chooses by parts,
 * so the product of the listed suites' parts is allowed), the curves and
 * the server's preference. Returns 0, or -1 when buf is too small. */
int webconfig_priorities(const struct wc_tls *t, char *buf, size_t size);

/* Whether name is a cipher suite of Go's tls.CipherSuites(), or a curve of
 * tls.CurveID (exporter-toolkit accepts no others). */
bool webconfig_cipher_known(const char *name, size_t len);
bool webconfig_curve_known(const char *name, size_t len);

/* Parses --web.listen-address: HOST:PORT, [IPV6]:PORT or :PORT. Returns 0
 * and sets *host (malloc'd, NULL for all addresses) and *port, or -1. */
int webconfig_parse_listen(const char *s, char **host, uint16_t *port);

#endif
