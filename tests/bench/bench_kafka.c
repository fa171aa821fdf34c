/* bench_kafka.c — figures of the Kafka exporter (run by bench_kafka.sh):
 *
 *   spool   append rate (one fsync per batch, as the exporter syncs once
 *           per poll) and replay rate (read + ack, segments deleted)
 *   e2e     events per second through the exporter to an in-process
 *           librdkafka mock cluster (3 brokers, acks=all, idempotent),
 *           counted when the delivery reports come back
 *   outage  the same events with every broker down: queued, then spooled,
 *           the exporter closed (the queue spooled in front), reopened and
 *           the brokers brought back: time until all are delivered
 *
 * After e2e and outage a consumer reads the topic back and checks that
 * every event arrived and that each circuit's events are in order; the
 * program exits 1 when not (so the figures are of a correct run).
 *
 * usage: bench_kafka [--events N] [--spool-records N] [--record-size B]
 *                    [--encoding protobuf|json] [--dir DIR]
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event_codec.h"
#include "kafka.h"
#include "spool.h"

#define CIRCUITS 16
#define PARTITIONS 6

struct bopts {
	long events, spool_records, record_size;
	enum kafka_encoding enc;
	const char *dir;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void bench_spool(const struct bopts *o)
{
	char dir[1024];
	struct spool *sp;
	uint8_t *rec = calloc(1, (size_t)o->record_size);
	const uint8_t *r;
	size_t len;
	uint64_t ticket;
	double t0, t1;
	long n = 0;

	snprintf(dir, sizeof(dir), "%s/spool-bench", o->dir);
	if (spool_open(dir, 1ull << 40, &sp) != 0) {
		perror(dir);
		exit(1);
	}
	t0 = now_s();
	for (long i = 0; i < o->spool_records; i++) {
		memcpy(rec, &i, sizeof(i));
		if (spool_append(sp, rec, (size_t)o->record_size) != 0) {
			perror("spool_append");
			exit(1);
		}
		if (i % 1000 == 999 && spool_sync(sp) != 0)
			exit(1);
	}
	if (spool_sync(sp) != 0)
		exit(1);
	t1 = now_s();
	printf("spool_write records=%ld record_bytes=%ld seconds=%.3f records_per_s=%.0f "
	       "mbytes_per_s=%.1f (fsync every 1000)\n",
	       o->spool_records, o->record_size, t1 - t0, (double)o->spool_records / (t1 - t0),
	       (double)o->spool_records * (double)(o->record_size + SPOOL_HDR_LEN) / (t1 - t0) / 1e6);
	spool_close(sp);
	if (spool_open(dir, 1ull << 40, &sp) != 0)
		exit(1);
	t0 = now_s();
	while (spool_peek(sp, &r, &len, &ticket) == 1) {
		spool_next(sp);
		spool_ack(sp, ticket);
		n++;
	}
	t1 = now_s();
	printf("spool_replay records=%ld seconds=%.3f records_per_s=%.0f mbytes_per_s=%.1f "
	       "(read, CRC check, ack, segments deleted)\n",
	       n, t1 - t0, (double)n / (t1 - t0),
	       (double)n * (double)(o->record_size + SPOOL_HDR_LEN) / (t1 - t0) / 1e6);
	if (n != o->spool_records || spool_bytes(sp) != 0) {
		fprintf(stderr, "bench_kafka: spool replay read %ld of %ld\n", n, o->spool_records);
		exit(1);
	}
	spool_close(sp);
	free(rec);
}

/* Event i: a session event of circuit i % CIRCUITS with id = (run, i). */
static void make_event(struct cw_event *ev, uint8_t run, long i)
{
	char circuit[32];

	cw_event_init(ev, i % 2 ? CW_EV_BGP_SESSION_DOWN : CW_EV_BGP_SESSION_UP,
		      i % 2 ? CW_SEV_CRITICAL : CW_SEV_INFO, wall_ns());
	ev->id[0] = run;
	for (int b = 0; b < 8; b++)
		ev->id[8 + b] = (uint8_t)((uint64_t)i >> (56 - 8 * b));
	snprintf(circuit, sizeof(circuit), "er-bench-%ld", i % CIRCUITS);
	cw_event_set(ev->circuit, circuit);
	cw_event_set(ev->link, "primary");
	cw_event_set(ev->peering, "private");
	ev->has_peer = true;
	cw_event_set(ev->peer.router, "198.18.0.1");
	cw_event_set(ev->peer.address, "198.18.1.2");
	ev->peer.asn = 12076;
	ev->peer.source = CW_SRC_BMP;
	cw_event_set(ev->message, "BGP session state changed");
}

