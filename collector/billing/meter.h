/* meter.h — the metering hub between traffic sources and billing.
 *
 * Sources push byte deltas (never absolute counters: a source handles its
 * own counter resets) per circuit, link, direction and source kind; the
 * meter keeps cumulative totals since the daemon started, and the billing
 * module reads them once a second. The meter never persists anything: the
 * billing state does (restored totals + deltas seen after the start).
 *
 * Wiring a source: one bill_meter_add() per link per sample, e.g. the
 * interface counters of a link: BILL_DIR_FROM_CLOUD = rx bytes delta,
 * BILL_DIR_TO_CLOUD = tx bytes delta, source CFG_BILL_SOURCE_INTERFACES. The capture source
 * uses bill_meter_vlan(), which turns its cumulative per-VLAN counters into
 * deltas and finds the circuit peering of a VLAN.
 *
 * Loop thread only (no locking). Ownership: bill_meter_new's result is the
 * caller's (bill_meter_free). Functions take a NULL meter as a no-op. */
#ifndef CW_BILLING_METER_H
#define CW_BILLING_METER_H

#include <stdint.h>

#include "circuit_config.h"

#define BILL_METER_MAX_CIRCUITS 4096 /* distinct circuit ids metered */
#define BILL_METER_MAX_VLANS 16384   /* capture keys followed (VLAN_ACCT_MAX_KEYS) */

/* Directions as the providers bill them: data the cloud sends to you (its
 * egress: what metered plans charge) and data you send to it (free with
 * ExpressRoute, Direct Connect and Interconnect). On your link that is
 * received (rx, capture "ingress") and sent (tx, capture "egress"). */
enum bill_dir { BILL_DIR_TO_CLOUD, BILL_DIR_FROM_CLOUD, BILL_DIR_COUNT };
#define BILL_SOURCE_COUNT 2 /* enum cfg_bill_source values */

struct bill_meter;

struct bill_meter *bill_meter_new(void);
void bill_meter_free(struct bill_meter *m); /* takes NULL */

/* Adds bytes to circuit's total for (dir, src). Returns 0, or -1 when the
 * arguments are out of range or the table is full (counted as dropped). */
int bill_meter_add(struct bill_meter *m, const char *circuit, enum cfg_link_role role,
		   enum bill_dir dir, uint64_t bytes, enum cfg_bill_source src);

/* Bytes metered for circuit since the meter was created (0 when none). */
uint64_t bill_meter_total(const struct bill_meter *m, const char *circuit, enum bill_dir dir,
			  enum cfg_bill_source src);

/* Capture adapter: the cumulative byte counter of frames seen on ifname
 * with this VLAN stack and direction. When the stack is a peering of a
 * circuit's link (link interface, link s_tag, peering vlan as C-tag), the
 * growth since the last call is added to that circuit as source capture;
 * a counter lower than before is a restarted capture, counted from 0. */
void bill_meter_vlan(struct bill_meter *m, const struct cfg_config *cfg, const char *ifname,
		     uint16_t s_tag, uint16_t c_tag, enum bill_dir dir, uint64_t cumulative);

/* The consumer (billing) hears of each finished pass of a source, so it
 * counts the pass's bytes at once, from the same pass, instead of on its
 * own timer up to a whole sampling interval later (issue 12). interval_ms
 * is the source's period: the consumer saves its state before the next
 * pass when the next one would come too late. One listener; fn NULL
 * removes it. fn runs on the loop thread inside bill_meter_pass_done. */
typedef void (*bill_meter_pass_fn)(void *arg, uint32_t interval_ms);
void bill_meter_set_listener(struct bill_meter *m, bill_meter_pass_fn fn, void *arg);

/* Called by a source after the bill_meter_add / bill_meter_vlan calls of
 * one pass (also when it added nothing: the pass still happened). */
void bill_meter_pass_done(struct bill_meter *m, uint32_t interval_ms);

/* Updates refused (table full, bad arguments) since creation. */
uint64_t bill_meter_dropped(const struct bill_meter *m);

#endif
