/* traffic.c — cumulative byte totals per circuit, direction and source; the
 * capture's per-VLAN counters turned into deltas. See traffic.h. */
#include "traffic.h"

#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "circuit_index.h"

struct mcircuit {
	char id[CFG_ID_MAX + 1];
	uint64_t bytes[TRAFFIC_SOURCE_COUNT][TRAFFIC_DIR_COUNT];
	UT_hash_handle hh;
};

struct vkey {
	char ifname[16];
	uint16_t s_tag, c_tag;
	uint8_t dir;
	uint8_t pad[3]; /* zeroed: the whole struct is the hash key */
};

struct mvlan {
	struct vkey key;
	uint64_t last;
	UT_hash_handle hh;
};

struct model_traffic {
	struct mcircuit *circuits;
	size_t ncircuits;
	struct mvlan *vlans;
	size_t nvlans;
	uint64_t dropped;
	traffic_pass_fn on_pass;
	void *on_pass_arg;
};

void traffic_set_listener(struct model_traffic *m, traffic_pass_fn fn, void *arg)
{
	if (!m)
		return;
	m->on_pass = fn;
	m->on_pass_arg = fn ? arg : NULL;
}

void traffic_pass_done(struct model_traffic *m, uint32_t interval_ms)
{
	if (m && m->on_pass)
		m->on_pass(m->on_pass_arg, interval_ms);
}

struct model_traffic *traffic_new(void)
{
	return calloc(1, sizeof(struct model_traffic));
}

void traffic_free(struct model_traffic *m)
{
	struct mcircuit *c, *ct;
	struct mvlan *v, *vt;

	if (!m)
		return;
	HASH_ITER(hh, m->circuits, c, ct) {
		HASH_DEL(m->circuits, c);
		free(c);
	}
	HASH_ITER(hh, m->vlans, v, vt) {
		HASH_DEL(m->vlans, v);
		free(v);
	}
	free(m);
}

static struct mcircuit *find(const struct model_traffic *m, const char *id)
{
	struct mcircuit *c = NULL;

	HASH_FIND_STR(m->circuits, id, c);
	return c;
}

int traffic_add(struct model_traffic *m, const char *circuit, enum cfg_link_role role,
		enum traffic_dir dir, uint64_t bytes, enum cfg_bill_source src)
{
	struct mcircuit *c;

	if (!m)
		return -1;
	if (!circuit || strlen(circuit) > CFG_ID_MAX || (unsigned)role >= CFG_LINK_COUNT ||
	    (unsigned)dir >= TRAFFIC_DIR_COUNT || (unsigned)src >= TRAFFIC_SOURCE_COUNT)
		goto drop;
	if (!(c = find(m, circuit))) {
		if (m->ncircuits >= TRAFFIC_MAX_CIRCUITS || !(c = calloc(1, sizeof *c)))
			goto drop;
		strcpy(c->id, circuit);
		HASH_ADD_STR(m->circuits, id, c);
		m->ncircuits++;
	}
	c->bytes[src][dir] += bytes;
	return 0;
drop:
	m->dropped++;
	return -1;
}

uint64_t traffic_total(const struct model_traffic *m, const char *circuit, enum traffic_dir dir,
		       enum cfg_bill_source src)
{
	const struct mcircuit *c;

	if (!m || !circuit || (unsigned)dir >= TRAFFIC_DIR_COUNT || (unsigned)src >= TRAFFIC_SOURCE_COUNT)
		return 0;
	c = find(m, circuit);
	return c ? c->bytes[src][dir] : 0;
}

uint64_t traffic_dropped(const struct model_traffic *m)
{
	return m ? m->dropped : 0;
}

void traffic_vlan(struct model_traffic *m, const struct circuit_index *circuits,
		  const char *ifname, uint16_t s_tag, uint16_t c_tag, enum traffic_dir dir,
		  uint64_t cumulative)
{
	const struct circuit_ref *owner;
	struct vkey key;
	struct mvlan *v = NULL;
	uint64_t delta;

	if (!m || !circuits || !ifname || (unsigned)dir >= TRAFFIC_DIR_COUNT ||
	    strlen(ifname) >= sizeof key.ifname)
		return;
	if (!(owner = circuit_index_by_vlan(circuits, ifname, s_tag, c_tag)))
		return;
	memset(&key, 0, sizeof key);
	strcpy(key.ifname, ifname);
	key.s_tag = s_tag;
	key.c_tag = c_tag;
	key.dir = (uint8_t)dir;
	HASH_FIND(hh, m->vlans, &key, sizeof key, v);
	if (!v) {
		if (m->nvlans >= TRAFFIC_MAX_VLANS || !(v = calloc(1, sizeof *v))) {
			m->dropped++;
			return;
		}
		v->key = key;
		HASH_ADD(hh, m->vlans, key, sizeof key, v);
		m->nvlans++;
	}
	/* the capture counts from 0 when it starts: a lower value is a new one */
	delta = cumulative >= v->last ? cumulative - v->last : cumulative;
	v->last = cumulative;
	if (delta)
		(void)traffic_add(m, owner->circuit->id, owner->role, dir, delta,
				  CFG_BILL_SOURCE_CAPTURE);
}
