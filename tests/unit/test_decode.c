/* test_decode.c — BMP/BGP messages as JSON (collector/decode): exact
 * fields of hand-built messages, the decode context a Peer Up sets for
 * later Route Monitoring (ADD-PATH per direction), and the stream drivers
 * on malformed, truncated and unframeable input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "decode.h"
#include "wire_build.h"

/* OPEN, AS 65001 (4-octet capability), ADD-PATH IPv4 unicast with the
 * given send/receive value (0: no ADD-PATH capability). */
static void open_msg(struct wb *b, uint32_t bgp_id, unsigned addpath_sr)
{
	size_t at = wb_bgp_begin(b, 1), plen;

	wb_put8(b, 4);
	wb_put16(b, 65001);
	wb_put16(b, 180);
	wb_put32(b, bgp_id);
	plen = b->len;
	wb_put8(b, 0);
	wb_put8(b, 2); /* capabilities parameter */
	wb_put8(b, addpath_sr ? 20 : 14);
	/* MP IPv4 unicast */
	wb_put8(b, 1), wb_put8(b, 4), wb_put16(b, 1), wb_put8(b, 0), wb_put8(b, 1);
	wb_put8(b, 65), wb_put8(b, 4), wb_put32(b, 65001); /* 4-octet AS */
	wb_put8(b, 2), wb_put8(b, 0);			   /* route refresh */
	if (addpath_sr)
		wb_put8(b, 69), wb_put8(b, 4), wb_put16(b, 1), wb_put8(b, 1),
			wb_put8(b, addpath_sr);
	b->p[plen] = (uint8_t)(b->len - plen - 1);
	wb_bgp_end(b, at);
}

static void attr(struct wb *b, unsigned flags, unsigned type, const uint8_t *v, size_t n)
{
	wb_put8(b, flags);
	wb_put8(b, type);
	wb_put8(b, (unsigned)n);
	wb_put_mem(b, v, n);
}

static const uint8_t origin_igp[] = {0};
static const uint8_t as_path_65001[] = {2, 1, 0, 0, 0xfd, 0xe9}; /* AS_SEQUENCE 65001 */
static const uint8_t next_hop[] = {192, 0, 2, 1};

/* UPDATE announcing 10.0.0.0/24 with ADD-PATH path id 1 on the wire. */
static void update_addpath(struct wb *b)
{
	size_t at = wb_bgp_begin(b, 2), alen;

	wb_put16(b, 0);
	alen = b->len;
	wb_put16(b, 0);
	attr(b, 0x40, 1, origin_igp, sizeof(origin_igp));
	attr(b, 0x40, 2, as_path_65001, sizeof(as_path_65001));
	attr(b, 0x40, 3, next_hop, sizeof(next_hop));
	wb_set16(b, alen, b->len - alen - 2);
	wb_put32(b, 1), wb_put8(b, 24), wb_put8(b, 10), wb_put8(b, 0), wb_put8(b, 0);
	wb_bgp_end(b, at);
}

/* BMP common header + per-peer header for peer 192.0.2.2 AS 65002;
 * wb_bmp_end closes it. */
static size_t bmp_begin(struct wb *b, unsigned type, unsigned flags)
{
	size_t at = wb_bmp_begin(b, type);

	wb_put8(b, 0);	/* global instance */
	wb_put8(b, flags);
	wb_put32(b, 0), wb_put32(b, 0); /* distinguisher */
	for (int i = 0; i < 12; i++)
		wb_put8(b, 0);
	wb_put8(b, 192), wb_put8(b, 0), wb_put8(b, 2), wb_put8(b, 2);
	wb_put32(b, 65002);
	wb_put32(b, 0xc0000202);
	wb_put32(b, 1700000000), wb_put32(b, 250000);
	return at;
}

/* Peer Up whose OPENs advertise ADD-PATH IPv4 unicast: the router
 * (sent OPEN) can receive (1), its peer (received OPEN) can send (2). */
static void peer_up(struct wb *b)
{
	size_t at = bmp_begin(b, 3, 0);

	for (int i = 0; i < 12; i++)
		wb_put8(b, 0);
	wb_put8(b, 192), wb_put8(b, 0), wb_put8(b, 2), wb_put8(b, 1);
	wb_put16(b, 179), wb_put16(b, 40000);
	open_msg(b, 0xc0000201, 1);
	open_msg(b, 0xc0000202, 2);
	wb_bmp_end(b, at);
}

static void route_monitoring(struct wb *b, unsigned flags)
{
	size_t at = bmp_begin(b, 0, flags);

	update_addpath(b);
	wb_bmp_end(b, at);
}

