/* test_reasm.c — TCP reassembler: ordering, retransmission, overlap, wrap,
 * gaps and resynchronisation, FIN/RST, memory bounds, and the property test
 * of issue 4 (a segmented, reordered, duplicated BGP stream yields exactly
 * the original messages). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reasm.h"

/* ---- helpers ---- */

static uint64_t rng_next(uint64_t *s) /* splitmix64: deterministic per seed */
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t rng_below(uint64_t *s, size_t n)
{
	return n ? (size_t)(rng_next(s) % n) : 0;
}

static uint8_t pat(size_t i)
{
	return (uint8_t)(i * 131u + 17u);
}

static void feed(struct cap_reasm *r, uint32_t seq, const uint8_t *p, size_t len)
{
	assert_int_equal(cap_reasm_segment(r, seq, p, len, false, false), 0);
}

/* Copies everything ready (up to any gap) into out and consumes it. */
static size_t drain_all(struct cap_reasm *r, uint8_t *out, size_t cap)
{
	const uint8_t *p;
	size_t n;

	cap_reasm_data(r, &p, &n);
	assert_true(n <= cap);
	if (n)
		memcpy(out, p, n);
	cap_reasm_consume(r, n);
	return n;
}

/* Builds one BGP message: marker, length, type, random body. */
static size_t bgp_msg(uint8_t *o, uint8_t type, size_t body, uint64_t *rs)
{
	size_t len = 19 + body;
	memset(o, 0xff, 16);
	o[16] = (uint8_t)(len >> 8);
	o[17] = (uint8_t)len;
	o[18] = type;
	for (size_t i = 0; i < body; i++)
		o[19 + i] = (uint8_t)rng_next(rs);
	return len;
}

/* ---- basic ordering ---- */

static void test_in_order(void **state)
{
	struct cap_reasm r;
	uint8_t src[300], out[300];
	(void)state;
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = pat(i);
	cap_reasm_init(&r, NULL, 1000, false);
	feed(&r, 1000, src, 100);
	feed(&r, 1100, src + 100, 150);
	feed(&r, 1250, src + 250, 50);
	assert_int_equal(drain_all(&r, out, sizeof(out)), 300);
	assert_memory_equal(out, src, 300);
	assert_int_equal(r.st.delivered, 300);
	assert_int_equal(r.st.segments, 3);
	assert_int_equal(r.st.ooo_segments, 0);
	assert_false(r.after_gap);
	cap_reasm_clean(&r);
}

static void test_reorder(void **state)
{
	struct cap_reasm r;
	uint8_t src[300], out[300];
	const uint8_t *p;
	size_t n;
	(void)state;
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = pat(i);
	cap_reasm_init(&r, NULL, 0, false);
	feed(&r, 200, src + 200, 100);
	feed(&r, 100, src + 100, 100);
	cap_reasm_data(&r, &p, &n);
	assert_int_equal(n, 0); /* nothing until the hole at 0 fills */
	assert_int_equal(r.held_bytes, 200);
	feed(&r, 0, src, 100);
	assert_int_equal(drain_all(&r, out, sizeof(out)), 300);
	assert_memory_equal(out, src, 300);
	assert_int_equal(r.st.ooo_segments, 2);
	assert_int_equal(r.held_bytes, 0);
	cap_reasm_clean(&r);
}

static void test_duplicates(void **state)
{
	struct cap_reasm r;
	uint8_t src[200], out[400];
	(void)state;
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = pat(i);
	cap_reasm_init(&r, NULL, 5, false);
	feed(&r, 5, src, 100);
	feed(&r, 5, src, 100);        /* full retransmission */
	feed(&r, 105 + 50, src + 150, 50); /* held */
	feed(&r, 105 + 50, src + 150, 50); /* duplicate of held */
	feed(&r, 105, src + 100, 50);
	assert_int_equal(drain_all(&r, out, sizeof(out)), 200);
	assert_memory_equal(out, src, 200);
	assert_int_equal(r.st.retrans_bytes, 100);
	assert_int_equal(r.st.overlaps, 1);
	assert_int_equal(r.st.overlap_conflicts, 0);
	assert_int_equal(r.st.delivered, 200);
	cap_reasm_clean(&r);
}

