// JsonParser reads flat objects of plain values on a path of its own, without simdjson. These
// tests run the same lines with that path on and off and require the same events, byte for byte:
// which lines parse, every field (name, value, type, flags, number bits), every slot and every
// error reason. The lines are the shapes the flat path takes, the ones at its edges (which it must
// hand to simdjson), numbers of every spelling, and random edits of them.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stages/parse/json_parser.h"
#include "tests/stages/parse/json_mutation.h"

namespace sluice {
namespace {

using namespace std::string_literals;

struct Setup {
  std::vector<std::string> names;
  std::vector<std::pair<std::string, FieldType>> types;
};

const Setup kUntyped{};
const Setup kTyped{{"host", "status", "path", "a.b", "x.", ".y", "s", "f", "g", "n", "ts"},
                   {{"status", FieldType::kInt},
                    {"n", FieldType::kInt},
                    {"f", FieldType::kFloat},
                    {"latency_ms", FieldType::kFloat},
                    {"ok", FieldType::kBool},
                    {"ts", FieldType::kTimestamp},
                    {"code", FieldType::kString},
                    {"a.b", FieldType::kInt}}};

// Everything the parser made of one line, as text.
std::string describe(const Batch& batch, const Event& e, const Schema& schema) {
  std::string out =
      std::to_string(static_cast<int>(e.state)) + " " + std::string(batch.str(e.error)) + " |";
  for (uint32_t i = 0; i < e.field_count; ++i) {
    const Field& f = batch.fields[e.first_field + i];
    uint64_t bits = 0;
    std::memcpy(&bits, &f.num, sizeof bits);
    out += std::string(batch.field_name(f)) + "=" + std::string(batch.str(f.value)) + ":" +
           std::to_string(static_cast<int>(f.type)) + ":" + std::to_string(f.flags) + ":" +
           std::to_string(bits) + "|";
  }
  for (Slot slot = 0; slot < schema.size(); ++slot) {
    out += std::to_string(batch.slot_fields[e.slot_base + slot]) + ",";
  }
  return out;
}

// Parses `lines` in two batches: one with a newline after every line, one with none after the
// last (so the last line ends its batch's text, where the flat path reads a padded copy).
enum class Mode { kDefault, kFlatAlways, kSimdjsonOnly };

std::vector<std::string> parse_lines(const Setup& setup, const std::vector<std::string>& lines,
                                     Mode mode) {
  Schema schema;
  for (const std::string& name : setup.names) {
    schema.intern(name);
  }
  ParseOptions options;
  options.format = ParseOptions::Format::kJson;
  options.types = setup.types;
  JsonParser parser(options, schema);
  if (mode != Mode::kDefault) {
    parser.set_flat_path(mode == Mode::kFlatAlways);
  }
  std::vector<std::string> out;
  const size_t half = lines.size() / 2;
  for (const auto& [begin, end] : {std::pair{size_t{0}, half}, std::pair{half, lines.size()}}) {
    Batch batch;
    for (size_t i = begin; i < end; ++i) {
      Event& e = batch.events.emplace_back();
      e.raw =
          Span{static_cast<uint32_t>(batch.text.size()), static_cast<uint32_t>(lines[i].size())};
      batch.text.append(lines[i]);
      if (begin == 0 || i + 1 < end) {
        batch.text.push_back('\n');
      }
    }
    batch.slot_fields.reserve(batch.events.size() * schema.size());
    parser.parse(batch);
    for (const Event& e : batch.events) {
      out.push_back(describe(batch, e, schema));
    }
  }
  return out;
}

// Requires the same events with the flat path tried on every line, on none, and as it is by
// default (paused while lines keep declining it); returns how many lines parsed.
size_t expect_same_either_way(const Setup& setup, const std::vector<std::string>& lines) {
  const std::vector<std::string> simdjson_only = parse_lines(setup, lines, Mode::kSimdjsonOnly);
  EXPECT_EQ(simdjson_only.size(), lines.size());
  for (Mode mode : {Mode::kFlatAlways, Mode::kDefault}) {
    const std::vector<std::string> got = parse_lines(setup, lines, mode);
    EXPECT_EQ(got.size(), lines.size());
    int reported = 0;
    for (size_t i = 0; i < got.size() && i < simdjson_only.size(); ++i) {
      if (got[i] != simdjson_only[i] && reported++ < 5) {
        ADD_FAILURE() << (mode == Mode::kDefault ? "default" : "flat") << ", line " << i << ": "
                      << lines[i] << "\n  got:      " << got[i]
                      << "\n  simdjson: " << simdjson_only[i];
      }
    }
  }
  size_t parsed = 0;
  for (const std::string& outcome : simdjson_only) {
    parsed += outcome.starts_with(std::to_string(static_cast<int>(EventState::kParsed)));
  }
  return parsed;
}

std::vector<std::string> edge_lines() {
  return {
      R"({"ts":"2026-01-01T00:00:00.000Z","host":"web-13","method":"GET","path":"/api/v1/orders/6404","status":200,"bytes":40725,"latency_ms":529.9,"agent":"kube-probe/1.27"})",
      "{}",
      " { } ",
      "{ }x",
      " \t{ \"a\" : 1 , \"b\" :\"s\"\t}  \r",
      R"({"":"empty key","e":""})",
      R"({"a":1,"a":2,"status":3,"status":"x"})",
      R"({"_raw":"spoof","a":1,"_source":"x:1","_error":2,"a":{"n":1}})",
      R"({"":1,"":2,"status":"1","status":"x"})",
      R"({"status":1,"status":2})",
      R"({"a":1,"a":[1],"a":tru})",
      R"({"status":"500","n":"12","f":"2.5","ok":"true","code":404,"ts":"1970-01-01T00:00:02.5Z"})",
      R"({"status":500.0})",
      R"({"status":1e2})",
      R"({"status":null,"f":null,"ok":null})",
      R"({"ok":true,"t":true,"fa":false,"nu":null})",
      R"({"ok":1})",
      R"({"ok":tru})",
      R"({"ok":truex})",
      R"({"ok":falsey,"b":1})",
      R"({"n":nul})",
      R"({"n":nulll})",
      R"({"a":1 "b":2})",
      R"({"a":1,})",
      R"({,"a":1})",
      R"({"a" 1})",
      R"({"a":})",
      R"({"a")",
      R"({"a":1)",
      R"({"a":1} )",
      R"({"a":1}})",
      R"({"a":1}{"b":2})",
      R"({"a":1},)",
      R"({"a":"b":1})",
      R"({"a":"b" "c"})",
      R"({"a":{"b":1}})",
      R"({"a":[1,2]})",
      R"({"x.":1,".y":2,"a.b":"3"})",
      R"({"s":"with \"escape\""})",
      R"({"s\"k":1})",
      R"({"s":"\u00e9"})",
      "{\"s\":\"tab\tinside\"}",
      "{\"s\":\"nul\0inside\"}"s,
      "{\"s\":\"del\x7finside\"}",
      "{\"s\":\"caf\xc3\xa9\"}",
      "{\"s\":\"bad \xff byte\"}",
      "{\"k\xc3\xa9y\":1}",
      "{\"a\":1}\xff",
      "\xef\xbb\xbf{\"a\":1}",
      "{\"a\":1}\0"s,
      R"({"a":'x'})",
      R"({'a':1})",
      R"([1,2])",
      R"("s")",
      "5",
      "",
      "   ",
      "{",
      "}",
      "{\"a\":\"" + std::string(5000, 'x') + "\"}",
      "{\"" + std::string(40, 'k') + "\":1,\"" + std::string(17, 'k') + "\":2}",
  };
}

