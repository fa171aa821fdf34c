/* engine.c — the core of the probe engine (see engine.h): the targets and
 * their lifecycle (add, update, remove, expiry), each target's ring of
 * outstanding probes, the scheduler timer that sends them, replies and
 * failures into the statistics, send lateness, and the names of errors
 * and unexpected datagrams. The wire work is in the transports
 * (transport_icmp.c, transport_tcp.c, transport_stamp.c), the sockets in
 * sockpool.c and sockio.c; the structs they share in engine_priv.h. */
#include "engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "engine_priv.h"
#include "icmp.h"
#include "log.h"
#include "sched.h"
#include "stamp.h"

#define UP_INTERVALS 3       /* up: a reply within 3 intervals + timeout */
#define CLOCK_CHECK_S 60.0   /* how often the STAMP error estimate is refreshed */

static const char *const err_names[PROBE_ERR_COUNT] = {
	[PROBE_ERR_SOCKET] = "socket",
	[PROBE_ERR_INTERFACE] = "no_interface",
	[PROBE_ERR_SEND] = "send",
	[PROBE_ERR_UNREACHABLE] = "unreachable",
	[PROBE_ERR_TIME_EXCEEDED] = "time_exceeded",
	[PROBE_ERR_ICMP_OTHER] = "icmp_other",
	[PROBE_ERR_REFUSED] = "refused",
	[PROBE_ERR_CONNECT] = "connect",
};

static const char *const unx_names[PROBE_UNX_COUNT] = {
	[PROBE_UNX_NOT_OURS] = "not_ours",
	[PROBE_UNX_WRONG_SOURCE] = "wrong_source",
	[PROBE_UNX_STALE] = "stale",
	[PROBE_UNX_TRUNCATED] = "truncated",
	[PROBE_UNX_MALFORMED] = "malformed",
};

const char *probe_err_name(enum probe_err e)
{
	return (unsigned)e < PROBE_ERR_COUNT ? err_names[e] : "?";
}

const char *probe_unexpected_name(enum probe_unexpected u)
{
	return (unsigned)u < PROBE_UNX_COUNT ? unx_names[u] : "?";
}

/* ---- small helpers ---------------------------------------------------------- */

static void free_handle(uv_handle_t *h)
{
	free(h);
}

/* Stops polling fd, closes it and frees the handle on the loop. */
void probe_close_poll(uv_poll_t **poll, int *fd)
{
	if (*poll != NULL) {
		(*poll)->data = NULL;
		uv_close((uv_handle_t *)*poll, free_handle);
		*poll = NULL;
	}
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int type_index(enum cfg_probe_type t)
{
	return t == CFG_PROBE_ICMP ? 0 : t == CFG_PROBE_TCP ? 1 : 2;
}

void probe_count_unexpected(struct probe_engine *e, enum cfg_probe_type t,
			    enum probe_unexpected why)
{
	e->unexpected[type_index(t)][why]++;
}

enum probe_err probe_errno_reason(int err)
{
	switch (err) {
	case ENODEV:
	case ENXIO:
		return PROBE_ERR_INTERFACE;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case EINVAL:   /* a blackhole route refuses the send with EINVAL */
		return PROBE_ERR_UNREACHABLE;
	default:
		return PROBE_ERR_SEND;
	}
}

void probe_log_target_error(struct probe_engine *e, struct log_ratelimit *rl,
			    const struct probe_target *t, const char *what, int err)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	const void *a = t->v6 ? (const void *)&((const struct sockaddr_in6 *)&t->dst)->sin6_addr
			      : (const void *)&((const struct sockaddr_in *)&t->dst)->sin_addr;

	inet_ntop(t->v6 ? AF_INET6 : AF_INET, a, addr, sizeof(addr));
	log_kv_limited(e->log, rl, LOG_LVL_WARN, what, "type", cfg_probe_type_name(t->type),
		       "target", addr, "interface", t->ifname[0] ? t->ifname : "",
		       "error", strerror(err), (const char *)0);
}

