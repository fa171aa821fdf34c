/* test_route_codec.c — the route stream's encodings: a real UPDATE through
 * bgp/ingest and the model to the stream, encoded in protobuf (decoded
 * back with protobuf-c) and JSON (parsed with jansson); hostile attribute
 * bytes never crash and keep the raw bytes; 2-octet paths with AS4_PATH;
 * the key; every mark. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "circuitwatch/v1/routes.pb-c.h"
#include "ingest.h"
#include "metrics.h"
#include "model.h"
#include "route_batch.h"
#include "rib_sink.h"
#include "route_codec.h"
#include "stream.h"

static const uint8_t update[] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0x00, 0x6a, 0x02, 0x00, 0x00, 0x00, 0x4f,
	0x40, 0x01, 0x01, 0x00,                               /* ORIGIN IGP */
	0x40, 0x02, 0x0e, 0x02, 0x03, 0x00, 0x00, 0xfd, 0xe8, /* AS_PATH 65000 65001 65536 */
	0x00, 0x00, 0xfd, 0xe9, 0x00, 0x01, 0x00, 0x00,
	0x40, 0x03, 0x04, 0xc6, 0x33, 0x64, 0x01,             /* NEXT_HOP 198.51.100.1 */
	0x80, 0x04, 0x04, 0x00, 0x00, 0x00, 0x64,             /* MED 100 */
	0x40, 0x05, 0x04, 0x00, 0x00, 0x00, 0xc8,             /* LOCAL_PREF 200 */
	0xc0, 0x08, 0x08, 0xfd, 0xe8, 0x00, 0x01, 0xff, 0xff, 0xff, 0x01, /* 65000:1 NO_EXPORT */
	0xc0, 0x10, 0x08, 0x00, 0x02, 0xfd, 0xe8, 0x00, 0x00, 0x00, 0x07, /* rt 65000:7 */
	0xc0, 0x20, 0x0c, 0x00, 0x00, 0xfd, 0xe8, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x02,                                                 /* 65000:1:2 */
	0x18, 0x0a, 0x01, 0x02,                               /* 10.1.2.0/24 */
};

struct seen {
	struct stream_route rc;
	uint8_t attrs[512];
	size_t nroutes;
	uint8_t *pb;
	size_t pb_len;
	char *json;
};

static void on_route(void *arg, const struct stream_route *rc)
{
	struct seen *s = arg;

	s->rc = *rc;
	if (rc->announce) {
		assert_true(rc->attrs_len <= sizeof(s->attrs));
		memcpy(s->attrs, rc->attrs, rc->attrs_len);
		s->rc.attrs = s->attrs;
	}
	s->nroutes++;
	free(s->pb);
	free(s->json);
	s->pb = route_encode_pb(rc, 1234, &s->pb_len);
	s->json = route_encode_json(rc, 1234);
}

static void on_peer(void *arg, const struct stream_peer_mark *pm)
{
	(void)arg;
	(void)pm;
}

static const struct stream_sink_ops ops = {.route = on_route, .peer = on_peer};

/* The hand-written encoding is protobuf-c's own: unpacked and packed
 * again by protobuf-c, it comes back byte for byte. */
static void assert_canonical(const uint8_t *pb, size_t len)
{
	Circuitwatch__V1__RouteMessage *msg = circuitwatch__v1__route_message__unpack(NULL, len, pb);
	uint8_t *again;

	assert_non_null(msg);
	assert_int_equal(circuitwatch__v1__route_message__get_packed_size(msg), len);
	again = malloc(len + 1);
	assert_non_null(again);
	assert_int_equal(circuitwatch__v1__route_message__pack(msg, again), len);
	assert_memory_equal(again, pb, len);
	free(again);
	circuitwatch__v1__route_message__free_unpacked(msg, NULL);
}

