#!/usr/bin/env bash
# Province (issue 15): per-node figures of a shared warehouse, on this one machine.
#  1. Bytes: a tree of recorder-like one-minute segments (real ISO BMFF, 1 Mbit/s filler) in two
#     halves (units), scanned once as a county and then as two nodes (each scan publishes into
#     the shared warehouse): seconds, GB/s, and what publishing adds.
#  2. Files: a sparse tree of ~100,000 ten-second segments in two halves, scanned as two nodes,
#     then `recaudit analyse` over both: files per second of the analysis step.
#  3. Queries: a synthetic 1,000,000-file catalogue (`recaudit sample-catalog`); two named
#     analyses through the single-process engine and across 1 and 2 `recaudit worker`
#     processes (loopback; the workers share this machine's cores).
#   benches/province.sh [WORKDIR]          (default /tmp/recaudit-province; removed at the end)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/recaudit-province}
cargo build --release --manifest-path "$here/Cargo.toml" >/dev/null
bin="${CARGO_TARGET_DIR:-$here/target}/release/recaudit"
rm -rf "$work"; mkdir -p "$work"
trap 'pkill -f "recaudit worker --listen 127.0.0.1:5180" 2>/dev/null || true; rm -rf "$work"' EXIT
secs() { local t0; t0=$(date +%s.%N); "$@" >/dev/null 2>"$work/.err" || { cat "$work/.err"; exit 1; }; echo "$(date +%s.%N) - $t0" | bc; }
halves() { # the unit folders of a tree, split in two lists
  local tree=$1; mapfile -t units < <(find "$tree" -mindepth 1 -maxdepth 1 -type d | sort)
  local n=${#units[@]}; A=("${units[@]:0:$((n / 2))}"); B=("${units[@]:$((n / 2))}")
}

echo "== 1. bytes: one-minute segments, two nodes"
tree="$work/bytes"; "$bin" sample --out "$tree" --devices 24 --hours 0.25 --segment-seconds 60 \
    --bitrate-kbps 1000 --context-out "$work/bytes-ctx" >/dev/null
halves "$tree"; bytes=$(du -sb "$tree" | cut -f1); files=$(find "$tree" -type f | wc -l)
cat "$tree"/*/*/*/* > /dev/null   # page cache warm for every run alike
c=$(secs "$bin" scan "$tree" -w "$work/county" -q --keyframes off --context "$work/bytes-ctx")
a=$(secs "$bin" scan "${A[@]}" -w "$work/shared-bytes" --node a -q --keyframes off --context "$work/bytes-ctx")
b=$(secs "$bin" scan "${B[@]}" -w "$work/shared-bytes" --node b -q --keyframes off --context "$work/bytes-ctx")
printf '%s files, %.2f GB: county scan %.2f s (%.2f GB/s); node a %.2f s, node b %.2f s (%.2f GB/s per node, publication included)\n' \
  "$files" "$(echo "$bytes / 1000000000" | bc -l)" "$c" "$(echo "$bytes / 1000000000 / $c" | bc -l)" "$a" "$b" \
  "$(echo "$bytes / 1000000000 / ($a + $b)" | bc -l)"

echo "== 2. files: ten-second segments, two nodes, the analysis"
tree="$work/files"; "$bin" sample --out "$tree" --devices 100 --hours 2.8 --segment-seconds 10 \
    --bitrate-kbps 1 --width 160 --height 120 --sparse --context-out "$work/files-ctx" >/dev/null
halves "$tree"; files=$(find "$tree" -type f | wc -l)
a=$(secs "$bin" scan "${A[@]}" -w "$work/shared" --node a -q --context "$work/files-ctx")
b=$(secs "$bin" scan "${B[@]}" -w "$work/shared" --node b -q --context "$work/files-ctx")
s=$(secs "$bin" analyse "$work/shared" --context "$work/files-ctx")
printf '%s files: node a %.2f s, node b %.2f s; analyse %.2f s (%.0f files/s)\n' "$files" "$a" "$b" "$s" "$(echo "$files / $s" | bc -l)"
rm -rf "$tree" "$work/bytes"

echo "== 3. queries: 1,000,000-file catalogue, single process and workers"
cat="$work/catalog"; "$bin" sample-catalog --out "$cat" --files 1000000 --findings 100000 >/dev/null
"$bin" worker --listen 127.0.0.1:51801 -j 1 2>/dev/null & "$bin" worker --listen 127.0.0.1:51802 -j 1 2>/dev/null &
sleep 2
for q in supervision public_opinion; do
  one=$(secs "$bin" query "$cat" --name "$q" --format csv)
  w1=$(secs "$bin" query "$cat" --name "$q" --format csv --workers http://127.0.0.1:51801 --set distributed.file_scan_config_bytes_per_partition=4194304)
  w2=$(secs "$bin" query "$cat" --name "$q" --format csv --workers http://127.0.0.1:51801,http://127.0.0.1:51802 --set distributed.file_scan_config_bytes_per_partition=4194304)
  printf '%-15s single %.2f s (%.0f files/s); 1 worker %.2f s (%.0f files/s); 2 workers %.2f s (%.0f files/s per worker)\n' \
    "$q" "$one" "$(echo "1000000 / $one" | bc -l)" "$w1" "$(echo "1000000 / $w1" | bc -l)" "$w2" "$(echo "1000000 / $w2 / 2" | bc -l)"
done