static void test_overlap_both_sides(void **state)
{
	struct cap_reasm r;
	uint8_t src[100], bad[100], out[100];
	(void)state;
	for (size_t i = 0; i < sizeof(src); i++) {
		src[i] = pat(i);
		bad[i] = (uint8_t)~src[i];
	}
	cap_reasm_init(&r, NULL, 0, false);
	feed(&r, 40, src + 40, 20); /* held [40,60) */
	/* [30,70) overlaps it on both sides with different bytes: only the
	 * holes [30,40) and [60,70) are taken, from the new copy. */
	feed(&r, 30, bad + 30, 40);
	assert_int_equal(r.st.overlaps, 1);
	assert_int_equal(r.st.overlap_conflicts, 1);
	assert_int_equal(r.held_bytes, 40);
	/* [20,35) overlaps the left edge with the same bytes as held. */
	feed(&r, 20, src + 20, 10);
	feed(&r, 25, bad + 25, 10); /* [25,35): [25,30) held, [30,35) held → conflicts */
	assert_int_equal(r.st.overlaps, 2);
	assert_int_equal(r.st.overlap_conflicts, 2);
	/* In-order segment [0,25) overlaps held [20,25) identically. */
	feed(&r, 0, src, 25);
	assert_int_equal(r.st.overlaps, 3);
	assert_int_equal(r.st.overlap_conflicts, 2);
	/* A retransmission straddling nxt (70): [65,80) → 5 retransmitted. */
	feed(&r, 65, src + 65, 15);
	assert_int_equal(r.st.retrans_bytes, 5);
	assert_int_equal(drain_all(&r, out, sizeof(out)), 80);
	assert_memory_equal(out, src, 30);           /* first copies won */
	assert_memory_equal(out + 30, bad + 30, 10); /* hole filled by 2nd */
	assert_memory_equal(out + 40, src + 40, 20); /* held first copy */
	assert_memory_equal(out + 60, bad + 60, 10);
	assert_memory_equal(out + 70, src + 70, 10);
	cap_reasm_clean(&r);
}

static void test_wrap(void **state)
{
	struct cap_reasm r;
	uint8_t src[64], out[64];
	const uint32_t isn = 0xFFFFFFF0u;
	(void)state;
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = pat(i);
	cap_reasm_init(&r, NULL, isn, false);
	feed(&r, isn + 40, src + 40, 24); /* seq 0x18: after the wrap */
	feed(&r, isn + 10, src + 10, 30); /* straddles 2^32 */
	feed(&r, isn, src, 12);           /* overlaps [10,12) */
	feed(&r, isn - 8, src, 8);        /* before nxt: old data */
	assert_int_equal(drain_all(&r, out, sizeof(out)), 64);
	assert_memory_equal(out, src, 64);
	assert_int_equal(r.nxt, (uint32_t)(isn + 64));
	assert_int_equal(r.st.retrans_bytes, 8);
	assert_int_equal(r.st.gaps, 0);
	cap_reasm_clean(&r);
}

/* ---- marker ---- */

