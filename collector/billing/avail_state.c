/* avail_state.c — the availability state: strict JSON codec; the file
 * edge is billing's (state.h). See avail_state.h. */
#include "avail_state.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull
#define TIME_LIMIT 253402300799LL /* 9999-12-31T23:59:59Z */
#define NFIELDS 7                 /* start, end, observed, 2 scopes, 2 links */

static const char *const link_keys[CFG_LINK_COUNT] = {"primary_up", "secondary_up"};
static const char *const scope_keys[AVAIL_SCOPE_COUNT] = {"any_up", "redundant_up"};

/* The checksum covers the circuits array in one canonical form. */
static int checksum(const json_t *circuits, char out[17])
{
	char *text = json_dumps(circuits, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY |
					      JSON_REAL_PRECISION(17));
	uint64_t h = FNV_OFFSET;

	if (!text)
		return -1;
	for (const char *p = text; *p; p++) {
		h ^= (unsigned char)*p;
		h *= FNV_PRIME;
	}
	snprintf(out, 17, "%016" PRIx64, h);
	free(text);
	return 0;
}

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

static json_t *circuit_json(const struct avail_state_circuit *c)
{
	json_t *o = json_pack("{s:s, s:o}", "id", c->id, "cycle", figures_json(&c->cur));

	if (o && c->prev.valid && json_object_set_new(o, "previous", figures_json(&c->prev)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int avail_state_encode(const struct avail_state *st, char **out)
{
	json_t *root = NULL, *arr = json_array();
	char sum[17];
	int rc = -1;

	*out = NULL;
	if (!arr)
		return -1;
	for (size_t i = 0; i < st->n; i++)
		if (json_array_append_new(arr, circuit_json(&st->v[i])) < 0)
			goto out;
	if (checksum(arr, sum) < 0)
		goto out;
	root = json_pack("{s:i, s:I, s:O, s:s}", "version", AVAIL_STATE_VERSION, "written",
			 (json_int_t)st->written, "circuits", arr, "checksum", sum);
	if (root && (*out = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS |
						     JSON_REAL_PRECISION(17))) != NULL)
		rc = 0;
out:
	json_decref(arr);
	json_decref(root);
	return rc;
}

void avail_state_clean(struct avail_state *st)
{
	if (!st)
		return;
	free(st->v);
	st->v = NULL;
	st->n = 0;
}

static bool get_int(const json_t *o, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return false;
	*out = (int64_t)json_integer_value(v);
	return true;
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
	if (!get_int(o, "start", 0, TIME_LIMIT, &f->start) ||
	    !get_int(o, "end", 0, TIME_LIMIT, &f->end) || f->end <= f->start)
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

static const char *circuit_from(const json_t *o, struct avail_state_circuit *c)
{
	const json_t *id = json_object_get(o, "id"), *prev = json_object_get(o, "previous");
	const char *why;

	if (!json_is_object(o) || json_object_size(o) != (prev ? 3u : 2u))
		return "a circuit is not an object of id, cycle[, previous]";
	if (!json_is_string(id) || json_string_length(id) == 0 ||
	    json_string_length(id) > CFG_ID_MAX ||
	    strlen(json_string_value(id)) != json_string_length(id))
		return "a circuit id is not a string of 1..64 characters";
	strcpy(c->id, json_string_value(id));
	if ((why = figures_from(json_object_get(o, "cycle"), &c->cur)) != NULL)
		return why;
	return prev ? figures_from(prev, &c->prev) : NULL;
}

static const char *decode_root(const json_t *root, struct avail_state *out)
{
	const json_t *arr = json_object_get(root, "circuits"), *sum = json_object_get(root, "checksum");
	int64_t version;
	char want[17];
	const char *why;

	if (!json_is_object(root) || json_object_size(root) != 4)
		return "not an object of version, written, circuits, checksum";
	if (!get_int(root, "version", 0, INT32_MAX, &version) || version != AVAIL_STATE_VERSION)
		return "unknown version";
	if (!get_int(root, "written", 0, TIME_LIMIT, &out->written))
		return "bad written time";
	if (!json_is_array(arr) || json_array_size(arr) > AVAIL_STATE_MAX_CIRCUITS)
		return "circuits is not a list (of at most 100000)";
	if (!json_is_string(sum) || checksum(arr, want) < 0 || strcmp(want, json_string_value(sum)) != 0)
		return "checksum mismatch";
	out->n = json_array_size(arr);
	out->v = out->n ? calloc(out->n, sizeof *out->v) : NULL;
	if (out->n && !out->v)
		return "out of memory";
	for (size_t i = 0; i < out->n; i++) {
		if ((why = circuit_from(json_array_get(arr, i), &out->v[i])) != NULL)
			return why;
		for (size_t j = 0; j < i; j++)
			if (strcmp(out->v[j].id, out->v[i].id) == 0)
				return "a circuit appears twice";
	}
	return NULL;
}

int avail_state_decode(const char *buf, size_t len, struct avail_state *out, const char **why)
{
	json_error_t jerr;
	json_t *root;

	memset(out, 0, sizeof *out);
	if (len > AVAIL_STATE_MAX_BYTES) {
		*why = "too large";
		return -1;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		*why = "not valid JSON";
		return -1;
	}
	*why = decode_root(root, out);
	json_decref(root);
	if (*why) {
		avail_state_clean(out);
		return -1;
	}
	return 0;
}

int avail_state_write(const char *dir, const struct avail_state *st, char *err, size_t errlen)
{
	char *text = NULL;
	int rc;

	if (avail_state_encode(st, &text) < 0) {
		snprintf(err, errlen, "encode: failed");
		return -1;
	}
	rc = bill_file_write(dir, AVAIL_STATE_FILE, text, err, errlen);
	free(text);
	return rc;
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
