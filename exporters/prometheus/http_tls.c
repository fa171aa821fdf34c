/* http_tls.c — the web config file (--web.config.file, exporter-toolkit's
 * web-config.yml) applied to the exporter: per-connection TLS credentials
 * with the client CA and the client auth policy, the response headers, the
 * basic-auth users, and their reload on SIGHUP and when a file changes.
 *
 * How a reload reaches connections without touching the listening socket:
 * libmicrohttpd sets up each connection's GnuTLS session before it
 * announces it (MHD_CONNECTION_NOTIFY_STARTED) and before the handshake;
 * there, the session is given the credentials, priorities and client
 * policy of the current struct http_web, and the connection holds a
 * reference to it until it closes. A reload builds a whole new http_web
 * and swaps the pointer under wlock: connections in flight keep the one
 * they started with, new ones get the new one. A file that does not load
 * (unreadable, a key that does not match its certificate, a CA without a
 * certificate, a bad YAML key) keeps the running one and says why. */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <uv.h>

#include "http_priv.h"
#include "module.h"
#include "webconfig.h"

/* One loaded web config, shared by the connections that started with it. */
struct http_web {
	atomic_uint refs;
	struct http *h;                       /* for the log */
	struct webconfig *wc;                 /* owns the names, headers, users */
	gnutls_certificate_credentials_t cred; /* NULL: plain HTTP */
	gnutls_priority_t prio;
	char *cert_pem, *key_pem;             /* what libmicrohttpd starts with */
};

/* The files watched: the web config and the files it names. */
enum { W_CONFIG, W_CERT, W_KEY, W_CA, W_COUNT };

struct http_watch {
	uv_timer_t timer;
	struct http *h;
	struct stat seen[W_COUNT];
	bool present[W_COUNT];
};

/* ---- http_web ------------------------------------------------------------- */

static void web_free(struct http_web *w)
{
	if (w->cred != NULL)
		gnutls_certificate_free_credentials(w->cred);
	if (w->prio != NULL)
		gnutls_priority_deinit(w->prio);
	if (w->key_pem != NULL)
		explicit_bzero(w->key_pem, strlen(w->key_pem));
	free(w->key_pem);
	free(w->cert_pem);
	webconfig_free(w->wc);
	free(w);
}

void http_web_unref(struct http_web *w)
{
	if (w != NULL && atomic_fetch_sub(&w->refs, 1) == 1)
		web_free(w);
}

/* The current one, with a reference for the caller (NULL: none). */
static struct http_web *web_get(struct http *h)
{
	struct http_web *w;

	pthread_mutex_lock(&h->wlock);
	w = h->web;
	if (w != NULL)
		atomic_fetch_add(&w->refs, 1);
	pthread_mutex_unlock(&h->wlock);
	return w;
}

static char *pem_of(const char *inline_pem, const char *path, struct log *lg)
{
	if (inline_pem != NULL)
		return strdup(inline_pem);
	return http_read_pem(path, lg);
}

static int tls_fail(struct log *lg, const char *what, const char *file, int rc)
{
	log_error(lg, what, "file", file, "error", gnutls_strerror(rc));
	return -1;
}

/* The credentials: certificate and key (GnuTLS refuses a key that does
 * not match), the client CA as the trust list client certificates are
 * verified against. */
