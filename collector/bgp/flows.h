/* flows.h — bounded TCP flow table for the passive BGP/BMP path.
 *
 * Pure: no I/O, no clock (times are the capture's, passed in). A flow is one
 * TCP connection, keyed by its normalized 4-tuple (+ address family), so both
 * directions map to the same flow. Each flow embeds two reassemblers
 * (reasm.h), one per direction: side 0 is the SYN sender when the SYN was
 * seen, else the sender of the first packet; a direction is started lazily by
 * its first segment (cap_flow_reasm). All reassemblers of a table share one
 * memory budget.
 *
 * Bounds: at most max_flows flows (CAP_FLOWS_MAX by default); creating one
 * more evicts the least recently used flow (counted in evicted_lru). Flows idle
 * for longer than the idle timeout go with cap_flows_expire() (counted in
 * expired). Before a flow is removed (eviction, expiry, cap_flows_free), the
 * table calls the owner's on_remove callback, which may still read the
 * reassemblers and must release what flow->user holds.
 *
 * Ownership: the table owns its flows; a struct cap_flow pointer is valid
 * until the flow is removed. flow->user belongs to the caller.
 */
#ifndef CW_CAPTURE_FLOWS_H
#define CW_CAPTURE_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reasm.h"

#define CAP_FLOWS_MUST_CHECK __attribute__((warn_unused_result))

/* Hard cap on flows in one table. */
#define CAP_FLOWS_MAX 65536u
/* Memory shared by every reassembler of a table. */
#define CAP_FLOWS_BUDGET (512u * 1024u * 1024u)
/* A flow with no packet for this long (seconds) is expired. */
#define CAP_FLOWS_IDLE_TIMEOUT 600.0

/* One endpoint: family 4 uses addr[0..3]; addresses in network order. */
struct cap_endpoint {
	uint8_t addr[16];
	uint16_t port;
};

struct cap_flow_node; /* private: hash and LRU links */

/* TCP health of one connection seen from the capture point (the
 * retransmissions are the reassemblers' st.retrans_segments). Times are
 * capture times in seconds; 0 until seen. */
struct cap_flow_tcp {
	uint64_t zero_windows[2]; /* segments from side i advertising window 0 */
	double syn_ts;            /* the last SYN of side 0 before the SYN-ACK */
	double synack_ts;         /* side 1's SYN-ACK answering it */
	double ack_ts;            /* side 0's ACK of the SYN-ACK: handshake done */
	uint32_t synack_seq;      /* side 1's ISN, to recognise that ACK */
	bool syn_seen, synack_seen, handshake_done;
};

struct cap_flow {
	uint8_t family;               /* 4 or 6 */
	struct cap_endpoint end[2];   /* end[i] is side i */
	struct cap_reasm dir[2];      /* dir[i]: the bytes side i sends */
	bool dir_started[2];          /* dir[i] was initialised */
	bool mid_session[2];          /* ... without a SYN (after_gap set) */
	double first_seen, last_seen; /* capture time, seconds */
	struct cap_flow_tcp tcp;      /* cap_flow_tcp_seen() */
	void *user;                   /* the caller's per-flow state */
};

struct cap_flows_stats {
	uint64_t created;
	uint64_t evicted_lru; /* removed to make room (table full) */
	uint64_t expired;     /* removed by cap_flows_expire() */
};

struct cap_flows;

/* Called before a flow is removed; arg is the one given to cap_flows_new. */
typedef void (*cap_flows_remove_fn)(struct cap_flow *f, void *arg);

/* A table of at most max_flows flows (0: CAP_FLOWS_MAX) sharing budget_bytes
 * (0: CAP_FLOWS_BUDGET), expiring after idle_timeout seconds (<= 0:
 * CAP_FLOWS_IDLE_TIMEOUT). on_remove may be NULL. NULL when out of memory. */
struct cap_flows *cap_flows_new(size_t max_flows, size_t budget_bytes, double idle_timeout,
				cap_flows_remove_fn on_remove, void *arg);

/* Removes every flow (on_remove called for each) and frees t; takes NULL. */
void cap_flows_free(struct cap_flows *t);

/* The flow of a segment from src to dst (family 4 or 6), created when new
 * (tcp_flags: CAP_TCP_* of the segment, for the side rule); *side is the
 * sender's side. Marks the flow used at now. NULL on bad arguments or out of
 * memory. The returned flow is owned by t. */
CAP_FLOWS_MUST_CHECK struct cap_flow *cap_flows_get(struct cap_flows *t, uint8_t family,
						    const struct cap_endpoint *src,
						    const struct cap_endpoint *dst,
						    uint8_t tcp_flags, double now, int *side);

/* The reassembler of side's direction, started at this segment when it is
 * the first of the direction: after a SYN at seq+1, else at seq as a
 * mid-session start. Owned by f. */
struct cap_reasm *cap_flow_reasm(struct cap_flows *t, struct cap_flow *f, int side,
				 uint32_t seq, bool syn);

/* Notes the TCP header of a segment side sent at now (flags CAP_TCP_*,
 * the raw window) for the connection's health: zero windows and the
 * three-way handshake's timing (RFC 9293 §3.5). */
void cap_flow_tcp_seen(struct cap_flow *f, int side, uint8_t flags, uint32_t seq, uint32_t ack,
		       uint16_t window, double now);

/* Handshake timing as the capture point saw it, in seconds: *syn_synack
 * (SYN to SYN-ACK: the round trip from the capture point to side 1 and
 * back), *synack_ack (SYN-ACK to ACK: the same towards side 0); returns
 * their sum, the SYN to ACK time, which is the connection's round-trip
 * time wherever the capture point is. -1 (and both legs -1) when the
 * handshake was not seen whole. */
double cap_flow_handshake_rtt(const struct cap_flow *f, double *syn_synack, double *synack_ack);

/* Removes the flows last used before now - idle timeout; returns how many. */
size_t cap_flows_expire(struct cap_flows *t, double now);

/* Removes one flow now (e.g. after both directions closed). */
void cap_flows_remove(struct cap_flows *t, struct cap_flow *f);

size_t cap_flows_count(const struct cap_flows *t);
struct cap_flows_stats cap_flows_stats(const struct cap_flows *t);
/* The shared budget (read-only view, owned by t). */
const struct cap_reasm_budget *cap_flows_budget(const struct cap_flows *t);

/* Calls fn for every flow, most recently used first. fn must not add or
 * remove flows. */
void cap_flows_foreach(struct cap_flows *t, void (*fn)(struct cap_flow *f, void *arg), void *arg);

#endif
