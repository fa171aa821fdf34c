/* decode_bgp.c — BGP messages (OPEN, UPDATE with its path attributes,
 * NOTIFICATION, KEEPALIVE, ROUTE-REFRESH) as JSON. See decode.h for the
 * contract and docs/capture.md for the format. */
#include "decode.h"

#include <stdlib.h>
#include <string.h>

#include "decode_json.h"

/* ---- BGP errors --------------------------------------------------------- */

static json_t *bgp_errors_json(uint64_t mask)
{
	json_t *a = json_array();

	for (int e = 1; e < BGP_ERR__COUNT; e++)
		if (bgp_errors_has(mask, (enum bgp_error)e))
			push(a, json_string(bgp_error_reason_name((enum bgp_error)e)));
	return a;
}

static enum bgp_error first_error(uint64_t mask)
{
	for (int e = 1; e < BGP_ERR__COUNT; e++)
		if (bgp_errors_has(mask, (enum bgp_error)e))
			return (enum bgp_error)e;
	return BGP_ERR_NONE;
}

/* "error" (the first reason) and "errors" (all) when the mask is set. */
static void put_bgp_errors(json_t *o, uint64_t mask)
{
	if (mask == 0)
		return;
	obj_put(o, "error", json_string(bgp_error_reason_name(first_error(mask))));
	obj_put(o, "errors", bgp_errors_json(mask));
}

static json_t *afisafi_json(uint16_t afi, uint8_t safi)
{
	return json_pack("{sIsI}", "afi", (json_int_t)afi, "safi", (json_int_t)safi);
}

/* ---- BGP OPEN --------------------------------------------------------- */

static const char *addpath_mode_name(uint8_t sr)
{
	static const char *const names[] = {"none", "receive", "send", "both"};

	return sr < 4 ? names[sr] : "invalid";
}

static json_t *open_addpath_json(const struct bgp_open *o)
{
	json_t *a = json_array();

	for (size_t i = 0; i < o->n_addpath && i < BGP_OPEN_MAX_ADDPATH; i++) {
		json_t *e = afisafi_json(o->addpath[i].afi, o->addpath[i].safi);

		obj_put(e, "send_receive", json_string(addpath_mode_name(o->addpath[i].send_receive)));
		push(a, e);
	}
	return a;
}

static json_t *open_gr_json(const struct bgp_open *o)
{
	json_t *g = json_pack("{sIsI}", "flags", (json_int_t)o->gr_flags, "time",
			      (json_int_t)o->gr_time);
	json_t *a = json_array();

	for (size_t i = 0; i < o->n_gr && i < BGP_OPEN_MAX_GR; i++) {
		json_t *e = afisafi_json(o->gr[i].afi, o->gr[i].safi);

		obj_put(e, "flags", json_integer(o->gr[i].flags));
		push(a, e);
	}
	obj_put(g, "afi_safi", a);
	return g;
}

static json_t *open_opaque_json(const struct bgp_open *o)
{
	json_t *a = json_array();

	for (size_t i = 0; i < o->n_opaque && i < BGP_OPEN_MAX_OPAQUE; i++)
		push(a, json_pack("{sIsIso}", "code", (json_int_t)o->opaque[i].code, "len",
				  (json_int_t)o->opaque[i].len, "data",
				  hex_json(o->opaque[i].data, o->opaque[i].len)));
	return a;
}

