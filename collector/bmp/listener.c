/* listener.c — the BMP TCP listener (libuv): accepts routers, frames their
 * byte streams and hands whole messages to their session.
 *
 * Ingest shares the loop thread with every timer (housekeeping, publish,
 * GC, probes, alerts), so it is bounded per loop turn: the listener spends
 * at most INGEST_SLICE_NS applying messages in one turn, over all its
 * connections. A connection that finds the turn's slice spent stops
 * reading (its unapplied bytes stay in its buffer, and TCP backpressure
 * reaches the router) and joins a round-robin queue; an idle handle
 * resumes the queue on the next turns, after timers and other I/O had
 * theirs, and a connection reads again once its buffer holds no complete
 * message. The queue's head keeps it for INGEST_QUANTUM_NS of ingest
 * (over many turns) before the next connection's run, for cache locality.
 * A paused connection is not slow: its message deadline stops while we
 * hold it and restarts in full when it reads again.
 *
 * A connection reads only when its buffer holds no complete message, so
 * the buffer grows only to the length the partial message's header
 * announces (never past bmp.max_message_size, and within
 * bmp.buffer_budget over all connections) and shrinks back once that
 * message is consumed.
 *
 * What a connection may hold is bounded in time too: a deadline for its
 * first message, one for each message once started, and TCP keepalive for
 * a peer that died silently. A connection belongs to a router once its
 * first message names it (RFC 7854 §4.3); the newest connection of a
 * router owns it (see supersede()). */
#include "bmp_collector.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "bmp_config.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "bmp.h"
#include "session.h"

/* Each connection has a buffer of BASE_BUF bytes; it grows to the length a
 * message's common header announces (up to bmp.max_message_size) and back
 * once that message is consumed. The growth beyond BASE_BUF, over all
 * connections, is bounded by bmp.buffer_budget. */
#define BASE_BUF (256u * 1024u)
#define RECV_BUFFER (4 * 1024 * 1024) /* kernel socket buffer asked for */
#define BUDGET_DEFAULT (64ull * 1024u * 1024u)
/* Ingest per loop turn, over all connections: at ~1 µs a route this is a
 * few thousand routes, and it keeps the loop's timers within a few ms of
 * their time while routers stream full tables. The clock is read every
 * INGEST_BATCH messages (a packed UPDATE costs tens of µs). */
#define INGEST_SLICE_NS (3ull * 1000u * 1000u)
#define INGEST_BATCH 16u
/* The connection at the head of the queue keeps it for this much ingest
 * (over as many turns as that takes) before the next one's turn: applying
 * one router's table in long runs keeps its RIB in the CPU caches, where
 * 3 ms runs over 16 routers cost a fifth more CPU per route. */
#define INGEST_QUANTUM_NS (50ull * 1000u * 1000u)

/* Why a connection ended: the `reason` label of connections_closed_total. */
enum close_reason {
	CR_ROUTER_CLOSED,
	CR_SOCKET_ERROR,
	CR_KEEPALIVE,
	CR_TERMINATION,
	CR_FRAMING,
	CR_FIRST_TIMEOUT,
	CR_MSG_TIMEOUT,
	CR_BUDGET,
	CR_NOT_ALLOWED,
	CR_NO_ROUTER,
	CR_SHUTDOWN,
	CR__COUNT
};

static const char *const close_names[CR__COUNT] = {
	[CR_ROUTER_CLOSED] = "closed_by_router",
	[CR_SOCKET_ERROR] = "socket_error",
	[CR_KEEPALIVE] = "keepalive_timeout",
	[CR_TERMINATION] = "termination",
	[CR_FRAMING] = "framing_lost",
	[CR_FIRST_TIMEOUT] = "first_message_timeout",
	[CR_MSG_TIMEOUT] = "message_timeout",
	[CR_BUDGET] = "buffer_budget",
	[CR_NOT_ALLOWED] = "not_allowed",
	[CR_NO_ROUTER] = "router_unavailable",
	[CR_SHUTDOWN] = "shutdown",
};

/* A connection is unbound until its first message names its router
 * (sess == NULL, superseded false), then bound (sess, router set), and
 * superseded when a newer connection binds to the same router: from then
 * on its messages are dropped and counted, and its end touches nothing. */
