/* log_config.c — the log: section (see log_config.h). */
#include "log_config.h"
#include "config_schema.h"

static const char *const log_level_names[] = {
	[CFG_LOG_DEBUG] = "debug", [CFG_LOG_INFO] = "info",
	[CFG_LOG_WARN] = "warn",   [CFG_LOG_ERROR] = "error", NULL,
};
static const char *const log_format_names[] = {
	[CFG_LOG_LOGFMT] = "logfmt", [CFG_LOG_JSON] = "json", NULL,
};

/* Enums are stored through a 32-bit write (store_uint). */
_Static_assert(sizeof(enum cfg_log_level) == sizeof(uint32_t), "enum width");

const char *cfg_log_level_name(enum cfg_log_level l)
{
	return enum_name(log_level_names, ARRAY_LEN(log_level_names) - 1, l);
}

static void init_log(void *obj)
{
	struct cfg_log *l = obj;

	l->level = CFG_LOG_INFO;
	l->format = CFG_LOG_LOGFMT;
}

static const struct field log_fields[] = {
	FIELD_ENUM(struct cfg_log, "level", level, 0, log_level_names),
	FIELD_ENUM(struct cfg_log, "format", format, 0, log_format_names),
};
DEFINE_TOP_SECTION(log_config_section, log_fields, struct cfg_log, init_log, NULL, NULL);

const struct cfg_log *log_config(const struct cfg_config *cfg)
{
	return cfg_section(cfg, &log_config_section);
}
