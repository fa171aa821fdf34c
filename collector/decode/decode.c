/* decode.c — BMP messages to JSON and the stream drivers (BGP messages
 * are in decode_bgp.c). See decode.h for the contract and docs/capture.md for
 * the format. */
#include "decode.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bmp.h"
#include "decode_json.h"
#include "negotiate.h"

/* ---- results ---------------------------------------------------------- */

bool decode_has_error(const json_t *obj)
{
	const json_t *bgp = json_object_get(obj, "bgp");

	return json_object_get(obj, "error") != NULL ||
	       (bgp != NULL && json_object_get(bgp, "error") != NULL);
}

/* ---- BMP: per-peer decode contexts ------------------------------------- */

struct decode_peer {
	uint8_t type;
	bool v6;
	uint64_t rd;
	uint8_t addr[16];
	struct bgp_peer_ctx ctx; /* Adj-RIB-In, Adj-RIB-Out (RFC 7911 §4) */
};

struct decode_bmp {
	struct bmp_msg msg; /* decode scratch (large: kept off the stack) */
	struct decode_peer *peers;
	size_t n_peers, cap;
};

struct decode_bmp *decode_bmp_new(void)
{
	return calloc(1, sizeof(struct decode_bmp));
}

void decode_bmp_free(struct decode_bmp *d)
{
	if (d == NULL)
		return;
	free(d->peers);
	free(d);
}

static bool peer_is(const struct decode_peer *p, const struct bmp_peer_hdr *h)
{
	return p->type == h->type && p->v6 == h->ipv6 && p->rd == h->distinguisher &&
	       memcmp(p->addr, h->addr, 16) == 0;
}

static struct decode_peer *peer_find(struct decode_bmp *d, const struct bmp_peer_hdr *h)
{
	for (size_t i = 0; i < d->n_peers; i++)
		if (peer_is(&d->peers[i], h))
			return &d->peers[i];
	return NULL;
}

/* The peer's entry, added when new; NULL when the table is full. */
static struct decode_peer *peer_add(struct decode_bmp *d, const struct bmp_peer_hdr *h)
{
	struct decode_peer *p = peer_find(d, h);

	if (p != NULL)
		return p;
	if (d->n_peers == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct decode_peer *np;

		if (cap > DECODE_MAX_PEERS ||
		    (np = realloc(d->peers, cap * sizeof(*np))) == NULL)
			return NULL;
		d->peers = np;
		d->cap = cap;
	}
	p = &d->peers[d->n_peers++];
	memset(p, 0, sizeof(*p));
	p->type = h->type;
	p->v6 = h->ipv6;
	p->rd = h->distinguisher;
	memcpy(p->addr, h->addr, 16);
	return p;
}

/* As the collector (bgp/negotiate.h): the OPENs count only when both decode. */
static void peer_negotiate(struct decode_bmp *d, const struct bmp_msg *m)
{
	struct decode_peer *p = peer_add(d, &m->peer);

	if (p != NULL)
		(void)!bgp_peer_ctx_peer_up(&p->ctx, &m->u.up);
}

/* The context a Route Monitoring (or mirrored PDU) of this peer is
 * decoded with; *known says whether a Peer Up set it. */
static void peer_ctx(struct decode_bmp *d, const struct bmp_peer_hdr *h,
		     struct bgp_decode_ctx *ctx, bool *known)
{
	const struct decode_peer *p = peer_find(d, h);
	struct bgp_peer_ctx defaults;

	*known = p != NULL;
	if (p == NULL)
		bgp_peer_ctx_init(&defaults);
	bgp_peer_ctx_pick(p != NULL ? &p->ctx : &defaults, h, ctx);
}

/* ---- BMP: per-peer header and TLVs -------------------------------------- */

/* RFC 4364 §4.2 route distinguisher text. */
static json_t *rd_json(uint64_t rd)
{
	uint16_t type = (uint16_t)(rd >> 48);
	uint8_t ip[4] = {(uint8_t)(rd >> 40), (uint8_t)(rd >> 32), (uint8_t)(rd >> 24),
			 (uint8_t)(rd >> 16)};
	char buf[40], addr[INET_ADDRSTRLEN];

	if (type == 0)
		snprintf(buf, sizeof(buf), "%u:%u", (unsigned)(rd >> 32 & 0xffff),
			 (unsigned)(rd & 0xffffffffu));
	else if (type == 1 && inet_ntop(AF_INET, ip, addr, sizeof(addr)))
		snprintf(buf, sizeof(buf), "%s:%u", addr, (unsigned)(rd & 0xffff));
	else if (type == 2)
		snprintf(buf, sizeof(buf), "%u:%u", (unsigned)(rd >> 16 & 0xffffffffu),
			 (unsigned)(rd & 0xffff));
	else
		snprintf(buf, sizeof(buf), "0x%016" PRIx64, rd);
	return json_string(buf);
}

