/* circuit_index.c — the lookups of circuit_index.h, built from a config.
 * The one place in the model and its modules that walks the config's
 * circuits: one walk collects the present links, peerings and neighbours
 * in config order, then the address and VLAN tables are built over them. */
#include "circuit_index.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <uthash.h>

#define VLAN_KEY_MAX 300 /* "s_tag.c_tag.ifname"; longer names match nothing */

struct addr_key {
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16]; /* zero padded: the whole struct is the hash key */
};

struct addr_entry {
	UT_hash_handle hh;
	struct addr_key key;
	const struct circuit_ref **refs;
	size_t n, cap;
};

struct vlan_entry {
	UT_hash_handle hh;
	const struct circuit_ref *ref;
	char key[]; /* vlan_key() */
};

struct ref_list {
	struct circuit_ref *v;
	size_t n, cap;
};

struct circuit_index {
	const struct cfg_circuits *cc; /* NULL: none */
	struct ref_list links, peerings, neighbours;
	struct addr_entry *by_addr;
	struct vlan_entry *by_vlan;
};

static int push(struct ref_list *l, struct circuit_ref r)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct circuit_ref *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = r;
	return 0;
}

/* The links, peerings and neighbours of one present link, in order. */
static int collect_link(struct circuit_index *ix, const struct cfg_circuit *c, int l)
{
	struct circuit_ref r = {c, (enum cfg_link_role)l, &c->links[l], NULL, NULL};

	if (push(&ix->links, r) != 0)
		return -1;
	for (size_t q = 0; q < r.link->npeerings; q++) {
		r.peering = &r.link->peerings[q];
		r.neighbor = NULL;
		if (push(&ix->peerings, r) != 0)
			return -1;
		for (size_t n = 0; n < r.peering->nneighbors; n++) {
			r.neighbor = &r.peering->neighbors[n];
			if (push(&ix->neighbours, r) != 0)
				return -1;
		}
	}
	return 0;
}

static int collect(struct circuit_index *ix)
{
	const struct cfg_circuits *cc = ix->cc;

	for (size_t c = 0; cc != NULL && c < cc->ncircuits; c++)
		for (int l = 0; l < CFG_LINK_COUNT; l++)
			if (cc->circuits[c].links[l].present &&
			    collect_link(ix, &cc->circuits[c], l) != 0)
				return -1;
	return 0;
}

static struct addr_key addr_key_of(uint8_t family, const uint8_t *addr)
{
	struct addr_key k;

	memset(&k, 0, sizeof(k));
	k.family = family;
	memcpy(k.addr, addr, family == 4 ? 4 : 16);
	return k;
}

static int index_address(struct circuit_index *ix, const struct circuit_ref *r)
{
	const struct cfg_neighbor *nb = r->neighbor;
	struct addr_key k = addr_key_of(nb->family == AF_INET ? 4 : 6, nb->addr);
	struct addr_entry *e;

	HASH_FIND(hh, ix->by_addr, &k, sizeof(k), e);
	if (e == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL)
			return -1;
		e->key = k;
		HASH_ADD(hh, ix->by_addr, key, sizeof(k), e);
	}
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 2;
		const struct circuit_ref **v = realloc(e->refs, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		e->refs = v;
		e->cap = cap;
	}
	e->refs[e->n++] = r;
	return 0;
}

/* The key of a VLAN stack on an interface; false when ifname is too long. */
static bool vlan_key(char *out, const char *ifname, uint16_t s_tag, uint16_t c_tag)
{
	int n = snprintf(out, VLAN_KEY_MAX, "%u.%u.%s", s_tag, c_tag, ifname);

	return n > 0 && n < VLAN_KEY_MAX;
}

