/* spool.c — append-only segment files with length+CRC32C framing. */
#include "spool.h"
#include "fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#define SEQ_FIRST (UINT64_C(1) << 32) /* room below for spool_prepend */
#define NAME_LEN 21                   /* 16 hex digits + ".seg" + NUL */

/* ---- CRC32C (Castagnoli, reflected polynomial 0x82F63B78) ---- */

static uint32_t crc32c_soft(uint32_t crc, const uint8_t *p, size_t n)
{
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
	}
	return crc;
}

#if defined(__x86_64__)
/* SSE4.2 has CRC32C in hardware (the instruction is this very polynomial). */
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const uint8_t *p,
							    size_t n)
{
	uint64_t c = crc;

	for (; n >= 8; n -= 8, p += 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c = _mm_crc32_u64(c, v);
	}
	crc = (uint32_t)c;
	for (; n > 0; n--)
		crc = _mm_crc32_u8(crc, *p++);
	return crc;
}
#endif

uint32_t spool_crc32c(uint32_t crc, const void *data, size_t len)
{
	crc = ~crc;
#if defined(__x86_64__)
	if (__builtin_cpu_supports("sse4.2"))
		return ~crc32c_hw(crc, data, len);
#endif
	return ~crc32c_soft(crc, data, len);
}

/* ---- framing (pure) ---- */

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

size_t spool_frame(const void *rec, size_t len, uint8_t *out, size_t cap)
{
	uint32_t crc;

	if (len > SPOOL_RECORD_MAX || cap < SPOOL_HDR_LEN + len)
		return 0;
	put_be32(out, SPOOL_MAGIC);
	put_be32(out + 4, (uint32_t)len);
	crc = spool_crc32c(0, out + 4, 4);
	crc = spool_crc32c(crc, rec, len);
	put_be32(out + 8, crc);
	memcpy(out + SPOOL_HDR_LEN, rec, len);
	return SPOOL_HDR_LEN + len;
}

/* The next offset >= from where the magic starts, or len. */
static size_t find_magic(const uint8_t *buf, size_t len, size_t from)
{
	for (size_t i = from; i + 4 <= len; i++)
		if (buf[i] == 0x43 && get_be32(buf + i) == SPOOL_MAGIC)
			return i;
	return len;
}

/* Whether the n < 4 bytes at p are the start of a magic (a torn tail). */
static bool torn_magic(const uint8_t *p, size_t n)
{
	static const uint8_t magic[4] = {0x43, 0x57, 0x53, 0x31};

	return n < 4 && memcmp(p, magic, n) == 0;
}

int spool_scan(const uint8_t *buf, size_t len, size_t *pos, const uint8_t **rec,
	       size_t *rec_len, struct spool_damage *dmg)
{
	size_t p = *pos;

	while (p < len) {
		size_t m = find_magic(buf, len, p);

		if (m != p) { /* bytes that are no record: one damaged region */
			if (m == len && torn_magic(buf + p, len - p))
				dmg->truncated++; /* a header torn before its magic was whole */
			else
				dmg->corrupt++;
			p = m;
			continue;
		}
		if (len - p < SPOOL_HDR_LEN) {
			dmg->truncated++;
			p = len;
			break;
		}
		uint32_t n = get_be32(buf + p + 4);
		uint32_t crc = get_be32(buf + p + 8);

		if (n > SPOOL_RECORD_MAX) {
			dmg->corrupt++;
			p = find_magic(buf, len, p + 1);
			continue;
		}
		if (n > len - p - SPOOL_HDR_LEN) {
			/* past the end: a torn last record, unless another record
			 * follows (then the length itself is damaged) */
			size_t next = find_magic(buf, len, p + 1);

			if (next == len)
				dmg->truncated++;
			else
				dmg->corrupt++;
			p = next;
			continue;
		}
		if (spool_crc32c(spool_crc32c(0, buf + p + 4, 4), buf + p + SPOOL_HDR_LEN, n) != crc) {
			dmg->corrupt++;
			p = find_magic(buf, len, p + 1);
			continue;
		}
		*rec = buf + p + SPOOL_HDR_LEN;
		*rec_len = n;
		*pos = p + SPOOL_HDR_LEN + n;
		return 1;
	}
	*pos = len;
	return 0;
}

