/* test_replay.c — the pure part of `circuitwatch replay`: the realtime
 * pacing arithmetic, and the summary built from connection snapshots,
 * counters and VLAN counters (JSON fields, order, nulls, totals) and its
 * text rendering. The whole command over generated captures is
 * tests/integration/test_replay.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "replay.h"
#include "vlan_acct.h"

static void test_pace(void **state)
{
	(void)state;
	assert_true(replay_pace(100.0, 102.0, 1.0, 0.5) == 1.5);
	assert_true(replay_pace(100.0, 102.0, 2.0, 0.5) == 0.5);
	assert_true(replay_pace(100.0, 102.0, 0.5, 1.0) == 3.0); /* slowed down */
	assert_true(replay_pace(100.0, 102.0, 1.0, 5.0) == 0.0); /* late: no wait */
	assert_true(replay_pace(100.0, 99.0, 1.0, 0.0) == 0.0);  /* time went back */
	assert_true(replay_pace(100.0, 100.0, 1.0, 0.0) == 0.0);
	assert_true(replay_pace(100.0, 102.0, 0.0, 0.0) == 0.0); /* no speed: no wait */
}

static struct cap_source_session session(double first, bool up)
{
	struct cap_source_session ss;

	memset(&ss, 0, sizeof(ss));
	ss.family = 4;
	ss.side[0].addr[0] = 198, ss.side[0].addr[1] = 18, ss.side[0].addr[2] = 1,
	ss.side[0].addr[3] = 1;
	ss.side[1] = ss.side[0];
	ss.side[1].addr[3] = 2;
	ss.side[0].port = 40000;
	ss.side[1].port = 179;
	ss.side[0].open_seen = ss.side[1].open_seen = true;
	ss.side[0].as = 65010;
	ss.side[1].as = 12076;
	ss.side[0].bgp_id = 0xc6120101u;
	ss.side[1].bgp_id = 0xc6120102u;
	ss.side[0].msgs[1] = ss.side[1].msgs[1] = 1;
	ss.side[1].msgs[2] = 7;
	ss.side[0].msgs[4] = 3;
	ss.side[1].msgs[4] = 2;
	ss.side[0].retransmissions = 2;
	ss.side[1].zero_windows = 5;
	ss.first_seen = first;
	ss.last_seen = first + 10;
	ss.hold_time = 90;
	ss.notif_code = ss.notif_subcode = -1;
	if (up) {
		ss.state = "established";
		ss.state_changes = 1;
		ss.side[0].has_prefixes = ss.side[1].has_prefixes = true;
		ss.side[1].prefixes[0] = 300;
		ss.side[1].prefixes[1] = 50;
		ss.handshake_rtt = 0.003;
		ss.syn_synack = 0.0025;
		ss.synack_ack = 0.0005;
	} else {
		ss.state = "down";
		ss.state_changes = 2;
		ss.down_reason = "notification";
		ss.notif_code = 6;
		ss.notif_subcode = 4;
		ss.side[1].msgs[3] = 1;
		ss.mid_session = true;
		ss.handshake_rtt = ss.syn_synack = ss.synack_ack = -1;
	}
	return ss;
}

static void add_frames(struct vlan_acct *va, uint16_t s_tag, uint16_t c_tag, int n, uint32_t len)
{
	struct vlan_frame f = {.s_tag = s_tag, .c_tag = c_tag, .wire_len = len};

	for (int i = 0; i < n; i++)
		vlan_acct_add(va, "cap.pcap", &f);
}

