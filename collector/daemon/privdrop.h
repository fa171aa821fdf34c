/* privdrop.h — `run` started as root becomes an unprivileged user once its
 * privileged sockets and capture handles are open, keeping only the
 * capabilities that what it may still open at run time needs (issue 12).
 *
 * Two steps around the start of the modules, both on the loop thread:
 * priv_prepare before (the user exists, the directories the daemon writes
 * are writable by it, the bounding set is cut to the run-time set and
 * no_new_privs is set, so every thread a module starts inherits both), and
 * priv_drop after (groups, gid, uid, then the run-time capabilities).
 * Ownership: a plan from priv_prepare belongs to the caller (priv_free).
 */
#ifndef CW_PRIVDROP_H
#define CW_PRIVDROP_H

#include <stdbool.h>

struct cfg_config;
struct log;
struct priv_plan;

/* The capabilities the daemon may still need after start, as a bit set. */
enum priv_cap {
	PRIV_CAP_NET_RAW = 1u << 0, /* raw ICMP sockets; SO_BINDTODEVICE before Linux 5.7 */
};

/* What the run-time set is made of: the config's probes, the kernel
 * version (major * 1000 + minor) and whether the datagram ICMP socket is
 * open to the target user's groups (net.ipv4.ping_group_range). Pure.
 * *why, when not NULL, gets a static text naming the first feature that
 * needs CAP_NET_RAW (NULL when none does). */
unsigned priv_runtime_caps(const struct cfg_config *cfg, unsigned kernel, bool icmp_dgram_ok,
			   const char **why);

/* Before any module starts. user is the --user option, or NULL for the
 * config's daemon.user. Returns 0 with *out the plan (NULL when there is
 * nothing to drop: no user configured, or the process already runs as that
 * user), or -1 after logging why (the user does not exist, a directory the
 * daemon writes is not writable by it, --user names another user while not
 * root): `run` exits 2. */
int priv_prepare(const char *user, const struct cfg_config *cfg, struct log *lg,
		 struct priv_plan **out) __attribute__((warn_unused_result));

/* After every module started: supplementary groups, gid, uid, then only
 * the run-time capabilities in the permitted and effective sets. Returns 0,
 * or -1 after logging why (`run` exits 1). */
int priv_drop(struct priv_plan *p, struct log *lg) __attribute__((warn_unused_result));

/* The run-time capabilities of a plan (enum priv_cap bits), and its user. */
unsigned priv_kept(const struct priv_plan *p);
const char *priv_user(const struct priv_plan *p);

/* On reload, after a dropped start: logs, at error, when the new config
 * asks for a capability that was given up, and at warn when daemon.user
 * changed (it applies at the next start). */
void priv_check_reload(const struct priv_plan *p, const struct cfg_config *next,
		       const char *cli_user, struct log *lg);

/* Logs a hint when the configuration file cannot be read by the user the
 * daemon runs as (a reload failed). */
void priv_explain_unreadable(const struct priv_plan *p, const char *path, struct log *lg);

void priv_free(struct priv_plan *p); /* takes NULL */

#endif
