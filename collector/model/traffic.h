/* traffic.h — traffic per circuit, in the model: the bytes each circuit
 * carried, by direction and by the source that measured them.
 *
 * Sources (ifstats, capture) push byte deltas (never absolute counters: a
 * source handles its own counter resets) per circuit, link, direction and
 * source kind; the model keeps cumulative totals since the daemon started,
 * and consumers (billing) read them once a second. Nothing here persists:
 * the billing state does (restored totals + deltas seen after the start).
 *
 * Wiring a source: one traffic_add() per link per sample, e.g. the
 * interface counters of a link: TRAFFIC_FROM_CLOUD = rx bytes delta,
 * TRAFFIC_TO_CLOUD = tx bytes delta, source CFG_BILL_SOURCE_INTERFACES. The capture source
 * uses traffic_vlan(), which turns its cumulative per-VLAN counters into
 * deltas and finds the circuit peering of a VLAN.
 *
 * Loop thread only (no locking). Ownership: traffic_new's result is the
 * caller's (traffic_free). Functions take a NULL traffic as a no-op. */
#ifndef CW_MODEL_TRAFFIC_H
#define CW_MODEL_TRAFFIC_H

#include <stdint.h>

#include "circuit_config.h"

#define TRAFFIC_MAX_CIRCUITS 4096 /* distinct circuit ids metered */
#define TRAFFIC_MAX_VLANS 16384   /* capture keys followed (VLAN_ACCT_MAX_KEYS) */

/* Directions as the providers bill them: data the cloud sends to you (its
 * egress: what metered plans charge) and data you send to it (free with
 * ExpressRoute, Direct Connect and Interconnect). On your link that is
 * received (rx, capture "ingress") and sent (tx, capture "egress"). */
enum traffic_dir { TRAFFIC_TO_CLOUD, TRAFFIC_FROM_CLOUD, TRAFFIC_DIR_COUNT };
#define TRAFFIC_SOURCE_COUNT 2 /* enum cfg_bill_source values */

struct circuit_index;
struct model_traffic;

struct model_traffic *traffic_new(void);
void traffic_free(struct model_traffic *m); /* takes NULL */

/* Adds bytes to circuit's total for (dir, src). Returns 0, or -1 when the
 * arguments are out of range or the table is full (counted as dropped). */
int traffic_add(struct model_traffic *m, const char *circuit, enum cfg_link_role role,
		enum traffic_dir dir, uint64_t bytes, enum cfg_bill_source src);

/* Bytes counted for circuit since m was created (0 when none). */
uint64_t traffic_total(const struct model_traffic *m, const char *circuit, enum traffic_dir dir,
		       enum cfg_bill_source src);

/* Capture adapter: the cumulative byte counter of frames seen on ifname
 * with this VLAN stack and direction. When the stack is a peering of a
 * circuit's link (circuit_index_by_vlan: link interface, link s_tag,
 * peering vlan as C-tag), the growth since the last call is added to
 * that circuit as source capture; a counter lower than before is a
 * restarted capture, counted from 0. */
void traffic_vlan(struct model_traffic *m, const struct circuit_index *circuits,
		  const char *ifname, uint16_t s_tag, uint16_t c_tag, enum traffic_dir dir,
		  uint64_t cumulative);

/* The consumer (billing) hears of each finished pass of a source, so it
 * counts the pass's bytes at once, from the same pass, instead of on its
 * own timer up to a whole sampling interval later (issue 12). interval_ms
 * is the source's period: the consumer saves its state before the next
 * pass when the next one would come too late. One listener; fn NULL
 * removes it. fn runs on the loop thread inside traffic_pass_done. */
typedef void (*traffic_pass_fn)(void *arg, uint32_t interval_ms);
void traffic_set_listener(struct model_traffic *m, traffic_pass_fn fn, void *arg);

/* Called by a source after the traffic_add / traffic_vlan calls of
 * one pass (also when it added nothing: the pass still happened). */
void traffic_pass_done(struct model_traffic *m, uint32_t interval_ms);

/* Updates refused (table full, bad arguments) since creation. */
uint64_t traffic_dropped(const struct model_traffic *m);

#endif
