/* avail_module.h — availability against the SLA (avail.h), run by the
 * billing module on its timer (the loop thread): each tick samples every
 * tracked circuit's links from the model's last publish
 * (model_link_sessions), advances its cycle, publishes the availability
 * metrics, and saves the figures every availability.persist_interval and
 * at stop (avail_state.h, in billing.state_dir); restored at start.
 *
 * A circuit is tracked when availability.enabled and one of its links has
 * a configured neighbour. Ownership: the state returned by avail_mod_start
 * is the caller's until avail_mod_stop. Loop thread only. */
#ifndef CW_AVAIL_MODULE_H
#define CW_AVAIL_MODULE_H

#include "module.h"

struct avail_mod;

/* NULL after logging why (metrics not registered, a zone that fails to
 * load): the daemon then stops, as billing does. */
struct avail_mod *avail_mod_start(struct cw_ctx *ctx, double now);
void avail_mod_tick(struct avail_mod *a, double now);
/* After ctx->cfg was replaced (old: the previous config, valid during the
 * call): running figures carry over by circuit id; a circuit whose new
 * zone fails to load keeps its running calendar. */
void avail_mod_reload(struct avail_mod *a, double now);
/* A last step and a last save, then frees a (takes NULL). */
void avail_mod_stop(struct avail_mod *a, double now);

#endif
