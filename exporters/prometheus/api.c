/* api.c — the handlers of /api/v1/ and of the status page `/` on
 * libmicrohttpd's threads, and the state they keep: their metrics and the
 * last down reason of each session, learnt from the event bus.
 *
 * Threads: api_new and api_free run on the loop thread (the module's start
 * and stop), which is also where the bus calls api_on_event; the handlers
 * run on the HTTP threads. They read the model through a metrics snapshot
 * (status) and the BMP shards under each shard's lock in short slices
 * (routes: model_routes_lookup); the loop thread's own model (passive
 * capture's routers) is read by the loop thread itself, handed the lookup
 * with a deadline (api_loop.c). The table of down reasons is under `lock`; an
 * answer works on a copy of it. */
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uthash.h>

#include "api.h"
#include "bus.h"
#include "event.h"
#include "http_priv.h"
#include "model.h"
#include "module.h"

enum api_endpoint { EP_STATUS, EP_CIRCUITS, EP_SESSIONS, EP_ALERTS, EP_ROUTES, EP_PAGE,
		    EP_OTHER, EP_COUNT };

static const char *const endpoint_names[EP_COUNT] = {
	"/api/v1/status", "/api/v1/circuits", "/api/v1/sessions", "/api/v1/alerts",
	"/api/v1/routes", "/", "other"};

static const double lookup_buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
					0.01,   0.025,   0.05,   0.1,   0.25,   0.5, 1, 2.5};

struct down_entry {
	UT_hash_handle hh;
	struct api_down d;
	char reason[CW_EVENT_TEXT_MAX];
	char key[3 * CW_EVENT_TEXT_MAX + 3];
};

struct api {
	struct cw_ctx *ctx;
	struct metrics_family *requests; /* {endpoint, code} */
	struct metrics_series *lookup_s; /* route lookup time */
	pthread_mutex_t lock;            /* the down table */
	struct down_entry *downs;
	size_t ndowns;
	bool subscribed;
	struct api_loop *loop;           /* routes of the loop thread's model */
};

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the last down reason per session (loop thread writes) ---- */

static void down_key(char *k, size_t n, const char *router, const char *peer, const char *rd)
{
	snprintf(k, n, "%s|%s|%s", router, peer, rd);
}

static void api_on_event(void *arg, const struct cw_event *ev)
{
	struct api *a = arg;
	struct down_entry *e;
	char key[sizeof(e->key)];

	if (ev->type != CW_EV_BGP_SESSION_DOWN || !ev->has_peer)
		return;
	down_key(key, sizeof(key), ev->peer.router, ev->peer.address, ev->peer.rd);
	pthread_mutex_lock(&a->lock);
	HASH_FIND_STR(a->downs, key, e);
	if (e == NULL && a->ndowns < API_LAST_DOWN_MAX && (e = calloc(1, sizeof(*e))) != NULL) {
		memcpy(e->key, key, sizeof(key));
		HASH_ADD_STR(a->downs, key, e);
		a->ndowns++;
	}
	if (e != NULL) {
		snprintf(e->reason, sizeof(e->reason), "%s",
			 ev->has_reason && ev->reason.text[0] ? ev->reason.text
			 : ev->has_reason ? cw_reason_kind_name(ev->reason.kind)
					  : "unknown");
		e->d.reason = e->reason;
		e->d.time = (double)ev->time_ns / 1e9;
	}
	pthread_mutex_unlock(&a->lock);
}

/* The down table as of one request: a copy taken under the lock (at most
 * API_LAST_DOWN_MAX entries), so that building an answer never holds up
 * the loop thread's next event. */
struct down_view {
	json_t *byk;         /* key -> [time, reason] */
	struct api_down cur; /* the last answer of down_of */
};

static void down_view_take(struct api *a, struct down_view *v)
{
	struct down_entry *e, *tmp;

	v->byk = json_object();
	pthread_mutex_lock(&a->lock);
	HASH_ITER(hh, a->downs, e, tmp)
		json_object_set_new(v->byk, e->key, json_pack("[f, s]", e->d.time, e->reason));
	pthread_mutex_unlock(&a->lock);
}

/* Valid until the next call with the same view. */
static const struct api_down *down_of(void *arg, const char *router, const char *peer,
				      const char *rd)
{
	struct down_view *v = arg;
	char key[sizeof(((struct down_entry *)0)->key)];
	const json_t *e;

	down_key(key, sizeof(key), router, peer, rd);
	if ((e = json_object_get(v->byk, key)) == NULL)
		return NULL;
	v->cur.time = json_number_value(json_array_get(e, 0));
	v->cur.reason = json_string_value(json_array_get(e, 1));
	return &v->cur;
}

/* ---- the module's part ---- */

