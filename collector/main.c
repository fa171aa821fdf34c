/* main.c — the command line: run (the default), check-config, --version,
 * --help. The only file that knows every module. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "log.h"

#define DEFAULT_CONFIG "/etc/circuitwatch/circuitwatch.yaml"

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: circuitwatch [GLOBAL OPTIONS] [COMMAND] [ARGS]\n"
		"\n"
		"Watches private WAN circuits (ExpressRoute, Direct Connect, Interconnect)\n"
		"and publishes their health to Prometheus.\n"
		"\n"
		"commands:\n"
		"  run [--config FILE]    run the daemon (the default command);\n"
		"                         FILE defaults to " DEFAULT_CONFIG "\n"
		"  check-config FILE      validate FILE; exit 0 when valid, 2 with\n"
		"                         FILE:LINE:COLUMN: message per error\n"
		"\n"
		"global options (before or after the command):\n"
		"  -c, --config FILE      configuration file for run\n"
		"      --log-format FMT   logfmt (default) or json; overrides log.format\n"
		"      --log-level LEVEL  debug, info, warn or error; overrides log.level\n"
		"  -V, --version          print the version and exit\n"
		"  -h, --help             print this help and exit\n"
		"\n"
		"signals: SIGINT/SIGTERM stop cleanly; SIGHUP reloads the configuration.\n");
}

struct cli {
	const char *command;
	const char *config;
	const char *check_file;
	struct daemon_opts opts;
};

/* Returns 0 to go on, or an exit code + 1 (so 1 means exit 0). */
static int parse_options(int argc, char **argv, struct cli *cli)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"log-format", required_argument, NULL, 'F'},
		{"log-level", required_argument, NULL, 'L'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:Vh", longopts, NULL)) != -1) {
		enum log_level lvl;
		enum log_format fmt;

		switch (c) {
		case 'c':
			cli->config = optarg;
			break;
		case 'F':
			if (log_format_parse(optarg, &fmt) != 0) {
				fprintf(stderr, "circuitwatch: --log-format must be logfmt or json\n");
				return 3;
			}
			cli->opts.log_format = (int)fmt;
			break;
		case 'L':
			if (log_level_parse(optarg, &lvl) != 0) {
				fprintf(stderr, "circuitwatch: --log-level must be debug, info, warn "
						"or error\n");
				return 3;
			}
			cli->opts.log_level = (int)lvl;
			break;
		case 'V':
			printf("circuitwatch %s\n", CW_VERSION);
			return 1;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return 3;
		}
	}
	return 0;
}

static int parse_cli(int argc, char **argv, struct cli *cli)
{
	int rc = parse_options(argc, argv, cli);

	if (rc != 0)
		return rc;
	/* getopt_long permutes, so options may follow the command */
	if (optind < argc)
		cli->command = argv[optind++];
	if (cli->command != NULL && strcmp(cli->command, "check-config") == 0) {
		if (optind >= argc) {
			fprintf(stderr, "circuitwatch: check-config needs a FILE\n");
			return 3;
		}
		cli->check_file = argv[optind++];
	}
	if (optind < argc) {
		fprintf(stderr, "circuitwatch: unexpected argument '%s'\n", argv[optind]);
		return 3;
	}
	if (cli->command != NULL && strcmp(cli->command, "run") != 0 &&
	    strcmp(cli->command, "check-config") != 0) {
		fprintf(stderr, "circuitwatch: unknown command '%s' (try --help)\n", cli->command);
		return 3;
	}
	return 0;
}

static int check_config(const char *path)
{
	struct cfg_errors errs = {0};
	struct cfg_config *cfg = NULL;

	if (cfg_load_file(path, &cfg, &errs) != 0) {
		cfg_errors_print(&errs, stderr);
		cfg_errors_clean(&errs);
		return 2;
	}
	printf("%s: valid (%zu circuit%s)\n", path, cfg->ncircuits, cfg->ncircuits == 1 ? "" : "s");
	cfg_free(cfg);
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = {.opts = {.log_level = -1, .log_format = -1}};
	struct log *lg;
	int rc = parse_cli(argc, argv, &cli);

	if (rc != 0)
		return rc - 1;
	if (cli.check_file != NULL)
		return check_config(cli.check_file);
	cli.opts.config_path = cli.config ? cli.config : DEFAULT_CONFIG;
	lg = log_new(STDERR_FILENO,
		     cli.opts.log_level >= 0 ? (enum log_level)cli.opts.log_level : LOG_LVL_INFO,
		     cli.opts.log_format >= 0 ? (enum log_format)cli.opts.log_format
					      : LOG_FMT_LOGFMT);
	if (lg == NULL)
		return 1;
	rc = daemon_run(&cli.opts, lg);
	log_free(lg);
	return rc;
}