static int web_credentials(struct http_web *w, struct log *lg)
{
	const struct wc_tls *t = w->wc->tls;
	const char *cert = w->wc->cert_path ? w->wc->cert_path : "tls_server_config.cert";
	char *ca = NULL;
	int rc;

	w->cert_pem = pem_of(t->cert, w->wc->cert_path, lg);
	w->key_pem = pem_of(t->key, w->wc->key_path, lg);
	if (w->cert_pem == NULL || w->key_pem == NULL ||
	    gnutls_certificate_allocate_credentials(&w->cred) != 0)
		return -1;
	rc = gnutls_certificate_set_x509_key_mem2(
		w->cred, &(gnutls_datum_t){(unsigned char *)w->cert_pem, (unsigned)strlen(w->cert_pem)},
		&(gnutls_datum_t){(unsigned char *)w->key_pem, (unsigned)strlen(w->key_pem)},
		GNUTLS_X509_FMT_PEM, NULL, 0);
	if (rc < 0)
		return tls_fail(lg, "cannot use the TLS certificate and key", cert, rc);
	if (t->client_ca == NULL && w->wc->ca_path == NULL)
		return 0;
	if ((ca = pem_of(t->client_ca, w->wc->ca_path, lg)) == NULL)
		return -1;
	rc = gnutls_certificate_set_x509_trust_mem(
		w->cred, &(gnutls_datum_t){(unsigned char *)ca, (unsigned)strlen(ca)},
		GNUTLS_X509_FMT_PEM);
	free(ca);
	if (rc <= 0)
		return tls_fail(lg, "no usable certificate in the client CA",
				w->wc->ca_path ? w->wc->ca_path : "tls_server_config.client_ca",
				rc < 0 ? rc : GNUTLS_E_NO_CERTIFICATE_FOUND);
	return 0;
}

static int web_priorities(struct http_web *w, struct log *lg)
{
	char prio[512];
	const char *err = NULL;
	int rc;

	if (webconfig_priorities(w->wc->tls, prio, sizeof(prio)) != 0) {
		log_error(lg, "TLS settings too long for a priority string");
		return -1;
	}
	rc = gnutls_priority_init(&w->prio, prio, &err);
	if (rc < 0) {
		w->prio = NULL;
		log_error(lg, "GnuTLS refuses the TLS settings", "priorities", prio, "at",
			  err != NULL ? err : "", "error", gnutls_strerror(rc));
		return -1;
	}
	return 0;
}

/* Loads path into a new http_web (one reference), or NULL after logging. */
static struct http_web *web_load(struct http *h, const char *path)
{
	struct log *lg = h->ctx->log;
	struct cfg_errors errs = {0};
	struct http_web *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	atomic_init(&w->refs, 1);
	w->h = h;
	if (webconfig_load(path, &w->wc, &errs) != 0) {
		for (size_t i = 0; i < errs.n; i++) {
			char line[16];

			snprintf(line, sizeof(line), "%u", errs.v[i].line);
			log_error(lg, "web config error", "file", errs.v[i].file, "line", line,
				  "error", errs.v[i].message);
		}
		cfg_errors_clean(&errs);
		free(w);
		return NULL;
	}
	if (w->wc->tls_on && (web_credentials(w, lg) != 0 || web_priorities(w, lg) != 0)) {
		web_free(w);
		return NULL;
	}
	return w;
}

/* ---- per connection ------------------------------------------------------- */

static gnutls_certificate_request_t request_of(unsigned auth)
{
	switch (auth) {
	case WC_NO_CLIENT_CERT:
		return GNUTLS_CERT_IGNORE;
	case WC_REQUEST_CLIENT_CERT:
	case WC_VERIFY_CLIENT_CERT_IF_GIVEN:
		return GNUTLS_CERT_REQUEST;
	default:
		return GNUTLS_CERT_REQUIRE;
	}
}

/* One subject alternative name of crt as text (an IP address as such). */
static bool san_text(gnutls_x509_crt_t crt, unsigned i, char *out, size_t size, int *type)
{
	unsigned char raw[512];
	size_t n = sizeof(raw) - 1;

	*type = gnutls_x509_crt_get_subject_alt_name(crt, i, raw, &n, NULL);
	if (*type < 0)
		return false;
	if (*type == GNUTLS_SAN_IPADDRESS)
		return inet_ntop(n == 4 ? AF_INET : AF_INET6, raw, out, (socklen_t)size) != NULL;
	raw[n] = '\0';
	snprintf(out, size, "%s", (const char *)raw);
	return true;
}

