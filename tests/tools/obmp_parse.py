#!/usr/bin/env python3
"""obmp_parse.py - an independent reader of OpenBMP raw BMP Kafka messages.

Written from OpenBMP's description of its binary message header (version
1.7, the header OpenBMP's collector puts in front of each raw BMP message
on its bmp_raw topic), not from circuitwatch's encoder. Python 3 standard
library only.

The header, every integer in network byte order (big-endian):
  magic "OBMP" (0x4F424D50), major 1, minor 7, header length (u16: the
  whole header, magic to row count), message length (u32: the BMP bytes
  after the header), flags (u8: 0x80 router message, 0x40 router address
  is IPv6), object type (u8: 12 = BMP_RAW), collector timestamp seconds
  and microseconds (u32 each), collector hash (16 bytes), admin id length
  (u16) and admin id, router hash (16 bytes), router address (16 bytes:
  IPv4 in the first 4), router group length (u16) and group, row count
  (u32).  Then one whole BMP message (RFC 7854 common header: version 3,
  u32 length of the whole message, type).

Usage:
  obmp_parse.py dump FILE [--admin-id ID] [--bmp-out PATH] [--json]
      FILE holds kcat output written with -f '%K %S %p %o\\n%k%s' (key
      length, value length, partition, offset, newline, key, value).
      Every message is checked (see check()); with --admin-id the admin id
      and both hashes are checked against it; --bmp-out writes the BMP
      payloads concatenated, per partition in offset order (partitions in
      ascending order). Prints a JSON summary; exits 1 on the first bad
      message (with the reason), 0 otherwise.
  obmp_parse.py selftest
      Hostile inputs: every one must be refused with a reason, never crash.
"""

import hashlib
import ipaddress
import json
import struct
import sys

MAGIC = 0x4F424D50
FIXED = 78          # header bytes without admin id and router group
BMP_RAW = 12
FLAG_ROUTER = 0x80
FLAG_V6 = 0x40


class Bad(Exception):
    """A message that does not follow the format (the reason is the text)."""


class Reader:
    """Bounds-checked big-endian reads over a bytes object."""

    def __init__(self, buf):
        self.buf = buf
        self.pos = 0

    def take(self, n, what):
        if n < 0 or self.pos + n > len(self.buf):
            raise Bad(f"short read: {what} needs {n} bytes at {self.pos}, "
                      f"{len(self.buf) - self.pos} left")
        b = self.buf[self.pos:self.pos + n]
        self.pos += n
        return b

    def u8(self, what):
        return self.take(1, what)[0]

    def u16(self, what):
        return struct.unpack("!H", self.take(2, what))[0]

    def u32(self, what):
        return struct.unpack("!I", self.take(4, what))[0]


def parse(value):
    """One Kafka message value -> dict of the header fields and the BMP
    bytes. Raises Bad."""
    r = Reader(value)
    h = {}
    if r.u32("magic") != MAGIC:
        raise Bad("bad magic")
    h["major"], h["minor"] = r.u8("major"), r.u8("minor")
    if (h["major"], h["minor"]) != (1, 7):
        raise Bad(f"version {h['major']}.{h['minor']}, want 1.7")
    h["header_len"] = r.u16("header length")
    h["msg_len"] = r.u32("message length")
    h["flags"] = r.u8("flags")
    h["type"] = r.u8("object type")
    h["ts_sec"] = r.u32("timestamp seconds")
    h["ts_usec"] = r.u32("timestamp microseconds")
    h["collector_hash"] = r.take(16, "collector hash")
    admin_len = r.u16("admin id length")
    h["admin_id"] = r.take(admin_len, "admin id")
    h["router_hash"] = r.take(16, "router hash")
    raw_ip = r.take(16, "router address")
    group_len = r.u16("router group length")
    h["router_group"] = r.take(group_len, "router group")
    h["row_count"] = r.u32("row count")
    if r.pos != h["header_len"]:
        raise Bad(f"header length {h['header_len']} but the fields end at {r.pos}")
    if r.pos != FIXED + admin_len + group_len:
        raise Bad("header size arithmetic")
    if h["type"] != BMP_RAW:
        raise Bad(f"object type {h['type']}, want {BMP_RAW} (BMP_RAW)")
    if h["flags"] & ~(FLAG_ROUTER | FLAG_V6):
        raise Bad(f"unknown flags 0x{h['flags']:02x}")
    if not h["flags"] & FLAG_ROUTER:
        raise Bad("router flag (0x80) not set on a BMP_RAW message")
    if h["ts_usec"] >= 1000000:
        raise Bad(f"microseconds {h['ts_usec']} >= 1e6")
    if h["row_count"] != 1:
        raise Bad(f"row count {h['row_count']}, want 1")
    if h["flags"] & FLAG_V6:
        h["router_ip"] = str(ipaddress.IPv6Address(raw_ip))
    else:
        if any(raw_ip[4:]):
            raise Bad("IPv4 router address with non-zero padding")
        h["router_ip"] = str(ipaddress.IPv4Address(raw_ip[:4]))
    bmp = value[r.pos:]
    if len(bmp) != h["msg_len"]:
        raise Bad(f"message length {h['msg_len']} but {len(bmp)} bytes follow")
    check_bmp(bmp)
    h["bmp"] = bmp
    return h


