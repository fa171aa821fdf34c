/* avail_state.c — the availability state: strict JSON codec; the file
 * edge is billing's (state.h). See avail_state.h. */
#include "avail_state.h"
#include "state_envelope.h"

#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define NFIELDS 7                 /* start, end, observed, 2 scopes, 2 links */

static const char *const link_keys[CFG_LINK_COUNT] = {"primary_up", "secondary_up"};
static const char *const scope_keys[AVAIL_SCOPE_COUNT] = {"any_up", "redundant_up"};

static json_t *figures_json(const struct avail_figures *f)
{
	json_t *o = json_pack("{s:I, s:I, s:f}", "start", (json_int_t)f->start, "end",
			      (json_int_t)f->end, "observed", f->observed);

	for (int s = 0; o && s < AVAIL_SCOPE_COUNT; s++)
		if (json_object_set_new(o, scope_keys[s], json_real(f->up[s])) < 0)
			goto fail;
	for (int l = 0; o && l < CFG_LINK_COUNT; l++)
		if (json_object_set_new(o, link_keys[l], json_real(f->link_up[l])) < 0)
			goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

static int cycles_to(json_t *o, const void *elem)
{
	const struct avail_state_circuit *c = elem;

	if (json_object_set_new(o, "cycle", figures_json(&c->cur)) < 0)
		return -1;
	if (c->prev.valid && json_object_set_new(o, "previous", figures_json(&c->prev)) < 0)
		return -1;
	return 0;
}

void avail_state_clean(struct avail_state *st)
{
	if (!st)
		return;
	free(st->v);
	st->v = NULL;
	st->n = 0;
}

/* A number of seconds within 0..max (and a second of rounding). */
static bool get_secs(const json_t *o, const char *key, double max, double *out)
{
	const json_t *v = json_object_get(o, key);
	double d;

	if (!json_is_number(v))
		return false;
	d = json_number_value(v);
	if (!isfinite(d) || d < 0 || d > max + 1.0)
		return false;
	*out = d;
	return true;
}

static const char *figures_from(const json_t *o, struct avail_figures *f)
{
	double len;

	if (!json_is_object(o) || json_object_size(o) != NFIELDS)
		return "a cycle is not an object of start, end, observed, any_up, redundant_up, "
		       "primary_up, secondary_up";
	if (!bill_env_get_int(o, "start", 0, BILL_ENV_TIME_LIMIT, &f->start) ||
	    !bill_env_get_int(o, "end", 0, BILL_ENV_TIME_LIMIT, &f->end) || f->end <= f->start)
		return "a cycle's start/end are not increasing times";
	len = (double)(f->end - f->start);
	if (!get_secs(o, "observed", len, &f->observed))
		return "a cycle's observed seconds are not within its length";
	for (int s = 0; s < AVAIL_SCOPE_COUNT; s++)
		if (!get_secs(o, scope_keys[s], f->observed, &f->up[s]))
			return "a cycle's up seconds are not within its observed seconds";
	for (int l = 0; l < CFG_LINK_COUNT; l++)
		if (!get_secs(o, link_keys[l], f->observed, &f->link_up[l]))
			return "a link's up seconds are not within the observed seconds";
	f->valid = true;
	return NULL;
}

static const char *cycles_from(const json_t *cycle, const json_t *prev, void *elem)
{
	struct avail_state_circuit *c = elem;
	const char *why;

	if ((why = figures_from(cycle, &c->cur)) != NULL)
		return why;
	return prev ? figures_from(prev, &c->prev) : NULL;
}

static const struct bill_env_kind avail_kind = {
	.version = AVAIL_STATE_VERSION,
	.file = AVAIL_STATE_FILE,
	.max_bytes = AVAIL_STATE_MAX_BYTES,
	.max_circuits = AVAIL_STATE_MAX_CIRCUITS,
	.too_many = "circuits is not a list (of at most 100000)",
	.real_flags = JSON_REAL_PRECISION(17),
	.elem_size = sizeof(struct avail_state_circuit),
	.id_off = offsetof(struct avail_state_circuit, id),
	.cycles_to = cycles_to,
	.cycles_from = cycles_from,
};

int avail_state_encode(const struct avail_state *st, char **out)
{
	return bill_env_encode(&avail_kind, st->written, st->v, st->n, out);
}

int avail_state_decode(const char *buf, size_t len, struct avail_state *out, const char **why)
{
	void *v;

	memset(out, 0, sizeof *out);
	*why = bill_env_decode(&avail_kind, buf, len, &out->written, &v, &out->n);
	out->v = v;
	return *why ? -1 : 0;
}

int avail_state_write(const char *dir, const struct avail_state *st, char *err, size_t errlen)
{
	return bill_env_write(&avail_kind, dir, st->written, st->v, st->n, err, errlen);
}

static int decode_avail(const char *buf, size_t len, void *out, const char **why)
{
	return avail_state_decode(buf, len, out, why);
}

enum bill_state_read_result avail_state_read(const char *dir, int64_t now, struct avail_state *out,
					     char *aside, size_t asidelen, char *why,
					     size_t whylen)
{
	memset(out, 0, sizeof *out);
	return bill_file_read(dir, AVAIL_STATE_FILE, AVAIL_STATE_MAX_BYTES, now, decode_avail, out,
			      aside, asidelen, why, whylen);
}
