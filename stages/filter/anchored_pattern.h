// AnchoredPattern: a byte-level matcher for the regexes filters use most, `^` followed by
// literals and character classes repeated with `+` or `*` (`^/api/v[0-9]+/orders`), which it
// answers in one pass without RE2. It takes only patterns where greedy matching cannot go wrong
// (a repeated class is followed by the end or by a single byte outside the class), and gives up
// (kUndecided) on any non-ASCII byte it would have to judge, so its answers always equal RE2's.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

class AnchoredPattern {
 public:
  // nullopt when the pattern is not of the simple anchored shape; the caller then uses RE2.
  static std::optional<AnchoredPattern> compile(std::string_view pattern);

  enum class Outcome : uint8_t { kMatch, kNoMatch, kUndecided };
  Outcome match(std::string_view text) const;

 private:
  struct ByteSet {
    std::array<uint64_t, 2> bits{};  // ASCII only; negated sets hold their ASCII part
    bool has(unsigned char c) const { return (bits[c >> 6] >> (c & 63)) & 1; }
    void add(unsigned char c) { bits[c >> 6] |= uint64_t{1} << (c & 63); }
  };
  enum class Repeat : uint8_t { kOnce, kOneOrMore, kZeroOrMore };
  struct Atom {
    ByteSet set;
    Repeat repeat = Repeat::kOnce;
    // Set when the atom is a run of literal bytes (consecutive single-byte atoms, merged after
    // compile): compared with one memcmp. An ASCII literal never equals a non-ASCII byte, so a
    // literal needs no kUndecided check.
    std::string literal;
    // A literal of at most 8 bytes, as one word, and the mask of its bytes in that word: the
    // common short prefix (`/api/v`) is compared with one load instead of a memcmp call.
    uint64_t literal_word = 0;
    uint64_t literal_mask = 0;
  };

  std::vector<Atom> atoms_;
  bool anchored_end_ = false;  // the pattern ends in `$`
};

}  // namespace sluice
