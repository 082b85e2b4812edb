# Shared by the bench scripts (sourced, not run): the median wall seconds of a command over
# $runs runs, after one warm-up run whose time is not counted.
median() {
  local times=()
  "$@" >/dev/null 2>&1
  for _ in $(seq "$runs"); do
    local s e
    s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
    times+=("$(echo "$e - $s" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

# How exactly the burned-in clock was read: every keyframe of warehouse WH (of the files whose
# path is like PATTERN, all by default) held against the second it must show, its file's name
# time plus its whole seconds in the file (the bench clips' displays start at their name
# time), counted from the file's first keyframe (its first picture: `t_s` is without the edit
# list, so a B-frame delay puts it at 0.08 s, not 0); PHASE (an SQL expression over
# `f.device_id`, 0 by default) is how far into its second each display's clock started (a
# millisecond is added against the subtraction's rounding: 1.08 - 0.08 is 0.99999...).
# Per display (device) and in all: keyframes, readings with a time, exact ones, wrong ones
# (any confidence) and wrong ones at or above the rules' confidence (0.65; 0.5 until 2026-12-06).
keyframe_accuracy() {
  local bin=$1 wh=$2 pattern=${3:-%} phase=${4:-0}
  "$bin" query "$wh" "
  with k as (
    select f.device_id as clip, f.width, f.height, f.video_codec, k.osd_confidence,
           cast(to_unixtime(k.osd_time) as bigint) as shown,
           cast(to_unixtime(f.name_time) as bigint)
             + cast(floor(k.t_s - min(k.t_s) over (partition by k.path) + $phase + 0.001) as bigint)
             as answer
    from keyframes k join files f on f.path = k.path
    where f.path like '$pattern'),
  per as (
    select clip, max(width) as width, max(height) as height, max(video_codec) as codec,
           count(*) as keyframes, count(shown) as read,
           sum(case when shown = answer then 1 else 0 end) as exact,
           sum(case when shown <> answer then 1 else 0 end) as wrong,
           sum(case when shown <> answer and osd_confidence >= 0.65 then 1 else 0 end)
             as wrong_confident
    from k group by clip)
  select * from per
  union all
  select 'all', null, null, null, sum(keyframes), sum(read), sum(exact), sum(wrong),
         sum(wrong_confident) from per
  order by clip"
}
