#include "config/yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "config/duration_parser.h"
#include "config/host_port.h"
#include "config/size_parser.h"
#include "config/suggestion.h"

namespace sluice {
namespace {

std::string join(std::span<const std::string_view> names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) {
      out += ", ";
    }
    out += names[i];
  }
  return out;
}

std::string prefix(const std::string& path) { return path.empty() ? "" : path + ": "; }

// The offset of the first `${` in `text` that is not escaped as `$${`, or npos.
size_t find_reference(std::string_view text) {
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] == '$' && text[i + 1] == '$') {
      ++i;
    } else if (text[i] == '$' && text[i + 1] == '{') {
      return i;
    }
  }
  return std::string_view::npos;
}

bool equals_any(std::string_view text, std::initializer_list<std::string_view> options) {
  for (std::string_view option : options) {
    if (text == option) {
      return true;
    }
  }
  return false;
}

}  // namespace

const char* YamlReader::written_null(const YAML::Node& node) const {
  YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.pos < 0 || static_cast<size_t>(mark.pos) >= source_.size()) {
    return nullptr;
  }
  std::string_view at = source_.substr(static_cast<size_t>(mark.pos));
  for (const char* word : {"null", "Null", "NULL"}) {
    if (at.substr(0, std::string_view(word).size()) == word) {
      return word;
    }
  }
  return nullptr;
}

ConfigPosition YamlReader::position(const YAML::Node& node) const {
  YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.pos < 0 || static_cast<size_t>(mark.pos) > source_.size()) {
    return {};
  }
  size_t pos = static_cast<size_t>(mark.pos);
  int line = mark.line + 1;
  // yaml-cpp marks an implicit null (`key:` with nothing after it) at the next token; the value
  // really is right after the indicator that introduced it, so point there.
  if (node.IsNull() && node.Tag().empty()) {
    size_t back = pos;
    while (back > 0 && (source_[back - 1] == ' ' || source_[back - 1] == '\t' ||
                        source_[back - 1] == '\n' || source_[back - 1] == '\r')) {
      if (source_[back - 1] == '\n') {
        --line;
      }
      --back;
    }
    if (back > 0) {
      pos = back;  // just after the ':' / ',' / '-'
    } else {
      line = mark.line + 1;
    }
  }
  size_t line_start = source_.rfind('\n', pos == 0 ? 0 : pos - 1);
  line_start = (line_start == std::string_view::npos || pos == 0) ? 0 : line_start + 1;
  return {line, static_cast<int>(pos - line_start) + 1};
}

ConfigPosition YamlReader::position_in(const YAML::Node& node, size_t offset) const {
  ConfigPosition start = position(node);
  YAML::Mark mark = node.Mark();
  if (start.line == 0 || !node.IsScalar() || static_cast<size_t>(mark.pos) >= source_.size()) {
    return start;
  }
  size_t pos = static_cast<size_t>(mark.pos);
  char first = source_[pos];
  if (first == '|' || first == '>') {
    // Literal blocks keep their lines, so value line k is source line k after the header.
    const std::string& value = node.Scalar();
    offset = std::min(offset, value.size());
    size_t value_line = 0;
    size_t line_begin = 0;
    for (size_t i = 0; i < offset; ++i) {
      if (value[i] == '\n') {
        ++value_line;
        line_begin = i + 1;
      }
    }
    size_t header_end = source_.find('\n', pos);
    if (header_end == std::string_view::npos) {
      return start;
    }
    size_t indent = 0;
    for (size_t i = header_end + 1; i < source_.size();) {
      size_t spaces = 0;
      while (i + spaces < source_.size() && source_[i + spaces] == ' ') {
        ++spaces;
      }
      if (i + spaces < source_.size() && source_[i + spaces] != '\n') {
        indent = spaces;
        break;
      }
      i += spaces + 1;
    }
    return {start.line + 1 + static_cast<int>(value_line),
            static_cast<int>(indent + (offset - line_begin)) + 1};
  }
  bool single = first == '\'';
  bool dbl = first == '"';
  size_t i = pos + ((single || dbl) ? 1 : 0);
  int column = start.column + ((single || dbl) ? 1 : 0);
  const int value_column = column;
  for (size_t decoded = 0; decoded < offset; ++decoded) {
    if (i >= source_.size() || source_[i] == '\n' || source_[i] == '\r') {
      // The scalar spans lines and YAML folded them: only its start is known for sure.
      return {start.line, value_column};
    }
    size_t width = 1;
    if ((single && source_[i] == '\'') || (dbl && source_[i] == '\\')) {
      width = 2;  // '' or a backslash escape is one byte of value (close enough for \x, \u)
    }
    i += width;
    column += static_cast<int>(width);
  }
  return {start.line, column};
}

