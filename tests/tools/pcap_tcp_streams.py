#!/usr/bin/env python3
"""pcap_tcp_streams.py - TCP payload streams out of pcap/pcapng captures.

Python 3 standard library only. Reads pcap (usec and nsec, either byte
order) and pcapng; link types Ethernet (802.1Q / 802.1ad / QinQ tags, MPLS),
raw IP, BSD loopback, Linux cooked SLL and SLL2, Cisco HDLC, PPP, Frame
Relay (RFC 2427 NLPID and SNAP) and Juniper Ethernet; IPv4 (with GRE
decapsulation) and IPv6 (extension headers skipped); TCP.

Each TCP direction of each connection whose port (either side) is one of
--port is reassembled by raw sequence number: retransmitted bytes are taken
once, out-of-order segments are put in place, and the stream stops at the
first gap (bytes after a hole are not guessed at; with --after-gap each
later run is written to a file of its own). The start of a stream is
the SYN's sequence number + 1, or the lowest sequence number seen when the
capture has no SYN. Some traffic reproducers put data on the SYN without
counting the SYN in the sequence space (the next segment starts at
SYN seq + payload length); that is detected and honoured.

Usage:
  pcap_tcp_streams.py [--port N]... [--outdir DIR] [--min-bytes N] [--after-gap] FILE

For each stream, writes DIR/NNN_SRC.SPORT-DST.DPORT.bin and prints one line
  PATH<TAB>src_port<TAB>dst_port<TAB>bytes<TAB>gap(0|1)<TAB>segments
where gap=1 means a hole follows (with --list, only the lines, nothing
written).
"""

import argparse
import ipaddress
import os
import struct
import sys

# ---- capture file readers ---------------------------------------------------


def read_pcap(data):
    """Yields (linktype, frame bytes) of a classic pcap file."""
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise ValueError("not a pcap file")
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        if off + incl > len(data):
            break  # cut at the end of the file
        yield linktype, data[off:off + incl]
        off += incl


