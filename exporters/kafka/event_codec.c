/* event_codec.c — the event's two encodings: protobuf (protoc-c, from
 * proto/circuitwatch/v1/events.proto) and JSON (the proto3 JSON mapping,
 * jansson). Used by the Kafka producer, its spool and `circuitwatch events`. */
#include "event_codec.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "circuitwatch/v1/events.pb-c.h"

typedef Circuitwatch__V1__Event PbEvent;

static const char *const error_names[CW_EVENT_ERR__COUNT] = {
	"ok", "too_long", "malformed", "field", "string", "id", "details", "nomem"};

/* A proto3 enum: its value names share a prefix (EVENT_TYPE_...); the short
 * names are event.h's. */
struct enum_def {
	const char *prefix;
	const char *(*name)(unsigned v);
	unsigned count;
};

static const char *type_name(unsigned v) { return cw_event_type_name((enum cw_event_type)v); }
static const char *sev_name(unsigned v) { return cw_severity_name((enum cw_severity)v); }
static const char *src_name(unsigned v) { return cw_event_source_name((enum cw_event_source)v); }
static const char *reason_name(unsigned v) { return cw_reason_kind_name((enum cw_reason_kind)v); }
static const char *state_name(unsigned v) { return cw_alert_state_name((enum cw_alert_state)v); }

static const struct enum_def e_type = {"EVENT_TYPE_", type_name, CW_EV__COUNT};
static const struct enum_def e_sev = {"SEVERITY_", sev_name, CW_SEV__COUNT};
static const struct enum_def e_src = {"SOURCE_", src_name, CW_SRC__COUNT};
static const struct enum_def e_reason = {"REASON_KIND_", reason_name, CW_REASON__COUNT};
static const struct enum_def e_state = {"ALERT_STATE_", state_name, CW_ALERT__COUNT};

const char *cw_event_error_name(enum cw_event_error e)
{
	return (unsigned)e < CW_EVENT_ERR__COUNT ? error_names[e] : "unknown";
}

/* ---- the id in both encodings ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "" leaves the id zero (not yet given); anything else must be 32 hex digits. */
static enum cw_event_error id_parse(const char *s, struct cw_event *ev)
{
	size_t n = strlen(s);

	if (n == 0)
		return CW_EVENT_OK;
	if (n != 2 * CW_EVENT_ID_LEN)
		return CW_EVENT_ERR_ID;
	for (size_t i = 0; i < CW_EVENT_ID_LEN; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return CW_EVENT_ERR_ID;
		ev->id[i] = (uint8_t)(hi << 4 | lo);
	}
	return CW_EVENT_OK;
}

static bool id_is_zero(const struct cw_event *ev)
{
	for (size_t i = 0; i < CW_EVENT_ID_LEN; i++)
		if (ev->id[i] != 0)
			return false;
	return true;
}

/* ---- protobuf ---- */

/* The protobuf-c message tree of an event; it points into ev and into the
 * locals here (no allocation). */
struct pb_tree {
	PbEvent e;
	Circuitwatch__V1__Peer peer;
	Circuitwatch__V1__Reason reason;
	Circuitwatch__V1__Alert alert;
	Circuitwatch__V1__PrefixLimit limit;
	Circuitwatch__V1__WatchedPrefix watched;
	Circuitwatch__V1__Loss loss;
	Circuitwatch__V1__Event__DetailsEntry kv[CW_EVENT_DETAILS_MAX];
	Circuitwatch__V1__Event__DetailsEntry *kvp[CW_EVENT_DETAILS_MAX];
	char id[2 * CW_EVENT_ID_LEN + 1];
};

/* protobuf-c takes char *, never writes through it when packing */
#define S(x) ((char *)(x))

