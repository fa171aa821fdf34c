/* state.c — billing state: strict JSON codec and atomic file I/O. See
 * state.h. */
#include "state.h"
#include "fileio.h"
#include "state_envelope.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

static json_t *cycle_json(const struct bill_state_cycle *c)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:f}", "start", (json_int_t)c->start, "end",
			 (json_int_t)c->end, "from_cloud_bytes", (json_int_t)c->bytes[TRAFFIC_FROM_CLOUD],
			 "to_cloud_bytes", (json_int_t)c->bytes[TRAFFIC_TO_CLOUD], "cost", c->cost);
}

static int cycles_to(json_t *o, const void *elem)
{
	const struct bill_state_circuit *c = elem;

	if (json_object_set_new(o, "cycle", cycle_json(&c->cur)) < 0)
		return -1;
	if (c->prev.valid && json_object_set_new(o, "previous", cycle_json(&c->prev)) < 0)
		return -1;
	return 0;
}

static const char *cycle_from(const json_t *o, struct bill_state_cycle *c)
{
	int64_t eg, in;
	const json_t *cost;

	if (!json_is_object(o) || json_object_size(o) != 5)
		return "a cycle is not an object of start, end, from_cloud_bytes, to_cloud_bytes, cost";
	if (!bill_env_get_int(o, "start", 0, BILL_ENV_TIME_LIMIT, &c->start) ||
	    !bill_env_get_int(o, "end", 0, BILL_ENV_TIME_LIMIT, &c->end) || c->end <= c->start)
		return "a cycle's start/end are not increasing times";
	if (!bill_env_get_int(o, "from_cloud_bytes", 0, INT64_MAX, &eg) ||
	    !bill_env_get_int(o, "to_cloud_bytes", 0, INT64_MAX, &in))
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

static const char *cycles_from(const json_t *cycle, const json_t *prev, void *elem)
{
	struct bill_state_circuit *c = elem;
	const char *why;

	if ((why = cycle_from(cycle, &c->cur)) != NULL)
		return why;
	return prev ? cycle_from(prev, &c->prev) : NULL;
}

static const struct bill_env_kind bill_kind = {
	.version = BILL_STATE_VERSION,
	.file = BILL_STATE_FILE,
	.max_bytes = BILL_STATE_MAX_BYTES,
	.max_circuits = BILL_STATE_MAX_CIRCUITS,
	.too_many = "circuits is not a list (of at most the meter's cap)",
	.real_flags = 0,
	.elem_size = sizeof(struct bill_state_circuit),
	.id_off = offsetof(struct bill_state_circuit, id),
	.cycles_to = cycles_to,
	.cycles_from = cycles_from,
};

int bill_state_encode(const struct bill_state *st, char **out)
{
	return bill_env_encode(&bill_kind, st->written, st->v, st->n, out);
}

void bill_state_clean(struct bill_state *st)
{
	if (!st)
		return;
	free(st->v);
	st->v = NULL;
	st->n = 0;
}

int bill_state_decode(const char *buf, size_t len, struct bill_state *out, const char **why)
{
	void *v;

	memset(out, 0, sizeof *out);
	*why = bill_env_decode(&bill_kind, buf, len, &out->written, &v, &out->n);
	out->v = v;
	return *why ? -1 : 0;
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
	return bill_env_write(&bill_kind, dir, st->written, st->v, st->n, err, errlen);
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
