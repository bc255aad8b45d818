#include "stages/parse/json_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tests/stages/parse/json_mutation.h"

namespace sluice {
namespace {

class JsonParserTest : public ::testing::Test {
 protected:
  std::unique_ptr<Parser> parser() {
    options_.format = ParseOptions::Format::kJson;
    auto made = make_json_parser(options_, schema_);
    EXPECT_TRUE(made.ok());
    return std::move(made.value());
  }

  static void add(Batch& batch, std::string_view line) {
    Event& e = batch.events.emplace_back();
    e.raw = Span{static_cast<uint32_t>(batch.text.size()), static_cast<uint32_t>(line.size())};
    batch.text.append(line);
    batch.text.push_back('\n');
  }

  // Parses one line and returns its event.
  const Event& parse_line(std::string_view line) {
    auto p = parser();
    add(batch_, line);
    p->parse(batch_);
    return batch_.events.back();
  }

  // `line`, parsed alone in a batch of its own, is a parse error reported as invalid JSON.
  void expect_invalid_json(std::string_view line) {
    Batch batch;
    auto p = parser();
    add(batch, line);
    p->parse(batch);
    EXPECT_EQ(batch.events[0].state, EventState::kParseError) << line;
    EXPECT_EQ(batch.str(batch.events[0].error).rfind("invalid JSON: ", 0), 0u) << line;
  }

  // name=value pairs of the event's top-level fields, in order.
  std::vector<std::string> fields(const Event& e) const {
    std::vector<std::string> out;
    for (uint32_t i = 0; i < e.field_count; ++i) {
      const Field& f = batch_.fields[e.first_field + i];
      if ((f.flags & Field::kHidden) == 0) {
        out.push_back(std::string(batch_.field_name(f)) + "=" + std::string(batch_.str(f.value)));
      }
    }
    return out;
  }

  const Field& field(const Event& e, uint32_t i) const { return batch_.fields[e.first_field + i]; }

  std::string error(const Event& e) const { return std::string(batch_.str(e.error)); }

  ParseOptions options_;
  Schema schema_;
  Batch batch_;
};

TEST_F(JsonParserTest, TopLevelKeysAreFieldsInDocumentOrder) {
  const Event& e = parse_line(R"({"b":"x","a":"y","c":"z"})");
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(fields(e), (std::vector<std::string>{"b=x", "a=y", "c=z"}));
  EXPECT_EQ(batch_.layout, nullptr);
  EXPECT_EQ(field(e, 0).flags, 0);
}

TEST_F(JsonParserTest, WhitespaceAroundTokensIsIgnored) {
  const Event& e = parse_line(" \t{ \"a\" : 1 , \"b\" :\"s\"\t}  ");
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(fields(e), (std::vector<std::string>{"a=1", "b=s"}));
}

TEST_F(JsonParserTest, EmptyObjectHasNoFields) {
  const Event& e = parse_line("{}");
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(e.field_count, 0u);
}

TEST_F(JsonParserTest, PlainStringsAndKeysPointIntoTheRawLine) {
  const Event& e = parse_line(R"({"key":"value"})");
  ASSERT_EQ(e.state, EventState::kParsed);
  const size_t line_end = e.raw.off + e.raw.len;
  EXPECT_EQ(batch_.text.size(), line_end + 1);  // nothing appended
  EXPECT_EQ(field(e, 0).name.off, e.raw.off + 2);
  EXPECT_EQ(field(e, 0).value.off, e.raw.off + 8);
  EXPECT_EQ(field(e, 0).type, FieldType::kString);
}

TEST_F(JsonParserTest, EscapesAreUnescaped) {
  const Event& e = parse_line(
      R"({"nl":"a\nb","tab":"\t","q":"say \"hi\"","bs":"c:\\d","sl":"\/","e":"caf\u00e9"})");
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(fields(e), (std::vector<std::string>{"nl=a\nb", "tab=\t", "q=say \"hi\"", "bs=c:\\d",
                                                 "sl=/", "e=caf\xc3\xa9"}));
}

// The backslash check of a plain string reads a word at a time, past the closing quote: a
// backslash just after the string (here in the next key) must not make the string look escaped.
TEST_F(JsonParserTest, PlainStringBeforeAnEscapeStaysInTheRawLine) {
  for (size_t len = 0; len <= 17; ++len) {
    Batch batch;
    auto p = parser();
    const std::string value(len, 'x');
    add(batch, "{\"a\":\"" + value + "\",\"\\\\\":\"\\\"\"}");
    p->parse(batch);
    const Event& e = batch.events[0];
    ASSERT_EQ(e.state, EventState::kParsed) << len;
    const Field& a = batch.fields[e.first_field];
    EXPECT_EQ(a.value.off, e.raw.off + 6) << len;  // in the line, not a copy
    EXPECT_EQ(batch.str(a.value), value);
    const Field& escaped = batch.fields[e.first_field + 1];
    EXPECT_EQ(batch.field_name(escaped), "\\");
    EXPECT_EQ(batch.str(escaped.value), "\"");
  }
}

// A string needs no unescaping, but is still read: what follows it must be ',' or '}'. (On
// Demand skips a value left unread by nesting depth alone, which would take `"b":{"c":1}}` for
// one value and parse the line.)
TEST_F(JsonParserTest, StringValueFollowedByAnythingButACommaIsParseError) {
  for (const char* line :
       {R"({"a":"b":{"c":1}},"d":2})", R"({"a":"b":[{"c":1}]},"d":2})",
        R"({"o":{"k":"v":{"c":1}}},"d":2})", R"({"a":"b":[1]})", R"({"a":"b" "c"})"}) {
    expect_invalid_json(line);
  }
}

TEST_F(JsonParserTest, SurrogatePairBecomesOneUtf8Character) {
  const Event& e = parse_line(R"({"s":"\ud83d\ude00!"})");
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(fields(e), (std::vector<std::string>{"s=\xf0\x9f\x98\x80!"}));
}

TEST_F(JsonParserTest, LoneSurrogateIsParseError) {
  const Event& e = parse_line(R"({"s":"\ud83d"})");
  EXPECT_EQ(e.state, EventState::kParseError);
  EXPECT_EQ(error(e).rfind("invalid JSON: ", 0), 0u) << error(e);
}

TEST_F(JsonParserTest, InvalidEscapeIsParseError) {
  const Event& e = parse_line(R"({"s":"\x"})");
  EXPECT_EQ(e.state, EventState::kParseError);
  EXPECT_EQ(error(e).rfind("invalid JSON: ", 0), 0u) << error(e);
}

TEST_F(JsonParserTest, RawUtf8IsKept) {
  const Event& e = parse_line("{\"s\":\"h\xc3\xa9llo \xe2\x82\xac\"}");
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(fields(e), (std::vector<std::string>{"s=h\xc3\xa9llo \xe2\x82\xac"}));
}

TEST_F(JsonParserTest, EscapedKeyIsUnescaped) {
  const Event& e = parse_line(R"({"a\"b\u00e9":1})");
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(batch_.field_name(field(e, 0)), "a\"b\xc3\xa9");
}

