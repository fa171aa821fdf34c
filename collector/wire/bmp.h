/* bmp.h — BMP v3 codec (RFC 7854, RFC 8671 Adj-RIB-Out, RFC 9069 Loc-RIB,
 * RFC 9736 Peer Up TLVs, RFC 9972 statistics types).
 *
 * Pure functions over byte buffers: no I/O, no globals, no allocation.
 * bmp_frame() finds message boundaries in a TCP byte stream; bmp_decode()
 * decodes one framed message into a struct bmp_msg whose pointers point
 * into the caller's buffer (valid as long as that buffer is). Embedded BGP
 * PDUs are handed back as carved byte ranges, checked only for the BGP
 * header (RFC 4271 §4.1: 16-octet all-ones marker, length 19..remaining);
 * the caller decodes them with the BGP codec.
 *
 * Malformed input never fails silently: every anomaly is a stable enum
 * reason (bmp_error_reason_name() gives its metric label), the first one is
 * in bmp_msg.error and all of them in the bmp_msg.errors bit mask; whatever
 * was decoded before and around the anomaly is still filled in.
 */
#ifndef CW_WIRE_BMP_H
#define CW_WIRE_BMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader.h"

#define BMP_VERSION 3
#define BMP_COMMON_HDR_LEN 6 /* version(1) length(4) type(1) */
#define BMP_PEER_HDR_LEN 42
#define BMP_BGP_HDR_LEN 19 /* marker(16) length(2) type(1) */
#define BMP_BGP_MARKER_LEN 16
/* A BMP length is 32-bit and may exceed 65,535; this is the cap a caller
 * uses unless configured otherwise. */
#define BMP_DEFAULT_MAX_MSG (16u * 1024u * 1024u)
/* Caps of the fixed arrays in struct bmp_msg; more is flagged
 * (tlv_overflow / stat_overflow) but still validated and counted. */
#define BMP_MAX_TLVS 32
#define BMP_MAX_STATS 128

/* BGP message types (RFC 4271 §4.1) that BMP checks PDUs against. */
#define BMP_BGP_OPEN 1
#define BMP_BGP_UPDATE 2
#define BMP_BGP_NOTIFICATION 3

/* RFC 7854 §4.1 */
enum bmp_msg_type {
	BMP_MSG_ROUTE_MONITORING = 0,
	BMP_MSG_STATISTICS_REPORT = 1,
	BMP_MSG_PEER_DOWN = 2,
	BMP_MSG_PEER_UP = 3,
	BMP_MSG_INITIATION = 4,
	BMP_MSG_TERMINATION = 5,
	BMP_MSG_ROUTE_MIRRORING = 6,
};

/* RFC 7854 §4.2, RFC 9069 §4.1; other values are kept as numbers. */
enum bmp_peer_type {
	BMP_PEER_GLOBAL = 0,
	BMP_PEER_RD = 1,
	BMP_PEER_LOCAL = 2,
	BMP_PEER_LOC_RIB = 3,
};

/* Per-peer header flags for peer types 0-2 (RFC 7854 §4.2, RFC 8671 §4). */
#define BMP_PEER_FLAG_V 0x80 /* peer address is IPv6 */
#define BMP_PEER_FLAG_L 0x40 /* post-policy */
#define BMP_PEER_FLAG_A 0x20 /* legacy 2-octet AS_PATH */
#define BMP_PEER_FLAG_O 0x10 /* Adj-RIB-Out */
/* Flag for the Loc-RIB peer type 3 (RFC 9069 §4.2). */
#define BMP_PEER_FLAG_F 0x80 /* filtered */

/* RFC 7854 §4.9, RFC 9069 §5.3 */
enum bmp_peer_down_reason {
	BMP_DOWN_LOCAL_NOTIFICATION = 1, /* NOTIFICATION PDU follows */
	BMP_DOWN_LOCAL_FSM = 2,		 /* FSM event code (u16) follows */
	BMP_DOWN_REMOTE_NOTIFICATION = 3,
	BMP_DOWN_REMOTE_NO_DATA = 4,
	BMP_DOWN_DECONFIGURED = 5,
	BMP_DOWN_LOCAL_TLV = 6, /* information TLVs follow */
};

