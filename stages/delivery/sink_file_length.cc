#include "stages/delivery/sink_file_length.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sluice {
namespace {

// Closes the descriptor when the scope ends.
struct SinkFileDescriptor {
  int fd;
  ~SinkFileDescriptor() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

}  // namespace

Result<SinkFileLength> sync_sink_file(const std::string& path, uint64_t length) {
  SinkFileLength out;
  out.path = path;
  out.length = length;
  // O_NONBLOCK: a FIFO at the path must not hold the source here.
  SinkFileDescriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
  if (file.fd < 0) {
    if (errno == ENOENT && length == 0) {
      return out;
    }
    return Status::error("cannot open sink file " + path + " to sync it: " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) {
    return Status::error("cannot stat sink file " + path + ": " + std::strerror(errno));
  }
  out.dev = st.st_dev;
  out.ino = st.st_ino;
  // Any descriptor of the file flushes all of its dirty pages, also those the sink wrote.
  if (S_ISREG(st.st_mode) && ::fdatasync(file.fd) != 0) {
    return Status::error("cannot sync sink file " + path + ": " + std::strerror(errno));
  }
  return out;
}

Result<SinkCutBack> cut_back_sink_file(const SinkFileLength& recorded) {
  SinkCutBack result;
  SinkFileDescriptor file{
      ::open(recorded.path.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW)};
  if (file.fd < 0) {
    if (errno == ENOENT) {
      result.kind =
          recorded.length == 0 ? SinkCutBack::Kind::kUnchanged : SinkCutBack::Kind::kReplaced;
      return result;
    }
    return Status::error("cannot open sink file " + recorded.path +
                         " to cut it back: " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) {
    return Status::error("cannot stat sink file " + recorded.path + ": " + std::strerror(errno));
  }
  result.size_before = static_cast<uint64_t>(st.st_size);
  // (0, 0): the file did not exist when the record was taken, so the sink created it since
  // (validate allows no other pipeline to write it) and all of it came after the record.
  const bool created_since = recorded.dev == 0 && recorded.ino == 0 && recorded.length == 0;
  if (!S_ISREG(st.st_mode) ||
      (!created_since && (st.st_dev != recorded.dev || st.st_ino != recorded.ino))) {
    result.kind = SinkCutBack::Kind::kReplaced;
    return result;
  }
  if (result.size_before == recorded.length) {
    return result;
  }
  if (result.size_before < recorded.length) {
    result.kind = SinkCutBack::Kind::kShorter;
    return result;
  }
  if (::ftruncate(file.fd, static_cast<off_t>(recorded.length)) != 0 || ::fsync(file.fd) != 0) {
    return Status::error("cannot cut sink file " + recorded.path + " back to " +
                         std::to_string(recorded.length) + " bytes: " + std::strerror(errno));
  }
  result.kind = SinkCutBack::Kind::kCut;
  return result;
}

}  // namespace sluice
