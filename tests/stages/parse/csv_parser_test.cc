#include "stages/parse/csv_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {
namespace {

// True when `record` ends inside a quoted field (Python csv's states, written out again).
bool ends_in_quotes(std::string_view record) {
  bool at_start = true;
  bool quoted = false;
  bool quote_seen = false;  // in a quoted field, the previous byte was a quote
  for (char c : record) {
    if (quoted) {
      if (quote_seen) {
        quote_seen = false;
        if (c == '"') {
          continue;
        }
        quoted = false;
        at_start = c == ',';
      } else if (c == '"') {
        quote_seen = true;
      }
      continue;
    }
    if (at_start && c == '"') {
      quoted = true;
      at_start = false;
      continue;
    }
    at_start = c == ',';
  }
  return quoted && !quote_seen;
}

// Builds batches by hand: the parser's input is framed records, whatever framed them.
class CsvParserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.format = ParseOptions::Format::kCsv;
    options_.columns = {"a", "b", "c"};
  }

  std::unique_ptr<Parser> parser() {
    auto made = make_csv_parser(options_, schema_);
    EXPECT_TRUE(made.ok());
    return std::move(made.value());
  }

  // Appends `record` (and a '\n' after it, as in a file) to the batch as a framed event.
  static void add(Batch& batch, std::string_view record) {
    Event& e = batch.events.emplace_back();
    e.raw = Span{static_cast<uint32_t>(batch.text.size()), static_cast<uint32_t>(record.size())};
    batch.text.append(record);
    batch.text.push_back('\n');
  }

  // The values of event `i`.
  static std::vector<std::string> values(const Batch& batch, size_t i) {
    std::vector<std::string> out;
    const Event& e = batch.events[i];
    for (uint32_t f = 0; f < e.field_count; ++f) {
      out.emplace_back(batch.str(batch.fields[e.first_field + f].value));
    }
    return out;
  }

  // Parses one record with the current options; expects it to parse.
  std::vector<std::string> parse_one(std::string_view record) {
    batch_.layout = nullptr;
    add(batch_, record);
    parser()->parse(batch_);
    EXPECT_EQ(batch_.events.back().state, EventState::kParsed)
        << "error: " << batch_.str(batch_.events.back().error);
    return values(batch_, batch_.events.size() - 1);
  }

  std::string error_of(std::string_view record) {
    add(batch_, record);
    parser()->parse(batch_);
    EXPECT_EQ(batch_.events.back().state, EventState::kParseError);
    return std::string(batch_.str(batch_.events.back().error));
  }

  using V = std::vector<std::string>;
  ParseOptions options_;
  Schema schema_;
  Batch batch_;
};

TEST_F(CsvParserTest, UnquotedFields) { EXPECT_EQ(parse_one("x,yy,zzz"), (V{"x", "yy", "zzz"})); }

TEST_F(CsvParserTest, UnquotedFieldsPointIntoRawBytes) {
  add(batch_, "x,yy,zzz");
  size_t text_size = batch_.text.size();
  parser()->parse(batch_);
  const Event& e = batch_.events[0];
  ASSERT_EQ(e.field_count, 3u);
  EXPECT_EQ(batch_.fields[e.first_field + 0].value.off, 0u);
  EXPECT_EQ(batch_.fields[e.first_field + 1].value.off, 2u);
  EXPECT_EQ(batch_.fields[e.first_field + 2].value.off, 5u);
  EXPECT_EQ(batch_.text.size(), text_size);  // nothing copied
}

TEST_F(CsvParserTest, QuotedFieldsAreUnquotedWithoutCopy) {
  add(batch_, R"("x","y,1","")");
  size_t text_size = batch_.text.size();
  parser()->parse(batch_);
  EXPECT_EQ(values(batch_, 0), (V{"x", "y,1", ""}));
  EXPECT_EQ(batch_.fields[batch_.events[0].first_field + 1].value.off, 5u);
  EXPECT_EQ(batch_.text.size(), text_size);
}

