/* sched.h — the probe scheduler: one binary min-heap of targets keyed by
 * the time of their next probe, and the jittered interval drawn for each.
 *
 * Pure: ids and times (seconds, from the caller's clock) in; no sockets,
 * no clock. O(log n) add, update, remove and pop, so 10,000 targets at one
 * probe a second cost ~14 comparisons per probe.
 *
 * Ownership: the caller owns the struct (probe_sched_new/free). Ids are
 * small integers chosen by the caller (indexes into its own target table);
 * the scheduler keeps a position per id, so ids should be dense.
 */
#ifndef CW_PROBES_SCHED_H
#define CW_PROBES_SCHED_H

#include <stddef.h>
#include <stdint.h>

#define PROBE_SCHED_MAX_IDS 1000000u /* ids 0..MAX-1: a hard cap on targets */

struct probe_sched;

/* NULL when out of memory. */
struct probe_sched *probe_sched_new(void);
void probe_sched_free(struct probe_sched *s); /* takes NULL */

/* Schedules id at when; an id already scheduled is moved to when.
 * 0, or -1 when id >= PROBE_SCHED_MAX_IDS or out of memory. */
int probe_sched_set(struct probe_sched *s, uint32_t id, double when)
	__attribute__((warn_unused_result));
/* Unschedules id (no-op when it is not scheduled). */
void probe_sched_remove(struct probe_sched *s, uint32_t id);
/* The earliest entry: 0 and *id, *when, or -1 when empty. */
int probe_sched_peek(const struct probe_sched *s, uint32_t *id, double *when);
/* Removes and returns the earliest entry when it is due (when <= now):
 * 0, or -1 when nothing is due. */
int probe_sched_pop_due(struct probe_sched *s, double now, uint32_t *id, double *when);
size_t probe_sched_len(const struct probe_sched *s);

/* The next interval, in seconds, of a target probing every interval_ms
 * with ±spread_percent jitter (uniform), from the caller's generator state
 * *rng (any non-zero seed; xorshift64*). Jitter keeps targets configured
 * alike from sending in lockstep bursts. */
double probe_sched_interval(uint32_t interval_ms, uint32_t spread_percent, uint64_t *rng);

/* One step of the generator: a uniform double in [0, 1). */
double probe_sched_random(uint64_t *rng);

#endif
