/* fuzz_ifstats_nl.c — libFuzzer target for the rtnetlink link parser.
 *
 * Input: one read of a link dump (netlink messages back to back). It is
 * walked twice, with "any sequence" and with the sequence number of the
 * first header, and every message body is also parsed on its own at
 * every 4-byte offset. The parser's contract is checked: never more links
 * than messages, names 1..15 bytes and terminated, VLAN ids within 12
 * bits, errors only with a name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netlink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct ifstats_sample *s, void *arg)
{
	size_t n = strnlen(s->name, sizeof(s->name));

	(void)arg;
	if (n == 0 || n >= sizeof(s->name) || strnlen(s->kind, sizeof(s->kind)) >= sizeof(s->kind))
		abort();
	if (s->vlan_id > 4095)
		abort();
}

static void walk(const uint8_t *data, size_t size, uint32_t seq)
{
	struct ifstats_nl_walk w = {.seq = seq};

	ifstats_nl_walk(&w, data, size, check, NULL);
	if (w.links > w.messages)
		abort();
	for (int e = 0; e < IFSTATS_NL_NERRORS; e++)
		if (w.errors[e] && strcmp(ifstats_nl_error_name((enum ifstats_nl_error)e), "unknown") == 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t seq = 0;

	walk(data, size, 0);
	if (size >= 12) {
		memcpy(&seq, data + 8, sizeof(seq));
		walk(data, size, seq);
	}
	for (size_t off = 0; off < size && off < 64; off += 4) {
		struct ifstats_sample s;
		enum ifstats_nl_error err;

		if (ifstats_nl_parse_link(data + off, size - off, &s, &err) == 0)
			check(&s, NULL);
		else if ((unsigned)err >= IFSTATS_NL_NERRORS)
			abort();
	}
	return 0;
}
