/* main.c — the command line: a table of the subcommands, each with its own
 * options, usage and handler (cmd/cmd.h; one file each in cmd/): run (the
 * default), check-config, decode, replay, reflect, events; plus the global
 * options --log-format, --log-level, --version and --help, before or after
 * the command, and `help [COMMAND]`. Each command's help text is its row's
 * usage (cmd/), printed by `COMMAND --help` and `help COMMAND` alike; an
 * error is one line on stderr with a hint, exit 2. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build_info.h"
#include "cmd.h"

/* The commands, in the order of `circuitwatch --help`; the first is the
 * default. */
static const struct cmd *const commands[] = {
	&cmd_run, &cmd_check_config, &cmd_decode, &cmd_replay, &cmd_reflect, &cmd_events,
	&cmd_status, &cmd_routes,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* The global options: --log-format and --log-level for the commands that
 * take them (cmd->logs), --version and --help for all. */
enum {
	GLOBAL_LOG_FORMAT,
	GLOBAL_LOG_LEVEL,
	GLOBAL_LOG_FORMAT_DOT, /* the exporters' spellings: --log.format, --log.level */
	GLOBAL_LOG_LEVEL_DOT,
	GLOBAL_VERSION,
	GLOBAL_HELP,
	NGLOBALS
};
static const struct option global_options[NGLOBALS] = {
	[GLOBAL_LOG_FORMAT] = {"log-format", required_argument, NULL, 'F'},
	[GLOBAL_LOG_LEVEL] = {"log-level", required_argument, NULL, 'L'},
	[GLOBAL_LOG_FORMAT_DOT] = {"log.format", required_argument, NULL, 'F'},
	[GLOBAL_LOG_LEVEL_DOT] = {"log.level", required_argument, NULL, 'L'},
	[GLOBAL_VERSION] = {"version", no_argument, NULL, 'V'},
	[GLOBAL_HELP] = {"help", no_argument, NULL, 'h'},
};

/* What the command line says. */
struct parse {
	struct cmd_call call;
	bool named; /* the command was given (not the default) */
};

struct log *cmd_log_new(const struct cmd_call *c)
{
	return log_new(STDERR_FILENO,
		       c->log_level >= 0 ? (enum log_level)c->log_level : LOG_LVL_INFO,
		       c->log_format >= 0 ? (enum log_format)c->log_format : LOG_FMT_LOGFMT);
}

static void usage(FILE *fp)
{
	fprintf(fp, "usage: circuitwatch [GLOBAL OPTIONS] [COMMAND] [ARGS]\n"
		    "\n"
		    "Watches private WAN circuits (ExpressRoute, Direct Connect, Interconnect)\n"
		    "and publishes their health to Prometheus.\n"
		    "\n"
		    "commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++) {
		char line[128];

		snprintf(line, sizeof(line), "%s %s", commands[i]->name, commands[i]->synopsis);
		if (strlen(line) <= 22)
			fprintf(fp, "  %-22s %s\n", line, commands[i]->summary);
		else
			fprintf(fp, "  %s\n  %22s %s\n", line, "", commands[i]->summary);
	}
	fprintf(fp, "  %-22s %s\n", "help [COMMAND]", "print this help, or the help of COMMAND");
	fprintf(fp, "\n"
		    "global options (before or after the command):\n"
		    "      --log-format FMT   logfmt (default) or json; overrides log.format\n"
		    "      --log-level LEVEL  debug, info, warn or error; overrides log.level\n"
		    "  -V, --version          print the version and exit\n"
		    "  -h, --help             print this help and exit\n"
		    "\n"
		    "'circuitwatch COMMAND --help' (or 'circuitwatch help COMMAND') prints the\n"
		    "options of COMMAND.\n"
		    "signals: SIGINT/SIGTERM stop cleanly; SIGHUP reloads the configuration.\n");
}

static void cmd_usage(const struct cmd *cmd, FILE *fp)
{
	fprintf(fp, "usage: circuitwatch %s %s\n\n%s", cmd->name, cmd->synopsis, cmd->usage);
	fprintf(fp, "\nglobal options (circuitwatch --help):%s -V, -h\n",
		cmd->logs ? " --log-format FMT, --log-level LEVEL," : "");
}

static const struct cmd *cmd_find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

/* Whether cmd takes the option: a long name ("json") or a short one ("c"). */
static bool cmd_takes(const struct cmd *cmd, const char *name, bool is_short)
{
	if (is_short)
		return strchr(cmd->shortopts, name[0]) != NULL;
	if (cmd->logs && (strcmp(name, "log-format") == 0 || strcmp(name, "log-level") == 0 ||
			  strcmp(name, "log.format") == 0 || strcmp(name, "log.level") == 0))
		return true;
	for (const struct option *o = cmd->options; o->name != NULL; o++)
		if (strcmp(o->name, name) == 0)
			return true;
	return false;
}

/* Whether an option of any command or a global one takes an argument. */
static bool needs_argument(const char *name, bool is_short)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct cmd *cmd = commands[i];
		const char *s = is_short ? strchr(cmd->shortopts, name[0]) : NULL;

		if (s != NULL)
			return s[1] == ':';
		for (const struct option *o = cmd->options; !is_short && o->name != NULL; o++)
			if (strcmp(o->name, name) == 0)
				return o->has_arg == required_argument;
	}
	for (size_t i = 0; !is_short && i < NGLOBALS; i++)
		if (strcmp(global_options[i].name, name) == 0)
			return global_options[i].has_arg == required_argument;
	return false;
}

