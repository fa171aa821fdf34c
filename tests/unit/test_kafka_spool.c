/* test_kafka_spool.c — the Kafka exporter's spool: framing, order across
 * reopen, bounds, segment rotation and deletion, damage (bad CRC, broken
 * length, a record torn by a crash) detected, skipped and counted; and the
 * exporter around it when the spool is full (against an in-process
 * librdkafka mock cluster): the loss counted and reported as an
 * EVENTS_LOST event once there is room. A disk that fills up (a write
 * failing with ENOSPC after N bytes: cw_write_all is wrapped at link time,
 * -Wl,--wrap) is a spool_error of its own; the reports carry the exact
 * count and are never counted as lost themselves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <time.h>

#include "daemon_config.h"
#include "kafka_config.h"
#include "event_codec.h"
#include "fileio.h"
#include "kafka.h"
#include "log.h"
#include "spool.h"

/* ---- a disk of disk_cap bytes under disk_dir (0: no limit) ---- */

static struct {
	char dir[64];
	uint64_t cap;
	unsigned refused; /* writes failed with ENOSPC */
} disk;

int __real_cw_write_all(int fd, const void *p, size_t n);
int __wrap_cw_write_all(int fd, const void *p, size_t n);

/* Bytes of the regular files in disk.dir: what a filesystem would hold. */
static uint64_t disk_used(void)
{
	DIR *d = opendir(disk.dir);
	struct dirent *de;
	uint64_t used = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 && S_ISREG(st.st_mode))
			used += (uint64_t)st.st_size;
	}
	closedir(d);
	return used;
}

/* As write(2) on a full filesystem: what fits is written, then ENOSPC. */
int __wrap_cw_write_all(int fd, const void *p, size_t n)
{
	uint64_t used;

	if (disk.cap == 0 || (used = disk_used()) + n <= disk.cap)
		return __real_cw_write_all(fd, p, n);
	if (used < disk.cap)
		assert_true(write(fd, p, (size_t)(disk.cap - used)) >= 0);
	disk.refused++;
	errno = ENOSPC;
	return -1;
}

static void disk_limit(const char *dir, uint64_t cap)
{
	snprintf(disk.dir, sizeof(disk.dir), "%s", dir);
	disk.cap = cap;
	disk.refused = 0;
}

