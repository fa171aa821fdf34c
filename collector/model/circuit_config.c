/* circuit_config.c — the circuits: list (see circuit_config.h): the table
 * of a circuit and of everything under it, the per-provider rules (SKUs,
 * peering types, default ASNs and prefix limits), the uniqueness of ids,
 * addresses, peering types, VLANs and probe names. The checks of a circuit's
 * billing against the plans are billing's (billing_config.c, a finish hook).
 */
#include "circuit_config.h"
#include "config_schema.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define ASN_MICROSOFT 12076u
#define ER_PREMIUM_PRIVATE_LIMIT 10000u /* ExpressRoute Premium: private peering */
#define PROBE_INTERVAL_DEFAULT 1000u /* ms */
#define PROBE_TIMEOUT_DEFAULT 2000u  /* ms, or the interval when shorter */
#define PROBE_ICMP_SIZE_DEFAULT 56u  /* ping(8)'s default payload */
#define PROBE_ICMP_SIZE_MIN 16u      /* room for our identifier and timestamp */
#define PROBE_STAMP_SIZE_MIN 44u     /* RFC 8762 §4.2.1: unauthenticated packet */
#define PROBE_SIZE_MAX 1472u         /* one 1500-byte IPv4 packet of UDP/ICMP payload */
#define PROBE_STAMP_PORT 862u        /* RFC 8762 §4.1 */
#define RATIO_MAX 100.0                 /* budget thresholds */

/* ---- names ---------------------------------------------------------- */

static const char *const provider_names[] = {
	[CFG_PROVIDER_EXPRESSROUTE] = "expressroute",
	[CFG_PROVIDER_DIRECTCONNECT] = "directconnect",
	[CFG_PROVIDER_INTERCONNECT] = "interconnect", NULL,
};
static const char *const data_plan_names[] = {
	[CFG_PLAN_METERED] = "metered", [CFG_PLAN_UNLIMITED] = "unlimited", NULL,
};
static const char *const peering_type_names[] = {
	[CFG_PEERING_PRIVATE] = "private", [CFG_PEERING_MICROSOFT] = "microsoft",
	[CFG_PEERING_PUBLIC] = "public",   [CFG_PEERING_TRANSIT] = "transit", NULL,
};
static const char *const link_role_names[] = {
	[CFG_LINK_PRIMARY] = "primary", [CFG_LINK_SECONDARY] = "secondary", NULL,
};
static const char *const probe_type_names[] = {
	[CFG_PROBE_ICMP] = "icmp", [CFG_PROBE_TCP] = "tcp", [CFG_PROBE_STAMP] = "stamp", NULL,
};
static const char *const bill_source_names[] = {
	[CFG_BILL_SOURCE_INTERFACES] = "interfaces", [CFG_BILL_SOURCE_CAPTURE] = "capture", NULL,
};

/* Enums are stored through a 32-bit write (store_uint). */
_Static_assert(sizeof(enum cfg_provider) == sizeof(uint32_t), "enum width");
_Static_assert(sizeof(enum cfg_probe_type) == sizeof(uint32_t), "enum width");
_Static_assert(sizeof(enum cfg_bill_source) == sizeof(uint32_t), "enum width");

const char *cfg_provider_name(enum cfg_provider p)
{
	return enum_name(provider_names, ARRAY_LEN(provider_names) - 1, p);
}

const char *cfg_data_plan_name(enum cfg_data_plan p)
{
	return enum_name(data_plan_names, ARRAY_LEN(data_plan_names) - 1, p);
}

const char *cfg_peering_type_name(enum cfg_peering_type t)
{
	return enum_name(peering_type_names, ARRAY_LEN(peering_type_names) - 1, t);
}

const char *cfg_link_role_name(enum cfg_link_role r)
{
	return enum_name(link_role_names, ARRAY_LEN(link_role_names) - 1, r);
}

