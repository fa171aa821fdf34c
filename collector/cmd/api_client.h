/* api_client.h — what `circuitwatch status` and `circuitwatch routes`
 * share: the options that say where the daemon's HTTP port is and how to
 * log in, and one GET of a /api/v1/ path over libcurl.
 *
 * Ownership: a JSON answer is the caller's (json_decref). */
#ifndef CW_CMD_API_CLIENT_H
#define CW_CMD_API_CLIENT_H

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
