// Expression values: what an operand of a filter expression evaluates to for one event, and how
// two of them compare (SPEC §2). A Value only views bytes owned by the batch or by the compiled
// program, so evaluating one never allocates. Pure functions, safe from any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice {

enum class CompareOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };

struct Value {
  enum class Kind : uint8_t {
    kMissing,    // the event has no such field
    kNull,       // a JSON null, or the literal null
    kBool,       // i is 0 or 1
    kInt,        // i
    kFloat,      // f
    kTimestamp,  // i, ns since the epoch; compares with strings by its RFC 3339 text
    kString,
  };
  // Whether a kString is known to read as a number: string constants are converted once at
  // compile time; field text is converted when a comparison needs it.
  enum class Numeric : uint8_t { kUnknown, kNo, kInt, kFloat };

  Kind kind = Kind::kMissing;
  Numeric numeric = Numeric::kUnknown;
  bool lower = false;     // text reads as its ASCII lowercase (lower())
  std::string_view text;  // the string, or the text a typed value was written as
  int64_t i = 0;
  double f = 0;

  static Value missing() { return Value(); }
  static Value boolean(bool b) {
    Value v;
    v.kind = Kind::kBool;
    v.i = b ? 1 : 0;
    v.text = b ? "true" : "false";
    return v;
  }
};

// Parses `text` as an int64 (preferred) or a finite double; an optional leading '+' is accepted.
// Sets v.numeric and v.i / v.f. Returns false when it does not convert.
bool parse_number(std::string_view text, Value& v);

// The comparison of SPEC §2:
// - a missing field compares false, except with != (true); next to null, missing is null, so
//   `f == null` holds when f is missing or a JSON null, and `f != null` when it is present and
//   not null;
// - numbers (int, float, timestamp) compare numerically; a number against a string converts the
//   string, and when it does not convert every operator is false (!= included);
// - strings compare bytewise (ASCII-lowercased on a side that went through lower());
// - a bool against a string converts the string (true/false/yes/no any case, 1/0);
// - a timestamp against a string compares the timestamp's text;
// - other mixes (bool against number) are incomparable: every operator is false.
bool compare(const Value& a, CompareOp op, const Value& b);

// compare() for two ints (typed field against an int constant, the most common condition).
inline bool compare_ints(int64_t a, CompareOp op, int64_t b) {
  switch (op) {
    case CompareOp::kEq:
      return a == b;
    case CompareOp::kNe:
      return a != b;
    case CompareOp::kLt:
      return a < b;
    case CompareOp::kLe:
      return a <= b;
    case CompareOp::kGt:
      return a > b;
    case CompareOp::kGe:
      return a >= b;
  }
  return false;
}

// A bare operand used as a condition: missing, null, false, 0, "" and the words false/no/0 (any
// case) are false; everything else is true.
bool truthy(const Value& v);

// Bytewise text helpers honouring the lower() flag of each side, without allocating.
bool text_starts_with(std::string_view text, bool text_lower, std::string_view prefix,
                      bool prefix_lower);
bool text_contains(std::string_view text, bool text_lower, std::string_view needle,
                   bool needle_lower);

inline char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace sluice
