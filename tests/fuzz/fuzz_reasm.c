/* fuzz_reasm.c — libFuzzer target for the TCP reassembler.
 *
 * The input is a script. Header (5 bytes): ISN (4, big-endian) and a config
 * byte (bit 0: mid-session start; bits 1-3: per-flow cap 2 KiB << n; the
 * window is a quarter of it; bits 4-7: shared budget in 4 KiB units + 1).
 * Then 5-byte records for one of two directions sharing the budget:
 *   op: bits 0-1 action (0,1 segment; 2 consume; 3 flush gap),
 *       bit 2 FIN, bit 3 RST, bit 4 corrupt the bytes, bit 5 direction,
 *       bit 6 offset in 64 KiB units (absurd jumps), bit 7 negative offset
 *   off (2, big-endian), len (2, big-endian; for consume: bytes to release)
 * Segment bytes come from a fixed pattern indexed by sequence number, so
 * while no byte was corrupted and no gap happened, the consumer must see
 * exactly the pattern. Invariants: bytes consumed <= bytes given, memory
 * within the per-flow cap and the budget, budget = sum of flows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t pat(uint32_t seq)
{
	return (uint8_t)(seq * 131u + 17u);
}

struct dir {
	struct cap_reasm r;
	uint64_t given;    /* payload bytes passed in */
	uint32_t consumed; /* next sequence number the consumer reads */
	bool dirty;        /* corrupted bytes given: content not checkable */
};

static void check(const struct dir *d, const struct cap_reasm_budget *b, size_t used)
{
	if (d->r.st.delivered > d->given || d->r.mem > d->r.max_bytes)
		abort();
	if (b->used > b->cap || b->used != used)
		abort();
	if (d->r.held_bytes > d->r.window && d->r.held)
		abort();
}

static void do_segment(struct dir *d, uint8_t op, uint32_t off, size_t len, uint8_t *buf)
{
	uint32_t seq = (op & 0x80) ? d->r.nxt - off : d->r.nxt + off;

	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(pat(seq + (uint32_t)i) ^ ((op & 0x10) ? 0x5a : 0));
	if (op & 0x10)
		d->dirty = true;
	d->given += len;
	if (cap_reasm_segment(&d->r, seq, buf, len, op & 0x04, op & 0x08) != 0)
		abort();
}

static void do_consume(struct dir *d, size_t n)
{
	const uint8_t *p;
	size_t avail;

	cap_reasm_data(&d->r, &p, &avail);
	if (n > avail)
		n = avail;
	if (!d->dirty && d->r.st.gaps == 0 && !d->r.after_gap)
		for (size_t i = 0; i < n; i++)
			if (p[i] != pat(d->consumed + (uint32_t)i))
				abort();
	d->consumed += (uint32_t)n;
	cap_reasm_consume(&d->r, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[65536];
	struct cap_reasm_budget b;
	struct dir d[2];

	if (size < 5)
		return 0;
	uint32_t isn = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
	               (uint32_t)data[2] << 8 | data[3];
	uint8_t cfg = data[4];
	cap_reasm_budget_init(&b, ((size_t)(cfg >> 4) + 1) * 4096);
	for (int i = 0; i < 2; i++) {
		memset(&d[i], 0, sizeof(d[i]));
		cap_reasm_init(&d[i].r, &b, isn, cfg & 1);
		d[i].r.max_bytes = (size_t)2048 << ((cfg >> 1) & 7);
		d[i].r.window = d[i].r.max_bytes / 4;
		d[i].consumed = isn;
	}
	for (size_t at = 5; at + 5 <= size; at += 5) {
		uint8_t op = data[at];
		uint32_t off = (uint32_t)data[at + 1] << 8 | data[at + 2];
		size_t len = (size_t)data[at + 3] << 8 | data[at + 4];
		struct dir *x = &d[(op >> 5) & 1];
		if (op & 0x40)
			off <<= 16;
		switch (op & 3) {
		case 0:
		case 1:
			do_segment(x, op, off, len, buf);
			break;
		case 2:
			do_consume(x, len);
			break;
		default:
			(void)cap_reasm_flush_gap(&x->r);
			break;
		}
		check(&d[0], &b, d[0].r.mem + d[1].r.mem);
		check(&d[1], &b, d[0].r.mem + d[1].r.mem);
	}
	do_consume(&d[0], SIZE_MAX);
	do_consume(&d[1], SIZE_MAX);
	check(&d[0], &b, d[0].r.mem + d[1].r.mem);
	cap_reasm_clean(&d[0].r);
	cap_reasm_clean(&d[1].r);
	if (b.used != 0)
		abort();
	return 0;
}
