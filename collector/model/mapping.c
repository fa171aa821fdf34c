/* mapping.c — which configured circuit, link and peering each peer is:
 * a peer is a configured neighbour when its address and ASN match one on a
 * link whose router (when given) is the peer's router, as the circuit
 * index finds it. Refreshed for every peer by model_apply_circuits, and
 * for one peer when it is created or changes AS. */
#include <string.h>

#include "circuit_index.h"
#include "model_priv.h"

static bool router_matches(const struct model_router *r, const char *want)
{
	return want == NULL || strcmp(want, r->address) == 0 || strcmp(want, r->host) == 0 ||
	       strcmp(want, r->sys_name) == 0;
}

/* The configured neighbour a peer (key, ASN) of router r is, if any: the
 * first in config order with its address and ASN on a link whose router
 * (when given) is r. ASN 0 means not known (a capture that started after
 * the OPENs; RFC 7607: AS 0 is never a peer's), and then the address
 * decides. */
bool model_find_neighbour(const struct circuit_index *ix, const struct model_router *r,
			  const struct peer_hkey *hk, uint32_t asn, struct peer_map *out)
{
	size_t n;
	const struct circuit_ref *const *v = circuit_index_by_address(ix, hk->family, hk->addr, &n);

	for (size_t i = 0; i < n; i++) {
		if (!router_matches(r, v[i]->link->router) ||
		    (asn != 0 && v[i]->neighbor->asn != asn))
			continue;
		*out = (struct peer_map){v[i]->circuit, (int)v[i]->role, v[i]->peering};
		return true;
	}
	return false;
}

void model_map_peer(const struct circuit_index *ix, struct model_peer *p)
{
	struct peer_map pm = {NULL, -1, NULL};

	(void)model_find_neighbour(ix, p->router, &p->hkey, p->asn, &pm);
	p->circuit = pm.circuit;
	p->link = pm.link;
	p->peering = pm.peering;
}

static void map_router(const struct circuit_index *ix, struct model_router *r)
{
	struct model_peer *p, *tmp;

	HASH_ITER(hh, r->peers, p, tmp) model_map_peer(ix, p);
}

void model_apply_circuits(struct model *m, const struct cfg_config *cfg,
			  const struct circuit_index *circuits)
{
	m->cfg = cfg;
	m->ix = circuits;
	m->links_ix = NULL; /* model_link_sessions: none until the next publish */
	for (size_t i = 0; i < m->nrouters; i++)
		map_router(circuits, m->routers[i]);
	model_watch_index_build(m);
	if (m->links_elsewhere)
		model_shard_export(m);
}

void model_apply_config(struct model *m, const struct cfg_config *cfg)
{
	struct circuit_index *old = m->own_ix;

	/* out of memory: no peer maps to a circuit until the next config */
	m->own_ix = circuit_index_new(cfg != NULL ? circuit_config(cfg) : NULL);
	model_apply_circuits(m, cfg, m->own_ix);
	circuit_index_free(old);
}

const struct circuit_index *model_circuit_index(const struct model *m)
{
	return m != NULL ? m->ix : NULL;
}
