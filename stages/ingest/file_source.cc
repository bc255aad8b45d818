#include "stages/ingest/file_source.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "stages/log.h"

namespace sluice {

struct FileSource::TrackedFile {
  std::string path;
  int fd = -1;
  bool done = false;
  std::unique_ptr<StreamReader> reader;
  ~TrackedFile() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

FileSource::FileSource(FileSourceOptions options, FramerFactory make_framer)
    : options_(std::move(options)), make_framer_(std::move(make_framer)) {}

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
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        if (std::find(warned_.begin(), warned_.end(), path) == warned_.end()) {
          log_warning("file source: cannot open " + path + ": " + std::strerror(errno));
          warned_.push_back(path);
        }
        continue;
      }
      struct stat st {};
      if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        ::close(fd);
        continue;
      }
      if (first_scan && options_.read_from_end) {
        ::lseek(fd, 0, SEEK_END);
      }
      auto file = std::make_unique<TrackedFile>();
      file->path = path;
      file->fd = fd;
      file->reader = std::make_unique<StreamReader>(
          make_framer_(), std::make_shared<const std::string>(path), options_.reader);
      files_.push_back(std::move(file));
    }
  }
}

bool FileSource::sleep_interval(SourceContext& ctx) {
  return !ctx.wait_for_stop(std::chrono::milliseconds(options_.poll_interval_ms));
}

Status FileSource::run(SourceContext& ctx) {
  discover(/*first_scan=*/true);
  while (!ctx.stopping()) {
    for (auto& file : files_) {
      if (file->done) {
        continue;
      }
      if (options_.follow) {
        // A file that shrank was truncated: start it again from the beginning.
        struct stat st {};
        off_t pos = ::lseek(file->fd, 0, SEEK_CUR);
        if (::fstat(file->fd, &st) == 0 && st.st_size < pos) {
          log_info("file source: " + file->path + " was truncated; reading from the start");
          ::lseek(file->fd, 0, SEEK_SET);
          file->reader->reset();
        }
      }
      auto outcome = file->reader->pump(file->fd, ctx, /*final=*/!options_.follow);
      if (outcome == StreamReader::Outcome::kStopped) {
        return Status();
      }
      if (outcome == StreamReader::Outcome::kError) {
        log_warning("file source: cannot read " + file->path + ": " + file->reader->error());
        file->done = true;
      } else if (!options_.follow) {
        file->done = true;
      }
    }
    if (!options_.follow) {
      return Status();
    }
    if (!sleep_interval(ctx)) {
      break;
    }
    discover(/*first_scan=*/false);
  }
  return Status();
}

}  // namespace sluice
