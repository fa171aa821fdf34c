/* replay.c — the edge of `circuitwatch replay`: opens the capture with
 * libpcap, feeds every frame to a cap_source over a model (the daemon's
 * pipeline), paces it with --realtime, draws the progress bar, and prints
 * the summary of summary.c. See replay.h. */
#include "replay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <pcap/pcap.h>

#include "capture_config.h"
#include "config.h"
#include "metrics.h"
#include "model.h"
#include "source.h"

#define PROGRESS_EVERY 0.1 /* seconds of wall clock between redraws */
#define PROGRESS_WIDTH 30  /* characters of the bar */
#define SLEEP_MAX 1.0      /* longest single sleep: the bar keeps moving */

struct replay {
	const struct replay_opts *o;
	FILE *err;
	pcap_t *pc;
	struct cfg_config *cfg;
	struct metrics_registry *reg;
	struct model *model;
	struct cap_source *src;
	struct replay_summary *sum;
	uint64_t file_size;
	uint64_t frames;
	double first_ts, last_ts;
	double start_wall, last_draw;
	bool drawn;
};

double replay_pace(double first_ts, double ts, double speed, double elapsed)
{
	double due;

	if (!(speed > 0) || !(ts > first_ts))
		return 0;
	due = (ts - first_ts) / speed;
	return due > elapsed ? due - elapsed : 0;
}

