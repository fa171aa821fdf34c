/* bmp_priv.h — what the BMP listener (listener.c, the loop thread) and its
 * workers (worker.c, one thread each) share. The listener accepts routers
 * and hands each connection to the worker its source address hashes to,
 * so every connection of one router lands on the same worker; a worker
 * owns its connections and feeds its own model shard (model.h, "threads").
 *
 * Ownership: the listener owns the shared block and the workers; a worker
 * owns its connections and its copy of the limits. */
#ifndef CW_BMP_PRIV_H
#define CW_BMP_PRIV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bmp_config.h"
#include "log.h"

struct metrics_family;
struct metrics_series;
struct model;
struct stream_sink;

/* Each connection has a buffer of BMP_BASE_BUF bytes; it grows to the
 * length a message's common header announces (up to bmp.max_message_size)
 * and back once that message is consumed. The growth beyond BMP_BASE_BUF,
 * over all connections of all workers, is bounded by bmp.buffer_budget. */
#define BMP_BASE_BUF (256u * 1024u)
#define BMP_MAX_WORKERS BMP_WORKERS_MAX

/* The bmp: settings the listener and the workers apply, copied from the
 * config (a worker never reads the config, which a reload frees). */
struct bmp_limits {
	size_t max_msg;
	unsigned max_routers;
	struct cfg_prefix *allow; /* owned */
	size_t nallow;
	uint64_t first_timeout_ms, msg_timeout_ms;
	unsigned ka_idle, ka_interval, ka_count;
	uint64_t budget;
};

/* 0, or -1 when memory ran out (dst unchanged). dst's old allow list goes. */
int bmp_limits_from_config(struct bmp_limits *dst, const struct cfg_bmp *b);
int bmp_limits_copy(struct bmp_limits *dst, const struct bmp_limits *src);
void bmp_limits_clean(struct bmp_limits *l);
bool bmp_limits_allow(const struct bmp_limits *l, int family, const uint8_t *raw);

/* Set up by the listener before any worker starts, then read-only but for
 * the atomics; metrics and rate-limited logs are safe from any thread. */
struct bmp_shared {
	struct log *log;
	struct metrics_family *closed; /* by reason */
	struct metrics_family *w_conns, *w_cpu; /* per worker */
	struct metrics_series *superseded, *dropped, *buf_bytes, *budget_refusals, *yields;
	struct log_ratelimit rl_refused, rl_error, rl_conn, rl_budget;
	atomic_uint_fast64_t extra; /* buffer bytes beyond BMP_BASE_BUF, all connections */
	atomic_uint conns;          /* connections handed to workers, not yet closed */
	/* route streams (model/stream.h, cw_ctx.streams): each whole message a
	 * router sends goes to its bmp_raw while raw_on; NULL: none */
	const struct stream_sink *streams;
};

struct bmp_worker;

/* Starts worker index (its thread and loop) feeding shard with lim's
 * settings (copied). NULL after logging when it could not. */
struct bmp_worker *bmp_worker_start(struct bmp_shared *sh, struct model *shard,
				    unsigned index, const struct bmp_limits *lim);
/* Hands w an accepted connection: fd (owned by the worker from now, also
 * when this fails), its source address as text and raw (family AF_INET:
 * the first 4 bytes). sh->conns already counts it. */
void bmp_worker_hand(struct bmp_worker *w, int fd, const char *addr, int family,
		     const uint8_t raw[16]);
/* Reload: the worker applies lim (copied) to its live connections: sources
 * no longer allowed are closed, keepalive set again; timeouts apply from
 * the next deadline, the budget from the next growth. Returns once w has
 * applied them (within one ingest slice). -1: out of memory, the old
 * settings stay. */
int bmp_worker_set_limits(struct bmp_worker *w, const struct bmp_limits *lim);
/* Closes every connection of w (their routers go down in the shard),
 * stops its thread and frees it. Takes NULL. */
void bmp_worker_stop(struct bmp_worker *w);

#endif
