/* decode.c — BMP/BGP messages to JSON and the stream drivers. See
 * decode.h for the contract and README.md for the format. */
#include "decode.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bmp.h"
#include "negotiate.h"

/* ---- small JSON helpers ---------------------------------------------- */

static void put(json_t *o, const char *key, json_t *v)
{
	if (v != NULL)
		(void)json_object_set_new(o, key, v);
}

static void push(json_t *a, json_t *v)
{
	if (v != NULL)
		(void)json_array_append_new(a, v);
}

static json_t *uint_json(uint64_t v)
{
	char buf[24];

	if (v <= (uint64_t)INT64_MAX)
		return json_integer((json_int_t)v);
	/* jansson integers are signed 64-bit: keep the exact value as text */
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return json_string(buf);
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(n * 2 + 1);
	json_t *v;

	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 0xf];
	}
	s[2 * n] = '\0';
	v = json_stringn(s, 2 * n);
	free(s);
	return v;
}

/* Text when the bytes are valid UTF-8 (JSON escapes control characters),
 * else hex: the output stays valid JSON whatever the router sent. */
static json_t *text_json(const uint8_t *p, size_t n)
{
	json_t *v = json_stringn((const char *)p, n);

	return v != NULL ? v : hex_json(p, n);
}

static json_t *ip4_json(const uint8_t a[4])
{
	char buf[INET_ADDRSTRLEN];

	return inet_ntop(AF_INET, a, buf, sizeof(buf)) ? json_string(buf) : NULL;
}

static json_t *ip4_host_json(uint32_t host_order)
{
	uint8_t a[4] = {(uint8_t)(host_order >> 24), (uint8_t)(host_order >> 16),
			(uint8_t)(host_order >> 8), (uint8_t)host_order};

	return ip4_json(a);
}

static json_t *ip6_json(const uint8_t a[16])
{
	char buf[INET6_ADDRSTRLEN];

	return inet_ntop(AF_INET6, a, buf, sizeof(buf)) ? json_string(buf) : NULL;
}

/* A BMP address field: IPv4 in the last 4 of 16 octets (RFC 7854 §4.2). */
static json_t *addr16_json(const uint8_t a[16], bool v6)
{
	return v6 ? ip6_json(a) : ip4_json(a + 12);
}

/* Names of every bit set in an error mask, lowest first. */
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
	put(o, "error", json_string(bgp_error_reason_name(first_error(mask))));
	put(o, "errors", bgp_errors_json(mask));
}

static json_t *afisafi_json(uint16_t afi, uint8_t safi)
{
	return json_pack("{sIsI}", "afi", (json_int_t)afi, "safi", (json_int_t)safi);
}

bool decode_has_error(const json_t *obj)
{
	const json_t *bgp = json_object_get(obj, "bgp");

	return json_object_get(obj, "error") != NULL ||
	       (bgp != NULL && json_object_get(bgp, "error") != NULL);
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

		put(e, "send_receive", json_string(addpath_mode_name(o->addpath[i].send_receive)));
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

		put(e, "flags", json_integer(o->gr[i].flags));
		push(a, e);
	}
	put(g, "afi_safi", a);
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
	put(c, "multiprotocol", mp);
	put(c, "route_refresh", json_boolean(o->route_refresh));
	put(c, "enhanced_route_refresh", json_boolean(o->enhanced_route_refresh));
	put(c, "extended_message", json_boolean(o->extended_message));
	if (o->has_as4)
		put(c, "as4", uint_json(o->as4));
	if (o->n_addpath > 0)
		put(c, "add_path", open_addpath_json(o));
	if (o->has_gr)
		put(c, "graceful_restart", open_gr_json(o));
	if (o->has_ext_next_hop)
		put(c, "extended_next_hop", hex_json(o->ext_next_hop.data, o->ext_next_hop.len));
	if (o->has_llgr)
		put(c, "llgr", hex_json(o->llgr.data, o->llgr.len));
	if (o->has_fqdn)
		put(c, "fqdn", json_pack("{soso}", "hostname",
					 text_json(o->hostname, o->hostname_len), "domain",
					 text_json(o->domain, o->domain_len)));
	if (o->n_opaque > 0)
		put(c, "other", open_opaque_json(o));
	return c;
}