static void test_find_marker(void **state)
{
	uint8_t b[64];
	(void)state;
	memset(b, 0, sizeof(b));
	assert_int_equal(cap_reasm_find_marker(b, sizeof(b)), -1);
	assert_int_equal(cap_reasm_find_marker(NULL, 0), -1);
	/* exact header at 5 */
	memset(b + 5, 0xff, 16);
	b[21] = 0;
	b[22] = 19;
	b[23] = 4;
	assert_int_equal(cap_reasm_find_marker(b, sizeof(b)), 5);
	assert_int_equal(cap_reasm_find_marker(b, 24), 5);
	assert_int_equal(cap_reasm_find_marker(b, 23), -1); /* type cut off */
	/* a longer run of 0xff: the marker is the last 16 */
	memset(b, 0, sizeof(b));
	memset(b, 0xff, 20);
	b[20] = 0;
	b[21] = 23;
	b[22] = 1;
	assert_int_equal(cap_reasm_find_marker(b, sizeof(b)), 4);
	b[22] = 6; /* type out of range */
	assert_int_equal(cap_reasm_find_marker(b, sizeof(b)), -1);
	b[22] = 0;
	assert_int_equal(cap_reasm_find_marker(b, sizeof(b)), -1);
	b[22] = 5;
	b[21] = 18; /* length below the minimum */
	assert_int_equal(cap_reasm_find_marker(b, sizeof(b)), -1);
	b[20] = 0xff; /* 21 ff, 0x12, 0x05: plausible at 4 (length 0xff12, type 5) */
	assert_int_equal(cap_reasm_find_marker(b, sizeof(b)), 4);
	b[22] = 0; /* length 0xff12 but type 0 at 4; length 0x1200 type 0 at 5 */
	assert_int_equal(cap_reasm_find_marker(b, sizeof(b)), -1);
	/* only 15 ff */
	memset(b, 0, sizeof(b));
	memset(b + 1, 0xff, 15);
	b[16] = 0;
	b[17] = 19;
	b[18] = 4;
	assert_int_equal(cap_reasm_find_marker(b, sizeof(b)), -1);
}

/* Frames BGP messages at the start of p; returns bytes of whole messages. */
static size_t frame(const uint8_t *p, size_t n, size_t *count)
{
	size_t off = 0;
	while (n - off >= 19) {
		size_t len = (size_t)p[off + 16] << 8 | p[off + 17];
		assert_int_equal(cap_reasm_find_marker(p + off, n - off), 0);
		if (n - off < len)
			break;
		off += len;
		(*count)++;
	}
	return off;
}

/* ---- gaps ---- */

static void test_gap_resync(void **state)
{
	uint8_t stream[4000], out[4000];
	size_t off[40], nmsg = 0, total = 0, got = 0, count = 0;
	uint64_t rs = 42;
	struct cap_reasm r;
	const uint8_t *p;
	size_t n;
	(void)state;

	for (nmsg = 0; nmsg < 30; nmsg++) {
		off[nmsg] = total;
		total += bgp_msg(stream + total, 2, 20 + rng_below(&rs, 80), &rs);
	}
	off[nmsg] = total;
	cap_reasm_init(&r, NULL, 7, false);
	/* Segments of 50 bytes; the one covering [500,550) is lost. */
	for (size_t s = 0; s < total; s += 50) {
		size_t len = total - s < 50 ? total - s : 50;
		if (s == 500)
			continue;
		feed(&r, 7 + (uint32_t)s, stream + s, len);
	}
	cap_reasm_data(&r, &p, &n);
	assert_int_equal(n, 500); /* stuck at the hole */
	assert_int_equal(cap_reasm_flush_gap(&r), 1);
	assert_int_equal(r.st.gaps, 1);
	assert_int_equal(r.st.gap_bytes, 50);
	/* Before-gap bytes first, flagged as followed by a gap. */
	assert_true(cap_reasm_data(&r, &p, &n));
	assert_int_equal(n, 500);
	got = frame(p, n, &count);
	memcpy(out, p, got);
	cap_reasm_consume(&r, n); /* the partial message is given up */
	assert_true(r.after_gap);
	assert_false(cap_reasm_data(&r, &p, &n));
	assert_int_equal(n, total - 550);
	/* Resynchronise: the first marker is the first message after 550. */
	ptrdiff_t m = cap_reasm_find_marker(p, n);
	size_t first = 0;
	while (off[first] < 550)
		first++;
	assert_int_equal(m, off[first] - 550);
	r.after_gap = false;
	size_t before = count;
	size_t used = frame(p + m, n - (size_t)m, &count);
	assert_int_equal((size_t)m + used, n);
	assert_memory_equal(p + m, stream + off[first], total - off[first]);
	/* Whole messages before the gap + all after it; only the ones
	 * touching [500,550) are lost. */
	size_t lost = 0;
	for (size_t i = 0; i < nmsg; i++)
		if (off[i] < 550 && off[i + 1] > 500)
			lost++;
	assert_int_equal(count, nmsg - lost);
	assert_int_equal(count - before, nmsg - first);
	assert_memory_equal(out, stream, got);
	assert_int_equal(cap_reasm_flush_gap(&r), 0);
	cap_reasm_clean(&r);
}