static int api_register(struct api *a, struct metrics_registry *reg)
{
	static const char *const labels[] = {"endpoint", "code"};
	const struct metrics_family_def req = {
		METRICS_COUNTER, "circuitwatch_api_requests_total",
		"Requests to the JSON API and the status page, by endpoint and status code.", NULL,
		2, labels, 0, NULL};
	const struct metrics_family_def lk = {
		METRICS_HISTOGRAM, "circuitwatch_api_route_lookup_seconds",
		"Time of one looking-glass lookup across every BMP shard (wall time, lock waits "
		"included).",
		"seconds", 0, NULL, sizeof(lookup_buckets) / sizeof(lookup_buckets[0]),
		lookup_buckets};
	struct metrics_family *f;

	a->requests = metrics_family_new(reg, &req);
	f = metrics_family_new(reg, &lk);
	if (a->requests == NULL || f == NULL || (a->lookup_s = metrics_series_get(f, NULL)) == NULL)
		return -1;
	return 0;
}

struct api *api_new(struct cw_ctx *ctx)
{
	struct api *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->ctx = ctx;
	pthread_mutex_init(&a->lock, NULL);
	if (api_register(a, ctx->reg) != 0) {
		api_free(a);
		return NULL;
	}
	a->subscribed = ctx->events != NULL && ev_subscribe(ctx->events, api_on_event, a) == 0;
	a->loop = api_loop_new(ctx);
	return a;
}

void api_free(struct api *a)
{
	struct down_entry *e, *tmp;

	if (a == NULL)
		return;
	if (a->subscribed)
		ev_unsubscribe(a->ctx->events, api_on_event, a);
	api_loop_free(a->loop);
	HASH_ITER(hh, a->downs, e, tmp) {
		HASH_DEL(a->downs, e);
		free(e);
	}
	pthread_mutex_destroy(&a->lock);
	free(a);
}

/* ---- answers ---- */

static void count(struct api *a, enum api_endpoint ep, unsigned code)
{
	char c[8];
	const char *labels[] = {endpoint_names[ep], c};

	snprintf(c, sizeof(c), "%u", code);
	metrics_counter_add(metrics_series_get(a->requests, labels), 1);
}

/* Queues body (taken: freed by libmicrohttpd) with its type. */
static enum MHD_Result send_body(struct http *h, struct MHD_Connection *conn,
				 enum api_endpoint ep, unsigned code, char *body, size_t len,
				 const char *type)
{
	struct MHD_Response *r;

	if (body == NULL)
		return http_queue(h, conn, ep == EP_PAGE ? H_ROOT : H_API, 500,
				  http_text_response("out of memory\n", "text/plain"));
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	count(h->api, ep, code);
	return http_queue(h, conn, ep == EP_PAGE ? H_ROOT : H_API, code, r);
}

static enum MHD_Result send_json(struct http *h, struct MHD_Connection *conn,
				 enum api_endpoint ep, unsigned code, json_t *j)
{
	char *body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return send_body(h, conn, ep, code, body, body ? strlen(body) : 0,
			 "application/json; charset=utf-8");
}

static enum MHD_Result send_error(struct http *h, struct MHD_Connection *conn,
				  enum api_endpoint ep, unsigned code, const char *msg)
{
	return send_json(h, conn, ep, code,
			 json_pack("{s:s, s:i}", "error", msg, "code", (int)code));
}

/* A snapshot of the registry and, with it, of the downs into *v; NULL (and
 * nothing in *v) when the snapshot fails. Both are the caller's: view_drop. */
static struct metrics_snapshot *view_take(struct api *a, struct down_view *v)
{
	struct metrics_snapshot *snap = metrics_snapshot_take(a->ctx->reg);

	if (snap != NULL)
		down_view_take(a, v);
	return snap;
}

static void view_drop(struct api *a, struct metrics_snapshot *snap, struct down_view *v)
{
	json_decref(v->byk);
	metrics_snapshot_free(a->ctx->reg, snap);
}

static json_t *status_now(struct api *a)
{
	struct down_view v;
	struct metrics_snapshot *snap = view_take(a, &v);
	json_t *j;

	if (snap == NULL)
		return NULL;
	j = api_status_json(snap, wall_now(), down_of, &v);
	view_drop(a, snap, &v);
	if (j != NULL)
		json_object_set_new(j, "ready", json_boolean(atomic_load(&a->ctx->ready)));
	return j;
}

static json_t *sessions_now(struct api *a)
{
	struct down_view v;
	struct metrics_snapshot *snap = view_take(a, &v);
	json_t *j;

	if (snap == NULL)
		return NULL;
	j = api_sessions_json(snap, API_MAX_SESSIONS, down_of, &v);
	view_drop(a, snap, &v);
	return j;
}

/* One member of a status, alone: {"circuits": [...]}. */
static json_t *member(json_t *status, const char *key)
{
	json_t *j = status ? json_pack("{s:O}", key, json_object_get(status, key)) : NULL;

	json_decref(status);
	return j;
}

enum MHD_Result page_serve(struct http *h, struct MHD_Connection *conn)
{
	json_t *st = status_now(h->api);
	size_t len = 0;
	char *html = st != NULL ? api_page_html(st, &len) : NULL;

