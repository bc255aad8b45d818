// Micro-benchmark of filter evaluation, one core: the W1 filter over a parsed 1 MiB CSV batch.
// bytes/s are the raw bytes of the events evaluated.
#include <benchmark/benchmark.h>

#include "bench/bench_data.h"

namespace sluice::bench {
namespace {

void run_filter(benchmark::State& state, EventGenerator::Format format) {
  StageInput in(format);
  in.parse_all();
  size_t kept = 0;
  for (auto _ : state) {
    kept = 0;
    for (const Event& e : in.batch.events) {
      kept += in.filter->matches(in.batch, e) ? 1 : 0;
    }
    benchmark::DoNotOptimize(kept);
  }
  state.counters["kept_share"] = static_cast<double>(kept) / static_cast<double>(in.events);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * in.events));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.input.size()));
}

void BM_FilterEvalCsv(benchmark::State& state) { run_filter(state, EventGenerator::Format::kCsv); }
void BM_FilterEvalJson(benchmark::State& state) {
  run_filter(state, EventGenerator::Format::kJson);
}

BENCHMARK(BM_FilterEvalCsv);
BENCHMARK(BM_FilterEvalJson);

}  // namespace
}  // namespace sluice::bench
