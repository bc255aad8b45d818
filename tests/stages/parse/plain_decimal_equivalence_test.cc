// The plain-decimal fast paths must agree bit for bit with std::from_chars whenever they claim a
// value, and must claim the common shapes (so the fast path is really taken).
#include <gtest/gtest.h>

#include <charconv>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>

#include "stages/parse/plain_decimal.h"

namespace sluice {
namespace {

uint64_t bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, sizeof(b));
  return b;
}

// Checks one text against from_chars; returns whether the fast path handled it.
bool check_double(const std::string& text) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  double fast = 0;
  if (!parse_plain_double(begin, end, fast)) {
    return false;
  }
  double slow = 0;
  auto [ptr, ec] = std::from_chars(begin, end, slow);
  EXPECT_TRUE(ec == std::errc() && ptr == end) << text;
  EXPECT_EQ(bits(fast), bits(slow)) << text;
  return true;
}

bool check_int(const std::string& text) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  int64_t fast = 0;
  if (!parse_plain_int(begin, end, fast)) {
    return false;
  }
  int64_t slow = 0;
  auto [ptr, ec] = std::from_chars(begin, end, slow);
  EXPECT_TRUE(ec == std::errc() && ptr == end) << text;
  EXPECT_EQ(fast, slow) << text;
  return true;
}

std::string random_digits(std::mt19937_64& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    s.push_back(static_cast<char>('0' + rng() % 10));
  }
  return s;
}

TEST(PlainDecimalEquivalenceTest, RandomDecimalsMatchFromChars) {
  std::mt19937_64 rng(42);
  int handled = 0;
  for (int i = 0; i < 500000; ++i) {
    std::string text = rng() % 4 == 0 ? "-" : "";
    text += random_digits(rng, 1 + static_cast<int>(rng() % 12));
    if (rng() % 4 != 0) {
      text += '.';
      text += random_digits(rng, 1 + static_cast<int>(rng() % 12));
    }
    handled += check_double(text);
  }
  EXPECT_GT(handled, 400000);
}

TEST(PlainDecimalEquivalenceTest, LatencyShapedValuesMatchFromChars) {
  for (int whole = 0; whole < 3000; ++whole) {
    for (int tenth = 0; tenth < 10; ++tenth) {
      std::string text = std::to_string(whole) + "." + std::to_string(tenth);
      EXPECT_TRUE(check_double(text)) << text;
      EXPECT_TRUE(check_double("-" + text)) << text;
    }
  }
}

TEST(PlainDecimalEquivalenceTest, BoundaryMantissasMatchFromChars) {
  const uint64_t limit = uint64_t{1} << 53;
  for (uint64_t m = limit - 1000; m <= limit + 1000; ++m) {
    std::string digits = std::to_string(m);
    for (size_t point = 1; point <= digits.size(); ++point) {
      std::string text = digits.substr(0, point);
      if (point < digits.size()) {
        text += "." + digits.substr(point);
      }
      bool handled = check_double(text);
      EXPECT_EQ(handled, m <= limit) << text;
    }
  }
}

TEST(PlainDecimalEquivalenceTest, NegativeZeroKeepsItsSign) {
  double out = 1;
  ASSERT_TRUE(parse_plain_double("-0.0", "-0.0" + 4, out));
  EXPECT_EQ(bits(out), bits(-0.0));
}

TEST(PlainDecimalEquivalenceTest, LongAndLeadingZeroDigitsMatchFromChars) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    std::string text(rng() % 6, '0');
    text += random_digits(rng, 1 + static_cast<int>(rng() % 25));
    if (rng() % 2 == 0) {
      text.insert(rng() % text.size() + 1, ".");
      if (text.back() == '.') {
        text += '5';
      }
    }
    check_double(text);
  }
}

TEST(PlainDecimalEquivalenceTest, OtherShapesAreLeftToFromChars) {
  for (const char* text : {"", "-", ".5", "5.", "1e5", "1.5e3", "+1", "--1", "1..2", "1.2.3", " 1",
                           "1 ", "nan", "inf", "0x10", "1,5", "12345678901234567890"}) {
    double d = 0;
    EXPECT_FALSE(parse_plain_double(text, text + std::strlen(text), d)) << text;
  }
  for (const char* text :
       {"", "-", "+1", "--1", "1.0", "1e3", " 1", "1 ", "0x10", "1234567890123456789"}) {
    int64_t v = 0;
    EXPECT_FALSE(parse_plain_int(text, text + std::strlen(text), v)) << text;
  }
}

