#!/usr/bin/env bash
# `circuitwatch reflect`: a STAMP Session-Reflector (RFC 8762) on loopback,
# driven by an independent Session-Sender written here in Python (struct
# module, from the RFC layouts): reply fields, symmetric size, TTL / hop
# limit, held replies (--delay, --delay-jitter, order kept), malformed
# packets ignored and counted, argument errors, clean SIGTERM.
source "$(dirname "$0")/lib.sh"
need python3

cat > "$WORK/sender.py" <<'PY'
"""A minimal STAMP Session-Sender (RFC 8762 §4.2.1 / §4.3.1, unauthenticated)."""
import socket, struct, sys, time

NTP_UNIX = 2208988800
TEST = "!IIIHH"            # seq, ts sec, ts frac, error estimate, SSID (+28 MBZ)
REPLY = "!IIIHHIIIIIHHB3x"  # RFC 8762 §4.3.1, 44 bytes

def ntp_now():
    t = time.time()
    return int(t) + NTP_UNIX, int((t % 1) * 2**32)

def ntp_float(sec, frac):
    return sec + frac / 2**32

def sock(family, ttl):
    s = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    else:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)
    s.settimeout(2.0)
    return s

def test_packet(seq, length, ssid=0xbeef, err=0x8001):
    sec, frac = ntp_now()
    pkt = struct.pack(TEST, seq, sec, frac, err, ssid) + bytes(28)
    # padding is not all zero: the reflector must not care
    return pkt + bytes((i * 7) & 0xff for i in range(length - 44)), (sec, frac)

def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)

def fields(host, port, family):
    """Reply fields of packets of several sizes with TTL 255 (and 200)."""
    s = sock(family, 255)
    for seq, length in ((1, 44), (2, 45), (3, 128), (0xffffffff, 1472)):
        pkt, (sec, frac) = test_packet(seq, length)
        s.sendto(pkt, (host, port))
        data, _ = s.recvfrom(4096)
        if len(data) != length:
            fail(f"reply to {length} bytes is {len(data)} bytes")
        r = struct.unpack(REPLY, data[:44])
        (rseq, tsec, tfrac, rerr, ssid, rxsec, rxfrac, sseq, ssec, sfrac, serr, mbz, ttl) = r
        if sseq != seq or rseq != seq:
            fail(f"sequence numbers {rseq}/{sseq}, sent {seq}")
        if (ssec, sfrac) != (sec, frac):
            fail("sender timestamp not copied")
        if serr != 0x8001 or ssid != 0xbeef:
            fail(f"sender error estimate {serr:#x} / SSID {ssid:#x} not copied")
        if ttl != 255:
            fail(f"sender TTL {ttl}, sent with 255")
        if mbz != 0 or data[41:44] != bytes(3) or any(data[44:]):
            fail("MBZ or padding of the reply not zero")
        rx, tx, st = ntp_float(rxsec, rxfrac), ntp_float(tsec, tfrac), ntp_float(sec, frac)
        if not (st <= rx + 1e-6 and rx <= tx and tx - st < 1.0):
            fail(f"timestamps out of order: sent {st} rx {rx} tx {tx}")
        if rerr & 0x3fff == 0:
            fail("reflector error estimate has a zero multiplier (RFC 4656 §4.1.2)")
    s2 = sock(family, 200)
    pkt, _ = test_packet(7, 44)
    s2.sendto(pkt, (host, port))
    data, _ = s2.recvfrom(4096)
    if data[40] != 200:
        fail(f"sender TTL {data[40]}, sent with 200")
    print("fields ok")

def garbage(host, port, family):
    """Short and oversize datagrams get no reply; a good one still does."""
    s = sock(family, 64)
    for n in (0, 1, 14, 41, 43):
        s.sendto(b"\x01" * n, (host, port))
    s.sendto(b"\x02" * 1500, (host, port))  # larger than the 1472-byte cap
    s.settimeout(0.3)
    try:
        data, _ = s.recvfrom(4096)
        fail(f"a reply ({len(data)} bytes) to a malformed packet")
    except socket.timeout:
        pass
    s.settimeout(2.0)
    pkt, _ = test_packet(42, 44)
    s.sendto(pkt, (host, port))
    data, _ = s.recvfrom(4096)
    if struct.unpack("!I", data[24:28])[0] != 42:
        fail("no reply after the garbage")
    print("garbage ok")

