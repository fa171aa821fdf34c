/* main.c — the command line: run (the default), check-config, decode, reflect,
 * replay, events, --version, --help. The only file that knows every module. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "circuit_config.h"
#include "config.h"
#include "daemon_config.h"
#include "daemon.h"
#include "decode.h"
#include "decode_pcap.h"
#include "kafka.h"
#include "log.h"
#include "reflector.h"
#include "replay.h"

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
		"  run [--config FILE] [--user NAME]\n"
		"                         run the daemon (the default command);\n"
		"                         FILE defaults to " DEFAULT_CONFIG ";\n"
		"                         started as root, it becomes user NAME (default\n"
		"                         daemon.user) once its sockets are open, keeping\n"
		"                         only the capabilities it still needs\n"
		"  check-config FILE      validate FILE; exit 0 when valid, 2 with\n"
		"                         FILE:LINE:COLUMN: message per error\n"
		"  decode [--format bmp|bgp] [--bmp-port N] FILE|-\n"
		"                         print each BMP (default) or BGP message of a\n"
		"                         raw byte stream as one JSON object per line;\n"
		"                         a pcap/pcapng FILE (unless --format is given):\n"
		"                         the messages of TCP port 179 (BGP) and of the\n"
		"                         BMP port (default 1790) reassembled from TCP;\n"
		"                         exit 0, 1 when the framing was lost or the\n"
		"                         input ended inside a message, 2 on errors\n"
		"  reflect --listen ADDR[:PORT] [--delay MS] [--delay-jitter MS]\n"
		"                         answer STAMP/TWAMP-Light test packets (RFC 8762)\n"
		"                         on UDP ADDR:PORT (default port 862, which needs\n"
		"                         root or CAP_NET_BIND_SERVICE); --delay holds each\n"
		"                         reply MS milliseconds (+/- --delay-jitter MS);\n"
		"                         runs until SIGINT/SIGTERM, then prints counters\n"
		"  replay [--config FILE] [--json] [--realtime [--speed X]] FILE\n"
		"                         run a pcap/pcapng FILE through the passive\n"
		"                         capture pipeline (as fast as possible, or at\n"
		"                         recorded speed times X) and print a summary:\n"
		"                         sessions, messages, prefixes, TCP health, VLANs;\n"
		"                         exit 0, 1 when the file is damaged or truncated\n"
		"                         (summary of what was read), 2 on errors\n"
		"  events --brokers B --topic T [--from-beginning] [--max N] [--timeout S]\n"
		"                         consume topic T and print each event as a JSON\n"
		"                         line (protobuf or JSON messages, by their\n"
		"                         content-type header); from the end unless\n"
		"                         --from-beginning; stop after N events or S\n"
		"                         seconds without one (must be the first argument)\n"
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
	const char *decode_file;
	const char *decode_format;
	long bmp_port; /* 0: not given */
	const char *reflect_listen, *reflect_delay, *reflect_jitter; /* reflect */
	struct replay_opts replay; /* replay: file NULL unless the command */
	bool replay_flags;         /* --json, --realtime or --speed given */
	struct daemon_opts opts;
};

/* Returns 0 to go on, or an exit code + 1 (so 1 means exit 0). */
static int parse_options(int argc, char **argv, struct cli *cli)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"log-format", required_argument, NULL, 'F'},
		{"log-level", required_argument, NULL, 'L'},
		{"format", required_argument, NULL, 'f'},
		{"bmp-port", required_argument, NULL, 'P'},
		{"listen", required_argument, NULL, 'l'},
		{"delay", required_argument, NULL, 'd'},
		{"delay-jitter", required_argument, NULL, 'j'},
		{"json", no_argument, NULL, 'J'},
		{"realtime", no_argument, NULL, 'R'},
		{"speed", required_argument, NULL, 'S'},
		{"user", required_argument, NULL, 'u'},
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
		case 'f':
			cli->decode_format = optarg;
			break;
		case 'P': {
			char *end = NULL;

			cli->bmp_port = strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0' || cli->bmp_port < 1 ||
			    cli->bmp_port > 65535) {
				fprintf(stderr, "circuitwatch: --bmp-port must be 1..65535\n");
				return 3;
			}
			break;
		}
		case 'u':
			cli->opts.user = optarg;
			break;
		case 'l':
			cli->reflect_listen = optarg;
			break;
		case 'd':
			cli->reflect_delay = optarg;
			break;
		case 'j':
			cli->reflect_jitter = optarg;
			break;
		case 'J':
			cli->replay.json = cli->replay_flags = true;
			break;
		case 'R':
			cli->replay.realtime = cli->replay_flags = true;
			break;
		case 'S': {
			char *end = NULL;

			cli->replay_flags = true;
			cli->replay.speed = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || !(cli->replay.speed >= REPLAY_MIN_SPEED) ||
			    cli->replay.speed > REPLAY_MAX_SPEED) {
				fprintf(stderr, "circuitwatch: --speed must be 0.001..1000000\n");
				return 3;
			}
			break;
		}
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
	if (cli->command != NULL && strcmp(cli->command, "decode") == 0) {
		if (optind >= argc) {
			fprintf(stderr, "circuitwatch: decode needs a FILE (or - for stdin)\n");
			return 3;
		}
		cli->decode_file = argv[optind++];
	}
	if (cli->command != NULL && strcmp(cli->command, "replay") == 0) {
		if (optind >= argc) {
			fprintf(stderr, "circuitwatch: replay needs a capture FILE\n");
			return 3;
		}
		cli->replay.file = argv[optind++];
	}
	if (cli->replay_flags && cli->replay.file == NULL) {
		fprintf(stderr, "circuitwatch: --json, --realtime and --speed are options of replay\n");
		return 3;
	}
	if ((cli->decode_format != NULL || cli->bmp_port != 0) && cli->decode_file == NULL) {
		fprintf(stderr, "circuitwatch: --format and --bmp-port are options of decode\n");
		return 3;
	}
	if ((cli->reflect_listen != NULL || cli->reflect_delay != NULL ||
	     cli->reflect_jitter != NULL) &&
	    (cli->command == NULL || strcmp(cli->command, "reflect") != 0)) {
		fprintf(stderr, "circuitwatch: --listen, --delay and --delay-jitter are options "
				"of reflect\n");
		return 3;
	}
	if (cli->opts.user != NULL && cli->command != NULL && strcmp(cli->command, "run") != 0) {
		fprintf(stderr, "circuitwatch: --user is an option of run\n");
		return 3;
	}
	if (optind < argc) {
		fprintf(stderr, "circuitwatch: unexpected argument '%s'\n", argv[optind]);
		return 3;
	}
	if (cli->command != NULL && strcmp(cli->command, "run") != 0 &&
	    strcmp(cli->command, "check-config") != 0 && strcmp(cli->command, "decode") != 0 &&
	    strcmp(cli->command, "reflect") != 0 && strcmp(cli->command, "replay") != 0) {
		fprintf(stderr, "circuitwatch: unknown command '%s' (try --help)\n", cli->command);
		return 3;
	}
	return 0;
}

