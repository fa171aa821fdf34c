/* engine.c — the libuv edge of the probes (see engine.h): sockets, the
 * send timer, readiness callbacks, kernel timestamps and error queues. */
#include "engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <math.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "icmp.h"
#include "log.h"
#include "sched.h"
#include "stamp.h"

#define CMSG_SPACE_MAX 256
#define ERRQ_BATCH 64        /* error-queue messages read per callback */
#define UP_INTERVALS 3       /* up: a reply within 3 intervals + timeout */
#define CLOCK_CHECK_S 60.0   /* how often the STAMP error estimate is refreshed */

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

static const char *const err_names[PROBE_ERR_COUNT] = {
	[PROBE_ERR_SOCKET] = "socket",
	[PROBE_ERR_INTERFACE] = "no_interface",
	[PROBE_ERR_SEND] = "send",
	[PROBE_ERR_UNREACHABLE] = "unreachable",
	[PROBE_ERR_TIME_EXCEEDED] = "time_exceeded",
	[PROBE_ERR_ICMP_OTHER] = "icmp_other",
	[PROBE_ERR_REFUSED] = "refused",
	[PROBE_ERR_CONNECT] = "connect",
};

static const char *const unx_names[PROBE_UNX_COUNT] = {
	[PROBE_UNX_NOT_OURS] = "not_ours",
	[PROBE_UNX_WRONG_SOURCE] = "wrong_source",
	[PROBE_UNX_STALE] = "stale",
	[PROBE_UNX_TRUNCATED] = "truncated",
	[PROBE_UNX_MALFORMED] = "malformed",
};

const char *probe_err_name(enum probe_err e)
{
	return (unsigned)e < PROBE_ERR_COUNT ? err_names[e] : "?";
}

const char *probe_unexpected_name(enum probe_unexpected u)
{
	return (unsigned)u < PROBE_UNX_COUNT ? unx_names[u] : "?";
}

/* ---- small helpers ---------------------------------------------------------- */

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double ts_sec(const struct timespec *ts)
{
	return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

static void free_handle(uv_handle_t *h)
{
	free(h);
}

/* Stops polling fd, closes it and frees the handle on the loop. */
static void close_poll(uv_poll_t **poll, int *fd)
{
	if (*poll != NULL) {
		(*poll)->data = NULL;
		uv_close((uv_handle_t *)*poll, free_handle);
		*poll = NULL;
	}
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int type_index(enum cfg_probe_type t)
{
	return t == CFG_PROBE_ICMP ? 0 : t == CFG_PROBE_TCP ? 1 : 2;
}

static void count_unexpected(struct probe_engine *e, enum cfg_probe_type t,
			     enum probe_unexpected why)
{
	e->unexpected[type_index(t)][why]++;
}

static enum probe_err errno_reason(int err)
{
	switch (err) {
	case ENODEV:
	case ENXIO:
		return PROBE_ERR_INTERFACE;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case EINVAL:   /* a blackhole route refuses the send with EINVAL */
		return PROBE_ERR_UNREACHABLE;
	default:
		return PROBE_ERR_SEND;
	}
}

static void log_target_error(struct probe_engine *e, struct log_ratelimit *rl,
			     const struct probe_target *t, const char *what, int err)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	const void *a = t->v6 ? (const void *)&((const struct sockaddr_in6 *)&t->dst)->sin6_addr
			      : (const void *)&((const struct sockaddr_in *)&t->dst)->sin_addr;

	inet_ntop(t->v6 ? AF_INET6 : AF_INET, a, addr, sizeof(addr));
	log_kv_limited(e->log, rl, LOG_LVL_WARN, what, "type", cfg_probe_type_name(t->type),
		       "target", addr, "interface", t->ifname[0] ? t->ifname : "",
		       "error", strerror(err), (const char *)0);
}

/* ---- lateness --------------------------------------------------------------- */

static void note_lateness(struct probe_engine *e, double late)
{
	double b = late / PROBE_LATE_STEP;
	size_t i = b <= 0 ? 0 : b >= PROBE_LATE_BUCKETS - 1 ? PROBE_LATE_BUCKETS - 1 : (size_t)b;

	e->late[i]++;
	e->nlate++;
}

double probe_engine_lateness(const struct probe_engine *e, double q, uint64_t *count)
{
	uint64_t want = (uint64_t)ceil(q * (double)e->nlate), seen = 0;

	*count = e->nlate;
	if (e->nlate == 0)
		return NAN;
	if (want == 0)
		want = 1;
	for (size_t i = 0; i < PROBE_LATE_BUCKETS; i++) {
		seen += e->late[i];
		if (seen >= want)
			return (double)(i + 1) * PROBE_LATE_STEP;
	}
	return PROBE_LATE_BUCKETS * PROBE_LATE_STEP;
}

void probe_engine_lateness_reset(struct probe_engine *e)
{
	memset(e->late, 0, sizeof(e->late));
	e->nlate = 0;
}

/* ---- targets table and ring ------------------------------------------------- */

static struct probe_target *target_lookup(struct probe_engine *e, uint32_t idx, uint32_t uid)
{
	if (idx >= e->ntargets || e->targets[idx] == NULL || e->targets[idx]->uid != uid)
		return NULL;
	return e->targets[idx];
}

static struct ring_entry *ring_find(struct probe_target *t, uint32_t seq)
{
	struct ring_entry *r = &t->ring[seq % t->nring];

	return r->used && r->seq == seq ? r : NULL;
}

/* Entries for every probe that can be outstanding: the timeout and the
 * expiry grace over the shortest interval the spread allows, plus slack. */
static uint32_t ring_size(uint32_t interval_ms, uint32_t timeout_ms, uint32_t spread)
{
	double shortest = interval_ms * (1.0 - (spread > 90 ? 90 : spread) / 100.0);
	double n = ceil((timeout_ms + PROBE_EXPIRE_GRACE_S * 1000) / (shortest > 1 ? shortest : 1)) +
		   PROBE_RING_MIN;

	return n > PROBE_RING_MAX ? PROBE_RING_MAX : (uint32_t)n;
}

/* ---- receiving: timestamps and replies -------------------------------------- */

/* The kernel's receive time (SO_TIMESTAMPNS), else the time now. */
static double rx_time(struct msghdr *msg)
{
	struct timespec ts;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(ts))) {
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return ts_sec(&ts);
		}
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts_sec(&ts);
}

