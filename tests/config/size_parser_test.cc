#include "config/size_parser.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

uint64_t size_of(std::string_view text) {
  auto result = parse_size(text);
  EXPECT_TRUE(result.ok()) << text;
  return result.ok() ? *result : 0;
}

std::string size_error_of(std::string_view text) {
  auto result = parse_size(text);
  return result.ok() ? "ok" : result.status().message();
}

TEST(SizeParser, PlainBytes) { EXPECT_EQ(size_of("4096"), 4096u); }

TEST(SizeParser, BytesWithUnitB) { EXPECT_EQ(size_of("4096B"), 4096u); }

TEST(SizeParser, IecUnitsArePowersOf1024) {
  EXPECT_EQ(size_of("100KiB"), 102400u);
  EXPECT_EQ(size_of("64MiB"), 64ull << 20);
  EXPECT_EQ(size_of("512MiB"), 512ull << 20);
  EXPECT_EQ(size_of("1GiB"), 1ull << 30);
  EXPECT_EQ(size_of("2TiB"), 2ull << 40);
}

TEST(SizeParser, SiUnitsArePowersOf1000) {
  EXPECT_EQ(size_of("100KB"), 100000u);
  EXPECT_EQ(size_of("3MB"), 3000000u);
  EXPECT_EQ(size_of("1GB"), 1000000000u);
}

TEST(SizeParser, UnitIsCaseInsensitive) { EXPECT_EQ(size_of("64mib"), 64ull << 20); }

TEST(SizeParser, SpaceBeforeUnit) { EXPECT_EQ(size_of("64 MiB"), 64ull << 20); }

TEST(SizeParser, Fraction) { EXPECT_EQ(size_of("1.5KiB"), 1536u); }

TEST(SizeParser, Zero) { EXPECT_EQ(size_of("0"), 0u); }

TEST(SizeParser, UnknownUnit) {
  EXPECT_EQ(size_error_of("64MiBs"),
            "expected a size such as 64MiB, 512KB or a number of bytes, got '64MiBs'");
}

TEST(SizeParser, NoNumber) {
  EXPECT_EQ(size_error_of("MiB"),
            "expected a size such as 64MiB, 512KB or a number of bytes, got 'MiB'");
}

TEST(SizeParser, Empty) {
  EXPECT_EQ(size_error_of(""), "expected a size such as 64MiB, 512KB or a number of bytes, got ''");
}

TEST(SizeParser, Negative) {
  EXPECT_EQ(size_error_of("-1"),
            "expected a size such as 64MiB, 512KB or a number of bytes, got '-1'");
}

TEST(SizeParser, Overflow) {
  EXPECT_EQ(size_error_of("99999999999999999999"), "size '99999999999999999999' is too large");
  EXPECT_EQ(size_error_of("20000000TiB"), "size '20000000TiB' is too large");
}

TEST(SizeParser, FormatUsesTheLargestExactUnit) {
  EXPECT_EQ(format_size(2ull << 20), "2MiB");
  EXPECT_EQ(format_size(1536ull << 10), "1536KiB");
  EXPECT_EQ(format_size(4ull << 30), "4GiB");
  EXPECT_EQ(format_size(3ull << 40), "3TiB");
  EXPECT_EQ(format_size(512ull << 10), "512KiB");
}

TEST(SizeParser, FormatFallsBackToBytes) {
  EXPECT_EQ(format_size(2000000), "2000000 bytes");
  EXPECT_EQ(format_size(1), "1 byte");
  EXPECT_EQ(format_size(0), "0 bytes");
}

TEST(SizeParser, FormatReadsBack) {
  for (uint64_t bytes : {uint64_t{1} << 20, uint64_t{3} << 10, uint64_t{5} << 30}) {
    EXPECT_EQ(size_of(format_size(bytes)), bytes);
  }
}

}  // namespace
}  // namespace sluice
