/* test_event_codec.c — the event codecs (protobuf-c and JSON).
 *
 * The protobuf encoding is checked against an independent implementation:
 * protoc (Debian's protobuf-compiler) decodes our bytes with the .proto and
 * must print the expected text, and encodes the same text into bytes that
 * must equal ours byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event_codec.h"

/* A BGP session down on an ExpressRoute private peering, every field set. */
static void known_event(struct cw_event *ev)
{
	cw_event_init(ev, CW_EV_BGP_SESSION_DOWN, CW_SEV_CRITICAL, 1700000000123456789LL);
	for (int i = 0; i < CW_EVENT_ID_LEN; i++)
		ev->id[i] = (uint8_t)(0xa0 + i);
	cw_event_set(ev->circuit, "er-ams-1");
	cw_event_set(ev->link, "primary");
	cw_event_set(ev->peering, "private");
	ev->has_peer = true;
	cw_event_set(ev->peer.router, "192.0.2.1");
	cw_event_set(ev->peer.address, "169.254.0.2");
	ev->peer.asn = 12076;
	ev->peer.source = CW_SRC_BMP;
	ev->has_reason = true;
	ev->reason.kind = CW_REASON_BMP_PEER_DOWN;
	ev->reason.notif_code = 6;
	ev->reason.notif_subcode = 2;
	ev->reason.bmp_reason = 3;
	cw_event_set(ev->reason.text, "remote-notification");
	cw_event_set(ev->message, "BGP session down: Cease/Administrative Shutdown");
	assert_int_equal(cw_event_add_detail(ev, "hold_time", "90"), 0);
	ev->detail = CW_DETAIL_PREFIX_LIMIT;
	ev->d.prefix_limit.count = 3999;
	ev->d.prefix_limit.limit = 4000;
}

static const char known_text[] =
	"id: \"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\"\n"
	"time_unix_nano: 1700000000123456789\n"
	"type: EVENT_TYPE_BGP_SESSION_DOWN\n"
	"severity: SEVERITY_CRITICAL\n"
	"circuit: \"er-ams-1\"\n"
	"link: \"primary\"\n"
	"peering: \"private\"\n"
	"peer {\n"
	"  router: \"192.0.2.1\"\n"
	"  address: \"169.254.0.2\"\n"
	"  asn: 12076\n"
	"  source: SOURCE_BMP\n"
	"}\n"
	"reason {\n"
	"  kind: REASON_KIND_BMP_PEER_DOWN\n"
	"  notification_code: 6\n"
	"  notification_subcode: 2\n"
	"  bmp_peer_down_reason: 3\n"
	"  text: \"remote-notification\"\n"
	"}\n"
	"message: \"BGP session down: Cease/Administrative Shutdown\"\n"
	"details {\n"
	"  key: \"hold_time\"\n"
	"  value: \"90\"\n"
	"}\n"
	"prefix_limit {\n"
	"  count: 3999\n"
	"  limit: 4000\n"
	"}\n";

static void pb_round_trip(struct cw_event *ev)
{
	uint8_t buf[CW_EVENT_PB_MAX];
	struct cw_event back;
	size_t n;

	assert_int_equal(cw_event_encode_pb(ev, buf, sizeof(buf), &n), 0);
	assert_int_equal(cw_event_decode_pb(buf, n, &back), CW_EVENT_OK);
	assert_memory_equal(&back, ev, sizeof(back));
}

static void json_round_trip(struct cw_event *ev)
{
	char *s = cw_event_encode_json(ev);
	struct cw_event back;

	assert_non_null(s);
	assert_int_equal(cw_event_decode_json(s, strlen(s), &back), CW_EVENT_OK);
	assert_memory_equal(&back, ev, sizeof(back));
	free(s);
}

static void test_pb_round_trip(void **state)
{
	struct cw_event *ev = malloc(sizeof(*ev));

	(void)state;
	known_event(ev);
	pb_round_trip(ev);
	/* each detail of the oneof, an alert, unknown enum numbers, NaN */
	cw_event_init(ev, CW_EV_ALERT_TRANSITION, CW_SEV_WARNING, -5);
	ev->has_alert = true;
	cw_event_set(ev->alert.name, "PrefixLimitHeadroomLow");
	ev->alert.state = CW_ALERT_FIRING;
	ev->alert.value = 0.97;
	ev->alert.threshold = 0.9;
	ev->detail = CW_DETAIL_WATCHED_PREFIX;
	cw_event_set(ev->d.watched.prefix, "2001:db8::/32");
	pb_round_trip(ev);
	json_round_trip(ev);
	cw_event_init(ev, (enum cw_event_type)99, (enum cw_severity)7, 1);
	ev->detail = CW_DETAIL_LOSS;
	ev->d.loss.count = UINT64_MAX;
	ev->d.loss.first_ns = INT64_MIN;
	ev->d.loss.last_ns = INT64_MAX;
	cw_event_set(ev->d.loss.cause, "kafka exporter");
	cw_event_set(ev->d.loss.reason, "spool_error");
	ev->has_alert = true;
	ev->alert.value = INFINITY;
	ev->alert.threshold = -INFINITY;
	pb_round_trip(ev);
	json_round_trip(ev);
	free(ev);
}

