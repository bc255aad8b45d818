#!/usr/bin/env bash
# What the metrics endpoint costs: W1's pipeline (csv, typed, filter, json encoding) run without
# a `metrics` block and with one while a scraper fetches /metrics every SCRAPE_INTERVAL seconds
# (default 0.2: five times a 1 s Prometheus scrape, to make any cost visible). The sink is
# `null`: on this machine's ext4 (mounted with `discard`), writing a gigabyte right after the last
# run's output was deleted is slow every other run, which would swamp the comparison. Runs go in
# ABBA order so that drift hits both variants alike; prints the median wall time and CPU of each
# and their ratio.
#
# Environment: SLUICE (default build-bench/sluice), EVENTS (default 20000000), RUNS (5),
# SCRAPE_INTERVAL (0.2), PORT (19598), OUT (bench/out).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SLUICE=${SLUICE:-$ROOT/build-bench/sluice}
EVENTS=${EVENTS:-20000000}
RUNS=${RUNS:-5}
SCRAPE_INTERVAL=${SCRAPE_INTERVAL:-0.2}
PORT=${PORT:-19598}
OUT=${OUT:-$ROOT/bench/out}
[[ -x $SLUICE ]] || { echo "no sluice binary at $SLUICE (build first, or set SLUICE)" >&2; exit 1; }
mkdir -p "$OUT"

input=$OUT/metrics-cost.csv
if [[ ! -f $input || $(cat "$input.count" 2>/dev/null) != "$EVENTS" ]]; then
  "$SLUICE" gen --format csv --count "$EVENTS" --seed 1 >"$input"
  echo "$EVENTS" >"$input.count"
fi
cat "$input" >/dev/null

write_config() {  # NAME METRICS_LINE
  cat >"$OUT/$1.yaml" <<YAML
data_dir: $OUT/data-$1
$2
pipelines:
  w1:
    source: { type: file, paths: [$input], read_from: beginning, follow: false }
    parse:
      format: csv
      columns: [ts, host, method, path, status, bytes, latency_ms, agent]
      types: { status: int, bytes: int, latency_ms: float }
    filter: 'status >= 500 or path =~ "^/api/v[0-9]+/orders"'
    routes: [ { to: out } ]
sinks:
  out: { type: null, encoding: json }
YAML
}
write_config plain ""
write_config scraped "metrics: { listen: 127.0.0.1:$PORT }"

# Fetches /metrics until the daemon is gone; counts the scrapes that answered.
scrape_loop() {
  local n=0
  while kill -0 "$1" 2>/dev/null; do
    if { exec 3<>"/dev/tcp/127.0.0.1/$PORT"; } 2>/dev/null; then
      printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
      grep -q sluice_events_in_total <&3 2>/dev/null && n=$((n + 1))
      exec 3<&-
    fi
    sleep "$SCRAPE_INTERVAL"
  done
  echo "$n" >"$OUT/scrapes"
}

run_once() {  # NAME -> "seconds cpu_seconds scrapes"
  rm -rf "$OUT/data-$1" "$OUT/scrapes"
  local t0 t1 scrapes=0
  t0=$(date +%s%N)
  /usr/bin/time -f "%U %S" -o "$OUT/$1.time" "$SLUICE" run -q -c "$OUT/$1.yaml" 2>"$OUT/$1.stderr" &
  local pid=$!
  if [[ $1 == scraped ]]; then
    scrape_loop "$pid" &
    local scraper=$!
  fi
  wait "$pid"
  t1=$(date +%s%N)
  if [[ $1 == scraped ]]; then
    wait "$scraper"
    scrapes=$(cat "$OUT/scrapes")
  fi
  awk -v ns=$((t1 - t0)) -v s="$scrapes" '{printf "%.3f %.2f %d\n", ns / 1e9, $1 + $2, s}' "$OUT/$1.time"
}

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
declare -A WALL CPU
for round in $(seq "$RUNS"); do
  order="plain scraped"
  ((round % 2 == 0)) && order="scraped plain"
  for name in $order; do
    read -r s c n < <(run_once "$name")
    WALL[$name]+="$s"$'\n'
    CPU[$name]+="$c"$'\n'
    echo "$name: ${s} s, cpu ${c} s$([[ $name == scraped ]] && echo ", $n scrapes")" >&2
  done
done
for name in plain scraped; do
  w=$(printf '%s' "${WALL[$name]}" | median)
  c=$(printf '%s' "${CPU[$name]}" | median)
  echo "$name: median $w s wall ($(awk -v e="$EVENTS" -v w="$w" 'BEGIN {printf "%.2f", e / w / 1e6}') M events/s), $c s CPU"
  eval "${name}_w=$w ${name}_c=$c"
done
awk -v a="$plain_w" -v b="$scraped_w" -v c="$plain_c" -v d="$scraped_c" \
  'BEGIN {printf "scraped / plain: wall %.3f, CPU %.3f\n", b / a, d / c}'
