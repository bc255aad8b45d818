// What delivery: exactly_once needs of a pipeline, checked once every sink is known: a source
// that resumes where it stopped (a followed file source), sinks that are files only this
// pipeline writes (a restart cuts them back), and no queue that drops on purpose. Internal to
// config/ (behind the yaml-cpp boundary); single-threaded, within one load_config call.
#pragma once

#include "config/config.h"
#include "config/cross_checks.h"
#include "config/yaml_reader.h"

namespace sluice {

// Reports each problem at its FILE:LINE:COL (the sink reference, else the `delivery` value).
void check_exactly_once(YamlReader& reader, const Config& config, const LoadRecord& record);

}  // namespace sluice
