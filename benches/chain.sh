#!/usr/bin/env bash
# The hash chain's cost, whole process, warm cache, medians of $RUNS (default 5):
#  1. `recaudit verify` on a warehouse of 1,000,000 files (and 10,000,000: SIZES) made by `recaudit sample-catalog`
#     against b3sum hashing the same table files (the snapshot's Parquet files), both with
#     every core. Target: verify at the speed of hashing its table files.
#  2. An unchanged nightly rescan of a 100,800-file tree (sparse recorder-like MP4 segments from
#     `recaudit sample`), by this build and by a build without the chain (OLD_BIN, e.g. the
#     commit before the chain built in a worktree), each on its own warehouse. Target: the chain
#     check and seal add under 2%.
# Usage: OLD_BIN=/path/to/recaudit-before-chain benches/chain.sh [WORKDIR]
# Leaves WORKDIR behind for inspection; remove it afterwards (about 1 GB).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/recaudit-chain-bench}
runs=${RUNS:-11}
bin=${NEW_BIN:-}
if [ -z "$bin" ]; then
    cargo build --release --manifest-path "$here/Cargo.toml" >/dev/null
    bin="${CARGO_TARGET_DIR:-$here/target}/release/recaudit"
fi
command -v b3sum >/dev/null || { echo "b3sum not found (apt-get install b3sum or cargo install b3sum)"; exit 1; }
mkdir -p "$work"

median() {
    local times=()
    "$@" >/dev/null 2>&1 || true
    for _ in $(seq "$runs"); do
        local s e
        s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
        times+=("$(echo "$e - $s" | bc -l)")
    done
    printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

# 1. verify vs b3sum (SIZES="1000000 10000000" adds the 10M-file warehouse: 1.2 GB, 2 minutes to make)
for files in ${SIZES:-1000000}; do
    wh="$work/catalog-$files"
    [ -d "$wh" ] || "$bin" sample-catalog --out "$wh" --files "$files" --findings $((files / 10)) >/dev/null
    "$bin" verify "$wh" >/dev/null || { echo "the benchmark warehouse does not verify"; exit 1; }
    mapfile -t tables < <(find -L "$wh/current" -path '*/chain' -prune -o -type f -print | sort)
    bytes=$(cat "${tables[@]}" | wc -c)
    t_verify=$(median "$bin" verify "$wh")
    t_b3=$(median b3sum "${tables[@]}")
    echo "verify, $files-file warehouse: ${#tables[@]} table files, $bytes bytes"
    printf '  recaudit verify %.3f s   b3sum %.3f s   ratio %.2fx (verify / b3sum)\n' "$t_verify" "$t_b3" "$(echo "$t_verify / $t_b3" | bc -l)"
done

# 2. unchanged rescan, with and without the chain
if [ -n "${OLD_BIN:-}" ]; then
    tree="$work/tree"
    [ -d "$tree" ] || "$bin" sample --out "$tree" --devices 50 --hours 0.56 --segment-seconds 1 --sparse >/dev/null
    n=$(find "$tree" -type f | wc -l)
    for b in new old; do
        [ -d "$work/wh-$b" ] && continue
        if [ "$b" = new ]; then "$bin" scan "$tree" -w "$work/wh-$b" -q >/dev/null; else "$OLD_BIN" scan "$tree" -w "$work/wh-$b" -q >/dev/null; fi
    done
    # interleaved rounds: old, new, old, new ...
    olds=(); news=()
    "$OLD_BIN" scan "$tree" -w "$work/wh-old" -q >/dev/null; "$bin" scan "$tree" -w "$work/wh-new" -q >/dev/null
    for _ in $(seq "$runs"); do
        s=$(date +%s.%N); "$OLD_BIN" scan "$tree" -w "$work/wh-old" -q >/dev/null; e=$(date +%s.%N); olds+=("$(echo "$e - $s" | bc -l)")
        s=$(date +%s.%N); "$bin" scan "$tree" -w "$work/wh-new" -q >/dev/null; e=$(date +%s.%N); news+=("$(echo "$e - $s" | bc -l)")
    done
    mo=$(printf '%s\n' "${olds[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    mn=$(printf '%s\n' "${news[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    # the ratio pair by pair (new / old of the same round), then its median: robust to drift
    ratios=$(for i in "${!olds[@]}"; do echo "${news[$i]} / ${olds[$i]}" | bc -l; done | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "unchanged rescan, $n files (median of $runs, interleaved):"
    printf '  without the chain %.3f s   with it %.3f s   paired ratio (median) %.3fx\n' "$mo" "$mn" "$ratios"
    echo "  the chain check alone (RECAUDIT_TIMINGS):"
    RECAUDIT_TIMINGS=1 "$bin" scan "$tree" -w "$work/wh-new" -q 2>&1 >/dev/null | grep -E "chain checked|tables written|commit" | sed 's/^/    /'
fi
