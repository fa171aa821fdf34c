/* fuzz_tzif.c — libFuzzer target for the TZif decoder (billing/tz.c).
 *
 * Input: a TZif file. When it decodes, the zone's contract is checked over
 * a spread of instants: offsets stay within the RFC 8536 §3.2 range and
 * local->UTC->local round trips land within a day (gaps move readings by
 * at most the jump). A failure must name its reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t probes[] = {
		INT32_MIN, -2208988800, 0, 1000000000, 1774746000, 1792890000,
		2147483647, 4109878800, 32503680000,
	};
	struct bill_tz *tz = NULL;
	enum bill_tz_error err = BILL_TZ_OK;

	if (bill_tz_parse(data, size, &tz, &err) != 0) {
		if (tz || err == BILL_TZ_OK || strcmp(bill_tz_error_name(err), "unknown") == 0)
			abort();
		return 0;
	}
	for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
		int32_t off = bill_tz_offset(tz, probes[i]);
		int64_t back;

		if (off < -89999 || off > 93599)
			abort();
		back = bill_tz_to_utc(tz, probes[i] + off);
		if (back < probes[i] - 86400 * 2 || back > probes[i] + 86400 * 2)
			abort();
	}
	bill_tz_free(tz);
	return 0;
}
