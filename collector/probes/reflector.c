/* reflector.c — the STAMP Session-Reflector (see reflector.h).
 *
 * libuv's uv_udp_recv gives neither control messages nor kernel receive
 * timestamps, so the socket is our own, watched with uv_poll, and read
 * with recvmsg: SCM_TIMESTAMPNS (receive time), IP_TTL / IPV6_HOPLIMIT
 * (RFC 8762 §4.3.1: "Session-Sender TTL") and IP_PKTINFO /
 * IPV6_PKTINFO (the address the test was sent to, which becomes the
 * source of the reply on a wildcard bind, so multi-homed reflectors answer
 * from the address the sender expects).
 */
#include "reflector.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

/* Datagrams read per readiness callback, so that a flood cannot starve
 * the timer that sends held replies. */
#define REFLECT_READ_BURST 64
/* How often the clock's synchronisation state (S bit and error estimate
 * of our timestamps) is re-read, in milliseconds. */
#define REFLECT_CLOCK_REFRESH_MS 1000
#define REFLECT_CMSG_SPACE 256
#define REFLECT_TTL_UNKNOWN 0 /* no TTL control message: 0, as RFC 8762 leaves it */

struct held {
	uint64_t due_ns;              /* uv_hrtime() at which to send */
	struct sockaddr_storage peer; /* where the test came from */
	socklen_t peer_len;
	struct sockaddr_storage local; /* the address it was sent to (AF_UNSPEC: unknown) */
	int ifindex;
	struct probe_ntp rx;
	struct probe_ntp tx;   /* a held reply's transmit timestamp (see take()) */
	bool held;
	uint16_t len;
	uint8_t ttl;
	uint8_t pkt[PROBE_STAMP_MAX_LEN];
};

struct probe_reflector {
	uv_loop_t *loop;
	struct log *lg;
	struct probe_reflector_opts o;
	int fd;
	uv_poll_t poll;
	uv_timer_t timer;
	int open_handles;
	struct probe_reflector_counts c;
	/* held replies: a FIFO ring of PROBE_REFLECT_QUEUE_MAX, allocated
	 * only when a delay is set */
	struct held *q;
	size_t q_head, q_len;
	uint64_t last_due_ns;
	uint64_t rng;
	uint16_t err_est;
	uint64_t clock_checked_ms;
	bool clock_checked;
	struct log_ratelimit rl_malformed, rl_send;
};

static int parse_port(const char *s, uint16_t *out)
{
	char *end = NULL;
	long v;

	if (*s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static int parse_host(const char *host, uint16_t port, struct sockaddr_storage *out)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;

	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		return 0;
	}
	return -1;
}

