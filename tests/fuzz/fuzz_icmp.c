/* fuzz_icmp.c — libFuzzer target for the probes' ICMP/ICMPv6 decoder: the
 * input as an IPv4 message with and without its IP header, as ICMPv6, and
 * as an error-queue quote of our own request. Whatever decodes must have
 * had the bytes it claims (a tag needs 24 bytes after any IP header), and
 * a decoded echo request must encode back to the same header and tag. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "icmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_parse(const uint8_t *data, size_t size, bool v6, bool ip)
{
	struct probe_icmp_msg m;

	if (probe_icmp_parse(data, size, v6, ip, &m) != 0)
		return;
	if (size < PROBE_ICMP_HDR_LEN + (ip ? 20u : 0u))
		abort();
	if (m.kind == PROBE_ICMP_ECHO_REPLY && m.tagged &&
	    size < PROBE_ICMP_HDR_LEN + PROBE_ICMP_TAG_LEN + (ip ? 20u : 0u))
		abort();
	if (m.kind == PROBE_ICMP_ERROR && m.tagged &&
	    size < 2 * PROBE_ICMP_HDR_LEN + PROBE_ICMP_TAG_LEN + (v6 ? 40u : 20u))
		abort();
}

static void check_request(const uint8_t *data, size_t size, bool v6)
{
	struct probe_icmp_tag tag;
	uint8_t buf[PROBE_ICMP_MAX_LEN];
	uint16_t id, seq;
	bool tagged;
	int n;

	if (probe_icmp_parse_request(data, size, v6, &id, &seq, &tagged, &tag) != 0 || !tagged)
		return;
	n = probe_icmp_encode_echo(buf, sizeof(buf), v6, id, seq, &tag, PROBE_ICMP_TAG_LEN);
	if (n != PROBE_ICMP_HDR_LEN + PROBE_ICMP_TAG_LEN || buf[0] != data[0] ||
	    memcmp(buf + 4, data + 4, (size_t)n - 4) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_parse(data, size, false, false);
	check_parse(data, size, false, true);
	check_parse(data, size, true, false);
	check_request(data, size, false);
	check_request(data, size, true);
	return 0;
}
