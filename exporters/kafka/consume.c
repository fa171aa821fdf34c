/* consume.c — `circuitwatch events`: reads events back from a topic and
 * prints each as one JSON line (the proto3 JSON mapping of Event), whatever
 * encoding it was produced in (the content-type header says which).
 *
 * No consumer group: the command assigns itself every partition of the
 * topic, from the beginning or from the end, and commits nothing — it is a
 * tool for operators and tests, not a pipeline stage.
 *
 * Brokers that cannot be reached are told apart from a topic that is not
 * there: librdkafka's error callback (served by our polls, on this thread)
 * keeps the last connection failure, and "no broker reachable" names the
 * brokers tried and that failure. */
#include "kafka.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event_codec.h"

#define EVENTS_METADATA_MS 2000 /* per metadata request */
#define EVENTS_POLL_MS 100
/* All brokers down for this long without one answer: give up before the
 * deadline (a broker that is starting answers within it). */
#define EVENTS_DOWN_WAIT 5.0

/* What librdkafka's error callback saw (rd_kafka_conf_set_opaque). */
struct events_state {
	bool answered;   /* a broker answered a metadata request */
	bool all_down;   /* RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, not answered since */
	bool consuming;  /* past the assignment: errors are printed as they come */
	char reason[256]; /* the last connection failure */
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Decodes by the content-type header; without one, protobuf then JSON. */
static enum cw_event_error decode(const rd_kafka_message_t *m, struct cw_event *ev)
{
	rd_kafka_headers_t *h = NULL;
	const void *ct = NULL;
	size_t ctlen = 0;
	enum cw_event_error e;

	if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR)
		(void)rd_kafka_header_get_last(h, "content-type", &ct, &ctlen);
	if (ct != NULL && ctlen == 16 && memcmp(ct, "application/json", 16) == 0)
		return cw_event_decode_json(m->payload, m->len, ev);
	e = cw_event_decode_pb(m->payload, m->len, ev);
	if (e != CW_EVENT_OK && ct == NULL)
		e = cw_event_decode_json(m->payload, m->len, ev);
	return e;
}

/* librdkafka's errors (served by rd_kafka_poll and the consumer poll). */
static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct events_state *st = opaque;

	(void)rk;
	if (st->consuming) {
		fprintf(stderr, "circuitwatch events: %s\n", reason);
		return;
	}
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
		st->all_down = true;
	else if (err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__RESOLVE ||
		 err == RD_KAFKA_RESP_ERR__SSL || err == RD_KAFKA_RESP_ERR__AUTHENTICATION)
		snprintf(st->reason, sizeof(st->reason), "%s", reason);
}

/* Partitions of the topic, waiting up to deadline for it to appear (or
 * less when no broker answers); -1 when it did not. */
static int partitions(rd_kafka_t *rk, struct events_state *st, const char *topic,
		      double deadline)
{
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	double start = mono();
	int n = -1;

	while (rkt != NULL && n <= 0 && mono() < deadline &&
	       !(st->all_down && !st->answered && mono() - start >= EVENTS_DOWN_WAIT)) {
		const struct rd_kafka_metadata *md = NULL;
		rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, EVENTS_METADATA_MS);

		if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			st->answered = true;
			st->all_down = false;
		}
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 &&
		    md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
			n = md->topics[0].partition_cnt;
		if (md != NULL)
			rd_kafka_metadata_destroy(md);
		rd_kafka_poll(rk, 0); /* the error callback */
	}
	if (rkt != NULL)
		rd_kafka_topic_destroy(rkt);
	return n;
}

static rd_kafka_t *consumer_new(const struct kafka_events_opts *o, struct events_state *st)
{
	char err[512];
	rd_kafka_conf_t *c = rd_kafka_conf_new();

	rd_kafka_conf_set_opaque(c, st);
	rd_kafka_conf_set_error_cb(c, on_error);
	/* log_level 2: the connection failures come through on_error, and
	 * say it in one line, not one per retry */
	if (rd_kafka_conf_set(c, "bootstrap.servers", o->brokers, err, sizeof(err)) ||
	    rd_kafka_conf_set(c, "group.id", "circuitwatch-events", err, sizeof(err)) ||
	    rd_kafka_conf_set(c, "enable.auto.commit", "false", err, sizeof(err)) ||
	    rd_kafka_conf_set(c, "log_level", "2", err, sizeof(err))) {
		fprintf(stderr, "circuitwatch events: %s\n", err);
		rd_kafka_conf_destroy(c);
		return NULL;
	}
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));

	if (rk == NULL) {
		fprintf(stderr, "circuitwatch events: %s\n", err);
		rd_kafka_conf_destroy(c);
	}
	return rk;
}

static int assign_all(rd_kafka_t *rk, struct events_state *st,
		      const struct kafka_events_opts *o, double deadline)
{
	int n = partitions(rk, st, o->topic, deadline);
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t err;

	if (n <= 0 && !st->answered) {
		fprintf(stderr, "circuitwatch events: no broker reachable (tried %s)%s%s\n",
			o->brokers, st->reason[0] ? ": " : "", st->reason);
		return -1;
	}
	if (n <= 0) {
		fprintf(stderr, "circuitwatch events: topic %s not found on %s\n", o->topic,
			o->brokers);
		return -1;
	}
	l = rd_kafka_topic_partition_list_new(n);
	for (int p = 0; p < n; p++)
		rd_kafka_topic_partition_list_add(l, o->topic, p)->offset =
			o->from_beginning ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
	err = rd_kafka_assign(rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	return err == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
}

/* One message: a JSON line on stdout, or a line on stderr when it is no
 * event. Returns 1 for an event, 0 otherwise. */
static int print_message(const rd_kafka_message_t *m)
{
	struct cw_event ev;
	enum cw_event_error e;
	char *json;

	if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
			fprintf(stderr, "circuitwatch events: %s\n", rd_kafka_message_errstr(m));
		return 0;
	}
	e = decode(m, &ev);
	if (e != CW_EVENT_OK) {
		fprintf(stderr,
			"circuitwatch events: partition %d offset %lld: not an event (%s)\n",
			(int)m->partition, (long long)m->offset, cw_event_error_name(e));
		return 0;
	}
	json = cw_event_encode_json(&ev);
	if (json == NULL)
		return 0;
	printf("%s\n", json);
	fflush(stdout); /* a line at a time, for pipes and tests */
	free(json);
	return 1;
}

int kafka_events_run(const struct kafka_events_opts *o)
{
	struct events_state st = {0};
	rd_kafka_t *rk;
	long n = 0;
	double idle_since;

	if ((rk = consumer_new(o, &st)) == NULL)
		return 2;
	if (assign_all(rk, &st, o, mono() + (o->timeout > 0 ? o->timeout : 30)) != 0) {
		rd_kafka_destroy(rk);
		return 1;
	}
	st.consuming = true;
	idle_since = mono();
	while (o->max == 0 || n < o->max) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, EVENTS_POLL_MS);

		if (m == NULL) {
			if (o->timeout > 0 && mono() - idle_since >= o->timeout)
				break;
			continue;
		}
		idle_since = mono();
		n += print_message(m);
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return 0;
}
