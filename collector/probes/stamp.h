/* stamp.h — STAMP (RFC 8762) test packets, unauthenticated mode, which
 * TWAMP-Light (RFC 5357 Appendix I) reflectors also answer: the codec of
 * the two packet formats and of NTP timestamps.
 *
 * Pure: buffers in, structs out; no sockets, no clock.
 *
 * Session-Sender test packet (RFC 8762 §4.2.1), 44 bytes and padding:
 *   seq(4) timestamp(8) error estimate(2) SSID(2, RFC 8972; MBZ in 8762) MBZ(28)
 * Session-Reflector test packet (RFC 8762 §4.3.1), 44 bytes and padding:
 *   seq(4) timestamp(8) error estimate(2) SSID(2) receive timestamp(8)
 *   sender seq(4) sender timestamp(8) sender error estimate(2) MBZ(2)
 *   sender TTL(1) MBZ(3)
 */
#ifndef CW_PROBES_STAMP_H
#define CW_PROBES_STAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define PROBE_STAMP_PORT 862       /* RFC 8762 §4.1: the default reflector port */
#define PROBE_STAMP_MIN_LEN 44     /* unauthenticated packet, either direction */
#define PROBE_STAMP_MAX_LEN 1472   /* one Ethernet MTU of UDP/IPv4 payload */

/* 64-bit NTP timestamp (RFC 5905 §6): seconds since 1900 and a binary
 * fraction. */
struct probe_ntp {
	uint32_t sec;
	uint32_t frac;
};

/* Error Estimate (RFC 4656 §4.1.2): S bit (synchronised to UTC), Z bit
 * (0: NTP format), scale (6 bits), multiplier (8 bits). */
#define PROBE_STAMP_ERR_S 0x8000u
#define PROBE_STAMP_ERR_Z 0x4000u

/* Builds an Error Estimate (Z = 0): the smallest scale whose multiplier
 * (1..255, RFC 4656 §4.1.2: never zero) covers err_secs, rounded up; a
 * non-positive or NaN error gives the smallest estimate, 2^-32 s. */
uint16_t probe_stamp_err_est(bool synced, double err_secs);
/* The error an Error Estimate states, in seconds: mult * 2^(scale - 32). */
double probe_stamp_err_secs(uint16_t err_est);

struct probe_stamp_test {    /* Session-Sender → Session-Reflector */
	uint32_t seq;
	struct probe_ntp ts;     /* when the sender sent it */
	uint16_t err_est;
	uint16_t ssid;
};

struct probe_stamp_reply {   /* Session-Reflector → Session-Sender */
	uint32_t seq;            /* the reflector's own sequence number */
	struct probe_ntp ts;     /* when the reflector sent the reply */
	uint16_t err_est;
	uint16_t ssid;
	struct probe_ntp rx_ts;  /* when the reflector received the test packet */
	uint32_t sender_seq;     /* copied from the test packet */
	struct probe_ntp sender_ts;
	uint16_t sender_err_est;
	uint8_t sender_ttl;      /* TTL / hop limit the test packet arrived with */
};

/* Writes a test packet of len bytes (PROBE_STAMP_MIN_LEN..MAX_LEN; padding
 * zero) into buf of cap bytes. Returns len, or -1 when len is out of range
 * or cap is too small. */
int probe_stamp_encode_test(uint8_t *buf, size_t cap, size_t len,
			    const struct probe_stamp_test *t) __attribute__((warn_unused_result));
/* Decodes a test packet; accepts any length >= PROBE_STAMP_MIN_LEN (padding
 * ignored). 0, or -1 when too short. */
int probe_stamp_decode_test(const uint8_t *buf, size_t len, struct probe_stamp_test *t)
	__attribute__((warn_unused_result));
/* As for test packets. A reply is as long as the test packet it answers
 * (RFC 8762 §4.3: symmetric size), at least PROBE_STAMP_MIN_LEN. */
int probe_stamp_encode_reply(uint8_t *buf, size_t cap, size_t len,
			     const struct probe_stamp_reply *r) __attribute__((warn_unused_result));
int probe_stamp_decode_reply(const uint8_t *buf, size_t len, struct probe_stamp_reply *r)
	__attribute__((warn_unused_result));

/* Conversions between a CLOCK_REALTIME timespec, seconds since the Unix
 * epoch and NTP timestamps (RFC 5905 §6). The seconds wrap modulo 2^32;
 * reading back, RFC 4330 §3's rule places a timestamp with the top bit
 * set in era 0 (1968..2036) and one with it clear in era 1 (2036..2104).
 * Times outside 1900..2104 (eras 0 and 1) and NaN encode as the zero timestamp. */
struct probe_ntp probe_ntp_from_timespec(const struct timespec *ts);
double probe_ntp_to_unix(struct probe_ntp t);
struct probe_ntp probe_ntp_from_unix(double secs);
/* a - b in seconds, exact to the fraction unit (a double of a whole Unix
 * time keeps only about 0.5 us; the difference of two nearby timestamps
 * keeps their full resolution). Eras as probe_ntp_to_unix. */
double probe_ntp_diff(struct probe_ntp a, struct probe_ntp b);

#endif
