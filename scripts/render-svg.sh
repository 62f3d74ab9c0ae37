#!/bin/sh
# Renders an SVG file to a PNG with headless Chromium:
#   scripts/render-svg.sh IN.svg OUT.png [WIDTH,HEIGHT]   (default 800,400)
# Exit status non-zero when Chromium fails or writes no PNG.
set -u
svg=$1; png=$2; size=${3:-800,400}
case "$svg" in /*) ;; *) svg="$(pwd)/$svg" ;; esac
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
rm -f "$png"
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
  --screenshot="$png" --window-size="$size" "file://$svg" > "$profile/log" 2>&1
rc=$?
if [ "$rc" -ne 0 ] || [ ! -s "$png" ]; then
  cat "$profile/log" >&2
  echo "render-svg: chromium exit $rc, no PNG at $png" >&2
  exit 1
fi