/* ---- lateness --------------------------------------------------------------- */

static void note_lateness(struct probe_engine *e, double late)
{
	double b = late / PROBE_LATE_STEP;
	size_t i = b <= 0 ? 0 : b >= PROBE_LATE_BUCKETS - 1 ? PROBE_LATE_BUCKETS - 1 : (size_t)b;

	e->late[i]++;
	e->nlate++;
	if (e->opts.on_late != NULL)
		e->opts.on_late(e->opts.late_arg, late < 0 ? 0 : late);
}

double probe_engine_lateness(const struct probe_engine *e, double q, uint64_t *count)
{
	uint64_t want = (uint64_t)ceil(q * (double)e->nlate), seen = 0;

	*count = e->nlate;
	if (e->nlate == 0)
		return NAN;
	if (want == 0)
		want = 1;
	for (size_t i = 0; i < PROBE_LATE_BUCKETS; i++) {
		seen += e->late[i];
		if (seen >= want)
			return (double)(i + 1) * PROBE_LATE_STEP;
	}
	return PROBE_LATE_BUCKETS * PROBE_LATE_STEP;
}

void probe_engine_lateness_reset(struct probe_engine *e)
{
	memset(e->late, 0, sizeof(e->late));
	e->nlate = 0;
}

/* ---- targets table and ring ------------------------------------------------- */

struct probe_target *probe_target_lookup(struct probe_engine *e, uint32_t idx, uint32_t uid)
{
	if (idx >= e->ntargets || e->targets[idx] == NULL || e->targets[idx]->uid != uid)
		return NULL;
	return e->targets[idx];
}

struct ring_entry *probe_ring_find(struct probe_target *t, uint32_t seq)
{
	struct ring_entry *r = &t->ring[seq % t->nring];

	return r->used && r->seq == seq ? r : NULL;
}

/* Entries for every probe that can be outstanding: the timeout and the
 * expiry grace over the shortest interval the spread allows, plus slack. */
static uint32_t ring_size(uint32_t interval_ms, uint32_t timeout_ms, uint32_t spread)
{
	double shortest = interval_ms * (1.0 - (spread > 90 ? 90 : spread) / 100.0);
	double n = ceil((timeout_ms + PROBE_EXPIRE_GRACE_S * 1000) / (shortest > 1 ? shortest : 1)) +
		   PROBE_RING_MIN;

	return n > PROBE_RING_MAX ? PROBE_RING_MAX : (uint32_t)n;
}

/* ---- replies and failures --------------------------------------------------- */

/* A first, duplicate, late or unknown reply to probe seq of t, received
 * at t4 (CLOCK_REALTIME). In time or late is decided by when it arrived,
 * not by when a busy loop got to read it: t4 mapped onto the monotonic
 * clock of the deadlines. */
void probe_reply(struct probe_target *t, uint32_t seq, double rtt, double t4)
{
	struct timespec real;
	double now = mono_now(), arrived;
	enum probe_reply_result r;

	clock_gettime(CLOCK_REALTIME, &real);
	arrived = now - (ts_sec(&real) - t4);
	if (!(arrived <= now))
		arrived = now;
	if (rtt < 0)
		rtt = 0; /* the wall clock stepped back between send and receive */
	r = probe_stats_reply(t->stats, seq, rtt, arrived);
	if (r == PROBE_REPLY_OK) {
		t->last_reply = now;
		if (t->e->opts.on_rtt != NULL)
			t->e->opts.on_rtt(t->user, rtt);
	}
}

void probe_failed(struct probe_target *t, uint32_t seq, enum probe_err why)
{
	t->err[why]++;
	probe_stats_error(t->stats, seq, mono_now());
}

/* ---- sending ---------------------------------------------------------------- */

