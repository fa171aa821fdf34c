/* decode_pcap.h — `circuitwatch decode FILE.pcap`: BGP and BMP messages
 * reassembled from the TCP sessions of a capture file, as JSON lines.
 *
 * The pcap file is read with libpcap (pcap and pcapng); frames go through
 * the frame decoder (wire/frame.h), TCP segments of port 179 (BGP) and
 * of the BMP port into the flow table (bgp/flows.h) and its per-direction
 * reassemblers, and every complete message is printed as decode.h's JSON
 * object plus "ts" (capture time of the segment that completed it, seconds
 * with microseconds), "src" and "dst" ("192.0.2.1:179", "[2001:db8::1]:179").
 *
 * BGP resynchronises on the marker after a TCP gap and when the capture
 * starts mid-session; UPDATEs are decoded with the context negotiated from
 * the two OPENs of the flow (defaults until both are seen). BMP has no
 * marker: after a gap or a mid-session start it resynchronises on the next
 * plausible message (wire/bmp.h bmp_resync) and prints one
 * {"error":"resynchronised",...,"skipped_bytes":N} line before it; a
 * framing error inside the stream (another version, a bad length) still
 * ends the direction.
 */
#ifndef CW_DECODE_PCAP_H
#define CW_DECODE_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DECODE_BGP_PORT 179
#define DECODE_BMP_PORT 1790

struct decode_pcap_stats {
	uint64_t packets;      /* records read */
	uint64_t tcp_segments; /* on the BGP or BMP port */
	uint64_t bad_frames;   /* did not decode down to TCP (non-TCP included) */
	uint64_t messages;     /* messages printed */
	uint64_t resyncs;      /* BGP resyncs on the marker, BMP resyncs on a message */
	uint64_t resync_skipped_bytes; /* bytes passed over to get there (BGP and BMP) */
	uint64_t framing_lost; /* bad BGP headers, BMP directions given up */
	uint64_t gaps;         /* TCP gaps over all directions */
	uint64_t flows;        /* TCP flows seen */
	uint64_t flows_evicted; /* LRU evictions (table full) */
};

/* Whether the first n bytes of a file start like a pcap (any byte order,
 * micro- or nanosecond) or pcapng file. */
bool decode_is_capture(const uint8_t *p, size_t n);

/* Decodes the capture at path onto out (bmp_port: 0 means DECODE_BMP_PORT).
 * Returns 0 when the whole file was read, -1 when the file is damaged part
 * way (messages before are printed; an error is on stderr), -2 when it cannot
 * be opened, its link type is not supported, or a write fails (stderr says
 * which). *st may be NULL. */
int decode_pcap_file(const char *path, uint16_t bmp_port, FILE *out,
		     struct decode_pcap_stats *st) __attribute__((warn_unused_result));

#endif
