/* stats.h — what one probe target's replies say: RTT histogram,
 * last/min/max, jitter, loss over a sliding window, totals, and the two
 * one-way delays of STAMP.
 *
 * Pure: sequence numbers and times in (seconds, from the caller's clock),
 * no sockets. A probe is sent with a sequence number; its reply, its
 * timeout or nothing at all follows. A probe counts as lost when its
 * timeout passes without a reply; a reply after that is "late" (counted,
 * not un-lost), a second reply to the same probe is a duplicate.
 *
 * Ownership: the caller owns the struct (probe_stats_new/free).
 */
#ifndef CW_PROBES_STATS_H
#define CW_PROBES_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RTT histogram upper bounds in seconds: 0.1 ms … 2 s, roughly 1-2-5, the
 * last bucket +Inf (Prometheus histogram, cumulative when rendered). */
#define PROBE_RTT_NBUCKETS 16
extern const double probe_rtt_buckets[PROBE_RTT_NBUCKETS]; /* finite bounds, ascending */

#define PROBE_LOSS_WINDOW_MAX 100000u /* probes in the loss window */

enum probe_reply_result {
	PROBE_REPLY_OK,        /* first reply to an outstanding probe */
	PROBE_REPLY_DUPLICATE, /* a second reply to the same probe */
	PROBE_REPLY_LATE,      /* after its timeout: the probe stays lost */
	PROBE_REPLY_UNKNOWN,   /* never sent, or fell out of the window */
};

struct probe_stats_view {
	uint64_t sent;             /* probes sent */
	uint64_t received;         /* first replies in time */
	uint64_t lost;             /* timed out */
	uint64_t late, duplicates, unknown;
	uint64_t errors;           /* send failures and ICMP errors (probe_stats_error) */
	double loss_ratio;         /* lost / decided over the window of the last
	                            * loss_window decided probes; 0 when none */
	double last, min, max;     /* RTT seconds; NaN until the first reply */
	double jitter;             /* RFC 3550 §6.4.1 style: J += (|D| - J) / 16 over
	                            * successive RTTs; NaN until two replies */
	double sum;                /* of RTTs, for the histogram */
	uint64_t buckets[PROBE_RTT_NBUCKETS + 1]; /* non-cumulative; [NBUCKETS] = +Inf */
	double forward, reverse;   /* last one-way delays (STAMP), NaN when unknown */
	bool oneway_valid;         /* the last forward/reverse were computed from
	                            * clocks that were both synchronised */
};

struct probe_stats;

/* loss_window: decided probes (replied or lost) in the loss ratio, 1..
 * PROBE_LOSS_WINDOW_MAX. NULL when out of memory or out of range. */
struct probe_stats *probe_stats_new(uint32_t loss_window);
void probe_stats_free(struct probe_stats *s); /* takes NULL */

/* A probe with sequence seq was sent at now and times out at deadline. */
void probe_stats_sent(struct probe_stats *s, uint32_t seq, double now, double deadline);
/* A reply to seq with round-trip time rtt (seconds, >= 0) arrived at now. */
enum probe_reply_result probe_stats_reply(struct probe_stats *s, uint32_t seq, double rtt,
					  double now);
/* STAMP one-way components of the reply just recorded: forward = reflector
 * receive - sender transmit, reverse = sender receive - reflector transmit
 * (seconds); valid says both clocks claimed synchronisation (S bits). */
void probe_stats_oneway(struct probe_stats *s, double forward, double reverse, bool valid);
/* A send failure or an ICMP error for seq (the probe is decided as lost
 * now when it was outstanding). */
void probe_stats_error(struct probe_stats *s, uint32_t seq, double now);
/* Decides every outstanding probe whose deadline is <= now as lost.
 * Returns how many. */
size_t probe_stats_expire(struct probe_stats *s, double now);

/* The figures so far (a copy). */
struct probe_stats_view probe_stats_get(const struct probe_stats *s);

#endif
