#include "stages/sinks/json_encoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stages/schema.h"
#include "stages/sinks/encoder.h"
#include "tests/stages/sinks/encoder_test_batch.h"

namespace sluice {
namespace {

std::unique_ptr<Encoder> json_encoder(Schema& schema, std::vector<std::string> fields = {},
                                      bool dead_letter = false) {
  EncoderOptions options;
  options.kind = EncoderOptions::Kind::kJson;
  options.fields = std::move(fields);
  options.dead_letter = dead_letter;
  auto encoder = make_encoder(options, schema);
  EXPECT_TRUE(encoder.ok());
  return std::move(encoder).value();
}

std::string cat(std::initializer_list<std::string_view> parts) {
  // Concatenates without operator+, on which GCC 12 warns falsely (-Wrestrict).
  std::string s;
  for (std::string_view p : parts) {
    s.append(p);
  }
  return s;
}

const std::string kFffd = "\xEF\xBF\xBD";

TEST(JsonEncoder, AllFieldsInParseOrderWithNamesInText) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  b.event(R"({"b":"x","a":"y"})").field("b", "x").field("a", "y");
  EXPECT_EQ(encode_all(*encoder, b), "{\"b\":\"x\",\"a\":\"y\"}\n");
}

TEST(JsonEncoder, AllFieldsFromLayout) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  b.use_layout({"host", "status"});
  b.event("web1,200").column(0, "web1").column(1, "200");
  b.event("web2,404").column(0, "web2").column(1, "404");
  EXPECT_EQ(encode_all(*encoder, b),
            "{\"host\":\"web1\",\"status\":\"200\"}\n"
            "{\"host\":\"web2\",\"status\":\"404\"}\n");
}

TEST(JsonEncoder, NewLayoutBetweenBatchesUsesItsNames) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch first(schema);
  first.use_layout({"a"});
  first.event("1").column(0, "1");
  EXPECT_EQ(encode_all(*encoder, first), "{\"a\":\"1\"}\n");
  EncoderTestBatch second(schema);
  second.use_layout({"b"});
  second.event("2").column(0, "2");
  EXPECT_EQ(encode_all(*encoder, second), "{\"b\":\"2\"}\n");
}

TEST(JsonEncoder, ColumnsMayBeMissingOrReordered) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  b.use_layout({"a", "b", "c"});
  b.event("x").column(2, "z").column(0, "x");
  EXPECT_EQ(encode_all(*encoder, b), "{\"c\":\"z\",\"a\":\"x\"}\n");
}

TEST(JsonEncoder, HiddenFieldsLeftOut) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  b.event(R"({"a":{"b":1}})")
      .field("a", R"({"b":1})", FieldType::kJson)
      .field("a.b", "1", FieldType::kInt, Field::kHidden)
      .num_i(1);
  EXPECT_EQ(encode_all(*encoder, b), "{\"a\":{\"b\":1}}\n");
}

TEST(JsonEncoder, OnlyHiddenFieldsGiveEmptyObject) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x").field("a.b", "1", FieldType::kString, Field::kHidden).field("c", "2");
  EXPECT_EQ(encode_all(*encoder, b), "{\"c\":\"2\"}\n");
}

TEST(JsonEncoder, EventWithoutFieldsIsEmptyObject) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("{}");
  EXPECT_EQ(encode_all(*encoder, b), "{}\n");
}

TEST(JsonEncoder, MetadataLeftOutWithoutFields) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("raw text", 7).field("m", "v");
  EXPECT_EQ(encode_all(*encoder, b), "{\"m\":\"v\"}\n");
}

TEST(JsonEncoder, TypedValuesKeepTheirType) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x")
      .int_field("i", -17, "-17")
      .float_field("f", 0.1, "0.10")
      .bool_field("t", true, "yes")
      .bool_field("n", false, "0")
      .field("z", "null", FieldType::kNull)
      .field("ts", "2024-05-01T10:00:00Z", FieldType::kTimestamp)
      .num_i(1714557600000000000)
      .field("o", R"({"k":[1,"two",null]})", FieldType::kJson)
      .field("s", "42");
  EXPECT_EQ(encode_all(*encoder, b),
            "{\"i\":-17,\"f\":0.1,\"t\":true,\"n\":false,\"z\":null,"
            "\"ts\":\"2024-05-01T10:00:00Z\",\"o\":{\"k\":[1,\"two\",null]},\"s\":\"42\"}\n");
}