/* client_allowed_sans: the leaf certificate has one of them (exact). */
static bool sans_allowed(const struct wc_tls *t, gnutls_session_t s)
{
	unsigned n = 0;
	const gnutls_datum_t *peers = gnutls_certificate_get_peers(s, &n);
	gnutls_x509_crt_t crt;
	bool ok = false;
	char name[512];
	int type;

	if (peers == NULL || n == 0 || gnutls_x509_crt_init(&crt) < 0)
		return false;
	if (gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		return false;
	}
	for (unsigned i = 0; !ok; i++) {
		if (!san_text(crt, i, name, sizeof(name), &type)) {
			if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
				break;
			continue;
		}
		for (size_t j = 0; j < t->nsans && !ok; j++)
			ok = strcmp(name, t->allowed_sans[j]) == 0;
	}
	gnutls_x509_crt_deinit(crt);
	return ok;
}

/* Whether the client's certificate passes the policy, as Go's crypto/tls
 * would decide it: verified against the client CA for a client
 * authentication purpose when the policy verifies, and its names among
 * client_allowed_sans when given. */
static bool peer_ok(const struct wc_tls *t, gnutls_session_t s, const char **why)
{
	unsigned n = 0, status = 0;
	gnutls_typed_vdata_st purpose = {GNUTLS_DT_KEY_PURPOSE_OID,
					 (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0};
	bool given = gnutls_certificate_get_peers(s, &n) != NULL && n > 0;

	*why = "no client certificate";
	if (!given)
		return t->client_auth == WC_REQUEST_CLIENT_CERT ||
		       t->client_auth == WC_VERIFY_CLIENT_CERT_IF_GIVEN;
	if (t->client_auth == WC_VERIFY_CLIENT_CERT_IF_GIVEN ||
	    t->client_auth == WC_REQUIRE_AND_VERIFY_CLIENT_CERT) {
		*why = "client certificate not verified by the client CA";
		if (gnutls_certificate_verify_peers(s, &purpose, 1, &status) < 0 || status != 0)
			return false;
	}
	*why = "client certificate not among client_allowed_sans";
	return t->nsans == 0 || sans_allowed(t, s);
}

/* GnuTLS calls it in the handshake once the client's certificate (or
 * none) is known; non-zero fails the handshake. The session's pointer is
 * libmicrohttpd's connection, whose socket context is our hconn. */
static int verify_peer(gnutls_session_t s)
{
	struct MHD_Connection *conn = gnutls_session_get_ptr(s);
	const union MHD_ConnectionInfo *ci =
		conn != NULL ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT)
			     : NULL;
	struct hconn *c = ci != NULL ? ci->socket_context : NULL;
	const char *why = "no connection context";

	if (c != NULL && c->web != NULL && peer_ok(c->web->wc->tls, s, &why))
		return 0;
	if (c != NULL && c->web != NULL)
		log_kv_limited(c->web->h->ctx->log, &c->web->h->rl_tls, LOG_LVL_WARN,
			       "TLS client refused", "reason", why, (const char *)0);
	return GNUTLS_E_CERTIFICATE_ERROR;
}

/* A connection starts: its session gets the current credentials before
 * the handshake. Without them (no context, no session) a connection of a
 * TLS web config is shut down rather than served with weaker settings. */
static void web_attach(struct http *h, struct MHD_Connection *conn, struct hconn *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	const union MHD_ConnectionInfo *fd;
	struct http_web *w = web_get(h);
	gnutls_session_t s = ci != NULL ? ci->tls_session : NULL;

	if (w == NULL || w->cred == NULL) {
		http_web_unref(w);
		return;
	}
	if (c == NULL || s == NULL || gnutls_session_get_ptr(s) != (void *)conn) {
		http_web_unref(w);
		fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (fd != NULL)
			shutdown(fd->connect_fd, SHUT_RDWR);
		return;
	}
	c->web = w;
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, w->cred);
	gnutls_priority_set(s, w->prio);
	gnutls_certificate_server_set_request(s, request_of(w->wc->tls->client_auth));
	if (w->wc->tls->client_auth != WC_NO_CLIENT_CERT)
		gnutls_session_set_verify_function(s, verify_peer);
}

