/* worker.c — a BMP worker: one thread with its own libuv loop that owns
 * the connections the listener hands it (listener.c), frames their byte
 * streams and feeds whole messages to their session, into the worker's
 * model shard. The worker holds the shard's lock (model_lock_worker) in
 * each callback that touches it, and runs the shard's housekeeping (GC
 * steps, expire, publish) on a timer of its own, so the loop thread never
 * waits for a worker but on a reload and at start (it then takes the lock
 * between two callbacks: at most one ingest slice).
 *
 * Ingest is bounded per loop turn: the worker spends at most
 * INGEST_SLICE_NS applying messages in one turn, over all its
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
 * bmp.buffer_budget over all connections of all workers) and shrinks back
 * once that message is consumed.
 *
 * What a connection may hold is bounded in time too: a deadline for its
 * first message, one for each message once started, and TCP keepalive for
 * a peer that died silently. A connection belongs to a router once its
 * first message names it (RFC 7854 §4.3); the newest connection of a
 * router owns it (see supersede()): both are on this worker, since the
 * listener hands every connection of a source address to the same one. */
#include "bmp_priv.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "metrics.h"
#include "model.h"
#include "bmp.h"
#include "session.h"
#include "stream.h"

#define RECV_BUFFER (4 * 1024 * 1024) /* kernel socket buffer asked for */
/* Ingest per loop turn, over all connections: at ~1 µs a route this is a
 * few thousand routes; it bounds how long the worker holds its shard's
 * lock at once and keeps its timers within a few ms of their time. The
 * clock is read every INGEST_BATCH messages (a packed UPDATE costs tens
 * of µs). */
#define INGEST_SLICE_NS (3ull * 1000u * 1000u)
#define INGEST_BATCH 16u
/* The connection at the head of the queue keeps it for this much ingest
 * (over as many turns as that takes) before the next one's turn: applying
 * one router's table in long runs keeps its RIB in the CPU caches, where
 * 3 ms runs over 16 routers cost a fifth more CPU per route. */
#define INGEST_QUANTUM_NS (50ull * 1000u * 1000u)
/* The shard's housekeeping, as the loop thread's for its own model: a GC
 * step every tick, expire and publish (and the worker's CPU time) every
 * PUBLISH_EVERY ticks. */
#define HOUSEKEEPING_MS 100u
#define PUBLISH_EVERY 10u
#define WORKER_NICE 5      /* added to the process's nice value, per worker thread */

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
	struct bmp_worker *w;
	struct bmp_session *sess;
	struct model_router *router;
	bool superseded, budget_refused;
	bool paused; /* by us: the turn's ingest slice was spent */
	struct conn *qnext; /* the queue of paused connections */
	char addr[INET6_ADDRSTRLEN];
	int family;
	uint8_t raw[16];
	struct stream_router sr; /* for the raw stream: address and sysName */
	char sys_name[256];
	uint8_t *buf;
	size_t len, cap;
	struct conn *prev, *next;
};

/* A connection the listener handed over, waiting for the worker's loop. */
struct handoff {
	int fd;
	char addr[INET6_ADDRSTRLEN];
	int family;
	uint8_t raw[16];
	struct handoff *next;
};

