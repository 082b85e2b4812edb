#!/usr/bin/env bash
# How exactly the burned-in clock is read, on displays made to differ from the test fixtures:
# fonts (DejaVu Sans Mono, Liberation Mono Bold, WenQuanYi Zen Hei Mono with 年月日 and a
# weekday), sizes from 854x480 to 2304x1296, the display at the top or at the bottom, white or
# yellow, with or without an outline, over gradients, a fractal zoom, a test pattern with its
# own moving text and a dark grainy night, at low bitrates, H.264 and HEVC. Each display is
# one device (its own font to learn) with two recordings, 1003 s apart, as a device model has
# many; each is named with the time its display starts at, so every keyframe has a known
# answer: name time + the keyframe's second in the file.
#
# recaudit scans the clips with `--keyframes all` (every keyframe read, a `keyframes` row each)
# and SQL compares each reading with its answer. Reported per clip and in all: keyframes,
# readings with a time, exact ones, wrong ones (any confidence) and wrong ones at or above the
# rules' confidence (0.65; 0.5 until 2026-12-06). Nothing here is tuned on: the fixtures of tests/ are other clips.
# SET=holdout makes five other displays instead, kept aside as a check on what was never
# tuned on (a slashed date, DejaVu Sans Mono Bold, a proportional font, 640x360 with a
# one-pixel outline, a box under x265, a mid-grey scene at the bottom); SET=proportional five
# displays in proportional fonts (ffmpeg's default "Sans", Liberation Sans, DejaVu Serif,
# Liberation Sans Bold at 480p, DejaVu Sans Condensed Bold over dark grain); SET=layouts five
# displays of several lines or a corner clock (see `layouts` below); SET=recorders and
# SET=styles five more each (see below); SET=all every set.
# The gradient and fractal scenes come from a random seed: every generation is a new sample.
# CONTAINER=avi (or ts) also copies every clip into AVI (or MPEG-TS; stream copy, as another
# device) and reports how each copy's keyframe reading compares with the MP4's.
# SET=thin five displays in regular weights whose thin strokes a low bitrate keeps or loses;
# SET=field and SET=wild five more each (see `field` and `wild` below); SET=fonts ten displays
# in typefaces no other set uses (see `fonts` below); SET=sources eight over scenes no other
# set uses, and drawtext's own black 16-pixel text (see `sources` below); SET=small ten small
# displays over light scenes (see `small` below); SET=bitmap five drawn from bitmap fonts with
# hard edges, as recorders' display chips draw (see `bitmap` below).
# Every clip is an honest recording: the display rules' findings on them are listed at the
# end (there must be none above info).
# Usage: [SET=main|holdout|proportional|layouts|recorders|styles|thin|field|wild|fonts|sources|small|bitmap|all] [CONTAINER=mp4|avi|ts] benches/osd-accuracy.sh [WORKDIR]   (needs ffmpeg and the fonts
# above; SECONDS_EACH=20)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/recaudit-osd-accuracy}
secs=${SECONDS_EACH:-20}
set_=${SET:-main}
cargo build --release --manifest-path "$here/Cargo.toml" >/dev/null
bin="${CARGO_TARGET_DIR:-$here/target}/release/recaudit"
command -v ffmpeg >/dev/null || { echo "ffmpeg not found"; exit 1; }
DEJAVU=/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf
LIBERATION=/usr/share/fonts/truetype/liberation/LiberationMono-Bold.ttf
tree="$work/tree"
mkdir -p "$tree"
# PHASE=DIGITS starts a display's clock that fraction of a second into its second (PHASE=265:
# 0.265 s), as a recorder's clock stands when it starts a file: the display then shows
# name time + floor(0.265 + t) at the file's second t. Each display's phase is kept here for
# the answer (an SQL expression over `f.device_id`).
phase_cases=""
note_phase() {
  [ -n "${PHASE:-}" ] || return 0
  case "$phase_cases" in *"'$1'"*) return 0 ;; esac
  # The display's copies (CONTAINER=avi or ts) are devices of their own.
  phase_cases+=" when '$1' then 0.$PHASE when '${1}A' then 0.$PHASE when '${1}T' then 0.$PHASE"
}
# clip SEQ DEVICE EPOCH SOURCE SIZE FONT_OPTION STYLE Y TEXT_AFTER [encoder args...]; `{}` in
# SOURCE stands for the size and rate.
# EPOCH is the display's first second as UTC wall clock (2026-03-12 10:00:00 + n); the file
# is named with it as Asia/Shanghai local time, as a recorder names its files.
clip() {
  local seq=$1 dev=$2 epoch=$3 src=$4 size=$5 font=$6 style=$7 y=$8 tail=$9; shift 9
  local dir="$tree/$dev/20260312"
  local name
  name="${dev}_OF000001_$(TZ=UTC date -u -d "@$epoch" +%Y%m%d%H%M%S)_000$seq.MP4"
  mkdir -p "$dir"
  note_phase "$dev"
  [ -f "$dir/$name" ] && return 0
  local shown=$epoch${PHASE:+.$PHASE}
  local text="%{pts\\:localtime\\:$shown}"
  case "$tail" in
    SLASH*) text="%{pts\\:localtime\\:$shown\\:%Y/%m/%d}  %{pts\\:localtime\\:$shown\\:%H\\\\\\:%M\\\\\\:%S}"; tail=${tail#SLASH} ;;
    DOT*) text="%{pts\\:localtime\\:$shown\\:%Y.%m.%d}  %{pts\\:localtime\\:$shown\\:%H\\\\\\:%M\\\\\\:%S}"; tail=${tail#DOT} ;;
    CJK*) text="%{pts\\:localtime\\:$shown\\:%Y年%m月%d日}  星期四  %{pts\\:localtime\\:$shown\\:%H\\\\\\:%M\\\\\\:%S}"; tail=${tail#CJK} ;;
  esac
  TZ=UTC ffmpeg -hide_banner -loglevel error -y -f lavfi -i "${src//\{\}/size=$size:rate=${RATE:-25}}" -t "$secs" \
    -metadata creation_time="$(date -u -d "@$((epoch - 8 * 3600))" +%Y-%m-%dT%H:%M:%SZ)" \
    -vf "drawtext=$font:fontsize=h/24:$style:x=w/40:y=$y:text='$text  $dev$tail'" \
    -pix_fmt yuv420p "$@" "$dir/$name"
}
# Both recordings of a display.
pair() {
  local dev=$1 epoch=$2
  shift 2
  clip 1 "$dev" "$epoch" "$@"
  clip 2 "$dev" $((epoch + 1003)) "$@"
}
x264() { echo -c:v libx264 -preset veryfast -g "$1" -keyint_min "$1" -sc_threshold 0; }
base=1773309600
main() {
pair DSJ-ACC01 $((base + 7)) gradients=speed=0.05:{} 1280x720 "fontfile=$DEJAVU" "fontcolor=white:borderw=2:bordercolor=black" h/30 " 001234" $(x264 25) -crf 30
pair DSJ-ACC02 $((base + 131)) mandelbrot={} 1920x1080 "fontfile=$LIBERATION" "fontcolor=white:borderw=3:bordercolor=black" h/40 " 002345" $(x264 25) -b:v 4M
pair DSJ-ACC03 $((base + 256)) testsrc2={} 1920x1080 "font=WenQuanYi Zen Hei Mono" "fontcolor=white:borderw=2:bordercolor=black" h/30 "CJK 警号003456" $(x264 50) -b:v 3M
pair DSJ-ACC04 $((base + 389)) "color=c=0x101010:{},noise=alls=12:allf=t" 1280x720 "fontfile=$DEJAVU" "fontcolor=white" h/30 " 004567" $(x264 50) -crf 40
pair DSJ-ACC05 $((base + 512)) gradients=speed=0.08:{} 1920x1080 "fontfile=$DEJAVU" "fontcolor=white:borderw=2:bordercolor=black" h-h/12 " 005678" $(x264 25) -b:v 1M
pair DSJ-ACC06 $((base + 645)) gradients=speed=0.05:{} 1280x720 "fontfile=$LIBERATION" "fontcolor=yellow:borderw=2:bordercolor=black" h/30 " 006789" $(x264 25) -crf 28
pair DSJ-ACC07 $((base + 778)) mandelbrot={} 854x480 "fontfile=$DEJAVU" "fontcolor=white:box=1:boxcolor=black@0.6" h/30 " 007890" $(x264 25) -crf 30
pair DSJ-ACC08 $((base + 901)) gradients=speed=0.05:{} 2304x1296 "fontfile=$DEJAVU" "fontcolor=white:borderw=3:bordercolor=black" h/30 " 008901" $(x264 25) -b:v 6M
pair DSJ-ACC09 $((base + 1034)) testsrc2={} 1920x1080 "fontfile=$DEJAVU" "fontcolor=white:borderw=2:bordercolor=black" h/30 " 009012" \
  -c:v libx265 -x265-params log-level=error:keyint=25:min-keyint=25:scenecut=0 -b:v 3M -tag:v hvc1
pair DSJ-ACC10 $((base + 1167)) "color=c=0x303030:{},noise=alls=20:allf=t" 1920x1080 "font=WenQuanYi Zen Hei Mono" "fontcolor=white:borderw=2:bordercolor=black" h/30 "CJK 警号010123" $(x264 25) -b:v 2M

}
SANSB=/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf
LIBREG=/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf
SANS=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
holdout() {
pair DSJ-HO01 $((base + 17)) mandelbrot={} 1280x720 "fontfile=$SANSB" "fontcolor=white:borderw=2:bordercolor=black" h/30 "SLASH 011111" $(x264 25) -crf 26
pair DSJ-HO02 $((base + 141)) gradients=speed=0.06:{} 640x360 "fontfile=$LIBREG" "fontcolor=white:borderw=1:bordercolor=black" h/30 " 022222" $(x264 25) -crf 30
pair DSJ-HO03 $((base + 266)) mandelbrot={} 1920x1080 "fontfile=$SANS" "fontcolor=yellow:borderw=3:bordercolor=black" h/30 " 033333" $(x264 25) -b:v 3M
pair DSJ-HO04 $((base + 399)) gradients=speed=0.04:{} 1920x1080 "fontfile=$SANSB" "fontcolor=white:box=1:boxcolor=black@0.5" h/30 " 044444" -c:v libx265 -x265-params log-level=error:keyint=25:min-keyint=25:scenecut=0 -b:v 2M -tag:v hvc1
pair DSJ-HO05 $((base + 522)) "color=c=0x505050:{},noise=alls=8:allf=t" 1280x720 "fontfile=$LIBERATION" "fontcolor=white:borderw=2:bordercolor=black" h-h/10 " 055555" $(x264 50) -crf 32
}
# Proportional fonts (digits of one width, separators and spaces narrower), as ffmpeg draws
# when no font file is named (fontconfig's "Sans" is DejaVu Sans here).
PSANS=/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf
PSANSB=/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf
PSERIF=/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf
PCOND=/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf
proportional() {
pair DSJ-PR01 $((base + 23)) mandelbrot={} 1920x1080 "font=Sans" "fontcolor=white:borderw=2:bordercolor=black" h/30 " 061616" $(x264 25) -b:v 4M
pair DSJ-PR02 $((base + 157)) gradients=speed=0.05:{} 1280x720 "fontfile=$PSANS" "fontcolor=yellow:borderw=2:bordercolor=black" h/30 " 062727" $(x264 25) -crf 28
pair DSJ-PR03 $((base + 281)) gradients=speed=0.07:{} 1920x1080 "fontfile=$PSERIF" "fontcolor=white:box=1:boxcolor=black@0.5" h/30 " 063838" $(x264 25) -b:v 3M
pair DSJ-PR04 $((base + 404)) mandelbrot={} 854x480 "fontfile=$PSANSB" "fontcolor=white:borderw=1:bordercolor=black" h/30 " 064949" $(x264 25) -crf 30
pair DSJ-PR05 $((base + 538)) "color=c=0x181818:{},noise=alls=10:allf=t" 1280x720 "fontfile=$PCOND" "fontcolor=white" h-h/10 " 065050" $(x264 50) -crf 34
}
# Layouts: where real displays differ from one line at the top-left. SHOT draws its own
# filter chain; `@T@` in it stands for the display's clock, `@D@` for the device.
shot() {
  local seq=$1 dev=$2 epoch=$3 src=$4 size=$5 vf=$6; shift 6
  local dir="$tree/$dev/20260312"
  local name
  name="${dev}_OF000001_$(TZ=UTC date -u -d "@$epoch" +%Y%m%d%H%M%S)_000$seq.MP4"
  mkdir -p "$dir"
  note_phase "$dev"
  [ -f "$dir/$name" ] && return 0
  vf=${vf//@T@/%\{pts\\:localtime\\:$epoch${PHASE:+.$PHASE}\}}
  vf=${vf//@D@/$dev}
  TZ=UTC ffmpeg -hide_banner -loglevel error -y -f lavfi -i "${src//\{\}/size=$size:rate=${RATE:-25}}" -t "$secs" \
    -metadata creation_time="$(date -u -d "@$((epoch - 8 * 3600))" +%Y-%m-%dT%H:%M:%SZ)" \
    -vf "$vf" -pix_fmt yuv420p "$@" "$dir/$name"
}
shots() {
  local dev=$1 epoch=$2
  shift 2
  shot 1 "$dev" "$epoch" "$@"
  shot 2 "$dev" $((epoch + 1003)) "$@"
}
OUT="fontcolor=white:borderw=2:bordercolor=black"
layouts() {
# Two lines, the second longer: the clock above, device, officer and unit (Chinese) below.
shots DSJ-LA01 $((base + 37)) mandelbrot={} 1920x1080 "drawtext=fontfile=$DEJAVU:fontsize=h/24:$OUT:x=w/40:y=h/30:text='@T@',drawtext=font=WenQuanYi Zen Hei Mono:fontsize=h/24:$OUT:x=w/40:y=h/30+h/20:text='@D@  警号 071234  某某县应急管理局'" $(x264 25) -b:v 4M
# The clock at the top right, device and officer at the top left of the same row.
shots DSJ-LA02 $((base + 163)) gradients=speed=0.05:{} 1280x720 "drawtext=fontfile=$LIBERATION:fontsize=h/26:$OUT:x=w/40:y=h/30:text='@D@ 072345',drawtext=fontfile=$LIBERATION:fontsize=h/26:$OUT:x=w-tw-w/40:y=h/30:text='@T@'" $(x264 25) -crf 28
# Two lines at the bottom: device above, the clock on the last line.
shots DSJ-LA03 $((base + 289)) testsrc2={} 1920x1080 "drawtext=fontfile=$DEJAVU:fontsize=h/26:$OUT:x=w/40:y=h-h/8:text='@D@ 073456',drawtext=fontfile=$DEJAVU:fontsize=h/26:$OUT:x=w/40:y=h-h/16:text='@T@'" $(x264 50) -b:v 3M
# The clock alone, bottom right, yellow on a translucent box (HEVC).
shots DSJ-LA04 $((base + 415)) mandelbrot={} 1280x720 "drawtext=fontfile=$SANSB:fontsize=h/28:fontcolor=yellow:box=1:boxcolor=black@0.5:x=w-tw-w/40:y=h-h/12:text='@T@'" -c:v libx265 -x265-params log-level=error:keyint=25:min-keyint=25:scenecut=0 -b:v 2M -tag:v hvc1
# A long second line above the clock at the top (unit name first), small font, 720p.
shots DSJ-LA05 $((base + 541)) gradients=speed=0.06:{} 1280x720 "drawtext=font=WenQuanYi Zen Hei Mono:fontsize=h/30:$OUT:x=w/40:y=h/40:text='某某县应急管理局 @D@ 警号075678',drawtext=fontfile=$LIBREG:fontsize=h/30:$OUT:x=w/40:y=h/40+h/22:text='@T@'" $(x264 25) -crf 30
}
# Recorders: five displays made on 2026-12-04 after every change of that day, to be read once
# as they came (frame rates of 30 and 15 as well as 25, a keyframe each 1-2 s, 2560x1440,
# narrow, serif and condensed fonts, a nearly opaque box, the clock bottom centre).
NARROW=/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Bold.ttf
SERIFB=/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf
LSERIF=/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf
CONDENSED=/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf
recorders() {
RATE=30 pair DSJ-RC01 $((base + 47)) mandelbrot={} 1920x1080 "fontfile=$NARROW" "fontcolor=white:borderw=2:bordercolor=black" h/30 " 081234" $(x264 60) -b:v 4M
RATE=30 pair DSJ-RC02 $((base + 173)) gradients=speed=0.05:{} 1280x720 "fontfile=$DEJAVU" "fontcolor=white:box=1:boxcolor=black@0.7:boxborderw=3" h/30 "SLASH 082345" $(x264 30) -crf 28
shots DSJ-RC03 $((base + 299)) testsrc2={} 2560x1440 "drawtext=fontfile=$SERIFB:fontsize=h/26:fontcolor=yellow:borderw=3:bordercolor=black:x=w-tw-w/40:y=h/30:text='@T@  @D@ 083456'" $(x264 50) -b:v 6M
pair DSJ-RC04 $((base + 425)) "color=c=0x0c0c0c:{},noise=alls=15:allf=t" 1920x1080 "fontfile=$LSERIF" "fontcolor=white:borderw=2:bordercolor=black" h-h/12 "CJK 警号084567" $(x264 25) -b:v 2M
RATE=15 shots DSJ-RC05 $((base + 551)) gradients=speed=0.08:{} 1280x720 "drawtext=fontfile=$CONDENSED:fontsize=h/24:fontcolor=white:borderw=1:bordercolor=black:x=(w-tw)/2:y=h-h/10:text='@T@  @D@ 085678'" -c:v libx265 -x265-params log-level=error:keyint=15:min-keyint=15:scenecut=0 -crf 30 -tag:v hvc1
}
# Styles: five more displays, made on 2026-12-04 after the recorders set and read once as they
# came: a drop shadow instead of an outline, text at 80% opacity, white text without an
# outline or shadow over a light scene, 1440x1080 (4:3), and heavy motion at a low bitrate.
styles() {
pair DSJ-ST01 $((base + 59)) mandelbrot={} 1920x1080 "fontfile=$DEJAVU" "fontcolor=white:shadowcolor=black:shadowx=3:shadowy=3" h/30 " 091234" $(x264 25) -b:v 4M
pair DSJ-ST02 $((base + 181)) gradients=speed=0.05:{} 1280x720 "fontfile=$LIBERATION" "fontcolor=white@0.8:borderw=2:bordercolor=black@0.8" h/30 " 092345" $(x264 25) -crf 28
pair DSJ-ST03 $((base + 307)) "gradients=speed=0.03:c0=0xd0d0d0:c1=0xa0b0c0:{}" 1920x1080 "fontfile=$SANSB" "fontcolor=white" h/30 " 093456" $(x264 25) -b:v 3M
pair DSJ-ST04 $((base + 433)) testsrc2={} 1440x1080 "fontfile=$DEJAVU" "fontcolor=yellow:borderw=2:bordercolor=black" h/30 "CJK 警号094567" $(x264 25) -b:v 3M
pair DSJ-ST05 $((base + 557)) "mandelbrot=end_scale=0.0001:{}" 1920x1080 "fontfile=$PSANSB" "fontcolor=white:borderw=2:bordercolor=black" h/30 " 095678" $(x264 25) -b:v 1M
}
# Field: five displays made on 2026-12-05, read once as they came: dark text on a light box
# (a kind of display recaudit does not learn: it must stay unread, not misread), digits that
# change with the place beside the clock on its own line (a position, as recorders with GPS
# show), a narrow regular font with a drop shadow at the bottom right at 30 fps with a keyframe
# each 3 s, HEVC Main 10 with the clock at the top centre, and a dotted date.
NARROWREG=/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Regular.ttf
field() {
pair DSJ-FD01 $((base + 67)) mandelbrot={} 1920x1080 "fontfile=$SANSB" "fontcolor=black:box=1:boxcolor=white@0.7:boxborderw=4" h/30 " 101234" $(x264 25) -b:v 3M
shots DSJ-FD02 $((base + 191)) mandelbrot={} 1920x1080 "drawtext=fontfile=$DEJAVU:fontsize=h/26:$OUT:x=w/40:y=h/30:text='@T@  N30.%{eif\\:12340+t*7\\:d} E120.%{eif\\:56780+t*3\\:d}  @D@ 102345'" $(x264 25) -b:v 4M
RATE=30 shots DSJ-FD03 $((base + 313)) gradients=speed=0.05:{} 1280x720 "drawtext=fontfile=$NARROWREG:fontsize=h/22:fontcolor=white:shadowcolor=black:shadowx=2:shadowy=2:x=w-tw-w/40:y=h-h/10:text='@T@  @D@ 103456'" $(x264 90) -crf 28
shots DSJ-FD04 $((base + 439)) gradients=speed=0.04:{} 1920x1080 "drawtext=fontfile=$DEJAVU:fontsize=h/28:$OUT:x=(w-tw)/2:y=h/40:text='@T@  @D@ 104567'" -c:v libx265 -x265-params log-level=error:keyint=50:min-keyint=50:scenecut=0 -b:v 1500k -pix_fmt yuv420p10le -tag:v hvc1
pair DSJ-FD05 $((base + 563)) testsrc2={} 1280x720 "fontfile=$LIBERATION" "fontcolor=white:borderw=2:bordercolor=black" h/30 "DOT 105678" $(x264 25) -crf 30
}
# Wild: five displays made on 2026-12-05 (afternoon), read once as they came, each with its
# clock started part of a second into its second (PHASE), as a recorder's clock stands when
# it starts a file: Baseline H.264 (CAVLC, no B-frames) at 30 fps; keyframes at irregular
# times (0.6-2.4 s apart, as an encoder that cuts at scene changes places them); frames
# dropped at random (12%, variable frame rate, as a recorder drops them under load); 60 fps
# Main profile with the device before the clock at the bottom; HEVC at 848x480, 15 fps, in a
# thin regular font.
irregular() {
  local t=0 out=0
  while :; do
    t=$(echo "$t + 0.6 + $((RANDOM % 19)) / 10" | bc -l)
    [ "$(echo "$t < $secs" | bc)" = 1 ] || break
    out+=",$(printf %.1f "$t")"
  done
  echo "$out"
}
wild() {
RATE=30 PHASE=515 pair DSJ-WD01 $((base + 79)) gradients=speed=0.05:{} 1280x720 "fontfile=$DEJAVU" "$OUT" h/30 " 111234" $(x264 30) -profile:v baseline -crf 28
PHASE=265 pair DSJ-WD02 $((base + 199)) mandelbrot={} 1920x1080 "fontfile=$LIBERATION" "fontcolor=yellow:borderw=2:bordercolor=black" h/30 " 112345" \
  -c:v libx264 -preset veryfast -g 250 -keyint_min 250 -sc_threshold 0 -force_key_frames "$(irregular)" -b:v 4M
PHASE=735 shots DSJ-WD03 $((base + 317)) testsrc2={} 1920x1080 "select='eq(n\,0)+gt(random(0)\,0.12)',drawtext=fontfile=$SANSB:fontsize=h/26:fontcolor=white:box=1:boxcolor=black@0.5:x=w/40:y=h/30:text='@T@  @D@ 113456'" \
  -c:v libx264 -preset veryfast -g 250 -sc_threshold 0 -force_key_frames 'expr:gte(t,n_forced)' -fps_mode vfr -b:v 3M
RATE=60 PHASE=905 shots DSJ-WD04 $((base + 443)) gradients=speed=0.06:{} 1920x1080 "drawtext=fontfile=$DEJAVU:fontsize=h/28:$OUT:x=w/40:y=h-h/14:text='@D@  @T@  114567'" $(x264 120) -profile:v main -b:v 5M
RATE=15 PHASE=115 pair DSJ-WD05 $((base + 569)) mandelbrot={} 848x480 "fontfile=$LIBREG" "fontcolor=yellow:borderw=1:bordercolor=black" h/30 " 115678" \
  -c:v libx265 -x265-params log-level=error:keyint=15:min-keyint=15:scenecut=0 -crf 30 -tag:v hvc1
}
# Thin strokes: regular weights whose strokes are a few pixels wide at the display's size, so
# that a low bitrate keeps or loses a serif or a hook from one keyframe to the next (Liberation
# Mono's 3 has a hook at its lower left that, lost, leaves it near a 3 without one and, kept,
# near an 8), under translucent boxes and outlines, H.264 and HEVC.
thin() {
pair DSJ-TH01 $((base + 233)) gradients=speed=0.03:{} 1920x1080 "fontfile=$LIBREG" "fontcolor=white:box=1:boxcolor=black@0.5:boxborderw=4" h/26 " 013838" -c:v libx265 -x265-params log-level=error:keyint=25:min-keyint=25:scenecut=0 -b:v 2M -tag:v hvc1
pair DSJ-TH02 $((base + 353)) gradients=speed=0.05:{} 1280x720 "fontfile=$LIBREG" "fontcolor=white:borderw=1:bordercolor=black" h/28 " 023883" $(x264 25) -crf 30
pair DSJ-TH03 $((base + 473)) mandelbrot={} 1920x1080 "fontfile=$DEJAVU" "fontcolor=white:box=1:boxcolor=black@0.4" h/30 " 033388" -c:v libx265 -x265-params log-level=error:keyint=25:min-keyint=25:scenecut=0 -b:v 1500k -tag:v hvc1
pair DSJ-TH04 $((base + 593)) gradients=speed=0.04:{} 1920x1080 "fontfile=$LIBREG" "fontcolor=yellow:box=1:boxcolor=black@0.3" h/32 " 048383" $(x264 25) -b:v 2M
pair DSJ-TH05 $((base + 713)) "color=c=0x282828:{},noise=alls=14:allf=t" 1280x720 "fontfile=$LIBREG" "fontcolor=white:box=1:boxcolor=black@0.5" h/26 " 053838" -c:v libx265 -x265-params log-level=error:keyint=25:min-keyint=25:scenecut=0 -crf 32 -tag:v hvc1
}
# Fonts: ten displays made on 2026-12-06 (evening) in typefaces no earlier set used, read once
# as they came: FreeMono's thin Courier-like strokes, regular and bold; Noto Sans Mono under a
# box in HEVC; Inconsolata with a drop shadow at the bottom; Hack Bold over dark grain at 480p;
# Cousine at 30 fps with a one-pixel outline; FreeSans (proportional) with a slashed date;
# Roboto Condensed Bold at the top right; Arimo Bold on a yellow box with a dotted date;
# Noto Sans Mono Bold at 60 fps across 1440p.
FREEMONO=/usr/share/fonts/truetype/freefont/FreeMono.ttf
FREEMONOB=/usr/share/fonts/truetype/freefont/FreeMonoBold.ttf
NOTOMONO=/usr/share/fonts/truetype/noto/NotoSansMono-Regular.ttf
NOTOMONOB=/usr/share/fonts/truetype/noto/NotoSansMono-Bold.ttf
INCONSOLATA=/usr/share/fonts/truetype/inconsolata/Inconsolata.otf
HACKB=/usr/share/fonts/truetype/hack/Hack-Bold.ttf
COUSINE=/usr/share/fonts/truetype/croscore/Cousine-Regular.ttf
FREESANS=/usr/share/fonts/truetype/freefont/FreeSans.ttf
ROBOTOCB=/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Bold.ttf
ARIMOB=/usr/share/fonts/truetype/croscore/Arimo-Bold.ttf
fonts() {
pair DSJ-FN01 $((base + 83)) gradients=speed=0.05:{} 1280x720 "fontfile=$FREEMONO" "$OUT" h/30 " 121234" $(x264 25) -crf 30
pair DSJ-FN02 $((base + 211)) mandelbrot={} 1920x1080 "fontfile=$FREEMONOB" "fontcolor=yellow:borderw=2:bordercolor=black" h/30 " 122345" $(x264 25) -b:v 4M
pair DSJ-FN03 $((base + 337)) testsrc2={} 1920x1080 "fontfile=$NOTOMONO" "fontcolor=white:box=1:boxcolor=black@0.5" h/30 " 123456" -c:v libx265 -x265-params log-level=error:keyint=25:min-keyint=25:scenecut=0 -b:v 2M -tag:v hvc1
pair DSJ-FN04 $((base + 461)) gradients=speed=0.06:{} 1280x720 "fontfile=$INCONSOLATA" "fontcolor=white:shadowcolor=black:shadowx=2:shadowy=2" h-h/10 " 124567" $(x264 25) -crf 28
pair DSJ-FN05 $((base + 587)) "color=c=0x141414:{},noise=alls=14:allf=t" 854x480 "fontfile=$HACKB" "$OUT" h/30 " 125678" $(x264 25) -crf 34
RATE=30 pair DSJ-FN06 $((base + 709)) mandelbrot={} 1920x1080 "fontfile=$COUSINE" "fontcolor=white:borderw=1:bordercolor=black" h/30 " 126789" $(x264 30) -b:v 4M
pair DSJ-FN07 $((base + 829)) gradients=speed=0.05:{} 1280x720 "fontfile=$FREESANS" "$OUT" h/30 "SLASH 127890" $(x264 25) -crf 28
shots DSJ-FN08 $((base + 947)) testsrc2={} 1920x1080 "drawtext=fontfile=$ROBOTOCB:fontsize=h/26:$OUT:x=w-tw-w/40:y=h/30:text='@T@  @D@ 128901'" $(x264 50) -b:v 3M
pair DSJ-FN09 $((base + 1061)) gradients=speed=0.04:{} 1280x720 "fontfile=$ARIMOB" "fontcolor=black:box=1:boxcolor=yellow@0.8:boxborderw=3" h/30 "DOT 129012" $(x264 25) -crf 30
RATE=60 pair DSJ-FN10 $((base + 1181)) mandelbrot={} 2560x1440 "fontfile=$NOTOMONOB" "$OUT" h/34 " 120123" $(x264 120) -b:v 6M
}
# Sources: eight displays made on 2026-12-06 (evening) over the scenes ffmpeg offers that no
# set used, read once as they came: the old test pattern with its big changing counter (a
# second number ticking each second), SMPTE bars (a flat bright strip at the top) with and
# without an outline, HD bars, Conway's life, a cellular automaton, an RGB test pattern, and
# drawtext as it draws unasked: black text, 16 pixels high, no outline, at the top left.
sources() {
pair DSJ-SR01 $((base + 97)) testsrc={} 1280x720 "fontfile=$DEJAVU" "$OUT" h/30 " 131234" $(x264 25) -crf 28
pair DSJ-SR02 $((base + 229)) smptebars={} 1280x720 "fontfile=$DEJAVU" "$OUT" h/30 " 132345" $(x264 25) -crf 28
pair DSJ-SR03 $((base + 353)) smptehdbars={} 1920x1080 "fontfile=$LIBERATION" "fontcolor=white" h/30 " 133456" $(x264 25) -b:v 3M
pair DSJ-SR04 $((base + 479)) "life=mold=10:r=25:ratio=0.1:death_color=#C83232:life_color=#00ff00,scale=1280:720:flags=neighbor,fps=25,setsar=1,format=yuv420p,trim=duration=99" 1280x720 "fontfile=$DEJAVU" "$OUT" h/30 " 134567" $(x264 25) -crf 28
pair DSJ-SR05 $((base + 601)) "cellauto=rule=110:{},scale=1280:720" 640x360 "fontfile=$SANSB" "$OUT" h/30 " 135678" $(x264 25) -crf 28
pair DSJ-SR06 $((base + 727)) rgbtestsrc={} 1280x720 "fontfile=$DEJAVU" "$OUT" h-h/10 " 136789" $(x264 25) -crf 28
shots DSJ-SR07 $((base + 853)) gradients=speed=0.05:{} 1280x720 "drawtext=fontfile=$DEJAVU:x=10:y=10:text='@T@  @D@ 137890'" $(x264 25) -crf 26
shots DSJ-SR08 $((base + 977)) smptebars={} 1920x1080 "drawtext=fontfile=$DEJAVU:fontsize=h/24:x=w/40:y=h/30:text='@T@  @D@ 138901'" $(x264 25) -b:v 3M
}
# Small: ten displays made on 2026-12-06 (late) where the ninth round misread one (16 pixels,
# DejaVu Sans Mono with an outline over a bright gradient): 640x360, 640x480, 720x576 and
# 854x480 pictures, text 12 to 20 pixels high, light scenes (pale gradients, bars, the test
# pattern), outlines of one and two pixels, a shadow, a box, CRF 28 to 34, H.264 and HEVC.
# Read once as they came: what matters is a wrong reading at or above the rules' confidence.
PALE="gradients=speed=0.06:c0=0xe0e0d0:c1=0x90a0b0:c2=0xf0f0f0:c3=0xb0b090:nb_colors=4"
small() {
pair DSJ-SM01 $((base + 103)) "$PALE:{}" 640x360 "fontfile=$DEJAVU" "$OUT" h/22 " 141234" $(x264 25) -crf 30
pair DSJ-SM02 $((base + 239)) "$PALE:{}" 640x360 "fontfile=$LIBERATION" "fontcolor=white:borderw=1:bordercolor=black" h/24 " 142345" $(x264 25) -crf 32
pair DSJ-SM03 $((base + 367)) smptebars={} 640x480 "fontfile=$SANSB" "$OUT" h/30 " 143456" $(x264 25) -crf 30
pair DSJ-SM04 $((base + 491)) testsrc2={} 720x576 "fontfile=$DEJAVU" "fontcolor=white:shadowcolor=black:shadowx=1:shadowy=1" h/30 " 144567" $(x264 25) -crf 28
pair DSJ-SM05 $((base + 613)) "$PALE:{}" 854x480 "fontfile=$HACKB" "fontcolor=yellow:borderw=1:bordercolor=black" h/30 " 145678" $(x264 25) -crf 34
pair DSJ-SM06 $((base + 739)) "$PALE:{}" 640x360 "fontfile=$NOTOMONO" "fontcolor=white:box=1:boxcolor=black@0.5" h/24 " 146789" -c:v libx265 -x265-params log-level=error:keyint=25:min-keyint=25:scenecut=0 -crf 30 -tag:v hvc1
pair DSJ-SM07 $((base + 863)) mandelbrot={} 640x480 "fontfile=$COUSINE" "$OUT" h/28 " 147890" $(x264 25) -crf 30
pair DSJ-SM08 $((base + 991)) "$PALE:{}" 720x576 "fontfile=$LIBREG" "$OUT" h/28 "SLASH 148901" $(x264 25) -crf 32
pair DSJ-SM09 $((base + 1117)) "$PALE:{}" 640x360 "fontfile=$DEJAVU" "$OUT" h/20 " 149012" $(x264 25) -crf 34
pair DSJ-SM10 $((base + 1249)) smptebars={} 854x480 "fontfile=$INCONSOLATA" "$OUT" h/24 " 140123" $(x264 25) -crf 30
}
# Bitmap: five displays drawn as a recorder's own display chip draws them (2026-12-07), from
# bitmap fonts with no smoothing at their edges: Unifont (a 16-pixel bitmap font) doubled and
# tripled pixel for pixel, with an outline and with 年月日 and a weekday; Terminus Bold's
# 32-pixel strike with a drop shadow; a smooth font drawn without anti-aliasing
# (`ft_load_flags=monochrome`); Terminus's 24-pixel strike on a box at 480p under x265;
# Unifont doubled on a translucent box over a dark grainy night, with a drop shadow at the
# bottom of 720p, and yellow with a slashed date under x265; Unifont at its own 16 pixels on a
# 640x360 sub-stream, and doubled at 720p.
# Needs fonts-unifont and fonts-terminus-otb.
UNIFONT=/usr/share/fonts/opentype/unifont/unifont.otf
TERMB=/usr/share/fonts/opentype/terminus/terminus-bold.otb
TERMN=/usr/share/fonts/opentype/terminus/terminus-normal.otb
bitmap() {
pair DSJ-BM01 $((base + 71)) mandelbrot={} 1920x1080 "fontfile=$UNIFONT" "fontsize=32:fontcolor=white:borderw=2:bordercolor=black" h/30 " 151234" $(x264 25) -b:v 4M
pair DSJ-BM02 $((base + 197)) gradients=speed=0.05:{} 1280x720 "fontfile=$TERMB" "fontsize=32:fontcolor=white:shadowcolor=black:shadowx=2:shadowy=2" h/30 " 152345" $(x264 25) -crf 28
pair DSJ-BM03 $((base + 317)) testsrc2={} 1920x1080 "fontfile=$UNIFONT" "fontsize=48:fontcolor=yellow:borderw=2:bordercolor=black" h/30 "CJK 警号153456" $(x264 50) -b:v 3M
pair DSJ-BM04 $((base + 443)) mandelbrot={} 1280x720 "fontfile=$DEJAVU" "fontsize=30:ft_load_flags=monochrome:fontcolor=white:borderw=2:bordercolor=black" h/30 " 154567" $(x264 25) -crf 30
pair DSJ-BM05 $((base + 569)) gradients=speed=0.06:{} 854x480 "fontfile=$TERMN" "fontsize=24:fontcolor=white:box=1:boxcolor=black@0.6" h/30 " 155678" -c:v libx265 -x265-params log-level=error:keyint=25:min-keyint=25:scenecut=0 -crf 30 -tag:v hvc1
pair DSJ-BM06 $((base + 691)) "color=c=0x202020:{},noise=alls=14:allf=t" 1920x1080 "fontfile=$UNIFONT" "fontsize=32:fontcolor=white:box=1:boxcolor=black@0.5" h/30 " 156789" $(x264 50) -b:v 2M
pair DSJ-BM07 $((base + 811)) mandelbrot={} 1280x720 "fontfile=$UNIFONT" "fontsize=32:fontcolor=white:shadowcolor=black:shadowx=2:shadowy=2" h-h/12 " 157890" $(x264 25) -crf 30
pair DSJ-BM08 $((base + 937)) testsrc2={} 1920x1080 "fontfile=$UNIFONT" "fontsize=32:fontcolor=yellow:borderw=2:bordercolor=black" h/30 "SLASH 158901" -c:v libx265 -x265-params log-level=error:keyint=25:min-keyint=25:scenecut=0 -b:v 3M -tag:v hvc1
pair DSJ-BM09 $((base + 1061)) gradients=speed=0.05:{} 640x360 "fontfile=$UNIFONT" "fontsize=16:fontcolor=white:borderw=1:bordercolor=black" h/30 " 159012" $(x264 25) -crf 30
pair DSJ-BM10 $((base + 1187)) mandelbrot={} 1280x720 "fontfile=$UNIFONT" "fontsize=32:fontcolor=white:borderw=2:bordercolor=black" h/30 " 150123" $(x264 25) -crf 28
}
case "$set_" in
  bitmap) bitmap ;;
  small) small ;;
  sources) sources ;;
  main) main ;;
  thin) thin ;;
  layouts) layouts ;;
  recorders) recorders ;;
  styles) styles ;;
  field) field ;;
  wild) wild ;;
  fonts) fonts ;;
  holdout) holdout ;;
  proportional) proportional ;;
  all) main; holdout; proportional; layouts; recorders; styles; thin; field; wild; fonts; sources; small; bitmap ;;
  *) echo "SET must be main, holdout, proportional, layouts, recorders, styles, thin, field, wild, fonts, sources, small, bitmap or all"; exit 2 ;;
