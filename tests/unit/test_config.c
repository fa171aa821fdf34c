/* test_config.c — cmocka tests for collector/core/config.c.
 *
 * Error cases are a table: YAML in, one expected error (line, column, a
 * piece of the message) and the exact number of errors out; each row runs as
 * its own named test. Line/column comments next to the YAML are 1-based,
 * as reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers -------------------------------------------------------- */

static int load(const char *yaml, struct cfg_config **cfg, struct cfg_errors *errs)
{
	return cfg_load_buffer("test.yaml", yaml, strlen(yaml), cfg, errs);
}

/* Loads yaml that must be valid; prints the errors when it is not. */
static struct cfg_config *load_ok(const char *yaml)
{
	struct cfg_config *cfg = NULL;
	struct cfg_errors errs = {0};
	int rc = load(yaml, &cfg, &errs);

	if (rc != 0)
		cfg_errors_print(&errs, stderr);
	assert_int_equal(rc, 0);
	assert_int_equal(errs.n, 0);
	assert_non_null(cfg);
	cfg_errors_clean(&errs);
	return cfg;
}

static char *cat3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = malloc(la + lb + lc + 1);

	assert_non_null(s);
	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc + 1);
	return s;
}

/* Building blocks: one line each; the comment gives the value's column. */
#define L_CIRCUITS "circuits:\n"
#define C_ID(x) "  - id: " x "\n"                    /* key 5, value 9 */
#define C_PROV(x) "    provider: " x "\n"            /* value 15 */
#define C_BW(x) "    bandwidth: " x "\n"             /* value 16 */
#define C_LINKS "    links:\n"                       /* key 5 */
#define C_PRIMARY "      primary:\n"                 /* key 7 */
#define C_SECONDARY "      secondary:\n"             /* key 7 */
#define C_IFACE(x) "        interface: " x "\n"      /* value 20 */
#define C_STAG(x) "        s_tag: " x "\n"           /* value 16 */
#define C_PEERINGS "        peerings:\n"             /* key 9 */
#define C_TYPE(x) "          - type: " x "\n"        /* key 13, value 19 */
#define C_VLAN(x) "            vlan: " x "\n"        /* value 19 */
#define C_NEIGHBORS "            neighbors:\n"       /* key 13 */
#define C_ADDR(x) "              - address: " x "\n" /* key 17, value 26 */
#define C_ASN(x) "                asn: " x "\n"      /* value 22 */

/* Nine lines: a valid ExpressRoute circuit. */
#define ER_CIRCUIT(id, addr)                                                   \
	C_ID(id) C_PROV("expressroute") C_BW("1Gbps") C_LINKS C_PRIMARY C_PEERINGS \
	C_TYPE("private") C_NEIGHBORS C_ADDR(addr)
/* Ten lines: a valid Direct Connect circuit (asn is required). */
#define DX_CIRCUIT(id, type, addr)                                              \
	C_ID(id) C_PROV("directconnect") C_BW("1Gbps") C_LINKS C_PRIMARY C_PEERINGS \
	C_TYPE(type) C_NEIGHBORS C_ADDR(addr) C_ASN("7224")
/* Eleven lines: lines 7 (interface) and 10 (vlan) set. */
#define VLAN_CIRCUIT(vlan)                                                         \
	L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS C_PRIMARY \
	C_IFACE("eth1") C_PEERINGS C_TYPE("private") C_VLAN(vlan) C_NEIGHBORS      \
	C_ADDR("198.18.0.2")
#define BW_CIRCUIT(bw)                                                    \
	L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW(bw) C_LINKS C_PRIMARY \
	C_PEERINGS C_TYPE("private") C_NEIGHBORS C_ADDR("198.18.0.2")

/* ---- error cases ---------------------------------------------------- */

struct err_case {
	const char *name;
	const char *yaml;
	unsigned line, column; /* of the expected error */
	const char *message;   /* a piece of it */
	size_t nerrors;        /* exactly this many in all */
};

