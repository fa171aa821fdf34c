/* daemon.h — the `run` subcommand: config, loop, modules, signals. */
#ifndef CW_DAEMON_H
#define CW_DAEMON_H

#include <stdint.h>

#include "log.h"

struct daemon_opts {
	const char *config_path;
	int log_level;   /* enum log_level from the command line, or -1: from config */
	int log_format;  /* enum log_format from the command line, or -1: from config */
	const char *user; /* --user: drop to this user after start; NULL: daemon.user */
	/* --web.listen-address (port 0: not given; host NULL: all addresses)
	 * and --web.config.file (NULL: not given), over the config's
	 * prometheus.listen and prometheus.web_config_file */
	const char *web_host;
	uint16_t web_port;
	const char *web_config;
};

/* Runs until SIGINT or SIGTERM. Returns the process exit code: 0 after a
 * clean shutdown, 2 for an invalid config (errors printed to stderr as
 * FILE:LINE:COLUMN: message) or a user to drop to that cannot be used (it
 * does not exist, cannot write the state directories, another user while
 * not root), 1 when a module could not start or privileges could not be
 * dropped. */
int daemon_run(const struct daemon_opts *opts, struct log *lg);

#endif
