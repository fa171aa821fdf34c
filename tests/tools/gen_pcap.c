/* gen_pcap.c — writes a realistic Ethernet capture of eBGP sessions over
 * VLANs, for the demo data and the capture tests (test_gen_pcap.sh).
 *
 * K sessions (--sessions, default 2), each between a customer router
 * 198.18.S.1 (AS 65010, MAC 02:00:00:00:00:01) and a provider router
 * 198.18.S.2 (AS 12076, MAC 02:00:00:00:00:02), IPv4 transport, port 179.
 * Odd sessions run over QinQ (S-tag 300 with TPID 0x8100 or, --s-tpid
 * 0x88a8, 802.1ad; C-tag 110, 111, ... — ExpressRoute Direct style), even
 * sessions over one 802.1Q tag (VLAN 100, 101, ...).
 *
 * Each connection: SYN, SYN-ACK, ACK (RFC 9293 §3.5); both OPENs (4-octet
 * AS, MP IPv4 and IPv6 unicast, route refresh); KEEPALIVEs both ways; the
 * provider's table (--ipv4 N, --ipv6 M prefixes; IPv4 in the UPDATE's
 * NLRI, IPv6 in MP_REACH_NLRI with a global + link-local next hop, RFC
 * 4760 §3) packed several prefixes per UPDATE; the customer's few
 * prefixes; an End-of-RIB per AFI from both sides (RFC 4724 §2); periodic
 * KEEPALIVEs. With --flap the provider then sends a NOTIFICATION (Cease /
 * Administrative Reset, RFC 4486 §4), the connection is closed with
 * FIN/ACK both ways, and a new connection repeats everything.
 *
 * TCP health ground truth, per connection: the duplicates below are the
 * retransmissions (every byte already sent; swapped pairs are reordering,
 * not retransmissions); --zero-windows N makes the customer advertise a
 * zero window in N pure ACKs after the provider's table (then reopen it);
 * --rtt US puts the provider US microseconds further from the capture point
 * (the SYN-ACK comes that much later). The summary gives, per connection,
 * the retransmissions, reordered pairs and zero windows per sender and the handshake's two
 * legs in microseconds as captured (SYN to SYN-ACK, SYN-ACK to ACK).
 *
 * The byte stream of each direction is cut into segments at random points
 * (MSS-sized mostly, sometimes smaller, so messages straddle segments);
 * some segments are sent twice (exact duplicates, later) and some adjacent
 * pairs are swapped. Background traffic per VLAN (UDP and TCP on other
 * ports, both directions, --data frames of --data-min..--data-max payload
 * bytes) is interleaved, so per-VLAN accounting has something to count.
 *
 * --drop N loses the Nth BGP data segment of the capture (1-based, in the
 * order they would be written, originals only): it and any copy of it are
 * never written, so the receiving direction has a TCP hole that is never
 * filled (as a capture point that missed a frame). The summary says which
 * bytes: {"session","sender","seq","bytes"}; the messages it cut are still
 * counted as sent.
 *
 * Output is deterministic for the same options and --seed: timestamps
 * start at TS_BASE and advance by drawn amounts. stdout gets one JSON line
 * with what a correct decoder and accountant must find: BGP messages per
 * type and announced prefixes per session and sender, frames and bytes
 * (on the wire, no FCS) per VLAN stack and direction.
 *
 * usage: gen_pcap [options] -o FILE.pcap  (see usage()) */
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire_build.h"

#define TS_BASE 1767225600u /* 2026-01-01T00:00:00Z */
#define CUST_AS 65010u
#define PROV_AS 12076u
#define BGP_PORT 179u
#define MSS 1448u
#define UPDATE_MAX 4096u /* RFC 4271 §4.1: no extended messages negotiated */
#define MAX_SESSIONS 64u
#define MAX_SEGS 4096u	 /* segments in one flush; a flush is at most a few KiB */
#define FLUSH_UPDATES 12u /* provider UPDATEs written per flush */
#define KA_EVERY 4u	 /* provider flushes between KEEPALIVE exchanges */
#define KA_ROUNDS 3u	 /* idle KEEPALIVE exchanges at the end of a table */
#define MAX_CONNS 2u	 /* connections per session: one, two with --flap */
#define WINDOW 64240u	 /* the window every segment advertises but zero windows */

enum { CUST = 0, PROV = 1 };	 /* sender; also the direction c2p / p2c */
enum { T_OPEN = 1, T_UPDATE = 2, T_NOTIFICATION = 3, T_KEEPALIVE = 4, T_COUNT = 5 };

static const char *const type_name[T_COUNT] = {"", "OPEN", "UPDATE", "NOTIFICATION",
					       "KEEPALIVE"};
static const uint8_t mac[2][6] = {{2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}};

struct opts {
	unsigned sessions, pack, cust_pfx;
	unsigned long n4, n6, data;
	unsigned data_min, data_max;
	unsigned s_tpid;
	unsigned zero_windows, rtt_us;
	unsigned long drop; /* 1-based data segment to lose; 0 none */
	uint64_t seed;
	bool flap;
	const char *out;
};

