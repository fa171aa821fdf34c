/* procmetrics.h — the process_* series every Prometheus exporter serves
 * (named, typed and described as the Go and Python client libraries do),
 * read from /proc/self, and circuitwatch_memory_bytes{component}: what
 * holds the daemon's memory, as its owners account it.
 *
 * The daemon refreshes both once a second on the loop thread
 * (procm_update); a scrape sees values at most a second old.
 *
 * Ownership: struct procm is the caller's (procm_new/procm_free); its
 * series are the registry's, which must outlive it. */
#ifndef CW_DAEMON_PROCMETRICS_H
#define CW_DAEMON_PROCMETRICS_H

#include <stddef.h>

struct metrics_registry;

/* What /proc/self/stat says that we publish (proc(5)). */
struct procm_stat {
	double cpu_seconds;     /* utime + stime */
	double start_seconds;   /* since boot */
	double vsize;           /* bytes */
	double rss;             /* bytes */
};

/* Parses the text of /proc/self/stat with the clock ticks per second and
 * the page size; 0, or -1 when it is not one. */
int procm_parse_stat(const char *text, long ticks, long page, struct procm_stat *out)
	__attribute__((warn_unused_result));

/* The components of circuitwatch_memory_bytes that always have a series
 * (0 when their module is off); a module may report others. */
enum procm_component {
	PROCM_RIB,          /* route tables of every RIB view, all models */
	PROCM_ATTRIBUTES,   /* interned attribute sets and their index */
	PROCM_BMP_BUFFERS,  /* BMP connection buffers (partial messages) */
	PROCM_REASSEMBLY,   /* capture's TCP reassembly buffers */
	PROCM_KAFKA_SPOOL,  /* the Kafka events spool (on disk, not in RSS) */
	PROCM_NCOMPONENTS
};
#define PROCM_MAX_COMPONENTS 16 /* reported names kept, known ones included */

const char *procm_component_name(enum procm_component c);

struct procm;

/* The families in reg; NULL when memory ran out or a name is taken. */
struct procm *procm_new(struct metrics_registry *reg);
void procm_free(struct procm *p); /* takes NULL */

/* Reads /proc/self and sets the process_* series. */
void procm_update(struct procm *p);

/* A round of circuitwatch_memory_bytes: begin zeroes the sums, each
 * report (a cw_memory_report, arg the procm) adds bytes to its component,
 * end sets every component's series to its sum. */
void procm_memory_begin(struct procm *p);
void procm_memory_report(void *p, const char *component, size_t bytes);
void procm_memory_end(struct procm *p);

#endif
