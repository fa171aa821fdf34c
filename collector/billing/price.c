/* price.c — plan pricing, projections, break-even, budgets; see price.h. */
#include "price.h"

#include <math.h>
#include <string.h>

#define GB_BYTES 1e9
#define GIB_BYTES 1073741824.0

double bill_unit_bytes(const struct cfg_plan *p)
{
	return p->unit == CFG_UNIT_GIB ? GIB_BYTES : GB_BYTES;
}

int bill_fee(const struct cfg_fee *fees, size_t n, uint64_t bps, double hours, double *out)
{
	for (size_t i = 0; i < n; i++) {
		if (fees[i].bandwidth_bps != bps)
			continue;
		*out = fees[i].period == CFG_FEE_HOURLY ? fees[i].amount * hours : fees[i].amount;
		return 0;
	}
	return -1;
}

static const struct cfg_egress_zone *find_zone(const struct cfg_plan *p, const char *zone)
{
	for (size_t i = 0; zone && i < p->negress; i++)
		if (strcmp(p->egress[i].zone, zone) == 0)
			return &p->egress[i];
	return NULL;
}

int bill_egress_cost(const struct cfg_plan *p, const char *zone, uint64_t bytes, double *out)
{
	const struct cfg_egress_zone *z;
	double unit = bill_unit_bytes(p), cost = 0;
	uint64_t from = 0;

	*out = 0;
	if (p->unlimited)
		return 0;
	if (!(z = find_zone(p, zone)))
		return -1;
	/* each tier prices the bytes between the previous tier's end and its own */
	for (size_t i = 0; i < z->ntiers && bytes > from; i++) {
		uint64_t to = z->tiers[i].up_to_bytes, in;

		if (to == 0 || i + 1 == z->ntiers || to > bytes)
			to = bytes;
		in = to > from ? to - from : 0;
		cost += (double)in / unit * z->tiers[i].per_unit;
		from = to > from ? to : from;
	}
	*out = cost;
	return 0;
}

int bill_cost(const struct cfg_plan *p, uint64_t bps, const char *zone, uint64_t egress_bytes,
	      double hours, struct bill_cost *out)
{
	memset(out, 0, sizeof *out);
	if (bill_fee(p->port_fees, p->nport_fees, bps, hours, &out->port) < 0)
		return -1;
	for (size_t i = 0; i < p->nadd_ons; i++) {
		double fee;

		if (bill_fee(p->add_ons[i].fees, p->add_ons[i].nfees, bps, hours, &fee) < 0)
			return -1;
		out->add_ons += fee;
	}
	if (bill_egress_cost(p, zone, egress_bytes, &out->egress) < 0)
		return -1;
	out->total = out->port + out->add_ons + out->egress;
	return 0;
}

double bill_project_linear(double bytes, double elapsed_s, double cycle_s)
{
	if (elapsed_s < 1 || cycle_s <= elapsed_s)
		return bytes;
	return bytes * (cycle_s / elapsed_s);
}

double bill_project_recent(double bytes, double rate, double remaining_s)
{
	if (rate <= 0 || remaining_s <= 0)
		return bytes;
	return bytes + rate * remaining_s;
}

/* Fixed part of a plan's cost: port and add-ons. */
static int fixed_cost(const struct cfg_plan *p, uint64_t bps, double hours, double *out)
{
	struct bill_cost c;
	const struct cfg_plan flat = {.port_fees = p->port_fees, .nport_fees = p->nport_fees,
				      .add_ons = p->add_ons, .nadd_ons = p->nadd_ons,
				      .unlimited = true};

	if (bill_cost(&flat, bps, NULL, 0, hours, &c) < 0)
		return -1;
	*out = c.total;
	return 0;
}

int bill_break_even(const struct cfg_plan *metered, const struct cfg_plan *unlimited,
		    uint64_t bps, const char *zone, double cycle_hours, double *bytes)
{
	const struct cfg_egress_zone *z = find_zone(metered, zone);
	double fm, fu, left, unit = bill_unit_bytes(metered), from = 0;

	if (metered->unlimited || !unlimited->unlimited || !z ||
	    fixed_cost(metered, bps, cycle_hours, &fm) < 0 ||
	    fixed_cost(unlimited, bps, cycle_hours, &fu) < 0)
		return -1;
	left = fu - fm; /* the egress spend at which both cost the same */
	if (left <= 0) {
		*bytes = 0;
		return 0;
	}
	for (size_t i = 0; i < z->ntiers; i++) {
		const struct cfg_tier *t = &z->tiers[i];
		bool last = i + 1 == z->ntiers || t->up_to_bytes == 0;
		double span = last ? INFINITY : (double)t->up_to_bytes - from;
		double tier_cost = span / unit * t->per_unit;

		if (t->per_unit > 0 && left <= tier_cost) {
			*bytes = from + left / t->per_unit * unit;
			return 0;
		}
		if (last)
			break;
		left -= tier_cost;
		from = (double)t->up_to_bytes;
	}
	return -1; /* the rest is free: metered never gets as dear */
}

void bill_budget(const double *thresholds, size_t n, double budget, double cost,
		 double projected, struct bill_budget_status *out)
{
	memset(out, 0, sizeof *out);
	out->ratio = budget > 0 ? cost / budget : INFINITY;
	out->projected_ratio = budget > 0 ? projected / budget : INFINITY;
	out->overrun = projected - budget;
	for (size_t i = 0; i < n && i < 32; i++) {
		if (out->ratio >= thresholds[i])
			out->crossed |= 1u << i;
		if (out->projected_ratio >= thresholds[i])
			out->projected |= 1u << i;
	}
}

void bill_window_reset(struct bill_window *w)
{
	w->n = 0;
	w->head = 0;
}

void bill_window_push(struct bill_window *w, int64_t t, double bytes, uint32_t window_s)
{
	int64_t spacing = window_s / BILL_WINDOW_SLOTS;
	size_t last = (w->head + BILL_WINDOW_SLOTS - 1) % BILL_WINDOW_SLOTS;
	size_t before = (w->head + BILL_WINDOW_SLOTS - 2) % BILL_WINDOW_SLOTS;

	if (spacing < 1)
		spacing = 1;
	/* the newest slot follows the latest sample until it is a spacing
	 * away from the one before it; then a new slot opens */
	if (w->n >= 2 && t < w->s[before].t + spacing) {
		w->s[last].t = t;
		w->s[last].bytes = bytes;
		return;
	}
	w->s[w->head].t = t;
	w->s[w->head].bytes = bytes;
	w->head = (w->head + 1) % BILL_WINDOW_SLOTS;
	if (w->n < BILL_WINDOW_SLOTS)
		w->n++;
}

int bill_window_rate(const struct bill_window *w, int64_t now, uint32_t window_s, double *rate)
{
	size_t newest = (w->head + BILL_WINDOW_SLOTS - 1) % BILL_WINDOW_SLOTS, oldest = newest;

	if (w->n < 2)
		return -1;
	for (size_t k = 1; k < w->n; k++) {
		size_t i = (newest + BILL_WINDOW_SLOTS - k) % BILL_WINDOW_SLOTS;

		if (w->s[i].t < now - (int64_t)window_s)
			break;
		oldest = i;
	}
	if (oldest == newest || w->s[newest].t <= w->s[oldest].t)
		return -1;
	*rate = (w->s[newest].bytes - w->s[oldest].bytes) /
		(double)(w->s[newest].t - w->s[oldest].t);
	return 0;
}
