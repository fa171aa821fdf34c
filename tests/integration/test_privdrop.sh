#!/bin/bash
# test_privdrop.sh — `run --user nobody` started as root (issue 12): after
# start it runs as nobody in every thread, with CAP_NET_RAW alone (raw
# ICMP probes) in the loop thread and nothing in the others, no_new_privs,
# a bounding set of CAP_NET_RAW; the ICMP probe opened before the drop
# keeps getting replies, a reload adding a probe that needs a new raw
# socket works, live capture on lo keeps counting, billing state is saved
# into a directory created for the user; an unknown user, a state
# directory the user cannot write, and --user as a non-root user naming
# someone else refuse to start (exit 2); an unreadable config on reload is
# named and the daemon keeps running.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (it drops from root to nobody)"
getent passwd nobody >/dev/null || skip "no user nobody"
need curl
need setpriv
# the datagram ICMP socket open to nobody would need no capability at all
read -r lo hi < /proc/sys/net/ipv4/ping_group_range
[ "$lo" -le 65534 ] && [ "$hi" -ge 65534 ] &&
  skip "net.ipv4.ping_group_range ($lo $hi) lets nobody ping without CAP_NET_RAW"

NOBODY_UID=$(id -u nobody)
PORT=$(free_port)
BMP=$(free_port)
base="http://127.0.0.1:$PORT"
chmod 755 "$WORK" # nobody reads the config on reload
CFG="$WORK/cw.yaml"
STATE="$WORK/state" # missing: created for the user

LO4='          - {name: lo4, type: icmp, target: 127.0.0.1, interval: 100ms}'
# write_cfg [EXTRA PROBE LINES] [BILLING STATE DIR] [FIRST PROBE LINE]
write_cfg() {
  cat > "$CFG" <<YAML
prometheus: {listen: "127.0.0.1:$PORT"}
bmp: {listen: "127.0.0.1:$BMP"}
ifstats: {interval: 1s}
capture: {enabled: true, interfaces: [lo]}
billing:
  state_dir: ${2:-$STATE}
  persist_interval: 1s
  plans:
    - {name: flat, currency: USD, unlimited: true, port_fees: [{bandwidth: 1Gbps, monthly: 5000}]}
circuits:
  - id: er-priv
    provider: expressroute
    sku: {tier: standard, data_plan: unlimited}
    bandwidth: 1Gbps
    billing_plan: flat
    links:
      primary:
        interface: lo
        peerings:
          - {type: private, local_asn: 65010, neighbors: [{address: 198.18.10.2}]}
        probes:
${3:-$LO4}
${1:-}
YAML
  [ -z "$KAFKA" ] || printf '%s\n' "$KAFKA" >> "$CFG"
  chmod 644 "$CFG"
}
# librdkafka's threads join the thread checks; no broker answers on port 9
KAFKA="kafka: {enabled: true, brokers: [\"127.0.0.1:9\"], spool_dir: $WORK/kspool}"

