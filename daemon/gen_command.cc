#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "daemon/commands.h"
#include "stages/ingest/event_generator.h"
#include "stages/log.h"
#include "stages/sinks/fd_writer.h"

namespace sluice {

int gen_command(const GenOptions& options) {
  EventGenerator::Format format;
  if (!EventGenerator::parse_format(options.format, format)) {
    log_error("gen: unknown format '" + options.format + "' (csv, text or json)");
    return kExitConfig;
  }
  EventGenerator generator(format, options.seed);
  const uint64_t total = options.count.value_or(UINT64_MAX);
  std::string buffer;
  buffer.reserve(1 << 20);
  auto start = std::chrono::steady_clock::now();
  // With a rate, write about 10 times per second so the output is steady.
  uint64_t chunk =
      options.rate ? std::max<uint64_t>(1, static_cast<uint64_t>(*options.rate / 10)) : UINT64_MAX;
  while (generator.generated() < total) {
    uint64_t in_chunk = 0;
    while (buffer.size() < (1 << 20) && generator.generated() < total && in_chunk < chunk) {
      generator.append_event(buffer);
      ++in_chunk;
    }
    size_t written = 0;
    if (!write_all(STDOUT_FILENO, buffer, written, "stdout").ok()) {
      return kExitOk;  // the reader went away (EPIPE): like `yes | head`, not an error
    }
    buffer.clear();
    if (options.rate) {
      auto due = start + std::chrono::duration<double>(static_cast<double>(generator.generated()) /
                                                       *options.rate);
      std::this_thread::sleep_until(due);
    }
  }
  return kExitOk;
}

}  // namespace sluice
