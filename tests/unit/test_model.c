/* test_model.c — routers, peers, views, mapping to circuits, metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bmp_config.h"
#include "circuit_index.h"
#include "daemon_config.h"
#include "expo.h"
#include "metrics.h"
#include "model.h"

static const char yaml[] =
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
	"            watch: [203.0.1.0/24, 203.0.200.0/24]\n"
	"            neighbors: [{address: 198.18.1.2}]\n"
	"      secondary:\n"
	"        router: edge-2\n"
	"        peerings:\n"
	"          - type: private\n"
	"            neighbors: [{address: 198.18.1.6}]\n";

struct fx {
	struct metrics_registry *reg;
	struct cfg_config *cfg;
	struct model *m;
	struct expo_buf out;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct cfg_errors errs = {0};

	assert_non_null(f);
	f->reg = metrics_registry_new();
	assert_int_equal(daemon_config_load_buffer("t.yaml", yaml, strlen(yaml), &f->cfg, &errs), 0);
	f->m = model_new(f->reg);
	assert_non_null(f->m);
	model_apply_config(f->m, f->cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	model_free(f->m);
	cfg_free(f->cfg);
	expo_buf_clean(&f->out);
	metrics_registry_free(f->reg);
	free(f);
	return 0;
}

/* Publishes and renders the text exposition into f->out. */
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

static void assert_line(struct fx *f, const char *line)
{
	const char *text = scrape(f);
	char *want = malloc(strlen(line) + 3);

	assert_non_null(want);
	sprintf(want, "\n%s\n", line);
	if (strstr(text, want) == NULL)
		fail_msg("missing line: %s\n--- exposition ---\n%s", line, text);
	free(want);
}

static void assert_no(struct fx *f, const char *needle)
{
	if (strstr(scrape(f), needle) != NULL)
		fail_msg("unexpected: %s", needle);
}

static struct model_peer_key key4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct model_peer_key k = {.family = 4, .addr = {a, b, c, d}};

	return k;
}

static struct rib_prefix pfx(uint8_t third)
{
	struct rib_prefix p = {.family = 4, .len = 24, .addr = {203, 0, third, 0}};

	return p;
}

#define PEER1 "source=\"bmp\",router=\"198.18.0.1\",peer=\"198.18.1.2\",peer_as=\"12076\",rd=\"\",circuit=\"er-1\",link=\"primary\",peering=\"private\""

static void test_peer_maps_to_circuit_and_counts(void **state)
{
	struct fx *f = *state;
	struct model_router *r = model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.1");
	struct model_peer_key k = key4(198, 18, 1, 2);
	struct model_peer *p;
	const uint8_t attrs[] = {0x40, 1, 1, 0};
	rib_attr_id a;

	model_router_connected(f->m, r, 100);
	p = model_peer_get(f->m, r, &k, 12076, 1);
	assert_non_null(p);
	assert_ptr_equal(model_peer_get(f->m, r, &k, 12076, 1), p);
	model_peer_up(f->m, p, 101);
	a = model_attrs_intern(f->m, attrs, sizeof(attrs));
	for (uint8_t i = 0; i < 10; i++) {
		struct rib_prefix x = pfx(i);

		assert_int_equal(model_route(f->m, p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST, &x,
					     a),
				 RIB_ADDED);
	}
	struct rib_prefix x = pfx(3);

	assert_int_equal(model_route(f->m, p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST, &x, 0),
			 RIB_REMOVED);
	model_attrs_unref(f->m, a);
	model_peer_count_update(p);
	assert_int_equal(model_prefix_count(p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST), 9);
	assert_line(f, "circuitwatch_bgp_session_up{" PEER1 "} 1");
	assert_line(f, "circuitwatch_bgp_prefixes{" PEER1
		       ",afi_safi=\"ipv4-unicast\",view=\"adj-rib-in-pre\"} 9");
	assert_line(f, "circuitwatch_bgp_prefixes_withdrawn_total{" PEER1 "} 1");
	assert_line(f, "circuitwatch_bgp_prefixes_announced_total{" PEER1 "} 10");
	assert_line(f, "circuitwatch_bgp_session_state_changes_total{" PEER1 "} 1");
	assert_line(f, "circuitwatch_bgp_prefix_limit{" PEER1 "} 10000");
	assert_line(f, "circuitwatch_bmp_router_up{router=\"198.18.0.1\"} 1");
	assert_line(f, "circuitwatch_bgp_watched_prefix_present{" PEER1 ",prefix=\"203.0.1.0/24\"} 1");
	assert_line(f, "circuitwatch_bgp_watched_prefix_present{" PEER1 ",prefix=\"203.0.200.0/24\"} 0");
	/* no Adj-RIB-Out reported: headroom unknown, not invented */
	assert_no(f, "circuitwatch_bgp_prefix_limit_headroom{");
	/* views never reported are not published */
	assert_no(f, "view=\"loc-rib\"");
}

