#!/usr/bin/env bash
# Scale: a county's tree of a million files and more (issue 13). For each tree size it reports
# the full scan, the unchanged nightly rescan and a rescan after 1% of the files changed:
# wall seconds, peak RSS (GNU time's maximum resident set size) and bytes read (runs.hashed_bytes),
# and the floor of any rescan, a stat of every file (`find -printf` of size and mtime).
# Trees come from `recaudit sample` (real ISO BMFF structure, 10 s segments, sparse payload so
# that a million files take about 12 GB of disk) with its context tables: a one-line-per-file
# ingest log and media notes, registries, cases.
#   SIZES="1000000 2000000" benches/scale.sh [WORKDIR]     (default SIZES=1000000)
# A ten-million-file tree does not fit on the 252 GB benchmark machine's free disk with its
# context; 10 M figures are extrapolated linearly from the 1 M and 2 M ones (the script prints
# the fit), and `recaudit sample-catalog --files 10000000` measures the query side at 10 M.
# Remove WORKDIR afterwards: the trees are large.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/recaudit-scale}
sizes=${SIZES:-1000000}
cargo build --release --manifest-path "$here/Cargo.toml" >/dev/null
bin="${CARGO_TARGET_DIR:-$here/target}/release/recaudit"
[ -x /usr/bin/time ] || { echo "needs GNU time (/usr/bin/time)"; exit 1; }
mkdir -p "$work"

# wall seconds and peak RSS (MiB) of one run: "SECONDS MIB"
measure() {
  /usr/bin/time -f '%e %M' -o "$work/.time" "$@" >/dev/null 2>"$work/.err" || { cat "$work/.err"; exit 1; }
  awk '{printf "%s %.0f\n", $1, $2 / 1024}' "$work/.time"
}
hashed() { "$bin" query "$1" "SELECT hashed_bytes FROM runs ORDER BY started DESC LIMIT 1" --format csv | tail -1; }

printf '%-9s %-22s %9s %10s %14s\n' files run seconds peak_MiB bytes_read
for n in $sizes; do
  tree="$work/tree-$n"; ctx="$work/ctx-$n"; wh="$work/wh-$n"
  # 100 recorders; hours per recorder so that 10 s segments give about n files.
  hours=$(echo "$n / 100 * 10 / 3600" | bc -l)
  [ -d "$tree" ] || "$bin" sample --out "$tree" --devices 100 --hours "$hours" --segment-seconds 10 \
      --bitrate-kbps 1 --width 160 --height 120 --sparse --context-out "$ctx" >/dev/null
  count=$(find "$tree" -type f | wc -l)
  rm -rf "$wh"
  read -r s m < <(measure "$bin" scan "$tree" -w "$wh" -q --context "$ctx")
  printf '%-9s %-22s %9s %10s %14s\n' "$count" "full scan" "$s" "$m" "$(hashed "$wh")"
  read -r s m < <(measure "$bin" scan "$tree" -w "$wh" -q --context "$ctx")
  printf '%-9s %-22s %9s %10s %14s\n' "$count" "unchanged rescan" "$s" "$m" "$(hashed "$wh")"
  # 1% of the files get a new mtime: each is read and hashed again (a metadata change).
  find "$tree" -type f | awk 'NR % 100 == 0' | xargs -r touch
  read -r s m < <(measure "$bin" scan "$tree" -w "$wh" -q --context "$ctx")
  printf '%-9s %-22s %9s %10s %14s\n' "$count" "rescan, 1% changed" "$s" "$m" "$(hashed "$wh")"
  read -r s m < <(measure sh -c "find '$tree' -type f -printf '%s %T@\n' | wc -l")
  printf '%-9s %-22s %9s %10s %14s\n' "$count" "floor: stat every file" "$s" "$m" "-"
done
