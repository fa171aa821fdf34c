/* fileio.c — see fileio.h. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cw_write_all(int fd, const void *p, size_t n)
{
	const char *b = p;

	while (n > 0) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int not_regular(mode_t m)
{
	if (S_ISFIFO(m))
		return CW_ENOTREG_FIFO;
	if (S_ISDIR(m))
		return CW_ENOTREG_DIR;
	if (S_ISCHR(m) || S_ISBLK(m))
		return CW_ENOTREG_DEVICE;
	if (S_ISSOCK(m))
		return CW_ENOTREG_SOCKET;
	return CW_ENOTREG;
}

char *cw_read_regular(const char *path, size_t max, size_t *len, int *err)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), flags;
	struct stat st;
	size_t n = 0;
	char *buf = NULL;

	*len = 0;
	*err = 0;
	if (fd < 0) {
		*err = errno;
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		*err = errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		*err = not_regular(st.st_mode);
		goto fail;
	}
	/* a regular file: blocking reads again (NFS and FUSE honour the flag) */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		*err = errno;
		goto fail;
	}
	if ((uintmax_t)st.st_size > max) {
		*err = EFBIG;
		*len = (size_t)st.st_size;
		goto fail;
	}
	if (!(buf = malloc(max + 1))) {
		*err = ENOMEM;
		goto fail;
	}
	while (n <= max) { /* one byte over max: it grew since fstat */
		ssize_t r = read(fd, buf + n, max + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*err = errno;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		*err = EFBIG;
		goto fail;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

const char *cw_read_error(int err)
{
	switch (err) {
	case CW_ENOTREG_FIFO:
		return "not a regular file (a FIFO)";
	case CW_ENOTREG_DIR:
		return "not a regular file (a directory)";
	case CW_ENOTREG_DEVICE:
		return "not a regular file (a device)";
	case CW_ENOTREG_SOCKET:
		return "not a regular file (a socket)";
	case CW_ENOTREG:
		return "not a regular file";
	default:
		return strerror(err);
	}
}
