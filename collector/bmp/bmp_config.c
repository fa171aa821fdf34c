/* bmp_config.c — the bmp: section (see bmp_config.h). Whether its listener
 * clashes with prometheus's is the daemon's check (daemon_config.c): the
 * two sections belong to modules of one floor. */
#include "bmp_config.h"
#include "config_schema.h"

#include <inttypes.h>
#include <string.h>
#include <unistd.h>

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

static const char *const bmp_publish_names[] = {
	[CFG_BMP_PUBLISH_ALL] = "all", [CFG_BMP_PUBLISH_CONFIGURED] = "configured", NULL,
};

_Static_assert(sizeof(enum cfg_bmp_publish) == sizeof(uint32_t), "enum width");

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
	FIELD_UINT(struct cfg_bmp, "workers", workers, 0, 0, BMP_WORKERS_MAX),
};
DEFINE_TOP_SECTION(bmp_config_section, bmp_fields, struct cfg_bmp, init_bmp, check_bmp_budget,
		   NULL);

const struct cfg_bmp *bmp_config(const struct cfg_config *cfg)
{
	return cfg_section(cfg, &bmp_config_section);
}

unsigned bmp_config_workers(const struct cfg_bmp *b)
{
	long n;

	if (b->workers > 0)
		return b->workers;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > (long)BMP_WORKERS_MAX ? BMP_WORKERS_MAX : (unsigned)n;
}