esac

. "$here/benches/lib.sh"
rm -rf "$work/wh"
roots=("$tree")
container=${CONTAINER:-mp4}
case "$container" in
  mp4) ;;
  avi) suffix=A; ext=AVI ;;
  ts) suffix=T; ext=TS ;;
  *) echo "CONTAINER must be mp4, avi or ts"; exit 2 ;;
esac
if [ "$container" != mp4 ]; then
  # Each clip copied (stream copy, no re-encode) into AVI or MPEG-TS as another device (the
  # display's name with an `A` or a `T`), so that the copies learn their digits on their own.
  copies="$work/tree-$container"
  while IFS= read -r -d '' f; do
    rel=${f#"$tree"/}
    dev=${rel%%/*}
    out="$copies/${dev}$suffix/${rel#*/}"
    out="${out%.MP4}.$ext"
    out="$(dirname "$out")/$(basename "$out" | sed "s/^${dev}_/${dev}${suffix}_/")"
    mkdir -p "$(dirname "$out")"
    [ -f "$out" ] && continue
    if [ "$container" = avi ]; then
      codec=$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name -of csv=p=0 "$f" </dev/null)
      ffmpeg -nostdin -hide_banner -loglevel error -y -i "$f" -c copy -bsf:v "${codec}_mp4toannexb" "$out"
    else
      ffmpeg -nostdin -hide_banner -loglevel error -y -i "$f" -c copy -f mpegts "$out"
    fi
  done < <(find "$tree" -name '*.MP4' -print0)
  roots+=("$copies")