const char *cfg_probe_type_name(enum cfg_probe_type t)
{
	return enum_name(probe_type_names, ARRAY_LEN(probe_type_names) - 1, t);
}

const char *cfg_bill_source_name(enum cfg_bill_source s)
{
	return enum_name(bill_source_names, ARRAY_LEN(bill_source_names) - 1, s);
}

/* Per-provider rules: which SKUs and peerings exist, what is defaulted. */
struct provider_rules {
	const char *const *tiers;  /* allowed sku.tier values, NULL-terminated */
	const char *default_tier;
	bool metered_only;         /* no unlimited data plan */
	uint32_t default_asn;      /* the provider routers' ASN; 0: must be given */
	unsigned peering_types;    /* 1u << enum cfg_peering_type, allowed ones */
	uint32_t prefix_limit[4];  /* default per peering type; 0 = unknown */
};

static const char *const er_tiers[] = {"local", "standard", "premium", NULL};
static const char *const dc_tiers[] = {"dedicated", "hosted", NULL};
static const char *const ic_tiers[] = {"dedicated", "partner", NULL};

static const struct provider_rules rules[] = {
	[CFG_PROVIDER_EXPRESSROUTE] = {
		er_tiers, "standard", false, ASN_MICROSOFT,
		1u << CFG_PEERING_PRIVATE | 1u << CFG_PEERING_MICROSOFT,
		{[CFG_PEERING_PRIVATE] = 4000, [CFG_PEERING_MICROSOFT] = 200},
	},
	[CFG_PROVIDER_DIRECTCONNECT] = {
		dc_tiers, "dedicated", true, 0,
		1u << CFG_PEERING_PRIVATE | 1u << CFG_PEERING_PUBLIC |
			1u << CFG_PEERING_TRANSIT,
		{[CFG_PEERING_PRIVATE] = 100, [CFG_PEERING_PUBLIC] = 1000,
		 [CFG_PEERING_TRANSIT] = 100},
	},
	[CFG_PROVIDER_INTERCONNECT] = {
		ic_tiers, "dedicated", true, 0, 1u << CFG_PEERING_PRIVATE, {0},
	},
};

/* ---- the node tree -------------------------------------------------- */

/* ---- cross-field rules ---------------------------------------------- */

static const struct section sec_circuit, sec_link;

static void check_address(struct walk *w, struct frame *fr, struct cfg_neighbor *nb)
{
	unsigned char a[16] = {0}, key[17];
	char text[INET6_ADDRSTRLEN], desc[96], q[QUOTE_LEN], *canon;
	int family = AF_INET;

	if (inet_pton(AF_INET, nb->address, a) != 1) {
		family = AF_INET6;
		if (inet_pton(AF_INET6, nb->address, a) != 1) {
			err_key(w, fr, "address", "expected an IPv4 or IPv6 address, got %s",
				quote(nb->address, strlen(nb->address), q, sizeof q));
			return;
		}
	}
	if (!inet_ntop(family, a, text, sizeof text) || !(canon = strdup(text))) {
		oom(w, fr->loc);
		return;
	}
	free(nb->address);
	nb->address = canon;
	nb->family = family;
	memcpy(nb->addr, a, sizeof a);
	key[0] = (unsigned char)family;
	memcpy(key + 1, a, sizeof a);
	snprintf(desc, sizeof desc, "neighbor address %s", text);
	uniq_add(w, fr, "address", 0, "neighbor", key, sizeof key, desc);
}

static void check_neighbor(struct walk *w, struct frame *fr)
{
	struct cfg_neighbor *nb = fr->obj;
	const struct frame *cf = fr_up(fr, &sec_circuit);
	char in[PATH_LEN + 8];

	if (fr_ok(fr, "address"))
		check_address(w, fr, nb);
	if (fr_given(fr, "asn") || !cf || !fr_ok(cf, "provider"))
		return;
	nb->asn = rules[((const struct cfg_circuit *)cf->obj)->provider].default_asn;
	if (!nb->asn)
		err_at(w, fr->loc,
		       "missing required key \"asn\" %s (only expressroute neighbors default to %u)",
		       where(w, in, sizeof in), ASN_MICROSOFT);
}

