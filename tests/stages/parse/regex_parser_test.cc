#include "stages/parse/regex_parser.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stages/regex_syntax.h"

namespace sluice {
namespace {

class RegexParserTest : public ::testing::Test {
 protected:
  void SetUp() override { options_.format = ParseOptions::Format::kRegex; }

  std::unique_ptr<Parser> parser(const std::string& pattern) {
    options_.pattern = pattern;
    auto made = make_regex_parser(options_, schema_);
    EXPECT_TRUE(made.ok()) << made.status().message();
    return std::move(made.value());
  }

  // Appends `line` (and a '\n' after it, as in a file) as a framed event.
  static void add(Batch& batch, std::string_view line) {
    Event& e = batch.events.emplace_back();
    e.raw = Span{static_cast<uint32_t>(batch.text.size()), static_cast<uint32_t>(line.size())};
    batch.text.append(line);
    batch.text.push_back('\n');
  }

  // name=value pairs of the event's fields, in order.
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
};

TEST_F(RegexParserTest, NamedGroupsWithPSyntaxAreFieldsInGroupOrder) {
  auto p = parser(R"((?P<host>\S+) (?P<method>[A-Z]+) (?P<status>\d+))");
  Batch batch;
  add(batch, "web1 GET 200");
  p->parse(batch);
  ASSERT_EQ(batch.events[0].state, EventState::kParsed);
  EXPECT_EQ(fields(batch, batch.events[0]),
            (std::vector<std::string>{"host=web1", "method=GET", "status=200"}));
  ASSERT_NE(batch.layout, nullptr);
  EXPECT_EQ(batch.layout->names, (std::vector<std::string>{"host", "method", "status"}));
}

TEST_F(RegexParserTest, AngleBracketGroupSyntaxIsAccepted) {
  auto p = parser(R"((?<host>\S+) (?<status>\d+))");
  Batch batch;
  add(batch, "web1 404");
  p->parse(batch);
  ASSERT_EQ(batch.events[0].state, EventState::kParsed);
  EXPECT_EQ(fields(batch, batch.events[0]), (std::vector<std::string>{"host=web1", "status=404"}));
}

TEST_F(RegexParserTest, UnnamedGroupsAreNotFields) {
  auto p = parser(R"((\w+)-(?P<b>\w+)-(?:\w+)-(?P<d>\w+))");
  Batch batch;
  add(batch, "a-b-c-d");
  p->parse(batch);
  ASSERT_EQ(batch.events[0].state, EventState::kParsed);
  EXPECT_EQ(fields(batch, batch.events[0]), (std::vector<std::string>{"b=b", "d=d"}));
}

TEST_F(RegexParserTest, GroupThatDidNotTakePartIsAbsent) {
  Slot a = schema_.intern("a");
  Slot b = schema_.intern("b");
  auto p = parser(R"((?P<a>x)?(?P<b>y))");
  Batch batch;
  add(batch, "y");
  p->parse(batch);
  const Event& e = batch.events[0];
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(fields(batch, e), (std::vector<std::string>{"b=y"}));
  EXPECT_EQ(batch.field(e, a), nullptr);
  ASSERT_NE(batch.field(e, b), nullptr);
  EXPECT_EQ(batch.str(batch.field(e, b)->value), "y");
}

TEST_F(RegexParserTest, GroupMatchingEmptyTextIsPresent) {
  auto p = parser(R"((?P<a>x*)y)");
  Batch batch;
  add(batch, "y");
  p->parse(batch);
  ASSERT_EQ(batch.events[0].state, EventState::kParsed);
  EXPECT_EQ(fields(batch, batch.events[0]), (std::vector<std::string>{"a="}));
}

TEST_F(RegexParserTest, LineThatDoesNotMatchIsParseError) {
  auto p = parser(R"(^(?P<n>\d+)$)");
  Batch batch;
  add(batch, "abc");
  p->parse(batch);
  const Event& e = batch.events[0];
  EXPECT_EQ(e.state, EventState::kParseError);
  EXPECT_EQ(batch.str(e.error), "does not match pattern");
  EXPECT_EQ(e.field_count, 0u);
}

TEST_F(RegexParserTest, SearchIsUnanchored) {
  auto p = parser(R"((?P<n>\d+))");
  Batch batch;
  add(batch, "abc 42 def 7");
  p->parse(batch);
  ASSERT_EQ(batch.events[0].state, EventState::kParsed);
  EXPECT_EQ(fields(batch, batch.events[0]), (std::vector<std::string>{"n=42"}));
}

// RE2 matches UTF-8: a byte that is not valid UTF-8 is matched only by \C, so a pattern that
// must consume one with `.` or `\S` does not match; elsewhere in the line it does no harm.
TEST_F(RegexParserTest, InvalidUtf8IsMatchedOnlyByAnyByte) {
  auto p = parser(R"((?P<a>\S+) (?P<b>x))");
  Batch batch;
  add(batch, "\xff\xfe x");
  add(batch, "\xff ok x");
  p->parse(batch);
  EXPECT_EQ(batch.events[0].state, EventState::kParseError);
  ASSERT_EQ(batch.events[1].state, EventState::kParsed);
  auto q = parser(R"((?P<a>\C+) (?P<b>x))");
  Batch batch2;
  add(batch2, "\xff\xfe x");
  q->parse(batch2);
  ASSERT_EQ(batch2.events[0].state, EventState::kParsed);
  EXPECT_EQ(fields(batch2, batch2.events[0]), (std::vector<std::string>{"a=\xff\xfe", "b=x"}));
}

TEST_F(RegexParserTest, ValuesPointIntoTheRawLine) {
  auto p = parser(R"((?P<a>\w+) (?P<b>\w+))");
  Batch batch;
  add(batch, "first line");
  add(batch, "second one");
  const size_t text_size = batch.text.size();
  p->parse(batch);
  EXPECT_EQ(batch.text.size(), text_size);
  const Field& b = batch.fields[batch.events[1].first_field + 1];
  EXPECT_EQ(b.value.off, batch.events[1].raw.off + 7);
  EXPECT_EQ(b.value.len, 3u);
  EXPECT_EQ(b.flags, Field::kNameInLayout);
  EXPECT_EQ(b.name.off, 1u);
}

TEST_F(RegexParserTest, DeclaredTypesConvert) {
  options_.types = {{"status", FieldType::kInt},
                    {"latency", FieldType::kFloat},
                    {"ok", FieldType::kBool},
                    {"ts", FieldType::kTimestamp}};
  auto p = parser(R"((?P<ts>\S+) (?P<status>\S+) (?P<latency>\S+) (?P<ok>\S+) (?P<path>\S+))");
  Batch batch;
  add(batch, "1970-01-01T00:00:01Z 503 0.25 yes /x");
  p->parse(batch);
  const Event& e = batch.events[0];
  ASSERT_EQ(e.state, EventState::kParsed);
  ASSERT_EQ(e.field_count, 5u);
  const Field* f = &batch.fields[e.first_field];
  EXPECT_EQ(f[0].type, FieldType::kTimestamp);
  EXPECT_EQ(f[0].num.i, 1000000000);
  EXPECT_EQ(f[1].type, FieldType::kInt);
  EXPECT_EQ(f[1].num.i, 503);
  EXPECT_EQ(batch.str(f[1].value), "503");
  EXPECT_EQ(f[2].type, FieldType::kFloat);
  EXPECT_EQ(f[2].num.f, 0.25);
  EXPECT_EQ(f[3].type, FieldType::kBool);
  EXPECT_EQ(f[3].num.i, 1);
  EXPECT_EQ(f[4].type, FieldType::kString);
}

TEST_F(RegexParserTest, ValueThatDoesNotConvertIsParseError) {
  options_.types = {{"status", FieldType::kInt}};
  auto p = parser(R"((?P<host>\S+) (?P<status>\S+))");
  Batch batch;
  add(batch, "web1 abc");
  add(batch, "web2 200");
  p->parse(batch);
  const Event& bad = batch.events[0];
  EXPECT_EQ(bad.state, EventState::kParseError);
  EXPECT_EQ(batch.str(bad.error), "field 'status': cannot convert 'abc' to int");
  EXPECT_EQ(bad.field_count, 0u);
  const Event& good = batch.events[1];
  ASSERT_EQ(good.state, EventState::kParsed);
  EXPECT_EQ(good.first_field, 0u);  // the failed event's fields were taken back
  EXPECT_EQ(fields(batch, good), (std::vector<std::string>{"host=web2", "status=200"}));
}

TEST_F(RegexParserTest, SlotsMapToGroupsAndMissingNamesStayEmpty) {
  Slot other = schema_.intern("other");
  Slot status = schema_.intern("status");
  Slot host = schema_.intern("host");
  auto p = parser(R"((?P<host>\S+) (?P<status>\d+))");
  Batch batch;
  add(batch, "web1 200");
  add(batch, "web2 500");
  p->parse(batch);
  ASSERT_EQ(batch.slot_fields.size(), 6u);
  const Event& e = batch.events[1];
  EXPECT_EQ(e.slot_base, 3u);
  EXPECT_EQ(batch.field(e, other), nullptr);
  EXPECT_EQ(batch.str(batch.field(e, status)->value), "500");
  EXPECT_EQ(batch.str(batch.field(e, host)->value), "web2");
}

TEST_F(RegexParserTest, EventsNotFramedAreLeftAlone) {
  auto p = parser(R"((?P<a>\w+))");
  Batch batch;
  add(batch, "x");
  batch.events[0].state = EventState::kParseError;
  add(batch, "y");
  p->parse(batch);
  EXPECT_EQ(batch.events[0].state, EventState::kParseError);
  EXPECT_EQ(batch.events[0].field_count, 0u);
  EXPECT_EQ(batch.events[1].state, EventState::kParsed);
  EXPECT_EQ(fields(batch, batch.events[1]), (std::vector<std::string>{"a=y"}));
}

TEST_F(RegexParserTest, MakeParserBuildsRegexParser) {
  options_.pattern = R"((?<a>\w+))";
  auto made = make_parser(options_, schema_);
  ASSERT_TRUE(made.ok());
  Batch batch;
  add(batch, "hello");
  made.value()->parse(batch);
  EXPECT_EQ(fields(batch, batch.events[0]), (std::vector<std::string>{"a=hello"}));
}

TEST(RegexFieldNames, ReturnsNamesInGroupOrder) {
  auto names = regex_field_names(R"((?P<b>x)(y)(?<a>z)((?P<c>w)))");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names.value(), (std::vector<std::string>{"b", "a", "c"}));
}

TEST(RegexFieldNames, PatternRe2RejectsCarriesRe2Reason) {
  auto names = regex_field_names("(?P<a>x");
  ASSERT_FALSE(names.ok());
  EXPECT_EQ(names.status().message(), "invalid regex pattern: missing ): (?P<a>x");
}

TEST(RegexFieldNames, LookBehindIsRejectedNotRewritten) {
  auto names = regex_field_names("(?<=a)(?P<b>x)");
  ASSERT_FALSE(names.ok());
  EXPECT_NE(names.status().message().find("invalid regex pattern: "), std::string::npos);
}

TEST(RegexFieldNames, PatternWithoutNamedGroupIsError) {
  auto names = regex_field_names(R"((\d+) (\w+))");
  ASSERT_FALSE(names.ok());
  EXPECT_EQ(names.status().message(),
            "regex pattern has no named group; name the fields with (?P<name>...)");
}

TEST(MakeRegexParser, InvalidPatternIsError) {
  ParseOptions options;
  options.format = ParseOptions::Format::kRegex;
  options.pattern = "[a-";
  Schema schema;
  auto made = make_regex_parser(options, schema);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().message(), "invalid regex pattern: missing ]: [a-");
}

