/* ifstats_config.c — the ifstats: section (see ifstats_config.h). */
#include "ifstats_config.h"
#include "config_schema.h"

#define IFSTATS_INTERVAL_DEFAULT 10000u /* ms */
#define IFSTATS_IFACES_MAX 4096      /* ifstats.interfaces */

static void init_ifstats(void *obj)
{
	struct cfg_ifstats *c = obj;

	c->enabled = true;
	c->interval_ms = IFSTATS_INTERVAL_DEFAULT;
}

static const struct field ifstats_fields[] = {
	FIELD_BOOL(struct cfg_ifstats, "enabled", enabled, 0),
	FIELD_DURATION_MS(struct cfg_ifstats, "interval", interval_ms, 0, 1000, 300000),
	FIELD_NAMES(struct cfg_ifstats, "interfaces", interfaces, ninterfaces, 0, 0,
		    IFSTATS_IFACES_MAX, valid_ifname_item,
		    "an interface name of 1..15 characters without '/', ':' or whitespace"),
};
DEFINE_TOP_SECTION(ifstats_config_section, ifstats_fields, struct cfg_ifstats, init_ifstats,
		   NULL, NULL);

const struct cfg_ifstats *ifstats_config(const struct cfg_config *cfg)
{
	return cfg_section(cfg, &ifstats_config_section);
}