static void test_window_gap(void **state)
{
	struct cap_reasm r;
	uint8_t seg[1000];
	const uint8_t *p;
	size_t n;
	(void)state;
	memset(seg, 0xab, sizeof(seg));
	cap_reasm_init(&r, NULL, 0, false);
	r.window = 4000;
	/* Hole at [0,100); then 4 KB of held data stays under the window... */
	for (uint32_t s = 100; s < 4100; s += 1000)
		feed(&r, s, seg, 1000);
	assert_int_equal(r.st.gaps, 0);
	assert_int_equal(r.held_bytes, 4000);
	/* ... and one more byte beyond it gives up on the hole. */
	feed(&r, 4200, seg, 1);
	assert_int_equal(r.st.gaps, 1);
	assert_int_equal(r.st.gap_bytes, 100);
	assert_true(r.after_gap);
	cap_reasm_data(&r, &p, &n);
	assert_int_equal(n, 4000);
	assert_int_equal(r.held_bytes, 1);
	cap_reasm_clean(&r);
}

static void test_mid_session(void **state)
{
	uint8_t stream[600];
	size_t total = 0;
	uint64_t rs = 9;
	struct cap_reasm r;
	const uint8_t *p;
	size_t n, count = 0;
	(void)state;
	while (total < 500)
		total += bgp_msg(stream + total, 4, rng_below(&rs, 30), &rs);
	/* The capture starts 7 bytes into the first message. */
	cap_reasm_init(&r, NULL, 123456, true);
	assert_true(r.after_gap);
	feed(&r, 123456, stream + 7, total - 7);
	cap_reasm_data(&r, &p, &n);
	assert_int_equal(n, total - 7);
	size_t first = (size_t)stream[16] << 8 | stream[17];
	assert_int_equal(cap_reasm_find_marker(p, n), (ptrdiff_t)(first - 7));
	assert_int_equal(frame(p + first - 7, n - (first - 7), &count), total - first);
	cap_reasm_clean(&r);
}

/* ---- FIN and RST ---- */

static void test_fin_rst(void **state)
{
	struct cap_reasm r;
	uint8_t src[100], out[100];
	(void)state;
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = pat(i);
	cap_reasm_init(&r, NULL, 0, false);
	/* FIN arrives before the data it follows. */
	assert_int_equal(cap_reasm_segment(&r, 50, src + 50, 50, true, false), 0);
	assert_true(r.fin_seen);
	assert_false(r.closed);
	feed(&r, 0, src, 50);
	assert_true(r.closed);
	/* Data beyond the FIN is an anomaly; a retransmission is not. */
	feed(&r, 90, src, 20);
	assert_int_equal(r.st.after_close_bytes, 10);
	assert_int_equal(r.st.retrans_bytes, 10);
	assert_int_equal(drain_all(&r, out, sizeof(out)), 100);
	assert_memory_equal(out, src, 100);
	cap_reasm_clean(&r);

	/* FIN with a hole before it: flush_gap closes the stream. */
	cap_reasm_init(&r, NULL, 0, false);
	assert_int_equal(cap_reasm_segment(&r, 60, NULL, 0, true, false), 0);
	feed(&r, 0, src, 30);
	assert_false(r.closed);
	assert_int_equal(cap_reasm_flush_gap(&r), 1);
	assert_true(r.closed);
	assert_int_equal(r.st.gap_bytes, 30);
	assert_int_equal(cap_reasm_flush_gap(&r), 0);
	cap_reasm_clean(&r);

	/* RST: its data is kept, later segments are ignored and counted. */
	cap_reasm_init(&r, NULL, 0, false);
	assert_int_equal(cap_reasm_segment(&r, 0, src, 10, false, true), 0);
	assert_true(r.reset);
	feed(&r, 10, src + 10, 10);
	assert_int_equal(r.st.after_close_bytes, 10);
	assert_int_equal(drain_all(&r, out, sizeof(out)), 10);
	assert_int_equal(cap_reasm_segment(&r, 0, NULL, 5, false, false), -1);
	cap_reasm_clean(&r);
}

