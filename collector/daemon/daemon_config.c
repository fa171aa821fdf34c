/* daemon_config.c — the daemon: section and the daemon's schema (see
 * daemon_config.h), and the rules that join two modules' sections of one
 * floor (a module never reads a neighbour's section: the wiring floor
 * does). Adding a section: its module's x_config.{h,c} and one line in
 * schema_entries below (the order is the walk order, and the order an
 * unknown key's message lists the keys in).
 */
#include "daemon_config.h"
#include "config_schema.h"

#include "alerts_config.h"
#include "avail_config.h"
#include "billing_config.h"
#include "bmp_config.h"
#include "capture_config.h"
#include "circuit_config.h"
#include "ifstats_config.h"
#include "kafka_config.h"
#include "log_config.h"
#include "probes_config.h"
#include "prometheus_config.h"

#include <string.h>

/* A login name as useradd(8) accepts it (no leading '-': it would read as an option). */
static bool valid_user(const char *s, size_t len)
{
	return len > 0 && s[0] != '-' && valid_id(s, len);
}

static const struct field daemon_fields[] = {
	FIELD_TEXT(struct cfg_daemon, "user", user, 0, 1, CFG_USER_MAX, valid_user,
		   "a user name of 1..32 characters from A-Z a-z 0-9 . _ - (not starting with -)"),
};
/* Two listeners on one port would fail at bind(); say so when checking. */
static void check_listeners(struct walk *w, struct cfg_config *cfg)
{
	const struct cfg_bmp *b = bmp_config(cfg);
	const struct cfg_prometheus *p = prometheus_config(cfg);
	struct frame bf, pf;

	if (!b || !p || !cfg_walked_ok(w, "prometheus") ||
	    cfg_reframe(w, "bmp", &bmp_config_section, (void *)b, NULL, &bf) < 0 ||
	    (fr_given(&bf, "listen") && !fr_ok(&bf, "listen")) ||
	    (fr_given(&bf, "enabled") && !fr_ok(&bf, "enabled")))
		return;
	if (!b->enabled || !p->enabled || b->listen_port != p->listen_port)
		return;
	if (b->listen_host && p->listen_host && strcmp(b->listen_host, p->listen_host) != 0)
		return;
	if (fr_given(&bf, "listen")) {
		err_key(w, &bf, "listen",
			"port %u is already used by prometheus.listen; give one of them another port",
			(unsigned)b->listen_port);
		return;
	}
	/* bmp.listen is the default, so prometheus.listen was given: point there */
	cfg_reframe(w, "prometheus", &prometheus_config_section, (void *)p, NULL, &pf);
	err_key(w, &pf, "listen", "port %u is already used by bmp.listen (its default); "
		"give one of them another port", (unsigned)p->listen_port);
}

/* Billing metered from capture needs capture on: checked for each circuit
 * whose billing the billing section's own checks passed up to its source. */
static void check_capture_source(struct walk *w, struct cfg_config *cfg)
{
	const struct cfg_capture *cap = capture_config(cfg);
	const struct cfg_billing *b = billing_config(cfg);
	struct cfg_circuits *cc = cfg_section_edit(cfg, &circuit_config_section);

	if (!b || b->nplans == 0 || (cap && cap->enabled))
		return;
	for (size_t i = 0; cc && i < cc->ncircuits && !walk_full(w); i++) {
		struct cfg_circuit *c = &cc->circuits[i];
		struct frame cf, fr;

		if (circuit_config_reframe(w, c, i, &cf, &fr) < 0 ||
		    c->billing.source != CFG_BILL_SOURCE_CAPTURE || !c->billing_plan ||
		    (fr_given(&fr, "alternatives") && !fr_ok(&fr, "alternatives")) ||
		    (fr_given(&fr, "zone") && !fr_ok(&fr, "zone")) || !fr_ok(&cf, "bandwidth") ||
		    !circuit_config_has_interface(c))
			continue;
		err_key(w, &fr, "source", "source capture needs capture.enabled: true");
	}
}

static void finish_daemon(struct walk *w, struct cfg_config *cfg, void *obj)
{
	(void)obj;
	check_listeners(w, cfg);
	check_capture_source(w, cfg);
}

DEFINE_TOP_SECTION(daemon_config_section, daemon_fields, struct cfg_daemon, NULL, NULL,
		   finish_daemon);

const struct cfg_daemon *daemon_config(const struct cfg_config *cfg)
{
	return cfg_section(cfg, &daemon_config_section);
}

static const struct cfg_schema_entry schema_entries[] = {
	{"log", &log_config_section, 0},
	{"prometheus", &prometheus_config_section, 0},
	{"bmp", &bmp_config_section, 0},
	{"capture", &capture_config_section, 0},
	{"ifstats", &ifstats_config_section, 0},
	{"probes", &probes_config_section, 0},
	{"billing", &billing_config_section, 0},
	{"availability", &avail_config_section, 0},
	{CIRCUIT_CONFIG_KEY, &circuit_config_section, CFG_TOP_FIELD},
	{"alerts", &alerts_config_section, 0},
	{"kafka", &kafka_config_section, 0},
	{"daemon", &daemon_config_section, 0},
};

static const struct cfg_schema schema = {schema_entries, ARRAY_LEN(schema_entries)};

const struct cfg_schema *daemon_config_schema(void)
{
	return &schema;
}

int daemon_config_load_file(const char *path, struct cfg_config **out, struct cfg_errors *errs)
{
	return cfg_load_file(path, &schema, out, errs);
}

int daemon_config_load_buffer(const char *name, const char *buf, size_t len,
			      struct cfg_config **out, struct cfg_errors *errs)
{
	return cfg_load_buffer(name, buf, len, &schema, out, errs);
}
