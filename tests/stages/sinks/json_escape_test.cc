#include "stages/sinks/json_escape.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <random>
#include <string>
#include <string_view>

namespace sluice {
namespace {

std::string joined(std::initializer_list<std::string_view> parts) {
  // Concatenates without operator+, on which GCC 12 warns falsely (-Wrestrict).
  std::string s;
  for (std::string_view p : parts) {
    s.append(p);
  }
  return s;
}

const std::string kReplacement = "\xEF\xBF\xBD";

std::string json_literal(std::string_view s) {
  std::string out;
  append_json_string(s, out);
  return out;
}

std::string int_text(int64_t v) {
  char buf[kJsonNumberMaxSize];
  return std::string(buf, write_json_int(v, buf));
}

std::string float_text(double v) {
  char buf[kJsonNumberMaxSize];
  return std::string(buf, write_json_float(v, buf));
}

std::string float_or_nothing_text(double v) {
  char buf[kJsonNumberMaxSize];
  return std::string(buf, write_float_or_nothing(v, buf));
}

TEST(JsonEscape, EmptyString) { EXPECT_EQ(json_literal(""), "\"\""); }

TEST(JsonEscape, PlainAsciiUnchanged) {
  EXPECT_EQ(json_literal("hello world/<>{}[]:,~"), "\"hello world/<>{}[]:,~\"");
}

TEST(JsonEscape, AppendsToExistingContent) {
  std::string out = "x=";
  append_json_string("a", out);
  EXPECT_EQ(out, "x=\"a\"");
}

TEST(JsonEscape, QuoteAndBackslash) { EXPECT_EQ(json_literal("a\"b\\c"), "\"a\\\"b\\\\c\""); }

TEST(JsonEscape, NamedControlCharacters) {
  EXPECT_EQ(json_literal("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
}

TEST(JsonEscape, EveryControlCharacter) {
  const char* expected[32] = {
      "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
      "\\b",     "\\t",     "\\n",     "\\u000b", "\\f",     "\\r",     "\\u000e", "\\u000f",
      "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
      "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f"};
  for (int c = 0; c < 32; ++c) {
    std::string in(1, static_cast<char>(c));
    EXPECT_EQ(json_literal(in), joined({"\"", std::string(expected[c]), "\""})) << "byte " << c;
  }
}

TEST(JsonEscape, DelStays) {
  EXPECT_EQ(json_literal("a\x7f"
                         "b"),
            "\"a\x7f"
            "b\"");
}

TEST(JsonEscape, EscapesBeyondFirstVectorBlock) {
  // 20 clean bytes, then an escape, then 20 more: exercises the 16-byte scan and the tail.
  std::string in = joined({std::string(20, 'a'), "\"", std::string(20, 'b'), "\n"});
  EXPECT_EQ(json_literal(in),
            joined({"\"", std::string(20, 'a'), "\\\"", std::string(20, 'b'), "\\n\""}));
}

TEST(JsonEscape, ManyEscapesInARow) {
  EXPECT_EQ(json_literal("\"\"\\\\\n\n"), "\"\\\"\\\"\\\\\\\\\\n\\n\"");
}

TEST(JsonEscape, ValidTwoByteUtf8Unchanged) {
  EXPECT_EQ(json_literal("caf\xC3\xA9"), "\"caf\xC3\xA9\"");
}

TEST(JsonEscape, ValidThreeByteUtf8Unchanged) {
  EXPECT_EQ(json_literal("\xE2\x82\xAC 5"), "\"\xE2\x82\xAC 5\"");
}

TEST(JsonEscape, ValidFourByteUtf8Unchanged) {
  EXPECT_EQ(json_literal("\xF0\x9F\x98\x80!"), "\"\xF0\x9F\x98\x80!\"");
}

TEST(JsonEscape, BoundaryCodePointsUnchanged) {
  // U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF, U+10000, U+10FFFF.
  std::string in =
      "\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF\xF0\x90\x80\x80"
      "\xF4\x8F\xBF\xBF";
  EXPECT_EQ(json_literal(in), joined({"\"", in, "\""}));
}

TEST(JsonEscape, LongMultibyteTextUnchanged) {
  std::string in;
  for (int i = 0; i < 40; ++i) {
    in += "\xD0\x9F\xD1\x80\xD0\xB8 ";  // "При "
  }
  EXPECT_EQ(json_literal(in), joined({"\"", in, "\""}));
}

TEST(JsonEscape, StrayContinuationByte) {
  EXPECT_EQ(json_literal("a\x80z"), joined({"\"a", kReplacement, "z\""}));
}

TEST(JsonEscape, EachBadLeadByteReplaced) {
  for (int c : {0x80, 0xBF, 0xC0, 0xC1, 0xF5, 0xF8, 0xFE, 0xFF}) {
    std::string in = joined({"a", std::string(1, static_cast<char>(c)), "z"});
    EXPECT_EQ(json_literal(in), joined({"\"a", kReplacement, "z\""})) << "byte " << c;
  }
}

TEST(JsonEscape, TruncatedTwoByteAtEnd) {
  EXPECT_EQ(json_literal("a\xC3"), joined({"\"a", kReplacement, "\""}));
}

TEST(JsonEscape, TruncatedThreeByteAtEndIsOneReplacement) {
  EXPECT_EQ(json_literal("a\xE2\x82"), joined({"\"a", kReplacement, "\""}));
}

TEST(JsonEscape, TruncatedFourByteAtEndIsOneReplacement) {
  EXPECT_EQ(json_literal("a\xF0\x9F\x98"), joined({"\"a", kReplacement, "\""}));
}

TEST(JsonEscape, TruncatedSequenceFollowedByAscii) {
  EXPECT_EQ(json_literal("\xE2\x82z"), joined({"\"", kReplacement, "z\""}));
}

TEST(JsonEscape, TruncatedSequenceFollowedByValidSequence) {
  EXPECT_EQ(json_literal("\xF0\x9F\xC3\xA9"), joined({"\"", kReplacement, "\xC3\xA9\""}));
}

TEST(JsonEscape, TruncatedSequenceFollowedByEscape) {
  EXPECT_EQ(json_literal("\xC3\n"), joined({"\"", kReplacement, "\\n\""}));
}

TEST(JsonEscape, OverlongTwoByte) {
  // C0 AF would be '/': C0 is never valid, AF is a stray continuation.
  EXPECT_EQ(json_literal("\xC0\xAF"), joined({"\"", kReplacement, kReplacement, "\""}));
}

TEST(JsonEscape, OverlongThreeByte) {
  EXPECT_EQ(json_literal("\xE0\x80\xAF"),
            joined({"\"", kReplacement, kReplacement, kReplacement, "\""}));
}

TEST(JsonEscape, OverlongFourByte) {
  EXPECT_EQ(json_literal("\xF0\x80\x80\xAF"),
            joined({"\"", kReplacement, kReplacement, kReplacement, kReplacement, "\""}));
}

TEST(JsonEscape, HighSurrogate) {
  EXPECT_EQ(json_literal("\xED\xA0\x80"),
            joined({"\"", kReplacement, kReplacement, kReplacement, "\""}));
}

TEST(JsonEscape, LowSurrogate) {
  EXPECT_EQ(json_literal("\xED\xBF\xBF"),
            joined({"\"", kReplacement, kReplacement, kReplacement, "\""}));
}

TEST(JsonEscape, AboveMaxCodePoint) {
  EXPECT_EQ(json_literal("\xF4\x90\x80\x80"),
            joined({"\"", kReplacement, kReplacement, kReplacement, kReplacement, "\""}));
}

TEST(JsonEscape, InvalidByteAfterLongCleanRun) {
  std::string in = joined({std::string(33, 'x'), "\xFF", std::string(17, 'y')});
  EXPECT_EQ(json_literal(in),
            joined({"\"", std::string(33, 'x'), kReplacement, std::string(17, 'y'), "\""}));
}

TEST(JsonEscape, OutputIsAlwaysValidUtf8) {
  std::string in;
  for (int c = 0; c < 256; ++c) {
    in.push_back(static_cast<char>(c));
    in.push_back(static_cast<char>(255 - c));
  }
  EXPECT_FALSE(is_valid_utf8(in));
  EXPECT_TRUE(is_valid_utf8(json_literal(in)));
}

// The scan reads short strings and tails through overlapping windows of 16, 8 and 4 bytes; put a
// byte that needs work at every position of every length up to 40 and compare with the plain form.
TEST(JsonEscape, StopByteAtEveryPositionOfEveryLength) {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {{"\"", "\\\""},
                        {"\n", "\\n"},
                        {"\x1f", "\\u001f"},
                        {"\xFF", kReplacement},
                        {"\xC3\xA9", "\xC3\xA9"}};
  for (const Case& c : cases) {
    for (size_t len = 0; len <= 40; ++len) {
      for (size_t pos = 0; pos <= len; ++pos) {
        std::string in = joined({std::string(pos, 'a'), c.in, std::string(len - pos, 'b')});
        std::string expected =
            joined({"\"", std::string(pos, 'a'), c.out, std::string(len - pos, 'b'), "\""});
        ASSERT_EQ(json_literal(in), expected) << "len " << len << " pos " << pos;
      }
    }
  }
}

TEST(JsonEscape, TwoStopBytesAtEveryPairOfPositions) {
  for (size_t len = 2; len <= 24; ++len) {
    for (size_t i = 0; i < len; ++i) {
      for (size_t j = i + 1; j < len; ++j) {
        std::string in(len, 'x');
        in[i] = '\t';
        in[j] = '\\';
        std::string expected =
            joined({"\"", std::string(i, 'x'), "\\t", std::string(j - i - 1, 'x'), "\\\\",
                    std::string(len - j - 1, 'x'), "\""});
        ASSERT_EQ(json_literal(in), expected) << "len " << len << " i " << i << " j " << j;
      }
    }
  }
}

TEST(JsonEscape, CleanStringsOfEveryLength) {
  for (size_t len = 0; len <= 40; ++len) {
    std::string in(len, 'z');
    ASSERT_EQ(json_literal(in), joined({"\"", in, "\""})) << "len " << len;
  }
}

TEST(JsonEscape, StringViewIntoLargerBufferReadsOnlyItsBytes) {
  // Bytes right after the view need escaping; they must not leak into the result.
  std::string buffer = "abcdefghij\"\n\x01\xFF";
  std::string out;
  append_json_string(std::string_view(buffer).substr(0, 10), out);
  EXPECT_EQ(out, "\"abcdefghij\"");
}

// The overload that reads and writes whole 16-byte blocks must write the same literal as the plain
// one, wherever the bytes that need work sit and however much readable text follows the string.
TEST(JsonEscape, BlockWriterMatchesPlainWriter) {
  const std::string specials[] = {"\"", "\\", "\n", "\x01", "\x7f", "\xc3\xa9", "\xff", "\xe2\x82"};
  for (size_t len = 0; len <= 70; ++len) {
    for (size_t pos = 0; pos <= len; pos += (len > 20 ? 3 : 1)) {
      for (const std::string& special : specials) {
        std::string in(len, 'a');
        if (len > 0) {
          in.replace(pos == len ? len - 1 : pos, 1, special);
        }
        const std::string expected = json_literal(in);
        for (size_t slack : {0, 1, 15, 16, 17, 64}) {
          // The string sits inside a larger text whose bytes after it (clean ones, then ones that
          // need work) must not leak in.
          std::string after(slack, '"');
          for (size_t i = 0; i < slack; i += 2) {
            after[i] = 'x';
          }
          std::string text = "\"\\" + in + after;
          const std::string_view s = std::string_view(text).substr(2, in.size());
          std::string out(json_string_room(in.size()) + 8, '#');
          char* end = write_json_string(s, text.data() + text.size(), out.data());
          ASSERT_EQ(std::string(out.data(), end), expected)
              << "len " << len << " pos " << pos << " slack " << slack;
        }
      }
    }
  }
}

std::string float_from_text(double v, std::string_view text) {
  char buf[kJsonNumberMaxSize];
  return std::string(buf, write_json_float(v, text, buf));
}

// Given the text a value was read from, the writer copies the text when it already is the
// shortest form, and formats the value otherwise: either way the bytes are to_chars's.
TEST(JsonNumber, FloatFromTextIsAlwaysTheShortestForm) {
  const char* const texts[] = {"529.9",
                               "0.5",
                               "-0.5",
                               "0.05",
                               "0.005",
                               "0.0005",
                               "0.00005",
                               "1.5",
                               "147.0",
                               "147",
                               "1500",
                               "15000",
                               "150000",
                               "1500000",
                               "1e3",
                               "1.5e-7",
                               "0.1",
                               "0.30000000000000004",
                               "123456789012345",
                               "1234567890123456",
                               "12345.6789012345",
                               "0.123456789012345",
                               "0.0123456789012345",
                               "100000",
                               "10000",
                               "-1000000",
                               "007",
                               "+5",
                               "5.",
                               ".5",
                               "0",
                               "-0",
                               "0.0",
                               "-0.0",
                               " 1.5",
                               "1.5 ",
                               "9007199254740993",
                               "4.9e-324",
                               "",
                               "-",
                               "1.50",
                               "2.2250738585072014e-308"};
  for (const char* text : texts) {
    double v = 0;
    std::from_chars(text, text + std::strlen(text), v);
    EXPECT_EQ(float_from_text(v, text), float_text(v)) << text;
    // Text that does not spell v is never copied.
    EXPECT_EQ(float_from_text(v + 1, text), float_text(v + 1)) << text;
    EXPECT_EQ(float_from_text(-v, text), float_text(-v)) << text;
  }
  EXPECT_EQ(float_from_text(0.25, "unrelated"), "0.25");
  EXPECT_EQ(float_from_text(std::nan(""), "1.5"), "null");
}

TEST(JsonNumber, FloatFromRandomDecimalTextIsTheShortestForm) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200000; ++i) {
    std::string text = rng() % 4 == 0 ? "-" : "";
    const int int_digits = 1 + static_cast<int>(rng() % 17);
    for (int d = 0; d < int_digits; ++d) {
      text.push_back(static_cast<char>('0' + rng() % 10));
    }
    if (rng() % 3 != 0) {
      text.push_back('.');
      const int fraction_digits = 1 + static_cast<int>(rng() % 17);
      for (int d = 0; d < fraction_digits; ++d) {
        text.push_back(static_cast<char>('0' + (rng() % 4 == 0 ? 0 : rng() % 10)));
      }
    }
    double v = 0;
    std::from_chars(text.data(), text.data() + text.size(), v);
    ASSERT_EQ(float_from_text(v, text), float_text(v)) << text;
  }
}

TEST(Utf8, ValidText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF"));
}

TEST(Utf8, InvalidText) {
  EXPECT_FALSE(is_valid_utf8("\x80"));
  EXPECT_FALSE(is_valid_utf8("\xC1\xBF"));
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));
}