struct bmp_worker {
	struct bmp_shared *sh;
	struct model *model; /* the shard */
	unsigned index;
	uv_thread_t thread;
	bool thread_made;
	uv_loop_t loop;
	bool loop_made;
	uv_async_t wake; /* the listener has something for us */
	uv_idle_t idle;  /* resumes paused connections */
	uv_check_t check; /* ends a turn */
	uv_timer_t hk_timer;
	unsigned ticks;
	int handles;     /* open handles of the worker itself */
	/* the inbox, under inbox_lock: written by the listener */
	pthread_mutex_t inbox_lock;
	pthread_cond_t applied; /* signalled when next_lim was applied */
	bool cond_made;
	struct handoff *inbox;
	struct bmp_limits next_lim;
	bool has_next_lim, stop;
	uint64_t lim_asked, lim_done; /* generations of next_lim */
	/* the worker's own (its thread only) */
	struct bmp_limits lim;
	struct conn *conns;
	size_t nconns;
	struct conn *qhead, *qtail;
	uint64_t spent_ns;    /* ingest in the current turn */
	struct conn *current; /* holds the queue's head for its quantum */
	uint64_t current_ns;  /* ingest of current so far */
	struct metrics_series *conns_s, *cpu_s;
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

/* Buffer bytes held (the gauge) and those beyond the base (the budget). */
static void buffer_account(struct bmp_worker *w, size_t old_cap, size_t new_cap)
{
	uint64_t old_extra = old_cap > BMP_BASE_BUF ? old_cap - BMP_BASE_BUF : 0;
	uint64_t new_extra = new_cap > BMP_BASE_BUF ? new_cap - BMP_BASE_BUF : 0;

	if (new_extra > old_extra)
		atomic_fetch_add(&w->sh->extra, new_extra - old_extra);
	else
		atomic_fetch_sub(&w->sh->extra, old_extra - new_extra);
	if (w->sh->buf_bytes != NULL)
		metrics_gauge_add(w->sh->buf_bytes, (double)new_cap - (double)old_cap);
}

/* Freeing a session releases what it holds in the shard: under its lock.
 * The connection leaves the listener's count only now that its socket is
 * closed: the listener reads the count before it dup()s the next accepted
 * socket, which may get the same number (that read orders the two for
 * ThreadSanitizer too, which tracks descriptors). */
static void on_handle_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (--c->handles > 0)
		return;
	atomic_fetch_sub(&c->w->sh->conns, 1);
	if (c->sess != NULL) {
		model_lock_worker(c->w->model);
		bmp_session_free(c->sess);
		model_unlock(c->w->model);
	}
	free(c->buf);
	free(c);
}

static void queue_push(struct bmp_worker *w, struct conn *c)
{
	c->qnext = NULL;
	if (w->qtail != NULL)
		w->qtail->qnext = c;
	else
		w->qhead = c;
	w->qtail = c;
}

static void queue_push_front(struct bmp_worker *w, struct conn *c)
{
	c->qnext = w->qhead;
	w->qhead = c;
	if (w->qtail == NULL)
		w->qtail = c;
}

/* Back into the queue after a yield: at the front while c is the current
 * connection with quantum left, else at the back. */
static void queue_requeue(struct bmp_worker *w, struct conn *c)
{
	if (c == w->current && w->current_ns < INGEST_QUANTUM_NS) {
		queue_push_front(w, c);
		return;
	}
	if (c == w->current)
		w->current = NULL;
	queue_push(w, c);
}

static void queue_remove(struct bmp_worker *w, struct conn *c)
{
	struct conn **pp = &w->qhead, *prev = NULL;

	if (w->current == c)
		w->current = NULL;
	if (!c->paused)
		return;
	while (*pp != NULL && *pp != c) {
		prev = *pp;
		pp = &(*pp)->qnext;
	}
	if (*pp == c) {
		*pp = c->qnext;
		if (w->qtail == c)
			w->qtail = prev;
	}
	c->paused = false;
	c->qnext = NULL;
}

