/* cycle.c — monthly billing cycles in a time zone; see cycle.h. */
#include "cycle.h"

#define DAY 86400

/* The instant a cycle starts in month m (1..12, carried into the year). */
static int64_t boundary(const struct bill_tz *tz, int64_t y, int m, unsigned day,
			unsigned minute)
{
	while (m < 1) {
		m += 12;
		y--;
	}
	while (m > 12) {
		m -= 12;
		y++;
	}
	return bill_tz_to_utc(tz, bill_days_from_civil(y, (unsigned)m, day) * DAY +
					  (int64_t)minute * 60);
}

int bill_cycle_at(const struct bill_tz *tz, unsigned day, unsigned minute, int64_t t,
		  struct bill_cycle *out)
{
	int64_t local, days, y;
	unsigned m, d;
	int64_t here;

	if (day < 1 || day > 28 || minute > 1439)
		return -1;
	local = t + bill_tz_offset(tz, t);
	days = local / DAY - (local % DAY < 0);
	bill_civil_from_days(days, &y, &m, &d);
	here = boundary(tz, y, (int)m, day, minute);
	if (t >= here) {
		out->start = here;
		out->end = boundary(tz, y, (int)m + 1, day, minute);
	} else {
		out->start = boundary(tz, y, (int)m - 1, day, minute);
		out->end = here;
	}
	return 0;
}
