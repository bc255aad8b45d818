#include "stages/filter/expression.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "stages/batch.h"
#include "stages/schema.h"

namespace sluice {
namespace {

// One field of a hand-built event: its name, its text and, for typed fields, the converted value.
struct FieldSpec {
  std::string name;
  std::string text;
  FieldType type = FieldType::kString;
  int64_t i = 0;
  double f = 0;
};

FieldSpec S(std::string name, std::string text) { return {std::move(name), std::move(text)}; }
FieldSpec I(std::string name, int64_t i) {
  return {std::move(name), std::to_string(i), FieldType::kInt, i};
}
FieldSpec F(std::string name, std::string text, double f) {
  return {std::move(name), std::move(text), FieldType::kFloat, 0, f};
}
FieldSpec B(std::string name, bool b) {
  return {std::move(name), b ? "true" : "false", FieldType::kBool, b ? 1 : 0};
}
FieldSpec N(std::string name) { return {std::move(name), "null", FieldType::kNull}; }
FieldSpec T(std::string name, std::string text, int64_t ns) {
  return {std::move(name), std::move(text), FieldType::kTimestamp, ns};
}
FieldSpec J(std::string name, std::string text) {
  return {std::move(name), std::move(text), FieldType::kJson};
}

// Appends one parsed event with `fields` to `batch`, filling its slot_fields for every slot of
// `schema` (fields the schema does not name get no slot, as a parser would do).
const Event& add_event(Batch& batch, const Schema& schema, const std::vector<FieldSpec>& fields,
                       std::string_view raw = "raw line") {
  Event event;
  event.raw = batch.append(raw);
  event.first_field = static_cast<uint32_t>(batch.fields.size());
  event.field_count = static_cast<uint32_t>(fields.size());
  event.slot_base = static_cast<uint32_t>(batch.slot_fields.size());
  event.state = EventState::kParsed;
  batch.slot_fields.resize(batch.slot_fields.size() + schema.size(), -1);
  for (const FieldSpec& spec : fields) {
    Field field;
    field.name = batch.append(spec.name);
    field.value = batch.append(spec.text);
    field.type = spec.type;
    if (spec.type == FieldType::kFloat) {
      field.num.f = spec.f;
    } else {
      field.num.i = spec.i;
    }
    if (auto slot = schema.find(spec.name)) {
      batch.slot_fields[event.slot_base + *slot] = static_cast<int32_t>(batch.fields.size());
    }
    batch.fields.push_back(field);
  }
  batch.events.push_back(event);
  return batch.events.back();
}

// Compiles `expr` and evaluates it on one event made of `fields`.
bool eval(std::string_view expr, const std::vector<FieldSpec>& fields = {}) {
  Schema schema;
  auto compiled = Expression::compile(expr, schema);
  EXPECT_TRUE(compiled.ok()) << expr << ": "
                             << (compiled.ok() ? "" : compiled.status().to_string());
  if (!compiled.ok()) {
    return false;
  }
  Batch batch;
  const Event& event = add_event(batch, schema, fields);
  return compiled->matches(batch, event);
}

// Compiles `expr`, which must fail, and returns the error.
Status error_of(std::string_view expr) {
  Schema schema;
  auto compiled = Expression::compile(expr, schema);
  EXPECT_FALSE(compiled.ok()) << expr;
  return compiled.ok() ? Status() : compiled.status();
}

// "n OP 0 JOIN n OP 1 JOIN ... n OP count-1".
std::string long_chain(std::string_view join, std::string_view op, int count) {
  std::string text;
  for (int i = 0; i < count; ++i) {
    if (i > 0) {
      text.append(" ").append(join).append(" ");
    }
    text.append("n ").append(op).append(" ").append(std::to_string(i));
  }
  return text;
}

// Compiles `text`; a failure fails the test and gives nullopt.
std::optional<Expression> compile_or_fail(std::string_view text, Schema& schema) {
  auto compiled = Expression::compile(text, schema);
  EXPECT_TRUE(compiled.ok()) << (compiled.ok() ? "" : compiled.status().to_string());
  if (!compiled.ok()) {
    return std::nullopt;
  }
  return std::move(compiled.value());
}

// Sanitizers pad every stack frame (ASan's redzones make them several times larger).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr size_t kSmallStackBytes = size_t{2} << 20;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr size_t kSmallStackBytes = size_t{2} << 20;
#else
constexpr size_t kSmallStackBytes = size_t{256} << 10;
#endif
#else
constexpr size_t kSmallStackBytes = size_t{256} << 10;
#endif

// Runs `body` (compile, evaluate, destroy) on a thread with a small stack: 256 KiB, a 32nd of a
// default worker's (2 MiB under a sanitizer). A recursion per chain term overflows it (50,000
// frames of 100+ bytes) and kills the test binary, so finishing proves the work is iterative or
// bounded by the nesting limit.
void run_on_small_stack(const std::function<void()>& body) {
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, kSmallStackBytes), 0);
  pthread_t thread;
  auto trampoline = [](void* arg) -> void* {
    (*static_cast<const std::function<void()>*>(arg))();
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, trampoline,
                           const_cast<void*>(static_cast<const void*>(&body))),
            0);
  ASSERT_EQ(pthread_join(thread, nullptr), 0);
  pthread_attr_destroy(&attr);
}

#define EXPECT_ERROR(expr, want_message, want_column) \
  do {                                                \
    Status s = error_of(expr);                        \
    ASSERT_FALSE(s.ok());                             \
    EXPECT_EQ(s.message(), want_message) << (expr);   \
    EXPECT_EQ(s.line(), 1) << (expr);                 \
    EXPECT_EQ(s.column(), want_column) << (expr);     \
  } while (0)

// --- precedence and structure ---------------------------------------------------------------

TEST(ExpressionTest, AndBindsTighterThanOr) {
  // a or (b and c) is true; (a or b) and c would be false.
  EXPECT_TRUE(eval("a or b and c", {B("a", true), B("b", false), B("c", false)}));
  EXPECT_FALSE(eval("a and b or c", {B("a", false), B("b", true), B("c", false)}));
  EXPECT_TRUE(eval("a and b or c", {B("a", false), B("b", true), B("c", true)}));
}

TEST(ExpressionTest, NotBindsTighterThanAnd) {
  // (not a) and b is false; not (a and b) would be true.
  EXPECT_FALSE(eval("not a and b", {B("a", false), B("b", false)}));
  EXPECT_TRUE(eval("not a and b", {B("a", false), B("b", true)}));
}

TEST(ExpressionTest, NotAppliesToAWholeComparison) {
  EXPECT_TRUE(eval("not status == 200", {I("status", 500)}));
  EXPECT_FALSE(eval("not status == 200", {I("status", 200)}));
}

