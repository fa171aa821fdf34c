/* transport_stamp.c — STAMP probes (RFC 8762): one connected UDP session
 * socket per target, test packets out, reflected packets in (the RTT less
 * the reflector's residence time; one-way components when both clocks are
 * synchronised), ICMP errors from the error queue, and the error estimate
 * of our own clock (adjtimex). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timex.h>
#include <time.h>
#include <uv.h>

#include "engine_priv.h"
#include "stamp.h"

/* RFC 4656 §4.1.2: error = multiplier * 2^-32 * 2^scale seconds; S when
 * the kernel says the clock is synchronised (adjtimex, STA_UNSYNC clear). */
uint16_t probe_clock_error_estimate(void)
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

/* ---- receiving -------------------------------------------------------------- */

static void stamp_reply(struct probe_target *t, const uint8_t *buf, size_t len, double t4)
{
	struct probe_stamp_reply rp;
	struct ring_entry *r;
	double t2, t3, residence, rtt;

	if (len < PROBE_STAMP_MIN_LEN) {
		probe_count_unexpected(t->e, CFG_PROBE_STAMP, PROBE_UNX_TRUNCATED);
		return;
	}
	if (probe_stamp_decode_reply(buf, len, &rp) != 0) {
		probe_count_unexpected(t->e, CFG_PROBE_STAMP, PROBE_UNX_MALFORMED);
		return;
	}
	if ((r = probe_ring_find(t, rp.sender_seq)) == NULL) {
		probe_count_unexpected(t->e, CFG_PROBE_STAMP, PROBE_UNX_STALE);
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
	probe_reply(t, rp.sender_seq, rtt, t4);
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
		ssize_t n = probe_read_msg(t->fd, buf, sizeof(buf), &from, cbuf, &msg,
					   MSG_ERRQUEUE);
		struct probe_stamp_test tp;
		bool local = false;
		int type, err = 0;

		if (n < 0)
			return;
		type = probe_errqueue_type(&msg, &local, &err);
		/* the quoted UDP payload is our test packet: its sequence number */
		if (probe_stamp_decode_test(buf, (size_t)n, &tp) != 0) {
			probe_count_unexpected(t->e, CFG_PROBE_STAMP, PROBE_UNX_STALE);
			continue;
		}
		probe_failed(t, tp.seq,
			     type >= 0 ? probe_icmp_error_reason(t->v6, (uint8_t)type)
				       : local ? probe_errno_reason(err) : PROBE_ERR_ICMP_OTHER);
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
		ssize_t n = probe_read_msg(t->fd, buf, sizeof(buf), &from, cbuf, &msg, 0);

		if (n < 0)
			break;
		stamp_reply(t, buf, (size_t)n, probe_rx_time(&msg));
	}
	stamp_errqueue(t);
	if (status < 0 && t->poll != NULL)
		uv_poll_start(t->poll, UV_READABLE, on_stamp_readable);
}

/* ---- the session socket ----------------------------------------------------- */

int probe_stamp_open(struct probe_target *t)
{
	struct probe_engine *e = t->e;
	int err = 0, rc;

	t->open_err = PROBE_ERR_SOCKET;
	t->fd = socket(t->v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		err = errno;
		goto fail;
	}
	if ((rc = probe_sock_setup(t->fd, t->v6, &t->src, t->has_src, t->ifname, t->dscp, true,
				   &err)) != 0) {
		t->open_err = (enum probe_err)rc;
		goto fail;
	}
	/* connected: the kernel filters replies from anybody else and reports
	 * ICMP errors for this session on its error queue */
	if (connect(t->fd, (const struct sockaddr *)&t->dst, t->dstlen) != 0) {
		err = errno;
		t->open_err = probe_errno_reason(err);
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
		probe_log_target_error(e, &e->rl_socket, t, "cannot open the STAMP socket", err);
	probe_close_poll(&t->poll, &t->fd);
	t->retry_at = mono_now() + PROBE_SOCKET_RETRY_S;
	return -1;
}

/* ---- sending ---------------------------------------------------------------- */

void probe_stamp_send(struct probe_target *t, struct ring_entry *r)
{
	uint8_t buf[PROBE_STAMP_MAX_LEN];
	struct probe_stamp_test tp = {.seq = r->seq, .err_est = t->e->err_est};
	struct timespec t1;
	int len;

	if (t->fd < 0 && (mono_now() < t->retry_at || probe_stamp_open(t) != 0)) {
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
		probe_send_failed(t, r->seq, errno);
}