static void open_fill(json_t *j, const struct bgp_open *o)
{
	put(j, "version", json_integer(o->version));
	put(j, "my_as", json_integer(o->my_as));
	/* RFC 6793 §4.1: the real AS is the capability's when present */
	put(j, "as", uint_json(o->has_as4 ? o->as4 : o->my_as));
	put(j, "hold_time", json_integer(o->hold_time));
	put(j, "bgp_id", ip4_host_json(o->bgp_id));
	if (o->extended_params)
		put(j, "extended_params", json_true());
	put(j, "capabilities", open_caps_json(o));
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
	put(out->counts, key, json_integer(n));
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
	put(attrs, "as_path", segs);
	if (n > DECODE_MAX_AS_HOPS)
		put(attrs, "as_path_truncated", json_true());
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
	put(attrs, "communities", a);
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
	put(attrs, "large_communities", a);
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
	put(attrs, "ext_communities", a);
}

static void cluster_list_json(json_t *attrs, const struct bgp_update *u)
{
	json_t *a = json_array();
	uint32_t id;

	for (size_t i = 0; bgp_community_get(&u->cluster_list, i, &id) == 0; i++)
		push(a, ip4_host_json(id));
	put(attrs, "cluster_list", a);
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
			put(r, "next_hop", mp_nexthop_json(&u->mp_nexthop));
		if (u->mp_nexthop.has_link_local)
			put(r, "link_local", ip6_json(u->mp_nexthop.link_local));
		put(attrs, "mp_reach", r);
	}
	if (u->mp_unreach.present)
		put(attrs, "mp_unreach", afisafi_json(u->mp_unreach.afi, u->mp_unreach.safi));
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
	put(attrs, "unknown", a);
	if (u->unknown_overflow > 0)
		put(attrs, "unknown_overflow", json_integer((json_int_t)u->unknown_overflow));
}

static const char *origin_name(uint8_t o)
{
	static const char *const names[] = {"IGP", "EGP", "INCOMPLETE"};

	return o < 3 ? names[o] : "INVALID";
}

static void attrs_basic(json_t *a, const struct bgp_update *u)
{
	if (bgp_update_has(u, BGP_ATTR_ORIGIN))
		put(a, "origin", json_string(origin_name(u->origin)));
	aspath_json(a, u);
	if (bgp_update_has(u, BGP_ATTR_NEXT_HOP))
		put(a, "next_hop", ip4_json(u->next_hop));
	if (bgp_update_has(u, BGP_ATTR_MED))
		put(a, "med", uint_json(u->med));
	if (bgp_update_has(u, BGP_ATTR_LOCAL_PREF))
		put(a, "local_pref", uint_json(u->local_pref));
	if (bgp_update_has(u, BGP_ATTR_ATOMIC_AGGREGATE))
		put(a, "atomic_aggregate", json_true());
	if (bgp_update_has(u, BGP_ATTR_AGGREGATOR))
		put(a, "aggregator", asn_addr_json(&u->aggregator));
	if (bgp_update_has(u, BGP_ATTR_AS4_AGGREGATOR))
		put(a, "as4_aggregator", asn_addr_json(&u->as4_aggregator));
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
		put(a, "originator_id", ip4_host_json(u->originator_id));
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
	put(j, "announced", ann.list);
	put(j, "withdrawn", wd.list);
	put(j, "counts", ann.counts);
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
		put(j, "outcome", json_string(bgp_update_outcome_name(u->outcome)));
		put_bgp_errors(j, u->errors);
		free(u);
		return;
	}
	errors = u->errors | update_nlri(j, u);
	put(j, "attrs", attrs_json(u));
	if (bgp_update_is_eor(u, &afi, &safi))
		put(j, "eor", afisafi_json(afi, safi));
	put(j, "outcome", json_string(bgp_update_outcome_name(u->outcome)));
	put(j, "errors", bgp_errors_json(errors));
	if (errors != 0)
		put(j, "error", json_string(bgp_error_reason_name(first_error(errors))));
	free(u);
}

