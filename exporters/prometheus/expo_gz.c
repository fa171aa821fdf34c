/* expo_gz.c — gzip expositions built from per-family deflate pieces; see
 * expo.h.
 *
 * Why: at 100,000 series the deflate of a whole body costs more than the
 * snapshot and the text together, and after a publish most families are
 * as they were (the ones whose values moved are re-rendered). Each piece
 * comes from a deflate stream reset for it (so it refers to no byte before
 * it) and ends with a sync flush (an empty stored block: byte-aligned,
 * not final), so pieces concatenate into one stream; a final piece with
 * the end of the exposition closes it. RFC 1952 §2.3 gives the member's
 * header and trailer (CRC-32 and length of the uncompressed data). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "expo.h"

#define GZ_HEADER_LEN 10
#define GZ_TRAILER_LEN 8

struct gz_piece {
	char *name;           /* the family's name (a copy) */
	uint64_t stamp;       /* its stamp when rendered */
	unsigned char *z;     /* deflated text, ending in a sync flush */
	size_t zlen;
	uLong crc;            /* CRC-32 of the text */
	size_t raw;           /* bytes of text */
};

struct expo_gz {
	enum expo_format fmt;
	z_stream zs;
	struct gz_piece *p;   /* the last body's pieces, by family name */
	size_t n;
	struct expo_buf text; /* one family's text while it is compressed */
};

struct expo_gz *expo_gz_new(enum expo_format fmt, int level)
{
	struct expo_gz *z = calloc(1, sizeof(*z));

	if (z == NULL)
		return NULL;
	z->fmt = fmt;
	z->text.mapped = true; /* the largest family's text, for a moment */
	/* raw deflate (negative window bits): we write the gzip framing */
	if (deflateInit2(&z->zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(z);
		return NULL;
	}
	return z;
}

static void pieces_free(struct gz_piece *p, size_t n)
{
	for (size_t i = 0; p != NULL && i < n; i++) {
		free(p[i].name);
		free(p[i].z);
	}
	free(p);
}

void expo_gz_free(struct expo_gz *z)
{
	if (z == NULL)
		return;
	deflateEnd(&z->zs);
	pieces_free(z->p, z->n);
	expo_buf_clean(&z->text);
	free(z);
}

/* Deflates len bytes of text into piece d (a fresh stream; ends with a
 * sync flush, or with the final block when last). 0 or -1. */
static int piece_deflate(struct expo_gz *z, const char *text, size_t len, bool last,
			 struct gz_piece *d)
{
	/* deflateBound covers a whole stream; a sync flush adds at most an
	 * empty stored block and the bits before it */
	size_t cap = deflateBound(&z->zs, (uLong)len) + 16;

	d->raw = len;
	d->crc = crc32(0L, (const Bytef *)text, (uInt)len);
	if (deflateReset(&z->zs) != Z_OK || (d->z = malloc(cap)) == NULL)
		return -1;
	z->zs.next_in = (Bytef *)(uintptr_t)text;
	z->zs.avail_in = (uInt)len;
	z->zs.next_out = d->z;
	z->zs.avail_out = (uInt)cap;
	int rc = deflate(&z->zs, last ? Z_FINISH : Z_SYNC_FLUSH);

	if (rc != (last ? Z_STREAM_END : Z_OK) || z->zs.avail_in != 0 || z->zs.avail_out == 0)
		return -1; /* no room left might mean more pending: never here */
	d->zlen = cap - z->zs.avail_out;
	return 0;
}

/* Renders and deflates family f into d. 0 or -1. */
static int piece_render(struct expo_gz *z, const struct metrics_snap_family *f,
			struct gz_piece *d)
{
	z->text.len = 0;
	d->stamp = f->stamp;
	if ((d->name = strdup(f->name)) == NULL || expo_render_family(f, z->fmt, &z->text) != 0)
		return -1;
	return piece_deflate(z, z->text.data, z->text.len, false, d);
}

/* The piece of f: the last body's when its stamp held (moved out of old),
 * else a new one. old is sorted by name as snapshot families are; *j
 * walks it. 0 or -1. */
static int piece_of(struct expo_gz *z, const struct metrics_snap_family *f, size_t *j,
		    struct gz_piece *d)
{
	int cmp = 1;

	while (*j < z->n && (cmp = strcmp(z->p[*j].name, f->name)) < 0)
		(*j)++;
	if (*j < z->n && cmp == 0 && z->p[*j].stamp == f->stamp) {
		*d = z->p[*j];
		z->p[(*j)++] = (struct gz_piece){0};
		return 0;
	}
	return piece_render(z, f, d);
}

/* Appends the gzip member to out: header, pieces, the end, trailer. */
static int assemble(const struct gz_piece *p, size_t n, const struct gz_piece *end,
		    struct expo_buf *out)
{
	/* no name, no mtime, XFL 0, OS 3 (Unix) */
	static const unsigned char header[GZ_HEADER_LEN] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
	size_t mark = out->len, raw = 0;
	uLong crc = crc32(0L, Z_NULL, 0);
	unsigned char trailer[GZ_TRAILER_LEN];

	if (expo_buf_append(out, header, GZ_HEADER_LEN) != 0)
		return -1;
	for (size_t i = 0; i <= n; i++) {
		const struct gz_piece *q = i < n ? &p[i] : end;

		if (expo_buf_append(out, q->z, q->zlen) != 0) {
			out->len = mark;
			return -1;
		}
		crc = crc32_combine(crc, q->crc, (z_off_t)q->raw);
		raw += q->raw;
	}
	for (int k = 0; k < 4; k++) { /* little-endian CRC-32, then ISIZE */
		trailer[k] = (unsigned char)(crc >> (8 * k));
		trailer[4 + k] = (unsigned char)((uint64_t)raw >> (8 * k));
	}
	if (expo_buf_append(out, trailer, GZ_TRAILER_LEN) != 0) {
		out->len = mark;
		return -1;
	}
	return 0;
}

/* Deflates the end of the exposition as the final piece into *end. */
static int end_piece(struct expo_gz *z, struct gz_piece *end)
{
	z->text.len = 0;
	if (expo_render_end(z->fmt, &z->text) != 0)
		return -1;
	return piece_deflate(z, z->text.data, z->text.len, true, end);
}

int expo_gz_render(struct expo_gz *z, const struct metrics_snapshot *snap,
		   struct expo_buf *out)
{
	size_t n = snap->nfamilies, j = 0;
	struct gz_piece *p = calloc(n ? n : 1, sizeof(*p)), end = {0};
	int rc = -1;

	if (p == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (piece_of(z, &snap->families[i], &j, &p[i]) != 0)
			goto out;
	if (end_piece(z, &end) != 0 || assemble(p, n, &end, out) != 0)
		goto out;
	rc = 0;
out:
	/* the old pieces not reused go; on failure so do the new ones (the
	 * next render starts over) */
	pieces_free(z->p, z->n);
	z->p = rc == 0 ? p : NULL;
	z->n = rc == 0 ? n : 0;
	if (rc != 0)
		pieces_free(p, n);
	free(end.z);
	expo_buf_clean(&z->text); /* the largest family's text: not kept */
	return rc;
}
