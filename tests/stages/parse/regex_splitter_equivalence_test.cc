// RegexSplitter must give exactly RE2's answer (match or not, and every submatch) whenever it
// claims one: checked on generated nginx lines, random mutations of them, and random patterns of
// the supported shape against random texts.
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "stages/parse/regex_splitter.h"
#include "stages/regex_syntax.h"

namespace sluice {
namespace {

constexpr char kNginx[] =
    R"re(^(?P<remote_addr>\S+) - (?P<remote_user>\S+) \[(?P<time_local>[^\]]+)\] "(?P<method>[A-Z]+) (?P<path>[^ "]*)(?: (?P<protocol>[^"]*))?" (?P<status>\d{3}) (?P<bytes>\d+) "(?P<referer>[^"]*)" "(?P<agent>[^"]*)")re";

std::unique_ptr<RE2> compile_re2(const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  return std::make_unique<RE2>(rewrite_named_groups(pattern), options);
}

struct Tally {
  int match = 0;
  int no_match = 0;
  int unsure = 0;
};

// Compares the splitter with RE2 on `text`; records the outcome.
void check(const RE2& re, const RegexSplitter& splitter, const std::string& text, Tally& tally) {
  const int nsub = 1 + re.NumberOfCapturingGroups();
  std::vector<re2::StringPiece> fast(static_cast<size_t>(nsub));
  std::vector<re2::StringPiece> slow(static_cast<size_t>(nsub));
  const RegexSplitter::Outcome outcome = splitter.match(text, fast.data(), nsub);
  const bool matched = re.Match(text, 0, text.size(), RE2::UNANCHORED, slow.data(), nsub);
  switch (outcome) {
    case RegexSplitter::Outcome::kMatch:
      ++tally.match;
      ASSERT_TRUE(matched) << re.pattern() << " on '" << text << "'";
      for (int g = 0; g < nsub; ++g) {
        const auto& f = fast[static_cast<size_t>(g)];
        const auto& s = slow[static_cast<size_t>(g)];
        ASSERT_EQ(f.data() == nullptr, s.data() == nullptr)
            << re.pattern() << " group " << g << " on '" << text << "'";
        if (s.data() != nullptr) {
          ASSERT_EQ(f.data() - text.data(), s.data() - text.data())
              << re.pattern() << " group " << g << " on '" << text << "'";
          ASSERT_EQ(f.size(), s.size()) << re.pattern() << " group " << g << " on '" << text << "'";
        }
      }
      break;
    case RegexSplitter::Outcome::kNoMatch:
      ++tally.no_match;
      ASSERT_FALSE(matched) << re.pattern() << " on '" << text << "'";
      break;
    case RegexSplitter::Outcome::kUnsure:
      ++tally.unsure;
      break;
  }
}

// The first option half of the time, so that most generated lines are well-formed.
std::string pick(std::mt19937_64& rng, const std::vector<std::string>& options) {
  return rng() % 2 == 0 ? options[0] : options[rng() % options.size()];
}

// nginx "combined" lines with the variations real logs show.
std::string nginx_line(std::mt19937_64& rng) {
  std::string line = pick(rng, {"10.0.13.155", "192.168.1.1", "::1", "2001:db8::7", "-"});
  line += " - ";
  line += pick(rng, {"-", "alice", "bob-the-user", "x"});
  line += " [";
  line += pick(rng, {"01/Jan/2026:00:00:00 +0000", "31/Dec/2025:23:59:59 -0700", "x"});
  line += "] \"";
  line += pick(rng, {"GET", "POST", "DELETE", "PUT", "HEAD", "get", ""});
  line += pick(rng, {" ", "", "  "});
  line += pick(rng, {"/", "/index.html", "/api/v1/orders/6404", "", "/a?b=c&d=e", "/x\"y"});
  line += pick(rng, {" HTTP/1.1", " HTTP/2.0", "", " ", " HTTP/1.1 extra", " \"HTTP"});
  line += "\" ";
  line += pick(rng, {"200", "404", "500", "99", "1000", "20x"});
  line += ' ';
  line += pick(rng, {"0", "40725", "123456789", "-", ""});
  line += " \"";
  line += pick(rng, {"-", "https://example.com/", "", "a\"b"});
  line += "\" \"";
  line += pick(rng, {"Mozilla/5.0 (compatible; bot, +https://example.com/bot)", "kube-probe/1.27",
                     "", "curl/8.0 \xc3\xa9t\xc3\xa9", "bad\xff utf8", "tab\there"});
  line += '"';
  line += pick(rng, {"", " trailing", "\"", " \"x\""});
  return line;
}

// Inserts, deletes or replaces a few bytes, favouring the bytes the pattern cares about.
std::string mutate(std::mt19937_64& rng, std::string line) {
  static const std::string kBytes =
      std::string("\" []-:/0123456789AZaz\t\n\r\f\v\\") + '\0' + "\x80\xc3\xa9\xff";
  const int edits = 1 + static_cast<int>(rng() % 3);
  for (int e = 0; e < edits; ++e) {
    const size_t at = line.empty() ? 0 : rng() % (line.size() + 1);
    const char c = kBytes[rng() % kBytes.size()];
    switch (rng() % 3) {
      case 0:
        line.insert(line.begin() + static_cast<std::ptrdiff_t>(at), c);
        break;
      case 1:
        if (at < line.size()) {
          line.erase(at, 1);
        }
        break;
      default:
        if (at < line.size()) {
          line[at] = c;
        }
        break;
    }
  }
  return line;
}

TEST(RegexSplitterEquivalenceTest, NginxPatternIsSupported) {
  auto re = compile_re2(kNginx);
  ASSERT_TRUE(re->ok());
  EXPECT_NE(RegexSplitter::compile(*re), nullptr);
}

TEST(RegexSplitterEquivalenceTest, GeneratedNginxLinesMatchRe2) {
  auto re = compile_re2(kNginx);
  auto splitter = RegexSplitter::compile(*re);
  ASSERT_NE(splitter, nullptr);
  std::mt19937_64 rng(1);
  Tally tally;
  for (int i = 0; i < 200000; ++i) {
    check(*re, *splitter, nginx_line(rng), tally);
    if (HasFatalFailure()) {
      return;
    }
  }
  // The fast path must really be exercised, on both outcomes.
  EXPECT_GT(tally.match, 40000);
  EXPECT_GT(tally.no_match, 10000);
}

TEST(RegexSplitterEquivalenceTest, MutatedNginxLinesMatchRe2) {
  auto re = compile_re2(kNginx);
  auto splitter = RegexSplitter::compile(*re);
  ASSERT_NE(splitter, nullptr);
  std::mt19937_64 rng(2);
  Tally tally;
  for (int i = 0; i < 300000; ++i) {
    check(*re, *splitter, mutate(rng, nginx_line(rng)), tally);
    if (HasFatalFailure()) {
      return;
    }
  }
  EXPECT_GT(tally.match, 30000);
  EXPECT_GT(tally.no_match, 30000);
}

TEST(RegexSplitterEquivalenceTest, ProtocolGroupIsAbsentWhenTheOptionalIsSkipped) {
  auto re = compile_re2(kNginx);
  auto splitter = RegexSplitter::compile(*re);
  ASSERT_NE(splitter, nullptr);
  const std::string line = R"(1.2.3.4 - - [t] "GET /" 200 5 "-" "ua")";
  re2::StringPiece sub[11];
  ASSERT_EQ(splitter->match(line, sub, 11), RegexSplitter::Outcome::kMatch);
  EXPECT_EQ(sub[5], "/");
  EXPECT_EQ(sub[6].data(), nullptr);
  EXPECT_EQ(sub[7], "200");
}

TEST(RegexSplitterEquivalenceTest, NonAsciiInsideAClassThatMayTakeItIsUnsure) {
  auto re = compile_re2(kNginx);
  auto splitter = RegexSplitter::compile(*re);
  ASSERT_NE(splitter, nullptr);
  const std::string line = "1.2.3.4 - - [t] \"GET /\" 200 5 \"-\" \"\xc3\xa9\"";
  re2::StringPiece sub[11];
  EXPECT_EQ(splitter->match(line, sub, 11), RegexSplitter::Outcome::kUnsure);
}

TEST(RegexSplitterEquivalenceTest, PatternsOutsideTheShapeAreRefused) {
  for (const char* pattern : {
           R"((?P<a>\S+) (?P<b>\S+))",        // unanchored
           R"(^(?P<a>\S+)|(?P<b>x))",         // alternation
           R"(^(?P<a>.*?) (?P<b>\S+))",       // non-greedy
           R"(^(?P<a>\S+)\S)",                // run followed by a byte of its class
           R"(^(?P<a>[a-z]*)(?P<b>[c-f]+))",  // overlapping runs
           R"(^(?P<a>x*)?y)",                 // optional body that can match empty
           R"(^(?i)(?P<a>x+))",               // flags
           R"(^(?P<a>\pL+))",                 // Unicode class
           R"(^(?P<a>[[:alpha:]]+))",         // POSIX class
           R"(^(?P<a>(?:ab)+))",              // repeated group
           R"(^(?P<a>\bx))",                  // word boundary
           R"(^(?P<a>é+))",                   // non-ASCII literal
       }) {
    auto re = compile_re2(pattern);
    ASSERT_TRUE(re->ok()) << pattern << ": " << re->error();
    EXPECT_EQ(RegexSplitter::compile(*re), nullptr) << pattern;
  }
}

TEST(RegexSplitterEquivalenceTest, NonDefaultOptionsAreRefused) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_longest_match(true);
  RE2 re("^(?P<a>\\S+) (?P<b>\\S+)", options);
  ASSERT_TRUE(re.ok());
  EXPECT_EQ(RegexSplitter::compile(re), nullptr);
}

