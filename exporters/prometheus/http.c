/* http.c — the libmicrohttpd adapter of the Prometheus exporter: the
 * module (start, reload, stop), the listening socket, TLS, libmicrohttpd's
 * daemon and its log, request routing and the small answers (health,
 * readiness, the landing page, errors).
 *
 * libmicrohttpd runs a pool of HTTP_THREADS polling threads. The other
 * jobs have their own files, over the structs of http_priv.h: http_scrape.c
 * serves /metrics from the cache of rendered bodies, http_guard.c holds
 * connections to their limits and request deadline, http_auth_glue.c checks
 * basic auth on worker threads. */
#include "prometheus.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "prometheus_config.h"
#include "expo.h"
#include "fileio.h"
#include "http_priv.h"
#include "httpauth.h"
#include "log.h"
#include "metrics.h"
#include "scache.h"

static const char *const handler_names[H_COUNT] = {"/metrics", "/-/healthy", "/-/ready", "/",
						   "/api/v1", "other"};

static const char *const cache_result_names[CR_COUNT] = {"hit", "miss"};

static const double scrape_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
					0.1,   0.25,   0.5,   1,    2.5};

/* ---- responses -------------------------------------------------------------- */

void http_count_request(struct http *h, enum handler hd, unsigned code)
{
	char c[8];
	const char *labels[] = {handler_names[hd], c};
	struct metrics_series *s;

	snprintf(c, sizeof(c), "%u", code);
	s = metrics_series_get(h->requests, labels);
	if (s != NULL)
		metrics_counter_add(s, 1);
}

enum MHD_Result http_queue(struct http *h, struct MHD_Connection *conn, enum handler hd,
			   unsigned code, struct MHD_Response *resp)
{
	enum MHD_Result r;

	if (resp == NULL)
		return MHD_NO;
	http_add_headers(h, resp);
	r = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	http_count_request(h, hd, code);
	return r;
}

struct MHD_Response *http_text_response(const char *body, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
								 MHD_RESPMEM_PERSISTENT);

	if (r != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	return r;
}

static const char landing[] =
	"<!DOCTYPE html>\n<html><head><title>circuitwatch</title></head><body>\n"
	"<h1>circuitwatch " CW_VERSION "</h1>\n"
	"<p>Private WAN circuit monitoring: ExpressRoute, Direct Connect, Interconnect.</p>\n"
	"<ul>\n<li><a href=\"/metrics\">/metrics</a> (Prometheus text 0.0.4, or OpenMetrics "
	"1.0.0 by Accept)</li>\n<li><a href=\"/-/healthy\">/-/healthy</a></li>\n"
	"<li><a href=\"/-/ready\">/-/ready</a></li>\n</ul>\n</body></html>\n";

/* ---- routing ---------------------------------------------------------------- */

static enum handler route(const char *url)
{
	if (strncmp(url, "/api/", 5) == 0)
		return H_API;
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
	struct hreq *rq = *con_cls;
	enum handler hd = route(url);
	struct MHD_Response *resp;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	if (rq == NULL) {
		rq = calloc(1, sizeof(*rq));
		if (rq == NULL)
			return MHD_NO;
		*con_cls = rq;
		http_request_arrived(h, conn);
		if (!http_rate_allow(h)) /* the web config file's rate_limit */
			return http_queue(h, conn, hd, 429,
					  http_text_response("Too Many Requests\n",
							     "text/plain; charset=utf-8"));
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		resp = http_text_response("method not allowed\n", "text/plain; charset=utf-8");
		if (resp != NULL)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
		return http_queue(h, conn, hd, 405, resp);
	}
	/* queued: suspended until a worker has hashed, and the worker may
	 * already be writing rq (state, ok) */
	if (rq->state == AUTH_NONE && http_auth_begin(h, conn, rq))
		return MHD_YES;
	if (!rq->ok)
		return http_unauthorized(h, conn, hd, rq);
	switch (hd) {
	case H_METRICS:
		return http_serve_metrics(h, conn);
	case H_HEALTHY:
		return http_queue(h, conn, hd, 200,
				  http_text_response("OK\n", "text/plain; charset=utf-8"));
	case H_READY:
		if (atomic_load(&h->ctx->ready))
			return http_queue(h, conn, hd, 200,
					  http_text_response("OK\n", "text/plain; charset=utf-8"));
		return http_queue(h, conn, hd, 503,
				  http_text_response("not ready\n", "text/plain; charset=utf-8"));
	case H_ROOT:
		if (h->api != NULL)
			return page_serve(h, conn);
		return http_queue(h, conn, hd, 200,
				  http_text_response(landing, "text/html; charset=utf-8"));
	case H_API:
		if (h->api != NULL)
			return api_serve(h, conn, url);
		return http_queue(h, conn, hd, 503,
				  http_text_response("API unavailable\n", "text/plain; charset=utf-8"));
	default:
		return http_queue(h, conn, hd, 404,
				  http_text_response("not found\n", "text/plain; charset=utf-8"));
	}
}

/* ---- libmicrohttpd, the listener, TLS --------------------------------------- */

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
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, HTTP_LISTEN_BACKLOG) != 0)
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
char *http_read_pem(const char *path, struct log *lg)
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