static uint32_t default_prefix_limit(const struct cfg_circuit *c, enum cfg_peering_type t)
{
	if (c->provider == CFG_PROVIDER_EXPRESSROUTE && t == CFG_PEERING_PRIVATE &&
	    c->tier && strcmp(c->tier, "premium") == 0)
		return ER_PREMIUM_PRIVATE_LIMIT;
	return rules[c->provider].prefix_limit[t];
}

static void check_peering_type(struct walk *w, struct frame *fr, const struct frame *lf,
			       const struct frame *cf)
{
	struct cfg_peering *p = fr->obj;
	const struct cfg_circuit *c = cf->obj;
	const char *name = peering_type_names[p->type];
	char desc[64], allowed[64];
	unsigned char t = (unsigned char)p->type;

	if (fr_ok(cf, "provider")) {
		const struct provider_rules *r = &rules[c->provider];

		if (!(r->peering_types & (1u << p->type))) {
			allowed[0] = '\0';
			for (unsigned i = 0; peering_type_names[i]; i++)
				if (r->peering_types & (1u << i))
					snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed),
						 "%s%s", allowed[0] ? ", " : "", peering_type_names[i]);
			err_key(w, fr, "type", "\"%s\" peering is not available on %s (allowed: %s)",
				name, provider_names[c->provider], allowed);
		}
		if (!fr_given(fr, "prefix_limit"))
			p->prefix_limit = default_prefix_limit(c, p->type);
	}
	snprintf(desc, sizeof desc, "peering type \"%s\" on this link", name);
	uniq_add(w, fr, "type", lf->plen, "peering type", &t, 1, desc);
}

static void check_peering(struct walk *w, struct frame *fr)
{
	const struct cfg_peering *p = fr->obj;
	const struct frame *lf = fr_up(fr, &sec_link), *cf = fr_up(fr, &sec_circuit);
	char desc[64];

	if (!lf || !cf)
		return;
	if (fr_ok(fr, "type"))
		check_peering_type(w, fr, lf, cf);
	if (fr_given(fr, "vlan") && !fr_given(lf, "interface"))
		err_key(w, fr, "vlan", "a VLAN tag needs the link's interface");
	if (fr_ok(fr, "vlan")) {
		unsigned char v[2] = {(unsigned char)(p->vlan >> 8), (unsigned char)p->vlan};

		snprintf(desc, sizeof desc, "VLAN %u on this link", (unsigned)p->vlan);
		uniq_add(w, fr, "vlan", lf->plen, "vlan", v, sizeof v, desc);
	}
	if (fr_ok(lf, "s_tag") && !fr_given(fr, "vlan"))
		err_here(w, fr->loc, "a peering on a link with s_tag needs a vlan (its C-tag)");
}

/* A router given as an address is kept in inet_ntop form, the form the BMP
 * side has for a session's source; anything else is taken as a sysName. */
static void canon_router(struct walk *w, struct frame *fr, struct cfg_link *l)
{
	unsigned char a[16];
	char text[INET6_ADDRSTRLEN], *canon;
	int family = AF_INET;

	if (inet_pton(AF_INET, l->router, a) != 1) {
		family = AF_INET6;
		if (inet_pton(AF_INET6, l->router, a) != 1)
			return;
	}
	if (!inet_ntop(family, a, text, sizeof text) || !(canon = strdup(text))) {
		oom(w, fr->loc);
		return;
	}
	free(l->router);
	l->router = canon;
}

static void check_link(struct walk *w, struct frame *fr)
{
	struct cfg_link *l = fr->obj;

	l->present = true;
	if (fr_given(fr, "s_tag") && !fr_given(fr, "interface"))
		err_key(w, fr, "s_tag", "an S-tag needs the link's interface");
	if (fr_ok(fr, "router"))
		canon_router(w, fr, l);
}

