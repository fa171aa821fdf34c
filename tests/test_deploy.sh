#!/usr/bin/env bash
# test_deploy.sh — the .deb as a user gets it, on a fresh Debian 12:
#
#   1. cpack builds the .deb from the build directory; lintian reports no
#      error and no warning; hardening-check passes on the packaged binary;
#      the man pages and completions are in it
#   2. a fresh Debian 12 root (debootstrap --variant=minbase, as
#      tests/fresh-machine.sh makes it) installs it with apt, Depends from
#      this machine's Debian mirror
#   3. postinst made the user, the configuration 0640 root:circuitwatch and
#      the state directory; `circuitwatch check-config` passes on the
#      installed configuration
#   4. the daemon runs as the package's user with the unit's ambient
#      capabilities (setpriv, as systemd would start it: there is no systemd
#      in the root), in a network namespace of its own, and /metrics answers
#   5. apt-get remove keeps the configuration and the state; purge removes both
#
# The debootstrapped root is cached under /var/tmp (cw-deploy-root.bookworm)
# and used read-only through an overlay mount (so "/" is a mount point, as
# `ip netns exec` needs); apt's downloads are cached beside it. Delete the
# folder to start from scratch. A first run takes a few minutes, a cached one
# well under a minute. Needs root (debootstrap, chroot, mounts, netns).
#
# usage: tests/test_deploy.sh [BINARY]   (under ctest: CW_BUILD_DIR is set)
# The Debian mirror is this machine's own (its apt sources), or $CW_DEBIAN_MIRROR.
set -uo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${CW_BUILD_DIR:-$src/build/release}
CACHE=${CW_DEPLOY_CACHE:-/var/tmp/cw-deploy-root.bookworm}
PASSED=0 FAILED=0
say() { echo "test_deploy: $*"; }
skip() { say "SKIP: $*"; exit 77; }
ok() { echo "ok   - $1"; PASSED=$((PASSED + 1)); }
bad() { echo "FAIL - $1"; FAILED=$((FAILED + 1)); }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
finish() { echo "$PASSED passed, $FAILED failed"; [ "$FAILED" = 0 ]; exit $?; }

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot, mounts, network namespaces)"
for t in debootstrap lintian hardening-check cpack dpkg-deb setpriv ip curl; do
  command -v "$t" >/dev/null || skip "$t missing: run deploy/install-deps.sh"
done
[ -f "$BUILD/CPackConfig.cmake" ] || skip "no build in $BUILD (cmake --preset release first)"
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BUILD/CMakeCache.txt")
[ "$prefix" = /usr ] || skip "$BUILD is configured with the prefix $prefix, not /usr"
btype=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt")
case $btype in Release|RelWithDebInfo) ;; *) skip "$BUILD is a $btype build: the package is made from the release build" ;; esac
grep -qE '^CW_(SANITIZE|TSAN|FUZZ):BOOL=ON' "$BUILD/CMakeCache.txt" && skip "$BUILD has sanitizers: the package is made from the release build"

source "$src/tests/debian_mirror.sh"

WORK=$(mktemp -d /var/tmp/cw-deploy.XXXXXX)
ROOT=$WORK/root
NS=cwdeb$$
DAEMON=
cleanup() {
  local pids
  [ -n "$DAEMON" ] && kill -TERM "$DAEMON" 2>/dev/null
  pids=$(for p in /proc/[0-9]*; do
           [ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ] && echo "${p#/proc/}"
         done)
  [ -n "$pids" ] && kill -9 $pids 2>/dev/null && sleep 0.3
  ip netns del "$NS" 2>/dev/null
  if mountpoint -q "$ROOT"; then
    umount -R "$ROOT" 2>/dev/null || umount -lR "$ROOT" 2>/dev/null
  fi
  if [ "${FAILED:-1}" = 0 ] || [ -z "${CW_KEEP:-}" ]; then
    rm -rf --one-file-system "$WORK"
  else
    say "kept $WORK"
  fi
}
trap cleanup EXIT

# ---- 1: the package --------------------------------------------------------
say "cpack -G DEB from $BUILD"
cmake --build "$BUILD" --target circuitwatch cw_package_docs >"$WORK/build.log" 2>&1 \
  || { tail -20 "$WORK/build.log"; bad "the binary and its man pages build"; finish; }
