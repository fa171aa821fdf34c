/* summary.c — the replay summary: connections, counters and VLANs in, one
 * jansson object out, and its text rendering. Pure: no I/O but the FILE
 * the text goes to. See replay.h. */
#include "replay.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bgp.h"
#include "vlan_acct.h"

struct replay_summary {
	json_t *sessions; /* array, in the order connections ended */
	uint64_t omitted; /* past REPLAY_MAX_SESSIONS */
};

/* BGP message type names (RFC 4271 §4.1, RFC 2918 §3); [0] is anything
 * else (types the framer passed on without knowing them). */
static const char *const msg_name[6] = {"other",	"OPEN",	     "UPDATE",
					"NOTIFICATION", "KEEPALIVE", "ROUTE-REFRESH"};

struct replay_summary *replay_summary_new(void)
{
	struct replay_summary *rs = calloc(1, sizeof(*rs));

	if (rs == NULL)
		return NULL;
	rs->sessions = json_array();
	if (rs->sessions == NULL) {
		free(rs);
		return NULL;
	}
	return rs;
}

void replay_summary_free(struct replay_summary *rs)
{
	if (rs == NULL)
		return;
	json_decref(rs->sessions);
	free(rs);
}

static json_t *addr_json(uint8_t family, const uint8_t *addr)
{
	char s[INET6_ADDRSTRLEN];

	if (inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, s, sizeof(s)) == NULL)
		return json_null();
	return json_string(s);
}

