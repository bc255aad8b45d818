#include "config/size_parser.h"

#include <array>
#include <charconv>
#include <cmath>
#include <string>
#include <utility>

namespace sluice {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

Status bad_size(std::string_view text) {
  return Status::error("expected a size such as 64MiB, 512KB or a number of bytes, got '" +
                       std::string(text) + "'");
}

}  // namespace

Result<uint64_t> parse_size(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, double>, 10> kUnits{{
      {"b", 1.0},
      {"kb", 1e3},
      {"mb", 1e6},
      {"gb", 1e9},
      {"tb", 1e12},
      {"kib", 1024.0},
      {"mib", 1024.0 * 1024},
      {"gib", 1024.0 * 1024 * 1024},
      {"tib", 1024.0 * 1024 * 1024 * 1024},
      {"", 1.0},
  }};
  size_t digits_end = 0;
  while (digits_end < text.size() &&
         ((text[digits_end] >= '0' && text[digits_end] <= '9') || text[digits_end] == '.')) {
    ++digits_end;
  }
  std::string_view number = text.substr(0, digits_end);
  if (number.empty() || number.front() == '.' || number.back() == '.') {
    return bad_size(text);
  }
  std::string_view unit = text.substr(digits_end);
  while (!unit.empty() && unit.front() == ' ') {
    unit.remove_prefix(1);
  }
  double multiplier = 0;
  for (const auto& [name, factor] : kUnits) {
    if (equals_ignoring_case(unit, name)) {
      multiplier = factor;
      break;
    }
  }
  if (multiplier == 0) {
    return bad_size(text);
  }
  if (number.find('.') == std::string_view::npos) {
    uint64_t whole = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), whole);
    if (ec == std::errc::result_out_of_range) {
      return Status::error("size '" + std::string(text) + "' is too large");
    }
    if (ec != std::errc() || end != number.data() + number.size()) {
      return bad_size(text);
    }
    auto factor = static_cast<uint64_t>(multiplier);
    if (whole != 0 && factor > UINT64_MAX / whole) {
      return Status::error("size '" + std::string(text) + "' is too large");
    }
    return whole * factor;
  }
  double value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || end != number.data() + number.size()) {
    return bad_size(text);
  }
  double bytes = std::floor(value * multiplier);
  if (bytes >= 18446744073709551615.0) {
    return Status::error("size '" + std::string(text) + "' is too large");
  }
  return static_cast<uint64_t>(bytes);
}

std::string format_size(uint64_t bytes) {
  static constexpr std::array<std::pair<std::string_view, uint64_t>, 4> kUnits{{
      {"TiB", 1ull << 40},
      {"GiB", 1ull << 30},
      {"MiB", 1ull << 20},
      {"KiB", 1ull << 10},
  }};
  for (const auto& [name, factor] : kUnits) {
    if (bytes >= factor && bytes % factor == 0) {
      return std::to_string(bytes / factor) + std::string(name);
    }
  }
  return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
}

}  // namespace sluice