void http_tls_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			    enum MHD_ConnectionNotificationCode code)
{
	struct http *h = cls;
	struct hconn *c = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED && c != NULL) {
		http_web_unref(c->web);
		c->web = NULL;
	}
	http_on_connection(cls, conn, socket_context, code);
	if (code == MHD_CONNECTION_NOTIFY_STARTED && h->web_path != NULL)
		web_attach(h, conn, *socket_context);
}

/* http_server_config.headers, on every response. */
void http_add_headers(struct http *h, struct MHD_Response *resp)
{
	struct http_web *w;

	if (h->web_path == NULL || (w = web_get(h)) == NULL)
		return;
	for (size_t i = 0; i < w->wc->http->nheaders; i++)
		MHD_add_response_header(resp, w->wc->http->headers[i].key,
					w->wc->http->headers[i].value);
	http_web_unref(w);
}

/* rate_limit: a token bucket as Go's rate.Limiter (exporter-toolkit's):
 * one token every interval, at most burst of them; a request without a
 * token is answered 429. */
bool http_rate_allow(struct http *h)
{
	struct http_web *w;
	bool ok = true;
	double now, every;

	if (h->web_path == NULL || (w = web_get(h)) == NULL)
		return true;
	if (w->wc->rate->interval_ms > 0) {
		every = (double)w->wc->rate->interval_ms / 1000.0;
		now = mono_now();
		pthread_mutex_lock(&h->wlock);
		if (h->rate_web != w) { /* a new web config: a full bucket */
			h->rate_web = w;
			h->rate_tokens = (double)w->wc->rate->burst;
			h->rate_at = now;
		}
		h->rate_tokens += (now - h->rate_at) / every;
		if (h->rate_tokens > (double)w->wc->rate->burst)
			h->rate_tokens = (double)w->wc->rate->burst;
		h->rate_at = now;
		ok = h->rate_tokens >= 1.0;
		if (ok)
			h->rate_tokens -= 1.0;
		pthread_mutex_unlock(&h->wlock);
	}
	http_web_unref(w);
	return ok;
}

/* ---- start, reload -------------------------------------------------------- */

/* The users of w as the prometheus section's shape, for http_auth_glue. */
static struct cfg_prometheus users_of(const struct http_web *w)
{
	struct cfg_prometheus pc = {0};

	pc.users = w->wc->users->users;
	pc.nusers = w->wc->users->nusers;
	return pc;
}

int http_web_start(struct http *h, const struct cfg_prometheus *pc)
{
	struct http_web *w;
	struct cfg_prometheus users;

	if (pthread_mutex_init(&h->wlock, NULL) != 0)
		return -1;
	h->have_wlock = true;
	if (pc->web_config_file == NULL)
		return 0;
	if ((h->web_path = strdup(pc->web_config_file)) == NULL)
		return -1;
	if (pc->tls_cert_file != NULL || pc->nusers > 0)
		log_warn(h->ctx->log, "prometheus.tls and prometheus.basic_auth are ignored: the "
				      "web config file takes their place", "file", h->web_path);
	if ((w = web_load(h, h->web_path)) == NULL) {
		log_error(h->ctx->log, "cannot use the web config file", "file", h->web_path);
		return -1;
	}
	h->web = w;
	if (w->wc->http->http2 && w->wc->tls_on)
		log_info(h->ctx->log, "web config: http2 is accepted and ignored; HTTP/1.1 is "
				      "served", "file", h->web_path);
	users = users_of(w);
	http_users_free(h->users, h->nusers);
	h->users = NULL;
	h->nusers = 0;
	if (http_users_copy(&users, &h->users, &h->nusers) != 0)
		return -1;
	if (w->cred != NULL) {
		/* libmicrohttpd starts with them; each connection then gets
		 * the current ones (web_attach) */
		h->tls_cert = strdup(w->cert_pem);
		h->tls_key = strdup(w->key_pem);
		if (h->tls_cert == NULL || h->tls_key == NULL)
			return -1;
	}
	return 0;
}

