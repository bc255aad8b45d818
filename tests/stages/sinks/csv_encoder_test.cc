#include "stages/sinks/csv_encoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "stages/schema.h"
#include "stages/sinks/encoder.h"
#include "tests/stages/sinks/encoder_test_batch.h"

namespace sluice {
namespace {

struct CsvSetup {
  std::vector<std::string> columns;
  std::vector<std::string> fields;
  bool header = false;
  char delimiter = ',';
  bool dead_letter = false;
};

std::unique_ptr<Encoder> csv_encoder(Schema& schema, CsvSetup setup = {}) {
  EncoderOptions options;
  options.kind = EncoderOptions::Kind::kCsv;
  options.columns = std::move(setup.columns);
  options.fields = std::move(setup.fields);
  options.header = setup.header;
  options.delimiter = setup.delimiter;
  options.dead_letter = setup.dead_letter;
  auto encoder = make_encoder(options, schema);
  EXPECT_TRUE(encoder.ok()) << encoder.status().message();
  return std::move(encoder).value();
}

TEST(CsvEncoder, AllFieldsInParseOrder) {
  Schema schema;
  auto encoder = csv_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x").field("b", "2").field("a", "1");
  b.event("y").field("b", "4").field("a", "3");
  EXPECT_EQ(encode_all(*encoder, b), "2,1\n4,3\n");
}

TEST(CsvEncoder, HiddenFieldsLeftOut) {
  Schema schema;
  auto encoder = csv_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x")
      .field("a", "1")
      .field("a.b", "2", FieldType::kString, Field::kHidden)
      .field("c", "3");
  EXPECT_EQ(encode_all(*encoder, b), "1,3\n");
}

TEST(CsvEncoder, ColumnsChooseAndOrder) {
  Schema schema;
  auto encoder = csv_encoder(schema, {.columns = {"c", "a"}});
  EncoderTestBatch b(schema);
  b.event("x").field("a", "1").field("b", "2").field("c", "3");
  EXPECT_EQ(encode_all(*encoder, b), "3,1\n");
}

TEST(CsvEncoder, FieldsUsedWhenNoColumns) {
  Schema schema;
  auto encoder = csv_encoder(schema, {.fields = {"b"}});
  EncoderTestBatch b(schema);
  b.event("x").field("a", "1").field("b", "2");
  EXPECT_EQ(encode_all(*encoder, b), "2\n");
}

TEST(CsvEncoder, ColumnsWinOverFields) {
  Schema schema;
  auto encoder = csv_encoder(schema, {.columns = {"a"}, .fields = {"b"}});
  EncoderTestBatch b(schema);
  b.event("x").field("a", "1").field("b", "2");
  EXPECT_EQ(encode_all(*encoder, b), "1\n");
}

TEST(CsvEncoder, MissingFieldIsEmptyCell) {
  Schema schema;
  auto encoder = csv_encoder(schema, {.columns = {"a", "missing", "b"}});
  EncoderTestBatch b(schema);
  b.event("x").field("a", "1").field("b", "2");
  EXPECT_EQ(encode_all(*encoder, b), "1,,2\n");
}

TEST(CsvEncoder, MetadataColumns) {
  Schema schema;
  auto encoder = csv_encoder(schema, {.columns = {"_source", "a", "_raw", "_error"}});
  EncoderTestBatch b(schema);
  b.event("a=1", 9).field("a", "1");
  EXPECT_EQ(encode_all(*encoder, b), "/var/log/in.log:9,1,a=1,\n");
}

TEST(CsvEncoder, TypedValues) {
  Schema schema;
  auto encoder = csv_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x")
      .int_field("i", -5)
      .float_field("f", 2.5)
      .bool_field("t", true)
      .bool_field("n", false)
      .field("z", "null", FieldType::kNull)
      .field("ts", "2024-05-01T10:00:00Z", FieldType::kTimestamp)
      .field("s", "text");
  EXPECT_EQ(encode_all(*encoder, b), "-5,2.5,true,false,,2024-05-01T10:00:00Z,text\n");
}

TEST(CsvEncoder, NonFiniteFloatIsEmptyCell) {
  Schema schema;
  auto encoder = csv_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x")
      .float_field("a", std::nan(""))
      .float_field("b", std::numeric_limits<double>::infinity());
  EXPECT_EQ(encode_all(*encoder, b), ",\n");
}

TEST(CsvEncoder, NestedJsonIsQuoted) {
  Schema schema;
  auto encoder = csv_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x").field("o", R"({"a":1,"b":2})", FieldType::kJson);
  EXPECT_EQ(encode_all(*encoder, b), "\"{\"\"a\"\":1,\"\"b\"\":2}\"\n");
}

TEST(CsvEncoder, QuotesValueWithDelimiter) {
  Schema schema;
  auto encoder = csv_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x").field("a", "x,y").field("b", "z");
  EXPECT_EQ(encode_all(*encoder, b), "\"x,y\",z\n");
}

TEST(CsvEncoder, QuotesAndDoublesQuote) {
  Schema schema;
  auto encoder = csv_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x").field("a", "say \"hi\"").field("b", "\"");
  EXPECT_EQ(encode_all(*encoder, b), "\"say \"\"hi\"\"\",\"\"\"\"\n");
}

TEST(CsvEncoder, QuotesValueWithLineFeed) {
  Schema schema;
  auto encoder = csv_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x").field("a", "one\ntwo");
  EXPECT_EQ(encode_all(*encoder, b), "\"one\ntwo\"\n");
}

TEST(CsvEncoder, QuotesValueWithCarriageReturn) {
  Schema schema;
  auto encoder = csv_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x").field("a", "one\rtwo");
  EXPECT_EQ(encode_all(*encoder, b), "\"one\rtwo\"\n");
}

TEST(CsvEncoder, NoQuotesForOtherCharacters) {
  Schema schema;
  auto encoder = csv_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x").field("a", " spaces\tand;semi 'single' caf\xC3\xA9 ");
  EXPECT_EQ(encode_all(*encoder, b), " spaces\tand;semi 'single' caf\xC3\xA9 \n");
}

TEST(CsvEncoder, EmptyValuesAndEmptyEvent) {
  Schema schema;
  auto encoder = csv_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x").field("a", "").field("b", "");
  b.event("y");
  EXPECT_EQ(encode_all(*encoder, b), ",\n\n");
}

TEST(CsvEncoder, SpecialCharacterAtEveryPosition) {
  for (char special : {',', '"', '\r', '\n'}) {
    for (size_t len = 1; len <= 40; ++len) {
      for (size_t pos = 0; pos < len; ++pos) {
        Schema schema;
        auto encoder = csv_encoder(schema);
        std::string value(len, 'v');
        value[pos] = special;
        EncoderTestBatch b(schema);
        b.event("x").field("a", value);
        std::string cell = value;
        if (special == '"') {
          cell.insert(pos, 1, '"');
        }
        std::string expected = "\"";
        expected.append(cell).append("\"\n");
        ASSERT_EQ(encode_all(*encoder, b), expected) << "len " << len << " pos " << pos;
      }
    }
  }
}

TEST(CsvEncoder, LongValueWithoutSpecialsUnquoted) {
  Schema schema;
  auto encoder = csv_encoder(schema);
  EncoderTestBatch b(schema);
  std::string value(100, 'v');
  b.event("x").field("a", value);
  std::string expected = value;
  expected.push_back('\n');
  EXPECT_EQ(encode_all(*encoder, b), expected);
}

TEST(CsvEncoder, OtherDelimiter) {
  Schema schema;
  auto encoder = csv_encoder(schema, {.delimiter = ';'});
  EncoderTestBatch b(schema);
  b.event("x").field("a", "1,5").field("b", "x;y");
  EXPECT_EQ(encode_all(*encoder, b), "1,5;\"x;y\"\n");
}

TEST(CsvEncoder, TabDelimiter) {
  Schema schema;
  auto encoder = csv_encoder(schema, {.delimiter = '\t'});
  EncoderTestBatch b(schema);
  b.event("x").field("a", "1").field("b", "a\tb");
  EXPECT_EQ(encode_all(*encoder, b), "1\t\"a\tb\"\n");
}

TEST(CsvEncoder, InvalidUtf8PassesUnchanged) {
  Schema schema;
  auto encoder = csv_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x").field("a", "a\xFF");
  EXPECT_EQ(encode_all(*encoder, b), "a\xFF\n");
}

TEST(CsvEncoder, HeaderFromColumnsWrittenByBegin) {
  Schema schema;
  auto encoder = csv_encoder(schema, {.columns = {"host", "a,b", "q\""}, .header = true});
  std::string out;
  encoder->begin(out);
  EXPECT_EQ(out, "host,\"a,b\",\"q\"\"\"\n");
  EncoderTestBatch b(schema);
  b.event("x").field("host", "web1");
  Batch& batch = b.finish();
  std::vector<uint32_t> events = {0};
  encoder->encode(batch, events, out);
  EXPECT_EQ(out, "host,\"a,b\",\"q\"\"\"\nweb1,,\n");
}

TEST(CsvEncoder, HeaderFromFields) {
  Schema schema;
  auto encoder = csv_encoder(schema, {.fields = {"a", "b"}, .header = true});
  std::string out;
  encoder->begin(out);
  EXPECT_EQ(out, "a,b\n");
}

TEST(CsvEncoder, NoHeaderWithoutHeaderOption) {
  Schema schema;
  auto encoder = csv_encoder(schema, {.columns = {"a"}});
  std::string out;
  encoder->begin(out);
  EXPECT_EQ(out, "");
}

TEST(CsvEncoder, HeaderWithoutColumnsComesFromLayout) {
  Schema schema;
  auto encoder = csv_encoder(schema, {.header = true});
  std::string out;
  encoder->begin(out);
  EXPECT_EQ(out, "");
  EncoderTestBatch b(schema);
  b.use_layout({"host", "status"});
  b.event("web1,200").column(0, "web1").column(1, "200");
  Batch& batch = b.finish();
  std::vector<uint32_t> events = {0};
  encoder->header_from_data(batch, events, out);
  encoder->encode(batch, events, out);
  encoder->encode(batch, events, out);
  EXPECT_EQ(out, "host,status\nweb1,200\nweb1,200\n");
}

TEST(CsvEncoder, HeaderWithoutColumnsIsNamedByEveryBatch) {
  Schema schema;
  auto encoder = csv_encoder(schema, {.header = true});
  EncoderTestBatch b(schema);
  b.use_layout({"a"});
  b.event("1").column(0, "1");
  Batch& batch = b.finish();
  std::vector<uint32_t> events = {0};
  std::string first;
  encoder->begin(first);
  encoder->header_from_data(batch, events, first);
  encoder->encode(batch, events, first);
  std::string second;
  encoder->header_from_data(batch, events, second);
  encoder->encode(batch, events, second);
  EXPECT_EQ(first, "a\n1\n");
  EXPECT_EQ(second, "a\n1\n");
}

TEST(CsvEncoder, HeaderWithoutColumnsOrLayoutFromFirstEvent) {
  Schema schema;
  auto encoder = csv_encoder(schema, {.header = true});
  EncoderTestBatch b(schema);
  b.event("x")
      .field("a", "1")
      .field("h.x", "0", FieldType::kString, Field::kHidden)
      .field("b", "2");
  std::string out;
  encoder->begin(out);
  Batch& batch = b.finish();
  std::vector<uint32_t> events = {0};
  encoder->header_from_data(batch, events, out);
  encoder->encode(batch, events, out);
  EXPECT_EQ(out, "a,b\n1,2\n");
}

TEST(CsvEncoder, HeaderFromTheDataNeedsAnEventToNameIt) {
  Schema schema;
  auto encoder = csv_encoder(schema, {.header = true});
  EncoderTestBatch b(schema);
  b.use_layout({"a"});
  b.event("1").column(0, "1");
  Batch& batch = b.finish();
  std::string out;
  encoder->begin(out);
  encoder->header_from_data(batch, {}, out);
  EXPECT_EQ(out, "");
  std::vector<uint32_t> events = {0};
  encoder->header_from_data(batch, events, out);
  EXPECT_EQ(out, "a\n");
}

TEST(CsvEncoder, NoHeaderFromTheDataWithColumnsOrWithoutHeader) {
  Schema schema;
  auto with_columns = csv_encoder(schema, {.columns = {"a"}, .header = true});
  auto without_header = csv_encoder(schema);
  EncoderTestBatch b(schema);
  b.use_layout({"a"});
  b.event("1").column(0, "1");
  Batch& batch = b.finish();
  std::vector<uint32_t> events = {0};
  std::string out;
  with_columns->header_from_data(batch, events, out);
  without_header->header_from_data(batch, events, out);
  EXPECT_EQ(out, "");
}

// A CSV header naming a field twice, or naming metadata, makes the parser hide those columns in
// every event (stages/parse/parser.h); the header written from the layout leaves them out too,
// so it matches the rows.
TEST(CsvEncoder, HeaderWithoutColumnsLeavesOutHiddenLayoutColumns) {
  Schema schema;
  auto encoder = csv_encoder(schema, {.header = true});
  std::string out;
  encoder->begin(out);
  EncoderTestBatch b(schema);
  b.use_layout({"n", "_source", "m", "n"});
  b.event("1,x,2,3").column(0, "1").column(1, "x").column(2, "2").column(3, "3");
  b.batch.fields[1].flags |= Field::kHidden;
  b.batch.fields[3].flags |= Field::kHidden;
  Batch& batch = b.finish();
  std::vector<uint32_t> events = {0};
  encoder->header_from_data(batch, events, out);
  encoder->encode(batch, events, out);
  EXPECT_EQ(out, "n,m\n1,2\n");
}

TEST(CsvEncoder, MetadataColumnsAreTheEventsOwnEvenBesideAFieldOfThatName) {
  Schema schema;
  auto encoder = csv_encoder(schema, {.columns = {"_raw", "_source", "a"}});
  EncoderTestBatch b(schema);
  b.event("real", 2).field("_raw", "forged").field("_source", "forged").field("a", "1");
  EXPECT_EQ(encode_all(*encoder, b), "real,/var/log/in.log:2,1\n");
}

TEST(CsvEncoder, DeadLetterColumns) {
  Schema schema;
  auto encoder = csv_encoder(schema, {.header = true, .dead_letter = true});
  std::string out;
  encoder->begin(out);
  EncoderTestBatch b(schema);
  b.error_event("a,b", "expected 3 fields, got 2", 5);
  Batch& batch = b.finish();
  std::vector<uint32_t> events = {0};
  encoder->encode(batch, events, out);
  EXPECT_EQ(out, "_raw,_source,_error\n\"a,b\",/var/log/in.log:5,\"expected 3 fields, got 2\"\n");
}

TEST(CsvEncoder, RejectsQuoteDelimiter) {
  Schema schema;
  EncoderOptions options;
  options.kind = EncoderOptions::Kind::kCsv;
  options.delimiter = '"';
  EXPECT_FALSE(make_encoder(options, schema).ok());
}

TEST(CsvEncoder, RejectsNewlineDelimiter) {
  Schema schema;
  EncoderOptions options;
  options.kind = EncoderOptions::Kind::kCsv;
  options.delimiter = '\n';
  EXPECT_FALSE(make_encoder(options, schema).ok());
}

}  // namespace
}  // namespace sluice
