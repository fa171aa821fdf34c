/* route_codec.c — the route stream's RouteMessage in protobuf (protoc-c,
 * from proto/circuitwatch/v1/routes.proto) and JSON (its proto3 JSON
 * mapping, jansson), from stream.h's structs. See route_codec.h. */
#include "route_codec.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "circuitwatch/v1/routes.pb-c.h"

typedef Circuitwatch__V1__RouteMessage PbMsg;
typedef Circuitwatch__V1__RoutePeer PbPeer;

#define ADDR_TEXT 48

static const char *const view_names[] = {
	"RIB_VIEW_UNSPECIFIED",     "RIB_VIEW_ADJ_RIB_IN_PRE",   "RIB_VIEW_ADJ_RIB_IN_POST",
	"RIB_VIEW_ADJ_RIB_OUT_PRE", "RIB_VIEW_ADJ_RIB_OUT_POST", "RIB_VIEW_LOC_RIB"};
static const char *const mark_names[] = {
	"MARK_KIND_SESSION_UP", "MARK_KIND_SESSION_DOWN", "MARK_KIND_END_OF_RIB",
	"MARK_KIND_CLEARED",    "MARK_KIND_RELEASED",     "MARK_KIND_SYNC_BEGIN",
	"MARK_KIND_SYNC_END"};
static const char *const origin_names[] = {"ORIGIN_UNSPECIFIED", "ORIGIN_IGP", "ORIGIN_EGP",
					   "ORIGIN_INCOMPLETE"};

/* enum model_view (0..4) -> RibView (1..5) */
static unsigned view_of(uint8_t v)
{
	return v < 5 ? v + 1u : 0u;
}

/* ---- the key ---- */

/* Appends s (and a separator when sep) to buf at *n, cut at cap. */
static void key_put(char *buf, size_t cap, size_t *n, const char *s, bool sep)
{
	size_t len = strlen(s);

	if (len > cap - *n)
		len = cap - *n;
	memcpy(buf + *n, s, len);
	*n += len;
	if (sep && *n < cap)
		buf[(*n)++] = '|';
}

size_t route_key(const struct stream_peer *p, char *buf, size_t cap)
{
	size_t n = 0;

	key_put(buf, cap, &n, p->circuit, true);
	key_put(buf, cap, &n, p->router, true);
	key_put(buf, cap, &n, p->rd, true);
	key_put(buf, cap, &n, p->addr, false);
	return n;
}

/* ---- scratch memory of one encoding: a stack buffer, then the heap ---- */

#define ARENA_INLINE 8192
#define ARENA_HEAP_MAX 24

struct arena {
	_Alignas(16) uint8_t buf[ARENA_INLINE];
	size_t used;
	void *heap[ARENA_HEAP_MAX];
	size_t nheap;
};

/* n zeroed bytes valid until arena_clean, or NULL. */
static void *arena_get(struct arena *ar, size_t n)
{
	void *p;

	n = n == 0 ? 16 : (n + 15) & ~(size_t)15;
	if (n <= sizeof(ar->buf) - ar->used) {
		p = ar->buf + ar->used;
		ar->used += n;
		memset(p, 0, n);
		return p;
	}
	if (ar->nheap == ARENA_HEAP_MAX || (p = calloc(1, n)) == NULL)
		return NULL;
	ar->heap[ar->nheap++] = p;
	return p;
}

static void arena_clean(struct arena *ar)
{
	for (size_t i = 0; i < ar->nheap; i++)
		free(ar->heap[i]);
	ar->nheap = 0;
	ar->used = 0;
}

/* ---- decoded attributes, shared by both encodings ---- */

struct seg {
	uint8_t type;
	size_t off, n; /* into asns */
};

struct decoded {
	struct route_attrs a;
	bool path_ok;
	struct seg *segs; /* at most cap of each (from the arena) */
	uint32_t *asns;
	size_t nsegs, nasns, cap;
	bool nomem, malformed;
	char next_hop[ADDR_TEXT], link_local[ADDR_TEXT], aggregator[ADDR_TEXT], originator[ADDR_TEXT];
	char (*cluster)[16];
};