static bool users_same(const struct wc_users *a, const struct wc_users *b)
{
	if (a->nusers != b->nusers)
		return false;
	for (size_t i = 0; i < a->nusers; i++)
		if (strcmp(a->users[i].username, b->users[i].username) != 0 ||
		    strcmp(a->users[i].password_hash, b->users[i].password_hash) != 0)
			return false;
	return true;
}

/* Loads the web config file again and swaps it in; a file that does not
 * load, or that would switch TLS on or off (the listener's, so a
 * restart's), keeps the running one. why: what asked for it. */
void http_web_reload(struct http *h, const char *why)
{
	struct http_web *w, *old;
	struct cfg_prometheus users;

	if (h == NULL || h->web_path == NULL)
		return;
	w = web_load(h, h->web_path);
	old = web_get(h);
	if (w != NULL && (w->cred != NULL) != (old->cred != NULL)) {
		log_warn(h->ctx->log, "web config: switching TLS on or off needs a restart",
			 "file", h->web_path);
		http_web_unref(w);
		w = NULL;
	}
	if (w == NULL) {
		log_error(h->ctx->log, "web config reload failed; keeping the running one",
			  "file", h->web_path, "trigger", why);
		http_web_unref(old);
		return;
	}
	users = users_of(w);
	if (!users_same(old->wc->users, w->wc->users) &&
	    http_apply_users(h->ctx, h, &users) != 0) {
		http_web_unref(w);
		http_web_unref(old);
		return;
	}
	pthread_mutex_lock(&h->wlock);
	h->web = w;
	pthread_mutex_unlock(&h->wlock);
	http_web_unref(old); /* web_get's */
	http_web_unref(old); /* h->web's: freed once no connection holds it */
	log_info(h->ctx->log, "web config reloaded", "file", h->web_path, "trigger", why);
}

/* ---- the file watch: a stat poll once a second on the loop thread ----------- */

static const char *watched(const struct http *h, const struct http_web *w, int i)
{
	switch (i) {
	case W_CONFIG:
		return h->web_path;
	case W_CERT:
		return w->wc->cert_path;
	case W_KEY:
		return w->wc->key_path;
	default:
		return w->wc->ca_path;
	}
}

static bool same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Records what the files look like now; true when any changed. */
static bool watch_scan(struct http_watch *wt)
{
	struct http_web *w = web_get(wt->h);
	bool changed = false;

	if (w == NULL)
		return false;
	for (int i = 0; i < W_COUNT; i++) {
		const char *p = watched(wt->h, w, i);
		struct stat st;
		bool present = p != NULL && stat(p, &st) == 0;

		if (present != wt->present[i] || (present && !same_stat(&st, &wt->seen[i])))
			changed = true;
		wt->present[i] = present;
		if (present)
			wt->seen[i] = st;
	}
	http_web_unref(w);
	return changed;
}

static void on_watch(uv_timer_t *t)
{
	struct http_watch *wt = t->data;

	if (!watch_scan(wt))
		return;
	http_web_reload(wt->h, "file changed");
	watch_scan(wt); /* the files as now loaded (or refused): not again */
}

int http_web_watch(struct http *h)
{
	struct http_watch *wt;

	if (h->web_path == NULL)
		return 0;
	wt = calloc(1, sizeof(*wt));
	if (wt == NULL || uv_timer_init(h->ctx->loop, &wt->timer) != 0) {
		free(wt);
		return -1;
	}
	wt->h = h;
	wt->timer.data = wt;
	watch_scan(wt);
	h->watch = wt;
	return uv_timer_start(&wt->timer, on_watch, HTTP_WATCH_MS, HTTP_WATCH_MS) == 0 ? 0 : -1;
}

static void on_watch_closed(uv_handle_t *t)
{
	free(t->data);
}

void http_web_stop(struct http *h)
{
	if (h->watch != NULL) {
		uv_timer_stop(&h->watch->timer);
		uv_close((uv_handle_t *)&h->watch->timer, on_watch_closed);
		h->watch = NULL;
	}
}

void http_web_free(struct http *h)
{
	http_web_unref(h->web);
	h->web = NULL;
	free(h->web_path);
	if (h->have_wlock)
		pthread_mutex_destroy(&h->wlock);
}
