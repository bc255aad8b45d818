#include "stages/ingest/csv_framer.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "stages/byte_masks.h"
#include "stages/parse/parser.h"
#include "tests/stages/ingest/framing_util.h"

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

// The field-name rule (stages/parse/parser.h): the parser hides a header column that repeats a
// name or names metadata; the framer, which sees each stream's header once, says so once.
TEST_F(CsvFramerTest, HeaderRepeatingANameOrNamingMetadataWarnsOncePerStream) {
  options_.header = true;
  options_.columns.clear();
  options_.types = {{"n", FieldType::kInt}};
  Slot n = schema_.intern("n");
  CsvFramer framer(options_, schema_);
  batch_.source = std::make_shared<const std::string>("/var/log/a.csv");
  batch_.text = "n,_source,n\n1,x,2\n3,y,4\n";
  ::testing::internal::CaptureStderr();
  framer.frame(batch_, 0, batch_.text.size(), true);
  Batch next;
  next.source = batch_.source;
  next.text = "5,z,6\n";
  framer.frame(next, 0, next.text.size(), true);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err,
            "sluice: warning: csv header of /var/log/a.csv: column 2 `_source` is a metadata name; "
            "column 3 `n` repeats an earlier column; left out of every event (the first column of "
            "a name, and the metadata, are kept; the values stay in `_raw`)\n");
  EXPECT_EQ(records(batch_).size(), 2u);
  EXPECT_EQ(batch_.layout->slot_to_column[n], 0);
  EXPECT_EQ(batch_.layout->column_types,
            (std::vector<FieldType>{FieldType::kInt, FieldType::kString, FieldType::kString}));
}

TEST_F(CsvFramerTest, HeaderWithUniqueNamesDoesNotWarn) {
  options_.header = true;
  options_.columns.clear();
  ::testing::internal::CaptureStderr();
  frame_all("a,b,_sourcefile\n1,2,3\n");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
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

// Frames `input` the way a stream reader fills one batch: `chunk` more bytes at a time, each call
// starting where the previous one stopped, then the rest at the end of the stream.
std::vector<Record> frame_csv_in_chunks(const ParseOptions& options, const Schema& schema,
                                        std::string_view input, size_t chunk,
                                        ChunkScan scan = ChunkScan::kFromRecordStart) {
  CsvFramer framer(options, schema);
  Batch batch;
  frame_in_chunks(framer, batch, input, chunk, scan);
  return records(batch);
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
    for (size_t chunk : {1, 2, 3, 5}) {
      ASSERT_EQ(frame_csv_in_chunks(options_, schema_, input, chunk, ChunkScan::kResuming),
                expected)
          << input << " in chunks of " << chunk << ", each scan resumed";
    }
  }
}

// The framer scans 64-byte blocks: the tests below put quotes, `""` pairs and line breaks on
// both sides of block boundaries, and start framing at offsets that are not block-aligned.

TEST_F(CsvFramerTest, ResumingAScanGoesOnFromTheQuotingItKept) {
  // A long quoted field with a line break in it arrives in pieces; each call resumes where the
  // last one stopped looking. To show that the kept state is used rather than the bytes scanned
  // again, the opening quote is overwritten after it was scanned: scanning again from the
  // record's start would end the record at the quoted line break.
  const std::string text =
      "\"" + std::string(100, 'a') + "\n" + std::string(200, 'b') + "\",c\nd,e\n";
  CsvFramer framer(options_, schema_);
  batch_.text = text;
  size_t begin = 0;
  size_t scanned = 0;
  for (size_t end : {64u, 65u, 150u}) {
    begin = framer.frame_resuming(batch_, begin, scanned, end, false);
    EXPECT_EQ(begin, 0u) << "no record ends before " << end;
    scanned = end;
  }
  batch_.text[0] = 'x';
  begin = framer.frame_resuming(batch_, begin, scanned, text.size(), true);
  EXPECT_EQ(begin, text.size());
  const std::string first = "x" + text.substr(1, 304);  // up to the line break after c
  EXPECT_EQ(records(batch_), (std::vector<Record>{ok(first, 1), ok("d,e", 3)}));
}

TEST_F(CsvFramerTest, ResumingWithAnotherRecordThanTheOneKeptScansFromItsStart) {
  CsvFramer framer(options_, schema_);
  batch_.text = "\"a\nb\",c\n";
  EXPECT_EQ(framer.frame_resuming(batch_, 0, 0, 4, false), 0u);  // kept: 4 bytes, inside quotes
  // The caller offers 3 scanned bytes, not 4: not the record kept, so it is scanned whole.
  batch_.text = "a,b\nc,d\n";
  EXPECT_EQ(framer.frame_resuming(batch_, 0, 3, batch_.text.size(), false), batch_.text.size());
  EXPECT_EQ(records(batch_), (std::vector<Record>{ok("a,b", 1), ok("c,d", 2)}));
}

