/* page.c — the status page at `/`: server-rendered HTML5 of a status
 * (api_status_json), inline CSS, no script, no external resource, reloaded
 * by <meta http-equiv=refresh>. Every string from the config or the wire
 * is escaped. Pure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"

#define GREEN "#2e9e44"
#define AMBER "#f0a202"
#define RED "#d62828"

static const char style[] =
	"body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}"
	"h1{font-size:1.4em}h2{font-size:1.15em;margin:0}"
	".circuit{border:1px solid #ccc;border-radius:6px;background:#fff;margin:1em 0;padding:.8em}"
	".badge{display:inline-block;min-width:4.5em;text-align:center;color:#fff;font-weight:bold;"
	"border-radius:4px;padding:.2em .6em;margin-right:.6em}"
	".green{background:" GREEN "}.amber{background:" AMBER "}.red{background:" RED "}"
	"table{border-collapse:collapse;margin:.5em 0;font-size:.9em}"
	"td,th{border-bottom:1px solid #eee;padding:.2em .6em;text-align:left}"
	"th{background:#f0f0f0}.up{color:" GREEN ";font-weight:bold}"
	".down{color:" RED ";font-weight:bold}.muted{color:#777}ul.reasons{margin:.3em 0}";

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* A number (times scale) as text with its unit, "-" when absent. */
static void numtext(const json_t *o, const char *key, int decimals, double scale,
		    const char *unit, char *buf, size_t n)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_number(v)) {
		snprintf(buf, n, "-");
		return;
	}
	snprintf(buf, n, "%.*f%s", decimals, json_number_value(v) * scale, unit);
}

static void cell(struct api_buf *b, const char *text)
{
	api_buf_puts(b, "<td>");
	api_buf_escaped(b, text);
	api_buf_puts(b, "</td>");
}

static void time_text(double t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!(t > 0) || gmtime_r(&tt, &tm) == NULL)
		snprintf(buf, n, "-");
	else
		strftime(buf, n, "%Y-%m-%d %H:%M:%SZ", &tm);
}

static void session_row(struct api_buf *b, const json_t *l, const json_t *p, const json_t *s)
{
	const char *state = str(s, "state");
	char since[40], rx[32], tx[32], lim[32];

	time_text(json_number_value(json_object_get(s, "since")), since, sizeof(since));
	numtext(s, "prefixes_received", 0, 1, "", rx, sizeof(rx));
	numtext(s, "prefixes_advertised", 0, 1, "", tx, sizeof(tx));
	numtext(s, "prefix_limit", 0, 1, "", lim, sizeof(lim));
	api_buf_puts(b, "<tr class=\"session\">");
	cell(b, str(l, "link"));
	cell(b, str(p, "peering"));
	cell(b, str(s, "peer"));
	cell(b, str(s, "peer_as"));
	cell(b, str(s, "router"));
	api_buf_printf(b, "<td class=\"%s\">", strcmp(state, "up") == 0 ? "up" : "down");
	api_buf_escaped(b, state);
	api_buf_puts(b, "</td>");
	cell(b, since);
	cell(b, str(s, "last_down_reason"));
	cell(b, rx);
	api_buf_printf(b, "<td>%s / %s</td>", tx, lim);
	api_buf_puts(b, "</tr>\n");
}

static void sessions_table(struct api_buf *b, const json_t *c)
{
	const json_t *l, *p, *s;
	size_t i, j, k;

	api_buf_puts(b, "<table><tr><th>link</th><th>peering</th><th>neighbor</th><th>AS</th>"
			"<th>router</th><th>state</th><th>since</th><th>last down</th>"
			"<th>received</th><th>advertised / limit</th></tr>\n");
	json_array_foreach(json_object_get(c, "links"), i, l)
		json_array_foreach(json_object_get(l, "peerings"), j, p)
			json_array_foreach(json_object_get(p, "sessions"), k, s)
				session_row(b, l, p, s);
	api_buf_puts(b, "</table>\n");
}

static void link_row(struct api_buf *b, const json_t *l)
{
	const json_t *u = json_object_get(l, "utilisation"), *q;
	char in[32], out[32], rtt[32], loss[32];
	size_t i;

	numtext(u, "ingress", 1, 100, " %", in, sizeof(in));
	numtext(u, "egress", 1, 100, " %", out, sizeof(out));
	api_buf_puts(b, "<tr class=\"link\">");
	cell(b, str(l, "link"));
	cell(b, str(l, "interface"));
	api_buf_printf(b, "<td>%.0f / %.0f</td>",
		       json_number_value(json_object_get(l, "sessions_up")),
		       json_number_value(json_object_get(l, "sessions_configured")));
	cell(b, in);
	cell(b, out);
	api_buf_puts(b, "<td>");
	json_array_foreach(json_object_get(l, "probes"), i, q) {
		numtext(q, "rtt_seconds", 2, 1000, " ms", rtt, sizeof(rtt));
		numtext(q, "loss_ratio", 1, 100, " %", loss, sizeof(loss));
		api_buf_escaped(b, str(q, "probe"));
		api_buf_printf(b, " %s, loss %s<br>", rtt, loss);
	}
	api_buf_puts(b, "</td></tr>\n");
}

