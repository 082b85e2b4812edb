#!/usr/bin/env bash
# What the keyframe stage costs a scan, on recorder-like footage: 1920x1080 H.264 at 25 fps,
# a keyframe a second, about 4 Mbit/s, a moving picture with a burned-in clock, device and
# officer number (ffmpeg's drawtext, as tests/fixtures/make-osd.sh), named as a recorder names
# its segments. Full scans from an empty warehouse, warm cache, side by side in one run:
#   recaudit scan --keyframes off    (hash and parse only)
#   recaudit scan                    (the stage on: first and last keyframe of every file, and
#                                     one device model's digits learned from two recordings)
# and reports the ratio and the cost per file. The target is at most 1.10x.
# Usage: benches/keyframes.sh [WORKDIR]   (needs ffmpeg; FILES=6 SECONDS_EACH=60 RUNS=3)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/recaudit-keyframes}
files=${FILES:-6}
secs=${SECONDS_EACH:-60}
runs=${RUNS:-3}
cargo build --release --manifest-path "$here/Cargo.toml" >/dev/null
bin="${CARGO_TARGET_DIR:-$here/target}/release/recaudit"
command -v ffmpeg >/dev/null || { echo "ffmpeg not found"; exit 1; }
font=/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf
tree="$work/tree/DSJ-BENCH/20260312"
mkdir -p "$tree"
# Segment k starts at 10:00:00 + k*secs (Asia/Shanghai, the default zone).
base=1773309600
for k in $(seq 0 $((files - 1))); do
  start=$((base + k * secs))
  name=$(TZ=UTC date -u -d "@$start" +DSJ-BENCH_OF000001_%Y%m%d%H%M%S)_$(printf %04d $((k + 1))).MP4
  [ -f "$tree/$name" ] && continue
  created=$(date -u -d "@$((start - 8 * 3600))" +%Y-%m-%dT%H:%M:%SZ)
  TZ=UTC ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "mandelbrot=size=1920x1080:rate=25:start_scale=$((3 + k))" -t "$secs" \
    -metadata creation_time="$created" \
    -vf "drawtext=fontfile=$font:fontsize=40:fontcolor=white:borderw=2:bordercolor=black:x=40:y=30:text='%{pts\\:localtime\\:$start}  DSJ-BENCH 000001'" \
    -c:v libx264 -preset veryfast -b:v 4M -maxrate 4M -bufsize 8M -g 25 -keyint_min 25 -sc_threshold 0 \
    -pix_fmt yuv420p "$tree/$name"
done
bytes=$(du -sb "$work/tree" | cut -f1)

. "$here/benches/lib.sh"
full_scan() {
  local dir=$1; shift
  rm -rf "$work/wh"
  "$bin" scan "$dir" --warehouse "$work/wh" --quiet "$@"
}
# Two files alone: both teach the model its digits (as two of the six do), so the difference
# to the whole corpus is the per-file cost only.
mkdir -p "$work/two/DSJ-BENCH/20260312"
for f in $(ls "$tree" | sort | head -2); do cp -n "$tree/$f" "$work/two/DSJ-BENCH/20260312/"; done
off_n=$(median full_scan "$work/tree" --keyframes off)
on_n=$(median full_scan "$work/tree")
off_2=$(median full_scan "$work/two" --keyframes off)
on_2=$(median full_scan "$work/two")
per_file=$(echo "(($on_n - $off_n) - ($on_2 - $off_2)) / ($files - 2)" | bc -l)
learn=$(echo "($on_2 - $off_2) - 2 * $per_file" | bc -l)
echo "corpus: $files files of ${secs} s, 1920x1080 25 fps 4 Mbit/s, $((bytes / 1048576)) MiB; median of $runs full scans each, warm cache"
printf '  %d files: --keyframes off %6.2f s, on %6.2f s (%.2fx)\n' "$files" "$off_n" "$on_n" "$(echo "$on_n / $off_n" | bc -l)"
printf '  2 files:  --keyframes off %6.2f s, on %6.2f s\n' "$off_2" "$on_2"
printf '  the stage: %.0f ms a file of wall time on all cores (first and last keyframe), plus %.1f s a run for each device model it learns (two recordings)\n' \
  "$(echo "$per_file * 1000" | bc -l)" "$learn"
printf '  the scan without it: %.0f ms a file of this size\n' "$(echo "$off_n * 1000 / $files" | bc -l)"
echo "(remove $work when done: rm -rf $work)"
