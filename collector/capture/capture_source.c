/* capture_source.c — the libpcap/libuv edge of passive capture (see
 * capture_source.h). Live interfaces are non-blocking pcap handles polled
 * by the loop, each readiness read with a bounded pcap_dispatch; a file is
 * read on an idle handle in bounded batches so that the loop (and /metrics)
 * stay responsive, then closed with a summary in the log. Metrics are
 * published from the sources' counters once a second. */
#include "capture_source.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include <pcap/pcap.h>

#include "circuit_index.h"
#include "capture_config.h"
#include "log.h"
#include "metrics.h"
#include "source.h"
#include "traffic.h"
#include "vlan_acct.h"

#define LIVE_BATCH 256     /* packets per readiness callback */
#define FILE_BATCH 4096    /* packets per idle callback */
#define PUBLISH_MS 1000
#define MAX_INPUTS 64

enum cap_fam {
	F_VLAN_BYTES,
	F_VLAN_PACKETS,
	F_PACKETS,
	F_DROPPED,
	F_DECODE_ERRORS,
	F_GAPS,
	F_FLOWS_EVICTED,
	F_EVICTED_BYTES,
	F_BGP_MESSAGES,
	F_TCP_RETRANS,
	F_TCP_ZERO_WINDOWS,
	F_COUNTERS, /* the gauges follow */
	F_HOLD_RISK = F_COUNTERS,
	F_KEEPALIVE,
	F_HANDSHAKE_RTT,
	F_COUNT
};

struct input {
	struct capture *c;
	char name[256];
	pcap_t *pc;
	bool offline, done;
	uv_poll_t *poll;
	uv_idle_t *idle;
	struct cap_source *src;
	uint64_t kernel_drop, if_drop;
};

struct capture {
	struct cw_ctx *ctx;
	size_t ninputs;
	struct input in[MAX_INPUTS];
	struct metrics_family *fam[F_COUNT];
	struct metrics_group *group;
	uv_timer_t *timer;
};

/* ---- metrics ------------------------------------------------------------ */

static int families_new(struct capture *c)
{
	static const char *const vlan_l[] = {"interface", "s_tag", "c_tag", "direction"};
	static const char *const if_l[] = {"interface"};
	static const char *const drop_l[] = {"interface", "where"};
	static const char *const err_l[] = {"interface", "reason"};
	/* the labels of the model's BGP session families */
	static const char *const peer_l[] = {"source", "router", "peer", "peer_as",
					     "rd", "circuit", "link", "peering"};
	static const struct {
		const char *name, *help;
		size_t n;
		const char *const *labels;
	} defs[F_COUNT] = {
		[F_VLAN_BYTES] = {"circuitwatch_vlan_bytes_total",
				  "Bytes on the wire per interface, VLAN stack and direction.", 4, vlan_l},
		[F_VLAN_PACKETS] = {"circuitwatch_vlan_packets_total",
				    "Frames per interface, VLAN stack and direction.", 4, vlan_l},
		[F_PACKETS] = {"circuitwatch_capture_packets_total",
			       "Frames the capture delivered.", 1, if_l},
		[F_DROPPED] = {"circuitwatch_capture_dropped_total",
			       "Frames lost before the capture saw them (libpcap ps_drop, ps_ifdrop).",
			       2, drop_l},
		[F_DECODE_ERRORS] = {"circuitwatch_capture_decode_errors_total",
				     "Frames that did not fully decode, by reason.", 2, err_l},
		[F_GAPS] = {"circuitwatch_capture_reassembly_gaps_total",
			    "Holes in a TCP byte stream of the BGP port skipped (BGP resynchronised on the marker).",
			    1, if_l},
		[F_FLOWS_EVICTED] = {"circuitwatch_capture_flows_evicted_total",
				     "TCP connections no longer followed: table full (lru) or idle.",
				     2, err_l},
		[F_EVICTED_BYTES] = {"circuitwatch_capture_reassembly_evicted_bytes_total",
				     "Buffered TCP bytes dropped over the reassembly memory budget.",
				     1, if_l},
		[F_BGP_MESSAGES] = {"circuitwatch_capture_bgp_messages_total",
				    "BGP messages framed from the wire.", 1, if_l},
		[F_TCP_RETRANS] = {"circuitwatch_bgp_tcp_retransmissions_total",
				   "TCP segments of the BGP connection the peer sent again (every byte "
				   "already seen; reordering excluded); current connection, seen by capture.",
				   8, peer_l},
		[F_TCP_ZERO_WINDOWS] = {"circuitwatch_bgp_tcp_zero_windows_total",
					"TCP segments in which the peer advertised a zero receive window "
					"(SYN, FIN, RST excluded); current connection, seen by capture.",
					8, peer_l},
		[F_HOLD_RISK] = {"circuitwatch_bgp_hold_risk_ratio",
				 "Time since the peer was last heard over the negotiated hold time "
				 "(1: its neighbour's hold timer has expired); sessions seen by capture.",
				 8, peer_l},
		[F_KEEPALIVE] = {"circuitwatch_bgp_keepalive_interval_seconds",
				 "Seconds between the peer's last two KEEPALIVEs, seen by capture.", 8,
				 peer_l},
		[F_HANDSHAKE_RTT] = {"circuitwatch_bgp_tcp_handshake_rtt_seconds",
				     "SYN to the ACK of the SYN-ACK of the current BGP connection at the "
				     "capture point (its round-trip time); seen by capture.",
				     8, peer_l},
	};

	for (int i = 0; i < F_COUNT; i++) {
		const struct metrics_family_def def = {
			.type = i < F_COUNTERS ? METRICS_COUNTER : METRICS_GAUGE,
			.name = defs[i].name, .help = defs[i].help,
			.nlabels = defs[i].n, .label_names = defs[i].labels,
		};

		if ((c->fam[i] = metrics_family_new(c->ctx->reg, &def)) == NULL)
			return -1;
	}
	return 0;
}

