/* engine.h — the probe engine: ICMP echo, TCP connect and STAMP probes on
 * the daemon's libuv loop, one scheduler for every target.
 *
 * I/O edge. The pure parts live in sched.h (when to send), icmp.h and
 * stamp.h (what is on the wire) and stats.h (what the replies say).
 *
 * Sockets: ICMP targets share one socket per (family, source address,
 * interface, DSCP): the unprivileged datagram socket (SOCK_DGRAM,
 * IPPROTO_ICMP/ICMPV6, allowed by net.ipv4.ping_group_range) or a raw
 * socket (CAP_NET_RAW); replies find their target by the tag in the
 * payload (icmp.h). Each STAMP target is one session: its own connected
 * UDP socket, sequence numbers counting up (RFC 8762 §4.2). Each TCP
 * probe is one non-blocking connect.
 *
 * Times: scheduling and timeouts run on CLOCK_MONOTONIC; RTTs come from
 * CLOCK_REALTIME timestamps (the kernel's receive timestamp, SO_TIMESTAMPNS,
 * and clock_gettime right before sendmsg) because STAMP timestamps are
 * wall-clock ones.
 *
 * Ownership: the engine owns its targets; the caller's user pointer is
 * handed back and never freed. Handles are closed on the loop: after
 * probe_engine_free, run the loop once more to let the closes finish.
 */
#ifndef CW_PROBES_ENGINE_H
#define CW_PROBES_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "circuit_config.h"
#include "probes_config.h"
#include "stats.h"

struct uv_loop_s;
struct log;

#define PROBE_RING_MAX 1024u   /* outstanding probes remembered per target */
#define PROBE_RING_MIN 4u
#define PROBE_SEND_BATCH 4096u /* probes sent per timer callback at most */
#define PROBE_RECV_BATCH 256u  /* datagrams read per readiness callback */
/* A probe is declared lost this long after its deadline, so that a reply
 * that arrived in time (by its kernel timestamp) but still sits in a
 * socket buffer of a busy loop is not miscounted as late. */
#define PROBE_EXPIRE_GRACE_S 0.5
#define PROBE_SOCK_RCVBUF (4 << 20) /* receive buffer of a shared ICMP socket */
#define PROBE_SOCKET_RETRY_S 10.0 /* a socket that failed to open is retried this late */
#define PROBE_LATE_STEP 1e-5   /* lateness histogram: 10 µs buckets ... */
#define PROBE_LATE_BUCKETS 10000u /* ... up to 100 ms (the last one is "more") */

/* Why a probe failed (errors_total{reason}). */
enum probe_err {
	PROBE_ERR_SOCKET,        /* no socket (permission, out of descriptors) */
	PROBE_ERR_INTERFACE,     /* the interface to bind to does not exist */
	PROBE_ERR_SEND,          /* sendmsg failed for another reason */
	PROBE_ERR_UNREACHABLE,   /* ICMP destination unreachable, no route */
	PROBE_ERR_TIME_EXCEEDED, /* ICMP time exceeded (TTL) */
	PROBE_ERR_ICMP_OTHER,    /* other ICMP errors (packet too big, ...) */
	PROBE_ERR_REFUSED,       /* TCP RST: counted as a reply too, see docs/metrics.md */
	PROBE_ERR_CONNECT,       /* TCP connect failed for another reason */
	PROBE_ERR_COUNT
};

/* Datagrams that found no probe (unexpected_replies_total{reason}). */
enum probe_unexpected {
	PROBE_UNX_NOT_OURS,      /* no tag of ours, other id: someone else's ping */
	PROBE_UNX_WRONG_SOURCE,  /* from another address than the target's */
	PROBE_UNX_STALE,         /* target removed, or probe out of the ring */
	PROBE_UNX_TRUNCATED,     /* shorter than a reply */
	PROBE_UNX_MALFORMED,     /* does not decode */
	PROBE_UNX_COUNT
};

const char *probe_err_name(enum probe_err e);
const char *probe_unexpected_name(enum probe_unexpected u);

struct probe_engine_opts {
	enum cfg_icmp_socket icmp_socket;
	uint32_t loss_window;          /* stats.h */
	uint32_t spread_percent;       /* ±% of each interval */
	uint64_t seed;                 /* jitter generator; 0 picks one */
	/* Called with each first, in-time reply's RTT (seconds). */
	void (*on_rtt)(void *user, double rtt);
	/* Called with each send's lateness (actual minus scheduled send time,
	 * seconds, >= 0) with late_arg; NULL for none. */
	void (*on_late)(void *late_arg, double late);
	void *late_arg;
};

struct probe_engine;
struct probe_target;

/* NULL when out of memory. The loop and log are borrowed. */
struct probe_engine *probe_engine_new(struct uv_loop_s *loop, struct log *log,
				      const struct probe_engine_opts *opts);
/* Closes every socket and frees every target (takes NULL). */
void probe_engine_free(struct probe_engine *e);
/* Applies new spread/loss window/ICMP socket choice to targets added from
 * now on, and the spread to every target's next interval. */
void probe_engine_set_opts(struct probe_engine *e, const struct probe_engine_opts *opts);

/* Adds a target for probe p of a link whose interface is link_interface
 * (may be NULL), first probe at a random point of its first interval. The
 * config is copied. NULL when out of memory or at PROBE_SCHED_MAX_IDS. A
 * socket that cannot be opened is not a failure here: each probe then
 * counts an error, and the socket is retried. */
struct probe_target *probe_engine_add(struct probe_engine *e, const struct cfg_probe *p,
				      const char *link_interface, void *user)
	__attribute__((warn_unused_result));
/* Removes and frees t (takes NULL). */
void probe_engine_remove(struct probe_engine *e, struct probe_target *t);
/* Changes interval, timeout, size and DSCP of t in place (statistics
 * kept); 0, or -1 when out of memory (t unchanged). */
int probe_engine_update(struct probe_engine *e, struct probe_target *t,
			const struct cfg_probe *p) __attribute__((warn_unused_result));

/* Decides every probe past its timeout as lost and closes TCP connects
 * that timed out; call it about once a second. */
void probe_engine_expire(struct probe_engine *e);

struct probe_target_view {
	struct probe_stats_view st;
	uint64_t err[PROBE_ERR_COUNT];
	bool up;   /* a reply within the last 3 intervals + timeout */
	double residence; /* STAMP: seconds the reflector held the last reply
	                   * (its transmit - receive timestamps); NaN before */
};

void probe_target_get(const struct probe_target *t, struct probe_target_view *v);
void *probe_target_user(const struct probe_target *t);
void probe_target_set_user(struct probe_target *t, void *user);

/* Unexpected datagrams so far, by probe type and reason. */
uint64_t probe_engine_unexpected(const struct probe_engine *e, enum cfg_probe_type type,
				 enum probe_unexpected why);

/* Send lateness so far (actual send time minus scheduled time): quantile q
 * (0..1) in seconds at PROBE_LATE_STEP resolution, and the count. */
double probe_engine_lateness(const struct probe_engine *e, double q, uint64_t *count);
/* Forgets the lateness so far (a benchmark measures after a warm-up). */
void probe_engine_lateness_reset(struct probe_engine *e);

#endif
