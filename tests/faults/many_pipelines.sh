#!/bin/sh
# Starts N (default 1000) pipelines that each follow their own small file, and reports how long
# until every event is delivered, how much CPU the idle daemon then uses, and how long SIGTERM
# takes. Reproduces the "1,000 following pipelines" row of docs/RELIABILITY.md.
# Usage: tests/faults/many_pipelines.sh [N] [path/to/sluice]
set -eu
n=${1:-1000}
bin=${2:-build/sluice}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/in"
{
  echo "data_dir: $dir/data"
  echo "pipelines:"
  i=0
  while [ "$i" -lt "$n" ]; do
    seq -f "p$i-%g" 1 10 >"$dir/in/f$i.log"
    echo "  p$i:"
    echo "    source: { type: file, paths: [$dir/in/f$i.log], follow: true }"
    echo "    parse: { format: none }"
    echo "    routes: [ { to: out } ]"
    i=$((i + 1))
  done
  echo "sinks:"
  echo "  out: { type: file, path: $dir/out.log, encoding: raw }"
} >"$dir/c.yaml"
want=$((n * 10))
start=$(date +%s.%N)
"$bin" run -c "$dir/c.yaml" 2>"$dir/err" &
pid=$!
polls=0
while [ "$(cat "$dir/out.log" 2>/dev/null | wc -l)" -lt "$want" ] && [ "$polls" -lt 1200 ]; do
  sleep 0.25
  polls=$((polls + 1))
done
got=$(cat "$dir/out.log" 2>/dev/null | wc -l)
echo "delivered $got of $want after $(echo "$(date +%s.%N) - $start" | bc) s;" \
  "threads: $(awk '/Threads/ {print $2}' /proc/$pid/status)"
t1=$(awk '{print $14 + $15}' /proc/$pid/stat)
sleep 5
t2=$(awk '{print $14 + $15}' /proc/$pid/stat)
echo "idle CPU: $(((t2 - t1) * 100 / (5 * $(getconf CLK_TCK))))% of one core"
stop=$(date +%s.%N)
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
echo "SIGTERM: exit $rc after $(echo "$(date +%s.%N) - $stop" | bc) s;" \
  "summary lines: $(grep -c '^pipeline ' "$dir/err")"
