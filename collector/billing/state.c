/* state.c — billing state: strict JSON codec and atomic file I/O. See
 * state.h. */
#include "state.h"
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull
#define TIME_LIMIT 253402300799LL /* 9999-12-31T23:59:59Z */

static uint64_t fnv1a(const char *s, size_t len)
{
	uint64_t h = FNV_OFFSET;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* The checksum covers the circuits array in one canonical form. */
static int checksum(const json_t *circuits, char out[17])
{
	char *text = json_dumps(circuits, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (!text)
		return -1;
	snprintf(out, 17, "%016" PRIx64, fnv1a(text, strlen(text)));
	free(text);
	return 0;
}

static json_t *cycle_json(const struct bill_state_cycle *c)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:f}", "start", (json_int_t)c->start, "end",
			 (json_int_t)c->end, "from_cloud_bytes", (json_int_t)c->bytes[TRAFFIC_FROM_CLOUD],
			 "to_cloud_bytes", (json_int_t)c->bytes[TRAFFIC_TO_CLOUD], "cost", c->cost);
}

int bill_state_encode(const struct bill_state *st, char **out)
{
	json_t *root = NULL, *arr = json_array();
	char sum[17];
	int rc = -1;

	*out = NULL;
	if (!arr)
		return -1;
	for (size_t i = 0; i < st->n; i++) {
		const struct bill_state_circuit *c = &st->v[i];
		json_t *o = json_pack("{s:s, s:o}", "id", c->id, "cycle", cycle_json(&c->cur));

		if (!o || json_array_append_new(arr, o) < 0)
			goto out;
		if (c->prev.valid && json_object_set_new(o, "previous", cycle_json(&c->prev)) < 0)
			goto out;
	}
	if (checksum(arr, sum) < 0)
		goto out;
	root = json_pack("{s:i, s:I, s:O, s:s}", "version", BILL_STATE_VERSION, "written",
			 (json_int_t)st->written, "circuits", arr, "checksum", sum);
	if (root && (*out = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS)) != NULL)
		rc = 0;
out:
	json_decref(arr);
	json_decref(root);
	return rc;
}

void bill_state_clean(struct bill_state *st)
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

static const char *cycle_from(const json_t *o, struct bill_state_cycle *c)
{
	int64_t eg, in;
	const json_t *cost;

	if (!json_is_object(o) || json_object_size(o) != 5)
		return "a cycle is not an object of start, end, from_cloud_bytes, to_cloud_bytes, cost";
	if (!get_int(o, "start", 0, TIME_LIMIT, &c->start) ||
	    !get_int(o, "end", 0, TIME_LIMIT, &c->end) || c->end <= c->start)
		return "a cycle's start/end are not increasing times";
	if (!get_int(o, "from_cloud_bytes", 0, INT64_MAX, &eg) ||
	    !get_int(o, "to_cloud_bytes", 0, INT64_MAX, &in))
		return "a cycle's bytes are not non-negative integers";
	cost = json_object_get(o, "cost");
	if (!json_is_number(cost) || json_number_value(cost) < 0)
		return "a cycle's cost is not a non-negative number";
	c->bytes[TRAFFIC_FROM_CLOUD] = (uint64_t)eg;
	c->bytes[TRAFFIC_TO_CLOUD] = (uint64_t)in;
	c->cost = json_number_value(cost);
	c->valid = true;
	return NULL;
}

static const char *circuit_from(const json_t *o, struct bill_state_circuit *c)
{
	const json_t *id = json_object_get(o, "id"), *prev = json_object_get(o, "previous");
	const char *why;

	if (!json_is_object(o) || json_object_size(o) != (prev ? 3u : 2u))
		return "a circuit is not an object of id, cycle[, previous]";
	if (!json_is_string(id) || json_string_length(id) == 0 ||
	    json_string_length(id) > CFG_ID_MAX || strlen(json_string_value(id)) != json_string_length(id))
		return "a circuit id is not a string of 1..64 characters";
	strcpy(c->id, json_string_value(id));
	if ((why = cycle_from(json_object_get(o, "cycle"), &c->cur)) != NULL)
		return why;
	return prev ? cycle_from(prev, &c->prev) : NULL;
}

