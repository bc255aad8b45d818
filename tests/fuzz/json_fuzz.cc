// Fuzz target: the JSON parser, one object per input line, with dotted schema names that reach
// into nested objects and arrays, and declared types. Every batch must satisfy the Batch
// contract, and a line must parse the same alone in a batch as among the others with the same
// parser instance (its reused buffers must not carry anything from one event to the next).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stages/parse/parser.h"
#include "tests/fuzz/fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice;
  using namespace sluice::fuzz;
  if (size > 16384) {
    return 0;
  }
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string_view> all = lines(input);

  Schema schema;
  for (const char* name : {"a", "b", "a.b", "a.b.0", "x.y.z", "n", "t", "ok", "_raw"}) {
    schema.intern(name);
  }
  ParseOptions options;
  options.format = ParseOptions::Format::kJson;
  options.types = {{"n", FieldType::kInt},
                   {"t", FieldType::kTimestamp},
                   {"ok", FieldType::kBool},
                   {"a.b", FieldType::kFloat}};
  auto made = make_parser(options, schema);
  FUZZ_CHECK(made.ok());
  Parser& parser = *made.value();

  Batch together;
  for (size_t i = 0; i < all.size(); ++i) {
    add_line(together, all[i], i + 1);
  }
  parser.parse(together);
  check_batch(together, schema);

  for (size_t i = 0; i < all.size(); ++i) {
    Batch alone;
    add_line(alone, all[i], i + 1);
    parser.parse(alone);
    check_batch(alone, schema);
    FUZZ_CHECK(alone.events.size() == 1);
    const Event& e = together.events[i];
    FUZZ_CHECK(e.state == EventState::kParsed || e.state == EventState::kParseError);
    FUZZ_CHECK(image(alone, alone.events[0], schema) == image(together, e, schema));
  }
  return 0;
}
