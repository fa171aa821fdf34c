/* route_attrs.c — the attribute-set bytes of a route (bgp/ingest's
 * canonical key: type u8, length u16 big-endian, value; in type order)
 * decoded into what the route stream publishes. The bytes are treated as
 * hostile: each entry is carved, each value checked against its size. */
#include <stdlib.h>
#include <string.h>

#include "reader.h"
#include "route_codec.h"

#define AS_TRANS 23456u
#define HOPS_INLINE 128 /* ASNs of a path walked without the heap */

enum {
	A_ORIGIN = 1,
	A_AS_PATH = 2,
	A_NEXT_HOP = 3,
	A_MED = 4,
	A_LOCAL_PREF = 5,
	A_ATOMIC_AGGREGATE = 6,
	A_AGGREGATOR = 7,
	A_COMMUNITIES = 8,
	A_ORIGINATOR_ID = 9,
	A_CLUSTER_LIST = 10,
	A_MP_REACH = 14,
	A_EXT_COMMUNITIES = 16,
	A_AS4_PATH = 17,
	A_AS4_AGGREGATOR = 18,
	A_LARGE_COMMUNITY = 32,
};

/* A host-order u32 (the key keeps MED, LOCAL_PREF, ORIGINATOR_ID so). */
static int host_u32(struct wire_reader *v, uint32_t *out)
{
	if (wire_left(v) != 4)
		return -1;
	memcpy(out, wire_cur(v), 4);
	return 0;
}

/* Whether bytes are AS path segments of ASNs of width w, ending exactly. */
static bool aspath_fits(const uint8_t *p, size_t len, size_t w)
{
	struct wire_reader r;

	wire_init(&r, p, len);
	while (!wire_done(&r)) {
		uint8_t type, count;

		if (wire_get_u8(&r, &type) != 0 || wire_get_u8(&r, &count) != 0 || type < 1 ||
		    type > 4 || count == 0 || wire_skip(&r, (size_t)count * w) != 0)
			return false;
	}
	return true;
}

/* The key does not say the width of the ASNs (the session's capability
 * does): a path that parses whole with 4-octet ASNs is taken as such
 * (a 2-octet path rarely does), unless AS4_PATH is there too (sent only
 * on 2-octet sessions, RFC 6793 §4.2.2). */
static void aspath_set(struct route_aspath *ap, struct wire_reader *v, bool force_as4,
		       bool prefer_as2)
{
	ap->data = wire_cur(v);
	ap->len = wire_left(v);
	ap->present = true;
	if (force_as4 || (!prefer_as2 && aspath_fits(ap->data, ap->len, 4))) {
		ap->as4 = true;
		ap->valid = aspath_fits(ap->data, ap->len, 4);
	} else {
		ap->as4 = false;
		ap->valid = aspath_fits(ap->data, ap->len, 2);
	}
}

static int list_set(struct route_list *l, struct wire_reader *v, size_t size)
{
	if (wire_left(v) % size != 0)
		return -1;
	l->data = wire_cur(v);
	l->count = wire_left(v) / size;
	return 0;
}

/* RFC 2545 §3: 16 bytes global, 32 with a link-local; 4: IPv4. */
static int mp_next_hop(struct route_attrs *a, struct wire_reader *v)
{
	size_t n = wire_left(v);

	if (n == 4 || n == 16 || n == 32) {
		memcpy(a->next_hop, wire_cur(v), n == 4 ? 4 : 16);
		a->next_hop_family = n == 4 ? 4 : 6;
		if (n == 32) {
			memcpy(a->link_local, wire_cur(v) + 16, 16);
			a->has_link_local = true;
		}
	}
	return 0; /* another length (a VPN next hop): left out, raw keeps it */
}

static int aggregator(struct route_attrs *a, struct wire_reader *v, bool as4)
{
	uint32_t asn;

	if (wire_left(v) != 8)
		return -1;
	memcpy(&asn, wire_cur(v), 4);
	/* RFC 6793 §4.2.3: AS4_AGGREGATOR stands when AGGREGATOR says AS_TRANS */
	if (as4 && a->has_aggregator && a->aggregator_asn != AS_TRANS)
		return 0;
	a->aggregator_asn = asn;
	memcpy(a->aggregator_addr, wire_cur(v) + 4, 4);
	a->has_aggregator = true;
	return 0;
}

static int entry(struct route_attrs *a, uint8_t type, struct wire_reader *v, bool has_as4)
{
	switch (type) {
	case A_ORIGIN:
		a->has_origin = wire_get_u8(v, &a->origin) == 0 && wire_done(v);
		return a->has_origin ? 0 : -1;
	case A_AS_PATH:
		aspath_set(&a->as_path, v, false, has_as4);
		return 0;
	case A_AS4_PATH:
		aspath_set(&a->as4_path, v, true, false);
		return 0;
	case A_NEXT_HOP:
		if (wire_left(v) != 4)
			return -1;
		memcpy(a->next_hop, wire_cur(v), 4);
		a->next_hop_family = 4;
		return 0;
	case A_MED:
		a->has_med = host_u32(v, &a->med) == 0;
		return a->has_med ? 0 : -1;
	case A_LOCAL_PREF:
		a->has_local_pref = host_u32(v, &a->local_pref) == 0;
		return a->has_local_pref ? 0 : -1;
	case A_ORIGINATOR_ID:
		a->has_originator_id = host_u32(v, &a->originator_id) == 0;
		return a->has_originator_id ? 0 : -1;
	case A_ATOMIC_AGGREGATE:
		a->atomic_aggregate = true;
		return wire_done(v) ? 0 : -1;
	case A_AGGREGATOR:
		return aggregator(a, v, false);
	case A_AS4_AGGREGATOR:
		return aggregator(a, v, true);
	case A_COMMUNITIES:
		return list_set(&a->communities, v, 4);
	case A_CLUSTER_LIST:
		return list_set(&a->cluster_list, v, 4);
	case A_EXT_COMMUNITIES:
		return list_set(&a->ext_communities, v, 8);
	case A_LARGE_COMMUNITY:
		return list_set(&a->large_communities, v, 12);
	case A_MP_REACH:
		return mp_next_hop(a, v);
	default:
		if (a->nunknown < ROUTE_UNKNOWN_MAX)
			a->unknown[a->nunknown++] = type;
		return 0;
	}
}

