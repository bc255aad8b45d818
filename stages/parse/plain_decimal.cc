#include "stages/parse/plain_decimal.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sluice {
namespace {

// 10^0 .. 10^22 are exact doubles; beyond that a power of ten would itself be rounded.
constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
constexpr uint64_t kMaxExactMantissa = uint64_t{1} << 53;
// 19 decimal digits always fit a uint64 (10^19 - 1 < 2^64).
constexpr int kMaxDigits = 19;

inline bool is_digit(char c) { return static_cast<unsigned char>(c - '0') < 10; }

// Bytes the loop-free path may read from `begin`: a 16-byte classification, and 8-byte digit
// chunks starting anywhere in the first 16 bytes.
constexpr long kWindow = 32;

constexpr uint64_t kPow10Int[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

// The value of the k (1..8) digits at p; p[0..8) must be readable. Lemire's SWAR conversion:
// the bytes past the run are shifted out and the run becomes right-aligned with leading zeros.
inline uint64_t swar_digits(const char* p, size_t k) {
  uint64_t chunk;
  std::memcpy(&chunk, p, sizeof(chunk));
  chunk -= 0x3030303030303030ull;
  chunk <<= 8 * (8 - k);
  chunk = (chunk * 10 + (chunk >> 8)) & 0x00FF00FF00FF00FFull;
  chunk = (chunk * 100 + (chunk >> 16)) & 0x0000FFFF0000FFFFull;
  return (chunk * 10000 + (chunk >> 32)) & 0xFFFFFFFFull;
}

// Up to 16 digits at p (p[0..16) readable).
inline uint64_t swar_number(const char* p, size_t k) {
  if (k <= 8) {
    return swar_digits(p, k);
  }
  return swar_digits(p, k - 8) * 100000000ull + swar_digits(p + (k - 8), 8);
}

struct Shape {
  uint32_t digits;  // bit i: begin[i] is a digit, within the value
  uint32_t dots;    // bit i: begin[i] is '.', within the value
};

// Classifies the first `size` (<= 16) bytes of a 16-byte readable window.
inline Shape classify(const char* begin, size_t size) {
  const uint32_t within = (uint32_t{1} << size) - 1;
#if defined(__SSE2__)
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(begin));
  // Signed compares: bytes >= 0x80 are negative, so never digits.
  const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(bytes, _mm_set1_epi8('0' - 1)),
                                      _mm_cmplt_epi8(bytes, _mm_set1_epi8('9' + 1)));
  const __m128i dot = _mm_cmpeq_epi8(bytes, _mm_set1_epi8('.'));
  return {static_cast<uint32_t>(_mm_movemask_epi8(digit)) & within,
          static_cast<uint32_t>(_mm_movemask_epi8(dot)) & within};
#else
  Shape shape{0, 0};
  for (size_t i = 0; i < size; ++i) {
    shape.digits |= static_cast<uint32_t>(is_digit(begin[i])) << i;
    shape.dots |= static_cast<uint32_t>(begin[i] == '.') << i;
  }
  return shape;
#endif
}

// The loop-free paths; false sends the value to the digit loop (the result is the same).
bool swar_int(const char* begin, size_t size, int64_t& out) {
  const Shape shape = classify(begin, size);
  const size_t sign = size != 0 && *begin == '-';
  const uint32_t want = ((uint32_t{1} << size) - 1) & ~uint32_t(sign);
  if (size == sign || shape.digits != want) {
    return false;
  }
  const int64_t value = static_cast<int64_t>(swar_number(begin + sign, size - sign));
  out = sign != 0 ? -value : value;
  return true;
}

bool swar_double(const char* begin, size_t size, double& out) {
  const Shape shape = classify(begin, size);
  const size_t sign = size != 0 && *begin == '-';
  const uint32_t within = (uint32_t{1} << size) - 1;
  // At most one dot, with digits on both sides, and digits everywhere else after the sign.
  if (size == sign || (shape.dots & (shape.dots - 1)) != 0 ||
      shape.digits != (within & ~uint32_t(sign) & ~shape.dots)) {
    return false;
  }
  size_t whole = size - sign;  // digits before the dot
  size_t fraction = 0;
  uint64_t mantissa;
  if (shape.dots == 0) {
    mantissa = swar_number(begin + sign, whole);
  } else {
    const size_t dot = static_cast<size_t>(__builtin_ctz(shape.dots));
    whole = dot - sign;
    fraction = size - dot - 1;
    if (whole == 0 || fraction == 0 || whole > 8 || fraction > 8) {
      return false;
    }
    mantissa = swar_digits(begin + sign, whole) * kPow10Int[fraction] +
               swar_digits(begin + dot + 1, fraction);
  }
  if (mantissa > kMaxExactMantissa) {
    return false;
  }
  const double value = static_cast<double>(mantissa) / kPow10[fraction];
  out = sign != 0 ? -value : value;
  return true;
}

}  // namespace

bool parse_plain_int(const char* begin, const char* end, int64_t& out, const char* readable_end) {
  const size_t size = static_cast<size_t>(end - begin);
  if (readable_end != nullptr && size <= 16 && readable_end - begin >= kWindow &&
      swar_int(begin, size, out)) {
    return true;
  }

  const char* p = begin;
  const bool negative = p != end && *p == '-';
  p += negative;
  const long digits = end - p;
  if (digits < 1 || digits > 18) {
    return false;
  }
  int64_t value = 0;
  for (; p != end; ++p) {
    if (!is_digit(*p)) {
      return false;
    }
    value = value * 10 + (*p - '0');
  }
  out = negative ? -value : value;
  return true;
}

bool parse_plain_double(const char* begin, const char* end, double& out, const char* readable_end) {
  const size_t size = static_cast<size_t>(end - begin);
  if (readable_end != nullptr && size <= 16 && readable_end - begin >= kWindow &&
      swar_double(begin, size, out)) {
    return true;
  }

  const char* p = begin;
  const bool negative = p != end && *p == '-';
  p += negative;
  uint64_t mantissa = 0;
  int digits = 0;
  const char* int_start = p;
  for (; p != end && is_digit(*p); ++p) {
    mantissa = mantissa * 10 + static_cast<uint64_t>(*p - '0');
    if (++digits > kMaxDigits) {
      return false;
    }
  }
  if (p == int_start) {
    return false;
  }
  int fraction = 0;
  if (p != end) {
    if (*p != '.') {
      return false;
    }
    ++p;
    const char* frac_start = p;
    for (; p != end && is_digit(*p); ++p) {
      mantissa = mantissa * 10 + static_cast<uint64_t>(*p - '0');
      if (++digits > kMaxDigits) {
        return false;
      }
    }
    if (p == frac_start || p != end) {
      return false;
    }
    fraction = static_cast<int>(p - frac_start);
  }
  if (mantissa > kMaxExactMantissa || fraction > 22) {
    return false;
  }
  // Both operands are exact, so the quotient is the correctly rounded value of the decimal.
  double value = static_cast<double>(mantissa) / kPow10[fraction];
  out = negative ? -value : value;
  return true;
}

}  // namespace sluice
