// Fuzz target: the filter expression compiler and evaluator. The first input line is the
// expression text, compiled against a schema; the second is a CSV record whose fields become an
// event (columns a, b, c, ...), evaluated once with every value a string and once with the values
// converted to int, float, bool, timestamp, null or JSON where they convert. Evaluation must not
// crash, must give the same answer twice, and `not (E)` must give the opposite answer to E.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stages/filter/expression.h"
#include "stages/parse/csv_parser.h"
#include "stages/parse/parser.h"
#include "stages/parse/type_conversion.h"
#include "tests/fuzz/fuzz_checks.h"

namespace sluice::fuzz {
namespace {

constexpr const char* kColumns[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
constexpr size_t kMaxColumns = sizeof(kColumns) / sizeof(kColumns[0]);

// Converts the event's fields in place to a type that fits their text, cycling through the
// types by column so that each kind of value meets the expression.
void convert_fields(Batch& batch, const Event& e) {
  static constexpr FieldType kTypes[] = {FieldType::kInt, FieldType::kFloat, FieldType::kBool,
                                         FieldType::kTimestamp};
  for (uint32_t i = 0; i < e.field_count; ++i) {
    Field& f = batch.fields[e.first_field + i];
    const std::string_view text = batch.str(f.value);
    const Field before = f;
    if (text == "null") {
      f.type = FieldType::kNull;
    } else if (!text.empty() && (text[0] == '{' || text[0] == '[')) {
      f.type = FieldType::kJson;
    } else if (!convert_field(text, kTypes[i % 4], f)) {
      f = before;
    }
  }
}

}  // namespace
}  // namespace sluice::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice;
  using namespace sluice::fuzz;
  if (size > 4096) {
    return 0;
  }
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nl = input.find('\n');
  const std::string_view text = input.substr(0, nl);
  const std::string_view record =
      nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);

  Schema schema;
  Result<Expression> expr = Expression::compile(text, schema);
  if (!expr.ok()) {
    FUZZ_CHECK(!expr.status().message().empty());
    FUZZ_CHECK(expr.status().column() >= 0);
    return 0;
  }
  // The negation compiles too, unless the extra parentheses pass the nesting limit.
  const std::string negated_text = "not (" + std::string(text) + ")";
  Result<Expression> negated = Expression::compile(negated_text, schema);
  const bool random = text.find("sample") != std::string_view::npos;

  std::vector<std::string> values;
  split_csv_record(record, ',', '"', values);
  ParseOptions options;
  options.format = ParseOptions::Format::kCsv;
  for (size_t i = 0; i < values.size() && i < kMaxColumns; ++i) {
    options.columns.emplace_back(kColumns[i]);
  }
  if (values.size() > kMaxColumns) {
    return 0;
  }
  // Only now is the schema complete: the parser's slot map must cover every name compiled.
  auto parser = make_parser(options, schema);
  FUZZ_CHECK(parser.ok());
  Batch batch;
  add_line(batch, record, 1);
  parser.value()->parse(batch);
  check_batch(batch, schema);
  const Event& e = batch.events[0];
  if (e.state != EventState::kParsed) {
    return 0;  // an unterminated quoted field
  }

  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) {
      convert_fields(batch, e);
    }
    const bool result = expr->matches(batch, e);
    if (!random) {
      FUZZ_CHECK(expr->matches(batch, e) == result);
      if (negated.ok()) {
        FUZZ_CHECK(negated->matches(batch, e) == !result);
      }
    }
  }
  return 0;
}
