/* gen_bmp_table.c — writes a BMP v3 byte stream of full BGP tables, for the
 * benchmark (tests/bench/bench_bmp.sh) and for replaying into collectors.
 *
 * The stream is what a router's BMP client sends for N eBGP peers: an
 * Initiation (sysName, sysDescr), one Peer Up per peer with the OPENs both
 * sides sent (4-octet AS, MP IPv4 and IPv6 unicast, route refresh,
 * enhanced route refresh, FQDN), each peer's table as Route Monitoring
 * (IPv4 in the UPDATE's NLRI, IPv6 in MP_REACH_NLRI, RFC 4760), an
 * End-of-RIB per AFI (RFC 4724 §2), and optionally a Peer Down per peer.
 *
 * Prefixes: IPv4 with a realistic length mix (most /24, down to /12) and
 * more-specifics under shorter blocks; IPv6 mostly /48 and /32..44.
 * Attributes: consecutive prefixes share an attribute set in runs (mean
 * --run), and each run draws its set from --sets sets with a skewed
 * (popular-first) distribution. A set is ORIGIN, a 2-8 hop AS_PATH from a
 * pool of AS numbers (first hop the peer), NEXT_HOP or the MP next hop
 * (global + link-local), MED on about a third, 0-6 communities on most,
 * large communities on about a sixth, AGGREGATOR on a few.
 *
 * --router N (with its own --seed and --peer-as) makes the stream of one of
 * many routers (tests/bench/bench_scale.sh): its own sysName, attribute
 * sets from its seed, and prefixes from its own start in the address space.
 *
 * --pack N puts up to N prefixes of the same run in one UPDATE (the RIB
 * content is the same as with one prefix per message). Output is
 * deterministic for the same options and seed.
 *
 * --verify reads the written file back through the project's codecs
 * (bmp_frame, bmp_decode, bgp_open_decode, bgp_update_decode and the NLRI
 * iterator) and checks the prefix counts; --check FILE does the same for
 * any existing file and prints what it found.
 *
 * usage: gen_bmp_table [options] -o FILE  (see usage()) */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bgp.h"
#include "bmp.h"
#include "wire_build.h"

#define MSG_CAP 8192u	      /* initial buffer: a BMP message (headers + UPDATE) fits */
#define UPDATE_MAX 4096u      /* RFC 4271 §4.1: no extended messages negotiated */
#define LOCAL_AS 65001u
#define LOCAL_ID 0xc612ff01u  /* 198.18.255.1 */
#define PEER_AS_BASE 200000u  /* 4-octet peer ASNs (AS_TRANS in the OPEN's 2-octet field) */
#define PEER_ADDR_BASE 0xc6120000u /* peers at 198.18.0.0/16 */
#define TS_BASE 1767225600u   /* 2026-01-01T00:00:00Z: fixed, for deterministic output */
#define AS_POOL_TIER1 16u
#define AS_POOL_TIER2 600u
#define AS_POOL_STUB 40000u

struct opts {
	unsigned long n4, n6; /* routes per peer */
	unsigned peers, pack, sets, run, router;
	uint64_t seed;
	bool peer_down, peer_down_only, verify;
	const char *out, *check;
};

struct counts {
	unsigned long msgs[8];
	unsigned long pfx4, pfx6, eor4, eor6, updates, errors;
};

/* ---- deterministic randomness (splitmix64) ---- */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t rnd(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ull;
	return mix(*s);
}

/* ---- BMP and BGP framing ---- */

/* Each BMP message is built alone in g->msg, then written out by emit(). */
static size_t msg_begin(struct wb *b, enum bmp_msg_type type)
{
	wb_reset(b);
	return wb_bmp_begin(b, type);
}

/* Peer identities: set once from the command line (this file is a tool's
 * main, where such settings may live), e.g. to match a demo config. */
static uint32_t peer_addr_first = PEER_ADDR_BASE + 2u;
static uint32_t peer_addr_step = 2u;
static uint32_t peer_as_first = PEER_AS_BASE;

static uint32_t peer_addr(unsigned peer)
{
	return peer_addr_first + peer_addr_step * peer;
}

static uint32_t peer_as(unsigned peer)
{
	return peer_as_first + peer;
}

/* RFC 7854 §4.2: global instance peer, IPv4 address, pre-policy Adj-RIB-In. */
static void put_peer_hdr(struct wb *b, unsigned peer, uint32_t ts)
{
	static const uint8_t zero[12];

	wb_put8(b, BMP_PEER_GLOBAL);
	wb_put8(b, 0);	  /* flags: V=0 L=0 A=0 O=0 */
	wb_put32(b, 0);	  /* distinguisher */
	wb_put32(b, 0);
	wb_put_mem(b, zero, 12);
	wb_put32(b, peer_addr(peer));
	wb_put32(b, peer_as(peer));
	wb_put32(b, peer_addr(peer)); /* BGP ID */
	wb_put32(b, ts);
	wb_put32(b, 0);
}