static void initiation(struct wb *b)
{
	size_t at = wb_bmp_begin(b, 4);

	wb_put16(b, 2), wb_put16(b, 3), wb_put_mem(b, "rt1", 3);
	wb_bmp_end(b, at);
}

/* ---- JSON helpers ------------------------------------------------------ */

static const char *str_at(const json_t *o, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL) {
		assert_true((size_t)(dot - path) < sizeof(key));
		memcpy(key, path, (size_t)(dot - path));
		key[dot - path] = '\0';
		o = json_object_get(o, key);
		assert_non_null(o);
		path = dot + 1;
	}
	o = json_object_get(o, path);
	assert_non_null(o);
	assert_true(json_is_string(o));
	return json_string_value(o);
}

/* The array as one compact JSON text, for exact comparison. */
static void assert_json(const json_t *v, const char *want)
{
	char *s;

	assert_non_null(v);
	s = json_dumps(v, JSON_COMPACT);
	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

/* ---- BGP messages ------------------------------------------------------ */

/* An IPv6 MP_REACH and MP_UNREACH go into the same announced/withdrawn
 * lists as the body's IPv4 NLRI (RFC 4760). */
static void test_update_ipv6_mp_reach(void **state)
{
	static const uint8_t mp_reach[] = {0, 2, 1, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					   0, 0, 0, 0, 0, 0, 0, 1, 0, 32, 0x20, 0x01, 0x0d,
					   0xb8, 48, 0x20, 0x01, 0x0d, 0xb8, 0, 1};
	static const uint8_t mp_unreach[] = {0, 2, 1, 48, 0x20, 0x01, 0x0d, 0xb8, 0, 2};
	static const uint8_t comms[] = {0xfd, 0xe8, 0, 1};
	static const uint8_t large[] = {0, 0, 0xfd, 0xe8, 0, 0, 0, 1, 0, 0, 0, 2};
	struct wb b = {0};
	size_t at = wb_bgp_begin(&b, 2), alen;
	json_t *j;

	(void)state;
	wb_put16(&b, 0);
	alen = b.len;
	wb_put16(&b, 0);
	attr(&b, 0x40, 1, origin_igp, sizeof(origin_igp));
	attr(&b, 0x40, 2, as_path_65001, sizeof(as_path_65001));
	attr(&b, 0x40, 3, next_hop, sizeof(next_hop));
	attr(&b, 0xc0, 8, comms, sizeof(comms));
	attr(&b, 0xc0, 32, large, sizeof(large));
	attr(&b, 0x80, 14, mp_reach, sizeof(mp_reach));
	attr(&b, 0x80, 15, mp_unreach, sizeof(mp_unreach));
	wb_set16(&b, alen, b.len - alen - 2);
	wb_put8(&b, 16), wb_put8(&b, 10), wb_put8(&b, 1);
	wb_bgp_end(&b, at);

	j = decode_bgp_message(b.p, b.len, NULL);
	assert_string_equal(str_at(j, "type"), "UPDATE");
	assert_json(json_object_get(j, "announced"),
		    "[\"10.1.0.0/16\",\"2001:db8::/32\",\"2001:db8:1::/48\"]");
	assert_json(json_object_get(j, "withdrawn"), "[\"2001:db8:2::/48\"]");
	assert_json(json_object_get(j, "counts"),
		    "{\"nlri\":1,\"mp_reach\":2,\"withdrawn\":0,\"mp_unreach\":1}");
	assert_string_equal(str_at(j, "attrs.origin"), "IGP");
	assert_string_equal(str_at(j, "attrs.next_hop"), "192.0.2.1");
	assert_json(json_object_get(json_object_get(j, "attrs"), "as_path"),
		    "[{\"type\":\"AS_SEQUENCE\",\"asns\":[65001]}]");
	assert_json(json_object_get(json_object_get(j, "attrs"), "communities"), "[\"65000:1\"]");
	assert_json(json_object_get(json_object_get(j, "attrs"), "large_communities"),
		    "[\"65000:1:2\"]");
	assert_json(json_object_get(json_object_get(j, "attrs"), "mp_reach"),
		    "{\"afi\":2,\"safi\":1,\"next_hop\":\"2001:db8::1\"}");
	assert_string_equal(str_at(j, "outcome"), "ok");
	assert_json(json_object_get(j, "errors"), "[]");
	assert_null(json_object_get(j, "error"));
	assert_false(decode_has_error(j));
	json_decref(j);
	wb_free(&b);
}

/* A VPNv4 MP_REACH (SAFI 128) is kept opaque: one {afi,safi,bytes}. */
static void test_update_opaque_afi_safi(void **state)
{
	static const uint8_t mp_reach[] = {0, 1, 128, 12, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1,
					   0, 112, 0, 0, 0x11, 0, 0, 0xfd, 0xe8, 0, 0, 0, 1,
					   10, 2, 0};
	struct wb b = {0};
	size_t at = wb_bgp_begin(&b, 2), alen;
	json_t *j;

	(void)state;
	wb_put16(&b, 0);
	alen = b.len;
	wb_put16(&b, 0);
	attr(&b, 0x40, 1, origin_igp, sizeof(origin_igp));
	attr(&b, 0x40, 2, as_path_65001, sizeof(as_path_65001));
	attr(&b, 0x80, 14, mp_reach, sizeof(mp_reach));
	wb_set16(&b, alen, b.len - alen - 2);
	wb_bgp_end(&b, at);

	j = decode_bgp_message(b.p, b.len, NULL);
	assert_json(json_object_get(j, "announced"), "[{\"afi\":1,\"safi\":128,\"bytes\":15}]");
	assert_json(json_object_get(json_object_get(j, "attrs"), "mp_reach"),
		    "{\"afi\":1,\"safi\":128,\"next_hop\":\"00000000000000000a000001\"}");
	json_decref(j);
	wb_free(&b);
}

static void test_update_eor_and_attr_error(void **state)
{
	static const uint8_t bad_origin[] = {0, 0}; /* ORIGIN length 2: RFC 7606 §7.1 */
	struct wb b = {0};
	size_t at = wb_bgp_begin(&b, 2), alen;
	json_t *j;

	(void)state;
	wb_put16(&b, 0), wb_put16(&b, 0);
	wb_bgp_end(&b, at);
	j = decode_bgp_message(b.p, b.len, NULL);
	assert_json(json_object_get(j, "eor"), "{\"afi\":1,\"safi\":1}");
	json_decref(j);

	wb_reset(&b);
	at = wb_bgp_begin(&b, 2);
	wb_put16(&b, 0);
	alen = b.len;
	wb_put16(&b, 0);
	attr(&b, 0x40, 1, bad_origin, sizeof(bad_origin));
	attr(&b, 0x40, 2, as_path_65001, sizeof(as_path_65001));
	attr(&b, 0x40, 3, next_hop, sizeof(next_hop));
	wb_set16(&b, alen, b.len - alen - 2);
	wb_put8(&b, 8), wb_put8(&b, 10);
	wb_bgp_end(&b, at);
	j = decode_bgp_message(b.p, b.len, NULL);
	assert_string_equal(str_at(j, "outcome"), "treat_as_withdraw");
	assert_string_equal(str_at(j, "error"), "attr_length");
	assert_json(json_object_get(j, "announced"), "[\"10.0.0.0/8\"]");
	assert_true(decode_has_error(j));
	json_decref(j);
	wb_free(&b);
}

static void test_open_and_notification(void **state)
{
	struct wb b = {0};
	size_t at;
	json_t *j;

	(void)state;
	open_msg(&b, 0xc0000201, 3);
	j = decode_bgp_message(b.p, b.len, NULL);
	assert_string_equal(str_at(j, "type"), "OPEN");
	assert_string_equal(str_at(j, "bgp_id"), "192.0.2.1");
	assert_int_equal(json_integer_value(json_object_get(j, "as")), 65001);
	assert_json(json_object_get(json_object_get(j, "capabilities"), "add_path"),
		    "[{\"afi\":1,\"safi\":1,\"send_receive\":\"both\"}]");
	json_decref(j);

	wb_reset(&b);
	at = wb_bgp_begin(&b, 3);
	wb_put8(&b, 6), wb_put8(&b, 2), wb_put8(&b, 3), wb_put_mem(&b, "bye", 3);
	wb_bgp_end(&b, at);
	j = decode_bgp_message(b.p, b.len, NULL);
	assert_string_equal(str_at(j, "type"), "NOTIFICATION");
	assert_string_equal(str_at(j, "code_name"), "Cease");
	assert_string_equal(str_at(j, "subcode_name"), "Administrative Shutdown");
	assert_string_equal(str_at(j, "shutdown_communication"), "bye");
	json_decref(j);
	wb_free(&b);
}

/* ---- BMP messages ------------------------------------------------------ */

/* A Peer Up whose OPENs negotiate ADD-PATH changes how later Route
 * Monitoring of that peer is decoded — and only in the negotiated
 * direction: Adj-RIB-Out (O flag) is negotiated the other way round
 * (RFC 7911 §4, RFC 8671). */
static void test_peer_up_addpath_changes_route_monitoring(void **state)
{
	struct decode_bmp *d = decode_bmp_new();
	struct wb b = {0};
	json_t *j;

	(void)state;
	assert_non_null(d);
	route_monitoring(&b, 0);
	j = decode_bmp_message(d, b.p, b.len);
	assert_string_equal(str_at(j, "type"), "route-monitoring");
	assert_string_equal(str_at(j, "decode_context"), "default");
	/* without ADD-PATH the path id's bytes read as five prefixes */
	assert_int_equal(json_array_size(json_object_get(json_object_get(j, "bgp"), "announced")),
			 5);
	json_decref(j);

	wb_reset(&b);
	peer_up(&b);
	j = decode_bmp_message(d, b.p, b.len);
	assert_string_equal(str_at(j, "type"), "peer-up");
	assert_string_equal(str_at(j, "peer.address"), "192.0.2.2");
	assert_string_equal(str_at(j, "peer.timestamp"), "2023-11-14T22:13:20.250000Z");
	assert_string_equal(str_at(j, "local_address"), "192.0.2.1");
	assert_string_equal(str_at(j, "sent_open.bgp_id"), "192.0.2.1");
	assert_string_equal(str_at(j, "received_open.bgp_id"), "192.0.2.2");
	json_decref(j);

	wb_reset(&b);
	route_monitoring(&b, 0);
	j = decode_bmp_message(d, b.p, b.len);
	assert_string_equal(str_at(j, "decode_context"), "peer-up");
	assert_json(json_object_get(json_object_get(j, "bgp"), "announced"),
		    "[\"10.0.0.0/24#1\"]");
	assert_json(json_object_get(json_object_get(j, "peer"), "flags"),
		    "{\"v\":false,\"l\":false,\"a\":false,\"o\":false}");
	json_decref(j);

	wb_reset(&b);
	route_monitoring(&b, 0x10); /* Adj-RIB-Out: the router sends, peer cannot receive */
	j = decode_bmp_message(d, b.p, b.len);
	assert_int_equal(json_array_size(json_object_get(json_object_get(j, "bgp"), "announced")),
			 5);
	json_decref(j);
	decode_bmp_free(d);
	wb_free(&b);
}

static void test_peer_down_and_stats(void **state)
{
	struct decode_bmp *d = decode_bmp_new();
	struct wb b = {0};
	size_t at, nat;
	json_t *j;

	(void)state;
	at = bmp_begin(&b, 2, 0);
	wb_put8(&b, 3); /* remote notification */
	nat = wb_bgp_begin(&b, 3);
	wb_put8(&b, 4), wb_put8(&b, 0);
	wb_bgp_end(&b, nat);
	wb_bmp_end(&b, at);
	j = decode_bmp_message(d, b.p, b.len);
	assert_string_equal(str_at(j, "reason"), "remote-notification");
	assert_string_equal(str_at(j, "notification.code_name"), "Hold Timer Expired");
	json_decref(j);

	wb_reset(&b);
	at = bmp_begin(&b, 1, 0);
	wb_put32(&b, 3);
	wb_put16(&b, 0), wb_put16(&b, 4), wb_put32(&b, 7); /* a 32-bit counter */
	wb_put16(&b, 9), wb_put16(&b, 11), wb_put16(&b, 2), wb_put8(&b, 1);
	wb_put32(&b, 0), wb_put32(&b, 42);		  /* a per-AFI/SAFI gauge */
	wb_put16(&b, 1), wb_put16(&b, 2), wb_put16(&b, 5); /* a counter of the wrong size */
	wb_bmp_end(&b, at);
	j = decode_bmp_message(d, b.p, b.len);
	assert_json(json_object_get(j, "stats"),
		    "[{\"type\":0,\"name\":\"rejected_prefixes\",\"value\":7},"
		    "{\"type\":9,\"name\":\"adj_rib_in_routes_per_afi_safi\",\"afi\":2,"
		    "\"safi\":1,\"value\":42},"
		    "{\"type\":1,\"name\":\"duplicate_prefix_advertisements\",\"raw\":\"0005\","
		    "\"unexpected_size\":true}]");
	assert_string_equal(str_at(j, "error"), "unexpected_size");
	json_decref(j);
	decode_bmp_free(d);
	wb_free(&b);
}

/* ---- stream drivers ---------------------------------------------------- */

/* Runs a driver over bytes; returns its rc, the output in *out (freed by
 * the caller) and the stats. */
static int run_stream(int (*fn)(FILE *, FILE *, struct decode_stats *), const uint8_t *in,
		      size_t n, char **out, struct decode_stats *st)
{
	FILE *fin = fmemopen((void *)in, n, "rb");
	size_t olen = 0;
	FILE *fout = open_memstream(out, &olen);
	int rc;

	assert_non_null(fin);
	assert_non_null(fout);
	rc = fn(fin, fout, st);
	fclose(fin);
	fclose(fout);
	return rc;
}

static json_t *last_line(const char *out)
{
	const char *nl = strrchr(out, '\n'), *start = out;

	assert_non_null(nl);
	for (const char *p = out; p < nl; p++)
		if (*p == '\n')
			start = p + 1;
	return json_loadb(start, (size_t)(nl - start), 0, NULL);
}

static void test_stream_truncated(void **state)
{
	struct wb b = {0};
	struct decode_stats st;
	char *out = NULL;
	json_t *j;

	(void)state;
	initiation(&b);
	peer_up(&b);
	assert_int_equal(run_stream(decode_bmp_stream, b.p, b.len - 10, &out, &st), -1);
	assert_int_equal(st.messages, 1);
	assert_true(st.truncated);
	assert_false(st.framing_lost);
	j = last_line(out);
	assert_string_equal(str_at(j, "error"), "truncated");
	assert_int_equal(json_integer_value(json_object_get(j, "offset")), 13);
	json_decref(j);
	free(out);
	wb_free(&b);
}

static void test_stream_bmp_framing_lost(void **state)
{
	struct wb b = {0};
	struct decode_stats st;
	char *out = NULL;
	json_t *j;

	(void)state;
	initiation(&b);
	initiation(&b);
	b.p[13] = 4; /* the second message claims BMP version 4 */
	assert_int_equal(run_stream(decode_bmp_stream, b.p, b.len, &out, &st), -1);
	assert_int_equal(st.messages, 1);
	assert_true(st.framing_lost);
	j = last_line(out);
	assert_string_equal(str_at(j, "error"), "framing_lost");
	assert_string_equal(str_at(j, "reason"), "unsupported_version");
	json_decref(j);
	free(out);
	wb_free(&b);
}

/* A malformed UPDATE is reported and the stream goes on; an OPEN in the
 * stream switches ADD-PATH on for the sender's later UPDATEs. */
static void test_stream_bgp(void **state)
{
	struct wb b = {0};
	struct decode_stats st;
	size_t at;
	char *out = NULL;
	json_t *j;

	(void)state;
	at = wb_bgp_begin(&b, 2);
	wb_put16(&b, 0), wb_put16(&b, 0);
	wb_put8(&b, 33), wb_put32(&b, 0), wb_put8(&b, 0); /* a /33 */
	wb_bgp_end(&b, at);
	open_msg(&b, 0xc0000201, 2);
	update_addpath(&b);
	wb_bgp_end(&b, wb_bgp_begin(&b, 4));
	assert_int_equal(run_stream(decode_bgp_stream, b.p, b.len, &out, &st), 0);
	assert_int_equal(st.messages, 4);
	assert_int_equal(st.errors, 1);
	/* missing_mandatory comes first; the /33 is named too */
	assert_non_null(strstr(out, "\"errors\":[\"missing_mandatory\",\"nlri_length\"]"));
	assert_non_null(strstr(out, "\"announced\":[\"10.0.0.0/24#1\"]"));
	j = last_line(out);
	assert_string_equal(str_at(j, "type"), "KEEPALIVE");
	json_decref(j);
	free(out);

	b.p[0] = 0; /* bad marker: framing lost at once */
	assert_int_equal(run_stream(decode_bgp_stream, b.p, b.len, &out, &st), -1);
	assert_true(st.framing_lost);
	assert_int_equal(st.messages, 0);
	assert_non_null(strstr(out, "\"reason\":\"marker\""));
	free(out);
	wb_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_update_ipv6_mp_reach),
		cmocka_unit_test(test_update_opaque_afi_safi),
		cmocka_unit_test(test_update_eor_and_attr_error),
		cmocka_unit_test(test_open_and_notification),
		cmocka_unit_test(test_peer_up_addpath_changes_route_monitoring),
		cmocka_unit_test(test_peer_down_and_stats),
		cmocka_unit_test(test_stream_truncated),
		cmocka_unit_test(test_stream_bmp_framing_lost),
		cmocka_unit_test(test_stream_bgp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
