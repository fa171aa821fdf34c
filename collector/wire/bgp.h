/* bgp.h — pure BGP-4 message codec (RFC 4271 and extensions).
 *
 * Framing, OPEN with capabilities, UPDATE with path attributes and NLRI,
 * NOTIFICATION, KEEPALIVE and ROUTE-REFRESH. Every decoder works over a
 * caller's buffer through the bounds-checked reader (reader.h); nothing
 * here allocates, does I/O or keeps state between calls.
 *
 * Ownership: every pointer and every wire_reader stored in a decoded
 * struct (struct bgp_open, struct bgp_update, ...) points into the
 * message buffer the caller passed in and is valid exactly as long as that
 * buffer is. Decoded structs are plain values: the caller owns them and
 * may put them on the stack; there is nothing to free.
 *
 * Malformed UPDATEs follow RFC 7606: the decoder does not stop at the
 * first problem but records every reason it hit (a bitmask of enum
 * bgp_error, for per-peer counters) and the most severe outcome (enum
 * bgp_update_outcome) the caller must apply.
 */
#ifndef CW_WIRE_BGP_H
#define CW_WIRE_BGP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader.h"

#define BGP_MUST_CHECK __attribute__((warn_unused_result))

/* RFC 4271 §4.1; RFC 8654 §2 raises the maximum to 65535 for every type
 * except OPEN and KEEPALIVE once both sides advertised the capability. */
#define BGP_HEADER_LEN 19
#define BGP_MARKER_LEN 16
#define BGP_MAX_MSG_LEN 4096
#define BGP_MAX_EXT_MSG_LEN 65535

#define BGP_AS_TRANS 23456u /* RFC 6793 §9 */

/* Caps on the caller-visible arrays; entries beyond them are counted in
 * the struct's overflow field (and in BGP_ERR_CAP_OVERFLOW /
 * BGP_ERR_UNKNOWN_ATTR_OVERFLOW), never written. */
#define BGP_OPEN_MAX_MP 32
#define BGP_OPEN_MAX_ADDPATH 32
#define BGP_OPEN_MAX_GR 32
#define BGP_OPEN_MAX_OPAQUE 32
#define BGP_CTX_MAX_ADDPATH 32
#define BGP_UPDATE_MAX_UNKNOWN 16

/* Address families (IANA). */
#define BGP_AFI_IPV4 1
#define BGP_AFI_IPV6 2
#define BGP_SAFI_UNICAST 1
#define BGP_SAFI_MULTICAST 2
#define BGP_SAFI_LABELED 4
#define BGP_SAFI_VPN 128

enum bgp_msg_type {
	BGP_MSG_OPEN = 1,
	BGP_MSG_UPDATE = 2,
	BGP_MSG_NOTIFICATION = 3,
	BGP_MSG_KEEPALIVE = 4,
	BGP_MSG_ROUTE_REFRESH = 5,
};

/* Path attribute type codes decoded here (IANA registry). */
enum bgp_attr_type {
	BGP_ATTR_ORIGIN = 1,
	BGP_ATTR_AS_PATH = 2,
	BGP_ATTR_NEXT_HOP = 3,
	BGP_ATTR_MED = 4,
	BGP_ATTR_LOCAL_PREF = 5,
	BGP_ATTR_ATOMIC_AGGREGATE = 6,
	BGP_ATTR_AGGREGATOR = 7,
	BGP_ATTR_COMMUNITIES = 8,
	BGP_ATTR_ORIGINATOR_ID = 9,
	BGP_ATTR_CLUSTER_LIST = 10,
	BGP_ATTR_MP_REACH_NLRI = 14,
	BGP_ATTR_MP_UNREACH_NLRI = 15,
	BGP_ATTR_EXT_COMMUNITIES = 16,
	BGP_ATTR_AS4_PATH = 17,
	BGP_ATTR_AS4_AGGREGATOR = 18,
	BGP_ATTR_LARGE_COMMUNITY = 32,
};

#define BGP_ATTR_FLAG_OPTIONAL 0x80
#define BGP_ATTR_FLAG_TRANSITIVE 0x40
#define BGP_ATTR_FLAG_PARTIAL 0x20
#define BGP_ATTR_FLAG_EXTENDED 0x10

