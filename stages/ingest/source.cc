#include "stages/ingest/source.h"

#include <algorithm>
#include <thread>

namespace sluice {

bool SourceContext::wait_for_stop(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!stopping()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) {
      break;
    }
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(20)));
  }
  return stopping();
}

}  // namespace sluice
