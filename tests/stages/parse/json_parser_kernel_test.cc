// JsonParser gives the same events whichever simdjson kernel runs underneath. libsimdjson picks
// its kernel (stage 1 indexing and string unescaping: icelake, haswell, westmere or fallback) once
// per process from the CPU, and a parser keeps the kernel that was active at its first parse; these
// tests switch that process-wide choice to run each input through every kernel this CPU supports
// and compare every event, field and byte against the scalar fallback.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "stages/parse/json_parser.h"
#include "tests/stages/parse/json_mutation.h"

namespace sluice {
namespace {

using namespace std::string_literals;

// Makes `kernel` the one parsers created (and first run) in this scope use.
class ActiveKernel {
 public:
  explicit ActiveKernel(const simdjson::implementation* kernel)
      : saved_(simdjson::get_active_implementation()) {
    simdjson::get_active_implementation() = kernel;
  }
  ~ActiveKernel() { simdjson::get_active_implementation() = saved_; }
  ActiveKernel(const ActiveKernel&) = delete;
  ActiveKernel& operator=(const ActiveKernel&) = delete;

 private:
  const simdjson::implementation* saved_;
};

const simdjson::implementation* fallback_kernel() {
  return simdjson::get_available_implementations()["fallback"];
}

// Every kernel this CPU can run other than the fallback.
std::vector<const simdjson::implementation*> simd_kernels() {
  std::vector<const simdjson::implementation*> out;
  for (const simdjson::implementation* kernel : simdjson::get_available_implementations()) {
    if (kernel->supported_by_runtime_system() && kernel->name() != "fallback") {
      out.push_back(kernel);
    }
  }
  return out;
}

// How a parser is set up: a schema (plain and dotted names) and declared types.
struct KernelSetup {
  std::vector<std::string> names;
  std::vector<std::pair<std::string, FieldType>> types;
};

const KernelSetup kKernelUntyped{};
const KernelSetup kTypedWithPaths{{"a", "a.b", "a.c", "a.c.d", "arr.1", "l.5", "s", "n", "host",
                                   "hosts", "_raw", "status", "o.x.2.y"},
                                  {{"status", FieldType::kInt},
                                   {"n", FieldType::kInt},
                                   {"ok", FieldType::kBool},
                                   {"t", FieldType::kBool},
                                   {"ts", FieldType::kTimestamp},
                                   {"ratio", FieldType::kFloat},
                                   {"f", FieldType::kFloat},
                                   {"code", FieldType::kString},
                                   {"a.b", FieldType::kInt}}};

// What the parser made of one line: the reason is apart because it is the one part that may
// differ between kernels (see expect_same_on_every_kernel).
struct Outcome {
  EventState state = EventState::kFramed;
  std::string reason;
  std::string fields;  // per field: name, value bytes, type, flags, number bits; then the slots
};

std::vector<Outcome> parse_with(const simdjson::implementation* kernel, const KernelSetup& setup,
                                const std::vector<std::string>& lines) {
  ActiveKernel active(kernel);
  EXPECT_EQ(simdjson::get_active_implementation()->name(), kernel->name());
  Schema schema;
  for (const std::string& name : setup.names) {
    schema.intern(name);
  }
  ParseOptions options;
  options.format = ParseOptions::Format::kJson;
  options.types = setup.types;
  auto made = make_json_parser(options, schema);
  EXPECT_TRUE(made.ok());
  // Two batches in turn, so the parser's buffers are reused across lines and batches.
  std::vector<Outcome> out;
  const size_t half = lines.size() / 2;
  for (const auto& [begin, end] : {std::pair{size_t{0}, half}, std::pair{half, lines.size()}}) {
    Batch batch;
    for (size_t i = begin; i < end; ++i) {
      Event& e = batch.events.emplace_back();
      e.raw =
          Span{static_cast<uint32_t>(batch.text.size()), static_cast<uint32_t>(lines[i].size())};
      batch.text.append(lines[i]);
      batch.text.push_back('\n');
    }
    made.value()->parse(batch);
    for (const Event& e : batch.events) {
      Outcome& o = out.emplace_back();
      o.state = e.state;
      o.reason = batch.str(e.error);
      for (uint32_t i = 0; i < e.field_count; ++i) {
        const Field& f = batch.fields[e.first_field + i];
        uint64_t bits = 0;
        std::memcpy(&bits, &f.num, sizeof bits);
        o.fields += std::string(batch.field_name(f)) + "=" + std::string(batch.str(f.value)) + ":" +
                    std::to_string(static_cast<int>(f.type)) + ":" + std::to_string(f.flags) + ":" +
                    std::to_string(bits) + "|";
      }
      for (Slot slot = 0; slot < schema.size(); ++slot) {
        o.fields += std::to_string(batch.slot_fields[e.slot_base + slot]) + ",";
      }
    }
  }
  return out;
}

// Runs `lines` through the fallback and every SIMD kernel; returns how many lines parsed.
//
// Every kernel must agree on whether a line parses and, when it does, on every byte of every
// field and slot. The reason of a parse error must agree between the SIMD kernels, but not with
// the fallback: libsimdjson 3.0.1's scalar stage 1 finds malformed strings and bad UTF-8 in its
// own order (or leaves them to the walk), so on a CPU with no SIMD kernel a malformed line can be
// rejected for another reason ("improper structure" where SSE and AVX kernels say "A string is
// opened, but never closed").
size_t expect_same_on_every_kernel(const KernelSetup& setup,
                                   const std::vector<std::string>& lines) {
  const std::vector<Outcome> fallback = parse_with(fallback_kernel(), setup, lines);
  std::vector<Outcome> first_simd;
  for (const simdjson::implementation* kernel : simd_kernels()) {
    const std::vector<Outcome> got = parse_with(kernel, setup, lines);
    if (first_simd.empty()) {
      first_simd = got;
    }
    EXPECT_EQ(got.size(), lines.size());
    int reported = 0;
    for (size_t i = 0; i < got.size() && i < lines.size(); ++i) {
      const bool same = got[i].state == fallback[i].state && got[i].fields == fallback[i].fields &&
                        got[i].reason == first_simd[i].reason;
      if (!same && reported++ < 5) {
        ADD_FAILURE() << kernel->name() << " differs on line " << i << ": " << lines[i] << "\n  "
                      << kernel->name() << ": " << static_cast<int>(got[i].state) << " "
                      << got[i].reason << " " << got[i].fields
                      << "\n  fallback: " << static_cast<int>(fallback[i].state) << " "
                      << fallback[i].reason << " " << fallback[i].fields << "\n  "
                      << simd_kernels()[0]->name() << ": " << first_simd[i].reason;
      }
    }
  }
  size_t parsed = 0;
  for (const Outcome& o : fallback) {
    parsed += o.state == EventState::kParsed;
  }
  return parsed;
}

// The inputs of json_parser_test.cc, and more of the kind whose scanning SIMD code does
// differently: escapes, quotes and bad bytes on either side of 16, 32 and 64-byte block edges.
std::vector<std::string> hand_written_lines() {
  std::vector<std::string> lines = {
      R"({"b":"x","a":"y","c":"z"})",
      " \t{ \"a\" : 1 , \"b\" :\"s\"\t}  ",
      "{}",
      R"({"key":"value"})",
      R"({"nl":"a\nb","tab":"\t","q":"say \"hi\"","bs":"c:\\d","sl":"\/","e":"caf\u00e9"})",
      R"({"s":"\ud83d\ude00!"})",
      R"({"s":"\ud83d"})",
      R"({"s":"\x"})",
      "{\"s\":\"h\xc3\xa9llo \xe2\x82\xac\"}",
      R"({"a\"b\u00e9":1})",
      R"({"a":0,"b":-42,"c":9223372036854775807})",
      R"({"a":1.5,"b":-2.50E3 ,"c":1e-2,"d":18446744073709551615})",
      R"({"a":01})",
      R"({"t":true,"f":false,"n":null})",
      R"({"t":tru})",
      R"({"o": { "x" : [1, 2.50, {"y": "z\n"} ] , "e\"k" : {}, "n": [ ], "l":[true,false,null]}, "a" : [ "s" , -1e3 ]})",
      R"({"a":[1,,2]})",
      R"({"a":{"b":tru}})",
      R"({"a":{"b" 1}})",
      R"({"a":[1,2}})",
      R"({"a":{"b":"\q"}})",
      R"({"a":[01]})",
      R"({"a":{"b":7,"c":{"d":"deep\tx"}},"arr":["p","q"]})",
      R"({"a":{"b":1},"s":"str","l":[1]})",
      R"({"a":{"b":1},"a.b":2})",
      R"({"hosts":"many","host":"one"})",
      R"({"h":1})",
      R"({"_raw":"spoof"})",
      R"({"a":1,"a":2})",
      R"({"status":"500","ok":"yes","ts":"1970-01-01T00:00:02.5Z","ratio":3})",
      R"({"code":404,"flag":true})",
      R"({"a":{"b":"12"}})",
      R"({"status":null})",
      R"({"x":"a\nb","status":"abc"})",
      R"({"status":200})",
      R"({"n":1.5})",
      R"({"n":[1]})",
      "[1,2]",
      "5",
      "\"s\"",
      "true",
      "null",
      "hello",
      "{hello}",
      "{'a':1}",
      "{\"a\":1",
      "{\"a\"",
      "{\"a",
      "\xff\xfe\x00\x01"s,
      "{\"a\":\"\xff\"}",
      "{\"a\":1,}",
      "",
      "   ",
      R"({"a":1} x)",
      R"({"a":1}})",
      R"({"a":1}{"b":2})",
      R"({"a":1},)",
      "{\"a\":" + std::string(2000, '['),
      std::string(2000, '['),
      "{\"a\":" + std::string(2000, '[') + std::string(2000, ']') + "}",
      "{\"a\":" + std::string(1000, '[') + std::string(1000, ']') + "}",
      "{\"a\":\"" + std::string(5000, 'x') + "\"}",
      "not json",
      R"({"a":"\u00e9"})",
      // A string value must be followed by ',' or '}': it is read even when it needs no copy.
      R"({"a":"b":[1]})",
      R"({"a":"b" "c"})",
      R"({"a":{"k":"v":1}})",
      R"({"a":"b":{"c":1}},"d":2})",
      R"({"o":{"k":"v":{"c":1}}},"d":2})",
      // Numbers at the edges of int64, double and JSON's grammar.
      R"({"n":-9223372036854775808,"m":9223372036854775808,"u":18446744073709551616})",
      R"({"f":1e400,"g":1e-400,"h":-0,"i":-0.0,"j":0.1e1,"k":1E+2,"l":2.2250738585072014e-308})",
      R"({"f":1.,"g":.5})",
      R"({"f":-})",
      R"({"f":1e})",
      R"({"n":"9223372036854775808","status":"0x10"})",
      "{\"s\":\"tab\tinside\"}",
      "{\"s\":\"nul\0inside\"}"s,
  };
  // Escapes, quotes and invalid UTF-8 at every offset around the block edges.
  for (size_t pad = 0; pad < 70; ++pad) {
    const std::string filler(pad, 'p');
    lines.push_back("{\"s\":\"" + filler + "\\\"q\\\\\",\"t\":\"" + filler + "\\u00e9\"}");
    lines.push_back("{\"" + filler + "\\n\":\"" + filler + "\"}");
    lines.push_back("{\"s\":\"" + filler + "\\\\\\\\\\\"" + filler + "\"}");
    lines.push_back("{\"s\":\"" + filler + "\\\\\\\\\\\\\"" + filler + "\"}");  // odd run: open
    lines.push_back("{\"s\":\"" + filler + "\xc3\"}");
    lines.push_back("{\"s\":\"" + filler + "\xe2\x82\xac\",\"u\":\"" + filler +
                    "\xf0\x9f\x98\x80\"}");
    lines.push_back("{\"s\":\"" + filler + "\xed\xa0\x80\"}");  // a surrogate in UTF-8
    lines.push_back("{\"" + filler + "\":" + std::string(pad % 7 + 1, '9') + "}");
    lines.push_back("{\"o\":{\"x\":[1,2,{\"y\":\"" + filler + "\\t\"}]},\"s\":\"" + filler + "\"}");
  }
  return lines;
}