/* AS_PATH segment types (RFC 4271 §4.3, RFC 5065 §3). */
enum bgp_as_seg_type {
	BGP_AS_SET = 1,
	BGP_AS_SEQUENCE = 2,
	BGP_AS_CONFED_SEQUENCE = 3,
	BGP_AS_CONFED_SET = 4,
};

/* Capability codes decoded here (IANA registry). */
enum bgp_cap_code {
	BGP_CAP_MP = 1,
	BGP_CAP_ROUTE_REFRESH = 2,
	BGP_CAP_EXT_NEXT_HOP = 5,
	BGP_CAP_EXT_MESSAGE = 6,
	BGP_CAP_GRACEFUL_RESTART = 64,
	BGP_CAP_AS4 = 65,
	BGP_CAP_ADD_PATH = 69,
	BGP_CAP_ENHANCED_RR = 70,
	BGP_CAP_LLGR = 71,
	BGP_CAP_FQDN = 73,
};

/* Every reason a decoder can complain about. The names
 * (bgp_error_reason_name) are stable snake_case metric labels; the values
 * are bit positions in the uint64_t `errors` masks below. */
enum bgp_error {
	BGP_ERR_NONE = 0,
	BGP_ERR_MARKER,		     /* marker is not 16 x 0xff */
	BGP_ERR_MSG_LENGTH,	     /* header length < 19, > max, below type minimum */
	BGP_ERR_MSG_TYPE,	     /* unknown message type, or not the one expected */
	BGP_ERR_TRAILING_BYTES,	     /* bytes after a section that should have ended */
	BGP_ERR_TRUNCATED,	     /* a fixed field runs past its section */
	BGP_ERR_OPEN_VERSION,	     /* OPEN version != 4 */
	BGP_ERR_OPEN_HOLD_TIME,	     /* hold time 1 or 2 (RFC 4271 §6.2) */
	BGP_ERR_OPEN_PARAMS_LENGTH,  /* optional parameters overrun */
	BGP_ERR_OPEN_UNKNOWN_PARAM,  /* optional parameter other than capabilities */
	BGP_ERR_CAP_LENGTH,	     /* capability overruns or has the wrong size */
	BGP_ERR_CAP_OVERFLOW,	     /* more capability entries than the arrays hold */
	BGP_ERR_WITHDRAWN_LENGTH,    /* withdrawn routes length beyond the message */
	BGP_ERR_ATTRS_LENGTH,	     /* total path attribute length beyond the message */
	BGP_ERR_ATTR_OVERRUN,	     /* an attribute overruns the attribute block */
	BGP_ERR_ATTR_FLAGS,	     /* optional/transitive bits conflict with the type */
	BGP_ERR_ATTR_LENGTH,	     /* attribute length wrong for its type */
	BGP_ERR_DUPLICATE_ATTR,	     /* attribute repeated (later copies discarded) */
	BGP_ERR_DUPLICATE_MP_ATTR,   /* MP_REACH/MP_UNREACH repeated */
	BGP_ERR_MISSING_MANDATORY,   /* ORIGIN/AS_PATH/NEXT_HOP missing with NLRI */
	BGP_ERR_UNRECOGNIZED_WELLKNOWN, /* unknown attribute without the optional bit */
	BGP_ERR_BAD_ORIGIN,	     /* ORIGIN value not 0..2 */
	BGP_ERR_BAD_AS_PATH,	     /* AS_PATH segment malformed */
	BGP_ERR_BAD_AS4_PATH,	     /* AS4_PATH malformed (discarded) */
	BGP_ERR_MP_REACH_LENGTH,     /* MP_REACH_NLRI too short for its fixed fields */
	BGP_ERR_MP_UNREACH_LENGTH,   /* MP_UNREACH_NLRI too short for AFI/SAFI */
	BGP_ERR_MP_NEXT_HOP_LENGTH,  /* MP_REACH next hop overruns or wrong size */
	BGP_ERR_NLRI_LENGTH,	     /* prefix length > 32 (IPv4) / 128 (IPv6) */
	BGP_ERR_NLRI_OVERRUN,	     /* prefix bytes run past the NLRI field */
	BGP_ERR_UNKNOWN_ATTR_OVERFLOW, /* more unknown attributes than kept */
	BGP_ERR_SHUTDOWN_COMM,	     /* RFC 9003 shutdown communication overruns */
	BGP_ERR_ROUTE_REFRESH_LENGTH, /* BoRR/EoRR not exactly 23 bytes (RFC 7313 §5) */
	BGP_ERR_ROUTE_REFRESH_SUBTYPE, /* unknown ROUTE-REFRESH subtype */
	BGP_ERR__COUNT
};

