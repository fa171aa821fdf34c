/* reasm.h — per-direction TCP stream reassembly for the passive BGP/BMP path.
 *
 * Pure: no I/O, no clock, no globals. One struct cap_reasm per direction of a
 * TCP connection; the flow table embeds two of them. Segments go in with
 * cap_reasm_segment(); the consumer (a BGP or BMP framer) reads the
 * contiguous bytes with cap_reasm_data() and releases them with
 * cap_reasm_consume().
 *
 * Sequence numbers are compared with RFC 1982 serial arithmetic (RFC 9293
 * §3.4), so a stream may cross 2^32. Out-of-order data is held in a sorted
 * list of non-overlapping pieces; the first copy of any byte wins (as in most
 * end-host stacks), and differing later copies are counted as conflicts.
 *
 * The struct body is public (unlike most modules) because it is embedded in
 * the flow and the consumer reads after_gap, closed, reset and the counters
 * directly. Everything else in it is private to reasm.c.
 *
 * Memory: data buffered for the consumer plus held out-of-order data (with
 * per-piece overhead) never exceeds max_bytes for one direction, nor the
 * shared budget across all flows. Over a bound, held data is evicted (and the
 * stream jumps forward: a gap); data the consumer has no room for is refused
 * (also a gap). Every byte lost is counted.
 */
#ifndef CW_CAPTURE_REASM_H
#define CW_CAPTURE_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bgp.h"

/* Out-of-order payload held beyond this is given up on: skip to the earliest
 * held segment (a gap). */
#define CAP_REASM_WINDOW (256u * 1024u)
/* Hard cap per direction: consumer buffer capacity + held pieces (+overhead). */
#define CAP_REASM_MAX_BYTES_PER_FLOW (1024u * 1024u)
/* Data starting this far ahead of the next expected byte is not plausible
 * (TCP's largest window, RFC 7323 §2.3, is 2^30) and is dropped, counted. */
#define CAP_REASM_MAX_AHEAD (1u << 30)
/* An empty consumer buffer larger than this is released to the budget. */
#define CAP_REASM_BUF_KEEP (16u * 1024u)
/* Bytes of per-piece bookkeeping charged against the caps. */
#define CAP_REASM_SEG_OVERHEAD 32u

/* Memory budget shared by every reassembler of a capture (single-threaded:
 * the capture loop owns it). used never exceeds cap. */
struct cap_reasm_budget {
	size_t used;
	size_t cap;
	uint64_t evicted_bytes;
};

struct cap_reasm_seg; /* held out-of-order piece, private */

struct cap_reasm_stats {
	uint64_t delivered;         /* bytes released by the consumer (consumed) */
	uint64_t segments;          /* calls to cap_reasm_segment() */
	uint64_t retrans_bytes;     /* bytes before the next expected seq, dropped */
	uint64_t retrans_segments;  /* segments whose every byte was already seen
	                             * (delivered or held): retransmissions; see
	                             * cap_reasm_segment() */
	uint64_t ooo_segments;      /* segments that arrived ahead of a hole */
	uint64_t overlaps;          /* segments overlapping held data */
	uint64_t overlap_conflicts; /* ... whose overlapping bytes differed */
	uint64_t gaps;              /* times the stream jumped over missing data */
	uint64_t gap_bytes;         /* sequence space skipped (includes evicted),
	                             * and buffered bytes dropped at a 2nd gap */
	uint64_t evicted_bytes;     /* held bytes dropped over a memory bound */
	uint64_t refused_bytes;     /* in-order bytes with no room in the buffer */
	uint64_t after_close_bytes; /* data beyond FIN, or after RST: anomaly */
	uint64_t out_of_window;     /* segments absurdly far ahead, dropped */
};

struct cap_reasm {
	/* Read by the consumer. */
	bool after_gap; /* resynchronise (cap_reasm_find_marker) before framing;
	                 * the consumer clears it once resynchronised */
	bool fin_seen;  /* a FIN arrived (maybe ahead of missing data) */
	bool closed;    /* all data up to the FIN is delivered */
	bool reset;     /* an RST arrived; later segments are ignored */
	struct cap_reasm_stats st;
	size_t max_bytes; /* per-direction cap; init sets the constant, tests lower it */
	size_t window;    /* held payload cap; likewise */

	/* Private. */
	uint32_t nxt;     /* next expected sequence number */
	uint8_t last_byte; /* the byte at nxt - 1, when has_last */
	bool has_last;
	uint32_t fin_seq; /* sequence number of the FIN */
	uint8_t *buf;     /* consumer bytes are buf[start, end) */
	size_t buf_cap, start, end;
	bool gap_pending; /* a gap lies gap_mark bytes after start */
	size_t gap_mark;
	struct cap_reasm_seg *held; /* sorted by seq, non-overlapping, all > nxt */
	size_t held_bytes;          /* payload of held pieces */
	size_t mem;                 /* buf_cap + held payload + overhead */
	struct cap_reasm_budget *budget; /* borrowed; may be NULL */
};

