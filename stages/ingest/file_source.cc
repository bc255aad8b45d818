#include "stages/ingest/file_source.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "stages/log.h"

namespace sluice {
namespace {

// How many leading bytes identify a file's content, beside its inode (which a file system
// reuses soon after a delete).
constexpr size_t kFingerprintBytes = 256;

size_t default_max_open_files() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return 1024;
  }
  return std::clamp<size_t>(static_cast<size_t>(limit.rlim_cur) / 4, 8, 1024);
}

// FNV-1a of the first `length` bytes of `fd`; false when fewer bytes could be read.
bool fingerprint(int fd, size_t length, uint64_t& out) {
  char buf[kFingerprintBytes];
  ssize_t n = ::pread(fd, buf, length, 0);
  if (n < 0 || static_cast<size_t>(n) != length) {
    return false;
  }
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < length; ++i) {
    h = (h ^ static_cast<unsigned char>(buf[i])) * 1099511628211ull;
  }
  out = h;
  return true;
}

}  // namespace

struct FileSource::TrackedFile {
  std::string path;
  int fd = -1;
  bool done = false;    // read to its end (without follow), or failed for good
  bool failed = false;  // could not be read (counted once)
  bool warned = false;  // its open failure was logged
  // Identity of the file last read at `path`, and where reading resumes when it is closed.
  bool known = false;
  dev_t dev = 0;
  ino_t ino = 0;
  off_t offset = 0;
  size_t fingerprint_length = 0;
  uint64_t fingerprint = 0;
  uint64_t last_used = 0;
  std::unique_ptr<StreamReader> reader;
  ~TrackedFile() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

FileSource::FileSource(FileSourceOptions options, FramerFactory make_framer)
    : options_(std::move(options)), make_framer_(std::move(make_framer)) {
  if (options_.max_open_files == 0) {
    options_.max_open_files = default_max_open_files();
  }
}

FileSource::~FileSource() = default;

void FileSource::discover(bool first_scan) {
  for (const std::string& pattern : options_.paths) {
    glob_t g{};
    int rc = ::glob(pattern.c_str(), GLOB_NOSORT | GLOB_BRACE, nullptr, &g);
    if (rc != 0) {
      if (first_scan && !options_.follow) {
        log_warning("file source: no file matches '" + pattern + "'");
      }
      ::globfree(&g);
      continue;
    }
    std::vector<std::string> matches(g.gl_pathv, g.gl_pathv + g.gl_pathc);
    ::globfree(&g);
    std::sort(matches.begin(), matches.end());
    for (const std::string& path : matches) {
      bool known =
          std::any_of(files_.begin(), files_.end(), [&](const auto& f) { return f->path == path; });
      if (known) {
        continue;
      }
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        continue;
      }
      auto file = std::make_unique<TrackedFile>();
      file->path = path;
      if (first_scan && options_.read_from_end && S_ISREG(st.st_mode)) {
        file->known = true;
        file->dev = st.st_dev;
        file->ino = st.st_ino;
        file->offset = st.st_size;
      }
      file->reader = std::make_unique<StreamReader>(
          make_framer_(), std::make_shared<const std::string>(path), options_.reader);
      files_.push_back(std::move(file));
    }
  }
}

void FileSource::fail_file(TrackedFile& file, const std::string& reason) {
  if (!file.warned) {
    log_warning("file source: " + reason);
    file.warned = true;
  }
  if (!options_.follow && !file.failed) {
    file.failed = true;
    file.done = true;
    if (failed_++ == 0) {
      first_failure_ = reason;
    }
  }
}

bool FileSource::evict_idle_file(const TrackedFile* keep) {
  TrackedFile* oldest = nullptr;
  for (auto& f : files_) {
    // Only a file at a record boundary or one whose incomplete record can be re-read: an
    // evicted file holds no memory.
    if (f->fd >= 0 && f.get() != keep && (oldest == nullptr || f->last_used < oldest->last_used)) {
      oldest = f.get();
    }
  }
  if (oldest == nullptr) {
    return false;
  }
  close_file(*oldest);
  return true;
}

void FileSource::close_file(TrackedFile& file) {
  if (file.fd < 0) {
    return;
  }
  file.reader->rewind(file.fd);
  off_t pos = ::lseek(file.fd, 0, SEEK_CUR);
  file.offset = pos < 0 ? 0 : pos;
  file.fingerprint_length = std::min<size_t>(kFingerprintBytes, static_cast<size_t>(file.offset));
  if (!fingerprint(file.fd, file.fingerprint_length, file.fingerprint)) {
    file.fingerprint_length = 0;
  }
  ::close(file.fd);
  file.fd = -1;
  --open_count_;
}

