/* bmp_replay.c — sends BMP byte streams (files) over one TCP connection as
 * fast as the receiver reads them, as a router's BMP client would after
 * connecting: large blocking writes straight from the mapped file.
 *
 * usage: bmp_replay [--bind ADDR] [--hold SECONDS] [--next-when PATH]
 *                   [--wait SECONDS] [--gap SECONDS] [--start-at EPOCH]
 *                   [--stream 1] HOST PORT FILE [FILE...]
 *
 * Each file is sent in turn. With --next-when, every file after the first
 * waits until PATH exists (at most --wait seconds, default 600), so that a
 * script can, say, send a Peer Down once a table is in. With --gap, every
 * file after the first is sent that many seconds after the one before it
 * was written (a table, a pause, a Peer Down, a pause, the table again:
 * a flap on one open session, as tests/bench/soak.sh drives). After the last
 * file the connection stays open --hold seconds (default 0) and is closed:
 * a closed BMP session takes the router's peers down, so hold it open
 * while measuring. --start-at connects at once but sends the first byte only
 * at that wall-clock time, so that many replayers (tests/bench/bench_scale.sh)
 * start together. --stream 1 reads each file in chunks as it is sent and
 * drops the sent pages from the page cache, instead of mapping and loading
 * it whole first: a hundred concurrent multi-GB streams then hold a few MB
 * each, not the whole files. For every file one line on stdout:
 *   sent file=F bytes=N start=EPOCH end=EPOCH seconds=S mbytes_per_s=R
 * (start: just before the first write; end: the last write returned, i.e.
 * everything but the kernel's socket buffers has been read). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WRITE_CHUNK (4u << 20) /* bytes per write(2) */
#define SNDBUF (4 << 20)

struct replay_opts {
	const char *bind_addr, *next_when, *host, *port;
	double hold, wait, gap, start_at;
	int stream;
	char **files;
	int nfiles;
};

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The line every run ends with, read by the benchmarks. */
static void report_sent(const char *path, size_t size, double t0, double t1)
{
	printf("sent file=%s bytes=%zu start=%.6f end=%.6f seconds=%.6f mbytes_per_s=%.1f\n", path,
	       size, t0, t1, t1 - t0, t1 > t0 ? (double)size / 1e6 / (t1 - t0) : 0.0);
	fflush(stdout);
}

static void nap(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

static int dial(const struct replay_opts *o)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	int fd = -1;

	if (getaddrinfo(o->host, o->port, &hints, &ai) != 0 || ai == NULL) {
		fprintf(stderr, "bmp_replay: cannot resolve %s port %s\n", o->host, o->port);
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0)
		goto fail;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &(int){SNDBUF}, sizeof(int));
	if (o->bind_addr != NULL) {
		struct addrinfo *bi = NULL;
		struct addrinfo bh = {.ai_family = ai->ai_family, .ai_socktype = SOCK_STREAM,
				      .ai_flags = AI_NUMERICHOST};
		int rc = getaddrinfo(o->bind_addr, NULL, &bh, &bi);

		if (rc != 0 || bind(fd, bi->ai_addr, bi->ai_addrlen) != 0) {
			fprintf(stderr, "bmp_replay: cannot bind %s\n", o->bind_addr);
			if (rc == 0)
				freeaddrinfo(bi);
			goto fail;
		}
		freeaddrinfo(bi);
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		fprintf(stderr, "bmp_replay: connect %s port %s: %s\n", o->host, o->port,
			strerror(errno));
		goto fail;
	}
	freeaddrinfo(ai);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return -1;
}