TEST(JsonEncoder, IntExtremes) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x")
      .int_field("max", std::numeric_limits<int64_t>::max())
      .int_field("min", std::numeric_limits<int64_t>::min());
  EXPECT_EQ(encode_all(*encoder, b),
            "{\"max\":9223372036854775807,\"min\":-9223372036854775808}\n");
}

TEST(JsonEncoder, FloatShortestForm) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x").float_field("a", 3.0).float_field("b", 1e21).float_field("c", -0.0);
  EXPECT_EQ(encode_all(*encoder, b), "{\"a\":3,\"b\":1e+21,\"c\":-0}\n");
}

TEST(JsonEncoder, NonFiniteFloatIsNull) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x")
      .float_field("nan", std::nan(""))
      .float_field("inf", std::numeric_limits<double>::infinity());
  EXPECT_EQ(encode_all(*encoder, b), "{\"nan\":null,\"inf\":null}\n");
}

TEST(JsonEncoder, EmptyJsonTextIsNull) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x").field("o", "", FieldType::kJson);
  EXPECT_EQ(encode_all(*encoder, b), "{\"o\":null}\n");
}

TEST(JsonEncoder, ValueEscaping) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x").field("msg", "say \"hi\"\\\n\t\x01\x7f");
  EXPECT_EQ(encode_all(*encoder, b), "{\"msg\":\"say \\\"hi\\\"\\\\\\n\\t\\u0001\x7f\"}\n");
}

TEST(JsonEncoder, TimestampTextEscaped) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x").field("ts", "2024\"", FieldType::kTimestamp);
  EXPECT_EQ(encode_all(*encoder, b), "{\"ts\":\"2024\\\"\"}\n");
}

TEST(JsonEncoder, ValidUtf8ValuePassesThrough) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x").field("msg", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(encode_all(*encoder, b), "{\"msg\":\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"}\n");
}

TEST(JsonEncoder, InvalidUtf8ValueReplaced) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x").field("msg",
                     "a\xFF"
                     "b\xE2\x82");
  EXPECT_EQ(encode_all(*encoder, b), cat({"{\"msg\":\"a", kFffd, "b", kFffd, "\"}\n"}));
}

TEST(JsonEncoder, KeysInTextEscaped) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("x").field("we\"ird\n", "1").field("\xC0", "2");
  EXPECT_EQ(encode_all(*encoder, b), cat({"{\"we\\\"ird\\n\":\"1\",\"", kFffd, "\":\"2\"}\n"}));
}

TEST(JsonEncoder, LayoutKeysEscaped) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  b.use_layout({"a\"b", "tab\there"});
  b.event("x").column(0, "1").column(1, "2");
  EXPECT_EQ(encode_all(*encoder, b), "{\"a\\\"b\":\"1\",\"tab\\there\":\"2\"}\n");
}

TEST(JsonEncoder, SelectedFieldsInListedOrder) {
  Schema schema;
  auto encoder = json_encoder(schema, {"c", "a"});
  EncoderTestBatch b(schema);
  b.event("x").field("a", "1").field("b", "2").field("c", "3");
  EXPECT_EQ(encode_all(*encoder, b), "{\"c\":\"3\",\"a\":\"1\"}\n");
}

TEST(JsonEncoder, SelectedFromLayout) {
  Schema schema;
  auto encoder = json_encoder(schema, {"status", "host"});
  EncoderTestBatch b(schema);
  b.use_layout({"host", "status", "bytes"});
  b.event("x").column(0, "web1").column(1, "200", FieldType::kInt).num_i(200).column(2, "5");
  EXPECT_EQ(encode_all(*encoder, b), "{\"status\":200,\"host\":\"web1\"}\n");
}

TEST(JsonEncoder, SelectedMissingFieldOmitted) {
  Schema schema;
  auto encoder = json_encoder(schema, {"missing", "a", "also_missing", "b"});
  EncoderTestBatch b(schema);
  b.event("x").field("a", "1").field("b", "2");
  EXPECT_EQ(encode_all(*encoder, b), "{\"a\":\"1\",\"b\":\"2\"}\n");
}

TEST(JsonEncoder, SelectedAllMissingIsEmptyObject) {
  Schema schema;
  auto encoder = json_encoder(schema, {"missing"});
  EncoderTestBatch b(schema);
  b.event("x").field("a", "1");
  EXPECT_EQ(encode_all(*encoder, b), "{}\n");
}

