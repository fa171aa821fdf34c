/* route_batch.c — a peer's consecutive route changes as one RouteBatch
 * message. See route_batch.h. */
#include "route_batch.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "route_codec.h"

#define PEER_MAX 1024 /* a RoutePeer's body (as route_codec.c's per change) */
/* room in front of the changes for RouteMessage.batch's tag and length,
 * the peer field and the time field */
#define HEADROOM (3 * ROUTE_PB_FIELD_HEAD_MAX + PEER_MAX + 16)
#define CHANGE_MAX_FIXED (2 * ROUTE_PB_FIELD_HEAD_MAX + ROUTE_PB_CHANGE_HEAD_MAX)

/* The encoded Attributes field of one interned set: the set's bytes
 * (to check a hit), then the field, in one buffer kept for the next set. */
struct attr_slot {
	uint32_t id; /* 0: empty */
	uint8_t *mem;
	size_t cap, raw_len, enc_len;
};

struct stream_batch {
	route_batch_emit *emit;
	void *emit_arg;
	uint8_t *buf; /* HEADROOM, then the changes (RouteBatch field 3 each) */
	size_t len, cap;
	size_t n;      /* changes */
	uint64_t seq0; /* the first change's seq */
	int64_t t_ns;  /* the first change's time */
	char key[ROUTE_KEY_MAX];
	size_t klen;
	uint8_t peer[PEER_MAX]; /* RoutePeer body with seq0 */
	size_t peer_len;
	struct stream_peer last; /* the last change's (its strings compared by address only) */
	uint32_t asn, bgp_id; /* what else of the peer may change under one key */
	char link[16], peering[32];
	struct attr_slot cache[ROUTE_BATCH_CACHE];
	/* a set's field is encoded here, then copied into its slot */
	uint8_t scratch[6 * ROUTE_BATCH_CACHE_SET_MAX + 512 + ROUTE_PB_FIELD_HEAD_MAX];
};

struct stream_batch *route_batch_new(route_batch_emit *emit, void *arg)
{
	struct stream_batch *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->emit = emit;
	b->emit_arg = arg;
	b->cap = HEADROOM + ROUTE_BATCH_MAX_BYTES + 64 * 1024;
	b->buf = malloc(b->cap);
	if (b->buf == NULL) {
		free(b);
		return NULL;
	}
	b->len = HEADROOM;
	return b;
}

void route_batch_free(struct stream_batch *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < ROUTE_BATCH_CACHE; i++) {
		free(b->cache[i].mem);
	}
	free(b->buf);
	free(b);
}

void route_batch_flush(struct stream_batch *b)
{
	uint8_t head[HEADROOM], outer[ROUTE_PB_FIELD_HEAD_MAX];
	size_t h, o, changes = b->len - HEADROOM;
	uint8_t *start;

	if (b->n == 0)
		return;
	/* RouteBatch: peer (1), time (2), then the changes already written,
	 * all in RouteMessage.batch (3), put in the room in front of them */
	h = route_pb_field_head(1, b->peer_len, head);
	memcpy(head + h, b->peer, b->peer_len);
	h += b->peer_len;
	if (b->t_ns != 0) {
		head[h++] = 2 << 3;
		h += route_pb_varint((uint64_t)b->t_ns, head + h);
	}
	o = route_pb_field_head(3, h + changes, outer);
	start = b->buf + HEADROOM - h - o;
	memcpy(start, outer, o);
	memcpy(start + o, head, h);
	b->emit(b->emit_arg, b->key, b->klen, start, o + h + changes, b->t_ns / 1000000);
	b->n = 0;
	b->len = HEADROOM;
}

