/* models.h — the daemon's models: the loop thread's (capture and the other
 * loop sources) and one shard per BMP worker (model.h, "threads"). The
 * loop thread runs its own model's housekeeping here (each worker runs its
 * shard's), applies a new config to all, each shard under its lock, and
 * relays the shards' events (raised on the workers' threads) to the bus.
 *
 * Ownership: struct models owns the shards and the relay; base, the loop,
 * the bus and the registry are the daemon's and outlive it. */
#ifndef CW_DAEMON_MODELS_H
#define CW_DAEMON_MODELS_H

#include <stddef.h>

struct cfg_config;
struct circuit_index;
struct ev_bus;
struct log;
struct metrics_registry;
struct metrics_series;
struct model;
struct uv_loop_s;

/* Events a shard may have queued for the loop thread; more are dropped
 * and counted (circuitwatch_worker_events_dropped_total). */
#define MODELS_MAX_QUEUED_EVENTS 8192u

struct models;

/* base's shards: n of them (0: none, for a daemon without BMP), publishing
 * into base's families, logging to lg, their events relayed to bus on
 * loop; every model's GC steps observed in gc_hist. NULL after logging
 * when memory ran out. */
struct models *models_new(struct model *base, size_t n, struct uv_loop_s *loop,
			  struct ev_bus *bus, struct log *lg, struct metrics_registry *reg,
			  struct metrics_series *gc_hist);
/* Frees the shards (their workers must have stopped) and drops events not
 * relayed yet. Takes NULL. */
void models_free(struct models *ms);

/* Every model sends its route changes to *where (model_set_stream): the
 * daemon's cw_ctx.streams, set before the workers start. */
struct stream_sink;
void models_set_stream(struct models *ms, const struct stream_sink *const *where);

struct model *const *models_shards(const struct models *ms);
size_t models_nshards(const struct models *ms);

/* Every model mapped to cfg's circuits (model_apply_circuits). */
void models_apply_circuits(struct models *ms, const struct cfg_config *cfg,
			   const struct circuit_index *ix);
/* The loop's model: a housekeeping step of giving memory back
 * (model_gc_step); model_expire at now and model_publish. */
void models_gc(struct models *ms);
void models_publish(struct models *ms, double now);
/* model_publish of every model, each shard under its lock, base last: at
 * start and after a reload, so that a scrape right after it shows the new
 * circuits (the loop waits for each worker's slice). */
void models_publish_all(struct models *ms);

#endif
