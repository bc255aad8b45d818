#include "stages/sinks/json_escape.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

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
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  const unsigned char* const begin = p;
  const unsigned char* run = p;  // start of the bytes not written yet, all clean
  *dst++ = '"';
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

char* write_float_or_nothing(double v, char* dst) {
  if (!std::isfinite(v)) {
    return dst;
  }
  return std::to_chars(dst, dst + kJsonNumberMaxSize, v).ptr;
}

}  // namespace sluice
