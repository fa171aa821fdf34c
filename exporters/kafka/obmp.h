/* obmp.h — the OpenBMP binary message header (version 1.7) in front of a
 * raw BMP message: what OpenBMP's collector publishes on its
 * openbmp.bmp_raw topic, so that OpenBMP's consumers read our raw stream.
 *
 * The layout (every integer big-endian, network order):
 *
 *   off  size  field
 *     0     4  magic 0x4F424D50 ("OBMP")
 *     4     1  major version 1
 *     5     1  minor version 7
 *     6     2  header length: every byte from the magic to the row count
 *     8     4  message length: the BMP message's bytes after the header
 *    12     1  flags: 0x80 a router message (router fields present),
 *                     0x40 the router address is IPv6
 *    13     1  object type: 12 = BMP_RAW
 *    14     4  collector timestamp, seconds (when the message was received)
 *    18     4  collector timestamp, microseconds
 *    22    16  collector hash: MD5 of the admin id
 *    38     2  admin id length A
 *    40     A  admin id (no terminating NUL)
 *  40+A    16  router hash: MD5 of the router's address as text followed
 *              by the collector hash (OpenBMP's "hash of [IP address,
 *              collector hash]")
 *  56+A    16  router address: IPv6, or IPv4 in the first 4 bytes and zeros
 *  72+A     2  router group length G (0: we name no groups)
 *  74+A     G  router group
 *  74+A+G   4  row count: 1 (one BMP message)
 *
 * then the BMP message exactly as the router sent it (common header
 * included). A Kafka message carries one such record; its key is the
 * router hash in lowercase hex (32 characters).
 *
 * Pure: no I/O, no allocation. Ownership: the caller's buffers.
 */
#ifndef CW_KAFKA_OBMP_H
#define CW_KAFKA_OBMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OBMP_MAGIC 0x4F424D50u
#define OBMP_VERSION_MAJOR 1
#define OBMP_VERSION_MINOR 7
#define OBMP_FLAG_ROUTER 0x80
#define OBMP_FLAG_IPV6 0x40
#define OBMP_TYPE_BMP_RAW 12
#define OBMP_HDR_FIXED 78u      /* header bytes without admin id and router group */
#define OBMP_ADMIN_ID_MAX 64u   /* our cap (OpenBMP's admin id field is 64 bytes) */
#define OBMP_HDR_MAX (OBMP_HDR_FIXED + OBMP_ADMIN_ID_MAX)
#define OBMP_KEY_LEN 32u        /* router hash in hex */

/* The collector's part, computed once. */
struct obmp_collector {
	uint8_t hash[16];
	char admin_id[OBMP_ADMIN_ID_MAX + 1];
	size_t admin_len;
};

/* The router's part, computed once per router (or per message). */
struct obmp_router {
	uint8_t hash[16];
	uint8_t addr[16]; /* as in the header: IPv4 in the first 4 bytes */
	bool ipv6;
	char key[OBMP_KEY_LEN + 1]; /* hash in hex: the Kafka key */
};

/* admin_id is cut at OBMP_ADMIN_ID_MAX bytes. */
void obmp_collector_init(struct obmp_collector *c, const char *admin_id);
/* addr: IPv6, or IPv4 as ::ffff:a.b.c.d when !ipv6 (stream.h's form). */
void obmp_router_init(struct obmp_router *r, const struct obmp_collector *c,
		      const uint8_t addr[16], bool ipv6);

/* The header's length for c (no router group). */
size_t obmp_header_len(const struct obmp_collector *c);
/* Writes the header for a BMP message of bmp_len bytes received at
 * recv_ns (CLOCK_REALTIME) into out. Returns its length, or 0 when cap is
 * too small or bmp_len does not fit the 32-bit length. */
size_t obmp_header(const struct obmp_collector *c, const struct obmp_router *r, int64_t recv_ns,
		   size_t bmp_len, uint8_t *out, size_t cap);

#endif