static int load_tls(struct http *h, const struct cfg_prometheus *pc, struct log *lg)
{
	if (h->tls_cert == NULL && (pc->tls_cert_file == NULL || h->web_path != NULL))
		return 0;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		log_error(lg, "this libmicrohttpd was built without TLS");
		return -1;
	}
	if (h->tls_cert != NULL) /* the web config file's (http_web_start) */
		return 0;
	h->tls_cert = http_read_pem(pc->tls_cert_file, lg);
	h->tls_key = http_read_pem(pc->tls_key_file, lg);
	return h->tls_cert != NULL && h->tls_key != NULL ? 0 : -1;
}

static int start_mhd(struct http *h, int fd)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_AUTO |
			 MHD_ALLOW_SUSPEND_RESUME;
	struct MHD_OptionItem tls[] = {
		{MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key},
		{MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert},
		{MHD_OPTION_END, 0, NULL},
	};

	if (h->tls_cert != NULL)
		flags |= MHD_USE_TLS;
	/* the logger goes first so that option errors reach it too. The
	 * accept policy enforces max_connections; libmicrohttpd's own limit
	 * leaves room for connections we closed that it has not reaped yet. */
	h->mhd = MHD_start_daemon(
		flags, 0, http_on_accept, h, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
		h, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
		h->conf.max_connections + HTTP_CLOSE_SLACK, MHD_OPTION_CONNECTION_TIMEOUT,
		h->conf.timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MEMORY_LIMIT,
		MHD_OPTION_NOTIFY_CONNECTION, http_tls_on_connection, h, MHD_OPTION_NOTIFY_COMPLETED,
		http_on_completed, h, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
		MHD_OPTION_ARRAY, h->tls_cert != NULL ? tls : tls + 2, MHD_OPTION_END);
	return h->mhd != NULL ? 0 : -1;
}

/* ---- the module ------------------------------------------------------------- */

static void http_free(struct http *h)
{
	if (h == NULL)
		return;
	http_users_free(h->users, h->nusers);
	http_web_free(h);
	if (h->have_ulock)
		pthread_mutex_destroy(&h->ulock);
	if (h->tls_key != NULL)
		explicit_bzero(h->tls_key, strlen(h->tls_key));
	free(h->tls_key);
	free(h->tls_cert);
	free(h->listen_text);
	api_free(h->api);
	ha_cache_free(h->cache);
	sc_free(h->bodies);
	expo_gz_free(h->gz[0]);
	expo_gz_free(h->gz[1]);
	if (h->have_lock) {
		pthread_mutex_destroy(&h->lock);
		pthread_cond_destroy(&h->tick);
	}
	if (h->have_alock) {
		pthread_mutex_destroy(&h->alock);
		pthread_cond_destroy(&h->acv);
	}
	free(h);
}

struct metrics_family *http_family(struct metrics_registry *reg, const char *name,
				   const char *help, const char *label)
{
	const char *const labels[] = {label};
	const struct metrics_family_def def = {
		METRICS_COUNTER, name, help, NULL, label != NULL ? 1 : 0,
		label != NULL ? labels : NULL, 0, NULL};

	return metrics_family_new(reg, &def);
}

/* The cache's size and the bodies rendered ahead: quiet, or every render
 * would make the body it just stored stale. */
