/* listener.c — the BMP TCP listener (libuv, on the loop thread): accepts
 * routers, refuses sources not in bmp.allow and connections beyond
 * bmp.max_routers, and hands each accepted connection to a worker
 * (worker.c) chosen by its source address, so that every connection of one
 * router goes to the same worker and its model shard. The workers frame,
 * decode and apply; the listener never reads a byte. */
#include "bmp_collector.h"
#include "bmp_priv.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "log.h"
#include "metrics.h"
#include "model.h"

struct listener {
	struct cw_ctx *ctx;
	uv_tcp_t server;
	bool server_open;
	struct bmp_limits lim; /* the listener's copy: allow and max_routers */
	struct bmp_shared sh;
	struct bmp_worker *workers[BMP_MAX_WORKERS];
	unsigned nworkers;
	struct metrics_family *refused;
};

/* ---- accepting ---- */

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

/* The worker of a source address: every connection of a router (one
 * address) lands on the same worker, where its router and RIBs are. */
static unsigned worker_of(const struct listener *l, int family, const uint8_t *raw)
{
	size_t n = family == AF_INET ? 4 : 16;
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ raw[i]) * 16777619u;
	return h % l->nworkers;
}

static void count_refused(struct listener *l, const char *reason, const char *addr)
{
	const char *labels[] = {reason};
	struct metrics_series *s = metrics_series_get(l->refused, labels);

	if (s != NULL)
		metrics_counter_add(s, 1);
	log_kv_limited(l->ctx->log, &l->sh.rl_refused, LOG_LVL_WARN, "bmp connection refused",
		       "router", addr, "reason", reason, (const char *)0);
}

static void on_accepted_closed(uv_handle_t *h)
{
	free(h);
}

/* The accepted socket goes to a worker as a file descriptor of its own:
 * the loop's handle is closed here, and the worker opens the copy on its
 * loop. */
static void hand_over(struct listener *l, uv_tcp_t *t, const char *addr, int family,
		      const uint8_t *raw)
{
	uv_os_fd_t fd;
	int copy = -1;

	if (uv_fileno((uv_handle_t *)t, &fd) == 0)
		copy = dup(fd);
	uv_close((uv_handle_t *)t, on_accepted_closed);
	if (copy < 0)
		return;
	atomic_fetch_add(&l->sh.conns, 1);
	bmp_worker_hand(l->workers[worker_of(l, family, raw)], copy, addr, family, raw);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct listener *l = server->data;
	char addr[INET6_ADDRSTRLEN];
	uint8_t raw[16] = {0};
	int family = 0;
	uv_tcp_t *t;

	if (status < 0 || (t = malloc(sizeof(*t))) == NULL)
		return;
	if (uv_tcp_init(l->ctx->loop, t) != 0) {
		free(t);
		return;
	}
	if (uv_accept(server, (uv_stream_t *)t) != 0 ||
	    peer_address(t, addr, sizeof(addr), &family, raw) != 0) {
		uv_close((uv_handle_t *)t, on_accepted_closed);
		return;
	}
	if (!bmp_limits_allow(&l->lim, family, raw))
		count_refused(l, "not_allowed", addr);
	else if (atomic_load(&l->sh.conns) >= l->lim.max_routers)
		count_refused(l, "too_many_routers", addr);
	else {
		hand_over(l, t, addr, family, raw);
		return;
	}
	uv_close((uv_handle_t *)t, on_accepted_closed);
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

static void on_server_closed(uv_handle_t *h)
{
	struct listener *l = h->data;

	bmp_limits_clean(&l->lim);
	free(l);
}

/* Stops every worker (each closes its connections: their routers go down
 * in the shards), then the server; l is freed once the server is closed. */
static void listener_free(struct listener *l)
{
	for (unsigned i = 0; i < l->nworkers; i++)
		bmp_worker_stop(l->workers[i]);
	l->nworkers = 0;
	if (l->server_open) {
		uv_close((uv_handle_t *)&l->server, on_server_closed);
		return;
	}
	bmp_limits_clean(&l->lim);
	free(l);
}

static const char *const l_reason[] = {"reason"};
static const char *const l_worker[] = {"worker"};
enum {
	FAM_REFUSED,
	FAM_CLOSED,
	FAM_SUPERSEDED,
	FAM_DROPPED,
	FAM_BUF,
	FAM_BUDGET,
	FAM_YIELDS,
	FAM_W_CONNS,
	FAM_W_CPU,
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
			"Times a BMP connection stopped reading because its worker's ingest "
			"slice for the loop turn was spent (resumed on a later turn).",
			NULL, 0, NULL, 0, NULL},
	[FAM_W_CONNS] = {METRICS_GAUGE, "circuitwatch_bmp_worker_connections",
			 "BMP connections a worker thread holds (routers are spread over "
			 "bmp.workers by source address).",
			 NULL, 1, l_worker, 0, NULL},
	[FAM_W_CPU] = {METRICS_COUNTER, "circuitwatch_bmp_worker_cpu_seconds_total",
		       "CPU time of a BMP worker thread (user and system), updated every second.",
		       "seconds", 1, l_worker, 0, NULL},
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
	l->sh.closed = f[FAM_CLOSED];
	l->sh.w_conns = f[FAM_W_CONNS];
	l->sh.w_cpu = f[FAM_W_CPU];
	l->sh.superseded = metrics_series_get(f[FAM_SUPERSEDED], NULL);
	l->sh.dropped = metrics_series_get(f[FAM_DROPPED], NULL);
	l->sh.buf_bytes = metrics_series_get(f[FAM_BUF], NULL);
	l->sh.budget_refusals = metrics_series_get(f[FAM_BUDGET], NULL);
	l->sh.yields = metrics_series_get(f[FAM_YIELDS], NULL);
	return 0;
}