void probe_send_failed(struct probe_target *t, uint32_t seq, int err)
{
	probe_log_target_error(t->e, &t->e->rl_send, t, "probe not sent", err);
	probe_failed(t, seq, probe_errno_reason(err));
}

static void target_send(struct probe_target *t, double now)
{
	struct ring_entry *r = &t->ring[t->seq % t->nring];
	double deadline = now + t->timeout_ms / 1000.0;

	/* the ring is full of outstanding probes only when the timeout is
	 * longer than the ring covers: the oldest one goes */
	probe_ring_drop_conn(r);
	*r = (struct ring_entry){.seq = t->seq, .used = true, .deadline = deadline};
	probe_stats_expire(t->stats, now - PROBE_EXPIRE_GRACE_S);
	probe_stats_sent(t->stats, t->seq, now, deadline);
	t->seq++;
	switch (t->type) {
	case CFG_PROBE_ICMP:
		probe_icmp_send(t, r);
		break;
	case CFG_PROBE_TCP:
		probe_tcp_send(t, r);
		break;
	case CFG_PROBE_STAMP:
		probe_stamp_send(t, r);
		break;
	}
}

/* ---- the scheduler timer ---------------------------------------------------- */

static void on_timer(uv_timer_t *h);

static void arm(struct probe_engine *e)
{
	uint32_t id;
	double when, delay;

	if (probe_sched_peek(e->sched, &id, &when) != 0) {
		uv_timer_stop(e->timer);
		return;
	}
	uv_update_time(e->loop);
	delay = ceil((when - mono_now()) * 1000.0);
	uv_timer_start(e->timer, on_timer, delay > 0 ? (uint64_t)delay : 0, 0);
}

static void on_timer(uv_timer_t *h)
{
	struct probe_engine *e = h->data;
	double now = mono_now(), when;
	uint32_t id;

	for (unsigned n = 0; n < PROBE_SEND_BATCH && probe_sched_pop_due(e->sched, now, &id, &when) == 0;
	     n++) {
		struct probe_target *t = e->targets[id];
		double next = when + probe_sched_interval(t->interval_ms, e->opts.spread_percent, &e->rng);
		double sent = mono_now();

		note_lateness(e, sent - when);
		target_send(t, sent);
		/* behind by more than an interval (a stalled loop): skip ahead
		 * rather than send a burst */
		if (next < sent)
			next = sent + t->interval_ms / 1000.0;
		if (probe_sched_set(e->sched, id, next) != 0) /* cannot fail: the heap only shrank */
			log_error(e->log, "probe target unscheduled (out of memory)");
	}
	arm(e);
}

/* ---- targets ---------------------------------------------------------------- */

static int table_slot(struct probe_engine *e, uint32_t *idx)
{
	for (size_t i = e->free_hint; i < e->ntargets; i++)
		if (e->targets[i] == NULL) {
			*idx = (uint32_t)i;
			e->free_hint = i + 1;
			return 0;
		}
	e->free_hint = e->ntargets + 1;
	if (e->ntargets >= PROBE_SCHED_MAX_IDS)
		return -1;
	if (e->ntargets == e->cap) {
		size_t n = e->cap ? e->cap * 2 : 64;
		struct probe_target **p = realloc(e->targets, n * sizeof(*p));

		if (p == NULL)
			return -1;
		e->targets = p;
		e->cap = n;
	}
	e->targets[e->ntargets] = NULL;
	*idx = (uint32_t)e->ntargets++;
	return 0;
}

