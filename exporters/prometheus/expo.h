/* expo.h — Prometheus exposition formats (text 0.0.4 and OpenMetrics
 * 1.0.0) rendered from a metrics snapshot. Pure: no I/O, no clock. */
#ifndef CW_EXPO_H
#define CW_EXPO_H

#include <stdbool.h>
#include <stddef.h>

#include "metrics.h"

enum expo_format {
	EXPO_TEXT,        /* text/plain; version=0.0.4 */
	EXPO_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
};

/* A growable output buffer; the caller owns data (free() it, or
 * expo_buf_clean). Zero-initialise before first use.
 *
 * mapped (set before first use): the buffer grows in an anonymous mapping
 * of its own (mremap) instead of the heap, so that a large transient body
 * goes back to the kernel when released rather than staying in a thread's
 * malloc arena; release with expo_buf_clean, or take the data with
 * expo_buf_take and release it with expo_mapped_free (not free()). */
struct expo_buf {
	char *data;
	size_t len;
	size_t cap;
	bool mapped;
};

/* Picks the format for an HTTP Accept header value (NULL = absent): the
 * acceptable media range with the highest q-value among the two we serve
 * (q=0 means "not acceptable"); on equal q the one listed first wins; text
 * when nothing matches. The wildcards any-type and text-any count as text. */
enum expo_format expo_negotiate(const char *accept);

/* The Content-Type header value for a format (static string). */
const char *expo_content_type(enum expo_format fmt);

/* Appends the whole exposition of snap in fmt to out (OpenMetrics ends
 * with "# EOF\n"); on success data[len] is a NUL, not counted in len.
 * Returns 0, or -1 on allocation failure or a NULL argument (out keeps
 * what it had and stays valid for free()). */
int expo_render(const struct metrics_snapshot *snap, enum expo_format fmt,
		struct expo_buf *out) __attribute__((warn_unused_result));

void expo_buf_clean(struct expo_buf *b);

/* Appends n bytes; 0 or -1 (out keeps what it had). */
int expo_buf_append(struct expo_buf *b, const void *p, size_t n)
	__attribute__((warn_unused_result));
/* Takes b's data (len bytes in *len) and leaves b empty. A mapped buffer's
 * mapping is first cut to the pages len needs; release such data with
 * expo_mapped_free(data, len), any other with free(). */
char *expo_buf_take(struct expo_buf *b, size_t *len);
void expo_mapped_free(char *data, size_t len); /* takes NULL */

/* The pieces of expo_render: one family's lines, and what ends the
 * exposition ("# EOF\n" in OpenMetrics, nothing in text). Append to out as
 * expo_render does; 0 or -1. */
int expo_render_family(const struct metrics_snap_family *f, enum expo_format fmt,
		       struct expo_buf *out) __attribute__((warn_unused_result));
int expo_render_end(enum expo_format fmt, struct expo_buf *out)
	__attribute__((warn_unused_result));

/* ---- gzip bodies from per-family pieces (expo_gz.c) ----
 *
 * A gzip exposition is a gzip member whose deflate stream is the
 * concatenation of one piece per family, each compressed on its own and
 * ended on a byte boundary (a sync flush), so that a family whose stamp
 * (metrics_snap_family.stamp) has not moved since the last body is neither
 * rendered nor compressed again: its piece and its CRC are reused, and the
 * CRCs are combined (crc32_combine). The result is one ordinary gzip
 * stream, byte for byte a valid RFC 1952 member.
 *
 * Ownership: the caller owns the expo_gz (expo_gz_free). The expo_gz holds
 * the last body's pieces: about one compressed body. Threads: one caller at a time per expo_gz. */
struct expo_gz;

/* level: zlib's, 1 (fastest) to 9. NULL on failure. */
struct expo_gz *expo_gz_new(enum expo_format fmt, int level);
void expo_gz_free(struct expo_gz *z); /* takes NULL */
/* Appends the gzip exposition of snap to out. Returns 0, or -1 on
 * allocation or zlib failure (out keeps what it had, and the next call
 * renders every family again). */
int expo_gz_render(struct expo_gz *z, const struct metrics_snapshot *snap,
		   struct expo_buf *out) __attribute__((warn_unused_result));

#endif
