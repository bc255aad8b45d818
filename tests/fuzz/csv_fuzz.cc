// Fuzz target: CSV framing and parsing. The input is cut into up to three chunks at offsets the
// fuzzer chooses and fed to one CsvFramer the way StreamReader feeds it (incomplete records carry
// over, sometimes into a new batch), and again the way a TCP connection feeds it (each call
// resumes the scan where the last one stopped, frame_resuming); each result must equal framing
// and parsing the whole input at once, and every parsed record must equal split_csv_record's
// reading of it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stages/ingest/record_framer.h"
#include "stages/parse/csv_parser.h"
#include "stages/parse/parser.h"
#include "tests/fuzz/fuzz_checks.h"

namespace sluice::fuzz {
namespace {

// Options from the first input byte: header or columns, delimiter, quote, typed columns.
ParseOptions options_from(uint8_t flags) {
  static constexpr char kDelimiters[] = {',', ';', '\t', '|'};
  ParseOptions options;
  options.format = ParseOptions::Format::kCsv;
  options.header = (flags & 1) != 0;
  options.delimiter = kDelimiters[(flags >> 1) & 3];
  options.quote = (flags & 8) != 0 ? '\'' : '"';
  if (!options.header) {
    options.columns = {"a", "b", "c"};
  }
  if ((flags & 16) != 0) {
    options.types = {{"b", FieldType::kInt}, {"c", FieldType::kFloat}};
  }
  if ((flags & 32) != 0) {
    options.types.emplace_back("a", FieldType::kTimestamp);
  }
  return options;
}

struct Pipeline {
  std::unique_ptr<RecordFramer> framer;
  std::unique_ptr<Parser> parser;
};

Pipeline make(const ParseOptions& options, const Schema& schema) {
  Pipeline p;
  p.framer = make_framer(options, schema);
  auto parser = make_parser(options, schema);
  FUZZ_CHECK(parser.ok());
  p.parser = std::move(parser.value());
  return p;
}

// Parses a finished batch, checks it and appends the images of its events to `out`.
void finish(Pipeline& p, Batch& batch, const Schema& schema, const ParseOptions& options,
            std::vector<EventImage>& out) {
  p.parser->parse(batch);
  check_batch(batch, schema);
  std::vector<std::string> expected;
  for (const Event& e : batch.events) {
    FUZZ_CHECK(e.state == EventState::kParsed || e.state == EventState::kParseError);
    if (e.state == EventState::kParsed) {
      FUZZ_CHECK(batch.layout != nullptr);
      FUZZ_CHECK(e.field_count == batch.layout->names.size());
      split_csv_record(batch.str(e.raw), options.delimiter, options.quote, expected);
      FUZZ_CHECK(expected.size() == e.field_count);
      for (uint32_t i = 0; i < e.field_count; ++i) {
        FUZZ_CHECK(batch.str(batch.fields[e.first_field + i].value) == expected[i]);
      }
    }
    out.push_back(image(batch, e, schema));
  }
}

}  // namespace
}  // namespace sluice::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice;
  using namespace sluice::fuzz;
  if (size < 4) {
    return 0;
  }
  const ParseOptions options = options_from(data[0]);
  const uint8_t cut1 = data[1];
  const uint8_t cut2 = data[2];
  const uint8_t emit_mask = data[3];
  std::string_view input(reinterpret_cast<const char*>(data + 4), size - 4);

  Schema schema;
  for (const char* name : {"a", "b", "c", "zz"}) {
    schema.intern(name);
  }

  // All at once.
  std::vector<EventImage> whole;
  {
    Pipeline p = make(options, schema);
    auto batch = std::make_unique<Batch>();
    batch->text.assign(input);
    size_t framed = p.framer->frame(*batch, 0, batch->text.size(), true);
    FUZZ_CHECK(framed == input.size());
    finish(p, *batch, schema, options, whole);
  }

  // In chunks, carrying incomplete records over as StreamReader does (resume: false), or as a
  // TCP connection does, each scan resumed where the last one stopped (resume: true).
  for (const bool resume : {false, true}) {
    std::vector<EventImage> chunked;
    Pipeline p = make(options, schema);
    size_t a = input.empty() ? 0 : cut1 % (input.size() + 1);
    size_t b = input.empty() ? 0 : cut2 % (input.size() + 1);
    if (a > b) {
      std::swap(a, b);
    }
    const size_t bounds[] = {0, a, b, input.size()};
    auto batch = std::make_unique<Batch>();
    size_t framed = 0;
    size_t scanned = 0;  // with resume: the bytes the framer has looked at
    for (int k = 0; k < 3; ++k) {
      batch->text.append(input.substr(bounds[k], bounds[k + 1] - bounds[k]));
      const size_t used = batch->text.size();
      framed =
          resume ? p.framer->frame_resuming(*batch, framed, std::max(scanned, framed), used, false)
                 : p.framer->frame(*batch, framed, used, false);
      scanned = used;
      FUZZ_CHECK(framed <= used);
      FUZZ_CHECK(batch->text.size() == used);  // nothing is appended before the end
      if ((emit_mask >> k) & 1) {
        // Hand on what is complete; the tail starts the next batch.
        auto next = std::make_unique<Batch>();
        next->text.assign(batch->text, framed, std::string::npos);
        batch->text.resize(framed);
        finish(p, *batch, schema, options, chunked);
        batch = std::move(next);
        scanned -= framed;
        framed = 0;
      }
    }
    const size_t used = batch->text.size();
    const size_t end =
        resume ? p.framer->frame_resuming(*batch, framed, std::max(scanned, framed), used, true)
               : p.framer->frame(*batch, framed, used, true);
    FUZZ_CHECK(end == used);
    finish(p, *batch, schema, options, chunked);
    FUZZ_CHECK(whole == chunked);
  }
  return 0;
}
