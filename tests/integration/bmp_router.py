#!/usr/bin/env python3
"""bmp_router.py — a scripted BMP router for the listener tests (issue 12).

usage: bmp_router.py BMP_PORT METRICS_URL ACTION SOURCE_ADDR [ARGS...]

Each action prints one word or number the shell test checks. Messages are
built here from RFC 7854 (common header, per-peer header, Peer Up with two
OPENs, Route Monitoring with one UPDATE)."""
import socket
import struct
import sys
import time
import urllib.request

PORT, URL, ACTION, SRC = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ARGS = sys.argv[5:]
PEER = bytes([198, 18, 1, 2])


def bmp(t, body):
    return struct.pack("!BIB", 3, 6 + len(body), t) + body


def tlv(t, v):
    return struct.pack("!HH", t, len(v)) + v


def initiation(name, descr=b"scripted router"):
    return bmp(4, tlv(2, name) + tlv(1, descr))


def peer_hdr():
    return struct.pack("!BBQ", 0, 0, 0) + bytes(12) + PEER + struct.pack("!IIII", 65002, 0xC6120102, 1700000000, 0)


def bgp(t, body):
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), t) + body


def open_msg(asn):
    caps = bytes([1, 4, 0, 1, 0, 1]) + bytes([65, 4]) + struct.pack("!I", asn)
    params = bytes([2, len(caps)]) + caps
    return bgp(1, struct.pack("!BHHIB", 4, 23456, 90, asn, len(params)) + params)


def peer_up():
    body = peer_hdr() + bytes(12) + bytes([198, 18, 1, 1]) + struct.pack("!HH", 179, 40000)
    return bmp(3, body + open_msg(65001) + open_msg(65002))


def route_mon(n, third=0):
    """One UPDATE announcing n /24s 10.third.i.0 (n <= 256)."""
    attrs = bytes([0x40, 1, 1, 0])                                   # ORIGIN IGP
    attrs += bytes([0x40, 2, 6, 2, 1]) + struct.pack("!I", 65002)    # AS_PATH
    attrs += bytes([0x40, 3, 4]) + PEER                              # NEXT_HOP
    nlri = b"".join(bytes([24, 10, third, i]) for i in range(n))
    upd = struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs + nlri
    return bmp(0, peer_hdr() + bgp(2, upd))


def big_initiation(size):
    """An Initiation of exactly size bytes: sysName, then information TLVs."""
    body = tlv(2, b"big-router")
    left = size - 6 - len(body)
    while left > 0:
        n = min(left - 4, 65535)
        body += tlv(0, b"x" * n)
        left -= 4 + n
    msg = bmp(4, body)
    assert len(msg) == size, (len(msg), size)
    return msg


def connect():
    fam = socket.AF_INET6 if ":" in SRC else socket.AF_INET
    s = socket.socket(fam)
    s.bind((SRC, 0))
    s.connect((SRC if fam == socket.AF_INET6 else "127.0.0.1", PORT))
    return s


def metric(needle):
    """Sum of the series whose line contains every part of needle."""
    parts = needle.split("|")
    text = urllib.request.urlopen(URL + "/metrics", timeout=5).read().decode()
    vals = [float(l.rsplit(" ", 1)[1]) for l in text.splitlines()
            if not l.startswith("#") and all(p in l for p in parts)]
    return sum(vals) if vals else None


def wait_metric(needle, want, t=15):
    end = time.time() + t
    while time.time() < end:
        if metric(needle) == want:
            return True
        time.sleep(0.1)
    return False


def closed_within(s, t):
    """Seconds until the daemon closed s (None when it did not within t)."""
    start = time.time()
    s.settimeout(0.2)
    while time.time() - start < t:
        try:
            if s.recv(1) == b"":
                return time.time() - start
        except socket.timeout:
            continue
        except OSError:
            return time.time() - start
    return None


def up(router):
    return 'circuitwatch_bmp_router_up{router="%s"}' % router


def prefixes(router):
    return 'circuitwatch_bgp_prefixes{source="bmp",router="%s",peer="198.18.1.2"|view="adj-rib-in-pre"' % router


def takeover():
    """Two connections from one address with one sysName: the newer takes
    over; closing the older must leave the newer's state alone."""
    old = connect()
    old.sendall(initiation(b"edge-takeover") + peer_up() + route_mon(200, 1))
    if not wait_metric(prefixes(SRC), 200):
        return "old-session-not-seen"
    new = connect()
    new.sendall(initiation(b"edge-takeover") + peer_up() + route_mon(150, 2))
    if not wait_metric("circuitwatch_bgp_updates_received_total|" + 'router="%s"' % SRC, 2):
        return "new-session-not-seen"
    old.sendall(route_mon(50, 3))  # on the superseded connection: dropped
    wait_metric("circuitwatch_bmp_superseded_messages_dropped_total", 1, 5)
    old.close()  # the stale connection finally dies
    time.sleep(1.5)
    res = "up=%s prefixes=%s dropped=%s" % (metric(up(SRC)), metric(prefixes(SRC)),
                                            metric("circuitwatch_bmp_superseded_messages_dropped_total"))
    new.close()
    return res


def big():
    """Messages of 1 MiB and 16 MiB less a small margin, then a small one."""
    s = connect()
    s.sendall(initiation(b"big-router"))
    for size in (1 << 20, (16 << 20) - 64):
        s.sendall(big_initiation(size))
    s.sendall(peer_up() + route_mon(10, 4))
    ok = wait_metric(prefixes(SRC), 10)
    res = "accepted" if ok and metric(up(SRC)) == 1 else "dropped"
    s.close()
    return res


def silent():
    s = connect()
    t = closed_within(s, 20)
    return "open" if t is None else "%.1f" % t


def drip():
    """A started message dripped one byte per 100 ms."""
    s = connect()
    s.sendall(initiation(b"drip-router"))
    msg = route_mon(100, 5)
    start = time.time()
    s.settimeout(0.1)
    for b in msg:
        try:
            s.send(bytes([b]))
            if s.recv(1) == b"":
                break
        except socket.timeout:
            continue
        except OSError:
            break
    else:
        return "completed"
    return "%.1f" % (time.time() - start)


def hold():
    """Initiation, then silence for ARGS[0] seconds; prints whether the
    daemon kept the connection open."""
    s = connect()
    s.sendall(initiation(ARGS[1].encode() if len(ARGS) > 1 else b"quiet-router"))
    t = closed_within(s, float(ARGS[0]))
    return "open" if t is None else "closed"


def partial():
    """Initiation, then the header and 1 MiB of a 12 MiB message, held
    for ARGS[0] seconds; prints whether the daemon closed it."""
    s = connect()
    try:
        s.sendall(initiation(("partial-" + SRC).encode()))
        s.sendall(struct.pack("!BIB", 3, 12 << 20, 4) + b"\0" * (1 << 20))
    except OSError:
        return "closed"
    t = closed_within(s, float(ARGS[0]))
    return "open" if t is None else "closed"


print({"takeover": takeover, "big": big, "silent": silent, "drip": drip, "hold": hold,
       "partial": partial}[ACTION]())
