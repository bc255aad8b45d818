#!/usr/bin/env bash
# Latency, ingest to sink acknowledgement, at fixed input rates: the W1 pipeline (csv, typed,
# filter, json to a file) fed by a `generate` source at each rate for SECONDS seconds; prints the
# summary line's p50/p99 (upper bounds of the histogram's buckets).
#
#   SLUICE=build/sluice bench/latency_sweep.sh 600000 3000000
#
# Environment: SLUICE (binary, default build-bench/sluice), SECONDS_EACH (6), OUT (bench/out).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SLUICE=${SLUICE:-$ROOT/build-bench/sluice}
SECONDS_EACH=${SECONDS_EACH:-6}
OUT=${OUT:-$ROOT/bench/out}
mkdir -p "$OUT"
(($# > 0)) || { echo "usage: $0 RATE [RATE...]  (events/s)" >&2; exit 2; }

for rate in "$@"; do
  config=$OUT/latency_$rate.yaml
  cat >"$config" <<EOF
data_dir: $OUT/data-latency
pipelines:
  lat:
    source: { type: generate, format: csv, count: $((rate * SECONDS_EACH)), rate: $rate, seed: 1 }
    parse:
      format: csv
      columns: [ts, host, method, path, status, bytes, latency_ms, agent]
      types: { status: int, bytes: int, latency_ms: float }
    filter: 'status >= 500 or path =~ "^/api/v[0-9]+/orders"'
    routes:
      - to: out
sinks:
  out: { type: file, path: $OUT/latency.out, encoding: json }
EOF
  rm -f "$OUT/latency.out"
  summary=$("$SLUICE" run -c "$config" 2>&1 | grep 'pipeline lat:')
  echo "rate $rate events/s: $(echo "$summary" | grep -oE '[0-9]+ events/s over .*')"
done
rm -f "$OUT/latency.out"