/* The UPDATE through ingest and the model: the stream's route as *s. */
static void ingest_real(struct seen *s)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct model *m = model_new(reg);
	struct stream_sink sink = {.ops = &ops, .arg = s};
	const struct stream_sink *where = &sink;
	struct bgp_ingest *in = bgp_ingest_new(model_rib_sink(m));
	struct model_peer_key k = {.family = 4, .addr = {198, 51, 100, 1}};
	struct bgp_decode_ctx ctx;
	struct model_router *r;
	struct model_peer *p;

	atomic_store(&sink.routes_on, true);
	model_set_stream(m, &where);
	r = model_router_bind(m, MODEL_SRC_BMP, "192.0.2.1", "r1");
	p = model_peer_get(m, r, &k, 65000, 0x0a000001);
	model_peer_up(m, p, 1.0);
	bgp_ctx_init(&ctx);
	bgp_ingest_update(in, p, BGP_INGEST_ADJ_IN_POST, &ctx, update, sizeof(update));
	bgp_ingest_free(in);
	model_free(m);
	metrics_registry_free(reg);
}

static void test_real_update_pb(void **state)
{
	struct seen s = {0};
	Circuitwatch__V1__RouteMessage *msg;
	Circuitwatch__V1__RouteChange *ch;
	Circuitwatch__V1__Attributes *a;

	(void)state;
	ingest_real(&s);
	assert_int_equal(s.nroutes, 1);
	assert_non_null(s.pb);
	assert_canonical(s.pb, s.pb_len);
	msg = circuitwatch__v1__route_message__unpack(NULL, s.pb_len, s.pb);
	assert_non_null(msg);
	assert_int_equal(msg->msg_case, CIRCUITWATCH__V1__ROUTE_MESSAGE__MSG_ROUTE);
	ch = msg->route;
	assert_string_equal(ch->prefix, "10.1.2.0/24");
	assert_int_equal(ch->view, CIRCUITWATCH__V1__RIB_VIEW__RIB_VIEW_ADJ_RIB_IN_POST);
	assert_int_equal(ch->action, CIRCUITWATCH__V1__ROUTE_ACTION__ROUTE_ACTION_ANNOUNCE);
	assert_string_equal(ch->peer->address, "198.51.100.1");
	assert_string_equal(ch->peer->router, "192.0.2.1");
	assert_string_equal(ch->peer->bgp_id, "10.0.0.1");
	assert_int_equal(ch->peer->seq, 4); /* SYNC_BEGIN, SYNC_END (first look), SESSION_UP */
	assert_int_equal(ch->time_unix_nano, 1234);
	a = ch->attributes;
	assert_non_null(a);
	assert_int_equal(a->origin, CIRCUITWATCH__V1__ORIGIN__ORIGIN_IGP);
	assert_int_equal(a->n_as_path, 1);
	assert_int_equal(a->as_path[0]->type, 2);
	assert_int_equal(a->as_path[0]->n_asns, 3);
	assert_int_equal(a->as_path[0]->asns[2], 65536);
	assert_string_equal(a->next_hop, "198.51.100.1");
	assert_true(a->has_med && a->med == 100);
	assert_true(a->has_local_pref && a->local_pref == 200);
	assert_int_equal(a->n_communities, 2);
	assert_int_equal(a->communities[0], 65000u << 16 | 1);
	assert_int_equal(a->communities[1], 0xffffff01u);
	assert_int_equal(a->n_extended_communities, 1);
	assert_int_equal(a->extended_communities[0], 0x0002fde800000007ull);
	assert_int_equal(a->n_large_communities, 1);
	assert_int_equal(a->large_communities[0]->local_data2, 2);
	assert_int_equal(a->raw.len, s.rc.attrs_len);
	assert_memory_equal(a->raw.data, s.attrs, s.rc.attrs_len);
	circuitwatch__v1__route_message__free_unpacked(msg, NULL);
	free(s.pb);
	free(s.json);
}

