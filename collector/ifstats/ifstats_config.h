/* ifstats_config.h — the ifstats: section of the configuration: interface
 * counters (issue 5), netlink RTM_GETLINK dumps on a timer.
 *
 * Ownership: ifstats_config() returns the section inside cfg (cfg owns it
 * and every string in it).
 */
#ifndef CW_IFSTATS_CONFIG_H
#define CW_IFSTATS_CONFIG_H

#include "config.h"

struct cfg_ifstats {
	bool enabled;               /* default true: samples each link's interface */
	uint32_t interval_ms;       /* 1 s..300 s; default 10 s */
	size_t ninterfaces;         /* interfaces sampled besides the links' own */
	char **interfaces;
};

extern const struct section ifstats_config_section;

/* The ifstats: section of cfg (NULL when cfg's schema has none). */
const struct cfg_ifstats *ifstats_config(const struct cfg_config *cfg);

#endif
