// FileSource: reads the files matching `paths` (globs). Without follow, each file is read to its
// end and the source finishes; with follow, it keeps reading what is appended and picks up new
// files that match (globs are re-scanned). Each file is its own stream: its own framer (so a CSV
// header per file) and its own line numbers in `_source`. Rotation and checkpoints come later.
#pragma once

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
};

class FileSource : public Source {
 public:
  using FramerFactory = std::function<std::unique_ptr<RecordFramer>()>;
  FileSource(FileSourceOptions options, FramerFactory make_framer);
  ~FileSource() override;
  Status run(SourceContext& ctx) override;

 private:
  struct TrackedFile;
  void discover(bool first_scan);
  bool sleep_interval(SourceContext& ctx);

  FileSourceOptions options_;
  FramerFactory make_framer_;
  std::vector<std::unique_ptr<TrackedFile>> files_;
  std::vector<std::string> warned_;
};

}  // namespace sluice