/* First in config order wins, as a walk over the circuits would find. */
static int index_vlan(struct circuit_index *ix, const struct circuit_ref *r)
{
	char key[VLAN_KEY_MAX];
	struct vlan_entry *e;
	size_t len;

	if (r->link->interface == NULL ||
	    !vlan_key(key, r->link->interface, r->link->s_tag, r->peering->vlan))
		return 0;
	len = strlen(key);
	HASH_FIND(hh, ix->by_vlan, key, len, e);
	if (e != NULL)
		return 0;
	if ((e = calloc(1, sizeof(*e) + len + 1)) == NULL)
		return -1;
	e->ref = r;
	memcpy(e->key, key, len + 1);
	HASH_ADD_KEYPTR(hh, ix->by_vlan, e->key, len, e);
	return 0;
}

struct circuit_index *circuit_index_new(const struct cfg_circuits *cc)
{
	struct circuit_index *ix = calloc(1, sizeof(*ix));

	if (ix == NULL)
		return NULL;
	ix->cc = cc;
	if (collect(ix) != 0)
		goto fail;
	for (size_t i = 0; i < ix->neighbours.n; i++)
		if (index_address(ix, &ix->neighbours.v[i]) != 0)
			goto fail;
	for (size_t i = 0; i < ix->peerings.n; i++)
		if (index_vlan(ix, &ix->peerings.v[i]) != 0)
			goto fail;
	return ix;
fail:
	circuit_index_free(ix);
	return NULL;
}

void circuit_index_free(struct circuit_index *ix)
{
	struct addr_entry *a, *at;
	struct vlan_entry *v, *vt;

	if (ix == NULL)
		return;
	HASH_ITER(hh, ix->by_addr, a, at) {
		HASH_DEL(ix->by_addr, a);
		free(a->refs);
		free(a);
	}
	HASH_ITER(hh, ix->by_vlan, v, vt) {
		HASH_DEL(ix->by_vlan, v);
		free(v);
	}
	free(ix->links.v);
	free(ix->peerings.v);
	free(ix->neighbours.v);
	free(ix);
}

size_t circuit_index_ncircuits(const struct circuit_index *ix)
{
	return ix != NULL && ix->cc != NULL ? ix->cc->ncircuits : 0;
}

const struct cfg_circuit *circuit_index_circuit(const struct circuit_index *ix, size_t i)
{
	return i < circuit_index_ncircuits(ix) ? &ix->cc->circuits[i] : NULL;
}

static const struct circuit_ref *list_of(const struct ref_list *l, size_t *n)
{
	*n = l->n;
	return l->n ? l->v : NULL;
}

const struct circuit_ref *circuit_index_links(const struct circuit_index *ix, size_t *n)
{
	*n = 0;
	return ix != NULL ? list_of(&ix->links, n) : NULL;
}

const struct circuit_ref *circuit_index_peerings(const struct circuit_index *ix, size_t *n)
{
	*n = 0;
	return ix != NULL ? list_of(&ix->peerings, n) : NULL;
}

const struct circuit_ref *circuit_index_neighbours(const struct circuit_index *ix, size_t *n)
{
	*n = 0;
	return ix != NULL ? list_of(&ix->neighbours, n) : NULL;
}

const struct circuit_ref *const *circuit_index_by_address(const struct circuit_index *ix,
							  uint8_t family, const uint8_t *addr,
							  size_t *n)
{
	struct addr_key k;
	struct addr_entry *e = NULL;

	*n = 0;
	if (ix == NULL || addr == NULL || (family != 4 && family != 6))
		return NULL;
	k = addr_key_of(family, addr);
	HASH_FIND(hh, ix->by_addr, &k, sizeof(k), e);
	if (e == NULL)
		return NULL;
	*n = e->n;
	return e->refs;
}

const struct circuit_ref *circuit_index_by_vlan(const struct circuit_index *ix,
						const char *ifname, uint16_t s_tag, uint16_t c_tag)
{
	char key[VLAN_KEY_MAX];
	struct vlan_entry *e = NULL;

	if (ix == NULL || ifname == NULL || !vlan_key(key, ifname, s_tag, c_tag))
		return NULL;
	HASH_FIND(hh, ix->by_vlan, key, strlen(key), e);
	return e != NULL ? e->ref : NULL;
}
