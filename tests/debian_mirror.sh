# debian_mirror.sh — sourced by tests/fresh-machine.sh and tests/test_deploy.sh,
# which both build a Debian 12 root with debootstrap.
# mirror: this machine's Debian bookworm mirror, from its apt sources (deb822
# or one-line), or $CW_DEBIAN_MIRROR; prints nothing when there is none.
mirror() {
  if [ -n "${CW_DEBIAN_MIRROR:-}" ]; then echo "$CW_DEBIAN_MIRROR"; return; fi
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '/^URIs:/ {u=$2} /^Suites:/ {for (i = 2; i <= NF; i++) if ($i == "bookworm") {print u; exit}}' "$f"
  done | head -n1 | grep . && return
  awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
}