TEST(JsonEncoder, SelectedMetadata) {
  Schema schema;
  auto encoder = json_encoder(schema, {"_source", "a", "_raw"});
  EncoderTestBatch b(schema);
  b.event("a=\"1\"", 17).field("a", "1");
  EXPECT_EQ(encode_all(*encoder, b),
            "{\"_source\":\"/var/log/in.log:17\",\"a\":\"1\",\"_raw\":\"a=\\\"1\\\"\"}\n");
}

TEST(JsonEncoder, SelectedErrorLeftOutOnParsedEvent) {
  Schema schema;
  auto encoder = json_encoder(schema, {"a", "_error"});
  EncoderTestBatch b(schema);
  b.event("x").field("a", "1");
  EXPECT_EQ(encode_all(*encoder, b), "{\"a\":\"1\"}\n");
}

TEST(JsonEncoder, SelectedErrorWrittenOnParseError) {
  Schema schema;
  auto encoder = json_encoder(schema, {"a", "_error"});
  EncoderTestBatch b(schema);
  b.error_event("bad", "expected 3 fields, got 2");
  EXPECT_EQ(encode_all(*encoder, b), "{\"_error\":\"expected 3 fields, got 2\"}\n");
}

TEST(JsonEncoder, SelectedHiddenFieldWritten) {
  Schema schema;
  auto encoder = json_encoder(schema, {"a.b"});
  EncoderTestBatch b(schema);
  b.event("x")
      .field("a", R"({"b":5})", FieldType::kJson)
      .field("a.b", "5", FieldType::kInt, Field::kHidden)
      .num_i(5);
  EXPECT_EQ(encode_all(*encoder, b), "{\"a.b\":5}\n");
}

TEST(JsonEncoder, SelectedKeyEscaped) {
  Schema schema;
  auto encoder = json_encoder(schema, {"q\"k"});
  EncoderTestBatch b(schema);
  b.event("x").field("q\"k", "v");
  EXPECT_EQ(encode_all(*encoder, b), "{\"q\\\"k\":\"v\"}\n");
}

TEST(JsonEncoder, OnlyListedEventsWritten) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("1").field("n", "1");
  b.event("2").field("n", "2");
  b.event("3").field("n", "3");
  Batch& batch = b.finish();
  std::vector<uint32_t> events = {2, 0};
  std::string out;
  encoder->encode(batch, events, out);
  EXPECT_EQ(out, "{\"n\":\"3\"}\n{\"n\":\"1\"}\n");
}

TEST(JsonEncoder, AppendsToCallerBuffer) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  b.event("1").field("n", "1");
  Batch& batch = b.finish();
  std::vector<uint32_t> events = {0};
  std::string out = "before\n";
  encoder->encode(batch, events, out);
  encoder->encode(batch, events, out);
  EXPECT_EQ(out, "before\n{\"n\":\"1\"}\n{\"n\":\"1\"}\n");
}

TEST(JsonEncoder, NoEventsWritesNothing) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  Batch& batch = b.finish();
  std::string out = "keep";
  encoder->encode(batch, {}, out);
  EXPECT_EQ(out, "keep");
}

TEST(JsonEncoder, OutputLargerThanInitialRoom) {
  Schema schema;
  auto encoder = json_encoder(schema);
  EncoderTestBatch b(schema);
  std::string big(100000, 'x');
  std::string expected;
  for (int i = 0; i < 5; ++i) {
    b.event("x").field("k", big).field("ctl", std::string(30000, '\x01'));
    expected += cat({"{\"k\":\"", big, "\",\"ctl\":\""});
    for (int j = 0; j < 30000; ++j) {
      expected += "\\u0001";
    }
    expected += "\"}\n";
  }
  EXPECT_EQ(encode_all(*encoder, b), expected);
}

TEST(JsonEncoder, DeadLetterWritesRawSourceError) {
  Schema schema;
  auto encoder = json_encoder(schema, {}, /*dead_letter=*/true);
  EncoderTestBatch b(schema);
  b.error_event("a,b", "expected 3 fields, got 2", 4);
  EXPECT_EQ(encode_all(*encoder, b),
            "{\"_raw\":\"a,b\",\"_source\":\"/var/log/in.log:4\","
            "\"_error\":\"expected 3 fields, got 2\"}\n");
}

TEST(JsonEncoder, DeadLetterEscapesRawAndRepairsUtf8) {
  Schema schema;
  auto encoder = json_encoder(schema, {}, /*dead_letter=*/true);
  EncoderTestBatch b(schema);
  b.error_event("{\"a\":\n\xFF", "bad \"json\"", 2);
  EXPECT_EQ(encode_all(*encoder, b),
            cat({"{\"_raw\":\"{\\\"a\\\":\\n", kFffd,
                 "\",\"_source\":\"/var/log/in.log:2\",\"_error\":\"bad \\\"json\\\"\"}\n"}));
}

