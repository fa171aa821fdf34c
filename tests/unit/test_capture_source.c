/* test_capture_source.c — the passive capture pipeline end to end over
 * captures from tests/tools/gen_pcap: frames → VLAN counters, TCP
 * reassembly → BGP framing → inferred sessions → the model (peers up,
 * Adj-RIB-In of each side, Adj-RIB-Out of the neighbour from what our
 * router sends), checked exactly against the generator's summary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <pcap/pcap.h>

#include "config.h"
#include "daemon_config.h"
#include "metrics.h"
#include "model.h"
#include "source.h"
#include "vlan_acct.h"

static const char yaml[] =
	"capture:\n"
	"  enabled: true\n"
	"  interfaces: [gen0]\n"
	"  local_macs: [\"02:00:00:00:00:01\"]\n"
	"circuits:\n"
	"  - id: er-test\n"
	"    provider: expressroute\n"
	"    bandwidth: 1Gbps\n"
	"    links:\n"
	"      primary:\n"
	"        interface: gen0\n"
	"        s_tag: 300\n"
	"        peerings:\n"
	"          - type: private\n"
	"            vlan: 110\n"
	"            prefix_limit: 4000\n"
	"            neighbors: [{address: 198.18.1.2, asn: 12076}]\n"
	"      secondary:\n"
	"        interface: gen0\n"
	"        peerings:\n"
	"          - type: private\n"
	"            vlan: 100\n"
	"            prefix_limit: 4000\n"
	"            neighbors: [{address: 198.18.2.2, asn: 12076}]\n";

struct fx {
	struct cfg_config *cfg;
	struct metrics_registry *reg;
	struct model *m;
	struct cap_source *src;
	json_t *summary;
	char path[64];
};

/* Runs gen_pcap with args into a temporary file and keeps its summary. */
static void generate(struct fx *f, const char *args)
{
	const char *build = getenv("CW_BUILD_DIR");
	char cmd[1024];
	json_error_t err;
	FILE *p;
	int fd;

	if (build == NULL)
		build = ".";
	snprintf(f->path, sizeof(f->path), "/tmp/cw-capsrc-XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s/tests/gen_pcap %s -o %s", build, args, f->path);
	p = popen(cmd, "r");
	assert_non_null(p);
	f->summary = json_loadf(p, JSON_DISABLE_EOF_CHECK, &err);
	assert_int_equal(pclose(p), 0);
	if (f->summary == NULL)
		fail_msg("gen_pcap summary: %s (%s)", err.text, cmd);
}

