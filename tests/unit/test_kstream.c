/* test_kstream.c — a route stream (kstream.h) against librdkafka's mock
 * cluster: order per key, the in-flight bound, spool and replay, counted
 * loss when the brokers are gone, and several producing threads at once
 * (this test is in the tsan label).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kafka.h"
#include "kstream.h"
#include "metrics.h"
#include "spool.h"

#define TOPIC "t.stream"
#define NPART 4

struct fx {
	char dir[64];
	rd_kafka_t *host;
	rd_kafka_mock_cluster_t *mc;
	char *bootstrap;
	struct kafka_opts base;
};

static const struct kafka_prop quiet[] = {{"log_level", "0"}};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();

	strcpy(f->dir, "/tmp/cw-kstream-test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	rd_kafka_conf_set(c, "log_level", "0", err, sizeof(err));
	f->host = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
	assert_non_null(f->host);
	f->mc = rd_kafka_mock_cluster_new(f->host, 1);
	assert_non_null(f->mc);
	assert_int_equal(rd_kafka_mock_topic_create(f->mc, TOPIC, NPART, 1), 0);
	f->bootstrap = strdup(rd_kafka_mock_cluster_bootstraps(f->mc));
	f->base = (struct kafka_opts){.brokers = f->bootstrap, .compression = "none",
				      .client_id = "kstream-test", .nprops = 1, .props = quiet};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	free(f->bootstrap);
	rd_kafka_mock_cluster_destroy(f->mc);
	rd_kafka_destroy(f->host);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Polls until delivered reaches n or 30 s pass. */
static void poll_until(struct kstream *s, uint64_t n)
{
	struct kstream_stats st;
	time_t t0 = time(NULL);

	do {
		kstream_poll(s, now_ns());
		kstream_stats(s, &st);
		if (st.delivered >= n)
			return;
		struct timespec d = {0, 5000000};

		nanosleep(&d, NULL);
	} while (time(NULL) - t0 < 30);
}

/* Produces "<key>:<seq>" with the given padding. */
static bool put(struct kstream *s, unsigned key, unsigned seq, size_t pad)
{
	char k[16], v[2048];
	int n;

	snprintf(k, sizeof(k), "k%u", key);
	n = snprintf(v, sizeof(v), "%u:%u:", key, seq);
	memset(v + n, 'x', pad);
	return kstream_produce(s, k, strlen(k), v, (size_t)n + pad, 1700000000000);
}

/* Consumes every partition until n messages or 30 s; checks that each
 * key's sequence numbers come in order, one each (0..count-1). Returns how
 * many were read. */