static json_t *timestamp_json(uint32_t sec, uint32_t usec)
{
	time_t t = (time_t)sec;
	struct tm tm;
	char buf[40], frac[16];

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return NULL;
	snprintf(frac, sizeof(frac), ".%06uZ", (unsigned)(usec % 1000000u));
	strncat(buf, frac, sizeof(buf) - strlen(buf) - 1);
	return json_string(buf);
}

static json_t *peer_flags_json(const struct bmp_peer_hdr *h)
{
	if (h->type == BMP_PEER_LOC_RIB) /* RFC 9069 §4.2 */
		return json_pack("{sb}", "f", h->filtered);
	return json_pack("{sbsbsbsb}", "v", h->ipv6, "l", h->post_policy, "a", h->legacy_as_path,
			 "o", h->adj_rib_out);
}

static json_t *peer_json(const struct bmp_peer_hdr *h)
{
	json_t *p = json_object();

	obj_put(p, "type", json_string(bmp_peer_type_name(h->type)));
	if (h->type > BMP_PEER_LOC_RIB)
		obj_put(p, "type_code", json_integer(h->type));
	obj_put(p, "address", addr16_json(h->addr, h->ipv6 && h->type != BMP_PEER_LOC_RIB));
	obj_put(p, "as", uint_json(h->as));
	obj_put(p, "bgp_id", ip4_host_json(h->bgp_id));
	obj_put(p, "rd", rd_json(h->distinguisher));
	obj_put(p, "flags", peer_flags_json(h));
	obj_put(p, "timestamp", timestamp_json(h->ts_sec, h->ts_usec));
	return p;
}

enum tlv_ctx { TLV_INIT, TLV_TERM, TLV_PEER, TLV_MIRROR };

static const char *tlv_name(enum tlv_ctx c, uint16_t type)
{
	static const char *const init[] = {"string", "sysDescr", "sysName", "vrf_table_name",
					   "admin_label"};
	static const char *const term[] = {"string", "reason"};
	static const char *const mirror[] = {"bgp_message", "information"};

	switch (c) {
	case TLV_INIT:
	case TLV_PEER:
		return type < 5 ? init[type] : NULL;
	case TLV_TERM:
		return type < 2 ? term[type] : NULL;
	case TLV_MIRROR:
		return type < 2 ? mirror[type] : NULL;
	}
	return NULL;
}

static json_t *tlv_value(enum tlv_ctx c, const struct bmp_tlv *t)
{
	uint16_t v;

	if (c == TLV_TERM && t->type == BMP_TERM_REASON && t->len == 2) {
		v = (uint16_t)(t->value[0] << 8 | t->value[1]);
		return json_string(bmp_term_reason_name(v));
	}
	if (c == TLV_MIRROR || tlv_name(c, t->type) == NULL)
		return hex_json(t->value, t->len);
	return text_json(t->value, t->len); /* the information strings */
}

static json_t *tlvs_json(enum tlv_ctx c, const struct bmp_tlv_list *l)
{
	json_t *a = json_array();

	for (size_t i = 0; i < l->n && i < BMP_MAX_TLVS; i++) {
		const struct bmp_tlv *t = &l->v[i];
		const char *name = tlv_name(c, t->type);
		json_t *e = json_pack("{sI}", "type", (json_int_t)t->type);

		if (name != NULL)
			obj_put(e, "name", json_string(name));
		obj_put(e, "value", tlv_value(c, t));
		push(a, e);
	}
	return a;
}

/* ---- BMP: message bodies ------------------------------------------------ */

/* A carved BGP PDU decoded, or its status when it could not be carved. */
static json_t *pdu_json(const struct bmp_bgp_pdu *pdu, const struct bgp_decode_ctx *ctx)
{
	if (pdu->data == NULL)
		return json_pack("{ss}", "error", bmp_pdu_status_name(pdu->status));
	return decode_bgp_message(pdu->data, pdu->len, ctx);
}

static void route_monitoring_json(struct decode_bmp *d, json_t *j, const struct bmp_msg *m)
{
	struct bgp_decode_ctx ctx;
	bool known;

	peer_ctx(d, &m->peer, &ctx, &known);
	obj_put(j, "decode_context", json_string(known ? "peer-up" : "default"));
	obj_put(j, "bgp", pdu_json(&m->u.rm.update, &ctx));
}

