/* circuit_index.h — the configured circuits, indexed once per config.
 *
 * The daemon builds one at start and after each successful reload and
 * hands it to every module (cw_ctx.circuits); the model maps its peers
 * with it. It answers what modules used to find by walking the circuits
 * by hand: the configured neighbour a peer address is (with its peering,
 * link and circuit), the peering a VLAN stack on an interface carries, and
 * the circuits, links, peerings and neighbours in config order.
 *
 * Only present links count: an absent secondary link has no peering,
 * neighbour or VLAN here (circuit_index_circuit still shows it).
 *
 * Ownership: the index points into the config it was built from, which
 * must outlive it; what a lookup returns lives as long as the index.
 * circuit_index_new's result is the caller's (circuit_index_free). Every
 * function takes a NULL index as an empty one. Read-only once built. */
#ifndef CW_MODEL_CIRCUIT_INDEX_H
#define CW_MODEL_CIRCUIT_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "circuit_config.h"

struct circuit_index;

/* Where a link, peering or neighbour sits in the config. */
struct circuit_ref {
	const struct cfg_circuit *circuit;
	enum cfg_link_role role;
	const struct cfg_link *link;         /* &circuit->links[role] */
	const struct cfg_peering *peering;   /* NULL in a link's ref */
	const struct cfg_neighbor *neighbor; /* NULL in a link's or a peering's ref */
};

/* Returns the index of the circuits cc (a config's circuit_config(), which
 * must outlive it; NULL: an empty index), or NULL when out of memory. */
struct circuit_index *circuit_index_new(const struct cfg_circuits *cc);
void circuit_index_free(struct circuit_index *ix); /* takes NULL */

/* The circuits in config order (i < circuit_index_ncircuits). */
size_t circuit_index_ncircuits(const struct circuit_index *ix);
const struct cfg_circuit *circuit_index_circuit(const struct circuit_index *ix, size_t i);

/* The present links, their peerings, and the peerings' neighbours, each
 * in config order; *n their number (NULL and 0 when none). */
const struct circuit_ref *circuit_index_links(const struct circuit_index *ix, size_t *n);
const struct circuit_ref *circuit_index_peerings(const struct circuit_index *ix, size_t *n);
const struct circuit_ref *circuit_index_neighbours(const struct circuit_index *ix, size_t *n);

/* The configured neighbours with this address (family 4 or 6; addr holds
 * 4 or 16 bytes), in config order: a neighbour may be configured on
 * several links (other routers, other ASNs). NULL and *n 0 when none. */
const struct circuit_ref *const *circuit_index_by_address(const struct circuit_index *ix,
							  uint8_t family, const uint8_t *addr,
							  size_t *n);

/* The peering whose traffic is tagged (s_tag, c_tag) on ifname: a link on
 * that interface with that S-tag (0: none) and a peering of it with that
 * VLAN as C-tag. The first in config order; NULL when none. */
const struct circuit_ref *circuit_index_by_vlan(const struct circuit_index *ix,
						const char *ifname, uint16_t s_tag, uint16_t c_tag);

#endif