TEST_F(JsonParserTest, IntegersAreIntWithTheirText) {
  const Event& e = parse_line(R"({"a":0,"b":-42,"c":9223372036854775807})");
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(fields(e), (std::vector<std::string>{"a=0", "b=-42", "c=9223372036854775807"}));
  EXPECT_EQ(field(e, 0).type, FieldType::kInt);
  EXPECT_EQ(field(e, 0).num.i, 0);
  EXPECT_EQ(field(e, 1).type, FieldType::kInt);
  EXPECT_EQ(field(e, 1).num.i, -42);
  EXPECT_EQ(field(e, 2).num.i, INT64_MAX);
}

TEST_F(JsonParserTest, FloatsAreFloatWithTheirOriginalText) {
  const Event& e = parse_line(R"({"a":1.5,"b":-2.50E3 ,"c":1e-2,"d":18446744073709551615})");
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(fields(e),
            (std::vector<std::string>{"a=1.5", "b=-2.50E3", "c=1e-2", "d=18446744073709551615"}));
  EXPECT_EQ(field(e, 0).type, FieldType::kFloat);
  EXPECT_EQ(field(e, 0).num.f, 1.5);
  EXPECT_EQ(field(e, 1).num.f, -2500.0);
  EXPECT_EQ(field(e, 2).num.f, 0.01);
  EXPECT_EQ(field(e, 3).type, FieldType::kFloat);  // above int64
  EXPECT_EQ(field(e, 3).num.f, 18446744073709551615.0);
}

TEST_F(JsonParserTest, MalformedNumberIsParseError) {
  const Event& e = parse_line(R"({"a":01})");
  EXPECT_EQ(e.state, EventState::kParseError);
  EXPECT_EQ(error(e).rfind("invalid JSON: ", 0), 0u) << error(e);
}