void YamlReader::report(ConfigPosition at, std::string message) {
  problems_->push_back({at.line, at.column, std::move(message)});
}

std::string YamlReader::restore(std::string_view text) const {
  return shield_ != nullptr ? shield_->restore(text) : std::string(text);
}

std::string YamlReader::canonical(const YAML::Node& node) const {
  auto text = [](std::string_view s) { return std::to_string(s.size()) + ":" + std::string(s); };
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return "s" + text(expand_environment(restore(node.Scalar()), env_).text);
    case YAML::NodeType::Sequence: {
      std::string out = "[";
      for (const YAML::Node& item : node) {
        out += canonical(item);
      }
      return out + "]";
    }
    case YAML::NodeType::Map: {
      std::vector<std::pair<std::string, std::string>> entries;
      for (const auto& kv : node) {
        entries.emplace_back(text(kv.first.Scalar()), canonical(kv.second));
      }
      std::sort(entries.begin(), entries.end());
      std::string out = "{";
      for (const auto& [key, value] : entries) {
        out += key + value;
      }
      return out + "}";
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  const char* word = written_null(node);
  return word != nullptr ? "s" + text(word) : "~";
}

std::string YamlReader::describe(const YAML::Node& node) const {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: {
      std::string text = restore(node.Scalar());
      if (text.size() > 60) {
        text = text.substr(0, 57) + "...";
      }
      return "'" + text + "'";
    }
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing";
  }
  return "nothing";
}

std::string YamlReader::got(const YAML::Node& node) const {
  std::string out = "got " + describe(node);
  if (node.IsScalar() && find_reference(restore(node.Scalar())) != std::string_view::npos) {
    // `source: ${SRC}` with SRC="{type: stdin}" is text, by design: values cannot add structure.
    out += " (a ${...} reference is replaced by text, never by a list or a mapping)";
  }
  return out;
}

std::string YamlReader::key(const YAML::Node& node, const std::string& path) {
  std::string text = restore(node.Scalar());
  size_t reference = find_reference(text);
  if (reference != std::string::npos) {
    report(position_in(node, reference),
           prefix(path) + "key '" + text +
               "' holds an environment reference; references are replaced in values only, so "
               "write the key itself");
  }
  return text;
}

void YamlReader::report_at_value(const YAML::Node& node, const std::string& path,
                                 const std::string& what) {
  report(position(node), prefix(path) + "expected " + what + ", " + got(node));
}

std::optional<ScalarText> YamlReader::scalar(const YAML::Node& node, const std::string& path) {
  // YAML reads a plain `null` as a null node, but `type: null` names the null sink: when the
  // user wrote the word, it is the string they meant.
  if (node.IsNull()) {
    if (const char* word = written_null(node)) {
      return ScalarText{word, {}};
    }
  }
  if (!node.IsScalar()) {
    report_at_value(node, path, "a string");
    return std::nullopt;
  }
  Expansion expansion = expand_environment(restore(node.Scalar()), env_);
  for (const ExpansionError& error : expansion.errors) {
    report(position_in(node, error.offset), error.message);
  }
  if (!expansion.errors.empty()) {
    return std::nullopt;
  }
  ScalarText out;
  out.value = std::move(expansion.text);
  if (expansion.changed) {
    out.origin = std::move(expansion.origin);
  }
  return out;
}

std::optional<std::string> YamlReader::string(const YAML::Node& node, const std::string& path,
                                              bool allow_empty) {
  auto text = scalar(node, path);
  if (!text) {
    return std::nullopt;
  }
  if (text->value.empty() && !allow_empty) {
    report(position(node), prefix(path) + "must not be empty");
    return std::nullopt;
  }
  return std::move(text->value);
}