static const struct err_case err_cases[] = {
	/* YAML syntax */
	{"syntax: tab indent", "log:\n\tlevel: info\n", 2, 1,
	 "YAML syntax error: found character that cannot start any token", 1},
	{"syntax: bad indent", "log:\n  level: info\n level: warn\n", 3, 2,
	 "YAML syntax error: did not find expected key", 1},
	{"syntax: unclosed quote", "log:\n  level: \"info\n", 3, 1,
	 "YAML syntax error: found unexpected end of stream", 1},
	{"syntax: invalid UTF-8", "log: \xff\n", 1, 6, "invalid leading UTF-8 octet", 1},
	{"syntax: second document", "log: {}\n---\nlog: {}\n", 2, 1,
	 "one YAML document", 1},
	{"syntax: deep nesting",
	 "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]"
	 "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
	 1, 65, "nesting deeper than 64 levels", 1},
	{"syntax: non-scalar key", "{[a]: 1}\n", 1, 2, "a mapping key must be a scalar", 1},
	{"syntax: top level list", "- a\n", 1, 1, "top level: expected a mapping, got a list", 1},

	/* aliases and anchors: refused where they are */
	{"alias", "log:\n  level: &l info\n  format: *l\n", 3, 11,
	 "alias *l: aliases are not supported", 2},
	{"anchor", "log:\n  level: &l info\n  format: *l\n", 2, 10,
	 "anchor &l: anchors and aliases are not supported", 2},
	{"alias as a key", "log: &x {}\n*x : 1\n", 2, 1, "aliases are not supported", 2},

	/* duplicate keys */
	{"duplicate key", "log:\n  level: info\n  level: warn\n", 3, 3,
	 "duplicate key \"level\" in log (first at line 2)", 1},
	{"duplicate key at top", "log: {}\nlog: {}\n", 2, 1,
	 "duplicate key \"log\" at top level (first at line 1)", 1},
	{"duplicate key three times", "log:\n  level: info\n  level: warn\n  level: error\n", 4, 3,
	 "duplicate key \"level\" in log (first at line 2)", 2},
	{"duplicate user", "prometheus:\n  basic_auth:\n    users:\n      a: \"$6$x\"\n      a: \"$6$y\"\n",
	 5, 7, "duplicate key \"a\" in prometheus.basic_auth.users (first at line 4)", 1},

	/* unknown keys at every level */
	{"unknown key: top", "logging: {}\n", 1, 1,
	 "unknown key \"logging\" at top level (expected one of: log, prometheus, circuits)", 1},
	{"unknown key: log", "log:\n  lvl: debug\n", 2, 3,
	 "unknown key \"lvl\" in log (expected one of: level, format)", 1},
	{"unknown key: prometheus", "prometheus:\n  port: 80\n", 2, 3,
	 "unknown key \"port\" in prometheus (expected one of: enabled, listen, tls, "
	 "basic_auth, max_connections, timeout)", 1},
	{"unknown key: tls", "prometheus:\n  tls:\n    cert_file: a\n    key_file: b\n    ca_file: c\n",
	 5, 5, "unknown key \"ca_file\" in prometheus.tls (expected one of: cert_file, key_file)", 1},
	{"unknown key: basic_auth",
	 "prometheus:\n  basic_auth:\n    users: {a: \"$6$x\"}\n    realm: x\n", 4, 5,
	 "unknown key \"realm\" in prometheus.basic_auth (expected one of: users)", 1},
	{"unknown key: circuit", L_CIRCUITS ER_CIRCUIT("c1", "198.18.0.2") "    color: red\n", 11, 5,
	 "unknown key \"color\" in circuits[0] (expected one of: id, provider, location, sku, "
	 "bandwidth, billing_plan, links)", 1},
	{"unknown key: sku", L_CIRCUITS ER_CIRCUIT("c1", "198.18.0.2") "    sku:\n      size: xl\n",
	 12, 7, "unknown key \"size\" in circuits[0].sku (expected one of: tier, data_plan)", 1},
	{"unknown key: links",
	 L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS "      tertiary: {}\n"
	 C_PRIMARY C_PEERINGS C_TYPE("private") C_NEIGHBORS C_ADDR("198.18.0.2"),
	 6, 7, "unknown key \"tertiary\" in circuits[0].links (expected one of: primary, secondary)", 1},
	{"unknown key: link",
	 L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS C_PRIMARY
	 "        mtu: 9000\n" C_PEERINGS C_TYPE("private") C_NEIGHBORS C_ADDR("198.18.0.2"),
	 7, 9, "unknown key \"mtu\" in circuits[0].links.primary (expected one of: interface, s_tag, peerings)", 1},
	{"unknown key: peering",
	 L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS C_PRIMARY C_PEERINGS
	 C_TYPE("private") "            vlna: 200\n" C_NEIGHBORS C_ADDR("198.18.0.2"),
	 9, 13, "unknown key \"vlna\" in circuits[0].links.primary.peerings[0] (expected one of: "
	 "type, vlan, local_asn, prefix_limit, neighbors)", 1},
	{"unknown key: neighbor", L_CIRCUITS ER_CIRCUIT("c1", "198.18.0.2") "                port: 179\n",
	 11, 17, "unknown key \"port\" in circuits[0].links.primary.peerings[0].neighbors[0] "
	 "(expected one of: address, asn)", 1},

	/* wrong types */
	{"type: mapping for scalar", "log:\n  level: {a: 1}\n", 2, 10,
	 "log.level: expected one of debug, info, warn, error, got a mapping", 1},
	{"type: list for mapping", "log: [a]\n", 1, 6, "log: expected a mapping, got a list", 1},
	{"type: scalar for list", "circuits: yes\n", 1, 11, "circuits: expected a list, got \"yes\"", 1},
	{"type: scalar for mapping item", "circuits:\n  - just-a-string\n", 2, 5,
	 "circuits[0]: expected a mapping, got \"just-a-string\"", 1},
	{"type: mapping for list",
	 L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS C_PRIMARY
	 "        peerings: {type: private}\n", 7, 19,
	 "circuits[0].links.primary.peerings: expected a list, got a mapping", 1},
	{"type: list for bandwidth", BW_CIRCUIT("[1Gbps]"), 4, 16,
	 "circuits[0].bandwidth: expected a bandwidth such as 50Mbps, 1Gbps or 1.5Gbps, got a list", 1},
	{"type: null string", L_CIRCUITS ER_CIRCUIT("c1", "198.18.0.2") "    location: ~\n", 11, 15,
	 "circuits[0].location: expected a non-empty string, got null", 1},
	{"type: empty string", L_CIRCUITS ER_CIRCUIT("c1", "198.18.0.2") "    location: \"\"\n", 11, 15,
	 "circuits[0].location: expected a non-empty string, got \"\"", 1},
	{"type: NUL in a string", L_CIRCUITS ER_CIRCUIT("c1", "198.18.0.2") "    location: \"a\\0b\"\n",
	 11, 15, "got \"a\\x00b\"", 1},

	/* enums and booleans */
	{"enum: provider", L_CIRCUITS C_ID("c1") C_PROV("azure") C_BW("1Gbps") C_LINKS C_PRIMARY
	 C_PEERINGS C_TYPE("private") C_NEIGHBORS C_ADDR("198.18.0.2"), 3, 15,
	 "circuits[0].provider: expected one of expressroute, directconnect, interconnect, got \"azure\"", 1},
	{"enum: log format", "log:\n  format: text\n", 2, 11,
	 "log.format: expected one of logfmt, json, got \"text\"", 1},
	{"enum: case matters", "log:\n  level: INFO\n", 2, 10, "got \"INFO\"", 1},
	{"enum: peering type", L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS
	 C_PRIMARY C_PEERINGS C_TYPE("bgp") C_NEIGHBORS C_ADDR("198.18.0.2"), 8, 19,
	 "circuits[0].links.primary.peerings[0].type: expected one of private, microsoft, public, "
	 "transit, got \"bgp\"", 1},
	{"enum: data plan", L_CIRCUITS ER_CIRCUIT("c1", "198.18.0.2") "    sku: {data_plan: payg}\n",
	 11, 22, "circuits[0].sku.data_plan: expected one of metered, unlimited, got \"payg\"", 1},
	{"enum: tier for provider", L_CIRCUITS ER_CIRCUIT("c1", "198.18.0.2") "    sku: {tier: hosted}\n",
	 11, 17, "circuits[0].sku.tier: expected one of local, standard, premium for expressroute, "
	 "got \"hosted\"", 1},
	{"enum: tier for directconnect", L_CIRCUITS DX_CIRCUIT("d1", "private", "198.18.0.2")
	 "    sku: {tier: premium}\n", 12, 17,
	 "expected one of dedicated, hosted for directconnect, got \"premium\"", 1},
	{"bool: yes", "prometheus:\n  enabled: yes\n", 2, 12,
	 "prometheus.enabled: expected true or false, got \"yes\"", 1},
	{"bool: True", "prometheus:\n  enabled: True\n", 2, 12, "expected true or false", 1},

	/* integer forms: decimal digits only */
	{"int: hex", VLAN_CIRCUIT("0x10"), 10, 19,
	 "circuits[0].links.primary.peerings[0].vlan: expected an integer 1..4094, got \"0x10\"", 1},
	{"int: exponent", VLAN_CIRCUIT("1e3"), 10, 19, "got \"1e3\"", 1},
	{"int: plus sign", VLAN_CIRCUIT("+5"), 10, 19, "got \"+5\"", 1},
	{"int: minus sign", VLAN_CIRCUIT("-1"), 10, 19, "got \"-1\"", 1},
	{"int: leading space", VLAN_CIRCUIT("\" 5\""), 10, 19, "got \" 5\"", 1},
	{"int: decimal point", VLAN_CIRCUIT("5.0"), 10, 19, "got \"5.0\"", 1},
	{"int: leading zero", VLAN_CIRCUIT("010"), 10, 19, "got \"010\"", 1},
	{"int: 0", VLAN_CIRCUIT("0"), 10, 19, "expected an integer 1..4094, got \"0\"", 1},
	{"int: 4095", VLAN_CIRCUIT("4095"), 10, 19, "expected an integer 1..4094, got \"4095\"", 1},
	{"int: 5000 (the README example)", VLAN_CIRCUIT("5000"), 10, 19,
	 "circuits[0].links.primary.peerings[0].vlan: expected an integer 1..4094, got \"5000\"", 1},
	{"int: overflow", VLAN_CIRCUIT("99999999999999999999999"), 10, 19, "expected an integer 1..4094", 1},
	{"int: null", VLAN_CIRCUIT("~"), 10, 19, "expected an integer 1..4094, got null", 1},

	/* ranges */
	{"range: s_tag", L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS C_PRIMARY
	 C_IFACE("eth1") C_STAG("4095") C_PEERINGS C_TYPE("private") C_VLAN("10") C_NEIGHBORS
	 C_ADDR("198.18.0.2"), 8, 16,
	 "circuits[0].links.primary.s_tag: expected an integer 1..4094, got \"4095\"", 1},
	{"range: local_asn AS_TRANS", L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps")
	 C_LINKS C_PRIMARY C_PEERINGS C_TYPE("private") "            local_asn: 23456\n" C_NEIGHBORS
	 C_ADDR("198.18.0.2"), 9, 24,
	 "local_asn: expected an AS number 1..4294967295 other than 23456 (AS_TRANS), got \"23456\"", 1},
	{"range: local_asn 0", L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps")
	 C_LINKS C_PRIMARY C_PEERINGS C_TYPE("private") "            local_asn: 0\n" C_NEIGHBORS
	 C_ADDR("198.18.0.2"), 9, 24, "got \"0\"", 1},
	{"range: asn 2^32", L_CIRCUITS ER_CIRCUIT("c1", "198.18.0.2") C_ASN("4294967296"), 11, 22,
	 "neighbors[0].asn: expected an AS number 1..4294967295", 1},
	{"range: prefix_limit", L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps")
	 C_LINKS C_PRIMARY C_PEERINGS C_TYPE("private") "            prefix_limit: 10000001\n"
	 C_NEIGHBORS C_ADDR("198.18.0.2"), 9, 27,
	 "prefix_limit: expected an integer 0..10000000, got \"10000001\"", 1},
	{"range: max_connections 0", "prometheus:\n  max_connections: 0\n", 2, 20,
	 "prometheus.max_connections: expected an integer 1..10000, got \"0\"", 1},
	{"range: max_connections 10001", "prometheus:\n  max_connections: 10001\n", 2, 20,
	 "expected an integer 1..10000", 1},
	{"range: timeout 0s", "prometheus:\n  timeout: 0s\n", 2, 12,
	 "prometheus.timeout: expected a duration of 1..3600 seconds such as 10s, 5m or 30, got \"0s\"", 1},
	{"range: timeout 61m", "prometheus:\n  timeout: 61m\n", 2, 12, "got \"61m\"", 1},
	{"range: timeout hours", "prometheus:\n  timeout: 1h\n", 2, 12, "got \"1h\"", 1},
	{"range: timeout 3601", "prometheus:\n  timeout: 3601\n", 2, 12, "got \"3601\"", 1},

	/* bandwidth */
	{"bandwidth: 0", BW_CIRCUIT("0"), 4, 16,
	 "circuits[0].bandwidth: expected a bandwidth such as 50Mbps, 1Gbps or 1.5Gbps, got \"0\"", 1},
	{"bandwidth: fast", BW_CIRCUIT("fast"), 4, 16,
	 "expected a bandwidth such as 50Mbps, 1Gbps or 1.5Gbps, got \"fast\"", 1},
	{"bandwidth: 0Mbps", BW_CIRCUIT("0Mbps"), 4, 16,
	 "circuits[0].bandwidth: expected a bandwidth more than 0 and at most 400Gbps, got \"0Mbps\"", 1},
	{"bandwidth: 500Gbps", BW_CIRCUIT("500Gbps"), 4, 16,
	 "expected a bandwidth more than 0 and at most 400Gbps, got \"500Gbps\"", 1},
	{"bandwidth: 400.001Gbps", BW_CIRCUIT("400.001Gbps"), 4, 16, "at most 400Gbps", 1},
	{"bandwidth: sub-bit", BW_CIRCUIT("1.5bps"), 4, 16,
	 "\"1.5bps\" is not a whole number of bits per second", 1},
	{"bandwidth: too precise", BW_CIRCUIT("1.0000000001Gbps"), 4, 16,
	 "is not a whole number of bits per second", 1},
	{"bandwidth: Tbps", BW_CIRCUIT("1Tbps"), 4, 16, "got \"1Tbps\"", 1},
	{"bandwidth: two points", BW_CIRCUIT("1.5.1Gbps"), 4, 16, "got \"1.5.1Gbps\"", 1},
	{"bandwidth: no fraction", BW_CIRCUIT("1.Gbps"), 4, 16, "got \"1.Gbps\"", 1},
	{"bandwidth: no integer", BW_CIRCUIT(".5Gbps"), 4, 16, "got \".5Gbps\"", 1},
	{"bandwidth: comma", BW_CIRCUIT("1,5Gbps"), 4, 16, "got \"1,5Gbps\"", 1},
	{"bandwidth: two spaces", BW_CIRCUIT("\"1  Gbps\""), 4, 16, "got \"1  Gbps\"", 1},
	{"bandwidth: huge", BW_CIRCUIT("99999999999999999999999bps"), 4, 16, "expected a bandwidth", 1},

	/* identifiers and names */
	{"id: slash", L_CIRCUITS ER_CIRCUIT("er/ams", "198.18.0.2"), 2, 9,
	 "circuits[0].id: expected an id of 1..64 characters from A-Z a-z 0-9 . _ -, got \"er/ams\"", 1},
	{"id: 65 characters",
	 L_CIRCUITS ER_CIRCUIT("a1234567890123456789012345678901234567890123456789012345678901234",
			       "198.18.0.2"),
	 2, 9, "expected an id of 1..64 characters", 1},
	{"interface: 16 characters",
	 L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS C_PRIMARY
	 C_IFACE("abcdefghijklmnop") C_PEERINGS C_TYPE("private") C_NEIGHBORS C_ADDR("198.18.0.2"),
	 7, 20, "circuits[0].links.primary.interface: expected an interface name of 1..15 "
	 "characters without '/', ':' or whitespace, got \"abcdefghijklmnop\"", 1},
	{"interface: slash",
	 L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS C_PRIMARY
	 C_IFACE("eth/1") C_PEERINGS C_TYPE("private") C_NEIGHBORS C_ADDR("198.18.0.2"),
	 7, 20, "got \"eth/1\"", 1},
	{"duplicate circuit id",
	 L_CIRCUITS ER_CIRCUIT("c1", "198.18.0.2") ER_CIRCUIT("c1", "198.18.0.6"), 11, 9,
	 "circuits[1].id: duplicate circuit id \"c1\" (first at line 2, circuits[0].id)", 1},
	{"duplicate circuit id, three times",
	 L_CIRCUITS ER_CIRCUIT("c1", "198.18.0.2") ER_CIRCUIT("c1", "198.18.0.6")
	 ER_CIRCUIT("c1", "198.18.0.10"), 20, 9, "duplicate circuit id \"c1\" (first at line 2,", 2},

	/* link and peering rules */
	{"vlan without interface",
	 L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS C_PRIMARY C_PEERINGS
	 C_TYPE("private") C_VLAN("10") C_NEIGHBORS C_ADDR("198.18.0.2"), 9, 19,
	 "circuits[0].links.primary.peerings[0].vlan: a VLAN tag needs the link's interface", 1},
	{"s_tag without interface",
	 L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS C_PRIMARY C_STAG("100")
	 C_PEERINGS C_TYPE("private") C_VLAN("10") C_NEIGHBORS C_ADDR("198.18.0.2"), 7, 16,
	 "circuits[0].links.primary.s_tag: an S-tag needs the link's interface", 2},
	{"s_tag with a peering lacking vlan",
	 L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS C_PRIMARY
	 C_IFACE("eth1") C_STAG("100") C_PEERINGS C_TYPE("private") C_NEIGHBORS C_ADDR("198.18.0.2"),
	 10, 13,
	 "circuits[0].links.primary.peerings[0]: a peering on a link with s_tag needs a vlan (its C-tag)", 1},
	{"duplicate vlan on a link",
	 L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS C_PRIMARY C_IFACE("eth1")
	 C_PEERINGS C_TYPE("private") C_VLAN("10") C_NEIGHBORS C_ADDR("198.18.0.2")
	 C_TYPE("microsoft") C_VLAN("10") C_NEIGHBORS C_ADDR("198.18.0.6"), 14, 19,
	 "circuits[0].links.primary.peerings[1].vlan: duplicate VLAN 10 on this link (first at line 10,", 1},
	{"duplicate peering type",
	 L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS C_PRIMARY C_PEERINGS
	 C_TYPE("private") C_NEIGHBORS C_ADDR("198.18.0.2") C_TYPE("private") C_NEIGHBORS
	 C_ADDR("198.18.0.6"), 11, 19,
	 "circuits[0].links.primary.peerings[1].type: duplicate peering type \"private\" on this link "
	 "(first at line 8,", 1},
	{"microsoft peering on directconnect", L_CIRCUITS DX_CIRCUIT("d1", "microsoft", "198.18.0.2"),
	 8, 19, "circuits[0].links.primary.peerings[0].type: \"microsoft\" peering is not available on "
	 "directconnect (allowed: private, public, transit)", 1},
	{"public peering on expressroute",
	 L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS C_PRIMARY C_PEERINGS
	 C_TYPE("public") C_NEIGHBORS C_ADDR("198.18.0.2"), 8, 19,
	 "\"public\" peering is not available on expressroute (allowed: private, microsoft)", 1},
	{"transit peering on interconnect",
	 L_CIRCUITS C_ID("c1") C_PROV("interconnect") C_BW("1Gbps") C_LINKS C_PRIMARY C_PEERINGS
	 C_TYPE("transit") C_NEIGHBORS C_ADDR("198.18.0.2") C_ASN("16550"), 8, 19,
	 "\"transit\" peering is not available on interconnect (allowed: private)", 1},
	{"metered on expressroute local",
	 L_CIRCUITS ER_CIRCUIT("c1", "198.18.0.2") "    sku: {tier: local, data_plan: metered}\n", 11, 35,
	 "circuits[0].sku.data_plan: \"metered\" is not available with tier local (Local includes egress", 1},
	{"unlimited on directconnect",
	 L_CIRCUITS DX_CIRCUIT("d1", "private", "198.18.0.2") "    sku: {data_plan: unlimited}\n", 12, 22,
	 "circuits[0].sku.data_plan: \"unlimited\" is not available on directconnect (only metered)", 1},

	/* missing required keys */
	{"missing: id", L_CIRCUITS "  - provider: expressroute\n" C_BW("1Gbps") C_LINKS C_PRIMARY
	 C_PEERINGS C_TYPE("private") C_NEIGHBORS C_ADDR("198.18.0.2"), 2, 5,
	 "missing required key \"id\" in circuits[0]", 1},
	{"missing: provider", L_CIRCUITS C_ID("c1") C_BW("1Gbps") C_LINKS C_PRIMARY C_PEERINGS
	 C_TYPE("private") C_NEIGHBORS C_ADDR("198.18.0.2"), 2, 5,
	 "missing required key \"provider\" in circuits[0]", 1},
	{"missing: bandwidth", L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_LINKS C_PRIMARY
	 C_PEERINGS C_TYPE("private") C_NEIGHBORS C_ADDR("198.18.0.2"), 2, 5,
	 "missing required key \"bandwidth\" in circuits[0]", 1},
	{"missing: links", L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps"), 2, 5,
	 "missing required key \"links\" in circuits[0]", 1},
	{"missing: primary", L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS
	 C_SECONDARY C_PEERINGS C_TYPE("private") C_NEIGHBORS C_ADDR("198.18.0.2"), 6, 7,
	 "missing required key \"primary\" in circuits[0].links", 1},
	{"missing: peerings", L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS
	 C_PRIMARY C_IFACE("eth1"), 7, 9, "missing required key \"peerings\" in circuits[0].links.primary", 1},
	{"missing: neighbors", L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS
	 C_PRIMARY C_PEERINGS C_TYPE("private"), 8, 13,
	 "missing required key \"neighbors\" in circuits[0].links.primary.peerings[0]", 1},
	{"missing: address", L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS
	 C_PRIMARY C_PEERINGS C_TYPE("private") C_NEIGHBORS "              - asn: 12076\n", 10, 17,
	 "missing required key \"address\" in circuits[0].links.primary.peerings[0].neighbors[0]", 1},
	{"missing: asn on directconnect", L_CIRCUITS C_ID("d1") C_PROV("directconnect") C_BW("1Gbps")
	 C_LINKS C_PRIMARY C_PEERINGS C_TYPE("private") C_NEIGHBORS C_ADDR("198.18.0.2"), 10, 17,
	 "missing required key \"asn\" in circuits[0].links.primary.peerings[0].neighbors[0] "
	 "(only expressroute neighbors default to 12076)", 1},
	{"missing: asn on interconnect", L_CIRCUITS C_ID("g1") C_PROV("interconnect") C_BW("1Gbps")
	 C_LINKS C_PRIMARY C_PEERINGS C_TYPE("private") C_NEIGHBORS C_ADDR("198.18.0.2"), 10, 17,
	 "missing required key \"asn\"", 1},
	{"missing: links null", L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps")
	 "    links:\n", 5, 11, "missing required key \"primary\" in circuits[0].links", 1},
	{"empty: peerings", L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS
	 C_PRIMARY "        peerings: []\n", 7, 19,
	 "circuits[0].links.primary.peerings: needs at least one item", 1},
	{"empty: neighbors", L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS
	 C_PRIMARY C_PEERINGS C_TYPE("private") "            neighbors: []\n", 9, 24,
	 "peerings[0].neighbors: needs at least one item", 1},

	/* addresses */
	{"address: bad IPv4", L_CIRCUITS ER_CIRCUIT("c1", "198.18.0.256"), 10, 26,
	 "circuits[0].links.primary.peerings[0].neighbors[0].address: expected an IPv4 or IPv6 "
	 "address, got \"198.18.0.256\"", 1},
	{"address: prefix", L_CIRCUITS ER_CIRCUIT("c1", "198.18.0.0/30"), 10, 26, "got \"198.18.0.0/30\"", 1},
	{"address: zone", L_CIRCUITS ER_CIRCUIT("c1", "fe80::1%eth0"), 10, 26, "got \"fe80::1%eth0\"", 1},
	{"address: name", L_CIRCUITS ER_CIRCUIT("c1", "router.example"), 10, 26, "expected an IPv4 or IPv6", 1},
	{"duplicate neighbor across circuits",
	 L_CIRCUITS ER_CIRCUIT("c1", "198.18.0.2") ER_CIRCUIT("c2", "198.18.0.2"), 19, 26,
	 "circuits[1].links.primary.peerings[0].neighbors[0].address: duplicate neighbor address "
	 "198.18.0.2 (first at line 10, circuits[0].links.primary.peerings[0].neighbors[0].address)", 1},
	{"duplicate neighbor, IPv6 spelled differently",
	 L_CIRCUITS ER_CIRCUIT("c1", "\"2001:db8::1\"") ER_CIRCUIT("c2", "\"2001:DB8:0:0::0001\""), 19, 26,
	 "duplicate neighbor address 2001:db8::1 (first at line 10", 1},

	/* prometheus */
	{"tls with only cert", "prometheus:\n  tls:\n    cert_file: /etc/cw/tls.crt\n", 3, 5,
	 "missing required key \"key_file\" in prometheus.tls", 1},
	{"tls empty", "prometheus:\n  tls:\n", 2, 7, "missing required key \"cert_file\" in prometheus.tls", 2},
	{"password not a hash", "prometheus:\n  basic_auth:\n    users:\n      alice: hunter2\n", 4, 14,
	 "prometheus.basic_auth.users: user \"alice\": store a hash, not a password; make one with: "
	 "mkpasswd -m bcrypt", 1},
	{"user name with colon", "prometheus:\n  basic_auth:\n    users:\n      \"a:b\": \"$6$x\"\n", 4, 7,
	 "user name \"a:b\" must be non-empty, without ':'", 1},
	{"user hash null", "prometheus:\n  basic_auth:\n    users:\n      bob: ~\n", 4, 12,
	 "prometheus.basic_auth.users: user \"bob\": expected a crypt(3) password hash, got null", 1},
	{"users as a list", "prometheus:\n  basic_auth:\n    users: [a]\n", 3, 12,
	 "prometheus.basic_auth.users: expected a mapping of user name to password hash, got a list", 1},
	{"no users", "prometheus:\n  basic_auth:\n    users: {}\n", 3, 12,
	 "prometheus.basic_auth.users: needs at least one user", 1},
	{"basic_auth without users", "prometheus:\n  basic_auth: {}\n", 2, 15,
	 "missing required key \"users\" in prometheus.basic_auth", 1},
	{"listen: port 0", "prometheus:\n  listen: \":0\"\n", 2, 11,
	 "prometheus.listen: expected HOST:PORT, [IPV6]:PORT or :PORT with a port 1..65535, got \":0\"", 1},
	{"listen: port 70000", "prometheus:\n  listen: \":70000\"\n", 2, 11, "got \":70000\"", 1},
	{"listen: garbage", "prometheus:\n  listen: garbage\n", 2, 11, "got \"garbage\"", 1},
	{"listen: port only", "prometheus:\n  listen: 10179\n", 2, 11, "got \"10179\"", 1},
	{"listen: no port", "prometheus:\n  listen: \"localhost:\"\n", 2, 11, "got \"localhost:\"", 1},
	{"listen: bad host", "prometheus:\n  listen: \"bad host:80\"\n", 2, 11, "got \"bad host:80\"", 1},
	{"listen: IPv6 without brackets", "prometheus:\n  listen: \"::1:9100\"\n", 2, 11,
	 "got \"::1:9100\"", 1},
	{"listen: bad IPv6", "prometheus:\n  listen: \"[::zz]:9100\"\n", 2, 11, "got \"[::zz]:9100\"", 1},
	{"listen: no colon after bracket", "prometheus:\n  listen: \"[::1]9100\"\n", 2, 11,
	 "got \"[::1]9100\"", 1},
};