/* Stable snake_case name ("attr_length"); "unknown" when out of range.
 * Returns a static string. */
const char *bgp_error_reason_name(enum bgp_error reason);

/* ------------------------------------------------------------------ */
/* Framing                                                            */

enum bgp_frame_status {
	BGP_FRAME_ERROR = -1,
	BGP_FRAME_COMPLETE = 0,
	BGP_FRAME_NEED_MORE = 1,
};

/* Looks at the start of buf (a byte stream) for one BGP message.
 * COMPLETE: *msg_len is its total length (header included), <= len.
 * NEED_MORE: the message is not all there; *msg_len is its length once the
 *   header is complete, else 0.
 * ERROR: the stream is lost; *reason (may be NULL) says why (marker,
 *   msg_length, msg_type). Checks the type-specific minimums and the
 *   maximum (4096, or 65535 with extended_message except for OPEN and
 *   KEEPALIVE). */
BGP_MUST_CHECK enum bgp_frame_status bgp_frame(const uint8_t *buf, size_t len,
					       bool extended_message, size_t *msg_len,
					       enum bgp_error *reason);

/* "OPEN", "UPDATE", "NOTIFICATION", "KEEPALIVE", "ROUTE-REFRESH";
 * "UNKNOWN" otherwise. Static strings. */
const char *bgp_msg_type_name(uint8_t type);

/* Checks that msg[0..len) is exactly one BGP message (the length in the
 * header equals len) and returns its type and a reader over its body.
 * Lenient on the maximum (65535) since the transport already framed it. */
BGP_MUST_CHECK int bgp_msg_header(const uint8_t *msg, size_t len, uint8_t *type,
				  struct wire_reader *body, enum bgp_error *reason);

/* ------------------------------------------------------------------ */
/* OPEN                                                               */

struct bgp_afisafi {
	uint16_t afi;
	uint8_t safi;
};

struct bgp_addpath_entry {
	uint16_t afi;
	uint8_t safi;
	uint8_t send_receive; /* RFC 7911 §4: 1 receive, 2 send, 3 both */
};

struct bgp_gr_entry {
	uint16_t afi;
	uint8_t safi;
	uint8_t flags; /* 0x80: forwarding state preserved */
};

/* A capability kept as bytes (unknown ones, and the raw-only ones). */
struct bgp_cap_raw {
	uint8_t code;
	uint8_t len;
	const uint8_t *data; /* into the message buffer */
};

struct bgp_open {
	uint8_t version;
	uint16_t my_as;	    /* the 2-octet field; AS_TRANS when as4 is larger */
	uint16_t hold_time;
	uint32_t bgp_id;    /* host order */
	bool extended_params; /* RFC 9072 form was used */

	bool has_as4;	    /* capability 65 */
	uint32_t as4;
	bool route_refresh; /* 2 */
	bool enhanced_route_refresh; /* 70 */
	bool extended_message;	     /* 6 */

	size_t n_mp; /* 1 */
	struct bgp_afisafi mp[BGP_OPEN_MAX_MP];

	bool has_gr; /* 64 */
	uint8_t gr_flags; /* top 4 bits of the first octet (R, N) */
	uint16_t gr_time; /* seconds, 12 bits */
	size_t n_gr;
	struct bgp_gr_entry gr[BGP_OPEN_MAX_GR];

	size_t n_addpath; /* 69 */
	struct bgp_addpath_entry addpath[BGP_OPEN_MAX_ADDPATH];

	bool has_ext_next_hop; /* 5, kept raw */
	struct bgp_cap_raw ext_next_hop;
	bool has_llgr; /* 71, kept raw */
	struct bgp_cap_raw llgr;

	bool has_fqdn; /* 73; strings are not NUL-terminated */
	const uint8_t *hostname;
	uint8_t hostname_len;
	const uint8_t *domain;
	uint8_t domain_len;

