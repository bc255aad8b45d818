// JsonParser: one JSON object per line (simdjson On Demand). Top-level keys become fields in
// document order; schema names with a dot (`a.b`) are resolved as paths into nested objects and
// arrays and kept as hidden fields. One instance per parse worker (it owns a reused simdjson
// parser and buffers); not thread-safe.
#pragma once

#include <memory>

#include "stages/batch.h"
#include "stages/parse/parser.h"
#include "stages/schema.h"
#include "stages/status.h"

namespace sluice {

class JsonParser final : public Parser {
 public:
  JsonParser(const ParseOptions& options, const Schema& schema);
  ~JsonParser() override;

  // Strings are unescaped (values without escapes point into the raw line); numbers become kInt
  // (fits int64) or kFloat, keeping their original text; nested objects and arrays become kJson
  // with minified text. Keys follow the field-name rule (parser.h): a key that repeats within the
  // line, or is spelled `_raw`, `_source` or `_error`, is left out (its value is still checked as
  // JSON) and counted in dropped_keys(); the first occurrence is the field, in place and in slot.
  // Nested objects are kept as their text, repeated keys and all.
  void parse(Batch& batch) override;

  // Most lines are flat objects of plain values, which a one-pass reader of its own takes without
  // simdjson, giving the same events. By default it pauses while lines keep declining it; for
  // tests, `enabled` tries it on every line, and `!enabled` on none.
  void set_flat_path(bool enabled);

 private:
  struct Impl;  // keeps simdjson's large header out of every includer
  std::unique_ptr<Impl> impl_;
};

// Never fails; Result for symmetry with the other formats.
Result<std::unique_ptr<Parser>> make_json_parser(const ParseOptions& options, const Schema& schema);

}  // namespace sluice
