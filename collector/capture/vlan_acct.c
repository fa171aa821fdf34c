/* vlan_acct.c — per-VLAN traffic counters in a uthash table. */
#include "vlan_acct.h"

#include <stdlib.h>
#include <string.h>
#include <uthash.h>

struct entry {
	UT_hash_handle hh;
	struct vlan_key key;
	struct vlan_counts counts;
};

/* An address as a 128-bit number (IPv4 in the low 32 bits), for ordering. */
struct u128 {
	uint64_t hi, lo;
};

struct range {
	struct u128 first, last; /* inclusive */
};

struct vlan_match {
	size_t nmacs;
	uint64_t *macs; /* sorted, 48-bit values */
	size_t nranges[2];
	struct range *ranges[2]; /* [0] IPv4, [1] IPv6: sorted, disjoint */
};

struct vlan_acct {
	struct vlan_match *match;
	struct entry *entries;
	size_t nentries;
	struct vlan_counts overflow;
};

static uint64_t mac_value(const uint8_t *mac)
{
	uint64_t v = 0;

	for (int i = 0; i < 6; i++)
		v = v << 8 | mac[i];
	return v;
}

static struct u128 addr_value(uint8_t family, const uint8_t *addr)
{
	struct u128 v = {0, 0};
	int n = family == 4 ? 4 : 16;

	for (int i = 0; i < n; i++) {
		v.hi = v.hi << 8 | v.lo >> 56;
		v.lo = v.lo << 8 | addr[i];
	}
	return v;
}

static int u128_cmp(struct u128 a, struct u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	return a.lo < b.lo ? -1 : a.lo > b.lo;
}

/* The host bits of a /len in a bits-wide address, as a mask. */
static struct u128 host_mask(unsigned bits, unsigned len)
{
	unsigned host = bits - len;
	struct u128 m = {0, 0};

	if (host >= 128)
		return (struct u128){UINT64_MAX, UINT64_MAX};
	if (host >= 64) {
		m.lo = UINT64_MAX;
		m.hi = host == 64 ? 0 : (UINT64_MAX >> (128 - host));
	} else if (host > 0) {
		m.lo = UINT64_MAX >> (64 - host);
	}
	return m;
}

