#include "stages/sinks/json_escape.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>

#include "stages/sinks/byte_writer.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sluice {
namespace {

// Bytes that end a run which can be copied as is: control characters, '"', '\\', and every byte
// >= 0x80 (those are checked as UTF-8, and stay in the run when well-formed).
constexpr std::array<bool, 256> make_stop_table() {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
  }
  return t;
}
constexpr std::array<bool, 256> kStop = make_stop_table();

constexpr char kHex[] = "0123456789abcdef";

#if defined(__SSE2__)
// Bit i set when byte i of v is a stop byte. A signed compare with 0x20 catches control characters
// and, as negative numbers, every byte >= 0x80 at once.
inline unsigned stop_bits(__m128i v) {
  __m128i hit = _mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
      _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
  return static_cast<unsigned>(_mm_movemask_epi8(hit));
}
inline unsigned stop_bits16(const unsigned char* q) {
  return stop_bits(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q)));
}
inline unsigned stop_bits8(const unsigned char* q) {
  int64_t x;
  std::memcpy(&x, q, 8);
  return stop_bits(_mm_cvtsi64_si128(x)) & 0xFFu;
}
inline unsigned stop_bits4(const unsigned char* q) {
  int32_t x;
  std::memcpy(&x, q, 4);
  return stop_bits(_mm_cvtsi32_si128(x)) & 0xFu;
}
#endif

// Returns the first stop byte in [p, end), or end. Reads only inside [begin, end): a short tail is
// checked with a window that ends at `end` and overlaps bytes already known to be clean.
inline const unsigned char* find_stop(const unsigned char* begin, const unsigned char* p,
                                      const unsigned char* end) {
#if defined(__SSE2__)
  while (end - p >= 16) {
    if (unsigned m = stop_bits16(p)) {
      return p + __builtin_ctz(m);
    }
    p += 16;
  }
  size_t rem = static_cast<size_t>(end - p);
  if (rem == 0) {
    return end;
  }
  // Bits of a window [end - w, end) from p on, shifted so that bit 0 is p.
  auto tail = [&](unsigned window_bits, size_t w) -> const unsigned char* {
    unsigned m = window_bits >> (w - rem);
    return m ? p + __builtin_ctz(m) : end;
  };
  size_t len = static_cast<size_t>(end - begin);
  if (len >= 16) {
    return tail(stop_bits16(end - 16), 16);
  }
  if (rem >= 8) {
    if (unsigned m = stop_bits8(p)) {
      return p + __builtin_ctz(m);
    }
    p += 8;
    rem -= 8;
    return rem == 0 ? end : tail(stop_bits8(end - 8), 8);
  }
  if (len >= 8) {
    return tail(stop_bits8(end - 8), 8);
  }
  if (rem >= 4) {
    if (unsigned m = stop_bits4(p)) {
      return p + __builtin_ctz(m);
    }
    p += 4;
    rem -= 4;
    return rem == 0 ? end : tail(stop_bits4(end - 4), 4);
  }
  if (len >= 4) {
    return tail(stop_bits4(end - 4), 4);
  }
#else
  (void)begin;
#endif
  while (p < end && !kStop[*p]) {
    ++p;
  }
  return p;
}

inline char* write_escape(unsigned char c, char* dst) {
  *dst++ = '\\';
  switch (c) {
    case '"':
      *dst++ = '"';
      break;
    case '\\':
      *dst++ = '\\';
      break;
    case '\b':
      *dst++ = 'b';
      break;
    case '\f':
      *dst++ = 'f';
      break;
    case '\n':
      *dst++ = 'n';
      break;
    case '\r':
      *dst++ = 'r';
      break;
    case '\t':
      *dst++ = 't';
      break;
    default:
      *dst++ = 'u';
      *dst++ = '0';
      *dst++ = '0';
      *dst++ = kHex[c >> 4];
      *dst++ = kHex[c & 0xF];
      break;
  }
  return dst;
}

}  // namespace

Utf8Step utf8_step(const unsigned char* p, const unsigned char* end) {
  unsigned c = p[0];
  size_t avail = static_cast<size_t>(end - p);
  // The second byte's range depends on the lead byte: that is where overlongs (E0, F0),
  // surrogates (ED) and code points above U+10FFFF (F4) are ruled out.
  unsigned lo = 0x80;
  unsigned hi = 0xBF;
  uint32_t need;  // continuation bytes
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c == 0xE0) {
    need = 2;
    lo = 0xA0;
  } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    need = 2;
  } else if (c == 0xED) {
    need = 2;
    hi = 0x9F;
  } else if (c == 0xF0) {
    need = 3;
    lo = 0x90;
  } else if (c >= 0xF1 && c <= 0xF3) {
    need = 3;
  } else if (c == 0xF4) {
    need = 3;
    hi = 0x8F;
  } else {
    return {1, false};  // a continuation byte, C0, C1 or F5..FF
  }
  if (avail < 2 || p[1] < lo || p[1] > hi) {
    return {1, false};
  }
  for (uint32_t i = 2; i <= need; ++i) {
    if (i >= avail || (p[i] & 0xC0) != 0x80) {
      return {i, false};
    }
  }
  return {need + 1, true};
}

bool is_valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    if (*p < 0x80) {
      ++p;
      continue;
    }
    Utf8Step step = utf8_step(p, end);
    if (!step.valid) {
      return false;
    }
    p += step.length;
  }
  return true;
}

char* write_json_string(std::string_view s, char* dst) {
  const auto* begin = reinterpret_cast<const unsigned char*>(s.data());
  *dst++ = '"';
  return write_json_string_rest(begin, begin, begin + s.size(), dst);
}