static void pb_peer_reason(struct pb_tree *t, const struct cw_event *ev)
{
	if (ev->has_peer) {
		circuitwatch__v1__peer__init(&t->peer);
		t->peer.router = S(ev->peer.router);
		t->peer.address = S(ev->peer.address);
		t->peer.asn = ev->peer.asn;
		t->peer.source = (Circuitwatch__V1__Source)ev->peer.source;
		t->peer.rd = S(ev->peer.rd);
		t->e.peer = &t->peer;
	}
	if (ev->has_reason) {
		circuitwatch__v1__reason__init(&t->reason);
		t->reason.kind = (Circuitwatch__V1__ReasonKind)ev->reason.kind;
		t->reason.notification_code = ev->reason.notif_code;
		t->reason.notification_subcode = ev->reason.notif_subcode;
		t->reason.bmp_peer_down_reason = ev->reason.bmp_reason;
		t->reason.text = S(ev->reason.text);
		t->e.reason = &t->reason;
	}
	if (ev->has_alert) {
		circuitwatch__v1__alert__init(&t->alert);
		t->alert.name = S(ev->alert.name);
		t->alert.state = (Circuitwatch__V1__AlertState)ev->alert.state;
		t->alert.value = ev->alert.value;
		t->alert.threshold = ev->alert.threshold;
		t->e.alert = &t->alert;
	}
}

static void pb_detail(struct pb_tree *t, const struct cw_event *ev)
{
	size_t n = ev->ndetails < CW_EVENT_DETAILS_MAX ? ev->ndetails : CW_EVENT_DETAILS_MAX;

	for (size_t i = 0; i < n; i++) {
		circuitwatch__v1__event__details_entry__init(&t->kv[i]);
		t->kv[i].key = S(ev->details[i].key);
		t->kv[i].value = S(ev->details[i].value);
		t->kvp[i] = &t->kv[i];
	}
	t->e.n_details = n;
	t->e.details = n > 0 ? t->kvp : NULL;
	switch (ev->detail) {
	case CW_DETAIL_PREFIX_LIMIT:
		circuitwatch__v1__prefix_limit__init(&t->limit);
		t->limit.count = ev->d.prefix_limit.count;
		t->limit.limit = ev->d.prefix_limit.limit;
		t->e.detail_case = CIRCUITWATCH__V1__EVENT__DETAIL_PREFIX_LIMIT;
		t->e.prefix_limit = &t->limit;
		break;
	case CW_DETAIL_WATCHED_PREFIX:
		circuitwatch__v1__watched_prefix__init(&t->watched);
		t->watched.prefix = S(ev->d.watched.prefix);
		t->e.detail_case = CIRCUITWATCH__V1__EVENT__DETAIL_WATCHED_PREFIX;
		t->e.watched_prefix = &t->watched;
		break;
	case CW_DETAIL_LOSS:
		circuitwatch__v1__loss__init(&t->loss);
		t->loss.count = ev->d.loss.count;
		t->loss.first_time_unix_nano = ev->d.loss.first_ns;
		t->loss.last_time_unix_nano = ev->d.loss.last_ns;
		t->loss.cause = S(ev->d.loss.cause);
		t->loss.reason = S(ev->d.loss.reason);
		t->e.detail_case = CIRCUITWATCH__V1__EVENT__DETAIL_LOSS;
		t->e.loss = &t->loss;
		break;
	case CW_DETAIL_NONE:
		break;
	}
}

int cw_event_encode_pb(const struct cw_event *ev, uint8_t *buf, size_t cap, size_t *len)
{
	struct pb_tree *t = calloc(1, sizeof(*t));
	size_t need = 0;

	*len = 0;
	if (t == NULL)
		return -1;
	circuitwatch__v1__event__init(&t->e);
	if (!id_is_zero(ev))
		cw_event_id_hex(ev, t->id);
	t->e.id = t->id;
	t->e.time_unix_nano = ev->time_ns;
	t->e.type = (Circuitwatch__V1__EventType)ev->type;
	t->e.severity = (Circuitwatch__V1__Severity)ev->severity;
	t->e.circuit = S(ev->circuit);
	t->e.link = S(ev->link);
	t->e.peering = S(ev->peering);
	t->e.message = S(ev->message);
	pb_peer_reason(t, ev);
	pb_detail(t, ev);
	need = circuitwatch__v1__event__get_packed_size(&t->e);
	if (need <= cap)
		*len = circuitwatch__v1__event__pack(&t->e, buf);
	free(t);
	return need <= cap ? 0 : -1;
}

