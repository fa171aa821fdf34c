/* reasm.c — per-direction TCP stream reassembly (see reasm.h). */
#include "reasm.h"

#include <stdlib.h>
#include <string.h>

struct cap_reasm_seg {
	struct cap_reasm_seg *next;
	uint32_t seq;
	size_t len;
	uint8_t data[];
};

/* Distance of seq ahead of r->nxt, RFC 1982 serial arithmetic: negative when
 * seq is before nxt. Valid while the two are within 2^31 of each other. */
static int64_t seq_diff(uint32_t a, uint32_t b)
{
	return (int64_t)(int32_t)(a - b);
}

static size_t seg_cost(size_t len)
{
	return len + CAP_REASM_SEG_OVERHEAD;
}

/* True when `add` more bytes fit both the per-direction cap and the budget. */
static bool mem_fits(const struct cap_reasm *r, size_t add)
{
	if (add > r->max_bytes || r->mem > r->max_bytes - add)
		return false;
	if (r->budget && (add > r->budget->cap || r->budget->used > r->budget->cap - add))
		return false;
	return true;
}

static void mem_add(struct cap_reasm *r, size_t n)
{
	r->mem += n;
	if (r->budget)
		r->budget->used += n;
}

static void mem_sub(struct cap_reasm *r, size_t n)
{
	r->mem -= n;
	if (r->budget)
		r->budget->used -= n;
}

void cap_reasm_budget_init(struct cap_reasm_budget *b, size_t cap)
{
	b->used = 0;
	b->cap = cap;
	b->evicted_bytes = 0;
}

void cap_reasm_init(struct cap_reasm *r, struct cap_reasm_budget *budget, uint32_t next_seq,
                    bool mid_session)
{
	memset(r, 0, sizeof(*r));
	r->budget = budget;
	r->nxt = next_seq;
	r->after_gap = mid_session;
	r->max_bytes = CAP_REASM_MAX_BYTES_PER_FLOW;
	r->window = CAP_REASM_WINDOW;
}

static void free_seg(struct cap_reasm *r, struct cap_reasm_seg *s)
{
	r->held_bytes -= s->len;
	mem_sub(r, seg_cost(s->len));
	free(s);
}

void cap_reasm_clean(struct cap_reasm *r)
{
	if (!r)
		return;
	while (r->held) {
		struct cap_reasm_seg *s = r->held;
		r->held = s->next;
		free_seg(r, s);
	}
	mem_sub(r, r->buf_cap);
	free(r->buf);
	r->buf = NULL;
	r->buf_cap = r->start = r->end = 0;
}

/* The consumer must resynchronise at the current end of the buffer. Only one
 * pending gap is tracked: if one is already pending, bytes after it are
 * dropped (the consumer would have resynchronised through them anyway). */
static void mark_gap(struct cap_reasm *r)
{
	r->st.gaps++;
	if (r->gap_pending) {
		r->st.gap_bytes += r->end - (r->start + r->gap_mark);
		r->end = r->start + r->gap_mark;
		return;
	}
	if (r->end == r->start) {
		r->after_gap = true;
		return;
	}
	r->gap_pending = true;
	r->gap_mark = r->end - r->start;
}

/* Makes room for `want` more bytes at buf[end]; returns how many fit. */
static size_t buf_room(struct cap_reasm *r, size_t want)
{
	size_t used = r->end - r->start;
	size_t need = used + want;

	if (r->buf_cap - r->end >= want)
		return want;
	if (r->start > 0) { /* compact: consumed bytes are dead */
		memmove(r->buf, r->buf + r->start, used);
		r->start = 0;
		r->end = used;
	}
	if (r->buf_cap < need) {
		size_t ncap = r->buf_cap ? r->buf_cap * 2 : 4096;
		if (ncap < need)
			ncap = need;
		while (ncap > r->buf_cap && !mem_fits(r, ncap - r->buf_cap))
			ncap = r->buf_cap + (ncap - r->buf_cap) / 2;
		if (ncap > r->buf_cap) {
			uint8_t *nb = realloc(r->buf, ncap);
			if (nb) {
				mem_add(r, ncap - r->buf_cap);
				r->buf = nb;
				r->buf_cap = ncap;
			}
		}
	}
	return r->buf_cap - r->end < want ? r->buf_cap - r->end : want;
}

/* Delivers in-order bytes at r->nxt. What does not fit is refused and the
 * stream moves past it anyway (a passive observer never sees it again). */
