/* fuzz_frame.c — libFuzzer target for the capture frame decoder.
 *
 * Input: byte 0 picks the link type (FUZZ_LINKTYPES, the last entry
 * unsupported), byte 1 is how many bytes the capture "cut" off the end
 * (wirelen = caplen + byte 1, to reach the snaplen paths), the rest is the
 * frame. The decoder's contract is checked: outcome and error agree, every
 * error has a name, arrays stay within their caps, the payload lies inside
 * the frame and never exceeds what the IP lengths claim, a non-first
 * fragment never yields TCP, and a tunneled frame kept its outer GRE header.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int fuzz_linktypes[] = {1, 113, 276, 12, 101, 228, 229, 147};

static void check(const struct cap_frame *f, int rc, const uint8_t *pkt, size_t caplen)
{
	if ((rc == 0) != (f->error == CAP_FRAME_OK) || (rc != 0 && rc != -1))
		abort();
	if (strcmp(cap_frame_error_name(f->error), "unknown") == 0)
		abort();
	if (f->n_vlans > CAP_MAX_VLANS || f->n_ipv6_ext > CAP_MAX_IPV6_EXT)
		abort();
	if (f->n_mpls > CAP_MAX_MPLS)
		abort();
	if (f->tunneled && (!f->has_gre || f->outer.ip_proto != CAP_IPPROTO_GRE ||
			    (f->outer.ip_version != 4 && f->outer.ip_version != 6)))
		abort();
	if (cap_frame_s_tag(f) > 4095 || cap_frame_c_tag(f) > 4095)
		abort();
	if (f->has_ip && f->ip_version != 4 && f->ip_version != 6)
		abort();
	if (f->has_tcp) {
		const struct cap_tcp *t = &f->tcp;

		if (!f->has_ip || t->data_offset < 5 || t->payload_len > t->payload_wire_len)
			abort();
		if (t->payload_len &&
		    (t->payload < pkt || t->payload + t->payload_len > pkt + caplen))
			abort();
		if (!t->payload_len && t->payload)
			abort();
	}
	if (f->has_tcp && f->ip_fragment && f->frag_offset != 0)
		abort(); /* no TCP in a non-first fragment */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cap_frame f;
	const uint8_t *pkt;
	size_t caplen, cut;
	int lt, rc;

	if (size < 2)
		return 0;
	lt = fuzz_linktypes[data[0] % (sizeof(fuzz_linktypes) / sizeof(fuzz_linktypes[0]))];
	cut = data[1];
	pkt = data + 2;
	caplen = size - 2;
	rc = cap_frame_decode(lt, caplen ? pkt : NULL, caplen, caplen + cut, &f);
	check(&f, rc, pkt, caplen);
	rc = cap_frame_decode(lt, caplen ? pkt : NULL, caplen, caplen, &f);
	check(&f, rc, pkt, caplen);
	return 0;
}
