/* stamp.c — the STAMP (RFC 8762) unauthenticated test packet codec and
 * NTP timestamp conversions (RFC 5905 §6).
 *
 * Pure: buffers and structs in and out. Decoding goes through the one
 * bounds-checked reader (wire/reader.h); encoding writes big-endian into
 * a caller buffer whose size is checked first.
 */
#include "stamp.h"

#include <math.h>
#include <string.h>

#include "reader.h"
#include "writer.h"

/* Seconds from the NTP prime epoch (1900-01-01) to the Unix epoch
 * (1970-01-01): RFC 868 / RFC 5905 Figure 4. */
#define PROBE_NTP_UNIX_OFFSET 2208988800LL
#define PROBE_NTP_ERA_SECS 4294967296.0 /* 2^32 seconds: one NTP era */
#define PROBE_NTP_FRAC_SCALE 4294967296.0 /* 2^32 fraction units per second */
#define PROBE_NSEC_PER_SEC 1000000000LL

/* Byte offsets of the fields (RFC 8762 §4.2.1 and §4.3.1, unauthenticated
 * mode; the SSID at offset 14 is RFC 8972 §3, MBZ in RFC 8762). */
#define STAMP_OFF_SEQ 0
#define STAMP_OFF_TS 4
#define STAMP_OFF_ERR 12
#define STAMP_OFF_SSID 14
#define STAMP_OFF_RX_TS 16      /* reflector only from here on */
#define STAMP_OFF_SND_SEQ 24
#define STAMP_OFF_SND_TS 28
#define STAMP_OFF_SND_ERR 36
#define STAMP_OFF_SND_TTL 40

static void put_ntp(uint8_t *p, struct probe_ntp t)
{
	wire_put_u32(p, t.sec);
	wire_put_u32(p + 4, t.frac);
}

static int get_ntp(struct wire_reader *r, struct probe_ntp *t)
{
	if (wire_get_u32(r, &t->sec) != 0 || wire_get_u32(r, &t->frac) != 0)
		return -1;
	return 0;
}

/* Checks len and cap and clears the packet, so that every MBZ field and
 * the padding are zero (RFC 8762 §4.2.1: "MBZ ... MUST be all zeroed";
 * the padding of §4.2.1 is not specified, zeros are the safe choice). */
static int stamp_prepare(uint8_t *buf, size_t cap, size_t len)
{
	if (buf == NULL || len < PROBE_STAMP_MIN_LEN || len > PROBE_STAMP_MAX_LEN || cap < len)
		return -1;
	memset(buf, 0, len);
	return 0;
}

int probe_stamp_encode_test(uint8_t *buf, size_t cap, size_t len, const struct probe_stamp_test *t)
{
	if (t == NULL || stamp_prepare(buf, cap, len) != 0)
		return -1;
	wire_put_u32(buf + STAMP_OFF_SEQ, t->seq);
	put_ntp(buf + STAMP_OFF_TS, t->ts);
	wire_put_u16(buf + STAMP_OFF_ERR, t->err_est);
	wire_put_u16(buf + STAMP_OFF_SSID, t->ssid);
	return (int)len;
}

int probe_stamp_decode_test(const uint8_t *buf, size_t len, struct probe_stamp_test *t)
{
	struct wire_reader r, hdr;

	if (buf == NULL || t == NULL)
		return -1;
	wire_init(&r, buf, len);
	/* Carve the fixed 44 bytes first; what follows is padding, which the
	 * reflector ignores (RFC 8762 §4.2.1). MBZ bytes are not checked:
	 * §4.2.1 asks the receiver to ignore them, and TWAMP-Light senders
	 * (RFC 5357 §4.1.2) put other data there. */
	if (wire_sub(&r, PROBE_STAMP_MIN_LEN, &hdr) != 0)
		return -1;
	if (wire_get_u32(&hdr, &t->seq) != 0 || get_ntp(&hdr, &t->ts) != 0 ||
	    wire_get_u16(&hdr, &t->err_est) != 0 || wire_get_u16(&hdr, &t->ssid) != 0)
		return -1;
	return 0;
}

int probe_stamp_encode_reply(uint8_t *buf, size_t cap, size_t len,
			     const struct probe_stamp_reply *r)
{
	if (r == NULL || stamp_prepare(buf, cap, len) != 0)
		return -1;
	wire_put_u32(buf + STAMP_OFF_SEQ, r->seq);
	put_ntp(buf + STAMP_OFF_TS, r->ts);
	wire_put_u16(buf + STAMP_OFF_ERR, r->err_est);
	wire_put_u16(buf + STAMP_OFF_SSID, r->ssid);
	put_ntp(buf + STAMP_OFF_RX_TS, r->rx_ts);
	wire_put_u32(buf + STAMP_OFF_SND_SEQ, r->sender_seq);
	put_ntp(buf + STAMP_OFF_SND_TS, r->sender_ts);
	wire_put_u16(buf + STAMP_OFF_SND_ERR, r->sender_err_est);
	buf[STAMP_OFF_SND_TTL] = r->sender_ttl;
	return (int)len;
}

