/* log.c — logfmt / JSON lines logger. */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct log {
	int fd;
	atomic_int min;
	atomic_int fmt;
	pthread_mutex_t lock;
};

/* A bounded line being built. A field that does not fit is dropped whole
 * (so a JSON line stays valid) and the line is marked truncated; the tail
 * reserve leaves room for that mark, the closing brace and the newline. */
#define LINE_TAIL_RESERVE 40
struct line {
	char buf[LOG_LINE_MAX];
	size_t len;
	bool truncated;
};

static const char *const level_names[] = {"debug", "info", "warn", "error"};

struct log *log_new(int fd, enum log_level min, enum log_format fmt)
{
	struct log *lg = calloc(1, sizeof(*lg));

	if (lg == NULL)
		return NULL;
	lg->fd = fd;
	atomic_init(&lg->min, (int)min);
	atomic_init(&lg->fmt, (int)fmt);
	pthread_mutex_init(&lg->lock, NULL);
	return lg;
}

void log_free(struct log *lg)
{
	if (lg == NULL)
		return;
	pthread_mutex_destroy(&lg->lock);
	free(lg);
}

void log_configure(struct log *lg, enum log_level min, enum log_format fmt)
{
	atomic_store(&lg->min, (int)min);
	atomic_store(&lg->fmt, (int)fmt);
}

static void put(struct line *l, const char *s, size_t n)
{
	if (l->truncated || l->len + n > sizeof(l->buf) - LINE_TAIL_RESERVE) {
		l->truncated = true;
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/* Appends into the tail reserve (closing marks only). */
static void put_tail(struct line *l, const char *s)
{
	size_t n = strlen(s);

	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

/* Writes v in double quotes, escaping quote, backslash and newline, and
 * other control characters as \u00HH (JSON) or \xHH (logfmt). */
static void put_quoted(struct line *l, const char *v, bool json)
{
	put(l, "\"", 1);
	for (const char *p = v; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		char esc[8];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(l, esc, 2);
		} else if (c == '\n') {
			put(l, "\\n", 2);
		} else if (c < 0x20 || c == 0x7f) {
			if (json)
				snprintf(esc, sizeof(esc), "\\u%04x", c);
			else
				snprintf(esc, sizeof(esc), "\\x%02x", c);
			puts_(l, esc);
		} else {
			put(l, p, 1);
		}
	}
	put(l, "\"", 1);
}

static void put_logfmt_value(struct line *l, const char *v)
{
	bool quote = (*v == '\0');
	const char *p;

	for (p = v; *p != '\0' && !quote; p++)
		if ((unsigned char)*p <= ' ' || *p == '=' || *p == '"' || *p == 0x7f)
			quote = true;
	if (!quote) {
		puts_(l, v);
		return;
	}
	put_quoted(l, v, false);
}

static void put_json_string(struct line *l, const char *v)
{
	put_quoted(l, v, true);
}

static void put_field_raw(struct line *l, enum log_format fmt, bool first,
			  const char *k, const char *v)
{
	if (fmt == LOG_FMT_JSON) {
		if (!first)
			put(l, ",", 1);
		put_json_string(l, k);
		put(l, ":", 1);
		put_json_string(l, v);
		return;
	}
	if (!first)
		put(l, " ", 1);
	puts_(l, k);
	put(l, "=", 1);
	put_logfmt_value(l, v);
}

static void put_field(struct line *l, enum log_format fmt, bool first,
		      const char *k, const char *v)
{
	size_t before = l->len;

	if (l->truncated)
		return;
	put_field_raw(l, fmt, first, k, v);
	if (l->truncated)
		l->len = before;
}

static void format_ts(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%03ldZ", base, ts.tv_nsec / 1000000L);
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* nowhere left to report a logging failure */
		p += w;
		n -= (size_t)w;
	}
}

static void emit(struct log *lg, enum log_level lvl, uint32_t suppressed,
		 const char *msg, va_list ap)
{
	enum log_format fmt = (enum log_format)atomic_load(&lg->fmt);
	struct line *l = malloc(sizeof(*l));
	char ts[48], num[16];
	const char *k;

	if (l == NULL)
		return;
	l->len = 0;
	l->truncated = false;
	format_ts(ts, sizeof(ts));
	if (fmt == LOG_FMT_JSON)
		put(l, "{", 1);
	put_field(l, fmt, true, "ts", ts);
	put_field(l, fmt, false, "level", level_names[lvl]);
	put_field(l, fmt, false, "msg", msg);
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);

		put_field(l, fmt, false, k, v != NULL ? v : "");
	}
	if (suppressed > 0) {
		snprintf(num, sizeof(num), "%u", suppressed);
		put_field(l, fmt, false, "suppressed", num);
	}
	if (l->truncated)
		put_tail(l, fmt == LOG_FMT_JSON ? ",\"truncated\":\"true\"" : " truncated=true");
	put_tail(l, fmt == LOG_FMT_JSON ? "}\n" : "\n");
	write_all(lg->fd, l->buf, l->len);
	free(l);
}

void log_kv(struct log *lg, enum log_level lvl, const char *msg, ...)
{
	va_list ap;

	if (lg == NULL || (int)lvl < atomic_load(&lg->min))
		return;
	va_start(ap, msg);
	pthread_mutex_lock(&lg->lock);
	emit(lg, lvl, 0, msg, ap);
	pthread_mutex_unlock(&lg->lock);
	va_end(ap);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool log_rl_allow(struct log_ratelimit *rl, uint64_t now, uint32_t *suppressed)
{
	if (rl->emitted == 0 || now - rl->window_start_ms >= LOG_RL_WINDOW_MS) {
		rl->window_start_ms = now;
		rl->emitted = 0;
	}
	if (rl->emitted >= LOG_RL_BURST) {
		rl->suppressed++;
		return false;
	}
	rl->emitted++;
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}

void log_kv_limited(struct log *lg, struct log_ratelimit *rl, enum log_level lvl,
		    const char *msg, ...)
{
	uint32_t suppressed = 0;
	va_list ap;

	if (lg == NULL || (int)lvl < atomic_load(&lg->min))
		return;
	va_start(ap, msg);
	pthread_mutex_lock(&lg->lock);
	if (log_rl_allow(rl, now_ms(), &suppressed))
		emit(lg, lvl, suppressed, msg, ap);
	pthread_mutex_unlock(&lg->lock);
	va_end(ap);
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int log_format_parse(const char *s, enum log_format *out)
{
	if (strcmp(s, "logfmt") == 0)
		*out = LOG_FMT_LOGFMT;
	else if (strcmp(s, "json") == 0)
		*out = LOG_FMT_JSON;
	else
		return -1;
	return 0;
}
