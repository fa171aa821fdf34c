/* scache.h — the cache of rendered /metrics bodies, one per variant
 * (format x encoding), with single flight.
 *
 * Freshness: a body is reused for at most max_age seconds after its render
 * began, and only while the source's generation (for the exporter:
 * metrics_registry_generation, which excludes the exporter's own quiet
 * per-scrape series) is the one it was rendered at; so the quiet series
 * in a reused body are at most max_age old. Single flight: a
 * request that finds its variant stale waits while another renders it and
 * shares the result of any render that finished after it arrived, even
 * when the generation moved meanwhile (the body is at most one render
 * older than the request): 200 scrapers arriving together cost one
 * render, not 200.
 *
 * Rendering ahead: sc_prepare renders a variant that is stale (or would
 * go stale by age within `ahead` seconds) before anyone asks, so that the
 * next request finds it ready; only for a variant asked for recently, and
 * only when its next request is due soon (see struct sc_prepare_policy).
 * A request arriving during that render waits for it and shares it, as
 * with any render in progress.
 *
 * Ownership: sc_get returns a body with a reference the caller owns
 * (release with sc_body_unref, from any thread); the cache holds at most
 * one body per variant and at most max_bytes in all (sc_set_max_bytes):
 * a new body that does not fit evicts the other variants' bodies, oldest
 * render first, and one larger than max_bytes alone is served to the
 * requests that rendered or waited for it but not kept. Memory is bounded
 * by max_bytes plus the bodies still being sent.
 *
 * Threads: every function may be called from any thread. */
#ifndef CW_SCACHE_H
#define CW_SCACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SC_MAX_VARIANTS 8

struct sc_body {
	atomic_size_t refs;
	uint64_t gen;             /* the source's generation before the render */
	double at;                /* when the render began (the caller's clock) */
	size_t len;
	char *data;               /* from the render, freed with the body */
	void *ext;                /* the caller's: e.g. which format and encoding */
	void (*release)(char *data, size_t len); /* the source's; NULL: free() */
};

struct sc_source {
	uint64_t (*generation)(void *arg);
	/* Renders variant into a new malloc'd buffer (*data, len bytes) and
	 * may set *ext; returns 0, or -1 (nothing is cached then). ahead:
	 * for sc_prepare, not for a request. */
	int (*render)(void *arg, unsigned variant, bool ahead, char **data, size_t *len,
		      void **ext);
	void *arg;
	/* Releases a rendered body's data (from any thread, perhaps after the
	 * cache is gone, so it takes no arg); NULL: the data is malloc'd and
	 * free() releases it. */
	void (*release)(char *data, size_t len);
};

enum sc_result { SC_HIT, SC_SHARED, SC_MISS, SC_FAILED };

struct scache;

/* nvariants at most SC_MAX_VARIANTS; NULL on failure. */
struct scache *sc_new(unsigned nvariants, double max_age, const struct sc_source *src);
/* Drops the cached bodies (those still referenced live on). Takes NULL. */
void sc_free(struct scache *c);

/* Returns a referenced body for variant (NULL when variant is out of range
 * or the render failed); *res tells how it was obtained. now is a
 * monotonic clock in seconds. */
struct sc_body *sc_get(struct scache *c, unsigned variant, double now, enum sc_result *res);

void sc_body_ref(struct sc_body *b);
void sc_body_unref(struct sc_body *b); /* takes NULL */

/* Requests of variant waiting for a render in progress (tests). */
unsigned sc_waiting(struct scache *c, unsigned variant);

/* The bound on the bytes of the bodies the cache holds; 0 (the default)
 * for none. Applies to bodies stored from now on. */
void sc_set_max_bytes(struct scache *c, size_t max_bytes);
/* Bytes of the bodies the cache holds now. */
size_t sc_bytes(struct scache *c);

/* When a variant is rendered ahead: it was asked for at least twice, the
 * last time within idle seconds, and its next request is due: expected
 * one gap after the last (the gap being the time between the last two
 * requests of the variant, a scraper's interval), it is due from lead
 * seconds before that until one more gap and lead after it (a scraper
 * that missed two scrapes is taken for gone). Requests within the cache's
 * max_age of the last counted one count as one (a wave of scrapers).
 * ahead: a body that expires by age within this many seconds is renewed. */
struct sc_prepare_policy {
	double idle;
	double lead;
	double ahead;
};

enum sc_prepared { SC_PREP_IDLE, SC_PREP_READY, SC_PREP_RENDERED, SC_PREP_FAILED };

/* Renders variant now if the policy wants it ready and it is not. */
enum sc_prepared sc_prepare(struct scache *c, unsigned variant, double now,
			    const struct sc_prepare_policy *pol);

#endif
