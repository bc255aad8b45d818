// Micro-benchmarks of ingest framing and of the parsers, one core, on 1 MiB batches of generated
// access events: bytes/s are input bytes, events/s are records.
#include <benchmark/benchmark.h>

#include "bench/bench_data.h"

namespace sluice::bench {
namespace {

void run_frame(benchmark::State& state, EventGenerator::Format format) {
  StageInput in(format);
  Batch batch;
  batch.text = in.input;
  for (auto _ : state) {
    batch.events.clear();
    in.framer->reset();
    size_t used = in.framer->frame(batch, 0, batch.text.size(), /*at_eof=*/true);
    benchmark::DoNotOptimize(used);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * in.events));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.input.size()));
}

void run_parse(benchmark::State& state, EventGenerator::Format format) {
  StageInput in(format);
  in.parse_all();  // also checks every event parses
  for (auto _ : state) {
    in.unparse();
    in.parser->parse(in.batch);
    benchmark::DoNotOptimize(in.batch.fields.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * in.events));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.input.size()));
}

void BM_CsvFrame(benchmark::State& state) { run_frame(state, EventGenerator::Format::kCsv); }
void BM_LineFrame(benchmark::State& state) { run_frame(state, EventGenerator::Format::kText); }
void BM_CsvParse(benchmark::State& state) { run_parse(state, EventGenerator::Format::kCsv); }
void BM_RegexParse(benchmark::State& state) { run_parse(state, EventGenerator::Format::kText); }
void BM_JsonParse(benchmark::State& state) { run_parse(state, EventGenerator::Format::kJson); }

// JSON as services log it: a nested request object, an array, escapes in values and keys, and a
// dotted name the filter reads (`req.status`), so nested values are minified and a path resolved.
void BM_JsonParseNested(benchmark::State& state) {
  ParseOptions o;
  o.format = ParseOptions::Format::kJson;
  o.types = {{"req.status", FieldType::kInt}, {"bytes", FieldType::kInt}};
  std::string input;
  for (uint64_t i = 0; input.size() < kBatchBytes - 512; ++i) {
    const std::string n = std::to_string(i);
    input += R"({"ts":"2026-01-01T00:00:00.)" + std::to_string(i % 1000) +
             R"(Z","level":"info","req":{"method":"GET","path":"/api/v1/orders/)" + n +
             R"(","status":)" + std::to_string(200 + i % 5 * 100) +
             R"(,"headers":{"user-agent":"Mozilla/5.0 \"compat\"","accept":"*/*"}},"bytes":)" + n +
             R"(,"tags":["web","eu-west-1"],"msg":"handled\tin )" + std::to_string(i % 97) +
             R"( ms\n","caf\u00e9":true})" + "\n";
  }
  StageInput in(o, std::move(input), [](Schema& schema) { schema.intern("level"); });
  in.parse_all();
  for (auto _ : state) {
    in.unparse();
    in.parser->parse(in.batch);
    benchmark::DoNotOptimize(in.batch.fields.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * in.events));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.input.size()));
}

// W3's parse step: the line becomes the field `message`.
void BM_NoneParse(benchmark::State& state) {
  ParseOptions o;
  o.format = ParseOptions::Format::kNone;
  StageInput in(EventGenerator::Format::kText, kBatchBytes, o);
  in.parse_all();
  for (auto _ : state) {
    in.unparse();
    in.parser->parse(in.batch);
    benchmark::DoNotOptimize(in.batch.fields.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * in.events));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.input.size()));
}

// The nginx pattern with only 4 capture groups (the rest non-capturing): RE2 can use its one-pass
// matcher only up to 4 groups (Prog::kMaxOnePassCapture = 5 including the whole match), so this
// shows what the 10-group pattern pays for BitState/NFA submatch extraction.
void BM_RegexParseFourGroups(benchmark::State& state) {
  ParseOptions o = parse_options(EventGenerator::Format::kText);
  o.pattern =
      R"re(^\S+ - \S+ \[[^\]]+\] "(?P<method>[A-Z]+) (?P<path>[^ "]*)(?: [^"]*)?" (?P<status>\d{3}) (?P<bytes>\d+) "[^"]*" "[^"]*")re";
  StageInput in(EventGenerator::Format::kText, kBatchBytes, o);
  in.parse_all();
  for (auto _ : state) {
    in.unparse();
    in.parser->parse(in.batch);
    benchmark::DoNotOptimize(in.batch.fields.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * in.events));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.input.size()));
}

BENCHMARK(BM_CsvFrame);
BENCHMARK(BM_LineFrame);
BENCHMARK(BM_CsvParse);
BENCHMARK(BM_RegexParse);
BENCHMARK(BM_RegexParseFourGroups);
BENCHMARK(BM_JsonParse);
BENCHMARK(BM_JsonParseNested);
BENCHMARK(BM_NoneParse);

}  // namespace
}  // namespace sluice::bench