static void append_inorder(struct cap_reasm *r, const uint8_t *p, size_t len)
{
	size_t fit = buf_room(r, len);

	if (fit) {
		memcpy(r->buf + r->end, p, fit);
		r->end += fit;
	}
	r->nxt += (uint32_t)len;
	if (len > 0) {
		r->last_byte = p[len - 1];
		r->has_last = true;
	}
	if (fit < len) {
		r->st.refused_bytes += len - fit;
		mark_gap(r);
	}
}

/* Moves held pieces that have become contiguous into the consumer buffer. */
static void drain(struct cap_reasm *r)
{
	while (r->held && r->held->seq == r->nxt) {
		struct cap_reasm_seg *s = r->held;
		r->held = s->next;
		append_inorder(r, s->data, s->len);
		free_seg(r, s);
	}
}

/* Drops every held piece over a memory bound; counted as evicted. */
static void evict_held(struct cap_reasm *r)
{
	while (r->held) {
		struct cap_reasm_seg *s = r->held;
		r->held = s->next;
		r->st.evicted_bytes += s->len;
		if (r->budget)
			r->budget->evicted_bytes += s->len;
		free_seg(r, s);
	}
}

/* Jumps the stream forward to seq, counting the skipped space as a gap. */
static void skip_to(struct cap_reasm *r, uint32_t seq)
{
	r->has_last = false;
	r->st.gap_bytes += (uint32_t)(seq - r->nxt);
	r->nxt = seq;
	mark_gap(r);
}

/* Memory a new segment [a, b) (offsets from base) needs in held pieces: the
 * holes it fills between held data, except the one at offset 0, which is
 * delivered directly. */
static size_t held_need(const struct cap_reasm *r, uint32_t base, size_t a, size_t b)
{
	size_t cur = a, need = 0;

	for (const struct cap_reasm_seg *s = r->held; s && cur < b; s = s->next) {
		size_t sa = (size_t)seq_diff(s->seq, base), sb = sa + s->len;
		if (sb <= cur)
			continue;
		if (sa >= b)
			break;
		if (sa > cur && cur > 0)
			need += seg_cost(sa - cur);
		cur = sb;
	}
	if (cur < b && cur > 0)
		need += seg_cost(b - cur);
	return need;
}

/* Puts [cur, end) of the segment (offsets from base) before *pp, or delivers
 * it when it starts at the next expected byte. Returns the link after it. */
static struct cap_reasm_seg **add_piece(struct cap_reasm *r, struct cap_reasm_seg **pp,
                                        uint32_t base, const uint8_t *p, size_t cur, size_t end)
{
	struct cap_reasm_seg *s;

	if (cur == 0) {
		append_inorder(r, p, end);
		return pp;
	}
	s = malloc(sizeof(*s) + (end - cur));
	if (!s) {
		r->st.evicted_bytes += end - cur;
		return pp;
	}
	s->seq = base + (uint32_t)cur;
	s->len = end - cur;
	memcpy(s->data, p + cur, s->len);
	s->next = *pp;
	*pp = s;
	r->held_bytes += s->len;
	mem_add(r, seg_cost(s->len));
	return &s->next;
}

/* Inserts data at offset a from r->nxt into the holes between held pieces;
 * bytes already held win (RFC 9293 leaves the choice open; first copy wins
 * here and differing copies are counted). */
static void insert(struct cap_reasm *r, const uint8_t *p, size_t a, size_t len)
{
	uint32_t base = r->nxt;
	size_t cur = a, b = a + len;
	struct cap_reasm_seg **pp = &r->held;
	bool overlap = false, conflict = false;

	while (cur < b) {
		struct cap_reasm_seg *s = *pp;
		size_t sa, sb, oe;
		if (!s || (size_t)seq_diff(s->seq, base) >= b) {
			add_piece(r, pp, base, p - a, cur, b);
			break;
		}
		sa = (size_t)seq_diff(s->seq, base);
		sb = sa + s->len;
		if (sb <= cur) {
			pp = &s->next;
			continue;
		}
		if (sa > cur) {
			pp = add_piece(r, pp, base, p - a, cur, sa);
			cur = sa;
		}
		oe = sb < b ? sb : b;
		overlap = true;
		if (memcmp(p + (cur - a), s->data + (cur - sa), oe - cur) != 0)
			conflict = true;
		cur = oe;
		pp = &s->next;
	}
	r->st.overlaps += overlap;
	r->st.overlap_conflicts += conflict;
}

