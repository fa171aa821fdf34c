/* api.h — the JSON API under /api/v1/, the looking glass and the status
 * page of the Prometheus exporter's HTTP server: the pure parts (no
 * sockets, no threads), public for the unit tests.
 *
 * The status of the circuits is built from a metrics snapshot alone (the
 * registry is safe to read from the HTTP threads, the config is not): the
 * info series give circuits, links, peerings and neighbours, the session,
 * link, probe, billing, SLA and alert series the rest.
 *
 * Ownership: every json_t returned is a new reference owned by the caller
 * (json_decref); every char * is the caller's (free). */
#ifndef CW_PROMETHEUS_API_H
#define CW_PROMETHEUS_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "rib.h"

#define API_MAX_HITS 1000        /* routes in one /api/v1/routes answer */
#define API_MAX_SESSIONS 20000   /* sessions in one /api/v1/sessions answer */
#define API_LOOKUP_SLICE_S 0.001 /* a shard's lock is held about this long at a time */
#define API_LOOP_TIMEOUT_S 1.0   /* the loop thread's share of a lookup: its deadline */
#define API_LAST_DOWN_MAX 4096   /* sessions whose last down reason is kept */
#define API_PAGE_REFRESH_S 10    /* the status page reloads itself this often */
#define API_UTIL_HIGH 0.8        /* utilisation from which a circuit is amber */
#define API_SLA_LOW 0.25         /* SLA downtime budget left (fraction) under which amber */

/* ---- prefixes ---- */

/* Parses "192.0.2.0/24", "2001:db8::/32" or an address alone (a host
 * prefix) into *out, host bits beyond the length cleared. Returns 0, or -1
 * with a one-line reason in err. */
int api_parse_prefix(const char *text, struct rib_prefix *out, char *err, size_t errlen);
/* "192.0.2.0/24"; buf of at least 64 bytes. */
void api_format_prefix(const struct rib_prefix *p, char *buf, size_t n);

/* ---- snapshot labels ---- */

/* The value of label name in a snapshot series' rendered labels
 * (`a="x",b="y"`), unescaped into out; false when absent (out ""). */
bool api_label(const char *labels, const char *name, char *out, size_t n);

/* ---- status ---- */

/* The last time a session went down and why, as the event bus said:
 * looked up by (router, peer, rd); NULL when not known. */
struct api_down {
	double time;
	const char *reason;
};
typedef const struct api_down *(*api_down_fn)(void *arg, const char *router, const char *peer,
					      const char *rd);

/* The whole status: {"version", "time", "circuits": [...], "alerts":
 * [...], "sessions_unmapped": {...}} (docs/api.md). down may be NULL. */
json_t *api_status_json(const struct metrics_snapshot *snap, double now, api_down_fn down,
			void *down_arg);
/* Every session of the snapshot, mapped or not, at most max
 * ({"sessions": [...], "truncated": bool}). */
json_t *api_sessions_json(const struct metrics_snapshot *snap, size_t max, api_down_fn down,
			  void *down_arg);

/* ---- routes ---- */

/* The decoded attributes of a canonical attribute-set key (model.h,
 * "looking glass"): {"origin", "as_path", "next_hop", "med", ...}. */
json_t *api_attrs_json(const uint8_t *key, size_t len);

/* ---- the status page ---- */

/* The HTML5 page of a status (api_status_json's); NULL when out of
 * memory. */
char *api_page_html(const json_t *status, size_t *len);
/* Appends s to buf HTML-escaped (& < > " '); false when out of memory. */
struct api_buf {
	char *p;
	size_t len, cap;
	bool failed;
};
void api_buf_puts(struct api_buf *b, const char *s);
void api_buf_printf(struct api_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void api_buf_escaped(struct api_buf *b, const char *s);

#endif
