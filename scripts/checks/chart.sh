#!/bin/sh
# The SVG chart renders in headless Chromium: a measured chunked run
# (examples/metrics_chart.lua, 40k nodes) charted by reg:svg, checked as
# self-contained, well-formed SVG, rendered to PNG, and the PNG decoded
# (Python's zlib, no imaging library) to check its size, that it is not
# blank and that each series' colour is drawn. A blank SVG must fail the
# same test (so the check can fail), and docs/metrics-chart.png must pass
# it. Each step is one pass or fail. Needs the release build (./build).
set -u
. "$(dirname "$0")/../check-lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# PNG facts: "width height colours ink_percent blue red green" (ink: pixels
# not white; blue/red/green: pixels of the first three series colours).
png_stats() {
  python3 - "$1" <<'PY'
import struct, sys, zlib

def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("not a PNG")
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace != 0:
        raise SystemExit("unsupported PNG: depth %d colour type %d interlace %d" % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(b"".join(idat)), w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows

w, h, bpp, rows = decode(sys.argv[1])
counts = {}
for row in rows:
    for x in range(0, len(row), bpp):
        px = row[x:x + 3]
        counts[px] = counts.get(px, 0) + 1
ink = w * h - counts.get(b"\xff\xff\xff", 0)
series = [bytes.fromhex(c) for c in ("1f77b4", "d62728", "2ca02c")]
print(w, h, len(counts), "%.2f" % (100.0 * ink / (w * h)), *[counts.get(c, 0) for c in series])
PY
}

# check_png NAME PNG: size 800x400, not blank, the three series drawn.
check_png() {
  if ! stats=$(png_stats "$2" 2>&1); then fail "$1: cannot decode $2: $stats"; return 1; fi
  set -- "$1" $stats
  name=$1; w=$2; h=$3; colours=$4; ink=$5; blue=$6; red=$7; green=$8
  if [ "$w" = 800 ] && [ "$h" = 400 ]; then ok "$name: 800x400"; else fail "$name: size ${w}x${h}, expected 800x400"; fi
  if [ "$colours" -ge 16 ] && awk "BEGIN { exit !($ink >= 2) }"; then
    ok "$name: not blank ($colours colours, ${ink}% of pixels not white)"
  else
    fail "$name: blank or nearly ($colours colours, ${ink}% not white)"
  fi
  if [ "$blue" -ge 100 ] && [ "$red" -ge 100 ] && [ "$green" -ge 50 ]; then
    ok "$name: series drawn (pixels of chunk time $blue, Lua heap $red, C engines $green)"
  else
    fail "$name: series missing (pixels of chunk time $blue, Lua heap $red, C engines $green)"
  fi
}

for tool in chromium python3; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool not installed"
done

if lua5.4 examples/metrics_chart.lua "$tmp/chart.svg" 40000 > "$tmp/run.txt" 2>&1; then
  ok "measured run and reg:svg ($(head -1 "$tmp/run.txt"))"
else
  fail "measured run: $(cat "$tmp/run.txt")"
fi

if python3 -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); sys.exit(r.tag != "{http://www.w3.org/2000/svg}svg")' "$tmp/chart.svg" 2>"$tmp/xml.txt"; then
  ok "SVG is well-formed XML with an svg root"
else
  fail "SVG is not well-formed: $(cat "$tmp/xml.txt")"
fi
if grep -qiE '<script|href=|@import|url\(|@font-face|<image|<foreignObject' "$tmp/chart.svg"; then
  fail "SVG is not self-contained: $(grep -oiE '<script|href=|@import|url\(|@font-face|<image|<foreignObject' "$tmp/chart.svg" | head -1)"
else
  ok "SVG is self-contained (no scripts, links, images or fonts)"
fi
for text in "time (ms)" "memory (MB)" "chunk time (ms)" "Lua heap (MB)" "C engines (MB)" ">chunk<"; do
  if grep -qF "$text" "$tmp/chart.svg"; then ok "SVG has '$text'"; else fail "SVG lacks '$text'"; fi
done

if scripts/render-svg.sh "$tmp/chart.svg" "$tmp/chart.png" 2>"$tmp/render.txt"; then
  ok "chromium renders the chart to PNG ($(wc -c < "$tmp/chart.png") bytes)"
  check_png "rendered chart" "$tmp/chart.png"
else
  fail "chromium: $(tail -3 "$tmp/render.txt")"
fi

# The same test must reject a blank picture.
printf '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="400"><rect width="800" height="400" fill="#ffffff"/></svg>\n' > "$tmp/blank.svg"
if scripts/render-svg.sh "$tmp/blank.svg" "$tmp/blank.png" 2>/dev/null && stats=$(png_stats "$tmp/blank.png"); then
  set -- $stats
  if [ "$3" -lt 16 ] && [ "$6" -lt 100 ]; then
    ok "a blank render is told apart ($3 colours, $4% not white)"
  else
    fail "a blank render passed as a chart ($3 colours, $4% not white)"
  fi
else
  fail "could not render the blank control"
fi

if [ -f docs/metrics-chart.png ]; then
  check_png "docs/metrics-chart.png" docs/metrics-chart.png
else
  fail "docs/metrics-chart.png missing (make chart)"
fi

summary
