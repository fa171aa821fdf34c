/* probes_config.c — the top-level probes: section (see probes_config.h). */
#include "probes_config.h"
#include "config_schema.h"

#define PROBES_LOSS_WINDOW_DEFAULT 100u
#define PROBES_SPREAD_DEFAULT 10u    /* percent */

static const char *const icmp_socket_names[] = {
	[CFG_ICMP_AUTO] = "auto", [CFG_ICMP_DATAGRAM] = "datagram", [CFG_ICMP_RAW] = "raw", NULL,
};

_Static_assert(sizeof(enum cfg_icmp_socket) == sizeof(uint32_t), "enum width");

static void init_probes(void *obj)
{
	struct cfg_probes *c = obj;

	c->enabled = true;
	c->icmp_socket = CFG_ICMP_AUTO;
	c->loss_window = PROBES_LOSS_WINDOW_DEFAULT;
	c->spread_percent = PROBES_SPREAD_DEFAULT;
}

static const struct field probes_fields[] = {
	FIELD_BOOL(struct cfg_probes, "enabled", enabled, 0),
	FIELD_ENUM(struct cfg_probes, "icmp_socket", icmp_socket, 0, icmp_socket_names),
	FIELD_UINT(struct cfg_probes, "loss_window", loss_window, 0, 10, 100000),
	FIELD_UINT(struct cfg_probes, "spread", spread_percent, 0, 0, 50),
};
DEFINE_TOP_SECTION(probes_config_section, probes_fields, struct cfg_probes, init_probes, NULL,
		   NULL);

const struct cfg_probes *probes_config(const struct cfg_config *cfg)
{
	return cfg_section(cfg, &probes_config_section);
}