/* sku is walked even when absent: it sets the provider's defaults. */
static void check_sku(struct walk *w, struct frame *fr)
{
	struct cfg_circuit *c = fr->obj;
	const struct provider_rules *r;
	char names[64], q[QUOTE_LEN];
	bool local;

	if (!fr->parent || !fr_ok(fr->parent, "provider"))
		return;
	r = &rules[c->provider];
	if (!fr_given(fr, "tier")) {
		c->tier = strdup(r->default_tier);
		if (!c->tier)
			oom(w, fr->loc);
	} else if (fr_ok(fr, "tier") && name_index(r->tiers, c->tier, strlen(c->tier)) < 0) {
		join_names(r->tiers, names, sizeof names);
		err_key(w, fr, "tier", "expected one of %s for %s, got %s", names,
			provider_names[c->provider], quote(c->tier, strlen(c->tier), q, sizeof q));
	}
	local = c->provider == CFG_PROVIDER_EXPRESSROUTE && c->tier && strcmp(c->tier, "local") == 0;
	if (!fr_given(fr, "data_plan"))
		c->data_plan = local ? CFG_PLAN_UNLIMITED : CFG_PLAN_METERED;
	else if (!fr_ok(fr, "data_plan"))
		return;
	else if (local && c->data_plan == CFG_PLAN_METERED)
		err_key(w, fr, "data_plan",
			"\"metered\" is not available with tier local (Local includes egress; use unlimited)");
	else if (r->metered_only && c->data_plan == CFG_PLAN_UNLIMITED)
		err_key(w, fr, "data_plan", "\"unlimited\" is not available on %s (only metered)",
			provider_names[c->provider]);
}

static void check_circuit(struct walk *w, struct frame *fr)
{
	const struct cfg_circuit *c = fr->obj;
	char desc[CFG_ID_MAX + 32];

	if (fr_ok(fr, "id")) {
		snprintf(desc, sizeof desc, "circuit id \"%s\"", c->id);
		uniq_add(w, fr, "id", 0, "circuit id", c->id, strlen(c->id), desc);
	}
}

/* ---- probes (issue 5) ------------------------------------------------ */

static bool valid_probe_name(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!valid_id(s + i, 1) && s[i] != ':')
			return false;
	return true;
}

/* Replaces the address text at *text by its canonical form and fills
 * family/addr; false (after an error at key) when it is no address. */
static bool canon_address(struct walk *w, struct frame *fr, const char *key, char **text,
			  int *family, uint8_t addr[16])
{
	uint8_t a[16] = {0};
	char buf[INET6_ADDRSTRLEN], q[QUOTE_LEN], *canon;
	int fam = AF_INET;

	if (inet_pton(AF_INET, *text, a) != 1) {
		fam = AF_INET6;
		if (inet_pton(AF_INET6, *text, a) != 1) {
			err_key(w, fr, key, "expected an IPv4 or IPv6 address, got %s",
				quote(*text, strlen(*text), q, sizeof q));
			return false;
		}
	}
	if (!inet_ntop(fam, a, buf, sizeof buf) || !(canon = strdup(buf))) {
		oom(w, fr->loc);
		return false;
	}
	free(*text);
	*text = canon;
	*family = fam;
	memcpy(addr, a, sizeof a);
	return true;
}

static void init_probe(void *obj)
{
	struct cfg_probe *p = obj;

	p->interval_ms = PROBE_INTERVAL_DEFAULT;
}

