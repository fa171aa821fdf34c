/* transport_tcp.c — TCP connect probes: one non-blocking connect per
 * probe, held by its ring entry until it completes (connected or RST: a
 * reply; another error: a failure) or times out (probe_engine_expire drops
 * it); SO_LINGER 0, so that no probe leaves a TIME_WAIT behind. */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <uv.h>

#include "engine_priv.h"

static void tcp_close(struct tcp_conn *c)
{
	probe_close_poll(&c->poll, &c->fd);
	free(c);
}

/* Detaches the connect of ring entry r and closes it. */
void probe_ring_drop_conn(struct ring_entry *r)
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
	struct probe_target *t = probe_target_lookup(c->e, c->tidx, c->tuid);
	struct ring_entry *r = t ? probe_ring_find(t, c->seq) : NULL;
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
		probe_reply(t, c->seq, ts_sec(&now) - r->t1, ts_sec(&now));
	} else if (err != ETIMEDOUT) {
		enum probe_err why = probe_errno_reason(err);

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

void probe_tcp_send(struct probe_target *t, struct ring_entry *r)
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
	if ((rc = probe_sock_setup(c->fd, t->v6, &t->src, t->has_src, t->ifname, t->dscp, false,
				   &err)) != 0)
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
		probe_log_target_error(e, &e->rl_send, t, "cannot start a TCP probe", err);
	tcp_close(c);
	probe_failed(t, r->seq, (enum probe_err)rc);
}