/* Copies a decoded string into a field; refuses one that does not fit. */
static enum cw_event_error take(char dst[CW_EVENT_TEXT_MAX], const char *src)
{
	if (src == NULL)
		return CW_EVENT_OK;
	if (strlen(src) >= CW_EVENT_TEXT_MAX)
		return CW_EVENT_ERR_STRING;
	cw_event_set(dst, src);
	return CW_EVENT_OK;
}

#define TRY(x)                                                                                     \
	do {                                                                                       \
		enum cw_event_error e_ = (x);                                                      \
		if (e_ != CW_EVENT_OK)                                                             \
			return e_;                                                                 \
	} while (0)

static enum cw_event_error from_pb_peer_reason(const PbEvent *e, struct cw_event *ev)
{
	if (e->peer != NULL) {
		ev->has_peer = true;
		TRY(take(ev->peer.router, e->peer->router));
		TRY(take(ev->peer.address, e->peer->address));
		TRY(take(ev->peer.rd, e->peer->rd));
		ev->peer.asn = e->peer->asn;
		ev->peer.source = (enum cw_event_source)e->peer->source;
	}
	if (e->reason != NULL) {
		ev->has_reason = true;
		ev->reason.kind = (enum cw_reason_kind)e->reason->kind;
		ev->reason.notif_code = e->reason->notification_code;
		ev->reason.notif_subcode = e->reason->notification_subcode;
		ev->reason.bmp_reason = e->reason->bmp_peer_down_reason;
		TRY(take(ev->reason.text, e->reason->text));
	}
	if (e->alert != NULL) {
		ev->has_alert = true;
		TRY(take(ev->alert.name, e->alert->name));
		ev->alert.state = (enum cw_alert_state)e->alert->state;
		ev->alert.value = e->alert->value;
		ev->alert.threshold = e->alert->threshold;
	}
	return CW_EVENT_OK;
}

static enum cw_event_error from_pb_detail(const PbEvent *e, struct cw_event *ev)
{
	if (e->n_details > CW_EVENT_DETAILS_MAX)
		return CW_EVENT_ERR_DETAILS;
	for (size_t i = 0; i < e->n_details; i++) {
		TRY(take(ev->details[i].key, e->details[i]->key));
		TRY(take(ev->details[i].value, e->details[i]->value));
	}
	ev->ndetails = e->n_details;
	switch (e->detail_case) {
	case CIRCUITWATCH__V1__EVENT__DETAIL_PREFIX_LIMIT:
		ev->detail = CW_DETAIL_PREFIX_LIMIT;
		ev->d.prefix_limit.count = e->prefix_limit->count;
		ev->d.prefix_limit.limit = e->prefix_limit->limit;
		break;
	case CIRCUITWATCH__V1__EVENT__DETAIL_WATCHED_PREFIX:
		ev->detail = CW_DETAIL_WATCHED_PREFIX;
		TRY(take(ev->d.watched.prefix, e->watched_prefix->prefix));
		break;
	case CIRCUITWATCH__V1__EVENT__DETAIL_LOSS:
		ev->detail = CW_DETAIL_LOSS;
		ev->d.loss.count = e->loss->count;
		ev->d.loss.first_ns = e->loss->first_time_unix_nano;
		ev->d.loss.last_ns = e->loss->last_time_unix_nano;
		TRY(take(ev->d.loss.cause, e->loss->cause));
		TRY(take(ev->d.loss.reason, e->loss->reason));
		break;
	default:
		break;
	}
	return CW_EVENT_OK;
}

static enum cw_event_error from_pb(const PbEvent *e, struct cw_event *ev)
{
	TRY(id_parse(e->id, ev));
	ev->time_ns = e->time_unix_nano;
	ev->type = (enum cw_event_type)e->type;
	ev->severity = (enum cw_severity)e->severity;
	TRY(take(ev->circuit, e->circuit));
	TRY(take(ev->link, e->link));
	TRY(take(ev->peering, e->peering));
	TRY(take(ev->message, e->message));
	TRY(from_pb_peer_reason(e, ev));
	return from_pb_detail(e, ev);
}

enum cw_event_error cw_event_decode_pb(const uint8_t *buf, size_t len, struct cw_event *ev)
{
	PbEvent *e;
	enum cw_event_error err;

