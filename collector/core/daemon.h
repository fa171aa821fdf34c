/* daemon.h — the `run` subcommand: config, loop, modules, signals. */
#ifndef CW_DAEMON_H
#define CW_DAEMON_H

#include "log.h"

struct daemon_opts {
	const char *config_path;
	int log_level;   /* enum log_level from the command line, or -1: from config */
	int log_format;  /* enum log_format from the command line, or -1: from config */
};

/* Runs until SIGINT or SIGTERM. Returns the process exit code: 0 after a
 * clean shutdown, 2 for an invalid config (errors printed to stderr as
 * FILE:LINE:COLUMN: message), 1 when a module could not start. */
int daemon_run(const struct daemon_opts *opts, struct log *lg);

#endif
