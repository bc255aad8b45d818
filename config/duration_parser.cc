#include "config/duration_parser.h"

#include <charconv>
#include <string>

namespace sluice {
namespace {

Status bad_duration(std::string_view text) {
  return Status::error("expected a duration such as 10s, 500ms, 2m or 1h30m, got '" +
                       std::string(text) + "'");
}

bool is_number_char(char c) { return (c >= '0' && c <= '9') || c == '.'; }

}  // namespace

Result<double> parse_duration(std::string_view text) {
  double total = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && is_number_char(text[i])) {
      ++i;
    }
    if (i == start) {
      return bad_duration(text);
    }
    double value = 0;
    auto [end, ec] = std::from_chars(text.data() + start, text.data() + i, value);
    if (ec != std::errc() || end != text.data() + i) {
      return bad_duration(text);
    }
    size_t unit_start = i;
    while (i < text.size() && !is_number_char(text[i])) {
      ++i;
    }
    std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit.empty()) {
      // A bare number means seconds, but only on its own: "1m30" is more likely a mistake.
      if (any) {
        return bad_duration(text);
      }
      total += value;
    } else if (unit == "ms") {
      total += value / 1000;
    } else if (unit == "s") {
      total += value;
    } else if (unit == "m") {
      total += value * 60;
    } else if (unit == "h") {
      total += value * 3600;
    } else {
      return bad_duration(text);
    }
    any = true;
  }
  if (!any) {
    return bad_duration(text);
  }
  return total;
}

}  // namespace sluice
