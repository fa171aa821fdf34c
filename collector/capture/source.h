/* source.h — the per-packet pipeline of passive capture, for one input (an
 * interface or a capture file): frame decode → per-VLAN accounting → TCP
 * flows of the BGP port → reassembly → BGP framing (resynchronised on the
 * marker after gaps and mid-session starts) → the inferred session
 * (passive.h) → the model: each TCP side is a peer of the router
 * ("pcap", name), its UPDATEs go into its Adj-RIB-In pre-policy view, and
 * what our router sends (the side that is not a configured neighbour,
 * talking to one that is) also into the Adj-RIB-Out pre-policy view of the
 * neighbour.
 *
 * No libpcap, no clock: packets come in with their capture time, so this
 * is unit-tested over generated captures. The libpcap/libuv edge is
 * capture_source.c.
 *
 * Ownership: the caller owns the source (cap_source_new/free); it borrows
 * the model, which must outlive it, and reads the config at start only.
 */
#ifndef CW_CAPTURE_SOURCE_H
#define CW_CAPTURE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

struct cfg_config;
struct model;
struct vlan_acct;
struct cap_source;

struct cap_source_stats {
	uint64_t packets;                            /* frames seen */
	uint64_t decode_errors[CAP_FRAME_ERROR_COUNT]; /* by cap_frame_error */
	uint64_t bgp_segments;                       /* TCP segments to/from the BGP port */
	uint64_t bgp_messages;                       /* framed BGP messages */
	uint64_t resyncs;                            /* found the marker after a gap */
	uint64_t framing_lost;                       /* bad BGP header: resynchronised */
	uint64_t gaps;                               /* reassembly holes skipped */
	uint64_t gap_bytes;
	uint64_t evicted_bytes;                      /* over the memory budget */
	uint64_t flows;                              /* TCP connections followed */
	uint64_t flows_evicted;                      /* table full: least recently used */
	uint64_t flows_expired;                      /* idle */
	uint64_t sessions_up;                        /* established now */
	double last_ts;                              /* capture time of the last frame,
	                                              * or the last cap_source_expire() */
};

/* One side of an established session, for per-peer gauges. */
struct cap_source_peer {
	uint8_t family;            /* 4 or 6 */
	uint8_t addr[16];          /* network order; IPv4 in the first 4 bytes */
	uint32_t as;               /* from its OPEN; 0 when none was seen */
	double hold_risk;          /* bgp_passive_hold_risk() of this side */
	double keepalive_interval; /* seconds between its last two KEEPALIVEs; 0 unknown */
	/* TCP health of its connection (see struct cap_source_session). */
	uint64_t retransmissions;  /* data segments it sent again */
	uint64_t zero_windows;     /* segments it sent advertising window 0 */
	double handshake_rtt;      /* the connection's SYN to ACK seconds; -1 unknown */
};

/* One side of a connection on the BGP port, for summaries. */
struct cap_source_side {
	uint8_t addr[16];      /* network order; IPv4 in the first 4 bytes */
	uint16_t port;
	bool open_seen;        /* the fields below from its OPEN */
	uint32_t as, bgp_id;
	uint16_t hold_time;
	uint64_t msgs[6];      /* BGP messages it sent by type 1..5; [0] other */
	uint64_t retransmissions; /* data segments whose bytes were all seen
	                           * already (reasm.h) */
	uint64_t zero_windows;    /* its segments advertising window 0 */
	/* Its Adj-RIB-In (pre-policy) in the model, IPv4 and IPv6 unicast:
	 * only while this connection is the one that brought the peer up (a
	 * session that went down has withdrawn its routes, RFC 4271 §8). */
	bool has_prefixes;
	size_t prefixes[2];
};

/* A connection on the BGP port and the BGP session inferred from it. Side
 * 0 sent the SYN when it was seen, else the first segment. */
struct cap_source_session {
	uint8_t family;            /* 4 or 6 */
	struct cap_source_side side[2];
	const char *state;         /* bgp_passive_state_name(); static */
	uint64_t state_changes;    /* to and from established */
	const char *down_reason;   /* "notification", "fin", "rst"; NULL unless down */
	int notif_code, notif_subcode; /* -1 without a NOTIFICATION */
	uint16_t hold_time;        /* negotiated; 0 unknown or none */
	bool mid_session;          /* the capture began after its SYN */
	double first_seen, last_seen;
	/* The three-way handshake at the capture point (cap_flow_handshake_rtt):
	 * all -1 when it was not seen whole. */
	double handshake_rtt, syn_synack, synack_ack;
};

typedef void (*cap_source_session_fn)(const struct cap_source_session *ss, void *arg);

/* A source named name (interface name, or the file's basename: the model
 * router's address and the VLAN counters' interface) decoding frames of
 * the given link type. Reads cfg->capture (bgp_port, max_flows,
 * max_reassembly_bytes, local_macs, local_prefixes) at start only (cfg
 * need not outlive the call). Whether an endpoint is a configured
 * neighbour (the other side is our router) is looked up, for each new
 * connection, in the circuit index the model maps peers with
 * (model_circuit_index), so a reload applies to new connections. NULL when
 * out of memory or cfg is NULL. */
struct cap_source *cap_source_new(struct model *m, const struct cfg_config *cfg,
				  const char *name, int linktype);
/* Frees the source without changing the model (its peers keep their last
 * state, as after the end of a file). Takes NULL. */
void cap_source_free(struct cap_source *s);

/* One captured frame: pkt[0..caplen) of a wirelen-byte frame at capture
 * time ts (seconds since the epoch). Never fails: what cannot be decoded
 * is counted. */
void cap_source_packet(struct cap_source *s, double ts, const uint8_t *pkt, size_t caplen,
		       size_t wirelen);

/* End of input: gives up on missing data and frames what was held behind
 * it, for every connection still followed (sessions keep their state). */
void cap_source_finish(struct cap_source *s);

/* Drops connections idle since before now - the idle timeout (a live
 * capture with no traffic at all still expires them: call it on a timer
 * with the wall clock). */
void cap_source_expire(struct cap_source *s, double now);

/* Calls fn for both sides of every established session, with the hold
 * risk at now (a live capture's wall clock, or a file's last_ts). The
 * struct is valid during the call only. */
void cap_source_foreach_peer(struct cap_source *s, double now,
			     void (*fn)(const struct cap_source_peer *p, void *arg), void *arg);

/* Calls fn for every connection still followed (the struct is valid
 * during the call only). */
void cap_source_foreach_session(struct cap_source *s, cap_source_session_fn fn, void *arg);

/* fn (may be NULL) gets the final summary of each connection the source
 * stops following: on expiry, on eviction and at cap_source_free, before
 * the source lets go of its model peers (so the prefix counts are those
 * of the end). */
void cap_source_on_session_end(struct cap_source *s, cap_source_session_fn fn, void *arg);

/* Counters so far (a copy). */
struct cap_source_stats cap_source_stats(const struct cap_source *s);
/* Bytes its TCP reassembly holds now (the shared budget's use), O(1). */
size_t cap_source_reasm_bytes(const struct cap_source *s);
const char *cap_source_name(const struct cap_source *s);
/* The per-VLAN counters (owned by s). */
const struct vlan_acct *cap_source_vlans(const struct cap_source *s);

#endif