/* Information TLV types (RFC 7854 §4.4, §4.5; RFC 9069 §5.2; RFC 9736). */
enum bmp_init_tlv { BMP_INIT_STRING = 0, BMP_INIT_SYSDESCR = 1, BMP_INIT_SYSNAME = 2 };
enum bmp_term_tlv { BMP_TERM_STRING = 0, BMP_TERM_REASON = 1 };
enum bmp_term_reason {
	BMP_TERM_ADMIN_CLOSE = 0,
	BMP_TERM_UNSPECIFIED = 1,
	BMP_TERM_OUT_OF_RESOURCES = 2,
	BMP_TERM_REDUNDANT = 3,
	BMP_TERM_PERM_ADMIN_CLOSE = 4,
};
enum bmp_peer_tlv {
	BMP_PEER_TLV_STRING = 0,
	BMP_PEER_TLV_VRF_TABLE_NAME = 3,
	BMP_PEER_TLV_ADMIN_LABEL = 4,
};
enum bmp_mirror_tlv { BMP_MIRROR_BGP_MSG = 0, BMP_MIRROR_INFO = 1 };
enum bmp_mirror_info { BMP_MIRROR_ERRORED_PDU = 0, BMP_MIRROR_MSGS_LOST = 1 };

/* Statistics types: IANA "BMP Statistics Types" (RFC 7854 §4.8 and
 * errata, RFC 8671 §5, RFC 9972 §3). */
enum bmp_stat_type {
	BMP_STAT_REJECTED_PREFIXES = 0,
	BMP_STAT_DUP_PREFIX_ADVERTISEMENTS = 1,
	BMP_STAT_DUP_WITHDRAWS = 2,
	BMP_STAT_INVALID_CLUSTER_LIST_LOOP = 3,
	BMP_STAT_INVALID_AS_PATH_LOOP = 4,
	BMP_STAT_INVALID_ORIGINATOR_ID = 5,
	BMP_STAT_INVALID_AS_CONFED_LOOP = 6,
	BMP_STAT_ADJ_RIB_IN_ROUTES = 7,
	BMP_STAT_LOC_RIB_ROUTES = 8,
	BMP_STAT_ADJ_RIB_IN_ROUTES_AFI_SAFI = 9,
	BMP_STAT_LOC_RIB_ROUTES_AFI_SAFI = 10,
	BMP_STAT_UPDATES_TREAT_AS_WITHDRAW = 11,
	BMP_STAT_PREFIXES_TREAT_AS_WITHDRAW = 12,
	BMP_STAT_DUP_UPDATES = 13,
	BMP_STAT_ADJ_RIB_OUT_PRE_ROUTES = 14,
	BMP_STAT_ADJ_RIB_OUT_POST_ROUTES = 15,
	BMP_STAT_ADJ_RIB_OUT_PRE_ROUTES_AFI_SAFI = 16,
	BMP_STAT_ADJ_RIB_OUT_POST_ROUTES_AFI_SAFI = 17,
	/* 18..43: RFC 9972, all 64-bit gauges; see bmp_stat_type_kind(). */
	BMP_STAT_LAST_KNOWN = 43,
};

/* What the registry says a statistics type carries. */
enum bmp_stat_kind {
	BMP_STAT_KIND_UNKNOWN = 0,   /* not in the registry */
	BMP_STAT_KIND_COUNTER32,     /* 4-byte counter */
	BMP_STAT_KIND_GAUGE64,	     /* 8-byte gauge */
	BMP_STAT_KIND_AFI_SAFI_GAUGE64, /* AFI(2) SAFI(1) 8-byte gauge = 11 bytes */
};

/* What was decoded from an entry, chosen by its DECLARED length alone. */
enum bmp_stat_value {
	BMP_STAT_VAL_RAW = 0, /* any other length: only raw is set */
	BMP_STAT_VAL_U32,     /* length 4 */
	BMP_STAT_VAL_U64,     /* length 8 */
	BMP_STAT_VAL_AFI_SAFI_U64, /* length 11 */
};