TEST(ExpressionTest, DoubleNot) {
  EXPECT_TRUE(eval("not not a", {B("a", true)}));
  EXPECT_FALSE(eval("not not a", {B("a", false)}));
}

TEST(ExpressionTest, ParenthesesOverridePrecedence) {
  EXPECT_FALSE(eval("(a or b) and c", {B("a", true), B("b", false), B("c", false)}));
  EXPECT_TRUE(eval("not (a and b)", {B("a", false), B("b", false)}));
  EXPECT_TRUE(eval("((a))", {B("a", true)}));
}

TEST(ExpressionTest, OrIsLeftAssociativeAndShortCircuits) {
  EXPECT_TRUE(eval("a or b or c", {B("a", false), B("b", false), B("c", true)}));
  EXPECT_FALSE(eval("a and b and c", {B("a", true), B("b", true), B("c", false)}));
}

TEST(ExpressionTest, SpecExampleFilter) {
  const char* filter = R"(status >= 500 or path =~ "^/api/v[0-9]+/orders")";
  EXPECT_TRUE(eval(filter, {S("status", "503"), S("path", "/")}));
  EXPECT_TRUE(eval(filter, {S("status", "200"), S("path", "/api/v2/orders/17")}));
  EXPECT_FALSE(eval(filter, {S("status", "200"), S("path", "/api/vx/orders")}));
  EXPECT_FALSE(eval(filter, {I("status", 404), S("path", "/x/api/v2/orders")}));
}

TEST(ExpressionTest, WhitespaceIsOptionalAroundOperators) {
  EXPECT_TRUE(eval("status>=500 and(path=='/x')", {I("status", 500), S("path", "/x")}));
}

TEST(ExpressionTest, ConstantConditions) {
  EXPECT_TRUE(eval("true"));
  EXPECT_FALSE(eval("false"));
  EXPECT_TRUE(eval("1 == 1"));
  EXPECT_TRUE(eval("1 < 1.5"));
  EXPECT_FALSE(eval("null"));
}

// --- typed numbers ---------------------------------------------------------------------------

TEST(ExpressionTest, IntFieldWithEachOperator) {
  std::vector<FieldSpec> f = {I("n", 500)};
  EXPECT_TRUE(eval("n == 500", f));
  EXPECT_FALSE(eval("n == 501", f));
  EXPECT_TRUE(eval("n != 501", f));
  EXPECT_FALSE(eval("n != 500", f));
  EXPECT_TRUE(eval("n < 501", f));
  EXPECT_FALSE(eval("n < 500", f));
  EXPECT_TRUE(eval("n <= 500", f));
  EXPECT_FALSE(eval("n <= 499", f));
  EXPECT_TRUE(eval("n > 499", f));
  EXPECT_FALSE(eval("n > 500", f));
  EXPECT_TRUE(eval("n >= 500", f));
  EXPECT_FALSE(eval("n >= 501", f));
}

TEST(ExpressionTest, NegativeAndSignedNumberLiterals) {
  EXPECT_TRUE(eval("n == -3", {I("n", -3)}));
  EXPECT_TRUE(eval("n > -4", {I("n", -3)}));
  EXPECT_TRUE(eval("n == +7", {I("n", 7)}));
  EXPECT_TRUE(eval("n==-3", {I("n", -3)}));
}

TEST(ExpressionTest, FloatFieldWithEachOperator) {
  std::vector<FieldSpec> f = {F("x", "1.5", 1.5)};
  EXPECT_TRUE(eval("x == 1.5", f));
  EXPECT_TRUE(eval("x != 1.25", f));
  EXPECT_TRUE(eval("x < 2", f));
  EXPECT_TRUE(eval("x <= 1.5", f));
  EXPECT_TRUE(eval("x > 1", f));
  EXPECT_TRUE(eval("x >= 1.5", f));
  EXPECT_FALSE(eval("x > 1.5", f));
  EXPECT_FALSE(eval("x == 1", f));
}

TEST(ExpressionTest, IntAndFloatCompareNumerically) {
  EXPECT_TRUE(eval("n == 3.0", {I("n", 3)}));
  EXPECT_TRUE(eval("n < 3.5", {I("n", 3)}));
  EXPECT_TRUE(eval("x == 2", {F("x", "2.0", 2.0)}));
  EXPECT_TRUE(eval("x > n", {F("x", "2.5", 2.5), I("n", 2)}));
}

TEST(ExpressionTest, ExponentLiteral) {
  EXPECT_TRUE(eval("n == 1e3", {I("n", 1000)}));
  EXPECT_TRUE(eval("x < 2.5E-1", {F("x", "0.2", 0.2)}));
}

TEST(ExpressionTest, LargeIntsCompareExactly) {
  EXPECT_FALSE(eval("n == 9007199254740993", {I("n", 9007199254740992)}));
  EXPECT_TRUE(eval("n < 9007199254740993", {I("n", 9007199254740992)}));
}

TEST(ExpressionTest, TypedIntAgainstStringLiteralConvertsTheLiteral) {
  EXPECT_TRUE(eval(R"(n == "500")", {I("n", 500)}));
  EXPECT_TRUE(eval(R"(n < "600.5")", {I("n", 500)}));
  EXPECT_FALSE(eval(R"(n == "five")", {I("n", 500)}));
  EXPECT_FALSE(eval(R"(n != "five")", {I("n", 500)}));
}

// --- untyped (string) fields ------------------------------------------------------------------

TEST(ExpressionTest, StringFieldWithEachOperator) {
  std::vector<FieldSpec> f = {S("s", "abc")};
  EXPECT_TRUE(eval(R"(s == "abc")", f));
  EXPECT_FALSE(eval(R"(s == "abd")", f));
  EXPECT_TRUE(eval(R"(s != "abd")", f));
  EXPECT_FALSE(eval(R"(s != "abc")", f));
  EXPECT_TRUE(eval(R"(s < "abd")", f));
  EXPECT_TRUE(eval(R"(s < "abcd")", f));
  EXPECT_FALSE(eval(R"(s < "abc")", f));
  EXPECT_TRUE(eval(R"(s <= "abc")", f));
  EXPECT_TRUE(eval(R"(s > "ab")", f));
  EXPECT_FALSE(eval(R"(s > "b")", f));
  EXPECT_TRUE(eval(R"(s >= "abc")", f));
}

TEST(ExpressionTest, StringsCompareBytewise) {
  EXPECT_TRUE(eval(R"(s < "a")", {S("s", "B")}));         // 'B' (0x42) sorts before 'a' (0x61)
  EXPECT_TRUE(eval(R"(s > "z")", {S("s", "\xc3\xa9")}));  // UTF-8 bytes sort above ASCII
  EXPECT_FALSE(eval(R"(s == "ABC")", {S("s", "abc")}));
}

