/* privdrop.c — from root to the configured user with the run-time
 * capabilities only (see privdrop.h for the two steps).
 *
 * Why the bounding set and no_new_privs come before the modules start:
 * both are per thread and inherited, and libmicrohttpd and librdkafka
 * start their own threads inside the modules' start. Set first, every
 * thread has them. The uid change after the start reaches every thread
 * (glibc applies set*id to the whole process); a thread other than the
 * loop thread has no PR_SET_KEEPCAPS, so the kernel empties its permitted
 * set at the change (capabilities(7), "Effect of user ID changes"). Only
 * the loop thread, which opens probe sockets, keeps CAP_NET_RAW.
 */
#include "privdrop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <netinet/in.h>
#include <unistd.h>

#include "avail_config.h"
#include "billing_config.h"
#include "circuit_config.h"
#include "daemon_config.h"
#include "kafka_config.h"
#include "probes_config.h"
#include "log.h"

#define PRIV_GROUPS_MAX 65536 /* the kernel's NGROUPS_MAX */
/* SO_BINDTODEVICE without CAP_NET_RAW on a socket not yet bound to a
 * device: Linux 5.7 (commit c427bfec18f2, net/core/sock.c). */
#define PRIV_BINDTODEVICE_FREE 5007u

struct priv_plan {
	char *user;
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t *groups;   /* the user's supplementary groups (getgrouplist) */
	unsigned keep;   /* enum priv_cap bits */
	const char *why; /* the feature that needs CAP_NET_RAW, or NULL */
	bool dropped;
};

/* ---- the run-time set (pure) ---------------------------------------------- */

static unsigned probe_caps(const struct cfg_probes *pc, const struct cfg_probe *p,
			   const char *link_if, unsigned kernel, bool dgram_ok, const char **why)
{
	/* the engine's rule: the probe's interface, else the link's unless a
	 * source address binds it (probes/engine.c) */
	const char *ifname = p->interface ? p->interface : p->source ? NULL : link_if;

	if (p->type == CFG_PROBE_ICMP && pc->icmp_socket != CFG_ICMP_DATAGRAM &&
	    !(pc->icmp_socket == CFG_ICMP_AUTO && dgram_ok)) {
		*why = "raw ICMP probes (the datagram ICMP socket is not open to the user: "
		       "net.ipv4.ping_group_range, or probes.icmp_socket: raw)";
		return PRIV_CAP_NET_RAW;
	}
	if (ifname != NULL && kernel < PRIV_BINDTODEVICE_FREE) {
		*why = "probes bound to an interface (SO_BINDTODEVICE) on a kernel before 5.7";
		return PRIV_CAP_NET_RAW;
	}
	return 0;
}

unsigned priv_runtime_caps(const struct cfg_config *cfg, unsigned kernel, bool icmp_dgram_ok,
			   const char **why)
{
	const char *w = NULL;
	unsigned caps = 0;

	/* Capture handles, listening sockets and the netlink socket are opened
	 * once at start and never again (a changed interface, filter or port
	 * needs a restart); probe sockets are opened for targets a reload adds
	 * and reopened after a failure, so only probes need anything later. */
	for (size_t c = 0; probes_config(cfg)->enabled && c < circuit_config(cfg)->ncircuits; c++)
		for (int l = 0; l < CFG_LINK_COUNT; l++) {
			const struct cfg_link *lk = &circuit_config(cfg)->circuits[c].links[l];

			for (size_t i = 0; lk->present && i < lk->nprobes; i++)
				caps |= probe_caps(probes_config(cfg), &lk->probes[i],
						   lk->interface, kernel, icmp_dgram_ok, &w);
		}
	if (why != NULL)
		*why = w;
	return caps;
}

/* ---- helpers ---------------------------------------------------------------- */

