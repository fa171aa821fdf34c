/* test_ingest.c — BGP UPDATEs into the model (bgp/ingest through the
 * model's sink): what counts as a parse error; and bgp/ingest alone over a
 * recording sink: which calls each kind of UPDATE makes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp.h"
#include "daemon_config.h"
#include "expo.h"
#include "ingest.h"
#include "metrics.h"
#include "model.h"
#include "rib_sink.h"
#include "wire_build.h"

static const char yaml[] = "circuits:\n"
			   "  - id: er-1\n"
			   "    provider: expressroute\n"
			   "    bandwidth: 1Gbps\n"
			   "    links:\n"
			   "      primary:\n"
			   "        router: 198.18.0.1\n"
			   "        peerings:\n"
			   "          - type: private\n"
			   "            neighbors: [{address: 198.18.1.2}]\n";

struct fx {
	struct metrics_registry *reg;
	struct cfg_config *cfg;
	struct model *m;
	struct bgp_ingest *in;
	struct model_peer *p;
	struct bgp_decode_ctx ctx;
	struct expo_buf out;
	struct wb b;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct cfg_errors errs = {0};
	struct model_peer_key k = {.family = 4, .addr = {198, 18, 1, 2}};
	struct model_router *r;

	assert_non_null(f);
	f->reg = metrics_registry_new();
	assert_int_equal(daemon_config_load_buffer("t.yaml", yaml, strlen(yaml), &f->cfg, &errs), 0);
	f->m = model_new(f->reg);
	assert_non_null(f->m);
	model_apply_config(f->m, f->cfg);
	f->in = bgp_ingest_new(model_rib_sink(f->m));
	assert_non_null(f->in);
	r = model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.1");
	assert_non_null(r);
	model_router_connected(f->m, r, 100);
	f->p = model_peer_get(f->m, r, &k, 12076, 1);
	assert_non_null(f->p);
	model_peer_up(f->m, f->p, 101);
	bgp_ctx_init(&f->ctx);
	wb_init(&f->b, 256);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	wb_free(&f->b);
	bgp_ingest_free(f->in);
	model_free(f->m);
	cfg_free(f->cfg);
	expo_buf_clean(&f->out);
	metrics_registry_free(f->reg);
	free(f);
	return 0;
}

static const char *scrape(struct fx *f)
{
	struct metrics_snapshot *snap;

	model_publish(f->m);
	snap = metrics_snapshot_take(f->reg);
	assert_non_null(snap);
	f->out.len = 0;
	assert_int_equal(expo_render(snap, EXPO_TEXT, &f->out), 0);
	metrics_snapshot_free(f->reg, snap);
	return f->out.data;
}

/* Fails naming the first parse-error series, if any. */
static void assert_no_errors(struct fx *f)
{
	const char *hit = strstr(scrape(f), "\ncircuitwatch_bgp_parse_errors_total{");

	if (hit != NULL)
		fail_msg("unexpected parse error: %.300s", hit + 1);
}

static void ingest(struct fx *f)
{
	bgp_ingest_update(f->in, f->p, BGP_INGEST_ADJ_IN_PRE, &f->ctx, f->b.p, f->b.len);
	wb_reset(&f->b);
}

/* An UPDATE: withdrawn routes, attributes (raw), NLRI (raw). */
static void update(struct fx *f, const uint8_t *wd, size_t wdlen, const uint8_t *attrs,
		   size_t alen, const uint8_t *nlri, size_t nlen)
{
	size_t at = wb_bgp_begin(&f->b, 2);

	wb_put16(&f->b, (unsigned)wdlen);
	wb_put_mem(&f->b, wd, wdlen);
	wb_put16(&f->b, (unsigned)alen);
	wb_put_mem(&f->b, attrs, alen);
	wb_put_mem(&f->b, nlri, nlen);
	wb_bgp_end(&f->b, at);
}

