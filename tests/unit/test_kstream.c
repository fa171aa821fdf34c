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

#include "daemon_config.h"
#include "kafka.h"
#include "kafka_config.h"
#include "kstream.h"
#include "metrics.h"
#include "obmp.h"
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

/* The OpenBMP header, field by field at its offsets (obmp.h). MD5 values
 * from md5sum: "x" and "192.0.2.1" followed by MD5("x"). */
static void test_obmp_header(void **state)
{
	static const uint8_t md5_x[16] = {0x9d, 0xd4, 0xe4, 0x61, 0x26, 0x8c, 0x80, 0x34,
					  0xf5, 0xc8, 0x56, 0x4e, 0x15, 0x5c, 0x67, 0xa6};
	uint8_t a4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
	struct obmp_collector c;
	struct obmp_router r;
	uint8_t h[OBMP_HDR_MAX];
	size_t n;

	(void)state;
	obmp_collector_init(&c, "x");
	assert_memory_equal(c.hash, md5_x, 16);
	obmp_router_init(&r, &c, a4, false);
	n = obmp_header(&c, &r, 1700000000123456789, 300, h, sizeof(h));
	assert_int_equal(n, OBMP_HDR_FIXED + 1);
	assert_memory_equal(h, "OBMP", 4);
	assert_int_equal(h[4], 1);
	assert_int_equal(h[5], 7);
	assert_int_equal((h[6] << 8) | h[7], 79);
	assert_int_equal(((uint32_t)h[8] << 24) | (h[9] << 16) | (h[10] << 8) | h[11], 300);
	assert_int_equal(h[12], 0x80);
	assert_int_equal(h[13], 12);
	assert_int_equal(((uint32_t)h[14] << 24) | (h[15] << 16) | (h[16] << 8) | h[17], 1700000000);
	assert_int_equal(((uint32_t)h[18] << 24) | (h[19] << 16) | (h[20] << 8) | h[21], 123456);
	assert_memory_equal(h + 22, md5_x, 16);
	assert_int_equal((h[38] << 8) | h[39], 1);
	assert_int_equal(h[40], 'x');
	assert_memory_equal(h + 41, r.hash, 16);
	assert_memory_equal(h + 57, "\xc0\x00\x02\x01\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	assert_int_equal((h[73] << 8) | h[74], 0);
	assert_int_equal(((uint32_t)h[75] << 24) | (h[76] << 16) | (h[77] << 8) | h[78], 1);
	assert_int_equal(strlen(r.key), 32);
	/* python3: hashlib.md5(b"192.0.2.1" + hashlib.md5(b"x").digest()) */
	assert_string_equal(r.key, "6e7dfc1566bb1607c832885b25713cf5");
	/* IPv6: the flag and the whole address */
	uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};

	obmp_router_init(&r, &c, a6, true);
	n = obmp_header(&c, &r, 0, 6, h, sizeof(h));
	assert_int_equal(h[12], 0xc0);
	assert_memory_equal(h + 57, a6, 16);
	assert_int_equal(obmp_header(&c, &r, 0, 6, h, 10), 0); /* too small */
}