struct conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	int handles; /* open libuv handles; freed at 0 */
	struct listener *l;
	struct bmp_session *sess;
	struct model_router *router;
	bool superseded, budget_refused;
	bool paused; /* by us: the turn's ingest slice was spent */
	struct conn *qnext; /* the queue of paused connections */
	char addr[INET6_ADDRSTRLEN];
	int family;
	uint8_t raw[16];
	uint8_t *buf;
	size_t len, cap;
	struct conn *prev, *next;
};

struct listener {
	struct cw_ctx *ctx;
	uv_tcp_t server;
	bool server_open, idle_open, check_open;
	struct conn *conns;
	size_t nconns;
	/* ingest: paused connections in round-robin order, the idle handle
	 * that resumes them, the check handle that ends a turn */
	struct conn *qhead, *qtail;
	uv_idle_t idle;
	uv_check_t check;
	int handles; /* open handles of the listener itself; freed at 0 */
	uint64_t spent_ns; /* ingest in the current turn */
	struct conn *current; /* holds the queue's head for its quantum */
	uint64_t current_ns;  /* ingest of current so far */
	/* copied from the config so that a reload can change them live */
	size_t max_msg;
	unsigned max_routers;
	struct cfg_prefix *allow;
	size_t nallow;
	uint64_t first_timeout_ms, msg_timeout_ms;
	unsigned ka_idle, ka_interval, ka_count;
	uint64_t budget;
	/* buffers: bytes held, and bytes beyond BASE_BUF (the budgeted part) */
	uint64_t held, extra;
	struct metrics_family *refused, *closed;
	struct metrics_series *superseded, *dropped, *buf_bytes, *budget_refusals, *yields;
	struct log_ratelimit rl_refused, rl_error, rl_conn, rl_budget;
};

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int copy_limits(struct listener *l, const struct cfg_bmp *b)
{
	struct cfg_prefix *allow = NULL;
	uint64_t four = 4ull * b->max_message_size;

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
	l->first_timeout_ms = (uint64_t)b->first_message_timeout_s * 1000u;
	l->msg_timeout_ms = (uint64_t)b->message_timeout_s * 1000u;
	l->ka_idle = b->keepalive_s;
	l->ka_interval = b->keepalive_interval_s;
	l->ka_count = b->keepalive_count;
	/* 0 only when the config check did not run (a config built in code) */
	l->budget = b->buffer_budget ? b->buffer_budget
				     : (four > BUDGET_DEFAULT ? four : BUDGET_DEFAULT);
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

static void add(struct metrics_series *s, double v)
{
	if (s != NULL)
		metrics_counter_add(s, v);
}

/* The label a connection's log lines carry: its router's, else the address. */
static const char *conn_name(const struct conn *c)
{
	return c->router != NULL ? model_router_label(c->router) : c->addr;
}

static void buffer_account(struct listener *l, size_t old_cap, size_t new_cap)
{
	l->held = l->held - old_cap + new_cap;
	l->extra = l->extra - (old_cap > BASE_BUF ? old_cap - BASE_BUF : 0) +
		   (new_cap > BASE_BUF ? new_cap - BASE_BUF : 0);
	if (l->buf_bytes != NULL)
		metrics_gauge_set(l->buf_bytes, (double)l->held);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (--c->handles > 0)
		return;
	bmp_session_free(c->sess);
	free(c->buf);
	free(c);
}

static void queue_push(struct listener *l, struct conn *c)
{
	c->qnext = NULL;
	if (l->qtail != NULL)
		l->qtail->qnext = c;
	else
		l->qhead = c;
	l->qtail = c;
}

static void queue_push_front(struct listener *l, struct conn *c)
{
	c->qnext = l->qhead;
	l->qhead = c;
	if (l->qtail == NULL)
		l->qtail = c;
}

/* Back into the queue after a yield: at the front while c is the current
 * connection with quantum left, else at the back. */
static void queue_requeue(struct listener *l, struct conn *c)
{
	if (c == l->current && l->current_ns < INGEST_QUANTUM_NS) {
		queue_push_front(l, c);
		return;
	}
	if (c == l->current)
		l->current = NULL;
	queue_push(l, c);
}

static void queue_remove(struct listener *l, struct conn *c)
{
	struct conn **pp = &l->qhead, *prev = NULL;

	if (l->current == c)
		l->current = NULL;
	if (!c->paused)
		return;
	while (*pp != NULL && *pp != c) {
		prev = *pp;
		pp = &(*pp)->qnext;
	}
	if (*pp == c) {
		*pp = c->qnext;
		if (l->qtail == c)
			l->qtail = prev;
	}
	c->paused = false;
	c->qnext = NULL;
}

static void conn_close(struct conn *c, enum close_reason why)
{
	struct listener *l = c->l;
	const char *labels[] = {close_names[why]};

	if (uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	/* a superseded connection's router belongs to the newer session */
	if (c->router != NULL)
		model_router_disconnected(l->ctx->model, c->router, wall_now());
	add(metrics_series_get(l->closed, labels), 1);
	log_kv_limited(l->ctx->log, &l->rl_conn, LOG_LVL_INFO, "bmp router disconnected", "router",
		       conn_name(c), "address", c->addr, "reason", close_names[why],
		       "superseded", c->superseded ? "true" : "false", (const char *)0);
	buffer_account(l, c->cap, 0);
	queue_remove(l, c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	l->nconns--;
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
	uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
}

/* Grows the buffer to want bytes within the budget; -1 when refused. */
static int conn_reserve(struct conn *c, size_t want)
{
	struct listener *l = c->l;
	size_t grow = want - c->cap;
	uint8_t *b;

	if (want <= c->cap)
		return 0;
	if (l->extra + grow > l->budget) {
		char need[24];

		snprintf(need, sizeof(need), "%zu", want);
		add(l->budget_refusals, 1);
		log_kv_limited(l->ctx->log, &l->rl_budget, LOG_LVL_WARN,
			       "bmp.buffer_budget reached: connection closed", "router",
			       conn_name(c), "message_bytes", need, (const char *)0);
		return -1;
	}
	b = realloc(c->buf, want);
	if (b == NULL)
		return -1;
	buffer_account(l, c->cap, want);
	c->buf = b;
	c->cap = want;
	return 0;
}

/* Back to BASE_BUF once the large message is consumed. */
static void conn_shrink(struct conn *c)
{
	uint8_t *b;

	if (c->cap <= BASE_BUF ||
	    bmp_buffer_want(c->buf, c->len, c->l->max_msg, BASE_BUF) > BASE_BUF)
		return;
	b = realloc(c->buf, BASE_BUF);
	if (b == NULL)
		return; /* keeps the larger one; still accounted */
	buffer_account(c->l, c->cap, BASE_BUF);
	c->buf = b;
	c->cap = BASE_BUF;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
	struct conn *c = h->data;
	size_t want = bmp_buffer_want(c->buf, c->len, c->l->max_msg, BASE_BUF);

	(void)suggested;
	if (conn_reserve(c, want) != 0) {
		c->budget_refused = true;
		*out = uv_buf_init(NULL, 0); /* the read callback gets UV_ENOBUFS */
		return;
	}
	*out = uv_buf_init((char *)c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void on_timer(uv_timer_t *t)
{
	struct conn *c = t->data;

	conn_close(c, c->sess != NULL || c->superseded ? CR_MSG_TIMEOUT : CR_FIRST_TIMEOUT);
}

/* The deadlines: until bound, the first message's (from accept, never
 * restarted); then each message that has started must complete in
 * bmp.message_timeout. An idle bound session has no deadline (a stable
 * router may be silent for hours): TCP keepalive finds dead ones. */
static void conn_rearm(struct conn *c, bool progressed)
{
	if (c->sess == NULL && !c->superseded)
		return;
	if (c->len == 0)
		uv_timer_stop(&c->timer);
	else if (progressed || !uv_is_active((uv_handle_t *)&c->timer))
		uv_timer_start(&c->timer, on_timer, c->l->msg_timeout_ms, 0);
}

static void conn_keepalive(struct conn *c)
{
	uv_os_fd_t fd;
	int v;

	if (uv_tcp_keepalive(&c->tcp, 1, c->l->ka_idle) != 0 ||
	    uv_fileno((uv_handle_t *)&c->tcp, &fd) != 0)
		return;
	v = (int)c->l->ka_interval;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, sizeof(v));
	v = (int)c->l->ka_count;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, sizeof(v));
}

/* The newer connection c takes r over from old: the old session ends as a
 * disconnect (its peers go down, their RIBs are released), and the old
 * connection keeps nothing it could touch. */
static void supersede(struct conn *c, struct model_router *r, double now)
{
	struct listener *l = c->l;

	model_router_disconnected(l->ctx->model, r, now);
	for (struct conn *o = l->conns; o != NULL; o = o->next) {
		if (o == c || o->router != r)
			continue;
		o->router = NULL;
		o->superseded = true;
		bmp_session_free(o->sess);
		o->sess = NULL;
	}
	add(l->superseded, 1);
	log_kv_limited(l->ctx->log, &l->rl_conn, LOG_LVL_WARN,
		       "bmp session superseded by a newer connection of the same router", "router",
		       model_router_label(r), "address", c->addr, (const char *)0);
}

/* Binds c to its router once its first message is whole (RFC 7854 §4.3:
 * the Initiation, whose sysName names the router). 0 when bound or still
 * waiting, -1 when c was closed. */
static int conn_bind(struct conn *c)
{
	struct listener *l = c->l;
	struct model *m = l->ctx->model;
	char name[256];
	size_t mlen = 0;
	double now = wall_now();
	struct model_router *r;

	switch (bmp_frame(c->buf, c->len, l->max_msg, &mlen, NULL)) {
	case BMP_FRAME_NEED_MORE:
		return 0;
	case BMP_FRAME_ERROR:
		log_kv_limited(l->ctx->log, &l->rl_error, LOG_LVL_ERROR,
			       "bmp framing lost before the first message; closing", "router",
			       c->addr, (const char *)0);
		conn_close(c, CR_FRAMING);
		return -1;
	default:
		break;
	}
	(void)bmp_first_sys_name(c->buf, mlen, name, sizeof(name));
	r = model_router_bind(m, MODEL_SRC_BMP, c->addr, name);
	c->sess = r != NULL ? bmp_session_new(m, r) : NULL;
	if (c->sess == NULL) {
		conn_close(c, CR_NO_ROUTER);
		return -1;
	}
	if (model_router_is_connected(r))
		supersede(c, r, now);
	model_router_connected(m, r, now);
	c->router = r;
	log_kv_limited(l->ctx->log, &l->rl_conn, LOG_LVL_INFO, "bmp router connected", "router",
		       model_router_label(r), "address", c->addr, "sys_name", name,
		       (const char *)0);
	return 0;
}

static void on_idle(uv_idle_t *h);

/* The turn's slice is spent: c stops reading and waits in the queue. Its
 * message deadline stops too (we hold it, not the router). */
static void conn_pause(struct conn *c)
{
	struct listener *l = c->l;

	add(l->yields, 1);
	(void)uv_read_stop((uv_stream_t *)&c->tcp);
	uv_timer_stop(&c->timer);
	c->paused = true;
	queue_requeue(l, c);
	if (!uv_is_active((uv_handle_t *)&l->idle))
		(void)uv_idle_start(&l->idle, on_idle);
}

/* Applies (or, superseded, skips) c's complete messages while the turn's
 * slice lasts. Returns -1 when c was closed, 1 when it must yield with
 * complete messages left, 0 when none is left. */
static int conn_ingest(struct conn *c)
{
	struct listener *l = c->l;
	uint64_t t0 = mono_ns(), t = t0;
	double now = wall_now();
	size_t used = 0, n = 0;
	int status = 0, rc = 0;

	if (c->sess == NULL && !c->superseded)
		return 0; /* unbound: its first message is not whole yet */
	for (;;) {
		if (l->spent_ns + (t - t0) >= INGEST_SLICE_NS) {
			/* yield only with a whole message waiting: a partial one is
			 * the router's to finish, under its own deadline */
			size_t mlen = 0;

			if (bmp_frame(c->buf + used, c->len - used, l->max_msg, &mlen, NULL) ==
			    BMP_FRAME_COMPLETE)
				rc = 1;
			break;
		}
		if (c->superseded) { /* framing only: cheap, bounded by the buffer */
			used += bmp_stream_skip(c->buf + used, c->len - used, l->max_msg, &n,
						&status);
			add(l->dropped, (double)n);
			break;
		}
		used += bmp_session_feed_some(c->sess, c->buf + used, c->len - used, l->max_msg,
					      now, INGEST_BATCH, &n, &status);
		if (status != 0 || n < INGEST_BATCH)
			break;
		t = mono_ns();
	}
	t = mono_ns() - t0;
	l->spent_ns += t;
	if (c == l->current)
		l->current_ns += t;
	memmove(c->buf, c->buf + used, c->len - used);
	c->len -= used;
	if (status == 1) {
		conn_close(c, CR_TERMINATION);
		return -1;
	}
	if (status < 0) {
		log_kv_limited(l->ctx->log, &l->rl_error, LOG_LVL_ERROR,
			       "bmp framing lost (unsupported version or bad length); closing",
			       "router", conn_name(c), (const char *)0);
		conn_close(c, CR_FRAMING);
		return -1;
	}
	if (rc == 0) {
		conn_rearm(c, used > 0); /* after a pause: >0, a fresh deadline */
		conn_shrink(c);
	}
	return rc;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b)
{
	struct conn *c = stream->data;

	(void)b;
	if (nread == UV_ENOBUFS && c->budget_refused) {
		conn_close(c, CR_BUDGET);
		return;
	}
	if (nread < 0) {
		enum close_reason why = CR_SOCKET_ERROR;

		if (nread == UV_EOF)
			why = CR_ROUTER_CLOSED;
		else if (nread == UV_ETIMEDOUT) /* keepalive probes unanswered */
			why = CR_KEEPALIVE;
		conn_close(c, why);
		return;
	}
	c->len += (size_t)nread;
	if (c->sess == NULL && !c->superseded && conn_bind(c) != 0)
		return;
	if (conn_ingest(c) == 1)
		conn_pause(c);
}

/* A new loop turn: timers and other I/O have had theirs since the last. */
static void on_check(uv_check_t *h)
{
	struct listener *l = h->data;

	l->spent_ns = 0;
}

/* Resumes paused connections in turn while the slice lasts; one that
 * drained its buffer reads again, one that did not goes to the back. */
static void on_idle(uv_idle_t *h)
{
	struct listener *l = h->data;

	/* a current connection that caught up (reads, not queued) lets go */
	if (l->current != NULL && !l->current->paused)
		l->current = NULL;
	while (l->qhead != NULL && l->spent_ns < INGEST_SLICE_NS) {
		struct conn *c = l->qhead;
		int rc;

		l->qhead = c->qnext;
		if (l->qhead == NULL)
			l->qtail = NULL;
		c->qnext = NULL;
		if (l->current == NULL) {
			l->current = c;
			l->current_ns = 0;
		}
		rc = conn_ingest(c); /* c still counts as paused: no fresh read */
		if (rc < 0)
			continue; /* closed (queue_remove found it gone) */
		if (rc == 1) {
			add(l->yields, 1);
			queue_requeue(l, c);
			continue;
		}
		c->paused = false;
		if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
			conn_close(c, CR_SOCKET_ERROR);
			continue;
		}
		/* the current one drained its buffer: this turn's poll refills it
		 * (the others wait, so that its run goes on) */
		if (c == l->current && l->current_ns < INGEST_QUANTUM_NS)
			break;
		if (c == l->current)
			l->current = NULL;
	}
	if (l->qhead == NULL)
		(void)uv_idle_stop(&l->idle);
}

static int conn_start(struct listener *l, struct conn *c)
{
	if (uv_timer_init(l->ctx->loop, &c->timer) != 0)
		return -1;
	c->timer.data = c;
	c->handles++;
	c->buf = malloc(BASE_BUF);
	if (c->buf == NULL)
		return -1;
	c->cap = BASE_BUF;
	buffer_account(l, 0, c->cap);
	c->next = l->conns;
	if (l->conns != NULL)
		l->conns->prev = c;
	l->conns = c;
	l->nconns++;
	(void)uv_recv_buffer_size((uv_handle_t *)&c->tcp, &(int){RECV_BUFFER});
	conn_keepalive(c);
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
		conn_close(c, CR_SOCKET_ERROR);
		return 0;
	}
	uv_timer_start(&c->timer, on_timer, l->first_timeout_ms, 0);
	return 0;
}

static void on_connection(uv_stream_t *server, int status)
{
	struct listener *l = server->data;
	struct conn *c;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c == NULL || uv_tcp_init(l->ctx->loop, &c->tcp) != 0) {
		free(c);
		return;
	}
	c->l = l;
	c->tcp.data = c;
	c->handles = 1;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
	    peer_address(&c->tcp, c->addr, sizeof(c->addr), &c->family, c->raw) != 0) {
		uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
		return;
	}
	if (!allowed(l, c->family, c->raw)) {
		count_refused(l, "not_allowed", c->addr);
	} else if (l->nconns >= l->max_routers) {
		count_refused(l, "too_many_routers", c->addr);
	} else if (conn_start(l, c) == 0) {
		return;
	}
	if (c->handles > 1) /* the timer was made */
		uv_close((uv_handle_t *)&c->timer, on_handle_closed);
	uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
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
		l->handles++;
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

