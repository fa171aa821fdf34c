/* cmd.h — the subcommands of `circuitwatch`, one row each of main.c's
 * command table: its name, a one-line summary, its own options (a
 * getopt_long table), its usage text and its handler.
 *
 * main.c finds the command, parses the command line with that command's
 * options plus the global ones (--log-format, --log-level, --version,
 * --help), refuses an option of another command by name, and calls the
 * handler with what it found. The handler checks the values and runs.
 *
 * Ownership: the rows are static; a cmd_call points into argv and lives
 * for the handler's call.
 */
#ifndef CW_CMD_H
#define CW_CMD_H

#include <getopt.h>
#include <stdbool.h>

#include "log.h"

#define CW_DEFAULT_CONFIG "/etc/circuitwatch/circuitwatch.yaml"
#define CMD_OPTS_MAX 8 /* options of one command, globals not counted */

struct cmd_call;

struct cmd {
	const char *name;
	const char *synopsis; /* what follows the name: "[--config FILE] FILE" */
	const char *summary;  /* one line for `circuitwatch --help` */
	const char *usage;    /* `circuitwatch NAME --help` after the usage line */
	/* its own options, {NULL}-terminated, at most CMD_OPTS_MAX; each val
	 * distinct from 'F', 'L', 'V', 'h' (the globals) and from the others */
	const struct option *options;
	const char *shortopts; /* short forms among them ("c:"), or "" */
	bool logs;             /* takes --log-format and --log-level */
	int nargs;             /* positional arguments it needs (0 or 1) */
	const char *missing;   /* the error when that argument is missing */
	/* Runs the command; returns the exit code. */
	int (*main)(const struct cmd_call *c);
};

/* One invocation, as main.c parsed it. */
struct cmd_call {
	const struct cmd *cmd;
	/* argument of each option by its index in cmd->options ("" for a
	 * flag), NULL when not given; the last one given wins */
	const char *opt[CMD_OPTS_MAX];
	const char *arg;             /* the positional argument, or NULL */
	int log_level, log_format;   /* enum log_level / log_format, or -1: not given */
};

extern const struct cmd cmd_run, cmd_check_config, cmd_decode, cmd_replay, cmd_reflect,
	cmd_events, cmd_status, cmd_routes;

/* The log of run and reflect on stderr: the levels from the command line,
 * else info and logfmt. NULL when out of memory; the caller log_free()s. */
struct log *cmd_log_new(const struct cmd_call *c);

#endif
