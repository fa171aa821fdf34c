/* fileio.h — small file helpers shared by the writers of durable state
 * (the billing state file, the Kafka spool). */
#ifndef CW_FILEIO_H
#define CW_FILEIO_H

#include <stddef.h>

/* Writes all n bytes of p to fd, retrying short writes and EINTR. Returns
 * 0, or -1 with errno set (a write that made no progress is an error). */
int cw_write_all(int fd, const void *p, size_t n) __attribute__((warn_unused_result));

#endif
