/* flows.c — bounded TCP flow table. See flows.h. */
#include "flows.h"

#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "frame.h"

/* Normalized key: the smaller endpoint (memcmp over address then port) is a. */
struct cap_flow_key {
	uint8_t family;
	uint8_t pad;
	struct cap_endpoint a, b;
};

struct cap_flow_node {
	struct cap_flow flow;
	struct cap_flow_key key;
	struct cap_flow_node *newer, *older; /* LRU list */
	UT_hash_handle hh;
};

struct cap_flows {
	struct cap_flow_node *hash;
	struct cap_flow_node *newest, *oldest;
	size_t n, max;
	double idle;
	struct cap_reasm_budget budget;
	struct cap_flows_stats st;
	cap_flows_remove_fn on_remove;
	void *arg;
};

static struct cap_flow_node *node_of(struct cap_flow *f)
{
	return (struct cap_flow_node *)(void *)((char *)f - offsetof(struct cap_flow_node, flow));
}

static int ep_cmp(const struct cap_endpoint *x, const struct cap_endpoint *y)
{
	int c = memcmp(x->addr, y->addr, sizeof(x->addr));

	if (c != 0)
		return c;
	return x->port < y->port ? -1 : x->port > y->port;
}

static void make_key(struct cap_flow_key *k, uint8_t family, const struct cap_endpoint *src,
		     const struct cap_endpoint *dst)
{
	bool swap = ep_cmp(src, dst) > 0;

	memset(k, 0, sizeof(*k));
	k->family = family;
	k->a = swap ? *dst : *src;
	k->b = swap ? *src : *dst;
}

struct cap_flows *cap_flows_new(size_t max_flows, size_t budget_bytes, double idle_timeout,
				cap_flows_remove_fn on_remove, void *arg)
{
	struct cap_flows *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->max = max_flows ? max_flows : CAP_FLOWS_MAX;
	if (t->max > CAP_FLOWS_MAX)
		t->max = CAP_FLOWS_MAX;
	t->idle = idle_timeout > 0 ? idle_timeout : CAP_FLOWS_IDLE_TIMEOUT;
	cap_reasm_budget_init(&t->budget, budget_bytes ? budget_bytes : CAP_FLOWS_BUDGET);
	t->on_remove = on_remove;
	t->arg = arg;
	return t;
}

static void lru_unlink(struct cap_flows *t, struct cap_flow_node *n)
{
	if (n->newer)
		n->newer->older = n->older;
	else
		t->newest = n->older;
	if (n->older)
		n->older->newer = n->newer;
	else
		t->oldest = n->newer;
	n->newer = n->older = NULL;
}

static void lru_push(struct cap_flows *t, struct cap_flow_node *n)
{
	n->older = t->newest;
	n->newer = NULL;
	if (t->newest)
		t->newest->newer = n;
	t->newest = n;
	if (t->oldest == NULL)
		t->oldest = n;
}

void cap_flows_remove(struct cap_flows *t, struct cap_flow *f)
{
	struct cap_flow_node *n;

	if (t == NULL || f == NULL)
		return;
	n = node_of(f);
	if (t->on_remove)
		t->on_remove(f, t->arg);
	HASH_DEL(t->hash, n);
	lru_unlink(t, n);
	cap_reasm_clean(&f->dir[0]);
	cap_reasm_clean(&f->dir[1]);
	free(n);
	t->n--;
}

void cap_flows_free(struct cap_flows *t)
{
	if (t == NULL)
		return;
	while (t->newest)
		cap_flows_remove(t, &t->newest->flow);
	free(t);
}

