#include "stages/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace sluice {
namespace {
std::atomic<bool> quiet{false};

bool stderr_is_journal_stream() {
  const char* value = std::getenv("JOURNAL_STREAM");
  uintmax_t dev = 0;
  uintmax_t ino = 0;
  if (value == nullptr || std::sscanf(value, "%" SCNuMAX ":%" SCNuMAX, &dev, &ino) != 2) {
    return false;
  }
  struct stat st {};
  return ::fstat(STDERR_FILENO, &st) == 0 && static_cast<uintmax_t>(st.st_dev) == dev &&
         static_cast<uintmax_t>(st.st_ino) == ino;
}

// syslog(3) priorities journald understands at the start of a line (sd-daemon(3)).
const char* journal_priority(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "<6>";
    case LogLevel::kWarning:
      return "<4>";
    case LogLevel::kError:
      return "<3>";
  }
  return "<6>";
}

}  // namespace

void set_log_quiet(bool q) { quiet.store(q); }

bool log_to_journal() {
  static const bool journal = stderr_is_journal_stream();  // thread-safe, evaluated once
  return journal;
}

void log_line(LogLevel level, std::string_view message) {
  if (level == LogLevel::kInfo && quiet.load()) {
    return;
  }
  // journald already names the unit and the process on every line: no "sluice: " there.
  std::string line = log_to_journal() ? journal_priority(level) : "sluice: ";
  if (level == LogLevel::kWarning) {
    line += "warning: ";
  } else if (level == LogLevel::kError) {
    line += "error: ";
  }
  line.append(message);
  line.push_back('\n');
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace sluice
