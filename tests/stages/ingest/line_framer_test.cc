#include "stages/ingest/line_framer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "stages/byte_masks.h"
#include "tests/stages/ingest/framing_util.h"

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

  // `count` lines of `length` bytes (with their "\n") come out whole, framed at once and in
  // each of the chunk sizes.
  void expect_whole_lines(size_t length, uint64_t count, std::initializer_list<size_t> chunks);

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

// The framer scans 64-byte blocks: lines that end on both sides of block boundaries, and framing
// that starts at offsets that are not block-aligned.

// Splits at every '\n', dropping one trailing '\r' and blank lines: what the framer must find.
Lines reference_lines(const std::string& input) {
  Lines out;
  uint64_t line = 0;
  size_t start = 0;
  while (start < input.size()) {
    size_t end = input.find('\n', start);
    size_t next = end == std::string::npos ? input.size() : end + 1;
    end = end == std::string::npos ? input.size() : end;
    ++line;
    std::string text = input.substr(start, end - start);
    if (!text.empty() && text.back() == '\r') {
      text.pop_back();
    }
    if (!text.empty()) {
      out.emplace_back(text, line);
    }
    start = next;
  }
  return out;
}

// Frames `input` the way a stream reader fills one batch: `chunk` more bytes at a time.
Lines frame_lines_in_chunks(const ParseOptions& options, const Schema& schema,
                            const std::string& input, size_t chunk) {
  LineFramer framer(options, schema);
  Batch batch;
  frame_in_chunks(framer, batch, input, chunk);
  return lines(batch);
}

void LineFramerTest::expect_whole_lines(size_t length, uint64_t count,
                                        std::initializer_list<size_t> chunks) {
  std::string input;
  Lines expected;
  for (uint64_t n = 1; n <= count; ++n) {
    std::string line(length - 1, static_cast<char>('a' + n));
    expected.emplace_back(line, n);
    input += line + "\n";
  }
  EXPECT_EQ(frame_all(input), expected) << length;
  EXPECT_EQ(returned_, input.size());
  for (size_t chunk : chunks) {
    EXPECT_EQ(frame_lines_in_chunks(options_, schema_, input, chunk), expected)
        << length << " in chunks of " << chunk;
  }
}

TEST_F(LineFramerTest, LinesOf63And64And65Bytes) {
  for (size_t length : {2, 3, 62, 63, 64, 65, 66, 127, 128, 129, 200}) {
    expect_whole_lines(length, 5, {1, 63, 64, 65, 100});
  }
}

TEST_F(LineFramerTest, LinesAroundChunkBoundaries) {
  // The masks are made a chunk at a time: lines end just before, at and after chunk ends.
  for (size_t length : {kMaskChunkBytes - 1, kMaskChunkBytes, kMaskChunkBytes + 1}) {
    expect_whole_lines(length, 3, {1000, 4095, 4097});
  }
}

TEST_F(LineFramerTest, CrLfSplitByABlockBoundary) {
  std::string input = std::string(63, 'a') + "\r\nb\r\n";
  EXPECT_EQ(frame_all(input), (Lines{{std::string(63, 'a'), 1}, {"b", 2}}));
}

TEST_F(LineFramerTest, LastLineWithoutNewlineEndingInsideABlock) {
  std::string input = std::string(64, 'a') + "\n" + std::string(70, 'b');
  EXPECT_EQ(frame_all(input, false), (Lines{{std::string(64, 'a'), 1}}));
  EXPECT_EQ(returned_, 65u);
  EXPECT_EQ(frame_all(input), (Lines{{std::string(64, 'a'), 1}, {std::string(70, 'b'), 2}}));
}

TEST_F(LineFramerTest, RandomInputsMatchReferenceInChunks) {
  std::mt19937 rng(5);
  const char alphabet[] = {'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', '\n', '\r'};
  for (int round = 0; round < 500; ++round) {
    std::string input;
    size_t length = rng() % 300;
    for (size_t i = 0; i < length; ++i) {
      input.push_back(alphabet[rng() % sizeof(alphabet)]);
    }
    Lines expected = reference_lines(input);
    ASSERT_EQ(frame_all(input), expected) << input;
    for (size_t chunk : {1, 13, 64, 65}) {
      ASSERT_EQ(frame_lines_in_chunks(options_, schema_, input, chunk), expected)
          << input << " in chunks of " << chunk;
    }
  }
}

TEST_F(LineFramerTest, ResumingAScanFindsTheSameLines) {
  // A long line arriving in pieces, then the rest of it with two more lines: each call resumes
  // where the previous one stopped looking, with the line's start still at 0.
  const std::string text = std::string(300, 'a') + "\r\nb\n\nc";
  LineFramer framer(options_, schema_);
  batch_.text = text;
  size_t begin = 0;
  size_t scanned = 0;
  for (size_t end : {64u, 65u, 200u, 301u}) {
    begin = framer.frame_resuming(batch_, begin, scanned, end, false);
    EXPECT_EQ(begin, 0u) << "no line ends before " << end;
    scanned = end;
  }
  begin = framer.frame_resuming(batch_, begin, scanned, text.size(), true);
  EXPECT_EQ(begin, text.size());
  EXPECT_EQ(lines(batch_), (Lines{{std::string(300, 'a'), 1}, {"b", 2}, {"c", 4}}));
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