/* A first, duplicate, late or unknown reply to probe seq of t, received
 * at t4 (CLOCK_REALTIME). In time or late is decided by when it arrived,
 * not by when a busy loop got to read it: t4 mapped onto the monotonic
 * clock of the deadlines. */
static void reply(struct probe_target *t, uint32_t seq, double rtt, double t4)
{
	struct timespec real;
	double now = mono_now(), arrived;
	enum probe_reply_result r;

	clock_gettime(CLOCK_REALTIME, &real);
	arrived = now - (ts_sec(&real) - t4);
	if (!(arrived <= now))
		arrived = now;
	if (rtt < 0)
		rtt = 0; /* the wall clock stepped back between send and receive */
	r = probe_stats_reply(t->stats, seq, rtt, arrived);
	if (r == PROBE_REPLY_OK) {
		t->last_reply = now;
		if (t->e->opts.on_rtt != NULL)
			t->e->opts.on_rtt(t->user, rtt);
	}
}

static void probe_failed(struct probe_target *t, uint32_t seq, enum probe_err why)
{
	t->err[why]++;
	probe_stats_error(t->stats, seq, mono_now());
}

static bool same_addr(const struct probe_target *t, const struct sockaddr_storage *from)
{
	if (t->v6)
		return from->ss_family == AF_INET6 &&
		       memcmp(&((const struct sockaddr_in6 *)from)->sin6_addr,
			      &((const struct sockaddr_in6 *)&t->dst)->sin6_addr, 16) == 0;
	return from->ss_family == AF_INET &&
	       ((const struct sockaddr_in *)from)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)&t->dst)->sin_addr.s_addr;
}

static bool same_raw_addr(const struct probe_target *t, const uint8_t a[16])
{
	if (t->v6)
		return memcmp(a, &((const struct sockaddr_in6 *)&t->dst)->sin6_addr, 16) == 0;
	return memcmp(a, &((const struct sockaddr_in *)&t->dst)->sin_addr, 4) == 0;
}

static enum probe_err icmp_error_reason(bool v6, uint8_t type)
{
	if (type == (v6 ? ICMP6_DST_UNREACH : ICMP_DEST_UNREACH))
		return PROBE_ERR_UNREACHABLE;
	if (type == (v6 ? ICMP6_TIME_EXCEEDED : ICMP_TIME_EXCEEDED))
		return PROBE_ERR_TIME_EXCEEDED;
	return PROBE_ERR_ICMP_OTHER;
}

static void icmp_echo_reply(struct psock *ps, const struct probe_icmp_msg *m,
			    const struct sockaddr_storage *from, double t4)
{
	struct probe_engine *e = ps->e;
	struct probe_target *t;
	struct ring_entry *r;

	/* a raw socket sees every echo reply of the host */
	if (!m->tagged || (ps->raw && m->id != ps->id)) {
		count_unexpected(e, CFG_PROBE_ICMP, PROBE_UNX_NOT_OURS);
		return;
	}
	if ((t = target_lookup(e, m->tag.tidx, m->tag.tuid)) == NULL || t->ps != ps) {
		count_unexpected(e, CFG_PROBE_ICMP, PROBE_UNX_STALE);
		return;
	}
	if (!same_addr(t, from)) {
		count_unexpected(e, CFG_PROBE_ICMP, PROBE_UNX_WRONG_SOURCE);
		return;
	}
	if ((r = ring_find(t, m->tag.tseq)) == NULL) {
		count_unexpected(e, CFG_PROBE_ICMP, PROBE_UNX_STALE);
		return;
	}
	reply(t, m->tag.tseq, t4 - r->t1, t4);
}

static void icmp_error(struct psock *ps, const struct probe_icmp_msg *m)
{
	struct probe_target *t;

	if (!m->tagged) {
		/* an error about someone else's packet, or quoting too little */
		count_unexpected(ps->e, CFG_PROBE_ICMP, PROBE_UNX_NOT_OURS);
		return;
	}
	t = target_lookup(ps->e, m->tag.tidx, m->tag.tuid);
	if (t == NULL || t->ps != ps || (m->has_dst && !same_raw_addr(t, m->dst))) {
		count_unexpected(ps->e, CFG_PROBE_ICMP, PROBE_UNX_STALE);
		return;
	}
	probe_failed(t, m->tag.tseq, icmp_error_reason(ps->v6, m->type));
}

static void icmp_datagram(struct psock *ps, const uint8_t *buf, size_t len,
			  const struct sockaddr_storage *from, double t4)
{
	struct probe_icmp_msg m;

	if (probe_icmp_parse(buf, len, ps->v6, ps->raw && !ps->v6, &m) != 0) {
		count_unexpected(ps->e, CFG_PROBE_ICMP, PROBE_UNX_TRUNCATED);
		return;
	}
	if (m.kind == PROBE_ICMP_ECHO_REPLY)
		icmp_echo_reply(ps, &m, from, t4);
	else if (m.kind == PROBE_ICMP_ERROR)
		icmp_error(ps, &m);
	/* other types: filtered on raw sockets, never delivered to datagram ones */
}

