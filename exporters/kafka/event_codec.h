/* event_codec.h — the event's two encodings for Kafka: protobuf
 * (proto/circuitwatch/v1/events.proto, protobuf-c) and JSON (the proto3 JSON
 * mapping of the same message, jansson). The event itself is event.h's.
 *
 * The codecs are pure: buffers in, buffers out. Decoding is the path for
 * remote bytes (Kafka, the spool), so every string is checked against its
 * field's cap and the decoders return a reason instead of crashing.
 *
 * Ownership: encoders write into a buffer the caller owns
 * (cw_event_encode_pb) or return a malloc'd string the caller frees
 * (cw_event_encode_json).
 */
#ifndef CW_EVENT_CODEC_H
#define CW_EVENT_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define CW_EVENT_SCHEMA_VERSION 1 /* Kafka header schema-version; package circuitwatch.v1 */
#define CW_EVENT_PB_MAX 16384     /* an encoded event never exceeds this (decoder cap too) */
#define CW_EVENT_JSON_MAX 65536   /* a JSON event longer than this is refused */

/* Why a decode failed (a counter label each). */
enum cw_event_error {
	CW_EVENT_OK = 0,
	CW_EVENT_ERR_TOO_LONG,   /* input over CW_EVENT_PB_MAX / CW_EVENT_JSON_MAX */
	CW_EVENT_ERR_MALFORMED,  /* not a valid protobuf message / JSON object */
	CW_EVENT_ERR_FIELD,      /* a field of the wrong type or out of range */
	CW_EVENT_ERR_STRING,     /* a string over CW_EVENT_TEXT_MAX or with a NUL */
	CW_EVENT_ERR_ID,         /* id not 32 hex digits */
	CW_EVENT_ERR_DETAILS,    /* more than CW_EVENT_DETAILS_MAX details */
	CW_EVENT_ERR_NOMEM,
	CW_EVENT_ERR__COUNT
};

const char *cw_event_error_name(enum cw_event_error e);

/* Protobuf: encodes into buf (cap bytes) and sets *len (0 for an all-
 * default event). -1 when it does not fit (CW_EVENT_PB_MAX always does) or
 * on allocation failure. */
int cw_event_encode_pb(const struct cw_event *ev, uint8_t *buf, size_t cap, size_t *len)
	__attribute__((warn_unused_result));
/* Decodes a whole message into *ev. Unknown fields are ignored (newer
 * writers); unknown enum numbers are kept as numbers. */
enum cw_event_error cw_event_decode_pb(const uint8_t *buf, size_t len, struct cw_event *ev);

/* JSON (proto3 JSON mapping: lowerCamelCase names, enums by name, 64-bit
 * integers as strings, default values left out), one line, no newline.
 * Returns a malloc'd string the caller frees, or NULL on allocation failure. */
char *cw_event_encode_json(const struct cw_event *ev);
/* Decodes a JSON object (len bytes, need not be NUL-terminated). Accepts
 * enum names or numbers and 64-bit integers as strings or numbers. */
enum cw_event_error cw_event_decode_json(const char *buf, size_t len, struct cw_event *ev);

#endif
