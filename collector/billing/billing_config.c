/* billing_config.c — the billing: section (see billing_config.h): plans,
 * their fees, tiers and zones, plans_file, and — once the whole document
 * is walked — each circuit's billing against the plans (plan exists, zone,
 * fee for the bandwidth, alternatives of one currency, a link to meter on;
 * whether capture is on for `source: capture` is the daemon's check, since
 * capture: is the section of a module of the same floor).
 */
#include "billing_config.h"
#include "config_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BILLING_STATE_DIR "/var/lib/circuitwatch"
#define BILLING_PERSIST_DEFAULT 60u     /* seconds */
#define BILLING_RECENT_DEFAULT 3600u    /* seconds */
#define VOLUME_MAX_BYTES (UINT64_MAX / 2)

static const char *const unit_names[] = {
	[CFG_UNIT_GB] = "GB", [CFG_UNIT_GIB] = "GiB", NULL,
};

_Static_assert(sizeof(enum cfg_bill_unit) == sizeof(uint32_t), "enum width");

/* The plan named name in b, or NULL. */
static const struct cfg_plan *plan_find(const struct cfg_billing *b, const char *name)
{
	for (size_t i = 0; b && name && i < b->nplans; i++)
		if (b->plans[i].name && strcmp(b->plans[i].name, name) == 0)
			return &b->plans[i];
	return NULL;
}

/* ISO 4217 alphabetic codes are three capital letters. */
static bool valid_currency(const char *s, size_t len)
{
	if (len != 3)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return false;
	return true;
}

/* NUMBER[.FRACTION][ ]UNIT: B, kB/KB, MB, GB, TB, PB (powers of 1000) or
 * KiB, MiB, GiB, TiB, PiB (powers of 1024); whole bytes only. */
