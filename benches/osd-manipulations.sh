#!/usr/bin/env bash
# The display rules on displays no test or tuning has seen: for each of three recorder-style
# displays (fonts, sizes, codecs and scenes unlike tests/fixtures/osd and benches/osd-accuracy.sh
# SET=main), a day of honest recordings (a session of three contiguous 20-second segments and
# a later recording) and three manipulations, as a case review would meet them:
#   (the honest session of three contiguous segments is 0001-0003, the later recording 0005)
#   restamped  recorded at T by its display, renamed and re-stamped (name and creation_time)
#              to T + 30 min: the container is clean, the picture tells (time_mismatch);
#   joined     two recordings 15 minutes apart joined by stream copy: timestamps run on, the
#              display jumps (inserted_footage);
#   foreign    another recorder's footage filed under this device: its display names another
#              device, DSJ-Z9901 (inserted_footage). Its serial ends in the same digits as
#              DSJ-MX01's and in one digit unlike DSJ-MX02's, DSJ-MX03's and DSJ-MX04's: the rule compares
#              only the serial's digits and asks two of them to differ, so these are expected
#              to go unfound; foreign2 shows DSJ-K4757, two digits unlike every device here.
#   reset      the recorder's clock back at 2000-01-01 (name, container and picture agree):
#              clock_reset, with the picture as the second witness;
#   ratespliced  8 s at half the frame rate from 40 minutes later spliced into a recording by
#              stream copy, its ends' clocks agreeing (INS-RATE); beside it an honest
#              `lowlight` recording whose recorder halved its rate for 8 s, its clock running
#              on (OSD-RATE, information only);
#   darkseg    (honest, the next day) a session of three segments cut from one recording whose
#              last 20 s, the whole third segment, the recorder took at half its rate in the
#              dark: OSD-RATE (information), not INS-SESSION;
#   setting    (honest) one recording at a lower resolution setting between recordings at the
#              usual one, by the same encoder: ENC-SETTING (information), not ENC-PARAMS;
#   reencoded  an honest recording decoded and encoded again at the same picture size, frame
#              rate, codec and profile by an encoder with other habits (x264: CAVLC, no
#              B-frames, one reference, a keyframe each 3 s; x265: no B-frames, one reference,
#              a keyframe each 3 s, no SAO), placed between the session and the later
#              recording: the rule finds a one-off among recordings before and after it that
#              agree (a change that stays is a firmware update, not a finding): reencoded.
# Reported: each manipulation's findings from the OSD and coding rules, and every finding of
# those rules on an honest file (there must be none above info).
# A fourth display, DSJ-MX04, is set in a proportional font (DejaVu Sans, ffmpeg's default
# "Sans": digits of one width, separators and spaces narrower); a fifth, DSJ-MX05, has a drop
# shadow and no outline over a light scene (learned as bright text, `osd_fonts.ink`).
# Usage: [DEVICES="DSJ-MX01 DSJ-MX04"|more|bitmap|all] [CONTAINER=ts] benches/osd-manipulations.sh [WORKDIR]
# (needs ffmpeg and the DejaVu, Liberation fonts, and for `more` FreeFont, Noto Mono, Hack and
# Croscore, Roboto, and for `bitmap` Unifont; DEVICES picks some of the displays, the first five
# by default, `more` the five below them, `bitmap` the two bitmap displays, `all` the twelve; CONTAINER=ts scans MPEG-TS copies of every recording instead of the MP4s)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/recaudit-osd-manipulations}
cargo build --release --manifest-path "$here/Cargo.toml" >/dev/null
bin="${CARGO_TARGET_DIR:-$here/target}/release/recaudit"
command -v ffmpeg >/dev/null || { echo "ffmpeg not found"; exit 1; }
SANSB=/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf
LIBREG=/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf
LIBB=/usr/share/fonts/truetype/liberation/LiberationMono-Bold.ttf
PROP=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
tree="$work/tree"
mkdir -p "$tree" "$work/parts"
q() { TZ=UTC ffmpeg -hide_banner -loglevel error -y "$@"; }
stamp() { TZ=UTC date -u -d "@$1" +%Y%m%d%H%M%S; }
iso() { date -u -d "@$(($1 - 8 * 3600))" +%Y-%m-%dT%H:%M:%SZ; }
# shot OUT SECS EPOCH_SHOWN NAMED_DEVICE_ON_SCREEN   (display settings from the current device)
# Each recording's clock starts part of a second into its second (0.02-0.97 s, drawn anew for
# each recording), as a recorder's clock stands when it starts a file: the display shows
# EPOCH at the file's first picture and steps to the next second that much sooner.
shot() {
  local out=$1 secs=$2 epoch=$3 shown=$4
  [ -f "$out" ] && return 0
  local at
  at=$epoch.$(printf %02d $((RANDOM % 96 + 2)))
  # RATE: another frame rate; AFTER: filters after the display's (frames dropped: variable
  # frame rate, the timestamps kept).
  q -f lavfi -i "${src//\{\}/size=${SIZE:-$size}:rate=${RATE:-$rate}}" -t "$secs" -metadata creation_time="$(iso "$epoch")" \
    -vf "drawtext=fontfile=$font:fontsize=h/26:$style:x=w/40:y=h/28:text='$(text "$at")  $shown 0$num'${AFTER:-}" \
    -pix_fmt yuv420p $codec ${AFTER:+-fps_mode vfr} "$out"
}
text() {
  case "$fmt" in
    slash) echo "%{pts\\:localtime\\:$1\\:%Y/%m/%d}  %{pts\\:localtime\\:$1\\:%H\\\\\\:%M\\\\\\:%S}" ;;
    *) echo "%{pts\\:localtime\\:$1}" ;;
  esac
}
name() { echo "$tree/$dev/${DAY:-20260312}/${dev}_OF00${num}_$(stamp "$1")_$2.MP4"; }
# session PART EPOCH FIRST: one recording of 60 s from EPOCH cut at its keyframes at 20 and
# 40 s by stream copy, as a recorder cuts its segments: each segment named and stamped with
# the second its display shows at its first picture, its clock running on from the segment
# before, numbered from FIRST (AFTER and DAY as for shot and name).
session() {
  local part=$1 epoch=$2 first=$3 i
  [ -f "$(name $((epoch + 40)) "$(printf %04d $((first + 2)))")" ] && return 0
  shot "$work/parts/$dev-$part.mp4" 60 "$epoch" "$dev"
  q -i "$work/parts/$dev-$part.mp4" -c copy -f segment -segment_times 20,40 -reset_timestamps 1 \
    "$work/parts/$dev-$part%d.mp4"
  for i in 0 1 2; do
    q -i "$work/parts/$dev-$part$i.mp4" -c copy -metadata creation_time="$(iso $((epoch + 20 * i)))" \
      "$(name $((epoch + 20 * i)) "$(printf %04d $((first + i)))")"
  done
}
device() {
  local want=${DEVICES:-first}
  want=${want/first/DSJ-MX01 DSJ-MX02 DSJ-MX03 DSJ-MX04 DSJ-MX05}
  want=${want/more/DSJ-MX06 DSJ-MX07 DSJ-MX08 DSJ-MX09 DSJ-MX10}
  want=${want/bitmap/DSJ-MX11 DSJ-MX12}
  want=${want/all/DSJ-MX01 DSJ-MX02 DSJ-MX03 DSJ-MX04 DSJ-MX05 DSJ-MX06 DSJ-MX07 DSJ-MX08 DSJ-MX09 DSJ-MX10 DSJ-MX11 DSJ-MX12}
  case " $want " in *" $1 "*) ;; *) return 0 ;; esac
  dev=$1 num=$2 size=$3 src=$4 font=$5 style=$6 fmt=$7 codec=$8 base=$9 reencode=${10} lower=${11}
  # The device's frame rate (25 unless given) and half of it.
  rate=${12:-25} half=${13:-12.5}
  mkdir -p "$tree/$dev/20260312" "$tree/$dev/20260313"
  # Honest: a session of three contiguous segments, and a recording later in the morning;
  # numbered in time order as a recorder counts its files, each manipulation hours from the
  # others so that each is a session of its own (the continuity rules then have nothing to
  # say). The session is one recording cut into three segments (`session`).
  session s "$base" 1
  # Re-encoded, between the session and the later recording.
  local e
  e=$(name $((base + 3600)) 0004)
  if [ ! -f "$e" ]; then
    shot "$work/parts/$dev-e.mp4" 20 $((base + 3600)) "$dev"
    q -i "$work/parts/$dev-e.mp4" $reencode -pix_fmt yuv420p \
      -metadata creation_time="$(iso $((base + 3600)))" "$e"
  fi
  shot "$(name $((base + 7200)) 0005)" 20 $((base + 7200)) "$dev"
  # Restamped: shows base+10800, named and stamped 30 minutes later.
  local r
  r=$(name $((base + 12600)) 0006)
  if [ ! -f "$r" ]; then
    shot "$work/parts/$dev-r.mp4" 12 $((base + 10800)) "$dev"
    q -i "$work/parts/$dev-r.mp4" -c copy -metadata creation_time="$(iso $((base + 12600)))" "$r"
  fi
  # Joined: 10 s from base+18000, then 10 s from base+18900, one file named base+18000.
  local j
  j=$(name $((base + 18000)) 0007)
  if [ ! -f "$j" ]; then
    shot "$work/parts/$dev-a.ts" 10 $((base + 18000)) "$dev"
    shot "$work/parts/$dev-b.ts" 10 $((base + 18900)) "$dev"
    q -i "concat:$work/parts/$dev-a.ts|$work/parts/$dev-b.ts" -c copy \
      -metadata creation_time="$(iso $((base + 18000)))" "$j"
  fi
  # Foreign: other recorders' displays, filed under this device.
  shot "$(name $((base + 25200)) 0008)" 12 $((base + 25200)) "DSJ-Z9901"
  shot "$(name $((base + 32400)) 0009)" 12 $((base + 32400)) "DSJ-K4757"
  # Low light: the recorder halves its frame rate from 6 s to 14 s, its clock running on: an
  # honest recording whose stretch at another rate the display clears (OSD-RATE, information).
  AFTER=",select='not(between(t\,6\,14))+not(mod(n\,2))'" \
    shot "$(name $((base + 39600)) 0010)" 20 $((base + 39600)) "$dev"
  # Rate-spliced: 6 s at 25 fps, then 8 s at 12.5 fps from 40 minutes later, then the first
  # recording's 14th second on for 6 s, joined by stream copy: the container runs on, the ends'
  # clocks agree, the stretch shows another time (INS-RATE).
  local p
  p=$(name $((base + 46800)) 0011)
  if [ ! -f "$p" ]; then
    shot "$work/parts/$dev-p1.ts" 6 $((base + 46800)) "$dev"
    RATE=$half shot "$work/parts/$dev-p2.ts" 8 $((base + 49200)) "$dev"
    shot "$work/parts/$dev-p3.ts" 6 $((base + 46814)) "$dev"
    q -i "concat:$work/parts/$dev-p1.ts|$work/parts/$dev-p2.ts|$work/parts/$dev-p3.ts" -c copy \
      -metadata creation_time="$(iso $((base + 46800)))" "$p"
  fi
  # The next day. A setting changed for one recording: the same recorder at a lower
  # resolution, then back (ENC-SETTING, information), between the day before's recordings and
  # the ones below at the usual resolution.
  SIZE=$lower shot "$(DAY=20260313 name $((base + 82800)) 0012)" 20 $((base + 82800)) "$dev"
  # Dark past a segment cut: one recording of 60 s whose last 20 s the recorder
  # records at half its rate (the dark lasting into the third segment), cut at 20 and 40 s as
  # the session above: the third segment at 12.5 fps among 25 fps ones, its clock running on
  # (OSD-RATE, information; no INS-SESSION).
  DAY=20260313 AFTER=",select='not(gte(t\,40))+not(mod(n\,2))'" session d $((base + 86400)) 13
  # And a recording later that day.
  shot "$(DAY=20260313 name $((base + 93600)) 0016)" 20 $((base + 93600)) "$dev"
  # Clock reset: the recorder's clock back at its factory default (2000-01-01 00:05), in the
  # name, the container and the picture alike (numbered last: recorded, by its clock, first).
  shot "$(name $((946685100 + num)) 0017)" 20 $((946685100 + num)) "$dev"
}
x264() { echo "-c:v libx264 -preset veryfast -g 25 -keyint_min 25 -sc_threshold 0 $*"; }
again264="-c:v libx264 -profile:v high -coder cavlc -bf 0 -refs 1 -g 75 -keyint_min 75 -sc_threshold 0 -b:v 3M"
again265="-c:v libx265 -x265-params log-level=error:keyint=75:min-keyint=75:scenecut=0:bframes=0:ref=1:sao=0 -b:v 2M -tag:v hvc1"
b=1773309600
device DSJ-MX01 11 1280x720 "mandelbrot={}" "$SANSB" "fontcolor=white:borderw=2:bordercolor=black" slash "$(x264 -crf 26)" $((b + 21)) "$again264" 848x480
device DSJ-MX02 22 1920x1080 "gradients=speed=0.03:{}" "$LIBREG" "fontcolor=white:box=1:boxcolor=black@0.5:boxborderw=4" plain \
  "-c:v libx265 -x265-params log-level=error:keyint=25:min-keyint=25:scenecut=0 -b:v 2M -tag:v hvc1" $((b + 233)) "$again265" 1280x720
