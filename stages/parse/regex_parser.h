// RegexParser: extracts fields from each line with one RE2 pattern whose named groups are the
// fields, in group order (a group that did not take part in the match is absent).
// One instance per parse worker; not thread-safe. The free functions are safe from any thread.
#pragma once

#include <re2/re2.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stages/batch.h"
#include "stages/parse/parser.h"
#include "stages/parse/regex_splitter.h"
#include "stages/schema.h"
#include "stages/status.h"

namespace sluice {

// The named groups of `pattern` (either syntax), in group order. Errors: RE2 rejects the pattern
// (the message carries RE2's reason), the pattern has no named group, or it names two groups
// alike or a group `_raw`, `_source` or `_error` (metadata names).
Result<std::vector<std::string>> regex_field_names(const std::string& pattern);

class RegexParser final : public Parser {
 public:
  // REQUIRES: `re` compiled without error and has at least one named group.
  RegexParser(const ParseOptions& options, const Schema& schema, std::unique_ptr<const RE2> re);

  // A line matches when the pattern matches anywhere in it (unanchored search, as Vector's
  // parse_regex does); anchor the pattern with ^ and $ to require the whole line. Matching is
  // UTF-8: a byte that is not valid UTF-8 is matched only by \C.
  void parse(Batch& batch) override;

 private:
  const Schema& schema_;
  std::unique_ptr<const RE2> re_;
  // Matches the usual log shapes without RE2 (same results); null when the pattern is not one.
  std::unique_ptr<const RegexSplitter> splitter_;
  std::shared_ptr<const Layout> layout_;
  std::vector<int> group_of_column_;          // per layout column: its RE2 submatch index
  std::vector<re2::StringPiece> submatches_;  // reused per line; [0] is the whole match
  std::vector<int32_t> field_of_column_;      // reused per line: field index, or -1
  std::string message_;                       // reused per error
};

// Errors: those of regex_field_names.
Result<std::unique_ptr<Parser>> make_regex_parser(const ParseOptions& options,
                                                  const Schema& schema);

}  // namespace sluice
