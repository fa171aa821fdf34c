/* spool.h — the Kafka exporter's on-disk spool: events the brokers could
 * not take yet, kept in order across restarts and crashes.
 *
 * A directory of append-only segment files "<16 hex digits>.seg", read in
 * name order. Each record is framed as
 *
 *   magic "CWS1" (4) | length (4, big-endian) | CRC32C (4, big-endian) | payload
 *
 * where the CRC32C (Castagnoli, RFC 3720 §12.1, the CRC of iSCSI and of
 * Kafka's own record batches) covers the length field and the payload. A
 * reader that finds a bad CRC or an impossible length skips forward to the
 * next magic and counts the damage; a record cut short by a crash at the
 * end of a segment is counted as truncated and dropped. Appends go to a new
 * segment after each open (old ones are never appended to), so a torn tail
 * is never followed by new records.
 *
 * Delivery: records are read in order (spool_peek/spool_next) and
 * acknowledged when Kafka has them (spool_ack). A segment is deleted when
 * it has been read to its end and every record read from it was acked: a
 * crash before that replays the segment (at least once). The total size is
 * bounded: an append that would go over max_bytes fails (the caller counts
 * the loss).
 *
 * spool_scan is the pure core (a buffer in, records out), fuzzed by
 * tests/fuzz/fuzz_spool.c. Ownership: the caller owns the spool
 * (spool_open/spool_close); a peeked record stays valid until the next
 * call on the spool.
 */
#ifndef CW_KAFKA_SPOOL_H
#define CW_KAFKA_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPOOL_MAGIC 0x43575331u         /* "CWS1" */
#define SPOOL_HDR_LEN 12u
#define SPOOL_RECORD_MAX (64u * 1024u)  /* payload cap: bigger lengths are corruption */
#define SPOOL_SEGMENT_MAX (1u << 20)    /* a segment is closed past 1 MiB */
#define SPOOL_READ_MAX (64u << 20)      /* bytes of one segment file ever read */
#define SPOOL_MIN_BYTES (64u * 1024u)   /* smallest max_bytes accepted */

uint32_t spool_crc32c(uint32_t crc, const void *data, size_t len);

/* Frames a record into out (SPOOL_HDR_LEN + len bytes). Returns the framed
 * length, or 0 when len > SPOOL_RECORD_MAX or out is too small. */
size_t spool_frame(const void *rec, size_t len, uint8_t *out, size_t cap);

struct spool_damage {
	uint64_t corrupt;   /* damaged regions skipped (bad CRC, bad length, garbage) */
	uint64_t truncated; /* records cut short at the end of a segment */
};

/* Pure reader: the next good record at or after *pos in buf[0..len).
 * Returns 1 with *rec and *rec_len set (pointing into buf) and *pos past it,
 * or 0 at the end (*pos == len). Damage is counted into dmg. */
int spool_scan(const uint8_t *buf, size_t len, size_t *pos, const uint8_t **rec,
	       size_t *rec_len, struct spool_damage *dmg);

struct spool;

/* Opens (creating it, mode 0700) the spool directory. max_bytes bounds the
 * total size of the segment files (>= SPOOL_MIN_BYTES). Returns 0 and
 * *out, or -1 with errno. */
int spool_open(const char *dir, uint64_t max_bytes, struct spool **out)
	__attribute__((warn_unused_result));
/* Syncs and closes; takes NULL. Unacked records stay for the next open. */
void spool_close(struct spool *sp);

#define SPOOL_OVER_BUDGET (-2) /* spool_append: max_bytes reached */

/* Appends one record (write(2), not yet synced). 0; SPOOL_OVER_BUDGET
 * (errno EDQUOT) when it would take the spool over max_bytes; or -1 with
 * errno EMSGSIZE when over SPOOL_RECORD_MAX, or the write's own error
 * (ENOSPC for a full disk, EIO). A failed write leaves no part of the
 * record behind. */
int spool_append(struct spool *sp, const void *rec, size_t len)
	__attribute__((warn_unused_result));
/* fsync(2)s what was appended since the last sync (and the directory when
 * a segment was created). Call once per batch. */
int spool_sync(struct spool *sp) __attribute__((warn_unused_result));

/* Writes recs as a new segment placed before every other one (fsynced):
 * at shutdown, messages that were in the producer's queue and are older
 * than everything spooled. Call only before spool_close (the read cursor
 * does not move back). Returns how many were written (the first ones);
 * when fewer than n, errno says why the rest were not (EDQUOT, ENOSPC...). */
int spool_prepend(struct spool *sp, const uint8_t *const *recs, const size_t *lens, size_t n)
	__attribute__((warn_unused_result));

/* The next unread record: 1 with *rec, *len and a ticket to ack it with, 0
 * when nothing is left to read, -1 on an I/O error (the segment is
 * skipped and counted corrupt). Does not move the cursor: spool_next does. */
int spool_peek(struct spool *sp, const uint8_t **rec, size_t *len, uint64_t *ticket);
void spool_next(struct spool *sp);
/* The record of ticket was delivered. */
void spool_ack(struct spool *sp, uint64_t ticket);

bool spool_has_unread(const struct spool *sp);
uint64_t spool_bytes(const struct spool *sp);    /* total segment bytes on disk */
size_t spool_segments(const struct spool *sp);
const struct spool_damage *spool_damage(const struct spool *sp);

#endif
