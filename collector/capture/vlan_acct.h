/* vlan_acct.h — traffic accounting per interface, VLAN stack and
 * direction, for every frame a capture sees (not only BGP). Billing meters
 * egress from it.
 *
 * Direction is ours to decide, not the wire's: a frame is egress when it
 * comes from one of our MAC addresses or our prefixes, ingress when it goes
 * to one of them, unknown otherwise (configure the local side to get it).
 *
 * Pure: frames in (already decoded), counters out; no clock, no I/O.
 * Ownership: the caller owns the table (vlan_acct_new / vlan_acct_free). */
#ifndef CW_CAPTURE_VLAN_ACCT_H
#define CW_CAPTURE_VLAN_ACCT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VLAN_ACCT_MAX_KEYS 16384 /* distinct (interface, S, C, direction) */
#define VLAN_ACCT_IFNAME 16

enum vlan_dir { VLAN_DIR_INGRESS, VLAN_DIR_EGRESS, VLAN_DIR_UNKNOWN, VLAN_DIR_COUNT };

struct vlan_key {
	char ifname[VLAN_ACCT_IFNAME]; /* NUL-padded */
	uint16_t s_tag;                /* outer tag of a QinQ stack; 0 none */
	uint16_t c_tag;                /* inner (or only) tag; 0 untagged */
	uint8_t dir;                   /* enum vlan_dir */
};

struct vlan_counts {
	uint64_t bytes;   /* on the wire (the frame's original length) */
	uint64_t packets;
};

struct vlan_prefix {
	uint8_t family; /* 4 or 6 */
	uint8_t len;
	uint8_t addr[16];
};

/* Our side of the circuit, to tell the direction: every entry counts (the
 * config allows 1,024 MACs and 65,535 prefixes). The arrays are read by
 * vlan_acct_new / vlan_match_new only; the caller keeps them. */
struct vlan_local {
	size_t nmacs;
	const uint8_t (*macs)[6];
	size_t nprefixes;
	const struct vlan_prefix *prefixes;
};

/* The local side compiled for lookup in O(log n): the MACs sorted, the
 * prefixes of each family as sorted, disjoint address ranges (overlapping
 * and nested prefixes merged). Owned by the caller of vlan_match_new. */
struct vlan_match;

/* What the accounting needs of one frame (from the frame decoder). */
struct vlan_frame {
	const uint8_t *src_mac, *dst_mac; /* NULL when the link has no MACs */
	uint8_t family;                   /* 4, 6, or 0 when not IP */
	const uint8_t *src_ip, *dst_ip;   /* 4 or 16 bytes, network order */
	uint16_t s_tag, c_tag;
	uint32_t wire_len;
};

/* NULL when out of memory; local may be NULL (nothing is local). */
struct vlan_match *vlan_match_new(const struct vlan_local *local);
void vlan_match_free(struct vlan_match *m); /* takes NULL */

/* Whether addr (4 or 16 bytes, network order) lies in one of the local
 * prefixes of family 4 or 6 (RFC 4632: the leading len bits match). */
bool vlan_match_ip(const struct vlan_match *m, uint8_t family, const uint8_t *addr);

/* The direction of a frame: MACs first, then prefixes. */
enum vlan_dir vlan_match_direction(const struct vlan_match *m, const struct vlan_frame *f);

struct vlan_acct;

/* NULL when out of memory; local is compiled into the table (see above). */
struct vlan_acct *vlan_acct_new(const struct vlan_local *local);
void vlan_acct_free(struct vlan_acct *a); /* takes NULL */

/* Counts one frame seen on ifname. Past VLAN_ACCT_MAX_KEYS distinct keys
 * the frame is counted in vlan_acct_overflow() instead, never dropped. */
void vlan_acct_add(struct vlan_acct *a, const char *ifname, const struct vlan_frame *f);

/* Calls fn for every key (order unspecified); stops when fn returns
 * non-zero and returns that value. */
int vlan_acct_walk(const struct vlan_acct *a,
		   int (*fn)(const struct vlan_key *k, const struct vlan_counts *c, void *arg),
		   void *arg);
const struct vlan_counts *vlan_acct_overflow(const struct vlan_acct *a);
size_t vlan_acct_keys(const struct vlan_acct *a);

const char *vlan_dir_name(enum vlan_dir d); /* "ingress", "egress", "unknown" */

#endif
