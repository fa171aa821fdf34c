/* expo.h — Prometheus exposition formats (text 0.0.4 and OpenMetrics
 * 1.0.0) rendered from a metrics snapshot. Pure: no I/O, no clock. */
#ifndef CW_EXPO_H
#define CW_EXPO_H

#include <stddef.h>

#include "metrics.h"

enum expo_format {
	EXPO_TEXT,        /* text/plain; version=0.0.4 */
	EXPO_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
};

/* A growable output buffer; the caller owns data (free() it, or
 * expo_buf_clean). Zero-initialise before first use. */
struct expo_buf {
	char *data;
	size_t len;
	size_t cap;
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

#endif