TEST(ExpressionTest, SingleQuotedStrings) {
  EXPECT_TRUE(eval("s == 'abc'", {S("s", "abc")}));
  EXPECT_TRUE(eval(R"(s == 'say "hi"')", {S("s", "say \"hi\"")}));
}

TEST(ExpressionTest, StringEscapes) {
  EXPECT_TRUE(eval(R"(s == "a\"b")", {S("s", "a\"b")}));
  EXPECT_TRUE(eval(R"(s == 'it\'s')", {S("s", "it's")}));
  EXPECT_TRUE(eval(R"(s == "back\\slash")", {S("s", "back\\slash")}));
  EXPECT_TRUE(eval(R"(s == "a\nb\tc")", {S("s", "a\nb\tc")}));
}

TEST(ExpressionTest, UnknownEscapeIsKeptAsWritten) {
  EXPECT_TRUE(eval(R"(s == "\d")", {S("s", "\\d")}));
}

TEST(ExpressionTest, EmptyString) {
  EXPECT_TRUE(eval(R"(s == "")", {S("s", "")}));
  EXPECT_FALSE(eval(R"(s == "")", {S("s", "x")}));
}

TEST(ExpressionTest, NumberAgainstStringFieldConvertsTheField) {
  EXPECT_TRUE(eval("status >= 500", {S("status", "503")}));
  EXPECT_FALSE(eval("status >= 500", {S("status", "404")}));
  EXPECT_TRUE(eval("status == 503.0", {S("status", "503")}));
  EXPECT_TRUE(eval("latency < 0.5", {S("latency", "0.25")}));
  EXPECT_TRUE(eval("n == 500", {S("n", "5e2")}));
  EXPECT_TRUE(eval("n == 7", {S("n", "+7")}));
  EXPECT_TRUE(eval("500 <= status", {S("status", "503")}));
}

TEST(ExpressionTest, StringFieldThatDoesNotConvertComparesFalseWithEveryOperator) {
  std::vector<FieldSpec> f = {S("status", "abc")};
  for (const char* op : {"==", "!=", "<", "<=", ">", ">="}) {
    EXPECT_FALSE(eval(std::string("status ") + op + " 1", f)) << op;
  }
  EXPECT_FALSE(eval("status == 1", {S("status", "")}));
  EXPECT_FALSE(eval("status == 1", {S("status", " 1")}));
  EXPECT_FALSE(eval("status > 1", {S("status", "inf")}));
  EXPECT_FALSE(eval("status > 1", {S("status", "nan")}));
  EXPECT_FALSE(eval("status == 1", {S("status", "1x")}));
}

TEST(ExpressionTest, StringLiteralAgainstStringFieldComparesText) {
  // Both sides are strings: no conversion, so "503" and "503.0" differ.
  EXPECT_TRUE(eval(R"(status == "503")", {S("status", "503")}));
  EXPECT_FALSE(eval(R"(status == "503.0")", {S("status", "503")}));
  EXPECT_TRUE(eval(R"(status < "6")", {S("status", "503")}));
}

TEST(ExpressionTest, TwoFieldsCompare) {
  EXPECT_TRUE(eval("a == b", {S("a", "x"), S("b", "x")}));
  EXPECT_TRUE(eval("a < b", {I("a", 2), S("b", "10")}));
  EXPECT_FALSE(eval("a < b", {S("a", "2"), S("b", "10")}));  // two strings: bytewise
}

TEST(ExpressionTest, DottedAndUnderscoreFieldNames) {
  EXPECT_TRUE(eval(R"(http.request.method == "GET")", {S("http.request.method", "GET")}));
  EXPECT_TRUE(eval(R"(_private == "x")", {S("_private", "x")}));
  EXPECT_TRUE(eval(R"(user-agent == "curl")", {S("user-agent", "curl")}));
}

TEST(ExpressionTest, KeywordPrefixedFieldNamesAreFields) {
  EXPECT_TRUE(eval(R"(order == "1" and notes == "2" and index == "3")",
                   {S("order", "1"), S("notes", "2"), S("index", "3")}));
}

// --- bool, null, timestamp, json --------------------------------------------------------------

TEST(ExpressionTest, BoolFieldComparesWithBoolLiterals) {
  EXPECT_TRUE(eval("b == true", {B("b", true)}));
  EXPECT_FALSE(eval("b == false", {B("b", true)}));
  EXPECT_TRUE(eval("b != false", {B("b", true)}));
}

TEST(ExpressionTest, BoolAgainstStringFieldConvertsTheField) {
  EXPECT_TRUE(eval("b == true", {S("b", "TRUE")}));
  EXPECT_TRUE(eval("b == true", {S("b", "yes")}));
  EXPECT_TRUE(eval("b == false", {S("b", "0")}));
  EXPECT_FALSE(eval("b == true", {S("b", "maybe")}));
  EXPECT_FALSE(eval("b != true", {S("b", "maybe")}));
}

TEST(ExpressionTest, BoolAndNumberAreIncomparable) {
  EXPECT_FALSE(eval("b == 1", {B("b", true)}));
  EXPECT_FALSE(eval("b != 1", {B("b", true)}));
}

TEST(ExpressionTest, NullFieldEqualsNull) {
  EXPECT_TRUE(eval("x == null", {N("x")}));
  EXPECT_FALSE(eval("x != null", {N("x")}));
  EXPECT_FALSE(eval(R"(x == "null")", {N("x")}));
  EXPECT_TRUE(eval(R"(x != "null")", {N("x")}));
  EXPECT_FALSE(eval("x < 1", {N("x")}));
  EXPECT_TRUE(eval("exists(x)", {N("x")}));
}

TEST(ExpressionTest, PresentFieldIsNotNull) {
  EXPECT_FALSE(eval("x == null", {S("x", "")}));
  EXPECT_TRUE(eval("x != null", {S("x", "")}));
  EXPECT_TRUE(eval("x != null", {I("x", 0)}));
}

TEST(ExpressionTest, TimestampComparesAsNumberOrAsText) {
  std::vector<FieldSpec> f = {T("ts", "2024-01-01T00:00:00Z", 1704067200000000000)};
  EXPECT_TRUE(eval("ts == 1704067200000000000", f));
  EXPECT_TRUE(eval("ts > 0", f));
  EXPECT_TRUE(eval(R"(ts == "2024-01-01T00:00:00Z")", f));
  EXPECT_TRUE(eval(R"(ts >= "2024-01-01")", f));
  EXPECT_TRUE(eval(R"(ts < "2025")", f));
}

TEST(ExpressionTest, JsonFieldComparesAsItsText) {
  std::vector<FieldSpec> f = {J("obj", R"({"a":1})")};
  EXPECT_TRUE(eval(R"(obj == '{"a":1}')", f));
  EXPECT_TRUE(eval(R"(contains(obj, '"a"'))", f));
}