	memset(ev, 0, sizeof(*ev));
	if (len > CW_EVENT_PB_MAX)
		return CW_EVENT_ERR_TOO_LONG;
	e = circuitwatch__v1__event__unpack(NULL, len, buf);
	if (e == NULL)
		return CW_EVENT_ERR_MALFORMED;
	err = from_pb(e, ev);
	circuitwatch__v1__event__free_unpacked(e, NULL);
	if (err != CW_EVENT_OK)
		memset(ev, 0, sizeof(*ev));
	return err;
}

/* ---- JSON (proto3 JSON mapping) ---- */

static int jset(json_t *o, const char *k, json_t *v)
{
	return v != NULL ? json_object_set_new(o, k, v) : -1;
}

static int jstr(json_t *o, const char *k, const char *s)
{
	return s[0] != '\0' ? jset(o, k, json_string(s)) : 0;
}

static int ju32(json_t *o, const char *k, uint32_t v)
{
	return v != 0 ? jset(o, k, json_integer(v)) : 0;
}

/* RFC 8259 numbers lose precision beyond 2^53: the mapping writes 64-bit
 * integers as strings. */
static int ju64(json_t *o, const char *k, uint64_t v)
{
	char b[24];

	if (v == 0)
		return 0;
	snprintf(b, sizeof(b), "%" PRIu64, v);
	return jset(o, k, json_string(b));
}

static int ji64(json_t *o, const char *k, int64_t v)
{
	char b[24];

	if (v == 0)
		return 0;
	snprintf(b, sizeof(b), "%" PRId64, v);
	return jset(o, k, json_string(b));
}

/* NaN and infinities are strings in the mapping (JSON has no such numbers). */
static int jdouble(json_t *o, const char *k, double v)
{
	if (v == 0)
		return 0;
	if (isnan(v))
		return jset(o, k, json_string("NaN"));
	if (isinf(v))
		return jset(o, k, json_string(v > 0 ? "Infinity" : "-Infinity"));
	return jset(o, k, json_real(v));
}

/* An enum by its full value name; a number the writer did not know stays a
 * number. */
static int jenum(json_t *o, const char *k, const struct enum_def *d, unsigned v)
{
	char b[64];

	if (v == 0)
		return 0;
	if (v >= d->count) /* proto enums are int32: an unknown one may be negative */
		return jset(o, k, json_integer((int32_t)v));
	snprintf(b, sizeof(b), "%s%s", d->prefix, d->name(v));
	return jset(o, k, json_string(b));
}

static json_t *json_peer(const struct cw_event *ev)
{
	json_t *p = json_object();

	if (p == NULL || jstr(p, "router", ev->peer.router) || jstr(p, "address", ev->peer.address) ||
	    ju32(p, "asn", ev->peer.asn) || jenum(p, "source", &e_src, ev->peer.source) ||
	    jstr(p, "rd", ev->peer.rd)) {
		json_decref(p);
		return NULL;
	}
	return p;
}

static json_t *json_reason(const struct cw_event *ev)
{
	json_t *r = json_object();

	if (r == NULL || jenum(r, "kind", &e_reason, ev->reason.kind) ||
	    ju32(r, "notificationCode", ev->reason.notif_code) ||
	    ju32(r, "notificationSubcode", ev->reason.notif_subcode) ||
	    ju32(r, "bmpPeerDownReason", ev->reason.bmp_reason) ||
	    jstr(r, "text", ev->reason.text)) {
		json_decref(r);
		return NULL;
	}
	return r;
}

