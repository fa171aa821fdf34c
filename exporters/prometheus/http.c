/* http.c — the libmicrohttpd adapter of the Prometheus exporter.
 *
 * libmicrohttpd runs a pool of HTTP_THREADS polling threads. A /metrics
 * answer is a rendered body shared by reference from the cache (scache.h):
 * per format and encoding, reused for at most HTTP_CACHE_MAX_AGE and only
 * while the registry's generation holds, which the exporter's own
 * per-scrape series (marked quiet) do not move; a stale body is rendered
 * once (snapshot, render outside any lock, gzip) while the other requests
 * for it wait and share the result.
 *
 * Against slow or many clients (slowloris): the accept policy admits at most
 * max_connections_per_address per IPv4 address or IPv6 /64 and, when all
 * max_connections are taken, makes room by closing the connection that has
 * waited longest for its request; a deadline thread shuts down every
 * connection whose request has not fully arrived request_timeout after the
 * connection opened (or after its previous request), because
 * libmicrohttpd's own timeout counts idle time only and a client sending a
 * byte now and then never idles.
 *
 * Basic auth: crypt(3) takes ~100 ms by design, so it runs on worker
 * threads while the connection is suspended, never on the HTTP threads;
 * an unknown user is hashed like a known one (no user enumeration by
 * timing) and verified credentials are cached under an HMAC key
 * (httpauth.h). */
#include "prometheus.h"

#include <arpa/inet.h>
#include <crypt.h>
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
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "prometheus_config.h"
#include "fileio.h"
#include "expo.h"
#include "httpauth.h"
#include "log.h"
#include "metrics.h"
#include "scache.h"

#define HTTP_MEMORY_LIMIT (64 * 1024)   /* per connection: request line + headers */
#define HTTP_TLS_FILE_MAX (1024 * 1024) /* PEM files larger than this are refused */
#define HTTP_REALM "circuitwatch"
#define HTTP_CLOSE_SLACK 32        /* connections we closed that libmicrohttpd still holds */
#define HTTP_DEADLINE_TICK_MS 200  /* how often the request deadline is checked */
#define HTTP_AUTH_WORKERS 2        /* threads running crypt(3) */
#define HTTP_AUTH_QUEUE_MAX 32     /* requests waiting for a worker; more get 503 */
#define HTTP_AUTH_CACHE_MAX 64     /* verified credentials remembered */
#define HTTP_AUTH_CACHE_TTL 300.0  /* seconds a verification is remembered */
#define HTTP_LISTEN_BACKLOG 256
#define HTTP_THREADS 2             /* libmicrohttpd workers: a render blocks only its own */

enum handler { H_METRICS, H_HEALTHY, H_READY, H_ROOT, H_OTHER, H_COUNT };
static const char *const handler_names[H_COUNT] = {"/metrics", "/-/healthy", "/-/ready", "/",
						   "other"};

/* The cached /metrics variants: format x encoding. */
#define HTTP_VARIANTS 4
#define HTTP_CACHE_MAX_AGE 1.0 /* seconds a rendered body may be reused */
#define VARIANT(fmt, gz) ((unsigned)(fmt) * 2u + ((gz) ? 1u : 0u))
enum cache_result { CR_HIT, CR_MISS, CR_COUNT };
static const char *const cache_result_names[CR_COUNT] = {"hit", "miss"};

/* One open connection (libmicrohttpd's socket context), on the list of
 * connections of all HTTP threads under http.lock, where the deadline
 * thread reads it. */
struct hconn {
	struct hconn *prev, *next;
	uint8_t addr[16];               /* IPv4 address or IPv6 /64: the per-address key */
	size_t addr_len;
	int fd;
	double since;                   /* opened, or its last request completed */
	bool waiting;                   /* its request has not fully arrived: deadline runs */
	bool closing;                   /* shut down by us; libmicrohttpd will reap it */
};

enum auth_state { AUTH_NONE, AUTH_PENDING, AUTH_DONE };

/* One request (libmicrohttpd's con_cls); freed when it completes. While
 * AUTH_PENDING the connection is suspended and a worker owns the fields
 * below `state`. */