struct fx {
	char dir[64];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/cw-spool-test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	disk.cap = 0;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Record i: "rec-<i>" padded to size bytes. */
static size_t make_rec(unsigned i, size_t size, uint8_t *out)
{
	memset(out, 'x', size);
	int n = snprintf((char *)out, size, "rec-%u", i);

	if ((size_t)n < size)
		out[n] = '.';
	return size;
}

static unsigned rec_index(const uint8_t *rec, size_t len)
{
	char buf[32];
	size_t n = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;

	memcpy(buf, rec, n);
	buf[n] = 0;
	return (unsigned)strtoul(buf + 4, NULL, 10);
}

static void append_n(struct spool *sp, unsigned from, unsigned n, size_t size)
{
	uint8_t buf[SPOOL_RECORD_MAX];

	for (unsigned i = from; i < from + n; i++)
		assert_int_equal(spool_append(sp, buf, make_rec(i, size, buf)), 0);
	assert_int_equal(spool_sync(sp), 0);
}

/* Reads every record, checks they are from..from+n-1 in order, acks when asked. */
static void expect_n(struct spool *sp, unsigned from, unsigned n, bool ack)
{
	const uint8_t *rec;
	size_t len;
	uint64_t ticket;

	for (unsigned i = from; i < from + n; i++) {
		assert_int_equal(spool_peek(sp, &rec, &len, &ticket), 1);
		if (rec_index(rec, len) != i)
			fail_msg("expected record %u, got %u", i, rec_index(rec, len));
		spool_next(sp);
		if (ack)
			spool_ack(sp, ticket);
	}
}

static void expect_end(struct spool *sp)
{
	const uint8_t *rec;
	size_t len;
	uint64_t ticket;

	assert_int_equal(spool_peek(sp, &rec, &len, &ticket), 0);
	assert_false(spool_has_unread(sp));
}

static void test_crc32c(void **state)
{
	(void)state;
	/* RFC 3720 §B.4 and the usual check value of CRC-32C */
	assert_int_equal(spool_crc32c(0, "123456789", 9), 0xE3069283u);
	uint8_t zeros[32] = {0};

	assert_int_equal(spool_crc32c(0, zeros, 32), 0x8A9136AAu);
	/* incremental equals one pass */
	assert_int_equal(spool_crc32c(spool_crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
}

static void test_scan_pure(void **state)
{
	uint8_t buf[256], rec[16];
	size_t n = 0, pos = 0, len;
	const uint8_t *r;
	struct spool_damage d = {0};

	(void)state;
	memcpy(buf, "junk", 4); /* garbage before the first record */
	n = 4;
	n += spool_frame("alpha", 5, buf + n, sizeof(buf) - n);
	n += spool_frame("beta", 4, buf + n, sizeof(buf) - n);
	assert_int_equal(spool_frame(rec, SPOOL_RECORD_MAX + 1, buf, sizeof(buf)), 0);
	assert_int_equal(spool_scan(buf, n, &pos, &r, &len, &d), 1);
	assert_int_equal(len, 5);
	assert_memory_equal(r, "alpha", 5);
	assert_int_equal(d.corrupt, 1);
	assert_int_equal(spool_scan(buf, n, &pos, &r, &len, &d), 1);
	assert_memory_equal(r, "beta", 4);
	assert_int_equal(spool_scan(buf, n, &pos, &r, &len, &d), 0);
	assert_int_equal(pos, n);
	/* a length that points past another record: corrupt, the next one read */
	buf[4 + 7] = 200;
	pos = 0;
	memset(&d, 0, sizeof(d));
	assert_int_equal(spool_scan(buf, n, &pos, &r, &len, &d), 1);
	assert_memory_equal(r, "beta", 4);
	assert_int_equal(d.corrupt, 2);
	assert_int_equal(d.truncated, 0);
	/* a torn header (2 bytes of magic) at the end: truncated */
	pos = 0;
	memset(&d, 0, sizeof(d));
	n = spool_frame("x", 1, buf, sizeof(buf));
	buf[n] = 0x43;
	buf[n + 1] = 0x57;
	assert_int_equal(spool_scan(buf, n + 2, &pos, &r, &len, &d), 1);
	assert_int_equal(spool_scan(buf, n + 2, &pos, &r, &len, &d), 0);
	assert_int_equal(d.truncated, 1);
	assert_int_equal(d.corrupt, 0);
}

static void test_order_across_reopen(void **state)
{
	struct fx *f = *state;
	struct spool *sp;

	assert_int_equal(spool_open(f->dir, 16u << 20, &sp), 0);
	expect_end(sp);
	append_n(sp, 0, 100, 100);
	spool_close(sp);
	/* reopened: old records first, then what is appended now */
	assert_int_equal(spool_open(f->dir, 16u << 20, &sp), 0);
	assert_int_equal(spool_bytes(sp), 100 * (SPOOL_HDR_LEN + 100));
	append_n(sp, 100, 50, 100);
	expect_n(sp, 0, 60, true);
	/* read while appending: the write segment is sealed when read */
	append_n(sp, 150, 10, 100);
	expect_n(sp, 60, 100, true);
	expect_end(sp);
	append_n(sp, 160, 1, 100);
	expect_n(sp, 160, 1, true);
	expect_end(sp);
	spool_close(sp);
	/* everything acked: nothing left on disk */
	assert_int_equal(spool_open(f->dir, 16u << 20, &sp), 0);
	assert_int_equal(spool_bytes(sp), 0);
	assert_int_equal(spool_segments(sp), 0);
	expect_end(sp);
	spool_close(sp);
}

static void test_unacked_replayed(void **state)
{
	struct fx *f = *state;
	struct spool *sp;
	size_t big = 60000; /* ~18 records per 1 MiB segment */

	assert_int_equal(spool_open(f->dir, 64u << 20, &sp), 0);
	append_n(sp, 0, 60, big);
	assert_true(spool_segments(sp) >= 3);
	/* read all, ack only the first 20: the first segment goes, the rest stay */
	expect_n(sp, 0, 20, true);
	expect_n(sp, 20, 40, false);
	expect_end(sp);
	size_t segs = spool_segments(sp);

	assert_true(segs < 4);
	spool_close(sp);
	assert_int_equal(spool_open(f->dir, 64u << 20, &sp), 0);
	/* at least once: the unacked ones (and their segment-mates) come again, in order */
	const uint8_t *rec;
	size_t len;
	uint64_t ticket;

	assert_int_equal(spool_peek(sp, &rec, &len, &ticket), 1);
	unsigned first = rec_index(rec, len);

	assert_true(first <= 20);
	expect_n(sp, first, 60 - first, true);
	expect_end(sp);
	assert_int_equal(spool_segments(sp), 0);
	spool_close(sp);
}

static void test_bounds(void **state)
{
	struct fx *f = *state;
	struct spool *sp;
	uint8_t buf[SPOOL_RECORD_MAX + 1];
	unsigned n = 0;

	assert_int_equal(spool_open(f->dir, 1000, &sp), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(spool_open(f->dir, SPOOL_MIN_BYTES, &sp), 0);
	assert_int_equal(spool_append(sp, buf, SPOOL_RECORD_MAX + 1), -1);
	assert_int_equal(errno, EMSGSIZE);
	int rc;

	while ((rc = spool_append(sp, buf, make_rec(n, 1000, buf))) == 0)
		n++;
	/* the budget, told apart from a full disk */
	assert_int_equal(rc, SPOOL_OVER_BUDGET);
	assert_int_equal(errno, EDQUOT);
	assert_int_equal(n, SPOOL_MIN_BYTES / (SPOOL_HDR_LEN + 1000));
	assert_true(spool_bytes(sp) <= SPOOL_MIN_BYTES);
	/* draining makes room again */
	expect_n(sp, 0, n, true);
	assert_int_equal(spool_append(sp, buf, make_rec(n, 1000, buf)), 0);
	expect_n(sp, n, 1, true);
	spool_close(sp);
}

/* A disk that fills up: the write fails with ENOSPC after what fits, and
 * no part of the record stays behind; once records are delivered and their
 * segment deleted, appends work again. */
static void test_disk_full(void **state)
{
	struct fx *f = *state;
	struct spool *sp;
	uint8_t buf[2000];
	unsigned n = 0;
	const uint64_t rec = SPOOL_HDR_LEN + 1000;

	disk_limit(f->dir, 10000);
	assert_int_equal(spool_open(f->dir, 1u << 30, &sp), 0);
	int rc;

	while ((rc = spool_append(sp, buf, make_rec(n, 1000, buf))) == 0)
		n++;
	assert_int_equal(rc, -1); /* not SPOOL_OVER_BUDGET: the budget is far */
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(n, 10000 / rec);
	assert_int_equal(disk.refused, 1);
	assert_int_equal(disk_used(), n * rec); /* the torn tail was cut */
	assert_int_equal(spool_bytes(sp), n * rec);
	assert_int_equal(spool_append(sp, buf, make_rec(n, 1000, buf)), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(spool_sync(sp), 0);
	expect_n(sp, 0, n, true);
	expect_end(sp);
	assert_int_equal(disk_used(), 0);
	assert_int_equal(spool_append(sp, buf, make_rec(n, 1000, buf)), 0);
	assert_int_equal(spool_sync(sp), 0);
	spool_close(sp);
	assert_int_equal(spool_open(f->dir, 1u << 30, &sp), 0);
	expect_n(sp, n, 1, true);
	expect_end(sp);
	assert_int_equal(spool_damage(sp)->corrupt + spool_damage(sp)->truncated, 0);
	spool_close(sp);
}

/* The path of the only segment file in dir. */
static void only_segment(const char *dir, char *path, size_t n)
{
	char cmd[256];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls %s/*.seg", dir);
	p = popen(cmd, "r");
	assert_non_null(fgets(path, (int)n, p));
	path[strcspn(path, "\n")] = 0;
	assert_null(fgets(cmd, sizeof(cmd), p)); /* only one */
	pclose(p);
}

static void test_crc_corruption_skipped(void **state)
{
	struct fx *f = *state;
	struct spool *sp;
	char path[256];
	int fd;

	assert_int_equal(spool_open(f->dir, 16u << 20, &sp), 0);
	append_n(sp, 0, 10, 50);
	spool_close(sp);
	only_segment(f->dir, path, sizeof(path));
	/* flip a payload byte of record 4 */
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "Z", 1, 4 * (SPOOL_HDR_LEN + 50) + SPOOL_HDR_LEN + 20), 1);
	close(fd);
	assert_int_equal(spool_open(f->dir, 16u << 20, &sp), 0);
	expect_n(sp, 0, 4, true);
	expect_n(sp, 5, 5, true);
	expect_end(sp);
	assert_int_equal(spool_damage(sp)->corrupt, 1);
	assert_int_equal(spool_damage(sp)->truncated, 0);
	spool_close(sp);
}

static void test_truncated_tail(void **state)
{
	struct fx *f = *state;
	struct spool *sp;
	char path[256];
	struct stat st;

	assert_int_equal(spool_open(f->dir, 16u << 20, &sp), 0);
	append_n(sp, 0, 10, 50);
	spool_close(sp);
	only_segment(f->dir, path, sizeof(path));
	/* a crash in the middle of the last write */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size - 7), 0);
	assert_int_equal(spool_open(f->dir, 16u << 20, &sp), 0);
	/* appends after the crash go to a new segment, after the torn one */
	append_n(sp, 10, 3, 50);
	expect_n(sp, 0, 9, true);
	expect_n(sp, 10, 3, true);
	expect_end(sp);
	assert_int_equal(spool_damage(sp)->truncated, 1);
	assert_int_equal(spool_damage(sp)->corrupt, 0);
	spool_close(sp);
}

static void test_prepend(void **state)
{
	struct fx *f = *state;
	struct spool *sp;
	uint8_t a[64], b[64];
	const uint8_t *recs[2] = {a, b};
	size_t lens[2];

	assert_int_equal(spool_open(f->dir, 16u << 20, &sp), 0);
	append_n(sp, 2, 3, 40);
	lens[0] = make_rec(0, 40, a);
	lens[1] = make_rec(1, 40, b);
	assert_int_equal(spool_prepend(sp, recs, lens, 2), 2);
	spool_close(sp);
	assert_int_equal(spool_open(f->dir, 16u << 20, &sp), 0);
	expect_n(sp, 0, 5, true);
	expect_end(sp);
	/* prepending into an empty spool works too */
	assert_int_equal(spool_prepend(sp, recs, lens, 2), 2);
	spool_close(sp);
	assert_int_equal(spool_open(f->dir, 16u << 20, &sp), 0);
	expect_n(sp, 0, 2, true);
	expect_end(sp);
	spool_close(sp);
}

static void test_foreign_files_ignored(void **state)
{
	struct fx *f = *state;
	struct spool *sp;
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/notes.txt", f->dir);
	fp = fopen(path, "w");
	fputs("hello", fp);
	fclose(fp);
	/* a segment name with garbage content: all of it one damaged region */
	snprintf(path, sizeof(path), "%s/0000000000000001.seg", f->dir);
	fp = fopen(path, "w");
	fputs("this is not a spool segment at all", fp);
	fclose(fp);
	assert_int_equal(spool_open(f->dir, 16u << 20, &sp), 0);
	append_n(sp, 0, 2, 30);
	expect_n(sp, 0, 2, true);
	expect_end(sp);
	assert_int_equal(spool_damage(sp)->corrupt, 1);
	spool_close(sp);
}

/* ---- the exporter with a full spool ---- */

struct mock {
	rd_kafka_t *host;
	rd_kafka_mock_cluster_t *mc;
	char *bootstrap;
};

static void mock_start(struct mock *m)
{
	char err[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();

	rd_kafka_conf_set(c, "log_level", "0", err, sizeof(err));
	m->host = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
	assert_non_null(m->host);
	m->mc = rd_kafka_mock_cluster_new(m->host, 1);
	assert_non_null(m->mc);
	assert_int_equal(rd_kafka_mock_topic_create(m->mc, "t.events", 1, 1), 0);
	m->bootstrap = strdup(rd_kafka_mock_cluster_bootstraps(m->mc));
}

static void mock_stop(struct mock *m)
{
	free(m->bootstrap);
	rd_kafka_mock_cluster_destroy(m->mc);
	rd_kafka_destroy(m->host);
}

static void session_event(struct cw_event *ev, unsigned i)
{
	cw_event_init(ev, CW_EV_BGP_SESSION_DOWN, CW_SEV_CRITICAL, 1000 + i);
	ev->id[15] = (uint8_t)i;
	ev->id[14] = (uint8_t)(i >> 8);
	ev->id[0] = 0x55;
	cw_event_set(ev->circuit, "er-1");
	/* a long message: a few hundred bytes per spooled record */
	memset(ev->message, 'm', CW_EVENT_TEXT_MAX - 1);
}

/* Reads the topic until n events or 20 s; returns how many, and the last
 * EVENTS_LOST seen in *lost (type 0 when none). */
static int consume(const char *bootstrap, int n, struct cw_event *lost)
{
	char err[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_t *rk;
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	int got = 0;
	time_t t0 = time(NULL);

	memset(lost, 0, sizeof(*lost));
	rd_kafka_conf_set(c, "bootstrap.servers", bootstrap, err, sizeof(err));
	rd_kafka_conf_set(c, "group.id", "t", err, sizeof(err));
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
	rd_kafka_topic_partition_list_add(l, "t.events", 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_assign(rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	while (got < n && time(NULL) - t0 < 20) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		struct cw_event ev;

		if (m == NULL)
			continue;
		if (m->err == 0 && cw_event_decode_pb(m->payload, m->len, &ev) == CW_EVENT_OK) {
			got++;
			if (ev.type == CW_EV_EVENTS_LOST)
				*lost = ev;
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return got;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void test_exporter_spool_full(void **state)
{
	struct fx *f = *state;
	static const struct kafka_prop props[] = {{"log_level", "0"}};
	struct kafka_opts o = {.topic_events = "t.events", .topic_alerts = "t.events",
			       .encoding = KAFKA_ENC_PROTOBUF, .compression = "none",
			       .spool_dir = f->dir, .spool_max_bytes = SPOOL_MIN_BYTES,
			       .queue_max_messages = 2, .nprops = 1, .props = props};
	struct kafka_exporter *k;
	struct kafka_stats st;
	struct cw_event ev, lost;
	struct mock m;
	char err[256];
	unsigned n = 0;
	uint64_t spooled;
	time_t t0;

	mock_start(&m);
	o.brokers = m.bootstrap;
	rd_kafka_mock_broker_set_down(m.mc, 1);
	assert_int_equal(kafka_exporter_new(&o, NULL, NULL, &k, err, sizeof(err)), 0);
	/* 2 wait in the producer, the spool takes ~64 KiB, the rest is lost */
	do {
		session_event(&ev, n++);
		kafka_exporter_event(k, &ev);
		kafka_exporter_stats(k, &st);
	} while (st.lost < 5 && n < 2000);
	assert_true(st.spool_full);
	assert_int_equal(st.in_flight, 2);
	assert_int_equal(st.spooled + 2 + st.lost, n);
	spooled = st.spooled;
	kafka_exporter_poll(k, now_ns());
	kafka_exporter_stats(k, &st);
	assert_int_equal(st.lost, 5); /* a report is never counted lost */
	/* the report is smaller than these events: spooled when it fits in
	 * what is left (a write succeeded: not full), else kept for later */
	if (st.spooled == spooled)
		assert_true(st.spool_full);
	else
		assert_true(st.spooled == spooled + 1 && !st.spool_full);
	assert_true(st.spool_bytes <= SPOOL_MIN_BYTES);
	/* the brokers are back: everything kept is delivered, then the report */
	rd_kafka_mock_broker_set_up(m.mc, 1);
	t0 = time(NULL);
	do {
		kafka_exporter_poll(k, now_ns());
		kafka_exporter_stats(k, &st);
		usleep(10000);
	} while (st.delivered < n - 5 + 1 && time(NULL) - t0 < 20);
	assert_int_equal(st.delivered, n - 5 + 1);
	assert_false(st.spool_full);
	assert_int_equal(st.spool_bytes, 0);
	kafka_exporter_free(k);
	assert_int_equal(consume(m.bootstrap, (int)(n - 5 + 1), &lost), (int)(n - 5 + 1));
	assert_int_equal(lost.type, CW_EV_EVENTS_LOST);
	assert_int_equal(lost.detail, CW_DETAIL_LOSS);
	assert_int_equal(lost.d.loss.count, 5);
	assert_string_equal(lost.d.loss.reason, "spool_full");
	assert_true(lost.d.loss.first_ns > 0 && lost.d.loss.last_ns >= lost.d.loss.first_ns);
	mock_stop(&m);
}

/* What a consumer saw: each event by its index, and the loss reports. */
#define TALLY_MAX 4096
struct tally {
	unsigned events, dups, reports;
	uint64_t reported;
	int64_t first_ns, last_ns;
	bool bad_report;
	uint8_t seen[TALLY_MAX];
};

static void tally_one(struct tally *t, const struct cw_event *ev)
{
	if (ev->type == CW_EV_EVENTS_LOST) {
		t->reports++;
		t->reported += ev->d.loss.count;
		if (strcmp(ev->d.loss.reason, "spool_error") != 0 ||
		    ev->d.loss.last_ns < ev->d.loss.first_ns)
			t->bad_report = true;
		if (t->first_ns == 0 || ev->d.loss.first_ns < t->first_ns)
			t->first_ns = ev->d.loss.first_ns;
		if (ev->d.loss.last_ns > t->last_ns)
			t->last_ns = ev->d.loss.last_ns;
		return;
	}
	unsigned i = (unsigned)ev->id[15] | (unsigned)ev->id[14] << 8;

	assert_true(i < TALLY_MAX);
	if (t->seen[i]++)
		t->dups++;
	else
		t->events++;
}

/* Reads the whole topic: at least want messages, then until 1 s passes
 * with nothing new (20 s at most). */
static void consume_tally(const char *bootstrap, unsigned want, struct tally *t)
{
	char err[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_t *rk;
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	unsigned got = 0;
	int64_t t0 = now_ns(), last = t0;

	memset(t, 0, sizeof(*t));
	rd_kafka_conf_set(c, "bootstrap.servers", bootstrap, err, sizeof(err));
	rd_kafka_conf_set(c, "group.id", "t", err, sizeof(err));
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
	rd_kafka_topic_partition_list_add(l, "t.events", 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_assign(rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	while (now_ns() - t0 < 20000000000 && (got < want || now_ns() - last < 1000000000)) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		struct cw_event ev;

		if (m == NULL)
			continue;
		if (m->err == 0 && cw_event_decode_pb(m->payload, m->len, &ev) == CW_EVENT_OK) {
			got++;
			last = now_ns();
			tally_one(t, &ev);
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
}

/* Lines of the log file fd that contain any of the words. */
static unsigned log_lines(int fd, const char *const *words, size_t nwords)
{
	char line[LOG_LINE_MAX + 2];
	unsigned n = 0;
	FILE *fp;

	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	fp = fdopen(dup(fd), "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL)
		for (size_t i = 0; i < nwords; i++)
			if (strstr(line, words[i]) != NULL) {
				n++;
				break;
			}
	fclose(fp);
	return n;
}

/* The disk under the spool fills up (the budget is far) while the brokers
 * are down: the lost events are counted once each as spool_error, the
 * count does not move while nothing happens, the state changes are logged
 * a few times only; when the brokers return and the spool drains, every
 * kept event arrives once and the EVENTS_LOST reports add up to exactly
 * the events lost. */
static void test_exporter_disk_full(void **state)
{
	struct fx *f = *state;
	static const struct kafka_prop props[] = {{"log_level", "0"}};
	static const char *const state_words[] = {"spool full", "spool write failed",
						  "room again", "takes events again"};
	struct kafka_opts o = {.topic_events = "t.events", .topic_alerts = "t.events",
			       .encoding = KAFKA_ENC_PROTOBUF, .compression = "none",
			       .spool_dir = f->dir, .queue_max_messages = 2, .nprops = 1,
			       .props = props};
	const unsigned n = 1000;
	FILE *lf = tmpfile();
	struct log *lg;
	struct kafka_exporter *k;
	struct kafka_stats st;
	struct cw_event ev;
	struct tally *t = calloc(1, sizeof(*t));
	struct mock m;
	char err[256];
	uint64_t lost;
	int64_t t_start = now_ns(), t_end, t0;

	assert_non_null(lf);
	assert_non_null(t);
	lg = log_new(fileno(lf), LOG_LVL_INFO, LOG_FMT_LOGFMT);
	assert_non_null(lg);
	mock_start(&m);
	o.brokers = m.bootstrap;
	rd_kafka_mock_broker_set_down(m.mc, 1);
	disk_limit(f->dir, 64 * 1024);
	assert_int_equal(kafka_exporter_new(&o, NULL, lg, &k, err, sizeof(err)), 0);
	for (unsigned i = 0; i < n; i++) {
		session_event(&ev, i);
		ev.time_ns = now_ns();
		kafka_exporter_event(k, &ev);
		if (i % 50 == 0)
			kafka_exporter_poll(k, now_ns());
	}
	t_end = now_ns();
	kafka_exporter_stats(k, &st);
	lost = st.lost;
	assert_true(lost > 0 && st.spooled > 0);
	assert_int_equal(st.spooled + st.in_flight + lost, n);
	assert_true(st.spool_full);
	/* the disk stays full for 2 s: nothing happens, nothing more is lost */
	for (int i = 0; i < 40; i++) {
		kafka_exporter_poll(k, now_ns());
		usleep(50000);
	}
	kafka_exporter_stats(k, &st);
	assert_int_equal(st.lost, lost);
	assert_true(st.spool_full);
	/* the brokers return: the spool drains and its segments free the disk */
	rd_kafka_mock_broker_set_up(m.mc, 1);
	t0 = now_ns();
	do {
		kafka_exporter_poll(k, now_ns());
		kafka_exporter_stats(k, &st);
		usleep(10000);
	} while ((st.delivered < n - lost + 1 || st.spool_bytes > 0 || st.in_flight > 0) &&
		 now_ns() - t0 < 30000000000);
	assert_int_equal(st.spool_bytes, 0);
	assert_false(st.spool_full);
	assert_int_equal(st.lost, lost);
	kafka_exporter_free(k);
	consume_tally(m.bootstrap, (unsigned)(n - lost + 1), t);
	assert_int_equal(t->events, n - lost);
	assert_int_equal(t->dups, 0);
	assert_true(t->reports >= 1);
	assert_false(t->bad_report);
	assert_int_equal(t->reported, lost);
	assert_true(t->first_ns >= t_start && t->last_ns <= t_end);
	/* "spool full" / "room again": a few lines, not one per poll */
	unsigned lines = log_lines(fileno(lf), state_words, 4);

	if (lines > 4)
		fail_msg("%u spool state lines logged", lines);
	log_free(lg);
	fclose(lf);
	free(t);
	mock_stop(&m);
}

/* The disk is full while the brokers are down, then has room again, and
 * the daemon stops before any poll: the pending loss goes into the spool
 * as its EVENTS_LOST report at shutdown, and the next start delivers it. */
static void test_exporter_loss_across_restart(void **state)
{
	struct fx *f = *state;
	static const struct kafka_prop props[] = {{"log_level", "0"}};
	struct kafka_opts o = {.topic_events = "t.events", .topic_alerts = "t.events",
			       .encoding = KAFKA_ENC_PROTOBUF, .compression = "none",
			       .spool_dir = f->dir, .queue_max_messages = 2, .nprops = 1,
			       .props = props};
	const unsigned n = 200;
	struct kafka_exporter *k;
	struct kafka_stats st;
	struct cw_event ev;
	struct tally *t = calloc(1, sizeof(*t));
	struct mock m;
	char err[256];
	uint64_t lost;
	int64_t t0;

	assert_non_null(t);
	mock_start(&m);
	o.brokers = m.bootstrap;
	rd_kafka_mock_broker_set_down(m.mc, 1);
	disk_limit(f->dir, 16 * 1024);
	assert_int_equal(kafka_exporter_new(&o, NULL, NULL, &k, err, sizeof(err)), 0);
	for (unsigned i = 0; i < n; i++) {
		session_event(&ev, i);
		kafka_exporter_event(k, &ev);
	}
	kafka_exporter_stats(k, &st);
	lost = st.lost;
	assert_true(lost > 0 && st.spool_full);
	disk.cap = 0;          /* room again, and no poll saw it */
	kafka_exporter_free(k); /* the report is spooled, then the queue */
	rd_kafka_mock_broker_set_up(m.mc, 1);
	assert_int_equal(kafka_exporter_new(&o, NULL, NULL, &k, err, sizeof(err)), 0);
	t0 = now_ns();
	do {
		kafka_exporter_poll(k, now_ns());
		kafka_exporter_stats(k, &st);
		usleep(10000);
	} while ((st.delivered < n - lost + 1 || st.spool_bytes > 0) &&
		 now_ns() - t0 < 30000000000);
	assert_int_equal(st.delivered, n - lost + 1);
	assert_int_equal(st.lost, 0);
	kafka_exporter_free(k);
	consume_tally(m.bootstrap, (unsigned)(n - lost + 1), t);
	assert_int_equal(t->events, n - lost);
	assert_int_equal(t->dups, 0);
	assert_int_equal(t->reports, 1);
	assert_false(t->bad_report);
	assert_int_equal(t->reported, lost);
	free(t);
	mock_stop(&m);
}

static void test_exporter_without_spool(void **state)
{
	static const struct kafka_prop props[] = {{"log_level", "0"}};
	struct kafka_opts o = {.topic_events = "t.events", .topic_alerts = "t.events",
			       .encoding = KAFKA_ENC_JSON, .queue_max_messages = 3,
			       .nprops = 1, .props = props};
	struct kafka_exporter *k;
	struct kafka_stats st;
	struct cw_event ev;
	struct mock m;
	char err[256];

	(void)state;
	mock_start(&m);
	o.brokers = m.bootstrap;
	rd_kafka_mock_broker_set_down(m.mc, 1);
	assert_int_equal(kafka_exporter_new(&o, NULL, NULL, &k, err, sizeof(err)), 0);
	for (unsigned i = 0; i < 10; i++) {
		session_event(&ev, i);
		kafka_exporter_event(k, &ev);
	}
	kafka_exporter_stats(k, &st);
	/* no spool: beyond the queue bound, lost and counted (never silently) */
	assert_int_equal(st.in_flight, 3);
	assert_int_equal(st.lost, 7);
	assert_int_equal(st.spooled, 0);
	kafka_exporter_free(k); /* the 3 in the queue: lost at shutdown, counted too */
	mock_stop(&m);
	/* a bad librdkafka property is refused with librdkafka's message */
	static const struct kafka_prop bad[] = {{"no.such.property", "1"}};

	o.brokers = "127.0.0.1:1";
	o.nprops = 1;
	o.props = bad;
	assert_int_equal(kafka_exporter_new(&o, NULL, NULL, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no.such.property"));
}

/* ---- the kafka: section of the config ---- */

static void test_config_kafka(void **state)
{
	static const char full[] =
		"kafka:\n"
		"  enabled: true\n"
		"  brokers: [127.0.0.1:9092, \"[2001:db8::1]:9093\", kafka-1.example:9094]\n"
		"  topic_events: cw.events\n"
		"  encoding: json\n"
		"  compression: zstd\n"
		"  spool_dir: /tmp/spool\n"
		"  spool_max_bytes: 1048576\n"
		"  queue_max_messages: 500\n"
		"  client_id: cw-test\n"
		"  librdkafka: {linger.ms: 10, socket.keepalive.enable: true}\n";
	static const struct {
		const char *yaml, *error;
	} bad[] = {
		{"kafka: {enabled: true}\n", "enabled needs \"brokers\""},
		{"kafka: {brokers: [nohost]}\n", "kafka.brokers[0]: expected host:port"},
		{"kafka: {brokers: [\"a:99999\"]}\n", "kafka.brokers[0]: expected host:port"},
		{"kafka: {topic_alerts: \"bad topic\"}\n", "kafka.topic_alerts: expected a Kafka topic"},
		{"kafka: {encoding: avro}\n", "kafka.encoding: expected one of protobuf, json"},
		{"kafka: {compression: brotli}\n", "expected one of none, gzip, snappy, lz4, zstd"},
		{"kafka: {spool_max_bytes: 10}\n", "kafka.spool_max_bytes: expected an integer 65536.."},
		{"kafka: {queue_max_messages: 0}\n", "expected an integer 1..10000000"},
		{"kafka: {librdkafka: {a: [1]}}\n", "kafka.librdkafka: expected a scalar value"},
		{"kafka: {extra: 1}\n", "unknown key \"extra\" in kafka"},
	};
	struct cfg_config *cfg;
	struct cfg_errors errs = {0};

	(void)state;
	/* defaults */
	assert_int_equal(daemon_config_load_buffer("t", "", 0, &cfg, &errs), 0);
	assert_false(kafka_config(cfg)->enabled);
	assert_string_equal(kafka_config(cfg)->topic_events, "circuitwatch.events");
	assert_string_equal(kafka_config(cfg)->topic_alerts, "circuitwatch.alerts");
	assert_int_equal(kafka_config(cfg)->encoding, CFG_KAFKA_PROTOBUF);
	assert_string_equal(cfg_kafka_compression_name(kafka_config(cfg)->compression), "lz4");
	assert_string_equal(kafka_config(cfg)->spool_dir, "/var/lib/circuitwatch/kafka-spool");
	assert_int_equal(kafka_config(cfg)->spool_max_bytes, 1ull << 30);
	assert_int_equal(kafka_config(cfg)->queue_max_messages, KAFKA_QUEUE_MAX_DEFAULT);
	assert_string_equal(kafka_config(cfg)->client_id, "circuitwatch");
	cfg_free(cfg);
	/* every key */
	assert_int_equal(daemon_config_load_buffer("t", full, strlen(full), &cfg, &errs), 0);
	assert_true(kafka_config(cfg)->enabled);
	assert_int_equal(kafka_config(cfg)->nbrokers, 3);
	assert_string_equal(kafka_config(cfg)->brokers[1], "[2001:db8::1]:9093");
	assert_string_equal(kafka_config(cfg)->topic_events, "cw.events");
	assert_int_equal(kafka_config(cfg)->encoding, CFG_KAFKA_JSON);
	assert_string_equal(cfg_kafka_compression_name(kafka_config(cfg)->compression), "zstd");
	assert_string_equal(kafka_config(cfg)->spool_dir, "/tmp/spool");
	assert_int_equal(kafka_config(cfg)->spool_max_bytes, 1048576);
	assert_int_equal(kafka_config(cfg)->queue_max_messages, 500);
	assert_string_equal(kafka_config(cfg)->client_id, "cw-test");
	assert_int_equal(kafka_config(cfg)->nlibrdkafka, 2);
	assert_string_equal(kafka_config(cfg)->librdkafka[0].key, "linger.ms");
	assert_string_equal(kafka_config(cfg)->librdkafka[0].value, "10");
	assert_string_equal(kafka_config(cfg)->librdkafka[1].value, "true");
	cfg_free(cfg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(daemon_config_load_buffer("t", bad[i].yaml, strlen(bad[i].yaml), &cfg, &errs),
				 -1);
		assert_true(errs.n >= 1);
		if (strstr(errs.v[0].message, bad[i].error) == NULL)
			fail_msg("%s: got %s", bad[i].yaml, errs.v[0].message);
		cfg_errors_clean(&errs);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_scan_pure),
		cmocka_unit_test_setup_teardown(test_order_across_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unacked_replayed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crc_corruption_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prepend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_files_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exporter_spool_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exporter_disk_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exporter_loss_across_restart, setup, teardown),
		cmocka_unit_test(test_exporter_without_spool),
		cmocka_unit_test(test_config_kafka),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