int probe_stamp_decode_reply(const uint8_t *buf, size_t len, struct probe_stamp_reply *out)
{
	struct wire_reader r, hdr;
	struct probe_stamp_reply v;

	if (buf == NULL || out == NULL)
		return -1;
	wire_init(&r, buf, len);
	if (wire_sub(&r, PROBE_STAMP_MIN_LEN, &hdr) != 0)
		return -1;
	/* RFC 8762 §4.3.1 field order; the two MBZ gaps (2 bytes after the
	 * sender error estimate, 3 after the sender TTL) are skipped. */
	if (wire_get_u32(&hdr, &v.seq) != 0 || get_ntp(&hdr, &v.ts) != 0 ||
	    wire_get_u16(&hdr, &v.err_est) != 0 || wire_get_u16(&hdr, &v.ssid) != 0 ||
	    get_ntp(&hdr, &v.rx_ts) != 0 || wire_get_u32(&hdr, &v.sender_seq) != 0 ||
	    get_ntp(&hdr, &v.sender_ts) != 0 || wire_get_u16(&hdr, &v.sender_err_est) != 0 ||
	    wire_skip(&hdr, 2) != 0 || wire_get_u8(&hdr, &v.sender_ttl) != 0 ||
	    wire_skip(&hdr, 3) != 0)
		return -1;
	*out = v;
	return 0;
}

/* An NTP seconds field counts from the start of its era. RFC 4330 §3's
 * rule picks the era: a set top bit is era 0 (1968-2036), a clear top bit
 * era 1 (2036-02-07 06:28:16 UTC to 2104). A probe daemon never sees times
 * before 1968, so this is unambiguous for everything it measures, and
 * differences across the 2036 rollover stay right. */
static long long ntp_unix_secs(uint32_t sec)
{
	long long s = (long long)sec;

	if ((sec & 0x80000000u) == 0)
		s += (long long)PROBE_NTP_ERA_SECS;
	return s - PROBE_NTP_UNIX_OFFSET;
}

struct probe_ntp probe_ntp_from_timespec(const struct timespec *ts)
{
	struct probe_ntp t = {0, 0};
	long long sec, nsec;
	uint64_t frac;

	if (ts == NULL)
		return t;
	/* Normalise a nanosecond field outside 0..999999999 rather than
	 * trusting the caller's arithmetic. */
	sec = (long long)ts->tv_sec + (long long)(ts->tv_nsec / PROBE_NSEC_PER_SEC);
	nsec = (long long)(ts->tv_nsec % PROBE_NSEC_PER_SEC);
	if (nsec < 0) {
		nsec += PROBE_NSEC_PER_SEC;
		sec--;
	}
	/* Fraction rounded to nearest: nsec * 2^32 / 10^9, in 64-bit integers
	 * (999999999 << 32 < 2^62); the largest nsec gives 4294967292, so the
	 * rounding never carries into the seconds. */
	frac = (((uint64_t)nsec << 32) + (uint64_t)PROBE_NSEC_PER_SEC / 2) /
	       (uint64_t)PROBE_NSEC_PER_SEC;
	/* The seconds wrap modulo 2^32 into the era (RFC 5905 §6). */
	t.sec = (uint32_t)((uint64_t)(sec + PROBE_NTP_UNIX_OFFSET) & 0xffffffffu);
	t.frac = (uint32_t)frac;
	return t;
}

double probe_ntp_to_unix(struct probe_ntp t)
{
	return (double)ntp_unix_secs(t.sec) + (double)t.frac / PROBE_NTP_FRAC_SCALE;
}

struct probe_ntp probe_ntp_from_unix(double secs)
{
	struct probe_ntp t = {0, 0};
	double whole, frac;

	/* Outside what an NTP timestamp of either era can say (and NaN):
	 * the zero timestamp, which RFC 5905 §6 reserves for "unknown". */
	if (!(secs >= -(double)PROBE_NTP_UNIX_OFFSET && secs < 2.0 * PROBE_NTP_ERA_SECS - (double)PROBE_NTP_UNIX_OFFSET))
		return t;
	whole = floor(secs);
	frac = nearbyint((secs - whole) * PROBE_NTP_FRAC_SCALE);
	if (frac >= PROBE_NTP_FRAC_SCALE) { /* rounded up to a whole second */
		frac = 0.0;
		whole += 1.0;
	}
	t.sec = (uint32_t)((uint64_t)((long long)whole + PROBE_NTP_UNIX_OFFSET) & 0xffffffffu);
	t.frac = (uint32_t)frac;
	return t;
}

double probe_ntp_diff(struct probe_ntp a, struct probe_ntp b)
{
	long long ds = ntp_unix_secs(a.sec) - ntp_unix_secs(b.sec);
	long long df = (long long)a.frac - (long long)b.frac;

	return (double)ds + (double)df / PROBE_NTP_FRAC_SCALE;
}

uint16_t probe_stamp_err_est(bool synced, double err_secs)
{
	unsigned scale = 0, mult = 1;

	if (err_secs > 0.0) {
		/* err = mult * 2^(scale - 32): start from the finest scale
		 * and coarsen until the multiplier fits in 8 bits. */
		double units = ceil(ldexp(err_secs, 32));

		while (scale < 63 && units > 255.0) {
			scale++;
			units = ceil(ldexp(err_secs, 32 - (int)scale));
		}
		mult = units > 255.0 ? 255u : units < 1.0 ? 1u : (unsigned)units;
	}
	return (uint16_t)((synced ? PROBE_STAMP_ERR_S : 0u) | scale << 8 | mult);
}

double probe_stamp_err_secs(uint16_t err_est)
{
	unsigned scale = (unsigned)(err_est >> 8) & 0x3fu;

	return ldexp((double)(err_est & 0xffu), (int)scale - 32);
}
