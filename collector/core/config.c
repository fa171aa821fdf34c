/* config.c — the YAML configuration: read, parse, validate with locations.
 *
 * Three small stages:
 *  1. libyaml's event API builds a private node tree (struct node). Anchors
 *     and aliases are refused where they appear, so nothing is ever expanded
 *     (no billion laughs); nesting is capped at MAX_DEPTH; keys must be
 *     scalars; one document per file.
 *  2. A table-driven walker maps the tree onto the public structs of
 *     config.h. A section is a table of fields {key, type, flags, offsets,
 *     limits}; a type is a parse and a free function. Fields are visited in
 *     table order, not document order, so a section's check() — run after its
 *     keys, for the rules that span fields — can rely on earlier fields
 *     (provider and sku before links) and read its ancestors through the
 *     frame chain.
 *  3. Uniqueness (circuit ids, neighbour addresses, peering types and VLANs
 *     per link) is collected while walking and reported at the end after a
 *     sort, so a large file stays O(n log n).
 * Errors are collected (up to CFG_MAX_ERRORS), sorted by position, then
 * appended to the caller's list. On any error the half-built config is freed
 * through the same tables (cfg_free): there is one free path.
 *
 * Adding a section (capture, ...): a struct in config.h, a field table
 * and a DEFINE_SECTION here, and one FIELD_SECTION or FIELD_LIST line in the
 * parent's table. Nothing else changes. A new kind of value is one ftype
 * (parse, free) and a FIELD_ macro; t_prefixes (lists of IP prefixes, for
 * bmp.allow and peering watch lists) is the model for a list of scalars,
 * and t_macs / t_names (capture.local_macs, capture.interfaces) share its
 * per-item paths and sorted duplicate check through struct item_at.
 */
#include "config.h"
#include "fileio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <yaml.h>

#define MAX_DEPTH 64            /* YAML nesting; the schema needs 8 */
#define PATH_LEN 256            /* schema paths are short: keys come from tables */
#define SHOW_MAX 64             /* bytes of a bad value quoted in a message */
#define QUOTE_LEN (SHOW_MAX * 4 + 8)
#define MSG_LEN 1024
#define STRING_MAX 4096         /* longest free-form string value */
#define BANDWIDTH_MAX_BPS 400000000000ull /* 400 Gbps */
#define ASN_TRANS 23456u        /* RFC 6793 §9: AS_TRANS is a placeholder, never a peer */
#define ASN_MICROSOFT 12076u
#define ER_PREMIUM_PRIVATE_LIMIT 10000u /* ExpressRoute Premium: private peering */
#define BMP_PORT 1790           /* pmacct's BMP port: routers pointed at it need no change */
#define BMP_MESSAGE_DEFAULT (16u * 1024u * 1024u)
/* RFC 7854 §4.1: a BMP message length is 32 bits, and RFC 8654 lets the BGP
 * message inside one reach 65,535 bytes on its own. */
#define BMP_MESSAGE_MIN 65536u
#define BMP_MESSAGE_MAX (1024u * 1024u * 1024u)
#define BMP_ROUTERS_DEFAULT 256u
#define BMP_BUDGET_DEFAULT (64ull * 1024u * 1024u) /* or 4 x max_message_size when larger */
#define BMP_BUDGET_MAX (1ull << 40)
#define BMP_PEERS_DEFAULT 2048u   /* a route server's peers, both families */
#define BMP_RETENTION_DEFAULT 300u /* s: a router reboot or collector flap */
#define PROM_SERIES_DEFAULT 200000u
#define PREFIX_TEXT (INET6_ADDRSTRLEN + 4) /* "ADDRESS/LEN" */
#define MAC_TEXT 18             /* "02:00:00:00:00:01" */
#define IFNAME_MAX 15           /* IFNAMSIZ - 1 */
#define CAPTURE_IFACES_MAX 64   /* capture.interfaces: one pcap handle each */
#define CAPTURE_MACS_MAX 1024   /* capture.local_macs */
#define CAPTURE_PREFIXES_MAX 65535 /* capture.local_prefixes */
#define CAPTURE_SNAPLEN_DEFAULT 65535u
#define CAPTURE_SNAPLEN_MIN 64u     /* Ethernet + QinQ + IPv6 + TCP headers fit */
#define CAPTURE_SNAPLEN_MAX 262144u /* libpcap's MAXIMUM_SNAPLEN */
#define CAPTURE_BUFFER_DEFAULT (16u * 1024u * 1024u)
#define CAPTURE_BUFFER_MIN (1024u * 1024u)
#define CAPTURE_BUFFER_MAX (1024u * 1024u * 1024u)
#define CAPTURE_BGP_PORT 179u      /* RFC 4271 §8.2.1 */
#define CAPTURE_FLOWS_DEFAULT 65536u
#define CAPTURE_FLOWS_MIN 16u
#define CAPTURE_FLOWS_MAX 1048576u
#define CAPTURE_REASM_DEFAULT (256u * 1024u * 1024u)
#define CAPTURE_REASM_MIN (1024u * 1024u)
#define CAPTURE_REASM_MAX UINT32_MAX

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(i) ((uint64_t)1 << (i))

/* ---- names ---------------------------------------------------------- */

static const char *const log_level_names[] = {
	[CFG_LOG_DEBUG] = "debug", [CFG_LOG_INFO] = "info",
	[CFG_LOG_WARN] = "warn",   [CFG_LOG_ERROR] = "error", NULL,
};
static const char *const log_format_names[] = {
	[CFG_LOG_LOGFMT] = "logfmt", [CFG_LOG_JSON] = "json", NULL,
};
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
static const char *const bmp_publish_names[] = {
	[CFG_BMP_PUBLISH_ALL] = "all", [CFG_BMP_PUBLISH_CONFIGURED] = "configured", NULL,
};
static const char *const icmp_socket_names[] = {
	[CFG_ICMP_AUTO] = "auto", [CFG_ICMP_DATAGRAM] = "datagram", [CFG_ICMP_RAW] = "raw", NULL,
};

/* Enums are stored through a 32-bit write (store_uint). */
_Static_assert(sizeof(enum cfg_provider) == sizeof(uint32_t), "enum width");
_Static_assert(sizeof(enum cfg_log_level) == sizeof(uint32_t), "enum width");
_Static_assert(sizeof(enum cfg_probe_type) == sizeof(uint32_t), "enum width");
_Static_assert(sizeof(enum cfg_icmp_socket) == sizeof(uint32_t), "enum width");
_Static_assert(sizeof(enum cfg_bmp_publish) == sizeof(uint32_t), "enum width");

static const char *enum_name(const char *const *names, size_t n, unsigned v)
{
	return v < n && names[v] ? names[v] : "unknown";
}

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

const char *cfg_log_level_name(enum cfg_log_level l)
{
	return enum_name(log_level_names, ARRAY_LEN(log_level_names) - 1, l);
}

