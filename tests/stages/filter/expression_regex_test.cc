#include "stages/filter/expression_regex.h"

#include <gtest/gtest.h>

#include <string_view>

#include "stages/regex_syntax.h"

namespace sluice {
namespace {

bool matches(std::string_view pattern, std::string_view text) {
  auto regex = ExpressionRegex::compile(pattern);
  EXPECT_TRUE(regex.ok()) << pattern;
  return regex.ok() && regex.value()->match(text);
}

TEST(RewriteNamedGroupsTest, AngleNameBecomesPythonName) {
  EXPECT_EQ(rewrite_named_groups("(?<year>\\d+)-(?<month>\\d+)"), "(?P<year>\\d+)-(?P<month>\\d+)");
}

TEST(RewriteNamedGroupsTest, PythonNameIsUnchanged) {
  EXPECT_EQ(rewrite_named_groups("(?P<year>\\d+)"), "(?P<year>\\d+)");
}

TEST(RewriteNamedGroupsTest, EscapedParenthesisIsUnchanged) {
  EXPECT_EQ(rewrite_named_groups("\\(?<a>"), "\\(?<a>");
}

TEST(RewriteNamedGroupsTest, CharacterClassIsUnchanged) {
  EXPECT_EQ(rewrite_named_groups("[(?<]x"), "[(?<]x");
  EXPECT_EQ(rewrite_named_groups("[]()?<](?<n>x)"), "[]()?<](?P<n>x)");
  EXPECT_EQ(rewrite_named_groups("[^]](?<n>x)"), "[^]](?P<n>x)");
}

TEST(RewriteNamedGroupsTest, LookbehindIsLeftForRe2ToReject) {
  EXPECT_EQ(rewrite_named_groups("(?<=a)b"), "(?<=a)b");
  EXPECT_FALSE(ExpressionRegex::compile("(?<=a)b").ok());
}

TEST(ExpressionRegexTest, PlainLiteralMatchesAnywhere) {
  EXPECT_TRUE(matches("error", "an error here"));
  EXPECT_FALSE(matches("error", "an Error here"));
  EXPECT_TRUE(matches("", "anything"));
  EXPECT_TRUE(matches("", ""));
}

TEST(ExpressionRegexTest, AnchoredLiteralPrefix) {
  EXPECT_TRUE(matches("^/api", "/api/v1"));
  EXPECT_FALSE(matches("^/api", "/ap"));
  EXPECT_FALSE(matches("^/api", "x/api"));
}

TEST(ExpressionRegexTest, AnchoredPrefixThenPattern) {
  EXPECT_TRUE(matches("^/api/v[0-9]+/orders", "/api/v12/orders"));
  EXPECT_FALSE(matches("^/api/v[0-9]+/orders", "/api/v/orders"));
  EXPECT_FALSE(matches("^/api/v[0-9]+/orders", "/apx/v1/orders"));
}

TEST(ExpressionRegexTest, QuantifiedLastPrefixCharIsOptional) {
  EXPECT_TRUE(matches("^abc?d", "abd"));
  EXPECT_TRUE(matches("^ab*", "a"));
  EXPECT_TRUE(matches("^ab{0,1}c", "ac"));
  EXPECT_FALSE(matches("^ab+", "a"));
}

TEST(ExpressionRegexTest, EscapedPunctuationInPrefix) {
  EXPECT_TRUE(matches("^a\\.b", "a.b"));
  EXPECT_FALSE(matches("^a\\.b", "axb"));
  EXPECT_TRUE(matches("^a\\.?b", "ab"));
  EXPECT_TRUE(matches("^\\d+", "42"));
}

TEST(ExpressionRegexTest, AlternationDisablesThePrefix) {
  EXPECT_TRUE(matches("^abc|xyz", "--xyz"));
  EXPECT_TRUE(matches("^abc|xyz", "abc"));
  EXPECT_FALSE(matches("^abc|xyz", "-abc"));
}

TEST(ExpressionRegexTest, NonAsciiPrefixIsNotCutMidCharacter) {
  EXPECT_TRUE(matches("^h\xc3\xa9?llo", "hllo"));
  EXPECT_TRUE(matches("^h\xc3\xa9llo", "h\xc3\xa9llo"));
}

TEST(ExpressionRegexTest, CaseInsensitiveFlag) {
  EXPECT_TRUE(matches("(?i)^GET", "get /"));
  EXPECT_FALSE(matches("^GET", "get /"));
}

TEST(ExpressionRegexTest, EndAnchor) {
  EXPECT_TRUE(matches("^abc$", "abc"));
  EXPECT_FALSE(matches("^abc$", "abcd"));
  EXPECT_TRUE(matches("json$", "a.json"));
}

TEST(ExpressionRegexTest, InvalidPatternSaysWhy) {
  auto regex = ExpressionRegex::compile("a(b");
  ASSERT_FALSE(regex.ok());
  EXPECT_EQ(regex.status().message(), "invalid regex: missing ): a(b");
}

}  // namespace
}  // namespace sluice
