/* circuits.c — the configured circuits as metrics.
 *
 * On start and on every reload the whole set of series is rebuilt from the
 * config as one metrics group round: series that still exist are found
 * again, new ones are created, and the sweep then removes the ones no
 * longer configured. */
#include "circuits.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "circuit_config.h"
#include "log.h"
#include "metrics.h"

enum fam_id {
	F_CIRCUIT_INFO,
	F_BANDWIDTH,
	F_LINK_INFO,
	F_PEERING_INFO,
	F_PREFIX_LIMIT,
	F_PEER_INFO,
	F_CIRCUITS,
	F_COUNT,
};

struct circuits {
	struct metrics_family *fam[F_COUNT];
	struct metrics_group *group; /* what the last apply published */
};

static const char *const l_circuit_info[] = {"circuit", "provider", "tier", "data_plan",
					     "bandwidth", "billing_plan", "location"};
static const char *const l_circuit[] = {"circuit"};
static const char *const l_link[] = {"circuit", "link", "interface", "s_tag"};
static const char *const l_peering_info[] = {"circuit", "link", "peering", "vlan", "local_as"};
static const char *const l_peering[] = {"circuit", "link", "peering"};
static const char *const l_peer_info[] = {"circuit", "link", "peering", "peer", "peer_as"};

static const struct metrics_family_def defs[F_COUNT] = {
	[F_CIRCUIT_INFO] = {METRICS_INFO, "circuitwatch_circuit_info",
			    "A configured circuit: provider, SKU tier and data plan, bandwidth, "
			    "billing plan and location.",
			    NULL, 7, l_circuit_info, 0, NULL},
	[F_BANDWIDTH] = {METRICS_GAUGE, "circuitwatch_circuit_bandwidth_bytes_per_second",
			 "Provisioned bandwidth of the circuit, per link, in bytes per second.",
			 NULL, 1, l_circuit, 0, NULL},
	[F_LINK_INFO] = {METRICS_INFO, "circuitwatch_link_info",
			 "A configured link of a circuit (primary or secondary) with its "
			 "interface and QinQ S-tag (empty when none).",
			 NULL, 4, l_link, 0, NULL},
	[F_PEERING_INFO] = {METRICS_INFO, "circuitwatch_peering_info",
			    "A configured peering on a link with its VLAN (the C-tag under an "
			    "S-tag; empty when untagged) and local AS number.",
			    NULL, 5, l_peering_info, 0, NULL},
	[F_PREFIX_LIMIT] = {METRICS_GAUGE, "circuitwatch_peering_prefix_limit",
			    "Prefixes the provider accepts from us on this peering before it drops "
			    "the session (configured or the provider's documented default).",
			    NULL, 3, l_peering, 0, NULL},
	[F_PEER_INFO] = {METRICS_INFO, "circuitwatch_bgp_peer_info",
			     "A configured BGP neighbour (peer) of a peering and its AS number.",
			     NULL, 5, l_peer_info, 0, NULL},
	[F_CIRCUITS] = {METRICS_GAUGE, "circuitwatch_circuits",
			"Number of circuits in the running configuration.", NULL, 0, NULL, 0, NULL},
};

/* Publishes one series with value v in this round. */
static int publish(struct circuits *c, enum fam_id f, const char *const *labels, double v)
{
	struct metrics_series *s = metrics_group_series(c->group, c->fam[f], labels);

	if (s == NULL)
		return -1;
	if (defs[f].type == METRICS_GAUGE)
		metrics_gauge_set(s, v);
	return 0;
}

static void u32_text(char *buf, size_t n, uint32_t v)
{
	if (v == 0)
		buf[0] = '\0';
	else
		snprintf(buf, n, "%u", v);
}

