/* config_engine.h — private to the config engine (config.c, config_tree.c,
 * config_scalar.c, config_types.c): the state of one load and the helpers
 * the engine's files share. Section authors use config_schema.h. */
#ifndef CW_CONFIG_ENGINE_H
#define CW_CONFIG_ENGINE_H

#include "config_schema.h"

#include <stdarg.h>

#define MAX_DEPTH 64            /* YAML nesting; the schemas need 8 */
#define PREFIX_TEXT (INET6_ADDRSTRLEN + 4) /* "ADDRESS/LEN" */
#define MAC_TEXT 18             /* "02:00:00:00:00:01" */

struct werr {
	struct loc loc;
	size_t seq;          /* keeps the sort stable */
	char *message;
};

struct uniq {                /* one value that must be unique in its scope */
	unsigned char *key;  /* kind NUL scope NUL value */
	size_t klen;
	char *desc;          /* e.g. id "er-ams-1" */
	char *path;          /* where this occurrence is */
	struct loc loc;
	size_t seq;
};

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
	char *file2;         /* the second file's name as given, for its errors */
	unsigned cur_file;   /* the file being walked: tags errors and uniq entries */
	struct node *root;   /* the config file's tree, kept for finish hooks */
};

/* config_tree.c */
void node_free(struct node *n);
void record(struct walk *w, struct loc loc, const char *msg);
size_t path_key(struct walk *w, const char *key);
void mark_dup_keys(struct walk *w, struct node *map);
/* Parses buf into *root (NULL for an empty stream or document). Returns -1
 * when the tree cannot be trusted (syntax error, nesting, memory). */
int load_tree(struct walk *w, const char *buf, size_t len, struct node **root);

/* config.c */
int walk_section(struct walk *w, const struct frame *parent, const struct section *sec,
		 void *obj, struct node *n, struct loc loc);

/* config_scalar.c */
enum bw_result { BW_OK, BW_SYNTAX, BW_RANGE, BW_PRECISION };
enum pfx_result { PFX_OK, PFX_SYNTAX, PFX_LENGTH, PFX_HOST_BITS };
bool parse_duration(const char *s, size_t len, uint64_t *secs);
bool parse_duration_ms(const char *s, size_t len, uint64_t *ms);
void fmt_ms(uint64_t ms, char *buf, size_t size);
enum bw_result parse_bandwidth(const char *s, size_t len, uint64_t *bps);
void format_bandwidth(uint64_t bps, char *buf, size_t size);
bool parse_mac(const char *s, size_t len, uint8_t mac[6]);
void format_mac(const uint8_t mac[6], char *buf, size_t size);
unsigned prefix_bits(int family);
bool prefix_mask(struct cfg_prefix *p);
enum pfx_result parse_prefix(const char *s, size_t len, struct cfg_prefix *p);
void format_prefix(const struct cfg_prefix *p, char *buf, size_t size);

#endif
