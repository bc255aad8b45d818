// Reads and loads a configuration file for the commands: "-" reads stdin. Problems are printed
// as `FILE:LINE:COL: message` lines on stderr.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "config/config.h"

namespace sluice {

// The most configuration text read from a file or stdin. Real configurations are a few KiB; the
// cap turns a wrong path (/dev/zero, a log file, a disk image) into one clear error instead of a
// read that never ends or exhausts memory.
constexpr size_t kMaxConfigBytes = size_t{4} << 20;

// The validated config, or nullopt after printing every problem to stderr.
std::optional<Config> load_config_file(const std::string& path);
// The same for configuration text already in memory; `shown` names it in problem lines.
std::optional<Config> load_config_text(const std::string& text, const std::string& shown);

}  // namespace sluice