static void on_listener_closed(uv_handle_t *h)
{
	struct listener *l = h->data;

	if (--l->handles > 0)
		return;
	free(l->allow);
	free(l);
}

/* Closes every connection (paused ones too: their queue goes with them);
 * l is freed once its own handles are closed. */
static void listener_free(struct listener *l)
{
	while (l->conns != NULL)
		conn_close(l->conns, CR_SHUTDOWN);
	if (l->handles == 0) {
		free(l->allow);
		free(l);
		return;
	}
	if (l->server_open)
		uv_close((uv_handle_t *)&l->server, on_listener_closed);
	if (l->idle_open)
		uv_close((uv_handle_t *)&l->idle, on_listener_closed);
	if (l->check_open)
		uv_close((uv_handle_t *)&l->check, on_listener_closed);
}

/* The idle handle runs only while connections wait (and keeps poll from
 * blocking then); the check handle ends each turn and holds no loop open. */
static int ingest_init(struct listener *l)
{
	if (uv_idle_init(l->ctx->loop, &l->idle) != 0)
		return -1;
	l->idle.data = l;
	l->idle_open = true;
	l->handles++;
	if (uv_check_init(l->ctx->loop, &l->check) != 0)
		return -1;
	l->check.data = l;
	l->check_open = true;
	l->handles++;
	uv_unref((uv_handle_t *)&l->check);
	return uv_check_start(&l->check, on_check);
}

