/* source.c — the per-packet pipeline of passive capture. See source.h. */
#include "source.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bgp.h"
#include "capture_config.h"
#include "circuit_index.h"
#include "flows.h"
#include "ingest.h"
#include "model.h"
#include "passive.h"
#include "rib_sink.h"
#include "vlan_acct.h"

#define CS_NAME_MAX 256
#define CS_DEFAULT_BGP_PORT 179

/* model_peer_aux of a pcap peer: the connection that last brought it up,
 * so that the end of an older connection does not take it down. */
struct cs_peer {
	const void *owner;
};

/* flow->user */
struct cs_flow {
	struct bgp_passive sess;
	struct model_peer *peer[2];
	bool ours[2];    /* side i is our router (a neighbour's peer) */
	bool fin_fed[2]; /* BGP_PASSIVE_EV_FIN given for side i */
	bool rst_fed;
};

struct cap_source {
	struct model *model;
	struct bgp_ingest *ingest;
	struct model_router *router;
	char name[CS_NAME_MAX];
	int linktype;
	uint16_t bgp_port;
	bool freeing; /* removal at the end: keep the model as it is */
	double ts;    /* of the current packet */
	struct cap_flows *flows;
	struct vlan_acct *vlans;
	struct cap_source_stats st; /* gaps etc. of removed flows only */
	cap_source_session_fn on_end;
	void *on_end_arg;
};

static void cs_snapshot(struct cap_flow *f, struct cap_source_session *ss);

/* ---- peers -------------------------------------------------------------- */

/* A configured neighbour's address, in the circuits the model maps peers
 * with (the daemon's index, swapped on reload, or the model's own). */
static bool is_neighbor(const struct model *m, uint8_t family, const uint8_t *addr)
{
	size_t n;

	(void)circuit_index_by_address(model_circuit_index(m), family, addr, &n);
	return n > 0;
}

/* The model peer of side (created when new, AS from its OPEN, 0 before);
 * refresh re-reads the AS after an OPEN. NULL at the model's caps. */
static struct model_peer *cs_peer(struct cap_source *s, struct cap_flow *f, int side,
				  bool refresh)
{
	struct cs_flow *cf = f->user;
	const struct bgp_passive_side *sd = &cf->sess.side[side];
	struct model_peer_key key = {.peer_type = 0, .distinguisher = 0, .family = f->family};
	struct model_peer *p;

	if (cf->peer[side] != NULL && !refresh)
		return cf->peer[side];
	memcpy(key.addr, f->end[side].addr, 16);
	p = model_peer_get(s->model, s->router, &key, sd->open_seen ? sd->as : 0,
			   sd->open_seen ? sd->bgp_id : 0);
	if (p != NULL && model_peer_aux(p) == NULL) {
		struct cs_peer *cp = calloc(1, sizeof(*cp));

		if (cp != NULL)
			model_peer_set_aux(p, cp, free);
	}
	cf->peer[side] = p;
	return p;
}

static void cs_peers_up(struct cap_source *s, struct cap_flow *f)
{
	struct cs_flow *cf = f->user;

	for (int side = 0; side < 2; side++) {
		struct model_peer *p = cs_peer(s, f, side, false);
		struct cs_peer *cp = p ? model_peer_aux(p) : NULL;

		if (p == NULL)
			continue;
		if (cp != NULL)
			cp->owner = cf;
		model_peer_up(s->model, p, s->ts);
	}
}

/* Down only when this connection is the one that brought the peer up. A
 * NOTIFICATION counts on the series of the side that sent it; the other
 * side's down event still names it. */
static void cs_peers_down(struct cap_source *s, struct cs_flow *cf, const struct model_down *why)
{
	for (int side = 0; side < 2; side++) {
		struct model_peer *p = cf->peer[side];
		struct cs_peer *cp = p ? model_peer_aux(p) : NULL;

		if (cp == NULL || cp->owner != cf)
			continue;
		cp->owner = NULL;
		if (why == NULL || !model_peer_is_up(p))
			continue;
		if (cf->sess.notif_side == side || cf->sess.notif_code < 0)
			model_peer_down(s->model, p, s->ts, why);
		else
			model_peer_down_notified(s->model, p, s->ts, why);
	}
}

