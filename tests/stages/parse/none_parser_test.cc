#include "stages/parse/none_parser.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

namespace sluice {
namespace {

class NoneParserTest : public ::testing::Test {
 protected:
  std::unique_ptr<Parser> parser() {
    options_.format = ParseOptions::Format::kNone;
    auto made = make_none_parser(options_, schema_);
    EXPECT_TRUE(made.ok());
    return std::move(made.value());
  }

  static void add(Batch& batch, std::string_view line) {
    Event& e = batch.events.emplace_back();
    e.raw = Span{static_cast<uint32_t>(batch.text.size()), static_cast<uint32_t>(line.size())};
    batch.text.append(line);
    batch.text.push_back('\n');
  }

  ParseOptions options_;
  Schema schema_;
};

TEST_F(NoneParserTest, LineIsTheMessageField) {
  Slot message = schema_.intern("message");
  auto p = parser();
  Batch batch;
  add(batch, "hello world");
  add(batch, "second");
  p->parse(batch);
  ASSERT_NE(batch.layout, nullptr);
  EXPECT_EQ(batch.layout->names, (std::vector<std::string>{"message"}));
  const Event& e = batch.events[1];
  ASSERT_EQ(e.state, EventState::kParsed);
  ASSERT_EQ(e.field_count, 1u);
  const Field& f = batch.fields[e.first_field];
  EXPECT_EQ(batch.field_name(f), "message");
  EXPECT_EQ(f.flags, Field::kNameInLayout);
  EXPECT_EQ(f.type, FieldType::kString);
  EXPECT_EQ(f.value.off, e.raw.off);
  EXPECT_EQ(batch.str(f.value), "second");
  EXPECT_EQ(batch.field(e, message), &f);
}

TEST_F(NoneParserTest, EmptyLineIsAnEmptyMessage) {
  auto p = parser();
  Batch batch;
  add(batch, "");
  p->parse(batch);
  const Event& e = batch.events[0];
  ASSERT_EQ(e.state, EventState::kParsed);
  ASSERT_EQ(e.field_count, 1u);
  EXPECT_EQ(batch.str(batch.fields[0].value), "");
}

TEST_F(NoneParserTest, OtherSlotsStayEmpty) {
  Slot other = schema_.intern("other");
  Slot message = schema_.intern("message");
  auto p = parser();
  Batch batch;
  add(batch, "x");
  p->parse(batch);
  ASSERT_EQ(batch.slot_fields.size(), 2u);
  EXPECT_EQ(batch.field(batch.events[0], other), nullptr);
  EXPECT_NE(batch.field(batch.events[0], message), nullptr);
}

TEST_F(NoneParserTest, DeclaredTypeConvertsTheMessage) {
  options_.types = {{"message", FieldType::kInt}};
  auto p = parser();
  Batch batch;
  add(batch, "-17");
  p->parse(batch);
  ASSERT_EQ(batch.events[0].state, EventState::kParsed);
  EXPECT_EQ(batch.fields[0].type, FieldType::kInt);
  EXPECT_EQ(batch.fields[0].num.i, -17);
}

TEST_F(NoneParserTest, MessageThatDoesNotConvertIsParseError) {
  options_.types = {{"message", FieldType::kFloat}};
  auto p = parser();
  Batch batch;
  add(batch, "not a number");
  add(batch, "2.5");
  p->parse(batch);
  const Event& bad = batch.events[0];
  EXPECT_EQ(bad.state, EventState::kParseError);
  EXPECT_EQ(batch.str(bad.error), "field 'message': cannot convert 'not a number' to float");
  EXPECT_EQ(bad.field_count, 0u);
  const Event& good = batch.events[1];
  ASSERT_EQ(good.state, EventState::kParsed);
  EXPECT_EQ(good.first_field, 0u);
  EXPECT_EQ(batch.fields[0].num.f, 2.5);
}

TEST_F(NoneParserTest, LongValueIsShortenedInTheError) {
  options_.types = {{"message", FieldType::kInt}};
  auto p = parser();
  Batch batch;
  add(batch, std::string(100, 'x'));
  p->parse(batch);
  EXPECT_EQ(batch.str(batch.events[0].error),
            "field 'message': cannot convert '" + std::string(64, 'x') + "...' to int");
}

}  // namespace
}  // namespace sluice
