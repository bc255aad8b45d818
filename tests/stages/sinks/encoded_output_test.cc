// Encoder::encode into a batch's output: besides the bytes, where each event's message ends (the
// boundaries a per-message sink such as Kafka sends by) and, when the sink names a `key` field,
// each event's key; the same for every encoding, copied or written in place.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "stages/sinks/encoder.h"
#include "tests/stages/sinks/encoder_test_batch.h"

namespace sluice {
namespace {

std::unique_ptr<Encoder> encoder_of(EncoderOptions::Kind kind, Schema& schema, std::string key = "",
                                    std::vector<std::string> columns = {}) {
  EncoderOptions options;
  options.kind = kind;
  options.key = std::move(key);
  options.columns = std::move(columns);
  auto encoder = make_encoder(options, schema);
  EXPECT_TRUE(encoder.ok()) << encoder.status().message();
  return std::move(encoder.value());
}

// The messages of `out`, cut at its ends, from its bytes or its text ranges laid end to end.
std::vector<std::string> messages(const Batch& batch, const Batch::Output& out) {
  std::string all = out.bytes;
  for (Span range : out.text_ranges) {
    all.append(batch.str(range));
  }
  std::vector<std::string> cut;
  uint32_t start = 0;
  for (uint32_t end : out.ends) {
    cut.push_back(all.substr(start, end - start));
    start = end;
  }
  EXPECT_EQ(start, all.size()) << "the last message ends where the output does";
  return cut;
}

// Three json events; the second has no `host`.
Batch& three_events(EncoderTestBatch& b) {
  b.event(R"({"host":"a","n":1})").field("host", "a").field("n", "1");
  b.event(R"({"n":2})").field("n", "2");
  b.event(R"({"host":"c","n":3})").field("host", "c").field("n", "3");
  return b.finish();
}

TEST(EncodedOutput, JsonMessagesEndAfterEachLine) {
  Schema schema;
  auto encoder = encoder_of(EncoderOptions::Kind::kJson, schema);
  EncoderTestBatch b(schema);
  Batch& batch = three_events(b);
  Batch::Output out;
  std::vector<uint32_t> events = {0, 1, 2};
  encoder->encode(batch, events, out);
  EXPECT_EQ(messages(batch, out),
            (std::vector<std::string>{"{\"host\":\"a\",\"n\":\"1\"}\n", "{\"n\":\"2\"}\n",
                                      "{\"host\":\"c\",\"n\":\"3\"}\n"}));
  EXPECT_TRUE(out.keys.empty()) << "no key asked for";
}

TEST(EncodedOutput, CsvMessagesEndAfterEachRowEvenWithAQuotedNewline) {
  Schema schema;
  auto encoder = encoder_of(EncoderOptions::Kind::kCsv, schema, "", {"host", "n"});
  EncoderTestBatch b(schema);
  b.event("x").field("host", "two\nlines").field("n", "1");
  b.event("y").field("host", "b").field("n", "2");
  Batch& batch = b.finish();
  Batch::Output out;
  std::vector<uint32_t> events = {0, 1};
  encoder->encode(batch, events, out);
  EXPECT_EQ(messages(batch, out), (std::vector<std::string>{"\"two\nlines\",1\n", "b,2\n"}));
}

TEST(EncodedOutput, RawLinesWrittenInPlaceHaveTheirEndsToo) {
  Schema schema;
  auto encoder = encoder_of(EncoderOptions::Kind::kRaw, schema);
  EncoderTestBatch b(schema);
  b.event("first");
  b.batch.text.push_back('\n');
  b.event("second");
  b.batch.text.push_back('\n');
  Batch& batch = b.finish();
  Batch::Output out;
  std::vector<uint32_t> events = {0, 1};
  encoder->encode(batch, events, out);
  EXPECT_TRUE(out.bytes.empty()) << "passthrough is not copied";
  EXPECT_EQ(messages(batch, out), (std::vector<std::string>{"first\n", "second\n"}));
}

// The three events, encoded as json keyed by `host`.
class KeyedOutput : public ::testing::Test {
 protected:
  KeyedOutput() : encoder_(encoder_of(EncoderOptions::Kind::kJson, schema_, "host")), b_(schema_) {
    batch_ = &three_events(b_);
  }
  void encode(std::vector<uint32_t> events) { encoder_->encode(*batch_, events, out_); }

  Schema schema_;
  std::unique_ptr<Encoder> encoder_;
  EncoderTestBatch b_;
  Batch* batch_ = nullptr;
  Batch::Output out_;
};

TEST_F(KeyedOutput, KeysAreTheNamedFieldsBytesOrNoKey) {
  encode({2, 1, 0});
  ASSERT_EQ(out_.keys.size(), 3u);
  EXPECT_EQ(batch_->str(out_.keys[0]), "c");
  EXPECT_EQ(out_.keys[1].off, Batch::Output::kNoKey.off) << "the event has no host";
  EXPECT_EQ(batch_->str(out_.keys[2]), "a");
  EXPECT_EQ(out_.ends.size(), 3u);
}

TEST_F(KeyedOutput, EncodingAgainReplacesTheLastBatchsOutputAndKeepsItsBuffers) {
  encode({0, 1, 2});
  const char* bytes = out_.bytes.data();
  const uint32_t* ends = out_.ends.data();
  encode({0});
  EXPECT_EQ(messages(*batch_, out_), std::vector<std::string>{"{\"host\":\"a\",\"n\":\"1\"}\n"});
  EXPECT_EQ(out_.keys.size(), 1u);
  EXPECT_EQ(out_.bytes.data(), bytes) << "no allocation for a batch that fits";
  EXPECT_EQ(out_.ends.data(), ends);
}

TEST_F(KeyedOutput, NoEventsIsAnEmptyOutput) {
  out_.bytes = "stale";
  out_.ends = {5};
  encode({});
  EXPECT_TRUE(out_.bytes.empty());
  EXPECT_TRUE(out_.ends.empty());
  EXPECT_TRUE(out_.keys.empty());
}

}  // namespace
}  // namespace sluice
