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

TEST(RawEncoder, BeginWritesNothing) {
  Schema schema;
  auto encoder = raw_encoder(schema);
  std::string out;
  encoder->begin(out);
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace sluice