bool FileSource::has_news(TrackedFile& file) {
  struct stat st {};
  if (::stat(file.path.c_str(), &st) != 0) {
    return false;  // gone for now; a rescan may bring it back
  }
  if (!file.known) {
    return true;
  }
  return st.st_dev != file.dev || st.st_ino != file.ino || st.st_size != file.offset;
}

bool FileSource::open_file(TrackedFile& file) {
  if (open_count_ >= options_.max_open_files && !evict_idle_file(&file)) {
    return false;
  }
  // O_NONBLOCK: opening a FIFO would otherwise wait for a writer, in a call nothing can end.
  int fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0 && (errno == EMFILE || errno == ENFILE) && evict_idle_file(&file)) {
    fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  }
  if (fd < 0) {
    const int err = errno;
    if (err == EMFILE || err == ENFILE) {
      // Out of descriptors with nothing of ours to close: wait for a later round.
      if (!warned_descriptors_) {
        log_warning("file source: out of file descriptors (" + std::string(std::strerror(err)) +
                    "); files are read as descriptors free up");
        warned_descriptors_ = true;
      }
      return false;
    }
    fail_file(file, "cannot open " + file.path + ": " + std::strerror(err));
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail_file(file, file.path + " is not a regular file; skipped");
    return false;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  bool same =
      file.known && st.st_dev == file.dev && st.st_ino == file.ino && st.st_size >= file.offset;
  uint64_t print = 0;
  if (same && file.fingerprint_length > 0 &&
      (!fingerprint(fd, file.fingerprint_length, print) || print != file.fingerprint)) {
    same = false;
  }
  if (file.known && !same) {
    // Another file now has this path (rotated, or truncated and rewritten): read it whole.
    log_info("file source: " + file.path + " was replaced or truncated; reading from the start");
    file.reader->reset();
    file.offset = 0;
  }
  file.known = true;
  file.dev = st.st_dev;
  file.ino = st.st_ino;
  file.fingerprint_length = 0;
  ::lseek(fd, file.offset, SEEK_SET);
  file.fd = fd;
  ++open_count_;
  return true;
}

bool FileSource::sleep_interval(SourceContext& ctx) {
  return !ctx.wait_for_stop(std::chrono::milliseconds(options_.poll_interval_ms));
}

Status FileSource::run(SourceContext& ctx) {
  discover(/*first_scan=*/true);
  while (!ctx.stopping()) {
    for (auto& owned : files_) {
      TrackedFile& file = *owned;
      if (file.done) {
        continue;
      }
      if (file.fd < 0) {
        if (options_.follow && file.known && !has_news(file)) {
          continue;  // closed and idle: one stat, no descriptor
        }
        if (!open_file(file)) {
          continue;
        }
      }
      file.last_used = ++clock_;
      if (options_.follow) {
        // A file that shrank was truncated: start it again from the beginning.
        struct stat st {};
        off_t pos = ::lseek(file.fd, 0, SEEK_CUR);
        if (::fstat(file.fd, &st) == 0 && st.st_size < pos) {
          log_info("file source: " + file.path + " was truncated; reading from the start");
          ::lseek(file.fd, 0, SEEK_SET);
          file.reader->reset();
        } else if (st.st_size == pos && file.reader->unframed_bytes() == 0) {
          // Nothing new: reading would take a read buffer from the memory budget (and maybe
          // wait for it) only to find the end of the file again.
          continue;
        }
      }
      auto outcome = file.reader->pump(file.fd, ctx, /*final=*/!options_.follow);
      if (outcome == StreamReader::Outcome::kStopped) {
        return Status();
      }
      if (outcome == StreamReader::Outcome::kError) {
        std::string reason = "cannot read " + file.path + ": " + file.reader->error();
        close_file(file);
        fail_file(file, reason);
        file.done = true;
        continue;
      }
      if (!options_.follow) {
        // Read to its end: the descriptor and the reader's memory go now, not at the end of
        // the run.
        close_file(file);
        file.reader.reset();
        file.done = true;
      } else {
        // At the end of a followed file: its incomplete last record goes back to the file, so
        // an idle file holds no memory.
        file.reader->rewind(file.fd);
      }
    }
    if (!options_.follow) {
      bool all_done =
          std::all_of(files_.begin(), files_.end(), [](const auto& f) { return f->done; });
      if (all_done) {
        break;
      }
      // Some files wait for a descriptor: another round, without sleeping long.
      if (!ctx.wait_for_stop(std::chrono::milliseconds(10))) {
        continue;
      }
      break;
    }
    if (!sleep_interval(ctx)) {
      break;
    }
    discover(/*first_scan=*/false);
  }
  if (failed_ > 0) {
    return Status::error("file source: " + std::to_string(failed_) + " of " +
                         std::to_string(files_.size()) +
                         " files could not be read (first: " + first_failure_ + ")");
  }
  return Status();
}

}  // namespace sluice
