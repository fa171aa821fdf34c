/* routes.c — `circuitwatch routes PREFIX`: the looking glass of the
 * running daemon (/api/v1/routes): which routers, peers, views, circuits
 * and links carry a prefix, with the path attributes. */
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"

enum { RT_EXACT = API_OPT_COUNT };

static const struct option routes_options[] = {
	API_CLIENT_OPTIONS,
	[RT_EXACT] = {"exact", no_argument, NULL, 'e'},
	{NULL, 0, NULL, 0},
};

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* "12076:1 12076:2" from a list of strings. */
static void joined(const json_t *a, char *buf, size_t n)
{
	const json_t *v;
	size_t i, o = 0;

	buf[0] = '\0';
	json_array_foreach(a, i, v) {
		int w = snprintf(buf + o, n - o, "%s%s", i ? " " : "", json_string_value(v));

		if (w < 0 || (size_t)w >= n - o)
			break;
		o += (size_t)w;
	}
}

static void route_row(struct cli_table *t, const json_t *r)
{
	const json_t *at = json_object_get(r, "attributes");
	char as[32], comm[512], lp[32] = "", med[32] = "";
	const json_t *v;

	snprintf(as, sizeof(as), "%lld", json_integer_value(json_object_get(r, "peer_as")));
	joined(json_object_get(at, "communities"), comm, sizeof(comm));
	if ((v = json_object_get(at, "local_pref")) != NULL)
		snprintf(lp, sizeof(lp), "%lld", json_integer_value(v));
	if ((v = json_object_get(at, "med")) != NULL)
		snprintf(med, sizeof(med), "%lld", json_integer_value(v));
	{
		const char *row[] = {str(r, "prefix"),  str(r, "router"), str(r, "peer"), as,
				     str(r, "view"),    str(r, "circuit"), str(r, "link"),
				     str(at, "next_hop"), str(at, "as_path"), lp, med, comm};

		cli_table_add(t, row);
	}
}

static void print_routes(const json_t *ans)
{
	static const char *const head[] = {"PREFIX", "ROUTER", "PEER", "AS", "VIEW", "CIRCUIT",
					   "LINK", "NEXT HOP", "AS PATH", "LPREF", "MED",
					   "COMMUNITIES"};
	const json_t *q = json_object_get(ans, "query"), *r;
	struct cli_table t;
	size_t i, n = json_array_size(json_object_get(ans, "routes"));

	printf("%s match for %s: %zu route%s%s\n", str(q, "match"), str(q, "prefix"), n,
	       n == 1 ? "" : "s",
	       json_is_true(json_object_get(ans, "truncated")) ? " (truncated)" : "");
	if (n == 0)
		return;
	cli_table_init(&t, 12);
	cli_table_add(&t, head);
	json_array_foreach(json_object_get(ans, "routes"), i, r)
		route_row(&t, r);
	cli_table_print(&t, stdout, "");
	cli_table_clean(&t);
}

static int routes_main(const struct cmd_call *c)
{
	const struct api_client cl = api_client_from(c->opt);
	char *esc = api_client_escape(c->arg), *path;
	json_t *ans = NULL;
	enum api_client_rc rc = API_UNREACHABLE;
	size_t n;

	if (esc == NULL)
		return 1;
	n = strlen(esc) + 64;
	path = malloc(n);
	if (path != NULL) {
		snprintf(path, n, "/api/v1/routes?prefix=%s&match=%s", esc,
			 c->opt[RT_EXACT] ? "exact" : "longest");
		rc = api_client_get(&cl, path, &ans, NULL, 0);
	}
	free(path);
	free(esc);
	if (rc != API_OK)
		return (int)rc;
	if (c->opt[API_OPT_JSON] != NULL)
		api_client_print_json(ans);
	else
		print_routes(ans);
	json_decref(ans);
	return 0;
}

const struct cmd cmd_routes = {
	.name = "routes",
	.synopsis = "PREFIX [--exact] [--url URL | --config FILE] [--user U --password-file F] "
		    "[--cacert F] [--json]",
	.summary = "look a prefix up in the running daemon's RIBs (looking glass)",
	.usage = "Asks the running daemon (its /api/v1/routes) for the routes of PREFIX\n"
		 "(an IPv4 or IPv6 prefix, or an address) in every router's peers and RIB\n"
		 "views: per view the longest prefix covering it, or with --exact PREFIX\n"
		 "itself. Prints router, peer, view, circuit, link and the path attributes.\n"
		 "\n"
		 "options:\n"
		 "  -e, --exact              exact match only (default: longest match)\n"
		 API_CLIENT_USAGE
		 "\n"
		 "exit: 0 (also when nothing matches), 1 when the daemon cannot be reached or\n"
		 "refuses, 2 on usage errors (a bad PREFIX).\n",
	.options = routes_options,
	.shortopts = API_CLIENT_SHORTOPTS "e",
	.logs = false,
	.nargs = 1,
	.missing = "routes needs a PREFIX",
	.main = routes_main,
};