	size_t n_opaque; /* every other capability */
	struct bgp_cap_raw opaque[BGP_OPEN_MAX_OPAQUE];

	size_t n_caps;	 /* capabilities seen in total */
	size_t overflow; /* entries dropped because an array was full */
	uint64_t errors; /* bitmask of 1 << enum bgp_error */
};

/* Decodes a whole OPEN message (header included) into *out (cleared
 * first). Returns 0 when it is well-formed, -1 otherwise; on -1 *out still
 * holds whatever could be decoded and out->errors says what was wrong. */
BGP_MUST_CHECK int bgp_open_decode(const uint8_t *msg, size_t len, struct bgp_open *out);

/* ------------------------------------------------------------------ */
/* Decoding context (per peer and direction)                          */

struct bgp_decode_ctx {
	bool as4;	       /* AS_PATH/AGGREGATOR carry 4-octet ASNs */
	bool extended_message; /* UPDATEs up to 65535 bytes */
	size_t n_addpath;      /* AFI/SAFIs whose NLRI carry path ids */
	struct bgp_afisafi addpath[BGP_CTX_MAX_ADDPATH];
};

/* Defaults for a peer whose OPENs are unknown: 4-octet AS (the BMP
 * default, RFC 7854 §4.2), no ADD-PATH, no extended messages. */
void bgp_ctx_init(struct bgp_decode_ctx *ctx);

/* BMP per-peer header "A" flag (RFC 7854 §4.2): legacy 2-octet AS_PATH. */
void bgp_ctx_set_legacy_as_path(struct bgp_decode_ctx *ctx);

/* Whether NLRI of afi/safi carry ADD-PATH path identifiers. */
bool bgp_ctx_addpath(const struct bgp_decode_ctx *ctx, uint16_t afi, uint8_t safi);

/* Builds the context for decoding what the PEER sends, from the OPEN we
 * sent to it (sent_by_local) and the OPEN it sent to us
 * (received_from_peer). If either is NULL (unknown, e.g. a BMP Peer Up
 * without OPENs) the result is bgp_ctx_init()'s defaults; the caller then
 * applies the BMP "A" flag. */
void bgp_negotiate(const struct bgp_open *sent_by_local, const struct bgp_open *received_from_peer,
		   struct bgp_decode_ctx *out);

/* ------------------------------------------------------------------ */
/* UPDATE                                                             */

enum bgp_update_outcome {
	BGP_UPDATE_OK = 0,
	BGP_UPDATE_ATTR_DISCARD = 1,	  /* RFC 7606 §2 "attribute discard" */
	BGP_UPDATE_TREAT_AS_WITHDRAW = 2, /* every announced prefix is withdrawn */
	BGP_UPDATE_SESSION_RESET = 3,	  /* (or AFI/SAFI disable for MP errors) */
};

/* "ok", "attr_discard", "treat_as_withdraw", "session_reset". */
const char *bgp_update_outcome_name(enum bgp_update_outcome o);

/* A section of NLRI (withdrawn routes, NLRI, or MP_REACH/MP_UNREACH's). */
struct bgp_nlri_block {
	struct wire_reader r; /* exactly the NLRI bytes, position 0 */
	uint16_t afi;
	uint8_t safi;
	bool present;	/* the field/attribute was in the message */
	bool add_path;	/* path ids precede each prefix (from the ctx) */
	bool decodable; /* IPv4/IPv6 unicast or multicast; else opaque */
};

struct bgp_prefix {
	uint16_t afi;
	uint8_t safi;
	uint8_t len;	  /* prefix length in bits */
	uint8_t addr[16]; /* network order; bits past len are zero */
	uint32_t path_id;
	bool has_path_id;
};

struct bgp_nexthop {
	const uint8_t *raw; /* the whole next-hop field, into the message */
	uint8_t raw_len;
	uint16_t afi;	     /* of addr: 1 (4 bytes) or 2 (16 bytes); 0 if opaque */
	uint8_t addr[16];
	bool has_link_local; /* RFC 2545 §3: 32-byte IPv6 next hop */
	uint8_t link_local[16];
};

/* An AS_PATH or AS4_PATH as it came, validated. */
struct bgp_aspath {
	const uint8_t *data;
	uint16_t len;
	bool as4; /* 4-octet ASNs */
};