static unsigned kernel_version(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;

	if (uname(&u) != 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return 0; /* unknown: assume old, keep more */
	return major * 1000u + minor;
}

static char *num(char *buf, size_t len, unsigned long v)
{
	snprintf(buf, len, "%lu", v);
	return buf;
}

static void caps_text(unsigned keep, char *buf, size_t len)
{
	snprintf(buf, len, "%s", keep & PRIV_CAP_NET_RAW ? "cap_net_raw" : "none");
}

void priv_free(struct priv_plan *p)
{
	if (p == NULL)
		return;
	free(p->user);
	free(p->groups);
	free(p);
}

unsigned priv_kept(const struct priv_plan *p)
{
	return p != NULL ? p->keep : 0;
}

const char *priv_user(const struct priv_plan *p)
{
	return p != NULL ? p->user : NULL;
}

static int user_groups(struct priv_plan *p)
{
	int n = 32;

	for (;;) {
		gid_t *g = realloc(p->groups, (size_t)n * sizeof(*g));
		int want = n;

		if (g == NULL)
			return -1;
		p->groups = g;
		if (getgrouplist(p->user, p->gid, g, &want) >= 0) {
			p->ngroups = want;
			return 0;
		}
		if (want <= n || want > PRIV_GROUPS_MAX)
			return -1;
		n = want;
	}
}

/* ---- checks as the user, before the modules start -------------------------- */

struct saved_ids {
	gid_t egid;
	int ngroups;
	gid_t *groups;
};

/* Takes on the user's identity for access checks (the effective ids only:
 * root comes back with as_root). */
static int as_user(const struct priv_plan *p, struct saved_ids *s)
{
	s->egid = getegid();
	s->ngroups = getgroups(0, NULL);
	s->groups = s->ngroups > 0 ? calloc((size_t)s->ngroups, sizeof(gid_t)) : NULL;
	if (s->ngroups < 0 || (s->ngroups > 0 && s->groups == NULL) ||
	    (s->ngroups > 0 && getgroups(s->ngroups, s->groups) != s->ngroups)) {
		free(s->groups);
		s->groups = NULL;
		s->ngroups = 0;
		return -2; /* nothing changed yet */
	}
	if (setgroups((size_t)p->ngroups, p->groups) != 0 || setegid(p->gid) != 0 ||
	    seteuid(p->uid) != 0)
		return -1;
	return 0;
}

static int as_root(struct saved_ids *s)
{
	int rc = seteuid(0) == 0 && setegid(s->egid) == 0 &&
				 setgroups((size_t)s->ngroups, s->groups) == 0
			 ? 0
			 : -1;

	free(s->groups);
	return rc;
}

/* A directory the daemon writes after the drop: created for the user when
 * missing (as the module would create it, but owned by the user). */
static int dir_create(const struct priv_plan *p, const char *key, const char *dir, mode_t mode,
		      struct log *lg)
{
	struct stat st;
	char uid[24];

	if (stat(dir, &st) == 0)
		return 0;
	if (errno == ENOENT && mkdir(dir, mode) == 0) {
		if (chown(dir, p->uid, p->gid) != 0) {
			log_error(lg, "cannot hand the new directory to the user", "key", key, "dir",
				  dir, "user", p->user, "error", strerror(errno));
			return -1;
		}
		log_info(lg, "directory created for the user", "key", key, "dir", dir, "user",
			 p->user, "uid", num(uid, sizeof(uid), p->uid));
		return 0;
	}
	log_error(lg, "cannot create the directory the daemon writes; create it, owned by the user",
		  "key", key, "dir", dir, "user", p->user, "error", strerror(errno));
	return -1;
}

/* Run as the user (as_user): the daemon will write into dir. */
static int dir_writable(const struct priv_plan *p, const char *key, const char *dir,
			struct log *lg)
{
	char uid[24];

	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0)
		return 0;
	log_error(lg, "directory not writable by the user the daemon drops to; chown it to the "
		      "user or pick another directory",
		  "key", key, "dir", dir, "user", p->user, "uid", num(uid, sizeof(uid), p->uid),
		  "error", strerror(errno));
	return -1;
}

/* Run as the user: every file already in dir is one the daemon reads and
 * rewrites after the drop (the Kafka spool's segments, left by a run as
 * root, say): each must be readable and writable by the user. */
static int files_usable(const struct priv_plan *p, const char *key, const char *dir,
			struct log *lg)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char first[256] = "", n[24];
	unsigned long bad = 0;

	if (d == NULL)
		return 0; /* dir_writable said why */
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    faccessat(dirfd(d), de->d_name, R_OK | W_OK, AT_EACCESS) == 0)
			continue;
		if (bad++ == 0)
			snprintf(first, sizeof(first), "%s", de->d_name);
	}
	closedir(d);
	if (bad == 0)
		return 0;
	log_error(lg, "files the daemon reads and rewrites are not readable and writable by the "
		      "user it drops to; chown -R them to the user",
		  "key", key, "dir", dir, "user", p->user, "files", num(n, sizeof(n), bad), "first",
		  first);
	return -1;
}