static void run_err_case(void **state)
{
	const struct err_case *c = *state;
	struct cfg_config *cfg = (struct cfg_config *)(uintptr_t)1; /* must become NULL */
	struct cfg_errors errs = {0};
	bool found = false;

	assert_int_equal(load(c->yaml, &cfg, &errs), -1);
	assert_null(cfg);
	for (size_t i = 0; i < errs.n; i++) {
		assert_string_equal(errs.v[i].file, "test.yaml");
		if (errs.v[i].line == c->line && errs.v[i].column == c->column &&
		    strstr(errs.v[i].message, c->message))
			found = true;
	}
	if (!found || errs.n != c->nerrors) {
		fprintf(stderr, "case \"%s\": want %u:%u: ...%s... (%zu error(s)), got:\n", c->name,
			c->line, c->column, c->message, c->nerrors);
		cfg_errors_print(&errs, stderr);
	}
	assert_true(found);
	assert_int_equal(errs.n, c->nerrors);
	cfg_errors_clean(&errs);
}

/* ---- valid configurations ------------------------------------------- */

static const char full_yaml[] =
	"log:\n"
	"  level: warn\n"
	"  format: json\n"
	"prometheus:\n"
	"  enabled: false\n"
	"  listen: \"198.18.0.1:9100\"\n"
	"  tls:\n"
	"    cert_file: /etc/cw/tls.crt\n"
	"    key_file: /etc/cw/tls.key\n"
	"  basic_auth:\n"
	"    users:\n"
	"      alice: \"$2b$10$abcdefghijklmnopqrstuv\"\n"
	"      bob: \"$y$j9T$salt$hash\"\n"
	"  max_connections: 128\n"
	"  timeout: 2m\n"
	"circuits:\n"
	"  - id: er-ams-1\n"
	"    provider: expressroute\n"
	"    location: Amsterdam\n"
	"    sku:\n"
	"      tier: premium\n"
	"      data_plan: metered\n"
	"    bandwidth: 1Gbps\n"
	"    billing_plan: er-premium-metered\n"
	"    links:\n"
	"      primary:\n"
	"        interface: eth1\n"
	"        peerings:\n"
	"          - type: private\n"
	"            vlan: 200\n"
	"            local_asn: 65010\n"
	"            neighbors:\n"
	"              - address: 198.18.1.2\n"
	"              - address: \"2001:DB8:1::2\"\n"
	"          - type: microsoft\n"
	"            vlan: \"201\"\n"
	"            local_asn: 65010\n"
	"            prefix_limit: 150\n"
	"            neighbors:\n"
	"              - address: 198.18.2.2\n"
	"      secondary:\n"
	"        interface: eth2\n"
	"        s_tag: 300\n"
	"        peerings:\n"
	"          - type: private\n"
	"            vlan: 200\n"
	"            neighbors:\n"
	"              - address: 198.18.1.6\n"
	"                asn: 4200000000\n"
	"  - id: dx-fra-1\n"
	"    provider: directconnect\n"
	"    sku: {tier: hosted}\n"
	"    bandwidth: 500 mbps\n"
	"    links:\n"
	"      primary:\n"
	"        peerings:\n"
	"          - type: transit\n"
	"            local_asn: 4200000000\n"
	"            neighbors:\n"
	"              - address: 198.19.0.1\n"
	"                asn: 7224\n"
	"          - type: public\n"
	"            neighbors: [{address: 198.19.0.5, asn: 7224}]\n"
	"  - id: gci.par_1\n"
	"    provider: interconnect\n"
	"    bandwidth: 10Gbps\n"
	"    links:\n"
	"      primary:\n"
	"        peerings:\n"
	"          - type: private\n"
	"            neighbors:\n"
	"              - {address: \"2001:db8:ff::1\", asn: 16550}\n";