static void on_segment(uint8_t type, const uint32_t *asns, size_t n, void *arg)
{
	struct decoded *d = arg;

	if (d->nsegs + 1 > d->cap || n > d->cap - d->nasns) {
		d->nomem = true; /* cannot happen: cap bounds the ASNs of both paths */
		return;
	}
	memcpy(d->asns + d->nasns, asns, n * sizeof(*asns));
	d->segs[d->nsegs++] = (struct seg){type, d->nasns, n};
	d->nasns += n;
}

/* Dotted quad of 4 bytes (glibc's inet_ntop formats through sprintf: a
 * tenth of the stream's cost per route). */
static void dotted(const uint8_t *b, char *out)
{
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		if (b[i] >= 100)
			out[n++] = (char)('0' + b[i] / 100);
		if (b[i] >= 10)
			out[n++] = (char)('0' + b[i] / 10 % 10);
		out[n++] = (char)('0' + b[i] % 10);
		out[n++] = i < 3 ? '.' : '\0';
	}
}

static void ipv4_text(uint32_t host, char *out)
{
	uint8_t b[4] = {(uint8_t)(host >> 24), (uint8_t)(host >> 16), (uint8_t)(host >> 8),
			(uint8_t)host};

	dotted(b, out);
}

static void addr_text(uint8_t family, const uint8_t *a, char *out)
{
	if (family == 4)
		dotted(a, out);
	else if (inet_ntop(AF_INET6, a, out, ADDR_TEXT) == NULL)
		out[0] = '\0';
}

/* 0, or -1 when memory ran out. Malformed bytes decode as far as they go;
 * what is allocated comes from ar. */