/* Whether the user's groups may open the datagram ICMP socket (run as the
 * user: net.ipv4.ping_group_range is checked against the egid and the
 * supplementary groups, net/ipv4/ping.c ping_init_sock). */
static bool icmp_dgram_ok(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void file_readable(const struct priv_plan *p, const char *key, const char *path,
			  struct log *lg)
{
	if (path == NULL || faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) == 0)
		return;
	log_warn(lg, "file not readable by the user the daemon drops to: reloads will fail "
		     "until it is",
		 "key", key, "file", path, "user", p->user, "error", strerror(errno));
}

/* Whether billing.state_dir holds state: billing's (with plans) or the
 * availability's (availability.h keeps its file there). */
static bool state_dir_used(const struct cfg_config *cfg)
{
	return (billing_config(cfg)->enabled && billing_config(cfg)->nplans > 0) ||
	       avail_config(cfg)->enabled;
}

static int check_as_user(struct priv_plan *p, const struct cfg_config *cfg, struct log *lg)
{
	const bool bill = state_dir_used(cfg);
	const bool spool = kafka_config(cfg)->enabled && kafka_config(cfg)->spool_dir != NULL;
	struct saved_ids s;
	bool dgram;
	int rc = 0;

	if ((bill &&
	     dir_create(p, "billing.state_dir", billing_config(cfg)->state_dir, 0750, lg) != 0) ||
	    (spool &&
	     dir_create(p, "kafka.spool_dir", kafka_config(cfg)->spool_dir, 0700, lg) != 0))
		return -1;
	if ((rc = as_user(p, &s)) != 0) {
		log_error(lg, "cannot take on the user's identity", "user", p->user, "error",
			  strerror(errno));
		if (rc == -1)
			(void)as_root(&s);
		return -1;
	}
	if (bill && dir_writable(p, "billing.state_dir", billing_config(cfg)->state_dir, lg) != 0)
		rc = -1;
	if (spool && (dir_writable(p, "kafka.spool_dir", kafka_config(cfg)->spool_dir, lg) != 0 ||
		      files_usable(p, "kafka.spool_dir", kafka_config(cfg)->spool_dir, lg) != 0))
		rc = -1;
	file_readable(p, "config", cfg->path, lg);
	file_readable(p, "billing.plans_file", billing_config(cfg)->plans_file, lg);
	dgram = icmp_dgram_ok();
	if (as_root(&s) != 0) {
		log_error(lg, "cannot return to root after the checks", "error", strerror(errno));
		return -1;
	}
	p->keep = priv_runtime_caps(cfg, kernel_version(), dgram, &p->why);
	return rc;
}

/* ---- the bounding set and no_new_privs, before the modules start ---------- */

static int cut_bounding_set(const struct priv_plan *p, struct log *lg)
{
	cap_value_t last = (cap_value_t)cap_max_bits(); /* the running kernel's */

	for (cap_value_t c = 0; c < last; c++) {
		if (c == CAP_NET_RAW && (p->keep & PRIV_CAP_NET_RAW))
			continue;
		if (cap_drop_bound(c) != 0 && errno != EINVAL) {
			char n[24];

			log_error(lg, "cannot drop a capability from the bounding set", "capability",
				  num(n, sizeof(n), (unsigned long)c), "error", strerror(errno));
			return -1;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		log_error(lg, "cannot set no_new_privs", "error", strerror(errno));
		return -1;
	}
	return 0;
}

static int resolve(const char *name, struct priv_plan *p, struct log *lg)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL) {
		log_error(lg, errno != 0 ? "cannot look up the user to run as"
					 : "the user to run as does not exist",
			  "user", name, "error", errno != 0 ? strerror(errno) : "no such user");
		return -1;
	}
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	if ((p->user = strdup(name)) == NULL || user_groups(p) != 0) {
		log_error(lg, "cannot read the user's groups", "user", name);
		return -1;
	}
	return 0;
}

int priv_prepare(const char *user, const struct cfg_config *cfg, struct log *lg,
		 struct priv_plan **out)
{
	struct priv_plan *p;
	const char *name = user != NULL ? user : daemon_config(cfg)->user;
	char uid[24];

