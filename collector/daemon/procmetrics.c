/* procmetrics.c — process_* from /proc/self (proc(5)), as the Go client
 * library's process collector reads them, and circuitwatch_memory_bytes. */
#include "procmetrics.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "metrics.h"

enum { P_CPU, P_RSS, P_VSIZE, P_OPEN_FDS, P_MAX_FDS, P_START, P_COUNT };

struct procm {
	struct metrics_series *s[P_COUNT];
	struct metrics_family *mem_fam;
	/* circuitwatch_memory_bytes: the known components first */
	struct metrics_series *mem[PROCM_MAX_COMPONENTS];
	const char *mem_name[PROCM_MAX_COMPONENTS];
	size_t mem_sum[PROCM_MAX_COMPONENTS];
	size_t nmem;
	long ticks, page;
	double start; /* process_start_time_seconds, read once */
	/* /proc/self/fd, opened before the privilege drop: a process that
	 * changed its user is not dumpable, and its /proc/self/fd may then be
	 * root's; a directory already open is read again (rewinddir) */
	DIR *fd_dir;
};

/* Names, types and help as client_golang and client_python have them, so
 * that dashboards made for any exporter work unchanged. */
static const struct metrics_family_def defs[P_COUNT] = {
	[P_CPU] = {.type = METRICS_COUNTER, .name = "process_cpu_seconds_total",
		   .help = "Total user and system CPU time spent in seconds."},
	[P_RSS] = {.type = METRICS_GAUGE, .name = "process_resident_memory_bytes",
		   .help = "Resident memory size in bytes."},
	[P_VSIZE] = {.type = METRICS_GAUGE, .name = "process_virtual_memory_bytes",
		     .help = "Virtual memory size in bytes."},
	[P_OPEN_FDS] = {.type = METRICS_GAUGE, .name = "process_open_fds",
			.help = "Number of open file descriptors."},
	[P_MAX_FDS] = {.type = METRICS_GAUGE, .name = "process_max_fds",
		       .help = "Maximum number of open file descriptors."},
	[P_START] = {.type = METRICS_GAUGE, .name = "process_start_time_seconds",
		     .help = "Start time of the process since unix epoch in seconds."},
};

static const char *const component_names[PROCM_NCOMPONENTS] = {
	[PROCM_RIB] = "rib",
	[PROCM_ATTRIBUTES] = "attributes",
	[PROCM_BMP_BUFFERS] = "bmp_buffers",
	[PROCM_REASSEMBLY] = "reassembly",
	[PROCM_KAFKA_SPOOL] = "kafka_spool",
};

const char *procm_component_name(enum procm_component c)
{
	return component_names[c];
}

int procm_parse_stat(const char *text, long ticks, long page, struct procm_stat *out)
{
	/* the command name in parentheses may hold spaces and ')': the fields
	 * start after the last ')' ("pid (comm) state ppid ...") */
	const char *p = strrchr(text, ')');
	unsigned long long utime, stime, start, vsize;
	long long rss;

	if (p == NULL || ticks <= 0 || page <= 0)
		return -1;
	/* fields 3.. : state(3) ... utime(14) stime(15) ... starttime(22)
	 * vsize(23) rss(24) */
	if (sscanf(p + 1,
		   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d"
		   " %*d %llu %llu %lld",
		   &utime, &stime, &start, &vsize, &rss) != 5)
		return -1;
	out->cpu_seconds = (double)(utime + stime) / (double)ticks;
	out->start_seconds = (double)start / (double)ticks;
	out->vsize = (double)vsize;
	out->rss = (double)(rss > 0 ? rss : 0) * (double)page;
	return 0;
}

/* The file at path into buf (NUL-terminated); 0 or -1. */
static int read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* Descriptors open, not counting the one that lists them; -1 on error. */
static double open_fds(struct procm *p)
{
	struct dirent *e;
	double n = 0;

	if (p->fd_dir == NULL && (p->fd_dir = opendir("/proc/self/fd")) == NULL)
		return -1;
	rewinddir(p->fd_dir);
	while ((e = readdir(p->fd_dir)) != NULL)
		n += e->d_name[0] != '.';
	return n - 1;
}