static const uint8_t path_attrs[] = {
	0x40, 1, 1, 0,			/* ORIGIN IGP */
	0x40, 2, 6, 2, 1, 0, 0, 0x2f, 0x2c, /* AS_PATH 12076 */
	0x40, 3, 4, 198, 18, 1, 2,		/* NEXT_HOP */
};
static const uint8_t nlri2[] = {24, 203, 0, 1, 24, 203, 0, 2};

static void announce_two(struct fx *f)
{
	update(f, NULL, 0, path_attrs, sizeof(path_attrs), nlri2, sizeof(nlri2));
	ingest(f);
	assert_int_equal(model_prefix_count(f->p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST), 2);
}

/* Issue 12 item 9: an UPDATE that only withdraws carries no attributes to
 * store; it is no parse error (RFC 4271 §4.3: path attributes are present
 * only with NLRI). */
static void test_withdraw_only_ipv4_is_clean(void **state)
{
	struct fx *f = *state;
	const uint8_t wd[] = {24, 203, 0, 1};

	announce_two(f);
	update(f, wd, sizeof(wd), NULL, 0, NULL, 0);
	ingest(f);
	assert_int_equal(model_prefix_count(f->p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST), 1);
	assert_no_errors(f);
}

static void test_withdraw_only_mp_unreach_is_clean(void **state)
{
	struct fx *f = *state;
	/* MP_REACH 2001:db8::/32 then MP_UNREACH of it (RFC 4760 §3, §4) */
	const uint8_t reach[] = {
		0x40, 1, 1, 0, 0x40, 2, 6, 2, 1, 0, 0, 0x2f, 0x2c,
		0x80, 14, 26, 0, 2, 1, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 1, 0, 32, 0x20, 0x01, 0x0d, 0xb8,
	};
	const uint8_t unreach[] = {0x80, 15, 8, 0, 2, 1, 32, 0x20, 0x01, 0x0d, 0xb8};

	update(f, NULL, 0, reach, sizeof(reach), NULL, 0);
	ingest(f);
	assert_int_equal(model_prefix_count(f->p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV6_UNICAST), 1);
	update(f, NULL, 0, unreach, sizeof(unreach), NULL, 0);
	ingest(f);
	assert_int_equal(model_prefix_count(f->p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV6_UNICAST), 0);
	assert_no_errors(f);
}

/* A withdraw-only UPDATE that is malformed still counts, and so does an
 * announcement without its mandatory attributes. */
static void test_malformed_still_counts(void **state)
{
	struct fx *f = *state;
	const uint8_t bad_wd[] = {33, 203, 0, 1, 0, 0}; /* /33 in IPv4 */
	const char *text;

	announce_two(f);
	update(f, bad_wd, sizeof(bad_wd), NULL, 0, NULL, 0);
	ingest(f);
	update(f, NULL, 0, NULL, 0, nlri2, sizeof(nlri2)); /* NLRI, no attributes */
	ingest(f);
	text = scrape(f);
	if (strstr(text, "reason=\"missing_mandatory\"} 1") == NULL)
		fail_msg("missing_mandatory not counted:\n%s", text);
	if (strstr(text, "circuitwatch_bgp_parse_errors_total{") == NULL ||
	    strstr(text, "reason=\"attributes_not_stored\"") != NULL)
		fail_msg("wrong error reasons:\n%s", text);
}

/* Issue 14: inside a batch the route changes are queued (their slots
 * prefetched, the peer's table not even there yet) and applied in order
 * by the end: an announce, a withdraw and an implicit withdraw of the
 * same prefixes in one batch end as they do one by one. */
