// Parser: turns the framed records of a batch into fields. One instance per parse worker thread
// (instances are not thread-safe; make_parser is called once per worker). A parser never throws
// and never drops an event: a record it cannot parse becomes EventState::kParseError with a reason.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "stages/batch.h"
#include "stages/schema.h"
#include "stages/status.h"

namespace sluice {

// The `parse:` block of a pipeline.
struct ParseOptions {
  enum class Format { kCsv, kRegex, kJson, kNone };
  Format format = Format::kNone;
  char delimiter = ',';              // csv: one byte
  char quote = '"';                  // csv
  bool header = false;               // csv: the first record of each stream names the fields
  std::vector<std::string> columns;  // csv: declared names (when header is false)
  std::string pattern;               // regex: RE2 with named groups; (?<n>..) accepted too
  std::vector<std::pair<std::string, FieldType>> types;  // declared conversions, by field name
};

class Parser {
 public:
  virtual ~Parser() = default;
  // Parses every event of `batch` in state kFramed: appends its fields to batch.fields, fills its
  // Schema::size() entries of batch.slot_fields (event.slot_base), and sets kParsed; or sets
  // kParseError with event.error naming the reason. Events in other states are left alone.
  virtual void parse(Batch& batch) = 0;
};

// Builds a parser for `options`; `schema` must be complete (every slot interned) and outlive it.
// Errors (a pattern RE2 rejects, a pattern without named groups, csv without header or columns,
// a delimiter that is not one byte) are messages without a position; the loader adds it.
Result<std::unique_ptr<Parser>> make_parser(const ParseOptions& options, const Schema& schema);

// The layout a parser with fixed fields uses for every batch: csv with `columns`, regex (its
// groups), none (`message`). Null for csv with a header (built per stream) and for json.
std::shared_ptr<const Layout> make_fixed_layout(const ParseOptions& options, const Schema& schema);

// A layout over explicit column names (csv header), with declared types and slot mapping.
std::shared_ptr<const Layout> make_layout(std::vector<std::string> names,
                                          const ParseOptions& options, const Schema& schema);

}  // namespace sluice