static void put_cap_mp(struct wb *b, unsigned afi)
{
	wb_put8(b, BGP_CAP_MP);
	wb_put8(b, 4);
	wb_put16(b, afi);
	wb_put8(b, 0);
	wb_put8(b, BGP_SAFI_UNICAST);
}

/* An OPEN as FRR and most routers send it: capabilities in one optional
 * parameter (RFC 5492). */
static void put_open(struct wb *b, uint32_t as, uint32_t id, const char *host)
{
	size_t at = wb_bgp_begin(b, BGP_MSG_OPEN), params, caps;
	size_t hl = strlen(host);

	wb_put8(b, 4);
	wb_put16(b, as > 0xffffu ? BGP_AS_TRANS : as);
	wb_put16(b, 180);
	wb_put32(b, id);
	params = b->len;
	wb_put8(b, 0); /* optional parameters length */
	wb_put8(b, 2); /* capabilities */
	caps = b->len;
	wb_put8(b, 0);
	put_cap_mp(b, BGP_AFI_IPV4);
	put_cap_mp(b, BGP_AFI_IPV6);
	wb_put8(b, BGP_CAP_ROUTE_REFRESH);
	wb_put8(b, 0);
	wb_put8(b, BGP_CAP_ENHANCED_RR);
	wb_put8(b, 0);
	wb_put8(b, BGP_CAP_AS4);
	wb_put8(b, 4);
	wb_put32(b, as);
	wb_put8(b, BGP_CAP_FQDN);
	wb_put8(b, (unsigned)(hl + 2));
	wb_put8(b, (unsigned)hl);
	wb_put_mem(b, host, hl);
	wb_put8(b, 0); /* no domain name */
	b->p[caps] = (uint8_t)(b->len - caps - 1);
	b->p[params] = (uint8_t)(b->len - params - 1);
	wb_bgp_end(b, at);
}

/* sysName bench-edge1, or bench-edgeN+1 for --router N */
static void msg_initiation(struct wb *b, unsigned router)
{
	static const char descr[] = "circuitwatch gen_bmp_table (synthetic full table)";
	char name[32];
	size_t nl = (size_t)snprintf(name, sizeof(name), "bench-edge%u", router + 1u);
	size_t at = msg_begin(b, BMP_MSG_INITIATION);

	wb_put16(b, BMP_INIT_SYSDESCR);
	wb_put16(b, sizeof(descr) - 1);
	wb_put_mem(b, descr, sizeof(descr) - 1);
	wb_put16(b, BMP_INIT_SYSNAME);
	wb_put16(b, (unsigned)nl);
	wb_put_mem(b, name, nl);
	wb_bmp_end(b, at);
}

/* RFC 7854 §4.10 */
static void msg_peer_up(struct wb *b, unsigned peer)
{
	static const uint8_t zero[12];
	char host[32];
	size_t at = msg_begin(b, BMP_MSG_PEER_UP);

	put_peer_hdr(b, peer, TS_BASE);
	wb_put_mem(b, zero, 12);
	wb_put32(b, peer_addr(peer) - 1u); /* local address, same /31 */
	wb_put16(b, 179);
	wb_put16(b, 40000u + peer % 20000u);
	put_open(b, LOCAL_AS, LOCAL_ID, "bench-edge1");		/* sent by the router */
	snprintf(host, sizeof(host), "transit-%u", peer);
	put_open(b, peer_as(peer), peer_addr(peer), host);	/* received from the peer */
	wb_bmp_end(b, at);
}

/* RFC 7854 §4.9: reason 1, a Cease / Administrative Shutdown NOTIFICATION. */
static void msg_peer_down(struct wb *b, unsigned peer)
{
	size_t at = msg_begin(b, BMP_MSG_PEER_DOWN), nat;

	put_peer_hdr(b, peer, TS_BASE + 3600u);
	wb_put8(b, BMP_DOWN_LOCAL_NOTIFICATION);
	nat = wb_bgp_begin(b, BGP_MSG_NOTIFICATION);
	wb_put8(b, 6);
	wb_put8(b, 2);
	wb_bgp_end(b, nat);
	wb_bmp_end(b, at);
}

/* ---- attribute sets ---- */

static uint32_t pool_as(uint64_t h, unsigned tier)
{
	static const uint32_t tier1[AS_POOL_TIER1] = {174,  1299, 2914, 3257, 3320, 3356,
						      3491, 5511, 6453, 6461, 6762, 6830,
						      6939, 7018, 12956, 1273};

	if (tier == 0)
		return tier1[h % AS_POOL_TIER1];
	if (tier == 1)
		return 8000u + (uint32_t)(h % AS_POOL_TIER2) * 37u;
	/* stubs: 2-octet and, for a third, 4-octet ASNs (RFC 6793) */
	return h % 3 == 0 ? 263000u + (uint32_t)(h % AS_POOL_STUB)
			  : 13000u + (uint32_t)(h % AS_POOL_STUB) % 50000u;
}

