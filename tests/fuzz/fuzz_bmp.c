/* fuzz_bmp.c — libFuzzer target for the BMP codec.
 *
 * Treats the input as a BMP byte stream: frames it with bmp_frame() and
 * decodes every complete message; also decodes the whole input as one
 * message and iterates it as a TLV area. Checks the contract on every
 * input: the return value agrees with the error summary, every pointer
 * handed out lies inside the bytes decoded, counts never exceed caps, and
 * every name helper answers. Also scans the input with bmp_resync() as a
 * stream after a TCP gap: the offset stays inside it, a start it finds
 * frames (bmp_frame never fails there) and is found again at 0, and a
 * NEED_MORE keeps no more than one candidate's lookahead. */
#include <stdint.h>
#include <stdlib.h>

#include "bmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void need(int cond)
{
	if (!cond)
		abort();
}

static int inside(const uint8_t *buf, size_t len, const void *ptr, size_t n)
{
	const uint8_t *p = ptr;

	if (!p)
		return n == 0;
	return p >= buf && n <= len && (size_t)(p - buf) <= len - n;
}

static void check_tlvs(const uint8_t *b, size_t len, const struct bmp_tlv_list *l)
{
	need(l->n <= BMP_MAX_TLVS && l->n <= l->total);
	need(inside(b, len, l->area.data, l->area.len));
	for (size_t i = 0; i < l->n; i++)
		need(inside(b, len, l->v[i].value, l->v[i].len));
}

static void check_pdu(const uint8_t *b, size_t len, const struct bmp_bgp_pdu *p)
{
	if (p->status == BMP_PDU_OK || p->status == BMP_PDU_WRONG_TYPE)
		need(p->data && p->len >= BMP_BGP_HDR_LEN && inside(b, len, p->data, p->len));
	else
		need(!p->data);
	need(bmp_pdu_status_name(p->status) != NULL);
}

static void check_body(const uint8_t *b, size_t len, const struct bmp_msg *m)
{
	switch (m->type) {
	case BMP_MSG_ROUTE_MONITORING:
		check_pdu(b, len, &m->u.rm.update);
		break;
	case BMP_MSG_STATISTICS_REPORT:
		need(m->u.stats.n <= BMP_MAX_STATS && m->u.stats.n <= m->u.stats.total);
		for (size_t i = 0; i < m->u.stats.n; i++) {
			need(inside(b, len, m->u.stats.v[i].raw, m->u.stats.v[i].len));
			need(bmp_stat_type_name(m->u.stats.v[i].type) != NULL);
		}
		break;
	case BMP_MSG_PEER_DOWN:
		check_pdu(b, len, &m->u.down.notification);
		check_tlvs(b, len, &m->u.down.tlvs);
		need(inside(b, len, m->u.down.data.data, m->u.down.data.len));
		need(inside(b, len, m->u.down.vrf_table_name.data, m->u.down.vrf_table_name.len));
		need(bmp_peer_down_reason_name(m->u.down.reason) != NULL);
		break;
	case BMP_MSG_PEER_UP:
		check_pdu(b, len, &m->u.up.sent_open);
		check_pdu(b, len, &m->u.up.recv_open);
		check_tlvs(b, len, &m->u.up.tlvs);
		need(inside(b, len, m->u.up.admin_label.data, m->u.up.admin_label.len));
		break;
	case BMP_MSG_INITIATION:
		check_tlvs(b, len, &m->u.init.tlvs);
		need(inside(b, len, m->u.init.sys_name.data, m->u.init.sys_name.len));
		need(inside(b, len, m->u.init.sys_descr.data, m->u.init.sys_descr.len));
		break;
	case BMP_MSG_TERMINATION:
		check_tlvs(b, len, &m->u.term.tlvs);
		need(bmp_term_reason_name(m->u.term.reason) != NULL);
		break;
	case BMP_MSG_ROUTE_MIRRORING:
		check_tlvs(b, len, &m->u.mirror.tlvs);
		check_pdu(b, len, &m->u.mirror.bgp);
		break;
	default:
		need(inside(b, len, m->u.unknown.data, m->u.unknown.len));
		break;
	}
}

static void decode_one(const uint8_t *b, size_t len)
{
	struct bmp_msg m;
	int rc = bmp_decode(b, len, &m);

	need(rc == (m.errors ? -1 : 0));
	need((m.error == BMP_OK) == (m.errors == 0));
	need(m.error == BMP_OK || (m.errors & (1u << m.error)));
	need(m.error < BMP_ERR__COUNT && bmp_error_reason_name(m.error) != NULL);
	need(bmp_msg_type_name(m.type) != NULL && bmp_peer_type_name(m.peer.type) != NULL);
	if (m.version == BMP_VERSION && m.length >= BMP_COMMON_HDR_LEN && m.length <= len)
		check_body(b, m.length, &m);
}

static void check_resync(const uint8_t *data, size_t size)
{
	size_t off = SIZE_MAX, again = SIZE_MAX, msg_len;
	enum bmp_resync_status st = bmp_resync(data, size, 1u << 20, &off);

	need(off <= size);
	if (st == BMP_RESYNC_NEED_MORE) {
		need(size - off < BMP_RESYNC_LOOKAHEAD);
		return;
	}
	need(st == BMP_RESYNC_FOUND && size - off >= BMP_COMMON_HDR_LEN);
	need(bmp_frame(data + off, size - off, 1u << 20, &msg_len, NULL) != BMP_FRAME_ERROR);
	need(bmp_resync(data + off, size - off, 1u << 20, &again) == BMP_RESYNC_FOUND && again == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bmp_tlv_iter it;
	struct bmp_tlv tlv;
	size_t off = 0, msg_len;
	enum bmp_error why;
	int rc;

	for (;;) {
		enum bmp_frame_status st =
			bmp_frame(data + off, size - off, 1u << 20, &msg_len, &why);

		if (st != BMP_FRAME_COMPLETE) {
			need(st == BMP_FRAME_NEED_MORE ? why == BMP_OK && msg_len > size - off
						       : why != BMP_OK);
			break;
		}
		need(msg_len >= BMP_COMMON_HDR_LEN && msg_len <= size - off);
		decode_one(data + off, msg_len);
		off += msg_len;
	}
	decode_one(data, size);
	check_resync(data, size);
	if (size > 1)
		check_resync(data + 1, size - 1);
	bmp_tlv_iter_init(&it, data, size);
	while ((rc = bmp_tlv_next(&it, &tlv)) == 1)
		need(inside(data, size, tlv.value, tlv.len));
	need(rc == 0 || rc == -1);
	return 0;
}