static void test_batch_applies_in_order(void **state)
{
	struct fx *f = *state;
	const uint8_t wd[] = {24, 203, 0, 1};
	uint8_t other[sizeof(path_attrs)];
	const char *text;

	memcpy(other, path_attrs, sizeof(other));
	other[3] = 2; /* ORIGIN INCOMPLETE: another set */
	bgp_ingest_batch_begin(f->in);
	update(f, NULL, 0, path_attrs, sizeof(path_attrs), nlri2, sizeof(nlri2));
	ingest(f);
	assert_int_equal(model_prefix_count(f->p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST), 0);
	update(f, wd, sizeof(wd), NULL, 0, NULL, 0);
	ingest(f);
	update(f, NULL, 0, other, sizeof(other), nlri2 + 4, 4); /* 203.0.2.0/24 again */
	ingest(f);
	bgp_ingest_batch_end(f->in);
	assert_int_equal(model_prefix_count(f->p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST), 1);
	text = strstr(scrape(f), "\ncircuitwatch_bgp_implicit_withdrawals_total{");
	assert_non_null(text);
	text = strchr(text + 1, '\n');
	assert_non_null(text);
	if (strncmp(text - 2, " 1\n", 3) != 0)
		fail_msg("implicit withdrawals not 1: %.200s", text - 150);
	assert_no_errors(f);
}

/* An error count sees the routes queued before it applied (its order with
 * "rib_full" decides which reasons get a series at the cap). */
static void test_batch_flushes_before_errors(void **state)
{
	struct fx *f = *state;
	const uint8_t bad_wd[] = {33, 203, 0, 1, 0, 0}; /* /33 in IPv4 */

	bgp_ingest_batch_begin(f->in);
	update(f, NULL, 0, path_attrs, sizeof(path_attrs), nlri2, sizeof(nlri2));
	ingest(f);
	update(f, bad_wd, sizeof(bad_wd), NULL, 0, NULL, 0);
	ingest(f);
	assert_int_equal(model_prefix_count(f->p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST), 2);
	bgp_ingest_batch_end(f->in);
	assert_int_equal(model_prefix_count(f->p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST), 2);
}

/* ---- bgp/ingest over a recording sink ---- */

struct rec {
	unsigned interned, unrefs, announces, withdraws, uncounted, eors, updates;
	enum bgp_ingest_view last_view;
	enum bgp_ingest_af last_af;
	bool refuse_intern;
	char errors[256];
};

static rib_attr_id rec_intern(void *ctx, const uint8_t *key, size_t len)
{
	struct rec *r = ctx;

	(void)key;
	assert_true(len > 0);
	r->interned++;
	return r->refuse_intern ? 0 : 7;
}

static void rec_unref(void *ctx, rib_attr_id id)
{
	if (id != 0)
		((struct rec *)ctx)->unrefs++;
}

static enum rib_change rec_route(void *ctx, void *peer, enum bgp_ingest_view view,
				 enum bgp_ingest_af af, const struct rib_prefix *p,
				 rib_attr_id attrs, bool counted)
{
	struct rec *r = ctx;

	assert_ptr_equal(peer, r);
	assert_true(p->family == 4 || p->family == 6);
	r->last_view = view;
	r->last_af = af;
	if (attrs != 0)
		r->announces++;
	else
		r->withdraws++;
	if (!counted)
		r->uncounted++;
	return attrs != 0 ? RIB_ADDED : RIB_REMOVED;
}

static void rec_eor(void *ctx, void *peer, enum bgp_ingest_view view, enum bgp_ingest_af af)
{
	struct rec *r = ctx;

	(void)peer;
	r->eors++;
	r->last_view = view;
	r->last_af = af;
}

static void rec_error(void *ctx, void *peer, const char *reason)
{
	struct rec *r = ctx;
	size_t n = strlen(r->errors);

	(void)peer;
	snprintf(r->errors + n, sizeof(r->errors) - n, "%s ", reason);
}

static void rec_update(void *ctx, void *peer)
{
	(void)peer;
	((struct rec *)ctx)->updates++;
}

static const struct bgp_rib_sink_ops rec_ops = {rec_intern, rec_unref, rec_route,
						rec_eor,    rec_error, rec_update, NULL};

/* Feeds b's UPDATE to a fresh ingest over r, as from r (or sent to it). */
static void rec_feed(struct rec *r, struct wb *b, enum bgp_ingest_view view, bool sent_to)
{
	struct bgp_ingest *in = bgp_ingest_new((struct bgp_rib_sink){&rec_ops, r});
	struct bgp_decode_ctx ctx;

	assert_non_null(in);
	bgp_ctx_init(&ctx);
	if (sent_to)
		bgp_ingest_sent_to(in, r, view, &ctx, b->p, b->len);
	else
		bgp_ingest_update(in, r, view, &ctx, b->p, b->len);
	bgp_ingest_free(in);
	wb_reset(b);
}

