/* config.h — the YAML configuration as its users see it: load a file or a
 * buffer against a SCHEMA (the top-level keys, each with the section that
 * owns it), fetch a module's typed section, free, print the errors.
 *
 * The engine knows no section. Each module declares its own in
 * x/x_config.{h,c} (with config_schema.h) and offers a typed accessor such
 * as x_config(cfg); the program's own schema lists every top-level key.
 *
 * Ownership: cfg_load_* return a config owned by the caller (cfg_free).
 * Every section and every string inside is owned by the config. Errors go
 * into a cfg_errors list owned by the caller (cfg_errors_clean).
 */
#ifndef CW_CONFIG_H
#define CW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CFG_MAX_FILE_BYTES (4u * 1024u * 1024u) /* refuse larger config files */
#define CFG_MAX_ERRORS 100                      /* stop collecting after this */

struct section; /* config_schema.h: one section's field table */

enum {
	/* the section has one field named like the key, and the key's value
	 * is that field's (a top-level list) */
	CFG_TOP_FIELD = 1,
};

/* One top-level key and the section that owns it. */
struct cfg_schema_entry {
	const char *key;
	const struct section *sec;
	unsigned flags;                 /* CFG_TOP_FIELD or 0 */
};

/* The top-level keys in walk order (at most 64): messages list them so. */
struct cfg_schema {
	const struct cfg_schema_entry *v;
	size_t n;
};

/* A loaded configuration: read it through cfg_section and the modules'
 * accessors, not through its members. */
struct cfg_config {
	char *path;                     /* file it came from ("<buffer>" otherwise) */
	const struct cfg_schema *schema;
	void **sections;                /* sections[i]: the object of schema->v[i] */
};

/* The object of section sec (a section of the config's schema), or NULL
 * when cfg is NULL or its schema has no such section. Owned by cfg. */
const void *cfg_section(const struct cfg_config *cfg, const struct section *sec);

/* An IP prefix; host bits beyond len are zero (the parser refuses others). */
struct cfg_prefix {
	int family;           /* AF_INET or AF_INET6 */
	uint8_t addr[16];     /* network order; first 4 bytes for IPv4 */
	uint8_t len;          /* 0..32 (IPv4) or 0..128 (IPv6) */
};

/* One entry of a free-form mapping of scalars (t_pairs). */
struct cfg_kv {
	char *key;
	char *value;
};

struct cfg_error {
	char *file;
	unsigned line;              /* 1-based; 0 when unknown (file unreadable) */
	unsigned column;            /* 1-based */
	char *message;
};

struct cfg_errors {
	size_t n;
	struct cfg_error *v;
};

/* Parses and validates a file against schema. Returns 0 and sets *out, or
 * -1 with every error found (up to CFG_MAX_ERRORS) appended to errs and
 * *out NULL. */
int cfg_load_file(const char *path, const struct cfg_schema *schema, struct cfg_config **out,
		  struct cfg_errors *errs) __attribute__((warn_unused_result));
/* Same over a buffer; name is used as the file name in errors. */
int cfg_load_buffer(const char *name, const char *buf, size_t len,
		    const struct cfg_schema *schema, struct cfg_config **out,
		    struct cfg_errors *errs) __attribute__((warn_unused_result));
void cfg_free(struct cfg_config *cfg); /* takes NULL */

/* Writes each error as "FILE:LINE:COLUMN: message\n". */
void cfg_errors_print(const struct cfg_errors *errs, FILE *fp);
void cfg_errors_clean(struct cfg_errors *errs);

/* True when addr (4 bytes for AF_INET, 16 for AF_INET6, network order) lies
 * in p. A family other than p's never matches: callers turn an IPv4-mapped
 * IPv6 address (::ffff:a.b.c.d from a dual-stack accept()) into AF_INET
 * first. False for a NULL p or addr. */
bool cfg_prefix_contains(const struct cfg_prefix *p, int family, const uint8_t *addr);

#endif