// --- missing fields ---------------------------------------------------------------------------

TEST(ExpressionTest, MissingFieldComparesFalseExceptNotEqual) {
  EXPECT_FALSE(eval("x == 1"));
  EXPECT_TRUE(eval("x != 1"));
  EXPECT_FALSE(eval("x < 1"));
  EXPECT_FALSE(eval("x <= 1"));
  EXPECT_FALSE(eval("x > 1"));
  EXPECT_FALSE(eval("x >= 1"));
  EXPECT_FALSE(eval(R"(x == "")"));
  EXPECT_TRUE(eval(R"(x != "")"));
  EXPECT_FALSE(eval("x == true"));
  EXPECT_FALSE(eval("x == y"));
  EXPECT_TRUE(eval("x != y"));
}

TEST(ExpressionTest, MissingFieldWithRegexOperators) {
  EXPECT_FALSE(eval(R"(x =~ ".*")"));
  EXPECT_TRUE(eval(R"(x !~ "a")"));
}

TEST(ExpressionTest, MissingFieldWithIn) {
  EXPECT_FALSE(eval("x in [1, 2]"));
  EXPECT_TRUE(eval("x not in [1, 2]"));
}

TEST(ExpressionTest, MissingFieldEqualsNull) {
  EXPECT_TRUE(eval("x == null"));
  EXPECT_FALSE(eval("x != null"));
  EXPECT_TRUE(eval("null == x"));
}

TEST(ExpressionTest, MissingFieldWithFunctions) {
  EXPECT_FALSE(eval("exists(x)"));
  EXPECT_TRUE(eval("not exists(x)"));
  EXPECT_FALSE(eval("len(x) == 0"));
  EXPECT_FALSE(eval("len(x) >= 0"));
  EXPECT_FALSE(eval(R"(lower(x) == "")"));
  EXPECT_FALSE(eval(R"(starts_with(x, ""))"));
  EXPECT_FALSE(eval(R"(contains(x, ""))"));
  EXPECT_FALSE(eval(R"(starts_with("abc", x))"));
  EXPECT_FALSE(eval("x"));
}

// --- in ---------------------------------------------------------------------------------------

TEST(ExpressionTest, InNumberList) {
  EXPECT_TRUE(eval("status in [200, 204]", {I("status", 204)}));
  EXPECT_FALSE(eval("status in [200, 204]", {I("status", 500)}));
  EXPECT_TRUE(eval("status in [200, 204]", {S("status", "204")}));
  EXPECT_TRUE(eval("status in [200]", {S("status", "200.0")}));
}

TEST(ExpressionTest, InStringList) {
  EXPECT_TRUE(eval(R"(method in ["GET", 'HEAD'])", {S("method", "HEAD")}));
  EXPECT_FALSE(eval(R"(method in ["GET", "HEAD"])", {S("method", "get")}));
}

TEST(ExpressionTest, InMixedListWithField) {
  std::vector<FieldSpec> f = {S("a", "x"), S("b", "x")};
  EXPECT_TRUE(eval(R"(a in [1, "y", b])", f));
  EXPECT_FALSE(eval(R"(a in [1, "y", c])", f));
}

TEST(ExpressionTest, NotIn) {
  EXPECT_TRUE(eval("status not in [200, 204]", {I("status", 500)}));
  EXPECT_FALSE(eval("status not in [200, 204]", {I("status", 200)}));
  EXPECT_TRUE(eval("not status in [200, 204]", {I("status", 500)}));
}

TEST(ExpressionTest, InWithNull) { EXPECT_TRUE(eval("x in [1, null]")); }

// --- regex ------------------------------------------------------------------------------------

TEST(ExpressionTest, RegexMatchIsUnanchored) {
  EXPECT_TRUE(eval(R"(path =~ "orders")", {S("path", "/api/v1/orders/3")}));
  EXPECT_TRUE(eval(R"(path =~ "v[0-9]+/")", {S("path", "/api/v1/orders/3")}));
  EXPECT_FALSE(eval(R"(path =~ "^orders")", {S("path", "/api/v1/orders/3")}));
  EXPECT_FALSE(eval(R"(path =~ "carts")", {S("path", "/api/v1/orders/3")}));
}

TEST(ExpressionTest, RegexNotMatch) {
  EXPECT_TRUE(eval(R"(path !~ "^/health")", {S("path", "/api")}));
  EXPECT_FALSE(eval(R"(path !~ "^/health")", {S("path", "/healthz")}));
}

TEST(ExpressionTest, RegexAnchors) {
  EXPECT_TRUE(eval(R"(s =~ "^abc$")", {S("s", "abc")}));
  EXPECT_FALSE(eval(R"(s =~ "^abc$")", {S("s", "abcd")}));
  EXPECT_TRUE(eval(R"(s =~ "^ab")", {S("s", "abcd")}));
  EXPECT_FALSE(eval(R"(s =~ "^ab")", {S("s", "a")}));
}

TEST(ExpressionTest, RegexEscapesNeedNoDoubling) {
  EXPECT_TRUE(eval(R"(file =~ "\d+\.json$")", {S("file", "out-17.json")}));
  EXPECT_FALSE(eval(R"(file =~ "\d+\.json$")", {S("file", "out-17xjson")}));
  EXPECT_TRUE(eval(R"(file =~ "^a\\b")", {S("file", "a\\b")}));
}

TEST(ExpressionTest, RegexAcceptsPythonlessNamedGroups) {
  EXPECT_TRUE(eval(R"e(path =~ "(?<version>v[0-9]+)")e", {S("path", "/api/v2")}));
  EXPECT_TRUE(eval(R"e(path =~ "(?P<version>v[0-9]+)")e", {S("path", "/api/v2")}));
}

TEST(ExpressionTest, RegexOnTypedFieldMatchesItsText) {
  EXPECT_TRUE(eval(R"(status =~ "^5")", {I("status", 503)}));
  EXPECT_FALSE(eval(R"(status =~ "^4")", {I("status", 503)}));
}

TEST(ExpressionTest, RegexCaseInsensitiveFlag) {
  EXPECT_TRUE(eval(R"(agent =~ "(?i)curl")", {S("agent", "CURL/8.0")}));
}

TEST(ExpressionTest, RegexOnLoweredField) {
  EXPECT_TRUE(eval(R"(lower(agent) =~ "^curl/")", {S("agent", "CURL/8.0")}));
  EXPECT_FALSE(eval(R"(agent =~ "^curl/")", {S("agent", "CURL/8.0")}));
}

TEST(ExpressionTest, RegexWithSingleQuotedPattern) {
  EXPECT_TRUE(eval(R"(s =~ '"quoted"')", {S("s", R"(say "quoted")")}));
}