static json_t *open_caps_json(const struct bgp_open *o)
{
	json_t *c = json_object();
	json_t *mp = json_array();

	for (size_t i = 0; i < o->n_mp && i < BGP_OPEN_MAX_MP; i++)
		push(mp, afisafi_json(o->mp[i].afi, o->mp[i].safi));
	obj_put(c, "multiprotocol", mp);
	obj_put(c, "route_refresh", json_boolean(o->route_refresh));
	obj_put(c, "enhanced_route_refresh", json_boolean(o->enhanced_route_refresh));
	obj_put(c, "extended_message", json_boolean(o->extended_message));
	if (o->has_as4)
		obj_put(c, "as4", uint_json(o->as4));
	if (o->n_addpath > 0)
		obj_put(c, "add_path", open_addpath_json(o));
	if (o->has_gr)
		obj_put(c, "graceful_restart", open_gr_json(o));
	if (o->has_ext_next_hop)
		obj_put(c, "extended_next_hop", hex_json(o->ext_next_hop.data, o->ext_next_hop.len));
	if (o->has_llgr)
		obj_put(c, "llgr", hex_json(o->llgr.data, o->llgr.len));
	if (o->has_fqdn)
		obj_put(c, "fqdn", json_pack("{soso}", "hostname",
					 text_json(o->hostname, o->hostname_len), "domain",
					 text_json(o->domain, o->domain_len)));
	if (o->n_opaque > 0)
		obj_put(c, "other", open_opaque_json(o));
	return c;
}

static void open_fill(json_t *j, const struct bgp_open *o)
{
	obj_put(j, "version", json_integer(o->version));
	obj_put(j, "my_as", json_integer(o->my_as));
	/* RFC 6793 §4.1: the real AS is the capability's when present */
	obj_put(j, "as", uint_json(o->has_as4 ? o->as4 : o->my_as));
	obj_put(j, "hold_time", json_integer(o->hold_time));
	obj_put(j, "bgp_id", ip4_host_json(o->bgp_id));
	if (o->extended_params)
		obj_put(j, "extended_params", json_true());
	obj_put(j, "capabilities", open_caps_json(o));
}

static void open_json(json_t *j, const uint8_t *msg, size_t len)
{
	struct bgp_open *o = malloc(sizeof(*o)); /* large: kept off the stack */

	if (o == NULL)
		return;
	if (bgp_open_decode(msg, len, o) != 0 && o->errors == 0)
		o->errors = 1u << BGP_ERR_TRUNCATED;
	open_fill(j, o);
	put_bgp_errors(j, o->errors);
	free(o);
}

/* ---- BGP UPDATE ------------------------------------------------------- */

struct nlri_out {
	json_t *list;	 /* "announced" or "withdrawn" */
	json_t *counts;	 /* "counts" */
	uint64_t errors; /* NLRI errors found while iterating */
};

/* Appends a block's prefixes as text; an AFI/SAFI the codec keeps opaque
 * becomes one {"afi","safi","bytes"} entry. counts[key] = prefixes. */
static void nlri_add(struct nlri_out *out, const struct bgp_nlri_block *b, const char *key)
{
	struct bgp_nlri_iter it;
	struct bgp_prefix p;
	char buf[INET6_ADDRSTRLEN + 16];
	json_int_t n = 0;
	int rc;

	if (!b->present)
		return;
	if (bgp_nlri_iter_init(&it, b) != 0) {
		if (b->r.size > 0)
			push(out->list, json_pack("{sIsIsI}", "afi", (json_int_t)b->afi, "safi",
						  (json_int_t)b->safi, "bytes", (json_int_t)b->r.size));
		return;
	}
	while ((rc = bgp_nlri_next(&it, &p)) == 1) {
		if (bgp_prefix_format(&p, buf, sizeof(buf)) >= 0)
			push(out->list, json_string(buf));
		n++;
	}
	if (rc < 0)
		out->errors |= (uint64_t)1 << (unsigned)it.error;
	obj_put(out->counts, key, json_integer(n));
}

static const char *seg_type_name(uint8_t t)
{
	static const char *const names[] = {
		[BGP_AS_SET] = "AS_SET",
		[BGP_AS_SEQUENCE] = "AS_SEQUENCE",
		[BGP_AS_CONFED_SEQUENCE] = "AS_CONFED_SEQUENCE",
		[BGP_AS_CONFED_SET] = "AS_CONFED_SET",
	};

	return t < 5 && names[t] ? names[t] : "UNKNOWN";
}

/* The effective AS path (RFC 6793 §4.2.3 merge included) as segments;
 * consecutive hops of one segment type form one segment. */
