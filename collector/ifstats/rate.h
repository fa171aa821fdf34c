/* rate.h — interface counter history and rates (pure: no I/O, no clock).
 *
 * A table of watched interfaces (by name). Each sampling pass hands in the
 * kernel's 64-bit counters of every watched interface it saw, with a
 * monotonic timestamp taken by the caller; the table keeps the previous
 * sample of each and derives:
 *  - the rate over the last interval, in bytes/s and packets/s per
 *    direction, over the real elapsed time between the two samples (a late
 *    timer gives the average over the longer interval, never a spike);
 *  - the peak per-interval rate over a sliding window of the last
 *    IFSTATS_PEAK_WINDOW_NS (see ifstats_rates_view);
 *  - counter resets, appearances and disappearances, each counted.
 *
 * Reset rule. A counter that goes down is either a 64-bit wrap — the
 * modular difference (new - old mod 2^64) is at most IFSTATS_WRAP_MAX_DELTA,
 * which only happens when old was within that distance of 2^64 — and then
 * the modular difference is the delta; or a reset (interface re-created,
 * driver reset, a 32-bit counter of a driver wrapping). An ifindex that
 * changed under the same name is a re-created interface, so a reset too
 * even when the new counters happen to be higher. The interval with a
 * reset yields no rate: the sample becomes the new baseline and the next
 * interval has a rate again. So a reset never shows as a spike or a
 * negative rate; it shows as one missing point, and is counted.
 *
 * Appearance / disappearance. A watched interface seen in a pass that was
 * not present in the previous one has appeared (the first sighting
 * included); one present in the previous pass and missing from this one
 * has disappeared. A different ifindex between two passes counts as a
 * disappearance and an appearance (and a reset). The first sample after
 * an appearance is only a baseline: no rate across the gap.
 *
 * Ownership: the table owns everything it holds; views point into it and
 * stay valid until the next call that changes the table.
 */
#ifndef CW_IFSTATS_RATE_H
#define CW_IFSTATS_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IFSTATS_NAME_MAX 16                   /* IFNAMSIZ, with the NUL */
#define IFSTATS_MAX_WATCHED 100000            /* interfaces in one table */
#define IFSTATS_WRAP_MAX_DELTA (1ULL << 48)   /* bytes: > 400 Gbit/s for 90 min */
#define IFSTATS_MIN_ELAPSED_NS 100000000ULL   /* 100 ms: closer samples give no rate */
#define IFSTATS_PEAK_WINDOW_NS 60000000000ULL /* 60 s sliding peak window */
#define IFSTATS_PEAK_SLOTS 64                 /* per-interval rates kept per interface */

enum ifstats_dir { IFSTATS_RX, IFSTATS_TX, IFSTATS_NDIRS };

/* The mirrored kernel counters (struct rtnl_link_stats64's first eight). */
struct ifstats_counters {
	uint64_t bytes[IFSTATS_NDIRS];
	uint64_t packets[IFSTATS_NDIRS];
	uint64_t errors[IFSTATS_NDIRS];
	uint64_t dropped[IFSTATS_NDIRS];
};

/* One interface as one pass saw it. */
struct ifstats_sample {
	char name[IFSTATS_NAME_MAX];
	int32_t ifindex;
	uint32_t flags;            /* ifi_flags: IFF_UP, IFF_RUNNING, ... */
	bool has_stats;            /* IFLA_STATS64 was present */
	struct ifstats_counters c;
	uint8_t operstate;         /* IF_OPER_* (RFC 2863 as the kernel numbers it) */
	char kind[IFSTATS_NAME_MAX]; /* IFLA_INFO_KIND ("vlan", "veth"); "" when none */
	uint16_t vlan_id;          /* 0 unless kind is "vlan" and the id was given */
	uint16_t vlan_proto;       /* 0x8100, 0x88a8 (QinQ S-tag), or 0 */
};

/* Per-direction rates (bytes and packets per second). */
struct ifstats_rate {
	double bytes[IFSTATS_NDIRS];
	double packets[IFSTATS_NDIRS];
};

