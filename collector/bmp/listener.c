/* listener.c — the BMP TCP listener (libuv): accepts routers, frames their
 * byte streams and hands whole messages to their session.
 *
 * Reads are never held back by our own work: each read callback consumes
 * every complete message at once (the RIB ingests over a million routes a
 * second) and keeps only a partial message's bytes. A connection's buffer
 * grows up to the configured maximum message size and no further. */
#include "bmp_collector.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "session.h"

#define READ_CHUNK (64u * 1024u)
#define INITIAL_BUF (256u * 1024u)
#define RECV_BUFFER (4 * 1024 * 1024) /* kernel socket buffer asked for */

struct conn {
	uv_tcp_t tcp;
	struct listener *l;
	struct bmp_session *sess;
	struct model_router *router;
	char addr[INET6_ADDRSTRLEN];
	uint8_t *buf;
	size_t len, cap;
	struct conn *prev, *next;
};

struct listener {
	struct cw_ctx *ctx;
	uv_tcp_t server;
	bool server_open;
	struct conn *conns;
	size_t nconns;
	/* copied from the config so that a reload can change them live */
	size_t max_msg;
	unsigned max_routers;
	struct cfg_prefix *allow;
	size_t nallow;
	struct metrics_family *refused;
	struct log_ratelimit rl_refused, rl_error;
};

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int copy_limits(struct listener *l, const struct cfg_bmp *b)
{
	struct cfg_prefix *allow = NULL;

	if (b->nallow > 0) {
		allow = malloc(b->nallow * sizeof(*allow));
		if (allow == NULL)
			return -1;
		memcpy(allow, b->allow, b->nallow * sizeof(*allow));
	}
	free(l->allow);
	l->allow = allow;
	l->nallow = b->nallow;
	l->max_msg = b->max_message_size;
	l->max_routers = b->max_routers;
	return 0;
}

/* The peer's address as text (IPv4-mapped IPv6 shown as IPv4) and raw. */
static int peer_address(uv_tcp_t *tcp, char *text, size_t n, int *family, uint8_t *raw)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	if (uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET) {
		memcpy(raw, &((struct sockaddr_in *)&ss)->sin_addr, 4);
		*family = AF_INET;
	} else {
		const uint8_t *a = ((struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr;
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

		if (memcmp(a, mapped, 12) == 0) {
			memcpy(raw, a + 12, 4);
			*family = AF_INET;
		} else {
			memcpy(raw, a, 16);
			*family = AF_INET6;
		}
	}
	return inet_ntop(*family, raw, text, (socklen_t)n) != NULL ? 0 : -1;
}

static bool allowed(const struct listener *l, int family, const uint8_t *raw)
{
	if (l->nallow == 0)
		return true;
	for (size_t i = 0; i < l->nallow; i++)
		if (cfg_prefix_contains(&l->allow[i], family, raw))
			return true;
	return false;
}

static void count_refused(struct listener *l, const char *reason, const char *addr)
{
	const char *labels[] = {reason};
	struct metrics_series *s = metrics_series_get(l->refused, labels);

	if (s != NULL)
		metrics_counter_add(s, 1);
	log_kv_limited(l->ctx->log, &l->rl_refused, LOG_LVL_WARN, "bmp connection refused",
		       "router", addr, "reason", reason, (const char *)0);
}

static void on_conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	bmp_session_free(c->sess);
	free(c->buf);
	free(c);
}