/* The index in argv of the command (the first argument that is no option
 * nor an option's argument), or 0 when there is none. */
static int find_command(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			return i + 1 < argc ? i + 1 : 0;
		if (a[0] != '-' || a[1] == '\0')
			return i;
		if (a[1] == '-') {
			char name[64];

			snprintf(name, sizeof(name), "%.*s", (int)strcspn(a + 2, "="), a + 2);
			i += strchr(a, '=') == NULL && needs_argument(name, false);
			continue;
		}
		for (const char *p = a + 1; *p != '\0'; p++) {
			if (needs_argument(p, true)) {
				i += p[1] == '\0'; /* "-c FILE", not "-cFILE" */
				break;
			}
		}
	}
	return 0;
}

/* "run, replay": the commands that take the option, or "" when none. */
static void owners(const char *name, bool is_short, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < NCOMMANDS && n < cap; i++)
		if (cmd_takes(commands[i], name, is_short))
			n += (size_t)snprintf(out + n, cap - n, "%s%s", n > 0 ? ", " : "",
					      commands[i]->name);
}

/* An option the command does not take (a long one when is_long, else the
 * short opt): one line naming the command, the commands that do take it,
 * and where to look. */
static void refuse(const struct cmd *cmd, bool is_long, const char *arg, int opt)
{
	char name[64], who[128];
	bool is_short = !is_long;

	if (is_short)
		snprintf(name, sizeof(name), "%c", opt);
	else
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
	owners(name, is_short, who, sizeof(who));
	fprintf(stderr, "circuitwatch: %s does not take %s%s%s%s%s; try 'circuitwatch %s --help'\n",
		cmd->name, is_short ? "-" : "--", name, who[0] ? " (one of the options of " : "",
		who, who[0] ? ")" : "", cmd->name);
}

/* The getopt tables of cmd: its options, then the globals it takes. */
static void build_table(const struct cmd *cmd, struct option *longopts, char *shortopts,
			size_t cap)
{
	size_t n = 0;

	for (const struct option *o = cmd->options; o->name != NULL; o++)
		longopts[n++] = *o;
	for (size_t i = 0; i < NGLOBALS; i++)
		if (cmd->logs || i >= GLOBAL_VERSION)
			longopts[n++] = global_options[i];
	longopts[n] = (struct option){NULL, 0, NULL, 0};
	/* ':' first: a missing argument is ':', not '?'; the getopt messages are ours */
	snprintf(shortopts, cap, ":%sVh", cmd->shortopts);
}