// A random pattern of the supported grammar (the splitter may still refuse it, e.g. when runs
// overlap), built from pieces over a small alphabet so random texts often match.
std::string random_pattern(std::mt19937_64& rng, int depth = 0) {
  static const std::vector<std::string> kAtoms = {
      "a",     "b",     " ",     "\"",   "\\]",    "\\[",      "-",      "\\.",    "\\S",
      "\\s",   "\\d",   "\\D",   "\\w",  "\\W",    ".",        "[^\"]",  "[^ ]",   "[^\\]]",
      "[a-c]", "[^ab]", "[ab-]", "[-a]", "[0-9a]", "[^\\s\"]", "[\\d ]", "[^\\d]", "x"};
  static const std::vector<std::string> kQuantifiers = {"",  "",    "",      "*",    "+",
                                                        "?", "{2}", "{1,3}", "{2,}", "{0,2}"};
  std::string out;
  const int items = 1 + static_cast<int>(rng() % 5);
  for (int i = 0; i < items; ++i) {
    const int kind = static_cast<int>(rng() % 10);
    if (kind < 6 || depth >= 2) {
      out += pick(rng, kAtoms) + pick(rng, kQuantifiers);
    } else {
      const int group = static_cast<int>(rng() % 3);
      out += group == 0 ? "(" : group == 1 ? "(?:" : "(?P<g" + std::to_string(rng() % 100000) + ">";
      out += random_pattern(rng, depth + 1);
      out += ")";
      out += pick(rng, {"", "", "?"});
    }
  }
  return out;
}

