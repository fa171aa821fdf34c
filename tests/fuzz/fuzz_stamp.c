/* fuzz_stamp.c — libFuzzer target for the STAMP codec and the reflector's
 * reply builder.
 *
 * The input is taken as a test packet and as a reply. Whatever decodes
 * must encode back to the same fixed fields (the codec is a bijection on
 * the 44 bytes but for MBZ), a reply built by the reflector must be as
 * long as the input and carry its sequence number, and NTP conversions of
 * the decoded timestamps must stay finite.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reflector.h"
#include "stamp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_test(const uint8_t *data, size_t size)
{
	struct probe_stamp_test t, t2;
	uint8_t buf[PROBE_STAMP_MAX_LEN];
	size_t len = size > PROBE_STAMP_MAX_LEN ? PROBE_STAMP_MAX_LEN : size;

	if (probe_stamp_decode_test(data, size, &t) != 0) {
		if (size >= PROBE_STAMP_MIN_LEN)
			abort();
		return;
	}
	if (size < PROBE_STAMP_MIN_LEN)
		abort();
	if (probe_stamp_encode_test(buf, sizeof(buf), len, &t) != (int)len)
		abort();
	if (memcmp(buf, data, 16) != 0) /* seq, timestamp, error estimate, SSID */
		abort();
	if (probe_stamp_decode_test(buf, len, &t2) != 0 || memcmp(&t, &t2, sizeof(t)) != 0)
		abort();
	if (!isfinite(probe_ntp_to_unix(t.ts)) || !isfinite(probe_stamp_err_secs(t.err_est)))
		abort();
}

static void check_reply(const uint8_t *data, size_t size)
{
	struct probe_stamp_reply r, r2;
	uint8_t buf[PROBE_STAMP_MAX_LEN];
	size_t len = size > PROBE_STAMP_MAX_LEN ? PROBE_STAMP_MAX_LEN : size;

	if (probe_stamp_decode_reply(data, size, &r) != 0)
		return;
	if (probe_stamp_encode_reply(buf, sizeof(buf), len, &r) != (int)len)
		abort();
	if (probe_stamp_decode_reply(buf, len, &r2) != 0 || r.seq != r2.seq ||
	    r.sender_ttl != r2.sender_ttl || r.rx_ts.frac != r2.rx_ts.frac ||
	    r.sender_ts.sec != r2.sender_ts.sec || r.sender_err_est != r2.sender_err_est)
		abort();
	(void)probe_ntp_diff(r.ts, r.rx_ts);
}

static void check_answer(const uint8_t *data, size_t size)
{
	uint8_t out[PROBE_STAMP_MAX_LEN];
	struct probe_ntp rx = {1, 2}, tx = {3, 4};
	struct probe_stamp_reply r;
	int n = probe_reflector_answer(data, size, out, sizeof(out), rx, tx, 0x8001, 64);

	if (n < 0) {
		if (size >= PROBE_STAMP_MIN_LEN && size <= PROBE_STAMP_MAX_LEN)
			abort();
		return;
	}
	if ((size_t)n != size || probe_stamp_decode_reply(out, (size_t)n, &r) != 0 ||
	    memcmp(out, data, 4) != 0 || memcmp(out + 24, data, 4) != 0 || r.sender_ttl != 64)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_test(data, size);
	check_reply(data, size);
	check_answer(data, size);
	return 0;
}
