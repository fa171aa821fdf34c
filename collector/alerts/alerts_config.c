/* alerts_config.c — the alerts: section (see alerts_config.h). */
#include "alerts_config.h"
#include "config_schema.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALERT_INTERVAL_DEFAULT 5000u /* ms */
#define ALERT_WINDOW_DEFAULT 300000u /* ms: rate/increase over 5 minutes */

static const char *const alert_fn_names[] = {
	[CFG_ALERT_VALUE] = "value", [CFG_ALERT_RATE] = "rate",
	[CFG_ALERT_INCREASE] = "increase", NULL,
};
static const char *const alert_op_names[] = {
	[CFG_ALERT_GT] = ">", [CFG_ALERT_GE] = ">=", [CFG_ALERT_LT] = "<",
	[CFG_ALERT_LE] = "<=", [CFG_ALERT_EQ] = "==", [CFG_ALERT_NE] = "!=", NULL,
};
static const char *const severity_names[] = {
	[CFG_SEV_INFO] = "info", [CFG_SEV_WARNING] = "warning", [CFG_SEV_CRITICAL] = "critical",
	NULL,
};
static const char *const alert_event_names[] = {
	[CFG_ALERT_EV_ALERT] = "alert", [CFG_ALERT_EV_REDUNDANCY] = "redundancy",
	[CFG_ALERT_EV_UTILISATION] = "utilisation", [CFG_ALERT_EV_LATENCY] = "latency",
	[CFG_ALERT_EV_LOSS] = "loss", [CFG_ALERT_EV_BUDGET] = "budget",
	[CFG_ALERT_EV_BUDGET_OVERRUN] = "budget_overrun", [CFG_ALERT_EV_SOURCE] = "source",
	[CFG_ALERT_EV_PREFIX_LIMIT] = "prefix_limit", NULL,
};
_Static_assert(sizeof(enum cfg_alert_fn) == sizeof(uint32_t), "enum width");
_Static_assert(sizeof(enum cfg_alert_op) == sizeof(uint32_t), "enum width");
_Static_assert(sizeof(enum cfg_severity) == sizeof(uint32_t), "enum width");
_Static_assert(sizeof(enum cfg_alert_event) == sizeof(uint32_t), "enum width");

/* [A-Za-z_][A-Za-z0-9_]*: a Prometheus label or alert name. */
static bool valid_label_name(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';

		if (!alpha && (i == 0 || !(c >= '0' && c <= '9')))
			return false;
	}
	return len > 0;
}