/* A fixed-size-element list attribute (communities and friends). */
struct bgp_list {
	const uint8_t *data;
	uint16_t len;
	uint16_t count;
};

struct bgp_asn_addr {
	uint32_t asn;
	uint8_t addr[4];
};

/* An attribute not decoded here (preserved for the caller). */
struct bgp_attr_raw {
	uint8_t flags;
	uint8_t type;
	uint16_t len;
	const uint8_t *data;
};

struct bgp_large_community {
	uint32_t global_admin, local1, local2;
};

struct bgp_update {
	enum bgp_update_outcome outcome; /* most severe seen (RFC 7606 §3(h)) */
	uint64_t errors;		  /* bitmask of 1 << enum bgp_error */

	struct bgp_nlri_block withdrawn; /* IPv4 unicast */
	struct bgp_nlri_block nlri;	 /* IPv4 unicast */
	struct bgp_nlri_block mp_reach;
	struct bgp_nexthop mp_nexthop;
	struct bgp_nlri_block mp_unreach;

	size_t n_attrs;	      /* attributes on the wire, all of them */
	uint8_t seen[32];     /* bitset by type: appeared at least once */
	uint8_t present[32];  /* bitset by type: decoded and kept */

	uint8_t origin;
	struct bgp_aspath as_path;
	struct bgp_aspath as4_path;
	uint8_t next_hop[4];
	uint32_t med;
	uint32_t local_pref;
	struct bgp_asn_addr aggregator;
	struct bgp_asn_addr as4_aggregator;
	struct bgp_list communities;	 /* 4-byte elements */
	uint32_t originator_id;
	struct bgp_list cluster_list;	 /* 4-byte elements */
	struct bgp_list ext_communities; /* 8-byte elements */
	struct bgp_list large_communities; /* 12-byte elements */

	size_t n_unknown;
	struct bgp_attr_raw unknown[BGP_UPDATE_MAX_UNKNOWN];
	size_t unknown_overflow;
};

/* Decodes a whole UPDATE message (header included) into *u, with ctx
 * saying how the peer encodes it. Allocation-free: *u holds carved
 * readers into msg. Returns 0 when the message could be taken apart
 * (u->outcome says what to do with it, u->errors why), -1 when even its
 * framing or top-level lengths are wrong (u->outcome is then SESSION_RESET
 * and nothing else in *u is meaningful). */
BGP_MUST_CHECK int bgp_update_decode(const uint8_t *msg, size_t len,
				     const struct bgp_decode_ctx *ctx, struct bgp_update *u);

/* Whether attribute `type` was decoded and kept (not discarded). */
bool bgp_update_has(const struct bgp_update *u, uint8_t type);

/* Whether an error reason was recorded in a mask. */
static inline bool bgp_errors_has(uint64_t errors, enum bgp_error e)
{
	return (errors >> (unsigned)e) & 1u;
}

/* End-of-RIB (RFC 4724 §2): an empty UPDATE for IPv4 unicast, or one with
 * nothing but an empty MP_UNREACH_NLRI for other AFI/SAFIs. */
bool bgp_update_is_eor(const struct bgp_update *u, uint16_t *afi, uint8_t *safi);

/* NLRI iteration over a decodable block. */
struct bgp_nlri_iter {
	struct wire_reader r;
	uint16_t afi;
	uint8_t safi;
	bool add_path;
	enum bgp_error error; /* why the last bgp_nlri_next() returned -1 */
};

/* -1 when the block is absent or opaque (not IPv4/IPv6 unicast/multicast). */
BGP_MUST_CHECK int bgp_nlri_iter_init(struct bgp_nlri_iter *it, const struct bgp_nlri_block *b);
/* 1 and *out filled, 0 at the end, -1 on malformed NLRI (it->error). */
BGP_MUST_CHECK int bgp_nlri_next(struct bgp_nlri_iter *it, struct bgp_prefix *out);

/* AS_PATH iteration: segments, then the ASNs of each. */
struct bgp_aspath_iter {
	struct wire_reader r;
	bool as4;
};

struct bgp_as_segment {
	uint8_t type;  /* enum bgp_as_seg_type */
	uint8_t count; /* ASNs in it */
	bool as4;
	struct wire_reader asns; /* consumed by bgp_as_segment_next() */
};

