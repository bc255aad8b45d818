// YamlReader and MapView: typed, position-aware reading of a parsed YAML tree for the config
// loader. Every accessor expands `${VAR}` in scalars, converts, and on failure records a problem
// at the value's file position and returns nullopt, so loading goes on and collects every problem.
// Internal to config/ (the yaml-cpp boundary); single-threaded, lives for one load_config call.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/config_loader.h"
#include "config/env_expansion.h"
#include "config/reference_shield.h"

namespace sluice {

// A scalar's text after expansion, with the way back to the unexpanded scalar.
struct ScalarText {
  std::string value;
  std::vector<uint32_t> origin;  // see Expansion::origin; empty = identity
  size_t raw_offset(size_t offset) const {
    if (origin.empty()) {
      return offset;
    }
    return origin[offset < origin.size() ? offset : origin.size() - 1];
  }
};

class YamlReader {
 public:
  // `shield` (may be null) turns placeholders in parsed scalars back into `${...}` references.
  YamlReader(std::string_view source, const EnvLookup& env, std::vector<ConfigProblem>* problems,
             const ReferenceShield* shield = nullptr)
      : source_(source), env_(env), problems_(problems), shield_(shield) {}

  // Where `node` starts (for a quoted scalar: its opening quote). {0,0} when unknown.
  ConfigPosition position(const YAML::Node& node) const;
  // Where byte `offset` of the (unexpanded) scalar's value is in the file: exact for scalars on
  // one line (plain, quoted) and literal blocks; otherwise where the value starts.
  ConfigPosition position_in(const YAML::Node& node, size_t offset) const;

  void report(ConfigPosition at, std::string message);
  size_t problem_count() const { return problems_->size(); }

  // "'text'", "a list", "a mapping", "nothing": what the user wrote, for messages. A scalar is
  // shown as written, with its `${...}` references, never with the shield's placeholders.
  std::string describe(const YAML::Node& node) const;
  // "got " + describe(node), plus a note when the node is a scalar holding a `${...}` reference:
  // for messages that expected a list or a mapping, which a reference can never produce.
  std::string got(const YAML::Node& node) const;
  // `text` (from the parsed tree) with the shield's placeholders turned back into references.
  std::string restore(std::string_view text) const;
  // `node` as one canonical string: scalars after `${VAR}` expansion, mappings with their keys
  // sorted, every string length-prefixed; comments, quoting and layout leave no trace. Two nodes
  // that load to the same values give the same string (what a reload compares). Reports nothing.
  std::string canonical(const YAML::Node& node) const;
  // The text of a mapping key. References are not replaced in keys (SPEC §1 replaces them in
  // values): a key holding one is reported at the reference and returned as written.
  std::string key(const YAML::Node& node, const std::string& path);

  // Each reports "`path`: expected ..., got ..." at the value and returns nullopt on failure.
  std::optional<ScalarText> scalar(const YAML::Node& node, const std::string& path);
  std::optional<std::string> string(const YAML::Node& node, const std::string& path,
                                    bool allow_empty = false);
  std::optional<bool> boolean(const YAML::Node& node, const std::string& path);
  std::optional<int64_t> integer(const YAML::Node& node, const std::string& path, int64_t min,
                                 int64_t max);
  std::optional<uint64_t> unsigned_integer(const YAML::Node& node, const std::string& path);
  std::optional<double> number(const YAML::Node& node, const std::string& path, bool positive);
  // `why_min`, when given, says in the message why a smaller size cannot be honoured.
  std::optional<uint64_t> size(const YAML::Node& node, const std::string& path, uint64_t min,
                               std::string_view why_min = {});
  std::optional<double> duration(const YAML::Node& node, const std::string& path);
  std::optional<std::string> host_port(const YAML::Node& node, const std::string& path,
                                       bool allow_port_zero);
  std::optional<char> single_byte(const YAML::Node& node, const std::string& path);
  // The index of the value in `names`.
  std::optional<size_t> choice(const YAML::Node& node, const std::string& path,
                               std::span<const std::string_view> names);
  // A list of non-empty strings; a lone scalar is a list of one when `allow_scalar`.
  std::optional<std::vector<std::string>> string_list(const YAML::Node& node,
                                                      const std::string& path, bool allow_scalar,
                                                      bool allow_empty_list);

 private:
  // "null" when the null `node` was written as that word (not an empty value), else nullptr.
  const char* written_null(const YAML::Node& node) const;
  void report_at_value(const YAML::Node& node, const std::string& path, const std::string& what);

  std::string_view source_;
  const EnvLookup& env_;
  std::vector<ConfigProblem>* problems_;
  const ReferenceShield* shield_;
};

// The keys of one mapping, with their positions; reports a non-mapping and duplicate keys.
class MapView {
 public:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };

  // `owner` is where the mapping was introduced (its key), used for "missing key" problems and
  // when the value is not a mapping at all. `path` is the dotted name, "" for the top level.
  MapView(YamlReader& reader, const YAML::Node& node, std::string path, ConfigPosition owner);

  bool ok() const { return ok_; }
  const std::vector<Entry>& entries() const { return entries_; }
  const std::string& path() const { return path_; }
  ConfigPosition owner() const { return owner_; }

  // The value of `key`, or null when absent.
  const YAML::Node* get(std::string_view key) const;
  const Entry* entry(std::string_view key) const;
  // Like get(), but reports "missing required key" when absent.
  const YAML::Node* require(std::string_view key);
  // "path.key".
  std::string path_of(std::string_view key) const;

  // Reports every key not in `allowed`, with a hint among `allowed`.
  void check_keys(std::span<const std::string_view> allowed);
  void check_keys(std::initializer_list<std::string_view> allowed) {
    check_keys(std::span<const std::string_view>(allowed.begin(), allowed.size()));
  }

 private:
  YamlReader& reader_;
  std::string path_;
  ConfigPosition owner_;
  bool ok_ = false;
  std::vector<Entry> entries_;
};

}  // namespace sluice