static void test_real_update_json(void **state)
{
	struct seen s = {0};
	json_error_t err;
	json_t *o, *r, *a;

	(void)state;
	ingest_real(&s);
	assert_non_null(s.json);
	o = json_loads(s.json, 0, &err);
	assert_non_null(o);
	r = json_object_get(o, "route");
	assert_string_equal(json_string_value(json_object_get(r, "prefix")), "10.1.2.0/24");
	assert_string_equal(json_string_value(json_object_get(r, "action")),
			    "ROUTE_ACTION_ANNOUNCE");
	assert_string_equal(json_string_value(json_object_get(r, "view")),
			    "RIB_VIEW_ADJ_RIB_IN_POST");
	a = json_object_get(r, "attributes");
	assert_string_equal(json_string_value(json_object_get(a, "origin")), "ORIGIN_IGP");
	assert_int_equal(json_integer_value(json_object_get(a, "med")), 100);
	assert_int_equal(json_integer_value(json_array_get(
				 json_object_get(json_array_get(json_object_get(a, "asPath"), 0),
						 "asns"), 1)),
			 65001);
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(a, "extendedCommunities"), 0)),
			    "842122827661319");
	assert_non_null(json_string_value(json_object_get(a, "raw")));
	json_decref(o);
	free(s.pb);
	free(s.json);
}

/* A key entry: type, 16-bit length, value. */
static size_t put(uint8_t *k, size_t at, uint8_t type, const void *v, uint16_t n)
{
	k[at] = type;
	k[at + 1] = (uint8_t)(n >> 8);
	k[at + 2] = (uint8_t)n;
	memcpy(k + at + 3, v, n);
	return at + 3u + n;
}

/* A 2-octet session: AS_PATH 65000 23456 23456, AS4_PATH 70000 80000. */
static void test_as4_path_merge(void **state)
{
	static const uint8_t as2[] = {2, 3, 0xfd, 0xe8, 0x5b, 0xa0, 0x5b, 0xa0};
	static const uint8_t as4[] = {2, 2, 0, 1, 0x11, 0x70, 0, 1, 0x38, 0x80};
	struct route_attrs a;
	uint8_t key[64];
	size_t n = put(key, 0, 2, as2, sizeof(as2));
	Circuitwatch__V1__RouteMessage *msg;
	struct stream_route rc = {.peer = {.router = "r", .router_host = "r", .source = "bmp",
					   .addr = "192.0.2.9", .rd = "", .circuit = "",
					   .link = "", .peering = ""},
				  .family = 4, .len = 8, .addr = {10}, .announce = true};
	uint8_t *pb;
	size_t len;

	(void)state;
	n = put(key, n, 17, as4, sizeof(as4));
	assert_int_equal(route_attrs_decode(key, n, &a), 0);
	assert_false(a.as_path.as4);
	assert_true(a.as_path.valid);
	rc.attrs = key;
	rc.attrs_len = n;
	pb = route_encode_pb(&rc, 1, &len);
	msg = circuitwatch__v1__route_message__unpack(NULL, len, pb);
	assert_non_null(msg);
	assert_int_equal(msg->route->attributes->n_as_path, 1);
	assert_int_equal(msg->route->attributes->as_path[0]->n_asns, 3);
	assert_int_equal(msg->route->attributes->as_path[0]->asns[0], 65000);
	assert_int_equal(msg->route->attributes->as_path[0]->asns[1], 70000);
	assert_int_equal(msg->route->attributes->as_path[0]->asns[2], 80000);
	circuitwatch__v1__route_message__free_unpacked(msg, NULL);
	free(pb);
}

/* Hostile bytes: truncated entries, wrong sizes, bad segments, every
 * prefix of a valid set, random noise. Never a crash; raw always kept. */
