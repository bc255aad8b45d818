#include "daemon/prometheus_text.h"

#include <cctype>
#include <charconv>

namespace sluice {
namespace {

bool name_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':';
}
bool name_char(char c) { return name_start(c) || std::isdigit(static_cast<unsigned char>(c)) != 0; }

void skip_blanks(std::string_view line, size_t& pos) {
  while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) {
    ++pos;
  }
}

std::string_view take_name(std::string_view line, size_t& pos) {
  size_t start = pos;
  if (pos < line.size() && name_start(line[pos])) {
    ++pos;
    while (pos < line.size() && name_char(line[pos])) {
      ++pos;
    }
  }
  return line.substr(start, pos - start);
}

// A quoted label value from just after its opening quote; \\, \" and \n are the only escapes.
bool take_label_value(std::string_view line, size_t& pos, std::string& out) {
  while (pos < line.size()) {
    char c = line[pos++];
    if (c == '"') {
      return true;
    }
    if (c == '\\' && pos < line.size()) {
      char e = line[pos++];
      out.push_back(e == 'n' ? '\n' : e);
      continue;
    }
    out.push_back(c);
  }
  return false;
}

// "{a="x",b="y"}" (a trailing comma allowed, as the format permits) from the opening brace.
Status take_labels(std::string_view line, size_t& pos, PrometheusSample& sample) {
  ++pos;  // '{'
  for (;;) {
    skip_blanks(line, pos);
    if (pos < line.size() && line[pos] == '}') {
      ++pos;
      return Status();
    }
    std::string_view key = take_name(line, pos);
    if (key.empty()) {
      return Status::error("expected a label name at column " + std::to_string(pos + 1));
    }
    skip_blanks(line, pos);
    if (pos + 1 >= line.size() || line[pos] != '=' || line[pos + 1] != '"') {
      return Status::error("expected =\"value\" after label '" + std::string(key) + "'");
    }
    pos += 2;
    std::string value;
    if (!take_label_value(line, pos, value)) {
      return Status::error("unterminated value of label '" + std::string(key) + "'");
    }
    sample.labels.emplace_back(std::string(key), std::move(value));
    skip_blanks(line, pos);
    if (pos < line.size() && line[pos] == ',') {
      ++pos;
    } else if (pos >= line.size() || line[pos] != '}') {
      return Status::error("expected , or } after label '" + std::string(key) + "'");
    }
  }
}

// A sample value: a float, or +Inf / -Inf / NaN in any letter case (prometheus-cpp writes Nan).
bool parse_value(std::string_view token, double& value) {
  bool negative = false;
  if (!token.empty() && (token[0] == '+' || token[0] == '-')) {
    negative = token[0] == '-';
    token.remove_prefix(1);
  }
  const char* end = token.data() + token.size();
  auto [ptr, ec] = std::from_chars(token.data(), end, value);
  if (token.empty() || ec != std::errc() || ptr != end) {
    return false;
  }
  if (negative) {
    value = -value;
  }
  return true;
}

Status parse_line(std::string_view line, PrometheusSample& sample) {
  size_t pos = 0;
  std::string_view name = take_name(line, pos);
  if (name.empty()) {
    return Status::error("expected a metric name");
  }
  sample.name = std::string(name);
  skip_blanks(line, pos);
  if (pos < line.size() && line[pos] == '{') {
    if (Status s = take_labels(line, pos, sample); !s.ok()) {
      return s;
    }
    skip_blanks(line, pos);
  }
  size_t start = pos;
  while (pos < line.size() && line[pos] != ' ' && line[pos] != '\t') {
    ++pos;
  }
  std::string_view token = line.substr(start, pos - start);
  if (!parse_value(token, sample.value)) {
    return Status::error("'" + std::string(token) + "' is not a sample value");
  }
  return Status();  // an optional timestamp may follow; top does not use it
}

}  // namespace

std::string_view PrometheusSample::label(std::string_view key) const {
  for (const auto& [k, v] : labels) {
    if (k == key) {
      return v;
    }
  }
  return {};
}

Result<std::vector<PrometheusSample>> parse_prometheus_text(std::string_view text) {
  std::vector<PrometheusSample> samples;
  int line_number = 0;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') {
      continue;
    }
    PrometheusSample sample;
    if (Status s = parse_line(line.substr(first), sample); !s.ok()) {
      return Status::error("line " + std::to_string(line_number) + ": " + s.message(), line_number);
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

}  // namespace sluice