static void test_down_clears_and_router_loss(void **state)
{
	struct fx *f = *state;
	struct model_router *r = model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.1");
	struct model_peer_key k = key4(198, 18, 1, 2);
	struct model_peer *p = model_peer_get(f->m, r, &k, 12076, 1);
	const uint8_t attrs[] = {1};
	rib_attr_id a = model_attrs_intern(f->m, attrs, 1);
	struct rib_prefix x = pfx(1);

	model_router_connected(f->m, r, 1);
	model_peer_up(f->m, p, 2);
	assert_int_equal(model_route(f->m, p, MODEL_VIEW_ADJ_IN_POST, MODEL_AF_IPV4_UNICAST, &x, a),
			 RIB_ADDED);
	model_attrs_unref(f->m, a);
	assert_line(f, "circuitwatch_bgp_watched_prefix_present{" PEER1 ",prefix=\"203.0.1.0/24\"} 1");
	model_peer_down(f->m, p, 3, &(struct model_down){MODEL_DOWN_BMP_PEER_DOWN, 3, 6, 2});
	assert_line(f, "circuitwatch_bgp_watched_prefix_present{" PEER1 ",prefix=\"203.0.1.0/24\"} 0");
	assert_false(model_peer_is_up(p));
	assert_int_equal(model_prefix_count(p, MODEL_VIEW_ADJ_IN_POST, MODEL_AF_IPV4_UNICAST), 0);
	assert_line(f, "circuitwatch_bgp_session_up{" PEER1 "} 0");
	assert_line(f, "circuitwatch_bgp_prefixes{" PEER1
		       ",afi_safi=\"ipv4-unicast\",view=\"adj-rib-in-post\"} 0");
	assert_line(f, "circuitwatch_bgp_notifications_total{" PEER1 ",code=\"6\",subcode=\"2\"} 1");
	assert_line(f, "circuitwatch_bgp_session_state_changes_total{" PEER1 "} 2");
	assert_line(f, "circuitwatch_bgp_session_last_change_timestamp_seconds{" PEER1 "} 3");
	while (model_gc(f->m) > 0)
		;
	/* up again, then the router goes away: the peer goes down, series stay */
	model_peer_up(f->m, p, 4);
	model_router_disconnected(f->m, r, 5);
	assert_line(f, "circuitwatch_bgp_session_up{" PEER1 "} 0");
	assert_line(f, "circuitwatch_bmp_router_up{router=\"198.18.0.1\"} 0");
	assert_line(f, "circuitwatch_bgp_session_state_changes_total{" PEER1 "} 4");
}

/* Issue 12 item 2: a router is its address and the sysName of its
 * Initiation; a second live router behind one address gets its own label. */
