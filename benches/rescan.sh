#!/usr/bin/env bash
# Nightly rescan cost: a full scan of a tree (empty warehouse) against a rescan of the same,
# unchanged tree (the previous run's warehouse), whole process, warm cache, medians.
# Target (issue 5): the unchanged rescan of 100,000 files takes under 3% of the full scan and
# hashes nothing (runs.hashed_bytes = 0).
# Corpora, made with `recaudit sample` (real ISO BMFF structure; ingest log and notes as context
# tables so the deadline rules run on realistic data):
#   many:   100,401 files of about 65 KB (6.5 GB)      the small-file worst case for the ratio
#   sparse: 101,056 files of about 16 MB (1.6 TB, sparse: 1.4 GB on disk), 30 s segments at
#           4 Mbit/s: recorder-like sizes (real segments are 5-10x larger still). SPARSE=1;
#           one full scan takes about 6 minutes.
# Usage: benches/rescan.sh [WORKDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/recaudit-compare}
runs=${RUNS:-5}
cargo build --release --manifest-path "$here/Cargo.toml" >/dev/null
bin="${CARGO_TARGET_DIR:-$here/target}/release/recaudit"
mkdir -p "$work"
[ -d "$work/many" ] || "$bin" sample --out "$work/many" --devices 100 --hours 2.78 --segment-seconds 10 \
  --bitrate-kbps 40 --width 320 --height 240 --context-out "$work/ctx-many"
corpora=(many)
if [ "${SPARSE:-0}" = 1 ]; then
  [ -d "$work/sparse" ] || "$bin" sample --out "$work/sparse" --devices 100 --hours 8.34 --segment-seconds 30 \
    --sparse --context-out "$work/ctx-sparse"
  corpora+=(sparse)
fi

seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
med() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for corpus in "${corpora[@]}"; do
  tree="$work/$corpus"; ctx="$work/ctx-$corpus"; wh="$work/wh-rescan-$corpus"
  full_runs=$runs; [ "$corpus" = sparse ] && full_runs=1
  f=$(for _ in $(seq "$full_runs"); do rm -rf "$wh"; seconds "$bin" scan "$tree" -w "$wh" -q --context "$ctx"; done | med)
  r=$(for _ in $(seq "$runs"); do seconds "$bin" scan "$tree" -w "$wh" -q --context "$ctx"; done | med)
  hashed=$("$bin" scan "$tree" -w "$wh" -q --context "$ctx" --json | grep -o '"hashed_bytes": [0-9]*' | head -1)
  n=$(find "$tree" -type f | wc -l)
  printf '%-6s %7d files  full scan %8.3f s  unchanged rescan %6.3f s  = %6.2f%% of full  (rescan %s)\n' \
    "$corpus" "$n" "$f" "$r" "$(echo "100*$r/$f" | bc -l)" "$hashed"
done
