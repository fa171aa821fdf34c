/* config.h — the YAML configuration: parsing, validation with locations,
 * and the immutable config object that the daemon swaps whole on reload.
 *
 * Ownership: cfg_load_* return a config owned by the caller (cfg_free).
 * Every string inside is owned by the config. Errors go into a cfg_errors
 * list owned by the caller (cfg_errors_clean).
 */
#ifndef CW_CONFIG_H
#define CW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CFG_MAX_FILE_BYTES (4u * 1024u * 1024u) /* refuse larger config files */
#define CFG_MAX_ERRORS 100                      /* stop collecting after this */
#define CFG_ID_MAX 64                           /* circuit id length */
#define CFG_ROUTER_MAX 255                      /* link router: address or sysName */
#define CFG_WATCH_MAX 1000                      /* watched prefixes per peering */
#define CFG_ALLOW_MAX 65535                     /* bmp.allow entries (one per router) */
#define CFG_PROBES_MAX 10000                    /* probes per link */
#define CFG_PROBE_NAME_MAX 64                   /* probe name length */
#define CFG_USER_MAX 32                         /* daemon.user length (useradd's) */

enum cfg_log_level { CFG_LOG_DEBUG, CFG_LOG_INFO, CFG_LOG_WARN, CFG_LOG_ERROR };
enum cfg_log_format { CFG_LOG_LOGFMT, CFG_LOG_JSON };
/* bmp.publish: which BMP peers get per-peer series */
enum cfg_bmp_publish { CFG_BMP_PUBLISH_ALL, CFG_BMP_PUBLISH_CONFIGURED };

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

/* An IP prefix; host bits beyond len are zero (the parser refuses others). */
struct cfg_prefix {
	int family;           /* AF_INET or AF_INET6 */
	uint8_t addr[16];     /* network order; first 4 bytes for IPv4 */
	uint8_t len;          /* 0..32 (IPv4) or 0..128 (IPv6) */
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

/* ---- billing (issue 6) ---- */
#define CFG_PLANS_MAX 1000       /* plans, inline and from plans_file together */
#define CFG_PLAN_NAME_MAX 64     /* plan and zone name length */
#define CFG_TIERS_MAX 16         /* volume tiers per egress zone */
#define CFG_THRESHOLDS_MAX 16    /* budget thresholds per circuit */
#define CFG_ALTERNATIVES_MAX 16  /* alternative plans per circuit */

enum cfg_fee_period { CFG_FEE_MONTHLY, CFG_FEE_HOURLY };
enum cfg_bill_unit { CFG_UNIT_GB, CFG_UNIT_GIB }; /* 10^9 or 2^30 bytes */
enum cfg_bill_source { CFG_BILL_SOURCE_INTERFACES, CFG_BILL_SOURCE_CAPTURE };

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
	double global_reach_per_gb; /* kept, not priced: see README (Billing) */
};

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

struct cfg_log {
	enum cfg_log_level level;   /* default info */
	enum cfg_log_format format; /* default logfmt */
};

/* The process (issue 12): whom `run` becomes once its privileged sockets
 * and capture handles are open. */
struct cfg_daemon {
	char *user;                 /* NULL = keep the user it was started as */
};

struct cfg_basic_auth_user {
	char *username;
	char *password_hash;        /* crypt(3) hash, e.g. bcrypt "$2b$..." */
};

struct cfg_prometheus {
	bool enabled;               /* default true */
	char *listen_host;          /* NULL = all addresses (dual stack) */
	uint16_t listen_port;       /* default 10179 */
	char *tls_cert_file;        /* both or neither */
	char *tls_key_file;
	size_t nusers;              /* basic auth when > 0 */
	struct cfg_basic_auth_user *users;
	unsigned max_connections;   /* default 256 */
	unsigned max_connections_per_address; /* per IPv4 address or IPv6 /64; default 8 */
	unsigned request_timeout_s; /* a whole request must arrive within; default 5 */
	unsigned timeout_s;         /* idle time per connection; default 10 */
	unsigned max_series;        /* series in all families, 1000..10000000;
	                             * default 200000 */
};

