/* http_priv.h — private to exporters/prometheus: what the files of the
 * libmicrohttpd adapter (http.c, http_scrape.c, http_guard.c,
 * http_auth_glue.c) share: the limits, the per-connection and per-request
 * contexts, the exporter's state (struct http) and the functions they call
 * in one another. The module's public header is prometheus.h.
 *
 * Threads: struct http is made and freed on the loop thread (the module's
 * start and stop); in between libmicrohttpd's threads, the deadline thread
 * and the basic-auth workers use it, each field under the lock its comment
 * names. */
#ifndef CW_PROMETHEUS_HTTP_PRIV_H
#define CW_PROMETHEUS_HTTP_PRIV_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "prometheus_config.h"
#include "httpauth.h"
#include "log.h"
#include "metrics.h"
#include "rib.h"

struct api;
struct cw_ctx;
struct expo_gz;
struct scache;
struct http_web;   /* http_tls.c: one loaded web config file, shared */
struct http_watch; /* http_tls.c: the stat poll of its files */

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
#define HTTP_WATCH_MS 1000         /* how often the web config's files are looked at */

/* The cached /metrics variants: format x encoding. */
#define HTTP_VARIANTS 4
#define HTTP_CACHE_MAX_AGE 1.0 /* seconds a rendered body may be reused */
#define HTTP_CACHE_MAX_BYTES (64u * 1024 * 1024) /* bodies the cache holds, in all */
#define HTTP_GZIP_LEVEL 1 /* level 6 costs 3.6x the time for 17 % fewer bytes */
/* Rendering ahead (the prerender thread): every tick it looks at the
 * registry's generation; once that has held for SETTLE seconds (a publish
 * of many series is over), or has moved for MAX_DELAY without holding, it
 * renders the variants that were scraped within IDLE seconds and whose
 * next scrape is due within LEAD seconds (scache.h), and renews a body
 * AHEAD seconds before it expires by age. */
#define HTTP_PRERENDER_TICK_MS 20
#define HTTP_PRERENDER_SETTLE 0.1
#define HTTP_PRERENDER_MAX_DELAY 1.0
#define HTTP_PRERENDER_IDLE 300.0
#define HTTP_PRERENDER_LEAD 2.0
#define HTTP_PRERENDER_AHEAD 0.1
#define VARIANT(fmt, gz) ((unsigned)(fmt) * 2u + ((gz) ? 1u : 0u))

/* ---- types ---------------------------------------------------------------- */

enum handler { H_METRICS, H_HEALTHY, H_READY, H_ROOT, H_API, H_OTHER, H_COUNT };

enum cache_result { CR_HIT, CR_MISS, CR_COUNT };

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
	struct http_web *web;           /* the TLS settings its handshake uses (a
	                                 * reference), set when it starts; NULL
	                                 * without a web config file */
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

enum refusal { RF_CONNECTION_LIMIT, RF_ADDRESS_LIMIT, RF_COUNT };

struct http {
	struct MHD_Daemon *mhd;
	struct cw_ctx *ctx;             /* only reg, log and ready are read here */
	struct cfg_prometheus conf;     /* shallow copy: strings below are ours */
	struct cfg_basic_auth_user *users; /* under ulock: a reload may swap them */
	size_t nusers;
	pthread_mutex_t ulock;
	uint64_t users_gen;             /* under ulock: bumped when a reload swaps users */
	bool have_ulock;
	char *tls_key, *tls_cert;       /* what libmicrohttpd starts with */
	char *listen_text;
	/* the web config file (http_tls.c): the current one under wlock,
	 * swapped by a reload on the loop thread, which owns the watch */
	char *web_path;                 /* NULL: none */
	pthread_mutex_t wlock;
	bool have_wlock;
	struct http_web *web;
	struct http_watch *watch;
	struct log_ratelimit rl_tls;
	const struct http_web *rate_web; /* under wlock: rate_limit's bucket, for */
	double rate_tokens, rate_at;     /* this web config (compared, never read) */
	struct metrics_family *requests, *scrape;
	struct metrics_series *scrape_s;
	struct metrics_series *cache_s[CR_COUNT];
	struct metrics_series *cache_bytes; /* quiet gauge: sc_bytes */
	struct metrics_series *prerender_s; /* quiet histogram: renders ahead */
	struct scache *bodies;          /* rendered /metrics bodies */
	struct expo_gz *gz[2];          /* per format: the gzip variants' pieces,
	                                 * used under that variant's render (the
	                                 * cache renders a variant once at a time) */

	/* the prerender thread (http_scrape.c): stop flag under plock */
	pthread_mutex_t plock;
	pthread_cond_t pcv;
	bool stop_prerender, have_prerender;
	pthread_t prerender;
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