def delay(host, port, family, lo, hi, count):
    """Each reply is held: the round trip is in [lo, hi), and the reply's
    timestamps put the hold on the path, not in the reflector (its
    transmit timestamp is when it was queued: residence < a quarter of it)."""
    s = sock(family, 64)
    for seq in range(count):
        pkt, _ = test_packet(seq, 44)
        t0 = time.monotonic()
        s.sendto(pkt, (host, port))
        data, _ = s.recvfrom(4096)
        rtt = time.monotonic() - t0
        r = struct.unpack(REPLY, data)
        held = ntp_float(r[1], r[2]) - ntp_float(r[5], r[6])
        if not (lo <= rtt < hi):
            fail(f"round trip {rtt * 1000:.1f} ms outside [{lo * 1000:.0f}, {hi * 1000:.0f}) ms")
        # the hold (lo, at least 200 ms here) must not show as residence;
        # what does is the time from the kernel's receive timestamp to the
        # queue, a few ms, more on a loaded machine
        if not (0 <= held < lo / 4):
            fail(f"reflector residence {held * 1000:.1f} ms: the hold must count as path delay")
    print("delay ok")

def burst(host, port, family, count, lo, hi):
    """A burst with jitter: all answered, in the order sent, within [lo, hi)."""
    s = sock(family, 64)
    sent = {}
    for seq in range(count):
        pkt, _ = test_packet(seq, 44)
        sent[seq] = time.monotonic()
        s.sendto(pkt, (host, port))
    order = []
    for _ in range(count):
        data, _ = s.recvfrom(4096)
        seq = struct.unpack("!I", data[24:28])[0]
        rtt = time.monotonic() - sent[seq]
        if not (lo <= rtt < hi):
            fail(f"seq {seq}: round trip {rtt * 1000:.1f} ms outside [{lo * 1000:.0f}, {hi * 1000:.0f}) ms")
        order.append(seq)
    if order != list(range(count)):
        fail(f"replies out of order: {order}")
    print("burst ok")

def source(host, port, family):
    """The reply comes from the address the test was sent to."""
    s = sock(family, 64)
    pkt, _ = test_packet(9, 44)
    s.sendto(pkt, (host, port))
    data, addr = s.recvfrom(4096)
    if addr[0] != host:
        fail(f"reply from {addr[0]}, test sent to {host}")
    print("source ok")

mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
if mode == "fields":
    fields(host, port, family)
elif mode == "source":
    source(host, port, family)
elif mode == "garbage":
    garbage(host, port, family)
elif mode == "delay":
    delay(host, port, family, float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]))
elif mode == "burst":
    burst(host, port, family, int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]))
PY
send() { python3 "$WORK/sender.py" "$@"; }

# start_reflector NAME ARGS... — runs reflect with stdout/stderr in
# $WORK/NAME.out / .log, waits for it to listen; sets RPID.
start_reflector() {
  local name=$1; shift
  "$CW_BIN" reflect "$@" >"$WORK/$name.out" 2>"$WORK/$name.log" &
  RPID=$!
  PIDS+=("$RPID")
  until_true 10 grep -q "reflect: listening" "$WORK/$name.log"
}

# stop_reflector NAME — SIGTERM; checks exit 0 and that counters were printed.
stop_reflector() {
  kill -TERM "$RPID"
  wait_exit "$RPID" 10
  check "$1: SIGTERM exits 0 (rc=$RC)" test "$RC" = 0
  check "$1: counters printed at exit" grep -q "^received=" "$WORK/$1.out"
}

# counter NAME KEY — a counter of the exit line.
counter() { sed -n "s/.*\b$2=\([0-9]*\).*/\1/p" "$WORK/$1.out"; }

