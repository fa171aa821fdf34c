/* test_ifstats_module.c — the ifstats module on a real loop and registry,
 * sampling the loopback (no privilege needed): the series a pass
 * publishes (present, info, up, counters, rates, link utilisation), a
 * missing interface, a reload that drops an interface, and one that
 * switches the module off (every series goes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "circuit_index.h"
#include "daemon_config.h"
#include "ifstats_module.h"
#include "log.h"
#include "metrics.h"

#define CIRCUIT \
	"circuits:\n" \
	"  - id: c1\n" \
	"    provider: expressroute\n" \
	"    bandwidth: 1Gbps\n" \
	"    links:\n" \
	"      primary: {interface: lo, peerings: [{type: private, neighbors: [{address: 198.18.0.2}]}]}\n" \
	"      secondary: {interface: cwifnone0, peerings: [{type: private, neighbors: [{address: 198.18.0.6}]}]}\n"

static const char cfg_on[] = "prometheus: {enabled: false}\nbmp: {enabled: false}\n"
			     "ifstats: {interval: 1s, interfaces: [lo, cwifnone1]}\n" CIRCUIT;
static const char cfg_less[] = "prometheus: {enabled: false}\nbmp: {enabled: false}\n"
			       "ifstats: {interval: 1s}\n" CIRCUIT;
static const char cfg_off[] = "prometheus: {enabled: false}\nbmp: {enabled: false}\n"
			      "ifstats: {enabled: false}\n" CIRCUIT;

static struct cfg_config *load(const char *text)
{
	struct cfg_errors errs = {0};
	struct cfg_config *cfg = NULL;

	if (daemon_config_load_buffer("test.yaml", text, strlen(text), &cfg, &errs) != 0) {
		for (size_t i = 0; i < errs.n; i++)
			print_error("%u:%u: %s\n", errs.v[i].line, errs.v[i].column, errs.v[i].message);
		fail();
	}
	return cfg;
}

/* Value of one series in a fresh snapshot; -1 when absent. */
static double value(struct metrics_registry *reg, const char *family, const char *labels)
{
	struct metrics_snapshot *snap = metrics_snapshot_take(reg);
	double v = -1;

	assert_non_null(snap);
	for (size_t f = 0; f < snap->nfamilies; f++) {
		const struct metrics_snap_family *fam = &snap->families[f];

		if (strcmp(fam->name, family) != 0)
			continue;
		for (size_t s = 0; s < fam->nseries; s++)
			if (strcmp(fam->series[s].labels, labels) == 0)
				v = fam->type == METRICS_HISTOGRAM ? (double)fam->series[s].count
								   : fam->series[s].value;
	}
	metrics_snapshot_free(reg, snap);
	return v;
}

/* Series of a family in a fresh snapshot. */
static size_t nseries(struct metrics_registry *reg, const char *family)
{
	struct metrics_snapshot *snap = metrics_snapshot_take(reg);
	size_t n = 0;

	assert_non_null(snap);
	for (size_t f = 0; f < snap->nfamilies; f++)
		if (strcmp(snap->families[f].name, family) == 0)
			n = snap->families[f].nseries;
	metrics_snapshot_free(reg, snap);
	return n;
}

static const char lo[] = "interface=\"lo\",circuit=\"c1\",link=\"primary\"";

