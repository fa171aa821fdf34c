/* status.c — `circuitwatch status`: the running daemon's circuits on one
 * screen (circuit → link → peering → session, utilisation, probes, cost,
 * SLA, firing alerts), from its /api/v1/status; --json prints the answer. */
#include "cmd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_client.h"

static const struct option status_options[] = {
	API_CLIENT_OPTIONS,
	{NULL, 0, NULL, 0},
};

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* A number of o (times scale) with decimals and unit, "-" when absent. */
static const char *num(const json_t *o, const char *key, int decimals, double scale,
		       const char *unit, char *buf, size_t n)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		return "-";
	snprintf(buf, n, "%.*f%s", decimals, json_number_value(v) * scale, unit);
	return buf;
}

/* "3d4h", "5m12s": how long ago t was. */
static const char *ago(const json_t *o, const char *key, double now, char *buf, size_t n)
{
	const json_t *v = json_object_get(o, key);
	double d = json_is_number(v) ? now - json_number_value(v) : NAN;
	long s = isfinite(d) && d > 0 ? (long)d : 0;

	if (!json_is_number(v) || !(json_number_value(v) > 0))
		return "-";
	if (s >= 86400)
		snprintf(buf, n, "%ldd%ldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, n, "%ldh%ldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, n, "%ldm%lds", s / 60, s % 60);
	return buf;
}

static void session_row(struct cli_table *t, const json_t *l, const json_t *p, const json_t *s,
			double now)
{
	char since[32], rx[32], tx[32], lim[32], adv[72], down[300];
	const json_t *dr = json_object_get(s, "last_down_reason");

	snprintf(adv, sizeof(adv), "%s/%s", num(s, "prefixes_advertised", 0, 1, "", tx, sizeof(tx)),
		 num(s, "prefix_limit", 0, 1, "", lim, sizeof(lim)));
	snprintf(down, sizeof(down), "%s", json_is_string(dr) ? json_string_value(dr) : "-");
	{
		const char *row[] = {str(l, "link"),
				     str(p, "peering"),
				     str(s, "peer"),
				     str(s, "peer_as"),
				     str(s, "router"),
				     str(s, "state"),
				     ago(s, "since", now, since, sizeof(since)),
				     num(s, "prefixes_received", 0, 1, "", rx, sizeof(rx)),
				     adv,
				     down};

		cli_table_add(t, row);
	}
}

static void sessions(const json_t *c, double now)
{
	static const char *const head[] = {"LINK", "PEERING", "NEIGHBOR", "AS", "ROUTER",
					   "STATE", "SINCE", "RCVD", "ADV/LIMIT", "LAST DOWN"};
	struct cli_table t;
	const json_t *l, *p, *s;
	size_t i, j, k;

	cli_table_init(&t, 10);
	cli_table_add(&t, head);
	json_array_foreach(json_object_get(c, "links"), i, l)
		json_array_foreach(json_object_get(l, "peerings"), j, p)
			json_array_foreach(json_object_get(p, "sessions"), k, s)
				session_row(&t, l, p, s, now);
	cli_table_print(&t, stdout, "  ");
	cli_table_clean(&t);
}

static void links(const json_t *c)
{
	const json_t *l, *q, *u;
	char a[32], b[32], rtt[32], loss[32];
	size_t i, j;

	json_array_foreach(json_object_get(c, "links"), i, l) {
		u = json_object_get(l, "utilisation");
		printf("  %-9s utilisation in %s out %s", str(l, "link"),
		       num(u, "ingress", 1, 100, "%", a, sizeof(a)),
		       num(u, "egress", 1, 100, "%", b, sizeof(b)));
		json_array_foreach(json_object_get(l, "probes"), j, q)
			printf("; probe %s %s rtt %s loss %s", str(q, "probe"), str(q, "target"),
			       num(q, "rtt_seconds", 2, 1000, " ms", rtt, sizeof(rtt)),
			       num(q, "loss_ratio", 1, 100, "%", loss, sizeof(loss)));
		printf("\n");
	}
}

