/* avail.h — circuit availability against its SLA (issue 15): per circuit,
 * the seconds of a cycle that were observed, that had at least one BGP
 * session up (scope "any") and that had every configured session of every
 * link up (scope "redundant", as circuitwatch_circuit_redundant); per link,
 * the seconds it had every configured session up.
 *
 * Sample and hold: each step brings a sample of the sessions (taken from
 * the model's last publish); the time from the previous step to this one
 * is counted with the previous sample. Time is observed only when the
 * collector saw it: a step longer than AVAIL_MAX_GAP_S (the loop stalled,
 * the clock jumped, the daemon was not running), time without a sample
 * (no link counted yet) and time before the circuit is armed are not
 * observed. A circuit is armed once one of its sessions is seen up, or
 * once its grace after the start has passed with sessions known: a circuit
 * is never "down" merely because the collector has just started.
 * Unobserved time is the rest of the cycle so far: elapsed - observed.
 *
 * Cycles are billing's (cycle.h); one that ends closes into prev.
 * Pure: time is passed in, no allocation. */
#ifndef CW_BILLING_AVAIL_H
#define CW_BILLING_AVAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "circuit_config.h"
#include "cycle.h"

#define AVAIL_MAX_GAP_S 10.0 /* a longer step between two samples is not observed */

enum avail_scope { AVAIL_ANY, AVAIL_REDUNDANT, AVAIL_SCOPE_COUNT };

/* What the sessions of a circuit were at one instant. */
struct avail_sample {
	bool known;                       /* the links were counted (else: no data) */
	bool any;                         /* at least one session up */
	bool redundant;                   /* every link has every session up */
	bool link_up[CFG_LINK_COUNT];     /* that link has every session up */
};

/* One cycle's figures, in seconds. */
struct avail_figures {
	bool valid;
	int64_t start, end;               /* the cycle: start <= t < end */
	double observed;
	double up[AVAIL_SCOPE_COUNT];
	double link_up[CFG_LINK_COUNT];
};

/* The calendar of a circuit's cycles: billing's when it has a plan, else
 * calendar months in UTC (day 1, 00:00). */
struct avail_calendar {
	const struct bill_tz *tz;
	unsigned day, minute;
};

struct avail_track {
	struct avail_figures cur, prev;
	bool armed;                       /* counting: a session was seen up, or grace passed */
	double arm_by;                    /* when the grace ends (wall time) */
	double last;                      /* the last step (0: none yet) */
	struct avail_sample held;         /* the sample of the last step */
};

/* A track with an empty cycle holding now; grace_s: how long after now an
 * unarmed circuit whose sessions are known but down starts to count as
 * down. Returns 0, or -1 when the calendar is out of range. */
int avail_track_init(struct avail_track *t, const struct avail_calendar *cal, double now,
		     double grace_s) __attribute__((warn_unused_result));

/* Counts the time since the last step with the held sample (split at a
 * cycle's end, which closes the cycle into prev), then holds s. Returns
 * the cycles closed (0, or 1; more cycles without a step close as one: the
 * last one that had figures). */
int avail_track_step(struct avail_track *t, const struct avail_calendar *cal, double now,
		     const struct avail_sample *s);

/* Takes saved figures (a restart or a reload): a saved cycle that has
 * ended by now becomes prev (the running cycle starts empty); one that
 * still runs goes on with its figures and its saved prev. The time since
 * the save stays unobserved. */
void avail_track_restore(struct avail_track *t, const struct avail_figures *cur,
			 const struct avail_figures *prev, double now);

/* Derived figures of a cycle at now. */
struct avail_status {
	double unobserved;                /* elapsed - observed, >= 0 */
	double ratio[AVAIL_SCOPE_COUNT];  /* up / observed; NaN when nothing observed */
	double link_ratio[CFG_LINK_COUNT];
	double budget;                    /* (1 - target) * cycle length */
	double remaining;                 /* budget - downtime (scope any); < 0: breached */
};

/* target: the SLA as a ratio (0.9995). */
void avail_status(const struct avail_figures *f, double target, double now,
		  struct avail_status *out);

/* A sample from link counts: configured and up per link (present[l] false:
 * no such link). */
void avail_sample_from(struct avail_sample *s, const bool present[CFG_LINK_COUNT],
		       const unsigned configured[CFG_LINK_COUNT], const unsigned up[CFG_LINK_COUNT]);

#endif
