/* decode_pcap.c — BGP/BMP messages reassembled from a capture file. See
 * decode_pcap.h. The libpcap read loop is the only I/O; the per-direction
 * framing works on the reassemblers' bytes. */
#include "decode_pcap.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "bmp.h"
#include "decode.h"
#include "flows.h"
#include "frame.h"
#include "negotiate.h"

/* One direction of a flow. */
struct dp_dir {
	bool open_seen;
	struct bgp_open open; /* pointer fields cleared: numbers only */
	struct decode_bmp *bmp;
	bool skip; /* BMP framing lost: the rest of the direction is ignored */
	uint64_t skipped; /* BMP bytes passed over since the last gap */
};

/* flow->user */
struct dp_flow {
	bool bmp;
	struct dp_dir d[2];
	struct bgp_decode_ctx ctx[2]; /* for what side i sends */
};

struct dp {
	FILE *out;
	uint16_t bmp_port;
	double ts; /* of the current packet */
	bool write_error;
	struct cap_flows *flows;
	struct decode_pcap_stats st;
};

bool decode_is_capture(const uint8_t *p, size_t n)
{
	uint32_t m;

	if (p == NULL || n < 4)
		return false;
	m = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	/* pcap (µs and ns, either byte order) and the pcapng Section Header */
	return m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1 ||
	       m == 0x0a0d0d0a;
}

/* ---- output ------------------------------------------------------------- */

static json_t *endpoint_json(const struct cap_flow *f, int side)
{
	char addr[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 10];
	const struct cap_endpoint *e = &f->end[side];

	if (inet_ntop(f->family == 6 ? AF_INET6 : AF_INET, e->addr, addr, sizeof(addr)) == NULL)
		return NULL;
	snprintf(buf, sizeof(buf), f->family == 6 ? "[%s]:%u" : "%s:%u", addr, (unsigned)e->port);
	return json_string(buf);
}

/* Prints j (consumed) with the flow's endpoints and the packet time. */
static void dp_emit(struct dp *dp, json_t *j, const struct cap_flow *f, int side)
{
	if (j == NULL) {
		dp->write_error = true;
		return;
	}
	(void)json_object_set_new(j, "ts", json_real(dp->ts));
	(void)json_object_set_new(j, "src", endpoint_json(f, side));
	(void)json_object_set_new(j, "dst", endpoint_json(f, !side));
	/* 16 significant digits: seconds since 1970 with 6 decimals */
	if (json_dumpf(j, dp->out, JSON_COMPACT | JSON_REAL_PRECISION(16)) != 0 ||
	    fputc('\n', dp->out) == EOF)
		dp->write_error = true;
	if (!decode_has_error(j) || json_object_get(j, "type") != NULL)
		dp->st.messages++;
	json_decref(j);
}

static void dp_framing_lost(struct dp *dp, const struct cap_flow *f, int side, const char *reason)
{
	dp->st.framing_lost++;
	dp_emit(dp, json_pack("{ssss}", "error", "framing_lost", "reason", reason), f, side);
}

/* ---- BGP ---------------------------------------------------------------- */

/* RFC 4271 §4.2: what side i sends is decoded with the receiver's OPEN as
 * the local one and side i's as the peer's. */
static void dp_bgp_open(struct dp_flow *pf, int side, const uint8_t *msg, size_t len)
{
	struct dp_dir *d = &pf->d[side];

	if (bgp_open_decode(msg, len, &d->open) != 0)
		return;
	bgp_open_detach(&d->open);
	d->open_seen = true;
	if (pf->d[0].open_seen && pf->d[1].open_seen)
		bgp_negotiate_both(&pf->d[0].open, &pf->d[1].open, &pf->ctx[0], &pf->ctx[1]);
}