static void test_json_round_trip(void **state)
{
	struct cw_event *ev = malloc(sizeof(*ev));
	char *s;

	(void)state;
	known_event(ev);
	json_round_trip(ev);
	s = cw_event_encode_json(ev);
	/* the proto3 JSON mapping: camelCase, enums by name, int64 as string */
	assert_non_null(strstr(s, "\"timeUnixNano\":\"1700000000123456789\""));
	assert_non_null(strstr(s, "\"type\":\"EVENT_TYPE_BGP_SESSION_DOWN\""));
	assert_non_null(strstr(s, "\"notificationCode\":6"));
	assert_non_null(strstr(s, "\"prefixLimit\":{\"count\":\"3999\",\"limit\":\"4000\"}"));
	assert_null(strchr(s, '\n'));
	free(s);
	free(ev);
}

static void test_json_accepts_mapping_variants(void **state)
{
	static const char in[] = "{\"id\":\"A0A1A2A3A4A5A6A7A8A9AAABACADAEAF\",\"timeUnixNano\":17,"
				 "\"type\":2,\"severity\":\"WARNING\",\"peer\":{\"asn\":\"65001\"},"
				 "\"unknownField\":[1,2]}";
	struct cw_event ev;

	(void)state;
	assert_int_equal(cw_event_decode_json(in, strlen(in), &ev), CW_EVENT_OK);
	assert_int_equal(ev.id[0], 0xa0);
	assert_int_equal(ev.time_ns, 17);
	assert_int_equal(ev.type, CW_EV_BGP_SESSION_DOWN);
	assert_int_equal(ev.severity, CW_SEV_WARNING);
	assert_true(ev.has_peer);
	assert_int_equal(ev.peer.asn, 65001);
}

static void test_json_rejects(void **state)
{
	static const struct {
		const char *in;
		enum cw_event_error err;
	} cases[] = {
		{"", CW_EVENT_ERR_MALFORMED},
		{"[1]", CW_EVENT_ERR_MALFORMED},
		{"{\"id\":\"xyz\"}", CW_EVENT_ERR_ID},
		{"{\"id\":\"a0a1a2a3a4a5a6a7a8a9aaabacadaeaZ\"}", CW_EVENT_ERR_ID},
		{"{\"type\":\"NOT_A_TYPE\"}", CW_EVENT_ERR_FIELD},
		{"{\"type\":2147483648}", CW_EVENT_ERR_FIELD},
		{"{\"timeUnixNano\":\"12x\"}", CW_EVENT_ERR_FIELD},
		{"{\"peer\":{\"asn\":4294967296}}", CW_EVENT_ERR_FIELD},
		{"{\"peer\":7}", CW_EVENT_ERR_FIELD},
		{"{\"circuit\":\"a\\u0000b\"}", CW_EVENT_ERR_STRING},
		{"{\"loss\":{},\"watchedPrefix\":{}}", CW_EVENT_ERR_FIELD},
		{"{\"details\":{\"a\":1}}", CW_EVENT_ERR_FIELD},
		{"{\"a\":1,\"a\":2}", CW_EVENT_ERR_MALFORMED},
	};
	struct cw_event ev;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum cw_event_error e = cw_event_decode_json(cases[i].in, strlen(cases[i].in), &ev);

		if (e != cases[i].err)
			fail_msg("case %zu (%s): got %s", i, cases[i].in, cw_event_error_name(e));
	}
	/* a string one over the cap, and too many details */
	char *big = malloc(CW_EVENT_TEXT_MAX + 64);

	snprintf(big, CW_EVENT_TEXT_MAX + 64, "{\"circuit\":\"%0*d\"}", CW_EVENT_TEXT_MAX, 0);
	assert_int_equal(cw_event_decode_json(big, strlen(big), &ev), CW_EVENT_ERR_STRING);
	strcpy(big, "{\"details\":{");
	for (int i = 0; i <= CW_EVENT_DETAILS_MAX; i++)
		snprintf(big + strlen(big), 16, "%s\"%d\":\"\"", i ? "," : "", i);
	strcat(big, "}}");
	assert_int_equal(cw_event_decode_json(big, strlen(big), &ev), CW_EVENT_ERR_DETAILS);
	free(big);
}

