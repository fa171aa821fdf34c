/* nlmsg.c — the pure half of netlink.h: rtnetlink link messages parsed
 * with the bounds-checked reader. Netlink is host-endian (netlink(7)), so
 * integers are copied, not read big-endian; every length is carved before
 * it is believed ("carve first, interpret second"). */
#include "netlink.h"

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "reader.h"

#define NLHDR_LEN 16   /* struct nlmsghdr */
#define IFINFO_LEN 16  /* struct ifinfomsg */
#define NLA_HDR_LEN 4  /* struct nlattr */
#define STATS64_MIN 64 /* rtnl_link_stats64 up to tx_dropped (8 × u64) */

static const char *const error_names[IFSTATS_NL_NERRORS] = {
	[IFSTATS_NL_TRUNCATED] = "truncated",
	[IFSTATS_NL_MSG_LENGTH] = "msg_length",
	[IFSTATS_NL_IFINFO_SHORT] = "ifinfo_short",
	[IFSTATS_NL_ATTR_LENGTH] = "attr_length",
	[IFSTATS_NL_ATTR_TRAILING] = "attr_trailing",
	[IFSTATS_NL_IFNAME] = "ifname",
	[IFSTATS_NL_OPERSTATE] = "operstate",
	[IFSTATS_NL_STATS_SHORT] = "stats_short",
	[IFSTATS_NL_LINKINFO] = "linkinfo",
	[IFSTATS_NL_VLAN] = "vlan",
	[IFSTATS_NL_ERROR_MSG] = "error_message",
	[IFSTATS_NL_SEQUENCE] = "sequence",
	[IFSTATS_NL_UNEXPECTED_TYPE] = "unexpected_type",
	[IFSTATS_NL_INTERRUPTED] = "interrupted",
	[IFSTATS_NL_SOCKET] = "socket",
};

const char *ifstats_nl_error_name(enum ifstats_nl_error e)
{
	if ((unsigned)e >= IFSTATS_NL_NERRORS)
		return "unknown";
	return error_names[e];
}

/* ---- host-endian reads over the reader ---- */

static int get_he16(struct wire_reader *r, uint16_t *v)
{
	return wire_copy(r, v, sizeof(*v));
}

static int get_he32(struct wire_reader *r, uint32_t *v)
{
	return wire_copy(r, v, sizeof(*v));
}

static int get_he64(struct wire_reader *r, uint64_t *v)
{
	return wire_copy(r, v, sizeof(*v));
}

/* A NUL-terminated string filling at most the attribute: 1..max-1 chars
 * before the first NUL (bytes after it are padding the kernel may add). */
static int get_string(const struct wire_reader *p, char *out, size_t max, bool allow_empty)
{
	const uint8_t *nul = memchr(wire_cur(p), 0, wire_left(p));
	size_t n;

	if (nul == NULL)
		return -1;
	n = (size_t)(nul - wire_cur(p));
	if (n >= max || (n == 0 && !allow_empty))
		return -1;
	memcpy(out, wire_cur(p), n);
	out[n] = '\0';
	return 0;
}

/* ---- attribute iteration ---- */

typedef int (*attr_fn)(uint16_t type, struct wire_reader *payload, void *ctx,
		       enum ifstats_nl_error *err);

/* Carves each attribute (RFC 3549 §2.3.2 framing: 2-byte length including
 * the 4-byte header, 2-byte type, payload padded to 4) and hands its
 * payload to fn. The last attribute's padding may be missing; 1..3 bytes
 * that cannot hold a header are trailing garbage. */
static int attrs_each(struct wire_reader *r, attr_fn fn, void *ctx, enum ifstats_nl_error *err)
{
	while (wire_left(r) >= NLA_HDR_LEN) {
		struct wire_reader payload;
		uint16_t len, type;
		size_t pad;

		if (get_he16(r, &len) != 0 || get_he16(r, &type) != 0 || len < NLA_HDR_LEN ||
		    wire_sub(r, (size_t)len - NLA_HDR_LEN, &payload) != 0) {
			*err = IFSTATS_NL_ATTR_LENGTH;
			return -1;
		}
		pad = (size_t)NLA_ALIGN(len) - len;
		if (wire_skip(r, pad < wire_left(r) ? pad : wire_left(r)) != 0)
			return -1; /* cannot happen: bounded by what is left */
		if (fn((uint16_t)(type & NLA_TYPE_MASK), &payload, ctx, err) != 0)
			return -1;
	}
	if (!wire_done(r)) {
		*err = IFSTATS_NL_ATTR_TRAILING;
		return -1;
	}
	return 0;
}

/* ---- IFLA_LINKINFO (nested): kind, and the VLAN id in the kind's data ---- */

struct linkinfo {
	struct ifstats_sample *s;
	bool has_data;
	struct wire_reader data;
};

