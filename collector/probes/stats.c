/* stats.c — per-target probe statistics (see stats.h).
 *
 * Two bounded structures per target:
 * - a ring of PROBE_STATS_RING slots indexed by sequence number (seq mod
 *   ring size), remembering outstanding and recently decided probes so a
 *   reply can be classified as first, duplicate, late or unknown;
 * - a bit ring of the last loss_window decisions (1 = lost) with a running
 *   count of the lost ones, so the loss ratio is O(1) per decision.
 * The ring size is a power of two, so 2^32 is a multiple of it and a
 * sequence number wrapping from 0xffffffff to 0 lands in the next slot.
 */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Slots in the sequence ring: probes outstanding at once plus the recent
 * decided ones whose late or duplicate replies are still recognised. At
 * one probe per second that is over four minutes; a probe still
 * outstanding when its slot is needed again is decided lost. 4 KiB per
 * target. Must be a power of two. */
#define PROBE_STATS_RING 256u

const double probe_rtt_buckets[PROBE_RTT_NBUCKETS] = {
	0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.01,
	0.02,   0.03,   0.05,   0.1,   0.2,   0.5,   1.0,   2.0,
};

/* RFC 3550 §6.4.1: the jitter estimate moves 1/16 of the way to each new
 * difference ("gives a good noise reduction ratio while maintaining a
 * reasonable rate of convergence"). */
#define PROBE_JITTER_GAIN 16.0

enum slot_state {
	SLOT_EMPTY,
	SLOT_OUTSTANDING,
	SLOT_REPLIED,
	SLOT_LOST,      /* timed out, errored or evicted; no reply yet */
	SLOT_LOST_LATE, /* lost, and a late reply has come since */
};

struct slot {
	double deadline;
	uint32_t seq;
	uint8_t state; /* enum slot_state */
};

struct probe_stats {
	struct probe_stats_view v;
	struct slot ring[PROBE_STATS_RING];
	size_t outstanding;    /* slots in SLOT_OUTSTANDING */
	double next_deadline;  /* <= every outstanding deadline (may be stale-low) */
	double prev_rtt;       /* for the jitter difference */
	uint32_t window;       /* loss window size (decisions) */
	uint32_t win_pos;      /* next bit to write */
	uint32_t win_fill;     /* decisions in the window, <= window */
	uint32_t win_lost;     /* lost ones among them */
	uint8_t *win_bits;     /* window bits, 1 = lost */
};

struct probe_stats *probe_stats_new(uint32_t loss_window)
{
	struct probe_stats *s;

	if (loss_window < 1 || loss_window > PROBE_LOSS_WINDOW_MAX)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->win_bits = calloc((loss_window + 7u) / 8u, 1);
	if (s->win_bits == NULL) {
		free(s);
		return NULL;
	}
	s->window = loss_window;
	s->v.last = s->v.min = s->v.max = NAN;
	s->v.jitter = NAN;
	s->v.forward = s->v.reverse = NAN;
	s->prev_rtt = NAN;
	s->next_deadline = INFINITY;
	return s;
}

void probe_stats_free(struct probe_stats *s)
{
	if (s == NULL)
		return;
	free(s->win_bits);
	free(s);
}

static struct slot *slot_of(struct probe_stats *s, uint32_t seq)
{
	return &s->ring[seq & (PROBE_STATS_RING - 1u)];
}

/* Records one decision in the loss window: the oldest falls out once the
 * window is full. */
static void window_push(struct probe_stats *s, bool lost)
{
	uint32_t byte = s->win_pos / 8u;
	uint8_t bit = (uint8_t)(1u << (s->win_pos % 8u));

	if (s->win_fill == s->window) {
		if (s->win_bits[byte] & bit)
			s->win_lost--;
	} else {
		s->win_fill++;
	}
	if (lost) {
		s->win_bits[byte] |= bit;
		s->win_lost++;
	} else {
		s->win_bits[byte] &= (uint8_t)~bit;
	}
	s->win_pos = s->win_pos + 1u == s->window ? 0u : s->win_pos + 1u;
}

static void decide_lost(struct probe_stats *s, struct slot *sl)
{
	sl->state = SLOT_LOST;
	s->outstanding--;
	s->v.lost++;
	window_push(s, true);
}

void probe_stats_sent(struct probe_stats *s, uint32_t seq, double now, double deadline)
{
	struct slot *sl;

	(void)now;
	if (s == NULL)
		return;
	sl = slot_of(s, seq);
	/* The slot's previous probe (PROBE_STATS_RING sequence numbers ago,
	 * or this very number sent again) has waited long enough. */
	if (sl->state == SLOT_OUTSTANDING)
		decide_lost(s, sl);
	/* A NaN deadline would never expire: treat it as already due. */
	if (isnan(deadline))
		deadline = -INFINITY;
	sl->seq = seq;
	sl->deadline = deadline;
	sl->state = SLOT_OUTSTANDING;
	s->outstanding++;
	s->v.sent++;
	if (deadline < s->next_deadline)
		s->next_deadline = deadline;
}

