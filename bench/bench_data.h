// Inputs of the micro-benchmarks: synthetic access events from EventGenerator (the same data as
// `sluice gen`), framed and parsed by the real stages into batches the size StreamReader reads.
// A StageInput is built once per benchmark, single-threaded, and reused across iterations.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stages/batch.h"
#include "stages/filter/expression.h"
#include "stages/ingest/event_generator.h"
#include "stages/ingest/record_framer.h"
#include "stages/parse/parser.h"
#include "stages/schema.h"

namespace sluice::bench {

inline constexpr uint64_t kSeed = 1;
// The input of one benchmark iteration (a pipeline batch is StreamReaderOptions::batch_bytes).
inline constexpr size_t kBatchBytes = 1 << 20;

// The workload filter of W1, W2, W4.
inline constexpr std::string_view kFilter = R"(status >= 500 or path =~ "^/api/v[0-9]+/orders")";

// nginx "combined", as in config/regex-nginx.yaml.
inline constexpr std::string_view kNginxPattern =
    R"re(^(?P<remote_addr>\S+) - (?P<remote_user>\S+) \[(?P<time_local>[^\]]+)\] "(?P<method>[A-Z]+) (?P<path>[^ "]*)(?: (?P<protocol>[^"]*))?" (?P<status>\d{3}) (?P<bytes>\d+) "(?P<referer>[^"]*)" "(?P<agent>[^"]*)")re";

[[noreturn]] inline void die(const std::string& what) {
  std::fprintf(stderr, "bench setup failed: %s\n", what.c_str());
  std::abort();
}

// Whole '\n'-terminated events of `format`, about `bytes` in all (never more).
inline std::string generate(EventGenerator::Format format, size_t bytes) {
  EventGenerator gen(format, kSeed);
  std::string out;
  out.reserve(bytes + 4096);
  std::string line;
  for (;;) {
    line.clear();
    gen.append_event(line);
    if (out.size() + line.size() > bytes) {
      return out;
    }
    out += line;
  }
}

// The `parse:` block the end-to-end workloads use for `format`.
inline ParseOptions parse_options(EventGenerator::Format format) {
  ParseOptions o;
  switch (format) {
    case EventGenerator::Format::kCsv:
      o.format = ParseOptions::Format::kCsv;
      o.columns = {"ts", "host", "method", "path", "status", "bytes", "latency_ms", "agent"};
      o.types = {{"status", FieldType::kInt},
                 {"bytes", FieldType::kInt},
                 {"latency_ms", FieldType::kFloat}};
      break;
    case EventGenerator::Format::kText:
      o.format = ParseOptions::Format::kRegex;
      o.pattern = std::string(kNginxPattern);
      o.types = {{"status", FieldType::kInt}, {"bytes", FieldType::kInt}};
      break;
    case EventGenerator::Format::kJson:
      o.format = ParseOptions::Format::kJson;
      o.types = {{"status", FieldType::kInt},
                 {"bytes", FieldType::kInt},
                 {"latency_ms", FieldType::kFloat}};
      break;
  }
  return o;
}

// Everything one stage benchmark needs, built the way Pipeline::build does it: the filter (and
// `intern_more`, e.g. encoders) first, then types are declared, then framer and parser are made.
// Not movable: parser and framer keep a reference to `schema`.
struct StageInput {
  explicit StageInput(EventGenerator::Format format, size_t bytes = kBatchBytes,
                      std::optional<ParseOptions> override_options = std::nullopt,
                      const std::function<void(Schema&)>& intern_more = nullptr)
      : StageInput(override_options ? *override_options : parse_options(format),
                   generate(format, bytes), intern_more) {}
  // The same over given input text ('\n'-terminated events).
  StageInput(ParseOptions parse, std::string text,
             const std::function<void(Schema&)>& intern_more = nullptr)
      : options(std::move(parse)), input(std::move(text)) {
    auto expr = Expression::compile(kFilter, schema);
    if (!expr.ok()) {
      die(expr.status().to_string());
    }
    filter.emplace(std::move(expr.value()));
    if (intern_more) {
      intern_more(schema);  // e.g. an encoder's field names
    }
    for (const auto& [name, type] : options.types) {
      schema.declare_type(schema.intern(name), type);
    }
    framer = make_framer(options, schema);
    auto made = make_parser(options, schema);
    if (!made.ok()) {
      die(made.status().to_string());
    }
    parser = std::move(made.value());

    batch.text = input;
    size_t used = framer->frame(batch, 0, batch.text.size(), /*at_eof=*/true);
    if (used != batch.text.size() || batch.events.empty()) {
      die("framing did not consume the input");
    }
    framed_layout = batch.layout;
    events = batch.events.size();
  }
  StageInput(const StageInput&) = delete;
  StageInput& operator=(const StageInput&) = delete;

  // Puts the batch back to "framed, not parsed" without copying its text: drops parser output.
  void unparse() {
    batch.text.resize(input.size());
    batch.fields.clear();
    batch.slot_fields.clear();
    batch.layout = framed_layout;
    for (Event& e : batch.events) {
      e.state = EventState::kFramed;
      e.first_field = 0;
      e.field_count = 0;
      e.slot_base = 0;
    }
  }

  // Parses the batch once and checks that every event parsed (the benchmarks assume valid input).
  void parse_all() {
    unparse();
    parser->parse(batch);
    for (const Event& e : batch.events) {
      if (e.state != EventState::kParsed) {
        die("event did not parse: " + std::string(batch.str(e.error)));
      }
    }
  }

  Schema schema;
  ParseOptions options;
  std::optional<Expression> filter;
  std::unique_ptr<RecordFramer> framer;
  std::unique_ptr<Parser> parser;
  std::string input;  // the bytes parsed, '\n'-terminated events
  Batch batch;        // framed from `input`
  std::shared_ptr<const Layout> framed_layout;
  size_t events = 0;
};

}  // namespace sluice::bench