static void cap_put(struct capture *c, enum cap_fam f, const char *const *labels, double v)
{
	struct metrics_series *s = metrics_group_series(c->group, c->fam[f], labels);

	if (s == NULL)
		return;
	if (f < F_COUNTERS)
		metrics_counter_set(s, v);
	else
		metrics_gauge_set(s, v);
}

static double cap_wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The configured neighbour a peer is, as the model maps it: same address
 * and ASN, on a link whose router (when given) is this input. */
static void map_labels(const struct circuit_index *circuits, const char *router,
		       const struct cap_source_peer *p, const char **circuit, const char **link,
		       const char **peering)
{
	size_t n;
	const struct circuit_ref *const *v = circuit_index_by_address(circuits, p->family, p->addr,
								      &n);

	*circuit = *link = *peering = "";
	for (size_t i = 0; i < n; i++) {
		if ((v[i]->link->router != NULL && strcmp(v[i]->link->router, router) != 0) ||
		    v[i]->neighbor->asn != p->as)
			continue;
		*circuit = v[i]->circuit->id;
		*link = cfg_link_role_name(v[i]->role);
		*peering = cfg_peering_type_name(v[i]->peering->type);
		return;
	}
}

struct peer_pub {
	struct capture *c;
	const char *router;
};

static void publish_cap_peer(const struct cap_source_peer *p, void *arg)
{
	const struct peer_pub *pp = arg;
	char addr[INET6_ADDRSTRLEN], as[12];
	const char *labels[8] = {"pcap", pp->router, addr, as, ""};

	if (inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, addr, sizeof(addr)) == NULL)
		return;
	snprintf(as, sizeof(as), "%u", p->as);
	map_labels(pp->c->ctx->circuits, pp->router, p, &labels[5], &labels[6], &labels[7]);
	cap_put(pp->c, F_HOLD_RISK, labels, p->hold_risk);
	if (p->keepalive_interval > 0)
		cap_put(pp->c, F_KEEPALIVE, labels, p->keepalive_interval);
	cap_put(pp->c, F_TCP_RETRANS, labels, (double)p->retransmissions);
	cap_put(pp->c, F_TCP_ZERO_WINDOWS, labels, (double)p->zero_windows);
	if (p->handshake_rtt >= 0)
		cap_put(pp->c, F_HANDSHAKE_RTT, labels, p->handshake_rtt);
}

static int publish_vlan(const struct vlan_key *k, const struct vlan_counts *n, void *arg)
{
	struct capture *c = arg;
	char st[8] = "", ct[8] = "";
	const char *labels[4] = {k->ifname, st, ct, vlan_dir_name((enum vlan_dir)k->dir)};

	if (k->s_tag != 0)
		snprintf(st, sizeof(st), "%u", (unsigned)k->s_tag);
	if (k->c_tag != 0)
		snprintf(ct, sizeof(ct), "%u", (unsigned)k->c_tag);
	cap_put(c, F_VLAN_BYTES, labels, (double)n->bytes);
	/* billing meters circuit peerings from here: our egress goes to the cloud (issue 6) */
	if (k->dir != VLAN_DIR_UNKNOWN)
		traffic_vlan(c->ctx->traffic, c->ctx->circuits, k->ifname, k->s_tag, k->c_tag,
			     k->dir == VLAN_DIR_EGRESS ? TRAFFIC_TO_CLOUD : TRAFFIC_FROM_CLOUD, n->bytes);
	cap_put(c, F_VLAN_PACKETS, labels, (double)n->packets);
	return 0;
}