TEST(JsonEncoder, DeadLetterWritesEmptyErrorWhenNone) {
  Schema schema;
  auto encoder = json_encoder(schema, {}, /*dead_letter=*/true);
  EncoderTestBatch b(schema);
  b.event("ok");
  EXPECT_EQ(encode_all(*encoder, b),
            "{\"_raw\":\"ok\",\"_source\":\"/var/log/in.log:1\",\"_error\":\"\"}\n");
}

TEST(JsonEncoder, DeadLetterWithoutSourceName) {
  Schema schema;
  auto encoder = json_encoder(schema, {}, /*dead_letter=*/true);
  EncoderTestBatch b(schema);
  b.batch.source = nullptr;
  b.error_event("x", "why", 3);
  EXPECT_EQ(encode_all(*encoder, b), "{\"_raw\":\"x\",\"_source\":\":3\",\"_error\":\"why\"}\n");
}

TEST(JsonEncoder, DeadLetterHonoursListedFields) {
  Schema schema;
  auto encoder = json_encoder(schema, {"_error", "_raw"}, /*dead_letter=*/true);
  EncoderTestBatch b(schema);
  b.error_event("x", "why");
  EXPECT_EQ(encode_all(*encoder, b), "{\"_error\":\"why\",\"_raw\":\"x\"}\n");
}

// Parsers never give an event a field named like metadata (stages/parse/parser.h); should one
// reach an encoder anyway, a metadata name listed in `fields` still means the metadata.
TEST(JsonEncoder, SelectedMetadataIsTheEventsOwnEvenBesideAFieldOfThatName) {
  Schema schema;
  auto encoder = json_encoder(schema, {"_raw", "_source", "_error", "a"});
  EncoderTestBatch b(schema);
  b.event("real line", 3).field("_raw", "forged").field("_source", "forged").field("a", "1");
  EXPECT_EQ(encode_all(*encoder, b),
            "{\"_raw\":\"real line\",\"_source\":\"/var/log/in.log:3\",\"a\":\"1\"}\n");
}

TEST(JsonEncoder, DeadLetterMetadataIsTheEventsOwnEvenBesideAFieldOfThatName) {
  Schema schema;
  auto encoder = json_encoder(schema, {}, /*dead_letter=*/true);
  EncoderTestBatch b(schema);
  b.event("real line", 8).field("_raw", "forged").field("_error", "forged");
  b.error_event("bad line", "why", 9);
  EXPECT_EQ(encode_all(*encoder, b),
            "{\"_raw\":\"real line\",\"_source\":\"/var/log/in.log:8\",\"_error\":\"\"}\n"
            "{\"_raw\":\"bad line\",\"_source\":\"/var/log/in.log:9\",\"_error\":\"why\"}\n");
}

TEST(MakeEncoder, InternsListedFields) {
  Schema schema;
  auto encoder = json_encoder(schema, {"a", "_raw"});
  ASSERT_TRUE(schema.find("a").has_value());
  ASSERT_TRUE(schema.find("_raw").has_value());
  EXPECT_EQ(schema.meta(*schema.find("_raw")), MetaField::kRaw);
}

TEST(MakeEncoder, RejectsDuplicateField) {
  Schema schema;
  EncoderOptions options;
  options.fields = {"a", "b", "a"};
  auto encoder = make_encoder(options, schema);
  ASSERT_FALSE(encoder.ok());
}

TEST(MakeEncoder, RejectsEmptyFieldName) {
  Schema schema;
  EncoderOptions options;
  options.fields = {""};
  EXPECT_FALSE(make_encoder(options, schema).ok());
}

TEST(MakeEncoder, RejectsColumnsForJson) {
  Schema schema;
  EncoderOptions options;
  options.columns = {"a"};
  EXPECT_FALSE(make_encoder(options, schema).ok());
}

TEST(MakeEncoder, RejectsHeaderForJson) {
  Schema schema;
  EncoderOptions options;
  options.header = true;
  EXPECT_FALSE(make_encoder(options, schema).ok());
}

TEST(MakeEncoder, RejectsFieldsForRaw) {
  Schema schema;
  EncoderOptions options;
  options.kind = EncoderOptions::Kind::kRaw;
  options.fields = {"a"};
  EXPECT_FALSE(make_encoder(options, schema).ok());
}

}  // namespace
}  // namespace sluice