int probe_reflector_parse_addr(const char *s, uint16_t default_port, struct sockaddr_storage *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	uint16_t port = default_port;
	const char *colon, *hs = s;
	size_t hl;

	if (s == NULL || out == NULL)
		return -1;
	if (s[0] == '[') { /* [v6] or [v6]:port */
		const char *close = strchr(s, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return -1;
		if (close[1] == ':' && parse_port(close + 2, &port) != 0)
			return -1;
		hs = s + 1;
		hl = (size_t)(close - hs);
	} else if ((colon = strchr(s, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
		/* exactly one colon: v4:port */
		if (parse_port(colon + 1, &port) != 0)
			return -1;
		hl = (size_t)(colon - s);
	} else { /* a bare v4 or v6 address */
		hl = strlen(s);
	}
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	if (parse_host(host, port, out) != 0)
		return -1;
	/* brackets are for IPv6 only (RFC 3986 §3.2.2) */
	return s[0] == '[' && out->ss_family != AF_INET6 ? -1 : 0;
}

int probe_reflector_answer(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
			   struct probe_ntp rx, struct probe_ntp tx, uint16_t err_est, uint8_t ttl)
{
	struct probe_stamp_test t;
	struct probe_stamp_reply r;

	if (len > PROBE_STAMP_MAX_LEN || probe_stamp_decode_test(in, len, &t) != 0)
		return -1;
	/* RFC 8762 §4.3.1, stateless mode: the reflector keeps no session
	 * state and uses the received sequence number as its own; the SSID
	 * is echoed (RFC 8972 §3). */
	r = (struct probe_stamp_reply){
		.seq = t.seq,
		.ts = tx,
		.err_est = err_est,
		.ssid = t.ssid,
		.rx_ts = rx,
		.sender_seq = t.seq,
		.sender_ts = t.ts,
		.sender_err_est = t.err_est,
		.sender_ttl = ttl,
	};
	return probe_stamp_encode_reply(out, cap, len, &r);
}

/* ---- the clock ---- */

static struct probe_ntp now_ntp(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return probe_ntp_from_timespec(&ts);
}

/* Our Error Estimate: S set when the kernel says the clock is synchronised
 * (ntp_adjtime not TIME_ERROR; RFC 4656 §4.1.2), the kernel's estimated
 * error then, its maximum error otherwise. Re-read once a second. */
static void refresh_err_est(struct probe_reflector *r)
{
	struct timex tx = {0};
	uint64_t now = uv_now(r->loop);
	int state;

	if (r->clock_checked && now - r->clock_checked_ms < REFLECT_CLOCK_REFRESH_MS)
		return;
	r->clock_checked = true;
	r->clock_checked_ms = now;
	state = ntp_adjtime(&tx);
	if (state == -1 || state == TIME_ERROR)
		r->err_est = probe_stamp_err_est(false, (double)tx.maxerror * 1e-6);
	else
		r->err_est = probe_stamp_err_est(true, (double)tx.esterror * 1e-6);
}

/* ---- sending ---- */

/* Puts the source address of the reply (the address the test was sent to)
 * into the control buffer; returns its length, 0 when unknown. */
static size_t put_pktinfo(const struct held *h, uint8_t *cbuf, size_t cap)
{
	struct cmsghdr *cm = (struct cmsghdr *)(void *)cbuf;

	memset(cbuf, 0, cap);
	if (h->local.ss_family == AF_INET && cap >= CMSG_SPACE(sizeof(struct in_pktinfo))) {
		struct in_pktinfo pi = {0};

		pi.ipi_spec_dst = ((const struct sockaddr_in *)&h->local)->sin_addr;
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	if (h->local.ss_family == AF_INET6 && cap >= CMSG_SPACE(sizeof(struct in6_pktinfo))) {
		struct in6_pktinfo pi = {0};

		pi.ipi6_addr = ((const struct sockaddr_in6 *)&h->local)->sin6_addr;
		pi.ipi6_ifindex = (unsigned)h->ifindex;
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	return 0;
}

static void send_reply(struct probe_reflector *r, struct held *h)
{
	uint8_t out[PROBE_STAMP_MAX_LEN];
	uint8_t cbuf[REFLECT_CMSG_SPACE] __attribute__((aligned(8)));
	struct iovec iov;
	struct msghdr mh = {0};
	int n;

	refresh_err_est(r);
	/* The transmit timestamp is taken as late as possible, right before
	 * the send (RFC 8762 §4.3.1 "Timestamp") — except for a held reply,
	 * whose hold stands for path delay (see take()). */
	n = probe_reflector_answer(h->pkt, h->len, out, sizeof(out), h->rx,
				   h->held ? h->tx : now_ntp(), r->err_est, h->ttl);
	if (n < 0) { /* cannot happen: checked on receipt */
		r->c.malformed++;
		return;
	}
	iov.iov_base = out;
	iov.iov_len = (size_t)n;
	mh.msg_name = &h->peer;
	mh.msg_namelen = h->peer_len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_controllen = put_pktinfo(h, cbuf, sizeof(cbuf));
	mh.msg_control = mh.msg_controllen > 0 ? cbuf : NULL;
	if (sendmsg(r->fd, &mh, MSG_DONTWAIT) < 0) {
		char err[16];

		r->c.send_errors++;
		snprintf(err, sizeof(err), "%d", errno);
		log_kv_limited(r->lg, &r->rl_send, LOG_LVL_WARN, "reflect: reply not sent", "error",
			       strerror(errno), "errno", err, (const char *)0);
		return;
	}
	r->c.replied++;
}

/* ---- the held-reply queue ---- */

static uint64_t rng_next(struct probe_reflector *r)
{
	/* xorshift64*: spreading held replies, not secrets */
	r->rng ^= r->rng >> 12;
	r->rng ^= r->rng << 25;
	r->rng ^= r->rng >> 27;
	return r->rng * 2685821657736338717ull;
}

/* When a reply received at rx_ns is due: delay +/- uniform jitter, never
 * before the previous one, so replies leave in arrival order. */
static uint64_t due_of(struct probe_reflector *r, uint64_t rx_ns)
{
	double hold = r->o.delay;
	uint64_t due;

	if (r->o.delay_jitter > 0.0) {
		double u = (double)(rng_next(r) >> 11) / 9007199254740992.0; /* [0, 1) */

		hold += (2.0 * u - 1.0) * r->o.delay_jitter;
	}
	if (hold < 0.0)
		hold = 0.0;
	due = rx_ns + (uint64_t)(hold * 1e9);
	if (due < r->last_due_ns)
		due = r->last_due_ns;
	r->last_due_ns = due;
	return due;
}

static void on_timer(uv_timer_t *t);

static void rearm(struct probe_reflector *r)
{
	uint64_t now = uv_hrtime(), due, ms;

	if (r->q_len == 0)
		return;
	due = r->q[r->q_head].due_ns;
	ms = due > now ? (due - now + 999999u) / 1000000u : 0;
	uv_timer_start(&r->timer, on_timer, ms, 0);
}

static void on_timer(uv_timer_t *t)
{
	struct probe_reflector *r = t->data;
	uint64_t now = uv_hrtime();

	while (r->q_len > 0 && r->q[r->q_head].due_ns <= now) {
		send_reply(r, &r->q[r->q_head]);
		r->q_head = (r->q_head + 1) % PROBE_REFLECT_QUEUE_MAX;
		r->q_len--;
	}
	rearm(r);
}

/* ---- receiving ---- */

static void read_cmsgs(struct probe_reflector *r, struct msghdr *mh, struct held *h)
{
	bool have_ts = false;

	h->ttl = REFLECT_TTL_UNKNOWN;
	h->local.ss_family = AF_UNSPEC;
	h->ifindex = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			h->rx = probe_ntp_from_timespec(&ts);
			have_ts = true;
		} else if (((cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TTL) ||
			    (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_HOPLIMIT)) &&
			   cm->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int v;

			memcpy(&v, CMSG_DATA(cm), sizeof(v));
			h->ttl = v >= 0 && v <= 255 ? (uint8_t)v : REFLECT_TTL_UNKNOWN;
		} else if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO &&
			   cm->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;
			struct sockaddr_in *sin = (struct sockaddr_in *)&h->local;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			memset(&h->local, 0, sizeof(h->local));
			sin->sin_family = AF_INET;
			/* the local address that took it (not the header
			 * destination, which may be a broadcast) */
			sin->sin_addr = pi.ipi_spec_dst;
		} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO &&
			   cm->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&h->local;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			memset(&h->local, 0, sizeof(h->local));
			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr = pi.ipi6_addr;
			h->ifindex = (int)pi.ipi6_ifindex;
		}
	}
	if (have_ts)
		r->c.kernel_ts++;
	else
		h->rx = now_ntp();
}

/* Reads one datagram into h. 1 read, 0 nothing more to read, -1 error. */
static int read_one(struct probe_reflector *r, struct held *h, ssize_t *n, int *flags)
{
	uint8_t cbuf[REFLECT_CMSG_SPACE] __attribute__((aligned(8)));
	struct iovec iov = {.iov_base = h->pkt, .iov_len = sizeof(h->pkt)};
	struct msghdr mh = {0};

	mh.msg_name = &h->peer;
	mh.msg_namelen = sizeof(h->peer);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	*n = recvmsg(r->fd, &mh, MSG_DONTWAIT);
	if (*n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	*flags = mh.msg_flags;
	h->peer_len = mh.msg_namelen;
	read_cmsgs(r, &mh, h);
	return 1;
}

/* Takes a received test packet: answers now, holds it, or drops it.
 * --delay emulates a longer path (the kernel here has no netem): a held
 * reply is stamped as sent when it is queued, so the hold is not
 * reflector residence (which RFC 8762 takes out of the round trip) but
 * time on the way back, as a slower link would add. */
static void take(struct probe_reflector *r, struct held *h, uint64_t rx_ns)
{
	h->held = false;
	if (r->q == NULL) {
		send_reply(r, h);
		return;
	}
	h->held = true;
	h->tx = now_ntp();
	if (r->q_len == PROBE_REFLECT_QUEUE_MAX) {
		r->c.dropped++;
		return;
	}
	h->due_ns = due_of(r, rx_ns);
	r->q[(r->q_head + r->q_len) % PROBE_REFLECT_QUEUE_MAX] = *h;
	if (r->q_len++ == 0)
		rearm(r);
}

static void on_readable(uv_poll_t *p, int status, int events)
{
	struct probe_reflector *r = p->data;
	struct held h;

	(void)events;
	if (status < 0)
		return;
	for (int i = 0; i < REFLECT_READ_BURST; i++) {
		ssize_t n = 0;
		int flags = 0, rc = read_one(r, &h, &n, &flags);

		if (rc == 0)
			break;
		if (rc < 0) {
			log_kv_limited(r->lg, &r->rl_send, LOG_LVL_WARN, "reflect: recvmsg failed",
				       "error", strerror(errno), (const char *)0);
			break;
		}
		r->c.received++;
		/* RFC 8762 §4.2.1: an unauthenticated test packet is at least
		 * 44 bytes; a truncated one (longer than our cap) cannot be
		 * answered with a reply of its own size. */
		if (n < PROBE_STAMP_MIN_LEN || (flags & MSG_TRUNC) != 0) {
			char len[24];

			r->c.malformed++;
			snprintf(len, sizeof(len), "%zd", n);
			log_kv_limited(r->lg, &r->rl_malformed, LOG_LVL_DEBUG,
				       "reflect: malformed test packet ignored", "length", len,
				       (const char *)0);
			continue;
		}
		h.len = (uint16_t)n;
		take(r, &h, uv_hrtime());
	}
}

/* ---- set-up ---- */

static int set_int(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v));
}