static json_t *stat_json(const struct bmp_stat *s)
{
	json_t *e = json_pack("{sIss}", "type", (json_int_t)s->type, "name",
			      bmp_stat_type_name(s->type));

	switch (s->value_kind) {
	case BMP_STAT_VAL_AFI_SAFI_U64:
		obj_put(e, "afi", json_integer(s->afi));
		obj_put(e, "safi", json_integer(s->safi));
		/* fall through */
	case BMP_STAT_VAL_U32:
	case BMP_STAT_VAL_U64:
		obj_put(e, "value", uint_json(s->value));
		break;
	default:
		obj_put(e, "raw", hex_json(s->raw, s->len));
		break;
	}
	if (s->unexpected_size)
		obj_put(e, "unexpected_size", json_true());
	return e;
}

static void stats_json(json_t *j, const struct bmp_msg *m)
{
	json_t *a = json_array();

	for (size_t i = 0; i < m->u.stats.n && i < BMP_MAX_STATS; i++)
		push(a, stat_json(&m->u.stats.v[i]));
	obj_put(j, "count", json_integer(m->u.stats.count));
	obj_put(j, "stats", a);
}

static void peer_down_json(json_t *j, const struct bmp_msg *m)
{
	const struct bmp_peer_down *d = &m->u.down;

	obj_put(j, "reason", json_string(bmp_peer_down_reason_name(d->reason)));
	obj_put(j, "reason_code", json_integer(d->reason));
	if (d->reason == BMP_DOWN_LOCAL_NOTIFICATION || d->reason == BMP_DOWN_REMOTE_NOTIFICATION)
		obj_put(j, "notification", pdu_json(&d->notification, NULL));
	if (d->has_fsm_event)
		obj_put(j, "fsm_event", json_integer(d->fsm_event));
	if (d->reason == BMP_DOWN_LOCAL_TLV)
		obj_put(j, "tlvs", tlvs_json(TLV_PEER, &d->tlvs));
}

static void peer_up_json(struct decode_bmp *d, json_t *j, const struct bmp_msg *m)
{
	const struct bmp_peer_up *u = &m->u.up;

	obj_put(j, "local_address", addr16_json(u->local_addr, m->peer.ipv6));
	obj_put(j, "local_port", json_integer(u->local_port));
	obj_put(j, "remote_port", json_integer(u->remote_port));
	obj_put(j, "sent_open", pdu_json(&u->sent_open, NULL));
	obj_put(j, "received_open", pdu_json(&u->recv_open, NULL));
	if (u->tlvs.total > 0)
		obj_put(j, "tlvs", tlvs_json(TLV_PEER, &u->tlvs));
	peer_negotiate(d, m);
}

static void mirror_json(struct decode_bmp *d, json_t *j, const struct bmp_msg *m)
{
	static const char *const infos[] = {"errored-pdu", "messages-lost"};
	const struct bmp_route_mirror *r = &m->u.mirror;
	struct bgp_decode_ctx ctx;
	bool known;

	obj_put(j, "tlvs", tlvs_json(TLV_MIRROR, &r->tlvs));
	if (r->n_bgp > 0) {
		peer_ctx(d, &m->peer, &ctx, &known);
		obj_put(j, "bgp", pdu_json(&r->bgp, &ctx));
	}
	if (r->has_info)
		obj_put(j, "information", r->info_code < 2 ? json_string(infos[r->info_code])
						      : json_integer(r->info_code));
}

static void body_json(struct decode_bmp *d, json_t *j, const struct bmp_msg *m)
{
	switch (m->type) {
	case BMP_MSG_ROUTE_MONITORING:
		route_monitoring_json(d, j, m);
		break;
	case BMP_MSG_STATISTICS_REPORT:
		stats_json(j, m);
		break;
	case BMP_MSG_PEER_DOWN:
		peer_down_json(j, m);
		break;
	case BMP_MSG_PEER_UP:
		peer_up_json(d, j, m);
		break;
	case BMP_MSG_INITIATION:
		obj_put(j, "tlvs", tlvs_json(TLV_INIT, &m->u.init.tlvs));
		break;
	case BMP_MSG_TERMINATION:
		obj_put(j, "tlvs", tlvs_json(TLV_TERM, &m->u.term.tlvs));
		break;
	case BMP_MSG_ROUTE_MIRRORING:
		mirror_json(d, j, m);
		break;
	default:
		break;
	}
}

static json_t *bmp_errors_json(uint32_t mask)
{
	json_t *a = json_array();

	for (int e = 1; e < BMP_ERR__COUNT; e++)
		if (mask & (1u << e))
			push(a, json_string(bmp_error_reason_name((enum bmp_error)e)));
	return a;
}

