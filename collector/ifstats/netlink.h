/* netlink.h — RTM_GETLINK dumps (rtnetlink, NETLINK_ROUTE) turned into
 * ifstats samples.
 *
 * Two halves: ifstats_nl_walk() is a pure parser over the bytes of one
 * receive (a sequence of netlink messages), checked by the bounds-checked
 * reader — it is wire data from our point of view, so hostile or
 * truncated input is counted per reason, never trusted; ifstats_nl_dump()
 * is the socket edge (libmnl): one dump request, reads until NLMSG_DONE,
 * each read handed to the walker.
 */
#ifndef CW_IFSTATS_NETLINK_H
#define CW_IFSTATS_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rate.h"

#define IFSTATS_NL_RECV_BUF 32768      /* bytes per read: more than a dump skb holds */
#define IFSTATS_NL_MAX_READS 1000000   /* reads per dump before giving up */
#define IFSTATS_NL_TIMEOUT_MS 2000     /* a silent kernel ends the dump as an error */

/* Why a message (or the rest of a read) was not used. */
enum ifstats_nl_error {
	IFSTATS_NL_TRUNCATED,       /* bytes left that do not hold a netlink header */
	IFSTATS_NL_MSG_LENGTH,      /* nlmsg_len below the header or past the read */
	IFSTATS_NL_IFINFO_SHORT,    /* RTM_NEWLINK without a whole struct ifinfomsg */
	IFSTATS_NL_ATTR_LENGTH,     /* nla_len below 4 or past its container */
	IFSTATS_NL_ATTR_TRAILING,   /* 1..3 bytes after the last attribute */
	IFSTATS_NL_IFNAME,          /* IFLA_IFNAME absent, empty, unterminated or too long */
	IFSTATS_NL_OPERSTATE,       /* IFLA_OPERSTATE not one byte */
	IFSTATS_NL_STATS_SHORT,     /* IFLA_STATS64 shorter than its first eight counters */
	IFSTATS_NL_LINKINFO,        /* IFLA_INFO_KIND not a terminated string */
	IFSTATS_NL_VLAN,            /* IFLA_VLAN_ID not 2 bytes 0..4095, or bad protocol */
	IFSTATS_NL_ERROR_MSG,       /* NLMSG_ERROR from the kernel (or a short one) */
	IFSTATS_NL_SEQUENCE,        /* a message of another request (stale dump) */
	IFSTATS_NL_UNEXPECTED_TYPE, /* neither RTM_NEWLINK, NLMSG_DONE, NLMSG_ERROR nor NOOP */
	IFSTATS_NL_INTERRUPTED,     /* NLM_F_DUMP_INTR: links changed during the dump */
	IFSTATS_NL_SOCKET,          /* socket, send or receive failed (edge only) */
	IFSTATS_NL_NERRORS
};

/* Stable snake_case name of an error ("msg_length"), "unknown" out of range. */
const char *ifstats_nl_error_name(enum ifstats_nl_error e);

/* State of one dump across its reads. Zero it, set seq (0: accept any),
 * then walk each read. */
struct ifstats_nl_walk {
	uint32_t seq;                 /* the request's sequence number */
	bool done;                    /* NLMSG_DONE or NLMSG_ERROR seen */
	bool interrupted;             /* NLM_F_DUMP_INTR seen (counted once) */
	int kernel_errno;             /* positive errno of an NLMSG_ERROR; 0 */
	uint64_t messages;            /* netlink messages walked */
	uint64_t links;               /* RTM_NEWLINK parsed and handed on */
	uint64_t errors[IFSTATS_NL_NERRORS];
};

/* Called once per RTM_NEWLINK that parsed; s is valid during the call. */
typedef void (*ifstats_nl_link_cb)(const struct ifstats_sample *s, void *arg);

/* Parses one RTM_NEWLINK message body (what follows the 16-byte netlink
 * header: struct ifinfomsg and attributes) into *out. Returns 0, or -1 and
 * sets *err. Pure. */
int ifstats_nl_parse_link(const uint8_t *body, size_t len, struct ifstats_sample *out,
			  enum ifstats_nl_error *err) __attribute__((warn_unused_result));

/* Walks one read: every message is framed by its header, links are parsed
 * and handed to cb, errors counted in w. Stops at NLMSG_DONE/NLMSG_ERROR
 * or when the framing is lost. Pure. */
void ifstats_nl_walk(struct ifstats_nl_walk *w, const uint8_t *buf, size_t len,
		     ifstats_nl_link_cb cb, void *arg);

/* ---- the socket edge ---- */

struct ifstats_nl;

/* Opens and binds a NETLINK_ROUTE socket. Returns it (owned by the caller,
 * ifstats_nl_free) or NULL with errno set. */
struct ifstats_nl *ifstats_nl_new(void);
void ifstats_nl_free(struct ifstats_nl *nl); /* takes NULL */

/* Called per link with the monotonic time (ns) of the read it came in. */
typedef void (*ifstats_nl_dump_cb)(const struct ifstats_sample *s, uint64_t now_ns, void *arg);

/* One RTM_GETLINK dump, blocking (bounded by IFSTATS_NL_TIMEOUT_MS per
 * read). now_ns returns a monotonic time in ns (the caller's clock).
 * Returns 0 when the dump completed (w->done), -1 otherwise (w->errors
 * says why; the caller should treat the pass as incomplete). */
int ifstats_nl_dump(struct ifstats_nl *nl, struct ifstats_nl_walk *w, ifstats_nl_dump_cb cb,
		    void *arg, uint64_t (*now_ns)(void)) __attribute__((warn_unused_result));

#endif
