#include "config/duration_parser.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

double seconds_of(std::string_view text) {
  auto result = parse_duration(text);
  EXPECT_TRUE(result.ok()) << text;
  return result.ok() ? *result : -1;
}

std::string error_of(std::string_view text) {
  auto result = parse_duration(text);
  return result.ok() ? "ok" : result.status().message();
}

TEST(DurationParser, Seconds) { EXPECT_EQ(seconds_of("10s"), 10.0); }

TEST(DurationParser, Milliseconds) { EXPECT_EQ(seconds_of("500ms"), 0.5); }

TEST(DurationParser, Minutes) { EXPECT_EQ(seconds_of("2m"), 120.0); }

TEST(DurationParser, Hours) { EXPECT_EQ(seconds_of("1h"), 3600.0); }

TEST(DurationParser, Combined) { EXPECT_EQ(seconds_of("1h30m15s"), 5415.0); }

TEST(DurationParser, Fraction) { EXPECT_EQ(seconds_of("1.5s"), 1.5); }

TEST(DurationParser, PlainNumberIsSeconds) { EXPECT_EQ(seconds_of("10"), 10.0); }

TEST(DurationParser, UnknownUnit) {
  EXPECT_EQ(error_of("10 parsecs"),
            "expected a duration such as 10s, 500ms, 2m or 1h30m, got '10 parsecs'");
}

TEST(DurationParser, TrailingBareNumber) {
  EXPECT_EQ(error_of("1m30"), "expected a duration such as 10s, 500ms, 2m or 1h30m, got '1m30'");
}

TEST(DurationParser, Empty) {
  EXPECT_EQ(error_of(""), "expected a duration such as 10s, 500ms, 2m or 1h30m, got ''");
}

TEST(DurationParser, Negative) {
  EXPECT_EQ(error_of("-1s"), "expected a duration such as 10s, 500ms, 2m or 1h30m, got '-1s'");
}

}  // namespace
}  // namespace sluice