static void aspath_json(json_t *attrs, const struct bgp_update *u)
{
	struct bgp_as_hop hops[DECODE_MAX_AS_HOPS];
	json_t *segs, *asns = NULL;
	size_t n;
	uint8_t cur = 0;

	if (bgp_aspath_effective(u, hops, DECODE_MAX_AS_HOPS, &n) != 0)
		return;
	segs = json_array();
	for (size_t i = 0; i < n && i < DECODE_MAX_AS_HOPS; i++) {
		if (asns == NULL || hops[i].seg_type != cur) {
			cur = hops[i].seg_type;
			asns = json_array();
			push(segs, json_pack("{ssso}", "type", seg_type_name(cur), "asns", asns));
		}
		push(asns, uint_json(hops[i].asn));
	}
	obj_put(attrs, "as_path", segs);
	if (n > DECODE_MAX_AS_HOPS)
		obj_put(attrs, "as_path_truncated", json_true());
}

static json_t *asn_addr_json(const struct bgp_asn_addr *a)
{
	return json_pack("{soso}", "as", uint_json(a->asn), "address", ip4_json(a->addr));
}

static void communities_json(json_t *attrs, const struct bgp_update *u)
{
	json_t *a = json_array();
	char buf[16];
	uint32_t c;

	for (size_t i = 0; bgp_community_get(&u->communities, i, &c) == 0; i++) {
		snprintf(buf, sizeof(buf), "%u:%u", c >> 16, c & 0xffffu);
		push(a, json_string(buf));
	}
	obj_put(attrs, "communities", a);
}

static void large_communities_json(json_t *attrs, const struct bgp_update *u)
{
	json_t *a = json_array();
	struct bgp_large_community lc;
	char buf[40];

	for (size_t i = 0; bgp_large_community_get(&u->large_communities, i, &lc) == 0; i++) {
		snprintf(buf, sizeof(buf), "%u:%u:%u", lc.global_admin, lc.local1, lc.local2);
		push(a, json_string(buf));
	}
	obj_put(attrs, "large_communities", a);
}

static void ext_communities_json(json_t *attrs, const struct bgp_update *u)
{
	json_t *a = json_array();
	uint64_t v;
	char buf[24];

	for (size_t i = 0; bgp_ext_community_get(&u->ext_communities, i, &v) == 0; i++) {
		snprintf(buf, sizeof(buf), "%016" PRIx64, v);
		push(a, json_string(buf));
	}
	obj_put(attrs, "ext_communities", a);
}

static void cluster_list_json(json_t *attrs, const struct bgp_update *u)
{
	json_t *a = json_array();
	uint32_t id;

	for (size_t i = 0; bgp_community_get(&u->cluster_list, i, &id) == 0; i++)
		push(a, ip4_host_json(id));
	obj_put(attrs, "cluster_list", a);
}

static json_t *mp_nexthop_json(const struct bgp_nexthop *nh)
{
	if (nh->afi == BGP_AFI_IPV4)
		return ip4_json(nh->addr);
	if (nh->afi == BGP_AFI_IPV6)
		return ip6_json(nh->addr);
	return hex_json(nh->raw, nh->raw_len); /* opaque AFI/SAFI: as it came */
}

static void mp_json(json_t *attrs, const struct bgp_update *u)
{
	if (u->mp_reach.present) {
		json_t *r = afisafi_json(u->mp_reach.afi, u->mp_reach.safi);

		if (u->mp_nexthop.raw != NULL)
			obj_put(r, "next_hop", mp_nexthop_json(&u->mp_nexthop));
		if (u->mp_nexthop.has_link_local)
			obj_put(r, "link_local", ip6_json(u->mp_nexthop.link_local));
		obj_put(attrs, "mp_reach", r);
	}
	if (u->mp_unreach.present)
		obj_put(attrs, "mp_unreach", afisafi_json(u->mp_unreach.afi, u->mp_unreach.safi));
}

static void unknown_attrs_json(json_t *attrs, const struct bgp_update *u)
{
	json_t *a;

	if (u->n_unknown == 0)
		return;
	a = json_array();
	for (size_t i = 0; i < u->n_unknown && i < BGP_UPDATE_MAX_UNKNOWN; i++)
		push(a, json_pack("{sIsIsI}", "type", (json_int_t)u->unknown[i].type, "flags",
				  (json_int_t)u->unknown[i].flags, "len",
				  (json_int_t)u->unknown[i].len));
	obj_put(attrs, "unknown", a);
	if (u->unknown_overflow > 0)
		obj_put(attrs, "unknown_overflow", json_integer((json_int_t)u->unknown_overflow));
}