static void put_attr_hdr(struct wb *b, unsigned flags, unsigned type, size_t len)
{
	if (len > 255) {
		wb_put8(b, flags | BGP_ATTR_FLAG_EXTENDED);
		wb_put8(b, type);
		wb_put16(b, (unsigned)len);
	} else {
		wb_put8(b, flags);
		wb_put8(b, type);
		wb_put8(b, (unsigned)len);
	}
}

/* AS_PATH: one AS_SEQUENCE of 2..8 4-octet ASNs, the peer first. */
static void put_as_path(struct wb *b, unsigned peer, uint64_t h)
{
	static const unsigned len_pick[16] = {2, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 7, 7, 8};
	uint32_t path[8];
	unsigned n = len_pick[h % 16];
	uint64_t s = h;

	path[0] = peer_as(peer);
	for (unsigned i = 1; i < n; i++)
		path[i] = pool_as(rnd(&s), i == 1 ? 0 : (i + 1 < n ? 1 : 2));
	if (n > 3 && (h >> 20) % 8 == 0)
		path[n - 2] = path[n - 1]; /* prepending */
	put_attr_hdr(b, BGP_ATTR_FLAG_TRANSITIVE, BGP_ATTR_AS_PATH, 2 + 4 * (size_t)n);
	wb_put8(b, BGP_AS_SEQUENCE);
	wb_put8(b, n);
	for (unsigned i = 0; i < n; i++)
		wb_put32(b, path[i]);
}

static void put_communities(struct wb *b, unsigned peer, uint64_t h)
{
	unsigned n = (unsigned)(h % 7);
	uint64_t s = h ^ 0xc0ffeeull;

	if ((h >> 8) % 5 == 0 || n == 0)
		return; /* about a fifth carry none */
	put_attr_hdr(b, BGP_ATTR_FLAG_OPTIONAL | BGP_ATTR_FLAG_TRANSITIVE, BGP_ATTR_COMMUNITIES,
		     4 * (size_t)n);
	for (unsigned i = 0; i < n; i++) {
		uint64_t r = rnd(&s);

		wb_put16(b, i == 0 ? peer_as(peer) & 0xffffu : pool_as(r, 1) & 0xffffu);
		wb_put16(b, (unsigned)(r >> 32) % 4000u);
	}
}

static void put_large_communities(struct wb *b, unsigned peer, uint64_t h)
{
	unsigned n = 1 + (unsigned)((h >> 12) % 3);

	if ((h >> 16) % 6 != 0)
		return;
	put_attr_hdr(b, BGP_ATTR_FLAG_OPTIONAL | BGP_ATTR_FLAG_TRANSITIVE,
		     BGP_ATTR_LARGE_COMMUNITY, 12 * (size_t)n);
	for (unsigned i = 0; i < n; i++) {
		wb_put32(b, peer_as(peer));
		wb_put32(b, 1u + i);
		wb_put32(b, (uint32_t)((h >> (24 + i)) % 1000u));
	}
}

/* Path attributes of set `set` for `peer` (family 4: NEXT_HOP; 6: the
 * MP_REACH_NLRI is added by the caller, last). Attributes in type order. */
static void put_attrs(struct wb *b, unsigned peer, unsigned set, uint64_t seed, unsigned family)
{
	uint64_t h = mix(seed ^ mix((uint64_t)set * 1000003u + peer));
	unsigned o = (unsigned)(h % 10);

	put_attr_hdr(b, BGP_ATTR_FLAG_TRANSITIVE, BGP_ATTR_ORIGIN, 1);
	wb_put8(b, o < 8 ? 0 : (o < 9 ? 2 : 1));
	put_as_path(b, peer, mix(h));
	if (family == 4) {
		put_attr_hdr(b, BGP_ATTR_FLAG_TRANSITIVE, BGP_ATTR_NEXT_HOP, 4);
		wb_put32(b, peer_addr(peer));
	}
	if ((h >> 28) % 3 == 0) {
		put_attr_hdr(b, BGP_ATTR_FLAG_OPTIONAL, BGP_ATTR_MED, 4);
		wb_put32(b, (uint32_t)((h >> 32) % 20u) * 10u);
	}
	if ((h >> 36) % 40 == 0) {
		put_attr_hdr(b, BGP_ATTR_FLAG_TRANSITIVE, BGP_ATTR_ATOMIC_AGGREGATE, 0);
		put_attr_hdr(b, BGP_ATTR_FLAG_OPTIONAL | BGP_ATTR_FLAG_TRANSITIVE,
			     BGP_ATTR_AGGREGATOR, 8);
		wb_put32(b, pool_as(h >> 40, 2));
		wb_put32(b, 0x0a000001u + (uint32_t)((h >> 44) % 250u));
	}
	put_communities(b, peer, mix(h + 1));
	put_large_communities(b, peer, mix(h + 2));
}

