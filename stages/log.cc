#include "stages/log.h"

#include <unistd.h>

#include <atomic>
#include <string>

namespace sluice {
namespace {
std::atomic<bool> quiet{false};
}

void set_log_quiet(bool q) { quiet.store(q); }

void log_line(LogLevel level, std::string_view message) {
  if (level == LogLevel::kInfo && quiet.load()) {
    return;
  }
  std::string line = "sluice: ";
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