/* `--version`: the version first (as before), then one "key: value" line
 * each, the fields circuitwatch_build_info carries. */
static void print_version(void)
{
	printf("circuitwatch %s\n"
	       "revision: %s\n"
	       "build date: %s\n",
	       CW_VERSION, CW_REVISION, CW_BUILD_DATE);
}

/* A global option; returns an exit code, or -1 to go on. */
static int global_option(struct parse *p, int c, const char *arg)
{
	enum log_level lvl;
	enum log_format fmt;

	switch (c) {
	case 'F':
		if (log_format_parse(arg, &fmt) != 0) {
			fprintf(stderr, "circuitwatch: --log-format must be logfmt or json\n");
			return 2;
		}
		p->call.log_format = (int)fmt;
		return -1;
	case 'L':
		if (log_level_parse(arg, &lvl) != 0) {
			fprintf(stderr, "circuitwatch: --log-level must be debug, info, warn or error\n");
			return 2;
		}
		p->call.log_level = (int)lvl;
		return -1;
	case 'V':
		print_version();
		return 0;
	default: /* 'h' */
		if (p->named)
			cmd_usage(p->call.cmd, stdout);
		else
			usage(stdout);
		return 0;
	}
}

/* The val of the long option "--name[=value]" among cmd's and the globals,
 * or 0. */
static int long_val(const struct cmd *cmd, const char *arg)
{
	size_t n = strcspn(arg + 2, "=");

	for (const struct option *o = cmd->options; o->name != NULL; o++)
		if (strlen(o->name) == n && strncmp(o->name, arg + 2, n) == 0)
			return o->val;
	for (size_t i = 0; i < NGLOBALS; i++)
		if (strlen(global_options[i].name) == n &&
		    strncmp(global_options[i].name, arg + 2, n) == 0)
			return global_options[i].val;
	return 0;
}

/* Whether "--name[=value]" abbreviates an option of cmd (getopt_long
 * refuses an abbreviation of two). */
static bool long_prefix(const struct cmd *cmd, const char *arg)
{
	size_t n = strcspn(arg + 2, "=");

	for (const struct option *o = cmd->options; o->name != NULL; o++)
		if (strncmp(o->name, arg + 2, n) == 0)
			return true;
	return false;
}

/* getopt_long's '?' for arg: an option cmd does not take, an ambiguous
 * abbreviation, or an argument to a flag. */
static void bad_option(const struct cmd *cmd, const char *a)
{
	/* glibc: optopt is 0 for an unknown long option, the option's val
	 * for "--flag=value", the character for an unknown short one */
	bool is_long = strncmp(a, "--", 2) == 0 && (optopt == 0 || long_val(cmd, a) == optopt);

	if (is_long && optopt != 0)
		fprintf(stderr, "circuitwatch: %.*s takes no argument; try 'circuitwatch %s "
				"--help'\n", (int)strcspn(a, "="), a, cmd->name);
	else if (is_long && long_prefix(cmd, a))
		fprintf(stderr, "circuitwatch: %.*s is ambiguous for %s; try 'circuitwatch %s "
				"--help'\n", (int)strcspn(a, "="), a, cmd->name, cmd->name);
	else
		refuse(cmd, is_long, a, optopt);
}

/* One option getopt_long returned; returns an exit code, or -1 to go on. */
static int take_option(struct parse *p, int c, char **args)
{
	const struct cmd *cmd = p->call.cmd;

	if (c == '?') {
		bad_option(cmd, args[optind - 1]);
		return 2;
	}
	if (c == ':') {
		fprintf(stderr, "circuitwatch: %s needs an argument; try 'circuitwatch %s --help'\n",
			args[optind - 1], cmd->name);
		return 2;
	}
	for (int i = 0; cmd->options[i].name != NULL; i++) {
		if (cmd->options[i].val == c) {
			p->call.opt[i] = optarg != NULL ? optarg : "";
			return -1;
		}
	}
	return global_option(p, c, optarg);
}

