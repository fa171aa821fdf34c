/* config_tree.c — the config engine's first stage and its error list.
 *
 * libyaml's event API builds a private node tree (struct node). Anchors and
 * aliases are refused where they appear, so nothing is ever expanded (no
 * billion laughs); nesting is capped at MAX_DEPTH; keys must be scalars;
 * one document per file. Errors are collected with their location (up to
 * CFG_MAX_ERRORS) against the key path being walked.
 */
#include "config_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ---- the node tree -------------------------------------------------- */

void node_free(struct node *n)
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
bool is_null(const struct node *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

	if (n->kind != N_SCALAR || !n->plain)
		return false;
	for (size_t i = 0; i < ARRAY_LEN(nulls); i++)
		if (n->len == strlen(nulls[i]) && memcmp(n->s, nulls[i], n->len) == 0)
			return true;
	return false;
}

bool scalar_is(const struct node *n, const char *s, size_t len)
{
	return n->kind == N_SCALAR && n->len == len && memcmp(n->s, s, len) == 0;
}

struct node *map_get(const struct node *map, const char *key)
{
	size_t len = strlen(key);

	if (!map)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (!map->v[i]->dup && scalar_is(map->v[i], key, len))
			return map->v[i + 1];
	return NULL;
}

/* ---- errors --------------------------------------------------------- */

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
void record(struct walk *w, struct loc loc, const char *msg)
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
void err_at(struct walk *w, struct loc loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(w, loc, fmt, ap);
	va_end(ap);
}

/* "PATH: message" for the value at the current path. */
__attribute__((format(printf, 3, 4)))
void err_here(struct walk *w, struct loc loc, const char *fmt, ...)
{
	char msg[MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	err_at(w, loc, "%s: %s", w->plen ? w->path : "top level", msg);
}

int oom(struct walk *w, struct loc loc)
{
	err_at(w, loc, "out of memory");
	w->oom = true;
	return -1;
}

/* "in PATH" or "at top level", for messages about a mapping's keys. */
const char *where(const struct walk *w, char *buf, size_t size)
{
	if (!w->plen)
		return "at top level";
	snprintf(buf, size, "in %s", w->path);
	return buf;
}

/* A value quoted for a message: escaped, cut at SHOW_MAX bytes. */
const char *quote(const char *s, size_t len, char *buf, size_t size)
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

void bad_value(struct walk *w, const struct node *n, const char *expect)
{
	char got[QUOTE_LEN];

	err_here(w, n->loc, "expected %s, got %s", expect, describe(n, got, sizeof got));
}

const char *walk_path(const struct walk *w)
{
	return w->path;
}

bool walk_full(const struct walk *w)
{
	return w->full;
}

/* ---- paths ---------------------------------------------------------- */

__attribute__((format(printf, 2, 3)))
size_t path_push(struct walk *w, const char *fmt, ...)
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

size_t path_key(struct walk *w, const char *key)
{
	return path_push(w, w->plen ? ".%s" : "%s", key);
}

void path_pop(struct walk *w, size_t mark)
{
	w->plen = mark;
	w->path[mark] = '\0';
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
void mark_dup_keys(struct walk *w, struct node *map)
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
int load_tree(struct walk *w, const char *buf, size_t len, struct node **root)
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

