/* event.h — what happened, as circuitwatch tells it: the in-memory event
 * (a flat, copyable struct with bounded strings), its construction and the
 * names of its enums. The model, the sources and alerts build events and
 * hand them to the bus (bus.h); their encodings for Kafka (protobuf and
 * JSON) are exporters/kafka/event_codec.h.
 *
 * Ownership: the struct owns nothing (arrays inside).
 */
#ifndef CW_EVENT_H
#define CW_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_EVENT_ID_LEN 16        /* bytes; 32 hex digits in both encodings */
#define CW_EVENT_TEXT_MAX 256     /* every string field, NUL included */
#define CW_EVENT_DETAILS_MAX 16   /* details map entries */

/* Numbers equal the proto enum values (wire compatibility). */
enum cw_event_type {
	CW_EV_UNSPECIFIED = 0,
	CW_EV_BGP_SESSION_UP = 1,
	CW_EV_BGP_SESSION_DOWN = 2,
	CW_EV_PREFIX_LIMIT_APPROACHING = 3,
	CW_EV_PREFIX_LIMIT_EXCEEDED = 4,
	CW_EV_PREFIX_LIMIT_CLEARED = 5,
	CW_EV_WATCHED_PREFIX_WITHDRAWN = 6,
	CW_EV_WATCHED_PREFIX_RESTORED = 7,
	CW_EV_REDUNDANCY_DEGRADED = 8,
	CW_EV_REDUNDANCY_RESTORED = 9,
	CW_EV_LINK_UTILISATION_HIGH = 10,
	CW_EV_LATENCY_HIGH = 11,
	CW_EV_LOSS_HIGH = 12,
	CW_EV_BUDGET_THRESHOLD = 13,
	CW_EV_BUDGET_PROJECTED_OVERRUN = 14,
	CW_EV_SOURCE_PROBLEM = 15,
	CW_EV_ALERT_TRANSITION = 16,
	CW_EV_EVENTS_LOST = 17,
	CW_EV__COUNT
};

enum cw_severity { CW_SEV_UNSPECIFIED, CW_SEV_INFO, CW_SEV_WARNING, CW_SEV_CRITICAL, CW_SEV__COUNT };

enum cw_event_source {
	CW_SRC_UNSPECIFIED, CW_SRC_BMP, CW_SRC_PCAP, CW_SRC_IFSTATS, CW_SRC_PROBES,
	CW_SRC_BILLING, CW_SRC_ALERTS, CW_SRC_EXPORTER, CW_SRC__COUNT
};

enum cw_reason_kind {
	CW_REASON_UNSPECIFIED, CW_REASON_NOTIFICATION, CW_REASON_TCP_CLOSE, CW_REASON_HOLD_TIMER,
	CW_REASON_BMP_PEER_DOWN, CW_REASON_ROUTER_DISCONNECTED, CW_REASON_OTHER, CW_REASON__COUNT
};

enum cw_alert_state {
	CW_ALERT_UNSPECIFIED, CW_ALERT_PENDING, CW_ALERT_FIRING, CW_ALERT_RESOLVED, CW_ALERT__COUNT
};

enum cw_event_detail { CW_DETAIL_NONE, CW_DETAIL_PREFIX_LIMIT, CW_DETAIL_WATCHED_PREFIX,
		       CW_DETAIL_LOSS };

struct cw_event_kv {
	char key[CW_EVENT_TEXT_MAX];
	char value[CW_EVENT_TEXT_MAX];
};

/* One event. Strings are NUL-terminated; "" means not set. */
struct cw_event {
	uint8_t id[CW_EVENT_ID_LEN]; /* all zero until the bus gives it one */
	int64_t time_ns;             /* Unix time, nanoseconds */
	enum cw_event_type type;
	enum cw_severity severity;
	char circuit[CW_EVENT_TEXT_MAX], link[CW_EVENT_TEXT_MAX], peering[CW_EVENT_TEXT_MAX];
	bool has_peer;
	struct {
		char router[CW_EVENT_TEXT_MAX], address[CW_EVENT_TEXT_MAX], rd[CW_EVENT_TEXT_MAX];
		uint32_t asn;
		enum cw_event_source source;
	} peer;
	bool has_reason;
	struct {
		enum cw_reason_kind kind;
		uint32_t notif_code, notif_subcode; /* RFC 4271 §4.5; code 0 = none */
		uint32_t bmp_reason;                /* RFC 7854 §4.9; 0 = none */
		char text[CW_EVENT_TEXT_MAX];
	} reason;
	char message[CW_EVENT_TEXT_MAX];
	size_t ndetails;
	struct cw_event_kv details[CW_EVENT_DETAILS_MAX];
	bool has_alert;
	struct {
		char name[CW_EVENT_TEXT_MAX];
		enum cw_alert_state state;
		double value, threshold;
	} alert;
	enum cw_event_detail detail;
	union {
		struct { uint64_t count, limit; } prefix_limit;
		struct { char prefix[CW_EVENT_TEXT_MAX]; } watched;
		struct {
			uint64_t count;
			int64_t first_ns, last_ns;
			char cause[CW_EVENT_TEXT_MAX];
			char reason[CW_EVENT_TEXT_MAX]; /* field 5: the lost-counter's label */
		} loss;
	} d;
};

/* Zeroes ev and sets type, severity and time. */
void cw_event_init(struct cw_event *ev, enum cw_event_type type, enum cw_severity sev,
		   int64_t time_ns);
/* Copies src into a string field (truncating at CW_EVENT_TEXT_MAX - 1). */
void cw_event_set(char dst[CW_EVENT_TEXT_MAX], const char *src);
/* Adds a details entry; -1 when the map is full. */
int cw_event_add_detail(struct cw_event *ev, const char *key, const char *value)
	__attribute__((warn_unused_result));

/* Static names: proto enum value names without their prefix, lowercase for
 * source/reason/state ("bgp_session_down" is the type's label form). */
const char *cw_event_type_name(enum cw_event_type t);     /* "BGP_SESSION_DOWN" */
const char *cw_severity_name(enum cw_severity s);         /* "CRITICAL" */
const char *cw_event_source_name(enum cw_event_source s); /* "BMP" */
const char *cw_reason_kind_name(enum cw_reason_kind k);   /* "NOTIFICATION" */
const char *cw_alert_state_name(enum cw_alert_state s);   /* "FIRING" */

/* id as 32 lowercase hex digits + NUL. */
void cw_event_id_hex(const struct cw_event *ev, char out[2 * CW_EVENT_ID_LEN + 1]);
/* Whether the event is an alert rule's transition (ALERT_TRANSITION, or any
 * type with the alert part set): it goes to the alerts topic. */
bool cw_event_is_alert(const struct cw_event *ev);

#endif