static int register_prerender_metrics(struct http *h, struct metrics_registry *reg)
{
	const struct metrics_family_def bytes = {
		METRICS_GAUGE, "circuitwatch_scrape_cache_bytes",
		"Bytes of the rendered /metrics bodies the cache holds (at most 64 MiB).",
		"bytes", 0, NULL, 0, NULL};
	const struct metrics_family_def ahead = {
		METRICS_HISTOGRAM, "circuitwatch_scrape_prerender_duration_seconds",
		"Time to snapshot, render and compress one /metrics body ahead of the scrapes "
		"that will ask for it.",
		"seconds", 0, NULL, sizeof(scrape_buckets) / sizeof(scrape_buckets[0]),
		scrape_buckets};
	struct metrics_family *fb = metrics_family_new(reg, &bytes);
	struct metrics_family *fa = metrics_family_new(reg, &ahead);

	if (fb == NULL || fa == NULL || (h->cache_bytes = metrics_series_get(fb, NULL)) == NULL ||
	    (h->prerender_s = metrics_series_get(fa, NULL)) == NULL)
		return -1;
	metrics_series_set_quiet(h->cache_bytes, true);
	metrics_series_set_quiet(h->prerender_s, true);
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
	struct metrics_series *ok;

	static const char *const metrics_ok[] = {"/metrics", "200"};
	struct metrics_family *cache;

	h->requests = metrics_family_new(reg, &req);
	h->scrape = metrics_family_new(reg, &scrape);
	cache = http_family(reg, "circuitwatch_scrape_cache_total",
			    "/metrics answers by whether the body was rendered for them (miss) or "
			    "reused from the cache (hit).", "result");
	if (h->requests == NULL || h->scrape == NULL || cache == NULL)
		return -1;
	h->scrape_s = metrics_series_get(h->scrape, NULL);
	if (h->scrape_s == NULL)
		return -1;
	for (int i = 0; i < CR_COUNT; i++)
		if ((h->cache_s[i] = metrics_series_get(cache, &cache_result_names[i])) == NULL)
			return -1;
	/* the bookkeeping of every scrape is quiet, or no body could ever be
	 * reused: a cached body shows it as of its render */
	ok = metrics_series_get(h->requests, metrics_ok);
	if (ok == NULL)
		return -1;
	metrics_series_set_quiet(ok, true);
	metrics_series_set_quiet(h->scrape_s, true);
	for (int i = 0; i < CR_COUNT; i++)
		metrics_series_set_quiet(h->cache_s[i], true);
	if (register_prerender_metrics(h, reg) != 0)
		return -1;
	return http_register_guard_metrics(h, reg);
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
	const struct cfg_prometheus *pc = prometheus_config(ctx->cfg);
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
	if (h->listen_text == NULL || http_users_copy(pc, &h->users, &h->nusers) != 0 ||
	    http_web_start(h, pc) != 0 || register_metrics(h, ctx->reg) != 0 ||
	    load_tls(h, pc, ctx->log) != 0 || (h->api = api_new(ctx)) == NULL)
		goto fail;
	{
		const struct sc_source src = {http_body_generation, http_render_body, h,
					      http_body_release};

		if ((h->bodies = sc_new(HTTP_VARIANTS, HTTP_CACHE_MAX_AGE, &src)) == NULL ||
		    (h->gz[EXPO_TEXT] = expo_gz_new(EXPO_TEXT, HTTP_GZIP_LEVEL)) == NULL ||
		    (h->gz[EXPO_OPENMETRICS] = expo_gz_new(EXPO_OPENMETRICS, HTTP_GZIP_LEVEL)) == NULL)
			goto fail;
		sc_set_max_bytes(h->bodies, HTTP_CACHE_MAX_BYTES);
	}
	if (http_start_guards(h) != 0 || http_start_prerender(h) != 0) {
		log_error(ctx->log, "cannot start the HTTP exporter's threads");
		goto fail;
	}
	fd = open_listener(pc, h->listen_text, ctx->log);
	if (fd < 0)
		goto fail;
	if (start_mhd(h, fd) != 0) {
		close(fd);
		log_error(ctx->log, "cannot start the HTTP server (bad TLS key or certificate?)",
			  "listen", h->listen_text);
		goto fail;
	}
	if (http_web_watch(h) != 0) {
		log_error(ctx->log, "cannot watch the web config file", "file", h->web_path);
		http_web_stop(h);
		MHD_stop_daemon(h->mhd);
		goto fail;
	}
	if (h->web_path != NULL)
		log_info(ctx->log, "prometheus exporter listening", "listen", h->listen_text,
			 "tls", h->tls_cert ? "on" : "off", "basic_auth", h->nusers ? "on" : "off",
			 "web_config", h->web_path);
	else
		log_info(ctx->log, "prometheus exporter listening", "listen", h->listen_text,
			 "tls", h->tls_cert ? "on" : "off", "basic_auth", h->nusers ? "on" : "off");
	*state = h;
	return 0;
fail:
	http_stop_prerender(h);
	http_stop_guards(h);
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

static void http_reload(struct cw_ctx *ctx, void *state, const struct cfg_config *old)
{
	struct http *h = state;

	const struct cfg_prometheus *a = prometheus_config(old), *b = prometheus_config(ctx->cfg);
	const char *changed[12];
	size_t n = 0;

	if (a->enabled != b->enabled)
		changed[n++] = "prometheus.enabled";
	if (str_differs(a->listen_host, b->listen_host) || a->listen_port != b->listen_port)
		changed[n++] = "prometheus.listen";
	if (str_differs(a->web_config_file, b->web_config_file))
		changed[n++] = "prometheus.web_config_file";
	if (h != NULL && h->web_path != NULL)
		http_web_reload(h, "SIGHUP"); /* it takes the place of tls and basic_auth */
	else if (str_differs(a->tls_cert_file, b->tls_cert_file) ||
		 str_differs(a->tls_key_file, b->tls_key_file))
		changed[n++] = "prometheus.tls";
	if ((h == NULL || h->web_path == NULL) && users_differ(a, b) &&
	    (h == NULL || http_apply_users(ctx, h, b) != 0))
		changed[n++] = "prometheus.basic_auth";
	if (a->max_connections != b->max_connections)
		changed[n++] = "prometheus.max_connections";
	if (a->max_connections_per_address != b->max_connections_per_address)
		changed[n++] = "prometheus.max_connections_per_address";
	if (a->request_timeout_s != b->request_timeout_s)
		changed[n++] = "prometheus.request_timeout";
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
	http_web_stop(h);
	http_stop_guards(h);
	/* MHD_stop_daemon closes the listening socket it was given */
	MHD_stop_daemon(h->mhd);
	http_stop_prerender(h);
	http_free(h);
}

const struct cw_module expo_http_module = {
	.name = "prometheus",
	.start = http_start,
	.reload = http_reload,
	.stop = http_stop,
};
