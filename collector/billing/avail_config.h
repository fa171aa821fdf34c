/* avail_config.h — the availability: section of the configuration (issue
 * 15): the SLA each provider states for a circuit, overrides per circuit,
 * how long after a start a circuit with no session up is given before it
 * counts as down, and how often the figures are saved (in billing's
 * state_dir). Its finish hook checks that each override names a circuit.
 *
 * Ownership: avail_config() returns the section inside cfg (cfg owns it and
 * every string and array in it).
 */
#ifndef CW_AVAIL_CONFIG_H
#define CW_AVAIL_CONFIG_H

#include "circuit_config.h"
#include "config.h"


/* Defaults, in percent (docs/availability.md cites each provider's SLA). */
#define AVAIL_SLA_EXPRESSROUTE 99.95
#define AVAIL_SLA_DIRECTCONNECT 99.9
#define AVAIL_SLA_INTERCONNECT 99.9

struct cfg_avail_sla {
	double expressroute, directconnect, interconnect; /* percent, 0 < x < 100 */
};

struct cfg_avail_circuit {
	char *circuit;              /* a configured circuit's id */
	double sla;                 /* percent */
};

struct cfg_availability {
	bool enabled;               /* default true */
	uint32_t persist_interval_s;/* 1 s..1 h; default 60 s */
	uint32_t startup_grace_s;   /* 0..1 day; default 5 min */
	struct cfg_avail_sla sla;   /* per provider */
	size_t ncircuits;
	struct cfg_avail_circuit *circuits; /* per-circuit overrides */
};

extern const struct section avail_config_section;

/* The availability: section of cfg (NULL when cfg's schema has none). */
const struct cfg_availability *avail_config(const struct cfg_config *cfg);

/* The SLA of circuit c in percent: its override, else its provider's. */
double avail_config_target(const struct cfg_availability *a, const struct cfg_circuit *c);

#endif