static void test_full_config(void **state)
{
	struct cfg_config *cfg = load_ok(full_yaml);
	const struct cfg_prometheus *p = &cfg->prometheus;
	const struct cfg_circuit *er, *dx, *gc;
	const struct cfg_link *l;
	const struct cfg_peering *pe;
	unsigned char v6[16];

	(void)state;
	assert_string_equal(cfg->path, "test.yaml");
	assert_int_equal(cfg->log.level, CFG_LOG_WARN);
	assert_int_equal(cfg->log.format, CFG_LOG_JSON);
	assert_false(p->enabled);
	assert_string_equal(p->listen_host, "198.18.0.1");
	assert_int_equal(p->listen_port, 9100);
	assert_string_equal(p->tls_cert_file, "/etc/cw/tls.crt");
	assert_string_equal(p->tls_key_file, "/etc/cw/tls.key");
	assert_int_equal(p->nusers, 2);
	assert_string_equal(p->users[0].username, "alice");
	assert_string_equal(p->users[0].password_hash, "$2b$10$abcdefghijklmnopqrstuv");
	assert_string_equal(p->users[1].username, "bob");
	assert_string_equal(p->users[1].password_hash, "$y$j9T$salt$hash");
	assert_int_equal(p->max_connections, 128);
	assert_int_equal(p->timeout_s, 120);
	assert_int_equal(cfg->ncircuits, 3);

	er = &cfg->circuits[0];
	assert_string_equal(er->id, "er-ams-1");
	assert_int_equal(er->provider, CFG_PROVIDER_EXPRESSROUTE);
	assert_string_equal(er->location, "Amsterdam");
	assert_string_equal(er->tier, "premium");
	assert_int_equal(er->data_plan, CFG_PLAN_METERED);
	assert_int_equal(er->bandwidth_bps, 1000000000ull);
	assert_string_equal(er->bandwidth_text, "1Gbps");
	assert_string_equal(er->billing_plan, "er-premium-metered");
	l = &er->links[CFG_LINK_PRIMARY];
	assert_true(l->present);
	assert_string_equal(l->interface, "eth1");
	assert_int_equal(l->s_tag, 0);
	assert_int_equal(l->npeerings, 2);
	pe = &l->peerings[0];
	assert_int_equal(pe->type, CFG_PEERING_PRIVATE);
	assert_int_equal(pe->vlan, 200);
	assert_int_equal(pe->local_asn, 65010);
	assert_int_equal(pe->prefix_limit, 10000); /* premium private default */
	assert_int_equal(pe->nneighbors, 2);
	assert_string_equal(pe->neighbors[0].address, "198.18.1.2");
	assert_int_equal(pe->neighbors[0].family, AF_INET);
	assert_memory_equal(pe->neighbors[0].addr, "\xc6\x12\x01\x02", 4);
	assert_int_equal(pe->neighbors[0].asn, 12076); /* expressroute default */
	assert_string_equal(pe->neighbors[1].address, "2001:db8:1::2"); /* canonical */
	assert_int_equal(pe->neighbors[1].family, AF_INET6);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1::2", v6), 1);
	assert_memory_equal(pe->neighbors[1].addr, v6, 16);
	assert_int_equal(pe->neighbors[1].asn, 12076);
	pe = &l->peerings[1];
	assert_int_equal(pe->type, CFG_PEERING_MICROSOFT);
	assert_int_equal(pe->vlan, 201); /* a quoted integer is accepted */
	assert_int_equal(pe->prefix_limit, 150);
	assert_string_equal(pe->neighbors[0].address, "198.18.2.2");
	l = &er->links[CFG_LINK_SECONDARY];
	assert_true(l->present);
	assert_string_equal(l->interface, "eth2");
	assert_int_equal(l->s_tag, 300);
	assert_int_equal(l->npeerings, 1);
	assert_int_equal(l->peerings[0].vlan, 200); /* same C-tag as primary: another link */
	assert_int_equal(l->peerings[0].local_asn, 0);
	assert_int_equal(l->peerings[0].neighbors[0].asn, 4200000000u);

	dx = &cfg->circuits[1];
	assert_string_equal(dx->id, "dx-fra-1");
	assert_int_equal(dx->provider, CFG_PROVIDER_DIRECTCONNECT);
	assert_null(dx->location);
	assert_null(dx->billing_plan);
	assert_string_equal(dx->tier, "hosted");
	assert_int_equal(dx->data_plan, CFG_PLAN_METERED);
	assert_int_equal(dx->bandwidth_bps, 500000000ull);
	assert_string_equal(dx->bandwidth_text, "500Mbps");
	assert_false(dx->links[CFG_LINK_SECONDARY].present);
	assert_null(dx->links[CFG_LINK_SECONDARY].interface);
	assert_int_equal(dx->links[CFG_LINK_SECONDARY].npeerings, 0);
	assert_null(dx->links[CFG_LINK_SECONDARY].peerings);
	l = &dx->links[CFG_LINK_PRIMARY];
	assert_null(l->interface);
	assert_int_equal(l->npeerings, 2);
	assert_int_equal(l->peerings[0].type, CFG_PEERING_TRANSIT);
	assert_int_equal(l->peerings[0].vlan, 0);
	assert_int_equal(l->peerings[0].local_asn, 4200000000u);
	assert_int_equal(l->peerings[0].prefix_limit, 100);
	assert_int_equal(l->peerings[0].neighbors[0].asn, 7224);
	assert_int_equal(l->peerings[1].type, CFG_PEERING_PUBLIC);
	assert_int_equal(l->peerings[1].prefix_limit, 1000);

	gc = &cfg->circuits[2];
	assert_string_equal(gc->id, "gci.par_1");
	assert_int_equal(gc->provider, CFG_PROVIDER_INTERCONNECT);
	assert_string_equal(gc->tier, "dedicated");
	assert_int_equal(gc->data_plan, CFG_PLAN_METERED);
	assert_int_equal(gc->bandwidth_bps, 10000000000ull);
	assert_string_equal(gc->bandwidth_text, "10Gbps");
	pe = &gc->links[CFG_LINK_PRIMARY].peerings[0];
	assert_int_equal(pe->prefix_limit, 0);
	assert_string_equal(pe->neighbors[0].address, "2001:db8:ff::1");
	assert_int_equal(pe->neighbors[0].asn, 16550);
	cfg_free(cfg);
}

