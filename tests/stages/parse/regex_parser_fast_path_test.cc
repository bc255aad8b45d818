// RegexParser with a pattern RegexSplitter handles: lines the splitter settles, lines it leaves
// to RE2 (non-ASCII inside a class) and lines that do not match all come out as with RE2 alone.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stages/parse/regex_parser.h"

namespace sluice {
namespace {

constexpr char kNginx[] =
    R"re(^(?<remote_addr>\S+) - (?<remote_user>\S+) \[(?<time_local>[^\]]+)\] "(?<method>[A-Z]+) (?<path>[^ "]*)(?: (?<protocol>[^"]*))?" (?<status>\d{3}) (?<bytes>\d+) "(?<referer>[^"]*)" "(?<agent>[^"]*)")re";

class RegexParserFastPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.format = ParseOptions::Format::kRegex;
    options_.pattern = kNginx;
    options_.types = {{"status", FieldType::kInt}, {"bytes", FieldType::kInt}};
    for (const auto& [name, type] : options_.types) {
      schema_.declare_type(schema_.intern(name), type);
    }
    auto made = make_regex_parser(options_, schema_);
    ASSERT_TRUE(made.ok()) << made.status().message();
    parser_ = std::move(made.value());
  }

  static void add(Batch& batch, std::string_view line) {
    Event& e = batch.events.emplace_back();
    e.raw = Span{static_cast<uint32_t>(batch.text.size()), static_cast<uint32_t>(line.size())};
    batch.text.append(line);
    batch.text.push_back('\n');
  }

  static std::vector<std::string> fields(const Batch& batch, const Event& e) {
    std::vector<std::string> out;
    for (uint32_t i = 0; i < e.field_count; ++i) {
      const Field& f = batch.fields[e.first_field + i];
      out.push_back(std::string(batch.field_name(f)) + "=" + std::string(batch.str(f.value)));
    }
    return out;
  }

  ParseOptions options_;
  Schema schema_;
  std::unique_ptr<Parser> parser_;
};

TEST_F(RegexParserFastPathTest, CombinedLineGivesEveryGroupAndTypedNumbers) {
  Batch batch;
  add(batch, R"(10.0.2.197 - - [01/Jan/2026:00:00:00 +0000] "GET /a HTTP/1.1" 201 42 "-" "ua")");
  parser_->parse(batch);
  const Event& e = batch.events[0];
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(fields(batch, e),
            (std::vector<std::string>{"remote_addr=10.0.2.197", "remote_user=-",
                                      "time_local=01/Jan/2026:00:00:00 +0000", "method=GET",
                                      "path=/a", "protocol=HTTP/1.1", "status=201", "bytes=42",
                                      "referer=-", "agent=ua"}));
  EXPECT_EQ(batch.fields[e.first_field + 6].num.i, 201);
  EXPECT_EQ(batch.fields[e.first_field + 7].num.i, 42);
}

TEST_F(RegexParserFastPathTest, RequestWithoutProtocolLeavesTheFieldOut) {
  Batch batch;
  add(batch, R"(1.2.3.4 - bob [t] "GET /" 404 0 "" "")");
  parser_->parse(batch);
  const Event& e = batch.events[0];
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(fields(batch, e),
            (std::vector<std::string>{"remote_addr=1.2.3.4", "remote_user=bob", "time_local=t",
                                      "method=GET", "path=/", "status=404", "bytes=0",
                                      "referer=", "agent="}));
}

TEST_F(RegexParserFastPathTest, NonAsciiAgentIsParsedByRe2) {
  Batch batch;
  add(batch, "1.2.3.4 - - [t] \"GET / HTTP/1.1\" 200 5 \"-\" \"caf\xc3\xa9\"");
  parser_->parse(batch);
  const Event& e = batch.events[0];
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(fields(batch, e).back(), "agent=caf\xc3\xa9");
}

TEST_F(RegexParserFastPathTest, InvalidUtf8InAClassDoesNotMatchAsWithRe2) {
  Batch batch;
  add(batch, "1.2.3.4 - - [t] \"GET / HTTP/1.1\" 200 5 \"-\" \"bad\xff\"");
  parser_->parse(batch);
  EXPECT_EQ(batch.events[0].state, EventState::kParseError);
  EXPECT_EQ(batch.str(batch.events[0].error), "does not match pattern");
}

TEST_F(RegexParserFastPathTest, NonMatchingLineIsAParseError) {
  Batch batch;
  add(batch, R"(1.2.3.4 - - [t] "get / HTTP/1.1" 200 5 "-" "ua")");
  parser_->parse(batch);
  EXPECT_EQ(batch.events[0].state, EventState::kParseError);
  EXPECT_EQ(batch.str(batch.events[0].error), "does not match pattern");
}

}  // namespace
}  // namespace sluice