/* Opens the socket with every receive option we use. The options that
 * fail leave a field unknown (TTL 0, user-space timestamps), not an
 * error: they are best effort on other kernels. */
static int open_socket(const struct probe_reflector_opts *o, struct log *lg)
{
	int af = o->addr.ss_family;
	socklen_t alen = af == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		log_error(lg, "reflect: socket failed", "error", strerror(errno));
		return -1;
	}
	if (set_int(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1) != 0)
		log_warn(lg, "reflect: no kernel receive timestamps", "error", strerror(errno));
	if (af == AF_INET6) {
		(void)set_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
		(void)set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
		(void)set_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255);
	}
	/* also on an IPv6 socket: for IPv4-mapped senders of a dual-stack bind */
	(void)set_int(fd, IPPROTO_IP, IP_RECVTTL, 1);
	(void)set_int(fd, IPPROTO_IP, IP_PKTINFO, 1);
	/* RFC 5357 §4.2 sends test and reflected packets with TTL 255 so
	 * the far end can count hops; we do the same. */
	(void)set_int(fd, IPPROTO_IP, IP_TTL, 255);
	if (bind(fd, (const struct sockaddr *)&o->addr, alen) != 0) {
		char port[8];

		snprintf(port, sizeof(port), "%u",
			 ntohs(af == AF_INET ? ((const struct sockaddr_in *)&o->addr)->sin_port
					     : ((const struct sockaddr_in6 *)&o->addr)->sin6_port));
		log_error(lg, "reflect: cannot bind", "port", port, "error", strerror(errno),
			  "hint", errno == EACCES ? "ports below 1024 need root or "
						     "CAP_NET_BIND_SERVICE"
						   : "");
		close(fd);
		return -1;
	}
	return fd;
}

