#!/usr/bin/env bash
# Sanitizer builds (g++): the whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer
# in build-asan/, and the tests with threads (core: queues, memory budget; daemon: runtime;
# e2e: the real binary, itself built with ThreadSanitizer) under ThreadSanitizer in build-tsan/.
# Any report fails the run; so does a test that hangs (300 s, far above any test's normal time).
#
#   bash tests/sanitize/run_sanitizers.sh          # both
#   bash tests/sanitize/run_sanitizers.sh asan     # one of them: asan | tsan
#
# Replay one test: ASAN_OPTIONS=... build-asan/tests_parse --gtest_filter='CsvParserTest.*'
set -euo pipefail
cd "$(dirname "$0")/../.."

kinds=("$@")
if ((${#kinds[@]} == 0)); then
  kinds=(asan tsan)
fi

# -O1 -g1: what the sanitizers recommend (line tables are enough for their stack traces), and much
# quicker to compile than -O3 or full debug info; asserts stay on.
# -Wno-tsan: GCC warns that TSan does not model atomic_thread_fence, which moodycamel's queue uses
# (clang builds get moodycamel's own no_sanitize annotations; GCC does not).
configure() {
  cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
    -DCMAKE_CXX_FLAGS="-Wno-tsan" \
    -DSLUICE_SANITIZE="$2" -DSLUICE_TESTS=ON -DSLUICE_BENCH=OFF > /dev/null
}

# abort_on_error: a report ends the process at once, so the test fails where the bug is.
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=""
# tsan.supp: one known report inside moodycamel's queue (the file says why).
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/sanitize/tsan.supp"
# Tests that bound the daemon's resident memory cannot hold under a sanitizer (shadow memory,
# allocator redzones): they are left out here by name; SLUICE_SANITIZED lets a test skip just
# its memory assertion instead.
export SLUICE_SANITIZED=1
rss_tests='MemoryStaysFlat|FlatMemory|HundredMibLine'
# Under TSan, tests whose cost is single-threaded volume (counting allocations over 200 k events,
# 100,000-term filter chains, 1,000 pipelines started one after another, 9 MB lines copied under a
# small limit) take minutes and exercise
# no interleaving the other threaded tests do not; the ASan run and the main run keep them.
tsan_volume_tests='AllocationTest|ChainOf|FilterLongerThanTheLimit|ThousandPipelines|LongLinesOnStdinUnderASmallLimit'
# Kafka scenarios made of whole processes (kill -9 and restart, two instances in one group): each
# is minutes under TSan, and the threads inside one sluice they exercise are the ones the other
# Kafka tests run too; ASan and the main run keep them.
tsan_volume_tests+='|KafkaSource.KillNine|KafkaSource.TwoInstances'
# Every test that runs librdkafka inside a TSan-built sluice (kafka-mock, the Kafka source and
# sink): Debian's librdkafka is not instrumented and its threads crash TSan's runtime (SEGV in
# the runtime at start, "nested bug"), so TSan cannot judge them. ASan and the main run keep them.
tsan_volume_tests+='|Kafka'

for kind in "${kinds[@]}"; do
  start=$SECONDS
  case "$kind" in
    asan)
      configure build-asan address,undefined
      cmake --build build-asan
      echo "asan build: $((SECONDS - start)) s"
      t0=$SECONDS
      ctest --test-dir build-asan --output-on-failure -j2 --timeout 300 -E "$rss_tests"
      echo "asan tests: $((SECONDS - t0)) s"
      ;;
    tsan)
      configure build-tsan thread
      # Only the binaries whose tests run threads; the e2e tests spawn build-tsan/sluice.
      targets=(sluice)
      known=$(ninja -C build-tsan -t targets all)
      for t in tests_core tests_daemon tests_e2e; do
        if grep -q "^$t: " <<<"$known"; then
          targets+=("$t")
        fi
      done
      cmake --build build-tsan --target "${targets[@]}"
      echo "tsan build: $((SECONDS - start)) s"
      t0=$SECONDS
      # Test binaries that were not built register a *_NOT_BUILT placeholder: skip those.
      ctest --test-dir build-tsan --output-on-failure -j2 --timeout 300 -E "_NOT_BUILT\$|$rss_tests|$tsan_volume_tests"
      echo "tsan tests: $((SECONDS - t0)) s"
      ;;
    *)
      echo "unknown sanitizer run '$kind' (asan | tsan)" >&2
      exit 2
      ;;
  esac
done
