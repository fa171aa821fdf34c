#!/usr/bin/env bash
# The status page at / in headless Chromium: three circuits, one green (its
# one link's session up), one amber (a link without its session: not
# redundant) and one red (no session up), each with its badge, reasons,
# links and sessions; the DOM shows them, strings from the config are
# escaped (a location with <, > and &), and a screenshot holds the three
# badge colours and is not blank (checked with a small PNG reader below).
source "$(dirname "$0")/lib.sh"
need curl; need python3
BUILD=${CW_BUILD_DIR:?CW_BUILD_DIR is not set (run through ctest)}
GEN=$BUILD/tests/gen_bmp_table REPLAY=$BUILD/tests/bmp_replay
[ -x "$GEN" ] && [ -x "$REPLAY" ] || skip "gen_bmp_table/bmp_replay not built"
CHROMIUM=$(command -v chromium || command -v chromium-browser) ||
  skip "chromium not installed (Debian package chromium; run deploy/install-deps.sh)"
chrome() { # chrome ARGS...: headless, its own profile; stderr to a file
  timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$WORK/chrome" "$@" 2>>"$WORK/chrome.err"
}
if ! chrome --dump-dom "data:text/html,<p>ok</p>" | grep -q '<p>ok</p>'; then
  tail -5 "$WORK/chrome.err"
  [ "$(id -u)" = 0 ] && { bad "chromium is installed but cannot run headless"; finish; }
  skip "chromium cannot run headless here (not root: no sandbox-less run allowed?)"
fi

"$GEN" --router 2 --seed 2 --peers 2 --ipv4 500 --ipv6 100 --peer-addr 198.18.2.1 \
  --peer-step 1 --peer-as 12076 -o "$WORK/r2.bmp" >/dev/null 2>&1 || { bad "gen r2"; finish; }
port=$(free_port); bport=$(free_port); base="http://127.0.0.1:$port"
cat > "$WORK/cw.yaml" <<YAML
prometheus: {listen: "127.0.0.1:$port"}
bmp: {listen: "127.0.0.1:$bport", allow: ["127.0.0.0/8"], workers: 2}
circuits:
  - id: er-green
    provider: expressroute
    bandwidth: 1Gbps
    location: "Amsterdam <AMS> & co"
    links:
      primary:
        peerings: [{type: private, neighbors: [{address: 198.18.2.1}]}]
  - id: er-amber
    provider: expressroute
    bandwidth: 1Gbps
    links:
      primary:
        peerings: [{type: private, neighbors: [{address: 198.18.2.2, asn: 12077}]}]
      secondary:
        peerings: [{type: private, neighbors: [{address: 198.18.9.9}]}]
  - id: dx-red
    provider: directconnect
    bandwidth: 10Gbps
    links:
      primary:
        peerings: [{type: private, neighbors: [{address: 198.18.7.7, asn: 64512}]}]
YAML
start_cw "$WORK/cw.log" run --config "$WORK/cw.yaml"
check "daemon ready" wait_http "$base/-/ready" || { cat "$WORK/cw.log"; finish; }
"$REPLAY" --bind 127.0.0.2 --hold 86400 127.0.0.1 "$bport" "$WORK/r2.bmp" >/dev/null 2>&1 &
PIDS+=($!)
check "both sessions up" until_true 30 sh -c "curl -s '$base/api/v1/sessions' | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)[\"up\"] == 2 else 1)'"
sleep 1.5 # the link and redundancy series: the loop thread's next publish

curl -s -D "$WORK/h" -o "$WORK/page.html" "$base/"
check "/ is text/html" grep -qi '^content-type: text/html' "$WORK/h"
check "no script, no external resource" sh -c "! grep -qiE '<script|src=\"http|href=\"http|@import' '$WORK/page.html'"
check "auto-refresh" grep -q '<meta http-equiv="refresh" content="10">' "$WORK/page.html"
check "the location is escaped" grep -q 'Amsterdam &lt;AMS&gt; &amp; co' "$WORK/page.html"