/* ---- prefixes ---- */

struct pfx {
	uint8_t len;
	uint8_t addr[16];
};

/* IPv4 block lengths per 10,000 blocks; more-specifics come in addition. */
static const struct {
	uint8_t len;
	unsigned weight;
} v4_mix[] = {{24, 5800}, {23, 1000}, {22, 1300}, {21, 650}, {20, 500}, {19, 300}, {18, 150},
	      {17, 100},  {16, 180},  {15, 10},	  {14, 6},   {13, 3},	{12, 1}};
static const struct {
	uint8_t len;
	unsigned weight;
} v6_mix[] = {{48, 5000}, {47, 200}, {46, 300}, {45, 100}, {44, 800}, {42, 200},
	      {40, 700},  {36, 300}, {33, 100}, {32, 1900}, {29, 400}};

struct pfx_gen {
	unsigned family;
	uint64_t cursor, limit;	 /* IPv4: address; IPv6: the top 64 bits */
	uint64_t start;		 /* IPv4: where pass 0 began (rotated per --router) */
	bool wrapped;		 /* IPv4: pass 0 went past the top and restarted low */
	unsigned pass;		 /* IPv4 only: wrapped around the space */
	uint64_t rng;
	struct pfx pending[8];	 /* more-specifics of the last block, emitted next */
	unsigned npending;
};

/* Router r (--router) starts IPv4 at a rotated point of the space (a
 * golden-ratio step per router, /12-aligned) and IPv6 in its own 2^54 block
 * of the top 64 bits (disjoint for up to IPV6_REGIONS routers; a 200 k
 * table uses about 2^49 of it), so that routers' tables differ. Router 0
 * is the layout of the tool without --router. */
#define V4_LOW 0x01000000ull
#define V4_HIGH 0xe0000000ull
#define V6_LOW 0x2001040000000000ull
#define V6_REGION (1ull << 54)
#define IPV6_REGIONS 128u

static void pfx_gen_init(struct pfx_gen *g, unsigned family, uint64_t seed, unsigned router)
{
	memset(g, 0, sizeof(*g));
	g->family = family;
	g->rng = seed ^ (family == 4 ? 0x4444u : 0x6666u);
	if (family == 4) {
		uint64_t span = V4_HIGH - V4_LOW;

		g->start = V4_LOW + (((uint64_t)router * 0x9e3779b9ull) % span & ~0xfffffull);
		g->cursor = g->start;
		g->limit = V4_HIGH;
	} else if (router == 0) {
		g->cursor = V6_LOW;
		g->limit = 0x3fffffffffffffffull;
	} else {
		g->cursor = V6_LOW + (uint64_t)(router % IPV6_REGIONS) * V6_REGION;
		g->limit = g->cursor + V6_REGION - 1;
	}
}

static void pfx_set(struct pfx *p, unsigned family, uint64_t a, unsigned len)
{
	memset(p, 0, sizeof(*p));
	p->len = (uint8_t)len;
	if (family == 4) {
		for (int i = 0; i < 4; i++)
			p->addr[i] = (uint8_t)(a >> (24 - 8 * i));
	} else {
		for (int i = 0; i < 8; i++)
			p->addr[i] = (uint8_t)(a >> (56 - 8 * i));
	}
}

static unsigned pick_len(struct pfx_gen *g)
{
	unsigned r = (unsigned)(rnd(&g->rng) % 10000u);

	if (g->family == 4) {
		for (size_t i = 0; i < sizeof(v4_mix) / sizeof(v4_mix[0]); i++) {
			if (r < v4_mix[i].weight)
				return v4_mix[i].len;
			r -= v4_mix[i].weight;
		}
		return 24;
	}
	for (size_t i = 0; i < sizeof(v6_mix) / sizeof(v6_mix[0]); i++) {
		if (r < v6_mix[i].weight)
			return v6_mix[i].len;
		r -= v6_mix[i].weight;
	}
	return 48;
}

/* Queues up to 7 more-specifics (down to /24 or /48) at distinct offsets
 * of the block a/len: distinct (address, length) pairs by construction. */
static void queue_more_specifics(struct pfx_gen *g, uint64_t a, unsigned len)
{
	unsigned maxlen = g->family == 4 ? 24 : 48, bits = g->family == 4 ? 32 : 64;
	uint64_t r = rnd(&g->rng);
	unsigned m = (unsigned)(r % 8);

	if (len + 2 > maxlen || r % 100 >= 45)
		return; /* 45 % of the shorter blocks are deaggregated */
	for (unsigned j = 0; j < m && g->npending < 8; j++) {
		unsigned ml = len + 1 + (unsigned)((r >> (8 + 3 * j)) % (maxlen - len));

		while (ml <= maxlen && j >= (1u << (ml - len)))
			ml++;
		if (ml > maxlen)
			break;
		pfx_set(&g->pending[g->npending++], g->family, a + ((uint64_t)j << (bits - ml)), ml);
	}
}

