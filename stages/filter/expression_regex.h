// ExpressionRegex: the pattern of one `=~` / `!~`, compiled once at load with RE2 and matched
// unanchored (partial match, as Vector does). Patterns that are a plain literal, or that start with
// `^literal`, are answered or pre-screened with a byte compare before RE2 runs; simple anchored
// shapes (`^/api/v[0-9]+/orders`) are answered by an AnchoredPattern.
// Immutable after compile; match() may run from any thread concurrently (RE2 is thread-safe).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "stages/filter/anchored_pattern.h"
#include "stages/status.h"

namespace re2 {
class RE2;
}

namespace sluice {

class ExpressionRegex {
 public:
  // Compiles `pattern`; `(?<name>` is accepted and rewritten to RE2's `(?P<name>`. On a bad
  // pattern, the Status message is RE2's reason (no position; the caller adds the column).
  static Result<std::unique_ptr<ExpressionRegex>> compile(std::string_view pattern);
  ~ExpressionRegex();

  bool match(std::string_view text) const;

 private:
  ExpressionRegex() = default;

  std::unique_ptr<re2::RE2> re_;
  enum class Shortcut : uint8_t {
    kNone,          // run RE2
    kPrefixThenRe,  // text must start with literal_, then run RE2
    kPrefixOnly,    // the pattern is exactly ^literal_
    kContains,      // the pattern is a literal with no metacharacters
  };
  Shortcut shortcut_ = Shortcut::kNone;
  std::string literal_;
  std::optional<AnchoredPattern> anchored_;  // answers first when set; RE2 when undecided
};

}  // namespace sluice