struct sess {
	unsigned id; /* 1-based */
	unsigned ntags;
	uint16_t tpid[2], vid[2];
	uint32_t ip[2];			/* by side */
	uint16_t port[2];		/* current connection */
	uint32_t nxt[2];		/* next sequence number to send, by side */
	uint16_t ip_id[2];
	struct wb pend[2];		/* bytes written but not yet sent, by side */
	unsigned long msgs[2][T_COUNT]; /* by sender and type */
	unsigned long pfx4[2], pfx6[2];
	unsigned long frames[2], bytes[2]; /* by direction */
	unsigned long data_sent;
	uint32_t data_seq[2];
	unsigned connections;
	struct conn_truth { /* conn[connections - 1] is the current one */
		uint16_t port;			  /* the customer's */
		unsigned long retrans[2];	  /* by sender */
		unsigned long reordered[2];	  /* swapped pairs, by sender */
		unsigned long zero_windows[2];	  /* by sender */
		uint64_t syn_us, synack_us, ack_us; /* capture times of the handshake */
	} conn[MAX_CONNS];
};

struct gen {
	const struct opts *o;
	pcap_dumper_t *d;
	uint64_t ts_us; /* since TS_BASE */
	uint64_t rng;
	struct wb frame;
	unsigned long data_segs; /* BGP data segments (originals) so far */
	struct { /* the segment --drop lost */
		const struct sess *s;
		int dir;
		uint32_t seq;
		size_t len;
	} dropped;
	struct sess s[MAX_SESSIONS];
};

/* ---- deterministic randomness (splitmix64, as gen_bmp_table) ---- */