/* Trims what lies before nxt (retransmission) or beyond the FIN (anomaly).
 * Returns false when nothing is left to place. */
static bool trim(struct cap_reasm *r, uint32_t *seq, const uint8_t **p, size_t *len)
{
	int64_t d = seq_diff(*seq, r->nxt);

	if (d < 0) {
		size_t old = (uint64_t)-d < *len ? (size_t)-d : *len;

		if (old == 0)
			return false; /* an empty segment behind nxt: a TCP keepalive probe */
		r->st.retrans_bytes += old;
		*p += old;
		*len -= old;
		*seq += (uint32_t)old;
		d = 0;
	}
	if (*len == 0)
		return false;
	if ((uint64_t)d + *len > CAP_REASM_MAX_AHEAD) {
		r->st.out_of_window++;
		return false;
	}
	if (r->fin_seen) {
		int64_t room = seq_diff(r->fin_seq, *seq);
		if (room <= 0 || (uint64_t)room < *len) {
			size_t keep = room > 0 ? (size_t)room : 0;
			r->st.after_close_bytes += *len - keep;
			*len = keep;
		}
	}
	return *len > 0;
}

/* Places a trimmed segment: directly when in order and nothing is held,
 * else into the holes; evicts held data when it would not fit. */
static void place(struct cap_reasm *r, uint32_t seq, const uint8_t *p, size_t len)
{
	size_t a = (size_t)seq_diff(seq, r->nxt);

	if (a > 0)
		r->st.ooo_segments++;
	if (a > 0 && !mem_fits(r, held_need(r, r->nxt, a, a + len))) {
		/* Over a bound: the held data is given up and the stream jumps
		 * to this segment, which becomes the next in order. */
		evict_held(r);
		skip_to(r, seq);
		a = 0;
	}
	if (a == 0 && !r->held)
		append_inorder(r, p, len);
	else
		insert(r, p, a, len);
	drain(r);
	while (r->held && r->held_bytes > r->window) {
		skip_to(r, r->held->seq);
		drain(r);
	}
}

/* Whether every byte of [seq, seq+len) was seen already: it lies before
 * nxt or inside held pieces (sorted, non-overlapping, all after nxt). See
 * reasm.h for what counts as a retransmission. */
static bool all_seen(const struct cap_reasm *r, uint32_t seq, const uint8_t *data, size_t len)
{
	int64_t d = seq_diff(seq, r->nxt);
	uint32_t cur = seq;
	size_t left = len;

	if (len == 0 || len >= CAP_REASM_MAX_AHEAD)
		return false;
	if (len == 1 && d == -1) /* RFC 9293 §3.8.4 probe, or the last byte again */
		return r->has_last && data[0] == r->last_byte;
	if (d + (int64_t)len <= 0)
		return true;
	if (d < 0) { /* its head is old: the rest must be held */
		cur = r->nxt;
		left = len - (size_t)-d;
	}
	for (const struct cap_reasm_seg *s = r->held; s != NULL && left > 0; s = s->next) {
		int64_t sa = seq_diff(s->seq, cur), se = sa + (int64_t)s->len;

		if (sa > 0)
			return false; /* a hole before this piece */
		if (se <= 0)
			continue;
		if ((uint64_t)se >= left)
			return true;
		cur += (uint32_t)se;
		left -= (size_t)se;
	}
	return left == 0;
}

static void note_fin(struct cap_reasm *r, uint32_t fin_seq)
{
	if (!r->fin_seen) {
		r->fin_seen = true;
		r->fin_seq = fin_seq;
	}
}

int cap_reasm_segment(struct cap_reasm *r, uint32_t seq, const uint8_t *data, size_t len,
                      bool fin, bool rst)
{
	if (!r || (!data && len))
		return -1;
	r->st.segments++;
	if (r->reset) {
		r->st.after_close_bytes += len;
		return 0;
	}
	if (len >= CAP_REASM_MAX_AHEAD) {
		r->st.out_of_window++;
		return 0;
	}
	r->st.retrans_segments += all_seen(r, seq, data, len);
	if (fin)
		note_fin(r, seq + (uint32_t)len);
	if (trim(r, &seq, &data, &len))
		place(r, seq, data, len);
	if (r->fin_seen && r->nxt == r->fin_seq && !r->held)
		r->closed = true;
	if (rst)
		r->reset = true;
	return 0;
}

