// Micro-benchmarks of the encoders, one core, over every event of a parsed 1 MiB batch (or over the
// events a filter keeps, for *Filtered). bytes/s are output bytes (what the sink writes); events/s
// are events encoded.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench/bench_data.h"
#include "stages/ingest/stream_reader.h"
#include "stages/sinks/encoder.h"

namespace sluice::bench {
namespace {

// What StreamReader reads per batch in a pipeline by default.
const size_t kPipelineBatchBytes = StreamReaderOptions{}.batch_bytes;

// `filtered`: only the events the workload filter keeps (W4 writes about 39% of them), from a
// batch of the size a pipeline's reader fills: the encoder then skips through the batch, as it
// does in a pipeline, instead of streaming over every event.
void run_encode(benchmark::State& state, EventGenerator::Format format, EncoderOptions::Kind kind,
                bool filtered = false) {
  // The encoder interns its field names, so it is built before the parser (as Pipeline does).
  EncoderOptions eo;
  eo.kind = kind;
  if (kind == EncoderOptions::Kind::kCsv) {
    eo.columns = {"ts", "host", "method", "path", "status", "bytes", "latency_ms", "agent"};
  }
  std::unique_ptr<Encoder> encoder;
  StageInput in(format, filtered ? kPipelineBatchBytes : kBatchBytes, std::nullopt,
                [&](Schema& schema) {
                  auto made = make_encoder(eo, schema);
                  if (!made.ok()) {
                    die(made.status().to_string());
                  }
                  encoder = std::move(made.value());
                });
  in.parse_all();

  std::vector<uint32_t> all;
  for (uint32_t i = 0; i < in.events; ++i) {
    if (!filtered || in.filter->matches(in.batch, in.batch.events[i])) {
      all.push_back(i);
    }
  }
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
  state.counters["encoded_share"] =
      static_cast<double>(all.size()) / static_cast<double>(in.events);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * all.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out_bytes));
}

void BM_JsonEncodeFromCsv(benchmark::State& state) {
  run_encode(state, EventGenerator::Format::kCsv, EncoderOptions::Kind::kJson);
}
void BM_JsonEncodeFromJson(benchmark::State& state) {
  run_encode(state, EventGenerator::Format::kJson, EncoderOptions::Kind::kJson);
}
void BM_JsonEncodeFromJsonFiltered(benchmark::State& state) {
  run_encode(state, EventGenerator::Format::kJson, EncoderOptions::Kind::kJson, true);
}
void BM_CsvEncodeFromCsv(benchmark::State& state) {
  run_encode(state, EventGenerator::Format::kCsv, EncoderOptions::Kind::kCsv);
}
void BM_RawEncode(benchmark::State& state) {
  run_encode(state, EventGenerator::Format::kText, EncoderOptions::Kind::kRaw);
}

BENCHMARK(BM_JsonEncodeFromCsv);
BENCHMARK(BM_JsonEncodeFromJson);
BENCHMARK(BM_JsonEncodeFromJsonFiltered);
BENCHMARK(BM_CsvEncodeFromCsv);
BENCHMARK(BM_RawEncode);

}  // namespace
}  // namespace sluice::bench
