/* bench_capture.c — offline capture decoding rate against a bare libpcap
 * read loop over the same file (issue 4, "Benchmark").
 *
 * Two timed passes, each opening the file with pcap_open_offline and
 * looping pcap_next_ex to the end:
 *   bare      touches each packet's first byte and nothing else: the
 *             physical limit of reading this file on this machine;
 *   pipeline  what the capture path does with a frame, without any output:
 *             cap_frame_decode → per-VLAN accounting (vlan_acct_add, every
 *             frame) → for TCP port 179 the flow table and reassembly →
 *             bgp_frame over the reassembled bytes → bgp_update_decode with
 *             the context the connection's two OPENs negotiate (defaults
 *             until both were seen), counting messages and the prefixes of
 *             the NLRI iterators.
 * Each pass runs RUNS times (page cache warm after the first); the best is
 * reported. The JSON serialisation of `circuitwatch decode` is not measured.
 *
 * usage: bench_capture [--runs N] [--expect-messages N] [--expect-prefixes N]
 *                      FILE.pcap
 * With --expect-*, the counts found are compared (exit 1 on a mismatch). */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include "bgp.h"
#include "flows.h"
#include "frame.h"
#include "reasm.h"
#include "vlan_acct.h"

#define BGP_PORT 179

struct counts {
	uint64_t packets, bytes; /* bytes on the wire (pcap header len) */
	uint64_t messages, updates, announced, withdrawn;
	uint64_t bad_frames, bgp_segments, framing_errors, update_errors, vlan_keys;
	uint64_t acct_packets, acct_bytes; /* summed back from vlan_acct */
	unsigned sink;                     /* keeps the bare loop honest */
};

/* flow->user: the OPENs of both sides and the contexts they negotiate. */
struct bflow {
	bool open_seen[2];
	struct bgp_open open[2];
	struct bgp_decode_ctx ctx[2]; /* for what side i sends */
};

struct bench {
	struct cap_flows *flows;
	struct vlan_acct *acct;
	struct counts c;
	bool oom;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- pipeline ------------------------------------------------------------ */

static uint64_t count_nlri(const struct bgp_nlri_block *b)
{
	struct bgp_nlri_iter it;
	struct bgp_prefix p;
	uint64_t n = 0;

	if (bgp_nlri_iter_init(&it, b) != 0)
		return 0;
	while (bgp_nlri_next(&it, &p) == 1)
		n++;
	return n;
}

/* RFC 4271 §4.2: what side i sends is decoded with the receiver's OPEN as
 * the local one and side i's as the peer's. Pointer fields of the kept
 * OPEN point into the reassembler and are not used afterwards. */
static void on_open(struct bflow *bf, int side, const uint8_t *msg, size_t len)
{
	if (bgp_open_decode(msg, len, &bf->open[side]) != 0)
		return;
	bf->open_seen[side] = true;
	if (bf->open_seen[0] && bf->open_seen[1]) {
		bgp_negotiate(&bf->open[1], &bf->open[0], &bf->ctx[0]);
		bgp_negotiate(&bf->open[0], &bf->open[1], &bf->ctx[1]);
	}
}

static void on_message(struct bench *b, struct bflow *bf, int side, const uint8_t *msg,
		       size_t len)
{
	struct bgp_update u;

	b->c.messages++;
	switch (msg[BGP_HEADER_LEN - 1]) {
	case BGP_MSG_OPEN:
		on_open(bf, side, msg, len);
		break;
	case BGP_MSG_UPDATE:
		b->c.updates++;
		if (bgp_update_decode(msg, len, &bf->ctx[side], &u) != 0) {
			b->c.update_errors++;
			break;
		}
		b->c.announced += count_nlri(&u.nlri) + count_nlri(&u.mp_reach);
		b->c.withdrawn += count_nlri(&u.withdrawn) + count_nlri(&u.mp_unreach);
		break;
	default:
		break;
	}
}

/* Bytes of p[0..n) used (0: wait for more); framed as the daemon does. */
static size_t bgp_step(struct bench *b, struct cap_flow *f, int side, const uint8_t *p, size_t n)
{
	struct cap_bgp_step st;

	cap_reasm_bgp_step(&f->dir[side], p, n, &st);
	if (st.kind == CAP_STEP_LOST)
		b->c.framing_errors++;
	else if (st.kind == CAP_STEP_MESSAGE)
		on_message(b, f->user, side, p, st.msg_len);
	return st.used;
}

struct dir {
	struct bench *b;
	struct cap_flow *f;
	int side;
};

static size_t bgp_step_cb(void *arg, const uint8_t *p, size_t n)
{
	struct dir *d = arg;

	return bgp_step(d->b, d->f, d->side, p, n);
}

static void drain(struct bench *b, struct cap_flow *f, int side)
{
	struct dir d = {b, f, side};

	cap_reasm_drain(&f->dir[side], bgp_step_cb, &d);
}

/* End of file, expiry or eviction: frame what was held behind holes. */
static void flow_removed(struct cap_flow *f, void *arg)
{
	struct bench *b = arg;

	if (f->user == NULL)
		return;
	for (int side = 0; side < 2; side++) {
		if (!f->dir_started[side])
			continue;
		drain(b, f, side);
		while (cap_reasm_flush_gap(&f->dir[side]) == 1)
			drain(b, f, side);
	}
	free(f->user);
	f->user = NULL;
}

static struct bflow *bflow_new(void)
{
	struct bflow *bf = calloc(1, sizeof(*bf));

