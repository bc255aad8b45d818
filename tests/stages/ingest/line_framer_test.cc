#include "stages/ingest/line_framer.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace sluice {
namespace {

using Lines = std::vector<std::pair<std::string, uint64_t>>;

Lines lines(const Batch& batch) {
  Lines out;
  for (const Event& e : batch.events) {
    EXPECT_EQ(e.state, EventState::kFramed);
    out.emplace_back(std::string(batch.str(e.raw)), e.position);
  }
  return out;
}

class LineFramerTest : public ::testing::Test {
 protected:
  Lines frame_all(std::string text, bool at_eof = true) {
    LineFramer framer(options_, schema_);
    batch_.events.clear();
    batch_.text = std::move(text);
    returned_ = framer.frame(batch_, 0, batch_.text.size(), at_eof);
    return lines(batch_);
  }

  ParseOptions options_;
  Schema schema_;
  Batch batch_;
  size_t returned_ = 0;
};

TEST_F(LineFramerTest, LfLines) {
  EXPECT_EQ(frame_all("one\ntwo\n"), (Lines{{"one", 1}, {"two", 2}}));
  EXPECT_EQ(returned_, 8u);
}

TEST_F(LineFramerTest, CrLfIsStripped) {
  EXPECT_EQ(frame_all("one\r\ntwo\r\n"), (Lines{{"one", 1}, {"two", 2}}));
}

TEST_F(LineFramerTest, InnerCrIsKept) { EXPECT_EQ(frame_all("a\rb\n"), (Lines{{"a\rb", 1}})); }

TEST_F(LineFramerTest, FinalLineWithoutNewlineAtEof) {
  EXPECT_EQ(frame_all("one\ntwo"), (Lines{{"one", 1}, {"two", 2}}));
  EXPECT_EQ(returned_, 7u);
}

TEST_F(LineFramerTest, FinalLineWithoutNewlineWaitsBeforeEof) {
  EXPECT_EQ(frame_all("one\ntwo", false), (Lines{{"one", 1}}));
  EXPECT_EQ(returned_, 4u);
}

TEST_F(LineFramerTest, EmptyFinalRemainderIsNoRecord) {
  EXPECT_EQ(frame_all("one\n"), (Lines{{"one", 1}}));
  EXPECT_EQ(returned_, 4u);
  EXPECT_TRUE(frame_all("").empty());
  EXPECT_EQ(returned_, 0u);
}

TEST_F(LineFramerTest, EmptyLinesAreSkippedButCounted) {
  EXPECT_EQ(frame_all("\none\n\r\n\ntwo\n\n"), (Lines{{"one", 2}, {"two", 5}}));
  EXPECT_EQ(returned_, 13u);
}

TEST_F(LineFramerTest, QuotesMeanNothing) {
  EXPECT_EQ(frame_all("\"a\nb\"\n"), (Lines{{"\"a", 1}, {"b\"", 2}}));
}

TEST_F(LineFramerTest, PositionsContinueAcrossCalls) {
  LineFramer framer(options_, schema_);
  batch_.text = "a\nb\nc";
  EXPECT_EQ(framer.frame(batch_, 0, 3, false), 2u);
  EXPECT_EQ(framer.frame(batch_, 2, batch_.text.size(), false), 4u);
  Batch next;
  next.text = "c\nd\n";
  EXPECT_EQ(framer.frame(next, 0, next.text.size(), false), 4u);
  EXPECT_EQ(lines(batch_), (Lines{{"a", 1}, {"b", 2}}));
  EXPECT_EQ(lines(next), (Lines{{"c", 3}, {"d", 4}}));
}

TEST_F(LineFramerTest, ResetRestartsLineNumbers) {
  LineFramer framer(options_, schema_);
  batch_.text = "a\nb\n";
  framer.frame(batch_, 0, batch_.text.size(), false);
  framer.reset();
  framer.frame(batch_, 0, batch_.text.size(), false);
  EXPECT_EQ(lines(batch_), (Lines{{"a", 1}, {"b", 2}, {"a", 1}, {"b", 2}}));
}

TEST_F(LineFramerTest, EverySplitPointGivesSameLines) {
  const std::string input = "one\r\n\ntwo\nthree\r\nfour";
  Lines whole = frame_all(input);
  ASSERT_EQ(whole, (Lines{{"one", 1}, {"two", 3}, {"three", 4}, {"four", 5}}));
  for (size_t split = 0; split <= input.size(); ++split) {
    LineFramer framer(options_, schema_);
    Batch first;
    first.text = input.substr(0, split);
    size_t framed = framer.frame(first, 0, first.text.size(), false);
    Batch second;
    second.text = first.text.substr(framed) + input.substr(split);
    framer.frame(second, 0, second.text.size(), true);
    Lines got = lines(first);
    for (auto& line : lines(second)) {
      got.push_back(line);
    }
    EXPECT_EQ(got, whole) << "split at " << split;
  }
}

TEST_F(LineFramerTest, NoneFormatLayoutIsSet) {
  options_.format = ParseOptions::Format::kNone;
  frame_all("x\n");
  ASSERT_NE(batch_.layout, nullptr);
  EXPECT_EQ(batch_.layout->names, (std::vector<std::string>{"message"}));
}

TEST(MakeFramerTest, OtherFormatsGetLineFramer) {
  Schema schema;
  for (auto format : {ParseOptions::Format::kJson, ParseOptions::Format::kNone}) {
    ParseOptions options;
    options.format = format;
    auto framer = make_framer(options, schema);
    EXPECT_NE(dynamic_cast<LineFramer*>(framer.get()), nullptr);
  }
}

}  // namespace
}  // namespace sluice