chrome --dump-dom "$base/" > "$WORK/dom.html"
check "Chromium's DOM: the three circuits" sh -c "grep -q 'id=\"circuit-er-green\"' '$WORK/dom.html' && grep -q 'id=\"circuit-er-amber\"' '$WORK/dom.html' && grep -q 'id=\"circuit-dx-red\"' '$WORK/dom.html'"
python3 - "$WORK/dom.html" > "$WORK/dom.txt" <<'PY'
import sys
from html.parser import HTMLParser
# per circuit section: its badge and the text of its session rows
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.cur = None; self.badge = False; self.row = None; self.out = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section": self.cur = a.get("id")
        if tag == "span" and "badge" in (a.get("class") or ""): self.badge = True; self.out.append([self.cur, "badge", a["class"].split()[1]])
        if tag == "tr" and a.get("class") == "session": self.row = []
        if tag == "b": self.out.append([self.cur, "tag-b"])
    def handle_endtag(self, tag):
        if tag == "tr" and self.row is not None: self.out.append([self.cur, "session"] + self.row); self.row = None
    def handle_data(self, d):
        if self.row is not None and d.strip(): self.row.append(d.strip())
        if self.cur == "circuit-er-green" and "Amsterdam" in d: self.out.append([self.cur, "location", d.strip()])
p = P(); p.feed(open(sys.argv[1]).read())
for o in p.out: print(" ".join(o))
PY
sed 's/^/# /' "$WORK/dom.txt"
check "er-green: green badge" grep -qx 'circuit-er-green badge green' "$WORK/dom.txt"
check "er-amber: amber badge" grep -qx 'circuit-er-amber badge amber' "$WORK/dom.txt"
check "dx-red: red badge" grep -qx 'circuit-dx-red badge red' "$WORK/dom.txt"
check "er-green: its session 198.18.2.1 up from router 127.0.0.2" grep -qE '^circuit-er-green session primary private 198\.18\.2\.1 12076 127\.0\.0\.2 up ' "$WORK/dom.txt"
check "er-amber: 198.18.2.2 up, 198.18.9.9 not reported" sh -c "grep -qE '^circuit-er-amber session primary private 198\.18\.2\.2 12077 127\.0\.0\.2 up ' '$WORK/dom.txt' && grep -qE '^circuit-er-amber session secondary private 198\.18\.9\.9 12076 not-reported' '$WORK/dom.txt'"
check "dx-red: 198.18.7.7 not reported" grep -qE '^circuit-dx-red session primary private 198\.18\.7\.7 .*not-reported' "$WORK/dom.txt"
check "the location shows as text, no element" sh -c "grep -qE '^circuit-er-green location .*Amsterdam <AMS> & co$' '$WORK/dom.txt' && ! grep -q tag-b '$WORK/dom.txt'"
check "reasons: red and amber say why" sh -c "grep -q 'no BGP session up' '$WORK/dom.html' && grep -q 'not redundant' '$WORK/dom.html'"

chrome --screenshot="$WORK/shot.png" --window-size=1280,1400 "$base/" >/dev/null
check "a screenshot was taken" test -s "$WORK/shot.png"
# A PNG reader (8-bit RGB/RGBA, non-interlaced, as Chromium writes them):
# counts the pixels of each badge colour and the distinct colours.
python3 - "$WORK/shot.png" > "$WORK/colours" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
prev, rows, off = bytearray(stride), [], 0
for _ in range(h):
    f, line = raw[off], bytearray(raw[off + 1:off + 1 + stride]); off += 1 + stride
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
want = {"green": (0x2e, 0x9e, 0x44), "amber": (0xf0, 0xa2, 0x02), "red": (0xd6, 0x28, 0x28)}
count = dict.fromkeys(want, 0); colours = set()
for line in rows:
    for x in range(0, stride, bpp):
        px = tuple(line[x:x + 3]); colours.add(px)
        for k, v in want.items():
            if all(abs(px[i] - v[i]) <= 8 for i in range(3)): count[k] += 1
print(w, h, len(colours), count["green"], count["amber"], count["red"])
PY
read -r W H NCOL GREEN AMBER RED < "$WORK/colours"
echo "# screenshot ${W}x$H: $NCOL colours; badge pixels green $GREEN, amber $AMBER, red $RED"
check "the screenshot is not blank ($NCOL colours)" test "${NCOL:-0}" -gt 20
check "the green, amber and red badges are in it" \
  test "${GREEN:-0}" -gt 200 -a "${AMBER:-0}" -gt 200 -a "${RED:-0}" -gt 200
finish