// Random edits of a few seed lines: mostly invalid JSON, each kind of error a kernel could catch
// at a different place.
std::vector<std::string> mutated_lines(uint32_t seed, int count) {
  const std::string seeds[] = {
      R"({"s":"x\n\u00e9\ud83d\ude00","n":12,"f":-1.5e3,"a":{"b":[true,null,{"c":"d"}]},"t":false})",
      R"({"o": { "x" : [1, 2.50, {"y": "z\n"} ] , "e\"k" : {}, "n": [ ], "l":[true,false,null]}})",
      R"({"a":{"b":7,"c":{"d":"deep\tx"}},"arr":["p","q"],"s":"abcdefghijklmnopqrstuvwxyz0123\\x"})",
      R"({"status":"500","ok":"yes","ts":"1970-01-01T00:00:02.5Z","ratio":3,"code":404})",
  };
  std::mt19937 rng(seed);
  std::vector<std::string> lines;
  for (int round = 0; round < count; ++round) {
    std::string line = seeds[static_cast<size_t>(round) % std::size(seeds)];
    const int edits = static_cast<int>(rng() % 4);
    line = mutate_json_line(std::move(line), edits, rng);
    lines.push_back(std::move(line));
  }
  return lines;
}

class JsonParserKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(fallback_kernel(), nullptr);
    if (simd_kernels().empty()) {
      GTEST_SKIP() << "this CPU runs no simdjson kernel but the fallback";
    }
  }
};

TEST_F(JsonParserKernelTest, HandWrittenLinesMatchTheFallbackUntyped) {
  const size_t parsed = expect_same_on_every_kernel(kKernelUntyped, hand_written_lines());
  EXPECT_GT(parsed, 100u);  // the comparison covers parsed events, not only errors
}

TEST_F(JsonParserKernelTest, HandWrittenLinesMatchTheFallbackWithTypesAndPaths) {
  const size_t parsed = expect_same_on_every_kernel(kTypedWithPaths, hand_written_lines());
  EXPECT_GT(parsed, 100u);
}

TEST_F(JsonParserKernelTest, MutatedLinesMatchTheFallback) {
  const std::vector<std::string> lines = mutated_lines(20240601, 4000);
  const size_t parsed_untyped = expect_same_on_every_kernel(kKernelUntyped, lines);
  const size_t parsed_typed = expect_same_on_every_kernel(kTypedWithPaths, lines);
  EXPECT_GT(parsed_untyped, 400u);
  EXPECT_LT(parsed_untyped, lines.size());  // and errors of every kind
  EXPECT_GT(parsed_typed, 100u);
}

}  // namespace
}  // namespace sluice
