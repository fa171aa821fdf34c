/* fuzz_route_attrs.c — libFuzzer target for the route stream's decoder of
 * attribute-set bytes (exporters/kafka/route_attrs.c) and both encoders
 * over it. The input is the attribute set itself (stream_route.attrs).
 *
 * Oracle: no crash or sanitizer report; every list the decoder returns
 * lies inside the input; the protobuf encoding decodes back and carries
 * the input as raw, byte for byte; protobuf-c packs what it decoded into
 * the same bytes (the encoder is hand-written). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "circuitwatch/v1/routes.pb-c.h"
#include "route_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void need(int ok)
{
	if (!ok)
		abort();
}

static int inside(const uint8_t *data, size_t size, const struct route_list *l, size_t el)
{
	return l->count == 0 ||
	       (l->data >= data && l->data + l->count * el <= data + size);
}

static void count_segment(uint8_t type, const uint32_t *asns, size_t n, void *arg)
{
	(void)asns;
	need(type >= 1 && type <= 4 && n > 0);
	*(size_t *)arg += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route_attrs a;
	struct stream_route rc = {.peer = {.router = "r", .router_host = "r", .source = "bmp",
					   .addr = "192.0.2.1", .rd = "", .circuit = "",
					   .link = "", .peering = ""},
				  .family = 4, .len = 24, .addr = {10, 0, 0}, .announce = true,
				  .attrs = data, .attrs_len = size};
	Circuitwatch__V1__RouteMessage *msg;
	size_t len, hops = 0;
	uint8_t *pb;

	if (size > 65535)
		return 0;
	if (route_attrs_decode(data, size, &a) == 0)
		need(a.nunknown <= size / 3);
	need(inside(data, size, &a.communities, 4) && inside(data, size, &a.ext_communities, 8) &&
	     inside(data, size, &a.large_communities, 12) && inside(data, size, &a.cluster_list, 4));
	need(a.nunknown <= ROUTE_UNKNOWN_MAX);
	(void)route_aspath_walk(&a, count_segment, &hops);
	need(hops <= size);
	pb = route_encode_pb(&rc, 1, &len);
	need(pb != NULL);
	msg = circuitwatch__v1__route_message__unpack(NULL, len, pb);
	need(msg != NULL && msg->route != NULL && msg->route->attributes != NULL);
	need(msg->route->attributes->raw.len == size &&
	     (size == 0 || memcmp(msg->route->attributes->raw.data, data, size) == 0));
	/* the hand-written encoding is protobuf-c's own, byte for byte */
	{
		uint8_t *again = malloc(len + 1);

		need(again != NULL && circuitwatch__v1__route_message__get_packed_size(msg) == len);
		need(circuitwatch__v1__route_message__pack(msg, again) == len &&
		     memcmp(again, pb, len) == 0);
		free(again);
	}
	circuitwatch__v1__route_message__free_unpacked(msg, NULL);
	free(pb);
	free(route_encode_json(&rc, 1));
	return 0;
}
