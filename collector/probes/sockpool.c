/* sockpool.c — the shared ICMP sockets of the probe engine: one per
 * (family, source address, interface, DSCP), taken and released by
 * reference count, opened as the unprivileged datagram socket or a raw one
 * (probes.icmp_socket), filtered, and retried PROBE_SOCKET_RETRY_S after a
 * failure to open. What arrives on them is read by transport_icmp.c. */
#include <errno.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <uv.h>

#include "engine_priv.h"
#include "log.h"
#include "sched.h"

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

int probe_psock_open(struct psock *ps)
{
	struct probe_engine *e = ps->e;
	struct sockaddr_storage src;
	socklen_t sl;
	int err = 0, rc;

	probe_sockaddr_of(ps->v6, ps->src, 0, &src, &sl);
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
	if ((rc = probe_sock_setup(ps->fd, ps->v6, &src, ps->has_src, ps->ifname, ps->dscp,
				   !ps->raw, &err)) != 0) {
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
	if (uv_poll_start(ps->poll, UV_READABLE, probe_on_icmp_readable) != 0)
		goto fail;
	log_debug(e->log, "ICMP socket open", "family", ps->v6 ? "ipv6" : "ipv4", "kind",
		  ps->raw ? "raw" : "datagram", "interface", ps->ifname);
	return 0;
fail:
	probe_close_poll(&ps->poll, &ps->fd);
	ps->retry_at = mono_now() + PROBE_SOCKET_RETRY_S;
	return -1;
}

struct psock *probe_psock_get(struct probe_engine *e, const struct probe_target *t)
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
	(void)probe_psock_open(ps);
	return ps;
}

void probe_psock_put(struct probe_engine *e, struct psock *ps)
{
	if (ps == NULL || --ps->refs > 0)
		return;
	for (struct psock **p = &e->socks; *p != NULL; p = &(*p)->next)
		if (*p == ps) {
			*p = ps->next;
			break;
		}
	probe_close_poll(&ps->poll, &ps->fd);
	free(ps);
}
