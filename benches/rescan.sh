#!/usr/bin/env bash
# Nightly rescan cost: a full scan of a tree (empty warehouse) against a rescan of the same,
# unchanged tree (the previous run's warehouse), whole process, warm cache, medians.
# Target (issue 5): the unchanged rescan of 100,000 files takes under 3% of the full scan and
# hashes nothing (runs.hashed_bytes = 0).
# Corpora, made with `recaudit sample` (real ISO BMFF structure, pseudo-random payload):
#   many:  100,000 files of about 65 KB  (6.5 GB)  the small-file worst case for the ratio
#   small: 2,000 files of about 2 MiB    (4.3 GB)
# Usage: benches/rescan.sh [WORKDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/recaudit-compare}
runs=${RUNS:-5}
cargo build --release --manifest-path "$here/Cargo.toml" >/dev/null
bin="${CARGO_TARGET_DIR:-$here/target}/release/recaudit"
mkdir -p "$work"
[ -d "$work/many" ] || "$bin" sample --out "$work/many" --devices 100 --hours 2.78 --segment-seconds 10 --bitrate-kbps 40 --width 320 --height 240
[ -d "$work/small" ] || "$bin" sample --out "$work/small" --devices 20 --hours 0.1112 --segment-seconds 4 --bitrate-kbps 4000

median() {
  local times=()
  for _ in $(seq "$runs"); do
    local s e
    "$1" prepare
    s=$(date +%s.%N); "$1" run >/dev/null 2>&1; e=$(date +%s.%N)
    times+=("$(echo "$e - $s" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

for corpus in many small; do
  tree="$work/$corpus"
  wh="$work/wh-rescan-$corpus"
  full() { case $1 in prepare) rm -rf "$wh" ;; run) "$bin" scan "$tree" --warehouse "$wh" --quiet ;; esac; }
  rescan() { case $1 in prepare) [ -e "$wh/current" ] || "$bin" scan "$tree" --warehouse "$wh" --quiet >/dev/null ;; run) "$bin" scan "$tree" --warehouse "$wh" --quiet ;; esac; }
  "$bin" scan "$tree" --warehouse "$wh" --quiet >/dev/null 2>&1 || true   # warm the page cache
  f=$(median full)
  r=$(median rescan)
  hashed=$("$bin" scan "$tree" --warehouse "$wh" --quiet --json | grep -o '"hashed_bytes": [0-9]*' | head -1)
  n=$(find "$tree" -type f | wc -l)
  printf '%-6s %7d files  full scan %7.3f s  unchanged rescan %6.3f s  = %5.2f%% of full  (%s)\n' \
    "$corpus" "$n" "$f" "$r" "$(echo "100*$r/$f" | bc -l)" "$hashed"
done