static const char *decode_root(const json_t *root, struct bill_state *out)
{
	const json_t *arr = json_object_get(root, "circuits"), *sum = json_object_get(root, "checksum");
	int64_t version;
	char want[17];
	const char *why;

	if (!json_is_object(root) || json_object_size(root) != 4)
		return "not an object of version, written, circuits, checksum";
	if (!get_int(root, "version", 0, INT32_MAX, &version) || version != BILL_STATE_VERSION)
		return "unknown version";
	if (!get_int(root, "written", 0, TIME_LIMIT, &out->written))
		return "bad written time";
	if (!json_is_array(arr) || json_array_size(arr) > BILL_STATE_MAX_CIRCUITS)
		return "circuits is not a list (of at most the meter's cap)";
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

int bill_state_decode(const char *buf, size_t len, struct bill_state *out, const char **why)
{
	json_error_t jerr;
	json_t *root;

	memset(out, 0, sizeof *out);
	if (len > BILL_STATE_MAX_BYTES) {
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
		bill_state_clean(out);
		return -1;
	}
	return 0;
}

void bill_state_restore(const struct bill_state_circuit *saved, int64_t now,
			struct bill_restored *out)
{
	memset(out, 0, sizeof *out);
	if (now >= saved->cur.end) {
		out->closed = true;
		out->prev = saved->cur;
		out->prev.valid = true;
		out->prev.cost = 0;
		return;
	}
	memcpy(out->bytes, saved->cur.bytes, sizeof out->bytes);
	out->prev = saved->prev;
}

/* ---- files ---- */

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int bill_state_write(const char *dir, const struct bill_state *st, char *err, size_t errlen)
{
	char *text = NULL;
	int rc;

	if (bill_state_encode(st, &text) < 0) {
		snprintf(err, errlen, "encode: failed");
		return -1;
	}
	rc = bill_file_write(dir, BILL_STATE_FILE, text, err, errlen);
	free(text);
	return rc;
}

int bill_file_write(const char *dir, const char *name, const char *text, char *err,
		    size_t errlen)
{
	char tmp[4096], final[4096];
	const char *step;
	int fd = -1, rc = -1;

	if (snprintf(final, sizeof final, "%s/%s", dir, name) >= (int)sizeof final ||
	    snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, name) >= (int)sizeof tmp) {
		snprintf(err, errlen, "state_dir path too long");
		return -1;
	}
	errno = 0;
	step = "create temporary file";
	if ((fd = mkstemp(tmp)) < 0)
		goto out;
	step = "write";
	if (cw_write_all(fd, text, strlen(text)) < 0 || cw_write_all(fd, "\n", 1) < 0)
		goto out;
	step = "fsync";
	if (fsync(fd) < 0)
		goto out;
	step = "close";
	if (close(fd) < 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	step = "rename";
	if (rename(tmp, final) < 0)
		goto out;
	tmp[0] = '\0'; /* renamed: nothing to clean up */
	step = "fsync directory"; /* the rename itself is durable only then */
	if (fsync_dir(dir) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", step, errno ? strerror(errno) : "failed");
	if (fd >= 0)
		close(fd);
	if (rc < 0 && tmp[0])
		unlink(tmp);
	return rc;
}

/* The state file, when it is a regular file of at most max bytes (a FIFO
 * or device there is refused, never waited on). */
static char *slurp(const char *path, size_t max, size_t *len, int *eno)
{
	char *buf = cw_read_regular(path, max, len, eno);

	if (!buf && *eno == EFBIG) /* decoded as "too large" */
		*len = max + 1u;
	return buf;
}

static int decode_bill(const char *buf, size_t len, void *out, const char **why)
{
	return bill_state_decode(buf, len, out, why);
}

enum bill_state_read_result bill_state_read(const char *dir, int64_t now, struct bill_state *out,
					    char *aside, size_t asidelen, char *why,
					    size_t whylen)
{
	memset(out, 0, sizeof *out);
	return bill_file_read(dir, BILL_STATE_FILE, BILL_STATE_MAX_BYTES, now, decode_bill, out,
			      aside, asidelen, why, whylen);
}

enum bill_state_read_result bill_file_read(const char *dir, const char *name, size_t max,
					   int64_t now, bill_decode_fn decode, void *out,
					   char *aside, size_t asidelen, char *why, size_t whylen)
{
	char path[4096];
	const char *reason = NULL;
	size_t len = 0;
	int eno;
	char *buf;

	aside[0] = '\0';
	why[0] = '\0';
	snprintf(path, sizeof path, "%s/%s", dir, name);
	buf = slurp(path, max, &len, &eno);
	if (!buf && eno == ENOENT)
		return BILL_STATE_ABSENT;
	if (!buf && eno == EFBIG)
		snprintf(why, whylen, "too large");
	else if (!buf)
		snprintf(why, whylen, "cannot read: %s", cw_read_error(eno));
	else if (decode(buf, len, out, &reason) == 0) {
		free(buf);
		return BILL_STATE_LOADED;
	} else
		snprintf(why, whylen, "%s", reason);
	free(buf);
	/* keep the evidence: never overwrite a state we could not read */
	snprintf(aside, asidelen, "%s.corrupt-%" PRId64, path, now);
	if (rename(path, aside) < 0) {
		snprintf(why + strlen(why), whylen - strlen(why), "; rename aside: %s", strerror(errno));
		aside[0] = '\0';
		return BILL_STATE_FAILED;
	}
	(void)fsync_dir(dir);
	return BILL_STATE_CORRUPT;
}