static void conn_close(struct conn *c, enum close_reason why)
{
	struct bmp_worker *w = c->w;
	const char *labels[] = {close_names[why]};

	if (uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	/* a superseded connection's router belongs to the newer session */
	if (c->router != NULL)
		model_router_disconnected(w->model, c->router, wall_now());
	add(metrics_series_get(w->sh->closed, labels), 1);
	log_kv_limited(w->sh->log, &w->sh->rl_conn, LOG_LVL_INFO, "bmp router disconnected", "router",
		       conn_name(c), "address", c->addr, "reason", close_names[why],
		       "superseded", c->superseded ? "true" : "false", (const char *)0);
	buffer_account(w, c->cap, 0);
	queue_remove(w, c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	w->nconns--;
	if (w->conns_s != NULL)
		metrics_gauge_set(w->conns_s, (double)w->nconns);
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
	uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
}

/* Grows the buffer to want bytes within the budget; -1 when refused. The
 * growth is reserved before the check, so that two workers cannot both
 * take the budget's last bytes. */
static int conn_reserve(struct conn *c, size_t want)
{
	struct bmp_worker *w = c->w;
	size_t grow = want - c->cap;
	uint8_t *b;

	if (want <= c->cap)
		return 0;
	if (atomic_fetch_add(&w->sh->extra, grow) + grow > w->lim.budget) {
		char need[24];

		atomic_fetch_sub(&w->sh->extra, grow);
		snprintf(need, sizeof(need), "%zu", want);
		add(w->sh->budget_refusals, 1);
		log_kv_limited(w->sh->log, &w->sh->rl_budget, LOG_LVL_WARN,
			       "bmp.buffer_budget reached: connection closed", "router",
			       conn_name(c), "message_bytes", need, (const char *)0);
		return -1;
	}
	b = realloc(c->buf, want);
	if (b == NULL) {
		atomic_fetch_sub(&w->sh->extra, grow);
		return -1;
	}
	if (w->sh->buf_bytes != NULL)
		metrics_gauge_add(w->sh->buf_bytes, (double)grow);
	c->buf = b;
	c->cap = want;
	return 0;
}

/* Back to BMP_BASE_BUF once the large message is consumed. */
static void conn_shrink(struct conn *c)
{
	uint8_t *b;

	if (c->cap <= BMP_BASE_BUF ||
	    bmp_buffer_want(c->buf, c->len, c->w->lim.max_msg, BMP_BASE_BUF) > BMP_BASE_BUF)
		return;
	b = realloc(c->buf, BMP_BASE_BUF);
	if (b == NULL)
		return; /* keeps the larger one; still accounted */
	buffer_account(c->w, c->cap, BMP_BASE_BUF);
	c->buf = b;
	c->cap = BMP_BASE_BUF;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
	struct conn *c = h->data;
	size_t want = bmp_buffer_want(c->buf, c->len, c->w->lim.max_msg, BMP_BASE_BUF);

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
	struct model *m = c->w->model;

	model_lock_worker(m);
	conn_close(c, c->sess != NULL || c->superseded ? CR_MSG_TIMEOUT : CR_FIRST_TIMEOUT);
	model_unlock(m);
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
		uv_timer_start(&c->timer, on_timer, c->w->lim.msg_timeout_ms, 0);
}

static void conn_keepalive(struct conn *c)
{
	uv_os_fd_t fd;
	int v;

	if (uv_tcp_keepalive(&c->tcp, 1, c->w->lim.ka_idle) != 0 ||
	    uv_fileno((uv_handle_t *)&c->tcp, &fd) != 0)
		return;
	v = (int)c->w->lim.ka_interval;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, sizeof(v));
	v = (int)c->w->lim.ka_count;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, sizeof(v));
}

/* The newer connection c takes r over from old: the old session ends as a
 * disconnect (its peers go down, their RIBs are released), and the old
 * connection keeps nothing it could touch. */
static void supersede(struct conn *c, struct model_router *r, double now)
{
	struct bmp_worker *w = c->w;

	model_router_disconnected(w->model, r, now);
	for (struct conn *o = w->conns; o != NULL; o = o->next) {
		if (o == c || o->router != r)
			continue;
		o->router = NULL;
		o->superseded = true;
		bmp_session_free(o->sess);
		o->sess = NULL;
	}
	add(w->sh->superseded, 1);
	log_kv_limited(w->sh->log, &w->sh->rl_conn, LOG_LVL_WARN,
		       "bmp session superseded by a newer connection of the same router", "router",
		       model_router_label(r), "address", c->addr, (const char *)0);
}

/* Binds c to its router once its first message is whole (RFC 7854 §4.3:
 * the Initiation, whose sysName names the router). 0 when bound or still
 * waiting, -1 when c was closed. */
static int conn_bind(struct conn *c)
{
	struct bmp_worker *w = c->w;
	struct model *m = w->model;
	char name[256];
	size_t mlen = 0;
	double now = wall_now();
	struct model_router *r;

	switch (bmp_frame(c->buf, c->len, w->lim.max_msg, &mlen, NULL)) {
	case BMP_FRAME_NEED_MORE:
		return 0;
	case BMP_FRAME_ERROR:
		log_kv_limited(w->sh->log, &w->sh->rl_error, LOG_LVL_ERROR,
			       "bmp framing lost before the first message; closing", "router",
			       c->addr, (const char *)0);
		conn_close(c, CR_FRAMING);
		return -1;
	default:
		break;
	}
	(void)bmp_first_sys_name(c->buf, mlen, name, sizeof(name));
	snprintf(c->sys_name, sizeof(c->sys_name), "%s", name);
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
	log_kv_limited(w->sh->log, &w->sh->rl_conn, LOG_LVL_INFO, "bmp router connected", "router",
		       model_router_label(r), "address", c->addr, "sys_name", name,
		       (const char *)0);
	return 0;
}