static void test_hostile(void **state)
{
	static const uint8_t cases[][12] = {
		{1, 0, 5, 0},                       /* length past the end */
		{4, 0, 3, 1, 2, 3},                 /* MED of 3 bytes */
		{2, 0, 4, 9, 1, 0, 1},              /* segment type 9 */
		{2, 0, 3, 2, 5, 0},                 /* segment past its entry */
		{8, 0, 3, 1, 2, 3},                 /* community of 3 bytes */
		{32, 0, 5, 1, 2, 3, 4, 5},          /* large community of 5 bytes */
		{14, 0, 7, 1, 2, 3, 4, 5, 6, 7},    /* odd MP next hop */
		{7, 0, 2, 1, 2},                    /* short aggregator */
		{255, 0, 0, 254, 0, 1, 7},          /* unknown types */
		{2},                                /* a lone type */
	};
	struct stream_route rc = {.peer = {.router = "r", .router_host = "r", .source = "bmp",
					   .addr = "192.0.2.9", .rd = "", .circuit = "",
					   .link = "", .peering = ""},
				  .family = 4, .len = 8, .addr = {10}, .announce = true};
	uint8_t noise[256];
	unsigned seed = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t n = 0; n <= sizeof(cases[i]); n++) {
			size_t len;
			uint8_t *pb;
			char *js;
			Circuitwatch__V1__RouteMessage *msg;

			rc.attrs = cases[i];
			rc.attrs_len = n;
			pb = route_encode_pb(&rc, 1, &len);
			js = route_encode_json(&rc, 1);
			assert_non_null(pb);
			assert_canonical(pb, len);
			assert_non_null(js);
			msg = circuitwatch__v1__route_message__unpack(NULL, len, pb);
			assert_non_null(msg);
			assert_int_equal(msg->route->attributes->raw.len, n);
			circuitwatch__v1__route_message__free_unpacked(msg, NULL);
			free(pb);
			free(js);
		}
	}
	for (int round = 0; round < 2000; round++) {
		size_t n = (size_t)(rand_r(&seed) % sizeof(noise)), len;
		uint8_t *pb;

		for (size_t k = 0; k < n; k++)
			noise[k] = (uint8_t)rand_r(&seed);
		rc.attrs = noise;
		rc.attrs_len = n;
		pb = route_encode_pb(&rc, 1, &len);
		assert_non_null(pb);
		assert_canonical(pb, len);
		free(pb);
		free(route_encode_json(&rc, 1));
	}
}

static void test_marks_and_key(void **state)
{
	struct stream_peer_mark pm = {.peer = {.router = "10.0.0.1", .router_host = "10.0.0.1",
					       .source = "bmp", .addr = "192.0.2.9", .rd = "1:2",
					       .circuit = "er-1", .link = "primary",
					       .peering = "private", .seq = 5},
				      .reason = "remote-notification", .notif_code = 6,
				      .notif_subcode = 2, .view = 4, .af = 1};
	char key[ROUTE_KEY_MAX];
	size_t n = route_key(&pm.peer, key, sizeof(key));

	(void)state;
	assert_int_equal(n, strlen("er-1|10.0.0.1|1:2|192.0.2.9"));
	assert_memory_equal(key, "er-1|10.0.0.1|1:2|192.0.2.9", n);
	for (int k = 0; k < STREAM_MARK_COUNT; k++) {
		Circuitwatch__V1__RouteMessage *msg;
		size_t len;
		uint8_t *pb;
		char *js;

		pm.kind = (enum stream_mark_kind)k;
		pb = route_mark_encode_pb(&pm, 99, &len);
		msg = circuitwatch__v1__route_message__unpack(NULL, len, pb);
		assert_non_null(msg);
		assert_int_equal(msg->msg_case, CIRCUITWATCH__V1__ROUTE_MESSAGE__MSG_MARK);
		assert_int_equal(msg->mark->kind, k + 1);
		assert_int_equal(msg->mark->peer->seq, 5);
		assert_true(msg->mark->has_notification);
		assert_int_equal(msg->mark->notification_code, 6);
		if (k == STREAM_MARK_EOR) {
			assert_int_equal(msg->mark->view, CIRCUITWATCH__V1__RIB_VIEW__RIB_VIEW_LOC_RIB);
			assert_int_equal(msg->mark->afi, 2);
		}
		circuitwatch__v1__route_message__free_unpacked(msg, NULL);
		js = route_mark_encode_json(&pm, 99);
		assert_non_null(js);
		assert_non_null(strstr(js, "\"circuit\":\"er-1\""));
		free(js);
		free(pb);
	}
}

/* ---- RouteBatch (route_batch.h) ---- */

