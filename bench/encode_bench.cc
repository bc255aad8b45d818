// Micro-benchmarks of the encoders, one core, over every event of a parsed 1 MiB batch.
// bytes/s are output bytes (what the sink writes); events/s are events encoded.
#include <benchmark/benchmark.h>

#include <numeric>

#include "bench/bench_data.h"
#include "stages/sinks/encoder.h"

namespace sluice::bench {
namespace {

void run_encode(benchmark::State& state, EventGenerator::Format format, EncoderOptions::Kind kind) {
  // The encoder interns its field names, so it is built before the parser (as Pipeline does).
  EncoderOptions eo;
  eo.kind = kind;
  if (kind == EncoderOptions::Kind::kCsv) {
    eo.columns = {"ts", "host", "method", "path", "status", "bytes", "latency_ms", "agent"};
  }
  std::unique_ptr<Encoder> encoder;
  StageInput in(format, kBatchBytes, std::nullopt, [&](Schema& schema) {
    auto made = make_encoder(eo, schema);
    if (!made.ok()) {
      die(made.status().to_string());
    }
    encoder = std::move(made.value());
  });
  in.parse_all();

  std::vector<uint32_t> all(in.events);
  std::iota(all.begin(), all.end(), 0u);
  std::string out;
  encoder->encode(in.batch, all, out);
  const size_t out_bytes = out.size();
  for (auto _ : state) {
    out.clear();
    encoder->encode(in.batch, all, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["out_per_in"] =
      static_cast<double>(out_bytes) / static_cast<double>(in.input.size());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * in.events));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out_bytes));
}

void BM_JsonEncodeFromCsv(benchmark::State& state) {
  run_encode(state, EventGenerator::Format::kCsv, EncoderOptions::Kind::kJson);
}
void BM_JsonEncodeFromJson(benchmark::State& state) {
  run_encode(state, EventGenerator::Format::kJson, EncoderOptions::Kind::kJson);
}
void BM_CsvEncodeFromCsv(benchmark::State& state) {
  run_encode(state, EventGenerator::Format::kCsv, EncoderOptions::Kind::kCsv);
}
void BM_RawEncode(benchmark::State& state) {
  run_encode(state, EventGenerator::Format::kText, EncoderOptions::Kind::kRaw);
}

BENCHMARK(BM_JsonEncodeFromCsv);
BENCHMARK(BM_JsonEncodeFromJson);
BENCHMARK(BM_CsvEncodeFromCsv);
BENCHMARK(BM_RawEncode);

}  // namespace
}  // namespace sluice::bench
