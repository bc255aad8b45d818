// Log: one line per message on stderr, written with a single write(2) so lines from different
// threads never interleave. For operators, not for the hot path: call it per problem, not per
// event.
#pragma once

#include <string_view>

namespace sluice {

enum class LogLevel { kInfo, kWarning, kError };

void log_line(LogLevel level, std::string_view message);
inline void log_info(std::string_view m) { log_line(LogLevel::kInfo, m); }
inline void log_warning(std::string_view m) { log_line(LogLevel::kWarning, m); }
inline void log_error(std::string_view m) { log_line(LogLevel::kError, m); }

// Silences kInfo lines (tests, `--quiet`).
void set_log_quiet(bool quiet);

}  // namespace sluice