const char *cfg_probe_type_name(enum cfg_probe_type t)
{
	return enum_name(probe_type_names, ARRAY_LEN(probe_type_names) - 1, t);
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

enum node_kind { N_SCALAR, N_MAP, N_SEQ, N_BAD /* alias: already reported */ };

struct loc {
	unsigned line, column; /* 1-based; line 0 = the file as a whole */
	unsigned file;         /* 0: the config file; 1: billing.plans_file */
};

struct node {
	enum node_kind kind;
	bool plain;          /* plain scalar style (not quoted, not a block) */
	bool dup;            /* a key already present earlier in its mapping */
	struct loc loc;
	char *s;             /* scalar bytes, NUL-terminated (may hold NULs) */
	size_t len;
	struct node **v;     /* SEQ: items; MAP: key, value, key, value, ... */
	size_t n, cap;
};

static void node_free(struct node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		node_free(n->v[i]); /* depth is capped at MAX_DEPTH */
	free(n->v);
	free(n->s);
	free(n);
}

/* YAML 1.1 null, which only a plain scalar can be. */
static bool is_null(const struct node *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

	if (n->kind != N_SCALAR || !n->plain)
		return false;
	for (size_t i = 0; i < ARRAY_LEN(nulls); i++)
		if (n->len == strlen(nulls[i]) && memcmp(n->s, nulls[i], n->len) == 0)
			return true;
	return false;
}

static bool scalar_is(const struct node *n, const char *s, size_t len)
{
	return n->kind == N_SCALAR && n->len == len && memcmp(n->s, s, len) == 0;
}

/* ---- errors --------------------------------------------------------- */

struct werr {
	struct loc loc;
	size_t seq;          /* keeps the sort stable */
	char *message;
};

struct uniq {                /* one value that must be unique in its scope */
	unsigned char *key;  /* kind NUL scope NUL value */
	size_t klen;
	char *desc;          /* e.g. circuit id "er-ams-1" */
	char *path;          /* where this occurrence is */
	struct loc loc;
	size_t seq;
};

struct walk;
static void record(struct walk *w, struct loc loc, const char *msg);

struct walk {
	const char *file;
	struct werr *errs;   /* recorded, at most CFG_MAX_ERRORS - 1 */
	size_t nerrs;
	size_t count;        /* errors found, recorded or not */
	bool full;           /* too many: stop recording (and walking) */
	bool oom;
	char path[PATH_LEN]; /* key path of the node being walked */
	size_t plen;
	struct uniq *uniq;
	size_t nuniq, uniqcap;
	char *file2;         /* billing.plans_file as given, for its errors */
	unsigned cur_file;   /* the file being walked: tags errors and uniq entries */
};

__attribute__((format(printf, 3, 0)))
static void verr(struct walk *w, struct loc loc, const char *fmt, va_list ap)
{
	char msg[MSG_LEN];

	w->count++;
	if (w->full)
		return;
	if (w->nerrs >= CFG_MAX_ERRORS - 1) { /* the last slot says so */
		w->full = true;
		return;
	}
	vsnprintf(msg, sizeof msg, fmt, ap);
	record(w, loc, msg);
}

/* Appends one message, without the cap (verr applies it). */
static void record(struct walk *w, struct loc loc, const char *msg)
{
	struct werr *v;
	char *m;

	v = realloc(w->errs, (w->nerrs + 1) * sizeof *v);
	if (!v)
		goto oom;
	w->errs = v;
	if (loc.file == 0)
		loc.file = w->cur_file;
	m = strdup(msg);
	if (!m)
		goto oom;
	v[w->nerrs] = (struct werr){loc, w->nerrs, m};
	w->nerrs++;
	return;
oom:
	w->oom = true;
	w->full = true;
}

__attribute__((format(printf, 3, 4)))
static void err_at(struct walk *w, struct loc loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(w, loc, fmt, ap);
	va_end(ap);
}

/* "PATH: message" for the value at the current path. */
__attribute__((format(printf, 3, 4)))
static void err_here(struct walk *w, struct loc loc, const char *fmt, ...)
{
	char msg[MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	err_at(w, loc, "%s: %s", w->plen ? w->path : "top level", msg);
}

static int oom(struct walk *w, struct loc loc)
{
	err_at(w, loc, "out of memory");
	w->oom = true;
	return -1;
}

/* "in PATH" or "at top level", for messages about a mapping's keys. */
static const char *where(const struct walk *w, char *buf, size_t size)
{
	if (!w->plen)
		return "at top level";
	snprintf(buf, size, "in %s", w->path);
	return buf;
}

/* A value quoted for a message: escaped, cut at SHOW_MAX bytes. */
static const char *quote(const char *s, size_t len, char *buf, size_t size)
{
	size_t o = 0;

	buf[o++] = '"';
	for (size_t i = 0; i < len && o + 8 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == SHOW_MAX) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			buf[o++] = (char)c;
		} else {
			snprintf(buf + o, size - o, "\\x%02x", c);
			o += 4;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static const char *describe(const struct node *n, char *buf, size_t size)
{
	if (n->kind == N_MAP)
		return "a mapping";
	if (n->kind == N_SEQ)
		return "a list";
	if (is_null(n))
		return "null";
	return quote(n->s, n->len, buf, size);
}

static void bad_value(struct walk *w, const struct node *n, const char *expect)
{
	char got[QUOTE_LEN];

	err_here(w, n->loc, "expected %s, got %s", expect, describe(n, got, sizeof got));
}

/* ---- paths ---------------------------------------------------------- */

__attribute__((format(printf, 2, 3)))
static size_t path_push(struct walk *w, const char *fmt, ...)
{
	size_t mark = w->plen;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(w->path + w->plen, sizeof w->path - w->plen, fmt, ap);
	va_end(ap);
	if (r > 0)
		w->plen += (size_t)r < sizeof w->path - w->plen ? (size_t)r
								 : sizeof w->path - 1 - w->plen;
	return mark;
}

static size_t path_key(struct walk *w, const char *key)
{
	return path_push(w, w->plen ? ".%s" : "%s", key);
}

static void path_pop(struct walk *w, size_t mark)
{
	w->plen = mark;
	w->path[mark] = '\0';
}

/* ---- stage 1: events to tree ---------------------------------------- */

struct builder {
	struct walk *w;
	struct node *stack[MAX_DEPTH]; /* open containers, not yet attached */
	size_t depth;
	struct node *root;
	unsigned docs;
};

static unsigned clamp_u(size_t v)
{
	return v < UINT32_MAX - 1 ? (unsigned)v : UINT32_MAX - 1;
}

static struct loc mark_loc(yaml_mark_t m)
{
	return (struct loc){clamp_u(m.line) + 1, clamp_u(m.column) + 1, 0};
}

/* libyaml reports reader errors (bad UTF-8, control characters) by offset. */
static struct loc offset_loc(const char *buf, size_t len, size_t offset)
{
	struct loc l = {1, 1, 0};

	for (size_t i = 0; i < offset && i < len; i++) {
		if (buf[i] == '\n') {
			l.line++;
			l.column = 1;
		} else {
			l.column++;
		}
	}
	return l;
}

static void syntax_error(struct walk *w, const yaml_parser_t *p, const char *buf,
			 size_t len)
{
	const char *problem = p->problem ? p->problem : "unknown problem";

	if (p->error == YAML_MEMORY_ERROR) {
		oom(w, (struct loc){0, 0, 0});
	} else if (p->error == YAML_READER_ERROR) {
		struct loc l = offset_loc(buf, len, p->problem_offset);

		if (p->problem_value != -1)
			err_at(w, l, "YAML syntax error: %s (0x%02X)", problem,
			       (unsigned)p->problem_value);
		else
			err_at(w, l, "YAML syntax error: %s", problem);
	} else if (p->context) {
		err_at(w, mark_loc(p->problem_mark), "YAML syntax error: %s (%s at line %u)",
		       problem, p->context, mark_loc(p->context_mark).line);
	} else {
		err_at(w, mark_loc(p->problem_mark), "YAML syntax error: %s", problem);
	}
}

static struct node *node_new(enum node_kind kind, yaml_mark_t m)
{
	struct node *n = calloc(1, sizeof *n);

	if (n) {
		n->kind = kind;
		n->loc = mark_loc(m);
	}
	return n;
}

/* Takes n (NULL means out of memory) and hangs it under the open container. */
static int attach(struct builder *b, struct node *n, yaml_mark_t m)
{
	struct node *p;

	if (!n)
		return oom(b->w, mark_loc(m));
	if (b->depth == 0) {
		node_free(b->root); /* only one document is read */
		b->root = n;
		return 0;
	}
	p = b->stack[b->depth - 1];
	if (p->kind == N_MAP && p->n % 2 == 0 && (n->kind == N_MAP || n->kind == N_SEQ))
		err_at(b->w, n->loc, "a mapping key must be a scalar, not %s",
		       n->kind == N_MAP ? "a mapping" : "a list");
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4;
		struct node **v = realloc(p->v, cap * sizeof *v);

		if (!v) {
			node_free(n);
			return oom(b->w, mark_loc(m));
		}
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = n;
	return 0;
}

static bool valid_id(const char *s, size_t len);

/* An anchor name for a message: as written when tame, quoted otherwise. */
static const char *anchor_name(const yaml_char_t *anchor, char *buf, size_t size)
{
	const char *a = anchor ? (const char *)anchor : "";
	size_t len = strlen(a);

	if (len && len <= SHOW_MAX && valid_id(a, len))
		return a;
	return quote(a, len, buf, size);
}

static void refuse_anchor(struct builder *b, const yaml_char_t *anchor, yaml_mark_t m)
{
	char q[QUOTE_LEN];

	if (anchor)
		err_at(b->w, mark_loc(m), "anchor &%s: anchors and aliases are not supported",
		       anchor_name(anchor, q, sizeof q));
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	struct node *n = node_new(N_SCALAR, ev->start_mark);
	size_t len = ev->data.scalar.length;

	refuse_anchor(b, ev->data.scalar.anchor, ev->start_mark);
	if (n) {
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		n->s = malloc(len + 1);
		if (!n->s) {
			node_free(n);
			n = NULL;
		} else {
			memcpy(n->s, ev->data.scalar.value, len);
			n->s[len] = '\0';
			n->len = len;
		}
	}
	return attach(b, n, ev->start_mark);
}

static int on_start(struct builder *b, const yaml_event_t *ev, enum node_kind kind,
		    const yaml_char_t *anchor)
{
	struct node *n;

	refuse_anchor(b, anchor, ev->start_mark);
	if (b->depth == MAX_DEPTH) {
		err_at(b->w, mark_loc(ev->start_mark),
		       "nesting deeper than %d levels is not supported", MAX_DEPTH);
		return -1;
	}
	n = node_new(kind, ev->start_mark);
	if (!n)
		return oom(b->w, mark_loc(ev->start_mark));
	b->stack[b->depth++] = n;
	return 0;
}

static int on_end(struct builder *b, const yaml_event_t *ev)
{
	if (b->depth == 0)
		return -1; /* libyaml never does this */
	b->depth--;
	return attach(b, b->stack[b->depth], ev->start_mark);
}

static int on_alias(struct builder *b, const yaml_event_t *ev)
{
	char q[QUOTE_LEN];

	err_at(b->w, mark_loc(ev->start_mark), "alias *%s: aliases are not supported",
	       anchor_name(ev->data.alias.anchor, q, sizeof q));
	return attach(b, node_new(N_BAD, ev->start_mark), ev->start_mark);
}

/* Returns 0 to go on, 1 when done, -1 on a fatal error. */
static int on_event(struct builder *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (b->docs++ == 0)
			return 0;
		err_at(b->w, mark_loc(ev->start_mark),
		       "a config file holds one YAML document; this is a second one");
		return 1;
	case YAML_ALIAS_EVENT:
		return on_alias(b, ev);
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(b, ev, N_SEQ, ev->data.sequence_start.anchor);
	case YAML_MAPPING_START_EVENT:
		return on_start(b, ev, N_MAP, ev->data.mapping_start.anchor);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(b, ev);
	default:
		return 0;
	}
}

/* Parses buf into *root (NULL for an empty stream or document). Returns -1
 * when the tree cannot be trusted (syntax error, nesting, memory). */
static int load_tree(struct walk *w, const char *buf, size_t len, struct node **root)
{
	struct builder b = {.w = w};
	yaml_parser_t p;
	int rc = 0;

	*root = NULL;
	if (!yaml_parser_initialize(&p))
		return oom(w, (struct loc){0, 0, 0});
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	for (;;) {
		yaml_event_t ev;
		int r;

		if (!yaml_parser_parse(&p, &ev)) {
			syntax_error(w, &p, buf, len);
			rc = -1;
			break;
		}
		r = on_event(&b, &ev);
		yaml_event_delete(&ev);
		if (r) {
			rc = r < 0 ? -1 : 0;
			break;
		}
	}
	yaml_parser_delete(&p);
	while (b.depth)
		node_free(b.stack[--b.depth]);
	if (rc < 0)
		node_free(b.root);
	else
		*root = b.root;
	return rc;
}

/* ---- stage 2: the schema walker ------------------------------------- */

struct frame;
struct field;

struct ftype {
	/* obj is the section's object; n is NULL only for an absent section
	 * walked as empty (F_DEFAULT_EMPTY). Returns 0 or -1. */
	int (*parse)(struct walk *w, struct frame *fr, const struct field *f,
		     struct node *n, void *obj);
	void (*free)(const struct field *f, void *obj);
};

enum {
	F_REQUIRED = 1,      /* missing key is an error */
	F_DEFAULT_EMPTY = 2, /* sections: absent is walked as {} (defaults, checks) */
};

struct field {
	const char *key;
	const struct ftype *type;
	unsigned flags;
	size_t off;                        /* destination in the object */
	size_t off2;                       /* second one: count, port, text */
	size_t width;                      /* integer destination size */
	uint64_t min, max;                 /* value range, length, list items */
	const char *const *names;          /* enum names, index = value */
	const struct section *sub;         /* sections and lists */
	bool (*valid)(const char *s, size_t len); /* extra string rule */
	const char *expect;                /* what a string must look like */
};

struct section {
	const struct field *fields;
	size_t nfields;                    /* at most 64 (given/ok bit masks) */
	size_t size;                       /* object size, for list elements */
	void (*init)(void *obj);           /* static defaults, before the keys */
	void (*check)(struct walk *w, struct frame *fr); /* rules across fields */
};

#define DEFINE_SECTION(name, fields, T, initf, checkf)                            \
	_Static_assert(ARRAY_LEN(fields) <= 64, #fields ": at most 64 keys");     \
	static const struct section name = {fields, ARRAY_LEN(fields), sizeof(T), \
					    initf, checkf}

/* One mapping being walked; parents stay reachable for cross-field rules. */
struct frame {
	const struct frame *parent;
	const struct section *sec;
	void *obj;
	struct node *map;                  /* NULL: absent or null */
	struct loc loc;                    /* of the mapping, or where it would be */
	size_t plen;                       /* length of its path */
	uint64_t given;                    /* bit i: fields[i] present */
	uint64_t ok;                       /* bit i: fields[i] present and valid */
};

static struct node *map_get(const struct node *map, const char *key)
{
	size_t len = strlen(key);

	if (!map)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (!map->v[i]->dup && scalar_is(map->v[i], key, len))
			return map->v[i + 1];
	return NULL;
}

static int field_index(const struct section *sec, const char *key, size_t len)
{
	for (size_t i = 0; i < sec->nfields; i++)
		if (strlen(sec->fields[i].key) == len && memcmp(sec->fields[i].key, key, len) == 0)
			return (int)i;
	return -1;
}

static bool fr_bit(const struct frame *fr, uint64_t mask, const char *key)
{
	int i = field_index(fr->sec, key, strlen(key));

	return i >= 0 && (mask & BIT(i));
}

static bool fr_given(const struct frame *fr, const char *key)
{
	return fr_bit(fr, fr->given, key);
}

static bool fr_ok(const struct frame *fr, const char *key)
{
	return fr_bit(fr, fr->ok, key);
}

static const struct frame *fr_up(const struct frame *fr, const struct section *sec)
{
	while (fr && fr->sec != sec)
		fr = fr->parent;
	return fr;
}

/* An error about key in fr, at its value (or the mapping when absent). */
__attribute__((format(printf, 4, 5)))
static void err_key(struct walk *w, const struct frame *fr, const char *key,
		    const char *fmt, ...)
{
	const struct node *n = map_get(fr->map, key);
	char msg[MSG_LEN];
	size_t mark;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	path_pop(w, fr->plen);
	mark = path_key(w, key);
	err_here(w, n ? n->loc : fr->loc, "%s", msg);
	path_pop(w, mark);
}

static int cmp_keys(const void *a, const void *b)
{
	const struct node *x = *(const struct node *const *)a;
	const struct node *y = *(const struct node *const *)b;
	int c;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	c = memcmp(x->s, y->s, x->len);
	if (c)
		return c;
	if (x->loc.line != y->loc.line)
		return x->loc.line < y->loc.line ? -1 : 1;
	return x->loc.column < y->loc.column ? -1 : x->loc.column > y->loc.column;
}

/* Marks and reports every key repeated in map (sorting: big maps stay cheap). */
static void mark_dup_keys(struct walk *w, struct node *map)
{
	size_t nkeys = 0, pairs = map->n / 2;
	struct node **keys;
	char q[QUOTE_LEN], in[PATH_LEN + 8];

	if (pairs < 2)
		return;
	keys = malloc(pairs * sizeof *keys);
	if (!keys) {
		oom(w, map->loc);
		return;
	}
	for (size_t i = 0; i < pairs; i++)
		if (map->v[2 * i]->kind == N_SCALAR)
			keys[nkeys++] = map->v[2 * i];
	qsort(keys, nkeys, sizeof *keys, cmp_keys);
	for (size_t i = 1; i < nkeys; i++) {
		size_t first = i - 1;

		while (first > 0 && keys[first]->dup)
			first--;
		if (keys[i]->len != keys[first]->len ||
		    memcmp(keys[i]->s, keys[first]->s, keys[i]->len) != 0)
			continue;
		keys[i]->dup = true;
		err_at(w, keys[i]->loc, "duplicate key %s %s (first at line %u)",
		       quote(keys[i]->s, keys[i]->len, q, sizeof q), where(w, in, sizeof in),
		       keys[first]->loc.line);
	}
	free(keys);
}

static void check_keys(struct walk *w, const struct frame *fr)
{
	const struct section *sec = fr->sec;
	char q[QUOTE_LEN], in[PATH_LEN + 8], expect[512];
	size_t o = 0;

	mark_dup_keys(w, fr->map);
	for (size_t i = 0; i < sec->nfields && o < sizeof expect; i++) {
		int r = snprintf(expect + o, sizeof expect - o, "%s%s", i ? ", " : "",
				 sec->fields[i].key);
		o += r > 0 ? (size_t)r : 0;
	}
	for (size_t i = 0; i + 1 < fr->map->n; i += 2) {
		const struct node *k = fr->map->v[i];

		if (k->kind != N_SCALAR || field_index(sec, k->s, k->len) >= 0)
			continue; /* non-scalar keys were reported while parsing */
		err_at(w, k->loc, "unknown key %s %s (expected one of: %s)",
		       quote(k->s, k->len, q, sizeof q), where(w, in, sizeof in), expect);
	}
}

static void walk_fields(struct walk *w, struct frame *fr)
{
	char in[PATH_LEN + 8];

	for (size_t i = 0; i < fr->sec->nfields && !w->full; i++) {
		const struct field *f = &fr->sec->fields[i];
		struct node *n = map_get(fr->map, f->key);
		size_t before = w->count, mark;
		int r;

		if (!n && (f->flags & F_REQUIRED)) {
			err_at(w, fr->loc, "missing required key \"%s\" %s", f->key,
			       where(w, in, sizeof in));
			continue;
		}
		if (!n && !(f->flags & F_DEFAULT_EMPTY))
			continue;
		if (n)
			fr->given |= BIT(i);
		mark = path_key(w, f->key);
		r = f->type->parse(w, fr, f, n, fr->obj);
		path_pop(w, mark);
		if (r == 0 && w->count == before)
			fr->ok |= BIT(i);
	}
}

/* Walks n (a mapping, null, or NULL for absent) as section sec into obj. */
static int walk_section(struct walk *w, const struct frame *parent,
			const struct section *sec, void *obj, struct node *n,
			struct loc loc)
{
	struct frame fr = {.parent = parent, .sec = sec, .obj = obj, .loc = loc,
			   .plen = w->plen};
	size_t before = w->count;

	if (n) {
		if (n->kind == N_BAD)
			return -1;
		if (n->kind != N_MAP && !is_null(n)) {
			bad_value(w, n, "a mapping");
			return -1;
		}
		fr.loc = n->loc;
		fr.map = n->kind == N_MAP ? n : NULL;
	}
	if (sec->init)
		sec->init(obj);
	if (fr.map)
		check_keys(w, &fr);
	walk_fields(w, &fr);
	if (sec->check && !w->full) {
		path_pop(w, fr.plen);
		sec->check(w, &fr);
	}
	return w->count == before ? 0 : -1;
}

static void free_section(const struct section *sec, void *obj)
{
	for (size_t i = 0; i < sec->nfields; i++)
		if (sec->fields[i].type->free)
			sec->fields[i].type->free(&sec->fields[i], obj);
}

/* ---- stage 3: uniqueness -------------------------------------------- */

/* Records fr.key's value val as one that must be unique among values of
 * the same kind under the scope path (its first scope_len bytes). */
static void uniq_add(struct walk *w, const struct frame *fr, const char *key,
		     size_t scope_len, const char *kind, const void *val, size_t vlen,
		     const char *desc)
{
	const struct node *n = map_get(fr->map, key);
	size_t klen = strlen(kind) + 1 + scope_len + 1 + vlen, mark;
	struct uniq *u;

	if (w->nuniq == w->uniqcap) {
		size_t cap = w->uniqcap ? w->uniqcap * 2 : 16;

		u = realloc(w->uniq, cap * sizeof *u);
		if (!u) {
			oom(w, fr->loc);
			return;
		}
		w->uniq = u;
		w->uniqcap = cap;
	}
	u = &w->uniq[w->nuniq];
	*u = (struct uniq){.klen = klen, .loc = n ? n->loc : fr->loc, .seq = w->nuniq};
	if (u->loc.file == 0)
		u->loc.file = w->cur_file;
	u->key = malloc(klen);
	u->desc = strdup(desc);
	path_pop(w, fr->plen);
	mark = path_key(w, key);
	u->path = strdup(w->path);
	path_pop(w, mark);
	if (!u->key || !u->desc || !u->path) {
		free(u->key);
		free(u->desc);
		free(u->path);
		oom(w, fr->loc);
		return;
	}
	memcpy(u->key, kind, strlen(kind) + 1);
	memcpy(u->key + strlen(kind) + 1, w->path, scope_len);
	u->key[strlen(kind) + 1 + scope_len] = '\0';
	memcpy(u->key + strlen(kind) + 2 + scope_len, val, vlen);
	w->nuniq++;
}

static int uniq_same(const struct uniq *x, const struct uniq *y)
{
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->key, y->key, n);

	if (c)
		return c;
	return x->klen < y->klen ? -1 : x->klen > y->klen;
}

static int cmp_uniq(const void *a, const void *b)
{
	const struct uniq *x = a, *y = b;
	int c = uniq_same(x, y);

	if (c)
		return c;
	if (x->loc.file != y->loc.file) /* the config file's first, then plans_file's */
		return x->loc.file < y->loc.file ? -1 : 1;
	if (x->loc.line != y->loc.line)
		return x->loc.line < y->loc.line ? -1 : 1;
	if (x->loc.column != y->loc.column)
		return x->loc.column < y->loc.column ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void uniq_report(struct walk *w)
{
	if (w->nuniq)
		qsort(w->uniq, w->nuniq, sizeof *w->uniq, cmp_uniq);
	for (size_t i = 0, first = 0; i < w->nuniq; i++) {
		const struct uniq *u = &w->uniq[i], *f;
		bool here;

		if (i == 0 || uniq_same(u, &w->uniq[first]) != 0) {
			first = i;
			continue;
		}
		f = &w->uniq[first];
		here = strcmp(u->path, f->path) == 0;
		err_at(w, u->loc, "%s: duplicate %s (first at line %u%s%s)", u->path, u->desc,
		       f->loc.line, here ? "" : ", ", here ? "" : f->path);
	}
}

/* ---- scalar syntax -------------------------------------------------- */

/* Decimal only: no sign, no spaces, no leading zero, no 0x, no exponent. */
static bool parse_dec(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned char)s[i] - (unsigned)'0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool parse_duration(const char *s, size_t len, uint64_t *secs)
{
	uint64_t mult = 1, v;

	if (len && s[len - 1] == 's') {
		len--;
	} else if (len && s[len - 1] == 'm') {
		mult = 60;
		len--;
	}
	if (!parse_dec(s, len, &v) || v > UINT64_MAX / mult)
		return false;
	*secs = v * mult;
	return true;
}

/* NUMBER followed by ms, s, m or h; a bare number is seconds. */
static bool parse_duration_ms(const char *s, size_t len, uint64_t *ms)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	uint64_t mult = 1000, v;

	for (size_t i = 0; i < ARRAY_LEN(units); i++) {
		size_t ul = strlen(units[i].unit);

		if (len > ul && memcmp(s + len - ul, units[i].unit, ul) == 0 &&
		    (s[len - ul - 1] >= '0' && s[len - ul - 1] <= '9')) {
			mult = units[i].mult;
			len -= ul;
			break;
		}
	}
	if (!parse_dec(s, len, &v) || v > UINT64_MAX / mult)
		return false;
	*ms = v * mult;
	return true;
}

/* A millisecond count as the shortest duration text: 100ms, 1s, 5m, 1h. */
static void fmt_ms(uint64_t ms, char *buf, size_t size)
{
	if (ms && ms % 3600000 == 0)
		snprintf(buf, size, "%" PRIu64 "h", ms / 3600000);
	else if (ms && ms % 60000 == 0)
		snprintf(buf, size, "%" PRIu64 "m", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, size, "%" PRIu64 "s", ms / 1000);
	else
		snprintf(buf, size, "%" PRIu64 "ms", ms);
}

enum bw_result { BW_OK, BW_SYNTAX, BW_RANGE, BW_PRECISION };

static const struct {
	const char *name;
	uint64_t mult;
	unsigned decimals; /* fraction digits that still give whole bits */
} bw_units[] = {
	{"Gbps", 1000000000, 9}, {"Mbps", 1000000, 6}, {"kbps", 1000, 3}, {"bps", 1, 0},
};

static size_t count_digits(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

/* NUMBER[.FRACTION][ ]UNIT with a decimal unit (bps, kbps, Mbps, Gbps). */
static enum bw_result parse_bandwidth(const char *s, size_t len, uint64_t *bps)
{
	size_t ni = count_digits(s, len), nf = 0, i;
	uint64_t whole, frac = 0, mult = 0, scale = 1;
	unsigned decimals = 0;

	if (!parse_dec(s, ni, &whole))
		return BW_SYNTAX;
	i = ni;
	if (i < len && s[i] == '.') {
		nf = count_digits(s + i + 1, len - i - 1);
		if (nf == 0)
			return BW_SYNTAX;
		for (size_t k = 0; k < nf && k < 9; k++) {
			frac = frac * 10 + (uint64_t)(s[i + 1 + k] - '0');
			scale *= 10;
		}
		i += 1 + nf;
	}
	if (i < len && s[i] == ' ')
		i++;
	for (size_t u = 0; u < ARRAY_LEN(bw_units); u++) {
		if (len - i == strlen(bw_units[u].name) &&
		    strncasecmp(s + i, bw_units[u].name, len - i) == 0) {
			mult = bw_units[u].mult;
			decimals = bw_units[u].decimals;
		}
	}
	if (!mult)
		return BW_SYNTAX;
	if (nf > decimals)
		return BW_PRECISION;
	if (whole > BANDWIDTH_MAX_BPS / mult)
		return BW_RANGE;
	*bps = whole * mult + frac * (mult / scale);
	return *bps == 0 || *bps > BANDWIDTH_MAX_BPS ? BW_RANGE : BW_OK;
}

/* The largest unit that is at least 1 and exact with up to 3 decimals. */
static void format_bandwidth(uint64_t bps, char *buf, size_t size)
{
	for (size_t u = 0; u < ARRAY_LEN(bw_units); u++) {
		uint64_t mult = bw_units[u].mult, milli = mult >= 1000 ? mult / 1000 : 1;
		unsigned frac;
		char digits[12];
		int k;

		if (bps < mult && mult > 1)
			continue;
		if (bps % milli)
			continue;
		frac = (unsigned)((bps % mult) / milli);
		if (!frac || mult == 1) {
			snprintf(buf, size, "%" PRIu64 "%s", bps / mult, bw_units[u].name);
			return;
		}
		snprintf(digits, sizeof digits, "%03u", frac);
		for (k = 2; k > 0 && digits[k] == '0'; k--)
			digits[k] = '\0';
		snprintf(buf, size, "%" PRIu64 ".%s%s", bps / mult, digits, bw_units[u].name);
		return;
	}
}

static bool valid_id(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* What Linux accepts as a new interface name (dev_valid_name()). */
static bool valid_ifname(const char *s, size_t len)
{
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f || c == '/' || c == ':')
			return false;
	}
	return true;
}

/* An item of capture.interfaces: what link.interface accepts. */
static bool valid_ifname_item(const char *s, size_t len)
{
	return len >= 1 && len <= IFNAME_MAX && valid_ifname(s, len);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Six hex pairs separated by one kind of separator, ':' or '-' (the
 * Linux and the Windows/Cisco-show forms), any case. */
static bool parse_mac(const char *s, size_t len, uint8_t mac[6])
{
	char sep;

	if (len != MAC_TEXT - 1 || (s[2] != ':' && s[2] != '-'))
		return false;
	sep = s[2];
	for (size_t i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != sep))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static void format_mac(const uint8_t mac[6], char *buf, size_t size)
{
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
}

static bool valid_hostname(const char *s, size_t len)
{
	if (len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
			return false;
	}
	return true;
}

enum pfx_result { PFX_OK, PFX_SYNTAX, PFX_LENGTH, PFX_HOST_BITS };

static unsigned prefix_bits(int family)
{
	return family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
}

/* Clears the host bits of p (those beyond len); true when any was set. */
static bool prefix_mask(struct cfg_prefix *p)
{
	bool host = false;

	for (unsigned i = 0; i < sizeof p->addr; i++) {
		unsigned keep = p->len >= 8 * (i + 1) ? 8 : p->len > 8 * i ? p->len - 8 * i : 0;
		uint8_t m = (uint8_t)(0xff00u >> keep);

		host |= (p->addr[i] & ~m) != 0;
		p->addr[i] &= m;
	}
	return host;
}

/* ADDRESS/LENGTH, or a bare ADDRESS meaning /32 or /128. On PFX_LENGTH
 * p->family is set; on PFX_HOST_BITS *p holds the address as written. */
static enum pfx_result parse_prefix(const char *s, size_t len, struct cfg_prefix *p)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	char addr[INET6_ADDRSTRLEN];
	struct cfg_prefix tmp;
	uint64_t plen;

	memset(p, 0, sizeof *p);
	if (alen == 0 || alen >= sizeof addr || memchr(s, '\0', len))
		return PFX_SYNTAX;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	p->family = AF_INET;
	if (inet_pton(AF_INET, addr, p->addr) != 1) {
		p->family = AF_INET6;
		if (inet_pton(AF_INET6, addr, p->addr) != 1)
			return PFX_SYNTAX;
	}
	plen = prefix_bits(p->family);
	if (slash && !parse_dec(slash + 1, len - alen - 1, &plen))
		return PFX_SYNTAX;
	if (plen > prefix_bits(p->family))
		return PFX_LENGTH;
	p->len = (uint8_t)plen;
	tmp = *p;
	return prefix_mask(&tmp) ? PFX_HOST_BITS : PFX_OK;
}

static void format_prefix(const struct cfg_prefix *p, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family, p->addr, a, sizeof a))
		snprintf(a, sizeof a, "?");
	snprintf(buf, size, "%s/%u", a, (unsigned)p->len);
}

