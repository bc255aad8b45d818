// OctetCountingFramer: RFC 6587 frames, split anywhere, with bad headers and oversized messages.
#include "stages/ingest/octet_counting_framer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/stages/ingest/framing_util.h"

namespace sluice {
namespace {

struct FramedRecord {
  std::string raw;
  uint64_t position;
  bool error;
  bool operator==(const FramedRecord&) const = default;
};

std::ostream& operator<<(std::ostream& os, const FramedRecord& r) {
  return os << "{\"" << r.raw << "\" #" << r.position << (r.error ? " error}" : "}");
}

std::vector<FramedRecord> framed_records(const Batch& batch) {
  std::vector<FramedRecord> out;
  for (const Event& e : batch.events) {
    out.push_back(FramedRecord{std::string(batch.str(e.raw)), e.position,
                               e.state == EventState::kParseError});
  }
  return out;
}

class OctetCountingFramerTest : public ::testing::Test {
 protected:
  // Frames `input` `chunk` bytes at a time (everything at once for 0), the stream ending after.
  std::vector<FramedRecord> frame(const std::string& input, size_t chunk = 0) {
    OctetCountingFramer framer(options_, schema_, max_event_bytes_);
    Batch batch;
    frame_in_chunks(framer, batch, input, chunk == 0 ? input.size() + 1 : chunk);
    batch_reasons_.clear();
    for (const Event& e : batch.events) {
      batch_reasons_.emplace_back(batch.str(e.error));
    }
    return framed_records(batch);
  }

  ParseOptions options_;
  Schema schema_;
  size_t max_event_bytes_ = 4096;
  std::vector<std::string> batch_reasons_;
};

TEST_F(OctetCountingFramerTest, FramesFollowEachOther) {
  EXPECT_EQ(frame("5 hello6 world!"),
            (std::vector<FramedRecord>{{"hello", 1, false}, {"world!", 2, false}}));
}

TEST_F(OctetCountingFramerTest, MessageMayHoldNewlines) {
  EXPECT_EQ(frame("11 line1\nline2"), (std::vector<FramedRecord>{{"line1\nline2", 1, false}}));
}

TEST_F(OctetCountingFramerTest, LineEndAtTheEndOfAMessageIsDropped) {
  EXPECT_EQ(frame("6 hello\n7 world\r\n"),
            (std::vector<FramedRecord>{{"hello", 1, false}, {"world", 2, false}}));
}

TEST_F(OctetCountingFramerTest, LineEndsBetweenFramesAreSkipped) {
  EXPECT_EQ(frame("5 hello\n\r\n5 world\n"),
            (std::vector<FramedRecord>{{"hello", 1, false}, {"world", 2, false}}));
}

TEST_F(OctetCountingFramerTest, EmptyMessageIsNoRecordButIsCounted) {
  EXPECT_EQ(frame("0 5 hello"), (std::vector<FramedRecord>{{"hello", 2, false}}));
}

TEST_F(OctetCountingFramerTest, SplitAtEveryByteBoundary) {
  const std::string syslog = "<13>1 2024-01-01T00:00:00Z host app - - - " + std::string(52, 'x');
  const std::string input =
      "5 hello\n12 with\nnewline3 abc" + std::to_string(syslog.size()) + " " + syslog;
  const auto whole = frame(input);
  ASSERT_EQ(whole.size(), 4u);
  for (size_t chunk = 1; chunk < input.size(); ++chunk) {
    EXPECT_EQ(frame(input, chunk), whole) << "chunk " << chunk;
  }
}

TEST_F(OctetCountingFramerTest, BadHeaderIsAnErrorUpToTheLineEndThenFramingResumes) {
  EXPECT_EQ(frame("abc def\n5 hello"),
            (std::vector<FramedRecord>{{"abc def", 1, true}, {"hello", 2, false}}));
  EXPECT_NE(batch_reasons_[0].find("not an octet-counted frame"), std::string::npos);
  EXPECT_EQ(frame("12x\n5 hello"),
            (std::vector<FramedRecord>{{"12x", 1, true}, {"hello", 2, false}}));
}

TEST_F(OctetCountingFramerTest, HeaderOfTooManyDigitsIsAnError) {
  EXPECT_EQ(frame("12345678901 x\n5 hello"),
            (std::vector<FramedRecord>{{"12345678901 x", 1, true}, {"hello", 2, false}}));
}

TEST_F(OctetCountingFramerTest, LongGarbageWithoutLineEndIsReportedOnceAndSkipped) {
  const std::string garbage(3000, 'g');
  for (size_t chunk : {0, 7, 1000}) {
    auto got = frame(garbage + "\n5 hello", chunk);
    ASSERT_EQ(got.size(), 2u) << chunk;
    EXPECT_TRUE(got[0].error);
    EXPECT_EQ(got[0].raw, std::string(1024, 'g'));
    EXPECT_EQ(got[1], (FramedRecord{"hello", 2, false})) << chunk;
  }
}

TEST_F(OctetCountingFramerTest, OversizedMessageIsCutAndSkippedByItsCount) {
  const std::string body(5000, 'a');
  for (size_t chunk : {0, 1, 100, 3000}) {
    auto got = frame("5000 " + body + "5 hello", chunk);
    ASSERT_EQ(got.size(), 2u) << chunk;
    EXPECT_EQ(got[0], (FramedRecord{std::string(1024, 'a'), 1, true})) << chunk;
    EXPECT_EQ(got[1], (FramedRecord{"hello", 2, false})) << chunk;
  }
  frame("5000 " + body);
  EXPECT_NE(batch_reasons_[0].find("longer than max_event_bytes (4096"), std::string::npos);
}

TEST_F(OctetCountingFramerTest, FrameCutShortByTheEndOfTheStreamIsAnError) {
  EXPECT_EQ(frame("5 hello10 abc"),
            (std::vector<FramedRecord>{{"hello", 1, false}, {"10 abc", 2, true}}));
}

TEST(LooksOctetCounted, DigitsAndASpace) {
  EXPECT_EQ(looks_octet_counted(""), std::nullopt);
  EXPECT_EQ(looks_octet_counted("12"), std::nullopt);
  EXPECT_EQ(looks_octet_counted("12 "), true);
  EXPECT_EQ(looks_octet_counted("1 <13>"), true);
  EXPECT_EQ(looks_octet_counted("<13>1 2024"), false);
  EXPECT_EQ(looks_octet_counted("2024-01-01 host msg"), false);
  EXPECT_EQ(looks_octet_counted("hello"), false);
  EXPECT_EQ(looks_octet_counted("12345678901 x"), false);
}

}  // namespace
}  // namespace sluice
