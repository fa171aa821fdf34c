/* limits.c — the bmp: settings the listener and its workers apply, copied
 * out of the config (bmp_priv.h): a worker never reads the config, which a
 * reload frees. */
#include "bmp_priv.h"

#include <stdlib.h>
#include <string.h>

#define BUDGET_DEFAULT (64ull * 1024u * 1024u)

int bmp_limits_from_config(struct bmp_limits *dst, const struct cfg_bmp *b)
{
	struct bmp_limits n = {0};
	uint64_t four = 4ull * b->max_message_size;

	if (b->nallow > 0) {
		n.allow = malloc(b->nallow * sizeof(*n.allow));
		if (n.allow == NULL)
			return -1;
		memcpy(n.allow, b->allow, b->nallow * sizeof(*n.allow));
	}
	n.nallow = b->nallow;
	n.max_msg = b->max_message_size;
	n.max_routers = b->max_routers;
	n.first_timeout_ms = (uint64_t)b->first_message_timeout_s * 1000u;
	n.msg_timeout_ms = (uint64_t)b->message_timeout_s * 1000u;
	n.ka_idle = b->keepalive_s;
	n.ka_interval = b->keepalive_interval_s;
	n.ka_count = b->keepalive_count;
	/* 0 only when the config check did not run (a config built in code) */
	n.budget = b->buffer_budget ? b->buffer_budget
				    : (four > BUDGET_DEFAULT ? four : BUDGET_DEFAULT);
	bmp_limits_clean(dst);
	*dst = n;
	return 0;
}

int bmp_limits_copy(struct bmp_limits *dst, const struct bmp_limits *src)
{
	struct bmp_limits n = *src;

	n.allow = NULL;
	if (src->nallow > 0) {
		n.allow = malloc(src->nallow * sizeof(*n.allow));
		if (n.allow == NULL)
			return -1;
		memcpy(n.allow, src->allow, src->nallow * sizeof(*n.allow));
	}
	bmp_limits_clean(dst);
	*dst = n;
	return 0;
}

void bmp_limits_clean(struct bmp_limits *l)
{
	free(l->allow);
	l->allow = NULL;
	l->nallow = 0;
}

bool bmp_limits_allow(const struct bmp_limits *l, int family, const uint8_t *raw)
{
	if (l->nallow == 0)
		return true;
	for (size_t i = 0; i < l->nallow; i++)
		if (cfg_prefix_contains(&l->allow[i], family, raw))
			return true;
	return false;
}