static int name_index(const char *const *names, const char *s, size_t len)
{
	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return i;
	return -1;
}

static void join_names(const char *const *names, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; names[i] && o < size; i++) {
		int r = snprintf(buf + o, size - o, "%s%s", i ? ", " : "", names[i]);

		o += r > 0 ? (size_t)r : 0;
	}
}

/* ---- field types ---------------------------------------------------- */

static void *at(void *obj, size_t off)
{
	return (char *)obj + off;
}

static void store_uint(void *dst, size_t width, uint64_t v)
{
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;

	switch (width) {
	case 1: memcpy(dst, &u8, 1); break;
	case 2: memcpy(dst, &u16, 2); break;
	case 4: memcpy(dst, &u32, 4); break;
	default: memcpy(dst, &v, 8); break;
	}
}

/* True when n is a non-null scalar; otherwise says what was expected. */
static bool want_scalar(struct walk *w, const struct node *n, const char *expect)
{
	if (n->kind == N_BAD)
		return false;
	if (n->kind == N_SCALAR && !is_null(n))
		return true;
	bad_value(w, n, expect);
	return false;
}

static int p_string(struct walk *w, struct frame *fr, const struct field *f,
		    struct node *n, void *obj)
{
	const char *expect = f->expect ? f->expect : "a non-empty string";
	char *s;

