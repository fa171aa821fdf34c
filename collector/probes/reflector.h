/* reflector.h — a STAMP Session-Reflector (RFC 8762 §4.3, stateless mode)
 * on UDP, for `circuitwatch reflect` on the far side of a circuit.
 *
 * Each test packet of at least PROBE_STAMP_MIN_LEN bytes is answered with
 * a reply of the same length (RFC 8762 §4.3: symmetric size) carrying the
 * sender's sequence number, timestamp, error estimate and SSID, the
 * receive timestamp (from the kernel, SO_TIMESTAMPNS, where available)
 * and the TTL / hop limit the test packet arrived with. Malformed packets
 * are counted and ignored. Replies may be held a fixed time (with jitter)
 * to emulate a longer path, in a bounded queue, and sent in order.
 *
 * The pure parts (address parsing, building a reply) are exposed for the
 * unit tests; the rest is the libuv edge.
 */
#ifndef CW_PROBES_REFLECTOR_H
#define CW_PROBES_REFLECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include "log.h"
#include "stamp.h"

/* Replies held at once when a delay is set; more are dropped (counted).
 * 4096 x ~1.8 KB (7 MB, allocated only with a delay): at --delay 1000 that
 * is 4096 test packets per second. */
#define PROBE_REFLECT_QUEUE_MAX 4096u
/* Largest --delay and --delay-jitter, in milliseconds. */
#define PROBE_REFLECT_DELAY_MAX_MS 60000.0

struct probe_reflector_opts {
	struct sockaddr_storage addr; /* where to listen (IPv4 or IPv6) */
	double delay;                 /* seconds each reply is held, >= 0 */
	double delay_jitter;          /* seconds; hold is delay +/- uniform jitter */
};

struct probe_reflector_counts {
	uint64_t received;    /* datagrams read */
	uint64_t replied;     /* replies sent */
	uint64_t malformed;   /* shorter than PROBE_STAMP_MIN_LEN or longer than MAX_LEN */
	uint64_t dropped;     /* held-reply queue full */
	uint64_t send_errors; /* sendmsg failed (reply lost) */
	uint64_t kernel_ts;   /* receive timestamps that came from the kernel */
};

/* Parses "ADDR[:PORT]": 192.0.2.1, 192.0.2.1:862, [2001:db8::1]:862,
 * [2001:db8::1] or a bare IPv6 address (no port then); the port defaults
 * to default_port. 0, or -1 when malformed. */
int probe_reflector_parse_addr(const char *s, uint16_t default_port,
			       struct sockaddr_storage *out) __attribute__((warn_unused_result));

/* Builds the reply to the test packet in[0..len) into out (cap bytes):
 * RFC 8762 §4.3.1 stateless: the sequence number and SSID copied from the
 * test packet, rx/tx our timestamps, err_est ours, ttl as received.
 * Returns the reply length (== len), or -1 when the test packet is
 * malformed or longer than PROBE_STAMP_MAX_LEN or cap. */
int probe_reflector_answer(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
			   struct probe_ntp rx, struct probe_ntp tx, uint16_t err_est,
			   uint8_t ttl) __attribute__((warn_unused_result));

struct probe_reflector;

/* Opens, configures and binds the socket and starts answering on loop.
 * NULL (and a logged reason) when the address cannot be bound. Owned by
 * the caller; free after the loop stopped using it (probe_reflector_close
 * then run the loop until the handles are closed). */
struct probe_reflector *probe_reflector_new(uv_loop_t *loop, const struct probe_reflector_opts *o,
					    struct log *lg);
/* Stops answering and closes the handles (held replies are discarded). */
void probe_reflector_close(struct probe_reflector *r);
void probe_reflector_free(struct probe_reflector *r); /* takes NULL; after close */
struct probe_reflector_counts probe_reflector_get(const struct probe_reflector *r);

/* `circuitwatch reflect`: parses the option strings (delay and jitter in
 * milliseconds, NULL when not given), runs until SIGINT/SIGTERM, prints
 * the counters to stdout. Returns the exit code: 0, 1 when the socket
 * could not be set up, 2 on bad arguments. */
int probe_reflect_main(const char *listen, const char *delay_ms, const char *jitter_ms,
		       struct log *lg);

#endif
