/* state_envelope.c — the {version, written, circuits[], checksum} envelope of
 * billing's state files. See state_envelope.h. */
#include "state_envelope.h"
#include "circuit_config.h"
#include "state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

/* The checksum covers the circuits array in one canonical form. */
static int checksum(const struct bill_env_kind *k, const json_t *circuits, char out[17])
{
	char *text = json_dumps(circuits,
				JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | k->real_flags);
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

static json_t *circuit_json(const struct bill_env_kind *k, const char *elem)
{
	json_t *o = json_pack("{s:s}", "id", elem + k->id_off);

	if (o && k->cycles_to(o, elem) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int bill_env_encode(const struct bill_env_kind *k, int64_t written, const void *v, size_t n,
		    char **out)
{
	json_t *root = NULL, *arr = json_array();
	char sum[17];
	int rc = -1;

	*out = NULL;
	if (!arr)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(arr, circuit_json(k, (const char *)v + i * k->elem_size)) < 0)
			goto out;
	if (checksum(k, arr, sum) < 0)
		goto out;
	root = json_pack("{s:i, s:I, s:O, s:s}", "version", k->version, "written",
			 (json_int_t)written, "circuits", arr, "checksum", sum);
	if (root && (*out = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS | k->real_flags)) != NULL)
		rc = 0;
out:
	json_decref(arr);
	json_decref(root);
	return rc;
}

int bill_env_write(const struct bill_env_kind *k, const char *dir, int64_t written, const void *v,
		   size_t n, char *err, size_t errlen)
{
	char *text = NULL;
	int rc;

	if (bill_env_encode(k, written, v, n, &text) < 0) {
		snprintf(err, errlen, "encode: failed");
		return -1;
	}
	rc = bill_file_write(dir, k->file, text, err, errlen);
	free(text);
	return rc;
}

bool bill_env_get_int(const json_t *o, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return false;
	*out = (int64_t)json_integer_value(v);
	return true;
}

static const char *circuit_from(const struct bill_env_kind *k, const json_t *o, char *elem)
{
	const json_t *id = json_object_get(o, "id"), *prev = json_object_get(o, "previous");

	if (!json_is_object(o) || json_object_size(o) != (prev ? 3u : 2u))
		return "a circuit is not an object of id, cycle[, previous]";
	if (!json_is_string(id) || json_string_length(id) == 0 ||
	    json_string_length(id) > CFG_ID_MAX || strlen(json_string_value(id)) != json_string_length(id))
		return "a circuit id is not a string of 1..64 characters";
	strcpy(elem + k->id_off, json_string_value(id));
	return k->cycles_from(json_object_get(o, "cycle"), prev, elem);
}

static const char *circuits_from(const struct bill_env_kind *k, const json_t *arr, char *v,
				 size_t n)
{
	const char *why;

	for (size_t i = 0; i < n; i++) {
		char *elem = v + i * k->elem_size;

		if ((why = circuit_from(k, json_array_get(arr, i), elem)) != NULL)
			return why;
		for (size_t j = 0; j < i; j++)
			if (strcmp(v + j * k->elem_size + k->id_off, elem + k->id_off) == 0)
				return "a circuit appears twice";
	}
	return NULL;
}

static const char *decode_root(const struct bill_env_kind *k, const json_t *root,
			       int64_t *written, void **v, size_t *n)
{
	const json_t *arr = json_object_get(root, "circuits"), *sum = json_object_get(root, "checksum");
	int64_t version;
	char want[17];

	if (!json_is_object(root) || json_object_size(root) != 4)
		return "not an object of version, written, circuits, checksum";
	if (!bill_env_get_int(root, "version", 0, INT32_MAX, &version) || version != k->version)
		return "unknown version";
	if (!bill_env_get_int(root, "written", 0, BILL_ENV_TIME_LIMIT, written))
		return "bad written time";
	if (!json_is_array(arr) || json_array_size(arr) > k->max_circuits)
		return k->too_many;
	if (!json_is_string(sum) || checksum(k, arr, want) < 0 ||
	    strcmp(want, json_string_value(sum)) != 0)
		return "checksum mismatch";
	*n = json_array_size(arr);
	*v = *n ? calloc(*n, k->elem_size) : NULL;
	if (*n && !*v)
		return "out of memory";
	return circuits_from(k, arr, *v, *n);
}

const char *bill_env_decode(const struct bill_env_kind *k, const char *buf, size_t len,
			    int64_t *written, void **v, size_t *n)
{
	json_error_t jerr;
	json_t *root;
	const char *why;

	*v = NULL;
	*n = 0;
	if (len > k->max_bytes)
		return "too large";
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return "not valid JSON";
	why = decode_root(k, root, written, v, n);
	json_decref(root);
	if (why) {
		free(*v);
		*v = NULL;
		*n = 0;
	}
	return why;
}
