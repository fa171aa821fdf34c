/* events.c — `circuitwatch events`: a Kafka topic's events as JSON lines
 * (the consumer is exporters/kafka/consume.c). */
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>

#include "kafka.h"

enum { EVENTS_BROKERS, EVENTS_TOPIC, EVENTS_FROM_BEGINNING, EVENTS_MAX, EVENTS_TIMEOUT };

static const struct option events_options[] = {
	[EVENTS_BROKERS] = {"brokers", required_argument, NULL, 'b'},
	[EVENTS_TOPIC] = {"topic", required_argument, NULL, 't'},
	[EVENTS_FROM_BEGINNING] = {"from-beginning", no_argument, NULL, 'f'},
	[EVENTS_MAX] = {"max", required_argument, NULL, 'm'},
	[EVENTS_TIMEOUT] = {"timeout", required_argument, NULL, 'T'},
	{NULL, 0, NULL, 0},
};

/* The option values into o; -1 after one line naming what is wrong. */
static int events_opts(const struct cmd_call *c, struct kafka_events_opts *o)
{
	const char *max = c->opt[EVENTS_MAX], *timeout = c->opt[EVENTS_TIMEOUT];
	const char *bad = NULL;
	char *end;

	o->brokers = c->opt[EVENTS_BROKERS];
	o->topic = c->opt[EVENTS_TOPIC];
	o->from_beginning = c->opt[EVENTS_FROM_BEGINNING] != NULL;
	if (max != NULL && ((o->max = strtol(max, &end, 10)) < 1 || *end != '\0' || end == max))
		bad = "--max must be a whole number of at least 1";
	if (timeout != NULL && (!((o->timeout = strtod(timeout, &end)) > 0) || *end != '\0'))
		bad = "--timeout must be a number of seconds above 0";
	if (o->brokers == NULL || o->topic == NULL)
		bad = "events needs --brokers and --topic";
	if (bad == NULL)
		return 0;
	fprintf(stderr, "circuitwatch: %s; try 'circuitwatch events --help'\n", bad);
	return -1;
}

static int events_main(const struct cmd_call *c)
{
	struct kafka_events_opts o = {0};

	if (events_opts(c, &o) != 0)
		return 2;
	return kafka_events_run(&o);
}

const struct cmd cmd_events = {
	.name = "events",
	.synopsis = "--brokers B --topic T [--from-beginning] [--max N] [--timeout S]",
	.summary = "print the events of a Kafka topic as JSON lines",
	.usage = "Consumes topic T and prints each event as a JSON line (protobuf or JSON\n"
		 "messages, by their content-type header), from the end of the topic unless\n"
		 "--from-beginning.\n"
		 "\n"
		 "options:\n"
		 "  -b, --brokers B        the brokers, HOST:PORT[,...]\n"
		 "  -t, --topic T          the topic\n"
		 "  -f, --from-beginning   from the first event of each partition\n"
		 "  -m, --max N            stop after N events\n"
		 "  -T, --timeout S        stop after S seconds without an event\n"
		 "\n"
		 "exit: 0, 1 when the topic cannot be read, 2 on usage errors.\n",
	.options = events_options,
	.shortopts = "b:t:fm:T:",
	.logs = false,
	.main = events_main,
};
