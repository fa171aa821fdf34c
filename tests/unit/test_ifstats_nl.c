/* test_ifstats_nl.c — rtnetlink link messages: well-formed ones built the
 * way the kernel builds them (libmnl), a real dump of this machine's
 * links, and hostile ones (lying lengths, truncation at every byte,
 * unterminated names, short stats, bad VLAN ids, stale and error
 * messages). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netlink.h"

#define SEQ 4242

union msgbuf {
	struct nlmsghdr align;
	uint8_t b[4096];
};

struct link_spec {
	const char *name;
	int ifindex;
	int operstate;      /* -1: absent */
	bool stats;
	size_t stats_len;   /* 0: the full struct */
	const char *kind;   /* NULL: no IFLA_LINKINFO */
	int vlan_id;        /* -1: absent */
	uint16_t vlan_proto;
};

/* Appends an RTM_NEWLINK as the kernel writes it (rtnl_fill_ifinfo: ifinfomsg,
 * then IFLA_IFNAME, ..., IFLA_OPERSTATE, IFLA_STATS64, IFLA_LINKINFO). */
static struct nlmsghdr *put_link(uint8_t *at, const struct link_spec *sp)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	struct ifinfomsg *ifm;
	struct rtnl_link_stats64 st;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = SEQ;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_index = sp->ifindex;
	ifm->ifi_flags = 0x1043; /* UP, BROADCAST, RUNNING, MULTICAST */
	if (sp->name != NULL)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, sp->name);
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	if (sp->operstate >= 0)
		mnl_attr_put_u8(nlh, IFLA_OPERSTATE, (uint8_t)sp->operstate);
	if (sp->stats) {
		memset(&st, 0, sizeof(st));
		st.rx_packets = 11;
		st.tx_packets = 22;
		st.rx_bytes = 0x0123456789abcdefULL;
		st.tx_bytes = 4444;
		st.rx_errors = 5;
		st.tx_errors = 6;
		st.rx_dropped = 7;
		st.tx_dropped = 8;
		st.multicast = 99;
		/* room for a longer struct of a future kernel (zeros after ours) */
		uint64_t wide[48] = {0};

		memcpy(wide, &st, sizeof(st));
		assert_true(sp->stats_len <= sizeof(wide));
		mnl_attr_put(nlh, IFLA_STATS64, sp->stats_len ? sp->stats_len : sizeof(st), wide);
	}
	if (sp->kind != NULL) {
		struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);

		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, sp->kind);
		if (sp->vlan_id >= 0) {
			struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);

			mnl_attr_put_u16(nlh, IFLA_VLAN_PROTOCOL, htons(sp->vlan_proto));
			mnl_attr_put_u16(nlh, IFLA_VLAN_ID, (uint16_t)sp->vlan_id);
			mnl_attr_nest_end(nlh, data);
		}
		mnl_attr_nest_end(nlh, li);
	}
	return nlh;
}

static size_t put_done(uint8_t *at, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	int zero = 0;

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = seq;
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(zero)), &zero, sizeof(zero));
	return nlh->nlmsg_len;
}

static const struct link_spec vlan_spec = {"eth1.100", 7, 6, true, 0, "vlan", 100, 0x8100};

struct collected {
	size_t n;
	struct ifstats_sample s[8];
};

static void collect(const struct ifstats_sample *s, void *arg)
{
	struct collected *c = arg;

	if (c->n < 8)
		c->s[c->n++] = *s;
}

static uint64_t total_errors(const struct ifstats_nl_walk *w)
{
	uint64_t n = 0;

	for (int e = 0; e < IFSTATS_NL_NERRORS; e++)
		n += w->errors[e];
	return n;
}

static void test_vlan_link(void **state)
{
	union msgbuf m;
	struct nlmsghdr *nlh = put_link(m.b, &vlan_spec);
	struct ifstats_sample s;
	enum ifstats_nl_error err;

	(void)state;
	assert_int_equal(ifstats_nl_parse_link(m.b + 16, nlh->nlmsg_len - 16, &s, &err), 0);
	assert_string_equal(s.name, "eth1.100");
	assert_int_equal(s.ifindex, 7);
	assert_int_equal(s.flags, 0x1043);
	assert_int_equal(s.operstate, 6);
	assert_true(s.has_stats);
	assert_true(s.c.bytes[IFSTATS_RX] == 0x0123456789abcdefULL);
	assert_int_equal(s.c.bytes[IFSTATS_TX], 4444);
	assert_int_equal(s.c.packets[IFSTATS_RX], 11);
	assert_int_equal(s.c.packets[IFSTATS_TX], 22);
	assert_int_equal(s.c.errors[IFSTATS_RX], 5);
	assert_int_equal(s.c.errors[IFSTATS_TX], 6);
	assert_int_equal(s.c.dropped[IFSTATS_RX], 7);
	assert_int_equal(s.c.dropped[IFSTATS_TX], 8);
	assert_string_equal(s.kind, "vlan");
	assert_int_equal(s.vlan_id, 100);
	assert_int_equal(s.vlan_proto, 0x8100);
}