/* What the inferred session says ended it (cause: when it is not down). */
static struct model_down cs_down_of(const struct bgp_passive *ps, enum model_down_cause cause)
{
	static const enum model_down_cause of[] = {
		[BGP_PASSIVE_DOWN_NONE] = MODEL_DOWN_UNKNOWN,
		[BGP_PASSIVE_DOWN_NOTIFICATION] = MODEL_DOWN_NOTIFICATION,
		[BGP_PASSIVE_DOWN_FIN] = MODEL_DOWN_TCP_FIN,
		[BGP_PASSIVE_DOWN_RST] = MODEL_DOWN_TCP_RST,
	};

	if (ps->state == BGP_PASSIVE_DOWN && (unsigned)ps->down_cause < sizeof(of) / sizeof(of[0]))
		cause = of[ps->down_cause];
	return (struct model_down){cause, 0, ps->notif_code, ps->notif_subcode};
}

/* Follows the inferred session into the model. */
static void cs_state(struct cap_source *s, struct cap_flow *f, enum bgp_passive_state before)
{
	struct cs_flow *cf = f->user;
	enum bgp_passive_state after = cf->sess.state;
	struct model_down why = cs_down_of(&cf->sess, MODEL_DOWN_UNKNOWN);

	if (after == before)
		return;
	if (after == BGP_PASSIVE_ESTABLISHED)
		cs_peers_up(s, f);
	else if (after == BGP_PASSIVE_DOWN && before == BGP_PASSIVE_ESTABLISHED)
		cs_peers_down(s, cf, &why);
}

static void cs_event(struct cap_source *s, struct cap_flow *f, enum bgp_passive_event ev,
		     int side)
{
	struct cs_flow *cf = f->user;
	enum bgp_passive_state before = cf->sess.state;

	bgp_passive_event(&cf->sess, ev, side, s->ts);
	cs_state(s, f, before);
}

/* ---- BGP framing -------------------------------------------------------- */

static void cs_message(struct cap_source *s, struct cap_flow *f, int side, const uint8_t *msg,
		       size_t len)
{
	struct cs_flow *cf = f->user;
	enum bgp_passive_state before = cf->sess.state;
	int type = bgp_passive_message(&cf->sess, side, msg, len, s->ts);
	struct model_peer *p;

	s->st.bgp_messages++;
	cs_state(s, f, before);
	if (type == BGP_MSG_OPEN) {
		(void)cs_peer(s, f, side, true);
	} else if (type == BGP_MSG_UPDATE) {
		/* RFC 4271 §4.2: decoded as negotiated by the two OPENs
		 * (bgp_passive keeps the context of what side sends) */
		p = cs_peer(s, f, side, false);
		if (p != NULL)
			bgp_ingest_update(s->ingest, p, BGP_INGEST_ADJ_IN_PRE, &cf->sess.ctx[side], msg,
					  len);
		/* what our router sends its neighbour is what the provider counts
		 * against the prefix limit */
		if (cf->ours[side] && (p = cs_peer(s, f, !side, false)) != NULL)
			bgp_ingest_sent_to(s->ingest, p, BGP_INGEST_ADJ_OUT_PRE, &cf->sess.ctx[side],
					   msg, len);
	}
}

/* Bytes of p[0..n) used (0: wait for more). */
struct cs_dir {
	struct cap_source *s;
	struct cap_flow *f;
	int side;
};

static size_t cs_bgp_step(void *arg, const uint8_t *p, size_t n)
{
	struct cs_dir *d = arg;
	struct cap_source *s = d->s;
	struct cap_flow *f = d->f;
	int side = d->side;
	struct cap_bgp_step st;

	cap_reasm_bgp_step(&f->dir[side], p, n, &st);
	s->st.resyncs += st.resynced;
	if (st.kind == CAP_STEP_LOST)
		s->st.framing_lost++;
	else if (st.kind == CAP_STEP_MESSAGE)
		cs_message(s, f, side, p, st.msg_len);
	return st.used;
}