static void assert_defaults(const struct cfg_config *cfg)
{
	assert_int_equal(cfg->log.level, CFG_LOG_INFO);
	assert_int_equal(cfg->log.format, CFG_LOG_LOGFMT);
	assert_true(cfg->prometheus.enabled);
	assert_null(cfg->prometheus.listen_host);
	assert_int_equal(cfg->prometheus.listen_port, 10179);
	assert_null(cfg->prometheus.tls_cert_file);
	assert_null(cfg->prometheus.tls_key_file);
	assert_int_equal(cfg->prometheus.nusers, 0);
	assert_null(cfg->prometheus.users);
	assert_int_equal(cfg->prometheus.max_connections, 64);
	assert_int_equal(cfg->prometheus.timeout_s, 10);
	assert_int_equal(cfg->ncircuits, 0);
	assert_null(cfg->circuits);
}

static void test_defaults(void **state)
{
	static const char *const empties[] = {
		"", "\n", "# only a comment\n", "---\n", "--- ~\n", "~\n", "null\n", "{}\n",
		"log:\nprometheus:\ncircuits:\n", "log: {}\nprometheus: {}\ncircuits: []\n",
		"\xef\xbb\xbf", /* a UTF-8 byte order mark alone */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(empties); i++) {
		struct cfg_config *cfg = load_ok(empties[i]);

		assert_defaults(cfg);
		cfg_free(cfg);
	}
}