/* Parse anomalies; names are stable snake_case metric labels. */
enum bmp_error {
	BMP_OK = 0,
	BMP_ERR_VERSION,	  /* version != 3: close the connection */
	BMP_ERR_LENGTH_SHORT,	  /* length field < 6 */
	BMP_ERR_LENGTH_LONG,	  /* length field > caller's cap */
	BMP_ERR_LENGTH_MISMATCH,  /* length field != bytes handed to bmp_decode */
	BMP_ERR_TRUNCATED,	  /* a fixed field is cut short */
	BMP_ERR_UNKNOWN_TYPE,	  /* unknown message type: skipped by length */
	BMP_ERR_PEER_HEADER,	  /* per-peer header cut short */
	BMP_ERR_TLV_LENGTH,	  /* TLV header cut or value longer than what is left */
	BMP_ERR_TLV_OVERFLOW,	  /* more TLVs than BMP_MAX_TLVS */
	BMP_ERR_TLV_VALUE,	  /* a known TLV's value has the wrong size */
	BMP_ERR_BGP_MISSING,	  /* an expected BGP PDU is absent */
	BMP_ERR_BGP_TRUNCATED,	  /* BGP header or PDU cut short */
	BMP_ERR_BGP_MARKER,	  /* BGP marker is not 16 x 0xff */
	BMP_ERR_BGP_LENGTH,	  /* BGP length field < 19 */
	BMP_ERR_BGP_TYPE,	  /* BGP PDU of the wrong type for its place */
	BMP_ERR_TRAILING,	  /* bytes after the last element */
	BMP_ERR_STAT_COUNT,	  /* fewer stats entries than the count says */
	BMP_ERR_STAT_SIZE,	  /* stats entry of an unexpected size */
	BMP_ERR_STAT_OVERFLOW,	  /* more stats entries than BMP_MAX_STATS */
	BMP_ERR_PEER_DOWN_REASON, /* unknown Peer Down reason code */
	BMP_ERR__COUNT
};

enum bmp_frame_status {
	BMP_FRAME_ERROR = -1,	 /* framing lost: *reason says why; close */
	BMP_FRAME_COMPLETE = 0,	 /* *msg_len bytes form one message */
	BMP_FRAME_NEED_MORE = 1, /* *msg_len: total bytes needed so far */
};

/* State of a carved BGP PDU. */
enum bmp_pdu_status {
	BMP_PDU_NOT_REACHED = 0, /* not decoded: an earlier element failed */
	BMP_PDU_OK,
	BMP_PDU_MISSING,    /* no bytes left for it */
	BMP_PDU_TRUNCATED,  /* header or declared length exceeds what is left */
	BMP_PDU_BAD_MARKER,
	BMP_PDU_BAD_LENGTH, /* length field < 19 */
	BMP_PDU_WRONG_TYPE, /* well framed, but not the expected type */
};

struct bmp_bytes {
	const uint8_t *data; /* into the caller's buffer; NULL when absent */
	size_t len;
};

/* A BGP PDU carved from a BMP message. data/len cover the whole PDU
 * (header included) when status is OK or WRONG_TYPE, else data is NULL. */
struct bmp_bgp_pdu {
	enum bmp_pdu_status status;
	uint8_t type; /* BGP message type from the header */
	const uint8_t *data;
	size_t len;
};

struct bmp_peer_hdr {
	uint8_t type;  /* enum bmp_peer_type or another number */
	uint8_t flags; /* raw byte */
	bool ipv6;	      /* V (peer types 0-2) */
	bool post_policy;     /* L (peer types 0-2) */
	bool legacy_as_path;  /* A (peer types 0-2) */
	bool adj_rib_out;     /* O (peer types 0-2) */
	bool filtered;	      /* F (peer type 3) */
	uint64_t distinguisher;
	uint8_t addr[16]; /* IPv4 in addr[12..15] when !ipv6 */
	uint32_t as;
	uint32_t bgp_id; /* host order */
	uint32_t ts_sec;
	uint32_t ts_usec;
};