static struct cap_flow_node *flow_create(struct cap_flows *t, const struct cap_flow_key *k,
					 const struct cap_endpoint *src,
					 const struct cap_endpoint *dst, uint8_t flags, double now)
{
	struct cap_flow_node *n;
	/* side 0 is the SYN sender: the receiver of a SYN-ACK */
	bool src_is_1 = (flags & CAP_TCP_SYN) && (flags & CAP_TCP_ACK);

	if (t->n >= t->max && t->oldest) {
		t->st.evicted_lru++;
		cap_flows_remove(t, &t->oldest->flow);
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->key = *k;
	n->flow.family = k->family;
	n->flow.end[src_is_1] = *src;
	n->flow.end[!src_is_1] = *dst;
	n->flow.first_seen = now;
	HASH_ADD(hh, t->hash, key, sizeof(n->key), n);
	lru_push(t, n);
	t->n++;
	t->st.created++;
	return n;
}

struct cap_flow *cap_flows_get(struct cap_flows *t, uint8_t family, const struct cap_endpoint *src,
			       const struct cap_endpoint *dst, uint8_t tcp_flags, double now,
			       int *side)
{
	struct cap_flow_key k;
	struct cap_flow_node *n;

	if (t == NULL || src == NULL || dst == NULL || side == NULL ||
	    (family != 4 && family != 6))
		return NULL;
	make_key(&k, family, src, dst);
	HASH_FIND(hh, t->hash, &k, sizeof(k), n);
	if (n == NULL) {
		n = flow_create(t, &k, src, dst, tcp_flags, now);
		if (n == NULL)
			return NULL;
	} else {
		lru_unlink(t, n);
		lru_push(t, n);
	}
	n->flow.last_seen = now;
	*side = ep_cmp(src, &n->flow.end[0]) == 0 ? 0 : 1;
	return &n->flow;
}

struct cap_reasm *cap_flow_reasm(struct cap_flows *t, struct cap_flow *f, int side, uint32_t seq,
				 bool syn)
{
	side = side != 0;
	if (!f->dir_started[side]) {
		/* RFC 9293 §3.4: the SYN occupies one sequence number */
		cap_reasm_init(&f->dir[side], &t->budget, syn ? seq + 1 : seq, !syn);
		f->dir_started[side] = true;
		f->mid_session[side] = !syn;
	}
	return &f->dir[side];
}

void cap_flow_tcp_seen(struct cap_flow *f, int side, uint8_t flags, uint32_t seq, uint32_t ack,
		       uint16_t window, double now)
{
	struct cap_flow_tcp *h = &f->tcp;
	bool syn = (flags & CAP_TCP_SYN) != 0, has_ack = (flags & CAP_TCP_ACK) != 0;

	side = side != 0;
	/* A zero window on an established connection means the sender cannot
	 * take more data (RFC 9293 §3.8.6.2); SYN, FIN and RST segments are
	 * not window advertisements of a running connection (as Wireshark's
	 * tcp.analysis.zero_window). */
	if (window == 0 && has_ack && !(flags & (CAP_TCP_SYN | CAP_TCP_FIN | CAP_TCP_RST)))
		h->zero_windows[side]++;
	if (h->handshake_done || (flags & CAP_TCP_RST))
		return;
	if (side == 0 && syn && !has_ack) {
		/* a retransmitted SYN restarts the clock: the SYN-ACK answers
		 * the last one (Karn's ambiguity, RFC 6298 §3, is not resolvable
		 * from the wire; the last one gives the smaller, truer RTT) */
		h->syn_seen = true;
		h->synack_seen = false;
		h->syn_ts = now;
	} else if (side == 1 && syn && has_ack && h->syn_seen && !h->synack_seen) {
		h->synack_seen = true;
		h->synack_ts = now;
		h->synack_seq = seq;
	} else if (side == 0 && !syn && has_ack && h->synack_seen &&
		   ack == h->synack_seq + 1u) { /* RFC 9293 §3.5: ACK of ISN+1 */
		h->handshake_done = true;
		h->ack_ts = now;
	}
}

double cap_flow_handshake_rtt(const struct cap_flow *f, double *syn_synack, double *synack_ack)
{
	const struct cap_flow_tcp *h = &f->tcp;

	if (!h->handshake_done) {
		*syn_synack = *synack_ack = -1;
		return -1;
	}
	*syn_synack = h->synack_ts - h->syn_ts;
	*synack_ack = h->ack_ts - h->synack_ts;
	return h->ack_ts - h->syn_ts;
}

size_t cap_flows_expire(struct cap_flows *t, double now)
{
	size_t removed = 0;

	while (t->oldest && t->oldest->flow.last_seen + t->idle < now) {
		cap_flows_remove(t, &t->oldest->flow);
		t->st.expired++;
		removed++;
	}
	return removed;
}

size_t cap_flows_count(const struct cap_flows *t)
{
	return t->n;
}

struct cap_flows_stats cap_flows_stats(const struct cap_flows *t)
{
	return t->st;
}

const struct cap_reasm_budget *cap_flows_budget(const struct cap_flows *t)
{
	return &t->budget;
}

void cap_flows_foreach(struct cap_flows *t, void (*fn)(struct cap_flow *f, void *arg), void *arg)
{
	for (struct cap_flow_node *n = t->newest; n; n = n->older)
		fn(&n->flow, arg);
}