static void test_empty_file(void **state)
{
	char path[] = "/tmp/cw-test-config-XXXXXX";
	int fd = mkstemp(path);
	struct cfg_config *cfg = NULL;
	struct cfg_errors errs = {0};

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(cfg_load_file(path, &cfg, &errs), 0);
	assert_int_equal(errs.n, 0);
	assert_non_null(cfg);
	assert_string_equal(cfg->path, path);
	assert_defaults(cfg);
	cfg_free(cfg);
	unlink(path);
}

static void test_bandwidth_forms(void **state)
{
	static const struct {
		const char *in, *text;
		uint64_t bps;
	} cases[] = {
		{"50Mbps", "50Mbps", 50000000ull},
		{"1Gbps", "1Gbps", 1000000000ull},
		{"1gbps", "1Gbps", 1000000000ull},
		{"\"10 GBPS\"", "10Gbps", 10000000000ull},
		{"1000Mbps", "1Gbps", 1000000000ull},
		{"0.5Gbps", "500Mbps", 500000000ull},
		{"1.5Gbps", "1.5Gbps", 1500000000ull},
		{"2.25Gbps", "2.25Gbps", 2250000000ull},
		{"1.0001Gbps", "1000.1Mbps", 1000100000ull},
		{"100Gbps", "100Gbps", 100000000000ull},
		{"400Gbps", "400Gbps", 400000000000ull},
		{"1234567bps", "1234.567kbps", 1234567ull},
		{"999bps", "999bps", 999ull},
		{"1bps", "1bps", 1ull},
		{"1.5kbps", "1.5kbps", 1500ull},
		{"0.001kbps", "1bps", 1ull},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *yaml = cat3(L_CIRCUITS C_ID("c1") C_PROV("expressroute") "    bandwidth: ",
				  cases[i].in,
				  "\n" C_LINKS C_PRIMARY C_PEERINGS C_TYPE("private") C_NEIGHBORS
				  C_ADDR("198.18.0.2"));
		struct cfg_config *cfg = load_ok(yaml);

		assert_int_equal(cfg->circuits[0].bandwidth_bps, cases[i].bps);
		assert_string_equal(cfg->circuits[0].bandwidth_text, cases[i].text);
		cfg_free(cfg);
		free(yaml);
	}
}

static void test_listen_forms(void **state)
{
	static const struct {
		const char *in, *host;
		unsigned port;
	} cases[] = {
		{"\":10179\"", NULL, 10179},
		{"\":1\"", NULL, 1},
		{"\":65535\"", NULL, 65535},
		{"127.0.0.1:9100", "127.0.0.1", 9100},
		{"localhost:80", "localhost", 80},
		{"\"[::1]:9100\"", "::1", 9100},
		{"\"[2001:db8::1]:443\"", "2001:db8::1", 443},
		{"0.0.0.0:10179", "0.0.0.0", 10179},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *yaml = cat3("prometheus:\n  listen: ", cases[i].in, "\n");
		struct cfg_config *cfg = load_ok(yaml);

		if (cases[i].host)
			assert_string_equal(cfg->prometheus.listen_host, cases[i].host);
		else
			assert_null(cfg->prometheus.listen_host);
		assert_int_equal(cfg->prometheus.listen_port, cases[i].port);
		cfg_free(cfg);
		free(yaml);
	}
}

static void test_duration_forms(void **state)
{
	static const struct {
		const char *in;
		unsigned secs;
	} cases[] = {
		{"1", 1}, {"30", 30}, {"10s", 10}, {"2m", 120}, {"60m", 3600}, {"3600s", 3600},
		{"\"45\"", 45},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *yaml = cat3("prometheus:\n  timeout: ", cases[i].in, "\n");
		struct cfg_config *cfg = load_ok(yaml);

		assert_int_equal(cfg->prometheus.timeout_s, cases[i].secs);
		cfg_free(cfg);
		free(yaml);
	}
}

