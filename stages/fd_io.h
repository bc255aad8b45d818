// FdIo: writes whole buffers to a file descriptor (gathered with writev), resuming after short
// writes, and reporting how far it got when the descriptor fails (EPIPE, ENOSPC, EIO...) or the
// call is interrupted (EINTR: the daemon interrupts a blocked write only to end it at shutdown;
// a write to a regular file on a local file system is never interrupted).
// Shared by the sinks that write to descriptors and by the file source's checkpoint store.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "stages/status.h"

namespace sluice {

Status write_all(int fd, std::span<const std::string_view> parts, size_t& written,
                 std::string_view what);
inline Status write_all(int fd, std::string_view bytes, size_t& written, std::string_view what) {
  return write_all(fd, std::span(&bytes, 1), written, what);
}

}  // namespace sluice
