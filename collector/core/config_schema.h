/* config_schema.h — for section authors: how a module declares its part of
 * the YAML configuration to core's table-driven engine (config.c).
 *
 * A section is a table of fields {key, type, flags, offsets, limits} over
 * the module's own struct, DEFINE_SECTION'd with an init (static defaults,
 * before the keys), a check (rules across its fields, after its keys) and,
 * for a top-level section, a finish hook (rules against other sections, after
 * the whole document). A type (struct ftype) is a parse and a free function;
 * the generic ones are here (t_string, t_uint, t_enum, t_duration,
 * t_prefixes, t_names, t_list, t_section, ...), a module may add its own.
 *
 * Checks read their own frame (fr_given, fr_ok), their ancestors' (fr_up,
 * fr_section) and report with err_key / err_here / err_at; values that must
 * be unique go to uniq_add and are reported, sorted, at the end. Errors carry
 * FILE:LINE:COLUMN; the walk stops recording after CFG_MAX_ERRORS.
 *
 * Everything here is called on the loading thread, inside cfg_load_*; none of
 * it keeps a pointer past the load.
 */
#ifndef CW_CONFIG_SCHEMA_H
#define CW_CONFIG_SCHEMA_H

#include "config.h"

#include <stddef.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(i) ((uint64_t)1 << (i))
#define PATH_LEN 256            /* schema paths are short: keys come from tables */
#define SHOW_MAX 64             /* bytes of a bad value quoted in a message */
#define QUOTE_LEN (SHOW_MAX * 4 + 8)
#define MSG_LEN 1024
#define STRING_MAX 4096         /* longest free-form string value */
#define IFNAME_MAX 15           /* IFNAMSIZ - 1 */

/* ---- the node tree (what libyaml gave) ---------------------------------- */

enum node_kind { N_SCALAR, N_MAP, N_SEQ, N_BAD /* alias: already reported */ };

struct loc {
	unsigned line, column; /* 1-based; line 0 = the file as a whole */
	unsigned file;         /* 0: the config file; 1: a file walked by cfg_walk_file */
};

struct node {
	enum node_kind kind;
	bool plain;          /* plain scalar style (not quoted, not a block) */
	bool dup;            /* a key already present earlier in its mapping */
	bool ok;             /* walked as a field without an error (finish hooks) */
	struct loc loc;
	char *s;             /* scalar bytes, NUL-terminated (may hold NULs) */
	size_t len;
	struct node **v;     /* SEQ: items; MAP: key, value, key, value, ... */
	size_t n, cap;
};

struct walk; /* one load: errors, the current path, uniqueness (opaque) */

/* ---- tables ------------------------------------------------------------- */

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
	/* top-level sections: rules against other sections, run once the
	 * whole document was walked (and before the uniqueness report) */
	void (*finish)(struct walk *w, struct cfg_config *cfg, void *obj);
};

#define SECTION_INIT(fields, T, initf, checkf, finishf) \
	{fields, ARRAY_LEN(fields), sizeof(T), initf, checkf, finishf}