static void publish_input(struct capture *c, struct input *in)
{
	struct cap_source_stats st = cap_source_stats(in->src);
	const char *name = in->name;
	const char *one[] = {name};
	const char *kernel[] = {name, "kernel"}, *iface[] = {name, "interface"};
	const char *lru[] = {name, "lru"}, *idle[] = {name, "idle"};

	(void)vlan_acct_walk(cap_source_vlans(in->src), publish_vlan, c);
	cap_put(c, F_PACKETS, one, (double)st.packets);
	if (!in->offline) {
		cap_put(c, F_DROPPED, kernel, (double)in->kernel_drop);
		cap_put(c, F_DROPPED, iface, (double)in->if_drop);
	}
	for (int e = 1; e < CAP_FRAME_ERROR_COUNT; e++) {
		const char *l[] = {name, cap_frame_error_name((enum cap_frame_error)e)};

		if (st.decode_errors[e] > 0)
			cap_put(c, F_DECODE_ERRORS, l, (double)st.decode_errors[e]);
	}
	cap_put(c, F_GAPS, one, (double)st.gaps);
	cap_put(c, F_FLOWS_EVICTED, lru, (double)st.flows_evicted);
	cap_put(c, F_FLOWS_EVICTED, idle, (double)st.flows_expired);
	cap_put(c, F_EVICTED_BYTES, one, (double)st.evicted_bytes);
	cap_put(c, F_BGP_MESSAGES, one, (double)st.bgp_messages);
	/* a file's sessions are judged at its end, not by today's clock */
	cap_source_foreach_peer(in->src, in->offline ? st.last_ts : cap_wall_now(), publish_cap_peer,
				&(struct peer_pub){c, name});
}

static void on_publish(uv_timer_t *t)
{
	struct capture *c = t->data;

	for (size_t i = 0; i < c->ninputs; i++) {
		struct input *in = &c->in[i];
		struct pcap_stat ps;

		if (in->src == NULL)
			continue;
		if (!in->offline && in->pc != NULL && pcap_stats(in->pc, &ps) == 0) {
			in->kernel_drop = ps.ps_drop;
			in->if_drop = ps.ps_ifdrop;
		}
		if (!in->offline)
			cap_source_expire(in->src, cap_wall_now());
		publish_input(c, in);
	}
	/* billing counts this pass's VLAN bytes now, not on its own timer */
	traffic_pass_done(c->ctx->traffic, PUBLISH_MS);
	(void)metrics_group_sweep(c->group);
}

/* ---- packets ------------------------------------------------------------ */

static void on_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *pkt)
{
	struct input *in = (struct input *)arg;
	double ts = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6;

	cap_source_packet(in->src, ts, pkt, h->caplen, h->len);
}

static void free_handle(uv_handle_t *h)
{
	free(h);
}

static void input_close(struct input *in)
{
	if (in->poll != NULL)
		uv_close((uv_handle_t *)in->poll, free_handle);
	if (in->idle != NULL)
		uv_close((uv_handle_t *)in->idle, free_handle);
	in->poll = NULL;
	in->idle = NULL;
	if (in->pc != NULL)
		pcap_close(in->pc);
	in->pc = NULL;
}

static void file_summary(struct input *in)
{
	struct cap_source_stats st = cap_source_stats(in->src);
	char pk[24], msgs[24], flows[24], up[24];

	snprintf(pk, sizeof(pk), "%" PRIu64, st.packets);
	snprintf(msgs, sizeof(msgs), "%" PRIu64, st.bgp_messages);
	snprintf(flows, sizeof(flows), "%" PRIu64, st.flows);
	snprintf(up, sizeof(up), "%" PRIu64, st.sessions_up);
	log_info(in->c->ctx->log, "capture file read", "file", in->name, "packets", pk,
		 "bgp_messages", msgs, "connections", flows, "sessions_established", up);
}

static void on_file_batch(uv_idle_t *h)
{
	struct input *in = h->data;
	int r = pcap_dispatch(in->pc, FILE_BATCH, on_packet, (u_char *)in);

	if (r > 0)
		return;
	if (r < 0 && r != PCAP_ERROR_BREAK)
		log_error(in->c->ctx->log, "capture file read error", "file", in->name, "error",
			  pcap_geterr(in->pc));
	in->done = true;
	uv_idle_stop(h);
	cap_source_finish(in->src);
	file_summary(in);
	input_close(in);
	on_publish(in->c->timer);
}