std::string random_text(std::mt19937_64& rng) {
  static const std::string kBytes =
      std::string("ab \"]-[.x0123456789cABZ_\t\n") + '\0' + "\xc3\xa9";
  std::string text;
  const size_t n = rng() % 14;
  for (size_t i = 0; i < n; ++i) {
    text.push_back(kBytes[rng() % kBytes.size()]);
  }
  return text;
}

TEST(RegexSplitterEquivalenceTest, RandomPatternsMatchRe2OnRandomTexts) {
  std::mt19937_64 rng(3);
  int supported = 0;
  Tally tally;
  for (int p = 0; p < 6000; ++p) {
    std::string pattern = "^" + random_pattern(rng) + (rng() % 4 == 0 ? "$" : "");
    auto re = compile_re2(pattern);
    if (!re->ok()) {
      continue;  // e.g. duplicate group names
    }
    auto splitter = RegexSplitter::compile(*re);
    if (splitter == nullptr) {
      continue;
    }
    ++supported;
    for (int t = 0; t < 300; ++t) {
      check(*re, *splitter, random_text(rng), tally);
      if (HasFatalFailure()) {
        return;
      }
    }
  }
  EXPECT_GT(supported, 1000);
  EXPECT_GT(tally.match, 20000);
  EXPECT_GT(tally.no_match, 20000);
}

}  // namespace
}  // namespace sluice