static void conn_close(struct conn *c, const char *why)
{
	struct listener *l = c->l;

	if (uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	if (c->router != NULL) {
		model_router_disconnected(l->ctx->model, c->router, wall_now());
		log_info(l->ctx->log, "bmp router disconnected", "router", c->addr, "reason", why);
	}
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	l->nconns--;
	uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
	struct conn *c = h->data;
	size_t limit = c->l->max_msg + READ_CHUNK;

	(void)suggested;
	if (c->cap - c->len < READ_CHUNK && c->cap < limit) {
		size_t cap = c->cap * 2 < limit ? c->cap * 2 : limit;
		uint8_t *b = realloc(c->buf, cap);

		if (b != NULL) {
			c->buf = b;
			c->cap = cap;
		}
	}
	*out = uv_buf_init((char *)c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b)
{
	struct conn *c = stream->data;
	int status = 0;
	size_t used;

	(void)b;
	if (nread < 0) {
		conn_close(c, nread == UV_EOF ? "closed by router" : uv_strerror((int)nread));
		return;
	}
	c->len += (size_t)nread;
	used = bmp_session_feed(c->sess, c->buf, c->len, c->l->max_msg, wall_now(), &status);
	memmove(c->buf, c->buf + used, c->len - used);
	c->len -= used;
	if (status == 1) {
		conn_close(c, "termination");
	} else if (status < 0) {
		log_kv_limited(c->l->ctx->log, &c->l->rl_error, LOG_LVL_ERROR,
			       "bmp framing lost (unsupported version or bad length); closing",
			       "router", c->addr, (const char *)0);
		conn_close(c, "framing lost");
	} else if (c->len == c->cap) {
		conn_close(c, "buffer full"); /* cannot happen below max_msg: defensive */
	}
}

static int conn_start(struct listener *l, struct conn *c)
{
	c->router = model_router_get(l->ctx->model, "bmp", c->addr);
	c->sess = c->router ? bmp_session_new(l->ctx->model, c->router) : NULL;
	c->buf = malloc(INITIAL_BUF);
	c->cap = INITIAL_BUF;
	if (c->router == NULL || c->sess == NULL || c->buf == NULL)
		return -1;
	(void)uv_recv_buffer_size((uv_handle_t *)&c->tcp, &(int){RECV_BUFFER});
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
		return -1;
	model_router_connected(l->ctx->model, c->router, wall_now());
	c->next = l->conns;
	if (l->conns != NULL)
		l->conns->prev = c;
	l->conns = c;
	l->nconns++;
	log_info(l->ctx->log, "bmp router connected", "router", c->addr);
	return 0;
}

static void on_connection(uv_stream_t *server, int status)
{
	struct listener *l = server->data;
	struct conn *c;
	uint8_t raw[16];
	int family;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c == NULL || uv_tcp_init(l->ctx->loop, &c->tcp) != 0) {
		free(c);
		return;
	}
	c->l = l;
	c->tcp.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
	    peer_address(&c->tcp, c->addr, sizeof(c->addr), &family, raw) != 0) {
		uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
		return;
	}
	if (!allowed(l, family, raw)) {
		count_refused(l, "not_allowed", c->addr);
	} else if (l->nconns >= l->max_routers) {
		count_refused(l, "too_many_routers", c->addr);
	} else if (conn_start(l, c) == 0) {
		return;
	}
	c->router = NULL; /* not connected: nothing to mark down */
	uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static int bind_listen(struct listener *l, const struct cfg_bmp *b)
{
	char port[8];
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	int rc;

	snprintf(port, sizeof(port), "%u", b->listen_port);
	hints.ai_family = b->listen_host ? AF_UNSPEC : AF_INET6;
	rc = getaddrinfo(b->listen_host, port, &hints, &ai);
	if (rc != 0) {
		log_error(l->ctx->log, "cannot resolve bmp.listen", "error", gai_strerror(rc));
		return -1;
	}
	rc = uv_tcp_init(l->ctx->loop, &l->server);
	if (rc == 0) {
		l->server_open = true;
		l->server.data = l;
		rc = uv_tcp_bind(&l->server, ai->ai_addr, 0); /* dual stack for [::] */
	}
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&l->server, 128, on_connection);
	freeaddrinfo(ai);
	if (rc != 0) {
		log_error(l->ctx->log, "cannot listen for BMP", "port", port, "error",
			  uv_strerror(rc));
		return -1;
	}
	log_info(l->ctx->log, "bmp listening", "host", b->listen_host ? b->listen_host : "*",
		 "port", port);
	return 0;
}

static void listener_free(struct listener *l)
{
	while (l->conns != NULL)
		conn_close(l->conns, "shutdown");
	if (l->server_open)
		uv_close((uv_handle_t *)&l->server, NULL);
	free(l->allow);
	free(l);
}

static int bmp_start(struct cw_ctx *ctx, void **state)
{
	static const char *const reason[] = {"reason"};
	const struct metrics_family_def def = {
		METRICS_COUNTER, "circuitwatch_bmp_connections_refused_total",
		"BMP connections refused: source not in bmp.allow, or bmp.max_routers reached.",
		NULL, 1, reason, 0, NULL};
	const struct cfg_bmp *b = &ctx->cfg->bmp;
	struct listener *l;

	*state = NULL;
	if (!b->enabled) {
		log_info(ctx->log, "bmp collector disabled");
		return 0;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -1;
	l->ctx = ctx;
	l->refused = metrics_family_new(ctx->reg, &def);
	if (l->refused == NULL || copy_limits(l, b) != 0 || bind_listen(l, b) != 0) {
		listener_free(l);
		return -1;
	}
	*state = l;
	return 0;
}

static void bmp_reload(struct cw_ctx *ctx, void *state, const struct cfg_config *old)
{
	const struct cfg_bmp *a = &old->bmp, *b = &ctx->cfg->bmp;
	struct listener *l = state;

	if (a->enabled != b->enabled)
		log_warn(ctx->log, "setting changed but not applied; restart to apply", "key",
			 "bmp.enabled");
	if ((a->listen_host == NULL) != (b->listen_host == NULL) ||
	    (a->listen_host && strcmp(a->listen_host, b->listen_host) != 0) ||
	    a->listen_port != b->listen_port)
		log_warn(ctx->log, "setting changed but not applied; restart to apply", "key",
			 "bmp.listen");
	/* allow, max_routers and max_message_size apply to new connections and reads */
	if (l != NULL && copy_limits(l, b) != 0)
		log_error(ctx->log, "out of memory applying bmp limits; keeping the old ones");
}

static void bmp_stop(struct cw_ctx *ctx, void *state)
{
	(void)ctx;
	if (state != NULL)
		listener_free(state);
}

const struct cw_module bmp_collector_module = {
	.name = "bmp",
	.start = bmp_start,
	.reload = bmp_reload,
	.stop = bmp_stop,
};