// RE2 itself accepts a name on two groups; as the names come from the configuration, the field-name
// rule (stages/parse/parser.h) makes it an error at load, which `validate` reports.
TEST(MakeRegexParser, GroupNamedTwiceIsError) {
  ParseOptions options;
  options.format = ParseOptions::Format::kRegex;
  options.pattern = R"((?P<n>\d+) (?<n>\d+))";
  Schema schema;
  auto made = make_regex_parser(options, schema);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().message(), "regex pattern names `n` twice; field names must be unique");
}

TEST(MakeRegexParser, GroupNamedTwiceInAlternativesIsError) {
  auto names = regex_field_names(R"((?P<n>a)|(?P<n>b))");
  ASSERT_FALSE(names.ok());
  EXPECT_EQ(names.status().message(), "regex pattern names `n` twice; field names must be unique");
}

TEST(MakeRegexParser, GroupWithAMetadataNameIsError) {
  auto names = regex_field_names(R"((?P<_raw>\S+) (?P<m>\S+))");
  ASSERT_FALSE(names.ok());
  EXPECT_EQ(names.status().message(),
            "regex pattern names `_raw`, which is metadata (`_raw`, `_source`, `_error` are every "
            "event's own); choose another name");
}

TEST(RewriteGroupSyntax, AngleGroupBecomesPGroup) {
  EXPECT_EQ(rewrite_named_groups("(?<a>x)(?<b_2>y)"), "(?P<a>x)(?P<b_2>y)");
}