static const char *origin_name(uint8_t o)
{
	static const char *const names[] = {"IGP", "EGP", "INCOMPLETE"};

	return o < 3 ? names[o] : "INVALID";
}

static void attrs_basic(json_t *a, const struct bgp_update *u)
{
	if (bgp_update_has(u, BGP_ATTR_ORIGIN))
		obj_put(a, "origin", json_string(origin_name(u->origin)));
	aspath_json(a, u);
	if (bgp_update_has(u, BGP_ATTR_NEXT_HOP))
		obj_put(a, "next_hop", ip4_json(u->next_hop));
	if (bgp_update_has(u, BGP_ATTR_MED))
		obj_put(a, "med", uint_json(u->med));
	if (bgp_update_has(u, BGP_ATTR_LOCAL_PREF))
		obj_put(a, "local_pref", uint_json(u->local_pref));
	if (bgp_update_has(u, BGP_ATTR_ATOMIC_AGGREGATE))
		obj_put(a, "atomic_aggregate", json_true());
	if (bgp_update_has(u, BGP_ATTR_AGGREGATOR))
		obj_put(a, "aggregator", asn_addr_json(&u->aggregator));
	if (bgp_update_has(u, BGP_ATTR_AS4_AGGREGATOR))
		obj_put(a, "as4_aggregator", asn_addr_json(&u->as4_aggregator));
}

static void attrs_lists(json_t *a, const struct bgp_update *u)
{
	if (bgp_update_has(u, BGP_ATTR_COMMUNITIES))
		communities_json(a, u);
	if (bgp_update_has(u, BGP_ATTR_LARGE_COMMUNITY))
		large_communities_json(a, u);
	if (bgp_update_has(u, BGP_ATTR_EXT_COMMUNITIES))
		ext_communities_json(a, u);
	if (bgp_update_has(u, BGP_ATTR_ORIGINATOR_ID))
		obj_put(a, "originator_id", ip4_host_json(u->originator_id));
	if (bgp_update_has(u, BGP_ATTR_CLUSTER_LIST))
		cluster_list_json(a, u);
}

static json_t *attrs_json(const struct bgp_update *u)
{
	json_t *a = json_object();

	attrs_basic(a, u);
	attrs_lists(a, u);
	mp_json(a, u);
	unknown_attrs_json(a, u);
	return a;
}

/* Announced and withdrawn prefixes: the UPDATE body's IPv4 lists and
 * MP_REACH/MP_UNREACH's (RFC 4760) in the same two lists. */
static uint64_t update_nlri(json_t *j, const struct bgp_update *u)
{
	struct nlri_out ann = {json_array(), json_object(), 0};
	struct nlri_out wd = {json_array(), ann.counts, 0};

	nlri_add(&ann, &u->nlri, "nlri");
	nlri_add(&ann, &u->mp_reach, "mp_reach");
	nlri_add(&wd, &u->withdrawn, "withdrawn");
	nlri_add(&wd, &u->mp_unreach, "mp_unreach");
	obj_put(j, "announced", ann.list);
	obj_put(j, "withdrawn", wd.list);
	obj_put(j, "counts", ann.counts);
	return ann.errors | wd.errors;
}

