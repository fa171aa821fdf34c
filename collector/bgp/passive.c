/* passive.c — the inferred BGP session state machine. */
#include "passive.h"

#include <string.h>

#include "negotiate.h"

void bgp_passive_init(struct bgp_passive *s)
{
	memset(s, 0, sizeof(*s));
	s->state = BGP_PASSIVE_CONNECTED;
	s->notif_code = -1;
	s->notif_side = -1;
	bgp_ctx_init(&s->ctx[0]);
	bgp_ctx_init(&s->ctx[1]);
}

const char *bgp_passive_state_name(enum bgp_passive_state st)
{
	static const char *const names[] = {"connected", "open-one", "open-both", "established",
					    "down"};

	return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "unknown";
}

/* Both OPENs known: the hold time and how each side's UPDATEs decode. */
static void negotiate(struct bgp_passive *s)
{
	uint16_t a = s->side[0].hold_time, b = s->side[1].hold_time;

	/* RFC 4271 §4.2: the smaller of the two; 0 on either side means none */
	s->hold_time = a < b ? a : b;
	bgp_negotiate_both(&s->side[0].open, &s->side[1].open, &s->ctx[0], &s->ctx[1]);
}

static enum bgp_passive_state go_down(struct bgp_passive *s, enum bgp_passive_down why,
				      double now)
{
	static const char *const names[] = {NULL, "notification", "fin", "rst"};

	if (s->state == BGP_PASSIVE_ESTABLISHED)
		s->state_changes++;
	s->down_cause = why;
	s->down_reason = names[why];
	s->down_at = now;
	return BGP_PASSIVE_DOWN;
}

static enum bgp_passive_state go_established(struct bgp_passive *s, double now)
{
	s->state_changes++;
	s->established_at = now;
	return BGP_PASSIVE_ESTABLISHED;
}

enum bgp_passive_state bgp_passive_event(struct bgp_passive *s, enum bgp_passive_event ev,
					 int dir, double now)
{
	enum bgp_passive_state st = s->state;
	bool both = s->side[0].open_seen && s->side[1].open_seen;

	(void)dir;
	if (st == BGP_PASSIVE_DOWN)
		return st; /* a new TCP connection is a new session */
	switch (ev) {
	case BGP_PASSIVE_EV_NOTIFICATION:
		st = go_down(s, BGP_PASSIVE_DOWN_NOTIFICATION, now);
		break;
	case BGP_PASSIVE_EV_FIN:
		st = go_down(s, BGP_PASSIVE_DOWN_FIN, now);
		break;
	case BGP_PASSIVE_EV_RST:
		st = go_down(s, BGP_PASSIVE_DOWN_RST, now);
		break;
	case BGP_PASSIVE_EV_OPEN:
		if (st != BGP_PASSIVE_ESTABLISHED)
			st = both ? BGP_PASSIVE_OPEN_BOTH : BGP_PASSIVE_OPEN_ONE;
		if (both)
			negotiate(s);
		break;
	case BGP_PASSIVE_EV_KEEPALIVE:
	case BGP_PASSIVE_EV_UPDATE:
	case BGP_PASSIVE_EV_ROUTE_REFRESH:
		/* RFC 4271 §8.2.2: OpenConfirm → Established on KEEPALIVE. With no
		 * OPEN at all the capture began mid-session: it is established. */
		if (st == BGP_PASSIVE_OPEN_BOTH ||
		    (st == BGP_PASSIVE_CONNECTED && !s->side[0].open_seen && !s->side[1].open_seen))
			st = go_established(s, now);
		break;
	}
	s->state = st;
	return st;
}

/* Keeps the numbers of an OPEN; drops what points into the message. */
static void keep_open(struct bgp_passive_side *sd, const struct bgp_open *o)
{
	sd->open = *o;
	bgp_open_detach(&sd->open);
	sd->open_seen = true;
	sd->as = o->has_as4 ? o->as4 : o->my_as;
	sd->bgp_id = o->bgp_id;
	sd->hold_time = o->hold_time;
}

static void on_keepalive(struct bgp_passive_side *sd, double now)
{
	if (sd->last_keepalive > 0)
		sd->keepalive_interval = now - sd->last_keepalive;
	sd->last_keepalive = now;
}

int bgp_passive_message(struct bgp_passive *s, int dir, const uint8_t *msg, size_t len,
			double now)
{
	struct bgp_passive_side *sd = &s->side[dir & 1];
	struct wire_reader body;
	struct bgp_open open;
	struct bgp_notification n;
	enum bgp_error why;
	uint8_t type;

	if (bgp_msg_header(msg, len, &type, &body, &why) != 0)
		return -1;
	sd->msgs[type <= 5 ? type : 0]++;
	sd->last_heard = now;
	switch (type) {
	case BGP_MSG_OPEN:
		/* a malformed OPEN still tells what it could; the peer's
		 * NOTIFICATION, if any, ends the session */
		(void)!bgp_open_decode(msg, len, &open);
		keep_open(sd, &open);
		bgp_passive_event(s, BGP_PASSIVE_EV_OPEN, dir, now);
		break;
	case BGP_MSG_KEEPALIVE:
		on_keepalive(sd, now);
		bgp_passive_event(s, BGP_PASSIVE_EV_KEEPALIVE, dir, now);
		break;
	case BGP_MSG_UPDATE:
		bgp_passive_event(s, BGP_PASSIVE_EV_UPDATE, dir, now);
		break;
	case BGP_MSG_NOTIFICATION:
		if (bgp_notification_decode(msg, len, &n) == 0) {
			s->notif_code = n.code;
			s->notif_subcode = n.subcode;
		}
		s->notif_side = dir & 1;
		bgp_passive_event(s, BGP_PASSIVE_EV_NOTIFICATION, dir, now);
		break;
	case BGP_MSG_ROUTE_REFRESH:
		bgp_passive_event(s, BGP_PASSIVE_EV_ROUTE_REFRESH, dir, now);
		break;
	default:
		break;
	}
	return type;
}

double bgp_passive_hold_risk(const struct bgp_passive *s, int dir, double now)
{
	const struct bgp_passive_side *sd = &s->side[dir & 1];

	if (s->hold_time == 0 || sd->last_heard <= 0 || s->state == BGP_PASSIVE_DOWN)
		return 0;
	return (now - sd->last_heard) / (double)s->hold_time;
}