static int decode(struct decoded *d, struct arena *ar, const uint8_t *raw, size_t len)
{
	const struct route_attrs *a = &d->a;

	memset(d, 0, sizeof(*d));
	d->malformed = route_attrs_decode(raw, len, &d->a) != 0; /* raw still goes */
	/* every ASN takes 2 bytes at least */
	d->cap = (a->as_path.len + a->as4_path.len) / 2 + 1;
	d->segs = arena_get(ar, d->cap * sizeof(*d->segs));
	d->asns = arena_get(ar, d->cap * sizeof(*d->asns));
	if (d->segs == NULL || d->asns == NULL)
		return -1;
	d->path_ok = route_aspath_walk(a, on_segment, d) >= 0 && !d->nomem;
	if (a->next_hop_family != 0)
		addr_text(a->next_hop_family, a->next_hop, d->next_hop);
	if (a->has_link_local)
		inet_ntop(AF_INET6, a->link_local, d->link_local, ADDR_TEXT);
	if (a->has_aggregator)
		dotted(a->aggregator_addr, d->aggregator);
	if (a->has_originator_id)
		ipv4_text(a->originator_id, d->originator);
	if (a->cluster_list.count > 0) {
		d->cluster = arena_get(ar, a->cluster_list.count * sizeof(*d->cluster));
		if (d->cluster == NULL)
			return -1;
		for (size_t i = 0; i < a->cluster_list.count; i++)
			dotted(a->cluster_list.data + 4 * i, d->cluster[i]);
	}
	return d->nomem ? -1 : 0;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* "10.0.0.0/24": out holds ADDR_TEXT + 4 bytes. */
static void prefix_text(const struct stream_route *rc, char *out)
{
	size_t n;

	addr_text(rc->family, rc->addr, out);
	n = strlen(out);
	out[n++] = '/';
	if (rc->len >= 100)
		out[n++] = (char)('0' + rc->len / 100);
	if (rc->len >= 10)
		out[n++] = (char)('0' + rc->len / 10 % 10);
	out[n++] = (char)('0' + rc->len % 10);
	out[n] = '\0';
}

static int64_t stamp(int64_t t, int64_t now_ns)
{
	return t != 0 ? t : now_ns;
}

/* ---- protobuf ---- */

static void pb_peer(PbPeer *pp, const struct stream_peer *p, char *bgp_id)
{
	circuitwatch__v1__route_peer__init(pp);
	pp->router = (char *)p->router;
	pp->router_address = (char *)p->router_host;
	pp->source = (char *)p->source;
	pp->address = (char *)p->addr;
	pp->asn = p->asn;
	ipv4_text(p->bgp_id, bgp_id);
	pp->bgp_id = bgp_id;
	pp->peer_type = p->peer_type;
	pp->distinguisher = p->distinguisher;
	pp->rd = (char *)p->rd;
	pp->circuit = (char *)p->circuit;
	pp->link = (char *)p->link;
	pp->peering = (char *)p->peering;
	pp->seq = p->seq;
}

static uint8_t *pb_pack(const PbMsg *msg, size_t *len)
{
	size_t n = circuitwatch__v1__route_message__get_packed_size(msg);
	uint8_t *buf = malloc(n ? n : 1);

	if (buf != NULL)
		*len = circuitwatch__v1__route_message__pack(msg, buf);
	return buf;
}

/* A RouteChange is written by hand: protobuf-c's descriptor-driven
 * get_packed_size and pack took a fifth of the stream's CPU per route.
 * The same wire format (proto3: default values left out, repeated scalars
 * packed), checked against protobuf-c's decoder in unit_route_codec and
 * fuzz_route_attrs. */
struct pbw {
	uint8_t *p;
	size_t len, cap;
	bool overflow;
};

static void w_raw(struct pbw *w, const void *b, size_t n)
{
	if (n > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->p + w->len, b, n);
	w->len += n;
}

static void w_varint(struct pbw *w, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;

	do {
		b[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
	w_raw(w, b, n);
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v > 0x7f) {
		v >>= 7;
		n++;
	}
	return n;
}

static void w_tag(struct pbw *w, unsigned field, unsigned type)
{
	w_varint(w, (uint64_t)field << 3 | type);
}

static void w_uint(struct pbw *w, unsigned field, uint64_t v)
{
	if (v != 0) {
		w_tag(w, field, 0);
		w_varint(w, v);
	}
}

static void w_bytes(struct pbw *w, unsigned field, const void *b, size_t n)
{
	if (n != 0) {
		w_tag(w, field, 2);
		w_varint(w, n);
		w_raw(w, b, n);
	}
}

static void w_str(struct pbw *w, unsigned field, const char *s)
{
	w_bytes(w, field, s, s != NULL ? strlen(s) : 0);
}

/* A sub-message: sub's bytes (an empty one is written too: it is set). */
static void w_msg(struct pbw *w, unsigned field, const struct pbw *sub)
{
	w_tag(w, field, 2);
	w_varint(w, sub->len);
	w_raw(w, sub->p, sub->len);
	w->overflow |= sub->overflow;
}

static void w_peer(struct pbw *w, const struct stream_peer *p)
{
	char bgp_id[ADDR_TEXT];

	ipv4_text(p->bgp_id, bgp_id);
	w_str(w, 1, p->router);
	w_str(w, 2, p->router_host);
	w_str(w, 3, p->source);
	w_str(w, 4, p->addr);
	w_uint(w, 5, p->asn);
	w_str(w, 6, bgp_id);
	w_uint(w, 7, p->peer_type);
	w_uint(w, 8, p->distinguisher);
	w_str(w, 9, p->rd);
	w_str(w, 10, p->circuit);
	w_str(w, 11, p->link);
	w_str(w, 12, p->peering);
	w_uint(w, 13, p->seq);
}

/* AsPathSegment {type = 1; packed asns = 2} per segment, field 2. */
static void w_path(struct pbw *w, const struct decoded *d)
{
	for (size_t i = 0; d->path_ok && i < d->nsegs; i++) {
		const uint32_t *asns = d->asns + d->segs[i].off;
		size_t packed = 0, body;

		for (size_t k = 0; k < d->segs[i].n; k++)
			packed += varint_len(asns[k]);
		body = (d->segs[i].type ? 1 + varint_len(d->segs[i].type) : 0) + 1 +
		       varint_len(packed) + packed;
		w_tag(w, 2, 2);
		w_varint(w, body);
		w_uint(w, 1, d->segs[i].type);
		w_tag(w, 2, 2);
		w_varint(w, packed);
		for (size_t k = 0; k < d->segs[i].n; k++)
			w_varint(w, asns[k]);
	}
}

static void w_fixed_list(struct pbw *w, unsigned field, const struct route_list *l, size_t el)
{
	if (l->count == 0)
		return;
	w_tag(w, field, 2);
	w_varint(w, l->count * el);
	for (size_t i = 0; i < l->count; i++) {
		uint8_t le[8];

		/* the attribute's big-endian bytes as a little-endian fixed */
		for (size_t b = 0; b < el; b++)
			le[b] = l->data[i * el + el - 1 - b];
		w_raw(w, le, el);
	}
}

static void w_large(struct pbw *w, const struct route_list *l)
{
	for (size_t i = 0; i < l->count; i++) {
		const uint8_t *p = l->data + 12 * i;
		uint32_t v[3] = {be32(p), be32(p + 4), be32(p + 8)};
		size_t body = 0;

		for (int k = 0; k < 3; k++)
			body += v[k] ? 1 + varint_len(v[k]) : 0;
		w_tag(w, 12, 2);
		w_varint(w, body);
		for (unsigned k = 0; k < 3; k++)
			w_uint(w, k + 1, v[k]);
	}
}

static void w_lists(struct pbw *w, const struct decoded *d)
{
	const struct route_attrs *a = &d->a;
	size_t packed = 0;

	w_fixed_list(w, 10, &a->communities, 4);
	w_fixed_list(w, 11, &a->ext_communities, 8);
	w_large(w, &a->large_communities);
	w_str(w, 13, d->originator);
	for (size_t i = 0; i < a->cluster_list.count; i++) {
		w_tag(w, 14, 2); /* repeated string: an empty one is kept */
		w_varint(w, strlen(d->cluster[i]));
		w_raw(w, d->cluster[i], strlen(d->cluster[i]));
	}
	for (size_t i = 0; i < a->nunknown; i++)
		packed += varint_len(a->unknown[i]);
	if (packed > 0) {
		w_tag(w, 15, 2);
		w_varint(w, packed);
		for (size_t i = 0; i < a->nunknown; i++)
			w_varint(w, a->unknown[i]);
	}
}

static void w_attrs(struct pbw *w, const struct decoded *d, const struct stream_route *rc)
{
	const struct route_attrs *a = &d->a;

	w_uint(w, 1, a->has_origin && a->origin < 3 ? a->origin + 1u : 0);
	w_path(w, d);
	w_str(w, 3, d->next_hop);
	w_str(w, 4, d->link_local);
	w_uint(w, 5, a->has_med ? a->med : 0);
	w_uint(w, 6, a->has_local_pref ? a->local_pref : 0);
	w_uint(w, 7, a->atomic_aggregate);
	w_uint(w, 8, a->aggregator_asn);
	w_str(w, 9, d->aggregator);
	w_lists(w, d);
	w_bytes(w, 16, rc->attrs, rc->attrs_len);
	w_uint(w, 17, a->has_med);
	w_uint(w, 18, a->has_local_pref);
}

/* A writer over n bytes of ar. */
static bool w_init(struct pbw *w, struct arena *ar, size_t n)
{
	*w = (struct pbw){arena_get(ar, n), 0, n, false};
	return w->p != NULL;
}

/* The attributes' encoding is at most 6 times the set's bytes (a cluster
 * id of 4 bytes becomes a string of up to 17) plus the text fields. */
static int w_change(struct pbw *w, struct arena *ar, const struct stream_route *rc, int64_t t)
{
	struct pbw peer, attrs;
	struct decoded d;
	char prefix[ADDR_TEXT + 8];

	if (!w_init(&peer, ar, 1024))
		return -1;
	w_peer(&peer, &rc->peer);
	prefix_text(rc, prefix);
	w_msg(w, 1, &peer);
	w_uint(w, 2, view_of(rc->view));
	w_uint(w, 3, rc->afi);
	w_uint(w, 4, rc->safi);
	w_str(w, 5, prefix);
	w_uint(w, 6, rc->path_id);
	w_uint(w, 7, rc->announce ? 1 : 2);
	w_uint(w, 8, rc->replaced);
	if (rc->announce) {
		if (decode(&d, ar, rc->attrs, rc->attrs_len) != 0 ||
		    !w_init(&attrs, ar, 6 * rc->attrs_len + 512))
			return -1;
		w_attrs(&attrs, &d, rc);
		w_msg(w, 9, &attrs);
	}
	w_uint(w, 10, (uint64_t)t);
	return w->overflow ? -1 : 0;
}

uint8_t *route_encode_pb(const struct stream_route *rc, int64_t now_ns, size_t *len)
{
	struct arena ar;
	struct pbw w;
	uint8_t *out = NULL;

	ar.used = ar.nheap = 0;
	if (w_init(&w, &ar, 7 * rc->attrs_len + 2048) &&
	    w_change(&w, &ar, rc, stamp(rc->time_ns, now_ns)) == 0 &&
	    (out = malloc(w.len + 11)) != NULL) {
		struct pbw o = {out, 0, w.len + 11, false};

		w_msg(&o, 1, &w); /* RouteMessage.route */
		*len = o.len;
	}
	arena_clean(&ar);
	return out;
}

/* ---- the parts of a RouteBatch (route_batch.c) ---- */

size_t route_pb_varint(uint64_t v, uint8_t *out)
{
	struct pbw w = {out, 0, 10, false};

	w_varint(&w, v);
	return w.len;
}

size_t route_pb_field_head(unsigned field, size_t len, uint8_t *out)
{
	struct pbw w = {out, 0, ROUTE_PB_FIELD_HEAD_MAX, false};

	w_tag(&w, field, 2);
	w_varint(&w, len);
	return w.len;
}

size_t route_pb_peer(const struct stream_peer *p, uint8_t *out, size_t cap)
{
	struct pbw w = {out, 0, cap, false};

	w_peer(&w, p);
	return w.overflow ? 0 : w.len;
}

/* RouteChange fields 2 to 8: what a batched change has besides its
 * attributes (its peer and time are the batch's). */
size_t route_pb_change_head(const struct stream_route *rc, uint8_t *out)
{
	struct pbw w = {out, 0, ROUTE_PB_CHANGE_HEAD_MAX, false};
	char prefix[ADDR_TEXT + 8];

	prefix_text(rc, prefix);
	w_uint(&w, 2, view_of(rc->view));
	w_uint(&w, 3, rc->afi);
	w_uint(&w, 4, rc->safi);
	w_str(&w, 5, prefix);
	w_uint(&w, 6, rc->path_id);
	w_uint(&w, 7, rc->announce ? 1 : 2);
	w_uint(&w, 8, rc->replaced);
	return w.len;
}

size_t route_pb_attrs_field_max(const struct stream_route *rc)
{
	return 6 * rc->attrs_len + 512 + ROUTE_PB_FIELD_HEAD_MAX;
}

size_t route_pb_attrs_field_to(const struct stream_route *rc, uint8_t *out, size_t cap)
{
	struct arena ar;
	struct pbw attrs;
	struct decoded d;
	size_t n = 0;

	ar.used = ar.nheap = 0;
	if (decode(&d, &ar, rc->attrs, rc->attrs_len) == 0 &&
	    w_init(&attrs, &ar, 6 * rc->attrs_len + 512)) {
		struct pbw o = {out, 0, cap, false};

		w_attrs(&attrs, &d, rc);
		w_msg(&o, 9, &attrs); /* RouteChange.attributes */
		n = o.overflow ? 0 : o.len;
	}
	arena_clean(&ar);
	return n;
}

uint8_t *route_pb_attrs_field(const struct stream_route *rc, size_t *len)
{
	size_t cap = route_pb_attrs_field_max(rc);
	uint8_t *out = malloc(cap);

	if (out != NULL && (*len = route_pb_attrs_field_to(rc, out, cap)) == 0) {
		free(out);
		out = NULL;
	}
	return out;
}

uint8_t *route_mark_encode_pb(const struct stream_peer_mark *pm, int64_t now_ns, size_t *len)
{
	PbMsg msg = CIRCUITWATCH__V1__ROUTE_MESSAGE__INIT;
	Circuitwatch__V1__PeerMark mk = CIRCUITWATCH__V1__PEER_MARK__INIT;
	PbPeer peer;
	char bgp_id[ADDR_TEXT];

	pb_peer(&peer, &pm->peer, bgp_id);
	mk.peer = &peer;
	mk.kind = (Circuitwatch__V1__MarkKind)(pm->kind + 1);
	if (pm->kind == STREAM_MARK_EOR) {
		mk.view = (Circuitwatch__V1__RibView)view_of(pm->view);
		mk.afi = pm->af == 0 ? 1 : 2;
		mk.safi = 1;
	}
	mk.restart = pm->restart;
	mk.up = pm->up;
	mk.reason = (char *)(pm->reason != NULL ? pm->reason : "");
	mk.bmp_reason = pm->bmp_reason;
	mk.has_notification = pm->notif_code >= 0;
	mk.notification_code = pm->notif_code >= 0 ? (uint32_t)pm->notif_code : 0;
	mk.notification_subcode = pm->notif_code >= 0 ? (uint32_t)pm->notif_subcode : 0;
	mk.time_unix_nano = stamp(pm->time_ns, now_ns);
	msg.msg_case = CIRCUITWATCH__V1__ROUTE_MESSAGE__MSG_MARK;
	msg.mark = &mk;
	return pb_pack(&msg, len);
}

/* ---- JSON (proto3 mapping: lowerCamelCase, enums by name, 64-bit as
 * strings, bytes as base64) ---- */

static json_t *u64_json(uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRIu64, v);
	return json_string(b);
}

static json_t *i64_json(int64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRId64, v);
	return json_string(b);
}