static int cmp_mac(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static int cmp_range(const void *x, const void *y)
{
	return u128_cmp(((const struct range *)x)->first, ((const struct range *)y)->first);
}

/* Sorts the ranges and merges the overlapping ones; returns the count. */
static size_t merge_ranges(struct range *r, size_t n)
{
	size_t out = 0;

	if (n == 0)
		return 0;
	qsort(r, n, sizeof(*r), cmp_range);
	for (size_t i = 1; i < n; i++) {
		if (u128_cmp(r[i].first, r[out].last) <= 0) {
			if (u128_cmp(r[i].last, r[out].last) > 0)
				r[out].last = r[i].last;
		} else {
			r[++out] = r[i];
		}
	}
	return out + 1;
}

/* The prefixes of one family as ranges; a prefix longer than the family's
 * address is skipped (the config refuses it). */
static int build_ranges(struct vlan_match *m, const struct vlan_local *l, int fi)
{
	uint8_t family = fi == 0 ? 4 : 6;
	unsigned bits = fi == 0 ? 32 : 128;
	size_t n = 0;

	for (size_t i = 0; i < l->nprefixes; i++)
		n += l->prefixes[i].family == family && l->prefixes[i].len <= bits;
	if (n == 0)
		return 0;
	if ((m->ranges[fi] = calloc(n, sizeof(*m->ranges[fi]))) == NULL)
		return -1;
	n = 0;
	for (size_t i = 0; i < l->nprefixes; i++) {
		const struct vlan_prefix *p = &l->prefixes[i];
		struct u128 v, h;

		if (p->family != family || p->len > bits)
			continue;
		v = addr_value(family, p->addr);
		h = host_mask(bits, p->len);
		m->ranges[fi][n].first = (struct u128){v.hi & ~h.hi, v.lo & ~h.lo};
		m->ranges[fi][n].last = (struct u128){v.hi | h.hi, v.lo | h.lo};
		n++;
	}
	m->nranges[fi] = merge_ranges(m->ranges[fi], n);
	return 0;
}

struct vlan_match *vlan_match_new(const struct vlan_local *l)
{
	struct vlan_match *m = calloc(1, sizeof(*m));

	if (m == NULL || l == NULL)
		return m;
	if (l->nmacs > 0) {
		if ((m->macs = calloc(l->nmacs, sizeof(*m->macs))) == NULL)
			goto fail;
		for (size_t i = 0; i < l->nmacs; i++)
			m->macs[i] = mac_value(l->macs[i]);
		qsort(m->macs, l->nmacs, sizeof(*m->macs), cmp_mac);
		m->nmacs = l->nmacs;
	}
	if (build_ranges(m, l, 0) < 0 || build_ranges(m, l, 1) < 0)
		goto fail;
	return m;
fail:
	vlan_match_free(m);
	return NULL;
}

void vlan_match_free(struct vlan_match *m)
{
	if (m == NULL)
		return;
	free(m->macs);
	free(m->ranges[0]);
	free(m->ranges[1]);
	free(m);
}

struct vlan_acct *vlan_acct_new(const struct vlan_local *local)
{
	struct vlan_acct *a = calloc(1, sizeof(*a));

	if (a != NULL && (a->match = vlan_match_new(local)) == NULL) {
		free(a);
		a = NULL;
	}
	return a;
}

void vlan_acct_free(struct vlan_acct *a)
{
	struct entry *e, *tmp;

	if (a == NULL)
		return;
	HASH_ITER(hh, a->entries, e, tmp) {
		HASH_DEL(a->entries, e);
		free(e);
	}
	vlan_match_free(a->match);
	free(a);
}

const char *vlan_dir_name(enum vlan_dir d)
{
	static const char *const names[VLAN_DIR_COUNT] = {"ingress", "egress", "unknown"};

	return (unsigned)d < VLAN_DIR_COUNT ? names[d] : "unknown";
}

static bool mac_local(const struct vlan_match *m, const uint8_t *mac)
{
	uint64_t v;

	if (mac == NULL || m->nmacs == 0)
		return false;
	v = mac_value(mac);
	return bsearch(&v, m->macs, m->nmacs, sizeof(*m->macs), cmp_mac) != NULL;
}

bool vlan_match_ip(const struct vlan_match *m, uint8_t family, const uint8_t *addr)
{
	const struct range *r;
	size_t lo = 0, hi;
	struct u128 v;
	int fi = family == 4 ? 0 : 1;

	if (addr == NULL || (family != 4 && family != 6) || m->nranges[fi] == 0)
		return false;
	r = m->ranges[fi];
	v = addr_value(family, addr);
	hi = m->nranges[fi]; /* the answer is the last range with first <= v */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (u128_cmp(r[mid].first, v) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && u128_cmp(v, r[lo - 1].last) <= 0;
}

enum vlan_dir vlan_match_direction(const struct vlan_match *m, const struct vlan_frame *f)
{
	/* MACs are the surer sign on a SPAN port: routed traffic keeps the
	 * addresses of hosts far away, the MAC is the router's own */
	if (mac_local(m, f->src_mac))
		return VLAN_DIR_EGRESS;
	if (mac_local(m, f->dst_mac))
		return VLAN_DIR_INGRESS;
	if (vlan_match_ip(m, f->family, f->src_ip))
		return VLAN_DIR_EGRESS;
	if (vlan_match_ip(m, f->family, f->dst_ip))
		return VLAN_DIR_INGRESS;
	return VLAN_DIR_UNKNOWN;
}

void vlan_acct_add(struct vlan_acct *a, const char *ifname, const struct vlan_frame *f)
{
	struct vlan_key k;
	struct entry *e;

	memset(&k, 0, sizeof(k));
	strncpy(k.ifname, ifname, sizeof(k.ifname) - 1);
	k.s_tag = f->s_tag;
	k.c_tag = f->c_tag;
	k.dir = (uint8_t)vlan_match_direction(a->match, f);
	HASH_FIND(hh, a->entries, &k, sizeof(k), e);
	if (e == NULL) {
		if (a->nentries >= VLAN_ACCT_MAX_KEYS || (e = calloc(1, sizeof(*e))) == NULL) {
			a->overflow.bytes += f->wire_len;
			a->overflow.packets++;
			return;
		}
		e->key = k;
		HASH_ADD(hh, a->entries, key, sizeof(k), e);
		a->nentries++;
	}
	e->counts.bytes += f->wire_len;
	e->counts.packets++;
}

int vlan_acct_walk(const struct vlan_acct *a,
		   int (*fn)(const struct vlan_key *k, const struct vlan_counts *c, void *arg),
		   void *arg)
{
	const struct entry *e, *tmp;

	HASH_ITER(hh, a->entries, e, tmp) {
		int rc = fn(&e->key, &e->counts, arg);

		if (rc != 0)
			return rc;
	}
	return 0;
}

const struct vlan_counts *vlan_acct_overflow(const struct vlan_acct *a)
{
	return &a->overflow;
}

size_t vlan_acct_keys(const struct vlan_acct *a)
{
	return a->nentries;
}
