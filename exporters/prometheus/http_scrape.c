/* http_scrape.c — the /metrics handler of the Prometheus exporter.
 *
 * A /metrics answer is a rendered body shared by reference from the cache
 * (scache.h): per format and encoding, reused for at most
 * HTTP_CACHE_MAX_AGE and only while the registry's generation holds, which
 * the exporter's own per-scrape series (marked quiet) do not move; a stale
 * body is rendered once (snapshot, render outside any lock, gzip) while the
 * other requests for it wait and share the result. Runs on libmicrohttpd's
 * threads. */
#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expo.h"
#include "http_priv.h"
#include "metrics.h"
#include "module.h"
#include "scache.h"

/* True when Accept-Encoding lists gzip (or *) with a q-value above 0. */
static bool accepts_gzip(const char *ae)
{
	const char *p = ae;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char tok[64];
		char *q;

		if (n < sizeof(tok)) {
			memcpy(tok, p, n);
			tok[n] = '\0';
			char *t = tok + strspn(tok, " \t");
			size_t tl = strcspn(t, " \t;");

			if ((tl == 4 && strncasecmp(t, "gzip", 4) == 0) ||
			    (tl == 1 && t[0] == '*')) {
				q = strstr(t, "q=");
				if (q == NULL || strtod(q + 2, NULL) > 0)
					return true;
			}
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

uint64_t http_body_generation(void *arg)
{
	const struct http *h = arg;

	return metrics_registry_generation(h->ctx->reg);
}

/* Snapshot, render and (for the gzip variants) compress one body. *ext
 * becomes non-NULL when the body is gzip (compression falls back to
 * identity when it fails). A gzip variant reuses the compressed pieces of
 * the families that did not change since its last render (expo_gz). */
int http_render_body(void *arg, unsigned variant, bool ahead, char **data, size_t *len,
		     void **ext)
{
	struct http *h = arg;
	enum expo_format fmt = variant / 2 ? EXPO_OPENMETRICS : EXPO_TEXT;
	double t0 = mono_now();
	/* its own mapping: a body goes back to the kernel when released, not
	 * into the arena of whichever thread rendered it (http_body_release) */
	struct expo_buf buf = {.mapped = true};
	struct metrics_snapshot *snap = metrics_snapshot_take(h->ctx->reg);
	int rc = 0;

	if (snap == NULL)
		return -1;
	*ext = NULL;
	if (variant % 2 && expo_gz_render(h->gz[fmt], snap, &buf) == 0)
		*ext = h; /* any non-NULL: gzip */
	else
		rc = expo_render(snap, fmt, &buf);
	metrics_snapshot_free(h->ctx->reg, snap);
	if (rc != 0) {
		expo_buf_clean(&buf);
		return -1;
	}
	*data = expo_buf_take(&buf, len);
	metrics_histogram_observe(ahead ? h->prerender_s : h->scrape_s, mono_now() - t0);
	return 0;
}

void http_body_release(char *data, size_t len)
{
	expo_mapped_free(data, len);
}

static void release_body(void *cls)
{
	sc_body_unref(cls);
}

/* Serves the cached body of the request's variant (scache.h has the
 * freshness rule), rendering it when stale. */
enum MHD_Result http_serve_metrics(struct http *h, struct MHD_Connection *conn)
{
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
	const char *ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding");
	enum expo_format fmt = expo_negotiate(accept);
	enum sc_result res;
	struct sc_body *b = sc_get(h->bodies, VARIANT(fmt, ae != NULL && accepts_gzip(ae)),
				  mono_now(), &res);
	struct MHD_Response *resp;

	if (b == NULL)
		return http_queue(h, conn, H_METRICS, 500,
				  http_text_response("out of memory\n", "text/plain"));
	metrics_counter_add(h->cache_s[res == SC_MISS ? CR_MISS : CR_HIT], 1);
	metrics_gauge_set(h->cache_bytes, (double)sc_bytes(h->bodies));
	resp = MHD_create_response_from_buffer_with_free_callback_cls(b->len, b->data,
								       release_body, b);
	if (resp == NULL) {
		sc_body_unref(b);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, expo_content_type(fmt));
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
	if (b->ext != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	return http_queue(h, conn, H_METRICS, 200, resp);
}

/* ---- rendering ahead ---------------------------------------------------------- */

struct prerender_state {
	uint64_t gen;        /* the generation last seen */
	double held_since;   /* when it last moved */
	double moving_since; /* when it first moved after the last prepare; 0: not */
};

static void prerender_all(struct http *h, double now)
{
	static const struct sc_prepare_policy pol = {HTTP_PRERENDER_IDLE, HTTP_PRERENDER_LEAD,
						     HTTP_PRERENDER_AHEAD};

	for (unsigned v = 0; v < HTTP_VARIANTS; v++)
		(void)sc_prepare(h->bodies, v, now, &pol); /* timed by the render */
	metrics_gauge_set(h->cache_bytes, (double)sc_bytes(h->bodies));
}

/* One tick: prepare once the generation has held (or moved too long). */
static void prerender_tick(struct http *h, struct prerender_state *st)
{
	uint64_t gen = metrics_registry_generation(h->ctx->reg);
	double now = mono_now();

	if (gen != st->gen) {
		st->gen = gen;
		st->held_since = now;
		if (st->moving_since == 0)
			st->moving_since = now;
	}
	if (now - st->held_since < HTTP_PRERENDER_SETTLE &&
	    (st->moving_since == 0 || now - st->moving_since < HTTP_PRERENDER_MAX_DELAY))
		return;
	st->moving_since = 0;
	prerender_all(h, now);
}

/* The prerender thread: renders the /metrics bodies scrapers will ask for
 * next, off libmicrohttpd's threads and the loop, so that a scrape finds a
 * ready body instead of paying the snapshot, the render and the gzip. */
static void *prerender_main(void *arg)
{
	struct http *h = arg;
	struct prerender_state st = {metrics_registry_generation(h->ctx->reg), mono_now(), 0};

	pthread_mutex_lock(&h->plock);
	while (!h->stop_prerender) {
		struct timespec until;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += HTTP_PRERENDER_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->pcv, &h->plock, &until);
		if (h->stop_prerender)
			break;
		pthread_mutex_unlock(&h->plock);
		prerender_tick(h, &st);
		pthread_mutex_lock(&h->plock);
	}
	pthread_mutex_unlock(&h->plock);
	return NULL;
}

int http_start_prerender(struct http *h)
{
	pthread_condattr_t ca;
	int rc = -1;

	if (pthread_condattr_init(&ca) != 0)
		return -1;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_mutex_init(&h->plock, NULL) != 0)
		goto out;
	if (pthread_cond_init(&h->pcv, &ca) != 0) {
		pthread_mutex_destroy(&h->plock);
		goto out;
	}
	if (pthread_create(&h->prerender, NULL, prerender_main, h) != 0) {
		pthread_cond_destroy(&h->pcv);
		pthread_mutex_destroy(&h->plock);
		goto out;
	}
	h->have_prerender = true;
	rc = 0;
out:
	pthread_condattr_destroy(&ca);
	return rc;
}

void http_stop_prerender(struct http *h)
{
	if (h == NULL || !h->have_prerender)
		return;
	pthread_mutex_lock(&h->plock);
	h->stop_prerender = true;
	pthread_cond_signal(&h->pcv);
	pthread_mutex_unlock(&h->plock);
	pthread_join(h->prerender, NULL);
	pthread_cond_destroy(&h->pcv);
	pthread_mutex_destroy(&h->plock);
	h->have_prerender = false;
}