/* The shards keep BMP routers' peers as bmp: says: the cap per router, how
 * long a gone router's unconfigured peers stay, which get series. */
static void set_model_policy(struct cw_ctx *ctx, const struct cfg_bmp *b)
{
	struct model_source_policy p = {
		.max_peers_per_router = b->max_peers_per_router,
		.peer_retention_s = (double)b->peer_retention_s,
		.publish_configured_only = b->publish == CFG_BMP_PUBLISH_CONFIGURED,
	};

	model_set_source_policy(ctx->model, MODEL_SRC_BMP, &p);
	for (size_t i = 0; i < ctx->nshards; i++) {
		model_lock(ctx->shards[i]);
		model_set_source_policy(ctx->shards[i], MODEL_SRC_BMP, &p);
		model_unlock(ctx->shards[i]);
	}
}

static int start_workers(struct listener *l)
{
	struct cw_ctx *ctx = l->ctx;

	if (ctx->nshards == 0 || ctx->nshards > BMP_MAX_WORKERS) {
		log_error(ctx->log, "bmp: no model shard for its workers");
		return -1;
	}
	for (size_t i = 0; i < ctx->nshards; i++) {
		l->workers[i] = bmp_worker_start(&l->sh, ctx->shards[i], (unsigned)i, &l->lim);
		if (l->workers[i] == NULL)
			return -1;
		l->nworkers++;
	}
	return 0;
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
	l->sh.log = ctx->log;
	l->sh.streams = ctx->streams; /* the Kafka module started before us */
	if (make_metrics(l, ctx->reg) != 0 || bmp_limits_from_config(&l->lim, b) != 0 ||
	    start_workers(l) != 0 || bind_listen(l, b) != 0) {
		listener_free(l);
		return -1;
	}
	*state = l;
	return 0;
}

/* A reload applies to live connections where it can (each worker on its
 * own: see bmp_worker_set_limits); the listener refuses by the new allow
 * list and max_routers from now on. */
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
	if (a->workers != b->workers)
		log_warn(ctx->log, "setting changed but not applied; restart to apply", "key",
			 "bmp.workers");
	if (l == NULL)
		return;
	if (bmp_limits_from_config(&l->lim, b) != 0) {
		log_error(ctx->log, "out of memory applying bmp limits; keeping the old ones");
		return;
	}
	for (unsigned i = 0; i < l->nworkers; i++)
		if (bmp_worker_set_limits(l->workers[i], &l->lim) != 0)
			log_error(ctx->log, "out of memory applying bmp limits to a worker; it "
					    "keeps the old ones");
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