static struct kafka_exporter *exporter(const char *bootstrap, const struct bopts *o,
				       const char *topic, const char *spool, unsigned qmax)
{
	static const struct kafka_prop props[] = {{"linger.ms", "5"}, {"log_level", "2"}};
	struct kafka_opts ko = {.brokers = bootstrap, .topic_events = topic,
				.topic_alerts = topic, .encoding = o->enc, .compression = "lz4",
				.spool_dir = spool, .spool_max_bytes = 1ull << 32,
				.queue_max_messages = qmax, .nprops = 2, .props = props};
	struct kafka_exporter *k;
	char err[512];

	if (kafka_exporter_new(&ko, NULL, NULL, &k, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_kafka: %s\n", err);
		exit(1);
	}
	return k;
}

static double drain(struct kafka_exporter *k, uint64_t want, double limit_s)
{
	struct kafka_stats st;
	double t0 = now_s();

	do {
		kafka_exporter_poll(k, wall_ns());
		kafka_exporter_stats(k, &st);
		if (st.delivered >= want)
			break;
		usleep(1000);
	} while (now_s() - t0 < limit_s);
	return now_s() - t0;
}

static int decode(const rd_kafka_message_t *m, struct cw_event *ev)
{
	if (cw_event_decode_pb(m->payload, m->len, ev) == CW_EVENT_OK)
		return 0;
	return cw_event_decode_json(m->payload, m->len, ev) == CW_EVENT_OK ? 0 : -1;
}

/* Reads the topic back: every (run, i) for i < n exactly once or more, and
 * per circuit in increasing i. */
static int verify(const char *bootstrap, const char *topic, uint8_t run, long n)
{
	char err[512];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_t *rk;
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(PARTITIONS);
	uint8_t *seen = calloc((size_t)n, 1);
	long last[CIRCUITS], got = 0, disorder = 0;
	double t0 = now_s();

	for (int i = 0; i < CIRCUITS; i++)
		last[i] = -1;
	rd_kafka_conf_set(c, "bootstrap.servers", bootstrap, err, sizeof(err));
	rd_kafka_conf_set(c, "group.id", "bench", err, sizeof(err));
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
	for (int p = 0; p < PARTITIONS; p++)
		rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_assign(rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	while (got < n && now_s() - t0 < 60) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		struct cw_event ev;

		if (m == NULL)
			continue;
		if (m->err == 0 && decode(m, &ev) == 0 && ev.id[0] == run) {
			long i = 0;

			for (int b = 0; b < 8; b++)
				i = (long)((uint64_t)i << 8 | ev.id[8 + b]);
			if (i >= 0 && i < n) {
				if (!seen[i])
					got++;
				seen[i] = 1;
				if (i < last[i % CIRCUITS])
					disorder++;
				last[i % CIRCUITS] = i;
			}
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	free(seen);
	printf("verify run=%u events=%ld received=%ld out_of_order=%ld\n", run, n, got, disorder);
	return got == n && disorder == 0 ? 0 : -1;
}

static int bench_e2e(const char *bootstrap, const struct bopts *o)
{
	struct kafka_exporter *k = exporter(bootstrap, o, "bench.e2e", NULL, 100000);
	struct cw_event ev;
	struct kafka_stats st;
	double t0 = now_s(), t;

	for (long i = 0; i < o->events; i++) {
		make_event(&ev, 1, i);
		kafka_exporter_event(k, &ev);
		if (i % 1000 == 999)
			kafka_exporter_poll(k, wall_ns());
	}
	(void)drain(k, (uint64_t)o->events, 120);
	t = now_s() - t0;
	kafka_exporter_stats(k, &st);
	printf("e2e events=%ld encoding=%s seconds=%.3f events_per_s=%.0f delivered=%llu lost=%llu "
	       "spooled=%llu\n",
	       o->events, kafka_encoding_name(o->enc), t, (double)o->events / t,
	       (unsigned long long)st.delivered, (unsigned long long)st.lost,
	       (unsigned long long)st.spooled);
	kafka_exporter_free(k);
	return verify(bootstrap, "bench.e2e", 1, o->events);
}

static int bench_outage(const char *bootstrap, rd_kafka_mock_cluster_t *mc, const struct bopts *o)
{
	char dir[1024];
	struct kafka_exporter *k;
	struct cw_event ev;
	struct kafka_stats st;
	double t0, t;
	unsigned qmax = 1000;

	snprintf(dir, sizeof(dir), "%s/spool-outage", o->dir);
	for (int b = 1; b <= 3; b++)
		rd_kafka_mock_broker_set_down(mc, b);
	k = exporter(bootstrap, o, "bench.outage", dir, qmax);
	t0 = now_s();
	for (long i = 0; i < o->events; i++) {
		make_event(&ev, 2, i);
		kafka_exporter_event(k, &ev);
		if (i % 1000 == 999)
			kafka_exporter_poll(k, wall_ns());
	}
	kafka_exporter_poll(k, wall_ns());
	kafka_exporter_stats(k, &st);
	t = now_s() - t0;
	printf("outage_spool events=%ld seconds=%.3f events_per_s=%.0f in_queue=%llu spooled=%llu\n",
	       o->events, t, (double)o->events / t, (unsigned long long)st.in_flight,
	       (unsigned long long)st.spooled);
	kafka_exporter_free(k); /* flush times out; the queue goes to the spool's front */
	k = exporter(bootstrap, o, "bench.outage", dir, qmax);
	for (int b = 1; b <= 3; b++)
		rd_kafka_mock_broker_set_up(mc, b);
	t0 = now_s();
	t = drain(k, (uint64_t)o->events, 300);
	kafka_exporter_stats(k, &st);
	printf("outage_replay events=%ld seconds=%.3f events_per_s=%.0f delivered=%llu lost=%llu "
	       "spool_bytes_left=%llu\n",
	       o->events, t, (double)o->events / t, (unsigned long long)st.delivered,
	       (unsigned long long)st.lost, (unsigned long long)st.spool_bytes);
	kafka_exporter_free(k);
	return verify(bootstrap, "bench.outage", 2, o->events);
}

int main(int argc, char **argv)
{
	struct bopts o = {.events = 100000, .spool_records = 1000000, .record_size = 200,
			  .enc = KAFKA_ENC_PROTOBUF, .dir = "/tmp"};
	char err[1024], tmpl[600];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_t *host;
	rd_kafka_mock_cluster_t *mc;
	char *bootstrap;
	int rc = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--events") == 0)
			o.events = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--spool-records") == 0)
			o.spool_records = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--record-size") == 0)
			o.record_size = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--encoding") == 0)
			o.enc = strcmp(argv[i + 1], "json") == 0 ? KAFKA_ENC_JSON : KAFKA_ENC_PROTOBUF;
		else if (strcmp(argv[i], "--dir") == 0)
			o.dir = argv[i + 1];
	}
	if (o.events < 1 || o.spool_records < 1 || o.record_size < 1 ||
	    o.record_size > (long)SPOOL_RECORD_MAX) {
		fprintf(stderr, "usage: bench_kafka [--events N] [--spool-records N] "
				"[--record-size B] [--encoding protobuf|json] [--dir DIR]\n");
		return 2;
	}
	snprintf(tmpl, sizeof(tmpl), "%s/bench-kafka.XXXXXX", o.dir);
	if (mkdtemp(tmpl) == NULL) {
		perror(tmpl);
		return 1;
	}
	o.dir = tmpl;
	bench_spool(&o);
	rd_kafka_conf_set(c, "log_level", "0", err, sizeof(err));
	host = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
	mc = host ? rd_kafka_mock_cluster_new(host, 3) : NULL;
	if (mc == NULL) {
		fprintf(stderr, "bench_kafka: no mock cluster: %s\n", err);
		return 1;
	}
	rd_kafka_mock_topic_create(mc, "bench.e2e", PARTITIONS, 3);
	rd_kafka_mock_topic_create(mc, "bench.outage", PARTITIONS, 3);
	bootstrap = strdup(rd_kafka_mock_cluster_bootstraps(mc));
	rc |= bench_e2e(bootstrap, &o);
	rc |= bench_outage(bootstrap, mc, &o);
	free(bootstrap);
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(host);
	snprintf(err, sizeof(err), "rm -rf %s", tmpl);
	if (system(err) != 0)
		rc = 1;
	return rc != 0;
}