TEST_F(JsonParserTest, BoolsAndNull) {
  const Event& e = parse_line(R"({"t":true,"f":false,"n":null})");
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(fields(e), (std::vector<std::string>{"t=true", "f=false", "n=null"}));
  EXPECT_EQ(field(e, 0).type, FieldType::kBool);
  EXPECT_EQ(field(e, 0).num.i, 1);
  EXPECT_EQ(field(e, 1).type, FieldType::kBool);
  EXPECT_EQ(field(e, 1).num.i, 0);
  EXPECT_EQ(field(e, 2).type, FieldType::kNull);
}

TEST_F(JsonParserTest, MisspelledLiteralIsParseError) {
  const Event& e = parse_line(R"({"t":tru})");
  EXPECT_EQ(e.state, EventState::kParseError);
  EXPECT_EQ(error(e).rfind("invalid JSON: ", 0), 0u) << error(e);
}

TEST_F(JsonParserTest, NestedValuesAreMinifiedJsonText) {
  const Event& e = parse_line(
      R"({"o": { "x" : [1, 2.50, {"y": "z\n"} ] , "e\"k" : {}, "n": [ ], "l":[true,false,null]}, "a" : [ "s" , -1e3 ]})");
  ASSERT_EQ(e.state, EventState::kParsed);
  ASSERT_EQ(e.field_count, 2u);
  EXPECT_EQ(field(e, 0).type, FieldType::kJson);
  EXPECT_EQ(batch_.str(field(e, 0).value),
            R"({"x":[1,2.50,{"y":"z\n"}],"e\"k":{},"n":[],"l":[true,false,null]})");
  EXPECT_EQ(field(e, 1).type, FieldType::kJson);
  EXPECT_EQ(batch_.str(field(e, 1).value), R"(["s",-1e3])");
}

TEST_F(JsonParserTest, InvalidNestedValueIsParseError) {
  for (const char* line : {R"({"a":[1,,2]})", R"({"a":{"b":tru}})", R"({"a":{"b" 1}})",
                           R"({"a":[1,2}})", R"({"a":{"b":"\q"}})", R"({"a":[01]})"}) {
    expect_invalid_json(line);
  }
}

TEST_F(JsonParserTest, DottedNamesReachNestedValuesAsHiddenFields) {
  Slot ab = schema_.intern("a.b");
  Slot acd = schema_.intern("a.c.d");
  Slot arr = schema_.intern("arr.1");
  Slot obj = schema_.intern("a.c");
  Slot a = schema_.intern("a");
  const Event& e = parse_line(R"({"a":{"b":7,"c":{"d":"deep\tx"}},"arr":["p","q"]})");
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(fields(e), (std::vector<std::string>{"a={\"b\":7,\"c\":{\"d\":\"deep\\tx\"}}",
                                                 "arr=[\"p\",\"q\"]"}));
  const Field* f = batch_.field(e, ab);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->flags, Field::kHidden);
  EXPECT_EQ(f->type, FieldType::kInt);
  EXPECT_EQ(f->num.i, 7);
  EXPECT_EQ(batch_.str(f->value), "7");
  EXPECT_EQ(batch_.field_name(*f), "a.b");
  f = batch_.field(e, acd);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(batch_.str(f->value), "deep\tx");
  f = batch_.field(e, arr);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(batch_.str(f->value), "q");
  f = batch_.field(e, obj);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->type, FieldType::kJson);
  EXPECT_EQ(batch_.str(f->value), R"({"d":"deep\tx"})");
  f = batch_.field(e, a);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->flags, 0);
  EXPECT_EQ(f, &field(e, 0));
}

TEST_F(JsonParserTest, MissingPathsAreAbsent) {
  Slot ax = schema_.intern("a.x");
  Slot sb = schema_.intern("s.b");
  Slot deep = schema_.intern("a.b.c");
  Slot idx = schema_.intern("l.5");
  const Event& e = parse_line(R"({"a":{"b":1},"s":"str","l":[1]})");
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(batch_.field(e, ax), nullptr);
  EXPECT_EQ(batch_.field(e, sb), nullptr);
  EXPECT_EQ(batch_.field(e, deep), nullptr);
  EXPECT_EQ(batch_.field(e, idx), nullptr);
  EXPECT_EQ(e.field_count, 3u);
}

TEST_F(JsonParserTest, TopLevelKeyWithADotWinsOverThePath) {
  Slot ab = schema_.intern("a.b");
  const Event& e = parse_line(R"({"a":{"b":1},"a.b":2})");
  ASSERT_EQ(e.state, EventState::kParsed);
  const Field* f = batch_.field(e, ab);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->flags, 0);
  EXPECT_EQ(f->num.i, 2);
  EXPECT_EQ(e.field_count, 2u);
}

