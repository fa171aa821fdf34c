#!/usr/bin/env bash
# The BMP listener over real TCP, IPv4 and IPv6: the allowlist, bmp.max_routers,
# bmp.max_message_size, an unsupported BMP version, a message split into
# single bytes, and a router that disconnects.
source "$(dirname "$0")/lib.sh"
need curl; need python3

port=$(free_port)
bport=$(free_port)
base="http://127.0.0.1:$port"
cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$port"}
bmp: {listen: ":$bport", allow: ["127.0.0.1/32", "::1/128"], max_routers: 1, max_message_size: 65536}
YAML
start_cw "$WORK/cw.log" run --config "$WORK/cw.yaml"
check "daemon ready" wait_http "$base/-/ready"

# router.py ACTION — a scripted router on 127.0.0.1 (or 127.0.0.2)
router() {
  python3 - "$bport" "$@" <<'PY'
import socket, struct, sys, time
port, action = int(sys.argv[1]), sys.argv[2]
src = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
def bmp(t, body): return struct.pack("!BIB", 3, 6 + len(body), t) + body
def tlv(t, v): return struct.pack("!HH", t, len(v)) + v
init = bmp(4, tlv(2, b"lab-edge") + tlv(1, b"scripted router"))
fam = socket.AF_INET6 if ":" in src else socket.AF_INET
s = socket.socket(fam); s.bind((src, 0)); s.connect((src if fam == socket.AF_INET6 else "127.0.0.1", port))
if action == "bytewise":      # one message, one byte per write
    for b in init:
        s.send(bytes([b])); time.sleep(0.002)
    time.sleep(1.5)
elif action == "hold":        # stay connected
    s.sendall(init); time.sleep(float(sys.argv[4]) if len(sys.argv) > 4 else 3)
elif action == "too-long":    # a header announcing a 1 MiB message
    s.sendall(init + struct.pack("!BIB", 3, 1 << 20, 0))
elif action == "version1":    # a BMP v1 header
    s.sendall(init + bytes([1, 0, 0, 0, 0, 0, 0, 0]))
if action in ("too-long", "version1", "refused"):
    s.settimeout(5)
    try:
        closed = s.recv(1) == b""
    except (ConnectionResetError, socket.timeout) as e:
        closed = not isinstance(e, socket.timeout)
    print("closed" if closed else "open")
s.close()
PY
}
metric() { curl -s "$base/metrics" | grep -F "$1" | awk '{print $NF}'; }
router_info() { curl -s "$base/metrics" | grep -q '^circuitwatch_bmp_router_info{router="127.0.0.1",sys_name="lab-edge",sys_descr="scripted router"} 1$'; }

router bytewise
check "a message written one byte at a time is decoded" until_true 5 router_info
check "router gone after the script closed" until_true 5 sh -c "curl -s '$base/metrics' | grep -q '^circuitwatch_bmp_router_up{router=\"127.0.0.1\"} 0$'"

router bytewise ::1
check "IPv6 on the same dual-stack listener" until_true 5 sh -c "curl -s '$base/metrics' | grep -q '^circuitwatch_bmp_router_info{router=\"::1\",sys_name=\"lab-edge\"'"

out=$(router refused 127.0.0.2)
check "a source outside bmp.allow is closed at once" test "$out" = closed
check "refusal counted as not_allowed" until_true 5 sh -c "[ \"\$(curl -s '$base/metrics' | grep -F 'circuitwatch_bmp_connections_refused_total{reason=\"not_allowed\"}' | awk '{print \$NF}')\" = 1 ]"

router hold 127.0.0.1 3 &
holder=$!
until_true 5 sh -c "curl -s '$base/metrics' | grep -q '^circuitwatch_bmp_router_up{router=\"127.0.0.1\"} 1$'"
out=$(router refused 127.0.0.1)
check "a second router over bmp.max_routers=1 is refused" test "$out" = closed
check "refusal counted as too_many_routers" until_true 5 sh -c "curl -s '$base/metrics' | grep -q 'reason=\"too_many_routers\"} 1$'"
wait "$holder"

out=$(router too-long)
check "a message over bmp.max_message_size closes the session" test "$out" = closed
check "counted as length_too_long" until_true 5 sh -c "curl -s '$base/metrics' | grep -q 'circuitwatch_bmp_parse_errors_total{router=\"127.0.0.1\",reason=\"length_too_long\"} 1$'"
out=$(router version1)
check "another BMP version closes the session" test "$out" = closed
check "counted as unsupported_version" until_true 5 sh -c "curl -s '$base/metrics' | grep -q 'reason=\"unsupported_version\"} 1$'"
check "connections counted" until_true 5 sh -c "curl -s '$base/metrics' | grep -q '^circuitwatch_bmp_router_connections_total{router=\"127.0.0.1\"} 4$'"
check "daemon still ready after all that" test "$(curl -s -o /dev/null -w '%{http_code}' "$base/-/ready")" = 200

kill -TERM "$CW_PID"
wait_exit "$CW_PID" 15; rc=$RC
check "SIGTERM: clean exit 0" test "$rc" = 0
finish