	(void)fr;
	if (!want_scalar(w, n, expect))
		return -1;
	if (memchr(n->s, '\0', n->len) || n->len < f->min || n->len > f->max ||
	    (f->valid && !f->valid(n->s, n->len))) {
		bad_value(w, n, expect);
		return -1;
	}
	s = strdup(n->s);
	if (!s)
		return oom(w, n->loc);
	*(char **)at(obj, f->off) = s;
	return 0;
}

static void f_string(const struct field *f, void *obj)
{
	char **s = at(obj, f->off);

	free(*s);
	*s = NULL;
}

static int p_uint(struct walk *w, struct frame *fr, const struct field *f,
		  struct node *n, void *obj)
{
	char expect[64];
	uint64_t v;

	(void)fr;
	snprintf(expect, sizeof expect, "an integer %" PRIu64 "..%" PRIu64, f->min, f->max);
	if (!want_scalar(w, n, expect))
		return -1;
	if (!parse_dec(n->s, n->len, &v) || v < f->min || v > f->max) {
		bad_value(w, n, expect);
		return -1;
	}
	store_uint(at(obj, f->off), f->width, v);
	return 0;
}

static int p_asn(struct walk *w, struct frame *fr, const struct field *f,
		 struct node *n, void *obj)
{
	const char *expect = "an AS number 1..4294967295 other than 23456 (AS_TRANS)";
	uint64_t v;

	(void)fr;
	if (!want_scalar(w, n, expect))
		return -1;
	if (!parse_dec(n->s, n->len, &v) || v < 1 || v > UINT32_MAX || v == ASN_TRANS) {
		bad_value(w, n, expect);
		return -1;
	}
	store_uint(at(obj, f->off), f->width, v);
	return 0;
}

static int p_bool(struct walk *w, struct frame *fr, const struct field *f,
		  struct node *n, void *obj)
{
	(void)fr;
	if (!want_scalar(w, n, "true or false"))
		return -1;
	if (!scalar_is(n, "true", 4) && !scalar_is(n, "false", 5)) {
		bad_value(w, n, "true or false");
		return -1;
	}
	*(bool *)at(obj, f->off) = n->len == 4;
	return 0;
}

static int p_enum(struct walk *w, struct frame *fr, const struct field *f,
		  struct node *n, void *obj)
{
	char expect[256] = "one of ";
	int i;

	(void)fr;
	join_names(f->names, expect + 7, sizeof expect - 7);
	if (!want_scalar(w, n, expect))
		return -1;
	i = name_index(f->names, n->s, n->len);
	if (i < 0) {
		bad_value(w, n, expect);
		return -1;
	}
	store_uint(at(obj, f->off), f->width, (uint64_t)i);
	return 0;
}

static int p_duration(struct walk *w, struct frame *fr, const struct field *f,
		      struct node *n, void *obj)
{
	char expect[96];
	uint64_t v;

	(void)fr;
	snprintf(expect, sizeof expect,
		 "a duration of %" PRIu64 "..%" PRIu64 " seconds such as 10s, 5m or 30",
		 f->min, f->max);
	if (!want_scalar(w, n, expect))
		return -1;
	if (!parse_duration(n->s, n->len, &v) || v < f->min || v > f->max) {
		bad_value(w, n, expect);
		return -1;
	}
	store_uint(at(obj, f->off), f->width, v);
	return 0;
}

/* A duration stored in milliseconds; min and max are milliseconds. */
static int p_duration_ms(struct walk *w, struct frame *fr, const struct field *f,
			 struct node *n, void *obj)
{
	char expect[128], lo[24], hi[24];
	uint64_t v;

	(void)fr;
	fmt_ms(f->min, lo, sizeof lo);
	fmt_ms(f->max, hi, sizeof hi);
	snprintf(expect, sizeof expect, "a duration of %s..%s such as 500ms, 10s or 5m", lo, hi);
	if (!want_scalar(w, n, expect))
		return -1;
	if (!parse_duration_ms(n->s, n->len, &v) || v < f->min || v > f->max) {
		bad_value(w, n, expect);
		return -1;
	}
	store_uint(at(obj, f->off), f->width, v);
	return 0;
}

/* off: uint64_t bits per second; off2: char * normalised text. */
static int p_bandwidth(struct walk *w, struct frame *fr, const struct field *f,
		       struct node *n, void *obj)
{
	const char *expect = "a bandwidth such as 50Mbps, 1Gbps or 1.5Gbps";
	char q[QUOTE_LEN], text[32], *t;
	uint64_t bps = 0;

	(void)fr;
	if (!want_scalar(w, n, expect))
		return -1;
	switch (parse_bandwidth(n->s, n->len, &bps)) {
	case BW_OK:
		break;
	case BW_RANGE:
		err_here(w, n->loc, "expected a bandwidth more than 0 and at most 400Gbps, got %s",
			 quote(n->s, n->len, q, sizeof q));
		return -1;
	case BW_PRECISION:
		err_here(w, n->loc, "%s is not a whole number of bits per second",
			 quote(n->s, n->len, q, sizeof q));
		return -1;
	default:
		bad_value(w, n, expect);
		return -1;
	}
	format_bandwidth(bps, text, sizeof text);
	t = strdup(text);
	if (!t)
		return oom(w, n->loc);
	*(uint64_t *)at(obj, f->off) = bps;
	*(char **)at(obj, f->off2) = t;
	return 0;
}

static void f_bandwidth(const struct field *f, void *obj)
{
	char **s = at(obj, f->off2);

	free(*s);
	*s = NULL;
}

/* Splits "HOST:PORT", "[IPV6]:PORT" or ":PORT"; host is not resolved. */
static bool split_listen(const char *s, size_t len, const char **host, size_t *hlen,
			 uint64_t *port)
{
	const char *rest;

	if (memchr(s, '\0', len))
		return false;
	if (len && s[0] == '[') {
		const char *close = memchr(s, ']', len);
		char addr[INET6_ADDRSTRLEN];
		unsigned char bin[16];

		if (!close || close == s + 1 || (size_t)(close - s - 1) >= sizeof addr)
			return false;
		*host = s + 1;
		*hlen = (size_t)(close - s - 1);
		memcpy(addr, *host, *hlen);
		addr[*hlen] = '\0';
		if (inet_pton(AF_INET6, addr, bin) != 1)
			return false;
		rest = close + 1;
	} else {
		rest = memrchr(s, ':', len);
		if (!rest)
			return false;
		*host = s;
		*hlen = (size_t)(rest - s);
		if (memchr(s, ':', *hlen) || !valid_hostname(s, *hlen))
			return false; /* an IPv6 address needs brackets */
	}
	if (rest >= s + len || *rest != ':')
		return false;
	rest++;
	return parse_dec(rest, (size_t)(s + len - rest), port) && *port >= 1 && *port <= 65535;
}

/* off: char * host (NULL = all addresses); off2: uint16_t port. */
static int p_listen(struct walk *w, struct frame *fr, const struct field *f,
		    struct node *n, void *obj)
{
	const char *expect = "HOST:PORT, [IPV6]:PORT or :PORT with a port 1..65535";
	const char *host = NULL;
	size_t hlen = 0;
	uint64_t port = 0;
	char *h = NULL;

	(void)fr;
	if (!want_scalar(w, n, expect))
		return -1;
	if (!split_listen(n->s, n->len, &host, &hlen, &port)) {
		bad_value(w, n, expect);
		return -1;
	}
	if (hlen) {
		h = strndup(host, hlen);
		if (!h)
			return oom(w, n->loc);
	}
	*(char **)at(obj, f->off) = h;
	*(uint16_t *)at(obj, f->off2) = (uint16_t)port;
	return 0;
}

static void f_listen(const struct field *f, void *obj)
{
	f_string(f, obj);
}

static bool valid_username(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == ':')
			return false; /* RFC 7617 §2: the user-id cannot contain ':' */
	}
	return true;
}

/* One user: the value must be a crypt(3) hash. Never echoes the value. */
static int check_user(struct walk *w, const struct node *k, const struct node *v)
{
	char q[QUOTE_LEN];

	quote(k->s, k->len, q, sizeof q);
	if (!valid_username(k->s, k->len)) {
		err_here(w, k->loc, "user name %s must be non-empty, without ':' or control characters", q);
		return -1;
	}
	if (v->kind == N_BAD)
		return -1;
	if (v->kind != N_SCALAR || is_null(v)) {
		err_here(w, v->loc, "user %s: expected a crypt(3) password hash, got %s", q,
			 v->kind == N_MAP ? "a mapping" : v->kind == N_SEQ ? "a list" : "null");
		return -1;
	}
	if (v->len == 0 || v->s[0] != '$' || memchr(v->s, '\0', v->len)) {
		err_here(w, v->loc,
			 "user %s: store a hash, not a password; make one with: mkpasswd -m bcrypt", q);
		return -1;
	}
	return 0;
}

/* Free-form mappings of scalar keys to scalar values (basic auth users,
 * librdkafka properties) are stored as arrays of struct cfg_kv or of a
 * struct with the same layout. */
_Static_assert(sizeof(struct cfg_basic_auth_user) == sizeof(struct cfg_kv) &&
		       offsetof(struct cfg_basic_auth_user, username) == offsetof(struct cfg_kv, key) &&
		       offsetof(struct cfg_basic_auth_user, password_hash) ==
			       offsetof(struct cfg_kv, value),
	       "a basic auth user is stored as a key/value pair");

/* check says whether one pair is acceptable, after reporting why not. */
typedef int (*pair_check_fn)(struct walk *w, const struct node *k, const struct node *v);

/* off: struct cfg_kv array; off2: size_t count; at least f->min pairs and,
 * when f->max is set, at most f->max. noun names one entry in errors. */
static int p_pairs(struct walk *w, const struct field *f, struct node *n, void *obj,
		   const char *expect, const char *noun, pair_check_fn check)
{
	struct cfg_kv *kv;
	size_t pairs, *count = at(obj, f->off2);
	int rc = 0;

	if (n->kind == N_BAD)
		return -1;
	if (n->kind != N_MAP && !is_null(n)) {
		bad_value(w, n, expect);
		return -1;
	}
	pairs = n->kind == N_MAP ? n->n / 2 : 0;
	if (pairs < f->min) {
		err_here(w, n->loc, "needs at least one %s", noun);
		return -1;
	}
	if (f->max && pairs > f->max) {
		err_here(w, n->loc, "at most %llu %s entries", (unsigned long long)f->max, noun);
		return -1;
	}
	if (pairs == 0)
		return 0;
	mark_dup_keys(w, n);
	kv = calloc(pairs, sizeof *kv);
	if (!kv)
		return oom(w, n->loc);
	*(struct cfg_kv **)at(obj, f->off) = kv;
	for (size_t i = 0; i < pairs; i++) {
		const struct node *k = n->v[2 * i], *v = n->v[2 * i + 1];

		if (k->kind != N_SCALAR || k->dup || check(w, k, v) < 0) {
			rc = -1;
			continue;
		}
		kv[*count].key = strdup(k->s);
		kv[*count].value = strdup(v->s);
		if (!kv[(*count)++].key || !kv[*count - 1].value)
			return oom(w, k->loc); /* counted: f_pairs frees both */
	}
	return rc;
}

static void f_pairs(const struct field *f, void *obj)
{
	struct cfg_kv **kv = at(obj, f->off);
	size_t *count = at(obj, f->off2);

	for (size_t i = 0; *kv && i < *count; i++) {
		free((*kv)[i].key);
		free((*kv)[i].value);
	}
	free(*kv);
	*kv = NULL;
	*count = 0;
}

/* A mapping user -> crypt(3) hash. */
static int p_users(struct walk *w, struct frame *fr, const struct field *f,
		   struct node *n, void *obj)
{
	(void)fr;
	return p_pairs(w, f, n, obj, "a mapping of user name to password hash", "user",
		       check_user);
}

/* One item of a prefix list, with where it was for the duplicate check. */
struct prefix_at {
	struct cfg_prefix p;
	struct loc loc;
	size_t index;
};

static int cmp_prefix_at(const void *a, const void *b)
{
	const struct prefix_at *x = a, *y = b;
	int c;

	if (x->p.family != y->p.family)
		return x->p.family < y->p.family ? -1 : 1;
	if (x->p.len != y->p.len)
		return x->p.len < y->p.len ? -1 : 1;
	c = memcmp(x->p.addr, y->p.addr, sizeof x->p.addr);
	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Sorts v (n > 0) and reports each repeat at the later item. */
static void report_dup_prefixes(struct walk *w, struct prefix_at *v, size_t n)
{
	char text[PREFIX_TEXT];

	qsort(v, n, sizeof *v, cmp_prefix_at);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (v[i].p.family != v[first].p.family || v[i].p.len != v[first].p.len ||
		    memcmp(v[i].p.addr, v[first].p.addr, sizeof v[i].p.addr) != 0) {
			first = i;
			continue;
		}
		format_prefix(&v[i].p, text, sizeof text);
		err_at(w, v[i].loc, "%s[%zu]: duplicate prefix %s (first at line %u, %s[%zu])",
		       w->path, v[i].index, text, v[first].loc.line, w->path, v[first].index);
	}
}