static json_int_t ji(const json_t *o, const char *path)
{
	json_t *v = json_object_get(o, path);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void test_summary(void **state)
{
	struct vlan_local lo = {0};
	struct vlan_acct *va = vlan_acct_new(&lo);
	struct replay_summary *rs = replay_summary_new();
	struct cap_source_stats st = {.packets = 42, .bgp_messages = 17, .gaps = 1, .gap_bytes = 9};
	struct cap_source_session a = session(200.0, true), b = session(100.0, false);
	json_t *sum, *s0, *s1, *side, *v;
	char *text = NULL;
	size_t tlen = 0;
	FILE *mem;

	(void)state;
	assert_non_null(va);
	assert_non_null(rs);
	st.decode_errors[CAP_FRAME_TRUNCATED_TCP] = 3;
	add_frames(va, 300, 110, 4, 100);
	add_frames(va, 0, 100, 2, 64);
	replay_summary_session(&a, rs); /* ended last, began last */
	replay_summary_session(&b, rs);
	sum = replay_summary_json(rs, &st, va);
	assert_non_null(sum);

	/* sessions in the order they began */
	s0 = json_array_get(json_object_get(sum, "sessions"), 0);
	s1 = json_array_get(json_object_get(sum, "sessions"), 1);
	assert_string_equal(json_string_value(json_object_get(s0, "state")), "down");
	assert_string_equal(json_string_value(json_object_get(s0, "down_reason")), "notification");
	assert_int_equal(ji(json_object_get(s0, "notification"), "code"), 6);
	assert_true(json_is_true(json_object_get(s0, "mid_session")));
	assert_true(json_is_null(json_object_get(json_object_get(s0, "tcp"), "handshake_rtt")));
	side = json_array_get(json_object_get(s0, "sides"), 1);
	assert_true(json_is_null(json_object_get(side, "prefixes")));
	assert_int_equal(ji(json_object_get(side, "messages"), "NOTIFICATION"), 1);
	assert_string_equal(json_string_value(json_object_get(s1, "state")), "established");
	assert_true(json_is_null(json_object_get(s1, "notification")));
	assert_true(json_real_value(json_object_get(json_object_get(s1, "tcp"), "syn_synack")) ==
		    0.0025);
	side = json_array_get(json_object_get(s1, "sides"), 1);
	assert_string_equal(json_string_value(json_object_get(side, "address")), "198.18.1.2");
	assert_string_equal(json_string_value(json_object_get(side, "bgp_id")), "198.18.1.2");
	assert_int_equal(ji(side, "as"), 12076);
	assert_int_equal(ji(json_object_get(side, "prefixes"), "ipv4"), 300);
	assert_int_equal(ji(json_object_get(side, "prefixes"), "ipv6"), 50);
	assert_int_equal(ji(json_object_get(side, "tcp"), "zero_windows"), 5);
	side = json_array_get(json_object_get(s1, "sides"), 0);
	assert_int_equal(ji(json_object_get(side, "tcp"), "retransmissions"), 2);

	/* totals over both sessions and sides */
	v = json_object_get(sum, "messages_by_type");
	assert_int_equal(ji(v, "OPEN"), 4);
	assert_int_equal(ji(v, "UPDATE"), 14);
	assert_int_equal(ji(v, "NOTIFICATION"), 1);
	assert_int_equal(ji(v, "KEEPALIVE"), 10);
	assert_int_equal(ji(v, "ROUTE-REFRESH"), 0);
	assert_int_equal(ji(sum, "frames"), 42);
	assert_int_equal(ji(json_object_get(sum, "reassembly"), "gap_bytes"), 9);
	assert_int_equal(ji(json_object_get(sum, "decode_errors"), "truncated_tcp"), 3);
	assert_int_equal(json_object_size(json_object_get(sum, "decode_errors")), 1);

	/* VLANs by tag: the single tag (no S-tag) first */
	v = json_array_get(json_object_get(sum, "vlans"), 0);
	assert_true(json_is_null(json_object_get(v, "s_tag")));
	assert_int_equal(ji(v, "c_tag"), 100);
	assert_int_equal(ji(v, "packets"), 2);
	assert_int_equal(ji(v, "bytes"), 128);
	assert_string_equal(json_string_value(json_object_get(v, "direction")), "unknown");
	v = json_array_get(json_object_get(sum, "vlans"), 1);
	assert_int_equal(ji(v, "s_tag"), 300);
	assert_int_equal(ji(v, "bytes"), 400);

	/* the text says the same */
	json_object_set_new(sum, "file", json_string("cap.pcap"));
	mem = open_memstream(&text, &tlen);
	assert_non_null(mem);
	assert_int_equal(replay_summary_text(sum, mem), 0);
	fclose(mem);
	assert_non_null(strstr(text, "sessions (2):\n"));
	assert_non_null(strstr(text, "198.18.1.1:40000 AS65010 <-> 198.18.1.2:179 AS12076: down, 2 "
				     "state changes, down by notification (code 6 subcode 4), "
				     "capture began mid-session\n"));
	assert_non_null(strstr(text, "handshake RTT 3.000 ms (SYN to SYN-ACK 2.500 ms, SYN-ACK to "
				     "ACK 0.500 ms)\n"));
	assert_non_null(strstr(text, "retransmissions 0, zero windows 5; Adj-RIB-In ipv4 300 ipv6 50\n"));
	assert_non_null(strstr(text, "messages by type: OPEN 4 UPDATE 14 NOTIFICATION 1 KEEPALIVE 10 "
				     "ROUTE-REFRESH 0\n"));
	assert_non_null(strstr(text, "decode errors: truncated_tcp 3\n"));
	assert_non_null(strstr(text, "reassembly: 1 gaps (9 bytes)"));
	free(text);
	json_decref(sum);
	replay_summary_free(rs);
	vlan_acct_free(va);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pace),
		cmocka_unit_test(test_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