/* ---- BGP NOTIFICATION, KEEPALIVE, ROUTE-REFRESH ------------------------ */

static void notification_json(json_t *j, const uint8_t *msg, size_t len)
{
	struct bgp_notification n;

	if (bgp_notification_decode(msg, len, &n) != 0 && n.errors == 0)
		n.errors = 1u << BGP_ERR_TRUNCATED;
	put(j, "code", json_integer(n.code));
	put(j, "subcode", json_integer(n.subcode));
	put(j, "code_name", json_string(bgp_notification_code_name(n.code)));
	put(j, "subcode_name", json_string(bgp_notification_subcode_name(n.code, n.subcode)));
	if (n.data != NULL && n.data_len > 0)
		put(j, "data", hex_json(n.data, n.data_len));
	if (n.has_shutdown_comm)
		put(j, "shutdown_communication", text_json(n.shutdown_comm, n.shutdown_comm_len));
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
	put(j, "afi", json_integer(rr.afi));
	put(j, "safi", json_integer(rr.safi));
	put(j, "subtype", rr.subtype < 3 ? json_string(subtypes[rr.subtype])
					 : json_integer(rr.subtype));
	if (rr.orf != NULL && rr.orf_len > 0)
		put(j, "orf", hex_json(rr.orf, rr.orf_len));
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
	put(j, "type", json_string(bgp_msg_type_name(type)));
	put(j, "length", json_integer((json_int_t)len));
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
		put(j, "code", json_integer(type));
		put_bgp_errors(j, (uint64_t)1 << BGP_ERR_MSG_TYPE);
		break;
	}
	return j;
}

/* ---- BMP: per-peer decode contexts ------------------------------------- */

struct decode_peer {
	uint8_t type;
	bool v6;
	uint64_t rd;
	uint8_t addr[16];
	struct bgp_peer_ctx ctx; /* Adj-RIB-In, Adj-RIB-Out (RFC 7911 §4) */
};

struct decode_bmp {
	struct bmp_msg msg; /* decode scratch (large: kept off the stack) */
	struct decode_peer *peers;
	size_t n_peers, cap;
};

struct decode_bmp *decode_bmp_new(void)
{
	return calloc(1, sizeof(struct decode_bmp));
}

void decode_bmp_free(struct decode_bmp *d)
{
	if (d == NULL)
		return;
	free(d->peers);
	free(d);
}

static bool peer_is(const struct decode_peer *p, const struct bmp_peer_hdr *h)
{
	return p->type == h->type && p->v6 == h->ipv6 && p->rd == h->distinguisher &&
	       memcmp(p->addr, h->addr, 16) == 0;
}

static struct decode_peer *peer_find(struct decode_bmp *d, const struct bmp_peer_hdr *h)
{
	for (size_t i = 0; i < d->n_peers; i++)
		if (peer_is(&d->peers[i], h))
			return &d->peers[i];
	return NULL;
}

/* The peer's entry, added when new; NULL when the table is full. */
static struct decode_peer *peer_add(struct decode_bmp *d, const struct bmp_peer_hdr *h)
{
	struct decode_peer *p = peer_find(d, h);

	if (p != NULL)
		return p;
	if (d->n_peers == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct decode_peer *np;

		if (cap > DECODE_MAX_PEERS ||
		    (np = realloc(d->peers, cap * sizeof(*np))) == NULL)
			return NULL;
		d->peers = np;
		d->cap = cap;
	}
	p = &d->peers[d->n_peers++];
	memset(p, 0, sizeof(*p));
	p->type = h->type;
	p->v6 = h->ipv6;
	p->rd = h->distinguisher;
	memcpy(p->addr, h->addr, 16);
	return p;
}

