/* wire_build.h — a byte builder for hand-made BGP and BMP messages, shared
 * by the unit tests and the test tools: big-endian writers over a growable
 * buffer, and the BMP common header and BGP header with their length
 * filled in once the body is written.
 *
 * Building only: untrusted bytes are read with the collector's reader,
 * never with this. Every misuse (a patch outside what was written, a
 * length that does not fit its field, growth past WB_MAX_LEN, out of
 * memory) aborts with a message, so a broken test vector fails loudly
 * instead of overflowing or being silently truncated.
 *
 * Storage comes from realloc/free; a file that wants the allocations
 * tracked (cmocka's leak check) defines WB_REALLOC and WB_FREE before
 * including this header. */
#ifndef CW_TESTS_WIRE_BUILD_H
#define CW_TESTS_WIRE_BUILD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef WB_REALLOC
#define WB_REALLOC realloc
#endif
#ifndef WB_FREE
#define WB_FREE free
#endif

/* Hard cap on one buffer: far above any message a test builds (BMP
 * messages past 64 KiB are a few hundred KiB), low enough that a runaway
 * loop stops quickly. */
#define WB_MAX_LEN ((size_t)16 << 20)
#define WB_MIN_CAP ((size_t)256)

#define WB_BGP_MARKER_LEN 16u /* RFC 4271 §4.1 */

/* p[0..len) is written; cap is what p holds. A zeroed struct wb is an
 * empty buffer; wb_init only saves the first reallocations. The buffer
 * owns p: release it with wb_free. */
struct wb {
	uint8_t *p;
	size_t len, cap;
};

static inline void wb_fail(const char *what)
{
	fprintf(stderr, "wire_build: %s\n", what);
	abort();
}

/* Makes room for n more bytes and returns where they go (len grows by n). */
static inline uint8_t *wb_room(struct wb *b, size_t n)
{
	uint8_t *w;

	if (n > WB_MAX_LEN - b->len)
		wb_fail("buffer would grow past WB_MAX_LEN");
	if (b->cap - b->len < n) {
		size_t cap = b->cap < WB_MIN_CAP ? WB_MIN_CAP : b->cap;
		uint8_t *p;

		while (cap - b->len < n)
			cap *= 2;
		if (cap > WB_MAX_LEN)
			cap = WB_MAX_LEN;
		p = WB_REALLOC(b->p, cap);
		if (p == NULL)
			wb_fail("out of memory");
		b->p = p;
		b->cap = cap;
	}
	w = b->p + b->len;
	b->len += n;
	return w;
}

/* An empty buffer holding at least cap bytes before it grows. */
static inline void wb_init(struct wb *b, size_t cap)
{
	*b = (struct wb){0};
	if (cap > WB_MAX_LEN)
		wb_fail("initial capacity past WB_MAX_LEN");
	if (cap > 0) {
		wb_room(b, cap);
		b->len = 0;
	}
}

/* Frees the storage and leaves an empty buffer; takes NULL. */
static inline void wb_free(struct wb *b)
{
	if (b == NULL)
		return;
	if (b->p != NULL)
		WB_FREE(b->p);
	*b = (struct wb){0};
}

/* Forgets what was written, keeping the storage for the next message. */
static inline void wb_reset(struct wb *b)
{
	b->len = 0;
}

/* ---- big-endian stores into bytes the caller owns ---- */

static inline void wb_store16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wb_store32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- appending; values wider than the field keep their low bytes ---- */

static inline void wb_put8(struct wb *b, unsigned v)
{
	*wb_room(b, 1) = (uint8_t)v;
}

static inline void wb_put16(struct wb *b, unsigned v)
{
	wb_store16(wb_room(b, 2), v);
}

static inline void wb_put32(struct wb *b, uint32_t v)
{
	wb_store32(wb_room(b, 4), v);
}

static inline void wb_put64(struct wb *b, uint64_t v)
{
	uint8_t *w = wb_room(b, 8);

	wb_store32(w, (uint32_t)(v >> 32));
	wb_store32(w + 4, (uint32_t)v);
}

static inline void wb_put_mem(struct wb *b, const void *p, size_t n)
{
	uint8_t *w = wb_room(b, n);

	if (n > 0)
		memcpy(w, p, n);
}

/* n bytes of value v. */
static inline void wb_put_fill(struct wb *b, unsigned v, size_t n)
{
	uint8_t *w = wb_room(b, n);

	if (n > 0)
		memset(w, (uint8_t)v, n);
}

/* ---- patching a field already written (lengths, mostly) ---- */

/* Where the n-byte field at `at` is, once checked to lie in the written
 * bytes and to hold v. */
static inline uint8_t *wb_field(struct wb *b, size_t at, size_t n, size_t v)
{
	if (at > b->len || b->len - at < n)
		wb_fail("patch outside the written bytes");
	if (n < sizeof(v) && v >> (8 * n) != 0)
		wb_fail("patched value does not fit its field");
	return b->p + at;
}

static inline void wb_set16(struct wb *b, size_t at, size_t v)
{
	wb_store16(wb_field(b, at, 2, v), (uint32_t)v);
}

static inline void wb_set32(struct wb *b, size_t at, size_t v)
{
	wb_store32(wb_field(b, at, 4, v), (uint32_t)v);
}

/* ---- message headers ---- */

/* RFC 7854 §4.1 common header: version 3, length (set by wb_bmp_end),
 * type. Returns where the message starts. */
static inline size_t wb_bmp_begin(struct wb *b, unsigned type)
{
	size_t at = b->len;

	wb_put8(b, 3);
	wb_put32(b, 0);
	wb_put8(b, type);
	return at;
}

/* The message begun at `at` ends here: its length covers the header. */
static inline void wb_bmp_end(struct wb *b, size_t at)
{
	wb_set32(b, at + 1, b->len - at);
}

/* RFC 4271 §4.1 header: all-ones marker, length (set by wb_bgp_end),
 * type. Returns where the message starts. */
static inline size_t wb_bgp_begin(struct wb *b, unsigned type)
{
	size_t at = b->len;

	wb_put_fill(b, 0xff, WB_BGP_MARKER_LEN);
	wb_put16(b, 0);
	wb_put8(b, type);
	return at;
}

static inline void wb_bgp_end(struct wb *b, size_t at)
{
	wb_set16(b, at + WB_BGP_MARKER_LEN, b->len - at);
}

#endif /* CW_TESTS_WIRE_BUILD_H */
