/* config.c — the config engine: a YAML file walked against a schema of
 * sections that the modules declare. It knows no section.
 *
 * Three small stages:
 *  1. libyaml's event API builds a private node tree (config_tree.c).
 *  2. A table-driven walker maps the tree onto the modules' structs. A
 *     section is a table of fields {key, type, flags, offsets, limits}; a
 *     type is a parse and a free function (config_types.c). Fields are
 *     visited in table order, not document order, so a section's check() —
 *     run after its keys, for the rules that span fields — can rely on
 *     earlier fields and read its ancestors through the frame chain. The
 *     top level is built from the caller's schema: one field per key, each
 *     pointing at the object of the section that owns it.
 *  3. Once the document is walked, each top-level section's finish() checks
 *     it against the others (the tree is kept until then, and cfg_reframe
 *     gives back the frame of any node by its path); then uniqueness (ids,
 *     addresses, names per scope), collected while walking, is reported
 *     after a sort, so a large file stays O(n log n).
 * Errors are collected (up to CFG_MAX_ERRORS), sorted by position, then
 * appended to the caller's list. On any error the half-built config is freed
 * through the same tables (cfg_free): there is one free path.
 *
 * Adding a section: x/x_config.h declares its struct, `extern const struct
 * section x_config_section;` and a typed accessor `x_config(cfg)`;
 * x/x_config.c has its field table, its init/check (and finish, when it
 * reads another section), DEFINE_TOP_SECTION, and the accessor over
 * cfg_section(); x/CMakeLists.txt makes it a small library (cw_x_config)
 * that the module links. Then one line in the program's schema table (the
 * top floor's, which lists every top-level key in walk order), whose
 * library links the new one. Nothing in core/ changes. A new kind of value
 * is one ftype (parse, free) and a FIELD_ macro, beside the section that
 * needs it or, when generic, in config_types.c: t_prefixes is the model for
 * a list of scalars, and t_macs / t_names share its per-item paths and
 * sorted duplicate check.
 */
#include "config_engine.h"
#include "fileio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- stage 2: the schema walker ------------------------------------- */

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

bool fr_given(const struct frame *fr, const char *key)
{
	return fr_bit(fr, fr->given, key);
}

bool fr_ok(const struct frame *fr, const char *key)
{
	return fr_bit(fr, fr->ok, key);
}

const struct frame *fr_up(const struct frame *fr, const struct section *sec)
{
	while (fr && fr->sec != sec)
		fr = fr->parent;
	return fr;
}

const void *fr_section(const struct frame *fr, const struct section *sec)
{
	for (size_t i = 0; fr && i < fr->sec->nfields; i++)
		if (fr->sec->fields[i].sub == sec)
			return *(void *const *)at(fr->obj, fr->sec->fields[i].off);
	return NULL;
}

/* An error about key in fr, at its value (or the mapping when absent). */
__attribute__((format(printf, 4, 5)))
void err_key(struct walk *w, const struct frame *fr, const char *key,
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
		if (r == 0 && w->count == before) {
			fr->ok |= BIT(i);
			if (n)
				n->ok = true; /* for cfg_reframe */
		}
	}
}