static void copy_text(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Whether rc continues the batch: the same peer as the batch's, and the
 * next seq. */
static bool continues(const struct stream_batch *b, const struct stream_route *rc,
		      const char *key, size_t klen)
{
	const struct stream_peer *p = &rc->peer;

	return b->n > 0 && p->seq == b->seq0 + b->n && klen == b->klen &&
	       memcmp(key, b->key, klen) == 0 && p->asn == b->asn && p->bgp_id == b->bgp_id &&
	       strncmp(p->link, b->link, sizeof(b->link)) == 0 &&
	       strncmp(p->peering, b->peering, sizeof(b->peering)) == 0;
}

/* The same, sure without the key: the peer's strings where the last
 * change's were (the model's peer and config, alive during the batch: a
 * peer made anew at the same place starts at seq 1, so it breaks the seq),
 * and nothing else of the peer changed. */
static bool continues_fast(const struct stream_batch *b, const struct stream_route *rc)
{
	const struct stream_peer *p = &rc->peer, *l = &b->last;

	return b->n > 0 && p->seq == b->seq0 + b->n && p->addr == l->addr &&
	       p->router == l->router && p->rd == l->rd && p->circuit == l->circuit &&
	       p->link == l->link && p->peering == l->peering && p->asn == l->asn &&
	       p->bgp_id == l->bgp_id;
}

/* Starts a batch at rc's peer; false when the peer does not encode. */
static bool start(struct stream_batch *b, const struct stream_route *rc, const char *key,
		  size_t klen, int64_t now_ns)
{
	const struct stream_peer *p = &rc->peer;

	b->peer_len = route_pb_peer(p, b->peer, sizeof(b->peer));
	if (b->peer_len == 0)
		return false;
	memcpy(b->key, key, klen);
	b->klen = klen;
	b->seq0 = p->seq;
	b->t_ns = rc->time_ns != 0 ? rc->time_ns : now_ns;
	b->asn = p->asn;
	b->bgp_id = p->bgp_id;
	copy_text(b->link, sizeof(b->link), p->link);
	copy_text(b->peering, sizeof(b->peering), p->peering);
	return true;
}

/* The encoded Attributes field of rc's set: from the cache when the slot
 * holds the same bytes, else encoded and kept there. *owned: the caller
 * frees the result (a set too large to keep). Valid until the next call;
 * NULL: out of memory. */
static const uint8_t *attrs_field(struct stream_batch *b, const struct stream_route *rc,
				  size_t *len, bool *owned)
{
	struct attr_slot *s = &b->cache[rc->attrs_id & (ROUTE_BATCH_CACHE - 1)];
	size_t need;

	*owned = false;
	if (s->id == rc->attrs_id && s->id != 0 && s->raw_len == rc->attrs_len &&
	    memcmp(s->mem, rc->attrs, rc->attrs_len) == 0) {
		*len = s->enc_len;
		return s->mem + s->raw_len;
	}
	if (rc->attrs_id == 0 || rc->attrs_len > ROUTE_BATCH_CACHE_SET_MAX) {
		*owned = true;
		return route_pb_attrs_field(rc, len);
	}
	if ((*len = route_pb_attrs_field_to(rc, b->scratch, sizeof(b->scratch))) == 0)
		return NULL;
	need = rc->attrs_len + *len;
	s->id = 0;
	if (need > s->cap) {
		uint8_t *m = malloc(need + 64);

		if (m == NULL)
			return b->scratch; /* not kept */
		free(s->mem);
		s->mem = m;
		s->cap = need + 64;
	}
	memcpy(s->mem, rc->attrs, rc->attrs_len);
	memcpy(s->mem + rc->attrs_len, b->scratch, *len);
	*s = (struct attr_slot){rc->attrs_id, s->mem, s->cap, rc->attrs_len, *len};
	return s->mem + rc->attrs_len;
}

/* Room for need more bytes; false when memory ran out. */
static bool reserve(struct stream_batch *b, size_t need)
{
	size_t ncap;
	uint8_t *nb;

	if (need <= b->cap - b->len)
		return true;
	ncap = b->len + need + 64 * 1024;
	if ((nb = realloc(b->buf, ncap)) == NULL)
		return false;
	b->buf = nb;
	b->cap = ncap;
	return true;
}

/* Writes one change (RouteBatch field 3); false when memory ran out. */
static bool append(struct stream_batch *b, const struct stream_route *rc)
{
	uint8_t head[ROUTE_PB_CHANGE_HEAD_MAX];
	const uint8_t *attrs = NULL;
	size_t hl = route_pb_change_head(rc, head), al = 0, body;
	bool owned = false;

	if (rc->announce && (attrs = attrs_field(b, rc, &al, &owned)) == NULL)
		return false;
	body = hl + al;
	if (!reserve(b, body + ROUTE_PB_FIELD_HEAD_MAX)) {
		if (owned)
			free((void *)attrs);
		return false;
	}
	b->len += route_pb_field_head(3, body, b->buf + b->len);
	memcpy(b->buf + b->len, head, hl);
	if (al > 0)
		memcpy(b->buf + b->len + hl, attrs, al);
	b->len += body;
	if (owned)
		free((void *)attrs);
	b->n++;
	return true;
}

void route_batch_add(struct stream_batch *b, const struct stream_route *rc, int64_t now_ns)
{
	char key[ROUTE_KEY_MAX];
	size_t klen;

	if (!continues_fast(b, rc)) {
		klen = route_key(&rc->peer, key, sizeof(key));
		if (!continues(b, rc, key, klen)) {
			route_batch_flush(b);
			if (!start(b, rc, key, klen, now_ns)) {
				/* a peer beyond PEER_MAX, as a change alone would be */
				b->emit(b->emit_arg, key, klen, NULL, 0, 0);
				return;
			}
		}
		b->last = rc->peer;
	}
	if (!append(b, rc)) {
		b->emit(b->emit_arg, b->key, b->klen, NULL, 0, 0); /* out of memory */
		return;
	}
	if (b->n >= ROUTE_BATCH_MAX_CHANGES || b->len - HEADROOM >= ROUTE_BATCH_MAX_BYTES)
		route_batch_flush(b);
}
