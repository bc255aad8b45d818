// EventGenerator: synthetic web access events, the same data model written as CSV, nginx-combined
// text or JSON lines. Deterministic for a seed, so tests and benchmarks can compare runs. Used by
// `sluice gen` and by the `generate` source. Not thread-safe: one per thread.
//
// Data model (CSV columns, no header): ts (RFC 3339, UTC, ms), host, method, path, status, bytes,
// latency_ms, agent. About 130 bytes per CSV event; about 2% of statuses are 5xx.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

class EventGenerator {
 public:
  enum class Format { kCsv, kText, kJson };
  static bool parse_format(std::string_view name, Format& out);

  EventGenerator(Format format, uint64_t seed);

  // Appends the next event as one line, '\n' terminated.
  void append_event(std::string& out);
  uint64_t generated() const { return index_; }

 private:
  uint64_t next_random();

  Format format_;
  uint64_t state_;
  uint64_t index_ = 0;
};

}  // namespace sluice