json_t *decode_bmp_message(struct decode_bmp *d, const uint8_t *msg, size_t len)
{
	struct bmp_msg *m = &d->msg;
	json_t *j = json_object();
	int rc = bmp_decode(msg, len, m);

	if (j == NULL)
		return NULL;
	obj_put(j, "proto", json_string("bmp"));
	obj_put(j, "version", json_integer(m->version));
	obj_put(j, "type", json_string(bmp_msg_type_name(m->type)));
	if (m->type > BMP_MSG_ROUTE_MIRRORING)
		obj_put(j, "type_code", json_integer(m->type));
	obj_put(j, "length", json_integer((json_int_t)m->length));
	if (m->has_peer)
		obj_put(j, "peer", peer_json(&m->peer));
	/* without a usable per-peer header the body means nothing */
	if (m->has_peer || m->type == BMP_MSG_INITIATION || m->type == BMP_MSG_TERMINATION)
		body_json(d, j, m);
	if (rc != 0) {
		obj_put(j, "error", json_string(bmp_error_reason_name(m->error)));
		obj_put(j, "errors", bmp_errors_json(m->errors));
	}
	return j;
}

/* ---- stream drivers ----------------------------------------------------- */

#define DECODE_READ_CHUNK 65536

enum frame_result { FRAME_OK, FRAME_MORE, FRAME_LOST };

/* A framer says how long the first message of buf is (FRAME_OK), how
 * many bytes it needs (FRAME_MORE; 0 if unknown) or why it gave up. */
typedef enum frame_result (*frame_fn)(void *self, const uint8_t *buf, size_t len, size_t *mlen,
				      json_t *err);
typedef json_t *(*message_fn)(void *self, const uint8_t *msg, size_t len);

struct stream {
	FILE *in, *out;
	uint8_t *buf;
	size_t len, cap, max; /* max: the framer's largest message */
	uint64_t offset;      /* of buf[0] in the input */
	bool eof;
	struct decode_stats st;
};

/* Reads until buf holds at least want bytes or the input ends. */
static int stream_fill(struct stream *s, size_t want)
{
	while (s->len < want && !s->eof) {
		size_t n, room;

		if (s->cap - s->len < DECODE_READ_CHUNK) {
			size_t cap = s->cap ? s->cap * 2 : 2 * DECODE_READ_CHUNK;
			uint8_t *nb = realloc(s->buf, cap);

			if (nb == NULL)
				return -1;
			s->buf = nb;
			s->cap = cap;
		}
		room = s->cap - s->len;
		n = fread(s->buf + s->len, 1, room, s->in);
		s->len += n;
		if (n < room) {
			if (ferror(s->in))
				return -1;
			s->eof = feof(s->in) != 0;
		}
	}
	return 0;
}

static int stream_emit(struct stream *s, json_t *j)
{
	int rc;

	if (j == NULL)
		return -1;
	rc = json_dumpf(j, s->out, JSON_COMPACT);
	json_decref(j);
	if (rc != 0 || fputc('\n', s->out) == EOF)
		return -1;
	return 0;
}

static int stream_message(struct stream *s, void *self, message_fn fn, size_t mlen)
{
	json_t *j = fn(self, s->buf, mlen);

	if (j == NULL)
		return -1;
	s->st.messages++;
	if (decode_has_error(j))
		s->st.errors++;
	s->st.bytes += mlen;
	s->offset += mlen;
	s->len -= mlen;
	memmove(s->buf, s->buf + mlen, s->len);
	return stream_emit(s, j);
}

/* The input ended inside a message: say where and how much is missing. */
static int stream_truncated(struct stream *s, size_t need)
{
	json_t *e = json_pack("{sssIsI}", "error", "truncated", "offset", (json_int_t)s->offset,
			      "bytes", (json_int_t)s->len);

	if (e != NULL && need > s->len)
		obj_put(e, "needed", json_integer((json_int_t)need));
	s->st.truncated = true;
	return stream_emit(s, e) == 0 ? -1 : -2;
}

static int stream_lost(struct stream *s, json_t *err)
{
	obj_put(err, "offset", json_integer((json_int_t)s->offset));
	s->st.framing_lost = true;
	return stream_emit(s, err) == 0 ? -1 : -2;
}