static const char *const l_reason[] = {"reason"};
enum {
	FAM_REFUSED,
	FAM_CLOSED,
	FAM_SUPERSEDED,
	FAM_DROPPED,
	FAM_BUF,
	FAM_BUDGET,
	FAM_YIELDS,
	FAM__COUNT
};
static const struct metrics_family_def fam_defs[FAM__COUNT] = {
	[FAM_REFUSED] = {METRICS_COUNTER, "circuitwatch_bmp_connections_refused_total",
			 "BMP connections refused: source not in bmp.allow, or bmp.max_routers "
			 "reached.",
			 NULL, 1, l_reason, 0, NULL},
	[FAM_CLOSED] = {METRICS_COUNTER, "circuitwatch_bmp_connections_closed_total",
			"BMP connections closed, by reason (timeouts included).", NULL, 1, l_reason,
			0, NULL},
	[FAM_SUPERSEDED] = {METRICS_COUNTER, "circuitwatch_bmp_sessions_superseded_total",
			    "BMP sessions taken over by a newer connection of the same router.",
			    NULL, 0, NULL, 0, NULL},
	[FAM_DROPPED] = {METRICS_COUNTER, "circuitwatch_bmp_superseded_messages_dropped_total",
			 "BMP messages dropped because their connection was superseded.", NULL, 0,
			 NULL, 0, NULL},
	[FAM_BUF] = {METRICS_GAUGE, "circuitwatch_bmp_buffer_bytes",
		     "Bytes of BMP connection buffers held (partial messages).", "bytes", 0, NULL, 0,
		     NULL},
	[FAM_BUDGET] = {METRICS_COUNTER, "circuitwatch_bmp_buffer_budget_refusals_total",
			"Connections closed because their partial message did not fit "
			"bmp.buffer_budget.",
			NULL, 0, NULL, 0, NULL},
	[FAM_YIELDS] = {METRICS_COUNTER, "circuitwatch_bmp_ingest_yields_total",
			"Times a BMP connection stopped reading because the listener's ingest "
			"slice for the loop turn was spent (resumed on a later turn).",
			NULL, 0, NULL, 0, NULL},
};

