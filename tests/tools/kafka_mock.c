/* kafka_mock.c — a Kafka cluster for tests: librdkafka's mock cluster
 * (rdkafka_mock.h, the real protocol on loopback sockets), driven from
 * stdin so that bash tests can take brokers down and up.
 *
 * usage: kafka_mock [--brokers N] [--topic NAME:PARTITIONS]...
 *
 * Prints "bootstrap=HOST:PORT,..." once the cluster listens, then reads one
 * command per line, answering "ok" (or "error ...") to each:
 *   down                  every broker down (connections closed and refused)
 *   up                    every broker up again
 *   topic NAME PARTITIONS create a topic (replication factor = brokers)
 *   quit                  stop (so does end of input)
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_LEN 512

static int create_topic(rd_kafka_mock_cluster_t *mc, const char *spec, int brokers)
{
	char name[256];
	int parts;

	if (sscanf(spec, "%255[^: ]%*[: ]%d", name, &parts) != 2 || parts < 1 || parts > 1000)
		return -1;
	return rd_kafka_mock_topic_create(mc, name, parts, brokers) == RD_KAFKA_RESP_ERR_NO_ERROR
		       ? 0
		       : -1;
}

static void set_all(rd_kafka_mock_cluster_t *mc, int brokers, int up)
{
	for (int id = 1; id <= brokers; id++) {
		if (up)
			rd_kafka_mock_broker_set_up(mc, id);
		else
			rd_kafka_mock_broker_set_down(mc, id);
	}
}

static int serve(rd_kafka_mock_cluster_t *mc, int brokers)
{
	char line[LINE_MAX_LEN];

	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\r\n")] = 0;
		if (strcmp(line, "quit") == 0)
			break;
		if (strcmp(line, "down") == 0 || strcmp(line, "up") == 0)
			set_all(mc, brokers, line[0] == 'u');
		else if (strncmp(line, "topic ", 6) == 0 && create_topic(mc, line + 6, brokers) == 0)
			;
		else {
			printf("error unknown or failed command: %s\n", line);
			fflush(stdout);
			continue;
		}
		printf("ok\n");
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	char err[512];
	int brokers = 3;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--brokers") == 0 && i + 1 < argc) {
			brokers = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc) {
			i++; /* created below, once the cluster exists */
		} else {
			fprintf(stderr, "usage: kafka_mock [--brokers N] [--topic NAME:PARTITIONS]...\n");
			return 2;
		}
	}
	if (brokers < 1 || brokers > 16) {
		fprintf(stderr, "kafka_mock: --brokers must be 1..16\n");
		return 2;
	}
	/* the mock cluster lives in a client instance's threads */
	rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (rk == NULL) {
		fprintf(stderr, "kafka_mock: %s\n", err);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, brokers);
	if (mc == NULL) {
		fprintf(stderr, "kafka_mock: cannot create the mock cluster\n");
		rd_kafka_destroy(rk);
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--topic") == 0 && create_topic(mc, argv[++i], brokers) != 0) {
			fprintf(stderr, "kafka_mock: bad --topic %s (NAME:PARTITIONS)\n", argv[i]);
			return 2;
		}
	}
	printf("bootstrap=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);
	serve(mc, brokers);
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
