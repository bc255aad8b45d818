// Log: one line per message on stderr, written with a single write(2) so lines from different
// threads never interleave. For operators, not for the hot path: call it per problem, not per
// event. Under systemd (JOURNAL_STREAM names our stderr) each line starts with a `<N>` syslog
// priority that journald reads as the line's level; lines never carry a timestamp (journald and
// terminals add their own).
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

// True when stderr is the journal stream systemd connected (JOURNAL_STREAM is "DEV:INODE" of
// it, sd_journal_stream_fd(3)); checked once, on the first call or the first log line. A
// stderr redirected elsewhere by the user gets plain lines even under systemd.
bool log_to_journal();

}  // namespace sluice