/* One prefix; the path names the item. */
static int prefix_item(struct walk *w, const struct node *n, struct cfg_prefix *p)
{
	const char *expect = "an IP prefix such as 198.18.0.0/15 or 2001:db8::/32";
	char q[QUOTE_LEN], given[PREFIX_TEXT], fixed[PREFIX_TEXT];

	if (!want_scalar(w, n, expect))
		return -1;
	switch (parse_prefix(n->s, n->len, p)) {
	case PFX_OK:
		return 0;
	case PFX_LENGTH:
		err_here(w, n->loc, "expected a prefix length 0..%u for %s, got %s",
			 prefix_bits(p->family), p->family == AF_INET ? "IPv4" : "IPv6",
			 quote(n->s, n->len, q, sizeof q));
		return -1;
	case PFX_HOST_BITS:
		format_prefix(p, given, sizeof given);
		prefix_mask(p);
		format_prefix(p, fixed, sizeof fixed);
		err_here(w, n->loc, "%s: host bits set; did you mean %s?", given, fixed);
		return -1;
	default:
		bad_value(w, n, expect);
		return -1;
	}
}

/* A list of IP prefixes (scalars). off: struct cfg_prefix * in document
 * order; off2: size_t count; min, max: items. Repeats are errors. */
static int p_prefixes(struct walk *w, struct frame *fr, const struct field *f,
		      struct node *n, void *obj)
{
	struct prefix_at *v;
	struct cfg_prefix *arr;
	size_t count = 0, nv = 0;
	int rc = 0;

	(void)fr;
	if (n->kind == N_BAD)
		return -1;
	if (n->kind == N_SEQ)
		count = n->n;
	else if (!is_null(n)) {
		bad_value(w, n, "a list of IP prefixes");
		return -1;
	}
	if (count < f->min || count > f->max) {
		err_here(w, n->loc, "expected %" PRIu64 "..%" PRIu64 " prefixes, got %zu", f->min,
			 f->max, count);
		return -1;
	}
	if (count == 0)
		return 0;
	v = calloc(count, sizeof *v);
	if (!v)
		return oom(w, n->loc);
	for (size_t i = 0; i < count && !w->full; i++) {
		size_t mark = path_push(w, "[%zu]", i);

		if (prefix_item(w, n->v[i], &v[nv].p) == 0) {
			v[nv].loc = n->v[i]->loc;
			v[nv++].index = i;
		} else {
			rc = -1;
		}
		path_pop(w, mark);
	}
	arr = nv ? malloc(nv * sizeof *arr) : NULL;
	if (nv && !arr) {
		free(v);
		return oom(w, n->loc);
	}
	for (size_t i = 0; i < nv; i++)
		arr[i] = v[i].p;
	*(struct cfg_prefix **)at(obj, f->off) = arr;
	*(size_t *)at(obj, f->off2) = nv;
	if (nv)
		report_dup_prefixes(w, v, nv);
	free(v);
	return rc;
}

static void f_prefixes(const struct field *f, void *obj)
{
	struct cfg_prefix **arr = at(obj, f->off);

	free(*arr);
	*arr = NULL;
	*(size_t *)at(obj, f->off2) = 0;
}

/* One item of a scalar list (MACs, names) for the duplicate check: key is
 * the value's bytes, owned by the list being built. */
struct item_at {
	const void *key;
	size_t klen;
	struct loc loc;
	size_t index;
};

static int cmp_item_at(const void *a, const void *b)
{
	const struct item_at *x = a, *y = b;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->key, y->key, n);

	if (c)
		return c;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Sorts v (n > 0) and reports each repeat at the later item; show writes
 * an item's value for the message. */
static void report_dup_items(struct walk *w, struct item_at *v, size_t n, const char *noun,
			     void (*show)(const struct item_at *it, char *buf, size_t size))
{
	char text[QUOTE_LEN];

	qsort(v, n, sizeof *v, cmp_item_at);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (v[i].klen != v[first].klen || memcmp(v[i].key, v[first].key, v[i].klen) != 0) {
			first = i;
			continue;
		}
		show(&v[i], text, sizeof text);
		err_at(w, v[i].loc, "%s[%zu]: duplicate %s %s (first at line %u, %s[%zu])", w->path,
		       v[i].index, noun, text, v[first].loc.line, w->path, v[first].index);
	}
}

/* Sets *count to the items of a list field (a list, or null for none) and
 * checks it against f->min..f->max; what names the items in messages. */
static int list_count(struct walk *w, const struct field *f, const struct node *n,
		      const char *what, size_t *count)
{
	char expect[64];

	*count = 0;
	if (n->kind == N_BAD)
		return -1;
	if (n->kind == N_SEQ) {
		*count = n->n;
	} else if (!is_null(n)) {
		snprintf(expect, sizeof expect, "a list of %s", what);
		bad_value(w, n, expect);
		return -1;
	}
	if (*count < f->min || *count > f->max) {
		err_here(w, n->loc, "expected %" PRIu64 "..%" PRIu64 " %s, got %zu", f->min, f->max,
			 what, *count);
		return -1;
	}
	return 0;
}

/* One MAC address; the path names the item. */
static int mac_item(struct walk *w, const struct node *n, uint8_t mac[6])
{
	const char *expect = "a MAC address such as 02:00:00:00:00:01 or 02-00-00-00-00-01";
	char text[MAC_TEXT];

	if (!want_scalar(w, n, expect))
		return -1;
	if (memchr(n->s, '\0', n->len) || !parse_mac(n->s, n->len, mac)) {
		bad_value(w, n, expect);
		return -1;
	}
	if (mac[0] & 1) { /* IEEE 802 §8.2: a source address is always individual */
		format_mac(mac, text, sizeof text);
		err_here(w, n->loc, "%s is a group (multicast) address; a router's own MAC is unicast",
			 text);
		return -1;
	}
	return 0;
}

static void show_mac(const struct item_at *it, char *buf, size_t size)
{
	format_mac(it->key, buf, size);
}

/* A list of MAC addresses (scalars). off: uint8_t (*)[6] in document order;
 * off2: size_t count; min, max: items. Repeats are errors. */
static int p_macs(struct walk *w, struct frame *fr, const struct field *f, struct node *n,
		  void *obj)
{
	uint8_t(*arr)[6];
	struct item_at *v;
	size_t count, nv = 0;
	int rc = 0;

	(void)fr;
	if (list_count(w, f, n, "MAC addresses", &count) < 0)
		return -1;
	if (count == 0)
		return 0;
	arr = calloc(count, sizeof *arr);
	v = calloc(count, sizeof *v);
	if (!arr || !v) {
		free(arr);
		free(v);
		return oom(w, n->loc);
	}
	*(uint8_t(**)[6])at(obj, f->off) = arr;
	for (size_t i = 0; i < count && !w->full; i++) {
		size_t mark = path_push(w, "[%zu]", i);

		if (mac_item(w, n->v[i], arr[nv]) == 0) {
			v[nv] = (struct item_at){arr[nv], sizeof arr[nv], n->v[i]->loc, i};
			nv++;
		} else {
			rc = -1;
		}
		path_pop(w, mark);
	}
	*(size_t *)at(obj, f->off2) = nv;
	if (nv)
		report_dup_items(w, v, nv, "MAC address", show_mac);
	free(v);
	return rc;
}

static void f_macs(const struct field *f, void *obj)
{
	uint8_t(**arr)[6] = at(obj, f->off);

	free(*arr);
	*arr = NULL;
	*(size_t *)at(obj, f->off2) = 0;
}

/* One name; f->valid and f->expect are the item's rule. */
static int name_item(struct walk *w, const struct field *f, const struct node *n, char **out)
{
	if (!want_scalar(w, n, f->expect))
		return -1;
	if (memchr(n->s, '\0', n->len) || !f->valid(n->s, n->len)) {
		bad_value(w, n, f->expect);
		return -1;
	}
	*out = strdup(n->s);
	return *out ? 0 : oom(w, n->loc);
}

static void show_name(const struct item_at *it, char *buf, size_t size)
{
	quote(it->key, it->klen, buf, size);
}

/* A list of names (scalars). off: char ** in document order; off2: size_t
 * count; min, max: items; valid, expect: each item's rule. Repeats are
 * errors. */
static int p_names(struct walk *w, struct frame *fr, const struct field *f, struct node *n,
		   void *obj)
{
	struct item_at *v;
	char **arr;
	size_t count, nv = 0;
	int rc = 0;

	(void)fr;
	if (list_count(w, f, n, "names", &count) < 0)
		return -1;
	if (count == 0)
		return 0;
	arr = calloc(count, sizeof *arr);
	v = calloc(count, sizeof *v);
	if (!arr || !v) {
		free(arr);
		free(v);
		return oom(w, n->loc);
	}
	*(char ***)at(obj, f->off) = arr;
	for (size_t i = 0; i < count && !w->full; i++) {
		size_t mark = path_push(w, "[%zu]", i);

		if (name_item(w, f, n->v[i], &arr[nv]) == 0) {
			v[nv] = (struct item_at){arr[nv], strlen(arr[nv]), n->v[i]->loc, i};
			*(size_t *)at(obj, f->off2) = ++nv; /* f_names frees what is counted */
		} else {
			rc = -1;
		}
		path_pop(w, mark);
	}
	if (nv)
		report_dup_items(w, v, nv, "name", show_name);
	free(v);
	return rc;
}

static void f_names(const struct field *f, void *obj)
{
	char ***arr = at(obj, f->off);
	size_t *count = at(obj, f->off2);

	for (size_t i = 0; *arr && i < *count; i++)
		free((*arr)[i]);
	free(*arr);
	*arr = NULL;
	*count = 0;
}

static int p_section(struct walk *w, struct frame *fr, const struct field *f,
		     struct node *n, void *obj)
{
	return walk_section(w, fr, f->sub, at(obj, f->off), n, fr->loc);
}

static void f_section(const struct field *f, void *obj)
{
	free_section(f->sub, at(obj, f->off));
}

/* off: element array; off2: size_t count; sub: element section. */
static int p_list(struct walk *w, struct frame *fr, const struct field *f,
		  struct node *n, void *obj)
{
	size_t count = 0, size = f->sub->size;
	char *arr;
	int rc = 0;

	if (n->kind == N_BAD)
		return -1;
	if (n->kind == N_SEQ)
		count = n->n;
	else if (!is_null(n)) {
		bad_value(w, n, "a list");
		return -1;
	}
	if (count < f->min) {
		if (f->min == 1)
			err_here(w, n->loc, "needs at least one item");
		else
			err_here(w, n->loc, "needs at least %" PRIu64 " items", f->min);
		return -1;
	}
	if (count == 0)
		return 0;
	arr = calloc(count, size);
	if (!arr)
		return oom(w, n->loc);
	*(void **)at(obj, f->off) = arr;
	*(size_t *)at(obj, f->off2) = count;
	for (size_t i = 0; i < count && !w->full; i++) {
		size_t mark = path_push(w, "[%zu]", i);

		if (walk_section(w, fr, f->sub, arr + i * size, n->v[i], n->v[i]->loc) < 0)
			rc = -1;
		path_pop(w, mark);
	}
	return rc;
}

static void f_list(const struct field *f, void *obj)
{
	char **arr = at(obj, f->off);
	size_t *count = at(obj, f->off2);

	for (size_t i = 0; *arr && i < *count; i++)
		free_section(f->sub, *arr + i * f->sub->size);
	free(*arr);
	*arr = NULL;
	*count = 0;
}

static const struct ftype t_string = {p_string, f_string};
static const struct ftype t_uint = {p_uint, NULL};
static const struct ftype t_asn = {p_asn, NULL};
static const struct ftype t_bool = {p_bool, NULL};
static const struct ftype t_enum = {p_enum, NULL};
static const struct ftype t_duration = {p_duration, NULL};
static const struct ftype t_duration_ms = {p_duration_ms, NULL};
static const struct ftype t_bandwidth = {p_bandwidth, f_bandwidth};
static const struct ftype t_listen = {p_listen, f_listen};
static const struct ftype t_users = {p_users, f_pairs};
static const struct ftype t_section = {p_section, f_section};
static const struct ftype t_list = {p_list, f_list};
static const struct ftype t_prefixes = {p_prefixes, f_prefixes};
static const struct ftype t_macs = {p_macs, f_macs};
static const struct ftype t_names = {p_names, f_names};

#define M_SIZE(T, m) sizeof(((T *)0)->m)
#define FIELD_STRING(T, k, m, fl) \
	{.key = k, .type = &t_string, .flags = fl, .off = offsetof(T, m), .min = 1, .max = STRING_MAX}
#define FIELD_TEXT(T, k, m, fl, lo, hi, fn, exp)                                          \
	{.key = k, .type = &t_string, .flags = fl, .off = offsetof(T, m), .min = lo, .max = hi, \
	 .valid = fn, .expect = exp}
#define FIELD_INT(ty, T, k, m, fl, lo, hi) \
	{.key = k, .type = &ty, .flags = fl, .off = offsetof(T, m), .width = M_SIZE(T, m), \
	 .min = lo, .max = hi}