static void test_qinq_and_plain(void **state)
{
	const struct link_spec qinq = {"er.300", 8, 6, true, 0, "vlan", 300, 0x88a8};
	const struct link_spec veth = {"cwif0", 9, 2, true, 0, "veth", -1, 0};
	const struct link_spec bare = {"eth0", 2, -1, false, 0, NULL, -1, 0};
	/* an older kernel's shorter struct, and a future longer one */
	const struct link_spec old = {"eth2", 3, 6, true, 23 * 8, NULL, -1, 0};
	const struct link_spec future = {"eth3", 4, 6, true, 40 * 8, NULL, -1, 0};
	union msgbuf m;
	struct ifstats_sample s;
	enum ifstats_nl_error err;
	struct nlmsghdr *nlh;

	(void)state;
	nlh = put_link(m.b, &qinq);
	assert_int_equal(ifstats_nl_parse_link(m.b + 16, nlh->nlmsg_len - 16, &s, &err), 0);
	assert_int_equal(s.vlan_id, 300);
	assert_int_equal(s.vlan_proto, 0x88a8);
	nlh = put_link(m.b, &veth);
	assert_int_equal(ifstats_nl_parse_link(m.b + 16, nlh->nlmsg_len - 16, &s, &err), 0);
	assert_string_equal(s.kind, "veth");
	assert_int_equal(s.vlan_id, 0);
	assert_int_equal(s.operstate, 2);
	nlh = put_link(m.b, &bare);
	assert_int_equal(ifstats_nl_parse_link(m.b + 16, nlh->nlmsg_len - 16, &s, &err), 0);
	assert_false(s.has_stats);
	assert_string_equal(s.kind, "");
	nlh = put_link(m.b, &old);
	assert_int_equal(ifstats_nl_parse_link(m.b + 16, nlh->nlmsg_len - 16, &s, &err), 0);
	assert_int_equal(s.c.bytes[IFSTATS_TX], 4444);
	nlh = put_link(m.b, &future);
	assert_int_equal(ifstats_nl_parse_link(m.b + 16, nlh->nlmsg_len - 16, &s, &err), 0);
	assert_int_equal(s.c.dropped[IFSTATS_TX], 8);
}

/* A read with three links and NLMSG_DONE; anything after DONE is ignored. */
static void test_walk_dump(void **state)
{
	union msgbuf m;
	const struct link_spec a = {"lo", 1, 0, true, 0, NULL, -1, 0};
	const struct link_spec b = {"cwif0", 9, 6, true, 0, "veth", -1, 0};
	size_t off = 0;
	struct collected c = {0};
	struct ifstats_nl_walk w = {.seq = SEQ};

	(void)state;
	off += MNL_ALIGN(put_link(m.b + off, &a)->nlmsg_len);
	off += MNL_ALIGN(put_link(m.b + off, &b)->nlmsg_len);
	off += MNL_ALIGN(put_link(m.b + off, &vlan_spec)->nlmsg_len);
	off += put_done(m.b + off, SEQ);
	off += MNL_ALIGN(put_link(m.b + off, &a)->nlmsg_len); /* after DONE */
	ifstats_nl_walk(&w, m.b, off, collect, &c);
	assert_true(w.done);
	assert_int_equal(w.links, 3);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.s[0].name, "lo");
	assert_string_equal(c.s[2].name, "eth1.100");
	assert_int_equal(total_errors(&w), 0);
	assert_int_equal(w.kernel_errno, 0);
}

/* Every prefix of a read: never a crash, never a link from a message
 * that was cut, and a cut message is always counted. */
