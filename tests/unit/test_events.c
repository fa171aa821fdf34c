/* test_events.c — the event bus, and the events the model emits (their
 * encodings are test_event_codec.c's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "daemon_config.h"
#include "event.h"
#include "metrics.h"
#include "model.h"

struct sink {
	int n;
	struct cw_event last;
	struct ev_bus *bus;
	bool reemit;
};

static void on_event(void *arg, const struct cw_event *ev)
{
	struct sink *s = arg;

	s->n++;
	s->last = *ev;
	if (s->reemit) /* a subscriber emitting from its handler: bounded depth */
		ev_emit(s->bus, ev);
}

static void test_bus(void **state)
{
	static const uint8_t boot[EV_BOOT_ID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct ev_bus *bus = ev_bus_new(boot);
	struct sink a = {0}, b = {0};
	struct cw_event ev;
	char hex[33];

	(void)state;
	assert_non_null(bus);
	assert_int_equal(ev_subscribe(bus, on_event, &a), 0);
	assert_int_equal(ev_subscribe(bus, on_event, &b), 0);
	cw_event_init(&ev, CW_EV_BGP_SESSION_UP, CW_SEV_INFO, 1);
	ev_emit(bus, &ev);
	ev_emit(bus, &ev);
	assert_int_equal(a.n, 2);
	assert_int_equal(b.n, 2);
	cw_event_id_hex(&a.last, hex);
	assert_string_equal(hex, "01020304050607080000000000000002");
	/* an event that has an id keeps it (a replay from the spool) */
	ev_emit(bus, &a.last);
	assert_memory_equal(b.last.id, a.last.id, CW_EVENT_ID_LEN);
	assert_int_equal(ev_bus_emitted(bus), 2);
	ev_unsubscribe(bus, on_event, &a);
	b.reemit = true;
	b.bus = bus;
	ev_emit(bus, &ev);
	assert_int_equal(a.n, 3);
	assert_int_equal(b.n, 3 + EV_BUS_MAX_DEPTH);
	assert_int_equal(ev_bus_dropped(bus), 1);
	ev_emit(NULL, &ev);
	ev_bus_free(bus);
}

/* ---- events out of the model ---- */

static const char model_yaml[] =
	"circuits:\n"
	"  - id: er-1\n"
	"    provider: expressroute\n"
	"    sku: {tier: premium}\n"
	"    bandwidth: 1Gbps\n"
	"    links:\n"
	"      primary:\n"
	"        router: 198.18.0.1\n"
	"        peerings:\n"
	"          - type: private\n"
	"            prefix_limit: 10\n"
	"            watch: [203.0.1.0/24]\n"
	"            neighbors: [{address: 198.18.1.2}]\n";

#define MAX_SEEN 32

struct seen {
	int n;
	struct cw_event ev[MAX_SEEN];
};

static void collect(void *arg, const struct cw_event *ev)
{
	struct seen *s = arg;

	assert_true(s->n < MAX_SEEN);
	s->ev[s->n++] = *ev;
}

struct mfx {
	struct metrics_registry *reg;
	struct cfg_config *cfg;
	struct model *m;
	struct model_router *r;
	struct model_peer *p;
	rib_attr_id a;
	struct seen seen;
};

static int msetup(void **state)
{
	static const uint8_t attrs[] = {0x40, 1, 1, 0};
	struct mfx *f = calloc(1, sizeof(*f));
	struct cfg_errors errs = {0};
	struct model_peer_key k = {.family = 4, .addr = {198, 18, 1, 2}};

	assert_non_null(f);
	f->reg = metrics_registry_new();
	assert_int_equal(daemon_config_load_buffer("t.yaml", model_yaml, strlen(model_yaml), &f->cfg, &errs),
			 0);
	f->m = model_new(f->reg);
	assert_non_null(f->m);
	model_apply_config(f->m, f->cfg);
	model_set_event_sink(f->m, collect, &f->seen);
	f->r = model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.1");
	f->p = model_peer_get(f->m, f->r, &k, 12076, 1);
	f->a = model_attrs_intern(f->m, attrs, sizeof(attrs));
	*state = f;
	return 0;
}

static int mteardown(void **state)
{
	struct mfx *f = *state;

	model_attrs_unref(f->m, f->a);
	model_free(f->m);
	cfg_free(f->cfg);
	metrics_registry_free(f->reg);
	free(f);
	return 0;
}

static struct rib_prefix pfx(uint8_t a, uint8_t b, uint8_t c, uint8_t len)
{
	struct rib_prefix x = {.family = 4, .len = len, .addr = {a, b, c, 0}};

	return x;
}

static void test_model_session_events(void **state)
{
	struct mfx *f = *state;
	const struct cw_event *e;

	model_peer_up(f->m, f->p, 100.5);
	assert_int_equal(f->seen.n, 1);
	e = &f->seen.ev[0];
	assert_int_equal(e->type, CW_EV_BGP_SESSION_UP);
	assert_int_equal(e->time_ns, 100500000000LL);
	assert_string_equal(e->circuit, "er-1");
	assert_string_equal(e->link, "primary");
	assert_string_equal(e->peering, "private");
	assert_true(e->has_peer);
	assert_string_equal(e->peer.address, "198.18.1.2");
	assert_int_equal(e->peer.asn, 12076);
	assert_int_equal(e->peer.source, CW_SRC_BMP);
	/* a second Peer Up without a Peer Down: the session restarted */
	model_peer_up(f->m, f->p, 101);
	assert_int_equal(f->seen.n, 3);
	e = &f->seen.ev[1];
	assert_int_equal(e->type, CW_EV_BGP_SESSION_DOWN);
	assert_int_equal(e->reason.kind, CW_REASON_OTHER);
	assert_string_equal(e->reason.text, "restarted");
	assert_int_equal(f->seen.ev[2].type, CW_EV_BGP_SESSION_UP);
	model_peer_down(f->m, f->p, 102, &(struct model_down){MODEL_DOWN_BMP_PEER_DOWN, 2, -1, 0});
	model_peer_down(f->m, f->p, 102,
			&(struct model_down){MODEL_DOWN_BMP_PEER_DOWN, 2, -1, 0}); /* already down */
	assert_int_equal(f->seen.n, 4);
	assert_int_equal(f->seen.ev[3].reason.bmp_reason, 2);
	assert_string_equal(f->seen.ev[3].reason.text, "local-fsm-event");
	model_peer_up(f->m, f->p, 103);
	model_peer_down(f->m, f->p, 104, &(struct model_down){MODEL_DOWN_BMP_PEER_DOWN, 3, 6, 2});
	e = &f->seen.ev[f->seen.n - 1];
	assert_int_equal(e->type, CW_EV_BGP_SESSION_DOWN);
	assert_int_equal(e->severity, CW_SEV_CRITICAL);
	assert_int_equal(e->reason.kind, CW_REASON_BMP_PEER_DOWN);
	assert_int_equal(e->reason.bmp_reason, 3); /* RFC 7854 §4.9 */
	assert_int_equal(e->reason.notif_code, 6);
	assert_int_equal(e->reason.notif_subcode, 2);
	model_peer_up(f->m, f->p, 105);
	model_router_disconnected(f->m, f->r, 106);
	e = &f->seen.ev[f->seen.n - 1];
	assert_int_equal(e->reason.kind, CW_REASON_ROUTER_DISCONNECTED);
	assert_string_equal(e->reason.text, "router-disconnected");
}

static void test_model_capture_reasons(void **state)
{
	struct mfx *f = *state;
	struct model_router *r = model_router_get(f->m, MODEL_SRC_PCAP, "eth0");
	struct model_peer_key k = {.family = 4, .addr = {198, 18, 9, 9}};
	struct model_peer *p = model_peer_get(f->m, r, &k, 65000, 1);
	static const struct {
		enum model_down_cause cause;
		const char *reason;
		int code;
		enum cw_reason_kind kind;
	} cases[] = {
		{MODEL_DOWN_TCP_FIN, "fin", -1, CW_REASON_TCP_CLOSE},
		{MODEL_DOWN_TCP_RST, "rst", -1, CW_REASON_TCP_CLOSE},
		{MODEL_DOWN_NOTIFICATION, "notification", 6, CW_REASON_NOTIFICATION},
		{MODEL_DOWN_NOTIFICATION, "notification", 4, CW_REASON_HOLD_TIMER}, /* RFC 4271 §6.5 */
		{MODEL_DOWN_IDLE, "idle", -1, CW_REASON_OTHER},
		{MODEL_DOWN_UNKNOWN, "unknown", -1, CW_REASON_OTHER},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		model_peer_up(f->m, p, 1);
		model_peer_down(f->m, p, 2, &(struct model_down){cases[i].cause, 0, cases[i].code, 0});
		const struct cw_event *e = &f->seen.ev[f->seen.n - 1];

		assert_int_equal(e->peer.source, CW_SRC_PCAP);
		assert_string_equal(e->circuit, ""); /* not a configured neighbour */
		assert_int_equal(e->reason.kind, cases[i].kind);
		assert_string_equal(e->reason.text, cases[i].reason);
	}
}

static void test_model_prefix_limit_events(void **state)
{
	struct mfx *f = *state;
	int n0;
	struct rib_prefix x;

	model_peer_up(f->m, f->p, 1);
	n0 = f->seen.n;
	/* limit 10: 9 (90 %) approaches, 11 exceeds, 8 stays (hysteresis down to
	 * 80 %), 7 clears */
	for (uint8_t i = 0; i < 8; i++) {
		x = pfx(10, 0, i, 24);
		model_route(f->m, f->p, MODEL_VIEW_ADJ_OUT_PRE, MODEL_AF_IPV4_UNICAST, &x, f->a);
	}
	assert_int_equal(f->seen.n, n0);
	x = pfx(10, 0, 8, 24);
	model_route(f->m, f->p, MODEL_VIEW_ADJ_OUT_PRE, MODEL_AF_IPV4_UNICAST, &x, f->a);
	assert_int_equal(f->seen.n, n0 + 1);
	assert_int_equal(f->seen.ev[n0].type, CW_EV_PREFIX_LIMIT_APPROACHING);
	assert_int_equal(f->seen.ev[n0].d.prefix_limit.count, 9);
	assert_int_equal(f->seen.ev[n0].d.prefix_limit.limit, 10);
	assert_int_equal(f->seen.ev[n0].time_ns, 0); /* the sink stamps route events */
	for (uint8_t i = 9; i < 11; i++) {
		x = pfx(10, 0, i, 24);
		model_route(f->m, f->p, MODEL_VIEW_ADJ_OUT_PRE, MODEL_AF_IPV4_UNICAST, &x, f->a);
	}
	assert_int_equal(f->seen.n, n0 + 2);
	assert_int_equal(f->seen.ev[n0 + 1].type, CW_EV_PREFIX_LIMIT_EXCEEDED);
	assert_int_equal(f->seen.ev[n0 + 1].severity, CW_SEV_CRITICAL);
	for (uint8_t i = 10; i >= 8; i--) {
		x = pfx(10, 0, i, 24);
		model_route(f->m, f->p, MODEL_VIEW_ADJ_OUT_PRE, MODEL_AF_IPV4_UNICAST, &x, 0);
	}
	/* 10 -> back to approaching, 9 and 8 stay there */
	assert_int_equal(f->seen.n, n0 + 3);
	assert_int_equal(f->seen.ev[n0 + 2].type, CW_EV_PREFIX_LIMIT_APPROACHING);
	x = pfx(10, 0, 7, 24);
	model_route(f->m, f->p, MODEL_VIEW_ADJ_OUT_PRE, MODEL_AF_IPV4_UNICAST, &x, 0);
	assert_int_equal(f->seen.n, n0 + 4);
	assert_int_equal(f->seen.ev[n0 + 3].type, CW_EV_PREFIX_LIMIT_CLEARED);
	assert_int_equal(f->seen.ev[n0 + 3].d.prefix_limit.count, 7);
	/* received routes do not count against the limit */
	for (uint8_t i = 0; i < 20; i++) {
		x = pfx(10, 1, i, 24);
		model_route(f->m, f->p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST, &x, f->a);
	}
	assert_int_equal(f->seen.n, n0 + 4);
}

static void test_model_watched_events(void **state)
{
	struct mfx *f = *state;
	struct rib_prefix w = pfx(203, 0, 1, 24), other = pfx(203, 0, 2, 24);
	int n0;

	model_peer_up(f->m, f->p, 1);
	n0 = f->seen.n;
	/* first sight after the session came up: no event */
	model_route(f->m, f->p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST, &other, f->a);
	model_route(f->m, f->p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST, &w, f->a);
	assert_int_equal(f->seen.n, n0);
	model_route(f->m, f->p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST, &w, 0);
	assert_int_equal(f->seen.n, n0 + 1);
	assert_int_equal(f->seen.ev[n0].type, CW_EV_WATCHED_PREFIX_WITHDRAWN);
	assert_string_equal(f->seen.ev[n0].d.watched.prefix, "203.0.1.0/24");
	model_route(f->m, f->p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST, &w, f->a);
	assert_int_equal(f->seen.n, n0 + 2);
	assert_int_equal(f->seen.ev[n0 + 1].type, CW_EV_WATCHED_PREFIX_RESTORED);
	/* a duplicate announcement and other prefixes change nothing */
	model_route(f->m, f->p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST, &w, f->a);
	model_route(f->m, f->p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST, &other, 0);
	assert_int_equal(f->seen.n, n0 + 2);
	/* the session going down takes the watched prefix with it */
	model_peer_down(f->m, f->p, 5, &(struct model_down){MODEL_DOWN_BMP_PEER_DOWN, 4, -1, 0});
	assert_int_equal(f->seen.n, n0 + 4);
	assert_int_equal(f->seen.ev[n0 + 2].type, CW_EV_BGP_SESSION_DOWN);
	assert_int_equal(f->seen.ev[n0 + 3].type, CW_EV_WATCHED_PREFIX_WITHDRAWN);
	assert_string_equal(f->seen.ev[n0 + 3].reason.text, "session-down");
	/* back: restored */
	model_peer_up(f->m, f->p, 6);
	model_route(f->m, f->p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST, &w, f->a);
	assert_int_equal(f->seen.n, n0 + 6);
	assert_int_equal(f->seen.ev[n0 + 5].type, CW_EV_WATCHED_PREFIX_RESTORED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bus),
		cmocka_unit_test_setup_teardown(test_model_session_events, msetup, mteardown),
		cmocka_unit_test_setup_teardown(test_model_capture_reasons, msetup, mteardown),
		cmocka_unit_test_setup_teardown(test_model_prefix_limit_events, msetup, mteardown),
		cmocka_unit_test_setup_teardown(test_model_watched_events, msetup, mteardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
