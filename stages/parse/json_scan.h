// Byte scanning for the JSON parser: the small word- and lane-at-a-time scans over a line's text
// that both the simdjson walk and the minifier use (key ends, escapes, trailing whitespace).
// Inline, since they run per key and per value. Pure functions, thread-safe.
// REQUIRES (raw_key, has_backslash): the line is followed by simdjson's padding.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "stages/byte_masks.h"

namespace sluice::json {

inline bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// raw_json_token() runs up to the next structural character, so it carries trailing whitespace.
inline std::string_view trim_right(std::string_view s) {
  while (!s.empty() && is_json_space(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

static_assert(std::endian::native == std::endian::little, "the word scans assume it");

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighs = 0x8080808080808080ULL;

// High bit set in each byte of `word` that equals `c`.
inline uint64_t bytes_equal(uint64_t word, char c) {
  const uint64_t x = word ^ (kOnes * static_cast<uint8_t>(c));
  return (x - kOnes) & ~x & kHighs;
}

// The escaped text of a key, from just after its opening quote up to its closing quote; `escaped`
// tells whether it holds a backslash (else it reads the same unescaped, and needs no copy).
// Reads a word at a time, up to 7 bytes past the closing quote: the padding makes that safe.
[[gnu::always_inline]] inline std::string_view raw_key(const char* start, bool& escaped) {
  for (size_t i = 0;; i += 8) {
    uint64_t word;
    std::memcpy(&word, start + i, 8);
    const uint64_t quote = bytes_equal(word, '"');
    const uint64_t backslash = bytes_equal(word, '\\');
    if ((quote | backslash) == 0) {
      continue;
    }
    // Bits below the first hit are exact; borrows in the zero-byte trick only run upward.
    const uint64_t first = (quote | backslash) & (~(quote | backslash) + 1);
    if (quote & first) {
      escaped = false;
      return std::string_view(start, i + static_cast<size_t>(std::countr_zero(quote)) / 8);
    }
    // A backslash comes first: step over escape pairs byte by byte (rare).
    escaped = true;
    size_t j = i + static_cast<size_t>(std::countr_zero(backslash)) / 8;
    while (start[j] != '"') {
      j += start[j] == '\\' ? 2 : 1;
    }
    return std::string_view(start, j);
  }
}

// Whether s holds a backslash. Reads up to 15 bytes past its end, which simdjson's padding after
// the line makes safe; no call, and a lane or two covers most values of a log line.
inline bool has_backslash(std::string_view s) {
  for (size_t i = 0; i < s.size(); i += kMaskLaneBytes) {
    uint32_t hits = lane_mask(s.data() + i, '\\');
    if (s.size() - i < kMaskLaneBytes) {
      hits &= (1u << (s.size() - i)) - 1;  // bytes past the end do not count
    }
    if (hits != 0) {
      return true;
    }
  }
  return false;
}

}  // namespace sluice::json