device DSJ-MX03 33 1920x1080 "color=c=0x404040:{},noise=alls=10:allf=t" "$LIBB" "fontcolor=yellow:borderw=3:bordercolor=black" plain "$(x264 -b:v 3M)" $((b + 457)) "$again264" 1280x720
device DSJ-MX04 44 1280x720 "gradients=speed=0.04:{}" "$PROP" "fontcolor=white:borderw=2:bordercolor=black" plain "$(x264 -crf 28)" $((b + 681)) "$again264" 848x480
device DSJ-MX05 55 1280x720 "gradients=speed=0.04:c0=0xd0d0d0:c1=0x8898b0:{}" "$SANSB" "fontcolor=white:shadowcolor=black:shadowx=2:shadowy=2" plain "$(x264 -crf 26)" $((b + 905)) "$again264" 848x480
# Five more (DEVICES=more, or all for the ten), made on 2026-12-06 (evening) in typefaces and
# at frame rates no test had: FreeMono Bold in yellow at 29.97 fps (30000/1001); Noto Sans
# Mono on a box at 24 fps under x265; Hack Bold over dark grain at 640x480 and 12 fps; Cousine
# with a slashed date at 30 fps; Roboto Condensed Bold (proportional) at 1920x1080. A device
# keys its pictures so that a keyframe falls on each 20-s cut (DSJ-MX08 each 12 pictures).
FREEMONOB=/usr/share/fonts/truetype/freefont/FreeMonoBold.ttf
NOTOMONO=/usr/share/fonts/truetype/noto/NotoSansMono-Regular.ttf
HACKB=/usr/share/fonts/truetype/hack/Hack-Bold.ttf
COUSINE=/usr/share/fonts/truetype/croscore/Cousine-Regular.ttf
ROBOTOCB=/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Bold.ttf
device DSJ-MX06 66 1920x1080 "testsrc2={}" "$FREEMONOB" "fontcolor=yellow:borderw=2:bordercolor=black" plain "$(x264 -crf 26)" $((b + 1129)) "$again264" 1280x720 30000/1001 15000/1001
device DSJ-MX07 77 1280x720 "gradients=speed=0.05:{}" "$NOTOMONO" "fontcolor=white:box=1:boxcolor=black@0.5:boxborderw=4" plain \
  "-c:v libx265 -x265-params log-level=error:keyint=24:min-keyint=24:scenecut=0 -b:v 1500k -tag:v hvc1" $((b + 1353)) "$again265" 848x480 24 12