static bool parse_volume(const char *s, size_t len, uint64_t *bytes)
{
	static const struct {
		const char *name;
		double mult;
	} units[] = {
		{"B", 1}, {"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
		{"PB", 1e15}, {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0},
		{"TiB", 1099511627776.0}, {"PiB", 1125899906842624.0},
	};
	size_t i = count_digits(s, len);
	double v, b;

	if (i < len && s[i] == '.')
		i += 1 + count_digits(s + i + 1, len - i - 1);
	if (!parse_decimal(s, i, &v))
		return false;
	if (i < len && s[i] == ' ')
		i++;
	for (size_t u = 0; u < ARRAY_LEN(units); u++) {
		if (len - i != strlen(units[u].name) || memcmp(s + i, units[u].name, len - i) != 0)
			continue;
		b = v * units[u].mult;
		if (b < 1 || b > (double)VOLUME_MAX_BYTES || b != (double)(uint64_t)b)
			return false;
		*bytes = (uint64_t)b;
		return true;
	}
	return false;
}

/* off: uint64_t bytes; off2: char * text as written. */
static int p_volume(struct walk *w, struct frame *fr, const struct field *f, struct node *n,
		    void *obj)
{
	const char *expect = "a volume such as 10TB, 500GB or 1.5TiB (whole bytes, more than 0)";
	uint64_t v;
	char *t;

	(void)fr;
	if (!want_scalar(w, n, expect))
		return -1;
	if (memchr(n->s, '\0', n->len) || !parse_volume(n->s, n->len, &v)) {
		bad_value(w, n, expect);
		return -1;
	}
	if (!(t = strdup(n->s)))
		return oom(w, n->loc);
	*(uint64_t *)at(obj, f->off) = v;
	*(char **)at(obj, f->off2) = t;
	return 0;
}

static void f_volume(const struct field *f, void *obj)
{
	char **s = at(obj, f->off2);

	free(*s);
	*s = NULL;
}

static const struct ftype t_volume = {p_volume, f_volume};

/* monthly or hourly, exactly one; one fee per bandwidth in its list. */
static void check_fee(struct walk *w, struct frame *fr)
{
	struct cfg_fee *fee = fr->obj;
	bool monthly = fr_given(fr, "monthly"), hourly = fr_given(fr, "hourly");
	unsigned char key[8];

	if (monthly && hourly)
		err_key(w, fr, "hourly", "give either \"monthly\" or \"hourly\", not both");
	else if (!monthly && !hourly)
		err_here(w, fr->loc, "missing a fee: give \"monthly\" or \"hourly\"");
	fee->period = hourly ? CFG_FEE_HOURLY : CFG_FEE_MONTHLY;
	if (!fr_ok(fr, "bandwidth") || !fr->parent)
		return;
	for (int i = 0; i < 8; i++)
		key[i] = (unsigned char)(fee->bandwidth_bps >> (56 - 8 * i));
	uniq_add(w, fr, "bandwidth", fr->parent->plen, "fee bandwidth", key, sizeof key,
		 "fee for this bandwidth");
}

/* Tiers: each but the last has up_to, strictly increasing; the last none. */
static void check_tiers(struct walk *w, const struct frame *fr, const struct cfg_egress_zone *z)
{
	const struct node *list = map_get(fr->map, "tiers");

	if (z->ntiers > CFG_TIERS_MAX) {
		err_key(w, fr, "tiers", "at most %d tiers", CFG_TIERS_MAX);
		return;
	}
	for (size_t i = 0; list && list->kind == N_SEQ && i < z->ntiers; i++) {
		const struct cfg_tier *t = &z->tiers[i];
		const struct node *it = list->v[i];
		bool last = i + 1 == z->ntiers;

		if (last && t->up_to_text)
			err_at(w, it->loc, "%s.tiers[%zu]: the last tier has no up_to (it has no end)",
			       walk_path(w), i);
		else if (!last && !t->up_to_text)
			err_at(w, it->loc, "%s.tiers[%zu]: needs up_to (only the last tier has none)",
			       walk_path(w), i);
		else if (!last && i > 0 && t->up_to_bytes <= z->tiers[i - 1].up_to_bytes)
			err_at(w, it->loc, "%s.tiers[%zu]: up_to must be more than the tier before's",
			       walk_path(w), i);
	}
}

static void check_egress(struct walk *w, struct frame *fr)
{
	struct cfg_egress_zone *z = fr->obj;
	bool per_gb = fr_given(fr, "per_gb"), tiers = fr_given(fr, "tiers");
	char desc[CFG_PLAN_NAME_MAX + 32];

	if (per_gb && tiers) {
		err_key(w, fr, "tiers", "give either \"per_gb\" or \"tiers\", not both");
	} else if (!per_gb && !tiers) {
		err_here(w, fr->loc, "missing a rate: give \"per_gb\" or \"tiers\"");
	} else if (per_gb && fr_ok(fr, "per_gb")) {
		z->tiers = calloc(1, sizeof *z->tiers);
		if (!z->tiers) {
			oom(w, fr->loc);
			return;
		}
		z->tiers[0].per_unit = z->per_gb;
		z->ntiers = 1;
	} else if (fr_ok(fr, "tiers")) {
		check_tiers(w, fr, z);
	}
	if (fr_ok(fr, "zone") && fr->parent) {
		snprintf(desc, sizeof desc, "zone \"%s\" in this plan", z->zone);
		uniq_add(w, fr, "zone", fr->parent->plen, "zone", z->zone, strlen(z->zone), desc);
	}
}

static void check_plan(struct walk *w, struct frame *fr)
{
	const struct cfg_plan *p = fr->obj;
	char desc[CFG_PLAN_NAME_MAX + 32];

	if (fr_ok(fr, "name")) {
		snprintf(desc, sizeof desc, "plan name \"%s\"", p->name);
		uniq_add(w, fr, "name", 0, "plan", p->name, strlen(p->name), desc);
	}
	if (p->unlimited && p->negress)
		err_key(w, fr, "egress", "an unlimited plan has no egress rates");
	else if (!p->unlimited && !fr_given(fr, "egress") &&
		 (!fr_given(fr, "unlimited") || fr_ok(fr, "unlimited")))
		err_here(w, fr->loc, "missing \"egress\" (a metered plan needs its rates; "
			 "or say unlimited: true)");
}

static void init_plan(void *obj)
{
	((struct cfg_plan *)obj)->unit = CFG_UNIT_GB;
}

static const struct field fee_fields[] = {
	FIELD_PAIR(t_bandwidth, struct cfg_fee, "bandwidth", bandwidth_bps, bandwidth_text,
		   F_REQUIRED, 0),
	FIELD_AMOUNT(struct cfg_fee, "monthly", amount, 0),
	FIELD_AMOUNT(struct cfg_fee, "hourly", amount, 0),
};
DEFINE_SECTION(sec_fee, fee_fields, struct cfg_fee, NULL, check_fee);

static const struct field tier_fields[] = {
	FIELD_PAIR(t_volume, struct cfg_tier, "up_to", up_to_bytes, up_to_text, 0, 0),
	FIELD_AMOUNT(struct cfg_tier, "per_gb", per_unit, F_REQUIRED),
};
DEFINE_SECTION(sec_tier, tier_fields, struct cfg_tier, NULL, NULL);

static const struct field egress_fields[] = {
	FIELD_TEXT(struct cfg_egress_zone, "zone", zone, F_REQUIRED, 1, CFG_PLAN_NAME_MAX,
		   valid_id, "a zone name of 1..64 characters from A-Z a-z 0-9 . _ -"),
	FIELD_AMOUNT(struct cfg_egress_zone, "per_gb", per_gb, 0),
	FIELD_LIST(struct cfg_egress_zone, "tiers", tiers, ntiers, 0, 1, sec_tier),
};
DEFINE_SECTION(sec_egress, egress_fields, struct cfg_egress_zone, NULL, check_egress);

static const struct field add_on_fields[] = {
	FIELD_TEXT(struct cfg_add_on, "name", name, F_REQUIRED, 1, CFG_PLAN_NAME_MAX, valid_id,
		   "a name of 1..64 characters from A-Z a-z 0-9 . _ -"),
	FIELD_LIST(struct cfg_add_on, "fees", fees, nfees, F_REQUIRED, 1, sec_fee),
};
DEFINE_SECTION(sec_add_on, add_on_fields, struct cfg_add_on, NULL, NULL);

static const struct field plan_fields[] = {
	FIELD_TEXT(struct cfg_plan, "name", name, F_REQUIRED, 1, CFG_PLAN_NAME_MAX, valid_id,
		   "a plan name of 1..64 characters from A-Z a-z 0-9 . _ -"),
	FIELD_TEXT(struct cfg_plan, "currency", currency, F_REQUIRED, 3, 3, valid_currency,
		   "an ISO 4217 currency code such as EUR or USD"),
	FIELD_ENUM(struct cfg_plan, "unit", unit, 0, unit_names),
	FIELD_BOOL(struct cfg_plan, "unlimited", unlimited, 0),
	FIELD_LIST(struct cfg_plan, "port_fees", port_fees, nport_fees, F_REQUIRED, 1, sec_fee),
	FIELD_LIST(struct cfg_plan, "egress", egress, negress, 0, 1, sec_egress),
	FIELD_LIST(struct cfg_plan, "add_ons", add_ons, nadd_ons, 0, 0, sec_add_on),
	FIELD_AMOUNT(struct cfg_plan, "global_reach_per_gb", global_reach_per_gb, 0),
};
DEFINE_SECTION(sec_plan, plan_fields, struct cfg_plan, init_plan, check_plan);

/* The top level of a plans_file: only a list of plans. */
static const struct field plans_file_fields[] = {
	FIELD_LIST(struct cfg_billing, "plans", plans, nplans, F_REQUIRED, 0, sec_plan),
};
DEFINE_SECTION(sec_plans_file, plans_file_fields, struct cfg_billing, NULL, NULL);

/* Walks plans_file's plans (errors carry its name) and appends them to b. */
static void load_plans_file(struct walk *w, struct frame *fr, struct cfg_billing *b)
{
	struct cfg_billing extra = {0};
	struct cfg_plan *all;

	if (cfg_walk_file(w, fr, b->plans_file, &sec_plans_file, &extra) < 0)
		goto out;
	if (b->nplans + extra.nplans > CFG_PLANS_MAX)
		err_key(w, fr, "plans_file", "more than %d plans in all", CFG_PLANS_MAX);
	all = extra.nplans ? realloc(b->plans, (b->nplans + extra.nplans) * sizeof *all) : NULL;
	if (extra.nplans && !all) {
		oom(w, fr->loc);
	} else if (extra.nplans) {
		memcpy(all + b->nplans, extra.plans, extra.nplans * sizeof *all);
		b->plans = all;
		b->nplans += extra.nplans;
		free(extra.plans);
		extra.plans = NULL;
		extra.nplans = 0;
	}
out:
	free_section(&sec_plans_file, &extra);
}

static void init_billing(void *obj)
{
	struct cfg_billing *b = obj;

	b->enabled = true;
	b->persist_interval_s = BILLING_PERSIST_DEFAULT;
	b->recent_window_s = BILLING_RECENT_DEFAULT;
}

static void check_billing(struct walk *w, struct frame *fr)
{
	struct cfg_billing *b = fr->obj;

	if (!b->state_dir && !(b->state_dir = strdup(BILLING_STATE_DIR))) {
		oom(w, fr->loc);
		return;
	}
	if (b->nplans > CFG_PLANS_MAX)
		err_key(w, fr, "plans", "at most %d plans", CFG_PLANS_MAX);
	if (fr_ok(fr, "plans_file"))
		load_plans_file(w, fr, b);
}

static bool plan_has_fee(const struct cfg_fee *fees, size_t n, uint64_t bps)
{
	for (size_t i = 0; i < n; i++) /* a fee that did not parse: its error says so */
		if (!fees[i].bandwidth_text || fees[i].bandwidth_bps == bps)
			return true;
	return false;
}

/* A plan that failed its own checks keeps what did not parse as NULL (a
 * currency, a zone or an add-on name): its errors are reported already, so
 * the circuit's cross-checks skip those parts instead of reading them. */
static const struct cfg_egress_zone *plan_zone(const struct cfg_plan *p, const char *zone)
{
	for (size_t i = 0; zone && i < p->negress; i++)
		if (p->egress[i].zone && strcmp(p->egress[i].zone, zone) == 0)
			return &p->egress[i];
	return NULL;
}

static bool plan_zones_whole(const struct cfg_plan *p)
{
	for (size_t i = 0; i < p->negress; i++)
		if (!p->egress[i].zone)
			return false;
	return true;
}

/* One plan the circuit uses (key: billing_plan or alternatives): it has a
 * fee for the bandwidth (port and each add-on), the zone, the currency. */
static void check_plan_fits(struct walk *w, const struct frame *fr, const char *key,
			    struct cfg_circuit *c, const struct cfg_plan *p,
			    const struct cfg_plan *main)
{
	struct cfg_circuit_billing *cb = &c->billing;

	if (c->bandwidth_text && !plan_has_fee(p->port_fees, p->nport_fees, c->bandwidth_bps))
		err_key(w, fr, key, "plan \"%s\" has no port fee for %s", p->name,
			c->bandwidth_text);
	for (size_t i = 0; i < p->nadd_ons && c->bandwidth_text; i++)
		if (p->add_ons[i].name &&
		    !plan_has_fee(p->add_ons[i].fees, p->add_ons[i].nfees, c->bandwidth_bps))
			err_key(w, fr, key, "plan \"%s\": add-on \"%s\" has no fee for %s", p->name,
				p->add_ons[i].name, c->bandwidth_text);
	if (main && main->currency && p->currency && strcmp(main->currency, p->currency) != 0)
		err_key(w, fr, key, "plan \"%s\" is in %s but \"%s\" is in %s: compare plans "
			"of one currency", p->name, p->currency, main->name, main->currency);
	if (p->unlimited || p->negress == 0 || !plan_zones_whole(p))
		return; /* a metered plan without zones has its error already */
	if (!cb->zone && p->negress == 1 && !(cb->zone = strdup(p->egress[0].zone))) {
		oom(w, fr->loc); /* one zone: no need to name it */
		return;
	}
	if (!cb->zone)
		err_key(w, fr, key, "plan \"%s\" has %zu egress zones: give billing.zone",
			p->name, p->negress);
	else if (!plan_zone(p, cb->zone))
		err_key(w, fr, key, "plan \"%s\" has no egress zone \"%s\"", p->name, cb->zone);
}

/* The circuit's plan and alternatives exist and fit; the source can meter. */
static void check_circuit_plans(struct walk *w, struct frame *fr, const struct frame *cf,
				const struct cfg_billing *b)
{
	struct cfg_circuit *c = cf->obj;
	struct cfg_circuit_billing *cb = fr->obj;
	const struct cfg_plan *main = plan_find(b, c->billing_plan), *p;

	if (!c->billing_plan) {
		if (fr->map)
			err_here(w, fr->loc, "billing needs the circuit's billing_plan");
		return;
	}
	if (!main)
		err_key(w, cf, "billing_plan", "no billing plan \"%s\" (declare it in "
			"billing.plans or billing.plans_file)", c->billing_plan);
	else
		check_plan_fits(w, cf, "billing_plan", c, main, NULL);
	for (size_t i = 0; i < cb->nalternatives; i++) {
		if (!(p = plan_find(b, cb->alternatives[i])))
			err_key(w, fr, "alternatives", "no billing plan \"%s\"", cb->alternatives[i]);
		else if (p == main)
			err_key(w, fr, "alternatives", "\"%s\" is the circuit's own plan", p->name);
		else
			check_plan_fits(w, fr, "alternatives", c, p, main);
	}
	/* source: capture without capture.enabled is the daemon's check */
	if (!circuit_config_has_interface(c))
		err_here(w, fr->loc, "metering needs a link interface (interface counters or "
			 "capture on it)");
}

/* One circuit's billing against the plans (after the whole document). */
static void check_circuit_billing(struct walk *w, struct frame *fr, const struct frame *cf,
				  const struct cfg_billing *b)
{
	if (b->nplans == 0) {
		/* no plans: billing_plan is a label only, as before issue 6 */
		if (fr->map)
			err_here(w, fr->loc, "no billing plans are declared (billing.plans or "
				 "billing.plans_file)");
		return;
	}
	if ((fr_given(fr, "alternatives") && !fr_ok(fr, "alternatives")) ||
	    (fr_given(fr, "zone") && !fr_ok(fr, "zone")) || !fr_ok(cf, "bandwidth"))
		return;
	check_circuit_plans(w, fr, cf, b);
}

/* The finish hook: every circuit whose billing the walker took. */
static void finish_billing(struct walk *w, struct cfg_config *cfg, void *obj)
{
	struct cfg_circuits *cc = cfg_section_edit(cfg, &circuit_config_section);
	for (size_t i = 0; cc && i < cc->ncircuits && !walk_full(w); i++) {
		struct frame cf, fr;

		if (circuit_config_reframe(w, &cc->circuits[i], i, &cf, &fr) == 0)
			check_circuit_billing(w, &fr, &cf, obj);
	}
}

static const struct field billing_fields[] = {
	FIELD_BOOL(struct cfg_billing, "enabled", enabled, 0),
	FIELD_STRING(struct cfg_billing, "state_dir", state_dir, 0),
	FIELD_DURATION(struct cfg_billing, "persist_interval", persist_interval_s, 0, 1, 3600),
	FIELD_DURATION(struct cfg_billing, "recent_window", recent_window_s, 0, 60, 86400),
	FIELD_STRING(struct cfg_billing, "plans_file", plans_file, 0),
	FIELD_LIST(struct cfg_billing, "plans", plans, nplans, 0, 0, sec_plan),
};
DEFINE_TOP_SECTION(billing_config_section, billing_fields, struct cfg_billing, init_billing,
		   check_billing, finish_billing);

const struct cfg_billing *billing_config(const struct cfg_config *cfg)
{
	return cfg_section(cfg, &billing_config_section);
}

const struct cfg_plan *cfg_plan_find(const struct cfg_config *cfg, const char *name)
{
	return plan_find(billing_config(cfg), name);
}