#define FIELD_UINT(T, k, m, fl, lo, hi) FIELD_INT(t_uint, T, k, m, fl, lo, hi)
#define FIELD_DURATION(T, k, m, fl, lo, hi) FIELD_INT(t_duration, T, k, m, fl, lo, hi)
#define FIELD_DURATION_MS(T, k, m, fl, lo, hi) FIELD_INT(t_duration_ms, T, k, m, fl, lo, hi)
#define FIELD_ASN(T, k, m, fl) FIELD_INT(t_asn, T, k, m, fl, 1, UINT32_MAX)
#define FIELD_BOOL(T, k, m, fl) FIELD_INT(t_bool, T, k, m, fl, 0, 1)
#define FIELD_ENUM(T, k, m, fl, nm) \
	{.key = k, .type = &t_enum, .flags = fl, .off = offsetof(T, m), .width = M_SIZE(T, m), \
	 .names = nm}
#define FIELD_PAIR(ty, T, k, m1, m2, fl, lo) \
	{.key = k, .type = &ty, .flags = fl, .off = offsetof(T, m1), .off2 = offsetof(T, m2), \
	 .min = lo}
#define FIELD_SECTION(T, k, m, fl, sec) \
	{.key = k, .type = &t_section, .flags = fl, .off = offsetof(T, m), .sub = &sec}
/* A mapping whose keys fill the parent's own object (sku, links, tls). */
#define FIELD_INLINE(k, fl, sec) {.key = k, .type = &t_section, .flags = fl, .sub = &sec}
#define FIELD_PREFIXES(T, k, arr, cnt, fl, lo, hi)                                  \
	{.key = k, .type = &t_prefixes, .flags = fl, .off = offsetof(T, arr),            \
	 .off2 = offsetof(T, cnt), .min = lo, .max = hi}
#define FIELD_MACS(T, k, arr, cnt, fl, lo, hi)                                      \
	{.key = k, .type = &t_macs, .flags = fl, .off = offsetof(T, arr),                \
	 .off2 = offsetof(T, cnt), .min = lo, .max = hi}
/* fn: the rule for one item (length included); exp: what an item must be. */
#define FIELD_NAMES(T, k, arr, cnt, fl, lo, hi, fn, exp)                            \
	{.key = k, .type = &t_names, .flags = fl, .off = offsetof(T, arr),               \
	 .off2 = offsetof(T, cnt), .min = lo, .max = hi, .valid = fn, .expect = exp}
#define FIELD_LIST(T, k, arr, cnt, fl, lo, sec)                                       \
	{.key = k, .type = &t_list, .flags = fl, .off = offsetof(T, arr),                \
	 .off2 = offsetof(T, cnt), .min = lo, .sub = &sec}

/* ---- cross-field rules ---------------------------------------------- */

static const struct section sec_circuit, sec_link, sec_root;

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

static void init_log(void *obj)
{
	struct cfg_log *l = obj;

	l->level = CFG_LOG_INFO;
	l->format = CFG_LOG_LOGFMT;
}

static void init_prometheus(void *obj)
{
	struct cfg_prometheus *p = obj;

	p->enabled = true;
	p->listen_port = 10179;
	p->max_connections = 256;
	p->max_connections_per_address = 8;
	p->request_timeout_s = 5;
	p->timeout_s = 10;
	p->max_series = PROM_SERIES_DEFAULT;
}

static void init_bmp(void *obj)
{
	struct cfg_bmp *b = obj;

	b->enabled = true;
	b->listen_port = BMP_PORT;
	b->max_message_size = BMP_MESSAGE_DEFAULT;
	b->max_routers = BMP_ROUTERS_DEFAULT;
	b->first_message_timeout_s = 30;
	b->message_timeout_s = 60;
	b->keepalive_s = 60;
	b->keepalive_interval_s = 10;
	b->keepalive_count = 6;
	b->buffer_budget = 0; /* resolved by check_bmp */
	b->max_peers_per_router = BMP_PEERS_DEFAULT;
	b->publish = CFG_BMP_PUBLISH_ALL;
	b->peer_retention_s = BMP_RETENTION_DEFAULT;
}

/* The partial-message budget must hold one message of the largest size,
 * else such a message could never be accepted. */
static void check_bmp_budget(struct walk *w, struct frame *fr)
{
	struct cfg_bmp *b = fr->obj;
	uint64_t four = 4ull * b->max_message_size;

	if (!fr_given(fr, "buffer_budget")) {
		b->buffer_budget = four > BMP_BUDGET_DEFAULT ? four : BMP_BUDGET_DEFAULT;
		return;
	}
	if (fr_ok(fr, "buffer_budget") &&
	    (!fr_given(fr, "max_message_size") || fr_ok(fr, "max_message_size")) &&
	    b->buffer_budget < b->max_message_size)
		err_key(w, fr, "buffer_budget",
			"%" PRIu64 " is below bmp.max_message_size (%u): a message of that size "
			"could never be buffered", b->buffer_budget, (unsigned)b->max_message_size);
}

/* Two listeners on one port would fail at bind(); say so when checking.
 * prometheus is walked before bmp (table order). */
static void check_bmp(struct walk *w, struct frame *fr)
{
	const struct cfg_bmp *b = fr->obj;
	const struct cfg_prometheus *p;
	const struct node *n;

	check_bmp_budget(w, fr);
	if (!fr->parent || !fr_ok(fr->parent, "prometheus") ||
	    (fr_given(fr, "listen") && !fr_ok(fr, "listen")) ||
	    (fr_given(fr, "enabled") && !fr_ok(fr, "enabled")))
		return;
	p = &((const struct cfg_config *)fr->parent->obj)->prometheus;
	if (!b->enabled || !p->enabled || b->listen_port != p->listen_port)
		return;
	if (b->listen_host && p->listen_host && strcmp(b->listen_host, p->listen_host) != 0)
		return;
	if (fr_given(fr, "listen")) {
		err_key(w, fr, "listen",
			"port %u is already used by prometheus.listen; give one of them another port",
			(unsigned)b->listen_port);
		return;
	}
	/* bmp.listen is the default, so prometheus.listen was given: point there */
	n = map_get(map_get(fr->parent->map, "prometheus"), "listen");
	err_at(w, n ? n->loc : fr->loc,
	       "prometheus.listen: port %u is already used by bmp.listen (its default); "
	       "give one of them another port", (unsigned)p->listen_port);
}

static void init_capture(void *obj)
{
	struct cfg_capture *c = obj;

	c->enabled = false;
	c->snaplen = CAPTURE_SNAPLEN_DEFAULT;
	c->promiscuous = true;
	c->buffer_size = CAPTURE_BUFFER_DEFAULT;
	c->immediate = true;
	c->bgp_port = CAPTURE_BGP_PORT;
	c->max_flows = CAPTURE_FLOWS_DEFAULT;
	c->max_reassembly_bytes = CAPTURE_REASM_DEFAULT;
}

/* One source: live interfaces or a file, never both; enabled needs one.
 * An empty interfaces list counts as none. Keys already reported as bad
 * are not blamed again. */
static void check_capture(struct walk *w, struct frame *fr)
{
	const struct cfg_capture *c = fr->obj;
	bool ifs = fr_ok(fr, "interfaces") && c->ninterfaces > 0, file = fr_ok(fr, "file");

	if (ifs && file) {
		err_here(w, fr->loc, "give either \"interfaces\" or \"file\", not both");
		return;
	}
	if (!c->enabled || ifs || file || (fr_given(fr, "interfaces") && !fr_ok(fr, "interfaces")) ||
	    (fr_given(fr, "file") && !fr_ok(fr, "file")))
		return;
	err_here(w, fr->loc, "enabled needs a source: give \"interfaces\" (a non-empty list) "
		 "or \"file\"");
}

/* ---- probes and interface counters (issue 5) ------------------------ */

#define PROBE_INTERVAL_DEFAULT 1000u /* ms */
#define PROBE_TIMEOUT_DEFAULT 2000u  /* ms, or the interval when shorter */
#define PROBE_ICMP_SIZE_DEFAULT 56u  /* ping(8)'s default payload */
#define PROBE_ICMP_SIZE_MIN 16u      /* room for our identifier and timestamp */
#define PROBE_STAMP_SIZE_MIN 44u     /* RFC 8762 §4.2.1: unauthenticated packet */
#define PROBE_SIZE_MAX 1472u         /* one 1500-byte IPv4 packet of UDP/ICMP payload */
#define PROBE_STAMP_PORT 862u        /* RFC 8762 §4.1 */
#define IFSTATS_INTERVAL_DEFAULT 10000u /* ms */
#define IFSTATS_IFACES_MAX 4096      /* ifstats.interfaces */
#define PROBES_LOSS_WINDOW_DEFAULT 100u
#define PROBES_SPREAD_DEFAULT 10u    /* percent */

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

static void init_ifstats(void *obj)
{
	struct cfg_ifstats *c = obj;

	c->enabled = true;
	c->interval_ms = IFSTATS_INTERVAL_DEFAULT;
}

static void init_probes(void *obj)
{
	struct cfg_probes *c = obj;

	c->enabled = true;
	c->icmp_socket = CFG_ICMP_AUTO;
	c->loss_window = PROBES_LOSS_WINDOW_DEFAULT;
	c->spread_percent = PROBES_SPREAD_DEFAULT;
}

/* ---- billing (issue 6) ---------------------------------------------- */

#define BILLING_STATE_DIR "/var/lib/circuitwatch"
#define BILLING_PERSIST_DEFAULT 60u     /* seconds */
#define BILLING_RECENT_DEFAULT 3600u    /* seconds */
#define AMOUNT_MAX 1e12                 /* any price or budget, in its currency */
#define RATIO_MAX 100.0                 /* budget thresholds */
#define VOLUME_MAX_BYTES (UINT64_MAX / 2)

static const char *const unit_names[] = {
	[CFG_UNIT_GB] = "GB", [CFG_UNIT_GIB] = "GiB", NULL,
};
static const char *const bill_source_names[] = {
	[CFG_BILL_SOURCE_INTERFACES] = "interfaces", [CFG_BILL_SOURCE_CAPTURE] = "capture", NULL,
};
_Static_assert(sizeof(enum cfg_bill_unit) == sizeof(uint32_t), "enum width");
_Static_assert(sizeof(enum cfg_bill_source) == sizeof(uint32_t), "enum width");

const char *cfg_bill_source_name(enum cfg_bill_source s)
{
	return enum_name(bill_source_names, ARRAY_LEN(bill_source_names) - 1, s);
}

