/* reflect.c — `circuitwatch reflect`: the STAMP Session-Reflector. */
#include "cmd.h"

#include "reflector.h"

enum { REFLECT_LISTEN, REFLECT_DELAY, REFLECT_JITTER };

static const struct option reflect_options[] = {
	[REFLECT_LISTEN] = {"listen", required_argument, NULL, 'l'},
	[REFLECT_DELAY] = {"delay", required_argument, NULL, 'd'},
	[REFLECT_JITTER] = {"delay-jitter", required_argument, NULL, 'j'},
	{NULL, 0, NULL, 0},
};

static int reflect_main(const struct cmd_call *c)
{
	struct log *lg = cmd_log_new(c);
	int rc;

	if (lg == NULL)
		return 1;
	rc = probe_reflect_main(c->opt[REFLECT_LISTEN], c->opt[REFLECT_DELAY],
				c->opt[REFLECT_JITTER], lg);
	log_free(lg);
	return rc;
}

const struct cmd cmd_reflect = {
	.name = "reflect",
	.synopsis = "--listen ADDR[:PORT] [--delay MS] [--delay-jitter MS]",
	.summary = "answer STAMP/TWAMP-Light test packets (RFC 8762)",
	.usage = "Answers STAMP/TWAMP-Light test packets (RFC 8762) on UDP ADDR:PORT; runs\n"
		 "until SIGINT/SIGTERM, then prints its counters.\n"
		 "\n"
		 "options:\n"
		 "      --listen ADDR[:PORT]\n"
		 "                         where to listen: an IPv4 address, [IPv6]:PORT,\n"
		 "                         [IPv6] or a bare IPv6 address; the port defaults\n"
		 "                         to 862, which needs root or CAP_NET_BIND_SERVICE\n"
		 "      --delay MS         hold each reply MS milliseconds\n"
		 "      --delay-jitter MS  +/- MS milliseconds around --delay\n"
		 "\n"
		 "exit: 0 after SIGINT/SIGTERM, 1 when the address cannot be bound, 2 for\n"
		 "usage errors.\n",
	.options = reflect_options,
	.shortopts = "",
	.logs = true,
	.main = reflect_main,
};