def read_pcapng(data):
    """Yields (linktype, frame bytes) of a pcapng file (EPB, SPB, old PB)."""
    off, end, ifaces = 0, "<", []
    while off + 12 <= len(data):
        btype = struct.unpack(end + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:  # section header: byte order may change
            bom = data[off + 8:off + 12]
            end = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            ifaces = []
        blen = struct.unpack(end + "I", data[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(data):
            break
        body = data[off + 8:off + blen - 4]
        if btype == 1:  # interface description
            ifaces.append(struct.unpack(end + "H", body[:2])[0])
        elif btype == 6 and len(body) >= 20:  # enhanced packet
            ifid, _, _, cap, _ = struct.unpack(end + "IIIII", body[:20])
            if ifid < len(ifaces):
                yield ifaces[ifid], body[20:20 + cap]
        elif btype == 3 and ifaces:  # simple packet
            yield ifaces[0], body[4:]
        elif btype == 2 and len(body) >= 20:  # obsolete packet block
            ifid, _, _, _, cap, _ = struct.unpack(end + "HHIIII", body[:20])
            if ifid < len(ifaces):
                yield ifaces[ifid], body[20:20 + cap]
        off += blen


def read_capture(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        return read_pcapng(data)
    return read_pcap(data)


# ---- link layers: each returns (ethertype-ish, offset) or None ------------

ETH_IPV4, ETH_IPV6, ETH_MPLS, ETH_MPLS_MC = 0x0800, 0x86DD, 0x8847, 0x8848
VLAN_TAGS = (0x8100, 0x88A8, 0x9100, 0x9200)


def ether(frame, off=0):
    if len(frame) < off + 14:
        return None
    etype = struct.unpack(">H", frame[off + 12:off + 14])[0]
    off += 14
    while etype in VLAN_TAGS and len(frame) >= off + 4:
        etype = struct.unpack(">H", frame[off + 2:off + 4])[0]
        off += 4
    if etype < 0x0600 and frame[off:off + 3] == b"\xaa\xaa\x03":  # 802.3 + SNAP
        etype = struct.unpack(">H", frame[off + 6:off + 8])[0]
        off += 8
    return etype, off


def raw_ip(frame, off=0):
    if len(frame) <= off:
        return None
    return {4: ETH_IPV4, 6: ETH_IPV6}.get(frame[off] >> 4, 0), off


def bsd_null(frame):
    if len(frame) < 4:
        return None
    return raw_ip(frame, 4)


def sll(frame):
    if len(frame) < 16:
        return None
    return struct.unpack(">H", frame[14:16])[0], 16


def sll2(frame):
    if len(frame) < 20:
        return None
    return struct.unpack(">H", frame[0:2])[0], 20


def chdlc(frame):
    if len(frame) < 4:
        return None
    return struct.unpack(">H", frame[2:4])[0], 4


PPP_PROTOS = {0x0021: ETH_IPV4, 0x0057: ETH_IPV6, 0x0281: ETH_MPLS}


def ppp(frame):
    off = 2 if frame[:2] == b"\xff\x03" else 0
    if len(frame) < off + 2:
        return None
    proto = frame[off]
    if proto & 1:  # protocol field compression (RFC 1661 §6.5)
        return PPP_PROTOS.get(proto, 0), off + 1
    return PPP_PROTOS.get(struct.unpack(">H", frame[off:off + 2])[0], 0), off + 2


def frelay(frame):
    """Q.922 address, then UI control 0x03, optional pad and an NLPID
    (RFC 2427), or Cisco's encapsulation: an Ethertype right away."""
    off = 2
    while off < len(frame) and not frame[off - 1] & 1:  # address extension bit
        off += 1
    if frame[off:off + 1] != b"\x03":
        if len(frame) < off + 2:
            return None
        return struct.unpack(">H", frame[off:off + 2])[0], off + 2
    off += 1
    if frame[off:off + 1] == b"\x00":
        off += 1
    nlpid = frame[off] if off < len(frame) else None
    if nlpid == 0xCC:
        return ETH_IPV4, off + 1
    if nlpid == 0x8E:
        return ETH_IPV6, off + 1
    if nlpid == 0x80 and len(frame) >= off + 6:  # SNAP
        return struct.unpack(">H", frame[off + 4:off + 6])[0], off + 6
    return None


def juniper_ether(frame):
    """Juniper "MGC" pseudo header, then Ethernet (tcpdump print-juniper.c)."""
    if frame[:3] != b"MGC" or len(frame) < 4:
        return None
    flags, off = frame[3], 4
    if flags & 0x80:  # JUNIPER_BPF_EXT: extension TLVs, 2-octet length
        off += 2 + struct.unpack(">H", frame[4:6])[0]
    if flags & 0x02:  # JUNIPER_BPF_NO_L2: a 4-octet cookie, then IP
        return raw_ip(frame, off + 4)
    return ether(frame, off)


LINKTYPES = {
    0: bsd_null, 1: ether, 9: ppp, 12: raw_ip, 14: raw_ip, 101: raw_ip,
    104: chdlc, 107: frelay, 113: sll, 178: juniper_ether, 228: raw_ip,
    229: raw_ip, 276: sll2,
}


def mpls_pop(frame, off):
    while len(frame) >= off + 4:
        bos = frame[off + 2] & 1
        off += 4
        if bos:
            return raw_ip(frame, off)
    return None


# ---- IP, GRE, TCP -------------------------------------------------------------

IPV6_EXT = (0, 43, 60, 135, 139, 140)  # hop-by-hop, routing, dest opts, ...


def ipv4(frame, off, depth):
    if len(frame) < off + 20 or frame[off] >> 4 != 4:
        return None
    ihl = (frame[off] & 0xF) * 4
    total = struct.unpack(">H", frame[off + 2:off + 4])[0]
    frag = struct.unpack(">H", frame[off + 6:off + 8])[0]
    if frag & 0x3FFF:
        return None  # fragments are not reassembled
    end = min(len(frame), off + total) if total >= ihl else len(frame)
    src = ipaddress.IPv4Address(frame[off + 12:off + 16])
    dst = ipaddress.IPv4Address(frame[off + 16:off + 20])
    return transport(frame[:end], off + ihl, frame[off + 9], src, dst, depth)


def ipv6(frame, off, depth):
    if len(frame) < off + 40 or frame[off] >> 4 != 6:
        return None
    plen = struct.unpack(">H", frame[off + 4:off + 6])[0]
    nxt = frame[off + 6]
    src = ipaddress.IPv6Address(frame[off + 8:off + 24])
    dst = ipaddress.IPv6Address(frame[off + 24:off + 40])
    end = min(len(frame), off + 40 + plen) if plen else len(frame)
    off += 40
    while nxt in IPV6_EXT or nxt == 44:
        if len(frame) < off + 8:
            return None
        if nxt == 44:  # fragment: not reassembled
            if struct.unpack(">H", frame[off + 2:off + 4])[0] & 0xFFF9:
                return None
            nxt, off = frame[off], off + 8
            continue
        nxt, off = frame[off], off + (frame[off + 1] + 1) * 8
    return transport(frame[:end], off, nxt, src, dst, depth)


def gre(frame, off, depth):
    """RFC 2784/2890 GRE carrying IPv4/IPv6 (one level of tunnel)."""
    if depth > 0 or len(frame) < off + 4:
        return None
    flags, proto = struct.unpack(">HH", frame[off:off + 4])
    off += 4 + 4 * bool(flags & 0x8000) + 4 * bool(flags & 0x2000) + 4 * bool(flags & 0x1000)
    return network(frame, proto, off, depth + 1)


def transport(frame, off, proto, src, dst, depth):
    if proto == 47:
        return gre(frame, off, depth)
    if proto != 6 or len(frame) < off + 20:
        return None
    sport, dport, seq, _, doff_flags = struct.unpack(">HHIIH", frame[off:off + 14])
    hlen = (doff_flags >> 12) * 4
    flags = doff_flags & 0x3F
    return (str(src), sport, str(dst), dport, seq, flags, frame[off + hlen:])


def network(frame, etype, off, depth=0):
    if etype in (ETH_MPLS, ETH_MPLS_MC):
        r = mpls_pop(frame, off)
        if r is None:
            return None
        etype, off = r
    if etype == ETH_IPV4:
        return ipv4(frame, off, depth)
    if etype == ETH_IPV6:
        return ipv6(frame, off, depth)
    return None


def tcp_segments(path):
    for linktype, frame in read_capture(path):
        link = LINKTYPES.get(linktype)
        r = link(frame) if link else None
        if r is None:
            continue
        seg = network(frame, r[0], r[1])
        if seg is not None:
            yield seg


# ---- reassembly -------------------------------------------------------------

SYN, FIN, RST = 0x02, 0x01, 0x04


class Direction:
    """One direction of one connection: segments by raw sequence number."""

    def __init__(self, key, index):
        self.key, self.index = key, index
        self.syn = None  # (seq, payload) of the SYN
        self.segs = []   # (seq, payload)

    def add(self, seq, flags, payload):
        if flags & SYN:
            self.syn = (seq, payload)
        elif payload:
            self.segs.append((seq, payload))

    def start(self):
        """Sequence number of the first payload byte, and the SYN payload."""
        if self.syn is None:
            if not self.segs:
                return None, []
            base = self.segs[0][0]
            low = min(((s - base + 2**31) % 2**32 - 2**31 for s, _ in self.segs))
            return (base + low) % 2**32, self.segs
        seq, data = self.syn
        if not data:
            return (seq + 1) % 2**32, self.segs
        # a reproducer's SYN with payload that does not consume a number
        quirky = any(s == (seq + len(data)) % 2**32 for s, _ in self.segs)
        at = seq if quirky else (seq + 1) % 2**32
        return at, [(at, data)] + self.segs

    def runs(self):
        """(runs, segments): the contiguous byte runs from the start, in
        order; more than one run means the capture has holes."""
        base, segs = self.start()
        if base is None:
            return [], 0
        pieces = sorted((((s - base) % 2**32, p) for s, p in segs), key=lambda x: x[0])
        runs, out, have = [], bytearray(), 0
        for rel, p in pieces:
            if rel >= 2**31:
                continue  # before the start (a stray old segment)
            if rel > have:  # a hole: what follows is another run
                runs.append(bytes(out))
                out, have = bytearray(), rel
            if rel + len(p) > have:  # retransmitted bytes are taken once
                out += p[have - rel:]
                have = rel + len(p)
        runs.append(bytes(out))
        return runs, len(segs)


def streams(path, ports):
    """Directions in first-seen order; a SYN with a new ISN on a known
    4-tuple starts a new connection."""
    dirs, current = [], {}
    for src, sport, dst, dport, seq, flags, payload in tcp_segments(path):
        if ports and sport not in ports and dport not in ports:
            continue
        key = (src, sport, dst, dport)
        d = current.get(key)
        if d is None or (flags & SYN and d.syn is not None and d.syn[0] != seq):
            d = Direction(key, len(dirs))
            dirs.append(d)
            current[key] = d
        d.add(seq, flags, payload)
    return dirs


def safe(addr):
    return addr.replace(":", "_")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, action="append", default=[],
                    help="keep connections with this port on either side (repeatable)")
    ap.add_argument("--outdir", default=".")
    ap.add_argument("--min-bytes", type=int, default=1,
                    help="skip directions with fewer payload bytes (default 1)")
    ap.add_argument("--list", action="store_true", help="only print what would be written")
    ap.add_argument("--after-gap", action="store_true",
                    help="also write each run of bytes after a hole, as _partN files "
                         "(for protocols that can resynchronise, e.g. BGP's marker)")
    ap.add_argument("capture")
    a = ap.parse_args()
    try:
        dirs = streams(a.capture, set(a.port))
    except (OSError, ValueError) as e:
        print(f"pcap_tcp_streams: {a.capture}: {e}", file=sys.stderr)
        return 2
    if not a.list:
        os.makedirs(a.outdir, exist_ok=True)
    for d in dirs:
        runs, nseg = d.runs()
        src, sport, dst, dport = d.key
        stem = f"{d.index:03d}_{safe(src)}.{sport}-{safe(dst)}.{dport}"
        for i, data in enumerate(runs if a.after_gap else runs[:1]):
            if len(data) < a.min_bytes:
                continue
            path = os.path.join(a.outdir, stem + (f"_part{i + 1}" if i else "") + ".bin")
            if not a.list:
                with open(path, "wb") as f:
                    f.write(data)
            gap = int(i + 1 < len(runs))  # a hole follows this run
            print(f"{path}\t{sport}\t{dport}\t{len(data)}\t{gap}\t{nseg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
