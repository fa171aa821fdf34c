/* config_types.c — the config engine's generic field types: each a parse
 * (YAML node -> the section's object, with errors at the node) and a free.
 * Sections use them through the FIELD_* macros of config_schema.h; a module
 * with a value of its own kind adds its ftype beside its section.
 */
#include "config_engine.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define ASN_TRANS 23456u        /* RFC 6793 §9: AS_TRANS is a placeholder, never a peer */

void *at(void *obj, size_t off)
{
	return (char *)obj + off;
}

void store_uint(void *dst, size_t width, uint64_t v)
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
bool want_scalar(struct walk *w, const struct node *n, const char *expect)
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

/* off: struct cfg_kv array; off2: size_t count; at least f->min pairs and,
 * when f->max is set, at most f->max. noun names one entry in errors. */
int p_pairs(struct walk *w, const struct field *f, struct node *n, void *obj,
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

void f_pairs(const struct field *f, void *obj)
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
int list_count(struct walk *w, const struct field *f, const struct node *n,
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

const struct ftype t_string = {p_string, f_string};
const struct ftype t_uint = {p_uint, NULL};
const struct ftype t_asn = {p_asn, NULL};
const struct ftype t_bool = {p_bool, NULL};
const struct ftype t_enum = {p_enum, NULL};
const struct ftype t_duration = {p_duration, NULL};
const struct ftype t_duration_ms = {p_duration_ms, NULL};
const struct ftype t_bandwidth = {p_bandwidth, f_bandwidth};
const struct ftype t_listen = {p_listen, f_listen};
const struct ftype t_section = {p_section, f_section};
const struct ftype t_list = {p_list, f_list};
const struct ftype t_prefixes = {p_prefixes, f_prefixes};
const struct ftype t_macs = {p_macs, f_macs};
const struct ftype t_names = {p_names, f_names};
const struct ftype t_amount = {p_amount, NULL};