TEST_F(JsonParserTest, SlotsResolvePerEvent) {
  Slot host = schema_.intern("host");
  Slot hosts = schema_.intern("hosts");
  Slot other = schema_.intern("h");
  auto p = parser();
  add(batch_, R"({"hosts":"many","host":"one"})");
  add(batch_, R"({"h":1})");
  p->parse(batch_);
  ASSERT_EQ(batch_.slot_fields.size(), 6u);
  const Event& e0 = batch_.events[0];
  EXPECT_EQ(batch_.str(batch_.field(e0, host)->value), "one");
  EXPECT_EQ(batch_.str(batch_.field(e0, hosts)->value), "many");
  EXPECT_EQ(batch_.field(e0, other), nullptr);
  const Event& e1 = batch_.events[1];
  EXPECT_EQ(e1.slot_base, 3u);
  EXPECT_EQ(batch_.field(e1, host), nullptr);
  EXPECT_EQ(batch_.str(batch_.field(e1, other)->value), "1");
}

// The field-name rule (stages/parse/parser.h): an event's fields have unique names, none of them
// a metadata name. Each case runs on both ways a line is read: the flat path and simdjson.
class JsonFieldNameRuleTest : public JsonParserTest, public ::testing::WithParamInterface<bool> {
 protected:
  // Parses `lines` as one batch with a parser of its own, the flat path on or off per the param.
  uint64_t parse_lines(const std::vector<std::string>& lines) {
    options_.format = ParseOptions::Format::kJson;
    JsonParser p(options_, schema_);
    p.set_flat_path(GetParam());
    for (const std::string& line : lines) {
      add(batch_, line);
    }
    p.parse(batch_);
    return p.dropped_keys();
  }
};

