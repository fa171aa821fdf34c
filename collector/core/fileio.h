/* fileio.h — small file helpers shared by the writers of durable state
 * (the billing state file, the Kafka spool) and the readers of the files a
 * config names (the config itself, plans_file, time zones, state, TLS). */
#ifndef CW_FILEIO_H
#define CW_FILEIO_H

#include <stddef.h>

/* Writes all n bytes of p to fd, retrying short writes and EINTR. Returns
 * 0, or -1 with errno set (a write that made no progress is an error). */
int cw_write_all(int fd, const void *p, size_t n) __attribute__((warn_unused_result));

/* *err of cw_read_regular when the path is no regular file: refused
 * without waiting on it. Negative, so never an errno value. */
enum {
	CW_ENOTREG = -1, /* of another kind */
	CW_ENOTREG_FIFO = -2,
	CW_ENOTREG_DIR = -3,
	CW_ENOTREG_DEVICE = -4,
	CW_ENOTREG_SOCKET = -5,
};

/* Reads the regular file at path whole, when it has at most max bytes.
 * The open never blocks (O_NONBLOCK: a FIFO without a writer would hold
 * the caller for ever), and anything but a regular file is refused before
 * one byte is read. Returns a malloc'd buffer of *len bytes plus a
 * terminating NUL (the caller frees it). NULL on failure with *err an
 * errno value or one of CW_ENOTREG*; EFBIG when the file is larger than
 * max (*len its size, or 0 when it grew while being read). */
char *cw_read_regular(const char *path, size_t max, size_t *len, int *err)
	__attribute__((warn_unused_result));

/* The reason for a cw_read_regular error, for messages: strerror(err), or
 * "not a regular file (a FIFO)" and the like. Static storage. */
const char *cw_read_error(int err);

#endif
