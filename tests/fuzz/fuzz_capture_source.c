/* fuzz_capture_source.c — libFuzzer target for the whole passive capture
 * pipeline (source.h): hostile frames through decoding, VLAN accounting,
 * TCP reassembly, BGP framing, the inferred sessions and the model.
 *
 * Input: a sequence of records, each a 2-byte big-endian length and that
 * many bytes of an Ethernet frame (a short last record is taken as it
 * is); frames are 1 ms apart. Two neighbours are configured so that both
 * the Adj-RIB-In and the Adj-RIB-Out paths run. Nothing may crash, leak or
 * read out of bounds; the model is published at the end.
 */
#include <stdint.h>
#include <stdlib.h>

#include "daemon_config.h"
#include "metrics.h"
#include "model.h"
#include "source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char yaml[] =
	"capture: {enabled: true, interfaces: [fz0], local_macs: [\"02:00:00:00:00:01\"],"
	" max_flows: 16}\n"
	"circuits:\n"
	"  - id: fz\n"
	"    provider: expressroute\n"
	"    bandwidth: 1Gbps\n"
	"    links:\n"
	"      primary:\n"
	"        peerings:\n"
	"          - type: private\n"
	"            prefix_limit: 4000\n"
	"            neighbors: [{address: 198.18.1.2, asn: 12076}, {address: 198.18.2.2, asn: 12076}]\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cfg_config *cfg;
	struct metrics_registry *reg;
	struct model *m;
	struct cap_source *s;
	double ts = 1767225600.0;
	size_t off = 0;

	if (cfg == NULL) {
		struct cfg_errors errs = {0};

		if (daemon_config_load_buffer("fuzz.yaml", yaml, sizeof(yaml) - 1, &cfg, &errs) != 0)
			abort();
	}
	reg = metrics_registry_new();
	m = reg ? model_new(reg) : NULL;
	if (m == NULL)
		abort();
	model_apply_config(m, cfg);
	s = cap_source_new(m, cfg, "fz0", 1 /* Ethernet */);
	if (s == NULL)
		abort();
	while (off + 2 <= size) {
		size_t n = (size_t)data[off] << 8 | data[off + 1];

		off += 2;
		if (n > size - off)
			n = size - off;
		cap_source_packet(s, ts, data + off, n, n);
		off += n;
		ts += 0.001;
	}
	cap_source_finish(s);
	model_publish(m);
	cap_source_free(s);
	model_free(m);
	metrics_registry_free(reg);
	return 0;
}
