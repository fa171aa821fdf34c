/* replay.c — `circuitwatch replay FILE`: a capture through the passive
 * capture pipeline, then a summary. */
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon_config.h"
#include "replay.h"

enum { REPLAY_CONFIG, REPLAY_JSON, REPLAY_REALTIME, REPLAY_SPEED };

static const struct option replay_options[] = {
	[REPLAY_CONFIG] = {"config", required_argument, NULL, 'c'},
	[REPLAY_JSON] = {"json", no_argument, NULL, 'J'},
	[REPLAY_REALTIME] = {"realtime", no_argument, NULL, 'R'},
	[REPLAY_SPEED] = {"speed", required_argument, NULL, 'S'},
	{NULL, 0, NULL, 0},
};

static int replay_main(const struct cmd_call *c)
{
	struct replay_opts o = {
		.file = c->arg,
		.config = c->opt[REPLAY_CONFIG],
		.schema = daemon_config_schema(),
		.json = c->opt[REPLAY_JSON] != NULL,
		.realtime = c->opt[REPLAY_REALTIME] != NULL,
		.speed = 1.0,
		.progress = isatty(STDERR_FILENO) == 1,
	};
	const char *speed = c->opt[REPLAY_SPEED];

	if (speed != NULL) {
		char *end = NULL;

		o.speed = strtod(speed, &end);
		if (end == speed || *end != '\0' || !(o.speed >= REPLAY_MIN_SPEED) ||
		    o.speed > REPLAY_MAX_SPEED) {
			fprintf(stderr, "circuitwatch: --speed must be 0.001..1000000\n");
			return 2;
		}
	}
	return replay_run(&o, stdout, stderr);
}

const struct cmd cmd_replay = {
	.name = "replay",
	.synopsis = "[--config FILE] [--json] [--realtime [--speed X]] FILE",
	.summary = "replay a capture through the pipeline, print a summary",
	.usage = "Runs a pcap/pcapng FILE through the passive capture pipeline (as fast as\n"
		 "possible, or at recorded speed times X) and prints a summary: sessions,\n"
		 "messages, prefixes, TCP health, VLANs.\n"
		 "\n"
		 "options:\n"
		 "  -c, --config FILE      the circuits and capture settings to use (default:\n"
		 "                         the built-in defaults)\n"
		 "      --json             the summary as one JSON object\n"
		 "      --realtime         sleep between frames by their timestamps\n"
		 "      --speed X          with --realtime: X times recorded speed\n"
		 "                         (0.001..1000000, default 1)\n"
		 "\n"
		 "exit: 0, 1 when the file is damaged or truncated (summary of what was read),\n"
		 "2 on errors.\n",
	.options = replay_options,
	.shortopts = "c:",
	.logs = true,
	.nargs = 1,
	.missing = "replay needs a capture FILE",
	.main = replay_main,
};
