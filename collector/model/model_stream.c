/* model_stream.c — the model's side of the parsed route stream (stream.h):
 * each change to a peer's RIB views and each session or view boundary,
 * numbered per peer, handed to the sink on the thread working on the
 * model. The calls sit where the views change (model.c's route() and
 * clear_views(), expire.c's release), so that a consumer applying them in
 * order holds what the model holds by construction. */
#include <string.h>

#include "model_priv.h"

void model_set_stream(struct model *m, const struct stream_sink *const *where)
{
	m->streams = where;
	m->stream_was_on = false;
	m->sbatch = NULL;
	m->sbatch_sink = NULL;
	m->sbatch_pending = false;
}

/* The model's batch in sink s (asked for once per sink), or NULL: the
 * sink does not batch, or memory ran out. */
static struct stream_batch *batch_of(struct model *m, const struct stream_sink *s)
{
	if (m->sbatch_sink != s) {
		m->sbatch_sink = s;
		m->sbatch = s->ops->batch_new != NULL ? s->ops->batch_new(s->arg) : NULL;
		m->sbatch_pending = false;
	}
	return m->sbatch;
}

void model_stream_flush(struct model *m)
{
	const struct stream_sink *s;

	if (!m->sbatch_pending)
		return;
	m->sbatch_pending = false;
	/* the sink went (the Kafka module stopped): it sent what it held */
	if (m->streams == NULL || (s = *m->streams) == NULL || s != m->sbatch_sink)
		return;
	s->ops->batch_flush(s->arg, m->sbatch);
}

static void peer_of(struct stream_peer *sp, struct model_peer *p)
{
	const struct model_router *r = p->router;

	sp->router = r->address;
	sp->router_host = r->host;
	sp->source = model_source_name(r->source);
	sp->addr = p->addr_text;
	sp->family = p->hkey.family;
	sp->peer_type = p->hkey.peer_type;
	sp->distinguisher = p->hkey.distinguisher;
	sp->rd = p->rd_text;
	sp->asn = p->asn;
	sp->bgp_id = p->bgp_id;
	sp->circuit = p->circuit != NULL ? p->circuit->id : "";
	sp->link = p->link >= 0 ? cfg_link_role_name((enum cfg_link_role)p->link) : "";
	sp->peering = p->peering != NULL ? cfg_peering_type_name(p->peering->type) : "";
	sp->seq = ++p->stream_seq;
}

static void route_of(struct stream_route *sr, const struct model *m, enum model_view view,
		     enum model_af af, const struct rib_prefix *prefix, rib_attr_id attrs)
{
	sr->view = (uint8_t)view;
	sr->af = (uint8_t)af;
	sr->afi = af == MODEL_AF_IPV4_UNICAST ? 1 : 2;
	sr->safi = 1;
	sr->family = prefix->family;
	sr->len = prefix->len;
	sr->path_id = prefix->path_id;
	memcpy(sr->addr, prefix->addr, sizeof(sr->addr));
	sr->announce = attrs != 0;
	if (attrs != 0)
		sr->attrs = rib_attrs_bytes(m->rib, attrs, &sr->attrs_len);
	sr->attrs_id = attrs;
}

void model_stream_route(struct model *m, const struct stream_sink *s, struct model_peer *p,
			enum model_view view, enum model_af af, const struct rib_prefix *prefix,
			rib_attr_id attrs, enum rib_change c)
{
	struct stream_route sr = {0};
	struct stream_batch *b;

	if (c != RIB_ADDED && c != RIB_REPLACED && c != RIB_REMOVED)
		return; /* nothing changed (a duplicate, an absent withdraw, a full table) */
	route_of(&sr, m, view, af, prefix, c == RIB_REMOVED ? 0 : attrs);
	sr.replaced = c == RIB_REPLACED;
	peer_of(&sr.peer, p);
	if ((b = batch_of(m, s)) != NULL) {
		s->ops->batch_route(s->arg, b, &sr);
		m->sbatch_pending = true;
	} else {
		s->ops->route(s->arg, &sr);
	}
}

/* A mark goes alone, after the changes batched before it. */
void model_stream_mark(struct model *m, const struct stream_sink *s, struct model_peer *p,
		       enum stream_mark_kind kind, const struct stream_peer_mark *extra)
{
	struct stream_peer_mark pm = {.reason = "", .notif_code = -1};

	model_stream_flush(m);
	if (extra != NULL)
		pm = *extra;
	pm.kind = kind;
	peer_of(&pm.peer, p);
	s->ops->peer(s->arg, &pm);
}

void model_stream_eor(struct model *m, struct model_peer *p, enum model_view view,
		      enum model_af af)
{
	const struct stream_sink *s = model_stream(m);
	struct stream_peer_mark pm = {.reason = "", .notif_code = -1};

	if (s == NULL)
		return;
	pm.view = (uint8_t)view;
	pm.af = (uint8_t)af;
	model_stream_mark(m, s, p, STREAM_MARK_EOR, &pm);
}

/* ---- sending a peer whole (the stream was switched on) ---- */

struct sync_walk {
	struct model *m;
	const struct stream_sink *s;
	struct model_peer *p;
	enum model_view view;
	enum model_af af;
};

static int sync_route(const struct rib_prefix *prefix, rib_attr_id attrs, void *arg)
{
	struct sync_walk *w = arg;

	model_stream_route(w->m, w->s, w->p, w->view, w->af, prefix, attrs, RIB_ADDED);
	return 0;
}

static void sync_peer(struct model *m, const struct stream_sink *s, struct model_peer *p)
{
	struct stream_peer_mark pm = {.reason = "", .notif_code = -1, .up = p->up};
	struct sync_walk w = {m, s, p, 0, 0};

	model_stream_mark(m, s, p, STREAM_MARK_SYNC_BEGIN, &pm);
	for (int v = 0; v < MODEL_VIEW_COUNT; v++) {
		for (int a = 0; a < MODEL_AF_COUNT; a++) {
			w.view = (enum model_view)v;
			w.af = (enum model_af)a;
			if (p->tables[v][a] != NULL)
				(void)rib_table_walk(p->tables[v][a], sync_route, &w);
			if (p->eor[v][a]) {
				pm.view = (uint8_t)v;
				pm.af = (uint8_t)a;
				model_stream_mark(m, s, p, STREAM_MARK_EOR, &pm);
			}
		}
	}
	model_stream_mark(m, s, p, STREAM_MARK_SYNC_END, NULL);
}

/* The flag changed since the last look: on, every peer goes whole (the
 * consumer may have missed anything while it was off). A burst on this
 * thread, once per switch; the sink queues or counts what it cannot take. */
const struct stream_sink *model_stream_sync_check(struct model *m)
{
	const struct stream_sink *s = *m->streams;
	bool on = atomic_load_explicit(&s->routes_on, memory_order_relaxed);

	m->stream_was_on = on;
	if (!on)
		return NULL;
	for (size_t i = 0; i < m->nrouters; i++) {
		struct model_peer *p, *tmp;

		HASH_ITER(hh, m->routers[i]->peers, p, tmp) sync_peer(m, s, p);
	}
	return s;
}
