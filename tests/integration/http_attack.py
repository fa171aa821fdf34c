#!/usr/bin/env python3
"""Attack clients for test_http_guard.sh (loopback only).

slowloris PORT N FIRST_HOST DRIP_S HOLD_S
    N connections from 127.0.0.FIRST_HOST.. (one per address), each sending a
    request line and then one header byte every DRIP_S seconds, for at most
    HOLD_S seconds. Prints "closed K/N max_life S": how many the server closed
    and the longest time one stayed open.
flood PORT N HOST HOLD_S
    N idle connections from 127.0.0.HOST; prints "closed_fast K/N": how many the
    server closed within 1 s.
hammer PORT N USER SECONDS
    N threads sending wrong passwords for USER for SECONDS; prints the count.
tlsdrip PORT HOLD_S
    One connection dripping a TLS handshake record (header, then a byte every
    0.2 s); prints "closed_after S" or "open_after S".
pair PORT AUTH1_B64 AUTH2_B64 COUNT
    COUNT rounds of one request with each header, alternating so that the
    machine's load weighs on both alike; prints "medians M1 M2".
time PORT AUTH_B64 COUNT
    COUNT sequential GET /metrics with "Authorization: Basic AUTH_B64" (empty:
    none); prints each status and duration, then "median S".
"""
import base64
import socket
import statistics
import sys
import threading
import time


def conn_from(host, port):
    s = socket.socket()
    s.bind((host, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    return s


def slowloris(port, n, first, drip, hold):
    socks, opened = [], []
    for i in range(n):
        s = conn_from("127.0.0.%d" % (first + i), port)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        s.setblocking(False)
        socks.append(s)
        opened.append(time.monotonic())
    closed = [None] * n
    start = time.monotonic()
    while time.monotonic() - start < hold and None in closed:
        for i, s in enumerate(socks):
            if closed[i] is not None:
                continue
            try:
                if s.recv(4096) == b"":
                    closed[i] = time.monotonic()
                    continue
            except BlockingIOError:
                pass
            except OSError:
                closed[i] = time.monotonic()
                continue
            try:
                s.send(b"X")
            except OSError:
                closed[i] = time.monotonic()
        time.sleep(drip)
    now = time.monotonic()
    life = max((c if c is not None else now) - o for c, o in zip(closed, opened))
    k = sum(c is not None for c in closed)
    print("closed %d/%d max_life %.1f" % (k, n, life))
    for s in socks:
        s.close()


def flood(port, n, host, hold):
    socks = [conn_from("127.0.0.%d" % host, port) for _ in range(n)]
    time.sleep(1)
    k = 0
    for s in socks:
        s.setblocking(False)
        try:
            if s.recv(1) == b"":
                k += 1
        except BlockingIOError:
            pass
        except OSError:
            k += 1
    print("closed_fast %d/%d" % (k, n))
    sys.stdout.flush()
    time.sleep(hold)
    for s in socks:
        s.close()


def get(port, auth, host="127.0.0.1"):
    s = conn_from(host, port)
    req = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    if auth:
        req += "Authorization: Basic %s\r\n" % auth
    s.sendall((req + "\r\n").encode())
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    return int(data.split(b" ", 2)[1]) if data else 0


def hammer(port, n, user, seconds):
    auth = base64.b64encode(("%s:wrong-guess" % user).encode()).decode()
    count = [0]
    end = time.monotonic() + seconds

    def loop():
        while time.monotonic() < end:
            try:
                get(port, auth, "127.0.0.250")
                count[0] += 1
            except OSError:
                time.sleep(0.05)

    ts = [threading.Thread(target=loop) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("hammer requests %d" % count[0])


def timed(port, auth, count):
    ds = []
    for _ in range(count):
        t0 = time.monotonic()
        code = get(port, auth)
        ds.append(time.monotonic() - t0)
        print("status %d %.3f" % (code, ds[-1]))
    print("median %.3f" % statistics.median(ds))


def tlsdrip(port, hold):
    s = conn_from("127.0.0.1", port)
    s.sendall(b"\x16\x03\x01\x02\x00")  # handshake record of 512 bytes
    s.setblocking(False)
    start = time.monotonic()
    while time.monotonic() - start < hold:
        try:
            if s.recv(4096) == b"":
                break
        except BlockingIOError:
            pass
        except OSError:
            break
        try:
            s.send(b"\x01")
        except OSError:
            break
        time.sleep(0.2)
    life = time.monotonic() - start
    print("%s %.1f" % ("closed_after" if life < hold else "open_after", life))
    s.close()


def pair(port, auth1, auth2, count):
    d1, d2 = [], []
    for _ in range(count):
        for auth, ds in ((auth1, d1), (auth2, d2)):
            t0 = time.monotonic()
            get(port, auth)
            ds.append(time.monotonic() - t0)
    print("medians %.3f %.3f" % (statistics.median(d1), statistics.median(d2)))


if __name__ == "__main__":
    cmd, port = sys.argv[1], int(sys.argv[2])
    a = sys.argv[3:]
    if cmd == "slowloris":
        slowloris(port, int(a[0]), int(a[1]), float(a[2]), float(a[3]))
    elif cmd == "flood":
        flood(port, int(a[0]), int(a[1]), float(a[2]))
    elif cmd == "hammer":
        hammer(port, int(a[0]), a[1], float(a[2]))
    elif cmd == "tlsdrip":
        tlsdrip(port, float(a[0]))
    elif cmd == "pair":
        pair(port, a[0], a[1], int(a[2]))
    elif cmd == "time":
        timed(port, a[0], int(a[1]))