// Numbers of every spelling JSON allows and many it does not, as untyped, int and float fields.
std::vector<std::string> number_lines() {
  std::vector<std::string> numbers = {
      "0",
      "-0",
      "00",
      "01",
      "-01",
      "1",
      "-1",
      "0.0",
      "-0.0",
      "0.5",
      "-0.5",
      "1.",
      ".5",
      "-.5",
      "-",
      "+1",
      "1e5",
      "1E5",
      "1e+5",
      "1e-5",
      "1.5e3",
      "0.1e1",
      "1.0",
      "10",
      "100",
      "1.25",
      "2.50",
      "3.14159",
      "9007199254740993",
      "9007199254740993.0",
      "999999999999999",
      "999999999999999.",
      "99999999999999.9",
      "0.999999999999999",
      "0.0000000000000001",
      "123456789012345678",
      "1234567890123456789",
      "-123456789012345678",
      "-9223372036854775808",
      "9223372036854775807",
      "9223372036854775808",
      "18446744073709551616",
      "0.1",
      "0.2",
      "0.3",
      "1e400",
      "1e-400",
      "4.9e-324",
      "2.2250738585072014e-308",
      "1.7976931348623157e308",
      "0.000001",
      "123.000",
      "5.",
      "0x10",
      "1_000",
      "1.2.3",
      "--1",
      "1-",
  };
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {
    std::string n;
    if (rng() % 4 == 0) {
      n += '-';
    }
    const int int_digits = static_cast<int>(rng() % 20);
    for (int d = 0; d < int_digits; ++d) {
      n += static_cast<char>('0' + rng() % 10);
    }
    if (rng() % 2 == 0) {
      n += '.';
      const int fraction_digits = static_cast<int>(rng() % 18);
      for (int d = 0; d < fraction_digits; ++d) {
        n += static_cast<char>('0' + (rng() % 3 == 0 ? 0 : rng() % 10));
      }
    }
    if (rng() % 10 == 0) {
      n += "e" + std::to_string(static_cast<int>(rng() % 40) - 20);
    }
    numbers.push_back(n);
  }
  std::vector<std::string> lines;
  for (const std::string& n : numbers) {
    lines.push_back("{\"x\":" + n + ",\"n\":" + n + ",\"f\":" + n + "}");
    lines.push_back("{\"f\":" + n + "}");
    lines.push_back("{\"x\":" + n + " }");
  }
  return lines;
}

