/* netlink.c — the socket half of netlink.h: an rtnetlink socket (libmnl)
 * that dumps every link once per call. The kernel cannot filter a link
 * dump by name, so the caller filters (rtnetlink(7), RTM_GETLINK). */
#include "netlink.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>

struct ifstats_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	uint8_t *buf; /* IFSTATS_NL_RECV_BUF */
};

struct ifstats_nl *ifstats_nl_new(void)
{
	struct ifstats_nl *nl = calloc(1, sizeof(*nl));
	struct timeval tv = {.tv_sec = IFSTATS_NL_TIMEOUT_MS / 1000,
			     .tv_usec = (IFSTATS_NL_TIMEOUT_MS % 1000) * 1000};
	int saved;

	if (nl == NULL)
		return NULL;
	nl->buf = malloc(IFSTATS_NL_RECV_BUF);
	nl->sock = mnl_socket_open(NETLINK_ROUTE);
	if (nl->buf == NULL || nl->sock == NULL ||
	    mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) != 0 ||
	    setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
		goto fail;
	nl->portid = mnl_socket_get_portid(nl->sock);
	return nl;
fail:
	saved = errno;
	ifstats_nl_free(nl);
	errno = saved;
	return NULL;
}

void ifstats_nl_free(struct ifstats_nl *nl)
{
	if (nl == NULL)
		return;
	if (nl->sock != NULL)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	free(nl);
}

struct relay {
	ifstats_nl_dump_cb cb;
	void *arg;
	uint64_t now_ns;
};

static void relay_link(const struct ifstats_sample *s, void *arg)
{
	struct relay *r = arg;

	r->cb(s, r->now_ns, r->arg);
}

static int send_request(struct ifstats_nl *nl)
{
	/* aligned for the header casts of libmnl */
	union {
		struct nlmsghdr align;
		uint8_t bytes[MNL_ALIGN(sizeof(struct nlmsghdr)) + MNL_ALIGN(sizeof(struct ifinfomsg))];
	} req = {0};
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req.bytes);
	struct ifinfomsg *ifm;

	if (++nl->seq == 0)
		nl->seq = 1; /* the walker reads 0 as "any" */
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = nl->seq;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	return mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0 ? -1 : 0;
}

int ifstats_nl_dump(struct ifstats_nl *nl, struct ifstats_nl_walk *w, ifstats_nl_dump_cb cb,
		    void *arg, uint64_t (*now_ns)(void))
{
	struct relay relay = {.cb = cb, .arg = arg};

	if (send_request(nl) != 0) {
		w->errors[IFSTATS_NL_SOCKET]++;
		return -1;
	}
	w->seq = nl->seq;
	for (long reads = 0; !w->done && reads < IFSTATS_NL_MAX_READS; reads++) {
		/* fails with ENOSPC when a message did not fit (MSG_TRUNC), and
		 * EAGAIN after IFSTATS_NL_TIMEOUT_MS of silence */
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, IFSTATS_NL_RECV_BUF);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			w->errors[IFSTATS_NL_SOCKET]++;
			return -1;
		}
		relay.now_ns = now_ns();
		ifstats_nl_walk(w, nl->buf, (size_t)n, relay_link, &relay);
	}
	/* an interrupted dump may miss links: not a basis for "vanished" */
	return w->done && w->kernel_errno == 0 && !w->interrupted ? 0 : -1;
}
