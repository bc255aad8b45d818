// AnchoredPattern must answer exactly as RE2 does, or not at all: shapes it may take, shapes it
// must leave to RE2, and a differential run against RE2 over many generated texts.
#include "stages/filter/anchored_pattern.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <random>
#include <string>
#include <vector>

namespace sluice {
namespace {

using Outcome = AnchoredPattern::Outcome;

TEST(AnchoredPattern, TakesSimpleAnchoredShapes) {
  for (const char* p : {"^/api/v[0-9]+/orders", "^abc$", "^[^/]+/x", "^\\d+$", "^GET ",
                        "^[a-z]*:", "^\\w+\\s", "^x[-_.]y", "^\\/a\\.b", "^[^\"]+\"$", "^"}) {
    EXPECT_TRUE(AnchoredPattern::compile(p).has_value()) << p;
  }
}

TEST(AnchoredPattern, LeavesEverythingElseToRe2) {
  for (const char* p :
       {"abc",          "/api/v[0-9]+", "^a|b",      "^(a)",           "^a?",      "^a{2}", "^.*x",
        "^[a-z]+[a-z]", "^a+a",         "^\xC3\xA9", "^[[:alpha:]]+",  "^a+?",     "^a**",  "^[]a]",
        "^[a-",         "^a$b",         "^\\bword",  "^[0-9]+[0-9]*x", "^(?i)get", "^\\pL"}) {
    EXPECT_FALSE(AnchoredPattern::compile(p).has_value()) << p;
  }
}

TEST(AnchoredPattern, AnswersTheW1Pattern) {
  auto p = AnchoredPattern::compile("^/api/v[0-9]+/orders");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->match("/api/v1/orders/17"), Outcome::kMatch);
  EXPECT_EQ(p->match("/api/v12/orders"), Outcome::kMatch);
  EXPECT_EQ(p->match("/api/v/orders"), Outcome::kNoMatch);
  EXPECT_EQ(p->match("/api/v1/order"), Outcome::kNoMatch);
  EXPECT_EQ(p->match("/api/vx/orders"), Outcome::kNoMatch);
  EXPECT_EQ(p->match("x/api/v1/orders"), Outcome::kNoMatch);
  EXPECT_EQ(p->match("/api/v1\xC3\xA9/orders"), Outcome::kUndecided);
}

// Texts over a small alphabet that hits the patterns' bytes often, with newline, a stray
// continuation byte, 0xFF and a two-byte UTF-8 character.
std::string random_text(std::mt19937& rng) {
  static const std::vector<std::string> pieces = {
      "/",  "a",  "p",      "i",       "v",    "0",    "9",        "1", "o",   "r",  "d", "e",
      "s",  "x",  " ",      "\n",      "\xFF", "\x80", "\xC3\xA9", "A", "_",   "-",  ".", ":",
      "\"", "\t", "/api/v", "/orders", "GET ", "b",    "c",        "y", "abc", "x_y"};
  std::uniform_int_distribution<size_t> len(0, 12);
  std::uniform_int_distribution<size_t> pick(0, pieces.size() - 1);
  std::string s;
  for (size_t n = len(rng); n > 0; --n) {
    s += pieces[pick(rng)];
  }
  return s;
}

TEST(AnchoredPattern, AgreesWithRe2OnGeneratedTexts) {
  const char* patterns[] = {"^/api/v[0-9]+/orders",
                            "^abc$",
                            "^[^/]+/x",
                            "^\\d+$",
                            "^GET ",
                            "^[a-z]*:",
                            "^\\w+\\s",
                            "^[^\"]+\"$",
                            "^/api/v\\d*$",
                            "^x[-_.]y",
                            "^[^a-z]+a",
                            "^\\s*GET",
                            "^[/a-z]+$",
                            "^p+i",
                            "^/orders",       // a literal of exactly one word
                            "^/api/v1/o",     // longer than one word
                            "^a/api/v[0-9]",  // a word-sized literal after a byte
                            "^"};
  std::mt19937 rng(7);
  for (const char* pattern : patterns) {
    auto fast = AnchoredPattern::compile(pattern);
    ASSERT_TRUE(fast) << pattern;
    RE2 re(pattern);
    ASSERT_TRUE(re.ok()) << pattern;
    int decided = 0;
    int matched = 0;
    const int kTexts = 20000;
    for (int n = 0; n < kTexts; ++n) {
      std::string text = random_text(rng);
      Outcome o = fast->match(text);
      if (o == Outcome::kUndecided) {
        continue;
      }
      ++decided;
      bool want = RE2::PartialMatch(text, re);
      matched += want;
      ASSERT_EQ(o == Outcome::kMatch, want) << pattern << " on \"" << text << "\"";
    }
    // Most texts are decided without RE2, and the patterns both match and miss.
    EXPECT_GT(decided, kTexts / 2) << pattern;
    EXPECT_GT(matched, 0) << pattern;
  }
}

}  // namespace
}  // namespace sluice
