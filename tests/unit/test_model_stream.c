/* test_model_stream.c — the model's route stream (stream.h): a consumer
 * that applies what it hears holds exactly the model's views, through
 * withdrawals, implicit withdraws, downs, restarts, releases and the
 * stream switched off and on; seq numbers each peer's messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "model.h"
#include "stream.h"

#define MAXR 4096

/* A consumer's copy: routes of one peer (by address) per view and AF. */
struct crow {
	char peer[48];
	uint8_t view, af, len;
	uint8_t addr[16];
	uint8_t attrs[64];
	size_t attrs_len;
};

struct consumer {
	struct crow rows[MAXR];
	size_t n;
	uint64_t last_seq[8];
	size_t marks[STREAM_MARK_COUNT];
	size_t routes, gaps;
	char last_reason[32];
	struct stream_sink sink;
	struct stream_batch *batch; /* the batching sink's (batch_ops) */
};

static struct crow *find(struct consumer *c, const char *peer, uint8_t view, uint8_t af,
			 uint8_t len, const uint8_t *addr)
{
	for (size_t i = 0; i < c->n; i++) {
		struct crow *r = &c->rows[i];

		if (strcmp(r->peer, peer) == 0 && r->view == view && r->af == af &&
		    r->len == len && memcmp(r->addr, addr, 16) == 0)
			return r;
	}
	return NULL;
}

static void drop_peer(struct consumer *c, const char *peer)
{
	for (size_t i = 0; i < c->n;) {
		if (strcmp(c->rows[i].peer, peer) == 0)
			c->rows[i] = c->rows[--c->n];
		else
			i++;
	}
}

static void check_seq(struct consumer *c, const struct stream_peer *p)
{
	size_t k = (size_t)(p->addr[strlen(p->addr) - 1] - '0') % 8;

	if (p->seq != c->last_seq[k] + 1 && p->seq != 1)
		c->gaps++;
	c->last_seq[k] = p->seq;
}

static void on_route(void *arg, const struct stream_route *rc)
{
	struct consumer *c = arg;
	struct crow *r = find(c, rc->peer.addr, rc->view, rc->af, rc->len, rc->addr);

	check_seq(c, &rc->peer);
	c->routes++;
	if (!rc->announce) {
		assert_non_null(r);
		*r = c->rows[--c->n];
		return;
	}
	assert_true((r != NULL) == rc->replaced);
	if (r == NULL) {
		assert_true(c->n < MAXR);
		r = &c->rows[c->n++];
		memset(r, 0, sizeof(*r));
		strcpy(r->peer, rc->peer.addr);
		r->view = rc->view;
		r->af = rc->af;
		r->len = rc->len;
		memcpy(r->addr, rc->addr, 16);
	}
	assert_true(rc->attrs_len <= sizeof(r->attrs));
	memcpy(r->attrs, rc->attrs, rc->attrs_len);
	r->attrs_len = rc->attrs_len;
}

static void on_peer(void *arg, const struct stream_peer_mark *pm)
{
	struct consumer *c = arg;

	check_seq(c, &pm->peer);
	c->marks[pm->kind]++;
	if (pm->kind == STREAM_MARK_CLEARED || pm->kind == STREAM_MARK_RELEASED ||
	    pm->kind == STREAM_MARK_SYNC_BEGIN)
		drop_peer(c, pm->peer.addr);
	if (pm->kind == STREAM_MARK_DOWN)
		strcpy(c->last_reason, pm->reason);
}

static const struct stream_sink_ops ops = {.route = on_route, .peer = on_peer};

/* A batching sink: changes wait in the batch (copied, as the model's
 * strings and bytes are valid during the call only) until the model
 * flushes them, then reach the consumer in order. */
#define BATCH_MAX 512

struct stream_batch {
	struct stream_route r[BATCH_MAX];
	uint8_t attrs[BATCH_MAX][64];
	char addr[BATCH_MAX][48];
	size_t n, flushes;
};

static struct stream_batch *on_batch_new(void *arg)
{
	struct consumer *c = arg;

	assert_null(c->batch); /* one per model */
	c->batch = calloc(1, sizeof(*c->batch));
	return c->batch;
}

static void on_batch_route(void *arg, struct stream_batch *b, const struct stream_route *rc)
{
	(void)arg;
	assert_true(b->n < BATCH_MAX && rc->attrs_len <= sizeof(b->attrs[0]));
	assert_true(rc->announce == (rc->attrs_id != 0));
	b->r[b->n] = *rc;
	if (rc->announce)
		memcpy(b->attrs[b->n], rc->attrs, rc->attrs_len);
	b->r[b->n].attrs = b->attrs[b->n];
	strcpy(b->addr[b->n], rc->peer.addr);
	b->r[b->n].peer.addr = b->addr[b->n];
	b->n++;
}

static void on_batch_flush(void *arg, struct stream_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		on_route(arg, &b->r[i]);
	b->flushes += b->n > 0;
	b->n = 0;
}

static const struct stream_sink_ops batch_ops = {.route = on_route,
						 .peer = on_peer,
						 .batch_new = on_batch_new,
						 .batch_route = on_batch_route,
						 .batch_flush = on_batch_flush};