static char *base64(const uint8_t *p, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc(4 * ((n + 2) / 3) + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);

		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		*o++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? tab[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static json_t *peer_json(const struct stream_peer *p)
{
	char bgp_id[ADDR_TEXT];

	ipv4_text(p->bgp_id, bgp_id);
	return json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:i,s:o,s:s,s:s,s:s,s:s,s:o}", "router",
			 p->router, "routerAddress", p->router_host, "source", p->source,
			 "address", p->addr, "asn", (json_int_t)p->asn, "bgpId", bgp_id,
			 "peerType", (int)p->peer_type, "distinguisher",
			 u64_json(p->distinguisher), "rd", p->rd, "circuit", p->circuit, "link",
			 p->link, "peering", p->peering, "seq", u64_json(p->seq));
}

static json_t *path_json(const struct decoded *d)
{
	json_t *arr = json_array();

	for (size_t i = 0; d->path_ok && arr != NULL && i < d->nsegs; i++) {
		json_t *asns = json_array();

		for (size_t k = 0; asns != NULL && k < d->segs[i].n; k++)
			json_array_append_new(asns, json_integer(d->asns[d->segs[i].off + k]));
		json_array_append_new(arr, json_pack("{s:i,s:o*}", "type", (int)d->segs[i].type,
						     "asns", asns));
	}
	return arr;
}