/* kafka.streams and kafka.security: defaults, every key, the cross-checks. */
static void test_config(void **state)
{
	static const char full[] =
		"kafka:\n  enabled: true\n  brokers: [\"k:9092\"]\n"
		"  security:\n    protocol: sasl_ssl\n"
		"    sasl: {mechanism: SCRAM-SHA-512, username: u, password_file: /p}\n"
		"    tls: {ca_file: /ca, cert_file: /c, key_file: /k, verify_hostname: false}\n"
		"  streams:\n    admin_id: col-1\n"
		"    bmp_raw: {enabled: true, topic: raw.t}\n"
		"    routes: {enabled: true, topic: routes.t, encoding: json}\n";
	static const struct {
		const char *yaml, *error;
	} bad[] = {
		{"kafka: {streams: {bmp_raw: {enabled: true}}}\n", "a stream needs \"enabled: true\""},
		{"kafka: {streams: {bmp_raw: {topic: \"a b\"}}}\n", "expected a Kafka topic"},
		{"kafka: {streams: {bmp_raw: {topic: circuitwatch.events}}}\n",
		 "each stream needs a topic of its own"},
		{"kafka: {streams: {routes: {encoding: avro}}}\n", "expected one of protobuf, json"},
		{"kafka: {streams: {admin_id: \"\"}}\n", "kafka.streams.admin_id"},
		{"kafka: {security: {protocol: sasl_plaintext}}\n",
		 "protocol sasl_plaintext needs \"sasl\""},
		{"kafka: {security: {sasl: {username: u}}}\n", "applies only with protocol sasl_"},
		{"kafka: {security: {protocol: sasl_plaintext, tls: {ca_file: /c}, "
		 "sasl: {username: u, password_file: /p}}}\n",
		 "applies only with protocol ssl or sasl_ssl"},
		{"kafka: {security: {protocol: ssl, tls: {key_file: /k}}}\n", "needs both"},
		{"kafka: {security: {protocol: tls}}\n", "expected one of plaintext, ssl"},
		{"kafka: {security: {protocol: sasl_ssl, "
		 "sasl: {mechanism: GSSAPI, username: u, password_file: /p}}}\n",
		 "expected one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512"},
		{"kafka: {security: {protocol: ssl}, librdkafka: {ssl.ca.location: /x}}\n",
		 "ssl.ca.location is set by \"security\""},
	};
	struct cfg_config *cfg;
	struct cfg_errors errs = {0};
	const struct cfg_kafka *k;

	(void)state;
	assert_int_equal(daemon_config_load_buffer("t", "", 0, &cfg, &errs), 0);
	k = kafka_config(cfg);
	assert_false(k->streams.bmp_raw.enabled);
	assert_false(k->streams.routes.enabled);
	assert_string_equal(k->streams.bmp_raw.topic, "openbmp.bmp_raw");
	assert_string_equal(k->streams.routes.topic, "circuitwatch.routes");
	assert_int_equal(k->streams.routes.encoding, CFG_KAFKA_PROTOBUF);
	assert_non_null(k->streams.admin_id); /* the host name */
	assert_true(strlen(k->streams.admin_id) > 0);
	assert_int_equal(k->security.protocol, CFG_KAFKA_PLAINTEXT);
	assert_true(k->security.tls.verify_hostname);
	cfg_free(cfg);
	assert_int_equal(daemon_config_load_buffer("t", full, strlen(full), &cfg, &errs), 0);
	k = kafka_config(cfg);
	assert_true(k->streams.bmp_raw.enabled && k->streams.routes.enabled);
	assert_string_equal(k->streams.bmp_raw.topic, "raw.t");
	assert_string_equal(k->streams.routes.topic, "routes.t");
	assert_int_equal(k->streams.routes.encoding, CFG_KAFKA_JSON);
	assert_string_equal(k->streams.admin_id, "col-1");
	assert_string_equal(cfg_kafka_protocol_name(k->security.protocol), "sasl_ssl");
	assert_string_equal(cfg_kafka_mechanism_name(k->security.sasl.mechanism), "SCRAM-SHA-512");
	assert_string_equal(k->security.sasl.username, "u");
	assert_string_equal(k->security.sasl.password_file, "/p");
	assert_string_equal(k->security.tls.ca_file, "/ca");
	assert_string_equal(k->security.tls.key_file, "/k");
	assert_false(k->security.tls.verify_hostname);
	cfg_free(cfg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
			daemon_config_load_buffer("t", bad[i].yaml, strlen(bad[i].yaml), &cfg, &errs),
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
		cmocka_unit_test_setup_teardown(test_order_per_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound_and_loss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loss_spool_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
		cmocka_unit_test(test_obmp_header),
		cmocka_unit_test(test_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
