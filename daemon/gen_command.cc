#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

#include "daemon/commands.h"
#include "stages/ingest/event_generator.h"
#include "stages/log.h"

namespace sluice {
namespace {

// Writes all of `bytes` to stdout; 0 or the errno of the write that failed. Kept local rather
// than using write_all (stages/fd_io.h) because gen must tell EPIPE from other failures, and
// write_all's Status carries only a message.
int write_stdout(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

}  // namespace

int gen_command(const GenOptions& options) {
  EventGenerator::Format format;
  if (!EventGenerator::parse_format(options.format, format)) {
    log_error("gen: unknown format '" + options.format + "' (csv, text or json)");
    return kExitUsage;
  }
  // A reader that goes away shows as EPIPE from write() rather than a kill, whatever the
  // disposition inherited from the parent, so the exit status does not depend on the caller.
  signal(SIGPIPE, SIG_IGN);
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
    if (int error = write_stdout(buffer); error != 0) {
      if (error == EPIPE) {
        return kExitOk;  // the reader went away: like `yes | head`, the output was not wanted
      }
      log_error(std::string("gen: cannot write stdout: ") + std::strerror(error));
      return kExitFailure;
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