void bgp_aspath_iter_init(struct bgp_aspath_iter *it, const struct bgp_aspath *p);
/* 1 and *seg filled, 0 at the end, -1 on a malformed path. */
BGP_MUST_CHECK int bgp_aspath_next(struct bgp_aspath_iter *it, struct bgp_as_segment *seg);
/* 1 and *asn, 0 when the segment is exhausted. */
BGP_MUST_CHECK int bgp_as_segment_next(struct bgp_as_segment *seg, uint32_t *asn);

/* One AS of a flattened path. */
struct bgp_as_hop {
	uint32_t asn;
	uint8_t seg_type; /* enum bgp_as_seg_type of the segment it came from */
};

/* The effective AS path: AS_PATH, or on a 2-octet session AS_PATH merged
 * with AS4_PATH per RFC 6793 §4.2.3. Writes at most cap hops to out and
 * the full count to *n (which may exceed cap: the rest is cut). Returns 0,
 * or -1 when no AS_PATH was kept. */
BGP_MUST_CHECK int bgp_aspath_effective(const struct bgp_update *u, struct bgp_as_hop *out,
					size_t cap, size_t *n);

/* Element i of a list attribute; 0 on success, -1 past the end. */
BGP_MUST_CHECK int bgp_community_get(const struct bgp_list *l, size_t i, uint32_t *out);
BGP_MUST_CHECK int bgp_ext_community_get(const struct bgp_list *l, size_t i, uint64_t *out);
BGP_MUST_CHECK int bgp_large_community_get(const struct bgp_list *l, size_t i,
					   struct bgp_large_community *out);

/* Name of a path attribute type ("ORIGIN", "AS_PATH", ...); NULL if not
 * decoded here. Static strings. */
const char *bgp_attr_name(uint8_t type);

/* "198.18.0.0/24", "2001:db8::/32" (with "#<path id>" appended when
 * has_path_id). Returns the snprintf-style length, or -1 on an unknown
 * AFI; always NUL-terminates when n > 0. */
int bgp_prefix_format(const struct bgp_prefix *p, char *buf, size_t n);

/* ------------------------------------------------------------------ */
/* NOTIFICATION, KEEPALIVE, ROUTE-REFRESH                              */

struct bgp_notification {
	uint8_t code;
	uint8_t subcode;
	const uint8_t *data; /* into the message */
	size_t data_len;
	/* RFC 9003: Cease/Administrative Shutdown or Reset may carry a
	 * UTF-8 message (not NUL-terminated). */
	bool has_shutdown_comm;
	const uint8_t *shutdown_comm;
	uint8_t shutdown_comm_len;
	uint64_t errors;
};

BGP_MUST_CHECK int bgp_notification_decode(const uint8_t *msg, size_t len,
					   struct bgp_notification *out);

/* Static names: "Cease", "Administrative Shutdown", ... "Unspecific" for
 * subcode 0, "Unknown" when not registered. bgp_notification_name()
 * returns the subcode's name when the code has subcodes, else the code's. */
const char *bgp_notification_code_name(uint8_t code);
const char *bgp_notification_subcode_name(uint8_t code, uint8_t subcode);
const char *bgp_notification_name(uint8_t code, uint8_t subcode);

/* KEEPALIVE: exactly the 19-byte header (RFC 4271 §4.4). */
BGP_MUST_CHECK int bgp_keepalive_decode(const uint8_t *msg, size_t len, enum bgp_error *reason);

enum bgp_rr_subtype {
	BGP_RR_NORMAL = 0, /* RFC 2918 */
	BGP_RR_BORR = 1,   /* RFC 7313 beginning of route refresh */
	BGP_RR_EORR = 2,   /* RFC 7313 end of route refresh */
};

struct bgp_route_refresh {
	uint16_t afi;
	uint8_t subtype; /* the "reserved" octet: enum bgp_rr_subtype */
	uint8_t safi;
	const uint8_t *orf; /* RFC 5291 ORF entries, raw; into the message */
	size_t orf_len;
	uint64_t errors;
};

BGP_MUST_CHECK int bgp_route_refresh_decode(const uint8_t *msg, size_t len,
					    struct bgp_route_refresh *out);

#endif