static void pfx_next(struct pfx_gen *g, struct pfx *out)
{
	unsigned len, bits = g->family == 4 ? 32 : 64;
	uint64_t size, a;

	if (g->npending > 0) {
		*out = g->pending[0];
		memmove(g->pending, g->pending + 1, --g->npending * sizeof(g->pending[0]));
		return;
	}
	len = g->pass > 0 ? 24 + g->pass : pick_len(g);
	size = 1ull << (bits - len);
	a = (g->cursor + size - 1) & ~(size - 1);
	if (a + size > g->limit && g->family == 4 && g->pass == 0 && !g->wrapped &&
	    g->start > V4_LOW) {
		/* a rotated start: go on from the bottom up to where pass 0 began */
		g->wrapped = true;
		g->cursor = V4_LOW;
		g->limit = g->start;
		a = (g->cursor + size - 1) & ~(size - 1);
	}
	if (a + size > g->limit) {
		/* IPv4 space used up: go round again with longer prefixes, which
		 * no earlier pass has used (pass k uses /24+k only). */
		g->pass++;
		g->cursor = V4_LOW;
		g->limit = V4_HIGH;
		len = 24 + g->pass;
		size = 1ull << (bits - len);
		a = g->cursor;
	}
	g->cursor = a + size;
	pfx_set(out, g->family, a, len);
	if (g->pass == 0)
		queue_more_specifics(g, a, len);
}

static void put_prefix(struct wb *b, const struct pfx *p)
{
	wb_put8(b, p->len);
	wb_put_mem(b, p->addr, (p->len + 7u) / 8u);
}

/* ---- the table ---- */

struct gen {
	const struct opts *o;
	FILE *fp;
	struct wb msg;
	struct wb attrs; /* the current run's attributes, reused per UPDATE */
	uint8_t *set_used; /* distinct sets actually drawn, per family */
	unsigned long distinct, messages, updates;
	unsigned long long bytes;
	uint32_t ts;
};

static int emit(struct gen *g)
{
	if (fwrite(g->msg.p, 1, g->msg.len, g->fp) != g->msg.len)
		return -1;
	g->bytes += g->msg.len;
	g->messages++;
	return 0;
}

/* Skewed draw: low set numbers are popular (density ~ 1/sqrt(set)). */
static unsigned draw_set(const struct opts *o, uint64_t *rng)
{
	double u = (double)(rnd(rng) >> 11) / 9007199254740992.0;

	return (unsigned)(u * u * o->sets) % o->sets;
}

/* One UPDATE of n prefixes with the attributes in g->attrs. */
static int emit_update(struct gen *g, unsigned peer, unsigned family, const struct pfx *v,
		       unsigned n)
{
	struct wb *b = &g->msg;
	size_t mat = msg_begin(b, BMP_MSG_ROUTE_MONITORING), at, attr_len_at, mp_at;

	put_peer_hdr(b, peer, g->ts + (uint32_t)(g->updates / 50000u));
	at = wb_bgp_begin(b, BGP_MSG_UPDATE);
	wb_put16(b, 0); /* withdrawn routes length */
	attr_len_at = b->len;
	wb_put16(b, 0);
	wb_put_mem(b, g->attrs.p, g->attrs.len);
	if (family == 6) {
		/* RFC 4760 §3; RFC 2545 §3: global and link-local next hop */
		size_t nlri = 0;

		for (unsigned i = 0; i < n; i++)
			nlri += 1u + (v[i].len + 7u) / 8u;
		put_attr_hdr(b, BGP_ATTR_FLAG_OPTIONAL, BGP_ATTR_MP_REACH_NLRI, 5 + 32 + nlri);
		mp_at = b->len;
		wb_put16(b, BGP_AFI_IPV6);
		wb_put8(b, BGP_SAFI_UNICAST);
		wb_put8(b, 32);
		wb_put32(b, 0x20010db8u);
		wb_put32(b, 0xffff0000u);
		wb_put32(b, 0);
		wb_put32(b, peer_addr(peer));
		wb_put32(b, 0xfe800000u);
		wb_put32(b, 0);
		wb_put32(b, 0x020000ffu);
		wb_put32(b, 0xfe000000u | (peer & 0xffffu));
		wb_put8(b, 0); /* reserved */
		for (unsigned i = 0; i < n; i++)
			put_prefix(b, &v[i]);
		(void)mp_at;
		wb_set16(b, attr_len_at, b->len - attr_len_at - 2);
	} else {
		wb_set16(b, attr_len_at, b->len - attr_len_at - 2);
		for (unsigned i = 0; i < n; i++)
			put_prefix(b, &v[i]);
	}
	wb_bgp_end(b, at);
	wb_bmp_end(b, mat);
	g->updates++;
	return emit(g);
}