static int send_file(int fd, const char *path)
{
	int in = open(path, O_RDONLY);
	struct stat st;
	const uint8_t *data = MAP_FAILED;
	size_t size = 0, off = 0;
	double t0;
	int rc = -1;

	if (in < 0 || fstat(in, &st) != 0) {
		fprintf(stderr, "bmp_replay: %s: %s\n", path, strerror(errno));
		goto out;
	}
	size = (size_t)st.st_size;
	if (size > 0) {
		data = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, in, 0);
		if (data == MAP_FAILED) {
			fprintf(stderr, "bmp_replay: %s: %s\n", path, strerror(errno));
			goto out;
		}
	}
	t0 = wall();
	while (off < size) {
		size_t n = size - off < WRITE_CHUNK ? size - off : WRITE_CHUNK;
		ssize_t w = write(fd, data + off, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fprintf(stderr, "bmp_replay: write after %zu bytes: %s\n", off,
				strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	report_sent(path, size, t0, wall());
	rc = 0;
out:
	if (data != MAP_FAILED)
		munmap((void *)(uintptr_t)data, size);
	if (in >= 0)
		close(in);
	return rc;
}

static int write_all(int fd, const uint8_t *p, size_t n, size_t done)
{
	size_t off = 0;

	while (off < n) {
		ssize_t w = write(fd, p + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fprintf(stderr, "bmp_replay: write after %zu bytes: %s\n", done + off,
				strerror(errno));
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

/* --stream: read a chunk, write it, drop it from the page cache. */
static int stream_file(int fd, const char *path)
{
	int in = open(path, O_RDONLY);
	uint8_t *buf = malloc(WRITE_CHUNK);
	size_t size = 0;
	double t0 = wall();
	int rc = -1;

	if (in < 0 || buf == NULL) {
		fprintf(stderr, "bmp_replay: %s: %s\n", path, strerror(errno));
		goto out;
	}
	(void)posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (;;) {
		ssize_t r = read(in, buf, WRITE_CHUNK);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "bmp_replay: %s: %s\n", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		if (write_all(fd, buf, (size_t)r, size) != 0)
			goto out;
		(void)posix_fadvise(in, (off_t)size, r, POSIX_FADV_DONTNEED);
		size += (size_t)r;
	}
	report_sent(path, size, t0, wall());
	rc = 0;
out:
	free(buf);
	if (in >= 0)
		close(in);
	return rc;
}

static int wait_for(const char *path, double limit)
{
	double end = wall() + limit;

	while (access(path, F_OK) != 0) {
		if (wall() > end) {
			fprintf(stderr, "bmp_replay: %s did not appear within %.0f s\n", path, limit);
			return -1;
		}
		nap(0.005);
	}
	return 0;
}

static int parse(int argc, char **argv, struct replay_opts *o)
{
	int i;

	*o = (struct replay_opts){.wait = 600};
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end = NULL;

		if (v == NULL)
			return -1;
		if (strcmp(a, "--bind") == 0) {
			o->bind_addr = v;
		} else if (strcmp(a, "--next-when") == 0) {
			o->next_when = v;
		} else if (strcmp(a, "--stream") == 0) {
			o->stream = strcmp(v, "0") != 0;
		} else if (strcmp(a, "--start-at") == 0) {
			o->start_at = strtod(v, &end);
			if (*end != '\0' || end == v || o->start_at < 0)
				return -1;
		} else if (strcmp(a, "--hold") == 0 || strcmp(a, "--wait") == 0 ||
			   strcmp(a, "--gap") == 0) {
			double d = strtod(v, &end);

			if (*end != '\0' || end == v || d < 0 || d > 86400)
				return -1;
			if (strcmp(a, "--hold") == 0)
				o->hold = d;
			else if (strcmp(a, "--gap") == 0)
				o->gap = d;
			else
				o->wait = d;
		} else {
			return -1;
		}
	}
	if (argc - i < 3)
		return -1;
	o->host = argv[i];
	o->port = argv[i + 1];
	o->files = argv + i + 2;
	o->nfiles = argc - i - 2;
	return 0;
}

int main(int argc, char **argv)
{
	struct replay_opts o;
	int fd;

	if (parse(argc, argv, &o) != 0) {
		fprintf(stderr, "usage: bmp_replay [--bind ADDR] [--hold SECONDS] "
				"[--next-when PATH] [--wait SECONDS] [--gap SECONDS] "
				"[--start-at EPOCH] [--stream 1] HOST PORT FILE [FILE...]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	fd = dial(&o);
	if (fd < 0)
		return 1;
	if (o.start_at > wall())
		nap(o.start_at - wall());
	for (int i = 0; i < o.nfiles; i++) {
		if (i > 0 && o.next_when != NULL && wait_for(o.next_when, o.wait) != 0) {
			close(fd);
			return 1;
		}
		if (i > 0 && o.gap > 0)
			nap(o.gap);
		if ((o.stream ? stream_file(fd, o.files[i]) : send_file(fd, o.files[i])) != 0) {
			close(fd);
			return 1;
		}
	}
	if (o.hold > 0)
		nap(o.hold);
	close(fd);
	return 0;
}