// Checks `input` against the reference framer whole, split in two at every byte, and in chunks.
void expect_like_reference(const ParseOptions& options, const Schema& schema,
                           const std::string& input) {
  std::vector<Record> expected = reference_frame(input);
  for (size_t split = 0; split <= input.size(); ++split) {
    Batch first;
    Batch second;
    ASSERT_EQ(frame_in_two(options, schema, input, split, first, second), expected)
        << input << " split at " << split;
  }
  for (size_t chunk : {1, 7, 63, 64, 65}) {
    ASSERT_EQ(frame_csv_in_chunks(options, schema, input, chunk), expected)
        << input << " in chunks of " << chunk;
    ASSERT_EQ(frame_csv_in_chunks(options, schema, input, chunk, ChunkScan::kResuming), expected)
        << input << " in chunks of " << chunk << ", each scan resumed";
  }
}

TEST_F(CsvFramerTest, EscapedQuotePairAcrossBlockBoundary) {
  // Bytes 63 and 64 are `""`: still inside the quoted field, so the line break after it is too.
  std::string input = "\"" + std::string(62, 'x') + "\"\"\ny\",b\nc,d\n";
  ASSERT_EQ(input[63], '"');
  ASSERT_EQ(input[64], '"');
  EXPECT_EQ(frame_all(input), (std::vector<Record>{ok(input.substr(0, 70), 1), ok("c,d", 3)}));
  expect_like_reference(options_, schema_, input);
}

TEST_F(CsvFramerTest, ClosingQuoteEndsBlockAndNewlineStartsNext) {
  std::string input = "\"" + std::string(62, 'x') + "\"\ne,f\n";
  ASSERT_EQ(input[64], '\n');
  EXPECT_EQ(frame_all(input), (std::vector<Record>{ok(input.substr(0, 64), 1), ok("e,f", 2)}));
  expect_like_reference(options_, schema_, input);
}

TEST_F(CsvFramerTest, QuoteOpensAtFirstByteOfABlock) {
  // A delimiter at 63, then a quoted field from 64 holding a line break.
  std::string input = std::string(63, 'a') + ",\"p\nq\"\nr,s\n";
  EXPECT_EQ(frame_all(input),
            (std::vector<Record>{ok(std::string(63, 'a') + ",\"p\nq\"", 1), ok("r,s", 3)}));
  expect_like_reference(options_, schema_, input);
}

TEST_F(CsvFramerTest, RecordStartingAtABlockOpensAQuote) {
  std::string input = std::string(63, 'a') + "\n\"b\nc\",d\n";
  EXPECT_EQ(frame_all(input),
            (std::vector<Record>{ok(std::string(63, 'a'), 1), ok("\"b\nc\",d", 2)}));
  expect_like_reference(options_, schema_, input);
}

TEST_F(CsvFramerTest, MidFieldQuoteAtABlockStartIsLiteral) {
  std::string input = std::string(64, 'a') + "\"b\nc,d\n";
  EXPECT_EQ(frame_all(input),
            (std::vector<Record>{ok(std::string(64, 'a') + "\"b", 1), ok("c,d", 2)}));
  expect_like_reference(options_, schema_, input);
}

TEST_F(CsvFramerTest, QuotedLineBreaksOnBothSidesOfABlockBoundary) {
  std::string input = "\"" + std::string(62, 'x') + "\n\n\r\ny\",z\nlast\n";
  ASSERT_EQ(input[63], '\n');
  ASSERT_EQ(input[64], '\n');
  EXPECT_EQ(frame_all(input), (std::vector<Record>{ok(input.substr(0, 71), 1), ok("last", 5)}));
  expect_like_reference(options_, schema_, input);
}

TEST_F(CsvFramerTest, CrLfSplitByABlockBoundary) {
  std::string input = std::string(63, 'a') + "\r\nb,c\r\n";
  EXPECT_EQ(frame_all(input), (std::vector<Record>{ok(std::string(63, 'a'), 1), ok("b,c", 2)}));
  expect_like_reference(options_, schema_, input);
}