/* Defaults that depend on the provider and the SKU. */
static void test_provider_defaults(void **state)
{
	static const struct {
		const char *provider, *sku, *type, *tier;
		enum cfg_data_plan plan;
		uint32_t prefix_limit, asn;
	} cases[] = {
		{"expressroute", "{}", "private", "standard", CFG_PLAN_METERED, 4000, 12076},
		{"expressroute", "{tier: standard}", "microsoft", "standard", CFG_PLAN_METERED, 200, 12076},
		{"expressroute", "{tier: premium}", "private", "premium", CFG_PLAN_METERED, 10000, 12076},
		{"expressroute", "{tier: premium}", "microsoft", "premium", CFG_PLAN_METERED, 200, 12076},
		{"expressroute", "{tier: local}", "private", "local", CFG_PLAN_UNLIMITED, 4000, 12076},
		{"expressroute", "{data_plan: unlimited}", "private", "standard", CFG_PLAN_UNLIMITED, 4000, 12076},
		{"directconnect", "{}", "private", "dedicated", CFG_PLAN_METERED, 100, 0},
		{"directconnect", "{tier: hosted}", "transit", "hosted", CFG_PLAN_METERED, 100, 0},
		{"directconnect", "{}", "public", "dedicated", CFG_PLAN_METERED, 1000, 0},
		{"interconnect", "{}", "private", "dedicated", CFG_PLAN_METERED, 0, 0},
		{"interconnect", "{tier: partner}", "private", "partner", CFG_PLAN_METERED, 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char head[256], tail[256], *yaml;
		struct cfg_config *cfg;
		const struct cfg_peering *pe;

		snprintf(head, sizeof head,
			 "circuits:\n  - id: c1\n    provider: %s\n    bandwidth: 1Gbps\n    sku: ",
			 cases[i].provider);
		snprintf(tail, sizeof tail,
			 "\n    links:\n      primary:\n        peerings:\n          - type: %s\n"
			 "            neighbors: [{address: 198.18.0.2%s}]\n",
			 cases[i].type, cases[i].asn ? "" : ", asn: 65000");
		yaml = cat3(head, cases[i].sku, tail);
		cfg = load_ok(yaml);
		pe = &cfg->circuits[0].links[CFG_LINK_PRIMARY].peerings[0];
		assert_string_equal(cfg->circuits[0].tier, cases[i].tier);
		assert_int_equal(cfg->circuits[0].data_plan, cases[i].plan);
		assert_int_equal(pe->prefix_limit, cases[i].prefix_limit);
		assert_int_equal(pe->neighbors[0].asn, cases[i].asn ? cases[i].asn : 65000);
		cfg_free(cfg);
		free(yaml);
	}
}

static void test_explicit_prefix_limit_zero(void **state)
{
	struct cfg_config *cfg = load_ok(
		L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("1Gbps") C_LINKS C_PRIMARY C_PEERINGS
		C_TYPE("private") "            prefix_limit: 0\n" C_NEIGHBORS C_ADDR("198.18.0.2"));

	(void)state;
	assert_int_equal(cfg->circuits[0].links[0].peerings[0].prefix_limit, 0);
	cfg_free(cfg);
}

/* QinQ: the C-tag may repeat across links, and an S-tag link is valid. */
static void test_qinq(void **state)
{
	struct cfg_config *cfg = load_ok(
		L_CIRCUITS C_ID("c1") C_PROV("expressroute") C_BW("10Gbps") C_LINKS
		C_PRIMARY C_IFACE("ens1f0") C_STAG("100") C_PEERINGS C_TYPE("private") C_VLAN("10")
		C_NEIGHBORS C_ADDR("198.18.0.2")
		C_SECONDARY C_IFACE("ens1f1") C_STAG("100") C_PEERINGS C_TYPE("private") C_VLAN("10")
		C_NEIGHBORS C_ADDR("198.18.0.6"));

	(void)state;
	assert_int_equal(cfg->circuits[0].links[0].s_tag, 100);
	assert_int_equal(cfg->circuits[0].links[1].s_tag, 100);
	assert_int_equal(cfg->circuits[0].links[1].peerings[0].vlan, 10);
	cfg_free(cfg);
}

/* ---- several errors, the cap, printing ------------------------------ */

static void test_all_errors_reported(void **state)
{
	static const char yaml[] =
		"log:\n"                          /* 1 */
		"  level: loud\n"                 /* 2: bad enum */
		"prometheus:\n"                   /* 3 */
		"  listen: \":0\"\n"              /* 4: bad port */
		"  timeout: 0\n"                  /* 5: range */
		"circuits:\n"                     /* 6 */
		"  - id: c1\n"                    /* 7: no links */
		"    provider: expressroute\n"    /* 8 */
		"    bandwidth: fast\n"           /* 9: bad bandwidth */
		"    colour: red\n";              /* 10: unknown key */
	static const unsigned lines[] = {2, 4, 5, 7, 9, 10};
	struct cfg_config *cfg = NULL;
	struct cfg_errors errs = {0};

	(void)state;
	assert_int_equal(load(yaml, &cfg, &errs), -1);
	assert_null(cfg);
	if (errs.n != ARRAY_LEN(lines))
		cfg_errors_print(&errs, stderr);
	assert_int_equal(errs.n, ARRAY_LEN(lines));
	for (size_t i = 0; i < errs.n; i++) /* sorted by position */
		assert_int_equal(errs.v[i].line, lines[i]);
	cfg_errors_clean(&errs);
}

static void test_errors_appended(void **state)
{
	struct cfg_config *cfg = NULL;
	struct cfg_errors errs = {0};

	(void)state;
	assert_int_equal(load("log: {level: x}\n", &cfg, &errs), -1);
	assert_int_equal(load("log: {format: x}\n", &cfg, &errs), -1);
	assert_int_equal(errs.n, 2);
	assert_non_null(strstr(errs.v[0].message, "log.level"));
	assert_non_null(strstr(errs.v[1].message, "log.format"));
	cfg_errors_clean(&errs);
	assert_int_equal(errs.n, 0);
	assert_null(errs.v);
	cfg_errors_clean(&errs); /* twice is fine */
	cfg_errors_clean(NULL);
}

static void test_error_cap(void **state)
{
	size_t size = 200 * 16, o = 0;
	char *yaml = malloc(size);
	struct cfg_config *cfg = NULL;
	struct cfg_errors errs = {0};

	(void)state;
	assert_non_null(yaml);
	for (int i = 0; i < 200; i++)
		o += (size_t)snprintf(yaml + o, size - o, "k%d: 1\n", i);
	assert_int_equal(load(yaml, &cfg, &errs), -1);
	assert_int_equal(errs.n, CFG_MAX_ERRORS);
	assert_int_equal(errs.v[0].line, 1);
	assert_int_equal(errs.v[CFG_MAX_ERRORS - 2].line, CFG_MAX_ERRORS - 1);
	assert_int_equal(errs.v[CFG_MAX_ERRORS - 1].line, 0);
	assert_string_equal(errs.v[CFG_MAX_ERRORS - 1].message, "too many errors; stopped after 99");
	cfg_errors_clean(&errs);
	free(yaml);
}

static char *print_to_string(const struct cfg_errors *errs)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	cfg_errors_print(errs, fp);
	fclose(fp);
	return buf;
}

static void test_errors_print(void **state)
{
	struct cfg_error v[] = {
		{"a.yaml", 0, 0, "cannot open: No such file or directory"},
		{"a.yaml", 12, 7, "log.level: bad"},
	};
	struct cfg_errors manual = {ARRAY_LEN(v), v};
	struct cfg_config *cfg = NULL;
	struct cfg_errors errs = {0};
	char *s;

	(void)state;
	s = print_to_string(&manual);
	assert_string_equal(s, "a.yaml: cannot open: No such file or directory\n"
			       "a.yaml:12:7: log.level: bad\n");
	free(s);

	assert_int_equal(cfg_load_buffer("mem.yaml", "log:\n  level: loud\n", 19, &cfg, &errs), -1);
	s = print_to_string(&errs);
	assert_string_equal(s, "mem.yaml:2:10: log.level: expected one of debug, info, warn, error, "
			       "got \"loud\"\n");
	free(s);
	cfg_errors_clean(&errs);

	assert_int_equal(cfg_load_buffer(NULL, "x: 1\n", 5, &cfg, &errs), -1);
	s = print_to_string(&errs);
	assert_string_equal(s, "<buffer>:1:1: unknown key \"x\" at top level (expected one of: log, "
			       "prometheus, circuits)\n");
	free(s);
	cfg_errors_clean(&errs);
}

/* A bad value is shown escaped and cut, never raw. */
static void test_value_quoting(void **state)
{
	struct cfg_config *cfg = NULL;
	struct cfg_errors errs = {0};
	char xs[80], *yaml, *want;

	(void)state;
	/* value bytes: a " b \ c ESC U+00E9 (2 bytes) then x: 8 + 72 bytes */
	memset(xs, 'x', 72);
	xs[72] = '\0';
	yaml = cat3("log:\n  level: \"a\\\"b\\\\c\\e\\u00e9", xs, "\"\n");
	xs[64 - 8] = '\0'; /* SHOW_MAX = 64 bytes are shown */
	want = cat3("got \"a\\\"b\\\\c\\x1b\\xc3\\xa9", xs, "...\"");
	assert_int_equal(load(yaml, &cfg, &errs), -1);
	assert_int_equal(errs.n, 1);
	if (!strstr(errs.v[0].message, want))
		fprintf(stderr, "want %s\ngot  %s\n", want, errs.v[0].message);
	assert_non_null(strstr(errs.v[0].message, want));
	cfg_errors_clean(&errs);
	free(yaml);
	free(want);
}

/* ---- files ---------------------------------------------------------- */

static void test_file_missing(void **state)
{
	const char *path = "/nonexistent/circuitwatch.yaml";
	struct cfg_config *cfg = (struct cfg_config *)(uintptr_t)1;
	struct cfg_errors errs = {0};
	char *s;

	(void)state;
	assert_int_equal(cfg_load_file(path, &cfg, &errs), -1);
	assert_null(cfg);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.v[0].file, path);
	assert_int_equal(errs.v[0].line, 0);
	assert_string_equal(errs.v[0].message, "cannot open: No such file or directory");
	s = print_to_string(&errs);
	assert_string_equal(s, "/nonexistent/circuitwatch.yaml: cannot open: No such file or directory\n");
	free(s);
	cfg_errors_clean(&errs);
}

