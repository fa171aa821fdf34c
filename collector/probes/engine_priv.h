/* engine_priv.h — private to collector/probes: the structs the probe
 * engine's files share (the engine, its targets, their rings of
 * outstanding probes, the shared ICMP sockets, TCP connects in flight) and
 * the functions they call in one another. Only engine.c, sockio.c,
 * sockpool.c and transport_{icmp,tcp,stamp}.c include it; the public
 * interface is engine.h.
 *
 * Who owns what: the engine owns its targets (engine.c); a target owns its
 * ring, its statistics, its STAMP socket and its TCP connects; the ICMP
 * sockets are shared by reference count (sockpool.c). All of it runs on
 * the loop thread. */
#ifndef CW_PROBES_ENGINE_PRIV_H
#define CW_PROBES_ENGINE_PRIV_H

#include <linux/if.h> /* IFNAMSIZ; not <net/if.h>, which clashes with linux/icmp.h */
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <uv.h>

#include "engine.h"
#include "log.h"

#define CMSG_SPACE_MAX 256
#define ERRQ_BATCH 64        /* error-queue messages read per callback */

/* ---- types ---------------------------------------------------------------- */

struct tcp_conn;

struct ring_entry {
	uint32_t seq;
	bool used;
	double t1;                /* CLOCK_REALTIME send time */
	double deadline;          /* CLOCK_MONOTONIC */
	struct tcp_conn *conn;    /* TCP: the connect in flight */
};

/* A shared ICMP socket: (family, source, interface, DSCP). */
struct psock {
	struct psock *next;
	struct probe_engine *e;
	bool v6, has_src, raw;
	uint8_t src[16];
	char ifname[IFNAMSIZ];
	uint8_t dscp;
	int fd;
	uv_poll_t *poll;
	uint16_t id;              /* raw sockets: our echo identifier */
	size_t refs;
	double retry_at;          /* fd < 0: next attempt (monotonic) */
	enum probe_err open_err;
};

struct probe_target {
	struct probe_engine *e;
	uint32_t idx, uid;
	void *user;
	enum cfg_probe_type type;
	bool v6;
	struct sockaddr_storage dst;
	socklen_t dstlen;
	bool has_src;
	struct sockaddr_storage src;
	char ifname[IFNAMSIZ];
	uint32_t interval_ms, timeout_ms, size;
	uint8_t dscp;
	struct psock *ps;         /* ICMP */
	int fd;                   /* STAMP: the session's socket, -1 when none */
	uv_poll_t *poll;
	double retry_at;
	enum probe_err open_err;
	uint32_t seq;             /* next sequence number */
	struct ring_entry *ring;
	uint32_t nring;
	struct probe_stats *stats;
	uint64_t err[PROBE_ERR_COUNT];
	double last_reply;        /* monotonic; -inf before the first */
	double residence;         /* STAMP: the reflector's last t3 - t2; NaN before */
};

struct tcp_conn {
	struct probe_engine *e;
	uint32_t tidx, tuid, seq;
	int fd;
	uv_poll_t *poll;
};

struct probe_engine {
	uv_loop_t *loop;
	struct log *log;
	struct probe_engine_opts opts;
	uint64_t rng;
	struct probe_sched *sched;
	uv_timer_t *timer;
	struct probe_target **targets;
	size_t ntargets, cap;      /* table slots in use up to ntargets */
	size_t free_hint;          /* no free slot below this index */
	uint32_t next_uid;
	struct psock *socks;
	uint64_t unexpected[3][PROBE_UNX_COUNT];
	uint64_t late[PROBE_LATE_BUCKETS];
	uint64_t nlate;
	uint16_t err_est;          /* STAMP error estimate of our clock */
	double clock_checked;
	struct log_ratelimit rl_socket, rl_send;
};

/* ---- clocks ----------------------------------------------------------------- */

static inline double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double ts_sec(const struct timespec *ts)
{
	return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

/* ---- shared between the files, by the file that defines them ---------------- */

/* engine.c */
void probe_close_poll(uv_poll_t **poll, int *fd);
void probe_count_unexpected(struct probe_engine *e, enum cfg_probe_type t,
			    enum probe_unexpected why);
enum probe_err probe_errno_reason(int err);
void probe_log_target_error(struct probe_engine *e, struct log_ratelimit *rl,
			    const struct probe_target *t, const char *what, int err);
struct probe_target *probe_target_lookup(struct probe_engine *e, uint32_t idx, uint32_t uid);
struct ring_entry *probe_ring_find(struct probe_target *t, uint32_t seq);
void probe_reply(struct probe_target *t, uint32_t seq, double rtt, double t4);
void probe_failed(struct probe_target *t, uint32_t seq, enum probe_err why);
void probe_send_failed(struct probe_target *t, uint32_t seq, int err);

/* sockio.c */
double probe_rx_time(struct msghdr *msg);
int probe_errqueue_type(struct msghdr *msg, bool *local, int *err);
ssize_t probe_read_msg(int fd, uint8_t *buf, size_t cap, struct sockaddr_storage *from,
		       char *cbuf, struct msghdr *msg, int flags);
enum probe_err probe_icmp_error_reason(bool v6, uint8_t type);
void probe_sockaddr_of(bool v6, const uint8_t addr[16], uint16_t port,
		       struct sockaddr_storage *ss, socklen_t *len);
int probe_sock_setup(int fd, bool v6, const struct sockaddr_storage *src, bool has_src,
		     const char *ifname, uint8_t dscp, bool recverr, int *err);

/* sockpool.c */
int probe_psock_open(struct psock *ps);
struct psock *probe_psock_get(struct probe_engine *e, const struct probe_target *t);
void probe_psock_put(struct probe_engine *e, struct psock *ps);

/* transport_icmp.c */
void probe_on_icmp_readable(uv_poll_t *h, int status, int events);
void probe_icmp_send(struct probe_target *t, struct ring_entry *r);

/* transport_stamp.c */
uint16_t probe_clock_error_estimate(void);
int probe_stamp_open(struct probe_target *t);
void probe_stamp_send(struct probe_target *t, struct ring_entry *r);

/* transport_tcp.c */
void probe_ring_drop_conn(struct ring_entry *r);
void probe_tcp_send(struct probe_target *t, struct ring_entry *r);

#endif