/* Frames what the direction has ready, then passes on its FIN or RST. */
static void cs_drain(struct cap_source *s, struct cap_flow *f, int side)
{
	struct cap_reasm *r = &f->dir[side];
	struct cs_flow *cf = f->user;
	struct cs_dir d = {s, f, side};

	cap_reasm_drain(r, cs_bgp_step, &d);
	if (r->reset && !cf->rst_fed) {
		cf->rst_fed = true;
		cs_event(s, f, BGP_PASSIVE_EV_RST, side);
	} else if (r->closed && !cf->fin_fed[side]) {
		cf->fin_fed[side] = true;
		cs_event(s, f, BGP_PASSIVE_EV_FIN, side);
	}
}

/* ---- flows -------------------------------------------------------------- */

static void cs_flush(struct cap_source *s, struct cap_flow *f)
{
	for (int side = 0; side < 2; side++) {
		if (!f->dir_started[side])
			continue;
		cs_drain(s, f, side);
		while (cap_reasm_flush_gap(&f->dir[side]) == 1)
			cs_drain(s, f, side);
	}
}

/* Before a flow goes (eviction, expiry, end): frame what was held behind
 * holes, keep its counters, and let go of its peers. A connection evicted
 * or idle while established ends its session ("idle"), unless the source
 * is being freed (the model keeps the last state of a file). */
static void cs_flow_removed(struct cap_flow *f, void *arg)
{
	struct cap_source *s = arg;
	struct cs_flow *cf = f->user;
	double now = s->ts;
	struct model_down idle;

	if (cf == NULL)
		return;
	idle = cs_down_of(&cf->sess, MODEL_DOWN_IDLE);
	s->ts = f->last_seen;
	cs_flush(s, f);
	if (s->on_end != NULL) {
		struct cap_source_session ss;

		cs_snapshot(f, &ss);
		s->on_end(&ss, s->on_end_arg);
	}
	for (int side = 0; side < 2; side++) {
		s->st.gaps += f->dir[side].st.gaps;
		s->st.gap_bytes += f->dir[side].st.gap_bytes;
	}
	cs_peers_down(s, cf, !s->freeing && cf->sess.state == BGP_PASSIVE_ESTABLISHED ? &idle : NULL);
	free(cf);
	f->user = NULL;
	s->ts = now;
}

static struct cs_flow *cs_flow_new(const struct cap_source *s, const struct cap_flow *f)
{
	struct cs_flow *cf = calloc(1, sizeof(*cf));
	bool nb[2];

	if (cf == NULL)
		return NULL;
	bgp_passive_init(&cf->sess);
	for (int i = 0; i < 2; i++)
		nb[i] = is_neighbor(s->model, f->family, f->end[i].addr);
	/* our router: not a configured neighbour, talking to one */
	cf->ours[0] = !nb[0] && nb[1];
	cf->ours[1] = !nb[1] && nb[0];
	return cf;
}

static void cs_segment(struct cap_source *s, const struct cap_frame *fr)
{
	static const uint8_t empty[1];
	const struct cap_tcp *t = &fr->tcp;
	struct cap_endpoint src = {.port = t->sport}, dst = {.port = t->dport};
	bool syn = (t->flags & CAP_TCP_SYN) != 0, syn_data = syn && t->payload_len > 0;
	struct cap_flow *f;
	struct cap_reasm *r;
	int side;

	memcpy(src.addr, fr->src_ip, 16);
	memcpy(dst.addr, fr->dst_ip, 16);
	f = cap_flows_get(s->flows, fr->ip_version, &src, &dst, t->flags, s->ts, &side);
	if (f == NULL || (f->user == NULL && (f->user = cs_flow_new(s, f)) == NULL))
		return;
	cap_flow_tcp_seen(f, side, t->flags, t->seq, t->ack, t->window, s->ts);
	/* as decode_pcap.c: a SYN carrying data is a synthetic capture's, its
	 * data taken at its seq (no TCP Fast Open towards BGP) */
	r = cap_flow_reasm(s->flows, f, side, syn_data ? t->seq - 1 : t->seq, syn);
	/* an empty segment gets a non-NULL pointer: the reassembler advances it
	 * past retransmitted bytes even when there are none (pointer
	 * arithmetic on NULL is undefined; a TCP keepalive probe does it) */
	if (cap_reasm_segment(r, syn && !syn_data ? t->seq + 1 : t->seq,
			      t->payload != NULL ? t->payload : empty, t->payload_len, (t->flags & CAP_TCP_FIN) != 0,
			      (t->flags & CAP_TCP_RST) != 0) != 0)
		return;
	cs_drain(s, f, side);
}