#define DEFINE_SECTION(name, fields, T, initf, checkf)                            \
	_Static_assert(ARRAY_LEN(fields) <= 64, #fields ": at most 64 keys");     \
	static const struct section name = SECTION_INIT(fields, T, initf, checkf, NULL)
/* A section named in a schema (declared extern in the module's header). */
#define DEFINE_TOP_SECTION(name, fields, T, initf, checkf, finishf)               \
	_Static_assert(ARRAY_LEN(fields) <= 64, #fields ": at most 64 keys");     \
	const struct section name = SECTION_INIT(fields, T, initf, checkf, finishf)

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

/* ---- the generic field types (config_types.c) --------------------------- */

extern const struct ftype t_string, t_uint, t_asn, t_bool, t_enum, t_duration, t_duration_ms,
	t_bandwidth, t_listen, t_section, t_list, t_prefixes, t_macs, t_names, t_amount;

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
/* A plain decimal amount (money) 0..AMOUNT_MAX into a double. */
#define FIELD_AMOUNT(T, k, m, fl) {.key = k, .type = &t_amount, .flags = fl, .off = offsetof(T, m)}
#define AMOUNT_MAX 1e12                 /* any price or budget, in its currency */

/* Free-form mappings of scalar keys to scalar values are stored as arrays
 * of struct cfg_kv (or of a struct of the same layout). off: the array;
 * off2: size_t count; at least f->min pairs and, when f->max is set, at most
 * f->max. noun names one entry in errors; check says whether one pair is
 * acceptable, after reporting why not. */
typedef int (*pair_check_fn)(struct walk *w, const struct node *k, const struct node *v);
int p_pairs(struct walk *w, const struct field *f, struct node *n, void *obj,
	    const char *expect, const char *noun, pair_check_fn check);
void f_pairs(const struct field *f, void *obj);

/* ---- helpers for types and checks ---------------------------------------- */

/* The node tree (config_tree.c). */
bool is_null(const struct node *n);
bool scalar_is(const struct node *n, const char *s, size_t len);
struct node *map_get(const struct node *map, const char *key);

/* Errors: at a location; "PATH: message" at the current path; "expected
 * EXPECT, got VALUE"; out of memory (returns -1). */
__attribute__((format(printf, 3, 4)))
void err_at(struct walk *w, struct loc loc, const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
void err_here(struct walk *w, struct loc loc, const char *fmt, ...);
void bad_value(struct walk *w, const struct node *n, const char *expect);
int oom(struct walk *w, struct loc loc);
/* "in PATH" or "at top level", for messages about a mapping's keys. */
const char *where(const struct walk *w, char *buf, size_t size);
/* A value quoted for a message: escaped, cut at SHOW_MAX bytes. */
const char *quote(const char *s, size_t len, char *buf, size_t size);
/* The path being walked (e.g. list[3].key) and whether the walk
 * stopped (too many errors, out of memory). */
const char *walk_path(const struct walk *w);
bool walk_full(const struct walk *w);
__attribute__((format(printf, 2, 3)))
size_t path_push(struct walk *w, const char *fmt, ...);
void path_pop(struct walk *w, size_t mark);

/* Frames (config.c). */
bool fr_given(const struct frame *fr, const char *key);
bool fr_ok(const struct frame *fr, const char *key);
const struct frame *fr_up(const struct frame *fr, const struct section *sec);
/* The object of section sec among the fields of fr (the top level's frame:
 * a sibling section of the same schema), or NULL. */
const void *fr_section(const struct frame *fr, const struct section *sec);
/* An error about key in fr, at its value (or the mapping when absent). */
__attribute__((format(printf, 4, 5)))
void err_key(struct walk *w, const struct frame *fr, const char *key, const char *fmt, ...);
/* Records fr.key's value val as one that must be unique among values of
 * the same kind under the scope path (its first scope_len bytes). */
void uniq_add(struct walk *w, const struct frame *fr, const char *key, size_t scope_len,
	      const char *kind, const void *val, size_t vlen, const char *desc);
/* Walks another file (path relative to the config file's directory) as
 * section sec into obj; its errors carry the name as given. Returns -1 when
 * out of memory (nothing walked), else 0 (its errors are recorded). */
int cfg_walk_file(struct walk *w, struct frame *fr, const char *given,
		  const struct section *sec, void *obj);
void free_section(const struct section *sec, void *obj);
/* For finish hooks: the frame of the node at path (e.g. list[3].key)
 * as the walker saw it — its mapping, its location (or its nearest
 * ancestor's when absent), the given and ok bits of sec's fields — with
 * obj as its object and parent as its parent; the walk's path becomes path,
 * so err_key and err_here speak of it. Returns -1 when the node is there
 * but neither a mapping nor null (the walker refused it as a section). */
int cfg_reframe(struct walk *w, const char *path, const struct section *sec, void *obj,
		const struct frame *parent, struct frame *out);
/* For finish hooks: true when the node at path is absent (walked as its
 * defaults) or was walked without an error. */
bool cfg_walked_ok(struct walk *w, const char *path);
/* The object of section sec of the config being loaded (finish hooks). */
void *cfg_section_edit(struct cfg_config *cfg, const struct section *sec);

/* Field storage (config_types.c). */
void *at(void *obj, size_t off);
void store_uint(void *dst, size_t width, uint64_t v);
/* True when n is a non-null scalar; otherwise says what was expected. */
bool want_scalar(struct walk *w, const struct node *n, const char *expect);
/* Sets *count to the items of a list field (a list, or null for none) and
 * checks it against f->min..f->max; what names the items in messages. */
int list_count(struct walk *w, const struct field *f, const struct node *n, const char *what,
	       size_t *count);

/* Scalar syntax and shared validators (config_scalar.c). */
bool parse_dec(const char *s, size_t len, uint64_t *out);
bool parse_decimal(const char *s, size_t len, double *out);
size_t count_digits(const char *s, size_t len);
bool valid_id(const char *s, size_t len);        /* [A-Za-z0-9._-]* */
bool valid_ifname(const char *s, size_t len);    /* what Linux accepts */
bool valid_ifname_item(const char *s, size_t len); /* and 1..IFNAME_MAX long */
bool valid_hostname(const char *s, size_t len);
int name_index(const char *const *names, const char *s, size_t len);
void join_names(const char *const *names, char *buf, size_t size);
/* names[v] for v < n, else "unknown" (for the x_name() functions). */
const char *enum_name(const char *const *names, size_t n, unsigned v);

#endif
