/* fuzz_attr_cache.c — libFuzzer target for bgp/ingest's attribute cache.
 *
 * The input is a script. Header (1 byte): bit 0 a 2-octet-AS session, bit
 * 1 ADD-PATH for IPv4 unicast, bit 2 for IPv6 unicast, bit 3 extended
 * messages. Then records: a length (2, big-endian) and that many bytes of
 * UPDATE body (withdrawn length onwards; the header is added here, so
 * framing stays valid and the attribute cache is reached). A record whose
 * top length bit is set repeats the previous record's attributes with its
 * own bytes as NLRI, so hits are frequent.
 *
 * Oracle: every UPDATE goes into one long-lived ingest (its cache warm)
 * and into a fresh one (empty cache: always the full decode); both sinks
 * must see the same calls — routes with their attribute-set bytes, errors,
 * End-of-RIB — and every reference the warm ingest took must be given
 * back when it is freed.
 *
 * Batches: a third long-lived ingest gets the same UPDATEs inside batches
 * (bgp_ingest_batch_begin/end, a batch ending every 1 + (header >> 4)
 * UPDATEs), its route changes queued. Over the whole input its sink must
 * see what the warm one saw, in the same order (the per-UPDATE count
 * aside, which commutes with the rest and is only totalled), and never a
 * set whose references were all given back (a queued route's set is kept
 * alive until the route is applied). Routes of prefix length 7 are
 * refused as a full table would be, so "rib_full" is ordered too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp.h"
#include "ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SETS 4096
#define TRACE 65536

struct sink {
	uint8_t *keys[SETS];
	size_t klen[SETS];
	uint32_t refs[SETS];
	size_t nsets;
	char trace[TRACE]; /* of the current UPDATE */
	size_t tlen;
	char all[TRACE];   /* of the whole input, updates left out */
	size_t alen;
	size_t updates;
};

static void put(char *buf, size_t *len, const void *p, size_t n)
{
	if (*len + n > TRACE)
		n = TRACE - *len;
	memcpy(buf + *len, p, n);
	*len += n;
}

static void emit(struct sink *s, const void *p, size_t n)
{
	put(s->trace, &s->tlen, p, n);
	put(s->all, &s->alen, p, n);
}

static rib_attr_id s_intern(void *ctx, const uint8_t *key, size_t len)
{
	struct sink *s = ctx;

	for (size_t i = 1; i <= s->nsets; i++)
		if (s->klen[i] == len && memcmp(s->keys[i], key, len) == 0) {
			s->refs[i]++;
			return (rib_attr_id)i;
		}
	if (s->nsets + 1 >= SETS)
		return 0;
	s->nsets++;
	s->keys[s->nsets] = malloc(len);
	if (s->keys[s->nsets] == NULL)
		abort();
	memcpy(s->keys[s->nsets], key, len);
	s->klen[s->nsets] = len;
	s->refs[s->nsets] = 1;
	return (rib_attr_id)s->nsets;
}

static void s_unref(void *ctx, rib_attr_id id)
{
	struct sink *s = ctx;

	if (id == 0)
		return;
	if (id > s->nsets || s->refs[id] == 0)
		abort(); /* a reference given back twice */
	s->refs[id]--;
}

static enum rib_change s_route(void *ctx, void *peer, enum bgp_ingest_view view,
			       enum bgp_ingest_af af, const struct rib_prefix *p,
			       rib_attr_id attrs, bool counted)
{
	struct sink *s = ctx;

	(void)peer, (void)view, (void)counted;
	if (attrs != 0 && (attrs > s->nsets || s->refs[attrs] == 0))
		abort(); /* a dangling id */
	emit(s, "R", 1);
	emit(s, &af, sizeof(af));
	emit(s, p, sizeof(*p));
	if (attrs != 0)
		emit(s, s->keys[attrs], s->klen[attrs]);
	if (attrs != 0 && p->len == 7)
		return RIB_FULL;
	return attrs != 0 ? RIB_ADDED : RIB_REMOVED;
}

static void s_eor(void *ctx, void *peer, enum bgp_ingest_view view, enum bgp_ingest_af af)
{
	(void)peer, (void)view;
	emit(ctx, "E", 1);
	emit(ctx, &af, sizeof(af));
}

static void s_error(void *ctx, void *peer, const char *reason)
{
	(void)peer;
	emit(ctx, reason, strlen(reason));
}

static void s_update(void *ctx, void *peer)
{
	struct sink *s = ctx;

	(void)peer;
	put(s->trace, &s->tlen, "U", 1);
	s->updates++;
}

static const struct bgp_rib_sink_ops ops = {s_intern, s_unref, s_route, s_eor,
					     s_error,  s_update, NULL};

static void sink_clean(struct sink *s, bool check)
{
	for (size_t i = 1; i <= s->nsets; i++) {
		if (check && s->refs[i] != 0)
			abort(); /* a reference never given back */
		free(s->keys[i]);
	}
}

