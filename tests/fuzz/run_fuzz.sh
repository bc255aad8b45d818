#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) into build-fuzz/ and runs each one for
# SLUICE_FUZZ_SECONDS seconds (default 10, as in CI), starting from its seed corpus in
# tests/fuzz/corpus/<name>/. Fails when any target crashes, leaks, times out or breaks an invariant.
#
#   bash tests/fuzz/run_fuzz.sh                          # every target, 10 s each
#   SLUICE_FUZZ_SECONDS=600 bash tests/fuzz/run_fuzz.sh  # a long run, 10 min each
#   bash tests/fuzz/run_fuzz.sh csv json                 # some targets only
#   build-fuzz/tests/fuzz/csv_fuzz build-fuzz/artifacts/csv-crash-...   # replay a finding
#
# Inputs that found new coverage go to build-fuzz/corpus/<name>/ (kept between runs, never into
# the source tree); a crashing input is written to build-fuzz/artifacts/<name>-crash-<sha1>.
# Copy an interesting one into tests/fuzz/corpus/<name>/ and turn a crash into a regression test.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${SLUICE_FUZZ_SECONDS:-10}
build=${SLUICE_FUZZ_BUILD:-build-fuzz}
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(csv regex json expression config)
fi

start=$SECONDS
# Line tables only: enough for the sanitizers' reports, and the build is CI's third of the tree.
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -gline-tables-only -DNDEBUG" \
  -DSLUICE_FUZZ=ON -DSLUICE_TESTS=OFF -DSLUICE_BENCH=OFF > /dev/null
cmake --build "$build" --target "${targets[@]/%/_fuzz}"
echo "fuzz build: $((SECONDS - start)) s"

mkdir -p "$build/artifacts"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t"
  log="$build/artifacts/$t.log"
  t0=$SECONDS
  # -timeout: one input taking longer than this is a finding (a hang), not a slow machine.
  if "$build/tests/fuzz/${t}_fuzz" "$build/corpus/$t" "tests/fuzz/corpus/$t" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -artifact_prefix="$build/artifacts/$t-" -print_final_stats=1 > "$log" 2>&1; then
    echo "fuzz $t: ok in $((SECONDS - t0)) s ($(grep -c . <<<"$(ls "$build/corpus/$t")") corpus inputs)"
  else
    echo "fuzz $t: FAILED after $((SECONDS - t0)) s; log: $log"
    grep -E "ERROR|fuzz invariant|SUMMARY|Test unit written|^    #[0-9]+ " "$log" | head -40 || true
    failed+=("$t")
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}"
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds} s each without a finding"