static void test_truncated_everywhere(void **state)
{
	union msgbuf m;
	size_t len = put_link(m.b, &vlan_spec)->nlmsg_len;

	(void)state;
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		struct ifstats_nl_walk w = {.seq = SEQ};
		struct collected c = {0};

		memcpy(copy, m.b, cut);
		ifstats_nl_walk(&w, copy, cut, collect, &c);
		assert_int_equal(c.n, 0);
		assert_int_equal(total_errors(&w), cut == 0 ? 0 : 1);
		free(copy);
	}
	/* the body cut at every byte: parse fails with a reason, or (when the
	 * cut falls between attributes) succeeds only with a name */
	for (size_t cut = 0; cut < len - 16; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		struct ifstats_sample s;
		enum ifstats_nl_error err = IFSTATS_NL_NERRORS;

		memcpy(copy, m.b + 16, cut);
		if (ifstats_nl_parse_link(copy, cut, &s, &err) == 0)
			assert_string_equal(s.name, "eth1.100");
		else
			assert_true(err < IFSTATS_NL_NERRORS);
		free(copy);
	}
}

/* Writes a host-order u16 at p (for lying lengths). */
static void poke16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void poke32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static enum ifstats_nl_error parse_error(const uint8_t *body, size_t len)
{
	struct ifstats_sample s;
	enum ifstats_nl_error err = IFSTATS_NL_NERRORS;

	assert_int_equal(ifstats_nl_parse_link(body, len, &s, &err), -1);
	return err;
}

/* Offset (in the message) of the first attribute of a type. */
static size_t attr_at(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *a;

	const uint8_t *tail = mnl_nlmsg_get_payload_tail(nlh);

	for (a = mnl_nlmsg_get_payload_offset(nlh, sizeof(struct ifinfomsg));
	     mnl_attr_ok(a, (int)(tail - (const uint8_t *)a)); a = mnl_attr_next(a))
		if (mnl_attr_get_type(a) == type)
			return (size_t)((const uint8_t *)a - (const uint8_t *)nlh);
	fail();
	return 0;
}

static void test_hostile_attributes(void **state)
{
	union msgbuf m;
	struct nlmsghdr *nlh;
	size_t len, at;

	(void)state;
	/* nla_len past the message */
	nlh = put_link(m.b, &vlan_spec);
	len = nlh->nlmsg_len;
	at = attr_at(nlh, IFLA_STATS64);
	poke16(m.b + at, 0xfff0);
	assert_int_equal(parse_error(m.b + 16, len - 16), IFSTATS_NL_ATTR_LENGTH);
	/* nla_len below the header */
	poke16(m.b + at, 3);
	assert_int_equal(parse_error(m.b + 16, len - 16), IFSTATS_NL_ATTR_LENGTH);
	/* IFLA_STATS64 one byte short of eight counters */
	nlh = put_link(m.b, &(struct link_spec){"eth1", 2, 6, true, 63, NULL, -1, 0});
	assert_int_equal(parse_error(m.b + 16, nlh->nlmsg_len - 16), IFSTATS_NL_STATS_SHORT);
	/* IFLA_OPERSTATE of 4 bytes */
	nlh = put_link(m.b, &(struct link_spec){"eth1", 2, -1, true, 0, NULL, -1, 0});
	mnl_attr_put_u32(nlh, IFLA_OPERSTATE, 6);
	assert_int_equal(parse_error(m.b + 16, nlh->nlmsg_len - 16), IFSTATS_NL_OPERSTATE);
	/* no name at all */
	nlh = put_link(m.b, &(struct link_spec){NULL, 2, 6, true, 0, NULL, -1, 0});
	assert_int_equal(parse_error(m.b + 16, nlh->nlmsg_len - 16), IFSTATS_NL_IFNAME);
	/* a name of 16 characters (IFNAMSIZ - 1 is the most) */
	nlh = put_link(m.b, &(struct link_spec){"abcdefghijklmnop", 2, 6, true, 0, NULL, -1, 0});
	assert_int_equal(parse_error(m.b + 16, nlh->nlmsg_len - 16), IFSTATS_NL_IFNAME);
	/* an unterminated name: overwrite the NUL and the padding */
	nlh = put_link(m.b, &(struct link_spec){"eth1234", 2, 6, true, 0, NULL, -1, 0});
	at = attr_at(nlh, IFLA_IFNAME);
	poke16(m.b + at, 4 + 7);
	m.b[at + 4 + 7] = 'x';
	assert_int_equal(parse_error(m.b + 16, nlh->nlmsg_len - 16), IFSTATS_NL_IFNAME);
	/* an empty name */
	nlh = put_link(m.b, &(struct link_spec){"", 2, 6, true, 0, NULL, -1, 0});
	assert_int_equal(parse_error(m.b + 16, nlh->nlmsg_len - 16), IFSTATS_NL_IFNAME);
	/* VLAN id 5000 */
	nlh = put_link(m.b, &(struct link_spec){"eth1.5", 2, 6, true, 0, "vlan", 5000, 0x8100});
	assert_int_equal(parse_error(m.b + 16, nlh->nlmsg_len - 16), IFSTATS_NL_VLAN);
	/* an unterminated kind */
	nlh = put_link(m.b, &(struct link_spec){"eth1.5", 2, 6, true, 0, "vlan", 5, 0x8100});
	at = attr_at(nlh, IFLA_LINKINFO);
	m.b[at + 4 + 4 + 4] = 'x'; /* the NUL after "vlan" */
	assert_int_equal(parse_error(m.b + 16, nlh->nlmsg_len - 16), IFSTATS_NL_LINKINFO);
	/* a nested attribute lying about its length inside IFLA_LINKINFO */
	nlh = put_link(m.b, &(struct link_spec){"eth1.5", 2, 6, true, 0, "vlan", 5, 0x8100});
	at = attr_at(nlh, IFLA_LINKINFO);
	poke16(m.b + at + 4, 200);
	assert_int_equal(parse_error(m.b + 16, nlh->nlmsg_len - 16), IFSTATS_NL_LINKINFO);
	/* two stray bytes after the last attribute */
	nlh = put_link(m.b, &(struct link_spec){"eth1", 2, 6, true, 0, NULL, -1, 0});
	assert_int_equal(parse_error(m.b + 16, nlh->nlmsg_len - 16 + 2), IFSTATS_NL_ATTR_TRAILING);
	/* shorter than struct ifinfomsg */
	assert_int_equal(parse_error(m.b + 16, 15), IFSTATS_NL_IFINFO_SHORT);
}