/* The BGP header around body. */
static size_t frame(uint8_t *msg, const uint8_t *body, size_t n)
{
	memset(msg, 0xff, 16);
	msg[16] = (uint8_t)((n + 19) >> 8);
	msg[17] = (uint8_t)(n + 19);
	msg[18] = BGP_MSG_UPDATE;
	memcpy(msg + 19, body, n);
	return n + 19;
}

/* body = the previous body's withdrawn + attributes, then nlri. */
static size_t repeat(uint8_t *body, size_t prev_len, const uint8_t *nlri, size_t n)
{
	size_t head;

	if (prev_len < 4)
		return 0;
	head = 2 + ((size_t)body[0] << 8 | body[1]);
	if (head + 2 > prev_len)
		return 0;
	head += 2 + ((size_t)body[head] << 8 | body[head + 1]);
	if (head > prev_len || head + n > 65000)
		return 0;
	memcpy(body + head, nlri, n);
	return head + n;
}

static void one(struct bgp_ingest *warm, struct sink *ws, struct sink *cs,
		const struct bgp_decode_ctx *ctx, const uint8_t *msg, size_t len)
{
	struct bgp_ingest *cold = bgp_ingest_new((struct bgp_rib_sink){&ops, cs});

	if (cold == NULL)
		abort();
	ws->tlen = cs->tlen = 0;
	bgp_ingest_update(warm, ws, BGP_INGEST_ADJ_IN_PRE, ctx, msg, len);
	bgp_ingest_update(cold, cs, BGP_INGEST_ADJ_IN_PRE, ctx, msg, len);
	bgp_ingest_free(cold);
	if (ws->tlen != cs->tlen || memcmp(ws->trace, cs->trace, ws->tlen) != 0)
		abort(); /* the cache changed what ingest did */
}

/* The batched ingest's turn: the UPDATE queued, the batch ended every
 * `every` UPDATEs. */
static void batched(struct bgp_ingest *b, struct sink *bs, const struct bgp_decode_ctx *ctx,
		    const uint8_t *msg, size_t len, size_t n, size_t every)
{
	bgp_ingest_update(b, bs, BGP_INGEST_ADJ_IN_PRE, ctx, msg, len);
	if ((n + 1) % every == 0) {
		bgp_ingest_batch_end(b);
		bgp_ingest_batch_begin(b);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t body[65536], msg[65536 + 19];
	struct sink *ws = calloc(1, sizeof(*ws)), *cs = calloc(1, sizeof(*cs));
	struct sink *bs = calloc(1, sizeof(*bs));
	struct bgp_decode_ctx ctx;
	struct bgp_ingest *warm, *batch;
	size_t pos = 1, blen = 0, nmsg = 0, every;

	if (ws == NULL || cs == NULL || bs == NULL || size < 1)
		goto out;
	every = 1 + (data[0] >> 4);
	bgp_ctx_init(&ctx);
	if (data[0] & 1)
		bgp_ctx_set_legacy_as_path(&ctx);
	if (data[0] & 2)
		ctx.addpath[ctx.n_addpath++] = (struct bgp_afisafi){BGP_AFI_IPV4, BGP_SAFI_UNICAST};
	if (data[0] & 4)
		ctx.addpath[ctx.n_addpath++] = (struct bgp_afisafi){BGP_AFI_IPV6, BGP_SAFI_UNICAST};
	ctx.extended_message = (data[0] & 8) != 0;
	warm = bgp_ingest_new((struct bgp_rib_sink){&ops, ws});
	batch = bgp_ingest_new((struct bgp_rib_sink){&ops, bs});
	if (warm == NULL || batch == NULL)
		abort();
	bgp_ingest_batch_begin(batch);
	while (pos + 2 <= size) {
		size_t n = (size_t)(data[pos] & 0x7f) << 8 | data[pos + 1];
		bool rep = (data[pos] & 0x80) != 0;

		pos += 2;
		if (n > size - pos)
			n = size - pos;
		if (rep) {
			blen = repeat(body, blen, data + pos, n);
		} else {
			memcpy(body, data + pos, n);
			blen = n;
		}
		pos += n;
		one(warm, ws, cs, &ctx, msg, frame(msg, body, blen));
		batched(batch, bs, &ctx, msg, frame(msg, body, blen), nmsg++, every);
	}
	bgp_ingest_batch_end(batch);
	if (bs->updates != ws->updates || bs->alen != ws->alen ||
	    memcmp(bs->all, ws->all, ws->alen) != 0)
		abort(); /* batching changed what ingest did */
	bgp_ingest_free(warm);
	bgp_ingest_free(batch);
	sink_clean(ws, true);
	sink_clean(cs, true);
	sink_clean(bs, true);
out:
	free(ws);
	free(cs);
	free(bs);
	return 0;
}
