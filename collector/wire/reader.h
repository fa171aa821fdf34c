/* reader.h — the one bounds-checked reader for untrusted bytes.
 *
 * A reader is a window (data, size) and a position. Every get fails with
 * -1 on a short read and leaves the position where it was; wire_sub()
 * carves a length-prefixed section into a child reader and moves the
 * parent past it, so each decoder sees only its own bytes ("carve first,
 * interpret second"). Integers are read big-endian (network order) and
 * returned in host order. Nothing here allocates; pointers handed out
 * point into the caller's buffer and live as long as it does.
 */
#ifndef CW_WIRE_READER_H
#define CW_WIRE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define WIRE_MUST_CHECK __attribute__((warn_unused_result))

struct wire_reader {
	const uint8_t *data;
	size_t size;
	size_t pos;
};

static inline void wire_init(struct wire_reader *r, const uint8_t *data, size_t size)
{
	r->data = data;
	r->size = size;
	r->pos = 0;
}

static inline size_t wire_left(const struct wire_reader *r)
{
	return r->size - r->pos;
}

static inline bool wire_done(const struct wire_reader *r)
{
	return r->pos == r->size;
}

/* Current position as a pointer (for error context and for handing a
 * whole remaining section to another decoder). */
static inline const uint8_t *wire_cur(const struct wire_reader *r)
{
	return r->data + r->pos;
}

static inline WIRE_MUST_CHECK int wire_get_u8(struct wire_reader *r, uint8_t *out)
{
	if (wire_left(r) < 1)
		return -1;
	*out = r->data[r->pos++];
	return 0;
}

static inline WIRE_MUST_CHECK int wire_get_u16(struct wire_reader *r, uint16_t *out)
{
	if (wire_left(r) < 2)
		return -1;
	*out = (uint16_t)((unsigned)r->data[r->pos] << 8 | r->data[r->pos + 1]);
	r->pos += 2;
	return 0;
}

static inline WIRE_MUST_CHECK int wire_get_u32(struct wire_reader *r, uint32_t *out)
{
	const uint8_t *p;

	if (wire_left(r) < 4)
		return -1;
	p = r->data + r->pos;
	*out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	r->pos += 4;
	return 0;
}

static inline WIRE_MUST_CHECK int wire_get_u64(struct wire_reader *r, uint64_t *out)
{
	uint64_t v = 0;

	if (wire_left(r) < 8)
		return -1;
	for (int i = 0; i < 8; i++)
		v = v << 8 | r->data[r->pos + (size_t)i];
	r->pos += 8;
	*out = v;
	return 0;
}

/* Points *out at the next n bytes (no copy) and moves past them. */
static inline WIRE_MUST_CHECK int wire_get_bytes(struct wire_reader *r, size_t n,
						 const uint8_t **out)
{
	if (wire_left(r) < n)
		return -1;
	*out = r->data + r->pos;
	r->pos += n;
	return 0;
}

/* Copies the next n bytes into dst and moves past them. */
static inline WIRE_MUST_CHECK int wire_copy(struct wire_reader *r, void *dst, size_t n)
{
	if (wire_left(r) < n)
		return -1;
	memcpy(dst, r->data + r->pos, n);
	r->pos += n;
	return 0;
}

static inline WIRE_MUST_CHECK int wire_skip(struct wire_reader *r, size_t n)
{
	if (wire_left(r) < n)
		return -1;
	r->pos += n;
	return 0;
}

/* Carves the next n bytes into child (its own window, position 0) and
 * moves the parent past them. */
static inline WIRE_MUST_CHECK int wire_sub(struct wire_reader *r, size_t n,
					   struct wire_reader *child)
{
	if (wire_left(r) < n)
		return -1;
	wire_init(child, r->data + r->pos, n);
	r->pos += n;
	return 0;
}

/* Reads without moving. */
static inline WIRE_MUST_CHECK int wire_peek_u8(const struct wire_reader *r, size_t off,
					       uint8_t *out)
{
	if (wire_left(r) <= off)
		return -1;
	*out = r->data[r->pos + off];
	return 0;
}

static inline WIRE_MUST_CHECK int wire_peek_u16(const struct wire_reader *r, size_t off,
						uint16_t *out)
{
	if (wire_left(r) < 2 || wire_left(r) - 2 < off)
		return -1;
	*out = (uint16_t)((unsigned)r->data[r->pos + off] << 8 | r->data[r->pos + off + 1]);
	return 0;
}

#endif
