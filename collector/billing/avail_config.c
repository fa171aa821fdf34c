/* avail_config.c — the availability: section (see avail_config.h). */
#include "avail_config.h"
#include "config_schema.h"

#include <stdio.h>
#include <string.h>

#define AVAIL_PERSIST_DEFAULT 60u   /* seconds */
#define AVAIL_GRACE_DEFAULT 300u    /* seconds */

/* A percentage above 0 and below 100, such as 99.95 (a trailing % allowed). */
static int p_percent(struct walk *w, struct frame *fr, const struct field *f, struct node *n,
		     void *obj)
{
	const char *expect = "a percentage above 0 and below 100, such as 99.95";
	size_t len;
	double v;

	(void)fr;
	if (!want_scalar(w, n, expect))
		return -1;
	len = n->len > 0 && n->s[n->len - 1] == '%' ? n->len - 1 : n->len;
	if (!parse_decimal(n->s, len, &v) || v <= 0 || v >= 100) {
		bad_value(w, n, expect);
		return -1;
	}
	*(double *)at(obj, f->off) = v;
	return 0;
}

static const struct ftype t_percent = {p_percent, NULL};
#define FIELD_PERCENT(T, k, m, fl) {.key = k, .type = &t_percent, .flags = fl, .off = offsetof(T, m)}

static void init_sla(void *obj)
{
	struct cfg_avail_sla *s = obj;

	s->expressroute = AVAIL_SLA_EXPRESSROUTE;
	s->directconnect = AVAIL_SLA_DIRECTCONNECT;
	s->interconnect = AVAIL_SLA_INTERCONNECT;
}

static const struct field sla_fields[] = {
	FIELD_PERCENT(struct cfg_avail_sla, "expressroute", expressroute, 0),
	FIELD_PERCENT(struct cfg_avail_sla, "directconnect", directconnect, 0),
	FIELD_PERCENT(struct cfg_avail_sla, "interconnect", interconnect, 0),
};
DEFINE_SECTION(sec_sla, sla_fields, struct cfg_avail_sla, init_sla, NULL);

static const struct field override_fields[] = {
	FIELD_TEXT(struct cfg_avail_circuit, "circuit", circuit, F_REQUIRED, 1, CFG_ID_MAX,
		   valid_id, "a circuit id (A-Z a-z 0-9 . _ -, 1..64 characters)"),
	FIELD_PERCENT(struct cfg_avail_circuit, "sla", sla, F_REQUIRED),
};
DEFINE_SECTION(sec_override, override_fields, struct cfg_avail_circuit, NULL, NULL);

static void init_availability(void *obj)
{
	struct cfg_availability *a = obj;

	a->enabled = true;
	a->persist_interval_s = AVAIL_PERSIST_DEFAULT;
	a->startup_grace_s = AVAIL_GRACE_DEFAULT;
	init_sla(&a->sla);
}

static bool circuit_known(const struct cfg_circuits *cc, const char *id)
{
	for (size_t i = 0; cc && i < cc->ncircuits; i++)
		if (cc->circuits[i].id && strcmp(cc->circuits[i].id, id) == 0)
			return true;
	return false;
}

/* Each override names a configured circuit, once. */
static void finish_availability(struct walk *w, struct cfg_config *cfg, void *obj)
{
	const struct cfg_availability *a = obj;
	const struct cfg_circuits *cc = cfg_section_edit(cfg, &circuit_config_section);
	char path[64];

	for (size_t i = 0; i < a->ncircuits && !walk_full(w); i++) {
		const char *id = a->circuits[i].circuit;
		struct frame fr;
		bool twice = false;

		for (size_t j = 0; id && j < i; j++)
			twice = twice || (a->circuits[j].circuit && strcmp(a->circuits[j].circuit, id) == 0);
		snprintf(path, sizeof path, "availability.circuits[%zu]", i);
		if (!id || cfg_reframe(w, path, &sec_override, &a->circuits[i], NULL, &fr) < 0)
			continue;
		if (!circuit_known(cc, id))
			err_key(w, &fr, "circuit", "no circuit \"%s\" in circuits", id);
		else if (twice)
			err_key(w, &fr, "circuit", "circuit \"%s\" is overridden twice", id);
	}
}

static const struct field availability_fields[] = {
	FIELD_BOOL(struct cfg_availability, "enabled", enabled, 0),
	FIELD_DURATION(struct cfg_availability, "persist_interval", persist_interval_s, 0, 1, 3600),
	FIELD_DURATION(struct cfg_availability, "startup_grace", startup_grace_s, 0, 0, 86400),
	FIELD_SECTION(struct cfg_availability, "sla", sla, F_DEFAULT_EMPTY, sec_sla),
	FIELD_LIST(struct cfg_availability, "circuits", circuits, ncircuits, 0, 0, sec_override),
};
DEFINE_TOP_SECTION(avail_config_section, availability_fields, struct cfg_availability,
		   init_availability, NULL, finish_availability);

const struct cfg_availability *avail_config(const struct cfg_config *cfg)
{
	return cfg_section(cfg, &avail_config_section);
}

double avail_config_target(const struct cfg_availability *a, const struct cfg_circuit *c)
{
	for (size_t i = 0; i < a->ncircuits; i++)
		if (a->circuits[i].circuit && strcmp(a->circuits[i].circuit, c->id) == 0)
			return a->circuits[i].sla;
	switch (c->provider) {
	case CFG_PROVIDER_DIRECTCONNECT:
		return a->sla.directconnect;
	case CFG_PROVIDER_INTERCONNECT:
		return a->sla.interconnect;
	case CFG_PROVIDER_EXPRESSROUTE:
	default:
		return a->sla.expressroute;
	}
}