/* RFC 4724 §2: IPv4 is an empty UPDATE; IPv6 an UPDATE with only an empty
 * MP_UNREACH_NLRI. */
static int emit_eor(struct gen *g, unsigned peer, unsigned family)
{
	struct wb *b = &g->msg;
	size_t mat = msg_begin(b, BMP_MSG_ROUTE_MONITORING), at;

	put_peer_hdr(b, peer, g->ts + (uint32_t)(g->updates / 50000u));
	at = wb_bgp_begin(b, BGP_MSG_UPDATE);
	wb_put16(b, 0);
	if (family == 4) {
		wb_put16(b, 0);
	} else {
		wb_put16(b, 6);
		put_attr_hdr(b, BGP_ATTR_FLAG_OPTIONAL, BGP_ATTR_MP_UNREACH_NLRI, 3);
		wb_put16(b, BGP_AFI_IPV6);
		wb_put8(b, BGP_SAFI_UNICAST);
	}
	wb_bgp_end(b, at);
	wb_bmp_end(b, mat);
	return emit(g);
}

/* Max bytes an UPDATE may spend on NLRI after the fixed parts and attributes. */
static size_t nlri_room(const struct gen *g, unsigned family)
{
	size_t fixed = BGP_HEADER_LEN + 4 + g->attrs.len + (family == 6 ? 4 + 5 + 32 : 0);

	return UPDATE_MAX > fixed ? UPDATE_MAX - fixed : 0;
}

static int gen_family(struct gen *g, unsigned peer, unsigned family, unsigned long n)
{
	const struct opts *o = g->o;
	struct pfx_gen pg;
	struct pfx batch[256];
	uint64_t rng = mix(o->seed ^ ((uint64_t)peer << 32) ^ family);
	unsigned long done = 0;

	pfx_gen_init(&pg, family, mix(o->seed + peer), o->router);
	while (done < n) {
		unsigned long run = 1 + rnd(&rng) % (2ull * o->run - 1);
		unsigned set = draw_set(o, &rng);
		size_t slot = (size_t)set * 2 + (family == 6);

		if (!g->set_used[slot]) {
			g->set_used[slot] = 1;
			g->distinct++;
		}
		wb_reset(&g->attrs);
		put_attrs(&g->attrs, peer, set, o->seed, family);
		if (run > n - done)
			run = n - done;
		while (run > 0) {
			unsigned k = 0;
			size_t room = nlri_room(g, family), used = 0;

			while (k < o->pack && k < run) {
				pfx_next(&pg, &batch[k]);
				used += 1u + (batch[k].len + 7u) / 8u;
				k++;
				if (room - used < 17)
					break;
			}
			if (emit_update(g, peer, family, batch, k) != 0)
				return -1;
			run -= k;
			done += k;
		}
	}
	return emit_eor(g, peer, family);
}

static int generate(const struct opts *o)
{
	struct gen *g = calloc(1, sizeof(*g));
	int rc = -1;

	if (g == NULL)
		return -1;
	g->o = o;
	g->ts = TS_BASE + 1u;
	wb_init(&g->msg, MSG_CAP);
	wb_init(&g->attrs, MSG_CAP);
	g->set_used = calloc((size_t)o->sets * 2, 1);
	g->fp = fopen(o->out, "wb");
	if (g->set_used == NULL || g->fp == NULL) {
		fprintf(stderr, "gen_bmp_table: %s: %s\n", o->out, strerror(errno));
		goto out;
	}
	setvbuf(g->fp, NULL, _IOFBF, 1 << 20);
	if (!o->peer_down_only) {
		msg_initiation(&g->msg, o->router);
		if (emit(g) != 0)
			goto out;
		for (unsigned p = 0; p < o->peers; p++) {
			msg_peer_up(&g->msg, p);
			if (emit(g) != 0)
				goto out;
		}
		for (unsigned p = 0; p < o->peers; p++) {
			if (gen_family(g, p, 4, o->n4) != 0 || gen_family(g, p, 6, o->n6) != 0)
				goto out;
		}
	}
	for (unsigned p = 0; (o->peer_down || o->peer_down_only) && p < o->peers; p++) {
		msg_peer_down(&g->msg, p);
		if (emit(g) != 0)
			goto out;
	}
	if (fclose(g->fp) != 0) {
		g->fp = NULL;
		fprintf(stderr, "gen_bmp_table: %s: %s\n", o->out, strerror(errno));
		goto out;
	}
	g->fp = NULL;
	printf("wrote %s: %llu bytes, %lu BMP messages, %lu UPDATEs with routes, "
	       "%u peer(s) x (%lu IPv4 + %lu IPv6) = %lu routes, %lu distinct attribute sets, "
	       "%.2f prefixes per UPDATE\n",
	       o->out, g->bytes, g->messages, g->updates, o->peers, o->n4, o->n6,
	       (unsigned long)o->peers * (o->n4 + o->n6), g->distinct,
	       g->updates ? (double)o->peers * (double)(o->n4 + o->n6) / (double)g->updates : 0.0);
	rc = 0;
out:
	if (g->fp != NULL)
		fclose(g->fp);
	free(g->set_used);
	wb_free(&g->attrs);
	wb_free(&g->msg);
	free(g);
	return rc;
}