std::optional<bool> YamlReader::boolean(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) {
    report_at_value(node, path, "true or false");
    return std::nullopt;
  }
  auto text = scalar(node, path);
  if (!text) {
    return std::nullopt;
  }
  if (equals_any(text->value, {"true", "True", "TRUE"})) {
    return true;
  }
  if (equals_any(text->value, {"false", "False", "FALSE"})) {
    return false;
  }
  report(position(node), prefix(path) + "expected true or false, got '" + text->value + "'");
  return std::nullopt;
}

std::optional<int64_t> YamlReader::integer(const YAML::Node& node, const std::string& path,
                                           int64_t min, int64_t max) {
  if (!node.IsScalar()) {
    report_at_value(node, path, "an integer");
    return std::nullopt;
  }
  auto text = scalar(node, path);
  if (!text) {
    return std::nullopt;
  }
  const std::string& s = text->value;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec == std::errc::invalid_argument || end != s.data() + s.size()) {
    report(position(node), prefix(path) + "expected an integer, got '" + s + "'");
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || value < min || value > max) {
    report(position(node), prefix(path) + s + " is out of range (" + std::to_string(min) + " to " +
                               std::to_string(max) + ")");
    return std::nullopt;
  }
  return value;
}

std::optional<uint64_t> YamlReader::unsigned_integer(const YAML::Node& node,
                                                     const std::string& path) {
  if (!node.IsScalar()) {
    report_at_value(node, path, "a non-negative integer");
    return std::nullopt;
  }
  auto text = scalar(node, path);
  if (!text) {
    return std::nullopt;
  }
  const std::string& s = text->value;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
    report(position(node), prefix(path) + "expected a non-negative integer, got '" + s + "'");
    return std::nullopt;
  }
  return value;
}

std::optional<double> YamlReader::number(const YAML::Node& node, const std::string& path,
                                         bool positive) {
  if (!node.IsScalar()) {
    report_at_value(node, path, "a number");
    return std::nullopt;
  }
  auto text = scalar(node, path);
  if (!text) {
    return std::nullopt;
  }
  const std::string& s = text->value;
  double value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || value != value) {
    report(position(node), prefix(path) + "expected a number, got '" + s + "'");
    return std::nullopt;
  }
  if (positive && !(value > 0)) {
    report(position(node), prefix(path) + "must be greater than 0, got '" + s + "'");
    return std::nullopt;
  }
  return value;
}

std::optional<uint64_t> YamlReader::size(const YAML::Node& node, const std::string& path,
                                         uint64_t min, std::string_view why_min) {
  if (!node.IsScalar()) {
    report_at_value(node, path, "a size such as 64MiB");
    return std::nullopt;
  }
  auto text = scalar(node, path);
  if (!text) {
    return std::nullopt;
  }
  auto bytes = parse_size(text->value);
  if (!bytes.ok()) {
    report(position(node), prefix(path) + bytes.status().message());
    return std::nullopt;
  }
  if (*bytes < min) {
    std::string why = why_min.empty() ? "" : " (" + std::string(why_min) + ")";
    report(position(node), prefix(path) + "must be at least " + std::to_string(min) + " bytes" +
                               why + ", got '" + text->value + "'");
    return std::nullopt;
  }
  return *bytes;
}

std::optional<double> YamlReader::duration(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) {
    report_at_value(node, path, "a duration such as 10s");
    return std::nullopt;
  }
  auto text = scalar(node, path);
  if (!text) {
    return std::nullopt;
  }
  auto seconds = parse_duration(text->value);
  if (!seconds.ok()) {
    report(position(node), prefix(path) + seconds.status().message());
    return std::nullopt;
  }
  return *seconds;
}

std::optional<std::string> YamlReader::host_port(const YAML::Node& node, const std::string& path,
                                                 bool allow_port_zero) {
  if (!node.IsScalar()) {
    report_at_value(node, path, "HOST:PORT");
    return std::nullopt;
  }
  auto text = scalar(node, path);
  if (!text) {
    return std::nullopt;
  }
  Status status = check_host_port(text->value, allow_port_zero);
  if (!status.ok()) {
    report(position(node), prefix(path) + status.message());
    return std::nullopt;
  }
  return std::move(text->value);
}

