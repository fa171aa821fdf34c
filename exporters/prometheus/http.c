/* http.c — the libmicrohttpd adapter of the Prometheus exporter.
 *
 * libmicrohttpd runs one internal polling thread; each /metrics request
 * takes a registry snapshot (the registry lock is held only for the copy),
 * renders it outside any lock, and gzips it when the client accepts it.
 * Request size, connection count and idle time are bounded by
 * libmicrohttpd's options from the config. */
#include "prometheus.h"

#include <arpa/inet.h>
#include <crypt.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "config.h"
#include "fileio.h"
#include "expo.h"
#include "log.h"
#include "metrics.h"

#define HTTP_MEMORY_LIMIT (64 * 1024)   /* per connection: request line + headers */
#define HTTP_TLS_FILE_MAX (1024 * 1024) /* PEM files larger than this are refused */
#define HTTP_REALM "circuitwatch"

enum handler { H_METRICS, H_HEALTHY, H_READY, H_ROOT, H_OTHER, H_COUNT };
static const char *const handler_names[H_COUNT] = {"/metrics", "/-/healthy", "/-/ready", "/",
						   "other"};

struct http {
	struct MHD_Daemon *mhd;
	struct cw_ctx *ctx;             /* only reg, log and ready are read here */
	struct cfg_prometheus conf;     /* shallow copy: strings below are ours */
	struct cfg_basic_auth_user *users;
	size_t nusers;
	char *tls_key, *tls_cert;
	char *listen_text;
	struct metrics_family *requests, *scrape;
	struct metrics_series *scrape_s;
	struct log_ratelimit rl_mhd, rl_auth;
};

static const double scrape_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
					0.1,   0.25,   0.5,   1,    2.5};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void count_request(struct http *h, enum handler hd, unsigned code)
{
	char c[8];
	const char *labels[] = {handler_names[hd], c};
	struct metrics_series *s;

	snprintf(c, sizeof(c), "%u", code);
	s = metrics_series_get(h->requests, labels);
	if (s != NULL)
		metrics_counter_add(s, 1);
}

static enum MHD_Result queue(struct http *h, struct MHD_Connection *conn, enum handler hd,
			     unsigned code, struct MHD_Response *resp)
{
	enum MHD_Result r;

	if (resp == NULL)
		return MHD_NO;
	r = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	count_request(h, hd, code);
	return r;
}

static struct MHD_Response *text_response(const char *body, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
								 MHD_RESPMEM_PERSISTENT);

	if (r != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	return r;
}

/* True when Accept-Encoding lists gzip (or *) with a q-value above 0. */
static bool accepts_gzip(const char *ae)
{
	const char *p = ae;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char tok[64];
		char *q;

		if (n < sizeof(tok)) {
			memcpy(tok, p, n);
			tok[n] = '\0';
			char *t = tok + strspn(tok, " \t");
			size_t tl = strcspn(t, " \t;");

			if ((tl == 4 && strncasecmp(t, "gzip", 4) == 0) ||
			    (tl == 1 && t[0] == '*')) {
				q = strstr(t, "q=");
				if (q == NULL || strtod(q + 2, NULL) > 0)
					return true;
			}
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* Gzips in into a new malloc'd buffer (*out, owned by the caller). */
static int gzip_buf(const char *in, size_t len, char **out, size_t *outlen)
{
	z_stream zs = {0};
	uLong bound;
	char *buf;

	if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&zs, (uLong)len);
	buf = malloc(bound);
	if (buf == NULL) {
		deflateEnd(&zs);
		return -1;
	}
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)buf;
	zs.avail_out = (uInt)bound;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&zs);
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = zs.total_out;
	deflateEnd(&zs);
	return 0;
}

static enum MHD_Result serve_metrics(struct http *h, struct MHD_Connection *conn)
{
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
	const char *ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding");
	enum expo_format fmt = expo_negotiate(accept);
	double t0 = mono_now();
	struct expo_buf buf = {0};
	struct metrics_snapshot *snap = metrics_snapshot_take(h->ctx->reg);
	struct MHD_Response *resp;
	bool gz = false;
	int rc;

