// StdoutSink and NullSink: standard output (for pipes and debugging), and a sink that discards
// everything (for benchmarks and for measuring a pipeline without its output).
#pragma once

#include "stages/sinks/sink.h"

namespace sluice {

// A reader of stdout that went away (EPIPE) does not come back: the sink is broken for good,
// as in Vector and Fluent Bit, and the run ends with what was not written counted.
class StdoutSink : public Sink {
 public:
  Status open() override { return Status(); }
  Status write(std::span<const std::string_view> parts, size_t& written) override;
  Status flush() override { return Status(); }
  bool broken() const override { return broken_; }

 private:
  bool broken_ = false;
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
