/* scache.c — rendered /metrics bodies per variant; see scache.h. */
#include "scache.h"

#include <pthread.h>
#include <stdlib.h>

struct sc_variant {
	pthread_mutex_t render;  /* held by the one request rendering */
	struct sc_body *body;    /* under c->lock; one reference is the cache's */
	uint64_t renders;        /* under c->lock: completed renders */
	bool last_ok;            /* under c->lock: the last render made body */
	unsigned waiting;        /* under c->lock */
	double last_req;         /* under c->lock: the last request's arrival */
	double gap;              /* under c->lock: between the last two arrivals */
	unsigned nreq;           /* under c->lock: arrivals seen, up to 2 */
};

struct scache {
	pthread_mutex_t lock;
	struct sc_source src;
	double max_age;
	size_t max_bytes;        /* under lock; 0: no bound */
	size_t bytes;            /* under lock: len of the bodies held */
	unsigned n;
	struct sc_variant v[SC_MAX_VARIANTS];
};

struct scache *sc_new(unsigned nvariants, double max_age, const struct sc_source *src)
{
	struct scache *c;

	if (nvariants == 0 || nvariants > SC_MAX_VARIANTS || src == NULL ||
	    src->generation == NULL || src->render == NULL)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	c->src = *src;
	c->max_age = max_age;
	for (; c->n < nvariants; c->n++) {
		if (pthread_mutex_init(&c->v[c->n].render, NULL) != 0) {
			sc_free(c);
			return NULL;
		}
	}
	return c;
}