static void dp_bgp_message(struct dp *dp, struct cap_flow *f, int side, const uint8_t *msg,
			   size_t len)
{
	struct dp_flow *pf = f->user;

	dp_emit(dp, decode_bgp_message(msg, len, &pf->ctx[side]), f, side);
	if (msg[BGP_HEADER_LEN - 1] == BGP_MSG_OPEN)
		dp_bgp_open(pf, side, msg, len);
}

/* Bytes of p[0..n) used (0: wait for more). */
static size_t dp_bgp_step(struct dp *dp, struct cap_flow *f, int side, const uint8_t *p, size_t n)
{
	struct cap_bgp_step st;

	cap_reasm_bgp_step(&f->dir[side], p, n, &st);
	dp->st.resyncs += st.resynced;
	if (st.kind == CAP_STEP_SKIP)
		dp->st.resync_skipped_bytes += st.used;
	if (st.kind == CAP_STEP_LOST)
		dp_framing_lost(dp, f, side, bgp_error_reason_name(st.why));
	else if (st.kind == CAP_STEP_MESSAGE)
		dp_bgp_message(dp, f, side, p, st.msg_len);
	return st.used;
}

/* ---- BMP ---------------------------------------------------------------- */

/* A common header of version 4 with a sane length (the BMP v4 drafts
 * keep RFC 7854 §4.1's layout). */
static bool bmp_v4_header(const uint8_t *p, size_t n)
{
	struct wire_reader r;
	uint8_t version, type;
	uint32_t len;

	wire_init(&r, p, n);
	return wire_get_u8(&r, &version) == 0 && version == BMP_VERSION + 1 &&
	       wire_get_u32(&r, &len) == 0 && wire_get_u8(&r, &type) == 0 &&
	       len >= BMP_COMMON_HDR_LEN && len <= BMP_DEFAULT_MAX_MSG;
}

/* After a TCP gap or a mid-session start: bytes to pass over before the
 * next plausible BMP message (bmp_resync), 0 to wait for more. Clears
 * after_gap, says so in one line and counts the bytes once it is found. */
static size_t dp_bmp_resync(struct dp *dp, struct cap_flow *f, int side, const uint8_t *p,
			    size_t n)
{
	struct cap_reasm *r = &f->dir[side];
	struct dp_dir *d = &((struct dp_flow *)f->user)->d[side];
	bool fresh = f->mid_session[side] && r->st.gaps == 0;
	size_t off;

	if (fresh && d->skipped == 0 && n > 0 && p[0] == BMP_VERSION + 1) {
		/* a stream that starts with a whole BMP v4 (draft) header is that
		 * version, not a message cut by the capture's start: say so */
		if (n < BMP_COMMON_HDR_LEN)
			return 0;
		if (bmp_v4_header(p, n)) {
			dp_framing_lost(dp, f, side, bmp_error_reason_name(BMP_ERR_VERSION));
			d->skip = true;
			return n;
		}
	}
	if (bmp_resync(p, n, BMP_DEFAULT_MAX_MSG, &off) == BMP_RESYNC_NEED_MORE || off > 0) {
		d->skipped += off;
		dp->st.resync_skipped_bytes += off;
		return off;
	}
	r->after_gap = false;
	if (fresh && d->skipped == 0)
		return 0; /* the capture began on a message boundary */
	dp->st.resyncs++;
	dp_emit(dp,
		json_pack("{sssssbsI}", "error", "resynchronised", "reason",
			  fresh ? "mid_session" : "tcp_gap", "bmp", 1, "skipped_bytes",
			  (json_int_t)d->skipped),
		f, side);
	d->skipped = 0;
	return 0;
}