	json_decref(st);
	return send_body(h, conn, EP_PAGE, 200, html, len, "text/html; charset=utf-8");
}

/* ---- the looking glass ---- */

/* Under a shard's lock (or on the loop thread): the route as JSON. */
bool api_collect_route(void *arg, const struct model_route *r)
{
	struct api_hits *hs = arg;
	char prefix[64];
	json_t *o;

	if (json_array_size(hs->routes) >= hs->max) {
		hs->truncated = true;
		return false;
	}
	api_format_prefix(&r->prefix, prefix, sizeof(prefix));
	o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "prefix",
		      prefix, "router", r->router, "source", model_source_name(r->source),
		      "peer_as", (json_int_t)r->asn, "peer", r->peer, "rd", r->rd, "state",
		      r->up ? "up" : "down", "circuit", r->circuit, "link", r->link, "peering",
		      r->peering, "view", model_view_name(r->view), "afi_safi",
		      model_af_name(r->af));
	if (o == NULL)
		return true;
	json_object_set_new(o, "attributes", api_attrs_json(r->attrs, r->attrs_len));
	json_array_append_new(hs->routes, o);
	return true;
}

/* The loop thread's routes (passive capture) after the shards'; false
 * when it did not answer in time. */
static bool loop_routes(struct api *a, const struct rib_prefix *want, bool longest,
			struct api_hits *hs)
{
	struct api_hits lh = {NULL, 0, false};
	size_t room = hs->max - json_array_size(hs->routes);

	if (hs->truncated)
		return true;
	if (api_loop_lookup(a->loop, want, longest, room, API_LOOP_TIMEOUT_S, &lh) != 0)
		return false;
	json_array_extend(hs->routes, lh.routes);
	hs->truncated = lh.truncated;
	json_decref(lh.routes);
	return true;
}

static json_t *routes_lookup(struct api *a, const struct rib_prefix *want, bool longest)
{
	struct model_lookup_opts o = {longest, true, API_LOOKUP_SLICE_S};
	struct api_hits hs = {json_array(), API_MAX_HITS, false};
	char p[64];
	double t0 = mono_now(), took;
	bool loop_ok;

	for (size_t i = 0; i < a->ctx->nshards && !hs.truncated; i++)
		(void)model_routes_lookup(a->ctx->shards[i], want, &o, api_collect_route, &hs);
	loop_ok = loop_routes(a, want, longest, &hs);
	took = mono_now() - t0;
	metrics_histogram_observe(a->lookup_s, took);
	api_format_prefix(want, p, sizeof(p));
	return json_pack("{s:{s:s, s:s}, s:o, s:I, s:b, s:f, s:o}", "query", "prefix", p,
			 "match", longest ? "longest" : "exact", "routes", hs.routes, "count",
			 (json_int_t)json_array_size(hs.routes), "truncated", hs.truncated,
			 "lookup_seconds", took, "sources_excluded",
			 loop_ok ? json_array() : json_pack("[s]", "pcap"));
}

static enum MHD_Result serve_routes(struct http *h, struct MHD_Connection *conn)
{
	const char *prefix = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "prefix");
	const char *match = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "match");
	struct rib_prefix want;
	char err[128];
	bool longest = match == NULL || strcmp(match, "longest") == 0;

	if (!longest && strcmp(match, "exact") != 0)
		return send_error(h, conn, EP_ROUTES, 400, "match must be exact or longest");
	if (api_parse_prefix(prefix, &want, err, sizeof(err)) != 0)
		return send_error(h, conn, EP_ROUTES, 400, err);
	return send_json(h, conn, EP_ROUTES, 200, routes_lookup(h->api, &want, longest));
}

static enum api_endpoint endpoint_of(const char *url)
{
	for (int i = 0; i < EP_PAGE; i++)
		if (strcmp(url, endpoint_names[i]) == 0)
			return (enum api_endpoint)i;
	return EP_OTHER;
}

enum MHD_Result api_serve(struct http *h, struct MHD_Connection *conn, const char *url)
{
	enum api_endpoint ep = endpoint_of(url);
	struct api *a = h->api;
	json_t *j;

	switch (ep) {
	case EP_STATUS:
		j = status_now(a);
		break;
	case EP_CIRCUITS:
		j = member(status_now(a), "circuits");
		break;
	case EP_ALERTS:
		j = member(status_now(a), "alerts");
		break;
	case EP_SESSIONS:
		j = sessions_now(a);
		break;
	case EP_ROUTES:
		return serve_routes(h, conn);
	default:
		return send_error(h, conn, EP_OTHER, 404,
				  "no such endpoint: see /api/v1/status, circuits, sessions, "
				  "alerts, routes?prefix=P");
	}
	if (j == NULL)
		return send_error(h, conn, ep, 500, "out of memory");
	return send_json(h, conn, ep, 200, j);
}
