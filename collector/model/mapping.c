/* mapping.c — which configured circuit, link and peering each peer is:
 * a peer is a configured neighbour when its address and ASN match one on a
 * link whose router (when given) is the peer's router. Refreshed for every
 * peer by model_apply_config, and for one peer when it is created or
 * changes AS. */
#include <string.h>
#include <sys/socket.h>

#include "model_priv.h"

static bool router_matches(const struct model_router *r, const char *want)
{
	return want == NULL || strcmp(want, r->address) == 0 || strcmp(want, r->host) == 0 ||
	       strcmp(want, r->sys_name) == 0;
}

/* Finds the configured neighbour this peer is: same address and ASN, on a
 * link whose router (when given) is this router. ASN 0 means not known (a
 * capture that started after the OPENs; RFC 7607: AS 0 is never a peer's),
 * and then the address decides. */
static bool neighbour_matches(const struct cfg_neighbor *nb, const struct peer_hkey *hk,
			      uint32_t asn)
{
	size_t alen = nb->family == AF_INET ? 4 : 16;

	return (nb->family == AF_INET ? 4 : 6) == hk->family &&
	       memcmp(nb->addr, hk->addr, alen) == 0 && (asn == 0 || nb->asn == asn);
}

/* The configured neighbour a peer (key, ASN) of router r is, if any. */
bool model_find_neighbour(const struct cfg_config *cfg, const struct model_router *r,
			  const struct peer_hkey *hk, uint32_t asn, struct peer_map *out)
{
	for (size_t c = 0; cfg != NULL && c < cfg->ncircuits; c++) {
		const struct cfg_circuit *ci = &cfg->circuits[c];

		for (int l = 0; l < CFG_LINK_COUNT; l++) {
			const struct cfg_link *lk = &ci->links[l];

			if (!lk->present || !router_matches(r, lk->router))
				continue;
			for (size_t q = 0; q < lk->npeerings; q++) {
				const struct cfg_peering *pe = &lk->peerings[q];

				for (size_t n = 0; n < pe->nneighbors; n++) {
					if (!neighbour_matches(&pe->neighbors[n], hk, asn))
						continue;
					*out = (struct peer_map){ci, l, pe};
					return true;
				}
			}
		}
	}
	return false;
}

void model_map_peer(const struct cfg_config *cfg, struct model_peer *p)
{
	struct peer_map pm = {NULL, -1, NULL};

	(void)model_find_neighbour(cfg, p->router, &p->hkey, p->asn, &pm);
	p->circuit = pm.circuit;
	p->link = pm.link;
	p->peering = pm.peering;
}

static void map_router(const struct cfg_config *cfg, struct model_router *r)
{
	struct model_peer *p, *tmp;

	HASH_ITER(hh, r->peers, p, tmp) model_map_peer(cfg, p);
}

void model_apply_config(struct model *m, const struct cfg_config *cfg)
{
	m->cfg = cfg;
	for (size_t i = 0; i < m->nrouters; i++)
		map_router(cfg, m->routers[i]);
	model_watch_index_build(m);
}
