/* fuzz_config.c — libFuzzer target for the YAML config parser.
 *
 * Feeds arbitrary bytes to daemon_config_load_buffer() (the engine over the
 * daemon's schema) and checks the contract on every input: either a config
 * and no new error, or no config and at least one error; every error has a
 * file and a message; a config obeys the invariants that the rest of the
 * daemon relies on. Everything is freed.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "billing_config.h"
#include "bmp_config.h"
#include "capture_config.h"
#include "circuit_config.h"
#include "daemon_config.h"

/* A loaded plan is whole (issue 12: the circuit checks read a plan whose
 * currency had failed), and what a billed circuit names resolves. */
static void check_billing(const struct cfg_config *cfg)
{
	for (size_t i = 0; i < billing_config(cfg)->nplans; i++) {
		const struct cfg_plan *p = &billing_config(cfg)->plans[i];

		if (!p->name || !p->currency || strlen(p->currency) != 3 || p->nport_fees == 0 ||
		    (p->unlimited && p->negress) || (!p->unlimited && !p->negress))
			abort();
		for (size_t z = 0; z < p->negress; z++)
			if (!p->egress[z].zone || p->egress[z].ntiers == 0)
				abort();
		for (size_t a = 0; a < p->nadd_ons; a++)
			if (!p->add_ons[a].name)
				abort();
	}
	for (size_t i = 0; billing_config(cfg)->nplans && i < circuit_config(cfg)->ncircuits; i++) {
		const struct cfg_circuit *c = &circuit_config(cfg)->circuits[i];
		const struct cfg_plan *main = cfg_plan_find(cfg, c->billing_plan);

		if (!c->billing_plan)
			continue;
		if (!main || (!main->unlimited && !c->billing.zone))
			abort();
		for (size_t a = 0; a < c->billing.nalternatives; a++) {
			const struct cfg_plan *p = cfg_plan_find(cfg, c->billing.alternatives[a]);

			if (!p || p == main || strcmp(p->currency, main->currency) != 0)
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A prefix fits its family and has no host bits set past its length. */
static void check_prefix(const struct cfg_prefix *p)
{
	unsigned max = p->family == AF_INET ? 32 : 128;

	if ((p->family != AF_INET && p->family != AF_INET6) || p->len > max)
		abort();
	for (unsigned bit = p->len; bit < max; bit++)
		if (p->addr[bit / 8] & (0x80u >> (bit % 8)))
			abort();
}

static void check_bmp(const struct cfg_bmp *b)
{
	if (b->listen_port == 0 || b->max_routers == 0 || b->max_message_size < 65536)
		abort();
	for (size_t i = 0; i < b->nallow; i++)
		check_prefix(&b->allow[i]);
}

/* One source when enabled, never two; lists hold what they count. */
static void check_capture(const struct cfg_capture *c)
{
	bool ifs = c->ninterfaces > 0;

	if ((ifs && c->file) || (c->enabled && !ifs && !c->file) || (ifs != (c->interfaces != NULL)) ||
	    (c->file && !*c->file) || (c->filter && !*c->filter))
		abort();
	for (size_t i = 0; i < c->ninterfaces; i++) {
		size_t len = c->interfaces[i] ? strlen(c->interfaces[i]) : 0;

		if (len < 1 || len > 15 || strpbrk(c->interfaces[i], "/: \t\n\r"))
			abort();
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->interfaces[i], c->interfaces[j]) == 0)
				abort();
	}
	if ((c->nlocal_macs > 0) != (c->local_macs != NULL) || c->nlocal_macs > 1024)
		abort();
	for (size_t i = 0; i < c->nlocal_macs; i++) {
		if (c->local_macs[i][0] & 1) /* group addresses are refused */
			abort();
		for (size_t j = 0; j < i; j++)
			if (memcmp(c->local_macs[i], c->local_macs[j], 6) == 0)
				abort();
	}
	for (size_t i = 0; i < c->nlocal_prefixes; i++)
		check_prefix(&c->local_prefixes[i]);
	if (c->snaplen < 64 || c->snaplen > 262144 || c->buffer_size < 1048576 ||
	    c->buffer_size > 1073741824 || c->bgp_port < 1 || c->bgp_port > 65535 ||
	    c->max_flows < 16 || c->max_flows > 1048576 || c->max_reassembly_bytes < 1048576)
		abort();
}

static void check_circuit(const struct cfg_circuit *c)
{
	if (!c->id || !*c->id || strlen(c->id) > CFG_ID_MAX || !c->tier || !c->bandwidth_text ||
	    c->bandwidth_bps == 0 || !c->links[CFG_LINK_PRIMARY].present)
		abort();
	for (int r = 0; r < CFG_LINK_COUNT; r++) {
		const struct cfg_link *l = &c->links[r];

		if (l->present ? l->npeerings == 0
			       : l->npeerings || l->peerings || l->interface || l->s_tag)
			abort();
		if (l->router && (!*l->router || strlen(l->router) > CFG_ROUTER_MAX))
			abort();
		for (size_t p = 0; p < l->npeerings; p++) {
			const struct cfg_peering *pe = &l->peerings[p];

			if (pe->nneighbors == 0 || pe->vlan > 4094 || (pe->vlan && !l->interface) ||
			    (l->s_tag && !pe->vlan) || pe->nwatch > CFG_WATCH_MAX)
				abort();
			for (size_t w = 0; w < pe->nwatch; w++)
				check_prefix(&pe->watch[w]);
			for (size_t n = 0; n < pe->nneighbors; n++) {
				const struct cfg_neighbor *nb = &pe->neighbors[n];

				if (!nb->address || nb->asn == 0 ||
				    (nb->family != AF_INET && nb->family != AF_INET6))
					abort();
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_config *cfg = NULL;
	struct cfg_errors errs = {0};
	int rc = daemon_config_load_buffer("fuzz.yaml", (const char *)data, size, &cfg, &errs);

	if (rc == 0 && (!cfg || errs.n != 0))
		abort();
	if (rc != 0 && (rc != -1 || cfg || errs.n == 0 || errs.n > CFG_MAX_ERRORS))
		abort();
	for (size_t i = 0; i < errs.n; i++)
		if (!errs.v[i].file || !errs.v[i].message)
			abort();
	for (size_t i = 0; cfg && i < circuit_config(cfg)->ncircuits; i++)
		check_circuit(&circuit_config(cfg)->circuits[i]);
	if (cfg) {
		check_bmp(bmp_config(cfg));
		check_capture(capture_config(cfg));
		check_billing(cfg);
	}
	cfg_free(cfg);
	cfg_errors_clean(&errs);
	return 0;
}