/* ---- memory bounds ---- */

static void test_memory_cap_evicts(void **state)
{
	struct cap_reasm_budget b;
	struct cap_reasm r;
	uint8_t seg[1000];
	(void)state;
	memset(seg, 0x55, sizeof(seg));
	cap_reasm_budget_init(&b, 1u << 20);
	cap_reasm_init(&r, &b, 0, false);
	r.max_bytes = 8192;
	/* Hold out-of-order segments past a hole until the per-flow cap. */
	for (uint32_t i = 0; i < 20; i++) {
		feed(&r, 100 + i * 1000, seg, 1000);
		assert_true(r.mem <= r.max_bytes);
		assert_int_equal(b.used, r.mem);
	}
	assert_true(r.st.evicted_bytes > 0);
	assert_int_equal(b.evicted_bytes, r.st.evicted_bytes);
	assert_true(r.st.gaps >= 1);
	assert_true(r.after_gap);
	cap_reasm_clean(&r);
	assert_int_equal(b.used, 0);
}

static void test_budget_shared(void **state)
{
	struct cap_reasm_budget b;
	struct cap_reasm r1, r2;
	uint8_t seg[1000];
	(void)state;
	memset(seg, 0x77, sizeof(seg));
	cap_reasm_budget_init(&b, 6000);
	cap_reasm_init(&r1, &b, 0, false);
	cap_reasm_init(&r2, &b, 0, false);
	for (uint32_t i = 0; i < 2; i++)
		feed(&r2, 100 + i * 1000, seg, 1000); /* ~2 KB held by r2 */
	for (uint32_t i = 0; i < 3; i++)
		feed(&r1, 100 + i * 1000, seg, 1000); /* ~3 KB held by r1 */
	assert_int_equal(r1.st.evicted_bytes, 0);
	assert_int_equal(b.used, r1.mem + r2.mem);
	/* The 4th would pass the shared budget: r1 gives up its held data
	 * and jumps to this segment, which is then in order. */
	feed(&r1, 3100, seg, 1000);
	assert_true(b.used <= b.cap);
	assert_int_equal(r1.st.evicted_bytes, 3000);
	assert_int_equal(b.evicted_bytes, 3000);
	assert_int_equal(r1.st.gaps, 1);
	assert_int_equal(r1.st.gap_bytes, 3100);
	assert_true(r1.after_gap);
	assert_int_equal(r1.end - r1.start, 1000);
	assert_int_equal(r2.held_bytes, 2000); /* the other flow is untouched */
	assert_int_equal(b.used, r1.mem + r2.mem);
	cap_reasm_clean(&r1);
	cap_reasm_clean(&r2);
	assert_int_equal(b.used, 0);
}

static void test_consumer_stalled(void **state)
{
	struct cap_reasm r;
	uint8_t seg[1000], out[10000];
	const uint8_t *p;
	size_t n;
	(void)state;
	memset(seg, 0x33, sizeof(seg));
	cap_reasm_init(&r, NULL, 0, false);
	r.max_bytes = 5000;
	for (uint32_t i = 0; i < 10; i++)
		feed(&r, i * 1000, seg, 1000);
	assert_true(r.mem <= r.max_bytes);
	assert_true(r.st.refused_bytes >= 3000);
	/* The consumer sees what fit before the first refusal, then a gap. */
	assert_true(cap_reasm_data(&r, &p, &n));
	assert_true(n >= 4000);
	assert_int_equal(n + r.st.refused_bytes + r.st.gap_bytes, 10000);
	cap_reasm_consume(&r, n);
	assert_int_equal(r.st.delivered, n);
	assert_true(r.after_gap);
	/* After consuming, data flows again. */
	feed(&r, 10000, seg, 1000);
	assert_int_equal(drain_all(&r, out, sizeof(out)), 1000);
	cap_reasm_clean(&r);
}

