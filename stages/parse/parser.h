// Parser: turns the framed records of a batch into fields. One instance per parse worker thread
// (instances are not thread-safe; make_parser is called once per worker). A parser never throws
// and never drops an event: a record it cannot parse becomes EventState::kParseError with a reason.
//
// Field names, the rule every parser enforces: the top-level fields of an event have unique
// names, none of them `_raw`, `_source` or `_error`. Those three belong to the event's metadata
// (its text, where it came from, why it failed), which every event has before any key is read;
// so an input key that repeats an earlier key of the same record, or that is spelled like a
// metadata name, is left out of the event's fields (the first occurrence, and the metadata, are
// kept), counted in dropped_keys() and warned about once (per CSV stream, per JSON parser). Its
// text stays in `_raw`. Names that come from the configuration (csv `columns`, regex groups) are
// checked at load instead: a repeated or metadata name there is a configuration error. As a
// result an encoder never has to tell an input field from metadata, and `fields: [_raw]`, a
// filter on `_source` or a dead letter's `_error` always mean the metadata.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stages/batch.h"
#include "stages/schema.h"
#include "stages/status.h"

namespace sluice {

// The `parse:` block of a pipeline.
struct ParseOptions {
  enum class Format { kCsv, kRegex, kJson, kNone, kSyslog };
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

  // Input keys left out of events so far under the field-name rule above: one per occurrence
  // dropped. Updated once per batch by the parser's thread; readable from any thread.
  uint64_t dropped_keys() const { return dropped_keys_.load(std::memory_order_relaxed); }

 protected:
  void add_dropped_keys(uint64_t n) {
    if (n != 0) {
      dropped_keys_.fetch_add(n, std::memory_order_relaxed);
    }
  }

 private:
  std::atomic<uint64_t> dropped_keys_{0};
};

// The columns of `names` the field-name rule leaves out of events: those whose name repeats an
// earlier column, or is a metadata name. Ascending; empty for the usual header.
std::vector<uint32_t> dropped_columns(const std::vector<std::string>& names);

// Checks names the configuration gives (csv `columns`, regex groups) against the field-name rule:
// an error naming the first repeated or metadata name. `what` starts the message ("csv `columns`").
Status check_configured_names(const std::vector<std::string>& names, std::string_view what);

// Per-event steps every parser with a fixed layout takes, written once. start_event gives a
// framed event its Schema::size() slots (all empty) and an empty field range at the end of
// batch.fields; fail_event drops the fields it got so far and marks it kParseError with `reason`;
// finish_event counts its fields, maps each slot to its column's field (`field_of_column`: per
// layout column, the field index or -1) and marks it kParsed.
void start_event(Batch& batch, Event& event, size_t slots);
void fail_event(Batch& batch, Event& event, std::string_view reason);
void finish_event(Batch& batch, Event& event, const Layout& layout, const int32_t* field_of_column);

// Builds a parser for `options`; `schema` must be complete (every slot interned) and outlive it.
// Errors (a pattern RE2 rejects, a pattern without named groups, csv without header or columns,
// a delimiter that is not one byte, csv columns or regex groups that name a field twice or name
// metadata) are messages without a position; the loader adds it.
Result<std::unique_ptr<Parser>> make_parser(const ParseOptions& options, const Schema& schema);

// The layout a parser with fixed fields uses for every batch: csv with `columns`, regex (its
// groups), none (`message`), syslog (its ten fields). Null for csv with a header (built per
// stream) and for json.
std::shared_ptr<const Layout> make_fixed_layout(const ParseOptions& options, const Schema& schema);

// A layout over explicit column names (csv header), with declared types and slot mapping. A column
// the field-name rule drops (see dropped_columns) gets neither a slot nor a declared type: its
// value is never converted, so it cannot fail the record.
std::shared_ptr<const Layout> make_layout(std::vector<std::string> names,
                                          const ParseOptions& options, const Schema& schema);

}  // namespace sluice
