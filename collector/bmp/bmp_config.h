/* bmp_config.h — the bmp: section of the configuration: the BMP listener,
 * who may connect, and the bounds on what a router may make us hold.
 *
 * Ownership: bmp_config() returns the section inside cfg (cfg owns it and
 * every string and array in it).
 */
#ifndef CW_BMP_CONFIG_H
#define CW_BMP_CONFIG_H

#include "config.h"

#define CFG_ALLOW_MAX 65535                     /* bmp.allow entries (one per router) */

/* bmp.publish: which BMP peers get per-peer series */
enum cfg_bmp_publish { CFG_BMP_PUBLISH_ALL, CFG_BMP_PUBLISH_CONFIGURED };

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
	/* worker threads that ingest, 0..64; 0 (the default): one per online CPU */
	unsigned workers;
};

extern const struct section bmp_config_section;

/* The bmp: section of cfg (NULL when cfg's schema has none). */
const struct cfg_bmp *bmp_config(const struct cfg_config *cfg);
/* The worker threads b asks for: bmp.workers, or with 0 one per online
 * CPU (at most BMP_WORKERS_MAX). */
#define BMP_WORKERS_MAX 64u
unsigned bmp_config_workers(const struct cfg_bmp *b);

#endif
