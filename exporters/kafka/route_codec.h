/* route_codec.h — the parsed route stream's encodings for Kafka: protobuf
 * (proto/circuitwatch/v1/routes.proto, protobuf-c) and JSON (the proto3
 * JSON mapping of the same RouteMessage, jansson), and the decoder of the
 * attribute-set bytes a route carries (stream.h: bgp/ingest's canonical
 * key) into the fields those encodings publish.
 *
 * Pure: structs and buffers in, buffers out; callable from any thread at
 * once (the BMP workers). The attribute bytes are treated as hostile:
 * every length is carved with wire/reader.h, and what does not decode is
 * left out of the decoded fields (the raw bytes are always published).
 *
 * Ownership: the encoders return a malloc'd buffer the caller frees;
 * route_attrs_decode's result points into the bytes it was given.
 */
#ifndef CW_KAFKA_ROUTE_CODEC_H
#define CW_KAFKA_ROUTE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stream.h"

#define ROUTE_KEY_MAX 512        /* a message key never exceeds this */
#define ROUTE_UNKNOWN_MAX 32     /* undecoded attribute types listed, at most */

/* A list attribute's elements, as they are in the bytes (big-endian). */
struct route_list {
	const uint8_t *data;
	size_t count; /* elements of the attribute's size */
};

/* An AS path's bytes and the width of its ASNs. */
struct route_aspath {
	const uint8_t *data;
	size_t len;
	bool present, as4, valid; /* valid: segments end exactly at len */
};

/* An attribute set decoded. */
struct route_attrs {
	bool has_origin, has_next_hop, has_med, has_local_pref, atomic_aggregate;
	bool has_aggregator, has_originator_id;
	uint8_t origin; /* 0 IGP, 1 EGP, 2 INCOMPLETE */
	struct route_aspath as_path, as4_path;
	uint8_t next_hop[16];
	uint8_t next_hop_family; /* 0: none, 4 or 6 */
	uint8_t link_local[16];
	bool has_link_local;
	uint32_t med, local_pref, originator_id;
	uint32_t aggregator_asn;
	uint8_t aggregator_addr[4];
	struct route_list communities, ext_communities, large_communities, cluster_list;
	uint8_t unknown[ROUTE_UNKNOWN_MAX];
	size_t nunknown;
};

/* Decodes an attribute set (stream_route.attrs). Returns 0, or -1 when
 * the bytes are malformed: *a then holds what came before the fault. */
int route_attrs_decode(const uint8_t *raw, size_t len, struct route_attrs *a)
	__attribute__((warn_unused_result));

/* The effective AS path (RFC 6793 §4.2.3: a 2-octet AS_PATH merged with
 * AS4_PATH) as segments: calls fn(type, asns, n, arg) per segment, asns a
 * scratch array valid during the call. Returns the segments, or -1 when
 * the path does not decode or memory ran out. */
int route_aspath_walk(const struct route_attrs *a,
		      void (*fn)(uint8_t type, const uint32_t *asns, size_t n, void *arg),
		      void *arg);

/* The message key: "circuit|router|rd|peer" ("" for the circuit of an
 * unmapped peer), so that each peer's messages share a partition. Writes
 * at most cap bytes (no NUL) and returns the length. */
size_t route_key(const struct stream_peer *p, char *buf, size_t cap);

/* Protobuf RouteMessage: a malloc'd buffer (*len bytes; the caller frees),
 * or NULL when memory ran out. now_ns stamps a change whose time is 0. */
uint8_t *route_encode_pb(const struct stream_route *rc, int64_t now_ns, size_t *len);
uint8_t *route_mark_encode_pb(const struct stream_peer_mark *pm, int64_t now_ns, size_t *len);

/* The parts of a protobuf RouteMessage{batch} (route_batch.c puts them
 * together; the changes are RouteChanges without peer and time):
 * - route_pb_varint: v as a varint, at most 10 bytes;
 * - route_pb_field_head: the tag and length of a length-delimited field;
 * - route_pb_peer: a RoutePeer's body, or 0 when it exceeds cap;
 * - route_pb_change_head: RouteChange fields 2 to 8 (view .. replaced);
 * - route_pb_attrs_field: RouteChange field 9 (Attributes) of an
 *   announce, tag and length included: malloc'd (the caller frees), NULL
 *   when memory ran out; route_pb_attrs_field_to writes it into out (at
 *   most cap bytes; route_pb_attrs_field_max(rc) always suffice) and
 *   returns its length, 0 when it did not fit or memory ran out. */
#define ROUTE_PB_FIELD_HEAD_MAX 11
#define ROUTE_PB_CHANGE_HEAD_MAX 96
size_t route_pb_varint(uint64_t v, uint8_t *out);
size_t route_pb_field_head(unsigned field, size_t len, uint8_t *out);
size_t route_pb_peer(const struct stream_peer *p, uint8_t *out, size_t cap);
size_t route_pb_change_head(const struct stream_route *rc, uint8_t *out);
uint8_t *route_pb_attrs_field(const struct stream_route *rc, size_t *len);
size_t route_pb_attrs_field_max(const struct stream_route *rc);
size_t route_pb_attrs_field_to(const struct stream_route *rc, uint8_t *out, size_t cap);

/* JSON RouteMessage, one line: a malloc'd NUL-terminated string, or NULL. */
char *route_encode_json(const struct stream_route *rc, int64_t now_ns);
char *route_mark_encode_json(const struct stream_peer_mark *pm, int64_t now_ns);

#endif