static void test_hostile_framing(void **state)
{
	union msgbuf m;
	struct nlmsghdr *nlh;
	struct ifstats_nl_walk w;
	struct collected c;
	size_t len;

	(void)state;
	/* nlmsg_len below the header: the rest of the read is dropped */
	nlh = put_link(m.b, &vlan_spec);
	len = nlh->nlmsg_len;
	poke32(m.b, 8);
	w = (struct ifstats_nl_walk){.seq = SEQ};
	ifstats_nl_walk(&w, m.b, len, collect, &(struct collected){0});
	assert_int_equal(w.errors[IFSTATS_NL_MSG_LENGTH], 1);
	/* nlmsg_len past the read */
	poke32(m.b, (uint32_t)len + 1);
	w = (struct ifstats_nl_walk){.seq = SEQ};
	ifstats_nl_walk(&w, m.b, len, collect, &(struct collected){0});
	assert_int_equal(w.errors[IFSTATS_NL_MSG_LENGTH], 1);
	poke32(m.b, UINT32_MAX);
	w = (struct ifstats_nl_walk){.seq = SEQ};
	ifstats_nl_walk(&w, m.b, len, collect, &(struct collected){0});
	assert_int_equal(w.errors[IFSTATS_NL_MSG_LENGTH], 1);
	/* a stale message of another dump, then ours */
	nlh = put_link(m.b, &vlan_spec);
	nlh->nlmsg_seq = SEQ - 1;
	len = MNL_ALIGN(nlh->nlmsg_len);
	len += MNL_ALIGN(put_link(m.b + len, &vlan_spec)->nlmsg_len);
	w = (struct ifstats_nl_walk){.seq = SEQ};
	c = (struct collected){0};
	ifstats_nl_walk(&w, m.b, len, collect, &c);
	assert_int_equal(w.errors[IFSTATS_NL_SEQUENCE], 1);
	assert_int_equal(c.n, 1);
	assert_false(w.done);
	/* an interrupted dump is flagged (once) */
	nlh = put_link(m.b, &vlan_spec);
	nlh->nlmsg_flags |= NLM_F_DUMP_INTR;
	len = MNL_ALIGN(nlh->nlmsg_len);
	nlh = put_link(m.b + len, &vlan_spec);
	nlh->nlmsg_flags |= NLM_F_DUMP_INTR;
	len += MNL_ALIGN(nlh->nlmsg_len);
	w = (struct ifstats_nl_walk){.seq = SEQ};
	ifstats_nl_walk(&w, m.b, len, collect, &(struct collected){0});
	assert_true(w.interrupted);
	assert_int_equal(w.errors[IFSTATS_NL_INTERRUPTED], 1);
	assert_int_equal(w.links, 2);
	/* a message of another type */
	nlh = put_link(m.b, &vlan_spec);
	nlh->nlmsg_type = RTM_NEWADDR;
	w = (struct ifstats_nl_walk){.seq = SEQ};
	ifstats_nl_walk(&w, m.b, nlh->nlmsg_len, collect, &(struct collected){0});
	assert_int_equal(w.errors[IFSTATS_NL_UNEXPECTED_TYPE], 1);
	/* 5 bytes of garbage after a message */
	len = put_link(m.b, &vlan_spec)->nlmsg_len;
	memset(m.b + len, 0xee, 5);
	w = (struct ifstats_nl_walk){.seq = SEQ};
	ifstats_nl_walk(&w, m.b, len + 5, collect, &(struct collected){0});
	assert_int_equal(w.links, 1);
	assert_int_equal(w.errors[IFSTATS_NL_TRUNCATED], 1);
}

