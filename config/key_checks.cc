#include "config/key_checks.h"

#include <algorithm>
#include <string>

#include "config/suggestion.h"

namespace sluice {

bool contains(Names names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::vector<std::string_view> concat(Names a, Names b) {
  std::vector<std::string_view> out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

std::string kind_names(std::span<const KindKeys> kinds) {
  std::string out;
  for (const KindKeys& k : kinds) {
    out += (out.empty() ? "" : ", ") + std::string(k.name);
  }
  return out;
}

void check_typed_keys(YamlReader& reader, const MapView& map, Names allowed,
                      std::span<const KindKeys> kinds, std::string_view kind_label,
                      std::string_view kind) {
  for (const MapView::Entry& e : map.entries()) {
    if (contains(allowed, e.key)) {
      continue;
    }
    ConfigPosition at = reader.position(e.key_node);
    std::string applies_to;
    for (const KindKeys& k : kinds) {
      if (contains(k.keys, e.key)) {
        applies_to += (applies_to.empty() ? "" : ", ") + std::string(k.name);
      }
    }
    if (!applies_to.empty()) {
      reader.report(at, map.path() + ": key '" + e.key + "' does not apply to " +
                            std::string(kind_label) + " " + std::string(kind) + " (only to " +
                            applies_to + ")");
    } else {
      reader.report(at,
                    map.path() + ": unknown key '" + e.key + "'" + did_you_mean(e.key, allowed));
    }
  }
}

void check_any_kind_keys(YamlReader& reader, const MapView& map, Names common,
                         std::span<const KindKeys> kinds) {
  std::vector<std::string_view> all(common.begin(), common.end());
  for (const KindKeys& k : kinds) {
    all.insert(all.end(), k.keys.begin(), k.keys.end());
  }
  for (const MapView::Entry& e : map.entries()) {
    if (!contains(all, e.key)) {
      reader.report(reader.position(e.key_node),
                    map.path() + ": unknown key '" + e.key + "'" + did_you_mean(e.key, all));
    }
  }
}

KindChoice kind_choice(YamlReader& reader, const YAML::Node& node, const std::string& path,
                       std::span<const KindKeys> kinds, Names unbuilt, std::string_view what) {
  std::vector<std::string_view> names;
  for (const KindKeys& k : kinds) {
    names.push_back(k.name);
  }
  if (node.IsScalar()) {
    auto text = reader.scalar(node, path);
    if (!text) {
      return {};  // reported
    }
    if (contains(unbuilt, text->value)) {
      reader.report(reader.position(node), path + ": " + std::string(what) + " '" + text->value +
                                               "' is not built in this version; use one of " +
                                               kind_names(kinds));
      return {std::nullopt, true};
    }
  }
  return {reader.choice(node, path, names), false};
}

}  // namespace sluice
