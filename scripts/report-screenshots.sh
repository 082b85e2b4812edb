#!/usr/bin/env bash
# Renders the supervisor's report (`recaudit report`) to PNG screenshots, one per section and
# language, and its PDF pages to PNG, for a person to look at: layout, Chinese fonts, colours,
# what fits on a timeline, where the PDF breaks pages. Not a test: it judges nothing.
#
# Needs chromium, pdftoppm (Debian's poppler-utils) and a Chinese font (fonts-wqy-zenhei or
# fonts-noto-cjk); recaudit itself needs none of them except for --pdf.
#
#   scripts/report-screenshots.sh OUTDIR                       # the bundled sample, March 2026
#   scripts/report-screenshots.sh OUTDIR WAREHOUSE CONTEXT FROM TO
#
# A 50-recorder, 30-day tree to try it on:
#   recaudit sample --out /tmp/ev --devices 50 --days 30 --hours 60 --bitrate-kbps 1 --sparse --context-out /tmp/ctx
#   recaudit scan /tmp/ev -w /tmp/wh --context /tmp/ctx
#   scripts/report-screenshots.sh /tmp/shots /tmp/wh /tmp/ctx 2026-03-12 2026-04-11
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: $0 OUTDIR [WAREHOUSE CONTEXT FROM TO]}
mkdir -p "$out"
out=$(cd "$out" && pwd)
bin=${RECAUDIT:-}
if [ -z "$bin" ]; then
  cargo build -q
  bin="${CARGO_TARGET_DIR:-target}/debug/recaudit"
fi
if [ $# -ge 5 ]; then
  wh=$2 ctx=$3 from=$4 to=$5
else
  wh="$out/wh" ctx=sample-data/context from=2026-03-01 to=2026-04-01
  rm -rf "$wh"
  "$bin" scan sample-data/evidence tests/fixtures/labelled -w "$wh" --context "$ctx" -q >/dev/null
fi
browser=${RECAUDIT_CHROMIUM:-chromium}
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
shot() { # html png height
  "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
    --hide-scrollbars --window-size=1100,"$3" --screenshot="$2" "file://$1" >/dev/null 2>&1
}
for lang in zh en; do
  for section in summary people devices cases findings; do
    html="$out/$lang-$section.html"
    "$bin" report "$wh" --context "$ctx" --from "$from" --to "$to" --lang "$lang" \
      --only "$section" --out "$html" 2>/dev/null
    shot "$html" "$out/$lang-$section.png" 2400
  done
  "$bin" report "$wh" --context "$ctx" --from "$from" --to "$to" --lang "$lang" \
    --out "$out/report-$lang.html" --pdf "$out/report-$lang.pdf"
  pdftoppm -r 40 -png "$out/report-$lang.pdf" "$out/pdf-$lang"
done
ls "$out"/*.png | wc -l | xargs echo "PNG files written to $out:"