static uint64_t rnd(uint64_t *s)
{
	uint64_t x;

	*s += 0x9e3779b97f4a7c15ull;
	x = *s;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Uniform in [lo, hi]. */
static unsigned range(struct gen *g, unsigned lo, unsigned hi)
{
	return lo + (unsigned)(rnd(&g->rng) % ((uint64_t)hi - lo + 1));
}

static bool chance(struct gen *g, unsigned one_in)
{
	return rnd(&g->rng) % one_in == 0;
}

/* ---- frames ---- */

/* RFC 1071 one's complement sum, folded. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n % 2)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Writes the frame in g->frame to the capture and counts it. */
static void dump(struct gen *g, struct sess *s, int dir)
{
	struct pcap_pkthdr h;
	uint64_t t = g->ts_us;

	h.ts.tv_sec = (time_t)(TS_BASE + t / 1000000u);
	h.ts.tv_usec = (suseconds_t)(t % 1000000u);
	h.caplen = (bpf_u_int32)g->frame.len;
	h.len = (bpf_u_int32)g->frame.len;
	pcap_dump((u_char *)g->d, &h, g->frame.p);
	s->frames[dir]++;
	s->bytes[dir] += g->frame.len;
	g->ts_us += range(g, 20, 400);
}

/* Ethernet header and the session's tags, outermost first. */
static void put_eth(struct wb *b, const struct sess *s, int dir)
{
	wb_put_mem(b, mac[!dir], 6);
	wb_put_mem(b, mac[dir], 6);
	for (unsigned i = 0; i < s->ntags; i++) {
		wb_put16(b, s->tpid[i]);
		wb_put16(b, s->vid[i]); /* PCP 0, DEI 0 */
	}
	wb_put16(b, 0x0800);
}

/* IPv4 header (RFC 791) with its checksum; returns where it starts. */
static size_t put_ip4(struct wb *b, struct sess *s, int dir, unsigned proto, uint32_t src,
		      uint32_t dst, size_t l4len)
{
	size_t at = b->len;

	wb_put8(b, 0x45);
	wb_put8(b, 0);
	wb_put16(b, (unsigned)(20 + l4len));
	wb_put16(b, s->ip_id[dir]++);
	wb_put16(b, 0x4000); /* DF */
	wb_put8(b, proto == 6 && (src == s->ip[0] || src == s->ip[1]) ? 1 : 64);
	wb_put8(b, proto);
	wb_put16(b, 0);
	wb_put32(b, src);
	wb_put32(b, dst);
	wb_set16(b, at + 10, csum_fold(csum_add(0, b->p + at, 20)));
	return at;
}

/* Checksum of the transport segment at l4 (RFC 9293 §3.1 pseudo-header). */
static void l4_csum(struct wb *b, size_t ip, size_t l4, size_t field)
{
	uint32_t sum = csum_add(0, b->p + ip + 12, 8);

	sum += b->p[ip + 9];
	sum += (uint32_t)(b->len - l4);
	sum = csum_add(sum, b->p + l4, b->len - l4);
	wb_set16(b, field, csum_fold(sum));
}

struct seg {
	uint32_t src, dst, seq, ack;
	uint16_t sport, dport;
	unsigned flags;
	uint16_t window; /* 0 means WINDOW; zero windows set zero_window */
	bool zero_window;
	const uint8_t *data;
	size_t len;
};

#define F_FIN 0x01u
#define F_SYN 0x02u
#define F_PSH 0x08u
#define F_ACK 0x10u

/* One TCP frame into g->frame. SYNs carry an MSS option. */
static void build_tcp(struct gen *g, struct sess *s, int dir, const struct seg *t)
{
	struct wb *b = &g->frame;
	size_t hl = t->flags & F_SYN ? 24 : 20, ip, l4;

	wb_reset(b);
	put_eth(b, s, dir);
	ip = put_ip4(b, s, dir, 6, t->src, t->dst, hl + t->len);
	l4 = b->len;
	wb_put16(b, t->sport);
	wb_put16(b, t->dport);
	wb_put32(b, t->seq);
	wb_put32(b, t->ack);
	wb_put8(b, (unsigned)(hl / 4) << 4);
	wb_put8(b, t->flags);
	wb_put16(b, t->zero_window ? 0 : t->window ? t->window : WINDOW);
	wb_put16(b, 0);
	wb_put16(b, 0);
	if (t->flags & F_SYN) {
		wb_put8(b, 2);
		wb_put8(b, 4);
		wb_put16(b, MSS);
	}
	wb_put_mem(b, t->data, t->len);
	l4_csum(b, ip, l4, l4 + 16);
}

/* ---- background data traffic ---- */

/* One UDP or TCP frame between a customer host and a remote host. */
static void data_frame(struct gen *g, struct sess *s)
{
	static uint8_t payload[1500];
	struct wb *b = &g->frame;
	int dir = (int)(rnd(&g->rng) % 2);
	uint32_t host[2] = {0x0a000000u | s->id << 16 | 10u, 0xcb007100u | (s->id & 0xffu)};
	unsigned len = range(g, g->o->data_min, g->o->data_max);
	size_t ip, l4;

	for (unsigned i = 0; i < len; i++)
		payload[i] = (uint8_t)rnd(&g->rng);
	if (chance(g, 2)) { /* UDP, RFC 768 */
		struct wb *w = b;

		wb_reset(w);
		put_eth(w, s, dir);
		ip = put_ip4(w, s, dir, 17, host[dir], host[!dir], 8 + (size_t)len);
		l4 = w->len;
		wb_put16(w, dir == CUST ? 40000u + s->id : 5004u);
		wb_put16(w, dir == CUST ? 5004u : 40000u + s->id);
		wb_put16(w, 8 + len);
		wb_put16(w, 0);
		wb_put_mem(w, payload, len);
		l4_csum(w, ip, l4, l4 + 6);
	} else { /* a TCP flow already under way on port 443 */
		struct seg t = {.src = host[dir], .dst = host[!dir],
				.sport = dir == CUST ? (uint16_t)(51000u + s->id) : 443,
				.dport = dir == CUST ? 443 : (uint16_t)(51000u + s->id),
				.seq = s->data_seq[dir], .ack = s->data_seq[!dir],
				.flags = F_ACK | F_PSH, .data = payload, .len = len};

		s->data_seq[dir] += len;
		build_tcp(g, s, dir, &t);
	}
	s->data_sent++;
	dump(g, s, dir);
}

/* Background frames come between BGP frames, about one per two. */
static void maybe_data(struct gen *g, struct sess *s)
{
	if (s->data_sent < g->o->data && chance(g, 2))
		data_frame(g, s);
}

/* ---- TCP of the BGP connection ---- */

/* A segment of the BGP connection from side `dir` at sequence `seq`. */
static void bgp_tcp(struct gen *g, struct sess *s, int dir, unsigned flags, uint32_t seq,
		    const uint8_t *data, size_t len)
{
	struct seg t = {.src = s->ip[dir], .dst = s->ip[!dir], .sport = s->port[dir],
			.dport = s->port[!dir], .seq = seq, .ack = flags & F_ACK ? s->nxt[!dir] : 0,
			.flags = flags, .data = data, .len = len};

	build_tcp(g, s, dir, &t);
	dump(g, s, dir);
	maybe_data(g, s);
}

static void ack_window(struct gen *g, struct sess *s, int dir, uint32_t ack, bool zero)
{
	struct seg t = {.src = s->ip[dir], .dst = s->ip[!dir], .sport = s->port[dir],
			.dport = s->port[!dir], .seq = s->nxt[dir], .ack = ack, .flags = F_ACK,
			.zero_window = zero};

	build_tcp(g, s, dir, &t);
	dump(g, s, dir);
	maybe_data(g, s);
}

static void pure_ack(struct gen *g, struct sess *s, int dir, uint32_t ack)
{
	ack_window(g, s, dir, ack, false);
}

static bool is_dropped(const struct gen *g, const struct sess *s, int dir, uint32_t seq)
{
	return g->dropped.s == s && g->dropped.dir == dir && g->dropped.seq == seq;
}

/* An original data segment, unless it is the one --drop loses. */
static void send_data(struct gen *g, struct sess *s, int dir, unsigned flags, uint32_t seq,
		      const uint8_t *data, size_t len)
{
	if (++g->data_segs == g->o->drop) {
		g->dropped.s = s;
		g->dropped.dir = dir;
		g->dropped.seq = seq;
		g->dropped.len = len;
		return;
	}
	bgp_tcp(g, s, dir, flags, seq, data, len);
}

/* A segment sent again: a retransmission of side dir (never of the lost one). */
static void resend(struct gen *g, struct sess *s, int dir, uint32_t seq, const uint8_t *data,
		   size_t len)
{
	if (is_dropped(g, s, dir, seq))
		return;
	s->conn[s->connections - 1].retrans[dir]++;
	bgp_tcp(g, s, dir, F_ACK, seq, data, len);
}

/* Cuts the flush into segments: mostly MSS-sized, a third drawn smaller,
 * and a short flush is split at a random point one time in three. */
static size_t cut(struct gen *g, size_t len, size_t *end)
{
	size_t n = 0, pos = 0;

	while (pos < len && n < MAX_SEGS) {
		size_t sz = chance(g, 3) ? range(g, 1, MSS) : MSS;

		if (len <= MSS && pos == 0 && len > 1 && chance(g, 3))
			sz = range(g, 1, (unsigned)len - 1);
		if (sz > len - pos)
			sz = len - pos;
		pos += sz;
		end[n++] = pos;
	}
	if (pos < len)
		wb_fail("flush too long to cut");
	return n;
}

/* Sends what side `dir` has pending: segments in order except for
 * swapped pairs (one in twelve), one in fifteen sent again after the next,
 * and the receiver's ACK after every second segment and at the end. */
static void flush(struct gen *g, struct sess *s, int dir)
{
	static size_t end[MAX_SEGS];
	struct wb *p = &s->pend[dir];
	uint32_t base = s->nxt[dir];
	size_t n, i = 0, steps = 0;
	long dup = -1;

	if (p->len == 0)
		return;
	n = cut(g, p->len, end);
	s->nxt[dir] = base + (uint32_t)p->len;
	while (i < n) {
		size_t order[2] = {i, i + 1}, k = 1;

		if (i + 1 < n && chance(g, 12)) {
			order[0] = i + 1;
			order[1] = i;
			k = 2;
			s->conn[s->connections - 1].reordered[dir]++;
		}
		for (size_t j = 0; j < k; j++) {
			size_t x = order[j], from = x ? end[x - 1] : 0;
			unsigned fl = F_ACK | (x + 1 == n ? F_PSH : 0);

			send_data(g, s, dir, fl, base + (uint32_t)from, p->p + from,
				  end[x] - from);
			if (dup >= 0) {
				size_t df = dup ? end[dup - 1] : 0;

				resend(g, s, dir, base + (uint32_t)df, p->p + df, end[dup] - df);
				dup = -1;
			}
			if (chance(g, 15))
				dup = (long)x;
		}
		i += k;
		if (++steps % 2 == 0 || i == n)
			pure_ack(g, s, !dir, base + (uint32_t)end[i - 1]);
	}
	if (dup >= 0) {
		size_t df = dup ? end[dup - 1] : 0;

		resend(g, s, dir, base + (uint32_t)df, p->p + df, end[dup] - df);
	}
	wb_reset(p);
	g->ts_us += range(g, 1000, 20000);
}

/* ---- BGP messages (RFC 4271 §4) ---- */

static void count(struct sess *s, int dir, unsigned type)
{
	s->msgs[dir][type]++;
}

static void put_cap_mp(struct wb *b, unsigned afi)
{
	wb_put8(b, 1); /* RFC 4760 §8 */
	wb_put8(b, 4);
	wb_put16(b, afi);
	wb_put8(b, 0);
	wb_put8(b, 1);
}

static void msg_open(struct sess *s, int dir)
{
	struct wb *b = &s->pend[dir];
	size_t at = wb_bgp_begin(b, T_OPEN), params, caps;

	wb_put8(b, 4);
	wb_put16(b, dir == CUST ? CUST_AS : PROV_AS);
	wb_put16(b, dir == CUST ? 180 : 90);
	wb_put32(b, s->ip[dir]);
	params = b->len;
	wb_put8(b, 0);
	wb_put8(b, 2); /* capabilities, RFC 5492 */
	caps = b->len;
	wb_put8(b, 0);
	put_cap_mp(b, 1);
	put_cap_mp(b, 2);
	wb_put8(b, 2); /* route refresh, RFC 2918 */
	wb_put8(b, 0);
	wb_put8(b, 65); /* 4-octet AS, RFC 6793 */
	wb_put8(b, 4);
	wb_put32(b, dir == CUST ? CUST_AS : PROV_AS);
	b->p[caps] = (uint8_t)(b->len - caps - 1);
	b->p[params] = (uint8_t)(b->len - params - 1);
	wb_bgp_end(b, at);
	count(s, dir, T_OPEN);
}

static void msg_keepalive(struct sess *s, int dir)
{
	struct wb *b = &s->pend[dir];

	wb_bgp_end(b, wb_bgp_begin(b, T_KEEPALIVE));
	count(s, dir, T_KEEPALIVE);
}

/* Cease / Administrative Reset (RFC 4486 §4). */
static void msg_notification(struct sess *s, int dir)
{
	struct wb *b = &s->pend[dir];
	size_t at = wb_bgp_begin(b, T_NOTIFICATION);

	wb_put8(b, 6);
	wb_put8(b, 4);
	wb_bgp_end(b, at);
	count(s, dir, T_NOTIFICATION);
}

static void put_attr(struct wb *b, unsigned flags, unsigned type, size_t len)
{
	wb_put8(b, flags);
	wb_put8(b, type);
	wb_put8(b, (unsigned)len);
}

/* ORIGIN, AS_PATH (one AS_SEQUENCE of 4-octet ASNs, the sender first),
 * and for the provider a MED on some and its region communities. */
static void put_common_attrs(struct wb *b, struct gen *g, int dir)
{
	static const uint32_t upstream[] = {3356, 1299, 174, 2914, 6939, 3257, 6453};
	unsigned hops = dir == CUST ? 1 : range(g, 1, 4);

	put_attr(b, 0x40, 1, 1);
	wb_put8(b, 0);
	put_attr(b, 0x40, 2, 2 + 4 * (size_t)hops);
	wb_put8(b, 2);
	wb_put8(b, hops);
	wb_put32(b, dir == CUST ? CUST_AS : PROV_AS);
	for (unsigned i = 1; i < hops; i++)
		wb_put32(b, i + 1 == hops ? 64512u + range(g, 0, 1000)
					  : upstream[range(g, 0, 6)]);
	if (dir == PROV && chance(g, 3)) {
		put_attr(b, 0x80, 4, 4);
		wb_put32(b, range(g, 0, 10) * 10);
	}
	if (dir == PROV) {
		put_attr(b, 0xc0, 8, 8);
		wb_put32(b, PROV_AS << 16 | 12076u); /* 12076:12076 */
		wb_put32(b, PROV_AS << 16 | (51000u + range(g, 1, 80)));
	}
}

struct pfx_gen {
	uint64_t cursor; /* IPv4: the address; IPv6: the top 64 bits */
	uint64_t rng;
};

static unsigned pick(uint64_t r, const uint8_t *lens, const uint8_t *weights, size_t n)
{
	unsigned w = (unsigned)(r % 100);

	for (size_t i = 0; i < n; i++) {
		if (w < weights[i])
			return lens[i];
		w -= weights[i];
	}
	return lens[0];
}

/* Next distinct prefix: a length from a realistic mix, the cursor aligned
 * to it and moved past it. Writes length + address bytes (RFC 4271 §4.3). */
static void put_next_pfx(struct wb *b, struct pfx_gen *pg, unsigned family)
{
	static const uint8_t l4[] = {24, 23, 22, 21, 20, 19, 18, 16};
	static const uint8_t w4[] = {60, 8, 12, 5, 6, 3, 2, 4};
	static const uint8_t l6[] = {48, 32, 44, 40, 36, 29};
	static const uint8_t w6[] = {50, 20, 10, 10, 5, 5};
	unsigned len = family == 4 ? pick(rnd(&pg->rng), l4, w4, sizeof(l4))
				   : pick(rnd(&pg->rng), l6, w6, sizeof(l6));
	unsigned bits = family == 4 ? 32 : 64;
	uint64_t block = (uint64_t)1 << (bits - len);

	pg->cursor = (pg->cursor + block - 1) & ~(block - 1);
	if (family == 4 && pg->cursor + block > 0xe0000000u)
		pg->cursor = 0x01000000u; /* past unicast space: wrap (prefixes repeat) */
	wb_put8(b, len);
	for (unsigned i = 0; i < (len + 7) / 8; i++)
		wb_put8(b, (unsigned)(pg->cursor >> (bits - 8 - 8 * i)));
	pg->cursor += block * (rnd(&pg->rng) % 4 == 0 ? 2 : 1); /* some gaps */
}

static void msg_eor(struct sess *s, int dir, unsigned afi)
{
	struct wb *b = &s->pend[dir];
	size_t at = wb_bgp_begin(b, T_UPDATE);

	wb_put16(b, 0);
	if (afi == 1) {
		wb_put16(b, 0);
	} else { /* RFC 4724 §2: an empty MP_UNREACH_NLRI */
		wb_put16(b, 6);
		put_attr(b, 0x80, 15, 3);
		wb_put16(b, afi);
		wb_put8(b, 1);
	}
	wb_bgp_end(b, at);
	count(s, dir, T_UPDATE);
}

/* One UPDATE announcing k prefixes of `family` from pg. */
static void msg_update(struct gen *g, struct sess *s, int dir, unsigned family,
		       struct pfx_gen *pg, unsigned k)
{
	struct wb *b = &s->pend[dir];
	size_t at = wb_bgp_begin(b, T_UPDATE), alen;

	wb_put16(b, 0); /* no withdrawn routes */
	alen = b->len;
	wb_put16(b, 0);
	put_common_attrs(b, g, dir);
	if (family == 4) {
		put_attr(b, 0x40, 3, 4);
		wb_put32(b, s->ip[dir]);
		wb_set16(b, alen, b->len - alen - 2);
		for (unsigned i = 0; i < k; i++)
			put_next_pfx(b, pg, 4);
		s->pfx4[dir] += k;
	} else { /* RFC 4760 §3 */
		size_t mp;

		wb_put8(b, 0x90); /* optional, extended length */
		wb_put8(b, 14);
		mp = b->len;
		wb_put16(b, 0);
		wb_put16(b, 2);
		wb_put8(b, 1);
		wb_put8(b, dir == CUST ? 16 : 32);
		wb_put32(b, 0x20010db8u); /* 2001:db8:ffff:S::1 or ::2 */
		wb_put32(b, 0xffff0000u | s->id);
		wb_put32(b, 0);
		wb_put32(b, (uint32_t)dir + 1);
		if (dir == PROV) { /* link-local fe80::2 */
			wb_put32(b, 0xfe800000u);
			wb_put32(b, 0);
			wb_put32(b, 0);
			wb_put32(b, 2);
		}
		wb_put8(b, 0);
		for (unsigned i = 0; i < k; i++)
			put_next_pfx(b, pg, 6);
		wb_set16(b, mp, b->len - mp - 2);
		wb_set16(b, alen, b->len - alen - 2);
		s->pfx6[dir] += k;
	}
	if (b->len - at > UPDATE_MAX)
		wb_fail("UPDATE past 4096 bytes (lower --pack)");
	wb_bgp_end(b, at);
	count(s, dir, T_UPDATE);
}

/* ---- a session ---- */

/* RFC 9293 §3.5: the customer connects to the provider's port 179. */
static void handshake(struct gen *g, struct sess *s)
{
	struct conn_truth *c = &s->conn[s->connections++];

	s->port[CUST] = (uint16_t)range(g, 32768, 60999);
	s->port[PROV] = BGP_PORT;
	s->nxt[CUST] = (uint32_t)rnd(&g->rng);
	s->nxt[PROV] = (uint32_t)rnd(&g->rng);
	c->port = s->port[CUST];
	c->syn_us = g->ts_us;
	bgp_tcp(g, s, CUST, F_SYN, s->nxt[CUST]++, NULL, 0);
	g->ts_us += g->o->rtt_us;
	c->synack_us = g->ts_us;
	bgp_tcp(g, s, PROV, F_SYN | F_ACK, s->nxt[PROV]++, NULL, 0);
	c->ack_us = g->ts_us;
	pure_ack(g, s, CUST, s->nxt[PROV]);
}

/* The customer's receive buffer fills: --zero-windows pure ACKs with
 * window 0, then one that reopens it (RFC 9293 §3.8.6.2). */
static void zero_windows(struct gen *g, struct sess *s)
{
	struct conn_truth *c = &s->conn[s->connections - 1];

	if (g->o->zero_windows == 0)
		return;
	for (unsigned i = 0; i < g->o->zero_windows; i++) {
		ack_window(g, s, CUST, s->nxt[PROV], true);
		c->zero_windows[CUST]++;
	}
	pure_ack(g, s, CUST, s->nxt[PROV]);
}

/* FIN from `dir`, ACKed, then the other side's FIN, ACKed. */
static void teardown(struct gen *g, struct sess *s, int dir)
{
	bgp_tcp(g, s, dir, F_FIN | F_ACK, s->nxt[dir]++, NULL, 0);
	pure_ack(g, s, !dir, s->nxt[dir]);
	bgp_tcp(g, s, !dir, F_FIN | F_ACK, s->nxt[!dir]++, NULL, 0);
	pure_ack(g, s, dir, s->nxt[!dir]);
}

static void keepalives(struct gen *g, struct sess *s)
{
	msg_keepalive(s, CUST);
	flush(g, s, CUST);
	msg_keepalive(s, PROV);
	flush(g, s, PROV);
}

/* The provider's table of one family in UPDATEs of 2..--pack prefixes,
 * sent FLUSH_UPDATES at a time with KEEPALIVEs now and then, then its
 * End-of-RIB. */
static void provider_table(struct gen *g, struct sess *s, unsigned family, unsigned long n)
{
	struct pfx_gen pg = {.cursor = family == 4 ? 0x01000000u : 0x2001040000000000ull,
			     .rng = g->o->seed ^ (uint64_t)s->id << 32 ^ family};
	unsigned updates = 0, flushes = 0;

	while (n > 0) {
		unsigned k = range(g, 2, g->o->pack);

		if (k > n)
			k = (unsigned)n;
		msg_update(g, s, PROV, family, &pg, k);
		n -= k;
		if (++updates % FLUSH_UPDATES == 0) {
			if (++flushes % KA_EVERY == 0) {
				msg_keepalive(s, PROV); /* lands mid-stream */
				msg_keepalive(s, CUST);
				flush(g, s, CUST);
			}
			flush(g, s, PROV);
		}
	}
	msg_eor(s, PROV, family == 4 ? 1 : 2);
	flush(g, s, PROV);
}

/* The customer's few prefixes, one UPDATE per family, and its End-of-RIBs. */
static void customer_table(struct gen *g, struct sess *s)
{
	struct pfx_gen p4 = {.cursor = 0x64400000u + ((uint64_t)s->id << 20), .rng = s->id};
	struct pfx_gen p6 = {.cursor = 0x20010db800000000ull + ((uint64_t)s->id << 24),
			     .rng = s->id};

	if (g->o->cust_pfx > 0) {
		msg_update(g, s, CUST, 4, &p4, g->o->cust_pfx);
		msg_update(g, s, CUST, 6, &p6, g->o->cust_pfx);
	}
	msg_eor(s, CUST, 1);
	msg_eor(s, CUST, 2);
	flush(g, s, CUST);
}

/* One connection from SYN to the idle KEEPALIVEs after the tables. */
static void connection(struct gen *g, struct sess *s)
{
	handshake(g, s);
	msg_open(s, CUST);
	flush(g, s, CUST);
	msg_open(s, PROV);
	flush(g, s, PROV);
	keepalives(g, s);
	customer_table(g, s);
	provider_table(g, s, 4, g->o->n4);
	provider_table(g, s, 6, g->o->n6);
	zero_windows(g, s);
	for (unsigned r = 0; r < KA_ROUNDS; r++) {
		g->ts_us += 30000000u;
		keepalives(g, s);
	}
}

static void session(struct gen *g, struct sess *s)
{
	connection(g, s);
	if (g->o->flap) {
		msg_notification(s, PROV);
		flush(g, s, PROV);
		teardown(g, s, PROV);
		g->ts_us += 5000000u;
		connection(g, s);
	}
	while (s->data_sent < g->o->data)
		data_frame(g, s);
	g->ts_us += 1000000u;
}

/* Odd sessions: QinQ S-tag 300, C-tag 110 + (id-1)/2; even: VLAN 100 + id/2 - 1. */
static void sess_init(struct sess *s, unsigned id, unsigned s_tpid)
{
	memset(s, 0, sizeof(*s));
	s->id = id;
	if (id % 2) {
		s->ntags = 2;
		s->tpid[0] = (uint16_t)s_tpid;
		s->vid[0] = 300;
		s->tpid[1] = 0x8100;
		s->vid[1] = (uint16_t)(110 + (id - 1) / 2);
	} else {
		s->ntags = 1;
		s->tpid[0] = 0x8100;
		s->vid[0] = (uint16_t)(100 + id / 2 - 1);
	}
	s->ip[CUST] = 0xc6120001u | id << 8; /* 198.18.id.1 */
	s->ip[PROV] = 0xc6120002u | id << 8;
}

/* ---- summary ---- */

static void print_sent(const struct sess *s, int dir)
{
	printf("\"%s_sent\":{", dir == CUST ? "customer" : "provider");
	for (unsigned t = 1; t < T_COUNT; t++)
		printf("\"%s\":%lu,", type_name[t], s->msgs[dir][t]);
	printf("\"ipv4\":%lu,\"ipv6\":%lu}", s->pfx4[dir], s->pfx6[dir]);
}

/* "tcp":[per connection: the customer's port, retransmissions and zero
 * windows by sender, the handshake's legs in microseconds]. */
static void print_tcp(const struct sess *s)
{
	printf(",\"tcp\":[");
	for (unsigned i = 0; i < s->connections; i++) {
		const struct conn_truth *c = &s->conn[i];

		printf("%s{\"customer_port\":%u,"
		       "\"retransmissions\":{\"customer\":%lu,\"provider\":%lu},"
		       "\"reordered\":{\"customer\":%lu,\"provider\":%lu},"
		       "\"zero_windows\":{\"customer\":%lu,\"provider\":%lu},"
		       "\"handshake_us\":{\"syn_synack\":%llu,\"synack_ack\":%llu}}",
		       i ? "," : "", c->port, c->retrans[CUST], c->retrans[PROV],
		       c->reordered[CUST], c->reordered[PROV],
		       c->zero_windows[CUST], c->zero_windows[PROV],
		       (unsigned long long)(c->synack_us - c->syn_us),
		       (unsigned long long)(c->ack_us - c->synack_us));
	}
	printf("]");
}

static void print_summary(const struct gen *g)
{
	unsigned long frames = 0, bytes = 0;

	printf("{\"file\":\"%s\",\"seed\":%llu,\"sessions\":[", g->o->out,
	       (unsigned long long)g->o->seed);
	for (unsigned i = 0; i < g->o->sessions; i++) {
		const struct sess *s = &g->s[i];

		printf("%s{\"session\":%u,\"vids\":\"", i ? "," : "", s->id);
		for (unsigned t = 0; t < s->ntags; t++)
			printf("%s%u", t ? "," : "", s->vid[t]);
		printf("\",\"tpids\":\"");
		for (unsigned t = 0; t < s->ntags; t++)
			printf("%s0x%04x", t ? "," : "", s->tpid[t]);
		printf("\",\"customer\":\"198.18.%u.1\",\"provider\":\"198.18.%u.2\","
		       "\"connections\":%u,",
		       s->id, s->id, s->connections);
		print_sent(s, CUST);
		printf(",");
		print_sent(s, PROV);
		print_tcp(s);
		printf(",\"frames\":{\"c2p\":%lu,\"p2c\":%lu},\"bytes\":{\"c2p\":%lu,\"p2c\":%lu}}",
		       s->frames[CUST], s->frames[PROV], s->bytes[CUST], s->bytes[PROV]);
		frames += s->frames[CUST] + s->frames[PROV];
		bytes += s->bytes[CUST] + s->bytes[PROV];
	}
	printf("],\"frames\":%lu,\"bytes\":%lu,\"dropped\":", frames, bytes);
	if (g->dropped.s != NULL)
		printf("{\"session\":%u,\"sender\":\"%s\",\"seq\":%lu,\"bytes\":%zu}}\n",
		       g->dropped.s->id, g->dropped.dir == CUST ? "customer" : "provider",
		       (unsigned long)g->dropped.seq, g->dropped.len);
	else
		printf("null}\n");
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gen_pcap [options] -o FILE.pcap\n"
		"  -o, --out FILE       capture to write (required)\n"
		"  -k, --sessions K     BGP sessions, 1..%u (default 2)\n"
		"  -4, --ipv4 N         IPv4 prefixes the provider announces (default 1000)\n"
		"  -6, --ipv6 M         IPv6 prefixes the provider announces (default 200)\n"
		"  -c, --customer N     prefixes per family the customer announces (default 3)\n"
		"  -p, --pack N         at most N prefixes per UPDATE, 2..200 (default 20)\n"
		"  -f, --flap           NOTIFICATION, teardown and a new connection\n"
		"  -t, --s-tpid TPID    QinQ outer TPID: 0x8100 (default) or 0x88a8\n"
		"  -d, --data N         background frames per VLAN (default 200)\n"
		"      --data-min B     smallest background payload (default 64)\n"
		"      --data-max B     largest background payload, <= 1400 (default 1400)\n"
		"  -z, --zero-windows N the customer advertises window 0 in N pure ACKs\n"
		"                       after the provider's table (default 0)\n"
		"  -r, --rtt US         the SYN-ACK comes US microseconds after the SYN\n"
		"                       plus the usual spacing (default 0)\n"
		"  -x, --drop N         lose the Nth BGP data segment (never written, nor\n"
		"                       any copy): a TCP hole (default 0: none)\n"
		"  -s, --seed S         seed (default 1)\n",
		MAX_SESSIONS);
}