static void test_router_identity(void **state)
{
	struct fx *f = *state;
	struct model_router *r1 = model_router_bind(f->m, MODEL_SRC_BMP, "198.18.0.1", "edge-1");
	struct model_router *r2, *r3;

	assert_non_null(r1);
	assert_string_equal(model_router_label(r1), "198.18.0.1");
	assert_false(model_router_is_connected(r1));
	model_router_connected(f->m, r1, 1);
	/* the same identity again (a reconnect): the same router, still live */
	assert_ptr_equal(model_router_bind(f->m, MODEL_SRC_BMP, "198.18.0.1", "edge-1"), r1);
	assert_true(model_router_is_connected(r1));
	/* another sysName while edge-1 is live: a second router */
	r2 = model_router_bind(f->m, MODEL_SRC_BMP, "198.18.0.1", "edge-9");
	assert_non_null(r2);
	assert_ptr_not_equal(r2, r1);
	assert_string_equal(model_router_label(r2), "198.18.0.1/edge-9");
	model_router_connected(f->m, r2, 2);
	r3 = model_router_bind(f->m, MODEL_SRC_BMP, "198.18.0.1", "");
	assert_string_equal(model_router_label(r3), "198.18.0.1/-");
	/* another source's router of that name is not a BMP router */
	assert_ptr_not_equal(model_router_bind(f->m, MODEL_SRC_PCAP, "198.18.0.1", "edge-1"), r1);
	assert_line(f, "circuitwatch_bmp_router_up{router=\"198.18.0.1\"} 1");
	assert_line(f, "circuitwatch_bmp_router_up{router=\"198.18.0.1/edge-9\"} 1");
	/* edge-1 gone, then renamed: it keeps its label (and series) */
	model_router_disconnected(f->m, r1, 3);
	assert_ptr_equal(model_router_bind(f->m, MODEL_SRC_BMP, "198.18.0.1", "edge-1-new"), r1);
	assert_ptr_equal(model_router_bind(f->m, MODEL_SRC_BMP, "198.18.0.1", "edge-1-new"), r1);
	/* a link naming the address maps peers of both */
	assert_string_equal(model_router_label(model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.1")),
			    "198.18.0.1");
}

static void test_mapping_needs_router_and_asn(void **state)
{
	struct fx *f = *state;
	struct model_router *other = model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.99");
	struct model_router *edge2 = model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.2");
	struct model_peer_key k1 = key4(198, 18, 1, 2), k2 = key4(198, 18, 1, 6);

	/* right neighbour, wrong router: not mapped, still tracked */
	model_peer_up(f->m, model_peer_get(f->m, other, &k1, 12076, 1), 1);
	assert_line(f, "circuitwatch_bgp_session_up{source=\"bmp\",router=\"198.18.0.99\","
		       "peer=\"198.18.1.2\",peer_as=\"12076\",rd=\"\",circuit=\"\",link=\"\","
		       "peering=\"\"} 1");
	/* a link's router may be named by sysName */
	model_router_set_info(edge2, "edge-2", 6, "FRRouting 8.4", 13);
	model_peer_up(f->m, model_peer_get(f->m, edge2, &k2, 12076, 2), 1);
	model_apply_config(f->m, f->cfg);
	assert_line(f, "circuitwatch_bgp_session_up{source=\"bmp\",router=\"198.18.0.2\","
		       "peer=\"198.18.1.6\",peer_as=\"12076\",rd=\"\",circuit=\"er-1\","
		       "link=\"secondary\",peering=\"private\"} 1");
	assert_line(f, "circuitwatch_bmp_router_info{router=\"198.18.0.2\",sys_name=\"edge-2\","
		       "sys_descr=\"FRRouting 8.4\"} 1");
	/* the same address with another ASN is not the configured neighbour */
	model_peer_get(f->m, edge2, &k2, 65099, 2);
	assert_no(f, "source=\"bmp\",router=\"198.18.0.2\",peer=\"198.18.1.6\",peer_as=\"12076\"");
	/* ... so the configured one is unreported: session_up 0 from the config */
	assert_line(f, "circuitwatch_bgp_session_up{source=\"config\",router=\"\","
		       "peer=\"198.18.1.6\",peer_as=\"12076\",rd=\"\",circuit=\"er-1\","
		       "link=\"secondary\",peering=\"private\"} 0");
	assert_line(f, "circuitwatch_bgp_session_up{source=\"bmp\",router=\"198.18.0.2\","
		       "peer=\"198.18.1.6\",peer_as=\"65099\",rd=\"\",circuit=\"\",link=\"\","
		       "peering=\"\"} 1");
}

/* Both links need every configured neighbour up for the circuit to be
 * redundant; the counts per link say which side is short. */
static void test_redundancy(void **state)
{
	struct fx *f = *state;
	struct model_router *r1 = model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.1");
	struct model_router *r2 = model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.2");
	struct model_peer_key k1 = key4(198, 18, 1, 2), k2 = key4(198, 18, 1, 6);
	struct model_peer *p1, *p2;

	assert_line(f, "circuitwatch_link_sessions_configured{circuit=\"er-1\",link=\"primary\"} 1");
	assert_line(f, "circuitwatch_link_sessions_up{circuit=\"er-1\",link=\"secondary\"} 0");
	assert_line(f, "circuitwatch_circuit_redundant{circuit=\"er-1\"} 0");
	model_router_set_info(r2, "edge-2", 6, "x", 1);
	p1 = model_peer_get(f->m, r1, &k1, 12076, 1);
	p2 = model_peer_get(f->m, r2, &k2, 12076, 2);
	model_apply_config(f->m, f->cfg);
	model_peer_up(f->m, p1, 1);
	assert_line(f, "circuitwatch_link_sessions_up{circuit=\"er-1\",link=\"primary\"} 1");
	assert_line(f, "circuitwatch_circuit_redundant{circuit=\"er-1\"} 0");
	model_peer_up(f->m, p2, 2);
	assert_line(f, "circuitwatch_link_sessions_up{circuit=\"er-1\",link=\"secondary\"} 1");
	assert_line(f, "circuitwatch_circuit_redundant{circuit=\"er-1\"} 1");
	/* the secondary's session goes down: degraded */
	model_peer_down(f->m, p2, 3, &(struct model_down){MODEL_DOWN_BMP_PEER_DOWN, 3, 6, 2});
	assert_line(f, "circuitwatch_link_sessions_up{circuit=\"er-1\",link=\"secondary\"} 0");
	assert_line(f, "circuitwatch_circuit_redundant{circuit=\"er-1\"} 0");
	/* the same neighbour seen by an unmapped router does not count */
	model_peer_up(f->m, model_peer_get(f->m, model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.99"), &k2,
					   12076, 9), 4);
	assert_line(f, "circuitwatch_circuit_redundant{circuit=\"er-1\"} 0");
}

/* model_link_sessions (availability, issue 15): the counts of the last
 * publish, none before it or after a new mapping. */
static void test_link_sessions(void **state)
{
	struct fx *f = *state;
	struct model_router *r1 = model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.1");
	struct model_peer_key k1 = key4(198, 18, 1, 2);
	struct model_link_sessions ls;

	model_apply_config(f->m, f->cfg);
	assert_false(model_link_sessions(f->m, 0, CFG_LINK_PRIMARY, &ls));
	model_publish(f->m);
	assert_true(model_link_sessions(f->m, 0, CFG_LINK_PRIMARY, &ls));
	assert_true(ls.present && ls.configured == 1 && ls.up == 0);
	model_peer_up(f->m, model_peer_get(f->m, r1, &k1, 12076, 1), 1);
	model_publish(f->m);
	assert_true(model_link_sessions(f->m, 0, CFG_LINK_PRIMARY, &ls));
	assert_int_equal(ls.up, 1);
	assert_true(model_link_sessions(f->m, 0, CFG_LINK_SECONDARY, &ls));
	assert_int_equal(ls.up, 0);
	assert_false(model_link_sessions(f->m, 1000, CFG_LINK_PRIMARY, &ls));
	assert_false(model_link_sessions(f->m, 0, CFG_LINK_COUNT, &ls));
	model_apply_config(f->m, f->cfg);
	assert_false(model_link_sessions(f->m, 0, CFG_LINK_PRIMARY, &ls));
}

/* ASN 0 is not known (a capture that started after the OPENs): the
 * address decides; a known other ASN still does not map. */
static void test_unknown_asn_maps_by_address(void **state)
{
	static const char y[] = "circuits:\n  - id: dx-1\n    provider: directconnect\n"
				"    bandwidth: 1Gbps\n    links:\n      primary:\n"
				"        peerings: [{type: private, neighbors: [{address: 198.18.5.2, "
				"asn: 7224}]}]\n";
	struct fx *f = *state;
	struct cfg_config *cfg = NULL;
	struct cfg_errors errs = {0};
	struct model_router *r = model_router_get(f->m, MODEL_SRC_PCAP, "eth9");
	struct model_peer_key k = key4(198, 18, 5, 2);

	assert_int_equal(daemon_config_load_buffer("u.yaml", y, strlen(y), &cfg, &errs), 0);
	model_apply_config(f->m, cfg);
	model_peer_up(f->m, model_peer_get(f->m, r, &k, 0, 0), 1);
	assert_line(f, "circuitwatch_bgp_session_up{source=\"pcap\",router=\"eth9\",peer=\"198.18.5.2\","
		       "peer_as=\"0\",rd=\"\",circuit=\"dx-1\",link=\"primary\",peering=\"private\"} 1");
	model_peer_get(f->m, r, &k, 65099, 0);
	assert_line(f, "circuitwatch_bgp_session_up{source=\"pcap\",router=\"eth9\",peer=\"198.18.5.2\","
		       "peer_as=\"65099\",rd=\"\",circuit=\"\",link=\"\",peering=\"\"} 1");
	/* a capture input is no BMP router: no router series for it */
	assert_no(f, "circuitwatch_bmp_router_up{router=\"eth9\"}");
	model_apply_config(f->m, f->cfg);
	cfg_free(cfg);
}

/* The index the model maps with: its own after model_apply_config, the
 * caller's after model_apply_circuits (the capture source looks up
 * neighbours in it). */
static void test_circuit_index(void **state)
{
	struct fx *f = *state;
	struct model *bare = model_new(f->reg);
	struct circuit_index *ix = circuit_index_new(circuit_config(f->cfg));
	size_t n;

	assert_null(model_circuit_index(bare));
	assert_null(model_circuit_index(NULL));
	model_free(bare);
	(void)circuit_index_neighbours(model_circuit_index(f->m), &n);
	assert_int_equal(n, 2);
	(void)circuit_index_by_address(model_circuit_index(f->m), 4,
				       (const uint8_t[4]){198, 18, 1, 6}, &n);
	assert_int_equal(n, 1);
	assert_non_null(ix);
	model_apply_circuits(f->m, f->cfg, ix);
	assert_ptr_equal(model_circuit_index(f->m), ix);
	model_apply_config(f->m, f->cfg);
	circuit_index_free(ix);
}

static void test_counters_stats_and_headroom(void **state)
{
	struct fx *f = *state;
	struct model_router *r = model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.1");
	struct model_peer_key k = key4(198, 18, 1, 2);
	struct model_peer *p = model_peer_get(f->m, r, &k, 12076, 1);
	const uint8_t attrs[] = {2};
	rib_attr_id a = model_attrs_intern(f->m, attrs, 1);
	static const char reason[] = "attr_length";

	model_peer_up(f->m, p, 1);
	for (uint8_t i = 0; i < 3; i++) {
		struct rib_prefix x = pfx(i);

		(void)model_route(f->m, p, MODEL_VIEW_ADJ_OUT_POST, MODEL_AF_IPV4_UNICAST, &x, a);
	}
	model_attrs_unref(f->m, a);
	model_end_of_rib(p, MODEL_VIEW_ADJ_OUT_POST, MODEL_AF_IPV4_UNICAST);
	model_peer_count_error(p, reason);
	model_peer_count_error(p, reason);
	model_router_count_msg(r, "route-monitoring");
	model_peer_stat(p, 7, "adj_rib_in_routes", 0, 0, 1234, true);
	model_peer_stat(p, 9, "adj_rib_in_routes_afi_safi", 2, 1, 55, true);
	model_peer_stat(p, 0, "rejected_prefixes", 0, 0, 9, false);
	model_peer_stat(p, 0, "rejected_prefixes", 0, 0, 11, false); /* latest wins */
	assert_line(f, "circuitwatch_bgp_prefix_limit_headroom{" PEER1 "} 9997");
	assert_line(f, "circuitwatch_bgp_end_of_rib{" PEER1
		       ",afi_safi=\"ipv4-unicast\",view=\"adj-rib-out-post\"} 1");
	assert_line(f, "circuitwatch_bgp_parse_errors_total{" PEER1 ",reason=\"attr_length\"} 2");
	assert_line(f, "circuitwatch_bmp_messages_total{router=\"198.18.0.1\",type=\"route-monitoring\"} 1");
	assert_line(f, "circuitwatch_bmp_stats_gauge{" PEER1 ",stat=\"adj_rib_in_routes\",afi_safi=\"\"} 1234");
	assert_line(f, "circuitwatch_bmp_stats_gauge{" PEER1
		       ",stat=\"adj_rib_in_routes_afi_safi\",afi_safi=\"2/1\"} 55");
	assert_line(f, "circuitwatch_bmp_stats_counter_total{" PEER1 ",stat=\"rejected_prefixes\"} 11");
}

static void test_rd_label(void **state)
{
	struct fx *f = *state;
	struct model_router *r = model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.1");
	struct model_peer_key k = key4(198, 18, 9, 9);

	k.peer_type = 1;
	k.distinguisher = (uint64_t)65000 << 32 | 7; /* type 0: 65000:7 */
	model_peer_up(f->m, model_peer_get(f->m, r, &k, 65010, 3), 1);
	assert_line(f, "circuitwatch_bgp_session_up{source=\"bmp\",router=\"198.18.0.1\","
		       "peer=\"198.18.9.9\",peer_as=\"65010\",rd=\"65000:7\",circuit=\"\",link=\"\","
		       "peering=\"\"} 1");
}

/* ---- many peers (issue 12, item 5) ---- */

/* Reloads the fixture's circuits with extra top-level YAML (a bmp section). */
static void use_config(struct fx *f, const char *extra)
{
	struct cfg_errors errs = {0};
	struct cfg_config *next = NULL;
	const struct cfg_bmp *b;
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s%s", yaml, extra);
	assert_int_equal(daemon_config_load_buffer("t.yaml", buf, strlen(buf), &next, &errs), 0);
	model_apply_config(f->m, next);
	/* what the BMP module sets from bmp: on start and reload */
	b = bmp_config(next);
	model_set_source_policy(f->m, MODEL_SRC_BMP, &(struct model_source_policy){
		.max_peers_per_router = b->max_peers_per_router,
		.peer_retention_s = (double)b->peer_retention_s,
		.publish_configured_only = b->publish == CFG_BMP_PUBLISH_CONFIGURED});
	cfg_free(f->cfg);
	f->cfg = next;
}

#define UNCONF(a) "router=\"198.18.0.1\",peer=\"10.0.0." #a "\""

static struct model_peer *unconf(struct fx *f, struct model_router *r, uint8_t a)
{
	struct model_peer_key k = key4(10, 0, 0, a);

	return model_peer_get(f->m, r, &k, 65000u + a, a);
}

static struct model_peer *configured(struct fx *f, struct model_router *r)
{
	struct model_peer_key k = key4(198, 18, 1, 2);

	return model_peer_get(f->m, r, &k, 12076, 1);
}

static void add_route(struct fx *f, struct model_peer *p, uint8_t third)
{
	const uint8_t attrs[] = {7};
	rib_attr_id a = model_attrs_intern(f->m, attrs, 1);
	struct rib_prefix x = pfx(third);

	assert_int_equal(model_route(f->m, p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST, &x, a),
			 RIB_ADDED);
	model_attrs_unref(f->m, a);
}

/* bmp.max_peers_per_router: a new peer past it is refused (each message
 * counted as dropped), known peers and configured neighbours still come
 * in, other sources keep the model's own cap, a reload raises it. */
static void test_peer_cap(void **state)
{
	struct fx *f = *state;
	struct model_router *r = model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.1");
	struct model_router *cap = model_router_get(f->m, MODEL_SRC_PCAP, "eth0");
	struct model_peer *p1;

	use_config(f, "bmp: {max_peers_per_router: 3}\n");
	model_router_connected(f->m, r, 1);
	p1 = unconf(f, r, 1);
	assert_non_null(p1);
	assert_non_null(unconf(f, r, 2));
	assert_non_null(unconf(f, r, 3));
	assert_null(unconf(f, r, 4));
	assert_null(unconf(f, r, 4));
	assert_ptr_equal(unconf(f, r, 1), p1);
	assert_non_null(configured(f, r)); /* a configured neighbour is always let in */
	assert_null(unconf(f, r, 5));
	for (uint8_t i = 1; i <= 5; i++)
		assert_non_null(unconf(f, cap, i)); /* bmp.* is not the capture's cap */
	model_peer_up(f->m, p1, 2);
	assert_line(f, "circuitwatch_bmp_messages_dropped_total{router=\"198.18.0.1\","
		       "reason=\"peer_limit\"} 3");
	assert_line(f, "circuitwatch_bmp_router_peers{router=\"198.18.0.1\",state=\"up\"} 1");
	assert_line(f, "circuitwatch_bmp_router_peers{router=\"198.18.0.1\",state=\"down\"} 3");
	assert_no(f, UNCONF(4));
	use_config(f, "bmp: {max_peers_per_router: 5}\n");
	assert_non_null(unconf(f, r, 4));
	assert_line(f, "circuitwatch_bmp_router_peers{router=\"198.18.0.1\",state=\"down\"} 4");
}

/* bmp.publish configured: only configured neighbours get per-peer series;
 * the others stay in the model (RIB, counts) and in the router's totals;
 * a reload switches either way. */
static void test_publish_configured(void **state)
{
	struct fx *f = *state;
	struct model_router *r = model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.1");
	struct model_peer *c, *u;

	use_config(f, "bmp: {publish: configured}\n");
	model_router_connected(f->m, r, 1);
	c = configured(f, r);
	u = unconf(f, r, 1);
	model_peer_up(f->m, c, 2);
	model_peer_up(f->m, u, 2);
	add_route(f, u, 1);
	add_route(f, u, 2);
	assert_line(f, "circuitwatch_bgp_session_up{" PEER1 "} 1");
	assert_no(f, UNCONF(1));
	assert_line(f, "circuitwatch_bmp_router_peers{router=\"198.18.0.1\",state=\"up\"} 2");
	assert_int_equal(model_prefix_count(u, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST), 2);
	use_config(f, "bmp: {publish: all}\n");
	assert_line(f, "circuitwatch_bgp_prefixes{source=\"bmp\"," UNCONF(1)
		       ",peer_as=\"65001\",rd=\"\",circuit=\"\",link=\"\",peering=\"\","
		       "afi_safi=\"ipv4-unicast\",view=\"adj-rib-in-pre\"} 2");
	use_config(f, "bmp: {publish: configured}\n");
	assert_no(f, UNCONF(1));
	assert_line(f, "circuitwatch_bgp_session_up{" PEER1 "} 1");
}

/* A router gone for bmp.peer_retention: its peers that are no configured
 * neighbour are released with their series; configured neighbours stay
 * with session_up 0; connected routers and other sources keep theirs. */
static void test_gone_router_releases_peers(void **state)
{
	struct fx *f = *state;
	struct model_router *r = model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.1");
	struct model_router *other = model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.9");
	struct model_router *cap = model_router_get(f->m, MODEL_SRC_PCAP, "eth0");

	use_config(f, "bmp: {peer_retention: 60s}\n");
	model_router_connected(f->m, r, 100);
	model_router_connected(f->m, other, 100);
	model_peer_up(f->m, configured(f, r), 101);
	for (uint8_t i = 1; i <= 2; i++) {
		struct model_peer *u = unconf(f, r, i);

		model_peer_up(f->m, u, 101);
		add_route(f, u, i);
		model_peer_up(f->m, unconf(f, other, i), 101);
	}
	model_peer_up(f->m, unconf(f, cap, 1), 101);
	assert_int_equal(model_expire(f->m, 150), 0);
	model_router_disconnected(f->m, r, 200);
	assert_int_equal(model_expire(f->m, 200), 0);
	assert_int_equal(model_expire(f->m, 259), 0);
	assert_line(f, "circuitwatch_bgp_session_up{source=\"bmp\"," UNCONF(1)
		       ",peer_as=\"65001\",rd=\"\",circuit=\"\",link=\"\",peering=\"\"} 0");
	assert_int_equal(model_expire(f->m, 261), 2);
	while (model_gc(f->m) > 0)
		;
	assert_no(f, UNCONF(1));
	assert_no(f, UNCONF(2));
	assert_line(f, "circuitwatch_bgp_session_up{" PEER1 "} 0");
	assert_line(f, "circuitwatch_bmp_router_peers{router=\"198.18.0.1\",state=\"down\"} 1");
	assert_non_null(strstr(scrape(f), "circuitwatch_bgp_session_up{source=\"bmp\","
					  "router=\"198.18.0.9\",peer=\"10.0.0.1\""));
	assert_non_null(strstr(scrape(f), "circuitwatch_bgp_session_up{source=\"pcap\","
					  "router=\"eth0\""));
	assert_int_equal(model_expire(f->m, 1000), 0);
	/* back: its peers come again; with no retention they go at once */
	model_router_connected(f->m, r, 300);
	model_peer_up(f->m, unconf(f, r, 1), 301);
	assert_int_equal(model_expire(f->m, 1100), 0);
	use_config(f, "bmp: {peer_retention: 0s}\n");
	model_router_disconnected(f->m, r, 1200);
	assert_int_equal(model_expire(f->m, 1200), 1);
}

/* Under the series budget the configured neighbour gets its series before
 * the many other peers a router reports, whatever their order. */
static void test_budget_configured_first(void **state)
{
	struct fx *f = *state;
	struct model_router *r = model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.1");

	model_router_connected(f->m, r, 1);
	for (uint8_t i = 1; i <= 20; i++)
		model_peer_up(f->m, unconf(f, r, i), 2);
	model_peer_up(f->m, configured(f, r), 2);
	metrics_registry_set_max_series(f->reg, 40);
	assert_line(f, "circuitwatch_bgp_session_up{" PEER1 "} 1");
	assert_line(f, "circuitwatch_circuit_redundant{circuit=\"er-1\"} 0");
	assert_true(metrics_registry_refusals(f->reg).budget > 0);
	assert_true(metrics_registry_series(f->reg) <= 40);
}

/* Per-peer reason counts grow on demand and still end in "other". */
static void test_peer_reasons_cap(void **state)
{
	static char names[MODEL_MAX_REASONS + 2][8];
	struct fx *f = *state;
	struct model_router *r = model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.1");
	struct model_peer *p = configured(f, r);

	for (int i = 0; i < MODEL_MAX_REASONS + 2; i++) {
		snprintf(names[i], sizeof(names[i]), "r%d", i);
		model_peer_count_error(p, names[i]);
	}
	model_peer_count_error(p, names[0]);
	assert_line(f, "circuitwatch_bgp_parse_errors_total{" PEER1 ",reason=\"r0\"} 2");
	assert_line(f, "circuitwatch_bgp_parse_errors_total{" PEER1 ",reason=\"other\"} 3");
}

/* A Peer Down of a table with more distinct attribute sets than
 * MODEL_TRIM_SETS: the release goes through mid-release trims (steps of
 * their own) and ends with nothing left, and a second peer's routes and
 * sets are untouched by it. */
static void test_peer_down_release_with_trims(void **state)
{
	struct fx *f = *state;
	struct model_router *r = model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.1");
	struct model_peer_key k1 = key4(198, 18, 1, 2), k2 = key4(198, 18, 1, 6);
	struct model_peer *p, *q;
	const unsigned n = MODEL_TRIM_SETS + MODEL_TRIM_SETS / 2;
	struct rib_prefix keep = pfx(7);
	const uint8_t kept_attrs[] = {9, 9, 9};
	rib_attr_id ka;
	size_t steps = 0;

	model_router_connected(f->m, r, 1);
	p = model_peer_get(f->m, r, &k1, 12076, 1);
	q = model_peer_get(f->m, r, &k2, 12076, 1);
	model_peer_up(f->m, p, 2);
	model_peer_up(f->m, q, 2);
	for (unsigned i = 0; i < n; i++) {
		struct rib_prefix x = {.family = 4, .len = 32,
				       .addr = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i}};
		uint8_t b[4] = {1, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
		rib_attr_id a = model_attrs_intern(f->m, b, sizeof(b));

		assert_int_equal(model_route(f->m, p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST,
					     &x, a), RIB_ADDED);
		model_attrs_unref(f->m, a);
	}
	ka = model_attrs_intern(f->m, kept_attrs, sizeof(kept_attrs));
	assert_int_equal(model_route(f->m, q, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST, &keep,
				     ka), RIB_ADDED);
	model_peer_down(f->m, p, 3, &(struct model_down){MODEL_DOWN_BMP_PEER_DOWN, 3, 6, 2});
	while (model_gc(f->m) > 0)
		assert_true(++steps < 100000);
	assert_int_equal(model_gc(f->m), 0);
	assert_int_equal(model_prefix_count(p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST), 0);
	assert_int_equal(model_lookup(q, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST, &keep), ka);
	model_attrs_unref(f->m, ka);
}

/* model_memory (circuitwatch_memory_bytes): the figures of the last
 * publish, moving with the routes and sets, back down after the GC. */
static void test_memory(void **state)
{
	struct fx *f = *state;
	struct model_router *r = model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.1");
	struct model_peer_key k1 = key4(198, 18, 1, 2);
	struct model_peer *p;
	struct model_memory before, full;

	model_router_connected(f->m, r, 1);
	p = model_peer_get(f->m, r, &k1, 12076, 1);
	model_peer_up(f->m, p, 2);
	model_publish(f->m);
	before = model_memory(f->m);
	for (unsigned i = 0; i < 20000; i++) {
		struct rib_prefix x = {.family = 4, .len = 32,
				       .addr = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i}};
		uint8_t b[32] = {1, (uint8_t)(i >> 8), (uint8_t)i};
		rib_attr_id a = model_attrs_intern(f->m, b, sizeof(b));

		assert_int_equal(model_route(f->m, p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST,
					     &x, a), RIB_ADDED);
		model_attrs_unref(f->m, a);
	}
	/* not published yet: the figures are those of the last publish */
	assert_int_equal(model_memory(f->m).rib, before.rib);
	model_publish(f->m);
	full = model_memory(f->m);
	assert_true(full.rib >= before.rib + 20000 * 16);
	assert_true(full.attributes >= before.attributes + 20000 * 32);
	model_peer_down(f->m, p, 3, &(struct model_down){MODEL_DOWN_BMP_PEER_DOWN, 3, 6, 2});
	while (model_gc(f->m) > 0)
		;
	model_publish(f->m);
	assert_true(model_memory(f->m).rib < full.rib - 20000 * 16);
	assert_true(model_memory(f->m).attributes + 20000 * 32 / 2 < full.attributes);
}

