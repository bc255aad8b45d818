// Reads, loads and builds a configuration file for the commands: "-" reads stdin. Problems are
// printed as `FILE:LINE:COL: message` lines on stderr. `validate` and `run` both come through
// here, and both build the runtime (nothing opened, no thread started), so they cannot disagree.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "daemon/runtime.h"

namespace sluice {

// The most configuration text read from a file or stdin. Real configurations are a few KiB; the
// cap turns a wrong path (/dev/zero, a log file, a disk image) into one clear error instead of a
// read that never ends or exhausts memory.
constexpr size_t kMaxConfigBytes = size_t{4} << 20;

// The runtime built from the validated config, or null after printing every problem to stderr.
// `text`, when given, receives the configuration text that was read (for a later reload).
std::unique_ptr<Runtime> build_config_file(const std::string& path, std::string* text = nullptr);
// The same for configuration text already in memory; `shown` names it in problem lines.
std::unique_ptr<Runtime> build_config_text(const std::string& text, const std::string& shown);

}  // namespace sluice
