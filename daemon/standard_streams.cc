#include "daemon/standard_streams.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace sluice {
namespace {
bool closed_at_start[3] = {false, false, false};
}

Status ensure_standard_streams() {
  for (int fd = 0; fd < 3; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) {
      continue;
    }
    closed_at_start[fd] = true;
    // The lower descriptors are open by now, so open() returns `fd` itself; dup2 covers the case
    // anyway. Not O_CLOEXEC: children should inherit a placeholder too.
    int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd < 0) {
      return Status::error(
          "descriptor " + std::to_string(fd) +
          " is closed and /dev/null cannot be opened to stand in for it: " + std::strerror(errno));
    }
    if (null_fd != fd) {
      ::dup2(null_fd, fd);
      ::close(null_fd);
    }
  }
  return Status();
}

bool standard_stream_was_closed(int fd) { return fd >= 0 && fd < 3 && closed_at_start[fd]; }

Status check_standard_streams(const Config& config) {
  if (standard_stream_was_closed(STDIN_FILENO)) {
    for (const PipelineConfig& pipeline : config.pipelines) {
      if (pipeline.source.type == "stdin") {
        return Status::error("pipeline " + pipeline.name +
                             ": source stdin: stdin was closed when sluice started");
      }
    }
  }
  if (standard_stream_was_closed(STDOUT_FILENO)) {
    for (const SinkConfig& sink : config.sinks) {
      if (sink.type == "stdout") {
        return Status::error("sink " + sink.name + ": stdout was closed when sluice started");
      }
    }
  }
  return Status();
}

}  // namespace sluice