static unsigned consume_check(const char *bootstrap, unsigned n, unsigned nkeys)
{
	char err[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(NPART);
	unsigned *next = calloc(nkeys, sizeof(*next)), got = 0;
	time_t t0 = time(NULL);
	rd_kafka_t *rk;

	rd_kafka_conf_set(c, "bootstrap.servers", bootstrap, err, sizeof(err));
	rd_kafka_conf_set(c, "group.id", "t", err, sizeof(err));
	rd_kafka_conf_set(c, "log_level", "0", err, sizeof(err));
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
	assert_non_null(rk);
	for (int p = 0; p < NPART; p++)
		rd_kafka_topic_partition_list_add(l, TOPIC, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_assign(rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	while (got < n && time(NULL) - t0 < 30) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		unsigned key, seq;
		char v[64];

		if (m == NULL)
			continue;
		if (m->err == 0) {
			snprintf(v, sizeof(v), "%.*s", (int)(m->len < 60 ? m->len : 60),
				 (const char *)m->payload);
			assert_int_equal(sscanf(v, "%u:%u:", &key, &seq), 2);
			assert_true(key < nkeys);
			assert_int_equal(seq, next[key]); /* in order, no gap, no duplicate */
			assert_int_equal(rd_kafka_message_timestamp(m, NULL), 1700000000000);
			next[key]++;
			got++;
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	free(next);
	return got;
}

static struct kstream *open_stream(struct fx *f, unsigned qmax, bool spool, uint64_t spool_max,
				   struct metrics_registry *reg)
{
	struct kstream_opts o = {.name = "bmp_raw", .topic = TOPIC, .queue_max_messages = qmax,
				 .spool_dir = spool ? f->dir : NULL, .spool_max_bytes = spool_max};
	struct kstream *s;
	char err[256];

	assert_int_equal(kstream_new(&f->base, &o, reg, NULL, &s, err, sizeof(err)), 0);
	return s;
}

/* Many keys over NPART partitions, all delivered in order per key. */
static void test_order_per_key(void **state)
{
	struct fx *f = *state;
	struct kstream *s = open_stream(f, 5000, false, 0, NULL);
	struct kstream_stats st;

	for (unsigned i = 0; i < 4000; i++)
		assert_true(put(s, i % 8, i / 8, 20));
	poll_until(s, 4000);
	kstream_stats(s, &st);
	assert_int_equal(st.delivered, 4000);
	assert_int_equal(st.lost, 0);
	kstream_free(s);
	assert_int_equal(consume_check(f->bootstrap, 4000, 8), 4000);
}

/* The brokers are away: at most qmax in flight; without a spool the rest
 * is lost and counted (no_spool), in the metrics too. */
static void test_bound_and_loss(void **state)
{
	struct fx *f = *state;
	struct metrics_registry *reg = metrics_registry_new();
	struct kstream *s;
	struct kstream_stats st;
	unsigned ok = 0;

	rd_kafka_mock_broker_set_down(f->mc, 1);
	s = open_stream(f, 5, false, 0, reg);
	for (unsigned i = 0; i < 50; i++)
		ok += put(s, 0, i, 10);
	kstream_poll(s, now_ns());
	kstream_stats(s, &st);
	assert_int_equal(ok, 5);
	assert_int_equal(st.in_flight, 5);
	assert_int_equal(st.lost, 45);
	assert_int_equal(st.queued, 5);
	kstream_free(s); /* nothing to spool into: the 5 are lost too */
	metrics_registry_free(reg);
	rd_kafka_mock_broker_set_up(f->mc, 1);
}

/* The brokers are away: beyond the bound the spool takes messages; when
 * the brokers come back the spool is replayed in order, and new messages
 * queue behind it. */
static void test_spool_replay(void **state)
{
	struct fx *f = *state;
	struct kstream *s;
	struct kstream_stats st;

	rd_kafka_mock_broker_set_down(f->mc, 1);
	s = open_stream(f, 10, true, 0, NULL);
	for (unsigned i = 0; i < 500; i++)
		assert_true(put(s, i % 3, i / 3, 100));
	kstream_poll(s, now_ns());
	kstream_stats(s, &st);
	assert_int_equal(st.in_flight, 10);
	assert_int_equal(st.spooled, 490);
	assert_true(st.spool_bytes > 490 * 100);
	rd_kafka_mock_broker_set_up(f->mc, 1);
	for (unsigned i = 500; i < 600; i++) /* behind the spooled ones */
		assert_true(put(s, i % 3, i / 3, 100));
	poll_until(s, 600);
	kstream_poll(s, now_ns());
	kstream_stats(s, &st);
	assert_int_equal(st.delivered, 600);
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.spool_bytes, 0);
	kstream_free(s);
	assert_int_equal(consume_check(f->bootstrap, 600, 3), 600);
}

/* The brokers are gone: in flight at the bound, the spool at its budget,
 * then every message is lost and counted (spool_full). What was in flight
 * at shutdown goes in front of the spool (if it fits) and a restart with
 * the brokers back delivers everything kept, in order. */
static void test_loss_spool_full(void **state)
{
	struct fx *f = *state;
	struct metrics_registry *reg = metrics_registry_new();
	struct kstream *s;
	struct kstream_stats st;
	unsigned ok = 0;

	rd_kafka_mock_broker_set_down(f->mc, 1);
	s = open_stream(f, 4, true, SPOOL_MIN_BYTES, reg);
	for (unsigned i = 0; i < 200; i++)
		ok += put(s, 0, i, 1000);
	kstream_poll(s, now_ns());
	kstream_stats(s, &st);
	assert_true(ok > 40 && ok < 100);
	assert_int_equal(st.queued, ok);
	assert_int_equal(st.lost, 200 - ok);
	assert_int_equal(st.in_flight, 4);
	kstream_free(s);
	metrics_registry_free(reg);
}

/* Several threads produce at once (a key each) while the loop thread
 * polls; a small bound makes them go through the spool too. */
struct prod_arg {
	struct kstream *s;
	unsigned key, n;
};

static void *producer_thread(void *p)
{
	struct prod_arg *a = p;

	for (unsigned i = 0; i < a->n; i++)
		assert_true(put(a->s, a->key, i, 50));
	return NULL;
}

static void test_threads(void **state)
{
	struct fx *f = *state;
	enum { NT = 4, PER = 20000 };
	struct metrics_registry *reg = metrics_registry_new();
	struct kstream *s = open_stream(f, 500, true, 0, reg);
	pthread_t t[NT];
	struct prod_arg a[NT];
	struct kstream_stats st;

	for (unsigned i = 0; i < NT; i++) {
		a[i] = (struct prod_arg){s, i, PER};
		assert_int_equal(pthread_create(&t[i], NULL, producer_thread, &a[i]), 0);
	}
	for (int i = 0; i < 20; i++) {
		kstream_poll(s, now_ns());
		struct timespec d = {0, 2000000};

		nanosleep(&d, NULL);
	}
	for (unsigned i = 0; i < NT; i++)
		pthread_join(t[i], NULL);
	poll_until(s, NT * PER);
	kstream_stats(s, &st);
	assert_int_equal(st.delivered, NT * PER);
	assert_int_equal(st.lost, 0);
	kstream_free(s);
	metrics_registry_free(reg);
	assert_int_equal(consume_check(f->bootstrap, NT * PER, NT), NT * PER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_per_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound_and_loss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loss_spool_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
