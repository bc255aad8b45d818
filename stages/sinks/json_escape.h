// JSON text primitives for the encoders: string literals (escaping plus UTF-8 repair, so the output
// is always valid UTF-8 JSON) and number formatting. Pure functions, safe from any thread.
// The write_* forms write through a raw pointer into room the caller made (one capacity check per
// value on the hot path); the append_* forms are the convenient std::string versions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

// The most bytes write_json_string can write for an input of n bytes: every byte may become
// "\u00XX" (6 bytes), plus the two quotes. (An invalid byte becomes U+FFFD, only 3 bytes.)
constexpr size_t json_string_max_size(size_t n) { return 6 * n + 2; }
// The most bytes write_json_int / write_json_float write.
inline constexpr size_t kJsonNumberMaxSize = 32;

// Writes `s` as a JSON string literal, quotes included, at `dst`; returns the end of what it wrote.
// `"` and `\` are escaped, control characters become \b \f \n \r \t or \u00XX (DEL stays), valid
// UTF-8 passes unchanged, and each maximal ill-formed subsequence (a bad lead byte, a stray
// continuation byte, a truncated sequence, an overlong form, a surrogate, a code point above
// U+10FFFF) becomes one U+FFFD, as the WHATWG/Unicode "maximal subpart" practice says.
// REQUIRES: json_string_max_size(s.size()) bytes of room at dst.
char* write_json_string(std::string_view s, char* dst);
void append_json_string(std::string_view s, std::string& out);

// Writes the decimal form of `v`. REQUIRES: kJsonNumberMaxSize bytes of room.
char* write_json_int(int64_t v, char* dst);
// Writes the shortest form that reads back as `v` ("0.1", "1e+20"), or `null` for NaN and
// infinities, which JSON cannot express. REQUIRES: kJsonNumberMaxSize bytes of room.
char* write_json_float(double v, char* dst);
// The same, but writes nothing for NaN and infinities (csv leaves the cell empty).
char* write_float_or_nothing(double v, char* dst);

// The result of decoding one UTF-8 sequence that starts with a byte >= 0x80.
struct Utf8Step {
  uint32_t length;  // bytes consumed: the whole sequence, or the maximal ill-formed subpart
  bool valid;
};
Utf8Step utf8_step(const unsigned char* p, const unsigned char* end);

// True when every byte of `s` belongs to a well-formed UTF-8 sequence.
bool is_valid_utf8(std::string_view s);

}  // namespace sluice
