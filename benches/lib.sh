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