static int check_config(const char *path)
{
	struct cfg_errors errs = {0};
	struct cfg_config *cfg = NULL;

	if (daemon_config_load_file(path, &cfg, &errs) != 0) {
		cfg_errors_print(&errs, stderr);
		cfg_errors_clean(&errs);
		return 2;
	}
	printf("%s: valid (%zu circuit%s)\n", path, circuit_config(cfg)->ncircuits, circuit_config(cfg)->ncircuits == 1 ? "" : "s");
	cfg_free(cfg);
	return 0;
}

/* Whether path is a pcap/pcapng file (by its magic bytes). */
static bool is_capture(const char *path)
{
	uint8_t magic[4];
	FILE *fp = strcmp(path, "-") != 0 ? fopen(path, "rb") : NULL;
	bool yes = fp != NULL && fread(magic, 1, sizeof(magic), fp) == sizeof(magic) &&
		   decode_is_capture(magic, sizeof(magic));

	if (fp != NULL)
		fclose(fp);
	return yes;
}

/* decode of a capture: 0 read whole, 1 damaged part way, 2 errors. */
static int decode_capture(const char *path, long bmp_port)
{
	int rc = decode_pcap_file(path, (uint16_t)bmp_port, stdout, NULL);

	return rc == 0 ? 0 : rc == -1 ? 1 : 2;
}

/* decode: exit 0 when the whole input decoded, 1 when the framing was
 * lost or the input ended inside a message, 2 on usage or I/O errors. */
static int decode(const char *path, const char *format, long bmp_port)
{
	bool bgp = format != NULL && strcmp(format, "bgp") == 0;
	FILE *in = stdin;
	int rc;

	if (format != NULL && !bgp && strcmp(format, "bmp") != 0) {
		fprintf(stderr, "circuitwatch: --format must be bmp or bgp\n");
		return 2;
	}
	if (format == NULL && is_capture(path))
		return decode_capture(path, bmp_port);
	if (strcmp(path, "-") != 0 && (in = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "circuitwatch: %s: %s\n", path, strerror(errno));
		return 2;
	}
	rc = bgp ? decode_bgp_stream(in, stdout, NULL) : decode_bmp_stream(in, stdout, NULL);
	if (in != stdin)
		fclose(in);
	if (rc == -2)
		fprintf(stderr, "circuitwatch: %s: read or write error\n", path);
	else if (rc == -1)
		fprintf(stderr, "circuitwatch: %s: stopped: see the error line\n", path);
	return rc == 0 ? 0 : rc == -1 ? 1 : 2;
}

int main(int argc, char **argv)
{
	struct cli cli = {.opts = {.log_level = -1, .log_format = -1}};
	struct log *lg;
	int rc;

	/* events has its own options (none of the daemon's) */
	if (argc > 1 && strcmp(argv[1], "events") == 0)
		return kafka_events_main(argc - 1, argv + 1);
	rc = parse_cli(argc, argv, &cli);
	if (rc != 0)
		return rc - 1;
	if (cli.check_file != NULL)
		return check_config(cli.check_file);
	if (cli.decode_file != NULL)
		return decode(cli.decode_file, cli.decode_format, cli.bmp_port);
	if (cli.replay.file != NULL) {
		cli.replay.config = cli.config;
		cli.replay.schema = daemon_config_schema();
		cli.replay.speed = cli.replay.speed > 0 ? cli.replay.speed : 1.0;
		cli.replay.progress = isatty(STDERR_FILENO) == 1;
		return replay_run(&cli.replay, stdout, stderr);
	}
	cli.opts.config_path = cli.config ? cli.config : DEFAULT_CONFIG;
	lg = log_new(STDERR_FILENO,
		     cli.opts.log_level >= 0 ? (enum log_level)cli.opts.log_level : LOG_LVL_INFO,
		     cli.opts.log_format >= 0 ? (enum log_format)cli.opts.log_format
					      : LOG_FMT_LOGFMT);
	if (lg == NULL)
		return 1;
	if (cli.command != NULL && strcmp(cli.command, "reflect") == 0)
		rc = probe_reflect_main(cli.reflect_listen, cli.reflect_delay, cli.reflect_jitter,
					lg);
	else
		rc = daemon_run(&cli.opts, lg);
	log_free(lg);
	return rc;
}
