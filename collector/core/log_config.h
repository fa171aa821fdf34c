/* log_config.h — the log: section of the configuration (core's log module
 * owns it): level and format of the daemon's log lines.
 *
 * Ownership: log_config() returns the section inside cfg (cfg owns it).
 */
#ifndef CW_LOG_CONFIG_H
#define CW_LOG_CONFIG_H

#include "config.h"

enum cfg_log_level { CFG_LOG_DEBUG, CFG_LOG_INFO, CFG_LOG_WARN, CFG_LOG_ERROR };
enum cfg_log_format { CFG_LOG_LOGFMT, CFG_LOG_JSON };

struct cfg_log {
	enum cfg_log_level level;   /* default info */
	enum cfg_log_format format; /* default logfmt */
};

extern const struct section log_config_section;

/* The log: section of cfg (NULL when cfg's schema has none). */
const struct cfg_log *log_config(const struct cfg_config *cfg);

/* Names used in logs (static strings). */
const char *cfg_log_level_name(enum cfg_log_level l);

#endif
