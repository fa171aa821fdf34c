/* passive.h — a BGP session inferred from the wire: both directions of one
 * TCP connection, framed into BGP messages, drive a state machine that
 * says what the two speakers agreed and how healthy the session is.
 *
 * Pure: messages and TCP events in, with the capture's timestamps; no
 * sockets, no clock. Side 0 and side 1 are the two TCP endpoints as the
 * caller numbers them (side 0 sent the SYN when it was seen).
 *
 * Ownership: the caller owns the struct (embed it, bgp_passive_init). */
#ifndef CW_BGP_PASSIVE_H
#define CW_BGP_PASSIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bgp.h"

enum bgp_passive_state {
	BGP_PASSIVE_CONNECTED,   /* TCP seen, no OPEN yet */
	BGP_PASSIVE_OPEN_ONE,    /* one side's OPEN seen */
	BGP_PASSIVE_OPEN_BOTH,   /* both OPENs, waiting for the first KEEPALIVE */
	BGP_PASSIVE_ESTABLISHED, /* RFC 4271 §8.2.2: KEEPALIVE after both OPENs */
	BGP_PASSIVE_DOWN,        /* NOTIFICATION, FIN or RST */
};

/* What ended the session (BGP_PASSIVE_DOWN). */
enum bgp_passive_down {
	BGP_PASSIVE_DOWN_NONE,
	BGP_PASSIVE_DOWN_NOTIFICATION,
	BGP_PASSIVE_DOWN_FIN,
	BGP_PASSIVE_DOWN_RST,
};

enum bgp_passive_event {
	BGP_PASSIVE_EV_OPEN,
	BGP_PASSIVE_EV_KEEPALIVE,
	BGP_PASSIVE_EV_UPDATE,
	BGP_PASSIVE_EV_NOTIFICATION,
	BGP_PASSIVE_EV_ROUTE_REFRESH,
	BGP_PASSIVE_EV_FIN,
	BGP_PASSIVE_EV_RST,
};

/* What one side said in its OPEN (numbers only: nothing points into a
 * message buffer, so it outlives the message). */
struct bgp_passive_side {
	bool open_seen;
	uint32_t as;          /* 4-octet AS when advertised, else the OPEN's */
	uint32_t bgp_id;
	uint16_t hold_time;
	struct bgp_open open; /* pointer fields cleared */
	double last_heard;    /* any BGP message from this side */
	double last_keepalive;
	double keepalive_interval; /* between its last two KEEPALIVEs; 0 unknown */
	uint64_t msgs[6];     /* by BGP message type 1..5; [0] other */
};

struct bgp_passive {
	enum bgp_passive_state state;
	struct bgp_passive_side side[2];
	uint16_t hold_time;          /* negotiated: the smaller (RFC 4271 §4.2) */
	struct bgp_decode_ctx ctx[2]; /* how to decode UPDATEs sent by side i */
	double established_at;
	double down_at;
	enum bgp_passive_down down_cause;
	const char *down_reason;     /* its name: "notification", "fin", "rst"; static */
	int notif_code, notif_subcode; /* -1 when no NOTIFICATION */
	int notif_side;
	uint64_t state_changes;      /* to and from established */
};

void bgp_passive_init(struct bgp_passive *s);

/* The state machine: one function over (state, event). dir is the side
 * the event came from. Returns the new state. */
enum bgp_passive_state bgp_passive_event(struct bgp_passive *s, enum bgp_passive_event ev,
					 int dir, double now);

/* Feeds one framed BGP message from side dir at time now: decodes what
 * the state needs (OPEN, NOTIFICATION) and runs the event. Returns the
 * message type, or -1 when the message is not a BGP message at all. */
int bgp_passive_message(struct bgp_passive *s, int dir, const uint8_t *msg, size_t len,
			double now);

/* Hold-timer risk of side dir at time now: seconds since it was last
 * heard over the negotiated hold time (1.0 means the hold timer of its
 * peer has expired). 0 when no hold time is known or it is 0 (RFC 4271
 * §4.2: keepalives off). */
double bgp_passive_hold_risk(const struct bgp_passive *s, int dir, double now);

const char *bgp_passive_state_name(enum bgp_passive_state st);

#endif