# five UDP ports free right now (one Python start instead of five: Python
# starts slowly on a loaded machine)
read -r -a PORTS < <(python3 - <<'PY'
import socket
try:  # a dual-stack bind proves the port free for both families
    socks = [socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) for _ in range(5)]
    for s in socks:
        s.bind(("::", 0))
except OSError:
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(5)]
    for s in socks:
        s.bind(("0.0.0.0", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
)
[ "${#PORTS[@]}" = 5 ] || { bad "no free UDP ports"; finish; }

# ---- arguments ----
"$CW_BIN" reflect 2>/dev/null; rc=$?
check "reflect without --listen exits 2" test "$rc" = 2
"$CW_BIN" reflect --listen nowhere:1 2>/dev/null; rc=$?
check "reflect with a bad address exits 2" test "$rc" = 2
"$CW_BIN" reflect --listen 127.0.0.1:1 --delay -5 2>/dev/null; rc=$?
check "reflect with a negative delay exits 2" test "$rc" = 2
"$CW_BIN" run --delay 10 2>/dev/null; rc=$?
check "--delay outside reflect exits 2" test "$rc" = 2
check "--help lists reflect" bash -c "'$CW_BIN' --help | grep -q 'reflect --listen'"

# ---- IPv4: fields, TTL, garbage, counters ----
port=${PORTS[0]}
start_reflector v4 --listen "127.0.0.1:$port"
check "reflector listens on 127.0.0.1:$port" grep -q "reflect: listening" "$WORK/v4.log"
check "IPv4 reply fields (seq, timestamps, SSID, TTL, symmetric size)" send fields 127.0.0.1 "$port"
check "malformed packets are ignored" send garbage 127.0.0.1 "$port"

# a second reflector on the same port cannot bind: exit 1 with a reason
"$CW_BIN" reflect --listen "127.0.0.1:$port" >/dev/null 2>"$WORK/busy.log"; rc=$?
check "port in use exits 1" test "$rc" = 1
check "port in use is logged" grep -q "cannot bind" "$WORK/busy.log"

stop_reflector v4
# fields: 5 answered; garbage: 6 malformed + 1 answered
check "received counts every datagram ($(counter v4 received))" test "$(counter v4 received)" = 12
check "replied counts the answers ($(counter v4 replied))" test "$(counter v4 replied)" = 6
check "malformed counts the garbage ($(counter v4 malformed))" test "$(counter v4 malformed)" = 6
check "kernel receive timestamps used" test "$(counter v4 kernel_timestamps)" = 12

# ---- wildcard bind: replies from the address the test was sent to ----
port=${PORTS[1]}
start_reflector any --listen "0.0.0.0:$port"
check "0.0.0.0: the reply to 127.0.0.2 comes from 127.0.0.2" send source 127.0.0.2 "$port"
stop_reflector any

# ---- IPv6 (hop limit) and dual stack, when loopback has ::1 ----
if python3 -c 'import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::1", 0))' 2>/dev/null; then
  port=${PORTS[2]}
  start_reflector v6 --listen "[::]:$port"
  check "IPv6 reply fields (hop limit as sender TTL)" send fields ::1 "$port"
  check "[::] also answers IPv4 (mapped) senders" send fields 127.0.0.1 "$port"
  check "[::]: the reply to ::1 comes from ::1" send source ::1 "$port"
  stop_reflector v6
else
  echo "skip - IPv6 loopback not available"
fi

# ---- held replies ----
port=${PORTS[3]}
start_reflector delay --listen "127.0.0.1:$port" --delay 200
check "--delay 200: replies held >= 200 ms and < 400 ms" send delay 127.0.0.1 "$port" 0.200 0.400 5
stop_reflector delay

port=${PORTS[4]}
start_reflector jitter --listen "127.0.0.1:$port" --delay 100 --delay-jitter 50
check "--delay 100 --delay-jitter 50: a burst of 30 in order within [50, 300) ms" \
  send burst 127.0.0.1 "$port" 30 0.050 0.300
stop_reflector jitter
check "jitter: all 30 replied, none dropped" \
  test "$(counter jitter replied)" = 30 -a "$(counter jitter dropped)" = 0

finish
