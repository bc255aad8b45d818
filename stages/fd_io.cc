#include "stages/fd_io.h"

#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace sluice {
namespace {
constexpr int kMaxParts = 64;  // iovecs per writev call; well under IOV_MAX
}

Status write_all(int fd, std::span<const std::string_view> parts, size_t& written,
                 std::string_view what) {
  written = 0;
  size_t part = 0;
  size_t offset = 0;  // into parts[part], after a short write
  while (part < parts.size()) {
    iovec iov[kMaxParts];
    int count = 0;
    for (size_t i = part; i < parts.size() && count < kMaxParts; ++i) {
      std::string_view p = i == part ? parts[i].substr(offset) : parts[i];
      if (!p.empty()) {
        iov[count++] = iovec{const_cast<char*>(p.data()), p.size()};
      }
    }
    if (count == 0) {
      break;
    }
    ssize_t n = ::writev(fd, iov, count);
    if (n < 0) {
      // EINTR too: the daemon interrupts a write only to stop it (shutdown), never to resume it.
      // errno is kept for the caller (EPIPE and ENOSPC mean different things to sinks).
      const int err = errno;
      Status failed =
          Status::error("cannot write " + std::string(what) + ": " + std::strerror(err));
      errno = err;
      return failed;
    }
    written += static_cast<size_t>(n);
    // Step over what was written: whole parts, then part of one.
    auto left = static_cast<size_t>(n);
    while (part < parts.size() && left >= parts[part].size() - offset) {
      left -= parts[part].size() - offset;
      offset = 0;
      ++part;
    }
    offset += left;
  }
  return Status();
}

}  // namespace sluice