INSTANTIATE_TEST_SUITE_P(BothPaths, JsonFieldNameRuleTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Flat" : "Simdjson"; });

TEST_P(JsonFieldNameRuleTest, RepeatedKeyKeepsOnlyTheFirstOccurrence) {
  Slot n = schema_.intern("n");
  EXPECT_EQ(parse_lines({R"({"n":1,"m":"x","n":2})"}), 1u);
  const Event& e = batch_.events[0];
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(fields(e), (std::vector<std::string>{"n=1", "m=x"}));
  EXPECT_EQ(batch_.field(e, n)->num.i, 1);
}

TEST_P(JsonFieldNameRuleTest, KeyRepeatedManyTimesIsCountedPerOccurrence) {
  EXPECT_EQ(parse_lines({R"({"n":1,"n":2,"n":3,"m":4,"m":5})", R"({"n":6,"n":7})"}), 4u);
  EXPECT_EQ(fields(batch_.events[0]), (std::vector<std::string>{"n=1", "m=4"}));
  EXPECT_EQ(fields(batch_.events[1]), (std::vector<std::string>{"n=6"}));
}

TEST_P(JsonFieldNameRuleTest, KeysOfOneEventDoNotCountAsRepeatsInTheNext) {
  EXPECT_EQ(parse_lines({R"({"n":1,"m":2})", R"({"m":3,"n":4})"}), 0u);
  EXPECT_EQ(fields(batch_.events[1]), (std::vector<std::string>{"m=3", "n=4"}));
}

TEST_P(JsonFieldNameRuleTest, RepeatedKeyIsNotConverted) {
  options_.types = {{"n", FieldType::kInt}};
  EXPECT_EQ(parse_lines({R"({"n":"1","n":"not a number"})"}), 1u);
  const Event& e = batch_.events[0];
  ASSERT_EQ(e.state, EventState::kParsed) << error(e);
  EXPECT_EQ(field(e, 0).type, FieldType::kInt);
  EXPECT_EQ(field(e, 0).num.i, 1);
}

TEST_P(JsonFieldNameRuleTest, RepeatedKeyMustStillBeValidJson) {
  EXPECT_EQ(parse_lines({R"({"n":1,"n":tru})"}), 0u);
  EXPECT_EQ(batch_.events[0].state, EventState::kParseError);
  EXPECT_EQ(error(batch_.events[0]).rfind("invalid JSON: ", 0), 0u);
}

TEST_P(JsonFieldNameRuleTest, RepeatedKeyWithANestedValueLeavesNoText) {
  EXPECT_EQ(parse_lines({R"({"n":1,"n":{"x":[1,"\u00e9"]},"b":"c\td"})"}), 1u);
  const Event& e = batch_.events[0];
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(fields(e), (std::vector<std::string>{"n=1", "b=c\td"}));
  // Only b's unescaped value was appended; the dropped value's minified copy was taken back.
  EXPECT_EQ(batch_.text.size(), e.raw.off + e.raw.len + 1 + 3);
}

TEST_P(JsonFieldNameRuleTest, RepeatedKeyThatIsOnlyEscapedDifferentlyIsDropped) {
  EXPECT_EQ(parse_lines({R"({"ab":1,"a\u0062":2})"}), 1u);
  EXPECT_EQ(fields(batch_.events[0]), (std::vector<std::string>{"ab=1"}));
}

TEST_P(JsonFieldNameRuleTest, RepeatedEmptyKeyIsDropped) {
  EXPECT_EQ(parse_lines({R"({"":1,"a":2,"":3})"}), 1u);
  EXPECT_EQ(fields(batch_.events[0]), (std::vector<std::string>{"=1", "a=2"}));
}

TEST_P(JsonFieldNameRuleTest, RepeatedLongKeysDifferingOnlyPastTheirHeadAreKept) {
  const std::string k1 = std::string(20, 'k') + "1";
  const std::string k2 = std::string(20, 'k') + "2";
  EXPECT_EQ(parse_lines({"{\"" + k1 + "\":1,\"" + k2 + "\":2,\"" + k1 + "\":3}"}), 1u);
  EXPECT_EQ(fields(batch_.events[0]), (std::vector<std::string>{k1 + "=1", k2 + "=2"}));
}

// Past the first 64 names (metadata, configured, learned) a key has no bit of its own: its
// repeats are found by comparing names, and keys that do not repeat are all kept.
TEST_P(JsonFieldNameRuleTest, RepeatsAreFoundAmongMoreKeysThanTheLearnedNames) {
  std::string wide = "{";
  for (int i = 0; i < 200; ++i) {
    wide += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  }
  std::string with_repeats = wide + R"("k150":-1,"k3":-1,"k199":-1})";
  wide += R"("last":0})";
  EXPECT_EQ(parse_lines({wide, with_repeats, wide}), 3u);
  EXPECT_EQ(batch_.events[0].field_count, 201u);
  EXPECT_EQ(batch_.events[1].field_count, 200u);
  EXPECT_EQ(batch_.events[2].field_count, 201u);
  EXPECT_EQ(fields(batch_.events[1]).back(), "k199=199");
}

// Keys the table does not know share bits now and then; names tell them apart, and those keys are
// learned between events. Neither may ever drop a key that does not repeat, nor miss one that does.
TEST_P(JsonFieldNameRuleTest, KeysSharingBitsAreToldApartBeforeAndAfterBeingLearned) {
  std::string unique = "{";
  std::string repeated = "{";
  for (int i = 0; i < 40; ++i) {
    unique += "\"key" + std::to_string(i * 7919) + "\":" + std::to_string(i) + ",";
  }
  repeated = unique;
  for (int i = 0; i < 40; ++i) {
    repeated += "\"key" + std::to_string(i * 7919) + "\":-1,";
  }
  unique += "\"end\":0}";
  repeated += "\"end\":0}";
  EXPECT_EQ(parse_lines({unique, unique, repeated, unique, repeated}), 80u);
  for (size_t e : {0, 1, 3}) {
    EXPECT_EQ(batch_.events[e].field_count, 41u) << e;
  }
  for (size_t e : {2, 4}) {
    EXPECT_EQ(batch_.events[e].field_count, 41u) << e;
    EXPECT_EQ(fields(batch_.events[e])[39], "key" + std::to_string(39 * 7919) + "=39") << e;
  }
}

TEST_P(JsonFieldNameRuleTest, MetadataNamedKeysAreDropped) {
  Slot raw = schema_.intern("_raw");
  Slot source = schema_.intern("_source");
  EXPECT_EQ(parse_lines({R"({"_raw":"spoof","a":1,"_source":"x:1","_error":"e"})"}), 3u);
  const Event& e = batch_.events[0];
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(fields(e), (std::vector<std::string>{"a=1"}));
  EXPECT_EQ(batch_.field(e, raw), nullptr);
  EXPECT_EQ(batch_.field(e, source), nullptr);
}

TEST_P(JsonFieldNameRuleTest, MetadataNamedKeyIsNotConverted) {
  options_.types = {{"_raw", FieldType::kInt}};
  EXPECT_EQ(parse_lines({R"({"_raw":"x"})"}), 1u);
  EXPECT_EQ(batch_.events[0].state, EventState::kParsed);
}

TEST_P(JsonFieldNameRuleTest, KeysMerelyStartingWithAnUnderscoreAreKept) {
  EXPECT_EQ(parse_lines({R"({"_rawx":1,"_":2,"_Raw":3,"__raw":4})"}), 0u);
  EXPECT_EQ(fields(batch_.events[0]),
            (std::vector<std::string>{"_rawx=1", "_=2", "_Raw=3", "__raw=4"}));
}

TEST_P(JsonFieldNameRuleTest, DroppedKeysOfAFailedLineAreNotCounted) {
  options_.types = {{"b", FieldType::kInt}};
  EXPECT_EQ(parse_lines({R"({"a":1,"a":2,"b":"x"})"}), 0u);
  EXPECT_EQ(batch_.events[0].state, EventState::kParseError);
}

TEST_F(JsonParserTest, DropsAreCountedOnceWhenTheFlatPathHandsTheLineToSimdjson) {
  options_.format = ParseOptions::Format::kJson;
  JsonParser p(options_, schema_);
  p.set_flat_path(true);
  add(batch_, R"({"a":1,"a":2,"b":[1]})");  // the flat path drops a, then declines at the array
  p.parse(batch_);
  EXPECT_EQ(fields(batch_.events[0]), (std::vector<std::string>{"a=1", "b=[1]"}));
  EXPECT_EQ(p.dropped_keys(), 1u);
}

TEST_F(JsonParserTest, DroppedKeysWarnOncePerParser) {
  auto p = parser();
  ::testing::internal::CaptureStderr();
  for (int round = 0; round < 3; ++round) {
    Batch batch;
    batch.source = std::make_shared<const std::string>("in.json");
    add(batch, R"({"a":1,"a":2})");
    batch.events.back().position = 7;
    add(batch, R"({"_raw":1})");
    p->parse(batch);
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(p->dropped_keys(), 6u);
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_NE(err.find("key `a` at in.json:7 repeats within the event"), std::string::npos) << err;
}

TEST_F(JsonParserTest, MetadataNamedKeyWarningSaysWhy) {
  auto p = parser();
  ::testing::internal::CaptureStderr();
  add(batch_, R"({"_source":"forged"})");
  p->parse(batch_);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("key `_source` at :0 is a metadata name"), std::string::npos) << err;
}

TEST_F(JsonParserTest, UniqueKeysAreNeitherCountedNorWarned) {
  auto p = parser();
  ::testing::internal::CaptureStderr();
  add(batch_, R"({"a":1,"b":2})");
  p->parse(batch_);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(p->dropped_keys(), 0u);
}

TEST_F(JsonParserTest, NestedObjectKeepsItsRepeatedKeys) {
  // Only top-level keys are fields; a nested value is passed on as its (minified) text.
  const Event& e = parse_line(R"({"o":{"x":1,"x":2}})");
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(fields(e), (std::vector<std::string>{R"(o={"x":1,"x":2})"}));
}

TEST_F(JsonParserTest, DeclaredTypesConvertStrings) {
  options_.types = {{"status", FieldType::kInt},
                    {"ok", FieldType::kBool},
                    {"ts", FieldType::kTimestamp},
                    {"ratio", FieldType::kFloat}};
  const Event& e =
      parse_line(R"({"status":"500","ok":"yes","ts":"1970-01-01T00:00:02.5Z","ratio":3})");
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(field(e, 0).type, FieldType::kInt);
  EXPECT_EQ(field(e, 0).num.i, 500);
  EXPECT_EQ(batch_.str(field(e, 0).value), "500");
  EXPECT_EQ(field(e, 1).type, FieldType::kBool);
  EXPECT_EQ(field(e, 1).num.i, 1);
  EXPECT_EQ(field(e, 2).type, FieldType::kTimestamp);
  EXPECT_EQ(field(e, 2).num.i, 2500000000);
  EXPECT_EQ(field(e, 3).type, FieldType::kFloat);
  EXPECT_EQ(field(e, 3).num.f, 3.0);
}

TEST_F(JsonParserTest, DeclaredIntAndBoolKeepJsonIntsAndBools) {
  options_.types = {{"n", FieldType::kInt}, {"m", FieldType::kInt}, {"b", FieldType::kBool}};
  const Event& e = parse_line(R"({"n":-9223372036854775808,"m":0,"b":false})");
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(field(e, 0).type, FieldType::kInt);
  EXPECT_EQ(field(e, 0).num.i, INT64_MIN);
  EXPECT_EQ(batch_.str(field(e, 0).value), "-9223372036854775808");
  EXPECT_EQ(field(e, 1).type, FieldType::kInt);
  EXPECT_EQ(field(e, 1).num.i, 0);
  EXPECT_EQ(field(e, 2).type, FieldType::kBool);
  EXPECT_EQ(field(e, 2).num.i, 0);
  EXPECT_EQ(batch_.str(field(e, 2).value), "false");
}

TEST_F(JsonParserTest, DeclaredStringKeepsTheTextOfScalars) {
  options_.types = {{"code", FieldType::kString}, {"flag", FieldType::kString}};
  const Event& e = parse_line(R"({"code":404,"flag":true})");
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(field(e, 0).type, FieldType::kString);
  EXPECT_EQ(batch_.str(field(e, 0).value), "404");
  EXPECT_EQ(field(e, 1).type, FieldType::kString);
  EXPECT_EQ(batch_.str(field(e, 1).value), "true");
}

TEST_F(JsonParserTest, DeclaredTypeAppliesToDottedPath) {
  schema_.intern("a.b");
  options_.types = {{"a.b", FieldType::kInt}};
  const Event& e = parse_line(R"({"a":{"b":"12"}})");
  ASSERT_EQ(e.state, EventState::kParsed);
  const Field* f = batch_.field(e, 0);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->type, FieldType::kInt);
  EXPECT_EQ(f->num.i, 12);
}