// --- functions --------------------------------------------------------------------------------

TEST(ExpressionTest, ExistsOnPresentField) {
  EXPECT_TRUE(eval("exists(a)", {S("a", "")}));
  EXPECT_TRUE(eval("exists(a) and not exists(b)", {S("a", "1")}));
}

TEST(ExpressionTest, LenCountsBytes) {
  EXPECT_TRUE(eval("len(s) == 3", {S("s", "abc")}));
  EXPECT_TRUE(eval("len(s) == 6", {S("s", "h\xc3\xa9llo")}));
  EXPECT_TRUE(eval("len(s) == 0", {S("s", "")}));
  EXPECT_TRUE(eval("len(n) == 3", {I("n", 503)}));
  EXPECT_TRUE(eval("len(s) > 2 and len(s) < 4", {S("s", "abc")}));
}

TEST(ExpressionTest, LowerComparesCaseInsensitively) {
  EXPECT_TRUE(eval(R"(lower(m) == "get")", {S("m", "GeT")}));
  EXPECT_FALSE(eval(R"(lower(m) == "GET")", {S("m", "GET")}));
  EXPECT_TRUE(eval(R"(lower(m) < "h")", {S("m", "GET")}));
  EXPECT_TRUE(eval(R"(lower(m) in ["post", "get"])", {S("m", "GET")}));
  EXPECT_TRUE(eval(R"(lower(a) == lower(b))", {S("a", "AbC"), S("b", "aBc")}));
  EXPECT_TRUE(eval("lower(m) == \"\xc3\x89\"", {S("m", "\xc3\x89")}));  // non-ASCII unchanged
}

TEST(ExpressionTest, StartsWith) {
  EXPECT_TRUE(eval(R"(starts_with(path, "/api/"))", {S("path", "/api/v1")}));
  EXPECT_FALSE(eval(R"(starts_with(path, "/api/"))", {S("path", "/ap")}));
  EXPECT_TRUE(eval(R"(starts_with(path, ""))", {S("path", "x")}));
  EXPECT_TRUE(eval(R"(starts_with(lower(path), "/api"))", {S("path", "/API/v1")}));
  EXPECT_TRUE(eval(R"(starts_with(path, prefix))", {S("path", "/api/v1"), S("prefix", "/ap")}));
}

TEST(ExpressionTest, Contains) {
  EXPECT_TRUE(eval(R"(contains(msg, "error"))", {S("msg", "an error here")}));
  EXPECT_FALSE(eval(R"(contains(msg, "error"))", {S("msg", "an Error here")}));
  EXPECT_TRUE(eval(R"(contains(lower(msg), "error"))", {S("msg", "an ERROR here")}));
  EXPECT_FALSE(eval(R"(contains(msg, "long needle"))", {S("msg", "short")}));
}

TEST(ExpressionTest, FunctionsCompareWithBools) {
  EXPECT_TRUE(eval("exists(a) == true", {S("a", "1")}));
  EXPECT_TRUE(eval(R"(contains(a, "z") == false)", {S("a", "1")}));
}

TEST(ExpressionTest, SampleKeepsExactlyOneInN) {
  Schema schema;
  auto compiled = Expression::compile("sample(7)", schema);
  ASSERT_TRUE(compiled.ok());
  Batch batch;
  const Event& event = add_event(batch, schema, {});
  int kept = 0;
  for (int i = 0; i < 700; ++i) {
    if (compiled->matches(batch, event)) {
      ++kept;
      EXPECT_EQ(i % 7, 0) << i;
    }
  }
  EXPECT_EQ(kept, 100);
}

TEST(ExpressionTest, SampleOfOneKeepsAll) {
  Schema schema;
  auto compiled = Expression::compile("sample(1)", schema);
  ASSERT_TRUE(compiled.ok());
  Batch batch;
  const Event& event = add_event(batch, schema, {});
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(compiled->matches(batch, event));
  }
}

TEST(ExpressionTest, SampleCountsOnlyEventsThatReachIt) {
  Schema schema;
  auto compiled = Expression::compile("a == 1 and sample(2)", schema);
  ASSERT_TRUE(compiled.ok());
  Batch batch;
  const Event& hit = add_event(batch, schema, {I("a", 1)});
  const Event hit_copy = hit;
  const Event& miss = add_event(batch, schema, {I("a", 2)});
  int kept = 0;
  for (int i = 0; i < 100; ++i) {
    kept += compiled->matches(batch, hit_copy) ? 1 : 0;
    EXPECT_FALSE(compiled->matches(batch, miss));
  }
  EXPECT_EQ(kept, 50);
}

