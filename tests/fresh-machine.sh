#!/usr/bin/env bash
# fresh-machine.sh — proves that the README's two commands work on a fresh
# Debian 12: builds a minimal root with debootstrap (minbase, then only git),
# clones this repository into it with ../shared beside it, and runs, exactly
# as the README writes them,
#
#   deploy/demo.sh        until http://localhost:10179/metrics answers
#   tests/run-all.sh      every test: release, ASan+UBSan and (threaded tests) TSan builds
#
# so that a package missing from deploy/install-deps.sh cannot hide behind a
# machine that already has it. Runs as root (CI does); the new root shares
# this machine's network and kernel, and its "/" is a mount point so that
# `ip netns exec` works inside it.
#
# usage: tests/fresh-machine.sh [--keep] [--skip-tests]
#   --keep        leave the root in place (its path is printed)
#   --skip-tests  only the demo (quick check of the install steps)
# The Debian mirror is this machine's own (its apt sources), or
# $CW_DEBIAN_MIRROR.
set -uo pipefail

keep=0
tests=1
for a in "$@"; do
  case $a in
    --keep) keep=1 ;;
    --skip-tests) tests=0 ;;
    *) echo "usage: tests/fresh-machine.sh [--keep] [--skip-tests]" >&2; exit 2 ;;
  esac
done

src=$(cd "$(dirname "$0")/.." && pwd)
say() { echo "fresh-machine: $*"; }
die() { say "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || { say "SKIP: needs root (debootstrap, chroot, mounts)"; exit 77; }
command -v debootstrap >/dev/null || die "debootstrap missing: run deploy/install-deps.sh"

source "$src/tests/debian_mirror.sh"
MIRROR=$(mirror)
[ -n "$MIRROR" ] || die "no Debian bookworm mirror in this machine's apt sources (set CW_DEBIAN_MIRROR)"

ROOT=$(mktemp -d /var/tmp/cw-fresh.XXXXXX)
chmod 755 "$ROOT" # it becomes "/": services that drop to their own user (FRR) must reach it
LOGS=$ROOT.logs
mkdir -p "$LOGS"
DEMO_PID=

cleanup() {
  local pids
  [ -n "$DEMO_PID" ] && kill -TERM "$DEMO_PID" 2>/dev/null
  # every process whose root is the new root
  pids=$(for p in /proc/[0-9]*; do
           [ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ] && echo "${p#/proc/}"
         done)
  [ -n "$pids" ] && kill -9 $pids 2>/dev/null
  sleep 0.5
  umount -R "$ROOT" 2>/dev/null || umount -lR "$ROOT" 2>/dev/null
  if [ "$keep" = 1 ]; then
    say "kept $ROOT (logs in $LOGS)"
  else
    rm -rf --one-file-system "$ROOT"
    [ "${FAILED:-0}" = 0 ] && rm -rf "$LOGS" || say "logs kept in $LOGS"
  fi
}
trap cleanup EXIT
FAILED=1

say "debootstrap minbase bookworm into $ROOT"
debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" > "$LOGS/debootstrap.log" 2>&1 \
  || { tail -20 "$LOGS/debootstrap.log"; die "debootstrap failed"; }

# the same apt sources as this machine (updates and security too)
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  cp /etc/apt/sources.list.d/debian.sources "$ROOT/etc/apt/sources.list.d/"
  rm -f "$ROOT/etc/apt/sources.list"
fi
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null

# "/" inside must be a mount point (ip netns exec remounts it), with the
# kernel's file systems; /dev is a slave so that unmounting never reaches
# this machine's.
mount --bind "$ROOT" "$ROOT" || die "cannot bind-mount the new root"
mount -t proc proc "$ROOT/proc"
mount -t sysfs sysfs "$ROOT/sys"
mount --rbind /dev "$ROOT/dev" && mount --make-rslave "$ROOT/dev"
mount -t tmpfs tmpfs "$ROOT/run"
mkdir -p "$ROOT/run/lock"

in_root() { # in_root LOG COMMAND — a login-like clean environment
  chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 CI="${CI:-}" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/bash -c "$2" > "$LOGS/$1.log" 2>&1
}

say "installing git (the only package added by hand)"
in_root apt "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git ca-certificates" \
  || { tail -20 "$LOGS/apt.log"; die "installing git failed"; }

say "cloning $(git -C "$src" rev-parse --short HEAD) with ../shared beside it"
mkdir -p "$ROOT/work"
git clone -q "$src" "$ROOT/work/main" || die "git clone failed"
if [ -d "$src/../shared" ]; then
  cp -r "$src/../shared" "$ROOT/work/shared"
else
  say "note: no ../shared beside the repository; its tests will skip"
fi

# ---- 1: deploy/demo.sh until /metrics answers ----
say "deploy/demo.sh (install, build, run) until /metrics answers"
chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  /bin/bash -c 'cd /work/main && exec deploy/demo.sh' > "$LOGS/demo.log" 2>&1 &
DEMO_PID=$!
metrics_ok() {
  chroot "$ROOT" /bin/sh -c 'command -v curl >/dev/null && curl -sf http://127.0.0.1:10179/metrics' \
    > "$LOGS/metrics.txt" 2>/dev/null && grep -q '^circuitwatch_bgp_session_up{' "$LOGS/metrics.txt"
}
up=0
for _ in $(seq 1 1200); do # 20 minutes: installing and building included
  if metrics_ok; then up=1; break; fi
  kill -0 "$DEMO_PID" 2>/dev/null || break
  sleep 1
done
if [ "$up" != 1 ]; then
  tail -30 "$LOGS/demo.log"
  die "the demo's /metrics did not answer with BGP sessions"
fi
say "demo: /metrics answers ($(grep -c '^circuitwatch_' "$LOGS/metrics.txt") series)"
kill -TERM "$DEMO_PID"
for _ in $(seq 1 100); do kill -0 "$DEMO_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$DEMO_PID" 2>/dev/null && die "demo.sh did not stop on SIGTERM"
wait "$DEMO_PID" 2>/dev/null
DEMO_PID=
left=$(ls -d "$ROOT"/tmp/circuitwatch-demo.* 2>/dev/null)
[ -z "$left" ] || die "demo.sh left its temporary folder behind: $left"
say "demo: stopped, nothing left behind"

# ---- 2: tests/run-all.sh ----
if [ "$tests" = 1 ]; then
  say "tests/run-all.sh (release, ASan+UBSan, TSan)"
  start=$(date +%s)
  in_root run-all "cd /work/main && tests/run-all.sh"
  rc=$?
  grep -E '^(release|sanitize): |tests passed|tests failed' "$LOGS/run-all.log" | sed 's/^/fresh-machine:   /'
  if [ "$rc" != 0 ]; then
    grep -E '\*\*\*Failed|Not Run|\(Failed\)|\(Timeout\)' "$LOGS/run-all.log" | head -20
    cp "$LOGS/run-all.log" "/var/tmp/cw-fresh-run-all.log" 2>/dev/null
    die "tests/run-all.sh failed in the fresh root (log: /var/tmp/cw-fresh-run-all.log)"
  fi
  say "tests/run-all.sh passed in $(( $(date +%s) - start )) s"
fi
FAILED=0
say "passed"