struct bmp_tlv {
	uint16_t type;
	uint16_t len;
	const uint8_t *value; /* into the caller's buffer */
};

/* The TLVs of a message: the first BMP_MAX_TLVS in v, all of them counted
 * in total; area covers the validated TLV bytes for re-iteration. */
struct bmp_tlv_list {
	struct bmp_tlv v[BMP_MAX_TLVS];
	size_t n;
	size_t total;
	struct bmp_bytes area;
};

struct bmp_stat {
	uint16_t type;
	uint16_t len; /* declared length; the entry was skipped by it */
	enum bmp_stat_value value_kind;
	bool unexpected_size; /* length disagrees with the registry */
	uint16_t afi;	      /* when value_kind == BMP_STAT_VAL_AFI_SAFI_U64 */
	uint8_t safi;
	uint64_t value;	      /* u32 or u64 value, per value_kind */
	const uint8_t *raw;   /* the len value bytes, always set */
};

struct bmp_route_mon {
	struct bmp_bgp_pdu update;
};

struct bmp_stats {
	uint32_t count; /* as declared */
	size_t n;	/* entries stored in v */
	size_t total;	/* entries found (may exceed n) */
	struct bmp_stat v[BMP_MAX_STATS];
};

struct bmp_peer_down {
	uint8_t reason; /* enum bmp_peer_down_reason or another number */
	bool has_fsm_event;
	uint16_t fsm_event;		  /* reason 2 */
	struct bmp_bgp_pdu notification;  /* reasons 1 and 3 */
	struct bmp_tlv_list tlvs;	  /* reason 6 */
	struct bmp_bytes vrf_table_name;  /* from TLV type 3 */
	struct bmp_bytes data;		  /* everything after the reason byte */
};

struct bmp_peer_up {
	uint8_t local_addr[16]; /* IPv4 in [12..15] when the peer is IPv4 */
	uint16_t local_port;
	uint16_t remote_port;
	struct bmp_bgp_pdu sent_open; /* monitored router -> its peer */
	struct bmp_bgp_pdu recv_open; /* peer -> monitored router */
	struct bmp_tlv_list tlvs;
	struct bmp_bytes vrf_table_name; /* TLV type 3 */
	struct bmp_bytes admin_label;	 /* TLV type 4 */
};

struct bmp_initiation {
	struct bmp_tlv_list tlvs;
	struct bmp_bytes sys_descr; /* last sysDescr TLV */
	struct bmp_bytes sys_name;  /* last sysName TLV */
};

struct bmp_termination {
	struct bmp_tlv_list tlvs;
	bool has_reason;
	uint16_t reason; /* enum bmp_term_reason or another number */
};

struct bmp_route_mirror {
	struct bmp_tlv_list tlvs;
	struct bmp_bgp_pdu bgp; /* first BGP Message TLV */
	size_t n_bgp;		/* BGP Message TLVs seen */
	bool has_info;
	uint16_t info_code; /* enum bmp_mirror_info or another number */
};

struct bmp_msg {
	uint8_t version;
	uint8_t type; /* enum bmp_msg_type or another number */
	uint32_t length;
	bool has_peer; /* peer is valid */
	struct bmp_peer_hdr peer;
	enum bmp_error error; /* first anomaly, BMP_OK if none */
	uint32_t errors;      /* bit (1u << reason) for every anomaly */
	union {
		struct bmp_route_mon rm;
		struct bmp_stats stats;
		struct bmp_peer_down down;
		struct bmp_peer_up up;
		struct bmp_initiation init;
		struct bmp_termination term;
		struct bmp_route_mirror mirror;
		struct bmp_bytes unknown; /* body of an unknown message type */
	} u;
};

/* Iterator over a TLV area (type u16, length u16, value). */
struct bmp_tlv_iter {
	struct wire_reader r;
	bool failed;
};