val() { # val NAME LABEL-SUBSTRING: the first matching sample, or "missing"
  curl -s "$base/metrics" | grep -E "^$1[{ ]" | grep -F "$2" | awk '{print $NF; f=1; exit} END {if (!f) print "missing"}'
}
gt() { [ "$1" != missing ] && [ "$2" != missing ] && [ "${1%.*}" -gt "${2%.*}" ]; }
status() { sed -n "s/^$2:[[:space:]]*//p" "$1"; }
# capability sets are hex bit masks; CAP_NET_RAW is bit 13
NET_RAW=$((1 << 13))
caps_eq() { [ $((16#$1)) -eq "$2" ]; }
caps_within() { [ $(( 16#$1 & ~$2 )) -eq 0 ]; }
ids_are() { # every one of the four (real, effective, saved, fs) is $2
  [ "$(wc -w <<<"$1")" = 4 ] || return 1
  for v in $1; do [ "$v" = "$2" ] || return 1; done
}
shopt -s nullglob

# ---- 1. the drop --------------------------------------------------------------
write_cfg
start_cw "$WORK/cw.log" run --config "$CFG" --user nobody
check "metrics served" wait_http "$base/metrics"
check "says it dropped, keeping cap_net_raw for the raw ICMP probes" until_true 10 \
  grep -q 'msg="privileges dropped" user=nobody uid='"$NOBODY_UID"' .*capabilities=cap_net_raw needed_by="raw ICMP' "$WORK/cw.log"
S=/proc/$CW_PID/status
check "running" test -r "$S"
check "uids all nobody ($(status "$S" Uid | tr -s '\t' ' '))" ids_are "$(status "$S" Uid)" "$NOBODY_UID"
gid=$(id -g nobody)
check "gids all nobody's group ($(status "$S" Gid | tr -s '\t' ' '))" ids_are "$(status "$S" Gid)" "$gid"
check "no uid or gid 0 left" sh -c "! grep -E '^(Uid|Gid):.*\b0\b' $S"
check "supplementary groups are nobody's ($(status "$S" Groups))" test "$(status "$S" Groups | xargs)" = "$(id -G nobody | xargs)"
check "CapEff is CAP_NET_RAW only ($(status "$S" CapEff))" caps_eq "$(status "$S" CapEff)" $NET_RAW
check "CapPrm is CAP_NET_RAW only ($(status "$S" CapPrm))" caps_eq "$(status "$S" CapPrm)" $NET_RAW
check "CapBnd is CAP_NET_RAW only ($(status "$S" CapBnd))" caps_eq "$(status "$S" CapBnd)" $NET_RAW
check "CapInh empty" caps_eq "$(status "$S" CapInh)" 0
check "CapAmb empty" caps_eq "$(status "$S" CapAmb)" 0
check "NoNewPrivs 1" test "$(status "$S" NoNewPrivs)" = 1
nthreads=0
for t in /proc/"$CW_PID"/task/*; do
  [ "$t" = "/proc/$CW_PID/task/$CW_PID" ] && continue
  nthreads=$((nthreads + 1))
  n=$(status "$t/status" Name)
  check "thread $n: uids nobody" ids_are "$(status "$t/status" Uid)" "$NOBODY_UID"
  check "thread $n: no capabilities ($(status "$t/status" CapPrm))" caps_eq "$(status "$t/status" CapPrm)" 0
  check "thread $n: bounding set within CAP_NET_RAW" caps_within "$(status "$t/status" CapBnd)" $NET_RAW
  check "thread $n: NoNewPrivs 1" test "$(status "$t/status" NoNewPrivs)" = 1
done
check "threads besides the loop thread were looked at ($nthreads)" test "$nthreads" -ge 1

# the probe's raw socket was opened as root: it must go on answering
published() { [ "$(val circuitwatch_capture_packets_total '')" != missing ] &&
  [ "$(val circuitwatch_probe_received_total 'probe="lo4"')" != missing ]; }
until_true 10 published
r0=$(val circuitwatch_probe_received_total 'probe="lo4"')
c0=$(val circuitwatch_capture_packets_total '')
sleep 2
r1=$(val circuitwatch_probe_received_total 'probe="lo4"')
c1=$(val circuitwatch_capture_packets_total '')
check "ICMP probe replies after the drop ($r0 -> $r1)" gt "$r1" "$r0"
check "live capture on lo still counts after the drop ($c0 -> $c1)" gt "$c1" "$c0"
check "billing state dir created for nobody" test "$(stat -c %u "$STATE" 2>/dev/null)" = "$NOBODY_UID"
check "billing state saved by nobody" until_true 10 test -f "$STATE/billing-state.json"
check "Kafka spool dir created for nobody" test "$(stat -c %u "$WORK/kspool" 2>/dev/null)" = "$NOBODY_UID"

# ---- 2. reload: a probe on a new raw socket (another DSCP) ----------------------
write_cfg '          - {name: lo4-ef, type: icmp, target: 127.0.0.1, interval: 100ms, dscp: 46}'
kill -HUP "$CW_PID"
check "reload succeeded" until_true 10 sh -c "curl -s '$base/metrics' | grep -q '^circuitwatch_config_reloads_total{result=\"success\"} 1$'"
check "the new probe's raw socket opened after the drop gets replies" until_true 10 \
  sh -c "v=\$(curl -s '$base/metrics' | grep -E '^circuitwatch_probe_received_total\\{.*probe=\"lo4-ef\"' | awk '{print \$NF}'); [ \"\${v:-0}\" -gt 0 ]"
check "no socket permission error" sh -c "! grep -q 'cannot open a raw ICMP socket' '$WORK/cw.log'"

# ---- 3. reload of a config nobody cannot read: named, and the daemon goes on ----
chmod 600 "$CFG"
kill -HUP "$CW_PID"
check "unreadable config counted as a failed reload" until_true 10 sh -c "curl -s '$base/metrics' | grep -q '^circuitwatch_config_reloads_total{result=\"failure\"} 1$'"
check "the log says the file is not readable by nobody" grep -q 'configuration file is not readable by the user the daemon runs as.*user=nobody' "$WORK/cw.log"
check "still serving" wait_http "$base/metrics"
chmod 644 "$CFG"
kill -TERM "$CW_PID"
wait_exit "$CW_PID" 20
check "clean exit as nobody (rc $RC)" test "$RC" = 0

KAFKA=""

# ---- 4. daemon.user from the config; --user wins over it -----------------------
write_cfg
printf 'daemon: {user: nobody}\n' >> "$CFG"
start_cw "$WORK/cfguser.log" run --config "$CFG"
check "daemon.user: nobody drops too" until_true 10 grep -q 'msg="privileges dropped" user=nobody' "$WORK/cfguser.log"
kill -TERM "$CW_PID"; wait_exit "$CW_PID" 20
sed -i 's/^daemon: .*/daemon: {user: cw-absent-user}/' "$CFG"
start_cw "$WORK/cliwins.log" run --config "$CFG" --user nobody
check "--user wins over daemon.user" until_true 10 grep -q 'msg="privileges dropped" user=nobody' "$WORK/cliwins.log"
kill -TERM "$CW_PID"; wait_exit "$CW_PID" 20

# ---- 5. no ICMP probe: nothing kept; SO_BINDTODEVICE (on lo) needs nothing since 5.7 ----
TCP1="          - {name: tcp1, type: tcp, target: 127.0.0.1, port: $PORT, interval: 100ms}"
write_cfg "" "" "$TCP1"
start_cw "$WORK/tcp.log" run --config "$CFG" --user nobody
check "dropped with no capability" until_true 10 grep -q 'msg="privileges dropped" user=nobody .*capabilities=none' "$WORK/tcp.log"
S=/proc/$CW_PID/status
for set in CapEff CapPrm CapBnd CapAmb; do
  check "$set empty ($(status "$S" $set))" caps_eq "$(status "$S" $set)" 0
done
kmaj=$(uname -r | cut -d. -f1); kmin=$(uname -r | cut -d. -f2)
if [ $((kmaj * 1000 + kmin)) -ge 5007 ]; then
  check "TCP probes bound to lo connect after the drop, without capabilities" until_true 10 \
    sh -c "v=\$(curl -s '$base/metrics' | grep -E '^circuitwatch_probe_received_total\\{.*probe=\"tcp1\"' | awk '{print \$NF}'); [ \"\${v:-0}\" -gt 2 ]"
fi
write_cfg "$LO4" "" "$TCP1"
kill -HUP "$CW_PID"
check "a reload adding an ICMP probe says CAP_NET_RAW was given up" until_true 10 \
  grep -q 'level=error msg="the new configuration needs CAP_NET_RAW, given up at start.*needed_by="raw ICMP' "$WORK/tcp.log"
kill -TERM "$CW_PID"; wait_exit "$CW_PID" 20

# ---- 6. refusals ------------------------------------------------------------------
write_cfg
start_cw "$WORK/nouser.log" run --config "$CFG" --user "cw-no-such-user-$$"
wait_exit "$CW_PID" 20
check "an unknown user exits 2 (rc $RC)" test "$RC" = 2
check "and says the user does not exist" grep -q "the user to run as does not exist.*user=cw-no-such-user-$$" "$WORK/nouser.log"
check "and opened nothing" sh -c "! grep -q 'prometheus exporter listening' '$WORK/nouser.log'"

mkdir -m 755 "$WORK/rootstate"
write_cfg "" "$WORK/rootstate"
start_cw "$WORK/ro.log" run --config "$CFG" --user nobody
wait_exit "$CW_PID" 20
check "a state dir nobody cannot write exits 2 (rc $RC)" test "$RC" = 2
check "and names the key and the directory" grep -q "directory not writable by the user the daemon drops to.*key=billing.state_dir dir=$WORK/rootstate user=nobody" "$WORK/ro.log"

mkdir -m 700 "$WORK/spool"
touch "$WORK/spool/00000000000000000001.seg" && chmod 600 "$WORK/spool/00000000000000000001.seg"
chown -R nobody "$WORK/spool"
chown root "$WORK/spool/00000000000000000001.seg"
write_cfg
printf 'kafka: {enabled: true, brokers: ["127.0.0.1:9"], spool_dir: %s}\n' "$WORK/spool" >> "$CFG"
start_cw "$WORK/spool.log" run --config "$CFG" --user nobody
wait_exit "$CW_PID" 20
check "a Kafka spool with a file nobody cannot read exits 2 (rc $RC)" test "$RC" = 2
check "and names the key, the directory and the file" grep -q "not readable and writable by the user it drops to.*key=kafka.spool_dir dir=$WORK/spool user=nobody files=1 first=00000000000000000001.seg" "$WORK/spool.log"

write_cfg
setpriv --reuid nobody --regid "$gid" --clear-groups "$CW_BIN" run --config "$CFG" --user root \
  2>"$WORK/nonroot.log" &
PIDS+=($!)
wait_exit $! 20
check "--user root as nobody exits 2 (rc $RC)" test "$RC" = 2
check "and says only root can change user" grep -q 'only root can change to another user' "$WORK/nonroot.log"

finish
