/* capture_config.c — the capture: section (see capture_config.h). */
#include "capture_config.h"
#include "config_schema.h"

#define CAPTURE_IFACES_MAX 64   /* capture.interfaces: one pcap handle each */
#define CAPTURE_MACS_MAX 1024   /* capture.local_macs */
#define CAPTURE_PREFIXES_MAX 65535 /* capture.local_prefixes */
#define CAPTURE_SNAPLEN_DEFAULT 65535u
#define CAPTURE_SNAPLEN_MIN 64u     /* Ethernet + QinQ + IPv6 + TCP headers fit */
#define CAPTURE_SNAPLEN_MAX 262144u /* libpcap's MAXIMUM_SNAPLEN */
#define CAPTURE_BUFFER_DEFAULT (16u * 1024u * 1024u)
#define CAPTURE_BUFFER_MIN (1024u * 1024u)
#define CAPTURE_BUFFER_MAX (1024u * 1024u * 1024u)
#define CAPTURE_BGP_PORT 179u      /* RFC 4271 §8.2.1 */
#define CAPTURE_FLOWS_DEFAULT 65536u
#define CAPTURE_FLOWS_MIN 16u
#define CAPTURE_FLOWS_MAX 1048576u
#define CAPTURE_REASM_DEFAULT (256u * 1024u * 1024u)
#define CAPTURE_REASM_MIN (1024u * 1024u)
#define CAPTURE_REASM_MAX UINT32_MAX

static void init_capture(void *obj)
{
	struct cfg_capture *c = obj;

	c->enabled = false;
	c->snaplen = CAPTURE_SNAPLEN_DEFAULT;
	c->promiscuous = true;
	c->buffer_size = CAPTURE_BUFFER_DEFAULT;
	c->immediate = true;
	c->bgp_port = CAPTURE_BGP_PORT;
	c->max_flows = CAPTURE_FLOWS_DEFAULT;
	c->max_reassembly_bytes = CAPTURE_REASM_DEFAULT;
}

/* One source: live interfaces or a file, never both; enabled needs one.
 * An empty interfaces list counts as none. Keys already reported as bad
 * are not blamed again. */
static void check_capture(struct walk *w, struct frame *fr)
{
	const struct cfg_capture *c = fr->obj;
	bool ifs = fr_ok(fr, "interfaces") && c->ninterfaces > 0, file = fr_ok(fr, "file");

	if (ifs && file) {
		err_here(w, fr->loc, "give either \"interfaces\" or \"file\", not both");
		return;
	}
	if (!c->enabled || ifs || file || (fr_given(fr, "interfaces") && !fr_ok(fr, "interfaces")) ||
	    (fr_given(fr, "file") && !fr_ok(fr, "file")))
		return;
	err_here(w, fr->loc, "enabled needs a source: give \"interfaces\" (a non-empty list) "
		 "or \"file\"");
}

/* ---- probes and interface counters (issue 5) ------------------------ */

static const struct field capture_fields[] = {
	FIELD_BOOL(struct cfg_capture, "enabled", enabled, 0),
	FIELD_NAMES(struct cfg_capture, "interfaces", interfaces, ninterfaces, 0, 0,
		    CAPTURE_IFACES_MAX, valid_ifname_item,
		    "an interface name of 1..15 characters without '/', ':' or whitespace"),
	FIELD_STRING(struct cfg_capture, "file", file, 0),
	FIELD_UINT(struct cfg_capture, "snaplen", snaplen, 0, CAPTURE_SNAPLEN_MIN,
		   CAPTURE_SNAPLEN_MAX),
	FIELD_BOOL(struct cfg_capture, "promiscuous", promiscuous, 0),
	FIELD_UINT(struct cfg_capture, "buffer_size", buffer_size, 0, CAPTURE_BUFFER_MIN,
		   CAPTURE_BUFFER_MAX),
	FIELD_BOOL(struct cfg_capture, "immediate", immediate, 0),
	FIELD_STRING(struct cfg_capture, "filter", filter, 0),
	FIELD_MACS(struct cfg_capture, "local_macs", local_macs, nlocal_macs, 0, 0,
		   CAPTURE_MACS_MAX),
	FIELD_PREFIXES(struct cfg_capture, "local_prefixes", local_prefixes, nlocal_prefixes, 0,
		       0, CAPTURE_PREFIXES_MAX),
	FIELD_UINT(struct cfg_capture, "bgp_port", bgp_port, 0, 1, 65535),
	FIELD_UINT(struct cfg_capture, "max_flows", max_flows, 0, CAPTURE_FLOWS_MIN,
		   CAPTURE_FLOWS_MAX),
	FIELD_UINT(struct cfg_capture, "max_reassembly_bytes", max_reassembly_bytes, 0,
		   CAPTURE_REASM_MIN, CAPTURE_REASM_MAX),
};
DEFINE_TOP_SECTION(capture_config_section, capture_fields, struct cfg_capture, init_capture,
		   check_capture, NULL);

const struct cfg_capture *capture_config(const struct cfg_config *cfg)
{
	return cfg_section(cfg, &capture_config_section);
}
