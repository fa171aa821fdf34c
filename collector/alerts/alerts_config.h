/* alerts_config.h — the alerts: section of the configuration.
 *
 * Ownership: alerts_config() returns the section inside cfg (cfg owns it and
 * every string and array in it).
 */
#ifndef CW_ALERTS_CONFIG_H
#define CW_ALERTS_CONFIG_H

#include "config.h"

/* Alert rules (issue 7): a condition over one metric family, see
 * collector/alerts/alert.h. */
enum cfg_alert_fn { CFG_ALERT_VALUE, CFG_ALERT_RATE, CFG_ALERT_INCREASE };
enum cfg_alert_op { CFG_ALERT_GT, CFG_ALERT_GE, CFG_ALERT_LT, CFG_ALERT_LE, CFG_ALERT_EQ,
		    CFG_ALERT_NE };
enum cfg_severity { CFG_SEV_INFO, CFG_SEV_WARNING, CFG_SEV_CRITICAL };
/* The event type an alert's transitions carry (the proto's EventType). */
enum cfg_alert_event {
	CFG_ALERT_EV_ALERT, CFG_ALERT_EV_REDUNDANCY, CFG_ALERT_EV_UTILISATION,
	CFG_ALERT_EV_LATENCY, CFG_ALERT_EV_LOSS, CFG_ALERT_EV_BUDGET,
	CFG_ALERT_EV_BUDGET_OVERRUN, CFG_ALERT_EV_SOURCE, CFG_ALERT_EV_PREFIX_LIMIT,
};

#define CFG_ALERT_MATCHERS_MAX 8
#define CFG_ALERT_RULES_MAX 1000

struct cfg_alert_rule {
	char *name;              /* [A-Za-z_][A-Za-z0-9_]*, unique */
	char *metric;            /* a circuitwatch_* family name */
	size_t nmatch;           /* "label=value" or "label!=value" (checked), at most
	                          * CFG_ALERT_MATCHERS_MAX */
	char **match;
	enum cfg_alert_fn fn;    /* default value */
	uint32_t window_ms;      /* rate/increase window; default 5m */
	enum cfg_alert_op op;    /* required */
	double threshold;        /* required */
	bool has_clear;
	double clear;            /* hysteresis level */
	uint32_t for_ms;         /* default 0 */
	enum cfg_severity severity; /* default warning */
	enum cfg_alert_event event; /* default alert */
	char *summary;           /* NULL when not given */
};

struct cfg_alerts {
	bool enabled;            /* default true */
	uint32_t interval_ms;    /* evaluation interval, 1s..5m; default 5s */
	size_t nrules;
	struct cfg_alert_rule *rules;
};

extern const struct section alerts_config_section;

/* The alerts: section of cfg (NULL when cfg's schema has none). */
const struct cfg_alerts *alerts_config(const struct cfg_config *cfg);

#endif