static void on_readable(uv_poll_t *h, int status, int events)
{
	struct input *in = h->data;

	(void)events;
	if (status < 0 || pcap_dispatch(in->pc, LIVE_BATCH, on_packet, (u_char *)in) < 0) {
		log_error(in->c->ctx->log, "capture stopped on an interface", "interface",
			  in->name, "error", status < 0 ? uv_strerror(status) : pcap_geterr(in->pc));
		uv_poll_stop(h);
	}
}

/* ---- opening ------------------------------------------------------------ */

static bool linktype_supported(int lt)
{
	static const uint8_t one[1];
	struct cap_frame fr;

	return cap_frame_decode(lt, one, 0, 0, &fr) == 0 ||
	       fr.error != CAP_FRAME_UNSUPPORTED_LINKTYPE;
}

static int set_filter(struct input *in, const char *filter)
{
	struct bpf_program prog;
	int rc;

	if (filter == NULL)
		return 0;
	if (pcap_compile(in->pc, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		log_error(in->c->ctx->log, "bad capture.filter", "interface", in->name, "error",
			  pcap_geterr(in->pc));
		return -1;
	}
	rc = pcap_setfilter(in->pc, &prog);
	pcap_freecode(&prog);
	if (rc != 0)
		log_error(in->c->ctx->log, "cannot set capture.filter", "interface", in->name,
			  "error", pcap_geterr(in->pc));
	return rc == 0 ? 0 : -1;
}

static int open_live(struct input *in, const struct cfg_capture *cc)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	int rc, fd;

	in->pc = pcap_create(in->name, err);
	if (in->pc == NULL) {
		log_error(in->c->ctx->log, "cannot capture", "interface", in->name, "error", err);
		return -1;
	}
	(void)pcap_set_snaplen(in->pc, cc->snaplen > 0 ? (int)cc->snaplen : 65535);
	(void)pcap_set_promisc(in->pc, cc->promiscuous);
	if (cc->buffer_size > 0)
		(void)pcap_set_buffer_size(in->pc, (int)cc->buffer_size);
	(void)pcap_set_immediate_mode(in->pc, cc->immediate);
	rc = pcap_activate(in->pc);
	if (rc < 0) {
		/* the cause: no such device, permission denied (CAP_NET_RAW), ... */
		log_error(in->c->ctx->log, "cannot capture", "interface", in->name, "error",
			  pcap_statustostr(rc), "detail", pcap_geterr(in->pc));
		return -1;
	}
	if (rc > 0)
		log_warn(in->c->ctx->log, "capture started with a warning", "interface", in->name,
			 "warning", pcap_statustostr(rc), "detail", pcap_geterr(in->pc));
	if (set_filter(in, cc->filter) != 0)
		return -1;
	if (pcap_setnonblock(in->pc, 1, err) != 0 || (fd = pcap_get_selectable_fd(in->pc)) < 0) {
		log_error(in->c->ctx->log, "cannot poll the capture", "interface", in->name,
			  "error", err[0] ? err : "no selectable descriptor");
		return -1;
	}
	if ((in->poll = calloc(1, sizeof(*in->poll))) == NULL ||
	    uv_poll_init(in->c->ctx->loop, in->poll, fd) != 0) {
		free(in->poll);
		in->poll = NULL;
		return -1;
	}
	in->poll->data = in;
	return uv_poll_start(in->poll, UV_READABLE, on_readable) == 0 ? 0 : -1;
}

static int open_file(struct input *in, const struct cfg_capture *cc, const char *path)
{
	char err[PCAP_ERRBUF_SIZE] = "";

	in->offline = true;
	in->pc = pcap_open_offline(path, err);
	if (in->pc == NULL) {
		log_error(in->c->ctx->log, "cannot read capture file", "file", path, "error", err);
		return -1;
	}
	if (set_filter(in, cc->filter) != 0)
		return -1;
	if ((in->idle = calloc(1, sizeof(*in->idle))) == NULL ||
	    uv_idle_init(in->c->ctx->loop, in->idle) != 0) {
		free(in->idle);
		in->idle = NULL;
		return -1;
	}
	in->idle->data = in;
	return uv_idle_start(in->idle, on_file_batch) == 0 ? 0 : -1;
}

