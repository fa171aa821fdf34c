/* circuit_config.h — the circuits: list of the configuration: each circuit
 * with its SKU, bandwidth, links, peerings, neighbours, watched prefixes,
 * each link's probes and the circuit's billing settings. Plain data that the
 * model and its consumers read; the plans those settings name are billing's
 * (billing_config.h), which checks them against the circuits.
 *
 * Ownership: circuit_config() returns the list inside cfg (cfg owns it and
 * every string and array in it).
 */
#ifndef CW_CIRCUIT_CONFIG_H
#define CW_CIRCUIT_CONFIG_H

#include "config.h"

#define CIRCUIT_CONFIG_KEY "circuits"           /* its top-level key */
#define CFG_ID_MAX 64                           /* circuit id length */
#define CFG_ROUTER_MAX 255                      /* link router: address or sysName */
#define CFG_WATCH_MAX 1000                      /* watched prefixes per peering */
#define CFG_PROBES_MAX 10000                    /* probes per link */
#define CFG_PROBE_NAME_MAX 64                   /* probe name length */
#define CFG_PLAN_NAME_MAX 64     /* plan and zone name length */
#define CFG_THRESHOLDS_MAX 16    /* budget thresholds per circuit */
#define CFG_ALTERNATIVES_MAX 16  /* alternative plans per circuit */

enum cfg_provider {
	CFG_PROVIDER_EXPRESSROUTE,
	CFG_PROVIDER_DIRECTCONNECT,
	CFG_PROVIDER_INTERCONNECT,
};

enum cfg_data_plan { CFG_PLAN_METERED, CFG_PLAN_UNLIMITED };

enum cfg_peering_type {
	CFG_PEERING_PRIVATE,   /* all providers */
	CFG_PEERING_MICROSOFT, /* expressroute only */
	CFG_PEERING_PUBLIC,    /* directconnect public VIF */
	CFG_PEERING_TRANSIT,   /* directconnect transit VIF */
};

enum cfg_link_role { CFG_LINK_PRIMARY, CFG_LINK_SECONDARY, CFG_LINK_COUNT };

struct cfg_neighbor {
	char *address;        /* canonical text form (inet_ntop) */
	int family;           /* AF_INET or AF_INET6 */
	uint8_t addr[16];     /* network order; first 4 bytes for IPv4 */
	uint32_t asn;         /* provider ASN; expressroute default 12076 */
};

struct cfg_peering {
	enum cfg_peering_type type;
	uint16_t vlan;         /* 802.1Q tag, or the C-tag under the link's S-tag; 0 = untagged */
	uint32_t local_asn;    /* customer ASN; 0 = not given */
	uint32_t prefix_limit; /* provider's limit on what we advertise; 0 = unknown */
	size_t nneighbors;
	struct cfg_neighbor *neighbors;
	size_t nwatch;         /* watched prefixes, presence tracked per peer: */
	struct cfg_prefix *watch; /* unique, at most CFG_WATCH_MAX; NULL when none */
};

enum cfg_probe_type { CFG_PROBE_ICMP, CFG_PROBE_TCP, CFG_PROBE_STAMP };

/* One active probe across a link (issue 5). The probe is bound to the link
 * by its source address, or else by its interface (SO_BINDTODEVICE), or
 * else by the link's interface; with none of the three it goes wherever
 * the routing table sends it. */
struct cfg_probe {
	char *name;            /* [A-Za-z0-9._:-]{1,64}, unique per link; default
	                        * "TYPE-TARGET" or "TYPE-TARGET-PORT" (':' of IPv6 kept) */
	enum cfg_probe_type type;
	char *target;          /* canonical address text (inet_ntop) */
	int family;            /* AF_INET or AF_INET6 */
	uint8_t addr[16];      /* network order; first 4 bytes for IPv4 */
	uint16_t port;         /* tcp: required; stamp: default 862; icmp: 0 */
	char *source;          /* local address to send from (canonical); NULL = any */
	int source_family;     /* AF_INET or AF_INET6 (same as family); 0 when no source */
	uint8_t source_addr[16];
	char *interface;       /* device to bind to; NULL = not given */
	uint32_t interval_ms;  /* 100 ms..1 h; default 1 s */
	uint32_t timeout_ms;   /* 10 ms..60 s; default the smaller of 2 s and the interval */
	uint32_t size;         /* icmp: payload bytes 16..1472 (default 56);
	                        * stamp: packet bytes 44..1472 (default 44); tcp: 0 */
	uint8_t dscp;          /* 0..63; default 0 */
};