/* Port, size and timeout by type; the default name; one name per circuit. */
static void probe_defaults(struct walk *w, struct frame *fr, struct cfg_probe *p)
{
	bool stamp = p->type == CFG_PROBE_STAMP, icmp = p->type == CFG_PROBE_ICMP;

	if (icmp && fr_given(fr, "port"))
		err_key(w, fr, "port", "an icmp probe has no port");
	else if (p->type == CFG_PROBE_TCP && !fr_given(fr, "port"))
		err_here(w, fr->loc, "missing required key \"port\" (a tcp probe connects to a port)");
	else if (stamp && !fr_given(fr, "port"))
		p->port = PROBE_STAMP_PORT;
	if (p->type == CFG_PROBE_TCP && fr_given(fr, "size"))
		err_key(w, fr, "size", "a tcp probe has no size (it sends no payload)");
	else if (!fr_given(fr, "size"))
		p->size = icmp ? PROBE_ICMP_SIZE_DEFAULT : stamp ? PROBE_STAMP_SIZE_MIN : 0;
	else if (fr_ok(fr, "size") && icmp && p->size < PROBE_ICMP_SIZE_MIN)
		err_key(w, fr, "size", "an icmp probe needs at least %u bytes of payload",
			PROBE_ICMP_SIZE_MIN);
	else if (fr_ok(fr, "size") && stamp && p->size < PROBE_STAMP_SIZE_MIN)
		err_key(w, fr, "size", "a stamp packet is at least %u bytes (RFC 8762 §4.2.1)",
			PROBE_STAMP_SIZE_MIN);
	if (!fr_given(fr, "timeout") && (!fr_given(fr, "interval") || fr_ok(fr, "interval")))
		p->timeout_ms = p->interval_ms < PROBE_TIMEOUT_DEFAULT ? p->interval_ms
								       : PROBE_TIMEOUT_DEFAULT;
}

static void probe_name(struct walk *w, struct frame *fr, struct cfg_probe *p)
{
	const struct frame *lf = fr_up(fr, &sec_link);
	char name[CFG_PROBE_NAME_MAX + 1], desc[CFG_PROBE_NAME_MAX + 32];

	if (!fr_given(fr, "name")) {
		if (p->port)
			snprintf(name, sizeof name, "%s-%s-%u", probe_type_names[p->type], p->target,
				 p->port);
		else
			snprintf(name, sizeof name, "%s-%s", probe_type_names[p->type], p->target);
		if (!(p->name = strdup(name))) {
			oom(w, fr->loc);
			return;
		}
	}
	if (!p->name || !lf)
		return;
	snprintf(desc, sizeof desc, "probe name \"%s\" on this link", p->name);
	uniq_add(w, fr, fr_given(fr, "name") ? "name" : "target", lf->plen, "probe", p->name,
		 strlen(p->name), desc);
}

static void check_probe(struct walk *w, struct frame *fr)
{
	struct cfg_probe *p = fr->obj;
	bool target = fr_ok(fr, "target") &&
		      canon_address(w, fr, "target", &p->target, &p->family, p->addr);

	if (fr_ok(fr, "source") &&
	    canon_address(w, fr, "source", &p->source, &p->source_family, p->source_addr) &&
	    target && p->source_family != p->family)
		err_key(w, fr, "source", "the source address is IPv%d but the target is IPv%d",
			p->source_family == AF_INET ? 4 : 6, p->family == AF_INET ? 4 : 6);
	if (!fr_ok(fr, "type"))
		return;
	probe_defaults(w, fr, p);
	if (target && (!fr_given(fr, "name") || fr_ok(fr, "name")))
		probe_name(w, fr, p);
}

/* ---- billing settings (issue 6) -------------------------------------- */

/* An IANA zone name as a relative path under the zoneinfo directory:
 * letters, digits, '/', '_', '-', '+', '.'; no empty, "." or ".." part. */
static bool valid_tz_name(const char *s, size_t len)
{
	size_t part = 0;

	if (len == 0 || len > 255)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? s[i] : '/';

		if (c == '/') {
			if (part == 0 || (part == 1 && s[i - 1] == '.') ||
			    (part == 2 && s[i - 1] == '.' && s[i - 2] == '.'))
				return false;
			part = 0;
			continue;
		}
		if (!valid_id(&c, 1) && c != '+')
			return false;
		part++;
	}
	return true;
}

