#!/usr/bin/env bash
# The benchmark suite in one command: builds Release into build-bench, runs the per-stage
# micro-benchmarks (one core each), then the end-to-end workloads (bench/run_e2e.sh).
# Takes about 5-10 minutes on 2 cores. Results: bench/out/micro.{txt,json}, bench/out/e2e.md.
#
# Environment: BUILD (build dir, default build-bench), MIN_TIME (seconds per micro-benchmark,
# default 0.5), and everything run_e2e.sh takes (EVENTS, RUNS, WORKERS, STALL_SECONDS).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
MIN_TIME=${MIN_TIME:-0.5}
OUT=${OUT:-$ROOT/bench/out}
mkdir -p "$OUT"

cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSLUICE_BENCH=ON \
  -DSLUICE_TESTS=OFF >/dev/null
cmake --build "$BUILD" --target sluice sluice_bench sluice_reference_w1

echo "== micro-benchmarks (one core each; bytes/s = input bytes, for encoders output bytes) =="
"$BUILD/sluice_bench" --benchmark_min_time="$MIN_TIME" \
  --benchmark_out="$OUT/micro.json" --benchmark_out_format=json | tee "$OUT/micro.txt"

echo
echo "== end to end =="
SLUICE="$BUILD/sluice" REFERENCE="$BUILD/sluice_reference_w1" OUT="$OUT" "$ROOT/bench/run_e2e.sh"
