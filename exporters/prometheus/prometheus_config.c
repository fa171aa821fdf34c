/* prometheus_config.c — the prometheus: section (see prometheus_config.h). */
#include "prometheus_config.h"
#include "config_schema.h"

#include <stdlib.h>
#include <string.h>

#define PROM_SERIES_DEFAULT 200000u

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

/* Basic auth users are stored through t_pairs, as struct cfg_kv. */
_Static_assert(sizeof(struct cfg_basic_auth_user) == sizeof(struct cfg_kv) &&
		       offsetof(struct cfg_basic_auth_user, username) == offsetof(struct cfg_kv, key) &&
		       offsetof(struct cfg_basic_auth_user, password_hash) ==
			       offsetof(struct cfg_kv, value),
	       "a basic auth user is stored as a key/value pair");

/* A mapping user -> crypt(3) hash. */
static int p_users(struct walk *w, struct frame *fr, const struct field *f,
		   struct node *n, void *obj)
{
	(void)fr;
	return p_pairs(w, f, n, obj, "a mapping of user name to password hash", "user",
		       check_user);
}

static const struct ftype t_users = {p_users, f_pairs};

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
	FIELD_STRING(struct cfg_prometheus, "web_config_file", web_config_file, 0),
};
DEFINE_TOP_SECTION(prometheus_config_section, prometheus_fields, struct cfg_prometheus,
		   init_prometheus, NULL, NULL);

const struct cfg_prometheus *prometheus_config(const struct cfg_config *cfg)
{
	return cfg_section(cfg, &prometheus_config_section);
}

int prometheus_config_override(struct cfg_config *cfg, const char *host, uint16_t port,
			       const char *web_config_file)
{
	struct cfg_prometheus *p = cfg_section_edit(cfg, &prometheus_config_section);
	char *h = host != NULL ? strdup(host) : NULL;
	char *wc = web_config_file != NULL ? strdup(web_config_file) : NULL;

	if (p == NULL || (host != NULL && h == NULL) || (web_config_file != NULL && wc == NULL)) {
		free(h);
		free(wc);
		return -1;
	}
	if (port != 0) {
		free(p->listen_host);
		p->listen_host = h;
		p->listen_port = port;
	} else {
		free(h);
	}
	if (wc != NULL) {
		free(p->web_config_file);
		p->web_config_file = wc;
	}
	return 0;
}
