/* run.c — `circuitwatch run` (the default command): the daemon. */
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon.h"
#include "webconfig.h"

enum { RUN_CONFIG, RUN_USER, RUN_WEB_LISTEN, RUN_WEB_CONFIG };

static const struct option run_options[] = {
	[RUN_CONFIG] = {"config", required_argument, NULL, 'c'},
	[RUN_USER] = {"user", required_argument, NULL, 'u'},
	[RUN_WEB_LISTEN] = {"web.listen-address", required_argument, NULL, 'a'},
	[RUN_WEB_CONFIG] = {"web.config.file", required_argument, NULL, 'w'},
	{NULL, 0, NULL, 0},
};

/* The --web.* flags, checked before anything starts (exit 2 when wrong):
 * the address into opts (host owned by the caller), the web config file
 * loaded once to report its errors as FILE:LINE:COLUMN. */
static int check_web_flags(const struct cmd_call *c, struct daemon_opts *opts, char **host)
{
	const char *listen = c->opt[RUN_WEB_LISTEN], *file = c->opt[RUN_WEB_CONFIG];
	struct cfg_errors errs = {0};
	struct webconfig *wc = NULL;

	if (listen != NULL && webconfig_parse_listen(listen, host, &opts->web_port) != 0) {
		fprintf(stderr, "circuitwatch: --web.listen-address must be HOST:PORT, "
				"[IPV6]:PORT or :PORT with a port 1..65535, not '%s'\n", listen);
		return 2;
	}
	opts->web_host = *host;
	if (file == NULL)
		return -1;
	if (webconfig_load(file, &wc, &errs) != 0) {
		cfg_errors_print(&errs, stderr);
		cfg_errors_clean(&errs);
		fprintf(stderr, "circuitwatch: invalid --web.config.file %s\n", file);
		return 2;
	}
	webconfig_free(wc);
	opts->web_config = file;
	return -1;
}

static int run_main(const struct cmd_call *c)
{
	struct daemon_opts opts = {
		.config_path = c->opt[RUN_CONFIG] ? c->opt[RUN_CONFIG] : CW_DEFAULT_CONFIG,
		.log_level = c->log_level,
		.log_format = c->log_format,
		.user = c->opt[RUN_USER],
	};
	struct log *lg;
	char *host = NULL;
	int rc = check_web_flags(c, &opts, &host);

	if (rc >= 0) {
		free(host);
		return rc;
	}
	lg = cmd_log_new(c);
	if (lg == NULL) {
		free(host);
		return 1;
	}
	rc = daemon_run(&opts, lg);
	log_free(lg);
	free(host);
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
		 "      --web.listen-address ADDR\n"
		 "                         where the exporter listens (HOST:PORT, [IPV6]:PORT\n"
		 "                         or :PORT); overrides prometheus.listen\n"
		 "      --web.config.file FILE\n"
		 "                         an exporter-toolkit web-config.yml (TLS, mutual TLS,\n"
		 "                         basic_auth_users, headers), as node_exporter reads\n"
		 "                         it; replaces prometheus.tls and prometheus.basic_auth;\n"
		 "                         reloaded on SIGHUP and when it or its files change\n"
		 "      --log.level, --log.format\n"
		 "                         the exporters' spellings of --log-level, --log-format\n"
		 "\n"
		 "exit: 0 after SIGINT/SIGTERM, 1 when a module cannot start or privileges\n"
		 "cannot be dropped, 2 for an invalid configuration or a user it cannot become.\n",
	.options = run_options,
	.shortopts = "c:",
	.logs = true,
	.main = run_main,
};