static json_t *json_alert(const struct cw_event *ev)
{
	json_t *a = json_object();

	if (a == NULL || jstr(a, "name", ev->alert.name) ||
	    jenum(a, "state", &e_state, ev->alert.state) || jdouble(a, "value", ev->alert.value) ||
	    jdouble(a, "threshold", ev->alert.threshold)) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static json_t *json_details(const struct cw_event *ev)
{
	json_t *d = json_object();

	for (size_t i = 0; d != NULL && i < ev->ndetails && i < CW_EVENT_DETAILS_MAX; i++) {
		if (jset(d, ev->details[i].key, json_string(ev->details[i].value)) != 0) {
			json_decref(d);
			return NULL;
		}
	}
	return d;
}

static int json_detail(json_t *o, const struct cw_event *ev)
{
	json_t *d = json_object();
	const char *name = NULL;
	int rc = 0;

	if (d == NULL)
		return -1;
	switch (ev->detail) {
	case CW_DETAIL_PREFIX_LIMIT:
		name = "prefixLimit";
		rc = ju64(d, "count", ev->d.prefix_limit.count) ||
		     ju64(d, "limit", ev->d.prefix_limit.limit);
		break;
	case CW_DETAIL_WATCHED_PREFIX:
		name = "watchedPrefix";
		rc = jstr(d, "prefix", ev->d.watched.prefix);
		break;
	case CW_DETAIL_LOSS:
		name = "loss";
		rc = ju64(d, "count", ev->d.loss.count) ||
		     ji64(d, "firstTimeUnixNano", ev->d.loss.first_ns) ||
		     ji64(d, "lastTimeUnixNano", ev->d.loss.last_ns) ||
		     jstr(d, "cause", ev->d.loss.cause) || jstr(d, "reason", ev->d.loss.reason);
		break;
	case CW_DETAIL_NONE:
		break;
	}
	if (name == NULL || rc != 0) {
		json_decref(d);
		return rc;
	}
	return jset(o, name, d);
}

static int json_top(json_t *o, const struct cw_event *ev)
{
	char id[2 * CW_EVENT_ID_LEN + 1] = "";

	if (!id_is_zero(ev))
		cw_event_id_hex(ev, id);
	return jstr(o, "id", id) || ji64(o, "timeUnixNano", ev->time_ns) ||
	       jenum(o, "type", &e_type, ev->type) || jenum(o, "severity", &e_sev, ev->severity) ||
	       jstr(o, "circuit", ev->circuit) || jstr(o, "link", ev->link) ||
	       jstr(o, "peering", ev->peering) ||
	       (ev->has_peer && jset(o, "peer", json_peer(ev))) ||
	       (ev->has_reason && jset(o, "reason", json_reason(ev))) ||
	       jstr(o, "message", ev->message) ||
	       (ev->ndetails > 0 && jset(o, "details", json_details(ev))) ||
	       (ev->has_alert && jset(o, "alert", json_alert(ev))) || json_detail(o, ev);
}

char *cw_event_encode_json(const struct cw_event *ev)
{
	json_t *o = json_object();
	char *s = NULL;

	if (o != NULL && json_top(o, ev) == 0)
		s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	json_decref(o);
	return s;
}

/* -- decoding -- */

static enum cw_event_error dstr(const json_t *o, const char *k, char dst[CW_EVENT_TEXT_MAX])
{
	const json_t *v = json_object_get(o, k);

	if (v == NULL || json_is_null(v))
		return CW_EVENT_OK;
	if (!json_is_string(v))
		return CW_EVENT_ERR_FIELD;
	if (json_string_length(v) >= CW_EVENT_TEXT_MAX ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return CW_EVENT_ERR_STRING;
	cw_event_set(dst, json_string_value(v));
	return CW_EVENT_OK;
}

static enum cw_event_error du64(const json_t *o, const char *k, uint64_t *out)
{
	const json_t *v = json_object_get(o, k);
	char *end;

	*out = 0;
	if (v == NULL || json_is_null(v))
		return CW_EVENT_OK;
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return CW_EVENT_ERR_FIELD;
		*out = (uint64_t)json_integer_value(v);
		return CW_EVENT_OK;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 20 ||
	    json_string_value(v)[0] < '0' || json_string_value(v)[0] > '9')
		return CW_EVENT_ERR_FIELD;
	errno = 0;
	*out = strtoull(json_string_value(v), &end, 10);
	return errno != 0 || *end != '\0' ? CW_EVENT_ERR_FIELD : CW_EVENT_OK;
}

static enum cw_event_error di64(const json_t *o, const char *k, int64_t *out)
{
	const json_t *v = json_object_get(o, k);
	const char *s;
	char *end;

	*out = 0;
	if (v == NULL || json_is_null(v))
		return CW_EVENT_OK;
	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return CW_EVENT_OK;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 20)
		return CW_EVENT_ERR_FIELD;
	s = json_string_value(v);
	if (!(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
		return CW_EVENT_ERR_FIELD;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	*out = (int64_t)x;
	return errno != 0 || *end != '\0' ? CW_EVENT_ERR_FIELD : CW_EVENT_OK;
}

static enum cw_event_error du32(const json_t *o, const char *k, uint32_t *out)
{
	uint64_t v;

	TRY(du64(o, k, &v));
	if (v > UINT32_MAX)
		return CW_EVENT_ERR_FIELD;
	*out = (uint32_t)v;
	return CW_EVENT_OK;
}

static enum cw_event_error ddouble(const json_t *o, const char *k, double *out)
{
	const json_t *v = json_object_get(o, k);
	const char *s;

	*out = 0;
	if (v == NULL || json_is_null(v))
		return CW_EVENT_OK;
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return CW_EVENT_OK;
	}
	if (!json_is_string(v))
		return CW_EVENT_ERR_FIELD;
	s = json_string_value(v);
	if (strcmp(s, "NaN") == 0)
		*out = NAN;
	else if (strcmp(s, "Infinity") == 0)
		*out = INFINITY;
	else if (strcmp(s, "-Infinity") == 0)
		*out = -INFINITY;
	else
		return CW_EVENT_ERR_FIELD;
	return CW_EVENT_OK;
}

/* An enum by full name, short name or number (proto3 JSON parsers accept
 * the number). Unknown names are an error; unknown numbers are kept. */
static enum cw_event_error denum(const json_t *o, const char *k, const struct enum_def *d,
				 unsigned *out)
{
	const json_t *v = json_object_get(o, k);
	const char *s;
	size_t pl = strlen(d->prefix);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return CW_EVENT_OK;
	if (json_is_integer(v)) {
		if (json_integer_value(v) < INT32_MIN || json_integer_value(v) > INT32_MAX)
			return CW_EVENT_ERR_FIELD;
		*out = (unsigned)(int32_t)json_integer_value(v);
		return CW_EVENT_OK;
	}
	if (!json_is_string(v))
		return CW_EVENT_ERR_FIELD;
	s = json_string_value(v);
	if (strncmp(s, d->prefix, pl) == 0)
		s += pl;
	for (unsigned i = 0; i < d->count; i++) {
		if (strcmp(s, d->name(i)) == 0) {
			*out = i;
			return CW_EVENT_OK;
		}
	}
	return CW_EVENT_ERR_FIELD;
}

/* A sub-message: absent, null, or an object. */
static enum cw_event_error dobj(const json_t *o, const char *k, const json_t **out)
{
	const json_t *v = json_object_get(o, k);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return CW_EVENT_OK;
	if (!json_is_object(v))
		return CW_EVENT_ERR_FIELD;
	*out = v;
	return CW_EVENT_OK;
}

static enum cw_event_error jd_peer_reason(const json_t *o, struct cw_event *ev)
{
	const json_t *p, *r, *a;
	unsigned e;

	TRY(dobj(o, "peer", &p));
	if (p != NULL) {
		ev->has_peer = true;
		TRY(dstr(p, "router", ev->peer.router));
		TRY(dstr(p, "address", ev->peer.address));
		TRY(du32(p, "asn", &ev->peer.asn));
		TRY(denum(p, "source", &e_src, &e));
		ev->peer.source = (enum cw_event_source)e;
		TRY(dstr(p, "rd", ev->peer.rd));
	}
	TRY(dobj(o, "reason", &r));
	if (r != NULL) {
		ev->has_reason = true;
		TRY(denum(r, "kind", &e_reason, &e));
		ev->reason.kind = (enum cw_reason_kind)e;
		TRY(du32(r, "notificationCode", &ev->reason.notif_code));
		TRY(du32(r, "notificationSubcode", &ev->reason.notif_subcode));
		TRY(du32(r, "bmpPeerDownReason", &ev->reason.bmp_reason));
		TRY(dstr(r, "text", ev->reason.text));
	}
	TRY(dobj(o, "alert", &a));
	if (a != NULL) {
		ev->has_alert = true;
		TRY(dstr(a, "name", ev->alert.name));
		TRY(denum(a, "state", &e_state, &e));
		ev->alert.state = (enum cw_alert_state)e;
		TRY(ddouble(a, "value", &ev->alert.value));
		TRY(ddouble(a, "threshold", &ev->alert.threshold));
	}
	return CW_EVENT_OK;
}

static enum cw_event_error jd_details(const json_t *o, struct cw_event *ev)
{
	const json_t *d, *v;
	const char *k;

	TRY(dobj(o, "details", &d));
	if (d == NULL)
		return CW_EVENT_OK;
	if (json_object_size(d) > CW_EVENT_DETAILS_MAX)
		return CW_EVENT_ERR_DETAILS;
	json_object_foreach((json_t *)d, k, v) {
		if (!json_is_string(v))
			return CW_EVENT_ERR_FIELD;
		if (strlen(k) >= CW_EVENT_TEXT_MAX)
			return CW_EVENT_ERR_STRING;
		cw_event_set(ev->details[ev->ndetails].key, k);
		TRY(dstr(d, k, ev->details[ev->ndetails].value));
		ev->ndetails++;
	}
	return CW_EVENT_OK;
}

static enum cw_event_error jd_detail(const json_t *o, struct cw_event *ev)
{
	const json_t *pl, *wp, *ls;

	TRY(dobj(o, "prefixLimit", &pl));
	TRY(dobj(o, "watchedPrefix", &wp));
	TRY(dobj(o, "loss", &ls));
	/* a oneof: at most one of them (proto3 JSON mapping) */
	if ((pl != NULL) + (wp != NULL) + (ls != NULL) > 1)
		return CW_EVENT_ERR_FIELD;
	if (pl != NULL) {
		ev->detail = CW_DETAIL_PREFIX_LIMIT;
		TRY(du64(pl, "count", &ev->d.prefix_limit.count));
		TRY(du64(pl, "limit", &ev->d.prefix_limit.limit));
	} else if (wp != NULL) {
		ev->detail = CW_DETAIL_WATCHED_PREFIX;
		TRY(dstr(wp, "prefix", ev->d.watched.prefix));
	} else if (ls != NULL) {
		ev->detail = CW_DETAIL_LOSS;
		TRY(du64(ls, "count", &ev->d.loss.count));
		TRY(di64(ls, "firstTimeUnixNano", &ev->d.loss.first_ns));
		TRY(di64(ls, "lastTimeUnixNano", &ev->d.loss.last_ns));
		TRY(dstr(ls, "cause", ev->d.loss.cause));
		TRY(dstr(ls, "reason", ev->d.loss.reason));
	}
	return CW_EVENT_OK;
}

static enum cw_event_error from_json(const json_t *o, struct cw_event *ev)
{
	char id[CW_EVENT_TEXT_MAX] = "";
	unsigned e;

	TRY(dstr(o, "id", id));
	TRY(id_parse(id, ev));
	TRY(di64(o, "timeUnixNano", &ev->time_ns));
	TRY(denum(o, "type", &e_type, &e));
	ev->type = (enum cw_event_type)e;
	TRY(denum(o, "severity", &e_sev, &e));
	ev->severity = (enum cw_severity)e;
	TRY(dstr(o, "circuit", ev->circuit));
	TRY(dstr(o, "link", ev->link));
	TRY(dstr(o, "peering", ev->peering));
	TRY(dstr(o, "message", ev->message));
	TRY(jd_peer_reason(o, ev));
	TRY(jd_details(o, ev));
	return jd_detail(o, ev);
}

enum cw_event_error cw_event_decode_json(const char *buf, size_t len, struct cw_event *ev)
{
	json_error_t jerr;
	json_t *o;
	enum cw_event_error err;

	memset(ev, 0, sizeof(*ev));
	if (len > CW_EVENT_JSON_MAX)
		return CW_EVENT_ERR_TOO_LONG;
	o = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (o == NULL)
		return CW_EVENT_ERR_MALFORMED;
	err = json_is_object(o) ? from_json(o, ev) : CW_EVENT_ERR_MALFORMED;
	json_decref(o);
	if (err != CW_EVENT_OK)
		memset(ev, 0, sizeof(*ev));
	return err;
}