/* The ICMP type of an error-queue message (RFC-numbered), or -1 when
 * there is no extended error; *local when the kernel raised it itself. */
static int errqueue_type(struct msghdr *msg, bool *local, int *err)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		struct sock_extended_err ee;

		if (!((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
		      (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) ||
		    c->cmsg_len < CMSG_LEN(sizeof(ee)))
			continue;
		memcpy(&ee, CMSG_DATA(c), sizeof(ee));
		*local = ee.ee_origin == SO_EE_ORIGIN_LOCAL;
		*err = (int)ee.ee_errno;
		return ee.ee_origin == SO_EE_ORIGIN_ICMP || ee.ee_origin == SO_EE_ORIGIN_ICMP6
			       ? ee.ee_type
			       : -1;
	}
	return -1;
}

/* Reads one message into buf; returns its length, or -1 (EAGAIN: done). */
static ssize_t read_msg(int fd, uint8_t *buf, size_t cap, struct sockaddr_storage *from,
			char *cbuf, struct msghdr *msg, int flags)
{
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	ssize_t n;

	memset(msg, 0, sizeof(*msg));
	memset(from, 0, sizeof(*from));
	msg->msg_name = from;
	msg->msg_namelen = sizeof(*from);
	msg->msg_iov = &iov;
	msg->msg_iovlen = 1;
	msg->msg_control = cbuf;
	msg->msg_controllen = CMSG_SPACE_MAX;
	n = recvmsg(fd, msg, flags | MSG_DONTWAIT);
	if (n >= 0 && (msg->msg_flags & MSG_TRUNC))
		n = (ssize_t)cap; /* longer than any reply of ours: parsed as cut */
	return n;
}

static void icmp_errqueue(struct psock *ps)
{
	uint8_t buf[PROBE_ICMP_MAX_LEN];
	char cbuf[CMSG_SPACE_MAX];
	struct sockaddr_storage from;
	struct msghdr msg;

	for (unsigned i = 0; i < ERRQ_BATCH; i++) {
		ssize_t n = read_msg(ps->fd, buf, sizeof(buf), &from, cbuf, &msg, MSG_ERRQUEUE);
		struct probe_icmp_tag tag;
		struct probe_target *t;
		uint16_t id, seq;
		bool tagged, local = false;
		int type, err = 0;

		if (n < 0)
			return;
		type = errqueue_type(&msg, &local, &err);
		if (probe_icmp_parse_request(buf, (size_t)n, ps->v6, &id, &seq, &tagged, &tag) != 0 ||
		    !tagged || (t = target_lookup(ps->e, tag.tidx, tag.tuid)) == NULL) {
			count_unexpected(ps->e, CFG_PROBE_ICMP, PROBE_UNX_STALE);
			continue;
		}
		probe_failed(t, tag.tseq,
			     type >= 0 ? icmp_error_reason(ps->v6, (uint8_t)type)
				       : local ? errno_reason(err) : PROBE_ERR_ICMP_OTHER);
	}
}

static void on_icmp_readable(uv_poll_t *h, int status, int events)
{
	struct psock *ps = h->data;
	uint8_t buf[PROBE_ICMP_MAX_LEN + 60]; /* room for an IPv4 header */
	char cbuf[CMSG_SPACE_MAX];
	struct sockaddr_storage from;
	struct msghdr msg;

	(void)events;
	if (ps == NULL)
		return;
	for (unsigned i = 0; i < PROBE_RECV_BATCH; i++) {
		ssize_t n = read_msg(ps->fd, buf, sizeof(buf), &from, cbuf, &msg, 0);

		if (n < 0)
			break;
		icmp_datagram(ps, buf, (size_t)n, &from, rx_time(&msg));
	}
	if (!ps->raw)
		icmp_errqueue(ps);
	/* libuv stops a poll handle on POLLERR (a queued ICMP error): the
	 * queue is drained, so poll again */
	if (status < 0)
		uv_poll_start(ps->poll, UV_READABLE, on_icmp_readable);
}

/* ---- STAMP ------------------------------------------------------------------ */

/* RFC 4656 §4.1.2: error = multiplier * 2^-32 * 2^scale seconds; S when
 * the kernel says the clock is synchronised (adjtimex, STA_UNSYNC clear). */
static uint16_t clock_error_estimate(void)
{
	struct timex tx;
	double err;
	int st, scale = 0;
	uint16_t v;

	memset(&tx, 0, sizeof(tx));
	st = adjtimex(&tx);
	err = tx.esterror > 0 ? (double)tx.esterror / 1e6 : 1e-6;
	while (scale < 63 && ceil(ldexp(err, 32 - scale)) > 255)
		scale++;
	v = (uint16_t)((unsigned)scale << 8 | (unsigned)ceil(ldexp(err, 32 - scale)));
	if (st != TIME_ERROR && !(tx.status & STA_UNSYNC))
		v |= PROBE_STAMP_ERR_S;
	return v;
}

