#!/usr/bin/env bash
# The command line: version, help, check-config, exit codes, bad config,
# port in use, JSON logs, clean shutdown.
source "$(dirname "$0")/lib.sh"
need curl; need python3

out=$("$CW_BIN" --version); rc=$?
check "--version exits 0 and names the version" test "$rc" = 0 -a "${out#circuitwatch }" != "$out"
check "--version: version, revision and build date, one line each" python3 -c '
import re,sys
l=sys.argv[1].splitlines()
assert len(l) == 3, l
assert re.fullmatch(r"circuitwatch \d+\.\d+\.\d+", l[0]), l
assert re.fullmatch(r"revision: ([0-9a-f]{12}(-dirty)?|unknown)", l[1]), l
assert re.fullmatch(r"build date: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", l[2]), l
' "$out"
rev=$(sed -n 's/^revision: \([0-9a-f]*\).*/\1/p' <<<"$out")
if [ -n "$rev" ] && git -C "$CW_SOURCE_DIR" rev-parse HEAD >/dev/null 2>&1; then
  # (ctest does not build: a commit since the last build is fine)
  check "--version's revision is a commit of this tree" \
    git -C "$CW_SOURCE_DIR" cat-file -e "$rev^{commit}"
fi
out=$("$CW_BIN" --help); rc=$?
check "--help lists the commands" grep -q "check-config FILE" <<<"$out"
"$CW_BIN" frobnicate 2>/dev/null; rc=$?
check "unknown command exits 2" test "$rc" = 2
for c in run check-config decode replay reflect events; do
  check "--help lists $c with the hint to its own help" bash -c \
    "grep -q '^  $c ' <<<\"\$1\" && grep -q 'circuitwatch COMMAND --help' <<<\"\$1\"" _ "$out"
  out1=$("$CW_BIN" "$c" --help 2>"$WORK/err"); rc=$?
  check "$c --help prints its own usage on stdout, exit 0" \
    test "$rc" = 0 -a "$(head -n 1 <<<"$out1" | cut -d' ' -f1-3)" = "usage: circuitwatch $c" -a ! -s "$WORK/err"
done
# per-command help: only that command's options; `help CMD` is the same text
cmds=$(sed -n 's/^  \([a-z-]*\) .*/\1/p' <<<"$out" | grep -v '^help$')
check "--help lists at least the six commands" test "$(wc -l <<<"$cmds")" -ge 6
for c in $cmds; do
  "$CW_BIN" "$c" --help >"$WORK/h1" 2>&1; rc1=$?
  "$CW_BIN" help "$c" >"$WORK/h2" 2>&1; rc2=$?
  check "help $c prints what $c --help prints" \
    bash -c "[ $rc1 = 0 ] && [ $rc2 = 0 ] && cmp -s '$WORK/h1' '$WORK/h2'"
  for o in $cmds; do
    [ "$o" = "$c" ] && continue
    # an option only another command has must not show in this one's help
    for opt in $(sed -n "s/^  $o \(.*\)/\1/p" <<<"$out" | grep -o -- '--[a-z-]*'); do
      grep -q -- "$opt" <<<"$(sed -n "s/^  $c \(.*\)/\1/p" <<<"$out")" && continue
      if grep -q -- "$opt\b" "$WORK/h1"; then bad "$c --help shows $o's $opt"; fi
    done
  done
done
"$CW_BIN" help >"$WORK/h1"; rc=$?
check "help alone prints the general usage" bash -c "[ $rc = 0 ] && cmp -s '$WORK/h1' <(\"$CW_BIN\" --help)"
"$CW_BIN" help --help >"$WORK/h1"; rc=$?
check "help --help prints the help command's own usage" \
  bash -c "[ $rc = 0 ] && [ \"\$(head -n 1 '$WORK/h1')\" = 'usage: circuitwatch help [COMMAND]' ]"
"$CW_BIN" --help help >"$WORK/h2"; rc=$?
check "--help help prints the same" bash -c "[ $rc = 0 ] && cmp -s '$WORK/h1' '$WORK/h2'"
one_line() { # description expected-regex args...
  local what=$1 want=$2; shift 2
  "$CW_BIN" "$@" >"$WORK/out" 2>"$WORK/err"; local rc=$?
  check "$what: exit 2, one line on stderr, nothing on stdout" \
    bash -c "[ $rc = 2 ] && [ ! -s '$WORK/out' ] && [ \$(wc -l < '$WORK/err') = 1 ]"
  check "$what: the line says $want" grep -Eq "$want" "$WORK/err"
}
one_line "unknown command" "unknown command 'frobnicate'; try 'circuitwatch --help'" frobnicate
one_line "help of an unknown command" "unknown command 'frob'; try 'circuitwatch --help'" help frob
one_line "unknown flag of decode" "decode does not take --frob; try 'circuitwatch decode --help'" decode --frob x
one_line "unknown flag, no command" "run does not take --frob; try 'circuitwatch run --help'" --frob
one_line "events without --brokers" "events needs --brokers and --topic; try 'circuitwatch events --help'" events --topic t
one_line "a missing FILE" "decode needs a FILE.*; try 'circuitwatch decode --help'" decode
one_line "an extra argument" "unexpected argument 'b'; try 'circuitwatch replay --help'" replay a b

