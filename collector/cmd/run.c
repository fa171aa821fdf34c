/* run.c — `circuitwatch run` (the default command): the daemon. */
#include "cmd.h"

#include <unistd.h>

#include "daemon.h"

enum { RUN_CONFIG, RUN_USER };

static const struct option run_options[] = {
	[RUN_CONFIG] = {"config", required_argument, NULL, 'c'},
	[RUN_USER] = {"user", required_argument, NULL, 'u'},
	{NULL, 0, NULL, 0},
};

static int run_main(const struct cmd_call *c)
{
	struct daemon_opts opts = {
		.config_path = c->opt[RUN_CONFIG] ? c->opt[RUN_CONFIG] : CW_DEFAULT_CONFIG,
		.log_level = c->log_level,
		.log_format = c->log_format,
		.user = c->opt[RUN_USER],
	};
	struct log *lg = cmd_log_new(c);
	int rc;

	if (lg == NULL)
		return 1;
	rc = daemon_run(&opts, lg);
	log_free(lg);
	return rc;
}

const struct cmd cmd_run = {
	.name = "run",
	.synopsis = "[--config FILE] [--user NAME]",
	.summary = "run the daemon (the default command)",
	.usage = "Runs the daemon until SIGINT/SIGTERM (a clean stop); SIGHUP reloads the\n"
		 "configuration.\n"
		 "\n"
		 "options:\n"
		 "  -c, --config FILE      the configuration file (default\n"
		 "                         " CW_DEFAULT_CONFIG ")\n"
		 "      --user NAME        started as root, become user NAME (default\n"
		 "                         daemon.user) once the sockets are open, keeping\n"
		 "                         only the capabilities it still needs\n"
		 "\n"
		 "exit: 0 after SIGINT/SIGTERM, 1 when a module cannot start or privileges\n"
		 "cannot be dropped, 2 for an invalid configuration or a user it cannot become.\n",
	.options = run_options,
	.shortopts = "c:",
	.logs = true,
	.main = run_main,
};