/* ---- property test (issue 4) ---- */

struct pseg {
	size_t off, len;
};

static void property_run(uint64_t seed, uint32_t isn)
{
	enum { NMSG = 300, MAXSEG = 4 * NMSG * 20 };
	uint64_t rs = seed;
	uint8_t *stream = malloc(NMSG * 4200), *out = malloc(NMSG * 4200);
	size_t *moff = malloc((NMSG + 1) * sizeof(*moff));
	struct pseg *segs = malloc(MAXSEG * sizeof(*segs));
	size_t total = 0, nseg = 0, got = 0;
	struct cap_reasm_budget b;
	struct cap_reasm r;

	assert_non_null(stream);
	assert_non_null(out);
	assert_non_null(moff);
	assert_non_null(segs);
	for (size_t i = 0; i < NMSG; i++) {
		size_t body = rng_below(&rs, 10) == 0 ? rng_below(&rs, 4000) : rng_below(&rs, 120);
		moff[i] = total;
		total += bgp_msg(stream + total, (uint8_t)(1 + rng_below(&rs, 5)), body, &rs);
	}
	moff[NMSG] = total;
	/* Random segmentation. */
	for (size_t o = 0; o < total;) {
		size_t len = 1 + rng_below(&rs, rng_below(&rs, 4) ? 1460 : 40);
		if (len > total - o)
			len = total - o;
		segs[nseg++] = (struct pseg){o, len};
		o += len;
	}
	/* Duplicates and overlapping copies (same bytes), placed nearby. */
	size_t base_n = nseg;
	for (size_t i = 0; i < base_n && nseg < MAXSEG; i++) {
		size_t k = rng_below(&rs, 10);
		if (k == 0) {
			segs[nseg++] = segs[i];
		} else if (k == 1) {
			size_t a = segs[i].off > 100 ? segs[i].off - rng_below(&rs, 100) : 0;
			size_t e = segs[i].off + segs[i].len + rng_below(&rs, 300);
			if (e > total)
				e = total;
			segs[nseg++] = (struct pseg){a, e - a};
		}
	}
	/* Reorder: copies move next to their originals, then local shuffles
	 * within a window of 8 positions. */
	for (size_t i = base_n; i < nseg; i++) {
		size_t j = 0;
		while (j + 1 < base_n && segs[j + 1].off <= segs[i].off)
			j++;
		j += rng_below(&rs, 6);
		if (j >= i)
			continue;
		struct pseg t = segs[i];
		memmove(&segs[j + 1], &segs[j], (i - j) * sizeof(*segs));
		segs[j] = t;
	}
	for (size_t i = 0; i + 1 < nseg; i++) {
		size_t j = i + rng_below(&rs, 8);
		if (j >= nseg)
			j = nseg - 1;
		struct pseg t = segs[i];
		segs[i] = segs[j];
		segs[j] = t;
	}
	/* Feed, consuming in random chunks as a framer would. */
	cap_reasm_budget_init(&b, 1u << 22);
	cap_reasm_init(&r, &b, isn, false);
	for (size_t i = 0; i < nseg; i++) {
		const uint8_t *p;
		size_t n;
		feed(&r, isn + (uint32_t)segs[i].off, stream + segs[i].off, segs[i].len);
		assert_true(r.mem <= r.max_bytes);
		assert_false(cap_reasm_data(&r, &p, &n));
		size_t take = rng_below(&rs, 3) ? n : rng_below(&rs, n + 1);
		assert_true(got + take <= total);
		if (take)
			memcpy(out + got, p, take);
		got += take;
		cap_reasm_consume(&r, take);
	}
	got += drain_all(&r, out + got, total - got);
	assert_int_equal(r.st.gaps, 0);
	assert_int_equal(r.st.overlap_conflicts, 0);
	assert_false(r.after_gap);
	assert_int_equal(r.st.delivered, total);
	assert_int_equal(got, total);
	assert_memory_equal(out, stream, total);
	assert_int_equal(r.nxt, (uint32_t)(isn + total));
	/* Framed by marker and length: exactly the original messages. */
	size_t off = 0, i = 0;
	while (off < got) {
		assert_int_equal(cap_reasm_find_marker(out + off, got - off), 0);
		size_t len = (size_t)out[off + 16] << 8 | out[off + 17];
		assert_true(i < NMSG);
		assert_int_equal(off, moff[i]);
		assert_int_equal(len, moff[i + 1] - moff[i]);
		assert_memory_equal(out + off, stream + moff[i], len);
		off += len;
		i++;
	}
	assert_int_equal(i, NMSG);
	assert_true(nseg > base_n); /* duplicates and overlaps were exercised */
	assert_true(r.st.ooo_segments > 0);
	assert_true(r.st.retrans_bytes > 0);
	cap_reasm_clean(&r);
	assert_int_equal(b.used, 0);
	free(stream);
	free(out);
	free(moff);
	free(segs);
}