static void test_error_messages(void **state)
{
	union msgbuf m;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(m.b);
	struct nlmsgerr *e;
	struct ifstats_nl_walk w = {.seq = SEQ};

	(void)state;
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = SEQ;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = -EPERM;
	ifstats_nl_walk(&w, m.b, nlh->nlmsg_len, collect, &(struct collected){0});
	assert_true(w.done);
	assert_int_equal(w.kernel_errno, EPERM);
	assert_int_equal(w.errors[IFSTATS_NL_ERROR_MSG], 1);
	/* an error message too short to hold the errno */
	nlh->nlmsg_len = 16 + 2;
	w = (struct ifstats_nl_walk){.seq = SEQ};
	ifstats_nl_walk(&w, m.b, nlh->nlmsg_len, collect, &(struct collected){0});
	assert_true(w.done);
	assert_int_equal(w.kernel_errno, -1);
	/* an absurd errno */
	nlh->nlmsg_len = 16 + sizeof(*e);
	e->error = INT32_MIN;
	w = (struct ifstats_nl_walk){.seq = SEQ};
	ifstats_nl_walk(&w, m.b, nlh->nlmsg_len, collect, &(struct collected){0});
	assert_int_equal(w.kernel_errno, -1);
	assert_string_equal(ifstats_nl_error_name(IFSTATS_NL_MSG_LENGTH), "msg_length");
	assert_string_equal(ifstats_nl_error_name(IFSTATS_NL_NERRORS), "unknown");
	for (int i = 0; i < IFSTATS_NL_NERRORS; i++)
		assert_string_not_equal(ifstats_nl_error_name((enum ifstats_nl_error)i), "unknown");
}

/* ---- the real kernel ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct real {
	bool lo;
	struct ifstats_sample s;
	size_t n;
};

static void on_real(const struct ifstats_sample *s, uint64_t t, void *arg)
{
	struct real *r = arg;

	(void)t;
	r->n++;
	if (strcmp(s->name, "lo") == 0) {
		r->lo = true;
		r->s = *s;
	}
}

static uint64_t sysfs_u64(const char *path)
{
	FILE *fp = fopen(path, "r");
	unsigned long long v = 0;

	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%llu", &v), 1);
	fclose(fp);
	return v;
}

/* A dump of this machine's links (rtnetlink dumps need no privilege):
 * the loopback is there, index 1, operstate unknown, and its counters
 * agree with sysfs read just before (they only grow). */
static void test_real_dump(void **state)
{
	struct ifstats_nl *nl = ifstats_nl_new();
	struct ifstats_nl_walk w = {0};
	struct real r = {0};
	uint64_t rx;

	(void)state;
	if (nl == NULL) {
		print_message("no rtnetlink socket here (%s): skipped\n", strerror(errno));
		skip();
	}
	rx = sysfs_u64("/sys/class/net/lo/statistics/rx_bytes");
	assert_int_equal(ifstats_nl_dump(nl, &w, on_real, &r, now_ns), 0);
	assert_true(w.done);
	assert_true(r.lo);
	assert_true(r.n >= 1);
	assert_int_equal(w.links, r.n);
	assert_int_equal(total_errors(&w), 0);
	assert_int_equal(r.s.ifindex, 1);
	assert_true(r.s.has_stats);
	assert_true(r.s.c.bytes[IFSTATS_RX] >= rx);
	/* a second dump on the same socket works too */
	w = (struct ifstats_nl_walk){0};
	assert_int_equal(ifstats_nl_dump(nl, &w, on_real, &r, now_ns), 0);
	ifstats_nl_free(nl);
	ifstats_nl_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vlan_link),
		cmocka_unit_test(test_qinq_and_plain),
		cmocka_unit_test(test_walk_dump),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_hostile_attributes),
		cmocka_unit_test(test_hostile_framing),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_real_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
