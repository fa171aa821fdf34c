/* event.c — the event struct: construction, names, the id (its protobuf
 * and JSON encodings are exporters/kafka/event_codec.c). */
#include "event.h"

#include <string.h>

/* ---- names ---- */

static const char *const type_names[CW_EV__COUNT] = {
	"UNSPECIFIED", "BGP_SESSION_UP", "BGP_SESSION_DOWN", "PREFIX_LIMIT_APPROACHING",
	"PREFIX_LIMIT_EXCEEDED", "PREFIX_LIMIT_CLEARED", "WATCHED_PREFIX_WITHDRAWN",
	"WATCHED_PREFIX_RESTORED", "REDUNDANCY_DEGRADED", "REDUNDANCY_RESTORED",
	"LINK_UTILISATION_HIGH", "LATENCY_HIGH", "LOSS_HIGH", "BUDGET_THRESHOLD",
	"BUDGET_PROJECTED_OVERRUN", "SOURCE_PROBLEM", "ALERT_TRANSITION", "EVENTS_LOST"};
static const char *const sev_names[CW_SEV__COUNT] = {"UNSPECIFIED", "INFO", "WARNING",
						     "CRITICAL"};
static const char *const src_names[CW_SRC__COUNT] = {
	"UNSPECIFIED", "BMP", "PCAP", "IFSTATS", "PROBES", "BILLING", "ALERTS", "EXPORTER"};
static const char *const reason_names[CW_REASON__COUNT] = {
	"UNSPECIFIED", "NOTIFICATION", "TCP_CLOSE", "HOLD_TIMER", "BMP_PEER_DOWN",
	"ROUTER_DISCONNECTED", "OTHER"};
static const char *const state_names[CW_ALERT__COUNT] = {"UNSPECIFIED", "PENDING", "FIRING",
							 "RESOLVED"};

/* An enum's value names without their proto prefix (the codecs in
 * exporters/kafka/event_codec.c add it). */
struct enum_def {
	const char *const *names;
	unsigned count;
};

static const struct enum_def e_type = {type_names, CW_EV__COUNT};
static const struct enum_def e_sev = {sev_names, CW_SEV__COUNT};
static const struct enum_def e_src = {src_names, CW_SRC__COUNT};
static const struct enum_def e_reason = {reason_names, CW_REASON__COUNT};
static const struct enum_def e_state = {state_names, CW_ALERT__COUNT};

static const char *enum_name(const struct enum_def *d, unsigned v)
{
	return v < d->count ? d->names[v] : "UNKNOWN";
}

const char *cw_event_type_name(enum cw_event_type t) { return enum_name(&e_type, t); }
const char *cw_severity_name(enum cw_severity s) { return enum_name(&e_sev, s); }
const char *cw_event_source_name(enum cw_event_source s) { return enum_name(&e_src, s); }
const char *cw_reason_kind_name(enum cw_reason_kind k) { return enum_name(&e_reason, k); }
const char *cw_alert_state_name(enum cw_alert_state s) { return enum_name(&e_state, s); }

/* ---- construction ---- */

void cw_event_init(struct cw_event *ev, enum cw_event_type type, enum cw_severity sev,
		   int64_t time_ns)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->severity = sev;
	ev->time_ns = time_ns;
}

void cw_event_set(char dst[CW_EVENT_TEXT_MAX], const char *src)
{
	/* strncpy pads with NULs: equal events compare equal byte for byte */
	strncpy(dst, src != NULL ? src : "", CW_EVENT_TEXT_MAX - 1);
	dst[CW_EVENT_TEXT_MAX - 1] = '\0';
}

int cw_event_add_detail(struct cw_event *ev, const char *key, const char *value)
{
	if (ev->ndetails >= CW_EVENT_DETAILS_MAX)
		return -1;
	cw_event_set(ev->details[ev->ndetails].key, key);
	cw_event_set(ev->details[ev->ndetails].value, value);
	ev->ndetails++;
	return 0;
}

void cw_event_id_hex(const struct cw_event *ev, char out[2 * CW_EVENT_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < CW_EVENT_ID_LEN; i++) {
		out[2 * i] = hex[ev->id[i] >> 4];
		out[2 * i + 1] = hex[ev->id[i] & 15];
	}
	out[2 * CW_EVENT_ID_LEN] = '\0';
}

bool cw_event_is_alert(const struct cw_event *ev)
{
	/* an alert rule's transition, whatever event type its rule gives it */
	return ev->type == CW_EV_ALERT_TRANSITION || ev->has_alert;
}
