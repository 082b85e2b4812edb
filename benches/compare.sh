#!/usr/bin/env bash
# Whole-process comparison of `recaudit scan` against b3sum (the official BLAKE3 CLI, defaults)
# on the same corpora, in one run, warm cache. Builds the corpora with `recaudit sample`:
#   small: 2,000 files of about 2 MiB (4 GiB)      target: recaudit at least 1.3x b3sum
#   big:   4 files of about 1 GiB (4 GiB)          target: recaudit at least 1.0x b3sum
# and, optionally, 100,000 small files for peak memory (set MANY=1; about 6 GB of disk).
# Usage: benches/compare.sh [WORKDIR]     (needs b3sum on PATH: cargo install b3sum)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/recaudit-compare}
runs=${RUNS:-5}
cargo build --release --manifest-path "$here/Cargo.toml" >/dev/null
bin="${CARGO_TARGET_DIR:-$here/target}/release/recaudit"
command -v b3sum >/dev/null || { echo "b3sum not found (cargo install b3sum)"; exit 1; }
mkdir -p "$work"
[ -d "$work/small" ] || "$bin" sample --out "$work/small" --devices 20 --hours 0.1112 --segment-seconds 4 --bitrate-kbps 4000
[ -d "$work/big" ] || "$bin" sample --out "$work/big" --devices 4 --hours 0.569 --segment-seconds 2048 --session-seconds 2048 --bitrate-kbps 4000

. "$here/benches/lib.sh"

# A full scan: each run starts from an empty warehouse (a second run into the same warehouse
# would be incremental and read nothing; see benches/rescan.sh for that).
full_scan() {
  rm -rf "$2"
  "$bin" scan "$1" --warehouse "$2" --quiet
}

for corpus in small big; do
  mapfile -t files < <(find "$work/$corpus" -type f | sort)
  bytes=$(du -sb "$work/$corpus" | cut -f1)
  r=$(median full_scan "$work/$corpus" "$work/wh-$corpus")
  b=$(median b3sum "${files[@]}")
  printf '%-6s %6d files %6.2f GB  recaudit %6.3f s (%5.2f GB/s)  b3sum %6.3f s (%5.2f GB/s)  ratio %.2fx\n' \
    "$corpus" "${#files[@]}" "$(echo "$bytes/1000000000" | bc -l)" "$r" "$(echo "$bytes/$r/1000000000" | bc -l)" \
    "$b" "$(echo "$bytes/$b/1000000000" | bc -l)" "$(echo "$b/$r" | bc -l)"
done

if [ "${MANY:-0}" = 1 ]; then
  [ -d "$work/many" ] || "$bin" sample --out "$work/many" --devices 100 --hours 2.78 --segment-seconds 10 --bitrate-kbps 40 --width 320 --height 240
  n=$(find "$work/many" -type f | wc -l)
  rm -rf "$work/wh-many"
  /usr/bin/time -f "many   $n files: %e s wall, peak RSS %M KiB" "$bin" scan "$work/many" --warehouse "$work/wh-many" --quiet >/dev/null
fi
