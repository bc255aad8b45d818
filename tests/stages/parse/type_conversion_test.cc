#include "stages/parse/type_conversion.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {
namespace {

// 2024-01-02T03:04:05Z in seconds since the epoch.
constexpr int64_t kJan2 = 1704164645;
constexpr int64_t kNs = 1000000000;

bool converts(std::string_view text, FieldType type) {
  Field f;
  return convert_field(text, type, f);
}

int64_t as_int(std::string_view text) {
  Field f;
  EXPECT_TRUE(convert_field(text, FieldType::kInt, f)) << text;
  EXPECT_EQ(f.type, FieldType::kInt);
  return f.num.i;
}

double as_float(std::string_view text) {
  Field f;
  EXPECT_TRUE(convert_field(text, FieldType::kFloat, f)) << text;
  EXPECT_EQ(f.type, FieldType::kFloat);
  return f.num.f;
}

int64_t as_bool(std::string_view text) {
  Field f;
  EXPECT_TRUE(convert_field(text, FieldType::kBool, f)) << text;
  EXPECT_EQ(f.type, FieldType::kBool);
  return f.num.i;
}

int64_t as_ns(std::string_view text) {
  Field f;
  EXPECT_TRUE(convert_field(text, FieldType::kTimestamp, f)) << text;
  EXPECT_EQ(f.type, FieldType::kTimestamp);
  return f.num.i;
}

TEST(TypeConversion, StringLeavesTheFieldAlone) {
  Field f;
  f.num.i = 7;
  EXPECT_TRUE(convert_field("anything", FieldType::kString, f));
  EXPECT_EQ(f.type, FieldType::kString);
  EXPECT_EQ(f.num.i, 7);
}

TEST(TypeConversion, Int) {
  EXPECT_EQ(as_int("0"), 0);
  EXPECT_EQ(as_int("42"), 42);
  EXPECT_EQ(as_int("-42"), -42);
  EXPECT_EQ(as_int("+42"), 42);
  EXPECT_EQ(as_int("007"), 7);
  EXPECT_EQ(as_int("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(as_int("-9223372036854775808"), INT64_MIN);
}

TEST(TypeConversion, IntFailures) {
  for (std::string_view text : {"", "+", "-", "abc", "1.0", "1e3", " 1", "1 ", "12a", "+-5", "--5",
                                "0x10", "9223372036854775808"}) {
    EXPECT_FALSE(converts(text, FieldType::kInt)) << text;
  }
}

TEST(TypeConversion, FailureLeavesTheFieldAString) {
  Field f;
  EXPECT_FALSE(convert_field("x", FieldType::kInt, f));
  EXPECT_EQ(f.type, FieldType::kString);
}

TEST(TypeConversion, Float) {
  EXPECT_EQ(as_float("1.5"), 1.5);
  EXPECT_EQ(as_float("-0.25"), -0.25);
  EXPECT_EQ(as_float("+2"), 2.0);
  EXPECT_EQ(as_float("1e3"), 1000.0);
  EXPECT_EQ(as_float("2.5E-1"), 0.25);
  EXPECT_EQ(as_float("42"), 42.0);
}

TEST(TypeConversion, FloatFailures) {
  for (std::string_view text : {"", "+", "abc", "1.5x", " 1.5", "1,5", "+-1", "nan", "NaN", "inf",
                                "-inf", "infinity", "1e999"}) {
    EXPECT_FALSE(converts(text, FieldType::kFloat)) << text;
  }
}

TEST(TypeConversion, Bool) {
  EXPECT_EQ(as_bool("true"), 1);
  EXPECT_EQ(as_bool("TRUE"), 1);
  EXPECT_EQ(as_bool("True"), 1);
  EXPECT_EQ(as_bool("yes"), 1);
  EXPECT_EQ(as_bool("1"), 1);
  EXPECT_EQ(as_bool("false"), 0);
  EXPECT_EQ(as_bool("FaLsE"), 0);
  EXPECT_EQ(as_bool("no"), 0);
  EXPECT_EQ(as_bool("NO"), 0);
  EXPECT_EQ(as_bool("0"), 0);
}

TEST(TypeConversion, BoolFailures) {
  for (std::string_view text : {"", "2", "t", "f", "y", "n", "truee", " true", "on", "off"}) {
    EXPECT_FALSE(converts(text, FieldType::kBool)) << text;
  }
}

TEST(TypeConversion, TimestampUtc) {
  EXPECT_EQ(as_ns("2024-01-02T03:04:05Z"), kJan2 * kNs);
  EXPECT_EQ(as_ns("1970-01-01T00:00:00Z"), 0);
}

TEST(TypeConversion, TimestampSeparatorAndZoneAnyCase) {
  EXPECT_EQ(as_ns("2024-01-02t03:04:05z"), kJan2 * kNs);
  EXPECT_EQ(as_ns("2024-01-02 03:04:05Z"), kJan2 * kNs);
}

TEST(TypeConversion, TimestampOffsets) {
  EXPECT_EQ(as_ns("2024-01-02T05:04:05+02:00"), kJan2 * kNs);
  EXPECT_EQ(as_ns("2024-01-01T21:34:05-05:30"), kJan2 * kNs);
  EXPECT_EQ(as_ns("2024-01-02T03:04:05+00:00"), kJan2 * kNs);
  EXPECT_EQ(as_ns("2024-01-02T03:04:05-00:00"), kJan2 * kNs);
}

TEST(TypeConversion, TimestampFractions) {
  EXPECT_EQ(as_ns("2024-01-02T03:04:05.5Z"), kJan2 * kNs + 500000000);
  EXPECT_EQ(as_ns("2024-01-02T03:04:05.123Z"), kJan2 * kNs + 123000000);
  EXPECT_EQ(as_ns("2024-01-02T03:04:05.123456789Z"), kJan2 * kNs + 123456789);
  // Digits past nanoseconds are dropped.
  EXPECT_EQ(as_ns("2024-01-02T03:04:05.1234567899Z"), kJan2 * kNs + 123456789);
  EXPECT_EQ(as_ns("2024-01-02T05:04:05.000001+02:00"), kJan2 * kNs + 1000);
}

TEST(TypeConversion, TimestampBeforeTheEpoch) {
  EXPECT_EQ(as_ns("1969-12-31T23:59:59.5Z"), -500000000);
  EXPECT_EQ(as_ns("1900-01-01T00:00:00Z"), -2208988800 * kNs);
}

TEST(TypeConversion, TimestampLeapDayAndLeapSecond) {
  EXPECT_EQ(as_ns("2024-02-29T00:00:00Z"), int64_t{1709164800} * kNs);
  EXPECT_EQ(as_ns("2000-02-29T00:00:00Z"), int64_t{951782400} * kNs);
  // 23:59:60 is the leap second; it counts as the next midnight.
  EXPECT_EQ(as_ns("2016-12-31T23:59:60Z"), int64_t{1483228800} * kNs);
}

TEST(TypeConversion, TimestampFailures) {
  for (std::string_view text : {
           "",
           "2024-01-02",
           "2024-01-02T03:04:05",       // no zone
           "2024-01-02T03:04:05+0200",  // offset without colon
           "2024-01-02T03:04:05+02",    // offset without minutes
           "2024-01-02T03:04:05.Z",     // empty fraction
           "2024-01-02T03:04:05Zx",     // trailing bytes
           "2024-01-02T03:04:05+02:00 ",
           "2024-01-02X03:04:05Z",
           "2024/01/02T03:04:05Z",
           "2024-1-02T03:04:05Z",
           "2024-13-02T03:04:05Z",  // month
           "2024-00-02T03:04:05Z",
           "2024-01-00T03:04:05Z",  // day
           "2024-01-32T03:04:05Z",
           "2023-02-29T00:00:00Z",  // not a leap year
           "1900-02-29T00:00:00Z",
           "2024-04-31T00:00:00Z",
           "2024-01-02T24:00:00Z",       // hour
           "2024-01-02T03:60:00Z",       // minute
           "2024-01-02T03:04:61Z",       // second
           "2024-01-02T03:04:05+24:00",  // offset hour
           "2024-01-02T03:04:05+02:60",
           "1500-01-01T00:00:00Z",  // outside what int64 nanoseconds hold
           "9999-12-31T23:59:59Z",
           "abcd-01-02T03:04:05Z",
       }) {
    EXPECT_FALSE(converts(text, FieldType::kTimestamp)) << text;
  }
}

// Every parser words a failed conversion through conversion_error, so these are the rules of all.
std::string error_for(std::string_view value) {
  std::string out = "left over from the previous event";
  conversion_error("status", value, FieldType::kInt, out);
  return out;
}

TEST(ConversionErrorTest, NamesTheFieldTheValueAndTheType) {
  EXPECT_EQ(error_for("abc"), "field 'status': cannot convert 'abc' to int");
  std::string out;
  conversion_error("at", "x", FieldType::kTimestamp, out);
  EXPECT_EQ(out, "field 'at': cannot convert 'x' to timestamp");
}

TEST(ConversionErrorTest, EmptyValueIsQuotedEmpty) {
  EXPECT_EQ(error_for(""), "field 'status': cannot convert '' to int");
}

TEST(ConversionErrorTest, ValueOfExactlyTheCutOffIsQuotedWhole) {
  const std::string value(kMaxQuotedValue, '7');
  EXPECT_EQ(error_for(value), "field 'status': cannot convert '" + value + "' to int");
}

TEST(ConversionErrorTest, LongerValueIsCutAtTheCutOff) {
  const std::string value = std::string(kMaxQuotedValue, 'x') + "TAIL";
  EXPECT_EQ(error_for(value),
            "field 'status': cannot convert '" + std::string(kMaxQuotedValue, 'x') + "...' to int");
}

}  // namespace
}  // namespace sluice