/* ---- the spool directory ---- */

struct seg {
	uint64_t seq, size;
	uint64_t nread, nacked;
	bool sealed;       /* no more appends */
	bool done_reading; /* the read cursor passed its end */
};

struct spool {
	char *dir;
	int dirfd;
	uint64_t max_bytes, total;
	struct seg *segs; /* by seq, oldest first */
	size_t nsegs, cap;
	int wfd;          /* the write segment (segs[nsegs-1], unsealed), or -1 */
	bool dirty, dir_dirty;
	size_t ridx;      /* segment being read */
	uint8_t *rbuf;    /* its bytes while loaded */
	size_t rlen, rpos, peek_next;
	bool loaded, peeked;
	struct spool_damage dmg;
};

static void seg_name(uint64_t seq, char out[NAME_LEN])
{
	snprintf(out, NAME_LEN, "%016" PRIx64 ".seg", seq);
}

static int parse_name(const char *name, uint64_t *seq)
{
	char *end;

	if (strlen(name) != NAME_LEN - 1 || strcmp(name + 16, ".seg") != 0)
		return -1;
	for (int i = 0; i < 16; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return -1;
	*seq = strtoull(name, &end, 16);
	return end == name + 16 ? 0 : -1;
}

static int seg_insert(struct spool *sp, size_t at, const struct seg *s)
{
	if (sp->nsegs == sp->cap) {
		size_t cap = sp->cap ? sp->cap * 2 : 16;
		struct seg *v = realloc(sp->segs, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		sp->segs = v;
		sp->cap = cap;
	}
	memmove(&sp->segs[at + 1], &sp->segs[at], (sp->nsegs - at) * sizeof(*s));
	sp->segs[at] = *s;
	sp->nsegs++;
	return 0;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int scan_dir(struct spool *sp)
{
	int fd = dup(sp->dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		struct seg s = {.sealed = true};
		struct stat st;

		if (parse_name(de->d_name, &s.seq) != 0 ||
		    fstatat(sp->dirfd, de->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode))
			continue;
		s.size = (uint64_t)st.st_size;
		if (seg_insert(sp, sp->nsegs, &s) != 0) {
			closedir(d);
			return -1;
		}
		sp->total += s.size;
	}
	closedir(d);
	if (sp->nsegs > 1)
		qsort(sp->segs, sp->nsegs, sizeof(sp->segs[0]), cmp_seg);
	return 0;
}

int spool_open(const char *dir, uint64_t max_bytes, struct spool **out)
{
	struct spool *sp;

	*out = NULL;
	if (max_bytes < SPOOL_MIN_BYTES) {
		errno = EINVAL;
		return -1;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	sp = calloc(1, sizeof(*sp));
	if (sp == NULL)
		return -1;
	sp->wfd = -1;
	sp->max_bytes = max_bytes;
	sp->dir = strdup(dir);
	sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dir == NULL || sp->dirfd < 0 || scan_dir(sp) != 0) {
		int e = errno;

		spool_close(sp);
		errno = e;
		return -1;
	}
	*out = sp;
	return 0;
}

static void seal_write(struct spool *sp)
{
	if (sp->wfd < 0)
		return;
	if (sp->dirty)
		(void)fsync(sp->wfd);
	close(sp->wfd);
	sp->wfd = -1;
	sp->dirty = false;
	sp->segs[sp->nsegs - 1].sealed = true;
}

void spool_close(struct spool *sp)
{
	if (sp == NULL)
		return;
	seal_write(sp);
	if (sp->dir_dirty && sp->dirfd >= 0)
		(void)fsync(sp->dirfd);
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	free(sp->rbuf);
	free(sp->segs);
	free(sp->dir);
	free(sp);
}

static int create_seg(struct spool *sp, uint64_t seq)
{
	char name[NAME_LEN];

	seg_name(seq, name);
	int fd = openat(sp->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);

	if (fd >= 0)
		sp->dir_dirty = true;
	return fd;
}

static int open_write_seg(struct spool *sp)
{
	struct seg s = {.seq = sp->nsegs > 0 ? sp->segs[sp->nsegs - 1].seq + 1 : SEQ_FIRST};
	int fd = create_seg(sp, s.seq);

	if (fd < 0)
		return -1;
	if (seg_insert(sp, sp->nsegs, &s) != 0) {
		char name[NAME_LEN];

		close(fd);
		seg_name(s.seq, name);
		(void)unlinkat(sp->dirfd, name, 0);
		errno = ENOMEM;
		return -1;
	}
	sp->wfd = fd;
	return 0;
}

int spool_append(struct spool *sp, const void *rec, size_t len)
{
	uint8_t stackbuf[4096];
	uint8_t *buf = stackbuf;
	size_t n;
	int rc = -1;

	if (len > SPOOL_RECORD_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (sp->total + SPOOL_HDR_LEN + len > sp->max_bytes) {
		errno = EDQUOT; /* our own budget; a full disk is the write's ENOSPC */
		return SPOOL_OVER_BUDGET;
	}
	if (sp->wfd >= 0 && sp->segs[sp->nsegs - 1].size >= SPOOL_SEGMENT_MAX)
		seal_write(sp);
	if (sp->wfd < 0 && open_write_seg(sp) != 0)
		return -1;
	if (SPOOL_HDR_LEN + len > sizeof(stackbuf) && (buf = malloc(SPOOL_HDR_LEN + len)) == NULL)
		return -1;
	n = spool_frame(rec, len, buf, SPOOL_HDR_LEN + len);
	struct seg *s = &sp->segs[sp->nsegs - 1];

	if (cw_write_all(sp->wfd, buf, n) != 0) {
		int e = errno;

		/* no half record behind us: cut back to the last whole one */
		if (ftruncate(sp->wfd, (off_t)s->size) != 0)
			seal_write(sp);
		errno = e;
		goto out;
	}
	s->size += n;
	sp->total += n;
	sp->dirty = true;
	rc = 0;
out:
	if (buf != stackbuf)
		free(buf);
	return rc;
}

int spool_sync(struct spool *sp)
{
	int rc = 0;

	if (sp->dirty && sp->wfd >= 0 && fsync(sp->wfd) != 0)
		rc = -1;
	sp->dirty = false;
	if (sp->dir_dirty && fsync(sp->dirfd) != 0)
		rc = -1;
	sp->dir_dirty = false;
	return rc;
}

int spool_prepend(struct spool *sp, const uint8_t *const *recs, const size_t *lens, size_t n)
{
	struct seg s = {.sealed = true};
	int fd, written = 0, stop = 0;
	uint8_t *buf = malloc(SPOOL_HDR_LEN + SPOOL_RECORD_MAX);

	if (buf == NULL)
		return -1;
	s.seq = sp->nsegs > 0 ? sp->segs[0].seq - 1 : SEQ_FIRST - 1;
	fd = create_seg(sp, s.seq);
	if (fd < 0) {
		free(buf);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		size_t m = spool_frame(recs[i], lens[i], buf, SPOOL_HDR_LEN + SPOOL_RECORD_MAX);

		/* the oldest first: what does not fit is the newest (counted lost) */
		if (m == 0 || sp->total + s.size + m > sp->max_bytes) {
			stop = m == 0 ? EMSGSIZE : EDQUOT;
			break;
		}
		if (cw_write_all(fd, buf, m) != 0) {
			stop = errno;
			if (ftruncate(fd, (off_t)s.size) != 0)
				written = -1;
			break;
		}
		s.size += m;
		written++;
	}
	free(buf);
	if (fsync(fd) != 0 || fsync(sp->dirfd) != 0)
		written = -1;
	close(fd);
	sp->dir_dirty = false;
	if (seg_insert(sp, 0, &s) != 0)
		return -1;
	sp->total += s.size;
	sp->ridx++; /* the cursor stays on the record it was at */
	if (stop != 0)
		errno = stop;
	return written;
}

static void maybe_delete(struct spool *sp, size_t i)
{
	struct seg *s = &sp->segs[i];
	char name[NAME_LEN];

	if (!s->sealed || !s->done_reading || s->nacked < s->nread)
		return;
	seg_name(s->seq, name);
	(void)unlinkat(sp->dirfd, name, 0);
	sp->dir_dirty = true;
	sp->total -= s->size;
	memmove(&sp->segs[i], &sp->segs[i + 1], (sp->nsegs - i - 1) * sizeof(*s));
	sp->nsegs--;
	if (i < sp->ridx)
		sp->ridx--;
}

static int load_seg(struct spool *sp)
{
	struct seg *s = &sp->segs[sp->ridx];
	char name[NAME_LEN];
	size_t want = s->size < SPOOL_READ_MAX ? (size_t)s->size : SPOOL_READ_MAX;
	int fd;

	if (!s->sealed)
		seal_write(sp); /* new appends go to a new segment from now */
	seg_name(s->seq, name);
	fd = openat(sp->dirfd, name, O_RDONLY | O_CLOEXEC);
	sp->rbuf = fd >= 0 ? malloc(want > 0 ? want : 1) : NULL;
	sp->rlen = 0;
	while (sp->rbuf != NULL && sp->rlen < want) {
		ssize_t r = read(fd, sp->rbuf + sp->rlen, want - sp->rlen);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		sp->rlen += (size_t)r;
	}
	if (fd >= 0)
		close(fd);
	if (sp->rbuf == NULL)
		return -1;
	if (s->size > SPOOL_READ_MAX)
		sp->dmg.corrupt++; /* a file this big was not written by us */
	sp->rpos = 0;
	sp->loaded = true;
	return 0;
}

static void finish_seg(struct spool *sp)
{
	size_t i = sp->ridx;

	free(sp->rbuf);
	sp->rbuf = NULL;
	sp->loaded = false;
	sp->segs[i].done_reading = true;
	sp->ridx++;
	maybe_delete(sp, i);
}

int spool_peek(struct spool *sp, const uint8_t **rec, size_t *len, uint64_t *ticket)
{
	while (sp->ridx < sp->nsegs) {
		struct seg *s = &sp->segs[sp->ridx];

		if (!sp->loaded) {
			if (!s->sealed && s->size == 0)
				return 0; /* the empty write segment: nothing yet */
			if (load_seg(sp) != 0) {
				sp->dmg.corrupt++;
				finish_seg(sp);
				return -1;
			}
		}
		size_t pos = sp->rpos;

		if (spool_scan(sp->rbuf, sp->rlen, &pos, rec, len, &sp->dmg) == 1) {
			sp->peek_next = pos;
			sp->peeked = true;
			*ticket = sp->segs[sp->ridx].seq;
			return 1;
		}
		finish_seg(sp);
	}
	return 0;
}

void spool_next(struct spool *sp)
{
	if (!sp->peeked)
		return;
	sp->peeked = false;
	sp->rpos = sp->peek_next;
	sp->segs[sp->ridx].nread++;
	/* read to its end: the segment can go as soon as its last ack comes */
	if (sp->rpos >= sp->rlen)
		finish_seg(sp);
}

void spool_ack(struct spool *sp, uint64_t ticket)
{
	for (size_t i = 0; i < sp->nsegs; i++) {
		if (sp->segs[i].seq == ticket) {
			sp->segs[i].nacked++;
			maybe_delete(sp, i);
			return;
		}
	}
}

bool spool_has_unread(const struct spool *sp)
{
	for (size_t i = sp->ridx; i < sp->nsegs; i++) {
		if (i == sp->ridx && sp->loaded) {
			if (sp->rpos < sp->rlen)
				return true;
			continue;
		}
		if (sp->segs[i].size > 0)
			return true;
	}
	return false;
}

uint64_t spool_bytes(const struct spool *sp)
{
	return sp->total;
}

size_t spool_segments(const struct spool *sp)
{
	return sp->nsegs;
}

const struct spool_damage *spool_damage(const struct spool *sp)
{
	return &sp->dmg;
}
