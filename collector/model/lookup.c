/* lookup.c — the looking glass's read of a model: the routes of one prefix
 * (exact, or the longest match per view) in every peer's RIB views. See
 * model.h, "looking glass".
 *
 * A shard is read under its lock in short slices: the peers of one router
 * are listed by key under the lock, then looked up a few at a time, each
 * slice ending once slice_s has passed, so that a worker ingesting a table
 * waits at most about one slice (the lock lets a waiting locker go first).
 * A peer that went between two slices is skipped. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uthash.h>

#include "model_priv.h"

struct lk {
	struct model *m;
	const struct model_lookup_opts *o;
	const struct rib_prefix *want;
	model_route_fn fn;
	void *arg;
	size_t hits;
	bool stop;
};

static double lk_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* p with its host bits beyond len cleared. */
static void prefix_cut(const struct rib_prefix *in, uint8_t len, struct rib_prefix *out)
{
	size_t bytes = in->family == 4 ? 4 : 16;

	*out = *in;
	out->len = len;
	out->path_id = 0;
	for (size_t i = 0; i < bytes; i++) {
		size_t bit = i * 8;

		if (bit >= len)
			out->addr[i] = 0;
		else if (bit + 8 > len)
			out->addr[i] &= (uint8_t)(0xffu << (8 - (len - bit)));
	}
}

/* The route of the wanted prefix in one table: exact, or the longest
 * prefix that covers it. *found gets the matching prefix. */
static rib_attr_id table_match(const struct rib_table *t, const struct rib_prefix *want,
			       bool longest, struct rib_prefix *found)
{
	rib_attr_id id;

	if (rib_table_count(t) == 0)
		return 0;
	if (!longest) {
		*found = *want;
		return rib_lookup(t, want);
	}
	for (int len = want->len; len >= 0; len--) {
		prefix_cut(want, (uint8_t)len, found);
		if ((id = rib_lookup(t, found)) != 0)
			return id;
	}
	return 0;
}

static void peer_mapping(const struct model_peer *p, struct model_route *r)
{
	r->circuit = p->circuit != NULL ? p->circuit->id : "";
	r->link = p->circuit != NULL && p->link >= 0 && p->link < CFG_LINK_COUNT
			  ? cfg_link_role_name((enum cfg_link_role)p->link)
			  : "";
	r->peering = p->peering != NULL ? cfg_peering_type_name(p->peering->type) : "";
}

static void lookup_peer(struct lk *k, const struct model_router *rt, const struct model_peer *p)
{
	enum model_af af = k->want->family == 4 ? MODEL_AF_IPV4_UNICAST : MODEL_AF_IPV6_UNICAST;
	struct model_route r = {
		.router = rt->address, .source = rt->source, .peer = p->addr_text,
		.rd = p->rd_text, .asn = p->asn, .up = p->up, .since = p->last_change, .af = af,
	};

	peer_mapping(p, &r);
	for (int v = 0; v < MODEL_VIEW_COUNT && !k->stop; v++) {
		const struct rib_table *t = p->tables[v][af];
		rib_attr_id id;

		if (t == NULL || (id = table_match(t, k->want, k->o->longest, &r.prefix)) == 0)
			continue;
		r.view = (enum model_view)v;
		r.attrs = rib_attrs_bytes(k->m->rib, id, &r.attrs_len);
		k->hits++;
		if (!k->fn(k->arg, &r))
			k->stop = true;
	}
}

/* The keys of router i's peers (a copy: the peers may go between slices);
 * NULL and *n 0 when it has none or memory ran out. */
static struct peer_hkey *router_keys(const struct model_router *rt, size_t *n)
{
	struct peer_hkey *keys = rt->npeers > 0 ? calloc(rt->npeers, sizeof(*keys)) : NULL;
	const struct model_peer *p, *tmp;

	*n = 0;
	if (keys == NULL)
		return NULL;
	HASH_ITER(hh, rt->peers, p, tmp) {
		if (*n == rt->npeers)
			break;
		keys[(*n)++] = p->hkey;
	}
	return keys;
}

static void lk_lock(struct lk *k)
{
	if (k->o->locking)
		model_lock(k->m);
}

static void lk_unlock(struct lk *k)
{
	if (k->o->locking)
		model_unlock(k->m);
}

/* Router i's peers, in slices of slice_s under the lock each. Returns
 * false when there is no router i. */
static bool lookup_router(struct lk *k, size_t i)
{
	struct peer_hkey *keys;
	size_t n, done = 0;

	lk_lock(k);
	if (i >= k->m->nrouters) {
		lk_unlock(k);
		return false;
	}
	keys = router_keys(k->m->routers[i], &n);
	while (!k->stop && done < n) {
		double t0 = lk_now();
		const struct model_router *rt = k->m->routers[i];

		/* at least one peer per slice, so that a lookup always ends */
		do {
			struct model_peer *p;

			HASH_FIND(hh, rt->peers, &keys[done], sizeof(keys[done]), p);
			if (p != NULL)
				lookup_peer(k, rt, p);
			done++;
		} while (done < n && !k->stop && lk_now() - t0 < k->o->slice_s);
		if (done < n && !k->stop) {
			lk_unlock(k);
			lk_lock(k);
		}
	}
	lk_unlock(k);
	free(keys);
	return true;
}

size_t model_routes_lookup(struct model *m, const struct rib_prefix *want,
			   const struct model_lookup_opts *o, model_route_fn fn, void *arg)
{
	struct lk k = {m, o, want, fn, arg, 0, false};

	if (m == NULL || (want->family != 4 && want->family != 6))
		return 0;
	for (size_t i = 0; !k.stop && lookup_router(&k, i); i++)
		;
	return k.hits;
}