// Flat lines with random keys and values, and random edits of them.
std::vector<std::string> random_lines(uint32_t seed, int count) {
  static const char* const kKeys[] = {"host", "status", "path", "a.b", "f", "n",         "ok",
                                      "ts",   "code",   "x.",   "",    "s", "latency_ms"};
  static const char* const kValues[] = {"\"web-01\"",
                                        "\"\"",
                                        "200",
                                        "-3",
                                        "1.5",
                                        "529.9",
                                        "0.25",
                                        "true",
                                        "false",
                                        "null",
                                        "\"500\"",
                                        "\"2026-01-01T00:00:00Z\"",
                                        "\"/api/v1/orders/7\"",
                                        "12345678901234567",
                                        "0.1",
                                        "1e3",
                                        "\"a\\\"b\"",
                                        "{\"k\":1}",
                                        "[1]"};
  std::mt19937 rng(seed);
  std::vector<std::string> lines;
  for (int i = 0; i < count; ++i) {
    std::string line = "{";
    const int fields = static_cast<int>(rng() % 9);
    for (int f = 0; f < fields; ++f) {
      if (f > 0) {
        line += rng() % 8 == 0 ? " , " : ",";
      }
      line += "\"" + std::string(kKeys[rng() % std::size(kKeys)]) + "\":";
      line += kValues[rng() % std::size(kValues)];
    }
    line += "}";
    const int edits = static_cast<int>(rng() % 3);
    lines.push_back(edits == 0 ? line : mutate_json_line(line, edits, rng));
  }
  return lines;
}

TEST(JsonParserFlatPath, EdgeLinesSameWithAndWithout) {
  EXPECT_GT(expect_same_either_way(kUntyped, edge_lines()), 10u);
  EXPECT_GT(expect_same_either_way(kTyped, edge_lines()), 10u);
}

TEST(JsonParserFlatPath, NumbersSameWithAndWithout) {
  const std::vector<std::string> lines = number_lines();
  EXPECT_GT(expect_same_either_way(kUntyped, lines), 1000u);
  EXPECT_GT(expect_same_either_way(kTyped, lines), 1000u);
}

TEST(JsonParserFlatPath, RandomAndEditedLinesSameWithAndWithout) {
  const std::vector<std::string> lines = random_lines(20240602, 6000);
  const size_t parsed = expect_same_either_way(kUntyped, lines);
  EXPECT_GT(parsed, 1000u);
  EXPECT_LT(parsed, lines.size());  // and errors of every kind
  EXPECT_GT(expect_same_either_way(kTyped, lines), 500u);
}

// Runs of lines the flat path declines (it pauses after a few) between runs it takes (it tries
// again after a while): every line comes out the same as with simdjson alone.
TEST(JsonParserFlatPath, PausingAndResumingKeepsTheSameEvents) {
  std::vector<std::string> lines;
  for (int run = 0; run < 6; ++run) {
    for (int i = 0; i < 40; ++i) {
      lines.push_back(R"({"a":{"b":)" + std::to_string(i) + R"(},"s":"x\ty","status":200})");
    }
    for (int i = 0; i < 700; ++i) {
      lines.push_back(R"({"host":"web-)" + std::to_string(i) + R"(","status":)" +
                      std::to_string(200 + i % 400) + R"(,"f":)" + std::to_string(i) + ".5}");
    }
  }
  EXPECT_EQ(expect_same_either_way(kTyped, lines), lines.size());
}

}  // namespace
}  // namespace sluice