/* A family of ours: circuitwatch_ and lower case, digits, '_'. */
static bool valid_metric_name(const char *s, size_t len)
{
	static const char pfx[] = "circuitwatch_";

	if (len <= sizeof pfx - 1 || memcmp(s, pfx, sizeof pfx - 1) != 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* label=value or label!=value; the value may be empty, any bytes but NUL. */
static bool valid_matcher(const char *s, size_t len)
{
	const char *eq = memchr(s, '=', len);
	size_t l;

	if (!eq)
		return false;
	l = (size_t)(eq - s);
	if (l > 0 && s[l - 1] == '!')
		l--;
	return valid_label_name(s, l);
}

/* A number as YAML and Prometheus write it: sign, decimals, exponent. */
static int p_number(struct walk *w, struct frame *fr, const struct field *f, struct node *n,
		    void *obj)
{
	const char *expect = "a number such as 0.8, -1 or 1e6";
	char buf[64], *end;
	double v;

	(void)fr;
	if (!want_scalar(w, n, expect))
		return -1;
	if (n->len == 0 || n->len >= sizeof buf) {
		bad_value(w, n, expect);
		return -1;
	}
	memcpy(buf, n->s, n->len);
	buf[n->len] = '\0';
	v = strtod(buf, &end);
	if (*end != '\0' || !isfinite(v) || isspace((unsigned char)buf[0]) ||
	    strpbrk(buf, "xXnN") != NULL) { /* no hex floats, inf or nan */
		bad_value(w, n, expect);
		return -1;
	}
	*(double *)at(obj, f->off) = v;
	return 0;
}

static const struct ftype t_number = {p_number, NULL};
#define FIELD_NUMBER(T, k, m, fl) {.key = k, .type = &t_number, .flags = fl, .off = offsetof(T, m)}

static void init_alert_rule(void *obj)
{
	struct cfg_alert_rule *r = obj;

	r->severity = CFG_SEV_WARNING;
	r->window_ms = ALERT_WINDOW_DEFAULT;
}

/* The clear level lies on the side the value comes back to; rate and
 * increase need a window, a plain value takes none. */
static void check_alert_rule(struct walk *w, struct frame *fr)
{
	struct cfg_alert_rule *r = fr->obj;
	char desc[96];

	if (fr_ok(fr, "name")) {
		snprintf(desc, sizeof desc, "alert rule name \"%s\"", r->name);
		uniq_add(w, fr, "name", 0, "alert rule", r->name, strlen(r->name), desc);
	}
	if (fr_given(fr, "window") && r->fn == CFG_ALERT_VALUE &&
	    (!fr_given(fr, "function") || fr_ok(fr, "function")))
		err_key(w, fr, "window", "a window needs function rate or increase");
	r->has_clear = fr_given(fr, "clear");
	if (!r->has_clear || !fr_ok(fr, "clear") || !fr_ok(fr, "op") || !fr_ok(fr, "threshold"))
		return;
	if (r->op == CFG_ALERT_EQ || r->op == CFG_ALERT_NE)
		err_key(w, fr, "clear", "clear (hysteresis) needs op >, >=, < or <=");
	else if ((r->op == CFG_ALERT_GT || r->op == CFG_ALERT_GE) && r->clear > r->threshold)
		err_key(w, fr, "clear", "with op %s, clear must be at most the threshold (%g)",
			alert_op_names[r->op], r->threshold);
	else if ((r->op == CFG_ALERT_LT || r->op == CFG_ALERT_LE) && r->clear < r->threshold)
		err_key(w, fr, "clear", "with op %s, clear must be at least the threshold (%g)",
			alert_op_names[r->op], r->threshold);
}

static void init_alerts(void *obj)
{
	struct cfg_alerts *a = obj;

	a->enabled = true;
	a->interval_ms = ALERT_INTERVAL_DEFAULT;
}

static const struct field alert_rule_fields[] = {
	FIELD_TEXT(struct cfg_alert_rule, "name", name, F_REQUIRED, 1, 128, valid_label_name,
		   "a name of letters, digits and '_', not starting with a digit"),
	FIELD_TEXT(struct cfg_alert_rule, "metric", metric, F_REQUIRED, 1, 200, valid_metric_name,
		   "a circuitwatch_* metric name"),
	FIELD_NAMES(struct cfg_alert_rule, "match", match, nmatch, 0, 0, CFG_ALERT_MATCHERS_MAX,
		    valid_matcher, "a matcher label=value or label!=value"),
	FIELD_ENUM(struct cfg_alert_rule, "function", fn, 0, alert_fn_names),
	FIELD_DURATION_MS(struct cfg_alert_rule, "window", window_ms, 0, 1000, 86400000),
	FIELD_ENUM(struct cfg_alert_rule, "op", op, F_REQUIRED, alert_op_names),
	FIELD_NUMBER(struct cfg_alert_rule, "threshold", threshold, F_REQUIRED),
	FIELD_NUMBER(struct cfg_alert_rule, "clear", clear, 0),
	FIELD_DURATION_MS(struct cfg_alert_rule, "for", for_ms, 0, 0, 86400000),
	FIELD_ENUM(struct cfg_alert_rule, "severity", severity, 0, severity_names),
	FIELD_ENUM(struct cfg_alert_rule, "event", event, 0, alert_event_names),
	FIELD_STRING(struct cfg_alert_rule, "summary", summary, 0),
};
DEFINE_SECTION(sec_alert_rule, alert_rule_fields, struct cfg_alert_rule, init_alert_rule,
	       check_alert_rule);

static const struct field alerts_fields[] = {
	FIELD_BOOL(struct cfg_alerts, "enabled", enabled, 0),
	FIELD_DURATION_MS(struct cfg_alerts, "interval", interval_ms, 0, 1000, 300000),
	FIELD_LIST(struct cfg_alerts, "rules", rules, nrules, 0, 0, sec_alert_rule),
};
DEFINE_TOP_SECTION(alerts_config_section, alerts_fields, struct cfg_alerts, init_alerts, NULL,
		   NULL);

const struct cfg_alerts *alerts_config(const struct cfg_config *cfg)
{
	return cfg_section(cfg, &alerts_config_section);
}