struct probe_reflector *probe_reflector_new(uv_loop_t *loop, const struct probe_reflector_opts *o,
					    struct log *lg)
{
	struct probe_reflector *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->loop = loop;
	r->lg = lg;
	r->o = *o;
	r->fd = -1;
	r->rng = (uv_hrtime() ^ (uint64_t)getpid() << 32) | 1u;
	if (o->delay > 0.0 || o->delay_jitter > 0.0) {
		r->q = calloc(PROBE_REFLECT_QUEUE_MAX, sizeof(*r->q));
		if (r->q == NULL)
			goto fail;
	}
	r->fd = open_socket(o, lg);
	if (r->fd < 0)
		goto fail;
	if (uv_poll_init_socket(loop, &r->poll, r->fd) != 0)
		goto fail;
	r->open_handles++;
	r->poll.data = r;
	uv_timer_init(loop, &r->timer);
	r->open_handles++;
	r->timer.data = r;
	refresh_err_est(r);
	uv_poll_start(&r->poll, UV_READABLE, on_readable);
	return r;
fail:
	if (r->fd >= 0 && r->open_handles == 0)
		close(r->fd);
	free(r->q);
	free(r);
	return NULL;
}

static void on_closed(uv_handle_t *h)
{
	struct probe_reflector *r = h->data;

	if (--r->open_handles == 0 && r->fd >= 0) {
		close(r->fd);
		r->fd = -1;
	}
}

