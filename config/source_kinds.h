// The source kinds this build has: one row each, {name, keys, load, make}. Adding a kind is its
// folder entry under stages/ingest/ plus one row in source_kinds.cc; the loader, `validate` and
// the pipeline builder all go through this table, so they cannot disagree about a kind.
// Read-only after static initialisation; safe from any thread.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/config.h"
#include "stages/ingest/source.h"
#include "stages/schema.h"
#include "stages/status.h"

namespace YAML {
class Node;
}

namespace sluice {

class YamlReader;
class MapView;

struct SourceKind {
  std::string_view name;
  // The keys only this kind takes (besides `type` and `max_event_bytes`).
  std::span<const std::string_view> keys;
  // Reads the kind's keys from `map` (other keys are already refused) into its options struct,
  // reporting every problem through `reader`.
  void (*load)(YamlReader& reader, MapView& map, SourceConfig& out);
  // Builds the source from options its load accepted; opens nothing (that happens in run()).
  // `parse` and `schema` must outlive the source.
  std::unique_ptr<Source> (*make)(const SourceConfig& config, const ParseOptions& parse,
                                  const Schema& schema);
  // Why csv `header: true` means nothing for this kind (refused by the loader); empty when it
  // does (every stream starts with its header).
  std::string_view header_refusal = {};
  // Why `queue.on_full: drop_newest` cannot be honoured (refused by the loader); empty when it
  // can.
  std::string_view drop_newest_refusal = {};
  // Bytes the kind's client library buffers outside the batches (Kafka's pre-fetch), reserved
  // from memory_limit when the pipeline is built and counted by the config's memory check; null
  // for a kind that keeps everything in batches.
  uint64_t (*library_buffer_bytes)(const SourceConfig& config) = nullptr;
};

std::span<const SourceKind> source_kinds();
// The row named `name`; null when this build has no such kind.
const SourceKind* find_source_kind(std::string_view name);
// Kinds the contract (SPEC §2) names but this version does not build: refused by name.
std::span<const std::string_view> unbuilt_source_kinds();

// Loads `pipelines.X.source` through the table. Returns where its `type` is when it names a
// kind of the table (nullopt: no usable type, already reported).
std::optional<ConfigPosition> load_source(YamlReader& reader, const YAML::Node& key_node,
                                          const YAML::Node& value, const std::string& path,
                                          SourceConfig& source);

}  // namespace sluice