/* HH:MM, 00:00..23:59, stored as minutes. */
static int p_clock(struct walk *w, struct frame *fr, const struct field *f, struct node *n,
		   void *obj)
{
	const char *expect = "a time of day HH:MM such as 00:00 or 17:30";
	unsigned h, m;

	(void)fr;
	if (!want_scalar(w, n, expect))
		return -1;
	if (n->len != 5 || n->s[2] != ':' || count_digits(n->s, 2) != 2 ||
	    count_digits(n->s + 3, 2) != 2 ||
	    (h = (unsigned)(n->s[0] - '0') * 10 + (unsigned)(n->s[1] - '0')) > 23 ||
	    (m = (unsigned)(n->s[3] - '0') * 10 + (unsigned)(n->s[4] - '0')) > 59) {
		bad_value(w, n, expect);
		return -1;
	}
	store_uint(at(obj, f->off), f->width, h * 60 + m);
	return 0;
}

/* A list of budget ratios into a fixed array: off: double[], off2: size_t. */
static int p_ratios(struct walk *w, struct frame *fr, const struct field *f, struct node *n,
		    void *obj)
{
	const char *expect = "a ratio of the budget more than 0 and at most 100, such as 0.8";
	double *arr = at(obj, f->off);
	size_t count;
	int rc = 0;

	(void)fr;
	if (list_count(w, f, n, "ratios", &count) < 0)
		return -1;
	for (size_t i = 0; i < count && !walk_full(w); i++) {
		size_t mark = path_push(w, "[%zu]", i);
		const struct node *it = n->v[i];

		if (!want_scalar(w, it, expect)) {
			rc = -1;
		} else if (!parse_decimal(it->s, it->len, &arr[i]) || arr[i] <= 0 ||
			   arr[i] > RATIO_MAX) {
			bad_value(w, it, expect);
			rc = -1;
		} else if (i > 0 && arr[i] <= arr[i - 1]) {
			err_here(w, it->loc, "thresholds must be strictly increasing");
			rc = -1;
		}
		path_pop(w, mark);
	}
	*(size_t *)at(obj, f->off2) = rc == 0 ? count : 0;
	return rc;
}

static const struct ftype t_clock = {p_clock, NULL};
static const struct ftype t_ratios = {p_ratios, NULL};

static void init_circuit_billing(void *obj)
{
	struct cfg_circuit_billing *cb = obj;

	cb->cycle_day = 1;
	cb->nthresholds = 3;
	cb->thresholds[0] = 0.5;
	cb->thresholds[1] = 0.8;
	cb->thresholds[2] = 1.0;
}

/* Defaults; whether the plans fit is billing's (a finish hook). */
static void check_circuit_billing(struct walk *w, struct frame *fr)
{
	struct cfg_circuit_billing *cb = fr->obj;

	if (!cb->timezone && !(cb->timezone = strdup("UTC"))) {
		oom(w, fr->loc);
		return;
	}
	if (!fr_given(fr, "source"))
		cb->source = CFG_BILL_SOURCE_INTERFACES;
	if (fr_given(fr, "budget"))
		cb->has_budget = true;
}

