#!/usr/bin/env bash
# Cost of delivery: exactly_once against at_least_once on a followed file -> file run: LINES
# numbered lines are in the file when sluice starts; the time is from start until the output
# holds them all (polled every 10 ms). RUNS runs per mode; prints each mode's median and the ratio.
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
  echo "$end - $start" | bc -l
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for mode in at_least_once exactly_once; do
  for i in $(seq 1 "$runs"); do run_mode "$mode" "$i"; done | median > "$work/$mode.median"
  printf '%-14s median %.3f s over %d runs (%d lines, %d bytes)\n' "$mode" \
    "$(cat "$work/$mode.median")" "$runs" "$lines" "$want"
done
echo "ratio exactly_once / at_least_once: $(echo "$(cat "$work/exactly_once.median") / $(cat "$work/at_least_once.median")" | bc -l | cut -c1-5)"