static void target_config(struct probe_target *t, const struct cfg_probe *p,
			  const char *link_interface)
{
	bool v6 = p->family == AF_INET6;
	const char *ifname = p->interface ? p->interface : p->source ? NULL : link_interface;

	t->type = p->type;
	t->v6 = v6;
	probe_sockaddr_of(v6, p->addr, p->type == CFG_PROBE_ICMP ? 0 : p->port, &t->dst,
			  &t->dstlen);
	t->has_src = p->source != NULL;
	if (t->has_src) {
		socklen_t sl;

		probe_sockaddr_of(v6, p->source_addr, 0, &t->src, &sl);
	}
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifname ? ifname : "");
	t->interval_ms = p->interval_ms ? p->interval_ms : 1000;
	t->timeout_ms = p->timeout_ms ? p->timeout_ms : t->interval_ms;
	t->dscp = p->dscp;
	t->size = p->type == CFG_PROBE_ICMP ? (p->size < PROBE_ICMP_TAG_LEN ? PROBE_ICMP_TAG_LEN : p->size)
		  : p->type == CFG_PROBE_STAMP ? (p->size < PROBE_STAMP_MIN_LEN ? PROBE_STAMP_MIN_LEN : p->size)
					       : 0;
}

static void target_free(struct probe_target *t)
{
	for (uint32_t i = 0; t->ring != NULL && i < t->nring; i++)
		probe_ring_drop_conn(&t->ring[i]);
	probe_close_poll(&t->poll, &t->fd);
	probe_psock_put(t->e, t->ps);
	probe_stats_free(t->stats);
	free(t->ring);
	free(t);
}

struct probe_target *probe_engine_add(struct probe_engine *e, const struct cfg_probe *p,
				      const char *link_interface, void *user)
{
	struct probe_target *t = calloc(1, sizeof(*t));
	uint32_t idx;

	if (t == NULL)
		return NULL;
	t->e = e;
	t->fd = -1;
	t->user = user;
	t->last_reply = -INFINITY;
	t->residence = NAN;
	target_config(t, p, link_interface);
	t->nring = ring_size(t->interval_ms, t->timeout_ms, e->opts.spread_percent);
	t->ring = calloc(t->nring, sizeof(*t->ring));
	t->stats = probe_stats_new(e->opts.loss_window);
	if (t->ring == NULL || t->stats == NULL || table_slot(e, &idx) != 0)
		goto fail;
	t->idx = idx;
	t->uid = ++e->next_uid;
	if (t->type == CFG_PROBE_ICMP && (t->ps = probe_psock_get(e, t)) == NULL)
		goto fail;
	if (t->type == CFG_PROBE_STAMP)
		(void)probe_stamp_open(t);
	/* the first probe at a random point of the first interval, so that a
	 * start or reload does not send every probe at once */
	if (probe_sched_set(e->sched, idx,
			    mono_now() + probe_sched_random(&e->rng) * t->interval_ms / 1000.0) != 0)
		goto fail;
	e->targets[idx] = t;
	arm(e);
	return t;
fail:
	if (t->uid != 0 && t->idx < e->free_hint) /* the slot is free again */
		e->free_hint = t->idx;
	target_free(t);
	return NULL;
}

void probe_engine_remove(struct probe_engine *e, struct probe_target *t)
{
	if (t == NULL)
		return;
	probe_sched_remove(e->sched, t->idx);
	e->targets[t->idx] = NULL;
	if (t->idx < e->free_hint)
		e->free_hint = t->idx;
	target_free(t);
}

int probe_engine_update(struct probe_engine *e, struct probe_target *t, const struct cfg_probe *p)
{
	uint32_t n = ring_size(p->interval_ms, p->timeout_ms, e->opts.spread_percent);
	struct ring_entry *ring = NULL;
	struct psock *ps = t->ps;
	uint8_t old_dscp = t->dscp;

	/* everything that can fail first, so that a failure changes nothing */
	if (n != t->nring && (ring = calloc(n, sizeof(*ring))) == NULL)
		return -1;
	t->dscp = p->dscp;
	if (t->type == CFG_PROBE_ICMP && p->dscp != old_dscp &&
	    (ps = probe_psock_get(e, t)) == NULL) {
		t->dscp = old_dscp;
		free(ring);
		return -1;
	}
	if (ps != t->ps) {
		probe_psock_put(e, t->ps);
		t->ps = ps;
	}
	if (ring != NULL) {
		/* a new ring forgets the send times of probes in flight: their
		 * replies count as stale, and they expire as lost */
		for (uint32_t i = 0; i < t->nring; i++)
			probe_ring_drop_conn(&t->ring[i]);
		free(t->ring);
		t->ring = ring;
		t->nring = n;
	}
	t->interval_ms = p->interval_ms;
	t->timeout_ms = p->timeout_ms;
	t->size = p->size;
	if (t->type == CFG_PROBE_STAMP && p->dscp != old_dscp) {
		probe_close_poll(&t->poll, &t->fd);
		(void)probe_stamp_open(t); /* a failure is retried at the next probe */
	}
	return 0;
}

