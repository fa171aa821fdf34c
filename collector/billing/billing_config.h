/* billing_config.h — the billing: section of the configuration (issue 6):
 * plans as data (inline and from plans_file), the state directory and the
 * persistence cadence. Its finish hook checks each circuit's billing
 * settings (circuit_config.h) against the plans.
 *
 * Ownership: billing_config() returns the section inside cfg (cfg owns it and
 * every string and array in it).
 */
#ifndef CW_BILLING_CONFIG_H
#define CW_BILLING_CONFIG_H

#include "circuit_config.h"
#include "config.h"

#define CFG_PLANS_MAX 1000       /* plans, inline and from plans_file together */
#define CFG_TIERS_MAX 16         /* volume tiers per egress zone */

enum cfg_fee_period { CFG_FEE_MONTHLY, CFG_FEE_HOURLY };
enum cfg_bill_unit { CFG_UNIT_GB, CFG_UNIT_GIB }; /* 10^9 or 2^30 bytes */

/* A fee by circuit bandwidth: the port (or attachment) itself, or an add-on. */
struct cfg_fee {
	uint64_t bandwidth_bps;
	char *bandwidth_text;
	enum cfg_fee_period period; /* monthly: per billing cycle; hourly: per hour */
	double amount;              /* in the plan's currency, >= 0 */
};

/* One volume tier: bytes of the cycle's egress up to up_to_bytes (from the
 * end of the previous tier) cost per_unit each unit (GB or GiB). */
struct cfg_tier {
	uint64_t up_to_bytes;       /* 0 = no upper bound (the last tier only) */
	char *up_to_text;           /* as written; NULL for the last tier */
	double per_unit;
};

struct cfg_egress_zone {
	char *zone;                 /* [A-Za-z0-9._-]{1,64}, unique per plan */
	size_t ntiers;              /* 1..CFG_TIERS_MAX; per_gb alone is one tier */
	struct cfg_tier *tiers;
	double per_gb;              /* shorthand, copied into tiers[0] */
};

struct cfg_add_on {
	char *name;                 /* e.g. premium */
	size_t nfees;
	struct cfg_fee *fees;       /* by bandwidth */
};

struct cfg_plan {
	char *name;                 /* [A-Za-z0-9._-]{1,64}, unique */
	char *currency;             /* ISO 4217 alphabetic code, e.g. EUR */
	enum cfg_bill_unit unit;    /* default GB (10^9 bytes) */
	bool unlimited;             /* no egress charge (no egress list) */
	size_t nport_fees;
	struct cfg_fee *port_fees;
	size_t negress;
	struct cfg_egress_zone *egress;
	size_t nadd_ons;
	struct cfg_add_on *add_ons;
	double global_reach_per_gb; /* kept, not priced: see docs/billing.md */
};

/* Billing (issue 6): plans as data, metering state on disk. */
struct cfg_billing {
	bool enabled;               /* default true (a no-op without plans) */
	char *state_dir;            /* default /var/lib/circuitwatch */
	uint32_t persist_interval_s;/* 1 s..1 h; default 60 s */
	uint32_t recent_window_s;   /* the "recent" projection's window, 1 min..1 day; default 1 h */
	char *plans_file;           /* YAML file with a `plans:` list; NULL when none */
	size_t nplans;              /* inline plans followed by plans_file's */
	struct cfg_plan *plans;
};

extern const struct section billing_config_section;

/* The billing: section of cfg (NULL when cfg's schema has none). */
const struct cfg_billing *billing_config(const struct cfg_config *cfg);

/* The plan named name, or NULL. */
const struct cfg_plan *cfg_plan_find(const struct cfg_config *cfg, const char *name);

#endif