static int make_metrics(struct listener *l, struct metrics_registry *reg)
{
	struct metrics_family *f[FAM__COUNT];

	for (int i = 0; i < FAM__COUNT; i++) {
		f[i] = metrics_family_new(reg, &fam_defs[i]);
		if (f[i] == NULL)
			return -1;
	}
	l->refused = f[FAM_REFUSED];
	l->closed = f[FAM_CLOSED];
	l->superseded = metrics_series_get(f[FAM_SUPERSEDED], NULL);
	l->dropped = metrics_series_get(f[FAM_DROPPED], NULL);
	l->buf_bytes = metrics_series_get(f[FAM_BUF], NULL);
	l->budget_refusals = metrics_series_get(f[FAM_BUDGET], NULL);
	l->yields = metrics_series_get(f[FAM_YIELDS], NULL);
	return 0;
}

/* The model keeps BMP routers' peers as bmp: says: the cap per router, how
 * long a gone router's unconfigured peers stay, which get series. */
static void set_model_policy(struct cw_ctx *ctx, const struct cfg_bmp *b)
{
	struct model_source_policy p = {
		.max_peers_per_router = b->max_peers_per_router,
		.peer_retention_s = (double)b->peer_retention_s,
		.publish_configured_only = b->publish == CFG_BMP_PUBLISH_CONFIGURED,
	};

	model_set_source_policy(ctx->model, MODEL_SRC_BMP, &p);
}