	if (bf != NULL) {
		bgp_ctx_init(&bf->ctx[0]);
		bgp_ctx_init(&bf->ctx[1]);
	}
	return bf;
}

static void segment(struct bench *b, const struct cap_frame *fr, double ts)
{
	const struct cap_tcp *t = &fr->tcp;
	struct cap_endpoint src = {.port = t->sport}, dst = {.port = t->dport};
	bool syn = (t->flags & CAP_TCP_SYN) != 0;
	bool syn_data = syn && t->payload_len > 0; /* see decode_pcap.c */
	struct cap_flow *f;
	struct cap_reasm *r;
	int side;

	memcpy(src.addr, fr->src_ip, 16);
	memcpy(dst.addr, fr->dst_ip, 16);
	f = cap_flows_get(b->flows, fr->ip_version, &src, &dst, t->flags, ts, &side);
	if (f == NULL || (f->user == NULL && (f->user = bflow_new()) == NULL)) {
		b->oom = true;
		return;
	}
	r = cap_flow_reasm(b->flows, f, side, syn_data ? t->seq - 1 : t->seq, syn);
	if (cap_reasm_segment(r, syn && !syn_data ? t->seq + 1 : t->seq, t->payload,
			      t->payload_len, (t->flags & CAP_TCP_FIN) != 0,
			      (t->flags & CAP_TCP_RST) != 0) != 0)
		return;
	drain(b, f, side);
}

static void account(struct bench *b, const struct cap_frame *fr)
{
	int s = cap_frame_s_tag(fr), c = cap_frame_c_tag(fr);
	struct vlan_frame vf = {
		.src_mac = fr->has_mac ? fr->src_mac : NULL,
		.dst_mac = fr->has_mac ? fr->dst_mac : NULL,
		.family = fr->has_ip ? fr->ip_version : 0,
		.src_ip = fr->src_ip,
		.dst_ip = fr->dst_ip,
		.s_tag = s < 0 ? 0 : (uint16_t)s,
		.c_tag = c < 0 ? 0 : (uint16_t)c,
		.wire_len = (uint32_t)fr->wirelen,
	};

	vlan_acct_add(b->acct, "pcap0", &vf);
}

static void pipeline_packet(struct bench *b, int lt, const struct pcap_pkthdr *h,
			    const uint8_t *pkt)
{
	double ts = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6;
	struct cap_frame fr;

	(void)cap_flows_expire(b->flows, ts);
	/* a partly decoded frame is still accounted (frame.h: *out holds what
	 * decoded before the failing layer) */
	if (cap_frame_decode(lt, pkt, h->caplen, h->len, &fr) != 0)
		b->c.bad_frames++;
	account(b, &fr);
	if (!fr.has_tcp || (fr.tcp.sport != BGP_PORT && fr.tcp.dport != BGP_PORT))
		return;
	b->c.bgp_segments++;
	segment(b, &fr, ts);
}

static int sum_acct(const struct vlan_key *k, const struct vlan_counts *c, void *arg)
{
	struct counts *n = arg;

	(void)k;
	n->acct_packets += c->packets;
	n->acct_bytes += c->bytes;
	return 0;
}

/* ---- passes -------------------------------------------------------------- */

enum pass { PASS_BARE, PASS_PIPELINE };

static int run_pass(const char *path, enum pass which, struct counts *out, double *secs)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	static const uint8_t ours[1][6] = {{0x02, 0, 0, 0, 0, 0x01}};
	struct vlan_local local = {.nmacs = 1, .macs = ours};
	struct bench b = {0};
	struct pcap_pkthdr *h;
	const u_char *pkt;
	pcap_t *pc;
	double t0;
	int r, lt, rc = 0;

	t0 = now();
	if ((pc = pcap_open_offline(path, err)) == NULL) {
		fprintf(stderr, "bench_capture: %s: %s\n", path, err);
		return -1;
	}
	lt = pcap_datalink(pc);
	if (which == PASS_PIPELINE) {
		b.flows = cap_flows_new(0, 0, 0, flow_removed, &b);
		b.acct = vlan_acct_new(&local);
		if (b.flows == NULL || b.acct == NULL) {
			rc = -1;
			goto out;
		}
	}
	while ((r = pcap_next_ex(pc, &h, &pkt)) == 1) {
		b.c.packets++;
		b.c.bytes += h->len;
		if (which == PASS_BARE)
			b.c.sink += h->caplen > 0 ? pkt[0] : 0u;
		else
			pipeline_packet(&b, lt, h, pkt);
	}
	if (r == PCAP_ERROR) {
		fprintf(stderr, "bench_capture: %s: %s\n", path, pcap_geterr(pc));
		rc = -1;
	}
out:
	cap_flows_free(b.flows); /* frames what is left behind holes: timed */
	*secs = now() - t0;
	if (b.acct != NULL) {
		b.c.vlan_keys = vlan_acct_keys(b.acct);
		(void)vlan_acct_walk(b.acct, sum_acct, &b.c);
		b.c.acct_packets += vlan_acct_overflow(b.acct)->packets;
		b.c.acct_bytes += vlan_acct_overflow(b.acct)->bytes;
	}
	vlan_acct_free(b.acct);
	pcap_close(pc);
	if (b.oom) {
		fprintf(stderr, "bench_capture: out of memory\n");
		rc = -1;
	}
	*out = b.c;
	return rc;
}