(cd "$WORK" && cpack -G DEB -B "$WORK/deb" --config "$BUILD/CPackConfig.cmake") >"$WORK/cpack.log" 2>&1
deb=$(ls "$WORK"/deb/circuitwatch_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || { tail -20 "$WORK/cpack.log"; bad "cpack builds the .deb"; finish; }
ok "cpack builds $(basename "$deb")"
check "cpack builds the symbols package circuitwatch-dbgsym" ls "$WORK"/deb/circuitwatch-dbgsym_*.ddeb

lintian "$deb" >"$WORK/lintian.txt" 2>&1
grep -E '^[EW]: ' "$WORK/lintian.txt" | sed 's/^/  /'
check "lintian: no errors and no warnings" sh -c "! grep -qE '^[EW]: ' '$WORK/lintian.txt'"
ddeb=$(ls "$WORK"/deb/circuitwatch-dbgsym_*.ddeb 2>/dev/null | head -1)
lintian "${ddeb:-/nonexistent}" >"$WORK/lintian-dbgsym.txt" 2>&1
grep -E '^[EW]: ' "$WORK/lintian-dbgsym.txt" | sed 's/^/  /'
check "lintian on the symbols package: no errors and no warnings" \
  sh -c "[ -n '$ddeb' ] && ! grep -qE '^[EW]: ' '$WORK/lintian-dbgsym.txt'"
check "the symbols package holds the binary's symbols under its build id" \
  sh -c "id=\$(readelf -n '$BUILD/collector/circuitwatch' | sed -n 's/.*Build ID: //p'); dpkg-deb -c '$ddeb' | grep -q \"/usr/lib/debug/.build-id/\${id%\${id#??}}/\${id#??}.debug\$\""

dpkg-deb -x "$deb" "$WORK/x"
hardening-check --nocfprotection "$WORK/x/usr/bin/circuitwatch" >"$WORK/hardening.txt" 2>&1; rc=$?
sed 's/^/  /' "$WORK/hardening.txt"
check "hardening-check: PIE, stack protector, FORTIFY, RELRO, BIND_NOW" test "$rc" = 0
check "the packaged binary is stripped, with a debuglink to its symbols" \
  sh -c "file '$WORK/x/usr/bin/circuitwatch' | grep -q ', stripped' && readelf -S '$WORK/x/usr/bin/circuitwatch' | grep -q gnu_debuglink"
for f in usr/share/man/man8/circuitwatch.8.gz usr/share/man/man5/circuitwatch.yaml.5.gz \
         usr/share/bash-completion/completions/circuitwatch usr/share/zsh/vendor-completions/_circuitwatch \
         usr/share/doc/circuitwatch/copyright usr/share/doc/circuitwatch/changelog.Debian.gz; do
  check "the .deb holds /$f" test -s "$WORK/x/$f"
done
# every command of --help is in the man page and in both completions
cmds=$("$WORK/x/usr/bin/circuitwatch" --help | awk '/^commands:/ {on=1; next} /^[^ ]/ {on=0} on && /^  [a-z]/ {print $1}')
zcat "$WORK/x/usr/share/man/man8/circuitwatch.8.gz" >"$WORK/man8"
check "circuitwatch --help lists its commands (found: $(echo $cmds))" test -n "$cmds"
for c in $cmds; do
  check "command $c: in circuitwatch(8), the bash and the zsh completion" \
    sh -c "grep -qxF '.SS ${c//-/\\-}' '$WORK/man8' &&
           grep -q ' $c) opts=' '$WORK/x/usr/share/bash-completion/completions/circuitwatch' &&
           grep -q \"'$c:\" '$WORK/x/usr/share/zsh/vendor-completions/_circuitwatch'"
done
check "circuitwatch.yaml(5) has the configuration reference's sections" \
  sh -c "zcat '$WORK/x/usr/share/man/man5/circuitwatch.yaml.5.gz' | grep -c '^\\.SH' | awk '\$1 >= 15 {ok=1} END {exit !ok}'"
comp=$WORK/x/usr/share/bash-completion/completions/circuitwatch
complete_bash() { # complete_bash WORD... — what bash offers for the last word
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _circuitwatch; echo "${COMPREPLY[*]}"' _ "$comp" "$@"
}
check "bash completes 'circuitwatch dec' to decode" test "$(complete_bash circuitwatch dec)" = decode
check "bash completes 'circuitwatch decode --f' to --format" test "$(complete_bash circuitwatch decode --f)" = --format
check "bash completes 'circuitwatch --log-l' to --log-level" test "$(complete_bash circuitwatch --log-l)" = --log-level
if command -v zsh >/dev/null; then
  check "the zsh completion parses" zsh -n "$WORK/x/usr/share/zsh/vendor-completions/_circuitwatch"
fi

# ---- 2: a fresh Debian 12 root, the .deb installed with apt ----------------
MIRROR=$(mirror)
[ -n "$MIRROR" ] || { bad "a Debian bookworm mirror in this machine's apt sources (or CW_DEBIAN_MIRROR)"; finish; }
if [ ! -x "$CACHE/usr/bin/apt-get" ]; then
  say "debootstrap --variant=minbase bookworm into $CACHE (cached for later runs)"
  rm -rf --one-file-system "$CACHE.new"
  if ! debootstrap --variant=minbase bookworm "$CACHE.new" "$MIRROR" >"$WORK/debootstrap.log" 2>&1; then
    tail -20 "$WORK/debootstrap.log"; bad "debootstrap"; finish
  fi
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then # updates and security too
    cp /etc/apt/sources.list.d/debian.sources "$CACHE.new/etc/apt/sources.list.d/"
    rm -f "$CACHE.new/etc/apt/sources.list"
  fi
  chroot "$CACHE.new" apt-get update -qq >"$WORK/update.log" 2>&1 || { tail "$WORK/update.log"; bad "apt-get update in the new root"; finish; }
  chroot "$CACHE.new" apt-get clean
  mv "$CACHE.new" "$CACHE"
fi
mkdir -p "$ROOT" "$WORK/upper" "$WORK/ovl" "$CACHE.archives/partial"
if ! mount -t overlay overlay -o "lowerdir=$CACHE,upperdir=$WORK/upper,workdir=$WORK/ovl" "$ROOT" 2>/dev/null; then
  say "no overlay file system here: copying the cached root instead"
  cp -a "$CACHE/." "$ROOT/" && mount --bind "$ROOT" "$ROOT" || { bad "a copy of the cached root"; finish; }
fi
mount -t proc proc "$ROOT/proc"
mount -t sysfs sysfs "$ROOT/sys"
mount --rbind /dev "$ROOT/dev" && mount --make-rslave "$ROOT/dev"
mount -t tmpfs tmpfs "$ROOT/run"
mount --bind "$CACHE.archives" "$ROOT/var/cache/apt/archives"
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null
cp "$deb" "$ROOT/tmp/"
in_root() { # in_root LOG COMMAND — a clean environment, like a login
  chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c "$2" >"$WORK/$1.log" 2>&1
}
apt_install="apt-get install -y -q --no-install-recommends /tmp/$(basename "$deb")"
say "apt-get install ./$(basename "$deb") in the fresh root"
if ! in_root install "$apt_install"; then # the cached package lists may be stale
  in_root install "apt-get update -qq && $apt_install"
fi
rc=$?
[ "$rc" = 0 ] || tail -20 "$WORK/install.log"
check "apt-get installs the .deb and its Depends in a fresh Debian 12" test "$rc" = 0
check "dpkg: circuitwatch is installed" in_root status "dpkg-query -W -f='\${Status}' circuitwatch | grep -qx 'install ok installed'"

# ---- 3: what postinst did ---------------------------------------------------
check "postinst created the system user circuitwatch (no login shell)" \
  in_root user "getent passwd circuitwatch | grep -q ':/var/lib/circuitwatch:/usr/sbin/nologin\$'"
in_root stat "stat -c '%U:%G %a' /etc/circuitwatch/circuitwatch.yaml"
check "the configuration is 0640 root:circuitwatch (got $(cat "$WORK/stat.log"))" grep -qx 'root:circuitwatch 640' "$WORK/stat.log"
in_root statedir "stat -c '%U:%G %a' /var/lib/circuitwatch"
check "the state directory is 0750 circuitwatch:circuitwatch (got $(cat "$WORK/statedir.log"))" \
  grep -qx 'circuitwatch:circuitwatch 750' "$WORK/statedir.log"
check "the configuration is a conffile" in_root conffiles "dpkg-query -W -f='\${Conffiles}' circuitwatch | grep -q /etc/circuitwatch/circuitwatch.yaml"
# an upgrade (the same version again: postinst configure with the old
# version) keeps the administrator's edits to the conffile and its mode
in_root edit "echo '# edited by the administrator' >> /etc/circuitwatch/circuitwatch.yaml"
in_root reinstall "dpkg -i /tmp/$(basename "$deb")"; rc=$?
check "reinstalling over the installed package (the upgrade path) succeeds" test "$rc" = 0
check "the upgrade keeps the edited configuration" grep -q 'edited by the administrator' "$ROOT/etc/circuitwatch/circuitwatch.yaml"
in_root stat "stat -c '%U:%G %a' /etc/circuitwatch/circuitwatch.yaml"
check "the upgrade keeps the configuration 0640 root:circuitwatch (got $(cat "$WORK/stat.log"))" grep -qx 'root:circuitwatch 640' "$WORK/stat.log"
in_root check "circuitwatch check-config /etc/circuitwatch/circuitwatch.yaml"; rc=$?
check "circuitwatch check-config /etc/circuitwatch/circuitwatch.yaml passes in the root ($(cat "$WORK/check.log"))" test "$rc" = 0

# ---- 4: the daemon as the unit starts it ------------------------------------
unit=$ROOT/usr/lib/systemd/system/circuitwatch.service
caps=$(sed -n 's/^AmbientCapabilities=//p' "$unit")
user=$(sed -n 's/^User=//p' "$unit")
setcaps=$(for c in $caps; do c=${c#CAP_}; printf ',+%s' "${c,,}"; done); setcaps=${setcaps#,}
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
say "starting '$exec_start' as $user with $caps (setpriv)"
ip netns add "$NS" && ip netns exec "$NS" ip link set lo up || { bad "a network namespace"; finish; }
ip netns exec "$NS" chroot "$ROOT" /usr/bin/env -i LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  /bin/sh -c "cd /var/lib/circuitwatch && exec setpriv --reuid=$user --regid=$user --init-groups \
    --inh-caps=-all,$setcaps --ambient-caps=-all,$setcaps \
    --bounding-set=-all,$setcaps --no-new-privs -- $exec_start" >"$WORK/daemon.log" 2>&1 &
DAEMON=$!
up=0
for _ in $(seq 1 100); do
  if ip netns exec "$NS" curl -sf http://127.0.0.1:10179/metrics -o "$WORK/metrics.txt" 2>/dev/null; then up=1; break; fi
  kill -0 "$DAEMON" 2>/dev/null || break
  sleep 0.1
done
[ "$up" = 1 ] || tail -20 "$WORK/daemon.log"
check "the daemon answers /metrics" test "$up" = 1
check "/metrics has circuitwatch's series" grep -q '^circuitwatch_' "$WORK/metrics.txt"
want=0 # the capability numbers of linux/capability.h
for c in $caps; do
  case $c in
    CAP_NET_BIND_SERVICE) n=10 ;; CAP_NET_ADMIN) n=12 ;; CAP_NET_RAW) n=13 ;;
    *) bad "unknown capability $c in the unit: add its number here"; n=63 ;;
  esac
  want=$((want | (1 << n)))