struct cfg_bmp {
	bool enabled;               /* default true */
	char *listen_host;          /* NULL = all addresses (dual stack) */
	uint16_t listen_port;       /* default 1790 (pmacct's BMP port) */
	size_t nallow;              /* 0 = every source address may connect */
	struct cfg_prefix *allow;   /* router source addresses allowed; unique */
	uint32_t max_message_size;  /* bytes, 65536..1073741824; default 16 MiB */
	unsigned max_routers;       /* concurrent BMP sessions, 1..65535; default 256 */
	unsigned first_message_timeout_s; /* connect to first whole message; default 30 */
	unsigned message_timeout_s; /* a started message must complete; default 60 */
	unsigned keepalive_s;       /* TCP keepalive idle time; default 60 */
	unsigned keepalive_interval_s; /* between unanswered probes; default 10 */
	unsigned keepalive_count;   /* probes before the connection is dead; default 6 */
	uint64_t buffer_budget;     /* bytes of partial messages over all connections, beyond
				     * each connection's base buffer; default
				     * max(64 MiB, 4 x max_message_size); >= max_message_size */
	/* peers a router may report, 1..65535; default 2048 */
	unsigned max_peers_per_router;
	enum cfg_bmp_publish publish; /* default all */
	/* how long a gone router's unconfigured peers are kept (s); default 300 */
	unsigned peer_retention_s;
};

/* Passive capture (issue 4): libpcap on the interfaces facing the
 * provider (a SPAN port or a tap), or an offline file. */
struct cfg_capture {
	bool enabled;               /* default false: it needs interfaces or a file */
	size_t ninterfaces;         /* interface names (1..15 characters each) */
	char **interfaces;
	char *file;                 /* a pcap/pcapng file read once instead; NULL = live */
	uint32_t snaplen;           /* bytes, 64..262144; default 65535 */
	bool promiscuous;           /* default true */
	uint32_t buffer_size;       /* kernel capture buffer, bytes, 1 MiB..1 GiB; default 16 MiB */
	bool immediate;             /* deliver packets at once; default true */
	char *filter;               /* BPF expression; NULL = every frame (per-VLAN
	                             * accounting needs them all) */
	size_t nlocal_macs;         /* our routers' MACs: frames from them are egress */
	uint8_t (*local_macs)[6];
	size_t nlocal_prefixes;     /* our address space: egress when the source is in it */
	struct cfg_prefix *local_prefixes;
	uint32_t bgp_port;          /* TCP port of BGP; default 179 */
	unsigned max_flows;         /* TCP connections followed, 16..1048576; default 65536 */
	uint32_t max_reassembly_bytes; /* all flows together, 1 MiB..4 GiB-1; default 256 MiB */
};

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

/* Interface counters (issue 5): netlink RTM_GETLINK dumps on a timer. */
struct cfg_ifstats {
	bool enabled;               /* default true: samples each link's interface */
	uint32_t interval_ms;       /* 1 s..300 s; default 10 s */
	size_t ninterfaces;         /* interfaces sampled besides the links' own */
	char **interfaces;
};

enum cfg_icmp_socket {
	CFG_ICMP_AUTO,     /* datagram socket when ping_group_range allows, else raw */
	CFG_ICMP_DATAGRAM, /* SOCK_DGRAM/IPPROTO_ICMP only */
	CFG_ICMP_RAW,      /* SOCK_RAW only (CAP_NET_RAW) */
};