/* Not a regular file: read up to the limit, then refused. */
static void test_file_unbounded(void **state)
{
	struct cfg_config *cfg = NULL;
	struct cfg_errors errs = {0};

	(void)state;
	assert_int_equal(cfg_load_file("/dev/zero", &cfg, &errs), -1);
	assert_null(cfg);
	assert_int_equal(errs.n, 1);
	assert_int_equal(errs.v[0].line, 0);
	assert_string_equal(errs.v[0].message, "file is too large (more than 4194304 bytes)");
	cfg_errors_clean(&errs);

	assert_int_equal(cfg_load_file(NULL, &cfg, &errs), -1);
	assert_null(cfg);
	assert_int_equal(errs.n, 1);
	assert_int_equal(errs.v[0].line, 0);
	assert_string_equal(errs.v[0].message, "no config file given");
	cfg_errors_clean(&errs);
}

static void test_file_is_directory(void **state)
{
	struct cfg_config *cfg = NULL;
	struct cfg_errors errs = {0};

	(void)state;
	assert_int_equal(cfg_load_file("/", &cfg, &errs), -1);
	assert_null(cfg);
	assert_int_equal(errs.n, 1);
	assert_int_equal(errs.v[0].line, 0);
	assert_non_null(strstr(errs.v[0].message, "Is a directory"));
	cfg_errors_clean(&errs);
}

/* A file of exactly n bytes of comment lines: valid, empty YAML. */
static void write_comment_file(const char *path, size_t n)
{
	FILE *fp = fopen(path, "wb");
	char *buf = malloc(n);

	assert_non_null(fp);
	assert_non_null(buf);
	memset(buf, '#', n);
	for (size_t i = 63; i < n; i += 64)
		buf[i] = '\n';
	assert_int_equal(fwrite(buf, 1, n, fp), n);
	fclose(fp);
	free(buf);
}

static void test_file_too_large(void **state)
{
	char path[] = "/tmp/cw-test-config-XXXXXX";
	int fd = mkstemp(path);
	struct cfg_config *cfg = NULL;
	struct cfg_errors errs = {0};
	char *big;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	/* the limit itself is fine... */
	write_comment_file(path, CFG_MAX_FILE_BYTES);
	assert_int_equal(cfg_load_file(path, &cfg, &errs), 0);
	assert_int_equal(errs.n, 0);
	assert_defaults(cfg);
	cfg_free(cfg);
	/* ...one byte more is refused before parsing */
	write_comment_file(path, CFG_MAX_FILE_BYTES + 1);
	assert_int_equal(cfg_load_file(path, &cfg, &errs), -1);
	assert_null(cfg);
	assert_int_equal(errs.n, 1);
	assert_int_equal(errs.v[0].line, 0);
	assert_string_equal(errs.v[0].message, "file is too large (4194305 bytes; the limit is 4194304)");
	cfg_errors_clean(&errs);
	unlink(path);

	big = calloc(1, CFG_MAX_FILE_BYTES + 1);
	assert_non_null(big);
	assert_int_equal(cfg_load_buffer("big", big, CFG_MAX_FILE_BYTES + 1, &cfg, &errs), -1);
	assert_int_equal(errs.n, 1);
	assert_int_equal(errs.v[0].line, 0);
	assert_string_equal(errs.v[0].message, "file is too large (4194305 bytes; the limit is 4194304)");
	cfg_errors_clean(&errs);
	free(big);
}

static void test_example_file(void **state)
{
	const char *dir = getenv("CW_SOURCE_DIR");
	struct cfg_config *cfg = NULL;
	struct cfg_errors errs = {0};
	char *path;
	int rc;

	(void)state;
	if (!dir || !*dir)
		skip();
	path = cat3(dir, "/deploy/examples/", "circuitwatch.yaml");
	rc = cfg_load_file(path, &cfg, &errs);
	if (rc != 0)
		cfg_errors_print(&errs, stderr);
	assert_int_equal(rc, 0);
	assert_non_null(cfg);
	assert_int_equal(cfg->ncircuits, 3);
	assert_int_equal(cfg->circuits[0].provider, CFG_PROVIDER_EXPRESSROUTE);
	assert_string_equal(cfg->circuits[0].tier, "premium");
	assert_int_equal(cfg->circuits[0].data_plan, CFG_PLAN_METERED);
	assert_int_equal(cfg->circuits[0].bandwidth_bps, 1000000000ull);
	assert_true(cfg->circuits[0].links[CFG_LINK_SECONDARY].present);
	assert_int_equal(cfg->circuits[0].links[CFG_LINK_PRIMARY].npeerings, 2);
	assert_int_equal(cfg->circuits[0].links[CFG_LINK_SECONDARY].npeerings, 2);
	assert_true(cfg->circuits[1].links[CFG_LINK_PRIMARY].s_tag > 0);
	assert_int_equal(cfg->circuits[2].provider, CFG_PROVIDER_DIRECTCONNECT);
	cfg_free(cfg);
	free(path);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(cfg_provider_name(CFG_PROVIDER_EXPRESSROUTE), "expressroute");
	assert_string_equal(cfg_provider_name(CFG_PROVIDER_DIRECTCONNECT), "directconnect");
	assert_string_equal(cfg_provider_name(CFG_PROVIDER_INTERCONNECT), "interconnect");
	assert_string_equal(cfg_provider_name((enum cfg_provider)42), "unknown");
	assert_string_equal(cfg_data_plan_name(CFG_PLAN_METERED), "metered");
	assert_string_equal(cfg_data_plan_name(CFG_PLAN_UNLIMITED), "unlimited");
	assert_string_equal(cfg_peering_type_name(CFG_PEERING_PRIVATE), "private");
	assert_string_equal(cfg_peering_type_name(CFG_PEERING_MICROSOFT), "microsoft");
	assert_string_equal(cfg_peering_type_name(CFG_PEERING_PUBLIC), "public");
	assert_string_equal(cfg_peering_type_name(CFG_PEERING_TRANSIT), "transit");
	assert_string_equal(cfg_link_role_name(CFG_LINK_PRIMARY), "primary");
	assert_string_equal(cfg_link_role_name(CFG_LINK_SECONDARY), "secondary");
	assert_string_equal(cfg_link_role_name(CFG_LINK_COUNT), "unknown");
	assert_string_equal(cfg_log_level_name(CFG_LOG_DEBUG), "debug");
	assert_string_equal(cfg_log_level_name(CFG_LOG_INFO), "info");
	assert_string_equal(cfg_log_level_name(CFG_LOG_WARN), "warn");
	assert_string_equal(cfg_log_level_name(CFG_LOG_ERROR), "error");
	cfg_free(NULL);
}

static const struct CMUnitTest fixed_tests[] = {
	cmocka_unit_test(test_full_config),
	cmocka_unit_test(test_defaults),
	cmocka_unit_test(test_empty_file),
	cmocka_unit_test(test_bandwidth_forms),
	cmocka_unit_test(test_listen_forms),
	cmocka_unit_test(test_duration_forms),
	cmocka_unit_test(test_provider_defaults),
	cmocka_unit_test(test_explicit_prefix_limit_zero),
	cmocka_unit_test(test_qinq),
	cmocka_unit_test(test_all_errors_reported),
	cmocka_unit_test(test_errors_appended),
	cmocka_unit_test(test_error_cap),
	cmocka_unit_test(test_errors_print),
	cmocka_unit_test(test_value_quoting),
	cmocka_unit_test(test_file_missing),
	cmocka_unit_test(test_file_is_directory),
	cmocka_unit_test(test_file_unbounded),
	cmocka_unit_test(test_file_too_large),
	cmocka_unit_test(test_example_file),
	cmocka_unit_test(test_names),
};

int main(void)
{
	struct CMUnitTest tests[ARRAY_LEN(fixed_tests) + ARRAY_LEN(err_cases)];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_LEN(fixed_tests); i++)
		tests[n++] = fixed_tests[i];
	for (size_t i = 0; i < ARRAY_LEN(err_cases); i++)
		tests[n++] = (struct CMUnitTest){
			.name = err_cases[i].name,
			.test_func = run_err_case,
			.initial_state = (void *)(uintptr_t)&err_cases[i],
		};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
