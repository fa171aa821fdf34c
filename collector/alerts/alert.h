/* alert.h — alert rules over the daemon's own metrics: thresholds, `for:`
 * durations and hysteresis, each alert instance pending, firing or
 * resolved, and every transition reported.
 *
 * A rule names one metric family and optional label matchers; every series
 * of the family that matches is one alert instance (as a Prometheus
 * alerting rule over one selector). The value compared is the series'
 * value, or for counters its per-second rate or its increase over a window.
 * An instance goes pending when the condition holds, firing when it has
 * held for `for`, and resolved when it stops holding: with hysteresis, a
 * firing alert of "> 0.8, clear 0.7" resolves only at or below 0.7. A
 * series that disappears resolves its alert.
 *
 * Pure: snapshots of the registry and times in; transitions out through a
 * callback. No clock, no I/O.
 *
 * Ownership: the engine copies the rules (alert_engine_new) and owns its
 * instances; transition structs passed to the callback are valid during
 * the call only.
 */
#ifndef CW_ALERTS_ALERT_H
#define CW_ALERTS_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct metrics_snapshot;

#define ALERT_MAX_MATCHERS 8        /* label matchers per rule */
#define ALERT_MAX_INSTANCES 100000  /* alert instances, all rules together */
#define ALERT_MAX_SAMPLES 512       /* samples kept per instance for rate/increase */

enum alert_op { ALERT_GT, ALERT_GE, ALERT_LT, ALERT_LE, ALERT_EQ, ALERT_NE };
enum alert_fn { ALERT_FN_VALUE, ALERT_FN_RATE, ALERT_FN_INCREASE };
enum alert_state { ALERT_INACTIVE, ALERT_PENDING, ALERT_FIRING };
enum alert_severity { ALERT_INFO, ALERT_WARNING, ALERT_CRITICAL };

struct alert_matcher {
	const char *label;
	const char *value;
	bool negate;                /* label != value */
};

struct alert_rule {
	const char *name;           /* alertname */
	const char *metric;         /* family name */
	size_t nmatchers;
	struct alert_matcher matchers[ALERT_MAX_MATCHERS];
	enum alert_fn fn;
	double window;              /* seconds, for rate/increase */
	enum alert_op op;
	double threshold;
	bool has_clear;             /* hysteresis: firing until the value passes clear */
	double clear;
	double for_s;               /* seconds the condition must hold before firing */
	enum alert_severity severity;
	const char *summary;        /* free text; may be NULL */
	uintptr_t tag;              /* the caller's, copied as is */
};

/* One transition of one instance. labels is the series' rendered label
 * set (`a="x",b="y"`); circuit, link and peering are its values of those
 * labels ("" when absent). */
struct alert_transition {
	const struct alert_rule *rule;
	const char *labels;
	const char *circuit, *link, *peering;
	enum alert_state from, to;  /* to INACTIVE means resolved (from firing)
	                             * or cancelled (from pending) */
	double value;               /* the value that caused it (NaN when the series went away) */
	double since;               /* when the instance entered `from` */
	double now;
	bool series_gone;
};

typedef void (*alert_emit_fn)(const struct alert_transition *t, void *arg);

struct alert_engine;

/* Copies nrules rules (their strings too). NULL on a bad rule (empty
 * name or metric, window <= 0 with rate/increase, clear on the wrong side
 * of the threshold, more than ALERT_MAX_MATCHERS) or out of memory. */
struct alert_engine *alert_engine_new(const struct alert_rule *rules, size_t nrules,
				      alert_emit_fn emit, void *arg);
void alert_engine_free(struct alert_engine *e); /* takes NULL; emits nothing */

/* Evaluates every rule over snap at time now (seconds, increasing). */
void alert_engine_eval(struct alert_engine *e, const struct metrics_snapshot *snap, double now);

/* Instances in state st (pending or firing) now. */
size_t alert_engine_count(const struct alert_engine *e, enum alert_state st);
/* Instances dropped because ALERT_MAX_INSTANCES was reached. */
uint64_t alert_engine_dropped(const struct alert_engine *e);

/* Calls fn for every pending or firing instance (for the metrics). */
void alert_engine_foreach(const struct alert_engine *e,
			  void (*fn)(const struct alert_rule *r, const char *labels,
				     enum alert_state st, double value, double since, void *arg),
			  void *arg);

/* The value of label name in a rendered label set (`a="x",b="y\"z"`),
 * unescaped into buf (size bytes). Returns buf, or NULL when absent or
 * malformed (buf is then ""). */
const char *alert_label_value(const char *labels, const char *name, char *buf, size_t size);

const char *alert_state_name(enum alert_state st);       /* inactive|pending|firing */
const char *alert_severity_name(enum alert_severity s);  /* info|warning|critical */

#endif