def check_bmp(bmp):
    """One whole BMP message (RFC 7854 §4.1 common header)."""
    r = Reader(bmp)
    version = r.u8("BMP version")
    length = r.u32("BMP length")
    mtype = r.u8("BMP type")
    if version != 3:
        raise Bad(f"BMP version {version}")
    if length != len(bmp):
        raise Bad(f"BMP length {length} but the payload is {len(bmp)} bytes")
    if mtype > 6:
        raise Bad(f"BMP type {mtype}")


def check_hashes(h, key, admin_id):
    """OpenBMP's hashes: collector = MD5(admin id); router = MD5(router
    address as text, collector hash); the Kafka key is the router hash in
    hex."""
    if h["admin_id"] != admin_id.encode():
        raise Bad(f"admin id {h['admin_id']!r}, want {admin_id!r}")
    col = hashlib.md5(admin_id.encode()).digest()
    if h["collector_hash"] != col:
        raise Bad("collector hash is not MD5(admin id)")
    rtr = hashlib.md5(h["router_ip"].encode() + col).digest()
    if h["router_hash"] != rtr:
        raise Bad("router hash is not MD5(router address, collector hash)")
    if key != rtr.hex().encode():
        raise Bad(f"key {key!r} is not the router hash in hex")


def read_kcat(path):
    """Records of kcat -f '%K %S %p %o\\n%k%s': (key, value, partition, offset)."""
    data = open(path, "rb").read()
    pos, out = 0, []
    while pos < len(data):
        nl = data.find(b"\n", pos)
        if nl < 0:
            raise Bad(f"truncated record line at {pos}")
        fields = data[pos:nl].split()
        if len(fields) != 4:
            raise Bad(f"bad record line {data[pos:nl][:60]!r}")
        klen, vlen, part, off = (int(x) for x in fields)
        klen = max(klen, 0)  # kcat prints -1 for a null key
        pos = nl + 1
        if pos + klen + vlen > len(data):
            raise Bad("truncated record body")
        out.append((data[pos:pos + klen], data[pos + klen:pos + klen + vlen], part, off))
        pos += klen + vlen
    return out


