#!/usr/bin/env bash
# Rebuilds the bundled demo evidence tree with real encoders (ffmpeg's libx264/AAC/PCM muxers
# and exiftool). Needs ffmpeg and exiftool; recaudit's tests and demo do NOT run this: they use
# the committed files. Re-run only to change the tree, then commit the result.
set -euo pipefail
cd "$(dirname "$0")"
out=evidence
rm -rf "$out"
lavfi_v() { echo "testsrc2=size=320x240:rate=$1"; }
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }

# Unit 1, recorder A (officer OF1023): one session of three continuous segments, 6 s + 6 s + 3 s,
# recorder-style layout (moov after mdat), creation_time in UTC.
d="$out/执法一大队/DSJ-A8-0001234/20260312"
mkdir -p "$d"
i=1
for spec in "093015 01:30:15 6" "093021 01:30:21 6" "093027 01:30:27 3"; do
  set -- $spec
  ff -f lavfi -i "$(lavfi_v 10)" -f lavfi -i "sine=frequency=440:sample_rate=16000" -t "$3" \
     -c:v libx264 -preset veryfast -crf 40 -g 10 -pix_fmt yuv420p -c:a aac -b:a 16k -ac 1 \
     -metadata creation_time="2026-03-12T$2Z" -metadata:s:v handler_name=VideoHandler \
     "$d/DSJ-A8-0001234_OF1023_20260312${1}_000${i}.MP4"
  i=$((i+1))
done
# A photo taken by the same recorder, EXIF in local time with an explicit offset.
ff -f lavfi -i "$(lavfi_v 1)" -frames:v 1 -q:v 8 "$d/DSJ-A8-0001234_OF1023_20260312093100_0001.JPG"
exiftool -q -overwrite_original -Make=ZFZX -Model="DSJ-A8" -DateTimeOriginal="2026:03:12 09:31:00" \
  -OffsetTimeOriginal="+08:00" -GPSLatitude=31.2304 -GPSLatitudeRef=N -GPSLongitude=121.4737 -GPSLongitudeRef=E \
  "$d/DSJ-A8-0001234_OF1023_20260312093100_0001.JPG"

# Unit 1, recorder F (another model) writes fragmented MP4 without audio.
d="$out/执法一大队/DSJ-F5-0000321/20260312"
mkdir -p "$d"
ff -f lavfi -i "$(lavfi_v 10)" -t 4 -c:v libx264 -preset veryfast -crf 40 -g 10 -pix_fmt yuv420p \
   -movflags frag_keyframe+empty_moov -metadata creation_time="2026-03-12T06:00:00Z" \
   "$d/DSJ-F5-0000321_OF1024_20260312140000_0001.MP4"

# Unit 2, recorder B: files named <YYYYMMDD>_<hhmmss>_<seq> inside the device folder, QuickTime
# MOV with creation_time written in local time (as some recorders do).
d="$out/执法二大队/DSJ-B2-0000077"
mkdir -p "$d"
ff -f lavfi -i "$(lavfi_v 10)" -f lavfi -i "sine=frequency=660:sample_rate=16000" -t 5 \
   -c:v libx264 -preset veryfast -crf 40 -g 10 -pix_fmt yuv420p -c:a aac -b:a 16k -ac 1 \
   -metadata creation_time="2026-03-12T23:58:00Z" "$d/20260312_235800_0001.MOV"

# Unit 2, recorder C writes MPEG-TS segments (device id without officer in the name).
d="$out/执法二大队/DSJ-C3-0000100/20260313"
mkdir -p "$d"
ff -f lavfi -i "$(lavfi_v 10)" -f lavfi -i "sine=frequency=880:sample_rate=16000" -t 4 \
   -c:v libx264 -preset veryfast -crf 40 -g 10 -pix_fmt yuv420p -c:a aac -b:a 16k -ac 1 \
   "$d/DSJ-C3-0000100_20260313080000_0001.TS"

# An older recorder that writes AVI (MJPEG video, PCM audio).
d="$out/执法二大队/DSJ-D4-0000005/20260312"
mkdir -p "$d"
ff -f lavfi -i "$(lavfi_v 5)" -f lavfi -i "sine=frequency=500:sample_rate=8000" -t 2 \
   -c:v mjpeg -q:v 20 -pix_fmt yuvj420p -c:a pcm_s16le -ac 1 "$d/DSJ-D4-0000005_20260312120000_0001.AVI"

# An audio recorder: Broadcast-WAV with a bext origination date (local time).
d="$out/执法一大队/AUD-R1-0000009/20260312"
mkdir -p "$d"
ff -f lavfi -i "sine=frequency=300:sample_rate=8000" -t 2 -ac 1 -c:a pcm_s16le -write_bext 1 \
   -metadata originator="AUD-R1" -metadata origination_date=2026-03-12 -metadata origination_time=10:15:00 \
   "$d/AUD-R1-0000009_OF1023_20260312101500_0001.WAV"

# A name with spaces (a case-officer's hand-made folder).
d="$out/执法一大队/案件 2026-031 补充材料"
mkdir -p "$d"
ff -f lavfi -i "$(lavfi_v 1)" -frames:v 1 -q:v 8 "$d/现场 照片 1.jpg"

# Case files: documents kept beside the footage under a folder that names the case (第六条).
# A one-page PDF (the inspection record of case AJ-2026-031) and an OOXML document (the
# acceptance notice of permit AJ-2026-033), written by Python's standard library with fixed
# timestamps so that re-running gives the same bytes.
python3 - "$out" <<'PY'
import sys, zipfile, pathlib
out = pathlib.Path(sys.argv[1])

def pdf(path, lines):
    text = "BT /F1 11 Tf 50 780 Td 14 TL " + " ".join(f"({l}) '" for l in lines) + " ET"
    objs = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body, offsets = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", []
    for i, o in enumerate(objs, 1):
        offsets.append(len(body))
        body += f"{i} 0 obj\n{o}\nendobj\n".encode()
    xref = len(body)
    body += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    body += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    body += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)

def docx(path, text):
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            '</Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
            '</Relationships>',
        "word/document.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
            + "".join(f"<w:p><w:r><w:t>{t}</w:t></w:r></w:p>" for t in text)
            + '</w:body></w:document>',
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(zipfile.ZipInfo(name, (2026, 3, 13, 10, 0, 0)), data)

pdf(out / "执法一大队/案卷 AJ-2026-031/现场检查记录.pdf",
    ["Site inspection record, case AJ-2026-031", "2026-03-12 09:30-10:00, officers OF1023 OF1024",
     "Signed on site by the enterprise's safety manager"])
docx(out / "执法二大队/案卷 AJ-2026-033/受理通知书.docx",
     ["行政许可申请受理通知书", "案件 AJ-2026-033", "2026年3月13日"])
PY

du -sh "$out"