static int input_open(struct capture *c, struct input *in, const char *name, const char *path)
{
	const struct cfg_capture *cc = capture_config(c->ctx->cfg);
	int lt;

	in->c = c;
	snprintf(in->name, sizeof(in->name), "%s", name);
	if ((path != NULL ? open_file(in, cc, path) : open_live(in, cc)) != 0)
		return -1;
	lt = pcap_datalink(in->pc);
	if (!linktype_supported(lt)) {
		log_error(c->ctx->log, "capture link type not supported", "input", name, "linktype",
			  pcap_datalink_val_to_name(lt) ? pcap_datalink_val_to_name(lt) : "?");
		return -1;
	}
	in->src = cap_source_new(c->ctx->model, c->ctx->cfg, name, lt);
	if (in->src == NULL)
		return -1;
	log_info(c->ctx->log, path ? "capture reading file" : "capture started", "input", name);
	return 0;
}

/* ---- module ------------------------------------------------------------- */

static void capture_free(struct capture *c)
{
	for (size_t i = 0; i < c->ninputs; i++) {
		input_close(&c->in[i]);
		cap_source_free(c->in[i].src);
	}
	if (c->timer != NULL)
		uv_close((uv_handle_t *)c->timer, free_handle);
	metrics_group_free(c->group);
	free(c);
}

static int inputs_open(struct capture *c, const struct cfg_capture *cc)
{
	if (cc->file != NULL) {
		const char *base = strrchr(cc->file, '/');

		c->ninputs = 1;
		return input_open(c, &c->in[0], base ? base + 1 : cc->file, cc->file);
	}
	if (cc->ninterfaces == 0 || cc->ninterfaces > MAX_INPUTS) {
		log_error(c->ctx->log, "capture needs 1..64 interfaces or a file");
		return -1;
	}
	for (size_t i = 0; i < cc->ninterfaces; i++) {
		c->ninputs = i + 1;
		if (input_open(c, &c->in[i], cc->interfaces[i], NULL) != 0)
			return -1;
	}
	return 0;
}

static int capture_start(struct cw_ctx *ctx, void **state)
{
	const struct cfg_capture *cc = capture_config(ctx->cfg);
	struct capture *c;

	*state = NULL;
	if (!cc->enabled) {
		log_info(ctx->log, "capture disabled");
		return 0;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->ctx = ctx;
	c->group = metrics_group_new();
	c->timer = calloc(1, sizeof(*c->timer));
	if (c->group == NULL || c->timer == NULL || uv_timer_init(ctx->loop, c->timer) != 0) {
		free(c->timer);
		c->timer = NULL;
		capture_free(c);
		return -1;
	}
	c->timer->data = c;
	if (families_new(c) != 0 || inputs_open(c, cc) != 0 ||
	    uv_timer_start(c->timer, on_publish, PUBLISH_MS, PUBLISH_MS) != 0) {
		capture_free(c);
		return -1;
	}
	*state = c;
	return 0;
}

static bool str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

static void capture_reload(struct cw_ctx *ctx, void *state, const struct cfg_config *old)
{
	const struct cfg_capture *a = capture_config(old), *b = capture_config(ctx->cfg);
	bool ifs = a->ninterfaces != b->ninterfaces;

	(void)state;
	for (size_t i = 0; !ifs && i < a->ninterfaces; i++)
		ifs = strcmp(a->interfaces[i], b->interfaces[i]) != 0;
	if (a->enabled != b->enabled || ifs || str_differs(a->file, b->file) ||
	    str_differs(a->filter, b->filter) || a->snaplen != b->snaplen ||
	    a->promiscuous != b->promiscuous || a->buffer_size != b->buffer_size ||
	    a->immediate != b->immediate || a->bgp_port != b->bgp_port ||
	    a->max_flows != b->max_flows || a->max_reassembly_bytes != b->max_reassembly_bytes ||
	    a->nlocal_macs != b->nlocal_macs || a->nlocal_prefixes != b->nlocal_prefixes)
		log_warn(ctx->log, "setting changed but not applied; restart to apply", "key",
			 "capture");
	/* the neighbours (who is our router) apply to new connections: the
	 * sources look them up in the model's circuit index, ctx->circuits */
}

static void capture_stop(struct cw_ctx *ctx, void *state)
{
	(void)ctx;
	if (state != NULL)
		capture_free(state);
}

/* circuitwatch_memory_bytes{component="reassembly"}: every input's. */
static void capture_memory(void *state, cw_memory_report *report, void *arg)
{
	const struct capture *c = state;
	size_t bytes = 0;

	for (size_t i = 0; c != NULL && i < c->ninputs; i++)
		if (c->in[i].src != NULL)
			bytes += cap_source_reasm_bytes(c->in[i].src);
	report(arg, "reassembly", bytes);
}

const struct cw_module capture_module = {
	.name = "capture",
	.start = capture_start,
	.reload = capture_reload,
	.stop = capture_stop,
	.memory = capture_memory,
};
