#include "stages/parse/type_conversion.h"

#include <charconv>
#include <cmath>
#include <cstdint>

#include "stages/parse/plain_decimal.h"

namespace sluice {
namespace {

// from_chars takes no '+'; skipping one must not let "+-5" through.
const char* skip_plus(const char* begin, const char* end) {
  if (begin != end && *begin == '+' && (begin + 1 == end || begin[1] != '-')) {
    ++begin;
  }
  return begin;
}

bool parse_int(std::string_view text, int64_t& out) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  begin = skip_plus(begin, end);
  if (parse_plain_int(begin, end, out)) {
    return true;
  }
  auto [ptr, ec] = std::from_chars(begin, end, out);
  return ec == std::errc() && ptr == end && begin != end;
}

// Rejects "nan" and "inf", which from_chars accepts: JSON output could not carry them.
bool parse_float(std::string_view text, double& out) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  begin = skip_plus(begin, end);
  if (parse_plain_double(begin, end, out)) {
    return true;
  }
  double value = 0;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || begin == end || !std::isfinite(value)) {
    return false;
  }
  out = value;
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    if (c != b[i]) {
      return false;
    }
  }
  return true;
}

bool parse_bool(std::string_view text, int64_t& out) {
  if (iequals(text, "true") || text == "1" || iequals(text, "yes")) {
    out = 1;
    return true;
  }
  if (iequals(text, "false") || text == "0" || iequals(text, "no")) {
    out = 0;
    return true;
  }
  return false;
}

// Reads exactly `n` digits at text[pos].
bool digits(std::string_view text, size_t pos, size_t n, int& out) {
  if (pos + n > text.size()) {
    return false;
  }
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') {
      return false;
    }
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// RFC 3339: YYYY-MM-DD('T'|'t'|' ')HH:MM:SS[.frac](Z|z|+HH:MM|-HH:MM)
bool parse_timestamp(std::string_view t, int64_t& out_ns) {
  int year, month, day, hour, minute, second;
  if (!digits(t, 0, 4, year) || t.size() < 20 || t[4] != '-' || !digits(t, 5, 2, month) ||
      t[7] != '-' || !digits(t, 8, 2, day) || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') ||
      !digits(t, 11, 2, hour) || t[13] != ':' || !digits(t, 14, 2, minute) || t[16] != ':' ||
      !digits(t, 17, 2, second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return false;
  }
  size_t pos = 19;
  int64_t frac_ns = 0;
  if (t[pos] == '.') {
    ++pos;
    size_t start = pos;
    int64_t scale = 100000000;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
      frac_ns += (t[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) {
      return false;
    }
  }
  if (pos >= t.size()) {
    return false;
  }
  int64_t offset_s = 0;
  if (t[pos] == 'Z' || t[pos] == 'z') {
    ++pos;
  } else if (t[pos] == '+' || t[pos] == '-') {
    int oh, om;
    if (!digits(t, pos + 1, 2, oh) || pos + 3 >= t.size() || t[pos + 3] != ':' ||
        !digits(t, pos + 4, 2, om) || oh > 23 || om > 59) {
      return false;
    }
    offset_s = (oh * 3600 + om * 60) * (t[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != t.size()) {
    return false;
  }
  int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  // int64 nanoseconds reach only the years 1677 to 2262.
  int64_t ns = 0;
  if (__builtin_mul_overflow(secs, int64_t{1000000000}, &ns) ||
      __builtin_add_overflow(ns, frac_ns, &ns)) {
    return false;
  }
  out_ns = ns;
  return true;
}

}  // namespace

bool convert_field(std::string_view text, FieldType type, Field& field) {
  switch (type) {
    case FieldType::kString:
    case FieldType::kNull:
    case FieldType::kJson:
      return true;
    case FieldType::kInt:
      if (!parse_int(text, field.num.i)) {
        return false;
      }
      break;
    case FieldType::kFloat:
      if (!parse_float(text, field.num.f)) {
        return false;
      }
      break;
    case FieldType::kBool:
      if (!parse_bool(text, field.num.i)) {
        return false;
      }
      break;
    case FieldType::kTimestamp:
      if (!parse_timestamp(text, field.num.i)) {
        return false;
      }
      break;
  }
  field.type = type;
  return true;
}

void conversion_error(std::string_view field_name, std::string_view value, FieldType type,
                      std::string& out) {
  out.assign("field '");
  out.append(field_name);
  out.append("': cannot convert '");
  out.append(value.substr(0, kMaxQuotedValue));
  if (value.size() > kMaxQuotedValue) {
    out.append("...");
  }
  out.append("' to ");
  out.append(field_type_name(type));
}

}  // namespace sluice