static void update_json(json_t *j, const uint8_t *msg, size_t len,
			const struct bgp_decode_ctx *ctx)
{
	struct bgp_update *u = malloc(sizeof(*u)); /* large: kept off the stack */
	uint64_t errors;
	uint16_t afi;
	uint8_t safi;

	if (u == NULL)
		return;
	if (bgp_update_decode(msg, len, ctx, u) != 0) {
		/* framing or top-level lengths wrong: nothing else is meaningful */
		obj_put(j, "outcome", json_string(bgp_update_outcome_name(u->outcome)));
		put_bgp_errors(j, u->errors);
		free(u);
		return;
	}
	errors = u->errors | update_nlri(j, u);
	obj_put(j, "attrs", attrs_json(u));
	if (bgp_update_is_eor(u, &afi, &safi))
		obj_put(j, "eor", afisafi_json(afi, safi));
	obj_put(j, "outcome", json_string(bgp_update_outcome_name(u->outcome)));
	obj_put(j, "errors", bgp_errors_json(errors));
	if (errors != 0)
		obj_put(j, "error", json_string(bgp_error_reason_name(first_error(errors))));
	free(u);
}

/* ---- BGP NOTIFICATION, KEEPALIVE, ROUTE-REFRESH ------------------------ */

static void notification_json(json_t *j, const uint8_t *msg, size_t len)
{
	struct bgp_notification n;

	if (bgp_notification_decode(msg, len, &n) != 0 && n.errors == 0)
		n.errors = 1u << BGP_ERR_TRUNCATED;
	obj_put(j, "code", json_integer(n.code));
	obj_put(j, "subcode", json_integer(n.subcode));
	obj_put(j, "code_name", json_string(bgp_notification_code_name(n.code)));
	obj_put(j, "subcode_name", json_string(bgp_notification_subcode_name(n.code, n.subcode)));
	if (n.data != NULL && n.data_len > 0)
		obj_put(j, "data", hex_json(n.data, n.data_len));
	if (n.has_shutdown_comm)
		obj_put(j, "shutdown_communication", text_json(n.shutdown_comm, n.shutdown_comm_len));
	put_bgp_errors(j, n.errors);
}

static void keepalive_json(json_t *j, const uint8_t *msg, size_t len)
{
	enum bgp_error e = BGP_ERR_NONE;

	if (bgp_keepalive_decode(msg, len, &e) != 0)
		put_bgp_errors(j, (uint64_t)1 << (unsigned)(e ? e : BGP_ERR_MSG_LENGTH));
}

static void route_refresh_json(json_t *j, const uint8_t *msg, size_t len)
{
	static const char *const subtypes[] = {"normal", "borr", "eorr"};
	struct bgp_route_refresh rr;

	if (bgp_route_refresh_decode(msg, len, &rr) != 0 && rr.errors == 0)
		rr.errors = 1u << BGP_ERR_TRUNCATED;
	obj_put(j, "afi", json_integer(rr.afi));
	obj_put(j, "safi", json_integer(rr.safi));
	obj_put(j, "subtype", rr.subtype < 3 ? json_string(subtypes[rr.subtype])
					 : json_integer(rr.subtype));
	if (rr.orf != NULL && rr.orf_len > 0)
		obj_put(j, "orf", hex_json(rr.orf, rr.orf_len));
	put_bgp_errors(j, rr.errors);
}

json_t *decode_bgp_message(const uint8_t *msg, size_t len, const struct bgp_decode_ctx *ctx)
{
	struct bgp_decode_ctx defaults;
	json_t *j = json_object();
	uint8_t type = len >= BGP_HEADER_LEN ? msg[BGP_HEADER_LEN - 1] : 0;

	if (j == NULL)
		return NULL;
	if (ctx == NULL) {
		bgp_ctx_init(&defaults);
		ctx = &defaults;
	}
	obj_put(j, "type", json_string(bgp_msg_type_name(type)));
	obj_put(j, "length", json_integer((json_int_t)len));
	switch (type) {
	case BGP_MSG_OPEN:
		open_json(j, msg, len);
		break;
	case BGP_MSG_UPDATE:
		update_json(j, msg, len, ctx);
		break;
	case BGP_MSG_NOTIFICATION:
		notification_json(j, msg, len);
		break;
	case BGP_MSG_KEEPALIVE:
		keepalive_json(j, msg, len);
		break;
	case BGP_MSG_ROUTE_REFRESH:
		route_refresh_json(j, msg, len);
		break;
	default:
		obj_put(j, "code", json_integer(type));
		put_bgp_errors(j, (uint64_t)1 << BGP_ERR_MSG_TYPE);
		break;
	}
	return j;
}