/* ---- per packet --------------------------------------------------------- */

static void cs_account(struct cap_source *s, const struct cap_frame *fr)
{
	struct vlan_frame vf = {0};
	int st = cap_frame_s_tag(fr), ct = cap_frame_c_tag(fr);

	if (fr->has_mac) {
		vf.src_mac = fr->src_mac;
		vf.dst_mac = fr->dst_mac;
	} else if (fr->has_src_mac) {
		vf.src_mac = fr->src_mac;
	}
	if (fr->has_ip) {
		vf.family = fr->ip_version;
		vf.src_ip = fr->src_ip;
		vf.dst_ip = fr->dst_ip;
	}
	vf.s_tag = st > 0 ? (uint16_t)st : 0;
	vf.c_tag = ct > 0 ? (uint16_t)ct : 0;
	vf.wire_len = fr->wirelen > UINT32_MAX ? UINT32_MAX : (uint32_t)fr->wirelen;
	vlan_acct_add(s->vlans, s->name, &vf);
}

void cap_source_packet(struct cap_source *s, double ts, const uint8_t *pkt, size_t caplen,
		       size_t wirelen)
{
	struct cap_frame fr;

	s->st.packets++;
	s->ts = ts;
	(void)cap_flows_expire(s->flows, ts);
	if (cap_frame_decode(s->linktype, pkt, caplen, wirelen, &fr) != 0)
		s->st.decode_errors[fr.error < CAP_FRAME_ERROR_COUNT ? fr.error
								     : CAP_FRAME_BAD_ARGS]++;
	/* a partly decoded frame is still traffic of its VLAN */
	if (fr.has_link)
		cs_account(s, &fr);
	if (fr.has_tcp && (fr.tcp.sport == s->bgp_port || fr.tcp.dport == s->bgp_port)) {
		s->st.bgp_segments++;
		cs_segment(s, &fr);
	}
	model_stream_flush(s->model); /* the route changes of this packet go now */
}

static void cs_flush_one(struct cap_flow *f, void *arg)
{
	cs_flush(arg, f);
}

void cap_source_finish(struct cap_source *s)
{
	if (s == NULL)
		return;
	cap_flows_foreach(s->flows, cs_flush_one, s);
	model_stream_flush(s->model);
}

/* ---- lifecycle ---------------------------------------------------------- */

/* Every local MAC and prefix of the config (none is dropped: the table
 * is sorted for lookup). NULL when out of memory. */
static struct vlan_acct *vlans_from_cfg(const struct cfg_capture *c)
{
	struct vlan_local lo = {.nmacs = c->nlocal_macs,
				.macs = (const uint8_t(*)[6])c->local_macs};
	struct vlan_prefix *pfx = NULL;
	struct vlan_acct *a;

	if (c->nlocal_prefixes > 0 &&
	    (pfx = calloc(c->nlocal_prefixes, sizeof(*pfx))) == NULL)
		return NULL;
	for (size_t i = 0; i < c->nlocal_prefixes; i++) {
		const struct cfg_prefix *p = &c->local_prefixes[i];

		pfx[i].family = p->family == AF_INET ? 4 : 6;
		pfx[i].len = p->len;
		memcpy(pfx[i].addr, p->addr, 16);
	}
	lo.nprefixes = c->nlocal_prefixes;
	lo.prefixes = pfx;
	a = vlan_acct_new(&lo);
	free(pfx);
	return a;
}

