#include "stages/ingest/source.h"

#include <poll.h>

#include <algorithm>
#include <thread>

namespace sluice {

namespace {
constexpr auto kStopSlice = std::chrono::milliseconds(20);
}  // namespace

bool SourceContext::wait_for_stop(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!stopping()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) {
      break;
    }
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(until - now, kStopSlice));
  }
  return stopping();
}

SourceContext::Wake SourceContext::wait_for_stop_or_readable(int fd,
                                                             std::chrono::milliseconds timeout) {
  if (fd < 0) {
    return wait_for_stop(timeout) ? Wake::kStopping : Wake::kTimedOut;
  }
  const auto until = std::chrono::steady_clock::now() + timeout;
  // Without a descriptor that a stop makes readable, the stop flag is looked at between slices.
  for (;;) {
    if (stopping()) {
      return Wake::kStopping;
    }
    const auto left = std::max(
        std::chrono::milliseconds(0),
        std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()));
    pollfd pfd{fd, POLLIN, 0};
    const int n = ::poll(&pfd, 1, static_cast<int>(std::min(left, kStopSlice).count()));
    if (stopping()) {
      return Wake::kStopping;
    }
    if (n > 0) {
      return Wake::kReadable;
    }
    if (n == 0 && left <= kStopSlice) {
      return Wake::kTimedOut;
    }
  }
}

namespace {
BatchPtr sized_for_read(BatchPtr batch, size_t bytes) {
  if (batch) {
    batch->text.resize(bytes);
  }
  return batch;
}
}  // namespace

BatchPtr SourceContext::try_new_read_batch(size_t bytes) {
  return sized_for_read(try_new_batch(bytes), bytes);
}

BatchPtr SourceContext::new_read_batch(size_t bytes) {
  return sized_for_read(new_batch(bytes), bytes);
}

}  // namespace sluice
