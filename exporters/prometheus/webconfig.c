/* webconfig.c — exporter-toolkit's web-config.yml (see webconfig.h): the
 * schema for core's config engine, the rules across keys, and the GnuTLS
 * priority string of tls_server_config. */
#include "webconfig.h"
#include "config_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ---------------------------------------------------------------- */

static const char *const client_auth_names[] = {
	"NoClientCert",		   "RequestClientCert",		 "RequireAnyClientCert",
	"VerifyClientCertIfGiven", "RequireAndVerifyClientCert", "RequireClientCert",
	NULL,
};

static const char *const version_names[] = {"TLS10", "TLS11", "TLS12", "TLS13", NULL};
static const char *const version_prio[] = {"VERS-TLS1.0", "VERS-TLS1.1", "VERS-TLS1.2",
					   "VERS-TLS1.3"};

/* Go's tls.CipherSuites() by the parts GnuTLS selects with; kx NULL: a
 * TLS 1.3 suite. */
struct wc_suite {
	const char *go, *kx, *cipher, *mac;
};

static const struct wc_suite suites[] = {
	{"TLS_RSA_WITH_AES_128_CBC_SHA", "RSA", "AES-128-CBC", "SHA1"},
	{"TLS_RSA_WITH_AES_256_CBC_SHA", "RSA", "AES-256-CBC", "SHA1"},
	{"TLS_RSA_WITH_AES_128_GCM_SHA256", "RSA", "AES-128-GCM", "AEAD"},
	{"TLS_RSA_WITH_AES_256_GCM_SHA384", "RSA", "AES-256-GCM", "AEAD"},
	{"TLS_AES_128_GCM_SHA256", NULL, "AES-128-GCM", "AEAD"},
	{"TLS_AES_256_GCM_SHA384", NULL, "AES-256-GCM", "AEAD"},
	{"TLS_CHACHA20_POLY1305_SHA256", NULL, "CHACHA20-POLY1305", "AEAD"},
	{"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA", "AES-128-CBC", "SHA1"},
	{"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA", "AES-256-CBC", "SHA1"},
	{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA", "AES-128-CBC", "SHA1"},
	{"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA", "AES-256-CBC", "SHA1"},
	{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA", "AES-128-GCM", "AEAD"},
	{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA", "AES-256-GCM", "AEAD"},
	{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA", "AES-128-GCM", "AEAD"},
	{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA", "AES-256-GCM", "AEAD"},
	{"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA", "CHACHA20-POLY1305", "AEAD"},
	{"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA", "CHACHA20-POLY1305",
	 "AEAD"},
};

/* Go's tls.CurveID names and GnuTLS's groups. */
static const char *const curves[][2] = {
	{"CurveP256", "GROUP-SECP256R1"},
	{"CurveP384", "GROUP-SECP384R1"},
	{"CurveP521", "GROUP-SECP521R1"},
	{"X25519", "GROUP-X25519"},
};

static bool same(const char *a, const char *s, size_t len)
{
	return strlen(a) == len && memcmp(a, s, len) == 0;
}

static const struct wc_suite *find_suite(const char *s, size_t len)
{
	for (size_t i = 0; i < ARRAY_LEN(suites); i++)
		if (same(suites[i].go, s, len))
			return &suites[i];
	return NULL;
}

static const char *find_curve(const char *s, size_t len)
{
	for (size_t i = 0; i < ARRAY_LEN(curves); i++)
		if (same(curves[i][0], s, len))
			return curves[i][1];
	return NULL;
}

bool webconfig_cipher_known(const char *name, size_t len)
{
	return find_suite(name, len) != NULL;
}

bool webconfig_curve_known(const char *name, size_t len)
{
	return find_curve(name, len) != NULL;
}

static bool valid_san(const char *s, size_t len)
{
	return len > 0 && len <= 1024 && s[0] != ' ';
}

/* ---- http_server_config.headers: exporter-toolkit's five, with its values - */

struct wc_header_rule {
	const char *name;
	const char *const values[3]; /* allowed values; none listed: any */
};

static const struct wc_header_rule header_rules[] = {
	{"Content-Security-Policy", {NULL}},
	{"X-Frame-Options", {"deny", "sameorigin", NULL}},
	{"X-Content-Type-Options", {"nosniff", NULL}},
	{"X-XSS-Protection", {NULL}},
	{"Strict-Transport-Security", {NULL}},
};

static bool header_value_ok(const struct wc_header_rule *r, const struct node *v)
{
	if (r->values[0] == NULL)
		return memchr(v->s, '\r', v->len) == NULL && memchr(v->s, '\n', v->len) == NULL &&
		       memchr(v->s, '\0', v->len) == NULL;
	for (size_t i = 0; r->values[i] != NULL; i++)
		if (same(r->values[i], v->s, v->len))
			return true;
	return false;
}

static int check_header(struct walk *w, const struct node *k, const struct node *v)
{
	char q[QUOTE_LEN];

	quote(k->s, k->len, q, sizeof q);
	for (size_t i = 0; i < ARRAY_LEN(header_rules); i++) {
		const struct wc_header_rule *r = &header_rules[i];

		if (!same(r->name, k->s, k->len))
			continue;
		if (v->kind != N_SCALAR || is_null(v) || !header_value_ok(r, v)) {
			err_here(w, v->loc, "header %s: expected %s", q,
				 r->values[0] == NULL ? "a one-line string"
				 : r->values[1] == NULL ? r->values[0]
							: "deny or sameorigin");
			return -1;
		}
		return 0;
	}
	err_here(w, k->loc,
		 "HTTP header %s cannot be configured (only Content-Security-Policy, "
		 "X-Frame-Options, X-Content-Type-Options, X-XSS-Protection, "
		 "Strict-Transport-Security)", q);
	return -1;
}

static int p_headers(struct walk *w, struct frame *fr, const struct field *f, struct node *n,
		     void *obj)
{
	(void)fr;
	return p_pairs(w, f, n, obj, "a mapping of header name to value", "header",
		       check_header);
}

static const struct ftype t_headers = {p_headers, f_pairs};

/* basic_auth_users: the prometheus section's rule (a crypt(3) hash, bcrypt
 * in exporter-toolkit's files) with the engine's pairs. */
static int check_user(struct walk *w, const struct node *k, const struct node *v)
{
	char q[QUOTE_LEN];

	quote(k->s, k->len, q, sizeof q);
	if (k->len == 0 || memchr(k->s, ':', k->len) != NULL) {
		err_here(w, k->loc, "user name %s must be non-empty and without ':'", q);
		return -1;
	}
	if (v->kind != N_SCALAR || is_null(v) || v->len == 0 || v->s[0] != '$' ||
	    memchr(v->s, '\0', v->len) != NULL) {
		err_here(w, v->loc, "user %s: expected a bcrypt hash such as $2y$10$...; make one "
				    "with: htpasswd -nBC 10 \"\" | tr -d ':\\n'", q);
		return -1;
	}
	return 0;
}

static int p_users(struct walk *w, struct frame *fr, const struct field *f, struct node *n,
		   void *obj)
{
	(void)fr;
	return p_pairs(w, f, n, obj, "a mapping of user name to bcrypt hash", "user",
		       check_user);
}

static const struct ftype t_users = {p_users, f_pairs};

/* ---- the sections ----------------------------------------------------------- */

static void init_tls(void *obj)
{
	struct wc_tls *t = obj;

	t->min_version = WC_TLS12;
	t->max_version = WC_TLS13;
	t->prefer_server = true;
}

static bool fr_any(const struct frame *fr, const char *const *keys)
{
	for (size_t i = 0; keys[i] != NULL; i++)
		if (fr_given(fr, keys[i]))
			return true;
	return false;
}

static void exclusive(struct walk *w, struct frame *fr, const char *a, const char *b)
{
	if (fr_given(fr, a) && fr_given(fr, b))
		err_key(w, fr, b, "give %s or %s, not both", a, b);
}

static bool verifies(unsigned a)
{
	return a == WC_VERIFY_CLIENT_CERT_IF_GIVEN || a == WC_REQUIRE_AND_VERIFY_CLIENT_CERT;
}

/* exporter-toolkit's rules across the keys of tls_server_config. */
static void check_tls(struct walk *w, struct frame *fr)
{
	static const char *const enabling[] = {"cert", "cert_file", "key", "key_file",
					       "client_auth_type", "client_ca",
					       "client_ca_file", NULL};
	const struct wc_tls *t = fr->obj;
	bool cert = t->cert != NULL || t->cert_file != NULL;
	bool ca = t->client_ca != NULL || t->client_ca_file != NULL;

	exclusive(w, fr, "cert", "cert_file");
	exclusive(w, fr, "key", "key_file");
	exclusive(w, fr, "client_ca", "client_ca_file");
	if (!cert && fr_any(fr, enabling))
		err_key(w, fr, "cert_file", "missing cert_file (or cert)");
	if (cert && t->key == NULL && t->key_file == NULL)
		err_key(w, fr, "key_file", "missing key_file (or key)");
	if (ca && t->client_auth == WC_NO_CLIENT_CERT)
		err_key(w, fr, "client_auth_type",
			"a client CA is configured without a client auth policy");
	if (!ca && verifies(t->client_auth))
		err_key(w, fr, "client_ca_file", "%s needs client_ca_file (or client_ca)",
			client_auth_names[t->client_auth]);
	if (t->nsans > 0 && t->client_auth != WC_REQUIRE_ANY_CLIENT_CERT &&
	    t->client_auth != WC_REQUIRE_CLIENT_CERT &&
	    t->client_auth != WC_REQUIRE_AND_VERIFY_CLIENT_CERT)
		err_key(w, fr, "client_allowed_sans",
			"needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert");
	if (fr_ok(fr, "min_version") && fr_ok(fr, "max_version") &&
	    t->min_version > t->max_version)
		err_key(w, fr, "max_version", "max_version is below min_version");
}

#define CIPHER_EXPECT "a cipher suite of Go's tls.CipherSuites() such as " \
		      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
#define CURVE_EXPECT "CurveP256, CurveP384, CurveP521 or X25519"

static const struct field tls_fields[] = {
	FIELD_TEXT(struct wc_tls, "cert", cert, 0, 1, CFG_MAX_FILE_BYTES, NULL, NULL),
	FIELD_TEXT(struct wc_tls, "key", key, 0, 1, CFG_MAX_FILE_BYTES, NULL, NULL),
	FIELD_TEXT(struct wc_tls, "client_ca", client_ca, 0, 1, CFG_MAX_FILE_BYTES, NULL, NULL),
	FIELD_STRING(struct wc_tls, "cert_file", cert_file, 0),
	FIELD_STRING(struct wc_tls, "key_file", key_file, 0),
	FIELD_STRING(struct wc_tls, "client_ca_file", client_ca_file, 0),
	FIELD_ENUM(struct wc_tls, "client_auth_type", client_auth, 0, client_auth_names),
	FIELD_NAMES(struct wc_tls, "client_allowed_sans", allowed_sans, nsans, 0, 0, 1000,
		    valid_san, "a subject alternative name (DNS, IP, e-mail or URI)"),
	FIELD_ENUM(struct wc_tls, "min_version", min_version, 0, version_names),
	FIELD_ENUM(struct wc_tls, "max_version", max_version, 0, version_names),
	FIELD_NAMES(struct wc_tls, "cipher_suites", cipher_suites, nciphers, 0, 0, 64,
		    webconfig_cipher_known, CIPHER_EXPECT),
	FIELD_BOOL(struct wc_tls, "prefer_server_cipher_suites", prefer_server, 0),
	FIELD_NAMES(struct wc_tls, "curve_preferences", curves, ncurves, 0, 0, 8,
		    webconfig_curve_known, CURVE_EXPECT),
};
DEFINE_TOP_SECTION(wc_tls_section, tls_fields, struct wc_tls, init_tls, check_tls, NULL);

static void init_http(void *obj)
{
	((struct wc_http *)obj)->http2 = true;
}

static const struct field http_fields[] = {
	FIELD_BOOL(struct wc_http, "http2", http2, 0),
	FIELD_PAIR(t_headers, struct wc_http, "headers", headers, nheaders, 0, 0),
};
DEFINE_TOP_SECTION(wc_http_section, http_fields, struct wc_http, init_http, NULL, NULL);

static const struct field users_fields[] = {
	FIELD_PAIR(t_users, struct wc_users, "basic_auth_users", users, nusers, 0, 0),
};
DEFINE_TOP_SECTION(wc_users_section, users_fields, struct wc_users, NULL, NULL, NULL);

static const struct field rate_fields[] = {
	FIELD_DURATION_MS(struct wc_rate, "interval", interval_ms, 0, 0, 3600000),
	FIELD_UINT(struct wc_rate, "burst", burst, 0, 0, 1000000),
};
/* Go's limiter with burst 0 refuses every request: a file cannot mean that. */
static void check_rate(struct walk *w, struct frame *fr)
{
	const struct wc_rate *r = fr->obj;

	if (r->interval_ms > 0 && r->burst == 0)
		err_key(w, fr, "burst", "burst must be at least 1 when interval is set");
}

DEFINE_TOP_SECTION(wc_rate_section, rate_fields, struct wc_rate, NULL, check_rate, NULL);

static const struct cfg_schema_entry entries[] = {
	{"tls_server_config", &wc_tls_section, 0},
	{"http_server_config", &wc_http_section, 0},
	{"basic_auth_users", &wc_users_section, CFG_TOP_FIELD},
	{"rate_limit", &wc_rate_section, 0},
};
static const struct cfg_schema schema = {entries, ARRAY_LEN(entries)};

/* ---- loading ---------------------------------------------------------------- */

static char *resolve(const char *dir, const char *name)
{
	char *p;
	size_t n;

	if (name == NULL)
		return NULL;
	if (name[0] == '/' || dir == NULL || dir[0] == '\0')
		return strdup(name);
	n = strlen(dir) + strlen(name) + 2;
	p = malloc(n);
	if (p != NULL)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static int finish(struct webconfig *wc, const char *dir)
{
	const struct wc_tls *t;

	wc->tls = cfg_section(wc->cfg, &wc_tls_section);
	wc->http = cfg_section(wc->cfg, &wc_http_section);
	wc->users = cfg_section(wc->cfg, &wc_users_section);
	wc->rate = cfg_section(wc->cfg, &wc_rate_section);
	t = wc->tls;
	wc->tls_on = t->cert != NULL || t->cert_file != NULL;
	wc->cert_path = resolve(dir, t->cert_file);
	wc->key_path = resolve(dir, t->key_file);
	wc->ca_path = resolve(dir, t->client_ca_file);
	if ((t->cert_file != NULL && wc->cert_path == NULL) ||
	    (t->key_file != NULL && wc->key_path == NULL) ||
	    (t->client_ca_file != NULL && wc->ca_path == NULL))
		return -1;
	return 0;
}

int webconfig_load_buffer(const char *name, const char *buf, size_t len, const char *dir,
			  struct webconfig **out, struct cfg_errors *errs)
{
	struct webconfig *wc = calloc(1, sizeof(*wc));

	*out = NULL;
	if (wc == NULL)
		return -1;
	if (cfg_load_buffer(name, buf, len, &schema, &wc->cfg, errs) != 0 ||
	    finish(wc, dir) != 0) {
		webconfig_free(wc);
		return -1;
	}
	*out = wc;
	return 0;
}

int webconfig_load(const char *path, struct webconfig **out, struct cfg_errors *errs)
{
	struct webconfig *wc = calloc(1, sizeof(*wc));
	const char *slash = strrchr(path, '/');
	char *dir = slash != NULL ? strndup(path, (size_t)(slash - path + (slash == path))) : NULL;
	int rc = -1;

	*out = NULL;
	if (wc == NULL || (slash != NULL && dir == NULL))
		goto done;
	if (cfg_load_file(path, &schema, &wc->cfg, errs) != 0 || finish(wc, dir) != 0)
		goto done;
	*out = wc;
	wc = NULL;
	rc = 0;
done:
	webconfig_free(wc);
	free(dir);
	return rc;
}

void webconfig_free(struct webconfig *wc)
{
	if (wc == NULL)
		return;
	cfg_free(wc->cfg);
	free(wc->cert_path);
	free(wc->key_path);
	free(wc->ca_path);
	free(wc);
}

/* ---- the GnuTLS priority string --------------------------------------------- */

struct prio {
	char *buf;
	size_t size, len;
	bool full;
};

static void put(struct prio *p, const char *s)
{
	size_t n = strlen(s);

	if (p->len + n + 1 > p->size) {
		p->full = true;
		return;
	}
	memcpy(p->buf + p->len, s, n + 1);
	p->len += n;
}

/* ":+NAME" unless already there. */
static void add_once(struct prio *p, const char *name)
{
	char item[64];

	snprintf(item, sizeof item, ":+%s", name);
	if (strstr(p->buf, item) == NULL)
		put(p, item);
}

static void put_suites(struct prio *p, const struct wc_tls *t)
{
	static const char *const tls13[] = {"AES-128-GCM", "AES-256-GCM", "CHACHA20-POLY1305"};
	const struct wc_suite *s;

	put(p, ":-CIPHER-ALL:-KX-ALL:-MAC-ALL");
	for (size_t i = 0; i < t->nciphers; i++) {
		s = find_suite(t->cipher_suites[i], strlen(t->cipher_suites[i]));
		if (s != NULL)
			add_once(p, s->cipher);
	}
	/* as in Go, the list is for TLS 1.2 and below: TLS 1.3's suites stay */
	if (t->max_version == WC_TLS13)
		for (size_t i = 0; i < ARRAY_LEN(tls13); i++)
			add_once(p, tls13[i]);
	for (size_t i = 0; i < t->nciphers; i++) {
		s = find_suite(t->cipher_suites[i], strlen(t->cipher_suites[i]));
		if (s != NULL && s->kx != NULL)
			add_once(p, s->kx);
	}
	add_once(p, "AEAD");
	for (size_t i = 0; i < t->nciphers; i++) {
		s = find_suite(t->cipher_suites[i], strlen(t->cipher_suites[i]));
		if (s != NULL)
			add_once(p, s->mac);
	}
}

int webconfig_priorities(const struct wc_tls *t, char *buf, size_t size)
{
	struct prio p = {buf, size, 0, false};

	if (size == 0)
		return -1;
	buf[0] = '\0';
	put(&p, "NORMAL:-VERS-ALL");
	for (unsigned v = t->min_version; v <= t->max_version && v <= WC_TLS13; v++)
		add_once(&p, version_prio[v]);
	if (t->nciphers > 0)
		put_suites(&p, t);
	if (t->ncurves > 0) {
		put(&p, ":-GROUP-ALL");
		for (size_t i = 0; i < t->ncurves; i++)
			add_once(&p, find_curve(t->curves[i], strlen(t->curves[i])));
	}
	if (t->prefer_server)
		put(&p, ":%SERVER_PRECEDENCE");
	return p.full ? -1 : 0;
}

/* ---- --web.listen-address ----------------------------------------------------- */

int webconfig_parse_listen(const char *s, char **host, uint16_t *port)
{
	const char *colon, *h = s;
	size_t hlen;
	char *end;
	unsigned long v;

	*host = NULL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		h = s + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || memchr(s, ':', (size_t)(colon - s)) != NULL)
			return -1; /* an IPv6 address needs brackets */
		hlen = (size_t)(colon - s);
	}
	v = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || v < 1 || v > 65535)
		return -1;
	if (hlen > 0 && (*host = strndup(h, hlen)) == NULL)
		return -1;
	*port = (uint16_t)v;
	return 0;
}
