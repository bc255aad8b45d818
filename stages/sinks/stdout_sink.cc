#include "stages/sinks/stdout_sink.h"

#include <unistd.h>

#include <cerrno>

#include "stages/fd_io.h"

namespace sluice {

Status StdoutSink::write(std::span<const std::string_view> parts, size_t& written) {
  Status s = write_all(STDOUT_FILENO, parts, written, "stdout");
  if (!s.ok() && errno == EPIPE) {
    broken_ = true;
  }
  return s;
}

}  // namespace sluice
