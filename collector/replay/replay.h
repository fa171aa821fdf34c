/* replay.h — `circuitwatch replay FILE`: a capture file (pcap or pcapng)
 * through the daemon's passive capture pipeline (cap_source → model, the
 * code the capture module runs), as fast as it goes or at recorded speed,
 * then a summary of what the pipeline found: sessions (endpoints, ASNs,
 * state, messages by type, prefixes, TCP health), messages by type,
 * VLANs with bytes and packets per stack and direction, decode errors and
 * reassembly gaps — as text, or as one JSON object.
 *
 * The summary itself is pure (replay_summary_*: structs and counters in,
 * a jansson object out, text rendered from that object), so both outputs
 * say the same; replay.c is the edge that reads the file, paces it and
 * draws the progress bar.
 *
 * Ownership: every json_t returned is owned by the caller (json_decref).
 */
#ifndef CW_REPLAY_H
#define CW_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "source.h"

/* Sessions kept for the summary; more are counted in sessions_omitted. */
#define REPLAY_MAX_SESSIONS 100000u
/* Largest --speed; smaller than 1 slows the replay down. */
#define REPLAY_MAX_SPEED 1e6
#define REPLAY_MIN_SPEED 1e-3

struct cfg_schema;

struct replay_opts {
	const char *file;   /* the capture */
	const char *config; /* NULL: the built-in defaults */
	const struct cfg_schema *schema; /* the config's (the daemon's) */
	bool json;          /* one JSON object on out instead of text */
	bool realtime;      /* sleep between frames by their timestamps */
	double speed;       /* realtime multiplier, REPLAY_MIN_SPEED..REPLAY_MAX_SPEED */
	bool progress;      /* draw a progress bar on err (the caller: isatty) */
};

/* Runs the replay and prints the summary on out, messages on err.
 * Returns the exit code: 0 the whole file was read; 1 it ended in a damaged
 * or truncated record (the summary of what was read is printed); 2 nothing
 * could be replayed (missing file, not a capture, unsupported link type,
 * bad config). */
int replay_run(const struct replay_opts *o, FILE *out, FILE *err);

/* Seconds to sleep before feeding a frame captured at ts, when the first
 * frame was captured at first_ts, the replay has run for elapsed seconds
 * of wall clock, at speed x recorded speed. 0 when late or when time went
 * backwards in the file. */
double replay_pace(double first_ts, double ts, double speed, double elapsed);

/* ---- the summary (pure) ---- */

struct replay_summary;

/* An empty summary; NULL when out of memory. */
struct replay_summary *replay_summary_new(void);
void replay_summary_free(struct replay_summary *rs); /* takes NULL */

/* Adds one connection (a cap_source_session_fn: arg is the summary). */
void replay_summary_session(const struct cap_source_session *ss, void *arg);

/* The whole summary as one object: sessions (sorted by first seen),
 * messages by type, the source's counters and VLANs. The caller adds what
 * only the edge knows (file, bytes, complete, error). */
json_t *replay_summary_json(struct replay_summary *rs, const struct cap_source_stats *st,
			    const struct vlan_acct *vlans);

/* Writes the summary object as text; 0, or -1 on a write error. */
int replay_summary_text(const json_t *sum, FILE *out);

#endif
