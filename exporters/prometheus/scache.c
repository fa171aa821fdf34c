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
};

struct scache {
	pthread_mutex_t lock;
	struct sc_source src;
	double max_age;
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

/* Renders v (caller holds v->render); the result replaces the cached body. */
static struct sc_body *render(struct scache *c, unsigned i, uint64_t gen, double now)
{
	struct sc_variant *v = &c->v[i];
	struct sc_body *b = calloc(1, sizeof(*b)), *old = NULL;

	if (b != NULL && c->src.render(c->src.arg, i, &b->data, &b->len, &b->ext) != 0) {
		free(b);
		b = NULL;
	}
	pthread_mutex_lock(&c->lock);
	v->renders++;
	v->last_ok = b != NULL;
	if (b != NULL) {
		b->gen = gen;
		b->at = now;
		atomic_init(&b->refs, 2); /* the cache's and the caller's */
		old = v->body;
		v->body = b;
	}
	pthread_mutex_unlock(&c->lock);
	sc_body_unref(old);
	return b;
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
	if (v->renders != seen && v->last_ok) {
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
		b = render(c, variant, gen, now);
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