static void test_pb_rejects(void **state)
{
	/* field 1 (id), length 5 but 2 bytes follow; then an id of 3 chars */
	static const uint8_t truncated[] = {0x0a, 0x05, 'a', 'b'};
	static const uint8_t short_id[] = {0x0a, 0x03, 'a', 'b', 'c'};
	static const uint8_t bad_varint[] = {0x10, 0xff, 0xff, 0xff, 0xff, 0xff,
					     0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t *big = calloc(1, CW_EVENT_PB_MAX + 1);
	struct cw_event ev;

	(void)state;
	assert_int_equal(cw_event_decode_pb(truncated, sizeof(truncated), &ev),
			 CW_EVENT_ERR_MALFORMED);
	assert_int_equal(cw_event_decode_pb(short_id, sizeof(short_id), &ev), CW_EVENT_ERR_ID);
	assert_int_equal(cw_event_decode_pb(bad_varint, sizeof(bad_varint), &ev),
			 CW_EVENT_ERR_MALFORMED);
	assert_int_equal(cw_event_decode_pb(big, CW_EVENT_PB_MAX + 1, &ev), CW_EVENT_ERR_TOO_LONG);
	/* an empty message is a valid (all default) event */
	assert_int_equal(cw_event_decode_pb(big, 0, &ev), CW_EVENT_OK);
	assert_int_equal(ev.type, CW_EV_UNSPECIFIED);
	free(big);
}

static int protoc_available(void)
{
	return system("protoc --version >/dev/null 2>&1") == 0;
}

/* The .proto of the source tree: $CW_SOURCE_DIR (ctest sets it), else
 * found from this file's own path. */
static char *proto_path(void)
{
	const char *src = getenv("CW_SOURCE_DIR");
	static char buf[4096];

	if (src != NULL) {
		snprintf(buf, sizeof(buf), "%s/proto", src);
	} else {
		snprintf(buf, sizeof(buf), "%s", __FILE__);
		char *cut = strstr(buf, "tests/unit/test_event_codec.c");

		if (cut != NULL)
			strcpy(cut, "proto");
	}
	return buf;
}

/* Runs protoc in mode ("decode" or "encode") over in, returns its output. */
static uint8_t *run_protoc(const char *mode, const void *in, size_t inlen, size_t *outlen)
{
	char tmpl_in[] = "/tmp/cw-events-in.XXXXXX", tmpl_out[] = "/tmp/cw-events-out.XXXXXX";
	char cmd[8192];
	int fi = mkstemp(tmpl_in), fo = mkstemp(tmpl_out);
	uint8_t *out;
	FILE *fp;

	assert_true(fi >= 0 && fo >= 0);
	assert_int_equal(write(fi, in, inlen), (ssize_t)inlen);
	close(fi);
	close(fo);
	snprintf(cmd, sizeof(cmd),
		 "protoc --%s=circuitwatch.v1.Event --proto_path=%s circuitwatch/v1/events.proto "
		 "<%s >%s",
		 mode, proto_path(), tmpl_in, tmpl_out);
	assert_int_equal(system(cmd), 0);
	fp = fopen(tmpl_out, "rb");
	assert_non_null(fp);
	out = malloc(65536);
	assert_non_null(out);
	*outlen = fread(out, 1, 65535, fp);
	out[*outlen] = 0;
	fclose(fp);
	unlink(tmpl_in);
	unlink(tmpl_out);
	return out;
}

static void test_against_protoc(void **state)
{
	struct cw_event ev, back;
	uint8_t buf[CW_EVENT_PB_MAX];
	size_t n, m;
	uint8_t *text, *bytes;

	(void)state;
	if (!protoc_available())
		skip();
	known_event(&ev);
	assert_int_equal(cw_event_encode_pb(&ev, buf, sizeof(buf), &n), 0);
	text = run_protoc("decode", buf, n, &m);
	assert_string_equal((char *)text, known_text);
	free(text);
	/* protoc writes fields in number order, as protobuf-c does: the same bytes */
	bytes = run_protoc("encode", known_text, strlen(known_text), &m);
	assert_int_equal(m, n);
	assert_memory_equal(bytes, buf, n);
	assert_int_equal(cw_event_decode_pb(bytes, m, &back), CW_EVENT_OK);
	assert_memory_equal(&back, &ev, sizeof(ev));
	free(bytes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pb_round_trip),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_accepts_mapping_variants),
		cmocka_unit_test(test_json_rejects),
		cmocka_unit_test(test_pb_rejects),
		cmocka_unit_test(test_against_protoc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