static json_t *lists_json(json_t *o, const struct decoded *d)
{
	const struct route_attrs *a = &d->a;
	json_t *c = json_array(), *e = json_array(), *l = json_array(), *k = json_array(),
	       *u = json_array();

	for (size_t i = 0; c && i < a->communities.count; i++)
		json_array_append_new(c, json_integer(be32(a->communities.data + 4 * i)));
	for (size_t i = 0; e && i < a->ext_communities.count; i++)
		json_array_append_new(e, u64_json(be64(a->ext_communities.data + 8 * i)));
	for (size_t i = 0; l && i < a->large_communities.count; i++) {
		const uint8_t *p = a->large_communities.data + 12 * i;

		json_array_append_new(l, json_pack("{s:I,s:I,s:I}", "globalAdmin",
						   (json_int_t)be32(p), "localData1",
						   (json_int_t)be32(p + 4), "localData2",
						   (json_int_t)be32(p + 8)));
	}
	for (size_t i = 0; k && i < a->cluster_list.count; i++)
		json_array_append_new(k, json_string(d->cluster[i]));
	for (size_t i = 0; u && i < a->nunknown; i++)
		json_array_append_new(u, json_integer(a->unknown[i]));
	json_object_set_new(o, "communities", c);
	json_object_set_new(o, "extendedCommunities", e);
	json_object_set_new(o, "largeCommunities", l);
	json_object_set_new(o, "clusterList", k);
	json_object_set_new(o, "unknownTypes", u);
	return o;
}