std::optional<char> YamlReader::single_byte(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) {
    report_at_value(node, path, "a single character");
    return std::nullopt;
  }
  auto text = scalar(node, path);
  if (!text) {
    return std::nullopt;
  }
  // A tab has to be written "\t" in a double-quoted scalar; YAML has already decoded it here.
  if (text->value.size() != 1) {
    report(position(node), prefix(path) + "expected exactly one byte, got '" + text->value + "'");
    return std::nullopt;
  }
  return text->value[0];
}

std::optional<size_t> YamlReader::choice(const YAML::Node& node, const std::string& path,
                                         std::span<const std::string_view> names) {
  std::vector<std::string_view> offered(names.begin(), names.end());
  if (!node.IsScalar() && !(node.IsNull() && written_null(node))) {
    report_at_value(node, path, "one of " + join(offered));
    return std::nullopt;
  }
  auto text = scalar(node, path);
  if (!text) {
    return std::nullopt;
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (text->value == names[i]) {
      return i;
    }
  }
  report(position(node), prefix(path) + "unknown value '" + text->value + "'; expected one of " +
                             join(offered) + did_you_mean(text->value, offered));
  return std::nullopt;
}

std::optional<std::vector<std::string>> YamlReader::string_list(const YAML::Node& node,
                                                                const std::string& path,
                                                                bool allow_scalar,
                                                                bool allow_empty_list) {
  std::vector<std::string> out;
  if (node.IsScalar() && allow_scalar) {
    auto text = string(node, path);
    if (!text) {
      return std::nullopt;
    }
    out.push_back(std::move(*text));
    return out;
  }
  if (!node.IsSequence()) {
    report_at_value(node, path, "a list of strings");
    return std::nullopt;
  }
  bool ok = true;
  for (size_t i = 0; i < node.size(); ++i) {
    auto text = string(node[i], path + "[" + std::to_string(i) + "]");
    if (text) {
      out.push_back(std::move(*text));
    } else {
      ok = false;
    }
  }
  if (!ok) {
    return std::nullopt;
  }
  if (out.empty() && !allow_empty_list) {
    report(position(node), prefix(path) + "must not be empty");
    return std::nullopt;
  }
  return out;
}

MapView::MapView(YamlReader& reader, const YAML::Node& node, std::string path, ConfigPosition owner)
    : reader_(reader), path_(std::move(path)), owner_(owner) {
  if (!node.IsMap()) {
    ConfigPosition at = node.IsNull() ? owner : reader.position(node);
    reader.report(at, prefix(path_) + "expected a mapping, " + reader.got(node));
    return;
  }
  ok_ = true;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;  // a copy: `it->first` lives in a temporary
    if (!key.IsScalar()) {
      reader.report(reader.position(key),
                    prefix(path_) + "keys must be plain names, " + reader.got(key));
      continue;
    }
    std::string name = reader.key(key, path_);
    if (entry(name) != nullptr) {
      reader.report(reader.position(key), prefix(path_) + "duplicate key '" + name + "'");
      continue;
    }
    const YAML::Node value = it->second;
    entries_.push_back({std::move(name), key, value});
  }
}

const MapView::Entry* MapView::entry(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.key == key) {
      return &e;
    }
  }
  return nullptr;
}

const YAML::Node* MapView::get(std::string_view key) const {
  const Entry* e = entry(key);
  return e ? &e->value : nullptr;
}

const YAML::Node* MapView::require(std::string_view key) {
  const YAML::Node* value = get(key);
  if (value == nullptr && ok_) {
    reader_.report(owner_, prefix(path_) + "missing required key '" + std::string(key) + "'");
  }
  return value;
}

std::string MapView::path_of(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void MapView::check_keys(std::span<const std::string_view> allowed) {
  for (const Entry& e : entries_) {
    bool known = false;
    for (std::string_view name : allowed) {
      known = known || e.key == name;
    }
    if (!known) {
      reader_.report(reader_.position(e.key_node),
                     prefix(path_) + "unknown key '" + e.key + "'" + did_you_mean(e.key, allowed));
    }
  }
}

}  // namespace sluice