static int bmp_start(struct cw_ctx *ctx, void **state)
{
	const struct cfg_bmp *b = bmp_config(ctx->cfg);
	struct listener *l;

	*state = NULL;
	set_model_policy(ctx, b);
	if (!b->enabled) {
		log_info(ctx->log, "bmp collector disabled");
		return 0;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -1;
	l->ctx = ctx;
	if (make_metrics(l, ctx->reg) != 0 || copy_limits(l, b) != 0 || ingest_init(l) != 0 ||
	    bind_listen(l, b) != 0) {
		listener_free(l);
		return -1;
	}
	*state = l;
	return 0;
}

/* A reload applies to live connections where it can: sources no longer in
 * bmp.allow are disconnected, keepalive settings are set on every socket,
 * timeouts apply from the next deadline, the budget from the next growth. */
static void apply_live(struct listener *l)
{
	struct conn *c = l->conns, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		if (!allowed(l, c->family, c->raw)) {
			log_kv_limited(l->ctx->log, &l->rl_refused, LOG_LVL_WARN,
				       "bmp router no longer in bmp.allow: disconnected", "router",
				       conn_name(c), "address", c->addr, (const char *)0);
			conn_close(c, CR_NOT_ALLOWED);
			continue;
		}
		conn_keepalive(c);
	}
}

static void bmp_reload(struct cw_ctx *ctx, void *state, const struct cfg_config *old)
{
	const struct cfg_bmp *a = bmp_config(old), *b = bmp_config(ctx->cfg);
	struct listener *l = state;

	set_model_policy(ctx, b);
	if (a->enabled != b->enabled)
		log_warn(ctx->log, "setting changed but not applied; restart to apply", "key",
			 "bmp.enabled");
	if ((a->listen_host == NULL) != (b->listen_host == NULL) ||
	    (a->listen_host && strcmp(a->listen_host, b->listen_host) != 0) ||
	    a->listen_port != b->listen_port)
		log_warn(ctx->log, "setting changed but not applied; restart to apply", "key",
			 "bmp.listen");
	if (l == NULL)
		return;
	if (copy_limits(l, b) != 0) {
		log_error(ctx->log, "out of memory applying bmp limits; keeping the old ones");
		return;
	}
	apply_live(l);
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