static json_t *attrs_json(const struct decoded *d, const struct stream_route *rc)
{
	const struct route_attrs *a = &d->a;
	char *raw = base64(rc->attrs, rc->attrs_len);
	json_t *o = json_pack("{s:s,s:o*,s:s,s:s,s:b,s:I,s:s,s:s,s:s*}", "origin",
			      origin_names[a->has_origin && a->origin < 3 ? a->origin + 1 : 0],
			      "asPath", path_json(d), "nextHop", d->next_hop, "nextHopLinkLocal",
			      d->link_local, "atomicAggregate", (int)a->atomic_aggregate,
			      "aggregatorAsn", (json_int_t)a->aggregator_asn, "aggregatorAddress",
			      d->aggregator, "originatorId", d->originator, "raw", raw);

	free(raw);
	if (o == NULL)
		return NULL;
	if (a->has_med) {
		json_object_set_new(o, "med", json_integer(a->med));
		json_object_set_new(o, "hasMed", json_true());
	}
	if (a->has_local_pref) {
		json_object_set_new(o, "localPref", json_integer(a->local_pref));
		json_object_set_new(o, "hasLocalPref", json_true());
	}
	return lists_json(o, d);
}

static char *dump(json_t *o)
{
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII)
			    : NULL;

	json_decref(o);
	return s;
}