static void test_module_on_loopback(void **state)
{
	uv_loop_t loop;
	struct metrics_registry *reg = metrics_registry_new();
	int devnull = open("/dev/null", O_WRONLY);
	struct log *lg = log_new(devnull, LOG_LVL_DEBUG, LOG_FMT_LOGFMT);
	struct cfg_config *cfg = load(cfg_on), *next;
	struct circuit_index *ix = circuit_index_new(circuit_config(cfg)), *next_ix;
	struct cw_ctx ctx = {.loop = &loop, .cfg = cfg, .circuits = ix, .reg = reg, .log = lg};
	void *st = NULL;

	(void)state;
	assert_non_null(reg);
	assert_non_null(lg);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(ifstats_module.start(&ctx, &st), 0);
	assert_non_null(st);
	uv_run(&loop, UV_RUN_NOWAIT); /* the first pass is due at once */
	assert_true(value(reg, "circuitwatch_interface_present", lo) == 1);
	assert_true(value(reg, "circuitwatch_interface_up", lo) == 1);
	assert_true(value(reg, "circuitwatch_interface_info",
			  "interface=\"lo\",circuit=\"c1\",link=\"primary\",ifindex=\"1\",kind=\"\","
			  "vlan=\"\",vlan_protocol=\"\",operstate=\"unknown\"") == 1);
	assert_true(value(reg, "circuitwatch_interface_receive_bytes_total", lo) >= 0);
	assert_true(value(reg, "circuitwatch_interface_appearances_total", lo) == 1);
	assert_true(value(reg, "circuitwatch_interface_receive_bytes_per_second", lo) == -1);
	assert_true(value(reg, "circuitwatch_interface_present",
			  "interface=\"cwifnone0\",circuit=\"c1\",link=\"secondary\"") == 0);
	assert_true(value(reg, "circuitwatch_interface_present",
			  "interface=\"cwifnone1\",circuit=\"\",link=\"\"") == 0);
	assert_true(value(reg, "circuitwatch_ifstats_passes_total", "result=\"success\"") == 1);
	assert_true(value(reg, "circuitwatch_ifstats_sample_duration_seconds", "") == 1);

	uv_run(&loop, UV_RUN_ONCE); /* the second pass, one interval later: rates */
	assert_true(value(reg, "circuitwatch_interface_receive_bytes_per_second", lo) >= 0);
	assert_true(value(reg, "circuitwatch_interface_transmit_peak_packets_per_second", lo) >= 0);
	assert_true(value(reg, "circuitwatch_link_utilisation_ratio",
			  "circuit=\"c1\",link=\"primary\",direction=\"egress\"") >= 0);
	/* the secondary has no interface present: no circuit-level ratio */
	assert_int_equal(nseries(reg, "circuitwatch_circuit_utilisation_ratio"), 0);
	assert_int_equal(nseries(reg, "circuitwatch_link_utilisation_ratio"), 2);

	/* reload: cwifnone1 leaves the list; lo keeps its history */
	next = load(cfg_less);
	next_ix = circuit_index_new(circuit_config(next));
	ctx.cfg = next;
	ctx.circuits = next_ix;
	ifstats_module.reload(&ctx, st, cfg);
	circuit_index_free(ix);
	cfg_free(cfg);
	ix = next_ix;
	cfg = next;
	assert_true(value(reg, "circuitwatch_interface_present",
			  "interface=\"cwifnone1\",circuit=\"\",link=\"\"") == -1);
	assert_true(value(reg, "circuitwatch_interface_receive_bytes_per_second", lo) >= 0);

	/* reload: switched off, every interface series goes */
	next = load(cfg_off);
	next_ix = circuit_index_new(circuit_config(next));
	ctx.cfg = next;
	ctx.circuits = next_ix;
	ifstats_module.reload(&ctx, st, cfg);
	circuit_index_free(ix);
	cfg_free(cfg);
	ix = next_ix;
	cfg = next;
	assert_int_equal(nseries(reg, "circuitwatch_interface_present"), 0);
	assert_int_equal(nseries(reg, "circuitwatch_interface_receive_bytes_total"), 0);
	assert_int_equal(nseries(reg, "circuitwatch_link_utilisation_ratio"), 0);

	ifstats_module.stop(&ctx, st);
	while (uv_run(&loop, UV_RUN_DEFAULT) != 0)
		;
	assert_int_equal(uv_loop_close(&loop), 0);
	circuit_index_free(ix);
	cfg_free(cfg);
	log_free(lg);
	close(devnull);
	metrics_registry_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_module_on_loopback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