/* Whether the key holds an AS4_PATH (it comes after AS_PATH in type order,
 * and says how to read it). */
static bool has_as4_path(const uint8_t *raw, size_t len)
{
	struct wire_reader r;

	wire_init(&r, raw, len);
	while (!wire_done(&r)) {
		uint8_t type;
		uint16_t n;

		if (wire_get_u8(&r, &type) != 0 || wire_get_u16(&r, &n) != 0 ||
		    wire_skip(&r, n) != 0)
			return false;
		if (type == A_AS4_PATH)
			return true;
	}
	return false;
}

int route_attrs_decode(const uint8_t *raw, size_t len, struct route_attrs *a)
{
	struct wire_reader r;
	bool as4p = has_as4_path(raw, len);

	memset(a, 0, sizeof(*a));
	wire_init(&r, raw, len);
	while (!wire_done(&r)) {
		uint8_t type;
		uint16_t n;
		struct wire_reader v;

		if (wire_get_u8(&r, &type) != 0 || wire_get_u16(&r, &n) != 0 ||
		    wire_sub(&r, n, &v) != 0 || entry(a, type, &v, as4p) != 0)
			return -1;
	}
	return 0;
}

/* ---- the effective AS path ---- */

struct hop_buf {
	uint32_t *asns;
	uint8_t *types;
	size_t n;
};

/* Appends the first max ASNs of a path, each with its segment's type. */
static void hops_append(struct hop_buf *h, const struct route_aspath *ap, size_t max)
{
	struct wire_reader r;
	size_t w = ap->as4 ? 4 : 2, taken = 0;

	wire_init(&r, ap->data, ap->len);
	while (!wire_done(&r) && taken < max) {
		uint8_t type, count;

		if (wire_get_u8(&r, &type) != 0 || wire_get_u8(&r, &count) != 0)
			return;
		for (uint8_t i = 0; i < count && taken < max; i++, taken++) {
			uint32_t asn = 0;
			uint16_t a16;

			if (w == 4 ? wire_get_u32(&r, &asn) != 0 : wire_get_u16(&r, &a16) != 0)
				return;
			h->asns[h->n] = w == 4 ? asn : a16;
			h->types[h->n++] = type;
		}
	}
}

static size_t path_asns(const struct route_aspath *ap)
{
	return ap->present && ap->valid ? ap->len / (ap->as4 ? 4 : 2) : 0;
}

/* Counts ASNs exactly (path_asns bounds it from above for the buffers). */
static size_t path_count(const struct route_aspath *ap)
{
	struct wire_reader r;
	size_t n = 0;

	wire_init(&r, ap->data, ap->len);
	while (!wire_done(&r)) {
		uint8_t type, count;

		if (wire_get_u8(&r, &type) != 0 || wire_get_u8(&r, &count) != 0 ||
		    wire_skip(&r, (size_t)count * (ap->as4 ? 4 : 2)) != 0)
			break;
		n += count;
	}
	return n;
}

static int emit_segments(const struct hop_buf *h,
			 void (*fn)(uint8_t type, const uint32_t *asns, size_t n, void *arg),
			 void *arg)
{
	int segs = 0;

	for (size_t i = 0; i < h->n;) {
		size_t j = i + 1;

		while (j < h->n && h->types[j] == h->types[i] && j - i < 255)
			j++;
		fn(h->types[i], h->asns + i, j - i, arg);
		segs++;
		i = j;
	}
	return segs;
}

/* RFC 6793 §4.2.3, simplified to ASN counts: on a 2-octet path with an
 * AS4_PATH no longer than it, the leading ASNs of AS_PATH then AS4_PATH;
 * adjacent ASNs of one segment type form one segment again. */
int route_aspath_walk(const struct route_attrs *a,
		      void (*fn)(uint8_t type, const uint32_t *asns, size_t n, void *arg),
		      void *arg)
{
	const struct route_aspath *ap = &a->as_path, *a4 = &a->as4_path;
	size_t cap = path_asns(ap) + path_asns(a4) + 1, n2, n4;
	uint32_t asns[HOPS_INLINE];
	uint8_t types[HOPS_INLINE];
	struct hop_buf h = {asns, types, 0};
	int segs;

	if (!ap->present || !ap->valid)
		return -1;
	if (cap > HOPS_INLINE) { /* a long path: on the heap */
		h.asns = malloc(cap * sizeof(*h.asns));
		h.types = malloc(cap);
		if (h.asns == NULL || h.types == NULL) {
			free(h.asns);
			free(h.types);
			return -1;
		}
	}
	n2 = path_count(ap);
	n4 = a4->present && a4->valid && !ap->as4 ? path_count(a4) : SIZE_MAX;
	if (n4 <= n2) {
		hops_append(&h, ap, n2 - n4);
		hops_append(&h, a4, n4);
	} else {
		hops_append(&h, ap, n2);
	}
	segs = emit_segments(&h, fn, arg);
	if (h.asns != asns) {
		free(h.asns);
		free(h.types);
	}
	return segs;
}