TEST_F(CsvFramerTest, RecordsOf63And64And65Bytes) {
  for (size_t length : {62, 63, 64, 65, 66, 127, 128, 129}) {
    std::string input;
    std::vector<Record> expected;
    for (int r = 0; r < 5; ++r) {
      // Half of them quote their second field, as access logs quote user agents.
      std::string record = r % 2 == 0 ? "a," : "a,\"";
      record.append(length - 1 - record.size() - (r % 2), static_cast<char>('b' + r));
      if (r % 2 == 1) {
        record += '"';
      }
      ASSERT_EQ(record.size() + 1, length);
      expected.push_back(ok(record, static_cast<uint64_t>(r) + 1));
      input += record + "\n";
    }
    EXPECT_EQ(frame_all(input), expected) << length;
    EXPECT_EQ(returned_, input.size());
    expect_like_reference(options_, schema_, input);
  }
}

TEST_F(CsvFramerTest, UnterminatedQuoteSpanningBlocksAtEof) {
  std::string input = "a,b\nc,\"" + std::string(200, 'd') + "\n" + std::string(70, 'e');
  EXPECT_EQ(frame_all(input, false), (std::vector<Record>{ok("a,b", 1)}));
  EXPECT_EQ(returned_, 4u);
  EXPECT_EQ(frame_all(input),
            (std::vector<Record>{ok("a,b", 1), Record{input.substr(4), 2, EventState::kParseError,
                                                      "unterminated quoted field"}}));
  expect_like_reference(options_, schema_, input);
}

TEST_F(CsvFramerTest, LongRandomInputsMatchReference) {
  // Mostly plain bytes, so records and quoted fields run across blocks.
  std::mt19937 rng(4242);
  const char alphabet[] = {'a', 'a', 'a', 'a', 'a', 'a', 'a',  'a',
                           'a', 'a', ',', ',', '"', '"', '\n', '\r'};
  for (int round = 0; round < 300; ++round) {
    std::string input;
    size_t length = 60 + rng() % 200;
    for (size_t i = 0; i < length; ++i) {
      input.push_back(alphabet[rng() % sizeof(alphabet)]);
    }
    ASSERT_EQ(frame_all(input), reference_frame(input)) << input;
    expect_like_reference(options_, schema_, input);
  }
}

TEST_F(CsvFramerTest, QuoteHeavyRandomInputsMatchReference) {
  // Runs of quotes of every length land on every block offset.
  std::mt19937 rng(99);
  const char alphabet[] = {'a', ',', '"', '"', '"', '"', '\n'};
  for (int round = 0; round < 300; ++round) {
    std::string input;
    size_t length = 100 + rng() % 100;
    for (size_t i = 0; i < length; ++i) {
      input.push_back(alphabet[rng() % sizeof(alphabet)]);
    }
    expect_like_reference(options_, schema_, input);
  }
}

TEST_F(CsvFramerTest, EscapedQuotePairAcrossChunkBoundary) {
  // The masks are made a chunk at a time: the `""` pair straddles two chunks.
  std::string input = "\"" + std::string(kMaskChunkBytes - 2, 'x') + "\"\"\ny\",b\nc,d\n";
  ASSERT_EQ(input[kMaskChunkBytes - 1], '"');
  ASSERT_EQ(input[kMaskChunkBytes], '"');
  EXPECT_EQ(frame_all(input),
            (std::vector<Record>{ok(input.substr(0, kMaskChunkBytes + 6), 1), ok("c,d", 3)}));
  expect_like_reference(options_, schema_, input);
}

TEST_F(CsvFramerTest, RandomInputsOverSeveralChunksMatchReference) {
  std::mt19937 rng(31337);
  const char alphabet[] = {'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a',  'a',
                           'a', 'a', 'a', 'a', ',', ',', '"', '"', '\n', '\r'};
  for (int round = 0; round < 8; ++round) {
    std::string input;
    size_t length = kMaskChunkBytes / 2 + rng() % (2 * kMaskChunkBytes);
    for (size_t i = 0; i < length; ++i) {
      input.push_back(alphabet[rng() % sizeof(alphabet)]);
    }
    expect_like_reference(options_, schema_, input);
  }
}

TEST_F(CsvFramerTest, HeaderSpanningBlocksWithByteOrderMark) {
  options_.header = true;
  options_.columns.clear();
  std::string name(70, 'n');
  std::string input = "\xEF\xBB\xBF" + name + ",\"q\nr\"\r\n1,2\n";
  EXPECT_EQ(frame_all(input), (std::vector<Record>{ok("1,2", 3)}));
  ASSERT_NE(batch_.layout, nullptr);
  EXPECT_EQ(batch_.layout->names, (std::vector<std::string>{name, "q\nr"}));
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
