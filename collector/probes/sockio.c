/* sockio.c — the socket plumbing every probe transport shares: socket
 * addresses, the options each probe socket gets (device, source address,
 * DSCP, kernel timestamps, error queue), reading one datagram with its
 * control data, the kernel's receive time, and what an error-queue message
 * says. I/O edge without state: each call works on what it is given. */
#include <errno.h>
#include <time.h> /* before linux/errqueue.h, which uses struct timespec */
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "engine_priv.h"

/* The kernel's receive time (SO_TIMESTAMPNS), else the time now. */
double probe_rx_time(struct msghdr *msg)
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

/* The ICMP type of an error-queue message (RFC-numbered), or -1 when
 * there is no extended error; *local when the kernel raised it itself. */
int probe_errqueue_type(struct msghdr *msg, bool *local, int *err)
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
ssize_t probe_read_msg(int fd, uint8_t *buf, size_t cap, struct sockaddr_storage *from,
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

enum probe_err probe_icmp_error_reason(bool v6, uint8_t type)
{
	if (type == (v6 ? ICMP6_DST_UNREACH : ICMP_DEST_UNREACH))
		return PROBE_ERR_UNREACHABLE;
	if (type == (v6 ? ICMP6_TIME_EXCEEDED : ICMP_TIME_EXCEEDED))
		return PROBE_ERR_TIME_EXCEEDED;
	return PROBE_ERR_ICMP_OTHER;
}

void probe_sockaddr_of(bool v6, const uint8_t addr[16], uint16_t port,
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
int probe_sock_setup(int fd, bool v6, const struct sockaddr_storage *src, bool has_src,
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
