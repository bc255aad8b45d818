// JSON text primitives for the encoders: string literals (escaping plus UTF-8 repair, so the output
// is always valid UTF-8 JSON) and number formatting. Pure functions, safe from any thread.
// The write_* forms write through a raw pointer into room the caller made (one capacity check per
// value on the hot path); the append_* forms are the convenient std::string versions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// The room the overload below needs: it stores whole 16-byte blocks, up to 16 bytes past its end.
constexpr size_t json_string_room(size_t n) { return json_string_max_size(n) + 16; }

// The same literal as write_json_string, for text whose buffer stays readable up to
// `readable_end` (at or past the end of s), as a field's value in its batch's text does: clean
// ASCII is checked and copied 16 bytes at a time, without a call, through loads that may run past
// s (up to readable_end) and stores that may run past the returned end.
// REQUIRES: json_string_room(s.size()) bytes of room at dst.
inline char* write_json_string(std::string_view s, const char* readable_end, char* dst);

// Continues write_json_string from `p` in [begin, end): the bytes before p are clean and were
// written, and dst is where p's output goes. For the inline form above.
char* write_json_string_rest(const unsigned char* begin, const unsigned char* p,
                             const unsigned char* end, char* dst);

// Writes the decimal form of `v`. REQUIRES: kJsonNumberMaxSize bytes of room.
char* write_json_int(int64_t v, char* dst);
// Writes the shortest form that reads back as `v` ("0.1", "1e+20"), or `null` for NaN and
// infinities, which JSON cannot express. REQUIRES: kJsonNumberMaxSize bytes of room.
char* write_json_float(double v, char* dst);
// The same for a value parsed from `text`: when `text` is a plain decimal that reads back as
// exactly `v` and is already its shortest form, it is copied, which costs far less than formatting
// v. Any other text (another spelling, or unrelated to v) falls back to formatting v.
char* write_json_float(double v, std::string_view text, char* dst);
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

inline char* write_json_string(std::string_view s, const char* readable_end, char* dst) {
  const auto* begin = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = begin + s.size();
  *dst++ = '"';
#if defined(__SSE2__)
  const auto* p = begin;
  if (readable_end - reinterpret_cast<const char*>(end) >= 16) {
    // Every 16-byte load from a p < end stays below readable_end.
    while (p < end) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      // A signed compare with 0x20 catches control characters and every byte >= 0x80 at once.
      const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                                    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                                       _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
      unsigned stops = static_cast<unsigned>(_mm_movemask_epi8(hit));
      const size_t left = static_cast<size_t>(end - p);
      if (left < 16) {
        stops &= (1u << left) - 1;  // bytes past s do not count
      }
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), v);
      if (stops != 0) {
        const unsigned clean = static_cast<unsigned>(__builtin_ctz(stops));
        return write_json_string_rest(begin, p + clean, end, dst + clean);
      }
      if (left <= 16) {
        dst += left;
        *dst++ = '"';
        return dst;
      }
      p += 16;
      dst += 16;
    }
    *dst++ = '"';
    return dst;
  }
#else
  (void)readable_end;
#endif
  return write_json_string_rest(begin, begin, end, dst);
}

}  // namespace sluice
