// The checks that look across sections of a loaded configuration (sink references, one stdin
// reader, encoders against their sinks, memory_limit against what the pipelines need), run once
// every section is loaded. Internal to config/ (behind the yaml-cpp boundary); single-threaded,
// within one load_config call.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace sluice {

// A sink name used by a pipeline, kept until every sink is known.
struct SinkRef {
  std::string name;
  ConfigPosition at;
  bool dead_letter = false;
};

// Where make_encoder's errors for a sink are reported.
struct EncodingCheck {
  bool valid = true;  // false: the loader already reported a problem in the sink
  ConfigPosition at;
  std::string path;
};

// What the loader remembers for the cross-checks, parallel to the config's lists.
struct LoadRecord {
  std::vector<std::vector<SinkRef>> pipeline_sinks;  // parallel to config.pipelines
  std::vector<EncodingCheck> encoding_checks;        // parallel to config.sinks
  // Where memory_limit is judged: nullopt when it is invalid (already reported).
  std::optional<ConfigPosition> memory_limit_at = ConfigPosition{1, 1};
  bool memory_limit_default = true;
};

// Runs every cross-check; marks the sinks that pipelines use as dead letters.
void run_cross_checks(YamlReader& reader, Config& config, const LoadRecord& record);

}  // namespace sluice
