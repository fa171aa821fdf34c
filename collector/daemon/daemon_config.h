/* daemon_config.h — the daemon: section of the configuration and the
 * daemon's SCHEMA: every top-level key with the module that owns it. Load a
 * configuration through daemon_config_load_file/_buffer (main.c, daemon.c,
 * tests); read a module's section through that module's accessor.
 *
 * Ownership: as cfg_load_file/_buffer (config.h); daemon_config() returns
 * the section inside cfg.
 */
#ifndef CW_DAEMON_CONFIG_H
#define CW_DAEMON_CONFIG_H

#include "config.h"

#define CFG_USER_MAX 32                         /* daemon.user length (useradd's) */

/* The process (issue 12): whom `run` becomes once its privileged sockets
 * and capture handles are open. */
struct cfg_daemon {
	char *user;                 /* NULL = keep the user it was started as */
};

extern const struct section daemon_config_section;

/* The daemon: section of cfg (NULL when cfg's schema has none). */
const struct cfg_daemon *daemon_config(const struct cfg_config *cfg);

/* The daemon's schema (static): log, prometheus, bmp, capture, ifstats,
 * probes, billing, circuits, alerts, kafka, daemon, in walk order. */
const struct cfg_schema *daemon_config_schema(void);

/* cfg_load_file / cfg_load_buffer over daemon_config_schema(). */
int daemon_config_load_file(const char *path, struct cfg_config **out, struct cfg_errors *errs)
	__attribute__((warn_unused_result));
int daemon_config_load_buffer(const char *name, const char *buf, size_t len,
			      struct cfg_config **out, struct cfg_errors *errs)
	__attribute__((warn_unused_result));

#endif
