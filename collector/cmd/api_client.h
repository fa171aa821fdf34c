/* api_client.h — what `circuitwatch status` and `circuitwatch routes`
 * share: the options that say where the daemon's HTTP port is and how to
 * log in, and one GET of a /api/v1/ path over libcurl.
 *
 * Ownership: a JSON answer is the caller's (json_decref). */
#ifndef CW_CMD_API_CLIENT_H
#define CW_CMD_API_CLIENT_H

#include <getopt.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#define API_CLIENT_DEFAULT_URL "http://127.0.0.1:10179"
#define API_CLIENT_TIMEOUT_S 10L
#define API_CLIENT_MAX_BODY (64u * 1024 * 1024)

struct api_client {
	const char *url;           /* --url, or NULL */
	const char *config;        /* --config: the URL from prometheus.listen */
	const char *user;          /* --user */
	const char *password_file; /* --password-file: its first line */
	const char *cacert;        /* --cacert */
};

/* The options both commands take, first in their option tables and in
 * this order (a command's own options follow at API_OPT_COUNT): their
 * struct option entries, short options and help lines. */
enum { API_OPT_URL, API_OPT_CONFIG, API_OPT_USER, API_OPT_PASSWORD_FILE, API_OPT_CACERT,
       API_OPT_JSON, API_OPT_COUNT };
#define API_CLIENT_OPTIONS                                                                   \
	[API_OPT_URL] = {"url", required_argument, NULL, 'u'},                               \
	[API_OPT_CONFIG] = {"config", required_argument, NULL, 'c'},                         \
	[API_OPT_USER] = {"user", required_argument, NULL, 'U'},                             \
	[API_OPT_PASSWORD_FILE] = {"password-file", required_argument, NULL, 'P'},           \
	[API_OPT_CACERT] = {"cacert", required_argument, NULL, 'C'},                         \
	[API_OPT_JSON] = {"json", no_argument, NULL, 'j'}
#define API_CLIENT_SHORTOPTS "u:c:U:P:C:j"
#define API_CLIENT_USAGE                                                                     \
	"  -u, --url URL            the daemon's HTTP port (default " API_CLIENT_DEFAULT_URL ")\n" \
	"  -c, --config FILE        take the URL from FILE's prometheus.listen (and tls)\n"     \
	"  -U, --user U             basic auth user\n"                                          \
	"  -P, --password-file F    basic auth password: the first line of F\n"                 \
	"  -C, --cacert F           CA certificate(s) to check an https:// daemon with\n"       \
	"  -j, --json               print the API's JSON answer as it is\n"

/* The client the options opt (indexed as API_OPT_*, the command's
 * cmd_call.opt) say; its strings are opt's. */
struct api_client api_client_from(const char *const *opt);
/* Prints an answer as the API gave it, indented (--json). */
void api_client_print_json(const json_t *ans);

/* What a fetch came to: the exit code of the command. */
enum api_client_rc { API_OK = 0, API_UNREACHABLE = 1, API_USAGE = 2 };

/* GETs base URL + path (path already escaped) and parses the JSON answer
 * into *out. On failure prints one line on stderr and returns
 * API_UNREACHABLE (no answer, not JSON, HTTP errors but 400) or API_USAGE
 * (bad options, HTTP 400: the daemon refused the query). base (NULL:
 * not wanted) gets the base URL asked, nbase bytes at most. */
enum api_client_rc api_client_get(const struct api_client *c, const char *path, json_t **out,
				  char *base, size_t nbase);
/* The query value v escaped for a URL; NULL when out of memory (free()). */
char *api_client_escape(const char *v);

/* ---- aligned columns ---- */

#define CLI_TABLE_COLS 12

/* Rows of text cells printed with each column as wide as its widest cell. */
struct cli_table {
	size_t ncols, nrows, cap;
	char **cells; /* nrows x ncols, each the table's */
};

void cli_table_init(struct cli_table *t, size_t ncols);
/* Appends a row of t->ncols cells (NULL: "-"). */
void cli_table_add(struct cli_table *t, const char *const *row);
void cli_table_print(const struct cli_table *t, FILE *fp, const char *indent);
void cli_table_clean(struct cli_table *t);

#endif