void sc_free(struct scache *c)
{
	if (c == NULL)
		return;
	for (unsigned i = 0; i < c->n; i++) {
		sc_body_unref(c->v[i].body);
		pthread_mutex_destroy(&c->v[i].render);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void sc_body_ref(struct sc_body *b)
{
	atomic_fetch_add(&b->refs, 1);
}

void sc_body_unref(struct sc_body *b)
{
	if (b == NULL || atomic_fetch_sub(&b->refs, 1) != 1)
		return;
	if (b->release != NULL)
		b->release(b->data, b->len);
	else
		free(b->data);
	free(b);
}

/* The cached body of v when its generation is gen and it is fresh at now,
 * referenced; NULL when none. Caller holds c->lock. */
static struct sc_body *current_locked(const struct scache *c, struct sc_variant *v, uint64_t gen,
				      double now)
{
	if (v->body == NULL || v->body->gen != gen || !(now - v->body->at <= c->max_age) ||
	    now < v->body->at)
		return NULL;
	sc_body_ref(v->body);
	return v->body;
}

/* Takes v's body out of the cache into *out (NULL when none). Caller
 * holds c->lock. */
static void drop_locked(struct scache *c, struct sc_variant *v, struct sc_body **out)
{
	*out = v->body;
	if (v->body != NULL)
		c->bytes -= v->body->len;
	v->body = NULL;
}

/* Stores b as v's body within max_bytes: the other variants' bodies go,
 * oldest render first, until it fits; a body over max_bytes alone is not
 * stored. Returns whether b was stored. Bodies dropped go to gone[] (one
 * slot per variant). Caller holds c->lock and has dropped v's old body. */
static bool store_locked(struct scache *c, struct sc_variant *v, struct sc_body *b,
			 struct sc_body **gone)
{
	if (c->max_bytes != 0 && b->len > c->max_bytes)
		return false;
	while (c->max_bytes != 0 && c->bytes + b->len > c->max_bytes) {
		struct sc_variant *oldest = NULL;

		for (unsigned i = 0; i < c->n; i++)
			if (c->v[i].body != NULL &&
			    (oldest == NULL || c->v[i].body->at < oldest->body->at))
				oldest = &c->v[i];
		if (oldest == NULL)
			break;
		drop_locked(c, oldest, &gone[oldest - c->v]);
	}
	v->body = b;
	c->bytes += b->len;
	return true;
}

/* Renders v (caller holds v->render); the result replaces the cached body. */
static struct sc_body *render(struct scache *c, unsigned i, uint64_t gen, double now, bool ahead)
{
	struct sc_variant *v = &c->v[i];
	struct sc_body *b = calloc(1, sizeof(*b)), *gone[SC_MAX_VARIANTS] = {NULL};

	if (b != NULL && c->src.render(c->src.arg, i, ahead, &b->data, &b->len, &b->ext) != 0) {
		free(b);
		b = NULL;
	}
	pthread_mutex_lock(&c->lock);
	v->renders++;
	v->last_ok = b != NULL;
	drop_locked(c, v, &gone[i]);
	if (b != NULL) {
		b->gen = gen;
		b->at = now;
		b->release = c->src.release;
		/* the caller's, and the cache's when it keeps it */
		atomic_init(&b->refs, store_locked(c, v, b, gone) ? 2 : 1);
	}
	pthread_mutex_unlock(&c->lock);
	for (unsigned k = 0; k < SC_MAX_VARIANTS; k++)
		sc_body_unref(gone[k]);
	return b;
}

/* Counts an arrival for the scraper's interval: requests within max_age
 * of the last counted one are the same wave of scrapers. Caller holds
 * c->lock. */
static void arrival_locked(const struct scache *c, struct sc_variant *v, double now)
{
	if (v->nreq > 0 && now - v->last_req < c->max_age && now >= v->last_req)
		return;
	if (v->nreq > 0) {
		v->gap = now - v->last_req;
		v->nreq = 2;
	} else {
		v->nreq = 1;
	}
	v->last_req = now;
}

struct sc_body *sc_get(struct scache *c, unsigned variant, double now, enum sc_result *res)
{
	struct sc_variant *v;
	struct sc_body *b;
	uint64_t gen, seen;

	*res = SC_FAILED;
	if (c == NULL || variant >= c->n)
		return NULL;
	v = &c->v[variant];
	gen = c->src.generation(c->src.arg);
	pthread_mutex_lock(&c->lock);
	arrival_locked(c, v, now);
	b = current_locked(c, v, gen, now);
	seen = v->renders;
	if (b == NULL)
		v->waiting++;
	pthread_mutex_unlock(&c->lock);
	if (b != NULL) {
		*res = SC_HIT;
		return b;
	}
	pthread_mutex_lock(&v->render);
	pthread_mutex_lock(&c->lock);
	v->waiting--;
	/* a render finished since we came (it started at most one render
	 * before us): share it; else the registry may still be where it was */
	if (v->renders != seen && v->last_ok && v->body != NULL) {
		b = v->body;
		sc_body_ref(b);
		*res = SC_SHARED;
	} else {
		gen = c->src.generation(c->src.arg);
		if ((b = current_locked(c, v, gen, now)) != NULL)
			*res = SC_SHARED;
	}
	pthread_mutex_unlock(&c->lock);
	if (b == NULL) {
		b = render(c, variant, gen, now, false);
		*res = b != NULL ? SC_MISS : SC_FAILED;
	}
	pthread_mutex_unlock(&v->render);
	return b;
}

unsigned sc_waiting(struct scache *c, unsigned variant)
{
	unsigned n;

	if (c == NULL || variant >= c->n)
		return 0;
	pthread_mutex_lock(&c->lock);
	n = c->v[variant].waiting;
	pthread_mutex_unlock(&c->lock);
	return n;
}

void sc_set_max_bytes(struct scache *c, size_t max_bytes)
{
	pthread_mutex_lock(&c->lock);
	c->max_bytes = max_bytes;
	pthread_mutex_unlock(&c->lock);
}

size_t sc_bytes(struct scache *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->bytes;
	pthread_mutex_unlock(&c->lock);
	return n;
}

/* Whether the policy wants v ready now. Caller holds c->lock. */
static bool wanted_locked(const struct sc_variant *v, double now,
			  const struct sc_prepare_policy *pol)
{
	double next = v->last_req + v->gap;

	/* a variant scraped once (a person with curl) is not worth a render a
	 * second; nor one whose scraper has missed two of its scrapes */
	if (v->nreq < 2 || now - v->last_req > pol->idle)
		return false;
	return now >= next - pol->lead && now <= next + v->gap + pol->lead;
}

/* Whether v's body is of generation gen and still fresh `ahead` seconds
 * from now. Caller holds c->lock. */
static bool ready_locked(const struct scache *c, const struct sc_variant *v, uint64_t gen,
			 double now, double ahead)
{
	return v->body != NULL && v->body->gen == gen && now >= v->body->at &&
	       now + ahead - v->body->at <= c->max_age;
}

enum sc_prepared sc_prepare(struct scache *c, unsigned variant, double now,
			    const struct sc_prepare_policy *pol)
{
	struct sc_variant *v;
	struct sc_body *b = NULL;
	enum sc_prepared res = SC_PREP_READY;
	uint64_t gen;
	bool wanted, ready;

	if (c == NULL || variant >= c->n)
		return SC_PREP_IDLE;
	v = &c->v[variant];
	gen = c->src.generation(c->src.arg);
	pthread_mutex_lock(&c->lock);
	wanted = wanted_locked(v, now, pol);
	ready = ready_locked(c, v, gen, now, pol->ahead);
	pthread_mutex_unlock(&c->lock);
	if (!wanted)
		return SC_PREP_IDLE;
	if (ready)
		return SC_PREP_READY;
	pthread_mutex_lock(&v->render);
	/* a request may have rendered it while we waited for the lock */
	gen = c->src.generation(c->src.arg);
	pthread_mutex_lock(&c->lock);
	ready = ready_locked(c, v, gen, now, pol->ahead);
	pthread_mutex_unlock(&c->lock);
	if (!ready) {
		b = render(c, variant, gen, now, true);
		res = b != NULL ? SC_PREP_RENDERED : SC_PREP_FAILED;
	}
	pthread_mutex_unlock(&v->render);
	sc_body_unref(b);
	return res;
}
