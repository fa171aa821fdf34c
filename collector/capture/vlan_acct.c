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

struct vlan_acct {
	struct vlan_local local;
	struct entry *entries;
	size_t nentries;
	struct vlan_counts overflow;
};

struct vlan_acct *vlan_acct_new(const struct vlan_local *local)
{
	struct vlan_acct *a = calloc(1, sizeof(*a));

	if (a != NULL && local != NULL)
		a->local = *local;
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
	free(a);
}

const char *vlan_dir_name(enum vlan_dir d)
{
	static const char *const names[VLAN_DIR_COUNT] = {"ingress", "egress", "unknown"};

	return (unsigned)d < VLAN_DIR_COUNT ? names[d] : "unknown";
}

static bool mac_local(const struct vlan_local *l, const uint8_t *mac)
{
	if (mac == NULL)
		return false;
	for (size_t i = 0; i < l->nmacs && i < VLAN_ACCT_MAX_LOCAL; i++)
		if (memcmp(l->macs[i], mac, 6) == 0)
			return true;
	return false;
}

/* Whether addr (family 4 or 6) lies in prefix i: whole bytes, then the
 * leading bits of the last partial byte. */
static bool in_prefix(const struct vlan_local *l, size_t i, uint8_t family, const uint8_t *addr)
{
	unsigned len = l->prefixes[i].len, whole = len / 8, bits = len % 8;
	const uint8_t *p = l->prefixes[i].addr;

	if (l->prefixes[i].family != family || len > (family == 4 ? 32u : 128u))
		return false;
	if (memcmp(p, addr, whole) != 0)
		return false;
	if (bits == 0)
		return true;
	return ((p[whole] ^ addr[whole]) & (uint8_t)(0xff << (8 - bits))) == 0;
}

static bool ip_local(const struct vlan_local *l, uint8_t family, const uint8_t *addr)
{
	if (addr == NULL || (family != 4 && family != 6))
		return false;
	for (size_t i = 0; i < l->nprefixes && i < VLAN_ACCT_MAX_LOCAL; i++)
		if (in_prefix(l, i, family, addr))
			return true;
	return false;
}

enum vlan_dir vlan_acct_direction(const struct vlan_local *l, const struct vlan_frame *f)
{
	/* MACs are the surer sign on a SPAN port: routed traffic keeps the
	 * addresses of hosts far away, the MAC is the router's own */
	if (mac_local(l, f->src_mac))
		return VLAN_DIR_EGRESS;
	if (mac_local(l, f->dst_mac))
		return VLAN_DIR_INGRESS;
	if (ip_local(l, f->family, f->src_ip))
		return VLAN_DIR_EGRESS;
	if (ip_local(l, f->family, f->dst_ip))
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
	k.dir = (uint8_t)vlan_acct_direction(&a->local, f);
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