/* Active probes (issue 5): defaults for every link's probes. */
struct cfg_probes {
	bool enabled;               /* default true: runs the probes the links declare */
	enum cfg_icmp_socket icmp_socket; /* default auto */
	uint32_t loss_window;       /* probes in the loss ratio window, 10..100000; default 100 */
	uint32_t spread_percent;    /* each interval drawn in ±this % of it, 0..50; default 10 */
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

/* ---- Kafka exporter (issue 7): events to Kafka topics (exporters/kafka) ---- */
#define CFG_KAFKA_BROKERS_MAX 64    /* kafka.brokers entries */
#define CFG_KAFKA_PROPS_MAX 64      /* kafka.librdkafka entries */

enum cfg_kafka_encoding { CFG_KAFKA_PROTOBUF, CFG_KAFKA_JSON };
enum cfg_kafka_compression {
	CFG_KAFKA_NONE, CFG_KAFKA_GZIP, CFG_KAFKA_SNAPPY, CFG_KAFKA_LZ4, CFG_KAFKA_ZSTD
};

struct cfg_kv {
	char *key;
	char *value;
};

struct cfg_kafka {
	bool enabled;               /* default false */
	size_t nbrokers;            /* "host:port" each; at least one when enabled */
	char **brokers;
	char *topic_events;         /* default "circuitwatch.events" */
	char *topic_alerts;         /* default "circuitwatch.alerts" */
	enum cfg_kafka_encoding encoding;       /* default protobuf */
	enum cfg_kafka_compression compression; /* default lz4 */
	char *spool_dir;            /* default "/var/lib/circuitwatch/kafka-spool" */
	uint64_t spool_max_bytes;   /* 65536..2^44; default 1 GiB */
	uint32_t queue_max_messages; /* 1..10000000; default 100000 */
	char *client_id;            /* default "circuitwatch" */
	size_t nlibrdkafka;         /* librdkafka properties, applied last */
	struct cfg_kv *librdkafka;
};

struct cfg_config {
	char *path;                 /* file it came from ("<buffer>" otherwise) */
	struct cfg_log log;
	struct cfg_daemon daemon;
	struct cfg_prometheus prometheus;
	struct cfg_bmp bmp;
	struct cfg_capture capture;
	struct cfg_ifstats ifstats;
	struct cfg_probes probes;
	struct cfg_kafka kafka;
	struct cfg_alerts alerts;
	struct cfg_billing billing;
	size_t ncircuits;
	struct cfg_circuit *circuits;
};

struct cfg_error {
	char *file;
	unsigned line;              /* 1-based; 0 when unknown (file unreadable) */
	unsigned column;            /* 1-based */
	char *message;
};

struct cfg_errors {
	size_t n;
	struct cfg_error *v;
};

/* Parses and validates a file. Returns 0 and sets *out, or -1 with every
 * error found (up to CFG_MAX_ERRORS) appended to errs and *out NULL. */
int cfg_load_file(const char *path, struct cfg_config **out,
		  struct cfg_errors *errs) __attribute__((warn_unused_result));
/* Same over a buffer; name is used as the file name in errors. */
int cfg_load_buffer(const char *name, const char *buf, size_t len,
		    struct cfg_config **out, struct cfg_errors *errs)
	__attribute__((warn_unused_result));
void cfg_free(struct cfg_config *cfg); /* takes NULL */

/* Writes each error as "FILE:LINE:COLUMN: message\n". */
void cfg_errors_print(const struct cfg_errors *errs, FILE *fp);
void cfg_errors_clean(struct cfg_errors *errs);

/* True when addr (4 bytes for AF_INET, 16 for AF_INET6, network order) lies
 * in p. A family other than p's never matches: callers turn an IPv4-mapped
 * IPv6 address (::ffff:a.b.c.d from a dual-stack accept()) into AF_INET
 * first. False for a NULL p or addr. */
bool cfg_prefix_contains(const struct cfg_prefix *p, int family, const uint8_t *addr);

/* Names used in metrics labels and logs (static strings). */
const char *cfg_provider_name(enum cfg_provider p);
const char *cfg_data_plan_name(enum cfg_data_plan p);
const char *cfg_peering_type_name(enum cfg_peering_type t);
const char *cfg_link_role_name(enum cfg_link_role r);
const char *cfg_log_level_name(enum cfg_log_level l);
const char *cfg_probe_type_name(enum cfg_probe_type t);
const char *cfg_kafka_compression_name(enum cfg_kafka_compression c);
const char *cfg_bill_source_name(enum cfg_bill_source s);

/* The plan named name, or NULL. */
const struct cfg_plan *cfg_plan_find(const struct cfg_config *cfg, const char *name);

#endif
