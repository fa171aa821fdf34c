/* decode.h — BMP and BGP messages as JSON, for `circuitwatch decode`.
 *
 * A thin layer over the wire codecs (bmp.h, bgp.h): one message in, one
 * jansson object out. The stream drivers read a byte stream (a file of
 * concatenated BMP messages, or of concatenated BGP messages with their
 * markers), frame it with the codecs' framers and print one JSON object
 * per line. Malformed messages become objects carrying "error" (and
 * "errors") and decoding goes on; when the framing itself is lost the
 * driver prints one error line and stops.
 *
 * The JSON format is documented in docs/capture.md ("Decoding streams and
 * captures").
 */
#ifndef CW_DECODE_H
#define CW_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "bgp.h"

#define DECODE_MUST_CHECK __attribute__((warn_unused_result))

/* Cap on the peers whose negotiated decode context is remembered per BMP
 * stream; Route Monitoring for peers beyond it uses the defaults. */
#define DECODE_MAX_PEERS 65536
/* Cap on the AS path hops shown per UPDATE ("as_path_truncated" beyond). */
#define DECODE_MAX_AS_HOPS 1024

/* What a stream driver saw. */
struct decode_stats {
	uint64_t messages;   /* messages framed and printed */
	uint64_t errors;     /* of which carried an "error" (BMP or BGP level) */
	uint64_t bytes;	     /* input bytes consumed by framed messages */
	bool framing_lost;   /* stopped: the stream cannot be resynchronised */
	bool truncated;	     /* the input ended inside a message */
};

/* Per-stream BMP decode state: the decode context of every peer, built
 * from its Peer Up OPENs as the collector does (collector/bmp/session.c). */
struct decode_bmp;

/* NULL when out of memory. decode_bmp_free() takes NULL. */
struct decode_bmp *decode_bmp_new(void);
void decode_bmp_free(struct decode_bmp *d);

/* One framed BMP message (msg[0..len), owned by the caller) as a new JSON
 * object the caller owns (json_decref). A Peer Up updates d's context for
 * its peer; a Route Monitoring is decoded with it. NULL only when out of
 * memory. */
json_t *decode_bmp_message(struct decode_bmp *d, const uint8_t *msg, size_t len);

/* One BGP message (header included, msg[0..len) owned by the caller),
 * decoded with ctx (NULL: bgp_ctx_init() defaults), as a new JSON object
 * the caller owns. NULL only when out of memory. */
json_t *decode_bgp_message(const uint8_t *msg, size_t len, const struct bgp_decode_ctx *ctx);

/* Whether an object made by the functions above reports a problem
 * ("error" at its top level or in its "bgp" member). */
bool decode_has_error(const json_t *obj);

/* The decode context assumed for a one-directional BGP stream once the
 * sender's OPEN is seen: the other side's OPEN is not in the stream, so
 * the receiver is assumed to have accepted what the sender offered
 * (4-octet AS, ADD-PATH "send", extended messages). */
void decode_bgp_stream_ctx(const struct bgp_open *sender, struct bgp_decode_ctx *out);

/* Stream drivers: read `in` to its end, print one compact JSON object per
 * line on `out`, fill *st (may be NULL). Return 0 when the whole input was
 * decoded, -1 when the framing was lost or the input ended inside a
 * message (an error line was printed), -2 on a read/write/memory error. */
int decode_bmp_stream(FILE *in, FILE *out, struct decode_stats *st) DECODE_MUST_CHECK;
int decode_bgp_stream(FILE *in, FILE *out, struct decode_stats *st) DECODE_MUST_CHECK;

#endif