static void stamp_reply(struct probe_target *t, const uint8_t *buf, size_t len, double t4)
{
	struct probe_stamp_reply rp;
	struct ring_entry *r;
	double t2, t3, residence, rtt;

	if (len < PROBE_STAMP_MIN_LEN) {
		count_unexpected(t->e, CFG_PROBE_STAMP, PROBE_UNX_TRUNCATED);
		return;
	}
	if (probe_stamp_decode_reply(buf, len, &rp) != 0) {
		count_unexpected(t->e, CFG_PROBE_STAMP, PROBE_UNX_MALFORMED);
		return;
	}
	if ((r = ring_find(t, rp.sender_seq)) == NULL) {
		count_unexpected(t->e, CFG_PROBE_STAMP, PROBE_UNX_STALE);
		return;
	}
	t2 = probe_ntp_to_unix(rp.rx_ts);
	t3 = probe_ntp_to_unix(rp.ts);
	residence = t3 - t2;
	rtt = t4 - r->t1;
	/* RFC 8762 §4.3: the round trip excludes the time the reflector held
	 * the packet; a reflector whose timestamps contradict our own RTT is
	 * not trusted with that subtraction */
	if (residence >= 0 && residence <= rtt) {
		rtt -= residence;
		t->residence = residence;
	}
	reply(t, rp.sender_seq, rtt, t4);
	/* the one-way components need both clocks synchronised: S bits of our
	 * error estimate (echoed back) and of the reflector's */
	probe_stats_oneway(t->stats, t2 - r->t1, t4 - t3,
			   (rp.err_est & PROBE_STAMP_ERR_S) && (t->e->err_est & PROBE_STAMP_ERR_S));
}

static void stamp_errqueue(struct probe_target *t)
{
	uint8_t buf[PROBE_STAMP_MAX_LEN];
	char cbuf[CMSG_SPACE_MAX];
	struct sockaddr_storage from;
	struct msghdr msg;

	for (unsigned i = 0; i < ERRQ_BATCH && t->fd >= 0; i++) {
		ssize_t n = read_msg(t->fd, buf, sizeof(buf), &from, cbuf, &msg, MSG_ERRQUEUE);
		struct probe_stamp_test tp;
		bool local = false;
		int type, err = 0;

		if (n < 0)
			return;
		type = errqueue_type(&msg, &local, &err);
		/* the quoted UDP payload is our test packet: its sequence number */
		if (probe_stamp_decode_test(buf, (size_t)n, &tp) != 0) {
			count_unexpected(t->e, CFG_PROBE_STAMP, PROBE_UNX_STALE);
			continue;
		}
		probe_failed(t, tp.seq, type >= 0 ? icmp_error_reason(t->v6, (uint8_t)type)
						  : local ? errno_reason(err) : PROBE_ERR_ICMP_OTHER);
	}
}

static void on_stamp_readable(uv_poll_t *h, int status, int events)
{
	struct probe_target *t = h->data;
	uint8_t buf[PROBE_STAMP_MAX_LEN];
	char cbuf[CMSG_SPACE_MAX];
	struct sockaddr_storage from;
	struct msghdr msg;

	(void)events;
	if (t == NULL)
		return;
	for (unsigned i = 0; i < PROBE_RECV_BATCH; i++) {
		ssize_t n = read_msg(t->fd, buf, sizeof(buf), &from, cbuf, &msg, 0);

		if (n < 0)
			break;
		stamp_reply(t, buf, (size_t)n, rx_time(&msg));
	}
	stamp_errqueue(t);
	if (status < 0 && t->poll != NULL)
		uv_poll_start(t->poll, UV_READABLE, on_stamp_readable);
}

/* ---- opening sockets -------------------------------------------------------- */

static void sockaddr_of(bool v6, const uint8_t addr[16], uint16_t port,
			struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, addr, 16);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, addr, 4);
		*len = sizeof(*s4);
	}
}

/* Source address, device, DSCP, timestamps, error queue. Returns 0 or the
 * reason (errno in *err). */
static int sock_setup(int fd, bool v6, const struct sockaddr_storage *src, bool has_src,
		      const char *ifname, uint8_t dscp, bool recverr, int *err)
{
	int one = 1, tos = dscp << 2;
	socklen_t sl = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

	if (ifname[0] != '\0' &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) != 0) {
		*err = errno;
		return *err == ENODEV ? PROBE_ERR_INTERFACE : PROBE_ERR_SOCKET;
	}
	if (has_src && bind(fd, (const struct sockaddr *)src, sl) != 0) {
		*err = errno;
		return PROBE_ERR_SOCKET;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	if (tos != 0)
		(void)(v6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos))
			  : setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)));
	if (recverr)
		(void)(v6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one))
			  : setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)));
	return 0;
}

/* A shared socket takes the replies of every target at once: a loop held
 * up for a moment must not overflow it. SO_RCVBUFFORCE (CAP_NET_ADMIN)
 * passes net.core.rmem_max; without it the kernel caps the request. */
static void rcvbuf(int fd)
{
	int sz = PROBE_SOCK_RCVBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

/* Raw sockets see every ICMP message: let only echo replies and errors in. */
static void raw_filter(int fd, bool v6)
{
	if (v6) {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
		ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
		ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
		ICMP6_FILTER_SETPASS(ICMP6_PARAM_PROB, &f);
		(void)setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	} else {
		struct icmp_filter f = {
			.data = ~(uint32_t)(1u << ICMP_ECHOREPLY | 1u << ICMP_DEST_UNREACH |
					    1u << ICMP_TIME_EXCEEDED | 1u << ICMP_PARAMETERPROB),
		};
		(void)setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f));
	}
}