static size_t dp_bmp_step(struct dp *dp, struct cap_flow *f, int side, const uint8_t *p, size_t n)
{
	struct cap_reasm *r = &f->dir[side];
	struct dp_dir *d = &((struct dp_flow *)f->user)->d[side];
	enum bmp_error why = BMP_OK;
	size_t mlen = 0;
	enum bmp_frame_status st;

	if (d->skip)
		return n;
	if (r->after_gap) {
		/* BMP has no marker: the next message is found by its shape */
		size_t used = dp_bmp_resync(dp, f, side, p, n);

		if (used > 0 || r->after_gap)
			return used;
	}
	st = bmp_frame(p, n, BMP_DEFAULT_MAX_MSG, &mlen, &why);
	if (st == BMP_FRAME_NEED_MORE)
		return 0;
	if (st == BMP_FRAME_ERROR) {
		dp_framing_lost(dp, f, side, bmp_error_reason_name(why));
		d->skip = true;
		return n;
	}
	if (d->bmp == NULL && (d->bmp = decode_bmp_new()) == NULL) {
		dp->write_error = true;
		return n;
	}
	dp_emit(dp, decode_bmp_message(d->bmp, p, mlen), f, side);
	return mlen;
}

/* ---- flows -------------------------------------------------------------- */

struct dp_side {
	struct dp *dp;
	struct cap_flow *f;
	int side;
};

static size_t dp_bgp_step_cb(void *arg, const uint8_t *p, size_t n)
{
	struct dp_side *d = arg;

	return dp_bgp_step(d->dp, d->f, d->side, p, n);
}

static size_t dp_bmp_step_cb(void *arg, const uint8_t *p, size_t n)
{
	struct dp_side *d = arg;

	return dp_bmp_step(d->dp, d->f, d->side, p, n);
}

/* Frames what the direction has ready. */
static void dp_drain(struct dp *dp, struct cap_flow *f, int side)
{
	struct dp_flow *pf = f->user;
	struct dp_side d = {dp, f, side};

	cap_reasm_drain(&f->dir[side], pf->bmp ? dp_bmp_step_cb : dp_bgp_step_cb, &d);
}

/* On removal (end of file, expiry, eviction): give up on missing data and
 * frame what was held behind it, then free the flow's state. */
static void dp_flow_removed(struct cap_flow *f, void *arg)
{
	struct dp *dp = arg;
	struct dp_flow *pf = f->user;
	double now = dp->ts;

	if (pf == NULL)
		return;
	dp->ts = f->last_seen;
	for (int side = 0; side < 2; side++) {
		if (!f->dir_started[side])
			continue;
		dp_drain(dp, f, side);
		while (cap_reasm_flush_gap(&f->dir[side]) == 1)
			dp_drain(dp, f, side);
		dp->st.gaps += f->dir[side].st.gaps;
		decode_bmp_free(pf->d[side].bmp);
	}
	free(pf);
	f->user = NULL;
	dp->ts = now;
}

static struct dp_flow *dp_flow_new(bool bmp)
{
	struct dp_flow *pf = calloc(1, sizeof(*pf));

	if (pf == NULL)
		return NULL;
	pf->bmp = bmp;
	bgp_ctx_init(&pf->ctx[0]);
	bgp_ctx_init(&pf->ctx[1]);
	return pf;
}

static void dp_segment(struct dp *dp, const struct cap_frame *fr, bool bmp)
{
	const struct cap_tcp *t = &fr->tcp;
	struct cap_endpoint src = {.port = t->sport}, dst = {.port = t->dport};
	bool syn = (t->flags & CAP_TCP_SYN) != 0, syn_data = false;
	struct cap_flow *f;
	struct cap_reasm *r;
	int side;

	memcpy(src.addr, fr->src_ip, 16);
	memcpy(dst.addr, fr->dst_ip, 16);
	f = cap_flows_get(dp->flows, fr->ip_version, &src, &dst, t->flags, dp->ts, &side);
	if (f == NULL || (f->user == NULL && (f->user = dp_flow_new(bmp)) == NULL)) {
		dp->write_error = true;
		return;
	}
	/* RFC 9293 §3.4: data of a SYN segment starts after the SYN. But SYNs
	 * carrying data are in practice synthetic captures (pcap writers) that
	 * do not count the SYN, so such a SYN's data is taken at its seq: TCP
	 * Fast Open (RFC 7413) towards BGP/BMP ports is not a thing. */
	if (syn && t->payload_len > 0)
		syn_data = true;
	r = cap_flow_reasm(dp->flows, f, side, syn_data ? t->seq - 1 : t->seq, syn);
	if (cap_reasm_segment(r, syn && !syn_data ? t->seq + 1 : t->seq, t->payload, t->payload_len,
			      (t->flags & CAP_TCP_FIN) != 0, (t->flags & CAP_TCP_RST) != 0) != 0)
		return;
	dp_drain(dp, f, side);
}

