// FileSource: reads the files matching `paths` (globs). Without follow, each file is read to its
// end and the source finishes; with follow, it keeps reading what is appended and picks up new
// files that match (globs are re-scanned). Each file is its own stream: its own framer (so a CSV
// header per file) and its own line numbers in `_source`. Rotation and checkpoints come later.
// Files are opened lazily and at most `max_open_files` at once: a finished file is closed, and a
// followed file that is idle is closed when another needs its slot, then reopened by path and
// checked by identity (device, inode) and fingerprint (its first bytes) before reading resumes
// where it stopped. Only regular files are read; a FIFO or device matched by a glob is skipped
// with a warning (opening it could block, reading it is not what a glob of logs means).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "stages/ingest/source.h"
#include "stages/ingest/stream_reader.h"

namespace sluice {

struct FileSourceOptions {
  std::vector<std::string> paths;  // glob patterns
  bool read_from_end = false;      // files present at start are read from their end
  bool follow = true;              // false: read to EOF, then finish
  StreamReaderOptions reader;
  int poll_interval_ms = 200;  // how often a following source looks for new data and files
  // Files open at once. 0: a quarter of the process's descriptor limit (RLIMIT_NOFILE), between
  // 8 and 1024, leaving room for sinks and the rest of the process.
  size_t max_open_files = 0;
};

class FileSource : public Source {
 public:
  using FramerFactory = std::function<std::unique_ptr<RecordFramer>()>;
  FileSource(FileSourceOptions options, FramerFactory make_framer);
  ~FileSource() override;
  // Without follow, a file that could not be read (unreadable, not a regular file, a read
  // error) makes the run end with an error naming how many and the first, after every other
  // file was read.
  Status run(SourceContext& ctx) override;

  size_t open_files() const { return open_count_; }

 private:
  struct TrackedFile;
  void discover(bool first_scan);
  bool sleep_interval(SourceContext& ctx);
  // Opens `file` (evicting an idle one when at the bound) and positions it; false when it
  // cannot be read now (the reason is logged once, and recorded when it is final).
  bool open_file(TrackedFile& file);
  // Closes `file`, remembering where to resume (the start of any incomplete record).
  void close_file(TrackedFile& file);
  // True when a closed followed file has bytes past where it stopped (or was replaced).
  bool has_news(TrackedFile& file);
  bool evict_idle_file(const TrackedFile* keep);
  void fail_file(TrackedFile& file, const std::string& reason);

  FileSourceOptions options_;
  FramerFactory make_framer_;
  std::vector<std::unique_ptr<TrackedFile>> files_;
  size_t open_count_ = 0;
  uint64_t clock_ = 0;  // a counter standing in for "last used" when choosing what to close
  size_t failed_ = 0;
  std::string first_failure_;
  bool warned_descriptors_ = false;
};

}  // namespace sluice
