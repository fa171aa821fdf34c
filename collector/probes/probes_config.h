/* probes_config.h — the top-level probes: section of the configuration:
 * defaults for the active probes (issue 5) that each link declares (the
 * per-link probes are part of the circuit description, circuit_config.h).
 *
 * Ownership: probes_config() returns the section inside cfg (cfg owns it).
 */
#ifndef CW_PROBES_CONFIG_H
#define CW_PROBES_CONFIG_H

#include "config.h"

enum cfg_icmp_socket {
	CFG_ICMP_AUTO,     /* datagram socket when ping_group_range allows, else raw */
	CFG_ICMP_DATAGRAM, /* SOCK_DGRAM/IPPROTO_ICMP only */
	CFG_ICMP_RAW,      /* SOCK_RAW only (CAP_NET_RAW) */
};

struct cfg_probes {
	bool enabled;               /* default true: runs the probes the links declare */
	enum cfg_icmp_socket icmp_socket; /* default auto */
	uint32_t loss_window;       /* probes in the loss ratio window, 10..100000; default 100 */
	uint32_t spread_percent;    /* each interval drawn in ±this % of it, 0..50; default 10 */
};

extern const struct section probes_config_section;

/* The probes: section of cfg (NULL when cfg's schema has none). */
const struct cfg_probes *probes_config(const struct cfg_config *cfg);

#endif