def dump(args):
    path, admin_id, bmp_out = args.file, args.admin_id, args.bmp_out
    recs = read_kcat(path)
    per_part = {}
    summary = {"messages": 0, "bmp_bytes": 0, "routers": set(), "types": {},
               "ipv6_routers": 0, "ts_min": None, "ts_max": None}
    for i, (key, value, part, off) in enumerate(recs):
        try:
            h = parse(value)
            if admin_id is not None:
                check_hashes(h, key, admin_id)
        except Bad as e:
            print(f"message {i} (partition {part} offset {off}): {e}", file=sys.stderr)
            return 1
        per_part.setdefault(part, []).append((off, h["bmp"]))
        summary["messages"] += 1
        summary["bmp_bytes"] += len(h["bmp"])
        summary["routers"].add(h["router_ip"])
        t = str(h["bmp"][5])
        summary["types"][t] = summary["types"].get(t, 0) + 1
        ts = h["ts_sec"] + h["ts_usec"] / 1e6
        summary["ts_min"] = ts if summary["ts_min"] is None else min(ts, summary["ts_min"])
        summary["ts_max"] = ts if summary["ts_max"] is None else max(ts, summary["ts_max"])
        summary["header_len"] = h["header_len"]
        summary["flags"] = h["flags"]
        summary["version"] = f"{h['major']}.{h['minor']}"
        summary["row_count"] = h["row_count"]
        summary["router_group"] = h["router_group"].decode(errors="replace")
    if bmp_out:
        with open(bmp_out, "wb") as f:
            for part in sorted(per_part):
                offs = [o for o, _ in per_part[part]]
                if offs != sorted(offs):
                    print(f"partition {part}: offsets out of order", file=sys.stderr)
                    return 1
                for _, b in per_part[part]:
                    f.write(b)
    summary["routers"] = sorted(summary["routers"])
    summary["partitions"] = sorted(per_part)
    print(json.dumps(summary, sort_keys=True))
    return 0


def build(admin=b"cw", group=b"", bmp=None, ip=b"\xc0\x00\x02\x01" + bytes(12), flags=0x80,
          mtype=BMP_RAW, rows=1, hlen=None, mlen=None, usec=5):
    """A message for the self-test, possibly broken on purpose."""
    if bmp is None:
        bmp = struct.pack("!BIB", 3, 6 + 4, 4) + b"\x00\x00\x00\x00"
    col = hashlib.md5(admin).digest()
    hdr = (struct.pack("!BB", 1, 7), None, struct.pack("!IBBII", 0, flags, mtype, 1700000000, usec),
           col, struct.pack("!H", len(admin)), admin, bytes(16), ip,
           struct.pack("!H", len(group)), group, struct.pack("!I", rows))
    body = b"".join(x for x in hdr if x is not None)
    n = 4 + 2 + len(body) if hlen is None else hlen
    m = len(bmp) if mlen is None else mlen
    body = body[:2] + struct.pack("!H", n) + struct.pack("!I", m) + body[6:]
    return struct.pack("!I", MAGIC) + body + bmp


def selftest():
    good = build()
    h = parse(good)
    assert h["router_ip"] == "192.0.2.1" and h["header_len"] == FIXED + 2, h
    hostile = {
        "empty": b"",
        "magic only": struct.pack("!I", MAGIC),
        "bad magic": b"XBMP" + good[4:],
        "version 1.6": good[:5] + b"\x06" + good[6:],
        "header length too small": build(hlen=10),
        "header length beyond the message": build(hlen=0xFFFF),
        "message length beyond the bytes": build(mlen=0xFFFFFFFF),
        "message length short": build(mlen=3),
        "admin id length beyond the message": good[:38] + b"\xff\xff" + good[40:],
        "router group length beyond the message": build()[:FIXED - 6 + 2] + b"\xff\xff" + build()[FIXED - 4 + 2:],
        "object type 4 (not BMP_RAW)": build(mtype=4),
        "unknown flag": build(flags=0x81),
        "router flag missing": build(flags=0x00),
        "row count 0": build(rows=0),
        "microseconds 1e6": build(usec=1000000),
        "IPv4 with padding": build(ip=b"\xc0\x00\x02\x01" + b"\x01" * 12),
        "BMP version 2": build(bmp=struct.pack("!BIB", 2, 6, 4)),
        "BMP length lies": build(bmp=struct.pack("!BIB", 3, 600, 0) + b"\x00" * 4),
        "BMP cut short": build(bmp=b"\x03\x00"),
        "truncated everywhere": None,
    }
    refused = 0
    for name, msg in hostile.items():
        cases = [good[:k] for k in range(len(good))] if msg is None else [msg]
        for c in cases:
            try:
                parse(c)
            except Bad:
                refused += 1
                continue
            print(f"selftest: {name}: accepted", file=sys.stderr)
            return 1
    print(f"selftest: the good message parses; {refused} hostile messages refused")
    return 0


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("file")
    d.add_argument("--admin-id")
    d.add_argument("--bmp-out")
    sub.add_parser("selftest")
    args = ap.parse_args()
    try:
        return dump(args) if args.cmd == "dump" else selftest()
    except Bad as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
