/* avail.c — availability per cycle, sample and hold; see avail.h. */
#include "avail.h"

#include <math.h>
#include <string.h>

static int cycle_at(const struct avail_calendar *cal, double t, struct avail_figures *f)
{
	struct bill_cycle c;

	if (bill_cycle_at(cal->tz, cal->day, cal->minute, (int64_t)floor(t), &c) < 0)
		return -1;
	memset(f, 0, sizeof *f);
	f->valid = true;
	f->start = c.start;
	f->end = c.end;
	return 0;
}

int avail_track_init(struct avail_track *t, const struct avail_calendar *cal, double now,
		     double grace_s)
{
	memset(t, 0, sizeof *t);
	t->arm_by = now + grace_s;
	return cycle_at(cal, now, &t->cur);
}

/* Adds dt seconds of the held sample to the running cycle. */
static void count(struct avail_track *t, double dt)
{
	const struct avail_sample *s = &t->held;

	t->cur.observed += dt;
	if (s->any)
		t->cur.up[AVAIL_ANY] += dt;
	if (s->redundant)
		t->cur.up[AVAIL_REDUNDANT] += dt;
	for (int l = 0; l < CFG_LINK_COUNT; l++)
		if (s->link_up[l])
			t->cur.link_up[l] += dt;
}

/* The cycle ended at or before now: it becomes prev, the cycle holding now
 * starts empty. */
static int roll(struct avail_track *t, const struct avail_calendar *cal, double now)
{
	struct avail_figures next;

	if (cycle_at(cal, now, &next) < 0)
		return 0;
	t->prev = t->cur;
	t->cur = next;
	return 1;
}

int avail_track_step(struct avail_track *t, const struct avail_calendar *cal, double now,
		     const struct avail_sample *s)
{
	double a = t->last, dt = now - t->last;
	int closed = 0;

	if (t->last > 0 && t->armed && t->held.known && dt > 0 && dt <= AVAIL_MAX_GAP_S) {
		while (a < now) {
			double end = fmin(now, (double)t->cur.end);
			int r;

			count(t, end - a);
			a = end;
			if (a < (double)t->cur.end)
				continue;
			closed += (r = roll(t, cal, a));
			if (!r || (double)t->cur.end <= a)
				break; /* a calendar that does not advance: never spin */
		}
	}
	if (now >= (double)t->cur.end)
		closed += roll(t, cal, now);
	if (!t->armed && s->known && (s->any || now >= t->arm_by))
		t->armed = true;
	t->held = *s;
	t->last = now;
	return closed > 0;
}

void avail_track_restore(struct avail_track *t, const struct avail_figures *cur,
			 const struct avail_figures *prev, double now)
{
	if (!cur->valid)
		return;
	if (now >= (double)cur->end) {
		t->prev = *cur;
		return;
	}
	if (now < (double)cur->start)
		return; /* saved in the future (clock stepped back): start afresh */
	t->cur = *cur;
	if (prev && prev->valid)
		t->prev = *prev;
}

static double ratio(double up, double observed)
{
	return observed > 0 ? fmin(1.0, up / observed) : NAN;
}

void avail_status(const struct avail_figures *f, double target, double now,
		  struct avail_status *out)
{
	double elapsed = fmin(now, (double)f->end) - (double)f->start;

	memset(out, 0, sizeof *out);
	out->unobserved = fmax(0.0, elapsed - f->observed);
	for (int s = 0; s < AVAIL_SCOPE_COUNT; s++)
		out->ratio[s] = ratio(f->up[s], f->observed);
	for (int l = 0; l < CFG_LINK_COUNT; l++)
		out->link_ratio[l] = ratio(f->link_up[l], f->observed);
	out->budget = (1.0 - target) * (double)(f->end - f->start);
	out->remaining = out->budget - fmax(0.0, f->observed - f->up[AVAIL_ANY]);
}

void avail_sample_from(struct avail_sample *s, const bool present[CFG_LINK_COUNT],
		       const unsigned configured[CFG_LINK_COUNT], const unsigned up[CFG_LINK_COUNT])
{
	memset(s, 0, sizeof *s);
	s->known = true;
	s->redundant = true;
	for (int l = 0; l < CFG_LINK_COUNT; l++) {
		if (!present[l])
			continue;
		s->any = s->any || up[l] > 0;
		s->link_up[l] = configured[l] > 0 && up[l] >= configured[l];
		s->redundant = s->redundant && up[l] >= configured[l];
	}
}