static void money_sla(const json_t *c)
{
	const json_t *cost = json_object_get(c, "cost"), *sla = json_object_get(c, "sla");
	char a[32], b[32], d[32], e[32];

	if (cost != NULL)
		printf("  cost      %s %s so far, %s projected (plan %s)\n",
		       num(cost, "so_far", 2, 1, "", a, sizeof(a)), str(cost, "currency"),
		       num(cost, "projected", 2, 1, "", b, sizeof(b)), str(cost, "plan"));
	if (sla != NULL)
		printf("  sla       availability %s (redundant %s), target %s, downtime left %s\n",
		       num(sla, "availability_any", 3, 100, "%", a, sizeof(a)),
		       num(sla, "availability_redundant", 3, 100, "%", b, sizeof(b)),
		       num(sla, "target", 3, 100, "%", d, sizeof(d)),
		       num(sla, "downtime_remaining_seconds", 0, 1, " s", e, sizeof(e)));
}

static void circuit(const json_t *c, double now)
{
	const json_t *r;
	size_t i;
	char state[16];

	snprintf(state, sizeof(state), "%s", str(c, "state"));
	for (char *p = state; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	printf("\n%s  %s %s %s  %s", str(c, "circuit"), str(c, "provider"), str(c, "tier"),
	       str(c, "bandwidth"), state);
	json_array_foreach(json_object_get(c, "reasons"), i, r)
		printf("%s%s", i ? "; " : ": ", json_string_value(r));
	printf("\n");
	sessions(c, now);
	links(c);
	money_sla(c);
}

static void print_status(const json_t *st, const char *base)
{
	double now = json_number_value(json_object_get(st, "time"));
	const json_t *c, *a, *um = json_object_get(st, "sessions_unmapped");
	time_t t = (time_t)now;
	struct tm tm;
	char when[40] = "-";
	size_t i;

	if (gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm);
	printf("circuitwatch %s at %s, %s\n", str(st, "version"), base, when);
	json_array_foreach(json_object_get(st, "circuits"), i, c)
		circuit(c, now);
	if (json_array_size(json_object_get(st, "circuits")) == 0)
		printf("\nno circuits configured\n");
	printf("\nalerts firing: %zu\n", json_array_size(json_object_get(st, "alerts")));
	json_array_foreach(json_object_get(st, "alerts"), i, a)
		printf("  %s  %s  %s %s %s\n", str(a, "alertname"), str(a, "severity"),
		       str(a, "circuit"), str(a, "link"), str(a, "peering"));
	printf("sessions not mapped to a circuit: %lld up of %lld\n",
	       json_integer_value(json_object_get(um, "up")),
	       json_integer_value(json_object_get(um, "total")));
}

static int status_main(const struct cmd_call *c)
{
	const struct api_client cl = api_client_from(c->opt);
	char base[512] = "";
	json_t *st;
	enum api_client_rc rc = api_client_get(&cl, "/api/v1/status", &st, base, sizeof(base));

	if (rc != API_OK)
		return (int)rc;
	if (c->opt[API_OPT_JSON] != NULL)
		api_client_print_json(st);
	else
		print_status(st, base);
	json_decref(st);
	return 0;
}

const struct cmd cmd_status = {
	.name = "status",
	.synopsis = "[--url URL | --config FILE] [--user U --password-file F] [--cacert F] [--json]",
	.summary = "show the running daemon's circuits, sessions, costs and alerts",
	.usage = "Asks the running daemon (its /api/v1/status over HTTP) and prints each\n"
		 "circuit with its state (green, amber, red and why), its sessions (link,\n"
		 "peering, neighbour, state, since, prefixes received, advertised/limit, last\n"
		 "down reason), link utilisation, probes, cost, SLA, and the firing alerts.\n"
		 "\n"
		 "options:\n"
		 API_CLIENT_USAGE
		 "\n"
		 "exit: 0, 1 when the daemon cannot be reached or refuses, 2 on usage errors.\n",
	.options = status_options,
	.shortopts = API_CLIENT_SHORTOPTS,
	.logs = false,
	.main = status_main,
};
