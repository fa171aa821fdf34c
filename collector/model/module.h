/* module.h — the plug-in interface of sources and exporters.
 *
 * The daemon owns one loop thread, the current config and the metrics
 * registry; each module gets them through cw_ctx. A module keeps its own
 * state (returned by start, handed back to reload and stop). Adding a
 * source or exporter is adding one cw_module to the daemon's table; the
 * loop itself does not change.
 */
#ifndef CW_MODULE_H
#define CW_MODULE_H

#include <stdatomic.h>
#include <stddef.h>

struct uv_loop_s;
struct cfg_config;
struct metrics_registry;
struct model;
struct log;
struct model_traffic;
struct circuit_index;
struct ev_bus;
struct stream_sink;

struct cw_ctx {
	struct uv_loop_s *loop;        /* the loop thread's libuv loop */
	const struct cfg_config *cfg;  /* current config, swapped whole on reload;
	                                * read it on the loop thread only */
	const struct circuit_index *circuits; /* cfg's circuits indexed (model/
	                                * circuit_index.h), rebuilt with it */
	struct metrics_registry *reg;  /* thread-safe */
	struct model *model;           /* routers, peers, RIBs of the sources on the
	                                * loop thread; loop thread only */
	struct model *const *shards;   /* the BMP workers' models, one per worker
	                                * (model.h, "threads"): any call under
	                                * model_lock; none without BMP */
	size_t nshards;
	struct log *log;               /* thread-safe */
	struct model_traffic *traffic; /* traffic per circuit (model/traffic.h):
	                                * sources push byte deltas, billing reads;
	                                * loop thread only */
	struct ev_bus *events;         /* the event bus (events/bus.h): the model and
	                                * sources emit, exporters subscribe; loop thread only */
	const struct stream_sink *streams; /* route streams (stream.h): set by the
	                                * Kafka module before the sources start,
	                                * valid until it stops after them; NULL: none */
	atomic_bool ready;             /* true once every module has started */
};

/* One figure of a module's memory (cw_module.memory): component is a
 * label value ("bmp_buffers"), static. */
typedef void cw_memory_report(void *arg, const char *component, size_t bytes);

struct cw_module {
	const char *name;
	/* Starts the module with ctx->cfg (a module whose section is switched
	 * off starts as a no-op). Returns 0 and sets *state (owned by the
	 * module), or -1 after logging why: the daemon then stops. */
	int (*start)(struct cw_ctx *ctx, void **state);
	/* Called on the loop thread after ctx->cfg was replaced; old is the
	 * previous config, valid during the call. Applies what can change
	 * live and logs, at warn, each setting it could not apply. */
	void (*reload)(struct cw_ctx *ctx, void *state, const struct cfg_config *old);
	/* Stops and frees state. */
	void (*stop)(struct cw_ctx *ctx, void *state);
	/* Optional: the bytes state holds, by component, reported through
	 * report (summed into circuitwatch_memory_bytes{component}); called
	 * on the loop thread once a second, also with the NULL state of a
	 * module that is switched off. O(1) or nearly: counts kept as memory
	 * comes and goes, no walks. */
	void (*memory)(void *state, cw_memory_report *report, void *arg);
};

#endif