/* Router 198.18.0.1 with its configured neighbour and n other peers, each
 * up with a route, disconnected at 10 with no retention. */
static struct model_router *many_peers_gone(struct fx *f, unsigned n)
{
	struct model_source_policy pol = {.max_peers_per_router = n + 1, .peer_retention_s = 0};
	struct model_router *r = model_router_get(f->m, MODEL_SRC_BMP, "198.18.0.1");
	struct model_peer_key k1 = key4(198, 18, 1, 2);
	struct rib_prefix x = pfx(1);
	const uint8_t attrs[] = {1, 2, 3};
	rib_attr_id a = model_attrs_intern(f->m, attrs, sizeof(attrs));

	model_set_source_policy(f->m, MODEL_SRC_BMP, &pol);
	model_router_connected(f->m, r, 1);
	model_peer_up(f->m, model_peer_get(f->m, r, &k1, 12076, 1), 2);
	for (unsigned i = 0; i < n; i++) {
		struct model_peer_key k = key4(10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i);
		struct model_peer *p = model_peer_get(f->m, r, &k, 65001, 1);

		assert_non_null(p);
		model_peer_up(f->m, p, 2);
		assert_int_equal(model_route(f->m, p, MODEL_VIEW_ADJ_IN_PRE, MODEL_AF_IPV4_UNICAST,
					     &x, a), RIB_ADDED);
	}
	model_attrs_unref(f->m, a);
	(void)scrape(f);
	model_router_disconnected(f->m, r, 10);
	return r;
}

