// CsvParser: splits framed CSV records (RFC 4180, with Python csv's leniency for stray quotes)
// into fields named by the batch's layout, converts declared types and fills the slot map.
// One instance per parse worker; not thread-safe. split_csv_record is a plain function, safe
// from any thread, used where speed does not matter (a header record, tests).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stages/batch.h"
#include "stages/parse/parser.h"
#include "stages/schema.h"
#include "stages/status.h"

namespace sluice {

// Field values of one record, unescaped. The record carries no line terminator; a quote opens a
// quoted field only at the start of a field, `""` inside quotes is one quote, bytes after a
// closing quote join the value (`"ab"c` -> `abc`), a quote inside an unquoted field is literal.
// An unterminated quoted field takes the rest of the record.
void split_csv_record(std::string_view record, char delimiter, char quote,
                      std::vector<std::string>& out);

class CsvParser final : public Parser {
 public:
  CsvParser(const ParseOptions& options, const Schema& schema);

  void parse(Batch& batch) override;

 private:
  // What the parser derives from a layout, recomputed only when a batch brings a new one.
  struct Typed {
    uint32_t column;
    FieldType type;
  };
  void use_layout(const std::shared_ptr<const Layout>& layout);
  // Appends the fields of one record to batch.fields; returns their count, or -1 when a quoted
  // field never closes.
  int64_t split(Batch& batch, const Event& event);
  void fail(Batch& batch, Event& event, std::string_view reason);

  const Schema& schema_;
  char delimiter_;
  char quote_;
  std::shared_ptr<const Layout> fixed_layout_;  // `columns:`; null with a header
  std::shared_ptr<const Layout> layout_;        // held so its address cannot be reused
  std::vector<Typed> typed_;
  std::vector<uint32_t> dropped_;  // the layout's dropped_columns(), hidden in every event
  std::string unescaped_;          // per record: values that needed unescaping
  std::vector<uint32_t> fixups_;   // per record: fields whose value lives in unescaped_
  std::string message_;            // per error: the reason being built
};

// Errors: neither `header: true` nor `columns`, a delimiter/quote that cannot work, or `columns`
// that name a field twice or name a metadata field (`_raw`, `_source`, `_error`).
Result<std::unique_ptr<Parser>> make_csv_parser(const ParseOptions& options, const Schema& schema);

}  // namespace sluice
