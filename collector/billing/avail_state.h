/* avail_state.h — the availability state on disk: per circuit, the
 * current cycle's figures and the previous cycle's (avail.h), so that a
 * restart or a crash keeps them.
 *
 * A save holds what was counted up to it: after a kill -9 the seconds since
 * the last save (at most availability.persist_interval) are lost and, with
 * the time the daemon was not running, stay unobserved (never counted as
 * down). One JSON file per daemon (AVAIL_STATE_FILE in billing.state_dir)
 * with a version and an FNV-1a checksum over its circuits; decoding is
 * strict. Written and read the way billing's state is (bill_file_write,
 * bill_file_read: atomic, a bad file renamed aside and reported).
 *
 * encode/decode are pure; write/read are the file edge. Ownership: a
 * decoded or read state is the caller's (avail_state_clean). */
#ifndef CW_BILLING_AVAIL_STATE_H
#define CW_BILLING_AVAIL_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "avail.h"
#include "state.h"

#define AVAIL_STATE_VERSION 1
#define AVAIL_STATE_FILE "availability-state.json"
#define AVAIL_STATE_MAX_BYTES (8u * 1024u * 1024u)
#define AVAIL_STATE_MAX_CIRCUITS 100000u

struct avail_state_circuit {
	char id[CFG_ID_MAX + 1];
	struct avail_figures cur, prev;   /* prev.valid false: none */
};

struct avail_state {
	int64_t written;
	size_t n;
	struct avail_state_circuit *v;
};

/* *out is malloc'ed text owned by the caller. */
int avail_state_encode(const struct avail_state *st, char **out)
	__attribute__((warn_unused_result));
/* Returns 0, or -1 with *why (static text) set; out is then empty. */
int avail_state_decode(const char *buf, size_t len, struct avail_state *out, const char **why)
	__attribute__((warn_unused_result));
void avail_state_clean(struct avail_state *st); /* frees v; takes NULL */

int avail_state_write(const char *dir, const struct avail_state *st, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* As bill_state_read, for AVAIL_STATE_FILE. */
enum bill_state_read_result avail_state_read(const char *dir, int64_t now, struct avail_state *out,
					     char *aside, size_t asidelen, char *why,
					     size_t whylen);

#endif