static void raw_update(struct wb *b, const uint8_t *attrs, size_t alen, const uint8_t *nlri,
		       size_t nlen)
{
	size_t at = wb_bgp_begin(b, 2);

	wb_put16(b, 0);
	wb_put16(b, (unsigned)alen);
	wb_put_mem(b, attrs, alen);
	wb_put_mem(b, nlri, nlen);
	wb_bgp_end(b, at);
}

/* RFC 7606 treat-as-withdraw in Adj-RIB-In pre-policy; a missing next hop
 * alone is kept in the views the router builds itself. */
static void test_sink_missing_next_hop_by_view(void **state)
{
	struct wb b;
	struct rec r = {0};
	(void)state;

	wb_init(&b, 128);
	raw_update(&b, path_attrs, sizeof(path_attrs) - 7, nlri2, sizeof(nlri2));
	rec_feed(&r, &b, BGP_INGEST_ADJ_IN_PRE, false);
	assert_int_equal(r.withdraws, 2);
	assert_int_equal(r.announces, 0);
	assert_int_equal(r.updates, 1);
	assert_string_equal(r.errors, "missing_mandatory ");
	memset(&r, 0, sizeof(r));
	raw_update(&b, path_attrs, sizeof(path_attrs) - 7, nlri2, sizeof(nlri2));
	rec_feed(&r, &b, BGP_INGEST_LOC_RIB, false);
	assert_int_equal(r.announces, 2);
	assert_int_equal(r.interned, 1);
	assert_int_equal(r.unrefs, 1);
	assert_int_equal(r.last_view, BGP_INGEST_LOC_RIB);
	assert_int_equal(r.last_af, BGP_INGEST_IPV4_UNICAST);
	assert_string_equal(r.errors, "missing_mandatory ");
	wb_free(&b);
}

/* What a peer was sent changes only the view: no counters, no errors. */
static void test_sink_sent_to_is_uncounted(void **state)
{
	struct wb b;
	struct rec r = {0};
	(void)state;

	wb_init(&b, 128);
	raw_update(&b, path_attrs, sizeof(path_attrs) - 7, nlri2, sizeof(nlri2));
	rec_feed(&r, &b, BGP_INGEST_ADJ_OUT_PRE, true);
	assert_int_equal(r.updates, 0);
	assert_int_equal(r.uncounted, 2);
	assert_string_equal(r.errors, "");
	wb_free(&b);
}

static void test_sink_end_of_rib_and_refusal(void **state)
{
	struct wb b;
	struct rec r = {0};
	(void)state;

	wb_init(&b, 128);
	raw_update(&b, NULL, 0, NULL, 0); /* RFC 4724 §2: IPv4 unicast End-of-RIB */
	rec_feed(&r, &b, BGP_INGEST_ADJ_IN_POST, false);
	assert_int_equal(r.eors, 1);
	assert_int_equal(r.last_view, BGP_INGEST_ADJ_IN_POST);
	assert_int_equal(r.announces + r.withdraws, 0);
	/* the store refuses the attribute set: counted, nothing announced */
	r.refuse_intern = true;
	raw_update(&b, path_attrs, sizeof(path_attrs), nlri2, sizeof(nlri2));
	rec_feed(&r, &b, BGP_INGEST_ADJ_IN_PRE, false);
	assert_int_equal(r.announces, 0);
	assert_string_equal(r.errors, "attributes_not_stored ");
	wb_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_withdraw_only_ipv4_is_clean, setup, teardown),
		cmocka_unit_test_setup_teardown(test_withdraw_only_mp_unreach_is_clean, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_malformed_still_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_applies_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_flushes_before_errors, setup, teardown),
		cmocka_unit_test(test_sink_missing_next_hop_by_view),
		cmocka_unit_test(test_sink_sent_to_is_uncounted),
		cmocka_unit_test(test_sink_end_of_rib_and_refusal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