static int vlan_attr(uint16_t type, struct wire_reader *p, void *ctx, enum ifstats_nl_error *err)
{
	struct ifstats_sample *s = ctx;
	uint16_t v;

	if (type == IFLA_VLAN_ID) {
		/* 802.1Q VID is 12 bits; 4095 is reserved but the kernel refuses
		 * it anyway, so anything above is a lie */
		if (wire_left(p) != 2 || get_he16(p, &v) != 0 || v > 4095) {
			*err = IFSTATS_NL_VLAN;
			return -1;
		}
		s->vlan_id = v;
	} else if (type == IFLA_VLAN_PROTOCOL) {
		/* network order (__be16): 0x8100 802.1Q, 0x88a8 802.1ad S-tag */
		if (wire_left(p) != 2 || wire_get_u16(p, &v) != 0) {
			*err = IFSTATS_NL_VLAN;
			return -1;
		}
		s->vlan_proto = v;
	}
	return 0;
}

static int linkinfo_attr(uint16_t type, struct wire_reader *p, void *ctx,
			 enum ifstats_nl_error *err)
{
	struct linkinfo *li = ctx;

	if (type == IFLA_INFO_KIND) {
		if (get_string(p, li->s->kind, sizeof(li->s->kind), false) != 0) {
			*err = IFSTATS_NL_LINKINFO;
			return -1;
		}
	} else if (type == IFLA_INFO_DATA) {
		li->has_data = true;
		li->data = *p;
	}
	return 0;
}

/* ---- top-level IFLA_* attributes: a table by type ---- */

struct ifla_def {
	size_t min, max;                 /* payload bytes; max 0 = no upper bound */
	enum ifstats_nl_error len_error; /* reason when the length is off */
	int (*decode)(struct wire_reader *p, struct ifstats_sample *s, enum ifstats_nl_error *err);
};

static int ifla_ifname(struct wire_reader *p, struct ifstats_sample *s, enum ifstats_nl_error *err)
{
	if (get_string(p, s->name, sizeof(s->name), false) != 0) {
		*err = IFSTATS_NL_IFNAME;
		return -1;
	}
	return 0;
}

static int ifla_operstate(struct wire_reader *p, struct ifstats_sample *s,
			  enum ifstats_nl_error *err)
{
	if (wire_get_u8(p, &s->operstate) != 0) {
		*err = IFSTATS_NL_OPERSTATE; /* cannot happen after the length check */
		return -1;
	}
	return 0;
}

/* struct rtnl_link_stats64 grows at its end across kernels; its first
 * eight fields are fixed: rx/tx packets, rx/tx bytes, rx/tx errors,
 * rx/tx dropped. */
static int ifla_stats64(struct wire_reader *p, struct ifstats_sample *s,
			enum ifstats_nl_error *err)
{
	struct ifstats_counters *c = &s->c;
	int rc = 0;

	rc |= get_he64(p, &c->packets[IFSTATS_RX]);
	rc |= get_he64(p, &c->packets[IFSTATS_TX]);
	rc |= get_he64(p, &c->bytes[IFSTATS_RX]);
	rc |= get_he64(p, &c->bytes[IFSTATS_TX]);
	rc |= get_he64(p, &c->errors[IFSTATS_RX]);
	rc |= get_he64(p, &c->errors[IFSTATS_TX]);
	rc |= get_he64(p, &c->dropped[IFSTATS_RX]);
	rc |= get_he64(p, &c->dropped[IFSTATS_TX]);
	s->has_stats = rc == 0;
	if (rc != 0)
		*err = IFSTATS_NL_STATS_SHORT; /* cannot happen after the length check */
	return rc;
}

static int ifla_linkinfo(struct wire_reader *p, struct ifstats_sample *s,
			 enum ifstats_nl_error *err)
{
	struct linkinfo li = {.s = s};

	/* framing errors inside a nest are the nest's reason */
	if (attrs_each(p, linkinfo_attr, &li, err) != 0) {
		if (*err == IFSTATS_NL_ATTR_LENGTH || *err == IFSTATS_NL_ATTR_TRAILING)
			*err = IFSTATS_NL_LINKINFO;
		return -1;
	}
	if (li.has_data && strcmp(s->kind, "vlan") == 0 &&
	    attrs_each(&li.data, vlan_attr, s, err) != 0) {
		*err = IFSTATS_NL_VLAN;
		return -1;
	}
	return 0;
}

static const struct ifla_def ifla_defs[] = {
	[IFLA_IFNAME] = {1, 0, IFSTATS_NL_IFNAME, ifla_ifname},
	[IFLA_OPERSTATE] = {1, 1, IFSTATS_NL_OPERSTATE, ifla_operstate},
	[IFLA_STATS64] = {STATS64_MIN, 0, IFSTATS_NL_STATS_SHORT, ifla_stats64},
	[IFLA_LINKINFO] = {0, 0, IFSTATS_NL_LINKINFO, ifla_linkinfo},
};