static void histogram_add(struct probe_stats *s, double rtt)
{
	size_t i = 0;

	/* Prometheus "le": a value equal to a bound belongs to that bucket. */
	while (i < PROBE_RTT_NBUCKETS && rtt > probe_rtt_buckets[i])
		i++;
	s->v.buckets[i]++;
	s->v.sum += rtt;
}

static void record_rtt(struct probe_stats *s, double rtt)
{
	s->v.received++;
	s->v.last = rtt;
	if (isnan(s->v.min) || rtt < s->v.min)
		s->v.min = rtt;
	if (isnan(s->v.max) || rtt > s->v.max)
		s->v.max = rtt;
	histogram_add(s, rtt);
	/* RFC 3550 §6.4.1 over successive round trips: D is the change in
	 * RTT between consecutive replies, J += (|D| - J) / 16, J from 0. */
	if (!isnan(s->prev_rtt)) {
		double d = fabs(rtt - s->prev_rtt);
		double j = isnan(s->v.jitter) ? 0.0 : s->v.jitter;

		s->v.jitter = j + (d - j) / PROBE_JITTER_GAIN;
	}
	s->prev_rtt = rtt;
}

enum probe_reply_result probe_stats_reply(struct probe_stats *s, uint32_t seq, double rtt,
					  double now)
{
	struct slot *sl;

	if (s == NULL)
		return PROBE_REPLY_UNKNOWN;
	sl = slot_of(s, seq);
	if (sl->state == SLOT_EMPTY || sl->seq != seq) {
		s->v.unknown++;
		return PROBE_REPLY_UNKNOWN;
	}
	switch ((enum slot_state)sl->state) {
	case SLOT_OUTSTANDING:
		/* The deadline passed but expire has not run yet: the probe
		 * is lost all the same (stats.h), this reply late. */
		if (now >= sl->deadline) {
			decide_lost(s, sl);
			sl->state = SLOT_LOST_LATE;
			s->v.late++;
			return PROBE_REPLY_LATE;
		}
		break;
	case SLOT_LOST:
		sl->state = SLOT_LOST_LATE;
		s->v.late++;
		return PROBE_REPLY_LATE;
	case SLOT_REPLIED:
	case SLOT_LOST_LATE:
		s->v.duplicates++;
		return PROBE_REPLY_DUPLICATE;
	case SLOT_EMPTY:
		break;
	}
	/* A clock step backwards on the caller's side can make an RTT
	 * negative (or a broken one NaN): the reply did arrive, so it
	 * counts, at zero, rather than poisoning min/sum/jitter. */
	if (!isfinite(rtt) || rtt < 0.0)
		rtt = 0.0;
	sl->state = SLOT_REPLIED;
	s->outstanding--;
	window_push(s, false);
	record_rtt(s, rtt);
	return PROBE_REPLY_OK;
}

void probe_stats_oneway(struct probe_stats *s, double forward, double reverse, bool valid)
{
	if (s == NULL)
		return;
	s->v.forward = forward;
	s->v.reverse = reverse;
	s->v.oneway_valid = valid && !isnan(forward) && !isnan(reverse);
}

void probe_stats_error(struct probe_stats *s, uint32_t seq, double now)
{
	struct slot *sl;

	(void)now;
	if (s == NULL)
		return;
	s->v.errors++;
	sl = slot_of(s, seq);
	if (sl->state == SLOT_OUTSTANDING && sl->seq == seq)
		decide_lost(s, sl);
}

size_t probe_stats_expire(struct probe_stats *s, double now)
{
	double next = INFINITY;
	size_t n = 0;

	/* next_deadline is a lower bound of the outstanding deadlines, so
	 * most calls return here without touching the ring. */
	if (s == NULL || s->outstanding == 0 || now < s->next_deadline)
		return 0;
	for (size_t i = 0; i < PROBE_STATS_RING; i++) {
		struct slot *sl = &s->ring[i];

		if (sl->state != SLOT_OUTSTANDING)
			continue;
		if (sl->deadline <= now) {
			decide_lost(s, sl);
			n++;
		} else if (sl->deadline < next) {
			next = sl->deadline;
		}
	}
	s->next_deadline = next;
	return n;
}

struct probe_stats_view probe_stats_get(const struct probe_stats *s)
{
	struct probe_stats_view v;

	if (s == NULL) {
		memset(&v, 0, sizeof(v));
		v.last = v.min = v.max = v.jitter = v.forward = v.reverse = NAN;
		return v;
	}
	v = s->v;
	v.loss_ratio = s->win_fill == 0 ? 0.0 : (double)s->win_lost / (double)s->win_fill;
	return v;
}