/* The start time since the epoch: boot time plus the start since boot
 * (/proc/stat may be long on a big machine: read line by line). */
static double start_time(const struct procm_stat *st)
{
	FILE *fp = fopen("/proc/stat", "re");
	char *line = NULL;
	size_t cap = 0;
	double btime = -1;

	while (fp != NULL && btime < 0 && getline(&line, &cap, fp) > 0)
		if (strncmp(line, "btime ", 6) == 0)
			btime = strtod(line + 6, NULL);
	free(line);
	if (fp != NULL)
		fclose(fp);
	return btime <= 0 ? -1 : btime + st->start_seconds;
}

void procm_update(struct procm *p)
{
	char buf[1024];
	struct procm_stat st;
	struct rlimit rl;
	double fds = open_fds(p);

	if (read_small("/proc/self/stat", buf, sizeof(buf)) == 0 &&
	    procm_parse_stat(buf, p->ticks, p->page, &st) == 0) {
		if (p->start <= 0 && (p->start = start_time(&st)) > 0)
			metrics_gauge_set(p->s[P_START], p->start);
		metrics_counter_set(p->s[P_CPU], st.cpu_seconds);
		metrics_gauge_set(p->s[P_RSS], st.rss);
		metrics_gauge_set(p->s[P_VSIZE], st.vsize);
	}
	if (fds >= 0)
		metrics_gauge_set(p->s[P_OPEN_FDS], fds);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		metrics_gauge_set(p->s[P_MAX_FDS], (double)rl.rlim_cur);
}

void procm_memory_begin(struct procm *p)
{
	memset(p->mem_sum, 0, sizeof(p->mem_sum));
}

void procm_memory_report(void *arg, const char *component, size_t bytes)
{
	struct procm *p = arg;
	size_t i = 0;

	while (i < p->nmem && strcmp(p->mem_name[i], component) != 0)
		i++;
	if (i == p->nmem) { /* a component first reported now */
		const char *v[] = {component};

		if (p->nmem == PROCM_MAX_COMPONENTS ||
		    (p->mem[i] = metrics_series_get(p->mem_fam, v)) == NULL)
			return;
		p->mem_name[p->nmem++] = component;
	}
	p->mem_sum[i] += bytes;
}

void procm_memory_end(struct procm *p)
{
	for (size_t i = 0; i < p->nmem; i++)
		metrics_gauge_set(p->mem[i], (double)p->mem_sum[i]);
}

static int memory_init(struct procm *p, struct metrics_registry *reg)
{
	static const char *const label[] = {"component"};
	struct metrics_family_def def = {
		.type = METRICS_GAUGE, .name = "circuitwatch_memory_bytes",
		.help = "Bytes held, by component: rib (route tables of every RIB view), "
			"attributes (interned attribute sets), bmp_buffers (partial BMP "
			"messages), reassembly (capture's TCP reassembly), kafka_spool (the "
			"Kafka events spool's segments, on disk).",
		.unit = "bytes", .nlabels = 1, .label_names = label,
	};
	if ((p->mem_fam = metrics_family_new(reg, &def)) == NULL)
		return -1;
	for (int c = 0; c < PROCM_NCOMPONENTS; c++) {
		const char *v[] = {component_names[c]};

		if ((p->mem[c] = metrics_series_get(p->mem_fam, v)) == NULL)
			return -1;
		p->mem_name[c] = component_names[c];
	}
	p->nmem = PROCM_NCOMPONENTS;
	return 0;
}

struct procm *procm_new(struct metrics_registry *reg)
{
	struct procm *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->ticks = sysconf(_SC_CLK_TCK);
	p->page = sysconf(_SC_PAGESIZE);
	for (int i = 0; i < P_COUNT; i++) {
		struct metrics_family *f = metrics_family_new(reg, &defs[i]);

		if (f == NULL || (p->s[i] = metrics_series_get(f, NULL)) == NULL)
			goto fail;
	}
	if (memory_init(p, reg) != 0)
		goto fail;
	procm_update(p);
	return p;
fail:
	procm_free(p);
	return NULL;
}

void procm_free(struct procm *p)
{
	if (p != NULL && p->fd_dir != NULL)
		closedir(p->fd_dir);
	free(p);
}