/* The positional arguments after the options: the one the command needs. */
static int take_args(struct parse *p, int n, char **args)
{
	const struct cmd *cmd = p->call.cmd;

	if (n < cmd->nargs) {
		fprintf(stderr, "circuitwatch: %s; try 'circuitwatch %s --help'\n", cmd->missing,
			cmd->name);
		return 2;
	}
	if (cmd->nargs > 0)
		p->call.arg = args[0];
	if (n > cmd->nargs) {
		fprintf(stderr, "circuitwatch: %s: unexpected argument '%s'; try 'circuitwatch %s "
				"--help'\n", cmd->name, args[cmd->nargs], cmd->name);
		return 2;
	}
	return -1;
}

/* Parses args (argv without the command) with the command's table. */
static int parse_options(struct parse *p, int argc, char **args)
{
	struct option longopts[CMD_OPTS_MAX + NGLOBALS + 1];
	char shortopts[2 * CMD_OPTS_MAX + 8];
	int c, rc = -1;

	build_table(p->call.cmd, longopts, shortopts, sizeof(shortopts));
	optind = 0; /* glibc: start afresh */
	opterr = 0;
	while (rc < 0 && (c = getopt_long(argc, args, shortopts, longopts, NULL)) != -1)
		rc = take_option(p, c, args);
	return rc >= 0 ? rc : take_args(p, argc - optind, args + optind);
}

static void unknown_command(const char *name)
{
	fprintf(stderr, "circuitwatch: unknown command '%s'; try 'circuitwatch --help'\n", name);
}

/* The help command's own help (`help --help`), shaped as a command's. */
static void help_usage(void)
{
	printf("usage: circuitwatch help [COMMAND]\n"
	       "\n"
	       "Prints the commands and the global options (as 'circuitwatch --help'), or\n"
	       "the usage and options of COMMAND (as 'circuitwatch COMMAND --help').\n"
	       "\n"
	       "exit: 0, 2 for an unknown COMMAND.\n");
}

static bool is_help_flag(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/* `circuitwatch help [COMMAND]` (args: what follows "help"; asked: --help
 * was given before it): the same text as `circuitwatch --help` or
 * `circuitwatch COMMAND --help`. */
static int help(int n, char **args, bool asked)
{
	const struct cmd *cmd;

	if ((n == 0 && asked) || (n > 0 && is_help_flag(args[0]))) {
		help_usage();
		return 0;
	}
	if (n == 0) {
		usage(stdout);
		return 0;
	}
	if ((cmd = cmd_find(args[0])) == NULL) {
		unknown_command(args[0]);
		return 2;
	}
	if (n > 1 && !is_help_flag(args[1])) {
		fprintf(stderr, "circuitwatch: unexpected argument '%s'; try 'circuitwatch help'\n",
			args[1]);
		return 2;
	}
	cmd_usage(cmd, stdout);
	return 0;
}

/* Finds the command and parses the command line for it into p->call;
 * returns an exit code, or -1 to run the command. */
static int parse(int argc, char **argv, char **args, struct parse *p)
{
	int at = find_command(argc, argv), n = 0;

	p->call.cmd = commands[0];
	if (at > 0 && strcmp(argv[at], "help") == 0) {
		bool asked = false;

		for (int i = 1; i < at; i++)
			asked = asked || is_help_flag(argv[i]);
		return help(argc - at - 1, argv + at + 1, asked);
	}
	if (at > 0 && (p->call.cmd = cmd_find(argv[at])) == NULL) {
		unknown_command(argv[at]);
		return 2;
	}
	p->named = at > 0;
	for (int i = 0; i < argc; i++)
		if (i != at || at == 0)
			args[n++] = argv[i];
	args[n] = NULL;
	return parse_options(p, n, args);
}

int main(int argc, char **argv)
{
	struct parse p = {.call = {.log_level = -1, .log_format = -1}};
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	int rc;

	if (args == NULL)
		return 1;
	rc = parse(argc, argv, args, &p);
	if (rc < 0)
		rc = p.call.cmd->main(&p.call);
	free(args);
	return rc;
}