/* As the collector (bgp/negotiate.h): the OPENs count only when both decode. */
static void peer_negotiate(struct decode_bmp *d, const struct bmp_msg *m)
{
	struct decode_peer *p = peer_add(d, &m->peer);

	if (p != NULL)
		(void)!bgp_peer_ctx_peer_up(&p->ctx, &m->u.up);
}

/* The context a Route Monitoring (or mirrored PDU) of this peer is
 * decoded with; *known says whether a Peer Up set it. */
static void peer_ctx(struct decode_bmp *d, const struct bmp_peer_hdr *h,
		     struct bgp_decode_ctx *ctx, bool *known)
{
	const struct decode_peer *p = peer_find(d, h);
	struct bgp_peer_ctx defaults;

	*known = p != NULL;
	if (p == NULL)
		bgp_peer_ctx_init(&defaults);
	bgp_peer_ctx_pick(p != NULL ? &p->ctx : &defaults, h, ctx);
}

/* ---- BMP: per-peer header and TLVs -------------------------------------- */

/* RFC 4364 §4.2 route distinguisher text. */
static json_t *rd_json(uint64_t rd)
{
	uint16_t type = (uint16_t)(rd >> 48);
	uint8_t ip[4] = {(uint8_t)(rd >> 40), (uint8_t)(rd >> 32), (uint8_t)(rd >> 24),
			 (uint8_t)(rd >> 16)};
	char buf[40], addr[INET_ADDRSTRLEN];

	if (type == 0)
		snprintf(buf, sizeof(buf), "%u:%u", (unsigned)(rd >> 32 & 0xffff),
			 (unsigned)(rd & 0xffffffffu));
	else if (type == 1 && inet_ntop(AF_INET, ip, addr, sizeof(addr)))
		snprintf(buf, sizeof(buf), "%s:%u", addr, (unsigned)(rd & 0xffff));
	else if (type == 2)
		snprintf(buf, sizeof(buf), "%u:%u", (unsigned)(rd >> 16 & 0xffffffffu),
			 (unsigned)(rd & 0xffff));
	else
		snprintf(buf, sizeof(buf), "0x%016" PRIx64, rd);
	return json_string(buf);
}

static json_t *timestamp_json(uint32_t sec, uint32_t usec)
{
	time_t t = (time_t)sec;
	struct tm tm;
	char buf[40], frac[16];

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return NULL;
	snprintf(frac, sizeof(frac), ".%06uZ", (unsigned)(usec % 1000000u));
	strncat(buf, frac, sizeof(buf) - strlen(buf) - 1);
	return json_string(buf);
}

static json_t *peer_flags_json(const struct bmp_peer_hdr *h)
{
	if (h->type == BMP_PEER_LOC_RIB) /* RFC 9069 §4.2 */
		return json_pack("{sb}", "f", h->filtered);
	return json_pack("{sbsbsbsb}", "v", h->ipv6, "l", h->post_policy, "a", h->legacy_as_path,
			 "o", h->adj_rib_out);
}

static json_t *peer_json(const struct bmp_peer_hdr *h)
{
	json_t *p = json_object();

	put(p, "type", json_string(bmp_peer_type_name(h->type)));
	if (h->type > BMP_PEER_LOC_RIB)
		put(p, "type_code", json_integer(h->type));
	put(p, "address", addr16_json(h->addr, h->ipv6 && h->type != BMP_PEER_LOC_RIB));
	put(p, "as", uint_json(h->as));
	put(p, "bgp_id", ip4_host_json(h->bgp_id));
	put(p, "rd", rd_json(h->distinguisher));
	put(p, "flags", peer_flags_json(h));
	put(p, "timestamp", timestamp_json(h->ts_sec, h->ts_usec));
	return p;
}

enum tlv_ctx { TLV_INIT, TLV_TERM, TLV_PEER, TLV_MIRROR };