static void on_idle(uv_idle_t *h);

/* The turn's slice is spent: c stops reading and waits in the queue. Its
 * message deadline stops too (we hold it, not the router). */
static void conn_pause(struct conn *c)
{
	struct bmp_worker *w = c->w;

	add(w->sh->yields, 1);
	(void)uv_read_stop((uv_stream_t *)&c->tcp);
	uv_timer_stop(&c->timer);
	c->paused = true;
	queue_requeue(w, c);
	if (!uv_is_active((uv_handle_t *)&w->idle))
		(void)uv_idle_start(&w->idle, on_idle);
}

/* The raw stream (model/stream.h): each whole message of buf[0..len), as
 * the router sent it. Only called while the stream is on. */
/* stream.h's form of the address: IPv4 as ::ffff:a.b.c.d */
static void conn_stream_router(struct conn *c)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	c->sr.ipv6 = c->family == AF_INET6;
	if (c->sr.ipv6) {
		memcpy(c->sr.addr, c->raw, 16);
	} else {
		memcpy(c->sr.addr, mapped, 12);
		memcpy(c->sr.addr + 12, c->raw, 4);
	}
	c->sr.name = c->sys_name;
}

static void conn_raw(struct conn *c, const uint8_t *buf, size_t len, double now)
{
	const struct stream_sink *ss = c->w->sh->streams;
	int64_t ns = (int64_t)(now * 1e9);
	size_t off = 0, mlen;

	while (off < len && bmp_frame(buf + off, len - off, c->w->lim.max_msg, &mlen, NULL) ==
				    BMP_FRAME_COMPLETE) {
		ss->ops->bmp_raw(ss->arg, &c->sr, buf + off, mlen, ns);
		off += mlen;
	}
}

static bool raw_on(const struct bmp_worker *w)
{
	return w->sh->streams != NULL &&
	       atomic_load_explicit(&w->sh->streams->raw_on, memory_order_relaxed);
}

/* Applies (or, superseded, skips) c's complete messages while the turn's
 * slice lasts. Returns -1 when c was closed, 1 when it must yield with
 * complete messages left, 0 when none is left. */
