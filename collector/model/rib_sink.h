/* rib_sink.h — the model as the route store of bgp/ingest: UPDATEs that
 * bgp_ingest_update() applies land in the model's peers, RIB views and
 * per-peer counters.
 *
 * Ownership: the sink borrows m (it must outlive every ingest object fed
 * from it); a peer handle passed to bgp_ingest_* is a struct model_peer. */
#ifndef CW_MODEL_RIB_SINK_H
#define CW_MODEL_RIB_SINK_H

#include "ingest.h"
#include "model.h"

/* The sink to pass to bgp_ingest_new() for model m. */
struct bgp_rib_sink model_rib_sink(struct model *m);

#endif
