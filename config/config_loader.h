// Loading and validating the configuration file: YAML -> Config, with every problem found
// reported at once as a position and a message. yaml-cpp stays behind this boundary: none of its
// exceptions or types leave it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace sluice {

struct ConfigProblem {
  int line = 0;  // 1-based
  int column = 0;
  std::string message;
};

struct LoadedConfig {
  Config config;
  std::vector<ConfigProblem> problems;  // empty = valid
  bool ok() const { return problems.empty(); }
};

// Environment lookup for `${NAME}` / `${NAME:-default}`; nullopt = unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_environment();

// Parses and validates `text` completely: schema, types, unknown keys, expressions, regexes,
// sink references. Never throws.
LoadedConfig load_config(std::string_view text, const EnvLookup& env);

// "FILE:LINE:COL: message" lines, one per problem.
std::string format_problems(const std::vector<ConfigProblem>& problems, std::string_view file);

}  // namespace sluice