static double mono_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_for(double s)
{
	struct timespec t;

	if (s <= 0)
		return;
	t.tv_sec = (time_t)s;
	t.tv_nsec = (long)((s - (double)t.tv_sec) * 1e9);
	while (nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

/* ---- progress bar (only when the caller says stderr is a terminal) ---- */

static uint64_t file_pos(const struct replay *r)
{
	FILE *fp = pcap_file(r->pc);
	long pos = fp != NULL ? ftell(fp) : -1;

	return pos > 0 ? (uint64_t)pos : 0;
}

static void progress(struct replay *r, bool force)
{
	double now = mono_now(), el = now - r->start_wall;
	uint64_t pos = file_pos(r);
	double frac = r->file_size ? (double)pos / (double)r->file_size : 0;
	char bar[PROGRESS_WIDTH + 1];
	int fill;

	if (!r->o->progress || (!force && now - r->last_draw < PROGRESS_EVERY))
		return;
	r->last_draw = now;
	frac = frac > 1 ? 1 : frac;
	fill = (int)(frac * PROGRESS_WIDTH);
	for (int i = 0; i < PROGRESS_WIDTH; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[PROGRESS_WIDTH] = '\0';
	fprintf(r->err, "\r[%s] %3.0f%% %.1f/%.1f MB, %llu frames, %.0f frames/s ", bar,
		frac * 100, (double)pos / 1e6, (double)r->file_size / 1e6,
		(unsigned long long)r->frames, el > 0 ? (double)r->frames / el : 0.0);
	fflush(r->err);
	r->drawn = true;
}

static void progress_clear(struct replay *r)
{
	if (r->drawn) {
		fprintf(r->err, "\r\033[K");
		fflush(r->err);
	}
}

/* ---- set-up ---------------------------------------------------------- */

static int load_config(struct replay *r)
{
	struct cfg_errors errs = {0};
	int rc;

	if (r->o->config != NULL)
		rc = cfg_load_file(r->o->config, r->o->schema, &r->cfg, &errs);
	else /* every key at its default: no circuits, port 179 */
		rc = cfg_load_buffer("(defaults)", "", 0, r->o->schema, &r->cfg, &errs);
	if (rc != 0) {
		cfg_errors_print(&errs, r->err);
		cfg_errors_clean(&errs);
		return -1;
	}
	return 0;
}

static bool linktype_supported(int lt)
{
	static const uint8_t one[1];
	struct cap_frame fr;

	return cap_frame_decode(lt, one, 0, 0, &fr) == 0 ||
	       fr.error != CAP_FRAME_UNSUPPORTED_LINKTYPE;
}

/* The daemon applies capture.filter to files too: so does the replay. */
static int set_filter(struct replay *r)
{
	struct bpf_program prog;
	int rc;

	if (capture_config(r->cfg)->filter == NULL)
		return 0;
	if (pcap_compile(r->pc, &prog, capture_config(r->cfg)->filter, 1,
			 PCAP_NETMASK_UNKNOWN) != 0) {
		fprintf(r->err, "circuitwatch: replay: bad capture.filter: %s\n", pcap_geterr(r->pc));
		return -1;
	}
	rc = pcap_setfilter(r->pc, &prog);
	pcap_freecode(&prog);
	if (rc != 0)
		fprintf(r->err, "circuitwatch: replay: cannot set capture.filter: %s\n",
			pcap_geterr(r->pc));
	return rc == 0 ? 0 : -1;
}

static int open_capture(struct replay *r)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	const char *base = strrchr(r->o->file, '/');
	struct stat sb;
	int lt;

	if (stat(r->o->file, &sb) != 0) {
		fprintf(r->err, "circuitwatch: replay: %s: %s\n", r->o->file, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		fprintf(r->err, "circuitwatch: replay: %s: not a regular file\n", r->o->file);
		return -1;
	}
	r->file_size = (uint64_t)sb.st_size;
	r->pc = pcap_open_offline(r->o->file, errbuf);
	if (r->pc == NULL) {
		fprintf(r->err, "circuitwatch: replay: %s: not a readable pcap/pcapng capture: %s\n",
			r->o->file, errbuf);
		return -1;
	}
	lt = pcap_datalink(r->pc);
	if (!linktype_supported(lt)) {
		fprintf(r->err, "circuitwatch: replay: %s: link type %s (%d) not supported\n",
			r->o->file,
			pcap_datalink_val_to_name(lt) ? pcap_datalink_val_to_name(lt) : "?", lt);
		return -1;
	}
	if (set_filter(r) != 0)
		return -1;
	r->src = cap_source_new(r->model, r->cfg, base ? base + 1 : r->o->file, lt);
	if (r->src == NULL) {
		fprintf(r->err, "circuitwatch: replay: out of memory\n");
		return -1;
	}
	cap_source_on_session_end(r->src, replay_summary_session, r->sum);
	return 0;
}

static int setup(struct replay *r)
{
	if (load_config(r) != 0)
		return -1;
	r->reg = metrics_registry_new();
	r->model = r->reg ? model_new(r->reg) : NULL;
	r->sum = replay_summary_new();
	if (r->model == NULL || r->sum == NULL) {
		fprintf(r->err, "circuitwatch: replay: out of memory\n");
		return -1;
	}
	model_apply_config(r->model, r->cfg);
	return open_capture(r);
}

/* ---- the run --------------------------------------------------------- */

/* Feeds every frame; 0 at the end of the file, -1 on a damaged record
 * (its error left in pcap_geterr). */
static int feed(struct replay *r)
{
	struct pcap_pkthdr *h;
	const u_char *pkt;
	int rc;

	r->start_wall = mono_now();
	while ((rc = pcap_next_ex(r->pc, &h, &pkt)) == 1) {
		double ts = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6;

		if (r->frames == 0)
			r->first_ts = ts;
		if (r->o->realtime) {
			double w;

			/* in slices, so that the bar moves during long pauses */
			while ((w = replay_pace(r->first_ts, ts, r->o->speed,
						mono_now() - r->start_wall)) > 0) {
				sleep_for(w < SLEEP_MAX ? w : SLEEP_MAX);
				progress(r, false);
			}
		}
		cap_source_packet(r->src, ts, pkt, h->caplen, h->len);
		r->frames++;
		if (ts > r->last_ts)
			r->last_ts = ts;
		if ((r->frames & 1023) == 0 || r->o->realtime)
			progress(r, false);
	}
	progress(r, true);
	progress_clear(r);
	return rc == PCAP_ERROR_BREAK ? 0 : -1;
}

/* The file's own facts, which only the edge knows. */
static void add_file_facts(const struct replay *r, json_t *sum, bool complete, const char *error)
{
	json_object_set_new(sum, "file", json_string(r->o->file));
	json_object_set_new(sum, "linktype",
			    json_string(pcap_datalink_val_to_name(pcap_datalink(r->pc))
						? pcap_datalink_val_to_name(pcap_datalink(r->pc))
						: "?"));
	json_object_set_new(sum, "file_bytes", json_integer((json_int_t)r->file_size));
	json_object_set_new(sum, "first_ts", r->frames ? json_real(r->first_ts) : json_null());
	json_object_set_new(sum, "last_ts", r->frames ? json_real(r->last_ts) : json_null());
	json_object_set_new(sum, "duration",
			    json_real(r->frames ? r->last_ts - r->first_ts : 0.0));
	json_object_set_new(sum, "complete", json_boolean(complete));
	json_object_set_new(sum, "error", error ? json_string(error) : json_null());
}

static int print_summary(struct replay *r, bool complete, const char *error, FILE *out)
{
	struct cap_source_stats st;
	json_t *sum;
	int rc;

	/* the connections still followed join those that ended on the way;
	 * then the source may go without reporting them twice */
	cap_source_foreach_session(r->src, replay_summary_session, r->sum);
	cap_source_on_session_end(r->src, NULL, NULL);
	st = cap_source_stats(r->src);
	sum = replay_summary_json(r->sum, &st, cap_source_vlans(r->src));
	if (sum == NULL)
		return -1;
	add_file_facts(r, sum, complete, error);
	if (r->o->json)
		rc = json_dumpf(sum, out, JSON_COMPACT) == 0 && fputc('\n', out) != EOF ? 0 : -1;
	else
		rc = replay_summary_text(sum, out);
	json_decref(sum);
	return fflush(out) == 0 ? rc : -1;
}

static void teardown(struct replay *r)
{
	cap_source_free(r->src);
	if (r->pc != NULL)
		pcap_close(r->pc);
	replay_summary_free(r->sum);
	model_free(r->model);
	metrics_registry_free(r->reg);
	cfg_free(r->cfg);
}

int replay_run(const struct replay_opts *o, FILE *out, FILE *err)
{
	struct replay r = {.o = o, .err = err};
	int rc = 2;

	if (setup(&r) == 0) {
		int fed = feed(&r);
		const char *why = fed == 0 ? NULL : pcap_geterr(r.pc);

		cap_source_finish(r.src);
		if (print_summary(&r, fed == 0, why, out) != 0) {
			fprintf(err, "circuitwatch: replay: cannot write the summary\n");
			rc = 2;
		} else {
			rc = fed == 0 ? 0 : 1;
		}
		if (why != NULL)
			fprintf(err, "circuitwatch: replay: %s: damaged after %llu frames: %s\n",
				o->file, (unsigned long long)r.frames, why);
	}
	teardown(&r);
	return rc;
}