/* A gone router's many peers go in batches of MODEL_EXPIRE_SERIES series
 * (nine here: seven and one view, plus one per peer), one per call, until
 * every one that is no configured neighbour went; the series of each
 * batch go at the next publish. */
static void test_expire_in_batches(void **state)
{
	struct fx *f = *state;
	const unsigned n = MODEL_EXPIRE_SERIES / 10 + 100;
	size_t total = 0, got, calls = 0;
	char want[128];

	(void)many_peers_gone(f, n);
	while ((got = model_expire(f->m, 10 + (double)calls)) > 0) {
		assert_true(got <= MODEL_EXPIRE_SERIES / 10 + 1);
		total += got;
		calls++;
		snprintf(want, sizeof(want),
			 "circuitwatch_bmp_router_peers{router=\"198.18.0.1\",state=\"down\"} %zu",
			 n + 1 - total);
		assert_line(f, want);
	}
	assert_true(calls >= 2);
	assert_int_equal(total, n);
	assert_no(f, "peer=\"10.0.0.1\"");
	assert_line(f, "circuitwatch_bgp_session_up{" PEER1 "} 0");
	while (model_gc(f->m) > 0)
		;
}

/* A router that comes back before its release is done keeps the peers
 * that are left (as if it had come back before the retention ran out). */
static void test_expire_stops_when_router_returns(void **state)
{
	struct fx *f = *state;
	const unsigned n = MODEL_EXPIRE_SERIES / 10 + 100;
	struct model_router *r = many_peers_gone(f, n);
	size_t first = model_expire(f->m, 10);
	char want[128];

	assert_true(first > 0 && first < n);
	model_router_connected(f->m, r, 11);
	assert_int_equal(model_expire(f->m, 11), 0);
	assert_int_equal(model_expire(f->m, 500), 0);
	snprintf(want, sizeof(want),
		 "circuitwatch_bmp_router_peers{router=\"198.18.0.1\",state=\"down\"} %zu",
		 n + 1 - first);
	assert_line(f, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_peer_maps_to_circuit_and_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_publish_configured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gone_router_releases_peers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_reasons_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_configured_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_down_clears_and_router_loss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mapping_needs_router_and_asn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_router_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters_stats_and_headroom, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rd_label, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redundancy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_asn_maps_by_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_circuit_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_down_release_with_trims, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expire_in_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expire_stops_when_router_returns, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