/* Feeds the generated capture through a source named gen0. */
static void run(struct fx *f)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(f->path, err);
	struct pcap_pkthdr *h;
	const u_char *pkt;

	assert_non_null(pc);
	f->src = cap_source_new(f->m, f->cfg, "gen0", pcap_datalink(pc));
	assert_non_null(f->src);
	while (pcap_next_ex(pc, &h, &pkt) == 1)
		cap_source_packet(f->src, (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6, pkt,
				  h->caplen, h->len);
	cap_source_finish(f->src);
	pcap_close(pc);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct cfg_errors errs = {0};

	assert_non_null(f);
	if (daemon_config_load_buffer("test.yaml", yaml, sizeof(yaml) - 1, &f->cfg, &errs) != 0) {
		cfg_errors_print(&errs, stderr);
		cfg_errors_clean(&errs);
		free(f);
		fail_msg("config did not load");
	}
	f->reg = metrics_registry_new();
	f->m = model_new(f->reg);
	assert_non_null(f->m);
	model_apply_config(f->m, f->cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	cap_source_free(f->src);
	model_free(f->m);
	metrics_registry_free(f->reg);
	cfg_free(f->cfg);
	json_decref(f->summary);
	if (f->path[0])
		unlink(f->path);
	free(f);
	return 0;
}

static struct model_peer *peer(struct fx *f, const char *addr, uint32_t asn)
{
	struct model_router *r = model_router_get(f->m, MODEL_SRC_PCAP, "gen0");
	struct model_peer_key k = {.family = 4};

	assert_non_null(r);
	assert_int_equal(inet_pton(AF_INET, addr, k.addr), 1);
	return model_peer_get(f->m, r, &k, asn, 0);
}

static size_t jint(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(json_object_get(o, a), b);

	assert_true(json_is_integer(v));
	return (size_t)json_integer_value(v);
}

struct vlan_want {
	uint16_t s, c;
	size_t eg_pk, eg_by, in_pk, in_by;
	size_t seen;
};

static int vlan_check(const struct vlan_key *k, const struct vlan_counts *n, void *arg)
{
	struct vlan_want *w = arg;

	for (; w->s != 0 || w->c != 0; w++) {
		if (k->s_tag != w->s || k->c_tag != w->c)
			continue;
		assert_string_equal(k->ifname, "gen0");
		if (k->dir == VLAN_DIR_EGRESS) {
			assert_int_equal(n->packets, w->eg_pk);
			assert_int_equal(n->bytes, w->eg_by);
		} else {
			assert_int_equal(k->dir, VLAN_DIR_INGRESS);
			assert_int_equal(n->packets, w->in_pk);
			assert_int_equal(n->bytes, w->in_by);
		}
		w->seen++;
		return 0;
	}
	fail_msg("unexpected VLAN key s=%u c=%u dir=%u", k->s_tag, k->c_tag, k->dir);
	return 1;
}

/* The value of the first series of family name whose labels contain all of
 * want (a substring), or -1. */
static double series(struct fx *f, const char *name, const char *want)
{
	struct metrics_snapshot *snap;
	double v = -1;

	model_publish(f->m);
	snap = metrics_snapshot_take(f->reg);
	assert_non_null(snap);
	for (size_t i = 0; i < snap->nfamilies; i++) {
		const struct metrics_snap_family *fam = &snap->families[i];

		if (strcmp(fam->name, name) != 0)
			continue;
		for (size_t j = 0; j < fam->nseries && v < 0; j++)
			if (strstr(fam->series[j].labels, want) != NULL)
				v = fam->series[j].value;
	}
	metrics_snapshot_free(f->reg, snap);
	return v;
}

/* Everything the generator says a correct pipeline finds. */
static void check_all(struct fx *f)
{
	json_t *sessions = json_object_get(f->summary, "sessions");
	struct cap_source_stats st = cap_source_stats(f->src);
	struct vlan_want want[8] = {0};
	size_t nwant = 0, msgs = 0;
	size_t i;
	json_t *s;

	json_array_foreach(sessions, i, s) {
		const char *cust = json_string_value(json_object_get(s, "customer"));
		const char *prov = json_string_value(json_object_get(s, "provider"));
		const char *vids = json_string_value(json_object_get(s, "vids"));
		size_t conns = (size_t)json_integer_value(json_object_get(s, "connections"));
		struct model_peer *pp = peer(f, prov, 12076), *cp = peer(f, cust, 65010);
		static const char *const types[] = {"OPEN", "UPDATE", "NOTIFICATION", "KEEPALIVE"};
		struct vlan_want *w = &want[nwant++];
		unsigned a = 0, b = 0;
		bool nb;

		assert_true(conns >= 1);
		assert_true(model_peer_is_up(pp));
		assert_true(model_peer_is_up(cp));
		/* a flap resends the same table on the new connection */
		assert_int_equal(model_prefix_count(pp, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST),
				 jint(s, "provider_sent", "ipv4") / conns);
		assert_int_equal(model_prefix_count(pp, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV6_UNICAST),
				 jint(s, "provider_sent", "ipv6") / conns);
		assert_int_equal(model_prefix_count(cp, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST),
				 jint(s, "customer_sent", "ipv4") / conns);
		assert_int_equal(model_prefix_count(cp, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV6_UNICAST),
				 jint(s, "customer_sent", "ipv6") / conns);
		/* the customer is our router when the provider is a configured
		 * neighbour (sessions 1 and 2): what it sends is the provider's
		 * Adj-RIB-Out; otherwise nobody is known to be ours */
		nb = strcmp(prov, "198.18.1.2") == 0 || strcmp(prov, "198.18.2.2") == 0;
		assert_int_equal(model_prefix_count(pp, MODEL_VIEW_ADJ_OUT_PRE, MODEL_AF_IPV4_UNICAST),
				 nb ? jint(s, "customer_sent", "ipv4") / conns : 0);
		assert_int_equal(model_prefix_count(pp, MODEL_VIEW_ADJ_OUT_PRE, MODEL_AF_IPV6_UNICAST),
				 nb ? jint(s, "customer_sent", "ipv6") / conns : 0);
		assert_int_equal(model_prefix_count(cp, MODEL_VIEW_ADJ_OUT_PRE, MODEL_AF_IPV4_UNICAST),
				 0);
		for (size_t t = 0; t < 4; t++)
			msgs += jint(s, "provider_sent", types[t]) + jint(s, "customer_sent", types[t]);
		if (sscanf(vids, "%u,%u", &a, &b) == 2) {
			w->s = (uint16_t)a;
			w->c = (uint16_t)b;
		} else {
			w->c = (uint16_t)a;
		}
		w->eg_pk = jint(s, "frames", "c2p");
		w->eg_by = jint(s, "bytes", "c2p");
		w->in_pk = jint(s, "frames", "p2c");
		w->in_by = jint(s, "bytes", "p2c");
	}
	assert_int_equal(st.bgp_messages, msgs);
	assert_int_equal(st.packets, (size_t)json_integer_value(json_object_get(f->summary, "frames")));
	assert_int_equal(vlan_acct_walk(cap_source_vlans(f->src), vlan_check, want), 0);
	for (i = 0; i < nwant; i++)
		assert_int_equal(want[i].seen, 2); /* egress and ingress */
	assert_int_equal(vlan_acct_keys(cap_source_vlans(f->src)), 2 * nwant);
}

static void count_peer(const struct cap_source_peer *p, void *arg)
{
	size_t *n = arg;

	/* hold time 90 s (the smaller OPEN's); the generator idles 3 x 30 s
	 * with KEEPALIVEs after each session's table, so by the end of the
	 * file a session that finished first has gone about one hold time
	 * without a message, and none two */
	assert_true(p->hold_risk >= 0 && p->hold_risk < 2);
	assert_true(p->as == 12076 || p->as == 65010);
	(*n)++;
}

/* ---- sessions and TCP health, per connection ---- */

#define MAX_GEN_SESSIONS 8

struct sess_check {
	json_t *summary;
	size_t n;                                  /* connections checked */
	size_t msgs[MAX_GEN_SESSIONS][2][6];       /* by generator session, sender, type */
};

/* The generator session (index) whose customer is addr, and its "tcp"
 * entry for the customer's port. */
static json_t *gen_conn(json_t *summary, const uint8_t *addr, uint16_t port, size_t *index)
{
	char a[INET_ADDRSTRLEN];
	json_t *s, *c;
	size_t i, j;

	assert_non_null(inet_ntop(AF_INET, addr, a, sizeof(a)));
	json_array_foreach(json_object_get(summary, "sessions"), i, s) {
		if (strcmp(json_string_value(json_object_get(s, "customer")), a) != 0)
			continue;
		json_array_foreach(json_object_get(s, "tcp"), j, c) {
			if (json_integer_value(json_object_get(c, "customer_port")) == port) {
				*index = i;
				return c;
			}
		}
	}
	fail_msg("no generated connection from %s port %u", a, port);
	return NULL;
}

/* Microseconds of a time difference, rounded: captures have microsecond
 * timestamps and the doubles near 1.7e9 s keep about 0.2 us. */
static long long us(double seconds)
{
	return (long long)(seconds * 1e6 + (seconds >= 0 ? 0.5 : -0.5));
}

static void check_session(const struct cap_source_session *ss, void *arg)
{
	struct sess_check *sc = arg;
	size_t gi = 0;
	json_t *c = gen_conn(sc->summary, ss->side[0].addr, ss->side[0].port, &gi);
	json_t *hs = json_object_get(c, "handshake_us");
	json_t *gs = json_array_get(json_object_get(sc->summary, "sessions"), gi);
	size_t conns = (size_t)json_integer_value(json_object_get(gs, "connections"));
	bool last = json_equal(c, json_array_get(json_object_get(gs, "tcp"), conns - 1));

	assert_true(gi < MAX_GEN_SESSIONS);
	/* side 0 sent the SYN: the customer */
	assert_int_equal(ss->side[1].port, 179);
	assert_false(ss->mid_session);
	assert_int_equal(ss->side[0].retransmissions, jint(c, "retransmissions", "customer"));
	assert_int_equal(ss->side[1].retransmissions, jint(c, "retransmissions", "provider"));
	assert_int_equal(ss->side[0].zero_windows, jint(c, "zero_windows", "customer"));
	assert_int_equal(ss->side[1].zero_windows, jint(c, "zero_windows", "provider"));
	assert_int_equal(us(ss->syn_synack), json_integer_value(json_object_get(hs, "syn_synack")));
	assert_int_equal(us(ss->synack_ack), json_integer_value(json_object_get(hs, "synack_ack")));
	assert_int_equal(us(ss->handshake_rtt), us(ss->syn_synack) + us(ss->synack_ack));
	assert_int_equal(ss->side[0].as, 65010);
	assert_int_equal(ss->side[1].as, 12076);
	assert_int_equal(ss->hold_time, 90);
	/* the last connection is up with the tables; a flapped one is down
	 * after the provider's NOTIFICATION (Cease, RFC 4486), without routes */
	if (last) {
		assert_string_equal(ss->state, "established");
		assert_int_equal(ss->state_changes, 1);
		assert_true(ss->side[0].has_prefixes && ss->side[1].has_prefixes);
		assert_int_equal(ss->side[0].prefixes[0], jint(gs, "customer_sent", "ipv4") / conns);
		assert_int_equal(ss->side[0].prefixes[1], jint(gs, "customer_sent", "ipv6") / conns);
		assert_int_equal(ss->side[1].prefixes[0], jint(gs, "provider_sent", "ipv4") / conns);
		assert_int_equal(ss->side[1].prefixes[1], jint(gs, "provider_sent", "ipv6") / conns);
	} else {
		assert_string_equal(ss->state, "down");
		assert_string_equal(ss->down_reason, "notification");
		assert_int_equal(ss->notif_code, 6);
		assert_int_equal(ss->notif_subcode, 4);
		assert_int_equal(ss->state_changes, 2);
		assert_false(ss->side[0].has_prefixes || ss->side[1].has_prefixes);
	}
	for (int side = 0; side < 2; side++)
		for (int t = 0; t < 6; t++)
			sc->msgs[gi][side][t] += ss->side[side].msgs[t];
	sc->n++;
}

/* Messages by type per sender, summed over connections, as generated. */
static void check_session_msgs(struct sess_check *sc)
{
	static const char *const types[] = {"", "OPEN", "UPDATE", "NOTIFICATION", "KEEPALIVE"};
	size_t i, conns = 0;
	json_t *gs;

	json_array_foreach(json_object_get(sc->summary, "sessions"), i, gs) {
		conns += (size_t)json_integer_value(json_object_get(gs, "connections"));
		for (int t = 1; t <= 4; t++) {
			assert_int_equal(sc->msgs[i][0][t], jint(gs, "customer_sent", types[t]));
			assert_int_equal(sc->msgs[i][1][t], jint(gs, "provider_sent", types[t]));
		}
		assert_int_equal(sc->msgs[i][0][0] + sc->msgs[i][1][0], 0);
	}
	assert_int_equal(sc->n, conns);
}

/* Every connection's summary, while followed and once more at the end. */
static void check_sessions(struct fx *f)
{
	struct sess_check live = {.summary = f->summary}, ended = {.summary = f->summary};

	cap_source_foreach_session(f->src, check_session, &live);
	check_session_msgs(&live);
	cap_source_on_session_end(f->src, check_session, &ended);
	cap_source_free(f->src);
	f->src = NULL;
	check_session_msgs(&ended);
}

/* TCP health with a far provider and zero windows; the handshake legs and
 * the per-peer values exactly as generated. */
static void peer_health(const struct cap_source_peer *p, void *arg)
{
	struct fx *f = arg;
	json_t *c = json_array_get(
		json_object_get(json_array_get(json_object_get(f->summary, "sessions"), 0), "tcp"), 0);
	json_t *hs = json_object_get(c, "handshake_us");
	const char *who = p->as == 65010 ? "customer" : "provider";

	assert_int_equal(p->retransmissions, jint(c, "retransmissions", who));
	assert_int_equal(p->zero_windows, jint(c, "zero_windows", who));
	assert_int_equal(us(p->handshake_rtt),
			 json_integer_value(json_object_get(hs, "syn_synack")) +
				 json_integer_value(json_object_get(hs, "synack_ack")));
}

static void test_tcp_health(void **state)
{
	struct fx *f = *state;
	json_t *c;

	generate(f, "-k 1 -4 2000 -6 300 -z 4 -r 2500 -d 30 -s 11");
	run(f);
	c = json_array_get(
		json_object_get(json_array_get(json_object_get(f->summary, "sessions"), 0), "tcp"), 0);
	/* the generator's draws give this seed retransmissions both ways */
	assert_true(jint(c, "retransmissions", "customer") > 0);
	assert_true(jint(c, "retransmissions", "provider") > 0);
	assert_int_equal(jint(c, "zero_windows", "customer"), 4);
	assert_true(jint(c, "handshake_us", "syn_synack") >= 2500);
	cap_source_foreach_peer(f->src, cap_source_stats(f->src).last_ts, peer_health, f);
	check_all(f);
	check_sessions(f);
}

static void test_two_sessions(void **state)
{
	struct fx *f = *state;

	generate(f, "-k 2 -4 300 -6 60 -c 7 -p 17 -d 40 -s 3");
	run(f);
	check_all(f);
	/* the published families carry source="pcap" and the circuit mapping */
	assert_true(series(f, "circuitwatch_bgp_session_up",
			   "source=\"pcap\",router=\"gen0\",peer=\"198.18.1.2\",peer_as=\"12076\","
			   "rd=\"\",circuit=\"er-test\",link=\"primary\"") == 1);
	/* headroom from the wire: limit 4000 minus what the customer sends */
	assert_true(series(f, "circuitwatch_bgp_prefix_limit_headroom",
			   "peer=\"198.18.2.2\"") == 4000 - 14);
	{
		size_t n = 0;

		cap_source_foreach_peer(f->src, cap_source_stats(f->src).last_ts, count_peer, &n);
		assert_int_equal(n, 4); /* two sessions, two sides each */
	}
	check_sessions(f);
}

/* Issue 12 item 10: each speaker's series count what that speaker sent
 * (as tshark shows per source): its NOTIFICATIONs, UPDATEs and prefix
 * announcements; never what its neighbour sent to it. */
static void check_per_speaker(struct fx *f)
{
	json_t *sessions = json_object_get(f->summary, "sessions");
	size_t i;
	json_t *s;

	json_array_foreach(sessions, i, s) {
		static const char *const who[] = {"customer", "provider"};

		for (int w = 0; w < 2; w++) {
			char sent[32], want[64];
			double notifs;

			snprintf(sent, sizeof(sent), "%s_sent", who[w]);
			snprintf(want, sizeof(want), "peer=\"%s\"",
				 json_string_value(json_object_get(s, who[w])));
			notifs = series(f, "circuitwatch_bgp_notifications_total", want);
			if (jint(s, sent, "NOTIFICATION") == 0 && notifs != -1)
				fail_msg("%s: %.0f NOTIFICATIONs counted, none sent", want, notifs);
			if (jint(s, sent, "NOTIFICATION") > 0)
				assert_int_equal((size_t)notifs, jint(s, sent, "NOTIFICATION"));
			assert_int_equal((size_t)series(f, "circuitwatch_bgp_updates_received_total", want),
					 jint(s, sent, "UPDATE"));
			assert_int_equal(
				(size_t)series(f, "circuitwatch_bgp_prefixes_announced_total", want),
				jint(s, sent, "ipv4") + jint(s, sent, "ipv6"));
		}
	}
}

static void test_flap(void **state)
{
	struct fx *f = *state;

	generate(f, "-k 3 -4 120 -6 30 -f -d 20 -t 0x88a8 -s 7");
	run(f);
	check_all(f);
	/* up, down on the NOTIFICATION, up on the new connection */
	assert_true(series(f, "circuitwatch_bgp_session_state_changes_total",
			   "peer=\"198.18.1.2\"") == 3);
	assert_true(series(f, "circuitwatch_bgp_notifications_total", "peer=\"198.18.1.2\"") == 1);
	check_sessions(f);
	check_per_speaker(f);
}

/* ---- issue 12 item 12c: every local MAC and prefix counts ---- */

/* One untagged Ethernet/IPv4/UDP frame from src to dst (MACs, addresses). */
static void udp_frame(uint8_t *b, const uint8_t smac[6], const uint8_t dmac[6], const char *sip,
		      const char *dip)
{
	memset(b, 0, 60);
	memcpy(b, dmac, 6);
	memcpy(b + 6, smac, 6);
	b[12] = 0x08; /* IPv4 */
	b[14] = 0x45;
	b[17] = 46; /* IPv4 total length: 60 - 14 */
	b[22] = 64;
	b[23] = 17;
	assert_int_equal(inet_pton(AF_INET, sip, b + 26), 1);
	assert_int_equal(inet_pton(AF_INET, dip, b + 30), 1);
	b[34] = 0x30, b[35] = 0x39; /* 12345 -> 12346 */
	b[36] = 0x30, b[37] = 0x3a;
	b[39] = 26; /* UDP length: 46 - 20 */
}

static int dir_count(const struct vlan_key *k, const struct vlan_counts *n, void *arg)
{
	size_t *by_dir = arg;

	by_dir[k->dir] += n->packets;
	return 0;
}

/* The config: 64 local entries that match nothing, then the one that
 * decides (the 65th on): all 1,024 MACs or 65,535 prefixes must count. */
static struct cfg_config *locals_config(size_t nmacs, size_t nprefixes)
{
	size_t cap = 256 + (nmacs + nprefixes) * 32, n = 0;
	char *y = malloc(cap);
	struct cfg_config *cfg = NULL;
	struct cfg_errors errs = {0};

	assert_non_null(y);
	n += (size_t)snprintf(y + n, cap - n, "capture:\n  enabled: true\n  interfaces: [gen0]\n");
	n += (size_t)snprintf(y + n, cap - n, "  local_macs:%s\n", nmacs ? "" : " []");
	for (size_t i = 0; i < nmacs; i++) /* the last one is ours */
		n += (size_t)snprintf(y + n, cap - n, "    - \"02:00:00:00:%02zx:%02zx\"\n",
				      i + 1 == nmacs ? 0 : 0x10 + i / 256, i + 1 == nmacs ? 1 : i % 256);
	n += (size_t)snprintf(y + n, cap - n, "  local_prefixes:%s\n", nprefixes ? "" : " []");
	for (size_t i = 0; i < nprefixes; i++) /* the last one holds 198.18.7.1 */
		n += (size_t)snprintf(y + n, cap - n, i + 1 == nprefixes ? "    - 198.18.7.0/24\n"
								    : "    - 10.%zu.%zu.0/24\n",
				      i / 256, i % 256);
	if (daemon_config_load_buffer("locals.yaml", y, n, &cfg, &errs) != 0) {
		cfg_errors_print(&errs, stderr);
		fail_msg("config did not load");
	}
	free(y);
	return cfg;
}

static void direction_counts(struct cfg_config *cfg, size_t by_dir[VLAN_DIR_COUNT])
{
	static const uint8_t ours[6] = {0x02, 0, 0, 0, 0, 0x01}, theirs[6] = {0x02, 0, 0, 0, 0, 0x02};
	struct metrics_registry *reg = metrics_registry_new();
	struct model *m = model_new(reg);
	struct cap_source *src;
	uint8_t b[60];

	assert_non_null(m);
	model_apply_config(m, cfg);
	src = cap_source_new(m, cfg, "gen0", DLT_EN10MB);
	assert_non_null(src);
	udp_frame(b, ours, theirs, "198.18.7.1", "203.0.113.9");   /* egress */
	cap_source_packet(src, 1.0, b, sizeof(b), sizeof(b));
	udp_frame(b, theirs, ours, "203.0.113.9", "198.18.7.1");   /* ingress */
	cap_source_packet(src, 1.1, b, sizeof(b), sizeof(b));
	udp_frame(b, theirs, theirs, "203.0.113.9", "203.0.113.8"); /* neither */
	cap_source_packet(src, 1.2, b, sizeof(b), sizeof(b));
	cap_source_finish(src);
	memset(by_dir, 0, VLAN_DIR_COUNT * sizeof(*by_dir));
	assert_int_equal(vlan_acct_walk(cap_source_vlans(src), dir_count, by_dir), 0);
	cap_source_free(src);
	model_free(m);
	metrics_registry_free(reg);
}

static void test_all_local_entries_count(void **state)
{
	static const size_t sizes[][2] = {{65, 0}, {1024, 0}, {0, 65}, {0, 65535}, {1, 0}, {0, 1}};
	size_t by_dir[VLAN_DIR_COUNT];

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct cfg_config *cfg = locals_config(sizes[i][0], sizes[i][1]);

		direction_counts(cfg, by_dir);
		if (by_dir[VLAN_DIR_EGRESS] != 1 || by_dir[VLAN_DIR_INGRESS] != 1 ||
		    by_dir[VLAN_DIR_UNKNOWN] != 1)
			fail_msg("%zu MACs, %zu prefixes: egress %zu ingress %zu unknown %zu",
				 sizes[i][0], sizes[i][1], by_dir[VLAN_DIR_EGRESS],
				 by_dir[VLAN_DIR_INGRESS], by_dir[VLAN_DIR_UNKNOWN]);
		cfg_free(cfg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_two_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_health, setup, teardown),
		cmocka_unit_test(test_all_local_entries_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