struct hreq {
	struct hreq *next;              /* worker queue */
	struct MHD_Connection *conn;
	enum auth_state state;
	bool ok, busy;
	char *hash;                     /* copy of the user's hash, or of the stand-in */
	bool known;
	uint64_t users_gen;             /* the users it was checked against */
	uint8_t key[HA_KEY_LEN];
	char user[65];                  /* for the log line only */
	char pass[HA_CRED_MAX + 1];     /* has no NUL inside (refused before) */
};

enum auth_result { AR_CACHE_HIT, AR_VERIFIED, AR_REJECTED, AR_BUSY, AR_COUNT };
static const char *const auth_result_names[AR_COUNT] = {"cache_hit", "verified", "rejected",
							 "busy"};
enum refusal { RF_CONNECTION_LIMIT, RF_ADDRESS_LIMIT, RF_COUNT };
static const char *const refusal_names[RF_COUNT] = {"connection_limit", "address_limit"};

struct http {
	struct MHD_Daemon *mhd;
	struct cw_ctx *ctx;             /* only reg, log and ready are read here */
	struct cfg_prometheus conf;     /* shallow copy: strings below are ours */
	struct cfg_basic_auth_user *users; /* under ulock: a reload may swap them */
	size_t nusers;
	pthread_mutex_t ulock;
	uint64_t users_gen;             /* under ulock: bumped when a reload swaps users */
	bool have_ulock;
	char *tls_key, *tls_cert;
	char *listen_text;
	struct metrics_family *requests, *scrape;
	struct metrics_series *scrape_s;
	struct metrics_series *cache_s[CR_COUNT];
	struct scache *bodies;          /* rendered /metrics bodies */
	struct metrics_series *refused[RF_COUNT], *timeouts, *evicted, *auth[AR_COUNT];
	struct log_ratelimit rl_mhd, rl_auth, rl_refused, rl_timeout;

	/* connections: list and counts under lock; the deadline thread */
	pthread_mutex_t lock;
	pthread_cond_t tick;
	struct hconn *conns;
	size_t nconns, nclosing;
	bool stop_deadline, have_lock, have_deadline;
	pthread_t deadline;

	/* basic auth: the queue under alock; the workers; the cache */
	pthread_mutex_t alock;
	pthread_cond_t acv;
	struct hreq *qhead, *qtail;
	size_t qlen;
	bool stop_auth, have_alock;
	pthread_t workers[HTTP_AUTH_WORKERS];
	size_t nworkers;
	struct ha_cache *cache;
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

static uint64_t body_generation(void *arg)
{
	const struct http *h = arg;

	return metrics_registry_generation(h->ctx->reg);
}

/* Snapshot, render and (for the gzip variants) compress one body. *ext
 * becomes non-NULL when the body is gzip (compression falls back to
 * identity when it fails). */
static int render_body(void *arg, unsigned variant, char **data, size_t *len, void **ext)
{
	struct http *h = arg;
	enum expo_format fmt = variant / 2 ? EXPO_OPENMETRICS : EXPO_TEXT;
	double t0 = mono_now();
	struct expo_buf buf = {0};
	struct metrics_snapshot *snap = metrics_snapshot_take(h->ctx->reg);
	int rc;

	if (snap == NULL)
		return -1;
	rc = expo_render(snap, fmt, &buf);
	metrics_snapshot_free(h->ctx->reg, snap);
	if (rc != 0) {
		expo_buf_clean(&buf);
		return -1;
	}
	*ext = NULL;
	if (variant % 2) {
		char *z;
		size_t zlen;

		if (gzip_buf(buf.data, buf.len, &z, &zlen) == 0) {
			expo_buf_clean(&buf);
			buf.data = z;
			buf.len = zlen;
			*ext = h; /* any non-NULL: gzip */
		}
	}
	*data = buf.data;
	*len = buf.len;
	metrics_histogram_observe(h->scrape_s, mono_now() - t0);
	return 0;
}

static void release_body(void *cls)
{
	sc_body_unref(cls);
}

/* Serves the cached body of the request's variant (scache.h has the
 * freshness rule), rendering it when stale. */
static enum MHD_Result serve_metrics(struct http *h, struct MHD_Connection *conn)
{
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
	const char *ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding");
	enum expo_format fmt = expo_negotiate(accept);
	enum sc_result res;
	struct sc_body *b = sc_get(h->bodies, VARIANT(fmt, ae != NULL && accepts_gzip(ae)),
				  mono_now(), &res);
	struct MHD_Response *resp;