TEST(PlainDecimalEquivalenceTest, RandomIntegersMatchFromChars) {
  std::mt19937_64 rng(3);
  int handled = 0;
  for (int i = 0; i < 300000; ++i) {
    std::string text = rng() % 3 == 0 ? "-" : "";
    text += random_digits(rng, 1 + static_cast<int>(rng() % 20));
    handled += check_int(text);
  }
  EXPECT_GT(handled, 200000);
  for (const char* text : {"0", "-0", "007", "-999999999999999999", "999999999999999999"}) {
    EXPECT_TRUE(check_int(text)) << text;
  }
}

// The loop-free path (enough readable bytes after the value) must claim the same texts and give
// the same bits as the digit loop, whatever bytes follow the value.
void check_padded(std::mt19937_64& rng, const std::string& text) {
  std::string buffer = text;
  for (int i = 0; i < 40; ++i) {
    buffer.push_back(static_cast<char>("0123456789.-x \xff"[rng() % 15]));
  }
  const char* begin = buffer.data();
  const char* end = begin + text.size();
  const char* readable_end = begin + buffer.size();
  double loop_d = 0;
  double fast_d = 0;
  const bool loop_claims_d = parse_plain_double(begin, end, loop_d);
  ASSERT_EQ(parse_plain_double(begin, end, fast_d, readable_end), loop_claims_d) << text;
  if (loop_claims_d) {
    ASSERT_EQ(bits(fast_d), bits(loop_d)) << text;
    check_double(text);
  }
  int64_t loop_i = 0;
  int64_t fast_i = 0;
  const bool loop_claims_i = parse_plain_int(begin, end, loop_i);
  ASSERT_EQ(parse_plain_int(begin, end, fast_i, readable_end), loop_claims_i) << text;
  if (loop_claims_i) {
    ASSERT_EQ(fast_i, loop_i) << text;
    check_int(text);
  }
}

TEST(PlainDecimalEquivalenceTest, LoopFreePathMatchesOnRandomShortTexts) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 1000000; ++i) {
    std::string text;
    const size_t n = rng() % 19;
    for (size_t k = 0; k < n; ++k) {
      // Mostly digits, so that many texts are numbers.
      text.push_back(rng() % 8 != 0 ? static_cast<char>('0' + rng() % 10)
                                    : "-.+e x\x80"[rng() % 7]);
    }
    check_padded(rng, text);
    if (HasFatalFailure()) {
      return;
    }
  }
}

TEST(PlainDecimalEquivalenceTest, LoopFreePathMatchesOnDecimalShapes) {
  std::mt19937_64 rng(12);
  for (int whole = 0; whole <= 17; ++whole) {
    for (int fraction = -1; fraction <= 17; ++fraction) {
      for (int sign = 0; sign < 2; ++sign) {
        for (int r = 0; r < 200; ++r) {
          std::string text = sign != 0 ? "-" : "";
          text += random_digits(rng, whole);
          if (fraction >= 0) {
            text += "." + random_digits(rng, fraction);
          }
          check_padded(rng, text);
          if (HasFatalFailure()) {
            return;
          }
        }
      }
    }
  }
}

TEST(PlainDecimalEquivalenceTest, LoopFreePathIsNotUsedWithoutReadableBytes) {
  // "12" with only 31 readable bytes from its start: the digit loop must still be right, and the
  // bytes after the value (digits here) must not be read into it.
  const std::string buffer = "12" + std::string(29, '7');
  int64_t v = 0;
  ASSERT_TRUE(parse_plain_int(buffer.data(), buffer.data() + 2, v, buffer.data() + buffer.size()));
  EXPECT_EQ(v, 12);
  double d = 0;
  ASSERT_TRUE(
      parse_plain_double(buffer.data(), buffer.data() + 2, d, buffer.data() + buffer.size()));
  EXPECT_EQ(d, 12.0);
}

}  // namespace
}  // namespace sluice