device DSJ-MX08 88 640x480 "color=c=0x181818:{},noise=alls=12:allf=t" "$HACKB" "fontcolor=white:borderw=2:bordercolor=black" plain "$(x264 -crf 30 -g 12 -keyint_min 12)" $((b + 1577)) "$again264" 320x240 12 6
device DSJ-MX09 99 1280x720 "gradients=speed=0.04:{}" "$COUSINE" "fontcolor=white:borderw=2:bordercolor=black" slash "$(x264 -crf 28)" $((b + 1801)) "$again264" 848x480 30 15
device DSJ-MX10 10 1920x1080 "gradients=speed=0.06:{}" "$ROBOTOCB" "fontcolor=white:borderw=3:bordercolor=black" plain "$(x264 -b:v 4M)" $((b + 2025)) "$again264" 1280x720
# Two drawn by a display chip from a bitmap font (DEVICES=bitmap, or all), made on 2026-12-07:
# Unifont's 16 pixels doubled to 32 at 1080p, outlined over a fractal, and on a translucent box
# over dark grain under x265 (learned as `blocky` ink; needs fonts-unifont).
UNIFONT=/usr/share/fonts/opentype/unifont/unifont.otf
device DSJ-MX11 11 1920x1080 "mandelbrot={}" "$UNIFONT" "fontsize=32:fontcolor=white:borderw=2:bordercolor=black" plain "$(x264 -b:v 4M)" $((b + 2249)) "$again264" 1280x720
device DSJ-MX12 12 1920x1080 "color=c=0x202020:{},noise=alls=12:allf=t" "$UNIFONT" "fontsize=32:fontcolor=white:box=1:boxcolor=black@0.5:boxborderw=4" slash \
  "-c:v libx265 -x265-params log-level=error:keyint=25:min-keyint=25:scenecut=0 -b:v 2M -tag:v hvc1" $((b + 2473)) "$again265" 1280x720