struct cap_source *cap_source_new(struct model *m, const struct cfg_config *cfg,
				  const char *name, int linktype)
{
	const struct cfg_capture *c;
	struct cap_source *s;

	if (m == NULL || cfg == NULL || name == NULL || (s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	c = capture_config(cfg);
	s->model = m;
	s->linktype = linktype;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->bgp_port = c->bgp_port > 0 && c->bgp_port <= 65535 ? (uint16_t)c->bgp_port
							      : CS_DEFAULT_BGP_PORT;
	s->vlans = vlans_from_cfg(c);
	s->ingest = bgp_ingest_new(model_rib_sink(m));
	s->router = model_router_get(m, MODEL_SRC_PCAP, s->name);
	s->flows = cap_flows_new(c->max_flows, c->max_reassembly_bytes, 0, cs_flow_removed, s);
	if (s->vlans == NULL || s->ingest == NULL || s->router == NULL || s->flows == NULL) {
		cap_source_free(s);
		return NULL;
	}
	return s;
}

void cap_source_free(struct cap_source *s)
{
	if (s == NULL)
		return;
	s->freeing = true;
	cap_flows_free(s->flows);
	bgp_ingest_free(s->ingest);
	vlan_acct_free(s->vlans);
	free(s);
}

static void cs_sum_flow(struct cap_flow *f, void *arg)
{
	struct cap_source_stats *st = arg;
	const struct cs_flow *cf = f->user;

	for (int side = 0; side < 2; side++) {
		if (!f->dir_started[side])
			continue;
		st->gaps += f->dir[side].st.gaps;
		st->gap_bytes += f->dir[side].st.gap_bytes;
	}
	if (cf != NULL && cf->sess.state == BGP_PASSIVE_ESTABLISHED)
		st->sessions_up++;
}

struct cap_source_stats cap_source_stats(const struct cap_source *s)
{
	struct cap_source_stats st = s->st;
	struct cap_flows_stats fs = cap_flows_stats(s->flows);

	st.sessions_up = 0;
	/* foreach needs a mutable table but reads only */
	cap_flows_foreach(((struct cap_source *)s)->flows, cs_sum_flow, &st);
	st.evicted_bytes = cap_flows_budget(s->flows)->evicted_bytes;
	st.last_ts = s->ts;
	st.flows = fs.created;
	st.flows_evicted = fs.evicted_lru;
	st.flows_expired = fs.expired;
	return st;
}

size_t cap_source_reasm_bytes(const struct cap_source *s)
{
	return cap_flows_budget(s->flows)->used;
}

void cap_source_expire(struct cap_source *s, double now)
{
	if (s != NULL && now > s->ts) {
		s->ts = now;
		(void)cap_flows_expire(s->flows, now);
		model_stream_flush(s->model);
	}
}

struct cs_peer_walk {
	double now;
	void (*fn)(const struct cap_source_peer *p, void *arg);
	void *arg;
};

static void cs_peer_flow(struct cap_flow *f, void *arg)
{
	const struct cs_peer_walk *w = arg;
	const struct cs_flow *cf = f->user;

	if (cf == NULL || cf->sess.state != BGP_PASSIVE_ESTABLISHED)
		return;
	for (int side = 0; side < 2; side++) {
		const struct bgp_passive_side *sd = &cf->sess.side[side];
		double l0, l1;
		struct cap_source_peer p = {
			.family = f->family,
			.as = sd->open_seen ? sd->as : 0,
			.hold_risk = bgp_passive_hold_risk(&cf->sess, side, w->now),
			.keepalive_interval = sd->keepalive_interval,
			.retransmissions = f->dir[side].st.retrans_segments,
			.zero_windows = f->tcp.zero_windows[side],
			.handshake_rtt = cap_flow_handshake_rtt(f, &l0, &l1),
		};

		memcpy(p.addr, f->end[side].addr, 16);
		w->fn(&p, w->arg);
	}
}

void cap_source_foreach_peer(struct cap_source *s, double now,
			     void (*fn)(const struct cap_source_peer *p, void *arg), void *arg)
{
	struct cs_peer_walk w = {.now = now, .fn = fn, .arg = arg};

	cap_flows_foreach(s->flows, cs_peer_flow, &w);
}

/* ---- session summaries ------------------------------------------------- */

static void cs_side(const struct cap_flow *f, int i, struct cap_source_side *o)
{
	const struct cs_flow *cf = f->user;
	const struct bgp_passive_side *sd = &cf->sess.side[i];
	struct model_peer *p = cf->peer[i];
	const struct cs_peer *cp = p != NULL ? model_peer_aux(p) : NULL;

	memcpy(o->addr, f->end[i].addr, 16);
	o->port = f->end[i].port;
	o->open_seen = sd->open_seen;
	o->as = sd->as;
	o->bgp_id = sd->bgp_id;
	o->hold_time = sd->hold_time;
	memcpy(o->msgs, sd->msgs, sizeof(o->msgs));
	o->retransmissions = f->dir_started[i] ? f->dir[i].st.retrans_segments : 0;
	o->zero_windows = f->tcp.zero_windows[i];
	o->has_prefixes = cp != NULL && cp->owner == cf;
	if (o->has_prefixes) {
		o->prefixes[0] = model_prefix_count(p, MODEL_VIEW_ADJ_IN_PRE,
						    MODEL_AF_IPV4_UNICAST);
		o->prefixes[1] = model_prefix_count(p, MODEL_VIEW_ADJ_IN_PRE,
						    MODEL_AF_IPV6_UNICAST);
	}
}

/* The summary of a connection (f->user set); prefix counts from the model
 * only while this connection owns its peers. */
static void cs_snapshot(struct cap_flow *f, struct cap_source_session *ss)
{
	const struct cs_flow *cf = f->user;

	memset(ss, 0, sizeof(*ss));
	ss->family = f->family;
	for (int i = 0; i < 2; i++)
		cs_side(f, i, &ss->side[i]);
	ss->state = bgp_passive_state_name(cf->sess.state);
	ss->state_changes = cf->sess.state_changes;
	ss->down_reason = cf->sess.state == BGP_PASSIVE_DOWN ? cf->sess.down_reason : NULL;
	ss->notif_code = cf->sess.notif_code;
	ss->notif_subcode = cf->sess.notif_subcode;
	ss->hold_time = cf->sess.state >= BGP_PASSIVE_OPEN_BOTH ? cf->sess.hold_time : 0;
	ss->mid_session = f->mid_session[0] || f->mid_session[1];
	ss->first_seen = f->first_seen;
	ss->last_seen = f->last_seen;
	ss->handshake_rtt = cap_flow_handshake_rtt(f, &ss->syn_synack, &ss->synack_ack);
}

struct cs_session_walk {
	cap_source_session_fn fn;
	void *arg;
};

static void cs_session_flow(struct cap_flow *f, void *arg)
{
	const struct cs_session_walk *w = arg;
	struct cap_source_session ss;

	if (f->user == NULL)
		return;
	cs_snapshot(f, &ss);
	w->fn(&ss, w->arg);
}

void cap_source_foreach_session(struct cap_source *s, cap_source_session_fn fn, void *arg)
{
	struct cs_session_walk w = {.fn = fn, .arg = arg};

	cap_flows_foreach(s->flows, cs_session_flow, &w);
}

void cap_source_on_session_end(struct cap_source *s, cap_source_session_fn fn, void *arg)
{
	s->on_end = fn;
	s->on_end_arg = arg;
}

const char *cap_source_name(const struct cap_source *s)
{
	return s->name;
}

const struct vlan_acct *cap_source_vlans(const struct cap_source *s)
{
	return s->vlans;
}