static int icmp_socket(struct probe_engine *e, bool v6, bool *raw)
{
	int proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, fam = v6 ? AF_INET6 : AF_INET, fd = -1;

	if (e->opts.icmp_socket != CFG_ICMP_RAW) {
		fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
		*raw = false;
		if (fd >= 0 || e->opts.icmp_socket == CFG_ICMP_DATAGRAM)
			return fd;
	}
	*raw = true;
	return socket(fam, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
}

static void log_icmp_denied(struct probe_engine *e, struct psock *ps, int err)
{
	const char *msg =
		e->opts.icmp_socket == CFG_ICMP_DATAGRAM
			? "cannot open an ICMP datagram socket: the process's group is outside "
			  "net.ipv4.ping_group_range (sysctl -w net.ipv4.ping_group_range=\"0 "
			  "2147483647\"), or use probes.icmp_socket: raw with CAP_NET_RAW"
			: "cannot open a raw ICMP socket: CAP_NET_RAW is missing (grant it, e.g. "
			  "AmbientCapabilities=CAP_NET_RAW), or allow the process's group in "
			  "net.ipv4.ping_group_range for the unprivileged datagram socket";

	log_kv_limited(e->log, &e->rl_socket, LOG_LVL_ERROR, msg, "family",
		       ps->v6 ? "ipv6" : "ipv4", "error", strerror(err), (const char *)0);
}

static int psock_open(struct psock *ps)
{
	struct probe_engine *e = ps->e;
	struct sockaddr_storage src;
	socklen_t sl;
	int err = 0, rc;

	sockaddr_of(ps->v6, ps->src, 0, &src, &sl);
	ps->open_err = PROBE_ERR_SOCKET;
	if ((ps->fd = icmp_socket(e, ps->v6, &ps->raw)) < 0) {
		err = errno;
		if (err == EPERM || err == EACCES)
			log_icmp_denied(e, ps, err);
		else
			log_kv_limited(e->log, &e->rl_socket, LOG_LVL_ERROR,
				       "cannot open an ICMP socket", "error", strerror(err),
				       (const char *)0);
		goto fail;
	}
	if ((rc = sock_setup(ps->fd, ps->v6, &src, ps->has_src, ps->ifname, ps->dscp, !ps->raw,
			     &err)) != 0) {
		ps->open_err = (enum probe_err)rc;
		log_kv_limited(e->log, &e->rl_socket, LOG_LVL_ERROR, "cannot bind an ICMP socket",
			       "interface", ps->ifname, "error", strerror(err), (const char *)0);
		goto fail;
	}
	if (ps->raw)
		raw_filter(ps->fd, ps->v6);
	rcvbuf(ps->fd);
	if ((ps->poll = calloc(1, sizeof(*ps->poll))) == NULL ||
	    uv_poll_init(e->loop, ps->poll, ps->fd) != 0) {
		free(ps->poll);
		ps->poll = NULL;
		goto fail;
	}
	ps->poll->data = ps;
	if (uv_poll_start(ps->poll, UV_READABLE, on_icmp_readable) != 0)
		goto fail;
	log_debug(e->log, "ICMP socket open", "family", ps->v6 ? "ipv6" : "ipv4", "kind",
		  ps->raw ? "raw" : "datagram", "interface", ps->ifname);
	return 0;
fail:
	close_poll(&ps->poll, &ps->fd);
	ps->retry_at = mono_now() + PROBE_SOCKET_RETRY_S;
	return -1;
}

static struct psock *psock_get(struct probe_engine *e, const struct probe_target *t)
{
	const uint8_t *src = t->v6 ? (const uint8_t *)&((const struct sockaddr_in6 *)&t->src)->sin6_addr
				   : (const uint8_t *)&((const struct sockaddr_in *)&t->src)->sin_addr;
	struct psock *ps;

	for (ps = e->socks; ps != NULL; ps = ps->next)
		if (ps->v6 == t->v6 && ps->has_src == t->has_src && ps->dscp == t->dscp &&
		    (!t->has_src || memcmp(ps->src, src, t->v6 ? 16 : 4) == 0) &&
		    strcmp(ps->ifname, t->ifname) == 0) {
			ps->refs++;
			return ps;
		}
	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return NULL;
	ps->e = e;
	ps->v6 = t->v6;
	ps->has_src = t->has_src;
	if (t->has_src)
		memcpy(ps->src, src, t->v6 ? 16 : 4);
	memcpy(ps->ifname, t->ifname, sizeof(ps->ifname));
	ps->dscp = t->dscp;
	ps->fd = -1;
	ps->id = (uint16_t)(probe_sched_random(&e->rng) * 65536.0);
	ps->refs = 1;
	ps->next = e->socks;
	e->socks = ps;
	(void)psock_open(ps);
	return ps;
}

static void psock_put(struct probe_engine *e, struct psock *ps)
{
	if (ps == NULL || --ps->refs > 0)
		return;
	for (struct psock **p = &e->socks; *p != NULL; p = &(*p)->next)
		if (*p == ps) {
			*p = ps->next;
			break;
		}
	close_poll(&ps->poll, &ps->fd);
	free(ps);
}

static int stamp_open(struct probe_target *t)
{
	struct probe_engine *e = t->e;
	int err = 0, rc;

	t->open_err = PROBE_ERR_SOCKET;
	t->fd = socket(t->v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		err = errno;
		goto fail;
	}
	if ((rc = sock_setup(t->fd, t->v6, &t->src, t->has_src, t->ifname, t->dscp, true, &err)) !=
	    0) {
		t->open_err = (enum probe_err)rc;
		goto fail;
	}
	/* connected: the kernel filters replies from anybody else and reports
	 * ICMP errors for this session on its error queue */
	if (connect(t->fd, (const struct sockaddr *)&t->dst, t->dstlen) != 0) {
		err = errno;
		t->open_err = errno_reason(err);
		goto fail;
	}
	if ((t->poll = calloc(1, sizeof(*t->poll))) == NULL ||
	    uv_poll_init(e->loop, t->poll, t->fd) != 0) {
		free(t->poll);
		t->poll = NULL;
		goto fail;
	}
	t->poll->data = t;
	if (uv_poll_start(t->poll, UV_READABLE, on_stamp_readable) != 0)
		goto fail;
	return 0;
fail:
	if (err != 0)
		log_target_error(e, &e->rl_socket, t, "cannot open the STAMP socket", err);
	close_poll(&t->poll, &t->fd);
	t->retry_at = mono_now() + PROBE_SOCKET_RETRY_S;
	return -1;
}

/* ---- TCP connect ------------------------------------------------------------ */

static void tcp_close(struct tcp_conn *c)
{
	close_poll(&c->poll, &c->fd);
	free(c);
}

/* Detaches the connect of ring entry r and closes it. */
static void ring_drop_conn(struct ring_entry *r)
{
	if (r->conn != NULL) {
		tcp_close(r->conn);
		r->conn = NULL;
	}
}

/* A RST is an answer from the host: a reply with its RTT, and "refused"
 * counted besides. Other failures are errors; a timeout is a loss. */
static void tcp_done(struct tcp_conn *c, int err)
{
	struct probe_target *t = target_lookup(c->e, c->tidx, c->tuid);
	struct ring_entry *r = t ? ring_find(t, c->seq) : NULL;
	struct timespec now;

	if (r == NULL || r->conn != c) {
		tcp_close(c); /* its target went away; nothing to count */
		return;
	}
	r->conn = NULL;
	clock_gettime(CLOCK_REALTIME, &now);
	if (err == 0 || err == ECONNREFUSED) {
		if (err == ECONNREFUSED)
			t->err[PROBE_ERR_REFUSED]++;
		reply(t, c->seq, ts_sec(&now) - r->t1, ts_sec(&now));
	} else if (err != ETIMEDOUT) {
		enum probe_err why = errno_reason(err);

		probe_failed(t, c->seq, why == PROBE_ERR_SEND ? PROBE_ERR_CONNECT : why);
	}
	tcp_close(c);
}

static void on_tcp_writable(uv_poll_t *h, int status, int events)
{
	struct tcp_conn *c = h->data;
	int err = 0;
	socklen_t len = sizeof(err);

	(void)status;
	(void)events;
	if (c == NULL)
		return;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	tcp_done(c, err);
}

static void tcp_send(struct probe_target *t, struct ring_entry *r)
{
	struct probe_engine *e = t->e;
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	struct tcp_conn *c = calloc(1, sizeof(*c));
	int err = 0, rc;
	struct timespec t1;

	if (c == NULL) {
		probe_failed(t, r->seq, PROBE_ERR_SOCKET);
		return;
	}
	*c = (struct tcp_conn){.e = e, .tidx = t->idx, .tuid = t->uid, .seq = r->seq, .fd = -1};
	c->fd = socket(t->v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		err = errno;
		rc = PROBE_ERR_SOCKET;
		goto fail;
	}
	if ((rc = sock_setup(c->fd, t->v6, &t->src, t->has_src, t->ifname, t->dscp, false, &err)) !=
	    0)
		goto fail;
	/* RST on close: a probe leaves no TIME_WAIT behind on either side */
	(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if ((c->poll = calloc(1, sizeof(*c->poll))) == NULL ||
	    uv_poll_init(e->loop, c->poll, c->fd) != 0) {
		free(c->poll);
		c->poll = NULL;
		rc = PROBE_ERR_SOCKET;
		goto fail;
	}
	c->poll->data = c;
	clock_gettime(CLOCK_REALTIME, &t1);
	r->t1 = ts_sec(&t1);
	r->conn = c;
	if (connect(c->fd, (const struct sockaddr *)&t->dst, t->dstlen) == 0) {
		tcp_done(c, 0);
		return;
	}
	if (errno != EINPROGRESS) {
		tcp_done(c, errno);
		return;
	}
	if (uv_poll_start(c->poll, UV_WRITABLE, on_tcp_writable) != 0) {
		r->conn = NULL;
		rc = PROBE_ERR_SOCKET;
		goto fail;
	}
	return;
fail:
	if (err != 0)
		log_target_error(e, &e->rl_send, t, "cannot start a TCP probe", err);
	tcp_close(c);
	probe_failed(t, r->seq, (enum probe_err)rc);
}

/* ---- sending ---------------------------------------------------------------- */

static void send_failed(struct probe_target *t, uint32_t seq, int err)
{
	log_target_error(t->e, &t->e->rl_send, t, "probe not sent", err);
	probe_failed(t, seq, errno_reason(err));
}

static void icmp_send(struct probe_target *t, struct ring_entry *r)
{
	struct psock *ps = t->ps;
	uint8_t buf[PROBE_ICMP_MAX_LEN];
	struct probe_icmp_tag tag = {.tidx = t->idx, .tuid = t->uid, .tseq = r->seq};
	struct timespec t1;
	int len;

	if (ps->fd < 0 && (mono_now() < ps->retry_at || psock_open(ps) != 0)) {
		probe_failed(t, r->seq, ps->open_err);
		return;
	}
	len = probe_icmp_encode_echo(buf, sizeof(buf), t->v6, ps->raw ? ps->id : 0,
				     (uint16_t)r->seq, &tag, t->size);
	if (len < 0) {
		probe_failed(t, r->seq, PROBE_ERR_SEND);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &t1);
	r->t1 = ts_sec(&t1);
	if (sendto(ps->fd, buf, (size_t)len, 0, (const struct sockaddr *)&t->dst, t->dstlen) < 0)
		send_failed(t, r->seq, errno);
}

static void stamp_send(struct probe_target *t, struct ring_entry *r)
{
	uint8_t buf[PROBE_STAMP_MAX_LEN];
	struct probe_stamp_test tp = {.seq = r->seq, .err_est = t->e->err_est};
	struct timespec t1;
	int len;

	if (t->fd < 0 && (mono_now() < t->retry_at || stamp_open(t) != 0)) {
		probe_failed(t, r->seq, t->open_err);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &t1);
	tp.ts = probe_ntp_from_timespec(&t1);
	len = probe_stamp_encode_test(buf, sizeof(buf), t->size, &tp);
	if (len < 0) {
		probe_failed(t, r->seq, PROBE_ERR_SEND);
		return;
	}
	r->t1 = ts_sec(&t1);
	if (send(t->fd, buf, (size_t)len, 0) < 0)
		send_failed(t, r->seq, errno);
}

static void target_send(struct probe_target *t, double now)
{
	struct ring_entry *r = &t->ring[t->seq % t->nring];
	double deadline = now + t->timeout_ms / 1000.0;

	/* the ring is full of outstanding probes only when the timeout is
	 * longer than the ring covers: the oldest one goes */
	ring_drop_conn(r);
	*r = (struct ring_entry){.seq = t->seq, .used = true, .deadline = deadline};
	probe_stats_expire(t->stats, now - PROBE_EXPIRE_GRACE_S);
	probe_stats_sent(t->stats, t->seq, now, deadline);
	t->seq++;
	switch (t->type) {
	case CFG_PROBE_ICMP:
		icmp_send(t, r);
		break;
	case CFG_PROBE_TCP:
		tcp_send(t, r);
		break;
	case CFG_PROBE_STAMP:
		stamp_send(t, r);
		break;
	}
}

/* ---- the scheduler timer ---------------------------------------------------- */

static void on_timer(uv_timer_t *h);

static void arm(struct probe_engine *e)
{
	uint32_t id;
	double when, delay;

	if (probe_sched_peek(e->sched, &id, &when) != 0) {
		uv_timer_stop(e->timer);
		return;
	}
	uv_update_time(e->loop);
	delay = ceil((when - mono_now()) * 1000.0);
	uv_timer_start(e->timer, on_timer, delay > 0 ? (uint64_t)delay : 0, 0);
}

static void on_timer(uv_timer_t *h)
{
	struct probe_engine *e = h->data;
	double now = mono_now(), when;
	uint32_t id;

	for (unsigned n = 0; n < PROBE_SEND_BATCH && probe_sched_pop_due(e->sched, now, &id, &when) == 0;
	     n++) {
		struct probe_target *t = e->targets[id];
		double next = when + probe_sched_interval(t->interval_ms, e->opts.spread_percent, &e->rng);
		double sent = mono_now();

		note_lateness(e, sent - when);
		target_send(t, sent);
		/* behind by more than an interval (a stalled loop): skip ahead
		 * rather than send a burst */
		if (next < sent)
			next = sent + t->interval_ms / 1000.0;
		if (probe_sched_set(e->sched, id, next) != 0) /* cannot fail: the heap only shrank */
			log_error(e->log, "probe target unscheduled (out of memory)");
	}
	arm(e);
}

/* ---- targets ---------------------------------------------------------------- */

static int table_slot(struct probe_engine *e, uint32_t *idx)
{
	for (size_t i = e->free_hint; i < e->ntargets; i++)
		if (e->targets[i] == NULL) {
			*idx = (uint32_t)i;
			e->free_hint = i + 1;
			return 0;
		}
	e->free_hint = e->ntargets + 1;
	if (e->ntargets >= PROBE_SCHED_MAX_IDS)
		return -1;
	if (e->ntargets == e->cap) {
		size_t n = e->cap ? e->cap * 2 : 64;
		struct probe_target **p = realloc(e->targets, n * sizeof(*p));

		if (p == NULL)
			return -1;
		e->targets = p;
		e->cap = n;
	}
	e->targets[e->ntargets] = NULL;
	*idx = (uint32_t)e->ntargets++;
	return 0;
}

static void target_config(struct probe_target *t, const struct cfg_probe *p,
			  const char *link_interface)
{
	bool v6 = p->family == AF_INET6;
	const char *ifname = p->interface ? p->interface : p->source ? NULL : link_interface;

	t->type = p->type;
	t->v6 = v6;
	sockaddr_of(v6, p->addr, p->type == CFG_PROBE_ICMP ? 0 : p->port, &t->dst, &t->dstlen);
	t->has_src = p->source != NULL;
	if (t->has_src) {
		socklen_t sl;

		sockaddr_of(v6, p->source_addr, 0, &t->src, &sl);
	}
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifname ? ifname : "");
	t->interval_ms = p->interval_ms ? p->interval_ms : 1000;
	t->timeout_ms = p->timeout_ms ? p->timeout_ms : t->interval_ms;
	t->dscp = p->dscp;
	t->size = p->type == CFG_PROBE_ICMP ? (p->size < PROBE_ICMP_TAG_LEN ? PROBE_ICMP_TAG_LEN : p->size)
		  : p->type == CFG_PROBE_STAMP ? (p->size < PROBE_STAMP_MIN_LEN ? PROBE_STAMP_MIN_LEN : p->size)
					       : 0;
}

static void target_free(struct probe_target *t)
{
	for (uint32_t i = 0; t->ring != NULL && i < t->nring; i++)
		ring_drop_conn(&t->ring[i]);
	close_poll(&t->poll, &t->fd);
	psock_put(t->e, t->ps);
	probe_stats_free(t->stats);
	free(t->ring);
	free(t);
}

struct probe_target *probe_engine_add(struct probe_engine *e, const struct cfg_probe *p,
				      const char *link_interface, void *user)
{
	struct probe_target *t = calloc(1, sizeof(*t));
	uint32_t idx;

	if (t == NULL)
		return NULL;
	t->e = e;
	t->fd = -1;
	t->user = user;
	t->last_reply = -INFINITY;
	t->residence = NAN;
	target_config(t, p, link_interface);
	t->nring = ring_size(t->interval_ms, t->timeout_ms, e->opts.spread_percent);
	t->ring = calloc(t->nring, sizeof(*t->ring));
	t->stats = probe_stats_new(e->opts.loss_window);
	if (t->ring == NULL || t->stats == NULL || table_slot(e, &idx) != 0)
		goto fail;
	t->idx = idx;
	t->uid = ++e->next_uid;
	if (t->type == CFG_PROBE_ICMP && (t->ps = psock_get(e, t)) == NULL)
		goto fail;
	if (t->type == CFG_PROBE_STAMP)
		(void)stamp_open(t);
	/* the first probe at a random point of the first interval, so that a
	 * start or reload does not send every probe at once */
	if (probe_sched_set(e->sched, idx,
			    mono_now() + probe_sched_random(&e->rng) * t->interval_ms / 1000.0) != 0)
		goto fail;
	e->targets[idx] = t;
	arm(e);
	return t;
fail:
	if (t->uid != 0 && t->idx < e->free_hint) /* the slot is free again */
		e->free_hint = t->idx;
	target_free(t);
	return NULL;
}

void probe_engine_remove(struct probe_engine *e, struct probe_target *t)
{
	if (t == NULL)
		return;
	probe_sched_remove(e->sched, t->idx);
	e->targets[t->idx] = NULL;
	if (t->idx < e->free_hint)
		e->free_hint = t->idx;
	target_free(t);
}

int probe_engine_update(struct probe_engine *e, struct probe_target *t, const struct cfg_probe *p)
{
	uint32_t n = ring_size(p->interval_ms, p->timeout_ms, e->opts.spread_percent);
	struct ring_entry *ring = NULL;
	struct psock *ps = t->ps;
	uint8_t old_dscp = t->dscp;

	/* everything that can fail first, so that a failure changes nothing */
	if (n != t->nring && (ring = calloc(n, sizeof(*ring))) == NULL)
		return -1;
	t->dscp = p->dscp;
	if (t->type == CFG_PROBE_ICMP && p->dscp != old_dscp && (ps = psock_get(e, t)) == NULL) {
		t->dscp = old_dscp;
		free(ring);
		return -1;
	}
	if (ps != t->ps) {
		psock_put(e, t->ps);
		t->ps = ps;
	}
	if (ring != NULL) {
		/* a new ring forgets the send times of probes in flight: their
		 * replies count as stale, and they expire as lost */
		for (uint32_t i = 0; i < t->nring; i++)
			ring_drop_conn(&t->ring[i]);
		free(t->ring);
		t->ring = ring;
		t->nring = n;
	}
	t->interval_ms = p->interval_ms;
	t->timeout_ms = p->timeout_ms;
	t->size = p->size;
	if (t->type == CFG_PROBE_STAMP && p->dscp != old_dscp) {
		close_poll(&t->poll, &t->fd);
		(void)stamp_open(t); /* a failure is retried at the next probe */
	}
	return 0;
}

void probe_engine_expire(struct probe_engine *e)
{
	double now = mono_now();

	if (now - e->clock_checked >= CLOCK_CHECK_S) {
		e->err_est = clock_error_estimate();
		e->clock_checked = now;
	}
	for (size_t i = 0; i < e->ntargets; i++) {
		struct probe_target *t = e->targets[i];

		if (t == NULL)
			continue;
		probe_stats_expire(t->stats, now - PROBE_EXPIRE_GRACE_S);
		for (uint32_t j = 0; t->type == CFG_PROBE_TCP && j < t->nring; j++)
			if (t->ring[j].conn != NULL && t->ring[j].deadline <= now)
				ring_drop_conn(&t->ring[j]);
	}
}

void probe_target_get(const struct probe_target *t, struct probe_target_view *v)
{
	double window = (UP_INTERVALS * t->interval_ms + t->timeout_ms) / 1000.0;

	v->st = probe_stats_get(t->stats);
	memcpy(v->err, t->err, sizeof(v->err));
	v->up = mono_now() - t->last_reply <= window;
	v->residence = t->residence;
}

void *probe_target_user(const struct probe_target *t)
{
	return t->user;
}

void probe_target_set_user(struct probe_target *t, void *user)
{
	t->user = user;
}

uint64_t probe_engine_unexpected(const struct probe_engine *e, enum cfg_probe_type type,
				 enum probe_unexpected why)
{
	return (unsigned)why < PROBE_UNX_COUNT ? e->unexpected[type_index(type)][why] : 0;
}

/* ---- engine ----------------------------------------------------------------- */

struct probe_engine *probe_engine_new(uv_loop_t *loop, struct log *log,
				      const struct probe_engine_opts *opts)
{
	struct probe_engine *e = calloc(1, sizeof(*e));
	struct timespec ts;

	if (e == NULL)
		return NULL;
	e->loop = loop;
	e->log = log;
	e->opts = *opts;
	clock_gettime(CLOCK_REALTIME, &ts);
	e->rng = opts->seed ? opts->seed : (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 20 ^ (uint64_t)getpid();
	e->sched = probe_sched_new();
	e->timer = calloc(1, sizeof(*e->timer));
	if (e->sched == NULL || e->timer == NULL || uv_timer_init(loop, e->timer) != 0) {
		free(e->timer);
		e->timer = NULL;
		probe_engine_free(e);
		return NULL;
	}
	e->timer->data = e;
	e->err_est = clock_error_estimate();
	e->clock_checked = mono_now();
	return e;
}

void probe_engine_set_opts(struct probe_engine *e, const struct probe_engine_opts *opts)
{
	e->opts.icmp_socket = opts->icmp_socket;
	e->opts.loss_window = opts->loss_window;
	e->opts.spread_percent = opts->spread_percent;
}

void probe_engine_free(struct probe_engine *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->ntargets; i++)
		if (e->targets[i] != NULL)
			target_free(e->targets[i]);
	if (e->timer != NULL)
		uv_close((uv_handle_t *)e->timer, free_handle);
	free(e->targets);
	probe_sched_free(e->sched);
	free(e);
}