/* Best of runs passes; the counts are the last run's (all are equal). */
static int best_of(const char *path, enum pass which, int runs, struct counts *c, double *best)
{
	*best = 0;
	for (int i = 0; i < runs; i++) {
		double s;

		if (run_pass(path, which, c, &s) != 0)
			return -1;
		if (i == 0 || s < *best)
			*best = s;
	}
	return 0;
}

static void print_rate(const char *name, const struct counts *c, double s)
{
	printf("%-9s %10llu packets %14llu bytes %8.3f s %12.0f packets/s %7.3f Gbit/s\n", name,
	       (unsigned long long)c->packets, (unsigned long long)c->bytes, s,
	       (double)c->packets / s, (double)c->bytes * 8.0 / s / 1e9);
}

static int check(const char *what, uint64_t found, long long expected)
{
	if (expected < 0) {
		printf("%-9s %llu found\n", what, (unsigned long long)found);
		return 0;
	}
	printf("%-9s %llu found, %lld expected: %s\n", what, (unsigned long long)found, expected,
	       (long long)found == expected ? "ok" : "MISMATCH");
	return (long long)found == expected ? 0 : -1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_capture [--runs N] [--expect-messages N] "
		   "[--expect-prefixes N] FILE.pcap\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"runs", 1, NULL, 'r'},
		{"expect-messages", 1, NULL, 'm'},
		{"expect-prefixes", 1, NULL, 'p'},
		{"help", 0, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	long long exp_msgs = -1, exp_pfx = -1;
	struct counts bare, pipe;
	double tb, tp;
	int runs = 3, c, bad = 0;

	while ((c = getopt_long(argc, argv, "r:m:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': runs = atoi(optarg); break;
		case 'm': exp_msgs = atoll(optarg); break;
		case 'p': exp_pfx = atoll(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || runs < 1) {
		usage(stderr);
		return 2;
	}
	if (best_of(argv[optind], PASS_BARE, runs, &bare, &tb) != 0 ||
	    best_of(argv[optind], PASS_PIPELINE, runs, &pipe, &tp) != 0)
		return 2;

	printf("file      %s (best of %d runs per pass)\n", argv[optind], runs);
	print_rate("bare", &bare, tb);
	print_rate("pipeline", &pipe, tp);
	printf("ratio     pipeline/bare %.1f %%\n", 100.0 * tb / tp);
	printf("frames    %llu bad, %llu BGP segments, %llu VLAN keys, accounted %llu packets "
	       "%llu bytes%s\n",
	       (unsigned long long)pipe.bad_frames, (unsigned long long)pipe.bgp_segments,
	       (unsigned long long)pipe.vlan_keys, (unsigned long long)pipe.acct_packets,
	       (unsigned long long)pipe.acct_bytes,
	       pipe.acct_packets == pipe.packets && pipe.acct_bytes == pipe.bytes
		       ? " (all)"
		       : " (NOT all frames)");
	printf("bgp       %llu UPDATEs (%llu undecodable), %llu framing errors, %llu prefixes "
	       "withdrawn\n",
	       (unsigned long long)pipe.updates, (unsigned long long)pipe.update_errors,
	       (unsigned long long)pipe.framing_errors, (unsigned long long)pipe.withdrawn);
	bad |= check("messages", pipe.messages, exp_msgs);
	bad |= check("prefixes", pipe.announced, exp_pfx);
	if (pipe.acct_packets != pipe.packets || pipe.acct_bytes != pipe.bytes)
		bad = -1;
	/* one line for scripts */
	printf("RESULT bare_pps=%.0f bare_gbps=%.3f pipeline_pps=%.0f pipeline_gbps=%.3f "
	       "ratio=%.3f packets=%llu bytes=%llu messages=%llu prefixes=%llu sink=%u\n",
	       (double)bare.packets / tb, (double)bare.bytes * 8.0 / tb / 1e9,
	       (double)pipe.packets / tp, (double)pipe.bytes * 8.0 / tp / 1e9, tb / tp,
	       (unsigned long long)pipe.packets, (unsigned long long)pipe.bytes,
	       (unsigned long long)pipe.messages, (unsigned long long)pipe.announced,
	       bare.sink & 1u);
	return bad ? 1 : 0;
}
