#include "stages/ingest/csv_framer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "stages/parse/parser.h"

namespace sluice {
namespace {

struct Record {
  std::string raw;
  uint64_t position;
  EventState state;
  std::string error;
  bool operator==(const Record&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Record& r) {
  return os << "{raw=\"" << r.raw << "\" line " << r.position << " state "
            << static_cast<int>(r.state) << " error \"" << r.error << "\"}";
}

std::vector<Record> records(const Batch& batch) {
  std::vector<Record> out;
  for (const Event& e : batch.events) {
    out.push_back(Record{std::string(batch.str(e.raw)), e.position, e.state,
                         std::string(batch.str(e.error))});
  }
  return out;
}

Record ok(std::string raw, uint64_t position) {
  return Record{std::move(raw), position, EventState::kFramed, ""};
}

class CsvFramerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.format = ParseOptions::Format::kCsv;
    options_.columns = {"a", "b"};
  }

  // Frames all of `text` in one batch; `returned` gets what frame() returned.
  std::vector<Record> frame_all(std::string_view text, bool at_eof = true) {
    CsvFramer framer(options_, schema_);
    batch_.events.clear();
    batch_.text = text;
    returned_ = framer.frame(batch_, 0, batch_.text.size(), at_eof);
    return records(batch_);
  }