void probe_reflector_close(struct probe_reflector *r)
{
	if (r == NULL || r->open_handles == 0)
		return;
	uv_poll_stop(&r->poll);
	uv_timer_stop(&r->timer);
	uv_close((uv_handle_t *)&r->poll, on_closed);
	uv_close((uv_handle_t *)&r->timer, on_closed);
}

void probe_reflector_free(struct probe_reflector *r)
{
	if (r == NULL)
		return;
	free(r->q);
	free(r);
}

struct probe_reflector_counts probe_reflector_get(const struct probe_reflector *r)
{
	struct probe_reflector_counts c = {0};

	return r != NULL ? r->c : c;
}

/* ---- `circuitwatch reflect` ---- */

static int parse_ms(const char *s, const char *what, double *out)
{
	char *end = NULL;
	double v;

	*out = 0.0;
	if (s == NULL)
		return 0;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !(v >= 0.0) ||
	    v > PROBE_REFLECT_DELAY_MAX_MS) {
		fprintf(stderr, "circuitwatch: %s must be 0..%.0f milliseconds\n", what,
			PROBE_REFLECT_DELAY_MAX_MS);
		return -1;
	}
	*out = v / 1000.0;
	return 0;
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct probe_reflector *r = s->data;

	(void)signum;
	probe_reflector_close(r);
	uv_close((uv_handle_t *)s, NULL);
	uv_stop(s->loop);
}

static void print_counts(const struct probe_reflector_counts *c)
{
	printf("received=%llu replied=%llu malformed=%llu dropped=%llu send_errors=%llu "
	       "kernel_timestamps=%llu\n",
	       (unsigned long long)c->received, (unsigned long long)c->replied,
	       (unsigned long long)c->malformed, (unsigned long long)c->dropped,
	       (unsigned long long)c->send_errors, (unsigned long long)c->kernel_ts);
	fflush(stdout);
}

static void close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

int probe_reflect_main(const char *listen, const char *delay_ms, const char *jitter_ms,
		       struct log *lg)
{
	struct probe_reflector_opts o = {0};
	struct probe_reflector *r;
	struct probe_reflector_counts c;
	uv_signal_t sigint, sigterm;
	uv_loop_t loop;

	if (listen == NULL) {
		fprintf(stderr, "circuitwatch: reflect needs --listen ADDR[:PORT]\n");
		return 2;
	}
	if (probe_reflector_parse_addr(listen, PROBE_STAMP_PORT, &o.addr) != 0) {
		fprintf(stderr, "circuitwatch: --listen '%s' is not ADDR[:PORT] "
				"(192.0.2.1:862, [2001:db8::1]:862)\n", listen);
		return 2;
	}
	if (parse_ms(delay_ms, "--delay", &o.delay) != 0 ||
	    parse_ms(jitter_ms, "--delay-jitter", &o.delay_jitter) != 0)
		return 2;
	if (uv_loop_init(&loop) != 0)
		return 1;
	r = probe_reflector_new(&loop, &o, lg);
	if (r == NULL) {
		uv_loop_close(&loop);
		return 1;
	}
	uv_signal_init(&loop, &sigint);
	uv_signal_init(&loop, &sigterm);
	sigint.data = sigterm.data = r;
	uv_signal_start(&sigint, on_signal, SIGINT);
	uv_signal_start(&sigterm, on_signal, SIGTERM);
	log_info(lg, "reflect: listening", "listen", listen);
	uv_run(&loop, UV_RUN_DEFAULT);
	/* after a signal: close whatever is left and let the closes finish */
	uv_walk(&loop, close_walk, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	c = probe_reflector_get(r);
	probe_reflector_free(r);
	uv_loop_close(&loop);
	print_counts(&c);
	log_info(lg, "reflect: stopped");
	return 0;
}