	if (snap == NULL)
		return queue(h, conn, H_METRICS, 500, text_response("out of memory\n", "text/plain"));
	rc = expo_render(snap, fmt, &buf);
	metrics_snapshot_free(h->ctx->reg, snap);
	if (rc != 0) {
		expo_buf_clean(&buf);
		return queue(h, conn, H_METRICS, 500, text_response("out of memory\n", "text/plain"));
	}
	if (ae != NULL && accepts_gzip(ae)) {
		char *z;
		size_t zlen;

		if (gzip_buf(buf.data, buf.len, &z, &zlen) == 0) {
			expo_buf_clean(&buf);
			buf.data = z;
			buf.len = zlen;
			gz = true;
		}
	}
	resp = MHD_create_response_from_buffer_with_free_callback(buf.len, buf.data, free);
	if (resp == NULL) {
		free(buf.data);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, expo_content_type(fmt));
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
	if (gz)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	metrics_histogram_observe(h->scrape_s, mono_now() - t0);
	return queue(h, conn, H_METRICS, 200, resp);
}

static const char landing[] =
	"<!DOCTYPE html>\n<html><head><title>circuitwatch</title></head><body>\n"
	"<h1>circuitwatch " CW_VERSION "</h1>\n"
	"<p>Private WAN circuit monitoring: ExpressRoute, Direct Connect, Interconnect.</p>\n"
	"<ul>\n<li><a href=\"/metrics\">/metrics</a> (Prometheus text 0.0.4, or OpenMetrics "
	"1.0.0 by Accept)</li>\n<li><a href=\"/-/healthy\">/-/healthy</a></li>\n"
	"<li><a href=\"/-/ready\">/-/ready</a></li>\n</ul>\n</body></html>\n";

/* Constant-time comparison of two NUL-terminated strings. */
static bool same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = (unsigned char)(la != lb);

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static bool authorized(struct http *h, struct MHD_Connection *conn)
{
	char *pass = NULL, *user;
	bool ok = false;

	if (h->nusers == 0)
		return true;
	user = MHD_basic_auth_get_username_password(conn, &pass);
	if (user != NULL && pass != NULL) {
		for (size_t i = 0; i < h->nusers; i++) {
			struct crypt_data cd = {0};
			const char *hash;

			if (strcmp(user, h->users[i].username) != 0)
				continue;
			hash = crypt_r(pass, h->users[i].password_hash, &cd);
			ok = hash != NULL && same(hash, h->users[i].password_hash);
			break;
		}
	}
	if (!ok)
		log_kv_limited(h->ctx->log, &h->rl_auth, LOG_LVL_WARN, "http basic auth failed",
			       "user", user ? user : "", (const char *)0);
	MHD_free(user);
	MHD_free(pass);
	return ok;
}

static enum handler route(const char *url)
{
	for (int i = 0; i < H_OTHER; i++)
		if (strcmp(url, handler_names[i]) == 0)
			return (enum handler)i;
	return H_OTHER;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http *h = cls;
	enum handler hd = route(url);
	struct MHD_Response *resp;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		resp = text_response("method not allowed\n", "text/plain; charset=utf-8");
		if (resp != NULL)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
		return queue(h, conn, hd, 405, resp);
	}
	if (!authorized(h, conn)) {
		resp = text_response("unauthorized\n", "text/plain; charset=utf-8");
		if (resp == NULL)
			return MHD_NO;
		enum MHD_Result r = MHD_queue_basic_auth_fail_response(conn, HTTP_REALM, resp);

		MHD_destroy_response(resp);
		count_request(h, hd, 401);
		return r;
	}
	switch (hd) {
	case H_METRICS:
		return serve_metrics(h, conn);
	case H_HEALTHY:
		return queue(h, conn, hd, 200, text_response("OK\n", "text/plain; charset=utf-8"));
	case H_READY:
		if (atomic_load(&h->ctx->ready))
			return queue(h, conn, hd, 200, text_response("OK\n", "text/plain; charset=utf-8"));
		return queue(h, conn, hd, 503,
			     text_response("not ready\n", "text/plain; charset=utf-8"));
	case H_ROOT:
		return queue(h, conn, hd, 200, text_response(landing, "text/html; charset=utf-8"));
	default:
		return queue(h, conn, hd, 404, text_response("not found\n", "text/plain; charset=utf-8"));
	}
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt,
							      va_list ap)
{
	struct http *h = cls;
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_kv_limited(h->ctx->log, &h->rl_mhd, LOG_LVL_WARN, "http server", "detail", msg,
		       (const char *)0);
}

