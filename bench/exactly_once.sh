#!/usr/bin/env bash
# Cost of delivery: exactly_once against at_least_once on a followed file -> file run: LINES
# numbered lines are in the file when sluice starts; the time is from start until the output
# holds them all (polled every 10 ms). RUNS rounds, each one run per mode, the modes alternating
# (running all of one mode first put the dirty pages its runs left on the other mode's runs).
# Each run's output is removed and `sync`ed away after it, so no run pays for the one before.
# Prints each run (with the load average), then each mode's median and the ratio.
# A record (and its fdatasync) comes about once a second (checkpoint_interval_ms): a run much
# shorter than that measures little of exactly_once's cost; 40,000,000 lines (349 MB) take 1-2 s.
# Usage: bench/exactly_once.sh [BUILD_DIR] [LINES] [RUNS]
set -euo pipefail
build="${1:-build}"
lines="${2:-2000000}"
runs="${3:-3}"
sluice="$(cd "$build" && pwd)/sluice"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
seq 1 "$lines" > "$work/in.log"
want=$(stat -c %s "$work/in.log")

run_mode() {  # MODE -> seconds
  local mode="$1" dir="$work/$1.$2"
  mkdir -p "$dir"
  cat > "$dir/c.yaml" <<YAML
data_dir: $dir/data
pipelines:
  p:
    source: { type: file, paths: [$work/in.log], follow: true }
    parse: { format: none }
    routes: [ { to: out } ]
    delivery: $mode
sinks:
  out: { type: file, path: $dir/out.log, encoding: raw }
YAML
  local start end pid
  start=$(date +%s.%N)
  "$sluice" run -c "$dir/c.yaml" 2> "$dir/err" &
  pid=$!
  while [ "$(stat -c %s "$dir/out.log" 2>/dev/null || echo 0)" -lt "$want" ]; do sleep 0.01; done
  end=$(date +%s.%N)
  kill -TERM "$pid"
  wait "$pid"
  rm -f "$dir/out.log"
  sync
  echo "$end - $start" | bc -l
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
modes=(at_least_once exactly_once)
sync
for i in $(seq 1 "$runs"); do
  for mode in "${modes[@]}"; do
    t=$(run_mode "$mode" "$i")
    echo "$t" >> "$work/$mode.times"
    printf 'run %d %-14s %.3f s (load %s)\n' "$i" "$mode" "$t" "$(cut -d' ' -f1 /proc/loadavg)"
  done
done
for mode in "${modes[@]}"; do
  median < "$work/$mode.times" > "$work/$mode.median"
  printf '%-14s median %.3f s over %d runs (%d lines, %d bytes)\n' "$mode" \
    "$(cat "$work/$mode.median")" "$runs" "$lines" "$want"
done
echo "ratio exactly_once / at_least_once: $(echo "$(cat "$work/exactly_once.median") / $(cat "$work/at_least_once.median")" | bc -l | cut -c1-5)"