TEST_F(JsonParserTest, NullStaysNullWhateverTheDeclaredType) {
  options_.types = {{"status", FieldType::kInt}};
  const Event& e = parse_line(R"({"status":null})");
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(field(e, 0).type, FieldType::kNull);
}

TEST_F(JsonParserTest, ValueThatDoesNotConvertIsParseError) {
  options_.types = {{"status", FieldType::kInt}};
  auto p = parser();
  add(batch_, R"({"x":"a\nb","status":"abc"})");
  add(batch_, R"({"status":200})");
  const size_t text_size = batch_.text.size();
  p->parse(batch_);
  const Event& bad = batch_.events[0];
  EXPECT_EQ(bad.state, EventState::kParseError);
  EXPECT_EQ(error(bad), "field 'status': cannot convert 'abc' to int");
  EXPECT_EQ(bad.field_count, 0u);
  // The bad event's unescaped value was taken back; only the reason was appended.
  EXPECT_EQ(bad.error.off, text_size);
  const Event& good = batch_.events[1];
  ASSERT_EQ(good.state, EventState::kParsed);
  EXPECT_EQ(good.first_field, 0u);
  EXPECT_EQ(fields(good), (std::vector<std::string>{"status=200"}));
}

TEST_F(JsonParserTest, FloatDeclaredIntIsParseError) {
  options_.types = {{"n", FieldType::kInt}};
  const Event& e = parse_line(R"({"n":1.5})");
  EXPECT_EQ(e.state, EventState::kParseError);
  EXPECT_EQ(error(e), "field 'n': cannot convert '1.5' to int");
}