char* write_json_string_rest(const unsigned char* begin, const unsigned char* p,
                             const unsigned char* end, char* dst) {
  const unsigned char* run = p;  // start of the bytes not written yet, all clean
  while (true) {
    p = find_stop(begin, p, end);
    if (p == end) {
      break;
    }
    unsigned char c = *p;
    if (c >= 0x80) {
      Utf8Step step = utf8_step(p, end);
      if (step.valid) {
        p += step.length;  // stays part of the clean run
        continue;
      }
      dst = copy_bytes(dst, run, static_cast<size_t>(p - run));
      *dst++ = static_cast<char>(0xEF);
      *dst++ = static_cast<char>(0xBF);
      *dst++ = static_cast<char>(0xBD);
      p += step.length;
      run = p;
      continue;
    }
    dst = copy_bytes(dst, run, static_cast<size_t>(p - run));
    dst = write_escape(c, dst);
    ++p;
    run = p;
  }
  dst = copy_bytes(dst, run, static_cast<size_t>(end - run));
  *dst++ = '"';
  return dst;
}

void append_json_string(std::string_view s, std::string& out) {
  size_t used = out.size();
  out.resize(used + json_string_max_size(s.size()));
  char* end = write_json_string(s, out.data() + used);
  out.resize(static_cast<size_t>(end - out.data()));
}

char* write_json_int(int64_t v, char* dst) {
  return std::to_chars(dst, dst + kJsonNumberMaxSize, v).ptr;
}

char* write_json_float(double v, char* dst) {
  if (!std::isfinite(v)) {
    std::memcpy(dst, "null", 4);
    return dst + 4;
  }
  return std::to_chars(dst, dst + kJsonNumberMaxSize, v).ptr;
}

namespace {

// Whether `text` is what to_chars writes for the value it spells, judged from the text alone:
// a plain decimal `-?I.F` or `-?I` with at most 15 significant digits (so no shorter decimal reads
// back as the same double: 15 digits always round-trip), without a redundant zero (a leading zero
// in I, a trailing zero in F) and without a form printf's %e would write shorter (to_chars picks
// the shorter of %f and %e, %f on a tie). Sets `mantissa` (the digits as an integer, < 10^15) and
// `scale` (the digits after the point). Zero is left to to_chars (its sign would need care).
bool is_shortest_plain_decimal(std::string_view text, uint64_t& mantissa, uint32_t& scale) {
  const char* p = text.data();
  const char* end = p + text.size();
  if (p != end && *p == '-') {
    ++p;
  }
  if (p == end || *p < '0' || *p > '9') {
    return false;
  }
  uint64_t m = 0;
  uint32_t significant = 0;
  const char* int_begin = p;
  while (p != end && *p >= '0' && *p <= '9') {
    m = m * 10 + static_cast<uint64_t>(*p - '0');
    ++p;
    if (++significant > 15) {
      return false;
    }
  }
  const size_t int_digits = static_cast<size_t>(p - int_begin);
  const bool int_zero = int_digits == 1 && *int_begin == '0';
  if (*int_begin == '0' && !int_zero) {
    return false;  // a leading zero
  }
  if (p == end) {
    if (int_zero) {
      return false;
    }
    // %e writes d[.ddd]e+XX: with m significant digits and t trailing zeros, %f is no longer
    // than it while t <= 4 (t <= 5 once m > 1); keep to the bound that holds for both.
    size_t trailing_zeros = 0;
    for (const char* q = end - 1; q > int_begin && *q == '0'; --q) {
      ++trailing_zeros;
    }
    if (trailing_zeros > 4) {
      return false;
    }
    mantissa = m;
    scale = 0;
    return true;
  }
  if (*p != '.') {
    return false;
  }
  ++p;
  const char* frac_begin = p;
  if (int_zero) {
    significant = 0;  // the integer part's zero is not a significant digit
  }
  uint32_t leading_zeros = 0;  // of the fraction, when the integer part is 0
  while (p != end && *p >= '0' && *p <= '9') {
    m = m * 10 + static_cast<uint64_t>(*p - '0');
    if (m == 0) {
      ++leading_zeros;
    } else if (++significant > 15) {
      return false;
    }
    ++p;
  }
  if (p != end || p == frac_begin || end[-1] == '0') {
    return false;  // not a plain decimal, no digits after the point, or a trailing zero
  }
  // 0.0..0d..d: %f writes 2 + z + m bytes, %e writes m + 5 (5 when m == 1); %f wins for z <= 2.
  if (int_zero && leading_zeros > 2) {
    return false;
  }
  mantissa = m;
  scale = static_cast<uint32_t>(end - frac_begin);
  return true;
}

}  // namespace

char* write_json_float(double v, std::string_view text, char* dst) {
  uint64_t mantissa = 0;
  uint32_t scale = 0;
  if (text.size() <= kJsonNumberMaxSize && is_shortest_plain_decimal(text, mantissa, scale)) {
    // mantissa < 2^53 and scale <= 17, so one division is the correctly rounded value of the
    // text (Clinger's fast path): equal bits mean the text spells exactly v.
    static constexpr double kPow10[] = {1e0, 1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,
                                        1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17};
    if (scale < std::size(kPow10)) {
      double read = static_cast<double>(mantissa) / kPow10[scale];
      if (text[0] == '-') {
        read = -read;
      }
      uint64_t read_bits;
      uint64_t v_bits;
      std::memcpy(&read_bits, &read, 8);
      std::memcpy(&v_bits, &v, 8);
      if (read_bits == v_bits) {
        return copy_bytes(dst, text.data(), text.size());
      }
    }
  }
  return write_json_float(v, dst);
}

char* write_float_or_nothing(double v, char* dst) {
  if (!std::isfinite(v)) {
    return dst;
  }
  return std::to_chars(dst, dst + kJsonNumberMaxSize, v).ptr;
}

}  // namespace sluice
