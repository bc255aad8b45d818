// StdoutSink and NullSink: standard output (for pipes and debugging), and a sink that discards
// everything (for benchmarks and for measuring a pipeline without its output).
#pragma once

#include "stages/sinks/sink.h"

namespace sluice {

class StdoutSink : public Sink {
 public:
  Status open() override { return Status(); }
  Status write(std::span<const std::string_view> parts, size_t& written) override;
  Status flush() override { return Status(); }
};

class NullSink : public Sink {
 public:
  Status open() override { return Status(); }
  Status write(std::span<const std::string_view> parts, size_t& written) override {
    written = 0;
    for (std::string_view p : parts) {
      written += p.size();
    }
    return Status();
  }
  Status flush() override { return Status(); }
};

}  // namespace sluice