struct emitted {
	uint8_t *val[8];
	size_t len[8];
	char key[8][64];
	size_t n, lost;
};

static void emit(void *arg, const void *key, size_t klen, const void *val, size_t vlen,
		 int64_t ts_ms)
{
	struct emitted *e = arg;

	(void)ts_ms;
	if (val == NULL) {
		e->lost++;
		return;
	}
	assert_true(e->n < 8 && klen < sizeof(e->key[0]));
	memcpy(e->key[e->n], key, klen);
	e->val[e->n] = malloc(vlen);
	assert_non_null(e->val[e->n]);
	memcpy(e->val[e->n], val, vlen);
	e->len[e->n++] = vlen;
}

/* The peer of a route the model made (its strings went with the model). */
static void fixed_peer(struct stream_route *rc)
{
	rc->peer.router = "192.0.2.1";
	rc->peer.router_host = "192.0.2.1";
	rc->peer.source = "bmp";
	rc->peer.addr = "198.51.100.1";
	rc->peer.rd = "";
	rc->peer.circuit = "";
	rc->peer.link = "";
	rc->peer.peering = "";
}

/* The Attributes of a RouteChange as protobuf-c packs them. */
static size_t attrs_packed(const Circuitwatch__V1__Attributes *a, uint8_t *out)
{
	return circuitwatch__v1__attributes__pack(a, out);
}

/* A batch carries each change as a message alone would (attributes byte
 * for byte, from the cache or not), the peer once with the first seq, and
 * goes when another peer's change comes, at the flush, and never with a
 * stale cached set when an id comes back with other bytes. */
static void test_batch(void **state)
{
	struct seen s = {0};
	struct emitted e = {0};
	struct stream_batch *b = route_batch_new(emit, &e);
	struct stream_route rc, other;
	uint8_t changed[512], x[2048], y[2048];
	Circuitwatch__V1__RouteMessage *msg, *alone;
	Circuitwatch__V1__RouteBatch *rb;

	(void)state;
	assert_non_null(b);
	ingest_real(&s);
	rc = s.rc;
	fixed_peer(&rc);
	rc.attrs_id = 7;
	rc.time_ns = 0;
	memcpy(changed, s.attrs, rc.attrs_len);
	for (uint64_t i = 0; i < 3; i++) { /* seq 4, 5, 6: cached after the first */
		rc.peer.seq = 4 + i;
		rc.addr[2] = (uint8_t)i;
		route_batch_add(b, &rc, 5000000000);
	}
	other = rc; /* id 7 reused for other bytes: LOCAL_PREF 200 -> 201 */
	other.peer.seq = 7;
	other.attrs = changed;
	for (size_t at = 0; at + 3 <= rc.attrs_len; at += 3u + (size_t)(changed[at + 1] << 8 | changed[at + 2]))
		if (changed[at] == 5)
			changed[at + 3] = 201; /* host-order u32: the low byte first on x86/arm */
	route_batch_add(b, &other, 6000000000);
	other.peer.seq = 8;
	other.announce = false;
	other.attrs = NULL;
	other.attrs_len = 0;
	other.attrs_id = 0;
	route_batch_add(b, &other, 6000000000);
	assert_int_equal(e.n, 0);
	other.peer.addr = "198.51.100.9"; /* another peer: the batch goes */
	other.peer.seq = 1;
	route_batch_add(b, &other, 7000000000);
	assert_int_equal(e.n, 1);
	route_batch_flush(b);
	route_batch_flush(b); /* empty: nothing */
	assert_int_equal(e.n, 2);
	assert_int_equal(e.lost, 0);

	assert_canonical(e.val[0], e.len[0]);
	msg = circuitwatch__v1__route_message__unpack(NULL, e.len[0], e.val[0]);
	assert_non_null(msg);
	assert_int_equal(msg->msg_case, CIRCUITWATCH__V1__ROUTE_MESSAGE__MSG_BATCH);
	rb = msg->batch;
	assert_int_equal(rb->peer->seq, 4);
	assert_string_equal(rb->peer->address, "198.51.100.1");
	assert_int_equal(rb->time_unix_nano, 5000000000);
	assert_int_equal(rb->n_changes, 5);
	{
		char want[ROUTE_KEY_MAX + 1];

		want[route_key(&rc.peer, want, ROUTE_KEY_MAX)] = '\0';
		assert_string_equal(e.key[0], want);
	}
	alone = circuitwatch__v1__route_message__unpack(NULL, s.pb_len, s.pb);
	assert_non_null(alone);
	for (size_t i = 0; i < 3; i++) {
		assert_null(rb->changes[i]->peer);
		assert_int_equal(rb->changes[i]->time_unix_nano, 0);
		assert_int_equal(rb->changes[i]->view, alone->route->view);
		assert_int_equal(rb->changes[i]->action, alone->route->action);
		assert_int_equal(attrs_packed(rb->changes[i]->attributes, x),
				 attrs_packed(alone->route->attributes, y));
		assert_memory_equal(x, y, attrs_packed(alone->route->attributes, y));
	}
	assert_string_equal(rb->changes[2]->prefix, "10.1.2.0/24");
	assert_string_equal(rb->changes[0]->prefix, "10.1.0.0/24");
	assert_int_equal(rb->changes[3]->attributes->local_pref, 201);
	assert_int_equal(rb->changes[0]->attributes->local_pref, 200);
	assert_int_equal(rb->changes[4]->action,
			 CIRCUITWATCH__V1__ROUTE_ACTION__ROUTE_ACTION_WITHDRAW);
	assert_null(rb->changes[4]->attributes);
	circuitwatch__v1__route_message__free_unpacked(alone, NULL);
	circuitwatch__v1__route_message__free_unpacked(msg, NULL);

	assert_canonical(e.val[1], e.len[1]);
	msg = circuitwatch__v1__route_message__unpack(NULL, e.len[1], e.val[1]);
	assert_non_null(msg);
	assert_int_equal(msg->batch->peer->seq, 1);
	assert_int_equal(msg->batch->n_changes, 1);
	circuitwatch__v1__route_message__free_unpacked(msg, NULL);
	for (size_t i = 0; i < e.n; i++)
		free(e.val[i]);
	route_batch_free(b);
	free(s.pb);
	free(s.json);
}