# events with no broker up: says so (and whom it tried), not "topic not found"
closed=$(free_port)
t0=$(date +%s)
"$CW_BIN" events --brokers "127.0.0.1:$closed" --topic cw.events --timeout 20 >"$WORK/out" 2>"$WORK/err"; rc=$?
t1=$(date +%s)
check "events with the brokers down exits 1" test "$rc" = 1
check "events with the brokers down: one line" test "$(wc -l < "$WORK/err")" = 1
check "events names the brokers it tried" grep -q "circuitwatch events: no broker reachable (tried 127.0.0.1:$closed)" "$WORK/err"
check "and not a missing topic" bash -c "! grep -q 'not found' '$WORK/err'"
check "events gives up on dead brokers within 10 s (of --timeout 20)" test $((t1 - t0)) -le 10

out1=$("$CW_BIN" --help decode); rc=$?
check "--help before the command prints that command's usage" \
  test "$rc" = 0 -a "$(head -n 1 <<<"$out1" | cut -d' ' -f1-3)" = "usage: circuitwatch decode"
# an option of another command: one line naming the command and its --help
wrong() { # expected-command args...
  local want=$1; shift
  "$CW_BIN" "$@" >"$WORK/out" 2>"$WORK/err"; local rc=$?
  [ "$rc" = 2 ] && [ ! -s "$WORK/out" ] && [ "$(wc -l < "$WORK/err")" = 1 ] &&
    grep -q "^circuitwatch: $want does not take " "$WORK/err" &&
    grep -q "try 'circuitwatch $want --help'" "$WORK/err" || { cat "$WORK/err"; return 1; }
}
check "check-config --user: refused by check-config" wrong check-config check-config --user nobody "$CW_SOURCE_DIR/deploy/examples/demo.yaml"
check "and the error names the command that takes it" grep -q "options of run, status, routes)" "$WORK/err"
check "-c before check-config: refused (check-config reads no other config)" \
  wrong check-config -c "$CW_SOURCE_DIR/deploy/examples/demo.yaml" check-config "$CW_SOURCE_DIR/deploy/examples/demo.yaml"
check "decode --frob: an option of no command, refused by decode" wrong decode decode --frob /dev/null
check "events --config: refused by events" wrong events events --config x --brokers a --topic b
check "the default command refuses replay's --json" wrong run --json
"$CW_BIN" run --config 2>"$WORK/err"; rc=$?
check "a missing option argument: exit 2, one line with the hint" \
  bash -c "[ $rc = 2 ] && [ \$(wc -l < '$WORK/err') = 1 ] && grep -q \"try 'circuitwatch run --help'\" '$WORK/err'"
"$CW_BIN" --log-level loud run 2>/dev/null; rc=$?
check "bad --log-level exits 2" test "$rc" = 2

out=$("$CW_BIN" check-config "$CW_SOURCE_DIR/deploy/examples/demo.yaml"); rc=$?
check "check-config accepts the demo config" test "$rc" = 0
check "check-config counts the demo circuits" grep -q "valid (3 circuits)" <<<"$out"
out=$("$CW_BIN" check-config "$CW_SOURCE_DIR/deploy/examples/circuitwatch.yaml"); rc=$?
check "check-config accepts the reference example" test "$rc" = 0
for f in expressroute-direct directconnect; do
  "$CW_BIN" check-config "$CW_SOURCE_DIR/deploy/examples/$f.yaml" >/dev/null
  check "check-config accepts the example deploy/examples/$f.yaml" test "$?" = 0
done

# the configuration snippets of the README and of docs/ stay valid: every
# ```yaml block is a whole config (other examples are fenced without "yaml")
python3 - "$CW_SOURCE_DIR" "$WORK" <<'PY'
import glob,os,re,sys
src,work=sys.argv[1],sys.argv[2]
docs=["README.md"]+sorted("docs/"+os.path.basename(f) for f in glob.glob(f"{src}/docs/*.md"))
for d in docs:
    blocks=re.findall(r"```yaml\n(.*?)```", open(f"{src}/{d}").read(), re.S)
    for i,b in enumerate(blocks):
        open(f"{work}/snippet-{d.replace('/','_')}-{i}.yaml","w").write(b)
PY
n=0
for f in "$WORK"/snippet-*.yaml; do
  [ -e "$f" ] || continue
  "$CW_BIN" check-config "$f" >/dev/null || { bad "snippet $(basename "$f") (FILE-N: the Nth yaml block) is not a valid config"; cat "$f"; }
  n=$((n + 1))