	*out = NULL;
	if (name == NULL) {
		if (geteuid() == 0)
			log_warn(lg, "running as root: set daemon.user or --user to drop to an "
				     "unprivileged user after start");
		return 0;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL || resolve(name, p, lg) != 0)
		goto fail;
	if (geteuid() != 0 || p->uid == 0) {
		/* nothing to drop to: fine when it is who we are */
		if (p->uid != geteuid() || p->uid != getuid()) {
			log_error(lg, "only root can change to another user", "user", name,
				  "running_as_uid", num(uid, sizeof(uid), geteuid()));
			goto fail;
		}
		log_info(lg, "already running as the configured user", "user", name);
		priv_free(p);
		return 0;
	}
	if (check_as_user(p, cfg, lg) != 0 || cut_bounding_set(p, lg) != 0)
		goto fail;
	*out = p;
	return 0;
fail:
	priv_free(p);
	return -1;
}

/* ---- the drop, after the modules started ----------------------------------- */

static int set_caps(unsigned keep)
{
	cap_value_t list[1];
	int n = 0, rc;
	cap_t c = cap_init(); /* every set empty: inheritable, and so ambient, too */

	if (c == NULL)
		return -1;
	if (keep & PRIV_CAP_NET_RAW)
		list[n++] = CAP_NET_RAW;
	rc = (n == 0 || (cap_set_flag(c, CAP_PERMITTED, n, list, CAP_SET) == 0 &&
			 cap_set_flag(c, CAP_EFFECTIVE, n, list, CAP_SET) == 0)) &&
			     cap_set_proc(c) == 0
		     ? 0
		     : -1;
	cap_free(c);
	return rc;
}

int priv_drop(struct priv_plan *p, struct log *lg)
{
	char uid[24], gid[24], caps[32];
	const char *step;

	if (p == NULL)
		return 0;
	step = "prctl(PR_SET_KEEPCAPS)";
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
		goto fail;
	step = "setgroups";
	if (setgroups((size_t)p->ngroups, p->groups) != 0)
		goto fail;
	step = "setresgid";
	if (setresgid(p->gid, p->gid, p->gid) != 0)
		goto fail;
	step = "setresuid";
	if (setresuid(p->uid, p->uid, p->uid) != 0)
		goto fail;
	step = "capset";
	if (set_caps(p->keep) != 0)
		goto fail;
	step = "prctl(PR_SET_KEEPCAPS, 0)";
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
		goto fail;
	step = "check";
	if (setuid(0) == 0 || getuid() != p->uid || geteuid() != p->uid) {
		errno = EPERM;
		goto fail;
	}
	p->dropped = true;
	caps_text(p->keep, caps, sizeof(caps));
	log_info(lg, "privileges dropped", "user", p->user, "uid", num(uid, sizeof(uid), p->uid),
		 "gid", num(gid, sizeof(gid), p->gid), "capabilities", caps, "needed_by",
		 p->why != NULL ? p->why : "");
	return 0;
fail:
	log_error(lg, "cannot drop privileges", "user", p->user, "step", step, "error",
		  strerror(errno));
	return -1;
}

/* ---- reload ------------------------------------------------------------------ */

void priv_check_reload(const struct priv_plan *p, const struct cfg_config *next,
		       const char *cli_user, struct log *lg)
{
	const char *why = NULL;
	const char *want = cli_user != NULL ? cli_user : daemon_config(next)->user;
	unsigned need;

	if (p == NULL || !p->dropped)
		return;
	if (cli_user == NULL && (want == NULL || strcmp(want, p->user) != 0))
		log_warn(lg, "setting changed but not applied; restart to apply", "key",
			 "daemon.user");
	need = priv_runtime_caps(next, kernel_version(), icmp_dgram_ok(), &why) & ~p->keep;
	if (need & PRIV_CAP_NET_RAW)
		log_error(lg, "the new configuration needs CAP_NET_RAW, given up at start: those "
			      "probes fail until a restart",
			  "needed_by", why, "user", p->user);
	if (state_dir_used(next) && access(billing_config(next)->state_dir, W_OK | X_OK) != 0)
		log_error(lg, "directory not writable by the user the daemon runs as; the billing "
			      "and availability state will not be saved",
			  "key", "billing.state_dir", "dir", billing_config(next)->state_dir,
			  "user", p->user, "error", strerror(errno));
}

void priv_explain_unreadable(const struct priv_plan *p, const char *path, struct log *lg)
{
	if (p == NULL || !p->dropped || access(path, R_OK) == 0 || errno != EACCES)
		return;
	log_error(lg, "the configuration file is not readable by the user the daemon runs as; "
		      "make it readable (e.g. chgrp GROUP FILE && chmod g+r FILE) and reload",
		  "file", path, "user", p->user);
}