static int conn_ingest(struct conn *c)
{
	struct bmp_worker *w = c->w;
	uint64_t t0 = mono_ns(), t = t0;
	double now = wall_now();
	size_t used = 0, n = 0;
	int status = 0, rc = 0;

	if (c->sess == NULL && !c->superseded)
		return 0; /* unbound: its first message is not whole yet */
	for (;;) {
		if (w->spent_ns + (t - t0) >= INGEST_SLICE_NS) {
			/* yield only with a whole message waiting: a partial one is
			 * the router's to finish, under its own deadline */
			size_t mlen = 0;

			if (bmp_frame(c->buf + used, c->len - used, w->lim.max_msg, &mlen, NULL) ==
			    BMP_FRAME_COMPLETE)
				rc = 1;
			break;
		}
		if (c->superseded) { /* framing only: cheap, bounded by the buffer */
			used += bmp_stream_skip(c->buf + used, c->len - used, w->lim.max_msg, &n,
						&status);
			add(w->sh->dropped, (double)n);
			break;
		}
		size_t was = used;

		used += bmp_session_feed_some(c->sess, c->buf + used, c->len - used, w->lim.max_msg,
					      now, INGEST_BATCH, &n, &status);
		if (raw_on(w))
			conn_raw(c, c->buf + was, used - was, now);
		if (status != 0 || n < INGEST_BATCH)
			break;
		t = mono_ns();
	}
	t = mono_ns() - t0;
	w->spent_ns += t;
	if (c == w->current)
		w->current_ns += t;
	memmove(c->buf, c->buf + used, c->len - used);
	c->len -= used;
	if (status == 1) {
		conn_close(c, CR_TERMINATION);
		return -1;
	}
	if (status < 0) {
		log_kv_limited(w->sh->log, &w->sh->rl_error, LOG_LVL_ERROR,
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

static void conn_read(struct conn *c, ssize_t nread)
{
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

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b)
{
	struct conn *c = stream->data;
	struct model *m = c->w->model;

	(void)b;
	model_lock_worker(m);
	conn_read(c, nread);
	model_unlock(m);
}

/* A new loop turn: timers and other I/O have had theirs since the last. */
static void on_check(uv_check_t *h)
{
	struct bmp_worker *w = h->data;

	w->spent_ns = 0;
}

/* Resumes paused connections in turn while the slice lasts; one that
 * drained its buffer reads again, one that did not goes to the back. */
static void resume_paused(struct bmp_worker *w)
{
	/* a current connection that caught up (reads, not queued) lets go */
	if (w->current != NULL && !w->current->paused)
		w->current = NULL;
	while (w->qhead != NULL && w->spent_ns < INGEST_SLICE_NS) {
		struct conn *c = w->qhead;
		int rc;

		w->qhead = c->qnext;
		if (w->qhead == NULL)
			w->qtail = NULL;
		c->qnext = NULL;
		if (w->current == NULL) {
			w->current = c;
			w->current_ns = 0;
		}
		rc = conn_ingest(c); /* c still counts as paused: no fresh read */
		if (rc < 0)
			continue; /* closed (queue_remove found it gone) */
		if (rc == 1) {
			add(w->sh->yields, 1);
			queue_requeue(w, c);
			continue;
		}
		c->paused = false;
		if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
			conn_close(c, CR_SOCKET_ERROR);
			continue;
		}
		/* the current one drained its buffer: this turn's poll refills it
		 * (the others wait, so that its run goes on) */
		if (c == w->current && w->current_ns < INGEST_QUANTUM_NS)
			break;
		if (c == w->current)
			w->current = NULL;
	}
	if (w->qhead == NULL)
		(void)uv_idle_stop(&w->idle);
}

static void on_idle(uv_idle_t *h)
{
	struct bmp_worker *w = h->data;

	model_lock_worker(w->model);
	resume_paused(w);
	model_unlock(w->model);
}

static int conn_start(struct bmp_worker *w, struct conn *c)
{
	if (uv_timer_init(&w->loop, &c->timer) != 0)
		return -1;
	c->timer.data = c;
	c->handles++;
	c->buf = malloc(BMP_BASE_BUF);
	if (c->buf == NULL)
		return -1;
	c->cap = BMP_BASE_BUF;
	buffer_account(w, 0, c->cap);
	c->next = w->conns;
	if (w->conns != NULL)
		w->conns->prev = c;
	w->conns = c;
	w->nconns++;
	if (w->conns_s != NULL)
		metrics_gauge_set(w->conns_s, (double)w->nconns);
	(void)uv_recv_buffer_size((uv_handle_t *)&c->tcp, &(int){RECV_BUFFER});
	conn_keepalive(c);
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
		conn_close(c, CR_SOCKET_ERROR);
		return 0;
	}
	uv_timer_start(&c->timer, on_timer, w->lim.first_timeout_ms, 0);
	return 0;
}


/* ---- the worker's own: connections handed over, reloads, its thread ---- */

/* Takes a connection the listener handed over; its fd is closed on failure. */
static void conn_adopt(struct bmp_worker *w, struct handoff *h)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL || uv_tcp_init(&w->loop, &c->tcp) != 0) {
		free(c);
		close(h->fd);
		atomic_fetch_sub(&w->sh->conns, 1);
		return;
	}
	c->w = w;
	c->tcp.data = c;
	c->handles = 1;
	memcpy(c->addr, h->addr, sizeof(c->addr));
	c->family = h->family;
	memcpy(c->raw, h->raw, sizeof(c->raw));
	conn_stream_router(c);
	if (uv_tcp_open(&c->tcp, h->fd) != 0) {
		close(h->fd);
	} else if (conn_start(w, c) == 0) {
		return;
	}
	/* not started: the connection never joined the worker's list */
	if (c->cap > 0)
		buffer_account(w, c->cap, 0);
	if (c->handles > 1) /* the timer was made */
		uv_close((uv_handle_t *)&c->timer, on_handle_closed);
	uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
}

/* New limits on live connections: sources no longer allowed go, keepalive
 * is set again; timeouts apply from the next deadline, the budget from
 * the next growth. */
static void apply_live(struct bmp_worker *w)
{
	struct conn *c = w->conns, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		if (!bmp_limits_allow(&w->lim, c->family, c->raw)) {
			log_kv_limited(w->sh->log, &w->sh->rl_refused, LOG_LVL_WARN,
				       "bmp router no longer in bmp.allow: disconnected", "router",
				       conn_name(c), "address", c->addr, (const char *)0);
			conn_close(c, CR_NOT_ALLOWED);
			continue;
		}
		conn_keepalive(c);
	}
}