static void dp_packet(struct dp *dp, int linktype, const struct pcap_pkthdr *h,
		      const uint8_t *pkt)
{
	struct cap_frame fr;
	bool bgp, bmp;

	dp->st.packets++;
	dp->ts = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6;
	(void)cap_flows_expire(dp->flows, dp->ts);
	/* a partly decoded frame still counts when its TCP header is whole */
	if (cap_frame_decode(linktype, pkt, h->caplen, h->len, &fr) != 0 && !fr.has_tcp) {
		dp->st.bad_frames++;
		return;
	}
	if (!fr.has_tcp)
		return;
	bgp = fr.tcp.sport == DECODE_BGP_PORT || fr.tcp.dport == DECODE_BGP_PORT;
	bmp = fr.tcp.sport == dp->bmp_port || fr.tcp.dport == dp->bmp_port;
	if (!bgp && !bmp)
		return;
	dp->st.tcp_segments++;
	dp_segment(dp, &fr, bmp && !bgp);
}

/* ---- the libpcap edge --------------------------------------------------- */

static bool linktype_supported(int lt)
{
	static const uint8_t one[1];
	struct cap_frame fr;

	return cap_frame_decode(lt, one, 0, 0, &fr) == 0 ||
	       fr.error != CAP_FRAME_UNSUPPORTED_LINKTYPE;
}

static int dp_loop(struct dp *dp, pcap_t *pc, const char *path)
{
	int lt = pcap_datalink(pc);
	struct pcap_pkthdr *h;
	const u_char *pkt;
	int r;

	if (!linktype_supported(lt)) {
		fprintf(stderr,
			"circuitwatch: %s: link type %s (%d) is not supported (Ethernet, Linux "
			"cooked SLL/SLL2 and raw IP are)\n",
			path, pcap_datalink_val_to_name(lt) ? pcap_datalink_val_to_name(lt) : "?",
			lt);
		return -2;
	}
	while ((r = pcap_next_ex(pc, &h, &pkt)) == 1 && !dp->write_error)
		dp_packet(dp, lt, h, pkt);
	if (r == PCAP_ERROR) {
		fprintf(stderr, "circuitwatch: %s: %s\n", path, pcap_geterr(pc));
		return -1;
	}
	return 0;
}

int decode_pcap_file(const char *path, uint16_t bmp_port, FILE *out, struct decode_pcap_stats *st)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	struct dp dp = {.out = out, .bmp_port = bmp_port ? bmp_port : DECODE_BMP_PORT};
	pcap_t *pc = pcap_open_offline(path, err);
	int rc;

	if (pc == NULL) {
		fprintf(stderr, "circuitwatch: %s: %s\n", path, err);
		return -2;
	}
	dp.flows = cap_flows_new(0, 0, 0, dp_flow_removed, &dp);
	if (dp.flows == NULL) {
		pcap_close(pc);
		return -2;
	}
	rc = dp_loop(&dp, pc, path);
	dp.st.flows = cap_flows_stats(dp.flows).created;
	dp.st.flows_evicted = cap_flows_stats(dp.flows).evicted_lru;
	cap_flows_free(dp.flows); /* frames what is left behind gaps */
	pcap_close(pc);
	if (fflush(out) != 0 || dp.write_error) {
		fprintf(stderr, "circuitwatch: %s: write error or out of memory\n", path);
		rc = -2;
	}
	if (st != NULL)
		*st = dp.st;
	return rc;
}
