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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

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

/* Gzips in into a new malloc'd buffer (*out, owned by the caller). */
static int gzip_buf(const char *in, size_t len, char **out, size_t *outlen)
{
	z_stream zs = {0};
	uLong bound;
	char *buf;

	if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&zs, (uLong)len);
	buf = malloc(bound);
	if (buf == NULL) {
		deflateEnd(&zs);
		return -1;
	}
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)buf;
	zs.avail_out = (uInt)bound;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&zs);
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = zs.total_out;
	deflateEnd(&zs);
	return 0;
}

uint64_t http_body_generation(void *arg)
{
	const struct http *h = arg;

	return metrics_registry_generation(h->ctx->reg);
}

/* Snapshot, render and (for the gzip variants) compress one body. *ext
 * becomes non-NULL when the body is gzip (compression falls back to
 * identity when it fails). */
int http_render_body(void *arg, unsigned variant, char **data, size_t *len, void **ext)
{
	struct http *h = arg;
	enum expo_format fmt = variant / 2 ? EXPO_OPENMETRICS : EXPO_TEXT;
	double t0 = mono_now();
	struct expo_buf buf = {0};
	struct metrics_snapshot *snap = metrics_snapshot_take(h->ctx->reg);
	int rc;

	if (snap == NULL)
		return -1;
	rc = expo_render(snap, fmt, &buf);
	metrics_snapshot_free(h->ctx->reg, snap);
	if (rc != 0) {
		expo_buf_clean(&buf);
		return -1;
	}
	*ext = NULL;
	if (variant % 2) {
		char *z;
		size_t zlen;

		if (gzip_buf(buf.data, buf.len, &z, &zlen) == 0) {
			expo_buf_clean(&buf);
			buf.data = z;
			buf.len = zlen;
			*ext = h; /* any non-NULL: gzip */
		}
	}
	*data = buf.data;
	*len = buf.len;
	metrics_histogram_observe(h->scrape_s, mono_now() - t0);
	return 0;
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
