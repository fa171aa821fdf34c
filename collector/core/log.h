/* log.h — structured logging to a file descriptor (stderr in the daemon),
 * one line per event, in logfmt or JSON lines, with levels and a rate
 * limiter for errors that repeat.
 *
 * Threads: every function may be called from any thread; each line is
 * written with a single write(2) under a lock, so lines never interleave.
 */
#ifndef CW_LOG_H
#define CW_LOG_H

#include <stdbool.h>
#include <stdint.h>

#define LOG_LINE_MAX 4096 /* longer lines are cut and marked truncated=true */

enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR };
enum log_format { LOG_FMT_LOGFMT, LOG_FMT_JSON };

struct log;

/* Returns a logger writing to fd (not closed by log_free), owned by the
 * caller, or NULL on allocation failure. */
struct log *log_new(int fd, enum log_level min, enum log_format fmt);
void log_free(struct log *lg); /* takes NULL */

/* Changes the minimum level and the format (on reload). */
void log_configure(struct log *lg, enum log_level min, enum log_format fmt);

/* Writes one event: msg, then key/value string pairs, ended by NULL.
 * A NULL logger writes nothing. Values are quoted and escaped as the
 * format needs. */
void log_kv(struct log *lg, enum log_level lvl, const char *msg, ...)
	__attribute__((sentinel));

#define log_debug(lg, ...) log_kv((lg), LOG_LVL_DEBUG, __VA_ARGS__, (const char *)0)
#define log_info(lg, ...) log_kv((lg), LOG_LVL_INFO, __VA_ARGS__, (const char *)0)
#define log_warn(lg, ...) log_kv((lg), LOG_LVL_WARN, __VA_ARGS__, (const char *)0)
#define log_error(lg, ...) log_kv((lg), LOG_LVL_ERROR, __VA_ARGS__, (const char *)0)

/* Rate limiting for repeated events: at most LOG_RL_BURST lines per
 * LOG_RL_WINDOW_MS per limiter; the first line after a window that
 * suppressed some carries suppressed=N. Embed one limiter per kind of
 * event (zero-initialised). */
#define LOG_RL_BURST 3
#define LOG_RL_WINDOW_MS 10000

struct log_ratelimit {
	uint64_t window_start_ms;
	uint32_t emitted;
	uint32_t suppressed;
};

/* Pure decision (unit-tested): returns true when a line may be written at
 * now_ms, and then sets *suppressed to the number of lines dropped since
 * the last one written (and resets it). */
bool log_rl_allow(struct log_ratelimit *rl, uint64_t now_ms, uint32_t *suppressed);

/* log_kv through a limiter (the limiter is the caller's; the call takes
 * the logger's lock so one limiter may be shared between threads). */
void log_kv_limited(struct log *lg, struct log_ratelimit *rl, enum log_level lvl,
		    const char *msg, ...) __attribute__((sentinel));

/* Parses "debug", "info", "warn", "error" / "logfmt", "json".
 * Returns 0 and sets *out, or -1. */
int log_level_parse(const char *s, enum log_level *out);
int log_format_parse(const char *s, enum log_format *out);

#endif