/* Walks n (a mapping, null, or NULL for absent) as section sec into obj. */
int walk_section(struct walk *w, const struct frame *parent,
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

void free_section(const struct section *sec, void *obj)
{
	for (size_t i = 0; i < sec->nfields; i++)
		if (sec->fields[i].type->free)
			sec->fields[i].type->free(&sec->fields[i], obj);
}

/* ---- stage 3: uniqueness -------------------------------------------- */

/* Records fr.key's value val as one that must be unique among values of
 * the same kind under the scope path (its first scope_len bytes). */
void uniq_add(struct walk *w, const struct frame *fr, const char *key,
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
	if (x->loc.file != y->loc.file) /* the config file's first, then the second's */
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

/* ---- the top level: the caller's schema ----------------------------- */

/* A top-level section: its object is cfg->sections[i] (off: its slot). */
static int p_top_section(struct walk *w, struct frame *fr, const struct field *f,
			 struct node *n, void *obj)
{
	return walk_section(w, fr, f->sub, *(void **)at(obj, f->off), n, fr->loc);
}

/* A CFG_TOP_FIELD entry: the section's own field of that key, on its object. */
static int p_top_field(struct walk *w, struct frame *fr, const struct field *f,
		       struct node *n, void *obj)
{
	for (size_t i = 0; i < f->sub->nfields; i++)
		if (strcmp(f->sub->fields[i].key, f->key) == 0)
			return f->sub->fields[i].type->parse(w, fr, &f->sub->fields[i], n,
							     *(void **)at(obj, f->off));
	return -1;
}

static const struct ftype t_top_section = {p_top_section, NULL};
static const struct ftype t_top_field = {p_top_field, NULL};

/* The root section of schema s into fields (at most 64, as any section). */
static void root_section(const struct cfg_schema *s, struct field *fields,
			 struct section *root)
{
	for (size_t i = 0; i < s->n; i++) {
		bool top = s->v[i].flags & CFG_TOP_FIELD;

		fields[i] = (struct field){.key = s->v[i].key,
					   .type = top ? &t_top_field : &t_top_section,
					   .flags = top ? 0 : F_DEFAULT_EMPTY,
					   .off = i * sizeof(void *), .sub = s->v[i].sec};
	}
	*root = (struct section){fields, s->n, s->n * sizeof(void *), NULL, NULL, NULL};
}

/* An empty config of schema s: every section's object allocated, zeroed. */
static struct cfg_config *cfg_new(const char *path, const struct cfg_schema *s)
{
	struct cfg_config *cfg = calloc(1, sizeof *cfg);

	if (!cfg)
		return NULL;
	cfg->schema = s;
	cfg->path = strdup(path);
	cfg->sections = calloc(s->n ? s->n : 1, sizeof *cfg->sections);
	if (!cfg->path || !cfg->sections) {
		cfg_free(cfg);
		return NULL;
	}
	for (size_t i = 0; i < s->n; i++) {
		if (!(cfg->sections[i] = calloc(1, s->v[i].sec->size))) {
			cfg_free(cfg);
			return NULL;
		}
	}
	return cfg;
}

void cfg_free(struct cfg_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; cfg->sections && i < cfg->schema->n; i++) {
		if (cfg->sections[i])
			free_section(cfg->schema->v[i].sec, cfg->sections[i]);
		free(cfg->sections[i]);
	}
	free(cfg->sections);
	free(cfg->path);
	free(cfg);
}

void *cfg_section_edit(struct cfg_config *cfg, const struct section *sec)
{
	for (size_t i = 0; cfg && i < cfg->schema->n; i++)
		if (cfg->schema->v[i].sec == sec)
			return cfg->sections[i];
	return NULL;
}

const void *cfg_section(const struct cfg_config *cfg, const struct section *sec)
{
	return cfg_section_edit((struct cfg_config *)cfg, sec);
}

/* Each top-level section's rules against the others, in schema order. */
static void finish_sections(struct walk *w, struct cfg_config *cfg)
{
	const struct cfg_schema *s = cfg->schema;

	for (size_t i = 0; i < s->n && !w->full; i++)
		if (s->v[i].sec->finish)
			s->v[i].sec->finish(w, cfg, cfg->sections[i]);
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

static struct cfg_config *parse(struct walk *w, const char *buf, size_t len,
				const struct cfg_schema *schema)
{
	struct field fields[64];
	struct section root;
	struct cfg_config *cfg;

	if (len > CFG_MAX_FILE_BYTES) {
		err_at(w, (struct loc){0, 0, 0}, "file is too large (%zu bytes; the limit is %u)", len,
		       CFG_MAX_FILE_BYTES);
		return NULL;
	}
	if (!schema || schema->n > ARRAY_LEN(fields)) {
		err_at(w, (struct loc){0, 0, 0}, "no schema (or one of more than %zu keys)",
		       ARRAY_LEN(fields));
		return NULL;
	}
	if (load_tree(w, buf ? buf : "", buf ? len : 0, &w->root) < 0)
		return NULL;
	cfg = cfg_new(w->file, schema);
	if (!cfg) {
		oom(w, (struct loc){0, 0, 0});
	} else {
		root_section(schema, fields, &root);
		walk_section(w, NULL, &root, cfg->sections, w->root, (struct loc){1, 1, 0});
		finish_sections(w, cfg);
		uniq_report(w);
	}
	node_free(w->root);
	w->root = NULL;
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
		    const struct cfg_schema *schema, struct cfg_config **out,
		    struct cfg_errors *errs)
{
	struct walk w = {.file = name ? name : "<buffer>"};

	return finish(&w, parse(&w, buf, len, schema), out, errs);
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

/* A second file's path relative to the config file's directory (a
 * buffer: as is). */
static char *second_path(const struct walk *w, const char *given)
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

int cfg_walk_file(struct walk *w, struct frame *fr, const char *given,
		  const struct section *sec, void *obj)
{
	struct node *root = NULL;
	char *path = second_path(w, given), *buf = NULL, saved[PATH_LEN];
	size_t len = 0, plen = w->plen;

	w->file2 = strdup(given);
	if (!path || !w->file2) {
		free(path);
		return oom(w, fr->loc);
	}
	w->cur_file = 1;
	memcpy(saved, w->path, sizeof saved);
	path_pop(w, 0);
	if ((buf = read_file(w, path, &len)) && load_tree(w, buf, len, &root) == 0)
		walk_section(w, fr, sec, obj, root, (struct loc){1, 1, 1});
	w->cur_file = 0;
	memcpy(w->path, saved, sizeof saved);
	w->plen = plen;
	node_free(root);
	free(buf);
	free(path);
	return 0;
}

/* The node at a walker path ("list[3].key.sub"; "" is the root), or
 * NULL; *near is the last node found on the way. */
static struct node *path_node(struct node *root, const char *path, struct node **near)
{
	struct node *n = root;
	const char *p = path;

	*near = root;
	while (n && *p) {
		if (*p == '[') {
			char *end;
			unsigned long long i = strtoull(p + 1, &end, 10);

			n = n->kind == N_SEQ && *end == ']' && i < n->n ? n->v[i] : NULL;
			p = *end ? end + 1 : end;
		} else {
			const struct node *map = n;
			size_t len;

			p += *p == '.';
			len = strcspn(p, ".[");
			n = NULL;
			for (size_t i = 0; map->kind == N_MAP && !n && i + 1 < map->n; i += 2)
				if (!map->v[i]->dup && scalar_is(map->v[i], p, len))
					n = map->v[i + 1];
			p += len;
		}
		if (n)
			*near = n;
	}
	return n;
}

int cfg_reframe(struct walk *w, const char *path, const struct section *sec, void *obj,
		const struct frame *parent, struct frame *out)
{
	struct node *near, *n = path_node(w->root, path, &near);

	*out = (struct frame){.parent = parent, .sec = sec, .obj = obj,
			      .loc = near ? near->loc : (struct loc){1, 1, 0}};
	out->map = n && n->kind == N_MAP ? n : NULL;
	for (size_t i = 0; out->map && i < sec->nfields; i++) {
		const struct node *v = map_get(out->map, sec->fields[i].key);

		if (v)
			out->given |= BIT(i);
		if (v && v->ok)
			out->ok |= BIT(i);
	}
	path_pop(w, 0);
	path_push(w, "%s", path);
	out->plen = w->plen;
	return n && n->kind != N_MAP && !is_null(n) ? -1 : 0;
}

bool cfg_walked_ok(struct walk *w, const char *path)
{
	struct node *near, *n = path_node(w->root, path, &near);

	return !n || n->ok;
}

int cfg_load_file(const char *path, const struct cfg_schema *schema, struct cfg_config **out,
		  struct cfg_errors *errs)
{
	struct walk w = {.file = path ? path : "<config>"};
	struct cfg_config *cfg = NULL;
	size_t len = 0;
	char *buf = path ? read_file(&w, path, &len) : NULL;

	if (!path)
		err_at(&w, (struct loc){0, 0, 0}, "no config file given");
	if (buf)
		cfg = parse(&w, buf, len, schema);
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