/* A read-only view of one watched interface. */
struct ifstats_view {
	const char *name;
	bool present;              /* seen in the last pass */
	bool ever_seen;
	const struct ifstats_sample *last; /* the last sample; valid when ever_seen */
	bool has_rate;             /* rate is valid (see the reset rule) */
	struct ifstats_rate rate;  /* over the last interval */
	bool has_peak;             /* at least one rate in the peak window */
	struct ifstats_rate peak;  /* per-field max over the window */
	uint64_t resets, appearances, disappearances;
};

struct ifstats_rates;

/* Returns an empty table (owned by the caller; ifstats_rates_free), or NULL. */
struct ifstats_rates *ifstats_rates_new(void);
void ifstats_rates_free(struct ifstats_rates *r); /* takes NULL */

/* Replaces the set of watched names (n of them, duplicates and names of
 * IFSTATS_NAME_MAX bytes or more ignored). Interfaces kept keep their
 * history and counts; the others are forgotten. The order of views is the
 * order of first mention here. Returns 0, or -1 on allocation failure or
 * more than IFSTATS_MAX_WATCHED names (the table is then unchanged). */
int ifstats_rates_set_watch(struct ifstats_rates *r, const char *const *names, size_t n)
	__attribute__((warn_unused_result));

/* True when name is watched. */
bool ifstats_rates_watched(const struct ifstats_rates *r, const char *name);

/* A pass: begin, one sample per interface seen (unwatched names and a
 * second sample of a name in the same pass are ignored and return -1),
 * end. now_ns is a monotonic time; a time going backwards is treated as
 * no time elapsed. end marks the watched interfaces not seen as gone.
 * A pass that failed half-way must not be ended (nothing is known about
 * the interfaces not seen): call ifstats_rates_pass_abort instead. */
void ifstats_rates_pass_begin(struct ifstats_rates *r);
int ifstats_rates_sample(struct ifstats_rates *r, const struct ifstats_sample *s, uint64_t now_ns);
void ifstats_rates_pass_end(struct ifstats_rates *r);
void ifstats_rates_pass_abort(struct ifstats_rates *r);

/* Number of watched interfaces, and the view of the i-th (0 <= i < count).
 * The peak is the maximum per field of the per-interval rates whose
 * interval ended in (now_ns - window, now_ns]: a scraper
 * polling at least once per window sees every interval's rate in some
 * peak, however many scrapers there are (so nothing resets on a scrape).
 * When more than IFSTATS_PEAK_SLOTS intervals fall in the window the
 * oldest two are merged by max, so a burst is never lost, only possibly
 * kept a little longer. Returns -1 when i is out of range. */
size_t ifstats_rates_count(const struct ifstats_rates *r);
/* Sets the peak window (default IFSTATS_PEAK_WINDOW_NS). The daemon uses
 * the larger of 60 s and 1.5 sampling intervals, so that with a long
 * interval the last interval's rate stays in the window until the next
 * one arrives (even a little late). */
void ifstats_rates_set_peak_window(struct ifstats_rates *r, uint64_t window_ns);
int ifstats_rates_view(const struct ifstats_rates *r, size_t i, uint64_t now_ns,
		       struct ifstats_view *out);
/* Index of a watched name, or -1. */
long ifstats_rates_find(const struct ifstats_rates *r, const char *name);

/* RFC 2863 operational state as the kernel numbers it (IF_OPER_*):
 * "unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant",
 * "up"; "invalid" for anything else. */
const char *ifstats_operstate_name(uint8_t operstate);
/* Whether the interface carries traffic: operstate up, or unknown (virtual
 * devices without carrier reporting) with IFF_UP and IFF_RUNNING set. */
bool ifstats_is_up(const struct ifstats_sample *s);

/* Utilisation of a link in one direction: bytes/s × 8 over the link's
 * bandwidth in bits/s. Returns -1 when bandwidth_bps is 0. */
double ifstats_utilisation(double bytes_per_s, uint64_t bandwidth_bps);
/* Utilisation of a circuit whose two links share the load (ExpressRoute
 * active/active: the bandwidth is per link): the sum of both links' rates
 * over twice the bandwidth. Returns -1 when bandwidth_bps is 0. */
double ifstats_circuit_utilisation(double primary_bytes_per_s, double secondary_bytes_per_s,
				   uint64_t bandwidth_bps);

#endif