void probe_engine_expire(struct probe_engine *e)
{
	double now = mono_now();

	if (now - e->clock_checked >= CLOCK_CHECK_S) {
		e->err_est = probe_clock_error_estimate();
		e->clock_checked = now;
	}
	for (size_t i = 0; i < e->ntargets; i++) {
		struct probe_target *t = e->targets[i];

		if (t == NULL)
			continue;
		probe_stats_expire(t->stats, now - PROBE_EXPIRE_GRACE_S);
		for (uint32_t j = 0; t->type == CFG_PROBE_TCP && j < t->nring; j++)
			if (t->ring[j].conn != NULL && t->ring[j].deadline <= now)
				probe_ring_drop_conn(&t->ring[j]);
	}
}

void probe_target_get(const struct probe_target *t, struct probe_target_view *v)
{
	double window = (UP_INTERVALS * t->interval_ms + t->timeout_ms) / 1000.0;

	v->st = probe_stats_get(t->stats);
	memcpy(v->err, t->err, sizeof(v->err));
	v->up = mono_now() - t->last_reply <= window;
	v->residence = t->residence;
}

void *probe_target_user(const struct probe_target *t)
{
	return t->user;
}

void probe_target_set_user(struct probe_target *t, void *user)
{
	t->user = user;
}

uint64_t probe_engine_unexpected(const struct probe_engine *e, enum cfg_probe_type type,
				 enum probe_unexpected why)
{
	return (unsigned)why < PROBE_UNX_COUNT ? e->unexpected[type_index(type)][why] : 0;
}

/* ---- engine ----------------------------------------------------------------- */

struct probe_engine *probe_engine_new(uv_loop_t *loop, struct log *log,
				      const struct probe_engine_opts *opts)
{
	struct probe_engine *e = calloc(1, sizeof(*e));
	struct timespec ts;

	if (e == NULL)
		return NULL;
	e->loop = loop;
	e->log = log;
	e->opts = *opts;
	clock_gettime(CLOCK_REALTIME, &ts);
	e->rng = opts->seed ? opts->seed : (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 20 ^ (uint64_t)getpid();
	e->sched = probe_sched_new();
	e->timer = calloc(1, sizeof(*e->timer));
	if (e->sched == NULL || e->timer == NULL || uv_timer_init(loop, e->timer) != 0) {
		free(e->timer);
		e->timer = NULL;
		probe_engine_free(e);
		return NULL;
	}
	e->timer->data = e;
	e->err_est = probe_clock_error_estimate();
	e->clock_checked = mono_now();
	return e;
}

void probe_engine_set_opts(struct probe_engine *e, const struct probe_engine_opts *opts)
{
	e->opts.icmp_socket = opts->icmp_socket;
	e->opts.loss_window = opts->loss_window;
	e->opts.spread_percent = opts->spread_percent;
}

void probe_engine_free(struct probe_engine *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->ntargets; i++)
		if (e->targets[i] != NULL)
			target_free(e->targets[i]);
	if (e->timer != NULL)
		uv_close((uv_handle_t *)e->timer, free_handle);
	free(e->targets);
	probe_sched_free(e->sched);
	free(e);
}