static const char *tlv_name(enum tlv_ctx c, uint16_t type)
{
	static const char *const init[] = {"string", "sysDescr", "sysName", "vrf_table_name",
					   "admin_label"};
	static const char *const term[] = {"string", "reason"};
	static const char *const mirror[] = {"bgp_message", "information"};

	switch (c) {
	case TLV_INIT:
	case TLV_PEER:
		return type < 5 ? init[type] : NULL;
	case TLV_TERM:
		return type < 2 ? term[type] : NULL;
	case TLV_MIRROR:
		return type < 2 ? mirror[type] : NULL;
	}
	return NULL;
}

static json_t *tlv_value(enum tlv_ctx c, const struct bmp_tlv *t)
{
	uint16_t v;

	if (c == TLV_TERM && t->type == BMP_TERM_REASON && t->len == 2) {
		v = (uint16_t)(t->value[0] << 8 | t->value[1]);
		return json_string(bmp_term_reason_name(v));
	}
	if (c == TLV_MIRROR || tlv_name(c, t->type) == NULL)
		return hex_json(t->value, t->len);
	return text_json(t->value, t->len); /* the information strings */
}

static json_t *tlvs_json(enum tlv_ctx c, const struct bmp_tlv_list *l)
{
	json_t *a = json_array();

	for (size_t i = 0; i < l->n && i < BMP_MAX_TLVS; i++) {
		const struct bmp_tlv *t = &l->v[i];
		const char *name = tlv_name(c, t->type);
		json_t *e = json_pack("{sI}", "type", (json_int_t)t->type);

		if (name != NULL)
			put(e, "name", json_string(name));
		put(e, "value", tlv_value(c, t));
		push(a, e);
	}
	return a;
}

/* ---- BMP: message bodies ------------------------------------------------ */

/* A carved BGP PDU decoded, or its status when it could not be carved. */
static json_t *pdu_json(const struct bmp_bgp_pdu *pdu, const struct bgp_decode_ctx *ctx)
{
	if (pdu->data == NULL)
		return json_pack("{ss}", "error", bmp_pdu_status_name(pdu->status));
	return decode_bgp_message(pdu->data, pdu->len, ctx);
}

static void route_monitoring_json(struct decode_bmp *d, json_t *j, const struct bmp_msg *m)
{
	struct bgp_decode_ctx ctx;
	bool known;

	peer_ctx(d, &m->peer, &ctx, &known);
	put(j, "decode_context", json_string(known ? "peer-up" : "default"));
	put(j, "bgp", pdu_json(&m->u.rm.update, &ctx));
}

static json_t *stat_json(const struct bmp_stat *s)
{
	json_t *e = json_pack("{sIss}", "type", (json_int_t)s->type, "name",
			      bmp_stat_type_name(s->type));

	switch (s->value_kind) {
	case BMP_STAT_VAL_AFI_SAFI_U64:
		put(e, "afi", json_integer(s->afi));
		put(e, "safi", json_integer(s->safi));
		/* fall through */
	case BMP_STAT_VAL_U32:
	case BMP_STAT_VAL_U64:
		put(e, "value", uint_json(s->value));
		break;
	default:
		put(e, "raw", hex_json(s->raw, s->len));
		break;
	}
	if (s->unexpected_size)
		put(e, "unexpected_size", json_true());
	return e;
}

static void stats_json(json_t *j, const struct bmp_msg *m)
{
	json_t *a = json_array();

	for (size_t i = 0; i < m->u.stats.n && i < BMP_MAX_STATS; i++)
		push(a, stat_json(&m->u.stats.v[i]));
	put(j, "count", json_integer(m->u.stats.count));
	put(j, "stats", a);
}

static void peer_down_json(json_t *j, const struct bmp_msg *m)
{
	const struct bmp_peer_down *d = &m->u.down;

	put(j, "reason", json_string(bmp_peer_down_reason_name(d->reason)));
	put(j, "reason_code", json_integer(d->reason));
	if (d->reason == BMP_DOWN_LOCAL_NOTIFICATION || d->reason == BMP_DOWN_REMOTE_NOTIFICATION)
		put(j, "notification", pdu_json(&d->notification, NULL));
	if (d->has_fsm_event)
		put(j, "fsm_event", json_integer(d->fsm_event));
	if (d->reason == BMP_DOWN_LOCAL_TLV)
		put(j, "tlvs", tlvs_json(TLV_PEER, &d->tlvs));
}

