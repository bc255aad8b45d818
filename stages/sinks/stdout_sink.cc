#include "stages/sinks/stdout_sink.h"

#include <unistd.h>

#include "stages/sinks/fd_writer.h"

namespace sluice {

Status StdoutSink::write(std::string_view bytes, size_t& written) {
  return write_all(STDOUT_FILENO, bytes, written, "stdout");
}

}  // namespace sluice
