/* prometheus_config.h — the prometheus: section of the configuration: the
 * exporter's listener, TLS, basic auth and limits.
 *
 * Ownership: prometheus_config() returns the section inside cfg (cfg owns it
 * and every string in it).
 */
#ifndef CW_PROMETHEUS_CONFIG_H
#define CW_PROMETHEUS_CONFIG_H

#include "config.h"

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
	char *web_config_file;      /* exporter-toolkit's web-config.yml: when
	                             * set, its TLS and users replace tls: and
	                             * basic_auth: (--web.config.file overrides) */
	unsigned max_series;        /* series in all families, 1000..10000000;
	                             * default 200000 */
};

extern const struct section prometheus_config_section;

/* The prometheus: section of cfg (NULL when cfg's schema has none). */
const struct cfg_prometheus *prometheus_config(const struct cfg_config *cfg);

/* The command line's --web.listen-address (host NULL: all addresses; port
 * 0: not given) and --web.config.file (NULL: not given) over cfg's
 * prometheus.listen and prometheus.web_config_file. Returns 0, or -1 when
 * out of memory (cfg unchanged). */
int prometheus_config_override(struct cfg_config *cfg, const char *host, uint16_t port,
			       const char *web_config_file)
	__attribute__((warn_unused_result));

#endif