static void peer_up_json(struct decode_bmp *d, json_t *j, const struct bmp_msg *m)
{
	const struct bmp_peer_up *u = &m->u.up;

	put(j, "local_address", addr16_json(u->local_addr, m->peer.ipv6));
	put(j, "local_port", json_integer(u->local_port));
	put(j, "remote_port", json_integer(u->remote_port));
	put(j, "sent_open", pdu_json(&u->sent_open, NULL));
	put(j, "received_open", pdu_json(&u->recv_open, NULL));
	if (u->tlvs.total > 0)
		put(j, "tlvs", tlvs_json(TLV_PEER, &u->tlvs));
	peer_negotiate(d, m);
}

static void mirror_json(struct decode_bmp *d, json_t *j, const struct bmp_msg *m)
{
	static const char *const infos[] = {"errored-pdu", "messages-lost"};
	const struct bmp_route_mirror *r = &m->u.mirror;
	struct bgp_decode_ctx ctx;
	bool known;

	put(j, "tlvs", tlvs_json(TLV_MIRROR, &r->tlvs));
	if (r->n_bgp > 0) {
		peer_ctx(d, &m->peer, &ctx, &known);
		put(j, "bgp", pdu_json(&r->bgp, &ctx));
	}
	if (r->has_info)
		put(j, "information", r->info_code < 2 ? json_string(infos[r->info_code])
						      : json_integer(r->info_code));
}

static void body_json(struct decode_bmp *d, json_t *j, const struct bmp_msg *m)
{
	switch (m->type) {
	case BMP_MSG_ROUTE_MONITORING:
		route_monitoring_json(d, j, m);
		break;
	case BMP_MSG_STATISTICS_REPORT:
		stats_json(j, m);
		break;
	case BMP_MSG_PEER_DOWN:
		peer_down_json(j, m);
		break;
	case BMP_MSG_PEER_UP:
		peer_up_json(d, j, m);
		break;
	case BMP_MSG_INITIATION:
		put(j, "tlvs", tlvs_json(TLV_INIT, &m->u.init.tlvs));
		break;
	case BMP_MSG_TERMINATION:
		put(j, "tlvs", tlvs_json(TLV_TERM, &m->u.term.tlvs));
		break;
	case BMP_MSG_ROUTE_MIRRORING:
		mirror_json(d, j, m);
		break;
	default:
		break;
	}
}

static json_t *bmp_errors_json(uint32_t mask)
{
	json_t *a = json_array();

	for (int e = 1; e < BMP_ERR__COUNT; e++)
		if (mask & (1u << e))
			push(a, json_string(bmp_error_reason_name((enum bmp_error)e)));
	return a;
}

json_t *decode_bmp_message(struct decode_bmp *d, const uint8_t *msg, size_t len)
{
	struct bmp_msg *m = &d->msg;
	json_t *j = json_object();
	int rc = bmp_decode(msg, len, m);

	if (j == NULL)
		return NULL;
	put(j, "proto", json_string("bmp"));
	put(j, "version", json_integer(m->version));
	put(j, "type", json_string(bmp_msg_type_name(m->type)));
	if (m->type > BMP_MSG_ROUTE_MIRRORING)
		put(j, "type_code", json_integer(m->type));
	put(j, "length", json_integer((json_int_t)m->length));
	if (m->has_peer)
		put(j, "peer", peer_json(&m->peer));
	/* without a usable per-peer header the body means nothing */
	if (m->has_peer || m->type == BMP_MSG_INITIATION || m->type == BMP_MSG_TERMINATION)
		body_json(d, j, m);
	if (rc != 0) {
		put(j, "error", json_string(bmp_error_reason_name(m->error)));
		put(j, "errors", bmp_errors_json(m->errors));
	}
	return j;
}