	if (b == NULL)
		return queue(h, conn, H_METRICS, 500, text_response("out of memory\n", "text/plain"));
	metrics_counter_add(h->cache_s[res == SC_MISS ? CR_MISS : CR_HIT], 1);
	resp = MHD_create_response_from_buffer_with_free_callback_cls(b->len, b->data,
								       release_body, b);
	if (resp == NULL) {
		sc_body_unref(b);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, expo_content_type(fmt));
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
	if (b->ext != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	return queue(h, conn, H_METRICS, 200, resp);
}

static const char landing[] =
	"<!DOCTYPE html>\n<html><head><title>circuitwatch</title></head><body>\n"
	"<h1>circuitwatch " CW_VERSION "</h1>\n"
	"<p>Private WAN circuit monitoring: ExpressRoute, Direct Connect, Interconnect.</p>\n"
	"<ul>\n<li><a href=\"/metrics\">/metrics</a> (Prometheus text 0.0.4, or OpenMetrics "
	"1.0.0 by Accept)</li>\n<li><a href=\"/-/healthy\">/-/healthy</a></li>\n"
	"<li><a href=\"/-/ready\">/-/ready</a></li>\n</ul>\n</body></html>\n";

static void log_auth_failure(struct http *h, const char *user)
{
	log_kv_limited(h->ctx->log, &h->rl_auth, LOG_LVL_WARN, "http basic auth failed", "user",
		       user, (const char *)0);
}

static void count_auth(struct http *h, enum auth_result r)
{
	if (h->auth[r] != NULL)
		metrics_counter_add(h->auth[r], 1);
}

/* Copies at most 64 bytes of the user name, control bytes as '?', for logging. */
static void copy_user(char dst[65], const struct ha_cred *c)
{
	size_t n = c->user_len < 64 ? c->user_len : 64;

	for (size_t i = 0; i < n; i++)
		dst[i] = (unsigned char)c->user[i] < 0x20 ? '?' : c->user[i];
	dst[n] = '\0';
}

static ssize_t find_user(const struct http *h, const struct ha_cred *c)
{
	for (size_t i = 0; i < h->nusers; i++)
		if (strlen(h->users[i].username) == c->user_len &&
		    memcmp(h->users[i].username, c->user, c->user_len) == 0)
			return (ssize_t)i;
	return -1;
}

/* Queues rq for a worker and suspends its connection; false when the queue
 * is full. The suspension comes first so that a fast worker cannot resume
 * a connection that is not yet suspended. */
static bool auth_enqueue(struct http *h, struct MHD_Connection *conn, struct hreq *rq)
{
	pthread_mutex_lock(&h->alock);
	if (h->qlen >= HTTP_AUTH_QUEUE_MAX || h->stop_auth || h->nworkers == 0) {
		pthread_mutex_unlock(&h->alock);
		return false;
	}
	rq->conn = conn;
	rq->state = AUTH_PENDING;
	rq->next = NULL;
	MHD_suspend_connection(conn);
	if (h->qtail != NULL)
		h->qtail->next = rq;
	else
		h->qhead = rq;
	h->qtail = rq;
	h->qlen++;
	pthread_cond_signal(&h->acv);
	pthread_mutex_unlock(&h->alock);
	return true;
}

/* Starts the basic-auth check of a request: decided at once (no or bad
 * credentials, a password with a NUL byte, a cache hit, a full queue) or
 * handed to a worker (rq->state becomes AUTH_PENDING). The header is
 * decoded with its length, so a NUL inside the password is seen. */
static void auth_begin(struct http *h, struct MHD_Connection *conn, struct hreq *rq)
{
	struct ha_cred *c = NULL;
	const char *v = NULL;
	size_t vlen = 0;
	ssize_t u;

	rq->state = AUTH_DONE;
	rq->ok = false;
	pthread_mutex_lock(&h->ulock);
	if (h->nusers == 0) {
		rq->ok = true; /* no basic auth configured */
		goto out;
	}
	c = malloc(sizeof(*c));
	if (c == NULL)
		goto out;
	if (MHD_lookup_connection_value_n(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION,
					  strlen(MHD_HTTP_HEADER_AUTHORIZATION), &v,
					  &vlen) != MHD_YES ||
	    v == NULL || ha_parse_basic(v, vlen, c) != 0) {
		log_auth_failure(h, "");
		goto out;
	}
	copy_user(rq->user, c);
	/* crypt(3) stops at NUL: "abc\0xyz" would pass as "abc" */
	if (memchr(c->pass, '\0', c->pass_len) != NULL || ha_cache_key(h->cache, c, rq->key) != 0) {
		count_auth(h, AR_REJECTED);
		log_auth_failure(h, rq->user);
		goto out;
	}
	if (ha_cache_hit(h->cache, rq->key, mono_now())) {
		count_auth(h, AR_CACHE_HIT);
		rq->ok = true;
		goto out;
	}
	u = find_user(h, c);
	rq->known = u >= 0;
	/* an unknown user costs the same hashing as a known one: the first
	 * user's hash stands in, and the answer is no whatever it says */
	rq->hash = strdup(h->users[u >= 0 ? u : 0].password_hash);
	rq->users_gen = h->users_gen;
	if (rq->hash == NULL)
		goto out;
	memcpy(rq->pass, c->pass, c->pass_len);
	rq->pass[c->pass_len] = '\0';
	if (!auth_enqueue(h, conn, rq)) {
		explicit_bzero(rq->pass, sizeof(rq->pass));
		count_auth(h, AR_BUSY);
		rq->busy = true;
	}
out:
	pthread_mutex_unlock(&h->ulock);
	if (c != NULL)
		ha_cred_clean(c);
	free(c);
}

/* Constant-time comparison of two NUL-terminated strings. */
static bool same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = (unsigned char)(la != lb);

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* Runs on a worker: the crypt(3) check of one queued request, then resumes
 * its connection (libmicrohttpd calls on_request again). */
static void auth_verify(struct http *h, struct hreq *rq, struct crypt_data *cd)
{
	const char *out;
	bool ok;

	if (cd != NULL) {
		memset(cd, 0, sizeof(*cd));
		out = crypt_r(rq->pass, rq->hash, cd);
		ok = out != NULL && same(out, rq->hash) && rq->known;
		explicit_bzero(cd, sizeof(*cd));
	} else {
		ok = false; /* no memory for crypt_r */
	}
	explicit_bzero(rq->pass, sizeof(rq->pass));
	/* users reloaded meanwhile: this check was against users no longer in force */
	pthread_mutex_lock(&h->ulock);
	ok = ok && rq->users_gen == h->users_gen;
	if (ok)
		ha_cache_put(h->cache, rq->key, mono_now());
	pthread_mutex_unlock(&h->ulock);
	count_auth(h, ok ? AR_VERIFIED : AR_REJECTED);
	if (!ok)
		log_auth_failure(h, rq->user);
	rq->ok = ok;
	rq->state = AUTH_DONE;
	MHD_resume_connection(rq->conn);
}

static void *auth_worker(void *arg)
{
	struct http *h = arg;
	struct crypt_data *cd = malloc(sizeof(*cd));

	/* not niced: setpriority is outside the systemd unit's syscall filter */
	pthread_mutex_lock(&h->alock);
	while (!h->stop_auth) {
		struct hreq *rq = h->qhead;

		if (rq == NULL) {
			pthread_cond_wait(&h->acv, &h->alock);
			continue;
		}
		h->qhead = rq->next;
		if (h->qhead == NULL)
			h->qtail = NULL;
		h->qlen--;
		pthread_mutex_unlock(&h->alock);
		auth_verify(h, rq, cd);
		pthread_mutex_lock(&h->alock);
	}
	pthread_mutex_unlock(&h->alock);
	free(cd);
	return NULL;
}

static enum handler route(const char *url)
{
	for (int i = 0; i < H_OTHER; i++)
		if (strcmp(url, handler_names[i]) == 0)
			return (enum handler)i;
	return H_OTHER;
}

/* The request's headers have arrived: its connection leaves the deadline. */
static void request_arrived(struct http *h, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct hconn *c = ci != NULL ? ci->socket_context : NULL;

	if (c == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	c->waiting = false;
	pthread_mutex_unlock(&h->lock);
}

static enum MHD_Result unauthorized(struct http *h, struct MHD_Connection *conn,
				    enum handler hd, const struct hreq *rq)
{
	struct MHD_Response *resp;
	enum MHD_Result r;

	if (rq->busy) {
		resp = text_response("too many logins in progress; retry\n",
				     "text/plain; charset=utf-8");
		if (resp != NULL)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
		return queue(h, conn, hd, 503, resp);
	}
	resp = text_response("unauthorized\n", "text/plain; charset=utf-8");
	if (resp == NULL)
		return MHD_NO;
	r = MHD_queue_basic_auth_fail_response(conn, HTTP_REALM, resp);
	MHD_destroy_response(resp);
	count_request(h, hd, 401);
	return r;
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
		request_arrived(h, conn);
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		resp = text_response("method not allowed\n", "text/plain; charset=utf-8");
		if (resp != NULL)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
		return queue(h, conn, hd, 405, resp);
	}
	if (rq->state == AUTH_NONE)
		auth_begin(h, conn, rq);
	if (rq->state == AUTH_PENDING)
		return MHD_YES; /* suspended until a worker has hashed */
	if (!rq->ok)
		return unauthorized(h, conn, hd, rq);
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

/* A request is over (answered or aborted): the connection waits for the
 * next one, under the deadline again. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct hconn *c = ci != NULL ? ci->socket_context : NULL;

	(void)toe;
	if (c != NULL) {
		pthread_mutex_lock(&h->lock);
		c->waiting = true;
		c->since = mono_now();
		pthread_mutex_unlock(&h->lock);
	}
	if (*con_cls != NULL) {
		struct hreq *rq = *con_cls;

		free(rq->hash);
		explicit_bzero(rq, sizeof(*rq));
		free(rq);
		*con_cls = NULL;
	}
}

/* The per-address key: an IPv4 address (also when mapped into IPv6) or
 * the /64 of an IPv6 address, which one host usually holds whole. */
static size_t addr_key(const struct sockaddr *sa, uint8_t key[16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (sa->sa_family == AF_INET) {
		memcpy(key, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return 4;
	}
	if (sa->sa_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;

		if (memcmp(a, mapped, sizeof(mapped)) == 0) {
			memcpy(key, a + 12, 4);
			return 4;
		}
		memcpy(key, a, 8);
		return 8;
	}
	return 0;
}

/* Closes the live connection that has waited longest for its request
 * (under h->lock). False when every connection is busy with a request. */
static bool evict_oldest_waiting(struct http *h)
{
	struct hconn *old = NULL;

	for (struct hconn *c = h->conns; c != NULL; c = c->next)
		if (c->waiting && !c->closing && (old == NULL || c->since < old->since))
			old = c;
	if (old == NULL)
		return false;
	shutdown(old->fd, SHUT_RDWR);
	old->closing = true;
	h->nclosing++;
	metrics_counter_add(h->evicted, 1);
	log_kv_limited(h->ctx->log, &h->rl_refused, LOG_LVL_WARN,
		       "http connections full; closed the one waiting longest for its request",
		       (const char *)0);
	return true;
}

static void log_refused(struct http *h, enum refusal r)
{
	metrics_counter_add(h->refused[r], 1);
	log_kv_limited(h->ctx->log, &h->rl_refused, LOG_LVL_WARN, "http connection refused",
		       "reason", refusal_names[r], (const char *)0);
}

/* libmicrohttpd's accept policy, on an HTTP thread before each new
 * connection: the per-address limit, then the total. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *sa, socklen_t salen)
{
	struct http *h = cls;
	uint8_t key[16];
	size_t klen = addr_key(sa, key), same_addr = 0;
	enum MHD_Result r = MHD_YES;

	(void)salen;
	pthread_mutex_lock(&h->lock);
	for (struct hconn *c = h->conns; c != NULL; c = c->next)
		if (!c->closing && c->addr_len == klen && memcmp(c->addr, key, klen) == 0)
			same_addr++;
	if (same_addr >= h->conf.max_connections_per_address) {
		log_refused(h, RF_ADDRESS_LIMIT);
		r = MHD_NO;
	} else if (h->nconns - h->nclosing >= h->conf.max_connections &&
		   (h->nconns + 1 >= h->conf.max_connections + HTTP_CLOSE_SLACK ||
		    !evict_oldest_waiting(h))) {
		log_refused(h, RF_CONNECTION_LIMIT);
		r = MHD_NO;
	}
	pthread_mutex_unlock(&h->lock);
	return r;
}

static void conn_started(struct http *h, struct MHD_Connection *conn, void **socket_context)
{
	const union MHD_ConnectionInfo *fd = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *ad = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct hconn *c = calloc(1, sizeof(*c));

	*socket_context = c;
	if (c == NULL)
		return; /* not tracked: libmicrohttpd's idle timeout still applies */
	c->fd = fd != NULL ? fd->connect_fd : -1;
	c->addr_len = ad != NULL && ad->client_addr != NULL ? addr_key(ad->client_addr, c->addr) : 0;
	c->since = mono_now();
	c->waiting = true;
	pthread_mutex_lock(&h->lock);
	c->next = h->conns;
	if (h->conns != NULL)
		h->conns->prev = c;
	h->conns = c;
	h->nconns++;
	pthread_mutex_unlock(&h->lock);
}

/* Called before libmicrohttpd closes the socket, so the deadline thread
 * never shuts down a descriptor number that was reused. */
static void conn_closed(struct http *h, struct hconn *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	h->nconns--;
	if (c->closing)
		h->nclosing--;
	pthread_mutex_unlock(&h->lock);
	free(c);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http *h = cls;

	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		conn_started(h, conn, socket_context);
	else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		conn_closed(h, *socket_context);
		*socket_context = NULL;
	}
}

/* The deadline thread: every tick, shuts down the connections whose
 * request has not arrived within request_timeout. libmicrohttpd sees the
 * end of the stream and closes them on its thread. */
static void *deadline_main(void *arg)
{
	struct http *h = arg;
	double limit = (double)h->conf.request_timeout_s;

	pthread_mutex_lock(&h->lock);
	while (!h->stop_deadline) {
		struct timespec until;
		double now;
		size_t n = 0;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += HTTP_DEADLINE_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->tick, &h->lock, &until);
		now = mono_now();
		for (struct hconn *c = h->conns; c != NULL; c = c->next) {
			if (!c->waiting || c->closing || c->fd < 0 || now - c->since < limit)
				continue;
			shutdown(c->fd, SHUT_RDWR);
			c->closing = true;
			h->nclosing++;
			n++;
		}
		if (n > 0) {
			char num[24];

			metrics_counter_add(h->timeouts, (double)n);
			snprintf(num, sizeof(num), "%zu", n);
			log_kv_limited(h->ctx->log, &h->rl_timeout, LOG_LVL_WARN,
				       "http request not received in time; connections closed",
				       "connections", num, (const char *)0);
		}
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
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

static void users_free(struct cfg_basic_auth_user *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(u[i].username);
		free(u[i].password_hash);
	}
	free(u);
}

/* Copies the configured users into *out (owned by the caller). */
static int users_copy(const struct cfg_prometheus *pc, struct cfg_basic_auth_user **out,
		      size_t *n)
{
	struct cfg_basic_auth_user *u = NULL;

	*out = NULL;
	*n = 0;
	if (pc->nusers == 0)
		return 0;
	u = calloc(pc->nusers, sizeof(*u));
	if (u == NULL)
		return -1;
	for (size_t i = 0; i < pc->nusers; i++) {
		u[i].username = strdup(pc->users[i].username);
		u[i].password_hash = strdup(pc->users[i].password_hash);
		if (u[i].username == NULL || u[i].password_hash == NULL) {
			users_free(u, i + 1);
			return -1;
		}
	}
	*out = u;
	*n = pc->nusers;
	return 0;
}

static void http_free(struct http *h)
{
	if (h == NULL)
		return;
	users_free(h->users, h->nusers);
	if (h->have_ulock)
		pthread_mutex_destroy(&h->ulock);
	if (h->tls_key != NULL)
		explicit_bzero(h->tls_key, strlen(h->tls_key));
	free(h->tls_key);
	free(h->tls_cert);
	free(h->listen_text);
	ha_cache_free(h->cache);
	sc_free(h->bodies);
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

static struct metrics_family *family(struct metrics_registry *reg, const char *name,
				      const char *help, const char *label)
{
	const char *const labels[] = {label};
	const struct metrics_family_def def = {
		METRICS_COUNTER, name, help, NULL, label != NULL ? 1 : 0,
		label != NULL ? labels : NULL, 0, NULL};

	return metrics_family_new(reg, &def);
}

static int register_guard_metrics(struct http *h, struct metrics_registry *reg)
{
	struct metrics_family *refused, *timeouts, *evicted, *auth;

	refused = family(reg, "circuitwatch_http_connections_refused_total",
			 "HTTP connections refused on accept, by reason.", "reason");
	timeouts = family(reg, "circuitwatch_http_request_timeouts_total",
			  "HTTP connections closed because their request did not arrive "
			  "within prometheus.request_timeout.", NULL);
	evicted = family(reg, "circuitwatch_http_connections_evicted_total",
			 "HTTP connections waiting for a request closed to make room for a new "
			 "one at prometheus.max_connections.", NULL);
	auth = family(reg, "circuitwatch_http_auth_total",
		      "Basic-auth checks, by result.", "result");
	if (refused == NULL || timeouts == NULL || evicted == NULL || auth == NULL)
		return -1;
	for (int i = 0; i < RF_COUNT; i++)
		if ((h->refused[i] = metrics_series_get(refused, &refusal_names[i])) == NULL)
			return -1;
	for (int i = 0; i < AR_COUNT; i++)
		if ((h->auth[i] = metrics_series_get(auth, &auth_result_names[i])) == NULL)
			return -1;
	metrics_series_set_quiet(h->auth[AR_CACHE_HIT], true); /* every authorized scrape */
	h->timeouts = metrics_series_get(timeouts, NULL);
	h->evicted = metrics_series_get(evicted, NULL);
	return h->timeouts != NULL && h->evicted != NULL ? 0 : -1;
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
	cache = family(reg, "circuitwatch_scrape_cache_total",
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
	return register_guard_metrics(h, reg);
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
		flags, 0, on_accept, h, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
		MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
		h->conf.max_connections + HTTP_CLOSE_SLACK, MHD_OPTION_CONNECTION_TIMEOUT,
		h->conf.timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MEMORY_LIMIT,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_NOTIFY_COMPLETED,
		on_completed, h, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
		MHD_OPTION_ARRAY, h->tls_cert != NULL ? tls : tls + 2, MHD_OPTION_END);
	return h->mhd != NULL ? 0 : -1;
}

/* The locks, the deadline thread and (with basic auth) the hashing
 * workers and the cache. */
static int start_guards(struct http *h)
{
	pthread_condattr_t ca;

	if (pthread_condattr_init(&ca) != 0)
		return -1;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_mutex_init(&h->lock, NULL) != 0) {
		pthread_condattr_destroy(&ca);
		return -1;
	}
	if (pthread_cond_init(&h->tick, &ca) != 0) {
		pthread_mutex_destroy(&h->lock);
		pthread_condattr_destroy(&ca);
		return -1;
	}
	pthread_condattr_destroy(&ca);
	h->have_lock = true;
	if (pthread_mutex_init(&h->ulock, NULL) != 0)
		return -1;
	h->have_ulock = true;
	if (pthread_mutex_init(&h->alock, NULL) != 0)
		return -1;
	if (pthread_cond_init(&h->acv, NULL) != 0) {
		pthread_mutex_destroy(&h->alock);
		return -1;
	}
	h->have_alock = true;
	if (pthread_create(&h->deadline, NULL, deadline_main, h) != 0)
		return -1;
	h->have_deadline = true;
	/* also without users: a reload may add them */
	h->cache = ha_cache_new(HTTP_AUTH_CACHE_MAX, HTTP_AUTH_CACHE_TTL);
	if (h->cache == NULL)
		return -1;
	for (; h->nworkers < HTTP_AUTH_WORKERS; h->nworkers++)
		if (pthread_create(&h->workers[h->nworkers], NULL, auth_worker, h) != 0)
			return -1;
	return 0;
}

/* Stops the workers, answers what they left in the queue (a suspended
 * connection must be resumed before libmicrohttpd stops), then the
 * deadline thread. */
static void stop_guards(struct http *h)
{
	struct hreq *rq;

	if (h->have_alock) {
		pthread_mutex_lock(&h->alock);
		h->stop_auth = true;
		pthread_cond_broadcast(&h->acv);
		pthread_mutex_unlock(&h->alock);
		for (size_t i = 0; i < h->nworkers; i++)
			pthread_join(h->workers[i], NULL);
		h->nworkers = 0;
		while ((rq = h->qhead) != NULL) {
			h->qhead = rq->next;
			explicit_bzero(rq->pass, sizeof(rq->pass));
			rq->ok = false;
			rq->state = AUTH_DONE;
			MHD_resume_connection(rq->conn);
		}
		h->qtail = NULL;
		h->qlen = 0;
	}
	if (h->have_deadline) {
		pthread_mutex_lock(&h->lock);
		h->stop_deadline = true;
		pthread_cond_signal(&h->tick);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->deadline, NULL);
		h->have_deadline = false;
	}
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
	if (h->listen_text == NULL || users_copy(pc, &h->users, &h->nusers) != 0 || register_metrics(h, ctx->reg) != 0 ||
	    load_tls(h, pc, ctx->log) != 0)
		goto fail;
	{
		const struct sc_source src = {body_generation, render_body, h};

		if ((h->bodies = sc_new(HTTP_VARIANTS, HTTP_CACHE_MAX_AGE, &src)) == NULL)
			goto fail;
	}
	if (start_guards(h) != 0) {
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
	log_info(ctx->log, "prometheus exporter listening", "listen", h->listen_text, "tls",
		 h->tls_cert ? "on" : "off", "basic_auth", h->nusers ? "on" : "off");
	*state = h;
	return 0;
fail:
	stop_guards(h);
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

/* Basic-auth users apply at once: the verified-credential cache is
 * emptied with them, so a removed user or changed password stops working
 * now. The listener, TLS and limits belong to libmicrohttpd's thread:
 * changing them needs a restart. Says which settings were not applied. */
static int apply_users(struct cw_ctx *ctx, struct http *h, const struct cfg_prometheus *pc)
{
	struct cfg_basic_auth_user *u, *old;
	size_t n, nold;
	char num[24];

	if (users_copy(pc, &u, &n) != 0)
		return -1;
	pthread_mutex_lock(&h->ulock);
	old = h->users;
	nold = h->nusers;
	h->users = u;
	h->nusers = n;
	h->users_gen++;
	ha_cache_clear(h->cache);
	pthread_mutex_unlock(&h->ulock);
	users_free(old, nold);
	snprintf(num, sizeof(num), "%zu", n);
	log_info(ctx->log, "basic auth users reloaded; credential cache emptied", "users", num);
	return 0;
}

static void http_reload(struct cw_ctx *ctx, void *state, const struct cfg_config *old)
{
	struct http *h = state;

	const struct cfg_prometheus *a = prometheus_config(old), *b = prometheus_config(ctx->cfg);
	const char *changed[10];
	size_t n = 0;

	if (a->enabled != b->enabled)
		changed[n++] = "prometheus.enabled";
	if (str_differs(a->listen_host, b->listen_host) || a->listen_port != b->listen_port)
		changed[n++] = "prometheus.listen";
	if (str_differs(a->tls_cert_file, b->tls_cert_file) ||
	    str_differs(a->tls_key_file, b->tls_key_file))
		changed[n++] = "prometheus.tls";
	if (users_differ(a, b) && (h == NULL || apply_users(ctx, h, b) != 0))
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
	stop_guards(h);
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
