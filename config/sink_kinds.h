// The sink kinds this build has: one row each, {name, keys, load, make}. Adding a kind is its
// folder entry under stages/sinks/ plus one row in sink_kinds.cc; the loader, `validate` and the
// runtime all go through this table, so they cannot disagree about a kind. The encoding keys
// (encoding, fields, columns, header, delimiter) are every kind's and are loaded beside it.
// Read-only after static initialisation; safe from any thread.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/config.h"
#include "stages/sinks/sink.h"

namespace sluice {

class YamlReader;
class MapView;

struct SinkKind {
  std::string_view name;
  // The keys only this kind takes (besides `type` and the encoding keys).
  std::span<const std::string_view> keys;
  // Reads the kind's keys from `map` (other keys are already refused) into its options struct,
  // reporting every problem through `reader`.
  void (*load)(YamlReader& reader, MapView& map, SinkConfig& out);
  // Builds the sink from options its load accepted; opens nothing (Sink::open() does).
  std::unique_ptr<Sink> (*make)(const SinkConfig& config);
  // Bytes the kind's client library buffers outside the batches (Kafka's producer queue),
  // reserved from memory_limit when the sink is built and counted by the config's memory check;
  // null for a kind that keeps everything in batches.
  uint64_t (*library_buffer_bytes)(const SinkConfig& config) = nullptr;
};

std::span<const SinkKind> sink_kinds();
// The row named `name`; null when this build has no such kind.
const SinkKind* find_sink_kind(std::string_view name);
// Kinds the contract (SPEC §2) names but this version does not build: refused by name.
std::span<const std::string_view> unbuilt_sink_kinds();

// The keys every sink takes: `type` and the encoding's.
std::span<const std::string_view> sink_common_keys();

// Loads the type and the kind's own keys of `sinks.X` (an already opened mapping). Returns
// false when the type is unusable (already reported).
bool load_sink_kind(YamlReader& reader, MapView& map, SinkConfig& sink);

}  // namespace sluice