/* ---- stream drivers ----------------------------------------------------- */

#define DECODE_READ_CHUNK 65536

enum frame_result { FRAME_OK, FRAME_MORE, FRAME_LOST };

/* A framer says how long the first message of buf is (FRAME_OK), how
 * many bytes it needs (FRAME_MORE; 0 if unknown) or why it gave up. */
typedef enum frame_result (*frame_fn)(void *self, const uint8_t *buf, size_t len, size_t *mlen,
				      json_t *err);
typedef json_t *(*message_fn)(void *self, const uint8_t *msg, size_t len);

struct stream {
	FILE *in, *out;
	uint8_t *buf;
	size_t len, cap, max; /* max: the framer's largest message */
	uint64_t offset;      /* of buf[0] in the input */
	bool eof;
	struct decode_stats st;
};

/* Reads until buf holds at least want bytes or the input ends. */
static int stream_fill(struct stream *s, size_t want)
{
	while (s->len < want && !s->eof) {
		size_t n, room;

		if (s->cap - s->len < DECODE_READ_CHUNK) {
			size_t cap = s->cap ? s->cap * 2 : 2 * DECODE_READ_CHUNK;
			uint8_t *nb = realloc(s->buf, cap);

			if (nb == NULL)
				return -1;
			s->buf = nb;
			s->cap = cap;
		}
		room = s->cap - s->len;
		n = fread(s->buf + s->len, 1, room, s->in);
		s->len += n;
		if (n < room) {
			if (ferror(s->in))
				return -1;
			s->eof = feof(s->in) != 0;
		}
	}
	return 0;
}

static int emit(struct stream *s, json_t *j)
{
	int rc;

	if (j == NULL)
		return -1;
	rc = json_dumpf(j, s->out, JSON_COMPACT);
	json_decref(j);
	if (rc != 0 || fputc('\n', s->out) == EOF)
		return -1;
	return 0;
}

static int stream_message(struct stream *s, void *self, message_fn fn, size_t mlen)
{
	json_t *j = fn(self, s->buf, mlen);

	if (j == NULL)
		return -1;
	s->st.messages++;
	if (decode_has_error(j))
		s->st.errors++;
	s->st.bytes += mlen;
	s->offset += mlen;
	s->len -= mlen;
	memmove(s->buf, s->buf + mlen, s->len);
	return emit(s, j);
}

/* The input ended inside a message: say where and how much is missing. */
static int stream_truncated(struct stream *s, size_t need)
{
	json_t *e = json_pack("{sssIsI}", "error", "truncated", "offset", (json_int_t)s->offset,
			      "bytes", (json_int_t)s->len);

	if (e != NULL && need > s->len)
		put(e, "needed", json_integer((json_int_t)need));
	s->st.truncated = true;
	return emit(s, e) == 0 ? -1 : -2;
}

static int stream_lost(struct stream *s, json_t *err)
{
	put(err, "offset", json_integer((json_int_t)s->offset));
	s->st.framing_lost = true;
	return emit(s, err) == 0 ? -1 : -2;
}

static int stream_step(struct stream *s, void *self, frame_fn frame, message_fn fn, bool *done)
{
	size_t mlen = 0;
	json_t *err = json_object();
	enum frame_result r = frame(self, s->buf, s->len, &mlen, err);

	*done = false;
	if (r == FRAME_LOST) {
		*done = true;
		return stream_lost(s, err);
	}
	json_decref(err);
	if (r == FRAME_OK)
		return stream_message(s, self, fn, mlen) == 0 ? 0 : -2;
	if (s->eof) {
		*done = true;
		return s->len == 0 ? 0 : stream_truncated(s, mlen);
	}
	/* a length is known: read that much at once, else a little more */
	return stream_fill(s, mlen > s->len ? mlen : s->len + 1) == 0 ? 0 : -2;
}