done
uid=$(awk '/^Uid:/ {print $2}' "/proc/$DAEMON/status" 2>/dev/null)
amb=$(awk '/^CapAmb:/ {print $2}' "/proc/$DAEMON/status" 2>/dev/null)
eff=$(awk '/^CapEff:/ {print $2}' "/proc/$DAEMON/status" 2>/dev/null)
check "the daemon runs as $user (uid ${uid:-?})" test -n "$uid" -a "$uid" = "$(chroot "$ROOT" id -u "$user")"
check "its ambient and effective capabilities are the unit's ($caps: ${amb:-?}, ${eff:-?})" \
  test -n "$amb" -a "$((16#${amb:-0}))" = "$want" -a "$((16#${eff:-0}))" = "$want"
kill -TERM "$DAEMON" 2>/dev/null
for _ in $(seq 1 100); do kill -0 "$DAEMON" 2>/dev/null || break; sleep 0.1; done
check "the daemon stops on SIGTERM" sh -c "! kill -0 $DAEMON"
wait "$DAEMON" 2>/dev/null
DAEMON=

# ---- 5: remove keeps configuration and state, purge removes them -------------
in_root state "install -o circuitwatch -g circuitwatch -m 0640 /dev/null /var/lib/circuitwatch/billing.state"
in_root remove "apt-get remove -y -q circuitwatch"; rc=$?
check "apt-get remove succeeds" test "$rc" = 0
check "remove: the binary is gone" test ! -e "$ROOT/usr/bin/circuitwatch"
check "remove: the state is kept" test -e "$ROOT/var/lib/circuitwatch/billing.state"
check "remove: the configuration is kept" test -e "$ROOT/etc/circuitwatch/circuitwatch.yaml"
in_root purge "apt-get purge -y -q circuitwatch"; rc=$?
check "apt-get purge succeeds" test "$rc" = 0
check "purge: the state is gone" test ! -e "$ROOT/var/lib/circuitwatch"
check "purge: the configuration is gone" test ! -e "$ROOT/etc/circuitwatch/circuitwatch.yaml"
finish
