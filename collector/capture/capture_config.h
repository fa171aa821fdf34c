/* capture_config.h — the capture: section of the configuration: passive
 * capture (issue 4) with libpcap on the interfaces facing the provider (a
 * SPAN port or a tap), or an offline file.
 *
 * Ownership: capture_config() returns the section inside cfg (cfg owns it
 * and every string and array in it).
 */
#ifndef CW_CAPTURE_CONFIG_H
#define CW_CAPTURE_CONFIG_H

#include "config.h"

struct cfg_capture {
	bool enabled;               /* default false: it needs interfaces or a file */
	size_t ninterfaces;         /* interface names (1..15 characters each) */
	char **interfaces;
	char *file;                 /* a pcap/pcapng file read once instead; NULL = live */
	uint32_t snaplen;           /* bytes, 64..262144; default 65535 */
	bool promiscuous;           /* default true */
	uint32_t buffer_size;       /* kernel capture buffer, bytes, 1 MiB..1 GiB; default 16 MiB */
	bool immediate;             /* deliver packets at once; default true */
	char *filter;               /* BPF expression; NULL = every frame (per-VLAN
	                             * accounting needs them all) */
	size_t nlocal_macs;         /* our routers' MACs: frames from them are egress */
	uint8_t (*local_macs)[6];
	size_t nlocal_prefixes;     /* our address space: egress when the source is in it */
	struct cfg_prefix *local_prefixes;
	uint32_t bgp_port;          /* TCP port of BGP; default 179 */
	unsigned max_flows;         /* TCP connections followed, 16..1048576; default 65536 */
	uint32_t max_reassembly_bytes; /* all flows together, 1 MiB..4 GiB-1; default 256 MiB */
};

extern const struct section capture_config_section;

/* The capture: section of cfg (NULL when cfg's schema has none). */
const struct cfg_capture *capture_config(const struct cfg_config *cfg);

#endif