TEST_F(CsvParserTest, DoubledQuoteIsOneQuote) {
  EXPECT_EQ(parse_one(R"("say ""hi""",b,"""")"), (V{R"(say "hi")", "b", R"(")"}));
}

TEST_F(CsvParserTest, UnescapedValueIsAppendedToText) {
  add(batch_, R"(a,"x""y",c)");
  size_t text_size = batch_.text.size();
  parser()->parse(batch_);
  const Field& f = batch_.fields[batch_.events[0].first_field + 1];
  EXPECT_GE(f.value.off, text_size);
  EXPECT_EQ(batch_.str(f.value), "x\"y");
}

TEST_F(CsvParserTest, QuotedCrLfIsKeptInValue) {
  EXPECT_EQ(parse_one("\"line1\r\nline2\",\"a\nb\",c"), (V{"line1\r\nline2", "a\nb", "c"}));
}

TEST_F(CsvParserTest, EmptyFields) { EXPECT_EQ(parse_one(",,"), (V{"", "", ""})); }

TEST_F(CsvParserTest, TrailingDelimiterMakesEmptyLastField) {
  EXPECT_EQ(parse_one("a,b,"), (V{"a", "b", ""}));
}

TEST_F(CsvParserTest, QuotedEmptyField) { EXPECT_EQ(parse_one(R"("",b,"")"), (V{"", "b", ""})); }

TEST_F(CsvParserTest, Utf8PassesThrough) {
  EXPECT_EQ(parse_one("Zoë,\"日本語, テキスト\",😀"), (V{"Zoë", "日本語, テキスト", "😀"}));
}

TEST_F(CsvParserTest, QuoteInsideUnquotedFieldIsLiteral) {
  EXPECT_EQ(parse_one(R"(ab"c,d"",e")"), (V{R"(ab"c)", R"(d"")", R"(e")"}));
}

TEST_F(CsvParserTest, TextAfterClosingQuoteJoinsValue) {
  EXPECT_EQ(parse_one(R"("ab"c,"x"y"z,"q" )"), (V{"abc", R"(xy"z)", "q "}));
}

TEST_F(CsvParserTest, SemicolonDelimiter) {
  options_.delimiter = ';';
  EXPECT_EQ(parse_one(R"(a,1;"b;2";c)"), (V{"a,1", "b;2", "c"}));
}

TEST_F(CsvParserTest, TabDelimiter) {
  options_.delimiter = '\t';
  EXPECT_EQ(parse_one("a b\t\"c\td\"\te,f"), (V{"a b", "c\td", "e,f"}));
}

TEST_F(CsvParserTest, CustomQuote) {
  options_.quote = '\'';
  EXPECT_EQ(parse_one(R"('a,b','it''s',"c")"), (V{"a,b", "it's", R"("c")"}));
}

TEST_F(CsvParserTest, TooFewFieldsIsError) {
  EXPECT_EQ(error_of("a,b"), "expected 3 fields, found 2");
  EXPECT_EQ(batch_.events[0].field_count, 0u);
  EXPECT_TRUE(batch_.fields.empty());
}

TEST_F(CsvParserTest, TooManyFieldsIsError) {
  EXPECT_EQ(error_of("a,b,c,\"d\""), "expected 3 fields, found 4");
  EXPECT_TRUE(batch_.fields.empty());
}

TEST_F(CsvParserTest, DelimiterInsideQuotesDoesNotCount) {
  EXPECT_EQ(error_of(R"("a,b,c,d")"), "expected 3 fields, found 1");
}

TEST_F(CsvParserTest, UnterminatedQuoteIsError) {
  EXPECT_EQ(error_of(R"(a,b,"c)"), "unterminated quoted field");
}

TEST_F(CsvParserTest, NoLayoutIsNoHeaderError) {
  options_.header = true;
  options_.columns.clear();
  EXPECT_EQ(error_of("a,b,c"), "no header");
  const Event& e = batch_.events[0];
  EXPECT_EQ(batch_.slot_fields.size(), e.slot_base + schema_.size());
}

TEST_F(CsvParserTest, ColumnsLayoutIsSetOnBatch) {
  add(batch_, "1,2,3");
  parser()->parse(batch_);
  ASSERT_NE(batch_.layout, nullptr);
  EXPECT_EQ(batch_.layout->names, (V{"a", "b", "c"}));
  const Event& e = batch_.events[0];
  EXPECT_EQ(batch_.field_name(batch_.fields[e.first_field + 2]), "c");
}

TEST_F(CsvParserTest, HeaderLayoutFromBatchIsUsed) {
  options_.header = true;
  options_.columns.clear();
  schema_.intern("host");
  batch_.layout = make_layout({"ts", "host"}, options_, schema_);
  add(batch_, "t1,h1");
  parser()->parse(batch_);
  const Event& e = batch_.events[0];
  ASSERT_EQ(e.state, EventState::kParsed);
  const Field* host = batch_.field(e, *schema_.find("host"));
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(batch_.str(host->value), "h1");
  EXPECT_EQ(batch_.field_name(*host), "host");
}

TEST_F(CsvParserTest, SlotFieldsMapSchemaSlots) {
  Slot missing = schema_.intern("missing");
  Slot c = schema_.intern("c");
  Slot a = schema_.intern("a");
  add(batch_, "1,2,3");
  add(batch_, "4,5,6");
  parser()->parse(batch_);
  ASSERT_EQ(batch_.slot_fields.size(), 6u);
  const Event& e1 = batch_.events[1];
  EXPECT_EQ(e1.slot_base, 3u);
  EXPECT_EQ(batch_.field(e1, missing), nullptr);
  EXPECT_EQ(batch_.str(batch_.field(e1, c)->value), "6");
  EXPECT_EQ(batch_.str(batch_.field(e1, a)->value), "4");
  EXPECT_EQ(batch_.slot_fields[e1.slot_base + a], 3);
}

TEST_F(CsvParserTest, ErrorEventGetsEmptySlots) {
  Slot a = schema_.intern("a");
  add(batch_, "1,2");
  add(batch_, "4,5,6");
  parser()->parse(batch_);
  EXPECT_EQ(batch_.field(batch_.events[0], a), nullptr);
  EXPECT_EQ(batch_.str(batch_.field(batch_.events[1], a)->value), "4");
  EXPECT_EQ(batch_.events[1].first_field, 0u);
}

TEST_F(CsvParserTest, TypeConversionSucceeds) {
  options_.types = {{"a", FieldType::kInt}, {"b", FieldType::kFloat}, {"c", FieldType::kBool}};
  add(batch_, "-42,2.5,true");
  parser()->parse(batch_);
  const Event& e = batch_.events[0];
  ASSERT_EQ(e.state, EventState::kParsed);
  const Field* f = &batch_.fields[e.first_field];
  EXPECT_EQ(f[0].type, FieldType::kInt);
  EXPECT_EQ(f[0].num.i, -42);
  EXPECT_EQ(f[1].type, FieldType::kFloat);
  EXPECT_EQ(f[1].num.f, 2.5);
  EXPECT_EQ(f[2].type, FieldType::kBool);
  EXPECT_EQ(f[2].num.i, 1);
  EXPECT_EQ(batch_.str(f[0].value), "-42");
}

TEST_F(CsvParserTest, TypeConversionOfQuotedValue) {
  options_.types = {{"b", FieldType::kInt}};
  EXPECT_EQ(parse_one(R"(x,"17",z)"), (V{"x", "17", "z"}));
  EXPECT_EQ(batch_.fields[1].num.i, 17);
}

TEST_F(CsvParserTest, TypeConversionFailureIsError) {
  options_.columns = {"host", "status"};
  options_.types = {{"status", FieldType::kInt}};
  EXPECT_EQ(error_of("h1,abc"), "field 'status': cannot convert 'abc' to int");
  EXPECT_TRUE(batch_.fields.empty());
}

// The same cut-off as every other parser (type_conversion.h): this one once quoted 128 bytes.
TEST_F(CsvParserTest, LongValueIsShortenedInTheError) {
  options_.columns = {"host", "status"};
  options_.types = {{"status", FieldType::kInt}};
  EXPECT_EQ(error_of("h1," + std::string(100, 'x')),
            "field 'status': cannot convert '" + std::string(64, 'x') + "...' to int");
}

TEST_F(CsvParserTest, EmptyValueDoesNotConvertToInt) {
  options_.types = {{"a", FieldType::kInt}};
  EXPECT_EQ(error_of(",b,c"), "field 'a': cannot convert '' to int");
}

TEST_F(CsvParserTest, EventsInOtherStatesAreLeftAlone) {
  add(batch_, "a,b,c");
  add(batch_, "d,e,f");
  batch_.events[0].state = EventState::kParseError;
  batch_.events[0].error = batch_.append("framer said so");
  parser()->parse(batch_);
  EXPECT_EQ(batch_.events[0].state, EventState::kParseError);
  EXPECT_EQ(batch_.str(batch_.events[0].error), "framer said so");
  EXPECT_EQ(batch_.events[0].field_count, 0u);
  EXPECT_EQ(values(batch_, 1), (V{"d", "e", "f"}));
}

TEST_F(CsvParserTest, ManyEventsInOneBatch) {
  for (int i = 0; i < 100; ++i) {
    add(batch_, std::to_string(i) + ",\"q" + std::to_string(i) + "\"\"\",z");
  }
  parser()->parse(batch_);
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(values(batch_, i), (V{std::to_string(i), "q" + std::to_string(i) + "\"", "z"}));
  }
}

TEST_F(CsvParserTest, LongFieldsAcrossBlockBoundaries) {
  // Delimiters at, before and after every 64-byte boundary, and a record ending mid-block at
  // the very end of the text (nothing readable after it).
  for (size_t width = 60; width <= 70; ++width) {
    Batch batch;
    std::string record = std::string(width, 'x') + "," + std::string(width * 2, 'y') + ",z";
    Event& e = batch.events.emplace_back();
    e.raw = Span{0, static_cast<uint32_t>(record.size())};
    batch.text = record;
    parser()->parse(batch);
    ASSERT_EQ(values(batch, 0), (V{std::string(width, 'x'), std::string(width * 2, 'y'), "z"}));
  }
}

TEST_F(CsvParserTest, ManyColumnsMatchSplitCsvRecord) {
  std::vector<std::string> names;
  std::string record;
  for (int i = 0; i < 300; ++i) {
    names.push_back("c" + std::to_string(i));
    if (i > 0) {
      record.push_back(',');
    }
    record.append(i % 7 == 0 ? "\"q,\"\"" + std::to_string(i) + "\"" : std::to_string(i * 31));
  }
  options_.columns = names;
  std::vector<std::string> expected;
  split_csv_record(record, ',', '"', expected);
  EXPECT_EQ(parse_one(record), expected);
}

// The fast parser and the plain state machine agree on every record, odd ones included.
TEST_F(CsvParserTest, RandomRecordsMatchSplitCsvRecord) {
  std::mt19937 rng(12345);
  const char alphabet[] = {'a', 'b', ',', ',', '"', '"', '\n', '\r', ' ', '\xC3', '\xA9'};
  std::vector<std::string> expected;
  for (int round = 0; round < 3000; ++round) {
    std::string record;
    size_t length = rng() % (round < 2000 ? 12 : 200);
    for (size_t i = 0; i < length; ++i) {
      record.push_back(alphabet[rng() % sizeof(alphabet)]);
    }
    split_csv_record(record, ',', '"', expected);
    options_.columns.clear();
    for (size_t c = 0; c < expected.size(); ++c) {
      options_.columns.push_back("f" + std::to_string(c));  // unique, as make_csv_parser requires
    }
    Batch batch;
    add(batch, record);
    parser()->parse(batch);
    const Event& e = batch.events[0];
    if (e.state == EventState::kParseError) {
      // Only a record whose quoted field never closes may fail.
      EXPECT_TRUE(ends_in_quotes(record)) << record;
      EXPECT_EQ(batch.str(e.error), "unterminated quoted field") << record;
      continue;
    }
    EXPECT_FALSE(ends_in_quotes(record)) << record;
    ASSERT_EQ(values(batch, 0), expected) << record;
  }
}

// The field-name rule (stages/parse/parser.h) for a header, which is input: a column whose name
// repeats an earlier one, or is a metadata name, stays in place but hidden, never converted.
TEST_F(CsvParserTest, HeaderRepeatingANameHidesTheLaterColumn) {
  options_.header = true;
  options_.columns.clear();
  Slot n = schema_.intern("n");
  batch_.layout = make_layout({"n", "m", "n"}, options_, schema_);
  add(batch_, "1,2,3");
  add(batch_, "4,5,6");
  auto p = parser();
  p->parse(batch_);
  const Event& e = batch_.events[1];
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(e.field_count, 3u);  // columns keep their positions
  EXPECT_EQ(batch_.fields[e.first_field + 0].flags, Field::kNameInLayout);
  EXPECT_EQ(batch_.fields[e.first_field + 1].flags, Field::kNameInLayout);
  EXPECT_EQ(batch_.fields[e.first_field + 2].flags, Field::kNameInLayout | Field::kHidden);
  EXPECT_EQ(batch_.str(batch_.field(e, n)->value), "4");
  EXPECT_EQ(p->dropped_keys(), 2u);
}

TEST_F(CsvParserTest, HeaderRepeatingATypedNameConvertsOnlyTheFirst) {
  options_.header = true;
  options_.columns.clear();
  options_.types = {{"n", FieldType::kInt}};
  batch_.layout = make_layout({"n", "n"}, options_, schema_);
  add(batch_, "1,not a number");
  parser()->parse(batch_);
  const Event& e = batch_.events[0];
  ASSERT_EQ(e.state, EventState::kParsed) << batch_.str(e.error);
  EXPECT_EQ(batch_.fields[e.first_field].type, FieldType::kInt);
  EXPECT_EQ(batch_.fields[e.first_field + 1].type, FieldType::kString);
}

TEST_F(CsvParserTest, HeaderNamingMetadataHidesThatColumn) {
  options_.header = true;
  options_.columns.clear();
  options_.types = {{"_source", FieldType::kInt}};
  Slot source = schema_.intern("_source");
  batch_.layout = make_layout({"_source", "a", "_raw", "_error"}, options_, schema_);
  add(batch_, "forged,1,forged,forged");
  auto p = parser();
  p->parse(batch_);
  const Event& e = batch_.events[0];
  ASSERT_EQ(e.state, EventState::kParsed) << batch_.str(e.error);
  for (uint32_t c : {0u, 2u, 3u}) {
    EXPECT_TRUE(batch_.fields[e.first_field + c].flags & Field::kHidden) << c;
  }
  EXPECT_FALSE(batch_.fields[e.first_field + 1].flags & Field::kHidden);
  EXPECT_EQ(batch_.field(e, source), nullptr);
  EXPECT_EQ(p->dropped_keys(), 3u);
}

TEST_F(CsvParserTest, UniqueHeaderHidesNothing) {
  auto p = parser();
  add(batch_, "1,2,3");
  p->parse(batch_);
  for (uint32_t c = 0; c < 3; ++c) {
    EXPECT_EQ(batch_.fields[c].flags, Field::kNameInLayout);
  }
  EXPECT_EQ(p->dropped_keys(), 0u);
}

TEST(DroppedColumnsTest, RepeatsAndMetadataNamesInOrder) {
  EXPECT_EQ(dropped_columns({"a", "_raw", "b", "a", "_source", "b", "a", "_error", "_rawx"}),
            (std::vector<uint32_t>{1, 3, 4, 5, 6, 7}));
  EXPECT_TRUE(dropped_columns({"a", "b", "_", "raw"}).empty());
}

TEST(SplitCsvRecordTest, SplitsAndUnescapes) {
  std::vector<std::string> out = {"stale"};
  split_csv_record(R"(ts,"ho""st",,"a,b"c)", ',', '"', out);
  EXPECT_EQ(out, (std::vector<std::string>{"ts", R"(ho"st)", "", "a,bc"}));
}

TEST(SplitCsvRecordTest, EmptyRecordIsOneEmptyField) {
  std::vector<std::string> out;
  split_csv_record("", ',', '"', out);
  EXPECT_EQ(out, (std::vector<std::string>{""}));
}

TEST(MakeCsvParserTest, NeedsHeaderOrColumns) {
  ParseOptions options;
  options.format = ParseOptions::Format::kCsv;
  Schema schema;
  auto made = make_csv_parser(options, schema);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().message(), "csv needs `header: true` or `columns: [...]`");
}

TEST(MakeCsvParserTest, DelimiterMustDifferFromQuote) {
  ParseOptions options;
  options.format = ParseOptions::Format::kCsv;
  options.header = true;
  options.delimiter = '"';
  Schema schema;
  auto made = make_csv_parser(options, schema);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().message(), "csv delimiter and quote must differ");
}

// `columns` come from the configuration: the field-name rule makes a repeat an error at load.
TEST(MakeCsvParserTest, ColumnsNamingAFieldTwiceAreRejected) {
  ParseOptions options;
  options.format = ParseOptions::Format::kCsv;
  options.columns = {"n", "m", "n"};
  Schema schema;
  auto made = make_csv_parser(options, schema);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().message(), "csv `columns` names `n` twice; field names must be unique");
}

TEST(MakeCsvParserTest, ColumnsNamingMetadataAreRejected) {
  ParseOptions options;
  options.format = ParseOptions::Format::kCsv;
  options.columns = {"a", "_source"};
  Schema schema;
  auto made = make_csv_parser(options, schema);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().message(),
            "csv `columns` names `_source`, which is metadata (`_raw`, `_source`, `_error` are "
            "every event's own); choose another name");
}

TEST(MakeCsvParserTest, DelimiterCannotBeLineBreak) {
  ParseOptions options;
  options.format = ParseOptions::Format::kCsv;
  options.header = true;
  options.delimiter = '\n';
  Schema schema;
  EXPECT_FALSE(make_csv_parser(options, schema).ok());
}

}  // namespace
}  // namespace sluice