	struct api *api;                /* /api/v1/ and the status page (api.c) */
};

/* ---- clock ------------------------------------------------------------------ */

static inline double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- shared between the files, by the file that defines them ---------------- */

/* http.c */
void http_count_request(struct http *h, enum handler hd, unsigned code);
enum MHD_Result http_queue(struct http *h, struct MHD_Connection *conn, enum handler hd,
			   unsigned code, struct MHD_Response *resp);
struct MHD_Response *http_text_response(const char *body, const char *type);
struct metrics_family *http_family(struct metrics_registry *reg, const char *name,
				   const char *help, const char *label);

/* A TLS file (PEM), NUL-terminated, or NULL after logging why. */
char *http_read_pem(const char *path, struct log *lg);

/* http_tls.c: the web config file. http_web_start loads it (none: nothing
 * but the lock) and takes its users and the PEMs libmicrohttpd starts
 * with; http_web_watch starts the stat poll on the loop; http_web_reload
 * loads it again (a failure keeps the running one); http_web_stop closes
 * the poll, http_web_free (after libmicrohttpd stopped) the rest. */
int http_web_start(struct http *h, const struct cfg_prometheus *pc);
int http_web_watch(struct http *h);
void http_web_reload(struct http *h, const char *why);
void http_web_stop(struct http *h);
void http_web_free(struct http *h);
void http_web_unref(struct http_web *w); /* takes NULL */
/* libmicrohttpd's connection notifier: http_on_connection, plus the
 * current TLS settings given to each new connection. */
void http_tls_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			    enum MHD_ConnectionNotificationCode code);
/* http_server_config.headers onto resp. */
void http_add_headers(struct http *h, struct MHD_Response *resp);
/* rate_limit: whether a new request may be served now (takes a token). */
bool http_rate_allow(struct http *h);

/* http_scrape.c */
uint64_t http_body_generation(void *arg);
int http_render_body(void *arg, unsigned variant, bool ahead, char **data, size_t *len,
		     void **ext);
void http_body_release(char *data, size_t len); /* a body http_render_body made */
enum MHD_Result http_serve_metrics(struct http *h, struct MHD_Connection *conn);
int http_start_prerender(struct http *h);
void http_stop_prerender(struct http *h); /* takes a never started one */

/* http_guard.c */
void http_request_arrived(struct http *h, struct MHD_Connection *conn);
void http_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		       enum MHD_RequestTerminationCode toe);
enum MHD_Result http_on_accept(void *cls, const struct sockaddr *sa, socklen_t salen);
void http_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			enum MHD_ConnectionNotificationCode code);
int http_register_guard_metrics(struct http *h, struct metrics_registry *reg);
int http_start_guards(struct http *h);
void http_stop_guards(struct http *h);

/* http_auth_glue.c */
bool http_auth_begin(struct http *h, struct MHD_Connection *conn, struct hreq *rq);
void *http_auth_worker(void *arg);
enum MHD_Result http_unauthorized(struct http *h, struct MHD_Connection *conn,
				  enum handler hd, const struct hreq *rq);
void http_users_free(struct cfg_basic_auth_user *u, size_t n);
int http_users_copy(const struct cfg_prometheus *pc, struct cfg_basic_auth_user **out,
		    size_t *n);
int http_apply_users(struct cw_ctx *ctx, struct http *h, const struct cfg_prometheus *pc);

/* api.c: the looking glass's routes as JSON, at most max (truncated when
 * more came); api_collect_route is a model_route_fn over a struct api_hits */
struct api_hits {
	json_t *routes;
	size_t max;
	bool truncated;
};
struct model_route;
bool api_collect_route(void *arg, const struct model_route *r);

/* api_loop.c: routes of the loop thread's model, handed off to it */
struct api_loop;
struct api_loop *api_loop_new(struct cw_ctx *ctx); /* loop thread; NULL: none */
void api_loop_free(struct api_loop *l);            /* loop thread; takes NULL */
/* On an HTTP thread: the routes of want in the loop thread's model, at
 * most max, into *out (out->routes the caller's); -1 when the loop thread
 * did not answer within timeout_s or the queue is full. */
int api_loop_lookup(struct api_loop *l, const struct rib_prefix *want, bool longest,
		    size_t max, double timeout_s, struct api_hits *out);

/* api.c: made and freed on the loop thread; the rest on HTTP threads */
struct api *api_new(struct cw_ctx *ctx);
void api_free(struct api *a); /* takes NULL */
enum MHD_Result api_serve(struct http *h, struct MHD_Connection *conn, const char *url);
enum MHD_Result page_serve(struct http *h, struct MHD_Connection *conn);

#endif