TEST_F(JsonParserTest, LongValueIsShortenedInTheError) {
  options_.types = {{"n", FieldType::kInt}};
  const Event& e = parse_line(R"({"n":")" + std::string(100, 'x') + R"("})");
  EXPECT_EQ(e.state, EventState::kParseError);
  EXPECT_EQ(error(e), "field 'n': cannot convert '" + std::string(64, 'x') + "...' to int");
}

TEST_F(JsonParserTest, NestedValueDeclaredIntIsParseError) {
  options_.types = {{"n", FieldType::kInt}};
  const Event& e = parse_line(R"({"n":[1]})");
  EXPECT_EQ(e.state, EventState::kParseError);
  EXPECT_EQ(error(e), "field 'n': cannot convert '[1]' to int");
}

TEST_F(JsonParserTest, LineThatIsNotAnObjectIsParseError) {
  for (const char* line : {"[1,2]", "5", "\"s\"", "true", "null"}) {
    Batch batch;
    auto p = parser();
    add(batch, line);
    p->parse(batch);
    EXPECT_EQ(batch.events[0].state, EventState::kParseError) << line;
    EXPECT_EQ(batch.str(batch.events[0].error), "not a JSON object") << line;
  }
}

TEST_F(JsonParserTest, GarbageIsParseError) {
  for (std::string line : {std::string("hello"), std::string("{hello}"), std::string("{'a':1}"),
                           std::string("{\"a\":1"), std::string("{\"a\""), std::string("{\"a"),
                           std::string("\xff\xfe\x00\x01", 4), std::string("{\"a\":\"\xff\"}"),
                           std::string("{\"a\":1,}")}) {
    Batch batch;
    auto p = parser();
    add(batch, line);
    p->parse(batch);
    EXPECT_EQ(batch.events[0].state, EventState::kParseError) << line;
    EXPECT_EQ(batch.str(batch.events[0].error).rfind("invalid JSON: ", 0), 0u)
        << line << " -> " << batch.str(batch.events[0].error);
    EXPECT_EQ(batch.events[0].field_count, 0u);
  }
}