TEST(Utf8, StepLengthIsMaximalSubpart) {
  auto step = [](std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    return utf8_step(p, p + s.size());
  };
  EXPECT_EQ(step("\xF0\x9F\x98\x80").length, 4u);
  EXPECT_TRUE(step("\xF0\x9F\x98\x80").valid);
  EXPECT_EQ(step("\xF0\x9F\x98z").length, 3u);
  EXPECT_FALSE(step("\xF0\x9F\x98z").valid);
  EXPECT_EQ(step("\xF0\x8F\x98\x80").length, 1u);
  EXPECT_EQ(step("\xE2z").length, 1u);
}

TEST(JsonNumber, Integers) {
  EXPECT_EQ(int_text(0), "0");
  EXPECT_EQ(int_text(-42), "-42");
  EXPECT_EQ(int_text(std::numeric_limits<int64_t>::max()), "9223372036854775807");
  EXPECT_EQ(int_text(std::numeric_limits<int64_t>::min()), "-9223372036854775808");
}

TEST(JsonNumber, FloatsShortestRoundTrip) {
  EXPECT_EQ(float_text(0.1), "0.1");
  EXPECT_EQ(float_text(2.5), "2.5");
  EXPECT_EQ(float_text(3.0), "3");
  EXPECT_EQ(float_text(1e20), "1e+20");
  EXPECT_EQ(float_text(-1.5e-7), "-1.5e-07");
  EXPECT_EQ(float_text(-2.2250738585072014e-308), "-2.2250738585072014e-308");
}

TEST(JsonNumber, NonFiniteFloatsAreNull) {
  EXPECT_EQ(float_text(std::nan("")), "null");
  EXPECT_EQ(float_text(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(float_text(-std::numeric_limits<double>::infinity()), "null");
}

TEST(JsonNumber, NonFiniteFloatsWriteNothingForCsv) {
  EXPECT_EQ(float_or_nothing_text(std::nan("")), "");
  EXPECT_EQ(float_or_nothing_text(std::numeric_limits<double>::infinity()), "");
  EXPECT_EQ(float_or_nothing_text(0.25), "0.25");
}

}  // namespace
}  // namespace sluice
