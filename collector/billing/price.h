/* price.h — what a billing cycle costs under a plan (config.h's
 * struct cfg_plan), projections to the cycle's end, the break-even egress
 * between a metered and an unlimited plan, and budget thresholds.
 *
 * Only the cloud's egress (cloud to customer, model/traffic.h's TRAFFIC_FROM_CLOUD)
 * is priced: data into the cloud is free
 * with ExpressRoute, Direct Connect and Cloud Interconnect (see docs/billing.md,
 * "What is priced"). Money is a double in the plan's currency.
 *
 * Pure: no clock, no I/O; instants and durations are passed in. */
#ifndef CW_BILLING_PRICE_H
#define CW_BILLING_PRICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "billing_config.h"

#define BILL_WINDOW_SLOTS 64 /* samples kept for the recent-rate projection */

struct bill_cost {
	double port;     /* port (or attachment) fee */
	double add_ons;  /* every add-on's fee */
	double egress;   /* tiered per-unit egress of the zone; 0 when unlimited */
	double total;
};

/* Bytes per billing unit (10^9 for GB, 2^30 for GiB). */
double bill_unit_bytes(const struct cfg_plan *p);

/* The fee for bandwidth bps from a fee list: a monthly fee is the cycle's
 * whole (never prorated), an hourly fee is per hour of hours. Returns 0, or
 * -1 when no fee matches bps. */
int bill_fee(const struct cfg_fee *fees, size_t n, uint64_t bps, double hours, double *out)
	__attribute__((warn_unused_result));

/* Egress cost of bytes in the cycle in zone, tier by tier. 0 for an
 * unlimited plan; -1 when a metered plan has no such zone. */
int bill_egress_cost(const struct cfg_plan *p, const char *zone, uint64_t bytes, double *out)
	__attribute__((warn_unused_result));

/* Everything: port fee, add-ons and egress for a cycle with from_cloud_bytes
 * and hours of hourly fees (hours elapsed so far, or the whole cycle's for a
 * projection). Returns 0, or -1 when the plan lacks a fee or the zone. */
int bill_cost(const struct cfg_plan *p, uint64_t bps, const char *zone, uint64_t from_cloud_bytes,
	      double hours, struct bill_cost *out) __attribute__((warn_unused_result));

/* Bytes at the cycle's end if the average so far goes on: bytes scaled by
 * cycle length over elapsed time (elapsed < 1 s: bytes as they are). */
double bill_project_linear(double bytes, double elapsed_s, double cycle_s);
/* Bytes at the end at a recent rate (bytes/s) for the remaining seconds. */
double bill_project_recent(double bytes, double rate, double remaining_s);

/* The egress bytes per cycle at which the metered plan costs as much as the
 * unlimited one (same bandwidth, hourly fees for cycle_hours): 0 when the
 * unlimited plan is not dearer. Returns 0, or -1 when there is none (the
 * metered plan's last tier is free, or fees/zone are missing). */
int bill_break_even(const struct cfg_plan *metered, const struct cfg_plan *unlimited,
		    uint64_t bps, const char *zone, double cycle_hours, double *bytes)
	__attribute__((warn_unused_result));

struct bill_budget_status {
	double ratio;           /* cost so far / budget */
	double projected_ratio; /* projected cost / budget */
	uint32_t crossed;       /* bit i: ratio >= thresholds[i] */
	uint32_t projected;     /* bit i: projected_ratio >= thresholds[i] */
	double overrun;         /* projected cost - budget; > 0 means over */
};

/* Budget state for cost and projected cost; n <= 32 thresholds. budget
 * must be > 0 (a zero budget gives infinite ratios: every bit set). */
void bill_budget(const double *thresholds, size_t n, double budget, double cost,
		 double projected, struct bill_budget_status *out);

/* A ring of (instant, cumulative bytes) samples for the recent rate. */
struct bill_window {
	size_t n, head;
	struct {
		int64_t t;
		double bytes;
	} s[BILL_WINDOW_SLOTS];
};

/* Records a sample; keeps one per window_s / BILL_WINDOW_SLOTS seconds. */
void bill_window_push(struct bill_window *w, int64_t t, double bytes, uint32_t window_s);
/* Bytes per second over the samples within window_s of now (the oldest
 * such one to the newest). Returns 0, or -1 with fewer than two samples. */
int bill_window_rate(const struct bill_window *w, int64_t now, uint32_t window_s, double *rate)
	__attribute__((warn_unused_result));
/* Forgets every sample (a new cycle, or a restart). */
void bill_window_reset(struct bill_window *w);

#endif
