/* check_config.c — `circuitwatch check-config FILE`: validates a config. */
#include "cmd.h"

#include <stdio.h>

#include "circuit_config.h"
#include "config.h"
#include "daemon_config.h"

static const struct option check_config_options[] = {{NULL, 0, NULL, 0}};

static int check_config_main(const struct cmd_call *c)
{
	struct cfg_errors errs = {0};
	struct cfg_config *cfg = NULL;
	size_t n;

	if (daemon_config_load_file(c->arg, &cfg, &errs) != 0) {
		cfg_errors_print(&errs, stderr);
		cfg_errors_clean(&errs);
		return 2;
	}
	n = circuit_config(cfg)->ncircuits;
	printf("%s: valid (%zu circuit%s)\n", c->arg, n, n == 1 ? "" : "s");
	cfg_free(cfg);
	return 0;
}

const struct cmd cmd_check_config = {
	.name = "check-config",
	.synopsis = "FILE",
	.summary = "validate a configuration file",
	.usage = "Validates the configuration FILE and prints 'FILE: valid (N circuits)'.\n"
		 "\n"
		 "exit: 0 when valid, 2 with one FILE:LINE:COLUMN: message line on stderr\n"
		 "per error.\n",
	.options = check_config_options,
	.shortopts = "",
	.logs = true,
	.nargs = 1,
	.missing = "check-config needs a FILE",
	.main = check_config_main,
};