/* Sets the budget's cap; used and evicted_bytes start at zero. */
void cap_reasm_budget_init(struct cap_reasm_budget *b, size_t cap);

/* Starts a direction at next_seq: ISN+1 after a SYN, or the first segment's
 * seq when the capture starts mid-session (mid_session=true also sets
 * after_gap, as the first byte is unlikely to start a message). The budget
 * is borrowed and must outlive r; NULL means no shared budget. */
void cap_reasm_init(struct cap_reasm *r, struct cap_reasm_budget *budget, uint32_t next_seq,
                    bool mid_session);

/* Releases everything r holds (and returns it to the budget). r may be NULL;
 * r can be init'ed again afterwards. */
void cap_reasm_clean(struct cap_reasm *r);

/* Feeds one TCP segment (payload only; the FIN/RST flags of the same
 * segment). The data is copied; the caller keeps ownership. Returns 0, or -1
 * when data is NULL with len > 0. Losses (memory, refusal) are not errors:
 * they are counted in r->st.
 *
 * Retransmissions: a segment with data all of whose bytes this direction
 * has already seen (before the next expected byte, or inside held
 * out-of-order pieces) counts in st.retrans_segments. A segment that brings
 * one new byte or more does not: a segment arriving ahead of a hole is
 * reordering, not a retransmission. Not counted either: empty segments,
 * segments after an RST, and a keepalive probe (RFC 9293 §3.8.4): one
 * byte just behind the next expected byte that differs from the byte the
 * stream had there (stacks that send a byte send garbage, usually 0); when
 * it is the same byte it is a retransmission of the last byte — which
 * Wireshark calls a keep-alive. Known limit: bytes skipped over at a gap
 * count as seen, so a very late copy of them counts as a retransmission. */
__attribute__((warn_unused_result)) int cap_reasm_segment(struct cap_reasm *r, uint32_t seq,
                                                          const uint8_t *data, size_t len,
                                                          bool fin, bool rst);

/* Sets *p and *len to the contiguous bytes ready for the consumer (owned by
 * r, valid until the next call that changes r). Returns true when a gap
 * follows these bytes: frame what is complete, cap_reasm_consume() the rest,
 * and after_gap will be set. */
bool cap_reasm_data(const struct cap_reasm *r, const uint8_t **p, size_t *len);

/* Releases the first n ready bytes (n is clamped to what cap_reasm_data()
 * returned). */
void cap_reasm_consume(struct cap_reasm *r, size_t n);

/* Gives up waiting for missing data (on a timeout, FIN or RST): skips to the
 * earliest held segment, or to the FIN when nothing is held. Returns 1 when
 * it skipped, 0 when there was no hole. Call in a loop to drain all. */
int cap_reasm_flush_gap(struct cap_reasm *r);

/* Offset in p[0..n) of the first BGP header: 16 octets of 0xff (RFC 4271
 * §4.1), then a length of 19..65535 (RFC 8654 extended messages) and a type
 * of 1..5. Only complete 19-octet headers match. Returns -1 when none: the
 * consumer may then drop all but the last 18 bytes. */
ptrdiff_t cap_reasm_find_marker(const uint8_t *p, size_t n);

/* Offers the ready bytes to step(arg, p, n), which returns how many it
 * used (0: wait for more), until it waits. Before a gap, bytes it cannot
 * use are given up (an incomplete message is lost; after_gap then asks for
 * a resync). */
void cap_reasm_drain(struct cap_reasm *r, size_t (*step)(void *arg, const uint8_t *p, size_t n),
		     void *arg);

/* One step of framing BGP messages out of a direction's ready bytes
 * p[0..n) (from cap_reasm_data). */
enum cap_bgp_step_kind {
	CAP_STEP_WAIT,    /* nothing usable yet: wait for more bytes */
	CAP_STEP_SKIP,    /* bytes before the next marker were dropped (after a gap) */
	CAP_STEP_MESSAGE, /* p[0..msg_len) is one BGP message (an unknown type
	                   * with a sane length included) */
	CAP_STEP_LOST,    /* the header is bad: one byte dropped, resynchronising */
};

struct cap_bgp_step {
	enum cap_bgp_step_kind kind;
	size_t used;           /* bytes to cap_reasm_consume() */
	size_t msg_len;        /* CAP_STEP_MESSAGE */
	bool resynced;         /* a marker was found after a gap in this step */
	enum bgp_error why;    /* CAP_STEP_LOST */
};

/* After a gap or a mid-session start (r->after_gap) skips to the next BGP
 * marker (RFC 4271 §4.1) first, then frames one message. Every capture
 * consumer (the daemon's source, decode, the benchmark) frames this way. */
void cap_reasm_bgp_step(struct cap_reasm *r, const uint8_t *p, size_t n,
			struct cap_bgp_step *out);

#endif