struct cfg_link {
	bool present;          /* secondary may be absent */
	char *interface;       /* NULL when not given */
	uint16_t s_tag;        /* QinQ outer tag (ExpressRoute Direct); 0 = none */
	char *router;          /* BMP router serving this link: its address (canonical
	                        * inet_ntop text) or its BMP sysName; NULL when not given */
	size_t npeerings;
	struct cfg_peering *peerings;
	size_t nprobes;        /* 0..CFG_PROBES_MAX */
	struct cfg_probe *probes;
};

enum cfg_bill_source { CFG_BILL_SOURCE_INTERFACES, CFG_BILL_SOURCE_CAPTURE };

struct cfg_circuit_billing {
	size_t nalternatives;
	char **alternatives;        /* plan names to compare against */
	char *zone;                 /* egress zone of metered plans; NULL when none */
	uint32_t cycle_day;         /* 1..28, default 1 */
	uint32_t cycle_minute;      /* cycle_time HH:MM as minutes 0..1439; default 0 */
	char *timezone;             /* IANA name; default "UTC" */
	enum cfg_bill_source source;/* default interfaces when a link has an interface */
	bool has_budget;
	double budget;              /* in the plan's currency */
	size_t nthresholds;         /* 1..CFG_THRESHOLDS_MAX, strictly increasing */
	double thresholds[CFG_THRESHOLDS_MAX]; /* ratios of the budget; default .5 .8 1 */
};

struct cfg_circuit {
	char *id;                   /* [A-Za-z0-9._-]{1,64}, unique */
	enum cfg_provider provider;
	char *tier;                 /* expressroute: local|standard|premium;
	                             * directconnect: dedicated|hosted;
	                             * interconnect: dedicated|partner */
	enum cfg_data_plan data_plan;
	uint64_t bandwidth_bps;     /* bits per second, > 0 */
	char *bandwidth_text;       /* as written, normalised, e.g. "1Gbps" */
	char *billing_plan;         /* name of a billing plan; NULL when not given */
	char *location;             /* peering location; NULL when not given */
	struct cfg_link links[CFG_LINK_COUNT];
	struct cfg_circuit_billing billing;
};

/* The circuits, in document order. */
struct cfg_circuits {
	size_t ncircuits;
	struct cfg_circuit *circuits;
};

extern const struct section circuit_config_section; /* a CFG_TOP_FIELD entry */

/* The circuits of cfg; an empty list (never NULL) when cfg is NULL or its
 * schema has none. */
const struct cfg_circuits *circuit_config(const struct cfg_config *cfg);

/* Names used in metrics labels and logs (static strings). */
const char *cfg_provider_name(enum cfg_provider p);
const char *cfg_data_plan_name(enum cfg_data_plan p);
const char *cfg_peering_type_name(enum cfg_peering_type t);
const char *cfg_link_role_name(enum cfg_link_role r);
const char *cfg_probe_type_name(enum cfg_probe_type t);
const char *cfg_bill_source_name(enum cfg_bill_source s);

/* True when a link of c names an interface (something to meter on). */
bool circuit_config_has_interface(const struct cfg_circuit *c);

/* For other sections' finish hooks (config_schema.h): the frames of
 * circuit i (c) and of its billing: mapping, as the walker saw them.
 * Returns -1 when the walker refused either (not a mapping): its checks
 * did not run, so neither should the finish hook's. */
struct walk;
struct frame;
int circuit_config_reframe(struct walk *w, struct cfg_circuit *c, size_t i, struct frame *cf,
			   struct frame *bf);

#endif