/* Resynchronisation after lost framing (a TCP gap in a captured stream).
 * BMP has no marker, so a message start is recognised by its shape: the
 * common header (RFC 7854 §4.1: version 3, a length of at least the type's
 * fixed part and at most max_msg, a type 0..6), the per-peer header's peer
 * type (0..3, RFC 9069) for the types that carry one, a Peer Down reason of
 * 1..7, an Initiation/Termination TLV that fits, and for Route Monitoring
 * and Peer Up the BGP header (16-octet all-ones marker, length, type
 * UPDATE / OPEN) at its offset (6+42, and 6+42+20 after the local address
 * and ports, §4.6, §4.10); a Route Monitoring's UPDATE ends exactly where
 * the message does. At most BMP_RESYNC_LOOKAHEAD bytes from a candidate
 * decide it. */
#define BMP_RESYNC_LOOKAHEAD (BMP_COMMON_HDR_LEN + BMP_PEER_HDR_LEN + 20 + BMP_BGP_HDR_LEN)

enum bmp_resync_status {
	BMP_RESYNC_FOUND = 0,	  /* a message plausibly starts at *off */
	BMP_RESYNC_NEED_MORE = 1, /* none starts before *off; buf[*off..len) may
				   * still hold one: keep it, call again with more */
};

/* Scans buf[0..len) (max_msg as for bmp_frame, 0 the default). The bytes
 * before *off are not the start of a plausible message: the caller drops
 * (and counts) them. Never reads outside buf; buf may be NULL when len is 0. */
enum bmp_resync_status bmp_resync(const uint8_t *buf, size_t len, size_t max_msg, size_t *off);

/* Finds the first message in buf[0..len). max_msg is the caller's cap on
 * one message (0 means BMP_DEFAULT_MAX_MSG). COMPLETE: *msg_len is the
 * message length. NEED_MORE: *msg_len is the total the caller must buffer
 * before calling again (6 until the header is in). ERROR: *reason (may be
 * NULL) is BMP_ERR_VERSION, BMP_ERR_LENGTH_SHORT or BMP_ERR_LENGTH_LONG;
 * the stream cannot be resynchronised. An unknown message type is not a
 * framing error. */
enum bmp_frame_status bmp_frame(const uint8_t *buf, size_t len, size_t max_msg, size_t *msg_len,
				enum bmp_error *reason) WIRE_MUST_CHECK;

/* Decodes one framed message. Zeroes *out first; every pointer in it
 * points into msg (owned by the caller). Returns 0 when nothing was
 * flagged, -1 otherwise; out->error/out->errors say what, and everything
 * decodable is still filled in (e.g. a Route Monitoring PDU with trailing
 * bytes after it). */
int bmp_decode(const uint8_t *msg, size_t len, struct bmp_msg *out) WIRE_MUST_CHECK;

/* TLV iteration over buf[0..len) (owned by the caller). bmp_tlv_next()
 * returns 1 with *tlv set, 0 at the clean end, -1 when a TLV header is cut
 * or a length runs past the end (and -1 from then on). */
void bmp_tlv_iter_init(struct bmp_tlv_iter *it, const uint8_t *buf, size_t len);
int bmp_tlv_next(struct bmp_tlv_iter *it, struct bmp_tlv *tlv) WIRE_MUST_CHECK;

/* Name helpers: static strings, never NULL ("unknown" when unknown). */
const char *bmp_msg_type_name(uint8_t type);	       /* "route-monitoring", ... */
const char *bmp_peer_type_name(uint8_t type);	       /* "global-instance", ... */
const char *bmp_peer_down_reason_name(uint8_t reason); /* "local-notification", ... */
const char *bmp_term_reason_name(uint16_t reason);     /* "admin-close", ... */
const char *bmp_stat_type_name(uint16_t type);	       /* "rejected_prefixes", ... */
const char *bmp_error_reason_name(enum bmp_error err); /* "trailing_bytes", ... */
const char *bmp_pdu_status_name(enum bmp_pdu_status st); /* "ok", "missing", ... */
enum bmp_stat_kind bmp_stat_type_kind(uint16_t type);

#endif