static json_t *bgp_id_json(uint32_t id)
{
	uint8_t b[4] = {(uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id};

	return addr_json(4, b);
}

/* Seconds, or null when unknown (negative); rounded to the microsecond,
 * the resolution of the capture times the pipeline works with (a double
 * near 1.7e9 s carries about 0.2 us, so more digits would be noise). */
static json_t *secs_json(double s)
{
	return s >= 0 ? json_real(round(s * 1e6) / 1e6) : json_null();
}

static json_t *msgs_json(const uint64_t *msgs)
{
	json_t *o = json_object();

	for (int t = 1; t < 6; t++)
		json_object_set_new(o, msg_name[t], json_integer((json_int_t)msgs[t]));
	json_object_set_new(o, msg_name[0], json_integer((json_int_t)msgs[0]));
	return o;
}

static json_t *side_json(uint8_t family, const struct cap_source_side *sd)
{
	json_t *o = json_object();

	json_object_set_new(o, "address", addr_json(family, sd->addr));
	json_object_set_new(o, "port", json_integer(sd->port));
	json_object_set_new(o, "as", sd->open_seen ? json_integer(sd->as) : json_null());
	json_object_set_new(o, "bgp_id", sd->open_seen ? bgp_id_json(sd->bgp_id) : json_null());
	json_object_set_new(o, "hold_time", sd->open_seen ? json_integer(sd->hold_time) : json_null());
	json_object_set_new(o, "messages", msgs_json(sd->msgs));
	json_object_set_new(o, "prefixes",
			    sd->has_prefixes
				    ? json_pack("{sIsI}", "ipv4", (json_int_t)sd->prefixes[0], "ipv6",
						(json_int_t)sd->prefixes[1])
				    : json_null());
	json_object_set_new(o, "tcp",
			    json_pack("{sIsI}", "retransmissions", (json_int_t)sd->retransmissions,
				      "zero_windows", (json_int_t)sd->zero_windows));
	return o;
}

void replay_summary_session(const struct cap_source_session *ss, void *arg)
{
	struct replay_summary *rs = arg;
	json_t *o, *sides;

	if (json_array_size(rs->sessions) >= REPLAY_MAX_SESSIONS) {
		rs->omitted++;
		return;
	}
	o = json_object();
	sides = json_array();
	for (int i = 0; i < 2; i++)
		json_array_append_new(sides, side_json(ss->family, &ss->side[i]));
	json_object_set_new(o, "family", json_integer(ss->family));
	json_object_set_new(o, "state", json_string(ss->state));
	json_object_set_new(o, "state_changes", json_integer((json_int_t)ss->state_changes));
	json_object_set_new(o, "down_reason",
			    ss->down_reason ? json_string(ss->down_reason) : json_null());
	json_object_set_new(o, "notification",
			    ss->notif_code >= 0 ? json_pack("{sisi}", "code", ss->notif_code,
							    "subcode", ss->notif_subcode)
						: json_null());
	json_object_set_new(o, "hold_time", ss->hold_time ? json_integer(ss->hold_time) : json_null());
	json_object_set_new(o, "mid_session", json_boolean(ss->mid_session));
	json_object_set_new(o, "first_seen", json_real(ss->first_seen));
	json_object_set_new(o, "last_seen", json_real(ss->last_seen));
	json_object_set_new(o, "tcp",
			    json_pack("{sososo}", "handshake_rtt", secs_json(ss->handshake_rtt),
				      "syn_synack", secs_json(ss->syn_synack), "synack_ack",
				      secs_json(ss->synack_ack)));
	json_object_set_new(o, "sides", sides);
	json_array_append_new(rs->sessions, o);
}

/* ---- the whole summary ---------------------------------------------------- */

static int by_first_seen(const void *a, const void *b)
{
	double x = json_real_value(json_object_get(*(json_t *const *)a, "first_seen"));
	double y = json_real_value(json_object_get(*(json_t *const *)b, "first_seen"));

	return x < y ? -1 : x > y;
}

/* The sessions sorted by first seen (a new array; NULL when out of memory). */
static json_t *sorted_sessions(const json_t *in)
{
	size_t n = json_array_size(in);
	json_t **v = calloc(n ? n : 1, sizeof(*v));
	json_t *out = json_array();

	if (v == NULL || out == NULL) {
		free(v);
		json_decref(out);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(in, i);
	qsort(v, n, sizeof(*v), by_first_seen);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

/* Messages by type over every session and both sides. */
static json_t *total_msgs(const json_t *sessions)
{
	uint64_t t[6] = {0};
	size_t i;
	json_t *s;

	json_array_foreach(sessions, i, s) {
		for (size_t k = 0; k < 2; k++) {
			json_t *m = json_object_get(json_array_get(json_object_get(s, "sides"), k),
						    "messages");

			for (int ty = 0; ty < 6; ty++)
				t[ty] += (uint64_t)json_integer_value(json_object_get(m, msg_name[ty]));
		}
	}
	return msgs_json(t);
}

static int vlan_one(const struct vlan_key *k, const struct vlan_counts *n, void *arg)
{
	json_t *o = json_pack("{sssososssIsI}", "interface", k->ifname, "s_tag",
			      k->s_tag ? json_integer(k->s_tag) : json_null(), "c_tag",
			      k->c_tag ? json_integer(k->c_tag) : json_null(), "direction",
			      vlan_dir_name((enum vlan_dir)k->dir), "packets",
			      (json_int_t)n->packets, "bytes", (json_int_t)n->bytes);

	return o == NULL ? -1 : json_array_append_new(arg, o);
}

static json_int_t tag_of(const json_t *v, const char *k)
{
	json_t *t = json_object_get(v, k);

	return json_is_integer(t) ? json_integer_value(t) : -1;
}

/* By S-tag, C-tag, then direction name: a stable order to read and diff. */
static int vlan_cmp(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t d = tag_of(x, "s_tag") - tag_of(y, "s_tag");

	if (d == 0)
		d = tag_of(x, "c_tag") - tag_of(y, "c_tag");
	if (d != 0)
		return d < 0 ? -1 : 1;
	return strcmp(json_string_value(json_object_get(x, "direction")),
		      json_string_value(json_object_get(y, "direction")));
}

static json_t *vlans_json(const struct vlan_acct *va)
{
	json_t *raw = json_array(), *out = json_array();
	size_t n;
	json_t **v;

	if (raw == NULL || out == NULL || vlan_acct_walk(va, vlan_one, raw) != 0)
		goto fail;
	n = json_array_size(raw);
	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(raw, i);
	qsort(v, n, sizeof(*v), vlan_cmp);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(raw);
	return out;
fail:
	json_decref(raw);
	json_decref(out);
	return NULL;
}

static json_t *errors_json(const struct cap_source_stats *st)
{
	json_t *o = json_object();

	for (int e = 1; e < CAP_FRAME_ERROR_COUNT; e++)
		if (st->decode_errors[e] > 0)
			json_object_set_new(o, cap_frame_error_name((enum cap_frame_error)e),
					    json_integer((json_int_t)st->decode_errors[e]));
	return o;
}

json_t *replay_summary_json(struct replay_summary *rs, const struct cap_source_stats *st,
			    const struct vlan_acct *vlans)
{
	const struct vlan_counts *ov = vlan_acct_overflow(vlans);
	json_t *sessions = sorted_sessions(rs->sessions);
	json_t *vl = vlans_json(vlans);
	json_t *o;

	if (sessions == NULL || vl == NULL) {
		json_decref(sessions);
		json_decref(vl);
		return NULL;
	}
	o = json_pack(
		"{sIsIs{sIsIsIsIsIsIsIsI}}", "frames", (json_int_t)st->packets, "bgp_segments",
		(json_int_t)st->bgp_segments, "reassembly", "gaps", (json_int_t)st->gaps,
		"gap_bytes", (json_int_t)st->gap_bytes, "resyncs", (json_int_t)st->resyncs,
		"framing_lost", (json_int_t)st->framing_lost, "evicted_bytes",
		(json_int_t)st->evicted_bytes, "connections", (json_int_t)st->flows,
		"connections_evicted", (json_int_t)st->flows_evicted, "connections_expired",
		(json_int_t)st->flows_expired);
	if (o == NULL) {
		json_decref(sessions);
		json_decref(vl);
		return NULL;
	}
	json_object_set_new(o, "bgp_messages", json_integer((json_int_t)st->bgp_messages));
	json_object_set_new(o, "messages_by_type", total_msgs(sessions));
	json_object_set_new(o, "sessions", sessions);
	json_object_set_new(o, "sessions_omitted", json_integer((json_int_t)rs->omitted));
	json_object_set_new(o, "vlans", vl);
	json_object_set_new(o, "vlan_overflow",
			    json_pack("{sIsI}", "packets", (json_int_t)ov->packets, "bytes",
				      (json_int_t)ov->bytes));
	json_object_set_new(o, "decode_errors", errors_json(st));
	return o;
}

/* ---- text ------------------------------------------------------------------ */

static const char *str_or(const json_t *o, const char *k, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : dflt;
}

static void text_msgs(FILE *out, const json_t *m)
{
	for (int t = 1; t < 6; t++)
		fprintf(out, " %s %" JSON_INTEGER_FORMAT, msg_name[t],
			json_integer_value(json_object_get(m, msg_name[t])));
	if (json_integer_value(json_object_get(m, msg_name[0])) > 0)
		fprintf(out, " other %" JSON_INTEGER_FORMAT,
			json_integer_value(json_object_get(m, msg_name[0])));
}

static void text_side(FILE *out, const json_t *sd)
{
	const json_t *pf = json_object_get(sd, "prefixes"), *tcp = json_object_get(sd, "tcp");

	fprintf(out, "    %s:%" JSON_INTEGER_FORMAT " sent:", str_or(sd, "address", "?"),
		json_integer_value(json_object_get(sd, "port")));
	text_msgs(out, json_object_get(sd, "messages"));
	fprintf(out, "\n      retransmissions %" JSON_INTEGER_FORMAT
		     ", zero windows %" JSON_INTEGER_FORMAT,
		json_integer_value(json_object_get(tcp, "retransmissions")),
		json_integer_value(json_object_get(tcp, "zero_windows")));
	if (json_is_object(pf))
		fprintf(out, "; Adj-RIB-In ipv4 %" JSON_INTEGER_FORMAT " ipv6 %" JSON_INTEGER_FORMAT,
			json_integer_value(json_object_get(pf, "ipv4")),
			json_integer_value(json_object_get(pf, "ipv6")));
	fputc('\n', out);
}

static void text_as(FILE *out, const json_t *sd)
{
	const json_t *as = json_object_get(sd, "as");

	if (json_is_integer(as))
		fprintf(out, " AS%" JSON_INTEGER_FORMAT, json_integer_value(as));
	else
		fprintf(out, " (no OPEN)");
}

static void text_session(FILE *out, const json_t *s)
{
	const json_t *sides = json_object_get(s, "sides"), *tcp = json_object_get(s, "tcp");
	const json_t *a = json_array_get(sides, 0), *b = json_array_get(sides, 1);
	const json_t *rtt = json_object_get(tcp, "handshake_rtt");
	const json_t *nt = json_object_get(s, "notification");

	fprintf(out, "  %s:%" JSON_INTEGER_FORMAT, str_or(a, "address", "?"),
		json_integer_value(json_object_get(a, "port")));
	text_as(out, a);
	fprintf(out, " <-> %s:%" JSON_INTEGER_FORMAT, str_or(b, "address", "?"),
		json_integer_value(json_object_get(b, "port")));
	text_as(out, b);
	fprintf(out, ": %s, %" JSON_INTEGER_FORMAT " state changes", str_or(s, "state", "?"),
		json_integer_value(json_object_get(s, "state_changes")));
	if (json_is_string(json_object_get(s, "down_reason")))
		fprintf(out, ", down by %s", str_or(s, "down_reason", "?"));
	if (json_is_object(nt))
		fprintf(out, " (code %" JSON_INTEGER_FORMAT " subcode %" JSON_INTEGER_FORMAT ")",
			json_integer_value(json_object_get(nt, "code")),
			json_integer_value(json_object_get(nt, "subcode")));
	if (json_is_true(json_object_get(s, "mid_session")))
		fprintf(out, ", capture began mid-session");
	fputc('\n', out);
	if (json_is_real(rtt))
		fprintf(out, "    handshake RTT %.3f ms (SYN to SYN-ACK %.3f ms, SYN-ACK to ACK %.3f ms)\n",
			json_real_value(rtt) * 1e3,
			json_real_value(json_object_get(tcp, "syn_synack")) * 1e3,
			json_real_value(json_object_get(tcp, "synack_ack")) * 1e3);
	text_side(out, a);
	text_side(out, b);
}

static void text_vlans(FILE *out, const json_t *vlans)
{
	size_t i;
	json_t *v;

	fprintf(out, "vlans (%zu):\n", json_array_size(vlans));
	if (json_array_size(vlans) > 0)
		fprintf(out, "  %-16s %6s %6s %-9s %12s %16s\n", "interface", "s_tag", "c_tag",
			"direction", "packets", "bytes");
	json_array_foreach(vlans, i, v) {
		char st[8] = "-", ct[8] = "-";

		if (tag_of(v, "s_tag") >= 0)
			snprintf(st, sizeof(st), "%d", (int)tag_of(v, "s_tag"));
		if (tag_of(v, "c_tag") >= 0)
			snprintf(ct, sizeof(ct), "%d", (int)tag_of(v, "c_tag"));
		fprintf(out, "  %-16s %6s %6s %-9s %12" JSON_INTEGER_FORMAT " %16" JSON_INTEGER_FORMAT
			     "\n",
			str_or(v, "interface", "?"), st, ct, str_or(v, "direction", "?"),
			json_integer_value(json_object_get(v, "packets")),
			json_integer_value(json_object_get(v, "bytes")));
	}
}

static void text_errors(FILE *out, const json_t *errs)
{
	const char *k;
	json_t *v;

	fprintf(out, "decode errors:");
	if (json_object_size(errs) == 0)
		fprintf(out, " none");
	json_object_foreach((json_t *)errs, k, v)
		fprintf(out, " %s %" JSON_INTEGER_FORMAT, k, json_integer_value(v));
	fputc('\n', out);
}

int replay_summary_text(const json_t *sum, FILE *out)
{
	const json_t *sessions = json_object_get(sum, "sessions");
	const json_t *r = json_object_get(sum, "reassembly");
	size_t i;
	json_t *s;

	fprintf(out, "%s: %" JSON_INTEGER_FORMAT " frames, %" JSON_INTEGER_FORMAT
		     " bytes of file, %.6f s of capture%s\n",
		str_or(sum, "file", "?"), json_integer_value(json_object_get(sum, "frames")),
		json_integer_value(json_object_get(sum, "file_bytes")),
		json_real_value(json_object_get(sum, "duration")),
		json_is_false(json_object_get(sum, "complete")) ? " (INCOMPLETE: see error)" : "");
	fprintf(out, "sessions (%zu", json_array_size(sessions));
	if (json_integer_value(json_object_get(sum, "sessions_omitted")) > 0)
		fprintf(out, ", %" JSON_INTEGER_FORMAT " more omitted",
			json_integer_value(json_object_get(sum, "sessions_omitted")));
	fprintf(out, "):\n");
	json_array_foreach(sessions, i, s)
		text_session(out, s);
	fprintf(out, "messages by type:");
	text_msgs(out, json_object_get(sum, "messages_by_type"));
	fputc('\n', out);
	text_vlans(out, json_object_get(sum, "vlans"));
	text_errors(out, json_object_get(sum, "decode_errors"));
	fprintf(out, "reassembly: %" JSON_INTEGER_FORMAT " gaps (%" JSON_INTEGER_FORMAT
		     " bytes), %" JSON_INTEGER_FORMAT " resyncs, %" JSON_INTEGER_FORMAT
		     " framing losses, %" JSON_INTEGER_FORMAT " bytes evicted, %" JSON_INTEGER_FORMAT
		     " connections\n",
		json_integer_value(json_object_get(r, "gaps")),
		json_integer_value(json_object_get(r, "gap_bytes")),
		json_integer_value(json_object_get(r, "resyncs")),
		json_integer_value(json_object_get(r, "framing_lost")),
		json_integer_value(json_object_get(r, "evicted_bytes")),
		json_integer_value(json_object_get(r, "connections")));
	return ferror(out) ? -1 : 0;
}
