#!/usr/bin/env bash
# Builds the seed corpora of the fuzz targets from the project's own fixtures and sample data
# and from ../shared/real-media (public camera files and known-hostile files), by format.
# Files over 1 MiB are cut to their first and last 256 KiB (libFuzzer's inputs stay small;
# the cut itself is a truncation worth fuzzing). Output: fuzz/corpus/<target>/.
set -euo pipefail
cd "$(dirname "$0")"
root=..
shared=${RECAUDIT_SHARED:-../../shared}
rm -rf corpus && mkdir -p corpus
add() { # target file
    local dir=corpus/$1 name
    mkdir -p "$dir"
    name=$(printf '%s' "$2" | sha256sum | cut -c1-16)
    # The targets take an input's first byte as the chunk size: 0x10 gives 977-byte chunks.
    if [ "$(stat -c %s "$2")" -gt 1048576 ]; then
        { printf '\x10'; head -c 262144 "$2"; tail -c 262144 "$2"; } > "$dir/$name"
    else
        { printf '\x10'; cat "$2"; } > "$dir/$name"
    fi
}
while IFS= read -r -d '' f; do
    case "${f,,}" in
        */neg-hik/*|*/neg-hkm/*) add bmff "$f"; add ps "$f" ;;
        *.mpg|*.mpeg|*.vob|*.ps) add ps "$f" ;;
        *.mkv|*.webm) add mkv "$f" ;;
        *.dav) add dav "$f" ;;
        *.flv) add flv "$f" ;;
        *.mp4|*.mov|*.3gp|*.m4a|*.heic|*.m4v) add bmff "$f" ;;
        *.ts|*.m2ts) add ts "$f" ;;
        *.jpg|*.jpeg) add jpeg "$f" ;;
        *.wav) add riff_wav "$f" ;;
        *.avi) add riff_avi "$f" ;;
        *.json) add sidecar "$f" ;;
        *.csv) for t in cases case_media ingest_log media_notes devices officers; do
                   case "$f" in */$t.csv) mkdir -p corpus/context_csv
                       i=$(( $(echo "cases case_media ingest_log media_notes devices officers" | tr ' ' '\n' | grep -nx "$t" | cut -d: -f1) - 1 ))
                       { printf "\\x$(printf %02x "$i")"; cat "$f"; } > "corpus/context_csv/$t-$(printf '%s' "$f" | sha256sum | cut -c1-8)";;
                   esac
               done ;;
        *) [ -f "$f" ] && case "$f" in */hostile/*) add bmff "$f" ;; esac ;;
    esac
    # Every media path is also a path-pattern seed.
    mkdir -p corpus/path_patterns
    printf '%s' "${f#*/evidence/}" > "corpus/path_patterns/$(printf '%s' "$f" | sha256sum | cut -c1-16)"
done < <(find "$root/tests/fixtures" "$root/sample-data" "$shared/real-media" -type f -print0 2>/dev/null)
# Sidecars: the fixtures have none, so two written here (the fields the parser reads).
mkdir -p corpus/sidecar
printf '\x10{"category":"执法检查","description":"现场检查 消防通道","described_at":"2026-03-12 10:00:00"}' > corpus/sidecar/full
printf '\x10{"category":"", "extra": [1, 2, {"a": null}], "described_at": 20260312}' > corpus/sidecar/odd
# AMR: no real encoder is at hand, so frames of each type written here.
mkdir -p corpus/amr
python3 - <<'PY'
frames = lambda magic, sizes: magic + b"".join(bytes([(ft << 3) | 4]) + bytes(n) for ft, n in sizes)
open("corpus/amr/nb", "wb").write(b"\x10" + frames(b"#!AMR\n", [(ft, n) for ft, n in enumerate([12, 13, 15, 17, 19, 20, 26, 31, 5])] * 3))
open("corpus/amr/wb", "wb").write(b"\x10" + frames(b"#!AMR-WB\n", [(ft, n) for ft, n in enumerate([17, 23, 32, 36, 40, 46, 50, 58, 60, 5])] * 3))
PY
# MPEG audio and ADTS: the labelled corpus's voice recordings (LAME MP3, ADTS AAC).
for f in "$root"/tests/fixtures/labelled/*/NEG-MP3/*/*.MP3 "$root"/tests/fixtures/labelled/*/NEG-AAC/*/*.AAC; do
  add mpa "$f"
done
# A transport stream after Hikvision's media header announcing one (system format 3): the
# NEG-HIK export's header, its format set to 3, before a NEG-TS segment.
for f in "$root"/tests/fixtures/labelled/*/NEG-TS/*/NEG-TS_*_0001.TS; do
  { printf '\x10'; head -c 40 "$root"/tests/fixtures/labelled/*/NEG-HIK/*/NEG-HIK_*_0001.MP4 \
      | python3 -c "import sys; b = bytearray(sys.stdin.buffer.read()); b[8:10] = b'\x03\x00'; sys.stdout.buffer.write(b)"
    cat "$f"; } > corpus/ts/hik-ts
done
# H.264 parameter sets: the Annex B streams of the TS files are a rich seed.
mkdir -p corpus/h264_sps
cp corpus/ts/* corpus/h264_sps/ 2>/dev/null || true
# The keyframe stage's plans: the fixtures' `moov` bodies, and the fragmented fixture's movie
# fragments, each after the eight bytes of its offset in the file.
mkdir -p corpus/keyplan
python3 - "$root/tests/fixtures/osd" <<'PY'
import glob, struct, sys
for path in glob.glob(sys.argv[1] + "/*.mp4"):
    data, at = open(path, "rb").read(), 0
    while at + 8 <= len(data):
        size, typ = struct.unpack(">I4s", data[at:at + 8])
        if size < 8:
            break
        name = path.rsplit("/", 1)[1]
        if typ == b"moov":
            open(f"corpus/keyplan/{name}.moov", "wb").write(data[at + 8:at + size])
        if typ == b"moof" and "fragmented" in name and at < 40000:
            open(f"corpus/keyplan/{name}.{at}.moof", "wb").write(struct.pack(">Q", at) + data[at + 8:at + size])
        at += size
# An AVI: two bytes of its `hdrl` body's length, the body, then its `idx1` body.
for path in glob.glob(sys.argv[1] + "/*.avi"):
    data, at, hdrl, idx1 = open(path, "rb").read(), 12, None, None
    while at + 8 <= len(data):
        typ, size = struct.unpack("<4sI", data[at:at + 8])
        if typ == b"LIST" and data[at + 8:at + 12] == b"hdrl":
            hdrl = data[at + 12:at + 8 + size]
        if typ == b"idx1":
            idx1 = data[at + 8:at + 8 + size]
        at += 8 + size + (size & 1)
    if hdrl is not None and idx1 is not None and len(hdrl) < 65536:
        name = path.rsplit("/", 1)[1]
        open(f"corpus/keyplan/{name}.avi", "wb").write(struct.pack(">H", len(hdrl)) + hdrl + idx1)
PY
for d in corpus/*; do echo "$(basename "$d"): $(ls "$d" | wc -l) seeds"; done