static int publish_peering(struct circuits *c, const char *id,
			   const char *link, const struct cfg_peering *p)
{
	const char *type = cfg_peering_type_name(p->type);
	char vlan[8], lasn[16];
	int rc = 0;

	u32_text(vlan, sizeof(vlan), p->vlan);
	u32_text(lasn, sizeof(lasn), p->local_asn);
	const char *info[] = {id, link, type, vlan, lasn};
	const char *key[] = {id, link, type};

	rc |= publish(c, F_PEERING_INFO, info, 1);
	if (p->prefix_limit > 0)
		rc |= publish(c, F_PREFIX_LIMIT, key, (double)p->prefix_limit);
	for (size_t i = 0; i < p->nneighbors; i++) {
		char asn[16];

		u32_text(asn, sizeof(asn), p->neighbors[i].asn);
		const char *nb[] = {id, link, type, p->neighbors[i].address, asn};

		rc |= publish(c, F_PEER_INFO, nb, 1);
	}
	return rc;
}

static int publish_circuit(struct circuits *c, const struct cfg_circuit *ci)
{
	const char *info[] = {ci->id, cfg_provider_name(ci->provider), ci->tier,
			      cfg_data_plan_name(ci->data_plan), ci->bandwidth_text,
			      ci->billing_plan ? ci->billing_plan : "",
			      ci->location ? ci->location : ""};
	const char *id[] = {ci->id};
	int rc = 0;

	rc |= publish(c, F_CIRCUIT_INFO, info, 1);
	rc |= publish(c, F_BANDWIDTH, id, (double)ci->bandwidth_bps / 8.0);
	for (int r = 0; r < CFG_LINK_COUNT; r++) {
		const struct cfg_link *l = &ci->links[r];
		const char *role = cfg_link_role_name((enum cfg_link_role)r);
		char stag[8];

		if (!l->present)
			continue;
		u32_text(stag, sizeof(stag), l->s_tag);
		const char *li[] = {ci->id, role, l->interface ? l->interface : "", stag};

		rc |= publish(c, F_LINK_INFO, li, 1);
		for (size_t p = 0; p < l->npeerings; p++)
			rc |= publish_peering(c, ci->id, role, &l->peerings[p]);
	}
	return rc;
}

/* Rebuilds every series from cfg, then drops those no longer configured. */
static int apply(struct circuits *c, const struct cfg_config *cfg, struct log *lg)
{
	int rc = 0;

	for (size_t i = 0; i < circuit_config(cfg)->ncircuits; i++)
		rc |= publish_circuit(c, &circuit_config(cfg)->circuits[i]);
	rc |= publish(c, F_CIRCUITS, NULL, (double)circuit_config(cfg)->ncircuits);
	if (metrics_group_sweep(c->group) < 0 || rc != 0)
		log_error(lg, "some circuit metrics could not be published (series cap or memory)");
	return rc;
}

static int circuits_start(struct cw_ctx *ctx, void **state)
{
	struct circuits *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return -1;
	c->group = metrics_group_new();
	if (c->group == NULL) {
		free(c);
		return -1;
	}
	for (int f = 0; f < F_COUNT; f++) {
		c->fam[f] = metrics_family_new(ctx->reg, &defs[f]);
		if (c->fam[f] == NULL) {
			log_error(ctx->log, "cannot register metric family", "family", defs[f].name);
			metrics_group_free(c->group);
			free(c);
			return -1;
		}
	}
	char n[24];

	(void)apply(c, ctx->cfg, ctx->log);
	snprintf(n, sizeof(n), "%zu", circuit_config(ctx->cfg)->ncircuits);
	log_info(ctx->log, "circuits loaded", "count", n);
	*state = c;
	return 0;
}

static void circuits_reload(struct cw_ctx *ctx, void *state, const struct cfg_config *old)
{
	char was[24], now[24];

	snprintf(was, sizeof(was), "%zu", circuit_config(old)->ncircuits);
	snprintf(now, sizeof(now), "%zu", circuit_config(ctx->cfg)->ncircuits);
	(void)apply(state, ctx->cfg, ctx->log);
	log_info(ctx->log, "circuits reloaded", "before", was, "after", now);
}

static void circuits_stop(struct cw_ctx *ctx, void *state)
{
	struct circuits *c = state;

	(void)ctx;
	if (c == NULL)
		return;
	metrics_group_free(c->group);
	free(c);
}

const struct cw_module circuits_module = {
	.name = "circuits",
	.start = circuits_start,
	.reload = circuits_reload,
	.stop = circuits_stop,
};
