#!/usr/bin/env bash
# test_layers.sh — the include graph keeps its floors (docs/development.md):
# the tree passes tests/tools/layers.py --check, the graph in
# docs/development.md is the one the includes make, and the checker does
# fail on a copy of the tree with an upward include, a same-floor include,
# an include cycle and an upward library link planted in it.
set -uo pipefail
SRC=${CW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
LAYERS="python3 $SRC/tests/tools/layers.py"
fail=0
ok() { echo "ok - $*"; }
bad() { echo "not ok - $*"; fail=1; }

if out=$($LAYERS --check --root "$SRC"); then ok "the tree keeps its floors"
else bad "the tree breaks its floors:"; echo "$out"; fi
if $LAYERS --check-doc "$SRC/docs/development.md" --root "$SRC"; then
	ok "docs/development.md shows the current graph"
else bad "docs/development.md is stale"; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
plant() { # plant FILE LINE: a copy of the tree with LINE appended to FILE
	rm -rf "$tmp/t" && mkdir -p "$tmp/t" && cp -r "$SRC/collector" "$SRC/exporters" "$tmp/t/"
	echo "$2" >>"$tmp/t/$1"
}
plant collector/wire/bmp.c '#include "daemon.h"'
out=$($LAYERS --check --root "$tmp/t") && bad "an upward include passed" ||
	{ grep -q 'collector/wire/bmp.c includes collector/daemon/daemon.h: collector/daemon/ (floor 6) is above collector/wire/' <<<"$out" &&
		ok "an upward include (wire -> daemon) fails" || bad "upward include: $out"; }
plant collector/bmp/listener.c '#include "alerts_module.h"'
out=$($LAYERS --check --root "$tmp/t") && bad "a same-floor include passed" ||
	{ grep -q 'share floor 5' <<<"$out" && ok "a same-floor include (bmp -> alerts) fails" ||
		bad "same floor: $out"; }
plant collector/wire/reader.h '#include "writer.h"'
echo '#include "reader.h"' >>"$tmp/t/collector/wire/writer.h"
out=$($LAYERS --check --root "$tmp/t") && bad "an include cycle passed" ||
	{ grep -q 'include cycle: collector/wire/reader.h -> collector/wire/writer.h' <<<"$out" &&
		ok "an include cycle fails" || bad "cycle: $out"; }
plant collector/wire/CMakeLists.txt 'target_link_libraries(cw_wire PUBLIC cw_model)'
out=$($LAYERS --check --root "$tmp/t") && bad "an upward link passed" ||
	{ grep -q 'cw_wire links cw_model of collector/model/' <<<"$out" &&
		ok "an upward link in CMake (wire -> model) fails" || bad "upward link: $out"; }
exit $fail