static void on_own_closed(uv_handle_t *h)
{
	struct bmp_worker *w = h->data;

	w->handles--;
}

static void close_own(struct bmp_worker *w, uv_handle_t *h)
{
	if (h->data == w && !uv_is_closing(h))
		uv_close(h, on_own_closed);
}

/* Stop: every connection closes (its router goes down in the shard), then
 * the worker's own handles, and the loop ends. */
static void worker_close_all(struct bmp_worker *w)
{
	while (w->conns != NULL)
		conn_close(w->conns, CR_SHUTDOWN);
	close_own(w, (uv_handle_t *)&w->wake);
	close_own(w, (uv_handle_t *)&w->idle);
	close_own(w, (uv_handle_t *)&w->check);
	close_own(w, (uv_handle_t *)&w->hk_timer);
}

/* The inbox, taken whole under its lock, then applied under the shard's. */
static void on_wake(uv_async_t *h)
{
	struct bmp_worker *w = h->data;
	struct handoff *in, *next;
	struct bmp_limits lim = {0};
	bool stop, relimit;

	uint64_t gen;

	pthread_mutex_lock(&w->inbox_lock);
	in = w->inbox;
	w->inbox = NULL;
	stop = w->stop;
	relimit = w->has_next_lim;
	gen = w->lim_asked;
	if (relimit) {
		lim = w->next_lim;
		w->next_lim = (struct bmp_limits){0};
		w->has_next_lim = false;
	}
	pthread_mutex_unlock(&w->inbox_lock);
	model_lock_worker(w->model);
	if (relimit) {
		bmp_limits_clean(&w->lim);
		w->lim = lim;
		apply_live(w);
		pthread_mutex_lock(&w->inbox_lock);
		w->lim_done = gen;
		pthread_cond_broadcast(&w->applied);
		pthread_mutex_unlock(&w->inbox_lock);
	}
	for (; in != NULL; in = next) {
		next = in->next;
		if (stop) {
			close(in->fd);
			atomic_fetch_sub(&w->sh->conns, 1);
		} else {
			conn_adopt(w, in);
		}
		free(in);
	}
	if (stop)
		worker_close_all(w);
	model_unlock(w->model);
}

static double thread_cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_housekeeping(uv_timer_t *t)
{
	struct bmp_worker *w = t->data;

	model_lock_worker(w->model);
	(void)model_gc_step(w->model);
	if (++w->ticks % PUBLISH_EVERY == 0) {
		(void)model_expire(w->model, wall_now());
		model_publish(w->model);
		if (w->cpu_s != NULL)
			metrics_counter_set(w->cpu_s, thread_cpu_now());
	}
	model_unlock(w->model);
}

/* Ingest is throughput work: the scheduler lets the loop thread (probes,
 * timers, housekeeping) run first whenever it wakes, as it would not
 * with every thread alike, and the workers take the rest of the CPU. */
static void worker_yield_to_loop(void)
{
	struct sched_param sp = {0};
	int nice_now = getpriority(PRIO_PROCESS, 0); /* the process's (-1 is a value too) */

	(void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), nice_now + WORKER_NICE);
}

static void worker_main(void *arg)
{
	struct bmp_worker *w = arg;
	char name[16];

	snprintf(name, sizeof(name), "cw-bmp-%u", w->index);
	(void)pthread_setname_np(pthread_self(), name);
	worker_yield_to_loop();
	(void)uv_run(&w->loop, UV_RUN_DEFAULT);
}

/* The loop and the worker's handles, made on the starting thread before
 * the worker's thread exists. */
static int worker_init_loop(struct bmp_worker *w)
{
	if (uv_loop_init(&w->loop) != 0)
		return -1;
	w->loop_made = true;
	if (uv_async_init(&w->loop, &w->wake, on_wake) != 0)
		return -1;
	w->wake.data = w;
	w->handles++;
	if (uv_idle_init(&w->loop, &w->idle) != 0)
		return -1;
	w->idle.data = w;
	w->handles++;
	if (uv_check_init(&w->loop, &w->check) != 0)
		return -1;
	w->check.data = w;
	w->handles++;
	uv_unref((uv_handle_t *)&w->check);
	if (uv_check_start(&w->check, on_check) != 0 ||
	    uv_timer_init(&w->loop, &w->hk_timer) != 0)
		return -1;
	w->hk_timer.data = w;
	w->handles++;
	return uv_timer_start(&w->hk_timer, on_housekeeping, HOUSEKEEPING_MS, HOUSEKEEPING_MS);
}

