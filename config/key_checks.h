// Key checks shared by the layers whose mapping depends on a kind (source type, sink type, parse
// format): a key of another kind is named as such, an unknown one gets a suggestion. Internal to
// config/ (behind the yaml-cpp boundary); single-threaded, within one load_config call.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "config/yaml_reader.h"

namespace sluice {

using Names = std::span<const std::string_view>;

// A kind's name and the keys only it takes, as the key checks see a row of a kind table.
struct KindKeys {
  std::string_view name;
  Names keys;
};

bool contains(Names names, std::string_view name);

// The row of a kind table (anything with a `name`) named `name`; null when there is none.
template <typename Row>
const Row* find_kind(std::span<const Row> rows, std::string_view name) {
  for (const Row& row : rows) {
    if (row.name == name) {
      return &row;
    }
  }
  return nullptr;
}

// The KindKeys view of a kind table, for the key checks.
template <typename Row>
std::vector<KindKeys> kind_keys(std::span<const Row> rows) {
  std::vector<KindKeys> out;
  for (const Row& row : rows) {
    out.push_back({row.name, row.keys});
  }
  return out;
}
std::vector<std::string_view> concat(Names a, Names b);
// "a, b, c": the names of `kinds`, for messages.
std::string kind_names(std::span<const KindKeys> kinds);

// Reports keys outside `allowed`; a key that belongs to another of `kinds` is named as such,
// since that is the likelier mistake than a typo.
void check_typed_keys(YamlReader& reader, const MapView& map, Names allowed,
                      std::span<const KindKeys> kinds, std::string_view kind_label,
                      std::string_view kind);

// Keys for a map whose kind is unknown (a bad `type:`): only flags what no kind accepts.
void check_any_kind_keys(YamlReader& reader, const MapView& map, Names common,
                         std::span<const KindKeys> kinds);

// Reads the `type` of a kind-dependent mapping and returns the index of its row in `kinds`. A
// name in `unbuilt` (part of the contract, SPEC §2, but not built in this version) is refused
// with that reason, so that `validate` never accepts what `run` cannot build.
struct KindChoice {
  std::optional<size_t> index;  // the row, when the type names one
  bool unbuilt = false;         // the type names an unbuilt kind (its keys are not checked)
};
KindChoice kind_choice(YamlReader& reader, const YAML::Node& node, const std::string& path,
                       std::span<const KindKeys> kinds, Names unbuilt, std::string_view what);

}  // namespace sluice