/* Opens the listening socket ourselves so that "address in use" and the
 * like come back as one precise error naming the address. */
static int open_listener(const struct cfg_prometheus *pc, const char *text, struct log *lg)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	char port[8];
	int fd = -1, one = 1, zero = 0, gai;

	snprintf(port, sizeof(port), "%u", pc->listen_port);
	hints.ai_family = pc->listen_host ? AF_UNSPEC : AF_INET6;
	gai = getaddrinfo(pc->listen_host, port, &hints, &ai);
	if (gai != 0) {
		log_error(lg, "cannot resolve listen address", "listen", text, "error",
			  gai_strerror(gai));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* no host: one dual-stack socket serves IPv4 and IPv6 */
	if (ai->ai_family == AF_INET6 && pc->listen_host == NULL)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0)
		goto fail;
	freeaddrinfo(ai);
	return fd;
fail:
	log_error(lg, "cannot listen for Prometheus scrapes", "listen", text, "port", port,
		  "error", strerror(errno));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return -1;
}

/* A TLS file, NUL-terminated: a regular file of at most HTTP_TLS_FILE_MAX
 * bytes (a FIFO or a device is refused at once, never waited on). */
static char *read_file(const char *path, struct log *lg)
{
	size_t n = 0;
	int err = 0;
	char *buf = cw_read_regular(path, HTTP_TLS_FILE_MAX, &n, &err);

	if (buf == NULL && err == EFBIG)
		log_error(lg, "TLS file too large or unreadable", "file", path);
	else if (buf == NULL)
		log_error(lg, "cannot read TLS file", "file", path, "error", cw_read_error(err));
	return buf;
}

static void http_free(struct http *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->nusers; i++) {
		free(h->users[i].username);
		free(h->users[i].password_hash);
	}
	free(h->users);
	if (h->tls_key != NULL)
		explicit_bzero(h->tls_key, strlen(h->tls_key));
	free(h->tls_key);
	free(h->tls_cert);
	free(h->listen_text);
	free(h);
}

static int copy_users(struct http *h, const struct cfg_prometheus *pc)
{
	if (pc->nusers == 0)
		return 0;
	h->users = calloc(pc->nusers, sizeof(*h->users));
	if (h->users == NULL)
		return -1;
	for (size_t i = 0; i < pc->nusers; i++) {
		h->users[i].username = strdup(pc->users[i].username);
		h->users[i].password_hash = strdup(pc->users[i].password_hash);
		h->nusers = i + 1;
		if (h->users[i].username == NULL || h->users[i].password_hash == NULL)
			return -1;
	}
	return 0;
}

static int register_metrics(struct http *h, struct metrics_registry *reg)
{
	static const char *const req_labels[] = {"handler", "code"};
	const struct metrics_family_def req = {
		METRICS_COUNTER, "circuitwatch_http_requests_total",
		"HTTP requests served by the exporter, by handler and status code.",
		NULL, 2, req_labels, 0, NULL};
	const struct metrics_family_def scrape = {
		METRICS_HISTOGRAM, "circuitwatch_scrape_duration_seconds",
		"Time to snapshot, render and compress one /metrics response.", "seconds", 0,
		NULL, sizeof(scrape_buckets) / sizeof(scrape_buckets[0]), scrape_buckets};

	h->requests = metrics_family_new(reg, &req);
	h->scrape = metrics_family_new(reg, &scrape);
	if (h->requests == NULL || h->scrape == NULL)
		return -1;
	h->scrape_s = metrics_series_get(h->scrape, NULL);
	return h->scrape_s != NULL ? 0 : -1;
}

static int load_tls(struct http *h, const struct cfg_prometheus *pc, struct log *lg)
{
	if (pc->tls_cert_file == NULL)
		return 0;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		log_error(lg, "this libmicrohttpd was built without TLS");
		return -1;
	}
	h->tls_cert = read_file(pc->tls_cert_file, lg);
	h->tls_key = read_file(pc->tls_key_file, lg);
	return h->tls_cert != NULL && h->tls_key != NULL ? 0 : -1;
}