const struct cfg_plan *cfg_plan_find(const struct cfg_config *cfg, const char *name)
{
	for (size_t i = 0; cfg && name && i < cfg->billing.nplans; i++)
		if (cfg->billing.plans[i].name && strcmp(cfg->billing.plans[i].name, name) == 0)
			return &cfg->billing.plans[i];
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

/* A plain decimal: DIGITS[.DIGITS], no sign or exponent (money, ratios). */
static bool parse_decimal(const char *s, size_t len, double *out)
{
	size_t ni = count_digits(s, len), nf = 0;
	char buf[40];

	if (ni == 0 || ni > 15)
		return false;
	if (ni < len) {
		if (s[ni] != '.')
			return false;
		nf = count_digits(s + ni + 1, len - ni - 1);
		if (nf == 0 || nf > 12 || ni + 1 + nf != len)
			return false;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	*out = strtod(buf, NULL);
	return true;
}

/* off: double; min/max unused (amounts are 0..AMOUNT_MAX). */
static int p_amount(struct walk *w, struct frame *fr, const struct field *f, struct node *n,
		    void *obj)
{
	const char *expect = "an amount such as 436 or 0.025 (no sign, no exponent)";
	double v;

	(void)fr;
	if (!want_scalar(w, n, expect))
		return -1;
	if (!parse_decimal(n->s, n->len, &v) || v > AMOUNT_MAX) {
		bad_value(w, n, expect);
		return -1;
	}
	*(double *)at(obj, f->off) = v;
	return 0;
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
	for (size_t i = 0; i < count && !w->full; i++) {
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

static void f_volume(const struct field *f, void *obj)
{
	char **s = at(obj, f->off2);

	free(*s);
	*s = NULL;
}

static const struct ftype t_amount = {p_amount, NULL};
static const struct ftype t_volume = {p_volume, f_volume};
static const struct ftype t_clock = {p_clock, NULL};
static const struct ftype t_ratios = {p_ratios, NULL};

#define FIELD_AMOUNT(T, k, m, fl) {.key = k, .type = &t_amount, .flags = fl, .off = offsetof(T, m)}

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
			       w->path, i);
		else if (!last && !t->up_to_text)
			err_at(w, it->loc, "%s.tiers[%zu]: needs up_to (only the last tier has none)",
			       w->path, i);
		else if (!last && i > 0 && t->up_to_bytes <= z->tiers[i - 1].up_to_bytes)
			err_at(w, it->loc, "%s.tiers[%zu]: up_to must be more than the tier before's",
			       w->path, i);
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

/* plans_file relative to the config file's directory (a buffer: as is). */
static char *plans_path(const struct walk *w, const char *given)
{
	const char *slash = strrchr(w->file, '/');
	size_t dlen = slash ? (size_t)(slash - w->file) + 1 : 0;
	char *p;

	if (given[0] == '/' || !slash)
		return strdup(given);
	p = malloc(dlen + strlen(given) + 1);
	if (p) {
		memcpy(p, w->file, dlen);
		strcpy(p + dlen, given);
	}
	return p;
}

static char *read_file(struct walk *w, const char *path, size_t *len);

/* Walks plans_file's plans (errors carry its name) and appends them to b. */
static void load_plans_file(struct walk *w, struct frame *fr, struct cfg_billing *b)
{
	struct cfg_billing extra = {0};
	struct node *root = NULL;
	char *path = plans_path(w, b->plans_file), *buf = NULL, saved[PATH_LEN];
	size_t len = 0, plen = w->plen;
	struct cfg_plan *all;

	w->file2 = strdup(b->plans_file);
	if (!path || !w->file2) {
		oom(w, fr->loc);
		goto out;
	}
	w->cur_file = 1;
	memcpy(saved, w->path, sizeof saved);
	path_pop(w, 0);
	if ((buf = read_file(w, path, &len)) && load_tree(w, buf, len, &root) == 0)
		walk_section(w, fr, &sec_plans_file, &extra, root, (struct loc){1, 1, 1});
	w->cur_file = 0;
	memcpy(w->path, saved, sizeof saved);
	w->plen = plen;
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
	node_free(root);
	free(buf);
	free(path);
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

static void init_circuit_billing(void *obj)
{
	struct cfg_circuit_billing *cb = obj;

	cb->cycle_day = 1;
	cb->nthresholds = 3;
	cb->thresholds[0] = 0.5;
	cb->thresholds[1] = 0.8;
	cb->thresholds[2] = 1.0;
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

static bool circuit_has_interface(const struct cfg_circuit *c)
{
	for (int l = 0; l < CFG_LINK_COUNT; l++)
		if (c->links[l].present && c->links[l].interface)
			return true;
	return false;
}

/* The circuit's plan and alternatives exist and fit; the source can meter. */
static void check_circuit_plans(struct walk *w, struct frame *fr, const struct frame *cf,
				const struct cfg_config *cfg)
{
	struct cfg_circuit *c = cf->obj;
	struct cfg_circuit_billing *cb = fr->obj;
	const struct cfg_plan *main = cfg_plan_find(cfg, c->billing_plan), *p;

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
		if (!(p = cfg_plan_find(cfg, cb->alternatives[i])))
			err_key(w, fr, "alternatives", "no billing plan \"%s\"", cb->alternatives[i]);
		else if (p == main)
			err_key(w, fr, "alternatives", "\"%s\" is the circuit's own plan", p->name);
		else
			check_plan_fits(w, fr, "alternatives", c, p, main);
	}
	if (!circuit_has_interface(c))
		err_here(w, fr->loc, "metering needs a link interface (interface counters or "
			 "capture on it)");
	else if (cb->source == CFG_BILL_SOURCE_CAPTURE && !cfg->capture.enabled)
		err_key(w, fr, "source", "source capture needs capture.enabled: true");
}

static void check_circuit_billing(struct walk *w, struct frame *fr)
{
	struct cfg_circuit_billing *cb = fr->obj;
	const struct frame *cf = fr_up(fr, &sec_circuit), *rf = fr_up(fr, &sec_root);
	const struct cfg_config *cfg = rf ? rf->obj : NULL;

	if (!cb->timezone && !(cb->timezone = strdup("UTC"))) {
		oom(w, fr->loc);
		return;
	}
	if (!cf || !cfg)
		return;
	if (!fr_given(fr, "source"))
		cb->source = CFG_BILL_SOURCE_INTERFACES;
	if (fr_given(fr, "budget"))
		cb->has_budget = true;
	if (cfg->billing.nplans == 0) {
		/* no plans: billing_plan is a label only, as before issue 6 */
		if (fr->map)
			err_here(w, fr->loc, "no billing plans are declared (billing.plans or "
				 "billing.plans_file)");
		return;
	}
	if ((fr_given(fr, "alternatives") && !fr_ok(fr, "alternatives")) ||
	    (fr_given(fr, "zone") && !fr_ok(fr, "zone")) || !fr_ok(cf, "bandwidth"))
		return;
	check_circuit_plans(w, fr, cf, cfg);
}

static const struct field billing_fields[] = {
	FIELD_BOOL(struct cfg_billing, "enabled", enabled, 0),
	FIELD_STRING(struct cfg_billing, "state_dir", state_dir, 0),
	FIELD_DURATION(struct cfg_billing, "persist_interval", persist_interval_s, 0, 1, 3600),
	FIELD_DURATION(struct cfg_billing, "recent_window", recent_window_s, 0, 60, 86400),
	FIELD_STRING(struct cfg_billing, "plans_file", plans_file, 0),
	FIELD_LIST(struct cfg_billing, "plans", plans, nplans, 0, 0, sec_plan),
};
DEFINE_SECTION(sec_billing, billing_fields, struct cfg_billing, init_billing, check_billing);

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

/* ---- the schema ----------------------------------------------------- */

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

static const struct field log_fields[] = {
	FIELD_ENUM(struct cfg_log, "level", level, 0, log_level_names),
	FIELD_ENUM(struct cfg_log, "format", format, 0, log_format_names),
};
DEFINE_SECTION(sec_log, log_fields, struct cfg_log, init_log, NULL);

/* A login name as useradd(8) accepts it (no leading '-': it would read as an option). */
static bool valid_user(const char *s, size_t len)
{
	return len > 0 && s[0] != '-' && valid_id(s, len);
}

static const struct field daemon_fields[] = {
	FIELD_TEXT(struct cfg_daemon, "user", user, 0, 1, CFG_USER_MAX, valid_user,
		   "a user name of 1..32 characters from A-Z a-z 0-9 . _ - (not starting with -)"),
};
DEFINE_SECTION(sec_daemon, daemon_fields, struct cfg_daemon, NULL, NULL);

static const struct field tls_fields[] = {
	FIELD_STRING(struct cfg_prometheus, "cert_file", tls_cert_file, F_REQUIRED),
	FIELD_STRING(struct cfg_prometheus, "key_file", tls_key_file, F_REQUIRED),
};
DEFINE_SECTION(sec_tls, tls_fields, struct cfg_prometheus, NULL, NULL);

static const struct field basic_auth_fields[] = {
	FIELD_PAIR(t_users, struct cfg_prometheus, "users", users, nusers, F_REQUIRED, 1),
};
DEFINE_SECTION(sec_basic_auth, basic_auth_fields, struct cfg_prometheus, NULL, NULL);

static const struct field prometheus_fields[] = {
	FIELD_BOOL(struct cfg_prometheus, "enabled", enabled, 0),
	FIELD_PAIR(t_listen, struct cfg_prometheus, "listen", listen_host, listen_port, 0, 0),
	FIELD_INLINE("tls", 0, sec_tls),
	FIELD_INLINE("basic_auth", 0, sec_basic_auth),
	FIELD_UINT(struct cfg_prometheus, "max_connections", max_connections, 0, 1, 10000),
	FIELD_UINT(struct cfg_prometheus, "max_connections_per_address",
		   max_connections_per_address, 0, 1, 10000),
	FIELD_DURATION(struct cfg_prometheus, "request_timeout", request_timeout_s, 0, 1, 3600),
	FIELD_DURATION(struct cfg_prometheus, "timeout", timeout_s, 0, 1, 3600),
	FIELD_UINT(struct cfg_prometheus, "max_series", max_series, 0, 1000, 10000000),
};
DEFINE_SECTION(sec_prometheus, prometheus_fields, struct cfg_prometheus, init_prometheus,
	       NULL);

static const struct field bmp_fields[] = {
	FIELD_BOOL(struct cfg_bmp, "enabled", enabled, 0),
	FIELD_PAIR(t_listen, struct cfg_bmp, "listen", listen_host, listen_port, 0, 0),
	FIELD_PREFIXES(struct cfg_bmp, "allow", allow, nallow, 0, 0, CFG_ALLOW_MAX),
	FIELD_UINT(struct cfg_bmp, "max_message_size", max_message_size, 0, BMP_MESSAGE_MIN,
		   BMP_MESSAGE_MAX),
	FIELD_UINT(struct cfg_bmp, "max_routers", max_routers, 0, 1, 65535),
	FIELD_DURATION(struct cfg_bmp, "first_message_timeout", first_message_timeout_s, 0, 1, 3600),
	FIELD_DURATION(struct cfg_bmp, "message_timeout", message_timeout_s, 0, 1, 3600),
	FIELD_DURATION(struct cfg_bmp, "keepalive", keepalive_s, 0, 1, 7200),
	FIELD_DURATION(struct cfg_bmp, "keepalive_interval", keepalive_interval_s, 0, 1, 600),
	FIELD_UINT(struct cfg_bmp, "keepalive_count", keepalive_count, 0, 1, 127),
	FIELD_UINT(struct cfg_bmp, "buffer_budget", buffer_budget, 0, BMP_MESSAGE_MIN, BMP_BUDGET_MAX),
	/* peers: the cap, per-peer series, and what a gone router leaves */
	FIELD_UINT(struct cfg_bmp, "max_peers_per_router", max_peers_per_router, 0, 1, 65535),
	FIELD_ENUM(struct cfg_bmp, "publish", publish, 0, bmp_publish_names),
	FIELD_DURATION(struct cfg_bmp, "peer_retention", peer_retention_s, 0, 0, 86400),
};
DEFINE_SECTION(sec_bmp, bmp_fields, struct cfg_bmp, init_bmp, check_bmp);

static const struct field capture_fields[] = {
	FIELD_BOOL(struct cfg_capture, "enabled", enabled, 0),
	FIELD_NAMES(struct cfg_capture, "interfaces", interfaces, ninterfaces, 0, 0,
		    CAPTURE_IFACES_MAX, valid_ifname_item,
		    "an interface name of 1..15 characters without '/', ':' or whitespace"),
	FIELD_STRING(struct cfg_capture, "file", file, 0),
	FIELD_UINT(struct cfg_capture, "snaplen", snaplen, 0, CAPTURE_SNAPLEN_MIN,
		   CAPTURE_SNAPLEN_MAX),
	FIELD_BOOL(struct cfg_capture, "promiscuous", promiscuous, 0),
	FIELD_UINT(struct cfg_capture, "buffer_size", buffer_size, 0, CAPTURE_BUFFER_MIN,
		   CAPTURE_BUFFER_MAX),
	FIELD_BOOL(struct cfg_capture, "immediate", immediate, 0),
	FIELD_STRING(struct cfg_capture, "filter", filter, 0),
	FIELD_MACS(struct cfg_capture, "local_macs", local_macs, nlocal_macs, 0, 0,
		   CAPTURE_MACS_MAX),
	FIELD_PREFIXES(struct cfg_capture, "local_prefixes", local_prefixes, nlocal_prefixes, 0,
		       0, CAPTURE_PREFIXES_MAX),
	FIELD_UINT(struct cfg_capture, "bgp_port", bgp_port, 0, 1, 65535),
	FIELD_UINT(struct cfg_capture, "max_flows", max_flows, 0, CAPTURE_FLOWS_MIN,
		   CAPTURE_FLOWS_MAX),
	FIELD_UINT(struct cfg_capture, "max_reassembly_bytes", max_reassembly_bytes, 0,
		   CAPTURE_REASM_MIN, CAPTURE_REASM_MAX),
};
DEFINE_SECTION(sec_capture, capture_fields, struct cfg_capture, init_capture, check_capture);

static const struct field ifstats_fields[] = {
	FIELD_BOOL(struct cfg_ifstats, "enabled", enabled, 0),
	FIELD_DURATION_MS(struct cfg_ifstats, "interval", interval_ms, 0, 1000, 300000),
	FIELD_NAMES(struct cfg_ifstats, "interfaces", interfaces, ninterfaces, 0, 0,
		    IFSTATS_IFACES_MAX, valid_ifname_item,
		    "an interface name of 1..15 characters without '/', ':' or whitespace"),
};
DEFINE_SECTION(sec_ifstats, ifstats_fields, struct cfg_ifstats, init_ifstats, NULL);

static const struct field probes_fields[] = {
	FIELD_BOOL(struct cfg_probes, "enabled", enabled, 0),
	FIELD_ENUM(struct cfg_probes, "icmp_socket", icmp_socket, 0, icmp_socket_names),
	FIELD_UINT(struct cfg_probes, "loss_window", loss_window, 0, 10, 100000),
	FIELD_UINT(struct cfg_probes, "spread", spread_percent, 0, 0, 50),
};
DEFINE_SECTION(sec_probes, probes_fields, struct cfg_probes, init_probes, NULL);

/* ---- alert rules (issue 7) ------------------------------------------ */

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
DEFINE_SECTION(sec_alerts, alerts_fields, struct cfg_alerts, init_alerts, NULL);

/* ---- Kafka exporter (issue 7) -------------------------------------- */

#define KAFKA_SPOOL_DIR_DEFAULT "/var/lib/circuitwatch/kafka-spool"
#define KAFKA_SPOOL_MAX_DEFAULT (1ull << 30)
#define KAFKA_SPOOL_MIN (64u * 1024u)   /* the spool's own minimum */
#define KAFKA_SPOOL_MAX (1ull << 44)
#define KAFKA_QUEUE_DEFAULT 100000u
#define KAFKA_QUEUE_MAX 10000000u
#define KAFKA_TOPIC_MAX 249             /* Kafka's limit on topic names */
#define KAFKA_PROP_MAX 4096             /* a librdkafka property value */

static const char *const kafka_encoding_names[] = {"protobuf", "json", NULL};
static const char *const kafka_compression_names[] = {"none", "gzip", "snappy", "lz4", "zstd",
						      NULL};

const char *cfg_kafka_compression_name(enum cfg_kafka_compression c)
{
	return enum_name(kafka_compression_names, ARRAY_LEN(kafka_compression_names) - 1, c);
}

static bool kafka_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* host:port, the host a name or an address ([v6] in brackets). */
static bool valid_broker(const char *s, size_t len)
{
	const char *colon = memrchr(s, ':', len);
	uint64_t port;

	if (colon == NULL || colon == s || !parse_dec(colon + 1, len - (size_t)(colon + 1 - s), &port) ||
	    port < 1 || port > 65535)
		return false;
	for (const char *p = s; p < colon; p++)
		if (!(kafka_alnum(*p) || strchr(".-_:[]", *p) != NULL))
			return false;
	return true;
}

/* Kafka topic names: [a-zA-Z0-9._-]{1,249}. */
static bool valid_topic(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!(kafka_alnum(s[i]) || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return len > 0 && len <= KAFKA_TOPIC_MAX;
}

/* A property name and a scalar value; the value may be empty. */
static int check_kv(struct walk *w, const struct node *k, const struct node *v)
{
	if (k->len == 0 || memchr(k->s, '\0', k->len))
		return -1;
	if (v->kind != N_SCALAR || v->len > KAFKA_PROP_MAX || memchr(v->s, '\0', v->len)) {
		bad_value(w, v, "a scalar value");
		return -1;
	}
	return 0;
}

/* A free-form mapping of librdkafka property -> value (scalars; numbers and
 * booleans as written). librdkafka itself checks names and values when the
 * exporter starts. */
static int p_kv(struct walk *w, struct frame *fr, const struct field *f, struct node *n,
		void *obj)
{
	(void)fr;
	return p_pairs(w, f, n, obj, "a mapping of librdkafka property to value", "property",
		       check_kv);
}

static const struct ftype t_kv = {p_kv, f_pairs};

static void init_kafka(void *obj)
{
	struct cfg_kafka *c = obj;

	c->encoding = CFG_KAFKA_PROTOBUF;
	c->compression = CFG_KAFKA_LZ4;
	c->spool_max_bytes = KAFKA_SPOOL_MAX_DEFAULT;
	c->queue_max_messages = KAFKA_QUEUE_DEFAULT;
}

static int kafka_default(struct walk *w, struct frame *fr, char **s, const char *def)
{
	if (*s == NULL && (*s = strdup(def)) == NULL)
		return oom(w, fr->loc);
	return 0;
}

/* enabled needs brokers; the strings get their defaults. */
static void check_kafka(struct walk *w, struct frame *fr)
{
	struct cfg_kafka *c = fr->obj;

	if (c->enabled && c->nbrokers == 0 && !(fr_given(fr, "brokers") && !fr_ok(fr, "brokers")))
		err_here(w, fr->loc, "enabled needs \"brokers\" (a non-empty list of host:port)");
	if (kafka_default(w, fr, &c->topic_events, "circuitwatch.events") != 0 ||
	    kafka_default(w, fr, &c->topic_alerts, "circuitwatch.alerts") != 0 ||
	    kafka_default(w, fr, &c->spool_dir, KAFKA_SPOOL_DIR_DEFAULT) != 0)
		return;
	(void)kafka_default(w, fr, &c->client_id, "circuitwatch");
}

static const struct field kafka_fields[] = {
	FIELD_BOOL(struct cfg_kafka, "enabled", enabled, 0),
	FIELD_NAMES(struct cfg_kafka, "brokers", brokers, nbrokers, 0, 0, CFG_KAFKA_BROKERS_MAX,
		    valid_broker, "host:port (a name or an address, [IPv6] in brackets)"),
	FIELD_TEXT(struct cfg_kafka, "topic_events", topic_events, 0, 1, KAFKA_TOPIC_MAX,
		   valid_topic, "a Kafka topic name ([a-zA-Z0-9._-], 1..249 characters)"),
	FIELD_TEXT(struct cfg_kafka, "topic_alerts", topic_alerts, 0, 1, KAFKA_TOPIC_MAX,
		   valid_topic, "a Kafka topic name ([a-zA-Z0-9._-], 1..249 characters)"),
	FIELD_ENUM(struct cfg_kafka, "encoding", encoding, 0, kafka_encoding_names),
	FIELD_ENUM(struct cfg_kafka, "compression", compression, 0, kafka_compression_names),
	FIELD_STRING(struct cfg_kafka, "spool_dir", spool_dir, 0),
	FIELD_UINT(struct cfg_kafka, "spool_max_bytes", spool_max_bytes, 0, KAFKA_SPOOL_MIN,
		   KAFKA_SPOOL_MAX),
	FIELD_UINT(struct cfg_kafka, "queue_max_messages", queue_max_messages, 0, 1,
		   KAFKA_QUEUE_MAX),
	FIELD_STRING(struct cfg_kafka, "client_id", client_id, 0),
	{.key = "librdkafka", .type = &t_kv, .off = offsetof(struct cfg_kafka, librdkafka),
	 .off2 = offsetof(struct cfg_kafka, nlibrdkafka), .max = CFG_KAFKA_PROPS_MAX},
};
DEFINE_SECTION(sec_kafka, kafka_fields, struct cfg_kafka, init_kafka, check_kafka);

static const struct field root_fields[] = {
	FIELD_SECTION(struct cfg_config, "log", log, F_DEFAULT_EMPTY, sec_log),
	FIELD_SECTION(struct cfg_config, "prometheus", prometheus, F_DEFAULT_EMPTY,
		      sec_prometheus),
	FIELD_SECTION(struct cfg_config, "bmp", bmp, F_DEFAULT_EMPTY, sec_bmp),
	FIELD_SECTION(struct cfg_config, "capture", capture, F_DEFAULT_EMPTY, sec_capture),
	FIELD_SECTION(struct cfg_config, "ifstats", ifstats, F_DEFAULT_EMPTY, sec_ifstats),
	FIELD_SECTION(struct cfg_config, "probes", probes, F_DEFAULT_EMPTY, sec_probes),
	/* before circuits: a circuit's billing checks its plans */
	FIELD_SECTION(struct cfg_config, "billing", billing, F_DEFAULT_EMPTY, sec_billing),
	FIELD_LIST(struct cfg_config, "circuits", circuits, ncircuits, 0, 0, sec_circuit),
	FIELD_SECTION(struct cfg_config, "alerts", alerts, F_DEFAULT_EMPTY, sec_alerts),
	FIELD_SECTION(struct cfg_config, "kafka", kafka, F_DEFAULT_EMPTY, sec_kafka),
	FIELD_SECTION(struct cfg_config, "daemon", daemon, F_DEFAULT_EMPTY, sec_daemon),
};
DEFINE_SECTION(sec_root, root_fields, struct cfg_config, NULL, NULL);

/* ---- public API ----------------------------------------------------- */

bool cfg_prefix_contains(const struct cfg_prefix *p, int family, const uint8_t *addr)
{
	unsigned bits = prefix_bits(family), full, rest;

	if (!p || !addr || !bits || p->family != family || p->len > bits)
		return false;
	full = p->len / 8u;
	rest = p->len % 8u;
	if (memcmp(p->addr, addr, full) != 0)
		return false;
	return rest == 0 || ((p->addr[full] ^ addr[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

void cfg_free(struct cfg_config *cfg)
{
	if (!cfg)
		return;
	free_section(&sec_root, cfg);
	free(cfg->path);
	free(cfg);
}

static int cmp_werr(const void *a, const void *b)
{
	const struct werr *x = a, *y = b;

	if (x->loc.file != y->loc.file)
		return x->loc.file < y->loc.file ? -1 : 1;
	if (x->loc.line != y->loc.line)
		return x->loc.line < y->loc.line ? -1 : 1;
	if (x->loc.column != y->loc.column)
		return x->loc.column < y->loc.column ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Moves the sorted errors to the caller's list. */
static void export_errors(struct walk *w, struct cfg_errors *errs)
{
	if (w->nerrs)
		qsort(w->errs, w->nerrs, sizeof *w->errs, cmp_werr);
	if (w->oom) {
		record(w, (struct loc){0, 0, 0}, "out of memory; some errors may be missing");
	} else if (w->full) { /* the slot kept for this note */
		char msg[64];

		snprintf(msg, sizeof msg, "too many errors; stopped after %d", CFG_MAX_ERRORS - 1);
		record(w, (struct loc){0, 0, 0}, msg);
	}
	for (size_t i = 0; i < w->nerrs; i++) {
		struct cfg_error *v = errs ? realloc(errs->v, (errs->n + 1) * sizeof *v) : NULL;
		const char *name = w->errs[i].loc.file && w->file2 ? w->file2 : w->file;
		char *file = v ? strdup(name) : NULL;

		if (!file) {
			if (v)
				errs->v = v;
			free(w->errs[i].message);
			continue;
		}
		errs->v = v;
		v[errs->n++] = (struct cfg_error){file, w->errs[i].loc.line,
						 w->errs[i].loc.column, w->errs[i].message};
	}
	free(w->errs);
	w->errs = NULL;
	w->nerrs = 0;
}

static void walk_clean(struct walk *w)
{
	for (size_t i = 0; i < w->nuniq; i++) {
		free(w->uniq[i].key);
		free(w->uniq[i].desc);
		free(w->uniq[i].path);
	}
	free(w->uniq);
	free(w->file2);
	for (size_t i = 0; i < w->nerrs; i++)
		free(w->errs[i].message);
	free(w->errs);
}

static struct cfg_config *parse(struct walk *w, const char *buf, size_t len)
{
	struct node *root = NULL;
	struct cfg_config *cfg;

	if (len > CFG_MAX_FILE_BYTES) {
		err_at(w, (struct loc){0, 0, 0}, "file is too large (%zu bytes; the limit is %u)", len,
		       CFG_MAX_FILE_BYTES);
		return NULL;
	}
	if (load_tree(w, buf ? buf : "", buf ? len : 0, &root) < 0)
		return NULL;
	cfg = calloc(1, sizeof *cfg);
	if (cfg)
		cfg->path = strdup(w->file);
	if (!cfg || !cfg->path) {
		oom(w, (struct loc){0, 0, 0});
	} else {
		walk_section(w, NULL, &sec_root, cfg, root, (struct loc){1, 1, 0});
		uniq_report(w);
	}
	node_free(root);
	return cfg;
}

/* Ends a load: on any error nothing half-built escapes. */
static int finish(struct walk *w, struct cfg_config *cfg, struct cfg_config **out,
		  struct cfg_errors *errs)
{
	int rc = 0;

	if (w->count > 0 || w->oom || !cfg) {
		cfg_free(cfg);
		cfg = NULL;
		rc = -1;
	}
	export_errors(w, errs);
	walk_clean(w);
	if (out)
		*out = cfg;
	else
		cfg_free(cfg);
	return rc;
}

int cfg_load_buffer(const char *name, const char *buf, size_t len,
		    struct cfg_config **out, struct cfg_errors *errs)
{
	struct walk w = {.file = name ? name : "<buffer>"};

	return finish(&w, parse(&w, buf, len), out, errs);
}

/* The whole file, when it is a regular one of at most CFG_MAX_FILE_BYTES:
 * a FIFO or a device is refused at once (it could block us or never end). */
static char *read_file(struct walk *w, const char *path, size_t *len)
{
	int err = 0;
	char *buf = cw_read_regular(path, CFG_MAX_FILE_BYTES, len, &err);

	if (buf)
		return buf;
	if (err == EFBIG && *len > CFG_MAX_FILE_BYTES)
		err_at(w, (struct loc){0, 0, 0}, "file is too large (%zu bytes; the limit is %u)",
		       *len, CFG_MAX_FILE_BYTES);
	else if (err == EFBIG)
		err_at(w, (struct loc){0, 0, 0}, "file is too large (more than %u bytes)",
		       CFG_MAX_FILE_BYTES);
	else if (err == ENOMEM)
		oom(w, (struct loc){0, 0, 0});
	else if (err < 0)
		err_at(w, (struct loc){0, 0, 0}, "%s", cw_read_error(err));
	else
		err_at(w, (struct loc){0, 0, 0}, "cannot open: %s", cw_read_error(err));
	return NULL;
}

int cfg_load_file(const char *path, struct cfg_config **out, struct cfg_errors *errs)
{
	struct walk w = {.file = path ? path : "<config>"};
	struct cfg_config *cfg = NULL;
	size_t len = 0;
	char *buf = path ? read_file(&w, path, &len) : NULL;

	if (!path)
		err_at(&w, (struct loc){0, 0, 0}, "no config file given");
	if (buf)
		cfg = parse(&w, buf, len);
	free(buf);
	return finish(&w, cfg, out, errs);
}

void cfg_errors_print(const struct cfg_errors *errs, FILE *fp)
{
	for (size_t i = 0; errs && i < errs->n; i++) {
		const struct cfg_error *e = &errs->v[i];
		const char *file = e->file ? e->file : "<config>";
		const char *msg = e->message ? e->message : "";

		if (e->line == 0)
			fprintf(fp, "%s: %s\n", file, msg);
		else
			fprintf(fp, "%s:%u:%u: %s\n", file, e->line, e->column, msg);
	}
}

void cfg_errors_clean(struct cfg_errors *errs)
{
	if (!errs)
		return;
	for (size_t i = 0; i < errs->n; i++) {
		free(errs->v[i].file);
		free(errs->v[i].message);
	}
	free(errs->v);
	errs->v = NULL;
	errs->n = 0;
}