static void test_property_stream(void **state)
{
	static const struct {
		uint64_t seed;
		uint32_t isn;
	} runs[] = {
		{1, 0},           {2, 0xFFFFFFF0u}, {3, 0x7FFFFFFFu}, {4, 0xFFFF0000u},
		{5, 12345},       {6, 0xFFFFFFFFu}, {7, 0x80000000u}, {8, 1},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		property_run(runs[i].seed, runs[i].isn);
}

/* A TCP keepalive probe: no data, one byte behind the next expected
 * sequence number, and no payload pointer at all. Nothing changes. */
static void test_keepalive_probe(void **state)
{
	struct cap_reasm r;
	uint8_t src[10], out[10];
	(void)state;

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = pat(i);
	cap_reasm_init(&r, NULL, 1000, false);
	feed(&r, 1000, src, 10);
	assert_int_equal(cap_reasm_segment(&r, 1009, NULL, 0, false, false), 0);
	assert_int_equal(drain_all(&r, out, sizeof(out)), 10);
	assert_memory_equal(out, src, 10);
	assert_int_equal(r.st.retrans_bytes, 0);
	assert_false(r.after_gap);
	cap_reasm_clean(&r);
}

/* Retransmissions (every byte already seen) against reordering (a segment
 * ahead of a hole brings new bytes): exact counts segment by segment. */
static void test_retrans_segments(void **state)
{
	struct cap_reasm r;
	uint8_t src[600], out[600];
	(void)state;

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = pat(i);
	cap_reasm_init(&r, NULL, 0xfffffff0u, false); /* across the wrap */
#define AT(off) (0xfffffff0u + (uint32_t)(off))
	feed(&r, AT(0), src, 100);
	assert_int_equal(r.st.retrans_segments, 0);
	feed(&r, AT(0), src, 100); /* all delivered already */
	assert_int_equal(r.st.retrans_segments, 1);
	feed(&r, AT(50), src + 50, 50); /* a tail of it */
	assert_int_equal(r.st.retrans_segments, 2);
	feed(&r, AT(200), src + 200, 100); /* ahead of the hole 100..200: reordering */
	feed(&r, AT(400), src + 400, 100); /* another hole, 300..400 */
	assert_int_equal(r.st.retrans_segments, 2);
	assert_int_equal(r.st.ooo_segments, 2);
	feed(&r, AT(200), src + 200, 100); /* a copy of held data */
	feed(&r, AT(250), src + 250, 20);  /* inside held data */
	assert_int_equal(r.st.retrans_segments, 4);
	feed(&r, AT(50), src + 50, 100); /* old head, new tail in the hole */
	assert_int_equal(r.st.retrans_segments, 4);
	feed(&r, AT(250), src + 250, 200); /* spans held, the hole 300..400, held */
	assert_int_equal(r.st.retrans_segments, 4);
	feed(&r, AT(100), src + 100, 400); /* fills the last hole, 150..200 */
	assert_int_equal(r.st.retrans_segments, 4);
	feed(&r, AT(0), src, 500); /* now every byte is in: old */
	assert_int_equal(r.st.retrans_segments, 5);
	{
		uint8_t garbage = (uint8_t)~src[499];

		/* 1 byte just behind nxt, not the byte that was there: a
		 * keepalive probe (RFC 9293 §3.8.4) */
		feed(&r, AT(499), &garbage, 1);
	}
	feed(&r, AT(500), src + 500, 0); /* empty */
	assert_int_equal(r.st.retrans_segments, 5);
	feed(&r, AT(499), src + 499, 1); /* the same byte again: a retransmission */
	assert_int_equal(r.st.retrans_segments, 6);
	feed(&r, AT(500), src + 500, 100);
	assert_int_equal(drain_all(&r, out, sizeof(out)), 600);
	assert_memory_equal(out, src, 600);
	assert_int_equal(r.st.retrans_segments, 6);
	assert_int_equal(cap_reasm_segment(&r, AT(500), src + 500, 100, false, true), 0);
	assert_int_equal(r.st.retrans_segments, 7); /* an old copy with RST: still one */
	feed(&r, AT(500), src + 500, 100);          /* after the RST: ignored */
	assert_int_equal(r.st.retrans_segments, 7);
#undef AT
	cap_reasm_clean(&r);
}

/* The framing step every capture consumer shares: skip to a marker after a
 * gap, frame a message (an unknown type too), drop one byte of a bad header. */
static void test_bgp_step(void **state)
{
	struct cap_reasm r;
	struct cap_bgp_step st;
	uint8_t buf[200];
	uint64_t rs = 7;
	size_t junk = 5, m1, m2;
	(void)state;

	memset(buf, 0x11, junk);
	m1 = bgp_msg(buf + junk, 4, 0, &rs);           /* KEEPALIVE */
	m2 = bgp_msg(buf + junk + m1, 9, 10, &rs);     /* unknown type 9 */
	cap_reasm_init(&r, NULL, 0, true);             /* mid-session: after_gap */
	cap_reasm_bgp_step(&r, buf, junk + m1 + m2, &st);
	assert_int_equal(st.kind, CAP_STEP_SKIP);
	assert_int_equal(st.used, junk);
	cap_reasm_bgp_step(&r, buf + junk, m1 + m2, &st);
	assert_int_equal(st.kind, CAP_STEP_MESSAGE);
	assert_true(st.resynced);
	assert_int_equal(st.msg_len, m1);
	cap_reasm_bgp_step(&r, buf + junk + m1, m2, &st);
	assert_int_equal(st.kind, CAP_STEP_MESSAGE);
	assert_false(st.resynced);
	assert_int_equal(st.msg_len, m2);
	cap_reasm_bgp_step(&r, buf + junk + m1, m2 - 1, &st);
	assert_int_equal(st.kind, CAP_STEP_WAIT);
	assert_int_equal(st.used, 0);
	buf[junk] = 0; /* break the marker: lost, one byte, resync next */
	cap_reasm_bgp_step(&r, buf + junk, m1, &st);
	assert_int_equal(st.kind, CAP_STEP_LOST);
	assert_int_equal(st.used, 1);
	assert_true(r.after_gap);
	cap_reasm_clean(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_reorder),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_overlap_both_sides),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_find_marker),
		cmocka_unit_test(test_gap_resync),
		cmocka_unit_test(test_window_gap),
		cmocka_unit_test(test_mid_session),
		cmocka_unit_test(test_fin_rst),
		cmocka_unit_test(test_memory_cap_evicts),
		cmocka_unit_test(test_budget_shared),
		cmocka_unit_test(test_consumer_stalled),
		cmocka_unit_test(test_property_stream),
		cmocka_unit_test(test_keepalive_probe),
		cmocka_unit_test(test_retrans_segments),
		cmocka_unit_test(test_bgp_step),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
