#include "stages/sinks/file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "stages/fd_io.h"

namespace sluice {
namespace {
constexpr off_t kFirstReserve = off_t{1} << 20;
constexpr off_t kMaxReserve = off_t{8} << 20;

// How many writes of any file sink of the process failed with ENOSPC. A sink that sees it move
// gives back its disk reserve at once: the space it holds ahead may be what another sink needs.
std::atomic<uint64_t> disk_full_count{0};
}  // namespace

FileSink::~FileSink() { close_file(); }

void FileSink::give_back_reserve() {
  if (fd_ < 0 || reserved_to_ <= size_) {
    return;
  }
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && st.st_size == size_) {
    // Truncating to the current size frees the blocks reserved beyond it (ext4, xfs).
    (void)::ftruncate(fd_, size_);
  }
  reserved_to_ = 0;
  reserve_step_ = kFirstReserve;
}

void FileSink::close_file() {
  if (fd_ < 0) {
    return;
  }
  give_back_reserve();
  ::close(fd_);
  fd_ = -1;
}

void FileSink::reserve_ahead(size_t bytes) {
  const off_t end = size_ + static_cast<off_t>(bytes);
  if (!reserve_ok_ || end <= reserved_to_) {
    return;
  }
  const off_t from = std::max(size_, reserved_to_);
  const off_t to = end + reserve_step_;
  if (::fallocate(fd_, FALLOC_FL_KEEP_SIZE, from, to - from) != 0) {
    reserve_ok_ = false;
    return;
  }
  reserved_to_ = to;
  reserve_step_ = std::min(reserve_step_ * 2, kMaxReserve);
}

Status FileSink::open() {
  Status s = open_file();
  if (!s.ok() && no_reader_) {
    // A FIFO whose reader has not started yet is not a reason to refuse to start: the first
    // write retries (with backoff, saying why once) until a reader comes.
    return Status();
  }
  return s;
}

Status FileSink::open_file() {
  no_reader_ = false;
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
  // O_NONBLOCK: opening a FIFO for writing would otherwise wait for a reader, in a call that
  // shutdown cannot end. Writes block again (and are ended by the runner's interrupt).
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK, 0640);
  if (fd_ < 0) {
    if (errno == ENXIO) {
      no_reader_ = true;
      return Status::error("cannot open " + path_ + ": it is a FIFO that no process reads");
    }
    return Status::error("cannot open " + path_ + ": " + std::strerror(errno));
  }
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
  struct stat st {};
  const bool known = ::fstat(fd_, &st) == 0;
  at_start_ = known && st.st_size == 0;
  size_ = known ? st.st_size : 0;
  reserved_to_ = 0;
  reserve_step_ = kFirstReserve;
  reserve_ok_ = known && S_ISREG(st.st_mode);
  return Status();
}

Result<bool> FileSink::prepare() {
  if (fd_ >= 0 && !still_at_path()) {
    // The file was removed or replaced (its directory deleted, rotated away): writing on would
    // put events into a file nobody can see. Start a new file at the path.
    ::close(fd_);
    fd_ = -1;
  }
  if (Status s = open_file(); !s.ok()) {
    return s;
  }
  return at_start_;
}

Status FileSink::write(std::span<const std::string_view> parts, size_t& written) {
  written = 0;
  if (Status s = open_file(); !s.ok()) {
    return s;
  }
  size_t bytes = 0;
  for (std::string_view part : parts) {
    bytes += part.size();
  }
  const uint64_t disk_full = disk_full_count.load(std::memory_order_relaxed);
  if (disk_full != disk_full_seen_) {
    disk_full_seen_ = disk_full;
    give_back_reserve();
  }
  reserve_ahead(bytes);
  Status s = write_all(fd_, parts, written, path_);
  const int err = errno;
  size_ += static_cast<off_t>(written);
  if (!s.ok()) {
    if (err == ENOSPC) {
      disk_full_seen_ = disk_full_count.fetch_add(1, std::memory_order_relaxed) + 1;
    }
    close_file();
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

std::optional<uint64_t> FileSink::output_length() const {
  struct stat st {};
  if (fd_ < 0 || ::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    return std::nullopt;
  }
  return static_cast<uint64_t>(st.st_size);
}

Status FileSink::flush() {
  // Data handed to write(2) survives a crash of this process (kill -9); that is the promise.
  // Surviving a power loss would need fdatasync per batch, at a large cost in throughput.
  return Status();
}

}  // namespace sluice
