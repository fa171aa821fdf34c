/* state.h — the billing state on disk: per circuit, the current cycle's
 * metered bytes and the previous cycle, so that a restart (or a crash)
 * neither loses a cycle nor counts a byte twice.
 *
 * What is saved is what was metered up to the save: after a crash the
 * bytes since the last save are lost (at most one persist interval) and
 * never counted again, because a restarted meter starts from zero.
 *
 * One JSON file per daemon (BILL_STATE_FILE in the state directory) with a
 * version and an FNV-1a checksum over its circuits; decoding is strict
 * (every key, type and range checked). Writes are atomic: a temporary file
 * in the same directory, fsync, rename over the old one, fsync of the
 * directory. A file that does not decode is renamed aside to
 * FILE.corrupt-<unix time> and reported, never overwritten.
 *
 * encode/decode are pure; write/read are the file edge. Ownership: a
 * decoded or read state is the caller's (bill_state_clean). */
#ifndef CW_BILLING_STATE_H
#define CW_BILLING_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "traffic.h"

#define BILL_STATE_VERSION 1
#define BILL_STATE_FILE "billing-state.json"
#define BILL_STATE_MAX_BYTES (8u * 1024u * 1024u) /* refuse larger state files */
#define BILL_STATE_MAX_CIRCUITS TRAFFIC_MAX_CIRCUITS

struct bill_state_cycle {
	bool valid;
	int64_t start, end;               /* POSIX seconds */
	uint64_t bytes[TRAFFIC_DIR_COUNT];   /* metered in the cycle */
	double cost;                      /* previous cycle: what it cost (its plan's currency) */
};

struct bill_state_circuit {
	char id[CFG_ID_MAX + 1];
	struct bill_state_cycle cur, prev;
};

struct bill_state {
	int64_t written;                  /* when it was saved */
	size_t n;
	struct bill_state_circuit *v;
};

/* Serialises st; *out is malloc'ed text owned by the caller. */
int bill_state_encode(const struct bill_state *st, char **out)
	__attribute__((warn_unused_result));
/* Decodes strictly. Returns 0, or -1 with *why (static text) set. */
int bill_state_decode(const char *buf, size_t len, struct bill_state *out, const char **why)
	__attribute__((warn_unused_result));
void bill_state_clean(struct bill_state *st); /* frees v; takes NULL */

/* Saves st atomically as dir/BILL_STATE_FILE. Returns 0, or -1 with a
 * message in err (the old file, if any, is left as it was). */
int bill_state_write(const char *dir, const struct bill_state *st, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Saves text as dir/name the same atomic way (temporary file, fsync,
 * rename, fsync of the directory); shared with the availability state
 * (avail_state.h). Returns 0, or -1 with a message in err. */
int bill_file_write(const char *dir, const char *name, const char *text, char *err,
		    size_t errlen) __attribute__((warn_unused_result));

/* A saved circuit brought forward to now. */
struct bill_restored {
	bool closed;                      /* the saved cycle ended while we were down */
	uint64_t bytes[TRAFFIC_DIR_COUNT];   /* of the cycle running now */
	struct bill_state_cycle prev;     /* the previous cycle (cost: the caller prices a
	                                   * closed one) */
};

/* Pure: when now is past the saved cycle's end, that cycle is the previous
 * one (kept even when more than one cycle passed: its start and end say
 * which) and the running cycle starts empty; otherwise its bytes go on. */
void bill_state_restore(const struct bill_state_circuit *saved, int64_t now,
			struct bill_restored *out);

enum bill_state_read_result {
	BILL_STATE_LOADED,
	BILL_STATE_ABSENT,   /* no file yet: a first start */
	BILL_STATE_CORRUPT,  /* unreadable or undecodable: renamed aside */
	BILL_STATE_FAILED,   /* could not even be renamed aside: left in place */
};

/* Reads dir/BILL_STATE_FILE. On BILL_STATE_CORRUPT the file was renamed to
 * aside (FILE.corrupt-<now>); why says what was wrong. */
enum bill_state_read_result bill_state_read(const char *dir, int64_t now, struct bill_state *out,
					    char *aside, size_t asidelen, char *why,
					    size_t whylen);

/* As bill_state_read for any state file of at most max bytes: decode
 * (0, or -1 with *why set to static text) fills out. Shared with the
 * availability state (avail_state.h). */
typedef int (*bill_decode_fn)(const char *buf, size_t len, void *out, const char **why);
enum bill_state_read_result bill_file_read(const char *dir, const char *name, size_t max,
					   int64_t now, bill_decode_fn decode, void *out,
					   char *aside, size_t asidelen, char *why, size_t whylen);

#endif