TEST(RewriteGroupSyntax, PGroupIsUnchanged) {
  EXPECT_EQ(rewrite_named_groups("(?P<a>x)"), "(?P<a>x)");
}

TEST(RewriteGroupSyntax, EscapedParenthesisIsUnchanged) {
  EXPECT_EQ(rewrite_named_groups(R"(\(?<a>x)"), R"(\(?<a>x)");
  EXPECT_EQ(rewrite_named_groups(R"(\\(?<a>x))"), R"(\\(?P<a>x))");
}

TEST(RewriteGroupSyntax, CharacterClassIsUnchanged) {
  EXPECT_EQ(rewrite_named_groups("[(?<a>]"), "[(?<a>]");
  EXPECT_EQ(rewrite_named_groups("[](?<a>](?<b>x)"), "[](?<a>](?P<b>x)");
  EXPECT_EQ(rewrite_named_groups("[^](?<a>](?<b>x)"), "[^](?<a>](?P<b>x)");
  EXPECT_EQ(rewrite_named_groups("[[:alpha:](?<a>](?<b>x)"), "[[:alpha:](?<a>](?P<b>x)");
  EXPECT_EQ(rewrite_named_groups(R"([\](?<a>](?<b>x))"), R"([\](?<a>](?P<b>x))");
}

TEST(RewriteGroupSyntax, QuotedLiteralIsUnchanged) {
  EXPECT_EQ(rewrite_named_groups(R"(\Q(?<a>\E(?<b>x))"), R"(\Q(?<a>\E(?P<b>x))");
}

TEST(RewriteGroupSyntax, LookBehindIsUnchanged) {
  EXPECT_EQ(rewrite_named_groups("(?<=a)(?<!b)"), "(?<=a)(?<!b)");
}

}  // namespace
}  // namespace sluice
