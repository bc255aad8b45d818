#include "stages/filter/expression_value.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace sluice {
namespace {

using Kind = Value::Kind;

bool apply(CompareOp op, int c) {
  switch (op) {
    case CompareOp::kEq:
      return c == 0;
    case CompareOp::kNe:
      return c != 0;
    case CompareOp::kLt:
      return c < 0;
    case CompareOp::kLe:
      return c <= 0;
    case CompareOp::kGt:
      return c > 0;
    case CompareOp::kGe:
      return c >= 0;
  }
  return false;
}

bool is_number(Kind k) { return k == Kind::kInt || k == Kind::kFloat || k == Kind::kTimestamp; }

int compare_text(std::string_view a, bool al, std::string_view b, bool bl) {
  size_t n = a.size() < b.size() ? a.size() : b.size();
  if (!al && !bl) {
    int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
    if (c != 0) {
      return c < 0 ? -1 : 1;
    }
  } else {
    for (size_t i = 0; i < n; ++i) {
      auto x = static_cast<unsigned char>(al ? ascii_lower(a[i]) : a[i]);
      auto y = static_cast<unsigned char>(bl ? ascii_lower(b[i]) : b[i]);
      if (x != y) {
        return x < y ? -1 : 1;
      }
    }
  }
  if (a.size() == b.size()) {
    return 0;
  }
  return a.size() < b.size() ? -1 : 1;
}

bool iequals(std::string_view text, std::string_view lower_word) {
  if (text.size() != lower_word.size()) {
    return false;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (ascii_lower(text[i]) != lower_word[i]) {
      return false;
    }
  }
  return true;
}

// The words a `bool` conversion accepts (the same as `types: {f: bool}`).
bool parse_bool(std::string_view text, bool& out) {
  if (iequals(text, "true") || text == "1" || iequals(text, "yes")) {
    out = true;
    return true;
  }
  if (iequals(text, "false") || text == "0" || iequals(text, "no")) {
    out = false;
    return true;
  }
  return false;
}

// The numeric reading of `v`, converting string text when needed. False when there is none.
bool numeric(const Value& v, Value& out) {
  switch (v.kind) {
    case Kind::kInt:
    case Kind::kTimestamp:
      out.numeric = Value::Numeric::kInt;
      out.i = v.i;
      return true;
    case Kind::kFloat:
      out.numeric = Value::Numeric::kFloat;
      out.f = v.f;
      return true;
    case Kind::kString:
      if (v.numeric == Value::Numeric::kUnknown) {
        return parse_number(v.text, out);
      }
      out.numeric = v.numeric;
      out.i = v.i;
      out.f = v.f;
      return v.numeric != Value::Numeric::kNo;
    default:
      return false;
  }
}

bool compare_numbers(const Value& x, CompareOp op, const Value& y) {
  if (x.numeric == Value::Numeric::kInt && y.numeric == Value::Numeric::kInt) {
    return apply(op, x.i < y.i ? -1 : (x.i > y.i ? 1 : 0));
  }
  double a = x.numeric == Value::Numeric::kInt ? static_cast<double>(x.i) : x.f;
  double b = y.numeric == Value::Numeric::kInt ? static_cast<double>(y.i) : y.f;
  if (std::isnan(a) || std::isnan(b)) {
    return false;
  }
  return apply(op, a < b ? -1 : (a > b ? 1 : 0));
}

}  // namespace

bool parse_number(std::string_view text, Value& v) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (begin != end && *begin == '+') {
    ++begin;
  }
  // from_chars would also read "inf" and "nan"; field text only converts when it looks numeric.
  if (begin == end || !((*begin >= '0' && *begin <= '9') || *begin == '-' || *begin == '.')) {
    v.numeric = Value::Numeric::kNo;
    return false;
  }
  int64_t i = 0;
  auto [ptr, ec] = std::from_chars(begin, end, i);
  if (ec == std::errc() && ptr == end) {
    v.numeric = Value::Numeric::kInt;
    v.i = i;
    return true;
  }
  double f = 0;
  auto [fptr, fec] = std::from_chars(begin, end, f);
  if (fec == std::errc() && fptr == end && std::isfinite(f)) {
    v.numeric = Value::Numeric::kFloat;
    v.f = f;
    return true;
  }
  v.numeric = Value::Numeric::kNo;
  return false;
}

bool compare(const Value& a, CompareOp op, const Value& b) {
  if (a.kind == Kind::kMissing || b.kind == Kind::kMissing) {
    bool other_null = a.kind == Kind::kNull || b.kind == Kind::kNull;
    if (op == CompareOp::kEq) {
      return other_null;
    }
    return op == CompareOp::kNe && !other_null;
  }
  if (a.kind == Kind::kNull || b.kind == Kind::kNull) {
    bool both = a.kind == b.kind;
    if (op == CompareOp::kEq) {
      return both;
    }
    return op == CompareOp::kNe && !both;
  }
  if (a.kind == Kind::kString && b.kind == Kind::kString) {
    if ((op == CompareOp::kEq || op == CompareOp::kNe) && a.text.size() != b.text.size()) {
      return op == CompareOp::kNe;
    }
    return apply(op, compare_text(a.text, a.lower, b.text, b.lower));
  }
  if (a.kind == Kind::kTimestamp && b.kind == Kind::kString) {
    return apply(op, compare_text(a.text, false, b.text, b.lower));
  }
  if (a.kind == Kind::kString && b.kind == Kind::kTimestamp) {
    return apply(op, compare_text(a.text, a.lower, b.text, false));
  }
  if (a.kind == Kind::kBool || b.kind == Kind::kBool) {
    bool x = a.i != 0;
    bool y = b.i != 0;
    if (a.kind == Kind::kString) {
      if (!parse_bool(a.text, x)) {
        return false;
      }
    } else if (a.kind != Kind::kBool) {
      return false;
    }
    if (b.kind == Kind::kString) {
      if (!parse_bool(b.text, y)) {
        return false;
      }
    } else if (b.kind != Kind::kBool) {
      return false;
    }
    return apply(op, static_cast<int>(x) - static_cast<int>(y));
  }
  if (is_number(a.kind) || is_number(b.kind)) {
    Value x;
    Value y;
    if (!numeric(a, x) || !numeric(b, y)) {
      return false;
    }
    return compare_numbers(x, op, y);
  }
  return false;
}

bool truthy(const Value& v) {
  switch (v.kind) {
    case Kind::kMissing:
    case Kind::kNull:
      return false;
    case Kind::kBool:
    case Kind::kInt:
    case Kind::kTimestamp:
      return v.i != 0;
    case Kind::kFloat:
      return v.f != 0;
    case Kind::kString: {
      bool b = false;
      if (parse_bool(v.text, b)) {
        return b;
      }
      return !v.text.empty();
    }
  }
  return false;
}

bool text_starts_with(std::string_view text, bool text_lower, std::string_view prefix,
                      bool prefix_lower) {
  if (prefix.size() > text.size()) {
    return false;
  }
  return compare_text(text.substr(0, prefix.size()), text_lower, prefix, prefix_lower) == 0;
}

bool text_contains(std::string_view text, bool text_lower, std::string_view needle,
                   bool needle_lower) {
  if (!text_lower && !needle_lower) {
    return text.find(needle) != std::string_view::npos;
  }
  if (needle.size() > text.size()) {
    return false;
  }
  for (size_t i = 0; i + needle.size() <= text.size(); ++i) {
    if (compare_text(text.substr(i, needle.size()), text_lower, needle, needle_lower) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace sluice