char *route_encode_json(const struct stream_route *rc, int64_t now_ns)
{
	struct arena ar;
	struct decoded d;
	char prefix[ADDR_TEXT + 8];
	json_t *ch;

	ar.used = ar.nheap = 0;
	prefix_text(rc, prefix);
	ch = json_pack("{s:o,s:s,s:i,s:i,s:s,s:I,s:s,s:b,s:o}", "peer", peer_json(&rc->peer),
		       "view", view_names[view_of(rc->view)], "afi", (int)rc->afi, "safi",
		       (int)rc->safi, "prefix", prefix, "pathId", (json_int_t)rc->path_id,
		       "action", rc->announce ? "ROUTE_ACTION_ANNOUNCE" : "ROUTE_ACTION_WITHDRAW",
		       "replaced", (int)rc->replaced, "timeUnixNano",
		       i64_json(stamp(rc->time_ns, now_ns)));
	if (ch != NULL && rc->announce) {
		if (decode(&d, &ar, rc->attrs, rc->attrs_len) != 0) {
			json_decref(ch);
			ch = NULL;
		} else {
			json_object_set_new(ch, "attributes", attrs_json(&d, rc));
		}
	}
	arena_clean(&ar);
	return ch != NULL ? dump(json_pack("{s:o}", "route", ch)) : NULL;
}

char *route_mark_encode_json(const struct stream_peer_mark *pm, int64_t now_ns)
{
	json_t *mk = json_pack("{s:o,s:s,s:b,s:b,s:s,s:i,s:o}", "peer", peer_json(&pm->peer),
			       "kind", mark_names[pm->kind < STREAM_MARK_COUNT ? pm->kind : 0],
			       "restart", (int)pm->restart, "up", (int)pm->up, "reason",
			       pm->reason != NULL ? pm->reason : "", "bmpReason",
			       (int)pm->bmp_reason, "timeUnixNano",
			       i64_json(stamp(pm->time_ns, now_ns)));

	if (mk != NULL && pm->kind == STREAM_MARK_EOR) {
		json_object_set_new(mk, "view", json_string(view_names[view_of(pm->view)]));
		json_object_set_new(mk, "afi", json_integer(pm->af == 0 ? 1 : 2));
		json_object_set_new(mk, "safi", json_integer(1));
	}
	if (mk != NULL && pm->notif_code >= 0) {
		json_object_set_new(mk, "hasNotification", json_true());
		json_object_set_new(mk, "notificationCode", json_integer(pm->notif_code));
		json_object_set_new(mk, "notificationSubcode", json_integer(pm->notif_subcode));
	}
	return mk != NULL ? dump(json_pack("{s:o}", "mark", mk)) : NULL;
}