static int parse_ul(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	v = strtoul(s, &end, 0);
	if (*end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"out", 1, NULL, 'o'},	    {"sessions", 1, NULL, 'k'}, {"ipv4", 1, NULL, '4'},
		{"ipv6", 1, NULL, '6'},	    {"customer", 1, NULL, 'c'}, {"pack", 1, NULL, 'p'},
		{"flap", 0, NULL, 'f'},	    {"s-tpid", 1, NULL, 't'},	{"data", 1, NULL, 'd'},
		{"data-min", 1, NULL, 'm'}, {"data-max", 1, NULL, 'M'}, {"seed", 1, NULL, 's'},
		{"zero-windows", 1, NULL, 'z'}, {"rtt", 1, NULL, 'r'}, {"drop", 1, NULL, 'x'},
		{"help", 0, NULL, 'h'},	    {NULL, 0, NULL, 0}};
	unsigned long v;
	int c;

	*o = (struct opts){.sessions = 2, .n4 = 1000, .n6 = 200, .cust_pfx = 3, .pack = 20,
			   .s_tpid = 0x8100, .data = 200, .data_min = 64, .data_max = 1400,
			   .seed = 1};
	while ((c = getopt_long(argc, argv, "o:k:4:6:c:p:ft:d:s:z:r:x:h", lo, NULL)) != -1) {
		int bad = 0;

		switch (c) {
		case 'o': o->out = optarg; break;
		case 'k': bad = parse_ul(optarg, MAX_SESSIONS, &v) || v == 0; o->sessions = (unsigned)v; break;
		case '4': bad = parse_ul(optarg, 10000000, &o->n4); break;
		case '6': bad = parse_ul(optarg, 10000000, &o->n6); break;
		case 'c': bad = parse_ul(optarg, 100, &v); o->cust_pfx = (unsigned)v; break;
		case 'p': bad = parse_ul(optarg, 200, &v) || v < 2; o->pack = (unsigned)v; break;
		case 'f': o->flap = true; break;
		case 't': bad = parse_ul(optarg, 0xffff, &v) || (v != 0x8100 && v != 0x88a8);
			  o->s_tpid = (unsigned)v; break;
		case 'd': bad = parse_ul(optarg, 100000000, &o->data); break;
		case 'm': bad = parse_ul(optarg, 1400, &v); o->data_min = (unsigned)v; break;
		case 'M': bad = parse_ul(optarg, 1400, &v); o->data_max = (unsigned)v; break;
		case 's': bad = parse_ul(optarg, ~0ul, &v); o->seed = v; break;
		case 'z': bad = parse_ul(optarg, 1000, &v); o->zero_windows = (unsigned)v; break;
		case 'r': bad = parse_ul(optarg, 10000000, &v); o->rtt_us = (unsigned)v; break;
		case 'x': bad = parse_ul(optarg, ~0ul, &o->drop); break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
		if (bad) {
			fprintf(stderr, "gen_pcap: bad value for -%c: %s\n", c, optarg);
			return -1;
		}
	}
	if (o->out == NULL || optind != argc || o->data_min > o->data_max)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static struct gen g;
	struct opts o;
	pcap_t *p = NULL;
	int rc = 1;

	if (parse_opts(argc, argv, &o) < 0) {
		usage(stderr);
		return 2;
	}
	g.o = &o;
	g.rng = o.seed * 0x2545f4914f6cdd1dull + 7;
	p = pcap_open_dead(DLT_EN10MB, 65535);
	if (p == NULL)
		goto out;
	g.d = pcap_dump_open(p, o.out);
	if (g.d == NULL) {
		fprintf(stderr, "gen_pcap: %s\n", pcap_geterr(p));
		goto out;
	}
	wb_init(&g.frame, 2048);
	for (unsigned i = 0; i < o.sessions; i++) {
		sess_init(&g.s[i], i + 1, o.s_tpid);
		session(&g, &g.s[i]);
		wb_free(&g.s[i].pend[CUST]);
		wb_free(&g.s[i].pend[PROV]);
	}
	if (pcap_dump_flush(g.d) != 0) {
		fprintf(stderr, "gen_pcap: write error on %s\n", o.out);
		goto out;
	}
	print_summary(&g);
	rc = 0;
out:
	if (g.d != NULL)
		pcap_dump_close(g.d);
	if (p != NULL)
		pcap_close(p);
	wb_free(&g.frame);
	return rc;
}