static void money_sla(struct api_buf *b, const json_t *c)
{
	const json_t *cost = json_object_get(c, "cost"), *sla = json_object_get(c, "sla");
	char so[32], pr[32], av[32], tg[32], left[32];

	if (cost != NULL) {
		numtext(cost, "so_far", 2, 1, "", so, sizeof(so));
		numtext(cost, "projected", 2, 1, "", pr, sizeof(pr));
		api_buf_printf(b, "<p class=\"cost\">Cost this cycle: %s ", so);
		api_buf_escaped(b, str(cost, "currency"));
		api_buf_printf(b, ", projected %s (plan ", pr);
		api_buf_escaped(b, str(cost, "plan"));
		api_buf_puts(b, ")</p>\n");
	}
	if (sla != NULL) {
		numtext(sla, "availability_any", 3, 100, " %", av, sizeof(av));
		numtext(sla, "target", 3, 100, " %", tg, sizeof(tg));
		numtext(sla, "downtime_remaining_seconds", 0, 1, " s", left, sizeof(left));
		api_buf_printf(b, "<p class=\"sla\">SLA: availability %s, target %s, downtime left %s"
				  "</p>\n", av, tg, left);
	}
}

/* The values of o's members keys (NULL-terminated), escaped, a space
 * between each two. */
static void escaped_words(struct api_buf *b, const json_t *o, const char *const *keys)
{
	for (size_t i = 0; keys[i] != NULL; i++) {
		if (i > 0)
			api_buf_puts(b, " ");
		api_buf_escaped(b, str(o, keys[i]));
	}
}

static void circuit_html(struct api_buf *b, const json_t *c)
{
	const char *state = str(c, "state");
	const json_t *r, *l;
	size_t i;

	api_buf_puts(b, "<section class=\"circuit\" id=\"circuit-");
	api_buf_escaped(b, str(c, "circuit"));
	api_buf_printf(b, "\"><h2><span class=\"badge %s\">", state);
	api_buf_escaped(b, state);
	api_buf_puts(b, "</span>");
	api_buf_escaped(b, str(c, "circuit"));
	api_buf_puts(b, " <span class=\"muted\">");
	escaped_words(b, c, (const char *const[]){"provider", "bandwidth", "location", NULL});
	api_buf_puts(b, "</span></h2>\n<ul class=\"reasons\">");
	json_array_foreach(json_object_get(c, "reasons"), i, r) {
		api_buf_puts(b, "<li>");
		api_buf_escaped(b, json_string_value(r));
		api_buf_puts(b, "</li>");
	}
	api_buf_puts(b, "</ul>\n<table><tr><th>link</th><th>interface</th><th>sessions up</th>"
			"<th>ingress</th><th>egress</th><th>probes</th></tr>\n");
	json_array_foreach(json_object_get(c, "links"), i, l)
		link_row(b, l);
	api_buf_puts(b, "</table>\n");
	sessions_table(b, c);
	money_sla(b, c);
	api_buf_puts(b, "</section>\n");
}

static void alerts_html(struct api_buf *b, const json_t *alerts)
{
	const json_t *a;
	size_t i;

	api_buf_printf(b, "<h2>Firing alerts (%zu)</h2>\n<ul class=\"alerts\">",
		       json_array_size(alerts));
	json_array_foreach(alerts, i, a) {
		api_buf_puts(b, "<li>");
		api_buf_escaped(b, str(a, "alertname"));
		api_buf_puts(b, " <span class=\"muted\">");
		escaped_words(b, a, (const char *const[]){"severity", "circuit", "link", NULL});
		api_buf_puts(b, "</span></li>");
	}
	api_buf_puts(b, "</ul>\n");
}

char *api_page_html(const json_t *status, size_t *len)
{
	struct api_buf b = {0};
	const json_t *c;
	char when[40];
	size_t i;

	time_text(json_number_value(json_object_get(status, "time")), when, sizeof(when));
	api_buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			   "<meta http-equiv=\"refresh\" content=\"%d\">"
			   "<meta name=\"viewport\" content=\"width=device-width\">"
			   "<title>circuitwatch status</title><style>",
		       API_PAGE_REFRESH_S);
	api_buf_puts(&b, style);
	api_buf_puts(&b, "</style></head><body>\n");
	api_buf_puts(&b, "<h1>circuitwatch ");
	api_buf_escaped(&b, str(status, "version"));
	api_buf_printf(&b, " <span class=\"muted\">%s</span></h1>\n", when);
	json_array_foreach(json_object_get(status, "circuits"), i, c)
		circuit_html(&b, c);
	if (json_array_size(json_object_get(status, "circuits")) == 0)
		api_buf_puts(&b, "<p>No circuits configured.</p>\n");
	alerts_html(&b, json_object_get(status, "alerts"));
	api_buf_puts(&b, "<p class=\"muted\"><a href=\"/metrics\">/metrics</a> · "
			 "<a href=\"/api/v1/status\">/api/v1/status</a> · "
			 "<a href=\"/-/healthy\">/-/healthy</a> · <a href=\"/-/ready\">/-/ready</a>"
			 "</p>\n</body></html>\n");
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}