static const struct field circuit_billing_fields[] = {
	FIELD_NAMES(struct cfg_circuit_billing, "alternatives", alternatives, nalternatives, 0,
		    0, CFG_ALTERNATIVES_MAX, valid_id, "a plan name"),
	FIELD_TEXT(struct cfg_circuit_billing, "zone", zone, 0, 1, CFG_PLAN_NAME_MAX, valid_id,
		   "a zone name of 1..64 characters from A-Z a-z 0-9 . _ -"),
	FIELD_UINT(struct cfg_circuit_billing, "cycle_day", cycle_day, 0, 1, 28),
	FIELD_INT(t_clock, struct cfg_circuit_billing, "cycle_time", cycle_minute, 0, 0, 1439),
	FIELD_TEXT(struct cfg_circuit_billing, "timezone", timezone, 0, 1, 255, valid_tz_name,
		   "an IANA time zone name such as UTC or Europe/Berlin"),
	FIELD_ENUM(struct cfg_circuit_billing, "source", source, 0, bill_source_names),
	FIELD_AMOUNT(struct cfg_circuit_billing, "budget", budget, 0),
	{.key = "thresholds", .type = &t_ratios, .off = offsetof(struct cfg_circuit_billing, thresholds),
	 .off2 = offsetof(struct cfg_circuit_billing, nthresholds), .min = 1,
	 .max = CFG_THRESHOLDS_MAX},
};
DEFINE_SECTION(sec_circuit_billing, circuit_billing_fields, struct cfg_circuit_billing,
	       init_circuit_billing, check_circuit_billing);

/* ---- the tables ----------------------------------------------------- */

static const struct field neighbor_fields[] = {
	FIELD_STRING(struct cfg_neighbor, "address", address, F_REQUIRED),
	FIELD_ASN(struct cfg_neighbor, "asn", asn, 0),
};
DEFINE_SECTION(sec_neighbor, neighbor_fields, struct cfg_neighbor, NULL, check_neighbor);

static const struct field peering_fields[] = {
	FIELD_ENUM(struct cfg_peering, "type", type, F_REQUIRED, peering_type_names),
	FIELD_UINT(struct cfg_peering, "vlan", vlan, 0, 1, 4094),
	FIELD_ASN(struct cfg_peering, "local_asn", local_asn, 0),
	FIELD_UINT(struct cfg_peering, "prefix_limit", prefix_limit, 0, 0, 10000000),
	FIELD_LIST(struct cfg_peering, "neighbors", neighbors, nneighbors, F_REQUIRED, 1,
		   sec_neighbor),
	FIELD_PREFIXES(struct cfg_peering, "watch", watch, nwatch, 0, 0, CFG_WATCH_MAX),
};
DEFINE_SECTION(sec_peering, peering_fields, struct cfg_peering, NULL, check_peering);

static const struct field probe_fields[] = {
	FIELD_TEXT(struct cfg_probe, "name", name, 0, 1, CFG_PROBE_NAME_MAX, valid_probe_name,
		   "a name of letters, digits, '.', '_', '-' and ':'"),
	FIELD_ENUM(struct cfg_probe, "type", type, F_REQUIRED, probe_type_names),
	FIELD_STRING(struct cfg_probe, "target", target, F_REQUIRED),
	FIELD_UINT(struct cfg_probe, "port", port, 0, 1, 65535),
	FIELD_STRING(struct cfg_probe, "source", source, 0),
	FIELD_TEXT(struct cfg_probe, "interface", interface, 0, 1, IFNAME_MAX, valid_ifname,
		   "an interface name without '/', ':' or whitespace"),
	FIELD_DURATION_MS(struct cfg_probe, "interval", interval_ms, 0, 100, 3600000),
	FIELD_DURATION_MS(struct cfg_probe, "timeout", timeout_ms, 0, 10, 60000),
	FIELD_UINT(struct cfg_probe, "size", size, 0, 1, PROBE_SIZE_MAX),
	FIELD_UINT(struct cfg_probe, "dscp", dscp, 0, 0, 63),
};
DEFINE_SECTION(sec_probe, probe_fields, struct cfg_probe, init_probe, check_probe);

