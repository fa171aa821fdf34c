#!/usr/bin/env bash
# Config files the daemon is handed, end to end (issue 12): a plan whose
# currency did not parse, named as a circuit's billing alternative, used to
# crash check-config, run and a SIGHUP reload (NULL strcmp); the config
# file, plans_file and billing files that are FIFOs or devices used to block
# the reader. Now: exit 2 with FILE:LINE:COLUMN, and a reload that fails
# keeps the running config.
source "$(dirname "$0")/lib.sh"
need curl; need python3

port=$(free_port)
base="http://127.0.0.1:$port"
STATE="$WORK/state"

# good_config FILE — billing on lo, plans m (metered) and u (unlimited).
# bad_config FILE  — the same with plan u's currency in lower case.
good_config() {
  cat > "$1" <<YAML
prometheus: {listen: "127.0.0.1:$port"}
bmp: {enabled: false}
probes: {enabled: false}
billing:
  state_dir: $STATE
  plans:
    - {name: m, currency: EUR, port_fees: [{bandwidth: 1Gbps, monthly: 1}], egress: [{zone: z, per_gb: 1}]}
    - {name: u, currency: ${2:-EUR}, unlimited: true, port_fees: [{bandwidth: 1Gbps, monthly: 1}]}
circuits:
  - id: c1
    provider: expressroute
    bandwidth: 1Gbps
    billing_plan: m
    links:
      primary:
        interface: lo
        peerings:
          - type: private
            neighbors:
              - address: 198.18.0.2
    billing: {zone: z, alternatives: [u]}
YAML
}
bad_config() { good_config "$1" eur; }

# --- check-config: exit 2 naming the file, line and column (was SIGSEGV)
bad_config "$WORK/bad.yaml"
"$CW_BIN" check-config "$WORK/bad.yaml" >"$WORK/out" 2>"$WORK/err"; rc=$?
check "check-config of the lowercase-currency alternative exits 2 (got $rc)" test "$rc" = 2
check "the error names FILE:LINE:COLUMN of the currency" \
  grep -q "^$WORK/bad.yaml:8:27: billing.plans\[1\].currency: expected an ISO 4217" "$WORK/err"
"$CW_BIN" run --config "$WORK/bad.yaml" >/dev/null 2>"$WORK/err"; rc=$?
check "run with it exits 2 (got $rc)" test "$rc" = 2

# --- SIGHUP with it: the daemon stays up on the old config
mkdir -p "$STATE"
good_config "$WORK/cw.yaml"
"$CW_BIN" check-config "$WORK/cw.yaml" >/dev/null
check "the good config is valid" test "$?" = 0
start_cw "$WORK/cw.log" run --config "$WORK/cw.yaml"
check "daemon becomes ready" wait_http "$base/-/ready"
check "billing runs for c1" until_true 10 sh -c \
  "curl -s '$base/metrics' | grep -q '^circuitwatch_billing_cycle_cost{circuit=\"c1\",plan=\"m\"'"
bad_config "$WORK/cw.yaml"
kill -HUP "$CW_PID"
check "the failed reload is counted" until_true 10 sh -c \
  "curl -s '$base/metrics' | grep -q '^circuitwatch_config_reloads_total{result=\"failure\"} 1$'"
check "the daemon is still running" kill -0 "$CW_PID"
curl -s "$base/metrics" > "$WORK/m.txt"
check "last reload flagged unsuccessful" grep -q '^circuitwatch_config_last_reload_successful 0$' "$WORK/m.txt"
check "the running config keeps its circuit" grep -q '^circuitwatch_circuit_info{circuit="c1"' "$WORK/m.txt"
check "the error is logged with its line and column" \
  grep -Eq 'config error.*line=8 column=27 error="billing.plans\[1\].currency' "$WORK/cw.log"
kill -TERM "$CW_PID"
wait_exit "$CW_PID" 15
check "SIGTERM: clean exit 0 (got $RC)" test "$RC" = 0

# --- files that are FIFOs: refused at once, never waited on (each command
# runs under timeout: a reader blocked on the FIFO fails the check)
mkfifo "$WORK/fifo.yaml"
timeout -s KILL 10 "$CW_BIN" check-config "$WORK/fifo.yaml" >/dev/null 2>"$WORK/err"; rc=$?
check "check-config on a FIFO exits 2 at once (got $rc)" test "$rc" = 2
check "it says not a regular file" grep -q "fifo.yaml: not a regular file (a FIFO)" "$WORK/err"
timeout -s KILL 10 "$CW_BIN" run --config "$WORK/fifo.yaml" >/dev/null 2>"$WORK/err"; rc=$?
check "run --config on a FIFO exits 2 at once (got $rc)" test "$rc" = 2
good_config "$WORK/plans-fifo.yaml"
sed -i "s|^  plans:|  plans_file: $WORK/fifo.yaml\n  plans:|" "$WORK/plans-fifo.yaml"
timeout -s KILL 10 "$CW_BIN" check-config "$WORK/plans-fifo.yaml" >/dev/null 2>"$WORK/err"; rc=$?
check "a FIFO as plans_file: exit 2 at once (got $rc)" test "$rc" = 2
check "the error names the plans_file" grep -q "fifo.yaml: not a regular file (a FIFO)" "$WORK/err"
# the TLS key and the billing state file are read when the daemon starts
good_config "$WORK/tls-fifo.yaml"
sed -i "s|^prometheus: {listen: \"127.0.0.1:$port\"}|prometheus: {listen: \"127.0.0.1:$port\", tls: {cert_file: $WORK/fifo.yaml, key_file: $WORK/fifo.yaml}}|" "$WORK/tls-fifo.yaml"
timeout -s KILL 10 "$CW_BIN" run --config "$WORK/tls-fifo.yaml" >/dev/null 2>"$WORK/err"; rc=$?
check "a FIFO as the TLS files: run fails at once (got $rc)" test "$rc" != 0 -a "$rc" != 137
check "it logs why" grep -q 'error="not a regular file (a FIFO)"' "$WORK/err"
rm -rf "$STATE" && mkdir -p "$STATE" && mkfifo "$STATE/billing-state.json"
good_config "$WORK/cw.yaml"
start_cw "$WORK/cw2.log" run --config "$WORK/cw.yaml"
check "a FIFO as the billing state file: the daemon starts" wait_http "$base/-/ready"
check "the FIFO is kept aside as a corrupt state" \
  until_true 10 grep -q 'not a regular file (a FIFO)' "$WORK/cw2.log"
# a reload from a FIFO: refused at once, the daemon serves on
rm -f "$WORK/cw.yaml" && mkfifo "$WORK/cw.yaml"
kill -HUP "$CW_PID"
check "SIGHUP with a FIFO as the config: the reload fails at once" until_true 10 sh -c \
  "curl -s '$base/metrics' | grep -q '^circuitwatch_config_reloads_total{result=\"failure\"} 1$'"
check "it logs why" grep -q 'error="not a regular file (a FIFO)"' "$WORK/cw2.log"
check "and still serves c1" sh -c "curl -s '$base/metrics' | grep -q '^circuitwatch_circuit_info{circuit=\"c1\"'"
kill -TERM "$CW_PID"
wait_exit "$CW_PID" 15
check "SIGTERM: clean exit 0 (got $RC)" test "$RC" = 0

finish
