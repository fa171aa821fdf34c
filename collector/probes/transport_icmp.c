/* transport_icmp.c — ICMP echo probes: an echo request sent on the
 * target's shared socket (sockpool.c); echo replies, ICMP errors and (on
 * datagram sockets) the error queue read back and matched to their target
 * and probe by the tag in the payload (icmp.h). */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <uv.h>

#include "engine_priv.h"
#include "icmp.h"

/* ---- receiving -------------------------------------------------------------- */

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

static void icmp_echo_reply(struct psock *ps, const struct probe_icmp_msg *m,
			    const struct sockaddr_storage *from, double t4)
{
	struct probe_engine *e = ps->e;
	struct probe_target *t;
	struct ring_entry *r;

	/* a raw socket sees every echo reply of the host */
	if (!m->tagged || (ps->raw && m->id != ps->id)) {
		probe_count_unexpected(e, CFG_PROBE_ICMP, PROBE_UNX_NOT_OURS);
		return;
	}
	if ((t = probe_target_lookup(e, m->tag.tidx, m->tag.tuid)) == NULL || t->ps != ps) {
		probe_count_unexpected(e, CFG_PROBE_ICMP, PROBE_UNX_STALE);
		return;
	}
	if (!same_addr(t, from)) {
		probe_count_unexpected(e, CFG_PROBE_ICMP, PROBE_UNX_WRONG_SOURCE);
		return;
	}
	if ((r = probe_ring_find(t, m->tag.tseq)) == NULL) {
		probe_count_unexpected(e, CFG_PROBE_ICMP, PROBE_UNX_STALE);
		return;
	}
	probe_reply(t, m->tag.tseq, t4 - r->t1, t4);
}

static void icmp_error(struct psock *ps, const struct probe_icmp_msg *m)
{
	struct probe_target *t;

	if (!m->tagged) {
		/* an error about someone else's packet, or quoting too little */
		probe_count_unexpected(ps->e, CFG_PROBE_ICMP, PROBE_UNX_NOT_OURS);
		return;
	}
	t = probe_target_lookup(ps->e, m->tag.tidx, m->tag.tuid);
	if (t == NULL || t->ps != ps || (m->has_dst && !same_raw_addr(t, m->dst))) {
		probe_count_unexpected(ps->e, CFG_PROBE_ICMP, PROBE_UNX_STALE);
		return;
	}
	probe_failed(t, m->tag.tseq, probe_icmp_error_reason(ps->v6, m->type));
}

static void icmp_datagram(struct psock *ps, const uint8_t *buf, size_t len,
			  const struct sockaddr_storage *from, double t4)
{
	struct probe_icmp_msg m;

	if (probe_icmp_parse(buf, len, ps->v6, ps->raw && !ps->v6, &m) != 0) {
		probe_count_unexpected(ps->e, CFG_PROBE_ICMP, PROBE_UNX_TRUNCATED);
		return;
	}
	if (m.kind == PROBE_ICMP_ECHO_REPLY)
		icmp_echo_reply(ps, &m, from, t4);
	else if (m.kind == PROBE_ICMP_ERROR)
		icmp_error(ps, &m);
	/* other types: filtered on raw sockets, never delivered to datagram ones */
}

static void icmp_errqueue(struct psock *ps)
{
	uint8_t buf[PROBE_ICMP_MAX_LEN];
	char cbuf[CMSG_SPACE_MAX];
	struct sockaddr_storage from;
	struct msghdr msg;

	for (unsigned i = 0; i < ERRQ_BATCH; i++) {
		ssize_t n = probe_read_msg(ps->fd, buf, sizeof(buf), &from, cbuf, &msg,
					   MSG_ERRQUEUE);
		struct probe_icmp_tag tag;
		struct probe_target *t;
		uint16_t id, seq;
		bool tagged, local = false;
		int type, err = 0;

		if (n < 0)
			return;
		type = probe_errqueue_type(&msg, &local, &err);
		if (probe_icmp_parse_request(buf, (size_t)n, ps->v6, &id, &seq, &tagged, &tag) != 0 ||
		    !tagged || (t = probe_target_lookup(ps->e, tag.tidx, tag.tuid)) == NULL) {
			probe_count_unexpected(ps->e, CFG_PROBE_ICMP, PROBE_UNX_STALE);
			continue;
		}
		probe_failed(t, tag.tseq,
			     type >= 0 ? probe_icmp_error_reason(ps->v6, (uint8_t)type)
				       : local ? probe_errno_reason(err) : PROBE_ERR_ICMP_OTHER);
	}
}

void probe_on_icmp_readable(uv_poll_t *h, int status, int events)
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
		ssize_t n = probe_read_msg(ps->fd, buf, sizeof(buf), &from, cbuf, &msg, 0);

		if (n < 0)
			break;
		icmp_datagram(ps, buf, (size_t)n, &from, probe_rx_time(&msg));
	}
	if (!ps->raw)
		icmp_errqueue(ps);
	/* libuv stops a poll handle on POLLERR (a queued ICMP error): the
	 * queue is drained, so poll again */
	if (status < 0)
		uv_poll_start(ps->poll, UV_READABLE, probe_on_icmp_readable);
}

/* ---- sending ---------------------------------------------------------------- */

void probe_icmp_send(struct probe_target *t, struct ring_entry *r)
{
	struct psock *ps = t->ps;
	uint8_t buf[PROBE_ICMP_MAX_LEN];
	struct probe_icmp_tag tag = {.tidx = t->idx, .tuid = t->uid, .tseq = r->seq};
	struct timespec t1;
	int len;

	if (ps->fd < 0 && (mono_now() < ps->retry_at || probe_psock_open(ps) != 0)) {
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
		probe_send_failed(t, r->seq, errno);
}