static int ifla_attr(uint16_t type, struct wire_reader *p, void *ctx, enum ifstats_nl_error *err)
{
	const struct ifla_def *d;
	size_t n = wire_left(p);

	if (type >= sizeof(ifla_defs) / sizeof(ifla_defs[0]) || ifla_defs[type].decode == NULL)
		return 0; /* attributes we do not use */
	d = &ifla_defs[type];
	if (n < d->min || (d->max != 0 && n > d->max)) {
		*err = d->len_error;
		return -1;
	}
	return d->decode(p, ctx, err); /* sets *err itself */
}

int ifstats_nl_parse_link(const uint8_t *body, size_t len, struct ifstats_sample *out,
			  enum ifstats_nl_error *err)
{
	struct wire_reader r, info;
	uint32_t ifindex, flags;

	memset(out, 0, sizeof(*out));
	wire_init(&r, body, len);
	/* struct ifinfomsg: family, pad, type (u16), index (s32), flags, change */
	if (wire_sub(&r, IFINFO_LEN, &info) != 0 || wire_skip(&info, 4) != 0 ||
	    get_he32(&info, &ifindex) != 0 || get_he32(&info, &flags) != 0) {
		*err = IFSTATS_NL_IFINFO_SHORT;
		return -1;
	}
	out->ifindex = (int32_t)ifindex;
	out->flags = flags;
	if (attrs_each(&r, ifla_attr, out, err) != 0)
		return -1;
	if (out->name[0] == '\0') {
		*err = IFSTATS_NL_IFNAME;
		return -1;
	}
	return 0;
}

/* ---- message framing ---- */

struct nlhdr {
	uint32_t len, seq, pid;
	uint16_t type, flags;
};

static int get_nlhdr(struct wire_reader *r, struct nlhdr *h)
{
	int rc = 0;

	rc |= get_he32(r, &h->len);
	rc |= get_he16(r, &h->type);
	rc |= get_he16(r, &h->flags);
	rc |= get_he32(r, &h->seq);
	rc |= get_he32(r, &h->pid);
	return rc;
}

static void on_error_msg(struct ifstats_nl_walk *w, struct wire_reader *body)
{
	uint32_t e;

	w->done = true;
	/* struct nlmsgerr: a negative errno, 0 for an ACK (netlink(7)) */
	if (get_he32(body, &e) != 0) {
		w->errors[IFSTATS_NL_ERROR_MSG]++;
		w->kernel_errno = -1;
		return;
	}
	if (e != 0) {
		w->errors[IFSTATS_NL_ERROR_MSG]++;
		w->kernel_errno = (int32_t)e < 0 && (int32_t)e > -4096 ? -(int32_t)e : -1;
	}
}

static void on_message(struct ifstats_nl_walk *w, const struct nlhdr *h,
		       struct wire_reader *body, ifstats_nl_link_cb cb, void *arg)
{
	struct ifstats_sample s;
	enum ifstats_nl_error err;

	if (w->seq != 0 && h->seq != w->seq) {
		w->errors[IFSTATS_NL_SEQUENCE]++;
		return;
	}
	if ((h->flags & NLM_F_DUMP_INTR) && !w->interrupted) {
		w->interrupted = true;
		w->errors[IFSTATS_NL_INTERRUPTED]++;
	}
	switch (h->type) {
	case NLMSG_DONE:
		w->done = true;
		break;
	case NLMSG_ERROR:
		on_error_msg(w, body);
		break;
	case NLMSG_NOOP:
		break;
	case RTM_NEWLINK:
		if (ifstats_nl_parse_link(wire_cur(body), wire_left(body), &s, &err) != 0) {
			w->errors[err]++;
			break;
		}
		w->links++;
		if (cb != NULL)
			cb(&s, arg);
		break;
	default:
		w->errors[IFSTATS_NL_UNEXPECTED_TYPE]++;
	}
}

void ifstats_nl_walk(struct ifstats_nl_walk *w, const uint8_t *buf, size_t len,
		     ifstats_nl_link_cb cb, void *arg)
{
	struct wire_reader r;

	wire_init(&r, buf, len);
	while (!w->done && !wire_done(&r)) {
		struct wire_reader body;
		struct nlhdr h;
		size_t pad;

		if (wire_left(&r) < NLHDR_LEN || get_nlhdr(&r, &h) != 0) {
			w->errors[IFSTATS_NL_TRUNCATED]++;
			return;
		}
		/* the framing is lost with a bad length: drop the rest of the read */
		if (h.len < NLHDR_LEN || wire_sub(&r, h.len - NLHDR_LEN, &body) != 0) {
			w->errors[IFSTATS_NL_MSG_LENGTH]++;
			return;
		}
		pad = (size_t)NLMSG_ALIGN(h.len) - h.len;
		if (wire_skip(&r, pad < wire_left(&r) ? pad : wire_left(&r)) != 0)
			return;
		w->messages++;
		on_message(w, &h, &body, cb, arg);
	}
}
