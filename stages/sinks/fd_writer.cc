#include "stages/sinks/fd_writer.h"

#include <errno.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace sluice {

Status write_all(int fd, std::string_view bytes, size_t& written, std::string_view what) {
  written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Status::error("cannot write " + std::string(what) + ": " + std::strerror(errno));
    }
    written += static_cast<size_t>(n);
  }
  return Status();
}

}  // namespace sluice