# CONTAINER=ts: every recording above stream-copied into MPEG-TS (as a recorder or a CCTV
# export that writes TS holds it: no creation time, the name the only stamp), and that tree
# scanned instead.
scanned="$tree"
if [ "${CONTAINER:-mp4}" = ts ]; then
  scanned="$work/tree-ts"
  while IFS= read -r -d '' f; do
    out="$scanned/${f#"$tree"/}"
    out="${out%.MP4}.TS"
    mkdir -p "$(dirname "$out")"
    [ -f "$out" ] || ffmpeg -nostdin -hide_banner -loglevel error -y -i "$f" -c copy -f mpegts "$out"
  done < <(find "$tree" -name '*.MP4' -print0)
fi
rm -rf "$work/wh"
"$bin" scan "$scanned" --warehouse "$work/wh" --quiet >/dev/null || true
"$bin" query "$work/wh" "
  select f.device_id, regexp_replace(f.path, '.*_', '') as file,
         case substr(regexp_replace(f.path, '.*_', ''), 1, 4)
           when '0004' then 'reencoded' when '0006' then 'restamped' when '0007' then 'joined'
           when '0008' then 'foreign' when '0009' then 'foreign2' when '0010' then 'lowlight'
           when '0011' then 'ratespliced' when '0012' then 'setting' when '0015' then 'darkseg'
           when '0017' then 'reset'
           else 'honest' end as made,
         f.osd_start is not null as read, f.osd_device, round(f.osd_confidence, 2) as confidence,
         coalesce(string_agg(case when g.severity <> 'info' or g.rule_id is null then g.rule_id end, ' '), '') as findings,
         coalesce(string_agg(case when g.severity = 'info' then g.rule_id end, ' '), '') as info
  from files f left join findings g on g.path = f.path
    and (g.rule_id like 'OSD-%' or g.rule_id in ('ENC-HABIT', 'INS-RATE', 'INS-SESSION', 'ENC-PARAMS', 'ENC-SETTING') or g.kind = 'clock_reset')
  group by 1, 2, 3, 4, 5, 6 order by 1, 2"
# Every other finding (the continuity, deadline and metadata rules) on the same files.
"$bin" query "$work/wh" "
  select rule_id, severity, count(*) as findings from findings
  where rule_id not like 'OSD-%' and rule_id not in ('ENC-HABIT', 'INS-RATE', 'INS-SESSION', 'ENC-PARAMS', 'ENC-SETTING') and kind <> 'clock_reset'
  group by 1, 2 order by 1"
echo "(remove $work when done: rm -rf $work)"
