/* fuzz_session.c — libFuzzer target for a whole BMP session: arbitrary
 * bytes framed, decoded and applied to a model (peers, RIB views,
 * counters), then published as metrics. Split into two reads at a point
 * chosen by the first byte, as a socket would deliver it. Checks that
 * nothing crashes or leaks and that the model publishes afterwards.
 *
 * Batches: the same reads also go, one message at a time through
 * bmp_session_message() (no batch: each UPDATE applied at once), into a
 * second model; the first is fed by bmp_session_feed_some() in turns of
 * 1 + (last byte % 16) messages, as the listener does (its routes queued
 * and applied in batches). Every published series of the two must be
 * equal: prefixes, route and update counters, errors by reason, peers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bmp.h"
#include "metrics.h"
#include "model.h"
#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MSG (1u << 20)

struct side {
	struct metrics_registry *reg;
	struct model *m;
	struct model_router *r;
	struct bmp_session *s;
	uint8_t *buf;
	size_t have;
	int status;
};

static void side_new(struct side *sd, size_t size)
{
	sd->reg = metrics_registry_new();
	sd->m = sd->reg ? model_new(sd->reg) : NULL;
	sd->r = sd->m ? model_router_get(sd->m, MODEL_SRC_BMP, "198.18.0.1") : NULL;
	sd->s = sd->r ? bmp_session_new(sd->m, sd->r) : NULL;
	sd->buf = malloc(size + 1);
	sd->have = 0;
	sd->status = 0;
	if (sd->s == NULL || sd->buf == NULL)
		abort();
}

static void side_free(struct side *sd)
{
	model_router_disconnected(sd->m, sd->r, 3.0);
	model_publish(sd->m);
	while (model_gc(sd->m) > 0)
		;
	bmp_session_free(sd->s);
	model_free(sd->m);
	metrics_registry_free(sd->reg);
	free(sd->buf);
}

/* Batched: bmp_session_feed_some() in turns of turn messages. */
static size_t feed_batched(struct side *sd, double now, size_t turn)
{
	size_t used = 0, n = turn;

	while (sd->status == 0 && n == turn && used < sd->have)
		used += bmp_session_feed_some(sd->s, sd->buf + used, sd->have - used, MAX_MSG, now,
					      turn, &n, &sd->status);
	return used;
}

/* One by one: each framed message through bmp_session_message(), framing
 * errors counted as bmp_session_feed_some() counts them. */
static size_t feed_single(struct side *sd, double now)
{
	size_t used = 0;

	while (sd->status == 0 && used < sd->have) {
		size_t mlen = 0;
		enum bmp_error why = BMP_OK;
		enum bmp_frame_status st =
			bmp_frame(sd->buf + used, sd->have - used, MAX_MSG, &mlen, &why);

		if (st == BMP_FRAME_NEED_MORE)
			break;
		if (st == BMP_FRAME_ERROR) {
			model_router_count_error(sd->r, bmp_error_reason_name(why));
			sd->status = -1;
			break;
		}
		used += mlen;
		if (bmp_session_message(sd->s, sd->buf + used - mlen, mlen, now) == 1)
			sd->status = 1;
	}
	return used;
}

/* Appends data to the side's buffer, feeds it and keeps what is left. */
static void read_into(struct side *sd, const uint8_t *data, size_t n, double now, size_t turn)
{
	size_t used;

	if (sd->status != 0)
		return;
	memcpy(sd->buf + sd->have, data, n);
	sd->have += n;
	used = turn > 0 ? feed_batched(sd, now, turn) : feed_single(sd, now);
	memmove(sd->buf, sd->buf + used, sd->have - used);
	sd->have -= used;
}

static bool same_series(const struct metrics_snap_series *a, const struct metrics_snap_series *b)
{
	return strcmp(a->labels, b->labels) == 0 &&
	       memcmp(&a->value, &b->value, sizeof(a->value)) == 0 && a->count == b->count &&
	       memcmp(&a->sum, &b->sum, sizeof(a->sum)) == 0;
}

/* Every family and series of the two registries, values included. */
static void compare(struct side *a, struct side *b)
{
	struct metrics_snapshot *x, *y;

	model_publish(a->m);
	model_publish(b->m);
	x = metrics_snapshot_take(a->reg);
	y = metrics_snapshot_take(b->reg);
	if (x == NULL || y == NULL || x->nfamilies != y->nfamilies)
		abort();
	for (size_t f = 0; f < x->nfamilies; f++) {
		const struct metrics_snap_family *fx = &x->families[f], *fy = &y->families[f];

		if (strcmp(fx->name, fy->name) != 0 || fx->nseries != fy->nseries)
			abort(); /* batching changed what the session did */
		for (size_t i = 0; i < fx->nseries; i++)
			if (!same_series(&fx->series[i], &fy->series[i]))
				abort();
	}
	metrics_snapshot_free(a->reg, x);
	metrics_snapshot_free(b->reg, y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct side batched, single;
	size_t split = size > 0 ? data[0] % (size + 1) : 0;
	size_t turn = size > 0 ? 1u + data[size - 1] % 16u : 16u;

	side_new(&batched, size);
	side_new(&single, size);
	read_into(&batched, data, split, 1.0, turn);
	read_into(&single, data, split, 1.0, 0);
	read_into(&batched, data + split, size - split, 2.0, turn);
	read_into(&single, data + split, size - split, 2.0, 0);
	compare(&batched, &single);
	side_free(&batched);
	side_free(&single);
	return 0;
}
