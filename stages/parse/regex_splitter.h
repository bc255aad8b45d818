// RegexSplitter: matches the common log-pattern shape directly, without RE2, and yields exactly
// the submatches RE2 would. Used by RegexParser before RE2, which stays the fallback.
// Immutable after compile(); match() is const and keeps no state, so it is safe from any thread.
#pragma once

#include <re2/re2.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// The shape: `^` then a sequence of ASCII literals, character classes (`[...]`, `\d \s \w` and
// their negations, `.`) with greedy quantifiers, capturing / named / non-capturing groups, and
// groups made optional with `?`, optionally ending in `$`. Every class run must be followed only
// by bytes outside its class (e.g. `[^"]*"`), so the greedy run length is the only one that can
// match and backtracking reduces to trying the optional groups' take/skip choices in RE2's
// (leftmost-first) priority order. Bytes >= 0x80 that a class could consume as UTF-8 make the
// outcome kUnsure: RE2's UTF-8 decoding is not replicated.
class RegexSplitter {
 public:
  enum class Outcome { kMatch, kNoMatch, kUnsure };

  // Null when `re` (compiled from its pattern with default options apart from log_errors) is not
  // of the shape above; the caller then uses RE2 alone.
  static std::unique_ptr<const RegexSplitter> compile(const RE2& re);

  // On kMatch, sub[0..nsub) hold what RE2::Match(text, 0, text.size(), UNANCHORED, sub, nsub)
  // would set: [0] the whole match, [g] group g, a null StringPiece for a group that did not
  // take part. On kNoMatch or kUnsure, sub is unspecified and the caller should ask RE2.
  // REQUIRES: nsub <= 1 + the pattern's number of capturing groups.
  Outcome match(std::string_view text, re2::StringPiece* sub, int nsub) const;

 private:
  struct Op {
    enum class Kind : uint8_t { kLiteral, kRun, kOpen, kClose };
    Kind kind;
    uint16_t table = 0;        // kRun: index into tables_
    uint32_t min = 0;          // kRun
    uint32_t max = 0;          // kRun: at most this many bytes
    uint32_t group = 0;        // kOpen, kClose
    uint32_t literal_off = 0;  // kLiteral: bytes in literals_
    uint32_t literal_len = 0;
  };

  // Per class run: 0 = byte not in class, 1 = in class, 2 = a byte >= 0x80 the class might take
  // as part of a UTF-8 sequence (unsure).
  using Table = std::array<uint8_t, 256>;

  static constexpr int kMaxGroups = 64;

  RegexSplitter() = default;
  // Runs one variant; kNoMatch means "try the next variant".
  Outcome run(const std::vector<Op>& ops, std::string_view text, re2::StringPiece* sub,
              int nsub) const;

  std::vector<std::vector<Op>> variants_;  // in RE2's priority order
  std::vector<Table> tables_;
  std::string literals_;
  bool anchored_end_ = false;
};

}  // namespace sluice