static void worker_free(struct bmp_worker *w)
{
	if (w->loop_made) {
		close_own(w, (uv_handle_t *)&w->wake);
		close_own(w, (uv_handle_t *)&w->idle);
		close_own(w, (uv_handle_t *)&w->check);
		close_own(w, (uv_handle_t *)&w->hk_timer);
		(void)uv_run(&w->loop, UV_RUN_DEFAULT); /* the close callbacks */
		(void)uv_loop_close(&w->loop);
	}
	for (struct handoff *h = w->inbox, *next; h != NULL; h = next) {
		next = h->next;
		close(h->fd);
		atomic_fetch_sub(&w->sh->conns, 1);
		free(h);
	}
	bmp_limits_clean(&w->lim);
	bmp_limits_clean(&w->next_lim);
	if (w->cond_made)
		pthread_cond_destroy(&w->applied);
	pthread_mutex_destroy(&w->inbox_lock);
	free(w);
}

struct bmp_worker *bmp_worker_start(struct bmp_shared *sh, struct model *shard,
				    unsigned index, const struct bmp_limits *lim)
{
	struct bmp_worker *w = calloc(1, sizeof(*w));
	char idx[12];
	const char *labels[] = {idx};

	if (w == NULL)
		return NULL;
	w->sh = sh;
	w->model = shard;
	w->index = index;
	if (pthread_mutex_init(&w->inbox_lock, NULL) != 0) {
		free(w);
		return NULL;
	}
	w->cond_made = pthread_cond_init(&w->applied, NULL) == 0;
	snprintf(idx, sizeof(idx), "%u", index);
	w->conns_s = metrics_series_get(sh->w_conns, labels);
	w->cpu_s = metrics_series_get(sh->w_cpu, labels);
	if (!w->cond_made || bmp_limits_copy(&w->lim, lim) != 0 || worker_init_loop(w) != 0 ||
	    uv_thread_create(&w->thread, worker_main, w) != 0) {
		log_error(sh->log, "cannot start a BMP worker thread", "worker", idx);
		worker_free(w);
		return NULL;
	}
	return w;
}

void bmp_worker_hand(struct bmp_worker *w, int fd, const char *addr, int family,
		     const uint8_t raw[16])
{
	struct handoff *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		close(fd);
		atomic_fetch_sub(&w->sh->conns, 1);
		return;
	}
	h->fd = fd;
	snprintf(h->addr, sizeof(h->addr), "%s", addr);
	h->family = family;
	memcpy(h->raw, raw, sizeof(h->raw));
	pthread_mutex_lock(&w->inbox_lock);
	struct handoff **pp = &w->inbox;

	while (*pp != NULL) /* in accept order; a handful at most */
		pp = &(*pp)->next;
	*pp = h;
	pthread_mutex_unlock(&w->inbox_lock);
	(void)uv_async_send(&w->wake);
}

int bmp_worker_set_limits(struct bmp_worker *w, const struct bmp_limits *lim)
{
	struct bmp_limits copy = {0};
	uint64_t gen;

	if (bmp_limits_copy(&copy, lim) != 0)
		return -1;
	pthread_mutex_lock(&w->inbox_lock);
	bmp_limits_clean(&w->next_lim);
	w->next_lim = copy;
	w->has_next_lim = true;
	gen = ++w->lim_asked;
	(void)uv_async_send(&w->wake);
	/* the reload returns once applied: a publish right after it (and so a
	 * scrape) shows the routers it disconnected as down. The worker gets
	 * to it within one ingest slice. */
	while (w->lim_done < gen)
		pthread_cond_wait(&w->applied, &w->inbox_lock);
	pthread_mutex_unlock(&w->inbox_lock);
	return 0;
}

void bmp_worker_stop(struct bmp_worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->inbox_lock);
	w->stop = true;
	pthread_mutex_unlock(&w->inbox_lock);
	(void)uv_async_send(&w->wake);
	(void)uv_thread_join(&w->thread);
	worker_free(w); /* the loop ended: its handles are closed */
}
