#include "stages/sinks/file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "stages/sinks/fd_writer.h"

namespace sluice {

FileSink::~FileSink() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

Status FileSink::open() {
  if (fd_ >= 0) {
    return Status();
  }
  std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return Status::error("cannot create directory " + parent.string() + ": " + ec.message());
    }
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) {
    return Status::error("cannot open " + path_ + ": " + std::strerror(errno));
  }
  struct stat st {};
  at_start_ = ::fstat(fd_, &st) == 0 && st.st_size == 0;
  return Status();
}

Status FileSink::write(std::span<const std::string_view> parts, size_t& written) {
  written = 0;
  if (fd_ >= 0 && !still_at_path()) {
    // The file was removed or replaced (its directory deleted, rotated away): writing on would
    // put events into a file nobody can see. Start a new file at the path.
    ::close(fd_);
    fd_ = -1;
  }
  if (Status s = open(); !s.ok()) {
    return s;
  }
  Status s = write_all(fd_, parts, written, path_);
  if (!s.ok()) {
    ::close(fd_);
    fd_ = -1;
  } else if (written > 0) {
    at_start_ = false;
  }
  return s;
}

bool FileSink::still_at_path() const {
  struct stat open_file {};
  struct stat at_path {};
  if (::fstat(fd_, &open_file) != 0 || ::stat(path_.c_str(), &at_path) != 0) {
    return false;
  }
  return open_file.st_dev == at_path.st_dev && open_file.st_ino == at_path.st_ino;
}

Status FileSink::flush() {
  // Data handed to write(2) survives a crash of this process (kill -9); that is the promise.
  // Surviving a power loss would need fdatasync per batch, at a large cost in throughput.
  return Status();
}

}  // namespace sluice