done
check "README.md and docs/*.md have YAML snippets and all of them are valid configs ($n)" test "$n" -ge 1
has_snippet() { compgen -G "$WORK/snippet-$1-*.yaml" >/dev/null; }
check "README.md has a YAML snippet" has_snippet README.md
check "docs/configuration.md has YAML snippets" has_snippet docs_configuration.md

cat > "$WORK/bad.yaml" <<'YAML'
circuits:
  - id: a
    provider: expressroute
    bandwidth: 0Mbps
    links:
      primary:
        peerings:
          - type: private
            vlan: 100
            neighbors: [{address: 198.18.0.1}]
  - id: a
    provider: expressroute
    bandwidth: 1Gbps
    links:
      primary:
        interface: eth0
        peerings: [{type: private, neighbors: [{address: 198.18.0.5}]}]
YAML
"$CW_BIN" check-config "$WORK/bad.yaml" 2>"$WORK/err"; rc=$?
check "check-config rejects a bad config with exit 2" test "$rc" = 2
check "every error line is FILE:LINE:COLUMN: message" \
  python3 -c '
import re,sys
lines=open(sys.argv[1]).read().splitlines()
assert len(lines) >= 3, lines
assert all(re.match(re.escape(sys.argv[2]) + r":\d+:\d+: \S", l) for l in lines), lines
' "$WORK/err" "$WORK/bad.yaml"
check "bandwidth 0 reported at line 4" grep -q "bad.yaml:4:" "$WORK/err"
check "vlan without interface reported at line 9" grep -q "bad.yaml:9:" "$WORK/err"
check "duplicate id reported at line 11" grep -q "bad.yaml:11:" "$WORK/err"
"$CW_BIN" check-config "$WORK/missing.yaml" 2>"$WORK/err"; rc=$?
check "check-config of a missing file exits 2" test "$rc" = 2
check "missing file error names the file" grep -q "missing.yaml" "$WORK/err"

# run with an invalid config: exit 2, nothing listens
port=$(free_port)
sed "s/^circuits:/prometheus: {listen: \"127.0.0.1:$port\"}\nbmp: {enabled: false}\ncircuits:/" "$WORK/bad.yaml" > "$WORK/bad-run.yaml"
"$CW_BIN" run --config "$WORK/bad-run.yaml" 2>"$WORK/err" & pid=$!
wait_exit "$pid" 10; rc=$RC
check "run with an invalid config exits 2 without starting" test "$rc" = 2
check "run prints the config errors with locations" grep -q "bad-run.yaml:6:" "$WORK/err"

# port in use: one clear error naming the port, exit 1
port=$(free_port)
demo_config "$WORK/demo.yaml" "$port"
start_cw "$WORK/first.log" run --config "$WORK/demo.yaml"
first=$CW_PID
check "first instance becomes ready" wait_http "http://127.0.0.1:$port/-/ready"
demo_config "$WORK/demo2.yaml" "$port"   # same exporter port, its own BMP port
"$CW_BIN" run --config "$WORK/demo2.yaml" 2>"$WORK/second.log" & pid=$!
wait_exit "$pid" 10; rc=$RC
check "second instance on the same port exits 1" test "$rc" = 1
check "the error names the port and the cause" \
  grep -q "cannot listen.*port=$port.*Address already in use" "$WORK/second.log"
kill -INT "$first"
wait_exit "$first" 10; rc=$RC
check "SIGINT stops the daemon with exit 0" test "$rc" = 0

# JSON logs: every line a JSON object with ts, level, msg
port=$(free_port)
demo_config "$WORK/demo.yaml" "$port"
start_cw "$WORK/json.log" --log-format json run --config "$WORK/demo.yaml"
wait_http "http://127.0.0.1:$port/-/ready"
kill -TERM "$CW_PID"
wait_exit "$CW_PID" 10; rc=$RC
check "SIGTERM stops the daemon with exit 0" test "$rc" = 0
check "--log-format json writes only JSON lines with ts, level, msg" python3 -c '
import json,sys
lines=open(sys.argv[1]).read().splitlines()
assert len(lines) >= 3, lines
for l in lines:
    o=json.loads(l)
    assert {"ts","level","msg"} <= o.keys(), l
assert any(json.loads(l)["msg"] == "stopped" for l in lines)
' "$WORK/json.log"
# a switched-off exporter: the daemon runs, nothing listens
port=$(free_port)
demo_config "$WORK/off.yaml" "$port"
sed -i 's/^prometheus:$/prometheus:\n  enabled: false/' "$WORK/off.yaml"
start_cw "$WORK/off.log" run --config "$WORK/off.yaml"
check "daemon with prometheus.enabled=false starts" until_true 10 grep -q "circuitwatch started" "$WORK/off.log"
check "the switched-off exporter says so" grep -q "prometheus exporter disabled" "$WORK/off.log"
check "nothing listens on the exporter port" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/-/healthy")" = 000
kill -TERM "$CW_PID"
wait_exit "$CW_PID" 10; rc=$RC
check "and stops cleanly" test "$rc" = 0
finish