/* Each batch stays under its bounds (ROUTE_BATCH_MAX_CHANGES, about
 * ROUTE_BATCH_MAX_BYTES), and the next one's seq follows on. */
static void test_batch_bounds(void **state)
{
	struct seen s = {0};
	struct emitted e = {0};
	struct stream_batch *b = route_batch_new(emit, &e);
	struct stream_route rc;
	uint64_t next = 1;

	(void)state;
	ingest_real(&s);
	rc = s.rc;
	fixed_peer(&rc);
	rc.attrs_id = 3;
	for (uint64_t i = 0; i < ROUTE_BATCH_MAX_CHANGES + 1; i++) {
		rc.peer.seq = 1 + i;
		route_batch_add(b, &rc, 1);
	}
	route_batch_flush(b);
	assert_true(e.n >= 2);
	for (size_t i = 0; i < e.n; i++) {
		Circuitwatch__V1__RouteMessage *msg =
			circuitwatch__v1__route_message__unpack(NULL, e.len[i], e.val[i]);

		assert_non_null(msg);
		assert_int_equal(msg->batch->peer->seq, next);
		assert_true(msg->batch->n_changes <= ROUTE_BATCH_MAX_CHANGES);
		assert_true(e.len[i] < ROUTE_BATCH_MAX_BYTES + 4096);
		next += msg->batch->n_changes;
		circuitwatch__v1__route_message__free_unpacked(msg, NULL);
		free(e.val[i]);
	}
	assert_int_equal(next, ROUTE_BATCH_MAX_CHANGES + 2);
	route_batch_free(b);
	free(s.pb);
	free(s.json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_update_pb),  cmocka_unit_test(test_real_update_json),
		cmocka_unit_test(test_as4_path_merge),  cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_marks_and_key),   cmocka_unit_test(test_batch),
		cmocka_unit_test(test_batch_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