TEST_F(JsonParserTest, EmptyAndBlankLinesAreParseErrors) {
  for (const char* line : {"", "   "}) {
    expect_invalid_json(line);
  }
}

TEST_F(JsonParserTest, TrailingContentIsParseError) {
  for (const char* line : {R"({"a":1} x)", R"({"a":1}})", R"({"a":1}{"b":2})", R"({"a":1},)"}) {
    expect_invalid_json(line);
  }
}

TEST_F(JsonParserTest, DeepUnclosedNestingIsParseError) {
  const Event& e = parse_line("{\"a\":" + std::string(100000, '['));
  EXPECT_EQ(e.state, EventState::kParseError);
  EXPECT_EQ(error(e).rfind("invalid JSON: ", 0), 0u) << error(e);
}

TEST_F(JsonParserTest, DeepRootArrayIsParseError) {
  const Event& e = parse_line(std::string(100000, '['));
  EXPECT_EQ(e.state, EventState::kParseError);
}

TEST_F(JsonParserTest, DeepBalancedNestingIsDepthError) {
  const Event& e =
      parse_line("{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}");
  EXPECT_EQ(e.state, EventState::kParseError);
  EXPECT_EQ(error(e),
            "invalid JSON: The JSON document was too deep (too many nested objects and arrays)");
}

TEST_F(JsonParserTest, NestingUpToTheLimitParses) {
  const Event& e = parse_line("{\"a\":" + std::string(1000, '[') + std::string(1000, ']') + "}");
  ASSERT_EQ(e.state, EventState::kParsed);
  EXPECT_EQ(batch_.str(field(e, 0).value), std::string(1000, '[') + std::string(1000, ']'));
}

TEST_F(JsonParserTest, ParserIsReusedAcrossLinesAndBatches) {
  Slot a = schema_.intern("a");
  auto p = parser();
  for (int round = 0; round < 3; ++round) {
    Batch batch;
    add(batch, R"({"a":"short"})");
    add(batch, "{\"a\":\"" + std::string(5000, 'x') + "\"}");
    add(batch, "not json");
    add(batch, R"({"a":"\u00e9"})");
    p->parse(batch);
    EXPECT_EQ(batch.str(batch.field(batch.events[0], a)->value), "short");
    EXPECT_EQ(batch.str(batch.field(batch.events[1], a)->value), std::string(5000, 'x'));
    EXPECT_EQ(batch.events[2].state, EventState::kParseError);
    EXPECT_EQ(batch.str(batch.field(batch.events[3], a)->value), "\xc3\xa9");
  }
}

// Mutated lines must come out parsed or as parse errors, with every span inside the batch text.
TEST_F(JsonParserTest, MutatedLinesNeverBreakTheBatch) {
  schema_.intern("a.b");
  schema_.intern("s");
  options_.types = {{"n", FieldType::kInt}};
  auto p = parser();
  const std::string seed =
      R"({"s":"x\n\u00e9\ud83d\ude00","n":12,"f":-1.5e3,"a":{"b":[true,null,{"c":"d"}]},"t":false})";
  std::mt19937 rng(12345);
  for (int round = 0; round < 3000; ++round) {
    const std::string line = mutate_json_line(seed, 1 + static_cast<int>(rng() % 4), rng);
    Batch batch;
    add(batch, line);
    p->parse(batch);
    const Event& e = batch.events[0];
    ASSERT_TRUE(e.state == EventState::kParsed || e.state == EventState::kParseError) << line;
    if (e.state == EventState::kParseError) {
      EXPECT_EQ(e.field_count, 0u);
      EXPECT_FALSE(batch.str(e.error).empty());
      continue;
    }
    for (uint32_t i = 0; i < e.field_count; ++i) {
      const Field& f = batch.fields[e.first_field + i];
      ASSERT_LE(f.name.off + f.name.len, batch.text.size()) << line;
      ASSERT_LE(f.value.off + f.value.len, batch.text.size()) << line;
    }
  }
}

TEST_F(JsonParserTest, MakeParserBuildsJsonParser) {
  options_.format = ParseOptions::Format::kJson;
  auto made = make_parser(options_, schema_);
  ASSERT_TRUE(made.ok());
  add(batch_, R"({"k":"v"})");
  made.value()->parse(batch_);
  EXPECT_EQ(fields(batch_.events[0]), (std::vector<std::string>{"k=v"}));
}

}  // namespace
}  // namespace sluice
