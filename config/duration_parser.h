// Durations written in the configuration: "10s", "500ms", "2m", "1h30m", "1.5s", or a plain
// number of seconds ("10"). Units: ms, s, m, h. Pure functions.
#pragma once

#include <string_view>

#include "stages/status.h"

namespace sluice {

// The duration in seconds. Errors are messages without a position.
Result<double> parse_duration(std::string_view text);

}  // namespace sluice
