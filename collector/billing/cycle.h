/* cycle.h — monthly billing cycles: from day D at HH:MM local time in a
 * zone to the same day and time of the next month.
 *
 * D is 1..28 so that every month has it (the config refuses 29..31 rather
 * than clamping: a clamped cycle would start on different days from month
 * to month). A start time that falls in a DST gap moves forward with the
 * clock (see bill_tz_to_utc); one that happens twice starts at the first.
 * Pure: time is passed in. */
#ifndef CW_BILLING_CYCLE_H
#define CW_BILLING_CYCLE_H

#include <stdint.h>

#include "tz.h"

struct bill_cycle {
	int64_t start, end; /* POSIX seconds: start <= t < end */
};

/* The cycle holding instant t. Returns 0, or -1 for day outside 1..28 or
 * minute outside 0..1439. */
int bill_cycle_at(const struct bill_tz *tz, unsigned day, unsigned minute, int64_t t,
		  struct bill_cycle *out) __attribute__((warn_unused_result));

#endif
