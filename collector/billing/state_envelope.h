/* state_envelope.h — the envelope shared by billing's state files
 * (billing-state.json, availability-state.json): a root object of
 * {version, written, circuits[], checksum}, each circuit an object of
 * {id, cycle[, previous]}. The envelope owns the root, the checksum and the
 * circuit ids; the caller's kind (struct bill_env_kind) encodes and decodes
 * the cycles of one circuit. Pure: buffers in, buffers out. */
#ifndef CW_BILLING_STATE_ENVELOPE_H
#define CW_BILLING_STATE_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define BILL_ENV_TIME_LIMIT 253402300799LL /* 9999-12-31T23:59:59Z */

/* One kind of state file. Circuits are an array of elem_size elements, each
 * holding its id (a char[CFG_ID_MAX + 1]) at id_off. */
struct bill_env_kind {
	int version;
	const char *file;     /* its name in the state directory */
	size_t max_bytes;     /* a larger file is refused as "too large" */
	size_t max_circuits;
	const char *too_many; /* the reason when circuits is not a list within max */
	size_t real_flags;    /* extra json_dumps flags (real precision), in checksum too */
	size_t elem_size, id_off;
	/* Sets "cycle" (and "previous" if any) on obj; 0 or -1. */
	int (*cycles_to)(json_t *obj, const void *elem);
	/* Decodes cycle (and prev, NULL if absent) into elem; NULL or the reason. */
	const char *(*cycles_from)(const json_t *cycle, const json_t *prev, void *elem);
};

/* Encodes n elements of v written at `written`; *out is the caller's
 * (free()). 0 or -1. */
int bill_env_encode(const struct bill_env_kind *k, int64_t written, const void *v, size_t n,
		    char **out) __attribute__((warn_unused_result));

/* Encodes and writes the file atomically into dir (bill_file_write). 0, or
 * -1 with a reason in err. */
int bill_env_write(const struct bill_env_kind *k, const char *dir, int64_t written, const void *v,
		   size_t n, char *err, size_t errlen) __attribute__((warn_unused_result));

/* Decodes buf into *written, *v (calloc'd, the caller's to free) and *n.
 * NULL on success; otherwise the reason, with *v NULL and *n 0. */
const char *bill_env_decode(const struct bill_env_kind *k, const char *buf, size_t len,
			    int64_t *written, void **v, size_t *n);

/* An integer member of o within lo..hi into *out; false if missing or not. */
bool bill_env_get_int(const json_t *o, const char *key, int64_t lo, int64_t hi, int64_t *out);

#endif