static const struct field link_fields[] = {
	FIELD_TEXT(struct cfg_link, "interface", interface, 0, 1, 15, valid_ifname,
		   "an interface name of 1..15 characters without '/', ':' or whitespace"),
	FIELD_UINT(struct cfg_link, "s_tag", s_tag, 0, 1, 4094),
	FIELD_TEXT(struct cfg_link, "router", router, 0, 1, CFG_ROUTER_MAX, NULL,
		   "a router address or BMP sysName of 1..255 characters"),
	FIELD_LIST(struct cfg_link, "peerings", peerings, npeerings, F_REQUIRED, 1, sec_peering),
	FIELD_LIST(struct cfg_link, "probes", probes, nprobes, 0, 0, sec_probe),
};
DEFINE_SECTION(sec_link, link_fields, struct cfg_link, NULL, check_link);

static const struct field links_fields[] = {
	FIELD_SECTION(struct cfg_circuit, "primary", links[CFG_LINK_PRIMARY], F_REQUIRED, sec_link),
	FIELD_SECTION(struct cfg_circuit, "secondary", links[CFG_LINK_SECONDARY], 0, sec_link),
};
DEFINE_SECTION(sec_links, links_fields, struct cfg_circuit, NULL, NULL);

static const struct field sku_fields[] = {
	FIELD_STRING(struct cfg_circuit, "tier", tier, 0),
	FIELD_ENUM(struct cfg_circuit, "data_plan", data_plan, 0, data_plan_names),
};
DEFINE_SECTION(sec_sku, sku_fields, struct cfg_circuit, NULL, check_sku);

static const struct field circuit_fields[] = {
	FIELD_TEXT(struct cfg_circuit, "id", id, F_REQUIRED, 1, CFG_ID_MAX, valid_id,
		   "an id of 1..64 characters from A-Z a-z 0-9 . _ -"),
	FIELD_ENUM(struct cfg_circuit, "provider", provider, F_REQUIRED, provider_names),
	FIELD_STRING(struct cfg_circuit, "location", location, 0),
	FIELD_INLINE("sku", F_DEFAULT_EMPTY, sec_sku),
	FIELD_PAIR(t_bandwidth, struct cfg_circuit, "bandwidth", bandwidth_bps, bandwidth_text,
		   F_REQUIRED, 0),
	FIELD_STRING(struct cfg_circuit, "billing_plan", billing_plan, 0),
	FIELD_INLINE("links", F_REQUIRED, sec_links),
	/* after links: the metering source defaults from the links' interfaces */
	FIELD_SECTION(struct cfg_circuit, "billing", billing, F_DEFAULT_EMPTY,
		      sec_circuit_billing),
};
DEFINE_SECTION(sec_circuit, circuit_fields, struct cfg_circuit, NULL, check_circuit);

static const struct field circuits_fields[] = {
	FIELD_LIST(struct cfg_circuits, CIRCUIT_CONFIG_KEY, circuits, ncircuits, 0, 0, sec_circuit),
};
DEFINE_TOP_SECTION(circuit_config_section, circuits_fields, struct cfg_circuits, NULL, NULL,
		   NULL);

const struct cfg_circuits *circuit_config(const struct cfg_config *cfg)
{
	static const struct cfg_circuits none;
	const struct cfg_circuits *c = cfg_section(cfg, &circuit_config_section);

	return c ? c : &none;
}

bool circuit_config_has_interface(const struct cfg_circuit *c)
{
	for (int l = 0; l < CFG_LINK_COUNT; l++)
		if (c->links[l].present && c->links[l].interface)
			return true;
	return false;
}

int circuit_config_reframe(struct walk *w, struct cfg_circuit *c, size_t i, struct frame *cf,
			   struct frame *bf)
{
	char path[64];
	int rc;

	snprintf(path, sizeof path, CIRCUIT_CONFIG_KEY "[%zu]", i);
	rc = cfg_reframe(w, path, &sec_circuit, c, NULL, cf);
	snprintf(path, sizeof path, CIRCUIT_CONFIG_KEY "[%zu].billing", i);
	return cfg_reframe(w, path, &sec_circuit_billing, &c->billing, cf, bf) < 0 ? -1 : rc;
}
