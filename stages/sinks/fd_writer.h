// Writes a whole buffer to a file descriptor, resuming after EINTR and short writes, and
// reporting how far it got when the descriptor fails (EPIPE, ENOSPC, EIO...).
#pragma once

#include <cstddef>
#include <string_view>

#include "stages/status.h"

namespace sluice {

Status write_all(int fd, std::string_view bytes, size_t& written, std::string_view what);

}  // namespace sluice