static int stream_step(struct stream *s, void *self, frame_fn frame, message_fn fn, bool *done)
{
	size_t mlen = 0;
	json_t *err = json_object();
	enum frame_result r = frame(self, s->buf, s->len, &mlen, err);

	*done = false;
	if (r == FRAME_LOST) {
		*done = true;
		return stream_lost(s, err);
	}
	json_decref(err);
	if (r == FRAME_OK)
		return stream_message(s, self, fn, mlen) == 0 ? 0 : -2;
	if (s->eof) {
		*done = true;
		return s->len == 0 ? 0 : stream_truncated(s, mlen);
	}
	/* a length is known: read that much at once, else a little more */
	return stream_fill(s, mlen > s->len ? mlen : s->len + 1) == 0 ? 0 : -2;
}

static int stream_run(FILE *in, FILE *out, void *self, frame_fn frame, message_fn fn,
		      struct decode_stats *st)
{
	struct stream s = {.in = in, .out = out};
	bool done = false;
	int rc = stream_fill(&s, 1) == 0 ? 0 : -2;

	while (rc == 0 && !done)
		rc = stream_step(&s, self, frame, fn, &done);
	if (rc == 0 && fflush(out) != 0)
		rc = -2;
	if (st != NULL)
		*st = s.st;
	free(s.buf);
	return rc;
}

/* ---- BMP stream --------------------------------------------------------- */

static enum frame_result bmp_framer(void *self, const uint8_t *buf, size_t len, size_t *mlen,
				    json_t *err)
{
	enum bmp_error why = BMP_OK;
	enum bmp_frame_status st = bmp_frame(buf, len, BMP_DEFAULT_MAX_MSG, mlen, &why);

	(void)self;
	if (st == BMP_FRAME_COMPLETE)
		return FRAME_OK;
	if (st == BMP_FRAME_NEED_MORE)
		return FRAME_MORE;
	obj_put(err, "error", json_string("framing_lost"));
	obj_put(err, "reason", json_string(bmp_error_reason_name(why)));
	if (why == BMP_ERR_VERSION && len > 0)
		obj_put(err, "version", json_integer(buf[0]));
	return FRAME_LOST;
}

static json_t *bmp_message(void *self, const uint8_t *msg, size_t len)
{
	return decode_bmp_message(self, msg, len);
}

int decode_bmp_stream(FILE *in, FILE *out, struct decode_stats *st)
{
	struct decode_bmp *d = decode_bmp_new();
	int rc;

	if (d == NULL)
		return -2;
	rc = stream_run(in, out, d, bmp_framer, bmp_message, st);
	decode_bmp_free(d);
	return rc;
}

/* ---- BGP stream --------------------------------------------------------- */

void decode_bgp_stream_ctx(const struct bgp_open *sender, struct bgp_decode_ctx *out)
{
	bgp_negotiate_sender_only(sender, out);
}

struct bgp_stream {
	struct bgp_decode_ctx ctx;
	struct bgp_open open; /* scratch */
};

static enum frame_result bgp_framer(void *self, const uint8_t *buf, size_t len, size_t *mlen,
				    json_t *err)
{
	enum bgp_error why = BGP_ERR_NONE;
	/* lenient on the maximum: a decoder shows oversize messages */
	enum bgp_frame_status st = bgp_frame(buf, len, true, mlen, &why);

	(void)self;
	if (st == BGP_FRAME_COMPLETE)
		return FRAME_OK;
	if (st == BGP_FRAME_NEED_MORE)
		return FRAME_MORE;
	/* an unknown type with a sane length is skipped by its length */
	if (why == BGP_ERR_MSG_TYPE && len >= BGP_HEADER_LEN) {
		*mlen = (size_t)buf[16] << 8 | buf[17];
		if (*mlen >= BGP_HEADER_LEN)
			return len >= *mlen ? FRAME_OK : FRAME_MORE;
	}
	obj_put(err, "error", json_string("framing_lost"));
	obj_put(err, "reason", json_string(bgp_error_reason_name(why)));
	return FRAME_LOST;
}

static json_t *bgp_message(void *self, const uint8_t *msg, size_t len)
{
	struct bgp_stream *b = self;
	json_t *j = decode_bgp_message(msg, len, &b->ctx);

	/* the sender's OPEN decides how its later UPDATEs are decoded */
	if (msg[BGP_HEADER_LEN - 1] == BGP_MSG_OPEN && bgp_open_decode(msg, len, &b->open) == 0)
		decode_bgp_stream_ctx(&b->open, &b->ctx);
	return j;
}

int decode_bgp_stream(FILE *in, FILE *out, struct decode_stats *st)
{
	struct bgp_stream *b = malloc(sizeof(*b));
	int rc;

	if (b == NULL)
		return -2;
	bgp_ctx_init(&b->ctx);
	rc = stream_run(in, out, b, bgp_framer, bgp_message, st);
	free(b);
	return rc;
}
