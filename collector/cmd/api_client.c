/* api_client.c — one GET of the daemon's /api/v1/ over libcurl, for
 * `circuitwatch status` and `routes` (api_client.h). */
#include "api_client.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon_config.h"
#include "prometheus_config.h"

struct body {
	char *p;
	size_t len;
	bool too_big;
};

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t add = size * n;
	char *np;

	if (b->len + add > API_CLIENT_MAX_BODY || (np = realloc(b->p, b->len + add + 1)) == NULL) {
		b->too_big = true;
		return 0;
	}
	memcpy(np + b->len, data, add);
	b->p = np;
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

/* http(s)://HOST:PORT of prometheus.listen in the config file; NULL after
 * printing why. */
static char *url_from_config(const char *path)
{
	struct cfg_errors errs = {0};
	struct cfg_config *cfg = NULL;
	const struct cfg_prometheus *pc;
	char buf[512];
	const char *host;

	if (daemon_config_load_file(path, &cfg, &errs) != 0) {
		cfg_errors_print(&errs, stderr);
		cfg_errors_clean(&errs);
		return NULL;
	}
	pc = prometheus_config(cfg);
	host = pc->listen_host != NULL && strcmp(pc->listen_host, "0.0.0.0") != 0 &&
			       strcmp(pc->listen_host, "::") != 0
		       ? pc->listen_host
		       : "127.0.0.1";
	snprintf(buf, sizeof(buf), "%s://%s%s%s:%u", pc->tls_cert_file ? "https" : "http",
		 strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
		 pc->listen_port);
	cfg_free(cfg);
	return strdup(buf);
}

/* The first line of the password file; NULL after printing why. */
static char *read_password(const char *path)
{
	char line[1024];
	FILE *fp = fopen(path, "r");

	if (fp == NULL) {
		fprintf(stderr, "circuitwatch: cannot read password file %s\n", path);
		return NULL;
	}
	if (fgets(line, sizeof(line), fp) == NULL)
		line[0] = '\0';
	fclose(fp);
	line[strcspn(line, "\r\n")] = '\0';
	return strdup(line);
}

char *api_client_escape(const char *v)
{
	char *e = curl_easy_escape(NULL, v, 0), *out;

	if (e == NULL)
		return NULL;
	out = strdup(e);
	curl_free(e);
	return out;
}

/* The answer's JSON, or the code to exit with after printing why. */
static enum api_client_rc answer(const char *url, long code, const struct body *b,
				 json_t **out)
{
	json_error_t jerr;
	json_t *j = b->p ? json_loads(b->p, 0, &jerr) : NULL;
	const char *msg = json_string_value(json_object_get(j, "error"));

	if (code == 200 && json_is_object(j)) {
		*out = j;
		return API_OK;
	}
	if (code == 401)
		fprintf(stderr, "circuitwatch: %s: authentication required or refused "
				"(--user, --password-file)\n", url);
	else if (msg != NULL)
		fprintf(stderr, "circuitwatch: %s\n", msg);
	else if (code == 200)
		fprintf(stderr, "circuitwatch: %s: the answer is not JSON (is this circuitwatch?)\n",
			url);
	else
		fprintf(stderr, "circuitwatch: %s: HTTP %ld\n", url, code);
	json_decref(j);
	return code == 400 ? API_USAGE : API_UNREACHABLE;
}

static enum api_client_rc perform(CURL *h, const char *url, json_t **out)
{
	struct body b = {0};
	char err[CURL_ERROR_SIZE] = "";
	long code = 0;
	CURLcode rc;
	enum api_client_rc r;

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, API_CLIENT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		fprintf(stderr, "circuitwatch: cannot reach the daemon at %s: %s\n", url,
			err[0] ? err : curl_easy_strerror(rc));
		free(b.p);
		return API_UNREACHABLE;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	r = answer(url, code, &b, out);
	free(b.p);
	return r;
}

static const char *base_url(const struct api_client *c, char **owned)
{
	*owned = NULL;
	if (c->url != NULL)
		return c->url;
	if (c->config != NULL)
		return *owned = url_from_config(c->config);
	return API_CLIENT_DEFAULT_URL;
}

enum api_client_rc api_client_get(const struct api_client *c, const char *path, json_t **out,
				  char *base, size_t nbase)
{
	char *owned, *pass = NULL, *url = NULL;
	const char *b = base_url(c, &owned);
	enum api_client_rc r = API_USAGE;
	CURL *h = NULL;

	*out = NULL;
	if (b == NULL || (c->password_file != NULL && (pass = read_password(c->password_file)) == NULL))
		goto out;
	if ((url = malloc(strlen(b) + strlen(path) + 1)) == NULL ||
	    curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || (h = curl_easy_init()) == NULL) {
		fprintf(stderr, "circuitwatch: out of memory\n");
		r = API_UNREACHABLE;
		goto out;
	}
	sprintf(url, "%s%s", b, path);
	if (c->user != NULL) {
		curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, pass ? pass : "");
	}
	if (c->cacert != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	r = perform(h, url, out);
	if (base != NULL)
		snprintf(base, nbase, "%s", b);
out:
	curl_easy_cleanup(h);
	free(url);
	if (pass != NULL)
		explicit_bzero(pass, strlen(pass));
	free(pass);
	free(owned);
	return r;
}

/* ---- aligned columns ---- */

void cli_table_init(struct cli_table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols < CLI_TABLE_COLS ? ncols : CLI_TABLE_COLS;
}

void cli_table_add(struct cli_table *t, const char *const *row)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		char **nc = realloc(t->cells, cap * t->ncols * sizeof(*nc));

		if (nc == NULL)
			return;
		t->cells = nc;
		t->cap = cap;
	}
	for (size_t i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = strdup(row[i] && row[i][0] ? row[i] : "-");
	t->nrows++;
}

void cli_table_print(const struct cli_table *t, FILE *fp, const char *indent)
{
	size_t w[CLI_TABLE_COLS] = {0};

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t i = 0; i < t->ncols; i++) {
			const char *s = t->cells[r * t->ncols + i];
			size_t n = s ? strlen(s) : 1;

			w[i] = n > w[i] ? n : w[i];
		}
	for (size_t r = 0; r < t->nrows; r++) {
		fputs(indent, fp);
		for (size_t i = 0; i < t->ncols; i++) {
			const char *s = t->cells[r * t->ncols + i];

			if (i + 1 < t->ncols)
				fprintf(fp, "%-*s  ", (int)w[i], s ? s : "-");
			else
				fprintf(fp, "%s\n", s ? s : "-");
		}
	}
}

void cli_table_clean(struct cli_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

struct api_client api_client_from(const char *const *opt)
{
	return (struct api_client){opt[API_OPT_URL], opt[API_OPT_CONFIG], opt[API_OPT_USER],
				   opt[API_OPT_PASSWORD_FILE], opt[API_OPT_CACERT]};
}

void api_client_print_json(const json_t *ans)
{
	json_dumpf(ans, stdout, JSON_INDENT(2));
	printf("\n");
}
