/* daemon_config.c — the daemon: section and the daemon's schema (see
 * daemon_config.h). Adding a section: its module's x_config.{h,c} and one
 * line in schema_entries below (the order is the walk order, and the order
 * an unknown key's message lists the keys in).
 */
#include "daemon_config.h"
#include "config_schema.h"

#include "alerts_config.h"
#include "billing_config.h"
#include "bmp_config.h"
#include "capture_config.h"
#include "circuit_config.h"
#include "ifstats_config.h"
#include "kafka_config.h"
#include "log_config.h"
#include "probes_config.h"
#include "prometheus_config.h"

/* A login name as useradd(8) accepts it (no leading '-': it would read as an option). */
static bool valid_user(const char *s, size_t len)
{
	return len > 0 && s[0] != '-' && valid_id(s, len);
}

static const struct field daemon_fields[] = {
	FIELD_TEXT(struct cfg_daemon, "user", user, 0, 1, CFG_USER_MAX, valid_user,
		   "a user name of 1..32 characters from A-Z a-z 0-9 . _ - (not starting with -)"),
};
DEFINE_TOP_SECTION(daemon_config_section, daemon_fields, struct cfg_daemon, NULL, NULL, NULL);

const struct cfg_daemon *daemon_config(const struct cfg_config *cfg)
{
	return cfg_section(cfg, &daemon_config_section);
}

static const struct cfg_schema_entry schema_entries[] = {
	{"log", &log_config_section, 0},
	{"prometheus", &prometheus_config_section, 0},
	/* after prometheus: bmp's check reads its listener */
	{"bmp", &bmp_config_section, 0},
	{"capture", &capture_config_section, 0},
	{"ifstats", &ifstats_config_section, 0},
	{"probes", &probes_config_section, 0},
	{"billing", &billing_config_section, 0},
	{CIRCUIT_CONFIG_KEY, &circuit_config_section, CFG_TOP_FIELD},
	{"alerts", &alerts_config_section, 0},
	{"kafka", &kafka_config_section, 0},
	{"daemon", &daemon_config_section, 0},
};

static const struct cfg_schema schema = {schema_entries, ARRAY_LEN(schema_entries)};

const struct cfg_schema *daemon_config_schema(void)
{
	return &schema;
}

int daemon_config_load_file(const char *path, struct cfg_config **out, struct cfg_errors *errs)
{
	return cfg_load_file(path, &schema, out, errs);
}

int daemon_config_load_buffer(const char *name, const char *buf, size_t len,
			      struct cfg_config **out, struct cfg_errors *errs)
{
	return cfg_load_buffer(name, buf, len, &schema, out, errs);
}
