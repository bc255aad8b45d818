#include "stages/sinks/stdout_sink.h"

#include <unistd.h>

#include "stages/sinks/fd_writer.h"

namespace sluice {

Status StdoutSink::write(std::span<const std::string_view> parts, size_t& written) {
  return write_all(STDOUT_FILENO, parts, written, "stdout");
}

}  // namespace sluice
