/* api_attrs.c — a route's attribute set (the canonical key of
 * bgp/ingest.c, model.h "looking glass") as JSON for the looking glass.
 * Pure: every length is checked against the key's bytes. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "api.h"

enum {
	A_ORIGIN = 1, A_AS_PATH = 2, A_NEXT_HOP = 3, A_MED = 4, A_LOCAL_PREF = 5,
	A_ATOMIC_AGGREGATE = 6, A_AGGREGATOR = 7, A_COMMUNITIES = 8, A_ORIGINATOR_ID = 9,
	A_CLUSTER_LIST = 10, A_MP_REACH = 14, A_EXT_COMMUNITIES = 16, A_AS4_PATH = 17,
	A_AS4_AGGREGATOR = 18, A_LARGE_COMMUNITY = 32,
};

#define PATH_TEXT_MAX 4096

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t host32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static json_t *addr_json(int af, const uint8_t *p)
{
	char buf[INET6_ADDRSTRLEN];

	if (inet_ntop(af, p, buf, sizeof(buf)) == NULL)
		return json_null();
	return json_string(buf);
}

/* Whether the segments of an AS path parse exactly with asn_size-byte ASNs. */
static bool path_fits(const uint8_t *v, size_t len, size_t asn_size)
{
	size_t off = 0;

	while (off < len) {
		if (len - off < 2 || v[off] < 1 || v[off] > 4)
			return false;
		off += 2 + (size_t)v[off + 1] * asn_size;
	}
	return off == len;
}

/* The path as routers print it: "65001 12076 {64512 64513}". The key keeps
 * the path as received: 4-byte ASNs unless only 2-byte ones parse. */
static json_t *path_json(const uint8_t *v, size_t len)
{
	size_t asz = path_fits(v, len, 4) ? 4 : 2, off = 0, o = 0;
	char buf[PATH_TEXT_MAX];

	if (!path_fits(v, len, asz))
		return json_null();
	buf[0] = '\0';
	while (off < len && o < sizeof(buf) - 32) {
		uint8_t type = v[off], count = v[off + 1];
		bool set = type == 1 || type == 4;

		off += 2;
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", o ? " " : "",
				      set ? "{" : (type == 3 ? "(" : ""));
		for (uint8_t i = 0; i < count && o < sizeof(buf) - 32; i++, off += asz) {
			uint32_t asn = asz == 4 ? be32(v + off) : (uint32_t)(v[off] << 8 | v[off + 1]);

			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%u", i ? " " : "", asn);
		}
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s",
				      set ? "}" : (type == 3 ? ")" : ""));
	}
	return json_string(buf);
}

static json_t *list_json(const uint8_t *v, size_t len, size_t size)
{
	json_t *a = json_array();
	char buf[64];

	for (size_t off = 0; off + size <= len; off += size) {
		if (size == 4)
			snprintf(buf, sizeof(buf), "%u:%u", be32(v + off) >> 16, be32(v + off) & 0xffff);
		else if (size == 12)
			snprintf(buf, sizeof(buf), "%u:%u:%u", be32(v + off), be32(v + off + 4),
				 be32(v + off + 8));
		else
			snprintf(buf, sizeof(buf), "0x%08x%08x", be32(v + off), be32(v + off + 4));
		json_array_append_new(a, json_string(buf));
	}
	return a;
}

static json_t *ids_json(const uint8_t *v, size_t len)
{
	json_t *a = json_array();

	for (size_t off = 0; off + 4 <= len; off += 4)
		json_array_append_new(a, addr_json(AF_INET, v + off));
	return a;
}

static json_t *hex_json(const uint8_t *v, size_t len)
{
	char buf[2 * 256 + 1];
	size_t n = len < 256 ? len : 256;

	for (size_t i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", v[i]);
	buf[2 * n] = '\0';
	return json_string(buf);
}

/* MP_REACH_NLRI's next hop: 4, 16 or 32 (global, link-local) bytes. */
static void mp_nexthop(json_t *o, const uint8_t *v, size_t len)
{
	if (len == 4 || len == 12) /* 12: RD + IPv4 */
		json_object_set_new(o, "next_hop", addr_json(AF_INET, v + len - 4));
	else if (len == 16 || len == 32)
		json_object_set_new(o, "next_hop", addr_json(AF_INET6, v));
	if (len == 32)
		json_object_set_new(o, "next_hop_link_local", addr_json(AF_INET6, v + 16));
}

/* A BGP identifier kept in host order. */
static json_t *id_json(uint32_t host)
{
	uint32_t net = htonl(host);

	return addr_json(AF_INET, (const uint8_t *)&net);
}

static json_t *aggregator_json(const uint8_t *v)
{
	return json_pack("{s:I, s:o}", "asn", (json_int_t)host32(v), "address",
			 addr_json(AF_INET, v + 4));
}

static void attr_json(json_t *o, uint8_t type, const uint8_t *v, size_t len)
{
	static const char *const origins[] = {"igp", "egp", "incomplete"};

	if (type == A_ORIGIN && len == 1)
		json_object_set_new(o, "origin", json_string(v[0] < 3 ? origins[v[0]] : "?"));
	else if (type == A_AS_PATH)
		json_object_set_new(o, "as_path", path_json(v, len));
	else if (type == A_AS4_PATH)
		json_object_set_new(o, "as4_path", path_json(v, len));
	else if (type == A_NEXT_HOP && len == 4)
		json_object_set_new(o, "next_hop", addr_json(AF_INET, v));
	else if (type == A_MP_REACH)
		mp_nexthop(o, v, len);
	else if (type == A_MED && len == 4)
		json_object_set_new(o, "med", json_integer(host32(v)));
	else if (type == A_LOCAL_PREF && len == 4)
		json_object_set_new(o, "local_pref", json_integer(host32(v)));
	else if (type == A_ATOMIC_AGGREGATE)
		json_object_set_new(o, "atomic_aggregate", json_true());
	else if ((type == A_AGGREGATOR || type == A_AS4_AGGREGATOR) && len == 8)
		json_object_set_new(o, type == A_AGGREGATOR ? "aggregator" : "as4_aggregator",
				    aggregator_json(v));
	else if (type == A_COMMUNITIES)
		json_object_set_new(o, "communities", list_json(v, len, 4));
	else if (type == A_EXT_COMMUNITIES)
		json_object_set_new(o, "extended_communities", list_json(v, len, 8));
	else if (type == A_LARGE_COMMUNITY)
		json_object_set_new(o, "large_communities", list_json(v, len, 12));
	else if (type == A_ORIGINATOR_ID && len == 4)
		json_object_set_new(o, "originator_id", id_json(host32(v)));
	else if (type == A_CLUSTER_LIST)
		json_object_set_new(o, "cluster_list", ids_json(v, len));
	else
		json_array_append_new(json_object_get(o, "other"),
				      json_pack("{s:i, s:o}", "type", type, "value", hex_json(v, len)));
}

json_t *api_attrs_json(const uint8_t *key, size_t len)
{
	json_t *o = json_pack("{s:[]}", "other");
	size_t off = 0;

	while (key != NULL && len - off >= 3) {
		uint8_t type = key[off];
		size_t n = (size_t)key[off + 1] << 8 | key[off + 2];

		if (n > len - off - 3)
			break; /* cut short: what came before stands */
		attr_json(o, type, key + off + 3, n);
		off += 3 + n;
	}
	if (json_array_size(json_object_get(o, "other")) == 0)
		json_object_del(o, "other");
	return o;
}