/* ---- verification through the project's codecs ---- */

static unsigned long count_block(const struct bgp_nlri_block *blk, unsigned long *errors)
{
	struct bgp_nlri_iter it;
	struct bgp_prefix p;
	unsigned long n = 0;
	int rc;

	if (!blk->present)
		return 0;
	if (bgp_nlri_iter_init(&it, blk) != 0) {
		(*errors)++;
		return 0;
	}
	while ((rc = bgp_nlri_next(&it, &p)) == 1)
		n++;
	if (rc < 0)
		(*errors)++;
	return n;
}

static void check_update(const struct bmp_msg *m, const struct bgp_decode_ctx *ctx,
			 struct counts *c)
{
	struct bgp_update u;
	uint16_t afi;
	uint8_t safi;

	c->updates++;
	if (m->u.rm.update.status != BMP_PDU_OK ||
	    bgp_update_decode(m->u.rm.update.data, m->u.rm.update.len, ctx, &u) != 0 ||
	    u.errors != 0 || u.outcome != BGP_UPDATE_OK) {
		c->errors++;
		return;
	}
	if (bgp_update_is_eor(&u, &afi, &safi)) {
		if (afi == BGP_AFI_IPV4)
			c->eor4++;
		else
			c->eor6++;
		return;
	}
	c->pfx4 += count_block(&u.nlri, &c->errors);
	c->pfx6 += count_block(&u.mp_reach, &c->errors);
}

static void check_peer_up(const struct bmp_msg *m, struct bgp_decode_ctx *ctx, struct counts *c)
{
	struct bgp_open sent, recv;

	if (m->u.up.sent_open.status != BMP_PDU_OK || m->u.up.recv_open.status != BMP_PDU_OK ||
	    bgp_open_decode(m->u.up.sent_open.data, m->u.up.sent_open.len, &sent) != 0 ||
	    bgp_open_decode(m->u.up.recv_open.data, m->u.up.recv_open.len, &recv) != 0 ||
	    !recv.has_as4 || recv.n_mp != 2) {
		c->errors++;
		return;
	}
	/* every peer negotiates the same; the peer sends, the router receives */
	bgp_negotiate(&sent, &recv, ctx);
}

static int check_file(const char *path, struct counts *c)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	const uint8_t *data;
	struct bmp_msg *m = malloc(sizeof(*m));
	struct bgp_decode_ctx ctx;
	size_t pos = 0;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	bgp_ctx_init(&ctx);
	if (fd < 0 || m == NULL || fstat(fd, &st) != 0 || st.st_size == 0) {
		fprintf(stderr, "gen_bmp_table: %s: cannot read\n", path);
		goto out;
	}
	data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (data == MAP_FAILED)
		goto out;
	while (pos < (size_t)st.st_size) {
		size_t len = 0;

		if (bmp_frame(data + pos, (size_t)st.st_size - pos, 0, &len, NULL) !=
		    BMP_FRAME_COMPLETE) {
			fprintf(stderr, "gen_bmp_table: framing lost at byte %zu\n", pos);
			c->errors++;
			break;
		}
		if (bmp_decode(data + pos, len, m) != 0)
			c->errors++;
		if (m->type < 8)
			c->msgs[m->type]++;
		if (m->type == BMP_MSG_PEER_UP)
			check_peer_up(m, &ctx, c);
		else if (m->type == BMP_MSG_ROUTE_MONITORING)
			check_update(m, &ctx, c);
		pos += len;
	}
	munmap((void *)(uintptr_t)data, (size_t)st.st_size);
	printf("%s: %lu initiation, %lu peer-up, %lu route-monitoring, %lu peer-down; "
	       "%lu IPv4 + %lu IPv6 prefixes, End-of-RIB %lu IPv4 + %lu IPv6, %lu errors\n",
	       path, c->msgs[BMP_MSG_INITIATION], c->msgs[BMP_MSG_PEER_UP],
	       c->msgs[BMP_MSG_ROUTE_MONITORING], c->msgs[BMP_MSG_PEER_DOWN], c->pfx4, c->pfx6,
	       c->eor4, c->eor6, c->errors);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(m);
	return rc;
}

