#include "stages/sinks/raw_encoder.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "stages/schema.h"
#include "stages/sinks/encoder.h"
#include "tests/stages/sinks/encoder_test_batch.h"

namespace sluice {
namespace {

std::unique_ptr<Encoder> raw_encoder(Schema& schema, bool dead_letter = false) {
  EncoderOptions options;
  options.kind = EncoderOptions::Kind::kRaw;
  options.dead_letter = dead_letter;
  auto encoder = make_encoder(options, schema);
  EXPECT_TRUE(encoder.ok());
  return std::move(encoder).value();
}

TEST(RawEncoder, WritesRawTextAndNewline) {
  Schema schema;
  auto encoder = raw_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("first line").field("a", "parsed");
  b.event("second");
  EXPECT_EQ(encode_all(*encoder, b), "first line\nsecond\n");
}

TEST(RawEncoder, BytesUnchanged) {
  Schema schema;
  auto encoder = raw_encoder(schema);
  EncoderTestBatch b(schema);
  // Quotes, backslash, a control character, invalid UTF-8, an embedded newline and a NUL.
  const std::string raw("q\"\\\t\x01\xFF\xC0 \"multi\nline\"\0end", 24);
  b.event(raw);
  std::string expected = raw;
  expected.push_back('\n');
  EXPECT_EQ(encode_all(*encoder, b), expected);
}

TEST(RawEncoder, EmptyRecord) {
  Schema schema;
  auto encoder = raw_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("");
  EXPECT_EQ(encode_all(*encoder, b), "\n");
}

TEST(RawEncoder, OnlyListedEventsInOrder) {
  Schema schema;
  auto encoder = raw_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("a");
  b.event("b");
  b.event("c");
  Batch& batch = b.finish();
  std::vector<uint32_t> events = {2, 1};
  std::string out = ">";
  encoder->encode(batch, events, out);
  EXPECT_EQ(out, ">c\nb\n");
}

TEST(RawEncoder, DeadLetterWritesRawOnly) {
  Schema schema;
  auto encoder = raw_encoder(schema, /*dead_letter=*/true);
  EncoderTestBatch b(schema);
  b.error_event("not,enough", "expected 3 fields, got 2", 3);
  EXPECT_EQ(encode_all(*encoder, b), "not,enough\n");
}

TEST(RawEncoder, WritesTheEventsOwnRawEvenBesideAFieldOfThatName) {
  Schema schema;
  auto encoder = raw_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("real line").field("_raw", "forged");
  EXPECT_EQ(encode_all(*encoder, b), "real line\n");
}

TEST(RawEncoder, BeginWritesNothing) {
  Schema schema;
  auto encoder = raw_encoder(schema);
  std::string out;
  encoder->begin(out);
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

// A batch as a line reader leaves it: lines back to back in the text, each raw span without its
// "\n".
void read_lines(Batch& b, std::string_view text) {
  b.text.assign(text);
  uint32_t start = 0;
  for (uint32_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      Event e;
      e.raw = Span{start, i - start};
      e.state = EventState::kParsed;
      b.events.push_back(e);
      start = i + 1;
    }
  }
}

std::string concat(const Batch& b, const std::vector<Span>& ranges) {
  std::string out;
  for (Span r : ranges) {
    out.append(b.str(r));
  }
  return out;
}

TEST(RawEncoderInPlace, AdjacentLinesAreOneRangeOfTheInput) {
  Schema schema;
  auto encoder = raw_encoder(schema);
  Batch b;
  read_lines(b, "one\ntwo\n\nfour\n");
  std::vector<uint32_t> all = {0, 1, 2, 3};
  std::vector<Span> ranges;
  std::vector<uint32_t> ends;
  ASSERT_TRUE(encoder->encode_in_place(b, all, ranges, ends));
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(concat(b, ranges), "one\ntwo\n\nfour\n");
  EXPECT_EQ(ends, (std::vector<uint32_t>{4, 8, 9, 14})) << "each line ends after its newline";
  std::string copied;
  encoder->encode(b, all, copied);
  EXPECT_EQ(copied, concat(b, ranges));
}

TEST(RawEncoderInPlace, SkippedEventsSplitTheRanges) {
  Schema schema;
  auto encoder = raw_encoder(schema);
  Batch b;
  read_lines(b, "a\nb\nc\nd\n");
  std::vector<uint32_t> some = {0, 2, 3};
  std::vector<Span> ranges;
  std::vector<uint32_t> ends;
  ASSERT_TRUE(encoder->encode_in_place(b, some, ranges, ends));
  EXPECT_EQ(ranges.size(), 2u);
  EXPECT_EQ(concat(b, ranges), "a\nc\nd\n");
  EXPECT_EQ(ends, (std::vector<uint32_t>{2, 4, 6})) << "counted over the ranges end to end";
}

TEST(RawEncoderInPlace, DeclinesWhenARawIsNotFollowedByANewline) {
  Schema schema;
  auto encoder = raw_encoder(schema);
  // The last record had no final newline (the reader appended nothing after it), and a record
  // whose raw was cut (oversized) is followed by other bytes: both must be copied, with "\n".
  Batch b;
  read_lines(b, "a\nb\n");
  b.text.append("tail");
  Event last;
  last.raw = Span{4, 4};
  last.state = EventState::kParsed;
  b.events.push_back(last);
  std::vector<uint32_t> all = {0, 1, 2};
  std::vector<Span> ranges = {Span{0, 1}};
  std::vector<uint32_t> ends = {1};
  EXPECT_FALSE(encoder->encode_in_place(b, all, ranges, ends));
  EXPECT_EQ(ranges.size(), 1u);  // what was there before is untouched
  EXPECT_EQ(ends, std::vector<uint32_t>{1});
  std::string copied;
  encoder->encode(b, all, copied);
  EXPECT_EQ(copied, "a\nb\ntail\n");
}

}  // namespace
}  // namespace sluice