fi
"$bin" scan "${roots[@]}" --warehouse "$work/wh" --keyframes all --quiet >/dev/null
# The displayed second a keyframe must show: the name time plus its whole seconds in the file
# (the clip's display starts at the name time and runs with the picture's own clock).
phases=${phase_cases:+case f.device_id$phase_cases else 0 end}
keyframe_accuracy "$bin" "$work/wh" '%.MP4' "${phases:-0}"
if [ "$container" = ts ]; then
  echo "TS copies against the name:"
  keyframe_accuracy "$bin" "$work/wh" '%.TS' "${phases:-0}"
fi
if [ "$container" != mp4 ]; then
  # An AVI keeps no presentation times (its pictures' times are their places in decoding
  # order, up to a few pictures before an MP4's with B-frames), so the copies' readings are
  # held against the MP4 copy's at the same keyframe rather than against the name (a
  # transport stream's times are the MP4's; its copies are also in the table above).
  echo "$ext copies, each keyframe's reading against the MP4's at the same keyframe:"
  "$bin" query "$work/wh" "
  with k as (
    select f.device_id as dev, f.name_time, f.container, k.gop_index, k.osd_time, k.osd_confidence
    from keyframes k join files f on f.path = k.path),
  m as (select * from k where container = 'mp4'),
  a as (select * from k where container <> 'mp4'),
  per as (
    select m.dev as clip, count(*) as keyframes,
           sum(case when a.osd_time is not null and a.osd_time = m.osd_time then 1 else 0 end) as same,
           sum(case when a.osd_time is not null and m.osd_time is not null and a.osd_time <> m.osd_time then 1 else 0 end) as differ,
           sum(case when a.osd_time is not null and m.osd_time is null then 1 else 0 end) as copy_only,
           sum(case when a.osd_time is null and m.osd_time is not null then 1 else 0 end) as mp4_only
    from m join a on a.dev = m.dev || '$suffix' and a.name_time = m.name_time and a.gop_index = m.gop_index
    group by m.dev)
  select * from per
  union all
  select 'all', sum(keyframes), sum(same), sum(differ), sum(copy_only), sum(mp4_only) from per
  order by clip"
fi
"$bin" query "$work/wh" "select device_id, keyframe_note from files where keyframe_note is not null"
echo "Findings of the display and coding rules on these honest clips (must be none above info):"
"$bin" query "$work/wh" "
  select f.device_id, g.rule_id, g.kind, g.severity, count(*) as findings
  from findings g join files f on f.path = g.path
  where (g.rule_id like 'OSD-%' or g.rule_id = 'ENC-HABIT' or g.kind = 'clock_reset')
    and g.severity <> 'info'
  group by 1, 2, 3, 4 order by 1, 2"
echo "(remove $work when done: rm -rf $work)"