TEST(ExpressionTest, SampleIsExactAcrossThreads) {
  Schema schema;
  auto compiled = Expression::compile("sample(10)", schema);
  ASSERT_TRUE(compiled.ok());
  Batch batch;
  const Event& event = add_event(batch, schema, {});
  const Expression& expression = compiled.value();
  std::atomic<int> kept{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (expression.matches(batch, event)) {
          kept.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(kept.load(), 400);
}

TEST(ExpressionTest, TwoSamplesHaveIndependentCounters) {
  Schema schema;
  auto compiled = Expression::compile("sample(2) or sample(3)", schema);
  ASSERT_TRUE(compiled.ok());
  Batch batch;
  const Event& event = add_event(batch, schema, {});
  int kept = 0;
  for (int i = 0; i < 600; ++i) {
    kept += compiled->matches(batch, event) ? 1 : 0;
  }
  // sample(2) keeps 300; of the 300 it drops, sample(3) sees all and keeps 100.
  EXPECT_EQ(kept, 400);
}

// --- truthiness -------------------------------------------------------------------------------

TEST(ExpressionTest, BareFieldIsATruthinessTest) {
  EXPECT_TRUE(eval("b", {B("b", true)}));
  EXPECT_FALSE(eval("b", {B("b", false)}));
  EXPECT_TRUE(eval("s", {S("s", "x")}));
  EXPECT_FALSE(eval("s", {S("s", "")}));
  EXPECT_FALSE(eval("s", {S("s", "false")}));
  EXPECT_FALSE(eval("s", {S("s", "No")}));
  EXPECT_FALSE(eval("s", {S("s", "0")}));
  EXPECT_TRUE(eval("s", {S("s", "true")}));
  EXPECT_FALSE(eval("n", {I("n", 0)}));
  EXPECT_TRUE(eval("n", {I("n", -1)}));
  EXPECT_TRUE(eval("x", {F("x", "0.5", 0.5)}));
  EXPECT_FALSE(eval("x", {F("x", "0.0", 0.0)}));
  EXPECT_FALSE(eval("x", {N("x")}));
  EXPECT_TRUE(eval("not b", {B("b", false)}));
}

TEST(ExpressionTest, BareFunctionIsATruthinessTest) {
  EXPECT_TRUE(eval("len(s)", {S("s", "a")}));
  EXPECT_FALSE(eval("len(s)", {S("s", "")}));
}

// --- metadata fields --------------------------------------------------------------------------

TEST(ExpressionTest, RawReadsTheEventText) {
  Schema schema;
  auto compiled = Expression::compile(R"(_raw =~ "^GET " and len(_raw) == 13)", schema);
  ASSERT_TRUE(compiled.ok());
  Batch batch;
  const Event& event = add_event(batch, schema, {}, "GET /index 42");
  EXPECT_TRUE(compiled->matches(batch, event));
}

TEST(ExpressionTest, SourceReadsFileAndLine) {
  Schema schema;
  auto compiled = Expression::compile(R"(_source == "/var/log/a.csv:17")", schema);
  ASSERT_TRUE(compiled.ok());
  Batch batch;
  batch.source = std::make_shared<const std::string>("/var/log/a.csv");
  add_event(batch, schema, {});
  batch.events[0].position = 17;
  EXPECT_TRUE(compiled->matches(batch, batch.events[0]));
  batch.events[0].position = 18;
  EXPECT_FALSE(compiled->matches(batch, batch.events[0]));
}

TEST(ExpressionTest, ErrorIsMissingUnlessSet) {
  Schema schema;
  auto compiled = Expression::compile(R"(exists(_error) and contains(_error, "quote"))", schema);
  ASSERT_TRUE(compiled.ok());
  Batch batch;
  add_event(batch, schema, {});
  EXPECT_FALSE(compiled->matches(batch, batch.events[0]));
  batch.events[0].error = batch.append("unterminated quote");
  EXPECT_TRUE(compiled->matches(batch, batch.events[0]));
}

// --- schema and batch layout ------------------------------------------------------------------

TEST(ExpressionTest, InternsEveryFieldItNames) {
  Schema schema;
  auto compiled = Expression::compile(R"(a == 1 or lower(b.c) in [d, "x"] or _raw =~ "y")", schema);
  ASSERT_TRUE(compiled.ok());
  EXPECT_TRUE(schema.find("a").has_value());
  EXPECT_TRUE(schema.find("b.c").has_value());
  EXPECT_TRUE(schema.find("d").has_value());
  EXPECT_TRUE(schema.find("_raw").has_value());
  EXPECT_FALSE(schema.find("x").has_value());
  EXPECT_FALSE(schema.find("lower").has_value());
}

TEST(ExpressionTest, EvaluatesEachEventOfABatchByItsSlotBase) {
  Schema schema;
  schema.intern("other");
  auto compiled = Expression::compile("status >= 500", schema);
  ASSERT_TRUE(compiled.ok());
  Batch batch;
  add_event(batch, schema, {I("status", 200)});
  add_event(batch, schema, {I("status", 503)});
  add_event(batch, schema, {S("other", "1")});
  EXPECT_FALSE(compiled->matches(batch, batch.events[0]));
  EXPECT_TRUE(compiled->matches(batch, batch.events[1]));
  EXPECT_FALSE(compiled->matches(batch, batch.events[2]));
}

TEST(ExpressionTest, SurvivesMove) {
  Schema schema;
  auto compiled = Expression::compile(R"(s =~ "^a" and s in ["ab"])", schema);
  ASSERT_TRUE(compiled.ok());
  Expression moved = std::move(compiled.value());
  Batch batch;
  const Event& event = add_event(batch, schema, {S("s", "ab")});
  EXPECT_TRUE(moved.matches(batch, event));
}

// --- errors -----------------------------------------------------------------------------------

TEST(ExpressionErrorTest, EmptyExpression) {
  EXPECT_ERROR("", "empty expression", 1);
  EXPECT_ERROR("   ", "empty expression", 1);
}

TEST(ExpressionErrorTest, MissingRightOperand) {
  EXPECT_ERROR("status ==", "expected a field, value or function, found end of expression", 10);
  EXPECT_ERROR("a and", "expected a field, value or function, found end of expression", 6);
}

TEST(ExpressionErrorTest, UnexpectedToken) {
  EXPECT_ERROR("== 5", "expected a field, value or function, found '=='", 1);
  EXPECT_ERROR("a and or b", "expected a field, value or function, found 'or'", 7);
  EXPECT_ERROR("a == )", "expected a field, value or function, found ')'", 6);
}

TEST(ExpressionErrorTest, TrailingGarbage) {
  EXPECT_ERROR("a == 1 b", "expected 'and', 'or' or the end of the expression, found 'b'", 8);
  EXPECT_ERROR("a == 1)", "expected 'and', 'or' or the end of the expression, found ')'", 7);
  EXPECT_ERROR("a == 1 == 2", "expected 'and', 'or' or the end of the expression, found '=='", 8);
  EXPECT_ERROR("(a) == 1", "expected 'and', 'or' or the end of the expression, found '=='", 5);
}

TEST(ExpressionErrorTest, UnclosedParenthesis) {
  EXPECT_ERROR("(a == 1", "expected ')', found end of expression", 8);
  EXPECT_ERROR("(a == 1 b", "expected ')', found 'b'", 9);
}

TEST(ExpressionErrorTest, UnterminatedString) {
  EXPECT_ERROR(R"(a == "abc)", "unterminated string", 6);
  EXPECT_ERROR("a == 'abc", "unterminated string", 6);
  EXPECT_ERROR(R"(a == "abc\")", "unterminated string", 6);
}

TEST(ExpressionErrorTest, FirstErrorInTheTextIsReported) {
  // Tokens are read as the parse goes, so a grammar error is reported before a bad character
  // after it; a bad character before a grammar error still comes first.
  EXPECT_ERROR("a and or #", "expected a field, value or function, found 'or'", 7);
  EXPECT_ERROR("a # and or", "unexpected character '#'", 3);
}

TEST(ExpressionErrorTest, UnexpectedCharacter) {
  EXPECT_ERROR("a # b", "unexpected character '#'", 3);
  EXPECT_ERROR("a = 1", "unexpected '=' (use '==' to compare)", 3);
  EXPECT_ERROR("a ! b", "unexpected character '!'", 3);
  EXPECT_ERROR("a && b", "unexpected character '&'", 3);
}

TEST(ExpressionErrorTest, InvalidNumber) {
  EXPECT_ERROR("a == 5xx", "invalid number", 6);
  EXPECT_ERROR("a == 1.2.3", "invalid number", 6);
  EXPECT_ERROR("a == 1e999", "number out of range", 6);
  EXPECT_ERROR("a >= 500and b", "invalid number", 6);
}

TEST(ExpressionErrorTest, UnknownFunction) {
  EXPECT_ERROR("foo(x)",
               "unknown function 'foo' (known: exists, len, lower, starts_with, contains, sample)",
               1);
  EXPECT_ERROR("a and upper(x) == 1",
               "unknown function 'upper' (known: exists, len, lower, starts_with, contains, "
               "sample)",
               7);
}

TEST(ExpressionErrorTest, WrongArgumentCount) {
  EXPECT_ERROR("len(a, b) > 1", "len() takes 1 argument, found 2", 1);
  EXPECT_ERROR("exists()", "exists() takes 1 argument, found 0", 1);
  EXPECT_ERROR(R"(a or starts_with(a))", "starts_with() takes 2 arguments, found 1", 6);
  EXPECT_ERROR(R"(contains(a, "b", "c"))", "contains() takes 2 arguments, found 3", 1);
  EXPECT_ERROR("sample()", "sample() takes 1 argument, found 0", 1);
}

TEST(ExpressionErrorTest, BadArguments) {
  EXPECT_ERROR(R"(exists("x"))", "exists() takes a field name", 8);
  EXPECT_ERROR("exists(len(x))", "exists() takes a field name", 8);
  EXPECT_ERROR("sample(0)", "sample() takes a positive whole number", 8);
  EXPECT_ERROR("sample(-2)", "sample() takes a positive whole number", 8);
  EXPECT_ERROR("sample(1.5)", "sample() takes a positive whole number", 8);
  EXPECT_ERROR("sample(n)", "sample() takes a positive whole number", 8);
  EXPECT_ERROR("len([1])", "a list can only follow 'in'", 5);
  EXPECT_ERROR("len(a b)", "expected ',' or ')', found 'b'", 7);
}

TEST(ExpressionErrorTest, RegexNeedsAStringLiteral) {
  EXPECT_ERROR("path =~ name", "the right side of '=~' must be a string literal (a regex pattern)",
               9);
  EXPECT_ERROR("path !~ 5", "the right side of '!~' must be a string literal (a regex pattern)", 9);
  EXPECT_ERROR(R"(path =~ lower("a"))",
               "the right side of '=~' must be a string literal (a regex pattern)", 9);
}

TEST(ExpressionErrorTest, BadRegex) {
  Status s = error_of(R"(a == 1 or path =~ "(unclosed")");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "invalid regex: missing ): (unclosed");
  EXPECT_EQ(s.column(), 19);
  s = error_of(R"(p =~ "a**")");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "invalid regex: bad repetition operator: **");
  EXPECT_EQ(s.column(), 6);
}

TEST(ExpressionErrorTest, ListsOnlyAfterIn) {
  EXPECT_ERROR("[1, 2] == a", "a list can only follow 'in'", 1);
  EXPECT_ERROR("a == [1]", "a list can only follow 'in'", 6);
  EXPECT_ERROR("[1]", "a list can only follow 'in'", 1);
  EXPECT_ERROR("a in 5", "the right side of 'in' must be a list, like [1, 2]", 6);
  EXPECT_ERROR("a in [1, [2]]", "lists cannot be nested", 10);
  EXPECT_ERROR("a in [1, 2", "expected ',' or ']', found end of expression", 11);
  EXPECT_ERROR("a in []", "expected a field, value or function, found ']'", 7);
}

TEST(ExpressionErrorTest, NestingTooDeep) {
  std::string deep(300, '(');
  deep += "a";
  deep += std::string(300, ')');
  // 200 levels are allowed; the 201st '(' is where it goes too deep.
  EXPECT_ERROR(deep, "expression nested too deeply (the limit is 200 levels)", 201);
}

TEST(ExpressionErrorTest, NotChainTooDeep) {
  std::string deep;
  for (int i = 0; i < 300; ++i) {
    deep += "not ";
  }
  deep += "a";
  // The 201st `not` is where it goes too deep.
  EXPECT_ERROR(deep, "expression nested too deeply (the limit is 200 levels)", 1 + 200 * 4);
}

TEST(ExpressionErrorTest, NestingTooDeepAfterALongChainReportsItsColumn) {
  // The flat chain before it does not count toward the limit; the column still points at the
  // parenthesis that goes too deep.
  std::string text = long_chain("or", "==", 50000);
  const size_t prefix = text.size() + 4;  // " or "
  text += " or " + std::string(300, '(') + "n == 1" + std::string(300, ')');
  EXPECT_ERROR(text, "expression nested too deeply (the limit is 200 levels)",
               static_cast<int>(prefix) + 201);
}

TEST(ExpressionErrorTest, NestingTooDeepInsideCalls) {
  std::string deep;
  for (int i = 0; i < 300; ++i) {
    deep += "len(";
  }
  deep += "a" + std::string(300, ')') + " > 1";
  EXPECT_ERROR(deep, "expression nested too deeply (the limit is 200 levels)", 1 + 200 * 4);
}

TEST(ExpressionErrorTest, ExpressionLongerThanTheLimit) {
  // 10 MB of `a == 1 or `: refused at once, pointing at the first byte past the 4 MiB limit.
  std::string text;
  while (text.size() < 10'000'000) {
    text += "a == 1 or ";
  }
  text += "a == 2";
  EXPECT_ERROR(text, "expression too long (10000006 bytes; the limit is 4 MiB)", (4 << 20) + 1);
}

TEST(ExpressionErrorTest, ExpressionOneByteOverTheLimit) {
  std::string text = "a";
  text.resize((size_t{4} << 20) + 1, ' ');
  EXPECT_ERROR(text, "expression too long (4194305 bytes; the limit is 4 MiB)", (4 << 20) + 1);
}

TEST(ExpressionErrorTest, ReasonableNestingIsFine) {
  std::string nested(50, '(');
  nested += "a";
  nested += std::string(50, ')');
  EXPECT_TRUE(eval(nested, {B("a", true)}));
}

// --- long chains -------------------------------------------------------------------------------
// A chain of `or` or `and` is flat, however long: it must compile, evaluate and be destroyed
// without one stack frame per operand. Each test runs on a thread with a small stack, where a
// recursion per operand would crash the test binary.

TEST(ExpressionChainTest, OrChainOf50000Terms) {
  run_on_small_stack([] {
    Schema schema;
    std::optional<Expression> expr = compile_or_fail(long_chain("or", "==", 50000), schema);
    ASSERT_TRUE(expr);
    Batch batch;
    for (int64_t n : {0, 1, 25000, 49998, 49999}) {
      EXPECT_TRUE(expr->matches(batch, add_event(batch, schema, {I("n", n)}))) << n;
    }
    for (int64_t n : {-1, 50000, 1000000}) {
      EXPECT_FALSE(expr->matches(batch, add_event(batch, schema, {I("n", n)}))) << n;
    }
    EXPECT_FALSE(expr->matches(batch, add_event(batch, schema, {I("other", 1)})));
    EXPECT_TRUE(expr->matches(batch, add_event(batch, schema, {S("n", "49999")})));
  });
}

TEST(ExpressionChainTest, AndChainOf100000Terms) {
  run_on_small_stack([] {
    Schema schema;
    std::optional<Expression> expr = compile_or_fail(long_chain("and", "!=", 100000), schema);
    ASSERT_TRUE(expr);
    Batch batch;
    for (int64_t n : {-1, 100000, 1000000}) {
      EXPECT_TRUE(expr->matches(batch, add_event(batch, schema, {I("n", n)}))) << n;
    }
    for (int64_t n : {0, 1, 50000, 99998, 99999}) {
      EXPECT_FALSE(expr->matches(batch, add_event(batch, schema, {I("n", n)}))) << n;
    }
    // A missing field is != everything.
    EXPECT_TRUE(expr->matches(batch, add_event(batch, schema, {I("other", 1)})));
  });
}

TEST(ExpressionChainTest, OrChainOfAndPairs) {
  // 50,000 `or`s of `and` pairs: two chain kinds interleaved, each level still flat.
  std::string text;
  for (int i = 0; i < 50000; ++i) {
    text += i == 0 ? "" : " or ";
    text += "a == " + std::to_string(i) + " and b == " + std::to_string(i % 7);
  }
  run_on_small_stack([&text] {
    Schema schema;
    std::optional<Expression> expr = compile_or_fail(text, schema);
    ASSERT_TRUE(expr);
    Batch batch;
    EXPECT_TRUE(expr->matches(batch, add_event(batch, schema, {I("a", 49999), I("b", 49999 % 7)})));
    EXPECT_TRUE(expr->matches(batch, add_event(batch, schema, {I("a", 0), I("b", 0)})));
    EXPECT_FALSE(
        expr->matches(batch, add_event(batch, schema, {I("a", 49999), I("b", 49998 % 7)})));
    EXPECT_FALSE(expr->matches(batch, add_event(batch, schema, {I("a", 50000), I("b", 0)})));
  });
}

TEST(ExpressionChainTest, LongOrChainShortCircuits) {
  // sample(2) keeps the first call and drops the second; it is reached only when `a` is false.
  std::string text = "a or " + long_chain("or", "==", 50000) + " or sample(2)";
  run_on_small_stack([&text] {
    Schema schema;
    std::optional<Expression> expr = compile_or_fail(text, schema);
    ASSERT_TRUE(expr);
    Batch batch;
    for (int i = 0; i < 3; ++i) {
      EXPECT_TRUE(expr->matches(batch, add_event(batch, schema, {B("a", true)})));
    }
    EXPECT_TRUE(expr->matches(batch, add_event(batch, schema, {B("a", false)})));
    EXPECT_FALSE(expr->matches(batch, add_event(batch, schema, {B("a", false)})));
  });
}

TEST(ExpressionChainTest, LongAndChainShortCircuits) {
  std::string text = "a and " + long_chain("and", "!=", 100000) + " and sample(2)";
  run_on_small_stack([&text] {
    Schema schema;
    std::optional<Expression> expr = compile_or_fail(text, schema);
    ASSERT_TRUE(expr);
    Batch batch;
    for (int i = 0; i < 3; ++i) {
      EXPECT_FALSE(expr->matches(batch, add_event(batch, schema, {B("a", false)})));
    }
    EXPECT_TRUE(expr->matches(batch, add_event(batch, schema, {B("a", true)})));
    EXPECT_FALSE(expr->matches(batch, add_event(batch, schema, {B("a", true)})));
  });
}

TEST(ExpressionChainTest, ParenthesizedChainsInsideAChain) {
  // Chains nested by parentheses: only the parentheses count toward the nesting limit.
  std::string text = "(" + long_chain("or", "==", 20000) + ") and (" +
                     long_chain("and", "!=", 20000) + " or n == 5)";
  run_on_small_stack([&text] {
    Schema schema;
    std::optional<Expression> expr = compile_or_fail(text, schema);
    ASSERT_TRUE(expr);
    Batch batch;
    EXPECT_TRUE(expr->matches(batch, add_event(batch, schema, {I("n", 5)})));
    EXPECT_FALSE(expr->matches(batch, add_event(batch, schema, {I("n", 6)})));
    EXPECT_FALSE(expr->matches(batch, add_event(batch, schema, {I("n", 20000)})));
  });
}

TEST(ExpressionChainTest, DeepestAllowedNestingRunsOnASmallStack) {
  // The worst cases the nesting limit lets through. 200 parentheses, each holding a chain: the
  // parser's deepest recursion and one evaluator frame per level.
  std::string parens;
  for (int i = 0; i < 199; ++i) {
    parens += "(a or ";
  }
  parens += "(b == \"x\")" + std::string(199, ')');
  // 100 times `not (`: a chain and a negation per two levels, then calls down to the limit.
  std::string nots;
  for (int i = 0; i < 98; ++i) {
    nots += "a or not (";
  }
  nots += "lower(lower(lower(lower(b)))) == \"x\"" + std::string(98, ')');
  run_on_small_stack([&parens, &nots] {
    Schema schema;
    std::optional<Expression> deep_parens = compile_or_fail(parens, schema);
    std::optional<Expression> deep_nots = compile_or_fail(nots, schema);
    ASSERT_TRUE(deep_parens && deep_nots);
    Batch batch;
    const Event& a_false = add_event(batch, schema, {B("a", false), S("b", "x")});
    EXPECT_TRUE(deep_parens->matches(batch, a_false));
    // An even number of `not`s around a true comparison.
    EXPECT_TRUE(deep_nots->matches(batch, a_false));
    const Event& b_other = add_event(batch, schema, {B("a", false), S("b", "y")});
    EXPECT_FALSE(deep_parens->matches(batch, b_other));
    EXPECT_FALSE(deep_nots->matches(batch, b_other));
  });
}

TEST(ExpressionChainTest, ChainAtTheLengthLimitCompiles) {
  // Exactly 4 MiB of `a == 1 or ... a == 2`, padded with spaces: accepted.
  std::string text;
  while (text.size() + 20 < (size_t{4} << 20)) {
    text += "a == 1 or ";
  }
  text += "a == 2";
  text.resize(size_t{4} << 20, ' ');
  Schema schema;
  std::optional<Expression> expr = compile_or_fail(text, schema);
  ASSERT_TRUE(expr);
  Batch batch;
  EXPECT_TRUE(expr->matches(batch, add_event(batch, schema, {I("a", 2)})));
  EXPECT_FALSE(expr->matches(batch, add_event(batch, schema, {I("a", 3)})));
}

}  // namespace
}  // namespace sluice