bool cap_reasm_data(const struct cap_reasm *r, const uint8_t **p, size_t *len)
{
	*p = r->buf ? r->buf + r->start : NULL;
	*len = r->gap_pending ? r->gap_mark : r->end - r->start;
	return r->gap_pending;
}

void cap_reasm_consume(struct cap_reasm *r, size_t n)
{
	size_t avail = r->gap_pending ? r->gap_mark : r->end - r->start;

	if (n > avail)
		n = avail;
	r->start += n;
	r->st.delivered += n;
	if (r->gap_pending) {
		r->gap_mark -= n;
		if (r->gap_mark == 0) {
			r->gap_pending = false;
			r->after_gap = true;
		}
	}
	if (r->start == r->end) {
		r->start = r->end = 0;
		if (r->buf_cap > CAP_REASM_BUF_KEEP) {
			mem_sub(r, r->buf_cap);
			free(r->buf);
			r->buf = NULL;
			r->buf_cap = 0;
		}
	}
}

int cap_reasm_flush_gap(struct cap_reasm *r)
{
	if (r->held) {
		skip_to(r, r->held->seq);
		drain(r);
	} else if (r->fin_seen && r->nxt != r->fin_seq) {
		skip_to(r, r->fin_seq);
	} else {
		return 0;
	}
	if (r->fin_seen && r->nxt == r->fin_seq && !r->held)
		r->closed = true;
	return 1;
}

ptrdiff_t cap_reasm_find_marker(const uint8_t *p, size_t n)
{
	size_t run = 0; /* consecutive 0xff ending just before i */

	if (!p || n < 19)
		return -1;
	for (size_t i = 0; i + 3 <= n; i++) {
		if (run >= 16) {
			size_t m = i - 16;
			unsigned blen = (unsigned)p[i] << 8 | p[i + 1];
			if (blen >= 19 && p[i + 2] >= 1 && p[i + 2] <= 5)
				return (ptrdiff_t)m;
		}
		run = p[i] == 0xff ? run + 1 : 0;
	}
	return -1;
}

void cap_reasm_bgp_step(struct cap_reasm *r, const uint8_t *p, size_t n, struct cap_bgp_step *out)
{
	enum bgp_frame_status st;
	size_t mlen = 0;

	memset(out, 0, sizeof(*out));
	if (r->after_gap) {
		ptrdiff_t off = cap_reasm_find_marker(p, n);

		if (off != 0) {
			/* keep a possible marker's start for the next read */
			out->used = off > 0 ? (size_t)off
				    : n > BGP_HEADER_LEN - 1 ? n - (BGP_HEADER_LEN - 1) : 0;
			out->kind = out->used > 0 ? CAP_STEP_SKIP : CAP_STEP_WAIT;
			return;
		}
		r->after_gap = false;
		out->resynced = true;
	}
	st = bgp_frame(p, n, true, &mlen, &out->why);
	if (st == BGP_FRAME_ERROR && out->why == BGP_ERR_MSG_TYPE && n >= BGP_HEADER_LEN) {
		/* an unknown type with a sane length is framed, not resynchronised */
		mlen = (size_t)p[16] << 8 | p[17];
		st = mlen < BGP_HEADER_LEN ? BGP_FRAME_ERROR
		     : n >= mlen	   ? BGP_FRAME_COMPLETE
					   : BGP_FRAME_NEED_MORE;
	}
	if (st == BGP_FRAME_NEED_MORE) {
		out->kind = CAP_STEP_WAIT;
	} else if (st == BGP_FRAME_ERROR) {
		r->after_gap = true; /* resynchronise past this header */
		out->kind = CAP_STEP_LOST;
		out->used = 1;
	} else {
		out->kind = CAP_STEP_MESSAGE;
		out->msg_len = out->used = mlen;
	}
}

void cap_reasm_drain(struct cap_reasm *r, size_t (*step)(void *arg, const uint8_t *p, size_t n),
		     void *arg)
{
	for (;;) {
		const uint8_t *p;
		size_t n, used;
		bool gap = cap_reasm_data(r, &p, &n);

		if (n == 0)
			break;
		used = step(arg, p, n);
		if (used == 0 && !gap)
			break;
		cap_reasm_consume(r, used == 0 ? n : used);
	}
}