  ParseOptions options_;
  Schema schema_;
  Batch batch_;
  size_t returned_ = 0;
};

TEST_F(CsvFramerTest, LfRecords) {
  EXPECT_EQ(frame_all("a,b\nc,d\n"), (std::vector<Record>{ok("a,b", 1), ok("c,d", 2)}));
  EXPECT_EQ(returned_, 8u);
}

TEST_F(CsvFramerTest, CrLfRecords) {
  EXPECT_EQ(frame_all("a,b\r\nc,d\r\n"), (std::vector<Record>{ok("a,b", 1), ok("c,d", 2)}));
  EXPECT_EQ(returned_, 10u);
}

TEST_F(CsvFramerTest, FinalRecordWithoutNewlineAtEof) {
  EXPECT_EQ(frame_all("a,b\nc,d"), (std::vector<Record>{ok("a,b", 1), ok("c,d", 2)}));
  EXPECT_EQ(returned_, 7u);
}

TEST_F(CsvFramerTest, FinalRecordWithoutNewlineWaitsBeforeEof) {
  EXPECT_EQ(frame_all("a,b\nc,d", false), (std::vector<Record>{ok("a,b", 1)}));
  EXPECT_EQ(returned_, 4u);
}

TEST_F(CsvFramerTest, QuotedLfDoesNotEndRecord) {
  EXPECT_EQ(frame_all("\"x\ny\",b\nc,d\n"),
            (std::vector<Record>{ok("\"x\ny\",b", 1), ok("c,d", 3)}));
}

TEST_F(CsvFramerTest, QuotedCrLfDoesNotEndRecord) {
  EXPECT_EQ(frame_all("a,\"x\r\n\r\ny\"\r\nc,d\r\n"),
            (std::vector<Record>{ok("a,\"x\r\n\r\ny\"", 1), ok("c,d", 4)}));
}

TEST_F(CsvFramerTest, EscapedQuotesKeepQuotedState) {
  EXPECT_EQ(frame_all("\"\"\"\n\"\"\",b\nc,d\n"),
            (std::vector<Record>{ok("\"\"\"\n\"\"\",b", 1), ok("c,d", 3)}));
}

TEST_F(CsvFramerTest, QuoteInsideUnquotedFieldDoesNotOpenQuote) {
  EXPECT_EQ(frame_all("ab\"c,d\ne,f\"\ng,h\n"),
            (std::vector<Record>{ok("ab\"c,d", 1), ok("e,f\"", 2), ok("g,h", 3)}));
}

TEST_F(CsvFramerTest, TextAfterClosingQuoteIsUnquoted) {
  EXPECT_EQ(frame_all("\"ab\"c\"d,e\nf,g\n"),
            (std::vector<Record>{ok("\"ab\"c\"d,e", 1), ok("f,g", 2)}));
}

TEST_F(CsvFramerTest, Utf8PassesThrough) {
  EXPECT_EQ(frame_all("Zoë,\"日本\n語\"\n😀,x\n"),
            (std::vector<Record>{ok("Zoë,\"日本\n語\"", 1), ok("😀,x", 3)}));
}

TEST_F(CsvFramerTest, BlankLinesAreNotRecordsButCountAsLines) {
  EXPECT_EQ(frame_all("\na,b\n\r\n\nc,d\n\n"), (std::vector<Record>{ok("a,b", 2), ok("c,d", 5)}));
  EXPECT_EQ(returned_, 13u);
}

TEST_F(CsvFramerTest, EmptyInputHasNoRecords) {
  EXPECT_TRUE(frame_all("").empty());
  EXPECT_EQ(returned_, 0u);
}

TEST_F(CsvFramerTest, QuotedEmptyFieldIsARecord) {
  EXPECT_EQ(frame_all("\"\"\n"), (std::vector<Record>{ok("\"\"", 1)}));
}

TEST_F(CsvFramerTest, UnterminatedQuoteAtEofIsError) {
  EXPECT_EQ(frame_all("a,b\nc,\"d\ne,f\n"),
            (std::vector<Record>{ok("a,b", 1), Record{"c,\"d\ne,f\n", 2, EventState::kParseError,
                                                      "unterminated quoted field"}}));
  EXPECT_EQ(returned_, 13u);
}

TEST_F(CsvFramerTest, UnterminatedQuoteWaitsBeforeEof) {
  EXPECT_EQ(frame_all("a,b\nc,\"d\ne,f\n", false), (std::vector<Record>{ok("a,b", 1)}));
  EXPECT_EQ(returned_, 4u);
}

TEST_F(CsvFramerTest, SemicolonDelimiter) {
  options_.delimiter = ';';
  EXPECT_EQ(frame_all("a;\"b\n\";c\nx,\"y;z\n"),
            (std::vector<Record>{ok("a;\"b\n\";c", 1), ok("x,\"y;z", 3)}));
}

TEST_F(CsvFramerTest, TabDelimiter) {
  options_.delimiter = '\t';
  EXPECT_EQ(frame_all("a\t\"b\n\"\nc\td\n"),
            (std::vector<Record>{ok("a\t\"b\n\"", 1), ok("c\td", 3)}));
}

TEST_F(CsvFramerTest, BeginOffsetAndLineNumbersContinueAcrossCalls) {
  CsvFramer framer(options_, schema_);
  batch_.text = "a,b\nc,\"\n\"\ne,f\n";
  EXPECT_EQ(framer.frame(batch_, 0, 4, false), 4u);
  EXPECT_EQ(framer.frame(batch_, 4, batch_.text.size(), false), batch_.text.size());
  EXPECT_EQ(records(batch_), (std::vector<Record>{ok("a,b", 1), ok("c,\"\n\"", 2), ok("e,f", 4)}));
}

TEST_F(CsvFramerTest, ResetRestartsLineNumbers) {
  CsvFramer framer(options_, schema_);
  batch_.text = "a,b\nc,d\n";
  framer.frame(batch_, 0, batch_.text.size(), false);
  framer.reset();
  framer.frame(batch_, 0, batch_.text.size(), false);
  EXPECT_EQ(records(batch_),
            (std::vector<Record>{ok("a,b", 1), ok("c,d", 2), ok("a,b", 1), ok("c,d", 2)}));
}

TEST_F(CsvFramerTest, ColumnsLayoutIsSetOnEveryBatch) {
  CsvFramer framer(options_, schema_);
  Batch first;
  first.text = "1,2\n";
  framer.frame(first, 0, first.text.size(), false);
  Batch second;
  second.text = "3,4\n";
  framer.frame(second, 0, second.text.size(), false);
  ASSERT_NE(first.layout, nullptr);
  EXPECT_EQ(first.layout->names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(first.layout, second.layout);  // built once
}

TEST_F(CsvFramerTest, HeaderIsConsumedAndBuildsLayout) {
  options_.header = true;
  options_.columns.clear();
  options_.types = {{"status", FieldType::kInt}};
  Slot status = schema_.intern("status");
  EXPECT_EQ(frame_all("host,\"sta\"\"tus\",status\nh1,x,200\n"),
            (std::vector<Record>{ok("h1,x,200", 2)}));
  ASSERT_NE(batch_.layout, nullptr);
  EXPECT_EQ(batch_.layout->names, (std::vector<std::string>{"host", "sta\"tus", "status"}));
  EXPECT_EQ(batch_.layout->column_types[2], FieldType::kInt);
  EXPECT_EQ(batch_.layout->slot_to_column[status], 2);
}

TEST_F(CsvFramerTest, HeaderAfterBlankLines) {
  options_.header = true;
  EXPECT_EQ(frame_all("\r\nx,y\n1,2\n"), (std::vector<Record>{ok("1,2", 3)}));
  EXPECT_EQ(batch_.layout->names, (std::vector<std::string>{"x", "y"}));
}

TEST_F(CsvFramerTest, HeaderByteOrderMarkIsDropped) {
  options_.header = true;
  frame_all("\xEF\xBB\xBFts,host\n1,2\n");
  EXPECT_EQ(batch_.layout->names, (std::vector<std::string>{"ts", "host"}));
}

TEST_F(CsvFramerTest, HeaderLayoutIsSetOnLaterBatches) {
  options_.header = true;
  CsvFramer framer(options_, schema_);
  Batch first;
  first.text = "x,y\n";
  EXPECT_EQ(framer.frame(first, 0, first.text.size(), false), 4u);
  EXPECT_TRUE(first.events.empty());
  Batch second;
  second.text = "1,2\n";
  framer.frame(second, 0, second.text.size(), false);
  ASSERT_NE(second.layout, nullptr);
  EXPECT_EQ(second.layout->names, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(records(second), (std::vector<Record>{ok("1,2", 2)}));
}

TEST_F(CsvFramerTest, NoLayoutBeforeHeaderIsSeen) {
  options_.header = true;
  CsvFramer framer(options_, schema_);
  batch_.text = "x,y";
  EXPECT_EQ(framer.frame(batch_, 0, batch_.text.size(), false), 0u);
  EXPECT_EQ(batch_.layout, nullptr);
}

TEST_F(CsvFramerTest, ResetExpectsHeaderAgain) {
  options_.header = true;
  CsvFramer framer(options_, schema_);
  Batch first;
  first.text = "x,y\n1,2\n";
  framer.frame(first, 0, first.text.size(), false);
  framer.reset();
  Batch second;
  second.text = "p,q,r\n3,4,5\n";
  framer.frame(second, 0, second.text.size(), false);
  EXPECT_EQ(first.layout->names, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(second.layout->names, (std::vector<std::string>{"p", "q", "r"}));
  EXPECT_EQ(records(second), (std::vector<Record>{ok("3,4,5", 2)}));
}

// Frames `input` the way a stream reader does: the first chunk, then the unframed tail moved to
// the front of a second batch together with the rest.
std::vector<Record> frame_in_two(const ParseOptions& options, const Schema& schema,
                                 std::string_view input, size_t split, Batch& first,
                                 Batch& second) {
  CsvFramer framer(options, schema);
  first.text = input.substr(0, split);
  size_t framed = framer.frame(first, 0, first.text.size(), false);
  EXPECT_LE(framed, split);
  second.text = first.text.substr(framed);
  second.text.append(input.substr(split));
  first.text.resize(framed);
  framer.frame(second, 0, second.text.size(), true);
  std::vector<Record> out = records(first);
  for (Record& r : records(second)) {
    out.push_back(std::move(r));
  }
  return out;
}

const char kTricky[] =
    "a,\"b\r\nc\"\r\n"
    "\"\"\"\",\"x\"\"\n\"\n"
    "\n"
    "e\"f,g\r\n"
    "\"h\"i,\"\"\n"
    "Zoë,😀\n"
    "last,\"no newline\"";

TEST_F(CsvFramerTest, EverySplitPointGivesSameRecords) {
  std::string input = kTricky;
  std::vector<Record> whole = frame_all(input);
  ASSERT_EQ(whole, (std::vector<Record>{ok("a,\"b\r\nc\"", 1), ok("\"\"\"\",\"x\"\"\n\"", 3),
                                        ok("e\"f,g", 6), ok("\"h\"i,\"\"", 7), ok("Zoë,😀", 8),
                                        ok("last,\"no newline\"", 9)}));
  for (size_t split = 0; split <= input.size(); ++split) {
    Batch first;
    Batch second;
    EXPECT_EQ(frame_in_two(options_, schema_, input, split, first, second), whole)
        << "split at " << split;
  }
}

TEST_F(CsvFramerTest, EverySplitPointGivesSameParsedFields) {
  options_.header = true;
  options_.columns.clear();
  std::string input = std::string("k,v\r\n") + kTricky;
  auto parser = make_parser(options_, schema_);
  ASSERT_TRUE(parser.ok());
  std::vector<std::vector<std::string>> whole;
  for (size_t split = 0; split <= input.size(); ++split) {
    Batch first;
    Batch second;
    frame_in_two(options_, schema_, input, split, first, second);
    std::vector<std::vector<std::string>> got;
    for (Batch* b : {&first, &second}) {
      if (b->events.empty()) {
        continue;
      }
      ASSERT_NE(b->layout, nullptr) << "split at " << split;
      parser.value()->parse(*b);
      for (const Event& e : b->events) {
        ASSERT_EQ(e.state, EventState::kParsed) << b->str(e.error);
        std::vector<std::string>& row = got.emplace_back();
        for (uint32_t f = 0; f < e.field_count; ++f) {
          const Field& field = b->fields[e.first_field + f];
          row.push_back(std::string(b->field_name(field)) + "=" + std::string(b->str(field.value)));
        }
      }
    }
    if (split == 0) {
      whole = got;
      ASSERT_EQ(whole, (std::vector<std::vector<std::string>>{{"k=a", "v=b\r\nc"},
                                                              {"k=\"", "v=x\"\n"},
                                                              {"k=e\"f", "v=g"},
                                                              {"k=hi", "v="},
                                                              {"k=Zoë", "v=😀"},
                                                              {"k=last", "v=no newline"}}));
    }
    EXPECT_EQ(got, whole) << "split at " << split;
  }
}

// A byte-at-a-time framer with Python csv's states: the reference the fast framer must match.
std::vector<Record> reference_frame(std::string_view input) {
  enum class State { kStartField, kUnquoted, kQuoted, kQuoteInQuoted };
  std::vector<Record> out;
  State state = State::kStartField;
  size_t start = 0;
  uint64_t line = 1;
  uint64_t first_line = 1;
  auto emit = [&](size_t end) {
    std::string raw(input.substr(start, end - start));
    if (!raw.empty() && raw.back() == '\r') {
      raw.pop_back();
    }
    if (!raw.empty()) {
      out.push_back(ok(raw, first_line));
    }
  };
  for (size_t i = 0; i < input.size(); ++i) {
    char c = input[i];
    if (c == '\n') {
      ++line;
      if (state != State::kQuoted) {
        emit(i);
        start = i + 1;
        first_line = line;
        state = State::kStartField;
        continue;
      }
    }
    switch (state) {
      case State::kStartField:
        state = c == '"' ? State::kQuoted : c == ',' ? State::kStartField : State::kUnquoted;
        break;
      case State::kUnquoted:
        state = c == ',' ? State::kStartField : State::kUnquoted;
        break;
      case State::kQuoted:
        state = c == '"' ? State::kQuoteInQuoted : State::kQuoted;
        break;
      case State::kQuoteInQuoted:
        state = c == '"' ? State::kQuoted : c == ',' ? State::kStartField : State::kUnquoted;
        break;
    }
  }
  if (start < input.size()) {
    if (state == State::kQuoted) {
      out.push_back(Record{std::string(input.substr(start)), first_line, EventState::kParseError,
                           "unterminated quoted field"});
    } else {
      emit(input.size());
    }
  }
  return out;
}

TEST_F(CsvFramerTest, RandomInputsMatchReferenceAtEverySplit) {
  std::mt19937 rng(777);
  const char alphabet[] = {'a', ',', ',', '"', '"', '"', '\n', '\n', '\r'};
  for (int round = 0; round < 2000; ++round) {
    std::string input;
    size_t length = rng() % 40;
    for (size_t i = 0; i < length; ++i) {
      input.push_back(alphabet[rng() % sizeof(alphabet)]);
    }
    std::vector<Record> expected = reference_frame(input);
    ASSERT_EQ(frame_all(input), expected) << input;
    for (size_t split = 0; split <= input.size(); ++split) {
      Batch first;
      Batch second;
      ASSERT_EQ(frame_in_two(options_, schema_, input, split, first, second), expected)
          << input << " split at " << split;
    }
  }
}

TEST_F(CsvFramerTest, HeaderAndTypesEndToEnd) {
  options_.header = true;
  options_.columns.clear();
  options_.types = {{"status", FieldType::kInt}};
  Slot status = schema_.intern("status");
  auto parser = make_parser(options_, schema_);
  ASSERT_TRUE(parser.ok());
  frame_all("host,status\nh1,200\nh2,abc\nh3\n");
  parser.value()->parse(batch_);
  ASSERT_EQ(batch_.events.size(), 3u);
  ASSERT_EQ(batch_.events[0].state, EventState::kParsed);
  EXPECT_EQ(batch_.field(batch_.events[0], status)->num.i, 200);
  EXPECT_EQ(batch_.events[1].state, EventState::kParseError);
  EXPECT_EQ(batch_.str(batch_.events[1].error), "field 'status': cannot convert 'abc' to int");
  EXPECT_EQ(batch_.events[1].position, 3u);
  EXPECT_EQ(batch_.str(batch_.events[2].error), "expected 2 fields, found 1");
}

TEST(MakeFramerTest, CsvFormatGetsCsvFramer) {
  ParseOptions options;
  options.format = ParseOptions::Format::kCsv;
  options.header = true;
  Schema schema;
  auto framer = make_framer(options, schema);
  EXPECT_NE(dynamic_cast<CsvFramer*>(framer.get()), nullptr);
}

}  // namespace
}  // namespace sluice
