#!/bin/sh
# Regenerates docs/metrics-chart.png (shown in README): a measured run of
# examples/metrics_chart.lua (NODES nodes, default 200000) charted by
# reg:svg and rendered by headless Chromium. Needs the release build.
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
lua5.4 examples/metrics_chart.lua "$tmp/chart.svg" "${1:-200000}"
mkdir -p docs
scripts/render-svg.sh "$tmp/chart.svg" docs/metrics-chart.png
echo "wrote docs/metrics-chart.png"
