/* rib_sink.c — bgp/ingest's sink over model.h's public functions. */
#include "rib_sink.h"

#include "model_priv.h"

static enum model_view view_of(enum bgp_ingest_view v)
{
	static const enum model_view views[] = {
		[BGP_INGEST_ADJ_IN_PRE] = MODEL_VIEW_ADJ_IN_PRE,
		[BGP_INGEST_ADJ_IN_POST] = MODEL_VIEW_ADJ_IN_POST,
		[BGP_INGEST_ADJ_OUT_PRE] = MODEL_VIEW_ADJ_OUT_PRE,
		[BGP_INGEST_ADJ_OUT_POST] = MODEL_VIEW_ADJ_OUT_POST,
		[BGP_INGEST_LOC_RIB] = MODEL_VIEW_LOC_RIB,
	};

	return views[v];
}

static enum model_af af_of(enum bgp_ingest_af af)
{
	return af == BGP_INGEST_IPV4_UNICAST ? MODEL_AF_IPV4_UNICAST : MODEL_AF_IPV6_UNICAST;
}

static rib_attr_id sink_intern(void *ctx, const uint8_t *key, size_t len)
{
	return model_attrs_intern(ctx, key, len);
}

static void sink_unref(void *ctx, rib_attr_id id)
{
	model_attrs_unref(ctx, id);
}

static enum rib_change sink_route(void *ctx, void *peer, enum bgp_ingest_view view,
				  enum bgp_ingest_af af, const struct rib_prefix *p,
				  rib_attr_id attrs, bool counted)
{
	if (counted)
		return model_route(ctx, peer, view_of(view), af_of(af), p, attrs);
	return model_route_uncounted(ctx, peer, view_of(view), af_of(af), p, attrs);
}

static void sink_end_of_rib(void *ctx, void *peer, enum bgp_ingest_view view,
			    enum bgp_ingest_af af)
{
	model_end_of_rib(peer, view_of(view), af_of(af));
	model_stream_eor(ctx, peer, view_of(view), af_of(af));
}

static void sink_count_error(void *ctx, void *peer, const char *reason)
{
	(void)ctx;
	model_peer_count_error(peer, reason);
}

static void sink_count_update(void *ctx, void *peer)
{
	(void)ctx;
	model_peer_count_update(peer);
}

/* Reaches into the peer's table (model_priv.h): a hint has no public
 * function of its own in model.h, and must not create the table. */
static void sink_prefetch(void *ctx, void *peer, enum bgp_ingest_view view, enum bgp_ingest_af af,
			  const struct rib_prefix *p, rib_attr_id attrs)
{
	const struct model *m = ctx;
	const struct model_peer *mp = peer;
	const struct rib_table *t = mp->tables[view_of(view)][af_of(af)];

	if (t != NULL)
		rib_prefetch(m->rib, t, p, attrs);
}

static const struct bgp_rib_sink_ops model_sink_ops = {
	.attrs_intern = sink_intern,
	.attrs_unref = sink_unref,
	.route = sink_route,
	.end_of_rib = sink_end_of_rib,
	.count_error = sink_count_error,
	.count_update = sink_count_update,
	.prefetch = sink_prefetch,
};

struct bgp_rib_sink model_rib_sink(struct model *m)
{
	return (struct bgp_rib_sink){&model_sink_ops, m};
}