struct fx {
	struct metrics_registry *reg;
	struct model *m;
	struct model_router *r;
	struct consumer *c;
	const struct stream_sink *where;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->reg = metrics_registry_new();
	f->m = model_new(f->reg);
	f->c = calloc(1, sizeof(*f->c));
	assert_non_null(f->m);
	assert_non_null(f->c);
	f->c->sink.ops = &ops;
	f->c->sink.arg = f->c;
	atomic_store(&f->c->sink.routes_on, true);
	f->where = &f->c->sink;
	model_set_stream(f->m, &f->where);
	f->r = model_router_bind(f->m, MODEL_SRC_BMP, "192.0.2.1", "r1");
	assert_non_null(f->r);
	model_router_connected(f->m, f->r, 1.0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	model_free(f->m);
	metrics_registry_free(f->reg);
	free(f->c->batch);
	free(f->c);
	free(f);
	return 0;
}

static struct model_peer *peer(struct fx *f, uint8_t last)
{
	struct model_peer_key k = {.family = 4, .addr = {198, 51, 100, last}};

	return model_peer_get(f->m, f->r, &k, 65000u + last, 0x0a000000u + last);
}

static struct rib_prefix pfx(uint8_t a, uint8_t b)
{
	return (struct rib_prefix){.family = 4, .len = 24, .addr = {10, a, b, 0}};
}

static void route(struct fx *f, struct model_peer *p, enum model_view v, uint8_t a, uint8_t b,
		  uint8_t attr)
{
	struct rib_prefix x = pfx(a, b);
	uint8_t key[] = {1, 0, 1, attr};
	rib_attr_id id = attr ? model_attrs_intern(f->m, key, sizeof(key)) : 0;

	(void)model_route(f->m, p, v, MODEL_AF_IPV4_UNICAST, &x, id);
	model_attrs_unref(f->m, id);
}

/* The consumer's copy equals the model's views, route by route. */
static void assert_same(struct fx *f, struct model_peer *const *peers, const char *const *names,
			size_t np)
{
	size_t total = 0;

	for (size_t i = 0; i < np; i++) {
		for (int v = 0; v < MODEL_VIEW_COUNT; v++) {
			size_t n = model_prefix_count(peers[i], (enum model_view)v,
						      MODEL_AF_IPV4_UNICAST);

			total += n;
			for (unsigned a = 0; a < 4; a++) {
				for (unsigned b = 0; b < 32; b++) {
					struct rib_prefix x = pfx((uint8_t)a, (uint8_t)b);
					bool in = model_lookup(peers[i], (enum model_view)v,
							       MODEL_AF_IPV4_UNICAST, &x) != 0;
					struct crow *r = find(f->c, names[i], (uint8_t)v, 0, 24,
							      x.addr);

					assert_int_equal(in, r != NULL);
				}
			}
		}
	}
	assert_int_equal(total, f->c->n);
	assert_int_equal(f->c->gaps, 0);
}

static void test_rebuild_through_flaps(void **state)
{
	struct fx *f = *state;
	struct model_peer *p1 = peer(f, 1), *p2 = peer(f, 2);
	struct model_peer *ps[] = {p1, p2};
	const char *names[] = {"198.51.100.1", "198.51.100.2"};
	struct model_down notif = {MODEL_DOWN_BMP_PEER_DOWN, 1, 6, 2};

	model_peer_up(f->m, p1, 2.0);
	model_peer_up(f->m, p2, 2.0);
	for (uint8_t b = 0; b < 20; b++) {
		route(f, p1, MODEL_VIEW_ADJ_IN_PRE, 0, b, 1);
		route(f, p1, MODEL_VIEW_LOC_RIB, 1, b, 2);
		route(f, p2, MODEL_VIEW_ADJ_IN_POST, 2, b, 3);
	}
	route(f, p1, MODEL_VIEW_ADJ_IN_PRE, 0, 3, 9);  /* implicit withdraw */
	route(f, p1, MODEL_VIEW_ADJ_IN_PRE, 0, 3, 9);  /* duplicate: nothing */
	route(f, p1, MODEL_VIEW_ADJ_IN_PRE, 0, 4, 0);  /* withdraw */
	route(f, p1, MODEL_VIEW_ADJ_IN_PRE, 3, 31, 0); /* absent: nothing */
	assert_same(f, ps, names, 2);
	assert_int_equal(f->c->marks[STREAM_MARK_UP], 2);

	model_peer_down(f->m, p1, 3.0, &notif);
	assert_string_equal(f->c->last_reason, model_down_text(&notif));
	assert_int_equal(f->c->marks[STREAM_MARK_CLEARED], 1);
	assert_same(f, ps, names, 2);
	model_peer_up(f->m, p1, 4.0);
	route(f, p1, MODEL_VIEW_ADJ_IN_PRE, 0, 7, 5);
	model_peer_up(f->m, p2, 5.0); /* restarted without a Peer Down */
	route(f, p2, MODEL_VIEW_ADJ_IN_POST, 2, 9, 6);
	assert_same(f, ps, names, 2);
	model_router_disconnected(f->m, f->r, 6.0);
	assert_int_equal(f->c->n, 0);
	assert_same(f, ps, names, 2);
}

/* Batched: nothing reaches the consumer before the flush (model_unlock's,
 * or model_stream_flush), a mark sends the changes before it, and the
 * consumer's copy is exact after each flush. */
static void test_batched_rebuild(void **state)
{
	struct fx *f = *state;
	struct model_peer *p1 = peer(f, 1), *p2 = peer(f, 2);
	struct model_peer *ps[] = {p1, p2};
	const char *names[] = {"198.51.100.1", "198.51.100.2"};
	size_t before;

	f->c->sink.ops = &batch_ops;
	model_peer_up(f->m, p1, 2.0);
	model_peer_up(f->m, p2, 2.0);
	before = f->c->routes;
	for (uint8_t b = 0; b < 20; b++) {
		route(f, p1, MODEL_VIEW_ADJ_IN_PRE, 0, b, 1);
		route(f, p2, MODEL_VIEW_ADJ_IN_POST, 2, b, (uint8_t)(3 + b % 2));
	}
	route(f, p1, MODEL_VIEW_ADJ_IN_PRE, 0, 3, 9); /* implicit withdraw */
	route(f, p1, MODEL_VIEW_ADJ_IN_PRE, 0, 4, 0); /* withdraw */
	assert_int_equal(f->c->routes, before);       /* all in the batch */
	model_stream_flush(f->m);
	assert_int_equal(f->c->routes, before + 42);
	assert_same(f, ps, names, 2);
	route(f, p1, MODEL_VIEW_ADJ_IN_PRE, 0, 5, 0);
	model_peer_down(f->m, p1, 3.0, &(struct model_down){MODEL_DOWN_TCP_FIN, 0, -1, 0});
	assert_same(f, ps, names, 2); /* the CLEARED mark sent the withdraw first */
	model_lock(f->m);
	route(f, p2, MODEL_VIEW_ADJ_IN_POST, 3, 1, 7);
	model_unlock(f->m); /* the end of a worker's slice */
	assert_same(f, ps, names, 2);
	assert_int_equal(f->c->batch->n, 0);
	assert_true(f->c->batch->flushes >= 3);
}

static void test_switched_on_later_syncs(void **state)
{
	struct fx *f = *state;
	struct model_peer *p1 = peer(f, 1);
	const char *names[] = {"198.51.100.1"};

	model_peer_up(f->m, p1, 2.0);
	route(f, p1, MODEL_VIEW_ADJ_IN_PRE, 0, 1, 1);
	atomic_store(&f->c->sink.routes_on, false);
	for (uint8_t b = 2; b < 12; b++)
		route(f, p1, MODEL_VIEW_ADJ_IN_PRE, 0, b, 1);
	route(f, p1, MODEL_VIEW_ADJ_IN_PRE, 0, 1, 0); /* missed by the consumer */
	model_end_of_rib(p1, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST);
	atomic_store(&f->c->sink.routes_on, true);
	route(f, p1, MODEL_VIEW_ADJ_IN_PRE, 0, 12, 1); /* the first look syncs */
	/* the first look of the test (the peer existed before it) and this one */
	assert_int_equal(f->c->marks[STREAM_MARK_SYNC_BEGIN], 2);
	assert_int_equal(f->c->marks[STREAM_MARK_SYNC_END], 2);
	assert_int_equal(f->c->marks[STREAM_MARK_EOR], 1);
	assert_same(f, &p1, names, 1);
}

static void test_released_peer(void **state)
{
	struct fx *f = *state;
	struct model_peer *p1 = peer(f, 1);

	model_peer_up(f->m, p1, 2.0);
	route(f, p1, MODEL_VIEW_ADJ_IN_PRE, 0, 1, 1);
	model_router_disconnected(f->m, f->r, 3.0);
	(void)model_expire(f->m, 3.0);
	assert_int_equal(model_expire(f->m, 10000.0), 1);
	assert_int_equal(f->c->marks[STREAM_MARK_RELEASED], 1);
	assert_int_equal(f->c->n, 0);
}

static void test_off_costs_nothing(void **state)
{
	struct fx *f = *state;
	struct model_peer *p1 = peer(f, 1);

	atomic_store(&f->c->sink.routes_on, false);
	model_peer_up(f->m, p1, 2.0);
	route(f, p1, MODEL_VIEW_ADJ_IN_PRE, 0, 1, 1);
	model_peer_down(f->m, p1, 3.0, &(struct model_down){MODEL_DOWN_TCP_FIN, 0, -1, 0});
	assert_int_equal(f->c->routes, 0);
	for (int k = 0; k < STREAM_MARK_COUNT; k++)
		assert_int_equal(f->c->marks[k], 0);
	model_set_stream(f->m, NULL);
	route(f, p1, MODEL_VIEW_ADJ_IN_PRE, 0, 1, 1);
	assert_int_equal(f->c->routes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rebuild_through_flaps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batched_rebuild, setup, teardown),
		cmocka_unit_test_setup_teardown(test_switched_on_later_syncs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_released_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_off_costs_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
