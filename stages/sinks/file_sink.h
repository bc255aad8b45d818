// FileSink: appends to one file, created (with its parent directories) as 0640. A write failure
// (full disk) closes the file; the next write reopens it, so the sink recovers when the disk has
// room. A file removed or replaced under it (directory deleted) is noticed before each write and
// a new file is created at the path, so no event goes into a file nobody can see.
#pragma once

#include <string>

#include "stages/sinks/sink.h"

namespace sluice {

class FileSink : public Sink {
 public:
  explicit FileSink(std::string path) : path_(std::move(path)) {}
  ~FileSink() override;
  Status open() override;
  Status write(std::span<const std::string_view> parts, size_t& written) override;
  Status flush() override;
  bool at_start() const override { return at_start_; }

 private:
  // True when the open file is still the one at `path_` (one stat per write call, which
  // gathers about 1 MiB).
  bool still_at_path() const;

  std::string path_;
  int fd_ = -1;
  bool at_start_ = false;
};

}  // namespace sluice