static int stream_run(FILE *in, FILE *out, void *self, frame_fn frame, message_fn fn,
		      struct decode_stats *st)
{
	struct stream s = {.in = in, .out = out};
	bool done = false;
	int rc = stream_fill(&s, 1) == 0 ? 0 : -2;

	while (rc == 0 && !done)
		rc = stream_step(&s, self, frame, fn, &done);
	if (rc == 0 && fflush(out) != 0)
		rc = -2;
	if (st != NULL)
		*st = s.st;
	free(s.buf);
	return rc;
}

/* ---- BMP stream --------------------------------------------------------- */

static enum frame_result bmp_framer(void *self, const uint8_t *buf, size_t len, size_t *mlen,
				    json_t *err)
{
	enum bmp_error why = BMP_OK;
	enum bmp_frame_status st = bmp_frame(buf, len, BMP_DEFAULT_MAX_MSG, mlen, &why);

	(void)self;
	if (st == BMP_FRAME_COMPLETE)
		return FRAME_OK;
	if (st == BMP_FRAME_NEED_MORE)
		return FRAME_MORE;
	put(err, "error", json_string("framing_lost"));
	put(err, "reason", json_string(bmp_error_reason_name(why)));
	if (why == BMP_ERR_VERSION && len > 0)
		put(err, "version", json_integer(buf[0]));
	return FRAME_LOST;
}

static json_t *bmp_message(void *self, const uint8_t *msg, size_t len)
{
	return decode_bmp_message(self, msg, len);
}

int decode_bmp_stream(FILE *in, FILE *out, struct decode_stats *st)
{
	struct decode_bmp *d = decode_bmp_new();
	int rc;

	if (d == NULL)
		return -2;
	rc = stream_run(in, out, d, bmp_framer, bmp_message, st);
	decode_bmp_free(d);
	return rc;
}

/* ---- BGP stream --------------------------------------------------------- */

void decode_bgp_stream_ctx(const struct bgp_open *sender, struct bgp_decode_ctx *out)
{
	bgp_negotiate_sender_only(sender, out);
}

struct bgp_stream {
	struct bgp_decode_ctx ctx;
	struct bgp_open open; /* scratch */
};

static enum frame_result bgp_framer(void *self, const uint8_t *buf, size_t len, size_t *mlen,
				    json_t *err)
{
	enum bgp_error why = BGP_ERR_NONE;
	/* lenient on the maximum: a decoder shows oversize messages */
	enum bgp_frame_status st = bgp_frame(buf, len, true, mlen, &why);

	(void)self;
	if (st == BGP_FRAME_COMPLETE)
		return FRAME_OK;
	if (st == BGP_FRAME_NEED_MORE)
		return FRAME_MORE;
	/* an unknown type with a sane length is skipped by its length */
	if (why == BGP_ERR_MSG_TYPE && len >= BGP_HEADER_LEN) {
		*mlen = (size_t)buf[16] << 8 | buf[17];
		if (*mlen >= BGP_HEADER_LEN)
			return len >= *mlen ? FRAME_OK : FRAME_MORE;
	}
	put(err, "error", json_string("framing_lost"));
	put(err, "reason", json_string(bgp_error_reason_name(why)));
	return FRAME_LOST;
}

static json_t *bgp_message(void *self, const uint8_t *msg, size_t len)
{
	struct bgp_stream *b = self;
	json_t *j = decode_bgp_message(msg, len, &b->ctx);

	/* the sender's OPEN decides how its later UPDATEs are decoded */
	if (msg[BGP_HEADER_LEN - 1] == BGP_MSG_OPEN && bgp_open_decode(msg, len, &b->open) == 0)
		decode_bgp_stream_ctx(&b->open, &b->ctx);
	return j;
}

int decode_bgp_stream(FILE *in, FILE *out, struct decode_stats *st)
{
	struct bgp_stream *b = malloc(sizeof(*b));
	int rc;

	if (b == NULL)
		return -2;
	bgp_ctx_init(&b->ctx);
	rc = stream_run(in, out, b, bgp_framer, bgp_message, st);
	free(b);
	return rc;
}