static int verify(const struct opts *o)
{
	struct counts c;
	unsigned long peers = o->peers;
	bool table = !o->peer_down_only;

	if (check_file(o->out, &c) != 0)
		return -1;
	if (c.errors != 0 || c.pfx4 != (table ? peers * o->n4 : 0) ||
	    c.pfx6 != (table ? peers * o->n6 : 0) || c.eor4 != (table ? peers : 0) ||
	    c.eor6 != (table ? peers : 0) || c.msgs[BMP_MSG_PEER_UP] != (table ? peers : 0) ||
	    c.msgs[BMP_MSG_PEER_DOWN] != (o->peer_down || o->peer_down_only ? peers : 0)) {
		fprintf(stderr, "gen_bmp_table: verify FAILED\n");
		return -1;
	}
	printf("verify: ok\n");
	return 0;
}

/* ---- command line ---- */

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: gen_bmp_table [options] -o FILE\n"
		"       gen_bmp_table --check FILE\n"
		"  --ipv4 N        IPv4 routes per peer (default 1000000)\n"
		"  --ipv6 N        IPv6 routes per peer (default 200000)\n"
		"  --peers N       eBGP peers, each with its own table (default 1)\n"
		"  --pack N        up to N prefixes (sharing attributes) per UPDATE (default 1)\n"
		"  --sets N        attribute sets to draw from (default 50000)\n"
		"  --run N         mean run of consecutive prefixes sharing a set (default 8)\n"
		"  --seed N        (default 1)\n"
		"  --router N      router index: sysName bench-edgeN+1, and the prefixes start at a\n"
		"                  per-router point of the space (IPv4 rotated, IPv6 a disjoint\n"
		"                  2^54 block for N < 128), so routers' tables differ (default 0)\n"
		"  --peer-addr A   first peer's IPv4 address (default 198.18.0.2)\n"
		"  --peer-step N   address step between peers (default 2)\n"
		"  --peer-as N     first peer's AS; the next ones count up (default 200000)\n"
		"  --peer-down     end with a Peer Down per peer\n"
		"  --peer-down-only  write only the Peer Downs (to send on an open session)\n"
		"  --verify        decode the written file with the project's codecs and check it\n");
}

static int num(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return (errno != 0 || *end != '\0' || end == s || *out > max) ? -1 : 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.n4 = 1000000, .n6 = 200000, .peers = 1, .pack = 1, .sets = 50000,
			   .run = 8, .seed = 1};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned long long x = 0;
		struct in_addr addr;

		if (strcmp(a, "--peer-down") == 0) {
			o->peer_down = true;
			continue;
		} else if (strcmp(a, "--peer-down-only") == 0) {
			o->peer_down_only = true;
			continue;
		} else if (strcmp(a, "--verify") == 0) {
			o->verify = true;
			continue;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(0);
		}
		if (v == NULL)
			return -1;
		i++;
		if (strcmp(a, "-o") == 0)
			o->out = v;
		else if (strcmp(a, "--check") == 0)
			o->check = v;
		else if (strcmp(a, "--seed") == 0 && num(v, UINT64_MAX, &x) == 0)
			o->seed = x;
		else if (strcmp(a, "--router") == 0 && num(v, 1000000, &x) == 0)
			o->router = (unsigned)x;
		else if (strcmp(a, "--ipv4") == 0 && num(v, 100000000, &x) == 0)
			o->n4 = (unsigned long)x;
		else if (strcmp(a, "--ipv6") == 0 && num(v, 100000000, &x) == 0)
			o->n6 = (unsigned long)x;
		else if (strcmp(a, "--peers") == 0 && num(v, 60000, &x) == 0 && x > 0)
			o->peers = (unsigned)x;
		else if (strcmp(a, "--pack") == 0 && num(v, 256, &x) == 0 && x > 0)
			o->pack = (unsigned)x;
		else if (strcmp(a, "--sets") == 0 && num(v, 10000000, &x) == 0 && x > 0)
			o->sets = (unsigned)x;
		else if (strcmp(a, "--run") == 0 && num(v, 1000000, &x) == 0 && x > 0)
			o->run = (unsigned)x;
		else if (strcmp(a, "--peer-addr") == 0 && inet_pton(AF_INET, v, &addr) == 1)
			peer_addr_first = ntohl(addr.s_addr);
		else if (strcmp(a, "--peer-step") == 0 && num(v, 65536, &x) == 0 && x > 0)
			peer_addr_step = (uint32_t)x;
		else if (strcmp(a, "--peer-as") == 0 && num(v, UINT32_MAX - 60000, &x) == 0 && x > 0)
			peer_as_first = (uint32_t)x;
		else
			return -1;
	}
	return (o->out != NULL || o->check != NULL) ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct counts c;

	if (parse(argc, argv, &o) != 0) {
		usage(stderr);
		return 2;
	}
	if (o.check != NULL)
		return check_file(o.check, &c) == 0 && c.errors == 0 ? 0 : 1;
	if (generate(&o) != 0)
		return 1;
	if (o.verify && verify(&o) != 0)
		return 1;
	return 0;
}