static int start_mhd(struct http *h, int fd)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_AUTO;
	struct MHD_OptionItem tls[] = {
		{MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key},
		{MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert},
		{MHD_OPTION_END, 0, NULL},
	};

	if (h->tls_cert != NULL)
		flags |= MHD_USE_TLS;
	/* the logger goes first so that option errors reach it too */
	h->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
		MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT, h->conf.max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, h->conf.timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)HTTP_MEMORY_LIMIT, MHD_OPTION_ARRAY, h->tls_cert != NULL ? tls : tls + 2,
		MHD_OPTION_END);
	return h->mhd != NULL ? 0 : -1;
}

static char *listen_text(const struct cfg_prometheus *pc)
{
	char buf[300];
	bool v6 = pc->listen_host != NULL && strchr(pc->listen_host, ':') != NULL;

	snprintf(buf, sizeof(buf), "%s%s%s:%u", v6 ? "[" : "",
		 pc->listen_host ? pc->listen_host : "", v6 ? "]" : "", pc->listen_port);
	return strdup(buf);
}

static int http_start(struct cw_ctx *ctx, void **state)
{
	const struct cfg_prometheus *pc = &ctx->cfg->prometheus;
	struct http *h;
	int fd;

	*state = NULL;
	if (!pc->enabled) {
		log_info(ctx->log, "prometheus exporter disabled");
		return 0;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return -1;
	h->ctx = ctx;
	h->conf = *pc;
	h->listen_text = listen_text(pc);
	if (h->listen_text == NULL || copy_users(h, pc) != 0 || register_metrics(h, ctx->reg) != 0 ||
	    load_tls(h, pc, ctx->log) != 0)
		goto fail;
	fd = open_listener(pc, h->listen_text, ctx->log);
	if (fd < 0)
		goto fail;
	if (start_mhd(h, fd) != 0) {
		close(fd);
		log_error(ctx->log, "cannot start the HTTP server (bad TLS key or certificate?)",
			  "listen", h->listen_text);
		goto fail;
	}
	log_info(ctx->log, "prometheus exporter listening", "listen", h->listen_text, "tls",
		 h->tls_cert ? "on" : "off", "basic_auth", h->nusers ? "on" : "off");
	*state = h;
	return 0;
fail:
	http_free(h);
	return -1;
}

static bool str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

static bool users_differ(const struct cfg_prometheus *a, const struct cfg_prometheus *b)
{
	if (a->nusers != b->nusers)
		return true;
	for (size_t i = 0; i < a->nusers; i++)
		if (str_differs(a->users[i].username, b->users[i].username) ||
		    str_differs(a->users[i].password_hash, b->users[i].password_hash))
			return true;
	return false;
}

/* The listener, TLS and auth belong to libmicrohttpd's thread: changing
 * them needs a restart. Says which settings were not applied. */
static void http_reload(struct cw_ctx *ctx, void *state, const struct cfg_config *old)
{
	const struct cfg_prometheus *a = &old->prometheus, *b = &ctx->cfg->prometheus;
	const char *changed[8];
	size_t n = 0;

	(void)state;
	if (a->enabled != b->enabled)
		changed[n++] = "prometheus.enabled";
	if (str_differs(a->listen_host, b->listen_host) || a->listen_port != b->listen_port)
		changed[n++] = "prometheus.listen";
	if (str_differs(a->tls_cert_file, b->tls_cert_file) ||
	    str_differs(a->tls_key_file, b->tls_key_file))
		changed[n++] = "prometheus.tls";
	if (users_differ(a, b))
		changed[n++] = "prometheus.basic_auth";
	if (a->max_connections != b->max_connections)
		changed[n++] = "prometheus.max_connections";
	if (a->timeout_s != b->timeout_s)
		changed[n++] = "prometheus.timeout";
	for (size_t i = 0; i < n; i++)
		log_warn(ctx->log, "setting changed but not applied; restart to apply", "key",
			 changed[i]);
}

static void http_stop(struct cw_ctx *ctx, void *state)
{
	struct http *h = state;

	(void)ctx;
	if (h == NULL)
		return;
	/* MHD_stop_daemon closes the listening socket it was given */
	MHD_stop_daemon(h->mhd);
	http_free(h);
}

const struct cw_module expo_http_module = {
	.name = "prometheus",
	.start = http_start,
	.reload = http_reload,
	.stop = http_stop,
};
