// FileSink: appends to one file, created (with its parent directories) as 0640. A write failure
// (full disk, directory removed) closes the file; the next write reopens it, so the sink recovers
// when the disk has room or the directory is back.
#pragma once

#include <string>

#include "stages/sinks/sink.h"

namespace sluice {

class FileSink : public Sink {
 public:
  explicit FileSink(std::string path) : path_(std::move(path)) {}
  ~FileSink() override;
  Status open() override;
  Status write(std::string_view bytes, size_t& written) override;
  Status flush() override;
  bool at_start() const override { return at_start_; }

 private:
  std::string path_;
  int fd_ = -1;
  bool at_start_ = false;
};

}  // namespace sluice
